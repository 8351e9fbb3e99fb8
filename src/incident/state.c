/*
 * The state the incidents index keeps, folded from the stored versions of an incident
 * object, and the objects kizuna writes for incidents (the incident itself, the
 * extension-definition). See docs/gsoc.md, "Incidents".
 */
#include "incident/incident.h"

#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "base/str.h"
#include "base/time.h"
#include "stix/stix.h"
#include "base/banned.h"

#define MAX_LIST     64 /* organisations or sectors named on one incident */
#define MAX_ASSIGNEE 256

int64_t
kz_incident_time(const json_t *state, const char *key)
{
    const char *s = json_string_value(json_object_get(state, key));
    int64_t us;

    if (!s || kz_time_parse(kz_str_from_cstr(s), &us, NULL) != KZ_OK)
        return 0;
    return us;
}

/* A list of 1..MAX_LIST slugs, or NULL. */
static json_t *
slug_list(const json_t *j)
{
    const json_t *e;
    size_t i;

    if (!json_is_array(j) || json_array_size(j) > MAX_LIST)
        return NULL;
    json_array_foreach(kz_json_mut(j), i, e)
    {
        if (!json_is_string(e) || !kz_slug_valid(json_string_value(e)))
            return NULL;
    }
    return json_deep_copy(j);
}

static void
set_str(json_t *st, const char *key, const char *value)
{
    json_object_set_new(st, key, json_string(value));
}

static void
add_transition(json_t *st, const char *status, const char *at, const char *by, const char *reason)
{
    json_t *tr = json_object_get(st, "transitions");
    json_t *t = json_pack("{s:s, s:s, s:s}", "status", status, "at", at, "by", by);

    if (!json_is_array(tr)) {
        tr = json_array();
        json_object_set_new(st, "transitions", tr);
    }
    if (reason && reason[0])
        set_str(t, "reason", reason);
    json_array_append_new(tr, t);
}

/* The string member key of j when it is a non-empty string of at most max bytes. */
static const char *
bounded(const json_t *j, const char *key, size_t max)
{
    const char *s = kz_json_str(j, key);

    return s && s[0] && strlen(s) <= max ? s : NULL;
}

kz_err
kz_incident_fold(const json_t *prev, const json_t *obj, const char *collection_id,
                 const struct kz_incident_author *who, int64_t version_us, json_t **out)
{
    const json_t *ext = json_object_get(json_object_get(obj, "extensions"), KZ_INCIDENT_EXT_ID);
    enum kz_incident_status cur = KZ_INC_REPORTED, next;
    enum kz_incident_severity sev;
    char at[KZ_TIME_TEXT_MAX];
    const char *s;
    json_t *st, *list;

    if (!json_is_object(obj))
        return KZ_ERR_INVALID;
    if (!json_is_object(ext))
        ext = NULL;
    kz_time_format_us(version_us, at);
    st = prev ? json_deep_copy(prev) : json_object();
    if ((s = kz_json_str(obj, "name")))
        set_str(st, "name", s);
    if ((s = kz_json_str(obj, "description")))
        set_str(st, "description", s);
    set_str(st, "modified", at);
    if (!prev) {
        set_str(st, "id", kz_json_str(obj, "id") ? kz_json_str(obj, "id") : "");
        const char *created = kz_json_str(obj, "created");
        set_str(st, "created", created ? created : at);
        set_str(st, "reporter", who->org);
        if ((s = kz_json_str(obj, "created_by_ref")))
            set_str(st, "created_by_ref", s);
        set_str(st, "collection", collection_id);
        set_str(st, "status", "reported");
        add_transition(st, "reported", created ? created : at, who->org, NULL);
        /* What a member says first is its report: severity up to critical. */
        sev = KZ_SEV_MEDIUM;
        if (ext && kz_incident_severity_parse(kz_json_str(ext, "severity"), &sev) == KZ_OK &&
            sev == KZ_SEV_NATIONAL && !who->triage)
            sev = KZ_SEV_CRITICAL;
        set_str(st, "severity", kz_incident_severity_name(sev));
        list = who->triage && ext ? slug_list(json_object_get(ext, "organizations")) : NULL;
        json_object_set_new(st, "organizations", list ? list : json_pack("[s]", who->org));
        list = who->triage && ext ? slug_list(json_object_get(ext, "sectors")) : NULL;
        if (!list) {
            list = json_array();
            if (who->sector && who->sector[0])
                json_array_append_new(list, json_string(who->sector));
        }
        json_object_set_new(st, "sectors", list);
        json_object_set_new(st, "assignee", json_null());
        if (ext && who->triage && (s = bounded(ext, "alert", 300))) {
            set_str(st, "alert", s);
            /* For the figures: when the alert was raised and its first sighting. */
            if (kz_incident_time(ext, "alert_created") > 0)
                set_str(st, "alert_created", kz_json_str(ext, "alert_created"));
            if (kz_incident_time(ext, "first_sighting") > 0)
                set_str(st, "first_sighting", kz_json_str(ext, "first_sighting"));
        }
    }
    if (!who->triage || !ext) {
        *out = st;
        return KZ_OK;
    }
    /* Triage: severity, assignee, affected parties and status from the extension. */
    if (kz_incident_severity_parse(kz_json_str(ext, "severity"), &sev) == KZ_OK)
        set_str(st, "severity", kz_incident_severity_name(sev));
    if (json_is_null(json_object_get(ext, "assignee")))
        json_object_set_new(st, "assignee", json_null());
    else if ((s = bounded(ext, "assignee", MAX_ASSIGNEE)))
        set_str(st, "assignee", s);
    if ((list = slug_list(json_object_get(ext, "organizations"))))
        json_object_set_new(st, "organizations", list);
    if ((list = slug_list(json_object_get(ext, "sectors"))))
        json_object_set_new(st, "sectors", list);
    kz_incident_status_parse(kz_json_str(st, "status"), &cur);
    if (kz_incident_status_parse(kz_json_str(ext, "status"), &next) == KZ_OK && next != cur) {
        char why[256];
        const char *reason = bounded(ext, "reason", 2048);
        /* A forbidden move in a pushed object leaves the status as it was. */
        if (kz_incident_check_move(cur, next, reason, why, sizeof(why)) == KZ_OK) {
            set_str(st, "status", kz_incident_status_name(next));
            add_transition(st, kz_incident_status_name(next), at, who->org, reason);
        }
    }
    *out = st;
    return KZ_OK;
}

