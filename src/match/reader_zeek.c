/*
 * Zeek logs, TSV (with its '#separator', '#set_separator' and '#fields' header) and JSON.
 * Columns are known by name, whatever the log: connection addresses (id.orig_h,
 * id.resp_h, tx_hosts, rx_hosts), DNS query and answers, HTTP host and uri, TLS
 * server_name, file hashes, and SMTP addresses.
 */
#include "match/match_int.h"
#include "match/lex.h"

#include <stdlib.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "base/banned.h"

struct zname {
    const char *name;
    enum kz_match__field f;
};

static const struct zname zeek_fields[] = {
    {"ts", KZ_F_TS},           {"id.orig_h", KZ_F_IP},     {"id.resp_h", KZ_F_IP},
    {"tx_hosts", KZ_F_ANSWERS}, {"rx_hosts", KZ_F_ANSWERS}, {"query", KZ_F_DOMAIN},
    {"answers", KZ_F_ANSWERS}, {"host", KZ_F_URIHOST},     {"uri", KZ_F_URI},
    {"server_name", KZ_F_DOMAIN}, {"md5", KZ_F_HASH},      {"sha1", KZ_F_HASH},
    {"sha256", KZ_F_HASH},     {"sha512", KZ_F_HASH},      {"mailfrom", KZ_F_EMAIL},
    {"rcptto", KZ_F_EMAILS},   {"from", KZ_F_EMAIL},       {"to", KZ_F_EMAILS},
    {"cc", KZ_F_EMAILS},       {"reply_to", KZ_F_EMAIL},
};

static enum kz_match__field
zeek_field(const char *p, size_t n)
{
    for (size_t i = 0; i < sizeof(zeek_fields) / sizeof(zeek_fields[0]); i++) {
        const char *z = zeek_fields[i].name;
        if (strlen(z) == n && memcmp(z, p, n) == 0)
            return zeek_fields[i].f;
    }
    return KZ_F_NONE;
}

/* Common to both layouts: one value of a classified field (a set element for sets). */
struct zctx {
    struct kz_match__line *ln;
    const char *host, *uri;
    size_t hostn, urin;
};

static void
zvalue(struct zctx *z, enum kz_match__field f, const char *name, const char *v, size_t n)
{
    struct kz_match__line *ln = z->ln;

    if (kz_match__check_field(ln, f, name, v, n))
        return;
    switch (f) {
    case KZ_F_URIHOST:
        z->host = v;
        z->hostn = n;
        break;
    case KZ_F_URI:
        z->uri = v;
        z->urin = n;
        break;
    case KZ_F_TS:
        ln->ts = v;
        ln->tsn = n;
        break;
    default:
        break;
    }
}

/* ---- TSV ---- */

/*
 * The first byte c in [s, s + n), with room >= n bytes readable at s: one 16-byte compare
 * for the short values of a set (most answers hold one address), memchr past that.
 */
static inline const char *
find_byte(const char *s, size_t n, size_t room, char c)
{
#if defined(__SSE2__)
    if (n <= 16 && room >= 16) {
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)s);
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(b, _mm_set1_epi8(c)));
        m &= (1u << n) - 1;
        return m ? s + __builtin_ctz(m) : NULL;
    }
#else
    (void)room;
#endif
    return memchr(s, c, n);
}

/*
 * A value of 1 to 15 bytes as two words, compared instead of the bytes (no memcmp call):
 * its first eight bytes and its last eight, which overlap; under eight bytes, the bytes
 * and zero. With the length they say which bytes the value has.
 */
static inline void
memo_words(const char *v, size_t n, uint64_t *head, uint64_t *tail)
{
    if (n >= 8) {
        memcpy(head, v, 8);
        memcpy(tail, v + n - 8, 8);
    } else {
        *head = kz_match__load_tail(v, n);
        *tail = 0;
    }
}

