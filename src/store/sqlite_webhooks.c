/*
 * Webhook subscriptions and the delivery outbox in the SQLite backend. A delivery row is
 * queued in the transaction of the write that caused it and stays as the delivery log once
 * delivered or dead. Lists are read whole before the callback runs, so a callback may use
 * the store freely.
 */
#include "store/sqlite_int.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/str.h"
#include "base/banned.h"

#define WEBHOOK_COLS                                                                               \
    "w.id, w.org, w.url, w.events, w.collection_id, w.national, w.role, w.secret, w.created_us"
#define SQL_WEBHOOK_ADD                                                                            \
    "INSERT INTO webhooks (id, org, url, events, collection_id, national, role, secret,"           \
    " created_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
#define SQL_WEBHOOK_GET "SELECT " WEBHOOK_COLS " FROM webhooks w WHERE w.id = ?1"
#define SQL_WEBHOOK_LIST                                                                           \
    "SELECT " WEBHOOK_COLS " FROM webhooks w WHERE ?1 IS NULL OR w.org = ?1"                       \
    " ORDER BY w.created_us, w.id"
#define SQL_WEBHOOK_DELETE "DELETE FROM webhooks WHERE id = ?1"
#define SQL_WEBHOOK_ORPHANS                                                                        \
    "UPDATE webhook_deliveries SET state = 2, last_error = 'subscription removed',"                \
    " next_us = ?2 WHERE webhook_id = ?1 AND state = 0"
#define SQL_WEBHOOKS_FOR                                                                           \
    "SELECT " WEBHOOK_COLS ", o.name, o.type, coalesce(o.sector, ''), o.country,"                  \
    " o.identity_id, o.created_us FROM webhooks w JOIN orgs o ON o.slug = w.org"                   \
    " WHERE instr(' ' || w.events || ' ', ' ' || ?1 || ' ') > 0"                                   \
    " AND (?2 IS NULL OR w.collection_id = ?2) ORDER BY w.created_us, w.id"
#define SQL_DELIVERY_ADD                                                                           \
    "INSERT INTO webhook_deliveries (id, webhook_id, org, url, event, subject, data, state,"       \
    " attempts, created_us, next_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, 0, ?8, ?8)"
#define DELIVERY_COLS                                                                              \
    "d.id, d.webhook_id, d.org, d.url, d.event, d.subject, d.state, d.attempts, d.created_us,"     \
    " d.next_us, d.delivered_us, d.last_status, d.last_error, d.data, d.attempt_log"
#define SQL_DELIVERIES_BY_WEBHOOK                                                                  \
    "SELECT " DELIVERY_COLS ", '' FROM webhook_deliveries d WHERE d.webhook_id = ?1"               \
    " ORDER BY CASE WHEN ?2 THEN -d.seq ELSE d.seq END LIMIT ?3"
#define SQL_DELIVERIES_BY_SUBJECT                                                                  \
    "SELECT " DELIVERY_COLS ", '' FROM webhook_deliveries d WHERE d.subject = ?1"                  \
    " ORDER BY CASE WHEN ?2 THEN -d.seq ELSE d.seq END LIMIT ?3"
/* At most ?3 rows per subscription (those in flight count), so that one slow receiver with
 * a backlog cannot take every worker slot from the others; among the 512 earliest due rows,
 * which bounds the work of each read however long the backlog. */
#define SQL_DELIVERIES_DUE                                                                         \
    "SELECT " DELIVERY_COLS ", w.secret FROM (SELECT *, row_number() OVER"                         \
    " (PARTITION BY webhook_id ORDER BY next_us, seq) AS rn FROM webhook_deliveries"               \
    " WHERE state = 0 AND next_us <= ?1 ORDER BY next_us LIMIT 512) d"                             \
    " JOIN webhooks w ON w.id = d.webhook_id"                                                      \
    " WHERE d.rn <= ?3 ORDER BY d.next_us, d.seq LIMIT ?2"
#define SQL_DELIVERY_ATTEMPT                                                                       \
    "UPDATE webhook_deliveries SET state = ?2, attempts = attempts + 1, next_us = ?3,"             \
    " delivered_us = CASE WHEN ?2 = 1 THEN ?4 ELSE delivered_us END, last_status = ?5,"            \
    " last_error = CASE WHEN ?2 = 1 THEN last_error ELSE ?6 END,"                                  \
    " attempt_log = json_insert(attempt_log, '$[#]', json_object('at', ?4, 'status', ?5,"          \
    " 'error', ?6)) WHERE id = ?1 AND state = 0"

