/*
 * The STIX pattern parser: recursive descent over the lexer's tokens into an AST whose nodes
 * live in one pool. Nesting is counted so that deep input is an error, not a deep stack;
 * chains of AND/OR/FOLLOWEDBY become one n-ary node, so they add no depth.
 */
#include "pattern/pattern_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/time.h"
#include "base/banned.h"

struct kz_pat_block {
    struct kz_pat_block *next;
    max_align_t data[];
};

void *
kz_pattern__alloc(struct kz_pat_pool *pool, size_t n)
{
    struct kz_pat_block *b;

    if (n > SIZE_MAX - sizeof(*b))
        abort();
    b = kz_xcalloc(1, sizeof(*b) + (n ? n : 1));
    b->next = pool->blocks;
    pool->blocks = b;
    return b->data;
}

void
kz_pattern__pool_release(struct kz_pat_pool *pool)
{
    struct kz_pat_block *b = pool->blocks;

    while (b != NULL) {
        struct kz_pat_block *next = b->next;
        free(b);
        b = next;
    }
    for (size_t i = 0; i < pool->nres; i++)
        pcre2_code_free(pool->res[i]);
    free(pool->res);
    memset(pool, 0, sizeof(*pool));
}

static void
pool_add_re(struct kz_pat_pool *pool, pcre2_code *re)
{
    if (pool->nres == pool->capres) {
        pool->capres = pool->capres ? pool->capres * 2 : 4;
        pool->res = kz_xrealloc(pool->res, pool->capres * sizeof(*pool->res));
    }
    pool->res[pool->nres++] = re;
}

struct parser {
    struct kz_pat_lexer lx;
    struct kz_pat_token tok; /* the current token, not yet consumed */
    struct kz_pat_pool *pool;
    struct kz_pat_diag *d;
    unsigned depth;
};

struct nodelist {
    struct kz_pat_node **v;
    size_t n, cap;
};

static void
nodelist_push(struct nodelist *l, struct kz_pat_node *node)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4;
        l->v = kz_xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n++] = node;
}

static kz_err
advance(struct parser *ps)
{
    return kz_pattern__lex_next(&ps->lx, &ps->tok, ps->d);
}

static const char *const lower_keywords[] = {
    "and",    "or", "not",   "followedby", "like",    "matches", "issuperset", "issubset",
    "exists", "in", "start", "stop",       "seconds", "within",  "repeats",    "times",
};

/* Reports what was expected and what was found instead, at the current token. */
static kz_err
unexpected(struct parser *ps, const char *expected)
{
    const struct kz_pat_token *t = &ps->tok;
    const char *hint = "";

    if (t->kind == KZ_TOK_IDENT) {
        for (size_t i = 0; i < sizeof(lower_keywords) / sizeof(lower_keywords[0]); i++) {
            if (strlen(lower_keywords[i]) == t->len &&
                strncasecmp(lower_keywords[i], ps->lx.src.p + t->off, t->len) == 0)
                hint = " (keywords are upper-case)";
        }
    }
    if (t->kind == KZ_TOK_EOF)
        kz_pattern__fail(ps->d, t->off, "expected %s but the pattern ended", expected);
    else if (t->len <= 24)
        kz_pattern__fail(ps->d, t->off, "expected %s but found '%.*s'%s", expected, (int)t->len,
                         ps->lx.src.p + t->off, hint);
    else
        kz_pattern__fail(ps->d, t->off, "expected %s but found %s", expected,
                         kz_pattern__tok_name(t->kind));
    return KZ_ERR_INVALID;
}

static kz_err
expect(struct parser *ps, enum kz_pat_tok kind, const char *what)
{
    if (ps->tok.kind != kind)
        return unexpected(ps, what);
    return advance(ps);
}

static kz_err
enter(struct parser *ps)
{
    if (++ps->depth > KZ_PATTERN_MAX_DEPTH) {
        kz_pattern__fail(ps->d, ps->tok.off, "nesting deeper than %u", KZ_PATTERN_MAX_DEPTH);
        return KZ_ERR_INVALID;
    }
    return KZ_OK;
}

