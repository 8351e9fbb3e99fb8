/*
 * Inside the SQLite backend: the store struct, the per-thread connection pool with its
 * statement cache, transactions and the mapping of SQLite result codes to kz_err.
 * Only src/store/sqlite*.c include this file.
 */
#ifndef KZ_STORE_SQLITE_INT_H
#define KZ_STORE_SQLITE_INT_H

#include <pthread.h>
#include <sqlite3.h>

#include "store/corr_cache.h"
#include "store/store_int.h"

#define KZ_SQLITE_STMT_CACHE 64
#define KZ_SQLITE_BUSY_MS    10000

struct kz_sqlite_cached {
    char *sql;
    const char *text; /* the caller's pointer it was prepared from: a first guess only */
    sqlite3_stmt *st;
};

/* One connection, used by one thread at a time; idle ones wait in the pool. */
struct kz_sqlite_conn {
    sqlite3 *db;
    struct kz_sqlite_conn *next;
    struct kz_sqlite_cached cache[KZ_SQLITE_STMT_CACHE];
    size_t n_cache;
    size_t evict; /* next slot to reuse when the cache is full */
};

/*
 * The correlation cache of this process (sqlite_corr.c): the committed state is a cache of
 * corr_log and alert_rows up to log_seq and alert_seq, caught up before each use; what the
 * write transaction in progress adds is kept apart (tx_*) and merged only once it commits.
 */
/* What one write transaction added to correlation. */
struct kz_sqlite_corr_adds {
    int64_t log_base, alert_base; /* the committed rows it started from */
    struct kz_corr_state state;   /* its windows and alerts */
    struct kz_corr_row *rows;     /* its log rows, in seq order */
    size_t n_rows, cap_rows;
    int64_t alert_last; /* its last alert row, 0: none */
};

struct kz_sqlite_corr {
    pthread_mutex_t mu; /* guards all of it */
    struct kz_corr_strings strs;
    struct kz_corr_state committed;
    int64_t lengths[KZ_CORR_MAX_LENGTHS]; /* the window lengths asked for so far */
    size_t n_lengths;
    uint64_t lengths_gen; /* bumped when a length is added */
    int64_t log_seq, alert_seq;
    int64_t alert_lengths[KZ_CORR_MAX_LENGTHS]; /* the window lengths alerts have */
    size_t n_alert_lengths;
    bool alert_lengths_overflow;
    uint32_t recent[3]; /* the strings interned last for a sighting's org, sector, collection */
    bool recent_set[3];
    /* The write transaction in progress, if it has touched correlation. */
    bool tx_open;
    uint64_t tx_gen;
    struct kz_sqlite_corr_adds tx;
    /* A committed transaction's additions, merged after its write lock is let go. */
    struct kz_sqlite_corr_adds pending;
    bool pending_set;
};

struct kz_sqlite {
    struct kz_store base;
    char *path;
    pthread_mutex_t pool_mu; /* guards idle */
    struct kz_sqlite_conn *idle;
    /* Writers of this process queue here rather than in SQLite's busy handler, which
     * sleeps; busy_timeout still covers other processes (the CLI next to the server). */
    pthread_mutex_t write_mu;
    /* The one connection writes use (under write_mu): its page cache stays warm, where a
     * pool connection's is dropped whenever another connection has written since. */
    struct kz_sqlite_conn *writer;
    int schema_version;
    struct kz_sqlite_corr corr;
    /* Events no subscription wants, learnt in the write transaction in progress: webhooks
     * change only in transactions of their own, and an alert-heavy write asks often. */
    struct {
        char event[32];
        char collection_id[KZ_UUID_TEXT_LEN + 1];
    } tx_unwanted[8];
    size_t n_tx_unwanted;
};

static inline struct kz_sqlite *
kz_sqlite_of(struct kz_store *s)
{
    return (struct kz_sqlite *)s;
}

/* The connection that holds a write transaction. */
static inline struct kz_sqlite_conn *
kz_sqlite_tx_conn(struct kz_store_tx *tx)
{
    return tx->backend;
}

/*
 * Reads that need one snapshot (several statements): BEGIN unless the connection is already
 * inside a transaction (a read snapshot, kz_store_read_begin); *began says which.
 */
