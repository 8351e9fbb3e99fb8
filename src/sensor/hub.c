/*
 * The sensor's session with the hub over TAXII 2.1: which collections to pull, pulling
 * what is new since the saved cursor, the key's organisation (whoami), and posting sighting
 * batches with retry and exponential back-off. Works offline from the saved state when the
 * hub cannot be reached.
 */
#include "sensor/sensor.h"

#include <curl/curl.h>
#include <dirent.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "base/banned.h"

#define HUB_BODY_MAX ((size_t)256 << 20)
#define PAGE_LIMIT "1000"
#define BACKOFF_CAP_MS 30000u

kz_err
kz_sensor_hub_open(struct kz_sensor_hub *h, const char *url, const char *key, const char *cacert,
                   const char *state_dir)
{
    kz_err err;

    memset(h, 0, sizeof(*h));
    h->retries = 3;
    h->backoff_ms = 500;
    if (kz_cstr_copy(url, h->url, sizeof(h->url)) != KZ_OK ||
        kz_cstr_copy(key ? key : "", h->key, sizeof(h->key)) != KZ_OK ||
        kz_cstr_copy(cacert ? cacert : "", h->cacert, sizeof(h->cacert)) != KZ_OK) {
        snprintf(h->client.error, sizeof(h->client.error), "the URL, key or CA file is too long");
        return KZ_ERR_INVALID;
    }
    kz_sensor_state_hub_dir(state_dir, url, h->dir, sizeof(h->dir));
    if (kz_sensor_mkdirs(h->dir) != KZ_OK) {
        snprintf(h->client.error, sizeof(h->client.error), "cannot create the state directory '%.400s'",
                 h->dir);
        return KZ_ERR_IO;
    }
    err = kz_sensor_hub_reconnect(h);
    return err;
}

kz_err
kz_sensor_hub_reconnect(struct kz_sensor_hub *h)
{
    kz_err err;

    if (h->connected)
        return KZ_OK;
    err = kz_taxii_client_open(&h->client, h->url, h->key[0] ? h->key : NULL,
                               h->cacert[0] ? h->cacert : NULL);
    if (err == KZ_OK) {
        h->client.timeout_seconds = 60;
        h->connected = true;
    }
    return err;
}

void
kz_sensor_hub_close(struct kz_sensor_hub *h)
{
    kz_taxii_client_close(&h->client);
    sodium_memzero(h->key, sizeof(h->key));
}

/* A GET whose answer must be 200 and JSON; the failure is described in h->client.error. */
static kz_err
get_json(struct kz_sensor_hub *h, const char *path, const char *what, json_t **out)
{
    struct kz_buf b;
    long status = 0;
    json_t *j;
    kz_err err;

    kz_buf_init(&b, HUB_BODY_MAX);
    err = kz_taxii_client_get(&h->client, path, &status, &b);
    if (err != KZ_OK) {
        h->connected = false;
        kz_buf_release(&b);
        return err;
    }
    j = json_loadb(kz_buf_cstr(&b), b.n, 0, NULL);
    if (status != 200 || !j) {
        const char *d = j ? kz_json_str(j, "description") : NULL;
        snprintf(h->client.error, sizeof(h->client.error), "%s: HTTP %ld%s%s", what, status,
                 d ? ": " : "", d ? d : "");
        err = status == 401 ? KZ_ERR_UNAUTHENTICATED
              : status == 403 ? KZ_ERR_DENIED
              : status == 404 ? KZ_ERR_NOTFOUND
                              : KZ_ERR_IO;
        json_decref(j);
        j = NULL;
    }
    kz_buf_release(&b);
    *out = j;
    return err;
}

static bool
add_coll(struct kz_sensor_hub *h, const char *id, const char *alias)
{
    if (h->ncolls >= sizeof(h->colls) / sizeof(h->colls[0]))
        return false;
    if (kz_cstr_copy(id, h->colls[h->ncolls].id, sizeof(h->colls[0].id)) != KZ_OK)
        return false;
    snprintf(h->colls[h->ncolls].alias, sizeof(h->colls[0].alias), "%s", alias ? alias : "");
    h->ncolls++;
    return true;
}

static bool
names_it(const char *const *names, size_t n, const char *id, const char *alias, bool *used)
{
    bool hit = false;

    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], id) == 0 || (alias && alias[0] && strcmp(names[i], alias) == 0)) {
            used[i] = true;
            hit = true;
        }
    }
    return hit;
}

