/*
 * The incidents index follows the write path: every accepted write (TAXII pushes and the
 * incidents API alike) passes here inside its transaction, so GET /api/v1/incidents lists
 * incidents from both, and notes and links pushed over TAXII reach the timeline.
 */
#include "incident/incident.h"

#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/log.h"
#include "base/str.h"
#include "base/time.h"
#include "http/http.h"
#include "notify/notify.h"
#include "base/banned.h"

/* One event about an incident to the reporter and the affected organisations. */
static kz_err
emit(struct kz_store_tx *tx, const char *type, const json_t *state)
{
    const char *orgs[66];
    size_t n = 0;
    const json_t *e;
    size_t i;
    struct kz_notify_event ev;
    json_t *data = json_object();
    const char *keys[] = {"id",      "name",     "status",  "severity", "reporter", "organizations",
                          "sectors", "assignee", "modified"};
    char *text;
    kz_err err;

    orgs[n++] = kz_json_str(state, "reporter");
    json_array_foreach(json_object_get(state, "organizations"), i, e)
    {
        if (n < sizeof(orgs) / sizeof(orgs[0]) && json_is_string(e) &&
            strcmp(json_string_value(e), orgs[0]) != 0)
            orgs[n++] = json_string_value(e);
    }
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (json_object_get(state, keys[i]))
            json_object_set(data, keys[i], json_object_get(state, keys[i]));
    }
    text = json_dumps(data, JSON_COMPACT);
    json_decref(data);
    if (!text)
        return KZ_ERR_NOMEM;
    memset(&ev, 0, sizeof(ev));
    ev.type = type;
    ev.subject = kz_json_str(state, "id");
    ev.orgs = orgs;
    ev.n_orgs = n;
    ev.data_json = text;
    err = kz_notify_emit(tx, &ev);
    free(text);
    return err;
}

/* incident.created or incident.updated, and incident.national on escalation, at once. */
static kz_err
notify(struct kz_store_tx *tx, const json_t *prev, const json_t *state)
{
    const char *before = prev ? kz_json_str(prev, "severity") : NULL;
    const char *now = kz_json_str(state, "severity");
    kz_err err = emit(tx, prev ? "incident.updated" : "incident.created", state);

    if (err == KZ_OK && now && strcmp(now, "national") == 0 &&
        (!before || strcmp(before, "national") != 0))
        err = emit(tx, "incident.national", state);
    return err;
}

static kz_err
index_incident(struct kz_store_tx *tx, const struct kz_write_event *ev,
               const struct kz_object_in *o)
{
    struct kz_incident_author who = {ev->caller->org.slug, ev->caller->org.sector,
                                     ev->caller->role == KZ_ROLE_GSOC ||
                                         ev->caller->role == KZ_ROLE_ADMIN};
    struct kz_incident_row prev, row;
    json_t *obj = NULL, *prev_state = NULL, *state = NULL;
    bool have_prev = false;
    kz_err err;

    memset(&prev, 0, sizeof(prev));
    memset(&row, 0, sizeof(row));
    err = kz_store_tx_incident_get(tx, o->id, &prev);
    if (err == KZ_OK)
        have_prev = true;
    else if (err != KZ_ERR_NOTFOUND)
        return err;
    err = KZ_OK;
    /* The index follows the incident's home collection and its newest version. */
    if (have_prev &&
        (strcmp(prev.collection_id, ev->collection->id) != 0 || prev.version_us >= o->version_us))
        goto done;
    /* Besides the centre, only the reporter's own versions reach the index. */
    if (have_prev && !who.triage && strcmp(prev.org, ev->caller->org.slug) != 0)
        goto done;
    obj = json_loadb(o->json, o->json_len, 0, NULL);
    if (have_prev)
        prev_state = json_loads(prev.state, 0, NULL);
    if (!obj || (have_prev && !prev_state) ||
        kz_incident_fold(prev_state, obj, ev->collection->id, &who, o->version_us, &state) !=
            KZ_OK) {
        kz_log(KZ_LOG_WARN, "cannot index incident '%s'", o->id);
        goto done;
    }
    kz_cstr_copy(o->id, row.id, sizeof(row.id));
    kz_cstr_copy(ev->collection->id, row.collection_id, sizeof(row.collection_id));
    kz_cstr_copy(kz_json_str(state, "reporter"), row.org, sizeof(row.org));
    kz_cstr_copy(kz_json_str(state, "status"), row.status, sizeof(row.status));
    kz_cstr_copy(kz_json_str(state, "severity"), row.severity, sizeof(row.severity));
    row.created_us = kz_incident_time(state, "created");
    row.modified_us = o->version_us;
    row.version_us = o->version_us;
    row.state = json_dumps(state, JSON_COMPACT);
    err = kz_store_tx_incident_put(tx, &row);
    if (err == KZ_OK)
        err = notify(tx, prev_state, state);
done:
    kz_incident_row_release(&prev);
    kz_incident_row_release(&row);
    json_decref(obj);
    json_decref(prev_state);
    json_decref(state);
    return err;
}

