/*
 * Splitting Zeek TSV lines: one pass over a line finds its end, the offsets of the
 * separators around the columns the reader wants, how many separators it has, and whether
 * it has a '\' (Zeek's escapes), 64 bytes at a time. AVX-512BW or AVX2 when the processor
 * has it, else SSE2, else bytes.
 *
 * Which separators are wanted is fixed by the '#fields' header (z->wsep, a bit per
 * separator number). For a block of 64 bytes with separator mask m whose first separator
 * is number k, the wanted ones among its separators are the bits of wsep from k on; a
 * parallel bit deposit (pdep) of those bits into m leaves exactly the wanted separators'
 * bits of m. Their offsets go to z->wpos, one after the other; every other separator is only
 * counted. Nothing is stored per separator and the line is not read twice.
 */
#include "match/match_int.h"

#include <stdlib.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define KZ_ZEEK_X86 1
#endif

#include "base/banned.h"

enum split_isa {
    ISA_BYTES = 0,
    ISA_SSE2 = 1,
    ISA_AVX2 = 2,      /* AVX2 + POPCNT, deposit by a loop */
    ISA_AVX2_PDEP = 3, /* AVX2 + POPCNT + a fast BMI2 pdep */
    ISA_AVX512 = 4,    /* AVX-512BW masks (one compare a mask), POPCNT, a fast pdep */
};

struct masks {
    uint64_t sep, nl, esc;
};

/* The best variant setup may choose (tests lower it to run the others). */
static unsigned isa_cap = ISA_AVX512;

static inline unsigned
bits64(uint64_t m)
{
    m = m - ((m >> 1) & 0x5555555555555555ull);
    m = (m & 0x3333333333333333ull) + ((m >> 2) & 0x3333333333333333ull);
    m = (m + (m >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (unsigned)((m * 0x0101010101010101ull) >> 56);
}

/* The last block of a buffer: bytes one by one, the buffer's end ends the line. */
static inline struct masks
tail_masks(const char *p, size_t n, char sep)
{
    struct masks m = {0, 0, 0};

    for (size_t j = 0; j < 64 && j < n; j++) {
        m.sep |= (uint64_t)(p[j] == sep) << j;
        m.nl |= (uint64_t)(p[j] == '\n') << j;
        m.esc |= (uint64_t)(p[j] == '\\') << j;
    }
    if (n < 64)
        m.nl |= 1ull << n;
    return m;
}

#ifdef KZ_ZEEK_X86
__attribute__((target("avx2"))) static inline struct masks
wide_masks(const char *p, char sep)
{
    __m256i lo = _mm256_loadu_si256((const __m256i *)(const void *)p);
    __m256i hi = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
    __m256i vs = _mm256_set1_epi8(sep), vn = _mm256_set1_epi8('\n');
    __m256i vb = _mm256_set1_epi8('\\');
    struct masks m;

#define HALVES(v)                                                                                  \
    ((uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, v)) |                          \
     (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, v)) << 32)
    m.sep = HALVES(vs);
    m.nl = HALVES(vn);
    m.esc = HALVES(vb);
#undef HALVES
    return m;
}

__attribute__((target("avx512bw"))) static inline struct masks
masks512(const char *p, char sep)
{
    __m512i b = _mm512_loadu_si512((const void *)p);
    struct masks m;

    m.sep = _mm512_cmpeq_epi8_mask(b, _mm512_set1_epi8(sep));
    m.nl = _mm512_cmpeq_epi8_mask(b, _mm512_set1_epi8('\n'));
    m.esc = _mm512_cmpeq_epi8_mask(b, _mm512_set1_epi8('\\'));
    return m;
}

static inline struct masks
narrow_masks(const char *p, char sep)
{
    __m128i vs = _mm_set1_epi8(sep), vn = _mm_set1_epi8('\n'), vb = _mm_set1_epi8('\\');
    struct masks m = {0, 0, 0};

    for (unsigned q = 0; q < 4; q++) {
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * q));
        m.sep |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(b, vs)) << (16 * q);
        m.nl |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(b, vn)) << (16 * q);
        m.esc |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(b, vb)) << (16 * q);
    }
    return m;
}

