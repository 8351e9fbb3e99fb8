/*
 * Correlation in the SQLite backend: the log of correlated sightings (corr_log) and the
 * in-memory windows that are its cache (corr_cache.h).
 *
 * A write only appends: one corr_log row per sighting, one alert_rows row per new alert.
 * The windows and the alert-id map are built from those tables and caught up, before each
 * use, with the rows past the last ones they hold (WHERE seq > last). SQLite has one
 * writer at a time and a new row takes the next seq, so committed rows always form a
 * prefix, and a catch-up sees what another process (the command line) wrote as well.
 * What a write transaction adds is kept apart: its log rows are written at COMMIT, sixteen
 * to a statement, and its windows and alerts are merged into the cache once the write lock
 * is let go (the next transaction does not wait for that); a rolled-back transaction
 * leaves the cache as it was.
 */
#include "store/sqlite_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/str.h"
#include "base/banned.h"

/* The log rows of a transaction go in FLUSH_ROWS at a time: one statement, not one each. */
#define FLUSH_ROWS 16
#define LOG_COLS                                                                                   \
    "INSERT INTO corr_log (indicator, org, sector, coll, tlp, count, first_us, last_us, at_us)"   \
    " VALUES "
#define ROW_1 "(?, ?, ?, ?, ?, ?, ?, ?, ?)"
#define ROW_4 ROW_1 ", " ROW_1 ", " ROW_1 ", " ROW_1
#define SQL_LOG_ADD_ONE LOG_COLS ROW_1
#define SQL_LOG_ADD_MANY LOG_COLS ROW_4 ", " ROW_4 ", " ROW_4 ", " ROW_4
#define SQL_COLL_NUM "SELECT num FROM collections WHERE id = ?1"
#define SQL_LOG_SINCE                                                                              \
    "SELECT l.seq, l.indicator, l.org, l.sector, coalesce(c.id, ''), l.tlp, l.count, l.first_us,"  \
    " l.last_us, l.at_us FROM corr_log l LEFT JOIN collections c ON c.num = l.coll"                \
    " WHERE l.seq > ?1 AND l.seq <= ?2 ORDER BY l.seq"
#define SQL_LOG_LAST "SELECT coalesce(max(seq), 0) FROM corr_log WHERE seq <= ?1"
#define SQL_ALERTS_SINCE                                                                           \
    "SELECT seq, id, indicator, win_us, bucket_us FROM alert_rows WHERE seq > ?1 AND seq <= ?2"    \
    " ORDER BY seq"

void
kz_store__sqlite_corr_init(struct kz_sqlite *s)
{
    struct kz_sqlite_corr *k = &s->corr;

    memset(k, 0, sizeof(*k));
    pthread_mutex_init(&k->mu, NULL);
    kz_corr_strings_init(&k->strs);
    kz_corr_state_init(&k->committed);
    kz_corr_state_init(&k->tx.state);
    kz_corr_state_init(&k->pending.state);
}

void
kz_store__sqlite_corr_release(struct kz_sqlite *s)
{
    struct kz_sqlite_corr *k = &s->corr;

    kz_corr_state_release(&k->committed);
    kz_corr_state_release(&k->tx.state);
    kz_corr_state_release(&k->pending.state);
    free(k->pending.rows);
    kz_corr_strings_release(&k->strs);
    free(k->tx.rows);
    pthread_mutex_destroy(&k->mu);
}

static const char *
col_text(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);

    return t ? (const char *)t : "";
}

