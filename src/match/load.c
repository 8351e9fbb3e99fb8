/*
 * Indicator sources: a STIX bundle, JSON lines of STIX objects, or a plain list of one value
 * a line. STIX indicators go through the pattern library's simple-term view; only the
 * newest version of an id counts, and revoked or expired ones are left out.
 */
#include "match/match_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/time.h"
#include "pattern/pattern.h"
#include "base/banned.h"

enum kz_match_kind
kz_match_recognise(struct kz_str v)
{
    uint8_t b[64];
    size_t bn;
    unsigned pl;
    char tmp[512];

    if (v.n == 0)
        return KZ_MATCH_NONE;
    if (v.n > 3) {
        const char *c = memchr(v.p, ':', v.n < 16 ? v.n : 16);
        if (c && (size_t)(c - v.p) + 2 < v.n && c[1] == '/' && c[2] == '/')
            return KZ_MATCH_URL;
    }
    if (kz_match__parse_ipv4(v.p, v.n, b, &pl, true))
        return KZ_MATCH_IPV4;
    if (memchr(v.p, ':', v.n) && kz_match__parse_ipv6(v.p, v.n, b, &pl, true))
        return KZ_MATCH_IPV6;
    if (kz_match__parse_hash(v.p, v.n, b, &bn) != KZ_MATCH_NONE)
        return kz_match__parse_hash(v.p, v.n, b, &bn);
    if (memchr(v.p, '@', v.n) && kz_match__norm_email(v.p, v.n, tmp, sizeof(tmp)))
        return KZ_MATCH_EMAIL;
    if (kz_match__is_domain(v.p, v.n))
        return KZ_MATCH_DOMAIN;
    {
        const char *sl = memchr(v.p, '/', v.n);
        if (sl && sl > v.p && kz_match__is_domain(v.p, (size_t)(sl - v.p)))
            return KZ_MATCH_URL;
    }
    return KZ_MATCH_NONE;
}

/* Normalises value as kind and adds its key for indicator ind. */
static bool
add_value(struct kz_match_index *ix, enum kz_match_kind kind, struct kz_str v, uint32_t ind)
{
    uint8_t b[64];
    unsigned pl;
    size_t bn;
    char buf[KZ_MATCH_VALUE_MAX];

    switch (kind) {
    case KZ_MATCH_IPV4:
        if (!kz_match__parse_ipv4(v.p, v.n, b, &pl, true))
            return false;
        kz_match__mask(b, 4, pl);
        kz_match__add_key(ix, kind, pl, b, 4, ind);
        return true;
    case KZ_MATCH_IPV6:
        if (!kz_match__parse_ipv6(v.p, v.n, b, &pl, true))
            return false;
        kz_match__mask(b, 16, pl);
        kz_match__add_key(ix, kind, pl, b, 16, ind);
        return true;
    case KZ_MATCH_DOMAIN:
        bn = kz_match__norm_domain(v.p, v.n, buf);
        if (bn == 0)
            return false;
        kz_match__add_key(ix, kind, 0, buf, bn, ind);
        return true;
    case KZ_MATCH_URL:
        bn = kz_match__norm_url(v.p, v.n, buf, sizeof(buf));
        if (bn == 0)
            return false;
        kz_match__add_key(ix, kind, 0, buf, bn, ind);
        return true;
    case KZ_MATCH_MD5:
    case KZ_MATCH_SHA1:
    case KZ_MATCH_SHA256:
    case KZ_MATCH_SHA512:
        if (kz_match__parse_hash(v.p, v.n, b, &bn) != kind)
            return false;
        kz_match__add_key(ix, kind, 0, b, bn, ind);
        return true;
    case KZ_MATCH_EMAIL:
        bn = kz_match__norm_email(v.p, v.n, buf, sizeof(buf));
        if (bn == 0)
            return false;
        kz_match__add_key(ix, kind, 0, buf, bn, ind);
        return true;
    default:
        return false;
    }
}

kz_err
kz_match_index_add(struct kz_match_index *ix, enum kz_match_kind kind, struct kz_str value,
                   const char *id, const struct kz_match_validity *validity)
{
    char seed[KZ_MATCH_VALUE_MAX + 16];
    int sn;
    uint32_t ind;

    if (ix->finished)
        return KZ_ERR_INTERNAL;
    if (value.n > KZ_MATCH_VALUE_MAX)
        return KZ_ERR_INVALID;
    sn = snprintf(seed, sizeof(seed), "%s:%.*s", kz_match_kind_name(kind), (int)value.n, value.p);
    ind = kz_match__add_ind(ix, id, kz_str_make(seed, (size_t)sn), validity);
    if (!add_value(ix, kind, value, ind)) {
        kz_match__drop_last_ind(ix);
        return KZ_ERR_INVALID;
    }
    return KZ_OK;
}

/* ---- plain lists ---- */

