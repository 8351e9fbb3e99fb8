/* kizuna: the hub server, the sensor and the command-line tool, in one binary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli/cli.h"
#include "base/banned.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"init", kz_cmd_init, "create the database, the centre's organisation and an admin key"},
    {"serve", kz_cmd_serve, "run the hub: TAXII 2.1 and the JSON API over HTTP"},
    {"org", kz_cmd_org, "add and list organisations"},
    {"sector", kz_cmd_sector, "add and list sectors"},
    {"key", kz_cmd_key, "create, list and revoke API keys"},
    {"collection", kz_cmd_collection, "add, list and show collections"},
    {"push", kz_cmd_push, "post a STIX bundle to a TAXII 2.1 collection"},
    {"get", kz_cmd_get, "read objects from a TAXII 2.1 collection"},
    {"pattern", kz_cmd_pattern, "check STIX patterns"},
    {"match", kz_cmd_match, "find indicators in logs and report sightings"},
    {"incidents", kz_cmd_incidents, "list, show and triage incidents (as the centre)"},
    {"webhook", kz_cmd_webhook, "add, list and remove webhook subscriptions; delivery logs"},
    {"alerts", kz_cmd_alerts, "list, show, acknowledge and dismiss correlated alerts"},
};

static void
usage(FILE *f)
{
    fprintf(f, "usage: kizuna <command> [options]\n\n"
               "kizuna shares threat indicators, finds them in logs, and coordinates response.\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun 'kizuna <command> --help' for a command's options.\n"
               "The database is named by --db URL, else $KIZUNA_DB, else sqlite:./var/kizuna.db.\n");
}

int
main(int argc, char **argv)
{
    if (sodium_init() < 0) {
        fprintf(stderr, "kizuna: cannot initialise libsodium\n");
        return 1;
    }
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("kizuna 0.1.0\n");
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "kizuna: '%s' is not a command; see 'kizuna --help'\n", argv[1]);
    return 2;
}
