/*
 * The pattern evaluator: decides whether a pattern matches a set of observed-data objects.
 * An observation expression yields every set of observations that satisfies it (a "match");
 * AND, OR, FOLLOWEDBY and the qualifiers combine and filter those sets. Simple and exact;
 * the sizes are capped so hostile input ends in KZ_ERR_LIMIT rather than a long run.
 */
#include "pattern/pattern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/time.h"
#include "pattern/pattern_int.h"
#include "base/banned.h"

#define EVAL_MAX_MATCHES      10000u    /* matches one node may produce */
#define EVAL_MAX_WORK         20000000u /* comparisons and bindings tried in one evaluation */
#define EVAL_MAX_VALUES       100000u   /* values one object path may resolve to */
#define EVAL_MAX_OBSERVATIONS 100000u

struct kz_pattern {
    struct kz_pat_pool pool;
    struct kz_pat_node *root;
    unsigned nobsnodes;  /* OBS nodes, numbered by obs_id */
    uint64_t completing; /* bit per OBS node that can hold the latest event of a match */
};

static void number_obs(struct kz_pattern *p, struct kz_pat_node *n);
static uint64_t completing_of(const struct kz_pattern *p, const struct kz_pat_node *n);

/* One observed-data, with its objects found. */
struct obs {
    int64_t first, last;
    const json_t *objmap; /* 2.0 style "objects" dictionary, or NULL */
    const json_t **objs;  /* the observation's objects, borrowed */
    size_t nobjs;
};

struct ctx {
    struct obs *obs;
    size_t nobs;
    const json_t *scos; /* array of SCOs to dereference ids in, or NULL */
    pcre2_match_context *mctx;
    size_t work;
    const uint64_t *parts; /* per observation, from kz_pattern_eval_part; or NULL */
};

/* A set of observations that together satisfy an expression. */
struct match {
    size_t *idx; /* sorted observation indexes, owned */
    size_t n;
    int64_t tmin, tmax; /* earliest first_observed, latest last_observed */
};

struct mset {
    struct match *v;
    size_t n, cap;
};

static void
mset_release(struct mset *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].idx);
    free(s->v);
    memset(s, 0, sizeof(*s));
}

static kz_err
mset_push(struct mset *s, struct match m)
{
    if (s->n >= EVAL_MAX_MATCHES) {
        free(m.idx);
        return KZ_ERR_LIMIT;
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->v = kz_xrealloc(s->v, s->cap * sizeof(*s->v));
    }
    s->v[s->n++] = m;
    return KZ_OK;
}

static struct match
match_copy(const struct match *m)
{
    struct match c = *m;

    c.idx = kz_xmalloc(m->n * sizeof(*c.idx));
    memcpy(c.idx, m->idx, m->n * sizeof(*c.idx));
    return c;
}

/* Merges two matches that share no observation; false when they do. */
static bool
match_merge(const struct match *a, const struct match *b, struct match *out)
{
    size_t i = 0, j = 0, o = 0;
    size_t *v = kz_xmalloc((a->n + b->n) * sizeof(*v));

    while (i < a->n || j < b->n) {
        if (j == b->n || (i < a->n && a->idx[i] < b->idx[j])) {
            v[o++] = a->idx[i++];
        } else if (i == a->n || b->idx[j] < a->idx[i]) {
            v[o++] = b->idx[j++];
        } else {
            free(v);
            return false;
        }
    }
    out->idx = v;
    out->n = o;
    out->tmin = a->tmin < b->tmin ? a->tmin : b->tmin;
    out->tmax = a->tmax > b->tmax ? a->tmax : b->tmax;
    return true;
}

static int
match_order(const void *x, const void *y)
{
    const struct match *a = x, *b = y;

    if (a->n != b->n)
        return a->n < b->n ? -1 : 1;
    for (size_t i = 0; i < a->n; i++) {
        if (a->idx[i] != b->idx[i])
            return a->idx[i] < b->idx[i] ? -1 : 1;
    }
    return 0;
}

/* The same observations reached two ways are one match. */
static void
mset_dedupe(struct mset *s)
{
    size_t o = 0;

    if (s->n < 2)
        return;
    qsort(s->v, s->n, sizeof(*s->v), match_order);
    for (size_t i = 1; i < s->n; i++) {
        if (match_order(&s->v[o], &s->v[i]) == 0)
            free(s->v[i].idx);
        else
            s->v[++o] = s->v[i];
    }
    s->n = o + 1;
}

/* ---- object paths ---- */

