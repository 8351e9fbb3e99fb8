/*
 * The incidents index in the SQLite backend: one row per incident with its state as JSON,
 * and incident_refs for the notes, links and reports on each incident's timeline.
 */
#include "store/sqlite_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/str.h"
#include "base/banned.h"

#define ROW_COLS                                                                                   \
    "id, collection_id, org, status, severity, created_us, modified_us, version_us, state"
#define SQL_PUT                                                                                    \
    "INSERT OR REPLACE INTO incidents (" ROW_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
#define SQL_GET "SELECT " ROW_COLS " FROM incidents WHERE id = ?1"
#define SQL_LIST                                                                                   \
    "SELECT " ROW_COLS " FROM incidents WHERE (?1 IS NULL OR status = ?1)"                         \
    " AND (?2 IS NULL OR severity = ?2) AND (?3 IS NULL OR org = ?3)"                              \
    " AND (?6 IS NULL OR modified_us < ?5 OR (modified_us = ?5 AND id > ?6))"                     \
    " ORDER BY modified_us DESC, id LIMIT ?4"
#define SQL_REF_PUT                                                                                \
    "INSERT OR IGNORE INTO incident_refs (incident_id, object_id, kind, collection_id, at_us)"     \
    " VALUES (?1, ?2, ?3, ?4, ?5)"
#define SQL_REFS                                                                                   \
    "SELECT incident_id, object_id, kind, collection_id, at_us FROM incident_refs"                 \
    " WHERE incident_id = ?1 ORDER BY at_us, object_id"

static kz_err
read_row(sqlite3_stmt *st, struct kz_incident_row *r)
{
    kz_err err;
    const unsigned char *state;

    memset(r, 0, sizeof(*r));
    err = kz_store__sqlite_text(st, 0, r->id, sizeof(r->id));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 1, r->collection_id, sizeof(r->collection_id));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 2, r->org, sizeof(r->org));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 3, r->status, sizeof(r->status));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 4, r->severity, sizeof(r->severity));
    if (err != KZ_OK)
        return err;
    r->created_us = sqlite3_column_int64(st, 5);
    r->modified_us = sqlite3_column_int64(st, 6);
    r->version_us = sqlite3_column_int64(st, 7);
    state = sqlite3_column_text(st, 8);
    r->state = kz_xstrdup(state ? (const char *)state : "{}");
    return KZ_OK;
}

kz_err
kz_store__sqlite_tx_incident_put(struct kz_store_tx *tx, const struct kz_incident_row *r)
{
    struct kz_sqlite_conn *c = kz_sqlite_tx_conn(tx);
    sqlite3_stmt *st;
    kz_err err;

    if (r == NULL || r->id[0] == '\0' || r->state == NULL)
        return KZ_ERR_INVALID;
    err = kz_store__sqlite_prepare(c, SQL_PUT, &st);
    if (err != KZ_OK)
        return err;
    kz_store__sqlite_bind_text(st, 1, r->id);
    kz_store__sqlite_bind_text(st, 2, r->collection_id);
    kz_store__sqlite_bind_text(st, 3, r->org);
    kz_store__sqlite_bind_text(st, 4, r->status);
    kz_store__sqlite_bind_text(st, 5, r->severity);
    sqlite3_bind_int64(st, 6, r->created_us);
    sqlite3_bind_int64(st, 7, r->modified_us);
    sqlite3_bind_int64(st, 8, r->version_us);
    kz_store__sqlite_bind_text(st, 9, r->state);
    return kz_store__sqlite_step_done(c, st, "incident put");
}

