/* STIX 2.1 validation: every type's good form, every required property, the error paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/limits.h"
#include "stix/stix.h"

#define U         "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
#define IDENT     "\"identity--" U "\""
#define TS        "\"2016-04-06T20:03:48.000Z\""
#define TS2       "\"2016-05-07T11:22:30.000Z\""
#define COMMON(t) "\"type\":\"" t "\",\"spec_version\":\"2.1\",\"id\":\"" t "--" U "\","
#define SDO(t)    "{" COMMON(t) "\"created\":" TS ",\"modified\":" TS ","
#define SCO(t)    "{\"type\":\"" t "\",\"id\":\"" t "--" U "\","
#define REFS      "\"object_refs\":[\"indicator--" U "\"]"

static const struct kz_stix_opts opts = {KZ_TLP_AMBER};

struct good_case {
    const char *type;
    const char *json;
    const char *required[6]; /* properties whose removal must make the object invalid */
};

static const struct good_case good[] = {
    {"attack-pattern", SDO("attack-pattern") "\"name\":\"Spear Phishing\"}", {"name"}},
    {"campaign", SDO("campaign") "\"name\":\"Green Group\"}", {"name"}},
    {"course-of-action", SDO("course-of-action") "\"name\":\"Block\"}", {"name"}},
    {"grouping",
     SDO("grouping") "\"context\":\"suspicious-activity\"," REFS "}",
     {"context", "object_refs"}},
    {"identity",
     SDO("identity") "\"name\":\"ACME\",\"identity_class\":\"organization\"}",
     {"name"}},
    {"incident", SDO("incident") "\"name\":\"Breach\"}", {"name"}},
    {"indicator",
     SDO("indicator") "\"pattern\":\"[ipv4-addr:value = '198.51.100.1']\",\"pattern_type\":"
                      "\"stix\",\"valid_from\":" TS ",\"valid_until\":" TS2 "}",
     {"pattern", "pattern_type", "valid_from"}},
    {"infrastructure", SDO("infrastructure") "\"name\":\"C2\"}", {"name"}},
    {"intrusion-set", SDO("intrusion-set") "\"name\":\"APT\"}", {"name"}},
    {"location", SDO("location") "\"country\":\"jp\"}", {"country"}},
    {"malware",
     SDO("malware") "\"name\":\"Cryptolocker\",\"is_family\":true}",
     {"is_family", "name"}},
    {"malware-analysis",
     SDO("malware-analysis") "\"product\":\"av\",\"result\":\"malicious\"}",
     {"product", "result"}},
    {"note", SDO("note") "\"content\":\"text\"," REFS "}", {"content", "object_refs"}},
    {"observed-data",
     SDO("observed-data") "\"first_observed\":" TS ",\"last_observed\":" TS2
                          ",\"number_observed\":3,\"object_refs\":[\"ipv4-addr--" U "\"]}",
     {"first_observed", "last_observed", "number_observed", "object_refs"}},
    {"opinion", SDO("opinion") "\"opinion\":\"agree\"," REFS "}", {"opinion", "object_refs"}},
    {"report",
     SDO("report") "\"name\":\"R\",\"published\":" TS "," REFS "}",
     {"name", "published", "object_refs"}},
    {"threat-actor", SDO("threat-actor") "\"name\":\"Evil\"}", {"name"}},
    {"tool", SDO("tool") "\"name\":\"nmap\"}", {"name"}},
    {"vulnerability", SDO("vulnerability") "\"name\":\"CVE-2016-1234\"}", {"name"}},
    {"relationship",
     SDO("relationship") "\"relationship_type\":\"indicates\",\"source_ref\":\"indicator--" U
                         "\",\"target_ref\":\"malware--" U "\"}",
     {"relationship_type", "source_ref", "target_ref"}},
    {"sighting",
     SDO("sighting") "\"sighting_of_ref\":\"indicator--" U "\",\"count\":2}",
     {"sighting_of_ref"}},
    {"artifact", SCO("artifact") "\"payload_bin\":\"aGVsbG8=\"}", {"payload_bin"}},
    {"autonomous-system", SCO("autonomous-system") "\"number\":15139}", {"number"}},
    {"directory", SCO("directory") "\"path\":\"C:\\\\Windows\"}", {"path"}},
    {"domain-name", SCO("domain-name") "\"value\":\"example.com\"}", {"value"}},
    {"email-addr", SCO("email-addr") "\"value\":\"john@example.com\"}", {"value"}},
    {"email-message",
     SCO("email-message") "\"is_multipart\":false,\"body\":\"hi\"}",
     {"is_multipart"}},
    {"file", SCO("file") "\"name\":\"a.exe\"}", {"name"}},
    {"ipv4-addr", SCO("ipv4-addr") "\"value\":\"198.51.100.0/24\"}", {"value"}},
    {"ipv6-addr", SCO("ipv6-addr") "\"value\":\"2001:db8::1\"}", {"value"}},
    {"mac-addr", SCO("mac-addr") "\"value\":\"d2:fb:49:24:37:18\"}", {"value"}},
    {"mutex", SCO("mutex") "\"name\":\"__CLEANSWEEP__\"}", {"name"}},
    {"network-traffic",
     SCO("network-traffic") "\"protocols\":[\"tcp\"],\"dst_ref\":\"ipv4-addr--" U "\"}",
     {"protocols", "dst_ref"}},
    {"process", SCO("process") "\"pid\":1221}", {NULL}},
    {"software", SCO("software") "\"name\":\"Word\"}", {"name"}},
    {"url", SCO("url") "\"value\":\"https://example.com/\"}", {"value"}},
    {"user-account", SCO("user-account") "\"user_id\":\"1001\"}", {NULL}},
    {"windows-registry-key",
     SCO("windows-registry-key") "\"key\":\"hkey_local_machine\\\\x\"}",
     {NULL}},
    {"x509-certificate", SCO("x509-certificate") "\"serial_number\":\"36:f7\"}", {NULL}},
    {"marking-definition",
     "{" COMMON("marking-definition") "\"created\":" TS
                                      ",\"definition_type\":\"statement\",\"definition\":{"
                                      "\"statement\":\"Copyright ACME\"}}",
     {"definition_type", "definition", "created"}},
    {"language-content",
     SDO("language-content") "\"object_ref\":\"campaign--" U
                             "\",\"contents\":{\"de\":{\"name\":\"Bank Angriff\"}}}",
     {"object_ref", "contents"}},
    {"extension-definition",
     SDO("extension-definition") "\"created_by_ref\":" IDENT
                                 ",\"name\":\"ext\",\"schema\":\"https://example.com/s.json\","
                                 "\"version\":\"1.0\",\"extension_types\":[\"new-sdo\"]}",
     {"created_by_ref", "name", "schema", "version", "extension_types"}},
    {"x-acme-widget", SDO("x-acme-widget") "\"x_colour\":\"red\"}", {"spec_version", "created"}},
};

