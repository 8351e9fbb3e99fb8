/* UUIDs and STIX identifiers. */
#ifndef KZ_BASE_ID_H
#define KZ_BASE_ID_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "base/str.h"

#define KZ_UUID_TEXT_LEN 36
/* "<type>--<uuid>" with a type of at most 250 bytes, and a NUL. */
#define KZ_STIX_ID_MAX 288

/* A random (version 4) UUID in lower-case text; out has room for 37 bytes. */
void kz_uuid_v4(char out[KZ_UUID_TEXT_LEN + 1]);

/* True for "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" in hex digits of either case. */
bool kz_uuid_valid(struct kz_str s);

/* 16 bytes as a UUID's lower-case text, and back (false when s is not a UUID). */
void kz_uuid_format(const unsigned char b[16], char out[KZ_UUID_TEXT_LEN + 1]);
bool kz_uuid_parse(struct kz_str s, unsigned char out[16]);

/* A new STIX id "<type>--<uuid v4>"; out has room for KZ_STIX_ID_MAX bytes. */
kz_err kz_stix_id_new(const char *type, char out[KZ_STIX_ID_MAX]);

/* Random bytes as lower-case hex into out (2*n+1 bytes). */
void kz_random_hex(size_t n, char *out);

#endif