static void
load_list(struct kz_match_index *ix, const char *p, size_t n, struct kz_match_load_stats *st)
{
    const char *end = p + n;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *s = p, *e;
        enum kz_match_kind k;
        struct kz_str v;

        p = nl ? nl + 1 : end;
        while (s < le && (*s == ' ' || *s == '\t' || *s == '\r'))
            s++;
        if (s == le || *s == '#' || *s == '!' || *s == ';')
            continue;
        e = s;
        while (e < le && *e != ' ' && *e != '\t' && *e != '\r' && *e != ',')
            e++;
        v = kz_str_make(s, (size_t)(e - s));
        k = kz_match_recognise(v);
        if (k == KZ_MATCH_NONE) {
            /* "203.0.113.5:443" in some lists: the address with a port. */
            const char *c = memchr(v.p, ':', v.n);
            if (c && !memchr(c + 1, ':', (size_t)(v.p + v.n - c - 1))) {
                struct kz_str a = kz_str_make(v.p, (size_t)(c - v.p));
                if (kz_match_recognise(a) == KZ_MATCH_IPV4) {
                    v = a;
                    k = KZ_MATCH_IPV4;
                }
            }
        }
        if (k == KZ_MATCH_NONE || kz_match_index_add(ix, k, v, NULL, NULL) != KZ_OK) {
            st->bad++;
            continue;
        }
        st->indicators++;
        st->values++;
    }
}

/* ---- STIX ---- */

struct term_map {
    const char *path;
    enum kz_match_kind kind; /* NONE: decide by the value (addresses, hashes) */
};

static const struct term_map term_paths[] = {
    {"ipv4-addr:value", KZ_MATCH_IPV4},
    {"ipv6-addr:value", KZ_MATCH_IPV6},
    {"network-traffic:src_ref.value", KZ_MATCH_NONE},
    {"network-traffic:dst_ref.value", KZ_MATCH_NONE},
    {"domain-name:value", KZ_MATCH_DOMAIN},
    {"url:value", KZ_MATCH_URL},
    {"file:hashes.MD5", KZ_MATCH_MD5},
    {"file:hashes.SHA-1", KZ_MATCH_SHA1},
    {"file:hashes.SHA1", KZ_MATCH_SHA1},
    {"file:hashes.SHA-256", KZ_MATCH_SHA256},
    {"file:hashes.SHA256", KZ_MATCH_SHA256},
    {"file:hashes.SHA-512", KZ_MATCH_SHA512},
    {"file:hashes.SHA512", KZ_MATCH_SHA512},
    {"email-addr:value", KZ_MATCH_EMAIL},
    {"email-message:from_ref.value", KZ_MATCH_EMAIL},
    {"email-message:sender_ref.value", KZ_MATCH_EMAIL},
    {"email-message:to_refs[*].value", KZ_MATCH_EMAIL},
    {"email-message:cc_refs[*].value", KZ_MATCH_EMAIL},
};

static enum kz_match_kind
term_kind(const struct kz_pattern_term *t)
{
    for (size_t i = 0; i < sizeof(term_paths) / sizeof(term_paths[0]); i++) {
        if (strcmp(t->path, term_paths[i].path) != 0)
            continue;
        if (term_paths[i].kind != KZ_MATCH_NONE)
            return term_paths[i].kind;
        enum kz_match_kind k = kz_match_recognise(kz_str_from_cstr(t->value));
        return (k == KZ_MATCH_IPV4 || k == KZ_MATCH_IPV6) ? k : KZ_MATCH_NONE;
    }
    return KZ_MATCH_NONE;
}

static int64_t
time_of(const json_t *o, const char *key, int64_t dflt)
{
    const char *s = kz_json_str(o, key);
    int64_t us;

    if (!s || kz_time_parse(kz_str_from_cstr(s), &us, NULL) != KZ_OK)
        return dflt;
    return us;
}

struct cand {
    const char *id;
    int64_t modified;
    json_t *obj; /* borrowed from the document */
};

static int
cand_cmp(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    if (c)
        return c;
    return (x->modified > y->modified) - (x->modified < y->modified);
}

static void
add_indicator(struct kz_match_index *ix, const json_t *o, int64_t now_us,
              struct kz_match_load_stats *st)
{
    const char *id = kz_json_str(o, "id");
    const char *pattern = kz_json_str(o, "pattern");
    const char *ptype = kz_json_str(o, "pattern_type");
    struct kz_match_validity v;
    struct kz_pattern_terms terms = {0};
    uint32_t ind;
    size_t added = 0, rest = 0;
    bool evaluated = false;
    kz_err err;

