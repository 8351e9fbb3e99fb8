/* Initialisation and the rules for sectors, organisations and collections. */
#include "admin/admin.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>
#include <stdlib.h>

#include "base/json.h"
#include "base/time.h"
#include "policy/policy.h"
#include "base/banned.h"

const char *const kz_default_sectors[] = {
    "ict",    "finance", "aviation",   "railway", "electricity",
    "gas",    "government", "medical", "water",   "logistics",
    NULL,
};

static kz_err
add_collection(struct kz_store *s, const char *alias, const char *title, const char *readers,
               const char *writers, enum kz_tlp max_tlp, char *why, size_t whylen)
{
    struct kz_collection c;

    memset(&c, 0, sizeof(c));
    if (kz_cstr_copy(alias, c.alias, sizeof(c.alias)) != KZ_OK ||
        kz_cstr_copy(title, c.title, sizeof(c.title)) != KZ_OK ||
        kz_cstr_copy(readers, c.readers, sizeof(c.readers)) != KZ_OK ||
        kz_cstr_copy(writers, c.writers, sizeof(c.writers)) != KZ_OK) {
        snprintf(why, whylen, "collection '%s' has a field that is too long", alias);
        return KZ_ERR_LIMIT;
    }
    c.max_tlp = max_tlp;
    return kz_admin_collection_add(s, &c, why, whylen);
}

kz_err
kz_admin_sector_add(struct kz_store *s, const char *name, char *why, size_t whylen)
{
    char alias[KZ_ALIAS_MAX], title[KZ_NAME_MAX], readers[KZ_PRINCIPALS_MAX];
    kz_err err;

    if (!kz_slug_valid(name)) {
        snprintf(why, whylen, "sector name '%s' must be 1-63 of a-z, 0-9 and '-'", name);
        return KZ_ERR_INVALID;
    }
    err = kz_store_sector_add(s, name);
    if (err == KZ_ERR_CONFLICT)
        snprintf(why, whylen, "sector '%s' exists already", name);
    if (err != KZ_OK)
        return err;
    snprintf(alias, sizeof(alias), "sector-%s", name);
    snprintf(title, sizeof(title), "Sector %s", name);
    snprintf(readers, sizeof(readers), "sector:%s role:gsoc", name);
    return add_collection(s, alias, title, readers, readers, KZ_TLP_AMBER, why, whylen);
}

/* The organisation's STIX identity, marked TLP:GREEN so that every member may resolve it. */
static kz_err
store_identity(struct kz_store *s, const struct kz_org *org, char *why, size_t whylen)
{
    struct kz_collection community;
    struct kz_object_in in;
    struct kz_put_result res;
    char ts[KZ_TIME_TEXT_MAX];
    json_t *o;
    char *text;
    kz_err err;

    err = kz_store_collection_get(s, "community", &community);
    if (err != KZ_OK) {
        snprintf(why, whylen, "the community collection is missing; run 'kizuna init' first");
        return err;
    }
    kz_time_format_ms(org->created_us, ts);
    o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s]}", "type", "identity",
                  "spec_version", "2.1", "id", org->identity_id, "created", ts, "modified", ts,
                  "name", org->name, "identity_class", "organization", "object_marking_refs",
                  kz_tlp_marking_id(KZ_TLP_GREEN));
    if (!o)
        return KZ_ERR_NOMEM;
    if (org->sector[0])
        json_object_set_new(o, "sectors", json_pack("[s]", org->sector));
    json_object_set_new(o, "x_kizuna_org", json_string(org->slug));
    text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!text)
        return KZ_ERR_NOMEM;
    memset(&in, 0, sizeof(in));
    in.id = org->identity_id;
    in.type = "identity";
    in.spec_version = "2.1";
    in.version = ts;
    in.version_us = org->created_us / 1000 * 1000;
    in.tlp = KZ_TLP_GREEN;
    in.json = text;
    in.json_len = strlen(text);
    err = kz_store_objects_put(s, community.id, org->slug, &in, 1, NULL, NULL, &res);
    free(text);
    if (err != KZ_OK)
        snprintf(why, whylen, "cannot store the identity of '%s': %s", org->slug, kz_err_str(err));
    return err;
}

