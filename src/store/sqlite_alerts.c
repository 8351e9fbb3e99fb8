/*
 * Correlation state and alerts in the SQLite backend: corr_members holds one row per
 * indicator, window, organisation, collection and TLP; an alert's figures are computed
 * from the members of its window when it is read, so that a sighting costs one upsert.
 */
#include "store/sqlite_int.h"

#include <stdint.h>
#include <string.h>

#include "base/str.h"
#include "base/banned.h"

#define SQL_CORR_UPSERT                                                                            \
    "INSERT INTO corr_members (indicator, win_us, bucket_us, org, collection_id, tlp, sector,"    \
    " count, first_us, last_us, updated_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)" \
    " ON CONFLICT (indicator, win_us, bucket_us, org, collection_id, tlp) DO UPDATE SET"           \
    " count = min(count + excluded.count, 4611686018427387904),"                                  \
    " first_us = min(first_us, excluded.first_us), last_us = max(last_us, excluded.last_us),"     \
    " updated_us = excluded.updated_us"
#define SQL_MEMBERS                                                                                \
    "SELECT org, sector, collection_id, tlp, count, first_us, last_us, updated_us"                \
    " FROM corr_members WHERE indicator = ?1 AND win_us = ?2 AND bucket_us = ?3"                  \
    " ORDER BY org, collection_id, tlp"
#define SQL_ALERT_OPEN                                                                             \
    "INSERT INTO alerts (id, rule, severity, indicator, win_us, bucket_us, status, changed_us,"   \
    " created_us, time_to_alert_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"             \
    " ON CONFLICT (id) DO NOTHING"
#define ALERT_COLS                                                                                 \
    "a.id, a.rule, a.severity, a.indicator, a.win_us, a.bucket_us, a.status, a.assignee,"         \
    " a.reason, a.changed_by, a.changed_us, a.created_us, a.time_to_alert_us"
/* The window's figures, one correlated subquery each: a page reads only its own windows. */
#define IN_WINDOW(cond)                                                                            \
    "corr_members m WHERE m.indicator = a.indicator AND m.win_us = a.win_us"                      \
    " AND m.bucket_us = a.bucket_us" cond
#define AGG_COLS                                                                                   \
    "(SELECT sum(m.count) FROM " IN_WINDOW("") "),"                                                \
    " (SELECT min(m.first_us) FROM " IN_WINDOW("") "),"                                            \
    " (SELECT max(m.last_us) FROM " IN_WINDOW("") "),"                                             \
    " (SELECT max(m.updated_us) FROM " IN_WINDOW("") ")"
#define SQL_ALERT_GET "SELECT " ALERT_COLS ", " AGG_COLS " FROM alerts a WHERE a.id = ?1"
#define SQL_ALERT_LIST                                                                             \
    "SELECT " ALERT_COLS ", " AGG_COLS " FROM alerts a"                                           \
    " WHERE (?1 IS NULL OR a.status = ?1) AND (?2 IS NULL OR a.rule = ?2)"                        \
    " AND (?3 IS NULL OR EXISTS (SELECT 1 FROM " IN_WINDOW(" AND m.sector = ?3") "))"              \
    " AND (?4 IS NULL OR EXISTS (SELECT 1 FROM " IN_WINDOW(" AND m.org = ?4") "))"                 \
    " AND (?6 IS NULL OR a.created_us < ?5 OR (a.created_us = ?5 AND a.id < ?6))"                 \
    " AND (?7 IS NULL OR (SELECT max(m.updated_us) FROM " IN_WINDOW("") ") >= ?7"                  \
    " OR a.changed_us >= ?7)"                                                                      \
    " ORDER BY a.created_us DESC, a.id DESC LIMIT ?8"
#define SQL_ALERT_CHANGE                                                                           \
    "UPDATE alerts SET status = ?2, assignee = ?3, reason = ?4, changed_by = ?5, changed_us = ?6" \
    " WHERE id = ?1"
#define SQL_HISTORY_ADD                                                                            \
    "INSERT INTO alert_history (alert_id, seq, action, status, by, assignee, reason, at_us)"      \
    " SELECT ?1, coalesce(max(seq), 0) + 1, ?2, ?3, ?4, ?5, ?6, ?7 FROM alert_history"            \
    " WHERE alert_id = ?1"
#define SQL_HISTORY                                                                                \
    "SELECT action, status, by, assignee, reason, at_us FROM alert_history WHERE alert_id = ?1"   \
    " ORDER BY seq"

static kz_err
step_done(struct kz_sqlite_conn *c, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);

    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return kz_store__sqlite_fail(c, rc, what);
    return KZ_OK;
}

