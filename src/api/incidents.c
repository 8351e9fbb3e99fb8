/*
 * /api/v1/incidents: incidents for CSIRT / CYMAT response (docs/gsoc.md, "Incidents").
 * Every change is a new version of the STIX incident object written through the TAXII
 * write path in one transaction; the write hook of src/incident keeps the index that these
 * handlers read. The reporting member and the centre read and add notes and links; only
 * the centre (gsoc, admin) triages and publishes; everyone else gets 404.
 */
#include "api/api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/time.h"
#include "incident/incident.h"
#include "notify/notify.h"
#include "taxii/taxii.h"
#include "base/banned.h"

#define LIST_DEFAULT            50
#define LIST_MAX                500
#define NOTE_MAX                8192
#define PUBLISH_MAX_OBJECTS     100
#define PUBLISH_MAX_COLLECTIONS 16

static bool
triager(const struct kz_caller *c)
{
    return c->role == KZ_ROLE_GSOC || c->role == KZ_ROLE_ADMIN;
}

/* Authenticated, and a person of an organisation or the centre (not a sensor). */
static bool
require(const struct kz_caller *caller, struct kz_http_response *resp)
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
static bool
load(struct kz_hub *hub, const struct kz_caller *caller, const char *id,
     struct kz_incident_row *row, json_t **state, struct kz_http_response *resp)
{
    kz_err err;

