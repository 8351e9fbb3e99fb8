/* struct kz_buf: bounded growable byte buffer. */
#include "base/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

void
kz_buf_init(struct kz_buf *b, size_t max)
{
    b->p = NULL;
    b->n = 0;
    b->cap = 0;
    b->max = max;
}

void
kz_buf_release(struct kz_buf *b)
{
    free(b->p);
    kz_buf_init(b, b->max);
}

void
kz_buf_reset(struct kz_buf *b)
{
    b->n = 0;
    if (b->p)
        b->p[0] = '\0';
}

static kz_err
buf_reserve(struct kz_buf *b, size_t extra)
{
    size_t want, cap;

    if (extra > b->max || b->n > b->max - extra)
        return KZ_ERR_LIMIT;
    want = b->n + extra + 1;
    if (want <= b->cap)
        return KZ_OK;
    cap = b->cap ? b->cap : 64;
    while (cap < want)
        cap = cap > SIZE_MAX / 2 ? want : cap * 2;
    b->p = kz_xrealloc(b->p, cap);
    b->cap = cap;
    return KZ_OK;
}

kz_err
kz_buf_reserve(struct kz_buf *b, size_t extra)
{
    return buf_reserve(b, extra);
}

kz_err
kz_buf_append(struct kz_buf *b, const void *p, size_t n)
{
    kz_err err = buf_reserve(b, n);

    if (err != KZ_OK)
        return err;
    if (n)
        memcpy(b->p + b->n, p, n);
    b->n += n;
    b->p[b->n] = '\0';
    return KZ_OK;
}

kz_err
kz_buf_append_str(struct kz_buf *b, struct kz_str s)
{
    return kz_buf_append(b, s.p, s.n);
}

kz_err
kz_buf_append_cstr(struct kz_buf *b, const char *s)
{
    return kz_buf_append(b, s, strlen(s));
}

kz_err
kz_buf_printf(struct kz_buf *b, const char *fmt, ...)
{
    va_list ap;
    int len;
    kz_err err;

    va_start(ap, fmt);
    len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0)
        return KZ_ERR_INTERNAL;
    err = buf_reserve(b, (size_t)len);
    if (err != KZ_OK)
        return err;
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)len + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)len;
    return KZ_OK;
}

kz_err
kz_buf_read_file(struct kz_buf *b, const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char chunk[65536];
    kz_err err = KZ_OK;
    size_t got;

    if (!f)
        return errno == ENOENT ? KZ_ERR_NOTFOUND : KZ_ERR_IO;
    while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        err = kz_buf_append(b, chunk, got);
        if (err != KZ_OK)
            break;
    }
    if (err == KZ_OK && ferror(f))
        err = KZ_ERR_IO;
    if (err == KZ_OK && !b->p)
        err = kz_buf_append(b, "", 0);
    if (f != stdin)
        fclose(f);
    return err;
}

const char *
kz_buf_cstr(const struct kz_buf *b)
{
    return b->p ? b->p : "";
}

char *
kz_buf_detach(struct kz_buf *b, size_t *len)
{
    char *p = b->p ? b->p : kz_xstrdup("");

    if (len)
        *len = b->n;
    kz_buf_init(b, b->max);
    return p;
}
