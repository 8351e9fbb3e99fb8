/* TAXII 2.1 endpoints: discovery, API root, collections, objects, manifest, status. */
#ifndef KZ_TAXII_TAXII_H
#define KZ_TAXII_TAXII_H

#include "base/limits.h"
#include "http/http.h"

void kz_taxii_discovery(struct kz_hub *hub, const struct kz_http_request *req,
                        const struct kz_caller *caller, struct kz_http_response *resp);
void kz_taxii_api_root(struct kz_hub *hub, const struct kz_http_request *req,
                       const struct kz_caller *caller, struct kz_http_response *resp);
void kz_taxii_status(struct kz_hub *hub, const struct kz_http_request *req,
                     const struct kz_caller *caller, struct kz_http_response *resp);
void kz_taxii_collections(struct kz_hub *hub, const struct kz_http_request *req,
                          const struct kz_caller *caller, struct kz_http_response *resp);
void kz_taxii_collection(struct kz_hub *hub, const struct kz_http_request *req,
                         const struct kz_caller *caller, struct kz_http_response *resp);
void kz_taxii_objects_get(struct kz_hub *hub, const struct kz_http_request *req,
                          const struct kz_caller *caller, struct kz_http_response *resp);
void kz_taxii_objects_post(struct kz_hub *hub, const struct kz_http_request *req,
                           const struct kz_caller *caller, struct kz_http_response *resp);
void kz_taxii_object_get(struct kz_hub *hub, const struct kz_http_request *req,
                         const struct kz_caller *caller, struct kz_http_response *resp);
void kz_taxii_object_delete(struct kz_hub *hub, const struct kz_http_request *req,
                            const struct kz_caller *caller, struct kz_http_response *resp);
void kz_taxii_versions(struct kz_hub *hub, const struct kz_http_request *req,
                       const struct kz_caller *caller, struct kz_http_response *resp);
void kz_taxii_manifest(struct kz_hub *hub, const struct kz_http_request *req,
                       const struct kz_caller *caller, struct kz_http_response *resp);

/* Which TAXII query parameters an endpoint takes. */
enum kz_taxii_params_flags {
    KZ_TAXII_P_ADDED_AFTER = 1u << 0,
    KZ_TAXII_P_LIMIT = 1u << 1,
    KZ_TAXII_P_NEXT = 1u << 2,
    KZ_TAXII_P_MATCH_ID = 1u << 3,
    KZ_TAXII_P_MATCH_TYPE = 1u << 4,
    KZ_TAXII_P_MATCH_VERSION = 1u << 5,
    KZ_TAXII_P_MATCH_SPEC_VERSION = 1u << 6,
};

/* Parsed query parameters; pointers borrow from the request and from the struct itself. */
struct kz_taxii_params {
    int64_t added_after_us; /* -1 when absent; next, when given, overrides it */
    size_t limit;
    char *strings;          /* owned: copies of the match[] values, split */
    const char *ids[KZ_LIMIT_QUERY_VALUES];
    size_t n_ids;
    const char *types[KZ_LIMIT_QUERY_VALUES];
    size_t n_types;
    const char *spec_versions[KZ_LIMIT_QUERY_VALUES];
    size_t n_spec_versions;
    enum kz_version_match version_match;
    int64_t versions[KZ_LIMIT_QUERY_VALUES];
    size_t n_versions;
};

/*
 * Parses the query parameters an endpoint allows (flags); unknown parameters and bad values
 * are KZ_ERR_INVALID with a reason. default_limit and max_limit bound limit.
 */
kz_err kz_taxii_params_parse(const struct kz_http_request *req, unsigned flags,
                             size_t default_limit, size_t max_limit, struct kz_taxii_params *out,
                             char *why, size_t whylen);
void kz_taxii_params_release(struct kz_taxii_params *p);

/* ---- the one write path (write.c): envelopes and the objects the hub composes ---- */
struct kz_taxii_batch;

/*
 * Validates objs[0..n) (references are held) for a write by caller into coll; an object
 * that fails validation is refused in its result. LIMIT for an empty or oversized batch.
 */
kz_err kz_taxii_batch_new(struct kz_hub *hub, const struct kz_caller *caller,
                          const struct kz_collection *coll, json_t *const *objs, size_t n,
                          struct kz_taxii_batch **out);
/* Stores the valid objects under the sharing rules and runs the hub's write hooks, inside tx.
 * May run again in a retried transaction. */
kz_err kz_taxii_batch_write(struct kz_taxii_batch *b, struct kz_store_tx *tx);
/* The outcome of object i: ADDED, DUPLICATE or REFUSED with a reason (valid after a write). */
const struct kz_put_result *kz_taxii_batch_result(const struct kz_taxii_batch *b, size_t i);
/* The id and version of object i as validation read them (NULL when absent). */
void kz_taxii_batch_ident(const struct kz_taxii_batch *b, size_t i, const char **id,
                          const char **version);
void kz_taxii_batch_free(struct kz_taxii_batch *b);

#endif
