/*
 * TAXII status resources in the SQLite backend: one row per envelope in statuses and one
 * per object in status_entries. Putting a status again replaces it whole.
 */
#include "store/sqlite_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/str.h"
#include "base/banned.h"

#define SQL_STATUS_UPSERT                                                                          \
    "INSERT INTO statuses (id, collection_id, org, request_us) VALUES (?1, ?2, ?3, ?4)"            \
    " ON CONFLICT (id) DO UPDATE SET collection_id = ?2, org = ?3, request_us = ?4"
#define SQL_ENTRIES_CLEAR "DELETE FROM status_entries WHERE status_id = ?1"
#define SQL_ENTRY_ADD                                                                              \
    "INSERT INTO status_entries (status_id, seq, object_id, version, kind, message)"               \
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
#define SQL_STATUS_GET "SELECT collection_id, org, request_us FROM statuses WHERE id = ?1"
#define SQL_ENTRIES_GET                                                                            \
    "SELECT object_id, version, kind, message FROM status_entries WHERE status_id = ?1"            \
    " ORDER BY seq"

kz_err
kz_store__sqlite_tx_status_put(struct kz_store_tx *tx, const struct kz_status *stat)
{
    struct kz_sqlite_conn *c = kz_sqlite_tx_conn(tx);
    sqlite3_stmt *st;
    kz_err err;

    if (stat == NULL || stat->id[0] == '\0' || (stat->n && stat->entries == NULL))
        return KZ_ERR_INVALID;
    err = kz_store__sqlite_prepare(c, SQL_STATUS_UPSERT, &st);
    if (err != KZ_OK)
        return err;
    kz_store__sqlite_bind_text(st, 1, stat->id);
    kz_store__sqlite_bind_text(st, 2, stat->collection_id);
    kz_store__sqlite_bind_text(st, 3, stat->org);
    sqlite3_bind_int64(st, 4, stat->request_us);
    err = kz_store__sqlite_step_done(c, st, "status put");
    if (err != KZ_OK)
        return err;
    err = kz_store__sqlite_prepare(c, SQL_ENTRIES_CLEAR, &st);
    if (err != KZ_OK)
        return err;
    kz_store__sqlite_bind_text(st, 1, stat->id);
    err = kz_store__sqlite_step_done(c, st, "status put");
    for (size_t i = 0; err == KZ_OK && i < stat->n; i++) {
        const struct kz_status_entry *e = &stat->entries[i];
        err = kz_store__sqlite_prepare(c, SQL_ENTRY_ADD, &st);
        if (err != KZ_OK)
            return err;
        kz_store__sqlite_bind_text(st, 1, stat->id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
        sqlite3_bind_text(st, 3, e->id, (int)strnlen(e->id, sizeof(e->id)), SQLITE_STATIC);
        sqlite3_bind_text(st, 4, e->version, (int)strnlen(e->version, sizeof(e->version)),
                          SQLITE_STATIC);
        sqlite3_bind_int(st, 5, (int)e->kind);
        sqlite3_bind_text(st, 6, e->message, (int)strnlen(e->message, sizeof(e->message)),
                          SQLITE_STATIC);
        err = kz_store__sqlite_step_done(c, st, "status entry put");
    }
    return err;
}

kz_err
kz_store__sqlite_status_get(struct kz_store *store, const char *id, struct kz_status *out)
{
    struct kz_sqlite *s = kz_sqlite_of(store);
    struct kz_sqlite_conn *c = NULL;
    struct kz_status stat;
    sqlite3_stmt *st;
    size_t cap = 0;
    bool began = false;
    int rc;
    kz_err err;

    if (id == NULL)
        return KZ_ERR_INVALID;
    memset(&stat, 0, sizeof(stat));
    if (kz_cstr_copy(id, stat.id, sizeof(stat.id)) != KZ_OK)
        return KZ_ERR_NOTFOUND;
    err = kz_store__sqlite_acquire(s, &c);
    if (err != KZ_OK)
        return err;
    /* The head and the entries from one snapshot. */
    err = kz_store__sqlite_snapshot_begin(c, &began);
    if (err != KZ_OK)
        goto done;
    err = kz_store__sqlite_prepare(c, SQL_STATUS_GET, &st);
    if (err != KZ_OK)
        goto done;
    kz_store__sqlite_bind_text(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        err = KZ_ERR_NOTFOUND;
        goto done;
    }
    if (rc != SQLITE_ROW) {
        err = kz_store__sqlite_fail(c, rc, "status get");
        goto done;
    }
    err = kz_store__sqlite_text(st, 0, stat.collection_id, sizeof(stat.collection_id));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 1, stat.org, sizeof(stat.org));
    stat.request_us = sqlite3_column_int64(st, 2);
    sqlite3_reset(st);
    if (err != KZ_OK)
        goto done;
    err = kz_store__sqlite_prepare(c, SQL_ENTRIES_GET, &st);
    if (err != KZ_OK)
        goto done;
    kz_store__sqlite_bind_text(st, 1, id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct kz_status_entry *e;
        if (stat.n == cap) {
            cap = cap ? cap * 2 : 16;
            stat.entries = kz_xrealloc(stat.entries, cap * sizeof(*stat.entries));
        }
        e = &stat.entries[stat.n];
        memset(e, 0, sizeof(*e));
        err = kz_store__sqlite_text(st, 0, e->id, sizeof(e->id));
        if (err == KZ_OK)
            err = kz_store__sqlite_text(st, 1, e->version, sizeof(e->version));
        if (err == KZ_OK)
            err = kz_store__sqlite_text(st, 3, e->message, sizeof(e->message));
        if (err != KZ_OK)
            goto done;
        e->kind = (enum kz_status_kind)sqlite3_column_int(st, 2);
        stat.n++;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        err = kz_store__sqlite_fail(c, rc, "status entries get");
        goto done;
    }
    *out = stat;
    memset(&stat, 0, sizeof(stat));
done:
    kz_store__sqlite_snapshot_end(c, began);
    kz_store__sqlite_release(s, c);
    kz_status_release(&stat);
    return err;
}
