/*
 * The spool: sighting batches (TAXII envelopes) waiting for the hub. A batch is on disk,
 * fsynced, before it is posted, and removed only once the hub acknowledged all of it, so a
 * crash or an unreachable hub loses nothing; batches go out oldest first.
 */
#include "sensor/sensor.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"
#include "base/banned.h"

#define SPOOL_PREFIX "batch-"
#define SPOOL_SUFFIX ".json"

static bool
is_batch(const char *name)
{
    size_t n = strlen(name), sn = strlen(SPOOL_SUFFIX);
    return strncmp(name, SPOOL_PREFIX, strlen(SPOOL_PREFIX)) == 0 && n > sn &&
           strcmp(name + n - sn, SPOOL_SUFFIX) == 0 && !strstr(name, ".tmp.");
}

static int
name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

kz_err
kz_sensor_spool_list(const char *dir, char ***names, size_t *n)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **v = NULL;
    size_t len = 0, cap = 0;

    *names = NULL;
    *n = 0;
    if (!d)
        return KZ_OK; /* no spool yet: nothing waits */
    while ((e = readdir(d)) != NULL) {
        if (!is_batch(e->d_name))
            continue;
        if (len == cap) {
            cap = cap ? cap * 2 : 16;
            v = kz_xrealloc(v, cap * sizeof(*v));
        }
        v[len++] = kz_xstrdup(e->d_name);
    }
    closedir(d);
    if (len)
        qsort(v, len, sizeof(*v), name_cmp);
    *names = v;
    *n = len;
    return KZ_OK;
}

void
kz_sensor_spool_list_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

kz_err
kz_sensor_spool_put(const char *dir, const char *envelope, size_t n)
{
    static unsigned seq;
    char path[4200];
    kz_err err = kz_sensor_mkdirs(dir);

    if (err != KZ_OK)
        return err;
    /* Names sort by creation time; pid and a counter keep them apart within a microsecond. */
    snprintf(path, sizeof(path), "%s/" SPOOL_PREFIX "%016llx-%08lx-%06u" SPOOL_SUFFIX, dir,
             (unsigned long long)kz_time_now_us(), (unsigned long)getpid(), seq++ % 1000000u);
    return kz_sensor_write_atomic(path, envelope, n);
}

static bool
is_sighting_line(const char *p, size_t n)
{
    json_t *j = json_loadb(p, n, 0, NULL);
    const char *t = j ? kz_json_str(j, "type") : NULL;
    bool yes = t && strcmp(t, "sighting") == 0;

    json_decref(j);
    return yes;
}

kz_err
kz_sensor_spool_lines(const char *dir, const char *lines, size_t n, size_t max_objects,
                      uint64_t *sightings)
{
    struct kz_buf env;
    size_t in_batch = 0;
    uint64_t spooled = 0, pending = 0;
    const char *p = lines, *end = lines + n;
    kz_err err = KZ_OK;

    kz_buf_init(&env, (size_t)1 << 30);
    while (p < end && err == KZ_OK) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        bool last = p + len >= end || p + len + 1 >= end;

        if (len > 0) {
            err = kz_buf_append_cstr(&env, in_batch ? "," : "{\"objects\":[");
            if (err == KZ_OK)
                err = kz_buf_append(&env, p, len);
            in_batch++;
            if (is_sighting_line(p, len))
                pending++;
        }
        /* Cut only after a sighting: it travels with its observed-data and object. */
        if (err == KZ_OK && in_batch > 0 &&
            (last || (in_batch >= max_objects && is_sighting_line(p, len)))) {
            err = kz_buf_append_cstr(&env, "]}");
            if (err == KZ_OK)
                err = kz_sensor_spool_put(dir, kz_buf_cstr(&env), env.n);
            if (err == KZ_OK)
                spooled += pending;
            pending = 0;
            in_batch = 0;
            kz_buf_reset(&env);
        }
        p += len + 1;
    }
    kz_buf_release(&env);
    if (err == KZ_OK)
        *sightings = spooled;
    return err;
}

uint64_t
kz_sensor_spool_sightings(const char *envelope, size_t n)
{
    json_t *j = json_loadb(envelope, n, 0, NULL), *o;
    uint64_t count = 0;
    size_t i;

    json_array_foreach(json_object_get(j, "objects"), i, o) {
        const char *t = kz_json_str(o, "type");
        if (t && strcmp(t, "sighting") == 0)
            count++;
    }
    json_decref(j);
    return count;
}

uint64_t
kz_sensor_spool_pending(const char *dir)
{
    char **names;
    size_t n;
    uint64_t total = 0;

    if (kz_sensor_spool_list(dir, &names, &n) != KZ_OK)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char path[4200];
        struct kz_buf b;
        kz_buf_init(&b, (size_t)1 << 30);
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (kz_buf_read_file(&b, path) == KZ_OK)
            total += kz_sensor_spool_sightings(kz_buf_cstr(&b), b.n);
        kz_buf_release(&b);
    }
    kz_sensor_spool_list_free(names, n);
    return total;
}
