/*
 * STIX objects in the SQLite backend: the one write path (kz_store_objects_put), paged
 * reads by date_added with the TAXII filters, deletion and counting. date_added comes from
 * the one-row clock table inside the write transaction, so it is unique across the store
 * and increases with every commit (docs/internals/store.md).
 */
#include "store/sqlite_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/str.h"
#include "base/time.h"
#include "base/banned.h"

#define SQL_COLL_NUM  "SELECT num FROM collections WHERE id = ?1"
#define SQL_CLOCK_GET "SELECT last_us FROM clock WHERE one = 1"
#define SQL_CLOCK_SET "UPDATE clock SET last_us = ?1 WHERE one = 1"
#define SQL_FIRST_ORG "SELECT org FROM objects WHERE id = ?1 ORDER BY date_added_us LIMIT 1"
#define SQL_IN_OTHER  "SELECT 1 FROM objects WHERE id = ?1 AND coll <> ?2 LIMIT 1"
#define SQL_DUP_VERSION                                                                            \
    "SELECT date_added_us FROM objects WHERE coll = ?1 AND id = ?2 AND version_us = ?3"
#define SQL_DUP_JSON "SELECT date_added_us FROM objects WHERE coll = ?1 AND id = ?2 AND json = ?3"
#define SQL_INSERT                                                                                 \
    "INSERT INTO objects (coll, id, version_us, date_added_us, type, spec_version, version,"       \
    " tlp, created_by_ref, org, json, newer_tlp)"                                                  \
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
/* newer_tlp (migration 2) of a new version, and of the older versions it joins. */
#define NEWER_NONE 99
#define SQL_NEWER_OF                                                                               \
    "SELECT coalesce(min(tlp), 99) FROM objects WHERE id = ?1 AND coll = ?2 AND version_us > ?3"
#define SQL_NEWER_SET_OLDER                                                                        \
    "UPDATE objects SET newer_tlp = min(newer_tlp, ?4)"                                            \
    " WHERE id = ?1 AND coll = ?2 AND version_us < ?3 AND newer_tlp > ?4"
#define SQL_INCIDENT_FORGET                                                                        \
    "DELETE FROM incidents WHERE id = ?1 AND collection_id = ?2"                                   \
    " AND NOT EXISTS (SELECT 1 FROM objects WHERE id = ?1 AND coll = ?3)"
#define SQL_INCIDENT_REFS_FORGET "DELETE FROM incident_refs WHERE incident_id = ?1"
#define SQL_NEWER_RECOMPUTE                                                                        \
    "UPDATE objects SET newer_tlp = coalesce((SELECT min(v.tlp) FROM objects v"                    \
    " WHERE v.coll = objects.coll AND v.id = objects.id AND v.version_us > objects.version_us),"   \
    " 99) WHERE id = ?1 AND coll = ?2"
#define SQL_COUNT "SELECT count(*) FROM objects WHERE coll = ?1"

/* Room for a generated query: fixed text plus one "?," per filter value. */
#define QUERY_SQL_MAX (64u * 1024)