struct vals {
    const json_t **v;
    bool *ref; /* the value came from a _ref or _refs property */
    size_t n, cap;
};

static kz_err
vals_push(struct vals *s, const json_t *v, bool ref)
{
    if (s->n >= EVAL_MAX_VALUES)
        return KZ_ERR_LIMIT;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->v = kz_xrealloc(s->v, s->cap * sizeof(*s->v));
        s->ref = kz_xrealloc(s->ref, s->cap * sizeof(*s->ref));
    }
    s->v[s->n] = v;
    s->ref[s->n] = ref;
    s->n++;
    return KZ_OK;
}

static void
vals_release(struct vals *s)
{
    free(s->v);
    free(s->ref);
    memset(s, 0, sizeof(*s));
}

static const json_t *
find_by_id(const json_t *arr, const char *id)
{
    size_t i;
    json_t *o;

    if (arr == NULL)
        return NULL;
    json_array_foreach(arr, i, o)
    {
        const char *oid = json_string_value(json_object_get(o, "id"));
        if (oid != NULL && strcmp(oid, id) == 0)
            return o;
    }
    return NULL;
}

/* Follows a reference: a key of the 2.0 objects dictionary, or an id. */
static const json_t *
deref(const struct ctx *cx, const struct obs *ob, const json_t *ref)
{
    const char *id = json_string_value(ref);

    if (id == NULL)
        return NULL;
    if (ob->objmap != NULL) {
        const json_t *o = json_object_get(ob->objmap, id);
        if (o != NULL)
            return o;
    }
    for (size_t i = 0; i < ob->nobjs; i++) {
        const char *oid = json_string_value(json_object_get(ob->objs[i], "id"));
        if (oid != NULL && strcmp(oid, id) == 0)
            return ob->objs[i];
    }
    return find_by_id(cx->scos, id);
}

static bool
is_ref_key(const char *key)
{
    size_t n = strlen(key);

    return (n >= 4 && strcmp(key + n - 4, "_ref") == 0) ||
           (n >= 5 && strcmp(key + n - 5, "_refs") == 0);
}

/* Every value the path reaches from obj; [*] fans out, _ref and _refs are followed. */
static kz_err
resolve(const struct ctx *cx, const struct obs *ob, const struct kz_pat_path *path,
        const json_t *obj, struct vals *out)
{
    struct vals cur = {0}, next = {0}, tmp;
    kz_err err;

    if ((err = vals_push(&cur, obj, false)) != KZ_OK)
        goto done;
    for (size_t s = 0; s < path->nsteps; s++) {
        const struct kz_pat_step *st = &path->steps[s];
        next.n = 0;
        for (size_t i = 0; i < cur.n; i++) {
            const json_t *v = cur.v[i];
            if (st->kind == KZ_STEP_KEY) {
                const json_t *child;
                if (cur.ref[i] && json_is_string(v))
                    v = deref(cx, ob, v);
                if (!json_is_object(v))
                    continue;
                child = json_object_get(v, st->key);
                if (child != NULL && !json_is_null(child) &&
                    (err = vals_push(&next, child, is_ref_key(st->key))) != KZ_OK)
                    goto done;
            } else if (json_is_array(v)) {
                size_t k;
                json_t *e;
                if (st->kind == KZ_STEP_INDEX) {
                    if (st->index >= 0 && (size_t)st->index < json_array_size(v) &&
                        (err = vals_push(&next, json_array_get(v, (size_t)st->index),
                                         cur.ref[i])) != KZ_OK)
                        goto done;
                    continue;
                }
                json_array_foreach(v, k, e)
                {
                    if ((err = vals_push(&next, e, cur.ref[i])) != KZ_OK)
                        goto done;
                }
            }
        }
        tmp = cur;
        cur = next;
        next = tmp;
    }
    tmp = *out;
    *out = cur;
    cur = tmp;
    err = KZ_OK;
done:
    vals_release(&cur);
    vals_release(&next);
    return err;
}

/* ---- comparisons ---- */

enum {
    NA = 2
}; /* the comparison does not apply to this value: false, even negated */

static int
bytes_order(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);

    if (c != 0)
        return c < 0 ? -1 : 1;
    return an == bn ? 0 : an < bn ? -1 : 1;
}

static int
num_order(double a, double b)
{
    return a < b ? -1 : a > b ? 1 : a == b ? 0 : NA;
}

