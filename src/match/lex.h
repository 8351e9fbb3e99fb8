/*
 * The small lexical helpers every value parser of src/match needs: hex digits, decimal
 * numbers and ASCII lower case. One copy, inline, for the hot paths.
 */
#ifndef KZ_MATCH_LEX_H
#define KZ_MATCH_LEX_H

#include <stdbool.h>
#include <stddef.h>

/* The value of a hex digit, -1 for anything else. */
static inline int
kz_match__hexv(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* True for '0'..'9', 'a'..'f', 'A'..'F'. */
static inline bool
kz_match__is_hex(char c)
{
    return kz_match__hexv(c) >= 0;
}

/* Two hex digits at p (both must be there) into a byte; -1 when either is not a digit. */
static inline int
kz_match__hex2(const char *p)
{
    int hi = kz_match__hexv(p[0]), lo = kz_match__hexv(p[1]);
    return hi < 0 || lo < 0 ? -1 : hi << 4 | lo;
}

/* n decimal digits (nothing else) into *out; n at most 9 so that it cannot overflow. */
static inline bool
kz_match__dec(const char *p, size_t n, unsigned *out)
{
    unsigned v = 0;

    if (n == 0 || n > 9)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (unsigned)(p[i] - '0');
    }
    *out = v;
    return true;
}

static inline char
kz_match__lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c | 0x20) : c;
}

#endif
