/* The STIX 2.1 object types and the rules of each type's own properties. */
#include "stix/stix_int.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "pattern/pattern.h"
#include "base/banned.h"

#define REQ true
#define OPT false

static const char *const identity_t[] = {"identity", NULL};
static const char *const where_sighted_t[] = {"identity", "location", NULL};
static const char *const observed_data_t[] = {"observed-data", NULL};
static const char *const software_t[] = {"software", NULL};
static const char *const sample_t[] = {"file", "artifact", NULL};

static bool
has(const struct kz_stix__ctx *v, const char *key)
{
    return json_object_get(v->obj, key) != NULL;
}

/* The many SDOs whose only own required property is a name. */
static int
named(struct kz_stix__ctx *v)
{
    return kz_stix__string(v, "name", REQ);
}

static int
seen_named(struct kz_stix__ctx *v)
{
    if (named(v) || kz_stix__time_order(v, "first_seen", "last_seen", false))
        return -1;
    return 0;
}

static int
attack_pattern(struct kz_stix__ctx *v)
{
    if (named(v) || kz_stix__kill_chain(v, "kill_chain_phases"))
        return -1;
    return 0;
}

static int
grouping(struct kz_stix__ctx *v)
{
    if (kz_stix__string(v, "context", REQ) || kz_stix__ref_list(v, "object_refs", REQ, NULL))
        return -1;
    return 0;
}

static int
identity(struct kz_stix__ctx *v)
{
    if (named(v) || kz_stix__string(v, "identity_class", OPT))
        return -1;
    return 0;
}

static int
indicator(struct kz_stix__ctx *v)
{
    const char *pattern_type;
    const json_t *pattern;
    char reason[256];
    size_t column = 0;
    kz_err err;

    if (kz_stix__string(v, "pattern", REQ) || kz_stix__string(v, "pattern_type", REQ) ||
        kz_stix__timestamp(v, "valid_from", REQ, NULL) ||
        kz_stix__time_order(v, "valid_from", "valid_until", true) ||
        kz_stix__string(v, "pattern_version", OPT) || kz_stix__kill_chain(v, "kill_chain_phases"))
        return -1;
    pattern_type = json_string_value(json_object_get(v->obj, "pattern_type"));
    if (strcmp(pattern_type, "stix") != 0)
        return 0;
    pattern = json_object_get(v->obj, "pattern");
    reason[0] = '\0';
    err = kz_pattern_check(kz_str_make(json_string_value(pattern), json_string_length(pattern)),
                           reason, sizeof(reason), &column);
    if (err != KZ_OK)
        return kz_stix__fail(v, "invalid pattern: %s at column %zu",
                             reason[0] ? reason : "syntax error", column);
    return 0;
}

static int
infrastructure(struct kz_stix__ctx *v)
{
    if (seen_named(v) || kz_stix__kill_chain(v, "kill_chain_phases"))
        return -1;
    return 0;
}

static int
location(struct kz_stix__ctx *v)
{
    bool lat = has(v, "latitude"), lon = has(v, "longitude");

    if (kz_stix__string(v, "region", OPT) || kz_stix__string(v, "country", OPT) ||
        kz_stix__number(v, "latitude", OPT, -90.0, 90.0) ||
        kz_stix__number(v, "longitude", OPT, -180.0, 180.0) ||
        kz_stix__number(v, "precision", OPT, 0.0, 1e300))
        return -1;
    if (lat != lon)
        return kz_stix__fail(v, "'location' with '%s' requires '%s'",
                             lat ? "latitude" : "longitude", lat ? "longitude" : "latitude");
    if (has(v, "precision") && !lat)
        return kz_stix__fail(v, "'location' with 'precision' requires 'latitude' and 'longitude'");
    if (!has(v, "region") && !has(v, "country") && !lat)
        return kz_stix__fail(v, "'location' requires 'region', 'country' or 'latitude' and "
                                "'longitude'");
    return 0;
}

