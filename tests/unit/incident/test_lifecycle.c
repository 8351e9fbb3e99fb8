/* The incident life cycle table and the folding of pushed versions into the index state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "incident/incident.h"

static void
test_names_round_trip(void **state)
{
    (void)state;
    for (int i = 0; i < KZ_INC_STATUS_COUNT; i++) {
        enum kz_incident_status st;
        assert_int_equal(kz_incident_status_parse(kz_incident_status_name(i), &st), KZ_OK);
        assert_int_equal(st, i);
    }
    for (int i = 0; i < KZ_SEV_COUNT; i++) {
        enum kz_incident_severity sev;
        assert_int_equal(kz_incident_severity_parse(kz_incident_severity_name(i), &sev), KZ_OK);
        assert_int_equal(sev, i);
    }
}

static void
test_unknown_names_are_invalid(void **state)
{
    enum kz_incident_status st;
    enum kz_incident_severity sev;

    (void)state;
    assert_int_equal(kz_incident_status_parse("done", &st), KZ_ERR_INVALID);
    assert_int_equal(kz_incident_status_parse("Closed", &st), KZ_ERR_INVALID);
    assert_int_equal(kz_incident_status_parse(NULL, &st), KZ_ERR_INVALID);
    assert_int_equal(kz_incident_severity_parse("urgent", &sev), KZ_ERR_INVALID);
    assert_string_equal(kz_incident_status_name((enum kz_incident_status)99), "unknown");
}

static void
test_the_forward_path_is_allowed(void **state)
{
    (void)state;
    for (int i = KZ_INC_REPORTED; i < KZ_INC_CLOSED; i++)
        assert_int_equal(kz_incident_move(i, i + 1), KZ_MOVE_ALLOWED);
}

static void
test_sensible_skips_are_allowed(void **state)
{
    (void)state;
    assert_int_equal(kz_incident_move(KZ_INC_REPORTED, KZ_INC_INVESTIGATING), KZ_MOVE_ALLOWED);
    assert_int_equal(kz_incident_move(KZ_INC_TRIAGE, KZ_INC_CONTAINED), KZ_MOVE_ALLOWED);
    assert_int_equal(kz_incident_move(KZ_INC_INVESTIGATING, KZ_INC_RECOVERED), KZ_MOVE_ALLOWED);
    assert_int_equal(kz_incident_move(KZ_INC_CONTAINED, KZ_INC_CLOSED), KZ_MOVE_ALLOWED);
}

static void
test_skipping_triage_into_containment_is_forbidden(void **state)
{
    (void)state;
    assert_int_equal(kz_incident_move(KZ_INC_REPORTED, KZ_INC_CONTAINED), KZ_MOVE_FORBIDDEN);
    assert_int_equal(kz_incident_move(KZ_INC_REPORTED, KZ_INC_RECOVERED), KZ_MOVE_FORBIDDEN);
    assert_int_equal(kz_incident_move(KZ_INC_TRIAGE, KZ_INC_RECOVERED), KZ_MOVE_FORBIDDEN);
}

static void
test_going_back_is_forbidden_except_with_reason(void **state)
{
    (void)state;
    assert_int_equal(kz_incident_move(KZ_INC_TRIAGE, KZ_INC_REPORTED), KZ_MOVE_FORBIDDEN);
    assert_int_equal(kz_incident_move(KZ_INC_INVESTIGATING, KZ_INC_TRIAGE), KZ_MOVE_FORBIDDEN);
    assert_int_equal(kz_incident_move(KZ_INC_RECOVERED, KZ_INC_CONTAINED), KZ_MOVE_FORBIDDEN);
    /* containment failed: back to investigation, with a reason */
    assert_int_equal(kz_incident_move(KZ_INC_CONTAINED, KZ_INC_INVESTIGATING),
                     KZ_MOVE_NEEDS_REASON);
    assert_int_equal(kz_incident_move(KZ_INC_RECOVERED, KZ_INC_INVESTIGATING),
                     KZ_MOVE_NEEDS_REASON);
}