json_t *
kz_incident_stix(const json_t *state, const char *created_by_ref, int64_t modified_us,
                 const char *reason)
{
    char mod[KZ_TIME_TEXT_MAX];
    json_t *o, *ext;
    const char *keys[] = {"status",      "severity", "organizations", "sectors",       "assignee",
                          "transitions", "alert",    "alert_created", "first_sighting"};

    kz_time_format_us(modified_us, mod);
    o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", "incident", "spec_version", "2.1", "id",
                  kz_json_str(state, "id"), "created", kz_json_str(state, "created"), "modified",
                  mod, "name", kz_json_str(state, "name"));
    if (!o)
        return NULL;
    if (created_by_ref && created_by_ref[0])
        set_str(o, "created_by_ref", created_by_ref);
    if (kz_json_str(state, "description"))
        set_str(o, "description", kz_json_str(state, "description"));
    ext = json_pack("{s:s}", "extension_type", "property-extension");
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_t *v = json_object_get(state, keys[i]);
        if (v && !json_is_null(v))
            json_object_set(ext, keys[i], v);
    }
    if (reason && reason[0])
        set_str(ext, "reason", reason);
    json_object_set_new(o, "extensions", json_pack("{s:o}", KZ_INCIDENT_EXT_ID, ext));
    return o;
}

json_t *
kz_incident_extension_definition(const char *centre_identity)
{
    /* A fixed version: storing it again on every start is a duplicate, not a new version. */
    static const char when[] = "2026-11-01T00:00:00.000Z";

    return json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:[s]}", "type",
        "extension-definition", "spec_version", "2.1", "id", KZ_INCIDENT_EXT_ID, "created_by_ref",
        centre_identity, "created", when, "modified", when, "name", "kizuna incident",
        "description",
        "Response workflow of an incident: status, severity, affected organisations and "
        "sectors, assignee and the time of each transition.",
        "schema",
        "kizuna docs/gsoc.md, section Incidents: status (reported, triage, investigating, "
        "contained, recovered, closed), severity (low, medium, high, critical, national), "
        "organizations and sectors (lists of slugs), assignee (string), transitions (list of "
        "{status, at, by, reason}), reason (string, why this version changed the status), "
        "alert (alert id)",
        "version", "1.0", "extension_types", "property-extension", "object_marking_refs",
        kz_tlp_marking_id(KZ_TLP_CLEAR));
}

/* The time of the first transition into one of the statuses, 0 when none. */
static int64_t
first_transition(const json_t *state, const char *const *statuses, size_t n)
{
    const json_t *t;
    size_t i;

    json_array_foreach(json_object_get(state, "transitions"), i, t)
    {
        const char *s = kz_json_str(t, "status");
        for (size_t k = 0; s && k < n; k++) {
            if (strcmp(s, statuses[k]) == 0)
                return kz_incident_time(t, "at");
        }
    }
    return 0;
}

static json_t *
span(int64_t from_us, int64_t to_us)
{
    if (from_us <= 0 || to_us <= 0 || to_us < from_us)
        return json_null();
    return json_real((double)(to_us - from_us) / 1e6);
}

json_t *
kz_incident_figures(const json_t *state)
{
    static const char *const contained[] = {"contained", "recovered"};
    static const char *const closed[] = {"closed"};
    int64_t reported = kz_incident_time(state, "created");
    int64_t alert = kz_incident_time(state, "alert_created");
    int64_t shared = kz_incident_time(state, "first_shared");

    return json_pack(
        "{s:o, s:o, s:o, s:o, s:o}", "report_to_containment_s",
        span(reported, first_transition(state, contained, 2)), "report_to_closure_s",
        span(reported, first_transition(state, closed, 1)), "first_sighting_to_alert_s",
        span(kz_incident_time(state, "first_sighting"), alert), "alert_to_first_share_s",
        span(alert, shared), "report_to_first_share_s", span(reported, shared));
}