kz_err kz_store__sqlite_snapshot_begin(struct kz_sqlite_conn *c, bool *began);
void kz_store__sqlite_snapshot_end(struct kz_sqlite_conn *c, bool began);

/* Takes an idle connection or opens a new one; give it back with _release. */
kz_err kz_store__sqlite_acquire(struct kz_sqlite *s, struct kz_sqlite_conn **out);
void kz_store__sqlite_release(struct kz_sqlite *s, struct kz_sqlite_conn *c);

/* A cached prepared statement, reset and with bindings cleared; owned by the connection. */
kz_err kz_store__sqlite_prepare(struct kz_sqlite_conn *c, const char *sql, sqlite3_stmt **out);

/* Maps a failed result code: unique violations to CONFLICT, foreign keys to NOTFOUND,
 * everything else to STORE, logged once with what and sqlite3_errmsg. */
kz_err kz_store__sqlite_fail(struct kz_sqlite_conn *c, int rc, const char *what);

/* Runs SQL text without results. */
kz_err kz_store__sqlite_exec(struct kz_sqlite_conn *c, const char *sql);
/* Steps a statement that returns no row, and resets it. */
kz_err kz_store__sqlite_step_done(struct kz_sqlite_conn *c, sqlite3_stmt *st, const char *what);

/* BEGIN IMMEDIATE on the writer connection (*c) under the process's write lock; COMMIT or
 * ROLLBACK releases both. */
kz_err kz_store__sqlite_begin_write(struct kz_sqlite *s, struct kz_sqlite_conn **c);
kz_err kz_store__sqlite_commit(struct kz_sqlite *s, struct kz_sqlite_conn *c);
void kz_store__sqlite_rollback(struct kz_sqlite *s, struct kz_sqlite_conn *c);

/* Copies a text column into a bounded buffer (NULL becomes ""); LIMIT when too long. */
kz_err kz_store__sqlite_text(sqlite3_stmt *st, int col, char *dst, size_t dstlen);

/* Binds a C string as text, or NULL for a NULL pointer. */
int kz_store__sqlite_bind_text(sqlite3_stmt *st, int idx, const char *s);

/* A STIX id "<type>--<uuid>" kept as its 16 uuid bytes (the column knows the type); any
 * other text as text. _stix_id reads either back as text. */
int kz_store__sqlite_bind_stix_id(sqlite3_stmt *st, int idx, const char *id, const char *type);
kz_err kz_store__sqlite_stix_id(sqlite3_stmt *st, int col, const char *type, char *dst,
                                size_t dstlen);

/* Applies pending migrations; *version receives the schema version after them. */
kz_err kz_store__sqlite_migrate(struct kz_sqlite_conn *c, int *version);

/* The operations of sqlite_admin.c, sqlite_objects.c and sqlite_status.c. */
kz_err kz_store__sqlite_sector_add(struct kz_store *s, const char *name);
bool kz_store__sqlite_sector_exists(struct kz_store *s, const char *name);
kz_err kz_store__sqlite_sector_list(struct kz_store *s, void (*fn)(void *ctx, const char *name),
                                    void *ctx);
kz_err kz_store__sqlite_org_add(struct kz_store *s, const struct kz_org *org);
kz_err kz_store__sqlite_org_get(struct kz_store *s, const char *slug, struct kz_org *out);
kz_err kz_store__sqlite_org_list(struct kz_store *s,
                                 void (*fn)(void *ctx, const struct kz_org *org), void *ctx);
kz_err kz_store__sqlite_org_by_identity(struct kz_store *s, const char *identity_id,
                                        struct kz_org *out);
kz_err kz_store__sqlite_key_add(struct kz_store *s, const struct kz_key *key);
kz_err kz_store__sqlite_key_get(struct kz_store *s, const char *id, struct kz_key *out);
kz_err kz_store__sqlite_key_list(struct kz_store *s,
                                 void (*fn)(void *ctx, const struct kz_key *key), void *ctx);
kz_err kz_store__sqlite_key_revoke(struct kz_store *s, const char *id, int64_t now_us);
kz_err kz_store__sqlite_collection_add(struct kz_store *s, const struct kz_collection *c);
kz_err kz_store__sqlite_collection_get(struct kz_store *s, const char *id_or_alias,
                                       struct kz_collection *out);
