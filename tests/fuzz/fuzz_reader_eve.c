/* Fuzz target: the eve log reader of kizuna match, fed arbitrary bytes as a log. */
#include "reader_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_reader(KZ_FMT_EVE, data, size);
}
