/* /api/v1/webhooks: an organisation's webhook subscriptions and their delivery logs. */
#include "api/api_int.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "base/str.h"
#include "base/time.h"
#include "notify/notify.h"
#include "base/banned.h"

#define DELIVERIES_DEFAULT 100
#define DELIVERIES_MAX 1000

/* Fills w's events from a JSON array of strings. */
static bool
events_from_json(const json_t *a, struct kz_webhook *w, char *why, size_t whylen)
{
    const json_t *e;
    size_t i, n = 0;

    if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > 16) {
        snprintf(why, whylen, "'events' must be a non-empty array of event types");
        return false;
    }
    w->events[0] = '\0';
    json_array_foreach(a, i, e) {
        const char *s = json_string_value(e);
        int k;
        if (!s || !kz_notify_event_valid(s)) {
            snprintf(why, whylen,
                     "unknown event %s%.40s%s (alert.created, alert.updated, incident.created, "
                     "incident.updated, incident.national, object.added)",
                     s ? "'" : "", s ? s : "(not a string)", s ? "'" : "");
            return false;
        }
        k = snprintf(w->events + n, sizeof(w->events) - n, "%s%s", n ? " " : "", s);
        if (k < 0 || (size_t)k >= sizeof(w->events) - n) {
            snprintf(why, whylen, "'events' is too long");
            return false;
        }
        n += (size_t)k;
    }
    return true;
}

/* Reads the POST body into w; answers the error and returns false when it cannot. */
static bool
subscription_from_json(struct kz_hub *hub, const struct kz_caller *caller, const json_t *body,
                       struct kz_webhook *w, struct kz_http_response *resp)
{
    static const char *const known[] = {"url", "events", "collection", "national", NULL};
    const json_t *url = json_object_get(body, "url"), *coll = json_object_get(body, "collection"),
                 *national = json_object_get(body, "national");
    char why[512] = "";
    const char *key;
    const json_t *v;

    if (!json_is_object(body)) {
        kz_http_error(resp, false, 400, "Bad request", "the body must be a JSON object");
        return false;
    }
    json_object_foreach(kz_json_mut(body), key, v) {
        size_t i;
        for (i = 0; known[i] && strcmp(known[i], key) != 0; i++)
            ;
        if (!known[i]) {
            kz_http_error(resp, false, 400, "Bad request", "unknown field '%.64s'", key);
            return false;
        }
    }
    memset(w, 0, sizeof(*w));
    if (!json_is_string(url) ||
        kz_cstr_copy(json_string_value(url), w->url, sizeof(w->url)) != KZ_OK) {
        kz_http_error(resp, false, 400, "Bad request",
                      "'url' is required: a string of at most %d bytes", KZ_NOTIFY_URL_MAX);
        return false;
    }
    if (!events_from_json(json_object_get(body, "events"), w, why, sizeof(why))) {
        kz_http_error(resp, false, 400, "Bad request", "%s", why);
        return false;
    }
    if (national && !json_is_boolean(national)) {
        kz_http_error(resp, false, 400, "Bad request", "'national' must be true or false");
        return false;
    }
    w->national = json_is_true(national);
    if (w->national && caller->role != KZ_ROLE_ADMIN && caller->role != KZ_ROLE_GSOC) {
        kz_http_error(resp, false, 403, "Forbidden",
                      "only an admin or gsoc key subscribes national-level contacts");
        return false;
    }
    if (coll && !json_is_null(coll)) {
        struct kz_collection c;
        if (!json_is_string(coll) ||
            kz_store_collection_get(hub->store, json_string_value(coll), &c) != KZ_OK ||
            !(caller->role == KZ_ROLE_ADMIN || kz_policy_can_read(caller, &c))) {
            kz_http_error(resp, false, 400, "Bad request",
                          "'collection' must name a collection you may read (id or alias)");
            return false;
        }
        memcpy(w->collection_id, c.id, sizeof(w->collection_id));
    }
    memcpy(w->org, caller->org.slug, sizeof(w->org));
    snprintf(w->role, sizeof(w->role), "%s", kz_role_name(caller->role));
    return true;
}

