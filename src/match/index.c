/*
 * The indicator index: indicators, a value arena, and one open-addressing table keyed by
 * 64-bit hashes of normalised values. A slot holds a 32-bit fingerprint and a key number,
 * so a miss is decided without touching the arena; a hit is verified against it.
 */
#include "match/match_int.h"
#include "match/lex.h"

#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/id.h"
#include "pattern/pattern.h"
#include "base/banned.h"

static const char *const kind_names[KZ_MATCH_KIND_COUNT] = {
    "none", "ipv4", "ipv6", "domain", "url", "md5", "sha1", "sha256", "sha512", "email",
};

const char *
kz_match_kind_name(enum kz_match_kind k)
{
    return (unsigned)k < KZ_MATCH_KIND_COUNT ? kind_names[k] : "none";
}

struct kz_match_index *
kz_match_index_new(void)
{
    struct kz_match_index *ix = kz_xcalloc(1, sizeof(*ix));
    return ix;
}

void
kz_match_index_free(struct kz_match_index *ix)
{
    if (!ix)
        return;
    free(ix->arena);
    free(ix->inds);
    free(ix->windows);
    free(ix->keys);
    free(ix->hashes);
    free(ix->slots);
    free(ix->bloom);
    free(ix->v4f);
    free(ix->v4c);
    for (size_t i = 0; i < ix->nevals; i++)
        kz_pattern_free(ix->evals[i].p);
    free(ix->evals);
    free(ix);
}

static void *
grow(void *p, size_t *cap, size_t need, size_t elem)
{
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    if (c != *cap) {
        p = kz_xrealloc(p, c * elem);
        *cap = c;
    }
    return p;
}

static uint32_t
arena_put(struct kz_match_index *ix, const void *p, size_t n, bool nul)
{
    size_t need = ix->arena_n + n + (nul ? 1 : 0);
    uint32_t off = (uint32_t)ix->arena_n;

    if (need > ix->arena_cap)
        ix->arena = grow(ix->arena, &ix->arena_cap, need, 1);
    memcpy(ix->arena + ix->arena_n, p, n);
    if (nul)
        ix->arena[ix->arena_n + n] = '\0';
    ix->arena_n = need;
    return off;
}

/* The namespace STIX 2.1 gives for deterministic SCO ids; we reuse it for indicator ids. */
static const uint8_t stix_ns[16] = {0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c,
                                    0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7};

void
kz_match__uuid5(const void *ns16, const void *name, size_t n, uint8_t out[16])
{
    unsigned char digest[20];
    gnutls_hash_hd_t h;

    if (gnutls_hash_init(&h, GNUTLS_DIG_SHA1) != 0) {
        memset(out, 0, 16);
        return;
    }
    gnutls_hash(h, ns16 ? ns16 : stix_ns, 16);
    gnutls_hash(h, name, n);
    gnutls_hash_deinit(h, digest);
    memcpy(out, digest, 16);
    out[6] = (uint8_t)((out[6] & 0x0f) | 0x50);
    out[8] = (uint8_t)((out[8] & 0x3f) | 0x80);
}

void
kz_match__uuid_text(const uint8_t u[16], char out[37])
{
    static const char hex[] = "0123456789abcdef";
    size_t j = 0;

    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[j++] = '-';
        out[j++] = hex[u[i] >> 4];
        out[j++] = hex[u[i] & 15];
    }
    out[j] = '\0';
}

static bool
uuid_parse(const char *s, size_t n, uint8_t out[16])
{
    size_t j = 0;

    if (!kz_uuid_valid(kz_str_make(s, n)))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '-')
            continue;
        int byte = kz_match__hex2(s + i);
        /* Upper-case ids are kept as text so they print back as they came. */
        if (s[i] >= 'A' && s[i] <= 'F')
            return false;
        if (s[i + 1] >= 'A' && s[i + 1] <= 'F')
            return false;
        out[j++] = (uint8_t)byte;
        i++;
    }
    return j == 16;
}

uint32_t
kz_match__add_ind(struct kz_match_index *ix, const char *id, struct kz_str seed,
                  const struct kz_match_validity *v)
{
    struct kz_match__ind *d;

    ix->inds = grow(ix->inds, &ix->inds_cap, ix->ninds + 1, sizeof(*ix->inds));
    d = &ix->inds[ix->ninds];
    memset(d, 0, sizeof(*d));
    d->id_off = KZ_MATCH_NO_ID;
    d->window = KZ_MATCH_NO_WINDOW;
    if (id) {
        size_t n = strlen(id);
        if (!(n == 11 + 36 && memcmp(id, "indicator--", 11) == 0 &&
              uuid_parse(id + 11, 36, d->uuid)))
            d->id_off = arena_put(ix, id, n, true);
    } else {
        kz_match__uuid5(NULL, seed.p, seed.n, d->uuid);
    }
    if (v && (v->valid_from != INT64_MIN || v->valid_until != INT64_MAX)) {
        ix->windows = grow(ix->windows, &ix->windows_cap, ix->nwindows + 1, sizeof(*ix->windows));
        ix->windows[ix->nwindows] = *v;
        d->window = (uint32_t)ix->nwindows++;
    }
    return (uint32_t)ix->ninds++;
}