/* Orders a JSON value against a literal: -1, 0, 1, or NA when the types do not meet. */
static int
order(const json_t *v, const struct kz_pat_lit *lit)
{
    const char *s = json_string_value(v);
    size_t sn = s != NULL ? json_string_length(v) : 0;
    int64_t us;
    unsigned char *buf;
    size_t bn;
    int r;

    switch (lit->kind) {
    case KZ_LIT_STRING:
        return s != NULL ? bytes_order(s, sn, lit->s, lit->n) : NA;
    case KZ_LIT_INT:
        if (json_is_integer(v)) {
            json_int_t x = json_integer_value(v);
            return x < lit->i ? -1 : x > lit->i ? 1 : 0;
        }
        return json_is_real(v) ? num_order(json_real_value(v), (double)lit->i) : NA;
    case KZ_LIT_FLOAT:
        return json_is_number(v) ? num_order(json_number_value(v), lit->f) : NA;
    case KZ_LIT_BOOL:
        return json_is_boolean(v) ? (json_is_true(v) == lit->b ? 0 : 1) : NA;
    case KZ_LIT_TIME:
        if (s == NULL || kz_time_parse(kz_str_make(s, sn), &us, NULL) != KZ_OK)
            return NA;
        return us < lit->t_us ? -1 : us > lit->t_us ? 1 : 0;
    case KZ_LIT_BINARY:
    case KZ_LIT_HEX:
        if (s == NULL)
            return NA;
        buf = kz_xmalloc(sn + 1);
        /* A binary property is base64 in JSON, a hex property is hex: take either. */
        if ((lit->kind == KZ_LIT_HEX && kz_pattern__hex_decode(s, sn, buf, &bn)) ||
            kz_pattern__base64_decode(s, sn, buf, &bn) || kz_pattern__hex_decode(s, sn, buf, &bn))
            r = bytes_order((const char *)buf, bn, lit->s, lit->n);
        else
            r = NA;
        free(buf);
        return r;
    }
    return NA;
}

static int
regex_test(const struct ctx *cx, const pcre2_code *re, const char *s, size_t n)
{
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    int rc;

    if (md == NULL)
        return NA;
    rc = pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, md, cx->mctx);
    pcre2_match_data_free(md);
    if (rc >= 0)
        return 1;
    return rc == PCRE2_ERROR_NOMATCH ? 0 : NA;
}

/* The operator on one value: 1, 0 or NA. */
static int
apply(const struct ctx *cx, const struct kz_pat_cmp *c, const json_t *v)
{
    const char *s = json_string_value(v);
    size_t sn = s != NULL ? json_string_length(v) : 0;
    struct kz_pat_net net;
    int r;

    switch (c->op) {
    case KZ_OP_EQ:
    case KZ_OP_NEQ:
        r = order(v, &c->lit);
        if (r == NA)
            return NA;
        return (r == 0) == (c->op == KZ_OP_EQ);
    case KZ_OP_LT:
    case KZ_OP_LE:
    case KZ_OP_GT:
    case KZ_OP_GE:
        r = order(v, &c->lit);
        if (r == NA)
            return NA;
        switch (c->op) {
        case KZ_OP_LT:
            return r < 0;
        case KZ_OP_LE:
            return r <= 0;
        case KZ_OP_GT:
            return r > 0;
        default:
            return r >= 0;
        }
    case KZ_OP_IN: {
        bool comparable = false;
        for (size_t i = 0; i < c->nset; i++) {
            r = order(v, &c->set[i]);
            if (r == 0)
                return 1;
            if (r != NA)
                comparable = true;
        }
        return comparable ? 0 : NA;
    }
    case KZ_OP_LIKE:
        return s != NULL ? kz_pattern__like(s, sn, c->lit.s, c->lit.n) : NA;
    case KZ_OP_MATCHES:
        return s != NULL ? regex_test(cx, c->re, s, sn) : NA;
    case KZ_OP_ISSUBSET:
    case KZ_OP_ISSUPERSET:
        if (s == NULL || !kz_pattern__net_parse(s, sn, &net) || net.family != c->net.family)
            return NA;
        if (c->op == KZ_OP_ISSUBSET)
            return kz_pattern__net_within(&net, &c->net);
        return kz_pattern__net_within(&c->net, &net);
    case KZ_OP_EXISTS:
        return 1;
    }
    return NA;
}