/* The number of a collection by its UUID; NOTFOUND when there is none. */
static kz_err
coll_num(struct kz_sqlite_conn *c, const char *collection_id, int64_t *out)
{
    sqlite3_stmt *st;
    kz_err err = kz_store__sqlite_prepare(c, SQL_COLL_NUM, &st);
    int rc;

    if (err != KZ_OK)
        return err;
    kz_store__sqlite_bind_text(st, 1, collection_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else if (rc == SQLITE_DONE)
        err = KZ_ERR_NOTFOUND;
    else
        err = kz_store__sqlite_fail(c, rc, "collection lookup");
    sqlite3_reset(st);
    return err;
}

/* Runs a one-column integer query; *found tells whether a row came back. */
static kz_err
step_int(struct kz_sqlite_conn *c, sqlite3_stmt *st, const char *what, bool *found, int64_t *value)
{
    int rc = sqlite3_step(st);
    kz_err err = KZ_OK;

    if (rc == SQLITE_ROW) {
        *found = true;
        *value = sqlite3_column_int64(st, 0);
    } else if (rc == SQLITE_DONE) {
        *found = false;
    } else {
        err = kz_store__sqlite_fail(c, rc, what);
    }
    sqlite3_reset(st);
    return err;
}

static kz_err
origin_of(struct kz_sqlite_conn *c, int64_t coll, const char *id, struct kz_object_origin *o)
{
    sqlite3_stmt *st;
    bool found = false;
    int64_t one;
    int rc;
    kz_err err;

    memset(o, 0, sizeof(*o));
    err = kz_store__sqlite_prepare(c, SQL_FIRST_ORG, &st);
    if (err != KZ_OK)
        return err;
    kz_store__sqlite_bind_text(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        o->known = true;
        /* A slug never exceeds its field; a truncated one would only weaken nothing. */
        (void)kz_store__sqlite_text(st, 0, o->first_org, sizeof(o->first_org));
    } else if (rc != SQLITE_DONE) {
        err = kz_store__sqlite_fail(c, rc, "object origin");
    }
    sqlite3_reset(st);
    if (err != KZ_OK || !o->known)
        return err;
    err = kz_store__sqlite_prepare(c, SQL_IN_OTHER, &st);
    if (err != KZ_OK)
        return err;
    kz_store__sqlite_bind_text(st, 1, id);
    sqlite3_bind_int64(st, 2, coll);
    err = step_int(c, st, "object origin", &found, &one);
    if (err == KZ_OK)
        o->in_other_collection = found;
    return err;
}

/*
 * Keeps newer_tlp right as a version joins an id in a collection: *newer receives the new
 * row's value, and the older versions learn of a newer one at tlp.
 */
static kz_err
newer_tlp_link(struct kz_sqlite_conn *c, int64_t coll, const char *id, int64_t version_us,
               enum kz_tlp tlp, int64_t *newer)
{
    sqlite3_stmt *st;
    bool found = false;
    kz_err err = kz_store__sqlite_prepare(c, SQL_NEWER_OF, &st);

    if (err != KZ_OK)
        return err;
    kz_store__sqlite_bind_text(st, 1, id);
    sqlite3_bind_int64(st, 2, coll);
    sqlite3_bind_int64(st, 3, version_us);
    err = step_int(c, st, "newer versions", &found, newer);
    if (err != KZ_OK)
        return err;
    err = kz_store__sqlite_prepare(c, SQL_NEWER_SET_OLDER, &st);
    if (err != KZ_OK)
        return err;
    kz_store__sqlite_bind_text(st, 1, id);
    sqlite3_bind_int64(st, 2, coll);
    sqlite3_bind_int64(st, 3, version_us);
    sqlite3_bind_int(st, 4, (int)tlp);
    return kz_store__sqlite_step_done(c, st, "older versions");
}

static void
refuse(struct kz_put_result *r, const char *why)
{
    r->outcome = KZ_PUT_REFUSED;
    r->date_added_us = 0;
    /* A reason longer than the field is cut, not lost. */
    snprintf(r->reason, sizeof(r->reason), "%s", why);
}

/* Stores one object inside the open transaction; *next is the next free date_added. */
static kz_err
put_one(struct kz_sqlite_conn *c, int64_t coll, const char *org, const struct kz_object_in *obj,
        kz_store_check_fn check, void *check_ctx, int64_t *next, struct kz_put_result *r)
{
    struct kz_object_origin origin;
    char why[KZ_REASON_MAX];
    int64_t version_us, newer = NEWER_NONE;
    char added_text[KZ_TIME_TEXT_MAX];
    sqlite3_stmt *st;
    bool found = false;
    int64_t date_added;
    int rc;
    kz_err err;

    memset(r, 0, sizeof(*r));
    if (obj->id == NULL || obj->type == NULL || obj->spec_version == NULL || obj->json == NULL) {
        refuse(r, "the object lacks an id, a type, a spec_version or its bytes");
        return KZ_OK;
    }
    err = origin_of(c, coll, obj->id, &origin);
    if (err != KZ_OK)
        return err;
    if (check) {
        why[0] = '\0';
        kz_err verdict = check(check_ctx, obj, &origin, why, sizeof(why));
        if (verdict != KZ_OK) {
            why[sizeof(why) - 1] = '\0';
            refuse(r, why[0] ? why : kz_err_str(verdict));
            return KZ_OK;
        }
    }
    if (obj->version) {
        err = kz_store__sqlite_prepare(c, SQL_DUP_VERSION, &st);
        if (err != KZ_OK)
            return err;
        sqlite3_bind_int64(st, 3, obj->version_us);
    } else {
        err = kz_store__sqlite_prepare(c, SQL_DUP_JSON, &st);
        if (err != KZ_OK)
            return err;
        sqlite3_bind_text64(st, 3, obj->json, obj->json_len, SQLITE_STATIC, SQLITE_UTF8);
    }
    sqlite3_bind_int64(st, 1, coll);
    kz_store__sqlite_bind_text(st, 2, obj->id);
    err = step_int(c, st, "duplicate check", &found, &date_added);
    if (err != KZ_OK)
        return err;
    if (found) {
        r->outcome = KZ_PUT_DUPLICATE;
        r->date_added_us = date_added;
        return KZ_OK;
    }

    date_added = (*next)++;
    version_us = obj->version ? obj->version_us : date_added;
    /* An id seen nowhere before has no other versions: nothing to look up. */
    if (origin.known) {
        err = newer_tlp_link(c, coll, obj->id, version_us, obj->tlp, &newer);
        if (err != KZ_OK)
            return err;
    }
    err = kz_store__sqlite_prepare(c, SQL_INSERT, &st);
    if (err != KZ_OK)
        return err;
    sqlite3_bind_int64(st, 1, coll);
    kz_store__sqlite_bind_text(st, 2, obj->id);
    sqlite3_bind_int64(st, 3, version_us);
    sqlite3_bind_int64(st, 4, date_added);
    kz_store__sqlite_bind_text(st, 5, obj->type);
    kz_store__sqlite_bind_text(st, 6, obj->spec_version);
    if (obj->version) {
        kz_store__sqlite_bind_text(st, 7, obj->version);
    } else {
        kz_time_format_us(date_added, added_text);
        kz_store__sqlite_bind_text(st, 7, added_text);
    }
    sqlite3_bind_int(st, 8, (int)obj->tlp);
    kz_store__sqlite_bind_text(st, 9, obj->created_by_ref);
    kz_store__sqlite_bind_text(st, 10, org ? org : "");
    sqlite3_bind_text64(st, 11, obj->json, obj->json_len, SQLITE_STATIC, SQLITE_UTF8);
    sqlite3_bind_int64(st, 12, newer);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return kz_store__sqlite_fail(c, rc, "object insert");
    r->outcome = KZ_PUT_ADDED;
    r->date_added_us = date_added;
    return KZ_OK;
}

kz_err
kz_store__sqlite_tx_objects_put(struct kz_store_tx *tx, const char *collection_id,
                                const char *org, const struct kz_object_in *objs, size_t n,
                                kz_store_check_fn check, void *check_ctx,
                                struct kz_put_result *results)
{
    struct kz_sqlite_conn *c = kz_sqlite_tx_conn(tx);
    sqlite3_stmt *st;
    bool found = false;
    int64_t coll = 0, last = 0, first, next, now;
    kz_err err;

    if (collection_id == NULL || (n > 0 && (objs == NULL || results == NULL)))
        return KZ_ERR_INVALID;
    if (n == 0)
        return KZ_OK;
    err = coll_num(c, collection_id, &coll);
    if (err != KZ_OK)
        return err;
    err = kz_store__sqlite_prepare(c, SQL_CLOCK_GET, &st);
    if (err != KZ_OK)
        return err;
    err = step_int(c, st, "clock read", &found, &last);
    if (err != KZ_OK)
        return err;
    /* Writers are serialised, so taking the clock inside the transaction makes every
     * commit's date_added values larger than those of all earlier commits. */
    now = kz_time_now_us();
    first = next = now > last ? now : last + 1;
    for (size_t i = 0; i < n; i++) {
        err = put_one(c, coll, org, &objs[i], check, check_ctx, &next, &results[i]);
        if (err != KZ_OK)
            return err;
    }
    if (next == first)
        return KZ_OK;
    err = kz_store__sqlite_prepare(c, SQL_CLOCK_SET, &st);
    if (err != KZ_OK)
        return err;
    sqlite3_bind_int64(st, 1, next - 1);
    return kz_store__sqlite_step_done(c, st, "clock update");
}

/* Appends " AND <col> IN (?,?,...)" for n values; n == 0 adds nothing. */
static kz_err
append_in(struct kz_buf *b, const char *col, size_t n)
{
    kz_err err;

    if (n == 0)
        return KZ_OK;
    err = kz_buf_printf(b, " AND %s IN (", col);
    for (size_t i = 0; err == KZ_OK && i < n; i++)
        err = kz_buf_append_cstr(b, i ? ",?" : "?");
    if (err == KZ_OK)
        err = kz_buf_append_cstr(b, ")");
    return err;
}

enum where_flags {
    WHERE_PAGING = 1u << 0, /* added_after, types and TLP visibility apply */
};

/*
 * The filter of a query over objects o, after "WHERE". bind_where binds the same
 * parameters in the same order; keep the two in step.
 */
static kz_err
build_where(struct kz_buf *b, const struct kz_object_query *q, unsigned flags)
{
    bool paging = flags & WHERE_PAGING;
    bool hide = paging && q->max_tlp < KZ_TLP_RED;
    kz_err err;

    err = kz_buf_append_cstr(b, "o.coll = (SELECT num FROM collections WHERE id = ?)");
    if (err == KZ_OK && paging && q->added_after_us >= 0)
        err = kz_buf_append_cstr(b, " AND o.date_added_us > ?");
    if (err == KZ_OK && hide)
        err = kz_buf_append_cstr(b, " AND o.tlp <= ?");
    if (err == KZ_OK)
        err = append_in(b, "o.id", paging ? q->n_ids : 1);
    if (err == KZ_OK && paging)
        err = append_in(b, "o.type", q->n_types);
    if (err == KZ_OK)
        err = append_in(b, "o.spec_version", q->n_spec_versions);
    if (err != KZ_OK)
        return err;
    switch (q->version_match) {
    case KZ_VERSION_LAST:
        err = kz_buf_append_cstr(b, " AND o.newer_tlp > ?");
        break;
    case KZ_VERSION_FIRST:
        err = kz_buf_printf(b,
                            " AND o.version_us = (SELECT min(v.version_us) FROM objects v"
                            " WHERE v.coll = o.coll AND v.id = o.id%s)",
                            hide ? " AND v.tlp <= ?" : "");
        break;
    case KZ_VERSION_ALL:
        break;
    case KZ_VERSION_LIST:
        if (q->n_versions == 0)
            err = kz_buf_append_cstr(b, " AND 0");
        else
            err = append_in(b, "o.version_us", q->n_versions);
        break;
    default:
        err = KZ_ERR_INVALID;
        break;
    }
    return err;
}

static int
bind_where(sqlite3_stmt *st, const struct kz_object_query *q, unsigned flags)
{
    bool paging = flags & WHERE_PAGING;
    bool hide = paging && q->max_tlp < KZ_TLP_RED;
    int i = 1;

    kz_store__sqlite_bind_text(st, i++, q->collection_id);
    if (paging && q->added_after_us >= 0)
        sqlite3_bind_int64(st, i++, q->added_after_us);
    if (hide)
        sqlite3_bind_int(st, i++, (int)q->max_tlp);
    for (size_t k = 0; k < (paging ? q->n_ids : 1); k++)
        kz_store__sqlite_bind_text(st, i++, q->ids[k]);
    for (size_t k = 0; paging && k < q->n_types; k++)
        kz_store__sqlite_bind_text(st, i++, q->types[k]);
    for (size_t k = 0; k < q->n_spec_versions; k++)
        kz_store__sqlite_bind_text(st, i++, q->spec_versions[k]);
    if (q->version_match == KZ_VERSION_LAST)
        sqlite3_bind_int(st, i++, (int)(hide ? q->max_tlp : KZ_TLP_RED));
    else if (hide && q->version_match == KZ_VERSION_FIRST)
        sqlite3_bind_int(st, i++, (int)q->max_tlp);
    for (size_t k = 0; q->version_match == KZ_VERSION_LIST && k < q->n_versions; k++)
        sqlite3_bind_int64(st, i++, q->versions[k]);
    return i;
}

static bool
query_valid(const struct kz_object_query *q)
{
    if (q == NULL || q->collection_id == NULL)
        return false;
    if ((q->n_ids && q->ids == NULL) || (q->n_types && q->types == NULL) ||
        (q->n_spec_versions && q->spec_versions == NULL))
        return false;
    if (q->version_match == KZ_VERSION_LIST && q->n_versions && q->versions == NULL)
        return false;
    /* SQLite allows 32766 parameters; far more than any TAXII request may carry. */
    return q->n_ids + q->n_types + q->n_spec_versions + q->n_versions < 30000;
}

/*
 * The index a page is read through. Without statistics SQLite prefers the index that
 * avoids a sort, which for match[id] walks the whole collection; the choice is clear
 * from the shape of the query, so it is made here.
 */
static const char *
paging_index(const struct kz_object_query *q)
{
    if (q->n_ids > 0)
        return "objects_by_version"; /* a few rows per id; sorting them is cheap */
    if (q->n_types == 1)
        return "objects_by_type";
    return "objects_by_added";
}

/* Reads one row; its json goes to the end of the page's bytes, found by offset later. */
static kz_err
read_row(sqlite3_stmt *st, bool with_json, struct kz_buf *json, struct kz_object_row *r)
{
    kz_err err;

    memset(r, 0, sizeof(*r));
    err = kz_store__sqlite_text(st, 0, r->id, sizeof(r->id));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 1, r->type, sizeof(r->type));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 2, r->spec_version, sizeof(r->spec_version));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 3, r->version, sizeof(r->version));
    if (err != KZ_OK)
        return err;
    r->version_us = sqlite3_column_int64(st, 4);
    r->date_added_us = sqlite3_column_int64(st, 5);
    r->tlp = (enum kz_tlp)sqlite3_column_int(st, 6);
    if (with_json) {
        const void *p = sqlite3_column_blob(st, 7);
        r->json_len = (size_t)sqlite3_column_bytes(st, 7);
        err = kz_buf_append(json, p, r->json_len);
        if (err == KZ_OK)
            err = kz_buf_append(json, "", 1);
    }
    return err;
}

