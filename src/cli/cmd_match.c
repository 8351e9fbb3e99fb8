/*
 * kizuna match: loads indicators into the index, scans logs (files, standard input, gzip)
 * with the reader of their format, and writes sightings and a summary. Plain files are
 * mapped and split into line-aligned chunks, one per thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
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
#include "base/banned.h"

#define MATCH_MAX_THREADS 64
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
};

static void
usage(FILE *f)
{
    fputs("usage: kizuna match --indicators SRC [--format auto|eve|zeek|zeek-json|csv|text]\n"
          "                    [--summary FILE] [--out FILE] [--bundle] [--explain]\n"
          "                    [--identity ID] [--window SECONDS] [--threads N]\n"
          "                    [--csv-map COL=KIND,...] [--no-sightings] [--quiet] LOG...\n"
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
          "  --threads N       scan plain files with N threads (default 1)\n"
          "  --csv-map MAP     CSV columns: name=ip|domain|host|url|uri|urihost|hash|email|ts\n"
          "  --url, --key, --collection, --follow, --post: talking to the hub is not\n"
          "                    available in this version\n",
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
                                    .sightings = sg};
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
    if (n < (1u << 20) * nt)
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

    if (!f) {
        fprintf(stderr, "kizuna match: cannot write '%s': %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(f,
            "{\"lines\":%llu,\"bad_lines\":%llu,\"hit_lines\":%llu,\"matches\":%llu,"
            "\"indicators\":%zu,\"index_seconds\":%.6f,\"scan_seconds\":%.6f,\"bytes\":%llu,"
            "\"index_keys\":%zu,\"index_bytes\":%zu,\"sightings\":%zu,\"first_bad_lines\":[",
            (unsigned long long)r->total.lines, (unsigned long long)r->total.bad_lines,
            (unsigned long long)r->total.hit_lines, (unsigned long long)r->total.matches,
            kz_match_index_indicators(r->ix), index_s, scan_s,
            (unsigned long long)r->total.bytes, kz_match_index_keys(r->ix),
            kz_match_index_memory(r->ix), r->sightings ? kz_match_sightings_count(r->sightings) : 0);
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
        {"url", required_argument, NULL, 'U'},        {"key", required_argument, NULL, 'U'},
        {"collection", required_argument, NULL, 'U'}, {"follow", no_argument, NULL, 'U'},
        {"post", no_argument, NULL, 'U'},             {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;

    o->threads = 1;
    o->window = 3600;
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
        case 'U':
            fprintf(stderr, "kizuna match: talking to the hub (--url, --key, --collection, "
                            "--follow, --post) is not available yet; use --indicators FILE\n");
            return 2;
        case 'h':
            usage(stdout);
            return 3;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (o->nindicators == 0) {
        fprintf(stderr, "kizuna match: --indicators is required\n");
        usage(stderr);
        return 2;
    }
    *logs = argv + optind;
    *nlogs = argc - optind;
    return 0;
}

int
kz_cmd_match(int argc, char **argv)
{
    struct run r;
    char **logs;
    int nlogs, rc = 1, pr;
    double t0, t1, t2;
    FILE *out = NULL;
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
    t0 = now_s();
    r.ix = kz_match_index_new();
    for (size_t i = 0; i < r.o.nindicators; i++) {
        struct kz_buf b;
        kz_err err;
        kz_buf_init(&b, (size_t)4 << 30);
        err = read_all(r.o.indicators[i], &b);
        if (err == KZ_OK)
            err = kz_match_index_load(r.ix, b.p ? b.p : "", b.n, kz_time_now_us(), &ls);
        kz_buf_release(&b);
        if (err != KZ_OK) {
            fprintf(stderr, "kizuna match: cannot load indicators from '%s': %s\n",
                    r.o.indicators[i], kz_err_str(err));
            goto done;
        }
    }
    kz_match_index_finish(r.ix);
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
    t2 = now_s();
    if (r.sightings) {
        out = r.o.out ? fopen(r.o.out, "w") : stdout;
        if (!out) {
            fprintf(stderr, "kizuna match: cannot write '%s': %s\n", r.o.out, strerror(errno));
            goto done;
        }
        if (kz_match_sightings_write(r.sightings, out, r.o.bundle) != KZ_OK) {
            fprintf(stderr, "kizuna match: cannot write sightings\n");
            goto done;
        }
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
    if (out && out != stdout && fclose(out) != 0)
        rc = 1;
    else if (out == stdout && fflush(stdout) != 0)
        rc = 1;
    kz_match_sightings_free(r.sightings);
    kz_match_index_free(r.ix);
    return rc;
}
