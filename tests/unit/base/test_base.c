/* src/base: timestamps, bounded numbers, UTF-8, buffers, JSON limits, settings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/config.h"
#include "base/id.h"
#include "base/json.h"
#include "base/str.h"
#include "base/time.h"

static void
test_time_round_trip(void **state)
{
    int64_t us;
    int digits;
    char out[KZ_TIME_TEXT_MAX];
    (void)state;
    assert_int_equal(kz_time_parse(kz_str_lit("2026-11-25T21:12:06.123456Z"), &us, &digits), KZ_OK);
    assert_int_equal(digits, 6);
    kz_time_format_us(us, out);
    assert_string_equal(out, "2026-11-25T21:12:06.123456Z");
    kz_time_format_ms(us, out);
    assert_string_equal(out, "2026-11-25T21:12:06.123Z");
    assert_int_equal(kz_time_parse(kz_str_lit("1970-01-01T00:00:00Z"), &us, NULL), KZ_OK);
    assert_int_equal(us, 0);
    assert_int_equal(kz_time_parse(kz_str_lit("2024-02-29T00:00:00.1Z"), &us, NULL), KZ_OK);
    kz_time_format_ms(us, out);
    assert_string_equal(out, "2024-02-29T00:00:00.100Z");
    /* Nanoseconds are accepted and truncated to microseconds. */
    assert_int_equal(kz_time_parse(kz_str_lit("2016-01-20T12:31:12.123456789Z"), &us, &digits), KZ_OK);
    assert_int_equal(digits, 9);
    assert_int_equal(us % 1000000, 123456);
}

static void
test_time_rejects(void **state)
{
    static const char *const bad[] = {
        "2026-11-25T21:12:06",        "2026-11-25T21:12:06+00:00", "2026-11-25 21:12:06Z",
        "2026-13-01T00:00:00Z",       "2023-02-29T00:00:00Z",      "2026-11-25T24:00:00Z",
        "2026-11-25T21:12:06.Z",      "2026-11-25T21:12:06.1234567890Z", "",
        "2026-11-25T21:12:06Zjunk",   "20a6-11-25T21:12:06Z",
    };
    int64_t us;
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(kz_time_parse(kz_str_from_cstr(bad[i]), &us, NULL), KZ_ERR_INVALID);
}

static void
test_u64_bounds(void **state)
{
    uint64_t v;
    (void)state;
    assert_int_equal(kz_str_to_u64(kz_str_lit("8080"), 1, 65535, &v), KZ_OK);
    assert_int_equal(v, 8080);
    assert_int_equal(kz_str_to_u64(kz_str_lit("70000"), 1, 65535, &v), KZ_ERR_INVALID);
    assert_int_equal(kz_str_to_u64(kz_str_lit("-1"), 0, 10, &v), KZ_ERR_INVALID);
    assert_int_equal(kz_str_to_u64(kz_str_lit(""), 0, 10, &v), KZ_ERR_INVALID);
    assert_int_equal(kz_str_to_u64(kz_str_lit("99999999999999999999"), 0, UINT64_MAX, &v),
                     KZ_ERR_INVALID);
}