static void
test_closed_reopens_only_with_reason(void **state)
{
    char why[256];

    (void)state;
    for (int to = KZ_INC_REPORTED; to <= KZ_INC_INVESTIGATING; to++)
        assert_int_equal(kz_incident_move(KZ_INC_CLOSED, to), KZ_MOVE_NEEDS_REASON);
    assert_int_equal(kz_incident_move(KZ_INC_CLOSED, KZ_INC_CONTAINED), KZ_MOVE_FORBIDDEN);
    assert_int_equal(
        kz_incident_check_move(KZ_INC_CLOSED, KZ_INC_INVESTIGATING, NULL, why, sizeof(why)),
        KZ_ERR_CONFLICT);
    assert_non_null(strstr(why, "'closed'"));
    assert_non_null(strstr(why, "'investigating'"));
    assert_non_null(strstr(why, "reason"));
    assert_int_equal(
        kz_incident_check_move(KZ_INC_CLOSED, KZ_INC_INVESTIGATING, "", why, sizeof(why)),
        KZ_ERR_CONFLICT);
    assert_int_equal(
        kz_incident_check_move(KZ_INC_CLOSED, KZ_INC_INVESTIGATING, "new site", why, sizeof(why)),
        KZ_OK);
}

static void
test_closing_early_needs_a_reason(void **state)
{
    (void)state;
    assert_int_equal(kz_incident_move(KZ_INC_REPORTED, KZ_INC_CLOSED), KZ_MOVE_NEEDS_REASON);
    assert_int_equal(kz_incident_move(KZ_INC_INVESTIGATING, KZ_INC_CLOSED), KZ_MOVE_NEEDS_REASON);
}

static void
test_forbidden_message_names_both_states(void **state)
{
    char why[256];

    (void)state;
    assert_int_equal(
        kz_incident_check_move(KZ_INC_INVESTIGATING, KZ_INC_REPORTED, "why not", why, sizeof(why)),
        KZ_ERR_CONFLICT);
    assert_string_equal(why, "an incident cannot go from 'investigating' to 'reported'");
    assert_int_equal(kz_incident_move((enum kz_incident_status) - 1, KZ_INC_TRIAGE),
                     KZ_MOVE_FORBIDDEN);
    assert_int_equal(kz_incident_move(KZ_INC_TRIAGE, (enum kz_incident_status)6),
                     KZ_MOVE_FORBIDDEN);
}

/* ---- folding ---- */

static json_t *
incident(const char *status, const char *severity, const char *reason)
{
    json_t *ext = json_pack("{s:s}", "extension_type", "property-extension");

    if (status)
        json_object_set_new(ext, "status", json_string(status));
    if (severity)
        json_object_set_new(ext, "severity", json_string(severity));
    if (reason)
        json_object_set_new(ext, "reason", json_string(reason));
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:o}}", "type", "incident", "id",
                     "incident--8e2e2d2b-17d4-4cbe-9e1a-0b2c5d3e4f50", "created",
                     "2026-03-01T10:00:00.000Z", "modified", "2026-03-01T10:00:00.000Z", "name",
                     "outage", "extensions", KZ_INCIDENT_EXT_ID, ext);
}

static const struct kz_incident_author member = {"acme", "electricity", false};
static const struct kz_incident_author centre = {"gsoc", "", true};

static void
test_a_member_report_starts_as_reported(void **state)
{
    json_t *obj = incident("closed", "national", NULL), *st = NULL;

    (void)state;
    assert_int_equal(kz_incident_fold(NULL, obj, "c1", &member, 1000, &st), KZ_OK);
    assert_string_equal(kz_json_str(st, "status"), "reported");
    /* a member cannot escalate to national by itself */
    assert_string_equal(kz_json_str(st, "severity"), "critical");
    assert_string_equal(kz_json_str(st, "reporter"), "acme");
    assert_string_equal(json_string_value(json_array_get(json_object_get(st, "sectors"), 0)),
                        "electricity");
    assert_int_equal(json_array_size(json_object_get(st, "transitions")), 1);
    assert_string_equal(kz_json_str(json_array_get(json_object_get(st, "transitions"), 0), "at"),
                        "2026-03-01T10:00:00.000Z");
    json_decref(obj);
    json_decref(st);
}

