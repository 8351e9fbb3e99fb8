/*
 * URLs: normalised to "host[:port]/path[?query]" so that an indicator and a log event's
 * host and path/query compare equal. The scheme and host are case-folded (the scheme is then
 * dropped, since a log's HTTP event rarely says it), default ports go, percent-encoded
 * unreserved characters are decoded and other escapes get upper-case hex; the fragment
 * never reaches a server, so it goes too.
 */
#include "match/match_int.h"
#include "match/lex.h"

#include "base/banned.h"

static bool
unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

/* Appends host[:port] with the default port of the scheme dropped. */
static size_t
put_host(const char *h, size_t hn, unsigned defport, char *out, size_t o, size_t outlen)
{
    size_t portat = hn;

    /* A port follows the last ':' unless that is inside an IPv6 literal. */
    for (size_t i = hn; i > 0; i--) {
        if (h[i - 1] == ']')
            break;
        if (h[i - 1] == ':') {
            portat = i - 1;
            break;
        }
    }
    if (portat < hn) {
        const char *pp = h + portat + 1;
        size_t pn = hn - portat - 1;
        unsigned port = 0;
        bool num = pn <= 5;
        for (size_t i = 0; i < pn && num; i++) {
            if (pp[i] < '0' || pp[i] > '9')
                num = false;
            else
                port = port * 10 + (unsigned)(pp[i] - '0');
        }
        if (pn == 0 || (num && (port == defport || (defport == 0 && (port == 80 || port == 443)))))
            hn = portat;
    }
    if (portat >= hn) {
        while (hn > 0 && h[hn - 1] == '.')
            hn--;
    }
    if (o + hn >= outlen)
        return SIZE_MAX;
    for (size_t i = 0; i < hn; i++) {
        char c = h[i];
        out[o++] = kz_match__lower(c);
    }
    return o;
}

/* Appends path and query with percent-encoding normalised; stops at '#'. */
static size_t
put_path(const char *p, size_t n, char *out, size_t o, size_t outlen)
{
    static const char hex[] = "0123456789ABCDEF";

    if (n == 0 || p[0] != '/') {
        if (o + 1 >= outlen)
            return SIZE_MAX;
        out[o++] = '/'; /* "host?q" becomes "host/?q" */
    }
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '#')
            break;
        if (o + 3 >= outlen)
            return SIZE_MAX;
        if (c == '%' && i + 2 < n && kz_match__hex2(p + i + 1) >= 0) {
            unsigned char v = (unsigned char)kz_match__hex2(p + i + 1);
            if (unreserved(v)) {
                out[o++] = (char)v;
            } else {
                out[o++] = '%';
                out[o++] = hex[v >> 4];
                out[o++] = hex[v & 15];
            }
            i += 2;
            continue;
        }
        out[o++] = c;
    }
    return o;
}

size_t
kz_match__norm_url_parts(const char *host, size_t hn, const char *uri, size_t un, char *out,
                         size_t outlen)
{
    size_t o;

    /* A proxy request carries the whole URL in the URI. */
    if (un > 7 && (uri[0] == 'h' || uri[0] == 'H') && memchr(uri, ':', un < 8 ? un : 8) &&
        un >= 3) {
        const char *c = memchr(uri, ':', un);
        if (c && (size_t)(c - uri) + 2 < un && c[1] == '/' && c[2] == '/')
            return kz_match__norm_url(uri, un, out, outlen);
    }
    if (hn == 0)
        return 0;
    o = put_host(host, hn, 0, out, 0, outlen);
    if (o == SIZE_MAX || o == 0)
        return 0;
    o = put_path(uri, un, out, o, outlen);
    if (o == SIZE_MAX)
        return 0;
    return o;
}

size_t
kz_match__norm_url(const char *p, size_t n, char *out, size_t outlen)
{
    unsigned defport = 0;
    size_t i = 0, hs, he, o;

    /* scheme "://" */
    for (size_t j = 0; j + 2 < n && j < 16; j++) {
        if (p[j] == ':' && p[j + 1] == '/' && p[j + 2] == '/') {
            if (j == 4 && (p[0] | 0x20) == 'h' && (p[1] | 0x20) == 't' && (p[2] | 0x20) == 't' &&
                (p[3] | 0x20) == 'p')
                defport = 80;
            else if (j == 5 && (p[0] | 0x20) == 'h' && (p[4] | 0x20) == 's')
                defport = 443;
            else if (j == 3 && (p[0] | 0x20) == 'f')
                defport = 21;
            else
                defport = 1; /* some other scheme: keep every port */
            i = j + 3;
            break;
        }
        if (!((p[j] >= 'a' && p[j] <= 'z') || (p[j] >= 'A' && p[j] <= 'Z') ||
              (j > 0 && ((p[j] >= '0' && p[j] <= '9') || p[j] == '+' || p[j] == '-' ||
                         p[j] == '.'))))
            break;
    }
    hs = i;
    he = hs;
    while (he < n && p[he] != '/' && p[he] != '?' && p[he] != '#')
        he++;
    /* Drop userinfo. */
    for (size_t j = he; j > hs; j--) {
        if (p[j - 1] == '@') {
            hs = j;
            break;
        }
    }
    if (he == hs)
        return 0;
    o = put_host(p + hs, he - hs, defport == 1 ? 65536 : defport, out, 0, outlen);
    if (o == SIZE_MAX || o == 0)
        return 0;
    o = put_path(p + he, n - he, out, o, outlen);
    return o == SIZE_MAX ? 0 : o;
}

void
kz_match__check_url(struct kz_match__line *ln, const char *field, const char *host, size_t hn,
                    const char *uri, size_t un)
{
    char u[KZ_MATCH_VALUE_MAX];
    size_t n;
    uint32_t k;

    if (ln->ix->nevals && hn + un + 8 <= sizeof(u)) {
        /* The evaluator sees the URL as a client would have written it. */
        memcpy(u, "http://", 7);
        memcpy(u + 7, host, hn);
        memcpy(u + 7 + hn, uri, un);
        kz_match__observe(ln, KZ_MATCH_URL, field, u, 7 + hn + un);
    }
    if (!(ln->ix->kinds_present & (1u << KZ_MATCH_URL)))
        return;
    n = kz_match__norm_url_parts(host, hn, uri, un, u, sizeof(u));
    if (n == 0)
        return;
    k = kz_match__find(ln->ix, KZ_MATCH_URL, 0, u, n);
    if (k != UINT32_MAX)
        kz_match__emit(ln, k, field, u, n);
}

void
kz_match__check_url_full(struct kz_match__line *ln, const char *field, const char *p, size_t n)
{
    char u[KZ_MATCH_VALUE_MAX];
    size_t un;
    uint32_t k;

    kz_match__note(ln, KZ_MATCH_URL, field, p, n);
    if (!(ln->ix->kinds_present & (1u << KZ_MATCH_URL)))
        return;
    un = kz_match__norm_url(p, n, u, sizeof(u));
    if (un == 0)
        return;
    k = kz_match__find(ln->ix, KZ_MATCH_URL, 0, u, un);
    if (k != UINT32_MAX)
        kz_match__emit(ln, k, field, p, n);
}
