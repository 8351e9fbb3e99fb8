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
#define DELIVERIES_MAX     1000

/* Reads the POST body into w; answers the error and returns false when it cannot. */
static bool
subscription_from_json(struct kz_hub *hub, const struct kz_caller *caller, const json_t *body,
                       struct kz_webhook *w, struct kz_http_response *resp)
{
    const char *coll = NULL;
    char why[512] = "";

    if (kz_notify_request_parse(body, w, &coll, why, sizeof(why)) != KZ_OK) {
        kz_http_error(resp, false, 400, "Bad request", "%s", why);
        return false;
    }
    if (w->national && caller->role != KZ_ROLE_ADMIN && caller->role != KZ_ROLE_GSOC) {
        kz_http_error(resp, false, 403, "Forbidden",
                      "only an admin or gsoc key subscribes national-level contacts");
        return false;
    }
    if (coll) {
        struct kz_collection c;
        if (kz_store_collection_get(hub->store, coll, &c) != KZ_OK ||
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
    kz_http_json(resp, 200, KZ_MEDIA_JSON,
                 json_pack("{s:s, s:o}", "webhook", w.id, "deliveries", list));
}

struct one_delivery {
    const char *id;
    json_t *j;
};

static void
find_delivery(void *ctx, const struct kz_delivery *d, const struct kz_delivery_extra *x)
{
    struct one_delivery *o = ctx;

    if (o->j == NULL && strcmp(d->id, o->id) == 0)
        o->j = kz_notify_delivery_json(d, x);
}

KZ_API_HANDLER(kz_api_webhook_delivery_retry)
{
    struct kz_delivery_query q;
    struct one_delivery o = {req->segments[1], NULL};
    struct kz_webhook w;
    kz_err err;

    if (!own_webhook(hub, req, caller, &w, resp))
        return;
    sodium_memzero(w.secret, sizeof(w.secret));
    err = kz_store_delivery_requeue(hub->store, w.id, req->segments[1], kz_time_now_us());
    if (err == KZ_ERR_NOTFOUND) {
        kz_http_error(resp, false, 404, "Not found", "webhook '%.64s' has no delivery '%.64s'",
                      w.id, req->segments[1]);
        return;
    }
    if (err == KZ_ERR_CONFLICT) {
        kz_http_error(resp, false, 409, "Conflict",
                      "only a dead delivery is sent again; this one is queued or delivered");
        return;
    }
    memset(&q, 0, sizeof(q));
    q.subscription_id = w.id;
    q.newest_first = true;
    if (err == KZ_OK)
        err = kz_store_deliveries_list(hub->store, &q, find_delivery, &o);
    if (err != KZ_OK || o.j == NULL) {
        json_decref(o.j);
        kz_http_error(resp, false, 500, "Internal error", "cannot queue the delivery again");
        return;
    }
    kz_http_json(resp, 200, KZ_MEDIA_JSON, o.j);
}
