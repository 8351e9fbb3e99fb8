/* kizuna init: the schema, the centre's organisation, default collections and an admin key. */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "admin/admin.h"
#include "cli/cli.h"
#include "incident/incident.h"
#include "base/banned.h"

static const char usage[] =
    "usage: kizuna init [--db URL] [--centre SLUG] [--json]\n\n"
    "Creates the database schema, the coordinating centre's organisation (slug 'gsoc'\n"
    "unless given), the default sectors and collections (public, community, sector-<name>,\n"
    "org-<slug>) and an admin key, whose token is printed once.\n\n"
    "  --db URL        database (default $KIZUNA_DB, else sqlite:./var/kizuna.db)\n"
    "  --centre SLUG   slug of the coordinating centre's organisation (default gsoc)\n"
    "  --json          print {\"admin_key_id\", \"admin_token\"}\n";

int
kz_cmd_init(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"centre", required_argument, NULL, 'c'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *db = NULL, *centre = "gsoc";
    bool json = false;
    struct kz_store *s;
    struct kz_key key;
    char token[KZ_TOKEN_MAX], why[512] = "";
    kz_err err;
    int c;

    kz_cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'c': centre = optarg; break;
        case 'j': json = true; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (optind != argc) {
        fputs(usage, stderr);
        return 2;
    }
    s = kz_cli_open_store(db);
    if (!s)
        return 1;
    err = kz_admin_init(s, centre, &key, token, why, sizeof(why));
    if (err == KZ_OK && kz_incident_ensure_extension(s) != KZ_OK)
        fprintf(stderr, "kizuna init: cannot store the incident extension-definition\n");
    kz_store_close(s);
    if (err != KZ_OK) {
        fprintf(stderr, "kizuna init: %s\n", why[0] ? why : kz_err_str(err));
        return 1;
    }
    if (json) {
        kz_cli_print_json(json_pack("{s:s, s:s}", "admin_key_id", key.id, "admin_token", token));
    } else {
        printf("initialised %s\n", kz_cli_db_url(db));
        printf("admin key id: %s\n", key.id);
        printf("admin token:  %s\n", token);
        printf("(the token is shown only now; keep it safe)\n");
    }
    sodium_memzero(token, sizeof(token));
    return 0;
}
