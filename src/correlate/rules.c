/*
 * The rules file: one directive per line, '#' starts a comment.
 *
 *   rule multi_org min_orgs=2 window=24h severity=medium
 *   rule burst off
 *   ci_sectors electricity gas water
 *   watch indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f
 *   centre gsoc
 *
 * A rule line changes only the settings it names. The first ci_sectors line replaces the
 * default list, later ones add to it. Hand-written: the format is small and every error
 * must name its line.
 */
#include "correlate/correlate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "admin/admin.h"
#include "base/id.h"
#include "base/str.h"
#include "policy/policy.h"
#include "base/banned.h"

#define HOUR_US (3600LL * 1000000LL)
#define MAX_WINDOW_US (366LL * 24 * HOUR_US)
#define MAX_LINE 4096

static const char *const rule_names[KZ_RULE_COUNT] = {
    "multi_org", "multi_sector", "critical_infrastructure", "burst", "watchlist",
};
/* The threshold parameter of each rule; NULL when the rule has none. */
static const char *const threshold_names[KZ_RULE_COUNT] = {
    "min_orgs", "min_sectors", NULL, "min_count", NULL,
};
static const uint64_t threshold_min[KZ_RULE_COUNT] = {2, 2, 0, 1, 0};
static const char *const severity_names[] = {"low", "medium", "high", "critical"};

const char *
kz_rule_name(enum kz_rule_kind k)
{
    return (unsigned)k < KZ_RULE_COUNT ? rule_names[k] : "?";
}

kz_err
kz_rule_parse_name(const char *name, enum kz_rule_kind *out)
{
    for (int k = 0; k < KZ_RULE_COUNT; k++) {
        if (strcmp(name, rule_names[k]) == 0) {
            *out = (enum kz_rule_kind)k;
            return KZ_OK;
        }
    }
    return KZ_ERR_INVALID;
}

const char *
kz_severity_name(enum kz_severity s)
{
    return (unsigned)s <= KZ_SEVERITY_CRITICAL ? severity_names[s] : "?";
}

void
kz_rules_defaults(struct kz_rules *r)
{
    static const struct kz_rule defs[KZ_RULE_COUNT] = {
        [KZ_RULE_MULTI_ORG] = {true, 2, 24 * HOUR_US, KZ_SEVERITY_MEDIUM},
        [KZ_RULE_MULTI_SECTOR] = {true, 2, 24 * HOUR_US, KZ_SEVERITY_HIGH},
        [KZ_RULE_CRITICAL_INFRA] = {true, 0, 24 * HOUR_US, KZ_SEVERITY_HIGH},
        [KZ_RULE_BURST] = {true, 1000, 24 * HOUR_US, KZ_SEVERITY_MEDIUM},
        [KZ_RULE_WATCHLIST] = {true, 0, 24 * HOUR_US, KZ_SEVERITY_CRITICAL},
    };

    memset(r, 0, sizeof(*r));
    memcpy(r->rule, defs, sizeof(defs));
    kz_cstr_copy("gsoc", r->centre, sizeof(r->centre));
    /* The ten default sectors are the critical-infrastructure sectors of the strategy. */
    for (size_t i = 0; kz_default_sectors[i] && r->n_ci < KZ_RULES_MAX_SECTORS; i++)
        kz_cstr_copy(kz_default_sectors[i], r->ci_sectors[r->n_ci++], KZ_SLUG_MAX);
}

void
kz_rules_release(struct kz_rules *r)
{
    for (size_t i = 0; i < r->n_watch; i++)
        free(r->watch[i]);
    free(r->watch);
    r->watch = NULL;
    r->n_watch = 0;
}

/* "30s", "15m", "24h", "7d" → microseconds, 1 s .. 366 d. */
static kz_err
parse_duration(struct kz_str v, int64_t *out)
{
    uint64_t n, unit;

    if (v.n < 2)
        return KZ_ERR_INVALID;
    switch (v.p[v.n - 1]) {
    case 's': unit = 1000000ULL; break;
    case 'm': unit = 60ULL * 1000000ULL; break;
    case 'h': unit = (uint64_t)HOUR_US; break;
    case 'd': unit = 24ULL * (uint64_t)HOUR_US; break;
    default: return KZ_ERR_INVALID;
    }
    if (kz_str_to_u64(kz_str_make(v.p, v.n - 1), 1, (uint64_t)MAX_WINDOW_US / unit, &n) !=
        KZ_OK)
        return KZ_ERR_INVALID;
    *out = (int64_t)(n * unit);
    return KZ_OK;
}

