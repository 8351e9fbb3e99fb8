/* Unit tests of src/sensor: the pull state file, the spool, tail -F, the swapped index. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sensor/sensor.h"

static char tmpdir[256];

static int
setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/kz-sensor-test-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int
teardown(void **state)
{
    char cmd[512];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void
write_file(const char *path, const char *text, const char *mode)
{
    FILE *f = fopen(path, mode);
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static size_t
count_entries(const char *dir, const char *part)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;

    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, part))
            n++;
    closedir(d);
    return n;
}

/* ---- state ---- */

static void
test_state_missing_is_notfound(void **state)
{
    struct kz_sensor_state st;
    char path[512];
    (void)state;
    snprintf(path, sizeof(path), "%s/none.jsonl", tmpdir);
    assert_int_equal(kz_sensor_state_read(path, &st, NULL), KZ_ERR_NOTFOUND);
}

static void
test_state_append_keeps_old_objects_and_new_cursor(void **state)
{
    struct kz_sensor_state st = {0}, got;
    struct kz_buf objs;
    char path[512];
    (void)state;

    snprintf(path, sizeof(path), "%s/coll.jsonl", tmpdir);
    snprintf(st.url, sizeof(st.url), "http://127.0.0.1:1");
    snprintf(st.collection, sizeof(st.collection), "c1");
    snprintf(st.alias, sizeof(st.alias), "community");
    snprintf(st.added_after, sizeof(st.added_after), "2026-01-01T00:00:00.000001Z");
    assert_int_equal(kz_sensor_state_append(path, &st, "{\"a\":1}\n", 8), KZ_OK);
    snprintf(st.added_after, sizeof(st.added_after), "2026-01-02T00:00:00.000002Z");
    assert_int_equal(kz_sensor_state_append(path, &st, "{\"b\":2}\n", 8), KZ_OK);

    kz_buf_init(&objs, 1 << 20);
    assert_int_equal(kz_sensor_state_read(path, &got, &objs), KZ_OK);
    assert_string_equal(got.added_after, "2026-01-02T00:00:00.000002Z");
    assert_string_equal(got.alias, "community");
    assert_string_equal(got.collection, "c1");
    assert_string_equal(kz_buf_cstr(&objs), "{\"a\":1}\n{\"b\":2}\n");
    kz_buf_release(&objs);
    /* The atomic write leaves no temporary file behind. */
    assert_int_equal(count_entries(tmpdir, ".tmp."), 0);
}

static void
test_state_keeps_newest_version_only(void **state)
{
    struct kz_sensor_state st = {0}, got;
    struct kz_buf objs;
    char path[512];
    static const char first[] =
        "{\"id\":\"indicator--a\",\"modified\":\"2026-01-01T00:00:00Z\",\"v\":1}\n"
        "{\"id\":\"indicator--b\",\"modified\":\"2026-01-01T00:00:00Z\"}\n"
        "{\"id\":\"indicator--c\",\"modified\":\"2026-01-01T00:00:00.5Z\"}\n"
        "not json\n";
    static const char second[] =
        "{\"id\":\"indicator--a\",\"modified\":\"2026-01-02T00:00:00Z\",\"v\":2}\n"
        "{\"id\":\"indicator--b\",\"modified\":\"2026-01-02T00:00:00Z\",\"revoked\":true}\n"
        "{\"id\":\"indicator--c\",\"modified\":\"2026-01-01T00:00:00.25Z\",\"old\":1}\n";
    (void)state;

    snprintf(path, sizeof(path), "%s/versions.jsonl", tmpdir);
    assert_int_equal(kz_sensor_state_append(path, &st, first, strlen(first)), KZ_OK);
    assert_int_equal(kz_sensor_state_append(path, &st, second, strlen(second)), KZ_OK);
    kz_buf_init(&objs, 1 << 20);
    assert_int_equal(kz_sensor_state_read(path, &got, &objs), KZ_OK);
    /* a: the newer version; b: revoked, gone; c: the older copy that came later is dropped
     * (fractions compared as times, not text); the line that is not JSON stays. */
    assert_string_equal(kz_buf_cstr(&objs),
                        "{\"id\":\"indicator--c\",\"modified\":\"2026-01-01T00:00:00.5Z\"}\n"
                        "not json\n"
                        "{\"id\":\"indicator--a\",\"modified\":\"2026-01-02T00:00:00Z\",\"v\":2}\n");
    kz_buf_release(&objs);
}