kz_err
kz_admin_org_add(struct kz_store *s, struct kz_org *org, char *why, size_t whylen)
{
    char alias[KZ_ALIAS_MAX], title[KZ_NAME_MAX], readers[KZ_PRINCIPALS_MAX];
    kz_err err;

    if (!kz_slug_valid(org->slug)) {
        snprintf(why, whylen, "organisation slug '%s' must be 1-63 of a-z, 0-9 and '-'",
                 org->slug);
        return KZ_ERR_INVALID;
    }
    if (!org->name[0]) {
        snprintf(why, whylen, "organisation '%s' needs a name", org->slug);
        return KZ_ERR_INVALID;
    }
    if (!kz_org_type_valid(org->type)) {
        snprintf(why, whylen,
                 "organisation type '%s' is not one of government, cip, company, education, "
                 "isp, security-vendor, partner, sme",
                 org->type);
        return KZ_ERR_INVALID;
    }
    if (org->sector[0] && !kz_store_sector_exists(s, org->sector)) {
        snprintf(why, whylen, "sector '%s' does not exist; add it with 'kizuna sector add'",
                 org->sector);
        return KZ_ERR_INVALID;
    }
    if (org->country[0] && (strlen(org->country) != 2 || !isupper((unsigned char)org->country[0]) ||
                            !isupper((unsigned char)org->country[1]))) {
        snprintf(why, whylen, "country '%s' must be two upper-case letters (ISO 3166-1)",
                 org->country);
        return KZ_ERR_INVALID;
    }
    org->created_us = kz_time_now_us();
    err = kz_stix_id_new("identity", org->identity_id);
    if (err != KZ_OK)
        return err;
    err = kz_store_org_add(s, org);
    if (err == KZ_ERR_CONFLICT)
        snprintf(why, whylen, "organisation '%s' exists already", org->slug);
    if (err != KZ_OK)
        return err;
    snprintf(alias, sizeof(alias), "org-%s", org->slug);
    snprintf(title, sizeof(title), "%.200s (private)", org->name);
    snprintf(readers, sizeof(readers), "org:%s role:gsoc", org->slug);
    err = add_collection(s, alias, title, readers, readers, KZ_TLP_RED, why, whylen);
    if (err != KZ_OK)
        return err;
    return store_identity(s, org, why, whylen);
}

static void
token_hash(const char *secret, unsigned char out[32])
{
    crypto_generichash(out, 32, (const unsigned char *)secret, strlen(secret), NULL, 0);
}

kz_err
kz_admin_key_create(struct kz_store *s, const char *org, const char *role, struct kz_key *key,
                    char token[KZ_TOKEN_MAX], char *why, size_t whylen)
{
    struct kz_org o;
    enum kz_role r;
    char secret[65], hex[25];
    kz_err err;

    if (kz_role_parse(kz_str_from_cstr(role), &r) != KZ_OK) {
        snprintf(why, whylen, "role '%s' is not one of admin, gsoc, member, sensor", role);
        return KZ_ERR_INVALID;
    }
    err = kz_store_org_get(s, org, &o);
    if (err != KZ_OK) {
        snprintf(why, whylen, "organisation '%s' does not exist", org);
        return err;
    }
    memset(key, 0, sizeof(*key));
    kz_random_hex(12, hex);
    snprintf(key->id, sizeof(key->id), "kz_%s", hex);
    kz_cstr_copy(org, key->org, sizeof(key->org));
    kz_cstr_copy(kz_role_name(r), key->role, sizeof(key->role));
    kz_random_hex(32, secret);
    token_hash(secret, key->hash);
    key->created_us = kz_time_now_us();
    err = kz_store_key_add(s, key);
    if (err != KZ_OK) {
        snprintf(why, whylen, "cannot store the key: %s", kz_err_str(err));
        sodium_memzero(secret, sizeof(secret));
        return err;
    }
    snprintf(token, KZ_TOKEN_MAX, "%s.%s", key->id, secret);
    sodium_memzero(secret, sizeof(secret));
    return KZ_OK;
}