/* Log rows past log_seq, up to upto, folded into the committed windows. */
static kz_err
catch_up_log(struct kz_sqlite_corr *k, struct kz_sqlite_conn *c, int64_t upto)
{
    char id[KZ_STIX_ID_MAX];
    struct kz_corr_row row;
    sqlite3_stmt *st;
    int rc;
    /* No window asked for yet: there is nothing to fold, only the place to remember. */
    kz_err err = kz_store__sqlite_prepare(c, k->n_lengths ? SQL_LOG_SINCE : SQL_LOG_LAST, &st);

    if (err != KZ_OK)
        return err;
    if (!k->n_lengths) {
        sqlite3_bind_int64(st, 1, upto);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW && sqlite3_column_int64(st, 0) > k->log_seq)
            k->log_seq = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        return rc == SQLITE_ROW ? KZ_OK : kz_store__sqlite_fail(c, rc, "correlation log");
    }
    sqlite3_bind_int64(st, 1, k->log_seq);
    sqlite3_bind_int64(st, 2, upto);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        err = kz_store__sqlite_stix_id(st, 1, "indicator", id, sizeof(id));
        if (err != KZ_OK)
            break;
        row.seq = sqlite3_column_int64(st, 0);
        row.indicator = kz_corr_intern(&k->strs, id);
        row.org = kz_corr_intern(&k->strs, col_text(st, 2));
        row.sector = kz_corr_intern(&k->strs, col_text(st, 3));
        row.collection = kz_corr_intern(&k->strs, col_text(st, 4));
        row.tlp = (enum kz_tlp)sqlite3_column_int(st, 5);
        row.count = (uint64_t)sqlite3_column_int64(st, 6);
        row.first_us = sqlite3_column_int64(st, 7);
        row.last_us = sqlite3_column_int64(st, 8);
        row.at_us = sqlite3_column_int64(st, 9);
        kz_corr_state_add(&k->committed, &k->strs, &row, k->lengths, k->n_lengths);
        k->log_seq = row.seq;
    }
    sqlite3_reset(st);
    if (err != KZ_OK)
        return err;
    return rc == SQLITE_DONE ? KZ_OK : kz_store__sqlite_fail(c, rc, "correlation log");
}

/* An alert into the committed state; the window lengths of alerts are remembered. */
static void
alert_commit(struct kz_sqlite_corr *k, const struct kz_corr_alert *a)
{
    bool known = false;

    kz_corr_state_alert_put(&k->committed, &k->strs, a->id, a->seq, a->indicator, a->length_us,
                            a->start_us);
    for (size_t i = 0; i < k->n_alert_lengths; i++)
        known = known || k->alert_lengths[i] == a->length_us;
    if (!known && k->n_alert_lengths < KZ_CORR_MAX_LENGTHS)
        k->alert_lengths[k->n_alert_lengths++] = a->length_us;
    else if (!known)
        k->alert_lengths_overflow = true;
}

static kz_err
catch_up_alerts(struct kz_sqlite_corr *k, struct kz_sqlite_conn *c, int64_t upto)
{
    char id[KZ_STIX_ID_MAX], ind[KZ_STIX_ID_MAX];
    struct kz_corr_alert a;
    sqlite3_stmt *st;
    int rc;
    kz_err err = kz_store__sqlite_prepare(c, SQL_ALERTS_SINCE, &st);

    if (err != KZ_OK)
        return err;
    sqlite3_bind_int64(st, 1, k->alert_seq);
    sqlite3_bind_int64(st, 2, upto);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        err = kz_store__sqlite_stix_id(st, 1, "alert", id, sizeof(id));
        if (err == KZ_OK)
            err = kz_store__sqlite_stix_id(st, 2, "indicator", ind, sizeof(ind));
        if (err != KZ_OK)
            break;
        memset(&a, 0, sizeof(a));
        a.seq = sqlite3_column_int64(st, 0);
        a.id = kz_corr_intern(&k->strs, id);
        a.indicator = kz_corr_intern(&k->strs, ind);
        a.length_us = sqlite3_column_int64(st, 3);
        a.start_us = sqlite3_column_int64(st, 4);
        alert_commit(k, &a);
        k->alert_seq = a.seq;
    }
    sqlite3_reset(st);
    if (err != KZ_OK)
        return err;
    return rc == SQLITE_DONE ? KZ_OK : kz_store__sqlite_fail(c, rc, "alert rows");
}

/*
 * Brings the committed state up to what c sees; inside a write transaction, only up to
 * where the transaction started (its own rows are not committed).
 */
