/* Helpers shared by the subcommands. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "taxii/client.h"
#include "base/banned.h"

const char *
kz_cli_db_url(const char *flag_value)
{
    const char *env;

    if (flag_value && *flag_value)
        return flag_value;
    env = getenv("KIZUNA_DB");
    if (env && *env)
        return env;
    return "sqlite:./var/kizuna.db";
}

bool
kz_cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return false;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    }
    return false;
}

struct kz_store *
kz_cli_open_store(const char *db_flag)
{
    const char *url = kz_cli_db_url(db_flag);
    struct kz_store *s;
    kz_err err = kz_store_open(url, &s);

    if (err != KZ_OK) {
        fprintf(stderr, "kizuna: cannot open database '%s': %s\n", url, kz_err_str(err));
        return NULL;
    }
    return s;
}

void
kz_cli_print_json(json_t *j)
{
    char *text = json_dumps(j, JSON_INDENT(2));

    if (text) {
        printf("%s\n", text);
        free(text);
    }
    json_decref(j);
}

void
kz_cli_getopt_reset(void)
{
    optind = 0; /* GNU getopt: 0 re-initialises, including its internal state */
}

int
kz_cli_taxii_connect(struct kz_taxii_client *c, const char *url, const char *key,
                     const char *cacert, const char *coll, char coll_id[64])
{
    if (kz_taxii_client_open(c, url, key, cacert) != KZ_OK ||
        kz_taxii_client_collection(c, coll, coll_id) != KZ_OK) {
        fprintf(stderr, "kizuna: %s\n", c->error);
        return 1;
    }
    return 0;
}
