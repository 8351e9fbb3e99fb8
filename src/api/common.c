/* Helpers of the JSON API handlers, and the health and whoami endpoints. */
#include "api/api_int.h"

#include <stdio.h>

#include "admin/admin.h"
#include "base/banned.h"

bool
kz_api__require(const struct kz_caller *caller, bool admin, struct kz_http_response *resp)
{
    if (!caller->authenticated) {
        kz_http_error(resp, false, 401, "Unauthorized", "this endpoint needs credentials");
        return false;
    }
    if (admin && caller->role != KZ_ROLE_ADMIN) {
        kz_http_error(resp, false, 403, "Forbidden", "this endpoint needs an admin key");
        return false;
    }
    return true;
}

json_t *
kz_api__body(struct kz_hub *hub, const struct kz_http_request *req, struct kz_http_response *resp)
{
    char why[512];
    json_t *j;
    kz_err err;

    if (!kz_http_content_type_ok(req->content_type, true)) {
        kz_http_error(resp, false, 415, "Unsupported media type", "send the body as '%s'",
                      KZ_MEDIA_JSON);
        return NULL;
    }
    err = kz_json_parse(req->body, req->body_len, &hub->json_limits, &j, why, sizeof(why));
    if (err != KZ_OK) {
        kz_http_error(resp, false, 400, "Bad request", "%s", why);
        return NULL;
    }
    return j;
}

void
kz_api__admin_error(struct kz_http_response *resp, kz_err err, const char *why)
{
    int status = err == KZ_ERR_INVALID || err == KZ_ERR_LIMIT ? 400 : kz_err_http_status(err);

    kz_http_error(resp, false, status, status == 409   ? "Conflict"
                                       : status == 404 ? "Not found"
                                       : status == 400 ? "Bad request"
                                                       : "Internal error",
                  "%s", why[0] ? why : kz_err_str(err));
}

void
kz_api_health(struct kz_hub *hub, const struct kz_http_request *req,
              const struct kz_caller *caller, struct kz_http_response *resp)
{
    (void)hub;
    (void)req;
    (void)caller;
    kz_http_json(resp, 200, KZ_MEDIA_JSON, json_pack("{s:s}", "status", "ok"));
}

void
kz_api_whoami(struct kz_hub *hub, const struct kz_http_request *req,
              const struct kz_caller *caller, struct kz_http_response *resp)
{
    (void)hub;
    (void)req;
    if (!kz_api__require(caller, false, resp))
        return;
    kz_http_json(resp, 200, KZ_MEDIA_JSON,
                 json_pack("{s:s, s:s, s:o}", "key", caller->key_id, "role",
                           kz_role_name(caller->role), "org", kz_admin_org_json(&caller->org)));
}