static kz_err
catch_up(struct kz_sqlite_corr *k, struct kz_sqlite_conn *c, bool in_tx)
{
    kz_err err = catch_up_log(k, c, in_tx ? k->tx.log_base : INT64_MAX);

    if (err == KZ_OK)
        err = catch_up_alerts(k, c, in_tx ? k->tx.alert_base : INT64_MAX);
    return err;
}

/* The first use of correlation in a write transaction: catch up, and remember where from. */
static kz_err
tx_begin(struct kz_sqlite_corr *k, struct kz_sqlite_conn *c)
{
    kz_err err;

    /* A reader that rebuilt the windows from an older snapshot meanwhile left them short
     * of where this transaction started. */
    if (k->tx_open)
        return k->log_seq < k->tx.log_base || k->alert_seq < k->tx.alert_base
                   ? catch_up(k, c, true)
                   : KZ_OK;
    err = catch_up(k, c, false);
    if (err != KZ_OK)
        return err;
    k->tx_open = true;
    k->tx.log_base = k->log_seq;
    k->tx.alert_base = k->alert_seq;
    k->tx_gen = k->lengths_gen;
    k->tx.alert_last = 0;
    return KZ_OK;
}

/* The transaction's own windows follow the lengths asked for since it began. */
static void
tx_windows_refresh(struct kz_sqlite_corr *k)
{
    if (k->tx_gen == k->lengths_gen)
        return;
    kz_corr_state_clear_windows(&k->tx.state);
    for (size_t i = 0; i < k->tx.n_rows; i++)
        kz_corr_state_add(&k->tx.state, &k->strs, &k->tx.rows[i], k->lengths, k->n_lengths);
    k->tx_gen = k->lengths_gen;
}

/* Starts keeping windows of this length: the committed ones are rebuilt from the log. */
static kz_err
length_use(struct kz_sqlite_corr *k, struct kz_sqlite_conn *c, bool in_tx, int64_t length_us)
{
    for (size_t i = 0; i < k->n_lengths; i++)
        if (k->lengths[i] == length_us)
            return KZ_OK;
    /* Lengths no rule uses any more (alerts of an older rules file) are forgotten. */
    if (k->n_lengths == KZ_CORR_MAX_LENGTHS)
        k->n_lengths = 0;
    k->lengths[k->n_lengths++] = length_us;
    k->lengths_gen++;
    kz_corr_state_clear_windows(&k->committed);
    k->log_seq = 0;
    return catch_up(k, c, in_tx);
}

/* Merges a committed transaction's additions, if nothing else was read in meanwhile (else
 * the next catch-up reads its rows); mu held. */
static void
merge_pending_held(struct kz_sqlite_corr *k)
{
    struct kz_sqlite_corr_adds *p = &k->pending;

    if (!k->pending_set)
        return;
    if (k->log_seq == p->log_base && k->alert_seq == p->alert_base) {
        for (size_t i = 0; i < p->n_rows; i++) {
            kz_corr_state_add(&k->committed, &k->strs, &p->rows[i], k->lengths, k->n_lengths);
            k->log_seq = p->rows[i].seq;
        }
        for (size_t i = 0; i < p->state.n_a; i++)
            alert_commit(k, &p->state.a[i]);
        if (p->alert_last)
            k->alert_seq = p->alert_last;
    }
    kz_corr_state_reset(&p->state);
    p->n_rows = 0;
    k->pending_set = false;
}

/* Enters the cache for a use in tx (or, tx NULL, in the snapshot of c); takes mu. */
static kz_err
enter(struct kz_sqlite *s, struct kz_sqlite_conn *c, struct kz_store_tx *tx)
{
    struct kz_sqlite_corr *k = &s->corr;
    kz_err err;

    pthread_mutex_lock(&k->mu);
    merge_pending_held(k);
    err = tx ? tx_begin(k, c) : catch_up(k, c, false);
    if (err != KZ_OK)
        pthread_mutex_unlock(&k->mu);
    return err;
}

