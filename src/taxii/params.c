/* TAXII query parameters: added_after, limit, next and the match[] filters, fully checked. */
#include "taxii/taxii.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/time.h"
#include "base/banned.h"

static const struct {
    const char *name;
    unsigned flag;
} known_params[] = {
    {"added_after", KZ_TAXII_P_ADDED_AFTER},
    {"limit", KZ_TAXII_P_LIMIT},
    {"next", KZ_TAXII_P_NEXT},
    {"match[id]", KZ_TAXII_P_MATCH_ID},
    {"match[type]", KZ_TAXII_P_MATCH_TYPE},
    {"match[version]", KZ_TAXII_P_MATCH_VERSION},
    {"match[spec_version]", KZ_TAXII_P_MATCH_SPEC_VERSION},
};

/* Splits a comma-separated value into list (copied into *cursor), checking each item. */
static kz_err
split_values(const char *name, const char *value, char **cursor, const char **list, size_t *n,
             char *why, size_t whylen)
{
    const char *p = value;

    if (!*value) {
        snprintf(why, whylen, "'%s' is empty", name);
        return KZ_ERR_INVALID;
    }
    for (;;) {
        size_t len = strcspn(p, ",");
        if (len == 0 || len > 300) {
            snprintf(why, whylen, "'%s' has an empty or overlong value", name);
            return KZ_ERR_INVALID;
        }
        if (*n == KZ_LIMIT_QUERY_VALUES) {
            snprintf(why, whylen, "'%s' has more than %u values", name, KZ_LIMIT_QUERY_VALUES);
            return KZ_ERR_INVALID;
        }
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)p[i];
            if (c <= 0x20 || c >= 0x7f) {
                snprintf(why, whylen, "'%s' has a value with a space or a non-ASCII byte", name);
                return KZ_ERR_INVALID;
            }
        }
        memcpy(*cursor, p, len);
        (*cursor)[len] = '\0';
        list[(*n)++] = *cursor;
        *cursor += len + 1;
        p += len;
        if (*p == '\0')
            return KZ_OK;
        p++;
    }
}

static kz_err
parse_version_match(struct kz_taxii_params *out, const char *const *vals, size_t n, char *why,
                    size_t whylen)
{
    bool first = false, last = false, all = false;

    for (size_t i = 0; i < n; i++) {
        if (strcmp(vals[i], "first") == 0)
            first = true;
        else if (strcmp(vals[i], "last") == 0)
            last = true;
        else if (strcmp(vals[i], "all") == 0)
            all = true;
        else if (kz_time_parse(kz_str_from_cstr(vals[i]), &out->versions[out->n_versions],
                               NULL) == KZ_OK)
            out->n_versions++;
        else {
            snprintf(why, whylen,
                     "'match[version]' value '%.64s' is not first, last, all or a timestamp",
                     vals[i]);
            return KZ_ERR_INVALID;
        }
    }
    if (all)
        out->version_match = KZ_VERSION_ALL;
    else if ((first || last) && out->n_versions) {
        snprintf(why, whylen, "'match[version]' cannot mix first or last with timestamps");
        return KZ_ERR_INVALID;
    } else if (first && last) {
        snprintf(why, whylen, "'match[version]=first,last' is not supported; use all");
        return KZ_ERR_INVALID;
    } else if (first)
        out->version_match = KZ_VERSION_FIRST;
    else if (out->n_versions)
        out->version_match = KZ_VERSION_LIST;
    else
        out->version_match = KZ_VERSION_LAST;
    return KZ_OK;
}

