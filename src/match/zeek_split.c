/*
 * Splitting Zeek TSV lines: one pass over a line finds its end, its separators and whether
 * it has a '\' (Zeek's escapes), 32 bytes at a time. Separators are kept as one bit mask
 * per 32 bytes with the count before it, so the reader finds the few columns it wants
 * without a store per separator. AVX2 when the processor has it, else SSE2, else bytes.
 */
#include "match/match_int.h"

#include <stdlib.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define KZ_ZEEK_X86 1
#endif

#include "base/banned.h"

#define SPLIT_MAX_BLOCKS 32768 /* longer lines (1 MB) take the plain way */

struct masks {
    uint32_t sep, nl, esc;
};

static inline unsigned
bits32(uint32_t m)
{
    m = m - ((m >> 1) & 0x55555555u);
    m = (m & 0x33333333u) + ((m >> 2) & 0x33333333u);
    m = (m + (m >> 4)) & 0x0f0f0f0fu;
    return (m * 0x01010101u) >> 24;
}

/* The last block of a buffer: bytes one by one, the buffer's end ends the line. */
static inline struct masks
tail_masks(const char *p, size_t n, char sep)
{
    struct masks m = {0, 0, 0};

    for (size_t j = 0; j < 32 && j < n; j++) {
        m.sep |= (uint32_t)(p[j] == sep) << j;
        m.nl |= (uint32_t)(p[j] == '\n') << j;
        m.esc |= (uint32_t)(p[j] == '\\') << j;
    }
    if (n < 32)
        m.nl |= 1u << n;
    return m;
}

#ifdef KZ_ZEEK_X86
__attribute__((target("avx2"))) static inline struct masks
wide_masks(const char *p, char sep)
{
    __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)p);
    struct masks m;

    m.sep = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, _mm256_set1_epi8(sep)));
    m.nl = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, _mm256_set1_epi8('\n')));
    m.esc = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, _mm256_set1_epi8('\\')));
    return m;
}

static inline struct masks
narrow_masks(const char *p, char sep)
{
    __m128i lo = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i hi = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
    __m128i vs = _mm_set1_epi8(sep), vn = _mm_set1_epi8('\n'), vb = _mm_set1_epi8('\\');
    struct masks m;

    m.sep = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(lo, vs)) |
            (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(hi, vs)) << 16;
    m.nl = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(lo, vn)) |
           (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(hi, vn)) << 16;
    m.esc = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(lo, vb)) |
            (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(hi, vb)) << 16;
    return m;
}
#endif

/*
 * The loop, inlined into one function per instruction set. Returns the line's length, or
 * SIZE_MAX when the line is too long for the block table.
 */
static inline __attribute__((always_inline)) size_t
split_loop(struct kz_match__zeek *z, const char *p, size_t n, int isa)
{
    size_t i = 0, k = 0, b = 0;
    uint32_t esc = 0;

    for (;; b++, i += 32) {
        struct masks m;
        if (b + 1 >= z->blk_cap) {
            if (z->blk_cap >= SPLIT_MAX_BLOCKS)
                return SIZE_MAX;
            z->blk_cap = z->blk_cap ? z->blk_cap * 2 : 64;
            z->blk = kz_xrealloc(z->blk, z->blk_cap * sizeof(*z->blk));
        }
        if (i + 32 > n)
            m = tail_masks(p + i, n - i, z->sep);
#ifdef KZ_ZEEK_X86
        else if (isa == 2)
            m = wide_masks(p + i, z->sep);
        else if (isa == 1)
            m = narrow_masks(p + i, z->sep);
#endif
        else
            m = tail_masks(p + i, 32, z->sep);
        if (m.nl) {
            unsigned e = (unsigned)__builtin_ctz(m.nl);
            uint32_t below = (1u << e) - 1;
            z->blk[b] = (uint64_t)k << 32 | (m.sep & below);
            k += isa == 2 ? (unsigned)__builtin_popcount(m.sep & below) : bits32(m.sep & below);
            z->blk[b + 1] = (uint64_t)k << 32; /* the sentinel kz_match__zeek_sep stops at */
            z->nsep = k;
            z->esc = (esc | (m.esc & below)) != 0;
            return i + e;
        }
        esc |= m.esc;
        z->blk[b] = (uint64_t)k << 32 | m.sep;
        k += isa == 2 ? (unsigned)__builtin_popcount(m.sep) : bits32(m.sep);
    }
}

#ifdef KZ_ZEEK_X86
__attribute__((target("avx2,popcnt"))) static size_t
split_avx2(struct kz_match__zeek *z, const char *p, size_t n)
{
    return split_loop(z, p, n, 2);
}

static size_t
split_sse2(struct kz_match__zeek *z, const char *p, size_t n)
{
    return split_loop(z, p, n, 1);
}
#else
static size_t
split_bytes(struct kz_match__zeek *z, const char *p, size_t n)
{
    return split_loop(z, p, n, 0);
}
#endif

size_t
kz_match__zeek_split(struct kz_match__zeek *z, const char *p, size_t n)
{
    const char *nl;
    size_t len;

    z->have_seps = false;
    /* Header lines, lines before '#fields', and odd separators take the plain way. */
    if (z->have_fields && n > 0 && p[0] != '#' && z->sep != '\r' && z->sep != '\n') {
#ifdef KZ_ZEEK_X86
        len = __builtin_cpu_supports("avx2") ? split_avx2(z, p, n) : split_sse2(z, p, n);
#else
        len = split_bytes(z, p, n);
#endif
        if (len != SIZE_MAX) {
            z->have_seps = true;
            return len;
        }
    }
    nl = memchr(p, '\n', n);
    return nl ? (size_t)(nl - p) : n;
}
