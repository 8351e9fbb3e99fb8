/* kizuna org add|list, and kizuna sector add|list. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "admin/admin.h"
#include "cli/cli.h"
#include "base/banned.h"

static const char org_usage[] =
    "usage: kizuna org add SLUG --name NAME --type TYPE [--sector S] [--country CC]\n"
    "                  [--db URL] [--json]\n"
    "       kizuna org list [--db URL] [--json]\n\n"
    "TYPE is government, cip, company, education, isp, security-vendor, partner or sme.\n"
    "Adding an organisation creates its STIX identity and its private org-SLUG collection.\n";

static const char sector_usage[] = "usage: kizuna sector add NAME [--db URL] [--json]\n"
                                   "       kizuna sector list [--db URL] [--json]\n\n"
                                   "Adding a sector also creates its sector-NAME collection.\n";

struct org_list {
    bool json;
    json_t *list;
};

static void
print_org(void *ctx, const struct kz_org *org)
{
    struct org_list *ol = ctx;

    if (ol->json)
        json_array_append_new(ol->list, kz_admin_org_json(org));
    else
        printf("%-20s %-16s %-12s %-3s %s\n", org->slug, org->type,
               org->sector[0] ? org->sector : "-", org->country[0] ? org->country : "-",
               org->name);
}

int
kz_cmd_org(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},     {"name", required_argument, NULL, 'n'},
        {"type", required_argument, NULL, 't'},   {"sector", required_argument, NULL, 's'},
        {"country", required_argument, NULL, 'c'}, {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    struct kz_org org;
    const char *db = NULL, *verb;
    bool json = false;
    struct kz_store *s;
    char why[512] = "";
    kz_err err = KZ_OK;
    int c, rc = 0;

    memset(&org, 0, sizeof(org));
    kz_cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'n': kz_cstr_copy(optarg, org.name, sizeof(org.name)); break;
        case 't': kz_cstr_copy(optarg, org.type, sizeof(org.type)); break;
        case 's': kz_cstr_copy(optarg, org.sector, sizeof(org.sector)); break;
        case 'c': kz_cstr_copy(optarg, org.country, sizeof(org.country)); break;
        case 'j': json = true; break;
        case 'h': fputs(org_usage, stdout); return 0;
        default: fputs(org_usage, stderr); return 2;
        }
    }
    verb = optind < argc ? argv[optind] : "";
    if (!((strcmp(verb, "add") == 0 && optind + 2 == argc) ||
          (strcmp(verb, "list") == 0 && optind + 1 == argc))) {
        fputs(org_usage, stderr);
        return 2;
    }
    s = kz_cli_open_store(db);
    if (!s)
        return 1;
    if (strcmp(verb, "add") == 0) {
        if (kz_cstr_copy(argv[optind + 1], org.slug, sizeof(org.slug)) != KZ_OK) {
            snprintf(why, sizeof(why), "slug is too long");
            err = KZ_ERR_INVALID;
        } else {
            err = kz_admin_org_add(s, &org, why, sizeof(why));
        }
        if (err == KZ_OK && json)
            kz_cli_print_json(kz_admin_org_json(&org));
        else if (err == KZ_OK)
            printf("added organisation %s (identity %s, collection org-%s)\n", org.slug,
                   org.identity_id, org.slug);
    } else {
        struct org_list ol = {json, json_array()};
        err = kz_store_org_list(s, print_org, &ol);
        if (err == KZ_OK && json)
            kz_cli_print_json(json_pack("{s:O}", "organizations", ol.list));
        json_decref(ol.list);
    }
    if (err != KZ_OK) {
        fprintf(stderr, "kizuna org %s: %s\n", verb, why[0] ? why : kz_err_str(err));
        rc = 1;
    }
    kz_store_close(s);
    return rc;
}

struct sector_list {
    bool json;
    json_t *list;
};

static void
print_sector(void *ctx, const char *name)
{
    struct sector_list *sl = ctx;

    if (sl->json)
        json_array_append_new(sl->list, json_string(name));
    else
        printf("%s\n", name);
}

int
kz_cmd_sector(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *db = NULL, *verb;
    bool json = false;
    struct kz_store *s;
    char why[512] = "";
    kz_err err;
    int c, rc = 0;

    kz_cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'j': json = true; break;
        case 'h': fputs(sector_usage, stdout); return 0;
        default: fputs(sector_usage, stderr); return 2;
        }
    }
    verb = optind < argc ? argv[optind] : "";
    if (!((strcmp(verb, "add") == 0 && optind + 2 == argc) ||
          (strcmp(verb, "list") == 0 && optind + 1 == argc))) {
        fputs(sector_usage, stderr);
        return 2;
    }
    s = kz_cli_open_store(db);
    if (!s)
        return 1;
    if (strcmp(verb, "add") == 0) {
        err = kz_admin_sector_add(s, argv[optind + 1], why, sizeof(why));
        if (err == KZ_OK && json)
            kz_cli_print_json(json_pack("{s:s}", "name", argv[optind + 1]));
        else if (err == KZ_OK)
            printf("added sector %s (collection sector-%s)\n", argv[optind + 1],
                   argv[optind + 1]);
    } else {
        struct sector_list sl = {json, json_array()};
        err = kz_store_sector_list(s, print_sector, &sl);
        if (err == KZ_OK && json)
            kz_cli_print_json(json_pack("{s:O}", "sectors", sl.list));
        json_decref(sl.list);
    }
    if (err != KZ_OK) {
        fprintf(stderr, "kizuna sector %s: %s\n", verb, why[0] ? why : kz_err_str(err));
        rc = 1;
    }
    kz_store_close(s);
    return rc;
}
