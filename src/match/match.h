/*
 * The sensor's matcher: an index of indicator values (addresses and CIDR ranges, domains,
 * URLs, file hashes, e-mail addresses) and the log readers that look every interesting field
 * of a log line up in it. A library: no database, no network.
 */
#ifndef KZ_MATCH_MATCH_H
#define KZ_MATCH_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/err.h"
#include "base/str.h"

/* ---- the index ---- */

enum kz_match_kind {
    KZ_MATCH_NONE = 0,
    KZ_MATCH_IPV4 = 1, /* with a prefix length: 32 for one address */
    KZ_MATCH_IPV6 = 2, /* with a prefix length: 128 for one address */
    KZ_MATCH_DOMAIN = 3,
    KZ_MATCH_URL = 4,
    KZ_MATCH_MD5 = 5,
    KZ_MATCH_SHA1 = 6,
    KZ_MATCH_SHA256 = 7,
    KZ_MATCH_SHA512 = 8,
    KZ_MATCH_EMAIL = 9,
    KZ_MATCH_KIND_COUNT = 10,
};

/* "ipv4", "domain", ... */
const char *kz_match_kind_name(enum kz_match_kind k);

/* Validity of an indicator; times in microseconds since the epoch. */
struct kz_match_validity {
    int64_t valid_from;  /* INT64_MIN when absent */
    int64_t valid_until; /* INT64_MAX when absent */
};

struct kz_match_index; /* immutable after kz_match_index_finish: shared by scan threads */

struct kz_match_load_stats {
    uint64_t indicators;  /* indicators taken into the index */
    uint64_t values;      /* values (keys) indexed */
    uint64_t skipped;     /* revoked, expired, superseded or not a STIX pattern */
    uint64_t unsupported; /* patterns (or terms) neither the index nor the evaluator takes */
    uint64_t evaluated;   /* indicators (also counted above) whose pattern the evaluator decides */
    uint64_t bad;         /* lines or objects that did not parse */
};

struct kz_match_index *kz_match_index_new(void);
void kz_match_index_free(struct kz_match_index *ix);

/*
 * Adds one indicator value of a known kind (text as in an indicator: "10.0.0.0/8",
 * "Example.COM.", "http://a/b", hex hash). id is "indicator--<uuid>" or NULL to derive a
 * stable id from the value. KZ_ERR_INVALID when the value is not of that kind.
 */
kz_err kz_match_index_add(struct kz_match_index *ix, enum kz_match_kind kind, struct kz_str value,
                          const char *id, const struct kz_match_validity *validity);

/* Recognises what a bare value is (address, CIDR, URL, hash, e-mail, domain). */
enum kz_match_kind kz_match_recognise(struct kz_str value);

/*
 * Loads indicators from the bytes of a file: a STIX bundle, JSON lines of STIX objects, or
 * a plain list of one value a line ('#' starts a comment). now_us decides expiry: an
 * indicator whose valid_until has passed is skipped. Only the newest version (modified) of
 * each indicator id counts; revoked ones are dropped.
 */
kz_err kz_match_index_load(struct kz_match_index *ix, const char *data, size_t n, int64_t now_us,
                           struct kz_match_load_stats *st);

/* Builds the lookup table; after this the index only answers queries. */
kz_err kz_match_index_finish(struct kz_match_index *ix);

size_t kz_match_index_indicators(const struct kz_match_index *ix);
size_t kz_match_index_keys(const struct kz_match_index *ix);
size_t kz_match_index_memory(const struct kz_match_index *ix);
/* How many of the evaluator's patterns need several events (see src/match/sequence.c). */
size_t kz_match_index_multi_event(const struct kz_match_index *ix);

/* The STIX id of indicator number i into out (KZ_STIX_ID_MAX bytes). */
void kz_match_index_id(const struct kz_match_index *ix, uint32_t i, char *out, size_t outlen);

/* ---- scanning ---- */

enum kz_match_format {
    KZ_FMT_AUTO = 0,
    KZ_FMT_EVE = 1,
    KZ_FMT_ZEEK = 2,      /* TSV with #fields */
    KZ_FMT_ZEEK_JSON = 3,
    KZ_FMT_CSV = 4,
    KZ_FMT_TEXT = 5,
};

kz_err kz_match_format_parse(const char *name, enum kz_match_format *out);
const char *kz_match_format_name(enum kz_match_format f);

/* Guesses the format from the first bytes of a log. */
enum kz_match_format kz_match_detect(const char *p, size_t n);

#define KZ_MATCH_BAD_KEEP 5

