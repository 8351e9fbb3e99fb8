/* Tests of the evaluator: every operator and qualifier, against observed-data, both ways. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "pattern/pattern.h"

/* JSON written with ` for " keeps the fixtures readable. */
static json_t *
J(const char *text)
{
    char *s = strdup(text);
    json_error_t e;
    json_t *j;

    for (char *p = s; *p; p++)
        if (*p == '`')
            *p = '"';
    j = json_loads(s, 0, &e);
    if (j == NULL)
        fail_msg("bad fixture: %s: %s", e.text, s);
    free(s);
    return j;
}

/* One observed-data, 2.0 style, at minute m (first and last observed the same). */
static char *
od(int m, const char *objects)
{
    char *s = malloc(strlen(objects) + 200);
    sprintf(s,
            "{`type`:`observed-data`,`first_observed`:`2024-01-01T00:%02d:00Z`,"
            "`last_observed`:`2024-01-01T00:%02d:00Z`,`number_observed`:1,`objects`:%s}",
            m, m, objects);
    return s;
}

static int
eval3(const char *pattern, const char *observations, const char *scos)
{
    struct kz_pattern *p = NULL;
    char why[200];
    size_t col;
    bool matched = false;
    json_t *o = J(observations), *s = scos ? J(scos) : NULL;
    kz_err err = kz_pattern_compile(kz_str_from_cstr(pattern), &p, why, sizeof(why), &col);

    if (err != KZ_OK)
        fail_msg("'%s' does not compile: %s at %zu", pattern, why, col);
    err = kz_pattern_eval(p, o, s, &matched);
    kz_pattern_free(p);
    json_decref(o);
    json_decref(s);
    if (err != KZ_OK)
        return -(int)err;
    return matched;
}

/* Evaluates against one observation at minute 0 holding objects. */
static int
eval1(const char *pattern, const char *objects)
{
    char *o = od(0, objects);
    char *arr = malloc(strlen(o) + 3);
    int r;

    sprintf(arr, "[%s]", o);
    r = eval3(pattern, arr, NULL);
    free(o);
    free(arr);
    return r;
}

static const char FILEOBJ[] =
    "{`0`:{`type`:`file`,`name`:`report.exe`,`size`:1024,`ratio`:0.5,`hidden`:true,"
    "`ctime`:`2023-05-01T10:00:00Z`,`magic_number_hex`:`4d5a`,`payload_bin`:`TVo=`,"
    "`hashes`:{`SHA-256`:`aa11`,`MD5`:`bb22`},`tags`:[`red`,`green`],"
    "`extensions`:{`windows-pebinary-ext`:{`sections`:[{`name`:`.text`,`entropy`:7.9},"
    "{`name`:`.data`,`entropy`:1.1}]}},`parent_directory_ref`:`1`},"
    "`1`:{`type`:`directory`,`path`:`C:\\\\Windows`}}";

static const char NET[] =
    "{`0`:{`type`:`ipv4-addr`,`value`:`198.51.100.7`},"
    "`1`:{`type`:`ipv6-addr`,`value`:`2001:db8::1`},"
    "`2`:{`type`:`network-traffic`,`src_ref`:`0`,`dst_port`:443,`protocols`:[`tcp`,`tls`]}}";

static void
test_equality(void **state)
{
    (void)state;
    assert_int_equal(eval1("[file:name = 'report.exe']", FILEOBJ), 1);
    assert_int_equal(eval1("[file:name = 'other.exe']", FILEOBJ), 0);
    assert_int_equal(eval1("[file:name != 'other.exe']", FILEOBJ), 1);
    assert_int_equal(eval1("[file:name != 'report.exe']", FILEOBJ), 0);
    assert_int_equal(eval1("[file:name NOT = 'report.exe']", FILEOBJ), 0);
    assert_int_equal(eval1("[file:hashes.'SHA-256' = 'aa11']", FILEOBJ), 1);
    assert_int_equal(eval1("[file:hashes.MD5 = 'aa11']", FILEOBJ), 0);
    assert_int_equal(eval1("[file:hidden = true]", FILEOBJ), 1);
    assert_int_equal(eval1("[file:hidden = false]", FILEOBJ), 0);
    /* A string never equals a number. */
    assert_int_equal(eval1("[file:size = '1024']", FILEOBJ), 0);
    assert_int_equal(eval1("[file:size != '1024']", FILEOBJ), 0);
}

