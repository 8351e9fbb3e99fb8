/* The rules file parser, the rule logic, windows and alert ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "correlate/correlate.h"
#include "base/banned.h"

#define H (3600LL * 1000000LL)
#define W1 "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
#define W2 "indicator--0aa8cc3c-5b6e-4b4b-9bb5-6f9b8a3e1f22"

static kz_err
parse(struct kz_rules *r, const char *text, char *why, size_t whylen)
{
    kz_rules_defaults(r);
    return kz_rules_parse(r, text, strlen(text), why, whylen);
}

static void
test_defaults(void **state)
{
    struct kz_rules r;
    (void)state;
    kz_rules_defaults(&r);
    assert_true(r.rule[KZ_RULE_MULTI_ORG].enabled);
    assert_int_equal(r.rule[KZ_RULE_MULTI_ORG].threshold, 2);
    assert_int_equal(r.rule[KZ_RULE_MULTI_ORG].window_us, 24 * H);
    assert_int_equal(r.rule[KZ_RULE_MULTI_SECTOR].severity, KZ_SEVERITY_HIGH);
    assert_true(r.rule[KZ_RULE_MULTI_SECTOR].severity > r.rule[KZ_RULE_MULTI_ORG].severity);
    assert_int_equal(r.n_ci, 10);
    assert_true(kz_rules_is_ci(&r, "electricity"));
    assert_true(kz_rules_is_ci(&r, "water"));
    assert_false(kz_rules_is_ci(&r, "retail"));
    assert_false(kz_rules_is_ci(&r, ""));
    assert_int_equal(r.n_watch, 0);
    assert_string_equal(r.centre, "gsoc");
    kz_rules_release(&r);
}

static void
test_parse_full(void **state)
{
    struct kz_rules r;
    char why[256] = "";
    const char *text = "# operator's rules\n"
                       "\n"
                       "rule multi_org min_orgs=3 window=12h severity=high   # three orgs\n"
                       "rule multi_sector\tmin_sectors=4 window=2d\n"
                       "rule burst min_count=50 window=15m severity=low\r\n"
                       "rule critical_infrastructure off\n"
                       "rule watchlist window=30s severity=critical\n"
                       "ci_sectors electricity gas\n"
                       "ci_sectors water\n"
                       "watch " W2 " " W1 "\n"
                       "watch " W1 "\n"
                       "centre national-soc\n";
    (void)state;
    assert_int_equal(parse(&r, text, why, sizeof(why)), KZ_OK);
    assert_int_equal(r.rule[KZ_RULE_MULTI_ORG].threshold, 3);
    assert_int_equal(r.rule[KZ_RULE_MULTI_ORG].window_us, 12 * H);
    assert_int_equal(r.rule[KZ_RULE_MULTI_ORG].severity, KZ_SEVERITY_HIGH);
    assert_int_equal(r.rule[KZ_RULE_MULTI_SECTOR].threshold, 4);
    assert_int_equal(r.rule[KZ_RULE_MULTI_SECTOR].window_us, 48 * H);
    assert_int_equal(r.rule[KZ_RULE_MULTI_SECTOR].severity, KZ_SEVERITY_HIGH); /* kept */
    assert_int_equal(r.rule[KZ_RULE_BURST].threshold, 50);
    assert_int_equal(r.rule[KZ_RULE_BURST].window_us, 15 * 60 * 1000000LL);
    assert_false(r.rule[KZ_RULE_CRITICAL_INFRA].enabled);
    assert_int_equal(r.rule[KZ_RULE_WATCHLIST].window_us, 30 * 1000000LL);
    assert_int_equal(r.n_ci, 3);
    assert_true(kz_rules_is_ci(&r, "gas"));
    assert_true(kz_rules_is_ci(&r, "water"));
    assert_false(kz_rules_is_ci(&r, "finance")); /* the defaults were replaced */
    assert_int_equal(r.n_watch, 3);
    assert_string_equal(r.centre, "national-soc");
    assert_true(kz_rules_watched(&r, W1));
    assert_true(kz_rules_watched(&r, W2));
    assert_false(kz_rules_watched(&r, "indicator--00000000-0000-4000-8000-000000000000"));
    kz_rules_release(&r);
}

