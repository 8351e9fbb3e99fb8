/* TAXII query parameters: accepted forms, limits, and every refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "taxii/taxii.h"

#define ALL 0x7fu

static kz_err
parse(struct kz_taxii_params *p, const char *k1, const char *v1, const char *k2, const char *v2)
{
    struct kz_http_request req;
    char why[256];

    memset(&req, 0, sizeof(req));
    if (k1) {
        req.params[0] = (struct kz_http_param){k1, v1};
        req.n_params = 1;
    }
    if (k2) {
        req.params[1] = (struct kz_http_param){k2, v2};
        req.n_params = 2;
    }
    return kz_taxii_params_parse(&req, ALL, 100, 1000, p, why, sizeof(why));
}

static void
test_defaults(void **state)
{
    struct kz_taxii_params p;
    (void)state;
    assert_int_equal(parse(&p, NULL, NULL, NULL, NULL), KZ_OK);
    assert_int_equal(p.limit, 100);
    assert_int_equal(p.added_after_us, -1);
    assert_int_equal(p.version_match, KZ_VERSION_LAST);
    kz_taxii_params_release(&p);
}

static void
test_limit_is_clamped_and_checked(void **state)
{
    struct kz_taxii_params p;
    (void)state;
    assert_int_equal(parse(&p, "limit", "5000", NULL, NULL), KZ_OK);
    assert_int_equal(p.limit, 1000);
    kz_taxii_params_release(&p);
    assert_int_equal(parse(&p, "limit", "0", NULL, NULL), KZ_ERR_INVALID);
    assert_int_equal(parse(&p, "limit", "ten", NULL, NULL), KZ_ERR_INVALID);
    assert_int_equal(parse(&p, "limit", "1", "limit", "2"), KZ_ERR_INVALID);
}

static void
test_next_overrides_added_after(void **state)
{
    struct kz_taxii_params p;
    (void)state;
    assert_int_equal(parse(&p, "added_after", "2026-01-01T00:00:00Z", "next", "42"), KZ_OK);
    assert_int_equal(p.added_after_us, 42);
    kz_taxii_params_release(&p);
    assert_int_equal(parse(&p, "next", "42", "added_after", "2026-01-01T00:00:00Z"), KZ_OK);
    assert_int_equal(p.added_after_us, 42);
    kz_taxii_params_release(&p);
    assert_int_equal(parse(&p, "next", "-1", NULL, NULL), KZ_ERR_INVALID);
    assert_int_equal(parse(&p, "added_after", "2026-01-01", NULL, NULL), KZ_ERR_INVALID);
}

static void
test_match_lists(void **state)
{
    struct kz_taxii_params p;
    (void)state;
    assert_int_equal(parse(&p, "match[type]", "indicator,malware", "match[id]", "x--1"), KZ_OK);
    assert_int_equal(p.n_types, 2);
    assert_string_equal(p.types[1], "malware");
    assert_int_equal(p.n_ids, 1);
    kz_taxii_params_release(&p);
    assert_int_equal(parse(&p, "match[type]", "a,,b", NULL, NULL), KZ_ERR_INVALID);
    assert_int_equal(parse(&p, "match[type]", "", NULL, NULL), KZ_ERR_INVALID);
    assert_int_equal(parse(&p, "match[spec_version]", "2.2", NULL, NULL), KZ_ERR_INVALID);
    assert_int_equal(parse(&p, "match[colour]", "red", NULL, NULL), KZ_ERR_INVALID);
}

static void
test_match_version(void **state)
{
    struct kz_taxii_params p;
    (void)state;
    assert_int_equal(parse(&p, "match[version]", "first", NULL, NULL), KZ_OK);
    assert_int_equal(p.version_match, KZ_VERSION_FIRST);
    kz_taxii_params_release(&p);
    assert_int_equal(parse(&p, "match[version]", "all", NULL, NULL), KZ_OK);
    assert_int_equal(p.version_match, KZ_VERSION_ALL);
    kz_taxii_params_release(&p);
    assert_int_equal(parse(&p, "match[version]", "2026-01-01T00:00:00Z,2026-02-01T00:00:00.5Z",
                           NULL, NULL),
                     KZ_OK);
    assert_int_equal(p.version_match, KZ_VERSION_LIST);
    assert_int_equal(p.n_versions, 2);
    kz_taxii_params_release(&p);
    assert_int_equal(parse(&p, "match[version]", "newest", NULL, NULL), KZ_ERR_INVALID);
    assert_int_equal(parse(&p, "match[version]", "first,2026-01-01T00:00:00Z", NULL, NULL),
                     KZ_ERR_INVALID);
}

static void
test_endpoint_flags(void **state)
{
    struct kz_http_request req;
    struct kz_taxii_params p;
    char why[256];
    (void)state;
    memset(&req, 0, sizeof(req));
    req.params[0] = (struct kz_http_param){"match[id]", "x"};
    req.n_params = 1;
    assert_int_equal(kz_taxii_params_parse(&req, KZ_TAXII_P_LIMIT, 1, 1, &p, why, sizeof(why)),
                     KZ_ERR_INVALID);
    assert_non_null(strstr(why, "match[id]"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_limit_is_clamped_and_checked),
        cmocka_unit_test(test_next_overrides_added_after),
        cmocka_unit_test(test_match_lists),
        cmocka_unit_test(test_match_version),
        cmocka_unit_test(test_endpoint_flags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