static void
test_state_foreign_file_is_invalid(void **state)
{
    struct kz_sensor_state st;
    char path[512];
    (void)state;
    snprintf(path, sizeof(path), "%s/x.jsonl", tmpdir);
    write_file(path, "{\"type\":\"indicator\"}\n", "w");
    assert_int_equal(kz_sensor_state_read(path, &st, NULL), KZ_ERR_INVALID);
    write_file(path, "not json\n", "w");
    assert_int_equal(kz_sensor_state_read(path, &st, NULL), KZ_ERR_INVALID);
}

static void
test_state_hub_dir_ignores_trailing_slash(void **state)
{
    char a[512], b[512], c[512];
    (void)state;
    kz_sensor_state_hub_dir("/s", "http://127.0.0.1:8080/", a, sizeof(a));
    kz_sensor_state_hub_dir("/s", "http://127.0.0.1:8080", b, sizeof(b));
    kz_sensor_state_hub_dir("/s", "http://127.0.0.1:8081", c, sizeof(c));
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_true(strncmp(a, "/s/hub-", 7) == 0);
}

/* ---- spool ---- */

/* n sightings as the sighting writer emits them: object, observed-data, sighting. */
static char *
sighting_lines(int n)
{
    size_t cap = (size_t)n * 200 + 1, len = 0;
    char *s = malloc(cap);
    for (int i = 0; i < n; i++) {
        len += (size_t)snprintf(s + len, cap - len,
                                "{\"type\":\"ipv4-addr\",\"id\":\"ipv4-addr--%d\"}\n"
                                "{\"type\":\"observed-data\",\"id\":\"observed-data--%d\"}\n"
                                "{\"type\":\"sighting\",\"id\":\"sighting--%d\"}\n",
                                i, i, i);
    }
    return s;
}

static void
test_spool_batches_keep_sightings_whole(void **state)
{
    char dir[512], **names, path[1024];
    char *lines = sighting_lines(3);
    uint64_t spooled = 0;
    size_t n;
    (void)state;

    snprintf(dir, sizeof(dir), "%s/spool", tmpdir);
    /* At most 4 objects a batch, but a sighting never leaves its two objects: 2 + 1. */
    assert_int_equal(kz_sensor_spool_lines(dir, lines, strlen(lines), 4, &spooled), KZ_OK);
    assert_int_equal(spooled, 3);
    assert_int_equal(kz_sensor_spool_list(dir, &names, &n), KZ_OK);
    assert_int_equal(n, 2);
    assert_true(strcmp(names[0], names[1]) < 0);
    for (size_t i = 0; i < n; i++) {
        struct kz_buf b;
        kz_buf_init(&b, 1 << 20);
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        assert_int_equal(kz_buf_read_file(&b, path), KZ_OK);
        assert_true(strncmp(kz_buf_cstr(&b), "{\"objects\":[", 12) == 0);
        assert_int_equal(kz_sensor_spool_sightings(kz_buf_cstr(&b), b.n), i == 0 ? 2 : 1);
        kz_buf_release(&b);
    }
    assert_int_equal(kz_sensor_spool_pending(dir), 3);
    kz_sensor_spool_list_free(names, n);
    free(lines);
}

static void
test_spool_one_batch_when_it_fits(void **state)
{
    char dir[512], **names;
    char *lines = sighting_lines(5);
    uint64_t spooled = 0;
    size_t n;
    (void)state;

    snprintf(dir, sizeof(dir), "%s/spool1", tmpdir);
    assert_int_equal(kz_sensor_spool_lines(dir, lines, strlen(lines), 300, &spooled), KZ_OK);
    assert_int_equal(spooled, 5);
    assert_int_equal(kz_sensor_spool_list(dir, &names, &n), KZ_OK);
    assert_int_equal(n, 1);
    kz_sensor_spool_list_free(names, n);
    free(lines);
}

static void
test_spool_list_ignores_other_files(void **state)
{
    char dir[512], path[1024], **names;
    size_t n;
    (void)state;

    snprintf(dir, sizeof(dir), "%s/spool2", tmpdir);
    assert_int_equal(kz_sensor_mkdirs(dir), KZ_OK);
    snprintf(path, sizeof(path), "%s/batch-1.json.tmp.12", dir);
    write_file(path, "{", "w");
    snprintf(path, sizeof(path), "%s/notes.txt", dir);
    write_file(path, "x", "w");
    assert_int_equal(kz_sensor_spool_list(dir, &names, &n), KZ_OK);
    assert_int_equal(n, 0);
    assert_int_equal(kz_sensor_spool_put(dir, "{\"objects\":[]}", 14), KZ_OK);
    assert_int_equal(kz_sensor_spool_list(dir, &names, &n), KZ_OK);
    assert_int_equal(n, 1);
    kz_sensor_spool_list_free(names, n);
    /* A missing spool is an empty one. */
    snprintf(path, sizeof(path), "%s/none", tmpdir);
    assert_int_equal(kz_sensor_spool_list(path, &names, &n), KZ_OK);
    assert_int_equal(n, 0);
    assert_int_equal(kz_sensor_spool_pending(path), 0);
}

