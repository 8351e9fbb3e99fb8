/*
 * The storage interface. Callers see only these types and functions; each backend
 * (sqlite now, postgres later) fills a struct kz_store_ops in src/store/<backend>*.c.
 * A struct kz_store is safe to use from several threads at once.
 */
#ifndef KZ_STORE_STORE_H
#define KZ_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/id.h"
#include "base/time.h"
#include "stix/stix.h"

#define KZ_SLUG_MAX 64      /* organisation slugs, sector names: [a-z0-9-], 1..63 bytes */
#define KZ_NAME_MAX 256     /* display names and titles */
#define KZ_TEXT_MAX 2048    /* descriptions */
#define KZ_KEY_ID_MAX 40    /* "kz_" and 24 hex digits */
#define KZ_ROLE_MAX 16
#define KZ_ORG_TYPE_MAX 32
#define KZ_ALIAS_MAX 80
#define KZ_PRINCIPALS_MAX 2048 /* space-separated principals */
#define KZ_REASON_MAX 512

struct kz_store;

struct kz_org {
    char slug[KZ_SLUG_MAX];
    char name[KZ_NAME_MAX];
    char type[KZ_ORG_TYPE_MAX]; /* government, cip, company, ... */
    char sector[KZ_SLUG_MAX];   /* "" when none */
    char country[3];            /* ISO 3166-1 alpha-2, "" when none */
    char identity_id[KZ_STIX_ID_MAX];
    int64_t created_us;
};

struct kz_key {
    char id[KZ_KEY_ID_MAX];
    char org[KZ_SLUG_MAX];
    char role[KZ_ROLE_MAX];  /* admin, gsoc, member, sensor */
    unsigned char hash[32];  /* BLAKE2b-256 of the token; the token itself is never stored */
    int64_t created_us;
    int64_t revoked_us;      /* 0 while the key is valid */
};

struct kz_collection {
    char id[KZ_UUID_TEXT_LEN + 1];
    char alias[KZ_ALIAS_MAX];
    char title[KZ_NAME_MAX];
    char description[KZ_TEXT_MAX];
    char readers[KZ_PRINCIPALS_MAX]; /* e.g. "org:acme role:gsoc" */
    char writers[KZ_PRINCIPALS_MAX];
    enum kz_tlp max_tlp;
    int64_t created_us;
};

/* One validated object to store. All pointers are borrowed for the call. */
struct kz_object_in {
    const char *id;
    const char *type;
    const char *spec_version;
    const char *created_by_ref; /* may be NULL */
    const char *version;        /* may be NULL (then the version is the date_added) */
    int64_t version_us;
    enum kz_tlp tlp;
    const char *json; /* the object's bytes, returned unchanged on reads */
    size_t json_len;
};

/* What the store knows of an id before a write, for the re-sharing rule. */
struct kz_object_origin {
    bool known;                     /* stored before in any collection */
    bool in_other_collection;       /* present in a collection other than the target */
    char first_org[KZ_SLUG_MAX];    /* organisation that first submitted it */
};

/*
 * Called for each object inside the write transaction. Return KZ_OK to store it, or an
 * error with a reason in why to refuse this object only.
 */
typedef kz_err (*kz_store_check_fn)(void *ctx, const struct kz_object_in *obj,
                                    const struct kz_object_origin *origin, char *why,
                                    size_t whylen);

enum kz_put_outcome {
    KZ_PUT_ADDED = 0,    /* a new version in this collection */
    KZ_PUT_DUPLICATE = 1, /* the same id and version was already there: success, unchanged */
    KZ_PUT_REFUSED = 2,  /* the check refused it; reason says why */
};

struct kz_put_result {
    enum kz_put_outcome outcome;
    int64_t date_added_us; /* for ADDED and DUPLICATE */
    char reason[KZ_REASON_MAX];
};

enum kz_version_match {
    KZ_VERSION_LAST = 0, /* default */
    KZ_VERSION_FIRST,
    KZ_VERSION_ALL,
    KZ_VERSION_LIST, /* the timestamps in versions[] */
};