kz_err
kz_store__sqlite_objects_query(struct kz_store *store, const struct kz_object_query *q,
                               struct kz_object_page *out)
{
    struct kz_sqlite *s = kz_sqlite_of(store);
    struct kz_sqlite_conn *c = NULL;
    struct kz_object_page page = {0};
    struct kz_buf sql, json;
    sqlite3_stmt *st;
    size_t cap = 0;
    int64_t limit;
    int rc, i;
    kz_err err;

    if (!query_valid(q) || q->limit == 0)
        return KZ_ERR_INVALID;
    limit = q->limit >= (size_t)INT_MAX ? INT_MAX - 1 : (int64_t)q->limit;
    kz_buf_init(&sql, QUERY_SQL_MAX);
    kz_buf_init(&json, SIZE_MAX);
    err = kz_buf_append_cstr(&sql, "SELECT o.id, o.type, o.spec_version, o.version, o.version_us,"
                                   " o.date_added_us, o.tlp");
    if (err == KZ_OK && q->with_json)
        err = kz_buf_append_cstr(&sql, ", o.json");
    if (err == KZ_OK)
        err = kz_buf_printf(&sql, " FROM objects o INDEXED BY %s WHERE ", paging_index(q));
    if (err == KZ_OK)
        err = build_where(&sql, q, WHERE_PAGING);
    if (err == KZ_OK)
        err = kz_buf_append_cstr(&sql, " ORDER BY o.date_added_us LIMIT ?");
    if (err != KZ_OK)
        goto done;
    err = kz_store__sqlite_acquire(s, &c);
    if (err != KZ_OK)
        goto done;
    err = kz_store__sqlite_prepare(c, kz_buf_cstr(&sql), &st);
    if (err != KZ_OK)
        goto done;
    i = bind_where(st, q, WHERE_PAGING);
    /* One row more than asked tells whether another page follows. */
    sqlite3_bind_int64(st, i, limit + 1);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (page.n == (size_t)limit) {
            page.more = true;
            break;
        }
        if (page.n == cap) {
            cap = cap ? cap * 2 : 16;
            page.rows = kz_xrealloc(page.rows, cap * sizeof(*page.rows));
        }
        err = read_row(st, q->with_json, &json, &page.rows[page.n]);
        if (err != KZ_OK) {
            kz_log(KZ_LOG_ERROR, "stored object field too long");
            err = KZ_ERR_STORE;
            goto done;
        }
        page.n++;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        err = kz_store__sqlite_fail(c, rc, "objects query");
        goto done;
    }
    if (q->with_json) {
        page.json = kz_buf_detach(&json, NULL);
        size_t off = 0;
        for (size_t k = 0; k < page.n; k++) {
            page.rows[k].json = page.json + off;
            off += page.rows[k].json_len + 1;
        }
    }
    *out = page;
    memset(&page, 0, sizeof(page));