/* Inlined once split_loop is inlined into a function with BMI2 (split_avx2_pdep). */
__attribute__((target("bmi2"))) static inline uint64_t
pdep64(uint64_t sel, uint64_t m)
{
    return _pdep_u64(sel, m);
}
#endif

/* The wanted separators numbered k, k + 1, ...: bit j for number k + j. */
static inline uint64_t
wanted_from(const struct kz_match__zeek *z, size_t k)
{
    size_t w = k >> 6;
    unsigned s = (unsigned)(k & 63);

    if (k >= z->ncols - 1)
        return 0;
    /* wsep has a zero word past the last; "<< 1 << (63 - s)": "<< (64 - s)" with s = 0 too */
    return z->wsep[w] >> s | z->wsep[w + 1] << 1 << (63 - s);
}

/* The bits of m picked by the low bits of sel, in order (what pdep does), by a loop. */
static inline uint64_t
deposit_loop(uint64_t sel, uint64_t m)
{
    uint64_t d = 0;

    for (; sel && m; sel >>= 1, m &= m - 1)
        if (sel & 1)
            d |= m & -m;
    return d;
}

/*
 * The loop, inlined into one function per instruction set. Returns the line's length; the
 * wanted separators' offsets are in z->wpos, the count of all separators in z->nsep.
 */
static inline __attribute__((always_inline)) size_t
split_loop(struct kz_match__zeek *z, const char *p, size_t n, enum split_isa isa)
{
    uint32_t *wpos = z->wpos;
    size_t i = 0, k = 0, j = 1;
    uint64_t esc = 0;

    for (;; i += 64) {
        struct masks m;
        uint64_t sel, d;
        unsigned e = 64;
        if (i + 64 > n)
            m = tail_masks(p + i, n - i, z->sep);
#ifdef KZ_ZEEK_X86
        else if (isa == ISA_AVX512)
            m = masks512(p + i, z->sep);
        else if (isa >= ISA_AVX2)
            m = wide_masks(p + i, z->sep);
        else if (isa == ISA_SSE2)
            m = narrow_masks(p + i, z->sep);
#endif
        else
            m = tail_masks(p + i, 64, z->sep);
        if (m.nl) {
            uint64_t below;
            e = (unsigned)__builtin_ctzll(m.nl);
            below = (1ull << e) - 1; /* e < 64: the newline is in the block */
            m.sep &= below;
            m.esc &= below;
        }
        esc |= m.esc;
        sel = wanted_from(z, k);
#ifdef KZ_ZEEK_X86
        if (isa >= ISA_AVX2_PDEP)
            d = pdep64(sel, m.sep);
        else
#endif
            d = deposit_loop(sel, m.sep);
        /* Only wanted separators are in d, in order: the next ones of wpos. */
        for (; d; d &= d - 1)
            wpos[j++] = (uint32_t)(i + (size_t)__builtin_ctzll(d));
        k += isa >= ISA_AVX2 ? (unsigned)__builtin_popcountll(m.sep) : bits64(m.sep);
        if (e < 64) {
            z->nsep = k;
            z->esc = esc != 0;
            return i + e;
        }
    }
}

#ifdef KZ_ZEEK_X86
__attribute__((target("avx512bw,avx2,popcnt,bmi,bmi2"))) static size_t
split_avx512(struct kz_match__zeek *z, const char *p, size_t n)
{
    return split_loop(z, p, n, ISA_AVX512);
}

__attribute__((target("avx2,popcnt,bmi,bmi2"))) static size_t
split_avx2_pdep(struct kz_match__zeek *z, const char *p, size_t n)
{
    return split_loop(z, p, n, ISA_AVX2_PDEP);
}

__attribute__((target("avx2,popcnt"))) static size_t
split_avx2(struct kz_match__zeek *z, const char *p, size_t n)
{
    return split_loop(z, p, n, ISA_AVX2);
}

static size_t
split_sse2(struct kz_match__zeek *z, const char *p, size_t n)
{
    return split_loop(z, p, n, ISA_SSE2);
}

/*
 * pdep is one instruction on Intel and on AMD from Zen 3 (family 19h) on; earlier AMD
 * processors run it as a long microcode loop, slower than deposit_loop.
 */