kz_err
kz_admin_key_verify(struct kz_store *s, const char *key_id, const char *token, struct kz_key *key)
{
    const char *dot = strchr(token, '.');
    char id[KZ_KEY_ID_MAX];
    unsigned char h[32];
    struct kz_key k;

    if (!dot || (size_t)(dot - token) >= sizeof(id))
        return KZ_ERR_UNAUTHENTICATED;
    memcpy(id, token, (size_t)(dot - token));
    id[dot - token] = '\0';
    if (key_id && strcmp(key_id, id) != 0)
        return KZ_ERR_UNAUTHENTICATED;
    if (kz_store_key_get(s, id, &k) != KZ_OK || k.revoked_us != 0)
        return KZ_ERR_UNAUTHENTICATED;
    token_hash(dot + 1, h);
    if (sodium_memcmp(h, k.hash, sizeof(h)) != 0)
        return KZ_ERR_UNAUTHENTICATED;
    *key = k;
    return KZ_OK;
}

kz_err
kz_admin_collection_add(struct kz_store *s, struct kz_collection *c, char *why, size_t whylen)
{
    kz_err err;

    if (!c->alias[0] || strlen(c->alias) > 79 || !kz_slug_valid(c->alias)) {
        snprintf(why, whylen, "collection alias '%s' must be 1-63 of a-z, 0-9 and '-'", c->alias);
        return KZ_ERR_INVALID;
    }
    if (!c->title[0])
        kz_cstr_copy(c->alias, c->title, sizeof(c->title));
    err = kz_principals_check(c->readers, why, whylen);
    if (err == KZ_OK)
        err = kz_principals_check(c->writers, why, whylen);
    if (err == KZ_OK)
        err = kz_policy_check_collection(c, why, whylen);
    if (err != KZ_OK)
        return err;
    if (!c->id[0])
        kz_uuid_v4(c->id);
    else if (!kz_uuid_valid(kz_str_from_cstr(c->id))) {
        snprintf(why, whylen, "collection id '%s' is not a UUID", c->id);
        return KZ_ERR_INVALID;
    }
    c->created_us = kz_time_now_us();
    err = kz_store_collection_add(s, c);
    if (err == KZ_ERR_CONFLICT)
        snprintf(why, whylen, "collection '%s' exists already", c->alias);
    else if (err != KZ_OK)
        snprintf(why, whylen, "cannot store collection '%s': %s", c->alias, kz_err_str(err));
    return err;
}

kz_err
kz_admin_init(struct kz_store *s, const char *centre_slug, struct kz_key *key,
              char token[KZ_TOKEN_MAX], char *why, size_t whylen)
{
    struct kz_org centre, existing;
    kz_err err;

    if (kz_store_collection_get(s, "community", &(struct kz_collection){0}) == KZ_OK ||
        kz_store_org_get(s, centre_slug, &existing) == KZ_OK) {
        snprintf(why, whylen, "the database is initialised already");
        return KZ_ERR_CONFLICT;
    }
    err = add_collection(s, "public", "Public (TLP:CLEAR)", "public", "role:gsoc", KZ_TLP_CLEAR,
                         why, whylen);
    if (err == KZ_OK)
        err = add_collection(s, "community", "Community", "member", "member", KZ_TLP_AMBER, why,
                             whylen);
    for (size_t i = 0; err == KZ_OK && kz_default_sectors[i]; i++)
        err = kz_admin_sector_add(s, kz_default_sectors[i], why, whylen);
    if (err != KZ_OK)
        return err;
    memset(&centre, 0, sizeof(centre));
    if (kz_cstr_copy(centre_slug, centre.slug, sizeof(centre.slug)) != KZ_OK) {
        snprintf(why, whylen, "centre slug is too long");
        return KZ_ERR_INVALID;
    }
    kz_cstr_copy("Government Security Operations Centre", centre.name, sizeof(centre.name));
    kz_cstr_copy("government", centre.type, sizeof(centre.type));
    err = kz_admin_org_add(s, &centre, why, whylen);
    if (err != KZ_OK)
        return err;
    return kz_admin_key_create(s, centre.slug, "admin", key, token, why, whylen);
}
