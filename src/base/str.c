/* String views, bounded number parsing, UTF-8 checks and aborting allocators. */
#include "base/str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "base/banned.h"

struct kz_str
kz_str_from_cstr(const char *s)
{
    return kz_str_make(s, s ? strlen(s) : 0);
}

bool
kz_str_eq(struct kz_str a, struct kz_str b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

bool
kz_str_eq_cstr(struct kz_str a, const char *b)
{
    return kz_str_eq(a, kz_str_from_cstr(b));
}

bool
kz_str_case_eq(struct kz_str a, struct kz_str b)
{
    return a.n == b.n && (a.n == 0 || strncasecmp(a.p, b.p, a.n) == 0);
}

bool
kz_str_starts_with(struct kz_str s, struct kz_str prefix)
{
    return s.n >= prefix.n && memcmp(s.p, prefix.p, prefix.n) == 0;
}

kz_err
kz_str_to_u64(struct kz_str s, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;

    if (s.n == 0 || s.n > 20)
        return KZ_ERR_INVALID;
    for (size_t i = 0; i < s.n; i++) {
        unsigned d = (unsigned char)s.p[i] - '0';
        if (d > 9)
            return KZ_ERR_INVALID;
        if (v > (UINT64_MAX - d) / 10)
            return KZ_ERR_INVALID;
        v = v * 10 + d;
    }
    if (v < min || v > max)
        return KZ_ERR_INVALID;
    *out = v;
    return KZ_OK;
}

kz_err
kz_str_copy(struct kz_str s, char *dst, size_t dstlen)
{
    if (dstlen == 0 || s.n >= dstlen)
        return KZ_ERR_LIMIT;
    if (s.n)
        memcpy(dst, s.p, s.n);
    dst[s.n] = '\0';
    return KZ_OK;
}

kz_err
kz_cstr_copy(const char *s, char *dst, size_t dstlen)
{
    return kz_str_copy(kz_str_from_cstr(s), dst, dstlen);
}

bool
kz_utf8_valid(const char *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p;
    size_t i = 0;

    while (i < n) {
        unsigned c = s[i];
        size_t len;
        uint32_t cp;

        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

static void *
check_alloc(void *p, size_t n)
{
    if (!p && n) {
        kz_log(KZ_LOG_ERROR, "cannot allocate %zu bytes", n);
        abort();
    }
    return p;
}

void *
kz_xmalloc(size_t n)
{
    return check_alloc(malloc(n ? n : 1), n);
}

void *
kz_xcalloc(size_t count, size_t size)
{
    return check_alloc(calloc(count ? count : 1, size ? size : 1), count * size);
}

void *
kz_xrealloc(void *p, size_t n)
{
    return check_alloc(realloc(p, n ? n : 1), n);
}

char *
kz_xstrdup(const char *s)
{
    return kz_xstrndup(s, strlen(s));
}

char *
kz_xstrndup(const char *s, size_t n)
{
    char *d = kz_xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}
