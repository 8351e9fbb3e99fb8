/* Growable output buffer, always NUL-terminated, with a hard maximum. */
#ifndef KZ_BASE_BUF_H
#define KZ_BASE_BUF_H

#include <stddef.h>

#include "base/err.h"
#include "base/str.h"

struct kz_buf {
    char *p;    /* owned; NUL-terminated once anything was appended */
    size_t n;   /* bytes used, not counting the NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* appends that would pass this fail with KZ_ERR_LIMIT */
};

void kz_buf_init(struct kz_buf *b, size_t max);
void kz_buf_release(struct kz_buf *b);
void kz_buf_reset(struct kz_buf *b);
/* Makes room for extra more bytes at once (one allocation for a body of known size). */
kz_err kz_buf_reserve(struct kz_buf *b, size_t extra);
kz_err kz_buf_append(struct kz_buf *b, const void *p, size_t n);
kz_err kz_buf_append_str(struct kz_buf *b, struct kz_str s);
kz_err kz_buf_append_cstr(struct kz_buf *b, const char *s);
kz_err kz_buf_printf(struct kz_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reads a whole file (or standard input for "-"). */
kz_err kz_buf_read_file(struct kz_buf *b, const char *path);
/* The contents as a C string; "" when empty. */
const char *kz_buf_cstr(const struct kz_buf *b);
/* Hands the heap block to the caller, who frees it; the buffer is left empty. */
char *kz_buf_detach(struct kz_buf *b, size_t *len);

#endif
