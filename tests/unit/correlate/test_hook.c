/*
 * The correlation write hook against a real store: windows by event time, counts that never
 * double, what is ignored, one alert per rule and window, and the life cycle.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/time.h"
#include "correlate/correlate.h"
#include "http/http.h"
#include "notify/notify.h"
#include "base/banned.h"

#define IND "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"

struct fx {
    char dir[64];
    struct kz_store *s;
    struct kz_rules rules;
    struct kz_hub hub;
    struct kz_collection coll;
};

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    char url[128];

    snprintf(f->dir, sizeof(f->dir), "/tmp/kz-hook-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(url, sizeof(url), "sqlite:%s/t.db", f->dir);
    if (kz_store_open(url, &f->s) != KZ_OK)
        return -1;
    kz_rules_defaults(&f->rules);
    f->hub.store = f->s;
    f->hub.rules = &f->rules;
    snprintf(f->coll.id, sizeof(f->coll.id), "00000000-0000-4000-8000-0000000000c1");
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;
    char cmd[128];

    kz_store_close(f->s);
    kz_rules_release(&f->rules);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

struct hook_args {
    struct fx *f;
    struct kz_write_event ev;
};

static kz_err
run_hook(void *ctx, struct kz_store_tx *tx)
{
    struct hook_args *a = ctx;

    return kz_correlate_hook(&a->f->hub, tx, &a->ev);
}

/* A sensor key's caller of org, in sector. */
static struct kz_caller
sensor_of(const char *org, const char *sector)
{
    struct kz_caller caller;

    memset(&caller, 0, sizeof(caller));
    caller.authenticated = true;
    caller.role = KZ_ROLE_SENSOR;
    snprintf(caller.org.slug, sizeof(caller.org.slug), "%s", org);
    snprintf(caller.org.sector, sizeof(caller.org.sector), "%s", sector);
    return caller;
}

/* Feeds one object through the hook as if org (of sector) had posted it. */
static void
feed(struct fx *f, const char *org, const char *sector, const char *type, const char *json,
     enum kz_put_outcome outcome)
{
    struct kz_caller caller;
    struct kz_object_in obj;
    struct kz_put_result res;
    struct hook_args a;

    caller = sensor_of(org, sector);
    memset(&obj, 0, sizeof(obj));
    obj.type = type;
    obj.json = json;
    obj.json_len = strlen(json);
    obj.tlp = KZ_TLP_GREEN;
    memset(&res, 0, sizeof(res));
    res.outcome = outcome;
    a.f = f;
    a.ev = (struct kz_write_event){&caller, &f->coll, &obj, &res, 1, NULL};
    assert_int_equal(kz_store_transaction(f->s, run_hook, &a), KZ_OK);
}

static void
sight(struct fx *f, const char *org, const char *sector, const char *last_seen, int count)
{
    char json[512];

    snprintf(json, sizeof(json),
             "{\"type\":\"sighting\",\"created\":\"2026-01-01T00:00:00Z\",\"last_seen\":\"%s\","
             "\"count\":%d,\"sighting_of_ref\":\"" IND "\"}",
             last_seen, count);
    feed(f, org, sector, "sighting", json, KZ_PUT_ADDED);
}

struct list {
    struct kz_alert a[16];
    size_t n;
};

static void
collect(void *ctx, const struct kz_alert *a)
{
    struct list *l = ctx;

    if (l->n < 16)
        l->a[l->n++] = *a;
}

static size_t
list(struct fx *f, const char *rule, struct list *l)
{
    struct kz_alert_query q = {.rule = rule, .since_us = -1, .limit = 16};
    bool more;

    memset(l, 0, sizeof(*l));
    assert_int_equal(kz_store_alert_list(f->s, &q, collect, l, &more), KZ_OK);
    return l->n;
}

static void
test_two_orgs_one_window(void **state)
{
    struct fx *f = *state;
    struct list l;

    sight(f, "a", "retail", "2026-03-01T01:00:00Z", 3);
    assert_int_equal(list(f, NULL, &l), 0);
    sight(f, "b", "retail", "2026-03-01T23:59:59Z", 4);
    assert_int_equal(list(f, NULL, &l), 1);
    assert_string_equal(l.a[0].rule, "multi_org");
    assert_string_equal(l.a[0].severity, "medium");
    assert_string_equal(l.a[0].status, "open");
    assert_int_equal(l.a[0].count, 7);
    /* a third sighting updates the same alert */
    sight(f, "a", "retail", "2026-03-01T12:00:00Z", 1);
    assert_int_equal(list(f, NULL, &l), 1);
    assert_int_equal(l.a[0].count, 8);
    assert_true(l.a[0].time_to_alert_us > 0);
}