static void
test_rule_on_again(void **state)
{
    struct kz_rules r;
    char why[256];
    (void)state;
    assert_int_equal(parse(&r, "rule burst off\nrule burst on min_count=7\n", why, sizeof(why)),
                     KZ_OK);
    assert_true(r.rule[KZ_RULE_BURST].enabled);
    assert_int_equal(r.rule[KZ_RULE_BURST].threshold, 7);
    kz_rules_release(&r);
}

/* Each bad line: the error names the line and the reason, and the defaults stay. */
static void
test_errors(void **state)
{
    static const struct {
        const char *text;
        const char *want;
    } cases[] = {
        {"rule\n", "line 1: 'rule' needs"},
        {"\n\nrule lonely_wolf\n", "line 3: unknown rule 'lonely_wolf'"},
        {"rule multi_org min_orgs=1\n", "line 1: min_orgs must be"},
        {"rule multi_org min_orgs=two\n", "min_orgs must be"},
        {"rule multi_org min_orgs=\n", "min_orgs must be"},
        {"rule multi_org window=24\n", "window must be"},
        {"rule multi_org window=0h\n", "window must be"},
        {"rule multi_org window=367d\n", "window must be"},
        {"rule multi_org window=-1h\n", "window must be"},
        {"rule multi_org window=1y\n", "window must be"},
        {"rule multi_org severity=urgent\n", "severity must be"},
        {"rule multi_org min_count=3\n", "has no setting 'min_count'"},
        {"rule watchlist min_orgs=3\n", "has no setting 'min_orgs'"},
        {"rule burst maybe\n", "expected 'name=value'"},
        {"ci_sectors Energy\n", "not a sector name"},
        {"watch 198.51.100.7\n", "not an indicator id"},
        {"watch indicator--not-a-uuid\n", "not an indicator id"},
        {"alert everything\n", "line 1: unknown directive 'alert'"},
        {"centre\n", "'centre' needs one"},
        {"centre a b\n", "'centre' needs one"},
        {"centre Big_SOC\n", "'centre' needs one"},
    };
    struct kz_rules r;
    char why[256];
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        why[0] = '\0';
        assert_int_not_equal(parse(&r, cases[i].text, why, sizeof(why)), KZ_OK);
        if (!strstr(why, cases[i].want))
            fail_msg("case %zu: '%s' does not contain '%s'", i, why, cases[i].want);
        assert_int_equal(r.rule[KZ_RULE_MULTI_ORG].threshold, 2);
        assert_int_equal(r.n_ci, 10);
        kz_rules_release(&r);
    }
}

static void
test_nul_and_long_lines(void **state)
{
    struct kz_rules r;
    char why[256], *big = malloc(5000);
    static const char nul[] = "rule burst off\nrule\0burst\n";
    (void)state;
    kz_rules_defaults(&r);
    assert_int_not_equal(kz_rules_parse(&r, nul, sizeof(nul) - 1, why, sizeof(why)), KZ_OK);
    assert_non_null(strstr(why, "line 2"));
    assert_true(r.rule[KZ_RULE_BURST].enabled); /* the defaults after an error */
    memset(big, 'x', 4999);
    big[4999] = '\0';
    assert_int_equal(parse(&r, big, why, sizeof(why)), KZ_ERR_LIMIT);
    free(big);
    kz_rules_release(&r);
}

static void
test_load_names_file_and_line(void **state)
{
    char path[] = "/tmp/kz-rules-XXXXXX", why[512];
    struct kz_rules r;
    FILE *f;
    int fd = mkstemp(path);
    (void)state;
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    fputs("# ok\nrule burst min_count=10\nrule burst min_count=0\n", f);
    fclose(f);
    kz_rules_defaults(&r);
    assert_int_equal(kz_rules_load(&r, path, why, sizeof(why)), KZ_ERR_INVALID);
    assert_non_null(strstr(why, path));
    assert_non_null(strstr(why, ":3: min_count"));
    unlink(path);
    assert_int_equal(kz_rules_load(&r, path, why, sizeof(why)), KZ_ERR_IO);
    kz_rules_release(&r);
}

