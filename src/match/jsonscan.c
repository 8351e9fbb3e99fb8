/*
 * A small JSON walker for log lines: it finds every scalar and the keys above it without
 * building a tree, allocating or unescaping, which is what lets an EVE line be matched at
 * hundreds of MB/s (jansson builds every value first). Lines it cannot walk are handed to
 * jansson, which decides whether they are malformed.
 */
#include "match/match_int.h"
#include "match/lex.h"

#include <jansson.h>
#include <stdio.h>

#include "base/json.h"

#include "base/banned.h"

#define WALK_DEPTH 64

struct walk {
    const char *p, *end;
    kz_match__json_fn fn;
    void *arg;
    struct kz_match__jkey keys[KZ_MATCH_JSON_DEPTH];
    size_t nkeys; /* keys of enclosing objects, up to KZ_MATCH_JSON_DEPTH */
};

static inline const char *
skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

/* p is after the opening quote; returns the closing quote or NULL. */
static inline const char *
string_end(const char *p, const char *end, bool *esc)
{
    const char *q = p;

    *esc = false;
    for (;;) {
        q = memchr(q, '"', (size_t)(end - q));
        if (!q)
            return NULL;
        /* Odd number of backslashes before the quote: it is escaped. */
        size_t bs = 0;
        while (q - bs > p && q[-1 - (ptrdiff_t)bs] == '\\')
            bs++;
        if (bs)
            *esc = true;
        if ((bs & 1) == 0)
            break;
        q++;
    }
    if (!*esc && memchr(p, '\\', (size_t)(q - p)))
        *esc = true;
    return q;
}

static bool value(struct walk *w, size_t depth);

static bool
object(struct walk *w, size_t depth)
{
    const char *p = skip_ws(w->p + 1, w->end);
    size_t slot = w->nkeys;

    if (p < w->end && *p == '}') {
        w->p = p + 1;
        return true;
    }
    for (;;) {
        const char *ke;
        bool esc;

        if (p >= w->end || *p != '"')
            return false;
        ke = string_end(p + 1, w->end, &esc);
        if (!ke)
            return false;
        if (slot < KZ_MATCH_JSON_DEPTH) {
            w->keys[slot].p = p + 1;
            w->keys[slot].n = (size_t)(ke - p - 1);
            w->nkeys = slot + 1;
        }
        p = skip_ws(ke + 1, w->end);
        if (p >= w->end || *p != ':')
            return false;
        w->p = skip_ws(p + 1, w->end);
        if (!value(w, depth + 1))
            return false;
        w->nkeys = slot < KZ_MATCH_JSON_DEPTH ? slot + 1 : slot;
        p = skip_ws(w->p, w->end);
        if (p >= w->end)
            return false;
        if (*p == '}') {
            w->p = p + 1;
            w->nkeys = slot;
            return true;
        }
        if (*p != ',')
            return false;
        p = skip_ws(p + 1, w->end);
    }
}

static bool
array(struct walk *w, size_t depth)
{
    const char *p = skip_ws(w->p + 1, w->end);

    if (p < w->end && *p == ']') {
        w->p = p + 1;
        return true;
    }
    for (;;) {
        w->p = p;
        if (!value(w, depth + 1))
            return false;
        p = skip_ws(w->p, w->end);
        if (p >= w->end)
            return false;
        if (*p == ']') {
            w->p = p + 1;
            return true;
        }
        if (*p != ',')
            return false;
        p = skip_ws(p + 1, w->end);
    }
}

