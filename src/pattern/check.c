/* kz_pattern_check: the syntax and literal check that indicator validation and the CLI use. */
#include "pattern/pattern.h"

#include <stdio.h>

#include "base/limits.h"
#include "pattern/pattern_int.h"
#include "base/banned.h"

kz_err
kz_pattern_check(struct kz_str pattern, char *why, size_t whylen, size_t *column)
{
    struct kz_pat_pool pool = {0};
    struct kz_pat_node *root;
    char scratch[256];
    struct kz_pat_diag d = {scratch, sizeof(scratch), 0};
    kz_err err;

    if (pattern.n > KZ_LIMIT_PATTERN_BYTES) {
        snprintf(scratch, sizeof(scratch), "pattern is longer than %u bytes",
                 KZ_LIMIT_PATTERN_BYTES);
        d.column = (size_t)KZ_LIMIT_PATTERN_BYTES + 1;
        err = KZ_ERR_LIMIT;
        goto fail;
    }
    scratch[0] = '\0';
    err = kz_pattern__parse(pattern, &pool, &root, &d);
    kz_pattern__pool_release(&pool);
    if (err == KZ_OK)
        return KZ_OK;
fail:
    if (why != NULL && whylen > 0)
        snprintf(why, whylen, "%s", scratch);
    if (column != NULL)
        *column = d.column ? d.column : 1;
    return err;
}
