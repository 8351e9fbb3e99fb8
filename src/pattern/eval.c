/* The pattern evaluator (being written): compile keeps the AST, eval is not there yet. */
#include "pattern/pattern.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/limits.h"
#include "pattern/pattern_int.h"
#include "base/banned.h"

struct kz_pattern {
    struct kz_pat_pool pool;
    struct kz_pat_node *root;
};

kz_err
kz_pattern_compile(struct kz_str pattern, struct kz_pattern **out, char *why, size_t whylen,
                   size_t *column)
{
    struct kz_pattern *p;
    char scratch[256];
    struct kz_pat_diag d = {scratch, sizeof(scratch), 0};
    kz_err err;

    err = kz_pattern_check(pattern, why, whylen, column);
    if (err != KZ_OK)
        return err;
    p = kz_xcalloc(1, sizeof(*p));
    err = kz_pattern__parse(pattern, &p->pool, &p->root, &d);
    if (err != KZ_OK) {
        kz_pattern_free(p);
        return err;
    }
    *out = p;
    return KZ_OK;
}

void
kz_pattern_free(struct kz_pattern *p)
{
    if (p == NULL)
        return;
    kz_pattern__pool_release(&p->pool);
    free(p);
}

kz_err
kz_pattern_eval(const struct kz_pattern *p, const json_t *observations, const json_t *scos,
                bool *matched)
{
    (void)p;
    (void)observations;
    (void)scos;
    (void)matched;
    return KZ_ERR_INTERNAL;
}
