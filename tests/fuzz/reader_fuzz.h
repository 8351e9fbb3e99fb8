/*
 * Shared by the log-reader fuzz targets: a small index of every indicator kind, and one
 * scan of arbitrary bytes in a given format.
 */
#ifndef KZ_FUZZ_READER_FUZZ_H
#define KZ_FUZZ_READER_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match/match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kz_match_index *ix;

static void
setup(void)
{
    static const char list[] = "evil.example\n192.0.2.0/24\n2001:db8::/32\n"
                               "http://evil.example/gate.php?id=1\n"
                               "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
                               "bad@evil.example\n";
    /* A pattern for the evaluator, so that every event also becomes an observation. */
    static const char stix[] =
        "{\"type\":\"indicator\",\"id\":\"indicator--00000000-0000-4000-8000-000000000001\","
        "\"modified\":\"2024-01-01T00:00:00Z\",\"pattern_type\":\"stix\",\"pattern\":"
        "\"[domain-name:value LIKE '%.evil.example' AND network-traffic:src_ref.value ISSUBSET "
        "'10.0.0.0/8']\"}\n";
    struct kz_match_load_stats st = {0};
    ix = kz_match_index_new();
    kz_match_index_load(ix, list, sizeof(list) - 1, 0, &st);
    kz_match_index_load(ix, stix, sizeof(stix) - 1, 0, &st);
    kz_match_index_finish(ix);
}

static int
fuzz_reader(enum kz_match_format format, const uint8_t *data, size_t size)
{
    struct kz_match_scan_opts o = {.format = format, .csv_map = NULL};
    struct kz_match_scanner *s;
    struct kz_match_sightings *sg;
    char *copy;

    if (!ix)
        setup();
    sg = kz_match_sightings_new(ix, &(struct kz_match_sightings_opts){.window_us = 0});
    o.sightings = sg;
    if (kz_match_scanner_new(ix, &o, &s) != KZ_OK)
        return 0;
    /* An exact-size copy, so reading one byte past the end is caught. */
    copy = malloc(size ? size : 1);
    if (size)
        memcpy(copy, data, size);
    kz_match_scanner_feed(s, copy, size, 1);
    (void)kz_match_detect(copy, size);
    free(copy);
    kz_match_scanner_free(s);
    kz_match_sightings_free(sg);
    return 0;
}

#endif