struct kz_object_query {
    const char *collection_id;
    int64_t added_after_us;    /* -1: no filter */
    size_t limit;              /* rows per page, >= 1 */
    const char *const *ids;    /* match[id]; n_ids == 0: any */
    size_t n_ids;
    const char *const *types;  /* match[type] */
    size_t n_types;
    const char *const *spec_versions; /* match[spec_version]; none: any */
    size_t n_spec_versions;
    enum kz_version_match version_match; /* match[version] */
    const int64_t *versions;   /* for KZ_VERSION_LIST */
    size_t n_versions;
    enum kz_tlp max_tlp;       /* rows above this TLP are invisible to the caller */
    bool with_json;            /* false for manifests */
};

struct kz_object_row {
    char id[KZ_STIX_ID_MAX];
    char type[KZ_STIX_ID_MAX];
    char spec_version[16];
    char version[KZ_TIME_TEXT_MAX]; /* text; the date_added text when the object has none */
    int64_t version_us;
    int64_t date_added_us;
    enum kz_tlp tlp;
    char *json; /* NUL-terminated, in the page's storage; NULL unless with_json */
    size_t json_len;
};

struct kz_object_page {
    struct kz_object_row *rows; /* owned; release with kz_object_page_release */
    char *json;                 /* owned: the bytes of every row's json, one after another */
    size_t n;
    bool more; /* more rows match past this page */
};

enum kz_status_kind {
    KZ_STATUS_SUCCESS = 0,
    KZ_STATUS_FAILURE = 1,
    KZ_STATUS_PENDING = 2,
};

struct kz_status_entry {
    char id[KZ_STIX_ID_MAX]; /* "" when the object had no usable id */
    char version[64];
    enum kz_status_kind kind;
    char message[KZ_REASON_MAX];
};

struct kz_status {
    char id[KZ_UUID_TEXT_LEN + 1];
    char collection_id[KZ_UUID_TEXT_LEN + 1];
    char org[KZ_SLUG_MAX]; /* who posted the envelope; only they may read the status */
    int64_t request_us;
    struct kz_status_entry *entries; /* owned; release with kz_status_release */
    size_t n;
};

/* ---- opening ---- */

/* Opens "sqlite:PATH" (creating the file), applies pending migrations. */
kz_err kz_store_open(const char *url, struct kz_store **out);
void kz_store_close(struct kz_store *s);
/* The schema version after migration. */
int kz_store_schema_version(struct kz_store *s);
/* Checks the database's own consistency (PRAGMA integrity_check for sqlite). */
kz_err kz_store_integrity_check(struct kz_store *s, char *why, size_t whylen);

/* ---- sectors, organisations, keys, collections ---- */

kz_err kz_store_sector_add(struct kz_store *s, const char *name); /* CONFLICT if present */
bool kz_store_sector_exists(struct kz_store *s, const char *name);
/* Calls fn for each sector in name order. */
kz_err kz_store_sector_list(struct kz_store *s, void (*fn)(void *ctx, const char *name), void *ctx);

kz_err kz_store_org_add(struct kz_store *s, const struct kz_org *org); /* CONFLICT if present */
kz_err kz_store_org_get(struct kz_store *s, const char *slug, struct kz_org *out);
kz_err kz_store_org_list(struct kz_store *s, void (*fn)(void *ctx, const struct kz_org *org),
                         void *ctx);
/* The organisation whose STIX identity is identity_id; KZ_ERR_NOTFOUND otherwise. */
kz_err kz_store_org_by_identity(struct kz_store *s, const char *identity_id, struct kz_org *out);

kz_err kz_store_key_add(struct kz_store *s, const struct kz_key *key);
kz_err kz_store_key_get(struct kz_store *s, const char *id, struct kz_key *out);
kz_err kz_store_key_list(struct kz_store *s, void (*fn)(void *ctx, const struct kz_key *key),
                         void *ctx);
/* Marks a key revoked at now; NOTFOUND for an unknown id. */
kz_err kz_store_key_revoke(struct kz_store *s, const char *id, int64_t now_us);

kz_err kz_store_collection_add(struct kz_store *s, const struct kz_collection *c);
/* Looks a collection up by its UUID or by its alias. */
kz_err kz_store_collection_get(struct kz_store *s, const char *id_or_alias,
                               struct kz_collection *out);
