/*
 * The STIX pattern lexer: a byte-level state machine over a view (no trailing NUL needed) that
 * yields one token at a time and validates literals where they stand, so that an error names
 * the column of the offending byte.
 */
#include "pattern/pattern_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/time.h"
#include "base/banned.h"

void
kz_pattern__fail(struct kz_pat_diag *d, size_t offset, const char *fmt, ...)
{
    va_list ap;

    if (d == NULL)
        return;
    if (d->why != NULL && d->whylen > 0) {
        va_start(ap, fmt);
        vsnprintf(d->why, d->whylen, fmt, ap);
        va_end(ap);
    }
    d->column = offset + 1;
}

static const struct {
    const char *word;
    enum kz_pat_tok kind;
} keywords[] = {
    {"AND", KZ_TOK_AND},
    {"OR", KZ_TOK_OR},
    {"NOT", KZ_TOK_NOT},
    {"FOLLOWEDBY", KZ_TOK_FOLLOWEDBY},
    {"LIKE", KZ_TOK_LIKE},
    {"MATCHES", KZ_TOK_MATCHES},
    {"ISSUPERSET", KZ_TOK_ISSUPERSET},
    {"ISSUBSET", KZ_TOK_ISSUBSET},
    {"EXISTS", KZ_TOK_EXISTS},
    {"LAST", KZ_TOK_LAST},
    {"IN", KZ_TOK_IN},
    {"START", KZ_TOK_START},
    {"STOP", KZ_TOK_STOP},
    {"SECONDS", KZ_TOK_SECONDS},
    {"WITHIN", KZ_TOK_WITHIN},
    {"REPEATS", KZ_TOK_REPEATS},
    {"TIMES", KZ_TOK_TIMES},
    {"true", KZ_TOK_BOOL},
    {"false", KZ_TOK_BOOL},
};

static const char *const tok_names[] = {
    [KZ_TOK_EOF] = "end of pattern",
    [KZ_TOK_IDENT] = "identifier",
    [KZ_TOK_IDENT_HYPHEN] = "identifier",
    [KZ_TOK_STRING] = "string",
    [KZ_TOK_INT] = "integer",
    [KZ_TOK_FLOAT] = "float",
    [KZ_TOK_BOOL] = "boolean",
    [KZ_TOK_TIME] = "timestamp",
    [KZ_TOK_BINARY] = "binary literal",
    [KZ_TOK_HEX] = "hex literal",
    [KZ_TOK_LBRACK] = "'['",
    [KZ_TOK_RBRACK] = "']'",
    [KZ_TOK_LPAREN] = "'('",
    [KZ_TOK_RPAREN] = "')'",
    [KZ_TOK_COLON] = "':'",
    [KZ_TOK_DOT] = "'.'",
    [KZ_TOK_COMMA] = "','",
    [KZ_TOK_ASTERISK] = "'*'",
    [KZ_TOK_EQ] = "'='",
    [KZ_TOK_NEQ] = "'!='",
    [KZ_TOK_LT] = "'<'",
    [KZ_TOK_LE] = "'<='",
    [KZ_TOK_GT] = "'>'",
    [KZ_TOK_GE] = "'>='",
    [KZ_TOK_AND] = "AND",
    [KZ_TOK_OR] = "OR",
    [KZ_TOK_NOT] = "NOT",
    [KZ_TOK_FOLLOWEDBY] = "FOLLOWEDBY",
    [KZ_TOK_LIKE] = "LIKE",
    [KZ_TOK_MATCHES] = "MATCHES",
    [KZ_TOK_ISSUPERSET] = "ISSUPERSET",
    [KZ_TOK_ISSUBSET] = "ISSUBSET",
    [KZ_TOK_EXISTS] = "EXISTS",
    [KZ_TOK_LAST] = "LAST",
    [KZ_TOK_IN] = "IN",
    [KZ_TOK_START] = "START",
    [KZ_TOK_STOP] = "STOP",
    [KZ_TOK_SECONDS] = "SECONDS",
    [KZ_TOK_WITHIN] = "WITHIN",
    [KZ_TOK_REPEATS] = "REPEATS",
    [KZ_TOK_TIMES] = "TIMES",
};

const char *
kz_pattern__tok_name(enum kz_pat_tok kind)
{
    if ((size_t)kind < sizeof(tok_names) / sizeof(tok_names[0]) && tok_names[kind] != NULL)
        return tok_names[kind];
    return "token";
}

void
kz_pattern__lex_init(struct kz_pat_lexer *lx, struct kz_str src)
{
    lx->src = src;
    lx->pos = 0;
}

