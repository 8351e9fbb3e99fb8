/* JSON forms of organisations, keys and collections, and reading them from requests. */
#include "admin/admin.h"

#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/time.h"
#include "base/banned.h"

json_t *
kz_admin_org_json(const struct kz_org *org)
{
    char ts[KZ_TIME_TEXT_MAX];

    kz_time_format_ms(org->created_us, ts);
    return json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s, s:s}", "slug", org->slug, "name",
                     org->name, "type", org->type, "sector", org->sector[0] ? org->sector : NULL,
                     "country", org->country[0] ? org->country : NULL, "identity",
                     org->identity_id, "created", ts);
}

json_t *
kz_admin_key_json(const struct kz_key *key)
{
    char ts[KZ_TIME_TEXT_MAX], rv[KZ_TIME_TEXT_MAX];

    kz_time_format_ms(key->created_us, ts);
    if (key->revoked_us)
        kz_time_format_ms(key->revoked_us, rv);
    return json_pack("{s:s, s:s, s:s, s:s, s:s?}", "id", key->id, "org", key->org, "role",
                     key->role, "created", ts, "revoked", key->revoked_us ? rv : NULL);
}

static json_t *
principal_array(const char *list)
{
    json_t *a = json_array();

    for (const char *p = list; *p;) {
        size_t n = strcspn(p, " ,");
        if (n > 0)
            json_array_append_new(a, json_stringn(p, n));
        p += n;
        while (*p == ' ' || *p == ',')
            p++;
    }
    return a;
}

json_t *
kz_admin_collection_json(const struct kz_collection *c)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:s}", "id", c->id, "alias", c->alias,
                     "title", c->title, "description", c->description, "readers",
                     principal_array(c->readers), "writers", principal_array(c->writers),
                     "max_tlp", kz_tlp_name(c->max_tlp));
}

/* Principals may come as an array of strings or as one space-separated string. */
static kz_err
principals_from_json(const json_t *j, const char *name, char *out, size_t outlen, char *why,
                     size_t whylen)
{
    struct kz_buf b;
    size_t i;
    json_t *v;
    kz_err err = KZ_OK;

    if (json_is_string(j))
        return kz_cstr_copy(json_string_value(j), out, outlen) == KZ_OK ? KZ_OK : KZ_ERR_LIMIT;
    if (!json_is_array(j)) {
        snprintf(why, whylen, "'%s' must be an array of principals", name);
        return KZ_ERR_INVALID;
    }
    kz_buf_init(&b, outlen - 1);
    json_array_foreach(j, i, v) {
        if (!json_is_string(v)) {
            snprintf(why, whylen, "'%s' must hold only strings", name);
            err = KZ_ERR_INVALID;
            break;
        }
        err = kz_buf_printf(&b, "%s%s", i ? " " : "", json_string_value(v));
        if (err != KZ_OK) {
            snprintf(why, whylen, "'%s' is too long", name);
            break;
        }
    }
    if (err == KZ_OK)
        kz_cstr_copy(kz_buf_cstr(&b), out, outlen);
    kz_buf_release(&b);
    return err;
}

static kz_err
copy_field(const json_t *j, const char *name, bool required, char *out, size_t outlen, char *why,
           size_t whylen)
{
    const json_t *v = json_object_get(j, name);

    if (!v) {
        if (!required)
            return KZ_OK;
        snprintf(why, whylen, "'%s' is required", name);
        return KZ_ERR_INVALID;
    }
    if (!json_is_string(v)) {
        snprintf(why, whylen, "'%s' must be a string", name);
        return KZ_ERR_INVALID;
    }
    if (kz_cstr_copy(json_string_value(v), out, outlen) != KZ_OK) {
        snprintf(why, whylen, "'%s' is longer than %zu bytes", name, outlen - 1);
        return KZ_ERR_INVALID;
    }
    return KZ_OK;
}

kz_err
kz_admin_collection_from_json(const json_t *j, struct kz_collection *c, char *why, size_t whylen)
{
    char tlp[32] = "amber";
    kz_err err;

    memset(c, 0, sizeof(*c));
    if (!json_is_object(j)) {
        snprintf(why, whylen, "the body must be a JSON object");
        return KZ_ERR_INVALID;
    }
    err = copy_field(j, "alias", true, c->alias, sizeof(c->alias), why, whylen);
    if (err == KZ_OK)
        err = copy_field(j, "title", false, c->title, sizeof(c->title), why, whylen);
    if (err == KZ_OK)
        err = copy_field(j, "description", false, c->description, sizeof(c->description), why,
                         whylen);
    if (err == KZ_OK)
        err = copy_field(j, "max_tlp", false, tlp, sizeof(tlp), why, whylen);
    if (err == KZ_OK && kz_tlp_parse(kz_str_from_cstr(tlp), &c->max_tlp) != KZ_OK) {
        snprintf(why, whylen, "'max_tlp' must be clear, green, amber, amber+strict or red");
        err = KZ_ERR_INVALID;
    }
    if (err == KZ_OK) {
        const json_t *r = json_object_get(j, "readers"), *w = json_object_get(j, "writers");
        if (!r || !w) {
            snprintf(why, whylen, "'readers' and 'writers' are required");
            return KZ_ERR_INVALID;
        }
        err = principals_from_json(r, "readers", c->readers, sizeof(c->readers), why, whylen);
        if (err == KZ_OK)
            err = principals_from_json(w, "writers", c->writers, sizeof(c->writers), why, whylen);
    }
    return err;
}

kz_err
kz_admin_org_from_json(const json_t *j, struct kz_org *org, char *why, size_t whylen)
{
    kz_err err;

    memset(org, 0, sizeof(*org));
    if (!json_is_object(j)) {
        snprintf(why, whylen, "the body must be a JSON object");
        return KZ_ERR_INVALID;
    }
    err = copy_field(j, "slug", true, org->slug, sizeof(org->slug), why, whylen);
    if (err == KZ_OK)
        err = copy_field(j, "name", true, org->name, sizeof(org->name), why, whylen);
    if (err == KZ_OK)
        err = copy_field(j, "type", true, org->type, sizeof(org->type), why, whylen);
    if (err == KZ_OK)
        err = copy_field(j, "sector", false, org->sector, sizeof(org->sector), why, whylen);
    if (err == KZ_OK)
        err = copy_field(j, "country", false, org->country, sizeof(org->country), why, whylen);
    return err;
}
