/*
 * kizuna match: loads indicators into the index (from files, and from the hub through
 * src/sensor), scans logs (files, standard input, gzip) with the reader of their format,
 * and writes sightings (to a file, or spooled and posted to the hub) and a summary. Plain
 * files are mapped and split into line-aligned chunks, one per thread; --follow hands the
 * files to the follow loop in src/sensor instead.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "base/buf.h"
#include "base/str.h"
#include "base/time.h"
#include "cli/cli.h"
#include "match/match.h"
#include "sensor/sensor.h"
#include "base/banned.h"

#define MATCH_MAX_THREADS 64
#define KZ_MATCH_POST_BATCH_MAX 10000u
#define STREAM_CHUNK (8u << 20)

struct opts {
    const char *indicators[64];
    size_t nindicators;
    enum kz_match_format format;
    const char *summary;
    const char *out;
    const char *identity;
    const char *csv_map;
    bool bundle;
    bool explain;
    bool quiet;
    bool no_sightings;
    uint64_t threads;
    uint64_t window;
    uint64_t window_events_seconds; /* multi-event patterns without WITHIN */
    uint64_t window_events;
    /* talking to the hub */
    const char *url;
    const char *key;
    const char *cacert;
    const char *collections[64];
    size_t ncollections;
    const char *state;
    const char *spool;
    const char *post_collection;
    bool follow;
    bool post;
    uint64_t poll_seconds;
    uint64_t post_batch;
    char spool_buf[4200];
};

struct bad_loc {
    char where[600];
};

struct run {
    struct opts o;
    struct kz_match_index *ix;
    struct kz_match_sightings *sightings;
    struct kz_match_stats total;
    struct bad_loc bad[KZ_MATCH_BAD_KEEP];
    size_t nbad;
    struct kz_sensor_hub hub;
    bool use_hub;
    uint64_t pulled;   /* objects fetched from the hub in this run */
    uint64_t posted;   /* sightings the hub acknowledged in this run */
    uint64_t spooled;  /* sightings still waiting in the spool at the end */
    size_t emitted;    /* --follow: sightings handed out */
    struct kz_sensor_gen *held; /* --follow: the last index, for the summary */
    FILE *out;
};

static volatile sig_atomic_t stop_requested;

static void
on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void
usage(FILE *f)
{
    fputs("usage: kizuna match (--indicators SRC | --url URL --key ID:TOKEN) [options] LOG...\n"
          "       [--format auto|eve|zeek|zeek-json|csv|text] [--summary FILE] [--out FILE]\n"
          "       [--bundle] [--explain] [--identity ID] [--window SECONDS] [--threads N]\n"
          "       [--csv-map COL=KIND,...] [--no-sightings] [--quiet]\n"
          "       [--window-events-seconds N] [--window-events N]\n"
          "       [--collection C]... [--state DIR] [--cacert F] [--follow] [--poll-seconds N]\n"
          "       [--post] [--post-collection C] [--spool DIR] [--post-batch N]\n"
          "  --indicators SRC  a STIX bundle, JSON lines of STIX objects, or a plain list of\n"
          "                    one value a line (may repeat; gzip allowed)\n"
          "  LOG               log files ('-' or none: standard input; .gz read as gzip)\n"
          "  --format          how to read the logs; auto decides from each file's first line\n"
          "  --summary FILE    JSON: lines, bad_lines, hit_lines, matches, indicators,\n"
          "                    index_seconds, scan_seconds\n"
          "  --out FILE        sightings (default standard output), one JSON object a line,\n"
          "                    or a STIX bundle with --bundle\n"
          "  --explain         print each hit to standard error: field, value, indicator\n"
          "  --identity ID     where_sighted_refs / created_by_ref of the sightings\n"
          "  --window SECONDS  hits of one indicator in one window make one sighting (3600)\n"
          "  --threads N       scan plain files with N threads (default 1; 1 when a pattern\n"
          "                    needs several events)\n"
          "  --window-events-seconds N  how far back (event time) a pattern of several\n"
          "                    events without WITHIN looks (3600)\n"
          "  --window-events N the most events such a pattern keeps (10000)\n"
          "  --csv-map MAP     CSV columns: name=ip|domain|host|url|uri|urihost|hash|email|ts\n"
          "  --url URL         pull indicators from the hub (TAXII 2.1) with --key ID:TOKEN:\n"
          "                    every collection the key may read, or each --collection C\n"
          "                    (id or alias); only what is new since the last run is fetched\n"
          "  --state DIR       pulled indicators and cursors, per hub and collection\n"
          "                    (default ./var/sensor)\n"
          "  --cacert F        trust the CAs in F for an https hub\n"
          "  --follow          keep reading the log files as they grow and are rotated (like\n"
          "                    tail -F) until SIGINT/SIGTERM; with --url, poll the hub every\n"
          "                    --poll-seconds N (60) and swap in a new index when it changed;\n"
          "                    new sightings are written every N seconds\n"
          "  --post            post sightings to the key's organisation's collection\n"
          "                    (org-<slug>, or --post-collection C) in batches of\n"
          "                    --post-batch N objects (300), spooled first in --spool DIR\n"
          "                    (default <state>/spool) and sent again until acknowledged\n",
          f);
}

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads a whole file (gzip or plain; "-" for standard input) into b. */
static kz_err
read_all(const char *path, struct kz_buf *b)
{
    gzFile gz;
    char chunk[1 << 16];
    int n;
    int fd = strcmp(path, "-") == 0 ? dup(0) : open(path, O_RDONLY);

    if (fd < 0)
        return KZ_ERR_IO;
    gz = gzdopen(fd, "rb");
    if (!gz) {
        close(fd);
        return KZ_ERR_IO;
    }
    gzbuffer(gz, 1 << 17);
    while ((n = gzread(gz, chunk, sizeof(chunk))) > 0) {
        kz_err err = kz_buf_append(b, chunk, (size_t)n);
        if (err != KZ_OK) {
            gzclose(gz);
            return err;
        }
    }
    gzclose(gz);
    return n < 0 ? KZ_ERR_IO : KZ_OK;
}