static bool
is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool
is_ident_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool
is_ident_char(unsigned char c)
{
    return is_ident_start(c) || is_digit(c) || c == '-';
}

static bool
is_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int
hex_val(unsigned char c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return c - 'A' + 10;
}

/*
 * The length of a whitespace sequence at p (ASCII and the Unicode spaces the grammar lists),
 * or 0.
 */
static size_t
space_len(const unsigned char *p, size_t n)
{
    if (n == 0)
        return 0;
    switch (p[0]) {
    case ' ':
    case '\t':
    case '\r':
    case '\n':
    case '\v':
    case '\f':
        return 1;
    case 0xC2: /* U+0085, U+00A0 */
        return n >= 2 && (p[1] == 0x85 || p[1] == 0xA0) ? 2 : 0;
    case 0xE1: /* U+1680 */
        return n >= 3 && p[1] == 0x9A && p[2] == 0x80 ? 3 : 0;
    case 0xE2: /* U+2000..U+200A, U+2028, U+2029, U+202F, U+205F */
        if (n < 3)
            return 0;
        if (p[1] == 0x80 && (p[2] <= 0x8A || p[2] == 0xA8 || p[2] == 0xA9 || p[2] == 0xAF))
            return 3;
        return p[1] == 0x81 && p[2] == 0x9F ? 3 : 0;
    case 0xE3: /* U+3000 */
        return n >= 3 && p[1] == 0x80 && p[2] == 0x80 ? 3 : 0;
    default:
        return 0;
    }
}

bool
kz_pattern__hex_decode(const char *in, size_t n, unsigned char *out, size_t *outn)
{
    const unsigned char *u = (const unsigned char *)in;

    if (n % 2 != 0)
        return false;
    for (size_t i = 0; i < n; i += 2) {
        if (!is_hex(u[i]) || !is_hex(u[i + 1]))
            return false;
        if (out != NULL)
            out[i / 2] = (unsigned char)(hex_val(u[i]) << 4 | hex_val(u[i + 1]));
    }
    if (outn != NULL)
        *outn = n / 2;
    return true;
}

static int
b64_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (is_digit(c))
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

bool
kz_pattern__base64_decode(const char *in, size_t n, unsigned char *out, size_t *outn)
{
    const unsigned char *u = (const unsigned char *)in;
    size_t o = 0;

    if (n % 4 != 0)
        return false;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            if (u[i + k] == '=') {
                /* Padding only in the last group, only at its end, at most two. */
                if (i + 4 != n || k < 2)
                    return false;
                pad++;
                v[k] = 0;
            } else {
                if (pad > 0)
                    return false;
                v[k] = b64_val(u[i + k]);
                if (v[k] < 0)
                    return false;
            }
        }
        uint32_t w =
            (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        if (out != NULL) {
            out[o] = (unsigned char)(w >> 16);
            if (pad < 2)
                out[o + 1] = (unsigned char)(w >> 8);
            if (pad < 1)
                out[o + 2] = (unsigned char)w;
        }
        o += (size_t)(3 - pad);
    }
    if (outn != NULL)
        *outn = o;
    return true;
}

enum lex_state {
    S_START,
    S_SLASH,         /* after '/' */
    S_BLOCK_COMMENT, /* inside a block comment */
    S_BLOCK_STAR,    /* a '*' inside a block comment */
    S_LINE_COMMENT,
    S_IDENT,
    S_SIGN,       /* after '+' or '-' */
    S_ZERO,       /* an integer that began with 0 */
    S_INT,        /* integer digits */
    S_DOT,        /* '.' of a float, a digit must follow */
    S_FRAC,       /* fraction digits */
    S_STRING,     /* inside '...' */
    S_STRING_ESC, /* after '\' inside a string */
    S_QUOTED,     /* inside t'...', b'...' or h'...' (no escapes) */
    S_LT,         /* after '<' */
    S_GT,         /* after '>' */
    S_EQ,         /* after '=' */
    S_BANG,       /* after '!' */
};

/* Validates the contents of a t'', b'' or h'' literal that starts at off. */
static kz_err
check_prefixed(const struct kz_pat_lexer *lx, enum kz_pat_tok kind, size_t off, size_t end,
               struct kz_pat_diag *d)
{
    const char *body = lx->src.p + off + 2;
    size_t n = end - off - 3; /* prefix, two quotes */
    int64_t us;

