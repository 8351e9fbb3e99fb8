/*
 * Sectors, organisations, keys and collections in the SQLite backend. Lists are read
 * whole before the callback runs, so that a failed read never calls it and a callback may
 * use the store freely.
 */
#include "store/sqlite_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/str.h"
#include "base/banned.h"

typedef void (*bind_fn)(sqlite3_stmt *st, const void *arg);
typedef kz_err (*row_fn)(sqlite3_stmt *st, void *elem);

/* Runs one statement that changes rows, in a write transaction; *changes may be NULL. */
static kz_err
write_one(struct kz_store *store, const char *sql, bind_fn bind, const void *arg, const char *what,
          int *changes)
{
    struct kz_sqlite *s = kz_sqlite_of(store);
    struct kz_sqlite_conn *c = NULL;
    sqlite3_stmt *st;
    bool in_tx = false;
    int rc, n;
    kz_err err;

    err = kz_store__sqlite_begin_write(s, &c);
    if (err != KZ_OK)
        return err;
    in_tx = true;
    err = kz_store__sqlite_prepare(c, sql, &st);
    if (err != KZ_OK)
        goto done;
    bind(st, arg);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        err = kz_store__sqlite_fail(c, rc, what);
        goto done;
    }
    n = sqlite3_changes(c->db);
    in_tx = false;
    err = kz_store__sqlite_commit(s, c);
    if (err == KZ_OK && changes)
        *changes = n;
done:
    if (in_tx)
        kz_store__sqlite_rollback(s, c);
    return err;
}

/* Reads every row of a query into a new array of elem_size elements. */
static kz_err
read_all(struct kz_store *store, const char *sql, bind_fn bind, const void *arg, size_t elem_size,
         row_fn row, void **out, size_t *n_out)
{
    struct kz_sqlite *s = kz_sqlite_of(store);
    struct kz_sqlite_conn *c = NULL;
    sqlite3_stmt *st;
    char *items = NULL;
    size_t n = 0, cap = 0;
    int rc;
    kz_err err;

    err = kz_store__sqlite_acquire(s, &c);
    if (err != KZ_OK)
        return err;
    err = kz_store__sqlite_prepare(c, sql, &st);
    if (err != KZ_OK)
        goto done;
    if (bind)
        bind(st, arg);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            items = kz_xrealloc(items, cap * elem_size);
        }
        memset(items + n * elem_size, 0, elem_size);
        err = row(st, items + n * elem_size);
        if (err != KZ_OK) {
            kz_log(KZ_LOG_ERROR, "stored field too long for its buffer query='%.40s'", sql);
            err = KZ_ERR_STORE;
            goto done;
        }
        n++;
    }
    if (rc != SQLITE_DONE) {
        err = kz_store__sqlite_fail(c, rc, sql);
        goto done;
    }
    *out = items;
    *n_out = n;
    items = NULL;
done:
    kz_store__sqlite_release(s, c);
    free(items);
    return err;
}

static void
bind_text1(sqlite3_stmt *st, const void *arg)
{
    kz_store__sqlite_bind_text(st, 1, arg);
}

/* Reads the one row that key selects into out; NOTFOUND when there is none. */
static kz_err
read_one(struct kz_store *store, const char *sql, const char *key, size_t elem_size, row_fn row,
         void *out)
{
    void *items = NULL;
    size_t n = 0;
    kz_err err;

    if (key == NULL)
        return KZ_ERR_INVALID;
    err = read_all(store, sql, bind_text1, key, elem_size, row, &items, &n);
    if (err == KZ_OK && n == 0)
        err = KZ_ERR_NOTFOUND;
    if (err == KZ_OK)
        memcpy(out, items, elem_size);
    free(items);
    return err;
}

/* ---- sectors ---- */

struct sector_row {
    char name[KZ_SLUG_MAX];
};

static kz_err
sector_row(sqlite3_stmt *st, void *elem)
{
    struct sector_row *r = elem;
    return kz_store__sqlite_text(st, 0, r->name, sizeof(r->name));
}