    memset(row, 0, sizeof(*row));
    err = kz_store_incident_get(hub->store, id, row);
    if (err == KZ_OK && (triager(caller) || strcmp(row->org, caller->org.slug) == 0)) {
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
static bool
write_one(struct kz_hub *hub, const struct kz_caller *caller, const struct kz_collection *coll,
          json_t *obj, const char *expect_id, int64_t expect_version, struct kz_http_response *resp)
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
static bool
opt_string(const json_t *body, const char *key, size_t max, const char **out,
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

static bool
only_keys(const json_t *body, const char *const *keys, size_t n, struct kz_http_response *resp)
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
static json_t *
new_object(const char *type, const struct kz_caller *caller, int64_t now, char id[KZ_STIX_ID_MAX])
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
    const char *by;
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
    return kz_store_tx_alert_change(tx, &ev);
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
    obj = kz_incident_stix(draft, caller->org.identity_id, now, NULL);
    ext = json_object_get(json_object_get(obj, "extensions"), KZ_INCIDENT_EXT_ID);
    json_object_set_new(ext, "alert", json_string(a->id));
    kz_time_format_us(a->created_us, ts);
    json_object_set_new(ext, "alert_created", json_string(ts));
    if (a->first_seen_us > 0) {
        kz_time_format_us(a->first_seen_us, ts);
        json_object_set_new(ext, "first_sighting", json_string(ts));
    }
    link = new_object("relationship", caller, now, lid);
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

    if (!require(caller, resp) || !(body = kz_api__body(hub, req, resp)))
        return;
    if (!json_is_object(body)) {
        kz_http_error(resp, false, 400, "Bad request", "the body must be a JSON object");
        goto done;
    }
    if (!only_keys(body, keys, sizeof(keys) / sizeof(keys[0]), resp) ||
        !opt_string(body, "name", KZ_NAME_MAX - 1, &name, resp) ||
        !opt_string(body, "severity", 16, &severity, resp) ||
        !opt_string(body, "description", KZ_TEXT_MAX - 1, &description, resp) ||
        !opt_string(body, "alert", 300, &alert, resp) ||
        !opt_string(body, "collection", KZ_ALIAS_MAX - 1, &coll_name, resp) ||
        !opt_slugs(body, "organizations", &orgs, resp) ||
        !opt_slugs(body, "sectors", &sectors, resp))
        goto done;
    if (alert) {
        if (!triager(caller)) {
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
    if (!triager(caller) && (sev == KZ_SEV_NATIONAL || orgs || sectors)) {
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
        if (!write_one(hub, caller, &coll, obj, NULL, 0, resp))
            goto done;
    }
    if (!load(hub, caller, id, &row, &state, resp))
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
static json_t *
fetch(struct kz_hub *hub, const char *collection_id, const char *id, enum kz_tlp *tlp)
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
    json_t *stored = fetch(hub, row->collection_id, row->id, NULL);
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

    if (!require(caller, resp) || !(body = kz_api__body(hub, req, resp)))
        return;
    if (!load(hub, caller, req->segments[0], &row, &state, resp))
        goto done;
    loaded = true;
    if (!json_is_object(body)) {
        kz_http_error(resp, false, 400, "Bad request", "the body must be a JSON object");
        goto done;
    }
    if (!only_keys(body, keys, sizeof(keys) / sizeof(keys[0]), resp) ||
        !opt_string(body, "status", 16, &status, resp) ||
        !opt_string(body, "severity", 16, &severity, resp) ||
        !opt_string(body, "assignee", KZ_NAME_MAX - 1, &assignee, resp) ||
        !opt_string(body, "reason", KZ_TEXT_MAX - 1, &reason, resp) ||
        !opt_slugs(body, "organizations", &orgs, resp) ||
        !opt_slugs(body, "sectors", &sectors, resp))
        goto done;
    if (json_object_size(body) == 0 || (json_object_size(body) == 1 && reason)) {
        kz_http_error(resp, false, 400, "Bad request",
                      "give at least one of 'status', 'severity', 'assignee', 'organizations', "
                      "'sectors'");
        goto done;
    }
    if (!triager(caller)) {
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
    if (!write_one(hub, caller, &coll, obj, row.id, row.version_us, resp))
        goto done;
    if (!load(hub, caller, row.id, &after, &state_after, resp))
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

    if (!require(caller, resp) || !load(hub, caller, req->segments[0], &row, &state, resp))
        return;
    kz_http_json(resp, 200, KZ_MEDIA_JSON, render(hub, &row, state));
    json_decref(state);
    kz_incident_row_release(&row);
}

struct list_ctx {
    struct kz_hub *hub;
    json_t *list;
};

static void
append_row(void *ctx, const struct kz_incident_row *row)
{
    struct list_ctx *l = ctx;
    json_t *state = json_loads(row->state, 0, NULL);

    if (state)
        json_array_append_new(l->list, render(l->hub, row, state));
    json_decref(state);
}

KZ_API_HANDLER(kz_api_incidents_list)
{
    struct kz_incident_filter f;
    struct list_ctx l = {hub, NULL};
    enum kz_incident_status st;
    enum kz_incident_severity sev;
    uint64_t v;
    const char *p;
    bool more = false;
    kz_err err;

    if (!require(caller, resp))
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
        if (kz_str_to_u64(kz_str_from_cstr(p), 0, 1000000000, &v) != KZ_OK) {
            kz_http_error(resp, false, 400, "Bad query", "'next' is not a value this hub gave");
            return;
        }
        f.offset = (size_t)v;
    }
    /* A member lists only what it reported. */
    if (!triager(caller)) {
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
        char next[32];
        snprintf(next, sizeof(next), "%zu", f.offset + f.limit);
        kz_http_json(resp, 200, KZ_MEDIA_JSON,
                     json_pack("{s:o, s:s}", "incidents", l.list, "next", next));
    } else {
        kz_http_json(resp, 200, KZ_MEDIA_JSON,
                     json_pack("{s:o, s:n}", "incidents", l.list, "next"));
    }
}

/* ---- notes and links ---- */

static bool
incident_collection(struct kz_hub *hub, const struct kz_incident_row *row,
                    struct kz_collection *coll, struct kz_http_response *resp)
{
    if (kz_store_collection_get(hub->store, row->collection_id, coll) == KZ_OK)
        return true;
    kz_http_error(resp, false, 500, "Internal error", "the incident's collection is gone");
    return false;
}

KZ_API_HANDLER(kz_api_incident_note)
{
    static const char *const keys[] = {"content"};
    struct kz_incident_row row;
    struct kz_collection coll;
    json_t *body = NULL, *state = NULL, *obj = NULL;
    const char *content;
    char id[KZ_STIX_ID_MAX];
    int64_t now = kz_time_now_us();

    if (!require(caller, resp) || !(body = kz_api__body(hub, req, resp)))
        return;
    if (!load(hub, caller, req->segments[0], &row, &state, resp)) {
        json_decref(body);
        return;
    }
    if (!json_is_object(body) || !only_keys(body, keys, 1, resp) ||
        !opt_string(body, "content", NOTE_MAX, &content, resp))
        goto done;
    if (!content) {
        kz_http_error(resp, false, 400, "Bad request", "'content' is required");
        goto done;
    }
    if (!incident_collection(hub, &row, &coll, resp))
        goto done;
    obj = new_object("note", caller, now, id);
    json_object_set_new(obj, "content", json_string(content));
    json_object_set_new(obj, "authors", json_pack("[s]", caller->org.slug));
    json_object_set_new(obj, "object_refs", json_pack("[s]", row.id));
    if (!write_one(hub, caller, &coll, obj, NULL, 0, resp))
        goto done;
    kz_http_json(resp, 201, KZ_MEDIA_JSON,
                 json_pack("{s:s, s:s, s:s, s:O}", "id", id, "incident", row.id, "author",
                           caller->org.slug, "created", json_object_get(obj, "created")));
done:
    kz_incident_row_release(&row);
    json_decref(state);
    json_decref(body);
    json_decref(obj);
}

/* relationship_type: 1..64 of [a-z0-9-]. */
static bool
relationship_type_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return true;
}

KZ_API_HANDLER(kz_api_incident_link)
{
    static const char *const keys[] = {"target", "relationship_type"};
    struct kz_incident_row row;
    struct kz_collection coll;
    json_t *body = NULL, *state = NULL, *obj = NULL;
    const char *target, *rtype;
    const char *sep;
    char id[KZ_STIX_ID_MAX];
    int64_t now = kz_time_now_us();

    if (!require(caller, resp) || !(body = kz_api__body(hub, req, resp)))
        return;
    if (!load(hub, caller, req->segments[0], &row, &state, resp)) {
        json_decref(body);
        return;
    }
    if (!json_is_object(body) || !only_keys(body, keys, 2, resp) ||
        !opt_string(body, "target", KZ_STIX_ID_MAX - 1, &target, resp) ||
        !opt_string(body, "relationship_type", 64, &rtype, resp))
        goto done;
    if (!target || !(sep = strstr(target, "--")) || !kz_uuid_valid(kz_str_from_cstr(sep + 2))) {
        kz_http_error(resp, false, 400, "Bad request", "'target' must be a STIX identifier");
        goto done;
    }
    if (!rtype)
        rtype = "related-to";
    if (!relationship_type_ok(rtype)) {
        kz_http_error(resp, false, 400, "Bad request",
                      "'relationship_type' must be 1..64 of a-z, 0-9 and '-'");
        goto done;
    }
    if (!incident_collection(hub, &row, &coll, resp))
        goto done;
    obj = new_object("relationship", caller, now, id);
    json_object_set_new(obj, "relationship_type", json_string(rtype));
    json_object_set_new(obj, "source_ref", json_string(row.id));
    json_object_set_new(obj, "target_ref", json_string(target));
    if (!write_one(hub, caller, &coll, obj, NULL, 0, resp))
        goto done;
    kz_http_json(resp, 201, KZ_MEDIA_JSON,
                 json_pack("{s:s, s:s, s:s, s:s}", "id", id, "source_ref", row.id,
                           "relationship_type", rtype, "target_ref", target));
done:
    kz_incident_row_release(&row);
    json_decref(state);
    json_decref(body);
    json_decref(obj);
}

/* ---- timeline ---- */

struct timeline {
    struct kz_hub *hub;
    json_t *events;
};

static void
event(json_t *events, int64_t at_us, const char *kind, json_t *fields)
{
    char ts[KZ_TIME_TEXT_MAX];

    kz_time_format_us(at_us, ts);
    json_object_set_new(fields, "at", json_string(ts));
    json_object_set_new(fields, "kind", json_string(kind));
    json_object_set_new(fields, "_us", json_integer(at_us));
    json_array_append_new(events, fields);
}

static void
add_ref(void *ctx, const struct kz_incident_ref *ref)
{
    struct timeline *t = ctx;
    json_t *o = fetch(t->hub, ref->collection_id, ref->object_id, NULL);
    json_t *f = json_pack("{s:s}", "id", ref->object_id);

    if (strcmp(ref->kind, "note") == 0 && o) {
        json_object_set(f, "content", json_object_get(o, "content"));
        if (json_object_get(o, "authors"))
            json_object_set(f, "authors", json_object_get(o, "authors"));
    } else if (strcmp(ref->kind, "link") == 0 && o) {
        json_object_set(f, "relationship_type", json_object_get(o, "relationship_type"));
        json_object_set(f, "source_ref", json_object_get(o, "source_ref"));
        json_object_set(f, "target_ref", json_object_get(o, "target_ref"));
    } else if (strcmp(ref->kind, "report") == 0) {
        struct kz_collection c;
        if (kz_store_collection_get(t->hub->store, ref->collection_id, &c) == KZ_OK)
            json_object_set_new(f, "collection", json_string(c.alias));
        if (o)
            json_object_set(f, "object_refs", json_object_get(o, "object_refs"));
    }
    event(t->events, ref->at_us, ref->kind, f);
    json_decref(o);
}

/* Who was notified: one entry per delivery, at the time it was queued. */
static void
add_notification(void *ctx, const struct kz_delivery *d)
{
    char delivered[KZ_TIME_TEXT_MAX];
    json_t *f =
        json_pack("{s:s, s:s, s:s, s:s, s:I}", "id", d->id, "event", d->event, "org", d->org,
                  "state", kz_delivery_state_name(d->state), "attempts", (json_int_t)d->attempts);

    kz_time_format_us(d->delivered_us, delivered);
    json_object_set_new(f, "delivered", d->delivered_us ? json_string(delivered) : json_null());
    event(ctx, d->created_us, "notification", f);
}

static int
by_time(const void *a, const void *b)
{
    json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "_us"));
    json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "_us"));

    return x < y ? -1 : x > y;
}