static struct kz_pat_node *
new_node(struct parser *ps, enum kz_pat_node_kind kind, size_t offset)
{
    struct kz_pat_node *node = kz_pattern__alloc(ps->pool, sizeof(*node));

    node->kind = kind;
    node->offset = offset;
    return node;
}

/* Wraps a list in an n-ary node, or returns its only member. */
static struct kz_pat_node *
join(struct parser *ps, enum kz_pat_node_kind kind, struct nodelist *l)
{
    struct kz_pat_node *node;

    if (l->n == 1)
        return l->v[0];
    node = new_node(ps, kind, l->v[0]->offset);
    node->kids = kz_pattern__alloc(ps->pool, l->n * sizeof(*node->kids));
    memcpy(node->kids, l->v, l->n * sizeof(*node->kids));
    node->nkids = l->n;
    return node;
}

/* ---- literals ---- */

static char *
pool_strndup(struct parser *ps, const char *p, size_t n)
{
    char *s = kz_pattern__alloc(ps->pool, n + 1);

    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* Unescapes the string token at t (the lexer checked its escapes). */
static void
string_value(struct parser *ps, const struct kz_pat_token *t, char **out, size_t *outn)
{
    const char *p = ps->lx.src.p + t->off + 1;
    size_t n = t->len - 2;
    char *s = kz_pattern__alloc(ps->pool, n + 1);
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\\' && i + 1 < n)
            i++;
        s[o++] = p[i];
    }
    s[o] = '\0';
    *out = s;
    *outn = o;
}

static kz_err
int_value(struct parser *ps, const struct kz_pat_token *t, int64_t *out)
{
    const char *p = ps->lx.src.p + t->off;
    size_t n = t->len;
    bool neg = false;
    uint64_t v = 0;
    size_t i = 0;

    if (p[0] == '+' || p[0] == '-') {
        neg = p[0] == '-';
        i = 1;
    }
    for (; i < n; i++) {
        unsigned dgt = (unsigned)(p[i] - '0');
        if (v > (UINT64_MAX - dgt) / 10)
            goto range;
        v = v * 10 + dgt;
    }
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1)
            goto range;
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (uint64_t)INT64_MAX)
            goto range;
        *out = (int64_t)v;
    }
    return KZ_OK;
range:
    kz_pattern__fail(ps->d, t->off, "integer out of range");
    return KZ_ERR_INVALID;
}

static kz_err
float_value(struct parser *ps, const struct kz_pat_token *t, double *out)
{
    char *copy = pool_strndup(ps, ps->lx.src.p + t->off, t->len);
    char *end = NULL;
    double v = strtod(copy, &end);

    if (end == copy || *end != '\0' || v != v || v > 1.7976931348623157e308 ||
        v < -1.7976931348623157e308) {
        kz_pattern__fail(ps->d, t->off, "float out of range");
        return KZ_ERR_INVALID;
    }
    *out = v;
    return KZ_OK;
}

static bool
is_literal(enum kz_pat_tok k)
{
    return k == KZ_TOK_STRING || k == KZ_TOK_INT || k == KZ_TOK_FLOAT || k == KZ_TOK_BOOL ||
           k == KZ_TOK_TIME || k == KZ_TOK_BINARY || k == KZ_TOK_HEX;
}