/* Splits the next whitespace-separated word off *line. */
static bool
next_word(struct kz_str *line, struct kz_str *word)
{
    size_t i = 0, start;

    while (i < line->n && (line->p[i] == ' ' || line->p[i] == '\t' || line->p[i] == '\r'))
        i++;
    if (i == line->n)
        return false;
    start = i;
    while (i < line->n && line->p[i] != ' ' && line->p[i] != '\t' && line->p[i] != '\r')
        i++;
    *word = kz_str_make(line->p + start, i - start);
    *line = kz_str_make(line->p + i, line->n - i);
    return true;
}

static kz_err
parse_rule(struct kz_rules *r, struct kz_str rest, char *why, size_t whylen)
{
    struct kz_str w, key, val;
    char name[64];
    enum kz_rule_kind k;
    struct kz_rule *rule;

    if (!next_word(&rest, &w)) {
        snprintf(why, whylen, "'rule' needs a rule name");
        return KZ_ERR_INVALID;
    }
    if (kz_str_copy(w, name, sizeof(name)) != KZ_OK || kz_rule_parse_name(name, &k) != KZ_OK) {
        snprintf(why, whylen,
                 "unknown rule '%.*s' (multi_org, multi_sector, critical_infrastructure, burst, "
                 "watchlist)",
                 (int)(w.n > 64 ? 64 : w.n), w.p);
        return KZ_ERR_INVALID;
    }
    rule = &r->rule[k];
    while (next_word(&rest, &w)) {
        const char *eq = memchr(w.p, '=', w.n);
        if (kz_str_eq_cstr(w, "off") || kz_str_eq_cstr(w, "on")) {
            rule->enabled = kz_str_eq_cstr(w, "on");
            continue;
        }
        if (!eq) {
            snprintf(why, whylen, "expected 'name=value', 'on' or 'off', not '%.*s'",
                     (int)(w.n > 64 ? 64 : w.n), w.p);
            return KZ_ERR_INVALID;
        }
        key = kz_str_make(w.p, (size_t)(eq - w.p));
        val = kz_str_make(eq + 1, w.n - key.n - 1);
        if (kz_str_eq_cstr(key, "window")) {
            if (parse_duration(val, &rule->window_us) != KZ_OK) {
                snprintf(why, whylen,
                         "window must be a whole number with s, m, h or d, from 1s to 366d");
                return KZ_ERR_INVALID;
            }
        } else if (kz_str_eq_cstr(key, "severity")) {
            int s;
            for (s = 0; s <= KZ_SEVERITY_CRITICAL; s++)
                if (kz_str_eq_cstr(val, severity_names[s]))
                    break;
            if (s > KZ_SEVERITY_CRITICAL) {
                snprintf(why, whylen, "severity must be low, medium, high or critical");
                return KZ_ERR_INVALID;
            }
            rule->severity = (enum kz_severity)s;
        } else if (threshold_names[k] && kz_str_eq_cstr(key, threshold_names[k])) {
            if (kz_str_to_u64(val, threshold_min[k], 1000000000ULL, &rule->threshold) != KZ_OK) {
                snprintf(why, whylen, "%s must be an integer from %llu to 1000000000",
                         threshold_names[k], (unsigned long long)threshold_min[k]);
                return KZ_ERR_INVALID;
            }
        } else {
            snprintf(why, whylen, "rule %s has no setting '%.*s'%s%s%s", rule_names[k],
                     (int)(key.n > 64 ? 64 : key.n), key.p,
                     threshold_names[k] ? " (it has window, severity, " : " (it has window and severity)",
                     threshold_names[k] ? threshold_names[k] : "", threshold_names[k] ? ")" : "");
            return KZ_ERR_INVALID;
        }
    }
    return KZ_OK;
}