static kz_err
each_member(struct kz_sqlite_conn *c, const char *indicator, int64_t win, int64_t bucket,
            kz_corr_member_fn fn, void *ctx)
{
    struct kz_corr_member m;
    sqlite3_stmt *st;
    int rc;
    kz_err err = kz_store__sqlite_prepare(c, SQL_MEMBERS, &st);

    if (err != KZ_OK)
        return err;
    kz_store__sqlite_bind_text(st, 1, indicator);
    sqlite3_bind_int64(st, 2, win);
    sqlite3_bind_int64(st, 3, bucket);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&m, 0, sizeof(m));
        err = kz_store__sqlite_text(st, 0, m.org, sizeof(m.org));
        if (err == KZ_OK)
            err = kz_store__sqlite_text(st, 1, m.sector, sizeof(m.sector));
        if (err == KZ_OK)
            err = kz_store__sqlite_text(st, 2, m.collection_id, sizeof(m.collection_id));
        if (err != KZ_OK)
            break;
        m.tlp = (enum kz_tlp)sqlite3_column_int(st, 3);
        m.count = (uint64_t)sqlite3_column_int64(st, 4);
        m.first_us = sqlite3_column_int64(st, 5);
        m.last_us = sqlite3_column_int64(st, 6);
        m.updated_us = sqlite3_column_int64(st, 7);
        fn(ctx, &m);
    }
    sqlite3_reset(st);
    if (err == KZ_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = kz_store__sqlite_fail(c, rc, "correlation members");
    return err;
}

kz_err
kz_store__sqlite_tx_corr_add(struct kz_store_tx *tx, const struct kz_corr_sighting *sg,
                             kz_corr_member_fn fn, void *ctx)
{
    struct kz_sqlite_conn *c = kz_sqlite_tx_conn(tx);
    sqlite3_stmt *st;
    kz_err err;

    if (!sg || !sg->indicator || !sg->org || !sg->collection_id || sg->window_us <= 0)
        return KZ_ERR_INVALID;
    err = kz_store__sqlite_prepare(c, SQL_CORR_UPSERT, &st);
    if (err != KZ_OK)
        return err;
    kz_store__sqlite_bind_text(st, 1, sg->indicator);
    sqlite3_bind_int64(st, 2, sg->window_us);
    sqlite3_bind_int64(st, 3, sg->bucket_us);
    kz_store__sqlite_bind_text(st, 4, sg->org);
    kz_store__sqlite_bind_text(st, 5, sg->collection_id);
    sqlite3_bind_int(st, 6, (int)sg->tlp);
    kz_store__sqlite_bind_text(st, 7, sg->sector ? sg->sector : "");
    sqlite3_bind_int64(st, 8, (sqlite3_int64)(sg->count > INT32_MAX ? INT32_MAX : sg->count));
    sqlite3_bind_int64(st, 9, sg->first_us);
    sqlite3_bind_int64(st, 10, sg->last_us);
    sqlite3_bind_int64(st, 11, sg->now_us);
    err = step_done(c, st, "correlation add");
    if (err != KZ_OK || !fn)
        return err;
    return each_member(c, sg->indicator, sg->window_us, sg->bucket_us, fn, ctx);
}

kz_err
kz_store__sqlite_tx_corr_members(struct kz_store_tx *tx, const char *indicator, int64_t window_us,
                                 int64_t bucket_us, kz_corr_member_fn fn, void *ctx)
{
    return each_member(kz_sqlite_tx_conn(tx), indicator, window_us, bucket_us, fn, ctx);
}

kz_err
kz_store__sqlite_tx_alert_open(struct kz_store_tx *tx, const struct kz_alert *a, bool *created)
{
    struct kz_sqlite_conn *c = kz_sqlite_tx_conn(tx);
    sqlite3_stmt *st;
    kz_err err = kz_store__sqlite_prepare(c, SQL_ALERT_OPEN, &st);

    if (err != KZ_OK)
        return err;
    kz_store__sqlite_bind_text(st, 1, a->id);
    kz_store__sqlite_bind_text(st, 2, a->rule);
    kz_store__sqlite_bind_text(st, 3, a->severity);
    kz_store__sqlite_bind_text(st, 4, a->indicator);
    sqlite3_bind_int64(st, 5, a->window_us);
    sqlite3_bind_int64(st, 6, a->bucket_us);
    kz_store__sqlite_bind_text(st, 7, a->status[0] ? a->status : "open");
    sqlite3_bind_int64(st, 8, a->created_us);
    sqlite3_bind_int64(st, 9, a->created_us);
    sqlite3_bind_int64(st, 10, a->time_to_alert_us);
    err = step_done(c, st, "alert open");
    if (err == KZ_OK)
        *created = sqlite3_changes(c->db) > 0;
    return err;
}