/* Offline: the collections whose state was saved by earlier runs. */
static void
cached_collections(struct kz_sensor_hub *h, const char *const *names, size_t nnames, bool *used)
{
    DIR *d = opendir(h->dir);
    struct dirent *e;

    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        struct kz_sensor_state st;
        char path[4400];
        size_t n = strlen(e->d_name);
        if (n < 7 || strcmp(e->d_name + n - 6, ".jsonl") != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", h->dir, e->d_name);
        if (kz_sensor_state_read(path, &st, NULL) != KZ_OK)
            continue;
        if (nnames == 0 || names_it(names, nnames, st.collection, st.alias, used))
            add_coll(h, st.collection, st.alias);
    }
    closedir(d);
}

kz_err
kz_sensor_hub_collections(struct kz_sensor_hub *h, const char *const *names, size_t nnames)
{
    bool *used = kz_xcalloc(nnames + 1, sizeof(*used));
    json_t *j = NULL, *coll;
    size_t i;
    kz_err err = KZ_OK;

    h->ncolls = 0;
    if (h->connected) {
        err = get_json(h, "collections/", "listing collections", &j);
        if (err == KZ_OK) {
            json_array_foreach(json_object_get(j, "collections"), i, coll) {
                const char *id = kz_json_str(coll, "id"), *alias = kz_json_str(coll, "alias");
                if (!id)
                    continue;
                if (nnames ? names_it(names, nnames, id, alias, used)
                           : json_is_true(json_object_get(coll, "can_read")))
                    add_coll(h, id, alias);
            }
        }
        json_decref(j);
    } else {
        cached_collections(h, names, nnames, used);
    }
    for (i = 0; err == KZ_OK && i < nnames; i++) {
        if (!used[i]) {
            snprintf(h->client.error, sizeof(h->client.error),
                     h->connected ? "no collection '%s' readable with this key"
                                  : "no saved state for collection '%s' and the hub cannot be "
                                    "reached",
                     names[i]);
            err = KZ_ERR_NOTFOUND;
        }
    }
    free(used);
    return err;
}

static void
state_path(const struct kz_sensor_hub *h, const char *coll_id, char *out, size_t len)
{
    snprintf(out, len, "%s/%s.jsonl", h->dir, coll_id);
}

static void
add_query(struct kz_buf *q, const char *name, const char *value)
{
    char *esc = curl_easy_escape(NULL, value, 0);
    kz_buf_printf(q, "&%s=%s", name, esc ? esc : "");
    curl_free(esc);
}

/* Pulls one collection page by page from its cursor; saves objects and cursor together. */
static kz_err
pull_one(struct kz_sensor_hub *h, const struct kz_sensor_hub_coll *c, uint64_t *pulled)
{
    struct kz_sensor_state st;
    struct kz_buf lines, path;
    char file[4400], next[256] = "", prev_next[256] = "";
    uint64_t got = 0;
    bool fresh = false;
    kz_err err;

    state_path(h, c->id, file, sizeof(file));
    err = kz_sensor_state_read(file, &st, NULL);
    if (err == KZ_ERR_NOTFOUND || err == KZ_ERR_INVALID) {
        memset(&st, 0, sizeof(st));
        fresh = true;
        err = KZ_OK;
    }
    if (err != KZ_OK) {
        snprintf(h->client.error, sizeof(h->client.error), "cannot read the state '%.400s'", file);
        return err;
    }
    snprintf(st.url, sizeof(st.url), "%s", h->url);
    snprintf(st.collection, sizeof(st.collection), "%s", c->id);
    snprintf(st.alias, sizeof(st.alias), "%s", c->alias);
    kz_buf_init(&lines, (size_t)4 << 30);
    kz_buf_init(&path, 8192);
    for (;;) {
        json_t *doc = NULL, *o;
        size_t i;

        kz_buf_reset(&path);
        kz_buf_printf(&path, "collections/%s/objects/?match%%5Btype%%5D=indicator&limit=" PAGE_LIMIT,
                      c->id);
        if (st.added_after[0])
            add_query(&path, "added_after", st.added_after);
        if (next[0])
            add_query(&path, "next", next);
        err = get_json(h, kz_buf_cstr(&path), "reading the collection", &doc);
        if (err != KZ_OK)
            break;
        json_array_foreach(json_object_get(doc, "objects"), i, o) {
            char *t = json_dumps(o, JSON_COMPACT);
            if (t) {
                err = kz_buf_append_cstr(&lines, t);
                if (err == KZ_OK)
                    err = kz_buf_append(&lines, "\n", 1);
                got++;
            }
            free(t);
        }
        /* The server's Date-Added-Last is the cursor: the next run asks only for later. */
        if (h->client.date_added_last[0])
            snprintf(st.added_after, sizeof(st.added_after), "%s", h->client.date_added_last);
        snprintf(prev_next, sizeof(prev_next), "%s", next);
        next[0] = '\0';
        if (json_is_true(json_object_get(doc, "more")) && kz_json_str(doc, "next"))
            snprintf(next, sizeof(next), "%s", kz_json_str(doc, "next"));
        json_decref(doc);
        if (err != KZ_OK || !next[0] || strcmp(next, prev_next) == 0)
            break;
    }
    /* A failed page saves nothing: the next run starts again from the old cursor. An empty
     * collection gets its file too, so that an offline run still knows it. */
    if (err == KZ_OK && (got > 0 || fresh)) {
        err = kz_sensor_state_append(file, &st, kz_buf_cstr(&lines), lines.n);
        if (err != KZ_OK)
            snprintf(h->client.error, sizeof(h->client.error), "cannot write the state '%.400s'",
                     file);
    }
    kz_buf_release(&lines);
    kz_buf_release(&path);
    if (err == KZ_OK)
        *pulled += got;
    return err;
}

