/*
 * /api/v1/incidents: incidents for CSIRT / CYMAT response (docs/gsoc.md, "Incidents").
 * Every change is a new version of the STIX incident object written through the TAXII
 * write path in one transaction; the write hook of src/incident keeps the index that these
 * handlers read. The reporting member and the centre read and add notes and links; only
 * the centre (gsoc, admin) triages and publishes; everyone else gets 404.
 */
#include "api/incidents_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/time.h"
#include "correlate/correlate.h"
#include "incident/incident.h"
#include "notify/notify.h"
#include "taxii/taxii.h"
#include "base/banned.h"

#define LIST_DEFAULT 50
#define LIST_MAX     500

bool
kz_api__incident_triager(const struct kz_caller *c)
{
    return c->role == KZ_ROLE_GSOC || c->role == KZ_ROLE_ADMIN;
}

/* Authenticated, and a person of an organisation or the centre (not a sensor). */
bool
kz_api__incident_require(const struct kz_caller *caller, struct kz_http_response *resp)
{
    if (!kz_api__require(caller, false, resp))
        return false;
    if (caller->role == KZ_ROLE_SENSOR) {
        kz_http_error(resp, false, 403, "Forbidden", "incidents need a member or gsoc key");
        return false;
    }
    return true;
}

/* An incident the caller may see: the centre sees all, a member those it reported. */
bool
kz_api__incident_load(struct kz_hub *hub, const struct kz_caller *caller, const char *id,
                      struct kz_incident_row *row, json_t **state, struct kz_http_response *resp)
{
    kz_err err;

    memset(row, 0, sizeof(*row));
    err = kz_store_incident_get(hub->store, id, row);
    if (err == KZ_OK &&
        (kz_api__incident_triager(caller) || strcmp(row->org, caller->org.slug) == 0)) {
        *state = json_loads(row->state, 0, NULL);
        if (*state)
            return true;
        err = KZ_ERR_STORE;
    }
    kz_incident_row_release(row);
    if (err == KZ_OK || err == KZ_ERR_NOTFOUND)
        kz_http_error(resp, false, 404, "Not found", "no incident '%.300s'", id);
    else
        kz_http_error(resp, false, 500, "Internal error", "cannot read the incident");
    return false;
}

static void
append_delivery(void *ctx, const struct kz_delivery *d)
{
    char created[KZ_TIME_TEXT_MAX], delivered[KZ_TIME_TEXT_MAX];
    json_t *j;

    kz_time_format_us(d->created_us, created);
    kz_time_format_us(d->delivered_us, delivered);
    j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "id", d->id, "event", d->event, "org", d->org,
                  "state", kz_delivery_state_name(d->state), "queued", created, "attempts",
                  (json_int_t)d->attempts);
    json_object_set_new(j, "delivered", d->delivered_us ? json_string(delivered) : json_null());
    json_array_append_new(ctx, j);
}

/* The incident as the API shows it: its state, figures and who was notified when. */
static json_t *
render(struct kz_hub *hub, const struct kz_incident_row *row, json_t *state)
{
    json_t *j = json_deep_copy(state), *notified = json_array();
    struct kz_collection c;

    if (kz_notify_deliveries_for(hub->store, row->id, append_delivery, notified) == KZ_OK)
        json_object_set_new(j, "notifications", notified);
    else
        json_decref(notified);
    json_object_del(j, "collection");
    json_object_set_new(j, "collection_id", json_string(row->collection_id));
    if (kz_store_collection_get(hub->store, row->collection_id, &c) == KZ_OK)
        json_object_set_new(j, "collection", json_string(c.alias));
    if (!json_object_get(j, "alert"))
        json_object_set_new(j, "alert", json_null());
    json_object_set_new(j, "figures", kz_incident_figures(state));
    return j;
}

/* ---- one transaction around batches of composed objects ---- */

struct write_job {
    struct kz_taxii_batch *batch;
    const char *expect_id; /* incident that must still be at expect_version */
    int64_t expect_version;
};

