/*
 * Fuzz target: bytes → bounded JSON parse → the incident object folded into the index state
 * as a member's report, then again as the centre's next version (what a TAXII push reaches).
 * The state must keep a known status and severity whatever the object says.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/json.h"
#include "incident/incident.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_state(const json_t *st)
{
    enum kz_incident_status s;
    enum kz_incident_severity v;

    if (kz_incident_status_parse(kz_json_str(st, "status"), &s) != KZ_OK ||
        kz_incident_severity_parse(kz_json_str(st, "severity"), &v) != KZ_OK ||
        !json_is_array(json_object_get(st, "transitions")))
        __builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct kz_json_limits lim = {64, 1 << 16};
    static const struct kz_incident_author member = {"acme", "electricity", false};
    static const struct kz_incident_author centre = {"gsoc", "", true};
    json_t *obj = NULL, *s1 = NULL, *s2 = NULL, *stix;
    char why[256];

    if (kz_json_parse((const char *)data, size, &lim, &obj, why, sizeof(why)) != KZ_OK)
        return 0;
    if (kz_incident_fold(NULL, obj, "c", &member, 1000, &s1) == KZ_OK) {
        check_state(s1);
        if (kz_incident_fold(s1, obj, "c", &centre, 2000, &s2) == KZ_OK) {
            check_state(s2);
            json_decref(kz_incident_figures(s2));
            if (kz_json_str(s2, "id") && kz_json_str(s2, "created") && kz_json_str(s2, "name")) {
                stix = kz_incident_stix(s2, NULL, 3000, "r");
                json_decref(stix);
            }
        }
    }
    json_decref(obj);
    json_decref(s1);
    json_decref(s2);
    return 0;
}