kz_err
kz_sensor_hub_pull(struct kz_sensor_hub *h, uint64_t *pulled)
{
    uint64_t n = 0;
    kz_err err = KZ_OK;

    if (!h->connected)
        return KZ_ERR_IO;
    for (size_t i = 0; i < h->ncolls && err == KZ_OK; i++)
        err = pull_one(h, &h->colls[i], &n);
    *pulled = n;
    return err;
}

kz_err
kz_sensor_hub_cached(struct kz_sensor_hub *h, struct kz_buf *out)
{
    for (size_t i = 0; i < h->ncolls; i++) {
        struct kz_sensor_state st;
        char file[4400];
        kz_err err;

        state_path(h, h->colls[i].id, file, sizeof(file));
        err = kz_sensor_state_read(file, &st, out);
        if (err == KZ_ERR_NOTFOUND)
            continue;
        if (err == KZ_OK && out->n > 0 && kz_buf_cstr(out)[out->n - 1] != '\n')
            err = kz_buf_append(out, "\n", 1);
        if (err != KZ_OK) {
            snprintf(h->client.error, sizeof(h->client.error), "cannot read the state '%.400s': %s",
                     file, kz_err_str(err));
            return err;
        }
    }
    return KZ_OK;
}

static kz_err
save_whoami(struct kz_sensor_hub *h, const char *name)
{
    char path[4400], *t;
    json_t *j = json_pack("{s:s, s:s, s:s}", "identity", h->identity, "name", name ? name : "",
                          "post_collection", h->post_collection);
    kz_err err;

    t = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!t)
        return KZ_ERR_NOMEM;
    snprintf(path, sizeof(path), "%s/whoami.json", h->dir);
    err = kz_sensor_write_atomic(path, t, strlen(t));
    free(t);
    return err;
}

static kz_err
load_whoami(struct kz_sensor_hub *h, const char *name)
{
    char path[4400];
    json_t *j;
    const char *id, *pc, *nm;
    kz_err err = KZ_ERR_NOTFOUND;

    snprintf(path, sizeof(path), "%s/whoami.json", h->dir);
    j = json_load_file(path, 0, NULL);
    id = j ? kz_json_str(j, "identity") : NULL;
    pc = j ? kz_json_str(j, "post_collection") : NULL;
    nm = j ? kz_json_str(j, "name") : NULL;
    if (id && pc && nm && strcmp(name ? name : "", nm) == 0) {
        snprintf(h->identity, sizeof(h->identity), "%s", id);
        snprintf(h->post_collection, sizeof(h->post_collection), "%s", pc);
        err = KZ_OK;
    }
    json_decref(j);
    return err;
}