static json_t *
load(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &e);

    if (!j)
        fail_msg("test JSON does not parse: %s: %s", e.text, text);
    return j;
}

static kz_err
check_text(const char *text, char *why, size_t whylen, struct kz_stix_info *info)
{
    json_t *j = load(text);
    struct kz_stix_info scratch;
    kz_err err = kz_stix_validate(j, &opts, info ? info : &scratch, why, whylen);

    json_decref(j);
    return err;
}

/* Expects text to be refused with a reason containing want. */
static void
expect_invalid(const char *text, const char *want)
{
    char why[256] = "";
    kz_err err = check_text(text, why, sizeof(why), NULL);

    if (err != KZ_ERR_INVALID)
        fail_msg("accepted but should fail with \"%s\": %s", want, text);
    if (!strstr(why, want))
        fail_msg("reason \"%s\" does not contain \"%s\"", why, want);
}

static void
expect_valid(const char *text)
{
    char why[256] = "";

    if (check_text(text, why, sizeof(why), NULL) != KZ_OK)
        fail_msg("refused: %s: %s", why, text);
}

static void
test_good_objects_of_every_type(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        expect_valid(good[i].json);
}

static void
test_every_type_is_covered(void **state)
{
    static const char *const all[] = {"attack-pattern",
                                      "campaign",
                                      "course-of-action",
                                      "grouping",
                                      "identity",
                                      "incident",
                                      "indicator",
                                      "infrastructure",
                                      "intrusion-set",
                                      "location",
                                      "malware",
                                      "malware-analysis",
                                      "note",
                                      "observed-data",
                                      "opinion",
                                      "report",
                                      "threat-actor",
                                      "tool",
                                      "vulnerability",
                                      "relationship",
                                      "sighting",
                                      "artifact",
                                      "autonomous-system",
                                      "directory",
                                      "domain-name",
                                      "email-addr",
                                      "email-message",
                                      "file",
                                      "ipv4-addr",
                                      "ipv6-addr",
                                      "mac-addr",
                                      "mutex",
                                      "network-traffic",
                                      "process",
                                      "software",
                                      "url",
                                      "user-account",
                                      "windows-registry-key",
                                      "x509-certificate",
                                      "marking-definition",
                                      "language-content",
                                      "extension-definition"};
    (void)state;
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        bool found = false;
        for (size_t k = 0; k < sizeof(good) / sizeof(good[0]); k++)
            found = found || strcmp(good[k].type, all[i]) == 0;
        if (!found)
            fail_msg("no good object for '%s'", all[i]);
    }
}

