/* The route table and dispatch: match, negotiate, authenticate, call the handler. */
#include "http/http.h"

#include <string.h>

#include "api/api.h"
#include "base/log.h"
#include "taxii/taxii.h"
#include "base/banned.h"

#define C "/taxii2/api/collections/{}"

static const struct kz_http_route routes[] = {
    {"GET", "/healthz", kz_api_health, false},
    {"GET", "/taxii2/", kz_taxii_discovery, true},
    {"GET", "/taxii2/api/", kz_taxii_api_root, true},
    {"GET", "/taxii2/api/status/{}/", kz_taxii_status, true},
    {"GET", "/taxii2/api/collections/", kz_taxii_collections, true},
    {"GET", C "/", kz_taxii_collection, true},
    {"GET", C "/objects/", kz_taxii_objects_get, true},
    {"POST", C "/objects/", kz_taxii_objects_post, true},
    {"GET", C "/objects/{}/", kz_taxii_object_get, true},
    {"DELETE", C "/objects/{}/", kz_taxii_object_delete, true},
    {"GET", C "/objects/{}/versions/", kz_taxii_versions, true},
    {"GET", C "/manifest/", kz_taxii_manifest, true},
    {"GET", "/api/v1/whoami", kz_api_whoami, false},
    {"GET", "/api/v1/orgs", kz_api_orgs_list, false},
    {"POST", "/api/v1/orgs", kz_api_orgs_add, false},
    {"GET", "/api/v1/orgs/{}", kz_api_org_get, false},
    {"GET", "/api/v1/sectors", kz_api_sectors_list, false},
    {"POST", "/api/v1/sectors", kz_api_sectors_add, false},
    {"GET", "/api/v1/keys", kz_api_keys_list, false},
    {"POST", "/api/v1/keys", kz_api_keys_create, false},
    {"DELETE", "/api/v1/keys/{}", kz_api_key_revoke, false},
    {"GET", "/api/v1/collections", kz_api_collections_list, false},
    {"POST", "/api/v1/collections", kz_api_collections_add, false},
    {"GET", "/api/v1/collections/{}", kz_api_collection_get, false},
    {"GET", "/api/v1/incidents", kz_api_incidents_list, false},
    {"POST", "/api/v1/incidents", kz_api_incidents_create, false},
    {"GET", "/api/v1/incidents/{}", kz_api_incident_get, false},
    {"POST", "/api/v1/incidents/{}", kz_api_incident_update, false},
    {"GET", "/api/v1/incidents/{}/timeline", kz_api_incident_timeline, false},
    {"POST", "/api/v1/incidents/{}/notes", kz_api_incident_note, false},
    {"POST", "/api/v1/incidents/{}/links", kz_api_incident_link, false},
    {"POST", "/api/v1/incidents/{}/publish", kz_api_incident_publish, false},
    {"GET", "/api/v1/webhooks", kz_api_webhooks_list, false},
    {"POST", "/api/v1/webhooks", kz_api_webhooks_add, false},
    {"GET", "/api/v1/webhooks/{}", kz_api_webhook_get, false},
    {"DELETE", "/api/v1/webhooks/{}", kz_api_webhook_delete, false},
    {"GET", "/api/v1/webhooks/{}/deliveries", kz_api_webhook_deliveries, false},
    {"POST", "/api/v1/webhooks/{}/deliveries/{}/retry", kz_api_webhook_delivery_retry, false},
    {"GET", "/api/v1/alerts", kz_api_alerts_list, false},
    {"GET", "/api/v1/alerts/{}", kz_api_alert_get, false},
    {"POST", "/api/v1/alerts/{}", kz_api_alert_post, false},
};

/* Matches path against pattern; "{}" takes one non-empty segment without '/'. */
static bool
path_matches(const char *pattern, const char *path, struct kz_http_request *req)
{
    size_t nseg = 0;

    while (*pattern) {
        if (pattern[0] == '{' && pattern[1] == '}') {
            size_t n = strcspn(path, "/");
            if (n == 0 || nseg == KZ_HTTP_MAX_SEGMENTS)
                return false;
            req->segments[nseg++] = path; /* ends at the next '/'; see kz_http_segment */
            path += n;
            pattern += 2;
            continue;
        }
        if (*pattern != *path)
            return false;
        pattern++;
        path++;
    }
    if (*path != '\0')
        return false;
    req->n_segments = nseg;
    return true;
}

const struct kz_http_route *
kz_http_route_find(struct kz_http_request *req, int *status)
{
    bool path_known = false;

    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (!path_matches(routes[i].pattern, req->path, req))
            continue;
        path_known = true;
        if (strcmp(routes[i].method, req->method) == 0 ||
            (strcmp(req->method, "HEAD") == 0 && strcmp(routes[i].method, "GET") == 0))
            return &routes[i];
    }
    *status = path_known ? 405 : 404;
    return NULL;
}

/* Segments are views into the path; copy one out as a C string. */
static void
terminate_segments(struct kz_http_request *req, char store[KZ_HTTP_MAX_SEGMENTS][300])
{
    for (size_t i = 0; i < req->n_segments; i++) {
        size_t n = strcspn(req->segments[i], "/");
        if (n >= 300)
            n = 299;
        memcpy(store[i], req->segments[i], n);
        store[i][n] = '\0';
        req->segments[i] = store[i];
    }
}

void
kz_http_dispatch(struct kz_hub *hub, struct kz_http_request *req, struct kz_http_response *resp)
{
    char segments[KZ_HTTP_MAX_SEGMENTS][300];
    const struct kz_http_route *route;
    struct kz_caller caller;
    bool taxii = strncmp(req->path, "/taxii2/", 8) == 0;
    int status = 404;

    route = kz_http_route_find(req, &status);
    if (!route) {
        if (status == 405)
            kz_http_error(resp, taxii, 405, "Method not allowed",
                          "'%s' is not allowed on this resource", req->method);
        else
            kz_http_error(resp, taxii, 404, "Not found", "no resource at this path");
        return;
    }
    terminate_segments(req, segments);
    if (req->too_many_params) {
        kz_http_error(resp, taxii, 400, "Bad query", "more than %d query parameters",
                      KZ_HTTP_MAX_PARAMS);
        return;
    }
    if (route->taxii && !kz_http_accepts(req->accept, false)) {
        kz_http_error(resp, true, 406, "Not acceptable",
                      "this endpoint answers only with '%s'", KZ_MEDIA_TAXII);
        return;
    }
    if (kz_http_authenticate(hub, req, &caller) != KZ_OK) {
        kz_http_error(resp, route->taxii, 401, "Unauthorized",
                      "the credentials are not valid (Bearer token, or Basic with key id and "
                      "token)");
        return;
    }
    route->handler(hub, req, &caller, resp);
    if (route->taxii && resp->status < 300 && resp->content_type == NULL)
        resp->content_type = KZ_MEDIA_TAXII;
    if (resp->status == 401 && resp->n_headers == 0) {
        kz_http_add_header(resp, "WWW-Authenticate", "Bearer realm=\"kizuna\"");
        kz_http_add_header(resp, "WWW-Authenticate", "Basic realm=\"kizuna\"");
    }
    kz_log(KZ_LOG_DEBUG, "request method=%s path='%s' status=%d org=%s", req->method, req->path,
           resp->status, caller.authenticated ? caller.org.slug : "-");
}
