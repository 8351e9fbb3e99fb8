/* Error code table: code, text, HTTP status. */
#include "base/err.h"

static const struct {
    const char *text;
    int http_status;
} err_table[] = {
    [KZ_OK] = {"ok", 200},
    [KZ_ERR_NOMEM] = {"out of memory", 500},
    [KZ_ERR_INVALID] = {"invalid input", 400},
    [KZ_ERR_LIMIT] = {"over a limit", 413},
    [KZ_ERR_AGAIN] = {"more input needed", 400},
    [KZ_ERR_NOTFOUND] = {"not found", 404},
    [KZ_ERR_CONFLICT] = {"conflict", 409},
    [KZ_ERR_IO] = {"input/output error", 500},
    [KZ_ERR_STORE] = {"storage error", 500},
    [KZ_ERR_INTERNAL] = {"internal error", 500},
    [KZ_ERR_DENIED] = {"permission denied", 403},
    [KZ_ERR_UNAUTHENTICATED] = {"authentication required", 401},
};

const char *
kz_err_str(kz_err err)
{
    if ((unsigned)err >= sizeof(err_table) / sizeof(err_table[0]) || !err_table[err].text)
        return "unknown error";
    return err_table[err].text;
}

int
kz_err_http_status(kz_err err)
{
    if ((unsigned)err >= sizeof(err_table) / sizeof(err_table[0]) || !err_table[err].text)
        return 500;
    return err_table[err].http_status;
}
