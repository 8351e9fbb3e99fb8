/*
 * The SQLite backend: opening "sqlite:PATH" (WAL, synchronous=FULL, foreign keys), a pool
 * of connections so that each thread works on its own, a per-connection cache of prepared
 * statements, write transactions, and the mapping of SQLite errors to kz_err.
 */
#include "store/sqlite_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "base/id.h"
#include "base/log.h"
#include "base/str.h"
#include "base/banned.h"

kz_err
kz_store__sqlite_fail(struct kz_sqlite_conn *c, int rc, const char *what)
{
    int ext = c && c->db ? sqlite3_extended_errcode(c->db) : rc;

    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
        if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
            return KZ_ERR_CONFLICT;
        if (ext == SQLITE_CONSTRAINT_FOREIGNKEY)
            return KZ_ERR_NOTFOUND;
    }
    kz_log(KZ_LOG_ERROR, "sqlite failed op='%s' code=%d err='%s'", what, ext,
           c && c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
    return KZ_ERR_STORE;
}

kz_err
kz_store__sqlite_exec(struct kz_sqlite_conn *c, const char *sql)
{
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);

    if (rc != SQLITE_OK)
        return kz_store__sqlite_fail(c, rc, sql);
    return KZ_OK;
}

kz_err
kz_store__sqlite_step_done(struct kz_sqlite_conn *c, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);

    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return kz_store__sqlite_fail(c, rc, what);
    return KZ_OK;
}

kz_err
kz_store__sqlite_text(sqlite3_stmt *st, int col, char *dst, size_t dstlen)
{
    const unsigned char *t = sqlite3_column_text(st, col);

    return kz_cstr_copy(t ? (const char *)t : "", dst, dstlen);
}

int
kz_store__sqlite_bind_text(sqlite3_stmt *st, int idx, const char *s)
{
    if (s == NULL)
        return sqlite3_bind_null(st, idx);
    return sqlite3_bind_text(st, idx, s, -1, SQLITE_STATIC);
}

/* The 16 bytes of "<type>--<uuid>" when id has that form, in lower case (so that it
 * reads back byte for byte). */
static bool
stix_uuid_bytes(const char *id, const char *type, unsigned char out[16])
{
    char back[KZ_UUID_TEXT_LEN + 1];
    size_t tl = strlen(type);

    if (strncmp(id, type, tl) != 0 || strncmp(id + tl, "--", 2) != 0 ||
        !kz_uuid_parse(kz_str_from_cstr(id + tl + 2), out))
        return false;
    kz_uuid_format(out, back);
    return strcmp(back, id + tl + 2) == 0;
}

int
kz_store__sqlite_bind_stix_id(sqlite3_stmt *st, int idx, const char *id, const char *type)
{
    unsigned char b[16];

    if (id && stix_uuid_bytes(id, type, b))
        return sqlite3_bind_blob(st, idx, b, sizeof(b), SQLITE_TRANSIENT);
    return kz_store__sqlite_bind_text(st, idx, id);
}

kz_err
kz_store__sqlite_stix_id(sqlite3_stmt *st, int col, const char *type, char *dst, size_t dstlen)
{
    const unsigned char *b;
    int len;

    if (sqlite3_column_type(st, col) != SQLITE_BLOB)
        return kz_store__sqlite_text(st, col, dst, dstlen);
    b = sqlite3_column_blob(st, col);
    len = sqlite3_column_bytes(st, col);
    if (len != 16)
        return KZ_ERR_STORE;
    len = snprintf(dst, dstlen, "%s--", type);
    if (len < 0 || (size_t)len + KZ_UUID_TEXT_LEN >= dstlen)
        return KZ_ERR_LIMIT;
    kz_uuid_format(b, dst + len);
    return KZ_OK;
}

