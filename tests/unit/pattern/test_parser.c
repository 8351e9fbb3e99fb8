/* Tests of the parser and kz_pattern_check: the grammar, precedence, errors and their columns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "pattern/pattern.h"
#include "pattern/pattern_int.h"

static void
valid(const char *p)
{
    char why[256] = "";
    size_t col = 0;

    if (kz_pattern_check(kz_str_from_cstr(p), why, sizeof(why), &col) != KZ_OK)
        fail_msg("'%s' rejected: %s at column %zu", p, why, col);
}

static void
invalid(const char *p, size_t column, const char *needle)
{
    char why[256] = "";
    size_t col = 0;

    if (kz_pattern_check(kz_str_from_cstr(p), why, sizeof(why), &col) != KZ_ERR_INVALID)
        fail_msg("'%s' accepted", p);
    if (col != column)
        fail_msg("'%s': column %zu, want %zu (%s)", p, col, column, why);
    if (needle != NULL && strstr(why, needle) == NULL)
        fail_msg("'%s': reason '%s' lacks '%s'", p, why, needle);
}

static void
test_spec_examples(void **state)
{
    static const char *const examples[] = {
        "[file:hashes.'SHA-256' = "
        "'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
        "[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$' AND "
        "email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\\\.exe$']",
        "[file:hashes.'SHA-256' = "
        "'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' "
        "AND file:mime_type = 'application/x-pdf']",
        "[file:hashes.'SHA-256' = "
        "'bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3feeaf7092761e18c859ee52a9c' "
        "OR file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f'] AND "
        "[file:hashes.'SHA-256' = "
        "'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
        "[file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY "
        "[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar'] WITHIN 300 SECONDS",
        "[user-account:account_type = 'unix' AND user-account:user_id = '1007' AND "
        "user-account:account_login = 'Peter'] AND [user-account:account_type = 'unix' AND "
        "user-account:user_id = '1008' AND user-account:account_login = 'Paul'] AND "
        "[user-account:account_type = 'unix' AND user-account:user_id = '1009' AND "
        "user-account:account_login = 'Mary']",
        "[artifact:mime_type = 'application/vnd.tcpdump.pcap' AND artifact:payload_bin MATCHES "
        "'\\\\xd4\\\\xc3\\\\xb2\\\\xa1\\\\x02\\\\x00\\\\x04\\\\x00']",
        "[file:name = 'foo.dll' AND file:parent_directory_ref.path = 'C:\\\\Windows\\\\System32']",
        "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]",
        "[file:mime_type = 'image/bmp' AND file:magic_number_hex = h'ffd8']",
        "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = "
        "'203.0.113.33/32']",
        "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = "
        "'example.com'] REPEATS 5 TIMES WITHIN 180 SECONDS",
        "[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs[*].value = "
        "'198.51.100.1/32']",
        "[url:value = 'http://example.com/foo' OR url:value = 'http://example.com/bar']",
        "[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:serial_number = "
        "'4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28']",
        "[windows-registry-key:key = 'HKEY_CURRENT_USER\\\\Software\\\\CryptoLocker\\\\Files' OR "
        "windows-registry-key:key = "
        "'HKEY_CURRENT_USER\\\\Software\\\\Microsoft\\\\CurrentVersion\\\\Run\\\\CryptoLocker_0388'"
        "]",
        "[(file:name = 'pdf.exe' OR file:size = 371712) AND file:created = "
        "t'2014-01-13T07:03:17Z']",
        "[email-message:sender_ref.value = 'jdoe@example.com' AND email-message:subject = "
        "'Conference Info']",
        "[x-usb-device:usbdrive.serial_number = '575833314133343231313937']",
        "[process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachine Root$'] "
        "FOLLOWEDBY [process:command_line MATCHES "
        "'^.+>-add GlobalSign.cer -c -s -r localMachineTrustedPublisher$'] WITHIN 300 SECONDS",
        "[network-traffic:dst_ref.value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']",
        "([file:name = 'foo.dll'] AND [win-registry-key:key = "
        "'HKEY_LOCAL_MACHINE\\\\system\\\\services\\\\foo']) OR ([file:name = 'foo.dll'] AND "
        "[process:name = 'bar.exe']) WITHIN 120 SECONDS",
        "[ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32' OR "
        "ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128'] FOLLOWEDBY "
        "[domain-name:value = 'example.com'] WITHIN 600 SECONDS",
        "[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f'] START t'2016-06-01T00:00:00Z' "
        "STOP t'2016-07-01T00:00:00Z'",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++)
        valid(examples[i]);
}

static void
test_every_operator_and_literal(void **state)
{
    (void)state;
    valid("[a:b = 'x']");
    valid("[a:b == 'x']");
    valid("[a:b != 1]");
    valid("[a:b <> 1]");
    valid("[a:b < 1.5]");
    valid("[a:b <= -1]");
    valid("[a:b > +2]");
    valid("[a:b >= t'2020-02-29T23:59:59.999Z']");
    valid("[a:b = true] AND [a:b = false]");
    valid("[a:b = b'AAEC'] AND [a:b = h'000102']");
    valid("[a:b IN ('x', 1, 2.5, true, t'2020-01-01T00:00:00Z', h'00', b'AA==')]");
    valid("[a:b IN ()]");
    valid("[a:b LIKE 'x%_']");
    valid("[a:b MATCHES '^[a-z]+$']");
    valid("[a:b ISSUBSET '10.0.0.0/8']");
    valid("[a:b ISSUPERSET '::1']");
    valid("[EXISTS a:b]");
    valid(
        "[a:b NOT = 'x' AND a:b NOT != 1 AND a:b NOT < 2 AND a:b NOT IN (1) AND a:b NOT LIKE 'x' "
        "AND a:b NOT MATCHES 'x' AND a:b NOT ISSUBSET '1.2.3.4' AND a:b NOT ISSUPERSET '1.2.3.4']");
}

static void
test_paths(void **state)
{
    (void)state;
    valid("[a:b.c.d = 1]");
    valid("[a:'b-c'.'d e'.f = 1]");
    valid("[a:b[0] = 1]");
    valid("[a:b[*].c[-1] = 1]");
    valid("[x-custom-type:x_field = 1]");
    invalid("[a:b.c-d = 1]", 6, "quoted");
    invalid("[a:b-c = 1]", 4, "quoted");
    invalid("[a b = 1]", 4, "':'");
    invalid("[a:b. = 1]", 7, "property name");
    invalid("[a:b[x] = 1]", 6, "index");
    invalid("[a:b[1 = 1]", 8, "']'");
    invalid("[a:'' = 1]", 4, "empty");
    invalid("[:b = 1]", 2, "object path");
    invalid("[a:IN = 1]", 4, "property name");
}

static void
test_qualifiers(void **state)
{
    (void)state;
    valid("[a:b = 1] WITHIN 5 SECONDS");
    valid("[a:b = 1] WITHIN 0.5 SECONDS");
    valid("[a:b = 1] REPEATS 3 TIMES");
    valid("[a:b = 1] START t'2020-01-01T00:00:00Z' STOP t'2020-01-02T00:00:00Z'");
    valid("[a:b = 1] REPEATS 2 TIMES WITHIN 10 SECONDS");
    valid("([a:b = 1] OR [a:c = 2]) WITHIN 10 SECONDS");
    invalid("[a:b = 1] WITHIN 5", 19, "SECONDS");
    invalid("[a:b = 1] WITHIN -5 SECONDS", 18, "positive");
    invalid("[a:b = 1] WITHIN 0 SECONDS", 18, "positive");
    invalid("[a:b = 1] WITHIN 'x' SECONDS", 18, "seconds");
    invalid("[a:b = 1] REPEATS 0 TIMES", 19, "positive");
    invalid("[a:b = 1] REPEATS 1.5 TIMES", 19, "whole");
    invalid("[a:b = 1] REPEATS 2", 20, "TIMES");
    invalid("[a:b = 1] START '2020' STOP t'2020-01-02T00:00:00Z'", 17, "timestamp");
    invalid("[a:b = 1] START t'2020-01-02T00:00:00Z' STOP t'2020-01-01T00:00:00Z'", 46, "later");
    invalid("[a:b = 1] START t'2020-01-02T00:00:00Z'", 40, "STOP");
    invalid("[a:b = 1 WITHIN 5 SECONDS]", 10, "']'");
}

static void
test_errors_and_columns(void **state)
{
    (void)state;
    invalid("", 1, "empty");
    invalid("   ", 1, "empty");
    invalid("[a:b = 1", 9, "ended");
    invalid("a:b = 1", 1, "'['");
    invalid("[a:b = 1]]", 10, "']'");
    invalid("[a:b = 1] [a:b = 2]", 11, NULL);
    invalid("[a:b = 1] and [a:b = 2]", 11, "upper-case");
    invalid("[a:b = 1 and a:c = 2]", 10, "upper-case");
    invalid("[a:b = 1 AND]", 13, "object path");
    invalid("[a:b 1]", 6, "operator");
    invalid("[a:b = ]", 8, "literal");
    invalid("[a:b < true]", 8, "boolean");
    invalid("[a:b LIKE 1]", 11, "string");
    invalid("[a:b MATCHES '(']", 14, "regular expression");
    invalid("[a:b MATCHES '[a-']", 14, "regular expression");
    invalid("[a:b ISSUBSET 'not-an-ip']", 15, "CIDR");
    invalid("[a:b ISSUBSET '10.0.0.0/33']", 15, "CIDR");
    invalid("[a:b IN ('x' 'y')]", 14, "','");
    invalid("[a:b IN 'x']", 9, "'('");
    invalid("[a:b = 99999999999999999999]", 8, "range");
    invalid("[a:b = 'x\\n']", 10, "escape");
    invalid("[a:b = h'0']", 8, "odd");
    invalid("[a:b = t'2020-02-30T00:00:00Z']", 8, "timestamp");
    invalid("[EXISTS]", 8, "object path");
    invalid("[NOT a:b = 1]", 2, "object path");
    invalid("[a:b = 1] FOLLOWEDBY", 21, "ended");
    invalid("([a:b = 1]", 11, "')'");
    invalid("[(a:b = 1]", 10, "')'");
}

static void
test_limits(void **state)
{
    char why[128];
    size_t col = 0;
    size_t n = KZ_LIMIT_PATTERN_BYTES + 10;
    char *big = malloc(n);
    (void)state;

    memset(big, ' ', n);
    assert_int_equal(kz_pattern_check(kz_str_make(big, n), why, sizeof(why), &col), KZ_ERR_LIMIT);
    assert_non_null(strstr(why, "longer"));
    free(big);

    /* 100 parentheses deep is fine; 101 is an error, not a deep stack. */
    char deep[1024];
    size_t o = 0;
    for (int i = 0; i < 100; i++)
        deep[o++] = '(';
    o += (size_t)sprintf(deep + o, "[a:b = 1]");
    for (int i = 0; i < 100; i++)
        deep[o++] = ')';
    deep[o] = '\0';
    valid(deep);
    o = 0;
    for (int i = 0; i < 101; i++)
        deep[o++] = '(';
    o += (size_t)sprintf(deep + o, "[a:b = 1]");
    for (int i = 0; i < 101; i++)
        deep[o++] = ')';
    deep[o] = '\0';
    invalid(deep, 101, "nesting");

    /* Comparison-level nesting counts the same way. */
    o = 0;
    deep[o++] = '[';
    for (int i = 0; i < 150; i++)
        deep[o++] = '(';
    deep[o] = '\0';
    invalid(deep, 102, "nesting");

    /* A long flat chain is not nesting. */
    size_t cap = 40 * 3000;
    char *chain = malloc(cap);
    o = (size_t)sprintf(chain, "[a:b = 1]");
    for (int i = 0; i < 2000; i++)
        o += (size_t)sprintf(chain + o, " AND [a:b = %d]", i);
    valid(chain);
    free(chain);
}

