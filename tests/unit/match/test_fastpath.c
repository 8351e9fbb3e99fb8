/*
 * Unit tests of the scan's fast paths, each against the answer the plain path gives: the
 * one-pass Zeek TSV split (long lines, escapes, CRLF, too many and too few columns, a
 * line past the block table), the IPv4 block filter at both of its sizes, the domain
 * label-count filter with case and trailing dots, the address parser, and indicators
 * decided by the pattern evaluator.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match/match.h"
#include "match/match_int.h"

static struct kz_match_index *
index_of(const char *list, struct kz_match_load_stats *st)
{
    struct kz_match_index *ix = kz_match_index_new();
    struct kz_match_load_stats local = {0};
    if (!st)
        st = &local;
    assert_int_equal(kz_match_index_load(ix, list, strlen(list), 0, st), KZ_OK);
    assert_int_equal(kz_match_index_finish(ix), KZ_OK);
    return ix;
}

static struct kz_match_stats
scan(const struct kz_match_index *ix, enum kz_match_format f, const char *text, size_t n)
{
    struct kz_match_scan_opts o = {.format = f};
    struct kz_match_scanner *s;
    struct kz_match_stats st;

    assert_int_equal(kz_match_scanner_new(ix, &o, &s), KZ_OK);
    kz_match_scanner_feed(s, text, n, 1);
    st = *kz_match_scanner_stats(s);
    kz_match_scanner_free(s);
    return st;
}

static const char zeek_head[] =
    "#separator \\x09\n#set_separator\t,\n"
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\tqtype_name\t"
    "rcode_name\tanswers\tTTLs\trejected\n";

static void
test_zeek_split_shapes_once(void **state)
{
    struct kz_match_index *ix = index_of("evil.example\n192.0.2.0/24\nA.b\n", NULL);
    struct kz_match_stats st;
    char *log = malloc(1 << 16);
    size_t n;
    (void)state;
    n = (size_t)snprintf(
        log, 1 << 16, "%s"
        /* 4: a hit in a column past the first 32 bytes */
        "1700000000.000000\tCabcdefabcdefabcdef\t10.0.0.1\t5353\t10.0.0.53\t53\tudp\t"
        "www.EVIL.example.\tA\tNOERROR\t-\t-\tF\n"
        /* 5: CRLF, the answer set holds the hit */
        "1700000000.000001\tC1\t10.0.0.1\t1\t10.0.0.53\t53\tudp\tgood.example\tA\tNOERROR\t"
        "cdn.good,192.0.2.77\t1.0,2.0\tF\r\n"
        /* 6: one column too many */
        "1700000000.000002\tC1\t10.0.0.1\t1\t10.0.0.53\t53\tudp\tevil.example\tA\tNOERROR\t-\t-\tF\textra\n"
        /* 7: one column too few */
        "1700000000.000003\tC1\t10.0.0.1\t1\t10.0.0.53\t53\tudp\tevil.example\tA\tNOERROR\t-\t-\n"
        /* 8: Zeek's escape of the query: \\x2e is '.' */
        "1700000000.000004\tC1\t10.0.0.1\t1\t10.0.0.53\t53\tudp\tevil\\x2eexample\tA\tNOERROR\t-\t-\tF\n"
        /* 9: a backslash, but not in a column of interest */
        "1700000000.000005\tC\\x41\t10.0.0.1\t1\t10.0.0.53\t53\tudp\tmiss.example\tA\tNOERROR\t-\t-\tF\n"
        /* 10: a two-label key (A.b) seen through a deeper name, in capitals */
        "1700000000.000006\tC1\t10.0.0.1\t1\t10.0.0.53\t53\tudp\tX.Y.A.B\tA\tNOERROR\t-\t-\tF\n"
        /* 11: the last line has no newline and ends in the hit */
        "1700000000.000007\tC1\t10.0.0.1\t1\t10.0.0.53\t53\tudp\tq.example\tA\tNOERROR\t-\t-\t192.0.2.1",
        zeek_head);
    st = scan(ix, KZ_FMT_ZEEK, log, n);
    assert_int_equal(st.lines, 8);
    assert_int_equal(st.bad_lines, 2);
    assert_int_equal(st.bad_at[0], 6);
    assert_int_equal(st.bad_at[1], 7);
    /* 4, 5, 8, 10; the last column of 11 is 'rejected', not an address field */
    assert_int_equal(st.hit_lines, 4);
    free(log);
    kz_match_index_free(ix);
}