static void
test_event_time_windows(void **state)
{
    struct fx *f = *state;
    struct list l;

    /* arrival order does not matter; the day of last_seen does */
    sight(f, "a", "retail", "2026-03-02T00:00:00Z", 1);
    sight(f, "b", "retail", "2026-03-01T23:59:59Z", 1);
    assert_int_equal(list(f, NULL, &l), 0);
    sight(f, "c", "retail", "2026-03-01T08:00:00Z", 1);
    assert_int_equal(list(f, NULL, &l), 1);
    assert_int_equal(l.a[0].bucket_us % (24LL * 3600 * 1000000), 0);
}

static void
test_ignored(void **state)
{
    struct fx *f = *state;
    struct list l;
    static const char other_ref[] =
        "{\"type\":\"sighting\",\"created\":\"2026-03-01T00:00:00Z\","
        "\"sighting_of_ref\":\"malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\"}";

    sight(f, "a", "retail", "2026-03-01T01:00:00Z", 1);
    /* a duplicate never counts, nor does a non-sighting or a sighting of a non-indicator */
    feed(f, "b", "retail", "sighting",
         "{\"type\":\"sighting\",\"created\":\"2026-03-01T00:00:00Z\",\"sighting_of_ref\":\"" IND
         "\"}",
         KZ_PUT_DUPLICATE);
    feed(f, "b", "retail", "sighting", other_ref, KZ_PUT_ADDED);
    feed(f, "b", "retail", "indicator",
         "{\"type\":\"indicator\",\"created\":\"2026-03-01T00:00:00Z\",\"sighting_of_ref\":\"" IND
         "\"}",
         KZ_PUT_ADDED);
    assert_int_equal(list(f, NULL, &l), 0);
    /* without count and last_seen: counted once, at created */
    feed(f, "b", "retail", "sighting",
         "{\"type\":\"sighting\",\"created\":\"2026-03-01T00:00:00Z\",\"sighting_of_ref\":\"" IND
         "\"}",
         KZ_PUT_ADDED);
    assert_int_equal(list(f, NULL, &l), 1);
    assert_int_equal(l.a[0].count, 2);
}

static void
test_sectors_ci_burst_watch(void **state)
{
    struct fx *f = *state;
    struct list l;
    char why[128];
    static const char text[] = "rule burst min_count=10 window=1h\nwatch " IND "\n";

    kz_rules_release(&f->rules);
    kz_rules_defaults(&f->rules);
    assert_int_equal(kz_rules_parse(&f->rules, text, sizeof(text) - 1, why, sizeof(why)), KZ_OK);
    sight(f, "a", "retail", "2026-03-01T01:10:00Z", 9);
    assert_int_equal(list(f, "watchlist", &l), 1);
    assert_string_equal(l.a[0].severity, "critical");
    assert_int_equal(list(f, "burst", &l), 0);
    sight(f, "a", "retail", "2026-03-01T01:50:00Z", 1);
    assert_int_equal(list(f, "burst", &l), 1);
    assert_int_equal(l.a[0].window_us, 3600LL * 1000000);
    /* the next hour is another burst window */
    sight(f, "a", "retail", "2026-03-01T02:10:00Z", 10);
    assert_int_equal(list(f, "burst", &l), 2);
    assert_int_equal(list(f, "critical_infrastructure", &l), 0);
    sight(f, "b", "water", "2026-03-01T03:00:00Z", 1);
    assert_int_equal(list(f, "critical_infrastructure", &l), 1);
    assert_int_equal(list(f, "multi_sector", &l), 1);
    assert_string_equal(l.a[0].severity, "high");
    assert_int_equal(list(f, "multi_org", &l), 1);
    assert_int_equal(list(f, NULL, &l), 6);
}

