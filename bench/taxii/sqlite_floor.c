/*
 * bench/taxii write ceiling: a bare C loop that inserts the rows the hub would store for
 * the same envelopes into a fresh SQLite file, with the hub's schema for objects (same
 * columns, same indexes), the same pragmas (WAL, synchronous=FULL) and one transaction
 * per envelope of 1,000 objects. Parsing and serialising are done before the clock runs;
 * only BEGIN, the inserts and COMMIT are timed.
 *
 *   sqlite_floor DB-PATH < envelopes.jsonl      prints "rows N seconds S rows_per_s R"
 *
 * Built by bench/taxii/run.sh: cc -O2 -o sqlite_floor sqlite_floor.c -lsqlite3 -ljansson
 */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Mirrors migrations 1 and 2 of src/store/sqlite_schema.c for the tables an insert touches,
 * and the pragmas of src/store/sqlite.c. */
static const char schema[] =
    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
    "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;"
    "CREATE TABLE collections ("
    "  num INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, alias TEXT NOT NULL,"
    "  title TEXT NOT NULL, description TEXT NOT NULL, readers TEXT NOT NULL,"
    "  writers TEXT NOT NULL, max_tlp INTEGER NOT NULL, created_us INTEGER NOT NULL);"
    "INSERT INTO collections VALUES (1, '6b1c9f5e-0b1e-4f57-9a34-4c1c9b0e8d21', 'community',"
    "  'Community', '', 'member', 'member', 2, 0);"
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
    "  json TEXT NOT NULL,"
    "  newer_tlp INTEGER NOT NULL DEFAULT 99);"
    "CREATE UNIQUE INDEX objects_by_version ON objects(id, coll, version_us);"
    "CREATE UNIQUE INDEX objects_by_added ON objects(coll, date_added_us);"
    "CREATE INDEX objects_by_type ON objects(coll, type, date_added_us);";

static const char insert_sql[] =
    "INSERT INTO objects (coll, id, version_us, date_added_us, type, spec_version, version,"
    " tlp, created_by_ref, org, json) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, 'bench', ?8)";

struct row {
    const char *id, *type, *spec_version, *version, *created_by_ref;
    int64_t version_us;
    char *json;
};

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t
now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* "YYYY-MM-DDTHH:MM:SS[.fff]Z" to microseconds since the epoch (UTC). */
static int64_t
parse_us(const char *s)
{
    int y, mo, d, h, mi, sec, n = 0;
    int64_t frac = 0, scale = 100000, days;

    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6)
        return 0;
    if (s[n] == '.')
        for (const char *p = s + n + 1; *p >= '0' && *p <= '9'; p++, scale /= 10)
            frac += (*p - '0') * scale;
    /* days from civil (Howard Hinnant) */
    y -= mo <= 2;
    {
        int64_t era = (y >= 0 ? y : y - 399) / 400;
        int64_t yoe = y - era * 400;
        int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        days = era * 146097 + doe - 719468;
    }
    return ((days * 86400 + h * 3600 + mi * 60 + sec) * 1000000) + frac;
}

static const char *
str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static int
check(sqlite3 *db, int rc, const char *what)
{
    if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW)
        return 0;
    fprintf(stderr, "sqlite_floor: %s: %s\n", what, sqlite3_errmsg(db));
    exit(1);
}

int
main(int argc, char **argv)
{
    sqlite3 *db;
    sqlite3_stmt *ins;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    struct row *rows = NULL;
    size_t rows_cap = 0, total = 0;
    double timed = 0;
    int64_t clock_us = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: sqlite_floor DB-PATH < envelopes.jsonl\n");
        return 2;
    }
    check(NULL, sqlite3_open(argv[1], &db), "open");
    check(db, sqlite3_exec(db, schema, NULL, NULL, NULL), "schema");
    check(db, sqlite3_prepare_v3(db, insert_sql, -1, SQLITE_PREPARE_PERSISTENT, &ins, NULL),
          "prepare");

    while ((len = getline(&line, &cap, stdin)) > 0) {
        json_error_t jerr;
        json_t *env = json_loadb(line, (size_t)len, 0, &jerr), *objs, *o;
        size_t n, i;
        double t0;

        if (!env || !json_is_array(objs = json_object_get(env, "objects"))) {
            fprintf(stderr, "sqlite_floor: bad envelope: %s\n", jerr.text);
            return 1;
        }
        /* Untimed: what the hub does before its transaction (parse, serialise). */
        n = json_array_size(objs);
        if (n > rows_cap) {
            rows_cap = n;
            rows = realloc(rows, rows_cap * sizeof(*rows));
            if (!rows)
                return 1;
        }
        json_array_foreach(objs, i, o) {
            rows[i].id = str(o, "id");
            rows[i].type = str(o, "type");
            rows[i].spec_version = str(o, "spec_version");
            rows[i].version = str(o, "modified");
            rows[i].created_by_ref = str(o, "created_by_ref");
            rows[i].version_us = parse_us(rows[i].version);
            rows[i].json = json_dumps(o, JSON_COMPACT);
        }

        /* Timed: one durable transaction of n inserts. */
        t0 = now_s();
        check(db, sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), "begin");
        {
            int64_t t = now_us();
            clock_us = t > clock_us ? t : clock_us + 1;
        }
        for (i = 0; i < n; i++) {
            sqlite3_bind_text(ins, 1, rows[i].id, -1, SQLITE_STATIC);
            sqlite3_bind_int64(ins, 2, rows[i].version_us);
            sqlite3_bind_int64(ins, 3, clock_us++);
            sqlite3_bind_text(ins, 4, rows[i].type, -1, SQLITE_STATIC);
            sqlite3_bind_text(ins, 5, rows[i].spec_version, -1, SQLITE_STATIC);
            sqlite3_bind_text(ins, 6, rows[i].version, -1, SQLITE_STATIC);
            if (rows[i].created_by_ref)
                sqlite3_bind_text(ins, 7, rows[i].created_by_ref, -1, SQLITE_STATIC);
            else
                sqlite3_bind_null(ins, 7);
            sqlite3_bind_text(ins, 8, rows[i].json, -1, SQLITE_STATIC);
            check(db, sqlite3_step(ins), "insert");
            sqlite3_reset(ins);
        }
        check(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), "commit");
        timed += now_s() - t0;
        total += n;

        for (i = 0; i < n; i++)
            free(rows[i].json);
        json_decref(env);
    }
    sqlite3_finalize(ins);
    sqlite3_close(db);
    free(rows);
    free(line);
    printf("rows %zu seconds %.3f rows_per_s %.0f\n", total, timed,
           timed > 0 ? (double)total / timed : 0.0);
    return 0;
}
