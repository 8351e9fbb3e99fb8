/* STIX 2.1 objects on the way in: validation of every object type, and TLP markings. */
#ifndef KZ_STIX_STIX_H
#define KZ_STIX_STIX_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/str.h"

/* TLP levels in order of restriction; the numbers are stored, never renumber. */
enum kz_tlp {
    KZ_TLP_CLEAR = 0,
    KZ_TLP_GREEN = 1,
    KZ_TLP_AMBER = 2,
    KZ_TLP_AMBER_STRICT = 3,
    KZ_TLP_RED = 4,
};
#define KZ_TLP_COUNT 5

/* "clear", "green", "amber", "amber+strict", "red". */
const char *kz_tlp_name(enum kz_tlp tlp);

/* Accepts the names above in any case, an optional "tlp:" prefix, and "white" for clear. */
kz_err kz_tlp_parse(struct kz_str s, enum kz_tlp *out);

/* The TLP 2.0 marking-definition id of a level. */
const char *kz_tlp_marking_id(enum kz_tlp tlp);

/* The level of a TLP 1.0 or TLP 2.0 marking-definition id; KZ_ERR_NOTFOUND for others. */
kz_err kz_tlp_from_marking_id(struct kz_str id, enum kz_tlp *out);

struct kz_stix_opts {
    enum kz_tlp default_tlp; /* the TLP of an object that carries no TLP marking */
};

/* What validation learns of an object. Strings are borrowed from the json_t. */
struct kz_stix_info {
    const char *type;           /* NULL when absent */
    const char *id;             /* NULL when absent */
    const char *spec_version;   /* "2.1" for a valid object (SCOs may omit it: then "2.1") */
    const char *created_by_ref; /* NULL when absent */
    const char *version;        /* text of modified, else created, else NULL (most SCOs) */
    int64_t version_us;         /* version as microseconds; 0 when version is NULL */
    bool is_sco;                /* a STIX cyber-observable object */
    enum kz_tlp tlp;            /* effective TLP: most restrictive marking, else the default */
    bool tlp_marked;            /* false when tlp is the default */
};

/*
 * Validates one STIX 2.1 object: common properties, the required properties of its type,
 * identifiers, timestamps, markings, custom properties and types, and (for indicators with
 * pattern_type "stix") the pattern, through kz_pattern_check(). info is filled as far as
 * the object allows even when it fails, so that a refusal can name the id and version.
 * Returns KZ_OK, or KZ_ERR_INVALID with a one-line reason in why.
 */
kz_err kz_stix_validate(const json_t *obj, const struct kz_stix_opts *opts,
                        struct kz_stix_info *info, char *why, size_t whylen);

/* True for a type name of the STIX 2.1 cyber-observable objects (ipv4-addr, file, ...). */
bool kz_stix_type_is_sco(const char *type);

#endif
