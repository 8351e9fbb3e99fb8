/* kz_stix_validate: the common properties of every STIX 2.1 object, then its type's rules. */
#include "stix/stix_int.h"

#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "base/time.h"
#include "base/banned.h"

static const char *const identity_t[] = {"identity", NULL};
static const char *const marking_t[] = {"marking-definition", NULL};

/* Property names: ASCII letters, digits and '_', 3-250 bytes ("id" is the one short name). */
static bool
property_name_valid(const char *key)
{
    size_t n = strlen(key);

    if (n > 250 || (n < 3 && strcmp(key, "id") != 0))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = key[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    }
    return true;
}

static int
property_names(struct kz_stix__ctx *v)
{
    const char *key;
    json_t *val;

    json_object_foreach(kz_json_mut(v->obj), key, val)
    {
        if (!property_name_valid(key))
            return kz_stix__fail(v, "property name '%.64s' must be 3-250 of a-z, A-Z, 0-9 and '_'",
                                 key);
    }
    return 0;
}

static int
external_references(struct kz_stix__ctx *v)
{
    const json_t *refs = json_object_get(v->obj, "external_references");
    const json_t *e;
    size_t i;

    if (!refs)
        return 0;
    if (!json_is_array(refs))
        return kz_stix__fail(v, "'external_references' must be a list");
    json_array_foreach(refs, i, e)
    {
        if (!json_is_object(e))
            return kz_stix__fail(v, "'external_references' entries must be objects");
        if (!json_is_string(json_object_get(e, "source_name")))
            return kz_stix__fail(v, "'external_references' entries require 'source_name'");
        if ((json_object_get(e, "description") &&
             !json_is_string(json_object_get(e, "description"))) ||
            (json_object_get(e, "url") && !json_is_string(json_object_get(e, "url"))) ||
            (json_object_get(e, "external_id") &&
             !json_is_string(json_object_get(e, "external_id"))))
            return kz_stix__fail(v, "'external_references' 'description', 'url' and "
                                    "'external_id' must be strings");
        if (json_object_get(e, "hashes") && !json_is_object(json_object_get(e, "hashes")))
            return kz_stix__fail(v, "'external_references' 'hashes' must be a dictionary");
    }
    return 0;
}

static int
granular_markings(struct kz_stix__ctx *v)
{
    const json_t *gms = json_object_get(v->obj, "granular_markings");
    const json_t *g, *sel, *s, *ref, *lang;
    size_t i, k;

    if (!gms)
        return 0;
    if (!json_is_array(gms) || json_array_size(gms) == 0)
        return kz_stix__fail(v, "'granular_markings' must be a non-empty list");
    json_array_foreach(gms, i, g)
    {
        if (!json_is_object(g))
            return kz_stix__fail(v, "'granular_markings' entries must be objects");
        sel = json_object_get(g, "selectors");
        if (!json_is_array(sel) || json_array_size(sel) == 0)
            return kz_stix__fail(v, "'granular_markings' entries require a non-empty "
                                    "'selectors' list");
        json_array_foreach(sel, k, s)
        {
            if (!json_is_string(s) || json_string_length(s) == 0)
                return kz_stix__fail(v, "'selectors' must hold non-empty strings");
        }
        ref = json_object_get(g, "marking_ref");
        lang = json_object_get(g, "lang");
        if ((ref != NULL) == (lang != NULL))
            return kz_stix__fail(v, "'granular_markings' entries require exactly one of "
                                    "'marking_ref' and 'lang'");
        if (ref && (!json_is_string(ref) ||
                    !kz_stix__id_valid(json_string_value(ref), "marking-definition")))
            return kz_stix__fail(v, "'marking_ref' must refer to a 'marking-definition'");
        if (lang && !json_is_string(lang))
            return kz_stix__fail(v, "'lang' must be a string");
    }
    return 0;
}

static int
extensions(struct kz_stix__ctx *v)
{
    const json_t *ext = json_object_get(v->obj, "extensions");
    const char *key;
    json_t *val;

    if (!ext)
        return 0;
    if (!json_is_object(ext) || json_object_size(ext) == 0)
        return kz_stix__fail(v, "'extensions' must be a non-empty dictionary");
    json_object_foreach(kz_json_mut(ext), key, val)
    {
        if (strncmp(key, "extension-definition--", 22) == 0 &&
            !kz_stix__id_valid(key, "extension-definition"))
            return kz_stix__fail(v, "'extensions' key '%.80s' is not a valid identifier", key);
        if (!json_is_object(val))
            return kz_stix__fail(v, "'extensions' values must be dictionaries");
    }
    return 0;
}

/* The properties that every object may carry, checked where they are present. */
static int
common_optional(struct kz_stix__ctx *v, enum kz_stix_kind kind)
{
    if (kz_stix__ref(v, "created_by_ref", false, identity_t) ||
        kz_stix__ref_list(v, "object_marking_refs", false, marking_t) || granular_markings(v) ||
        external_references(v) || extensions(v) || kz_stix__bool(v, "revoked", false) ||
        kz_stix__string(v, "lang", false) || kz_stix__integer(v, "confidence", false, 0, 100))
        return -1;
    if (json_object_get(v->obj, "labels") && kz_stix__string_list(v, "labels", false))
        return -1;
    if (kind == KZ_STIX_SCO && kz_stix__bool(v, "defanged", false))
        return -1;
    return 0;
}