/* The subscription secret is wiped before it is freed. */
static void
secret_free(char *s)
{
    if (s == NULL)
        return;
    sodium_memzero(s, strlen(s));
    free(s);
}

/* Only a dead delivery of a subscription that still exists is queued again. */
#define SQL_DELIVERY_STATE                                                                         \
    "SELECT d.state FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id"              \
    " WHERE d.id = ?1 AND d.webhook_id = ?2"
#define SQL_DELIVERY_REQUEUE                                                                       \
    "UPDATE webhook_deliveries SET state = 0, attempts = 0, next_us = ?2 WHERE id = ?1"

/* The log keeps finished deliveries for a while; seq follows created_us. */
#define SQL_DELIVERIES_PRUNE                                                                       \
    "DELETE FROM webhook_deliveries WHERE seq IN (SELECT seq FROM webhook_deliveries"              \
    " WHERE state <> 0 AND created_us < ?1 ORDER BY seq LIMIT ?2)"

static kz_err
webhook_row(sqlite3_stmt *st, struct kz_webhook *w)
{
    kz_err err;

    memset(w, 0, sizeof(*w));
    err = kz_store__sqlite_text(st, 0, w->id, sizeof(w->id));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 1, w->org, sizeof(w->org));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 2, w->url, sizeof(w->url));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 3, w->events, sizeof(w->events));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 4, w->collection_id, sizeof(w->collection_id));
    w->national = sqlite3_column_int(st, 5) != 0;
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 6, w->role, sizeof(w->role));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 7, w->secret, sizeof(w->secret));
    w->created_us = sqlite3_column_int64(st, 8);
    return err;
}

struct add_args {
    const struct kz_webhook *w;
};

static kz_err
add_in_tx(void *ctx, struct kz_store_tx *tx)
{
    const struct kz_webhook *w = ((struct add_args *)ctx)->w;
    struct kz_sqlite_conn *c = kz_sqlite_tx_conn(tx);
    sqlite3_stmt *st;
    kz_err err = kz_store__sqlite_prepare(c, SQL_WEBHOOK_ADD, &st);

    if (err != KZ_OK)
        return err;
    kz_store__sqlite_bind_text(st, 1, w->id);
    kz_store__sqlite_bind_text(st, 2, w->org);
    kz_store__sqlite_bind_text(st, 3, w->url);
    kz_store__sqlite_bind_text(st, 4, w->events);
    kz_store__sqlite_bind_text(st, 5, w->collection_id);
    sqlite3_bind_int(st, 6, w->national ? 1 : 0);
    kz_store__sqlite_bind_text(st, 7, w->role);
    kz_store__sqlite_bind_text(st, 8, w->secret);
    sqlite3_bind_int64(st, 9, w->created_us);
    return kz_store__sqlite_step_done(c, st, "webhook add");
}

kz_err
kz_store__sqlite_webhook_add(struct kz_store *s, const struct kz_webhook *w)
{
    struct add_args a = {w};

    if (w == NULL || !w->id[0] || !w->org[0] || !w->url[0] || !w->events[0])
        return KZ_ERR_INVALID;
    return kz_store__sqlite_transaction(s, add_in_tx, &a);
}

/* Runs a read statement on a pooled connection; row is called for each row. */
static kz_err
read_rows(struct kz_store *store, const char *sql, void (*bind)(sqlite3_stmt *, const void *),
          const void *arg, kz_err (*row)(sqlite3_stmt *, void *), void *ctx, const char *what)
{
    struct kz_sqlite *s = kz_sqlite_of(store);
    struct kz_sqlite_conn *c = NULL;
    sqlite3_stmt *st;
    kz_err err = kz_store__sqlite_acquire(s, &c);
    int rc;

    if (err != KZ_OK)
        return err;
    err = kz_store__sqlite_prepare(c, sql, &st);
    if (err != KZ_OK)
        goto done;
    bind(st, arg);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        err = row(st, ctx);
        if (err != KZ_OK)
            break;
    }
    if (err == KZ_OK && rc != SQLITE_DONE)
        err = kz_store__sqlite_fail(c, rc, what);
    sqlite3_reset(st);
done:
    kz_store__sqlite_release(s, c);
    return err;
}

