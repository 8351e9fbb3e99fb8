/* --format auto: which reader a log needs, decided from its first line. */
#include "match/match_int.h"

#include <strings.h>

#include "base/banned.h"

static const char *const format_names[] = {"auto", "eve", "zeek", "zeek-json", "csv", "text"};

kz_err
kz_match_format_parse(const char *name, enum kz_match_format *out)
{
    for (size_t i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++) {
        if (strcmp(name, format_names[i]) == 0) {
            *out = (enum kz_match_format)i;
            return KZ_OK;
        }
    }
    return KZ_ERR_INVALID;
}

const char *
kz_match_format_name(enum kz_match_format f)
{
    return (unsigned)f < sizeof(format_names) / sizeof(format_names[0]) ? format_names[f] : "?";
}

static bool
has(const char *p, size_t n, const char *needle)
{
    return memmem(p, n, needle, strlen(needle)) != NULL;
}

enum kz_match_format
kz_match_detect(const char *p, size_t n)
{
    const char *end = p + n, *nl;
    size_t ln;

    while (p < end && (*p == '\n' || *p == '\r' || *p == ' ' || *p == '\t'))
        p++;
    if (p == end)
        return KZ_FMT_TEXT;
    nl = memchr(p, '\n', (size_t)(end - p));
    ln = nl ? (size_t)(nl - p) : (size_t)(end - p);
    if (ln > 10 && (memcmp(p, "#separator", 10) == 0 || memcmp(p, "#fields", 7) == 0))
        return KZ_FMT_ZEEK;
    if (p[0] == '{') {
        if (has(p, ln, "\"event_type\""))
            return KZ_FMT_EVE;
        if (has(p, ln, "\"_path\"") || has(p, ln, "\"id.orig_h\"") || has(p, ln, "\"uid\""))
            return KZ_FMT_ZEEK_JSON;
        if (has(p, ln, "\"ts\"") && !has(p, ln, "\"timestamp\""))
            return KZ_FMT_ZEEK_JSON;
        return KZ_FMT_EVE;
    }
    if (memchr(p, ',', ln) && kz_match__csv_header_known(p, ln))
        return KZ_FMT_CSV;
    return KZ_FMT_TEXT;
}
