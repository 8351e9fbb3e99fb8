/*
 * The sensor's side of talking to the hub, for `kizuna match`: the pull state on disk
 * (indicators and the added_after cursor per hub and collection), the spool of sighting
 * batches waiting for the hub's acknowledgement, the hub session (pull, whoami, post with
 * retry), following growing and rotated log files, and the shared index that a background
 * poll swaps while the scan goes on. It sits apart from src/match (a library without
 * network or disk state) and from src/cli (argument parsing and output) so that each of
 * these jobs is a small file that unit tests can reach.
 */
#ifndef KZ_SENSOR_SENSOR_H
#define KZ_SENSOR_SENSOR_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/time.h"
#include "match/match.h"
#include "taxii/client.h"

/* ---- files written atomically (files.c) ---- */

/* Creates a directory and its parents (mode 0700 for new ones). */
kz_err kz_sensor_mkdirs(const char *path);

/* Writes path as tmp file + fsync + rename + fsync of the directory. */
kz_err kz_sensor_write_atomic(const char *path, const void *p, size_t n);

/* ---- pull state (state.c) ---- */

/*
 * One file per hub and collection, <dir>/<collection id>.jsonl: a header line
 * {"kizuna_sensor_state":1,"url","collection","alias","added_after"} and then the pulled
 * objects, one a line. Rewritten whole and atomically on every change.
 */
struct kz_sensor_state {
    char url[1024];
    char collection[64];
    char alias[128];
    char added_after[KZ_TIME_TEXT_MAX]; /* "" before the first pull */
};

/* The directory of one hub's state under state_dir: <state_dir>/hub-<hash of url>. */
void kz_sensor_state_hub_dir(const char *state_dir, const char *url, char *out, size_t outlen);

/*
 * Reads a state file: the header into st and, when objects is not NULL, the object lines
 * appended to it. KZ_ERR_NOTFOUND when there is no file; KZ_ERR_INVALID when the header is
 * not one of ours.
 */
kz_err kz_sensor_state_read(const char *path, struct kz_sensor_state *st, struct kz_buf *objects);

/*
 * Rewrites a state file with st's header, the objects it had, and the new object lines
 * (each ended by '\n'), atomically.
 */
kz_err kz_sensor_state_append(const char *path, const struct kz_sensor_state *st,
                              const char *lines, size_t n);

/* ---- spool of sighting batches (spool.c) ---- */

/* Names of the batches in the spool, oldest first; *names is NULL when there are none. */
kz_err kz_sensor_spool_list(const char *dir, char ***names, size_t *n);
void kz_sensor_spool_list_free(char **names, size_t n);

/* Writes one TAXII envelope as a new batch (fsynced before it returns). */
kz_err kz_sensor_spool_put(const char *dir, const char *envelope, size_t n);

/*
 * Splits sighting output (JSON lines: each sighting after its observed object and
 * observed-data) into envelopes of at most max_objects objects, never separating a sighting
 * from what it refers to, and spools them. *sightings gets the sightings spooled.
 */
kz_err kz_sensor_spool_lines(const char *dir, const char *lines, size_t n, size_t max_objects,
                             uint64_t *sightings);

/* The sightings in an envelope's text. */
uint64_t kz_sensor_spool_sightings(const char *envelope, size_t n);

/* The sightings in every batch of the spool. */
uint64_t kz_sensor_spool_pending(const char *dir);

/* ---- the hub session (hub.c) ---- */

struct kz_sensor_hub_coll {
    char id[64];
    char alias[128];
};

struct kz_sensor_hub {
    struct kz_taxii_client client;
    char url[1024];
    char key[512];              /* ID:TOKEN, kept to reconnect; wiped on close */
    char cacert[1024];
    char dir[4096];             /* this hub's state directory */
    bool connected;             /* discovery answered */
    char post_collection[64];   /* id of the collection sightings go to */
    char identity[128];         /* the key's organisation's identity */
    unsigned retries;           /* retries of a failed post */
    unsigned backoff_ms;        /* first back-off; doubles after each retry */
    struct kz_sensor_hub_coll colls[256]; /* the collections being pulled */
    size_t ncolls;
};

/*
 * Opens a session: the state directory of url under state_dir, then TAXII discovery.
 * KZ_ERR_IO when the hub cannot be reached (h->connected stays false, the cached state is
 * still usable), KZ_ERR_DENIED for a refused key; h->client.error says why.
 */
kz_err kz_sensor_hub_open(struct kz_sensor_hub *h, const char *url, const char *key,
                          const char *cacert, const char *state_dir);
void kz_sensor_hub_close(struct kz_sensor_hub *h);
/* Tries discovery again when the hub could not be reached before. */
kz_err kz_sensor_hub_reconnect(struct kz_sensor_hub *h);

