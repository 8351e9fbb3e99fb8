/* STIX 2.1 patterning language: parsing, checking, evaluation, and the index's view. */
#ifndef KZ_PATTERN_PATTERN_H
#define KZ_PATTERN_PATTERN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/str.h"

/*
 * Checks the syntax (and literal validity) of one STIX pattern. On failure returns
 * KZ_ERR_INVALID (or KZ_ERR_LIMIT past KZ_LIMIT_PATTERN_BYTES), writes a one-line reason to
 * why and the 1-based column of the offending byte to *column.
 */
kz_err kz_pattern_check(struct kz_str pattern, char *why, size_t whylen, size_t *column);

/* ---- the view of a pattern that the match index takes ---- */

enum kz_pattern_term_op {
    KZ_TERM_EQ = 0,     /* path = 'value' */
    KZ_TERM_SUBSET = 1, /* path ISSUBSET 'cidr' */
};

struct kz_pattern_term {
    /*
     * Canonical object path: "<type>:<prop>[.<prop>...]" with quoted keys unquoted and list
     * steps kept, e.g. "ipv4-addr:value", "file:hashes.SHA-256", "url:value",
     * "network-traffic:dst_ref.value", "email-addr:value".
     */
    char *path;
    enum kz_pattern_term_op op;
    char *value; /* the string literal, unescaped */
};

struct kz_pattern_terms {
    struct kz_pattern_term *items; /* owned; free with kz_pattern_terms_release */
    size_t n;
};

/*
 * When a pattern is simple enough for the index — observation expressions without
 * qualifiers, joined only by OR, each an OR of '=' or 'ISSUBSET' comparisons against string
 * literals (AND and IN of one value count when they reduce to this) — fills out with its
 * terms; the pattern matches an event when any term does. KZ_ERR_NOTFOUND when the pattern
 * needs the evaluator; KZ_ERR_INVALID when it does not parse.
 */
kz_err kz_pattern_simple_terms(struct kz_str pattern, struct kz_pattern_terms *out);
void kz_pattern_terms_release(struct kz_pattern_terms *t);

/* ---- the evaluator ---- */

struct kz_pattern; /* a parsed pattern; immutable, safe to share between threads */

kz_err kz_pattern_compile(struct kz_str pattern, struct kz_pattern **out, char *why,
                          size_t whylen, size_t *column);
void kz_pattern_free(struct kz_pattern *p);

/*
 * Decides whether the pattern matches a sequence of observations: observations is a JSON
 * array of STIX observed-data objects (each with first_observed, last_observed,
 * number_observed and either objects (2.0 style) or object_refs resolved from a bundle of
 * SCOs given in scos, which may be NULL). Qualifiers (WITHIN, REPEATS, START/STOP) and
 * FOLLOWEDBY are honoured. *matched receives the answer.
 */
kz_err kz_pattern_eval(const struct kz_pattern *p, const json_t *observations, const json_t *scos,
                       bool *matched);

/*
 * True when the pattern can only match several observations together: it has an AND or a
 * FOLLOWEDBY of observation expressions, or REPEATS. Patterns without them (one
 * observation expression, ORs of them, WITHIN or START/STOP on those) are decided by one
 * observation at a time.
 */
bool kz_pattern_multi_event(const struct kz_pattern *p);

/*
 * The longest span in seconds (latest last_observed - earliest first_observed) a match of
 * the pattern can have, from its WITHIN qualifiers; a negative value when unbounded.
 */
double kz_pattern_span_seconds(const struct kz_pattern *p);

/*
 * Which of the pattern's observation expressions (bit i for the i-th in the text; the 64th
 * and later share bit 63) the one observed-data od satisfies, qualifiers aside. An
 * observation with no bit set can take no part in any match of the pattern.
 */
kz_err kz_pattern_eval_part(const struct kz_pattern *p, const json_t *od, uint64_t *parts);

/*
 * The bits (as in kz_pattern_eval_part) of the observation expressions that can hold the
 * strictly latest observation of a match: an observation later than all others that sets
 * none of them completes no match (in A FOLLOWEDBY B, only B's).
 */
uint64_t kz_pattern_completing(const struct kz_pattern *p);

/*
 * The bits (as in kz_pattern_eval_part) of the observation expressions every match needs
 * an observation of (in [a] AND ([b] OR [c]) only a's).
 */
uint64_t kz_pattern_required(const struct kz_pattern *p);

/* The fewest observations a match of the pattern takes ([a] AND [b] REPEATS 3 TIMES: 4). */
uint64_t kz_pattern_min_observations(const struct kz_pattern *p);

/*
 * kz_pattern_eval with parts[i] the kz_pattern_eval_part answer for observation i (with the
 * same pattern, scos NULL), so the observations' comparisons are not tried again.
 */
kz_err kz_pattern_eval_parts(const struct kz_pattern *p, const json_t *observations,
                             const json_t *scos, const uint64_t *parts, bool *matched);

#endif