static void
test_ordering(void **state)
{
    (void)state;
    assert_int_equal(eval1("[file:size > 1000]", FILEOBJ), 1);
    assert_int_equal(eval1("[file:size >= 1024]", FILEOBJ), 1);
    assert_int_equal(eval1("[file:size < 1024]", FILEOBJ), 0);
    assert_int_equal(eval1("[file:size <= 1024]", FILEOBJ), 1);
    assert_int_equal(eval1("[file:size NOT > 1000]", FILEOBJ), 0);
    assert_int_equal(eval1("[file:ratio < 0.75]", FILEOBJ), 1);
    assert_int_equal(eval1("[file:ratio > 1]", FILEOBJ), 0);
    assert_int_equal(eval1("[file:size = 1024.0]", FILEOBJ), 1);
    assert_int_equal(eval1("[file:name < 's']", FILEOBJ), 1);
    assert_int_equal(eval1("[file:name > 's']", FILEOBJ), 0);
    assert_int_equal(eval1("[file:ctime > t'2023-01-01T00:00:00Z']", FILEOBJ), 1);
    assert_int_equal(eval1("[file:ctime < t'2023-01-01T00:00:00Z']", FILEOBJ), 0);
    assert_int_equal(eval1("[file:ctime = t'2023-05-01T10:00:00.000Z']", FILEOBJ), 1);
}

static void
test_binary_and_hex(void **state)
{
    (void)state;
    assert_int_equal(eval1("[file:magic_number_hex = h'4D5A']", FILEOBJ), 1);
    assert_int_equal(eval1("[file:magic_number_hex = h'4d5b']", FILEOBJ), 0);
    assert_int_equal(eval1("[file:payload_bin = b'TVo=']", FILEOBJ), 1);
    assert_int_equal(eval1("[file:payload_bin = h'4d5a']", FILEOBJ), 1);
    assert_int_equal(eval1("[file:payload_bin = b'TVs=']", FILEOBJ), 0);
}

static void
test_in(void **state)
{
    (void)state;
    assert_int_equal(eval1("[file:name IN ('a.exe', 'report.exe')]", FILEOBJ), 1);
    assert_int_equal(eval1("[file:name IN ('a.exe', 'b.exe')]", FILEOBJ), 0);
    assert_int_equal(eval1("[file:name NOT IN ('a.exe', 'b.exe')]", FILEOBJ), 1);
    assert_int_equal(eval1("[file:size IN (1, 1024)]", FILEOBJ), 1);
    assert_int_equal(eval1("[file:size IN ()]", FILEOBJ), 0);
}

static void
test_like(void **state)
{
    (void)state;
    assert_int_equal(eval1("[file:name LIKE 'report.%']", FILEOBJ), 1);
    assert_int_equal(eval1("[file:name LIKE '%.exe']", FILEOBJ), 1);
    assert_int_equal(eval1("[file:name LIKE 'r_port.exe']", FILEOBJ), 1);
    assert_int_equal(eval1("[file:name LIKE 'r_port']", FILEOBJ), 0);
    assert_int_equal(eval1("[file:name LIKE '%.dll']", FILEOBJ), 0);
    assert_int_equal(eval1("[file:name NOT LIKE '%.dll']", FILEOBJ), 1);
    assert_int_equal(eval1("[file:size LIKE '1%']", FILEOBJ), 0);
}

static void
test_like_operator_directly(void **state)
{
    (void)state;
    /* '_' is one character, not one byte. */
    assert_int_equal(eval1("[file:name LIKE 'caf_']", "{`0`:{`type`:`file`,`name`:`caf\u00e9`}}"),
                     1);
    assert_int_equal(
        eval1("[file:name LIKE '%%a%%b%%']", "{`0`:{`type`:`file`,`name`:`xxaxxbxx`}}"), 1);
    assert_int_equal(eval1("[file:name LIKE '']", "{`0`:{`type`:`file`,`name`:``}}"), 1);
}

static void
test_matches(void **state)
{
    (void)state;
    assert_int_equal(eval1("[file:name MATCHES '^rep.*\\\\.exe$']", FILEOBJ), 1);
    assert_int_equal(eval1("[file:name MATCHES '^x']", FILEOBJ), 0);
    assert_int_equal(eval1("[file:name NOT MATCHES '^x']", FILEOBJ), 1);
    assert_int_equal(
        eval1("[file:name MATCHES '^caf.$']", "{`0`:{`type`:`file`,`name`:`caf\u00e9`}}"), 1);
    /* Catastrophic backtracking is cut off, not waited for. */
    assert_int_equal(
        eval1("[file:name MATCHES '^(a+)+$']",
              "{`0`:{`type`:`file`,`name`:`aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab`}}"),
        0);
}