static int
malware(struct kz_stix__ctx *v)
{
    if (kz_stix__bool(v, "is_family", REQ) || kz_stix__string(v, "name", OPT) ||
        kz_stix__time_order(v, "first_seen", "last_seen", false) ||
        kz_stix__kill_chain(v, "kill_chain_phases") ||
        kz_stix__ref_list(v, "operating_system_refs", OPT, software_t) ||
        kz_stix__ref_list(v, "sample_refs", OPT, sample_t))
        return -1;
    if (json_is_true(json_object_get(v->obj, "is_family")) && !has(v, "name"))
        return kz_stix__fail(v, "'malware' with 'is_family' true requires 'name'");
    return 0;
}

static int
malware_analysis(struct kz_stix__ctx *v)
{
    if (kz_stix__string(v, "product", REQ) || kz_stix__string(v, "result", OPT) ||
        kz_stix__ref_list(v, "analysis_sco_refs", OPT, NULL) ||
        kz_stix__ref(v, "sample_ref", OPT, NULL) ||
        kz_stix__ref(v, "host_vm_ref", OPT, software_t) ||
        kz_stix__ref(v, "operating_system_ref", OPT, software_t) ||
        kz_stix__time_order(v, "analysis_started", "analysis_ended", false))
        return -1;
    if (!has(v, "result") && !has(v, "analysis_sco_refs"))
        return kz_stix__fail(v, "'malware-analysis' requires 'result' or 'analysis_sco_refs'");
    return 0;
}

static int
note(struct kz_stix__ctx *v)
{
    if (kz_stix__string(v, "content", REQ) || kz_stix__string(v, "abstract", OPT) ||
        kz_stix__string_list(v, "authors", OPT) || kz_stix__ref_list(v, "object_refs", REQ, NULL))
        return -1;
    return 0;
}

static int
observed_data(struct kz_stix__ctx *v)
{
    if (kz_stix__timestamp(v, "first_observed", REQ, NULL) ||
        kz_stix__timestamp(v, "last_observed", REQ, NULL) ||
        kz_stix__time_order(v, "first_observed", "last_observed", false) ||
        kz_stix__integer(v, "number_observed", REQ, 1, 999999999))
        return -1;
    if (has(v, "object_refs") && has(v, "objects"))
        return kz_stix__fail(v, "'observed-data' may not have both 'object_refs' and 'objects'");
    if (has(v, "objects")) {
        /* Deprecated in 2.1 but still allowed: a dictionary of embedded observables. */
        const json_t *objs = json_object_get(v->obj, "objects");
        if (!json_is_object(objs) || json_object_size(objs) == 0)
            return kz_stix__fail(v, "'objects' must be a non-empty dictionary");
        return 0;
    }
    return kz_stix__ref_list(v, "object_refs", REQ, NULL);
}

static int
opinion(struct kz_stix__ctx *v)
{
    static const char *const values[] = {"strongly-disagree", "disagree", "neutral", "agree",
                                         "strongly-agree"};
    const char *o;

    if (kz_stix__string(v, "opinion", REQ) || kz_stix__string(v, "explanation", OPT) ||
        kz_stix__string_list(v, "authors", OPT) || kz_stix__ref_list(v, "object_refs", REQ, NULL))
        return -1;
    o = json_string_value(json_object_get(v->obj, "opinion"));
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        if (strcmp(o, values[i]) == 0)
            return 0;
    }
    return kz_stix__fail(v, "'opinion' must be one of strongly-disagree, disagree, neutral, "
                            "agree, strongly-agree");
}

static int
report(struct kz_stix__ctx *v)
{
    if (named(v) || kz_stix__timestamp(v, "published", REQ, NULL) ||
        kz_stix__ref_list(v, "object_refs", REQ, NULL))
        return -1;
    return 0;
}

static int
relationship(struct kz_stix__ctx *v)
{
    if (kz_stix__string(v, "relationship_type", REQ) || kz_stix__ref(v, "source_ref", REQ, NULL) ||
        kz_stix__ref(v, "target_ref", REQ, NULL) ||
        kz_stix__time_order(v, "start_time", "stop_time", true))
        return -1;
    return 0;
}

