/*
 * The HTTP side of the hub: requests and responses as plain structs, the server (over
 * libmicrohttpd), authentication, and error documents. Handlers of TAXII and the JSON API
 * see only these types.
 */
#ifndef KZ_HTTP_HTTP_H
#define KZ_HTTP_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/config.h"
#include "base/err.h"
#include "base/json.h"
#include "policy/policy.h"
#include "stix/stix.h"
#include "store/store.h"

#define KZ_MEDIA_TAXII "application/taxii+json;version=2.1"
#define KZ_MEDIA_STIX "application/stix+json;version=2.1"
#define KZ_MEDIA_JSON "application/json"
#define KZ_HTTP_MAX_PARAMS 64
#define KZ_HTTP_MAX_SEGMENTS 8
#define KZ_HTTP_MAX_HEADERS 6

struct kz_hub;
struct kz_rules;

/* What one accepted TAXII write stored; results[i] is the outcome of objs[i]. */
struct kz_write_event {
    const struct kz_caller *caller;
    const struct kz_collection *collection;
    const struct kz_object_in *objs;
    const struct kz_put_result *results;
    size_t n;
    const json_t *const *parsed; /* parsed[i] is objs[i] as JSON (borrowed), or NULL */
};

/*
 * A component that follows the write path (DESIGN.md: correlation, notifications): called
 * inside the write's transaction after the objects are stored; an error undoes the whole
 * write. Write only through the struct kz_store_tx.
 */
typedef kz_err (*kz_hub_write_hook)(struct kz_hub *hub, struct kz_store_tx *tx,
                                    const struct kz_write_event *ev);

#define KZ_HUB_MAX_WRITE_HOOKS 8

/* What every handler shares: the store, the settings, the write hooks. */
struct kz_hub {
    struct kz_store *store;
    struct kz_config config;
    enum kz_tlp default_tlp;
    struct kz_json_limits json_limits;
    kz_hub_write_hook write_hooks[KZ_HUB_MAX_WRITE_HOOKS];
    size_t n_write_hooks;
    /* Correlation rules; NULL when correlation is off. Atomic: SIGHUP swaps in a new set
     * while writes run (kizuna serve keeps the old one until it stops). */
    const struct kz_rules *_Atomic rules;
};

struct kz_http_param {
    const char *key;   /* decoded; borrowed from the connection */
    const char *value; /* decoded; "" for a key without '=' */
};

struct kz_http_request {
    const char *method;
    const char *path; /* decoded, without the query */
    const char *accept;
    const char *content_type;
    const char *authorization;
    struct kz_http_param params[KZ_HTTP_MAX_PARAMS];
    size_t n_params;
    bool too_many_params;
    const char *body;
    size_t body_len;
    const char *segments[KZ_HTTP_MAX_SEGMENTS]; /* the {} parts of the matched route */
    size_t n_segments;
};

struct kz_http_header {
    char name[48];
    char value[256];
};

struct kz_http_response {
    int status;
    const char *content_type; /* static string */
    struct kz_buf body;
    struct kz_http_header headers[KZ_HTTP_MAX_HEADERS];
    size_t n_headers;
};

typedef void (*kz_http_handler)(struct kz_hub *hub, const struct kz_http_request *req,
                                const struct kz_caller *caller, struct kz_http_response *resp);

/* Routes: a method, a path pattern whose "{}" parts match one segment, a handler. */
struct kz_http_route {
    const char *method;
    const char *pattern;
    kz_http_handler handler;
    bool taxii; /* errors as TAXII documents with the TAXII media type */
};

/* Finds the route for a request; fills req->segments. 404 or 405 in *status when none. */
const struct kz_http_route *kz_http_route_find(struct kz_http_request *req, int *status);

/* Serves a request from start to end: routing, authentication, the handler. */
void kz_http_dispatch(struct kz_hub *hub, struct kz_http_request *req,
                      struct kz_http_response *resp);

/* Resolves the caller from the Authorization header (anonymous when absent). */
kz_err kz_http_authenticate(struct kz_hub *hub, const struct kz_http_request *req,
                            struct kz_caller *caller);

void kz_http_response_init(struct kz_http_response *resp);
void kz_http_response_release(struct kz_http_response *resp);
void kz_http_add_header(struct kz_http_response *resp, const char *name, const char *value);

/*
 * Writes an error document: {"title", "description", "http_status", "error_code"} with the
 * status; TAXII media type when taxii is true.
 */
void kz_http_error(struct kz_http_response *resp, bool taxii, int status, const char *title,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* A JSON body (compact), status and media type; the reference to j is stolen. */
void kz_http_json(struct kz_http_response *resp, int status, const char *media, json_t *j);

/* The value of the first query parameter named key, or NULL. */
const char *kz_http_param(const struct kz_http_request *req, const char *key);

/* Media types: does an Accept header allow TAXII 2.1 (or JSON when json_ok)? */
bool kz_http_accepts(const char *accept, bool json_ok);
/* Is a Content-Type TAXII 2.1 (or STIX, or plain JSON when json_ok)? */
bool kz_http_content_type_ok(const char *content_type, bool json_ok);

/* ---- the server ---- */

struct kz_http_server;

/* Starts serving in background threads; out receives the running server. */
kz_err kz_http_server_start(struct kz_hub *hub, struct kz_http_server **out, char *why,
                            size_t whylen);
/* The port actually bound (useful with port 0). */
unsigned kz_http_server_port(const struct kz_http_server *srv);
/* Stops accepting, lets in-flight requests finish, closes. */
void kz_http_server_stop(struct kz_http_server *srv);

#endif