kz_err
kz_store__sqlite_corr_load(struct kz_store *store, const int64_t *window_us, size_t n,
                           uint64_t *rows)
{
    struct kz_sqlite *s = kz_sqlite_of(store);
    struct kz_sqlite_conn *c = NULL;
    bool began = false;
    kz_err err = kz_store__sqlite_acquire(s, &c);

    if (err == KZ_OK)
        err = kz_store__sqlite_snapshot_begin(c, &began);
    if (err != KZ_OK) {
        kz_store__sqlite_release(s, c);
        return err;
    }
    pthread_mutex_lock(&s->corr.mu);
    merge_pending_held(&s->corr);
    for (size_t i = 0; err == KZ_OK && i < n; i++)
        err = window_us[i] > 0 ? length_use(&s->corr, c, false, window_us[i]) : KZ_ERR_INVALID;
    if (err == KZ_OK)
        err = catch_up(&s->corr, c, false);
    /* Log rows are never deleted: the last one held is their number. */
    if (rows)
        *rows = (uint64_t)s->corr.log_seq;
    pthread_mutex_unlock(&s->corr.mu);
    kz_store__sqlite_snapshot_end(c, began);
    kz_store__sqlite_release(s, c);
    return err;
}

void
kz_store__sqlite_corr_tx_end(struct kz_sqlite *s, bool committed)
{
    struct kz_sqlite_corr *k = &s->corr;
    struct kz_sqlite_corr_adds spare;

    if (!k->tx_open)
        return;
    pthread_mutex_lock(&k->mu);
    merge_pending_held(k); /* never two set aside */
    if (committed) {
        /* Swapped, not copied: the next transaction reuses the pending one's memory. */
        spare = k->pending;
        k->pending = k->tx;
        k->tx = spare;
        k->pending_set = true;
    }
    kz_corr_state_reset(&k->tx.state);
    k->tx.n_rows = 0;
    k->tx_open = false;
    pthread_mutex_unlock(&k->mu);
}

void
kz_store__sqlite_corr_merge_pending(struct kz_sqlite *s)
{
    struct kz_sqlite_corr *k = &s->corr;

    pthread_mutex_lock(&k->mu);
    merge_pending_held(k);
    pthread_mutex_unlock(&k->mu);
}

/* Interns a string that is usually the same as last time in this place (the posting
 * organisation, its sector and collection repeat across a write): one compare. */
static uint32_t
intern_recent(struct kz_sqlite_corr *k, size_t place, const char *s)
{
    if (!k->recent_set[place] || strcmp(kz_corr_string(&k->strs, k->recent[place]), s) != 0) {
        k->recent[place] = kz_corr_intern(&k->strs, s);
        k->recent_set[place] = true;
    }
    return k->recent[place];
}

kz_err
kz_store__sqlite_tx_corr_add(struct kz_store_tx *tx, const struct kz_corr_sighting *sg)
{
    struct kz_sqlite *s = kz_sqlite_of(tx->store);
    struct kz_sqlite_corr *k = &s->corr;
    struct kz_corr_row row;
    kz_err err;

    if (!sg || !sg->indicator || !sg->org || !sg->collection_id)
        return KZ_ERR_INVALID;
    err = enter(s, kz_sqlite_tx_conn(tx), tx);
    if (err != KZ_OK)
        return err;
    /* Written to corr_log at COMMIT, all at once (kz_store__sqlite_corr_flush); rows take
     * the seqs after the transaction's base in order, as the inserts will give them. */
    row = (struct kz_corr_row){k->tx.log_base + (int64_t)k->tx.n_rows + 1,
                               kz_corr_intern(&k->strs, sg->indicator),
                               intern_recent(k, 0, sg->org),
                               intern_recent(k, 1, sg->sector ? sg->sector : ""),
                               intern_recent(k, 2, sg->collection_id),
                               sg->tlp,
                               sg->count > INT32_MAX ? INT32_MAX : sg->count,
                               sg->first_us,
                               sg->last_us,
                               sg->now_us};
    if (k->tx.n_rows == k->tx.cap_rows) {
        k->tx.cap_rows = k->tx.cap_rows ? k->tx.cap_rows * 2 : 64;
        k->tx.rows = kz_xrealloc(k->tx.rows, k->tx.cap_rows * sizeof(*k->tx.rows));
    }
    k->tx.rows[k->tx.n_rows++] = row;
    tx_windows_refresh(k);
    kz_corr_state_add(&k->tx.state, &k->strs, &row, k->lengths, k->n_lengths);
    pthread_mutex_unlock(&k->mu);
    return KZ_OK;
}