/*
 * An address column's value, looked up unless it is the column's last one, which found no
 * key (a key found but outside its validity at that line's time is looked up again). room:
 * the bytes that can be read at v.
 */
static void
ip_memo(struct kz_match__memo *m, struct kz_match__line *ln, const char *name, const char *v,
        size_t n, size_t room)
{
    uint64_t found = ln->found, head, tail;

    memo_words(v, n, &head, &tail);
    if (m->n == n && m->head == head && m->tail == tail)
        return;
    kz_match__check_ip_in(ln, name, v, n, room);
    m->n = ln->found == found ? (uint8_t)n : 0;
    m->head = head;
    m->tail = tail;
}

void
kz_match__zeek_release(struct kz_match__zeek *z)
{
    free(z->cols);
    free(z->names);
    free(z->names_mem);
    free(z->want);
    free(z->pos);
    free(z->wpos);
    free(z->wsepn);
    free(z->cut);
    free(z->wsep);
    free(z->memo);
    memset(z, 0, sizeof(*z));
}

/* Decodes Zeek's "\xHH" escapes; returns the length written. */
static size_t
zeek_unescape(const char *p, size_t n, char *out, size_t outlen)
{
    size_t o = 0;

    for (size_t i = 0; i < n && o < outlen; i++) {
        if (p[i] == '\\' && i + 3 < n && p[i + 1] == 'x' && kz_match__hex2(p + i + 2) >= 0) {
            out[o++] = (char)kz_match__hex2(p + i + 2);
            i += 3;
        } else {
            out[o++] = p[i];
        }
    }
    return o;
}

static bool
header_fields(struct kz_match__zeek *z, const char *p, size_t n, char sep)
{
    size_t cols = 1;
    char keep_sep = z->sep, keep_set = z->set_sep;

    kz_match__zeek_release(z);
    z->sep = keep_sep;
    z->set_sep = keep_set;
    for (size_t i = 0; i < n; i++)
        cols += p[i] == sep;
    if (cols > 4096)
        return false;
    z->cols = kz_xcalloc(cols, 1);
    z->names = kz_xcalloc(cols, sizeof(*z->names));
    z->names_mem = kz_xmalloc(n + 1);
    memcpy(z->names_mem, p, n);
    z->names_mem[n] = '\0';
    z->ncols = 0;
    for (size_t i = 0, s = 0; i <= n; i++) {
        if (i == n || p[i] == sep) {
            z->names_mem[i] = '\0';
            z->names[z->ncols] = z->names_mem + s;
            z->cols[z->ncols] = (uint8_t)zeek_field(p + s, i - s);
            z->ncols++;
            s = i + 1;
        }
    }
    z->want = kz_xcalloc(z->ncols, sizeof(*z->want));
    z->pos = kz_xcalloc(z->ncols + 1, sizeof(*z->pos));
    z->nwant = 0;
    for (size_t i = 0; i < z->ncols; i++)
        if (z->cols[i] != KZ_F_NONE)
            z->want[z->nwant++] = (uint32_t)i;
    z->memo = kz_xcalloc(z->nwant + 1, sizeof(*z->memo));
    kz_match__zeek_split_setup(z);
    z->have_fields = true;
    return true;
}

static int
header_line(struct kz_match__zeek *z, const char *p, size_t n)
{
    char sep = z->sep ? z->sep : '\t', set_sep = z->set_sep ? z->set_sep : ',';
    char buf[8];
    size_t bn;

    if (n > 11 && memcmp(p, "#separator ", 11) == 0) {
        bn = zeek_unescape(p + 11, n - 11, buf, sizeof(buf));
        if (bn == 1)
            sep = buf[0];
    } else if (n > 15 && memcmp(p, "#set_separator", 14) == 0 && p[14] == sep) {
        bn = zeek_unescape(p + 15, n - 15, buf, sizeof(buf));
        if (bn == 1)
            set_sep = buf[0];
    } else if (n > 8 && memcmp(p, "#fields", 7) == 0 && p[7] == sep) {
        if (!header_fields(z, p + 8, n - 8, sep))
            return -1;
    }
    z->sep = sep;
    z->set_sep = set_sep;
    return 0;
}