/* A line of every length from 1 to 300 bytes: the split must agree with a byte loop. */
static void
test_zeek_split_every_length_once(void **state)
{
    struct kz_match_index *ix = index_of("evil.example\n", NULL);
    char *log = malloc(1 << 20);
    size_t n = (size_t)snprintf(log, 1 << 20, "#fields\tts\tquery\tanswers\n");
    size_t want_bad = 0, want_hit = 0, lines = 0;
    struct kz_match_stats st;
    (void)state;
    for (size_t len = 1; len <= 300; len++) {
        /* "1\t<pad>evil.example\t-" with the query padded by 'a.' labels; a few broken. */
        size_t pad = len > 40 ? len - 40 : 0;
        n += (size_t)snprintf(log + n, 64, "1\t");
        for (size_t i = 0; i < pad / 2; i++) {
            log[n++] = 'a';
            log[n++] = '.';
        }
        if (len % 7 == 0) {
            n += (size_t)snprintf(log + n, 64, "evil.example-\n"); /* two columns only */
            want_bad++;
        } else {
            n += (size_t)snprintf(log + n, 64, "evil.example\t-\n");
            want_hit++;
        }
        lines++;
    }
    st = scan(ix, KZ_FMT_ZEEK, log, n);
    assert_int_equal(st.lines, lines);
    assert_int_equal(st.bad_lines, want_bad);
    assert_int_equal(st.hit_lines, want_hit);
    free(log);
    kz_match_index_free(ix);
}

/* A line of 3 MB: the split finds its end and columns like any other. */
static void
test_zeek_split_huge_line_once(void **state)
{
    struct kz_match_index *ix = index_of("evil.example\n", NULL);
    size_t big = (size_t)3 << 20, n;
    char *log = malloc(big + 256);
    struct kz_match_stats st;
    (void)state;
    n = (size_t)snprintf(log, 256, "#fields\tts\tquery\tanswers\n1\t");
    memset(log + n, 'x', big);
    n += big;
    n += (size_t)snprintf(log + n, 128, "\tevil.example\n1\tevil.example\t-\n1\t\t\n");
    st = scan(ix, KZ_FMT_ZEEK, log, n);
    assert_int_equal(st.lines, 3);
    assert_int_equal(st.bad_lines, 0);
    /* the huge line's query column holds the x's; its answers column the name */
    assert_int_equal(st.hit_lines, 2);
    free(log);
    kz_match_index_free(ix);
}

/*
 * A header of 150 columns with wanted ones around the 64-separator words (0, 62..66,
 * 126..129, 149) and random filler widths, so the wanted separators fall anywhere in the
 * 64-byte blocks: each line's hit (or not) is known, whatever the split's variant finds.
 */
