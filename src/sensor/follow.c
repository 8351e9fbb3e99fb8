/*
 * The follow loop of `kizuna match --follow`: tails every log file (rotation and
 * truncation included), scans the new lines, hands new sightings out every flush interval,
 * and, when the poll thread publishes a new index, moves the scanners and the sightings
 * over to it between two reads, without stopping.
 */
#include "sensor/sensor.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/banned.h"

#define READ_MAX ((size_t)4 << 20)
#define LINE_MAX_BYTES ((size_t)64 << 20)
#define IDLE_MS 200

struct followed {
    struct kz_sensor_tail t;
    struct kz_buf pending; /* bytes not yet fed: an unfinished last line */
    enum kz_match_format f;
    bool decided;          /* format and header known for the current file */
    char *header;          /* Zeek '#' lines or the CSV header, to prime a new scanner */
    size_t header_len;
    struct kz_match_scanner *s;
    uint64_t line;
};

struct loop {
    const struct kz_sensor_follow_opts *o;
    struct kz_sensor_gen *gen;
    struct kz_match_sightings *sg;
    struct followed *files;
    struct kz_match_stats *total;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool quit;
};

static double
mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct kz_match_scanner *
scanner_for(struct loop *l, struct followed *fl)
{
    struct kz_match_scan_opts so = {.format = fl->f,
                                    .csv_map = l->o->csv_map,
                                    .explain = l->o->explain,
                                    .source = fl->t.path,
                                    .sightings = l->sg};
    struct kz_match_scanner *s = NULL;

    if (kz_match_scanner_new(kz_sensor_gen_index(l->gen), &so, &s) != KZ_OK)
        return NULL;
    if (fl->header_len)
        kz_match_scanner_prime(s, fl->header, fl->header_len);
    return s;
}

static void
drop_scanner(struct loop *l, struct followed *fl)
{
    if (fl->s) {
        kz_match_stats_add(l->total, kz_match_scanner_stats(fl->s));
        kz_match_scanner_free(fl->s);
        fl->s = NULL;
    }
}

/* Feeds the complete lines of pending (all of it when final). */
static void
feed(struct loop *l, struct followed *fl, bool final)
{
    const char *p = kz_buf_cstr(&fl->pending);
    const char *nl = fl->pending.n ? memrchr(p, '\n', fl->pending.n) : NULL;
    size_t upto = final ? fl->pending.n : nl ? (size_t)(nl - p) + 1 : 0;

    /* A line longer than any log line has been is fed as it is rather than held forever. */
    if (upto == 0 && fl->pending.n >= LINE_MAX_BYTES)
        upto = fl->pending.n;
    if (upto == 0)
        return;
    if (!fl->decided) {
        size_t hl;
        fl->f = l->o->format != KZ_FMT_AUTO ? l->o->format
                                            : kz_match_detect(p, upto < 65536 ? upto : 65536);
        hl = kz_match_header_len(fl->f, p, upto);
        free(fl->header);
        fl->header = hl ? kz_xstrndup(p, hl) : NULL;
        fl->header_len = hl;
        fl->decided = true;
        drop_scanner(l, fl);
        fl->line = 1;
    }
    if (!fl->s)
        fl->s = scanner_for(l, fl);
    if (fl->s)
        fl->line += kz_match_scanner_feed(fl->s, p, upto, fl->line);
    memmove(fl->pending.p, fl->pending.p + upto, fl->pending.n - upto);
    fl->pending.n -= upto;
    fl->pending.p[fl->pending.n] = '\0';
}

/* The file was replaced: finish the old one's last line, then start afresh. */
static void
file_restarted(struct loop *l, struct followed *fl)
{
    feed(l, fl, true);
    drop_scanner(l, fl);
    kz_buf_reset(&fl->pending);
    fl->decided = false;
    free(fl->header);
    fl->header = NULL;
    fl->header_len = 0;
}

static uint64_t
id_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

struct hid {
    uint64_t h;
    uint32_t i;
};

static int
hid_cmp(const void *a, const void *b)
{
    const struct hid *x = a, *y = b;
    return (x->h > y->h) - (x->h < y->h);
}

/* old indicator number -> new one, through the STIX ids; UINT32_MAX when gone. */
static uint32_t *
map_indicators(const struct kz_match_index *from, const struct kz_match_index *to, size_t *nmap)
{
    size_t nf = kz_match_index_indicators(from), nt = kz_match_index_indicators(to);
    struct hid *v = kz_xmalloc((nt + 1) * sizeof(*v));
    uint32_t *map = kz_xmalloc((nf + 1) * sizeof(*map));
    char id[256];

    for (size_t i = 0; i < nt; i++) {
        kz_match_index_id(to, (uint32_t)i, id, sizeof(id));
        v[i].h = id_hash(id);
        v[i].i = (uint32_t)i;
    }
    qsort(v, nt, sizeof(*v), hid_cmp);
    for (size_t i = 0; i < nf; i++) {
        struct hid key, *hit;
        kz_match_index_id(from, (uint32_t)i, id, sizeof(id));
        key.h = id_hash(id);
        hit = nt ? bsearch(&key, v, nt, sizeof(*v), hid_cmp) : NULL;
        map[i] = hit ? hit->i : UINT32_MAX;
    }
    free(v);
    *nmap = nf;
    return map;
}

