/* /api/v1/alerts: the correlated alerts, filtered and paged, and their life cycle. */
#include "api/api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/str.h"
#include "base/time.h"
#include "correlate/correlate.h"
#include "base/banned.h"

#define ALERTS_DEFAULT_LIMIT 50
#define ALERTS_MAX_LIMIT 500

static const char *const statuses[] = {"open", "acknowledged", "assigned", "dismissed",
                                       "resolved", NULL};

static bool
status_valid(const char *s)
{
    for (size_t i = 0; statuses[i]; i++)
        if (strcmp(s, statuses[i]) == 0)
            return true;
    return false;
}

/* The cursor: the store's order (seq) of the last alert of the page, in decimal. */
static bool
cursor_parse(const char *text, int64_t *after_seq)
{
    uint64_t v;

    if (kz_str_to_u64(kz_str_from_cstr(text), 1, INT64_MAX, &v) != KZ_OK)
        return false;
    *after_seq = (int64_t)v;
    return true;
}

struct page {
    struct kz_hub *hub;
    const struct kz_caller *caller;
    json_t *list;
    struct kz_alert last;
    kz_err err;
};

static void
append_alert(void *ctx, const struct kz_alert *a)
{
    struct page *p = ctx;
    json_t *j = NULL;
    bool visible = false;

    p->last = *a;
    if (p->err != KZ_OK)
        return;
    p->err = kz_alert_json(p->hub->store, a, p->caller, false, &visible, &j);
    if (p->err == KZ_OK && visible)
        json_array_append_new(p->list, j);
}

KZ_API_HANDLER(kz_api_alerts_list)
{
    struct kz_alert_query q;
    struct page p;
    char next[32] = "";
    enum kz_rule_kind rk;
    bool more = false;
    uint64_t limit = ALERTS_DEFAULT_LIMIT;
    kz_err err;

    if (!kz_api__require(caller, false, resp))
        return;
    memset(&q, 0, sizeof(q));
    q.since_us = -1;
    for (size_t i = 0; i < req->n_params; i++) {
        const char *k = req->params[i].key, *v = req->params[i].value;
        if (strcmp(k, "status") == 0 && status_valid(v)) {
            q.status = v;
        } else if (strcmp(k, "rule") == 0 && kz_rule_parse_name(v, &rk) == KZ_OK) {
            q.rule = v;
        } else if (strcmp(k, "sector") == 0 && kz_slug_valid(v)) {
            q.sector = v;
        } else if (strcmp(k, "since") == 0 &&
                   kz_time_parse(kz_str_from_cstr(v), &q.since_us, NULL) == KZ_OK) {
        } else if (strcmp(k, "limit") == 0 &&
                   kz_str_to_u64(kz_str_from_cstr(v), 1, ALERTS_MAX_LIMIT, &limit) == KZ_OK) {
        } else if (strcmp(k, "next") == 0 && cursor_parse(v, &q.after_seq)) {
        } else {
            kz_http_error(resp, false, 400, "Bad request",
                          "query parameter '%.64s' is unknown or its value is not valid "
                          "(status: open, acknowledged, assigned, dismissed, resolved; rule: a "
                          "rule name; sector: a sector name; since: a timestamp; limit: 1-%d; "
                          "next: a cursor from a previous page)",
                          k, ALERTS_MAX_LIMIT);
            return;
        }
    }
    q.limit = (size_t)limit;
    /* Members and sensors: only alerts their own organisation sighted. */
    if (caller->role != KZ_ROLE_GSOC && caller->role != KZ_ROLE_ADMIN)
        q.member_org = caller->org.slug;
    memset(&p, 0, sizeof(p));
    p.hub = hub;
    p.caller = caller;
    p.list = json_array();
    err = kz_store_alert_list(hub->store, &q, append_alert, &p, &more);
    if (err == KZ_OK)
        err = p.err;
    if (err != KZ_OK) {
        json_decref(p.list);
        kz_http_error(resp, false, 500, "Internal error", "cannot list alerts");
        return;
    }
    if (more)
        snprintf(next, sizeof(next), "%lld", (long long)p.last.seq);
    kz_http_json(resp, 200, KZ_MEDIA_JSON,
                 json_pack("{s:o, s:o}", "alerts", p.list, "next",
                           more ? json_string(next) : json_null()));
}

