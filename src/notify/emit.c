/*
 * The outbox side of notifications: an event becomes one queued delivery per matching
 * subscription, written in the transaction of the write that caused it.
 */
#include "notify/notify.h"

#include <string.h>

#include "base/id.h"
#include "base/log.h"
#include "base/time.h"
#include "base/banned.h"

const char *const kz_notify_event_types[] = {
    "alert.created",
    "alert.updated",
    "incident.created",
    "incident.updated",
    "incident.national",
    "object.added",
    NULL,
};

bool
kz_notify_event_valid(const char *type)
{
    if (type == NULL)
        return false;
    for (size_t i = 0; kz_notify_event_types[i]; i++) {
        if (strcmp(kz_notify_event_types[i], type) == 0)
            return true;
    }
    return false;
}

const char *
kz_delivery_state_name(enum kz_delivery_state st)
{
    switch (st) {
    case KZ_DELIVERY_QUEUED:
        return "queued";
    case KZ_DELIVERY_DELIVERED:
        return "delivered";
    case KZ_DELIVERY_DEAD:
        return "dead";
    }
    return "unknown";
}

struct emit_ctx {
    struct kz_store_tx *tx;
    const struct kz_notify_event *ev;
    const char *data;
    int64_t now_us;
    kz_err err;
    size_t queued;
};

static bool
org_listed(const struct kz_notify_event *ev, const char *org)
{
    for (size_t i = 0; i < ev->n_orgs; i++) {
        if (ev->orgs[i] && strcmp(ev->orgs[i], org) == 0)
            return true;
    }
    return false;
}

/* Fills a queued delivery of an event to a subscription. */
static kz_err
delivery_make(const struct kz_webhook *w, const char *type, const char *subject, int64_t now_us,
              struct kz_delivery *d)
{
    memset(d, 0, sizeof(*d));
    kz_uuid_v4(d->id);
    memcpy(d->subscription_id, w->id, sizeof(d->subscription_id));
    memcpy(d->org, w->org, sizeof(d->org));
    memcpy(d->url, w->url, sizeof(d->url));
    if (kz_cstr_copy(type, d->event, sizeof(d->event)) != KZ_OK ||
        kz_cstr_copy(subject ? subject : "", d->subject, sizeof(d->subject)) != KZ_OK)
        return KZ_ERR_INVALID;
    d->state = KZ_DELIVERY_QUEUED;
    d->created_us = now_us;
    d->next_us = now_us;
    return KZ_OK;
}

/* Does the subscription receive the event? */
static bool
subscribed(const struct kz_notify_event *ev, const struct kz_webhook *w)
{
    return strcmp(ev->type, "incident.national") == 0 ? w->national : org_listed(ev, w->org);
}

static void
emit_one(void *ctx, const struct kz_webhook *w, const struct kz_org *org)
{
    struct emit_ctx *e = ctx;
    struct kz_delivery d;

    (void)org;
    if (e->err != KZ_OK || !subscribed(e->ev, w))
        return;
    e->err = delivery_make(w, e->ev->type, e->ev->subject, e->now_us, &d);
    if (e->err == KZ_OK)
        e->err = kz_store_tx_delivery_add(e->tx, &d, e->data);
    if (e->err == KZ_OK)
        e->queued++;
}

/* True when text is a serialised JSON object. */
static bool
is_json_object(const char *text)
{
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    bool ok = json_is_object(j);

    json_decref(j);
    return ok;
}

kz_err
kz_notify_emit(struct kz_store_tx *tx, const struct kz_notify_event *ev)
{
    struct emit_ctx e;
    kz_err err;

    if (tx == NULL || ev == NULL || !kz_notify_event_valid(ev->type) ||
        (ev->n_orgs && ev->orgs == NULL))
        return KZ_ERR_INVALID;
    if (ev->data_json && !is_json_object(ev->data_json))
        return KZ_ERR_INVALID;
    e = (struct emit_ctx){tx, ev, ev->data_json ? ev->data_json : "{}", kz_time_now_us(), KZ_OK, 0};
    err = kz_store_tx_webhooks_for(tx, ev->type, ev->collection_id, emit_one, &e);
    if (err == KZ_OK)
        err = e.err;
    if (err == KZ_OK && e.queued)
        kz_log(KZ_LOG_DEBUG, "notification queued event=%s subject='%s' deliveries=%zu", ev->type,
               ev->subject ? ev->subject : "", e.queued);
    return err;
}

struct wanted_ctx {
    const struct kz_notify_event *ev;
    bool wanted;
};

static void
wanted_one(void *ctx, const struct kz_webhook *w, const struct kz_org *org)
{
    struct wanted_ctx *x = ctx;

    (void)org;
    x->wanted = x->wanted || subscribed(x->ev, w);
}

kz_err
kz_notify_wanted(struct kz_store_tx *tx, const struct kz_notify_event *ev, bool *wanted)
{
    struct wanted_ctx x = {ev, false};
    kz_err err;

    *wanted = false;
    if (tx == NULL || ev == NULL || !kz_notify_event_valid(ev->type) ||
        (ev->n_orgs && ev->orgs == NULL))
        return KZ_ERR_INVALID;
    err = kz_store_tx_webhooks_for(tx, ev->type, ev->collection_id, wanted_one, &x);
    if (err == KZ_OK)
        *wanted = x.wanted;
    return err;
}

struct for_ctx {
    void (*fn)(void *ctx, const struct kz_delivery *d);
    void *ctx;
};

static void
for_one(void *ctx, const struct kz_delivery *d, const struct kz_delivery_extra *x)
{
    struct for_ctx *f = ctx;

    (void)x;
    f->fn(f->ctx, d);
}

kz_err
kz_notify_deliveries_for(struct kz_store *s, const char *subject,
                         void (*fn)(void *ctx, const struct kz_delivery *d), void *ctx)
{
    struct kz_delivery_query q = {.subject = subject};
    struct for_ctx f = {fn, ctx};

    if (subject == NULL || fn == NULL)
        return KZ_ERR_INVALID;
    return kz_store_deliveries_list(s, &q, for_one, &f);
}
