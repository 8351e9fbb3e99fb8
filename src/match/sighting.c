/*
 * Sightings: hits aggregated per indicator and time window, written as STIX 2.1 sighting,
 * observed-data and the observed object (the matched value only: the rest of the log line,
 * and with it the member's own side of the traffic, stays at the member). Ids are
 * name-based, so the same window of the same indicator seen by the same identity always
 * gets the same sighting id and a re-sent sighting replaces rather than duplicates. created
 * and modified follow the observation (first and last hit), not the clock, so the same hits
 * written twice are the same version of the object, which the hub stores once.
 */
#include "match/match_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/time.h"
#include "base/banned.h"

struct agg {
    uint32_t ind;
    int64_t window; /* start of the window, or INT64_MIN for unknown times */
    int64_t first, last;
    uint64_t count;
    uint64_t emitted; /* count when last written by kz_match_sightings_write_new */
    uint8_t kind;
    char *field;    /* owned: the reader's field names die with its scanner */
    char *observed; /* owned */
};

struct kz_match_sightings {
    const struct kz_match_index *ix;
    struct kz_match_sightings_opts o;
    char *identity;
    struct agg *v;  /* open addressing; ind == UINT32_MAX is empty */
    size_t cap, n;
};

struct kz_match_sightings *
kz_match_sightings_new(const struct kz_match_index *ix, const struct kz_match_sightings_opts *o)
{
    struct kz_match_sightings *sg = kz_xcalloc(1, sizeof(*sg));

    sg->ix = ix;
    sg->o = *o;
    if (sg->o.window_us <= 0)
        sg->o.window_us = 3600 * INT64_C(1000000);
    sg->identity = o->identity ? kz_xstrdup(o->identity) : NULL;
    sg->o.identity = sg->identity;
    sg->cap = 64;
    sg->v = kz_xmalloc(sg->cap * sizeof(*sg->v));
    for (size_t i = 0; i < sg->cap; i++)
        sg->v[i].ind = UINT32_MAX;
    return sg;
}

void
kz_match_sightings_free(struct kz_match_sightings *sg)
{
    if (!sg)
        return;
    for (size_t i = 0; i < sg->cap; i++) {
        if (sg->v[i].ind != UINT32_MAX) {
            free(sg->v[i].observed);
            free(sg->v[i].field);
        }
    }
    free(sg->v);
    free(sg->identity);
    free(sg);
}

size_t
kz_match_sightings_count(const struct kz_match_sightings *sg)
{
    return sg->n;
}

static size_t
slot_of(const struct kz_match_sightings *sg, uint32_t ind, int64_t window)
{
    uint64_t h = kz_match__hash(0, 0, &ind, sizeof(ind)) ^ (uint64_t)window * 0x9e3779b97f4a7c15ull;
    size_t i = (size_t)(h & (sg->cap - 1));

    while (sg->v[i].ind != UINT32_MAX && !(sg->v[i].ind == ind && sg->v[i].window == window))
        i = (i + 1) & (sg->cap - 1);
    return i;
}

static void
grow(struct kz_match_sightings *sg)
{
    struct agg *old = sg->v;
    size_t oldcap = sg->cap;

    sg->cap *= 2;
    sg->v = kz_xmalloc(sg->cap * sizeof(*sg->v));
    for (size_t i = 0; i < sg->cap; i++)
        sg->v[i].ind = UINT32_MAX;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].ind != UINT32_MAX)
            sg->v[slot_of(sg, old[i].ind, old[i].window)] = old[i];
    free(old);
}

static struct agg *
get(struct kz_match_sightings *sg, uint32_t ind, int64_t window, bool *fresh)
{
    size_t i;

    if ((sg->n + 1) * 4 > sg->cap * 3)
        grow(sg);
    i = slot_of(sg, ind, window);
    *fresh = sg->v[i].ind == UINT32_MAX;
    if (*fresh) {
        memset(&sg->v[i], 0, sizeof(sg->v[i]));
        sg->v[i].ind = ind;
        sg->v[i].window = window;
        sg->n++;
    }
    return &sg->v[i];
}

static int64_t
floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void
kz_match_sightings_add(struct kz_match_sightings *sg, uint32_t ind, int64_t ts_us,
                       enum kz_match_kind kind, const char *field, struct kz_str observed)
{
    int64_t w = ts_us == INT64_MIN ? INT64_MIN : floor_div(ts_us, sg->o.window_us) * sg->o.window_us;
    bool fresh;
    struct agg *a = get(sg, ind, w, &fresh);

    if (fresh) {
        a->first = a->last = ts_us;
        a->kind = (uint8_t)kind;
        a->field = field ? kz_xstrdup(field) : NULL;
        a->observed = kz_xstrndup(observed.p, observed.n);
    } else if (ts_us != INT64_MIN) {
        if (ts_us < a->first)
            a->first = ts_us;
        if (ts_us > a->last)
            a->last = ts_us;
    }
    a->count++;
}