/*
 * Finds every separator of the line in one pass, eight bytes at a time (a memchr call per
 * field costs more than the field on Zeek's short columns). Returns how many there are, or
 * SIZE_MAX past max.
 */
static size_t
find_seps(const char *p, size_t n, char sep, uint32_t *pos, size_t max)
{
    const uint64_t ones = 0x0101010101010101ull, low7 = 0x7f7f7f7f7f7f7f7full;
    const uint64_t pat = ones * (uint8_t)sep;
    size_t k = 0, i = 0;

    for (; i + 8 <= n; i += 8) {
        uint64_t w, x, y;
        memcpy(&w, p + i, 8);
        x = w ^ pat;
        y = ~(((x & low7) + low7) | x | low7); /* high bit set exactly on zero bytes */
        while (y) {
            if (k >= max)
                return SIZE_MAX;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
            unsigned b = (unsigned)__builtin_clzll(y) >> 3;
#else
            unsigned b = (unsigned)__builtin_ctzll(y) >> 3;
#endif
            pos[k++] = (uint32_t)(i + b);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
            y &= ~(0x8000000000000000ull >> (b * 8));
#else
            y &= y - 1;
#endif
        }
    }
    for (; i < n; i++) {
        if (p[i] == sep) {
            if (k >= max)
                return SIZE_MAX;
            pos[k++] = (uint32_t)i;
        }
    }
    return k;
}

int
kz_match__read_zeek(struct kz_match__zeek *z, struct kz_match__line *ln, const char *p, size_t n)
{
    struct zctx c = {.ln = ln};
    char tmp[KZ_MATCH_VALUE_MAX];
    char set_sep;
    size_t nsep;
    bool esc = true;

    if (p[0] == '#')
        return header_line(z, p, n);
    if (!z->have_fields || n > UINT32_MAX)
        return -1;
    if (z->have_seps) {
        /* A '\r' the scan loop dropped from the end is no separator: the counts hold. */
        nsep = z->nsep;
        esc = z->esc;
        z->have_seps = false;
    } else {
        nsep = find_seps(p, n, z->sep, z->pos, z->ncols - 1);
        if (nsep == z->ncols - 1)
            for (size_t j = 0; j < z->nwsep; j++)
                z->wpos[1 + j] = z->pos[z->wsepn[j]];
    }
    if (nsep != z->ncols - 1)
        return -1;
    set_sep = z->set_sep;
    z->wpos[z->nwsep + 1] = (uint32_t)n;
    for (size_t w = 0; w < z->nwant; w++) {
        const struct kz_match__zcut *cut = &z->cut[w];
        size_t fs = (uint32_t)(z->wpos[cut->before] + 1), fe = z->wpos[cut->after];
        const char *f = p + fs, *name = cut->name;
        size_t fn = fe - fs;
        enum kz_match__field kind = (enum kz_match__field)cut->kind;

        if (fn <= 7 &&
            (fn == 0 || (fn == 1 && f[0] == '-') || (fn == 7 && memcmp(f, "(empty)", 7) == 0)))
            continue;
        const char *v = f;
        size_t vn = fn, room = n - fs; /* bytes of the line from v on, for vector parsing */
        if (esc && kind != KZ_F_URI && kind != KZ_F_URIHOST && memchr(f, '\\', fn)) {
            vn = zeek_unescape(f, fn, tmp, sizeof(tmp));
            v = tmp;
            room = vn;
        }
        /* The kinds of the common logs first, without the indirection of zvalue. */
        switch (kind) {
        case KZ_F_TS:
            ln->ts = v;
            ln->tsn = vn;
            break;
        case KZ_F_IP:
            if (vn < 16 && !ln->ix->nevals)
                ip_memo(&z->memo[w], ln, name, v, vn, room);
            else
                kz_match__check_ip_in(ln, name, v, vn, room);
            break;
        case KZ_F_DOMAIN:
            kz_match__check_domain(ln, name, v, vn);
            break;
        case KZ_F_ANSWERS:
        case KZ_F_EMAILS:
            for (const char *s = v, *ve = v + vn; s < ve;) {
                const char *x = find_byte(s, (size_t)(ve - s), room - (size_t)(s - v), set_sep);
                const char *xe = x ? x : ve;
                if (kind == KZ_F_ANSWERS)
                    kz_match__check_host_in(ln, name, s, (size_t)(xe - s), room - (size_t)(s - v));
                else
                    zvalue(&c, kind, name, s, (size_t)(xe - s));
                s = x ? x + 1 : ve;
            }
            break;
        default:
            zvalue(&c, kind, name, v, vn);
            break;
        }
    }
    if (c.host && c.uri)
        kz_match__check_url(ln, "uri", c.host, c.hostn, c.uri, c.urin);
    return 1;
}