static kz_err
write_in_tx(void *ctx, struct kz_store_tx *tx)
{
    struct write_job *job = ctx;
    kz_err err;

    if (job->expect_id) {
        struct kz_incident_row now;
        memset(&now, 0, sizeof(now));
        err = kz_store_tx_incident_get(tx, job->expect_id, &now);
        if (err == KZ_OK && now.version_us != job->expect_version)
            err = KZ_ERR_CONFLICT; /* changed between our read and this write */
        kz_incident_row_release(&now);
        if (err != KZ_OK)
            return err;
    }
    return kz_taxii_batch_write(job->batch, tx);
}

/* Writes one composed object as the caller into coll; answers and returns false on failure. */
bool
kz_api__incident_write_one(struct kz_hub *hub, const struct kz_caller *caller,
                           const struct kz_collection *coll, json_t *obj, const char *expect_id,
                           int64_t expect_version, struct kz_http_response *resp)
{
    struct write_job job;
    const struct kz_put_result *r;
    kz_err err;

    memset(&job, 0, sizeof(job));
    job.expect_id = expect_id;
    job.expect_version = expect_version;
    err = kz_taxii_batch_new(hub, caller, coll, &obj, 1, &job.batch);
    if (err == KZ_OK)
        err = kz_store_transaction(hub->store, write_in_tx, &job);
    if (err == KZ_ERR_CONFLICT) {
        kz_http_error(resp, false, 409, "Conflict",
                      "the incident changed while this request ran; read it and try again");
        goto fail;
    }
    if (err != KZ_OK) {
        kz_log(KZ_LOG_ERROR, "cannot write %s: %s", kz_json_str(obj, "type"), kz_err_str(err));
        kz_http_error(resp, false, 500, "Internal error", "the change could not be stored");
        goto fail;
    }
    r = kz_taxii_batch_result(job.batch, 0);
    if (r->outcome == KZ_PUT_REFUSED) {
        kz_http_error(resp, false, 422, "Refused", "%s", r->reason);
        goto fail;
    }
    kz_taxii_batch_free(job.batch);
    return true;
fail:
    kz_taxii_batch_free(job.batch);
    return false;
}

/* ---- body fields ---- */

/* A string member of at most max bytes: absent is fine (NULL), the wrong type is not. */
bool
kz_api__opt_string(const json_t *body, const char *key, size_t max, const char **out,
                   struct kz_http_response *resp)
{
    const json_t *v = json_object_get(body, key);

    *out = NULL;
    if (!v || json_is_null(v))
        return true;
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > max) {
        kz_http_error(resp, false, 400, "Bad request",
                      "'%s' must be a non-empty string of at most %zu bytes", key, max);
        return false;
    }
    *out = json_string_value(v);
    return true;
}

static bool
opt_slugs(const json_t *body, const char *key, json_t **out, struct kz_http_response *resp)
{
    const json_t *v = json_object_get(body, key), *e;
    size_t i;

    *out = NULL;
    if (!v)
        return true;
    if (!json_is_array(v) || json_array_size(v) > 64)
        goto bad;
    json_array_foreach(kz_json_mut(v), i, e)
    {
        if (!json_is_string(e) || !kz_slug_valid(json_string_value(e)))
            goto bad;
    }
    *out = json_deep_copy(v);
    return true;
bad:
    kz_http_error(resp, false, 400, "Bad request", "'%s' must be a list of at most 64 slugs", key);
    return false;
}

bool
kz_api__only_keys(const json_t *body, const char *const *keys, size_t n,
                  struct kz_http_response *resp)
{
    const char *k;
    const json_t *v;

    json_object_foreach(kz_json_mut(body), k, v)
    {
        bool ok = false;
        for (size_t i = 0; i < n && !ok; i++)
            ok = strcmp(k, keys[i]) == 0;
        if (!ok) {
            kz_http_error(resp, false, 400, "Bad request", "unknown member '%.64s'", k);
            return false;
        }
    }
    (void)v;
    return true;
}

