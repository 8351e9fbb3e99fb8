/* kizuna collection add|list|show. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "admin/admin.h"
#include "cli/cli.h"
#include "base/banned.h"

static const char usage[] =
    "usage: kizuna collection add ALIAS --readers P... --writers P... [--max-tlp TLP]\n"
    "                             [--title T] [--description D] [--db URL] [--json]\n"
    "       kizuna collection list [--db URL] [--json]\n"
    "       kizuna collection show ID|ALIAS [--db URL] [--json]\n\n"
    "Principals (space- or comma-separated): public, member, org:SLUG, sector:NAME,\n"
    "type:ORG-TYPE, role:ROLE. TLP: clear, green, amber (default), amber+strict, red.\n"
    "A collection read by public has max TLP clear; TLP:RED needs readers that are\n"
    "named organisations.\n";

static void
print_collection(const struct kz_collection *c, bool verbose)
{
    if (!verbose) {
        printf("%-36s %-24s %-12s %s\n", c->id, c->alias, kz_tlp_name(c->max_tlp), c->title);
        return;
    }
    printf("id:          %s\nalias:       %s\ntitle:       %s\ndescription: %s\n"
           "readers:     %s\nwriters:     %s\nmax TLP:     %s\n",
           c->id, c->alias, c->title, c->description, c->readers, c->writers,
           kz_tlp_name(c->max_tlp));
}

struct coll_list {
    bool json;
    json_t *list;
};

static void
list_one(void *ctx, const struct kz_collection *c)
{
    struct coll_list *cl = ctx;

    if (cl->json)
        json_array_append_new(cl->list, kz_admin_collection_json(c));
    else
        print_collection(c, false);
}

int
kz_cmd_collection(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},      {"readers", required_argument, NULL, 'r'},
        {"writers", required_argument, NULL, 'w'}, {"max-tlp", required_argument, NULL, 'm'},
        {"title", required_argument, NULL, 't'},   {"description", required_argument, NULL, 'D'},
        {"json", no_argument, NULL, 'j'},          {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    struct kz_collection coll;
    const char *db = NULL, *verb, *tlp = "amber";
    bool json = false, has_readers = false, has_writers = false;
    struct kz_store *s;
    char why[512] = "";
    kz_err err = KZ_OK;
    int c, rc = 0;

    memset(&coll, 0, sizeof(coll));
    kz_cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'r': has_readers = kz_cstr_copy(optarg, coll.readers, sizeof(coll.readers)) == KZ_OK; break;
        case 'w': has_writers = kz_cstr_copy(optarg, coll.writers, sizeof(coll.writers)) == KZ_OK; break;
        case 'm': tlp = optarg; break;
        case 't': kz_cstr_copy(optarg, coll.title, sizeof(coll.title)); break;
        case 'D': kz_cstr_copy(optarg, coll.description, sizeof(coll.description)); break;
        case 'j': json = true; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    verb = optind < argc ? argv[optind] : "";
    if (!((strcmp(verb, "add") == 0 && optind + 2 == argc && has_readers && has_writers) ||
          (strcmp(verb, "list") == 0 && optind + 1 == argc) ||
          (strcmp(verb, "show") == 0 && optind + 2 == argc))) {
        fputs(usage, stderr);
        return 2;
    }
    s = kz_cli_open_store(db);
    if (!s)
        return 1;
    if (strcmp(verb, "add") == 0) {
        if (kz_tlp_parse(kz_str_from_cstr(tlp), &coll.max_tlp) != KZ_OK) {
            snprintf(why, sizeof(why), "'%s' is not a TLP level", tlp);
            err = KZ_ERR_INVALID;
        } else if (kz_cstr_copy(argv[optind + 1], coll.alias, sizeof(coll.alias)) != KZ_OK) {
            snprintf(why, sizeof(why), "alias is too long");
            err = KZ_ERR_INVALID;
        } else {
            err = kz_admin_collection_add(s, &coll, why, sizeof(why));
        }
        if (err == KZ_OK && json)
            kz_cli_print_json(kz_admin_collection_json(&coll));
        else if (err == KZ_OK)
            printf("added collection %s (%s)\n", coll.alias, coll.id);
    } else if (strcmp(verb, "show") == 0) {
        err = kz_store_collection_get(s, argv[optind + 1], &coll);
        if (err == KZ_ERR_NOTFOUND)
            snprintf(why, sizeof(why), "no collection '%s'", argv[optind + 1]);
        else if (err == KZ_OK && json)
            kz_cli_print_json(kz_admin_collection_json(&coll));
        else if (err == KZ_OK)
            print_collection(&coll, true);
    } else {
        struct coll_list cl = {json, json_array()};
        err = kz_store_collection_list(s, list_one, &cl);
        if (err == KZ_OK && json)
            kz_cli_print_json(json_pack("{s:O}", "collections", cl.list));
        json_decref(cl.list);
    }
    if (err != KZ_OK) {
        fprintf(stderr, "kizuna collection %s: %s\n", verb, why[0] ? why : kz_err_str(err));
        rc = 1;
    }
    kz_store_close(s);
    return rc;
}