static void
test_why_and_column_untouched_on_success(void **state)
{
    char why[16] = "unchanged";
    size_t col = 77;
    (void)state;
    assert_int_equal(kz_pattern_check(kz_str_lit("[a:b = 1]"), why, sizeof(why), &col), KZ_OK);
    assert_string_equal(why, "unchanged");
    assert_int_equal(col, 77);
    /* A small reason buffer is truncated, never overrun. */
    char tiny[4];
    assert_int_equal(kz_pattern_check(kz_str_lit("[a:b = "), tiny, sizeof(tiny), &col),
                     KZ_ERR_INVALID);
    assert_int_equal(strlen(tiny), 3);
}

/* Parses into an AST for shape checks. */
static struct kz_pat_node *
ast(struct kz_pat_pool *pool, const char *p)
{
    struct kz_pat_node *root = NULL;
    assert_int_equal(kz_pattern__parse(kz_str_from_cstr(p), pool, &root, NULL), KZ_OK);
    return root;
}

static void
test_precedence(void **state)
{
    struct kz_pat_pool pool = {0};
    struct kz_pat_node *r;
    (void)state;

    /* Comparisons: AND binds tighter than OR. */
    r = ast(&pool, "[a:b = 1 OR a:c = 2 AND a:d = 3]");
    assert_int_equal(r->kind, KZ_NODE_OBS);
    r = r->kids[0];
    assert_int_equal(r->kind, KZ_NODE_COR);
    assert_int_equal(r->nkids, 2);
    assert_int_equal(r->kids[0]->kind, KZ_NODE_CMP);
    assert_int_equal(r->kids[1]->kind, KZ_NODE_CAND);

    r = ast(&pool, "[(a:b = 1 OR a:c = 2) AND a:d = 3]")->kids[0];
    assert_int_equal(r->kind, KZ_NODE_CAND);
    assert_int_equal(r->kids[0]->kind, KZ_NODE_COR);

    /* Observations: AND over OR over FOLLOWEDBY. */
    r = ast(&pool, "[a:b = 1] FOLLOWEDBY [a:b = 2] OR [a:b = 3] AND [a:b = 4]");
    assert_int_equal(r->kind, KZ_NODE_FOLLOWEDBY);
    assert_int_equal(r->nkids, 2);
    assert_int_equal(r->kids[0]->kind, KZ_NODE_OBS);
    assert_int_equal(r->kids[1]->kind, KZ_NODE_OOR);
    assert_int_equal(r->kids[1]->kids[1]->kind, KZ_NODE_OAND);

    r = ast(&pool,
            "[a:b = 1] AND [a:b = 2] OR [a:b = 3] FOLLOWEDBY [a:b = 4] FOLLOWEDBY [a:b = 5]");
    assert_int_equal(r->kind, KZ_NODE_FOLLOWEDBY);
    assert_int_equal(r->nkids, 3);
    assert_int_equal(r->kids[0]->kind, KZ_NODE_OOR);
    assert_int_equal(r->kids[0]->kids[0]->kind, KZ_NODE_OAND);

    /* A qualifier binds to the observation expression just before it. */
    r = ast(&pool, "[a:b = 1] AND [a:b = 2] WITHIN 5 SECONDS");
    assert_int_equal(r->kind, KZ_NODE_OAND);
    assert_int_equal(r->kids[1]->kind, KZ_NODE_WITHIN);
    r = ast(&pool, "([a:b = 1] AND [a:b = 2]) WITHIN 5 SECONDS REPEATS 2 TIMES");
    assert_int_equal(r->kind, KZ_NODE_REPEATS);
    assert_int_equal(r->times, 2);
    assert_int_equal(r->kids[0]->kind, KZ_NODE_WITHIN);
    assert_true(r->kids[0]->seconds == 5.0);
    assert_int_equal(r->kids[0]->kids[0]->kind, KZ_NODE_OAND);

    kz_pattern__pool_release(&pool);
}