static void
test_every_required_property(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        for (size_t r = 0; r < 6 && good[i].required[r]; r++) {
            json_t *j = load(good[i].json);
            char why[256] = "";
            char want[96];
            struct kz_stix_info info;

            assert_int_equal(json_object_del(j, good[i].required[r]), 0);
            if (kz_stix_validate(j, &opts, &info, why, sizeof(why)) != KZ_ERR_INVALID)
                fail_msg("'%s' without '%s' was accepted", good[i].type, good[i].required[r]);
            snprintf(want, sizeof(want), "'%s'", good[i].required[r]);
            if (!strstr(why, want))
                fail_msg("'%s' without '%s': reason \"%s\"", good[i].type, good[i].required[r],
                         why);
            json_decref(j);
        }
    }
}

static void
test_common_properties_required(void **state)
{
    static const char *const keys[] = {"type", "id", "spec_version", "created", "modified"};
    (void)state;
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        json_t *j = load(SDO("campaign") "\"name\":\"x\"}");
        char why[256];
        char want[64];

        json_object_del(j, keys[k]);
        assert_int_equal(kz_stix_validate(j, &opts, NULL, why, sizeof(why)), KZ_ERR_INVALID);
        snprintf(want, sizeof(want), "'%s'", keys[k]);
        assert_non_null(strstr(why, want));
        json_decref(j);
    }
    /* Observables may omit spec_version, created and modified. */
    expect_valid("{\"type\":\"ipv4-addr\",\"id\":\"ipv4-addr--" U "\",\"value\":\"10.0.0.1\"}");
}

static void
test_reason_wording(void **state)
{
    (void)state;
    expect_invalid(SDO("indicator") "\"pattern_type\":\"stix\",\"valid_from\":" TS "}",
                   "'indicator' requires 'pattern'");
    expect_invalid("{" COMMON("campaign") "\"created\":" TS2 ",\"modified\":" TS ",\"name\":\"x\"}",
                   "'modified' is before 'created'");
}

static void
test_type_syntax(void **state)
{
    (void)state;
    expect_invalid("{\"type\":\"ab\",\"id\":\"ab--" U "\"}", "'type'");
    expect_invalid("{\"type\":\"Campaign\",\"id\":\"Campaign--" U "\"}", "'type'");
    expect_invalid("{\"type\":\"x--acme\",\"id\":\"x--acme--" U "\"}", "'type'");
    expect_invalid("{\"type\":\"-acme\",\"id\":\"-acme--" U "\"}", "'type'");
    expect_invalid("{\"type\":\"x-acme-\",\"id\":\"x-acme---" U "\"}", "'type'");
    expect_invalid("{\"type\":5,\"id\":\"x--" U "\"}", "'type'");
    expect_invalid(SDO("foo-bar") "\"name\":\"x\"}", "not a STIX 2.1 type");
    expect_invalid("[1,2]", "JSON object");
}

