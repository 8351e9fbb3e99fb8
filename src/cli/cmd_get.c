/* kizuna get: read a TAXII 2.1 collection, of kizuna or any other server, page by page. */
#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/id.h"
#include "base/json.h"
#include "cli/cli.h"
#include "taxii/client.h"
#include "base/banned.h"

static const char get_usage[] =
    "usage: kizuna get --url URL --key ID:TOKEN --collection C [--added-after T]\n"
    "                  [--limit N] [--id ID,...] [--type T,...] [--version V,...]\n"
    "                  [--spec-version 2.1] [--max-pages N] [--lines] [--cacert F]\n\n"
    "Reads objects of a collection, following 'next' over every page, and prints them as\n"
    "one STIX bundle (or one object a line with --lines). --cacert F trusts the CAs in F.\n";

/* Appends "&name=value" (value URL-escaped) to a query string. */
static void
add_query(struct kz_buf *q, const char *name, const char *value)
{
    char *esc;

    if (!value)
        return;
    esc = curl_easy_escape(NULL, value, 0);
    kz_buf_printf(q, "%c%s=%s", strchr(kz_buf_cstr(q), '?') ? '&' : '?', name, esc ? esc : "");
    curl_free(esc);
}

int
kz_cmd_get(int argc, char **argv)
{
    static const struct option opts[] = {
        {"url", required_argument, NULL, 'u'},          {"key", required_argument, NULL, 'k'},
        {"collection", required_argument, NULL, 'c'},   {"added-after", required_argument, NULL, 'a'},
        {"limit", required_argument, NULL, 'l'},        {"id", required_argument, NULL, 'i'},
        {"type", required_argument, NULL, 't'},         {"version", required_argument, NULL, 'v'},
        {"spec-version", required_argument, NULL, 's'}, {"max-pages", required_argument, NULL, 'm'},
        {"lines", no_argument, NULL, 'L'},              {"json", no_argument, NULL, 'j'},
        {"cacert", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},               {NULL, 0, NULL, 0}};
    const char *url = NULL, *key = NULL, *coll = NULL, *added_after = NULL, *limit = NULL,
               *ids = NULL, *types = NULL, *versions = NULL, *spec = NULL, *cacert = NULL;
    uint64_t max_pages = UINT64_MAX;
    struct kz_taxii_client client;
    struct kz_buf query, body, path;
    json_t *all = json_array();
    char coll_id[64], next[64] = "", bundle_id[KZ_STIX_ID_MAX];
    bool lines = false;
    int c, rc = 1;

    kz_cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'u': url = optarg; break;
        case 'k': key = optarg; break;
        case 'c': coll = optarg; break;
        case 'a': added_after = optarg; break;
        case 'l': limit = optarg; break;
        case 'i': ids = optarg; break;
        case 't': types = optarg; break;
        case 'v': versions = optarg; break;
        case 's': spec = optarg; break;
        case 'm':
            if (kz_str_to_u64(kz_str_from_cstr(optarg), 1, UINT32_MAX, &max_pages) != KZ_OK) {
                fprintf(stderr, "kizuna get: --max-pages must be a positive integer\n");
                json_decref(all);
                return 2;
            }
            break;
        case 'L': lines = true; break;
        case 'C': cacert = optarg; break;
        case 'j': break; /* the output is JSON already */
        case 'h': fputs(get_usage, stdout); json_decref(all); return 0;
        default: fputs(get_usage, stderr); json_decref(all); return 2;
        }
    }
    if (!url || !coll || optind != argc) {
        fputs(get_usage, stderr);
        json_decref(all);
        return 2;
    }
    kz_buf_init(&query, 8192);
    kz_buf_init(&path, 16384);
    kz_buf_init(&body, 512u * 1024 * 1024);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (kz_cli_taxii_connect(&client, url, key, cacert, coll, coll_id) != 0)
        goto done;
    add_query(&query, "added_after", added_after);
    add_query(&query, "limit", limit);
    add_query(&query, "match[id]", ids);
    add_query(&query, "match[type]", types);
    add_query(&query, "match[version]", versions);
    add_query(&query, "match[spec_version]", spec);
    for (uint64_t page = 0; page < max_pages; page++) {
        json_t *doc, *o;
        long status = 0;
        size_t i;

        kz_buf_reset(&path);
        kz_buf_printf(&path, "collections/%s/objects/%s", coll_id, kz_buf_cstr(&query));
        if (next[0])
            add_query(&path, "next", next);
        if (kz_taxii_client_get(&client, kz_buf_cstr(&path), &status, &body) != KZ_OK) {
            fprintf(stderr, "kizuna get: %s\n", client.error);
            goto done;
        }
        doc = json_loadb(kz_buf_cstr(&body), body.n, 0, NULL);
        if (status != 200 || !doc) {
            const char *d = doc ? kz_json_str(doc, "description") : NULL;
            fprintf(stderr, "kizuna get: HTTP %ld%s%s\n", status, d ? ": " : "", d ? d : "");
            json_decref(doc);
            goto done;
        }
        json_array_foreach(json_object_get(doc, "objects"), i, o) {
            if (lines) {
                char *t = json_dumps(o, JSON_COMPACT);
                printf("%s\n", t ? t : "");
                free(t);
            } else {
                json_array_append(all, o);
            }
        }
        next[0] = '\0';
        if (json_is_true(json_object_get(doc, "more")) && kz_json_str(doc, "next"))
            snprintf(next, sizeof(next), "%s", kz_json_str(doc, "next"));
        json_decref(doc);
        if (!next[0])
            break;
    }
    if (!lines) {
        kz_stix_id_new("bundle", bundle_id);
        kz_cli_print_json(json_pack("{s:s, s:s, s:O}", "type", "bundle", "id", bundle_id,
                                    "objects", all));
    }
    rc = 0;
done:
    kz_taxii_client_close(&client);
    curl_global_cleanup();
    kz_buf_release(&query);
    kz_buf_release(&path);
    kz_buf_release(&body);
    json_decref(all);
    return rc;
}
