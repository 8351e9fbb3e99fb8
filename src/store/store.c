/*
 * The storage interface: kz_store_open picks a backend by the URL scheme from a table,
 * and every other public function forwards to the backend's operations.
 */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "store/store_int.h"
#include "base/banned.h"

static const struct kz_store_ops *const backends[] = {
    &kz_store__sqlite_ops,
    NULL,
};

kz_err
kz_store_open(const char *url, struct kz_store **out)
{
    const char *colon;
    size_t n;

    if (url == NULL || (colon = strchr(url, ':')) == NULL)
        return KZ_ERR_INVALID;
    n = (size_t)(colon - url);
    for (size_t i = 0; backends[i]; i++) {
        if (strlen(backends[i]->scheme) == n && memcmp(backends[i]->scheme, url, n) == 0)
            return backends[i]->open(colon + 1, out);
    }
    kz_log(KZ_LOG_ERROR, "unknown database scheme url='%.*s'", (int)n, url);
    return KZ_ERR_INVALID;
}

void
kz_store_close(struct kz_store *s)
{
    if (s)
        s->ops->close(s);
}

int
kz_store_schema_version(struct kz_store *s)
{
    return s->ops->schema_version(s);
}

kz_err
kz_store_integrity_check(struct kz_store *s, char *why, size_t whylen)
{
    return s->ops->integrity_check(s, why, whylen);
}

kz_err
kz_store_sector_add(struct kz_store *s, const char *name)
{
    return s->ops->sector_add(s, name);
}

bool
kz_store_sector_exists(struct kz_store *s, const char *name)
{
    return s->ops->sector_exists(s, name);
}

kz_err
kz_store_sector_list(struct kz_store *s, void (*fn)(void *ctx, const char *name), void *ctx)
{
    return s->ops->sector_list(s, fn, ctx);
}

kz_err
kz_store_org_add(struct kz_store *s, const struct kz_org *org)
{
    return s->ops->org_add(s, org);
}

kz_err
kz_store_org_get(struct kz_store *s, const char *slug, struct kz_org *out)
{
    return s->ops->org_get(s, slug, out);
}

kz_err
kz_store_org_list(struct kz_store *s, void (*fn)(void *ctx, const struct kz_org *org), void *ctx)
{
    return s->ops->org_list(s, fn, ctx);
}

kz_err
kz_store_org_by_identity(struct kz_store *s, const char *identity_id, struct kz_org *out)
{
    return s->ops->org_by_identity(s, identity_id, out);
}

kz_err
kz_store_key_add(struct kz_store *s, const struct kz_key *key)
{
    return s->ops->key_add(s, key);
}

kz_err
kz_store_key_get(struct kz_store *s, const char *id, struct kz_key *out)
{
    return s->ops->key_get(s, id, out);
}

kz_err
kz_store_key_list(struct kz_store *s, void (*fn)(void *ctx, const struct kz_key *key), void *ctx)
{
    return s->ops->key_list(s, fn, ctx);
}

kz_err
kz_store_key_revoke(struct kz_store *s, const char *id, int64_t now_us)
{
    return s->ops->key_revoke(s, id, now_us);
}

kz_err
kz_store_collection_add(struct kz_store *s, const struct kz_collection *c)
{
    return s->ops->collection_add(s, c);
}

kz_err
kz_store_collection_get(struct kz_store *s, const char *id_or_alias, struct kz_collection *out)
{
    return s->ops->collection_get(s, id_or_alias, out);
}

kz_err
kz_store_collection_list(struct kz_store *s, void (*fn)(void *ctx, const struct kz_collection *c),
                         void *ctx)
{
    return s->ops->collection_list(s, fn, ctx);
}

kz_err
kz_store_read_begin(struct kz_store *s)
{
    return s->ops->read_begin(s);
}

void
kz_store_read_end(struct kz_store *s)
{
    s->ops->read_end(s);
}

kz_err
kz_store_transaction(struct kz_store *s, kz_store_tx_fn fn, void *ctx)
{
    return s->ops->transaction(s, fn, ctx);
}

kz_err
kz_store_tx_objects_put(struct kz_store_tx *tx, const char *collection_id, const char *org,
                        const struct kz_object_in *objs, size_t n, kz_store_check_fn check,
                        void *check_ctx, struct kz_put_result *results)
{
    return tx->store->ops->tx_objects_put(tx, collection_id, org, objs, n, check, check_ctx,
                                          results);
}