static kz_err
get_on(struct kz_sqlite_conn *c, const char *id, struct kz_incident_row *out)
{
    sqlite3_stmt *st;
    int rc;
    kz_err err;

    if (id == NULL)
        return KZ_ERR_INVALID;
    err = kz_store__sqlite_prepare(c, SQL_GET, &st);
    if (err != KZ_OK)
        return err;
    kz_store__sqlite_bind_text(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        err = read_row(st, out);
    else if (rc == SQLITE_DONE)
        err = KZ_ERR_NOTFOUND;
    else
        err = kz_store__sqlite_fail(c, rc, "incident get");
    sqlite3_reset(st);
    return err;
}

kz_err
kz_store__sqlite_tx_incident_get(struct kz_store_tx *tx, const char *id,
                                 struct kz_incident_row *out)
{
    return get_on(kz_sqlite_tx_conn(tx), id, out);
}

kz_err
kz_store__sqlite_incident_get(struct kz_store *store, const char *id, struct kz_incident_row *out)
{
    struct kz_sqlite *s = kz_sqlite_of(store);
    struct kz_sqlite_conn *c = NULL;
    kz_err err = kz_store__sqlite_acquire(s, &c);

    if (err != KZ_OK)
        return err;
    err = get_on(c, id, out);
    kz_store__sqlite_release(s, c);
    return err;
}

kz_err
kz_store__sqlite_incident_list(struct kz_store *store, const struct kz_incident_filter *f,
                               void (*fn)(void *ctx, const struct kz_incident_row *row), void *ctx,
                               bool *more)
{
    struct kz_sqlite *s = kz_sqlite_of(store);
    struct kz_sqlite_conn *c = NULL;
    struct kz_incident_row *rows = NULL;
    size_t n = 0;
    sqlite3_stmt *st;
    int rc;
    kz_err err;

    if (f->limit > 100000)
        return KZ_ERR_LIMIT;
    err = kz_store__sqlite_acquire(s, &c);
    if (err != KZ_OK)
        return err;
    err = kz_store__sqlite_prepare(c, SQL_LIST, &st);
    if (err != KZ_OK)
        goto done;
    kz_store__sqlite_bind_text(st, 1, f->status);
    kz_store__sqlite_bind_text(st, 2, f->severity);
    kz_store__sqlite_bind_text(st, 3, f->org);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)f->limit + 1); /* one more tells of a next page */
    sqlite3_bind_int64(st, 5, f->after_modified_us);
    kz_store__sqlite_bind_text(st, 6, f->after_id);
    rows = kz_xcalloc(f->limit + 1, sizeof(*rows));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && n <= f->limit) {
        err = read_row(st, &rows[n]);
        if (err != KZ_OK)
            break;
        n++;
    }
    sqlite3_reset(st);
    if (err == KZ_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = kz_store__sqlite_fail(c, rc, "incident list");
done:
    kz_store__sqlite_release(s, c);
    if (err == KZ_OK) {
        *more = n > f->limit;
        for (size_t i = 0; i < n && i < f->limit; i++)
            fn(ctx, &rows[i]);
    }
    for (size_t i = 0; rows && i < n; i++)
        kz_incident_row_release(&rows[i]);
    free(rows);
    return err;
}

kz_err
kz_store__sqlite_tx_incident_ref_put(struct kz_store_tx *tx, const struct kz_incident_ref *ref)
{
    struct kz_sqlite_conn *c = kz_sqlite_tx_conn(tx);
    sqlite3_stmt *st;
    kz_err err;

    if (ref == NULL || ref->incident_id[0] == '\0' || ref->object_id[0] == '\0')
        return KZ_ERR_INVALID;
    err = kz_store__sqlite_prepare(c, SQL_REF_PUT, &st);
    if (err != KZ_OK)
        return err;
    kz_store__sqlite_bind_text(st, 1, ref->incident_id);
    kz_store__sqlite_bind_text(st, 2, ref->object_id);
    kz_store__sqlite_bind_text(st, 3, ref->kind);
    kz_store__sqlite_bind_text(st, 4, ref->collection_id);
    sqlite3_bind_int64(st, 5, ref->at_us);
    return kz_store__sqlite_step_done(c, st, "incident ref put");
}

kz_err
kz_store__sqlite_incident_refs(struct kz_store *store, const char *incident_id,
                               void (*fn)(void *ctx, const struct kz_incident_ref *ref), void *ctx)
{
    struct kz_sqlite *s = kz_sqlite_of(store);
    struct kz_sqlite_conn *c = NULL;
    struct kz_incident_ref *refs = NULL;
    size_t n = 0, cap = 0;
    sqlite3_stmt *st;
    int rc;
    kz_err err;

    if (incident_id == NULL)
        return KZ_ERR_INVALID;
    err = kz_store__sqlite_acquire(s, &c);
    if (err != KZ_OK)
        return err;
    err = kz_store__sqlite_prepare(c, SQL_REFS, &st);
    if (err != KZ_OK)
        goto done;
    kz_store__sqlite_bind_text(st, 1, incident_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct kz_incident_ref *r;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            refs = kz_xrealloc(refs, cap * sizeof(*refs));
        }
        r = &refs[n];
        memset(r, 0, sizeof(*r));
        err = kz_store__sqlite_text(st, 0, r->incident_id, sizeof(r->incident_id));
        if (err == KZ_OK)
            err = kz_store__sqlite_text(st, 1, r->object_id, sizeof(r->object_id));
        if (err == KZ_OK)
            err = kz_store__sqlite_text(st, 2, r->kind, sizeof(r->kind));
        if (err == KZ_OK)
            err = kz_store__sqlite_text(st, 3, r->collection_id, sizeof(r->collection_id));
        if (err != KZ_OK)
            break;
        r->at_us = sqlite3_column_int64(st, 4);
        n++;
    }
    sqlite3_reset(st);
    if (err == KZ_OK && rc != SQLITE_DONE)
        err = kz_store__sqlite_fail(c, rc, "incident refs");
done:
    kz_store__sqlite_release(s, c);
    for (size_t i = 0; err == KZ_OK && i < n; i++)
        fn(ctx, &refs[i]);
    free(refs);
    return err;
}
