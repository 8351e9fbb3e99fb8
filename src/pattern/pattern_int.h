/* Inside the pattern component: tokens, the lexer, the AST and the helpers the files share. */
#ifndef KZ_PATTERN_PATTERN_INT_H
#define KZ_PATTERN_PATTERN_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/str.h"

/* Parenthesis nesting and stacked qualifiers past this are an error, not a deep stack. */
#define KZ_PATTERN_MAX_DEPTH 100u

/* Where an error is reported: a one-line reason and the 1-based column of the byte. */
struct kz_pat_diag {
    char *why;
    size_t whylen;
    size_t column;
};

void kz_pattern__fail(struct kz_pat_diag *d, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- tokens ---- */

enum kz_pat_tok {
    KZ_TOK_EOF = 0,
    KZ_TOK_IDENT,        /* [A-Za-z_][A-Za-z0-9_]* */
    KZ_TOK_IDENT_HYPHEN, /* [A-Za-z_][A-Za-z0-9_-]* with at least one '-' */
    KZ_TOK_STRING,       /* '...' */
    KZ_TOK_INT,          /* [+-]?(0|[1-9][0-9]*) */
    KZ_TOK_FLOAT,        /* [+-]?[0-9]*.[0-9]+ */
    KZ_TOK_BOOL,         /* true | false */
    KZ_TOK_TIME,         /* t'...' */
    KZ_TOK_BINARY,       /* b'...' */
    KZ_TOK_HEX,          /* h'...' */
    KZ_TOK_LBRACK,
    KZ_TOK_RBRACK,
    KZ_TOK_LPAREN,
    KZ_TOK_RPAREN,
    KZ_TOK_COLON,
    KZ_TOK_DOT,
    KZ_TOK_COMMA,
    KZ_TOK_ASTERISK,
    KZ_TOK_EQ,  /* = or == */
    KZ_TOK_NEQ, /* != or <> */
    KZ_TOK_LT,
    KZ_TOK_LE,
    KZ_TOK_GT,
    KZ_TOK_GE,
    /* keywords, upper case as the grammar spells them */
    KZ_TOK_AND,
    KZ_TOK_OR,
    KZ_TOK_NOT,
    KZ_TOK_FOLLOWEDBY,
    KZ_TOK_LIKE,
    KZ_TOK_MATCHES,
    KZ_TOK_ISSUPERSET,
    KZ_TOK_ISSUBSET,
    KZ_TOK_EXISTS,
    KZ_TOK_LAST,
    KZ_TOK_IN,
    KZ_TOK_START,
    KZ_TOK_STOP,
    KZ_TOK_SECONDS,
    KZ_TOK_WITHIN,
    KZ_TOK_REPEATS,
    KZ_TOK_TIMES,
};

struct kz_pat_token {
    enum kz_pat_tok kind;
    size_t off; /* byte offset of the first byte in the pattern */
    size_t len; /* bytes of the token, quotes and prefix included */
};

struct kz_pat_lexer {
    struct kz_str src;
    size_t pos;
};

void kz_pattern__lex_init(struct kz_pat_lexer *lx, struct kz_str src);
/* Reads the next token; KZ_ERR_INVALID with a diagnostic on a malformed one. */
kz_err kz_pattern__lex_next(struct kz_pat_lexer *lx, struct kz_pat_token *tok,
                            struct kz_pat_diag *d);
/* A short name for a token kind, for messages and tests: "']'", "AND", "string". */
const char *kz_pattern__tok_name(enum kz_pat_tok kind);

/* ---- literals ---- */

enum kz_pat_lit_kind {
    KZ_LIT_STRING = 0,
    KZ_LIT_INT,
    KZ_LIT_FLOAT,
    KZ_LIT_BOOL,
    KZ_LIT_TIME,
    KZ_LIT_BINARY,
    KZ_LIT_HEX,
};

struct kz_pat_lit {
    enum kz_pat_lit_kind kind;
    char *s;  /* STRING: unescaped, NUL-terminated; BINARY/HEX: the decoded bytes */
    size_t n; /* bytes in s */
    int64_t i;
    double f;
    bool b;
    int64_t t_us; /* TIME: microseconds since the epoch */
};

/* Decoders the lexer validated with; both return false on malformed input. */
bool kz_pattern__base64_decode(const char *in, size_t n, unsigned char *out, size_t *outn);
bool kz_pattern__hex_decode(const char *in, size_t n, unsigned char *out, size_t *outn);

/* ---- the AST ---- */

enum kz_pat_step_kind {
    KZ_STEP_KEY = 0,
    KZ_STEP_INDEX,
    KZ_STEP_ANY, /* [*] */
};

struct kz_pat_step {
    enum kz_pat_step_kind kind;
    char *key; /* KEY: NUL-terminated, quotes removed */
    int64_t index;
};

struct kz_pat_path {
    char *type; /* the SCO type before ':' */
    struct kz_pat_step *steps;
    size_t nsteps;
    char *canon; /* "type:a.b[*].'c'" with quoted keys unquoted, see pattern.h */
};

enum kz_pat_op {
    KZ_OP_EQ = 0,
    KZ_OP_NEQ,
    KZ_OP_LT,
    KZ_OP_LE,
    KZ_OP_GT,
    KZ_OP_GE,
    KZ_OP_IN,
    KZ_OP_LIKE,
    KZ_OP_MATCHES,
    KZ_OP_ISSUBSET,
    KZ_OP_ISSUPERSET,
    KZ_OP_EXISTS,
};

/* An IPv4 or IPv6 network: the address bytes and the prefix length. */
struct kz_pat_net {
    int family; /* 4 or 6 */
    unsigned char addr[16];
    unsigned prefix;
};

struct kz_pat_cmp {
    struct kz_pat_path path;
    enum kz_pat_op op;
    bool negated;
    struct kz_pat_lit lit;  /* every op but IN and EXISTS */
    struct kz_pat_lit *set; /* IN */
    size_t nset;
    pcre2_code *re;        /* MATCHES; owned by the pattern's pool */
    struct kz_pat_net net; /* ISSUBSET, ISSUPERSET */
};

enum kz_pat_node_kind {
    KZ_NODE_CMP = 0, /* one comparison */
    KZ_NODE_CAND,    /* comparisons joined by AND */
    KZ_NODE_COR,     /* comparisons joined by OR */
    KZ_NODE_OBS,     /* [ comparison expression ]; kids[0] */
    KZ_NODE_OAND,    /* observation expressions joined by AND */
    KZ_NODE_OOR,     /* ... by OR */
    KZ_NODE_FOLLOWEDBY,
    KZ_NODE_WITHIN,   /* kids[0] WITHIN seconds SECONDS */
    KZ_NODE_REPEATS,  /* kids[0] REPEATS times TIMES */
    KZ_NODE_STARTSTOP /* kids[0] START start_us STOP stop_us */
};

struct kz_pat_node {
    enum kz_pat_node_kind kind;
    size_t offset; /* where it starts in the pattern */
    struct kz_pat_node **kids;
    size_t nkids;
    struct kz_pat_cmp *cmp; /* CMP */
    double seconds;         /* WITHIN */
    uint64_t times;         /* REPEATS */
    int64_t start_us;       /* STARTSTOP */
    int64_t stop_us;
    unsigned obs_id; /* OBS: its number in a pre-order walk (eval.c, for kz_pattern_eval_part) */
};

/* Every allocation of a parsed pattern, freed at once. */
struct kz_pat_block;
struct kz_pat_pool {
    struct kz_pat_block *blocks;
    pcre2_code **res;
    size_t nres, capres;
};

void *kz_pattern__alloc(struct kz_pat_pool *pool, size_t n);
void kz_pattern__pool_release(struct kz_pat_pool *pool);

/*
 * Parses a whole pattern into an AST allocated from pool. On failure the pool holds what was
 * built so far (release it) and d says why and where.
 */
kz_err kz_pattern__parse(struct kz_str src, struct kz_pat_pool *pool, struct kz_pat_node **out,
                         struct kz_pat_diag *d);

/* ---- operators, shared by the evaluator and the tests ---- */

/* SQL LIKE over UTF-8: '%' any run, '_' one character; no escape character. */
bool kz_pattern__like(const char *s, size_t sn, const char *pat, size_t pn);
/* Parses "a.b.c.d[/n]" or an IPv6 address "[/n]"; a bare address has a full prefix. */
bool kz_pattern__net_parse(const char *s, size_t n, struct kz_pat_net *out);
/* True when every address of inner lies in outer (same family). */
bool kz_pattern__net_within(const struct kz_pat_net *inner, const struct kz_pat_net *outer);

#endif