/* Converts the current token, a literal, and consumes it. */
static kz_err
parse_literal(struct parser *ps, struct kz_pat_lit *lit)
{
    const struct kz_pat_token t = ps->tok;
    const char *body = ps->lx.src.p + t.off + 2;
    size_t bn = t.len >= 3 ? t.len - 3 : 0;
    kz_err err = KZ_OK;

    memset(lit, 0, sizeof(*lit));
    switch (t.kind) {
    case KZ_TOK_STRING:
        lit->kind = KZ_LIT_STRING;
        string_value(ps, &t, &lit->s, &lit->n);
        break;
    case KZ_TOK_INT:
        lit->kind = KZ_LIT_INT;
        err = int_value(ps, &t, &lit->i);
        lit->f = (double)lit->i;
        break;
    case KZ_TOK_FLOAT:
        lit->kind = KZ_LIT_FLOAT;
        err = float_value(ps, &t, &lit->f);
        break;
    case KZ_TOK_BOOL:
        lit->kind = KZ_LIT_BOOL;
        lit->b = ps->lx.src.p[t.off] == 't';
        break;
    case KZ_TOK_TIME:
        lit->kind = KZ_LIT_TIME;
        lit->s = pool_strndup(ps, body, bn);
        lit->n = bn;
        err = kz_time_parse(kz_str_make(body, bn), &lit->t_us, NULL);
        break;
    case KZ_TOK_BINARY:
        lit->kind = KZ_LIT_BINARY;
        lit->s = kz_pattern__alloc(ps->pool, bn / 4 * 3 + 1);
        if (!kz_pattern__base64_decode(body, bn, (unsigned char *)lit->s, &lit->n))
            err = KZ_ERR_INVALID;
        break;
    case KZ_TOK_HEX:
        lit->kind = KZ_LIT_HEX;
        lit->s = kz_pattern__alloc(ps->pool, bn / 2 + 1);
        if (!kz_pattern__hex_decode(body, bn, (unsigned char *)lit->s, &lit->n))
            err = KZ_ERR_INVALID;
        break;
    default:
        return unexpected(ps, "a literal");
    }
    if (err != KZ_OK) {
        /* Numbers explained themselves; the others were checked by the lexer already. */
        if (t.kind != KZ_TOK_INT && t.kind != KZ_TOK_FLOAT)
            kz_pattern__fail(ps->d, t.off, "invalid %s", kz_pattern__tok_name(t.kind));
        return KZ_ERR_INVALID;
    }
    return advance(ps);
}

/* ---- object paths ---- */

struct steplist {
    struct kz_pat_step *v;
    size_t n, cap;
};

static void
steplist_push(struct steplist *l, struct kz_pat_step step)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4;
        l->v = kz_xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n++] = step;
}

/* A property name: an identifier without '-' or a quoted string. */
static kz_err
parse_key(struct parser *ps, char **key)
{
    size_t n;

    if (ps->tok.kind == KZ_TOK_IDENT) {
        *key = pool_strndup(ps, ps->lx.src.p + ps->tok.off, ps->tok.len);
        return advance(ps);
    }
    if (ps->tok.kind == KZ_TOK_STRING) {
        string_value(ps, &ps->tok, key, &n);
        if (n == 0 || memchr(*key, '\0', n) != NULL) {
            kz_pattern__fail(ps->d, ps->tok.off, "empty property name");
            return KZ_ERR_INVALID;
        }
        return advance(ps);
    }
    if (ps->tok.kind == KZ_TOK_IDENT_HYPHEN) {
        kz_pattern__fail(ps->d, ps->tok.off, "a property name with '-' must be quoted: '%.*s'",
                         (int)(ps->tok.len > 64 ? 64 : ps->tok.len), ps->lx.src.p + ps->tok.off);
        return KZ_ERR_INVALID;
    }
    return unexpected(ps, "a property name");
}

static char *
canon_path(struct parser *ps, const struct kz_pat_path *path)
{
    size_t len = strlen(path->type) + 1;
    char *s, *p;

    for (size_t i = 0; i < path->nsteps; i++)
        len += path->steps[i].kind == KZ_STEP_KEY ? strlen(path->steps[i].key) + 1 : 24;
    s = kz_pattern__alloc(ps->pool, len + 1);
    p = s;
    p += snprintf(p, len + 1 - (size_t)(p - s), "%s:", path->type);
    for (size_t i = 0; i < path->nsteps; i++) {
        const struct kz_pat_step *st = &path->steps[i];
        size_t room = len + 1 - (size_t)(p - s);
        if (st->kind == KZ_STEP_KEY)
            p += snprintf(p, room, "%s%s", i == 0 ? "" : ".", st->key);
        else if (st->kind == KZ_STEP_ANY)
            p += snprintf(p, room, "[*]");
        else
            p += snprintf(p, room, "[%lld]", (long long)st->index);
    }
    return s;
}