static kz_err
parse_sectors(struct kz_rules *r, struct kz_str rest, bool *replaced, char *why, size_t whylen)
{
    struct kz_str w;
    char name[KZ_SLUG_MAX];

    if (!*replaced) {
        r->n_ci = 0;
        *replaced = true;
    }
    while (next_word(&rest, &w)) {
        if (kz_str_copy(w, name, sizeof(name)) != KZ_OK || !kz_slug_valid(name)) {
            snprintf(why, whylen, "'%.*s' is not a sector name (a-z, 0-9, '-')",
                     (int)(w.n > 64 ? 64 : w.n), w.p);
            return KZ_ERR_INVALID;
        }
        if (kz_rules_is_ci(r, name))
            continue;
        if (r->n_ci == KZ_RULES_MAX_SECTORS) {
            snprintf(why, whylen, "more than %d critical-infrastructure sectors",
                     KZ_RULES_MAX_SECTORS);
            return KZ_ERR_LIMIT;
        }
        kz_cstr_copy(name, r->ci_sectors[r->n_ci++], KZ_SLUG_MAX);
    }
    return KZ_OK;
}

/* indicator--<uuid>, the only thing a watch line may name. */
static bool
indicator_id_valid(struct kz_str w)
{
    static const char prefix[] = "indicator--";

    return w.n == sizeof(prefix) - 1 + KZ_UUID_TEXT_LEN &&
           memcmp(w.p, prefix, sizeof(prefix) - 1) == 0 &&
           kz_uuid_valid(kz_str_make(w.p + sizeof(prefix) - 1, KZ_UUID_TEXT_LEN));
}

static kz_err
parse_watch(struct kz_rules *r, struct kz_str rest, size_t *cap, char *why, size_t whylen)
{
    struct kz_str w;

    while (next_word(&rest, &w)) {
        if (!indicator_id_valid(w)) {
            snprintf(why, whylen, "'%.*s' is not an indicator id (indicator--<uuid>)",
                     (int)(w.n > 80 ? 80 : w.n), w.p);
            return KZ_ERR_INVALID;
        }
        if (r->n_watch == KZ_RULES_MAX_WATCH) {
            snprintf(why, whylen, "more than %d watch-list entries", KZ_RULES_MAX_WATCH);
            return KZ_ERR_LIMIT;
        }
        if (r->n_watch == *cap) {
            *cap = *cap ? *cap * 2 : 64;
            r->watch = kz_xrealloc(r->watch, *cap * sizeof(*r->watch));
        }
        r->watch[r->n_watch++] = kz_xstrndup(w.p, w.n);
    }
    return KZ_OK;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

kz_err
kz_rules_parse(struct kz_rules *r, const char *text, size_t len, char *why, size_t whylen)
{
    size_t pos = 0, lineno = 0, cap = r->n_watch;
    bool sectors_replaced = false;
    char inner[400];
    kz_err err = KZ_OK;

    while (pos < len && err == KZ_OK) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        struct kz_str line = kz_str_make(text + pos, end - pos), w;
        const char *hash = memchr(line.p, '#', line.n);

        lineno++;
        pos = nl ? end + 1 : len;
        if (hash)
            line.n = (size_t)(hash - line.p);
        if (line.n > MAX_LINE) {
            snprintf(inner, sizeof(inner), "line longer than %d bytes", MAX_LINE);
            err = KZ_ERR_LIMIT;
        } else if (memchr(line.p, '\0', line.n)) {
            snprintf(inner, sizeof(inner), "NUL byte in the line");
            err = KZ_ERR_INVALID;
        } else if (!next_word(&line, &w)) {
            continue;
        } else if (kz_str_eq_cstr(w, "rule")) {
            err = parse_rule(r, line, inner, sizeof(inner));
        } else if (kz_str_eq_cstr(w, "ci_sectors")) {
            err = parse_sectors(r, line, &sectors_replaced, inner, sizeof(inner));
        } else if (kz_str_eq_cstr(w, "watch")) {
            err = parse_watch(r, line, &cap, inner, sizeof(inner));
        } else if (kz_str_eq_cstr(w, "centre")) {
            struct kz_str slug, extra;
            if (!next_word(&line, &slug) || next_word(&line, &extra) ||
                kz_str_copy(slug, r->centre, sizeof(r->centre)) != KZ_OK ||
                !kz_slug_valid(r->centre)) {
                snprintf(inner, sizeof(inner), "'centre' needs one organisation slug");
                err = KZ_ERR_INVALID;
            }
        } else {
            snprintf(inner, sizeof(inner),
                     "unknown directive '%.*s' (rule, ci_sectors, watch, centre)",
                     (int)(w.n > 64 ? 64 : w.n), w.p);
            err = KZ_ERR_INVALID;
        }
    }
    if (err != KZ_OK) {
        snprintf(why, whylen, "line %zu: %s", lineno, inner);
        kz_rules_release(r);
        kz_rules_defaults(r);
        return err;
    }
    if (r->n_watch > 1)
        qsort(r->watch, r->n_watch, sizeof(*r->watch), cmp_str);
    return KZ_OK;
}

