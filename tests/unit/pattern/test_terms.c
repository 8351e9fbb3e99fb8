/* Tests of kz_pattern_simple_terms: what the match index may take, and what it must not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "pattern/pattern.h"

static kz_err
terms_of(const char *pattern, struct kz_pattern_terms *t)
{
    return kz_pattern_simple_terms(kz_str_from_cstr(pattern), t);
}

static void
expect_term(const struct kz_pattern_terms *t, size_t i, const char *path,
            enum kz_pattern_term_op op, const char *value)
{
    assert_true(i < t->n);
    assert_string_equal(t->items[i].path, path);
    assert_int_equal(t->items[i].op, op);
    assert_string_equal(t->items[i].value, value);
}

static void
test_single_eq(void **state)
{
    struct kz_pattern_terms t;
    (void)state;
    assert_int_equal(terms_of("[ipv4-addr:value = '198.51.100.1']", &t), KZ_OK);
    assert_int_equal(t.n, 1);
    expect_term(&t, 0, "ipv4-addr:value", KZ_TERM_EQ, "198.51.100.1");
    kz_pattern_terms_release(&t);
    assert_null(t.items);
}

static void
test_quoted_key_unquoted(void **state)
{
    struct kz_pattern_terms t;
    (void)state;
    assert_int_equal(terms_of("[file:hashes.'SHA-256' = "
                              "'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
                              &t),
                     KZ_OK);
    assert_int_equal(t.n, 1);
    expect_term(&t, 0, "file:hashes.SHA-256", KZ_TERM_EQ,
                "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f");
    kz_pattern_terms_release(&t);
}

static void
test_subset(void **state)
{
    struct kz_pattern_terms t;
    (void)state;
    assert_int_equal(terms_of("[ipv4-addr:value ISSUBSET '198.51.100.0/24']", &t), KZ_OK);
    assert_int_equal(t.n, 1);
    expect_term(&t, 0, "ipv4-addr:value", KZ_TERM_SUBSET, "198.51.100.0/24");
    kz_pattern_terms_release(&t);
}

static void
test_or_inside_and_across_observations(void **state)
{
    struct kz_pattern_terms t;
    (void)state;
    assert_int_equal(terms_of("[domain-name:value = 'evil.example' OR url:value = "
                              "'http://evil.example/a'] OR [email-addr:value = 'x@evil.example']",
                              &t),
                     KZ_OK);
    assert_int_equal(t.n, 3);
    /* Sorted by path. */
    expect_term(&t, 0, "domain-name:value", KZ_TERM_EQ, "evil.example");
    expect_term(&t, 1, "email-addr:value", KZ_TERM_EQ, "x@evil.example");
    expect_term(&t, 2, "url:value", KZ_TERM_EQ, "http://evil.example/a");
    kz_pattern_terms_release(&t);
}

static void
test_parentheses_and_escapes(void **state)
{
    struct kz_pattern_terms t;
    (void)state;
    assert_int_equal(terms_of("([file:name = 'it\\'s \\\\ here'])", &t), KZ_OK);
    assert_int_equal(t.n, 1);
    expect_term(&t, 0, "file:name", KZ_TERM_EQ, "it's \\ here");
    kz_pattern_terms_release(&t);
}

static void
test_in_of_one_value(void **state)
{
    struct kz_pattern_terms t;
    (void)state;
    assert_int_equal(terms_of("[domain-name:value IN ('evil.example')]", &t), KZ_OK);
    assert_int_equal(t.n, 1);
    expect_term(&t, 0, "domain-name:value", KZ_TERM_EQ, "evil.example");
    kz_pattern_terms_release(&t);
    assert_int_equal(terms_of("[domain-name:value IN ('a.example', 'b.example')]", &t),
                     KZ_ERR_NOTFOUND);
}

static void
test_and_of_the_same_term(void **state)
{
    struct kz_pattern_terms t;
    (void)state;
    assert_int_equal(terms_of("[url:value = 'http://a/' AND url:value = 'http://a/']", &t), KZ_OK);
    assert_int_equal(t.n, 1);
    kz_pattern_terms_release(&t);
    assert_int_equal(terms_of("[url:value = 'http://a/'] AND [url:value = 'http://a/']", &t),
                     KZ_OK);
    assert_int_equal(t.n, 1);
    kz_pattern_terms_release(&t);
    assert_int_equal(terms_of("[url:value = 'http://a/' AND url:value = 'http://b/']", &t),
                     KZ_ERR_NOTFOUND);
}

static void
test_ref_and_list_steps_kept(void **state)
{
    struct kz_pattern_terms t;
    (void)state;
    assert_int_equal(terms_of("[network-traffic:dst_ref.value = '203.0.113.9']", &t), KZ_OK);
    expect_term(&t, 0, "network-traffic:dst_ref.value", KZ_TERM_EQ, "203.0.113.9");
    kz_pattern_terms_release(&t);
    assert_int_equal(terms_of("[email-message:to_refs[*].value = 'a@b.example']", &t), KZ_OK);
    expect_term(&t, 0, "email-message:to_refs[*].value", KZ_TERM_EQ, "a@b.example");
    kz_pattern_terms_release(&t);
}

static void
test_needs_the_evaluator(void **state)
{
    static const char *const cases[] = {
        "[ipv4-addr:value != '1.2.3.4']",
        "[ipv4-addr:value NOT = '1.2.3.4']",
        "[file:size = 5]",
        "[file:name LIKE 'a%']",
        "[file:name MATCHES '^a']",
        "[ipv4-addr:value = '1.2.3.4'] WITHIN 5 SECONDS",
        "[ipv4-addr:value = '1.2.3.4'] REPEATS 2 TIMES",
        "[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [ipv4-addr:value = '1.2.3.5']",
        "[ipv4-addr:value = '1.2.3.4'] START t'2020-01-01T00:00:00Z' STOP "
        "t'2021-01-01T00:00:00Z'",
        "[ipv4-addr:value ISSUPERSET '1.2.3.0/24']",
        "[EXISTS file:name]",
        "[file:name = 'a' AND file:size = 3]",
        "[file:hashes.MD5 = h'00ff']",
    };
    struct kz_pattern_terms t;
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        t.n = 99;
        assert_int_equal(terms_of(cases[i], &t), KZ_ERR_NOTFOUND);
        assert_int_equal(t.n, 99); /* untouched */
    }
}

static void
test_invalid(void **state)
{
    struct kz_pattern_terms t;
    (void)state;
    assert_int_equal(terms_of("[ipv4-addr:value = '1.2.3.4'", &t), KZ_ERR_INVALID);
    assert_int_equal(terms_of("", &t), KZ_ERR_INVALID);
    assert_int_equal(terms_of("[ipv4-addr:value ISSUBSET 'nope']", &t), KZ_ERR_INVALID);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_eq),
        cmocka_unit_test(test_quoted_key_unquoted),
        cmocka_unit_test(test_subset),
        cmocka_unit_test(test_or_inside_and_across_observations),
        cmocka_unit_test(test_parentheses_and_escapes),
        cmocka_unit_test(test_in_of_one_value),
        cmocka_unit_test(test_and_of_the_same_term),
        cmocka_unit_test(test_ref_and_list_steps_kept),
        cmocka_unit_test(test_needs_the_evaluator),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
