/*
 * Alerts in the SQLite backend: one alert_rows row per alert, appended when correlation
 * opens it and rewritten only when its status changes; its history in alert_events. An
 * alert's figures (count, first and last seen, organisations) are its window's, from the
 * correlation cache (sqlite_corr.c), which also maps an alert's id to its row.
 */
#include "store/sqlite_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "base/banned.h"

#define ALERT_COLS                                                                                 \
    "id, rule, severity, indicator, win_us, bucket_us, status, assignee, reason, changed_by,"     \
    " changed_us, created_us, time_to_alert_us"
#define SQL_ALERT_OPEN                                                                             \
    "INSERT INTO alert_rows (id, rule, severity, indicator, win_us, bucket_us, status,"           \
    " changed_us, created_us, time_to_alert_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
#define SQL_ALERT_GET "SELECT " ALERT_COLS ", seq FROM alert_rows WHERE seq = ?1"
/* Newest first is the order of the rows: no index to keep. */
#define SQL_ALERT_LIST                                                                             \
    "SELECT " ALERT_COLS ", seq FROM alert_rows"                                                  \
    " WHERE seq < ?3 AND (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR rule = ?2)"               \
    " ORDER BY seq DESC"
#define SQL_ALERT_CHANGE                                                                           \
    "UPDATE alert_rows SET status = ?2, assignee = ?3, reason = ?4, changed_by = ?5,"            \
    " changed_us = ?6 WHERE seq = ?1"
#define SQL_HISTORY_ADD                                                                            \
    "INSERT INTO alert_events (alert_id, seq, action, status, by, assignee, reason, at_us)"       \
    " SELECT ?1, coalesce(max(seq), 0) + 1, ?2, ?3, ?4, ?5, ?6, ?7 FROM alert_events"             \
    " WHERE alert_id = ?1"
#define SQL_HISTORY                                                                                \
    "SELECT action, status, by, assignee, reason, at_us FROM alert_events WHERE alert_id = ?1"    \
    " ORDER BY seq"

kz_err
kz_store__sqlite_tx_alert_open(struct kz_store_tx *tx, const struct kz_alert *a, bool *created)
{
    struct kz_sqlite *s = kz_sqlite_of(tx->store);
    struct kz_sqlite_conn *c = kz_sqlite_tx_conn(tx);
    sqlite3_stmt *st;
    int64_t seq;
    kz_err err = kz_store__sqlite_corr_alert_seq(s, c, tx, a->id, &seq);

    *created = false;
    if (err != KZ_OK || seq != 0)
        return err;
    err = kz_store__sqlite_prepare(c, SQL_ALERT_OPEN, &st);
    if (err != KZ_OK)
        return err;
    kz_store__sqlite_bind_stix_id(st, 1, a->id, "alert");
    kz_store__sqlite_bind_text(st, 2, a->rule);
    kz_store__sqlite_bind_text(st, 3, a->severity);
    kz_store__sqlite_bind_stix_id(st, 4, a->indicator, "indicator");
    sqlite3_bind_int64(st, 5, a->window_us);
    sqlite3_bind_int64(st, 6, a->bucket_us);
    kz_store__sqlite_bind_text(st, 7, a->status[0] ? a->status : "open");
    sqlite3_bind_int64(st, 8, a->created_us);
    sqlite3_bind_int64(st, 9, a->created_us);
    sqlite3_bind_int64(st, 10, a->time_to_alert_us);
    err = kz_store__sqlite_step_done(c, st, "alert open");
    if (err != KZ_OK)
        return err;
    kz_store__sqlite_corr_alert_added(s, a, sqlite3_last_insert_rowid(c->db));
    *created = true;
    return KZ_OK;
}