kz_err kz_store_collection_list(struct kz_store *s,
                                void (*fn)(void *ctx, const struct kz_collection *c), void *ctx);

/* ---- objects ---- */

/*
 * Stores objects into a collection in one durable transaction: each object is passed to
 * check (with what the store knows of its id), then added, found a duplicate, or refused.
 * results[i] describes objs[i]. date_added values are unique across the store and
 * increase with every write, so that added_after paging never skips or repeats. Returns
 * an error only when the transaction as a whole failed (then nothing was stored).
 */
kz_err kz_store_objects_put(struct kz_store *s, const char *collection_id, const char *org,
                            const struct kz_object_in *objs, size_t n, kz_store_check_fn check,
                            void *check_ctx, struct kz_put_result *results);

/* One page of objects (or manifest rows) of a collection, ordered by date_added. */
kz_err kz_store_objects_query(struct kz_store *s, const struct kz_object_query *q,
                              struct kz_object_page *out);
void kz_object_page_release(struct kz_object_page *page);

/*
 * Deletes the versions of an object in a collection that q selects (ids[0] is the object;
 * version_match and versions as in queries; max_tlp ignored). *deleted receives the count;
 * KZ_ERR_NOTFOUND when nothing matched.
 */
kz_err kz_store_objects_delete(struct kz_store *s, const struct kz_object_query *q,
                               size_t *deleted);

/* Number of object versions in a collection. */
kz_err kz_store_objects_count(struct kz_store *s, const char *collection_id, uint64_t *out);

/* ---- read snapshots ----
 *
 * Between kz_store_read_begin and kz_store_read_end, every read of the calling thread on
 * this store sees one snapshot and shares one connection and one transaction (a request
 * that authenticates, finds its collection and reads a page pays for one, not three).
 * Writes are refused until the end (KZ_ERR_STORE). Calls nest.
 */
kz_err kz_store_read_begin(struct kz_store *s);
void kz_store_read_end(struct kz_store *s);

/* ---- write transactions ----
 *
 * The components that write beside objects (correlation, notifications, incidents) do so
 * in the same transaction as the objects, so that a crash keeps all or none of a request.
 * Inside fn use only functions that take the struct kz_store_tx: a function that takes the
 * struct kz_store would wait for the write lock that fn holds.
 */
struct kz_store_tx; /* valid only during the callback */
typedef kz_err (*kz_store_tx_fn)(void *ctx, struct kz_store_tx *tx);

/* Runs fn in one durable write transaction: committed when fn returns KZ_OK, rolled back
 * (and fn's error returned) otherwise. */
kz_err kz_store_transaction(struct kz_store *s, kz_store_tx_fn fn, void *ctx);

/* kz_store_objects_put inside a transaction; results[] hold only if it commits. */
kz_err kz_store_tx_objects_put(struct kz_store_tx *tx, const char *collection_id,
                               const char *org, const struct kz_object_in *objs, size_t n,
                               kz_store_check_fn check, void *check_ctx,
                               struct kz_put_result *results);

/* ---- status resources ---- */

kz_err kz_store_status_put(struct kz_store *s, const struct kz_status *st);
kz_err kz_store_tx_status_put(struct kz_store_tx *tx, const struct kz_status *st);
kz_err kz_store_status_get(struct kz_store *s, const char *id, struct kz_status *out);
void kz_status_release(struct kz_status *st);

/* ---- incidents index ----
 *
 * One row per incident object (src/incident): where it lives, who reported it, its
 * status and severity, and its state as JSON; refs tie notes, links and published
 * reports to an incident for its timeline.
 */
struct kz_incident_row {
    char id[KZ_STIX_ID_MAX];
    char collection_id[KZ_UUID_TEXT_LEN + 1];
    char org[KZ_SLUG_MAX]; /* the reporting organisation */
    char status[16];
    char severity[16];
    int64_t created_us;
    int64_t modified_us;
    int64_t version_us; /* the newest object version folded into the state */
    char *state;        /* owned JSON text; release with kz_incident_row_release */
};

