/*
 * CSV with a header line (RFC 4180 quoting, one record a line). Columns are mapped to what
 * they hold by --csv-map ("src=ip,qname=domain,...") or, without it, by common names.
 */
#include "match/match_int.h"

#include <stdlib.h>

#include "base/banned.h"

struct cname {
    const char *name;
    enum kz_match__field f;
};

/* Kinds a --csv-map entry may name. */
static const struct cname map_kinds[] = {
    {"ip", KZ_F_IP},     {"domain", KZ_F_DOMAIN}, {"host", KZ_F_HOST},   {"url", KZ_F_URL},
    {"uri", KZ_F_URI},   {"urihost", KZ_F_URIHOST}, {"hash", KZ_F_HASH}, {"email", KZ_F_EMAIL},
    {"ts", KZ_F_TS},     {"time", KZ_F_TS},       {"none", KZ_F_NONE},
};

/* Header names recognised without a map (compared case-insensitively). */
static const struct cname auto_names[] = {
    {"ip", KZ_F_IP},          {"src", KZ_F_IP},           {"dst", KZ_F_IP},
    {"src_ip", KZ_F_IP},      {"dst_ip", KZ_F_IP},        {"dest_ip", KZ_F_IP},
    {"source_ip", KZ_F_IP},   {"destination_ip", KZ_F_IP}, {"client_ip", KZ_F_IP},
    {"server_ip", KZ_F_IP},   {"srcaddr", KZ_F_IP},       {"dstaddr", KZ_F_IP},
    {"id.orig_h", KZ_F_IP},   {"id.resp_h", KZ_F_IP},     {"domain", KZ_F_DOMAIN},
    {"query", KZ_F_DOMAIN},   {"qname", KZ_F_DOMAIN},     {"hostname", KZ_F_DOMAIN},
    {"sni", KZ_F_DOMAIN},     {"server_name", KZ_F_DOMAIN}, {"fqdn", KZ_F_DOMAIN},
    {"answer", KZ_F_HOST},    {"host", KZ_F_URIHOST},     {"uri", KZ_F_URI},
    {"path", KZ_F_URI},       {"url", KZ_F_URL},          {"md5", KZ_F_HASH},
    {"sha1", KZ_F_HASH},      {"sha256", KZ_F_HASH},      {"sha512", KZ_F_HASH},
    {"hash", KZ_F_HASH},      {"email", KZ_F_EMAIL},      {"from", KZ_F_EMAIL},
    {"to", KZ_F_EMAIL},       {"sender", KZ_F_EMAIL},     {"recipient", KZ_F_EMAIL},
    {"ts", KZ_F_TS},          {"time", KZ_F_TS},          {"timestamp", KZ_F_TS},
};

static bool
name_eq(const char *a, const char *b, size_t bn)
{
    size_t an = strlen(a);
    if (an != bn)
        return false;
    for (size_t i = 0; i < an; i++) {
        char c = b[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c | 0x20);
        if (a[i] != c)
            return false;
    }
    return true;
}

void
kz_match__csv_release(struct kz_match__csv *c)
{
    free(c->cols);
    free(c->names);
    free(c->names_mem);
    c->cols = NULL;
    c->names = NULL;
    c->names_mem = NULL;
    c->ncols = 0;
    c->have_header = false;
}

/* Splits one record; calls back for each field with quotes removed. false when malformed. */
typedef void (*field_fn)(void *arg, size_t col, const char *v, size_t n);