static int
sighting(struct kz_stix__ctx *v)
{
    if (kz_stix__ref(v, "sighting_of_ref", REQ, NULL) ||
        kz_stix__ref_list(v, "observed_data_refs", OPT, observed_data_t) ||
        kz_stix__ref_list(v, "where_sighted_refs", OPT, where_sighted_t) ||
        kz_stix__integer(v, "count", OPT, 0, 999999999) || kz_stix__bool(v, "summary", OPT) ||
        kz_stix__time_order(v, "first_seen", "last_seen", false))
        return -1;
    return 0;
}

/* ---- cyber-observable objects ---- */

static int
value_string(struct kz_stix__ctx *v)
{
    return kz_stix__string(v, "value", REQ);
}

/* Address with an optional "/prefix" (CIDR) for ipv4-addr and ipv6-addr. */
static int
ip_value(struct kz_stix__ctx *v, int family, unsigned maxbits)
{
    char buf[64];
    unsigned char addr[16];
    const char *s, *slash;
    size_t n;

    if (value_string(v))
        return -1;
    s = json_string_value(json_object_get(v->obj, "value"));
    slash = strchr(s, '/');
    n = slash ? (size_t)(slash - s) : strlen(s);
    if (n >= sizeof(buf))
        goto bad;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (inet_pton(family, buf, addr) != 1)
        goto bad;
    if (slash) {
        uint64_t bits;
        if (kz_str_to_u64(kz_str_from_cstr(slash + 1), 0, maxbits, &bits) != KZ_OK)
            goto bad;
    }
    return 0;
bad:
    return kz_stix__fail(v, "'%s' 'value' must be an %s address or CIDR block", v->type,
                         family == AF_INET ? "IPv4" : "IPv6");
}

static int
ipv4_addr(struct kz_stix__ctx *v)
{
    return ip_value(v, AF_INET, 32);
}

static int
ipv6_addr(struct kz_stix__ctx *v)
{
    return ip_value(v, AF_INET6, 128);
}

static int
mac_addr(struct kz_stix__ctx *v)
{
    const char *s;

    if (value_string(v))
        return -1;
    s = json_string_value(json_object_get(v->obj, "value"));
    if (strlen(s) != 17)
        goto bad;
    for (size_t i = 0; i < 17; i++) {
        char c = s[i];
        if (i % 3 == 2) {
            if (c != ':')
                goto bad;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            goto bad;
        }
    }
    return 0;
bad:
    return kz_stix__fail(v, "'mac-addr' 'value' must be a lower-case colon-separated MAC-48 "
                            "address");
}

static int
artifact(struct kz_stix__ctx *v)
{
    if (kz_stix__string(v, "payload_bin", OPT) || kz_stix__string(v, "url", OPT) ||
        kz_stix__dict(v, "hashes", OPT) || kz_stix__string(v, "mime_type", OPT))
        return -1;
    if (has(v, "payload_bin") == has(v, "url"))
        return kz_stix__fail(v, "'artifact' requires exactly one of 'payload_bin' and 'url'");
    if (has(v, "url") && !has(v, "hashes"))
        return kz_stix__fail(v, "'artifact' with 'url' requires 'hashes'");
    return 0;
}

static int
autonomous_system(struct kz_stix__ctx *v)
{
    return kz_stix__integer(v, "number", REQ, 0, 4294967295LL);
}

static int
directory(struct kz_stix__ctx *v)
{
    return kz_stix__string(v, "path", REQ);
}

static int
email_message(struct kz_stix__ctx *v)
{
    bool multipart;

    if (kz_stix__bool(v, "is_multipart", REQ) || kz_stix__string(v, "body", OPT))
        return -1;
    multipart = json_is_true(json_object_get(v->obj, "is_multipart"));
    if (multipart && has(v, "body"))
        return kz_stix__fail(v, "'email-message' with 'is_multipart' true may not have 'body'");
    if (!multipart && has(v, "body_multipart"))
        return kz_stix__fail(
            v, "'email-message' with 'is_multipart' false may not have 'body_multipart'");
    return 0;
}

static int
file(struct kz_stix__ctx *v)
{
    if (kz_stix__dict(v, "hashes", OPT) || kz_stix__string(v, "name", OPT) ||
        kz_stix__integer(v, "size", OPT, 0, INT64_MAX))
        return -1;
    if (!has(v, "hashes") && !has(v, "name"))
        return kz_stix__fail(v, "'file' requires 'hashes' or 'name'");
    return 0;
}