static kz_err
parse_path(struct parser *ps, struct kz_pat_path *path)
{
    struct steplist steps = {0};
    struct kz_pat_step step;
    kz_err err;

    if (ps->tok.kind != KZ_TOK_IDENT && ps->tok.kind != KZ_TOK_IDENT_HYPHEN) {
        err = unexpected(ps, "an object path (type:property)");
        goto done;
    }
    path->type = pool_strndup(ps, ps->lx.src.p + ps->tok.off, ps->tok.len);
    if ((err = advance(ps)) != KZ_OK || (err = expect(ps, KZ_TOK_COLON, "':'")) != KZ_OK)
        goto done;
    memset(&step, 0, sizeof(step));
    step.kind = KZ_STEP_KEY;
    if ((err = parse_key(ps, &step.key)) != KZ_OK)
        goto done;
    steplist_push(&steps, step);
    for (;;) {
        memset(&step, 0, sizeof(step));
        if (ps->tok.kind == KZ_TOK_DOT) {
            if ((err = advance(ps)) != KZ_OK)
                goto done;
            step.kind = KZ_STEP_KEY;
            if ((err = parse_key(ps, &step.key)) != KZ_OK)
                goto done;
        } else if (ps->tok.kind == KZ_TOK_LBRACK) {
            if ((err = advance(ps)) != KZ_OK)
                goto done;
            if (ps->tok.kind == KZ_TOK_ASTERISK) {
                step.kind = KZ_STEP_ANY;
            } else if (ps->tok.kind == KZ_TOK_INT) {
                step.kind = KZ_STEP_INDEX;
                if ((err = int_value(ps, &ps->tok, &step.index)) != KZ_OK)
                    goto done;
            } else {
                err = unexpected(ps, "a list index or '*'");
                goto done;
            }
            if ((err = advance(ps)) != KZ_OK || (err = expect(ps, KZ_TOK_RBRACK, "']'")) != KZ_OK)
                goto done;
        } else {
            break;
        }
        steplist_push(&steps, step);
    }
    path->nsteps = steps.n;
    path->steps = kz_pattern__alloc(ps->pool, steps.n * sizeof(*steps.v));
    memcpy(path->steps, steps.v, steps.n * sizeof(*steps.v));
    path->canon = canon_path(ps, path);
    err = KZ_OK;
done:
    free(steps.v);
    return err;
}

/* ---- comparison expressions ---- */

static kz_err parse_comp_or(struct parser *ps, struct kz_pat_node **out);

static kz_err
compile_regex(struct parser *ps, struct kz_pat_cmp *cmp, size_t off)
{
    int code;
    PCRE2_SIZE erroff;
    pcre2_code *re;
    PCRE2_UCHAR msg[160];

    re = pcre2_compile((PCRE2_SPTR)cmp->lit.s, cmp->lit.n, PCRE2_UTF, &code, &erroff, NULL);
    if (re == NULL) {
        if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
            snprintf((char *)msg, sizeof(msg), "error %d", code);
        kz_pattern__fail(ps->d, off, "invalid regular expression: %s (at offset %zu)",
                         (const char *)msg, (size_t)erroff);
        return KZ_ERR_INVALID;
    }
    pool_add_re(ps->pool, re);
    cmp->re = re;
    return KZ_OK;
}

static kz_err
parse_set(struct parser *ps, struct kz_pat_cmp *cmp)
{
    struct kz_pat_lit *v = NULL;
    size_t n = 0, cap = 0;
    kz_err err;

    if ((err = expect(ps, KZ_TOK_LPAREN, "'(' after IN")) != KZ_OK)
        goto done;
    if (ps->tok.kind != KZ_TOK_RPAREN) {
        for (;;) {
            if (n == cap) {
                cap = cap ? cap * 2 : 4;
                v = kz_xrealloc(v, cap * sizeof(*v));
            }
            if (!is_literal(ps->tok.kind)) {
                err = unexpected(ps, "a literal");
                goto done;
            }
            if ((err = parse_literal(ps, &v[n])) != KZ_OK)
                goto done;
            n++;
            if (ps->tok.kind != KZ_TOK_COMMA)
                break;
            if ((err = advance(ps)) != KZ_OK)
                goto done;
        }
    }
    if ((err = expect(ps, KZ_TOK_RPAREN, "',' or ')'")) != KZ_OK)
        goto done;
    cmp->set = kz_pattern__alloc(ps->pool, n * sizeof(*v));
    if (n > 0)
        memcpy(cmp->set, v, n * sizeof(*v));
    cmp->nset = n;
done:
    free(v);
    return err;
}

