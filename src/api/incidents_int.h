/*
 * Inside /api/v1/incidents: what the handlers of incidents.c (create, update, read, list),
 * incidents_thread.c (notes, links, timeline) and incidents_publish.c share.
 */
#ifndef KZ_API_INCIDENTS_INT_H
#define KZ_API_INCIDENTS_INT_H

#include "api/api_int.h"
#include "incident/incident.h"

#define NOTE_MAX                8192
#define PUBLISH_MAX_OBJECTS     100
#define PUBLISH_MAX_COLLECTIONS 16

/* The centre: gsoc and admin keys triage, publish and see every incident. */
bool kz_api__incident_triager(const struct kz_caller *c);
/* Authenticated, and a person of an organisation or the centre (not a sensor). */
bool kz_api__incident_require(const struct kz_caller *caller, struct kz_http_response *resp);
/* An incident the caller may see: the centre sees all, a member those it reported. */
bool kz_api__incident_load(struct kz_hub *hub, const struct kz_caller *caller, const char *id,
                           struct kz_incident_row *row, json_t **state,
                           struct kz_http_response *resp);
/* Writes one composed object as the caller into coll (the incident still at
 * expect_version when expect_id is given); answers and returns false on failure. */
bool kz_api__incident_write_one(struct kz_hub *hub, const struct kz_caller *caller,
                                const struct kz_collection *coll, json_t *obj,
                                const char *expect_id, int64_t expect_version,
                                struct kz_http_response *resp);
/* An optional string member of at most max bytes; answers 400 and returns false if bad. */
bool kz_api__opt_string(const json_t *body, const char *key, size_t max, const char **out,
                        struct kz_http_response *resp);
/* The body has no member other than keys[0..n); answers 400 and returns false otherwise. */
bool kz_api__only_keys(const json_t *body, const char *const *keys, size_t n,
                       struct kz_http_response *resp);
/* A new object's common head: id of type, created and modified now, by the caller. */
json_t *kz_api__incident_new_object(const char *type, const struct kz_caller *caller, int64_t now,
                                    char id[KZ_STIX_ID_MAX]);
/* The last version of an object in a collection, parsed; NULL when absent. */
json_t *kz_api__incident_fetch(struct kz_hub *hub, const char *collection_id, const char *id,
                               enum kz_tlp *tlp);

#endif