/* A growable array of webhooks. */
struct hooks {
    struct kz_webhook *v;
    size_t n, cap;
};

static kz_err
hooks_row(sqlite3_stmt *st, void *ctx)
{
    struct hooks *h = ctx;

    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 8;
        h->v = kz_xrealloc(h->v, h->cap * sizeof(*h->v));
    }
    if (webhook_row(st, &h->v[h->n]) != KZ_OK)
        return KZ_ERR_STORE;
    h->n++;
    return KZ_OK;
}

static void
bind_text1(sqlite3_stmt *st, const void *arg)
{
    kz_store__sqlite_bind_text(st, 1, arg);
}

kz_err
kz_store__sqlite_webhook_get(struct kz_store *s, const char *id, struct kz_webhook *out)
{
    struct hooks h = {0};
    kz_err err;

    if (id == NULL)
        return KZ_ERR_INVALID;
    err = read_rows(s, SQL_WEBHOOK_GET, bind_text1, id, hooks_row, &h, "webhook get");
    if (err == KZ_OK && h.n == 0)
        err = KZ_ERR_NOTFOUND;
    if (err == KZ_OK)
        *out = h.v[0];
    free(h.v);
    return err;
}

kz_err
kz_store__sqlite_webhook_list(struct kz_store *s, const char *org,
                              void (*fn)(void *ctx, const struct kz_webhook *w), void *ctx)
{
    struct hooks h = {0};
    kz_err err = read_rows(s, SQL_WEBHOOK_LIST, bind_text1, org, hooks_row, &h, "webhook list");

    for (size_t i = 0; err == KZ_OK && i < h.n; i++)
        fn(ctx, &h.v[i]);
    free(h.v);
    return err;
}

struct delete_args {
    const char *id;
    int64_t now_us;
};

static kz_err
delete_in_tx(void *ctx, struct kz_store_tx *tx)
{
    const struct delete_args *a = ctx;
    struct kz_sqlite_conn *c = kz_sqlite_tx_conn(tx);
    sqlite3_stmt *st;
    kz_err err = kz_store__sqlite_prepare(c, SQL_WEBHOOK_DELETE, &st);

    if (err != KZ_OK)
        return err;
    kz_store__sqlite_bind_text(st, 1, a->id);
    err = kz_store__sqlite_step_done(c, st, "webhook delete");
    if (err != KZ_OK)
        return err;
    if (sqlite3_changes(c->db) == 0)
        return KZ_ERR_NOTFOUND;
    err = kz_store__sqlite_prepare(c, SQL_WEBHOOK_ORPHANS, &st);
    if (err != KZ_OK)
        return err;
    kz_store__sqlite_bind_text(st, 1, a->id);
    sqlite3_bind_int64(st, 2, a->now_us);
    return kz_store__sqlite_step_done(c, st, "webhook delete");
}

kz_err
kz_store__sqlite_webhook_delete(struct kz_store *s, const char *id, int64_t now_us)
{
    struct delete_args a = {id, now_us};

    if (id == NULL)
        return KZ_ERR_INVALID;
    return kz_store__sqlite_transaction(s, delete_in_tx, &a);
}

/* Did this transaction learn that no subscription wants (event, collection)? */
static bool
tx_unwanted(struct kz_sqlite *s, const char *event, const char *collection_id)
{
    for (size_t i = 0; i < s->n_tx_unwanted; i++)
        if (strcmp(s->tx_unwanted[i].event, event) == 0 &&
            strcmp(s->tx_unwanted[i].collection_id, collection_id ? collection_id : "") == 0)
            return true;
    return false;
}

static void
tx_unwanted_add(struct kz_sqlite *s, const char *event, const char *collection_id)
{
    size_t i = s->n_tx_unwanted;

    if (i == sizeof(s->tx_unwanted) / sizeof(s->tx_unwanted[0]) ||
        kz_cstr_copy(event, s->tx_unwanted[i].event, sizeof(s->tx_unwanted[i].event)) != KZ_OK ||
        kz_cstr_copy(collection_id ? collection_id : "", s->tx_unwanted[i].collection_id,
                     sizeof(s->tx_unwanted[i].collection_id)) != KZ_OK)
        return; /* not remembered: asked again next time */
    s->n_tx_unwanted++;
}