void
kz_match__drop_last_ind(struct kz_match_index *ix)
{
    if (ix->ninds == 0)
        return;
    if (ix->inds[ix->ninds - 1].window != KZ_MATCH_NO_WINDOW)
        ix->nwindows--;
    ix->ninds--;
}

void
kz_match__add_key(struct kz_match_index *ix, enum kz_match_kind kind, unsigned plen,
                  const void *p, size_t n, uint32_t ind)
{
    struct kz_match__key *k;

    if (n > UINT16_MAX)
        return;
    ix->keys = grow(ix->keys, &ix->keys_cap, ix->nkeys + 1, sizeof(*ix->keys));
    k = &ix->keys[ix->nkeys++];
    k->off = arena_put(ix, p, n, false);
    k->len = (uint16_t)n;
    k->kind = (uint8_t)kind;
    k->plen = (uint8_t)plen;
    k->ind = ind;
    k->next = UINT32_MAX;
    ix->kinds_present |= 1u << kind;
    if (kind == KZ_MATCH_IPV4 && plen <= 32)
        ix->v4_has[plen] = true;
    if (kind == KZ_MATCH_DOMAIN) {
        size_t labels = 1;
        for (size_t i = 0; i < n; i++)
            labels += ((const char *)p)[i] == '.';
        ix->dom_labels |= 1ull << (labels > 64 ? 63 : labels - 1);
        {
            const char *d = p;
            size_t t = n;
            while (t > 0 && d[t - 1] != '.')
                t--;
            unsigned bit = kz_match__tld_bit(d + t, n - t);
            ix->dom_tlds[bit / 64] |= 1ull << (bit % 64);
        }
    }
    if (kind == KZ_MATCH_IPV6 && plen <= 128)
        ix->v6_has[plen] = true;
}

/* Sets bits [first, first + count) of a bitmap. */
static void
set_bits(uint64_t *map, uint64_t first, uint64_t count)
{
    while (count && (first & 63)) {
        map[first / 64] |= 1ull << (first & 63);
        first++;
        count--;
    }
    for (; count >= 64; count -= 64, first += 64)
        map[first / 64] = ~0ull;
    for (; count; count--, first++)
        map[first / 64] |= 1ull << (first & 63);
}

/*
 * The IPv4 block filter: about 64 bits per address key, between 2^16 (8 KB) and 2^24
 * (2 MB) bits, so that an address outside every listed block costs one bit test.
 */
static void
build_v4_filter(struct kz_match_index *ix)
{
    size_t nv4 = 0;

    for (size_t i = 0; i < ix->nkeys; i++)
        nv4 += ix->keys[i].kind == KZ_MATCH_IPV4;
    if (nv4 == 0)
        return;
    ix->v4f_bits = 16;
    while (ix->v4f_bits < 24 && (1ull << ix->v4f_bits) < (uint64_t)nv4 * 64)
        ix->v4f_bits++;
    ix->v4f = kz_xcalloc((1ull << ix->v4f_bits) / 64, sizeof(uint64_t));
    for (size_t i = 0; i < ix->nkeys; i++) {
        const struct kz_match__key *k = &ix->keys[i];
        if (k->kind != KZ_MATCH_IPV4)
            continue;
        const uint8_t *a = (const uint8_t *)ix->arena + k->off;
        uint32_t v = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
        uint64_t first = v >> (32 - ix->v4f_bits);
        uint64_t count = k->plen >= ix->v4f_bits ? 1 : 1ull << (ix->v4f_bits - k->plen);
        set_bits(ix->v4f, first, count);
    }
    /*
     * In front of a filter past 256 KB, which does not stay in a core's cache while a log
     * streams through it, a sixteenth of it: one bit for each 16 of its bits. With random
     * addresses most tests end there, in a few hundred KB that stay cached.
     */
    if (ix->v4f_bits > 20) {
        size_t words = (1ull << ix->v4f_bits) / 64;
        ix->v4c = kz_xcalloc(words / 16 > 0 ? words / 16 : 1, sizeof(uint64_t));
        for (size_t w = 0; w < words; w++)
            for (unsigned g = 0; g < 4; g++)
                if ((ix->v4f[w] >> (16 * g)) & 0xffff)
                    ix->v4c[(w * 4 + g) / 64] |= 1ull << ((w * 4 + g) % 64);
    }
}