/* Versions of the incident object as stored: what each one said. */
static kz_err
add_versions(struct kz_hub *hub, const struct kz_incident_row *row, json_t *events)
{
    struct kz_object_query q;
    struct kz_object_page page;
    const char *ids[1] = {row->id};
    kz_err err;

    memset(&q, 0, sizeof(q));
    q.collection_id = row->collection_id;
    q.added_after_us = -1;
    q.limit = 1000;
    q.ids = ids;
    q.n_ids = 1;
    q.version_match = KZ_VERSION_ALL;
    q.max_tlp = KZ_TLP_RED;
    q.with_json = true;
    err = kz_store_objects_query(hub->store, &q, &page);
    if (err != KZ_OK)
        return err;
    for (size_t i = 0; i < page.n; i++) {
        json_t *o = json_loadb(page.rows[i].json, page.rows[i].json_len, 0, NULL);
        json_t *ext = json_object_get(json_object_get(o, "extensions"), KZ_INCIDENT_EXT_ID);
        json_t *f = json_pack("{s:s}", "version", page.rows[i].version);
        const char *keys[] = {"status", "severity", "assignee", "reason"};
        for (size_t k = 0; ext && k < sizeof(keys) / sizeof(keys[0]); k++) {
            if (json_object_get(ext, keys[k]))
                json_object_set(f, keys[k], json_object_get(ext, keys[k]));
        }
        event(events, page.rows[i].version_us, "version", f);
        json_decref(o);
    }
    kz_object_page_release(&page);
    return KZ_OK;
}