/* Moves the scan onto the newest index: sightings carried over, scanners re-made. */
static void
swap_index(struct loop *l)
{
    const struct kz_sensor_follow_opts *o = l->o;
    struct kz_sensor_gen *g = kz_sensor_live_acquire(o->live);
    struct kz_match_sightings *sg = NULL;

    if (l->sg) {
        size_t nmap = 0;
        uint32_t *map;
        /* Hand out what is new first: an indicator gone from the new index takes its
         * sightings with it. */
        if (o->emit)
            o->emit(o->ctx, l->sg);
        sg = kz_match_sightings_new(kz_sensor_gen_index(g), &o->sightings);
        if (kz_match_sightings_count(l->sg) > 0) {
            map = map_indicators(kz_sensor_gen_index(l->gen), kz_sensor_gen_index(g), &nmap);
            kz_match_sightings_carry(sg, l->sg, map, nmap);
            free(map);
        }
    }
    for (size_t i = 0; i < o->nfiles; i++)
        drop_scanner(l, &l->files[i]);
    kz_match_sightings_free(l->sg);
    kz_sensor_live_release(l->gen);
    l->gen = g;
    l->sg = sg;
    for (size_t i = 0; i < o->nfiles; i++)
        if (l->files[i].decided)
            l->files[i].s = scanner_for(l, &l->files[i]);
}

static void *
poll_main(void *arg)
{
    struct loop *l = arg;

    for (;;) {
        struct timespec until;
        struct kz_match_index *ix;
        bool quit;

        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += (time_t)l->o->poll_seconds;
        pthread_mutex_lock(&l->mu);
        while (!l->quit && !*l->o->stop &&
               pthread_cond_timedwait(&l->cv, &l->mu, &until) != ETIMEDOUT)
            ;
        quit = l->quit || *l->o->stop;
        pthread_mutex_unlock(&l->mu);
        if (quit)
            break;
        ix = l->o->poll(l->o->ctx);
        if (ix)
            kz_sensor_live_publish(l->o->live, ix);
    }
    return NULL;
}

static void
sleep_idle(void)
{
    struct timespec ts = {0, IDLE_MS * 1000000L};
    nanosleep(&ts, NULL); /* a signal cuts it short, which is what we want */
}

kz_err
kz_sensor_follow_run(const struct kz_sensor_follow_opts *o, struct kz_match_stats *total)
{
    struct loop l;
    pthread_t poller;
    bool polling = o->poll && o->poll_seconds > 0;
    double last_flush = mono_s();
    kz_err err = KZ_OK;

    memset(&l, 0, sizeof(l));
    l.o = o;
    l.total = total;
    l.gen = kz_sensor_live_acquire(o->live);
    if (!o->no_sightings)
        l.sg = kz_match_sightings_new(kz_sensor_gen_index(l.gen), &o->sightings);
    l.files = kz_xcalloc(o->nfiles + 1, sizeof(*l.files));
    for (size_t i = 0; i < o->nfiles; i++) {
        kz_sensor_tail_init(&l.files[i].t, o->files[i]);
        kz_buf_init(&l.files[i].pending, READ_MAX + LINE_MAX_BYTES);
    }
    pthread_mutex_init(&l.mu, NULL);
    pthread_cond_init(&l.cv, NULL);
    if (polling && pthread_create(&poller, NULL, poll_main, &l) != 0)
        polling = false;

    while (!*o->stop && err == KZ_OK) {
        bool busy = false;

        if (kz_sensor_live_changed(o->live, l.gen))
            swap_index(&l);
        for (size_t i = 0; i < o->nfiles && err == KZ_OK; i++) {
            struct followed *fl = &l.files[i];
            enum kz_sensor_tail_event ev;
            size_t before = fl->pending.n;

            err = kz_sensor_tail_read(&fl->t, &fl->pending, READ_MAX, &ev);
            if (err != KZ_OK)
                break;
            if (ev == KZ_TAIL_REOPENED) {
                /* Bytes read belong to the new file only when nothing was pending. */
                if (before > 0 || fl->decided)
                    file_restarted(&l, fl);
                busy = true;
                continue;
            }
            if (fl->pending.n > before) {
                busy = true;
                feed(&l, fl, false);
            }
        }
        if (l.sg && o->emit && mono_s() - last_flush >= (double)o->flush_seconds) {
            o->emit(o->ctx, l.sg);
            last_flush = mono_s();
        }
        if (!busy)
            sleep_idle();
    }
    if (polling) {
        pthread_mutex_lock(&l.mu);
        l.quit = true;
        pthread_cond_signal(&l.cv);
        pthread_mutex_unlock(&l.mu);
        pthread_join(poller, NULL);
    }
    for (size_t i = 0; i < o->nfiles; i++) {
        feed(&l, &l.files[i], true);
        drop_scanner(&l, &l.files[i]);
        kz_sensor_tail_release(&l.files[i].t);
        kz_buf_release(&l.files[i].pending);
        free(l.files[i].header);
    }
    if (l.sg && o->emit)
        o->emit(o->ctx, l.sg);
    kz_match_sightings_free(l.sg);
    kz_sensor_live_release(l.gen);
    free(l.files);
    pthread_cond_destroy(&l.cv);
    pthread_mutex_destroy(&l.mu);
    return err;
}
