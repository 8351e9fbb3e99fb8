/*
 * Notifications: signing (known vectors), back-off, URL and subscription checks, and the
 * outbox: what kz_notify_emit queues for whom, and how attempts change a delivery.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/id.h"
#include "base/time.h"
#include "notify/notify.h"
#include "base/banned.h"

static char tmpdir[256];
static int db_counter;

struct fx {
    struct kz_store *s;
    char coll[KZ_UUID_TEXT_LEN + 1];
};

static int
group_setup(void **state)
{
    (void)state;
    if (sodium_init() < 0)
        return -1;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/kz-notify-test-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int
group_teardown(void **state)
{
    char cmd[300];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

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

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct kz_collection c;
    char url[512];

    if (f == NULL)
        return -1;
    snprintf(url, sizeof(url), "sqlite:%s/n%d.db", tmpdir, ++db_counter);
    if (kz_store_open(url, &f->s) != KZ_OK)
        return -1;
    org_add(f->s, "acme");
    org_add(f->s, "bank");
    memset(&c, 0, sizeof(c));
    kz_uuid_v4(c.id);
    snprintf(c.alias, sizeof(c.alias), "community");
    snprintf(c.readers, sizeof(c.readers), "member");
    snprintf(c.writers, sizeof(c.writers), "member");
    c.max_tlp = KZ_TLP_AMBER;
    if (kz_store_collection_add(f->s, &c) != KZ_OK)
        return -1;
    memcpy(f->coll, c.id, sizeof(f->coll));
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

/* Subscribes org to events; returns the subscription (id filled in). */
static struct kz_webhook
subscribe(struct fx *f, const char *org, const char *events, const char *coll, bool national)
{
    struct kz_webhook w;
    char why[256] = "";

    memset(&w, 0, sizeof(w));
    snprintf(w.org, sizeof(w.org), "%s", org);
    snprintf(w.url, sizeof(w.url), "http://127.0.0.1:9/hook");
    snprintf(w.events, sizeof(w.events), "%s", events);
    snprintf(w.collection_id, sizeof(w.collection_id), "%s", coll ? coll : "");
    snprintf(w.role, sizeof(w.role), "member");
    w.national = national;
    assert_int_equal(kz_notify_subscribe(f->s, &w, why, sizeof(why)), KZ_OK);
    return w;
}

struct emit_args {
    const struct kz_notify_event *ev;
};

static kz_err
emit_in_tx(void *ctx, struct kz_store_tx *tx)
{
    return kz_notify_emit(tx, ((struct emit_args *)ctx)->ev);
}

static kz_err
emit(struct fx *f, const struct kz_notify_event *ev)
{
    struct emit_args a = {ev};

    return kz_store_transaction(f->s, emit_in_tx, &a);
}

struct seen {
    size_t n;
    struct kz_delivery last;
};

static void
count_delivery(void *ctx, const struct kz_delivery *d)
{
    struct seen *s = ctx;

    s->n++;
    s->last = *d;
}

static struct seen
deliveries_for(struct fx *f, const char *subject)
{
    struct seen s;

    memset(&s, 0, sizeof(s));
    assert_int_equal(kz_notify_deliveries_for(f->s, subject, count_delivery, &s), KZ_OK);
    return s;
}

/* ---- signing and back-off ---- */

