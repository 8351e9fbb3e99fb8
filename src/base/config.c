/* The settings table and its loaders (file, environment, flags). */
#include "base/config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/str.h"
#include "base/banned.h"

#define STR(field, def, help)                                                                  \
    {#field, KZ_CONFIG_STRING, offsetof(struct kz_config, field),                              \
     sizeof(((struct kz_config *)0)->field), def, 0, 0, help}
#define U64(field, def, lo, hi, help)                                                          \
    {#field, KZ_CONFIG_U64, offsetof(struct kz_config, field), 0, #def, lo, hi, help}

const struct kz_config_setting kz_config_settings[] = {
    STR(db, "sqlite:./var/kizuna.db", "database URL (sqlite:PATH)"),
    STR(listen, "127.0.0.1:8080", "address and port to serve on"),
    STR(tls_cert, "", "PEM certificate; with tls_key, serve HTTPS"),
    STR(tls_key, "", "PEM private key"),
    STR(default_tlp, "amber", "TLP given to objects that carry no TLP marking"),
    STR(rules, "", "correlation rules file (docs/gsoc.md); none: the built-in rules"),
    STR(correlate, "on", "'off' stores sightings without correlating them into alerts"),
    U64(threads, 4, 1, 256, "worker threads"),
    U64(max_body_bytes, 10485760, 1024, 1073741824, "largest request body; 413 above"),
    U64(max_envelope_objects, 10000, 1, 1000000, "objects in one TAXII envelope"),
    U64(max_json_depth, 64, 4, 1000, "nesting depth of JSON documents"),
    U64(max_connections, 256, 1, 65536, "concurrent connections"),
    U64(request_seconds, 60, 1, 3600, "idle seconds before a connection is closed"),
    U64(max_page_objects, 1000, 1, 100000, "objects in one page of a GET"),
    U64(max_string_bytes, 1048576, 256, 104857600, "one JSON string value"),
    U64(log_level, 2, 0, 3, "0 error, 1 warn, 2 info, 3 debug"),
    U64(webhook_attempts, 8, 1, 100, "webhook delivery attempts before a delivery is dead"),
    U64(webhook_backoff_ms, 1000, 1, 86400000, "wait before the first webhook retry, doubling"),
    U64(webhook_backoff_max_ms, 3600000, 1, 86400000, "longest wait between webhook retries"),
    U64(webhook_timeout_ms, 10000, 100, 600000, "time limit of one webhook request"),
    U64(webhook_connect_timeout_ms, 3000, 100, 600000, "time limit to connect to a receiver"),
    U64(webhook_parallel, 8, 1, 64, "webhook requests in flight at once"),
    U64(webhook_poll_ms, 200, 10, 60000, "how often the webhook outbox is read"),
    U64(webhook_public_only, 0, 0, 1,
        "1: webhook receivers only on public addresses (no loopback, private, link-local)"),
    U64(webhook_log_days, 90, 0, 36500,
        "days delivered and dead webhook deliveries stay in the log; 0 keeps them"),
    {NULL, 0, 0, 0, NULL, 0, 0, NULL},
};

static const struct kz_config_setting *
find_setting(const char *name)
{
    char canon[64];
    size_t i;

    for (i = 0; name[i] && i + 1 < sizeof(canon); i++)
        canon[i] = name[i] == '-' ? '_' : (char)tolower((unsigned char)name[i]);
    canon[i] = '\0';
    for (const struct kz_config_setting *s = kz_config_settings; s->name; s++) {
        if (strcmp(s->name, canon) == 0)
            return s;
    }
    return NULL;
}

kz_err
kz_config_set(struct kz_config *c, const char *name, const char *value, char *why, size_t whylen)
{
    const struct kz_config_setting *s = find_setting(name);
    char *field;
    uint64_t v;

    if (!s) {
        snprintf(why, whylen, "unknown setting '%s'", name);
        return KZ_ERR_INVALID;
    }
    field = (char *)c + s->offset;
    if (s->type == KZ_CONFIG_STRING) {
        if (kz_cstr_copy(value, field, s->size) != KZ_OK) {
            snprintf(why, whylen, "value of '%s' is longer than %zu bytes", s->name, s->size - 1);
            return KZ_ERR_INVALID;
        }
        return KZ_OK;
    }
    if (kz_str_to_u64(kz_str_from_cstr(value), s->min, s->max, &v) != KZ_OK) {
        snprintf(why, whylen, "'%s' must be an integer from %llu to %llu", s->name,
                 (unsigned long long)s->min, (unsigned long long)s->max);
        return KZ_ERR_INVALID;
    }
    memcpy(field, &v, sizeof(v));
    return KZ_OK;
}

void
kz_config_defaults(struct kz_config *c)
{
    char why[256];

    memset(c, 0, sizeof(*c));
    for (const struct kz_config_setting *s = kz_config_settings; s->name; s++)
        (void)kz_config_set(c, s->name, s->def, why, sizeof(why));
}

static char *
trim(char *s)
{
    char *end;

    while (isspace((unsigned char)*s))
        s++;
    end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

kz_err
kz_config_load_file(struct kz_config *c, const char *path, char *why, size_t whylen)
{
    FILE *f = fopen(path, "r");
    char line[2048], inner[512];
    unsigned lineno = 0;
    kz_err err = KZ_OK;

    if (!f) {
        snprintf(why, whylen, "cannot open '%s'", path);
        return KZ_ERR_IO;
    }
    while (fgets(line, sizeof(line), f)) {
        char *hash = strchr(line, '#'), *eq, *name, *value;

        lineno++;
        if (hash)
            *hash = '\0';
        name = trim(line);
        if (!*name)
            continue;
        eq = strchr(name, '=');
        if (!eq) {
            snprintf(why, whylen, "%s:%u: expected 'name = value'", path, lineno);
            err = KZ_ERR_INVALID;
            break;
        }
        *eq = '\0';
        value = trim(eq + 1);
        name = trim(name);
        err = kz_config_set(c, name, value, inner, sizeof(inner));
        if (err != KZ_OK) {
            snprintf(why, whylen, "%s:%u: %s", path, lineno, inner);
            break;
        }
    }
    fclose(f);
    return err;
}

kz_err
kz_config_load_env(struct kz_config *c, char *why, size_t whylen)
{
    char env[96];

    for (const struct kz_config_setting *s = kz_config_settings; s->name; s++) {
        size_t i, o = snprintf(env, sizeof(env), "KIZUNA_");
        for (i = 0; s->name[i] && o + 1 < sizeof(env); i++)
            env[o++] = (char)toupper((unsigned char)s->name[i]);
        env[o] = '\0';
        const char *v = getenv(env);
        if (v && *v) {
            kz_err err = kz_config_set(c, s->name, v, why, whylen);
            if (err != KZ_OK)
                return err;
        }
    }
    return KZ_OK;
}