/* Reads ALERT_COLS and seq from a row. */
static kz_err
read_alert(sqlite3_stmt *st, struct kz_alert *a)
{
    kz_err err;

    memset(a, 0, sizeof(*a));
    err = kz_store__sqlite_stix_id(st, 0, "alert", a->id, sizeof(a->id));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 1, a->rule, sizeof(a->rule));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 2, a->severity, sizeof(a->severity));
    if (err == KZ_OK)
        err = kz_store__sqlite_stix_id(st, 3, "indicator", a->indicator, sizeof(a->indicator));
    a->window_us = sqlite3_column_int64(st, 4);
    a->bucket_us = sqlite3_column_int64(st, 5);
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 6, a->status, sizeof(a->status));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 7, a->assignee, sizeof(a->assignee));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 8, a->reason, sizeof(a->reason));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 9, a->changed_by, sizeof(a->changed_by));
    a->changed_us = sqlite3_column_int64(st, 10);
    a->created_us = sqlite3_column_int64(st, 11);
    a->time_to_alert_us = sqlite3_column_int64(st, 12);
    a->seq = sqlite3_column_int64(st, 13);
    a->updated_us = a->changed_us;
    return err;
}

/* The window's figures onto the alert. */
static void
figures(struct kz_alert *a, const struct kz_corr_member *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        a->count = a->count + m[i].count < a->count ? UINT64_MAX : a->count + m[i].count;
        if (a->first_seen_us == 0 || m[i].first_us < a->first_seen_us)
            a->first_seen_us = m[i].first_us;
        if (m[i].last_us > a->last_seen_us)
            a->last_seen_us = m[i].last_us;
        if (m[i].updated_us > a->updated_us)
            a->updated_us = m[i].updated_us;
    }
}

/* The alert with its figures, in a write transaction (tx) or a read snapshot. */
static kz_err
alert_get(struct kz_sqlite *s, struct kz_sqlite_conn *c, struct kz_store_tx *tx, const char *id,
          struct kz_alert *out)
{
    struct kz_corr_member *m = NULL;
    struct kz_alert a;
    sqlite3_stmt *st;
    size_t n = 0;
    int64_t seq;
    int rc;
    kz_err err = kz_store__sqlite_corr_alert_seq(s, c, tx, id, &seq);

    if (err != KZ_OK)
        return err;
    if (seq == 0)
        return KZ_ERR_NOTFOUND;
    err = kz_store__sqlite_prepare(c, SQL_ALERT_GET, &st);
    if (err != KZ_OK)
        return err;
    sqlite3_bind_int64(st, 1, seq);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        err = read_alert(st, &a);
    else if (rc == SQLITE_DONE)
        err = KZ_ERR_NOTFOUND; /* the cache is ahead of this snapshot */
    else
        err = kz_store__sqlite_fail(c, rc, "alert get");
    sqlite3_reset(st);
    if (err == KZ_OK)
        err = kz_store__sqlite_corr_window(s, c, tx, a.indicator, a.window_us, a.bucket_us, &m, &n);
    if (err == KZ_OK) {
        figures(&a, m, n);
        *out = a;
    }
    free(m);
    return err;
}

kz_err
kz_store__sqlite_tx_alert_get(struct kz_store_tx *tx, const char *id, struct kz_alert *out)
{
    return alert_get(kz_sqlite_of(tx->store), kz_sqlite_tx_conn(tx), tx, id, out);
}

kz_err
kz_store__sqlite_tx_alert_history_add(struct kz_store_tx *tx, const struct kz_alert_event *ev)
{
    struct kz_sqlite_conn *c = kz_sqlite_tx_conn(tx);
    sqlite3_stmt *st;
    kz_err err = kz_store__sqlite_prepare(c, SQL_HISTORY_ADD, &st);

    if (err != KZ_OK)
        return err;
    kz_store__sqlite_bind_text(st, 1, ev->alert_id);
    kz_store__sqlite_bind_text(st, 2, ev->action);
    kz_store__sqlite_bind_text(st, 3, ev->status);
    kz_store__sqlite_bind_text(st, 4, ev->by);
    kz_store__sqlite_bind_text(st, 5, ev->assignee);
    kz_store__sqlite_bind_text(st, 6, ev->reason);
    sqlite3_bind_int64(st, 7, ev->at_us);
    return kz_store__sqlite_step_done(c, st, "alert history add");
}

