/* Declarations shared between the files of src/stix; not part of the component's door. */
#ifndef KZ_STIX_STIX_INT_H
#define KZ_STIX_STIX_INT_H

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "stix/stix.h"

/* What kind of STIX object a type name is. */
enum kz_stix_kind {
    KZ_STIX_SDO = 0,
    KZ_STIX_SRO,
    KZ_STIX_SCO,
    KZ_STIX_MARKING,  /* marking-definition */
    KZ_STIX_LANGUAGE, /* language-content */
    KZ_STIX_EXTDEF,   /* extension-definition */
    KZ_STIX_CUSTOM,   /* an "x-" type: common properties only */
};

/* The validation of one object in progress: where the reason goes. */
struct kz_stix__ctx {
    const json_t *obj;
    const char *type; /* the object's type; valid once the common checks passed */
    char *why;
    size_t whylen;
};

/* Writes a reason and returns -1, so that checks read "return kz_stix__fail(...)". */
int kz_stix__fail(struct kz_stix__ctx *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* One row of the table of STIX 2.1 types and the check of their own properties. */
struct kz_stix__type {
    const char *name;
    enum kz_stix_kind kind;
    int (*check)(struct kz_stix__ctx *v); /* 0 when valid; NULL: nothing type-specific */
};

/* The row of a type name, or NULL for an unknown (or custom) type. */
const struct kz_stix__type *kz_stix__type_find(const char *name);

/* True for a syntactically valid STIX type name (3-250 of [a-z0-9-], ...). */
bool kz_stix__type_name_valid(const char *s, size_t n);

/* True for "<type>--<uuid>"; when type is not NULL the prefix must be that type. */
bool kz_stix__id_valid(const char *id, const char *type);

/* ---- property checks; each returns 0, or -1 after writing the reason ---- */

int kz_stix__req(struct kz_stix__ctx *v, const char *key);
int kz_stix__string(struct kz_stix__ctx *v, const char *key, bool required);
int kz_stix__bool(struct kz_stix__ctx *v, const char *key, bool required);
int kz_stix__integer(struct kz_stix__ctx *v, const char *key, bool required, json_int_t min,
                     json_int_t max);
int kz_stix__number(struct kz_stix__ctx *v, const char *key, bool required, double min, double max);
/* A timestamp; *us receives it when present and valid (and is left alone otherwise). */
int kz_stix__timestamp(struct kz_stix__ctx *v, const char *key, bool required, int64_t *us);
/* later must not be before earlier (both optional timestamps); strict: later > earlier. */
int kz_stix__time_order(struct kz_stix__ctx *v, const char *earlier, const char *later,
                        bool strict);
/* An identifier; types is a NULL-terminated list of allowed types, or NULL for any. */
int kz_stix__ref(struct kz_stix__ctx *v, const char *key, bool required, const char *const *types);
/* A non-empty list of identifiers. */
int kz_stix__ref_list(struct kz_stix__ctx *v, const char *key, bool required,
                      const char *const *types);
/* A non-empty list of strings. */
int kz_stix__string_list(struct kz_stix__ctx *v, const char *key, bool required);
/* A JSON object (dictionary). */
int kz_stix__dict(struct kz_stix__ctx *v, const char *key, bool required);
/* A list of kill-chain-phase objects. */
int kz_stix__kill_chain(struct kz_stix__ctx *v, const char *key);

/* The effective TLP of an object's markings; *marked false when it carries none. */
void kz_stix__tlp_of(const json_t *obj, enum kz_tlp *tlp, bool *marked);

#endif