struct kz_incident_filter {
    const char *status;   /* NULL: any */
    const char *severity; /* NULL: any */
    const char *org;      /* reporting organisation; NULL: any */
    int64_t after_modified_us; /* cursor: after (modified, id) in the list's order, newest */
    const char *after_id;      /* change first; after_id NULL: from the top */
    size_t limit;              /* >= 1 */
};

struct kz_incident_ref {
    char incident_id[KZ_STIX_ID_MAX];
    char object_id[KZ_STIX_ID_MAX];
    char kind[16];        /* note, link, report */
    char collection_id[KZ_UUID_TEXT_LEN + 1];
    int64_t at_us;
};

void kz_incident_row_release(struct kz_incident_row *row);
/* Inserts or replaces the row of row->id. */
kz_err kz_store_tx_incident_put(struct kz_store_tx *tx, const struct kz_incident_row *row);
/* NOTFOUND when the id is not an indexed incident. */
kz_err kz_store_tx_incident_get(struct kz_store_tx *tx, const char *id, struct kz_incident_row *out);
kz_err kz_store_incident_get(struct kz_store *s, const char *id, struct kz_incident_row *out);
/* Calls fn for each matching row, newest modified first; *more tells whether rows remain. */
kz_err kz_store_incident_list(struct kz_store *s, const struct kz_incident_filter *f,
                              void (*fn)(void *ctx, const struct kz_incident_row *row), void *ctx,
                              bool *more);
/* Adds a ref (a repeat of incident and object is ignored). */
kz_err kz_store_tx_incident_ref_put(struct kz_store_tx *tx, const struct kz_incident_ref *ref);
/* Calls fn for each ref of an incident in time order. */
kz_err kz_store_incident_refs(struct kz_store *s, const char *incident_id,
                              void (*fn)(void *ctx, const struct kz_incident_ref *ref), void *ctx);

/* ---- webhook subscriptions and their delivery outbox ---- */

#define KZ_WEBHOOK_URL_MAX 2048
#define KZ_WEBHOOK_EVENTS_MAX 256 /* space-separated event types */
#define KZ_WEBHOOK_SECRET_MAX 80
#define KZ_EVENT_MAX 32

struct kz_webhook {
    char id[KZ_UUID_TEXT_LEN + 1];
    char org[KZ_SLUG_MAX];
    char url[KZ_WEBHOOK_URL_MAX];
    char events[KZ_WEBHOOK_EVENTS_MAX];
    char collection_id[KZ_UUID_TEXT_LEN + 1]; /* "" when none (object.added needs one) */
    bool national;                            /* a national-level contact */
    char role[KZ_ROLE_MAX];                   /* role of the key that subscribed */
    char secret[KZ_WEBHOOK_SECRET_MAX];       /* signs the deliveries; kept to sign */
    int64_t created_us;
};

enum kz_delivery_state {
    KZ_DELIVERY_QUEUED = 0,
    KZ_DELIVERY_DELIVERED = 1,
    KZ_DELIVERY_DEAD = 2,
};

/* One notification to one subscription: a row of the outbox and of the delivery log. */
struct kz_delivery {
    char id[KZ_UUID_TEXT_LEN + 1];
    char subscription_id[KZ_UUID_TEXT_LEN + 1];
    char org[KZ_SLUG_MAX];
    char url[KZ_WEBHOOK_URL_MAX];
    char event[KZ_EVENT_MAX];
    char subject[KZ_STIX_ID_MAX];
    enum kz_delivery_state state;
    unsigned attempts;
    int64_t created_us;
    int64_t next_us;      /* when the next attempt is due (queued) */
    int64_t delivered_us; /* 0 until delivered */
    int last_status;      /* HTTP status of the last attempt, 0 when none or no answer */
    char last_error[KZ_REASON_MAX];
};

/* What a delivery callback sees beside the row; all borrowed for the call. */
struct kz_delivery_extra {
    const char *data_json;   /* the event's data */
    const char *attempt_log; /* JSON array of {"at", "status", "error"}, one per attempt */
    const char *secret;      /* only from kz_store_deliveries_due */
};

typedef void (*kz_delivery_fn)(void *ctx, const struct kz_delivery *d,
                               const struct kz_delivery_extra *x);

