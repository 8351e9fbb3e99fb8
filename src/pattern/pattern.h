/* STIX 2.1 patterning language: parsing, checking, evaluation. */
#ifndef KZ_PATTERN_PATTERN_H
#define KZ_PATTERN_PATTERN_H

#include <stddef.h>

#include "base/err.h"
#include "base/str.h"

/*
 * Checks the syntax (and literal validity) of one STIX pattern. On failure returns
 * KZ_ERR_INVALID (or KZ_ERR_LIMIT past KZ_LIMIT_PATTERN_BYTES), writes a one-line reason to
 * why and the 1-based column of the offending byte to *column.
 */
kz_err kz_pattern_check(struct kz_str pattern, char *why, size_t whylen, size_t *column);

#endif