KZ_API_HANDLER(kz_api_incident_timeline)
{
    struct kz_incident_row row;
    struct timeline t;
    json_t *state, *tr, *e;
    json_t **items;
    size_t i, n;
    kz_err err;

    if (!require(caller, resp) || !load(hub, caller, req->segments[0], &row, &state, resp))
        return;
    t.hub = hub;
    t.events = json_array();
    json_array_foreach(json_object_get(state, "transitions"), i, tr)
    {
        json_t *f = json_deep_copy(tr);
        json_object_del(f, "at");
        event(t.events, kz_incident_time(tr, "at"), "transition", f);
    }
    err = add_versions(hub, &row, t.events);
    if (err == KZ_OK)
        err = kz_store_incident_refs(hub->store, row.id, add_ref, &t);
    if (err == KZ_OK)
        err = kz_notify_deliveries_for(hub->store, row.id, add_notification, t.events);
    if (err != KZ_OK) {
        kz_http_error(resp, false, 500, "Internal error", "cannot read the timeline");
        goto done;
    }
    /* Time order; at equal times the order of insertion (transition before its version). */
    n = json_array_size(t.events);
    items = kz_xcalloc(n ? n : 1, sizeof(*items));
    for (i = 0; i < n; i++)
        items[i] = json_incref(json_array_get(t.events, i));
    for (i = 1; i < n; i++) { /* insertion sort: stable, and timelines are short */
        for (size_t k = i; k > 0 && by_time(&items[k - 1], &items[k]) > 0; k--) {
            e = items[k - 1];
            items[k - 1] = items[k];
            items[k] = e;
        }
    }
    json_array_clear(t.events);
    for (i = 0; i < n; i++) {
        json_object_del(items[i], "_us");
        json_array_append_new(t.events, items[i]);
    }
    free(items);
    kz_http_json(resp, 200, KZ_MEDIA_JSON,
                 json_pack("{s:s, s:O}", "incident", row.id, "timeline", t.events));
done:
    json_decref(t.events);
    json_decref(state);
    kz_incident_row_release(&row);
}

