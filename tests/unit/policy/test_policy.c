/* Access and TLP rules of DESIGN.md "Users and roles" and "Sharing model", one test per rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "policy/policy.h"

static struct kz_caller
anon(void)
{
    struct kz_caller c;

    memset(&c, 0, sizeof(c));
    return c;
}

static struct kz_caller
caller(enum kz_role role, const char *slug, const char *type, const char *sector)
{
    struct kz_caller c = anon();

    c.authenticated = true;
    c.role = role;
    snprintf(c.key_id, sizeof(c.key_id), "kz_0123456789abcdef01234567");
    snprintf(c.org.slug, sizeof(c.org.slug), "%s", slug);
    snprintf(c.org.type, sizeof(c.org.type), "%s", type);
    snprintf(c.org.sector, sizeof(c.org.sector), "%s", sector);
    return c;
}

static struct kz_collection
coll(const char *readers, const char *writers, enum kz_tlp max)
{
    struct kz_collection c;

    memset(&c, 0, sizeof(c));
    snprintf(c.id, sizeof(c.id), "6ba7b810-9dad-11d1-80b4-00c04fd430c8");
    snprintf(c.alias, sizeof(c.alias), "test");
    snprintf(c.readers, sizeof(c.readers), "%s", readers);
    snprintf(c.writers, sizeof(c.writers), "%s", writers);
    c.max_tlp = max;
    return c;
}

static struct kz_object_in
obj(const char *type, enum kz_tlp tlp)
{
    struct kz_object_in o;

    memset(&o, 0, sizeof(o));
    o.id = "indicator--6ba7b810-9dad-11d1-80b4-00c04fd430c8";
    o.type = type;
    o.spec_version = "2.1";
    o.tlp = tlp;
    o.json = "{}";
    o.json_len = 2;
    return o;
}

static const struct kz_object_origin fresh = {false, false, ""};

static void
test_vocabulary(void **state)
{
    enum kz_role r;
    (void)state;
    assert_int_equal(kz_role_parse(kz_str_lit("gsoc"), &r), KZ_OK);
    assert_int_equal(r, KZ_ROLE_GSOC);
    assert_int_equal(kz_role_parse(kz_str_lit("sensor"), &r), KZ_OK);
    assert_int_equal(r, KZ_ROLE_SENSOR);
    assert_int_equal(kz_role_parse(kz_str_lit("root"), &r), KZ_ERR_INVALID);
    assert_string_equal(kz_role_name(KZ_ROLE_ADMIN), "admin");
    assert_string_equal(kz_role_name(KZ_ROLE_MEMBER), "member");
    assert_true(kz_org_type_valid("security-vendor"));
    assert_true(kz_org_type_valid("cip"));
    assert_false(kz_org_type_valid("bank"));
    assert_true(kz_slug_valid("acme-1"));
    assert_false(kz_slug_valid("-acme"));
    assert_false(kz_slug_valid("acme-"));
    assert_false(kz_slug_valid("Acme"));
    assert_false(kz_slug_valid(""));
    assert_false(kz_slug_valid("a234567890123456789012345678901234567890123456789012345678901234"));
}

static void
test_principals_check(void **state)
{
    char why[256];
    (void)state;
    assert_int_equal(kz_principals_check("public member org:acme sector:finance type:isp "
                                         "role:gsoc",
                                         why, sizeof(why)),
                     KZ_OK);
    assert_int_equal(kz_principals_check("org:acme,role:gsoc, sector:ict", why, sizeof(why)),
                     KZ_OK);
    assert_int_equal(kz_principals_check("", why, sizeof(why)), KZ_OK);
    assert_int_equal(kz_principals_check("org:acme everyone", why, sizeof(why)), KZ_ERR_INVALID);
    assert_non_null(strstr(why, "'everyone'"));
    assert_int_equal(kz_principals_check("type:bank", why, sizeof(why)), KZ_ERR_INVALID);
    assert_int_equal(kz_principals_check("role:root", why, sizeof(why)), KZ_ERR_INVALID);
    assert_int_equal(kz_principals_check("org:", why, sizeof(why)), KZ_ERR_INVALID);
    assert_int_equal(kz_principals_check("org:Acme", why, sizeof(why)), KZ_ERR_INVALID);
}

static void
test_public_matches_everyone_member_only_authenticated(void **state)
{
    struct kz_caller a = anon();
    struct kz_caller m = caller(KZ_ROLE_MEMBER, "acme", "company", "");
    (void)state;
    assert_true(kz_policy_matches(&a, "public"));
    assert_true(kz_policy_matches(&m, "public"));
    assert_false(kz_policy_matches(&a, "member"));
    assert_true(kz_policy_matches(&m, "member"));
    /* Anonymous callers match nothing but public. */
    assert_false(kz_policy_matches(&a, "org: sector: type: role:admin"));
}

