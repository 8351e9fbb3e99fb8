/*
 * IPv4 and IPv6 addresses and CIDR ranges. Every address or range is a key of its prefix
 * length with the host bits cleared; an observed address is looked up once per prefix
 * length that occurs in the index, longest first.
 */
#include "match/match_int.h"
#include "match/lex.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define KZ_IP_X86 1
#endif

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

#ifdef KZ_IP_X86
/*
 * A dotted quad without a branch on its digits, for when 16 bytes can be read at p: the
 * byte loop above mispredicts on every octet whose length differs from the last one's,
 * which made it a quarter of a Zeek dns.log line. The dots' positions and the length say
 * the four octets' lengths (1 to 3 each); each of their 81 combinations has a byte shuffle
 * that puts each octet's digits right-aligned in four bytes (hundreds, tens, units, 0),
 * which two multiply-adds turn into the octets. The shuffle is found by a perfect hash of
 * the dot mask and the length (the multiplier was searched for: the 81 keys land in 81
 * different slots of 256, which the designated initializers below would report otherwise);
 * any other mask or length misses its slot's key.
 */
#define V4_MUL 0xc2d7492fu
#define V4_KEY(a, b, c, d)                                                                         \
    ((1u << (a)) | (1u << ((a) + (b) + 1)) | (1u << ((a) + (b) + (c) + 2)) |                       \
     (uint32_t)((a) + (b) + (c) + (d) + 3) << 16)
#define V4_SLOT(k)    ((uint32_t)((k)*V4_MUL) >> 24)
#define LANE(s, l, k) ((k) >= 3 - (l) ? (s) + (l)-3 + (k) : 0x80)
#define OCTET(s, l)   LANE(s, l, 0), LANE(s, l, 1), LANE(s, l, 2), 0x80
#define SHUF(a, b, c, d)                                                                           \
    [V4_SLOT(V4_KEY(a, b, c, d))] = {OCTET(0, a), OCTET((a) + 1, b), OCTET((a) + (b) + 2, c),      \
                                     OCTET((a) + (b) + (c) + 3, d)}
#define KEY(a, b, c, d)  [V4_SLOT(V4_KEY(a, b, c, d))] = V4_KEY(a, b, c, d)
#define ALL3(m, a, b, c) m(a, b, c, 1), m(a, b, c, 2), m(a, b, c, 3)
#define ALL9(m, a, b)    ALL3(m, a, b, 1), ALL3(m, a, b, 2), ALL3(m, a, b, 3)
#define ALL27(m, a)      ALL9(m, a, 1), ALL9(m, a, 2), ALL9(m, a, 3)
#define ALL81(m)         ALL27(m, 1), ALL27(m, 2), ALL27(m, 3)
static const uint32_t v4_keys[256] = {ALL81(KEY)};
static const unsigned char v4_shuffle[256][16] __attribute__((aligned(16))) = {ALL81(SHUF)};
#undef LANE
#undef OCTET
#undef SHUF
#undef KEY
#undef ALL3
#undef ALL9
#undef ALL27
#undef ALL81

/* What kz_match__parse_ipv4 (without CIDR) accepts, 7 to 15 bytes with 16 readable at p. */
__attribute__((target("ssse3"))) static bool
parse_ipv4_vec(const char *p, size_t n, uint32_t *out)
{
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i d = _mm_sub_epi8(b, _mm_set1_epi8('0'));
    unsigned inside = (1u << n) - 1, digit, dot, key, slot;
    __m128i g, v;

    /* Digits: d <= 9 as unsigned bytes. */
    digit = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d));
    dot = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(b, _mm_set1_epi8('.'))) & inside;
    key = dot | (unsigned)n << 16;
    slot = V4_SLOT(key);
    if (((digit & inside) | dot) != inside || v4_keys[slot] != key)
        return false;
    g = _mm_shuffle_epi8(d, _mm_load_si128((const __m128i *)(const void *)v4_shuffle[slot]));
    /* (100 h + 10 t, u) per octet in 16 bits, then their sum in 32. */
    v = _mm_maddubs_epi16(
        g, _mm_setr_epi8(100, 10, 1, 0, 100, 10, 1, 0, 100, 10, 1, 0, 100, 10, 1, 0));
    v = _mm_madd_epi16(v, _mm_set1_epi16(1));
    if (_mm_movemask_epi8(_mm_cmpgt_epi32(v, _mm_set1_epi32(255))))
        return false;
    v = _mm_packus_epi16(_mm_packs_epi32(v, v), v);
    *out = __builtin_bswap32((uint32_t)_mm_cvtsi128_si32(v));
    return true;
}
#endif

/* The probes of an IPv4 address v that passed the block filter, one per prefix length. */
static void
probe_ipv4(struct kz_match__line *ln, const char *field, const char *p, size_t n, uint32_t v)
{
    const struct kz_match_index *ix = ln->ix;
    uint8_t m[4];

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
}

/* An IPv4 address v of the line: the block filter, then the probes (rarely). */
static inline void
lookup_ipv4(struct kz_match__line *ln, const char *field, const char *p, size_t n, uint32_t v)
{
    const struct kz_match_index *ix = ln->ix;
    uint32_t blk;

    kz_match__note(ln, KZ_MATCH_IPV4, field, p, n);
    if (!ix->v4f)
        return;
    blk = v >> (32 - ix->v4f_bits);
    if (ix->v4c && !((ix->v4c[blk / 1024] >> (blk / 16 % 64)) & 1))
        return;
    if (ix->v4f[blk / 64] & (1ull << (blk % 64)))
        probe_ipv4(ln, field, p, n, v);
}

/* Everything but an IPv4 address parsed by vector: the byte parser, then IPv6. */
static bool
check_ip_plain(struct kz_match__line *ln, const char *field, const char *p, size_t n)
{
    const struct kz_match_index *ix = ln->ix;
    uint8_t a[16], m[16];
    unsigned plen;

    if (n == 0 || n > 64)
        return false;
    if (kz_match__parse_ipv4(p, n, a, &plen, false)) {
        lookup_ipv4(ln, field, p, n,
                    (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3]);
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

void
kz_match__check_ip(struct kz_match__line *ln, const char *field, const char *p, size_t n)
{
    check_ip_plain(ln, field, p, n);
}

bool
kz_match__check_ip_r(struct kz_match__line *ln, const char *field, const char *p, size_t n)
{
    return check_ip_plain(ln, field, p, n);
}

bool
kz_match__check_ip_in(struct kz_match__line *ln, const char *field, const char *p, size_t n,
                      size_t room)
{
#ifdef KZ_IP_X86
    uint32_t v;

    /* The common case, a dotted quad with 16 bytes to read, without the arrays of the rest. */
    if (room >= 16 && n - 7 <= 8 && __builtin_cpu_supports("ssse3")) {
        if (parse_ipv4_vec(p, n, &v)) {
            lookup_ipv4(ln, field, p, n, v);
            return true;
        }
        if (!memchr(p, ':', n)) /* neither IPv4 (the vector parser said so) nor IPv6 */
            return false;
    }
#else
    (void)room;
#endif
    return check_ip_plain(ln, field, p, n);
}
