/*
 * IPv4 and IPv6 addresses and CIDR ranges. Every address or range is a key of its prefix
 * length with the host bits cleared; an observed address is looked up once per prefix
 * length that occurs in the index, longest first.
 */
#include "match/match_int.h"
#include "match/lex.h"

#include "base/banned.h"

static bool
parse_plen(const char *p, size_t n, unsigned max, unsigned *out)
{
    unsigned v;

    if (n > 3 || !kz_match__dec(p, n, &v))
        return false;
    if (v > max || (n > 1 && p[0] == '0'))
        return false;
    *out = v;
    return true;
}

bool
kz_match__parse_ipv4(const char *p, size_t n, uint8_t out[4], unsigned *plen, bool cidr)
{
    uint32_t v = 0;
    unsigned acc = 0, digits = 0, dots = 0;
    size_t i = 0;

    *plen = 32;
    if (n < 7)
        return false;
    /* One pass, one test a byte on the common path (parsing addresses is a hot spot). */
    for (; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)p[i] - '0';
        if (d <= 9) {
            acc = acc * 10 + d;
            digits++;
            continue;
        }
        if (p[i] != '.' || dots == 3)
            break;
        if (digits - 1 > 2 || acc > 255)
            return false;
        v = v << 8 | acc;
        acc = digits = 0;
        dots++;
    }
    if (dots != 3 || digits - 1 > 2 || acc > 255)
        return false;
    v = v << 8 | acc;
    if (i < n) {
        if (!cidr || p[i] != '/' || !parse_plen(p + i + 1, n - i - 1, 32, plen))
            return false;
    }
    out[0] = (uint8_t)(v >> 24);
    out[1] = (uint8_t)(v >> 16);
    out[2] = (uint8_t)(v >> 8);
    out[3] = (uint8_t)v;
    return true;
}

bool
kz_match__parse_ipv6(const char *p, size_t n, uint8_t out[16], unsigned *plen, bool cidr)
{
    uint16_t w[8];
    size_t nw = 0, i = 0;
    int gap = -1;

    *plen = 128;
    for (size_t j = 0; j < n; j++) {
        if (p[j] == '/') {
            if (!cidr || !parse_plen(p + j + 1, n - j - 1, 128, plen))
                return false;
            n = j;
            break;
        }
        if (p[j] == '%') { /* a zone: fe80::1%eth0 */
            if (cidr)
                return false;
            n = j;
            break;
        }
    }
    if (n < 2)
        return false;
    if (p[0] == ':') {
        if (p[1] != ':')
            return false;
        gap = 0;
        i = 2;
    }
    while (i < n) {
        unsigned v = 0;
        size_t digits = 0, start = i;
        while (i < n && digits < 5 && kz_match__is_hex(p[i])) {
            v = v << 4 | (unsigned)kz_match__hexv(p[i]);
            i++;
            digits++;
        }
        if (i < n && p[i] == '.') {
            /* An IPv4 tail. */
            uint8_t v4[4];
            unsigned pl;
            if (nw > 6 || !kz_match__parse_ipv4(p + start, n - start, v4, &pl, false))
                return false;
            w[nw++] = (uint16_t)(v4[0] << 8 | v4[1]);
            w[nw++] = (uint16_t)(v4[2] << 8 | v4[3]);
            i = n;
            break;
        }
        if (digits == 0 || digits > 4 || nw >= 8)
            return false;
        w[nw++] = (uint16_t)v;
        if (i == n)
            break;
        if (p[i] != ':')
            return false;
        i++;
        if (i < n && p[i] == ':') {
            if (gap >= 0)
                return false;
            gap = (int)nw;
            i++;
        } else if (i == n) {
            return false;
        }
    }
    if (gap >= 0) {
        size_t tail = nw - (size_t)gap;
        if (nw >= 8)
            return false;
        memmove(w + 8 - tail, w + gap, tail * sizeof(w[0]));
        for (size_t j = (size_t)gap; j < 8 - tail; j++)
            w[j] = 0;
    } else if (nw != 8) {
        return false;
    }
    for (size_t j = 0; j < 8; j++) {
        out[2 * j] = (uint8_t)(w[j] >> 8);
        out[2 * j + 1] = (uint8_t)w[j];
    }
    return true;
}

void
kz_match__mask(uint8_t *a, size_t bytes, unsigned plen)
{
    for (size_t i = 0; i < bytes; i++) {
        unsigned bit = (unsigned)i * 8;
        if (plen >= bit + 8)
            continue;
        if (plen <= bit)
            a[i] = 0;
        else
            a[i] &= (uint8_t)(0xff << (8 - (plen - bit)));
    }
}

void
kz_match__check_ip(struct kz_match__line *ln, const char *field, const char *p, size_t n)
{
    kz_match__check_ip_r(ln, field, p, n);
}

bool
kz_match__check_ip_r(struct kz_match__line *ln, const char *field, const char *p, size_t n)
{
    const struct kz_match_index *ix = ln->ix;
    uint8_t a[16], m[16];
    unsigned plen;

    if (n == 0 || n > 64)
        return false;
    if (kz_match__parse_ipv4(p, n, a, &plen, false)) {
        uint32_t v = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
        uint32_t blk;
        kz_match__note(ln, KZ_MATCH_IPV4, field, p, n);
        if (!ix->v4f)
            return true;
        blk = v >> (32 - ix->v4f_bits);
        if (!(ix->v4f[blk / 64] & (1ull << (blk % 64))))
            return true;
        for (size_t i = 0; i < ix->n_v4_plens; i++) {
            unsigned l = ix->v4_plens[i];
            uint32_t mv = l == 0 ? 0 : v & (0xffffffffu << (32 - l));
            uint32_t k;
            m[0] = (uint8_t)(mv >> 24);
            m[1] = (uint8_t)(mv >> 16);
            m[2] = (uint8_t)(mv >> 8);
            m[3] = (uint8_t)mv;
            k = kz_match__find(ix, KZ_MATCH_IPV4, l, m, 4);
            if (k != UINT32_MAX)
                kz_match__emit(ln, k, field, p, n);
        }
        return true;
    }
    if (memchr(p, ':', n) && kz_match__parse_ipv6(p, n, a, &plen, false)) {
        kz_match__note(ln, KZ_MATCH_IPV6, field, p, n);
        for (size_t i = 0; i < ix->n_v6_plens; i++) {
            unsigned l = ix->v6_plens[i];
            uint32_t k;
            memcpy(m, a, 16);
            if (l < 128)
                kz_match__mask(m, 16, l);
            k = kz_match__find(ix, KZ_MATCH_IPV6, l, m, 16);
            if (k != UINT32_MAX)
                kz_match__emit(ln, k, field, p, n);
        }
        return true;
    }
    return false;
}
