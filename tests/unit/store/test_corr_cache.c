/*
 * The in-memory correlation windows: interning, folding rows into windows of several
 * lengths, the alert map, and growth well past the first table sizes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "store/corr_cache.h"
#include "store/store.h"
#include "base/banned.h"

#define HOUR (3600LL * 1000000)
#define DAY (24 * HOUR)

static void
test_intern(void **state)
{
    struct kz_corr_strings t;
    char s[32];
    uint32_t n;

    (void)state;
    kz_corr_strings_init(&t);
    assert_int_equal(kz_corr_intern(&t, "a"), 0);
    assert_int_equal(kz_corr_intern(&t, "b"), 1);
    assert_int_equal(kz_corr_intern(&t, "a"), 0);
    assert_false(kz_corr_find(&t, "c", &n));
    assert_true(kz_corr_find(&t, "b", &n));
    assert_int_equal(n, 1);
    /* many more than the first table holds: every string keeps its number */
    for (int i = 0; i < 100000; i++) {
        snprintf(s, sizeof(s), "indicator-%d", i);
        assert_int_equal(kz_corr_intern(&t, s), (uint32_t)i + 2);
    }
    for (int i = 0; i < 100000; i += 997) {
        snprintf(s, sizeof(s), "indicator-%d", i);
        assert_true(kz_corr_find(&t, s, &n));
        assert_int_equal(n, (uint32_t)i + 2);
        assert_string_equal(kz_corr_string(&t, n), s);
    }
    assert_string_equal(kz_corr_string(&t, 1000000), "");
    kz_corr_strings_release(&t);
}

static struct kz_corr_row
row(uint32_t ind, uint32_t org, uint32_t coll, uint64_t count, int64_t first, int64_t last)
{
    return (struct kz_corr_row){0, ind, org, 7, coll, KZ_TLP_GREEN, count, first, last, last + 1};
}

static void
test_windows(void **state)
{
    const int64_t lengths[2] = {DAY, HOUR};
    struct kz_corr_strings t;
    struct kz_corr_state st;
    const struct kz_corr_folded *w;
    struct kz_corr_row r;

    (void)state;
    kz_corr_strings_init(&t);
    kz_corr_state_init(&st);
    r = row(1, 10, 20, 2, 5 * HOUR, 5 * HOUR + 10);
    kz_corr_state_add(&st, &t, &r, lengths, 2);
    r = row(1, 10, 20, 3, 4 * HOUR, 5 * HOUR + 20);
    kz_corr_state_add(&st, &t, &r, lengths, 2);
    r = row(1, 11, 20, 1, 9 * HOUR, 9 * HOUR);
    kz_corr_state_add(&st, &t, &r, lengths, 2);
    /* the same organisation and collection fold into one part; counts add, times widen */
    w = kz_corr_state_window(&st, &t, 1, DAY, 0);
    assert_non_null(w);
    assert_int_equal(w->n, 2);
    assert_int_equal(kz_corr_parts(w)[0].count, 5);
    assert_int_equal(kz_corr_parts(w)[0].first_us, 4 * HOUR);
    assert_int_equal(kz_corr_parts(w)[0].last_us, 5 * HOUR + 20);
    assert_int_equal(kz_corr_parts(w)[0].updated_us, 5 * HOUR + 21);
    assert_int_equal(kz_corr_parts(w)[0].sector, 7);
    /* hour windows split them by last_us */
    w = kz_corr_state_window(&st, &t, 1, HOUR, 5 * HOUR);
    assert_non_null(w);
    assert_int_equal(w->n, 1);
    assert_int_equal(kz_corr_parts(w)[0].count, 5);
    assert_non_null(kz_corr_state_window(&st, &t, 1, HOUR, 9 * HOUR));
    assert_null(kz_corr_state_window(&st, &t, 1, HOUR, 4 * HOUR));
    assert_null(kz_corr_state_window(&st, &t, 3, DAY, 0));
    /* many parts in one window: each organisation keeps its own */
    for (uint32_t org = 0; org < 40; org++)
        for (int k = 0; k < 2; k++) {
            r = row(2, 1000 + org, 20, org + 1, DAY + HOUR, DAY + HOUR);
            kz_corr_state_add(&st, &t, &r, lengths, 2);
        }
    w = kz_corr_state_window(&st, &t, 2, DAY, DAY);
    assert_non_null(w);
    assert_int_equal(w->n, 40);
    for (uint32_t org = 0; org < 40; org++) {
        assert_int_equal(kz_corr_parts(w)[org].org, 1000 + org);
        assert_int_equal(kz_corr_parts(w)[org].count, 2 * (org + 1));
    }
    /* many windows */
    for (uint32_t i = 0; i < 50000; i++) {
        r = row(100 + i, 10, 20, 1, DAY * (i % 7), DAY * (i % 7));
        kz_corr_state_add(&st, &t, &r, lengths, 1);
    }
    for (uint32_t i = 0; i < 50000; i += 101) {
        w = kz_corr_state_window(&st, &t, 100 + i, DAY, DAY * (i % 7));
        assert_non_null(w);
        assert_int_equal(w->indicator, 100 + i);
    }
    kz_corr_state_clear_windows(&st);
    assert_null(kz_corr_state_window(&st, &t, 1, DAY, 0));
    /* the memory is used again after a clear */
    r = row(1, 10, 20, 6, 5 * HOUR, 5 * HOUR);
    kz_corr_state_add(&st, &t, &r, lengths, 1);
    w = kz_corr_state_window(&st, &t, 1, DAY, 0);
    assert_non_null(w);
    assert_int_equal(w->n, 1);
    assert_int_equal(kz_corr_parts(w)[0].count, 6);
    kz_corr_state_release(&st);
    kz_corr_strings_release(&t);
}