static int
mutex(struct kz_stix__ctx *v)
{
    return kz_stix__string(v, "name", REQ);
}

static int
network_traffic(struct kz_stix__ctx *v)
{
    if (kz_stix__string_list(v, "protocols", REQ) || kz_stix__ref(v, "src_ref", OPT, NULL) ||
        kz_stix__ref(v, "dst_ref", OPT, NULL) || kz_stix__integer(v, "src_port", OPT, 0, 65535) ||
        kz_stix__integer(v, "dst_port", OPT, 0, 65535) ||
        kz_stix__time_order(v, "start", "end", false))
        return -1;
    if (!has(v, "src_ref") && !has(v, "dst_ref"))
        return kz_stix__fail(v, "'network-traffic' requires 'src_ref' or 'dst_ref'");
    return 0;
}

/* Observables whose properties are all optional but of which at least one must be there. */
static int
any_own_property(struct kz_stix__ctx *v)
{
    static const char *const common[] = {
        "type", "id", "spec_version", "object_marking_refs", "granular_markings", "defanged"};
    const char *key;
    json_t *val;

    json_object_foreach(kz_json_mut(v->obj), key, val)
    {
        bool is_common = false;
        for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
            is_common = is_common || strcmp(key, common[i]) == 0;
        if (!is_common)
            return 0;
    }
    return kz_stix__fail(v, "'%s' requires at least one property of its own", v->type);
}

static int
software(struct kz_stix__ctx *v)
{
    return kz_stix__string(v, "name", REQ);
}

/* ---- meta objects ---- */

static int
marking_definition(struct kz_stix__ctx *v)
{
    const json_t *def;
    const char *dt;

    if (kz_stix__string(v, "name", OPT) || kz_stix__string(v, "definition_type", OPT) ||
        kz_stix__dict(v, "definition", OPT))
        return -1;
    if (!has(v, "definition_type") && !has(v, "definition")) {
        if (!has(v, "extensions"))
            return kz_stix__fail(v, "'marking-definition' requires 'definition_type' and "
                                    "'definition', or 'extensions'");
        return 0;
    }
    if (!has(v, "definition_type"))
        return kz_stix__req(v, "definition_type");
    if (!has(v, "definition"))
        return kz_stix__req(v, "definition");
    dt = json_string_value(json_object_get(v->obj, "definition_type"));
    def = json_object_get(v->obj, "definition");
    if (strcmp(dt, "statement") == 0) {
        if (!json_is_string(json_object_get(def, "statement")))
            return kz_stix__fail(v, "a 'statement' marking requires a string 'statement'");
    } else if (strcmp(dt, "tlp") == 0) {
        const char *tlp = json_string_value(json_object_get(def, "tlp"));
        if (!tlp || (strcmp(tlp, "white") != 0 && strcmp(tlp, "green") != 0 &&
                     strcmp(tlp, "amber") != 0 && strcmp(tlp, "red") != 0))
            return kz_stix__fail(v, "a 'tlp' marking requires 'tlp' of white, green, amber or "
                                    "red");
    }
    return 0;
}

static int
language_content(struct kz_stix__ctx *v)
{
    const json_t *contents;
    const char *lang;
    json_t *val;

    if (kz_stix__ref(v, "object_ref", REQ, NULL) ||
        kz_stix__timestamp(v, "object_modified", OPT, NULL) || kz_stix__dict(v, "contents", REQ))
        return -1;
    contents = json_object_get(v->obj, "contents");
    if (json_object_size(contents) == 0)
        return kz_stix__fail(v, "'contents' must not be empty");
    json_object_foreach(kz_json_mut(contents), lang, val)
    {
        if (!json_is_object(val))
            return kz_stix__fail(v, "'contents' must map language codes to dictionaries");
    }
    return 0;
}