static void
test_fire(void **state)
{
    struct kz_rules r;
    struct kz_corr_window w = {0};
    (void)state;
    kz_rules_defaults(&r);
    w.n_orgs = 1;
    w.n_sectors = 1;
    w.count = 999;
    assert_false(kz_rules_fire(&r, KZ_RULE_MULTI_ORG, &w));
    assert_false(kz_rules_fire(&r, KZ_RULE_MULTI_SECTOR, &w));
    assert_false(kz_rules_fire(&r, KZ_RULE_CRITICAL_INFRA, &w));
    assert_false(kz_rules_fire(&r, KZ_RULE_BURST, &w));
    assert_false(kz_rules_fire(&r, KZ_RULE_WATCHLIST, &w));
    w.n_orgs = 2;
    assert_true(kz_rules_fire(&r, KZ_RULE_MULTI_ORG, &w));
    assert_false(kz_rules_fire(&r, KZ_RULE_MULTI_SECTOR, &w));
    w.n_sectors = 2;
    assert_true(kz_rules_fire(&r, KZ_RULE_MULTI_SECTOR, &w));
    w.count = 1000;
    assert_true(kz_rules_fire(&r, KZ_RULE_BURST, &w));
    w.ci = true;
    assert_true(kz_rules_fire(&r, KZ_RULE_CRITICAL_INFRA, &w));
    w.watched = true;
    assert_true(kz_rules_fire(&r, KZ_RULE_WATCHLIST, &w));
    r.rule[KZ_RULE_WATCHLIST].enabled = false;
    assert_false(kz_rules_fire(&r, KZ_RULE_WATCHLIST, &w));
    kz_rules_release(&r);
}

static void
test_bucket_and_id(void **state)
{
    char a[KZ_STIX_ID_MAX], b[KZ_STIX_ID_MAX];
    (void)state;
    assert_int_equal(kz_store_corr_bucket(0, 24 * H), 0);
    assert_int_equal(kz_store_corr_bucket(24 * H - 1, 24 * H), 0);
    assert_int_equal(kz_store_corr_bucket(24 * H, 24 * H), 24 * H);
    assert_int_equal(kz_store_corr_bucket(-1, 24 * H), -24 * H);
    kz_corr_alert_id(KZ_RULE_MULTI_ORG, W1, 24 * H, 24 * H, a);
    kz_corr_alert_id(KZ_RULE_MULTI_ORG, W1, 24 * H, 24 * H, b);
    assert_string_equal(a, b);
    assert_int_equal(strlen(a), strlen("alert--") + 36);
    assert_int_equal(strncmp(a, "alert--", 7), 0);
    kz_corr_alert_id(KZ_RULE_MULTI_SECTOR, W1, 24 * H, 24 * H, b);
    assert_string_not_equal(a, b);
    kz_corr_alert_id(KZ_RULE_MULTI_ORG, W2, 24 * H, 24 * H, b);
    assert_string_not_equal(a, b);
    kz_corr_alert_id(KZ_RULE_MULTI_ORG, W1, 24 * H, 48 * H, b);
    assert_string_not_equal(a, b);
    /* the ids of stored alerts never change: BLAKE2b-128 of the rule, indicator and window */
    assert_string_equal(a, "alert--0079c5ff-6cba-5a7d-929f-0db7e59b529e");
    kz_corr_alert_id(KZ_RULE_BURST, W1, H, -5 * H, b);
    assert_string_equal(b, "alert--fd4189ee-8df3-5453-bdcd-21833936e6b3");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_parse_full),
        cmocka_unit_test(test_rule_on_again),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_nul_and_long_lines),
        cmocka_unit_test(test_load_names_file_and_line),
        cmocka_unit_test(test_fire),
        cmocka_unit_test(test_bucket_and_id),
    };
    return cmocka_run_group_tests_name("correlate rules", tests, NULL, NULL);
}