static void
test_zeek_split_wide_once(void **state)
{
    static const unsigned cols[] = {0, 62, 63, 64, 65, 66, 126, 127, 128, 129, 149};
    static const char *const names[] = {"query", "id.orig_h", "answers", "query", "id.resp_h",
                                        "server_name", "answers", "query", "id.orig_h",
                                        "query", "answers"};
    struct kz_match_index *ix = index_of("evil.example\n192.0.2.0/24\n2001:db8::/32\n", NULL);
    size_t cap = 1 << 24, n = 0, want_hit = 0, want_bad = 0, lines = 0;
    char *log = malloc(cap);
    uint32_t r = 12345;
    struct kz_match_stats st;
    (void)state;
    n += (size_t)snprintf(log + n, cap - n, "#fields");
    for (unsigned c = 0, w = 0; c < 150; c++) {
        if (w < 11 && cols[w] == c)
            n += (size_t)snprintf(log + n, cap - n, "\t%s", names[w++]);
        else
            n += (size_t)snprintf(log + n, cap - n, "\tx%u", c);
    }
    log[n++] = '\n';
    for (unsigned line = 0; line < 2000; line++) {
        unsigned hit_col, bad;
        r = r * 1103515245u + 12345u;
        hit_col = (r >> 8) % 16;                 /* < 11: the wanted column holding the hit */
        bad = (r >> 20) % 23 == 0 ? 1 + (r >> 24) % 2 : 0; /* a column missing or extra */
        for (unsigned c = 0, w = 0; c < 150u + (bad == 2) - (bad == 1); c++) {
            bool wanted = w < 11 && cols[w] == c;
            if (c)
                log[n++] = '\t';
            r = r * 1103515245u + 12345u;
            if (wanted && w == hit_col) {
                /* addresses in address columns, names in name columns, both in answers */
                const char *a = names[w][0] == 'i' || (names[w][0] == 'a' && (r >> 9) & 1)
                                    ? ((r >> 10) & 1 ? "192.0.2.77" : "2001:DB8::1")
                                    : ((r >> 10) & 1 ? "www.EVIL.example" : "evil\\x2eexample");
                n += (size_t)snprintf(log + n, cap - n, "%s", a);
            } else if (wanted) {
                static const char *const miss[] = {"-", "(empty)", "", "198.51.100.1",
                                                   "good.example", "fe80::1", "10.0.0.53,a.b"};
                n += (size_t)snprintf(log + n, cap - n, "%s", miss[(r >> 12) % 7]);
            } else {
                for (unsigned k = (r >> 16) % ((r >> 3) % 5 == 0 ? 90 : 6); k > 0; k--)
                    log[n++] = (char)('a' + k % 26);
            }
            w += wanted;
        }
        log[n++] = '\n';
        lines++;
        want_bad += bad != 0;
        want_hit += bad == 0 && hit_col < 11;
    }
    st = scan(ix, KZ_FMT_ZEEK, log, n);
    assert_int_equal(st.lines, lines);
    assert_int_equal(st.bad_lines, want_bad);
    assert_int_equal(st.hit_lines, want_hit);
    free(log);
    kz_match_index_free(ix);
}

/* Every split variant this processor can run (bytes, SSE2, AVX2, + pdep, AVX-512) on each test. */
static void
each_split(void **state, void (*fn)(void **))
{
    for (unsigned isa = 0; isa <= 4; isa++) {
        kz_match__zeek_split_cap(isa);
        fn(state);
    }
}

static void
test_zeek_split_shapes(void **state)
{
    each_split(state, test_zeek_split_shapes_once);
}

static void
test_zeek_split_every_length(void **state)
{
    each_split(state, test_zeek_split_every_length_once);
}

static void
test_zeek_split_huge_line(void **state)
{
    each_split(state, test_zeek_split_huge_line_once);
}

static void
test_zeek_split_wide(void **state)
{
    each_split(state, test_zeek_split_wide_once);
}

/*
 * Hits of an address in the last column (parsed byte by byte: fewer than 16 bytes follow)
 * and before a long one (parsed by vector where the processor can); both must agree.
 */
static uint64_t
one_ip(const struct kz_match_index *ix, const char *ip)
{
    char line[160];
    int n = snprintf(line, sizeof(line), "#fields\tid.orig_h\n%s\n", ip);
    uint64_t last = scan(ix, KZ_FMT_ZEEK, line, (size_t)n).hit_lines;
    n = snprintf(line, sizeof(line), "#fields\tid.orig_h\tuid\n%s\t0123456789abcdef\n", ip);
    assert_int_equal(scan(ix, KZ_FMT_ZEEK, line, (size_t)n).hit_lines, last);
    return last;
}