static int
extension_definition(struct kz_stix__ctx *v)
{
    static const char *const kinds[] = {"new-sdo", "new-sco", "new-sro", "property-extension",
                                        "toplevel-property-extension"};
    const json_t *types, *e;
    size_t i;

    if (kz_stix__ref(v, "created_by_ref", REQ, identity_t) || named(v) ||
        kz_stix__string(v, "schema", REQ) || kz_stix__string(v, "version", REQ) ||
        kz_stix__string_list(v, "extension_types", REQ) ||
        kz_stix__string_list(v, "extension_properties", OPT))
        return -1;
    types = json_object_get(v->obj, "extension_types");
    json_array_foreach(types, i, e)
    {
        bool ok = false;
        for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
            ok = ok || strcmp(json_string_value(e), kinds[k]) == 0;
        if (!ok)
            return kz_stix__fail(v, "'extension_types' has an unknown value '%.64s'",
                                 json_string_value(e));
    }
    return 0;
}

static const struct kz_stix__type types_table[] = {
    /* domain objects */
    {"attack-pattern", KZ_STIX_SDO, attack_pattern},
    {"campaign", KZ_STIX_SDO, seen_named},
    {"course-of-action", KZ_STIX_SDO, named},
    {"grouping", KZ_STIX_SDO, grouping},
    {"identity", KZ_STIX_SDO, identity},
    {"incident", KZ_STIX_SDO, named},
    {"indicator", KZ_STIX_SDO, indicator},
    {"infrastructure", KZ_STIX_SDO, infrastructure},
    {"intrusion-set", KZ_STIX_SDO, seen_named},
    {"location", KZ_STIX_SDO, location},
    {"malware", KZ_STIX_SDO, malware},
    {"malware-analysis", KZ_STIX_SDO, malware_analysis},
    {"note", KZ_STIX_SDO, note},
    {"observed-data", KZ_STIX_SDO, observed_data},
    {"opinion", KZ_STIX_SDO, opinion},
    {"report", KZ_STIX_SDO, report},
    {"threat-actor", KZ_STIX_SDO, seen_named},
    {"tool", KZ_STIX_SDO, attack_pattern},
    {"vulnerability", KZ_STIX_SDO, named},
    /* relationship objects */
    {"relationship", KZ_STIX_SRO, relationship},
    {"sighting", KZ_STIX_SRO, sighting},
    /* cyber-observable objects */
    {"artifact", KZ_STIX_SCO, artifact},
    {"autonomous-system", KZ_STIX_SCO, autonomous_system},
    {"directory", KZ_STIX_SCO, directory},
    {"domain-name", KZ_STIX_SCO, value_string},
    {"email-addr", KZ_STIX_SCO, value_string},
    {"email-message", KZ_STIX_SCO, email_message},
    {"file", KZ_STIX_SCO, file},
    {"ipv4-addr", KZ_STIX_SCO, ipv4_addr},
    {"ipv6-addr", KZ_STIX_SCO, ipv6_addr},
    {"mac-addr", KZ_STIX_SCO, mac_addr},
    {"mutex", KZ_STIX_SCO, mutex},
    {"network-traffic", KZ_STIX_SCO, network_traffic},
    {"process", KZ_STIX_SCO, any_own_property},
    {"software", KZ_STIX_SCO, software},
    {"url", KZ_STIX_SCO, value_string},
    {"user-account", KZ_STIX_SCO, any_own_property},
    {"windows-registry-key", KZ_STIX_SCO, any_own_property},
    {"x509-certificate", KZ_STIX_SCO, any_own_property},
    /* meta objects */
    {"marking-definition", KZ_STIX_MARKING, marking_definition},
    {"language-content", KZ_STIX_LANGUAGE, language_content},
    {"extension-definition", KZ_STIX_EXTDEF, extension_definition},
};

const struct kz_stix__type *
kz_stix__type_find(const char *name)
{
    for (size_t i = 0; i < sizeof(types_table) / sizeof(types_table[0]); i++) {
        if (strcmp(types_table[i].name, name) == 0)
            return &types_table[i];
    }
    return NULL;
}

bool
kz_stix_type_is_sco(const char *type)
{
    const struct kz_stix__type *t = type ? kz_stix__type_find(type) : NULL;

    return t && t->kind == KZ_STIX_SCO;
}