static void
test_alerts(void **state)
{
    struct kz_corr_strings t;
    struct kz_corr_state st;

    (void)state;
    kz_corr_strings_init(&t);
    kz_corr_state_init(&st);
    assert_int_equal(kz_corr_state_alert_seq(&st, &t, 3), 0);
    for (uint32_t i = 0; i < 20000; i++)
        kz_corr_state_alert_put(&st, &t, i, (int64_t)i + 1, 1, DAY, DAY * (i % 5));
    /* a second put of a known id keeps the first row */
    kz_corr_state_alert_put(&st, &t, 3, 99, 1, DAY, 0);
    assert_int_equal(kz_corr_state_alert_seq(&st, &t, 3), 4);
    assert_int_equal(kz_corr_state_alert_seq(&st, &t, 19999), 20000);
    assert_int_equal(kz_corr_state_alert_seq(&st, &t, 20000), 0);
    /* clearing the windows keeps the alerts */
    kz_corr_state_clear_windows(&st);
    assert_int_equal(kz_corr_state_alert_seq(&st, &t, 3), 4);
    kz_corr_state_release(&st);
    kz_corr_strings_release(&t);
}

static void
take_seq(void *ctx, int64_t seq)
{
    int64_t *sum = ctx;

    *sum += seq;
}

/* The alerts of an organisation: those on the windows it sighted in. */
static void
test_alerts_of_org(void **state)
{
    const int64_t day = DAY;
    struct kz_corr_strings t;
    struct kz_corr_state st;
    struct kz_corr_row r;
    int64_t sum = 0;

    (void)state;
    kz_corr_strings_init(&t);
    kz_corr_state_init(&st);
    /* org 10 in windows (1, day 0) and (2, day 0); org 11 in (1, day 0) and (1, day 1) */
    r = row(1, 10, 20, 1, HOUR, HOUR);
    kz_corr_state_add(&st, &t, &r, &day, 1);
    r = row(1, 10, 21, 1, HOUR, HOUR); /* a second part of the same org: one entry */
    kz_corr_state_add(&st, &t, &r, &day, 1);
    r = row(2, 10, 20, 1, HOUR, HOUR);
    kz_corr_state_add(&st, &t, &r, &day, 1);
    r = row(1, 11, 20, 1, HOUR, HOUR);
    kz_corr_state_add(&st, &t, &r, &day, 1);
    r = row(1, 11, 20, 1, DAY + HOUR, DAY + HOUR);
    kz_corr_state_add(&st, &t, &r, &day, 1);
    /* two alerts on (1, day 0), one on (2, day 0), one on (1, day 1), one on a window
     * nobody sighted in */
    kz_corr_state_alert_put(&st, &t, 100, 1, 1, DAY, 0);
    kz_corr_state_alert_put(&st, &t, 101, 2, 1, DAY, 0);
    kz_corr_state_alert_put(&st, &t, 102, 4, 2, DAY, 0);
    kz_corr_state_alert_put(&st, &t, 103, 8, 1, DAY, DAY);
    kz_corr_state_alert_put(&st, &t, 104, 16, 3, DAY, 0);
    kz_corr_state_alerts_of(&st, &t, 10, take_seq, &sum);
    assert_int_equal(sum, 1 + 2 + 4);
    sum = 0;
    kz_corr_state_alerts_of(&st, &t, 11, take_seq, &sum);
    assert_int_equal(sum, 1 + 2 + 8);
    sum = 0;
    kz_corr_state_alerts_of(&st, &t, 12, take_seq, &sum);
    kz_corr_state_alerts_of(&st, &t, 100000, take_seq, &sum);
    assert_int_equal(sum, 0);
    /* windows cleared: no organisation is in any until they are folded again */
    kz_corr_state_clear_windows(&st);
    kz_corr_state_alerts_of(&st, &t, 10, take_seq, &sum);
    assert_int_equal(sum, 0);
    r = row(2, 10, 20, 1, HOUR, HOUR);
    kz_corr_state_add(&st, &t, &r, &day, 1);
    kz_corr_state_alerts_of(&st, &t, 10, take_seq, &sum);
    assert_int_equal(sum, 4);
    kz_corr_state_release(&st);
    kz_corr_strings_release(&t);
}

static void
test_bucket(void **state)
{
    (void)state;
    assert_int_equal(kz_store_corr_bucket(0, DAY), 0);
    assert_int_equal(kz_store_corr_bucket(DAY - 1, DAY), 0);
    assert_int_equal(kz_store_corr_bucket(DAY, DAY), DAY);
    assert_int_equal(kz_store_corr_bucket(-1, DAY), -DAY);
    assert_int_equal(kz_store_corr_bucket(-DAY, DAY), -DAY);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intern),
        cmocka_unit_test(test_windows),
        cmocka_unit_test(test_alerts),
        cmocka_unit_test(test_alerts_of_org),
        cmocka_unit_test(test_bucket),
    };
    return cmocka_run_group_tests_name("correlation cache", tests, NULL, NULL);
}
