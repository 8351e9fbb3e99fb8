/*
 * bench/match_gen: a seeded generator for the match benchmark. Writes, into a directory:
 *   indicators.txt  N indicators of mixed kinds (domains, IPv4 addresses and CIDRs, URLs,
 *                   SHA-256), one a line, as a member would load them
 *   dns.log         Zeek dns.log TSV of about SIZE MB
 *   eve.json        Suricata EVE JSON of about SIZE MB (dns, http, tls, fileinfo, flow)
 *   dns.truth, eve.truth   the line numbers that must hit, one a line
 * Hits are exact by construction: observed values outside the indicator space never
 * collide with it. Some lines are traps for literal matchers: an indicator domain glued to
 * another label ("x" + domain) is not a hit, an address inside a listed CIDR is, and a
 * URL split into EVE's hostname and url fields is.
 * usage: match_gen DIR SIZE_MB [INDICATORS] [SEED]
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rng_state;

static uint64_t
rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t
below(uint32_t n)
{
    return (uint32_t)(rnd() % n);
}

enum ikind { I_DOMAIN, I_IP, I_CIDR, I_URL, I_SHA };

struct ind {
    uint8_t kind;
    uint32_t a;   /* address, domain number */
    uint8_t plen;
};

static const char *const tlds[] = {"com", "net", "org", "info", "biz"};
static const char *const words[] = {"alpha", "bravo", "delta", "echo",  "kilo",  "lima",
                                    "mike",  "oscar", "papa",  "romeo", "sierra", "tango"};

/* Indicator domain number k: "<word><k in base 36>.<tld>" */
static int
ind_domain(char *out, size_t n, uint32_t k)
{
    char b36[16];
    int i = 0;
    uint32_t v = k;
    do {
        b36[i++] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36];
        v /= 36;
    } while (v);
    b36[i] = 0;
    return snprintf(out, n, "%s%s.%s", words[k % 12], b36, tlds[(k / 12) % 5]);
}

/* Indicator addresses: first octet 11..99 (never 10, never >= 150). */
static uint32_t
ind_ip(uint32_t k)
{
    uint32_t x = (uint32_t)(k * 2654435761u);
    return ((11 + (k % 89)) << 24) | (x & 0x00ffff00u) | (1 + (k >> 8) % 250);
}