kz_err
kz_store__sqlite_prepare(struct kz_sqlite_conn *c, const char *sql, sqlite3_stmt **out)
{
    struct kz_sqlite_cached *slot;
    sqlite3_stmt *st = NULL;
    size_t i;
    int rc;

    /* Most SQL is a string literal: its address finds the slot, and one compare makes sure
     * (a built query may sit where another one was). */
    for (i = 0; i < c->n_cache && c->cache[i].text != sql; i++)
        ;
    if (i == c->n_cache || strcmp(c->cache[i].sql, sql) != 0)
        for (i = 0; i < c->n_cache && strcmp(c->cache[i].sql, sql) != 0; i++)
            ;
    if (i < c->n_cache) {
        sqlite3_reset(c->cache[i].st);
        sqlite3_clear_bindings(c->cache[i].st);
        *out = c->cache[i].st;
        return KZ_OK;
    }
    rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK)
        return kz_store__sqlite_fail(c, rc, "prepare");
    if (c->n_cache < KZ_SQLITE_STMT_CACHE) {
        slot = &c->cache[c->n_cache++];
    } else {
        slot = &c->cache[c->evict];
        c->evict = (c->evict + 1) % KZ_SQLITE_STMT_CACHE;
        sqlite3_finalize(slot->st);
        free(slot->sql);
    }
    slot->sql = kz_xstrdup(sql);
    slot->text = sql;
    slot->st = st;
    *out = st;
    return KZ_OK;
}

static void
conn_free(struct kz_sqlite_conn *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n_cache; i++) {
        sqlite3_finalize(c->cache[i].st);
        free(c->cache[i].sql);
    }
    if (c->db && sqlite3_close(c->db) != SQLITE_OK)
        kz_log(KZ_LOG_WARN, "cannot close sqlite connection err='%s'", sqlite3_errmsg(c->db));
    free(c);
}

