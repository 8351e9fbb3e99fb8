/* Tests of the pattern lexer: every token kind, literal validation and error columns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "pattern/pattern_int.h"

/* Lexes text and checks the kinds; n kinds, then EOF. */
static void
expect_kinds(const char *text, const enum kz_pat_tok *kinds, size_t n)
{
    struct kz_pat_lexer lx;
    struct kz_pat_token t;
    char why[128];
    struct kz_pat_diag d = {why, sizeof(why), 0};

    kz_pattern__lex_init(&lx, kz_str_make(text, strlen(text)));
    for (size_t i = 0; i <= n; i++) {
        if (kz_pattern__lex_next(&lx, &t, &d) != KZ_OK)
            fail_msg("'%s': token %zu: %s", text, i, why);
        assert_int_equal(t.kind, i < n ? kinds[i] : KZ_TOK_EOF);
    }
}

/* Lexes text until an error, which must be at column. */
static void
expect_error(const char *text, size_t column, const char *needle)
{
    struct kz_pat_lexer lx;
    struct kz_pat_token t;
    char why[128];
    struct kz_pat_diag d = {why, sizeof(why), 0};

    kz_pattern__lex_init(&lx, kz_str_make(text, strlen(text)));
    for (;;) {
        if (kz_pattern__lex_next(&lx, &t, &d) != KZ_OK)
            break;
        if (t.kind == KZ_TOK_EOF)
            fail_msg("'%s' lexed without error", text);
    }
    if (d.column != column)
        fail_msg("'%s': column %zu, want %zu (%s)", text, d.column, column, why);
    if (needle != NULL && strstr(why, needle) == NULL)
        fail_msg("'%s': reason '%s' lacks '%s'", text, why, needle);
}

#define KINDS(...)                                                                                 \
    (const enum kz_pat_tok[])                                                                      \
    {                                                                                              \
        __VA_ARGS__                                                                                \
    }
#define NKINDS(...)       (sizeof((const enum kz_pat_tok[]){__VA_ARGS__}) / sizeof(enum kz_pat_tok))
#define EXPECT(text, ...) expect_kinds(text, KINDS(__VA_ARGS__), NKINDS(__VA_ARGS__))

static void
test_punctuation_and_operators(void **state)
{
    (void)state;
    EXPECT("[ ] ( ) : . , *", KZ_TOK_LBRACK, KZ_TOK_RBRACK, KZ_TOK_LPAREN, KZ_TOK_RPAREN,
           KZ_TOK_COLON, KZ_TOK_DOT, KZ_TOK_COMMA, KZ_TOK_ASTERISK);
    EXPECT("= == != <> < <= > >=", KZ_TOK_EQ, KZ_TOK_EQ, KZ_TOK_NEQ, KZ_TOK_NEQ, KZ_TOK_LT,
           KZ_TOK_LE, KZ_TOK_GT, KZ_TOK_GE);
    EXPECT("<=>", KZ_TOK_LE, KZ_TOK_GT);
}

static void
test_keywords_are_upper_case(void **state)
{
    (void)state;
    EXPECT("AND OR NOT FOLLOWEDBY LIKE MATCHES ISSUPERSET ISSUBSET EXISTS LAST IN START STOP "
           "SECONDS WITHIN REPEATS TIMES",
           KZ_TOK_AND, KZ_TOK_OR, KZ_TOK_NOT, KZ_TOK_FOLLOWEDBY, KZ_TOK_LIKE, KZ_TOK_MATCHES,
           KZ_TOK_ISSUPERSET, KZ_TOK_ISSUBSET, KZ_TOK_EXISTS, KZ_TOK_LAST, KZ_TOK_IN, KZ_TOK_START,
           KZ_TOK_STOP, KZ_TOK_SECONDS, KZ_TOK_WITHIN, KZ_TOK_REPEATS, KZ_TOK_TIMES);
    EXPECT("and Or", KZ_TOK_IDENT, KZ_TOK_IDENT);
    EXPECT("true false True", KZ_TOK_BOOL, KZ_TOK_BOOL, KZ_TOK_IDENT);
}

static void
test_identifiers(void **state)
{
    (void)state;
    EXPECT("file ipv4-addr _x9 x-", KZ_TOK_IDENT, KZ_TOK_IDENT_HYPHEN, KZ_TOK_IDENT,
           KZ_TOK_IDENT_HYPHEN);
    EXPECT("t b h tx", KZ_TOK_IDENT, KZ_TOK_IDENT, KZ_TOK_IDENT, KZ_TOK_IDENT);
}

