/* Unit tests of the sensor's hub session: reading TAXII status resources, retries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "sensor/hub.c"

static kz_err
status_of(const char *text, struct kz_sensor_hub *h)
{
    json_t *doc = json_loads(text, 0, NULL);
    kz_err err;

    assert_non_null(doc);
    err = check_status(h, doc);
    json_decref(doc);
    return err;
}

static void
test_status_all_taken(void **state)
{
    struct kz_sensor_hub h;
    (void)state;
    memset(&h, 0, sizeof(h));
    assert_int_equal(status_of("{\"status\":\"complete\",\"total_count\":3,\"success_count\":3,"
                               "\"failure_count\":0,\"pending_count\":0}",
                               &h),
                     KZ_OK);
}

static void
test_status_refusal_is_named(void **state)
{
    struct kz_sensor_hub h;
    (void)state;
    memset(&h, 0, sizeof(h));
    assert_int_equal(status_of("{\"status\":\"complete\",\"total_count\":2,\"success_count\":1,"
                               "\"failure_count\":1,\"pending_count\":0,\"failures\":[{\"id\":"
                               "\"sighting--1\",\"version\":\"x\",\"message\":\"too red\"}]}",
                               &h),
                     KZ_ERR_DENIED);
    assert_non_null(strstr(h.client.error, "too red"));
}

static void
test_status_pending_is_retried(void **state)
{
    struct kz_sensor_hub h;
    (void)state;
    memset(&h, 0, sizeof(h));
    assert_int_equal(status_of("{\"status\":\"pending\",\"total_count\":2,\"success_count\":0,"
                               "\"failure_count\":0,\"pending_count\":2}",
                               &h),
                     KZ_ERR_AGAIN);
    assert_int_equal(status_of("{\"failure_count\":0}", &h), KZ_ERR_DENIED);
}

static void
test_post_to_unreachable_hub_gives_io_after_retries(void **state)
{
    struct kz_sensor_hub h;
    (void)state;
    memset(&h, 0, sizeof(h));
    snprintf(h.url, sizeof(h.url), "http://127.0.0.1:1");
    snprintf(h.post_collection, sizeof(h.post_collection), "c");
    h.retries = 2;
    h.backoff_ms = 1;
    assert_int_equal(kz_sensor_hub_post(&h, "{\"objects\":[]}", 14), KZ_ERR_IO);
    assert_false(h.connected);
    assert_non_null(strstr(h.client.error, "127.0.0.1:1"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_all_taken),
        cmocka_unit_test(test_status_refusal_is_named),
        cmocka_unit_test(test_status_pending_is_retried),
        cmocka_unit_test(test_post_to_unreachable_hub_gives_io_after_retries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
