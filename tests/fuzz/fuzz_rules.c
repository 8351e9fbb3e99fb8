/* Fuzzes the correlation rules parser: the input is a rules file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/correlate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kz_rules r;
    char why[512];

    kz_rules_defaults(&r);
    if (kz_rules_parse(&r, (const char *)data, size, why, sizeof(why)) == KZ_OK) {
        /* what parsed must be usable */
        for (size_t i = 0; i < r.n_watch; i++)
            if (!kz_rules_watched(&r, r.watch[i]))
                abort();
    }
    kz_rules_release(&r);
    return 0;
}
