/* JSON helpers over jansson: bounded parsing and small accessors. */
#ifndef KZ_BASE_JSON_H
#define KZ_BASE_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"

struct kz_json_limits {
    size_t max_depth;        /* nesting of arrays and objects */
    size_t max_string_bytes; /* one string value or key */
};

/*
 * Parses one JSON document (rejects invalid UTF-8, NUL in strings, trailing data and
 * duplicate keys) and checks it against the limits. On failure writes a reason to why
 * and returns KZ_ERR_INVALID or KZ_ERR_LIMIT. *out is a new reference owned by the caller.
 */
kz_err kz_json_parse(const char *text, size_t len, const struct kz_json_limits *lim, json_t **out,
                     char *why, size_t whylen);

/* jansson iterates only over non-const values; this drops const for reading. */
static inline json_t *
kz_json_mut(const json_t *j)
{
    return (json_t *)(uintptr_t)j;
}

/* Depth of nesting: 0 for a scalar, 1 for [] or {}. */
size_t kz_json_depth(const json_t *j);

/* The string member key of obj, or NULL when absent or not a string. */
const char *kz_json_str(const json_t *obj, const char *key);

/* Appends the compact serialisation of j to b. */
kz_err kz_json_append(struct kz_buf *b, const json_t *j);

/* Appends s as a quoted JSON string. */
kz_err kz_json_append_string(struct kz_buf *b, const char *s);

#endif