/* ---- tail ---- */

static enum kz_sensor_tail_event
tail_read(struct kz_sensor_tail *t, struct kz_buf *b)
{
    enum kz_sensor_tail_event ev;
    assert_int_equal(kz_sensor_tail_read(t, b, 1 << 20, &ev), KZ_OK);
    return ev;
}

static void
test_tail_follows_growth_rotation_and_truncation(void **state)
{
    char path[512], old[512];
    struct kz_sensor_tail t;
    struct kz_buf b;
    (void)state;

    snprintf(path, sizeof(path), "%s/log", tmpdir);
    snprintf(old, sizeof(old), "%s/log.1", tmpdir);
    kz_buf_init(&b, 1 << 20);
    kz_sensor_tail_init(&t, path);
    /* Not there yet: nothing, no error. */
    assert_int_equal(tail_read(&t, &b), KZ_TAIL_DATA);
    assert_int_equal(b.n, 0);
    write_file(path, "one\n", "w");
    assert_int_equal(tail_read(&t, &b), KZ_TAIL_REOPENED);
    assert_int_equal(tail_read(&t, &b), KZ_TAIL_DATA);
    assert_string_equal(kz_buf_cstr(&b), "one\n");
    write_file(path, "two\n", "a");
    assert_int_equal(tail_read(&t, &b), KZ_TAIL_DATA);
    assert_string_equal(kz_buf_cstr(&b), "one\ntwo\n");
    /* Rotation: what the old file got before the rename is still read first. */
    write_file(path, "three\n", "a");
    assert_int_equal(rename(path, old), 0);
    write_file(path, "new-1\n", "w");
    kz_buf_reset(&b);
    assert_int_equal(tail_read(&t, &b), KZ_TAIL_DATA);
    assert_string_equal(kz_buf_cstr(&b), "three\n");
    assert_int_equal(tail_read(&t, &b), KZ_TAIL_REOPENED);
    kz_buf_reset(&b);
    assert_int_equal(tail_read(&t, &b), KZ_TAIL_DATA);
    assert_string_equal(kz_buf_cstr(&b), "new-1\n");
    /* Truncation (copytruncate): read again from the start. */
    assert_int_equal(truncate(path, 0), 0);
    assert_int_equal(tail_read(&t, &b), KZ_TAIL_REOPENED);
    write_file(path, "x\n", "a");
    kz_buf_reset(&b);
    assert_int_equal(tail_read(&t, &b), KZ_TAIL_DATA);
    assert_string_equal(kz_buf_cstr(&b), "x\n");
    /* Nothing new: nothing read. */
    kz_buf_reset(&b);
    assert_int_equal(tail_read(&t, &b), KZ_TAIL_DATA);
    assert_int_equal(b.n, 0);
    kz_sensor_tail_release(&t);
    kz_buf_release(&b);
}

/* ---- the swapped index and sightings across generations ---- */

static struct kz_match_index *
index_of(const char *list)
{
    struct kz_match_index *ix = kz_match_index_new();
    struct kz_match_load_stats st = {0};
    assert_int_equal(kz_match_index_load(ix, list, strlen(list), 0, &st), KZ_OK);
    assert_int_equal(kz_match_index_finish(ix), KZ_OK);
    return ix;
}

static void
test_live_swap_keeps_held_index(void **state)
{
    struct kz_sensor_live *l = kz_sensor_live_new(index_of("example.com\n"));
    struct kz_sensor_gen *g1, *g2;
    (void)state;

    g1 = kz_sensor_live_acquire(l);
    assert_false(kz_sensor_live_changed(l, g1));
    kz_sensor_live_publish(l, index_of("example.com\n10.0.0.0/8\n"));
    assert_true(kz_sensor_live_changed(l, g1));
    /* The old generation is still readable while held. */
    assert_int_equal(kz_match_index_indicators(kz_sensor_gen_index(g1)), 1);
    g2 = kz_sensor_live_acquire(l);
    assert_int_equal(kz_match_index_indicators(kz_sensor_gen_index(g2)), 2);
    assert_int_equal(kz_sensor_live_generations(l), 2);
    kz_sensor_live_release(g1);
    kz_sensor_live_release(g2);
    kz_sensor_live_free(l);
}

