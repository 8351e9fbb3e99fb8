/* Roles, organisation types, slugs and principal lists: the vocabulary of the access rules. */
#include "policy/policy_int.h"

#include <stdio.h>
#include <string.h>

#include "base/limits.h"
#include "base/banned.h"

static const char *const role_names[] = {"admin", "gsoc", "member", "sensor"};

static const char *const org_types[] = {
    "government", "cip", "company", "education", "isp", "security-vendor", "partner", "sme",
};

const char *
kz_role_name(enum kz_role role)
{
    if ((unsigned)role >= sizeof(role_names) / sizeof(role_names[0]))
        return "unknown";
    return role_names[role];
}

kz_err
kz_role_parse(struct kz_str s, enum kz_role *out)
{
    for (size_t i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++) {
        if (kz_str_eq_cstr(s, role_names[i])) {
            *out = (enum kz_role)i;
            return KZ_OK;
        }
    }
    return KZ_ERR_INVALID;
}

static bool
org_type_valid(struct kz_str s)
{
    for (size_t i = 0; i < sizeof(org_types) / sizeof(org_types[0]); i++) {
        if (kz_str_eq_cstr(s, org_types[i]))
            return true;
    }
    return false;
}

bool
kz_org_type_valid(const char *type)
{
    return type && org_type_valid(kz_str_from_cstr(type));
}

static bool
slug_valid(struct kz_str s)
{
    if (s.n < 1 || s.n > 63 || s.p[0] == '-' || s.p[s.n - 1] == '-')
        return false;
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return true;
}

bool
kz_slug_valid(const char *s)
{
    return s && slug_valid(kz_str_from_cstr(s));
}

static bool
is_sep(char c)
{
    return c == ' ' || c == ',' || c == '\t' || c == '\n' || c == '\r';
}

bool
kz_policy__next(const char *list, size_t *pos, struct kz_policy__principal *out)
{
    size_t i = *pos, start;
    const char *colon;

    if (!list)
        return false;
    while (list[i] && is_sep(list[i]))
        i++;
    if (!list[i]) {
        *pos = i;
        return false;
    }
    start = i;
    while (list[i] && !is_sep(list[i]))
        i++;
    *pos = i;
    out->text = kz_str_make(list + start, i - start);
    colon = memchr(out->text.p, ':', out->text.n);
    if (colon) {
        out->kind = kz_str_make(out->text.p, (size_t)(colon - out->text.p));
        out->value = kz_str_make(colon + 1, out->text.n - out->kind.n - 1);
    } else {
        out->kind = out->text;
        out->value = kz_str_make(out->text.p + out->text.n, 0);
    }
    return true;
}

static bool
principal_valid(const struct kz_policy__principal *p)
{
    enum kz_role role;

    if (kz_str_eq_cstr(p->text, "public") || kz_str_eq_cstr(p->text, "member"))
        return true;
    if (kz_str_eq_cstr(p->kind, "org") || kz_str_eq_cstr(p->kind, "sector"))
        return slug_valid(p->value);
    if (kz_str_eq_cstr(p->kind, "type"))
        return org_type_valid(p->value);
    if (kz_str_eq_cstr(p->kind, "role"))
        return kz_role_parse(p->value, &role) == KZ_OK;
    return false;
}

kz_err
kz_principals_check(const char *list, char *why, size_t whylen)
{
    struct kz_policy__principal p;
    size_t pos = 0;

    if (!list)
        return KZ_OK;
    if (strlen(list) >= KZ_LIMIT_PRINCIPALS_BYTES) {
        snprintf(why, whylen, "a principal list is longer than %u bytes",
                 KZ_LIMIT_PRINCIPALS_BYTES - 1);
        return KZ_ERR_LIMIT;
    }
    while (kz_policy__next(list, &pos, &p)) {
        if (!principal_valid(&p)) {
            snprintf(why, whylen,
                     "principal '%.*s' is not one of public, member, org:<slug>, "
                     "sector:<name>, type:<org-type>, role:<role>",
                     (int)(p.text.n > 100 ? 100 : p.text.n), p.text.p);
            return KZ_ERR_INVALID;
        }
    }
    return KZ_OK;
}

bool
kz_policy_matches(const struct kz_caller *c, const char *list)
{
    struct kz_policy__principal p;
    size_t pos = 0;

    while (kz_policy__next(list, &pos, &p)) {
        if (kz_str_eq_cstr(p.text, "public"))
            return true;
        if (!c || !c->authenticated)
            continue;
        if (kz_str_eq_cstr(p.text, "member"))
            return true;
        if (p.value.n == 0)
            continue;
        if (kz_str_eq_cstr(p.kind, "org") && kz_str_eq_cstr(p.value, c->org.slug))
            return true;
        if (kz_str_eq_cstr(p.kind, "sector") && kz_str_eq_cstr(p.value, c->org.sector))
            return true;
        if (kz_str_eq_cstr(p.kind, "type") && kz_str_eq_cstr(p.value, c->org.type))
            return true;
        if (kz_str_eq_cstr(p.kind, "role") && kz_str_eq_cstr(p.value, kz_role_name(c->role)))
            return true;
    }
    return false;
}
