/*
 * The delivery worker: one thread that reads due rows of the outbox and POSTs them with
 * libcurl's multi interface, up to `parallel` requests at once, each bounded by connect
 * and total timeouts, so a slow or dead receiver holds one slot for at most the timeout
 * and never touches request handling. Each attempt's outcome is written back to the row:
 * delivered on 2xx, else queued again after a back-off, or dead after the last attempt.
 * A row is only ever marked after its attempt, so a crash mid-request leaves it queued and
 * it is sent again at the next start (at least once; receivers drop repeats by id).
 */
#include "notify/notify.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/log.h"
#include "base/time.h"
#include "base/banned.h"

#define BODY_MAX       (16u << 20)
#define FLUSH_US       20000              /* longest wait before an attempt's outcome is written */
#define PRUNE_EVERY_US (3600LL * 1000000) /* the delivery log is pruned hourly */

struct slot {
    CURL *h;
    struct curl_slist *headers;
    struct kz_buf body;
    struct kz_delivery d;
    bool busy;
    bool refused; /* the receiver's address is not public and public_only is set */
    char error[CURL_ERROR_SIZE];
};

/* One attempt's outcome, waiting to be written with the others that ended with it. */
struct outcome {
    struct kz_delivery_attempt a;
    char id[KZ_UUID_TEXT_LEN + 1];
    char error[KZ_REASON_MAX];
};

struct kz_notify_worker {
    struct kz_store *s;
    struct kz_notify_settings cfg;
    CURLM *multi;
    struct slot *slots;
    struct outcome *done; /* outcomes not yet written: up to 2 * cfg.parallel + 1 */
    size_t n_done;
    int64_t first_done_us; /* when the oldest of them ended */
    unsigned share;        /* requests in flight to one subscription at most */
    pthread_t thread;
    atomic_bool stop;
};

/* Receivers' answers are not read; only their status counts. */
static size_t
discard(char *p, size_t size, size_t n, void *ctx)
{
    (void)p;
    (void)ctx;
    return size * n;
}

/* Sent or being sent, but not yet written back: the row still looks queued. */
static bool
in_flight(const struct kz_notify_worker *w, const char *id)
{
    for (unsigned i = 0; i < w->cfg.parallel; i++) {
        if (w->slots[i].busy && strcmp(w->slots[i].d.id, id) == 0)
            return true;
    }
    for (size_t i = 0; i < w->n_done; i++) {
        if (strcmp(w->done[i].id, id) == 0)
            return true;
    }
    return false;
}

/* Requests in flight to one subscription. */
static unsigned
sub_in_flight(const struct kz_notify_worker *w, const char *sub)
{
    unsigned n = 0;

    for (unsigned i = 0; i < w->cfg.parallel; i++)
        n += w->slots[i].busy && strcmp(w->slots[i].d.subscription_id, sub) == 0;
    return n;
}

static struct slot *
free_slot(struct kz_notify_worker *w)
{
    for (unsigned i = 0; i < w->cfg.parallel; i++) {
        if (!w->slots[i].busy)
            return &w->slots[i];
    }
    return NULL;
}

/* Notes one attempt's outcome and its next state; flush() writes them. */
static void
record(struct kz_notify_worker *w, const struct kz_delivery *d, bool ok, int status,
       const char *error)
{
    struct outcome *o = &w->done[w->n_done++];
    int64_t now = kz_time_now_us();

    if (w->n_done == 1)
        w->first_done_us = now;
    unsigned attempts = d->attempts + 1;

    memset(o, 0, sizeof(*o));
    memcpy(o->id, d->id, sizeof(o->id));
    snprintf(o->error, sizeof(o->error), "%s", ok ? "" : error);
    o->a.id = o->id;
    o->a.error = o->error;
    o->a.at_us = now;
    o->a.status = status;
    if (ok) {
        o->a.state = KZ_DELIVERY_DELIVERED;
    } else if (attempts >= w->cfg.attempts) {
        o->a.state = KZ_DELIVERY_DEAD;
    } else {
        uint64_t wait = kz_notify_backoff_ms(attempts, w->cfg.backoff_ms, w->cfg.backoff_max_ms,
                                             randombytes_random());
        o->a.state = KZ_DELIVERY_QUEUED;
        o->a.next_us = now + (int64_t)wait * 1000;
    }
    kz_log(ok ? KZ_LOG_INFO : KZ_LOG_WARN,
           "webhook delivery id=%s event=%s org=%s attempt=%u status=%d state=%s%s%s", d->id,
           d->event, d->org, attempts, status, kz_delivery_state_name(o->a.state),
           ok ? "" : " error=", ok ? "" : error);
}

/* Writes the outcomes noted since the last flush in one transaction. On failure the rows
 * stay queued as they were, and are attempted again. */