void
kz_match_sightings_merge(struct kz_match_sightings *to, const struct kz_match_sightings *from)
{
    for (size_t i = 0; i < from->cap; i++) {
        const struct agg *f = &from->v[i];
        bool fresh;
        struct agg *a;

        if (f->ind == UINT32_MAX)
            continue;
        a = get(to, f->ind, f->window, &fresh);
        if (fresh) {
            *a = *f;
            a->field = f->field ? kz_xstrdup(f->field) : NULL;
            a->observed = kz_xstrdup(f->observed);
            continue;
        }
        if (f->first < a->first)
            a->first = f->first;
        if (f->last > a->last)
            a->last = f->last;
        a->count += f->count;
    }
}

void
kz_match_sightings_carry(struct kz_match_sightings *to, const struct kz_match_sightings *from,
                         const uint32_t *map, size_t nmap)
{
    for (size_t i = 0; i < from->cap; i++) {
        const struct agg *f = &from->v[i];
        bool fresh;
        struct agg *a;

        if (f->ind == UINT32_MAX || f->ind >= nmap || map[f->ind] == UINT32_MAX)
            continue;
        a = get(to, map[f->ind], f->window, &fresh);
        if (!fresh)
            continue;
        *a = *f;
        a->ind = map[f->ind];
        a->field = f->field ? kz_xstrdup(f->field) : NULL;
        a->observed = kz_xstrdup(f->observed);
    }
}

static int
agg_cmp(const void *x, const void *y)
{
    const struct agg *a = *(const struct agg *const *)x, *b = *(const struct agg *const *)y;
    if (a->ind != b->ind)
        return a->ind < b->ind ? -1 : 1;
    return (a->window > b->window) - (a->window < b->window);
}

static void
stix_id(char *out, size_t outlen, const char *type, const char *seed)
{
    uint8_t u[16];
    char t[37];

    kz_match__uuid5(NULL, seed, strlen(seed), u);
    kz_match__uuid_text(u, t);
    snprintf(out, outlen, "%s--%s", type, t);
}