static void
test_ast_literals_and_paths(void **state)
{
    struct kz_pat_pool pool = {0};
    struct kz_pat_cmp *c;
    (void)state;

    c = ast(&pool, "[file:extensions.'windows-pebinary-ext'.sections[*].entropy NOT >= -1.5]")
            ->kids[0]
            ->cmp;
    assert_string_equal(c->path.type, "file");
    assert_int_equal(c->path.nsteps, 5);
    assert_string_equal(c->path.steps[1].key, "windows-pebinary-ext");
    assert_int_equal(c->path.steps[3].kind, KZ_STEP_ANY);
    assert_string_equal(c->path.canon, "file:extensions.windows-pebinary-ext.sections[*].entropy");
    assert_true(c->negated);
    assert_int_equal(c->op, KZ_OP_GE);
    assert_int_equal(c->lit.kind, KZ_LIT_FLOAT);
    assert_true(c->lit.f == -1.5);

    c = ast(&pool, "[a:b[2] = -9223372036854775808]")->kids[0]->cmp;
    assert_int_equal(c->path.steps[1].kind, KZ_STEP_INDEX);
    assert_int_equal(c->path.steps[1].index, 2);
    assert_true(c->lit.i == INT64_MIN);

    c = ast(&pool, "[a:b IN ('x\\'y', h'0aff', b'TVo=')]")->kids[0]->cmp;
    assert_int_equal(c->nset, 3);
    assert_string_equal(c->set[0].s, "x'y");
    assert_int_equal(c->set[1].n, 2);
    assert_memory_equal(c->set[1].s, "\x0a\xff", 2);
    assert_memory_equal(c->set[2].s, "MZ", 2);

    c = ast(&pool, "[a:b = t'1970-01-01T00:00:01.5Z']")->kids[0]->cmp;
    assert_int_equal(c->lit.kind, KZ_LIT_TIME);
    assert_int_equal(c->lit.t_us, 1500000);
    kz_pattern__pool_release(&pool);
}

static void
test_compile_reports_like_check(void **state)
{
    struct kz_pattern *p = NULL;
    char why[128];
    size_t col = 0;
    (void)state;
    assert_int_equal(kz_pattern_compile(kz_str_lit("[a:b = 1] WITHIN"), &p, why, sizeof(why), &col),
                     KZ_ERR_INVALID);
    assert_null(p);
    assert_int_equal(col, 17);
    assert_int_equal(
        kz_pattern_compile(kz_str_lit("[a:b MATCHES 'x+']"), &p, why, sizeof(why), &col), KZ_OK);
    assert_non_null(p);
    kz_pattern_free(p);
    kz_pattern_free(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_examples),
        cmocka_unit_test(test_every_operator_and_literal),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_qualifiers),
        cmocka_unit_test(test_errors_and_columns),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_why_and_column_untouched_on_success),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_ast_literals_and_paths),
        cmocka_unit_test(test_compile_reports_like_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
