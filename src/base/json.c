/* Bounded JSON parsing and helpers on top of jansson. */
#include "base/json.h"

#include <stdio.h>
#include <string.h>

#include "base/banned.h"

static bool
within_limits(const json_t *j, const struct kz_json_limits *lim, size_t depth, char *why,
              size_t whylen, kz_err *err)
{
    const char *key;
    json_t *v;
    size_t i;

    if (json_is_string(j)) {
        if (json_string_length(j) > lim->max_string_bytes) {
            snprintf(why, whylen, "a string is longer than %zu bytes", lim->max_string_bytes);
            *err = KZ_ERR_LIMIT;
            return false;
        }
        return true;
    }
    if (!json_is_object(j) && !json_is_array(j))
        return true;
    if (depth + 1 > lim->max_depth) {
        snprintf(why, whylen, "JSON nesting is deeper than %zu", lim->max_depth);
        *err = KZ_ERR_LIMIT;
        return false;
    }
    if (json_is_object(j)) {
        json_object_foreach(kz_json_mut(j), key, v) {
            if (strlen(key) > lim->max_string_bytes) {
                snprintf(why, whylen, "a key is longer than %zu bytes", lim->max_string_bytes);
                *err = KZ_ERR_LIMIT;
                return false;
            }
            if (!within_limits(v, lim, depth + 1, why, whylen, err))
                return false;
        }
    } else {
        json_array_foreach(j, i, v) {
            if (!within_limits(v, lim, depth + 1, why, whylen, err))
                return false;
        }
    }
    return true;
}

kz_err
kz_json_parse(const char *text, size_t len, const struct kz_json_limits *lim, json_t **out,
              char *why, size_t whylen)
{
    json_error_t jerr;
    json_t *j;
    kz_err err = KZ_ERR_INVALID;

    j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j) {
        snprintf(why, whylen, "malformed JSON at line %d column %d: %s", jerr.line, jerr.column,
                 jerr.text);
        return KZ_ERR_INVALID;
    }
    if (!within_limits(j, lim, 0, why, whylen, &err)) {
        json_decref(j);
        return err;
    }
    *out = j;
    return KZ_OK;
}

size_t
kz_json_depth(const json_t *j)
{
    const char *key;
    json_t *v;
    size_t i, deepest = 0, d;

    if (json_is_object(j)) {
        json_object_foreach(kz_json_mut(j), key, v) {
            d = kz_json_depth(v);
            if (d > deepest)
                deepest = d;
        }
        return deepest + 1;
    }
    if (json_is_array(j)) {
        json_array_foreach(j, i, v) {
            d = kz_json_depth(v);
            if (d > deepest)
                deepest = d;
        }
        return deepest + 1;
    }
    return 0;
}

const char *
kz_json_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static int
dump_to_buf(const char *p, size_t n, void *data)
{
    return kz_buf_append(data, p, n) == KZ_OK ? 0 : -1;
}

kz_err
kz_json_append(struct kz_buf *b, const json_t *j)
{
    if (json_dump_callback(j, dump_to_buf, b, JSON_COMPACT | JSON_ENCODE_ANY) != 0)
        return KZ_ERR_LIMIT;
    return KZ_OK;
}

kz_err
kz_json_append_string(struct kz_buf *b, const char *s)
{
    json_t *j = json_string(s);
    kz_err err;

    if (!j)
        return KZ_ERR_INVALID;
    err = kz_json_append(b, j);
    json_decref(j);
    return err;
}