/* ---- publish: chosen indicators and a sanitised report to chosen collections ---- */

struct publish_target {
    struct kz_collection coll;
    json_t *result; /* {"collection", "objects": [...]} */
    struct kz_taxii_batch *indicators;
    struct kz_taxii_batch *report;
    json_t *report_obj;
};

struct publish {
    struct kz_hub *hub;
    const struct kz_caller *caller;
    const struct kz_incident_row *row;
    json_t *state;   /* updated with first_shared */
    json_t **copies; /* the indicator copies; NULL where refused before writing */
    json_t *pre;     /* reasons for indicators refused before writing */
    size_t n_ind;
    const char *report_name, *report_description;
    enum kz_tlp tlp;
    struct publish_target *targets;
    size_t n_targets;
    int64_t now;
    size_t published; /* reports written */
};

static void
object_result(json_t *list, const char *id, const char *type, const char *outcome,
              const char *reason)
{
    json_t *r = json_pack("{s:s, s:s, s:s}", "id", id ? id : "", "type", type, "outcome", outcome);

    if (reason && reason[0])
        json_object_set_new(r, "reason", json_string(reason));
    json_array_append_new(list, r);
}

static const char *
outcome_name(enum kz_put_outcome o)
{
    return o == KZ_PUT_ADDED ? "added" : o == KZ_PUT_DUPLICATE ? "duplicate" : "refused";
}

