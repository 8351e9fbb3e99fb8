/* Placeholder until the pattern parser lands: accepts every non-empty pattern. */
#include "pattern/pattern.h"

#include <stdio.h>

#include "base/limits.h"
#include "base/banned.h"

kz_err
kz_pattern_check(struct kz_str pattern, char *why, size_t whylen, size_t *column)
{
    if (pattern.n > KZ_LIMIT_PATTERN_BYTES) {
        snprintf(why, whylen, "pattern is longer than %u bytes", KZ_LIMIT_PATTERN_BYTES);
        *column = 1;
        return KZ_ERR_LIMIT;
    }
    if (pattern.n == 0) {
        snprintf(why, whylen, "empty pattern");
        *column = 1;
        return KZ_ERR_INVALID;
    }
    return KZ_OK;
}
