/*
 * Plain text: every line is scanned for things that look like addresses, domains, URLs,
 * hashes and e-mail addresses, split at white space, quotes, brackets and separators.
 */
#include "match/match_int.h"
#include "match/lex.h"

#include "base/banned.h"

static const uint8_t delim_tab[256] = {
    [' '] = 1, ['\t'] = 1, ['\r'] = 1, ['\n'] = 1, ['"'] = 1, ['\''] = 1, ['<'] = 1, ['>'] = 1,
    [','] = 1, [';'] = 1, ['('] = 1, [')'] = 1, ['['] = 1, [']'] = 1, ['{'] = 1, ['}'] = 1,
    ['|'] = 1, ['`'] = 1, ['\\'] = 1, ['\0'] = 1,
};

static bool
all_hex(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!kz_match__is_hex(p[i]))
            return false;
    return true;
}

static void
token(struct kz_match__line *ln, const char *t, size_t n)
{
    const char *c;

    while (n > 0 && (t[n - 1] == '.' || t[n - 1] == ':' || t[n - 1] == '!' || t[n - 1] == '?'))
        n--;
    if (n < 3)
        return;
    if (n > 7 && (c = memchr(t, ':', n < 12 ? n : 12)) && (size_t)(c - t) + 2 < n &&
        c[1] == '/' && c[2] == '/') {
        const char *h = c + 3, *he = h;
        kz_match__check_url_full(ln, "text.url", t, n);
        while (he < t + n && *he != '/' && *he != '?' && *he != '#' && *he != ':')
            he++;
        if (he > h)
            kz_match__check_host(ln, "text.url.host", h, (size_t)(he - h));
        return;
    }
    if (memchr(t, '@', n)) {
        kz_match__check_email(ln, "text.email", t, n);
        return;
    }
    if ((n == 32 || n == 40 || n == 64 || n == 128) && all_hex(t, n)) {
        kz_match__check_hash(ln, "text.hash", t, n);
        return;
    }
    if (t[0] >= '0' && t[0] <= '9') {
        uint8_t a[16];
        unsigned pl;
        size_t m = n;
        c = memchr(t, ':', n);
        if (c && !memchr(c + 1, ':', (size_t)(t + n - c - 1)))
            m = (size_t)(c - t); /* "203.0.113.5:443" */
        if (kz_match__parse_ipv4(t, m, a, &pl, false)) {
            kz_match__check_ip(ln, "text.ip", t, m);
            return;
        }
    }
    if (memchr(t, ':', n)) {
        uint8_t a[16];
        unsigned pl;
        if (kz_match__parse_ipv6(t, n, a, &pl, false))
            kz_match__check_ip(ln, "text.ip", t, n);
        return;
    }
    if (memchr(t, '/', n)) {
        /* "example.com/path": a URL without its scheme. */
        const char *sl = memchr(t, '/', n);
        if (kz_match__is_domain(t, (size_t)(sl - t))) {
            kz_match__check_url_full(ln, "text.url", t, n);
            kz_match__check_domain(ln, "text.domain", t, (size_t)(sl - t));
        }
        return;
    }
    if (memchr(t, '.', n) && kz_match__is_domain(t, n))
        kz_match__check_domain(ln, "text.domain", t, n);
}

bool
kz_match__read_text(struct kz_match__line *ln, const char *p, size_t n)
{
    size_t i = 0;

    while (i < n) {
        while (i < n && delim_tab[(unsigned char)p[i]])
            i++;
        size_t s = i;
        while (i < n && !delim_tab[(unsigned char)p[i]])
            i++;
        if (i > s)
            token(ln, p + s, i - s);
    }
    return true;
}