static kz_err
conn_open(const char *path, struct kz_sqlite_conn **out)
{
    struct kz_sqlite_conn *c = kz_xcalloc(1, sizeof(*c));
    int rc;
    kz_err err;

    rc = sqlite3_open_v2(path, &c->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        kz_log(KZ_LOG_ERROR, "cannot open database path='%s' err='%s'", path,
               c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        err = KZ_ERR_STORE;
        goto done;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, KZ_SQLITE_BUSY_MS);
    /* WAL lets readers run beside the writer; FULL syncs the WAL at every commit so that an
     * acknowledged write survives a crash or power loss. */
    err = kz_store__sqlite_exec(c, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                                   "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;"
                                   "PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;");
    if (err != KZ_OK)
        goto done;
    *out = c;
    c = NULL;
done:
    conn_free(c);
    return err;
}

/*
 * The read snapshot of this thread (kz_store_read_begin): while it is open, every read of
 * the thread on that store runs on this connection inside one transaction.
 */
static _Thread_local struct {
    struct kz_sqlite *s;
    struct kz_sqlite_conn *c;
    unsigned depth;
} pinned;

kz_err
kz_store__sqlite_acquire(struct kz_sqlite *s, struct kz_sqlite_conn **out)
{
    struct kz_sqlite_conn *c;

    if (pinned.s == s) {
        *out = pinned.c;
        return KZ_OK;
    }
    pthread_mutex_lock(&s->pool_mu);
    c = s->idle;
    if (c)
        s->idle = c->next;
    pthread_mutex_unlock(&s->pool_mu);
    if (c == NULL)
        return conn_open(s->path, out);
    c->next = NULL;
    *out = c;
    return KZ_OK;
}

void
kz_store__sqlite_release(struct kz_sqlite *s, struct kz_sqlite_conn *c)
{
    if (c == NULL)
        return;
    if (pinned.c == c) /* given back by kz_store_read_end */
        return;
    /* A statement left stepping would hold its read snapshot open. */
    for (size_t i = 0; i < c->n_cache; i++)
        sqlite3_reset(c->cache[i].st);
    if (!sqlite3_get_autocommit(c->db)) {
        kz_log(KZ_LOG_ERROR, "connection returned inside a transaction; rolling back");
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    }
    pthread_mutex_lock(&s->pool_mu);
    c->next = s->idle;
    s->idle = c;
    pthread_mutex_unlock(&s->pool_mu);
}

kz_err
kz_store__sqlite_begin_write(struct kz_sqlite *s, struct kz_sqlite_conn **out)
{
    kz_err err = KZ_OK;

    if (pinned.s == s) {
        kz_log(KZ_LOG_ERROR, "a write inside a read snapshot; refused");
        return KZ_ERR_STORE;
    }
    pthread_mutex_lock(&s->write_mu);
    if (!s->writer)
        err = conn_open(s->path, &s->writer);
    if (err == KZ_OK)
        err = kz_store__sqlite_exec(s->writer, "BEGIN IMMEDIATE");
    if (err != KZ_OK) {
        pthread_mutex_unlock(&s->write_mu);
        return err;
    }
    *out = s->writer;
    return KZ_OK;
}

kz_err
kz_store__sqlite_commit(struct kz_sqlite *s, struct kz_sqlite_conn *c)
{
    kz_err err = kz_store__sqlite_corr_flush(s, c);

    if (err == KZ_OK)
        err = kz_store__sqlite_exec(c, "COMMIT");
    if (err != KZ_OK && !sqlite3_get_autocommit(c->db))
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    kz_store__sqlite_corr_tx_end(s, err == KZ_OK);
    s->n_tx_unwanted = 0;
    pthread_mutex_unlock(&s->write_mu);
    kz_store__sqlite_corr_merge_pending(s);
    return err;
}

void
kz_store__sqlite_rollback(struct kz_sqlite *s, struct kz_sqlite_conn *c)
{
    for (size_t i = 0; i < c->n_cache; i++)
        sqlite3_reset(c->cache[i].st);
    if (!sqlite3_get_autocommit(c->db))
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    kz_store__sqlite_corr_tx_end(s, false);
    s->n_tx_unwanted = 0;
    pthread_mutex_unlock(&s->write_mu);
}

kz_err
kz_store__sqlite_snapshot_begin(struct kz_sqlite_conn *c, bool *began)
{
    *began = sqlite3_get_autocommit(c->db) != 0;
    return *began ? kz_store__sqlite_exec(c, "BEGIN") : KZ_OK;
}

void
kz_store__sqlite_snapshot_end(struct kz_sqlite_conn *c, bool began)
{
    if (began)
        sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
}

kz_err
kz_store__sqlite_read_begin(struct kz_store *store)
{
    struct kz_sqlite *s = kz_sqlite_of(store);
    struct kz_sqlite_conn *c = NULL;
    kz_err err;

    if (pinned.s == s) {
        pinned.depth++;
        return KZ_OK;
    }
    if (pinned.s != NULL) /* one snapshot per thread, on one store */
        return KZ_ERR_INVALID;
    err = kz_store__sqlite_acquire(s, &c);
    if (err == KZ_OK)
        err = kz_store__sqlite_exec(c, "BEGIN");
    if (err != KZ_OK) {
        kz_store__sqlite_release(s, c);
        return err;
    }
    pinned.s = s;
    pinned.c = c;
    pinned.depth = 1;
    return KZ_OK;
}

void
kz_store__sqlite_read_end(struct kz_store *store)
{
    struct kz_sqlite *s = kz_sqlite_of(store);
    struct kz_sqlite_conn *c = pinned.c;

    if (pinned.s != s || --pinned.depth > 0)
        return;
    pinned.s = NULL;
    pinned.c = NULL;
    for (size_t i = 0; i < c->n_cache; i++)
        sqlite3_reset(c->cache[i].st);
    sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    kz_store__sqlite_release(s, c);
}

kz_err
kz_store__sqlite_transaction(struct kz_store *store, kz_store_tx_fn fn, void *ctx)
{
    struct kz_sqlite *s = kz_sqlite_of(store);
    struct kz_sqlite_conn *c = NULL;
    struct kz_store_tx tx;
    kz_err err = kz_store__sqlite_begin_write(s, &c);

    if (err != KZ_OK)
        return err;
    tx = (struct kz_store_tx){.store = store, .backend = c};
    err = fn(ctx, &tx);
    if (err == KZ_OK)
        err = kz_store__sqlite_commit(s, c);
    else
        kz_store__sqlite_rollback(s, c);
    return err;
}

/* Creates the directories above the database file, like mkdir -p. */
static kz_err
make_parent_dirs(const char *path)
{
    char *dir = kz_xstrdup(path);
    char *slash = strrchr(dir, '/');
    kz_err err = KZ_OK;

    if (slash == NULL || slash == dir)
        goto done;
    *slash = '\0';
    for (char *p = dir + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char save = *p;
        *p = '\0';
        if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
            kz_log(KZ_LOG_ERROR, "cannot create directory path='%s' err='%s'", dir,
                   strerror(errno));
            err = KZ_ERR_IO;
            goto done;
        }
        *p = save;
        if (save == '\0')
            break;
    }
done:
    free(dir);
    return err;
}

