/* kizuna serve: the hub over HTTP until SIGTERM or SIGINT. */
#include <curl/curl.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "cli/cli.h"
#include "correlate/correlate.h"
#include "http/http.h"
#include "incident/incident.h"
#include "notify/notify.h"
#include "base/banned.h"

static void
print_usage(FILE *f)
{
    fputs("usage: kizuna serve [--db URL] [--listen HOST:PORT] [--tls-cert F --tls-key F]\n"
          "                    [--threads N] [--config FILE] [--SETTING VALUE ...]\n\n"
          "Serves TAXII 2.1 at /taxii2/, the JSON API at /api/v1/ and /healthz.\n"
          "Settings come from defaults, then --config FILE, then KIZUNA_<SETTING>, then flags.\n"
          "Port 0 picks a free port; the line 'serving on URL' tells which.\n\nsettings:\n",
          f);
    for (const struct kz_config_setting *s = kz_config_settings; s->name; s++) {
        char flag[64];
        size_t i;
        for (i = 0; s->name[i] && i + 1 < sizeof(flag); i++)
            flag[i] = s->name[i] == '_' ? '-' : s->name[i];
        flag[i] = '\0';
        fprintf(f, "  --%-22s %s (default %s)\n", flag, s->help, *s->def ? s->def : "none");
    }
}

/* Finds --config FILE first: the file sits below environment and flags. */
static const char *
config_file(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--config") == 0)
            return argv[i + 1];
    }
    return NULL;
}

static int
load_settings(int argc, char **argv, struct kz_config *cfg)
{
    const char *file = config_file(argc, argv);
    char why[512];

    kz_config_defaults(cfg);
    if (file && kz_config_load_file(cfg, file, why, sizeof(why)) != KZ_OK) {
        fprintf(stderr, "kizuna serve: %s\n", why);
        return 1;
    }
    if (kz_config_load_env(cfg, why, sizeof(why)) != KZ_OK) {
        fprintf(stderr, "kizuna serve: environment: %s\n", why);
        return 1;
    }
    /* Flags come in pairs: --name value. */
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0 || i + 1 >= argc) {
            fprintf(stderr, "kizuna serve: unexpected argument '%s'\n", a);
            return 2;
        }
        if (strcmp(a, "--config") != 0 && kz_config_set(cfg, a + 2, argv[i + 1], why,
                                                        sizeof(why)) != KZ_OK) {
            fprintf(stderr, "kizuna serve: %s\n", why);
            return 2;
        }
    }
    return 0;
}

/* The rule sets loaded since start; a write may still hold an older one. */
struct rule_sets {
    struct kz_rules *v[64];
    size_t n;
};

/*
 * SIGHUP: reads the rules file again and swaps the new rules in. A file that does not
 * parse, or a set of windows that cannot be loaded, leaves the rules as they were.
 */
static void
reload_rules(struct kz_hub *hub, struct rule_sets *sets)
{
    struct kz_rules *r;
    char why[512];

    if (!hub->rules) {
        kz_log(KZ_LOG_WARN, "rules not reloaded: correlation is off");
        return;
    }
    if (!hub->config.rules[0]) {
        kz_log(KZ_LOG_WARN, "rules not reloaded: no rules file (the built-in rules stay)");
        return;
    }
    if (sets->n == sizeof(sets->v) / sizeof(sets->v[0])) {
        kz_log(KZ_LOG_WARN, "rules not reloaded: %zu reloads since start; restart the hub",
               sets->n);
        return;
    }
    r = kz_xcalloc(1, sizeof(*r));
    kz_rules_defaults(r);
    if (kz_rules_load(r, hub->config.rules, why, sizeof(why)) != KZ_OK) {
        kz_log(KZ_LOG_ERROR, "rules not reloaded: %s", why);
    } else if (kz_correlate_load(hub->store, r) != KZ_OK) {
        kz_log(KZ_LOG_ERROR, "rules not reloaded: cannot load their windows");
    } else {
        hub->rules = r;
        sets->v[sets->n++] = r;
        kz_log(KZ_LOG_INFO, "rules reloaded file='%s'", hub->config.rules);
        return;
    }
    kz_rules_release(r);
    free(r);
}

static void
rule_sets_release(struct rule_sets *sets)
{
    for (size_t i = 0; i < sets->n; i++) {
        kz_rules_release(sets->v[i]);
        free(sets->v[i]);
    }
}

