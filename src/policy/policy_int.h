/* Declarations shared between the files of src/policy. */
#ifndef KZ_POLICY_POLICY_INT_H
#define KZ_POLICY_POLICY_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/policy.h"

/* One principal of a list, as a view: kind ("public", "org", ...) and value after ':'. */
struct kz_policy__principal {
    struct kz_str text;  /* the whole token */
    struct kz_str kind;  /* before ':' (the whole token when there is none) */
    struct kz_str value; /* after ':'; empty when there is none */
};

/*
 * Steps through a principal list separated by spaces, tabs or commas. *pos starts at 0.
 * Returns false at the end of the list.
 */
bool kz_policy__next(const char *list, size_t *pos, struct kz_policy__principal *out);

#endif