static void
test_hmac_rfc4231(void **state)
{
    char hex[65];

    (void)state;
    /* RFC 4231 test case 2. */
    kz_notify_hmac_hex("Jefe", 4, "what do ya want for nothing?", 28, hex);
    assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void
test_signature_vector(void **state)
{
    char sig[KZ_NOTIFY_SIGNATURE_MAX];
    const char *body = "{\"id\":\"x\"}";

    (void)state;
    /* HMAC-SHA256 of "1700000000.{"id":"x"}" under "whsec_test" (Python's hmac module). */
    kz_notify_signature("whsec_test", 1700000000, body, strlen(body), sig);
    assert_string_equal(sig, "t=1700000000,v1=80e8d098018f757aa814ab1abb924f35d304affa1d93d29"
                             "611a54696207eb7c3");
    kz_notify_signature("whsec_test", 1700000001, body, strlen(body), sig);
    assert_null(strstr(sig, "80e8d098018f757a")); /* the time is signed too */
}

static void
test_backoff_doubles_and_caps(void **state)
{
    (void)state;
    /* rnd 0: no jitter taken off; the full delay. */
    assert_int_equal(kz_notify_backoff_ms(1, 1000, 60000, 0), 1000);
    assert_int_equal(kz_notify_backoff_ms(2, 1000, 60000, 0), 2000);
    assert_int_equal(kz_notify_backoff_ms(3, 1000, 60000, 0), 4000);
    assert_int_equal(kz_notify_backoff_ms(7, 1000, 60000, 0), 60000);
    assert_int_equal(kz_notify_backoff_ms(200, 1000, 60000, 0), 60000);
    /* rnd max: half of it. */
    assert_int_equal(kz_notify_backoff_ms(3, 1000, 60000, UINT32_MAX), 2000);
    for (uint32_t r = 0; r < 1000; r++) {
        uint64_t d = kz_notify_backoff_ms(4, 1000, 60000, r * 4294967u);
        assert_true(d >= 4000 && d <= 8000);
    }
    assert_true(kz_notify_backoff_ms(1, 0, 10, 0) >= 1);
}

static void
test_body_shape(void **state)
{
    struct kz_delivery d;
    struct kz_buf b;
    json_t *j;

    (void)state;
    memset(&d, 0, sizeof(d));
    snprintf(d.id, sizeof(d.id), "0b6e3a52-52b8-4d52-9a1d-2d1b2c3d4e5f");
    snprintf(d.event, sizeof(d.event), "alert.created");
    snprintf(d.subject, sizeof(d.subject), "alert--1");
    d.created_us = 1700000000000000;
    kz_buf_init(&b, 1 << 20);
    assert_int_equal(kz_notify_body(&d, "{\"n\":1}", &b), KZ_OK);
    j = json_loads(kz_buf_cstr(&b), 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "id")), d.id);
    assert_string_equal(json_string_value(json_object_get(j, "event")), "alert.created");
    assert_string_equal(json_string_value(json_object_get(j, "created")),
                        "2023-11-14T22:13:20.000Z");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "data"), "n")), 1);
    json_decref(j);
    assert_int_equal(kz_notify_body(&d, "[1]", &b), KZ_ERR_INVALID);
    kz_buf_release(&b);
}

static void
test_url_check(void **state)
{
    static const char *const bad[] = {
        "", "ftp://x/", "http://", "http:///x", "http://u:p@host/", "http://h/a b",
        "javascript:alert(1)", "http://:80/", NULL,
    };
    char why[256], longurl[KZ_NOTIFY_URL_MAX + 20];

    (void)state;
    assert_int_equal(kz_notify_url_check("http://127.0.0.1:8000/hook", why, sizeof(why)), KZ_OK);
    assert_int_equal(kz_notify_url_check("https://soc.example/x?y=1", why, sizeof(why)), KZ_OK);
    for (size_t i = 0; bad[i]; i++)
        assert_int_equal(kz_notify_url_check(bad[i], why, sizeof(why)), KZ_ERR_INVALID);
    memset(longurl, 'a', sizeof(longurl) - 1);
    memcpy(longurl, "http://", 7);
    longurl[sizeof(longurl) - 1] = '\0';
    assert_int_equal(kz_notify_url_check(longurl, why, sizeof(why)), KZ_ERR_INVALID);
}

/* ---- subscriptions ---- */

static void
test_subscribe_rules(void **state)
{
    struct fx *f = *state;
    struct kz_webhook w, got;
    char why[256];

    memset(&w, 0, sizeof(w));
    snprintf(w.org, sizeof(w.org), "acme");
    snprintf(w.url, sizeof(w.url), "http://127.0.0.1:9/");
    snprintf(w.role, sizeof(w.role), "member");
    snprintf(w.events, sizeof(w.events), "alert.created bogus");
    assert_int_equal(kz_notify_subscribe(f->s, &w, why, sizeof(why)), KZ_ERR_INVALID);
    assert_non_null(strstr(why, "bogus"));
    snprintf(w.events, sizeof(w.events), "alert.created alert.created");
    assert_int_equal(kz_notify_subscribe(f->s, &w, why, sizeof(why)), KZ_ERR_INVALID);
    snprintf(w.events, sizeof(w.events), " ");
    assert_int_equal(kz_notify_subscribe(f->s, &w, why, sizeof(why)), KZ_ERR_INVALID);
    snprintf(w.events, sizeof(w.events), "object.added");
    assert_int_equal(kz_notify_subscribe(f->s, &w, why, sizeof(why)), KZ_ERR_INVALID);
    assert_non_null(strstr(why, "collection"));
    snprintf(w.events, sizeof(w.events), "incident.national");
    assert_int_equal(kz_notify_subscribe(f->s, &w, why, sizeof(why)), KZ_ERR_INVALID);
    snprintf(w.events, sizeof(w.events), "alert.created");
    snprintf(w.org, sizeof(w.org), "nobody");
    assert_int_equal(kz_notify_subscribe(f->s, &w, why, sizeof(why)), KZ_ERR_NOTFOUND);
    snprintf(w.org, sizeof(w.org), "acme");
    assert_int_equal(kz_notify_subscribe(f->s, &w, why, sizeof(why)), KZ_OK);
    assert_int_equal(strncmp(w.secret, "whsec_", 6), 0);
    assert_int_equal(strlen(w.secret), 6 + 64);
    assert_int_equal(kz_store_webhook_get(f->s, w.id, &got), KZ_OK);
    assert_string_equal(got.secret, w.secret);
    assert_string_equal(got.events, "alert.created");
    assert_int_equal(kz_store_webhook_delete(f->s, w.id, kz_time_now_us()), KZ_OK);
    assert_int_equal(kz_store_webhook_get(f->s, w.id, &got), KZ_ERR_NOTFOUND);
    assert_int_equal(kz_store_webhook_delete(f->s, w.id, kz_time_now_us()), KZ_ERR_NOTFOUND);
}