kz_err
kz_store__sqlite_sector_add(struct kz_store *s, const char *name)
{
    if (name == NULL || name[0] == '\0')
        return KZ_ERR_INVALID;
    if (strlen(name) >= KZ_SLUG_MAX)
        return KZ_ERR_LIMIT;
    return write_one(s, "INSERT INTO sectors (name) VALUES (?1)", bind_text1, name, "sector add",
                     NULL);
}

bool
kz_store__sqlite_sector_exists(struct kz_store *s, const char *name)
{
    struct sector_row r;

    return name && read_one(s, "SELECT name FROM sectors WHERE name = ?1", name, sizeof(r),
                            sector_row, &r) == KZ_OK;
}

kz_err
kz_store__sqlite_sector_list(struct kz_store *s, void (*fn)(void *ctx, const char *name), void *ctx)
{
    struct sector_row *rows = NULL;
    size_t n = 0;
    kz_err err = read_all(s, "SELECT name FROM sectors ORDER BY name", NULL, NULL, sizeof(*rows),
                          sector_row, (void **)&rows, &n);

    for (size_t i = 0; err == KZ_OK && i < n; i++)
        fn(ctx, rows[i].name);
    free(rows);
    return err;
}

/* ---- organisations ---- */

#define ORG_COLS "slug, name, type, coalesce(sector, ''), country, identity_id, created_us"

static kz_err
org_row(sqlite3_stmt *st, void *elem)
{
    struct kz_org *o = elem;
    kz_err err = kz_store__sqlite_text(st, 0, o->slug, sizeof(o->slug));

    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 1, o->name, sizeof(o->name));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 2, o->type, sizeof(o->type));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 3, o->sector, sizeof(o->sector));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 4, o->country, sizeof(o->country));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 5, o->identity_id, sizeof(o->identity_id));
    o->created_us = sqlite3_column_int64(st, 6);
    return err;
}

static void
bind_org(sqlite3_stmt *st, const void *arg)
{
    const struct kz_org *o = arg;

    kz_store__sqlite_bind_text(st, 1, o->slug);
    kz_store__sqlite_bind_text(st, 2, o->name);
    kz_store__sqlite_bind_text(st, 3, o->type);
    kz_store__sqlite_bind_text(st, 4, o->sector[0] ? o->sector : NULL);
    kz_store__sqlite_bind_text(st, 5, o->country);
    kz_store__sqlite_bind_text(st, 6, o->identity_id);
    sqlite3_bind_int64(st, 7, o->created_us);
}

/* True when every string of a fixed-size field is NUL-terminated within it. */
#define FIELD_OK(f) (memchr((f), '\0', sizeof(f)) != NULL)

kz_err
kz_store__sqlite_org_add(struct kz_store *s, const struct kz_org *org)
{
    if (org == NULL || !FIELD_OK(org->slug) || !FIELD_OK(org->name) || !FIELD_OK(org->type) ||
        !FIELD_OK(org->sector) || !FIELD_OK(org->country) || !FIELD_OK(org->identity_id))
        return KZ_ERR_INVALID;
    if (org->slug[0] == '\0')
        return KZ_ERR_INVALID;
    return write_one(s,
                     "INSERT INTO orgs (slug, name, type, sector, country, identity_id, created_us)"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                     bind_org, org, "organisation add", NULL);
}

kz_err
kz_store__sqlite_org_get(struct kz_store *s, const char *slug, struct kz_org *out)
{
    struct kz_org o;
    kz_err err =
        read_one(s, "SELECT " ORG_COLS " FROM orgs WHERE slug = ?1", slug, sizeof(o), org_row, &o);

    if (err == KZ_OK)
        *out = o;
    return err;
}

kz_err
kz_store__sqlite_org_list(struct kz_store *s, void (*fn)(void *ctx, const struct kz_org *org),
                          void *ctx)
{
    struct kz_org *rows = NULL;
    size_t n = 0;
    kz_err err = read_all(s, "SELECT " ORG_COLS " FROM orgs ORDER BY slug", NULL, NULL,
                          sizeof(*rows), org_row, (void **)&rows, &n);

    for (size_t i = 0; err == KZ_OK && i < n; i++)
        fn(ctx, &rows[i]);
    free(rows);
    return err;
}

