/* TLP: names, parsing, the TLP 1.0 and 2.0 marking ids, and an object's effective TLP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "stix/stix.h"

#define U  "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
#define TS "\"2016-04-06T20:03:48.000Z\""
#define HEAD                                                                                       \
    "{\"type\":\"campaign\",\"spec_version\":\"2.1\",\"id\":\"campaign--" U "\",\"created\":" TS   \
    ",\"modified\":" TS ",\"name\":\"x\""

#define V2_CLEAR  "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
#define V2_GREEN  "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define V2_AMBER  "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
#define V2_STRICT "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
#define V2_RED    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
#define V1_WHITE  "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
#define V1_GREEN  "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
#define V1_AMBER  "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
#define V1_RED    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"

static void
test_names(void **state)
{
    (void)state;
    assert_string_equal(kz_tlp_name(KZ_TLP_CLEAR), "clear");
    assert_string_equal(kz_tlp_name(KZ_TLP_GREEN), "green");
    assert_string_equal(kz_tlp_name(KZ_TLP_AMBER), "amber");
    assert_string_equal(kz_tlp_name(KZ_TLP_AMBER_STRICT), "amber+strict");
    assert_string_equal(kz_tlp_name(KZ_TLP_RED), "red");
}

static void
test_parse(void **state)
{
    static const struct {
        const char *text;
        enum kz_tlp want;
    } ok[] = {
        {"clear", KZ_TLP_CLEAR},
        {"WHITE", KZ_TLP_CLEAR},
        {"tlp:white", KZ_TLP_CLEAR},
        {"TLP:GREEN", KZ_TLP_GREEN},
        {"amber", KZ_TLP_AMBER},
        {"Amber+Strict", KZ_TLP_AMBER_STRICT},
        {"tlp:amber+strict", KZ_TLP_AMBER_STRICT},
        {"red", KZ_TLP_RED},
    };
    static const char *const bad[] = {"", "tlp:", "purple", "amber strict", "redd", "tlp:tlp:red"};
    enum kz_tlp t;
    (void)state;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        assert_int_equal(kz_tlp_parse(kz_str_from_cstr(ok[i].text), &t), KZ_OK);
        assert_int_equal(t, ok[i].want);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(kz_tlp_parse(kz_str_from_cstr(bad[i]), &t), KZ_ERR_INVALID);
}

static void
test_marking_ids(void **state)
{
    static const struct {
        const char *id;
        enum kz_tlp want;
    } ids[] = {
        {V2_CLEAR, KZ_TLP_CLEAR},         {V2_GREEN, KZ_TLP_GREEN}, {V2_AMBER, KZ_TLP_AMBER},
        {V2_STRICT, KZ_TLP_AMBER_STRICT}, {V2_RED, KZ_TLP_RED},     {V1_WHITE, KZ_TLP_CLEAR},
        {V1_GREEN, KZ_TLP_GREEN},         {V1_AMBER, KZ_TLP_AMBER}, {V1_RED, KZ_TLP_RED},
    };
    enum kz_tlp t;
    (void)state;
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        assert_int_equal(kz_tlp_from_marking_id(kz_str_from_cstr(ids[i].id), &t), KZ_OK);
        assert_int_equal(t, ids[i].want);
    }
    assert_int_equal(kz_tlp_from_marking_id(kz_str_from_cstr("marking-definition--" U), &t),
                     KZ_ERR_NOTFOUND);
    assert_int_equal(kz_tlp_from_marking_id(kz_str_from_cstr(""), &t), KZ_ERR_NOTFOUND);
    /* The ids to write are the TLP 2.0 ones. */
    assert_string_equal(kz_tlp_marking_id(KZ_TLP_CLEAR), V2_CLEAR);
    assert_string_equal(kz_tlp_marking_id(KZ_TLP_GREEN), V2_GREEN);
    assert_string_equal(kz_tlp_marking_id(KZ_TLP_AMBER), V2_AMBER);
    assert_string_equal(kz_tlp_marking_id(KZ_TLP_AMBER_STRICT), V2_STRICT);
    assert_string_equal(kz_tlp_marking_id(KZ_TLP_RED), V2_RED);
}

static void
effective(const char *text, enum kz_tlp deflt, enum kz_tlp want, bool marked)
{
    struct kz_stix_opts opts = {deflt};
    struct kz_stix_info info;
    char why[256] = "";
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);

    if (!j)
        fail_msg("bad test JSON: %s", e.text);
    if (kz_stix_validate(j, &opts, &info, why, sizeof(why)) != KZ_OK)
        fail_msg("refused: %s", why);
    if (info.tlp != want || info.tlp_marked != marked)
        fail_msg("tlp %s marked %d, want %s marked %d: %s", kz_tlp_name(info.tlp), info.tlp_marked,
                 kz_tlp_name(want), marked, text);
    json_decref(j);
}