/* Collection ids to their numbers, looked up once per flush. */
struct coll_memo {
    char id[8][KZ_UUID_TEXT_LEN + 1];
    int64_t num[8];
    size_t n;
};

static kz_err
collection_num(struct kz_sqlite_conn *c, const char *id, struct coll_memo *memo, int64_t *num)
{
    sqlite3_stmt *st;
    int rc;
    kz_err err;

    for (size_t i = 0; i < memo->n; i++)
        if (strcmp(memo->id[i], id) == 0) {
            *num = memo->num[i];
            return KZ_OK;
        }
    err = kz_store__sqlite_prepare(c, SQL_COLL_NUM, &st);
    if (err != KZ_OK)
        return err;
    kz_store__sqlite_bind_text(st, 1, id);
    rc = sqlite3_step(st);
    *num = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return kz_store__sqlite_fail(c, rc, "collection number");
    if (memo->n < sizeof(memo->num) / sizeof(memo->num[0]) &&
        kz_cstr_copy(id, memo->id[memo->n], sizeof(memo->id[0])) == KZ_OK)
        memo->num[memo->n++] = *num;
    return KZ_OK;
}

/* Binds row r's nine columns from the (base + 1)th parameter on; mu held. */
static kz_err
bind_row(struct kz_sqlite_corr *k, struct kz_sqlite_conn *c, sqlite3_stmt *st, int base,
         const struct kz_corr_row *r, struct coll_memo *memo)
{
    int64_t coll;
    kz_err err = collection_num(c, kz_corr_string(&k->strs, r->collection), memo, &coll);

    if (err != KZ_OK)
        return err;
    kz_store__sqlite_bind_stix_id(st, base + 1, kz_corr_string(&k->strs, r->indicator),
                                  "indicator");
    kz_store__sqlite_bind_text(st, base + 2, kz_corr_string(&k->strs, r->org));
    kz_store__sqlite_bind_text(st, base + 3, kz_corr_string(&k->strs, r->sector));
    sqlite3_bind_int64(st, base + 4, coll);
    sqlite3_bind_int(st, base + 5, (int)r->tlp);
    sqlite3_bind_int64(st, base + 6, (sqlite3_int64)r->count);
    sqlite3_bind_int64(st, base + 7, r->first_us);
    sqlite3_bind_int64(st, base + 8, r->last_us);
    sqlite3_bind_int64(st, base + 9, r->at_us);
    return KZ_OK;
}

kz_err
kz_store__sqlite_corr_flush(struct kz_sqlite *s, struct kz_sqlite_conn *c)
{
    struct kz_sqlite_corr *k = &s->corr;
    struct coll_memo memo;
    kz_err err = KZ_OK;
    size_t i = 0;

    if (!k->tx_open || k->tx.n_rows == 0)
        return KZ_OK;
    memset(&memo, 0, sizeof(memo));
    pthread_mutex_lock(&k->mu);
    while (err == KZ_OK && i < k->tx.n_rows) {
        size_t n = k->tx.n_rows - i >= FLUSH_ROWS ? FLUSH_ROWS : 1;
        sqlite3_stmt *st;
        err = kz_store__sqlite_prepare(c, n == 1 ? SQL_LOG_ADD_ONE : SQL_LOG_ADD_MANY, &st);
        for (size_t r = 0; err == KZ_OK && r < n; r++)
            err = bind_row(k, c, st, (int)(r * 9), &k->tx.rows[i + r], &memo);
        if (err == KZ_OK)
            err = kz_store__sqlite_step_done(c, st, "correlation log");
        i += n;
    }
    /* The rows took the seqs they were given unless the table moved meanwhile (it cannot
     * in a write transaction); if it did, the cache reads them back rather than merging. */
    if (err == KZ_OK &&
        sqlite3_last_insert_rowid(c->db) != k->tx.log_base + (int64_t)k->tx.n_rows) {
        kz_log(KZ_LOG_WARN, "correlation log rows not where expected; reading them back");
        k->tx.log_base = -1;
    }
    pthread_mutex_unlock(&k->mu);
    return err;
}