static bool
value(struct walk *w, size_t depth)
{
    const char *p = w->p, *q;
    bool esc;

    if (p >= w->end || depth > WALK_DEPTH)
        return false;
    switch (*p) {
    case '{':
        return object(w, depth);
    case '[':
        return array(w, depth);
    case '"':
        q = string_end(p + 1, w->end, &esc);
        if (!q)
            return false;
        w->fn(w->arg, w->keys, w->nkeys, p + 1, (size_t)(q - p - 1), 's', esc);
        w->p = q + 1;
        return true;
    case 't':
        if (w->end - p < 4 || memcmp(p, "true", 4) != 0)
            return false;
        w->fn(w->arg, w->keys, w->nkeys, p, 4, 'l', false);
        w->p = p + 4;
        return true;
    case 'f':
        if (w->end - p < 5 || memcmp(p, "false", 5) != 0)
            return false;
        w->fn(w->arg, w->keys, w->nkeys, p, 5, 'l', false);
        w->p = p + 5;
        return true;
    case 'n':
        if (w->end - p < 4 || memcmp(p, "null", 4) != 0)
            return false;
        w->p = p + 4;
        return true;
    default:
        q = p;
        if (q < w->end && *q == '-')
            q++;
        if (q >= w->end || *q < '0' || *q > '9')
            return false;
        while (q < w->end && ((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' || *q == 'E' ||
                              *q == '+' || *q == '-'))
            q++;
        w->fn(w->arg, w->keys, w->nkeys, p, (size_t)(q - p), 'n', false);
        w->p = q;
        return true;
    }
}

bool
kz_match__json_walk(const char *p, size_t n, kz_match__json_fn fn, void *arg)
{
    struct walk w = {.p = p, .end = p + n, .fn = fn, .arg = arg, .nkeys = 0};

    w.p = skip_ws(p, w.end);
    if (w.p >= w.end || *w.p != '{')
        return false;
    if (!object(&w, 1))
        return false;
    return skip_ws(w.p, w.end) == w.end;
}

/* ---- the jansson fallback ---- */

static void
walk_json(const json_t *j, struct kz_match__jkey *keys, size_t nkeys, kz_match__json_fn fn,
          void *arg)
{
    char num[64];
    int len;

    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *v;
        json_object_foreach(kz_json_mut(j), k, v)
        {
            size_t slot = nkeys < KZ_MATCH_JSON_DEPTH ? nkeys : KZ_MATCH_JSON_DEPTH - 1;
            keys[slot].p = k;
            keys[slot].n = strlen(k);
            walk_json(v, keys, slot + 1, fn, arg);
        }
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v) walk_json(v, keys, nkeys, fn, arg);
        break;
    }
    case JSON_STRING:
        fn(arg, keys, nkeys, json_string_value(j), json_string_length(j), 's', false);
        break;
    case JSON_INTEGER:
        len = snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(j));
        fn(arg, keys, nkeys, num, (size_t)len, 'n', false);
        break;
    case JSON_REAL:
        len = snprintf(num, sizeof(num), "%.6f", json_real_value(j));
        fn(arg, keys, nkeys, num, (size_t)len, 'n', false);
        break;
    case JSON_TRUE:
        fn(arg, keys, nkeys, "true", 4, 'l', false);
        break;
    case JSON_FALSE:
        fn(arg, keys, nkeys, "false", 5, 'l', false);
        break;
    default:
        break;
    }
}

bool
kz_match__json_walk_slow(const char *p, size_t n, kz_match__json_fn fn, void *arg)
{
    json_error_t e;
    json_t *j = json_loadb(p, n, JSON_REJECT_DUPLICATES, &e);
    struct kz_match__jkey keys[KZ_MATCH_JSON_DEPTH];

    if (!j)
        return false;
    if (!json_is_object(j)) {
        json_decref(j);
        return false;
    }
    walk_json(j, keys, 0, fn, arg);
    json_decref(j);
    return true;
}

size_t
kz_match__json_unescape(const char *p, size_t n, char *out, size_t outlen)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        if (o + 4 >= outlen)
            return SIZE_MAX;
        if (p[i] != '\\') {
            out[o++] = p[i];
            continue;
        }
        if (++i >= n)
            return SIZE_MAX;
        switch (p[i]) {
        case '"': out[o++] = '"'; break;
        case '\\': out[o++] = '\\'; break;
        case '/': out[o++] = '/'; break;
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        case 'u': {
            unsigned v = 0;
            if (i + 4 >= n)
                return SIZE_MAX;
            for (int k = 1; k <= 4; k++) {
                int h = kz_match__hexv(p[i + (size_t)k]);
                if (h < 0)
                    return SIZE_MAX;
                v = v << 4 | (unsigned)h;
            }
            i += 4;
            /* Surrogates are not needed for the fields we match; keep them as '?'. */
            if (v < 0x80) {
                out[o++] = (char)v;
            } else if (v < 0x800) {
                out[o++] = (char)(0xc0 | v >> 6);
                out[o++] = (char)(0x80 | (v & 0x3f));
            } else if (v >= 0xd800 && v <= 0xdfff) {
                out[o++] = '?';
            } else {
                out[o++] = (char)(0xe0 | v >> 12);
                out[o++] = (char)(0x80 | ((v >> 6) & 0x3f));
                out[o++] = (char)(0x80 | (v & 0x3f));
            }
            break;
        }
        default:
            return SIZE_MAX;
        }
    }
    return o;
}