    if (json_is_true(json_object_get(o, "revoked")) || !pattern || (ptype && strcmp(ptype, "stix"))) {
        st->skipped++;
        return;
    }
    v.valid_from = time_of(o, "valid_from", INT64_MIN);
    v.valid_until = time_of(o, "valid_until", INT64_MAX);
    if (v.valid_until <= now_us) {
        st->skipped++;
        return;
    }
    err = kz_pattern_simple_terms(kz_str_from_cstr(pattern), &terms);
    if (err == KZ_ERR_INVALID) {
        st->bad++;
        return;
    }
    ind = kz_match__add_ind(ix, id, kz_str_from_cstr(id), &v);
    for (size_t i = 0; err == KZ_OK && i < terms.n; i++) {
        enum kz_match_kind k = term_kind(&terms.items[i]);
        if (k == KZ_MATCH_NONE) {
            rest++; /* a path the index has no kind for */
            continue;
        }
        /* A value that is not of its kind can match nothing: not worth an evaluation a line. */
        if (!add_value(ix, k, kz_str_from_cstr(terms.items[i].value), ind)) {
            st->unsupported++;
            continue;
        }
        added++;
    }
    kz_pattern_terms_release(&terms);
    /* What the index cannot take (the pattern, or some of its terms) goes to the evaluator. */
    if (err != KZ_OK || rest) {
        struct kz_pattern *cp = NULL;
        if (kz_pattern_compile(kz_str_from_cstr(pattern), &cp, NULL, 0, NULL) == KZ_OK) {
            kz_match__add_eval(ix, cp, pattern, ind);
            st->evaluated++;
            evaluated = true;
        } else {
            st->unsupported++;
        }
    }
    if (added == 0 && !evaluated) {
        kz_match__drop_last_ind(ix);
        return;
    }
    st->indicators++;
    st->values += added;
}

static void
collect(json_t *o, struct cand **cv, size_t *cn, size_t *ccap)
{
    const char *type = kz_json_str(o, "type");
    const char *id = kz_json_str(o, "id");

    if (!json_is_object(o) || !type || strcmp(type, "indicator") != 0 || !id)
        return;
    if (*cn == *ccap) {
        *ccap = *ccap ? *ccap * 2 : 256;
        *cv = kz_xrealloc(*cv, *ccap * sizeof(**cv));
    }
    (*cv)[*cn].id = id;
    (*cv)[*cn].modified = time_of(o, "modified", time_of(o, "created", 0));
    (*cv)[*cn].obj = o;
    (*cn)++;
}

static void
load_stix(struct kz_match_index *ix, json_t **docs, size_t ndocs, int64_t now_us,
          struct kz_match_load_stats *st)
{
    struct cand *cv = NULL;
    size_t cn = 0, ccap = 0;

    for (size_t d = 0; d < ndocs; d++) {
        json_t *doc = docs[d], *objs = NULL;
        const char *type = kz_json_str(doc, "type");
        size_t i;
        json_t *o;

        if (json_is_array(doc))
            objs = doc;
        else if (type && strcmp(type, "bundle") == 0)
            objs = json_object_get(doc, "objects");
        if (objs) {
            json_array_foreach(objs, i, o) collect(o, &cv, &cn, &ccap);
        } else {
            collect(doc, &cv, &cn, &ccap);
        }
    }
    if (cn)
        qsort(cv, cn, sizeof(*cv), cand_cmp);
    for (size_t i = 0; i < cn; i++) {
        /* The newest version of an id is the last of its run. */
        if (i + 1 < cn && strcmp(cv[i].id, cv[i + 1].id) == 0) {
            st->skipped++;
            continue;
        }
        add_indicator(ix, cv[i].obj, now_us, st);
    }
    free(cv);
}

kz_err
kz_match_index_load(struct kz_match_index *ix, const char *data, size_t n, int64_t now_us,
                    struct kz_match_load_stats *st)
{
    size_t i = 0;
    json_t **docs = NULL;
    size_t ndocs = 0, cap = 0;
    json_error_t jerr;
    json_t *whole;

    if (ix->finished)
        return KZ_ERR_INTERNAL;
    while (i < n && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
        i++;
    if (i == n)
        return KZ_OK;
    if (data[i] != '{' && data[i] != '[') {
        load_list(ix, data, n, st);
        return KZ_OK;
    }
    whole = json_loadb(data + i, n - i, JSON_REJECT_DUPLICATES, &jerr);
    if (whole) {
        docs = kz_xmalloc(sizeof(*docs));
        docs[ndocs++] = whole;
    } else {
        /* JSON lines: one object a line. */
        const char *p = data + i, *end = data + n;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *le = nl ? nl : end;
            const char *s = p;
            p = nl ? nl + 1 : end;
            while (s < le && (*s == ' ' || *s == '\t' || *s == '\r'))
                s++;
            if (s == le)
                continue;
            json_t *o = json_loadb(s, (size_t)(le - s), JSON_REJECT_DUPLICATES, &jerr);
            if (!o) {
                st->bad++;
                continue;
            }
            if (ndocs == cap) {
                cap = cap ? cap * 2 : 256;
                docs = kz_xrealloc(docs, cap * sizeof(*docs));
            }
            docs[ndocs++] = o;
        }
    }
    load_stix(ix, docs, ndocs, now_us, st);
    for (size_t d = 0; d < ndocs; d++)
        json_decref(docs[d]);
    free(docs);
    return KZ_OK;
}