static void
test_life_cycle(void **state)
{
    struct fx *f = *state;
    struct list l;
    struct kz_alert a;
    char why[256];

    sight(f, "a", "retail", "2026-03-01T01:00:00Z", 1);
    sight(f, "b", "retail", "2026-03-01T02:00:00Z", 1);
    assert_int_equal(list(f, NULL, &l), 1);
    assert_int_equal(kz_alert_act(f->s, l.a[0].id, "resolve", NULL, NULL, "gsoc/k", NULL, why,
                                  sizeof(why)),
                     KZ_OK);
    assert_int_equal(kz_alert_act(f->s, l.a[0].id, "acknowledge", NULL, NULL, "gsoc/k", NULL, why,
                                  sizeof(why)),
                     KZ_ERR_CONFLICT);
    assert_non_null(strstr(why, "resolved"));
    assert_int_equal(kz_alert_act(f->s, l.a[0].id, "dismiss", NULL, "", "gsoc/k", NULL, why,
                                  sizeof(why)),
                     KZ_ERR_INVALID);
    assert_int_equal(kz_alert_act(f->s, "alert--x", "reopen", NULL, NULL, "gsoc/k", NULL, why,
                                  sizeof(why)),
                     KZ_ERR_NOTFOUND);
    /* new sightings update a resolved alert's figures but leave its status */
    sight(f, "c", "retail", "2026-03-01T03:00:00Z", 5);
    assert_int_equal(kz_store_alert_get(f->s, l.a[0].id, &a), KZ_OK);
    assert_string_equal(a.status, "resolved");
    assert_string_equal(a.changed_by, "gsoc/k");
    assert_int_equal(a.count, 7);
}

struct events {
    char types[8][32];
    size_t n;
};

static void
collect_delivery(void *ctx, const struct kz_delivery *d)
{
    struct events *e = ctx;

    if (e->n < 8)
        snprintf(e->types[e->n++], sizeof(e->types[0]), "%s", d->event);
}

static void
test_notifications(void **state)
{
    struct fx *f = *state;
    struct kz_webhook w;
    struct kz_org org;
    struct events ev;
    struct list l;
    char why[256];

    assert_int_equal(kz_store_sector_add(f->s, "retail"), KZ_OK);
    memset(&org, 0, sizeof(org));
    snprintf(org.slug, sizeof(org.slug), "a");
    snprintf(org.name, sizeof(org.name), "A");
    snprintf(org.type, sizeof(org.type), "company");
    snprintf(org.sector, sizeof(org.sector), "retail");
    snprintf(org.identity_id, sizeof(org.identity_id),
             "identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f");
    assert_int_equal(kz_store_org_add(f->s, &org), KZ_OK);
    memset(&w, 0, sizeof(w));
    snprintf(w.org, sizeof(w.org), "a");
    snprintf(w.url, sizeof(w.url), "http://127.0.0.1:9/hook");
    snprintf(w.events, sizeof(w.events), "alert.created alert.updated");
    snprintf(w.role, sizeof(w.role), "member");
    assert_int_equal(kz_notify_subscribe(f->s, &w, why, sizeof(why)), KZ_OK);

    sight(f, "a", "retail", "2026-03-01T01:00:00Z", 1);
    sight(f, "b", "retail", "2026-03-01T02:00:00Z", 1);
    assert_int_equal(list(f, NULL, &l), 1);
    memset(&ev, 0, sizeof(ev));
    assert_int_equal(kz_notify_deliveries_for(f->s, l.a[0].id, collect_delivery, &ev), KZ_OK);
    assert_int_equal(ev.n, 1);
    assert_string_equal(ev.types[0], "alert.created");
    /* another sighting by a known organisation: no notification; a new one: updated */
    sight(f, "b", "retail", "2026-03-01T03:00:00Z", 1);
    sight(f, "c", "retail", "2026-03-01T04:00:00Z", 1);
    memset(&ev, 0, sizeof(ev));
    assert_int_equal(kz_notify_deliveries_for(f->s, l.a[0].id, collect_delivery, &ev), KZ_OK);
    assert_int_equal(ev.n, 2);
    assert_string_equal(ev.types[1], "alert.updated");
    /* a status change is announced too */
    assert_int_equal(kz_alert_act(f->s, l.a[0].id, "acknowledge", NULL, NULL, "gsoc/k", NULL, why,
                                  sizeof(why)),
                     KZ_OK);
    memset(&ev, 0, sizeof(ev));
    assert_int_equal(kz_notify_deliveries_for(f->s, l.a[0].id, collect_delivery, &ev), KZ_OK);
    assert_int_equal(ev.n, 3);
    assert_string_equal(ev.types[2], "alert.updated");
}