static void
check_ranges(const struct kz_match_index *ix)
{
    assert_int_equal(one_ip(ix, "10.1.2.3"), 1);       /* 10.0.0.0/8 */
    assert_int_equal(one_ip(ix, "11.0.0.0"), 0);
    assert_int_equal(one_ip(ix, "172.16.15.255"), 1);  /* 172.16.0.0/20 */
    assert_int_equal(one_ip(ix, "172.16.16.0"), 0);
    assert_int_equal(one_ip(ix, "192.0.2.127"), 1);    /* 192.0.2.0/25 */
    assert_int_equal(one_ip(ix, "192.0.2.128"), 0);
    assert_int_equal(one_ip(ix, "198.51.100.7"), 1);   /* /32 */
    assert_int_equal(one_ip(ix, "198.51.100.8"), 0);
    assert_int_equal(one_ip(ix, "198.51.100.07"), 1);  /* leading zero: the same octet */
    assert_int_equal(one_ip(ix, "198.51.100.1007"), 0);
    assert_int_equal(one_ip(ix, "198.51.100"), 0);
    assert_int_equal(one_ip(ix, "198.51.100.7.1"), 0);
    assert_int_equal(one_ip(ix, "198.51.256.7"), 0);
}

static void
test_ipv4_filter(void **state)
{
    const char *few = "10.0.0.0/8\n172.16.0.0/20\n192.0.2.0/25\n198.51.100.7\n";
    struct kz_match_index *ix = index_of(few, NULL);
    size_t cap = 400000 * 20, n;
    char *many;
    (void)state;
    assert_int_equal(ix->v4f_bits, 16);
    check_ranges(ix);
    kz_match_index_free(ix);
    /* Enough addresses for the widest filter (one bit a /24); none near the tested ones. */
    many = malloc(cap);
    n = (size_t)snprintf(many, cap, "%s", few);
    for (uint32_t i = 0; i < 300000; i++)
        n += (size_t)snprintf(many + n, cap - n, "%u.%u.%u.%u\n", 100 + i % 50, (i / 50) % 256,
                              (i * 7) % 256, i % 251);
    ix = index_of(many, NULL);
    assert_int_equal(ix->v4f_bits, 24);
    check_ranges(ix);
    kz_match_index_free(ix);
    /* /0 covers everything. */
    ix = index_of("0.0.0.0/0\n", NULL);
    assert_int_equal(one_ip(ix, "203.0.113.9"), 1);
    kz_match_index_free(ix);
    free(many);
}

static void
test_parse_ipv4(void **state)
{
    uint8_t a[4];
    unsigned plen;
    (void)state;
    assert_true(kz_match__parse_ipv4("1.2.3.4", 7, a, &plen, false));
    assert_int_equal(a[3], 4);
    assert_true(kz_match__parse_ipv4("255.255.255.255", 15, a, &plen, false));
    assert_false(kz_match__parse_ipv4("1.2.3.4/8", 9, a, &plen, false));
    assert_true(kz_match__parse_ipv4("1.2.3.4/8", 9, a, &plen, true));
    assert_int_equal(plen, 8);
    assert_false(kz_match__parse_ipv4("1.2.3.4/33", 10, a, &plen, true));
    assert_false(kz_match__parse_ipv4("1.2.3.4/08", 10, a, &plen, true));
    assert_false(kz_match__parse_ipv4(".1.2.3", 6, a, &plen, false));
    assert_false(kz_match__parse_ipv4("1..2.3", 6, a, &plen, false));
    assert_false(kz_match__parse_ipv4("1.2.3.", 6, a, &plen, false));
    assert_false(kz_match__parse_ipv4("1.2.3.4 ", 8, a, &plen, false));
    assert_false(kz_match__parse_ipv4("0001.2.3.4", 10, a, &plen, false));
}

/*
 * Addresses and near-addresses (digits, dots, a few other bytes, 1 to 17 bytes) in an
 * address column and in the answers, against a /0: a line hits exactly when
 * kz_match__parse_ipv4 takes its value, with 16 bytes after it (vector parse) or not.
 */