static void
test_ids(void **state)
{
    (void)state;
    expect_invalid("{\"type\":\"campaign\",\"spec_version\":\"2.1\",\"id\":\"tool--" U
                   "\",\"created\":" TS ",\"modified\":" TS ",\"name\":\"x\"}",
                   "'id' must start with the object's type");
    expect_invalid("{\"type\":\"campaign\",\"spec_version\":\"2.1\",\"id\":\"campaign--1234\","
                   "\"created\":" TS ",\"modified\":" TS ",\"name\":\"x\"}",
                   "'id'");
    expect_invalid("{\"type\":\"campaign\",\"spec_version\":\"2.1\",\"id\":\"campaign-" U
                   "\",\"created\":" TS ",\"modified\":" TS ",\"name\":\"x\"}",
                   "'id'");
    expect_invalid(SDO("relationship") "\"relationship_type\":\"uses\",\"source_ref\":\"nope\","
                                       "\"target_ref\":\"malware--" U "\"}",
                   "'source_ref'");
}

static void
test_spec_version(void **state)
{
    (void)state;
    expect_invalid("{\"type\":\"campaign\",\"spec_version\":\"2.0\",\"id\":\"campaign--" U
                   "\",\"created\":" TS ",\"modified\":" TS ",\"name\":\"x\"}",
                   "'spec_version'");
    expect_invalid("{\"type\":\"url\",\"spec_version\":2.1,\"id\":\"url--" U
                   "\",\"value\":\"http://a/\"}",
                   "'spec_version'");
}

static void
test_timestamps(void **state)
{
    static const char *const bad[] = {
        "2016-04-06T20:03:48.000", "2016-04-06 20:03:48Z", "2016-04-06T20:03:48+00:00",
        "2016-02-30T20:03:48Z",    "2016-04-06T24:03:48Z", "not a time",
        "2016-04-06T20:03:48.Z",
    };
    char text[512];
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(text, sizeof(text), SDO("campaign") "\"name\":\"x\",\"first_seen\":\"%s\"}",
                 bad[i]);
        expect_invalid(text, "'first_seen'");
        snprintf(text, sizeof(text),
                 "{" COMMON("campaign") "\"created\":\"%s\",\"modified\":" TS ",\"name\":\"x\"}",
                 bad[i]);
        expect_invalid(text, "'created'");
    }
    /* Any precision is allowed, not only milliseconds. */
    expect_valid("{" COMMON("campaign") "\"created\":\"2016-04-06T20:03:48Z\",\"modified\":"
                                        "\"2016-04-06T20:03:48.123456Z\",\"name\":\"x\"}");
    expect_invalid(SDO("campaign") "\"name\":\"x\",\"first_seen\":" TS2 ",\"last_seen\":" TS "}",
                   "'last_seen' is before 'first_seen'");
}

static void
test_indicator_rules(void **state)
{
    (void)state;
    expect_invalid(SDO("indicator") "\"pattern\":\"[url:value = 'x']\",\"pattern_type\":\"stix\","
                                    "\"valid_from\":" TS ",\"valid_until\":" TS "}",
                   "'valid_until' must be after 'valid_from'");
    expect_invalid(SDO("indicator") "\"pattern\":\"\",\"pattern_type\":\"stix\",\"valid_from\":" TS
                                    "}",
                   "'pattern'");
    /* Non-STIX pattern languages are not parsed here. */
    expect_valid(SDO("indicator") "\"pattern\":\"alert tcp any any -> any any (msg:\\\"x\\\";)\","
                                  "\"pattern_type\":\"snort\",\"valid_from\":" TS "}");
}