static void
test_the_centre_moves_along_the_table_only(void **state)
{
    json_t *o1 = incident(NULL, "high", NULL), *o2 = incident("triage", NULL, NULL);
    json_t *o3 = incident("reported", NULL, "oops"), *o4 = incident("closed", NULL, NULL);
    json_t *s1 = NULL, *s2 = NULL, *s3 = NULL, *s4 = NULL;

    (void)state;
    assert_int_equal(kz_incident_fold(NULL, o1, "c1", &member, 1000, &s1), KZ_OK);
    /* a member's later version changes nothing of the triage */
    assert_int_equal(kz_incident_fold(s1, o2, "c1", &member, 2000, &s2), KZ_OK);
    assert_string_equal(kz_json_str(s2, "status"), "reported");
    json_decref(s2);
    assert_int_equal(kz_incident_fold(s1, o2, "c1", &centre, 2000, &s2), KZ_OK);
    assert_string_equal(kz_json_str(s2, "status"), "triage");
    assert_int_equal(json_array_size(json_object_get(s2, "transitions")), 2);
    /* back to reported is forbidden whatever the reason: the status stays */
    assert_int_equal(kz_incident_fold(s2, o3, "c1", &centre, 3000, &s3), KZ_OK);
    assert_string_equal(kz_json_str(s3, "status"), "triage");
    assert_int_equal(json_array_size(json_object_get(s3, "transitions")), 2);
    /* closing from triage needs a reason; none given */
    assert_int_equal(kz_incident_fold(s3, o4, "c1", &centre, 4000, &s4), KZ_OK);
    assert_string_equal(kz_json_str(s4, "status"), "triage");
    json_decref(o1);
    json_decref(o2);
    json_decref(o3);
    json_decref(o4);
    json_decref(s1);
    json_decref(s2);
    json_decref(s3);
    json_decref(s4);
}

static void
test_alert_times_only_from_the_centre(void **state)
{
    json_t *obj = incident(NULL, "high", NULL), *ext, *a = NULL, *b = NULL;

    (void)state;
    ext = json_object_get(json_object_get(obj, "extensions"), KZ_INCIDENT_EXT_ID);
    json_object_set_new(ext, "alert", json_string("alert--x"));
    json_object_set_new(ext, "alert_created", json_string("2026-03-01T09:00:00Z"));
    json_object_set_new(ext, "first_sighting", json_string("not a time"));
    assert_int_equal(kz_incident_fold(NULL, obj, "c1", &member, 1000, &a), KZ_OK);
    assert_null(json_object_get(a, "alert"));
    assert_int_equal(kz_incident_fold(NULL, obj, "c1", &centre, 1000, &b), KZ_OK);
    assert_string_equal(kz_json_str(b, "alert"), "alert--x");
    assert_string_equal(kz_json_str(b, "alert_created"), "2026-03-01T09:00:00Z");
    assert_null(json_object_get(b, "first_sighting"));
    json_decref(obj);
    json_decref(a);
    json_decref(b);
}

static void
test_figures_follow_transitions(void **state)
{
    json_t *st =
        json_pack("{s:s, s:s, s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]}", "created",
                  "2026-03-01T10:00:00Z", "first_shared", "2026-03-01T10:30:00Z", "transitions",
                  "status", "reported", "at", "2026-03-01T10:00:00Z", "status", "contained", "at",
                  "2026-03-01T12:00:00Z", "status", "closed", "at", "2026-03-02T10:00:00Z");
    json_t *f = kz_incident_figures(st);

    (void)state;
    assert_true(json_real_value(json_object_get(f, "report_to_containment_s")) == 7200.0);
    assert_true(json_real_value(json_object_get(f, "report_to_closure_s")) == 86400.0);
    assert_true(json_real_value(json_object_get(f, "report_to_first_share_s")) == 1800.0);
    assert_true(json_is_null(json_object_get(f, "first_sighting_to_alert_s")));
    json_decref(f);
    json_decref(st);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_round_trip),
        cmocka_unit_test(test_unknown_names_are_invalid),
        cmocka_unit_test(test_the_forward_path_is_allowed),
        cmocka_unit_test(test_sensible_skips_are_allowed),
        cmocka_unit_test(test_skipping_triage_into_containment_is_forbidden),
        cmocka_unit_test(test_going_back_is_forbidden_except_with_reason),
        cmocka_unit_test(test_closed_reopens_only_with_reason),
        cmocka_unit_test(test_closing_early_needs_a_reason),
        cmocka_unit_test(test_forbidden_message_names_both_states),
        cmocka_unit_test(test_a_member_report_starts_as_reported),
        cmocka_unit_test(test_the_centre_moves_along_the_table_only),
        cmocka_unit_test(test_alert_times_only_from_the_centre),
        cmocka_unit_test(test_figures_follow_transitions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