static kz_err
test_cmp(struct ctx *cx, const struct obs *ob, const struct kz_pat_cmp *c, const json_t *obj,
         bool *out)
{
    struct vals vs = {0};
    bool hit = false;
    kz_err err;

    if (obj == NULL) {
        *out = false;
        return KZ_OK;
    }
    if ((err = resolve(cx, ob, &c->path, obj, &vs)) != KZ_OK)
        goto done;
    if (c->op == KZ_OP_EXISTS) {
        hit = vs.n > 0;
    } else {
        for (size_t i = 0; i < vs.n && !hit; i++) {
            int r = apply(cx, c, vs.v[i]);
            if (r != NA && c->negated)
                r = !r;
            hit = r == 1;
        }
    }
    cx->work += vs.n + 1;
    *out = hit;
done:
    vals_release(&vs);
    return err;
}

/* ---- comparison expressions against one observation ---- */

struct binding {
    const char **types; /* distinct object types of the expression */
    const json_t **bound;
    size_t n;
};

static void
collect_types(const struct kz_pat_node *node, struct binding *b, size_t *cap)
{
    if (node->kind != KZ_NODE_CMP) {
        for (size_t i = 0; i < node->nkids; i++)
            collect_types(node->kids[i], b, cap);
        return;
    }
    for (size_t i = 0; i < b->n; i++) {
        if (strcmp(b->types[i], node->cmp->path.type) == 0)
            return;
    }
    if (b->n == *cap) {
        *cap = *cap ? *cap * 2 : 4;
        b->types = kz_xrealloc(b->types, *cap * sizeof(*b->types));
    }
    b->types[b->n++] = node->cmp->path.type;
}

static const json_t *
bound_object(const struct binding *b, const char *type)
{
    for (size_t i = 0; i < b->n; i++) {
        if (strcmp(b->types[i], type) == 0)
            return b->bound[i];
    }
    return NULL;
}

static kz_err
comp_eval(struct ctx *cx, const struct obs *ob, const struct kz_pat_node *node,
          const struct binding *b, bool *out)
{
    bool r = node->kind == KZ_NODE_CAND;
    kz_err err;

    if (node->kind == KZ_NODE_CMP)
        return test_cmp(cx, ob, node->cmp, bound_object(b, node->cmp->path.type), out);
    for (size_t i = 0; i < node->nkids; i++) {
        bool k;
        if ((err = comp_eval(cx, ob, node->kids[i], b, &k)) != KZ_OK)
            return err;
        if (node->kind == KZ_NODE_CAND && !k) {
            r = false;
            break;
        }
        if (node->kind == KZ_NODE_COR && k) {
            r = true;
            break;
        }
    }
    *out = r;
    return KZ_OK;
}

/* Objects of one type in the observation. */
static size_t
objects_of_type(const struct obs *ob, const char *type, const json_t **out)
{
    size_t n = 0;

    for (size_t i = 0; i < ob->nobjs; i++) {
        const char *t = json_string_value(json_object_get(ob->objs[i], "type"));
        if (t != NULL && strcmp(t, type) == 0) {
            if (out != NULL)
                out[n] = ob->objs[i];
            n++;
        }
    }
    return n;
}

/*
 * True when some choice of one object per type (none when the observation has none of that
 * type) satisfies the expression: comparisons on the same type speak of the same object.
 */
static kz_err
observation_matches(struct ctx *cx, const struct obs *ob, const struct kz_pat_node *expr, bool *out)
{
    struct binding b = {0};
    size_t cap = 0;
    const json_t ***cands = NULL;
    size_t *count = NULL, *pos = NULL;
    bool hit = false;
    kz_err err = KZ_OK;

    collect_types(expr, &b, &cap);
    b.bound = kz_xcalloc(b.n ? b.n : 1, sizeof(*b.bound));
    cands = kz_xcalloc(b.n ? b.n : 1, sizeof(*cands));
    count = kz_xcalloc(b.n ? b.n : 1, sizeof(*count));
    pos = kz_xcalloc(b.n ? b.n : 1, sizeof(*pos));
    for (size_t t = 0; t < b.n; t++) {
        count[t] = objects_of_type(ob, b.types[t], NULL);
        cands[t] = kz_xcalloc(count[t] ? count[t] : 1, sizeof(**cands));
        objects_of_type(ob, b.types[t], cands[t]);
    }
    for (;;) {
        size_t t;
        for (t = 0; t < b.n; t++)
            b.bound[t] = count[t] ? cands[t][pos[t]] : NULL;
        if (++cx->work > EVAL_MAX_WORK) {
            err = KZ_ERR_LIMIT;
            goto done;
        }
        if ((err = comp_eval(cx, ob, expr, &b, &hit)) != KZ_OK || hit)
            goto done;
        /* The next binding, odometer style. */
        for (t = 0; t < b.n; t++) {
            if (count[t] > 1 && ++pos[t] < count[t])
                break;
            pos[t] = 0;
        }
        if (t == b.n)
            break;
    }
done:
    if (err == KZ_OK)
        *out = hit;
    for (size_t t = 0; t < b.n; t++)
        free(cands[t]);
    free(cands);
    free(count);
    free(pos);
    free(b.bound);
    free(b.types);
    return err;
}