static size_t
write_new(struct kz_match_sightings *sg)
{
    char *text = NULL;
    size_t len = 0, written = 99;
    FILE *m = open_memstream(&text, &len);
    assert_int_equal(kz_match_sightings_write_new(sg, m, false, &written), KZ_OK);
    fclose(m);
    free(text);
    return written;
}

static void
test_sightings_write_new_and_carry(void **state)
{
    struct kz_match_index *a = index_of("example.com\n"), *b = index_of("10.0.0.0/8\nexample.com\n");
    struct kz_match_sightings_opts o = {.window_us = 3600 * INT64_C(1000000)};
    struct kz_match_sightings *sa = kz_match_sightings_new(a, &o), *sb;
    char ida[128], idb[128];
    uint32_t map[1];
    (void)state;

    kz_match_sightings_add(sa, 0, 1000000, KZ_MATCH_DOMAIN, "query", kz_str_lit("example.com"));
    assert_int_equal(write_new(sa), 1);
    assert_int_equal(write_new(sa), 0); /* nothing new since */
    kz_match_sightings_add(sa, 0, 2000000, KZ_MATCH_DOMAIN, "query", kz_str_lit("example.com"));
    assert_int_equal(write_new(sa), 1);

    /* Carry to an index where example.com has another number. */
    kz_match_index_id(a, 0, ida, sizeof(ida));
    map[0] = UINT32_MAX;
    for (uint32_t i = 0; i < 2; i++) {
        kz_match_index_id(b, i, idb, sizeof(idb));
        if (strcmp(ida, idb) == 0)
            map[0] = i;
    }
    assert_int_not_equal(map[0], UINT32_MAX);
    sb = kz_match_sightings_new(b, &o);
    kz_match_sightings_carry(sb, sa, map, 1);
    assert_int_equal(kz_match_sightings_count(sb), 1);
    assert_int_equal(write_new(sb), 0); /* already written before the swap */
    kz_match_sightings_add(sb, map[0], 3000000, KZ_MATCH_DOMAIN, "query", kz_str_lit("example.com"));
    assert_int_equal(write_new(sb), 1);
    kz_match_sightings_free(sa);
    kz_match_sightings_free(sb);
    kz_match_index_free(a);
    kz_match_index_free(b);
}

static void
test_sighting_versions_follow_the_hits(void **state)
{
    struct kz_match_index *a = index_of("example.com\n");
    struct kz_match_sightings_opts o = {.window_us = 3600 * INT64_C(1000000)};
    struct kz_match_sightings *s1 = kz_match_sightings_new(a, &o), *s2 = kz_match_sightings_new(a, &o);
    char *t1 = NULL, *t2 = NULL;
    size_t l1 = 0, l2 = 0;
    FILE *m;
    (void)state;

    kz_match_sightings_add(s1, 0, 1700000000000000, KZ_MATCH_DOMAIN, "q", kz_str_lit("example.com"));
    kz_match_sightings_add(s2, 0, 1700000000000000, KZ_MATCH_DOMAIN, "q", kz_str_lit("example.com"));
    m = open_memstream(&t1, &l1);
    assert_int_equal(kz_match_sightings_write(s1, m, false), KZ_OK);
    fclose(m);
    usleep(2000); /* a different clock must not change the objects */
    m = open_memstream(&t2, &l2);
    assert_int_equal(kz_match_sightings_write(s2, m, false), KZ_OK);
    fclose(m);
    assert_string_equal(t1, t2);
    assert_non_null(strstr(t1, "\"modified\":\"2023-11-14T22:13:20.000Z\""));
    free(t1);
    free(t2);
    kz_match_sightings_free(s1);
    kz_match_sightings_free(s2);
    kz_match_index_free(a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_missing_is_notfound),
        cmocka_unit_test(test_state_append_keeps_old_objects_and_new_cursor),
        cmocka_unit_test(test_state_keeps_newest_version_only),
        cmocka_unit_test(test_state_foreign_file_is_invalid),
        cmocka_unit_test(test_state_hub_dir_ignores_trailing_slash),
        cmocka_unit_test(test_spool_batches_keep_sightings_whole),
        cmocka_unit_test(test_spool_one_batch_when_it_fits),
        cmocka_unit_test(test_spool_list_ignores_other_files),
        cmocka_unit_test(test_tail_follows_growth_rotation_and_truncation),
        cmocka_unit_test(test_live_swap_keeps_held_index),
        cmocka_unit_test(test_sightings_write_new_and_carry),
        cmocka_unit_test(test_sighting_versions_follow_the_hits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
