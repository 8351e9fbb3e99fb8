/* Timestamps: microseconds since the Unix epoch, and the STIX/TAXII text forms. */
#ifndef KZ_BASE_TIME_H
#define KZ_BASE_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/str.h"

/* Room for "YYYY-MM-DDTHH:MM:SS.ffffffZ" with any year, and a NUL. */
#define KZ_TIME_TEXT_MAX 64

/* Wall-clock now, in microseconds. */
int64_t kz_time_now_us(void);

/*
 * Parses an RFC 3339 timestamp in UTC with a trailing 'Z', as STIX requires:
 * "YYYY-MM-DDTHH:MM:SS[.fraction]Z". Digits past microseconds are dropped.
 * *fraction_digits, when given, receives how many fraction digits there were.
 */
kz_err kz_time_parse(struct kz_str s, int64_t *out_us, int *fraction_digits);

/* Formats with microseconds: "2026-11-25T21:12:06.123456Z" (TAXII date_added). */
void kz_time_format_us(int64_t us, char out[KZ_TIME_TEXT_MAX]);

/* Formats with milliseconds: "2026-11-25T21:12:06.123Z" (STIX created/modified). */
void kz_time_format_ms(int64_t us, char out[KZ_TIME_TEXT_MAX]);

#endif