int
kz_cmd_serve(int argc, char **argv)
{
    struct kz_hub hub;
    struct kz_rules rules;
    struct rule_sets reloaded = {{NULL}, 0};
    struct kz_http_server *srv = NULL;
    struct kz_notify_worker *notifier = NULL;
    struct kz_notify_settings ns;
    sigset_t set;
    char why[512];
    int sig, rc;
    kz_err err;

    if (kz_cli_wants_help(argc, argv)) {
        print_usage(stdout);
        return 0;
    }
    memset(&hub, 0, sizeof(hub));
    rc = load_settings(argc, argv, &hub.config);
    if (rc != 0)
        return rc;
    kz_log_set_level((enum kz_log_level)hub.config.log_level);
    if (kz_tlp_parse(kz_str_from_cstr(hub.config.default_tlp), &hub.default_tlp) != KZ_OK) {
        fprintf(stderr, "kizuna serve: default_tlp '%s' is not a TLP level\n",
                hub.config.default_tlp);
        return 2;
    }
    kz_rules_defaults(&rules);
    if (strcmp(hub.config.correlate, "on") == 0) {
        if (hub.config.rules[0] &&
            kz_rules_load(&rules, hub.config.rules, why, sizeof(why)) != KZ_OK) {
            fprintf(stderr, "kizuna serve: rules: %s\n", why);
            return 1;
        }
        hub.rules = &rules;
        hub.write_hooks[hub.n_write_hooks++] = kz_correlate_hook;
    } else if (strcmp(hub.config.correlate, "off") != 0) {
        fprintf(stderr, "kizuna serve: correlate must be 'on' or 'off', not '%s'\n",
                hub.config.correlate);
        return 2;
    }
    hub.json_limits.max_depth = hub.config.max_json_depth;
    hub.json_limits.max_string_bytes = hub.config.max_string_bytes;
    hub.store = kz_cli_open_store(hub.config.db);
    if (!hub.store) {
        kz_rules_release(&rules);
        return 1;
    }
    if (hub.rules && kz_correlate_load(hub.store, hub.rules) != KZ_OK) {
        kz_store_close(hub.store);
        kz_rules_release(&rules);
        return 1;
    }
    hub.write_hooks[hub.n_write_hooks++] = kz_incident_write_hook;
    /* Hubs initialised before incidents existed get the extension-definition here. */
    if (kz_incident_ensure_extension(hub.store) != KZ_OK)
        kz_log(KZ_LOG_WARN, "cannot store the incident extension-definition; run 'kizuna init'");

    /* Block the stop signals and SIGHUP in every thread; this one waits for them. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* Response bodies are tens of kilobytes, allocated and freed on every request: keep
     * them on the heap rather than in fresh mappings that cost page faults on each use and
     * a TLB flush on every core when unmapped. */
    mallopt(M_MMAP_THRESHOLD, 16 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);

    hub.write_hooks[hub.n_write_hooks++] = kz_notify_write_hook;

    /* Webhook deliveries run in their own thread, outside request handling. */
    ns = (struct kz_notify_settings){
        .attempts = (unsigned)hub.config.webhook_attempts,
        .backoff_ms = hub.config.webhook_backoff_ms,
        .backoff_max_ms = hub.config.webhook_backoff_max_ms,
        .timeout_ms = hub.config.webhook_timeout_ms,
        .connect_timeout_ms = hub.config.webhook_connect_timeout_ms,
        .parallel = (unsigned)hub.config.webhook_parallel,
        .poll_ms = hub.config.webhook_poll_ms,
        .public_only = hub.config.webhook_public_only != 0,
        .log_days = hub.config.webhook_log_days,
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    err = kz_notify_worker_start(hub.store, &ns, &notifier);
    if (err != KZ_OK) {
        fprintf(stderr, "kizuna serve: cannot start the webhook worker: %s\n", kz_err_str(err));
        kz_store_close(hub.store);
        return 1;
    }
    err = kz_http_server_start(&hub, &srv, why, sizeof(why));
    if (err != KZ_OK) {
        fprintf(stderr, "kizuna serve: %s\n", why);
        kz_notify_worker_stop(notifier);
        kz_store_close(hub.store);
        kz_rules_release(&rules);
        return 1;
    }
    printf("serving on %s://%.*s:%u/\n", hub.config.tls_cert[0] ? "https" : "http",
           (int)strcspn(hub.config.listen, ":"), hub.config.listen, kz_http_server_port(srv));
    fflush(stdout);
    kz_log(KZ_LOG_INFO, "serving listen=%s port=%u db='%s' threads=%llu", hub.config.listen,
           kz_http_server_port(srv), hub.config.db, (unsigned long long)hub.config.threads);
    while (sigwait(&set, &sig) == 0 && sig == SIGHUP)
        reload_rules(&hub, &reloaded);
    kz_log(KZ_LOG_INFO, "stopping on signal %d", sig);
    kz_http_server_stop(srv);
    kz_notify_worker_stop(notifier);
    kz_store_close(hub.store);
    kz_rules_release(&rules);
    rule_sets_release(&reloaded);
    kz_log(KZ_LOG_INFO, "stopped");
    return 0;
}
