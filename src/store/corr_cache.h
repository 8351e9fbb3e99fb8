/*
 * The correlation windows in memory: a cache of the corr_log table (one row per
 * correlated sighting), folded into the windows of the lengths asked for, and the map from
 * an alert's id to its row. Plain data structures: sqlite_corr.c feeds them rows and
 * decides when (docs/internals/correlate.md). Not thread-safe; the caller locks.
 */
#ifndef KZ_STORE_CORR_CACHE_H
#define KZ_STORE_CORR_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stix/stix.h"

#define KZ_CORR_MAX_LENGTHS 16 /* distinct window lengths kept at once */

/* A bump allocator over blocks mapped apart from the malloc heap (corr_cache.c). */
struct kz_corr_arena {
    struct kz_corr_block *blocks;
    char *p;
    size_t left;
};

/* Open addressing over caller-held items: a slot holds an item's hash and index + 1. */
struct kz_corr_slot {
    uint64_t hash;
    uint32_t item;
};

struct kz_corr_slots {
    struct kz_corr_slot *v;
    size_t cap, n;
};

/* Interned strings (indicator, organisation, sector, collection and alert ids). */
struct kz_corr_strings {
    char **s;
    size_t n, cap;
    struct kz_corr_arena bytes;
    struct kz_corr_slots slots;
    unsigned char key[16]; /* SipHash key, random per process */
};

/* One row of corr_log, its strings interned. */
struct kz_corr_row {
    int64_t seq;
    uint32_t indicator, org, sector, collection;
    enum kz_tlp tlp;
    uint64_t count;
    int64_t first_us, last_us, at_us;
};

/* The sightings of one window folded per organisation, collection and TLP. */
struct kz_corr_part {
    uint32_t org, sector, collection;
    enum kz_tlp tlp;
    uint64_t count;
    int64_t first_us, last_us, updated_us;
};

/* One window; most have one part, kept inline. */
struct kz_corr_folded {
    uint32_t indicator;
    uint32_t n, cap;
    int64_t length_us, start_us;
    struct kz_corr_part one;
    struct kz_corr_part *more; /* when cap > 1, in the state's arena */
};

static inline const struct kz_corr_part *
kz_corr_parts(const struct kz_corr_folded *w)
{
    return w->cap > 1 ? w->more : &w->one;
}

/* An alert's row and its window (the key: indicator, length, start). */
struct kz_corr_alert {
    uint32_t id;
    int64_t seq;
    uint32_t indicator;
    int64_t length_us, start_us;
    uint32_t next_in_window; /* item + 1 of the next alert of the same window; 0: none */
};

/* One organisation in one window: the lists that answer "the alerts of org X". */
struct kz_corr_orgwin {
    uint32_t window; /* item of the window */
    uint32_t next;   /* item + 1 of the org's next entry; 0: none */
};

/*
 * Windows and alerts: the committed state, or what one write transaction added. Its
 * memory is mapped apart from the malloc heap: the cache lives as long as the process,
 * and its many small pieces would otherwise break up the heap that every request uses.
 */
struct kz_corr_state {
    struct kz_corr_folded *w;
    size_t n_w, cap_w;
    struct kz_corr_slots w_slots;
    struct kz_corr_arena parts;
    struct kz_corr_alert *a;
    size_t n_a, cap_a;
    struct kz_corr_slots a_slots;  /* by id */
    struct kz_corr_slots aw_slots; /* by window key: the first alert of each window */
    struct kz_corr_orgwin *ow;     /* per organisation, the windows it sighted in */
    size_t n_ow, cap_ow;
    uint32_t *org_head; /* by the org's string number: item + 1 of its newest entry */
    size_t cap_org_head;
};

void kz_corr_strings_init(struct kz_corr_strings *t);
void kz_corr_strings_release(struct kz_corr_strings *t);
/* The string's number, added when new. */
uint32_t kz_corr_intern(struct kz_corr_strings *t, const char *s);
/* The string's number if it is known; false otherwise. */
bool kz_corr_find(const struct kz_corr_strings *t, const char *s, uint32_t *out);
const char *kz_corr_string(const struct kz_corr_strings *t, uint32_t n);

void kz_corr_state_init(struct kz_corr_state *st);
void kz_corr_state_release(struct kz_corr_state *st);
/* Forgets the windows, keeps the alerts (and the memory). */
void kz_corr_state_clear_windows(struct kz_corr_state *st);
/* Forgets windows and alerts, keeps the memory for the next use. */
void kz_corr_state_reset(struct kz_corr_state *st);

/* Adds a row to its window of each length. */
void kz_corr_state_add(struct kz_corr_state *st, const struct kz_corr_strings *t,
                       const struct kz_corr_row *row, const int64_t *lengths, size_t n_lengths);
const struct kz_corr_folded *kz_corr_state_window(const struct kz_corr_state *st,
                                                  const struct kz_corr_strings *t,
                                                  uint32_t indicator, int64_t length_us,
                                                  int64_t start_us);

/* Records alert id at row seq, on the window (indicator, length_us, start_us). */
void kz_corr_state_alert_put(struct kz_corr_state *st, const struct kz_corr_strings *t,
                             uint32_t id, int64_t seq, uint32_t indicator, int64_t length_us,
                             int64_t start_us);
/* Calls fn with the row of every alert on a window that org sighted in (windows of the
 * lengths kept only), in no particular order. */
void kz_corr_state_alerts_of(const struct kz_corr_state *st, const struct kz_corr_strings *t,
                             uint32_t org, void (*fn)(void *ctx, int64_t seq), void *ctx);

/* The alert's row, or 0. */
int64_t kz_corr_state_alert_seq(const struct kz_corr_state *st, const struct kz_corr_strings *t,
                                uint32_t id);

#endif
