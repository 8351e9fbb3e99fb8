/*
 * /api/v1/incidents/{id}/notes, /links and /timeline: what happened around an incident.
 * Notes are STIX notes and links relationships, written through the TAXII write path into
 * the incident's collection; the timeline merges its versions, notes, links, published
 * reports and notifications in time order.
 */
#include "api/incidents_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/time.h"
#include "incident/incident.h"
#include "notify/notify.h"
#include "taxii/taxii.h"
#include "base/banned.h"

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

    if (!kz_api__incident_require(caller, resp) || !(body = kz_api__body(hub, req, resp)))
        return;
    if (!kz_api__incident_load(hub, caller, req->segments[0], &row, &state, resp)) {
        json_decref(body);
        return;
    }
    if (!json_is_object(body) || !kz_api__only_keys(body, keys, 1, resp) ||
        !kz_api__opt_string(body, "content", NOTE_MAX, &content, resp))
        goto done;
    if (!content) {
        kz_http_error(resp, false, 400, "Bad request", "'content' is required");
        goto done;
    }
    if (!incident_collection(hub, &row, &coll, resp))
        goto done;
    obj = kz_api__incident_new_object("note", caller, now, id);
    json_object_set_new(obj, "content", json_string(content));
    json_object_set_new(obj, "authors", json_pack("[s]", caller->org.slug));
    json_object_set_new(obj, "object_refs", json_pack("[s]", row.id));
    if (!kz_api__incident_write_one(hub, caller, &coll, obj, NULL, 0, resp))
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

    if (!kz_api__incident_require(caller, resp) || !(body = kz_api__body(hub, req, resp)))
        return;
    if (!kz_api__incident_load(hub, caller, req->segments[0], &row, &state, resp)) {
        json_decref(body);
        return;
    }
    if (!json_is_object(body) || !kz_api__only_keys(body, keys, 2, resp) ||
        !kz_api__opt_string(body, "target", KZ_STIX_ID_MAX - 1, &target, resp) ||
        !kz_api__opt_string(body, "relationship_type", 64, &rtype, resp))
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
    obj = kz_api__incident_new_object("relationship", caller, now, id);
    json_object_set_new(obj, "relationship_type", json_string(rtype));
    json_object_set_new(obj, "source_ref", json_string(row.id));
    json_object_set_new(obj, "target_ref", json_string(target));
    if (!kz_api__incident_write_one(hub, caller, &coll, obj, NULL, 0, resp))
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
    json_t *o = kz_api__incident_fetch(t->hub, ref->collection_id, ref->object_id, NULL);
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

    if (!kz_api__incident_require(caller, resp) ||
        !kz_api__incident_load(hub, caller, req->segments[0], &row, &state, resp))
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