static void sqlite_close(struct kz_store *store);

static kz_err
sqlite_open(const char *path, struct kz_store **out)
{
    struct kz_sqlite *s = NULL;
    struct kz_sqlite_conn *c = NULL;
    kz_err err;

    if (path == NULL || path[0] == '\0' || strcmp(path, ":memory:") == 0) {
        kz_log(KZ_LOG_ERROR, "sqlite url needs a file path url='sqlite:%s'", path ? path : "");
        return KZ_ERR_INVALID;
    }
    err = make_parent_dirs(path);
    if (err != KZ_OK)
        return err;
    s = kz_xcalloc(1, sizeof(*s));
    s->base.ops = &kz_store__sqlite_ops;
    s->path = kz_xstrdup(path);
    pthread_mutex_init(&s->pool_mu, NULL);
    pthread_mutex_init(&s->write_mu, NULL);
    kz_store__sqlite_corr_init(s);
    err = kz_store__sqlite_acquire(s, &c);
    if (err != KZ_OK)
        goto done;
    pthread_mutex_lock(&s->write_mu);
    err = kz_store__sqlite_migrate(c, &s->schema_version);
    pthread_mutex_unlock(&s->write_mu);
    if (err != KZ_OK)
        goto done;
    kz_store__sqlite_release(s, c);
    c = NULL;
    *out = &s->base;
    s = NULL;
done:
    if (c)
        conn_free(c);
    if (s)
        sqlite_close(&s->base);
    return err;
}

static void
sqlite_close(struct kz_store *store)
{
    struct kz_sqlite *s = kz_sqlite_of(store);
    struct kz_sqlite_conn *c, *next;

    for (c = s->idle; c; c = next) {
        next = c->next;
        conn_free(c);
    }
    conn_free(s->writer);
    pthread_mutex_destroy(&s->pool_mu);
    pthread_mutex_destroy(&s->write_mu);
    kz_store__sqlite_corr_release(s);
    free(s->path);
    free(s);
}

static int
sqlite_schema_version(struct kz_store *store)
{
    return kz_sqlite_of(store)->schema_version;
}

static kz_err
sqlite_integrity_check(struct kz_store *store, char *why, size_t whylen)
{
    struct kz_sqlite *s = kz_sqlite_of(store);
    struct kz_sqlite_conn *c = NULL;
    sqlite3_stmt *st = NULL;
    const unsigned char *t;
    int rc;
    kz_err err;

    err = kz_store__sqlite_acquire(s, &c);
    if (err != KZ_OK)
        return err;
    rc = sqlite3_prepare_v2(c->db, "PRAGMA integrity_check", -1, &st, NULL);
    if (rc != SQLITE_OK) {
        err = kz_store__sqlite_fail(c, rc, "integrity_check");
        goto done;
    }
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        err = kz_store__sqlite_fail(c, rc, "integrity_check");
        goto done;
    }
    t = sqlite3_column_text(st, 0);
    if (t == NULL || strcmp((const char *)t, "ok") != 0) {
        if (why && whylen)
            snprintf(why, whylen, "%s", t ? (const char *)t : "no answer");
        kz_log(KZ_LOG_ERROR, "database integrity check failed path='%s'", s->path);
        err = KZ_ERR_STORE;
        goto done;
    }
    err = KZ_OK;