static kz_err
publish_in_tx(void *ctx, struct kz_store_tx *tx)
{
    struct publish *p = ctx;
    kz_err err = KZ_OK;

    p->published = 0;
    for (size_t t = 0; t < p->n_targets; t++) {
        struct publish_target *pt = &p->targets[t];
        json_t *objs = json_array(), *refs = json_array();
        json_t *copies[PUBLISH_MAX_OBJECTS];
        size_t n = 0;
        char rid[KZ_STIX_ID_MAX];

        json_object_set_new(pt->result, "objects", objs);
        if (!json_is_null(json_object_get(pt->result, "reason"))) {
            json_decref(refs);
            continue; /* the collection itself was refused */
        }
        for (size_t i = 0; i < p->n_ind; i++) {
            if (p->copies[i])
                copies[n++] = p->copies[i];
        }
        kz_taxii_batch_free(pt->indicators);
        pt->indicators = NULL;
        if (n) {
            err = kz_taxii_batch_new(p->hub, p->caller, &pt->coll, copies, n, &pt->indicators);
            if (err == KZ_OK)
                err = kz_taxii_batch_write(pt->indicators, tx);
            if (err != KZ_OK) {
                json_decref(refs);
                return err;
            }
        }
        for (size_t i = 0, k = 0; i < p->n_ind; i++) {
            const struct kz_put_result *r;
            const char *id = kz_json_str(json_array_get(p->pre, i), "id");
            if (!p->copies[i]) {
                object_result(objs, id, "indicator", "refused",
                              kz_json_str(json_array_get(p->pre, i), "reason"));
                continue;
            }
            r = kz_taxii_batch_result(pt->indicators, k++);
            object_result(objs, id, "indicator", outcome_name(r->outcome), r->reason);
            if (r->outcome != KZ_PUT_REFUSED)
                json_array_append_new(refs, json_string(id));
        }
        if (json_array_size(refs) == 0) {
            object_result(objs, NULL, "report", "refused", "no indicator could be published");
            json_decref(refs);
            continue;
        }
        /* The report: name and description as given, the published indicators, no notes. */
        json_decref(pt->report_obj);
        pt->report_obj = new_object("report", p->caller, p->now, rid);
        json_object_set_new(pt->report_obj, "name", json_string(p->report_name));
        if (p->report_description)
            json_object_set_new(pt->report_obj, "description", json_string(p->report_description));
        json_object_set(pt->report_obj, "published", json_object_get(pt->report_obj, "created"));
        json_object_set_new(pt->report_obj, "report_types", json_pack("[s]", "threat-report"));
        json_object_set_new(pt->report_obj, "object_refs", refs);
        json_object_set_new(pt->report_obj, "object_marking_refs",
                            json_pack("[s]", kz_tlp_marking_id(p->tlp)));
        kz_taxii_batch_free(pt->report);
        pt->report = NULL;
        err = kz_taxii_batch_new(p->hub, p->caller, &pt->coll, &pt->report_obj, 1, &pt->report);
        if (err == KZ_OK)
            err = kz_taxii_batch_write(pt->report, tx);
        if (err != KZ_OK)
            return err;
        {
            const struct kz_put_result *r = kz_taxii_batch_result(pt->report, 0);
            object_result(objs, rid, "report", outcome_name(r->outcome), r->reason);
            if (r->outcome == KZ_PUT_ADDED) {
                struct kz_incident_ref ref;
                memset(&ref, 0, sizeof(ref));
                kz_cstr_copy(p->row->id, ref.incident_id, sizeof(ref.incident_id));
                kz_cstr_copy(rid, ref.object_id, sizeof(ref.object_id));
                kz_cstr_copy("report", ref.kind, sizeof(ref.kind));
                kz_cstr_copy(pt->coll.id, ref.collection_id, sizeof(ref.collection_id));
                ref.at_us = p->now;
                err = kz_store_tx_incident_ref_put(tx, &ref);
                if (err != KZ_OK)
                    return err;
                p->published++;
            }
        }
    }
    /* The first share is kept with the incident for the figures. */
    if (p->published && !json_object_get(p->state, "first_shared")) {
        struct kz_incident_row now;
        char ts[KZ_TIME_TEXT_MAX];
        json_t *cur;

        memset(&now, 0, sizeof(now));
        err = kz_store_tx_incident_get(tx, p->row->id, &now);
        if (err != KZ_OK)
            return err;
        cur = json_loads(now.state, 0, NULL);
        if (cur) {
            kz_time_format_us(p->now, ts);
            json_object_set_new(cur, "first_shared", json_string(ts));
            free(now.state);
            now.state = json_dumps(cur, JSON_COMPACT);
            json_decref(cur);
            err = kz_store_tx_incident_put(tx, &now);
        }
        kz_incident_row_release(&now);
    }
    return err;
}

