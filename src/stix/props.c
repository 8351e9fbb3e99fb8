/* Checks of single STIX properties: presence, JSON type, identifiers, timestamps, lists. */
#include "stix/stix_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/id.h"
#include "base/time.h"
#include "base/banned.h"

int
kz_stix__fail(struct kz_stix__ctx *v, const char *fmt, ...)
{
    va_list ap;

    if (v->why && v->whylen > 0) {
        va_start(ap, fmt);
        vsnprintf(v->why, v->whylen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* The object's type for messages, before it is known to be valid. */
static const char *
tname(const struct kz_stix__ctx *v)
{
    return v->type ? v->type : "object";
}

bool
kz_stix__type_name_valid(const char *s, size_t n)
{
    if (n < 3 || n > 250)
        return false;
    if (s[0] < 'a' || s[0] > 'z')
        return false;
    if (s[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '-') {
            if (s[i + 1] == '-')
                return false;
        } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
            return false;
        }
    }
    return true;
}

bool
kz_stix__id_valid(const char *id, const char *type)
{
    const char *sep = strstr(id, "--");
    size_t tlen;

    if (!sep)
        return false;
    tlen = (size_t)(sep - id);
    if (!kz_stix__type_name_valid(id, tlen))
        return false;
    if (type && (strlen(type) != tlen || memcmp(type, id, tlen) != 0))
        return false;
    return kz_uuid_valid(kz_str_from_cstr(sep + 2));
}

int
kz_stix__req(struct kz_stix__ctx *v, const char *key)
{
    if (!json_object_get(v->obj, key))
        return kz_stix__fail(v, "'%s' requires '%s'", tname(v), key);
    return 0;
}

/* Fetches a property: 1 when present, 0 when absent and optional, -1 when absent and required. */
static int
get(struct kz_stix__ctx *v, const char *key, bool required, const json_t **out)
{
    *out = json_object_get(v->obj, key);
    if (*out)
        return 1;
    if (required)
        return kz_stix__req(v, key);
    return 0;
}

int
kz_stix__string(struct kz_stix__ctx *v, const char *key, bool required)
{
    const json_t *j;
    int r = get(v, key, required, &j);

    if (r <= 0)
        return r;
    if (!json_is_string(j))
        return kz_stix__fail(v, "'%s' must be a string", key);
    if (required && json_string_length(j) == 0)
        return kz_stix__fail(v, "'%s' must not be empty", key);
    return 0;
}

int
kz_stix__bool(struct kz_stix__ctx *v, const char *key, bool required)
{
    const json_t *j;
    int r = get(v, key, required, &j);

    if (r <= 0)
        return r;
    if (!json_is_boolean(j))
        return kz_stix__fail(v, "'%s' must be true or false", key);
    return 0;
}

int
kz_stix__integer(struct kz_stix__ctx *v, const char *key, bool required, json_int_t min,
                 json_int_t max)
{
    const json_t *j;
    int r = get(v, key, required, &j);

    if (r <= 0)
        return r;
    if (!json_is_integer(j))
        return kz_stix__fail(v, "'%s' must be an integer", key);
    if (json_integer_value(j) < min || json_integer_value(j) > max)
        return kz_stix__fail(v, "'%s' must be between %lld and %lld", key, (long long)min,
                             (long long)max);
    return 0;
}

int
kz_stix__number(struct kz_stix__ctx *v, const char *key, bool required, double min, double max)
{
    const json_t *j;
    int r = get(v, key, required, &j);
    double d;

    if (r <= 0)
        return r;
    if (!json_is_number(j))
        return kz_stix__fail(v, "'%s' must be a number", key);
    d = json_number_value(j);
    if (!isfinite(d) || d < min || d > max)
        return kz_stix__fail(v, "'%s' must be between %g and %g", key, min, max);
    return 0;
}

int
kz_stix__timestamp(struct kz_stix__ctx *v, const char *key, bool required, int64_t *us)
{
    const json_t *j;
    int64_t t;
    int r = get(v, key, required, &j);

    if (r <= 0)
        return r;
    if (!json_is_string(j) ||
        kz_time_parse(kz_str_make(json_string_value(j), json_string_length(j)), &t, NULL) != KZ_OK)
        return kz_stix__fail(v, "'%s' must be an RFC 3339 timestamp in UTC ending in 'Z'", key);
    if (us)
        *us = t;
    return 0;
}

int
kz_stix__time_order(struct kz_stix__ctx *v, const char *earlier, const char *later, bool strict)
{
    int64_t a = 0, b = 0;
    bool has_a = json_object_get(v->obj, earlier) != NULL;
    bool has_b = json_object_get(v->obj, later) != NULL;

    if (kz_stix__timestamp(v, earlier, false, &a) || kz_stix__timestamp(v, later, false, &b))
        return -1;
    if (!has_a || !has_b)
        return 0;
    if (strict && b <= a)
        return kz_stix__fail(v, "'%s' must be after '%s'", later, earlier);
    if (b < a)
        return kz_stix__fail(v, "'%s' is before '%s'", later, earlier);
    return 0;
}

static bool
type_allowed(const char *id, const char *const *types)
{
    if (!types)
        return true;
    for (size_t i = 0; types[i]; i++) {
        size_t n = strlen(types[i]);
        if (strncmp(id, types[i], n) == 0 && id[n] == '-' && id[n + 1] == '-')
            return true;
    }
    return false;
}

static int
check_ref_value(struct kz_stix__ctx *v, const char *key, const json_t *j, const char *const *types)
{
    const char *id;

    if (!json_is_string(j) || !kz_stix__id_valid(json_string_value(j), NULL))
        return kz_stix__fail(v, "'%s' must hold STIX identifiers ('<type>--<uuid>')", key);
    id = json_string_value(j);
    if (!type_allowed(id, types)) {
        char list[160] = "";
        size_t used = 0;
        for (size_t i = 0; types[i] && used < sizeof(list); i++) {
            int n = snprintf(list + used, sizeof(list) - used, "%s'%s'",
                             i == 0 ? "" : (types[i + 1] ? ", " : " or "), types[i]);
            if (n < 0)
                break;
            used += (size_t)n;
        }
        return kz_stix__fail(v, "'%s' must refer to %s objects", key, list);
    }
    return 0;
}

int
kz_stix__ref(struct kz_stix__ctx *v, const char *key, bool required, const char *const *types)
{
    const json_t *j;
    int r = get(v, key, required, &j);

    if (r <= 0)
        return r;
    return check_ref_value(v, key, j, types);
}

int
kz_stix__ref_list(struct kz_stix__ctx *v, const char *key, bool required, const char *const *types)
{
    const json_t *j;
    const json_t *e;
    size_t i;
    int r = get(v, key, required, &j);

    if (r <= 0)
        return r;
    if (!json_is_array(j) || json_array_size(j) == 0)
        return kz_stix__fail(v, "'%s' must be a non-empty list of identifiers", key);
    json_array_foreach(j, i, e)
    {
        if (check_ref_value(v, key, e, types))
            return -1;
    }
    return 0;
}

int
kz_stix__string_list(struct kz_stix__ctx *v, const char *key, bool required)
{
    const json_t *j;
    const json_t *e;
    size_t i;
    int r = get(v, key, required, &j);

    if (r <= 0)
        return r;
    if (!json_is_array(j) || json_array_size(j) == 0)
        return kz_stix__fail(v, "'%s' must be a non-empty list of strings", key);
    json_array_foreach(j, i, e)
    {
        if (!json_is_string(e))
            return kz_stix__fail(v, "'%s' must be a non-empty list of strings", key);
    }
    return 0;
}

int
kz_stix__dict(struct kz_stix__ctx *v, const char *key, bool required)
{
    const json_t *j;
    int r = get(v, key, required, &j);

    if (r <= 0)
        return r;
    if (!json_is_object(j))
        return kz_stix__fail(v, "'%s' must be a dictionary", key);
    return 0;
}

int
kz_stix__kill_chain(struct kz_stix__ctx *v, const char *key)
{
    const json_t *j;
    const json_t *e;
    size_t i;
    int r = get(v, key, false, &j);

    if (r <= 0)
        return r;
    if (!json_is_array(j))
        return kz_stix__fail(v, "'%s' must be a list of kill chain phases", key);
    json_array_foreach(j, i, e)
    {
        if (!json_is_object(e) || !json_is_string(json_object_get(e, "kill_chain_name")) ||
            !json_is_string(json_object_get(e, "phase_name")))
            return kz_stix__fail(v, "'%s' entries need string 'kill_chain_name' and 'phase_name'",
                                 key);
    }
    return 0;
}