static bool
pdep_is_fast(void)
{
    unsigned a, b, c, d, family;

    if (!__builtin_cpu_supports("bmi2") || !__get_cpuid(0, &a, &b, &c, &d))
        return false;
    if (b != 0x68747541u && b != 0x6f677948u) /* "Auth"enticAMD, "Hygo"nGenuine */
        return true;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return false;
    family = ((a >> 8) & 0xf) + ((a >> 20) & 0xff);
    return b != 0x6f677948u && family >= 0x19;
}
#endif

static size_t
split_bytes(struct kz_match__zeek *z, const char *p, size_t n)
{
    return split_loop(z, p, n, ISA_BYTES);
}

void
kz_match__zeek_split_setup(struct kz_match__zeek *z)
{
    size_t words = (z->ncols + 63) / 64 + 1, j = 0;
    unsigned isa;

    free(z->wsep);
    free(z->wpos);
    free(z->wsepn);
    free(z->cut);
    z->wsep = kz_xcalloc(words, sizeof(*z->wsep));
    for (size_t w = 0; w < z->nwant; w++) {
        size_t col = z->want[w];
        if (col > 0)
            z->wsep[(col - 1) / 64] |= 1ull << ((col - 1) % 64);
        if (col + 1 < z->ncols)
            z->wsep[col / 64] |= 1ull << (col % 64);
    }
    /* The wanted separators in order, and each wanted column's two among them. */
    z->wpos = kz_xcalloc(z->ncols + 2, sizeof(*z->wpos));
    z->wpos[0] = UINT32_MAX; /* + 1 is 0: the line's start */
    z->wsepn = kz_xcalloc(z->ncols + 1, sizeof(*z->wsepn));
    z->cut = kz_xcalloc(z->nwant + 1, sizeof(*z->cut));
    for (size_t t = 0; t + 1 < z->ncols; t++)
        if (z->wsep[t / 64] >> (t % 64) & 1)
            z->wsepn[j++] = (uint32_t)t;
    z->nwsep = j;
    for (size_t w = 0, at = 0; w < z->nwant; w++) {
        size_t col = z->want[w];
        while (at < j && z->wsepn[at] + 1 < col)
            at++;
        /* separator col - 1 is wanted when col > 0: it is wsepn[at], in wpos at + 1 */
        z->cut[w].before = col > 0 ? (uint32_t)(1 + at++) : 0;
        z->cut[w].after = col + 1 < z->ncols ? (uint32_t)(1 + at) : (uint32_t)(j + 1);
        z->cut[w].kind = z->cols[col];
        z->cut[w].name = z->names[col];
    }
    isa = ISA_BYTES;
#ifdef KZ_ZEEK_X86
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt")) {
        isa = pdep_is_fast() ? ISA_AVX2_PDEP : ISA_AVX2;
        if (isa == ISA_AVX2_PDEP && __builtin_cpu_supports("avx512bw"))
            isa = ISA_AVX512;
    } else {
        isa = ISA_SSE2;
    }
#endif
    if (isa > isa_cap)
        isa = isa_cap;
    switch (isa) {
#ifdef KZ_ZEEK_X86
    case ISA_AVX512:
        z->split = split_avx512;
        break;
    case ISA_AVX2_PDEP:
        z->split = split_avx2_pdep;
        break;
    case ISA_AVX2:
        z->split = split_avx2;
        break;
    case ISA_SSE2:
        z->split = split_sse2;
        break;
#endif
    default:
        z->split = split_bytes;
        break;
    }
}

void
kz_match__zeek_split_cap(unsigned isa)
{
    isa_cap = isa;
}

size_t
kz_match__zeek_split(struct kz_match__zeek *z, const char *p, size_t n)
{
    const char *nl;

    z->have_seps = false;
    /* Header lines, lines before '#fields', and odd separators take the plain way. */
    if (z->split && n > 0 && p[0] != '#' && z->sep != '\r' && z->sep != '\n') {
        z->have_seps = true;
        return z->split(z, p, n);
    }
    nl = memchr(p, '\n', n);
    return nl ? (size_t)(nl - p) : n;
}