kz_err kz_store_webhook_add(struct kz_store *s, const struct kz_webhook *w);
kz_err kz_store_webhook_get(struct kz_store *s, const char *id, struct kz_webhook *out);
/* Subscriptions of org (all when org is NULL), oldest first. */
kz_err kz_store_webhook_list(struct kz_store *s, const char *org,
                             void (*fn)(void *ctx, const struct kz_webhook *w), void *ctx);
/* Removes a subscription; its queued deliveries become dead ("subscription removed"). */
kz_err kz_store_webhook_delete(struct kz_store *s, const char *id, int64_t now_us);

/*
 * Inside a write: the subscriptions whose events include event (and whose collection is
 * collection_id, when not NULL), with their organisation (for the sharing rules).
 */
kz_err kz_store_tx_webhooks_for(struct kz_store_tx *tx, const char *event,
                                const char *collection_id,
                                void (*fn)(void *ctx, const struct kz_webhook *w,
                                           const struct kz_org *org),
                                void *ctx);
/* Queues a delivery (state queued, attempts 0) in the caller's transaction. */
kz_err kz_store_tx_delivery_add(struct kz_store_tx *tx, const struct kz_delivery *d,
                                const char *data_json);

struct kz_delivery_query {
    const char *subscription_id; /* one of these two */
    const char *subject;
    bool newest_first;
    size_t limit; /* 0: no limit */
};
kz_err kz_store_deliveries_list(struct kz_store *s, const struct kz_delivery_query *q,
                                kz_delivery_fn fn, void *ctx);
/*
 * Queued deliveries due at now_us, earliest first, with their subscription's secret: at
 * most limit rows, and at most per_subscription of one subscription (0: no cap).
 */
kz_err kz_store_deliveries_due(struct kz_store *s, int64_t now_us, size_t limit,
                               size_t per_subscription, kz_delivery_fn fn, void *ctx);

/* The outcome of one attempt: appended to the attempt log, state and counters set. */
struct kz_delivery_attempt {
    const char *id;
    enum kz_delivery_state state; /* after the attempt */
    int64_t at_us;
    int64_t next_us;   /* for queued */
    int status;        /* HTTP status, 0 when none */
    const char *error; /* "" on success */
};
/* Records n attempts in one transaction; a delivery no longer queued (its subscription was
 * removed) is skipped. *applied (may be NULL) receives how many were recorded. */
kz_err kz_store_delivery_attempts(struct kz_store *s, const struct kz_delivery_attempt *a,
                                  size_t n, size_t *applied);
/* Queues a dead delivery of a subscription again (attempts from 0, its log kept):
 * KZ_ERR_NOTFOUND when the subscription has no such delivery, KZ_ERR_CONFLICT when it is
 * not dead. */
kz_err kz_store_delivery_requeue(struct kz_store *s, const char *subscription_id,
                                 const char *id, int64_t now_us);
/* Deletes up to limit delivered or dead deliveries created before before_us (never queued
 * ones); *deleted (may be NULL) receives the count. */
kz_err kz_store_deliveries_prune(struct kz_store *s, int64_t before_us, size_t limit,
                                 size_t *deleted);
/* ---- correlation state and alerts ----
 *
 * Every correlated sighting is appended to a log; per indicator and time window, the
 * sightings are folded into one "member" per organisation, collection and TLP. An alert
 * names a rule and a window; its organisations, sectors, count and first/last seen are
 * those of the window's members (docs/internals/correlate.md).
 */
#define KZ_ALERT_STATUS_MAX 16
#define KZ_ALERT_RULE_MAX 32
#define KZ_ALERT_BY_MAX (KZ_KEY_ID_MAX + KZ_SLUG_MAX + 2)

/* One sighting for correlation; all pointers borrowed for the call. */
struct kz_corr_sighting {
    const char *indicator;
    const char *org, *sector, *collection_id; /* sector "" when none */
    enum kz_tlp tlp;
    uint64_t count;
    int64_t first_us, last_us; /* event time; last_us places it in its windows */
    int64_t now_us;            /* arrival */
};

struct kz_corr_member {
    char org[KZ_SLUG_MAX];
    char sector[KZ_SLUG_MAX];
    char collection_id[KZ_UUID_TEXT_LEN + 1];
    enum kz_tlp tlp;
    uint64_t count;
    int64_t first_us, last_us, updated_us;
};
typedef void (*kz_corr_member_fn)(void *ctx, const struct kz_corr_member *m);

