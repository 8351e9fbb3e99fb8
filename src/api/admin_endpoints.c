/* /api/v1 administration: organisations, sectors, keys and collections. */
#include "api/api_int.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "admin/admin.h"
#include "base/time.h"
#include "base/banned.h"

static void
append_org(void *ctx, const struct kz_org *org)
{
    json_array_append_new(ctx, kz_admin_org_json(org));
}

KZ_API_HANDLER(kz_api_orgs_list)
{
    json_t *list = json_array();

    (void)req;
    if (!kz_api__require(caller, false, resp)) {
        json_decref(list);
        return;
    }
    if (kz_store_org_list(hub->store, append_org, list) != KZ_OK) {
        json_decref(list);
        kz_http_error(resp, false, 500, "Internal error", "cannot list organisations");
        return;
    }
    kz_http_json(resp, 200, KZ_MEDIA_JSON, json_pack("{s:o}", "organizations", list));
}

KZ_API_HANDLER(kz_api_org_get)
{
    struct kz_org org;

    if (!kz_api__require(caller, false, resp))
        return;
    if (kz_store_org_get(hub->store, req->segments[0], &org) != KZ_OK) {
        kz_http_error(resp, false, 404, "Not found", "no organisation '%.64s'", req->segments[0]);
        return;
    }
    kz_http_json(resp, 200, KZ_MEDIA_JSON, kz_admin_org_json(&org));
}

KZ_API_HANDLER(kz_api_orgs_add)
{
    struct kz_org org;
    char why[512] = "";
    json_t *body;
    kz_err err;

    if (!kz_api__require(caller, true, resp) || !(body = kz_api__body(hub, req, resp)))
        return;
    err = kz_admin_org_from_json(body, &org, why, sizeof(why));
    if (err == KZ_OK)
        err = kz_admin_org_add(hub->store, &org, why, sizeof(why));
    json_decref(body);
    if (err != KZ_OK) {
        kz_api__admin_error(resp, err, why);
        return;
    }
    kz_http_json(resp, 201, KZ_MEDIA_JSON, kz_admin_org_json(&org));
}

static void
append_sector(void *ctx, const char *name)
{
    json_array_append_new(ctx, json_string(name));
}

KZ_API_HANDLER(kz_api_sectors_list)
{
    json_t *list = json_array();

    (void)req;
    if (!kz_api__require(caller, false, resp) ||
        kz_store_sector_list(hub->store, append_sector, list) != KZ_OK) {
        if (resp->status == 500)
            kz_http_error(resp, false, 500, "Internal error", "cannot list sectors");
        json_decref(list);
        return;
    }
    kz_http_json(resp, 200, KZ_MEDIA_JSON, json_pack("{s:o}", "sectors", list));
}

KZ_API_HANDLER(kz_api_sectors_add)
{
    char why[512] = "";
    const char *name;
    json_t *body;
    kz_err err = KZ_ERR_INVALID;

    if (!kz_api__require(caller, true, resp) || !(body = kz_api__body(hub, req, resp)))
        return;
    name = kz_json_str(body, "name");
    if (!name)
        snprintf(why, sizeof(why), "'name' is required and must be a string");
    else
        err = kz_admin_sector_add(hub->store, name, why, sizeof(why));
    if (err != KZ_OK)
        kz_api__admin_error(resp, err, why);
    else
        kz_http_json(resp, 201, KZ_MEDIA_JSON, json_pack("{s:s}", "name", name));
    json_decref(body);
}

static void
append_key(void *ctx, const struct kz_key *key)
{
    json_array_append_new(ctx, kz_admin_key_json(key));
}

KZ_API_HANDLER(kz_api_keys_list)
{
    json_t *list = json_array();

    (void)req;
    if (!kz_api__require(caller, true, resp) ||
        kz_store_key_list(hub->store, append_key, list) != KZ_OK) {
        if (resp->status == 500)
            kz_http_error(resp, false, 500, "Internal error", "cannot list keys");
        json_decref(list);
        return;
    }
    kz_http_json(resp, 200, KZ_MEDIA_JSON, json_pack("{s:o}", "keys", list));
}

