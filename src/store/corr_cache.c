/*
 * The correlation windows in memory (corr_cache.h). Items live in arrays; the slots of
 * an open-addressing table point into them by index, so growing a table moves no item
 * and every lookup is a hash, a probe and a compare. Hashes are SipHash with a key chosen
 * per process: indicator and alert ids come from members, and must not be able to pick
 * colliding slots.
 *
 * All of it is mapped apart from the malloc heap (arrays with mmap/mremap, small pieces
 * from a bump arena): measured with bench/correlate, the cache's long-lived pieces mixed
 * into the heap made every request's own allocations slower.
 */
#include "store/corr_cache.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <sodium.h>

#include "store/store.h"
#include "base/banned.h"

#define PAGE_BYTES 4096u
#define BLOCK_BYTES (1u << 20)

struct kz_corr_block {
    struct kz_corr_block *next;
    size_t bytes;
};

static size_t
page_round(size_t n)
{
    return (n + PAGE_BYTES - 1) & ~(size_t)(PAGE_BYTES - 1);
}

/* A mapping of new_bytes holding the first old_bytes of p (NULL: a fresh zeroed one). */
static void *
map_resize(void *p, size_t old_bytes, size_t new_bytes)
{
    void *q = p ? mremap(p, page_round(old_bytes), page_round(new_bytes), MREMAP_MAYMOVE)
                : mmap(NULL, page_round(new_bytes), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (q == MAP_FAILED)
        abort(); /* out of memory, as the heap allocators do */
    return q;
}

static void
map_free(void *p, size_t bytes)
{
    if (p)
        munmap(p, page_round(bytes));
}

/* Grows a mapped array of *cap items of size sz to hold need (capacity doubles). */
static void *
array_grow(void *p, size_t *cap, size_t need, size_t sz)
{
    size_t ncap = *cap ? *cap : PAGE_BYTES / sz;

    while (ncap < need)
        ncap *= 2;
    if (ncap != *cap) {
        p = map_resize(p, *cap * sz, ncap * sz);
        *cap = ncap;
    }
    return p;
}

static void *
arena_alloc(struct kz_corr_arena *a, size_t n)
{
    const size_t hdr = (sizeof(struct kz_corr_block) + 7) & ~(size_t)7;
    void *r;

    n = (n + 7) & ~(size_t)7;
    if (n > a->left) {
        size_t bytes = page_round(n + hdr > BLOCK_BYTES ? n + hdr : BLOCK_BYTES);
        struct kz_corr_block *b = map_resize(NULL, 0, bytes);
        b->next = a->blocks;
        b->bytes = bytes;
        a->blocks = b;
        a->p = (char *)b + hdr;
        a->left = bytes - hdr;
    }
    r = a->p;
    a->p += n;
    a->left -= n;
    return r;
}

/* Keeps the newest block for reuse and gives the others back. */
static void
arena_reset(struct kz_corr_arena *a)
{
    const size_t hdr = (sizeof(struct kz_corr_block) + 7) & ~(size_t)7;
    struct kz_corr_block *b = a->blocks, *next;

    if (!b)
        return;
    for (struct kz_corr_block *o = b->next; o; o = next) {
        next = o->next;
        map_free(o, o->bytes);
    }
    b->next = NULL;
    a->p = (char *)b + hdr;
    a->left = b->bytes - hdr;
}

static void
arena_release(struct kz_corr_arena *a)
{
    arena_reset(a);
    if (a->blocks)
        map_free(a->blocks, a->blocks->bytes);
    memset(a, 0, sizeof(*a));
}

typedef bool (*slot_eq_fn)(const void *ctx, uint32_t item);

static void
slots_release(struct kz_corr_slots *x)
{
    map_free(x->v, x->cap * sizeof(*x->v));
    memset(x, 0, sizeof(*x));
}

static void
slots_clear(struct kz_corr_slots *x)
{
    if (x->v)
        memset(x->v, 0, x->cap * sizeof(*x->v));
    x->n = 0;
}

/* The item (index) whose hash is h and that eq accepts, or UINT32_MAX. */
static uint32_t
slots_find(const struct kz_corr_slots *x, uint64_t h, slot_eq_fn eq, const void *ctx)
{
    size_t mask = x->cap - 1;

    if (x->cap == 0)
        return UINT32_MAX;
    for (size_t i = h & mask; x->v[i].item != 0; i = (i + 1) & mask)
        if (x->v[i].hash == h && eq(ctx, x->v[i].item - 1))
            return x->v[i].item - 1;
    return UINT32_MAX;
}

static void
slots_put(struct kz_corr_slots *x, uint64_t h, uint32_t item)
{
    size_t mask, i;

    /* Kept at most half full, so that probes stay short. */
    if (2 * (x->n + 1) > x->cap) {
        struct kz_corr_slots old = *x;
        x->cap = old.cap ? old.cap * 2 : PAGE_BYTES / sizeof(*x->v);
        x->v = map_resize(NULL, 0, x->cap * sizeof(*x->v));
        x->n = 0;
        for (size_t j = 0; j < old.cap; j++)
            if (old.v[j].item != 0)
                slots_put(x, old.v[j].hash, old.v[j].item - 1);
        slots_release(&old);
    }
    mask = x->cap - 1;
    for (i = h & mask; x->v[i].item != 0; i = (i + 1) & mask)
        ;
    x->v[i].hash = h;
    x->v[i].item = item + 1;
    x->n++;
}

static uint64_t
hash_bytes(const struct kz_corr_strings *t, const void *p, size_t len)
{
    unsigned char out[crypto_shorthash_BYTES];
    uint64_t h;

    crypto_shorthash(out, p, len, t->key);
    memcpy(&h, out, sizeof(h));
    return h;
}

/* ---- strings ---- */

void
kz_corr_strings_init(struct kz_corr_strings *t)
{
    memset(t, 0, sizeof(*t));
    _Static_assert(sizeof(t->key) == crypto_shorthash_KEYBYTES, "SipHash key size");
    if (sodium_init() < 0)
        abort(); /* libsodium cannot start: nothing random is safe */
    randombytes_buf(t->key, sizeof(t->key));
}

void
kz_corr_strings_release(struct kz_corr_strings *t)
{
    map_free(t->s, t->cap * sizeof(*t->s));
    arena_release(&t->bytes);
    slots_release(&t->slots);
    memset(t, 0, sizeof(*t));
}

struct str_key {
    const struct kz_corr_strings *t;
    const char *s;
};

static bool
str_eq(const void *ctx, uint32_t item)
{
    const struct str_key *k = ctx;

    return strcmp(k->t->s[item], k->s) == 0;
}

bool
kz_corr_find(const struct kz_corr_strings *t, const char *s, uint32_t *out)
{
    struct str_key k = {t, s};
    uint32_t item = slots_find(&t->slots, hash_bytes(t, s, strlen(s)), str_eq, &k);

    if (item == UINT32_MAX)
        return false;
    *out = item;
    return true;
}

uint32_t
kz_corr_intern(struct kz_corr_strings *t, const char *s)
{
    uint64_t h = hash_bytes(t, s, strlen(s));
    struct str_key k = {t, s};
    uint32_t item = slots_find(&t->slots, h, str_eq, &k);

    if (item != UINT32_MAX)
        return item;
    t->s = array_grow(t->s, &t->cap, t->n + 1, sizeof(*t->s));
    t->s[t->n] = memcpy(arena_alloc(&t->bytes, strlen(s) + 1), s, strlen(s) + 1);
    slots_put(&t->slots, h, (uint32_t)t->n);
    return (uint32_t)t->n++;
}

const char *
kz_corr_string(const struct kz_corr_strings *t, uint32_t n)
{
    return n < t->n ? t->s[n] : "";
}

/* ---- windows and alerts ---- */

void
kz_corr_state_init(struct kz_corr_state *st)
{
    memset(st, 0, sizeof(*st));
}

void
kz_corr_state_clear_windows(struct kz_corr_state *st)
{
    st->n_w = 0;
    slots_clear(&st->w_slots);
    arena_reset(&st->parts);
    st->n_ow = 0;
    if (st->org_head)
        memset(st->org_head, 0, st->cap_org_head * sizeof(*st->org_head));
}

void
kz_corr_state_reset(struct kz_corr_state *st)
{
    kz_corr_state_clear_windows(st);
    st->n_a = 0;
    slots_clear(&st->a_slots);
    slots_clear(&st->aw_slots);
}

void
kz_corr_state_release(struct kz_corr_state *st)
{
    map_free(st->w, st->cap_w * sizeof(*st->w));
    slots_release(&st->w_slots);
    arena_release(&st->parts);
    map_free(st->a, st->cap_a * sizeof(*st->a));
    slots_release(&st->a_slots);
    slots_release(&st->aw_slots);
    map_free(st->ow, st->cap_ow * sizeof(*st->ow));
    map_free(st->org_head, st->cap_org_head * sizeof(*st->org_head));
    memset(st, 0, sizeof(*st));
}

struct window_key {
    uint32_t indicator;
    int64_t length_us, start_us;
};

static uint64_t
window_hash(const struct kz_corr_strings *t, const struct window_key *k)
{
    unsigned char b[sizeof(k->indicator) + 2 * sizeof(int64_t)];

    memcpy(b, &k->indicator, sizeof(k->indicator));
    memcpy(b + sizeof(k->indicator), &k->length_us, sizeof(int64_t));
    memcpy(b + sizeof(k->indicator) + sizeof(int64_t), &k->start_us, sizeof(int64_t));
    return hash_bytes(t, b, sizeof(b));
}

struct window_find {
    const struct kz_corr_state *st;
    const struct window_key *k;
};

static bool
key_is(const struct window_key *k, uint32_t indicator, int64_t length_us, int64_t start_us)
{
    return k->indicator == indicator && k->length_us == length_us && k->start_us == start_us;
}

static bool
window_eq(const void *ctx, uint32_t item)
{
    const struct window_find *f = ctx;
    const struct kz_corr_folded *w = &f->st->w[item];

    return key_is(f->k, w->indicator, w->length_us, w->start_us);
}

/* The same search over alerts: the first alert of the window. */
static bool
alert_window_eq(const void *ctx, uint32_t item)
{
    const struct window_find *f = ctx;
    const struct kz_corr_alert *a = &f->st->a[item];

    return key_is(f->k, a->indicator, a->length_us, a->start_us);
}

const struct kz_corr_folded *
kz_corr_state_window(const struct kz_corr_state *st, const struct kz_corr_strings *t,
                     uint32_t indicator, int64_t length_us, int64_t start_us)
{
    struct window_key k = {indicator, length_us, start_us};
    struct window_find f = {st, &k};
    uint32_t item = slots_find(&st->w_slots, window_hash(t, &k), window_eq, &f);

    return item == UINT32_MAX ? NULL : &st->w[item];
}

static struct kz_corr_folded *
window_get_or_add(struct kz_corr_state *st, const struct kz_corr_strings *t,
                  const struct window_key *k)
{
    struct window_find f = {st, k};
    uint64_t h = window_hash(t, k);
    uint32_t item = slots_find(&st->w_slots, h, window_eq, &f);
    struct kz_corr_folded *w;

    if (item != UINT32_MAX)
        return &st->w[item];
    st->w = array_grow(st->w, &st->cap_w, st->n_w + 1, sizeof(*st->w));
    w = &st->w[st->n_w];
    memset(w, 0, sizeof(*w));
    w->cap = 1;
    w->indicator = k->indicator;
    w->length_us = k->length_us;
    w->start_us = k->start_us;
    slots_put(&st->w_slots, h, (uint32_t)st->n_w++);
    return w;
}

/* Notes that org sighted in window item w. */
static void
org_window_add(struct kz_corr_state *st, uint32_t org, uint32_t w)
{
    if (org >= st->cap_org_head)
        st->org_head = array_grow(st->org_head, &st->cap_org_head, (size_t)org + 1,
                                  sizeof(*st->org_head));
    st->ow = array_grow(st->ow, &st->cap_ow, st->n_ow + 1, sizeof(*st->ow));
    st->ow[st->n_ow] = (struct kz_corr_orgwin){w, st->org_head[org]};
    st->org_head[org] = (uint32_t)++st->n_ow;
}

/* Folds a row into a window: one part per organisation, collection and TLP. */
static void
window_fold(struct kz_corr_state *st, struct kz_corr_folded *w, const struct kz_corr_row *r)
{
    struct kz_corr_part *parts = w->cap > 1 ? w->more : &w->one, *p = NULL;
    bool org_seen = false;

    for (uint32_t i = 0; i < w->n && !p; i++) {
        org_seen = org_seen || parts[i].org == r->org;
        if (parts[i].org == r->org && parts[i].collection == r->collection &&
            parts[i].tlp == r->tlp)
            p = &parts[i];
    }
    if (!p && !org_seen)
        org_window_add(st, r->org, (uint32_t)(w - st->w));
    if (!p) {
        if (w->n == w->cap) {
            /* The old array stays in the arena until the windows are cleared. */
            uint32_t cap = w->cap < 2 ? 4 : w->cap * 2;
            struct kz_corr_part *more = arena_alloc(&st->parts, cap * sizeof(*more));
            memcpy(more, parts, w->n * sizeof(*more));
            w->more = parts = more;
            w->cap = cap;
        }
        p = &parts[w->n++];
        *p = (struct kz_corr_part){r->org, r->sector, r->collection, r->tlp, 0,
                                   r->first_us, r->last_us, r->at_us};
    }
    /* STIX counts are at most 999,999,999: the sum cannot wrap in practice; cap anyway. */
    p->count = p->count + r->count < p->count ? UINT64_MAX : p->count + r->count;
    if (r->first_us < p->first_us)
        p->first_us = r->first_us;
    if (r->last_us > p->last_us)
        p->last_us = r->last_us;
    if (r->at_us > p->updated_us)
        p->updated_us = r->at_us;
}

void
kz_corr_state_add(struct kz_corr_state *st, const struct kz_corr_strings *t,
                  const struct kz_corr_row *row, const int64_t *lengths, size_t n_lengths)
{
    for (size_t i = 0; i < n_lengths; i++) {
        struct window_key k = {row->indicator, lengths[i],
                               kz_store_corr_bucket(row->last_us, lengths[i])};
        window_fold(st, window_get_or_add(st, t, &k), row);
    }
}

struct alert_find {
    const struct kz_corr_state *st;
    uint32_t id;
};

static bool
alert_eq(const void *ctx, uint32_t item)
{
    const struct alert_find *f = ctx;

    return f->st->a[item].id == f->id;
}

int64_t
kz_corr_state_alert_seq(const struct kz_corr_state *st, const struct kz_corr_strings *t,
                        uint32_t id)
{
    struct alert_find f = {st, id};
    uint32_t item = slots_find(&st->a_slots, hash_bytes(t, &id, sizeof(id)), alert_eq, &f);

    return item == UINT32_MAX ? 0 : st->a[item].seq;
}

void
kz_corr_state_alert_put(struct kz_corr_state *st, const struct kz_corr_strings *t, uint32_t id,
                        int64_t seq, uint32_t indicator, int64_t length_us, int64_t start_us)
{
    struct window_key k = {indicator, length_us, start_us};
    struct window_find f = {st, &k};
    uint64_t h = window_hash(t, &k);
    uint32_t first;

    if (kz_corr_state_alert_seq(st, t, id) != 0)
        return;
    st->a = array_grow(st->a, &st->cap_a, st->n_a + 1, sizeof(*st->a));
    first = slots_find(&st->aw_slots, h, alert_window_eq, &f);
    st->a[st->n_a] = (struct kz_corr_alert){id, seq, indicator, length_us, start_us, 0};
    slots_put(&st->a_slots, hash_bytes(t, &id, sizeof(id)), (uint32_t)st->n_a);
    /* The window's alerts are a chain from the first one, which the slot points at. */
    if (first == UINT32_MAX) {
        slots_put(&st->aw_slots, h, (uint32_t)st->n_a);
    } else {
        st->a[st->n_a].next_in_window = st->a[first].next_in_window;
        st->a[first].next_in_window = (uint32_t)st->n_a + 1;
    }
    st->n_a++;
}

void
kz_corr_state_alerts_of(const struct kz_corr_state *st, const struct kz_corr_strings *t,
                        uint32_t org, void (*fn)(void *ctx, int64_t seq), void *ctx)
{
    if (org >= st->cap_org_head)
        return;
    for (uint32_t e = st->org_head[org]; e != 0; e = st->ow[e - 1].next) {
        const struct kz_corr_folded *w = &st->w[st->ow[e - 1].window];
        struct window_key k = {w->indicator, w->length_us, w->start_us};
        struct window_find f = {st, &k};
        uint32_t a = slots_find(&st->aw_slots, window_hash(t, &k), alert_window_eq, &f);
        for (uint32_t i = a == UINT32_MAX ? 0 : a + 1; i != 0; i = st->a[i - 1].next_in_window)
            fn(ctx, st->a[i - 1].seq);
    }
}

int64_t
kz_store_corr_bucket(int64_t t_us, int64_t window_us)
{
    int64_t q = t_us / window_us;

    if (t_us % window_us != 0 && t_us < 0)
        q--;
    return q * window_us;
}