/* ---- observation expressions ---- */

static kz_err eval_node(struct ctx *cx, const struct kz_pat_node *node, bool want_all,
                        struct mset *out);

/* Pairs every match of acc with every match of next that shares no observation. */
static kz_err
combine(struct ctx *cx, const struct mset *acc, const struct mset *next, bool ordered,
        bool want_all, struct mset *out)
{
    kz_err err;

    for (size_t i = 0; i < acc->n; i++) {
        for (size_t j = 0; j < next->n; j++) {
            struct match m;
            if (++cx->work > EVAL_MAX_WORK)
                return KZ_ERR_LIMIT;
            if (ordered && acc->v[i].tmax > next->v[j].tmin)
                continue;
            if (!match_merge(&acc->v[i], &next->v[j], &m))
                continue;
            if ((err = mset_push(out, m)) != KZ_OK)
                return err;
            if (!want_all)
                return KZ_OK;
        }
    }
    mset_dedupe(out);
    return KZ_OK;
}

static kz_err
eval_fold(struct ctx *cx, const struct kz_pat_node *node, bool want_all, struct mset *out)
{
    struct mset acc = {0}, next = {0}, res = {0};
    bool ordered = node->kind == KZ_NODE_FOLLOWEDBY;
    kz_err err;

    if ((err = eval_node(cx, node->kids[0], true, &acc)) != KZ_OK)
        goto done;
    for (size_t k = 1; k < node->nkids && acc.n > 0; k++) {
        bool last = k + 1 == node->nkids;
        if ((err = eval_node(cx, node->kids[k], true, &next)) != KZ_OK)
            goto done;
        err = combine(cx, &acc, &next, ordered, want_all || !last, &res);
        mset_release(&acc);
        mset_release(&next);
        acc = res;
        memset(&res, 0, sizeof(res));
        if (err != KZ_OK)
            goto done;
    }
    *out = acc;
    memset(&acc, 0, sizeof(acc));
done:
    mset_release(&acc);
    mset_release(&next);
    mset_release(&res);
    return err;
}

/* n matches of the inner expression, pairwise without a shared observation. */
static kz_err
repeats(struct ctx *cx, const struct mset *in, uint64_t times, bool want_all, struct mset *out)
{
    size_t *pick; /* indexes into in, increasing */
    struct match *acc;
    size_t depth = 0;
    kz_err err = KZ_OK;

    if (times > in->n)
        return KZ_OK;
    pick = kz_xcalloc((size_t)times, sizeof(*pick));
    acc = kz_xcalloc((size_t)times + 1, sizeof(*acc));
    pick[0] = 0;
    /* Depth-first over increasing picks; acc[d] is the union of the first d picks. */
    for (;;) {
        if (pick[depth] >= in->n) {
            if (depth == 0)
                break;
            depth--;
            free(acc[depth + 1].idx);
            acc[depth + 1].idx = NULL;
            pick[depth]++;
            continue;
        }
        if (++cx->work > EVAL_MAX_WORK) {
            err = KZ_ERR_LIMIT;
            break;
        }
        struct match m;
        bool ok;
        if (depth == 0) {
            m = match_copy(&in->v[pick[0]]);
            ok = true;
        } else {
            ok = match_merge(&acc[depth], &in->v[pick[depth]], &m);
        }
        if (!ok) {
            pick[depth]++;
            continue;
        }
        if (depth + 1 == times) {
            if ((err = mset_push(out, m)) != KZ_OK || !want_all)
                break;
            pick[depth]++;
            continue;
        }
        acc[depth + 1] = m;
        depth++;
        pick[depth] = pick[depth - 1] + 1;
    }
    for (size_t d = 0; d <= times; d++)
        free(acc[d].idx);
    free(acc);
    free(pick);
    if (err == KZ_OK)
        mset_dedupe(out);
    return err;
}