/* A new object's common head: id of type, created and modified now, by the caller. */
json_t *
kz_api__incident_new_object(const char *type, const struct kz_caller *caller, int64_t now,
                            char id[KZ_STIX_ID_MAX])
{
    char ts[KZ_TIME_TEXT_MAX];
    json_t *o;

    kz_stix_id_new(type, id);
    kz_time_format_us(now, ts);
    o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", type, "spec_version", "2.1", "id", id,
                  "created", ts, "modified", ts);
    if (caller->org.identity_id[0])
        json_object_set_new(o, "created_by_ref", json_string(caller->org.identity_id));
    return o;
}

/* ---- an alert becomes an incident ---- */

/* The distinct organisations and sectors that sighted the alert's indicator. */
static void
add_member(void *ctx, const struct kz_corr_member *m)
{
    json_t *orgs = json_object_get(ctx, "organizations");
    json_t *sectors = json_object_get(ctx, "sectors");
    json_t *e;
    size_t i;
    bool seen = false;

    json_array_foreach(orgs, i, e) seen = seen || strcmp(json_string_value(e), m->org) == 0;
    if (!seen && json_array_size(orgs) < 64)
        json_array_append_new(orgs, json_string(m->org));
    if (!m->sector[0])
        return;
    seen = false;
    json_array_foreach(sectors, i, e) seen = seen || strcmp(json_string_value(e), m->sector) == 0;
    if (!seen && json_array_size(sectors) < 64)
        json_array_append_new(sectors, json_string(m->sector));
}

struct from_alert {
    struct kz_taxii_batch *incident, *link;
    const char *alert_id, *incident_id;
    const char *by, *centre;
    char why[KZ_REASON_MAX];
};

/* In one transaction: the incident, its link to the indicator, the alert marked. */
static kz_err
from_alert_in_tx(void *ctx, struct kz_store_tx *tx)
{
    struct from_alert *x = ctx;
    struct kz_alert a;
    struct kz_alert_event ev;
    kz_err err = kz_store_tx_alert_get(tx, x->alert_id, &a);

    if (err != KZ_OK)
        return err;
    if (strcmp(a.status, "dismissed") == 0 || strcmp(a.status, "resolved") == 0) {
        snprintf(x->why, sizeof(x->why), "the alert is %s; reopen it first", a.status);
        return KZ_ERR_CONFLICT;
    }
    err = kz_taxii_batch_write(x->incident, tx);
    if (err != KZ_OK)
        return err;
    if (kz_taxii_batch_result(x->incident, 0)->outcome != KZ_PUT_ADDED) {
        snprintf(x->why, sizeof(x->why), "%s", kz_taxii_batch_result(x->incident, 0)->reason);
        return KZ_ERR_DENIED;
    }
    err = kz_taxii_batch_write(x->link, tx);
    if (err != KZ_OK)
        return err;
    memset(&ev, 0, sizeof(ev));
    kz_cstr_copy(a.id, ev.alert_id, sizeof(ev.alert_id));
    kz_cstr_copy("incident", ev.action, sizeof(ev.action));
    kz_cstr_copy("resolved", ev.status, sizeof(ev.status));
    kz_cstr_copy(x->by, ev.by, sizeof(ev.by));
    kz_cstr_copy(a.assignee, ev.assignee, sizeof(ev.assignee));
    snprintf(ev.reason, sizeof(ev.reason), "turned into %s", x->incident_id);
    ev.at_us = kz_time_now_us();
    return kz_alert_tx_change(tx, &a, &ev, x->centre);
}

/*
 * Writes the incident made from an alert: affected parties from the alert's sightings,
 * the figures' alert times, a relationship to the indicator; answers on failure.
 */