/* Runs the hook, then fails: the transaction rolls back. */
static kz_err
run_hook_then_fail(void *ctx, struct kz_store_tx *tx)
{
    kz_err err = run_hook(ctx, tx);

    return err == KZ_OK ? KZ_ERR_INVALID : err;
}

static void
test_rollback_leaves_no_trace(void **state)
{
    struct fx *f = *state;
    struct kz_caller caller;
    struct kz_object_in obj;
    struct kz_put_result res;
    struct hook_args a;
    struct list l;
    static const char json[] =
        "{\"type\":\"sighting\",\"created\":\"2026-01-01T00:00:00Z\",\"last_seen\":"
        "\"2026-03-01T02:00:00Z\",\"count\":100,\"sighting_of_ref\":\"" IND "\"}";

    sight(f, "a", "retail", "2026-03-01T01:00:00Z", 1);
    caller = sensor_of("b", "retail");
    memset(&obj, 0, sizeof(obj));
    obj.type = "sighting";
    obj.json = json;
    obj.json_len = strlen(json);
    memset(&res, 0, sizeof(res));
    res.outcome = KZ_PUT_ADDED;
    a.f = f;
    a.ev = (struct kz_write_event){&caller, &f->coll, &obj, &res, 1, NULL};
    assert_int_equal(kz_store_transaction(f->s, run_hook_then_fail, &a), KZ_ERR_INVALID);
    /* neither the alert that write opened nor its count of 100 remain */
    assert_int_equal(list(f, NULL, &l), 0);
    sight(f, "c", "retail", "2026-03-01T03:00:00Z", 2);
    assert_int_equal(list(f, NULL, &l), 1);
    assert_int_equal(l.a[0].count, 3);
}

static void
test_one_write_many_sightings(void **state)
{
    struct fx *f = *state;
    struct kz_caller caller;
    struct kz_object_in obj[3];
    struct kz_put_result res[3];
    struct hook_args a;
    struct list l;
    static const char *const json[3] = {
        "{\"type\":\"sighting\",\"created\":\"2026-03-01T01:00:00Z\",\"count\":2,"
        "\"sighting_of_ref\":\"" IND "\"}",
        "{\"type\":\"sighting\",\"created\":\"2026-03-01T02:00:00Z\",\"count\":3,"
        "\"sighting_of_ref\":\"" IND "\"}",
        "{\"type\":\"sighting\",\"created\":\"2026-03-01T03:00:00Z\",\"count\":4,"
        "\"sighting_of_ref\":\"" IND "\"}",
    };

    sight(f, "a", "retail", "2026-03-01T00:30:00Z", 1);
    caller = sensor_of("b", "retail");
    memset(obj, 0, sizeof(obj));
    memset(res, 0, sizeof(res));
    for (int i = 0; i < 3; i++) {
        obj[i].type = "sighting";
        obj[i].json = json[i];
        obj[i].json_len = strlen(json[i]);
        res[i].outcome = KZ_PUT_ADDED;
    }
    a.f = f;
    a.ev = (struct kz_write_event){&caller, &f->coll, obj, res, 3, NULL};
    assert_int_equal(kz_store_transaction(f->s, run_hook, &a), KZ_OK);
    /* the first of the three opens the alert; the other two count in it */
    assert_int_equal(list(f, NULL, &l), 1);
    assert_int_equal(l.a[0].count, 10);
}