static void
note_bad(struct run *r, const char *file, const struct kz_match_stats *st, uint64_t offset)
{
    for (size_t i = 0; i < st->nbad && r->nbad < KZ_MATCH_BAD_KEEP; i++)
        snprintf(r->bad[r->nbad++].where, sizeof(r->bad[0].where), "%s:%llu", file,
                 (unsigned long long)(st->bad_at[i] + offset));
}

static struct kz_match_scanner *
new_scanner(struct run *r, enum kz_match_format f, const char *file,
            struct kz_match_sightings *sg)
{
    struct kz_match_scan_opts so = {.format = f,
                                    .csv_map = r->o.csv_map,
                                    .explain = r->o.explain ? stderr : NULL,
                                    .source = file,
                                    .sightings = sg,
                                    .window_seconds = (double)r->o.window_events_seconds,
                                    .window_events = (uint32_t)r->o.window_events};
    struct kz_match_scanner *s = NULL;

    if (kz_match_scanner_new(r->ix, &so, &s) != KZ_OK)
        return NULL;
    return s;
}

struct job {
    struct run *r;
    enum kz_match_format f;
    const char *file;
    const char *base;   /* whole file */
    size_t header_len;
    const char *p;      /* this chunk */
    size_t n;
    struct kz_match_scanner *s;
    struct kz_match_sightings *sg;
    uint64_t walked;
};

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

static void *
job_run(void *arg)
{
    struct job *j = arg;
    uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t a = (uintptr_t)j->p & ~(pg - 1);

    /* Each thread faults in its own chunk in one call, rather than page by page. */
    if (j->n && madvise((void *)a, (uintptr_t)j->p + j->n - a, MADV_POPULATE_READ) != 0)
        madvise((void *)a, (uintptr_t)j->p + j->n - a, MADV_SEQUENTIAL);

    if (j->header_len && j->p != j->base)
        kz_match_scanner_prime(j->s, j->base, j->header_len);
    j->walked = kz_match_scanner_feed(j->s, j->p, j->n, 1);
    return NULL;
}

