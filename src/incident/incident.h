/*
 * Incidents for CSIRT / CYMAT response: the life cycle (which status may follow which),
 * the kizuna extension that incident objects carry, and the state that the incidents
 * index keeps for each incident. Pure logic and JSON; storage goes through src/store.
 */
#ifndef KZ_INCIDENT_INCIDENT_H
#define KZ_INCIDENT_INCIDENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "policy/policy.h"
#include "store/store.h"

/* The fixed id of the kizuna incident extension-definition (docs/gsoc.md, "Incidents"). */
#define KZ_INCIDENT_EXT_ID "extension-definition--6f1e2b5c-3a4d-4e8f-9b71-2c0d5a9e4b13"

enum kz_incident_status {
    KZ_INC_REPORTED = 0,
    KZ_INC_TRIAGE,
    KZ_INC_INVESTIGATING,
    KZ_INC_CONTAINED,
    KZ_INC_RECOVERED,
    KZ_INC_CLOSED,
};
#define KZ_INC_STATUS_COUNT 6

enum kz_incident_severity {
    KZ_SEV_LOW = 0,
    KZ_SEV_MEDIUM,
    KZ_SEV_HIGH,
    KZ_SEV_CRITICAL,
    KZ_SEV_NATIONAL,
};
#define KZ_SEV_COUNT 5

const char *kz_incident_status_name(enum kz_incident_status st);
kz_err kz_incident_status_parse(const char *s, enum kz_incident_status *out);
const char *kz_incident_severity_name(enum kz_incident_severity sev);
kz_err kz_incident_severity_parse(const char *s, enum kz_incident_severity *out);

enum kz_incident_move {
    KZ_MOVE_ALLOWED = 0,
    KZ_MOVE_NEEDS_REASON, /* allowed only with a reason: closing early, reopening, going back */
    KZ_MOVE_FORBIDDEN,
};

/* What the life-cycle table says of going from one status to another. */
enum kz_incident_move kz_incident_move(enum kz_incident_status from, enum kz_incident_status to);

/*
 * Checks a transition with its reason (NULL or "" for none). KZ_OK when allowed;
 * KZ_ERR_CONFLICT with why naming both states otherwise.
 */
kz_err kz_incident_check_move(enum kz_incident_status from, enum kz_incident_status to,
                              const char *reason, char *why, size_t whylen);

/* ---- the incident's state, as the index keeps it ----
 *
 * A JSON object: id, name, description, status, severity, organizations, sectors,
 * assignee, reporter (org slug), collection (id), transitions [{status, at, by, reason?}],
 * created, modified, and optionally alert, alert_created, first_sighting, first_shared.
 */

/* Who made a version and with which rights. */
struct kz_incident_author {
    const char *org;    /* slug */
    const char *sector; /* "" when none */
    bool triage;        /* may change status, severity and assignee (gsoc, admin) */
};

/*
 * Folds a stored version of an incident object into the state: prev is the state before
 * (NULL for a new incident). Changes of status, severity and assignee are taken from the
 * object's kizuna extension only when the author may triage and the life cycle allows
 * them; otherwise the previous values stay (a new incident always starts as reported).
 * Never fails on what a member sends; *out is a new reference.
 */
kz_err kz_incident_fold(const json_t *prev, const json_t *obj, const char *collection_id,
                        const struct kz_incident_author *who, int64_t version_us, json_t **out);

/* The STIX incident object of a state, as version modified_us, created by created_by_ref. */
json_t *kz_incident_stix(const json_t *state, const char *created_by_ref, int64_t modified_us,
                         const char *reason);

/* The extension-definition object, created by the centre's identity (a fixed version). */
json_t *kz_incident_extension_definition(const char *centre_identity);

/* The dashboard figures of a state: {"report_to_containment_s", ...}; nulls when unknown. */
json_t *kz_incident_figures(const json_t *state);

/* Time of a state's STIX timestamp member key; 0 when absent or malformed. */
int64_t kz_incident_time(const json_t *state, const char *key);

/* ---- the write hook: keeps the incidents index from every accepted write (hook.c) ---- */
struct kz_hub;
struct kz_store_tx;
struct kz_write_event;

/*
 * Folds added incident objects into the index and ties added notes and relationships that
 * refer to an indexed incident of the same collection to its timeline. Fails only on
 * store errors.
 */
kz_err kz_incident_write_hook(struct kz_hub *hub, struct kz_store_tx *tx,
                              const struct kz_write_event *ev);

/* Stores the extension-definition in the public collection, created by the centre (the
 * first organisation); a duplicate when present. */
kz_err kz_incident_ensure_extension(struct kz_store *s);

#endif