static bool
write_from_alert(struct kz_hub *hub, const struct kz_caller *caller,
                 const struct kz_collection *coll, const struct kz_alert *a, json_t *draft,
                 int64_t now, struct kz_http_response *resp)
{
    struct from_alert x;
    json_t *obj = NULL, *link = NULL, *ext;
    char lid[KZ_STIX_ID_MAX], ts[KZ_TIME_TEXT_MAX];
    kz_err err;
    bool ok = false;

    memset(&x, 0, sizeof(x));
    x.alert_id = a->id;
    x.incident_id = kz_json_str(draft, "id");
    x.by = caller->org.slug;
    x.centre = hub->rules ? hub->rules->centre : NULL;
    obj = kz_incident_stix(draft, caller->org.identity_id, now, NULL);
    ext = json_object_get(json_object_get(obj, "extensions"), KZ_INCIDENT_EXT_ID);
    json_object_set_new(ext, "alert", json_string(a->id));
    kz_time_format_us(a->created_us, ts);
    json_object_set_new(ext, "alert_created", json_string(ts));
    if (a->first_seen_us > 0) {
        kz_time_format_us(a->first_seen_us, ts);
        json_object_set_new(ext, "first_sighting", json_string(ts));
    }
    link = kz_api__incident_new_object("relationship", caller, now, lid);
    json_object_set_new(link, "relationship_type", json_string("related-to"));
    json_object_set_new(link, "source_ref", json_string(x.incident_id));
    json_object_set_new(link, "target_ref", json_string(a->indicator));
    err = kz_taxii_batch_new(hub, caller, coll, &obj, 1, &x.incident);
    if (err == KZ_OK)
        err = kz_taxii_batch_new(hub, caller, coll, &link, 1, &x.link);
    if (err == KZ_OK)
        err = kz_store_transaction(hub->store, from_alert_in_tx, &x);
    if (err == KZ_ERR_CONFLICT)
        kz_http_error(resp, false, 409, "Conflict", "%s", x.why);
    else if (err == KZ_ERR_NOTFOUND)
        kz_http_error(resp, false, 404, "Not found", "no alert '%.100s'", a->id);
    else if (err == KZ_ERR_DENIED)
        kz_http_error(resp, false, 422, "Refused", "%s", x.why);
    else if (err != KZ_OK)
        kz_http_error(resp, false, 500, "Internal error", "the incident could not be stored");
    else
        ok = true;
    kz_taxii_batch_free(x.incident);
    kz_taxii_batch_free(x.link);
    json_decref(obj);
    json_decref(link);
    return ok;
}

/* ---- POST /api/v1/incidents ---- */

