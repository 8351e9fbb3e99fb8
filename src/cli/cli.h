/* Subcommands of the kizuna binary; one file each (cmd_<name>.c). */
#ifndef KZ_CLI_CLI_H
#define KZ_CLI_CLI_H

#include <stdbool.h>

/* Each returns the process exit status: 0 success, 1 failure, 2 usage error. */
int kz_cmd_init(int argc, char **argv);
int kz_cmd_serve(int argc, char **argv);
int kz_cmd_org(int argc, char **argv);
int kz_cmd_sector(int argc, char **argv);
int kz_cmd_key(int argc, char **argv);
int kz_cmd_collection(int argc, char **argv);
int kz_cmd_push(int argc, char **argv);
int kz_cmd_get(int argc, char **argv);
int kz_cmd_pattern(int argc, char **argv);
int kz_cmd_match(int argc, char **argv);
int kz_cmd_incidents(int argc, char **argv);
int kz_cmd_webhook(int argc, char **argv);
int kz_cmd_alerts(int argc, char **argv);

/* The database URL: the --db value if given, else $KIZUNA_DB, else sqlite:./var/kizuna.db. */
const char *kz_cli_db_url(const char *flag_value);

/* True when argv holds --help or -h before any "--". */
bool kz_cli_wants_help(int argc, char **argv);


#include <jansson.h>

#include "store/store.h"

/* Opens the store named by the --db value (see kz_cli_db_url); prints why on failure. */
struct kz_store *kz_cli_open_store(const char *db_flag);

/* Prints j as one JSON document on standard output and drops the reference. */
void kz_cli_print_json(json_t *j);

struct kz_taxii_client;
/*
 * Opens a TAXII client on url with key "ID:TOKEN" (and CA file, may be NULL) and finds the
 * collection named coll; prints why and returns 1 on failure.
 */
int kz_cli_taxii_connect(struct kz_taxii_client *c, const char *url, const char *key,
                         const char *cacert, const char *coll, char coll_id[64]);

/* Resets getopt for a subcommand's own option parsing. */
void kz_cli_getopt_reset(void);
#endif
