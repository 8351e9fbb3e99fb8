/*
 * object.added: the hub's write hook that queues a notification for each object a TAXII
 * write added, to the subscriptions on that collection whose organisation may read it.
 * The data names the object ({"collection", "id", "type", "version"}); receivers fetch it
 * over TAXII with their own key, so the notification never widens who sees what.
 */
#include "notify/notify.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/id.h"
#include "base/time.h"
#include "http/http.h"
#include "policy/policy.h"
#include "base/banned.h"

struct reader {
    struct kz_webhook w;
    bool can_read;
    enum kz_tlp max_tlp;
};

struct readers {
    const struct kz_collection *coll;
    struct reader *v;
    size_t n, cap;
};

/* Keeps a subscription with what its organisation may read in the collection. */
static void
collect(void *ctx, const struct kz_webhook *w, const struct kz_org *org)
{
    struct readers *r = ctx;
    struct kz_caller caller;
    struct reader *x;

    memset(&caller, 0, sizeof(caller));
    caller.authenticated = true;
    caller.org = *org;
    /* The subscription reads as the key that created it did (gsoc reads every collection). */
    if (kz_role_parse(kz_str_from_cstr(w->role), &caller.role) != KZ_OK)
        caller.role = KZ_ROLE_MEMBER;
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 4;
        r->v = kz_xrealloc(r->v, r->cap * sizeof(*r->v));
    }
    x = &r->v[r->n++];
    x->w = *w;
    x->can_read = kz_policy_can_read(&caller, r->coll);
    x->max_tlp = kz_policy_read_max_tlp(&caller, r->coll);
}

/* {"collection", "collection_alias", "id", "type", "version"} of an added object. */
static char *
object_data(const struct kz_collection *coll, const struct kz_object_in *o,
            const struct kz_put_result *r)
{
    char version[KZ_TIME_TEXT_MAX];
    json_t *j;
    char *text;

    if (o->version)
        snprintf(version, sizeof(version), "%s", o->version);
    else
        kz_time_format_us(r->date_added_us, version);
    j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "collection", coll->id, "collection_alias",
                  coll->alias, "id", o->id, "type", o->type, "version", version, "tlp",
                  kz_tlp_name(o->tlp));
    text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return text;
}

kz_err
kz_notify_write_hook(struct kz_hub *hub, struct kz_store_tx *tx, const struct kz_write_event *ev)
{
    struct readers r = {ev->collection, NULL, 0, 0};
    int64_t now = kz_time_now_us();
    bool any = false;
    kz_err err;

    (void)hub;
    for (size_t i = 0; i < ev->n && !any; i++)
        any = ev->results[i].outcome == KZ_PUT_ADDED;
    if (!any)
        return KZ_OK;
    err = kz_store_tx_webhooks_for(tx, "object.added", ev->collection->id, collect, &r);
    for (size_t i = 0; err == KZ_OK && i < ev->n && r.n; i++) {
        const struct kz_object_in *o = &ev->objs[i];
        char *data = NULL;
        if (ev->results[i].outcome != KZ_PUT_ADDED)
            continue;
        for (size_t k = 0; err == KZ_OK && k < r.n; k++) {
            struct kz_delivery d;
            if (!r.v[k].can_read || o->tlp > r.v[k].max_tlp)
                continue;
            if (data == NULL && (data = object_data(ev->collection, o, &ev->results[i])) == NULL)
                err = KZ_ERR_NOMEM;
            if (err != KZ_OK)
                break;
            memset(&d, 0, sizeof(d));
            kz_uuid_v4(d.id);
            memcpy(d.subscription_id, r.v[k].w.id, sizeof(d.subscription_id));
            memcpy(d.org, r.v[k].w.org, sizeof(d.org));
            memcpy(d.url, r.v[k].w.url, sizeof(d.url));
            snprintf(d.event, sizeof(d.event), "object.added");
            snprintf(d.subject, sizeof(d.subject), "%s", o->id);
            d.created_us = d.next_us = now;
            err = kz_store_tx_delivery_add(tx, &d, data);
        }
        free(data);
    }
    for (size_t k = 0; k < r.n; k++)
        sodium_memzero(r.v[k].w.secret, sizeof(r.v[k].w.secret));
    free(r.v);
    return err;
}