static kz_err
eval_node(struct ctx *cx, const struct kz_pat_node *node, bool want_all, struct mset *out)
{
    struct mset in = {0};
    kz_err err = KZ_OK;

    switch (node->kind) {
    case KZ_NODE_OBS:
        for (size_t i = 0; i < cx->nobs; i++) {
            bool hit = false;
            struct match m;
            if (cx->parts && node->obs_id < 63)
                hit = (cx->parts[i] >> node->obs_id) & 1;
            else if ((err = observation_matches(cx, &cx->obs[i], node->kids[0], &hit)) != KZ_OK)
                goto done;
            if (!hit)
                continue;
            m.idx = kz_xmalloc(sizeof(*m.idx));
            m.idx[0] = i;
            m.n = 1;
            m.tmin = cx->obs[i].first;
            m.tmax = cx->obs[i].last;
            if ((err = mset_push(out, m)) != KZ_OK || !want_all)
                goto done;
        }
        break;
    case KZ_NODE_OOR:
        for (size_t k = 0; k < node->nkids; k++) {
            if ((err = eval_node(cx, node->kids[k], want_all, &in)) != KZ_OK)
                goto done;
            for (size_t i = 0; i < in.n; i++) {
                if ((err = mset_push(out, in.v[i])) != KZ_OK) {
                    in.v[i].idx = NULL;
                    goto done;
                }
                in.v[i].idx = NULL;
            }
            mset_release(&in);
            if (!want_all && out->n > 0)
                break;
        }
        mset_dedupe(out);
        break;
    case KZ_NODE_OAND:
    case KZ_NODE_FOLLOWEDBY:
        err = eval_fold(cx, node, want_all, out);
        break;
    case KZ_NODE_REPEATS:
        if ((err = eval_node(cx, node->kids[0], true, &in)) != KZ_OK)
            goto done;
        err = repeats(cx, &in, node->times, want_all, out);
        break;
    case KZ_NODE_WITHIN:
    case KZ_NODE_STARTSTOP:
        if ((err = eval_node(cx, node->kids[0], true, &in)) != KZ_OK)
            goto done;
        for (size_t i = 0; i < in.n; i++) {
            const struct match *m = &in.v[i];
            bool keep = true;
            if (node->kind == KZ_NODE_WITHIN) {
                keep = (double)(m->tmax - m->tmin) <= node->seconds * 1e6;
            } else {
                for (size_t j = 0; j < m->n && keep; j++) {
                    int64_t f = cx->obs[m->idx[j]].first;
                    keep = f >= node->start_us && f < node->stop_us;
                }
            }
            if (!keep)
                continue;
            if ((err = mset_push(out, match_copy(m))) != KZ_OK)
                goto done;
            if (!want_all)
                break;
        }
        break;
    default:
        err = KZ_ERR_INTERNAL;
        break;
    }
done:
    mset_release(&in);
    return err;
}

/* ---- the observations ---- */

static kz_err
obs_time(const json_t *od, const char *key, int64_t *out)
{
    const json_t *v = json_object_get(od, key);

    if (!json_is_string(v))
        return KZ_ERR_INVALID;
    return kz_time_parse(kz_str_make(json_string_value(v), json_string_length(v)), out, NULL);
}

static kz_err
load_observations(struct ctx *cx, const json_t *observations, const json_t *scos)
{
    size_t i;
    json_t *od;

    if (!json_is_array(observations))
        return KZ_ERR_INVALID;
    if (json_array_size(observations) > EVAL_MAX_OBSERVATIONS)
        return KZ_ERR_LIMIT;
    if (json_is_object(scos))
        scos = json_object_get(scos, "objects");
    cx->scos = json_is_array(scos) ? scos : NULL;
    cx->obs = kz_xcalloc(json_array_size(observations) + 1, sizeof(*cx->obs));
    json_array_foreach(observations, i, od)
    {
        struct obs *ob = &cx->obs[cx->nobs++];
        const json_t *objects = json_object_get(od, "objects");
        const json_t *refs = json_object_get(od, "object_refs");

        if (!json_is_object(od) || obs_time(od, "first_observed", &ob->first) != KZ_OK ||
            obs_time(od, "last_observed", &ob->last) != KZ_OK)
            return KZ_ERR_INVALID;
        if (json_is_object(objects)) {
            const char *key;
            json_t *o;
            ob->objmap = objects;
            ob->objs = kz_xcalloc(json_object_size(objects) + 1, sizeof(*ob->objs));
            json_object_foreach(kz_json_mut(objects), key, o)
            {
                if (json_is_object(o))
                    ob->objs[ob->nobjs++] = o;
            }
        } else if (json_is_array(refs)) {
            size_t k;
            json_t *r;
            ob->objs = kz_xcalloc(json_array_size(refs) + 1, sizeof(*ob->objs));
            json_array_foreach(refs, k, r)
            {
                const json_t *o =
                    json_is_string(r) ? find_by_id(cx->scos, json_string_value(r)) : NULL;
                if (o != NULL)
                    ob->objs[ob->nobjs++] = o;
            }
        }
    }
    return KZ_OK;
}

