/* Fuzz target: indicator sources (plain lists, JSON lines, STIX bundles) into the index. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match/match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kz_match_index *ix = kz_match_index_new();
    struct kz_match_load_stats st = {0};
    char *copy = malloc(size ? size : 1);

    if (size)
        memcpy(copy, data, size);
    kz_match_index_load(ix, copy, size, 0, &st);
    kz_match_index_finish(ix);
    if (kz_match_index_indicators(ix)) {
        struct kz_match_scan_opts o = {.format = KZ_FMT_TEXT};
        struct kz_match_scanner *s;
        if (kz_match_scanner_new(ix, &o, &s) == KZ_OK) {
            kz_match_scanner_feed(s, copy, size, 1);
            kz_match_scanner_free(s);
        }
    }
    free(copy);
    kz_match_index_free(ix);
    return 0;
}