kz_err
kz_sensor_hub_whoami(struct kz_sensor_hub *h, const char *collection)
{
    json_t *j = NULL;
    const char *slug, *identity;
    char name[256];
    kz_err err;

    if (!h->connected) {
        err = load_whoami(h, collection);
        if (err != KZ_OK)
            snprintf(h->client.error, sizeof(h->client.error),
                     "the hub cannot be reached and no earlier run saved the key's organisation");
        return err;
    }
    err = get_json(h, "/api/v1/whoami", "asking the hub who the key is", &j);
    if (err != KZ_OK)
        return err;
    slug = kz_json_str(json_object_get(j, "org"), "slug");
    identity = kz_json_str(json_object_get(j, "org"), "identity");
    if (!slug || !identity) {
        snprintf(h->client.error, sizeof(h->client.error), "the hub's whoami names no organisation");
        json_decref(j);
        return KZ_ERR_INVALID;
    }
    snprintf(h->identity, sizeof(h->identity), "%s", identity);
    snprintf(name, sizeof(name), "%s%s", collection ? "" : "org-", collection ? collection : slug);
    json_decref(j);
    err = kz_taxii_client_collection(&h->client, name, h->post_collection);
    if (err == KZ_OK && save_whoami(h, collection) != KZ_OK) {
        snprintf(h->client.error, sizeof(h->client.error), "cannot save '%.300s/whoami.json'",
                 h->dir);
        err = KZ_ERR_IO;
    }
    return err;
}

static void
sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* Did the hub take every object? Names the first refusal otherwise. */
static kz_err
check_status(struct kz_sensor_hub *h, json_t *doc)
{
    json_int_t fail = json_integer_value(json_object_get(doc, "failure_count"));
    json_int_t pend = json_integer_value(json_object_get(doc, "pending_count"));
    const char *status = kz_json_str(doc, "status");
    json_t *f = json_array_get(json_object_get(doc, "failures"), 0);

    if (fail == 0 && pend == 0 && status && strcmp(status, "complete") == 0)
        return KZ_OK;
    snprintf(h->client.error, sizeof(h->client.error),
             "the hub did not take every object (status %s, %lld failed, %lld pending)%s%s",
             status ? status : "?", (long long)fail, (long long)pend, f ? ": " : "",
             f && kz_json_str(f, "message") ? kz_json_str(f, "message") : "");
    return pend > 0 ? KZ_ERR_AGAIN : KZ_ERR_DENIED;
}

kz_err
kz_sensor_hub_post(struct kz_sensor_hub *h, const char *envelope, size_t n)
{
    unsigned delay = h->backoff_ms;
    kz_err err = KZ_ERR_IO;

    for (unsigned attempt = 0; attempt <= h->retries; attempt++) {
        long status = 0;
        json_t *doc = NULL;
        bool retry;

        if (attempt > 0) {
            sleep_ms(delay);
            delay = delay * 2 > BACKOFF_CAP_MS ? BACKOFF_CAP_MS : delay * 2;
        }
        err = kz_sensor_hub_reconnect(h);
        if (err == KZ_OK && !h->post_collection[0]) {
            snprintf(h->client.error, sizeof(h->client.error), "no collection to post to");
            return KZ_ERR_INVALID;
        }
        if (err == KZ_OK)
            err = kz_taxii_client_post(&h->client, h->post_collection, envelope, n, &status, &doc);
        if (err == KZ_OK) {
            err = check_status(h, doc);
            json_decref(doc);
        }
        if (err == KZ_ERR_IO)
            h->connected = false;
        /* Retry what may pass later: no connection, a busy or failing server, pending. */
        retry = err == KZ_ERR_IO || err == KZ_ERR_AGAIN ||
                (err == KZ_ERR_DENIED && (status >= 500 || status == 429));
        if (!retry)
            break;
    }
    return err;
}

kz_err
kz_sensor_hub_drain(struct kz_sensor_hub *h, const char *spool, uint64_t *posted)
{
    char **names;
    size_t n;
    kz_err err;

    err = kz_sensor_spool_list(spool, &names, &n);
    if (err != KZ_OK)
        return err;
    for (size_t i = 0; i < n && err == KZ_OK; i++) {
        char path[4400];
        struct kz_buf b;

        snprintf(path, sizeof(path), "%s/%s", spool, names[i]);
        kz_buf_init(&b, (size_t)1 << 30);
        err = kz_buf_read_file(&b, path);
        if (err == KZ_ERR_NOTFOUND) { /* sent by another run meanwhile */
            kz_buf_release(&b);
            err = KZ_OK;
            continue;
        }
        if (err == KZ_OK)
            err = kz_sensor_hub_post(h, kz_buf_cstr(&b), b.n);
        /* Removed only once acknowledged; a lost acknowledgement means a resend, which the
         * hub stores once because sighting ids and versions are deterministic. */
        if (err == KZ_OK) {
            *posted += kz_sensor_spool_sightings(kz_buf_cstr(&b), b.n);
            unlink(path);
        }
        kz_buf_release(&b);
    }
    kz_sensor_spool_list_free(names, n);
    return err;
}