static kz_err
scan_mapped(struct run *r, const char *file, const char *p, size_t n)
{
    enum kz_match_format f = r->o.format;
    size_t nt = (size_t)r->o.threads, hl;
    struct job jobs[MATCH_MAX_THREADS];
    pthread_t tids[MATCH_MAX_THREADS];
    const char *at;
    uint64_t offset = 0;
    kz_err err = KZ_OK;

    if (f == KZ_FMT_AUTO)
        f = kz_match_detect(p, n < 65536 ? n : 65536);
    hl = kz_match_header_len(f, p, n);
    /*
     * A pattern of several events needs them in order in one window: such an index scans
     * each file in one thread rather than miss sequences split between chunks.
     */
    if (n < (1u << 20) * nt || kz_match_index_multi_event(r->ix))
        nt = 1;
    at = p;
    for (size_t t = 0; t < nt; t++) {
        const char *end = p + n;
        if (t + 1 < nt) {
            const char *want = p + hl + (n - hl) / nt * (t + 1);
            const char *nl = want > at ? memchr(want, '\n', (size_t)(p + n - want)) : NULL;
            end = nl ? nl + 1 : p + n;
            if (want <= at)
                end = at;
        }
        jobs[t].r = r;
        jobs[t].f = f;
        jobs[t].file = file;
        jobs[t].base = p;
        jobs[t].header_len = hl;
        jobs[t].p = at;
        jobs[t].n = (size_t)(end - at);
        jobs[t].sg = r->sightings && t > 0 ? kz_match_sightings_new(r->ix, &(struct kz_match_sightings_opts){
                                                  .window_us = (int64_t)r->o.window * 1000000,
                                                  .identity = r->o.identity})
                                            : r->sightings;
        jobs[t].s = new_scanner(r, f, file, jobs[t].sg);
        at = end;
    }
    for (size_t t = 1; t < nt; t++)
        pthread_create(&tids[t], NULL, job_run, &jobs[t]);
    job_run(&jobs[0]);
    for (size_t t = 1; t < nt; t++)
        pthread_join(tids[t], NULL);
    for (size_t t = 0; t < nt; t++) {
        const struct kz_match_stats *st = kz_match_scanner_stats(jobs[t].s);
        note_bad(r, file, st, offset);
        kz_match_stats_add(&r->total, st);
        offset += jobs[t].walked;
        if (t > 0 && jobs[t].sg) {
            kz_match_sightings_merge(r->sightings, jobs[t].sg);
            kz_match_sightings_free(jobs[t].sg);
        }
        kz_match_scanner_free(jobs[t].s);
    }
    return err;
}

/* gzip or a pipe: read in chunks and feed whole lines. */
static kz_err
scan_stream(struct run *r, const char *file, int fd)
{
    gzFile gz = gzdopen(fd, "rb");
    char *buf;
    size_t cap = STREAM_CHUNK, have = 0;
    uint64_t line = 1;
    struct kz_match_scanner *s = NULL;
    enum kz_match_format f = r->o.format;
    kz_err err = KZ_OK;
    int n;

    if (!gz) {
        close(fd);
        return KZ_ERR_IO;
    }
    gzbuffer(gz, 1 << 18);
    buf = kz_xmalloc(cap);
    for (;;) {
        if (have == cap) {
            if (cap >= (1u << 30)) {
                err = KZ_ERR_LIMIT;
                break;
            }
            cap *= 2;
            buf = kz_xrealloc(buf, cap);
        }
        n = gzread(gz, buf + have, (unsigned)(cap - have));
        if (n < 0) {
            err = KZ_ERR_IO;
            break;
        }
        have += (size_t)n;
        if (n == 0 || have == cap || have >= cap / 2) {
            size_t upto = have;
            if (n != 0) {
                const char *nl = memrchr(buf, '\n', have);
                if (!nl)
                    continue;
                upto = (size_t)(nl - buf) + 1;
            }
            if (!s) {
                if (f == KZ_FMT_AUTO)
                    f = kz_match_detect(buf, upto);
                s = new_scanner(r, f, file, r->sightings);
            }
            line += kz_match_scanner_feed(s, buf, upto, line);
            memmove(buf, buf + upto, have - upto);
            have -= upto;
            if (n == 0)
                break;
        }
    }
    gzclose(gz);
    free(buf);
    if (s) {
        note_bad(r, file, kz_match_scanner_stats(s), 0);
        kz_match_stats_add(&r->total, kz_match_scanner_stats(s));
        kz_match_scanner_free(s);
    }
    return err;
}

static kz_err
scan_file(struct run *r, const char *file)
{
    int fd = strcmp(file, "-") == 0 ? dup(0) : open(file, O_RDONLY);
    struct stat st;
    unsigned char magic[2] = {0, 0};
    void *map;
    kz_err err;

    if (fd < 0) {
        fprintf(stderr, "kizuna match: cannot open '%s': %s\n", file, strerror(errno));
        return KZ_ERR_IO;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0 ||
        pread(fd, magic, 2, 0) != 2 || (magic[0] == 0x1f && magic[1] == 0x8b))
        return scan_stream(r, file, fd);
    map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return KZ_ERR_IO;
    err = scan_mapped(r, file, map, (size_t)st.st_size);
    munmap(map, (size_t)st.st_size);
    return err;
}

