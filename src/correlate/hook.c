/*
 * The correlation write hook: each sighting that a write ADDED (duplicates never reach it,
 * so counts never double) is added to its indicator's windows; every rule that holds on a
 * window opens its alert there once. Times are the sighting's own (last_seen, else
 * first_seen, else created), so replaying the same sightings gives the same alerts.
 */
#include "correlate/correlate.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/log.h"
#include "base/str.h"
#include "base/time.h"
#include "http/http.h"
#include "notify/notify.h"
#include "base/banned.h"

#define INDICATOR_PREFIX "indicator--"

/* The members of one window, folded as the store hands them over. */
struct fold {
    const struct kz_rules *rules;
    const char *org;      /* the organisation of the sighting being added */
    uint64_t org_count;   /* its count in the window, over all its rows */
    const char **orgs;    /* the window's organisations, borrowed from names */
    char (*names)[KZ_SLUG_MAX];
    size_t n_names, names_cap;
    struct kz_corr_window w;
    char last_org[KZ_SLUG_MAX];
    char (*sectors)[KZ_SLUG_MAX];
    size_t cap;
    int64_t first_us;
};

static void
fold_member(void *ctx, const struct kz_corr_member *m)
{
    struct fold *f = ctx;
    size_t i;

    /* Members come ordered by org: a new org is a change of name. */
    if (strcmp(m->org, f->last_org) != 0) {
        f->w.n_orgs++;
        kz_cstr_copy(m->org, f->last_org, sizeof(f->last_org));
        if (f->n_names == f->names_cap) {
            f->names_cap = f->names_cap ? f->names_cap * 2 : 8;
            f->names = kz_xrealloc(f->names, f->names_cap * sizeof(*f->names));
        }
        kz_cstr_copy(m->org, f->names[f->n_names++], KZ_SLUG_MAX);
    }
    if (strcmp(m->org, f->org) == 0)
        f->org_count += m->count;
    f->w.count += m->count;
    if (m->first_us < f->first_us)
        f->first_us = m->first_us;
    if (!m->sector[0])
        return;
    if (kz_rules_is_ci(f->rules, m->sector))
        f->w.ci = true;
    for (i = 0; i < f->w.n_sectors; i++)
        if (strcmp(f->sectors[i], m->sector) == 0)
            return;
    if (f->w.n_sectors == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 8;
        f->sectors = kz_xrealloc(f->sectors, f->cap * sizeof(*f->sectors));
    }
    kz_cstr_copy(m->sector, f->sectors[f->w.n_sectors++], KZ_SLUG_MAX);
}

/* A STIX timestamp property, or fallback when absent or malformed. */
static int64_t
time_prop(const json_t *o, const char *key, int64_t fallback)
{
    const char *v = kz_json_str(o, key);
    int64_t us;

    if (v && kz_time_parse(kz_str_from_cstr(v), &us, NULL) == KZ_OK)
        return us;
    return fallback;
}

/* Queues alert.created / alert.updated for the window's organisations and the centre. */
static kz_err
notify(struct kz_store_tx *tx, const struct kz_rules *r, const char *type,
       const struct kz_alert *a, const struct fold *f)
{
    const char **orgs = kz_xcalloc(f->n_names + 1, sizeof(*orgs));
    struct kz_notify_event ne;
    char window[KZ_TIME_TEXT_MAX];
    bool wanted;
    json_t *data;
    char *text;
    kz_err err;

    for (size_t i = 0; i < f->n_names; i++)
        orgs[i] = f->names[i];
    orgs[f->n_names] = r->centre;
    ne = (struct kz_notify_event){type, a->id, orgs, f->n_names + 1, NULL, NULL};
    /* Most alerts reach no subscription: then no JSON is built. */
    err = kz_notify_wanted(tx, &ne, &wanted);
    if (err != KZ_OK || !wanted) {
        free(orgs);
        return err;
    }
    kz_time_format_us(a->bucket_us, window);
    /* Only what every recipient may know: no other organisation is named. */
    data = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "id", a->id, "rule", a->rule,
                     "severity", a->severity, "indicator_ref", a->indicator, "window_start",
                     window, "organization_count", (json_int_t)f->w.n_orgs, "count",
                     (json_int_t)f->w.count);
    text = json_dumps(data, JSON_COMPACT);
    ne.data_json = text;
    err = text ? kz_notify_emit(tx, &ne) : KZ_ERR_NOMEM;
    free(text);
    json_decref(data);
    free(orgs);
    return err;
}

/* Opens the alert of rule k on the window unless it is open already; notifies. */
static kz_err
open_alert(struct kz_store_tx *tx, const struct kz_rules *r, enum kz_rule_kind k,
           const char *indicator, int64_t bucket, const struct fold *f, bool new_org, int64_t now)
{
    struct kz_alert a;
    bool created = false;
    kz_err err;

    memset(&a, 0, sizeof(a));
    kz_corr_alert_id(k, indicator, r->rule[k].window_us, bucket, a.id);
    kz_cstr_copy(kz_rule_name(k), a.rule, sizeof(a.rule));
    kz_cstr_copy(kz_severity_name(r->rule[k].severity), a.severity, sizeof(a.severity));
    kz_cstr_copy(indicator, a.indicator, sizeof(a.indicator));
    a.window_us = r->rule[k].window_us;
    a.bucket_us = bucket;
    kz_cstr_copy("open", a.status, sizeof(a.status));
    a.created_us = now;
    a.time_to_alert_us = now - f->first_us;
    err = kz_store_tx_alert_open(tx, &a, &created);
    if (err != KZ_OK)
        return err;
    if (created)
        kz_log(KZ_LOG_INFO, "alert created id=%s rule=%s indicator=%s orgs=%zu sectors=%zu",
               a.id, a.rule, indicator, f->w.n_orgs, f->w.n_sectors);
    /* Updates are announced when an organisation joins, not for every sighting. */
    if (created || new_org)
        err = notify(tx, r, created ? "alert.created" : "alert.updated", &a, f);
    return err;
}