KZ_API_HANDLER(kz_api_incidents_create)
{
    static const char *const keys[] = {"name",       "severity",      "description", "alert",
                                       "collection", "organizations", "sectors"};
    const char *name, *description, *severity, *alert, *coll_name;
    enum kz_incident_severity sev;
    struct kz_collection coll;
    struct kz_incident_row row;
    json_t *body = NULL, *draft = NULL, *obj = NULL, *orgs = NULL, *sectors = NULL, *state;
    char id[KZ_STIX_ID_MAX], collection_alias[KZ_ALIAS_MAX], now_text[KZ_TIME_TEXT_MAX];
    char alert_name[KZ_NAME_MAX];
    struct kz_alert al;
    int64_t now = kz_time_now_us();

    if (!kz_api__incident_require(caller, resp) || !(body = kz_api__body(hub, req, resp)))
        return;
    if (!json_is_object(body)) {
        kz_http_error(resp, false, 400, "Bad request", "the body must be a JSON object");
        goto done;
    }
    if (!kz_api__only_keys(body, keys, sizeof(keys) / sizeof(keys[0]), resp) ||
        !kz_api__opt_string(body, "name", KZ_NAME_MAX - 1, &name, resp) ||
        !kz_api__opt_string(body, "severity", 16, &severity, resp) ||
        !kz_api__opt_string(body, "description", KZ_TEXT_MAX - 1, &description, resp) ||
        !kz_api__opt_string(body, "alert", 300, &alert, resp) ||
        !kz_api__opt_string(body, "collection", KZ_ALIAS_MAX - 1, &coll_name, resp) ||
        !opt_slugs(body, "organizations", &orgs, resp) ||
        !opt_slugs(body, "sectors", &sectors, resp))
        goto done;
    if (alert) {
        if (!kz_api__incident_triager(caller)) {
            kz_http_error(resp, false, 403, "Forbidden",
                          "only the centre turns an alert into an incident");
            goto done;
        }
        if (kz_store_alert_get(hub->store, alert, &al) != KZ_OK) {
            kz_http_error(resp, false, 404, "Not found", "no alert '%.100s'", alert);
            goto done;
        }
        if (!name) {
            snprintf(alert_name, sizeof(alert_name), "%s: %.200s", al.rule, al.indicator);
            name = alert_name;
        }
        /* The alert's severity unless the request names one. */
        if (!severity)
            severity = al.severity;
    }
    if (!name || !severity) {
        kz_http_error(resp, false, 400, "Bad request", "'name' and 'severity' are required");
        goto done;
    }
    if (kz_incident_severity_parse(severity, &sev) != KZ_OK) {
        kz_http_error(resp, false, 400, "Bad request",
                      "'severity' must be low, medium, high, critical or national");
        goto done;
    }
    if (!kz_api__incident_triager(caller) && (sev == KZ_SEV_NATIONAL || orgs || sectors)) {
        kz_http_error(resp, false, 403, "Forbidden",
                      "only the centre sets severity 'national' or the affected parties");
        goto done;
    }
    /* Where it lives: the named collection, else the reporter's own org-<slug>. */
    if (!coll_name) {
        snprintf(collection_alias, sizeof(collection_alias), "org-%s", caller->org.slug);
        coll_name = collection_alias;
    }
    if (kz_store_collection_get(hub->store, coll_name, &coll) != KZ_OK ||
        !kz_policy_can_read(caller, &coll)) {
        kz_http_error(resp, false, 404, "Not found", "no collection '%.80s'", coll_name);
        goto done;
    }
    if (!kz_policy_can_write(caller, &coll)) {
        kz_http_error(resp, false, 403, "Forbidden", "you may not write to '%.80s'", coll.alias);
        goto done;
    }
    kz_stix_id_new("incident", id);
    kz_time_format_us(now, now_text);
    draft = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id, "name", name, "created", now_text,
                      "status", "reported", "severity", kz_incident_severity_name(sev));
    if (description)
        json_object_set_new(draft, "description", json_string(description));
    if (orgs)
        json_object_set(draft, "organizations", orgs);
    if (sectors)
        json_object_set(draft, "sectors", sectors);
    if (alert) {
        /* Affected parties from the sightings, unless the request names them. */
        json_t *parties = json_pack("{s:[], s:[]}", "organizations", "sectors");
        if (kz_store_alert_members(hub->store, &al, add_member, parties) != KZ_OK) {
            json_decref(parties);
            kz_http_error(resp, false, 500, "Internal error", "cannot read the alert");
            goto done;
        }
        if (!orgs && json_array_size(json_object_get(parties, "organizations")))
            json_object_set(draft, "organizations", json_object_get(parties, "organizations"));
        if (!sectors)
            json_object_set(draft, "sectors", json_object_get(parties, "sectors"));
        json_decref(parties);
        if (!write_from_alert(hub, caller, &coll, &al, draft, now, resp))
            goto done;
    } else {
        obj = kz_incident_stix(draft, caller->org.identity_id, now, NULL);
        if (!kz_api__incident_write_one(hub, caller, &coll, obj, NULL, 0, resp))
            goto done;
    }
    if (!kz_api__incident_load(hub, caller, id, &row, &state, resp))
        goto done;
    kz_http_json(resp, 201, KZ_MEDIA_JSON, render(hub, &row, state));
    json_decref(state);
    kz_incident_row_release(&row);
    kz_log(KZ_LOG_INFO, "incident reported id=%s org=%s severity=%s", id, caller->org.slug,
           kz_incident_severity_name(sev));
done:
    json_decref(body);
    json_decref(draft);
    json_decref(obj);
    json_decref(orgs);
    json_decref(sectors);
}