static void
flush(struct kz_notify_worker *w)
{
    struct kz_delivery_attempt a[64];
    size_t i = 0;

    while (i < w->n_done) {
        size_t n = 0;
        kz_err err;
        for (; i < w->n_done && n < sizeof(a) / sizeof(a[0]); i++)
            a[n++] = w->done[i].a;
        err = kz_store_delivery_attempts(w->s, a, n, NULL);
        if (err != KZ_OK)
            kz_log(KZ_LOG_WARN, "cannot record %zu webhook delivery attempts: %s", n,
                   kz_err_str(err));
    }
    w->n_done = 0;
}

/* Opens curl's socket unless the address it resolved is refused. */
static curl_socket_t
open_socket(void *ctx, curlsocktype purpose, struct curl_sockaddr *addr)
{
    struct slot *sl = ctx;

    (void)purpose;
    if (!kz_notify_addr_public(&addr->addr)) {
        sl->refused = true;
        return CURL_SOCKET_BAD;
    }
    return socket(addr->family, addr->socktype, addr->protocol);
}

static void
slot_release(struct kz_notify_worker *w, struct slot *sl)
{
    if (sl->h) {
        curl_multi_remove_handle(w->multi, sl->h);
        curl_easy_cleanup(sl->h);
    }
    curl_slist_free_all(sl->headers);
    sl->h = NULL;
    sl->headers = NULL;
    sl->busy = false;
}