kz_err
kz_store__sqlite_org_by_identity(struct kz_store *s, const char *identity_id, struct kz_org *out)
{
    struct kz_org o;
    kz_err err;

    if (identity_id == NULL || identity_id[0] == '\0')
        return KZ_ERR_NOTFOUND;
    /* The "<> ''" term lets SQLite use the partial unique index. */
    err = read_one(s, "SELECT " ORG_COLS " FROM orgs WHERE identity_id = ?1 AND identity_id <> ''",
                   identity_id, sizeof(o), org_row, &o);
    if (err == KZ_OK)
        *out = o;
    return err;
}

/* ---- keys ---- */

#define KEY_COLS "id, org, role, hash, created_us, revoked_us"

static kz_err
key_row(sqlite3_stmt *st, void *elem)
{
    struct kz_key *k = elem;
    kz_err err = kz_store__sqlite_text(st, 0, k->id, sizeof(k->id));
    const void *hash;

    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 1, k->org, sizeof(k->org));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 2, k->role, sizeof(k->role));
    hash = sqlite3_column_blob(st, 3);
    if (err == KZ_OK && (hash == NULL || sqlite3_column_bytes(st, 3) != (int)sizeof(k->hash)))
        err = KZ_ERR_LIMIT;
    if (err == KZ_OK)
        memcpy(k->hash, hash, sizeof(k->hash));
    k->created_us = sqlite3_column_int64(st, 4);
    k->revoked_us = sqlite3_column_int64(st, 5);
    return err;
}

static void
bind_key(sqlite3_stmt *st, const void *arg)
{
    const struct kz_key *k = arg;

    kz_store__sqlite_bind_text(st, 1, k->id);
    kz_store__sqlite_bind_text(st, 2, k->org);
    kz_store__sqlite_bind_text(st, 3, k->role);
    sqlite3_bind_blob(st, 4, k->hash, (int)sizeof(k->hash), SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, k->created_us);
    sqlite3_bind_int64(st, 6, k->revoked_us);
}

kz_err
kz_store__sqlite_key_add(struct kz_store *s, const struct kz_key *key)
{
    if (key == NULL || !FIELD_OK(key->id) || !FIELD_OK(key->org) || !FIELD_OK(key->role) ||
        key->id[0] == '\0')
        return KZ_ERR_INVALID;
    return write_one(s, "INSERT INTO keys (" KEY_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)", bind_key,
                     key, "key add", NULL);
}

kz_err
kz_store__sqlite_key_get(struct kz_store *s, const char *id, struct kz_key *out)
{
    struct kz_key k;
    kz_err err =
        read_one(s, "SELECT " KEY_COLS " FROM keys WHERE id = ?1", id, sizeof(k), key_row, &k);

    if (err == KZ_OK)
        *out = k;
    return err;
}

kz_err
kz_store__sqlite_key_list(struct kz_store *s, void (*fn)(void *ctx, const struct kz_key *key),
                          void *ctx)
{
    struct kz_key *rows = NULL;
    size_t n = 0;
    kz_err err = read_all(s, "SELECT " KEY_COLS " FROM keys ORDER BY created_us, id", NULL, NULL,
                          sizeof(*rows), key_row, (void **)&rows, &n);

    for (size_t i = 0; err == KZ_OK && i < n; i++)
        fn(ctx, &rows[i]);
    free(rows);
    return err;
}

struct revoke_args {
    const char *id;
    int64_t now_us;
};

static void
bind_revoke(sqlite3_stmt *st, const void *arg)
{
    const struct revoke_args *a = arg;

    kz_store__sqlite_bind_text(st, 1, a->id);
    sqlite3_bind_int64(st, 2, a->now_us);
}