static void
test_restart_and_second_process(void **state)
{
    struct fx *f = *state;
    struct kz_store *other;
    struct kz_store *saved = f->s;
    struct kz_alert a;
    struct list l;
    char url[128], why[256];

    sight(f, "a", "retail", "2026-03-01T01:00:00Z", 1);
    sight(f, "b", "retail", "2026-03-01T02:00:00Z", 2);
    assert_int_equal(list(f, NULL, &l), 1);
    /* a second handle on the file is what another process sees */
    snprintf(url, sizeof(url), "sqlite:%s/t.db", f->dir);
    assert_int_equal(kz_store_open(url, &other), KZ_OK);
    assert_int_equal(kz_store_alert_get(other, l.a[0].id, &a), KZ_OK);
    assert_int_equal(a.count, 3);
    /* it writes: the first handle catches up, and the alert is not opened twice */
    f->s = other;
    f->hub.store = other;
    sight(f, "c", "retail", "2026-03-01T03:00:00Z", 4);
    f->s = saved;
    f->hub.store = saved;
    assert_int_equal(list(f, NULL, &l), 1);
    assert_int_equal(l.a[0].count, 7);
    sight(f, "d", "retail", "2026-03-01T04:00:00Z", 1);
    assert_int_equal(list(f, NULL, &l), 1);
    assert_int_equal(kz_alert_act(other, l.a[0].id, "acknowledge", NULL, NULL, "gsoc/k", NULL, why,
                                  sizeof(why)),
                     KZ_OK);
    assert_int_equal(kz_store_alert_get(other, l.a[0].id, &a), KZ_OK);
    assert_int_equal(a.count, 8);
    kz_store_close(other);
    /* a restart rebuilds the windows from the log: at once, or at first use */
    kz_store_close(f->s);
    assert_int_equal(kz_store_open(url, &f->s), KZ_OK);
    f->hub.store = f->s;
    assert_int_equal(kz_correlate_load(f->s, &f->rules), KZ_OK);
    {
        const int64_t day = 24LL * 3600 * 1000000;
        uint64_t rows = 0;
        assert_int_equal(kz_store_corr_load(f->s, &day, 1, &rows), KZ_OK);
        assert_int_equal(rows, 4);
        assert_int_equal(kz_store_corr_load(f->s, (const int64_t[]){0}, 1, &rows),
                         KZ_ERR_INVALID);
    }
    assert_int_equal(list(f, NULL, &l), 1);
    assert_int_equal(l.a[0].count, 8);
    assert_string_equal(l.a[0].status, "acknowledged");
    sight(f, "e", "retail", "2026-03-01T05:00:00Z", 1);
    assert_int_equal(list(f, NULL, &l), 1);
    assert_int_equal(l.a[0].count, 9);
}

/* A sighting of indicator ind (its number) by org at last_seen. */
static void
sight_of(struct fx *f, const char *org, int ind, const char *last_seen)
{
    char json[512];

    snprintf(json, sizeof(json),
             "{\"type\":\"sighting\",\"created\":\"2026-01-01T00:00:00Z\",\"last_seen\":\"%s\","
             "\"sighting_of_ref\":\"indicator--00000000-0000-4000-8000-%012d\"}",
             last_seen, ind);
    feed(f, org, "retail", "sighting", json, KZ_PUT_ADDED);
}

/* A member's alerts as "N1 N2 ..." (indicator numbers), newest first; *next the cursor. */
static void
member_list(struct fx *f, const char *org, const char *status, size_t limit, int64_t after,
            char *out, size_t outlen, int64_t *next, bool *more)
{
    struct kz_alert_query q = {.status = status, .member_org = org, .since_us = -1,
                               .after_seq = after, .limit = limit};
    struct list l;

    memset(&l, 0, sizeof(l));
    assert_int_equal(kz_store_alert_list(f->s, &q, collect, &l, more), KZ_OK);
    out[0] = '\0';
    for (size_t i = 0; i < l.n; i++)
        snprintf(out + strlen(out), outlen - strlen(out), "%s%s", i ? " " : "",
                 l.a[i].indicator + strlen(l.a[i].indicator) - 1);
    *next = l.n ? l.a[l.n - 1].seq : 0;
}