static void
test_indicator_pattern_is_checked(void **state)
{
    char text[KZ_LIMIT_PATTERN_BYTES + 1024];
    char *big = malloc(KZ_LIMIT_PATTERN_BYTES + 2);
    char why[256];
    (void)state;
    assert_non_null(big);
    memset(big, 'a', KZ_LIMIT_PATTERN_BYTES + 1);
    big[KZ_LIMIT_PATTERN_BYTES + 1] = '\0';
    snprintf(text, sizeof(text),
             SDO("indicator") "\"pattern\":\"%s\",\"pattern_type\":\"stix\",\"valid_from\":" TS "}",
             big);
    assert_int_equal(check_text(text, why, sizeof(why), NULL), KZ_ERR_INVALID);
    assert_non_null(strstr(why, "invalid pattern: "));
    assert_non_null(strstr(why, " at column "));
    free(big);
    /* A syntax error names its column. */
    expect_invalid(SDO("indicator") "\"pattern\":\"[ipv4-addr:value = \",\"pattern_type\":"
                                    "\"stix\",\"valid_from\":" TS "}",
                   "invalid pattern: ");
    expect_invalid(SDO("indicator") "\"pattern\":\"[ipv4-addr:value = \",\"pattern_type\":"
                                    "\"stix\",\"valid_from\":" TS "}",
                   " at column ");
}

static void
test_sdo_specific_rules(void **state)
{
    (void)state;
    expect_invalid(SDO("location") "\"latitude\":48.8}", "'longitude'");
    expect_invalid(SDO("location") "\"latitude\":91,\"longitude\":2}", "'latitude'");
    expect_invalid(SDO("location") "\"description\":\"x\"}", "'region'");
    expect_valid(SDO("location") "\"latitude\":48.8566,\"longitude\":2.3522}");
    expect_valid(SDO("location") "\"region\":\"eastern-asia\"}");
    expect_valid(SDO("malware") "\"is_family\":false}");
    expect_invalid(SDO("malware") "\"is_family\":\"yes\",\"name\":\"x\"}", "'is_family'");
    expect_invalid(SDO("malware-analysis") "\"product\":\"av\"}", "'analysis_sco_refs'");
    expect_valid(SDO("malware-analysis") "\"product\":\"av\",\"analysis_sco_refs\":[\"file--" U
                                         "\"]}");
    expect_invalid(SDO("observed-data") "\"first_observed\":" TS ",\"last_observed\":" TS
                                        ",\"number_observed\":0," REFS "}",
                   "'number_observed'");
    expect_invalid(SDO("observed-data") "\"first_observed\":" TS ",\"last_observed\":" TS
                                        ",\"number_observed\":1000000000," REFS "}",
                   "'number_observed'");
    expect_valid(SDO("observed-data") "\"first_observed\":" TS ",\"last_observed\":" TS
                                      ",\"number_observed\":1,\"objects\":{\"0\":{\"type\":"
                                      "\"ipv4-addr\",\"value\":\"10.0.0.1\"}}}");
    expect_invalid(SDO("observed-data") "\"first_observed\":" TS ",\"last_observed\":" TS
                                        ",\"number_observed\":1," REFS
                                        ",\"objects\":{\"0\":{\"type\":\"x\"}}}",
                   "'objects'");
    expect_invalid(SDO("opinion") "\"opinion\":\"maybe\"," REFS "}", "'opinion'");
    expect_invalid(SDO("report") "\"name\":\"R\",\"published\":" TS ",\"object_refs\":[]}",
                   "'object_refs'");
    expect_invalid(SDO("sighting") "\"sighting_of_ref\":\"indicator--" U
                                   "\",\"where_sighted_refs\":[\"malware--" U "\"]}",
                   "'where_sighted_refs'");
    expect_invalid(SDO("sighting") "\"sighting_of_ref\":\"indicator--" U "\",\"count\":1000000000}",
                   "'count'");
    expect_invalid(SDO("tool") "\"name\":\"x\",\"kill_chain_phases\":[{\"phase_name\":\"x\"}]}",
                   "'kill_chain_phases'");
}

