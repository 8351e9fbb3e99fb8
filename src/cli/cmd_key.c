/* kizuna key create|list|revoke. */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "admin/admin.h"
#include "base/time.h"
#include "cli/cli.h"
#include "base/banned.h"

static const char usage[] =
    "usage: kizuna key create --org SLUG --role admin|gsoc|member|sensor [--db URL] [--json]\n"
    "       kizuna key list [--db URL] [--json]\n"
    "       kizuna key revoke ID [--db URL] [--json]\n\n"
    "The token is printed once, by create; only its hash is stored. Clients send it as\n"
    "'Authorization: Bearer TOKEN', or with HTTP Basic as user ID and password TOKEN.\n";

struct key_list {
    bool json;
    json_t *list;
};

static void
print_key(void *ctx, const struct kz_key *key)
{
    struct key_list *kl = ctx;
    char ts[KZ_TIME_TEXT_MAX];

    if (kl->json) {
        json_array_append_new(kl->list, kz_admin_key_json(key));
        return;
    }
    kz_time_format_ms(key->created_us, ts);
    printf("%-28s %-20s %-7s %s%s\n", key->id, key->org, key->role, ts,
           key->revoked_us ? " revoked" : "");
}

int
kz_cmd_key(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},   {"org", required_argument, NULL, 'o'},
        {"role", required_argument, NULL, 'r'}, {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0}};
    const char *db = NULL, *org = NULL, *role = NULL, *verb;
    bool json = false;
    struct kz_store *s;
    struct kz_key key;
    char why[512] = "", token[KZ_TOKEN_MAX];
    kz_err err;
    int c, rc = 0;

    kz_cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'o': org = optarg; break;
        case 'r': role = optarg; break;
        case 'j': json = true; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    verb = optind < argc ? argv[optind] : "";
    if (!((strcmp(verb, "create") == 0 && optind + 1 == argc && org && role) ||
          (strcmp(verb, "list") == 0 && optind + 1 == argc) ||
          (strcmp(verb, "revoke") == 0 && optind + 2 == argc))) {
        fputs(usage, stderr);
        return 2;
    }
    s = kz_cli_open_store(db);
    if (!s)
        return 1;
    if (strcmp(verb, "create") == 0) {
        err = kz_admin_key_create(s, org, role, &key, token, why, sizeof(why));
        if (err == KZ_OK && json) {
            kz_cli_print_json(json_pack("{s:s, s:s, s:s, s:s}", "id", key.id, "token", token,
                                        "org", key.org, "role", key.role));
        } else if (err == KZ_OK) {
            printf("key id: %s\ntoken:  %s\n(the token is shown only now; keep it safe)\n",
                   key.id, token);
        }
        sodium_memzero(token, sizeof(token));
    } else if (strcmp(verb, "revoke") == 0) {
        err = kz_store_key_revoke(s, argv[optind + 1], kz_time_now_us());
        if (err == KZ_ERR_NOTFOUND)
            snprintf(why, sizeof(why), "no key '%s'", argv[optind + 1]);
        if (err == KZ_OK && kz_store_key_get(s, argv[optind + 1], &key) == KZ_OK) {
            if (json)
                kz_cli_print_json(kz_admin_key_json(&key));
            else
                printf("revoked %s\n", key.id);
        }
    } else {
        struct key_list kl = {json, json_array()};
        err = kz_store_key_list(s, print_key, &kl);
        if (err == KZ_OK && json)
            kz_cli_print_json(json_pack("{s:O}", "keys", kl.list));
        json_decref(kl.list);
    }
    if (err != KZ_OK) {
        fprintf(stderr, "kizuna key %s: %s\n", verb, why[0] ? why : kz_err_str(err));
        rc = 1;
    }
    kz_store_close(s);
    return rc;
}
