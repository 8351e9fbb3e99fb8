/* Fuzzes the webhook subscription request: JSON parsing, then kz_notify_request_parse. */
#include <stdint.h>
#include <string.h>

#include "base/json.h"
#include "notify/notify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kz_json_limits lim = {.max_depth = 16, .max_string_bytes = 1 << 16};
    struct kz_webhook w;
    const char *coll = NULL;
    char why[512];
    json_t *j = NULL;

    if (kz_json_parse((const char *)data, size, &lim, &j, why, sizeof(why)) == KZ_OK) {
        (void)kz_notify_request_parse(j, &w, &coll, why, sizeof(why));
        json_decref(j);
    }
    return 0;
}
