/* Webhook subscriptions: the checks on what a subscriber asks for, and their JSON forms. */
#include "notify/notify.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "base/id.h"
#include "base/time.h"
#include "base/banned.h"

kz_err
kz_notify_url_check(const char *url, char *why, size_t whylen)
{
    size_t n, host_n;
    const char *host;

    if (url == NULL || *url == '\0') {
        snprintf(why, whylen, "'url' is required");
        return KZ_ERR_INVALID;
    }
    n = strlen(url);
    if (n > KZ_NOTIFY_URL_MAX) {
        snprintf(why, whylen, "'url' is longer than %d bytes", KZ_NOTIFY_URL_MAX);
        return KZ_ERR_INVALID;
    }
    if (strncmp(url, "http://", 7) == 0)
        host = url + 7;
    else if (strncmp(url, "https://", 8) == 0)
        host = url + 8;
    else {
        snprintf(why, whylen, "'url' must start with http:// or https://");
        return KZ_ERR_INVALID;
    }
    for (const char *p = url; *p; p++) {
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
            snprintf(why, whylen, "'url' must be printable ASCII without spaces");
            return KZ_ERR_INVALID;
        }
    }
    host_n = strcspn(host, "/?#");
    if (host_n == 0 || host[0] == ':') {
        snprintf(why, whylen, "'url' has no host");
        return KZ_ERR_INVALID;
    }
    if (memchr(host, '@', host_n)) {
        snprintf(why, whylen, "'url' must not carry credentials");
        return KZ_ERR_INVALID;
    }
    return KZ_OK;
}

/* Checks a space-separated event list: known types, no repeats, at least one. */
static kz_err
events_check(const char *events, bool *has, char *why, size_t whylen)
{
    char seen[64] = "", one[KZ_EVENT_MAX];
    size_t pos = 0, n_events = 0;

    memset(has, 0, sizeof(bool) * 8);
    while (events[pos]) {
        size_t len = strcspn(events + pos, " ");
        if (len == 0) {
            pos++;
            continue;
        }
        if (len >= sizeof(one)) {
            snprintf(why, whylen, "unknown event '%.40s'", events + pos);
            return KZ_ERR_INVALID;
        }
        memcpy(one, events + pos, len);
        one[len] = '\0';
        pos += len;
        size_t i;
        for (i = 0; kz_notify_event_types[i]; i++) {
            if (strcmp(kz_notify_event_types[i], one) == 0)
                break;
        }
        if (!kz_notify_event_types[i]) {
            snprintf(why, whylen,
                     "unknown event '%s' (alert.created, alert.updated, incident.created, "
                     "incident.updated, incident.national, object.added)",
                     one);
            return KZ_ERR_INVALID;
        }
        if (seen[i]) {
            snprintf(why, whylen, "event '%s' is listed twice", one);
            return KZ_ERR_INVALID;
        }
        seen[i] = 1;
        has[i] = true;
        n_events++;
    }
    if (n_events == 0) {
        snprintf(why, whylen, "'events' needs at least one event type");
        return KZ_ERR_INVALID;
    }
    return KZ_OK;
}

enum { EV_NATIONAL = 4, EV_OBJECT_ADDED = 5 }; /* indexes in kz_notify_event_types */

kz_err
kz_notify_subscribe(struct kz_store *s, struct kz_webhook *w, char *why, size_t whylen)
{
    bool has[8];
    char raw[32];
    kz_err err;

    err = kz_notify_url_check(w->url, why, whylen);
    if (err == KZ_OK)
        err = events_check(w->events, has, why, whylen);
    if (err != KZ_OK)
        return err;
    if (has[EV_OBJECT_ADDED] && !w->collection_id[0]) {
        snprintf(why, whylen, "'object.added' needs a 'collection'");
        return KZ_ERR_INVALID;
    }
    if (!has[EV_OBJECT_ADDED] && w->collection_id[0]) {
        snprintf(why, whylen, "'collection' applies only to 'object.added'");
        return KZ_ERR_INVALID;
    }
    if (has[EV_NATIONAL] && !w->national) {
        snprintf(why, whylen, "'incident.national' goes only to national contacts "
                              "(\"national\": true)");
        return KZ_ERR_INVALID;
    }
    kz_uuid_v4(w->id);
    randombytes_buf(raw, sizeof(raw));
    memcpy(w->secret, "whsec_", 6);
    sodium_bin2hex(w->secret + 6, sizeof(w->secret) - 6, (const unsigned char *)raw, sizeof(raw));
    sodium_memzero(raw, sizeof(raw));
    w->created_us = kz_time_now_us();
    err = kz_store_webhook_add(s, w);
    if (err == KZ_ERR_NOTFOUND)
        snprintf(why, whylen, "no organisation '%s'", w->org);
    else if (err != KZ_OK)
        snprintf(why, whylen, "cannot store the subscription: %s", kz_err_str(err));
    return err;
}

json_t *
kz_notify_webhook_json(const struct kz_webhook *w, bool with_secret)
{
    char created[KZ_TIME_TEXT_MAX];
    json_t *events = json_array(), *j;
    size_t pos = 0;

    while (w->events[pos]) {
        size_t len = strcspn(w->events + pos, " ");
        if (len)
            json_array_append_new(events, json_stringn(w->events + pos, len));
        pos += len ? len : 1;
    }
    kz_time_format_ms(w->created_us, created);
    j = json_pack("{s:s, s:s, s:s, s:o, s:b, s:s}", "id", w->id, "org", w->org, "url", w->url,
                  "events", events, "national", w->national, "created", created);
    json_object_set_new(j, "collection",
                        w->collection_id[0] ? json_string(w->collection_id) : json_null());
    if (with_secret)
        json_object_set_new(j, "secret", json_string(w->secret));
    return j;
}

/* The attempt log with times as text: [{"at", "status", "error"}]. */
static json_t *
attempt_log_json(const char *text)
{
    json_t *log = json_loads(text ? text : "[]", 0, NULL), *e;
    size_t i;

    if (!json_is_array(log)) {
        json_decref(log);
        return json_array();
    }
    json_array_foreach(log, i, e) {
        json_t *at = json_object_get(e, "at");
        if (json_is_integer(at)) {
            char ts[KZ_TIME_TEXT_MAX];
            kz_time_format_ms(json_integer_value(at), ts);
            json_object_set_new(e, "at", json_string(ts));
        }
    }
    return log;
}

static json_t *
time_or_null(int64_t us)
{
    char ts[KZ_TIME_TEXT_MAX];

    if (us == 0)
        return json_null();
    kz_time_format_ms(us, ts);
    return json_string(ts);
}

json_t *
kz_notify_delivery_json(const struct kz_delivery *d, const struct kz_delivery_extra *x)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i}", "id", d->id,
                          "subscription", d->subscription_id, "org", d->org, "url", d->url,
                          "event", d->event, "subject", d->subject, "state",
                          kz_delivery_state_name(d->state), "attempts", (int)d->attempts);

    json_object_set_new(j, "created", time_or_null(d->created_us));
    json_object_set_new(j, "next_attempt",
                        d->state == KZ_DELIVERY_QUEUED ? time_or_null(d->next_us) : json_null());
    json_object_set_new(j, "delivered", time_or_null(d->delivered_us));
    json_object_set_new(j, "last_status", d->last_status ? json_integer(d->last_status)
                                                         : json_null());
    json_object_set_new(j, "last_error", d->last_error[0] ? json_string(d->last_error)
                                                          : json_null());
    if (x && x->attempt_log)
        json_object_set_new(j, "attempt_log", attempt_log_json(x->attempt_log));
    return j;
}
