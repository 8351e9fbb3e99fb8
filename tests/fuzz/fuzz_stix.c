/* Fuzz target: bytes → bounded JSON parse → kz_stix_validate on the object or each bundle member.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/json.h"
#include "base/limits.h"
#include "stix/stix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
validate_one(const json_t *o)
{
    static const struct kz_stix_opts opts = {KZ_TLP_AMBER};
    struct kz_stix_info info;
    char why[256];
    kz_err err;

    err = kz_stix_validate(o, &opts, &info, why, sizeof(why));
    /* The reason is always a terminated string, and a valid object has a type and an id. */
    if (strlen(why) >= sizeof(why))
        __builtin_trap();
    if (err == KZ_OK && (!info.type || !info.id || !info.spec_version))
        __builtin_trap();
    if ((unsigned)info.tlp >= KZ_TLP_COUNT)
        __builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct kz_json_limits lim = {KZ_LIMIT_JSON_DEPTH, KZ_LIMIT_STRING_BYTES};
    char why[256];
    json_t *j, *objs, *o;
    size_t i;

    if (kz_json_parse((const char *)data, size, &lim, &j, why, sizeof(why)) != KZ_OK)
        return 0;
    objs = json_object_get(j, "objects");
    if (json_is_array(objs)) {
        json_array_foreach(objs, i, o)
        {
            validate_one(o);
        }
    } else {
        validate_one(j);
    }
    json_decref(j);
    return 0;
}
