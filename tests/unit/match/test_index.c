/* Unit tests of the match index: each kind of value, normalisation and the readers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <string.h>

#include "match/match.h"
#include "match/match_int.h"

static struct kz_match_index *
index_of(const char *list)
{
    struct kz_match_index *ix = kz_match_index_new();
    struct kz_match_load_stats st = {0};
    assert_int_equal(kz_match_index_load(ix, list, strlen(list), 0, &st), KZ_OK);
    assert_int_equal(kz_match_index_finish(ix), KZ_OK);
    return ix;
}

/* Matches counted for one line read in the given format. */
static uint64_t
hits(const struct kz_match_index *ix, enum kz_match_format f, const char *text,
     struct kz_match_stats *out)
{
    struct kz_match_scan_opts o = {.format = f};
    struct kz_match_scanner *s;
    uint64_t m;

    assert_int_equal(kz_match_scanner_new(ix, &o, &s), KZ_OK);
    kz_match_scanner_feed(s, text, strlen(text), 1);
    m = kz_match_scanner_stats(s)->matches;
    if (out)
        *out = *kz_match_scanner_stats(s);
    kz_match_scanner_free(s);
    return m;
}

static uint64_t
text_hits(const struct kz_match_index *ix, const char *line)
{
    return hits(ix, KZ_FMT_TEXT, line, NULL);
}

static void
test_cidr_edges(void **state)
{
    struct kz_match_index *ix = index_of("192.0.2.0/24\n198.51.100.7\n10.0.0.0/8\n0.0.0.0/0x\n");
    (void)state;
    assert_int_equal(text_hits(ix, "192.0.2.0"), 1);
    assert_int_equal(text_hits(ix, "192.0.2.255"), 1);
    assert_int_equal(text_hits(ix, "192.0.3.0"), 0);
    assert_int_equal(text_hits(ix, "192.0.1.255"), 0);
    assert_int_equal(text_hits(ix, "198.51.100.7"), 1);
    assert_int_equal(text_hits(ix, "198.51.100.8"), 0);
    assert_int_equal(text_hits(ix, "10.255.255.255"), 1);
    assert_int_equal(text_hits(ix, "11.0.0.0"), 0);
    assert_int_equal(text_hits(ix, "256.0.2.1"), 0);
    kz_match_index_free(ix);
}

static void
test_ipv6(void **state)
{
    struct kz_match_index *ix = index_of("2001:db8::/32\nfe80::1\n::ffff:192.0.2.1\n");
    (void)state;
    assert_int_equal(text_hits(ix, "2001:db8:ffff::1"), 1);
    assert_int_equal(text_hits(ix, "2001:db9::1"), 0);
    assert_int_equal(text_hits(ix, "FE80:0:0:0:0:0:0:1"), 1);
    assert_int_equal(text_hits(ix, "::ffff:c000:201"), 1);
    assert_int_equal(text_hits(ix, "fe80::2"), 0);
    kz_match_index_free(ix);
}

static void
test_parent_domains(void **state)
{
    struct kz_match_index *ix = index_of("Example.COM.\nexact.org\n");
    (void)state;
    assert_int_equal(text_hits(ix, "example.com"), 1);
    assert_int_equal(text_hits(ix, "a.b.EXAMPLE.com."), 1);
    assert_int_equal(text_hits(ix, "notexample.com"), 0);
    assert_int_equal(text_hits(ix, "example.com.evil.net"), 0);
    assert_int_equal(text_hits(ix, "www.exact.org"), 1);
    assert_int_equal(text_hits(ix, "org"), 0);
    kz_match_index_free(ix);
}

static void
test_url_normalisation(void **state)
{
    char out[256];
    size_t n;
    (void)state;
    n = kz_match__norm_url("HTTP://Example.COM:80/a%7Eb/%2fc?x=%41#frag", 43, out, sizeof(out));
    assert_int_equal(n, strlen("example.com/a~b/%2Fc?x=A"));
    assert_memory_equal(out, "example.com/a~b/%2Fc?x=A", n);
    n = kz_match__norm_url("https://example.com:443", 23, out, sizeof(out));
    assert_memory_equal(out, "example.com/", n);
    n = kz_match__norm_url("https://example.com:8443/", 24, out, sizeof(out));
    assert_memory_equal(out, "example.com:8443/", n);
    n = kz_match__norm_url("http://user:pw@Host.example/p", 29, out, sizeof(out));
    assert_memory_equal(out, "host.example/p", n);
    n = kz_match__norm_url_parts("Host.Example:80", 15, "/p%41th", 7, out, sizeof(out));
    assert_memory_equal(out, "host.example/pAth", n);

    struct kz_match_index *ix = index_of("http://evil.example/gate.php?id=1\n");
    assert_int_equal(text_hits(ix, "GET HTTP://EVIL.example:80/gate.php?id=1 200"), 1);
    assert_int_equal(text_hits(ix, "GET http://evil.example/gate.php?id=2"), 0);
    const char *eve = "{\"timestamp\":\"2024-01-01T00:00:00.000000+0000\",\"event_type\":\"http\","
                      "\"src_ip\":\"10.0.0.1\",\"dest_ip\":\"10.0.0.2\",\"http\":{\"url\":"
                      "\"\\/gate.php?id=1\",\"hostname\":\"EVIL.example\"}}\n";
    assert_int_equal(hits(ix, KZ_FMT_EVE, eve, NULL), 1);
    kz_match_index_free(ix);
}

