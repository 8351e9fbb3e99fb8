/*
 * Upgrading a database: a hub whose correlation state is in the tables of schema 5
 * (corr_members, alerts, alert_history) keeps its alerts, their figures, organisations
 * and history when it moves to the append-only layout of schema 6.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "base/time.h"
#include "store/store.h"
#include "base/banned.h"

#define IND "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
#define ALERT "alert--0079c5ff-6cba-5a7d-929f-0db7e59b529e"
#define COLL "00000000-0000-4000-8000-0000000000c1"
#define DAY (24LL * 3600 * 1000000)

/* Schema 5's correlation tables, as a hub of that version wrote them. */
static const char old_tables[] =
    "DROP TABLE corr_log; DROP TABLE alert_rows; DROP TABLE alert_events;"
    "CREATE TABLE corr_members (indicator TEXT NOT NULL, win_us INTEGER NOT NULL,"
    " bucket_us INTEGER NOT NULL, org TEXT NOT NULL, collection_id TEXT NOT NULL,"
    " tlp INTEGER NOT NULL, sector TEXT NOT NULL, count INTEGER NOT NULL,"
    " first_us INTEGER NOT NULL, last_us INTEGER NOT NULL, updated_us INTEGER NOT NULL,"
    " PRIMARY KEY (indicator, win_us, bucket_us, org, collection_id, tlp)) WITHOUT ROWID;"
    "CREATE TABLE alerts (id TEXT PRIMARY KEY NOT NULL, rule TEXT NOT NULL,"
    " severity TEXT NOT NULL, indicator TEXT NOT NULL, win_us INTEGER NOT NULL,"
    " bucket_us INTEGER NOT NULL, status TEXT NOT NULL, assignee TEXT NOT NULL DEFAULT '',"
    " reason TEXT NOT NULL DEFAULT '', changed_by TEXT NOT NULL DEFAULT '',"
    " changed_us INTEGER NOT NULL, created_us INTEGER NOT NULL,"
    " time_to_alert_us INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX alerts_by_created ON alerts(created_us, id);"
    "CREATE TABLE alert_history (alert_id TEXT NOT NULL REFERENCES alerts(id),"
    " seq INTEGER NOT NULL, action TEXT NOT NULL, status TEXT NOT NULL, by TEXT NOT NULL,"
    " assignee TEXT NOT NULL, reason TEXT NOT NULL, at_us INTEGER NOT NULL,"
    " PRIMARY KEY (alert_id, seq)) WITHOUT ROWID;"
    "INSERT INTO corr_members VALUES ('" IND "', 86400000000, 86400000000, 'acme', '" COLL
    "', 1, 'energy', 3, 86400000001, 86400000005, 90000000000);"
    "INSERT INTO corr_members VALUES ('" IND "', 86400000000, 86400000000, 'bank', '" COLL
    "', 2, 'finance', 4, 86400000002, 86400000009, 90000000001);"
    "INSERT INTO alerts VALUES ('" ALERT "', 'multi_org', 'medium', '" IND "', 86400000000,"
    " 86400000000, 'acknowledged', '', '', 'gsoc/k1', 91000000000, 90000000001, 5);"
    "INSERT INTO alert_history VALUES ('" ALERT "', 1, 'acknowledge', 'acknowledged',"
    " 'gsoc/k1', '', '', 91000000000);"
    "DELETE FROM schema_migrations WHERE version = 6;"
    "PRAGMA user_version = 5;";

struct names {
    char org[4][KZ_SLUG_MAX];
    char coll[4][KZ_UUID_TEXT_LEN + 1];
    enum kz_tlp tlp[4];
    size_t n;
};

static void
take_member(void *ctx, const struct kz_corr_member *m)
{
    struct names *x = ctx;

    if (x->n < 4) {
        snprintf(x->org[x->n], KZ_SLUG_MAX, "%s", m->org);
        snprintf(x->coll[x->n], sizeof(x->coll[0]), "%s", m->collection_id);
        x->tlp[x->n++] = m->tlp;
    }
}

static void
take_event(void *ctx, const struct kz_alert_event *ev)
{
    snprintf(ctx, KZ_ALERT_STATUS_MAX, "%s", ev->action);
}

static void
test_schema_5_correlation_moves_over(void **state)
{
    char dir[] = "/tmp/kz-migrate-XXXXXX", url[128], path[96], action[KZ_ALERT_STATUS_MAX] = "";
    struct kz_collection c;
    struct kz_store *s;
    struct kz_alert a;
    struct names m;
    sqlite3 *db;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/t.db", dir);
    snprintf(url, sizeof(url), "sqlite:%s", path);
    assert_int_equal(kz_store_open(url, &s), KZ_OK);
    memset(&c, 0, sizeof(c));
    snprintf(c.id, sizeof(c.id), COLL);
    snprintf(c.alias, sizeof(c.alias), "org-acme");
    snprintf(c.title, sizeof(c.title), "acme");
    c.max_tlp = KZ_TLP_RED;
    c.created_us = 1;
    assert_int_equal(kz_store_collection_add(s, &c), KZ_OK);
    kz_store_close(s);

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, old_tables, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    assert_int_equal(kz_store_open(url, &s), KZ_OK);
    assert_int_equal(kz_store_alert_get(s, ALERT, &a), KZ_OK);
    assert_string_equal(a.status, "acknowledged");
    assert_string_equal(a.changed_by, "gsoc/k1");
    assert_string_equal(a.indicator, IND);
    assert_int_equal(a.count, 7);
    assert_int_equal(a.first_seen_us, DAY + 1);
    assert_int_equal(a.last_seen_us, DAY + 9);
    memset(&m, 0, sizeof(m));
    assert_int_equal(kz_store_alert_members(s, &a, take_member, &m), KZ_OK);
    assert_int_equal(m.n, 2);
    assert_string_equal(m.org[0], "acme");
    assert_string_equal(m.org[1], "bank");
    assert_string_equal(m.coll[1], COLL);
    assert_int_equal(m.tlp[1], KZ_TLP_AMBER);
    assert_int_equal(kz_store_alert_history(s, ALERT, take_event, action), KZ_OK);
    assert_string_equal(action, "acknowledge");
    kz_store_close(s);
    snprintf(path, sizeof(path), "rm -rf %s", dir);
    assert_int_equal(system(path), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_5_correlation_moves_over),
    };
    return cmocka_run_group_tests_name("store migrations", tests, NULL, NULL);
}
