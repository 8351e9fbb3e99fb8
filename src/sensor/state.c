/*
 * The pull state of one hub collection: a header line with the added_after cursor, then the
 * indicators pulled so far (the newest version of each). One file, rewritten whole and atomically, so the cursor never
 * runs ahead of the objects it stands for.
 */
#include "sensor/sensor.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/time.h"
#include "base/banned.h"

#define STATE_MAX ((size_t)4 << 30)

void
kz_sensor_state_hub_dir(const char *state_dir, const char *url, char *out, size_t outlen)
{
    unsigned char h[8];
    char hex[sizeof(h) * 2 + 1];
    size_t n = strlen(url);

    /* "http://h/" and "http://h" are the same hub. */
    while (n > 0 && url[n - 1] == '/')
        n--;
    crypto_generichash(h, sizeof(h), (const unsigned char *)url, n, NULL, 0);
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    snprintf(out, outlen, "%s/hub-%s", state_dir, hex);
}

static kz_err
copy_field(const json_t *j, const char *key, char *dst, size_t len)
{
    const char *v = kz_json_str(j, key);
    return kz_cstr_copy(v ? v : "", dst, len);
}

kz_err
kz_sensor_state_read(const char *path, struct kz_sensor_state *st, struct kz_buf *objects)
{
    struct kz_buf b;
    const char *nl;
    json_t *h = NULL;
    kz_err err;

    kz_buf_init(&b, STATE_MAX);
    err = kz_buf_read_file(&b, path);
    if (err != KZ_OK) {
        kz_buf_release(&b);
        return err;
    }
    nl = memchr(kz_buf_cstr(&b), '\n', b.n);
    h = json_loadb(kz_buf_cstr(&b), nl ? (size_t)(nl - kz_buf_cstr(&b)) : b.n, 0, NULL);
    if (!h || json_integer_value(json_object_get(h, "kizuna_sensor_state")) != 1) {
        err = KZ_ERR_INVALID;
        goto done;
    }
    memset(st, 0, sizeof(*st));
    err = copy_field(h, "url", st->url, sizeof(st->url));
    if (err == KZ_OK)
        err = copy_field(h, "collection", st->collection, sizeof(st->collection));
    if (err == KZ_OK)
        err = copy_field(h, "alias", st->alias, sizeof(st->alias));
    if (err == KZ_OK)
        err = copy_field(h, "added_after", st->added_after, sizeof(st->added_after));
    if (err != KZ_OK) {
        err = KZ_ERR_INVALID;
        goto done;
    }
    if (objects && nl)
        err = kz_buf_append(objects, nl + 1, b.n - (size_t)(nl + 1 - kz_buf_cstr(&b)));
done:
    json_decref(h);
    kz_buf_release(&b);
    return err;
}

struct line {
    const char *p;
    size_t n;
    char *id; /* NULL: kept as it is */
    int64_t modified;
    size_t seq;
    bool revoked;
};

static int
by_id_version(const void *x, const void *y)
{
    const struct line *a = x, *b = y;
    int c = strcmp(a->id, b->id);
    if (c != 0)
        return c;
    if (a->modified != b->modified)
        return a->modified < b->modified ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/*
 * Keeps, of each id, only the newest version (by modified; the later line on a tie), and
 * drops ids whose newest version is revoked: the loader would ignore the rest anyway, and
 * the state does not grow with every new version. Lines keep their order.
 */
static kz_err
compact(const char *p, size_t n, struct kz_buf *out)
{
    struct line *v = NULL, *keyed;
    size_t len = 0, cap = 0, nk = 0;
    const char *end = p + n;
    kz_err err = KZ_OK;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ln = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (ln > 0) {
            json_t *j = json_loadb(p, ln, 0, NULL);
            const char *id = j ? kz_json_str(j, "id") : NULL, *mod = j ? kz_json_str(j, "modified") : NULL;
            int64_t m = INT64_MIN;
            if (len == cap) {
                cap = cap ? cap * 2 : 1024;
                v = kz_xrealloc(v, cap * sizeof(*v));
            }
            if (mod)
                (void)kz_time_parse(kz_str_from_cstr(mod), &m, NULL);
            v[len] = (struct line){p, ln, id ? kz_xstrdup(id) : NULL, m, len,
                                   j && json_is_true(json_object_get(j, "revoked"))};
            nk += id != NULL;
            len++;
            json_decref(j);
        }
        p += ln + 1;
    }
    /* Ids sorted together, newest last; everything but the newest of each id is dropped. */
    keyed = kz_xmalloc((nk + 1) * sizeof(*keyed));
    nk = 0;
    for (size_t i = 0; i < len; i++)
        if (v[i].id)
            keyed[nk++] = v[i];
    qsort(keyed, nk, sizeof(*keyed), by_id_version);
    for (size_t i = 0; i < nk; i++) {
        bool newest = i + 1 == nk || strcmp(keyed[i].id, keyed[i + 1].id) != 0;
        if (!newest || keyed[i].revoked)
            v[keyed[i].seq].n = 0; /* v[k].seq == k: v is in line order */
    }
    free(keyed);
    for (size_t i = 0; i < len && err == KZ_OK; i++) {
        if (v[i].n == 0)
            continue;
        err = kz_buf_append(out, v[i].p, v[i].n);
        if (err == KZ_OK)
            err = kz_buf_append(out, "\n", 1);
    }
    for (size_t i = 0; i < len; i++)
        free(v[i].id);
    free(v);
    return err;
}

kz_err
kz_sensor_state_append(const char *path, const struct kz_sensor_state *st, const char *lines,
                       size_t n)
{
    struct kz_sensor_state old;
    struct kz_buf b, objs;
    json_t *h;
    char *text;
    kz_err err;

    kz_buf_init(&b, STATE_MAX);
    kz_buf_init(&objs, STATE_MAX);
    h = json_pack("{s:i, s:s, s:s, s:s, s:s}", "kizuna_sensor_state", 1, "url", st->url,
                  "collection", st->collection, "alias", st->alias, "added_after",
                  st->added_after);
    text = h ? json_dumps(h, JSON_COMPACT) : NULL;
    json_decref(h);
    if (!text) {
        kz_buf_release(&b);
        kz_buf_release(&objs);
        return KZ_ERR_NOMEM;
    }
    err = kz_buf_append_cstr(&b, text);
    free(text);
    if (err == KZ_OK)
        err = kz_buf_append(&b, "\n", 1);
    if (err == KZ_OK) {
        err = kz_sensor_state_read(path, &old, &objs);
        if (err == KZ_ERR_NOTFOUND)
            err = KZ_OK;
    }
    if (err == KZ_OK && objs.n > 0 && kz_buf_cstr(&objs)[objs.n - 1] != '\n')
        err = kz_buf_append(&objs, "\n", 1);
    if (err == KZ_OK && n > 0)
        err = kz_buf_append(&objs, lines, n);
    if (err == KZ_OK)
        err = compact(kz_buf_cstr(&objs), objs.n, &b);
    if (err == KZ_OK)
        err = kz_sensor_write_atomic(path, kz_buf_cstr(&b), b.n);
    kz_buf_release(&objs);
    kz_buf_release(&b);
    return err;
}