kz_err
kz_store__sqlite_tx_webhooks_for(
    struct kz_store_tx *tx, const char *event, const char *collection_id,
    void (*fn)(void *ctx, const struct kz_webhook *w, const struct kz_org *org), void *ctx)
{
    struct kz_sqlite *s = kz_sqlite_of(tx->store);
    struct kz_sqlite_conn *c = kz_sqlite_tx_conn(tx);
    struct kz_webhook *hooks = NULL;
    struct kz_org *orgs = NULL;
    size_t n = 0, cap = 0;
    sqlite3_stmt *st;
    kz_err err;
    int rc;

    if (event == NULL)
        return KZ_ERR_INVALID;
    if (tx_unwanted(s, event, collection_id))
        return KZ_OK;
    err = kz_store__sqlite_prepare(c, SQL_WEBHOOKS_FOR, &st);
    if (err != KZ_OK)
        return err;
    kz_store__sqlite_bind_text(st, 1, event);
    kz_store__sqlite_bind_text(st, 2, collection_id);
    /* Read whole first: the callback inserts deliveries on this connection. */
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct kz_org *o;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            hooks = kz_xrealloc(hooks, cap * sizeof(*hooks));
            orgs = kz_xrealloc(orgs, cap * sizeof(*orgs));
        }
        o = &orgs[n];
        memset(o, 0, sizeof(*o));
        err = webhook_row(st, &hooks[n]);
        if (err == KZ_OK)
            err = kz_cstr_copy(hooks[n].org, o->slug, sizeof(o->slug));
        if (err == KZ_OK)
            err = kz_store__sqlite_text(st, 9, o->name, sizeof(o->name));
        if (err == KZ_OK)
            err = kz_store__sqlite_text(st, 10, o->type, sizeof(o->type));
        if (err == KZ_OK)
            err = kz_store__sqlite_text(st, 11, o->sector, sizeof(o->sector));
        if (err == KZ_OK)
            err = kz_store__sqlite_text(st, 12, o->country, sizeof(o->country));
        if (err == KZ_OK)
            err = kz_store__sqlite_text(st, 13, o->identity_id, sizeof(o->identity_id));
        o->created_us = sqlite3_column_int64(st, 14);
        if (err != KZ_OK)
            break;
        n++;
    }
    if (err == KZ_OK && rc != SQLITE_DONE)
        err = kz_store__sqlite_fail(c, rc, "webhooks for event");
    sqlite3_reset(st);
    if (err == KZ_OK && n == 0)
        tx_unwanted_add(s, event, collection_id);
    for (size_t i = 0; err == KZ_OK && i < n; i++)
        fn(ctx, &hooks[i], &orgs[i]);
    free(hooks);
    free(orgs);
    return err;
}

kz_err
kz_store__sqlite_tx_delivery_add(struct kz_store_tx *tx, const struct kz_delivery *d,
                                 const char *data_json)
{
    struct kz_sqlite_conn *c = kz_sqlite_tx_conn(tx);
    sqlite3_stmt *st;
    kz_err err;

    if (d == NULL || !d->id[0] || !d->subscription_id[0] || !d->event[0])
        return KZ_ERR_INVALID;
    err = kz_store__sqlite_prepare(c, SQL_DELIVERY_ADD, &st);
    if (err != KZ_OK)
        return err;
    kz_store__sqlite_bind_text(st, 1, d->id);
    kz_store__sqlite_bind_text(st, 2, d->subscription_id);
    kz_store__sqlite_bind_text(st, 3, d->org);
    kz_store__sqlite_bind_text(st, 4, d->url);
    kz_store__sqlite_bind_text(st, 5, d->event);
    kz_store__sqlite_bind_text(st, 6, d->subject);
    kz_store__sqlite_bind_text(st, 7, data_json ? data_json : "{}");
    sqlite3_bind_int64(st, 8, d->created_us);
    return kz_store__sqlite_step_done(c, st, "delivery add");
}

/* Delivery rows read whole, with their strings. */
struct drow {
    struct kz_delivery d;
    char *data, *log, *secret;
};

struct drows {
    struct drow *v;
    size_t n, cap;
};

static char *
col_dup(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);

    return kz_xstrdup(t ? (const char *)t : "");
}