static void
test_ipv4_vector_parse(void **state)
{
    static const char alphabet[] = "0123456789012345678901234567890123456789....a:/-";
    struct kz_match_index *ix = index_of("0.0.0.0/0\n", NULL);
    size_t cap = 1 << 21, n = 0, want = 0, lines = 0;
    char *log = malloc(cap);
    uint32_t r = 99;
    struct kz_match_stats st;
    (void)state;
    n += (size_t)snprintf(log, cap, "#fields\tid.orig_h\tuid\tanswers\tx\tid.resp_h\n");
    for (unsigned i = 0; i < 20000; i++) {
        char v[24];
        size_t vn;
        uint8_t a[4];
        unsigned plen;
        r = r * 1103515245u + 12345u;
        if ((r >> 28) < 10) { /* a quad, then perhaps one byte changed */
            /* octets of 1 to 4 digits, some past 255, some with leading zeros */
            vn = (size_t)snprintf(v, sizeof(v), (r >> 27) & 1 ? "%u.%u.%u.%u" : "%u.%03u.%u.%02u",
                                  (r >> 3) % 1200, (r >> 7) % 256, (r >> 11) % 100,
                                  (r >> 15) % 1000);
            r = r * 1103515245u + 12345u;
            if ((r >> 29) == 0)
                v[(r >> 8) % vn] = alphabet[(r >> 16) % (sizeof(alphabet) - 1)];
        } else {
            vn = 1 + (r >> 4) % 17;
            for (size_t j = 0; j < vn; j++) {
                r = r * 1103515245u + 12345u;
                v[j] = alphabet[(r >> 16) % (sizeof(alphabet) - 1)];
            }
        }
        v[vn] = '\0';
        bool ok = kz_match__parse_ipv4(v, vn, a, &plen, false);
        /* an address column and the answers with 16 bytes after them; the last column */
        n += (size_t)snprintf(log + n, cap - n, "%s\t0123456789abcdef\t-\tx\t-\n", v);
        n += (size_t)snprintf(log + n, cap - n, "-\t-\t%s\t0123456789abcdef\t-\n", v);
        n += (size_t)snprintf(log + n, cap - n, "-\t-\t-\tx\t%s\n", v);
        lines += 3;
        want += ok ? 3 : 0;
    }
    st = scan(ix, KZ_FMT_ZEEK, log, n);
    assert_int_equal(st.lines, lines);
    assert_int_equal(st.bad_lines, 0);
    /* an answer that is no address is a name: no hit (the index has no names) */
    assert_int_equal(st.hit_lines, want);
    free(log);
    kz_match_index_free(ix);
}

static void
test_domain_labels(void **state)
{
    struct kz_match_index *ix = index_of("Example.COM\nd.c.b.a.deep.example.org\n", NULL);
    const char *log = "#fields\tquery\n"
                      "www.example.com\n"           /* parent, 2 labels */
                      "WWW.EXAMPLE.COM..\n"         /* case and trailing dots */
                      "xexample.com\n"              /* glued: no */
                      "example.com.evil\n"          /* not a suffix: no */
                      "z.D.C.B.A.DEEP.EXAMPLE.ORG\n" /* 8 labels, key of 7 */
                      "c.b.a.deep.example.org\n"    /* a parent of the key: no */
                      "com\n";                      /* one label: no */
    struct kz_match_stats st;
    (void)state;
    st = scan(ix, KZ_FMT_ZEEK, log, strlen(log));
    assert_int_equal(st.lines, 7);
    assert_int_equal(st.hit_lines, 3);
    kz_match_index_free(ix);
}

static void
test_load_tail(void **state)
{
    unsigned char buf[24];
    (void)state;
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (unsigned char)(0xa1 + i * 7);
    for (size_t at = 0; at < 8; at++) {
        for (size_t n = 0; n < 8; n++) {
            uint64_t want = 0;
            memcpy(&want, buf + at, n);
            assert_true(kz_match__load_tail(buf + at, n) == want);
        }
    }
    /* Tails go through the hash: the same bytes at another address hash the same. */
    for (size_t n = 0; n < 17; n++) {
        unsigned char other[32];
        memcpy(other + 5, buf, n);
        assert_true(kz_match__hash(3, 0, buf, n) == kz_match__hash(3, 0, other + 5, n));
    }
}

