/*
 * The scan loop: splits a buffer into lines with memchr, hands each to the reader of the
 * format, and turns the hits of a line into counts, --explain lines and sightings. Nothing
 * here allocates per line.
 */
#include "match/match_int.h"
#include "match/lex.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

struct kz_match_scanner {
    /*
     * Every thread writes its scanner on every line: the pads keep those writes off the
     * cache lines of whatever the allocator put next to it (another thread's scanner).
     */
    char pad_head[64];
    const struct kz_match_index *ix;
    struct kz_match_scan_opts o;
    struct kz_match_stats st;
    struct kz_match__zeek zeek;
    struct kz_match__csv csv;
    struct kz_match__line ln;
    char pad_tail[64];
};

void
kz_match__line_begin(struct kz_match__line *ln)
{
    ln->nhits = 0;
    ln->scratch_n = 0;
    ln->ts = NULL;
    ln->tsn = 0;
    ln->ts_epoch = false;
    ln->nobs = 0;
    ln->obs_kinds = 0;
    ln->obsbuf_n = 0;
}

void
kz_match__line_set_ts_copy(struct kz_match__line *ln, const char *v, size_t n)
{
    if (n > sizeof(ln->tsbuf))
        n = sizeof(ln->tsbuf);
    memcpy(ln->tsbuf, v, n);
    ln->ts = ln->tsbuf;
    ln->tsn = n;
}

static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* "1521911720.865716" */
/* A fraction of a second at p[*i] (".981520", any number of digits) in microseconds. */
static int64_t
frac_us(const char *p, size_t n, size_t *i)
{
    int64_t us = 0;
    int fd = 0;

    if (*i >= n || p[*i] != '.')
        return 0;
    for ((*i)++; *i < n && p[*i] >= '0' && p[*i] <= '9'; (*i)++) {
        if (fd < 6) {
            us = us * 10 + (p[*i] - '0');
            fd++;
        }
    }
    while (fd++ < 6)
        us *= 10;
    return us;
}

static int64_t
parse_epoch(const char *p, size_t n)
{
    int64_t s = 0, us;
    size_t i = 0;

    if (n == 0 || n > 24)
        return INT64_MIN;
    for (; i < n && p[i] >= '0' && p[i] <= '9'; i++)
        s = s * 10 + (p[i] - '0');
    if (i == 0)
        return INT64_MIN;
    us = frac_us(p, n, &i);
    if (i != n)
        return INT64_MIN;
    return s * 1000000 + us;
}

/* "2010-01-04T17:29:26.981520+0000", "...Z", "...+00:00" */
static int64_t
parse_iso(const char *p, size_t n)
{
    unsigned y, mo, d, h, mi, s;
    int64_t us, off = 0;
    size_t i = 19;

    if (n < 19 || !kz_match__dec(p, 4, &y) || p[4] != '-' || !kz_match__dec(p + 5, 2, &mo) ||
        p[7] != '-' || !kz_match__dec(p + 8, 2, &d) || (p[10] != 'T' && p[10] != ' ') ||
        !kz_match__dec(p + 11, 2, &h) || p[13] != ':' || !kz_match__dec(p + 14, 2, &mi) ||
        p[16] != ':' || !kz_match__dec(p + 17, 2, &s))
        return INT64_MIN;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
        return INT64_MIN;
    us = frac_us(p, n, &i);
    if (i < n && (p[i] == '+' || p[i] == '-')) {
        unsigned oh, om;
        int sign = p[i] == '-' ? -1 : 1;
        i++;
        if (i + 2 > n || !kz_match__dec(p + i, 2, &oh))
            return INT64_MIN;
        i += 2;
        if (i < n && p[i] == ':')
            i++;
        if (i + 2 > n || !kz_match__dec(p + i, 2, &om))
            return INT64_MIN;
        i += 2;
        off = sign * (int64_t)(oh * 3600 + om * 60);
    } else if (i < n && p[i] == 'Z') {
        i++;
    }
    int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - off;
    return t * 1000000 + us;
}