kz_err
kz_pattern_compile(struct kz_str pattern, struct kz_pattern **out, char *why, size_t whylen,
                   size_t *column)
{
    struct kz_pattern *p;
    kz_err err;

    err = kz_pattern_check(pattern, why, whylen, column);
    if (err != KZ_OK)
        return err;
    p = kz_xcalloc(1, sizeof(*p));
    err = kz_pattern__parse(pattern, &p->pool, &p->root, NULL);
    if (err != KZ_OK) {
        kz_pattern_free(p);
        return err;
    }
    number_obs(p, p->root);
    p->completing = completing_of(p, p->root);
    *out = p;
    return KZ_OK;
}

void
kz_pattern_free(struct kz_pattern *p)
{
    if (p == NULL)
        return;
    kz_pattern__pool_release(&p->pool);
    free(p);
}

kz_err
kz_pattern_eval(const struct kz_pattern *p, const json_t *observations, const json_t *scos,
                bool *matched)
{
    return kz_pattern_eval_parts(p, observations, scos, NULL, matched);
}

kz_err
kz_pattern_eval_parts(const struct kz_pattern *p, const json_t *observations, const json_t *scos,
                      const uint64_t *parts, bool *matched)
{
    struct ctx cx;
    struct mset res = {0};
    kz_err err;

    memset(&cx, 0, sizeof(cx));
    if (p == NULL || matched == NULL)
        return KZ_ERR_INTERNAL;
    cx.parts = parts;
    cx.mctx = pcre2_match_context_create(NULL);
    if (cx.mctx == NULL)
        return KZ_ERR_NOMEM;
    /* A regular expression that backtracks without end is a non-match, not a hang. */
    pcre2_set_match_limit(cx.mctx, 1000000);
    pcre2_set_depth_limit(cx.mctx, 10000);
    err = load_observations(&cx, observations, scos);
    if (err != KZ_OK)
        goto done;
    err = eval_node(&cx, p->root, false, &res);
    if (err != KZ_OK)
        goto done;
    *matched = res.n > 0;
done:
    mset_release(&res);
    for (size_t i = 0; i < cx.nobs; i++)
        free(cx.obs[i].objs);
    free(cx.obs);
    pcre2_match_context_free(cx.mctx);
    return err;
}

/* ---- what a scan over a stream of events asks of a pattern ---- */

static bool
multi_node(const struct kz_pat_node *n)
{
    if (n->kind == KZ_NODE_OAND || n->kind == KZ_NODE_FOLLOWEDBY || n->kind == KZ_NODE_REPEATS)
        return true;
    if (n->kind == KZ_NODE_OBS)
        return false;
    for (size_t i = 0; i < n->nkids; i++)
        if (multi_node(n->kids[i]))
            return true;
    return false;
}

bool
kz_pattern_multi_event(const struct kz_pattern *p)
{
    return p != NULL && multi_node(p->root);
}

static double
span_node(const struct kz_pat_node *n)
{
    double s, k;

    switch (n->kind) {
    case KZ_NODE_OBS:
        return 0;
    case KZ_NODE_WITHIN:
        k = span_node(n->kids[0]);
        return k >= 0 && k < n->seconds ? k : n->seconds;
    case KZ_NODE_STARTSTOP:
        return span_node(n->kids[0]);
    case KZ_NODE_OOR:
        s = 0;
        for (size_t i = 0; i < n->nkids; i++) {
            k = span_node(n->kids[i]);
            if (k < 0)
                return -1;
            s = k > s ? k : s;
        }
        return s;
    default: /* AND, FOLLOWEDBY, REPEATS: as far apart as the events come */
        return -1;
    }
}

double
kz_pattern_span_seconds(const struct kz_pattern *p)
{
    return p ? span_node(p->root) : -1;
}

/* Bit of OBS node number id; past 63 every node shares bit 63. */
static uint64_t
obs_bit(unsigned id)
{
    return 1ull << (id < 63 ? id : 63);
}