static void
test_hash_lengths(void **state)
{
    struct kz_match_index *ix = index_of(
        "d41d8cd98f00b204e9800998ecf8427e\n"
        "da39a3ee5e6b4b0d3255bfef95601890afd80709\n"
        "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\n"
        "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e\n");
    uint8_t b[64];
    size_t bn;
    (void)state;
    assert_int_equal(kz_match_index_keys(ix), 4);
    assert_int_equal(text_hits(ix, "md5 D41D8CD98F00B204E9800998ECF8427E"), 1);
    assert_int_equal(text_hits(ix, "da39a3ee5e6b4b0d3255bfef95601890afd80709"), 1);
    assert_int_equal(text_hits(ix, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), 1);
    assert_int_equal(text_hits(ix, "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"), 1);
    assert_int_equal(text_hits(ix, "d41d8cd98f00b204e9800998ecf8427f"), 0);
    assert_int_equal(kz_match__parse_hash("xyz", 3, b, &bn), KZ_MATCH_NONE);
    kz_match_index_free(ix);
}

static void
test_email(void **state)
{
    struct kz_match_index *ix = index_of("Bad.Actor@Example.org\n");
    (void)state;
    assert_int_equal(text_hits(ix, "from bad.actor@example.ORG"), 1);
    assert_int_equal(text_hits(ix, "from good@example.org"), 0);
    kz_match_index_free(ix);
}

static void
test_recognise(void **state)
{
    (void)state;
    assert_int_equal(kz_match_recognise(kz_str_lit("10.0.0.0/8")), KZ_MATCH_IPV4);
    assert_int_equal(kz_match_recognise(kz_str_lit("::1")), KZ_MATCH_IPV6);
    assert_int_equal(kz_match_recognise(kz_str_lit("a.example")), KZ_MATCH_DOMAIN);
    assert_int_equal(kz_match_recognise(kz_str_lit("ftp://a.example/x")), KZ_MATCH_URL);
    assert_int_equal(kz_match_recognise(kz_str_lit("a@b.example")), KZ_MATCH_EMAIL);
    assert_int_equal(kz_match_recognise(kz_str_lit("not a value")), KZ_MATCH_NONE);
}

static void
test_line_counted_once(void **state)
{
    struct kz_match_index *ix = index_of("192.0.2.1\nevil.example\n");
    struct kz_match_stats st;
    (void)state;
    hits(ix, KZ_FMT_TEXT, "192.0.2.1 192.0.2.1 evil.example\nnothing\n", &st);
    assert_int_equal(st.lines, 2);
    assert_int_equal(st.hit_lines, 1);
    assert_int_equal(st.matches, 2);
    kz_match_index_free(ix);
}

static void
test_zeek_tsv(void **state)
{
    struct kz_match_index *ix = index_of("evil.example\n192.0.2.0/24\n");
    struct kz_match_stats st;
    const char *log = "#separator \\x09\n#set_separator\t,\n"
                      "#fields\tts\tid.orig_h\tid.resp_h\tquery\tanswers\n"
                      "1700000000.000000\t10.0.0.1\t10.0.0.53\twww.EVIL.example\t-\n"
                      "1700000000.000001\t10.0.0.1\t10.0.0.53\tgood.example\tcdn.good,192.0.2.9\n"
                      "1700000000.000002\t10.0.0.1\t10.0.0.53\tgood.example\t(empty)\n"
                      "1700000000.000003\t10.0.0.1\ttoo few\n";
    (void)state;
    hits(ix, KZ_FMT_ZEEK, log, &st);
    assert_int_equal(st.lines, 4);
    assert_int_equal(st.bad_lines, 1);
    assert_int_equal(st.bad_at[0], 7);
    assert_int_equal(st.hit_lines, 2);
    kz_match_index_free(ix);
}

static void
test_eve_and_malformed(void **state)
{
    struct kz_match_index *ix = index_of("evil.example\n192.0.2.1\n");
    struct kz_match_stats st;
    const char *log =
        "{\"timestamp\":\"2024-01-01T00:00:00+0000\",\"event_type\":\"dns\",\"src_ip\":\"10.0.0.1\","
        "\"dest_ip\":\"10.0.0.53\",\"dns\":{\"queries\":[{\"rrname\":\"a.evil.example\"}]}}\n"
        "{\"event_type\":\"tls\",\"src_ip\":\"10.0.0.1\",\"dest_ip\":\"10.0.0.2\",\"tls\":{\"sni\":\"EVIL.example.\"}}\n"
        "{\"event_type\":\"dns\",\"dns\":{\"grouped\":{\"A\":[\"192.0.2.1\"]}}}\n"
        "{\"event_type\":\"flow\",\"src_ip\":\"192.0.2.1\"\n"
        "[1,2]\n";
    (void)state;
    hits(ix, KZ_FMT_EVE, log, &st);
    assert_int_equal(st.lines, 5);
    assert_int_equal(st.bad_lines, 2);
    assert_int_equal(st.hit_lines, 3);
    kz_match_index_free(ix);
}

