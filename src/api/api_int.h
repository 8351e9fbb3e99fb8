/* Shared inside src/api: role checks and request bodies. */
#ifndef KZ_API_API_INT_H
#define KZ_API_API_INT_H

#include "api/api.h"

/* Answers 401/403 and returns false unless the caller is authenticated (and admin when asked). */
bool kz_api__require(const struct kz_caller *caller, bool admin, struct kz_http_response *resp);

/* Parses a JSON request body; answers 400/415 and returns NULL when it cannot. */
json_t *kz_api__body(struct kz_hub *hub, const struct kz_http_request *req,
                     struct kz_http_response *resp);

/* Maps an admin error to a response: 400 invalid, 409 conflict, 404 not found, else 500. */
void kz_api__admin_error(struct kz_http_response *resp, kz_err err, const char *why);

#endif
