/*
 * Domain names: lower-case without the trailing dot. An observed name matches a listed
 * domain equal to it or to any of its parent domains, so the lookup walks the label
 * suffixes of the name ("a.b.example.com", "b.example.com", "example.com", "com").
 */
#include "match/match_int.h"

#include "base/banned.h"

static const unsigned char lower_tab[256] = {
#define R(x) x, x + 1, x + 2, x + 3, x + 4, x + 5, x + 6, x + 7
    R(0), R(8), R(16), R(24), R(32), R(40), R(48), R(56), 64, 'a', 'b', 'c', 'd', 'e', 'f',
    'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w',
    'x', 'y', 'z', 91, 92, 93, 94, 95, R(96), R(104), R(112), R(120), R(128), R(136),
    R(144), R(152), R(160), R(168), R(176), R(184), R(192), R(200), R(208), R(216), R(224),
    R(232), R(240), R(248),
#undef R
};

size_t
kz_match__norm_domain(const char *p, size_t n, char *out)
{
    while (n > 0 && p[n - 1] == '.')
        n--;
    if (n == 0 || n >= KZ_MATCH_DOMAIN_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)lower_tab[(unsigned char)p[i]];
    return n;
}

/* Letters, digits, '-', '_' and dots, at least one dot, no empty label. */
bool
kz_match__is_domain(const char *p, size_t n)
{
    bool dot = false, alpha = false;

    while (n > 0 && p[n - 1] == '.')
        n--;
    if (n == 0 || n > 253 || p[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '.') {
            if (p[i - 1] == '.')
                return false;
            dot = true;
        } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
            alpha = true;
        } else if (!((c >= '0' && c <= '9') || c == '-' || c == '_' || c >= 0x80)) {
            return false;
        }
    }
    return dot && alpha;
}

/* Eight bytes of p from i (fewer at the end, zero-filled). */
static inline uint64_t
word_at(const char *p, size_t i, size_t n)
{
    uint64_t w;

    if (n - i >= 8) {
        memcpy(&w, p + i, 8);
        return w;
    }
    return kz_match__load_tail(p + i, n - i);
}

/*
 * Notes where the dots of a name of n bytes are (fewer than n of them), eight bytes at a
 * time; returns how many.
 */
static size_t
find_dots(const char *p, size_t n, uint16_t *dots)
{
    const uint64_t ones = 0x0101010101010101ull, low7 = ones * 0x7f;
    size_t nd = 0;

    for (size_t i = 0; i < n; i += 8) {
        uint64_t x = word_at(p, i, n) ^ (ones * '.');
        uint64_t dot = ~(((x & low7) + low7) | x | low7); /* high bit on each '.' */
        while (dot) {
            size_t at = i + ((size_t)__builtin_ctzll(dot) >> 3);
            if (at < n)
                dots[nd++] = (uint16_t)at;
            dot &= dot - 1;
        }
    }
    return nd;
}

/* Lower-cases n bytes into out (which has room for n rounded up to 8), eight at a time. */
static void
lower_words(const char *p, size_t n, char *out)
{
    const uint64_t ones = 0x0101010101010101ull, low7 = ones * 0x7f, high = ones * 0x80;

    for (size_t i = 0; i < n; i += 8) {
        uint64_t w = word_at(p, i, n), h = w & low7;
        /* High bit of a byte: ASCII and 'A' <= byte <= 'Z'. */
        uint64_t upper = ((h + ones * (0x80 - 'A')) ^ (h + ones * (0x80 - 'Z' - 1))) & ~w & high;
        w |= upper >> 2;
        memcpy(out + i, &w, 8);
    }
}

/*
 * Whether some domain key ends in the name's last label (n > 0, no trailing dot). The last
 * label is found among the name's last eight bytes, loaded as one word, by the highest dot
 * in it (no byte loop: its length would change from name to name); labels longer than 8
 * bytes are not filtered.
 */
