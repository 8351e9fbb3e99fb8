/* The incidents index of the store: rows replaced whole, filters, paging, timeline refs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

static char tmpdir[256];
static int counter;

struct fx {
    struct kz_store *s;
};

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    char url[400];

    snprintf(url, sizeof(url), "sqlite:%s/i%d.db", tmpdir, ++counter);
    if (!f || kz_store_open(url, &f->s) != KZ_OK)
        return -1;
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;

    kz_store_close(f->s);
    free(f);
    return 0;
}

struct put_args {
    const struct kz_incident_row *row;
    const struct kz_incident_ref *ref;
};

static kz_err
put_in_tx(void *ctx, struct kz_store_tx *tx)
{
    struct put_args *a = ctx;

    if (a->row)
        return kz_store_tx_incident_put(tx, a->row);
    return kz_store_tx_incident_ref_put(tx, a->ref);
}

static void
put(struct fx *f, int n, const char *org, const char *status, const char *severity, int64_t mod)
{
    struct kz_incident_row r;
    struct put_args a = {&r, NULL};
    char state[64];

    memset(&r, 0, sizeof(r));
    snprintf(r.id, sizeof(r.id), "incident--00000000-0000-4000-8000-%012d", n);
    snprintf(r.collection_id, sizeof(r.collection_id), "c");
    snprintf(r.org, sizeof(r.org), "%s", org);
    snprintf(r.status, sizeof(r.status), "%s", status);
    snprintf(r.severity, sizeof(r.severity), "%s", severity);
    r.created_us = 1;
    r.modified_us = mod;
    r.version_us = mod;
    snprintf(state, sizeof(state), "{\"n\":%d}", n);
    r.state = state;
    assert_int_equal(kz_store_transaction(f->s, put_in_tx, &a), KZ_OK);
}

static char seen[16][KZ_STIX_ID_MAX];
static size_t n_seen;

static void
take(void *ctx, const struct kz_incident_row *row)
{
    (void)ctx;
    if (n_seen < 16)
        snprintf(seen[n_seen++], KZ_STIX_ID_MAX, "%s", row->id);
}

static size_t
list(struct fx *f, const char *status, const char *severity, const char *org,
     int64_t after_modified_us, const char *after_id, size_t limit, bool *more)
{
    struct kz_incident_filter q = {status, severity, org, after_modified_us, after_id, limit};

    n_seen = 0;
    assert_int_equal(kz_store_incident_list(f->s, &q, take, NULL, more), KZ_OK);
    return n_seen;
}

static void
test_put_replaces_the_row(void **state)
{
    struct fx *f = *state;
    struct kz_incident_row r;

    put(f, 1, "acme", "reported", "low", 10);
    put(f, 1, "acme", "triage", "high", 20);
    memset(&r, 0, sizeof(r));
    assert_int_equal(
        kz_store_incident_get(f->s, "incident--00000000-0000-4000-8000-000000000001", &r), KZ_OK);
    assert_string_equal(r.status, "triage");
    assert_string_equal(r.severity, "high");
    assert_int_equal(r.version_us, 20);
    assert_string_equal(r.state, "{\"n\":1}");
    kz_incident_row_release(&r);
    assert_int_equal(kz_store_incident_get(f->s, "incident--nope", &r), KZ_ERR_NOTFOUND);
}

static void
test_list_filters_and_pages_newest_first(void **state)
{
    struct fx *f = *state;
    struct kz_incident_filter zero = {NULL, NULL, NULL, 0, NULL, 0};
    bool more;

    put(f, 1, "acme", "reported", "low", 10);
    put(f, 2, "bank", "triage", "high", 30);
    put(f, 3, "acme", "triage", "high", 20);
    assert_int_equal(list(f, NULL, NULL, NULL, 0, NULL, 10, &more), 3);
    assert_false(more);
    assert_string_equal(seen[0], "incident--00000000-0000-4000-8000-000000000002");
    assert_string_equal(seen[2], "incident--00000000-0000-4000-8000-000000000001");
    assert_int_equal(list(f, "triage", "high", "acme", 0, NULL, 10, &more), 1);
    assert_string_equal(seen[0], "incident--00000000-0000-4000-8000-000000000003");
    assert_int_equal(list(f, NULL, NULL, "acme", 0, NULL, 1, &more), 1);
    assert_true(more);
    assert_string_equal(seen[0], "incident--00000000-0000-4000-8000-000000000003");
    /* the next page starts after the last one seen, by (modified, id) */
    assert_int_equal(list(f, NULL, NULL, "acme", 20, seen[0], 1, &more), 1);
    assert_false(more);
    assert_string_equal(seen[0], "incident--00000000-0000-4000-8000-000000000001");
    assert_int_equal(list(f, "closed", NULL, NULL, 0, NULL, 10, &more), 0);
    /* an incident that changes between two pages moves to the top: the pages after the
     * cursor neither repeat nor skip the others */
    assert_int_equal(list(f, NULL, NULL, NULL, 0, NULL, 1, &more), 1);
    assert_string_equal(seen[0], "incident--00000000-0000-4000-8000-000000000002");
    put(f, 3, "acme", "investigating", "high", 40);
    assert_int_equal(list(f, NULL, NULL, NULL, 30, "incident--00000000-0000-4000-8000-000000000002",
                          10, &more),
                     1);
    assert_string_equal(seen[0], "incident--00000000-0000-4000-8000-000000000001");
    /* equal times: the id decides */
    put(f, 4, "bank", "triage", "low", 10);
    assert_int_equal(list(f, NULL, NULL, NULL, 10, "incident--00000000-0000-4000-8000-000000000001",
                          10, &more),
                     1);
    assert_string_equal(seen[0], "incident--00000000-0000-4000-8000-000000000004");
    assert_int_equal(kz_store_incident_list(f->s, &zero, take, NULL, &more), KZ_ERR_INVALID);
}