static void
ipstr(char *out, uint32_t a)
{
    snprintf(out, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

static void
sha(char *out, uint32_t k, int hit)
{
    uint64_t s = rng_state;
    rng_state = ((uint64_t)k << 1 | (uint64_t)hit) * 0x9e3779b97f4a7c15ull + 7;
    for (int i = 0; i < 4; i++)
        snprintf(out + 16 * i, 17, "%016" PRIx64, rnd());
    rng_state = s;
}

/* A non-hit observed name: under a TLD no indicator uses. */
static int
benign_domain(char *out, size_t n)
{
    return snprintf(out, n, "www%u.site%u.example-cdn.io", below(100), below(2000000));
}

static uint32_t
benign_ip(void)
{
    return ((150 + below(70)) << 24) | (uint32_t)below(1u << 24);
}

int
main(int argc, char **argv)
{
    const char *dir;
    double size_mb;
    uint32_t nind = 1000000;
    struct ind *inds;
    char path[4096], d[512], d2[600], ip[16], ip2[16], h[130];
    FILE *fi, *fz, *fe, *tz, *te;
    uint32_t ndom = 0, nurl = 0, nsha = 0, nip = 0;
    uint32_t *doms, *urls, *shas, *ips;

    if (argc < 3) {
        fprintf(stderr, "usage: match_gen DIR SIZE_MB [INDICATORS] [SEED]\n");
        return 2;
    }
    dir = argv[1];
    size_mb = strtod(argv[2], NULL);
    if (argc > 3)
        nind = (uint32_t)strtoul(argv[3], NULL, 10);
    rng_state = argc > 4 ? strtoull(argv[4], NULL, 10) : 20131002;
    inds = calloc(nind, sizeof(*inds));
    doms = calloc(nind, 4);
    urls = calloc(nind, 4);
    shas = calloc(nind, 4);
    ips = calloc(nind, 4);

    snprintf(path, sizeof(path), "%s/indicators.txt", dir);
    fi = fopen(path, "w");
    if (!fi) {
        perror(path);
        return 1;
    }
    for (uint32_t k = 0; k < nind; k++) {
        uint32_t r = below(100);
        struct ind *x = &inds[k];
        x->a = k;
        if (r < 40) {
            x->kind = I_DOMAIN;
            ind_domain(d, sizeof(d), k);
            fprintf(fi, "%s\n", d);
            doms[ndom++] = k;
        } else if (r < 67) {
            x->kind = I_IP;
            ipstr(ip, ind_ip(k));
            fprintf(fi, "%s\n", ip);
            ips[nip++] = k;
        } else if (r < 70) {
            x->kind = I_CIDR;
            x->plen = r < 69 ? 24 : 28;
            ipstr(ip, ind_ip(k) & (x->plen == 24 ? 0xffffff00u : 0xfffffff0u));
            fprintf(fi, "%s/%u\n", ip, x->plen);
            ips[nip++] = k;
        } else if (r < 85) {
            x->kind = I_URL;
            ind_domain(d, sizeof(d), k);
            fprintf(fi, "http://%s/gate%u.php?id=%u\n", d, k % 977, k);
            urls[nurl++] = k;
        } else {
            x->kind = I_SHA;
            sha(h, k, 1);
            fprintf(fi, "%s\n", h);
            shas[nsha++] = k;
        }
    }
    fclose(fi);

    snprintf(path, sizeof(path), "%s/dns.log", dir);
    fz = fopen(path, "w");
    snprintf(path, sizeof(path), "%s/dns.truth", dir);
    tz = fopen(path, "w");
    snprintf(path, sizeof(path), "%s/eve.json", dir);
    fe = fopen(path, "w");
    snprintf(path, sizeof(path), "%s/eve.truth", dir);
    te = fopen(path, "w");
    if (!fz || !tz || !fe || !te) {
        perror(dir);
        return 1;
    }

    /* Zeek dns.log */
    fputs("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
          "#path\tdns\n#open\t2026-01-01-00-00-00\n"
          "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt"
          "\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA"
          "\tZ\tanswers\tTTLs\trejected\n"
          "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount"
          "\tstring\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount"
          "\tvector[string]\tvector[interval]\tbool\n",
          fz);
    {
        uint64_t line = 8, bytes = 0, limit = (uint64_t)(size_mb * 1e6);
        double ts = 1767225600.0;
        while (bytes < limit) {
            uint32_t r = below(1000);
            int hit = 0;
            char q[600], ans[200];
            ts += 0.000731;
            benign_domain(q, sizeof(q));
            ipstr(ip, benign_ip());
            snprintf(ans, sizeof(ans), "%s", ip);
            if (r < 4 && ndom) { /* query is an indicator domain */
                ind_domain(q, sizeof(q), doms[below(ndom)]);
                hit = 1;
            } else if (r < 8 && ndom) { /* a subdomain of one */
                ind_domain(d, sizeof(d), doms[below(ndom)]);
                snprintf(q, sizeof(q), "cdn%u.%s", below(50), d);
                hit = 1;
            } else if (r < 11 && nip) { /* an answer inside an indicator address or CIDR */
                const struct ind *x = &inds[ips[below(nip)]];
                uint32_t a = ind_ip(x->a);
                if (x->kind == I_CIDR)
                    a = (a & (x->plen == 24 ? 0xffffff00u : 0xfffffff0u)) |
                        (below(x->plen == 24 ? 256 : 16));
                ipstr(ip2, a);
                snprintf(ans, sizeof(ans), "%s,%s", ip, ip2);
                hit = 1;
            } else if (r < 16 && ndom) { /* trap: glued to another label, not a hit */
                ind_domain(d, sizeof(d), doms[below(ndom)]);
                snprintf(q, sizeof(q), "x%s", d);
            }
            ipstr(ip2, (10u << 24) | below(1u << 16));
            int n = fprintf(fz,
                            "%.6f\tC%08x%08x\t%s\t%u\t10.0.0.53\t53\tudp\t%u\t0.000%03u\t%s\t1\t"
                            "C_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t%s\t300.000000\tF\n",
                            ts, (unsigned)rnd(), (unsigned)rnd(), ip2, 1024 + below(60000),
                            below(65536), below(1000), q, ans);
            bytes += (uint64_t)n;
            line++;
            if (hit)
                fprintf(tz, "%" PRIu64 "\n", line);
        }
    }

    /* EVE JSON */
    {
        uint64_t line = 0, bytes = 0, limit = (uint64_t)(size_mb * 1e6);
        uint64_t us = 1767225600000000ull;
        while (bytes < limit) {
            uint32_t r = below(1000), type = below(10);
            int hit = 0, n;
            char when[64], src[16], dst[16];
            time_t secs;
            us += 731;
            secs = (time_t)(us / 1000000);
            {
                unsigned sod = (unsigned)(secs % 86400);
                snprintf(when, sizeof(when), "2026-01-%02u T%02u:%02u:%02u.%06u+0000",
                         (unsigned)(1 + (secs - 1767225600) / 86400 % 28), sod / 3600,
                         sod / 60 % 60, sod % 60, (unsigned)(us % 1000000));
                when[10] = 'T';
                memmove(when + 11, when + 12, strlen(when + 12) + 1);
            }
            ipstr(src, (10u << 24) | below(1u << 16));
            ipstr(dst, benign_ip());
            line++;
            if (type < 3) { /* dns */
                char q[600];
                benign_domain(q, sizeof(q));
                ipstr(ip, benign_ip());
                if (r < 5 && ndom) {
                    ind_domain(d, sizeof(d), doms[below(ndom)]);
                    if (r < 2)
                        snprintf(q, sizeof(q), "%s", d);
                    else
                        snprintf(q, sizeof(q), "img.%s", d);
                    hit = 1;
                } else if (r < 12 && ndom) {
                    ind_domain(d, sizeof(d), doms[below(ndom)]);
                    snprintf(q, sizeof(q), "x%s", d); /* trap */
                }
                n = fprintf(fe,
                            "{\"timestamp\":\"%s\",\"flow_id\":%" PRIu64 ",\"event_type\":\"dns\","
                            "\"src_ip\":\"%s\",\"src_port\":%u,\"dest_ip\":\"10.0.0.53\","
                            "\"dest_port\":53,\"proto\":\"UDP\",\"dns\":{\"version\":2,\"type\":"
                            "\"answer\",\"id\":%u,\"flags\":\"8180\",\"qr\":true,\"rd\":true,"
                            "\"ra\":true,\"rrname\":\"%s\",\"rrtype\":\"A\",\"rcode\":\"NOERROR\","
                            "\"answers\":[{\"rrname\":\"%s\",\"rrtype\":\"A\",\"ttl\":300,"
                            "\"rdata\":\"%s\"}]}}\n",
                            when, rnd() >> 12, src, 1024 + below(60000), below(65536), q, q, ip);
            } else if (type < 5) { /* http */
                char host[600], url[300];
                benign_domain(host, sizeof(host));
                snprintf(url, sizeof(url), "/static/%u/app.js", below(100000));
                if (r < 5 && nurl) { /* the URL indicator split into host and url */
                    uint32_t k = urls[below(nurl)];
                    ind_domain(host, sizeof(host), k);
                    snprintf(url, sizeof(url), "/gate%u.php?id=%u", k % 977, k);
                    hit = 1;
                } else if (r < 10 && nurl) { /* same host, other path: not a hit */
                    uint32_t k = urls[below(nurl)];
                    ind_domain(host, sizeof(host), k);
                    snprintf(url, sizeof(url), "/gate%u.php?id=%u0", k % 977, k);
                }
                n = fprintf(fe,
                            "{\"timestamp\":\"%s\",\"flow_id\":%" PRIu64 ",\"event_type\":\"http\","
                            "\"src_ip\":\"%s\",\"src_port\":%u,\"dest_ip\":\"%s\",\"dest_port\":80,"
                            "\"proto\":\"TCP\",\"tx_id\":0,\"http\":{\"hostname\":\"%s\",\"url\":"
                            "\"%s\",\"http_user_agent\":\"Mozilla/5.0 (Windows NT 10.0; Win64; "
                            "x64)\",\"http_content_type\":\"text/html\",\"http_method\":\"GET\","
                            "\"protocol\":\"HTTP/1.1\",\"status\":200,\"length\":%u}}\n",
                            when, rnd() >> 12, src, 1024 + below(60000), dst, host, url,
                            below(100000));
            } else if (type < 6) { /* tls */
                char sni[600];
                benign_domain(sni, sizeof(sni));
                if (r < 5 && ndom) {
                    ind_domain(sni, sizeof(sni), doms[below(ndom)]);
                    hit = 1;
                }
                n = fprintf(fe,
                            "{\"timestamp\":\"%s\",\"flow_id\":%" PRIu64 ",\"event_type\":\"tls\","
                            "\"src_ip\":\"%s\",\"src_port\":%u,\"dest_ip\":\"%s\",\"dest_port\":443,"
                            "\"proto\":\"TCP\",\"tls\":{\"subject\":\"CN=%s\",\"issuerdn\":\"CN=R3, "
                            "O=Let's Encrypt, C=US\",\"serial\":\"04:A1:%02X\",\"fingerprint\":"
                            "\"3a:1b:%02x\",\"sni\":\"%s\",\"version\":\"TLS 1.2\",\"notbefore\":"
                            "\"2025-12-01T00:00:00\",\"notafter\":\"2026-03-01T00:00:00\"}}\n",
                            when, rnd() >> 12, src, 1024 + below(60000), dst, sni, below(256),
                            below(256), sni);
            } else if (type < 7) { /* fileinfo */
                sha(h, below(1u << 30), 0);
                if (r < 5 && nsha) {
                    sha(h, shas[below(nsha)], 1);
                    hit = 1;
                }
                n = fprintf(fe,
                            "{\"timestamp\":\"%s\",\"flow_id\":%" PRIu64 ",\"event_type\":"
                            "\"fileinfo\",\"src_ip\":\"%s\",\"src_port\":80,\"dest_ip\":\"%s\","
                            "\"dest_port\":%u,\"proto\":\"TCP\",\"fileinfo\":{\"filename\":"
                            "\"/download/f%u.bin\",\"gaps\":false,\"state\":\"CLOSED\",\"sha256\":"
                            "\"%s\",\"stored\":false,\"size\":%u,\"tx_id\":0}}\n",
                            when, rnd() >> 12, dst, src, 1024 + below(60000), below(100000), h,
                            below(1000000));
            } else { /* flow */
                if (r < 5 && nip) {
                    const struct ind *x = &inds[ips[below(nip)]];
                    uint32_t a = ind_ip(x->a);
                    if (x->kind == I_CIDR)
                        a = (a & (x->plen == 24 ? 0xffffff00u : 0xfffffff0u)) |
                            (below(x->plen == 24 ? 256 : 16));
                    ipstr(dst, a);
                    hit = 1;
                }
                n = fprintf(fe,
                            "{\"timestamp\":\"%s\",\"flow_id\":%" PRIu64 ",\"event_type\":\"flow\","
                            "\"src_ip\":\"%s\",\"src_port\":%u,\"dest_ip\":\"%s\",\"dest_port\":443,"
                            "\"proto\":\"TCP\",\"app_proto\":\"tls\",\"flow\":{\"pkts_toserver\":%u,"
                            "\"pkts_toclient\":%u,\"bytes_toserver\":%u,\"bytes_toclient\":%u,"
                            "\"start\":\"%s\",\"end\":\"%s\",\"age\":%u,\"state\":\"closed\","
                            "\"reason\":\"timeout\",\"alerted\":false}}\n",
                            when, rnd() >> 12, src, 1024 + below(60000), dst, below(100),
                            below(100), below(100000), below(1000000), when, when, below(120));
            }
            bytes += (uint64_t)n;
            if (hit)
                fprintf(te, "%" PRIu64 "\n", line);
        }
    }
    fclose(fz);
    fclose(tz);
    fclose(fe);
    fclose(te);
    free(inds);
    free(doms);
    free(urls);
    free(shas);
    free(ips);
    return 0;
}
