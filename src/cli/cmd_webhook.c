/* kizuna webhook add|list|remove|deliveries: webhook subscriptions on the database. */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "base/str.h"
#include "base/time.h"
#include "cli/cli.h"
#include "notify/notify.h"
#include "policy/policy.h"
#include "base/banned.h"

static const char usage[] =
    "usage: kizuna webhook add --org SLUG --url URL --event TYPE [--event TYPE ...]\n"
    "                          [--collection ID|ALIAS] [--national] [--role ROLE]\n"
    "                          [--db URL] [--json]\n"
    "       kizuna webhook list [--org SLUG] [--db URL] [--json]\n"
    "       kizuna webhook remove ID [--db URL] [--json]\n"
    "       kizuna webhook deliveries ID|--subject ID [--limit N] [--db URL] [--json]\n\n"
    "Event types: alert.created alert.updated incident.created incident.updated\n"
    "incident.national (national contacts only) object.added (with --collection).\n"
    "add prints the signing secret once. --role is the role whose read rights the\n"
    "subscription has for object.added (default member). The hub POSTs deliveries\n"
    "while 'kizuna serve' runs; see docs/gsoc.md.\n";

struct opts {
    const char *db, *org, *url, *coll, *role, *subject;
    char events[KZ_WEBHOOK_EVENTS_MAX];
    bool national, json;
    uint64_t limit;
};

static void
print_webhook(void *ctx, const struct kz_webhook *w)
{
    json_t *list = ctx;
    char ts[KZ_TIME_TEXT_MAX];

    if (list) {
        json_array_append_new(list, kz_notify_webhook_json(w, false));
        return;
    }
    kz_time_format_ms(w->created_us, ts);
    printf("%s %-16s %s %s [%s]%s%s%s\n", w->id, w->org, ts, w->url, w->events,
           w->national ? " national" : "", w->collection_id[0] ? " collection=" : "",
           w->collection_id);
}

static void
print_delivery(void *ctx, const struct kz_delivery *d, const struct kz_delivery_extra *x)
{
    json_t *list = ctx;
    char ts[KZ_TIME_TEXT_MAX];

    if (list) {
        json_array_append_new(list, kz_notify_delivery_json(d, x));
        return;
    }
    kz_time_format_ms(d->created_us, ts);
    printf("%s %s %-17s %-9s attempts=%u %s %s\n", d->id, ts, d->event,
           kz_delivery_state_name(d->state), d->attempts, d->org, d->subject);
    if (d->last_error[0])
        printf("    last error: %s\n", d->last_error);
}

static int
add(struct kz_store *s, struct opts *o, char *why, size_t whylen)
{
    struct kz_webhook w;
    struct kz_collection c;
    enum kz_role role = KZ_ROLE_MEMBER;
    kz_err err;

    memset(&w, 0, sizeof(w));
    if (o->role && kz_role_parse(kz_str_from_cstr(o->role), &role) != KZ_OK) {
        snprintf(why, whylen, "'%s' is not a role", o->role);
        return 1;
    }
    if (kz_cstr_copy(o->org, w.org, sizeof(w.org)) != KZ_OK ||
        kz_cstr_copy(o->url, w.url, sizeof(w.url)) != KZ_OK) {
        snprintf(why, whylen, "--org or --url is too long");
        return 1;
    }
    memcpy(w.events, o->events, sizeof(w.events));
    snprintf(w.role, sizeof(w.role), "%s", kz_role_name(role));
    w.national = o->national;
    if (o->coll) {
        if (kz_store_collection_get(s, o->coll, &c) != KZ_OK) {
            snprintf(why, whylen, "no collection '%s'", o->coll);
            return 1;
        }
        memcpy(w.collection_id, c.id, sizeof(w.collection_id));
    }
    err = kz_notify_subscribe(s, &w, why, whylen);
    if (err != KZ_OK)
        return 1;
    if (o->json) {
        kz_cli_print_json(kz_notify_webhook_json(&w, true));
    } else {
        printf("webhook: %s\nsecret:  %s\n(the secret is shown only now; the receiver needs it "
               "to verify signatures)\n",
               w.id, w.secret);
    }
    sodium_memzero(w.secret, sizeof(w.secret));
    return 0;
}