kz_err
kz_match_index_finish(struct kz_match_index *ix)
{
    uint64_t size = 16;

    if (ix->finished)
        return KZ_OK;
    while (size < ix->nkeys + ix->nkeys / 3 + 1)
        size *= 2;
    ix->slots = kz_xcalloc(size, sizeof(uint64_t));
    ix->mask = size - 1;
    for (size_t i = 0; i < ix->nkeys; i++) {
        struct kz_match__key *k = &ix->keys[i];
        uint64_t h = kz_match__hash(k->kind, k->plen, ix->arena + k->off, k->len);
        uint64_t fp = h >> 32, pos = h & ix->mask;

        for (;;) {
            uint64_t s = ix->slots[pos];
            if (s == 0) {
                ix->slots[pos] = fp << 32 | (uint64_t)(i + 1);
                break;
            }
            if ((s >> 32) == fp) {
                struct kz_match__key *o = &ix->keys[(uint32_t)s - 1];
                if (kz_match__key_eq(ix, o, k->kind, k->plen, ix->arena + k->off, k->len)) {
                    /* Same value: chain, unless it is the same indicator again. */
                    bool dup = false;
                    for (struct kz_match__key *c = o;; c = &ix->keys[c->next]) {
                        if (c->ind == k->ind) {
                            dup = true;
                            break;
                        }
                        if (c->next == UINT32_MAX)
                            break;
                    }
                    if (!dup) {
                        k->next = o->next;
                        o->next = (uint32_t)i;
                    }
                    break;
                }
            }
            pos = (pos + 1) & ix->mask;
        }
    }
    {
        uint64_t words = 1024;
        while (words * 64 < (uint64_t)ix->nkeys * 16)
            words *= 2;
        ix->bloom = kz_xcalloc(words, sizeof(uint64_t));
        ix->bloom_mask = words - 1;
    }
    for (size_t i = 0; i < ix->nkeys; i++) {
        const struct kz_match__key *k = &ix->keys[i];
        uint64_t h = kz_match__hash(k->kind, k->plen, ix->arena + k->off, k->len);
        ix->bloom[(h >> 8) & ix->bloom_mask] |= (1ull << ((h >> 40) & 63)) | (1ull << ((h >> 46) & 63));
    }
    build_v4_filter(ix);
    ix->n_v4_plens = 0;
    for (int l = 32; l >= 0; l--)
        if (ix->v4_has[l])
            ix->v4_plens[ix->n_v4_plens++] = (uint8_t)l;
    ix->n_v6_plens = 0;
    for (int l = 128; l >= 0; l--)
        if (ix->v6_has[l])
            ix->v6_plens[ix->n_v6_plens++] = (uint8_t)l;
    /* Give back the slack of the growable arrays. */
    if (ix->nkeys && ix->keys_cap > ix->nkeys) {
        ix->keys = kz_xrealloc(ix->keys, ix->nkeys * sizeof(*ix->keys));
        ix->keys_cap = ix->nkeys;
    }
    if (ix->arena_n && ix->arena_cap > ix->arena_n) {
        ix->arena = kz_xrealloc(ix->arena, ix->arena_n);
        ix->arena_cap = ix->arena_n;
    }
    if (ix->ninds && ix->inds_cap > ix->ninds) {
        ix->inds = kz_xrealloc(ix->inds, ix->ninds * sizeof(*ix->inds));
        ix->inds_cap = ix->ninds;
    }
    ix->finished = true;
    return KZ_OK;
}

size_t
kz_match_index_indicators(const struct kz_match_index *ix)
{
    return ix->ninds;
}

size_t
kz_match_index_keys(const struct kz_match_index *ix)
{
    return ix->nkeys;
}

size_t
kz_match_index_memory(const struct kz_match_index *ix)
{
    return ix->arena_cap + ix->inds_cap * sizeof(*ix->inds) +
           ix->windows_cap * sizeof(*ix->windows) + ix->keys_cap * sizeof(*ix->keys) +
           (ix->mask + 1) * sizeof(uint64_t) * (ix->slots != NULL) +
           (ix->bloom ? (ix->bloom_mask + 1) * sizeof(uint64_t) : 0) +
           (ix->v4f ? (1ull << ix->v4f_bits) / 8 : 0) +
           (ix->v4c ? (1ull << ix->v4f_bits) / 128 : 0) + sizeof(*ix);
}

void
kz_match_index_id(const struct kz_match_index *ix, uint32_t i, char *out, size_t outlen)
{
    const struct kz_match__ind *d = &ix->inds[i];
    char u[37];

    if (d->id_off != KZ_MATCH_NO_ID) {
        snprintf(out, outlen, "%s", ix->arena + d->id_off);
        return;
    }
    kz_match__uuid_text(d->uuid, u);
    snprintf(out, outlen, "indicator--%s", u);
}
