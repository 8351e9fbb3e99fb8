/*
 * File hashes: MD5, SHA-1, SHA-256 and SHA-512 given in hex, kept as binary keys of their
 * own kind (the length says which).
 */
#include "match/match_int.h"

#include "base/banned.h"

static const int8_t hex_tab[256] = {
    ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7,
    ['7'] = 8, ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14,
    ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15,
    ['F'] = 16,
};

enum kz_match_kind
kz_match__parse_hash(const char *p, size_t n, uint8_t out[64], size_t *outn)
{
    enum kz_match_kind k;

    switch (n) {
    case 32:
        k = KZ_MATCH_MD5;
        break;
    case 40:
        k = KZ_MATCH_SHA1;
        break;
    case 64:
        k = KZ_MATCH_SHA256;
        break;
    case 128:
        k = KZ_MATCH_SHA512;
        break;
    default:
        return KZ_MATCH_NONE;
    }
    for (size_t i = 0; i < n; i += 2) {
        int hi = hex_tab[(unsigned char)p[i]], lo = hex_tab[(unsigned char)p[i + 1]];
        if (!hi || !lo)
            return KZ_MATCH_NONE;
        out[i / 2] = (uint8_t)((hi - 1) << 4 | (lo - 1));
    }
    *outn = n / 2;
    return k;
}

void
kz_match__check_hash(struct kz_match__line *ln, const char *field, const char *p, size_t n)
{
    uint8_t b[64];
    size_t bn;
    enum kz_match_kind k = kz_match__parse_hash(p, n, b, &bn);
    uint32_t key;

    if (k == KZ_MATCH_NONE)
        return;
    kz_match__note(ln, k, field, p, n);
    if (!(ln->ix->kinds_present & (1u << k)))
        return;
    key = kz_match__find(ln->ix, k, 0, b, bn);
    if (key != UINT32_MAX)
        kz_match__emit(ln, key, field, p, n);
}