int64_t
kz_match__line_time(const struct kz_match__line *ln)
{
    if (!ln->ts || ln->tsn == 0)
        return INT64_MIN;
    if (ln->tsn >= 19 && ln->ts[4] == '-')
        return parse_iso(ln->ts, ln->tsn);
    return parse_epoch(ln->ts, ln->tsn);
}

void
kz_match__emit_ind(struct kz_match__line *ln, uint32_t ind, unsigned kind, const char *field,
                   const char *val, size_t valn)
{
    const struct kz_match__ind *d = &ln->ix->inds[ind];

    if (d->window != KZ_MATCH_NO_WINDOW) {
        const struct kz_match_validity *w = &ln->ix->windows[d->window];
        int64_t t = kz_match__line_time(ln);
        if (t != INT64_MIN && (t < w->valid_from || t >= w->valid_until))
            return;
    }
    for (size_t i = 0; i < ln->nhits; i++)
        if (ln->hits[i].ind == ind)
            return;
    ln->matches++;
    if (ln->nhits < KZ_MATCH_LINE_HITS) {
        struct kz_match__hit *h = &ln->hits[ln->nhits++];
        size_t room = sizeof(ln->scratch) - ln->scratch_n;
        if (valn > room)
            valn = room;
        memcpy(ln->scratch + ln->scratch_n, val, valn);
        h->ind = ind;
        h->kind = (uint8_t)kind;
        h->field = field;
        h->val = ln->scratch + ln->scratch_n;
        h->valn = valn;
        ln->scratch_n += valn;
    }
}

void
kz_match__emit(struct kz_match__line *ln, uint32_t k, const char *field, const char *val,
               size_t valn)
{
    ln->found++;
    for (;;) {
        const struct kz_match__key *key = &ln->ix->keys[k];
        kz_match__emit_ind(ln, key->ind, key->kind, field, val, valn);
        if (key->next == UINT32_MAX)
            break;
        k = key->next;
    }
}

kz_err
kz_match_scanner_new(const struct kz_match_index *ix, const struct kz_match_scan_opts *o,
                     struct kz_match_scanner **out)
{
    struct kz_match_scanner *s;

    if (!ix->finished || o->format == KZ_FMT_AUTO)
        return KZ_ERR_INVALID;
    s = kz_xcalloc(1, sizeof(*s));
    s->ix = ix;
    s->o = *o;
    s->ln.ix = ix;
    s->ln.window_seconds = o->window_seconds > 0 ? o->window_seconds : KZ_MATCH_WINDOW_SECONDS;
    s->ln.window_events = o->window_events ? o->window_events : KZ_MATCH_WINDOW_EVENTS;
    s->csv.map = o->csv_map;
    *out = s;
    return KZ_OK;
}

void
kz_match_scanner_reset(struct kz_match_scanner *s)
{
    const char *map = s->csv.map;

    kz_match__zeek_release(&s->zeek);
    kz_match__csv_release(&s->csv);
    s->csv.map = map;
}

void
kz_match_scanner_free(struct kz_match_scanner *s)
{
    if (!s)
        return;
    kz_match__zeek_release(&s->zeek);
    kz_match__csv_release(&s->csv);
    kz_match__seq_free(s->ln.seq);
    free(s);
}

const struct kz_match_stats *
kz_match_scanner_stats(const struct kz_match_scanner *s)
{
    return &s->st;
}

void
kz_match_stats_add(struct kz_match_stats *to, const struct kz_match_stats *from)
{
    to->lines += from->lines;
    to->hit_lines += from->hit_lines;
    to->matches += from->matches;
    to->bytes += from->bytes;
    for (size_t i = 0; i < from->nbad && to->nbad < KZ_MATCH_BAD_KEEP; i++)
        to->bad_at[to->nbad++] = from->bad_at[i];
    to->bad_lines += from->bad_lines;
    to->window_dropped += from->window_dropped;
}