/* The last version of an object in a collection, parsed; NULL when absent. */
json_t *
kz_api__incident_fetch(struct kz_hub *hub, const char *collection_id, const char *id,
                       enum kz_tlp *tlp)
{
    struct kz_object_query q;
    struct kz_object_page page;
    const char *ids[1] = {id};
    json_t *o = NULL;

    memset(&q, 0, sizeof(q));
    q.collection_id = collection_id;
    q.added_after_us = -1;
    q.limit = 1;
    q.ids = ids;
    q.n_ids = 1;
    q.version_match = KZ_VERSION_LAST;
    q.max_tlp = KZ_TLP_RED;
    q.with_json = true;
    if (kz_store_objects_query(hub->store, &q, &page) != KZ_OK)
        return NULL;
    if (page.n == 1) {
        o = json_loadb(page.rows[0].json, page.rows[0].json_len, 0, NULL);
        if (tlp)
            *tlp = page.rows[0].tlp;
    }
    kz_object_page_release(&page);
    return o;
}

/*
 * The next version of the stored object: what its author put in stays (labels, external
 * references...), with the new modified time and the kizuna extension of the new state.
 */
static json_t *
next_version(struct kz_hub *hub, const struct kz_incident_row *row, const json_t *draft,
             const char *created_by_ref, int64_t modified_us, const char *reason)
{
    json_t *fresh = kz_incident_stix(draft, created_by_ref, modified_us, reason);
    json_t *stored = kz_api__incident_fetch(hub, row->collection_id, row->id, NULL);
    json_t *exts;

    if (!fresh || !stored || !json_is_object(stored)) {
        json_decref(stored);
        return fresh;
    }
    json_object_set(stored, "modified", json_object_get(fresh, "modified"));
    exts = json_object_get(stored, "extensions");
    if (!json_is_object(exts)) {
        exts = json_object();
        json_object_set_new(stored, "extensions", exts);
    }
    json_object_set(exts, KZ_INCIDENT_EXT_ID,
                    json_object_get(json_object_get(fresh, "extensions"), KZ_INCIDENT_EXT_ID));
    json_decref(fresh);
    return stored;
}

/* ---- POST /api/v1/incidents/{id} ---- */