static json_t *
observed_object(const struct agg *a, char *id, size_t idlen)
{
    const char *type = NULL, *hkey = NULL;
    json_t *o = json_object(), *contrib = json_object();
    char *canon;
    char value[KZ_MATCH_VALUE_MAX + 16];

    switch ((enum kz_match_kind)a->kind) {
    case KZ_MATCH_IPV4: type = "ipv4-addr"; break;
    case KZ_MATCH_IPV6: type = "ipv6-addr"; break;
    case KZ_MATCH_DOMAIN: type = "domain-name"; break;
    case KZ_MATCH_URL: type = "url"; break;
    case KZ_MATCH_EMAIL: type = "email-addr"; break;
    case KZ_MATCH_MD5: type = "file"; hkey = "MD5"; break;
    case KZ_MATCH_SHA1: type = "file"; hkey = "SHA-1"; break;
    case KZ_MATCH_SHA256: type = "file"; hkey = "SHA-256"; break;
    case KZ_MATCH_SHA512: type = "file"; hkey = "SHA-512"; break;
    default: type = "x-kizuna-value"; break;
    }
    if (a->kind == KZ_MATCH_URL && !strstr(a->observed, "://"))
        snprintf(value, sizeof(value), "http://%s", a->observed);
    else
        snprintf(value, sizeof(value), "%s", a->observed);
    if (hkey) {
        json_t *h = json_object();
        json_object_set_new(h, hkey, json_string(value));
        json_object_set(contrib, "hashes", h);
        json_object_set_new(o, "hashes", h);
    } else {
        json_object_set_new(contrib, "value", json_string(value));
        json_object_set_new(o, "value", json_string(value));
    }
    /* STIX 2.1 deterministic id: UUIDv5 of the canonical id-contributing properties. */
    canon = json_dumps(contrib, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    json_decref(contrib);
    {
        uint8_t u[16];
        char t[37];
        kz_match__uuid5(NULL, canon ? canon : "", canon ? strlen(canon) : 0, u);
        kz_match__uuid_text(u, t);
        snprintf(id, idlen, "%s--%s", type, t);
    }
    free(canon);
    json_object_set_new(o, "type", json_string(type));
    json_object_set_new(o, "spec_version", json_string("2.1"));
    json_object_set_new(o, "id", json_string(id));
    return o;
}

static kz_err
emit_obj(FILE *out, json_t *o, json_t *bundle_objs)
{
    int rc = 0;

    if (bundle_objs) {
        json_array_append_new(bundle_objs, o);
        return KZ_OK;
    }
    rc = json_dumpf(o, out, JSON_COMPACT);
    json_decref(o);
    if (rc != 0 || fputc('\n', out) == EOF)
        return KZ_ERR_IO;
    return KZ_OK;
}

static kz_err
write_some(struct kz_match_sightings *sg, FILE *out, bool bundle, bool only_new, size_t *written)
{
    struct agg **list = kz_xmalloc((sg->n + 1) * sizeof(*list));
    size_t n = 0;
    char first[KZ_TIME_TEXT_MAX], last[KZ_TIME_TEXT_MAX];
    char created[KZ_TIME_TEXT_MAX], modified[KZ_TIME_TEXT_MAX];
    int64_t now_us = kz_time_now_us();
    json_t *objs = bundle ? json_array() : NULL;
    kz_err err = KZ_OK;

    for (size_t i = 0; i < sg->cap; i++)
        if (sg->v[i].ind != UINT32_MAX && (!only_new || sg->v[i].count != sg->v[i].emitted))
            list[n++] = &sg->v[i];
    qsort(list, n, sizeof(*list), agg_cmp);
    for (size_t i = 0; i < n && err == KZ_OK; i++) {
        const struct agg *a = list[i];
        char ind_id[KZ_MATCH_VALUE_MAX], sco_id[128], od_id[128], s_id[128], seed[KZ_MATCH_VALUE_MAX + 256];
        json_t *sco, *od, *s;

        kz_match_index_id(sg->ix, a->ind, ind_id, sizeof(ind_id));
        kz_time_format_us(a->first == INT64_MIN ? now_us : a->first, first);
        kz_time_format_us(a->last == INT64_MIN ? now_us : a->last, last);
        kz_time_format_ms(a->first == INT64_MIN ? now_us : a->first, created);
        kz_time_format_ms(a->last == INT64_MIN ? now_us : a->last, modified);
        sco = observed_object(a, sco_id, sizeof(sco_id));
        snprintf(seed, sizeof(seed), "kizuna-sighting:%s:%lld:%s", ind_id, (long long)a->window,
                 sg->identity ? sg->identity : "");
        stix_id(s_id, sizeof(s_id), "sighting", seed);
        snprintf(seed, sizeof(seed), "kizuna-observed:%s:%lld:%s:%s", ind_id,
                 (long long)a->window, sg->identity ? sg->identity : "", sco_id);
        stix_id(od_id, sizeof(od_id), "observed-data", seed);

        od = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:[s]}", "type", "observed-data",
                       "spec_version", "2.1", "id", od_id, "created", created, "modified", modified,
                       "first_observed", first, "last_observed", last, "number_observed",
                       (json_int_t)(a->count > INT32_MAX ? INT32_MAX : a->count), "object_refs",
                       sco_id);
        s = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:[s]}", "type", "sighting",
                      "spec_version", "2.1", "id", s_id, "created", created, "modified", modified,
                      "first_seen", first, "last_seen", last, "count",
                      (json_int_t)(a->count > INT32_MAX ? INT32_MAX : a->count), "sighting_of_ref",
                      ind_id, "observed_data_refs", od_id);
        if (sg->identity) {
            json_object_set_new(od, "created_by_ref", json_string(sg->identity));
            json_object_set_new(s, "created_by_ref", json_string(sg->identity));
            json_object_set_new(s, "where_sighted_refs", json_pack("[s]", sg->identity));
        }
        json_object_set_new(s, "x_kizuna_field", json_string(a->field ? a->field : ""));
        err = emit_obj(out, sco, objs);
        if (err == KZ_OK)
            err = emit_obj(out, od, objs);
        if (err == KZ_OK)
            err = emit_obj(out, s, objs);
    }
    if (bundle && err == KZ_OK) {
        char bid[128], seed[64];
        uint8_t u[16];
        char t[37];
        json_t *b;
        snprintf(seed, sizeof(seed), "%lld", (long long)now_us);
        kz_match__uuid5(NULL, seed, strlen(seed), u);
        kz_match__uuid_text(u, t);
        snprintf(bid, sizeof(bid), "bundle--%s", t);
        b = json_pack("{s:s, s:s, s:O}", "type", "bundle", "id", bid, "objects", objs);
        if (json_dumpf(b, out, JSON_COMPACT) != 0 || fputc('\n', out) == EOF)
            err = KZ_ERR_IO;
        json_decref(b);
    }
    json_decref(objs);
    if (err == KZ_OK && only_new)
        for (size_t i = 0; i < n; i++)
            list[i]->emitted = list[i]->count;
    if (written)
        *written = n;
    free(list);
    return err;
}

kz_err
kz_match_sightings_write(const struct kz_match_sightings *sg, FILE *out, bool bundle)
{
    /* Writes all and marks nothing: the cast only lets both share one writer. */
    return write_some((struct kz_match_sightings *)(uintptr_t)sg, out, bundle, false, NULL);
}

kz_err
kz_match_sightings_write_new(struct kz_match_sightings *sg, FILE *out, bool bundle,
                             size_t *written)
{
    return write_some(sg, out, bundle, true, written);
}