/* ---- JSON ---- */

struct zjson {
    struct zctx c;
    bool slow;
    char hostbuf[1024], uribuf[KZ_MATCH_VALUE_MAX], tmp[KZ_MATCH_VALUE_MAX];
};

static void
on_zjson(void *arg, const struct kz_match__jkey *keys, size_t depth, const char *v, size_t vn,
         int type, bool esc)
{
    struct zjson *zj = arg;
    enum kz_match__field f;
    char *buf;
    size_t buflen;
    char name[64];

    if (depth != 1)
        return;
    f = zeek_field(keys[0].p, keys[0].n);
    if (f == KZ_F_NONE || (type != 's' && f != KZ_F_TS))
        return;
    if (f == KZ_F_URIHOST) {
        buf = zj->hostbuf;
        buflen = sizeof(zj->hostbuf);
    } else if (f == KZ_F_URI) {
        buf = zj->uribuf;
        buflen = sizeof(zj->uribuf);
    } else {
        buf = zj->tmp;
        buflen = sizeof(zj->tmp);
    }
    if (esc && !zj->slow) {
        vn = kz_match__json_unescape(v, vn, buf, buflen);
        if (vn == SIZE_MAX)
            return;
        v = buf;
    } else if (zj->slow && f != KZ_F_TS) {
        if (vn > buflen)
            return;
        memcpy(buf, v, vn);
        v = buf;
    }
    if (f == KZ_F_TS && (zj->slow || esc)) {
        kz_match__line_set_ts_copy(zj->c.ln, v, vn);
        return;
    }
    /* The field name as a static string for --explain. */
    for (size_t i = 0; i < sizeof(zeek_fields) / sizeof(zeek_fields[0]); i++) {
        if (strlen(zeek_fields[i].name) == keys[0].n &&
            memcmp(zeek_fields[i].name, keys[0].p, keys[0].n) == 0) {
            zvalue(&zj->c, f, zeek_fields[i].name, v, vn);
            return;
        }
    }
    (void)name;
}

bool
kz_match__read_zeek_json(struct kz_match__line *ln, const char *p, size_t n)
{
    struct zjson zj;

    memset(&zj.c, 0, sizeof(zj.c));
    zj.c.ln = ln;
    zj.slow = false;
    if (!kz_match__json_walk(p, n, on_zjson, &zj)) {
        kz_match__line_begin(ln);
        ln->matches = 0;
        memset(&zj.c, 0, sizeof(zj.c));
        zj.c.ln = ln;
        zj.slow = true;
        if (!kz_match__json_walk_slow(p, n, on_zjson, &zj)) {
            kz_match__line_begin(ln);
            ln->matches = 0;
            return false;
        }
    }
    if (zj.c.host && zj.c.uri)
        kz_match__check_url(ln, "uri", zj.c.host, zj.c.hostn, zj.c.uri, zj.c.urin);
    return true;
}
