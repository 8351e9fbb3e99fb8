/*
 * Alerts as their users see them: the JSON view with the visibility rules of DESIGN.md
 * (a member sees other organisations by name only where it may read their sightings),
 * and the life cycle open → acknowledged / assigned → dismissed / resolved, reopenable.
 */
#include "correlate/correlate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "base/time.h"
#include "notify/notify.h"
#include "policy/policy.h"
#include "base/banned.h"

#define MAX_COLLS 32

/* What a viewer may read, per collection, cached for one view. */
struct coll_seen {
    char id[KZ_UUID_TEXT_LEN + 1];
    int max_tlp; /* -1: the viewer may not read the collection */
};

struct view {
    struct kz_store *store;
    const struct kz_caller *viewer; /* NULL: everything */
    bool full;
    bool visible;                   /* the viewer's organisation is a member */
    json_t *orgs, *sectors;
    size_t n_orgs;
    char last_org[KZ_SLUG_MAX];
    struct coll_seen colls[MAX_COLLS];
    size_t n_colls;
    kz_err err;
    /* the members of the window, copied: names are decided once all are known */
    struct kz_corr_member *m;
    size_t n, cap;
};

static void
collect(void *ctx, const struct kz_corr_member *m)
{
    struct view *v = ctx;

    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 16;
        v->m = kz_xrealloc(v->m, v->cap * sizeof(*v->m));
    }
    v->m[v->n++] = *m;
}

static bool
add_unique(json_t *arr, const char *s)
{
    size_t i;
    json_t *e;

    json_array_foreach(arr, i, e) {
        if (strcmp(json_string_value(e), s) == 0)
            return false;
    }
    json_array_append_new(arr, json_string(s));
    return true;
}

/* May the viewer read a sighting in this collection with this TLP? */
static bool
may_read(struct view *v, const char *coll_id, enum kz_tlp tlp)
{
    struct kz_collection c;
    struct coll_seen *cs = NULL;

    for (size_t i = 0; i < v->n_colls; i++)
        if (strcmp(v->colls[i].id, coll_id) == 0)
            cs = &v->colls[i];
    if (!cs) {
        int max = -1;
        if (kz_store_collection_get(v->store, coll_id, &c) == KZ_OK &&
            kz_policy_can_read(v->viewer, &c))
            max = (int)kz_policy_read_max_tlp(v->viewer, &c);
        if (v->n_colls == MAX_COLLS)
            return max >= (int)tlp; /* uncached past the cap */
        cs = &v->colls[v->n_colls++];
        kz_cstr_copy(coll_id, cs->id, sizeof(cs->id));
        cs->max_tlp = max;
    }
    return cs->max_tlp >= (int)tlp;
}

static void
name_members(struct view *v)
{
    char label[KZ_SLUG_MAX + 16];

    for (size_t i = 0; i < v->n; i++) {
        const struct kz_corr_member *m = &v->m[i];
        bool named = v->full;
        if (m->sector[0])
            add_unique(v->sectors, m->sector);
        if (i == 0 || strcmp(m->org, v->m[i - 1].org) != 0)
            v->n_orgs++;
        if (!v->full && strcmp(m->org, v->viewer->org.slug) == 0) {
            v->visible = true;
            named = true;
        }
        /* Named when any one of the org's sightings here is readable by the viewer. */
        for (size_t j = 0; !named && j < v->n && v->err == KZ_OK; j++)
            if (strcmp(v->m[j].org, m->org) == 0)
                named = may_read(v, v->m[j].collection_id, v->m[j].tlp);
        if (named) {
            add_unique(v->orgs, m->org);
        } else {
            snprintf(label, sizeof(label), "sector:%s", m->sector[0] ? m->sector : "none");
            add_unique(v->orgs, label);
        }
    }
}

static json_t *
time_json(int64_t us)
{
    char t[KZ_TIME_TEXT_MAX];

    if (us == 0)
        return json_null();
    kz_time_format_us(us, t);
    return json_string(t);
}

static void
append_event(void *ctx, const struct kz_alert_event *ev)
{
    json_t *e = json_pack("{s:s, s:s, s:s, s:o}", "action", ev->action, "status", ev->status,
                          "by", ev->by, "at", time_json(ev->at_us));

    if (ev->assignee[0])
        json_object_set_new(e, "assignee", json_string(ev->assignee));
    if (ev->reason[0])
        json_object_set_new(e, "reason", json_string(ev->reason));
    json_array_append_new(ctx, e);
}

