/*
 * E-mail addresses: the address part of "a@b", "<a@b>" or "Name <a@b>", lower-cased
 * (mail systems treat the local part case-insensitively in practice).
 */
#include "match/match_int.h"
#include "match/lex.h"

#include "base/banned.h"

size_t
kz_match__norm_email(const char *p, size_t n, char *out, size_t outlen)
{
    const char *lt = memchr(p, '<', n);
    size_t at = SIZE_MAX;

    if (lt) {
        const char *gt = memchr(lt, '>', n - (size_t)(lt - p));
        if (!gt)
            return 0;
        n = (size_t)(gt - lt - 1);
        p = lt + 1;
    }
    while (n > 0 && (p[0] == ' ' || p[0] == '\t'))
        p++, n--;
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (n < 3 || n >= outlen)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '@') {
            if (at != SIZE_MAX)
                return 0;
            at = i;
        }
        if (c == ' ' || c == '<' || c == '>' || c == ',' || (unsigned char)c < 0x20)
            return 0;
        out[i] = kz_match__lower(c);
    }
    if (at == SIZE_MAX || at == 0 || at == n - 1)
        return 0;
    return n;
}

void
kz_match__check_email(struct kz_match__line *ln, const char *field, const char *p, size_t n)
{
    char e[512];
    size_t en;
    uint32_t k;

    en = kz_match__norm_email(p, n, e, sizeof(e));
    if (en == 0)
        return;
    kz_match__note(ln, KZ_MATCH_EMAIL, field, e, en);
    if (!(ln->ix->kinds_present & (1u << KZ_MATCH_EMAIL)))
        return;
    k = kz_match__find(ln->ix, KZ_MATCH_EMAIL, 0, e, en);
    if (k != UINT32_MAX)
        kz_match__emit(ln, k, field, p, n);
}