static void
test_subset_superset(void **state)
{
    (void)state;
    assert_int_equal(eval1("[ipv4-addr:value ISSUBSET '198.51.100.0/24']", NET), 1);
    assert_int_equal(eval1("[ipv4-addr:value ISSUBSET '198.51.101.0/24']", NET), 0);
    assert_int_equal(eval1("[ipv4-addr:value NOT ISSUBSET '198.51.101.0/24']", NET), 1);
    assert_int_equal(eval1("[ipv4-addr:value ISSUBSET '0.0.0.0/0']", NET), 1);
    assert_int_equal(eval1("[ipv6-addr:value ISSUBSET '2001:db8::/32']", NET), 1);
    assert_int_equal(eval1("[ipv6-addr:value ISSUBSET '2001:db9::/32']", NET), 0);
    assert_int_equal(eval1("[ipv4-addr:value ISSUPERSET '198.51.100.7']", NET), 1);
    assert_int_equal(eval1("[ipv4-addr:value ISSUPERSET '198.51.100.0/24']", NET), 0);
    assert_int_equal(eval1("[ipv4-addr:value ISSUPERSET '198.51.100.0/24']",
                           "{`0`:{`type`:`ipv4-addr`,`value`:`198.51.0.0/16`}}"),
                     1);
    /* Different families never contain each other. */
    assert_int_equal(eval1("[ipv6-addr:value ISSUBSET '0.0.0.0/0']", NET), 0);
}

static void
test_exists(void **state)
{
    (void)state;
    assert_int_equal(eval1("[EXISTS file:hashes.MD5]", FILEOBJ), 1);
    assert_int_equal(eval1("[EXISTS file:hashes.'SHA-512']", FILEOBJ), 0);
    assert_int_equal(eval1("[EXISTS email-message:subject]", FILEOBJ), 0);
}

static void
test_lists_and_refs(void **state)
{
    (void)state;
    assert_int_equal(eval1("[file:tags[*] = 'green']", FILEOBJ), 1);
    assert_int_equal(eval1("[file:tags[0] = 'green']", FILEOBJ), 0);
    assert_int_equal(eval1("[file:tags[1] = 'green']", FILEOBJ), 1);
    assert_int_equal(eval1("[file:tags[5] = 'green']", FILEOBJ), 0);
    assert_int_equal(
        eval1("[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]", FILEOBJ), 1);
    assert_int_equal(
        eval1("[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 8]", FILEOBJ), 0);
    assert_int_equal(eval1("[file:parent_directory_ref.path = 'C:\\\\Windows']", FILEOBJ), 1);
    assert_int_equal(eval1("[network-traffic:src_ref.value = '198.51.100.7']", NET), 1);
    assert_int_equal(eval1("[network-traffic:src_ref.value ISSUBSET '198.51.100.0/28']", NET), 1);
    assert_int_equal(
        eval1("[network-traffic:protocols[*] = 'tls' AND network-traffic:dst_port = 443]", NET), 1);
    assert_int_equal(eval1("[email-message:to_refs[*].value = 'b@example.org']",
                           "{`0`:{`type`:`email-message`,`to_refs`:[`1`,`2`]},"
                           "`1`:{`type`:`email-addr`,`value`:`a@example.org`},"
                           "`2`:{`type`:`email-addr`,`value`:`b@example.org`}}"),
                     1);
}