done:
    kz_store__sqlite_release(s, c);
    kz_object_page_release(&page);
    kz_buf_release(&sql);
    kz_buf_release(&json);
    return err;
}

/* An incident none of whose versions remain in its home collection leaves the incidents
 * index with its timeline (a deleted version that leaves others keeps the folded state). */
static kz_err
incident_forget(struct kz_sqlite_conn *c, const char *id, const char *collection_id,
                int64_t coll)
{
    sqlite3_stmt *st;
    kz_err err = kz_store__sqlite_prepare(c, SQL_INCIDENT_FORGET, &st);

    if (err != KZ_OK)
        return err;
    kz_store__sqlite_bind_text(st, 1, id);
    kz_store__sqlite_bind_text(st, 2, collection_id);
    sqlite3_bind_int64(st, 3, coll);
    err = kz_store__sqlite_step_done(c, st, "incident forget");
    if (err != KZ_OK || sqlite3_changes(c->db) == 0)
        return err;
    err = kz_store__sqlite_prepare(c, SQL_INCIDENT_REFS_FORGET, &st);
    if (err != KZ_OK)
        return err;
    kz_store__sqlite_bind_text(st, 1, id);
    return kz_store__sqlite_step_done(c, st, "incident refs forget");
}

kz_err
kz_store__sqlite_objects_delete(struct kz_store *store, const struct kz_object_query *q,
                                size_t *deleted)
{
    struct kz_sqlite *s = kz_sqlite_of(store);
    struct kz_sqlite_conn *c = NULL;
    struct kz_buf sql;
    sqlite3_stmt *st;
    bool in_tx = false;
    size_t changes = 0;
    int64_t coll = 0;
    int rc;
    kz_err err;

    if (!query_valid(q) || q->n_ids < 1 || q->ids[0] == NULL)
        return KZ_ERR_INVALID;
    kz_buf_init(&sql, QUERY_SQL_MAX);
    /* The victims are chosen first, so that LAST and FIRST see the table unchanged. */
    err = kz_buf_append_cstr(&sql, "DELETE FROM objects WHERE seq IN (SELECT o.seq FROM objects o"
                                   " WHERE ");
    if (err == KZ_OK)
        err = build_where(&sql, q, 0);
    if (err == KZ_OK)
        err = kz_buf_append_cstr(&sql, ")");
    if (err != KZ_OK)
        goto done;
    err = kz_store__sqlite_begin_write(s, &c);
    if (err != KZ_OK)
        goto done;
    in_tx = true;
    err = kz_store__sqlite_prepare(c, kz_buf_cstr(&sql), &st);
    if (err != KZ_OK)
        goto done;
    bind_where(st, q, 0);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        err = kz_store__sqlite_fail(c, rc, "objects delete");
        goto done;
    }
    changes = (size_t)sqlite3_changes(c->db);
    if (changes == 0) {
        err = KZ_ERR_NOTFOUND;
        goto done;
    }
    /* The versions left of the id learn which newer ones remain. */
    err = coll_num(c, q->collection_id, &coll);
    if (err == KZ_OK)
        err = kz_store__sqlite_prepare(c, SQL_NEWER_RECOMPUTE, &st);
    if (err != KZ_OK)
        goto done;
    kz_store__sqlite_bind_text(st, 1, q->ids[0]);
    sqlite3_bind_int64(st, 2, coll);
    err = kz_store__sqlite_step_done(c, st, "newer versions after delete");
    if (err == KZ_OK && strncmp(q->ids[0], "incident--", 10) == 0)
        err = incident_forget(c, q->ids[0], q->collection_id, coll);
    if (err != KZ_OK)
        goto done;
    in_tx = false;
    err = kz_store__sqlite_commit(s, c);
    if (err != KZ_OK)
        goto done;
    *deleted = changes;
