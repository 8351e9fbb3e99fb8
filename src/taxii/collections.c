/* TAXII discovery, API root, collections, a collection, and status resources. */
#include "taxii/taxii_int.h"

#include <stdio.h>
#include <string.h>

#include "base/time.h"
#include "base/banned.h"

bool
kz_taxii__collection(struct kz_hub *hub, const struct kz_http_request *req,
                     const struct kz_caller *caller, enum kz_taxii_access access,
                     struct kz_collection *out, struct kz_http_response *resp)
{
    const char *name = req->segments[0];
    bool can_read, can_write;

    if (kz_store_collection_get(hub->store, name, out) != KZ_OK) {
        if (!caller->authenticated)
            kz_http_error(resp, true, 401, "Unauthorized", "this resource needs credentials");
        else
            kz_http_error(resp, true, 404, "Not found", "no collection '%.80s'", name);
        return false;
    }
    can_read = kz_policy_can_read(caller, out);
    can_write = kz_policy_can_write(caller, out);
    if (!can_read && !can_write) {
        if (!caller->authenticated)
            kz_http_error(resp, true, 401, "Unauthorized", "this collection needs credentials");
        else
            kz_http_error(resp, true, 404, "Not found", "no collection '%.80s'", name);
        return false;
    }
    if ((access == KZ_TAXII_READ && !can_read) || (access == KZ_TAXII_WRITE && !can_write)) {
        if (!caller->authenticated)
            kz_http_error(resp, true, 401, "Unauthorized", "this collection needs credentials");
        else
            kz_http_error(resp, true, 403, "Forbidden", "you may not %s collection '%s'",
                          access == KZ_TAXII_READ ? "read from" : "write to", out->alias);
        return false;
    }
    return true;
}

json_t *
kz_taxii__collection_json(const struct kz_collection *c, const struct kz_caller *caller)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:b, s:b, s:[s]}", "id", c->id, "title", c->title,
                          "alias", c->alias, "can_read", kz_policy_can_read(caller, c),
                          "can_write", kz_policy_can_write(caller, c), "media_types",
                          KZ_MEDIA_STIX);
    if (j && c->description[0])
        json_object_set_new(j, "description", json_string(c->description));
    return j;
}

void
kz_taxii__param_error(struct kz_http_response *resp, kz_err err, const char *why)
{
    if (err == KZ_ERR_LIMIT)
        kz_http_error(resp, true, 413, "Request too large", "%s", why);
    else
        kz_http_error(resp, true, 400, "Bad request", "%s", why);
}

/* Endpoints without query parameters refuse any. */
static bool
no_params(const struct kz_http_request *req, struct kz_http_response *resp)
{
    if (req->n_params == 0)
        return true;
    kz_http_error(resp, true, 400, "Bad request", "query parameter '%.64s' is not supported here",
                  req->params[0].key);
    return false;
}

void
kz_taxii_discovery(struct kz_hub *hub, const struct kz_http_request *req,
                   const struct kz_caller *caller, struct kz_http_response *resp)
{
    (void)hub;
    (void)caller;
    if (!no_params(req, resp))
        return;
    kz_http_json(resp, 200, KZ_MEDIA_TAXII,
                 json_pack("{s:s, s:s, s:s, s:[s]}", "title", "kizuna", "description",
                           "kizuna threat-information sharing hub (TAXII 2.1)", "default",
                           "/taxii2/api/", "api_roots", "/taxii2/api/"));
}

void
kz_taxii_api_root(struct kz_hub *hub, const struct kz_http_request *req,
                  const struct kz_caller *caller, struct kz_http_response *resp)
{
    (void)caller;
    if (!no_params(req, resp))
        return;
    kz_http_json(resp, 200, KZ_MEDIA_TAXII,
                 json_pack("{s:s, s:s, s:[s], s:I}", "title", "kizuna", "description",
                           "the hub's only API root", "versions", KZ_MEDIA_TAXII,
                           "max_content_length", (json_int_t)hub->config.max_body_bytes));
}

struct list_ctx {
    const struct kz_caller *caller;
    json_t *list;
};

