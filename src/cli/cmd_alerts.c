/* kizuna alerts list|show|ack|assign|dismiss|resolve|reopen: the centre's alerts, locally. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "base/str.h"
#include "base/time.h"
#include "cli/cli.h"
#include "correlate/correlate.h"
#include "base/banned.h"

static const char usage[] =
    "usage: kizuna alerts [list] [--status S] [--rule R] [--sector S] [--limit N]\n"
    "                     [--db URL] [--json]\n"
    "       kizuna alerts show ID [--db URL] [--json]\n"
    "       kizuna alerts ack ID | resolve ID | reopen ID [--db URL] [--json]\n"
    "       kizuna alerts assign ID --assignee WHO [--db URL] [--json]\n"
    "       kizuna alerts dismiss ID --reason TEXT [--db URL] [--json]\n\n"
    "Alerts are raised by correlation of sightings (docs/gsoc.md). The list is newest\n"
    "first; status is open, acknowledged, assigned, dismissed or resolved. Changes made\n"
    "here are recorded as made by 'cli'.\n";

struct out {
    struct kz_store *s;
    bool json;
    json_t *list;
    kz_err err;
    uint64_t n;
    struct kz_alert last; /* the cursor of the next page */
};

static void
print_alert(void *ctx, const struct kz_alert *a)
{
    struct out *o = ctx;
    json_t *j = NULL;
    bool visible;
    char last[KZ_TIME_TEXT_MAX];

    if (o->err != KZ_OK)
        return;
    o->n++;
    o->last = *a;
    o->err = kz_alert_json(o->s, a, NULL, false, &visible, &j);
    if (o->err != KZ_OK)
        return;
    if (o->json) {
        json_array_append_new(o->list, j);
        return;
    }
    kz_time_format_us(a->last_seen_us, last);
    printf("%s %-23s %-8s %-12s count=%llu orgs=%lld last=%s %s\n", a->id, a->rule, a->severity,
           a->status, (unsigned long long)a->count,
           (long long)json_integer_value(json_object_get(j, "organization_count")), last,
           a->indicator);
    json_decref(j);
}

static void
print_one(struct kz_store *s, const char *id, bool json, kz_err *err, char *why, size_t whylen)
{
    struct kz_alert a;
    json_t *j = NULL, *e;
    bool visible;
    size_t i;

    *err = kz_store_alert_get(s, id, &a);
    if (*err == KZ_ERR_NOTFOUND)
        snprintf(why, whylen, "no alert '%.100s'", id);
    if (*err == KZ_OK)
        *err = kz_alert_json(s, &a, NULL, true, &visible, &j);
    if (*err != KZ_OK)
        return;
    if (json) {
        kz_cli_print_json(j);
        return;
    }
    printf("id          %s\nrule        %s\nseverity    %s\nstatus      %s\nindicator   %s\n"
           "count       %llu\n",
           a.id, a.rule, a.severity, a.status, a.indicator, (unsigned long long)a.count);
    printf("orgs       ");
    json_array_foreach(json_object_get(j, "organizations"), i, e) printf(" %s", json_string_value(e));
    printf("\nsectors    ");
    json_array_foreach(json_object_get(j, "sectors"), i, e) printf(" %s", json_string_value(e));
    printf("\nfirst_seen  %s\nlast_seen   %s\n", json_string_value(json_object_get(j, "first_seen")),
           json_string_value(json_object_get(j, "last_seen")));
    if (a.assignee[0])
        printf("assignee    %s\n", a.assignee);
    if (a.reason[0])
        printf("reason      %s\n", a.reason);
    json_array_foreach(json_object_get(j, "history"), i, e) {
        printf("history     %s %s by %s\n", json_string_value(json_object_get(e, "at")),
               json_string_value(json_object_get(e, "action")),
               json_string_value(json_object_get(e, "by")));
    }
    json_decref(j);
}

int
kz_cmd_alerts(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},       {"status", required_argument, NULL, 's'},
        {"rule", required_argument, NULL, 'r'},     {"sector", required_argument, NULL, 'e'},
        {"limit", required_argument, NULL, 'l'},    {"reason", required_argument, NULL, 'R'},
        {"assignee", required_argument, NULL, 'a'}, {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    static const struct {
        const char *verb, *action;
    } actions[] = {{"ack", "acknowledge"}, {"assign", "assign"},   {"dismiss", "dismiss"},
                   {"resolve", "resolve"}, {"reopen", "reopen"}};
    struct kz_alert_query q;
    const char *db = NULL, *verb, *reason = NULL, *assignee = NULL, *action = NULL;
    uint64_t limit = 50;
    bool json = false, more = false;
    struct kz_store *s;
    char why[512] = "";
    kz_err err = KZ_OK;
    int c, rc = 0;

    memset(&q, 0, sizeof(q));
    q.since_us = -1;
    kz_cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 's': q.status = optarg; break;
        case 'r': q.rule = optarg; break;
        case 'e': q.sector = optarg; break;
        case 'R': reason = optarg; break;
        case 'a': assignee = optarg; break;
        case 'j': json = true; break;
        case 'l':
            if (kz_str_to_u64(kz_str_from_cstr(optarg), 1, 100000000, &limit) != KZ_OK) {
                fprintf(stderr, "kizuna alerts: --limit must be 1 to 100000000\n");
                return 2;
            }
            break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    verb = optind < argc ? argv[optind] : "list";
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
        if (strcmp(verb, actions[i].verb) == 0)
            action = actions[i].action;
    if (!((strcmp(verb, "list") == 0 && optind + 1 >= argc) ||
          ((action || strcmp(verb, "show") == 0) && optind + 2 == argc))) {
        fputs(usage, stderr);
        return 2;
    }
    s = kz_cli_open_store(db);
    if (!s)
        return 1;
    if (strcmp(verb, "list") == 0) {
        struct out o;
        memset(&o, 0, sizeof(o));
        o.s = s;
        o.json = json;
        o.list = json_array();
        /* Pages of at most 1,000, following the cursor, until --limit alerts. */
        do {
            q.limit = limit - o.n > 1000 ? 1000 : (size_t)(limit - o.n);
            err = kz_store_alert_list(s, &q, print_alert, &o, &more);
            if (err == KZ_OK)
                err = o.err;
            q.after_seq = o.last.seq;
        } while (err == KZ_OK && more && o.n < limit);
        if (err == KZ_OK && json)
            kz_cli_print_json(json_pack("{s:O, s:b}", "alerts", o.list, "more", more));
        else if (err == KZ_OK && more)
            printf("(more: raise --limit)\n");
        json_decref(o.list);
    } else if (strcmp(verb, "show") == 0) {
        print_one(s, argv[optind + 1], json, &err, why, sizeof(why));
    } else {
        err = kz_alert_act(s, argv[optind + 1], action, assignee, reason, "cli", NULL, why,
                           sizeof(why));
        if (err == KZ_OK && json)
            print_one(s, argv[optind + 1], true, &err, why, sizeof(why));
        else if (err == KZ_OK)
            printf("%s: %s\n", argv[optind + 1], action);
    }
    if (err != KZ_OK) {
        fprintf(stderr, "kizuna alerts %s: %s\n", verb, why[0] ? why : kz_err_str(err));
        rc = 1;
    }
    kz_store_close(s);
    return rc;
}