static kz_err
parse_comparison(struct parser *ps, struct kz_pat_node **out)
{
    struct kz_pat_node *node = new_node(ps, KZ_NODE_CMP, ps->tok.off);
    struct kz_pat_cmp *cmp = kz_pattern__alloc(ps->pool, sizeof(*cmp));
    size_t lit_off;
    kz_err err;

    node->cmp = cmp;
    if (ps->tok.kind == KZ_TOK_EXISTS) {
        cmp->op = KZ_OP_EXISTS;
        if ((err = advance(ps)) != KZ_OK || (err = parse_path(ps, &cmp->path)) != KZ_OK)
            return err;
        *out = node;
        return KZ_OK;
    }
    if ((err = parse_path(ps, &cmp->path)) != KZ_OK)
        return err;
    if (ps->tok.kind == KZ_TOK_NOT) {
        cmp->negated = true;
        if ((err = advance(ps)) != KZ_OK)
            return err;
    }
    switch (ps->tok.kind) {
    case KZ_TOK_EQ:
        cmp->op = KZ_OP_EQ;
        break;
    case KZ_TOK_NEQ:
        cmp->op = KZ_OP_NEQ;
        break;
    case KZ_TOK_LT:
        cmp->op = KZ_OP_LT;
        break;
    case KZ_TOK_LE:
        cmp->op = KZ_OP_LE;
        break;
    case KZ_TOK_GT:
        cmp->op = KZ_OP_GT;
        break;
    case KZ_TOK_GE:
        cmp->op = KZ_OP_GE;
        break;
    case KZ_TOK_IN:
        cmp->op = KZ_OP_IN;
        break;
    case KZ_TOK_LIKE:
        cmp->op = KZ_OP_LIKE;
        break;
    case KZ_TOK_MATCHES:
        cmp->op = KZ_OP_MATCHES;
        break;
    case KZ_TOK_ISSUBSET:
        cmp->op = KZ_OP_ISSUBSET;
        break;
    case KZ_TOK_ISSUPERSET:
        cmp->op = KZ_OP_ISSUPERSET;
        break;
    default:
        return unexpected(ps, "a comparison operator");
    }
    if ((err = advance(ps)) != KZ_OK)
        return err;
    lit_off = ps->tok.off;
    switch (cmp->op) {
    case KZ_OP_IN:
        err = parse_set(ps, cmp);
        break;
    case KZ_OP_EQ:
    case KZ_OP_NEQ:
        if (!is_literal(ps->tok.kind))
            return unexpected(ps, "a literal");
        err = parse_literal(ps, &cmp->lit);
        break;
    case KZ_OP_LT:
    case KZ_OP_LE:
    case KZ_OP_GT:
    case KZ_OP_GE:
        if (ps->tok.kind == KZ_TOK_BOOL) {
            kz_pattern__fail(ps->d, ps->tok.off, "a boolean cannot be ordered");
            return KZ_ERR_INVALID;
        }
        if (!is_literal(ps->tok.kind))
            return unexpected(ps, "a literal");
        err = parse_literal(ps, &cmp->lit);
        break;
    default:
        if (ps->tok.kind != KZ_TOK_STRING)
            return unexpected(ps, "a string literal");
        err = parse_literal(ps, &cmp->lit);
        if (err != KZ_OK)
            break;
        if (cmp->op == KZ_OP_MATCHES) {
            err = compile_regex(ps, cmp, lit_off);
        } else if (cmp->op == KZ_OP_ISSUBSET || cmp->op == KZ_OP_ISSUPERSET) {
            if (!kz_pattern__net_parse(cmp->lit.s, cmp->lit.n, &cmp->net)) {
                kz_pattern__fail(ps->d, lit_off, "%s needs an IPv4 or IPv6 address or CIDR",
                                 cmp->op == KZ_OP_ISSUBSET ? "ISSUBSET" : "ISSUPERSET");
                err = KZ_ERR_INVALID;
            }
        }
        break;
    }
    if (err != KZ_OK)
        return err;
    *out = node;
    return KZ_OK;
}

