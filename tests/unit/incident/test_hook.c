/*
 * The incidents write hook on a real store: it indexes pushed versions and, in the same
 * transaction, queues incident.created / incident.updated for the organisations concerned
 * and incident.national for the national contacts, once, on escalation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "incident/incident.h"
#include "notify/notify.h"

#define INC "incident--8e2e2d2b-17d4-4cbe-9e1a-0b2c5d3e4f50"

static char tmpdir[256];

static void
org_add(struct kz_store *s, const char *slug)
{
    struct kz_org o;

    memset(&o, 0, sizeof(o));
    snprintf(o.slug, sizeof(o.slug), "%s", slug);
    snprintf(o.name, sizeof(o.name), "Org %s", slug);
    snprintf(o.type, sizeof(o.type), "company");
    assert_int_equal(kz_stix_id_new("identity", o.identity_id), KZ_OK);
    o.created_us = kz_time_now_us();
    assert_int_equal(kz_store_org_add(s, &o), KZ_OK);
}

static void
subscribe(struct kz_store *s, const char *org, const char *events, bool national)
{
    struct kz_webhook w;
    char why[256] = "";

    memset(&w, 0, sizeof(w));
    snprintf(w.org, sizeof(w.org), "%s", org);
    snprintf(w.url, sizeof(w.url), "http://127.0.0.1:9/hook");
    snprintf(w.events, sizeof(w.events), "%s", events);
    snprintf(w.role, sizeof(w.role), national ? "gsoc" : "member");
    w.national = national;
    assert_int_equal(kz_notify_subscribe(s, &w, why, sizeof(why)), KZ_OK);
}

struct push {
    struct kz_caller caller;
    struct kz_collection coll;
    const char *json;
    int64_t version_us;
};

static kz_err
push_in_tx(void *ctx, struct kz_store_tx *tx)
{
    struct push *p = ctx;
    struct kz_object_in in = {INC,           "incident",   "2.1",   NULL,           NULL,
                              p->version_us, KZ_TLP_AMBER, p->json, strlen(p->json)};
    struct kz_put_result res;
    struct kz_write_event ev = {&p->caller, &p->coll, &in, &res, 1, NULL};

    memset(&res, 0, sizeof(res));
    res.outcome = KZ_PUT_ADDED;
    return kz_incident_write_hook(NULL, tx, &ev);
}

static char events[8][160];
static size_t n_events;

static void
take(void *ctx, const struct kz_delivery *d)
{
    (void)ctx;
    if (n_events < 8)
        snprintf(events[n_events++], sizeof(events[0]), "%s>%s", d->event, d->org);
}

static void
test_national_escalation_notifies_once(void **state)
{
    struct kz_store *s;
    struct push p;
    struct kz_incident_row row;
    char url[400];

    (void)state;
    snprintf(url, sizeof(url), "sqlite:%s/h.db", tmpdir);
    assert_int_equal(kz_store_open(url, &s), KZ_OK);
    org_add(s, "acme");
    org_add(s, "gsoc");
    org_add(s, "cabinet");
    subscribe(s, "acme", "incident.created incident.updated", false);
    subscribe(s, "cabinet", "incident.national", true);

    memset(&p, 0, sizeof(p));
    p.caller.authenticated = true;
    p.caller.role = KZ_ROLE_GSOC;
    snprintf(p.caller.org.slug, sizeof(p.caller.org.slug), "gsoc");
    kz_uuid_v4(p.coll.id);
    p.json = "{\"type\":\"incident\",\"id\":\"" INC "\",\"created\":\"2026-03-01T10:00:00Z\","
             "\"modified\":\"2026-03-01T10:00:00Z\",\"name\":\"grid "
             "down\",\"extensions\":{\"" KZ_INCIDENT_EXT_ID
             "\":{\"severity\":\"national\",\"organizations\":[\"acme\"]}}}";
    p.version_us = 1000;
    assert_int_equal(kz_store_transaction(s, push_in_tx, &p), KZ_OK);
    n_events = 0;
    assert_int_equal(kz_notify_deliveries_for(s, INC, take, NULL), KZ_OK);
    assert_int_equal(n_events, 2);
    assert_string_equal(events[0], "incident.created>acme");
    assert_string_equal(events[1], "incident.national>cabinet");

    /* a later version: updated, and no second national alarm */
    p.json = "{\"type\":\"incident\",\"id\":\"" INC "\",\"created\":\"2026-03-01T10:00:00Z\","
             "\"modified\":\"2026-03-01T11:00:00Z\",\"name\":\"grid "
             "down\",\"extensions\":{\"" KZ_INCIDENT_EXT_ID
             "\":{\"severity\":\"national\",\"status\":\"triage\"}}}";
    p.version_us = 2000;
    assert_int_equal(kz_store_transaction(s, push_in_tx, &p), KZ_OK);
    n_events = 0;
    assert_int_equal(kz_notify_deliveries_for(s, INC, take, NULL), KZ_OK);
    assert_int_equal(n_events, 3);
    assert_string_equal(events[2], "incident.updated>acme");
    memset(&row, 0, sizeof(row));
    assert_int_equal(kz_store_incident_get(s, INC, &row), KZ_OK);
    assert_string_equal(row.status, "triage");
    assert_string_equal(row.severity, "national");
    assert_int_equal(row.version_us, 2000);
    kz_incident_row_release(&row);

    /* an older version arriving late changes nothing and notifies nobody */
    p.version_us = 1500;
    assert_int_equal(kz_store_transaction(s, push_in_tx, &p), KZ_OK);
    n_events = 0;
    assert_int_equal(kz_notify_deliveries_for(s, INC, take, NULL), KZ_OK);
    assert_int_equal(n_events, 3);
    kz_store_close(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_national_escalation_notifies_once),
    };
    char cmd[300];
    int rc;

    if (sodium_init() < 0)
        return 1;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/kz-incident-test-XXXXXX");
    if (!mkdtemp(tmpdir))
        return 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        return 1;
    return rc;
}
