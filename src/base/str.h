/* String views and bounded conversions from text. */
#ifndef KZ_BASE_STR_H
#define KZ_BASE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* A view of bytes owned by someone else; not NUL-terminated. */
struct kz_str {
    const char *p;
    size_t n;
};

#define kz_str_lit(s) ((struct kz_str){(s), sizeof(s) - 1})

static inline struct kz_str
kz_str_make(const char *p, size_t n)
{
    return (struct kz_str){p, n};
}

struct kz_str kz_str_from_cstr(const char *s);
bool kz_str_eq(struct kz_str a, struct kz_str b);
bool kz_str_eq_cstr(struct kz_str a, const char *b);
bool kz_str_case_eq(struct kz_str a, struct kz_str b);
bool kz_str_starts_with(struct kz_str s, struct kz_str prefix);

/* Parses a decimal integer in [min, max]; nothing but digits is accepted. */
kz_err kz_str_to_u64(struct kz_str s, uint64_t min, uint64_t max, uint64_t *out);

/* Copies a view into a NUL-terminated buffer; KZ_ERR_LIMIT when it does not fit. */
kz_err kz_str_copy(struct kz_str s, char *dst, size_t dstlen);

/* Copies a C string into a bounded buffer; KZ_ERR_LIMIT when it does not fit. */
kz_err kz_cstr_copy(const char *s, char *dst, size_t dstlen);

/* True when the bytes are valid UTF-8 (no overlongs, no surrogates). */
bool kz_utf8_valid(const char *p, size_t n);

/* Heap helpers that abort on exhaustion, after logging the size. */
void *kz_xmalloc(size_t n);
void *kz_xcalloc(size_t count, size_t size);
void *kz_xrealloc(void *p, size_t n);
char *kz_xstrdup(const char *s);
char *kz_xstrndup(const char *s, size_t n);

#endif