/*
 * Chooses the collections to pull into h->colls: the named ones (id or alias), or every
 * collection the key may read. Offline, the names are looked up in the cached state.
 * KZ_ERR_NOTFOUND names a collection the key cannot see.
 */
kz_err kz_sensor_hub_collections(struct kz_sensor_hub *h, const char *const *names, size_t nnames);

/* Pulls the indicators added to h->colls since their cursors; *pulled counts objects. */
kz_err kz_sensor_hub_pull(struct kz_sensor_hub *h, uint64_t *pulled);

/* Appends the cached objects of h->colls to out (JSON lines). */
kz_err kz_sensor_hub_cached(struct kz_sensor_hub *h, struct kz_buf *out);

/*
 * Finds the organisation of the key (GET /api/v1/whoami) and the collection sightings go to:
 * collection (id or alias) or org-<slug>. Remembered in the state so that an offline run
 * uses the same identity (sighting ids depend on it).
 */
kz_err kz_sensor_hub_whoami(struct kz_sensor_hub *h, const char *collection);

/*
 * Posts one envelope with retries and exponential back-off. KZ_OK only when the hub
 * acknowledged every object (TAXII status complete, no failure, no pending); KZ_ERR_IO
 * when it could not be reached; KZ_ERR_DENIED when it refused objects (not retried).
 */
kz_err kz_sensor_hub_post(struct kz_sensor_hub *h, const char *envelope, size_t n);

/*
 * Sends the spool's batches oldest first, removing each one the hub acknowledged. Stops at
 * the first batch that cannot be sent. *posted counts the sightings acknowledged.
 */
kz_err kz_sensor_hub_drain(struct kz_sensor_hub *h, const char *spool, uint64_t *posted);

/* ---- following log files (tail.c) ---- */

enum kz_sensor_tail_event {
    KZ_TAIL_DATA = 0,    /* bytes (maybe none) appended to out */
    KZ_TAIL_REOPENED = 1 /* the file was rotated or truncated: a new file starts */
};

struct kz_sensor_tail {
    char *path;
    int fd; /* -1 while the file does not exist */
    dev_t dev;
    ino_t ino;
    off_t off;
};

void kz_sensor_tail_init(struct kz_sensor_tail *t, const char *path);
void kz_sensor_tail_release(struct kz_sensor_tail *t);

/*
 * Reads up to max new bytes into out. When the current file has nothing more and the path
 * names another file now (rotation) or the file shrank (truncation), reopens it, reading
 * from the start, and says KZ_TAIL_REOPENED.
 */
kz_err kz_sensor_tail_read(struct kz_sensor_tail *t, struct kz_buf *out, size_t max,
                           enum kz_sensor_tail_event *event);

/* ---- an index shared with scan threads and swapped whole (live.c) ---- */

struct kz_sensor_gen; /* one index generation, reference-counted */

struct kz_sensor_live;

struct kz_sensor_live *kz_sensor_live_new(struct kz_match_index *ix);
void kz_sensor_live_free(struct kz_sensor_live *l);
/* Takes a reference to the current generation. */
struct kz_sensor_gen *kz_sensor_live_acquire(struct kz_sensor_live *l);
/* True when a newer generation than g was published (no lock; g must be held). */
bool kz_sensor_live_changed(struct kz_sensor_live *l, const struct kz_sensor_gen *g);
/* Drops a reference; the last one frees the index. */
void kz_sensor_live_release(struct kz_sensor_gen *g);
const struct kz_match_index *kz_sensor_gen_index(const struct kz_sensor_gen *g);
/* Makes ix the current generation (takes ownership); the old one lives on while held. */
void kz_sensor_live_publish(struct kz_sensor_live *l, struct kz_match_index *ix);
/* Generations published so far (1 after new). */
uint64_t kz_sensor_live_generations(struct kz_sensor_live *l);

/* ---- the follow loop (follow.c) ---- */

struct kz_sensor_follow_opts {
    struct kz_sensor_live *live;
    char **files;
    size_t nfiles;
    enum kz_match_format format;
    const char *csv_map;
    FILE *explain;
    struct kz_match_sightings_opts sightings; /* window and identity */
    bool no_sightings;
    unsigned flush_seconds; /* new sightings are handed to emit this often */
    unsigned poll_seconds;  /* poll is called this often from its own thread (0: never) */
    /* Called from the scan thread with the sightings not handed out before. */
    kz_err (*emit)(void *ctx, struct kz_match_sightings *sg);
    /* Called from the poll thread; returns a new index to swap in, or NULL. */
    struct kz_match_index *(*poll)(void *ctx);
    void *ctx;
    volatile sig_atomic_t *stop; /* set by a signal handler: finish */
};

/* Follows the files until *stop; stats are added to total. */
kz_err kz_sensor_follow_run(const struct kz_sensor_follow_opts *o, struct kz_match_stats *total);

#endif