static void
test_principal_kinds_match(void **state)
{
    struct kz_caller m = caller(KZ_ROLE_MEMBER, "tepco", "cip", "electricity");
    (void)state;
    assert_true(kz_policy_matches(&m, "org:tepco"));
    assert_false(kz_policy_matches(&m, "org:tep"));
    assert_true(kz_policy_matches(&m, "sector:electricity"));
    assert_false(kz_policy_matches(&m, "sector:gas"));
    assert_true(kz_policy_matches(&m, "type:cip"));
    assert_false(kz_policy_matches(&m, "type:isp"));
    assert_true(kz_policy_matches(&m, "role:member"));
    assert_false(kz_policy_matches(&m, "role:gsoc"));
    assert_true(kz_policy_matches(&m, "org:other,sector:electricity"));
    /* An organisation without a sector does not match an empty sector. */
    m.org.sector[0] = '\0';
    assert_false(kz_policy_matches(&m, "sector:"));
}

static void
test_gsoc_reads_every_collection(void **state)
{
    struct kz_caller g = caller(KZ_ROLE_GSOC, "gsoc", "government", "");
    struct kz_collection c = coll("org:acme", "org:acme", KZ_TLP_AMBER);
    (void)state;
    assert_true(kz_policy_can_read(&g, &c));
    /* Reading everything is not writing everything. */
    assert_false(kz_policy_can_write(&g, &c));
}

static void
test_admin_reads_only_through_principals(void **state)
{
    struct kz_caller adm = caller(KZ_ROLE_ADMIN, "gsoc", "government", "");
    struct kz_collection priv = coll("org:acme", "org:acme", KZ_TLP_AMBER);
    struct kz_collection own = coll("org:gsoc", "org:gsoc", KZ_TLP_AMBER);
    (void)state;
    assert_false(kz_policy_can_read(&adm, &priv));
    assert_true(kz_policy_can_read(&adm, &own));
}

static void
test_member_reads_and_writes_by_principals(void **state)
{
    struct kz_caller m = caller(KZ_ROLE_MEMBER, "acme", "company", "finance");
    struct kz_collection sector =
        coll("sector:finance role:gsoc", "sector:finance role:gsoc", KZ_TLP_AMBER);
    struct kz_collection other = coll("sector:gas role:gsoc", "sector:gas role:gsoc", KZ_TLP_AMBER);
    struct kz_collection pub = coll("public", "role:gsoc", KZ_TLP_CLEAR);
    (void)state;
    assert_true(kz_policy_can_read(&m, &sector));
    assert_true(kz_policy_can_write(&m, &sector));
    assert_false(kz_policy_can_read(&m, &other));
    assert_false(kz_policy_can_write(&m, &other));
    assert_true(kz_policy_can_read(&m, &pub));
    assert_false(kz_policy_can_write(&m, &pub));
}

static void
test_anonymous_reads_public_clear_only(void **state)
{
    struct kz_caller a = anon();
    struct kz_collection pub = coll("public", "role:gsoc", KZ_TLP_CLEAR);
    struct kz_collection com = coll("member public", "member", KZ_TLP_AMBER);
    struct kz_collection members = coll("member", "member", KZ_TLP_AMBER);
    (void)state;
    assert_true(kz_policy_can_read(&a, &pub));
    assert_int_equal(kz_policy_read_max_tlp(&a, &pub), KZ_TLP_CLEAR);
    /* Even a misconfigured collection gives anonymous callers CLEAR only. */
    assert_int_equal(kz_policy_read_max_tlp(&a, &com), KZ_TLP_CLEAR);
    assert_false(kz_policy_can_read(&a, &members));
    assert_false(kz_policy_can_write(&a, &pub));
}

