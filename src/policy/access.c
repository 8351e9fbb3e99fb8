/*
 * The sharing rules of DESIGN.md: who reads and writes a collection, which TLP a reader may
 * see, which collection definitions are allowed, and which writes TLP permits.
 */
#include "policy/policy_int.h"

#include <stdio.h>
#include <string.h>

#include "base/banned.h"

static const char *const tlp_labels[KZ_TLP_COUNT] = {
    "TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED",
};

static const char *
label(enum kz_tlp t)
{
    return (unsigned)t < KZ_TLP_COUNT ? tlp_labels[t] : "TLP:?";
}

static bool
is_gsoc(const struct kz_caller *c)
{
    return c && c->authenticated && c->role == KZ_ROLE_GSOC;
}

bool
kz_policy_can_read(const struct kz_caller *c, const struct kz_collection *coll)
{
    /* The coordinating centre reads every collection; TLP:RED is filtered by
     * kz_policy_read_max_tlp. An admin reads only what its principals allow. */
    if (is_gsoc(c))
        return true;
    return kz_policy_matches(c, coll->readers);
}

bool
kz_policy_can_write(const struct kz_caller *c, const struct kz_collection *coll)
{
    if (!c || !c->authenticated)
        return false;
    return kz_policy_matches(c, coll->writers);
}

/* True when the caller's own organisation is named by an org: principal of list. */
static bool
org_named(const struct kz_caller *c, const char *list)
{
    struct kz_policy__principal p;
    size_t pos = 0;

    if (!c || !c->authenticated || !c->org.slug[0])
        return false;
    while (kz_policy__next(list, &pos, &p)) {
        if (kz_str_eq_cstr(p.kind, "org") && kz_str_eq_cstr(p.value, c->org.slug))
            return true;
    }
    return false;
}

/* True when readers names at least one organisation and nothing wider than org: or role:. */
static bool
readers_named_only(const char *readers)
{
    struct kz_policy__principal p;
    size_t pos = 0;
    bool any_org = false;

    while (kz_policy__next(readers, &pos, &p)) {
        if (p.value.n > 0 && kz_str_eq_cstr(p.kind, "org"))
            any_org = true;
        else if (!(p.value.n > 0 && kz_str_eq_cstr(p.kind, "role")))
            return false;
    }
    return any_org;
}

static bool
readers_public(const char *readers)
{
    struct kz_policy__principal p;
    size_t pos = 0;

    while (kz_policy__next(readers, &pos, &p)) {
        if (kz_str_eq_cstr(p.text, "public"))
            return true;
    }
    return false;
}

enum kz_tlp
kz_policy_read_max_tlp(const struct kz_caller *c, const struct kz_collection *coll)
{
    enum kz_tlp max;

    if (!c || !c->authenticated)
        max = KZ_TLP_CLEAR;
    else if (org_named(c, coll->readers))
        max = KZ_TLP_RED;
    else
        max = KZ_TLP_AMBER_STRICT;
    if (coll->max_tlp < max)
        max = coll->max_tlp;
    return max;
}

kz_err
kz_policy_check_collection(const struct kz_collection *coll, char *why, size_t whylen)
{
    if (readers_public(coll->readers) && coll->max_tlp != KZ_TLP_CLEAR) {
        snprintf(why, whylen, "a collection read by 'public' must have max TLP:CLEAR, not %s",
                 label(coll->max_tlp));
        return KZ_ERR_INVALID;
    }
    if (coll->max_tlp == KZ_TLP_RED && !readers_named_only(coll->readers)) {
        snprintf(why, whylen,
                 "TLP:RED may only go to collections read by named organisations: "
                 "readers must be org: (and role:) principals");
        return KZ_ERR_INVALID;
    }
    return KZ_OK;
}

static bool
sensor_type_allowed(const char *type)
{
    return type && (strcmp(type, "sighting") == 0 || strcmp(type, "observed-data") == 0 ||
                    kz_stix_type_is_sco(type));
}

kz_err
kz_policy_check_write(const struct kz_caller *c, const struct kz_collection *coll,
                      const struct kz_object_in *obj, const struct kz_object_origin *origin,
                      const char *creator_org, char *why, size_t whylen)
{
    const char *creator;

    if (c && c->role == KZ_ROLE_SENSOR && !sensor_type_allowed(obj->type)) {
        snprintf(why, whylen,
                 "the sensor role may only write sightings, observed-data and observables, "
                 "not '%.64s'",
                 obj->type ? obj->type : "");
        return KZ_ERR_DENIED;
    }
    if (obj->tlp > coll->max_tlp) {
        snprintf(why, whylen, "%s exceeds the collection's max %s", label(obj->tlp),
                 label(coll->max_tlp));
        return KZ_ERR_DENIED;
    }
    if (obj->tlp == KZ_TLP_RED && !readers_named_only(coll->readers)) {
        snprintf(why, whylen, "TLP:RED may only go to collections read by named organisations");
        return KZ_ERR_DENIED;
    }
    /* Re-sharing: placing an AMBER or more restrictive object that already lives in another
     * collection here is the creator's decision alone. */
    if (obj->tlp >= KZ_TLP_AMBER && origin && origin->known && origin->in_other_collection) {
        creator = creator_org && creator_org[0] ? creator_org : origin->first_org;
        if (!c || !c->authenticated || !creator[0] || strcmp(c->org.slug, creator) != 0) {
            snprintf(why, whylen, "only the creating organisation may re-share %s objects",
                     label(obj->tlp));
            return KZ_ERR_DENIED;
        }
    }
    return KZ_OK;
}
