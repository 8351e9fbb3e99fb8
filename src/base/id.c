/* UUID generation from libsodium's random source, and UUID syntax checks. */
#include "base/id.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "base/banned.h"

static void
hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * n] = '\0';
}

void
kz_random_hex(size_t n, char *out)
{
    unsigned char bytes[64];

    while (n > 0) {
        size_t k = n < sizeof(bytes) ? n : sizeof(bytes);
        randombytes_buf(bytes, k);
        hex_encode(bytes, k, out);
        out += 2 * k;
        n -= k;
    }
}

/* Where the four dashes of a UUID's text go: after these many bytes. */
static bool
dash_after(size_t byte)
{
    return byte == 4 || byte == 6 || byte == 8 || byte == 10;
}

void
kz_uuid_format(const unsigned char b[16], char out[KZ_UUID_TEXT_LEN + 1])
{
    char *p = out;

    for (size_t i = 0; i < 16; i++) {
        if (dash_after(i))
            *p++ = '-';
        hex_encode(&b[i], 1, p);
        p += 2;
    }
    *p = '\0';
}

/* A hex digit's value, or -1. */
static int
hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool
kz_uuid_parse(struct kz_str s, unsigned char out[16])
{
    const char *p = s.p;

    if (s.n != KZ_UUID_TEXT_LEN)
        return false;
    for (size_t i = 0; i < 16; i++) {
        int hi, lo;
        if (dash_after(i) && *p++ != '-')
            return false;
        hi = hex_digit(p[0]);
        lo = hex_digit(p[1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (unsigned char)(hi << 4 | lo);
        p += 2;
    }
    return true;
}

void
kz_uuid_v4(char out[KZ_UUID_TEXT_LEN + 1])
{
    unsigned char b[16];

    randombytes_buf(b, sizeof(b));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    kz_uuid_format(b, out);
}

bool
kz_uuid_valid(struct kz_str s)
{
    if (s.n != KZ_UUID_TEXT_LEN)
        return false;
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

kz_err
kz_stix_id_new(const char *type, char out[KZ_STIX_ID_MAX])
{
    char uuid[KZ_UUID_TEXT_LEN + 1];

    if (strlen(type) > 250)
        return KZ_ERR_LIMIT;
    kz_uuid_v4(uuid);
    snprintf(out, KZ_STIX_ID_MAX, "%s--%s", type, uuid);
    return KZ_OK;
}
