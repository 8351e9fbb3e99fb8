/*
 * Who may do what: roles, principals, collection access and the TLP rules of DESIGN.md.
 * Pure logic; no I/O.
 */
#ifndef KZ_POLICY_POLICY_H
#define KZ_POLICY_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "store/store.h"
#include "stix/stix.h"

enum kz_role {
    KZ_ROLE_ADMIN = 0,
    KZ_ROLE_GSOC = 1,
    KZ_ROLE_MEMBER = 2,
    KZ_ROLE_SENSOR = 3,
};

const char *kz_role_name(enum kz_role role);
kz_err kz_role_parse(struct kz_str s, enum kz_role *out);

/* The organisation types of DESIGN.md. */
bool kz_org_type_valid(const char *type);

/* Slugs and sector names: 1..63 bytes of [a-z0-9-], not starting or ending with '-'. */
bool kz_slug_valid(const char *s);

/* Who is asking. An anonymous caller has authenticated == false and nothing else set. */
struct kz_caller {
    bool authenticated;
    char key_id[KZ_KEY_ID_MAX];
    enum kz_role role;
    struct kz_org org;
};

/*
 * Checks a principal list ("public member org:acme sector:finance type:isp role:gsoc",
 * separated by spaces or commas). Returns KZ_ERR_INVALID naming the bad principal.
 */
kz_err kz_principals_check(const char *list, char *why, size_t whylen);

/* True when the caller is one of the principals in list. */
bool kz_policy_matches(const struct kz_caller *c, const char *list);

/* May the caller see that the collection exists and read from it? gsoc reads everything. */
bool kz_policy_can_read(const struct kz_caller *c, const struct kz_collection *coll);
bool kz_policy_can_write(const struct kz_caller *c, const struct kz_collection *coll);

/*
 * The most restrictive TLP the caller may read in the collection: CLEAR for anonymous
 * callers; RED only when the caller's organisation is named by an org: reader;
 * otherwise AMBER+STRICT, and never above the collection's max_tlp.
 */
enum kz_tlp kz_policy_read_max_tlp(const struct kz_caller *c, const struct kz_collection *coll);

/*
 * Checks a collection definition: a collection readable by public has max_tlp CLEAR;
 * a collection whose max_tlp is RED has readers that are only org: (and role:) principals.
 */
kz_err kz_policy_check_collection(const struct kz_collection *coll, char *why, size_t whylen);

/*
 * May the caller place this object into the collection? Applies, in order: the sensor
 * role writes only sightings, observed-data and observables; the object's TLP is within
 * the collection's max_tlp; TLP:RED only into collections read by named organisations;
 * AMBER and above re-shared into another collection only by the creating organisation
 * (the org whose identity is created_by_ref, else the first submitter).
 * creator_org is the slug of the organisation that created the object ("" if unknown).
 * Returns KZ_ERR_DENIED with the reason.
 */
kz_err kz_policy_check_write(const struct kz_caller *c, const struct kz_collection *coll,
                             const struct kz_object_in *obj, const struct kz_object_origin *origin,
                             const char *creator_org, char *why, size_t whylen);

#endif