static void
test_zeek_json(void **state)
{
    struct kz_match_index *ix = index_of("evil.example\n");
    struct kz_match_stats st;
    const char *log = "{\"_path\":\"dns\",\"ts\":1700000000.5,\"id.orig_h\":\"10.0.0.1\","
                      "\"query\":\"x.evil.example\",\"answers\":[\"1.2.3.4\"]}\n"
                      "{\"_path\":\"ssl\",\"ts\":\"2024-01-01T00:00:00Z\",\"server_name\":\"evil.example\"}\n"
                      "{\"_path\":\"dns\",\"query\":\"good.example\"}\n";
    (void)state;
    hits(ix, KZ_FMT_ZEEK_JSON, log, &st);
    assert_int_equal(st.hit_lines, 2);
    assert_int_equal(st.bad_lines, 0);
    kz_match_index_free(ix);
}

static void
test_csv(void **state)
{
    struct kz_match_index *ix = index_of("evil.example\n192.0.2.1\n");
    struct kz_match_stats st;
    const char *log = "ts,src,domain\n2024-01-01T00:00:00Z,192.0.2.1,good.example\n"
                      "2024-01-01T00:00:00Z,10.0.0.1,\"a.evil.example\"\n"
                      "2024-01-01T00:00:00Z,10.0.0.1\n";
    (void)state;
    hits(ix, KZ_FMT_CSV, log, &st);
    assert_int_equal(st.lines, 3);
    assert_int_equal(st.hit_lines, 2);
    assert_int_equal(st.bad_lines, 1);
    kz_match_index_free(ix);
}

static void
test_detect(void **state)
{
    (void)state;
    assert_int_equal(kz_match_detect("#separator \\x09\n", 16), KZ_FMT_ZEEK);
    assert_int_equal(kz_match_detect("{\"event_type\":\"dns\"}\n", 21), KZ_FMT_EVE);
    assert_int_equal(kz_match_detect("{\"_path\":\"dns\"}\n", 16), KZ_FMT_ZEEK_JSON);
    assert_int_equal(kz_match_detect("ts,src_ip,query\n", 16), KZ_FMT_CSV);
    assert_int_equal(kz_match_detect("hello world\n", 12), KZ_FMT_TEXT);
}

static void
test_validity(void **state)
{
    const char *stix =
        "{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":["
        "{\"type\":\"indicator\",\"id\":\"indicator--00000000-0000-4000-8000-000000000001\","
        "\"modified\":\"2024-01-01T00:00:00Z\",\"pattern\":\"[domain-name:value = 'a.example']\","
        "\"pattern_type\":\"stix\",\"valid_from\":\"2024-01-01T00:00:00Z\",\"valid_until\":\"2024-02-01T00:00:00Z\"},"
        "{\"type\":\"indicator\",\"id\":\"indicator--00000000-0000-4000-8000-000000000002\","
        "\"modified\":\"2024-01-01T00:00:00Z\",\"revoked\":true,\"pattern\":\"[domain-name:value = 'b.example']\","
        "\"pattern_type\":\"stix\",\"valid_from\":\"2024-01-01T00:00:00Z\"}]}";
    struct kz_match_index *ix = kz_match_index_new();
    struct kz_match_load_stats st = {0};
    struct kz_match_stats s;
    (void)state;
    /* "now" is inside the window, so the indicator is loaded. */
    assert_int_equal(kz_match_index_load(ix, stix, strlen(stix), INT64_C(1704100000000000), &st), KZ_OK);
    kz_match_index_finish(ix);
    assert_int_equal(st.indicators, 1);
    hits(ix, KZ_FMT_EVE,
         "{\"timestamp\":\"2024-01-15T00:00:00+0000\",\"tls\":{\"sni\":\"a.example\"}}\n"
         "{\"timestamp\":\"2024-03-01T00:00:00+0000\",\"tls\":{\"sni\":\"a.example\"}}\n"
         "{\"timestamp\":\"2023-12-31T23:59:59+0000\",\"tls\":{\"sni\":\"a.example\"}}\n"
         "{\"timestamp\":\"2024-01-15T00:00:00+0000\",\"tls\":{\"sni\":\"b.example\"}}\n",
         &s);
    assert_int_equal(s.hit_lines, 1);
    kz_match_index_free(ix);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cidr_edges),     cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_parent_domains), cmocka_unit_test(test_url_normalisation),
        cmocka_unit_test(test_hash_lengths),   cmocka_unit_test(test_email),
        cmocka_unit_test(test_recognise),      cmocka_unit_test(test_line_counted_once),
        cmocka_unit_test(test_zeek_tsv),       cmocka_unit_test(test_eve_and_malformed),
        cmocka_unit_test(test_zeek_json),      cmocka_unit_test(test_csv),
        cmocka_unit_test(test_detect),         cmocka_unit_test(test_validity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