KZ_API_HANDLER(kz_api_keys_create)
{
    char why[512] = "", token[KZ_TOKEN_MAX];
    const char *org, *role;
    struct kz_key key;
    json_t *body, *j;
    kz_err err = KZ_ERR_INVALID;

    if (!kz_api__require(caller, true, resp) || !(body = kz_api__body(hub, req, resp)))
        return;
    org = kz_json_str(body, "org");
    role = kz_json_str(body, "role");
    if (!org || !role)
        snprintf(why, sizeof(why), "'org' and 'role' are required strings");
    else
        err = kz_admin_key_create(hub->store, org, role, &key, token, why, sizeof(why));
    json_decref(body);
    if (err != KZ_OK) {
        kz_api__admin_error(resp, err == KZ_ERR_NOTFOUND ? KZ_ERR_INVALID : err, why);
        return;
    }
    j = kz_admin_key_json(&key);
    json_object_set_new(j, "token", json_string(token));
    sodium_memzero(token, sizeof(token));
    kz_http_json(resp, 201, KZ_MEDIA_JSON, j);
}

KZ_API_HANDLER(kz_api_key_revoke)
{
    struct kz_key key;

    if (!kz_api__require(caller, true, resp))
        return;
    if (kz_store_key_revoke(hub->store, req->segments[0], kz_time_now_us()) != KZ_OK ||
        kz_store_key_get(hub->store, req->segments[0], &key) != KZ_OK) {
        kz_http_error(resp, false, 404, "Not found", "no key '%.64s'", req->segments[0]);
        return;
    }
    kz_http_json(resp, 200, KZ_MEDIA_JSON, kz_admin_key_json(&key));
}

struct coll_list {
    const struct kz_caller *caller;
    json_t *list;
};

static void
append_collection(void *ctx, const struct kz_collection *c)
{
    struct coll_list *cl = ctx;

    if (cl->caller->role == KZ_ROLE_ADMIN || kz_policy_can_read(cl->caller, c) ||
        kz_policy_can_write(cl->caller, c))
        json_array_append_new(cl->list, kz_admin_collection_json(c));
}

KZ_API_HANDLER(kz_api_collections_list)
{
    struct coll_list cl = {caller, json_array()};

    (void)req;
    if (!kz_api__require(caller, false, resp) ||
        kz_store_collection_list(hub->store, append_collection, &cl) != KZ_OK) {
        if (resp->status == 500)
            kz_http_error(resp, false, 500, "Internal error", "cannot list collections");
        json_decref(cl.list);
        return;
    }
    kz_http_json(resp, 200, KZ_MEDIA_JSON, json_pack("{s:o}", "collections", cl.list));
}

KZ_API_HANDLER(kz_api_collection_get)
{
    struct kz_collection c;

    if (!kz_api__require(caller, false, resp))
        return;
    if (kz_store_collection_get(hub->store, req->segments[0], &c) != KZ_OK ||
        !(caller->role == KZ_ROLE_ADMIN || kz_policy_can_read(caller, &c) ||
          kz_policy_can_write(caller, &c))) {
        kz_http_error(resp, false, 404, "Not found", "no collection '%.64s'", req->segments[0]);
        return;
    }
    kz_http_json(resp, 200, KZ_MEDIA_JSON, kz_admin_collection_json(&c));
}

KZ_API_HANDLER(kz_api_collections_add)
{
    struct kz_collection c;
    char why[512] = "";
    json_t *body;
    kz_err err;

    if (!kz_api__require(caller, true, resp) || !(body = kz_api__body(hub, req, resp)))
        return;
    err = kz_admin_collection_from_json(body, &c, why, sizeof(why));
    if (err == KZ_OK)
        err = kz_admin_collection_add(hub->store, &c, why, sizeof(why));
    json_decref(body);
    if (err != KZ_OK) {
        kz_api__admin_error(resp, err, why);
        return;
    }
    kz_http_json(resp, 201, KZ_MEDIA_JSON, kz_admin_collection_json(&c));
}
