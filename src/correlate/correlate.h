/*
 * Correlation: sightings that reach the hub become alerts. The rules and their thresholds
 * come from a rules file the operator edits (docs/gsoc.md); the write hook runs inside the
 * transaction of every accepted TAXII write and keeps one alert per rule, indicator and
 * window, updated as sightings arrive.
 */
#ifndef KZ_CORRELATE_CORRELATE_H
#define KZ_CORRELATE_CORRELATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "store/store.h"

#define KZ_RULES_MAX_BYTES (8u << 20)   /* a rules file larger than this is refused */
#define KZ_RULES_MAX_SECTORS 64         /* sectors named as critical infrastructure */
#define KZ_RULES_MAX_WATCH 100000       /* watch-list entries */

enum kz_rule_kind {
    KZ_RULE_MULTI_ORG = 0,
    KZ_RULE_MULTI_SECTOR,
    KZ_RULE_CRITICAL_INFRA,
    KZ_RULE_BURST,
    KZ_RULE_WATCHLIST,
    KZ_RULE_COUNT,
};

enum kz_severity {
    KZ_SEVERITY_LOW = 0,
    KZ_SEVERITY_MEDIUM,
    KZ_SEVERITY_HIGH,
    KZ_SEVERITY_CRITICAL,
};

struct kz_rule {
    bool enabled;
    uint64_t threshold;  /* min_orgs, min_sectors or min_count; unused by the others */
    int64_t window_us;   /* tumbling windows aligned to the Unix epoch */
    enum kz_severity severity;
};

struct kz_rules {
    struct kz_rule rule[KZ_RULE_COUNT];
    char ci_sectors[KZ_RULES_MAX_SECTORS][KZ_SLUG_MAX];
    size_t n_ci;
    char **watch; /* owned, sorted indicator ids */
    size_t n_watch;
    char centre[KZ_SLUG_MAX]; /* receives every alert notification; default "gsoc" */
};

const char *kz_rule_name(enum kz_rule_kind k);
kz_err kz_rule_parse_name(const char *name, enum kz_rule_kind *out);
const char *kz_severity_name(enum kz_severity s);

/* The built-in rules (no file): see docs/gsoc.md "Rules". */
void kz_rules_defaults(struct kz_rules *r);
void kz_rules_release(struct kz_rules *r);

/*
 * Parses rules text over the defaults. On error why holds "line N: reason" and r holds
 * the defaults only (released and re-initialised).
 */
kz_err kz_rules_parse(struct kz_rules *r, const char *text, size_t len, char *why, size_t whylen);

/* Reads and parses a file; why is "PATH:N: reason" (or why it cannot be read). */
kz_err kz_rules_load(struct kz_rules *r, const char *path, char *why, size_t whylen);

bool kz_rules_is_ci(const struct kz_rules *r, const char *sector);
bool kz_rules_watched(const struct kz_rules *r, const char *indicator_id);

/* What correlation knows of one indicator in one window when a sighting arrives. */
struct kz_corr_window {
    size_t n_orgs;
    size_t n_sectors;
    uint64_t count; /* sum of the sightings' count */
    bool ci;        /* an organisation of a critical-infrastructure sector sighted it */
    bool watched;   /* the indicator is on the watch list */
};

/* Does rule k fire on this window (given its own window length)? Pure logic. */
bool kz_rules_fire(const struct kz_rules *r, enum kz_rule_kind k, const struct kz_corr_window *w);


/* alert--<uuid>: the same for the same rule, indicator, window length and start. */
void kz_corr_alert_id(enum kz_rule_kind k, const char *indicator, int64_t window_us,
                      int64_t bucket_us, char out[KZ_STIX_ID_MAX]);

struct kz_hub;
struct kz_store_tx;
struct kz_write_event;

/* Loads the windows of the enabled rules' lengths from the store (at a server's start);
 * logs how many sightings and how long it took. */
kz_err kz_correlate_load(struct kz_store *s, const struct kz_rules *r);

/* The write hook: every ADDED sighting of an indicator feeds correlation. */
kz_err kz_correlate_hook(struct kz_hub *hub, struct kz_store_tx *tx,
                         const struct kz_write_event *ev);

/* ---- alerts: views and status changes, shared by the JSON API and the command line ---- */

#include <jansson.h>

struct kz_caller;

/*
 * The JSON form of an alert for a viewer: NULL, admin or gsoc see everything; any other
 * caller sees only alerts its organisation sighted (else *visible is false and *out NULL),
 * and other organisations by name only where it may read one of their sightings of the
 * indicator (collection readers and the sighting's TLP), else as "sector:<name>".
 * with_history adds the "history" array.
 */
kz_err kz_alert_json(struct kz_store *s, const struct kz_alert *a, const struct kz_caller *viewer,
                     bool with_history, bool *visible, json_t **out);

/*
 * Records a status change of alert a (ev: the change, history included) and queues
 * alert.updated for the window's organisations and the centre (NULL: "gsoc").
 */
kz_err kz_alert_tx_change(struct kz_store_tx *tx, const struct kz_alert *a,
                          const struct kz_alert_event *ev, const char *centre);

/*
 * Applies an action (acknowledge, assign, dismiss, reopen, resolve) in one transaction.
 * KZ_ERR_INVALID: unknown action, assign without assignee, dismiss without reason;
 * KZ_ERR_CONFLICT: the life cycle forbids it from the current status; KZ_ERR_NOTFOUND.
 * why says which. by names who acts ("org/key"). In the same transaction, alert.updated is
 * queued for the alert's organisations and centre (NULL: "gsoc").
 */
kz_err kz_alert_act(struct kz_store *s, const char *id, const char *action, const char *assignee,
                    const char *reason, const char *by, const char *centre, char *why,
                    size_t whylen);

#endif