static inline bool
tld_listed(const struct kz_match_index *ix, const char *p, size_t n)
{
    const uint64_t ones = 0x0101010101010101ull, low7 = ones * 0x7f, high = ones * 0x80;
    size_t have = n < 8 ? n : 8, len;
    uint64_t w, x, dots, h, upper;
    unsigned bit;

    if (n >= 8)
        memcpy(&w, p + n - 8, 8);
    else
        w = kz_match__load_tail(p, n); /* bytes past the name are zero, never a dot */
    x = w ^ (ones * '.');
    dots = ~(((x & low7) + low7) | x | low7) & high; /* high bit on each '.' */
    if (dots) {
        unsigned j = (63u - (unsigned)__builtin_clzll(dots)) >> 3; /* the last dot's byte */
        len = have - 1 - j;
        w >>= 8 * (j + 1);
    } else if (n <= 8 || p[n - 9] == '.') {
        len = have; /* the whole name, or a label of exactly eight bytes */
    } else {
        return true;
    }
    h = w & low7;
    upper = ((h + ones * (0x80 - 'A')) ^ (h + ones * (0x80 - 'Z' - 1))) & ~w & high;
    w |= upper >> 2;
    bit = kz_match__tld_mix(w, len);
    return (ix->dom_tlds[bit / 64] >> (bit % 64)) & 1;
}

/* The suffix walk of a name whose last label some key has (n > 0, no trailing dot). */
static void
walk_suffixes(struct kz_match__line *ln, const char *field, const char *p, size_t n)
{
    const struct kz_match_index *ix = ln->ix;
    char d[KZ_MATCH_DOMAIN_MAX + 8];
    uint16_t dots[KZ_MATCH_DOMAIN_MAX];
    size_t nd, first, base;

    nd = find_dots(p, n, dots);
    /*
     * The suffixes: the whole name (nd + 1 labels), then after each dot. Only those with a
     * label count some key has are looked up, so only the bytes from the longest of them
     * on are lower-cased and hashed (usually the last two or three labels of a long name).
     */
    for (first = 0; first <= nd; first++) {
        size_t labels = nd + 1 - first;
        if (ix->dom_labels & (1ull << (labels > 64 ? 63 : labels - 1)))
            break;
    }
    if (first > nd)
        return;
    base = first == 0 ? 0 : (size_t)dots[first - 1] + 1;
    lower_words(p + base, n - base, d);
    for (size_t j = first; j <= nd; j++) {
        size_t labels = nd + 1 - j, at = j == 0 ? 0 : (size_t)dots[j - 1] + 1;
        if (!(ix->dom_labels & (1ull << (labels > 64 ? 63 : labels - 1))))
            continue;
        uint32_t k = kz_match__find(ix, KZ_MATCH_DOMAIN, 0, d + (at - base), n - at);
        if (k != UINT32_MAX)
            kz_match__emit(ln, k, field, p, n);
    }
}

/* The last-label filter here, the walk (and its buffers) only for the few names it passes. */
void
kz_match__check_domain(struct kz_match__line *ln, const char *field, const char *p, size_t n)
{
    const struct kz_match_index *ix = ln->ix;

    kz_match__note(ln, KZ_MATCH_DOMAIN, field, p, n);
    if (!(ix->kinds_present & (1u << KZ_MATCH_DOMAIN)))
        return;
    while (n > 0 && p[n - 1] == '.')
        n--;
    if (n == 0 || n >= KZ_MATCH_DOMAIN_MAX)
        return;
    if (tld_listed(ix, p, n))
        walk_suffixes(ln, field, p, n);
}

void
kz_match__check_host(struct kz_match__line *ln, const char *field, const char *p, size_t n)
{
    kz_match__check_host_in(ln, field, p, n, n);
}

void
kz_match__check_host_in(struct kz_match__line *ln, const char *field, const char *p, size_t n,
                        size_t room)
{
    if (n == 0)
        return;
    if (((p[0] >= '0' && p[0] <= '9') || memchr(p, ':', n)) &&
        kz_match__check_ip_in(ln, field, p, n, room))
        return;
    kz_match__check_domain(ln, field, p, n);
}
