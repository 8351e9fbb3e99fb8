/* Shared inside src/taxii: collection resolution and envelope writing. */
#ifndef KZ_TAXII_TAXII_INT_H
#define KZ_TAXII_TAXII_INT_H

#include "taxii/taxii.h"

enum kz_taxii_access {
    KZ_TAXII_READ = 0,
    KZ_TAXII_WRITE = 1,
};

/*
 * Resolves req->segments[0] (id or alias) to a collection the caller may use for access.
 * On refusal writes the response — 401 for an anonymous caller, 404 for a collection the
 * caller cannot see, 403 for one it can see but not use this way — and returns false.
 */
bool kz_taxii__collection(struct kz_hub *hub, const struct kz_http_request *req,
                          const struct kz_caller *caller, enum kz_taxii_access access,
                          struct kz_collection *out, struct kz_http_response *resp);

/* A collection resource as TAXII describes it. */
json_t *kz_taxii__collection_json(const struct kz_collection *c, const struct kz_caller *caller);

/* A status resource as TAXII describes it. */
json_t *kz_taxii__status_json(const struct kz_status *st);

/* Answers 400 (or 413) for a parameter error. */
void kz_taxii__param_error(struct kz_http_response *resp, kz_err err, const char *why);

#endif