KZ_API_HANDLER(kz_api_incident_update)
{
    static const char *const keys[] = {"status", "severity",      "assignee",
                                       "reason", "organizations", "sectors"};
    const char *status, *severity, *assignee, *reason;
    enum kz_incident_status from = KZ_INC_REPORTED, to;
    enum kz_incident_severity sev;
    struct kz_collection coll;
    struct kz_incident_row row, after;
    json_t *body = NULL, *state = NULL, *draft = NULL, *obj = NULL, *orgs = NULL, *sectors = NULL,
           *state_after;
    char why[256];
    int64_t now = kz_time_now_us();
    bool loaded = false;

    if (!kz_api__incident_require(caller, resp) || !(body = kz_api__body(hub, req, resp)))
        return;
    if (!kz_api__incident_load(hub, caller, req->segments[0], &row, &state, resp))
        goto done;
    loaded = true;
    if (!json_is_object(body)) {
        kz_http_error(resp, false, 400, "Bad request", "the body must be a JSON object");
        goto done;
    }
    if (!kz_api__only_keys(body, keys, sizeof(keys) / sizeof(keys[0]), resp) ||
        !kz_api__opt_string(body, "status", 16, &status, resp) ||
        !kz_api__opt_string(body, "severity", 16, &severity, resp) ||
        !kz_api__opt_string(body, "assignee", KZ_NAME_MAX - 1, &assignee, resp) ||
        !kz_api__opt_string(body, "reason", KZ_TEXT_MAX - 1, &reason, resp) ||
        !opt_slugs(body, "organizations", &orgs, resp) ||
        !opt_slugs(body, "sectors", &sectors, resp))
        goto done;
    if (json_object_size(body) == 0 || (json_object_size(body) == 1 && reason)) {
        kz_http_error(resp, false, 400, "Bad request",
                      "give at least one of 'status', 'severity', 'assignee', 'organizations', "
                      "'sectors'");
        goto done;
    }
    if (!kz_api__incident_triager(caller)) {
        kz_http_error(resp, false, 403, "Forbidden",
                      "only the centre triages: status, severity, assignee and affected parties");
        goto done;
    }
    draft = json_deep_copy(state);
    kz_incident_status_parse(kz_json_str(state, "status"), &from);
    if (status) {
        if (kz_incident_status_parse(status, &to) != KZ_OK) {
            kz_http_error(resp, false, 400, "Bad request",
                          "'status' must be reported, triage, investigating, contained, "
                          "recovered or closed");
            goto done;
        }
        if (to != from && kz_incident_check_move(from, to, reason, why, sizeof(why)) != KZ_OK) {
            kz_http_error(resp, false, 409, "Conflict", "%s", why);
            goto done;
        }
        json_object_set_new(draft, "status", json_string(status));
    }
    if (severity) {
        if (kz_incident_severity_parse(severity, &sev) != KZ_OK) {
            kz_http_error(resp, false, 400, "Bad request",
                          "'severity' must be low, medium, high, critical or national");
            goto done;
        }
        json_object_set_new(draft, "severity", json_string(severity));
    }
    if (json_is_null(json_object_get(body, "assignee")))
        json_object_set_new(draft, "assignee", json_null());
    else if (assignee)
        json_object_set_new(draft, "assignee", json_string(assignee));
    if (orgs)
        json_object_set(draft, "organizations", orgs);
    if (sectors)
        json_object_set(draft, "sectors", sectors);
    if (kz_store_collection_get(hub->store, row.collection_id, &coll) != KZ_OK) {
        kz_http_error(resp, false, 500, "Internal error", "the incident's collection is gone");
        goto done;
    }
    /* Versions must grow even when two changes fall in the same microsecond. */
    if (now <= row.version_us)
        now = row.version_us + 1;
    obj = next_version(hub, &row, draft, kz_json_str(state, "created_by_ref"), now, reason);
    if (!kz_api__incident_write_one(hub, caller, &coll, obj, row.id, row.version_us, resp))
        goto done;
    if (!kz_api__incident_load(hub, caller, row.id, &after, &state_after, resp))
        goto done;
    kz_http_json(resp, 200, KZ_MEDIA_JSON, render(hub, &after, state_after));
    kz_log(KZ_LOG_INFO, "incident updated id=%s by=%s status=%s severity=%s", row.id,
           caller->org.slug, after.status, after.severity);
    json_decref(state_after);
    kz_incident_row_release(&after);
done:
    if (loaded)
        kz_incident_row_release(&row);
    json_decref(state);
    json_decref(body);
    json_decref(draft);
    json_decref(obj);
    json_decref(orgs);
    json_decref(sectors);
}

/* ---- GET ---- */

KZ_API_HANDLER(kz_api_incident_get)
{
    struct kz_incident_row row;
    json_t *state;

    if (!kz_api__incident_require(caller, resp) ||
        !kz_api__incident_load(hub, caller, req->segments[0], &row, &state, resp))
        return;
    kz_http_json(resp, 200, KZ_MEDIA_JSON, render(hub, &row, state));
    json_decref(state);
    kz_incident_row_release(&row);
}

struct list_ctx {
    struct kz_hub *hub;
    json_t *list;
    int64_t last_modified_us; /* the cursor of the next page */
    char last_id[KZ_STIX_ID_MAX];
};

static void
append_row(void *ctx, const struct kz_incident_row *row)
{
    struct list_ctx *l = ctx;
    json_t *state = json_loads(row->state, 0, NULL);

    l->last_modified_us = row->modified_us;
    kz_cstr_copy(row->id, l->last_id, sizeof(l->last_id));
    if (state)
        json_array_append_new(l->list, render(l->hub, row, state));
    json_decref(state);
}