kz_err
kz_store__sqlite_key_revoke(struct kz_store *s, const char *id, int64_t now_us)
{
    struct revoke_args a = {id, now_us};
    int changes = 0;
    kz_err err;

    if (id == NULL)
        return KZ_ERR_INVALID;
    /* A second revocation keeps the first time. */
    err = write_one(s,
                    "UPDATE keys SET revoked_us = CASE WHEN revoked_us = 0 THEN ?2"
                    " ELSE revoked_us END WHERE id = ?1",
                    bind_revoke, &a, "key revoke", &changes);
    if (err == KZ_OK && changes == 0)
        err = KZ_ERR_NOTFOUND;
    return err;
}

/* ---- collections ---- */

#define COLL_COLS "id, alias, title, description, readers, writers, max_tlp, created_us"

static kz_err
coll_row(sqlite3_stmt *st, void *elem)
{
    struct kz_collection *c = elem;
    kz_err err = kz_store__sqlite_text(st, 0, c->id, sizeof(c->id));

    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 1, c->alias, sizeof(c->alias));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 2, c->title, sizeof(c->title));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 3, c->description, sizeof(c->description));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 4, c->readers, sizeof(c->readers));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 5, c->writers, sizeof(c->writers));
    c->max_tlp = (enum kz_tlp)sqlite3_column_int(st, 6);
    c->created_us = sqlite3_column_int64(st, 7);
    return err;
}

static void
bind_coll(sqlite3_stmt *st, const void *arg)
{
    const struct kz_collection *c = arg;

    kz_store__sqlite_bind_text(st, 1, c->id);
    kz_store__sqlite_bind_text(st, 2, c->alias);
    kz_store__sqlite_bind_text(st, 3, c->title);
    kz_store__sqlite_bind_text(st, 4, c->description);
    kz_store__sqlite_bind_text(st, 5, c->readers);
    kz_store__sqlite_bind_text(st, 6, c->writers);
    sqlite3_bind_int(st, 7, (int)c->max_tlp);
    sqlite3_bind_int64(st, 8, c->created_us);
}

kz_err
kz_store__sqlite_collection_add(struct kz_store *s, const struct kz_collection *c)
{
    if (c == NULL || !FIELD_OK(c->id) || !FIELD_OK(c->alias) || !FIELD_OK(c->title) ||
        !FIELD_OK(c->description) || !FIELD_OK(c->readers) || !FIELD_OK(c->writers) ||
        c->id[0] == '\0')
        return KZ_ERR_INVALID;
    /* An alias that is another collection's id would make lookups ambiguous. */
    if (c->alias[0] && strcmp(c->alias, c->id) != 0) {
        struct kz_collection other;
        if (kz_store__sqlite_collection_get(s, c->alias, &other) == KZ_OK)
            return KZ_ERR_CONFLICT;
    }
    return write_one(
        s, "INSERT INTO collections (" COLL_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        bind_coll, c, "collection add", NULL);
}

kz_err
kz_store__sqlite_collection_get(struct kz_store *s, const char *id_or_alias,
                                struct kz_collection *out)
{
    struct kz_collection *c = kz_xmalloc(sizeof(*c));
    kz_err err;

    /* By id first: an id always wins over an alias. */
    err = read_one(s, "SELECT " COLL_COLS " FROM collections WHERE id = ?1", id_or_alias,
                   sizeof(*c), coll_row, c);
    if (err == KZ_ERR_NOTFOUND)
        err = read_one(s, "SELECT " COLL_COLS " FROM collections WHERE alias = ?1 AND alias <> ''",
                       id_or_alias, sizeof(*c), coll_row, c);
    if (err == KZ_OK)
        *out = *c;
    free(c);
    return err;
}

kz_err
kz_store__sqlite_collection_list(struct kz_store *s,
                                 void (*fn)(void *ctx, const struct kz_collection *c), void *ctx)
{
    struct kz_collection *rows = NULL;
    size_t n = 0;
    kz_err err = read_all(s, "SELECT " COLL_COLS " FROM collections ORDER BY num", NULL, NULL,
                          sizeof(*rows), coll_row, (void **)&rows, &n);

    for (size_t i = 0; err == KZ_OK && i < n; i++)
        fn(ctx, &rows[i]);
    free(rows);
    return err;
}