done:
    if (in_tx)
        kz_store__sqlite_rollback(s, c);
    kz_buf_release(&sql);
    return err;
}

kz_err
kz_store__sqlite_objects_count(struct kz_store *store, const char *collection_id, uint64_t *out)
{
    struct kz_sqlite *s = kz_sqlite_of(store);
    struct kz_sqlite_conn *c = NULL;
    sqlite3_stmt *st;
    bool found = false, began = false;
    int64_t coll = 0, count = 0;
    kz_err err;

    if (collection_id == NULL)
        return KZ_ERR_INVALID;
    err = kz_store__sqlite_acquire(s, &c);
    if (err != KZ_OK)
        return err;
    /* Both statements in one read transaction, so the collection cannot vanish between. */
    err = kz_store__sqlite_snapshot_begin(c, &began);
    if (err != KZ_OK)
        goto done;
    err = coll_num(c, collection_id, &coll);
    if (err == KZ_OK)
        err = kz_store__sqlite_prepare(c, SQL_COUNT, &st);
    if (err == KZ_OK) {
        sqlite3_bind_int64(st, 1, coll);
        err = step_int(c, st, "objects count", &found, &count);
    }
    kz_store__sqlite_snapshot_end(c, began);
    if (err == KZ_OK)
        *out = (uint64_t)count;
done:
    kz_store__sqlite_release(s, c);
    return err;
}