static char refs[8][KZ_STIX_ID_MAX + 20];
static size_t n_refs;

static void
take_ref(void *ctx, const struct kz_incident_ref *r)
{
    (void)ctx;
    if (n_refs < 8)
        snprintf(refs[n_refs++], sizeof(refs[0]), "%s %s", r->kind, r->object_id);
}

static void
ref(struct fx *f, const char *kind, const char *obj, int64_t at)
{
    struct kz_incident_ref r;
    struct put_args a = {NULL, &r};

    memset(&r, 0, sizeof(r));
    snprintf(r.incident_id, sizeof(r.incident_id), "incident--x");
    snprintf(r.object_id, sizeof(r.object_id), "%s", obj);
    snprintf(r.kind, sizeof(r.kind), "%s", kind);
    snprintf(r.collection_id, sizeof(r.collection_id), "c");
    r.at_us = at;
    assert_int_equal(kz_store_transaction(f->s, put_in_tx, &a), KZ_OK);
}

static void
test_refs_in_time_order_without_repeats(void **state)
{
    struct fx *f = *state;

    ref(f, "note", "note--b", 20);
    ref(f, "link", "relationship--a", 10);
    ref(f, "note", "note--b", 30); /* a repeat is ignored */
    n_refs = 0;
    assert_int_equal(kz_store_incident_refs(f->s, "incident--x", take_ref, NULL), KZ_OK);
    assert_int_equal(n_refs, 2);
    assert_string_equal(refs[0], "link relationship--a");
    assert_string_equal(refs[1], "note note--b");
    n_refs = 0;
    assert_int_equal(kz_store_incident_refs(f->s, "incident--y", take_ref, NULL), KZ_OK);
    assert_int_equal(n_refs, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_replaces_the_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_filters_and_pages_newest_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refs_in_time_order_without_repeats, setup, teardown),
    };
    char cmd[300];
    int rc;

    snprintf(tmpdir, sizeof(tmpdir), "/tmp/kz-incidents-store-XXXXXX");
    if (!mkdtemp(tmpdir))
        return 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        return 1;
    return rc;
}