kz_err
kz_store__sqlite_tx_alert_change(struct kz_store_tx *tx, const struct kz_alert_event *ev)
{
    struct kz_sqlite_conn *c = kz_sqlite_tx_conn(tx);
    sqlite3_stmt *st;
    int64_t seq;
    kz_err err = kz_store__sqlite_corr_alert_seq(kz_sqlite_of(tx->store), c, tx, ev->alert_id, &seq);

    if (err != KZ_OK)
        return err;
    if (seq == 0)
        return KZ_ERR_NOTFOUND;
    err = kz_store__sqlite_prepare(c, SQL_ALERT_CHANGE, &st);
    if (err != KZ_OK)
        return err;
    sqlite3_bind_int64(st, 1, seq);
    kz_store__sqlite_bind_text(st, 2, ev->status);
    kz_store__sqlite_bind_text(st, 3, ev->assignee);
    kz_store__sqlite_bind_text(st, 4, ev->reason);
    kz_store__sqlite_bind_text(st, 5, ev->by);
    sqlite3_bind_int64(st, 6, ev->at_us);
    err = kz_store__sqlite_step_done(c, st, "alert change");
    if (err != KZ_OK)
        return err;
    if (sqlite3_changes(c->db) == 0)
        return KZ_ERR_NOTFOUND;
    return kz_store__sqlite_tx_alert_history_add(tx, ev);
}

/* Reads run in one snapshot (the thread's own when one is open: kz_store_read_begin). */
static kz_err
read_begin(struct kz_store *store, struct kz_sqlite_conn **c, bool *began)
{
    kz_err err = kz_store__sqlite_acquire(kz_sqlite_of(store), c);

    if (err != KZ_OK)
        return err;
    err = kz_store__sqlite_snapshot_begin(*c, began);
    if (err != KZ_OK) {
        kz_store__sqlite_release(kz_sqlite_of(store), *c);
        *c = NULL;
    }
    return err;
}

static void
read_end(struct kz_store *store, struct kz_sqlite_conn *c, bool began)
{
    if (c)
        kz_store__sqlite_snapshot_end(c, began);
    kz_store__sqlite_release(kz_sqlite_of(store), c);
}

kz_err
kz_store__sqlite_alert_get(struct kz_store *store, const char *id, struct kz_alert *out)
{
    struct kz_sqlite_conn *c = NULL;
    bool began = false;
    kz_err err;

    if (!id)
        return KZ_ERR_INVALID;
    err = read_begin(store, &c, &began);
    if (err != KZ_OK)
        return err;
    err = alert_get(kz_sqlite_of(store), c, NULL, id, out);
    read_end(store, c, began);
    return err;
}

/* The filters that need the window: sector, member organisation, updated since. */
static bool
window_matches(const struct kz_alert_query *q, const struct kz_alert *a,
               const struct kz_corr_member *m, size_t n)
{
    bool sector = !q->sector, org = !q->member_org;

    for (size_t i = 0; i < n; i++) {
        sector = sector || strcmp(m[i].sector, q->sector) == 0;
        org = org || strcmp(m[i].org, q->member_org) == 0;
    }
    return sector && org && (q->since_us < 0 || a->updated_us >= q->since_us);
}

/* Rows looked at under one hold of the correlation cache: a filter that matches rarely
 * looks at many, and writes wait for the cache meanwhile. */
#define LIST_ROWS_PER_HOLD 256

/* Lets writes at the cache every LIST_ROWS_PER_HOLD rows; on failure the cache is left. */
static kz_err
list_breathe(struct kz_sqlite *s, struct kz_sqlite_conn *c, size_t *looked)
{
    if (++*looked % LIST_ROWS_PER_HOLD != 0)
        return KZ_OK;
    kz_store__sqlite_corr_leave(s);
    return kz_store__sqlite_corr_enter(s, c, NULL);
}