/* ---- the outbox ---- */

static void
test_emit_matches_event_and_org(void **state)
{
    struct fx *f = *state;
    const char *orgs[] = {"acme"};
    struct kz_notify_event ev = {"alert.created", "alert--a1", orgs, 1, NULL, "{\"rule\":\"x\"}"};
    struct seen s;

    subscribe(f, "acme", "alert.created alert.updated", NULL, false);
    subscribe(f, "acme", "incident.created", NULL, false); /* other event */
    subscribe(f, "bank", "alert.created", NULL, false);    /* other org */
    assert_int_equal(emit(f, &ev), KZ_OK);
    s = deliveries_for(f, "alert--a1");
    assert_int_equal(s.n, 1);
    assert_string_equal(s.last.org, "acme");
    assert_string_equal(s.last.event, "alert.created");
    assert_int_equal(s.last.state, KZ_DELIVERY_QUEUED);
    assert_int_equal(s.last.attempts, 0);

    /* Both organisations named: both receive it. */
    const char *both[] = {"bank", "acme"};
    ev.orgs = both;
    ev.n_orgs = 2;
    ev.subject = "alert--a2";
    assert_int_equal(emit(f, &ev), KZ_OK);
    assert_int_equal(deliveries_for(f, "alert--a2").n, 2);

    /* Nobody named: nobody. */
    ev.n_orgs = 0;
    ev.subject = "alert--a3";
    assert_int_equal(emit(f, &ev), KZ_OK);
    assert_int_equal(deliveries_for(f, "alert--a3").n, 0);
}

static void
test_emit_national(void **state)
{
    struct fx *f = *state;
    const char *orgs[] = {"acme"};
    struct kz_notify_event ev = {"incident.national", "incident--n1", orgs, 1, NULL, NULL};
    struct seen s;

    subscribe(f, "bank", "incident.national", NULL, true);
    subscribe(f, "acme", "incident.created", NULL, false);
    assert_int_equal(emit(f, &ev), KZ_OK);
    s = deliveries_for(f, "incident--n1");
    assert_int_equal(s.n, 1);
    assert_string_equal(s.last.org, "bank"); /* whatever the incident's organisations */
}

static void
test_emit_rejects_bad_events(void **state)
{
    struct fx *f = *state;
    struct kz_notify_event ev = {"alert.deleted", "x", NULL, 0, NULL, NULL};

    assert_int_equal(emit(f, &ev), KZ_ERR_INVALID);
    ev.type = "alert.created";
    ev.data_json = "not json";
    assert_int_equal(emit(f, &ev), KZ_ERR_INVALID);
    ev.data_json = "[]";
    assert_int_equal(emit(f, &ev), KZ_ERR_INVALID);
}

/* Emitted in a transaction that rolls back: nothing queued. */
static kz_err
emit_then_fail(void *ctx, struct kz_store_tx *tx)
{
    kz_err err = kz_notify_emit(tx, ((struct emit_args *)ctx)->ev);

    assert_int_equal(err, KZ_OK);
    return KZ_ERR_INTERNAL;
}

static void
test_emit_rolls_back_with_the_write(void **state)
{
    struct fx *f = *state;
    const char *orgs[] = {"acme"};
    struct kz_notify_event ev = {"alert.created", "alert--rb", orgs, 1, NULL, NULL};
    struct emit_args a = {&ev};

    subscribe(f, "acme", "alert.created", NULL, false);
    assert_int_equal(kz_store_transaction(f->s, emit_then_fail, &a), KZ_ERR_INTERNAL);
    assert_int_equal(deliveries_for(f, "alert--rb").n, 0);
}

