/*
 * Suricata EVE JSON: one event a line. Addresses in src_ip/dest_ip; names in dns (queries,
 * answers, grouped), http.hostname and tls.sni; URLs from http.hostname + http.url; hashes
 * in fileinfo; mail addresses in smtp and email. Every event type is read the same way, so
 * an alert carrying http or dns metadata is matched on it too.
 */
#include "match/match_int.h"

#include "base/banned.h"

struct eve {
    struct kz_match__line *ln;
    bool slow; /* values live in jansson's memory: copy what outlives the walk */
    const char *host, *url;
    size_t hostn, urln;
    char hostbuf[1024], urlbuf[KZ_MATCH_VALUE_MAX];
    char tmp[KZ_MATCH_VALUE_MAX];
};

#define KEY_IS(k, lit) ((k).n == sizeof(lit) - 1 && memcmp((k).p, lit, sizeof(lit) - 1) == 0)

/* The value unescaped if it needs to be; NULL when it cannot be. */
static const char *
plain(struct eve *e, const char *v, size_t *vn, bool esc, char *buf, size_t buflen)
{
    size_t n;

    if (e->slow) {
        if (*vn > buflen)
            return NULL;
        memcpy(buf, v, *vn);
        return buf;
    }
    if (!esc)
        return v;
    n = kz_match__json_unescape(v, *vn, buf, buflen);
    if (n == SIZE_MAX)
        return NULL;
    *vn = n;
    return buf;
}

static void
on_value(void *arg, const struct kz_match__jkey *keys, size_t depth, const char *v, size_t vn,
         int type, bool esc)
{
    struct eve *e = arg;
    struct kz_match__line *ln = e->ln;
    const struct kz_match__jkey *top = &keys[0], *leaf = &keys[depth - 1];

    if (depth == 0 || type != 's')
        return;
    if (depth == 1) {
        switch (top->n) {
        case 6:
            if (KEY_IS(*top, "src_ip"))
                kz_match__check_ip(ln, "src_ip", v, vn);
            break;
        case 7:
            if (KEY_IS(*top, "dest_ip"))
                kz_match__check_ip(ln, "dest_ip", v, vn);
            break;
        case 9:
            if (KEY_IS(*top, "timestamp")) {
                if (e->slow) {
                    kz_match__line_set_ts_copy(ln, v, vn);
                } else {
                    ln->ts = v;
                    ln->tsn = vn;
                }
            }
            break;
        default:
            break;
        }
        return;
    }
    switch (top->n) {
    case 3:
        if (KEY_IS(*top, "dns")) {
            if (KEY_IS(*leaf, "rrname")) {
                if ((v = plain(e, v, &vn, esc, e->tmp, sizeof(e->tmp))))
                    kz_match__check_domain(ln, "dns.rrname", v, vn);
            } else if (KEY_IS(*leaf, "rdata") || (depth >= 2 && KEY_IS(keys[1], "grouped"))) {
                if ((v = plain(e, v, &vn, esc, e->tmp, sizeof(e->tmp))))
                    kz_match__check_host(ln, "dns.rdata", v, vn);
            }
        } else if (KEY_IS(*top, "tls")) {
            if (KEY_IS(*leaf, "sni") && (v = plain(e, v, &vn, esc, e->tmp, sizeof(e->tmp))))
                kz_match__check_domain(ln, "tls.sni", v, vn);
        }
        break;
    case 4:
        if (KEY_IS(*top, "http") && depth == 2) {
            if (KEY_IS(*leaf, "hostname")) {
                if ((v = plain(e, v, &vn, esc, e->hostbuf, sizeof(e->hostbuf)))) {
                    kz_match__check_host(ln, "http.hostname", v, vn);
                    e->host = v;
                    e->hostn = vn;
                }
            } else if (KEY_IS(*leaf, "url")) {
                if ((v = plain(e, v, &vn, esc, e->urlbuf, sizeof(e->urlbuf)))) {
                    e->url = v;
                    e->urln = vn;
                }
            }
        } else if (KEY_IS(*top, "smtp")) {
            if ((KEY_IS(*leaf, "mail_from") || KEY_IS(*leaf, "rcpt_to")) &&
                (v = plain(e, v, &vn, esc, e->tmp, sizeof(e->tmp))))
                kz_match__check_email(ln, "smtp", v, vn);
        }
        break;
    case 5:
        if (KEY_IS(*top, "email")) {
            if ((KEY_IS(*leaf, "from") || KEY_IS(*leaf, "to") || KEY_IS(*leaf, "cc")) &&
                (v = plain(e, v, &vn, esc, e->tmp, sizeof(e->tmp))))
                kz_match__check_email(ln, "email", v, vn);
        }
        break;
    case 8:
        if (KEY_IS(*top, "fileinfo") && depth == 2) {
            if (KEY_IS(*leaf, "md5") || KEY_IS(*leaf, "sha1") || KEY_IS(*leaf, "sha256") ||
                KEY_IS(*leaf, "sha512"))
                kz_match__check_hash(ln, "fileinfo.hash", v, vn);
        }
        break;
    default:
        break;
    }
}

static void
finish(struct eve *e)
{
    if (e->host && e->url)
        kz_match__check_url(e->ln, "http.url", e->host, e->hostn, e->url, e->urln);
}

bool
kz_match__read_eve(struct kz_match__line *ln, const char *p, size_t n)
{
    struct eve e;

    e.ln = ln;
    e.slow = false;
    e.host = e.url = NULL;
    e.hostn = e.urln = 0;
    if (kz_match__json_walk(p, n, on_value, &e)) {
        finish(&e);
        return true;
    }
    /* What the fast walk cannot take, jansson decides; hits so far are forgotten. */
    kz_match__line_begin(ln);
    ln->matches = 0;
    e.host = e.url = NULL;
    e.slow = true;
    if (!kz_match__json_walk_slow(p, n, on_value, &e)) {
        kz_match__line_begin(ln);
        ln->matches = 0;
        return false;
    }
    finish(&e);
    return true;
}