static kz_err
drows_row(sqlite3_stmt *st, void *ctx)
{
    struct drows *r = ctx;
    struct drow *x;
    struct kz_delivery *d;
    kz_err err;

    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->v = kz_xrealloc(r->v, r->cap * sizeof(*r->v));
    }
    x = &r->v[r->n];
    d = &x->d;
    memset(x, 0, sizeof(*x));
    err = kz_store__sqlite_text(st, 0, d->id, sizeof(d->id));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 1, d->subscription_id, sizeof(d->subscription_id));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 2, d->org, sizeof(d->org));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 3, d->url, sizeof(d->url));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 4, d->event, sizeof(d->event));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 5, d->subject, sizeof(d->subject));
    if (err == KZ_OK)
        err = kz_store__sqlite_text(st, 12, d->last_error, sizeof(d->last_error));
    if (err != KZ_OK)
        return KZ_ERR_STORE;
    d->state = (enum kz_delivery_state)sqlite3_column_int(st, 6);
    d->attempts = (unsigned)sqlite3_column_int(st, 7);
    d->created_us = sqlite3_column_int64(st, 8);
    d->next_us = sqlite3_column_int64(st, 9);
    d->delivered_us = sqlite3_column_int64(st, 10);
    d->last_status = sqlite3_column_int(st, 11);
    x->data = col_dup(st, 13);
    x->log = col_dup(st, 14);
    x->secret = col_dup(st, 15);
    r->n++;
    return KZ_OK;
}

static void
drows_emit_free(struct drows *r, kz_err err, kz_delivery_fn fn, void *ctx, bool with_secret)
{
    for (size_t i = 0; i < r->n; i++) {
        struct drow *x = &r->v[i];
        struct kz_delivery_extra e = {x->data, x->log, with_secret ? x->secret : NULL};
        if (err == KZ_OK)
            fn(ctx, &x->d, &e);
        free(x->data);
        free(x->log);
        secret_free(x->secret);
    }
    free(r->v);
}

struct list_bind {
    const char *key;
    bool newest_first;
    int64_t limit;
};

static void
bind_list(sqlite3_stmt *st, const void *arg)
{
    const struct list_bind *b = arg;

    kz_store__sqlite_bind_text(st, 1, b->key);
    sqlite3_bind_int(st, 2, b->newest_first ? 1 : 0);
    sqlite3_bind_int64(st, 3, b->limit);
}

kz_err
kz_store__sqlite_deliveries_list(struct kz_store *s, const struct kz_delivery_query *q,
                                 kz_delivery_fn fn, void *ctx)
{
    struct drows r = {0};
    struct list_bind b;
    kz_err err;

    if (q == NULL || (q->subscription_id == NULL) == (q->subject == NULL))
        return KZ_ERR_INVALID;
    b.key = q->subscription_id ? q->subscription_id : q->subject;
    b.newest_first = q->newest_first;
    b.limit = q->limit ? (int64_t)q->limit : -1;
    err = read_rows(s, q->subscription_id ? SQL_DELIVERIES_BY_WEBHOOK : SQL_DELIVERIES_BY_SUBJECT,
                    bind_list, &b, drows_row, &r, "deliveries list");
    drows_emit_free(&r, err, fn, ctx, false);
    return err;
}

struct due_bind {
    int64_t now_us;
    int64_t limit;
    int64_t per_subscription;
};

static void
bind_due(sqlite3_stmt *st, const void *arg)
{
    const struct due_bind *b = arg;

    sqlite3_bind_int64(st, 1, b->now_us);
    sqlite3_bind_int64(st, 2, b->limit);
    sqlite3_bind_int64(st, 3, b->per_subscription);
}

kz_err
kz_store__sqlite_deliveries_due(struct kz_store *s, int64_t now_us, size_t limit,
                                size_t per_subscription, kz_delivery_fn fn, void *ctx)
{
    struct drows r = {0};
    struct due_bind b = {now_us, limit ? (int64_t)limit : -1,
                         per_subscription ? (int64_t)per_subscription : INT64_MAX};
    kz_err err = read_rows(s, SQL_DELIVERIES_DUE, bind_due, &b, drows_row, &r, "deliveries due");

    drows_emit_free(&r, err, fn, ctx, true);
    return err;
}

struct attempt_args {
    const struct kz_delivery_attempt *a;
    size_t n, applied;
};