struct find_ctx {
    struct kz_hub *hub;
    const char *id;
    json_t *found;
    enum kz_tlp tlp;
};

static void
find_in(void *ctx, const struct kz_collection *c)
{
    struct find_ctx *f = ctx;

    if (!f->found)
        f->found = fetch(f->hub, c->id, f->id, &f->tlp);
}

/* The indicator: in the incident's collection first, else wherever the centre has it. */
static json_t *
find_indicator(struct kz_hub *hub, const char *collection_id, const char *id, enum kz_tlp *tlp)
{
    struct find_ctx f = {hub, id, NULL, KZ_TLP_CLEAR};

    f.found = fetch(hub, collection_id, id, &f.tlp);
    if (!f.found)
        kz_store_collection_list(hub->store, find_in, &f);
    *tlp = f.tlp;
    return f.found;
}

KZ_API_HANDLER(kz_api_incident_publish)
{
    static const char *const keys[] = {"indicators", "report", "collections", "tlp"};
    struct kz_incident_row row;
    struct publish p;
    json_t *body = NULL, *state = NULL, *inds, *colls, *rep, *e, *out = NULL;
    const char *tlp_text;
    size_t i;
    kz_err err;

    memset(&p, 0, sizeof(p));
    if (!require(caller, resp) || !(body = kz_api__body(hub, req, resp)))
        return;
    if (!load(hub, caller, req->segments[0], &row, &state, resp)) {
        json_decref(body);
        return;
    }
    if (!triager(caller)) {
        kz_http_error(resp, false, 403, "Forbidden", "only the centre publishes from an incident");
        goto done;
    }
    if (!json_is_object(body) || !only_keys(body, keys, 4, resp) ||
        !opt_string(body, "tlp", 32, &tlp_text, resp))
        goto done;
    inds = json_object_get(body, "indicators");
    colls = json_object_get(body, "collections");
    rep = json_object_get(body, "report");
    if (!json_is_array(inds) || json_array_size(inds) == 0 ||
        json_array_size(inds) > PUBLISH_MAX_OBJECTS || !json_is_array(colls) ||
        json_array_size(colls) == 0 || json_array_size(colls) > PUBLISH_MAX_COLLECTIONS) {
        kz_http_error(resp, false, 400, "Bad request",
                      "'indicators' (1..%d ids) and 'collections' (1..%d) are required",
                      PUBLISH_MAX_OBJECTS, PUBLISH_MAX_COLLECTIONS);
        goto done;
    }
    if (json_array_size(inds) > hub->config.max_envelope_objects) {
        kz_http_error(resp, false, 413, "Request too large",
                      "at most %llu objects are written at once on this hub",
                      (unsigned long long)hub->config.max_envelope_objects);
        goto done;
    }
    if (!json_is_object(rep) || !opt_string(rep, "name", KZ_NAME_MAX - 1, &p.report_name, resp) ||
        !opt_string(rep, "description", KZ_TEXT_MAX - 1, &p.report_description, resp))
        goto done;
    if (!p.report_name) {
        kz_http_error(resp, false, 400, "Bad request", "'report' needs a 'name'");
        goto done;
    }
    if (!tlp_text || kz_tlp_parse(kz_str_from_cstr(tlp_text), &p.tlp) != KZ_OK) {
        kz_http_error(resp, false, 400, "Bad request",
                      "'tlp' must be clear, green, amber, amber+strict or red");
        goto done;
    }
    json_array_foreach(inds, i, e)
    {
        if (!json_is_string(e) || json_string_length(e) >= KZ_STIX_ID_MAX ||
            strncmp(json_string_value(e), "indicator--", 11) != 0) {
            kz_http_error(resp, false, 400, "Bad request",
                          "'indicators' must hold indicator identifiers");
            goto done;
        }
    }
    p.hub = hub;
    p.caller = caller;
    p.row = &row;
    p.state = state;
    p.now = kz_time_now_us();
    p.n_ind = json_array_size(inds);
    p.copies = kz_xcalloc(p.n_ind, sizeof(*p.copies));
    p.pre = json_array();
    json_array_foreach(inds, i, e)
    {
        const char *id = json_string_value(e);
        enum kz_tlp own = KZ_TLP_CLEAR;
        json_t *o = find_indicator(hub, row.collection_id, id, &own);
        json_t *why = json_pack("{s:s}", "id", id);
        if (!o) {
            json_object_set_new(why, "reason", json_string("no such indicator"));
        } else if (own > p.tlp) {
            char r[128];
            snprintf(r, sizeof(r), "the indicator is TLP:%s, above the chosen TLP:%s",
                     kz_tlp_name(own), kz_tlp_name(p.tlp));
            json_object_set_new(why, "reason", json_string(r));
        } else {
            /* The copy carries the chosen TLP; the write path decides where it may go. */
            json_object_del(o, "granular_markings");
            json_object_set_new(o, "object_marking_refs",
                                json_pack("[s]", kz_tlp_marking_id(p.tlp)));
            p.copies[i] = o;
            o = NULL;
        }
        json_decref(o);
        json_array_append_new(p.pre, why);
    }
    p.n_targets = json_array_size(colls);
    p.targets = kz_xcalloc(p.n_targets, sizeof(*p.targets));
    json_array_foreach(colls, i, e)
    {
        struct publish_target *pt = &p.targets[i];
        const char *name = json_is_string(e) ? json_string_value(e) : "";
        pt->result = json_pack("{s:s, s:n}", "collection", name, "reason");
        if (strlen(name) >= KZ_ALIAS_MAX ||
            kz_store_collection_get(hub->store, name, &pt->coll) != KZ_OK)
            json_object_set_new(pt->result, "reason", json_string("no such collection"));
        else if (!kz_policy_can_write(caller, &pt->coll))
            json_object_set_new(pt->result, "reason", json_string("not writable by you"));
    }
    err = kz_store_transaction(hub->store, publish_in_tx, &p);
    if (err != KZ_OK) {
        kz_log(KZ_LOG_ERROR, "cannot publish from incident '%s': %s", row.id, kz_err_str(err));
        kz_http_error(resp, false, 500, "Internal error", "nothing was published");
        goto done;
    }
    out = json_array();
    for (i = 0; i < p.n_targets; i++) {
        if (json_is_null(json_object_get(p.targets[i].result, "reason")))
            json_object_del(p.targets[i].result, "reason");
        json_array_append(out, p.targets[i].result);
    }
    kz_http_json(resp, 200, KZ_MEDIA_JSON,
                 json_pack("{s:s, s:s, s:I, s:o}", "incident", row.id, "tlp", kz_tlp_name(p.tlp),
                           "reports", (json_int_t)p.published, "collections", out));
    kz_log(KZ_LOG_INFO, "incident published id=%s reports=%zu tlp=%s", row.id, p.published,
           kz_tlp_name(p.tlp));
done:
    for (i = 0; p.copies && i < p.n_ind; i++)
        json_decref(p.copies[i]);
    free(p.copies);
    json_decref(p.pre);
    for (i = 0; p.targets && i < p.n_targets; i++) {
        json_decref(p.targets[i].result);
        json_decref(p.targets[i].report_obj);
        kz_taxii_batch_free(p.targets[i].indicators);
        kz_taxii_batch_free(p.targets[i].report);
    }
    free(p.targets);
    kz_incident_row_release(&row);
    json_decref(state);
    json_decref(body);
}