struct put_args {
    const char *collection_id;
    const char *org;
    const struct kz_object_in *objs;
    size_t n;
    kz_store_check_fn check;
    void *check_ctx;
    struct kz_put_result *results;
};

static kz_err
put_in_tx(void *ctx, struct kz_store_tx *tx)
{
    const struct put_args *a = ctx;

    return kz_store_tx_objects_put(tx, a->collection_id, a->org, a->objs, a->n, a->check,
                                   a->check_ctx, a->results);
}

kz_err
kz_store_objects_put(struct kz_store *s, const char *collection_id, const char *org,
                     const struct kz_object_in *objs, size_t n, kz_store_check_fn check,
                     void *check_ctx, struct kz_put_result *results)
{
    struct put_args a = {collection_id, org, objs, n, check, check_ctx, results};

    if (collection_id == NULL || (n > 0 && (objs == NULL || results == NULL)))
        return KZ_ERR_INVALID;
    if (n == 0)
        return KZ_OK;
    return kz_store_transaction(s, put_in_tx, &a);
}

kz_err
kz_store_objects_query(struct kz_store *s, const struct kz_object_query *q,
                       struct kz_object_page *out)
{
    return s->ops->objects_query(s, q, out);
}

void
kz_object_page_release(struct kz_object_page *page)
{
    if (page == NULL)
        return;
    free(page->rows);
    free(page->json);
    page->rows = NULL;
    page->json = NULL;
    page->n = 0;
    page->more = false;
}

kz_err
kz_store_objects_delete(struct kz_store *s, const struct kz_object_query *q, size_t *deleted)
{
    return s->ops->objects_delete(s, q, deleted);
}

kz_err
kz_store_objects_count(struct kz_store *s, const char *collection_id, uint64_t *out)
{
    return s->ops->objects_count(s, collection_id, out);
}

kz_err
kz_store_tx_status_put(struct kz_store_tx *tx, const struct kz_status *st)
{
    return tx->store->ops->tx_status_put(tx, st);
}

struct status_args {
    const struct kz_status *st;
};

static kz_err
status_put_in_tx(void *ctx, struct kz_store_tx *tx)
{
    const struct status_args *a = ctx;

    return kz_store_tx_status_put(tx, a->st);
}

kz_err
kz_store_status_put(struct kz_store *s, const struct kz_status *st)
{
    struct status_args a = {st};

    return kz_store_transaction(s, status_put_in_tx, &a);
}

kz_err
kz_store_status_get(struct kz_store *s, const char *id, struct kz_status *out)
{
    return s->ops->status_get(s, id, out);
}

void
kz_status_release(struct kz_status *st)
{
    if (st == NULL)
        return;
    free(st->entries);
    st->entries = NULL;
    st->n = 0;
}

void
kz_incident_row_release(struct kz_incident_row *row)
{
    if (row == NULL)
        return;
    free(row->state);
    row->state = NULL;
}

kz_err
kz_store_tx_incident_put(struct kz_store_tx *tx, const struct kz_incident_row *row)
{
    return tx->store->ops->tx_incident_put(tx, row);
}

kz_err
kz_store_tx_incident_get(struct kz_store_tx *tx, const char *id, struct kz_incident_row *out)
{
    return tx->store->ops->tx_incident_get(tx, id, out);
}

kz_err
kz_store_incident_get(struct kz_store *s, const char *id, struct kz_incident_row *out)
{
    return s->ops->incident_get(s, id, out);
}

kz_err
kz_store_incident_list(struct kz_store *s, const struct kz_incident_filter *f,
                       void (*fn)(void *ctx, const struct kz_incident_row *row), void *ctx,
                       bool *more)
{
    if (f == NULL || f->limit == 0)
        return KZ_ERR_INVALID;
    return s->ops->incident_list(s, f, fn, ctx, more);
}

kz_err
kz_store_tx_incident_ref_put(struct kz_store_tx *tx, const struct kz_incident_ref *ref)
{
    return tx->store->ops->tx_incident_ref_put(tx, ref);
}

kz_err
kz_store_incident_refs(struct kz_store *s, const char *incident_id,
                       void (*fn)(void *ctx, const struct kz_incident_ref *ref), void *ctx)
{
    return s->ops->incident_refs(s, incident_id, fn, ctx);
}

kz_err
kz_store_webhook_add(struct kz_store *s, const struct kz_webhook *w)
{
    return s->ops->webhook_add(s, w);
}

kz_err
kz_store_webhook_get(struct kz_store *s, const char *id, struct kz_webhook *out)
{
    return s->ops->webhook_get(s, id, out);
}

