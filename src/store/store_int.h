/*
 * Inside the storage component: the table of operations that each backend fills (after
 * SQLite's sqlite3_vfs) and the registry of backends by URL scheme. The public functions
 * of store.h are thin wrappers that call s->ops.
 */
#ifndef KZ_STORE_STORE_INT_H
#define KZ_STORE_STORE_INT_H

#include "store/store.h"

struct kz_store_ops {
    const char *scheme; /* the URL scheme before ':', e.g. "sqlite" */
    /* rest is the URL after "scheme:"; the backend allocates a struct that starts with
     * struct kz_store and sets its ops field. */
    kz_err (*open)(const char *rest, struct kz_store **out);
    void (*close)(struct kz_store *s);
    int (*schema_version)(struct kz_store *s);
    kz_err (*integrity_check)(struct kz_store *s, char *why, size_t whylen);

    kz_err (*sector_add)(struct kz_store *s, const char *name);
    bool (*sector_exists)(struct kz_store *s, const char *name);
    kz_err (*sector_list)(struct kz_store *s, void (*fn)(void *ctx, const char *name), void *ctx);

    kz_err (*org_add)(struct kz_store *s, const struct kz_org *org);
    kz_err (*org_get)(struct kz_store *s, const char *slug, struct kz_org *out);
    kz_err (*org_list)(struct kz_store *s, void (*fn)(void *ctx, const struct kz_org *org),
                       void *ctx);
    kz_err (*org_by_identity)(struct kz_store *s, const char *identity_id, struct kz_org *out);

    kz_err (*key_add)(struct kz_store *s, const struct kz_key *key);
    kz_err (*key_get)(struct kz_store *s, const char *id, struct kz_key *out);
    kz_err (*key_list)(struct kz_store *s, void (*fn)(void *ctx, const struct kz_key *key),
                       void *ctx);
    kz_err (*key_revoke)(struct kz_store *s, const char *id, int64_t now_us);

    kz_err (*collection_add)(struct kz_store *s, const struct kz_collection *c);
    kz_err (*collection_get)(struct kz_store *s, const char *id_or_alias,
                             struct kz_collection *out);
    kz_err (*collection_list)(struct kz_store *s,
                              void (*fn)(void *ctx, const struct kz_collection *c), void *ctx);

    kz_err (*transaction)(struct kz_store *s, kz_store_tx_fn fn, void *ctx);
    kz_err (*read_begin)(struct kz_store *s);
    void (*read_end)(struct kz_store *s);
    kz_err (*tx_objects_put)(struct kz_store_tx *tx, const char *collection_id, const char *org,
                             const struct kz_object_in *objs, size_t n, kz_store_check_fn check,
                             void *check_ctx, struct kz_put_result *results);
    kz_err (*objects_query)(struct kz_store *s, const struct kz_object_query *q,
                            struct kz_object_page *out);
    kz_err (*objects_delete)(struct kz_store *s, const struct kz_object_query *q, size_t *deleted);
    kz_err (*objects_count)(struct kz_store *s, const char *collection_id, uint64_t *out);

    kz_err (*tx_status_put)(struct kz_store_tx *tx, const struct kz_status *st);
    kz_err (*status_get)(struct kz_store *s, const char *id, struct kz_status *out);

    kz_err (*tx_incident_put)(struct kz_store_tx *tx, const struct kz_incident_row *row);
    kz_err (*tx_incident_get)(struct kz_store_tx *tx, const char *id, struct kz_incident_row *out);
    kz_err (*incident_get)(struct kz_store *s, const char *id, struct kz_incident_row *out);
    kz_err (*incident_list)(struct kz_store *s, const struct kz_incident_filter *f,
                            void (*fn)(void *ctx, const struct kz_incident_row *row), void *ctx,
                            bool *more);
    kz_err (*tx_incident_ref_put)(struct kz_store_tx *tx, const struct kz_incident_ref *ref);
    kz_err (*incident_refs)(struct kz_store *s, const char *incident_id,
                            void (*fn)(void *ctx, const struct kz_incident_ref *ref), void *ctx);
    kz_err (*webhook_add)(struct kz_store *s, const struct kz_webhook *w);
    kz_err (*webhook_get)(struct kz_store *s, const char *id, struct kz_webhook *out);
    kz_err (*webhook_list)(struct kz_store *s, const char *org,
                           void (*fn)(void *ctx, const struct kz_webhook *w), void *ctx);
    kz_err (*webhook_delete)(struct kz_store *s, const char *id, int64_t now_us);
    kz_err (*tx_webhooks_for)(struct kz_store_tx *tx, const char *event,
                              const char *collection_id,
                              void (*fn)(void *ctx, const struct kz_webhook *w,
                                         const struct kz_org *org),
                              void *ctx);
    kz_err (*tx_delivery_add)(struct kz_store_tx *tx, const struct kz_delivery *d,
                              const char *data_json);
    kz_err (*deliveries_list)(struct kz_store *s, const struct kz_delivery_query *q,
                              kz_delivery_fn fn, void *ctx);
    kz_err (*deliveries_due)(struct kz_store *s, int64_t now_us, size_t limit,
                             size_t per_subscription, kz_delivery_fn fn, void *ctx);
    kz_err (*delivery_attempts)(struct kz_store *s, const struct kz_delivery_attempt *a, size_t n,
                                size_t *applied);
    kz_err (*delivery_requeue)(struct kz_store *s, const char *subscription_id, const char *id,
                               int64_t now_us);
    kz_err (*deliveries_prune)(struct kz_store *s, int64_t before_us, size_t limit,
                               size_t *deleted);
    kz_err (*corr_load)(struct kz_store *s, const int64_t *window_us, size_t n, uint64_t *rows);
    kz_err (*tx_corr_add)(struct kz_store_tx *tx, const struct kz_corr_sighting *sg);
    kz_err (*tx_corr_members)(struct kz_store_tx *tx, const char *indicator, int64_t window_us,
                              int64_t bucket_us, kz_corr_member_fn fn, void *ctx);
    kz_err (*tx_alert_open)(struct kz_store_tx *tx, const struct kz_alert *a, bool *created);
    kz_err (*tx_alert_get)(struct kz_store_tx *tx, const char *id, struct kz_alert *out);
    kz_err (*tx_alert_change)(struct kz_store_tx *tx, const struct kz_alert_event *ev);
    kz_err (*tx_alert_history_add)(struct kz_store_tx *tx, const struct kz_alert_event *ev);
    kz_err (*alert_get)(struct kz_store *s, const char *id, struct kz_alert *out);
    kz_err (*alert_list)(struct kz_store *s, const struct kz_alert_query *q,
                         void (*fn)(void *ctx, const struct kz_alert *a), void *ctx, bool *more);
    kz_err (*alert_members)(struct kz_store *s, const struct kz_alert *a, kz_corr_member_fn fn,
                            void *ctx);
    kz_err (*alert_history)(struct kz_store *s, const char *id,
                            void (*fn)(void *ctx, const struct kz_alert_event *ev), void *ctx);
};

/* The common head of every backend's store struct. */
struct kz_store {
    const struct kz_store_ops *ops;
};

/* A write transaction in progress: the backend's connection that holds it. */
struct kz_store_tx {
    struct kz_store *store;
    void *backend;
};

/* The backends, one per file set. */
extern const struct kz_store_ops kz_store__sqlite_ops;

#endif