kz_err
kz_taxii_params_parse(const struct kz_http_request *req, unsigned flags, size_t default_limit,
                      size_t max_limit, struct kz_taxii_params *out, char *why, size_t whylen)
{
    const char *version_vals[KZ_LIMIT_QUERY_VALUES];
    size_t n_version_vals = 0, total = 0;
    unsigned seen = 0;
    char *cursor;
    kz_err err = KZ_OK;

    memset(out, 0, sizeof(*out));
    out->added_after_us = -1;
    out->limit = default_limit;
    for (size_t i = 0; i < req->n_params; i++)
        total += strlen(req->params[i].value) + 1;
    out->strings = kz_xmalloc(total + 1);
    cursor = out->strings;

    for (size_t i = 0; i < req->n_params && err == KZ_OK; i++) {
        const char *key = req->params[i].key, *value = req->params[i].value;
        unsigned flag = 0;

        for (size_t k = 0; k < sizeof(known_params) / sizeof(known_params[0]); k++) {
            if (strcmp(key, known_params[k].name) == 0)
                flag = known_params[k].flag;
        }
        if (!flag || !(flags & flag)) {
            snprintf(why, whylen, "query parameter '%.64s' is not supported here", key);
            err = KZ_ERR_INVALID;
            break;
        }
        if ((seen & flag) && (flag & (KZ_TAXII_P_ADDED_AFTER | KZ_TAXII_P_LIMIT | KZ_TAXII_P_NEXT))) {
            snprintf(why, whylen, "query parameter '%s' is given twice", key);
            err = KZ_ERR_INVALID;
            break;
        }
        seen |= flag;
        switch (flag) {
        case KZ_TAXII_P_ADDED_AFTER: {
            int64_t us;
            if (kz_time_parse(kz_str_from_cstr(value), &us, NULL) != KZ_OK) {
                snprintf(why, whylen, "'added_after' must be an RFC 3339 UTC timestamp");
                err = KZ_ERR_INVALID;
            } else if (!(seen & KZ_TAXII_P_NEXT)) {
                out->added_after_us = us;
            }
            break;
        }
        case KZ_TAXII_P_LIMIT: {
            uint64_t v;
            if (kz_str_to_u64(kz_str_from_cstr(value), 1, UINT32_MAX, &v) != KZ_OK) {
                snprintf(why, whylen, "'limit' must be a positive integer");
                err = KZ_ERR_INVALID;
            } else {
                out->limit = v > max_limit ? max_limit : (size_t)v;
            }
            break;
        }
        case KZ_TAXII_P_NEXT: {
            uint64_t v;
            if (kz_str_to_u64(kz_str_from_cstr(value), 0, INT64_MAX, &v) != KZ_OK) {
                snprintf(why, whylen, "'next' is not a cursor this server gave out");
                err = KZ_ERR_INVALID;
            } else {
                out->added_after_us = (int64_t)v; /* the cursor supersedes added_after */
            }
            break;
        }
        case KZ_TAXII_P_MATCH_ID:
            err = split_values(key, value, &cursor, out->ids, &out->n_ids, why, whylen);
            break;
        case KZ_TAXII_P_MATCH_TYPE:
            err = split_values(key, value, &cursor, out->types, &out->n_types, why, whylen);
            break;
        case KZ_TAXII_P_MATCH_SPEC_VERSION:
            err = split_values(key, value, &cursor, out->spec_versions, &out->n_spec_versions,
                               why, whylen);
            for (size_t k = 0; err == KZ_OK && k < out->n_spec_versions; k++) {
                if (strcmp(out->spec_versions[k], "2.0") != 0 &&
                    strcmp(out->spec_versions[k], "2.1") != 0) {
                    snprintf(why, whylen, "'match[spec_version]' must be 2.0 or 2.1");
                    err = KZ_ERR_INVALID;
                }
            }
            break;
        case KZ_TAXII_P_MATCH_VERSION:
            err = split_values(key, value, &cursor, version_vals, &n_version_vals, why, whylen);
            break;
        default:
            break;
        }
    }
    if (err == KZ_OK)
        err = parse_version_match(out, version_vals, n_version_vals, why, whylen);
    if (err != KZ_OK)
        kz_taxii_params_release(out);
    return err;
}

void
kz_taxii_params_release(struct kz_taxii_params *p)
{
    free(p->strings);
    p->strings = NULL;
}