kz_err
kz_store_webhook_list(struct kz_store *s, const char *org,
                      void (*fn)(void *ctx, const struct kz_webhook *w), void *ctx)
{
    return s->ops->webhook_list(s, org, fn, ctx);
}

kz_err
kz_store_webhook_delete(struct kz_store *s, const char *id, int64_t now_us)
{
    return s->ops->webhook_delete(s, id, now_us);
}

kz_err
kz_store_tx_webhooks_for(struct kz_store_tx *tx, const char *event, const char *collection_id,
                         void (*fn)(void *ctx, const struct kz_webhook *w,
                                    const struct kz_org *org),
                         void *ctx)
{
    return tx->store->ops->tx_webhooks_for(tx, event, collection_id, fn, ctx);
}

kz_err
kz_store_tx_delivery_add(struct kz_store_tx *tx, const struct kz_delivery *d,
                         const char *data_json)
{
    return tx->store->ops->tx_delivery_add(tx, d, data_json);
}

kz_err
kz_store_deliveries_list(struct kz_store *s, const struct kz_delivery_query *q,
                         kz_delivery_fn fn, void *ctx)
{
    return s->ops->deliveries_list(s, q, fn, ctx);
}

kz_err
kz_store_deliveries_due(struct kz_store *s, int64_t now_us, size_t limit,
                        size_t per_subscription, kz_delivery_fn fn, void *ctx)
{
    return s->ops->deliveries_due(s, now_us, limit, per_subscription, fn, ctx);
}

kz_err
kz_store_delivery_attempts(struct kz_store *s, const struct kz_delivery_attempt *a, size_t n,
                           size_t *applied)
{
    return s->ops->delivery_attempts(s, a, n, applied);
}

kz_err
kz_store_deliveries_prune(struct kz_store *s, int64_t before_us, size_t limit, size_t *deleted)
{
    return s->ops->deliveries_prune(s, before_us, limit, deleted);
}

kz_err
kz_store_delivery_requeue(struct kz_store *s, const char *subscription_id, const char *id,
                          int64_t now_us)
{
    return s->ops->delivery_requeue(s, subscription_id, id, now_us);
}

kz_err
kz_store_corr_load(struct kz_store *s, const int64_t *window_us, size_t n, uint64_t *rows)
{
    return s->ops->corr_load(s, window_us, n, rows);
}

kz_err
kz_store_tx_corr_add(struct kz_store_tx *tx, const struct kz_corr_sighting *sg)
{
    return tx->store->ops->tx_corr_add(tx, sg);
}

kz_err
kz_store_tx_corr_members(struct kz_store_tx *tx, const char *indicator, int64_t window_us,
                         int64_t bucket_us, kz_corr_member_fn fn, void *ctx)
{
    return tx->store->ops->tx_corr_members(tx, indicator, window_us, bucket_us, fn, ctx);
}

kz_err
kz_store_tx_alert_open(struct kz_store_tx *tx, const struct kz_alert *a, bool *created)
{
    return tx->store->ops->tx_alert_open(tx, a, created);
}

kz_err
kz_store_tx_alert_get(struct kz_store_tx *tx, const char *id, struct kz_alert *out)
{
    return tx->store->ops->tx_alert_get(tx, id, out);
}

kz_err
kz_store_tx_alert_change(struct kz_store_tx *tx, const struct kz_alert_event *ev)
{
    return tx->store->ops->tx_alert_change(tx, ev);
}

kz_err
kz_store_tx_alert_history_add(struct kz_store_tx *tx, const struct kz_alert_event *ev)
{
    return tx->store->ops->tx_alert_history_add(tx, ev);
}

kz_err
kz_store_alert_get(struct kz_store *s, const char *id, struct kz_alert *out)
{
    return s->ops->alert_get(s, id, out);
}

kz_err
kz_store_alert_list(struct kz_store *s, const struct kz_alert_query *q,
                    void (*fn)(void *ctx, const struct kz_alert *a), void *ctx, bool *more)
{
    return s->ops->alert_list(s, q, fn, ctx, more);
}

kz_err
kz_store_alert_members(struct kz_store *s, const struct kz_alert *a, kz_corr_member_fn fn,
                       void *ctx)
{
    return s->ops->alert_members(s, a, fn, ctx);
}

kz_err
kz_store_alert_history(struct kz_store *s, const char *id,
                       void (*fn)(void *ctx, const struct kz_alert_event *ev), void *ctx)
{
    return s->ops->alert_history(s, id, fn, ctx);
}
