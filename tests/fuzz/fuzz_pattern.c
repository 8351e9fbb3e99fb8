/* Fuzz target for the STIX pattern parser: check, simple terms, compile, one evaluation, and
 * the questions a scan asks of a multi-event pattern. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "pattern/pattern.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static json_t *observations;

static void
setup(void)
{
    static const char text[] =
        "[{\"type\":\"observed-data\",\"first_observed\":\"2024-01-01T00:00:00Z\","
        "\"last_observed\":\"2024-01-01T00:00:00Z\",\"number_observed\":1,\"objects\":{"
        "\"0\":{\"type\":\"file\",\"name\":\"a.exe\",\"size\":10,\"hashes\":{\"MD5\":\"00\"},"
        "\"parent_directory_ref\":\"1\",\"tags\":[\"x\",\"y\"]},"
        "\"1\":{\"type\":\"directory\",\"path\":\"C:\\\\\"},"
        "\"2\":{\"type\":\"ipv4-addr\",\"value\":\"10.0.0.1\"}}},"
        "{\"type\":\"observed-data\",\"first_observed\":\"2024-01-01T00:01:00Z\","
        "\"last_observed\":\"2024-01-01T00:02:00Z\",\"number_observed\":1,\"objects\":{"
        "\"0\":{\"type\":\"ipv4-addr\",\"value\":\"10.0.0.2\"}}}]";
    observations = json_loads(text, 0, NULL);
    if (observations == NULL)
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kz_str s = kz_str_make((const char *)data, size);
    struct kz_pattern_terms terms;
    struct kz_pattern *p = NULL;
    char why[256];
    size_t column;
    bool matched;

    if (observations == NULL)
        setup();
    (void)kz_pattern_check(s, why, sizeof(why), &column);
    if (kz_pattern_simple_terms(s, &terms) == KZ_OK)
        kz_pattern_terms_release(&terms);
    if (kz_pattern_compile(s, &p, why, sizeof(why), &column) == KZ_OK) {
        uint64_t parts = 0;
        (void)kz_pattern_eval(p, observations, NULL, &matched);
        /* What a scan asks of a multi-event pattern: these walk the whole AST too. */
        (void)kz_pattern_multi_event(p);
        (void)kz_pattern_span_seconds(p);
        (void)kz_pattern_completing(p);
        (void)kz_pattern_required(p);
        (void)kz_pattern_min_observations(p);
        if (json_array_size(observations) > 0)
            (void)kz_pattern_eval_part(p, json_array_get(observations, 0), &parts);
        kz_pattern_free(p);
    }
    return 0;
}