/* Reads ALERT_COLS and AGG_COLS from a row. */
static kz_err
read_alert(sqlite3_stmt *st, struct kz_alert *a)
{
    kz_err err;

    memset(a, 0, sizeof(*a));
    err = kz_store__sqlite_text(st, 0, a->id, sizeof(a->id));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 1, a->rule, sizeof(a->rule));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 2, a->severity, sizeof(a->severity));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 3, a->indicator, sizeof(a->indicator));
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
    a->count = (uint64_t)sqlite3_column_int64(st, 13);
    a->first_seen_us = sqlite3_column_int64(st, 14);
    a->last_seen_us = sqlite3_column_int64(st, 15);
    a->updated_us = sqlite3_column_int64(st, 16);
    if (a->updated_us < a->changed_us)
        a->updated_us = a->changed_us;
    return err;
}

static kz_err
alert_get(struct kz_sqlite_conn *c, const char *id, struct kz_alert *out)
{
    struct kz_alert a;
    sqlite3_stmt *st;
    int rc;
    kz_err err = kz_store__sqlite_prepare(c, SQL_ALERT_GET, &st);

    if (err != KZ_OK)
        return err;
    kz_store__sqlite_bind_text(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        err = read_alert(st, &a);
    else if (rc == SQLITE_DONE)
        err = KZ_ERR_NOTFOUND;
    else
        err = kz_store__sqlite_fail(c, rc, "alert get");
    sqlite3_reset(st);
    if (err == KZ_OK)
        *out = a;
    return err;
}

kz_err
kz_store__sqlite_tx_alert_get(struct kz_store_tx *tx, const char *id, struct kz_alert *out)
{
    return alert_get(kz_sqlite_tx_conn(tx), id, out);
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
    return step_done(c, st, "alert history add");
}

kz_err
kz_store__sqlite_tx_alert_change(struct kz_store_tx *tx, const struct kz_alert_event *ev)
{
    struct kz_sqlite_conn *c = kz_sqlite_tx_conn(tx);
    sqlite3_stmt *st;
    kz_err err = kz_store__sqlite_prepare(c, SQL_ALERT_CHANGE, &st);

    if (err != KZ_OK)
        return err;
    kz_store__sqlite_bind_text(st, 1, ev->alert_id);
    kz_store__sqlite_bind_text(st, 2, ev->status);
    kz_store__sqlite_bind_text(st, 3, ev->assignee);
    kz_store__sqlite_bind_text(st, 4, ev->reason);
    kz_store__sqlite_bind_text(st, 5, ev->by);
    sqlite3_bind_int64(st, 6, ev->at_us);
    err = step_done(c, st, "alert change");
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
    err = alert_get(c, id, out);
    read_end(store, c, began);
    return err;
}

kz_err
kz_store__sqlite_alert_list(struct kz_store *store, const struct kz_alert_query *q,
                            void (*fn)(void *ctx, const struct kz_alert *a), void *ctx,
                            bool *more)
{
    struct kz_sqlite_conn *c = NULL;
    bool began = false;
    struct kz_alert *page = NULL;
    sqlite3_stmt *st;
    size_t n = 0;
    int rc;
    kz_err err;

    if (!q || q->limit == 0 || q->limit > 100000)
        return KZ_ERR_INVALID;
    err = read_begin(store, &c, &began);
    if (err != KZ_OK)
        return err;
    err = kz_store__sqlite_prepare(c, SQL_ALERT_LIST, &st);
    if (err != KZ_OK)
        goto done;
    kz_store__sqlite_bind_text(st, 1, q->status);
    kz_store__sqlite_bind_text(st, 2, q->rule);
    kz_store__sqlite_bind_text(st, 3, q->sector);
    kz_store__sqlite_bind_text(st, 4, q->member_org);
    sqlite3_bind_int64(st, 5, q->after_created_us);
    kz_store__sqlite_bind_text(st, 6, q->after_id);
    if (q->since_us >= 0)
        sqlite3_bind_int64(st, 7, q->since_us);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)q->limit + 1);
    /* Collect first: fn may read the store, which must not wait for this statement. */
    page = kz_xcalloc(q->limit + 1, sizeof(*page));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && err == KZ_OK) {
        err = read_alert(st, &page[n]);
        n++;
    }
    sqlite3_reset(st);
    if (err == KZ_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = kz_store__sqlite_fail(c, rc, "alert list");
done:
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
    bool began = false;
    kz_err err = read_begin(store, &c, &began);

    if (err != KZ_OK)
        return err;
    err = each_member(c, a->indicator, a->window_us, a->bucket_us, fn, ctx);
    read_end(store, c, began);
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
