/*
 * Which receiver addresses a hub that keeps webhooks off its own network may connect to:
 * checked on the address curl is about to connect to (after DNS), so a name that resolves
 * to a private address is refused as well as a literal one.
 */
#include "notify/notify.h"

#include <netinet/in.h>
#include <string.h>

#include "base/banned.h"

static bool
v4_public(uint32_t a)
{
    return !((a >> 24) == 0 ||                 /* 0.0.0.0/8 "this network" */
             (a >> 24) == 10 ||                /* 10/8 private */
             (a >> 22) == (100u << 2 | 1) ||   /* 100.64/10 shared address space */
             (a >> 24) == 127 ||               /* loopback */
             (a >> 16) == (169u << 8 | 254) || /* link-local, cloud metadata */
             (a >> 20) == (172u << 4 | 1) ||   /* 172.16/12 private */
             (a >> 16) == (192u << 8 | 168) || /* 192.168/16 private */
             (a >> 28) >= 14);                 /* multicast, reserved, broadcast */
}

bool
kz_notify_addr_public(const struct sockaddr *sa)
{
    if (sa == NULL)
        return false;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        return v4_public(ntohl(in->sin_addr.s_addr));
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        const uint8_t *b = in6->sin6_addr.s6_addr;
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(b, mapped, sizeof(mapped)) == 0)
            return v4_public((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 |
                             b[15]);
        if (IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr) || IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
            return false;
        return !((b[0] & 0xfe) == 0xfc ||                   /* fc00::/7 unique local */
                 (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || /* fe80::/10 link-local */
                 b[0] == 0xff);                             /* multicast */
    }
    return false;
}
