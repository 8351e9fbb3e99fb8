/* Declarations shared by the files of src/match; not part of its interface. */
#ifndef KZ_MATCH_MATCH_INT_H
#define KZ_MATCH_MATCH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "match/match.h"

#define KZ_MATCH_NO_WINDOW UINT32_MAX
#define KZ_MATCH_NO_ID UINT32_MAX
#define KZ_MATCH_VALUE_MAX 8192 /* longest normalised value (URLs) */
#define KZ_MATCH_DOMAIN_MAX 1024

/* One indicator: 24 bytes. Ids that are "indicator--<uuid>" keep only the 16 bytes. */
struct kz_match__ind {
    uint8_t uuid[16];
    uint32_t id_off; /* KZ_MATCH_NO_ID, or the arena offset of a NUL-terminated odd id */
    uint32_t window; /* KZ_MATCH_NO_WINDOW, or an index into windows[] */
};

/* One indexed value: 16 bytes. Keys with the same value chain through next. */
struct kz_match__key {
    uint32_t off;   /* value bytes in the arena */
    uint16_t len;
    uint8_t kind;   /* enum kz_match_kind */
    uint8_t plen;   /* prefix length of an address */
    uint32_t ind;   /* indicator */
    uint32_t next;  /* next key with the same value, or UINT32_MAX */
};

struct kz_pattern;

/* A pattern the index cannot take: the evaluator decides it for each event. */
struct kz_match__evpat {
    struct kz_pattern *p;
    uint32_t ind;
    uint32_t kinds; /* bit per kz_match_kind of the object types the pattern names */
    bool multi;     /* needs several events: evaluated over a window (sequence.c) */
    double span;    /* the pattern's WITHIN bound in seconds; negative when unbounded */
    uint64_t min_obs; /* the fewest events a match takes */
    uint64_t required; /* kz_pattern_required */
};

struct kz_match_index {
    char *arena;
    size_t arena_n, arena_cap;
    struct kz_match__ind *inds;
    size_t ninds, inds_cap;
    struct kz_match_validity *windows;
    size_t nwindows, windows_cap;
    struct kz_match__key *keys;
    size_t nkeys, keys_cap;
    uint64_t *hashes; /* while building: hash of each key */
    /* The table: slot = fingerprint << 32 | (key + 1); 0 is empty. */
    uint64_t *slots;
    uint64_t mask;
    /* Prefix lengths that occur, so an address lookup probes only those. */
    uint8_t v4_plens[33];
    size_t n_v4_plens;
    uint8_t v6_plens[129];
    size_t n_v6_plens;
    bool v4_has[33], v6_has[129];
    uint32_t kinds_present; /* bit per kind */
    /*
     * A blocked Bloom filter of the keys (two bits in one 64-bit word, 16 bits a key): small
     * enough to stay in a core's cache, it answers most misses without touching the table.
     */
    uint64_t *bloom;
    uint64_t bloom_mask; /* words - 1 */
    /*
     * Which IPv4 blocks of v4f_bits leading bits (16 to 24, more with more address keys)
     * any address key covers: most observed addresses stop at this one bit.
     */
    uint64_t *v4f;
    unsigned v4f_bits;
    uint64_t *v4c; /* past 2^20 bits of v4f: bit b set when any of v4f's bits 16b..16b+15 is */
    /* Bit l-1 set when some domain key has l labels (bit 63: 64 or more). */
    uint64_t dom_labels;
    /*
     * Which last labels ("com", "net", ...) domain keys end in, by kz_match__tld_bit: a name
     * whose last label no key has is not walked at all (most names of a log).
     */
    uint64_t dom_tlds[64];
    struct kz_match__evpat *evals;
    size_t nevals, evals_cap;
    size_t nmulti; /* evals with multi set */
    bool finished;
};

/*
 * The n < 8 bytes at p as memcpy into a zeroed uint64_t would give them, without that copy:
 * a load of 8 bytes right after byte stores to the same place stalls the processor (the
 * stores cannot be forwarded), which cost a fifth of the domain lookup. Overlapping loads
 * of whole words inside [p, p + n) instead.
 */
static inline uint64_t
kz_match__load_tail(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t w = 0;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, b, 4);
        memcpy(&hi, b + n - 4, 4);
        /* hi holds bytes n-4..n-1; keep those past byte 3 as bytes 4..n-1. */
        w = (uint64_t)lo | ((uint64_t)hi >> (8 * (8 - n))) << 32;
    } else if (n > 0) {
        w = (uint64_t)b[0] | (uint64_t)b[n >> 1] << (8 * (n >> 1)) | (uint64_t)b[n - 1]
                                                                        << (8 * (n - 1));
    }
