/*
 * Versioned schema of the SQLite backend. migrations[i] brings the schema from version i
 * to i + 1; pending steps run in order inside one transaction and are recorded in
 * schema_migrations (and PRAGMA user_version, for the sqlite3 shell). Never edit a step
 * that has shipped: add a new one.
 */
#include "store/sqlite_int.h"

#include <stdio.h>

#include "base/log.h"
#include "base/time.h"
#include "base/banned.h"

static const char *const migrations[] = {
    /* 1: organisations, keys, collections, objects, the date_added clock, statuses. */
    "CREATE TABLE sectors ("
    "  name TEXT PRIMARY KEY NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE orgs ("
    "  slug TEXT PRIMARY KEY NOT NULL,"
    "  name TEXT NOT NULL,"
    "  type TEXT NOT NULL,"
    "  sector TEXT REFERENCES sectors(name)," /* NULL when none */
    "  country TEXT NOT NULL DEFAULT '',"
    "  identity_id TEXT NOT NULL,"
    "  created_us INTEGER NOT NULL"
    ");"
    "CREATE UNIQUE INDEX orgs_by_identity ON orgs(identity_id) WHERE identity_id <> '';"
    "CREATE TABLE keys ("
    "  id TEXT PRIMARY KEY NOT NULL,"
    "  org TEXT NOT NULL REFERENCES orgs(slug),"
    "  role TEXT NOT NULL,"
    "  hash BLOB NOT NULL,"
    "  created_us INTEGER NOT NULL,"
    "  revoked_us INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX keys_by_org ON keys(org);"
    "CREATE TABLE collections ("
    "  num INTEGER PRIMARY KEY," /* compact key for the objects table */
    "  id TEXT NOT NULL UNIQUE,"
    "  alias TEXT NOT NULL,"
    "  title TEXT NOT NULL,"
    "  description TEXT NOT NULL,"
    "  readers TEXT NOT NULL,"
    "  writers TEXT NOT NULL,"
    "  max_tlp INTEGER NOT NULL,"
    "  created_us INTEGER NOT NULL"
    ");"
    "CREATE UNIQUE INDEX collections_by_alias ON collections(alias) WHERE alias <> '';"
    "CREATE TABLE objects ("
    "  seq INTEGER PRIMARY KEY,"
    "  coll INTEGER NOT NULL REFERENCES collections(num),"
    "  id TEXT NOT NULL,"
    "  version_us INTEGER NOT NULL,"
    "  date_added_us INTEGER NOT NULL,"
    "  type TEXT NOT NULL,"
    "  spec_version TEXT NOT NULL,"
    "  version TEXT NOT NULL,"
    "  tlp INTEGER NOT NULL,"
    "  created_by_ref TEXT,"
    "  org TEXT NOT NULL,"
    "  json TEXT NOT NULL"
    ");"
    /* id first: one index with random keys serves the versions of an id in a collection,
     * the origin of an id across collections and match[id]; a second one would double
     * the pages each batch dirties. */
    "CREATE UNIQUE INDEX objects_by_version ON objects(id, coll, version_us);"
    "CREATE UNIQUE INDEX objects_by_added ON objects(coll, date_added_us);"
    /* match[type] paging; appended in date order, so cheap to keep. */
    "CREATE INDEX objects_by_type ON objects(coll, type, date_added_us);"
    /* The last date_added handed out; see docs/internals/store.md. */
    "CREATE TABLE clock ("
    "  one INTEGER PRIMARY KEY CHECK (one = 1),"
    "  last_us INTEGER NOT NULL"
    ");"
    "INSERT INTO clock VALUES (1, 0);"
    "CREATE TABLE statuses ("
    "  id TEXT PRIMARY KEY NOT NULL,"
    "  collection_id TEXT NOT NULL,"
    "  org TEXT NOT NULL,"
    "  request_us INTEGER NOT NULL"
    ");"
    "CREATE TABLE status_entries ("
    "  status_id TEXT NOT NULL REFERENCES statuses(id) ON DELETE CASCADE,"
    "  seq INTEGER NOT NULL,"
    "  object_id TEXT NOT NULL,"
    "  version TEXT NOT NULL,"
    "  kind INTEGER NOT NULL,"
    "  message TEXT NOT NULL,"
    "  PRIMARY KEY (status_id, seq)"
    ") WITHOUT ROWID;",
    /* 2: newer_tlp, the lowest TLP among the newer versions of the same id in the same
     * collection (99 when there is none). A row is the latest version that a reader
     * allowed up to TLP m sees exactly when tlp <= m < newer_tlp: a column test instead
     * of a lookup per row on every page (docs/internals/store.md). */
    "ALTER TABLE objects ADD COLUMN newer_tlp INTEGER NOT NULL DEFAULT 99;"
    "UPDATE objects SET newer_tlp = coalesce((SELECT min(v.tlp) FROM objects v"
    "  WHERE v.coll = objects.coll AND v.id = objects.id AND v.version_us > objects.version_us),"
    "  99);",
    /* 3: webhooks: subscriptions and the outbox of deliveries, which is also their log. */
    "CREATE TABLE webhooks ("
    "  id TEXT PRIMARY KEY NOT NULL,"
    "  org TEXT NOT NULL REFERENCES orgs(slug),"
    "  url TEXT NOT NULL,"
    "  events TEXT NOT NULL," /* space-separated */
    "  collection_id TEXT NOT NULL DEFAULT '',"
    "  national INTEGER NOT NULL DEFAULT 0,"
    "  role TEXT NOT NULL,"
    "  secret TEXT NOT NULL,"
    "  created_us INTEGER NOT NULL"
    ");"
    "CREATE INDEX webhooks_by_org ON webhooks(org);"
    "CREATE TABLE webhook_deliveries ("
    "  seq INTEGER PRIMARY KEY,"
    "  id TEXT NOT NULL UNIQUE,"
    "  webhook_id TEXT NOT NULL,"
    "  org TEXT NOT NULL,"
    "  url TEXT NOT NULL,"
    "  event TEXT NOT NULL,"
    "  subject TEXT NOT NULL,"
    "  data TEXT NOT NULL,"
    "  state INTEGER NOT NULL," /* 0 queued, 1 delivered, 2 dead */
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  created_us INTEGER NOT NULL,"
    "  next_us INTEGER NOT NULL,"
    "  delivered_us INTEGER NOT NULL DEFAULT 0,"
    "  last_status INTEGER NOT NULL DEFAULT 0,"
    "  last_error TEXT NOT NULL DEFAULT '',"
    "  attempt_log TEXT NOT NULL DEFAULT '[]'"
    ");"
    /* Only queued rows are in the due index, so it stays as small as the backlog. */
    "CREATE INDEX deliveries_due ON webhook_deliveries(next_us) WHERE state = 0;"
    "CREATE INDEX deliveries_by_webhook ON webhook_deliveries(webhook_id, seq);"
    "CREATE INDEX deliveries_by_subject ON webhook_deliveries(subject, seq);",
    /* 4: correlation: the members of each indicator's windows, alerts and their history. */
    "CREATE TABLE corr_members ("
    "  indicator TEXT NOT NULL,"
    "  win_us INTEGER NOT NULL,"
    "  bucket_us INTEGER NOT NULL,"
    "  org TEXT NOT NULL,"
    "  collection_id TEXT NOT NULL,"
    "  tlp INTEGER NOT NULL,"
    "  sector TEXT NOT NULL,"
    "  count INTEGER NOT NULL,"
    "  first_us INTEGER NOT NULL,"
    "  last_us INTEGER NOT NULL,"
    "  updated_us INTEGER NOT NULL,"
    "  PRIMARY KEY (indicator, win_us, bucket_us, org, collection_id, tlp)"
    ") WITHOUT ROWID;"
    "CREATE TABLE alerts ("
    "  id TEXT PRIMARY KEY NOT NULL,"
    "  rule TEXT NOT NULL,"
    "  severity TEXT NOT NULL,"
    "  indicator TEXT NOT NULL,"
    "  win_us INTEGER NOT NULL,"
    "  bucket_us INTEGER NOT NULL,"
    "  status TEXT NOT NULL,"
    "  assignee TEXT NOT NULL DEFAULT '',"
    "  reason TEXT NOT NULL DEFAULT '',"
    "  changed_by TEXT NOT NULL DEFAULT '',"
    "  changed_us INTEGER NOT NULL,"
    "  created_us INTEGER NOT NULL,"
    "  time_to_alert_us INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE INDEX alerts_by_created ON alerts(created_us, id);"
    "CREATE TABLE alert_history ("
    "  alert_id TEXT NOT NULL REFERENCES alerts(id),"
    "  seq INTEGER NOT NULL,"
    "  action TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  by TEXT NOT NULL,"
    "  assignee TEXT NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  at_us INTEGER NOT NULL,"
    "  PRIMARY KEY (alert_id, seq)"
    ") WITHOUT ROWID;",
    /* 5: incidents: the index of incident objects and the refs of their timelines. */
    "CREATE TABLE incidents ("
    "  id TEXT PRIMARY KEY NOT NULL,"
    "  collection_id TEXT NOT NULL,"
    "  org TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  severity TEXT NOT NULL,"
    "  created_us INTEGER NOT NULL,"
    "  modified_us INTEGER NOT NULL,"
    "  version_us INTEGER NOT NULL,"
    "  state TEXT NOT NULL"
    ");"
    "CREATE INDEX incidents_by_modified ON incidents(modified_us);"
    "CREATE TABLE incident_refs ("
    "  incident_id TEXT NOT NULL,"
    "  object_id TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  collection_id TEXT NOT NULL,"
    "  at_us INTEGER NOT NULL,"
    "  PRIMARY KEY (incident_id, object_id)"
    ") WITHOUT ROWID;",
    /* 6: correlation as an append-only log of sightings and alert rows in creation order
     * (docs/internals/correlate.md): a write appends short rows instead of updating rows
     * keyed by random ids; the windows and the alert-id map are kept in memory. Ids are
     * kept as their 16 uuid bytes (rows moved here keep their text). The members of the
     * shortest window length become log rows (for a default set-up, all of them). */
    "CREATE TABLE corr_log ("
    "  seq INTEGER PRIMARY KEY,"
    "  indicator NOT NULL,"
    "  org TEXT NOT NULL,"
    "  sector TEXT NOT NULL,"
    "  coll INTEGER NOT NULL,"
    "  tlp INTEGER NOT NULL,"
    "  count INTEGER NOT NULL,"
    "  first_us INTEGER NOT NULL,"
    "  last_us INTEGER NOT NULL,"
    "  at_us INTEGER NOT NULL"
    ");"
    "INSERT INTO corr_log (indicator, org, sector, coll, tlp, count, first_us, last_us, at_us)"
    "  SELECT m.indicator, m.org, m.sector, coalesce(c.num, 0), m.tlp, m.count, m.first_us,"
    "  m.last_us, m.updated_us FROM corr_members m LEFT JOIN collections c"
    "  ON c.id = m.collection_id WHERE m.win_us = (SELECT min(win_us) FROM corr_members)"
    "  ORDER BY m.updated_us;"
    "CREATE TABLE alert_rows ("
    "  seq INTEGER PRIMARY KEY,"
    "  id NOT NULL,"
    "  rule TEXT NOT NULL,"
    "  severity TEXT NOT NULL,"
    "  indicator NOT NULL,"
    "  win_us INTEGER NOT NULL,"
    "  bucket_us INTEGER NOT NULL,"
    "  status TEXT NOT NULL,"
    "  assignee TEXT NOT NULL DEFAULT '',"
    "  reason TEXT NOT NULL DEFAULT '',"
    "  changed_by TEXT NOT NULL DEFAULT '',"
    "  changed_us INTEGER NOT NULL,"
    "  created_us INTEGER NOT NULL,"
    "  time_to_alert_us INTEGER NOT NULL"
    ");"
    "INSERT INTO alert_rows (id, rule, severity, indicator, win_us, bucket_us, status, assignee,"
    "  reason, changed_by, changed_us, created_us, time_to_alert_us)"
    "  SELECT id, rule, severity, indicator, win_us, bucket_us, status, assignee, reason,"
    "  changed_by, changed_us, created_us, time_to_alert_us FROM alerts"
    "  ORDER BY created_us, id;"
    "CREATE TABLE alert_events ("
    "  alert_id TEXT NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  action TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  by TEXT NOT NULL,"
    "  assignee TEXT NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  at_us INTEGER NOT NULL,"
    "  PRIMARY KEY (alert_id, seq)"
    ") WITHOUT ROWID;"
    "INSERT INTO alert_events SELECT alert_id, seq, action, status, by, assignee, reason, at_us"
    "  FROM alert_history;"
    "DROP TABLE alert_history;"
    "DROP TABLE alerts;"
    "DROP TABLE corr_members;",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

static kz_err
read_int(struct kz_sqlite_conn *c, const char *sql, int *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
    kz_err err = KZ_OK;

    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int(st, 0);
    else
        err = kz_store__sqlite_fail(c, rc, sql);
    sqlite3_finalize(st);
    return err;
}

kz_err
kz_store__sqlite_migrate(struct kz_sqlite_conn *c, int *version)
{
    char sql[128];
    int current = 0;
    kz_err err;

    /* Up to date: nothing to write, no write lock taken. */
    err = read_int(c, "PRAGMA user_version", &current);
    if (err != KZ_OK)
        return err;
    if (current == N_MIGRATIONS) {
        *version = current;
        return KZ_OK;
    }
    err = kz_store__sqlite_exec(c, "BEGIN IMMEDIATE");
    if (err != KZ_OK)
        return err;
    err = kz_store__sqlite_exec(c, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                   "  version INTEGER PRIMARY KEY,"
                                   "  applied_us INTEGER NOT NULL)");
    if (err != KZ_OK)
        goto done;
    /* Another process may have migrated between the check and the lock. */
    err = read_int(c, "SELECT coalesce(max(version), 0) FROM schema_migrations", &current);
    if (err != KZ_OK)
        goto done;
    if (current > N_MIGRATIONS) {
        kz_log(KZ_LOG_ERROR, "database schema is newer than this program schema=%d known=%d",
               current, N_MIGRATIONS);
        err = KZ_ERR_STORE;
        goto done;
    }
    for (int v = current; v < N_MIGRATIONS; v++) {
        err = kz_store__sqlite_exec(c, migrations[v]);
        if (err != KZ_OK)
            goto done;
        snprintf(sql, sizeof(sql), "INSERT INTO schema_migrations VALUES (%d, %lld)", v + 1,
                 (long long)kz_time_now_us());
        err = kz_store__sqlite_exec(c, sql);
        if (err != KZ_OK)
            goto done;
        kz_log(KZ_LOG_INFO, "database migrated schema=%d", v + 1);
    }
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", N_MIGRATIONS);
    err = kz_store__sqlite_exec(c, sql);
    if (err != KZ_OK)
        goto done;
    err = kz_store__sqlite_exec(c, "COMMIT");
done:
    if (err != KZ_OK && !sqlite3_get_autocommit(c->db))
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    if (err == KZ_OK)
        *version = N_MIGRATIONS;
    return err;
}