kz_err kz_store__sqlite_collection_list(struct kz_store *s,
                                        void (*fn)(void *ctx, const struct kz_collection *c),
                                        void *ctx);
kz_err kz_store__sqlite_transaction(struct kz_store *s, kz_store_tx_fn fn, void *ctx);
kz_err kz_store__sqlite_read_begin(struct kz_store *s);
void kz_store__sqlite_read_end(struct kz_store *s);
kz_err kz_store__sqlite_tx_objects_put(struct kz_store_tx *tx, const char *collection_id,
                                       const char *org, const struct kz_object_in *objs,
                                       size_t n, kz_store_check_fn check, void *check_ctx,
                                       struct kz_put_result *results);
kz_err kz_store__sqlite_objects_query(struct kz_store *s, const struct kz_object_query *q,
                                      struct kz_object_page *out);
kz_err kz_store__sqlite_objects_delete(struct kz_store *s, const struct kz_object_query *q,
                                       size_t *deleted);
kz_err kz_store__sqlite_objects_count(struct kz_store *s, const char *collection_id, uint64_t *out);
kz_err kz_store__sqlite_tx_status_put(struct kz_store_tx *tx, const struct kz_status *st);
kz_err kz_store__sqlite_status_get(struct kz_store *s, const char *id, struct kz_status *out);
kz_err kz_store__sqlite_tx_incident_put(struct kz_store_tx *tx, const struct kz_incident_row *row);
kz_err kz_store__sqlite_tx_incident_get(struct kz_store_tx *tx, const char *id,
                                        struct kz_incident_row *out);
kz_err kz_store__sqlite_incident_get(struct kz_store *s, const char *id,
                                     struct kz_incident_row *out);
kz_err kz_store__sqlite_incident_list(struct kz_store *s, const struct kz_incident_filter *f,
                                      void (*fn)(void *ctx, const struct kz_incident_row *row),
                                      void *ctx, bool *more);
kz_err kz_store__sqlite_tx_incident_ref_put(struct kz_store_tx *tx,
                                            const struct kz_incident_ref *ref);
kz_err kz_store__sqlite_incident_refs(struct kz_store *s, const char *incident_id,
                                      void (*fn)(void *ctx, const struct kz_incident_ref *ref),
                                      void *ctx);

/* sqlite_webhooks.c */
kz_err kz_store__sqlite_webhook_add(struct kz_store *s, const struct kz_webhook *w);
kz_err kz_store__sqlite_webhook_get(struct kz_store *s, const char *id, struct kz_webhook *out);
kz_err kz_store__sqlite_webhook_list(struct kz_store *s, const char *org,
                                     void (*fn)(void *ctx, const struct kz_webhook *w),
                                     void *ctx);
kz_err kz_store__sqlite_webhook_delete(struct kz_store *s, const char *id, int64_t now_us);
kz_err kz_store__sqlite_tx_webhooks_for(struct kz_store_tx *tx, const char *event,
                                        const char *collection_id,
                                        void (*fn)(void *ctx, const struct kz_webhook *w,
                                                   const struct kz_org *org),
                                        void *ctx);
kz_err kz_store__sqlite_tx_delivery_add(struct kz_store_tx *tx, const struct kz_delivery *d,
                                        const char *data_json);
kz_err kz_store__sqlite_deliveries_list(struct kz_store *s, const struct kz_delivery_query *q,
                                        kz_delivery_fn fn, void *ctx);
kz_err kz_store__sqlite_deliveries_due(struct kz_store *s, int64_t now_us, size_t limit,
                                       size_t per_subscription, kz_delivery_fn fn, void *ctx);
kz_err kz_store__sqlite_delivery_attempts(struct kz_store *s,
                                          const struct kz_delivery_attempt *a, size_t n,
                                          size_t *applied);
kz_err kz_store__sqlite_delivery_requeue(struct kz_store *s, const char *subscription_id,
                                         const char *id, int64_t now_us);
kz_err kz_store__sqlite_deliveries_prune(struct kz_store *s, int64_t before_us, size_t limit,
                                         size_t *deleted);
/* sqlite_corr.c: the cache's life, and what sqlite_alerts.c asks of it. */
kz_err kz_store__sqlite_corr_load(struct kz_store *s, const int64_t *window_us, size_t n,
                                  uint64_t *rows);