/* Starts the POST of one due delivery in a free slot. */
static void
start(void *ctx, const struct kz_delivery *d, const struct kz_delivery_extra *x)
{
    struct kz_notify_worker *w = ctx;
    struct slot *sl;
    char hdr[KZ_NOTIFY_SIGNATURE_MAX + 64], sig[KZ_NOTIFY_SIGNATURE_MAX];

    if (atomic_load(&w->stop) || in_flight(w, d->id) ||
        sub_in_flight(w, d->subscription_id) >= w->share || (sl = free_slot(w)) == NULL)
        return;
    sl->d = *d;
    if (kz_notify_body(d, x->data_json, &sl->body) != KZ_OK) {
        record(w, d, false, 0, "the event data cannot be sent");
        flush(w);
        return;
    }
    kz_notify_signature(x->secret ? x->secret : "", kz_time_now_us() / 1000000, sl->body.p,
                        sl->body.n, sig);
    sl->h = curl_easy_init();
    if (sl->h == NULL)
        return;
    sl->headers = curl_slist_append(NULL, "Content-Type: application/json");
    sl->headers = curl_slist_append(sl->headers, "User-Agent: kizuna-webhook/1");
    sl->headers = curl_slist_append(sl->headers, "Expect:");
    snprintf(hdr, sizeof(hdr), "Kizuna-Delivery: %s", d->id);
    sl->headers = curl_slist_append(sl->headers, hdr);
    snprintf(hdr, sizeof(hdr), "Kizuna-Event: %s", d->event);
    sl->headers = curl_slist_append(sl->headers, hdr);
    snprintf(hdr, sizeof(hdr), "Kizuna-Signature: %s", sig);
    sl->headers = curl_slist_append(sl->headers, hdr);
    sl->error[0] = '\0';
    sl->refused = false;
    if (w->cfg.public_only) {
        curl_easy_setopt(sl->h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
        curl_easy_setopt(sl->h, CURLOPT_OPENSOCKETDATA, sl);
    }
    curl_easy_setopt(sl->h, CURLOPT_URL, d->url);
    curl_easy_setopt(sl->h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(sl->h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(sl->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(sl->h, CURLOPT_POST, 1L);
    curl_easy_setopt(sl->h, CURLOPT_POSTFIELDS, sl->body.p);
    curl_easy_setopt(sl->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)sl->body.n);
    curl_easy_setopt(sl->h, CURLOPT_HTTPHEADER, sl->headers);
    curl_easy_setopt(sl->h, CURLOPT_CONNECTTIMEOUT_MS, (long)w->cfg.connect_timeout_ms);
    curl_easy_setopt(sl->h, CURLOPT_TIMEOUT_MS, (long)w->cfg.timeout_ms);
    curl_easy_setopt(sl->h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(sl->h, CURLOPT_ERRORBUFFER, sl->error);
    curl_easy_setopt(sl->h, CURLOPT_PRIVATE, sl);
    if (curl_multi_add_handle(w->multi, sl->h) != CURLM_OK) {
        slot_release(w, sl);
        return;
    }
    sl->busy = true;
}

/* Records the outcome of every finished transfer and frees its slot; how many finished. */
static size_t
finish_done(struct kz_notify_worker *w)
{
    CURLMsg *m;
    size_t finished = 0;
    int left;

    while ((m = curl_multi_info_read(w->multi, &left)) != NULL) {
        struct slot *sl = NULL;
        long code = 0;
        char error[CURL_ERROR_SIZE + 32];

        if (m->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&sl);
        curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &code);
        if (sl->refused)
            snprintf(error, sizeof(error),
                     "the receiver's address is not public "
                     "(webhook_public_only is set)");
        else if (m->data.result != CURLE_OK)
            snprintf(error, sizeof(error), "%s",
                     sl->error[0] ? sl->error : curl_easy_strerror(m->data.result));
        else
            snprintf(error, sizeof(error), "HTTP %ld", code);
        record(w, &sl->d, m->data.result == CURLE_OK && code >= 200 && code < 300, (int)code,
               error);
        slot_release(w, sl);
        finished++;
    }
    return finished;
}

/* Drops finished deliveries past the log's keeping time, a batch at a time so that the
 * write lock is never held long. */
static void
prune(struct kz_notify_worker *w, int64_t now)
{
    int64_t before = now - (int64_t)w->cfg.log_days * 86400 * 1000000;
    size_t deleted = 0, total = 0;
    kz_err err;

    do {
        err = kz_store_deliveries_prune(w->s, before, 1000, &deleted);
        total += err == KZ_OK ? deleted : 0;
    } while (err == KZ_OK && deleted == 1000 && !atomic_load(&w->stop));
    if (err != KZ_OK)
        kz_log(KZ_LOG_WARN, "cannot prune the webhook delivery log: %s", kz_err_str(err));
    else if (total)
        kz_log(KZ_LOG_INFO, "webhook delivery log pruned deliveries=%zu days=%llu", total,
               (unsigned long long)w->cfg.log_days);
}

static void *
run(void *arg)
{
    struct kz_notify_worker *w = arg;
    int64_t next_read = 0, next_prune = 0;
    int running = 0;

    while (!atomic_load(&w->stop)) {
        int64_t now = kz_time_now_us();
        if (w->cfg.log_days && now >= next_prune) {
            prune(w, now);
            next_prune = now + PRUNE_EVERY_US;
        }
        if (now >= next_read && free_slot(w)) {
            /* Rows in flight or not yet written back still look queued: take enough of each
             * subscription to find its next ones past them; start() keeps to the share. */
            kz_err err = kz_store_deliveries_due(w->s, now, w->cfg.parallel * 8u,
                                                 w->share + w->cfg.parallel * 2u + 1u, start, w);
            if (err != KZ_OK)
                kz_log(KZ_LOG_WARN, "cannot read the webhook outbox: %s", kz_err_str(err));
            next_read = now + (int64_t)w->cfg.poll_ms * 1000;
        }
        curl_multi_perform(w->multi, &running);
        if (finish_done(w) > 0)
            next_read = 0; /* slots came free: the backlog goes on without waiting */
        /* Outcomes are written in batches, one commit (and fsync) for many attempts. */
        now = kz_time_now_us();
        if (w->n_done >= w->cfg.parallel || (w->n_done && running == 0) ||
            (w->n_done && now - w->first_done_us >= FLUSH_US))
            flush(w);
        if (next_read == 0 && free_slot(w))
            continue;
        curl_multi_poll(w->multi, NULL, 0, w->n_done ? (int)(FLUSH_US / 1000) : (int)w->cfg.poll_ms,
                        NULL);
    }
    flush(w);
    return NULL;
}

kz_err
kz_notify_worker_start(struct kz_store *s, const struct kz_notify_settings *cfg,
                       struct kz_notify_worker **out)
{
    struct kz_notify_worker *w;

    if (s == NULL || cfg == NULL || cfg->attempts == 0 || cfg->parallel == 0 || cfg->poll_ms == 0)
        return KZ_ERR_INVALID;
    w = kz_xcalloc(1, sizeof(*w));
    w->s = s;
    w->cfg = *cfg;
    w->slots = kz_xcalloc(cfg->parallel, sizeof(*w->slots));
    w->done = kz_xcalloc(cfg->parallel * 2u + 1u, sizeof(*w->done));
    w->share = cfg->parallel / 4 ? cfg->parallel / 4 : 1;
    for (unsigned i = 0; i < cfg->parallel; i++)
        kz_buf_init(&w->slots[i].body, BODY_MAX);
    atomic_init(&w->stop, false);
    w->multi = curl_multi_init();
    if (w->multi == NULL || pthread_create(&w->thread, NULL, run, w) != 0) {
        if (w->multi)
            curl_multi_cleanup(w->multi);
        for (unsigned i = 0; i < cfg->parallel; i++)
            kz_buf_release(&w->slots[i].body);
        free(w->slots);
        free(w->done);
        free(w);
        return KZ_ERR_INTERNAL;
    }
    *out = w;
    return KZ_OK;
}

void
kz_notify_worker_stop(struct kz_notify_worker *w)
{
    if (w == NULL)
        return;
    atomic_store(&w->stop, true);
    curl_multi_wakeup(w->multi);
    pthread_join(w->thread, NULL);
    for (unsigned i = 0; i < w->cfg.parallel; i++) {
        slot_release(w, &w->slots[i]);
        kz_buf_release(&w->slots[i].body);
    }
    curl_multi_cleanup(w->multi);
    free(w->slots);
    free(w->done);
    free(w);
}