static void
test_utf8(void **state)
{
    (void)state;
    assert_true(kz_utf8_valid("kizuna \xe7\xb5\x86", 10));
    assert_false(kz_utf8_valid("\xff", 1));
    assert_false(kz_utf8_valid("\xc0\xaf", 2));         /* overlong */
    assert_false(kz_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    assert_false(kz_utf8_valid("\xe7\xb5", 2));         /* truncated */
}

static void
test_buf_limit(void **state)
{
    struct kz_buf b;
    (void)state;
    kz_buf_init(&b, 8);
    assert_int_equal(kz_buf_append_cstr(&b, "12345678"), KZ_OK);
    assert_int_equal(kz_buf_append_cstr(&b, "9"), KZ_ERR_LIMIT);
    assert_string_equal(kz_buf_cstr(&b), "12345678");
    kz_buf_reset(&b);
    assert_int_equal(kz_buf_printf(&b, "%d-%s", 42, "x"), KZ_OK);
    assert_string_equal(kz_buf_cstr(&b), "42-x");
    kz_buf_release(&b);
}

static void
test_json_limits(void **state)
{
    struct kz_json_limits lim = {3, 8};
    char why[256];
    json_t *j = NULL;
    (void)state;
    assert_int_equal(kz_json_parse("[[[1]]]", 7, &lim, &j, why, sizeof(why)), KZ_OK);
    json_decref(j);
    assert_int_equal(kz_json_parse("[[[[1]]]]", 9, &lim, &j, why, sizeof(why)), KZ_ERR_LIMIT);
    assert_int_equal(kz_json_parse("[\"123456789\"]", 13, &lim, &j, why, sizeof(why)),
                     KZ_ERR_LIMIT);
    assert_int_equal(kz_json_parse("{\"a\":1,\"a\":2}", 13, &lim, &j, why, sizeof(why)),
                     KZ_ERR_INVALID);
    assert_int_equal(kz_json_parse("[1] x", 5, &lim, &j, why, sizeof(why)), KZ_ERR_INVALID);
    assert_non_null(strstr(why, "malformed JSON"));
    assert_int_equal(kz_json_parse("[\"\xff\"]", 5, &lim, &j, why, sizeof(why)), KZ_ERR_INVALID);
}

static void
test_config_layers(void **state)
{
    struct kz_config c;
    char why[256], path[] = "/tmp/kz-config-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    (void)state;
    kz_config_defaults(&c);
    assert_int_equal(c.threads, 4);
    assert_string_equal(c.listen, "127.0.0.1:8080");
    fprintf(f, "# a comment\nthreads = 8\nlisten=127.0.0.1:9000\n");
    fclose(f);
    assert_int_equal(kz_config_load_file(&c, path, why, sizeof(why)), KZ_OK);
    assert_int_equal(c.threads, 8);
    setenv("KIZUNA_THREADS", "3", 1);
    assert_int_equal(kz_config_load_env(&c, why, sizeof(why)), KZ_OK);
    unsetenv("KIZUNA_THREADS");
    assert_int_equal(c.threads, 3);
    assert_string_equal(c.listen, "127.0.0.1:9000");
    assert_int_equal(kz_config_set(&c, "max-body-bytes", "4096", why, sizeof(why)), KZ_OK);
    assert_int_equal(c.max_body_bytes, 4096);
    assert_int_equal(kz_config_set(&c, "threads", "0", why, sizeof(why)), KZ_ERR_INVALID);
    assert_int_equal(kz_config_set(&c, "colour", "red", why, sizeof(why)), KZ_ERR_INVALID);
    f = fopen(path, "w");
    fprintf(f, "threads 8\n");
    fclose(f);
    assert_int_equal(kz_config_load_file(&c, path, why, sizeof(why)), KZ_ERR_INVALID);
    assert_non_null(strstr(why, ":1:"));
    remove(path);
}

static void
test_ids(void **state)
{
    char u[KZ_UUID_TEXT_LEN + 1], id[KZ_STIX_ID_MAX];
    (void)state;
    kz_uuid_v4(u);
    assert_true(kz_uuid_valid(kz_str_from_cstr(u)));
    assert_int_equal(u[14], '4');
    assert_false(kz_uuid_valid(kz_str_lit("not-a-uuid")));
    {
        unsigned char b[16];
        char back[KZ_UUID_TEXT_LEN + 1];
        assert_true(kz_uuid_parse(kz_str_lit("8E2E2D2B-17d4-4cbf-938f-98ee46b3cd3f"), b));
        assert_int_equal(b[0], 0x8e);
        assert_int_equal(b[15], 0x3f);
        kz_uuid_format(b, back);
        assert_string_equal(back, "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f");
        assert_false(kz_uuid_parse(kz_str_lit("8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3"), b));
        assert_false(kz_uuid_parse(kz_str_lit("8e2e2d2b017d4-4cbf-938f-98ee46b3cd3f"), b));
    }
    assert_int_equal(kz_stix_id_new("indicator", id), KZ_OK);
    assert_int_equal(strncmp(id, "indicator--", 11), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_round_trip), cmocka_unit_test(test_time_rejects),
        cmocka_unit_test(test_u64_bounds),      cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_buf_limit),       cmocka_unit_test(test_json_limits),
        cmocka_unit_test(test_config_layers),   cmocka_unit_test(test_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
