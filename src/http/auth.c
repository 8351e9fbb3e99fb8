/* Authentication: Bearer tokens and HTTP Basic (key id and token) to a caller. */
#include "http/http.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "admin/admin.h"
#include "base/banned.h"

static kz_err
caller_from_key(struct kz_hub *hub, const struct kz_key *key, struct kz_caller *caller)
{
    enum kz_role role;

    if (kz_role_parse(kz_str_from_cstr(key->role), &role) != KZ_OK)
        return KZ_ERR_UNAUTHENTICATED;
    if (kz_store_org_get(hub->store, key->org, &caller->org) != KZ_OK)
        return KZ_ERR_UNAUTHENTICATED;
    caller->authenticated = true;
    caller->role = role;
    kz_cstr_copy(key->id, caller->key_id, sizeof(caller->key_id));
    return KZ_OK;
}

static kz_err
basic_credentials(const char *b64, char *user, size_t userlen, char *pass, size_t passlen)
{
    unsigned char raw[512];
    size_t rawlen;
    const char *colon;

    if (sodium_base642bin(raw, sizeof(raw) - 1, b64, strlen(b64), " ", &rawlen, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return KZ_ERR_UNAUTHENTICATED;
    raw[rawlen] = '\0';
    colon = memchr(raw, ':', rawlen);
    if (!colon || memchr(raw, '\0', rawlen))
        return KZ_ERR_UNAUTHENTICATED;
    if (kz_str_copy(kz_str_make((const char *)raw, (size_t)(colon - (const char *)raw)), user,
                    userlen) != KZ_OK ||
        kz_cstr_copy(colon + 1, pass, passlen) != KZ_OK)
        return KZ_ERR_UNAUTHENTICATED;
    sodium_memzero(raw, sizeof(raw));
    return KZ_OK;
}

kz_err
kz_http_authenticate(struct kz_hub *hub, const struct kz_http_request *req,
                     struct kz_caller *caller)
{
    const char *h = req->authorization;
    char user[KZ_KEY_ID_MAX], pass[KZ_TOKEN_MAX], token[KZ_TOKEN_MAX + KZ_KEY_ID_MAX + 2];
    struct kz_key key;
    kz_err err;

    memset(caller, 0, sizeof(*caller));
    if (!h || !*h)
        return KZ_OK;
    if (strncasecmp(h, "Bearer ", 7) == 0) {
        err = kz_admin_key_verify(hub->store, NULL, h + 7, &key);
    } else if (strncasecmp(h, "Basic ", 6) == 0) {
        err = basic_credentials(h + 6, user, sizeof(user), pass, sizeof(pass));
        if (err != KZ_OK)
            return err;
        /* The password is the whole token, or only its secret part after the key id. */
        if (strchr(pass, '.'))
            snprintf(token, sizeof(token), "%s", pass);
        else
            snprintf(token, sizeof(token), "%s.%s", user, pass);
        err = kz_admin_key_verify(hub->store, user, token, &key);
        sodium_memzero(pass, sizeof(pass));
        sodium_memzero(token, sizeof(token));
    } else {
        return KZ_ERR_UNAUTHENTICATED;
    }
    if (err != KZ_OK)
        return KZ_ERR_UNAUTHENTICATED;
    return caller_from_key(hub, &key, caller);
}