int
kz_cmd_webhook(int argc, char **argv)
{
    static const struct option longopts[] = {{"db", required_argument, NULL, 'd'},
                                             {"org", required_argument, NULL, 'o'},
                                             {"url", required_argument, NULL, 'u'},
                                             {"event", required_argument, NULL, 'e'},
                                             {"collection", required_argument, NULL, 'c'},
                                             {"national", no_argument, NULL, 'n'},
                                             {"role", required_argument, NULL, 'r'},
                                             {"subject", required_argument, NULL, 's'},
                                             {"limit", required_argument, NULL, 'l'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    struct opts o;
    struct kz_store *s;
    const char *verb;
    char why[512] = "";
    size_t n = 0;
    kz_err err = KZ_OK;
    int c, rc = 0;

    memset(&o, 0, sizeof(o));
    o.limit = 100;
    kz_cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            o.db = optarg;
            break;
        case 'o':
            o.org = optarg;
            break;
        case 'u':
            o.url = optarg;
            break;
        case 'c':
            o.coll = optarg;
            break;
        case 'n':
            o.national = true;
            break;
        case 'r':
            o.role = optarg;
            break;
        case 's':
            o.subject = optarg;
            break;
        case 'j':
            o.json = true;
            break;
        case 'l':
            if (kz_str_to_u64(kz_str_from_cstr(optarg), 1, 100000, &o.limit) != KZ_OK) {
                fputs("kizuna webhook: --limit must be from 1 to 100000\n", stderr);
                return 2;
            }
            break;
        case 'e': {
            int k = snprintf(o.events + n, sizeof(o.events) - n, "%s%s", n ? " " : "", optarg);
            if (k < 0 || (size_t)k >= sizeof(o.events) - n) {
                fputs("kizuna webhook: too many --event\n", stderr);
                return 2;
            }
            n += (size_t)k;
            break;
        }
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            fputs(usage, stderr);
            return 2;
        }
    }
    verb = optind < argc ? argv[optind] : "";
    if (!((strcmp(verb, "add") == 0 && optind + 1 == argc && o.org && o.url && n) ||
          (strcmp(verb, "list") == 0 && optind + 1 == argc) ||
          (strcmp(verb, "remove") == 0 && optind + 2 == argc) ||
          (strcmp(verb, "deliveries") == 0 &&
           ((optind + 2 == argc && !o.subject) || (optind + 1 == argc && o.subject))))) {
        fputs(usage, stderr);
        return 2;
    }
    s = kz_cli_open_store(o.db);
    if (!s)
        return 1;
    if (strcmp(verb, "add") == 0) {
        rc = add(s, &o, why, sizeof(why));
    } else if (strcmp(verb, "list") == 0) {
        json_t *list = o.json ? json_array() : NULL;
        err = kz_store_webhook_list(s, o.org, print_webhook, list);
        if (err == KZ_OK && list)
            kz_cli_print_json(json_pack("{s:O}", "webhooks", list));
        json_decref(list);
    } else if (strcmp(verb, "remove") == 0) {
        struct kz_webhook w;
        memset(&w, 0, sizeof(w));
        err = kz_store_webhook_get(s, argv[optind + 1], &w);
        if (err == KZ_OK)
            err = kz_store_webhook_delete(s, w.id, kz_time_now_us());
        if (err == KZ_ERR_NOTFOUND)
            snprintf(why, sizeof(why), "no webhook '%s'", argv[optind + 1]);
        if (err == KZ_OK && o.json)
            kz_cli_print_json(json_pack("{s:s, s:b}", "id", w.id, "deleted", 1));
        else if (err == KZ_OK)
            printf("removed %s\n", w.id);
        sodium_memzero(w.secret, sizeof(w.secret));
    } else {
        struct kz_delivery_query q;
        json_t *list = o.json ? json_array() : NULL;
        memset(&q, 0, sizeof(q));
        q.subscription_id = o.subject ? NULL : argv[optind + 1];
        q.subject = o.subject;
        q.limit = (size_t)o.limit;
        err = kz_store_deliveries_list(s, &q, print_delivery, list);
        if (err == KZ_OK && list)
            kz_cli_print_json(json_pack("{s:O}", "deliveries", list));
        json_decref(list);
    }
    if (err != KZ_OK || rc != 0) {
        fprintf(stderr, "kizuna webhook %s: %s\n", verb, why[0] ? why : kz_err_str(err));
        rc = 1;
    }
    kz_store_close(s);
    return rc;
}
