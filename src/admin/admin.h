/*
 * Administration of the hub, shared by the command line and the JSON API: initialising a
 * database, organisations, sectors, keys and collections, with their rules.
 */
#ifndef KZ_ADMIN_ADMIN_H
#define KZ_ADMIN_ADMIN_H

#include <stddef.h>

#include "base/err.h"
#include "store/store.h"

#define KZ_TOKEN_MAX 128 /* "<key id>.<64 hex digits>" and a NUL */

/* The ten sectors every hub starts with. */
extern const char *const kz_default_sectors[];

/*
 * Creates the default sectors, the centre's organisation (type government), the public,
 * community and sector-<name> collections, the centre's org-<slug> collection, and an
 * admin key of the centre. KZ_ERR_CONFLICT when the database was initialised already.
 */
kz_err kz_admin_init(struct kz_store *s, const char *centre_slug, struct kz_key *key,
                     char token[KZ_TOKEN_MAX], char *why, size_t whylen);

/* Adds a sector and its sector-<name> collection. */
kz_err kz_admin_sector_add(struct kz_store *s, const char *name, char *why, size_t whylen);

/*
 * Adds an organisation: checks slug, type, sector and country; creates its STIX identity
 * (shared TLP:GREEN in the community collection) and its private org-<slug> collection.
 * org->identity_id and org->created_us are filled in.
 */
kz_err kz_admin_org_add(struct kz_store *s, struct kz_org *org, char *why, size_t whylen);

/* Creates a key; the token is returned once and only its hash is stored. */
kz_err kz_admin_key_create(struct kz_store *s, const char *org, const char *role,
                           struct kz_key *key, char token[KZ_TOKEN_MAX], char *why,
                           size_t whylen);

/*
 * Adds a collection after checking alias, principals and the TLP rules of DESIGN.md.
 * c->id is generated when empty; c->created_us is filled in.
 */
kz_err kz_admin_collection_add(struct kz_store *s, struct kz_collection *c, char *why,
                               size_t whylen);

/*
 * Verifies a token against the key it names ("<key id>.<secret>"); key_id, when given, must
 * be that id (HTTP Basic sends it as the user). On success fills key. Constant-time compare.
 */
kz_err kz_admin_key_verify(struct kz_store *s, const char *key_id, const char *token,
                           struct kz_key *key);



/* ---- JSON forms, shared by the JSON API and the command line's --json ---- */
#include <jansson.h>

json_t *kz_admin_org_json(const struct kz_org *org);
json_t *kz_admin_key_json(const struct kz_key *key);
json_t *kz_admin_collection_json(const struct kz_collection *c);

/* Fills c from {"alias", "title"?, "description"?, "readers", "writers", "max_tlp"}. */
kz_err kz_admin_collection_from_json(const json_t *j, struct kz_collection *c, char *why,
                                     size_t whylen);
/* Fills org from {"slug", "name", "type", "sector"?, "country"?}. */
kz_err kz_admin_org_from_json(const json_t *j, struct kz_org *org, char *why, size_t whylen);
#endif