kz_err
kz_alert_json(struct kz_store *s, const struct kz_alert *a, const struct kz_caller *viewer,
              bool with_history, bool *visible, json_t **out)
{
    struct view v;
    json_t *j = NULL, *hist;
    kz_err err;

    memset(&v, 0, sizeof(v));
    v.store = s;
    v.viewer = viewer;
    v.full = !viewer || (viewer->authenticated &&
                         (viewer->role == KZ_ROLE_GSOC || viewer->role == KZ_ROLE_ADMIN));
    v.visible = v.full;
    v.orgs = json_array();
    v.sectors = json_array();
    err = kz_store_alert_members(s, a, collect, &v);
    if (err == KZ_OK && !v.full && (!viewer || !viewer->authenticated))
        v.visible = false;
    else if (err == KZ_OK)
        name_members(&v);
    if (err == KZ_OK)
        err = v.err;
    *visible = v.visible;
    if (err != KZ_OK || !v.visible)
        goto done;
    j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:O, s:O, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o,"
                  " s:f}",
                  "id", a->id, "rule", a->rule, "severity", a->severity, "status", a->status,
                  "indicator_ref", a->indicator, "organizations", v.orgs, "sectors", v.sectors,
                  "organization_count", (json_int_t)v.n_orgs, "count", (json_int_t)a->count,
                  "first_seen", time_json(a->first_seen_us), "last_seen",
                  time_json(a->last_seen_us), "window_start", time_json(a->bucket_us),
                  "window_end", time_json(a->bucket_us + a->window_us), "created",
                  time_json(a->created_us), "updated", time_json(a->updated_us),
                  "time_to_alert_seconds", (double)a->time_to_alert_us / 1e6);
    if (a->assignee[0])
        json_object_set_new(j, "assignee", json_string(a->assignee));
    if (a->reason[0])
        json_object_set_new(j, "reason", json_string(a->reason));
    if (a->changed_by[0]) {
        json_object_set_new(j, "status_changed_by", json_string(a->changed_by));
        json_object_set_new(j, "status_changed", time_json(a->changed_us));
    }
    if (with_history) {
        /* Creation is not a row of the history: it is the alert's own created time. */
        hist = json_array();
        json_array_append_new(hist, json_pack("{s:s, s:s, s:s, s:o}", "action", "created",
                                              "status", "open", "by", "correlation", "at",
                                              time_json(a->created_us)));
        err = kz_store_alert_history(s, a->id, append_event, hist);
        json_object_set_new(j, "history", hist);
    }
    if (err == KZ_OK) {
        *out = j;
        j = NULL;
    }
done:
    json_decref(j);
    json_decref(v.orgs);
    json_decref(v.sectors);
    free(v.m);
    return err;
}

/* ---- the life cycle ---- */

struct transition {
    const char *action;
    const char *to;
    const char *from; /* space-separated statuses it may start from */
};

static const struct transition transitions[] = {
    {"acknowledge", "acknowledged", " open "},
    {"assign", "assigned", " open acknowledged assigned "},
    {"dismiss", "dismissed", " open acknowledged assigned "},
    {"resolve", "resolved", " open acknowledged assigned "},
    {"reopen", "open", " acknowledged assigned dismissed resolved "},
};

struct act {
    const char *id, *assignee, *reason, *by, *centre;
    const struct transition *t;
    char *why;
    size_t whylen;
};

static bool
from_allowed(const char *from, const char *status)
{
    char word[KZ_ALERT_STATUS_MAX + 2];

    snprintf(word, sizeof(word), " %s ", status);
    return strstr(from, word) != NULL;
}

/* The distinct organisations of a window (members come ordered by org). */
struct org_names {
    const char **v;
    char (*names)[KZ_SLUG_MAX];
    size_t n, cap;
};

static void
add_org(void *ctx, const struct kz_corr_member *m)
{
    struct org_names *o = ctx;

    if (o->n && strcmp(o->names[o->n - 1], m->org) == 0)
        return;
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 8;
        o->names = kz_xrealloc(o->names, o->cap * sizeof(*o->names));
    }
    kz_cstr_copy(m->org, o->names[o->n++], KZ_SLUG_MAX);
}

