/*
 * Unit tests of multi-event patterns in a scan (src/match/sequence.c): FOLLOWEDBY across
 * events in and out of order, WITHIN exceeded, REPEATS reached and not, START/STOP against
 * event times, no second hit for events already used, the count cap, and what the pattern
 * library says about which patterns need several events.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match/match.h"
#include "match/match_int.h"
#include "pattern/pattern.h"

static const char head[] =
    "#separator \\x09\n#set_separator\t,\n"
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\tqtype_name\t"
    "rcode_name\tanswers\tTTLs\trejected\n";

struct result {
    struct kz_match_stats st;
    char explain[4096]; /* the line numbers of the hits, " 5 9" */
};

/* Scans a Zeek dns.log made of head and rows "ts query" with an index of one pattern. */
static struct result
run(const char *pattern, const char *const *rows, size_t nrows, uint32_t window_events)
{
    struct kz_match_index *ix = kz_match_index_new();
    struct kz_match_load_stats ls = {0};
    char ind[2048], *log = malloc(1 << 16), *ex = NULL, *p;
    size_t n, exn = 0, off = 0;
    FILE *exf = open_memstream(&ex, &exn);
    struct kz_match_scan_opts o = {
        .format = KZ_FMT_ZEEK, .explain = exf, .window_events = window_events};
    struct kz_match_scanner *s;
    struct result r;

    memset(&r, 0, sizeof(r));
    n = (size_t)snprintf(ind, sizeof(ind),
                         "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--"
                         "5e900000-0000-4000-8000-000000000001\",\"created\":\"2024-01-01T00:00:"
                         "00Z\",\"modified\":\"2024-01-01T00:00:00Z\",\"pattern\":\"%s\","
                         "\"pattern_type\":\"stix\",\"valid_from\":\"2000-01-01T00:00:00Z\"}\n",
                         pattern);
    assert_int_equal(kz_match_index_load(ix, ind, n, 0, &ls), KZ_OK);
    assert_int_equal(kz_match_index_finish(ix), KZ_OK);
    assert_int_equal(kz_match_index_indicators(ix), 1);
    off = (size_t)snprintf(log, 1 << 16, "%s", head);
    for (size_t i = 0; i < nrows; i++) {
        char ts[32], q[256];
        assert_int_equal(sscanf(rows[i], "%31s %255s", ts, q), 2);
        off += (size_t)snprintf(log + off, (1 << 16) - off,
                                "%s\tC%zu\t10.0.0.1\t4000\t10.0.0.53\t53\tudp\t%s\tA\tNOERROR\t-\t-"
                                "\tF\n",
                                ts, i, q);
    }
    assert_int_equal(kz_match_scanner_new(ix, &o, &s), KZ_OK);
    kz_match_scanner_feed(s, log, off, 1);
    r.st = *kz_match_scanner_stats(s);
    kz_match_scanner_free(s);
    fclose(exf);
    /* "-:LINE: pattern ..." lines; the data rows start at line 4. */
    for (p = ex; p && (p = strstr(p, "-:")) != NULL; p += 2) {
        size_t l = strlen(r.explain);
        snprintf(r.explain + l, sizeof(r.explain) - l, " %ld", strtol(p + 2, NULL, 10) - 3);
    }
    free(ex);
    free(log);
    kz_match_index_free(ix);
    return r;
}

#define RUN(pat, rows, cap) run(pat, rows, sizeof(rows) / sizeof(rows[0]), cap)

static const char seq_pat[] =
    "[domain-name:value = 'a.example'] FOLLOWEDBY [domain-name:value = 'b.example']";

static void
test_followedby_in_order(void **state)
{
    static const char *const rows[] = {
        "1700000000.0 a.example",
        "1700000005.0 other.example",
        "1700000010.0 b.example",
        /* a used-up a cannot complete a second sequence with a later b */
        "1700000020.0 b.example",
    };
    struct result r = RUN(seq_pat, rows, 0);
    (void)state;
    assert_int_equal(r.st.hit_lines, 1);
    assert_string_equal(r.explain, " 3");
}

static void
test_followedby_out_of_order(void **state)
{
    /* b before a in the file and in time; then a line later in the file but earlier in time */
    static const char *const rows[] = {
        "1700000000.0 b.example",
        "1700000010.0 a.example",
        "1700000005.0 b.example",
    };
    struct result r = RUN(seq_pat, rows, 0);
    (void)state;
    assert_int_equal(r.st.hit_lines, 0);
}

static void
test_followedby_twice(void **state)
{
    static const char *const rows[] = {
        "1700000000.0 a.example", "1700000001.0 b.example", "1700000002.0 a.example",
        "1700000003.0 a.example", "1700000004.0 b.example",
    };
    struct result r = RUN(seq_pat, rows, 0);
    (void)state;
    assert_int_equal(r.st.hit_lines, 2);
    assert_string_equal(r.explain, " 2 5");
}