/* The start of the window of length window_us (> 0) that holds t_us: windows tumble,
 * aligned to the Unix epoch. */
int64_t kz_store_corr_bucket(int64_t t_us, int64_t window_us);

struct kz_alert {
    char id[KZ_STIX_ID_MAX];
    char rule[KZ_ALERT_RULE_MAX];
    char severity[16];
    char indicator[KZ_STIX_ID_MAX];
    int64_t window_us, bucket_us;
    char status[KZ_ALERT_STATUS_MAX]; /* open, acknowledged, assigned, dismissed, resolved */
    char assignee[KZ_NAME_MAX];
    char reason[KZ_REASON_MAX];
    char changed_by[KZ_ALERT_BY_MAX]; /* "org/key" of the last status change */
    int64_t changed_us;
    int64_t created_us;
    int64_t time_to_alert_us; /* created_us - first sighting's time, at creation */
    int64_t seq;              /* the store's order of creation; the list cursor */
    /* From the window's members (reads only). */
    uint64_t count;
    int64_t first_seen_us, last_seen_us, updated_us;
};

/* One entry of an alert's history: its creation and each status change. */
struct kz_alert_event {
    char alert_id[KZ_STIX_ID_MAX];
    char action[KZ_ALERT_STATUS_MAX]; /* created, acknowledge, assign, dismiss, reopen, resolve */
    char status[KZ_ALERT_STATUS_MAX]; /* the status after it */
    char by[KZ_ALERT_BY_MAX];
    char assignee[KZ_NAME_MAX];
    char reason[KZ_REASON_MAX];
    int64_t at_us;
};

struct kz_alert_query {
    const char *status, *rule, *sector; /* NULL: any */
    const char *member_org;             /* only alerts this organisation sighted; NULL: all */
    int64_t since_us;                   /* updated at or after; -1: any */
    int64_t after_seq;                  /* cursor: older than this seq; 0: from the newest */
    size_t limit;
};

/* Loads the correlation windows of these lengths now (a server at start) rather than at
 * their first use, which would be inside a write; *rows (may be NULL) receives the number
 * of correlated sightings they hold. */
kz_err kz_store_corr_load(struct kz_store *s, const int64_t *window_us, size_t n, uint64_t *rows);
/* Appends a sighting to the correlation log: every window that holds its last_us
 * counts it from now on (counts summed, first/last widened). */
kz_err kz_store_tx_corr_add(struct kz_store_tx *tx, const struct kz_corr_sighting *sg);
/* The members of a window, inside a transaction (its own sightings included), ordered by
 * organisation, collection and TLP. */
kz_err kz_store_tx_corr_members(struct kz_store_tx *tx, const char *indicator, int64_t window_us,
                                int64_t bucket_us, kz_corr_member_fn fn, void *ctx);
/* Creates the alert unless its id exists; *created tells which. */
kz_err kz_store_tx_alert_open(struct kz_store_tx *tx, const struct kz_alert *a, bool *created);
kz_err kz_store_tx_alert_get(struct kz_store_tx *tx, const char *id, struct kz_alert *out);
/* Sets status, assignee, reason, changed_by/us from ev and appends ev to the history. */
kz_err kz_store_tx_alert_change(struct kz_store_tx *tx, const struct kz_alert_event *ev);
kz_err kz_store_tx_alert_history_add(struct kz_store_tx *tx, const struct kz_alert_event *ev);

kz_err kz_store_alert_get(struct kz_store *s, const char *id, struct kz_alert *out);
/* Alerts newest first; *more tells whether more match past the page. */
kz_err kz_store_alert_list(struct kz_store *s, const struct kz_alert_query *q,
                           void (*fn)(void *ctx, const struct kz_alert *a), void *ctx,
                           bool *more);
kz_err kz_store_alert_members(struct kz_store *s, const struct kz_alert *a, kz_corr_member_fn fn,
                              void *ctx);
kz_err kz_store_alert_history(struct kz_store *s, const char *id,
                              void (*fn)(void *ctx, const struct kz_alert_event *ev), void *ctx);

#endif
