/* src/http: routing and media-type negotiation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "http/http.h"

static const struct kz_http_route *
route(const char *method, const char *path, int *status, struct kz_http_request *req)
{
    memset(req, 0, sizeof(*req));
    req->method = method;
    req->path = path;
    return kz_http_route_find(req, status);
}

static void
test_routes(void **state)
{
    struct kz_http_request req;
    int status = 0;
    (void)state;
    assert_non_null(route("GET", "/taxii2/", &status, &req));
    assert_non_null(route("GET", "/taxii2/api/collections/community/objects/x--1/versions/",
                          &status, &req));
    assert_int_equal(req.n_segments, 2);
    assert_non_null(route("HEAD", "/healthz", &status, &req));
    assert_null(route("PUT", "/taxii2/api/collections/", &status, &req));
    assert_int_equal(status, 405);
    assert_null(route("GET", "/taxii2/api/collections//objects/", &status, &req));
    assert_int_equal(status, 404);
    assert_null(route("GET", "/taxii2/api/collections/a/objects", &status, &req));
    assert_int_equal(status, 404);
}

static void
test_accept(void **state)
{
    (void)state;
    assert_true(kz_http_accepts(NULL, false));
    assert_true(kz_http_accepts("application/taxii+json;version=2.1", false));
    assert_true(kz_http_accepts("application/taxii+json", false));
    assert_true(kz_http_accepts("text/html, */*;q=0.1", false));
    assert_false(kz_http_accepts("application/taxii+json;version=2.0", false));
    assert_false(kz_http_accepts("text/html", false));
    assert_false(kz_http_accepts("application/json", false));
    assert_true(kz_http_accepts("application/json", true));
}

static void
test_content_type(void **state)
{
    (void)state;
    assert_true(kz_http_content_type_ok("application/taxii+json;version=2.1", false));
    assert_true(kz_http_content_type_ok("application/taxii+json", false));
    assert_false(kz_http_content_type_ok("*/*", false));
    assert_false(kz_http_content_type_ok(NULL, false));
    assert_false(kz_http_content_type_ok("application/json", false));
    assert_true(kz_http_content_type_ok("application/json; charset=utf-8", true));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_accept),
        cmocka_unit_test(test_content_type),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