/* A page cursor, "<modified_us>.<incident id>" of the page's last incident: the next page
 * starts after it, so incidents that change while a client pages are neither skipped
 * nor repeated (a changed one moves to the top). */
static bool
cursor_parse(const char *text, int64_t *modified_us, char id[KZ_STIX_ID_MAX])
{
    const char *dot = strchr(text, '.');
    uint64_t v;

    if (!dot || kz_str_to_u64(kz_str_make(text, (size_t)(dot - text)), 0, INT64_MAX, &v) != KZ_OK ||
        strncmp(dot + 1, "incident--", 10) != 0 ||
        !kz_uuid_valid(kz_str_from_cstr(dot + 11)) ||
        kz_cstr_copy(dot + 1, id, KZ_STIX_ID_MAX) != KZ_OK)
        return false;
    *modified_us = (int64_t)v;
    return true;
}

KZ_API_HANDLER(kz_api_incidents_list)
{
    struct kz_incident_filter f;
    struct list_ctx l = {hub, NULL, 0, ""};
    char after_id[KZ_STIX_ID_MAX];
    enum kz_incident_status st;
    enum kz_incident_severity sev;
    uint64_t v;
    const char *p;
    bool more = false;
    kz_err err;

    if (!kz_api__incident_require(caller, resp))
        return;
    memset(&f, 0, sizeof(f));
    f.limit = LIST_DEFAULT;
    for (size_t i = 0; i < req->n_params; i++) {
        const char *k = req->params[i].key;
        if (strcmp(k, "status") && strcmp(k, "severity") && strcmp(k, "org") &&
            strcmp(k, "limit") && strcmp(k, "next")) {
            kz_http_error(resp, false, 400, "Bad query", "unknown parameter '%.64s'", k);
            return;
        }
    }
    f.status = kz_http_param(req, "status");
    f.severity = kz_http_param(req, "severity");
    f.org = kz_http_param(req, "org");
    if (f.status && kz_incident_status_parse(f.status, &st) != KZ_OK) {
        kz_http_error(resp, false, 400, "Bad query", "'status' is not an incident status");
        return;
    }
    if (f.severity && kz_incident_severity_parse(f.severity, &sev) != KZ_OK) {
        kz_http_error(resp, false, 400, "Bad query", "'severity' is not an incident severity");
        return;
    }
    if ((p = kz_http_param(req, "limit"))) {
        if (kz_str_to_u64(kz_str_from_cstr(p), 1, LIST_MAX, &v) != KZ_OK) {
            kz_http_error(resp, false, 400, "Bad query", "'limit' must be 1..%d", LIST_MAX);
            return;
        }
        f.limit = (size_t)v;
    }
    if ((p = kz_http_param(req, "next"))) {
        if (!cursor_parse(p, &f.after_modified_us, after_id)) {
            kz_http_error(resp, false, 400, "Bad query", "'next' is not a value this hub gave");
            return;
        }
        f.after_id = after_id;
    }
    /* A member lists only what it reported. */
    if (!kz_api__incident_triager(caller)) {
        if (f.org && strcmp(f.org, caller->org.slug) != 0) {
            kz_http_json(resp, 200, KZ_MEDIA_JSON, json_pack("{s:[], s:n}", "incidents", "next"));
            return;
        }
        f.org = caller->org.slug;
    }
    l.list = json_array();
    err = kz_store_incident_list(hub->store, &f, append_row, &l, &more);
    if (err != KZ_OK) {
        json_decref(l.list);
        kz_http_error(resp, false, 500, "Internal error", "cannot list incidents");
        return;
    }
    if (more) {
        char next[KZ_STIX_ID_MAX + 32];
        snprintf(next, sizeof(next), "%lld.%s", (long long)l.last_modified_us, l.last_id);
        kz_http_json(resp, 200, KZ_MEDIA_JSON,
                     json_pack("{s:o, s:s}", "incidents", l.list, "next", next));
    } else {
        kz_http_json(resp, 200, KZ_MEDIA_JSON,
                     json_pack("{s:o, s:n}", "incidents", l.list, "next"));
    }
}