static kz_err
parse_prop_test(struct parser *ps, struct kz_pat_node **out)
{
    kz_err err;

    if (ps->tok.kind != KZ_TOK_LPAREN)
        return parse_comparison(ps, out);
    if ((err = enter(ps)) != KZ_OK || (err = advance(ps)) != KZ_OK)
        return err;
    if ((err = parse_comp_or(ps, out)) != KZ_OK)
        return err;
    if ((err = expect(ps, KZ_TOK_RPAREN, "')'")) != KZ_OK)
        return err;
    ps->depth--;
    return KZ_OK;
}

/* A chain of items joined by one operator, parsed by sub and folded into one node. */
static kz_err
parse_chain(struct parser *ps, enum kz_pat_tok op, enum kz_pat_node_kind kind,
            kz_err (*sub)(struct parser *, struct kz_pat_node **), struct kz_pat_node **out)
{
    struct nodelist l = {0};
    struct kz_pat_node *node;
    kz_err err;

    for (;;) {
        if ((err = sub(ps, &node)) != KZ_OK)
            goto done;
        nodelist_push(&l, node);
        if (ps->tok.kind != op)
            break;
        if ((err = advance(ps)) != KZ_OK)
            goto done;
    }
    *out = join(ps, kind, &l);
done:
    free(l.v);
    return err;
}

static kz_err
parse_comp_and(struct parser *ps, struct kz_pat_node **out)
{
    return parse_chain(ps, KZ_TOK_AND, KZ_NODE_CAND, parse_prop_test, out);
}

static kz_err
parse_comp_or(struct parser *ps, struct kz_pat_node **out)
{
    return parse_chain(ps, KZ_TOK_OR, KZ_NODE_COR, parse_comp_and, out);
}

/* ---- observation expressions ---- */

static kz_err parse_obs_seq(struct parser *ps, struct kz_pat_node **out);

static kz_err
parse_qualifier(struct parser *ps, struct kz_pat_node *inner, struct kz_pat_node **out)
{
    struct kz_pat_node *node;
    struct kz_pat_lit lit;
    size_t off = ps->tok.off;
    kz_err err;

    if ((err = enter(ps)) != KZ_OK)
        return err;
    switch (ps->tok.kind) {
    case KZ_TOK_WITHIN:
        node = new_node(ps, KZ_NODE_WITHIN, inner->offset);
        if ((err = advance(ps)) != KZ_OK)
            return err;
        off = ps->tok.off;
        if (ps->tok.kind != KZ_TOK_INT && ps->tok.kind != KZ_TOK_FLOAT)
            return unexpected(ps, "a number of seconds");
        if ((err = parse_literal(ps, &lit)) != KZ_OK)
            return err;
        node->seconds = lit.kind == KZ_LIT_INT ? (double)lit.i : lit.f;
        if (ps->lx.src.p[off] == '-' || !(node->seconds > 0)) {
            kz_pattern__fail(ps->d, off, "WITHIN needs a positive number of seconds");
            return KZ_ERR_INVALID;
        }
        if ((err = expect(ps, KZ_TOK_SECONDS, "SECONDS")) != KZ_OK)
            return err;
        break;
    case KZ_TOK_REPEATS:
        node = new_node(ps, KZ_NODE_REPEATS, inner->offset);
        if ((err = advance(ps)) != KZ_OK)
            return err;
        off = ps->tok.off;
        if (ps->tok.kind != KZ_TOK_INT)
            return unexpected(ps, "a whole number of times");
        if ((err = parse_literal(ps, &lit)) != KZ_OK)
            return err;
        if (ps->lx.src.p[off] == '-' || lit.i < 1) {
            kz_pattern__fail(ps->d, off, "REPEATS needs a positive whole number");
            return KZ_ERR_INVALID;
        }
        node->times = (uint64_t)lit.i;
        if ((err = expect(ps, KZ_TOK_TIMES, "TIMES")) != KZ_OK)
            return err;
        break;
    case KZ_TOK_START:
        node = new_node(ps, KZ_NODE_STARTSTOP, inner->offset);
        if ((err = advance(ps)) != KZ_OK)
            return err;
        if (ps->tok.kind != KZ_TOK_TIME)
            return unexpected(ps, "a timestamp t'...' after START");
        if ((err = parse_literal(ps, &lit)) != KZ_OK)
            return err;
        node->start_us = lit.t_us;
        if ((err = expect(ps, KZ_TOK_STOP, "STOP")) != KZ_OK)
            return err;
        off = ps->tok.off;
        if (ps->tok.kind != KZ_TOK_TIME)
            return unexpected(ps, "a timestamp t'...' after STOP");
        if ((err = parse_literal(ps, &lit)) != KZ_OK)
            return err;
        node->stop_us = lit.t_us;
        if (node->stop_us <= node->start_us) {
            kz_pattern__fail(ps->d, off, "STOP must be later than START");
            return KZ_ERR_INVALID;
        }
        break;
    default:
        return unexpected(ps, "a qualifier");
    }
    (void)off;
    node->kids = kz_pattern__alloc(ps->pool, sizeof(*node->kids));
    node->kids[0] = inner;
    node->nkids = 1;
    *out = node;
    return KZ_OK;
}

