/* One value of a classified column (Zeek TSV and JSON, CSV) to the lookups of its kind. */
#include "match/match_int.h"

#include "base/banned.h"

bool
kz_match__check_field(struct kz_match__line *ln, enum kz_match__field f, const char *name,
                      const char *v, size_t n)
{
    switch (f) {
    case KZ_F_IP:
        kz_match__check_ip(ln, name, v, n);
        return true;
    case KZ_F_DOMAIN:
        kz_match__check_domain(ln, name, v, n);
        return true;
    case KZ_F_HOST:
    case KZ_F_ANSWERS:
        kz_match__check_host(ln, name, v, n);
        return true;
    case KZ_F_URIHOST:
        kz_match__check_host(ln, name, v, n);
        return false; /* the reader pairs it with the URI */
    case KZ_F_URL:
        kz_match__check_url_full(ln, name, v, n);
        return true;
    case KZ_F_HASH:
        kz_match__check_hash(ln, name, v, n);
        return true;
    case KZ_F_EMAIL:
    case KZ_F_EMAILS:
        kz_match__check_email(ln, name, v, n);
        return true;
    default:
        return false;
    }
}