static void
test_domain_tlds(void **state)
{
    struct kz_match_index *ix =
        index_of("evil.example\nA.Onion\nx.verylonglabel\nz.eightch8\nAb.cd\n", NULL);
    const char *log = "#fields\tquery\n"
                      "www.EVIL.EXAMPLE\n"     /* last label in capitals */
                      "www.evil.example.com\n" /* another last label: no */
                      "a.b.onion\n"            /* key A.Onion: b.onion is no suffix of it */
                      "q.a.onion\n"            /* yes */
                      "EVIL.EXAMPLE.\n"        /* a trailing dot */
                      "example\n"              /* one label: no */
                      "y.x.VeryLongLabel\n"    /* a last label past eight bytes */
                      "y.verylonglabel\n"      /* no */
                      "z.eightch8\n"           /* a last label of eight bytes */
                      "z.eightch9\n"           /* no */
                      "ab.CD\n"                /* names of 5, 8 and 10 bytes: yes */
                      "zz.ab.cd\n"
                      "z.zz.ab.cd\n"
                      "ab.cde\n"               /* no */
                      "b.cd\n";                /* no */
    struct kz_match_stats st;
    (void)state;
    st = scan(ix, KZ_FMT_ZEEK, log, strlen(log));
    assert_int_equal(st.lines, 15);
    assert_int_equal(st.hit_lines, 8);
    kz_match_index_free(ix);
}

#define IND(n, pattern)                                                                       \
    "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--00000000-0000-4000-8000-00000000000" n \
    "\",\"created\":\"2024-01-01T00:00:00Z\",\"modified\":\"2024-01-01T00:00:00Z\",\"pattern\":\"" pattern \
    "\",\"pattern_type\":\"stix\",\"valid_from\":\"2020-01-01T00:00:00Z\"}\n"

static void
test_evaluator(void **state)
{
    const char *inds =
        IND("1", "[network-traffic:dst_ref.value = '10.0.0.53' AND network-traffic:src_ref.value ISSUBSET '10.1.0.0/16']")
        IND("2", "[domain-name:value LIKE '%.bad-cdn.io']")
        IND("3", "[domain-name:value = 'plain.example']")
        IND("4", "[url:value MATCHES '^http://[a-z0-9.]+/gate[0-9]+[.]php']")
        IND("5", "[domain-name:value = 'x.example' OR domain-name:value MATCHES '^y[0-9]+[.]example$']")
        IND("6", "[file:hashes.MD5 = 'not a hash' AND domain-name:value = 'never.example'")
        IND("7", "[x-custom:thing = 'a'] FOLLOWEDBY [domain-name:value = 'plain.example']")
        IND("8", "[ipv4-addr:value = '999.1.1.1']")
        IND("9", "[file:hashes.'SHA-256' MATCHES '^e3b0c442']");
    struct kz_match_load_stats ls = {0};
    struct kz_match_index *ix = index_of(inds, &ls);
    const char *zeek = "#fields\tts\tid.orig_h\tid.resp_h\tquery\n"
                       "1700000000.0\t10.1.2.3\t10.0.0.53\twww.example.com\n" /* 1 */
                       "1700000000.1\t10.2.0.1\t10.0.0.53\ta.bad-cdn.io.x\n"  /* 2: not at the end: no */
                       "1700000000.2\t10.2.0.1\t10.0.0.53\ta.bad-cdn.io\n"    /* 2 */
                       "1700000000.3\t10.1.0.9\t10.0.0.54\tplain.example\n"   /* 3 by the index */
                       "1700000000.4\t10.2.0.1\t10.0.0.53\ty12.example\n"     /* 5 by the evaluator */
                       "1700000000.5\t10.2.0.1\t10.0.0.53\tx.example\n";      /* 5 by the index */
    const char *eve = "{\"timestamp\":\"2024-01-01T00:00:00+0000\",\"event_type\":\"http\","
                      "\"src_ip\":\"10.9.9.9\",\"dest_ip\":\"192.0.2.1\",\"http\":{\"hostname\":"
                      "\"c2.example\",\"url\":\"/gate7.php?id=1\"}}\n"
                      "{\"timestamp\":\"2024-01-01T00:00:01+0000\",\"event_type\":\"fileinfo\","
                      "\"src_ip\":\"10.9.9.9\",\"fileinfo\":{\"sha256\":"
                      "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"}}\n";
    struct kz_match_stats st;
    (void)state;
    /*
     * 6 does not parse; 7 parses and goes to the evaluator like 1, 2, 4, 5 and 9; 8 is an
     * address that is none: neither the index nor the evaluator takes it.
     */
    assert_int_equal(ls.bad, 1);
    assert_int_equal(ls.evaluated, 6);
    assert_int_equal(ls.indicators, 7);
    assert_int_equal(ls.unsupported, 1);
    st = scan(ix, KZ_FMT_ZEEK, zeek, strlen(zeek));
    assert_int_equal(st.lines, 6);
    assert_int_equal(st.hit_lines, 5);
    assert_int_equal(st.matches, 5);
    /* The URL pattern on the http event, the file pattern (and only it) on the fileinfo. */
    st = scan(ix, KZ_FMT_EVE, eve, strlen(eve));
    assert_int_equal(st.hit_lines, 2);
    assert_int_equal(st.matches, 2);
    kz_match_index_free(ix);
}