/* Ties the object to ref when ref is an indexed incident of the same collection. */
static kz_err
tie(struct kz_store_tx *tx, const struct kz_write_event *ev, const struct kz_object_in *o,
    const char *ref, const char *kind)
{
    struct kz_incident_row inc;
    struct kz_incident_ref r;
    kz_err err;

    if (!ref || strncmp(ref, "incident--", 10) != 0)
        return KZ_OK;
    memset(&inc, 0, sizeof(inc));
    err = kz_store_tx_incident_get(tx, ref, &inc);
    if (err == KZ_ERR_NOTFOUND)
        return KZ_OK;
    if (err != KZ_OK)
        return err;
    if (strcmp(inc.collection_id, ev->collection->id) == 0) {
        memset(&r, 0, sizeof(r));
        kz_cstr_copy(ref, r.incident_id, sizeof(r.incident_id));
        kz_cstr_copy(o->id, r.object_id, sizeof(r.object_id));
        kz_cstr_copy(kind, r.kind, sizeof(r.kind));
        kz_cstr_copy(ev->collection->id, r.collection_id, sizeof(r.collection_id));
        r.at_us = o->version_us;
        err = kz_store_tx_incident_ref_put(tx, &r);
    }
    kz_incident_row_release(&inc);
    return err;
}

static kz_err
tie_refs(struct kz_store_tx *tx, const struct kz_write_event *ev, const struct kz_object_in *o)
{
    json_t *obj = json_loadb(o->json, o->json_len, 0, NULL);
    const json_t *e;
    size_t i;
    kz_err err = KZ_OK;

    if (!obj)
        return KZ_OK;
    if (strcmp(o->type, "note") == 0) {
        json_array_foreach(json_object_get(obj, "object_refs"), i, e)
        {
            if (i >= 64 || err != KZ_OK)
                break;
            err = tie(tx, ev, o, json_string_value(e), "note");
        }
    } else {
        err = tie(tx, ev, o, kz_json_str(obj, "source_ref"), "link");
        if (err == KZ_OK)
            err = tie(tx, ev, o, kz_json_str(obj, "target_ref"), "link");
    }
    json_decref(obj);
    return err;
}

kz_err
kz_incident_write_hook(struct kz_hub *hub, struct kz_store_tx *tx, const struct kz_write_event *ev)
{
    kz_err err = KZ_OK;

    (void)hub;
    for (size_t i = 0; err == KZ_OK && i < ev->n; i++) {
        const struct kz_object_in *o = &ev->objs[i];
        if (ev->results[i].outcome != KZ_PUT_ADDED)
            continue;
        if (strcmp(o->type, "incident") == 0)
            err = index_incident(tx, ev, o);
        else if (strcmp(o->type, "note") == 0 || strcmp(o->type, "relationship") == 0)
            err = tie_refs(tx, ev, o);
    }
    return err;
}

struct first_org {
    struct kz_org org;
    bool found;
};

static void
take_first(void *ctx, const struct kz_org *org)
{
    struct first_org *f = ctx;

    if (!f->found || org->created_us < f->org.created_us) {
        f->org = *org;
        f->found = true;
    }
}

kz_err
kz_incident_ensure_extension(struct kz_store *s)
{
    struct first_org centre;
    struct kz_collection pub;
    struct kz_object_in in;
    struct kz_put_result res;
    char *text;
    json_t *o;
    kz_err err;

    memset(&centre, 0, sizeof(centre));
    err = kz_store_org_list(s, take_first, &centre);
    if (err != KZ_OK)
        return err;
    if (!centre.found || kz_store_collection_get(s, "public", &pub) != KZ_OK)
        return KZ_ERR_NOTFOUND;
    o = kz_incident_extension_definition(centre.org.identity_id);
    text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!text)
        return KZ_ERR_NOMEM;
    memset(&in, 0, sizeof(in));
    in.id = KZ_INCIDENT_EXT_ID;
    in.type = "extension-definition";
    in.spec_version = "2.1";
    in.created_by_ref = centre.org.identity_id;
    in.version = "2026-11-01T00:00:00.000Z";
    kz_time_parse(kz_str_from_cstr(in.version), &in.version_us, NULL);
    in.tlp = KZ_TLP_CLEAR;
    in.json = text;
    in.json_len = strlen(text);
    err = kz_store_objects_put(s, pub.id, centre.org.slug, &in, 1, NULL, NULL, &res);
    free(text);
    return err;
}