struct kz_match_stats {
    uint64_t lines;     /* data lines (Zeek '#' header lines and empty lines not counted) */
    uint64_t bad_lines; /* malformed: counted and skipped */
    uint64_t hit_lines; /* lines with at least one match; a line counts once */
    uint64_t matches;   /* distinct (line, indicator) pairs */
    uint64_t bytes;
    size_t nbad;        /* how many of bad_at are filled */
    uint64_t bad_at[KZ_MATCH_BAD_KEEP]; /* 1-based line numbers of the first bad lines */
    uint64_t window_dropped; /* events a multi-event pattern's full window had to forget */
};

struct kz_match_sightings;

struct kz_match_scan_opts {
    enum kz_match_format format; /* not AUTO: the caller detects */
    const char *csv_map;         /* "column=kind,..." for CSV; NULL maps by header names */
    FILE *explain;               /* when set: one line per hit with the field and indicator */
    const char *source;          /* file name for --explain */
    struct kz_match_sightings *sightings; /* NULL: count only */
    /*
     * Multi-event patterns (FOLLOWEDBY, AND of observations, REPEATS): how far back in event
     * time (seconds, when the pattern has no WITHIN) and how many events the window keeps;
     * 0 takes the defaults below.
     */
    double window_seconds;
    uint32_t window_events;
};

#define KZ_MATCH_WINDOW_SECONDS 3600.0
#define KZ_MATCH_WINDOW_EVENTS 10000u

struct kz_match_scanner; /* one per thread */

kz_err kz_match_scanner_new(const struct kz_match_index *ix, const struct kz_match_scan_opts *o,
                            struct kz_match_scanner **out);
void kz_match_scanner_free(struct kz_match_scanner *s);

/*
 * Feeds whole lines (each ended by '\n', the last one may lack it). first_line is the
 * 1-based number of the first line, for the bad-line report. Header lines (Zeek '#...',
 * the CSV header) update the reader's state.
 */
uint64_t kz_match_scanner_feed(struct kz_match_scanner *s, const char *p, size_t n,
                               uint64_t first_line); /* returns the lines it walked */
/* Length of the header at the start of a log (Zeek '#' lines, the CSV header line). */
size_t kz_match_header_len(enum kz_match_format f, const char *p, size_t n);
/* Reads only the header into the scanner's state (a thread that starts mid-file). */
void kz_match_scanner_prime(struct kz_match_scanner *s, const char *p, size_t n);
/* Forgets per-file state (Zeek header, CSV header) before the next file. */
void kz_match_scanner_reset(struct kz_match_scanner *s);
const struct kz_match_stats *kz_match_scanner_stats(const struct kz_match_scanner *s);
void kz_match_stats_add(struct kz_match_stats *to, const struct kz_match_stats *from);

/* ---- sightings ---- */

struct kz_match_sightings_opts {
    int64_t window_us;    /* aggregation window; hits in one window of one indicator merge */
    const char *identity; /* where_sighted_refs and created_by_ref; NULL for none */
};

struct kz_match_sightings *kz_match_sightings_new(const struct kz_match_index *ix,
                                                  const struct kz_match_sightings_opts *o);
void kz_match_sightings_free(struct kz_match_sightings *sg);

/* Records one hit of indicator ind at time ts_us (INT64_MIN when unknown). */
void kz_match_sightings_add(struct kz_match_sightings *sg, uint32_t ind, int64_t ts_us,
                            enum kz_match_kind kind, const char *field, struct kz_str observed);
/* Merges from into to (same index). */
void kz_match_sightings_merge(struct kz_match_sightings *to, const struct kz_match_sightings *from);
size_t kz_match_sightings_count(const struct kz_match_sightings *sg);

/*
 * Writes the sightings with their observed-data and observed objects: one JSON object a
 * line, or one STIX bundle when bundle is true.
 */
kz_err kz_match_sightings_write(const struct kz_match_sightings *sg, FILE *out, bool bundle);

/*
 * Like kz_match_sightings_write, but only the sightings with hits not written by an earlier
 * call (a follow run hands out what is new every so often); *written gets how many.
 */
kz_err kz_match_sightings_write_new(struct kz_match_sightings *sg, FILE *out, bool bundle,
                                    size_t *written);

/*
 * Copies from's aggregates into to, whose index is another generation: map[i] is the new
 * number of old indicator i (UINT32_MAX when it is gone). What was written stays written.
 */
void kz_match_sightings_carry(struct kz_match_sightings *to, const struct kz_match_sightings *from,
                              const uint32_t *map, size_t nmap);

#endif