/* Looks the alert up for the caller; answers 404 when absent or not visible. */
static bool
alert_for(struct kz_hub *hub, const struct kz_http_request *req, const struct kz_caller *caller,
          struct kz_http_response *resp, json_t **view)
{
    struct kz_alert a;
    bool visible = false;
    kz_err err = kz_store_alert_get(hub->store, req->segments[0], &a);

    if (err == KZ_OK)
        err = kz_alert_json(hub->store, &a, caller, true, &visible, view);
    if (err == KZ_ERR_NOTFOUND || (err == KZ_OK && !visible)) {
        kz_http_error(resp, false, 404, "Not found", "no alert '%.100s'", req->segments[0]);
        return false;
    }
    if (err != KZ_OK) {
        kz_http_error(resp, false, 500, "Internal error", "cannot read the alert");
        return false;
    }
    return true;
}

KZ_API_HANDLER(kz_api_alert_get)
{
    json_t *view = NULL;

    if (!kz_api__require(caller, false, resp))
        return;
    if (alert_for(hub, req, caller, resp, &view))
        kz_http_json(resp, 200, KZ_MEDIA_JSON, view);
}

/* An optional string member; false (and 400 answered) when present but not a string. */
static bool
opt_string(const json_t *body, const char *key, const char **out, struct kz_http_response *resp)
{
    const json_t *v = json_object_get(body, key);

    *out = NULL;
    if (!v)
        return true;
    if (!json_is_string(v)) {
        kz_http_error(resp, false, 400, "Bad request", "'%s' must be a string", key);
        return false;
    }
    *out = json_string_value(v);
    return true;
}

KZ_API_HANDLER(kz_api_alert_post)
{
    const char *action, *assignee, *reason, *key;
    char why[512], by[KZ_ALERT_BY_MAX];
    json_t *view = NULL, *body = NULL, *v;
    kz_err err;

    if (!kz_api__require(caller, false, resp))
        return;
    if (!alert_for(hub, req, caller, resp, &view))
        return;
    json_decref(view);
    view = NULL;
    if (caller->role != KZ_ROLE_GSOC && caller->role != KZ_ROLE_ADMIN) {
        kz_http_error(resp, false, 403, "Forbidden",
                      "only the centre (gsoc or admin keys) changes an alert's status");
        return;
    }
    body = kz_api__body(hub, req, resp);
    if (!body)
        return;
    if (!json_is_object(body)) {
        kz_http_error(resp, false, 400, "Bad request", "the body must be a JSON object");
        goto done;
    }
    json_object_foreach(body, key, v) {
        if (strcmp(key, "action") != 0 && strcmp(key, "assignee") != 0 &&
            strcmp(key, "reason") != 0) {
            kz_http_error(resp, false, 400, "Bad request",
                          "unknown field '%.64s' (action, assignee, reason)", key);
            goto done;
        }
    }
    if (!opt_string(body, "action", &action, resp) ||
        !opt_string(body, "assignee", &assignee, resp) ||
        !opt_string(body, "reason", &reason, resp))
        goto done;
    snprintf(by, sizeof(by), "%s/%s", caller->org.slug, caller->key_id);
    err = kz_alert_act(hub->store, req->segments[0], action, assignee, reason, by,
                       hub->rules ? hub->rules->centre : NULL, why, sizeof(why));
    if (err == KZ_ERR_INVALID || err == KZ_ERR_CONFLICT || err == KZ_ERR_NOTFOUND) {
        int st = err == KZ_ERR_INVALID ? 400 : err == KZ_ERR_CONFLICT ? 409 : 404;
        kz_http_error(resp, false, st,
                      st == 400 ? "Bad request" : st == 409 ? "Conflict" : "Not found", "%s",
                      why);
        goto done;
    }
    if (err != KZ_OK) {
        kz_http_error(resp, false, 500, "Internal error", "cannot change the alert");
        goto done;
    }
    kz_log(KZ_LOG_INFO, "alert changed id=%.100s action=%s by=%s", req->segments[0], action, by);
    if (alert_for(hub, req, caller, resp, &view))
        kz_http_json(resp, 200, KZ_MEDIA_JSON, view);
done:
    json_decref(body);
}
