/* The one error type of kizuna: every fallible function returns a kz_err. */
#ifndef KZ_BASE_ERR_H
#define KZ_BASE_ERR_H

typedef enum kz_err {
    KZ_OK = 0,
    KZ_ERR_NOMEM = 1, /* numbers never change; retired codes keep their slot */
    KZ_ERR_INVALID = 2,   /* malformed input */
    KZ_ERR_LIMIT = 3,     /* over a configured cap */
    KZ_ERR_AGAIN = 4,     /* incremental parser needs more bytes */
    KZ_ERR_NOTFOUND = 5,
    KZ_ERR_CONFLICT = 6,
    KZ_ERR_IO = 7,
    KZ_ERR_STORE = 8,
    KZ_ERR_INTERNAL = 9,
    KZ_ERR_DENIED = 10,   /* the caller may not do this */
    KZ_ERR_UNAUTHENTICATED = 11,
} kz_err;

/* Short lower-case text for an error code. */
const char *kz_err_str(kz_err err);

/* The HTTP status that an error code answers with. */
int kz_err_http_status(kz_err err);

#endif