static void
test_red_visible_only_to_named_orgs(void **state)
{
    struct kz_caller named = caller(KZ_ROLE_MEMBER, "acme", "company", "finance");
    struct kz_caller sector = caller(KZ_ROLE_MEMBER, "bank", "company", "finance");
    struct kz_caller g = caller(KZ_ROLE_GSOC, "gsoc", "government", "");
    struct kz_collection red = coll("org:acme role:gsoc", "org:acme", KZ_TLP_RED);
    struct kz_collection sec = coll("sector:finance org:acme", "sector:finance", KZ_TLP_RED);
    struct kz_collection to_gsoc = coll("org:acme org:gsoc", "org:acme", KZ_TLP_RED);
    (void)state;
    assert_int_equal(kz_policy_read_max_tlp(&named, &red), KZ_TLP_RED);
    /* gsoc reads the collection, but RED not addressed to its organisation stays hidden. */
    assert_true(kz_policy_can_read(&g, &red));
    assert_int_equal(kz_policy_read_max_tlp(&g, &red), KZ_TLP_AMBER_STRICT);
    assert_int_equal(kz_policy_read_max_tlp(&g, &to_gsoc), KZ_TLP_RED);
    /* A reader through its sector is not a named organisation. */
    assert_int_equal(kz_policy_read_max_tlp(&sector, &sec), KZ_TLP_AMBER_STRICT);
    assert_int_equal(kz_policy_read_max_tlp(&named, &sec), KZ_TLP_RED);
}

static void
test_read_max_never_above_collection_max(void **state)
{
    struct kz_caller named = caller(KZ_ROLE_MEMBER, "acme", "company", "");
    struct kz_caller g = caller(KZ_ROLE_GSOC, "gsoc", "government", "");
    struct kz_collection green = coll("org:acme", "org:acme", KZ_TLP_GREEN);
    struct kz_collection amber = coll("member", "member", KZ_TLP_AMBER);
    (void)state;
    assert_int_equal(kz_policy_read_max_tlp(&named, &green), KZ_TLP_GREEN);
    assert_int_equal(kz_policy_read_max_tlp(&g, &green), KZ_TLP_GREEN);
    assert_int_equal(kz_policy_read_max_tlp(&named, &amber), KZ_TLP_AMBER);
}

static void
test_collection_public_means_clear(void **state)
{
    struct kz_collection c = coll("public", "role:gsoc", KZ_TLP_GREEN);
    char why[256];
    (void)state;
    assert_int_equal(kz_policy_check_collection(&c, why, sizeof(why)), KZ_ERR_INVALID);
    assert_non_null(strstr(why, "public"));
    c.max_tlp = KZ_TLP_CLEAR;
    assert_int_equal(kz_policy_check_collection(&c, why, sizeof(why)), KZ_OK);
    c = coll("org:acme,public", "org:acme", KZ_TLP_AMBER);
    assert_int_equal(kz_policy_check_collection(&c, why, sizeof(why)), KZ_ERR_INVALID);
}

static void
test_collection_red_needs_named_orgs(void **state)
{
    static const char *const bad[] = {"sector:finance",          "type:isp",  "member", "public",
                                      "org:acme sector:finance", "role:gsoc", ""};
    char why[256];
    struct kz_collection c;
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        c = coll(bad[i], "org:acme", KZ_TLP_RED);
        if (kz_policy_check_collection(&c, why, sizeof(why)) != KZ_ERR_INVALID)
            fail_msg("RED collection read by '%s' accepted", bad[i]);
        if (strcmp(bad[i], "public") == 0)
            continue; /* refused first by the public-means-CLEAR rule */
        assert_non_null(strstr(why, "TLP:RED may only go to collections read by named "
                                    "organisations"));
    }
    c = coll("org:acme org:beta role:gsoc", "org:acme", KZ_TLP_RED);
    assert_int_equal(kz_policy_check_collection(&c, why, sizeof(why)), KZ_OK);
    /* Below RED, sector readers are fine. */
    c = coll("sector:finance role:gsoc", "sector:finance", KZ_TLP_AMBER);
    assert_int_equal(kz_policy_check_collection(&c, why, sizeof(why)), KZ_OK);
}