static bool
split(const char *p, size_t n, char *tmp, size_t tmplen, field_fn fn, void *arg, size_t *ncols)
{
    size_t i = 0, col = 0;

    for (;;) {
        if (i < n && p[i] == '"') {
            size_t o = 0;
            i++;
            for (;;) {
                if (i >= n)
                    return false; /* unterminated quote */
                if (p[i] == '"') {
                    if (i + 1 < n && p[i + 1] == '"') {
                        if (o < tmplen)
                            tmp[o++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                if (o < tmplen)
                    tmp[o++] = p[i];
                i++;
            }
            if (i < n && p[i] != ',')
                return false;
            fn(arg, col, tmp, o);
        } else {
            const char *c = memchr(p + i, ',', n - i);
            size_t e = c ? (size_t)(c - p) : n;
            fn(arg, col, p + i, e - i);
            i = e;
        }
        col++;
        if (i >= n)
            break;
        i++; /* the comma */
        if (i == n) {
            fn(arg, col, p + i, 0);
            col++;
            break;
        }
    }
    *ncols = col;
    return true;
}

static enum kz_match__field
map_lookup(const char *map, const char *name, size_t nn)
{
    /* "name=kind,name=kind" */
    const char *p = map;
    while (p && *p) {
        const char *eq = strchr(p, '=');
        const char *comma = strchr(p, ',');
        if (!eq || (comma && comma < eq))
            break;
        const char *ke = comma ? comma : p + strlen(p);
        if ((size_t)(eq - p) == nn && memcmp(p, name, nn) == 0) {
            for (size_t i = 0; i < sizeof(map_kinds) / sizeof(map_kinds[0]); i++)
                if (name_eq(map_kinds[i].name, eq + 1, (size_t)(ke - eq - 1)))
                    return map_kinds[i].f;
            return KZ_F_NONE;
        }
        p = comma ? comma + 1 : NULL;
    }
    return KZ_F_NONE;
}

struct hctx {
    struct kz_match__csv *c;
    size_t used;
};

static void
header_field(void *arg, size_t col, const char *v, size_t n)
{
    struct hctx *h = arg;
    struct kz_match__csv *c = h->c;
    enum kz_match__field f = KZ_F_NONE;

    while (n > 0 && (v[0] == ' '))
        v++, n--;
    while (n > 0 && (v[n - 1] == ' '))
        n--;
    memcpy(c->names_mem + h->used, v, n);
    c->names_mem[h->used + n] = '\0';
    c->names[col] = c->names_mem + h->used;
    h->used += n + 1;
    if (c->map) {
        f = map_lookup(c->map, v, n);
    } else {
        for (size_t i = 0; i < sizeof(auto_names) / sizeof(auto_names[0]); i++) {
            if (name_eq(auto_names[i].name, v, n)) {
                f = auto_names[i].f;
                break;
            }
        }
    }
    c->cols[col] = (uint8_t)f;
}

/* True when the header names at least one column we can match on. */
struct known {
    bool any;
};

static void
known_field(void *arg, size_t col, const char *v, size_t n)
{
    struct known *k = arg;
    (void)col;
    for (size_t i = 0; i < sizeof(auto_names) / sizeof(auto_names[0]); i++)
        if (auto_names[i].f != KZ_F_TS && name_eq(auto_names[i].name, v, n))
            k->any = true;
}

bool
kz_match__csv_header_known(const char *p, size_t n)
{
    char tmp[1024];
    size_t ncols;
    struct known k = {false};

    if (!split(p, n, tmp, sizeof(tmp), known_field, &k, &ncols))
        return false;
    return k.any && ncols >= 2;
}

struct rctx {
    struct kz_match__csv *c;
    struct kz_match__line *ln;
    const char *host, *uri;
    size_t hostn, urin;
    char hostbuf[1024], uribuf[KZ_MATCH_VALUE_MAX];
    bool bad;
};

static void
record_field(void *arg, size_t col, const char *v, size_t n)
{
    struct rctx *r = arg;
    struct kz_match__line *ln = r->ln;
    const char *name;
    enum kz_match__field f;

    if (col >= r->c->ncols) {
        r->bad = true;
        return;
    }
    name = r->c->names[col];
    while (n > 0 && v[0] == ' ')
        v++, n--;
    while (n > 0 && v[n - 1] == ' ')
        n--;
    if (n == 0)
        return;
    f = (enum kz_match__field)r->c->cols[col];
    if (kz_match__check_field(ln, f, name, v, n))
        return;
    switch (f) {
    case KZ_F_URIHOST:
        if (n <= sizeof(r->hostbuf)) {
            memcpy(r->hostbuf, v, n);
            r->host = r->hostbuf;
            r->hostn = n;
        }
        break;
    case KZ_F_URI:
        if (n <= sizeof(r->uribuf)) {
            memcpy(r->uribuf, v, n);
            r->uri = r->uribuf;
            r->urin = n;
        }
        break;
    case KZ_F_TS:
        kz_match__line_set_ts_copy(ln, v, n);
        break;
    default:
        break;
    }
}

int
kz_match__read_csv(struct kz_match__csv *c, struct kz_match__line *ln, const char *p, size_t n)
{
    char tmp[KZ_MATCH_VALUE_MAX];
    size_t ncols;
    struct rctx rs, *r = &rs;
    int ret = 1;

    if (!c->have_header) {
        size_t cols = 1;
        struct hctx h = {c, 0};
        for (size_t i = 0; i < n; i++)
            cols += p[i] == ',';
        if (cols > 4096)
            return -1;
        c->cols = kz_xcalloc(cols, 1);
        c->names = kz_xcalloc(cols, sizeof(*c->names));
        c->names_mem = kz_xmalloc(n + cols + 1);
        if (!split(p, n, tmp, sizeof(tmp), header_field, &h, &ncols)) {
            kz_match__csv_release(c);
            return -1;
        }
        c->ncols = ncols;
        c->have_header = true;
        return 0;
    }
    r->c = c;
    r->ln = ln;
    r->host = r->uri = NULL;
    r->hostn = r->urin = 0;
    r->bad = false;
    if (!split(p, n, tmp, sizeof(tmp), record_field, r, &ncols) || r->bad ||
        ncols != c->ncols) {
        kz_match__line_begin(ln);
        ln->matches = 0;
        ret = -1;
    } else if (r->host && r->uri) {
        kz_match__check_url(ln, "uri", r->host, r->hostn, r->uri, r->urin);
    }
    return ret;
}