static kz_err
parse_obs_expr(struct parser *ps, struct kz_pat_node **out)
{
    struct kz_pat_node *node;
    unsigned depth = ps->depth;
    size_t off = ps->tok.off;
    kz_err err;

    if (ps->tok.kind == KZ_TOK_LBRACK) {
        if ((err = advance(ps)) != KZ_OK)
            return err;
        node = new_node(ps, KZ_NODE_OBS, off);
        node->kids = kz_pattern__alloc(ps->pool, sizeof(*node->kids));
        node->nkids = 1;
        if ((err = parse_comp_or(ps, &node->kids[0])) != KZ_OK)
            return err;
        if ((err = expect(ps, KZ_TOK_RBRACK, "']'")) != KZ_OK)
            return err;
    } else if (ps->tok.kind == KZ_TOK_LPAREN) {
        if ((err = enter(ps)) != KZ_OK || (err = advance(ps)) != KZ_OK)
            return err;
        if ((err = parse_obs_seq(ps, &node)) != KZ_OK)
            return err;
        if ((err = expect(ps, KZ_TOK_RPAREN, "')'")) != KZ_OK)
            return err;
        ps->depth--;
    } else {
        return unexpected(ps, "'[' or '('");
    }
    while (ps->tok.kind == KZ_TOK_WITHIN || ps->tok.kind == KZ_TOK_REPEATS ||
           ps->tok.kind == KZ_TOK_START) {
        if ((err = parse_qualifier(ps, node, &node)) != KZ_OK)
            return err;
    }
    ps->depth = depth;
    *out = node;
    return KZ_OK;
}

static kz_err
parse_obs_and(struct parser *ps, struct kz_pat_node **out)
{
    return parse_chain(ps, KZ_TOK_AND, KZ_NODE_OAND, parse_obs_expr, out);
}

static kz_err
parse_obs_or(struct parser *ps, struct kz_pat_node **out)
{
    return parse_chain(ps, KZ_TOK_OR, KZ_NODE_OOR, parse_obs_and, out);
}

static kz_err
parse_obs_seq(struct parser *ps, struct kz_pat_node **out)
{
    return parse_chain(ps, KZ_TOK_FOLLOWEDBY, KZ_NODE_FOLLOWEDBY, parse_obs_or, out);
}

kz_err
kz_pattern__parse(struct kz_str src, struct kz_pat_pool *pool, struct kz_pat_node **out,
                  struct kz_pat_diag *d)
{
    struct parser ps;
    struct kz_pat_node *root;
    kz_err err;

    memset(&ps, 0, sizeof(ps));
    kz_pattern__lex_init(&ps.lx, src);
    ps.pool = pool;
    ps.d = d;
    if ((err = advance(&ps)) != KZ_OK)
        return err;
    if (ps.tok.kind == KZ_TOK_EOF) {
        kz_pattern__fail(d, 0, "empty pattern");
        return KZ_ERR_INVALID;
    }
    if ((err = parse_obs_seq(&ps, &root)) != KZ_OK)
        return err;
    if (ps.tok.kind != KZ_TOK_EOF)
        return unexpected(&ps, "AND, OR, FOLLOWEDBY, a qualifier or the end");
    *out = root;
    return KZ_OK;
}