static void
test_same_object_for_one_type(void **state)
{
    static const char two_files[] = "{`0`:{`type`:`file`,`name`:`a`,`size`:1},"
                                    "`1`:{`type`:`file`,`name`:`b`,`size`:2}}";
    (void)state;
    assert_int_equal(eval1("[file:name = 'a' AND file:size = 1]", two_files), 1);
    assert_int_equal(eval1("[file:name = 'a' AND file:size = 2]", two_files), 0);
    assert_int_equal(eval1("[file:name = 'a' OR file:size = 2]", two_files), 1);
    /* Different types bind independently; a missing type fails only its own comparisons. */
    assert_int_equal(eval1("[file:name = 'b' AND ipv4-addr:value = '198.51.100.7']",
                           "{`0`:{`type`:`file`,`name`:`b`},"
                           "`1`:{`type`:`ipv4-addr`,`value`:`198.51.100.7`}}"),
                     1);
    assert_int_equal(eval1("[file:name = 'zzz' OR file:size = 2]", two_files), 1);
    assert_int_equal(eval1("[ipv4-addr:value = '1.2.3.4' OR file:size = 2]", two_files), 1);
    /* Precedence: AND binds tighter than OR. */
    assert_int_equal(eval1("[file:name = 'zzz' AND file:size = 9 OR file:name = 'a']", two_files),
                     1);
    assert_int_equal(eval1("[file:name = 'zzz' AND (file:size = 9 OR file:name = 'a')]", two_files),
                     0);
}

static void
test_missing_property_is_false_even_negated(void **state)
{
    (void)state;
    assert_int_equal(eval1("[file:mime_type != 'text/plain']", FILEOBJ), 0);
    assert_int_equal(eval1("[file:mime_type NOT LIKE 'text%']", FILEOBJ), 0);
}

/* Three observations: a file at minute 0, an address at minute 1, the file again at 10. */
static char *
three(void)
{
    char *a = od(0, "{`0`:{`type`:`file`,`name`:`a.exe`}}");
    char *b = od(1, "{`0`:{`type`:`ipv4-addr`,`value`:`10.0.0.1`}}");
    char *c = od(10, "{`0`:{`type`:`file`,`name`:`a.exe`}}");
    char *s = malloc(strlen(a) + strlen(b) + strlen(c) + 8);
    sprintf(s, "[%s,%s,%s]", a, b, c);
    free(a);
    free(b);
    free(c);
    return s;
}

static void
test_observation_operators(void **state)
{
    char *obs = three();
    (void)state;
    assert_int_equal(eval3("[file:name = 'a.exe'] AND [ipv4-addr:value = '10.0.0.1']", obs, NULL),
                     1);
    assert_int_equal(eval3("[file:name = 'a.exe'] AND [ipv4-addr:value = '10.0.0.2']", obs, NULL),
                     0);
    assert_int_equal(eval3("[file:name = 'b.exe'] OR [ipv4-addr:value = '10.0.0.1']", obs, NULL),
                     1);
    assert_int_equal(eval3("[file:name = 'b.exe'] OR [ipv4-addr:value = '10.0.0.2']", obs, NULL),
                     0);
    /* The same observation cannot stand for both sides of an AND. */
    assert_int_equal(
        eval3("[ipv4-addr:value = '10.0.0.1'] AND [ipv4-addr:value = '10.0.0.1']", obs, NULL), 0);
    assert_int_equal(eval3("[file:name = 'a.exe'] AND [file:name = 'a.exe']", obs, NULL), 1);
    free(obs);
}

static void
test_followedby(void **state)
{
    char *obs = three();
    (void)state;
    assert_int_equal(
        eval3("[file:name = 'a.exe'] FOLLOWEDBY [ipv4-addr:value = '10.0.0.1']", obs, NULL), 1);
    assert_int_equal(
        eval3("[ipv4-addr:value = '10.0.0.1'] FOLLOWEDBY [file:name = 'a.exe']", obs, NULL),
        1); /* the file at minute 10 */
    assert_int_equal(eval3("[ipv4-addr:value = '10.0.0.1'] FOLLOWEDBY [file:name = 'a.exe'] "
                           "FOLLOWEDBY [ipv4-addr:value = '10.0.0.1']",
                           obs, NULL),
                     0);
    assert_int_equal(eval3("([ipv4-addr:value = '10.0.0.1'] FOLLOWEDBY [file:name = 'a.exe']) "
                           "WITHIN 60 SECONDS",
                           obs, NULL),
                     0);
    free(obs);
}