static void
fill_info(const json_t *obj, const struct kz_stix_opts *opts, struct kz_stix_info *info)
{
    const char *mod = kz_json_str(obj, "modified");
    const char *cre = kz_json_str(obj, "created");
    int64_t us;

    memset(info, 0, sizeof(*info));
    info->type = kz_json_str(obj, "type");
    info->id = kz_json_str(obj, "id");
    info->spec_version = kz_json_str(obj, "spec_version");
    info->created_by_ref = kz_json_str(obj, "created_by_ref");
    info->is_sco = kz_stix_type_is_sco(info->type);
    if (!info->spec_version && info->is_sco)
        info->spec_version = "2.1";
    if (mod && kz_time_parse(kz_str_from_cstr(mod), &us, NULL) == KZ_OK) {
        info->version = mod;
        info->version_us = us;
    } else if (!mod && cre && kz_time_parse(kz_str_from_cstr(cre), &us, NULL) == KZ_OK) {
        info->version = cre;
        info->version_us = us;
    }
    kz_stix__tlp_of(obj, &info->tlp, &info->tlp_marked);
    if (!info->tlp_marked)
        info->tlp = opts ? opts->default_tlp : KZ_TLP_AMBER;
}

static int
validate(struct kz_stix__ctx *v)
{
    const json_t *type_j = json_object_get(v->obj, "type");
    const json_t *id_j = json_object_get(v->obj, "id");
    const json_t *sv_j = json_object_get(v->obj, "spec_version");
    const struct kz_stix__type *t;
    enum kz_stix_kind kind;
    const char *type;

    if (!json_is_object(v->obj))
        return kz_stix__fail(v, "a STIX object must be a JSON object");
    if (!type_j)
        return kz_stix__fail(v, "'object' requires 'type'");
    if (!json_is_string(type_j) ||
        !kz_stix__type_name_valid(json_string_value(type_j), json_string_length(type_j)))
        return kz_stix__fail(v, "'type' must be 3-250 of a-z, 0-9 and single '-', starting "
                                "with a letter");
    type = json_string_value(type_j);
    t = kz_stix__type_find(type);
    if (t) {
        kind = t->kind;
    } else if (strncmp(type, "x-", 2) == 0) {
        kind = KZ_STIX_CUSTOM;
    } else {
        return kz_stix__fail(v,
                             "'type' '%.64s' is not a STIX 2.1 type (custom types start "
                             "with 'x-')",
                             type);
    }
    v->type = type;

    if (!id_j)
        return kz_stix__fail(v, "'%s' requires 'id'", type);
    if (!json_is_string(id_j) || !kz_stix__id_valid(json_string_value(id_j), NULL))
        return kz_stix__fail(v, "'id' must be '<type>--<uuid>'");
    if (!kz_stix__id_valid(json_string_value(id_j), type))
        return kz_stix__fail(v, "'id' must start with the object's type '%s--'", type);

    if (!sv_j && kind != KZ_STIX_SCO)
        return kz_stix__fail(v, "'%s' requires 'spec_version'", type);
    if (sv_j && (!json_is_string(sv_j) || strcmp(json_string_value(sv_j), "2.1") != 0))
        return kz_stix__fail(v, "'spec_version' must be \"2.1\"");

    if (property_names(v))
        return -1;

    /* created and modified: required on everything but observables; marking-definition
     * objects are never modified, so they carry created alone. */
    if (kz_stix__timestamp(v, "created", kind != KZ_STIX_SCO, NULL) ||
        kz_stix__timestamp(v, "modified", kind != KZ_STIX_SCO && kind != KZ_STIX_MARKING, NULL) ||
        kz_stix__time_order(v, "created", "modified", false))
        return -1;

    if (common_optional(v, kind))
        return -1;
    if (t && t->check && t->check(v))
        return -1;
    return 0;
}

kz_err
kz_stix_validate(const json_t *obj, const struct kz_stix_opts *opts, struct kz_stix_info *info,
                 char *why, size_t whylen)
{
    struct kz_stix__ctx v = {obj, NULL, why, whylen};
    struct kz_stix_info scratch;

    if (!info)
        info = &scratch;
    if (why && whylen > 0)
        why[0] = '\0';
    if (!json_is_object(obj)) {
        memset(info, 0, sizeof(*info));
        info->tlp = opts ? opts->default_tlp : KZ_TLP_AMBER;
        kz_stix__fail(&v, "a STIX object must be a JSON object");
        return KZ_ERR_INVALID;
    }
    fill_info(obj, opts, info);
    if (validate(&v) != 0)
        return KZ_ERR_INVALID;
    return KZ_OK;
}