static void
test_write_tlp_within_collection_max(void **state)
{
    struct kz_caller m = caller(KZ_ROLE_MEMBER, "acme", "company", "");
    struct kz_collection c = coll("member", "member", KZ_TLP_GREEN);
    struct kz_object_in o = obj("indicator", KZ_TLP_AMBER);
    char why[256];
    (void)state;
    assert_int_equal(kz_policy_check_write(&m, &c, &o, &fresh, "acme", why, sizeof(why)),
                     KZ_ERR_DENIED);
    assert_string_equal(why, "TLP:AMBER exceeds the collection's max TLP:GREEN");
    o.tlp = KZ_TLP_GREEN;
    assert_int_equal(kz_policy_check_write(&m, &c, &o, &fresh, "acme", why, sizeof(why)), KZ_OK);
    o.tlp = KZ_TLP_CLEAR;
    assert_int_equal(kz_policy_check_write(&m, &c, &o, &fresh, "acme", why, sizeof(why)), KZ_OK);
    c.max_tlp = KZ_TLP_AMBER;
    o.tlp = KZ_TLP_AMBER_STRICT;
    assert_int_equal(kz_policy_check_write(&m, &c, &o, &fresh, "acme", why, sizeof(why)),
                     KZ_ERR_DENIED);
    assert_string_equal(why, "TLP:AMBER+STRICT exceeds the collection's max TLP:AMBER");
}

static void
test_write_red_only_to_named_orgs(void **state)
{
    static const char *const wide[] = {"sector:finance org:acme", "type:cip org:acme", "member",
                                       "public", "role:gsoc"};
    struct kz_caller m = caller(KZ_ROLE_MEMBER, "acme", "company", "finance");
    struct kz_object_in o = obj("indicator", KZ_TLP_RED);
    struct kz_collection c;
    char why[256];
    (void)state;
    for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++) {
        /* max_tlp RED so that only the named-organisation rule can refuse. */
        c = coll(wide[i], "member", KZ_TLP_RED);
        if (kz_policy_check_write(&m, &c, &o, &fresh, "acme", why, sizeof(why)) != KZ_ERR_DENIED)
            fail_msg("RED write into collection read by '%s' allowed", wide[i]);
        assert_string_equal(why, "TLP:RED may only go to collections read by named organisations");
    }
    c = coll("org:acme org:beta role:gsoc", "org:acme", KZ_TLP_RED);
    assert_int_equal(kz_policy_check_write(&m, &c, &o, &fresh, "acme", why, sizeof(why)), KZ_OK);
}

static void
test_reshare_only_by_creator(void **state)
{
    static const enum kz_tlp guarded[] = {KZ_TLP_AMBER, KZ_TLP_AMBER_STRICT, KZ_TLP_RED};
    struct kz_caller creator = caller(KZ_ROLE_MEMBER, "acme", "company", "");
    struct kz_caller other = caller(KZ_ROLE_MEMBER, "beta", "company", "");
    struct kz_caller g = caller(KZ_ROLE_GSOC, "gsoc", "government", "");
    struct kz_collection c = coll("org:acme org:beta", "org:acme org:beta role:gsoc", KZ_TLP_RED);
    struct kz_object_origin elsewhere = {true, true, "acme"};
    struct kz_object_origin only_here = {true, false, "acme"};
    char why[256], want[128];
    (void)state;
    for (size_t i = 0; i < sizeof(guarded) / sizeof(guarded[0]); i++) {
        struct kz_object_in o = obj("indicator", guarded[i]);
        assert_int_equal(
            kz_policy_check_write(&other, &c, &o, &elsewhere, "acme", why, sizeof(why)),
            KZ_ERR_DENIED);
        snprintf(want, sizeof(want), "only the creating organisation may re-share TLP:%s objects",
                 guarded[i] == KZ_TLP_AMBER ? "AMBER"
                 : guarded[i] == KZ_TLP_RED ? "RED"
                                            : "AMBER+STRICT");
        assert_string_equal(why, want);
        /* Not even the coordinating centre. */
        assert_int_equal(kz_policy_check_write(&g, &c, &o, &elsewhere, "acme", why, sizeof(why)),
                         KZ_ERR_DENIED);
        assert_int_equal(
            kz_policy_check_write(&creator, &c, &o, &elsewhere, "acme", why, sizeof(why)), KZ_OK);
        /* A new version in the same collection is not a re-share. */
        assert_int_equal(
            kz_policy_check_write(&other, &c, &o, &only_here, "acme", why, sizeof(why)), KZ_OK);
    }
}

