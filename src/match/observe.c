/*
 * The evaluator's side of a scan: indicators whose patterns the index cannot take (AND of
 * several objects, LIKE, MATCHES, qualifiers, ...) are decided by src/pattern's evaluator.
 * While a line is read, the values its reader looks up are noted; after the line they
 * become one STIX observed-data (the SCOs, and a network-traffic object joining the source
 * and destination addresses) and every such pattern is evaluated on it. A pattern that
 * needs several events (FOLLOWEDBY, AND of observations, REPEATS) is evaluated over a
 * window of recent events instead (sequence.c). Nothing of this runs when the index has no
 * such pattern.
 */
#include "match/match_int.h"

#include <jansson.h>
#include <stdlib.h>

#include "base/time.h"
#include "pattern/pattern.h"
#include "base/banned.h"

const char kz_match__pattern_field[] = "evaluator";

/*
 * The kinds of value whose objects a pattern names ("domain-name:value" names domains). A
 * pattern can only match an event holding at least one of them, so events without any are
 * not evaluated. Naming a type in a string literal only makes the set larger, never smaller.
 */
static uint32_t
kinds_named(const char *text)
{
    static const struct {
        const char *type;
        uint32_t kinds;
    } types[] = {
        {"ipv4-addr:", 1u << KZ_MATCH_IPV4},
        {"ipv6-addr:", 1u << KZ_MATCH_IPV6},
        {"network-traffic:", 1u << KZ_MATCH_IPV4 | 1u << KZ_MATCH_IPV6},
        {"domain-name:", 1u << KZ_MATCH_DOMAIN},
        {"url:", 1u << KZ_MATCH_URL},
        {"file:", 1u << KZ_MATCH_MD5 | 1u << KZ_MATCH_SHA1 | 1u << KZ_MATCH_SHA256 |
                      1u << KZ_MATCH_SHA512},
        {"email-addr:", 1u << KZ_MATCH_EMAIL},
    };
    uint32_t k = 0;

    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (strstr(text, types[i].type))
            k |= types[i].kinds;
    return k;
}

size_t
kz_match_index_multi_event(const struct kz_match_index *ix)
{
    return ix->nmulti;
}

void
kz_match__add_eval(struct kz_match_index *ix, struct kz_pattern *p, const char *text,
                   uint32_t ind)
{
    if (ix->nevals == ix->evals_cap) {
        ix->evals_cap = ix->evals_cap ? ix->evals_cap * 2 : 16;
        ix->evals = kz_xrealloc(ix->evals, ix->evals_cap * sizeof(*ix->evals));
    }
    ix->evals[ix->nevals].p = p;
    ix->evals[ix->nevals].ind = ind;
    ix->evals[ix->nevals].kinds = kinds_named(text);
    ix->evals[ix->nevals].multi = kz_pattern_multi_event(p);
    ix->evals[ix->nevals].span = kz_pattern_span_seconds(p);
    ix->evals[ix->nevals].min_obs = kz_pattern_min_observations(p);
    ix->evals[ix->nevals].required = kz_pattern_required(p);
    ix->nmulti += ix->evals[ix->nevals].multi;
    ix->nevals++;
}

static char
role_of(const char *field)
{
    static const char *const src[] = {"src_ip", "id.orig_h"};
    static const char *const dst[] = {"dest_ip", "id.resp_h"};

    for (size_t i = 0; i < 2; i++) {
        if (strcmp(field, src[i]) == 0)
            return 's';
        if (strcmp(field, dst[i]) == 0)
            return 'd';
    }
    return 0;
}

void
kz_match__observe(struct kz_match__line *ln, enum kz_match_kind kind, const char *field,
                  const char *p, size_t n)
{
    struct kz_match__obs *o;

    if (ln->ix->nevals == 0 || ln->nobs == KZ_MATCH_LINE_OBS ||
        n > sizeof(ln->obsbuf) - ln->obsbuf_n || n > UINT16_MAX)
        return;
    o = &ln->obs[ln->nobs++];
    ln->obs_kinds |= 1u << kind;
    o->kind = (uint8_t)kind;
    o->role = role_of(field);
    o->len = (uint16_t)n;
    o->off = (uint32_t)ln->obsbuf_n;
    memcpy(ln->obsbuf + ln->obsbuf_n, p, n);
    ln->obsbuf_n += n;
}