static void
number_obs(struct kz_pattern *p, struct kz_pat_node *n)
{
    if (n->kind == KZ_NODE_OBS) {
        n->obs_id = p->nobsnodes++;
        return;
    }
    for (size_t i = 0; i < n->nkids; i++)
        number_obs(p, n->kids[i]);
}

/*
 * The OBS nodes whose observation can be the strictly latest one of a match: in
 * A FOLLOWEDBY B only B's (A's latest is not after B's earliest); in AND and OR any kid's.
 */
static uint64_t
completing_of(const struct kz_pattern *p, const struct kz_pat_node *n)
{
    uint64_t m = 0;

    if (n->kind == KZ_NODE_OBS)
        return obs_bit(n->obs_id);
    if (n->kind == KZ_NODE_FOLLOWEDBY)
        return completing_of(p, n->kids[n->nkids - 1]);
    for (size_t i = 0; i < n->nkids; i++)
        m |= completing_of(p, n->kids[i]);
    return m;
}

static uint64_t
min_obs_node(const struct kz_pat_node *n)
{
    uint64_t m = 0, k;

    switch (n->kind) {
    case KZ_NODE_OBS:
        return 1;
    case KZ_NODE_OOR:
        m = UINT64_MAX;
        for (size_t i = 0; i < n->nkids; i++) {
            k = min_obs_node(n->kids[i]);
            m = k < m ? k : m;
        }
        return m;
    case KZ_NODE_REPEATS:
        k = min_obs_node(n->kids[0]);
        return n->times > UINT64_MAX / k ? UINT64_MAX : n->times * k;
    default: /* AND, FOLLOWEDBY add up (their sides share no observation); qualifiers keep */
        for (size_t i = 0; i < n->nkids; i++) {
            k = min_obs_node(n->kids[i]);
            m = m > UINT64_MAX - k ? UINT64_MAX : m + k;
        }
        return m;
    }
}

static uint64_t
required_node(const struct kz_pat_node *n)
{
    uint64_t m;

    if (n->kind == KZ_NODE_OBS)
        return obs_bit(n->obs_id);
    if (n->kind == KZ_NODE_OOR) {
        m = UINT64_MAX;
        for (size_t i = 0; i < n->nkids; i++)
            m &= required_node(n->kids[i]);
        return m;
    }
    m = 0;
    for (size_t i = 0; i < n->nkids; i++)
        m |= required_node(n->kids[i]);
    return m;
}

uint64_t
kz_pattern_required(const struct kz_pattern *p)
{
    return p ? required_node(p->root) : 0;
}

uint64_t
kz_pattern_min_observations(const struct kz_pattern *p)
{
    return p ? min_obs_node(p->root) : 0;
}

uint64_t
kz_pattern_completing(const struct kz_pattern *p)
{
    return p ? p->completing : 0;
}

static kz_err
part_node(struct ctx *cx, const struct kz_pat_node *n, uint64_t *out)
{
    kz_err err;
    bool hit = false;

    if (n->kind == KZ_NODE_OBS) {
        if ((*out & obs_bit(n->obs_id)) && n->obs_id >= 63)
            return KZ_OK;
        err = observation_matches(cx, &cx->obs[0], n->kids[0], &hit);
        if (err == KZ_OK && hit)
            *out |= obs_bit(n->obs_id);
        return err;
    }
    for (size_t i = 0; i < n->nkids; i++)
        if ((err = part_node(cx, n->kids[i], out)) != KZ_OK)
            return err;
    return KZ_OK;
}

kz_err
kz_pattern_eval_part(const struct kz_pattern *p, const json_t *od, uint64_t *parts)
{
    struct ctx cx;
    json_t *one;
    kz_err err;

    memset(&cx, 0, sizeof(cx));
    if (p == NULL || parts == NULL || od == NULL)
        return KZ_ERR_INTERNAL;
    one = json_pack("[O]", od);
    cx.mctx = pcre2_match_context_create(NULL);
    if (one == NULL || cx.mctx == NULL) {
        json_decref(one);
        pcre2_match_context_free(cx.mctx);
        return KZ_ERR_NOMEM;
    }
    pcre2_set_match_limit(cx.mctx, 1000000);
    pcre2_set_depth_limit(cx.mctx, 10000);
    *parts = 0;
    err = load_observations(&cx, one, NULL);
    if (err == KZ_OK)
        err = part_node(&cx, p->root, parts);
    for (size_t i = 0; i < cx.nobs; i++)
        free(cx.obs[i].objs);
    free(cx.obs);
    pcre2_match_context_free(cx.mctx);
    json_decref(one);
    return err;
}