static void
test_sco_specific_rules(void **state)
{
    (void)state;
    expect_invalid(SCO("artifact") "\"payload_bin\":\"aA==\",\"url\":\"http://a/\"}",
                   "'payload_bin'");
    expect_invalid(SCO("artifact") "\"url\":\"http://a/\"}", "'hashes'");
    expect_valid(SCO("artifact") "\"url\":\"http://a/\",\"hashes\":{\"MD5\":\"00\"}}");
    expect_invalid(SCO("file") "\"size\":3}", "'hashes' or 'name'");
    expect_valid(SCO("file") "\"hashes\":{\"SHA-256\":\"ab\"}}");
    expect_invalid(SCO("ipv4-addr") "\"value\":\"300.1.1.1\"}", "'value'");
    expect_invalid(SCO("ipv4-addr") "\"value\":\"10.0.0.0/33\"}", "'value'");
    expect_invalid(SCO("ipv6-addr") "\"value\":\"10.0.0.1\"}", "'value'");
    expect_invalid(SCO("mac-addr") "\"value\":\"D2:FB:49:24:37:18\"}", "'value'");
    expect_invalid(SCO("email-message") "\"is_multipart\":true,\"body\":\"x\"}", "'body'");
    expect_invalid(SCO("network-traffic") "\"protocols\":[\"tcp\"]}", "'src_ref' or 'dst_ref'");
    expect_invalid(SCO("network-traffic") "\"protocols\":[\"tcp\"],\"src_ref\":\"ipv4-addr--" U
                                          "\",\"src_port\":70000}",
                   "'src_port'");
    /* Observables with no required property of their own need at least one. */
    expect_invalid(SCO("process") "\"defanged\":true}", "at least one property");
    expect_invalid(SCO("user-account") "\"object_marking_refs\":[\"marking-definition--" U "\"]}",
                   "at least one property");
    expect_invalid(SCO("windows-registry-key") "\"spec_version\":\"2.1\"}",
                   "at least one property");
    expect_invalid(SCO("x509-certificate") "\"defanged\":false}", "at least one property");
    expect_invalid(SCO("autonomous-system") "\"number\":\"15139\"}", "'number'");
    expect_invalid(SCO("url") "\"value\":\"http://a/\",\"defanged\":\"no\"}", "'defanged'");
}

static void
test_meta_objects(void **state)
{
    (void)state;
    expect_invalid("{" COMMON("marking-definition") "\"created\":" TS "}", "'definition_type'");
    expect_valid("{" COMMON(
        "marking-definition") "\"created\":" TS ",\"extensions\":{\"extension-definition--" U
                              "\":{\"extension_type\":\"property-extension\"}}}");
    expect_invalid("{" COMMON("marking-definition") "\"created\":" TS
                                                    ",\"definition_type\":\"tlp\",\"definition\":{"
                                                    "\"tlp\":\"purple\"}}",
                   "'tlp'");
    expect_invalid(SDO("extension-definition") "\"created_by_ref\":" IDENT
                                               ",\"name\":\"e\",\"schema\":\"s\",\"version\":"
                                               "\"1\",\"extension_types\":[\"new-thing\"]}",
                   "'extension_types'");
    expect_invalid(SDO("language-content") "\"object_ref\":\"campaign--" U
                                           "\",\"contents\":{\"de\":\"x\"}}",
                   "'contents'");
}