static int
write_summary(const struct run *r, const char *path, double index_s, double scan_s)
{
    FILE *f = fopen(path, "w");
    const struct kz_match_index *ix = r->held ? kz_sensor_gen_index(r->held) : r->ix;

    if (!f) {
        fprintf(stderr, "kizuna match: cannot write '%s': %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(f,
            "{\"lines\":%llu,\"bad_lines\":%llu,\"hit_lines\":%llu,\"matches\":%llu,"
            "\"indicators\":%zu,\"index_seconds\":%.6f,\"scan_seconds\":%.6f,\"bytes\":%llu,"
            "\"index_keys\":%zu,\"index_bytes\":%zu,\"sightings\":%zu,",
            (unsigned long long)r->total.lines, (unsigned long long)r->total.bad_lines,
            (unsigned long long)r->total.hit_lines, (unsigned long long)r->total.matches,
            kz_match_index_indicators(ix), index_s, scan_s,
            (unsigned long long)r->total.bytes, kz_match_index_keys(ix), kz_match_index_memory(ix),
            r->o.follow ? r->emitted : r->sightings ? kz_match_sightings_count(r->sightings) : 0);
    if (kz_match_index_multi_event(ix))
        fprintf(f, "\"window_dropped\":%llu,", (unsigned long long)r->total.window_dropped);
    if (r->use_hub)
        fprintf(f, "\"pulled\":%llu,", (unsigned long long)r->pulled);
    if (r->o.post)
        fprintf(f, "\"posted\":%llu,\"spooled\":%llu,", (unsigned long long)r->posted,
                (unsigned long long)r->spooled);
    fputs("\"first_bad_lines\":[", f);
    for (size_t i = 0; i < r->nbad; i++) {
        fputc('"', f);
        for (const char *c = r->bad[i].where; *c; c++) {
            if (*c == '"' || *c == '\\')
                fputc('\\', f);
            if ((unsigned char)*c >= 0x20)
                fputc(*c, f);
        }
        fprintf(f, "\"%s", i + 1 < r->nbad ? "," : "");
    }
    fputs("]}\n", f);
    return fclose(f) == 0 ? 0 : -1;
}

static int
parse_args(int argc, char **argv, struct opts *o, char ***logs, int *nlogs)
{
    static const struct option lo[] = {
        {"indicators", required_argument, NULL, 'i'}, {"format", required_argument, NULL, 'f'},
        {"summary", required_argument, NULL, 's'},    {"out", required_argument, NULL, 'o'},
        {"identity", required_argument, NULL, 'I'},   {"csv-map", required_argument, NULL, 'm'},
        {"threads", required_argument, NULL, 't'},    {"window", required_argument, NULL, 'w'},
        {"bundle", no_argument, NULL, 'b'},           {"explain", no_argument, NULL, 'e'},
        {"quiet", no_argument, NULL, 'q'},            {"no-sightings", no_argument, NULL, 'n'},
        {"url", required_argument, NULL, 'u'},        {"key", required_argument, NULL, 'k'},
        {"collection", required_argument, NULL, 'c'}, {"follow", no_argument, NULL, 'F'},
        {"post", no_argument, NULL, 'P'},             {"help", no_argument, NULL, 'h'},
        {"state", required_argument, NULL, 'S'},      {"spool", required_argument, NULL, 'Q'},
        {"cacert", required_argument, NULL, 'C'},     {"poll-seconds", required_argument, NULL, 'p'},
        {"post-collection", required_argument, NULL, 'R'},
        {"post-batch", required_argument, NULL, 'B'},
        {"window-events-seconds", required_argument, NULL, 'W'},
        {"window-events", required_argument, NULL, 'E'},
        {NULL, 0, NULL, 0}};
    int c;

    o->threads = 1;
    o->window = 3600;
    o->window_events_seconds = 3600;
    o->window_events = 10000;
    o->poll_seconds = 60;
    o->post_batch = 300;
    o->state = "./var/sensor";
    kz_cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'i':
            if (o->nindicators >= sizeof(o->indicators) / sizeof(o->indicators[0]))
                return 2;
            o->indicators[o->nindicators++] = optarg;
            break;
        case 'f':
            if (kz_match_format_parse(optarg, &o->format) != KZ_OK) {
                fprintf(stderr, "kizuna match: unknown format '%s'\n", optarg);
                return 2;
            }
            break;
        case 's': o->summary = optarg; break;
        case 'o': o->out = optarg; break;
        case 'I': o->identity = optarg; break;
        case 'm': o->csv_map = optarg; break;
        case 'b': o->bundle = true; break;
        case 'e': o->explain = true; break;
        case 'q': o->quiet = true; break;
        case 'n': o->no_sightings = true; break;
        case 't':
            if (kz_str_to_u64(kz_str_from_cstr(optarg), 1, MATCH_MAX_THREADS, &o->threads) != KZ_OK) {
                fprintf(stderr, "kizuna match: --threads must be 1..%d\n", MATCH_MAX_THREADS);
                return 2;
            }
            break;
        case 'w':
            if (kz_str_to_u64(kz_str_from_cstr(optarg), 1, 366u * 86400, &o->window) != KZ_OK) {
                fprintf(stderr, "kizuna match: bad --window '%s'\n", optarg);
                return 2;
            }
            break;
        case 'W':
            if (kz_str_to_u64(kz_str_from_cstr(optarg), 1, 366u * 86400,
                              &o->window_events_seconds) != KZ_OK) {
                fprintf(stderr, "kizuna match: bad --window-events-seconds '%s'\n", optarg);
                return 2;
            }
            break;
        case 'E':
            if (kz_str_to_u64(kz_str_from_cstr(optarg), 1, 1000000, &o->window_events) != KZ_OK) {
                fprintf(stderr, "kizuna match: --window-events must be 1..1000000\n");
                return 2;
            }
            break;
        case 'u': o->url = optarg; break;
        case 'k': o->key = optarg; break;
        case 'C': o->cacert = optarg; break;
        case 'S': o->state = optarg; break;
        case 'Q': o->spool = optarg; break;
        case 'R': o->post_collection = optarg; break;
        case 'F': o->follow = true; break;
        case 'P': o->post = true; break;
        case 'c':
            if (o->ncollections >= sizeof(o->collections) / sizeof(o->collections[0])) {
                fprintf(stderr, "kizuna match: too many --collection options\n");
                return 2;
            }
            o->collections[o->ncollections++] = optarg;
            break;
        case 'p':
            if (kz_str_to_u64(kz_str_from_cstr(optarg), 1, 86400, &o->poll_seconds) != KZ_OK) {
                fprintf(stderr, "kizuna match: --poll-seconds must be 1..86400\n");
                return 2;
            }
            break;
        case 'B':
            if (kz_str_to_u64(kz_str_from_cstr(optarg), 3, KZ_MATCH_POST_BATCH_MAX, &o->post_batch) !=
                KZ_OK) {
                fprintf(stderr, "kizuna match: --post-batch must be 3..%u\n",
                        KZ_MATCH_POST_BATCH_MAX);
                return 2;
            }
            break;
        case 'h':
            usage(stdout);
            return 3;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (o->nindicators == 0 && !o->url) {
        fprintf(stderr, "kizuna match: --indicators or --url is required\n");
        usage(stderr);
        return 2;
    }
    if (!o->url && (o->key || o->ncollections || o->post || o->post_collection)) {
        fprintf(stderr, "kizuna match: --key, --collection and --post need --url\n");
        return 2;
    }
    if (o->url && !o->key) {
        fprintf(stderr, "kizuna match: --url needs --key ID:TOKEN\n");
        return 2;
    }
    if (o->post && o->no_sightings) {
        fprintf(stderr, "kizuna match: --post and --no-sightings exclude each other\n");
        return 2;
    }
    if (o->follow && o->bundle) {
        fprintf(stderr, "kizuna match: --follow writes JSON lines; --bundle is not available\n");
        return 2;
    }
    if (!o->spool) {
        snprintf(o->spool_buf, sizeof(o->spool_buf), "%s/spool", o->state);
        o->spool = o->spool_buf;
    }
    *logs = argv + optind;
    *nlogs = argc - optind;
    if (o->follow) {
        if (*nlogs == 0) {
            fprintf(stderr, "kizuna match: --follow needs log files\n");
            return 2;
        }
        for (int i = 0; i < *nlogs; i++) {
            if (strcmp((*logs)[i], "-") == 0) {
                fprintf(stderr, "kizuna match: --follow reads files, not standard input\n");
                return 2;
            }
        }
    }
    return 0;
}

/*
 * A new index from the --indicators files and the indicators saved from the hub. Called at
 * start and, with --follow, from the poll thread when the hub had something new.
 */
static kz_err
build_index(struct run *r, struct kz_match_index **out, struct kz_match_load_stats *ls)
{
    struct kz_match_index *ix = kz_match_index_new();
    kz_err err = KZ_OK;

    for (size_t i = 0; i < r->o.nindicators && err == KZ_OK; i++) {
        struct kz_buf b;
        kz_buf_init(&b, (size_t)4 << 30);
        err = read_all(r->o.indicators[i], &b);
        if (err == KZ_OK)
            err = kz_match_index_load(ix, b.p ? b.p : "", b.n, kz_time_now_us(), ls);
        kz_buf_release(&b);
        if (err != KZ_OK)
            fprintf(stderr, "kizuna match: cannot load indicators from '%s': %s\n",
                    r->o.indicators[i], kz_err_str(err));
    }
    if (err == KZ_OK && r->use_hub) {
        struct kz_buf b;
        kz_buf_init(&b, (size_t)4 << 30);
        err = kz_sensor_hub_cached(&r->hub, &b);
        if (err == KZ_OK)
            err = kz_match_index_load(ix, b.p ? b.p : "", b.n, kz_time_now_us(), ls);
        if (err != KZ_OK)
            fprintf(stderr, "kizuna match: cannot load the indicators pulled from the hub: %s\n",
                    r->hub.client.error[0] ? r->hub.client.error : kz_err_str(err));
        kz_buf_release(&b);
    }
    if (err == KZ_OK)
        err = kz_match_index_finish(ix);
    if (err != KZ_OK) {
        kz_match_index_free(ix);
        return err;
    }
    *out = ix;
    return KZ_OK;
}

/* Sends what waits in the spool; a failure is a warning, the batches stay for later. */
static void
drain_spool(struct run *r)
{
    kz_err err = kz_sensor_hub_drain(&r->hub, r->o.spool, &r->posted);

    if (err != KZ_OK && !r->o.quiet)
        fprintf(stderr, "kizuna match: warning: sightings stay in the spool '%s': %s\n",
                r->o.spool, r->hub.client.error);
}

/*
 * Opens the hub session, chooses the collections, finds the key's organisation for --post,
 * sends the spool, and pulls what is new. An unreachable hub is a warning when an earlier
 * run saved what is needed; a refused key or an unknown collection is an error.
 */
static int
hub_start(struct run *r)
{
    kz_err err;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    r->use_hub = true;
    err = kz_sensor_hub_open(&r->hub, r->o.url, r->o.key, r->o.cacert, r->o.state);
    if (err == KZ_ERR_IO && r->hub.dir[0]) {
        if (!r->o.quiet)
            fprintf(stderr, "kizuna match: warning: the hub cannot be reached (%s); using the "
                            "indicators saved in '%s'\n", r->hub.client.error, r->o.state);
    } else if (err != KZ_OK) {
        fprintf(stderr, "kizuna match: %s\n", r->hub.client.error);
        return 1;
    }
    err = kz_sensor_hub_collections(&r->hub, r->o.collections, r->o.ncollections);
    if (err != KZ_OK) {
        fprintf(stderr, "kizuna match: %s\n", r->hub.client.error);
        return 1;
    }
    if (!r->hub.connected && r->hub.ncolls == 0 && r->o.nindicators == 0) {
        fprintf(stderr, "kizuna match: the hub cannot be reached and no earlier run saved its "
                        "indicators\n");
        return 1;
    }
    if (r->o.post) {
        err = kz_sensor_hub_whoami(&r->hub, r->o.post_collection);
        if (err != KZ_OK) {
            fprintf(stderr, "kizuna match: %s\n", r->hub.client.error);
            return 1;
        }
        if (!r->o.identity)
            r->o.identity = r->hub.identity;
        if (r->hub.connected)
            drain_spool(r);
    }
    if (r->hub.connected) {
        err = kz_sensor_hub_pull(&r->hub, &r->pulled);
        if (err == KZ_ERR_IO && !r->hub.connected) {
            if (!r->o.quiet)
                fprintf(stderr, "kizuna match: warning: pulling stopped (%s); using the "
                                "indicators saved so far\n", r->hub.client.error);
        } else if (err != KZ_OK) {
            fprintf(stderr, "kizuna match: %s\n", r->hub.client.error);
            return 1;
        }
    }
    return 0;
}

/* Spools sightings text (JSON lines) for the hub. */
static kz_err
spool_text(struct run *r, const char *text, size_t n)
{
    uint64_t sightings = 0;
    kz_err err = kz_sensor_spool_lines(r->o.spool, text, n, (size_t)r->o.post_batch, &sightings);

    if (err != KZ_OK)
        fprintf(stderr, "kizuna match: cannot spool sightings in '%s': %s\n", r->o.spool,
                kz_err_str(err));
    return err;
}

/* --follow: the scan thread hands out the sightings that are new since the last time. */
static kz_err
follow_emit(void *ctx, struct kz_match_sightings *sg)
{
    struct run *r = ctx;
    char *text = NULL;
    size_t len = 0, written = 0;
    FILE *m = open_memstream(&text, &len);
    kz_err err;

    if (!m)
        return KZ_ERR_NOMEM;
    err = kz_match_sightings_write_new(sg, m, false, &written);
    if (fclose(m) != 0 && err == KZ_OK)
        err = KZ_ERR_IO;
    if (err == KZ_OK && written > 0) {
        r->emitted += written;
        if (r->out && (fwrite(text, 1, len, r->out) != len || fflush(r->out) != 0))
            err = KZ_ERR_IO;
        if (r->o.post && err == KZ_OK)
            err = spool_text(r, text, len);
    }
    free(text);
    return err;
}

/* --follow with --url: the poll thread sends the spool and pulls; a new index if it changed. */
static struct kz_match_index *
follow_poll(void *ctx)
{
    struct run *r = ctx;
    struct kz_match_index *ix = NULL;
    struct kz_match_load_stats ls = {0};
    uint64_t pulled = 0;
    kz_err err;

    if (kz_sensor_hub_reconnect(&r->hub) != KZ_OK)
        return NULL; /* still unreachable: try again at the next poll */
    if (r->o.post)
        drain_spool(r);
    err = kz_sensor_hub_pull(&r->hub, &pulled);
    r->pulled += pulled;
    if (err != KZ_OK && !r->o.quiet)
        fprintf(stderr, "kizuna match: warning: pulling failed: %s\n", r->hub.client.error);
    if (pulled == 0)
        return NULL;
    if (build_index(r, &ix, &ls) != KZ_OK)
        return NULL;
    if (!r->o.quiet)
        fprintf(stderr, "kizuna match: %llu new objects from the hub; %zu indicators indexed\n",
                (unsigned long long)pulled, kz_match_index_indicators(ix));
    return ix;
}

/* --follow ends on SIGINT/SIGTERM with the summary written, also during the first pull. */
static void
catch_stop_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static kz_err
run_follow(struct run *r, char **logs, int nlogs)
{
    struct kz_sensor_live *live = kz_sensor_live_new(r->ix);
    struct kz_sensor_follow_opts fo = {
        .live = live,
        .files = logs,
        .nfiles = (size_t)nlogs,
        .format = r->o.format,
        .csv_map = r->o.csv_map,
        .explain = r->o.explain ? stderr : NULL,
        .sightings = {.window_us = (int64_t)r->o.window * 1000000, .identity = r->o.identity},
        .no_sightings = r->o.no_sightings,
        .flush_seconds = (unsigned)r->o.poll_seconds,
        .poll_seconds = r->use_hub ? (unsigned)r->o.poll_seconds : 0,
        .emit = follow_emit,
        .poll = r->use_hub ? follow_poll : NULL,
        .ctx = r,
        .stop = &stop_requested,
    };
    kz_err err;

    r->ix = NULL; /* owned by live now */
    err = kz_sensor_follow_run(&fo, &r->total);
    r->held = kz_sensor_live_acquire(live); /* the last generation, for the summary */
    kz_sensor_live_free(live);
    return err;
}

int
kz_cmd_match(int argc, char **argv)
{
    struct run r;
    char **logs;
    int nlogs, rc = 1, pr;
    double t0, t1, t2;
    struct kz_match_load_stats ls = {0};
    static char *stdin_only[] = {(char *)(uintptr_t) "-"};

    memset(&r, 0, sizeof(r));
    pr = parse_args(argc, argv, &r.o, &logs, &nlogs);
    if (pr == 3)
        return 0;
    if (pr != 0)
        return pr;
    if (nlogs == 0) {
        logs = stdin_only;
        nlogs = 1;
    }
    if (r.o.follow)
        catch_stop_signals();
    t0 = now_s();
    if (r.o.url && hub_start(&r) != 0)
        goto done;
    if (build_index(&r, &r.ix, &ls) != KZ_OK)
        goto done;
    t1 = now_s();
    if (!r.o.quiet)
        fprintf(stderr,
                "kizuna match: %zu indicators (%zu values, %llu for the evaluator, %llu skipped, "
                "%llu unsupported, %llu bad) indexed in %.3f s, %.1f bytes each\n",
                kz_match_index_indicators(r.ix), kz_match_index_keys(r.ix),
                (unsigned long long)ls.evaluated, (unsigned long long)ls.skipped,
                (unsigned long long)ls.unsupported,
                (unsigned long long)ls.bad, t1 - t0,
                kz_match_index_indicators(r.ix)
                    ? (double)kz_match_index_memory(r.ix) / (double)kz_match_index_indicators(r.ix)
                    : 0.0);
    if (r.use_hub && !r.o.quiet)
        fprintf(stderr, "kizuna match: %llu objects pulled from %zu collections\n",
                (unsigned long long)r.pulled, r.hub.ncolls);
    /* With --post the sightings go to the hub, and to a file only when --out names one. */
    if (!r.o.no_sightings && (r.o.out || !r.o.post)) {
        r.out = r.o.out ? fopen(r.o.out, "w") : stdout;
        if (!r.out) {
            fprintf(stderr, "kizuna match: cannot write '%s': %s\n", r.o.out, strerror(errno));
            goto done;
        }
    }
    if (r.o.follow) {
        kz_err err = run_follow(&r, logs, nlogs);
        if (err != KZ_OK) {
            fprintf(stderr, "kizuna match: following the logs failed: %s\n", kz_err_str(err));
            goto done;
        }
    } else {
        if (!r.o.no_sightings)
            r.sightings = kz_match_sightings_new(
                r.ix, &(struct kz_match_sightings_opts){.window_us = (int64_t)r.o.window * 1000000,
                                                        .identity = r.o.identity});
        for (int i = 0; i < nlogs; i++) {
            kz_err err = scan_file(&r, logs[i]);
            if (err != KZ_OK) {
                fprintf(stderr, "kizuna match: cannot read '%s': %s\n", logs[i], kz_err_str(err));
                goto done;
            }
        }
    }
    t2 = now_s();
    if (r.sightings && r.out && kz_match_sightings_write(r.sightings, r.out, r.o.bundle) != KZ_OK) {
        fprintf(stderr, "kizuna match: cannot write sightings\n");
        goto done;
    }
    if (r.sightings && r.o.post && kz_match_sightings_count(r.sightings) > 0) {
        char *text = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&text, &len);
        kz_err err = m ? kz_match_sightings_write(r.sightings, m, false) : KZ_ERR_NOMEM;
        if (m && fclose(m) != 0)
            err = KZ_ERR_IO;
        if (err == KZ_OK)
            err = spool_text(&r, text, len);
        free(text);
        if (err != KZ_OK)
            goto done;
    }
    if (r.o.post) {
        if (r.hub.connected || kz_sensor_hub_reconnect(&r.hub) == KZ_OK)
            drain_spool(&r);
        r.spooled = kz_sensor_spool_pending(r.o.spool);
        if (r.spooled > 0 && !r.o.quiet)
            fprintf(stderr, "kizuna match: warning: %llu sightings wait in the spool '%s' for "
                            "the hub\n", (unsigned long long)r.spooled, r.o.spool);
    }
    if (r.o.summary && write_summary(&r, r.o.summary, t1 - t0, t2 - t1) != 0)
        goto done;
    if (!r.o.quiet) {
        fprintf(stderr,
                "kizuna match: %llu lines (%llu bad), %llu hit lines, %llu matches, %.1f MB in "
                "%.3f s (%.1f MB/s)\n",
                (unsigned long long)r.total.lines, (unsigned long long)r.total.bad_lines,
                (unsigned long long)r.total.hit_lines, (unsigned long long)r.total.matches,
                (double)r.total.bytes / 1e6, t2 - t1,
                t2 > t1 ? (double)r.total.bytes / 1e6 / (t2 - t1) : 0.0);
        for (size_t i = 0; i < r.nbad; i++)
            fprintf(stderr, "kizuna match: malformed line at %s\n", r.bad[i].where);
    }
    rc = 0;
done:
    if (r.out && r.out != stdout && fclose(r.out) != 0)
        rc = 1;
    else if (r.out == stdout && fflush(stdout) != 0)
        rc = 1;
    kz_match_sightings_free(r.sightings);
    kz_match_index_free(r.ix);
    kz_sensor_live_release(r.held);
    if (r.use_hub) {
        kz_sensor_hub_close(&r.hub);
        curl_global_cleanup();
    }
    return rc;
}
