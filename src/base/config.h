/*
 * Settings of the hub: one table of name, type, default, bounds and help. Defaults <
 * configuration file < KIZUNA_* environment < command-line flags; the result is read-only
 * once the server starts.
 */
#ifndef KZ_BASE_CONFIG_H
#define KZ_BASE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct kz_config {
    char db[1024];          /* database URL */
    char listen[256];       /* HOST:PORT */
    char tls_cert[1024];    /* PEM file; TLS is on when both are set */
    char tls_key[1024];
    char default_tlp[16];   /* TLP of unmarked objects */
    char rules[1024];       /* correlation rules file; "" for the built-in rules */
    char correlate[8];      /* "on" or "off" */
    uint64_t threads;
    uint64_t max_body_bytes;
    uint64_t max_envelope_objects;
    uint64_t max_json_depth;
    uint64_t max_connections;
    uint64_t request_seconds;
    uint64_t max_page_objects;
    uint64_t max_string_bytes;
    uint64_t log_level;     /* 0 error .. 3 debug */
    uint64_t webhook_attempts;          /* then a delivery is dead */
    uint64_t webhook_backoff_ms;        /* first wait, doubling */
    uint64_t webhook_backoff_max_ms;    /* cap of the wait */
    uint64_t webhook_timeout_ms;        /* one request, whole */
    uint64_t webhook_connect_timeout_ms;
    uint64_t webhook_parallel;          /* requests in flight at once */
    uint64_t webhook_poll_ms;           /* how often the outbox is read */
    uint64_t webhook_public_only;       /* 1: receivers only on public addresses */
    uint64_t webhook_log_days;          /* finished deliveries kept; 0: for ever */
};

enum kz_config_type {
    KZ_CONFIG_STRING = 0,
    KZ_CONFIG_U64 = 1,
};

struct kz_config_setting {
    const char *name; /* also the flag (--name, '_' as '-') and env (KIZUNA_NAME) */
    enum kz_config_type type;
    size_t offset;
    size_t size;      /* for strings */
    const char *def;
    uint64_t min, max;
    const char *help;
};

/* The settings table, ended by an entry whose name is NULL. */
extern const struct kz_config_setting kz_config_settings[];

void kz_config_defaults(struct kz_config *c);
/* Sets one setting by name ("max_body_bytes" or "max-body-bytes"). */
kz_err kz_config_set(struct kz_config *c, const char *name, const char *value, char *why,
                     size_t whylen);
/* Reads "name = value" lines; '#' starts a comment. */
kz_err kz_config_load_file(struct kz_config *c, const char *path, char *why, size_t whylen);
/* Applies every KIZUNA_<NAME> variable that is set. */
kz_err kz_config_load_env(struct kz_config *c, char *why, size_t whylen);

#endif
