/* What a delivery request carries: its body, its signature, and the wait between attempts. */
#include "notify/notify.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/time.h"
#include "base/banned.h"

void
kz_notify_hmac_hex(const void *key, size_t keylen, const void *msg, size_t n, char out[65])
{
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];

    crypto_auth_hmacsha256_init(&st, key, keylen);
    crypto_auth_hmacsha256_update(&st, msg, n);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(out, 65, mac, sizeof(mac));
    sodium_memzero(&st, sizeof(st));
}

void
kz_notify_signature(const char *secret, int64_t t, const char *body, size_t n,
                    char out[KZ_NOTIFY_SIGNATURE_MAX])
{
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char ts[32], hex[65];
    int tn = snprintf(ts, sizeof(ts), "%" PRId64 ".", t);

    /* The timestamp is signed with the body, so a captured request cannot be replayed
     * later with a fresh t. */
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, (size_t)tn);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, n);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
    sodium_memzero(&st, sizeof(st));
    snprintf(out, KZ_NOTIFY_SIGNATURE_MAX, "t=%" PRId64 ",v1=%s", t, hex);
}

uint64_t
kz_notify_backoff_ms(unsigned failures, uint64_t base_ms, uint64_t cap_ms, uint32_t rnd)
{
    uint64_t d = base_ms ? base_ms : 1;

    for (unsigned i = 1; i < failures && d < cap_ms; i++)
        d = d > UINT64_MAX / 2 ? UINT64_MAX : d * 2;
    if (d > cap_ms)
        d = cap_ms;
    /* Jitter into [d/2, d]. */
    return d - (uint64_t)((double)(d / 2) * ((double)rnd / (double)UINT32_MAX));
}

kz_err
kz_notify_body(const struct kz_delivery *d, const char *data_json, struct kz_buf *out)
{
    char created[KZ_TIME_TEXT_MAX];
    json_t *data = json_loads(data_json ? data_json : "{}", 0, NULL), *j;
    char *text;
    kz_err err;

    if (!json_is_object(data)) {
        json_decref(data);
        return KZ_ERR_INVALID;
    }
    kz_time_format_ms(d->created_us, created);
    j = json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", d->id, "event", d->event, "subject",
                  d->subject, "created", created, "data", data);
    if (j == NULL)
        return KZ_ERR_INVALID;
    text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (text == NULL)
        return KZ_ERR_NOMEM;
    kz_buf_reset(out);
    err = kz_buf_append_cstr(out, text);
    free(text);
    return err;
}
