/*
 * Multi-event patterns (FOLLOWEDBY, AND of observation expressions, REPEATS): each scanner
 * keeps, per such pattern, a window of the recent events that satisfy at least one of the
 * pattern's observation expressions (no other event can take part in a match), bounded by
 * the pattern's WITHIN (or the scan's window seconds) in event time and by a count. A new
 * such event is evaluated with the window (unless it is the latest and can only begin a
 * match, see kz_pattern_completing); when the pattern matches, the line of that event
 * is the hit and the window is emptied: the events that completed a match are used up, so
 * the same events never fire twice.
 *
 * Why "matched with the new event" means "completed by the new event": the window never
 * holds a match on its own (it was emptied after the last one, or the last evaluation said
 * no), and a pattern's observation level is monotone (more events never undo a match), so a
 * match after adding the event includes it.
 */
#include "match/match_int.h"

#include <stdlib.h>

#include "base/time.h"
#include "pattern/pattern.h"
#include "base/banned.h"

struct win {
    json_t **ev; /* ring of observed-data, owned */
    int64_t *t;
    uint64_t *parts; /* kz_pattern_eval_part of each */
    size_t head, n, cap;
    int64_t tmax;      /* at least the latest time in the window (evicted ones may remain) */
    uint32_t nbit[64]; /* events of the window with each parts bit */
};

struct kz_match__seq {
    const struct kz_match_index *ix; /* the index the windows belong to */
    struct win *w;                   /* one per evaluator pattern (only multi ones used) */
    size_t nw;
    int64_t last_t;
};

void
kz_match__seq_free(struct kz_match__seq *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->nw; i++) {
        for (size_t k = 0; k < q->w[i].n; k++)
            json_decref(q->w[i].ev[(q->w[i].head + k) % q->w[i].cap]);
        free(q->w[i].ev);
        free(q->w[i].t);
        free(q->w[i].parts);
    }
    free(q->w);
    free(q);
}

static struct kz_match__seq *
seq_of(struct kz_match__line *ln)
{
    if (ln->seq && ln->seq->ix != ln->ix) {
        kz_match__seq_free(ln->seq);
        ln->seq = NULL;
    }
    if (!ln->seq) {
        ln->seq = kz_xcalloc(1, sizeof(*ln->seq));
        ln->seq->ix = ln->ix;
        ln->seq->nw = ln->ix->nevals;
        ln->seq->w = kz_xcalloc(ln->seq->nw ? ln->seq->nw : 1, sizeof(*ln->seq->w));
        ln->seq->last_t = kz_time_now_us();
    }
    return ln->seq;
}

int64_t
kz_match__seq_fallback_time(struct kz_match__line *ln, int64_t t_us)
{
    struct kz_match__seq *q = seq_of(ln);

    if (t_us == INT64_MIN)
        t_us = q->last_t + 1;
    q->last_t = t_us;
    return t_us;
}

static void
count_bits(struct win *w, uint64_t parts, int d)
{
    for (; parts; parts &= parts - 1)
        w->nbit[__builtin_ctzll(parts)] += (uint32_t)d;
}

/* The parts bits some event of the window has. */
static uint64_t
window_bits(const struct win *w)
{
    uint64_t m = 0;

    for (unsigned b = 0; b < 64; b++)
        m |= (uint64_t)(w->nbit[b] != 0) << b;
    return m;
}

static void
drop_head(struct win *w)
{
    count_bits(w, w->parts[w->head], -1);
    json_decref(w->ev[w->head]);
    w->head = (w->head + 1) % w->cap;
    w->n--;
}

static void
clear(struct win *w)
{
    while (w->n)
        drop_head(w);
    w->head = 0;
    w->tmax = INT64_MIN;
}

static void
push(struct kz_match__line *ln, struct win *w, json_t *od, int64_t t, uint64_t parts)
{
    if (w->n == w->cap && w->cap < ln->window_events) {
        size_t cap = w->cap ? w->cap * 2 : 16;
        json_t **ev;
        int64_t *ts;
        uint64_t *ps;
        if (cap > ln->window_events)
            cap = ln->window_events;
        ev = kz_xcalloc(cap, sizeof(*ev));
        ts = kz_xcalloc(cap, sizeof(*ts));
        ps = kz_xcalloc(cap, sizeof(*ps));
        for (size_t k = 0; k < w->n; k++) {
            ev[k] = w->ev[(w->head + k) % w->cap];
            ts[k] = w->t[(w->head + k) % w->cap];
            ps[k] = w->parts[(w->head + k) % w->cap];
        }
        free(w->ev);
        free(w->t);
        free(w->parts);
        w->ev = ev;
        w->t = ts;
        w->parts = ps;
        w->cap = cap;
        w->head = 0;
    }
    if (w->n == w->cap) {
        drop_head(w);
        ln->window_dropped++;
    }
    w->ev[(w->head + w->n) % w->cap] = json_incref(od);
    w->t[(w->head + w->n) % w->cap] = t;
    w->parts[(w->head + w->n) % w->cap] = parts;
    count_bits(w, parts, 1);
    w->n++;
    if (w->n == 1 || t > w->tmax)
        w->tmax = t;
}

bool
kz_match__seq_event(struct kz_match__line *ln, size_t i, json_t *od, int64_t t)
{
    const struct kz_match__evpat *e = &ln->ix->evals[i];
    struct win *w = &seq_of(ln)->w[i];
    double span = e->span >= 0 ? e->span : ln->window_seconds;
    int64_t horizon = (int64_t)(span * 1e6);
    json_t *arr;
    uint64_t parts = 0, *ps;
    bool matched = false, ok;

    if (kz_pattern_eval_part(e->p, od, &parts) != KZ_OK || parts == 0)
        return false;
    /* Events older than the horizon can no longer be in a match with this one. */
    while (w->n && w->t[w->head] < t - horizon)
        drop_head(w);
    /*
     * An event later than all the window's that fills no place a match's latest event can
     * hold (the first steps of a FOLLOWEDBY) completes nothing, nor does one that with the
     * window still makes fewer events than a match takes, or lacks an observation expression
     * every match needs: keep it without evaluating.
     */
    if (((w->n == 0 || t > w->tmax) && !(parts & kz_pattern_completing(e->p))) ||
        w->n + 1 < e->min_obs || ((window_bits(w) | parts) & e->required) != e->required) {
        push(ln, w, od, t, parts);
        return false;
    }
    arr = json_array();
    ok = arr != NULL;
    ps = kz_xmalloc((w->n + 1) * sizeof(*ps));
    for (size_t k = 0; k < w->n && ok; k++) {
        ps[k] = w->parts[(w->head + k) % w->cap];
        ok = json_array_append(arr, w->ev[(w->head + k) % w->cap]) == 0;
    }
    ps[w->n] = parts;
    /* The window's events are not compared again: their parts are known. */
    if (!ok || json_array_append(arr, od) != 0 ||
        kz_pattern_eval_parts(e->p, arr, NULL, ps, &matched) != KZ_OK)
        matched = false;
    free(ps);
    json_decref(arr);
    if (matched)
        clear(w);
    else
        push(ln, w, od, t, parts);
    return matched;
}