    switch (kind) {
    case KZ_TOK_TIME:
        if (kz_time_parse(kz_str_make(body, n), &us, NULL) != KZ_OK) {
            kz_pattern__fail(d, off,
                             "invalid timestamp literal (want t'YYYY-MM-DDTHH:MM:SS[.s]Z')");
            return KZ_ERR_INVALID;
        }
        return KZ_OK;
    case KZ_TOK_HEX:
        for (size_t i = 0; i < n; i++) {
            if (!is_hex((unsigned char)body[i])) {
                kz_pattern__fail(d, off + 2 + i, "invalid hex digit in hex literal");
                return KZ_ERR_INVALID;
            }
        }
        if (n % 2 != 0) {
            kz_pattern__fail(d, off, "hex literal has an odd number of digits");
            return KZ_ERR_INVALID;
        }
        return KZ_OK;
    default:
        for (size_t i = 0; i < n; i++) {
            if (b64_val((unsigned char)body[i]) < 0 && body[i] != '=') {
                kz_pattern__fail(d, off + 2 + i, "invalid character in base64 literal");
                return KZ_ERR_INVALID;
            }
        }
        if (!kz_pattern__base64_decode(body, n, NULL, NULL)) {
            kz_pattern__fail(d, off, "invalid base64 in binary literal (length or padding)");
            return KZ_ERR_INVALID;
        }
        return KZ_OK;
    }
}

static enum kz_pat_tok
ident_kind(const char *p, size_t n, bool hyphen)
{
    for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
        if (strlen(keywords[i].word) == n && memcmp(keywords[i].word, p, n) == 0)
            return keywords[i].kind;
    }
    return hyphen ? KZ_TOK_IDENT_HYPHEN : KZ_TOK_IDENT;
}