static void
test_address_memo(void **state)
{
    /* 192.0.2.9 is valid from 1700000001; 10.0.0.53 is listed for good. */
    const char *inds =
        "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--00000000-0000-4000-8000-000000000001\","
        "\"created\":\"2024-01-01T00:00:00Z\",\"modified\":\"2024-01-01T00:00:00Z\",\"pattern\":\"[ipv4-addr:value = '192.0.2.9']\","
        "\"pattern_type\":\"stix\",\"valid_from\":\"2023-11-14T22:13:21Z\"}\n"
        "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--00000000-0000-4000-8000-000000000002\","
        "\"created\":\"2024-01-01T00:00:00Z\",\"modified\":\"2024-01-01T00:00:00Z\",\"pattern\":\"[ipv4-addr:value = '10.0.0.53']\","
        "\"pattern_type\":\"stix\",\"valid_from\":\"2020-01-01T00:00:00Z\"}\n";
    struct kz_match_index *ix = index_of(inds, NULL);
    const char *log = "#fields\tts\tid.orig_h\tid.resp_h\n"
                      "1700000000.0\t10.0.0.1\t192.0.2.9\n" /* found, not yet valid */
                      "1700000002.0\t10.0.0.1\t192.0.2.9\n" /* the same bytes, valid now */
                      "1700000003.0\t10.0.0.1\t192.0.2.8\n" /* nothing */
                      "1700000004.0\t10.0.0.1\t192.0.2.8\n" /* nothing, remembered */
                      "1700000005.0\t10.0.0.53\t192.0.2.8\n" /* the other column */
                      "1700000006.0\t10.0.0.53\t192.0.2.9\n"; /* both */
    struct kz_match_stats st;
    (void)state;
    st = scan(ix, KZ_FMT_ZEEK, log, strlen(log));
    assert_int_equal(st.lines, 6);
    assert_int_equal(st.hit_lines, 3);
    assert_int_equal(st.matches, 4);
    kz_match_index_free(ix);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zeek_split_shapes),
        cmocka_unit_test(test_zeek_split_every_length),
        cmocka_unit_test(test_zeek_split_huge_line),
        cmocka_unit_test(test_zeek_split_wide),
        cmocka_unit_test(test_ipv4_filter),
        cmocka_unit_test(test_parse_ipv4),
        cmocka_unit_test(test_ipv4_vector_parse),
        cmocka_unit_test(test_domain_labels),
        cmocka_unit_test(test_load_tail),
        cmocka_unit_test(test_domain_tlds),
        cmocka_unit_test(test_address_memo),
        cmocka_unit_test(test_evaluator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