#else
    memcpy(&w, b, n);
#endif
    return w;
}

/*
 * A 64-bit hash of kind, prefix length and bytes. Inline, with the lookups below: they run
 * for every value of every line.
 */
static inline uint64_t
kz_match__hash(unsigned kind, unsigned plen, const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 0x9e3779b97f4a7c15ull ^ ((uint64_t)kind << 56) ^ ((uint64_t)plen << 48) ^ n;
    uint64_t w;

    while (n >= 8) {
        memcpy(&w, b, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
        b += 8;
        n -= 8;
    }
    if (n) {
        w = kz_match__load_tail(b, n);
        h = (h ^ w) * 0x94d049bb133111ebull;
    }
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return h;
}

/*
 * The bit of dom_tlds for a last label of n bytes at p (lower case): its first eight bytes
 * and its length, mixed. Longer labels share bits with others, which only costs a walk.
 */
static inline unsigned
kz_match__tld_mix(uint64_t w, size_t n)
{
    return (unsigned)(((w ^ (uint64_t)n << 59) * 0x9e3779b97f4a7c15ull) >> 52);
}

static inline unsigned
kz_match__tld_bit(const char *p, size_t n)
{
    uint64_t w;

    if (n >= 8)
        memcpy(&w, p, 8);
    else
        w = kz_match__load_tail(p, n);
    return kz_match__tld_mix(w, n);
}

/* Adds a normalised key for indicator ind. */
void kz_match__add_key(struct kz_match_index *ix, enum kz_match_kind kind, unsigned plen,
                       const void *p, size_t n, uint32_t ind);
/* Adds an indicator record; id may be NULL (derived from seed) */
uint32_t kz_match__add_ind(struct kz_match_index *ix, const char *id, struct kz_str seed,
                           const struct kz_match_validity *v);
/* Drops the last indicator record (when none of its values were accepted). */
void kz_match__drop_last_ind(struct kz_match_index *ix);

static inline bool
kz_match__key_eq(const struct kz_match_index *ix, const struct kz_match__key *k, unsigned kind,
                 unsigned plen, const void *p, size_t n)
{
    return k->kind == kind && k->plen == plen && k->len == n &&
           memcmp(ix->arena + k->off, p, n) == 0;
}

/* Finds the first key equal to the value (h its hash); UINT32_MAX when absent. */
static inline uint32_t
kz_match__find_h(const struct kz_match_index *ix, uint64_t h, enum kz_match_kind kind,
                 unsigned plen, const void *p, size_t n)
{
    uint64_t fp = h >> 32, pos = h & ix->mask;
    uint64_t bits = (1ull << ((h >> 40) & 63)) | (1ull << ((h >> 46) & 63));

    if (!ix->slots || (ix->bloom[(h >> 8) & ix->bloom_mask] & bits) != bits)
        return UINT32_MAX;
    for (;;) {
        uint64_t s = ix->slots[pos];
        if (s == 0)
            return UINT32_MAX;
        if ((s >> 32) == fp) {
            uint32_t k = (uint32_t)s - 1;
            if (kz_match__key_eq(ix, &ix->keys[k], kind, plen, p, n))
                return k;
        }
        pos = (pos + 1) & ix->mask;
    }
}

static inline uint32_t
kz_match__find(const struct kz_match_index *ix, enum kz_match_kind kind, unsigned plen,
               const void *p, size_t n)
{
    return kz_match__find_h(ix, kz_match__hash(kind, plen, p, n), kind, plen, p, n);
}

/* ---- normalisers: return the length written to out (0 when the value is not of the kind) ---- */

/* IPv4 text to 4 bytes; plen receives 32 or the CIDR length when cidr is allowed. */
bool kz_match__parse_ipv4(const char *p, size_t n, uint8_t out[4], unsigned *plen, bool cidr);

bool kz_match__parse_ipv6(const char *p, size_t n, uint8_t out[16], unsigned *plen, bool cidr);
void kz_match__mask(uint8_t *a, size_t bytes, unsigned plen);
/* Lower-case, no trailing dot; out has KZ_MATCH_DOMAIN_MAX bytes. */
size_t kz_match__norm_domain(const char *p, size_t n, char *out);
bool kz_match__is_domain(const char *p, size_t n);
/* "host[:port]/path?query" with scheme dropped, host lower-cased, default port dropped. */
size_t kz_match__norm_url(const char *p, size_t n, char *out, size_t outlen);
/* host and path/query of a log event into the same form. */
size_t kz_match__norm_url_parts(const char *host, size_t hn, const char *uri, size_t un,
                                char *out, size_t outlen);
/* Hex hash to binary; returns the kind by length or KZ_MATCH_NONE. */
enum kz_match_kind kz_match__parse_hash(const char *p, size_t n, uint8_t out[64], size_t *outn);
/* Lower-cased address from "a@b", "<a@b>" or "Name <a@b>". */
size_t kz_match__norm_email(const char *p, size_t n, char *out, size_t outlen);

/* ---- the line being scanned ---- */

#define KZ_MATCH_LINE_HITS 32
#define KZ_MATCH_LINE_OBS 16

/* An observed value of the line, kept for the evaluator (only when it has patterns). */
struct kz_match__obs {
    uint8_t kind;   /* enum kz_match_kind */
    char role;      /* 's' source address, 'd' destination address, 0 */
    uint16_t len;
    uint32_t off;   /* in obsbuf */
};

struct kz_match__hit {
    uint32_t ind;
    uint8_t kind;
    const char *field;
    const char *val; /* observed value: a view into the line or the hit scratch */
    size_t valn;
};

struct kz_match__line {
    const struct kz_match_index *ix;
    struct kz_match__hit hits[KZ_MATCH_LINE_HITS];
    size_t nhits;
    uint64_t matches;
    char scratch[4096]; /* copies of unescaped observed values of hits */
    size_t scratch_n;
    const char *ts;     /* the event time as it appears in the line */
    size_t tsn;
    bool ts_epoch;      /* Zeek TSV "1521911720.865716" */
    char tsbuf[64];     /* ts copied when the line's own bytes are not what was walked */
    struct kz_match__obs obs[KZ_MATCH_LINE_OBS];
    size_t nobs;
    uint32_t obs_kinds; /* bit per kind noted */
    char obsbuf[4096];
    size_t obsbuf_n;
    struct kz_match__seq *seq; /* windows of the multi-event patterns; NULL until needed */
    double window_seconds;     /* from the scan options, defaults applied */
    uint32_t window_events;
    uint64_t window_dropped;
    uint64_t found; /* keys found so far (kz_match__emit), valid at the line's time or not */
};

struct kz_match__seq;
/*
 * Adds the event od (owned by the caller) at time t_us to the window of multi-event pattern
 * number i and evaluates the pattern over the window; true when the event completed a match.
 */
bool kz_match__seq_event(struct kz_match__line *ln, size_t i, json_t *od, int64_t t_us);
/* The event time for a line without one: just after the previous event (arrival order). */
int64_t kz_match__seq_fallback_time(struct kz_match__line *ln, int64_t t_us);
void kz_match__seq_free(struct kz_match__seq *q);

/* Notes an observed value for the evaluator; a no-op when the index has no patterns for it. */
void kz_match__observe(struct kz_match__line *ln, enum kz_match_kind kind, const char *field,
                       const char *p, size_t n);
/* kz_match__observe when the index has patterns for the evaluator (cheap otherwise). */
static inline void
kz_match__note(struct kz_match__line *ln, enum kz_match_kind kind, const char *field,
               const char *p, size_t n)
{
    if (ln->ix->nevals)
        kz_match__observe(ln, kind, field, p, n);
}

/* The field of hits the evaluator found. */
extern const char kz_match__pattern_field[];
/* Runs the evaluator's patterns over the values the line's reader observed. */
void kz_match__eval_line(struct kz_match__line *ln);
/* Adds a pattern (compiled p of the text) for the evaluator to indicator ind. */
void kz_match__add_eval(struct kz_match_index *ix, struct kz_pattern *p, const char *text,
                        uint32_t ind);

/* Points the line's time at a copy of v. */
void kz_match__line_set_ts_copy(struct kz_match__line *ln, const char *v, size_t n);

void kz_match__line_begin(struct kz_match__line *ln);
/* Looks values up and records hits. */
void kz_match__check_ip(struct kz_match__line *ln, const char *field, const char *p, size_t n);
/* As check_ip; false when the text is not an address at all. */
bool kz_match__check_ip_r(struct kz_match__line *ln, const char *field, const char *p, size_t n);
/* As check_ip_r, where room >= n bytes can be read at p (16 let IPv4 be parsed by vector). */
bool kz_match__check_ip_in(struct kz_match__line *ln, const char *field, const char *p, size_t n,
                           size_t room);
void kz_match__check_domain(struct kz_match__line *ln, const char *field, const char *p, size_t n);
/* An address or a domain, as DNS answers and hosts may be either. */
void kz_match__check_host(struct kz_match__line *ln, const char *field, const char *p, size_t n);
/* As check_host, with room as for check_ip_in. */
void kz_match__check_host_in(struct kz_match__line *ln, const char *field, const char *p, size_t n,
                             size_t room);
void kz_match__check_url(struct kz_match__line *ln, const char *field, const char *host, size_t hn,
                         const char *uri, size_t un);
void kz_match__check_url_full(struct kz_match__line *ln, const char *field, const char *p,
                              size_t n);
void kz_match__check_hash(struct kz_match__line *ln, const char *field, const char *p, size_t n);
void kz_match__check_email(struct kz_match__line *ln, const char *field, const char *p, size_t n);
/* Records a hit of indicator ind when it is valid at the event time and new on the line. */
void kz_match__emit_ind(struct kz_match__line *ln, uint32_t ind, unsigned kind, const char *field,
                        const char *val, size_t valn);
/* Records a hit on every key chained from key k whose indicator is valid at the event time. */
void kz_match__emit(struct kz_match__line *ln, uint32_t k, const char *field, const char *val,
                    size_t valn);

/* Event time of the line in microseconds, INT64_MIN when unknown. */
int64_t kz_match__line_time(const struct kz_match__line *ln);

/* ---- a small JSON scanner for one line ---- */

/*
 * Walks one JSON object without building it. For every string value (also inside arrays)
 * calls fn with the keys of the enclosing objects (keys[0] the top-level key, depth of
 * them) and the raw value bytes between the quotes (escapes left in; has_esc tells).
 * Returns false when the line is not well-formed JSON as far as the walk can tell.
 */
struct kz_match__jkey {
    const char *p;
    size_t n;
};
#define KZ_MATCH_JSON_DEPTH 16
/* type: 's' a string (raw, escapes left in when has_esc), 'n' a number, 'l' true/false/null. */
typedef void (*kz_match__json_fn)(void *arg, const struct kz_match__jkey *keys, size_t depth,
                                  const char *v, size_t vn, int type, bool has_esc);
bool kz_match__json_walk(const char *p, size_t n, kz_match__json_fn fn, void *arg);
/* The same walk over a line jansson accepts (deep nesting); strings come unescaped. */
bool kz_match__json_walk_slow(const char *p, size_t n, kz_match__json_fn fn, void *arg);
/* Unescapes a JSON string body into out; returns the length or SIZE_MAX when invalid/too long. */
size_t kz_match__json_unescape(const char *p, size_t n, char *out, size_t outlen);

/* ---- readers: each takes one line without its newline; false when malformed ---- */

/*
 * An address column's last value when it found no key: the next line with the same bytes
 * (the resolver in id.resp_h, a busy client in id.orig_h) skips the parse and the probes.
 */
struct kz_match__memo {
    uint64_t head, tail; /* the first and the last eight bytes (overlapping; see memo_words) */
    uint8_t n;           /* 0: nothing remembered; at most 15 */
};

/*
 * A wanted column: the indexes in wpos of the separators before and after it (wpos[0] is
 * the one "before" the line, UINT32_MAX, and wpos[nwsep + 1] the line's end), its kind and
 * its name.
 */
struct kz_match__zcut {
    uint32_t before, after;
    uint8_t kind; /* enum kz_match__field */
    const char *name;
};

struct kz_match__zeek {
    bool have_fields;
    char sep;
    char set_sep;
    /* per column: what the field is */
    uint8_t *cols;
    const char **names;
    size_t ncols;
    char *names_mem;
    uint32_t *want;  /* the columns worth reading, in order */
    size_t nwant;
    /* per wanted column: the indexes in wpos of the separators before and after it */
    struct kz_match__zcut *cut;
    uint32_t *pos;   /* every separator's offset (the plain way, without have_seps) */
    uint32_t *wpos;  /* the offsets of the separators around wanted columns, in order, from 1 */
    uint32_t *wsepn; /* their numbers (which separator of the line each one is) */
    size_t nwsep;
    uint64_t *wsep;  /* bit t: separator t bounds a wanted column; a zero word past the last */
    /* the split's variant for this processor (zeek_split.c); NULL before '#fields' */
    size_t (*split)(struct kz_match__zeek *z, const char *p, size_t n);
    size_t nsep;     /* how many separators the line has, when have_seps */
    bool have_seps;  /* wpos and nsep were found with the line's end (kz_match__zeek_split) */
    bool esc;        /* with have_seps: the line has a '\\' (Zeek escapes) */
    struct kz_match__memo *memo; /* per wanted column: its last address that found nothing */
};

struct kz_match__csv {
    bool have_header;
    uint8_t *cols;
    const char **names;
    size_t ncols;
    char *names_mem;
    const char *map; /* --csv-map */
};

bool kz_match__read_eve(struct kz_match__line *ln, const char *p, size_t n);
bool kz_match__read_zeek_json(struct kz_match__line *ln, const char *p, size_t n);
/* Returns 1 data line, 0 header line, -1 malformed. */
int kz_match__read_zeek(struct kz_match__zeek *z, struct kz_match__line *ln, const char *p,
                        size_t n);
void kz_match__zeek_release(struct kz_match__zeek *z);
/*
 * Finds the end of the line at p (its '\n', or n) and, for a data line, the separators in
 * it in the same pass, for the next kz_match__read_zeek. Returns the line's length.
 */
size_t kz_match__zeek_split(struct kz_match__zeek *z, const char *p, size_t n);
/* After '#fields': which separators to find, and how (the processor's best way). */
void kz_match__zeek_split_setup(struct kz_match__zeek *z);
/* Tests: split variants above isa (0 bytes, 1 SSE2, 2 AVX2, 3 AVX2 + pdep, 4 AVX-512) are not used. */
void kz_match__zeek_split_cap(unsigned isa);
int kz_match__read_csv(struct kz_match__csv *c, struct kz_match__line *ln, const char *p, size_t n);
void kz_match__csv_release(struct kz_match__csv *c);
/* True when a CSV header names at least one column we can match on (for --format auto). */
bool kz_match__csv_header_known(const char *p, size_t n);
bool kz_match__read_text(struct kz_match__line *ln, const char *p, size_t n);

/* What a field of a Zeek or CSV column is. */
enum kz_match__field {
    KZ_F_NONE = 0,
    KZ_F_IP,
    KZ_F_DOMAIN,
    KZ_F_HOST,   /* address or domain */
    KZ_F_ANSWERS, /* a set of addresses or domains */
    KZ_F_URIHOST, /* HTTP host, paired with KZ_F_URI */
    KZ_F_URI,
    KZ_F_URL,    /* a whole URL */
    KZ_F_HASH,
    KZ_F_EMAIL,
    KZ_F_EMAILS, /* a set of addresses */
    KZ_F_TS,
};

/*
 * Looks one value of a classified field up (addresses, names, URLs, hashes, e-mail
 * addresses; a URIHOST as a host). False for what the reader keeps itself: the URI, the
 * URIHOST for pairing with it, the time, and fields of no kind.
 */
static inline bool
kz_match__check_field(struct kz_match__line *ln, enum kz_match__field f, const char *name,
                      const char *v, size_t n)
{
    switch (f) {
    case KZ_F_IP:
        kz_match__check_ip_r(ln, name, v, n);
        return true;
    case KZ_F_DOMAIN:
        kz_match__check_domain(ln, name, v, n);
        return true;
    case KZ_F_HOST:
    case KZ_F_ANSWERS:
        kz_match__check_host(ln, name, v, n);
        return true;
    case KZ_F_URIHOST:
        kz_match__check_host(ln, name, v, n);
        return false; /* the reader pairs it with the URI */
    case KZ_F_URL:
        kz_match__check_url_full(ln, name, v, n);
        return true;
    case KZ_F_HASH:
        kz_match__check_hash(ln, name, v, n);
        return true;
    case KZ_F_EMAIL:
    case KZ_F_EMAILS:
        kz_match__check_email(ln, name, v, n);
        return true;
    default:
        return false;
    }
}

/* Stable ids: "indicator--" + a name-based (SHA-1, version 5) UUID of the seed. */
void kz_match__uuid5(const void *ns16, const void *name, size_t n, uint8_t out[16]);
void kz_match__uuid_text(const uint8_t u[16], char out[37]);

#endif