/* Copies the parts of one window state into members. */
static void
parts_append(const struct kz_corr_strings *t, const struct kz_corr_folded *w,
             struct kz_corr_member **out, size_t *n, size_t *cap)
{
    for (uint32_t i = 0; w && i < w->n; i++) {
        const struct kz_corr_part *p = &kz_corr_parts(w)[i];
        struct kz_corr_member *m;
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 8;
            *out = kz_xrealloc(*out, *cap * sizeof(**out));
        }
        m = &(*out)[(*n)++];
        memset(m, 0, sizeof(*m));
        kz_cstr_copy(kz_corr_string(t, p->org), m->org, sizeof(m->org));
        kz_cstr_copy(kz_corr_string(t, p->sector), m->sector, sizeof(m->sector));
        kz_cstr_copy(kz_corr_string(t, p->collection), m->collection_id,
                     sizeof(m->collection_id));
        m->tlp = p->tlp;
        m->count = p->count;
        m->first_us = p->first_us;
        m->last_us = p->last_us;
        m->updated_us = p->updated_us;
    }
}

static int
member_cmp(const void *pa, const void *pb)
{
    const struct kz_corr_member *a = pa, *b = pb;
    int d = strcmp(a->org, b->org);

    if (d == 0)
        d = strcmp(a->collection_id, b->collection_id);
    if (d == 0)
        d = (int)a->tlp - (int)b->tlp;
    return d;
}

/* Sorts members and folds the committed and the transaction's part of the same key. */
static size_t
members_fold(struct kz_corr_member *m, size_t n)
{
    size_t out = 0;

    qsort(m, n, sizeof(*m), member_cmp);
    for (size_t i = 0; i < n; i++) {
        struct kz_corr_member *d = out ? &m[out - 1] : NULL;
        if (!d || member_cmp(d, &m[i]) != 0) {
            m[out++] = m[i];
            continue;
        }
        d->count = d->count + m[i].count < d->count ? UINT64_MAX : d->count + m[i].count;
        if (m[i].first_us < d->first_us)
            d->first_us = m[i].first_us;
        if (m[i].last_us > d->last_us)
            d->last_us = m[i].last_us;
        if (m[i].updated_us > d->updated_us)
            d->updated_us = m[i].updated_us;
    }
    return out;
}

kz_err
kz_store__sqlite_corr_enter(struct kz_sqlite *s, struct kz_sqlite_conn *c, struct kz_store_tx *tx)
{
    return enter(s, c, tx);
}

void
kz_store__sqlite_corr_leave(struct kz_sqlite *s)
{
    pthread_mutex_unlock(&s->corr.mu);
}

kz_err
kz_store__sqlite_corr_window_held(struct kz_sqlite *s, struct kz_sqlite_conn *c,
                                  struct kz_store_tx *tx, const char *indicator,
                                  int64_t window_us, int64_t bucket_us,
                                  struct kz_corr_member **out, size_t *n)
{
    struct kz_sqlite_corr *k = &s->corr;
    size_t cap = 0;
    uint32_t ind;
    kz_err err;

    *out = NULL;
    *n = 0;
    if (!indicator || window_us <= 0)
        return KZ_ERR_INVALID;
    err = length_use(k, c, tx != NULL, window_us);
    if (err != KZ_OK || !kz_corr_find(&k->strs, indicator, &ind))
        return err;
    parts_append(&k->strs, kz_corr_state_window(&k->committed, &k->strs, ind, window_us, bucket_us),
                 out, n, &cap);
    if (tx) {
        tx_windows_refresh(k);
        parts_append(&k->strs, kz_corr_state_window(&k->tx.state, &k->strs, ind, window_us, bucket_us),
                     out, n, &cap);
    }
    *n = members_fold(*out, *n);
    return KZ_OK;
}