static void
test_numbers(void **state)
{
    (void)state;
    EXPECT("0 7 -7 +7 1234567", KZ_TOK_INT, KZ_TOK_INT, KZ_TOK_INT, KZ_TOK_INT, KZ_TOK_INT);
    EXPECT("0.5 .5 -.5 +1.25 -0.0", KZ_TOK_FLOAT, KZ_TOK_FLOAT, KZ_TOK_FLOAT, KZ_TOK_FLOAT,
           KZ_TOK_FLOAT);
    EXPECT("1.", KZ_TOK_INT, KZ_TOK_DOT);
    expect_error("007", 1, "leading zero");
    expect_error("x - 1", 3, "sign");
}

static void
test_strings(void **state)
{
    (void)state;
    EXPECT("'' 'abc' 'it\\'s' 'a\\\\b' '\xc3\xa9'", KZ_TOK_STRING, KZ_TOK_STRING, KZ_TOK_STRING,
           KZ_TOK_STRING, KZ_TOK_STRING);
    expect_error("'abc", 1, "unterminated");
    expect_error("  'a\\nb'", 5, "escape");
    expect_error("'a\\'", 1, "unterminated");
    expect_error("'\xff'", 1, "UTF-8");
}

static void
test_prefixed_literals(void **state)
{
    (void)state;
    EXPECT("t'2016-06-01T00:00:00Z' t'2016-06-01T00:00:00.123456Z'", KZ_TOK_TIME, KZ_TOK_TIME);
    EXPECT("b'' b'TVo=' b'AAAA' b'AA=='", KZ_TOK_BINARY, KZ_TOK_BINARY, KZ_TOK_BINARY,
           KZ_TOK_BINARY);
    EXPECT("h'' h'00ff' h'ABcd'", KZ_TOK_HEX, KZ_TOK_HEX, KZ_TOK_HEX);
    expect_error("t'2016-13-01T00:00:00Z'", 1, "timestamp");
    expect_error("t'2016-06-01 00:00:00Z'", 1, "timestamp");
    expect_error("t'2016-06-01T00:00:00+01:00'", 1, "timestamp");
    expect_error("t'2016-06-01T00:00:00Z", 1, "unterminated");
    expect_error("h'abc'", 1, "odd");
    expect_error("h'0g'", 4, "hex digit");
    expect_error("b'TVo'", 1, "base64");
    expect_error("b'T=Vo'", 1, "base64");
    expect_error("b'TV!o'", 5, "base64");
}

static void
test_whitespace_and_comments(void **state)
{
    (void)state;
    EXPECT(" \t\r\n[\xc2\xa0]\xe3\x80\x80", KZ_TOK_LBRACK, KZ_TOK_RBRACK);
    EXPECT("[ /* a comment ] */ ] // to the end\n(", KZ_TOK_LBRACK, KZ_TOK_RBRACK, KZ_TOK_LPAREN);
    expect_error("[ /* never closed", 3, "comment");
    expect_error("[ / ]", 3, "'/'");
}

static void
test_bad_bytes(void **state)
{
    (void)state;
    expect_error("[ file:name = 1 ] ;", 19, "';'");
    expect_error("\x01", 1, "0x01");
    expect_error("ab \xc3\xa9", 4, "0xc3");
    expect_error("a ! b", 3, "'!'");
}

static void
test_no_trailing_nul_needed(void **state)
{
    /* The view stops before the closing quote: the lexer must not read past it. */
    static const char buf[] = "'abc'";
    struct kz_pat_lexer lx;
    struct kz_pat_token t;
    struct kz_pat_diag d = {NULL, 0, 0};
    (void)state;
    kz_pattern__lex_init(&lx, kz_str_make(buf, 4));
    assert_int_equal(kz_pattern__lex_next(&lx, &t, &d), KZ_ERR_INVALID);
    kz_pattern__lex_init(&lx, kz_str_make("12", 1));
    assert_int_equal(kz_pattern__lex_next(&lx, &t, &d), KZ_OK);
    assert_int_equal(t.kind, KZ_TOK_INT);
    assert_int_equal(t.len, 1);
}

static void
test_decoders(void **state)
{
    unsigned char out[8];
    size_t n;
    (void)state;
    assert_true(kz_pattern__base64_decode("TVo=", 4, out, &n));
    assert_int_equal(n, 2);
    assert_memory_equal(out, "MZ", 2);
    assert_true(kz_pattern__base64_decode("TVpB", 4, out, &n));
    assert_int_equal(n, 3);
    assert_false(kz_pattern__base64_decode("T===", 4, out, &n));
    assert_true(kz_pattern__hex_decode("4d5A", 4, out, &n));
    assert_int_equal(n, 2);
    assert_memory_equal(out, "MZ", 2);
    assert_false(kz_pattern__hex_decode("4d5", 3, out, &n));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_punctuation_and_operators),
        cmocka_unit_test(test_keywords_are_upper_case),
        cmocka_unit_test(test_identifiers),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_prefixed_literals),
        cmocka_unit_test(test_whitespace_and_comments),
        cmocka_unit_test(test_bad_bytes),
        cmocka_unit_test(test_no_trailing_nul_needed),
        cmocka_unit_test(test_decoders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