/* alert.updated for a status change: the window's organisations and the centre. */
static kz_err
notify_change(struct kz_store_tx *tx, const struct kz_alert *a, const struct kz_alert_event *ev,
              const char *centre)
{
    struct org_names o;
    struct kz_notify_event ne;
    const char **orgs = NULL;
    json_t *data = NULL;
    char *text = NULL;
    kz_err err;

    memset(&o, 0, sizeof(o));
    err = kz_store_tx_corr_members(tx, a->indicator, a->window_us, a->bucket_us, add_org, &o);
    if (err != KZ_OK)
        goto done;
    orgs = kz_xcalloc(o.n + 1, sizeof(*orgs));
    for (size_t i = 0; i < o.n; i++)
        orgs[i] = o.names[i];
    orgs[o.n] = centre ? centre : "gsoc";
    data = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", a->id, "rule", a->rule, "severity",
                     a->severity, "indicator_ref", a->indicator, "status", ev->status, "action",
                     ev->action);
    text = json_dumps(data, JSON_COMPACT);
    if (!text) {
        err = KZ_ERR_NOMEM;
        goto done;
    }
    ne = (struct kz_notify_event){"alert.updated", a->id, orgs, o.n + 1, NULL, text};
    err = kz_notify_emit(tx, &ne);
done:
    free(text);
    json_decref(data);
    free(orgs);
    free(o.names);
    return err;
}

kz_err
kz_alert_tx_change(struct kz_store_tx *tx, const struct kz_alert *a,
                   const struct kz_alert_event *ev, const char *centre)
{
    kz_err err = kz_store_tx_alert_change(tx, ev);

    return err == KZ_OK ? notify_change(tx, a, ev, centre) : err;
}

static kz_err
act_in_tx(void *ctx, struct kz_store_tx *tx)
{
    struct act *x = ctx;
    struct kz_alert a;
    struct kz_alert_event ev;
    kz_err err = kz_store_tx_alert_get(tx, x->id, &a);

    if (err == KZ_ERR_NOTFOUND)
        snprintf(x->why, x->whylen, "no alert '%.100s'", x->id);
    if (err != KZ_OK)
        return err;
    if (!from_allowed(x->t->from, a.status)) {
        snprintf(x->why, x->whylen, "cannot %s an alert that is %s", x->t->action, a.status);
        return KZ_ERR_CONFLICT;
    }
    memset(&ev, 0, sizeof(ev));
    kz_cstr_copy(a.id, ev.alert_id, sizeof(ev.alert_id));
    kz_cstr_copy(x->t->action, ev.action, sizeof(ev.action));
    kz_cstr_copy(x->t->to, ev.status, sizeof(ev.status));
    kz_cstr_copy(x->by ? x->by : "", ev.by, sizeof(ev.by));
    kz_cstr_copy(x->assignee && x->assignee[0] ? x->assignee : a.assignee, ev.assignee,
                 sizeof(ev.assignee));
    kz_cstr_copy(x->reason ? x->reason : "", ev.reason, sizeof(ev.reason));
    ev.at_us = kz_time_now_us();
    return kz_alert_tx_change(tx, &a, &ev, x->centre);
}

kz_err
kz_alert_act(struct kz_store *s, const char *id, const char *action, const char *assignee,
             const char *reason, const char *by, const char *centre, char *why, size_t whylen)
{
    struct act x = {id, assignee, reason, by, centre, NULL, why, whylen};

    why[0] = '\0';
    for (size_t i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++)
        if (action && strcmp(action, transitions[i].action) == 0)
            x.t = &transitions[i];
    if (!x.t) {
        snprintf(why, whylen,
                 "'action' must be acknowledge, assign, dismiss, reopen or resolve");
        return KZ_ERR_INVALID;
    }
    if (assignee && (!assignee[0] || strlen(assignee) >= KZ_NAME_MAX)) {
        snprintf(why, whylen, "'assignee' must be 1 to %d bytes", KZ_NAME_MAX - 1);
        return KZ_ERR_INVALID;
    }
    if (reason && strlen(reason) >= KZ_REASON_MAX) {
        snprintf(why, whylen, "'reason' must be at most %d bytes", KZ_REASON_MAX - 1);
        return KZ_ERR_INVALID;
    }
    if (strcmp(x.t->action, "assign") == 0 && !assignee) {
        snprintf(why, whylen, "'assign' needs an 'assignee'");
        return KZ_ERR_INVALID;
    }
    if (strcmp(x.t->action, "dismiss") == 0 && (!reason || !reason[0])) {
        snprintf(why, whylen, "'dismiss' needs a 'reason'");
        return KZ_ERR_INVALID;
    }
    return kz_store_transaction(s, act_in_tx, &x);
}