static kz_err
attempts_in_tx(void *ctx, struct kz_store_tx *tx)
{
    struct attempt_args *x = ctx;
    struct kz_sqlite_conn *c = kz_sqlite_tx_conn(tx);
    sqlite3_stmt *st;
    kz_err err;

    x->applied = 0;
    for (size_t i = 0; i < x->n; i++) {
        const struct kz_delivery_attempt *a = &x->a[i];
        err = kz_store__sqlite_prepare(c, SQL_DELIVERY_ATTEMPT, &st);
        if (err != KZ_OK)
            return err;
        kz_store__sqlite_bind_text(st, 1, a->id);
        sqlite3_bind_int(st, 2, (int)a->state);
        sqlite3_bind_int64(st, 3, a->next_us);
        sqlite3_bind_int64(st, 4, a->at_us);
        sqlite3_bind_int(st, 5, a->status);
        kz_store__sqlite_bind_text(st, 6, a->error ? a->error : "");
        err = kz_store__sqlite_step_done(c, st, "delivery attempt");
        if (err != KZ_OK)
            return err;
        /* 0 when unknown, or no longer queued (subscription removed). */
        x->applied += (size_t)sqlite3_changes(c->db);
    }
    return KZ_OK;
}

kz_err
kz_store__sqlite_delivery_attempts(struct kz_store *s, const struct kz_delivery_attempt *a,
                                   size_t n, size_t *applied)
{
    struct attempt_args x = {a, n, 0};
    kz_err err;

    if (n && a == NULL)
        return KZ_ERR_INVALID;
    for (size_t i = 0; i < n; i++) {
        if (a[i].id == NULL)
            return KZ_ERR_INVALID;
    }
    err = n ? kz_store__sqlite_transaction(s, attempts_in_tx, &x) : KZ_OK;
    if (err == KZ_OK && applied)
        *applied = x.applied;
    return err;
}

struct prune_args {
    int64_t before_us;
    int64_t limit;
    size_t deleted;
};

static kz_err
prune_in_tx(void *ctx, struct kz_store_tx *tx)
{
    struct prune_args *a = ctx;
    struct kz_sqlite_conn *c = kz_sqlite_tx_conn(tx);
    sqlite3_stmt *st;
    kz_err err = kz_store__sqlite_prepare(c, SQL_DELIVERIES_PRUNE, &st);

    if (err != KZ_OK)
        return err;
    sqlite3_bind_int64(st, 1, a->before_us);
    sqlite3_bind_int64(st, 2, a->limit);
    err = kz_store__sqlite_step_done(c, st, "deliveries prune");
    if (err == KZ_OK)
        a->deleted = (size_t)sqlite3_changes(c->db);
    return err;
}

kz_err
kz_store__sqlite_deliveries_prune(struct kz_store *s, int64_t before_us, size_t limit,
                                  size_t *deleted)
{
    struct prune_args a = {before_us, limit ? (int64_t)limit : -1, 0};
    kz_err err = kz_store__sqlite_transaction(s, prune_in_tx, &a);

    if (err == KZ_OK && deleted)
        *deleted = a.deleted;
    return err;
}

struct requeue_args {
    const char *sub, *id;
    int64_t now_us;
};

static kz_err
requeue_in_tx(void *ctx, struct kz_store_tx *tx)
{
    struct requeue_args *a = ctx;
    struct kz_sqlite_conn *c = kz_sqlite_tx_conn(tx);
    sqlite3_stmt *st;
    kz_err err = kz_store__sqlite_prepare(c, SQL_DELIVERY_STATE, &st);
    int rc, state;

    if (err != KZ_OK)
        return err;
    kz_store__sqlite_bind_text(st, 1, a->id);
    kz_store__sqlite_bind_text(st, 2, a->sub);
    rc = sqlite3_step(st);
    state = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return kz_store__sqlite_fail(c, rc, "delivery requeue");
    if (state < 0)
        return KZ_ERR_NOTFOUND;
    if (state != KZ_DELIVERY_DEAD)
        return KZ_ERR_CONFLICT;
    err = kz_store__sqlite_prepare(c, SQL_DELIVERY_REQUEUE, &st);
    if (err != KZ_OK)
        return err;
    kz_store__sqlite_bind_text(st, 1, a->id);
    sqlite3_bind_int64(st, 2, a->now_us);
    return kz_store__sqlite_step_done(c, st, "delivery requeue");
}

kz_err
kz_store__sqlite_delivery_requeue(struct kz_store *s, const char *subscription_id, const char *id,
                                  int64_t now_us)
{
    struct requeue_args a = {subscription_id, id, now_us};

    if (subscription_id == NULL || id == NULL)
        return KZ_ERR_INVALID;
    return kz_store__sqlite_transaction(s, requeue_in_tx, &a);
}