static void
test_common_optional_properties(void **state)
{
    (void)state;
    expect_invalid(SDO("campaign") "\"name\":\"x\",\"created_by_ref\":\"campaign--" U "\"}",
                   "'created_by_ref'");
    expect_invalid(SDO("campaign") "\"name\":\"x\",\"object_marking_refs\":[\"identity--" U "\"]}",
                   "'object_marking_refs'");
    expect_invalid(SDO("campaign") "\"name\":\"x\",\"object_marking_refs\":\"marking-definition--" U
                                   "\"}",
                   "'object_marking_refs'");
    expect_invalid(SDO("campaign") "\"name\":\"x\",\"confidence\":101}", "'confidence'");
    expect_invalid(SDO("campaign") "\"name\":\"x\",\"confidence\":50.5}", "'confidence'");
    expect_invalid(SDO("campaign") "\"name\":\"x\",\"revoked\":\"no\"}", "'revoked'");
    expect_invalid(SDO("campaign") "\"name\":\"x\",\"labels\":[1]}", "'labels'");
    expect_invalid(SDO("campaign") "\"name\":\"x\",\"lang\":5}", "'lang'");
    expect_invalid(SDO("campaign") "\"name\":\"x\",\"external_references\":{}}",
                   "'external_references'");
    expect_invalid(SDO("campaign") "\"name\":\"x\",\"external_references\":[{\"url\":\"u\"}]}",
                   "'source_name'");
    expect_invalid(SDO("campaign") "\"name\":\"x\",\"granular_markings\":[{\"selectors\":[\"name"
                                   "\"]}]}",
                   "'marking_ref'");
    expect_invalid(SDO("campaign") "\"name\":\"x\",\"granular_markings\":[{\"marking_ref\":"
                                   "\"marking-definition--" U "\",\"selectors\":[]}]}",
                   "'selectors'");
    expect_invalid(
        SDO("campaign") "\"name\":\"x\",\"extensions\":{\"extension-definition--1\":{}}}",
        "'extensions'");
    expect_valid(SDO("campaign") "\"name\":\"x\",\"confidence\":0,\"revoked\":false,\"labels\":["
                                 "\"a\"],\"lang\":\"en\",\"created_by_ref\":" IDENT
                                 ",\"external_references\":[{\"source_name\":\"capec\","
                                 "\"external_id\":\"CAPEC-1\"}],\"granular_markings\":[{"
                                 "\"lang\":\"en\",\"selectors\":[\"name\"]}]}");
}

static void
test_custom_properties_and_types(void **state)
{
    (void)state;
    expect_valid(SDO("campaign") "\"name\":\"x\",\"x_acme_score\":{\"a\":1}}");
    expect_invalid(SDO("campaign") "\"name\":\"x\",\"x-acme\":1}", "property name");
    expect_invalid(SDO("campaign") "\"name\":\"x\",\"ab\":1}", "property name");
    expect_valid(SDO("x-mitre-tactic") "\"name\":\"x\",\"x_mitre_shortname\":\"y\"}");
    expect_invalid("{\"type\":\"x-mitre-tactic\",\"id\":\"x-mitre-tactic--" U "\"}",
                   "'spec_version'");
}

/* Validates text into info; the parsed object stays alive in *keep for info's strings. */
static kz_err
check_keep(const char *text, char *why, size_t whylen, struct kz_stix_info *info, json_t **keep)
{
    json_decref(*keep);
    *keep = load(text);
    return kz_stix_validate(*keep, &opts, info, why, whylen);
}