struct due {
    size_t n;
    struct kz_delivery d;
    char secret[KZ_WEBHOOK_SECRET_MAX];
    char log[1024];
};

static void
due_one(void *ctx, const struct kz_delivery *d, const struct kz_delivery_extra *x)
{
    struct due *u = ctx;

    u->n++;
    u->d = *d;
    snprintf(u->secret, sizeof(u->secret), "%s", x->secret ? x->secret : "");
    snprintf(u->log, sizeof(u->log), "%s", x->attempt_log ? x->attempt_log : "");
}

static void
test_attempts_retry_deliver_and_die(void **state)
{
    struct fx *f = *state;
    const char *orgs[] = {"acme"};
    struct kz_notify_event ev = {"alert.created", "alert--r", orgs, 1, NULL, NULL};
    struct kz_webhook w = subscribe(f, "acme", "alert.created", NULL, false);
    struct kz_delivery_attempt a;
    struct kz_delivery_query q = {.subscription_id = w.id};
    int64_t now = kz_time_now_us();
    struct due u;

    assert_int_equal(emit(f, &ev), KZ_OK);
    memset(&u, 0, sizeof(u));
    assert_int_equal(kz_store_deliveries_due(f->s, now + 1000000, 10, due_one, &u), KZ_OK);
    assert_int_equal(u.n, 1);
    assert_string_equal(u.secret, w.secret);

    /* A failed attempt: queued again, due later. */
    a = (struct kz_delivery_attempt){u.d.id, KZ_DELIVERY_QUEUED, now, now + 60000000, 500,
                                     "HTTP 500"};
    assert_int_equal(kz_store_delivery_attempt(f->s, &a), KZ_OK);
    memset(&u, 0, sizeof(u));
    assert_int_equal(kz_store_deliveries_due(f->s, now + 1000000, 10, due_one, &u), KZ_OK);
    assert_int_equal(u.n, 0);
    assert_int_equal(kz_store_deliveries_due(f->s, now + 61000000, 10, due_one, &u), KZ_OK);
    assert_int_equal(u.n, 1);
    assert_int_equal(u.d.attempts, 1);
    assert_int_equal(u.d.last_status, 500);

    /* Delivered: out of the outbox, kept in the log with both attempts. */
    a = (struct kz_delivery_attempt){u.d.id, KZ_DELIVERY_DELIVERED, now + 1, 0, 204, ""};
    assert_int_equal(kz_store_delivery_attempt(f->s, &a), KZ_OK);
    memset(&u, 0, sizeof(u));
    assert_int_equal(kz_store_deliveries_due(f->s, INT64_MAX, 10, due_one, &u), KZ_OK);
    assert_int_equal(u.n, 0);
    assert_int_equal(kz_store_deliveries_list(f->s, &q, due_one, &u), KZ_OK);
    assert_int_equal(u.n, 1);
    assert_int_equal(u.d.state, KZ_DELIVERY_DELIVERED);
    assert_int_equal(u.d.attempts, 2);
    assert_string_equal(u.d.last_error, "HTTP 500"); /* the retry stays visible */
    assert_non_null(strstr(u.log, "\"status\":500"));
    assert_non_null(strstr(u.log, "\"status\":204"));
    /* A finished delivery takes no more attempts. */
    assert_int_equal(kz_store_delivery_attempt(f->s, &a), KZ_ERR_NOTFOUND);

    /* Removing the subscription turns its queued deliveries dead. */
    ev.subject = "alert--r2";
    assert_int_equal(emit(f, &ev), KZ_OK);
    assert_int_equal(kz_store_webhook_delete(f->s, w.id, kz_time_now_us()), KZ_OK);
    struct seen s = deliveries_for(f, "alert--r2");
    assert_int_equal(s.n, 1);
    assert_int_equal(s.last.state, KZ_DELIVERY_DEAD);
    assert_string_equal(s.last.last_error, "subscription removed");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hmac_rfc4231),
        cmocka_unit_test(test_signature_vector),
        cmocka_unit_test(test_backoff_doubles_and_caps),
        cmocka_unit_test(test_body_shape),
        cmocka_unit_test(test_url_check),
        cmocka_unit_test_setup_teardown(test_subscribe_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emit_matches_event_and_org, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emit_national, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emit_rejects_bad_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emit_rolls_back_with_the_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attempts_retry_deliver_and_die, setup, teardown),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