/* The alert in the current row of st onto the page when every filter holds; cache held. */
static kz_err
list_take(struct kz_sqlite *s, struct kz_sqlite_conn *c, const struct kz_alert_query *q,
          sqlite3_stmt *st, struct kz_alert *page, size_t *n)
{
    struct kz_corr_member *m = NULL;
    struct kz_alert a;
    size_t nm = 0;
    kz_err err = read_alert(st, &a);

    if (err == KZ_OK)
        err = kz_store__sqlite_corr_window_held(s, c, NULL, a.indicator, a.window_us, a.bucket_us,
                                                &m, &nm);
    if (err == KZ_OK) {
        figures(&a, m, nm);
        if ((!q->status || strcmp(a.status, q->status) == 0) &&
            (!q->rule || strcmp(a.rule, q->rule) == 0) && window_matches(q, &a, m, nm))
            page[(*n)++] = a;
    }
    free(m);
    return err;
}

/* Every alert newest first (SQL filters status and rule); keeps up to limit + 1. */
static kz_err
list_walk(struct kz_sqlite *s, struct kz_sqlite_conn *c, const struct kz_alert_query *q,
          struct kz_alert *page, size_t *n)
{
    sqlite3_stmt *st;
    size_t looked = 0;
    int rc = SQLITE_DONE;
    kz_err err = kz_store__sqlite_prepare(c, SQL_ALERT_LIST, &st);

    if (err != KZ_OK)
        return err;
    kz_store__sqlite_bind_text(st, 1, q->status);
    kz_store__sqlite_bind_text(st, 2, q->rule);
    sqlite3_bind_int64(st, 3, q->after_seq > 0 ? q->after_seq : INT64_MAX);
    err = kz_store__sqlite_corr_enter(s, c, NULL);
    while (err == KZ_OK && *n <= q->limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        err = list_breathe(s, c, &looked);
        if (err != KZ_OK)
            break;
        err = list_take(s, c, q, st, page, n);
        if (err != KZ_OK)
            kz_store__sqlite_corr_leave(s);
    }
    if (err == KZ_OK)
        kz_store__sqlite_corr_leave(s);
    sqlite3_reset(st);
    if (err == KZ_OK && *n <= q->limit && rc != SQLITE_DONE)
        err = kz_store__sqlite_fail(c, rc, "alert list");
    return err;
}

/* A member's alerts: only those on windows it sighted in, from the cache's index by
 * organisation, not a walk of every alert. KZ_ERR_LIMIT: use list_walk. */
static kz_err
list_member(struct kz_sqlite *s, struct kz_sqlite_conn *c, const struct kz_alert_query *q,
            struct kz_alert *page, size_t *n)
{
    int64_t *seqs = NULL;
    size_t ns = 0, looked = 0;
    sqlite3_stmt *st;
    int rc;
    kz_err err = kz_store__sqlite_corr_enter(s, c, NULL);

    if (err != KZ_OK)
        return err;
    err = kz_store__sqlite_corr_alerts_of_held(s, c, q->member_org,
                                               q->after_seq > 0 ? q->after_seq : INT64_MAX, &seqs,
                                               &ns);
    if (err == KZ_OK)
        err = kz_store__sqlite_prepare(c, SQL_ALERT_GET, &st);
    for (size_t i = 0; err == KZ_OK && i < ns && *n <= q->limit; i++) {
        err = list_breathe(s, c, &looked);
        if (err != KZ_OK) {
            free(seqs);
            return err; /* the cache is left */
        }
        sqlite3_bind_int64(st, 1, seqs[i]);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            err = list_take(s, c, q, st, page, n);
        else if (rc != SQLITE_DONE) /* DONE: the cache is ahead of this snapshot */
            err = kz_store__sqlite_fail(c, rc, "alert list");
        sqlite3_reset(st);
    }
    kz_store__sqlite_corr_leave(s);
    free(seqs);
    return err;
}