/* Feeds one stored sighting to every window length the enabled rules use. */
static kz_err
correlate_one(struct kz_store_tx *tx, const struct kz_rules *r, const struct kz_write_event *ev,
              const struct kz_object_in *obj, const json_t *o, int64_t now)
{
    const char *ref = kz_json_str(o, "sighting_of_ref");
    const json_t *cnt = json_object_get(o, "count");
    struct kz_corr_sighting sg;
    int64_t done[KZ_RULE_COUNT];
    size_t n_done = 0;
    kz_err err = KZ_OK;

    if (!ref || strncmp(ref, INDICATOR_PREFIX, sizeof(INDICATOR_PREFIX) - 1) != 0 ||
        strlen(ref) >= KZ_STIX_ID_MAX)
        return KZ_OK;
    memset(&sg, 0, sizeof(sg));
    sg.indicator = ref;
    sg.org = ev->caller->org.slug;
    sg.sector = ev->caller->org.sector;
    sg.collection_id = ev->collection->id;
    sg.tlp = obj->tlp;
    sg.now_us = now;
    sg.last_us = time_prop(o, "last_seen", time_prop(o, "first_seen", time_prop(o, "created", now)));
    sg.first_us = time_prop(o, "first_seen", sg.last_us);
    if (sg.first_us > sg.last_us)
        sg.first_us = sg.last_us;
    /* STIX: count is 0..999999999; absent means at least once. */
    sg.count = json_is_integer(cnt) && json_integer_value(cnt) >= 0
                   ? (uint64_t)json_integer_value(cnt)
                   : 1;
    err = kz_store_tx_corr_add(tx, &sg);
    for (int k = 0; k < KZ_RULE_COUNT && err == KZ_OK; k++) {
        int64_t window_us = r->rule[k].window_us, bucket;
        struct fold f;
        bool seen = false;
        if (!r->rule[k].enabled)
            continue;
        for (size_t i = 0; i < n_done; i++)
            seen = seen || done[i] == window_us;
        if (seen)
            continue;
        done[n_done++] = window_us;
        bucket = kz_store_corr_bucket(sg.last_us, window_us);
        memset(&f, 0, sizeof(f));
        f.rules = r;
        f.org = sg.org;
        f.first_us = INT64_MAX;
        err = kz_store_tx_corr_members(tx, ref, window_us, bucket, fold_member, &f);
        f.w.watched = kz_rules_watched(r, ref);
        /* Every enabled rule that uses this window length. The organisation is new to the
         * window when all it has there is this sighting. */
        for (int j = k; j < KZ_RULE_COUNT && err == KZ_OK; j++) {
            if (r->rule[j].enabled && r->rule[j].window_us == window_us &&
                kz_rules_fire(r, (enum kz_rule_kind)j, &f.w))
                err = open_alert(tx, r, (enum kz_rule_kind)j, ref, bucket, &f,
                                 f.org_count == sg.count, now);
        }
        free(f.sectors);
        free(f.names);
    }
    return err;
}

kz_err
kz_correlate_load(struct kz_store *s, const struct kz_rules *r)
{
    int64_t lengths[KZ_RULE_COUNT], t0 = kz_time_now_us();
    size_t n = 0;
    uint64_t rows = 0;
    kz_err err;

    for (int k = 0; k < KZ_RULE_COUNT; k++) {
        bool seen = false;
        for (size_t i = 0; i < n; i++)
            seen = seen || lengths[i] == r->rule[k].window_us;
        if (r->rule[k].enabled && !seen)
            lengths[n++] = r->rule[k].window_us;
    }
    err = kz_store_corr_load(s, lengths, n, &rows);
    if (err == KZ_OK)
        kz_log(KZ_LOG_INFO, "correlation windows loaded sightings=%llu seconds=%.2f",
               (unsigned long long)rows, (double)(kz_time_now_us() - t0) / 1e6);
    return err;
}

kz_err
kz_correlate_hook(struct kz_hub *hub, struct kz_store_tx *tx, const struct kz_write_event *ev)
{
    const struct kz_rules *r = hub->rules;
    int64_t now = kz_time_now_us();
    kz_err err = KZ_OK;

    if (!r || !ev->caller || !ev->collection)
        return KZ_OK;
    for (size_t i = 0; i < ev->n && err == KZ_OK; i++) {
        const struct kz_object_in *obj = &ev->objs[i];
        json_t *o;
        if (ev->results[i].outcome != KZ_PUT_ADDED || !obj->type ||
            strcmp(obj->type, "sighting") != 0)
            continue;
        if (ev->parsed && ev->parsed[i]) {
            err = correlate_one(tx, r, ev, obj, ev->parsed[i], now);
            continue;
        }
        /* The object was validated and serialised by the write path: it parses. */
        o = json_loadb(obj->json, obj->json_len, 0, NULL);
        if (!o)
            continue;
        err = correlate_one(tx, r, ev, obj, o, now);
        json_decref(o);
    }
    return err;
}