static void
test_qualifiers(void **state)
{
    char *obs = three();
    (void)state;
    assert_int_equal(eval3("[file:name = 'a.exe'] REPEATS 2 TIMES", obs, NULL), 1);
    assert_int_equal(eval3("[file:name = 'a.exe'] REPEATS 3 TIMES", obs, NULL), 0);
    assert_int_equal(eval3("[ipv4-addr:value = '10.0.0.1'] REPEATS 2 TIMES", obs, NULL), 0);
    assert_int_equal(eval3("[file:name = 'a.exe'] REPEATS 2 TIMES WITHIN 600 SECONDS", obs, NULL),
                     1);
    assert_int_equal(eval3("[file:name = 'a.exe'] REPEATS 2 TIMES WITHIN 599 SECONDS", obs, NULL),
                     0);
    assert_int_equal(eval3("([file:name = 'a.exe'] AND [ipv4-addr:value = '10.0.0.1']) "
                           "WITHIN 60 SECONDS",
                           obs, NULL),
                     1);
    assert_int_equal(eval3("([file:name = 'a.exe'] AND [ipv4-addr:value = '10.0.0.1']) "
                           "WITHIN 59.5 SECONDS",
                           obs, NULL),
                     0);
    assert_int_equal(eval3("[file:name = 'a.exe'] START t'2024-01-01T00:05:00Z' "
                           "STOP t'2024-01-01T00:15:00Z'",
                           obs, NULL),
                     1);
    assert_int_equal(eval3("[ipv4-addr:value = '10.0.0.1'] START t'2024-01-01T00:05:00Z' "
                           "STOP t'2024-01-01T00:15:00Z'",
                           obs, NULL),
                     0);
    /* STOP is exclusive. */
    assert_int_equal(eval3("[ipv4-addr:value = '10.0.0.1'] START t'2024-01-01T00:00:00Z' "
                           "STOP t'2024-01-01T00:01:00Z'",
                           obs, NULL),
                     0);
    assert_int_equal(eval3("[file:name = 'a.exe'] REPEATS 2 TIMES START t'2024-01-01T00:05:00Z' "
                           "STOP t'2024-01-01T00:15:00Z'",
                           obs, NULL),
                     0);
    free(obs);
}

static void
test_object_refs_and_scos(void **state)
{
    static const char observations[] =
        "[{`type`:`observed-data`,`id`:`observed-data--1`,"
        "`first_observed`:`2024-01-01T00:00:00Z`,`last_observed`:`2024-01-01T00:00:00Z`,"
        "`number_observed`:1,`object_refs`:[`network-traffic--1`,`ipv4-addr--1`]}]";
    static const char bundle[] =
        "{`type`:`bundle`,`id`:`bundle--1`,`objects`:["
        "{`type`:`network-traffic`,`id`:`network-traffic--1`,`dst_ref`:`ipv4-addr--1`,"
        "`dst_port`:80},"
        "{`type`:`ipv4-addr`,`id`:`ipv4-addr--1`,`value`:`203.0.113.5`}]}";
    (void)state;
    assert_int_equal(eval3("[network-traffic:dst_ref.value = '203.0.113.5']", observations, bundle),
                     1);
    assert_int_equal(eval3("[ipv4-addr:value = '203.0.113.5']", observations, bundle), 1);
    assert_int_equal(eval3("[ipv4-addr:value = '203.0.113.6']", observations, bundle), 0);
    /* A bare array of SCOs works too; without SCOs nothing resolves. */
    assert_int_equal(eval3("[network-traffic:dst_port = 80]", observations,
                           "[{`type`:`network-traffic`,`id`:`network-traffic--1`,`dst_port`:80}]"),
                     1);
    assert_int_equal(eval3("[network-traffic:dst_port = 80]", observations, NULL), 0);
}

static void
test_bad_observations(void **state)
{
    (void)state;
    assert_int_equal(eval3("[file:name = 'a']", "{}", NULL), -KZ_ERR_INVALID);
    assert_int_equal(eval3("[file:name = 'a']", "[{`type`:`observed-data`}]", NULL),
                     -KZ_ERR_INVALID);
    assert_int_equal(eval3("[file:name = 'a']", "[]", NULL), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equality),
        cmocka_unit_test(test_ordering),
        cmocka_unit_test(test_binary_and_hex),
        cmocka_unit_test(test_in),
        cmocka_unit_test(test_like),
        cmocka_unit_test(test_like_operator_directly),
        cmocka_unit_test(test_matches),
        cmocka_unit_test(test_subset_superset),
        cmocka_unit_test(test_exists),
        cmocka_unit_test(test_lists_and_refs),
        cmocka_unit_test(test_same_object_for_one_type),
        cmocka_unit_test(test_missing_property_is_false_even_negated),
        cmocka_unit_test(test_observation_operators),
        cmocka_unit_test(test_followedby),
        cmocka_unit_test(test_qualifiers),
        cmocka_unit_test(test_object_refs_and_scos),
        cmocka_unit_test(test_bad_observations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