static void
test_reshare_creator_from_identity_then_first_submitter(void **state)
{
    struct kz_caller beta = caller(KZ_ROLE_MEMBER, "beta", "company", "");
    struct kz_collection c = coll("member", "member", KZ_TLP_AMBER);
    struct kz_object_in o = obj("indicator", KZ_TLP_AMBER);
    struct kz_object_origin first_beta = {true, true, "beta"};
    char why[256];
    (void)state;
    /* created_by_ref names acme: beta, the first submitter, may not re-share. */
    assert_int_equal(kz_policy_check_write(&beta, &c, &o, &first_beta, "acme", why, sizeof(why)),
                     KZ_ERR_DENIED);
    /* No identity known: the first submitter is the creator. */
    assert_int_equal(kz_policy_check_write(&beta, &c, &o, &first_beta, "", why, sizeof(why)),
                     KZ_OK);
    first_beta.first_org[0] = '\0';
    assert_int_equal(kz_policy_check_write(&beta, &c, &o, &first_beta, "", why, sizeof(why)),
                     KZ_ERR_DENIED);
}

static void
test_green_and_clear_reshared_by_anyone(void **state)
{
    struct kz_caller other = caller(KZ_ROLE_MEMBER, "beta", "company", "");
    struct kz_collection c = coll("member", "member", KZ_TLP_AMBER);
    struct kz_object_origin elsewhere = {true, true, "acme"};
    struct kz_object_in o = obj("indicator", KZ_TLP_GREEN);
    char why[256];
    (void)state;
    assert_int_equal(kz_policy_check_write(&other, &c, &o, &elsewhere, "acme", why, sizeof(why)),
                     KZ_OK);
    o.tlp = KZ_TLP_CLEAR;
    assert_int_equal(kz_policy_check_write(&other, &c, &o, &elsewhere, "acme", why, sizeof(why)),
                     KZ_OK);
    /* ...but still within the collection's limits. */
    c.max_tlp = KZ_TLP_CLEAR;
    o.tlp = KZ_TLP_GREEN;
    assert_int_equal(kz_policy_check_write(&other, &c, &o, &elsewhere, "acme", why, sizeof(why)),
                     KZ_ERR_DENIED);
}

static void
test_sensor_writes_sightings_and_observables_only(void **state)
{
    static const char *const allowed[] = {"sighting", "observed-data", "ipv4-addr",
                                          "file",     "domain-name",   "url"};
    static const char *const refused[] = {"indicator",          "malware", "relationship", "report",
                                          "marking-definition", "x-acme"};
    struct kz_caller s = caller(KZ_ROLE_SENSOR, "acme", "company", "");
    struct kz_caller m = caller(KZ_ROLE_MEMBER, "acme", "company", "");
    struct kz_collection c = coll("org:acme role:gsoc", "org:acme", KZ_TLP_AMBER);
    char why[256];
    (void)state;
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
        struct kz_object_in o = obj(allowed[i], KZ_TLP_AMBER);
        assert_int_equal(kz_policy_check_write(&s, &c, &o, &fresh, "acme", why, sizeof(why)),
                         KZ_OK);
    }
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        struct kz_object_in o = obj(refused[i], KZ_TLP_GREEN);
        assert_int_equal(kz_policy_check_write(&s, &c, &o, &fresh, "acme", why, sizeof(why)),
                         KZ_ERR_DENIED);
        assert_non_null(strstr(why, "sensor"));
        assert_int_equal(kz_policy_check_write(&m, &c, &o, &fresh, "acme", why, sizeof(why)),
                         KZ_OK);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vocabulary),
        cmocka_unit_test(test_principals_check),
        cmocka_unit_test(test_public_matches_everyone_member_only_authenticated),
        cmocka_unit_test(test_principal_kinds_match),
        cmocka_unit_test(test_gsoc_reads_every_collection),
        cmocka_unit_test(test_admin_reads_only_through_principals),
        cmocka_unit_test(test_member_reads_and_writes_by_principals),
        cmocka_unit_test(test_anonymous_reads_public_clear_only),
        cmocka_unit_test(test_red_visible_only_to_named_orgs),
        cmocka_unit_test(test_read_max_never_above_collection_max),
        cmocka_unit_test(test_collection_public_means_clear),
        cmocka_unit_test(test_collection_red_needs_named_orgs),
        cmocka_unit_test(test_write_tlp_within_collection_max),
        cmocka_unit_test(test_write_red_only_to_named_orgs),
        cmocka_unit_test(test_reshare_only_by_creator),
        cmocka_unit_test(test_reshare_creator_from_identity_then_first_submitter),
        cmocka_unit_test(test_green_and_clear_reshared_by_anyone),
        cmocka_unit_test(test_sensor_writes_sightings_and_observables_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