kz_err
kz_rules_load(struct kz_rules *r, const char *path, char *why, size_t whylen)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL, inner[512];
    size_t len = 0, n;
    kz_err err = KZ_OK;

    if (!f) {
        snprintf(why, whylen, "%s: cannot open: %s", path, strerror(errno));
        return KZ_ERR_IO;
    }
    text = kz_xmalloc(KZ_RULES_MAX_BYTES + 1);
    while ((n = fread(text + len, 1, KZ_RULES_MAX_BYTES + 1 - len, f)) > 0)
        len += n;
    if (ferror(f)) {
        snprintf(why, whylen, "%s: cannot read", path);
        err = KZ_ERR_IO;
    } else if (len > KZ_RULES_MAX_BYTES) {
        snprintf(why, whylen, "%s: larger than %u bytes", path, KZ_RULES_MAX_BYTES);
        err = KZ_ERR_LIMIT;
    } else if ((err = kz_rules_parse(r, text, len, inner, sizeof(inner))) != KZ_OK) {
        /* "line N: reason" → "PATH:N: reason" */
        snprintf(why, whylen, "%s:%s", path, inner + 5);
    }
    fclose(f);
    free(text);
    return err;
}

bool
kz_rules_is_ci(const struct kz_rules *r, const char *sector)
{
    if (!sector || !sector[0])
        return false;
    for (size_t i = 0; i < r->n_ci; i++)
        if (strcmp(r->ci_sectors[i], sector) == 0)
            return true;
    return false;
}

bool
kz_rules_watched(const struct kz_rules *r, const char *indicator_id)
{
    return r->n_watch &&
           bsearch(&indicator_id, r->watch, r->n_watch, sizeof(*r->watch), cmp_str) != NULL;
}

bool
kz_rules_fire(const struct kz_rules *r, enum kz_rule_kind k, const struct kz_corr_window *w)
{
    const struct kz_rule *rule = &r->rule[k];

    if (!rule->enabled)
        return false;
    switch (k) {
    case KZ_RULE_MULTI_ORG: return w->n_orgs >= rule->threshold;
    case KZ_RULE_MULTI_SECTOR: return w->n_sectors >= rule->threshold;
    case KZ_RULE_CRITICAL_INFRA: return w->ci;
    case KZ_RULE_BURST: return w->count >= rule->threshold;
    case KZ_RULE_WATCHLIST: return w->watched;
    default: return false;
    }
}


/* Copies at most max bytes of s to p; returns the end. */
static char *
put_text(char *p, const char *s, size_t max)
{
    size_t n = strnlen(s, max);

    memcpy(p, s, n);
    return p + n;
}

/* v in decimal, as printf's %lld writes it (at most 20 bytes). */
static char *
put_decimal(char *p, int64_t v)
{
    char tmp[24];
    size_t n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *p++ = '-';
    while (n)
        *p++ = tmp[--n];
    return p;
}

void
kz_corr_alert_id(enum kz_rule_kind k, const char *indicator, int64_t window_us,
                 int64_t bucket_us, char out[KZ_STIX_ID_MAX])
{
    unsigned char h[16];
    char seed[KZ_STIX_ID_MAX + 128], *p = seed;

    /* "kizuna-alert:<rule>:<indicator>:<window>:<start>", built without printf: this runs
     * for every rule that holds on every correlated sighting. */
    p = put_text(p, "kizuna-alert:", 64);
    p = put_text(p, kz_rule_name(k), 32);
    p = put_text(p, ":", 1);
    p = put_text(p, indicator, KZ_STIX_ID_MAX - 1);
    p = put_text(p, ":", 1);
    p = put_decimal(p, window_us);
    p = put_text(p, ":", 1);
    p = put_decimal(p, bucket_us);
    crypto_generichash(h, sizeof(h), (const unsigned char *)seed, (size_t)(p - seed), NULL, 0);
    h[6] = (unsigned char)((h[6] & 0x0f) | 0x50); /* name-based, like UUIDv5 */
    h[8] = (unsigned char)((h[8] & 0x3f) | 0x80);
    memcpy(out, "alert--", 7);
    kz_uuid_format(h, out + 7);
}
