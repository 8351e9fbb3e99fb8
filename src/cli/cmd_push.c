/* kizuna push: post a STIX bundle to a TAXII 2.1 collection, of kizuna or any other server. */
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

#define PUSH_BATCH 1000 /* objects per envelope */

static const char push_usage[] =
    "usage: kizuna push --url URL --key ID:TOKEN --collection C [--cacert F] [--json] FILE|-\n\n"
    "Posts the objects of a STIX bundle (or a TAXII envelope) to a collection, in envelopes\n"
    "of at most 1000 objects. C is a collection id, alias or title. URL is the server, its\n"
    "discovery endpoint, or an API root. Exit status 1 when any object was refused.\n";

static int
push_batch(struct kz_taxii_client *c, const char *coll, json_t *objects, size_t from, size_t to,
           json_t *failures, size_t *ok, size_t *failed)
{
    json_t *env = json_object(), *arr = json_array(), *doc = NULL, *f;
    char *text;
    long status = 0;
    size_t i;
    kz_err err;

    for (i = from; i < to; i++)
        json_array_append(arr, json_array_get(objects, i));
    json_object_set_new(env, "objects", arr);
    text = json_dumps(env, JSON_COMPACT);
    json_decref(env);
    err = kz_taxii_client_post(c, coll, text, strlen(text), &status, &doc);
    free(text);
    if (err != KZ_OK) {
        fprintf(stderr, "kizuna push: %s\n", c->error);
        return 1;
    }
    *ok += (size_t)json_integer_value(json_object_get(doc, "success_count"));
    *failed += (size_t)json_integer_value(json_object_get(doc, "failure_count"));
    json_array_foreach(json_object_get(doc, "failures"), i, f)
        json_array_append(failures, f);
    json_decref(doc);
    return 0;
}

int
kz_cmd_push(int argc, char **argv)
{
    static const struct option opts[] = {{"url", required_argument, NULL, 'u'},
                                         {"key", required_argument, NULL, 'k'},
                                         {"collection", required_argument, NULL, 'c'},
                                         {"cacert", required_argument, NULL, 'C'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *url = NULL, *key = NULL, *coll = NULL, *cacert = NULL;
    struct kz_json_limits lim = {1000, 256u * 1024 * 1024};
    struct kz_taxii_client client;
    struct kz_buf in;
    json_t *doc = NULL, *objects, *failures = json_array(), *f;
    char coll_id[64], why[512];
    size_t ok = 0, failed = 0, n, i;
    bool json = false;
    int c, rc = 1;

    kz_cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'u': url = optarg; break;
        case 'k': key = optarg; break;
        case 'c': coll = optarg; break;
        case 'C': cacert = optarg; break;
        case 'j': json = true; break;
        case 'h': fputs(push_usage, stdout); json_decref(failures); return 0;
        default: fputs(push_usage, stderr); json_decref(failures); return 2;
        }
    }
    if (!url || !coll || optind + 1 != argc) {
        fputs(push_usage, stderr);
        json_decref(failures);
        return 2;
    }
    kz_buf_init(&in, 1024u * 1024 * 1024);
    if (kz_buf_read_file(&in, argv[optind]) != KZ_OK) {
        fprintf(stderr, "kizuna push: cannot read '%s'\n", argv[optind]);
        goto done;
    }
    if (kz_json_parse(in.p, in.n, &lim, &doc, why, sizeof(why)) != KZ_OK) {
        fprintf(stderr, "kizuna push: '%s': %s\n", argv[optind], why);
        goto done;
    }
    objects = json_object_get(doc, "objects");
    if (!json_is_array(objects)) {
        fprintf(stderr, "kizuna push: '%s' is not a STIX bundle or TAXII envelope\n",
                argv[optind]);
        goto done;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (kz_cli_taxii_connect(&client, url, key, cacert, coll, coll_id) != 0)
        goto done_client;
    n = json_array_size(objects);
    for (i = 0; i < n; i += PUSH_BATCH) {
        if (push_batch(&client, coll_id, objects, i, i + PUSH_BATCH < n ? i + PUSH_BATCH : n,
                       failures, &ok, &failed) != 0)
            goto done_client;
    }
    if (json) {
        kz_cli_print_json(json_pack("{s:I, s:I, s:I, s:O}", "total_count", (json_int_t)n,
                                    "success_count", (json_int_t)ok, "failure_count",
                                    (json_int_t)failed, "failures", failures));
    } else {
        printf("%zu objects: %zu stored, %zu refused\n", n, ok, failed);
        json_array_foreach(failures, i, f)
            printf("refused %s: %s\n", kz_json_str(f, "id"), kz_json_str(f, "message"));
    }
    rc = failed ? 1 : 0;
done_client:
    kz_taxii_client_close(&client);
    curl_global_cleanup();
done:
    json_decref(doc);
    json_decref(failures);
    kz_buf_release(&in);
    return rc;
}