static void
add_visible(void *ctx, const struct kz_collection *c)
{
    struct list_ctx *lc = ctx;

    if (kz_policy_can_read(lc->caller, c) || kz_policy_can_write(lc->caller, c))
        json_array_append_new(lc->list, kz_taxii__collection_json(c, lc->caller));
}

void
kz_taxii_collections(struct kz_hub *hub, const struct kz_http_request *req,
                     const struct kz_caller *caller, struct kz_http_response *resp)
{
    struct list_ctx lc = {caller, json_array()};
    json_t *j;

    if (!no_params(req, resp)) {
        json_decref(lc.list);
        return;
    }
    if (kz_store_collection_list(hub->store, add_visible, &lc) != KZ_OK) {
        json_decref(lc.list);
        kz_http_error(resp, true, 500, "Internal error", "cannot list collections");
        return;
    }
    j = json_object();
    if (json_array_size(lc.list) > 0)
        json_object_set_new(j, "collections", lc.list);
    else
        json_decref(lc.list);
    kz_http_json(resp, 200, KZ_MEDIA_TAXII, j);
}

void
kz_taxii_collection(struct kz_hub *hub, const struct kz_http_request *req,
                    const struct kz_caller *caller, struct kz_http_response *resp)
{
    struct kz_collection c;
    bool can_read;

    if (!no_params(req, resp))
        return;
    if (kz_store_collection_get(hub->store, req->segments[0], &c) == KZ_OK) {
        can_read = kz_policy_can_read(caller, &c);
        if (can_read || kz_policy_can_write(caller, &c)) {
            kz_http_json(resp, 200, KZ_MEDIA_TAXII, kz_taxii__collection_json(&c, caller));
            return;
        }
    }
    (void)kz_taxii__collection(hub, req, caller, KZ_TAXII_READ, &c, resp);
}

static const char *const status_kind_names[] = {"successes", "failures", "pendings"};

json_t *
kz_taxii__status_json(const struct kz_status *st)
{
    char ts[KZ_TIME_TEXT_MAX];
    json_t *j, *lists[3];
    size_t counts[3] = {0, 0, 0};

    for (int k = 0; k < 3; k++)
        lists[k] = json_array();
    for (size_t i = 0; i < st->n; i++) {
        const struct kz_status_entry *e = &st->entries[i];
        json_t *d = json_pack("{s:s, s:s}", "id", e->id, "version", e->version);
        if (e->message[0])
            json_object_set_new(d, "message", json_string(e->message));
        json_array_append_new(lists[e->kind], d);
        counts[e->kind]++;
    }
    kz_time_format_us(st->request_us, ts);
    j = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "id", st->id, "status",
                  counts[KZ_STATUS_PENDING] ? "pending" : "complete", "request_timestamp", ts,
                  "total_count", (json_int_t)st->n, "success_count",
                  (json_int_t)counts[KZ_STATUS_SUCCESS], "failure_count",
                  (json_int_t)counts[KZ_STATUS_FAILURE], "pending_count",
                  (json_int_t)counts[KZ_STATUS_PENDING]);
    for (int k = 0; k < 3; k++)
        json_object_set_new(j, status_kind_names[k], lists[k]);
    return j;
}

void
kz_taxii_status(struct kz_hub *hub, const struct kz_http_request *req,
                const struct kz_caller *caller, struct kz_http_response *resp)
{
    struct kz_status st;

    if (!no_params(req, resp))
        return;
    if (!caller->authenticated) {
        kz_http_error(resp, true, 401, "Unauthorized", "status resources need credentials");
        return;
    }
    if (kz_store_status_get(hub->store, req->segments[0], &st) != KZ_OK)
        goto not_found;
    if (strcmp(st.org, caller->org.slug) != 0 && caller->role != KZ_ROLE_GSOC &&
        caller->role != KZ_ROLE_ADMIN) {
        kz_status_release(&st);
        goto not_found;
    }
    kz_http_json(resp, 200, KZ_MEDIA_TAXII, kz_taxii__status_json(&st));
    kz_status_release(&st);
    return;
not_found:
    kz_http_error(resp, true, 404, "Not found", "no status '%.64s'", req->segments[0]);
}
