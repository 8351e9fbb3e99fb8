/* Operators of the pattern language that need more than a comparison: LIKE and IP networks. */
#include "pattern/pattern_int.h"

#include <arpa/inet.h>
#include <string.h>

#include "base/banned.h"

/* Bytes of the UTF-8 character that starts with c, clamped to what is left. */
static size_t
char_len(const char *s, size_t left)
{
    unsigned char c = (unsigned char)s[0];
    size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;

    return n > left ? left : n;
}

bool
kz_pattern__like(const char *s, size_t sn, const char *pat, size_t pn)
{
    size_t si = 0, pi = 0;
    size_t star_p = SIZE_MAX, star_s = 0;

    /* Greedy matching that backtracks only to the last '%': no exponential cases. */
    while (si < sn) {
        if (pi < pn && pat[pi] == '%') {
            star_p = pi++;
            star_s = si;
            continue;
        }
        if (pi < pn && pat[pi] == '_') {
            si += char_len(s + si, sn - si);
            pi++;
            continue;
        }
        if (pi < pn && pat[pi] == s[si]) {
            pi++;
            si++;
            continue;
        }
        if (star_p == SIZE_MAX)
            return false;
        pi = star_p + 1;
        star_s += char_len(s + star_s, sn - star_s);
        si = star_s;
    }
    while (pi < pn && pat[pi] == '%')
        pi++;
    return pi == pn;
}

bool
kz_pattern__net_parse(const char *s, size_t n, struct kz_pat_net *out)
{
    char buf[64];
    size_t alen = n;
    unsigned prefix = 0, max;
    struct kz_pat_net net;
    const char *slash = memchr(s, '/', n);

    memset(&net, 0, sizeof(net));
    if (slash != NULL)
        alen = (size_t)(slash - s);
    if (alen == 0 || alen >= sizeof(buf))
        return false;
    memcpy(buf, s, alen);
    buf[alen] = '\0';
    if (inet_pton(AF_INET, buf, net.addr) == 1) {
        net.family = 4;
        max = 32;
    } else if (inet_pton(AF_INET6, buf, net.addr) == 1) {
        net.family = 6;
        max = 128;
    } else {
        return false;
    }
    if (slash != NULL) {
        size_t i = alen + 1;
        if (i == n || n - i > 3 || (s[i] == '0' && n - i > 1))
            return false;
        for (; i < n; i++) {
            if (s[i] < '0' || s[i] > '9')
                return false;
            prefix = prefix * 10 + (unsigned)(s[i] - '0');
        }
        if (prefix > max)
            return false;
    } else {
        prefix = max;
    }
    net.prefix = prefix;
    /* Host bits past the prefix do not matter; clear them so comparisons are plain. */
    for (unsigned bit = prefix; bit < max; bit++)
        net.addr[bit / 8] &= (unsigned char)~(0x80u >> (bit % 8));
    *out = net;
    return true;
}

bool
kz_pattern__net_within(const struct kz_pat_net *inner, const struct kz_pat_net *outer)
{
    unsigned full, rest;

    if (inner->family != outer->family || inner->prefix < outer->prefix)
        return false;
    full = outer->prefix / 8;
    rest = outer->prefix % 8;
    if (memcmp(inner->addr, outer->addr, full) != 0)
        return false;
    if (rest != 0) {
        unsigned char mask = (unsigned char)(0xFFu << (8 - rest));
        if ((inner->addr[full] & mask) != (outer->addr[full] & mask))
            return false;
    }
    return true;
}