static void
test_within(void **state)
{
    static const char *const rows[] = {
        "1700000000.0 a.example", "1700000031.0 b.example", /* 31 s: too late */
        "1700000100.0 a.example", "1700000130.0 b.example", /* 30 s: in time */
    };
    struct result r = RUN("([domain-name:value = 'a.example'] FOLLOWEDBY "
                          "[domain-name:value = 'b.example']) WITHIN 30 SECONDS",
                          rows, 0);
    (void)state;
    assert_int_equal(r.st.hit_lines, 1);
    assert_string_equal(r.explain, " 4");
}

static void
test_default_horizon(void **state)
{
    /* Without WITHIN the window reaches back 3600 s of event time. */
    static const char *const rows[] = {
        "1700000000.0 a.example",
        "1700003601.0 b.example",
    };
    struct result r = RUN(seq_pat, rows, 0);
    (void)state;
    assert_int_equal(r.st.hit_lines, 0);
}

static const char rep_pat[] = "[domain-name:value = 'c.example'] REPEATS 3 TIMES WITHIN 60 SECONDS";

static void
test_repeats_reached(void **state)
{
    static const char *const rows[] = {
        "1700000000.0 c.example", "1700000010.0 x.example", "1700000020.0 c.example",
        "1700000030.0 c.example", "1700000031.0 c.example", "1700000032.0 c.example",
        "1700000033.0 c.example",
    };
    struct result r = RUN(rep_pat, rows, 0);
    (void)state;
    assert_int_equal(r.st.hit_lines, 2);
    assert_string_equal(r.explain, " 4 7");
    assert_int_equal(r.st.window_dropped, 0);
}

static void
test_repeats_not_reached(void **state)
{
    static const char *const rows[] = {
        "1700000000.0 c.example",
        "1700000050.0 c.example", /* the third is 61 s after the first */
        "1700000110.0 c.example",
        "1700000200.0 d.example",
    };
    struct result r = RUN(rep_pat, rows, 0);
    (void)state;
    assert_int_equal(r.st.hit_lines, 0);
}

static void
test_window_cap(void **state)
{
    /* A window of one event cannot hold the two a REPEATS 3 needs besides the new one. */
    static const char *const rows[] = {
        "1700000000.0 c.example",
        "1700000001.0 c.example",
        "1700000002.0 c.example",
    };
    struct result r = RUN(rep_pat, rows, 1);
    (void)state;
    assert_int_equal(r.st.hit_lines, 0);
    assert_int_equal(r.st.window_dropped, 2);
    r = RUN(rep_pat, rows, 2);
    assert_int_equal(r.st.hit_lines, 1);
    assert_int_equal(r.st.window_dropped, 0);
}

static void
test_start_stop(void **state)
{
    /* 1700000000 is 2023-11-14T22:13:20Z */
    static const char *const rows[] = {
        "1700000000.0 c.example",                           /* before START */
        "1700000100.0 c.example", "1700000200.0 c.example", /* inside: the hit */
        "1700000300.0 c.example",                           /* inside, alone */
        "1700000700.0 c.example",                           /* at STOP: outside */
    };
    struct result r = RUN("[domain-name:value = 'c.example'] REPEATS 2 TIMES "
                          "START t'2023-11-14T22:14:00Z' STOP t'2023-11-14T22:25:00Z'",
                          rows, 0);
    (void)state;
    assert_int_equal(r.st.hit_lines, 1);
    assert_string_equal(r.explain, " 3");
}

static void
test_and_of_observations(void **state)
{
    /* AND of observations: both, in either order */
    static const char *const rows[] = {
        "1700000000.0 b.example",
        "1700000001.0 a.example",
    };
    struct result r =
        RUN("[domain-name:value = 'a.example'] AND [domain-name:value = 'b.example']", rows, 0);
    (void)state;
    assert_int_equal(r.st.hit_lines, 1);
    assert_string_equal(r.explain, " 2");
}

static void
test_same_time(void **state)
{
    /* Equal times: a's latest is not after b's earliest, so a FOLLOWEDBY b holds. */
    static const char *const rows[] = {
        "1700000000.0 a.example",
        "1700000000.0 b.example",
    };
    struct result r = RUN(seq_pat, rows, 0);
    (void)state;
    assert_int_equal(r.st.hit_lines, 1);
    assert_string_equal(r.explain, " 2");
}