kz_err
kz_pattern__lex_next(struct kz_pat_lexer *lx, struct kz_pat_token *tok, struct kz_pat_diag *d)
{
    const unsigned char *s = (const unsigned char *)lx->src.p;
    size_t n = lx->src.n;
    size_t i = lx->pos;
    size_t start = i;
    enum lex_state st = S_START;
    enum kz_pat_tok kind = KZ_TOK_EOF;
    enum kz_pat_tok quoted = KZ_TOK_EOF;
    bool hyphen = false;
    size_t comment_at = 0;

    /* Each pass looks at s[i] (or the end, c == -1) and either consumes it or finishes. */
    for (;;) {
        int c = i < n ? s[i] : -1;

        switch (st) {
        case S_START:
            start = i;
            if (c < 0) {
                kind = KZ_TOK_EOF;
                goto emit;
            }
            {
                size_t sp = space_len(s + i, n - i);
                if (sp > 0) {
                    i += sp;
                    continue;
                }
            }
            if (is_ident_start((unsigned char)c)) {
                if ((c == 't' || c == 'b' || c == 'h') && i + 1 < n && s[i + 1] == '\'') {
                    quoted = c == 't' ? KZ_TOK_TIME : c == 'b' ? KZ_TOK_BINARY : KZ_TOK_HEX;
                    i += 2;
                    st = S_QUOTED;
                    continue;
                }
                st = S_IDENT;
                i++;
                continue;
            }
            switch (c) {
            case '\'':
                st = S_STRING;
                i++;
                continue;
            case '+':
            case '-':
                st = S_SIGN;
                i++;
                continue;
            case '0':
                st = S_ZERO;
                i++;
                continue;
            case '.':
                if (i + 1 < n && is_digit(s[i + 1])) {
                    st = S_DOT;
                    i++;
                    continue;
                }
                kind = KZ_TOK_DOT;
                i++;
                goto emit;
            case '/':
                st = S_SLASH;
                i++;
                continue;
            case '<':
                st = S_LT;
                i++;
                continue;
            case '>':
                st = S_GT;
                i++;
                continue;
            case '=':
                st = S_EQ;
                i++;
                continue;
            case '!':
                st = S_BANG;
                i++;
                continue;
            case '[':
                kind = KZ_TOK_LBRACK;
                break;
            case ']':
                kind = KZ_TOK_RBRACK;
                break;
            case '(':
                kind = KZ_TOK_LPAREN;
                break;
            case ')':
                kind = KZ_TOK_RPAREN;
                break;
            case ':':
                kind = KZ_TOK_COLON;
                break;
            case ',':
                kind = KZ_TOK_COMMA;
                break;
            case '*':
                kind = KZ_TOK_ASTERISK;
                break;
            default:
                if (is_digit((unsigned char)c)) {
                    st = S_INT;
                    i++;
                    continue;
                }
                if (c >= 0x20 && c < 0x7f)
                    kz_pattern__fail(d, i, "unexpected character '%c'", c);
                else
                    kz_pattern__fail(d, i, "unexpected byte 0x%02x", (unsigned)c);
                return KZ_ERR_INVALID;
            }
            i++;
            goto emit;

        case S_SLASH:
            if (c == '*') {
                comment_at = start;
                st = S_BLOCK_COMMENT;
                i++;
                continue;
            }
            if (c == '/') {
                st = S_LINE_COMMENT;
                i++;
                continue;
            }
            kz_pattern__fail(d, start, "unexpected character '/'");
            return KZ_ERR_INVALID;
        case S_BLOCK_COMMENT:
        case S_BLOCK_STAR:
            if (c < 0) {
                kz_pattern__fail(d, comment_at, "unterminated comment");
                return KZ_ERR_INVALID;
            }
            i++;
            if (st == S_BLOCK_STAR && c == '/')
                st = S_START;
            else
                st = c == '*' ? S_BLOCK_STAR : S_BLOCK_COMMENT;
            continue;
        case S_LINE_COMMENT:
            if (c < 0 || c == '\n' || c == '\r') {
                st = S_START;
                continue;
            }
            i++;
            continue;

        case S_IDENT:
            if (c >= 0 && is_ident_char((unsigned char)c)) {
                if (c == '-')
                    hyphen = true;
                i++;
                continue;
            }
            kind = ident_kind(lx->src.p + start, i - start, hyphen);
            goto emit;

        case S_SIGN:
            if (c == '0') {
                st = S_ZERO;
                i++;
                continue;
            }
            if (c >= 0 && is_digit((unsigned char)c)) {
                st = S_INT;
                i++;
                continue;
            }
            if (c == '.' && i + 1 < n && is_digit(s[i + 1])) {
                st = S_DOT;
                i++;
                continue;
            }
            kz_pattern__fail(d, start, "a sign must be followed by a number");
            return KZ_ERR_INVALID;
        case S_ZERO:
            if (c >= 0 && is_digit((unsigned char)c)) {
                kz_pattern__fail(d, start, "number with a leading zero");
                return KZ_ERR_INVALID;
            }
            st = S_INT;
            continue;
        case S_INT:
            if (c >= 0 && is_digit((unsigned char)c)) {
                i++;
                continue;
            }
            if (c == '.' && i + 1 < n && is_digit(s[i + 1])) {
                st = S_DOT;
                i++;
                continue;
            }
            kind = KZ_TOK_INT;
            goto emit;
        case S_DOT:
            /* The caller checked that a digit follows. */
            st = S_FRAC;
            continue;
        case S_FRAC:
            if (c >= 0 && is_digit((unsigned char)c)) {
                i++;
                continue;
            }
            kind = KZ_TOK_FLOAT;
            goto emit;

        case S_STRING:
            if (c < 0) {
                kz_pattern__fail(d, start, "unterminated string");
                return KZ_ERR_INVALID;
            }
            i++;
            if (c == '\\') {
                st = S_STRING_ESC;
                continue;
            }
            if (c == '\'') {
                if (!kz_utf8_valid(lx->src.p + start + 1, i - start - 2)) {
                    kz_pattern__fail(d, start, "string is not valid UTF-8");
                    return KZ_ERR_INVALID;
                }
                kind = KZ_TOK_STRING;
                goto emit;
            }
            continue;
        case S_STRING_ESC:
            if (c != '\'' && c != '\\') {
                kz_pattern__fail(d, i - 1, "invalid escape in string (only \\' and \\\\)");
                return KZ_ERR_INVALID;
            }
            i++;
            st = S_STRING;
            continue;
        case S_QUOTED:
            if (c < 0) {
                kz_pattern__fail(d, start, "unterminated %s", kz_pattern__tok_name(quoted));
                return KZ_ERR_INVALID;
            }
            i++;
            if (c != '\'')
                continue;
            if (check_prefixed(lx, quoted, start, i, d) != KZ_OK)
                return KZ_ERR_INVALID;
            kind = quoted;
            goto emit;

        case S_LT:
            if (c == '=' || c == '>') {
                kind = c == '=' ? KZ_TOK_LE : KZ_TOK_NEQ;
                i++;
            } else {
                kind = KZ_TOK_LT;
            }
            goto emit;
        case S_GT:
            if (c == '=') {
                kind = KZ_TOK_GE;
                i++;
            } else {
                kind = KZ_TOK_GT;
            }
            goto emit;
        case S_EQ:
            if (c == '=')
                i++;
            kind = KZ_TOK_EQ;
            goto emit;
        case S_BANG:
            if (c != '=') {
                kz_pattern__fail(d, start, "'!' must be followed by '='");
                return KZ_ERR_INVALID;
            }
            i++;
            kind = KZ_TOK_NEQ;
            goto emit;
        }
    }
emit:
    tok->kind = kind;
    tok->off = start;
    tok->len = i - start;
    lx->pos = i;
    return KZ_OK;
}