static void
explain(struct kz_match_scanner *s, const char *line, size_t n, uint64_t lineno)
{
    char id[300];

    for (size_t i = 0; i < s->ln.nhits; i++) {
        const struct kz_match__hit *h = &s->ln.hits[i];
        kz_match_index_id(s->ix, h->ind, id, sizeof(id));
        fprintf(s->o.explain, "%s:%llu: %s %s '%.*s' matched %s\n  %.*s\n",
                s->o.source ? s->o.source : "-", (unsigned long long)lineno,
                h->field == kz_match__pattern_field ? "pattern" : kz_match_kind_name(h->kind),
                h->field, (int)h->valn, h->val, id,
                (int)(n > 2000 ? 2000 : n), line);
    }
}

static void
one_line(struct kz_match_scanner *s, const char *p, size_t n, uint64_t lineno)
{
    struct kz_match__line *ln = &s->ln;
    int r;

    if (n && p[n - 1] == '\r')
        n--;
    if (n == 0)
        return;
    kz_match__line_begin(ln);
    ln->matches = 0;
    switch (s->o.format) {
    case KZ_FMT_EVE:
        r = kz_match__read_eve(ln, p, n) ? 1 : -1;
        break;
    case KZ_FMT_ZEEK_JSON:
        r = kz_match__read_zeek_json(ln, p, n) ? 1 : -1;
        break;
    case KZ_FMT_ZEEK:
        r = kz_match__read_zeek(&s->zeek, ln, p, n);
        break;
    case KZ_FMT_CSV:
        r = kz_match__read_csv(&s->csv, ln, p, n);
        break;
    default:
        r = kz_match__read_text(ln, p, n) ? 1 : -1;
        break;
    }
    if (r == 0)
        return;
    s->st.lines++;
    if (r < 0) {
        s->st.bad_lines++;
        if (s->st.nbad < KZ_MATCH_BAD_KEEP)
            s->st.bad_at[s->st.nbad++] = lineno;
        return;
    }
    if (ln->nobs)
        kz_match__eval_line(ln);
    if (ln->matches == 0)
        return;
    s->st.hit_lines++;
    s->st.matches += ln->matches;
    if (s->o.explain)
        explain(s, p, n, lineno);
    if (s->o.sightings) {
        int64_t t = kz_match__line_time(ln);
        for (size_t i = 0; i < ln->nhits; i++) {
            const struct kz_match__hit *h = &ln->hits[i];
            kz_match_sightings_add(s->o.sightings, h->ind, t, (enum kz_match_kind)h->kind,
                                   h->field, kz_str_make(h->val, h->valn));
        }
    }
}

size_t
kz_match_header_len(enum kz_match_format f, const char *p, size_t n)
{
    size_t i = 0;

    if (f == KZ_FMT_CSV) {
        const char *nl = memchr(p, '\n', n);
        return nl ? (size_t)(nl - p) + 1 : n;
    }
    if (f != KZ_FMT_ZEEK)
        return 0;
    while (i < n && p[i] == '#') {
        const char *nl = memchr(p + i, '\n', n - i);
        i = nl ? (size_t)(nl - p) + 1 : n;
    }
    return i;
}

void
kz_match_scanner_prime(struct kz_match_scanner *s, const char *p, size_t n)
{
    struct kz_match_stats keep = s->st;

    kz_match_scanner_feed(s, p, n, 1);
    s->st = keep;
}

uint64_t
kz_match_scanner_feed(struct kz_match_scanner *s, const char *p, size_t n, uint64_t first_line)
{
    const char *end = p + n;
    uint64_t lineno = first_line;

    s->st.bytes += n;
    if (s->o.format == KZ_FMT_ZEEK) {
        /* One pass finds the line's end and its separators. */
        while (p < end) {
            size_t len = kz_match__zeek_split(&s->zeek, p, (size_t)(end - p));
            one_line(s, p, len, lineno++);
            p += len + (p + len < end);
        }
        s->st.window_dropped = s->ln.window_dropped;
        return lineno - first_line;
    }
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        one_line(s, p, (size_t)(le - p), lineno++);
        p = nl ? nl + 1 : end;
    }
    s->st.window_dropped = s->ln.window_dropped;
    return lineno - first_line;
}
