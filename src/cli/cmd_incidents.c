/*
 * kizuna incidents list|show|update: the centre's view of incidents from the command line.
 * It drives the same handlers as /api/v1/incidents, as the centre (role gsoc), on the
 * database directly, so changes take the same write path, life-cycle checks and hooks.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "cli/cli.h"
#include "incident/incident.h"
#include "base/banned.h"

static const char usage[] =
    "usage: kizuna incidents list [--status S] [--severity S] [--org SLUG] [--limit N]\n"
    "                             [--db URL] [--json]\n"
    "       kizuna incidents show ID [--db URL] [--json]\n"
    "       kizuna incidents update ID [--status S] [--severity S] [--assignee A]\n"
    "                             [--reason TEXT] [--db URL] [--json]\n\n"
    "Statuses: reported, triage, investigating, contained, recovered, closed.\n"
    "Severities: low, medium, high, critical, national. Changes are made as the centre;\n"
    "a move the life cycle forbids fails (exit status 1) and names both states.\n";

struct centre {
    struct kz_org org;
    bool found;
};

static void
take_first(void *ctx, const struct kz_org *org)
{
    struct centre *c = ctx;

    if (!c->found || org->created_us < c->org.created_us) {
        c->org = *org;
        c->found = true;
    }
}

static void
print_row(const json_t *inc)
{
    printf("%-46s %-13s %-8s %-12s %s\n", kz_json_str(inc, "id"), kz_json_str(inc, "status"),
           kz_json_str(inc, "severity"), kz_json_str(inc, "reporter"), kz_json_str(inc, "name"));
}

static void
print_incident(const json_t *inc)
{
    const json_t *t;
    size_t i;

    printf("id:            %s\nname:          %s\nstatus:        %s\nseverity:      %s\n"
           "reporter:      %s\ncollection:    %s\nassignee:      %s\ntransitions:\n",
           kz_json_str(inc, "id"), kz_json_str(inc, "name"), kz_json_str(inc, "status"),
           kz_json_str(inc, "severity"), kz_json_str(inc, "reporter"),
           kz_json_str(inc, "collection") ? kz_json_str(inc, "collection") : "",
           kz_json_str(inc, "assignee") ? kz_json_str(inc, "assignee") : "-");
    json_array_foreach(json_object_get(inc, "transitions"), i, t) {
        printf("  %s  %-13s by %s%s%s\n", kz_json_str(t, "at"), kz_json_str(t, "status"),
               kz_json_str(t, "by"), kz_json_str(t, "reason") ? ": " : "",
               kz_json_str(t, "reason") ? kz_json_str(t, "reason") : "");
    }
}

int
kz_cmd_incidents(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},       {"status", required_argument, NULL, 's'},
        {"severity", required_argument, NULL, 'v'}, {"assignee", required_argument, NULL, 'a'},
        {"reason", required_argument, NULL, 'r'},   {"org", required_argument, NULL, 'o'},
        {"limit", required_argument, NULL, 'l'},    {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    const char *db = NULL, *verb, *status = NULL, *severity = NULL, *assignee = NULL,
               *reason = NULL, *org = NULL, *limit = NULL;
    struct kz_hub hub;
    struct kz_caller caller;
    struct kz_http_request req;
    struct kz_http_response resp;
    struct centre centre;
    char path[400], *body = NULL;
    json_t *j = NULL, *out = NULL;
    bool json = false;
    int c, rc = 1;

    kz_cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 's': status = optarg; break;
        case 'v': severity = optarg; break;
        case 'a': assignee = optarg; break;
        case 'r': reason = optarg; break;
        case 'o': org = optarg; break;
        case 'l': limit = optarg; break;
        case 'j': json = true; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    verb = optind < argc ? argv[optind] : "";
    if (!((strcmp(verb, "list") == 0 && optind + 1 == argc) ||
          (strcmp(verb, "show") == 0 && optind + 2 == argc) ||
          (strcmp(verb, "update") == 0 && optind + 2 == argc &&
           (status || severity || assignee)))) {
        fputs(usage, stderr);
        return 2;
    }
    memset(&hub, 0, sizeof(hub));
    kz_config_defaults(&hub.config);
    kz_tlp_parse(kz_str_from_cstr(hub.config.default_tlp), &hub.default_tlp);
    hub.json_limits.max_depth = hub.config.max_json_depth;
    hub.json_limits.max_string_bytes = hub.config.max_string_bytes;
    hub.write_hooks[hub.n_write_hooks++] = kz_incident_write_hook;
    hub.store = kz_cli_open_store(db);
    if (!hub.store)
        return 1;
    memset(&centre, 0, sizeof(centre));
    if (kz_store_org_list(hub.store, take_first, &centre) != KZ_OK || !centre.found) {
        fprintf(stderr, "kizuna incidents: the database has no centre; run 'kizuna init'\n");
        kz_store_close(hub.store);
        return 1;
    }
    memset(&caller, 0, sizeof(caller));
    caller.authenticated = true;
    caller.role = KZ_ROLE_GSOC;
    caller.org = centre.org;
    kz_cstr_copy("cli", caller.key_id, sizeof(caller.key_id));

    memset(&req, 0, sizeof(req));
    kz_http_response_init(&resp);
    req.content_type = KZ_MEDIA_JSON;
    if (strcmp(verb, "list") == 0) {
        const char *keys[] = {"status", "severity", "org", "limit"};
        const char *vals[] = {status, severity, org, limit};
        req.method = "GET";
        req.path = "/api/v1/incidents";
        for (size_t i = 0; i < 4; i++) {
            if (vals[i]) {
                req.params[req.n_params].key = keys[i];
                req.params[req.n_params++].value = vals[i];
            }
        }
        kz_api_incidents_list(&hub, &req, &caller, &resp);
    } else {
        snprintf(path, sizeof(path), "/api/v1/incidents/%s", argv[optind + 1]);
        req.path = path;
        req.segments[0] = argv[optind + 1];
        req.n_segments = 1;
        if (strcmp(verb, "show") == 0) {
            req.method = "GET";
            kz_api_incident_get(&hub, &req, &caller, &resp);
        } else {
            j = json_object();
            if (status)
                json_object_set_new(j, "status", json_string(status));
            if (severity)
                json_object_set_new(j, "severity", json_string(severity));
            if (assignee)
                json_object_set_new(j, "assignee", json_string(assignee));
            if (reason)
                json_object_set_new(j, "reason", json_string(reason));
            body = json_dumps(j, JSON_COMPACT);
            req.method = "POST";
            req.body = body;
            req.body_len = strlen(body);
            kz_api_incident_update(&hub, &req, &caller, &resp);
        }
    }
    out = json_loads(kz_buf_cstr(&resp.body), 0, NULL);
    if (resp.status >= 300 || !out) {
        fprintf(stderr, "kizuna incidents: %s\n",
                out && kz_json_str(out, "description") ? kz_json_str(out, "description")
                                                       : "the request failed");
        goto done;
    }
    rc = 0;
    if (json) {
        kz_cli_print_json(out);
        out = NULL;
    } else if (strcmp(verb, "list") == 0) {
        const json_t *inc;
        size_t i;
        json_array_foreach(json_object_get(out, "incidents"), i, inc)
            print_row(inc);
    } else {
        print_incident(out);
    }
done:
    json_decref(out);
    json_decref(j);
    free(body);
    kz_http_response_release(&resp);
    kz_store_close(hub.store);
    return rc;
}