KZ_API_HANDLER(kz_api_webhooks_add)
{
    struct kz_webhook w;
    char why[512] = "";
    json_t *body;
    kz_err err;

    if (!kz_api__require(caller, false, resp))
        return;
    if (caller->role == KZ_ROLE_SENSOR) {
        kz_http_error(resp, false, 403, "Forbidden", "a sensor key cannot subscribe to webhooks");
        return;
    }
    if (!(body = kz_api__body(hub, req, resp)))
        return;
    if (!subscription_from_json(hub, caller, body, &w, resp)) {
        json_decref(body);
        return;
    }
    json_decref(body);
    err = kz_notify_subscribe(hub->store, &w, why, sizeof(why));
    if (err != KZ_OK) {
        kz_api__admin_error(resp, err, why);
        return;
    }
    /* The secret is shown once, here; the hub keeps it to sign deliveries. */
    kz_http_json(resp, 201, KZ_MEDIA_JSON, kz_notify_webhook_json(&w, true));
    sodium_memzero(w.secret, sizeof(w.secret));
}

struct hook_list {
    json_t *list;
};

static void
append_webhook(void *ctx, const struct kz_webhook *w)
{
    json_array_append_new(((struct hook_list *)ctx)->list, kz_notify_webhook_json(w, false));
}

KZ_API_HANDLER(kz_api_webhooks_list)
{
    struct hook_list hl = {json_array()};

    (void)req;
    if (!kz_api__require(caller, false, resp)) {
        json_decref(hl.list);
        return;
    }
    if (kz_store_webhook_list(hub->store, caller->role == KZ_ROLE_ADMIN ? NULL : caller->org.slug,
                              append_webhook, &hl) != KZ_OK) {
        json_decref(hl.list);
        kz_http_error(resp, false, 500, "Internal error", "cannot list webhooks");
        return;
    }
    kz_http_json(resp, 200, KZ_MEDIA_JSON, json_pack("{s:o}", "webhooks", hl.list));
}

/* The subscription named by the path, when the caller may see it (own org, or admin). */
static bool
own_webhook(struct kz_hub *hub, const struct kz_http_request *req, const struct kz_caller *caller,
            struct kz_webhook *w, struct kz_http_response *resp)
{
    if (!kz_api__require(caller, false, resp))
        return false;
    if (kz_store_webhook_get(hub->store, req->segments[0], w) != KZ_OK ||
        (caller->role != KZ_ROLE_ADMIN && strcmp(w->org, caller->org.slug) != 0)) {
        kz_http_error(resp, false, 404, "Not found", "no webhook '%.64s'", req->segments[0]);
        return false;
    }
    return true;
}

KZ_API_HANDLER(kz_api_webhook_get)
{
    struct kz_webhook w;

    if (!own_webhook(hub, req, caller, &w, resp))
        return;
    kz_http_json(resp, 200, KZ_MEDIA_JSON, kz_notify_webhook_json(&w, false));
    sodium_memzero(w.secret, sizeof(w.secret));
}

KZ_API_HANDLER(kz_api_webhook_delete)
{
    struct kz_webhook w;
    json_t *j;

    if (!own_webhook(hub, req, caller, &w, resp))
        return;
    sodium_memzero(w.secret, sizeof(w.secret));
    if (kz_store_webhook_delete(hub->store, w.id, kz_time_now_us()) != KZ_OK) {
        kz_http_error(resp, false, 404, "Not found", "no webhook '%.64s'", req->segments[0]);
        return;
    }
    j = kz_notify_webhook_json(&w, false);
    json_object_set_new(j, "deleted", json_true());
    kz_http_json(resp, 200, KZ_MEDIA_JSON, j);
}

static void
append_delivery(void *ctx, const struct kz_delivery *d, const struct kz_delivery_extra *x)
{
    json_array_append_new(ctx, kz_notify_delivery_json(d, x));
}

KZ_API_HANDLER(kz_api_webhook_deliveries)
{
    struct kz_delivery_query q;
    const char *limit = kz_http_param(req, "limit");
    struct kz_webhook w;
    uint64_t n = DELIVERIES_DEFAULT;
    json_t *list;

    if (!own_webhook(hub, req, caller, &w, resp))
        return;
    sodium_memzero(w.secret, sizeof(w.secret));
    if (limit && kz_str_to_u64(kz_str_from_cstr(limit), 1, DELIVERIES_MAX, &n) != KZ_OK) {
        kz_http_error(resp, false, 400, "Bad request", "'limit' must be from 1 to %d",
                      DELIVERIES_MAX);
        return;
    }
    memset(&q, 0, sizeof(q));
    q.subscription_id = w.id;
    q.newest_first = true;
    q.limit = (size_t)n;
    list = json_array();
    if (kz_store_deliveries_list(hub->store, &q, append_delivery, list) != KZ_OK) {
        json_decref(list);
        kz_http_error(resp, false, 500, "Internal error", "cannot read the delivery log");
        return;
    }
    kz_http_json(resp, 200, KZ_MEDIA_JSON, json_pack("{s:s, s:o}", "webhook", w.id, "deliveries",
                                                     list));
}