static void
test_completing(void **state)
{
    static const struct {
        const char *pat;
        uint64_t completing;
        uint64_t min_obs;
        uint64_t required;
    } cases[] = {
        {"[a:b = 'c'] FOLLOWEDBY [a:b = 'd'] FOLLOWEDBY [a:b = 'e']", 4, 3, 7},
        {"[a:b = 'c'] AND [a:b = 'd'] REPEATS 3 TIMES", 3, 4, 3},
        {"([a:b = 'c'] FOLLOWEDBY [a:b = 'd']) REPEATS 2 TIMES WITHIN 5 SECONDS", 2, 4, 3},
        {"([a:b = 'c'] FOLLOWEDBY [a:b = 'd']) OR ([a:b = 'e'] AND [a:b = 'f'] AND [a:b = 'g'])",
         30, 2, 0},
        {"[a:b = 'c'] AND ([a:b = 'd'] OR [a:b = 'e'])", 7, 2, 1},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct kz_pattern *p = NULL;
        size_t col;
        char why[200];
        assert_int_equal(
            kz_pattern_compile(kz_str_from_cstr(cases[i].pat), &p, why, sizeof(why), &col), KZ_OK);
        assert_int_equal(kz_pattern_completing(p), cases[i].completing);
        assert_int_equal(kz_pattern_min_observations(p), cases[i].min_obs);
        assert_int_equal(kz_pattern_required(p), cases[i].required);
        kz_pattern_free(p);
    }
}

static void
test_never_reachable(void **state)
{
    /* REPEATS 5 cannot be reached with a window of 3 events (and the new one): no hit. */
    static const char *const rows[] = {
        "1700000000.0 c.example", "1700000001.0 c.example", "1700000002.0 c.example",
        "1700000003.0 c.example", "1700000004.0 c.example", "1700000005.0 c.example",
    };
    struct result r = RUN("[domain-name:value = 'c.example'] REPEATS 5 TIMES", rows, 3);
    (void)state;
    assert_int_equal(r.st.hit_lines, 0);
    assert_int_equal(r.st.window_dropped, 3);
    r = RUN("[domain-name:value = 'c.example'] REPEATS 5 TIMES", rows, 4);
    assert_int_equal(r.st.hit_lines, 1);
    assert_string_equal(r.explain, " 5");
}

static void
test_pattern_queries(void **state)
{
    static const struct {
        const char *pat;
        bool multi;
        double span;
    } cases[] = {
        {"[ipv4-addr:value = '1.2.3.4']", false, 0},
        {"[ipv4-addr:value = '1.2.3.4'] OR [domain-name:value = 'a']", false, 0},
        {"[ipv4-addr:value = '1.2.3.4'] WITHIN 5 SECONDS", false, 0},
        {"[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'a']", true, -1},
        {"[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [domain-name:value = 'a']", true, -1},
        {"([a:b = 'c'] FOLLOWEDBY [a:b = 'd']) WITHIN 9 SECONDS", true, 9},
        {"[a:b = 'c'] REPEATS 2 TIMES", true, -1},
        {"([a:b = 'c'] REPEATS 2 TIMES WITHIN 7 SECONDS) OR [a:b = 'd']", true, 7},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct kz_pattern *p = NULL;
        size_t col;
        char why[200];
        assert_int_equal(
            kz_pattern_compile(kz_str_from_cstr(cases[i].pat), &p, why, sizeof(why), &col), KZ_OK);
        assert_int_equal(kz_pattern_multi_event(p), cases[i].multi);
        assert_true(kz_pattern_span_seconds(p) == cases[i].span);
        kz_pattern_free(p);
    }
}

static void
test_eval_part(void **state)
{
    struct kz_pattern *p = NULL;
    size_t col;
    char why[200];
    uint64_t m = 99;
    json_t *a =
        json_loads("{\"type\":\"observed-data\",\"first_observed\":\"2024-01-01T00:00:00Z\","
                   "\"last_observed\":\"2024-01-01T00:00:00Z\",\"number_observed\":1,"
                   "\"objects\":{\"0\":{\"type\":\"domain-name\",\"value\":\"b\"}}}",
                   0, NULL);
    (void)state;
    assert_non_null(a);
    assert_int_equal(kz_pattern_compile(kz_str_from_cstr("[domain-name:value = 'a'] FOLLOWEDBY "
                                                         "[domain-name:value = 'b']"),
                                        &p, why, sizeof(why), &col),
                     KZ_OK);
    assert_int_equal(kz_pattern_eval_part(p, a, &m), KZ_OK);
    assert_int_equal(m, 2); /* the second observation expression */
    assert_int_equal(kz_pattern_completing(p), 2);
    json_object_set_new(json_object_get(json_object_get(a, "objects"), "0"), "value",
                        json_string("c"));
    assert_int_equal(kz_pattern_eval_part(p, a, &m), KZ_OK);
    assert_int_equal(m, 0);
    json_decref(a);
    kz_pattern_free(p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_followedby_in_order), cmocka_unit_test(test_followedby_out_of_order),
        cmocka_unit_test(test_followedby_twice),    cmocka_unit_test(test_within),
        cmocka_unit_test(test_default_horizon),     cmocka_unit_test(test_repeats_reached),
        cmocka_unit_test(test_repeats_not_reached), cmocka_unit_test(test_window_cap),
        cmocka_unit_test(test_start_stop),          cmocka_unit_test(test_and_of_observations),
        cmocka_unit_test(test_same_time),           cmocka_unit_test(test_completing),
        cmocka_unit_test(test_never_reachable),     cmocka_unit_test(test_pattern_queries),
        cmocka_unit_test(test_eval_part),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