static void
test_info_is_filled(void **state)
{
    struct kz_stix_info info;
    char why[256];
    json_t *keep = NULL;
    (void)state;

    assert_int_equal(check_keep(SDO("campaign") "\"name\":\"x\",\"created_by_ref\":" IDENT "}", why,
                                sizeof(why), &info, &keep),
                     KZ_OK);
    assert_string_equal(info.type, "campaign");
    assert_string_equal(info.id, "campaign--" U);
    assert_string_equal(info.spec_version, "2.1");
    assert_string_equal(info.created_by_ref, "identity--" U);
    assert_string_equal(info.version, "2016-04-06T20:03:48.000Z");
    assert_true(info.version_us == 1459973028000000LL);
    assert_false(info.is_sco);
    assert_int_equal(info.tlp, KZ_TLP_AMBER);
    assert_false(info.tlp_marked);

    /* An observable without timestamps has no version; spec_version defaults to 2.1. */
    assert_int_equal(check_keep("{\"type\":\"url\",\"id\":\"url--" U "\",\"value\":\"http://a/\"}",
                                why, sizeof(why), &info, &keep),
                     KZ_OK);
    assert_true(info.is_sco);
    assert_null(info.version);
    assert_true(info.version_us == 0);
    assert_string_equal(info.spec_version, "2.1");

    /* Filled as far as possible on failure: id and version name the refused object. */
    assert_int_equal(check_keep(SDO("indicator") "\"pattern_type\":\"stix\",\"valid_from\":" TS "}",
                                why, sizeof(why), &info, &keep),
                     KZ_ERR_INVALID);
    assert_string_equal(info.id, "indicator--" U);
    assert_string_equal(info.type, "indicator");
    assert_string_equal(info.version, "2016-04-06T20:03:48.000Z");

    /* Modified wins over created. */
    assert_int_equal(check_keep("{" COMMON("campaign") "\"created\":" TS ",\"modified\":" TS2
                                                       ",\"name\":\"x\"}",
                                why, sizeof(why), &info, &keep),
                     KZ_OK);
    assert_string_equal(info.version, "2016-05-07T11:22:30.000Z");
    json_decref(keep);
}

/* Validates every object of every bundle in tests/data/stix; all must be valid. */
static void
test_real_bundles(void **state)
{
    const char *root = getenv("KZ_ROOT");
    const struct kz_json_limits lim = {KZ_LIMIT_JSON_DEPTH, KZ_LIMIT_STRING_BYTES};
    char dir[1024], path[1400], why[256];
    struct dirent *e;
    DIR *d;
    size_t files = 0, objects = 0;
    (void)state;

    snprintf(dir, sizeof(dir), "%s/tests/data/stix", root ? root : ".");
    d = opendir(dir);
    if (!d)
        fail_msg("cannot open '%s' (run from the repository root or set KZ_ROOT)", dir);
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        FILE *f;
        char *buf;
        long len;
        json_t *bundle, *objs, *o;
        size_t i;

        if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        f = fopen(path, "rb");
        assert_non_null(f);
        fseek(f, 0, SEEK_END);
        len = ftell(f);
        fseek(f, 0, SEEK_SET);
        buf = malloc((size_t)len + 1);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
        fclose(f);
        if (kz_json_parse(buf, (size_t)len, &lim, &bundle, why, sizeof(why)) != KZ_OK)
            fail_msg("%s: %s", e->d_name, why);
        if (strcmp(kz_json_str(bundle, "type"), "bundle") == 0) {
            objs = json_incref(json_object_get(bundle, "objects"));
        } else {
            objs = json_array(); /* a file holding one object */
            json_array_append(objs, bundle);
        }
        assert_true(json_is_array(objs));
        json_array_foreach(objs, i, o)
        {
            struct kz_stix_info info;
            if (kz_stix_validate(o, &opts, &info, why, sizeof(why)) != KZ_OK)
                fail_msg("%s: object %zu (%s): %s", e->d_name, i, info.id ? info.id : "?", why);
            objects++;
        }
        json_decref(objs);
        json_decref(bundle);
        free(buf);
        files++;
    }
    closedir(d);
    assert_true(files >= 10);
    assert_true(objects >= 50);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_objects_of_every_type),
        cmocka_unit_test(test_every_type_is_covered),
        cmocka_unit_test(test_every_required_property),
        cmocka_unit_test(test_common_properties_required),
        cmocka_unit_test(test_reason_wording),
        cmocka_unit_test(test_type_syntax),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_spec_version),
        cmocka_unit_test(test_timestamps),
        cmocka_unit_test(test_indicator_rules),
        cmocka_unit_test(test_indicator_pattern_is_checked),
        cmocka_unit_test(test_sdo_specific_rules),
        cmocka_unit_test(test_sco_specific_rules),
        cmocka_unit_test(test_meta_objects),
        cmocka_unit_test(test_common_optional_properties),
        cmocka_unit_test(test_custom_properties_and_types),
        cmocka_unit_test(test_info_is_filled),
        cmocka_unit_test(test_real_bundles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