done:
    sqlite3_finalize(st);
    kz_store__sqlite_release(s, c);
    return err;
}

const struct kz_store_ops kz_store__sqlite_ops = {
    .scheme = "sqlite",
    .open = sqlite_open,
    .close = sqlite_close,
    .schema_version = sqlite_schema_version,
    .integrity_check = sqlite_integrity_check,
    .sector_add = kz_store__sqlite_sector_add,
    .sector_exists = kz_store__sqlite_sector_exists,
    .sector_list = kz_store__sqlite_sector_list,
    .org_add = kz_store__sqlite_org_add,
    .org_get = kz_store__sqlite_org_get,
    .org_list = kz_store__sqlite_org_list,
    .org_by_identity = kz_store__sqlite_org_by_identity,
    .key_add = kz_store__sqlite_key_add,
    .key_get = kz_store__sqlite_key_get,
    .key_list = kz_store__sqlite_key_list,
    .key_revoke = kz_store__sqlite_key_revoke,
    .collection_add = kz_store__sqlite_collection_add,
    .collection_get = kz_store__sqlite_collection_get,
    .collection_list = kz_store__sqlite_collection_list,
    .transaction = kz_store__sqlite_transaction,
    .read_begin = kz_store__sqlite_read_begin,
    .read_end = kz_store__sqlite_read_end,
    .tx_objects_put = kz_store__sqlite_tx_objects_put,
    .objects_query = kz_store__sqlite_objects_query,
    .objects_delete = kz_store__sqlite_objects_delete,
    .objects_count = kz_store__sqlite_objects_count,
    .tx_status_put = kz_store__sqlite_tx_status_put,
    .status_get = kz_store__sqlite_status_get,
    .tx_incident_put = kz_store__sqlite_tx_incident_put,
    .tx_incident_get = kz_store__sqlite_tx_incident_get,
    .incident_get = kz_store__sqlite_incident_get,
    .incident_list = kz_store__sqlite_incident_list,
    .tx_incident_ref_put = kz_store__sqlite_tx_incident_ref_put,
    .incident_refs = kz_store__sqlite_incident_refs,
    .webhook_add = kz_store__sqlite_webhook_add,
    .webhook_get = kz_store__sqlite_webhook_get,
    .webhook_list = kz_store__sqlite_webhook_list,
    .webhook_delete = kz_store__sqlite_webhook_delete,
    .tx_webhooks_for = kz_store__sqlite_tx_webhooks_for,
    .tx_delivery_add = kz_store__sqlite_tx_delivery_add,
    .deliveries_list = kz_store__sqlite_deliveries_list,
    .deliveries_due = kz_store__sqlite_deliveries_due,
    .delivery_attempts = kz_store__sqlite_delivery_attempts,
    .delivery_requeue = kz_store__sqlite_delivery_requeue,
    .deliveries_prune = kz_store__sqlite_deliveries_prune,
    .corr_load = kz_store__sqlite_corr_load,
    .tx_corr_add = kz_store__sqlite_tx_corr_add,
    .tx_corr_members = kz_store__sqlite_tx_corr_members,
    .tx_alert_open = kz_store__sqlite_tx_alert_open,
    .tx_alert_get = kz_store__sqlite_tx_alert_get,
    .tx_alert_change = kz_store__sqlite_tx_alert_change,
    .tx_alert_history_add = kz_store__sqlite_tx_alert_history_add,
    .alert_get = kz_store__sqlite_alert_get,
    .alert_list = kz_store__sqlite_alert_list,
    .alert_members = kz_store__sqlite_alert_members,
    .alert_history = kz_store__sqlite_alert_history,
};
