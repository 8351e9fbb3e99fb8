/* TLP levels: names, the TLP 1.0 and 2.0 marking-definition ids, and an object's TLP. */
#include "stix/stix_int.h"

#include <string.h>
#include <strings.h>

#include "base/json.h"
#include "base/banned.h"

static const char *const tlp_names[KZ_TLP_COUNT] = {
    "clear", "green", "amber", "amber+strict", "red",
};

/* The TLP 2.0 marking definitions (OASIS TLP 2.0 extension) come first for each level. */
static const struct {
    const char *id;
    enum kz_tlp tlp;
} tlp_ids[] = {
    {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", KZ_TLP_CLEAR},
    {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", KZ_TLP_GREEN},
    {"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", KZ_TLP_AMBER},
    {"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", KZ_TLP_AMBER_STRICT},
    {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", KZ_TLP_RED},
    /* TLP 1.0, predefined by STIX 2.1 section 7.2.1.4; WHITE is CLEAR. */
    {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", KZ_TLP_CLEAR},
    {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", KZ_TLP_GREEN},
    {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", KZ_TLP_AMBER},
    {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", KZ_TLP_RED},
};

const char *
kz_tlp_name(enum kz_tlp tlp)
{
    if ((unsigned)tlp >= KZ_TLP_COUNT)
        return "unknown";
    return tlp_names[tlp];
}

kz_err
kz_tlp_parse(struct kz_str s, enum kz_tlp *out)
{
    if (s.n >= 4 && strncasecmp(s.p, "tlp:", 4) == 0) {
        s.p += 4;
        s.n -= 4;
    }
    if (kz_str_case_eq(s, kz_str_lit("white"))) {
        *out = KZ_TLP_CLEAR;
        return KZ_OK;
    }
    for (unsigned i = 0; i < KZ_TLP_COUNT; i++) {
        if (kz_str_case_eq(s, kz_str_from_cstr(tlp_names[i]))) {
            *out = (enum kz_tlp)i;
            return KZ_OK;
        }
    }
    return KZ_ERR_INVALID;
}

const char *
kz_tlp_marking_id(enum kz_tlp tlp)
{
    if ((unsigned)tlp >= KZ_TLP_COUNT)
        return NULL;
    return tlp_ids[tlp].id;
}

kz_err
kz_tlp_from_marking_id(struct kz_str id, enum kz_tlp *out)
{
    for (size_t i = 0; i < sizeof(tlp_ids) / sizeof(tlp_ids[0]); i++) {
        /* Ids are compared exactly: STIX ids are case-sensitive and these are lower case. */
        if (kz_str_eq_cstr(id, tlp_ids[i].id)) {
            *out = tlp_ids[i].tlp;
            return KZ_OK;
        }
    }
    return KZ_ERR_NOTFOUND;
}

static void
consider(const json_t *ref, enum kz_tlp *tlp, bool *marked)
{
    enum kz_tlp t;

    if (!json_is_string(ref))
        return;
    if (kz_tlp_from_marking_id(kz_str_make(json_string_value(ref), json_string_length(ref)), &t) !=
        KZ_OK)
        return;
    if (!*marked || t > *tlp)
        *tlp = t;
    *marked = true;
}

void
kz_stix__tlp_of(const json_t *obj, enum kz_tlp *tlp, bool *marked)
{
    const json_t *refs = json_object_get(obj, "object_marking_refs");
    const json_t *gms = json_object_get(obj, "granular_markings");
    const char *type = kz_json_str(obj, "type");
    const char *id = kz_json_str(obj, "id");
    json_t *e;
    size_t i;
    enum kz_tlp self;

    *tlp = KZ_TLP_CLEAR;
    *marked = false;
    /* A TLP marking definition is itself public knowledge. */
    if (type && id && strcmp(type, "marking-definition") == 0 &&
        kz_tlp_from_marking_id(kz_str_from_cstr(id), &self) == KZ_OK) {
        *marked = true;
        return;
    }
    if (json_is_array(refs)) {
        json_array_foreach(refs, i, e)
        {
            consider(e, tlp, marked);
        }
    }
    if (json_is_array(gms)) {
        json_array_foreach(gms, i, e)
        {
            if (json_is_object(e))
                consider(json_object_get(e, "marking_ref"), tlp, marked);
        }
    }
}