static void
test_effective_most_restrictive(void **state)
{
    (void)state;
    effective(HEAD ",\"object_marking_refs\":[\"" V2_GREEN "\"]}", KZ_TLP_AMBER, KZ_TLP_GREEN,
              true);
    effective(HEAD ",\"object_marking_refs\":[\"" V2_GREEN "\",\"" V2_RED "\",\"" V2_AMBER "\"]}",
              KZ_TLP_CLEAR, KZ_TLP_RED, true);
    effective(HEAD ",\"object_marking_refs\":[\"" V2_AMBER "\",\"" V2_STRICT "\"]}", KZ_TLP_CLEAR,
              KZ_TLP_AMBER_STRICT, true);
    /* TLP 1.0 ids count the same; WHITE is CLEAR. */
    effective(HEAD ",\"object_marking_refs\":[\"" V1_WHITE "\"]}", KZ_TLP_RED, KZ_TLP_CLEAR, true);
    effective(HEAD ",\"object_marking_refs\":[\"" V1_GREEN "\",\"" V1_AMBER "\"]}", KZ_TLP_CLEAR,
              KZ_TLP_AMBER, true);
    effective(HEAD ",\"object_marking_refs\":[\"" V1_RED "\",\"" V2_GREEN "\"]}", KZ_TLP_CLEAR,
              KZ_TLP_RED, true);
    /* Granular markings raise the level too. */
    effective(HEAD ",\"object_marking_refs\":[\"" V2_GREEN "\"],\"granular_markings\":[{"
                   "\"marking_ref\":\"" V2_RED "\",\"selectors\":[\"name\"]}]}",
              KZ_TLP_CLEAR, KZ_TLP_RED, true);
    effective(HEAD ",\"granular_markings\":[{\"marking_ref\":\"" V2_AMBER
                   "\",\"selectors\":[\"name\"]}]}",
              KZ_TLP_CLEAR, KZ_TLP_AMBER, true);
}

static void
test_effective_default(void **state)
{
    (void)state;
    effective(HEAD "}", KZ_TLP_AMBER, KZ_TLP_AMBER, false);
    effective(HEAD "}", KZ_TLP_GREEN, KZ_TLP_GREEN, false);
    /* Non-TLP markings leave the default in place. */
    effective(HEAD ",\"object_marking_refs\":[\"marking-definition--" U "\"]}", KZ_TLP_RED,
              KZ_TLP_RED, false);
    /* An explicit CLEAR is marked, and is not replaced by the default. */
    effective(HEAD ",\"object_marking_refs\":[\"" V2_CLEAR "\"]}", KZ_TLP_AMBER, KZ_TLP_CLEAR,
              true);
}

static void
test_tlp_definition_itself_is_clear(void **state)
{
    (void)state;
    effective("{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"" V1_RED
              "\",\"created\":\"2017-01-20T00:00:00.000Z\",\"definition_type\":\"tlp\","
              "\"name\":\"TLP:RED\",\"definition\":{\"tlp\":\"red\"}}",
              KZ_TLP_AMBER, KZ_TLP_CLEAR, true);
    effective("{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"" V2_RED
              "\",\"created\":\"2022-10-01T00:00:00.000Z\",\"name\":\"TLP:RED\",\"extensions\":{"
              "\"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d\":{"
              "\"extension_type\":\"property-extension\",\"tlp_2_0\":\"red\"}}}",
              KZ_TLP_AMBER, KZ_TLP_CLEAR, true);
    /* Another marking definition is unmarked: the default applies. */
    effective("{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":"
              "\"marking-definition--" U "\",\"created\":" TS ",\"definition_type\":"
              "\"statement\",\"definition\":{\"statement\":\"(c) ACME\"}}",
              KZ_TLP_AMBER, KZ_TLP_AMBER, false);
}

static void
test_sco_types(void **state)
{
    (void)state;
    assert_true(kz_stix_type_is_sco("ipv4-addr"));
    assert_true(kz_stix_type_is_sco("file"));
    assert_true(kz_stix_type_is_sco("x509-certificate"));
    assert_false(kz_stix_type_is_sco("indicator"));
    assert_false(kz_stix_type_is_sco("sighting"));
    assert_false(kz_stix_type_is_sco("x-acme"));
    assert_false(kz_stix_type_is_sco(NULL));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_marking_ids),
        cmocka_unit_test(test_effective_most_restrictive),
        cmocka_unit_test(test_effective_default),
        cmocka_unit_test(test_tlp_definition_itself_is_clear),
        cmocka_unit_test(test_sco_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