kz_err
kz_store__sqlite_corr_window(struct kz_sqlite *s, struct kz_sqlite_conn *c, struct kz_store_tx *tx,
                             const char *indicator, int64_t window_us, int64_t bucket_us,
                             struct kz_corr_member **out, size_t *n)
{
    kz_err err = enter(s, c, tx);

    *out = NULL;
    *n = 0;
    if (err != KZ_OK)
        return err;
    err = kz_store__sqlite_corr_window_held(s, c, tx, indicator, window_us, bucket_us, out, n);
    pthread_mutex_unlock(&s->corr.mu);
    return err;
}

kz_err
kz_store__sqlite_corr_alert_seq(struct kz_sqlite *s, struct kz_sqlite_conn *c,
                                struct kz_store_tx *tx, const char *id, int64_t *seq)
{
    struct kz_sqlite_corr *k = &s->corr;
    uint32_t n;
    kz_err err = enter(s, c, tx);

    *seq = 0;
    if (err != KZ_OK)
        return err;
    if (kz_corr_find(&k->strs, id, &n)) {
        if (tx)
            *seq = kz_corr_state_alert_seq(&k->tx.state, &k->strs, n);
        if (*seq == 0)
            *seq = kz_corr_state_alert_seq(&k->committed, &k->strs, n);
    }
    pthread_mutex_unlock(&k->mu);
    return KZ_OK;
}

void
kz_store__sqlite_corr_alert_added(struct kz_sqlite *s, const struct kz_alert *a, int64_t seq)
{
    struct kz_sqlite_corr *k = &s->corr;

    pthread_mutex_lock(&k->mu);
    kz_corr_state_alert_put(&k->tx.state, &k->strs, kz_corr_intern(&k->strs, a->id), seq,
                            kz_corr_intern(&k->strs, a->indicator), a->window_us, a->bucket_us);
    k->tx.alert_last = seq;
    pthread_mutex_unlock(&k->mu);
}

kz_err
kz_store__sqlite_tx_corr_members(struct kz_store_tx *tx, const char *indicator, int64_t window_us,
                                 int64_t bucket_us, kz_corr_member_fn fn, void *ctx)
{
    struct kz_corr_member *m;
    size_t n;
    kz_err err = kz_store__sqlite_corr_window(kz_sqlite_of(tx->store), kz_sqlite_tx_conn(tx), tx,
                                              indicator, window_us, bucket_us, &m, &n);

    for (size_t i = 0; err == KZ_OK && i < n; i++)
        fn(ctx, &m[i]);
    free(m);
    return err;
}

struct seq_list {
    int64_t *v;
    size_t n, cap;
    int64_t before;
};

static void
seq_take(void *ctx, int64_t seq)
{
    struct seq_list *l = ctx;

    if (seq >= l->before)
        return;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = kz_xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n++] = seq;
}

static int
seq_newest_first(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;

    return a < b ? 1 : a > b ? -1 : 0;
}

kz_err
kz_store__sqlite_corr_alerts_of_held(struct kz_sqlite *s, struct kz_sqlite_conn *c,
                                     const char *org, int64_t before_seq, int64_t **seqs,
                                     size_t *n)
{
    struct kz_sqlite_corr *k = &s->corr;
    struct seq_list l = {NULL, 0, 0, before_seq};
    uint32_t o;
    kz_err err = KZ_OK;

    *seqs = NULL;
    *n = 0;
    /* Rules use at most KZ_RULE_COUNT (5) lengths: with theirs, these fit in the cache. */
    if (k->alert_lengths_overflow || k->n_alert_lengths > KZ_CORR_MAX_LENGTHS / 2)
        return KZ_ERR_LIMIT; /* too many window lengths to keep: the caller walks instead */
    for (size_t i = 0; err == KZ_OK && i < k->n_alert_lengths; i++)
        err = length_use(k, c, false, k->alert_lengths[i]);
    if (err != KZ_OK || !kz_corr_find(&k->strs, org, &o))
        return err;
    kz_corr_state_alerts_of(&k->committed, &k->strs, o, seq_take, &l);
    qsort(l.v, l.n, sizeof(*l.v), seq_newest_first);
    *seqs = l.v;
    *n = l.n;
    return KZ_OK;
}
