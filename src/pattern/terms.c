/*
 * kz_pattern_simple_terms: reduces a pattern to a flat OR of "path = 'value'" and
 * "path ISSUBSET 'cidr'" terms when it is that simple, so the match index can take it.
 */
#include "pattern/pattern.h"

#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "pattern/pattern_int.h"
#include "base/banned.h"

/* A term borrowed from the AST while reducing. */
struct bterm {
    const char *path;
    enum kz_pattern_term_op op;
    const char *value;
};

struct bset {
    struct bterm *v;
    size_t n, cap;
};

static void
bset_push(struct bset *s, struct bterm t)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4;
        s->v = kz_xrealloc(s->v, s->cap * sizeof(*s->v));
    }
    s->v[s->n++] = t;
}

static int
bterm_cmp(const void *a, const void *b)
{
    const struct bterm *x = a, *y = b;
    int c = strcmp(x->path, y->path);

    if (c != 0)
        return c;
    if (x->op != y->op)
        return x->op < y->op ? -1 : 1;
    return strcmp(x->value, y->value);
}

/* Sorts and removes duplicates, so that two sets compare as arrays. */
static void
bset_normalise(struct bset *s)
{
    size_t o = 0;

    if (s->n == 0)
        return;
    qsort(s->v, s->n, sizeof(*s->v), bterm_cmp);
    for (size_t i = 1; i < s->n; i++) {
        if (bterm_cmp(&s->v[o], &s->v[i]) != 0)
            s->v[++o] = s->v[i];
    }
    s->n = o + 1;
}

static bool
bset_equal(const struct bset *a, const struct bset *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        if (bterm_cmp(&a->v[i], &b->v[i]) != 0)
            return false;
    }
    return true;
}

static bool
string_term(const struct kz_pat_lit *lit)
{
    return lit->kind == KZ_LIT_STRING && memchr(lit->s, '\0', lit->n) == NULL;
}

/* Adds the terms of node to out; false when node is not simple. */
static bool
reduce(const struct kz_pat_node *node, struct bset *out)
{
    const struct kz_pat_cmp *c;

    switch (node->kind) {
    case KZ_NODE_CMP:
        c = node->cmp;
        if (c->negated)
            return false;
        if (c->op == KZ_OP_EQ && string_term(&c->lit)) {
            bset_push(out, (struct bterm){c->path.canon, KZ_TERM_EQ, c->lit.s});
            return true;
        }
        if (c->op == KZ_OP_IN && c->nset == 1 && string_term(&c->set[0])) {
            bset_push(out, (struct bterm){c->path.canon, KZ_TERM_EQ, c->set[0].s});
            return true;
        }
        if (c->op == KZ_OP_ISSUBSET && string_term(&c->lit)) {
            bset_push(out, (struct bterm){c->path.canon, KZ_TERM_SUBSET, c->lit.s});
            return true;
        }
        return false;
    case KZ_NODE_COR:
    case KZ_NODE_OOR:
    case KZ_NODE_OBS:
        for (size_t i = 0; i < node->nkids; i++) {
            if (!reduce(node->kids[i], out))
                return false;
        }
        return true;
    case KZ_NODE_CAND:
    case KZ_NODE_OAND: {
        /* "X AND X" is X; any other AND needs the evaluator. */
        struct bset first = {0}, other = {0};
        bool ok = reduce(node->kids[0], &first);
        bset_normalise(&first);
        for (size_t i = 1; ok && i < node->nkids; i++) {
            other.n = 0;
            ok = reduce(node->kids[i], &other);
            bset_normalise(&other);
            ok = ok && bset_equal(&first, &other);
        }
        for (size_t i = 0; ok && i < first.n; i++)
            bset_push(out, first.v[i]);
        free(first.v);
        free(other.v);
        return ok;
    }
    default:
        return false;
    }
}

kz_err
kz_pattern_simple_terms(struct kz_str pattern, struct kz_pattern_terms *out)
{
    struct kz_pat_pool pool = {0};
    struct kz_pat_node *root;
    struct bset set = {0};
    struct kz_pattern_terms terms = {0};
    kz_err err;

    if (pattern.n > KZ_LIMIT_PATTERN_BYTES) {
        err = KZ_ERR_INVALID;
        goto done;
    }
    err = kz_pattern__parse(pattern, &pool, &root, NULL);
    if (err != KZ_OK) {
        err = KZ_ERR_INVALID;
        goto done;
    }
    if (!reduce(root, &set) || set.n == 0) {
        err = KZ_ERR_NOTFOUND;
        goto done;
    }
    bset_normalise(&set);
    terms.items = kz_xcalloc(set.n, sizeof(*terms.items));
    for (size_t i = 0; i < set.n; i++) {
        terms.items[i].path = kz_xstrdup(set.v[i].path);
        terms.items[i].op = set.v[i].op;
        terms.items[i].value = kz_xstrdup(set.v[i].value);
    }
    terms.n = set.n;
    *out = terms;
    err = KZ_OK;
done:
    free(set.v);
    kz_pattern__pool_release(&pool);
    return err;
}

void
kz_pattern_terms_release(struct kz_pattern_terms *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n; i++) {
        free(t->items[i].path);
        free(t->items[i].value);
    }
    free(t->items);
    t->items = NULL;
    t->n = 0;
}