/* The SCO of one observed value; NULL when the value is not valid UTF-8 (JSON needs it). */
static json_t *
sco_of(const struct kz_match__obs *o, const char *v)
{
    static const char *const types[KZ_MATCH_KIND_COUNT] = {
        [KZ_MATCH_IPV4] = "ipv4-addr", [KZ_MATCH_IPV6] = "ipv6-addr",
        [KZ_MATCH_DOMAIN] = "domain-name", [KZ_MATCH_URL] = "url",
        [KZ_MATCH_MD5] = "file", [KZ_MATCH_SHA1] = "file", [KZ_MATCH_SHA256] = "file",
        [KZ_MATCH_SHA512] = "file", [KZ_MATCH_EMAIL] = "email-addr",
    };
    static const char *const algs[KZ_MATCH_KIND_COUNT] = {
        [KZ_MATCH_MD5] = "MD5", [KZ_MATCH_SHA1] = "SHA-1", [KZ_MATCH_SHA256] = "SHA-256",
        [KZ_MATCH_SHA512] = "SHA-512",
    };
    json_t *val = json_stringn(v, o->len), *sco;

    if (!val || o->kind >= KZ_MATCH_KIND_COUNT || !types[o->kind]) {
        json_decref(val);
        return NULL;
    }
    sco = json_pack("{s:s}", "type", types[o->kind]);
    if (algs[o->kind])
        json_object_set_new(sco, "hashes", json_pack("{s:o}", algs[o->kind], val));
    else
        json_object_set_new(sco, "value", val);
    return sco;
}

void
kz_match__eval_line(struct kz_match__line *ln)
{
    const struct kz_match_index *ix = ln->ix;
    json_t *objects, *nt = NULL, *od, *obs;
    char key[16], when[KZ_TIME_TEXT_MAX];
    size_t nobj = 0, first = SIZE_MAX, want = 0;
    int64_t t;

    for (size_t i = 0; i < ix->nevals; i++)
        want += (ix->evals[i].kinds & ln->obs_kinds) != 0;
    if (want == 0)
        return;
    objects = json_object();
    t = kz_match__line_time(ln);
    for (size_t i = 0; i < ln->nobs; i++) {
        const struct kz_match__obs *o = &ln->obs[i];
        json_t *sco = sco_of(o, ln->obsbuf + o->off);
        if (!sco)
            continue;
        snprintf(key, sizeof(key), "%zu", nobj++);
        json_object_set_new(objects, key, sco);
        if (first == SIZE_MAX)
            first = i;
        if (o->role) {
            if (!nt)
                nt = json_pack("{s:s, s:[s]}", "type", "network-traffic", "protocols", "ip");
            json_object_set_new(nt, o->role == 's' ? "src_ref" : "dst_ref", json_string(key));
        }
    }
    if (nt) {
        snprintf(key, sizeof(key), "%zu", nobj++);
        json_object_set_new(objects, key, nt);
    }
    if (nobj == 0) {
        json_decref(objects);
        return;
    }
    /* Multi-event patterns need an order: a line without a time comes after the last. */
    if (ix->nmulti)
        t = kz_match__seq_fallback_time(ln, t);
    kz_time_format_us(t != INT64_MIN ? t : kz_time_now_us(), when);
    od = json_pack("{s:s, s:s, s:s, s:i, s:o}", "type", "observed-data", "first_observed", when,
                   "last_observed", when, "number_observed", 1, "objects", objects);
    obs = json_pack("[O]", od);
    for (size_t i = 0; obs && i < ix->nevals; i++) {
        bool matched = false;
        if (!(ix->evals[i].kinds & ln->obs_kinds))
            continue;
        if (ix->evals[i].multi)
            matched = kz_match__seq_event(ln, i, od, t);
        else if (kz_pattern_eval(ix->evals[i].p, obs, NULL, &matched) != KZ_OK)
            matched = false;
        if (matched) {
            const struct kz_match__obs *o = &ln->obs[first];
            kz_match__emit_ind(ln, ix->evals[i].ind, o->kind, kz_match__pattern_field,
                               ln->obsbuf + o->off, o->len);
        }
    }
    json_decref(obs);
    json_decref(od);
}