void kz_store__sqlite_corr_init(struct kz_sqlite *s);
void kz_store__sqlite_corr_release(struct kz_sqlite *s);
/* Before COMMIT: writes the transaction's correlation log rows. */
kz_err kz_store__sqlite_corr_flush(struct kz_sqlite *s, struct kz_sqlite_conn *c);
/* The end of a write transaction (write_mu still held): sets its additions aside to merge
 * (committed) or drops them. */
void kz_store__sqlite_corr_tx_end(struct kz_sqlite *s, bool committed);
/* After the write lock is let go: merges the additions set aside, off the write path. */
void kz_store__sqlite_corr_merge_pending(struct kz_sqlite *s);
/* Inside a write transaction (tx) or a read snapshot (c, tx NULL): the row of an alert,
 * 0 when there is none. */
kz_err kz_store__sqlite_corr_alert_seq(struct kz_sqlite *s, struct kz_sqlite_conn *c,
                                       struct kz_store_tx *tx, const char *id, int64_t *seq);
/* Records an alert row this write transaction appended. */
void kz_store__sqlite_corr_alert_added(struct kz_sqlite *s, const struct kz_alert *a,
                                       int64_t seq);
/* Held (corr_enter): the rows of the alerts on windows org sighted in, older than
 * before_seq, newest first; caller frees *seqs. KZ_ERR_LIMIT: more window lengths than the
 * cache keeps at once — walk the alerts instead. */
kz_err kz_store__sqlite_corr_alerts_of_held(struct kz_sqlite *s, struct kz_sqlite_conn *c,
                                            const char *org, int64_t before_seq, int64_t **seqs,
                                            size_t *n);
/* Several lookups under one catch-up: enter (caught up, locked), _held calls, leave. */
kz_err kz_store__sqlite_corr_enter(struct kz_sqlite *s, struct kz_sqlite_conn *c,
                                   struct kz_store_tx *tx);
void kz_store__sqlite_corr_leave(struct kz_sqlite *s);
kz_err kz_store__sqlite_corr_window_held(struct kz_sqlite *s, struct kz_sqlite_conn *c,
                                         struct kz_store_tx *tx, const char *indicator,
                                         int64_t window_us, int64_t bucket_us,
                                         struct kz_corr_member **out, size_t *n);
/* The members of a window in a read snapshot (tx NULL) or a write transaction; caller frees
 * *out. Ordered by organisation, collection and TLP. */
kz_err kz_store__sqlite_corr_window(struct kz_sqlite *s, struct kz_sqlite_conn *c,
                                    struct kz_store_tx *tx, const char *indicator,
                                    int64_t window_us, int64_t bucket_us,
                                    struct kz_corr_member **out, size_t *n);

/* sqlite_alerts.c */
kz_err kz_store__sqlite_tx_corr_add(struct kz_store_tx *tx, const struct kz_corr_sighting *sg);
kz_err kz_store__sqlite_tx_corr_members(struct kz_store_tx *tx, const char *indicator,
                                        int64_t window_us, int64_t bucket_us,
                                        kz_corr_member_fn fn, void *ctx);
kz_err kz_store__sqlite_tx_alert_open(struct kz_store_tx *tx, const struct kz_alert *a,
                                      bool *created);
kz_err kz_store__sqlite_tx_alert_get(struct kz_store_tx *tx, const char *id,
                                     struct kz_alert *out);
kz_err kz_store__sqlite_tx_alert_change(struct kz_store_tx *tx, const struct kz_alert_event *ev);
kz_err kz_store__sqlite_tx_alert_history_add(struct kz_store_tx *tx,
                                             const struct kz_alert_event *ev);
kz_err kz_store__sqlite_alert_get(struct kz_store *s, const char *id, struct kz_alert *out);
kz_err kz_store__sqlite_alert_list(struct kz_store *s, const struct kz_alert_query *q,
                                   void (*fn)(void *ctx, const struct kz_alert *a), void *ctx,
                                   bool *more);
kz_err kz_store__sqlite_alert_members(struct kz_store *s, const struct kz_alert *a,
                                      kz_corr_member_fn fn, void *ctx);
kz_err kz_store__sqlite_alert_history(struct kz_store *s, const char *id,
                                      void (*fn)(void *ctx, const struct kz_alert_event *ev),
                                      void *ctx);

#endif