static void
test_member_alerts(void **state)
{
    struct fx *f = *state;
    char got[128], url[128], why[256];
    int64_t next;
    bool more;
    struct list l;

    sight_of(f, "a", 1, "2026-03-01T01:00:00Z");
    sight_of(f, "b", 1, "2026-03-01T02:00:00Z");
    sight_of(f, "c", 2, "2026-03-01T03:00:00Z");
    sight_of(f, "a", 2, "2026-03-01T04:00:00Z");
    sight_of(f, "b", 3, "2026-03-02T01:00:00Z");
    sight_of(f, "c", 3, "2026-03-02T02:00:00Z");
    member_list(f, "a", NULL, 10, 0, got, sizeof(got), &next, &more);
    assert_string_equal(got, "2 1");
    member_list(f, "b", NULL, 10, 0, got, sizeof(got), &next, &more);
    assert_string_equal(got, "3 1");
    member_list(f, "c", NULL, 10, 0, got, sizeof(got), &next, &more);
    assert_string_equal(got, "3 2");
    member_list(f, "d", NULL, 10, 0, got, sizeof(got), &next, &more);
    assert_string_equal(got, "");
    /* pages by the cursor */
    member_list(f, "a", NULL, 1, 0, got, sizeof(got), &next, &more);
    assert_string_equal(got, "2");
    assert_true(more);
    member_list(f, "a", NULL, 1, next, got, sizeof(got), &next, &more);
    assert_string_equal(got, "1");
    assert_false(more);
    /* a later sighting makes a member of an alert it was not in */
    sight_of(f, "d", 1, "2026-03-01T05:00:00Z");
    member_list(f, "d", NULL, 10, 0, got, sizeof(got), &next, &more);
    assert_string_equal(got, "1");
    /* the status filter, and the same answers after a restart rebuilt the cache */
    assert_int_equal(list(f, NULL, &l), 3);
    for (size_t i = 0; i < l.n; i++)
        if (strstr(l.a[i].indicator, "000000000001"))
            assert_int_equal(kz_alert_act(f->s, l.a[i].id, "acknowledge", NULL, NULL, "gsoc/k",
                                          NULL, why, sizeof(why)),
                             KZ_OK);
    member_list(f, "a", "open", 10, 0, got, sizeof(got), &next, &more);
    assert_string_equal(got, "2");
    kz_store_close(f->s);
    snprintf(url, sizeof(url), "sqlite:%s/t.db", f->dir);
    assert_int_equal(kz_store_open(url, &f->s), KZ_OK);
    f->hub.store = f->s;
    member_list(f, "b", NULL, 10, 0, got, sizeof(got), &next, &more);
    assert_string_equal(got, "3 1");
    member_list(f, "d", NULL, 10, 0, got, sizeof(got), &next, &more);
    assert_string_equal(got, "1");
}

static void
count_alert(void *ctx, const struct kz_alert *a)
{
    (void)a;
    (*(size_t *)ctx)++;
}

static void
test_list_walks_many_alerts(void **state)
{
    struct fx *f = *state;
    enum { N = 600 };
    struct kz_caller caller = sensor_of("p", "electricity");
    struct kz_object_in *obj = calloc(N, sizeof(*obj));
    struct kz_put_result *res = calloc(N, sizeof(*res));
    char(*json)[256] = calloc(N, sizeof(*json));
    struct kz_alert_query q = {.since_us = -1, .limit = 5};
    struct hook_args a;
    size_t n = 0;
    bool more;

    /* one critical-infrastructure sighting of each of N indicators: N alerts */
    for (int i = 0; i < N; i++) {
        snprintf(json[i], sizeof(json[i]),
                 "{\"type\":\"sighting\",\"created\":\"2026-03-01T01:00:00Z\","
                 "\"sighting_of_ref\":\"indicator--00000000-0000-4000-8000-%012d\"}",
                 i);
        obj[i].type = "sighting";
        obj[i].json = json[i];
        obj[i].json_len = strlen(json[i]);
        res[i].outcome = KZ_PUT_ADDED;
    }
    a.f = f;
    a.ev = (struct kz_write_event){&caller, &f->coll, obj, res, N, NULL};
    assert_int_equal(kz_store_transaction(f->s, run_hook, &a), KZ_OK);
    /* a filter that matches nothing walks every alert, in several holds of the cache */
    q.member_org = "nobody";
    assert_int_equal(kz_store_alert_list(f->s, &q, count_alert, &n, &more), KZ_OK);
    assert_int_equal(n, 0);
    assert_false(more);
    q.member_org = "p";
    assert_int_equal(kz_store_alert_list(f->s, &q, count_alert, &n, &more), KZ_OK);
    assert_int_equal(n, 5);
    assert_true(more);
    n = 0;
    q.member_org = NULL;
    q.sector = "electricity";
    q.limit = 1000;
    assert_int_equal(kz_store_alert_list(f->s, &q, count_alert, &n, &more), KZ_OK);
    assert_int_equal(n, N);
    assert_false(more);
    free(obj);
    free(res);
    free(json);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_two_orgs_one_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_time_windows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sectors_ci_burst_watch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_life_cycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notifications, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_leaves_no_trace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_write_many_sightings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_and_second_process, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_walks_many_alerts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_member_alerts, setup, teardown),
    };
    return cmocka_run_group_tests_name("correlate hook", tests, NULL, NULL);
}