kz_err
kz_store__sqlite_alert_list(struct kz_store *store, const struct kz_alert_query *q,
                            void (*fn)(void *ctx, const struct kz_alert *a), void *ctx,
                            bool *more)
{
    struct kz_sqlite *s = kz_sqlite_of(store);
    struct kz_sqlite_conn *c = NULL;
    bool began = false;
    struct kz_alert *page = NULL;
    size_t n = 0;
    kz_err err;

    if (!q || q->limit == 0 || q->limit > 100000)
        return KZ_ERR_INVALID;
    err = read_begin(store, &c, &began);
    if (err != KZ_OK)
        return err;
    /* Collect first: fn may read the store, which must not wait for this walk. */
    page = kz_xcalloc(q->limit + 1, sizeof(*page));
    err = q->member_org ? list_member(s, c, q, page, &n) : KZ_ERR_LIMIT;
    if (err == KZ_ERR_LIMIT) {
        n = 0;
        err = list_walk(s, c, q, page, &n);
    }
    read_end(store, c, began);
    if (err == KZ_OK) {
        *more = n > q->limit;
        for (size_t i = 0; i < n && i < q->limit; i++)
            fn(ctx, &page[i]);
    }
    free(page);
    return err;
}

kz_err
kz_store__sqlite_alert_members(struct kz_store *store, const struct kz_alert *a,
                               kz_corr_member_fn fn, void *ctx)
{
    struct kz_sqlite_conn *c = NULL;
    struct kz_corr_member *m = NULL;
    bool began = false;
    size_t n = 0;
    kz_err err = read_begin(store, &c, &began);

    if (err != KZ_OK)
        return err;
    err = kz_store__sqlite_corr_window(kz_sqlite_of(store), c, NULL, a->indicator, a->window_us,
                                       a->bucket_us, &m, &n);
    read_end(store, c, began);
    for (size_t i = 0; err == KZ_OK && i < n; i++)
        fn(ctx, &m[i]);
    free(m);
    return err;
}

kz_err
kz_store__sqlite_alert_history(struct kz_store *store, const char *id,
                               void (*fn)(void *ctx, const struct kz_alert_event *ev), void *ctx)
{
    struct kz_sqlite_conn *c = NULL;
    bool began = false;
    struct kz_alert_event ev;
    sqlite3_stmt *st;
    int rc;
    kz_err err = read_begin(store, &c, &began);

    if (err != KZ_OK)
        return err;
    err = kz_store__sqlite_prepare(c, SQL_HISTORY, &st);
    if (err != KZ_OK)
        goto done;
    kz_store__sqlite_bind_text(st, 1, id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&ev, 0, sizeof(ev));
        kz_cstr_copy(id, ev.alert_id, sizeof(ev.alert_id));
        err = kz_store__sqlite_text(st, 0, ev.action, sizeof(ev.action));
        if (err == KZ_OK)
            err = kz_store__sqlite_text(st, 1, ev.status, sizeof(ev.status));
        if (err == KZ_OK)
            err = kz_store__sqlite_text(st, 2, ev.by, sizeof(ev.by));
        if (err == KZ_OK)
            err = kz_store__sqlite_text(st, 3, ev.assignee, sizeof(ev.assignee));
        if (err == KZ_OK)
            err = kz_store__sqlite_text(st, 4, ev.reason, sizeof(ev.reason));
        if (err != KZ_OK)
            break;
        ev.at_us = sqlite3_column_int64(st, 5);
        fn(ctx, &ev);
    }
    sqlite3_reset(st);
    if (err == KZ_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = kz_store__sqlite_fail(c, rc, "alert history");
done:
    read_end(store, c, began);
    return err;
}
