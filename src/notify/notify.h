/*
 * Notifications: webhook subscriptions per organisation, a persistent outbox filled inside
 * the transaction of the write that causes an event, and a worker that delivers the
 * outbox over HTTP, signed, with retries and dead letters. See docs/gsoc.md "Webhooks".
 */
#ifndef KZ_NOTIFY_NOTIFY_H
#define KZ_NOTIFY_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/err.h"
#include "store/store.h"

/* The event types a subscription may name. */
extern const char *const kz_notify_event_types[];
bool kz_notify_event_valid(const char *type);

struct kz_notify_event {
    const char *type;        /* "alert.created", "alert.updated", "incident.created",
                                "incident.updated", "incident.national", "object.added" */
    const char *subject;     /* what it is about: alert id, incident id, object id */
    const char *const *orgs; /* organisations whose subscriptions may receive it */
    size_t n_orgs;
    const char *collection_id; /* object.added: the collection; NULL otherwise */
    const char *data_json;     /* the event's "data": a JSON object, serialised */
};

/*
 * Queues one delivery per matching subscription in the caller's transaction (outbox), so
 * that the notification is durable exactly when the write that caused it is. A
 * subscription matches when the event type is among its events and its organisation is
 * among ev->orgs — for "incident.national", when it is a national contact whatever its
 * organisation — and, when ev->collection_id is set, when it is on that collection.
 * KZ_ERR_INVALID for an unknown type or data that is not a JSON object; store errors.
 */
kz_err kz_notify_emit(struct kz_store_tx *tx, const struct kz_notify_event *ev);

/* Would kz_notify_emit queue anything? ev->data_json is not looked at: callers that
 * notify often build the data only when someone receives it. */
kz_err kz_notify_wanted(struct kz_store_tx *tx, const struct kz_notify_event *ev, bool *wanted);

/* Deliveries queued for a subject (incident id...), oldest first: who was notified when. */
kz_err kz_notify_deliveries_for(struct kz_store *s, const char *subject,
                                void (*fn)(void *ctx, const struct kz_delivery *d), void *ctx);

const char *kz_delivery_state_name(enum kz_delivery_state st);

/* ---- subscriptions ---- */

#define KZ_NOTIFY_URL_MAX     2000 /* longest accepted subscription URL */
#define KZ_NOTIFY_MAX_PER_ORG 100  /* subscriptions of one organisation */

/* An http:// or https:// URL with a host, no credentials, no spaces, at most URL_MAX. */
kz_err kz_notify_url_check(const char *url, char *why, size_t whylen);

/*
 * Checks and stores a subscription: w->org, url, events (space-separated), collection_id
 * (a collection id, or ""), national and role are the caller's; id, secret and created_us
 * are filled in. object.added needs a collection and a collection needs object.added;
 * incident.national needs national. KZ_ERR_LIMIT past KZ_NOTIFY_MAX_PER_ORG subscriptions.
 */
kz_err kz_notify_subscribe(struct kz_store *s, struct kz_webhook *w, char *why, size_t whylen);

/*
 * Reads a subscription request {"url", "events": [...], "collection"?, "national"?} into
 * w (url, events, national) and *collection (borrowed from j; NULL when absent); checks
 * types, unknown fields, the URL and the event names. The rules that need the store or
 * the caller are kz_notify_subscribe's and the API's.
 */
kz_err kz_notify_request_parse(const json_t *j, struct kz_webhook *w, const char **collection,
                               char *why, size_t whylen);

/* JSON forms for the API and the command line; the secret only when with_secret. */
json_t *kz_notify_webhook_json(const struct kz_webhook *w, bool with_secret);
json_t *kz_notify_delivery_json(const struct kz_delivery *d, const struct kz_delivery_extra *x);

/* ---- delivery ---- */

#define KZ_NOTIFY_SIGNATURE_MAX 96 /* "t=<seconds>,v1=<64 hex>" */

/* Lower-case hex HMAC-SHA256 of msg under key (any length). */
void kz_notify_hmac_hex(const void *key, size_t keylen, const void *msg, size_t n, char out[65]);

/* The Kizuna-Signature value: "t=<t>,v1=<hex HMAC-SHA256 of "<t>.<body>" under secret>". */
void kz_notify_signature(const char *secret, int64_t t, const char *body, size_t n,
                         char out[KZ_NOTIFY_SIGNATURE_MAX]);

/*
 * The wait before the next attempt after `failures` failed ones (>= 1): base doubling each
 * time, capped, then jittered into [d/2, d] by rnd (uniform over 0..UINT32_MAX), so that
 * receivers coming back are not hit by every sender at once.
 */
uint64_t kz_notify_backoff_ms(unsigned failures, uint64_t base_ms, uint64_t cap_ms, uint32_t rnd);

/* The request body: {"id", "event", "subject", "created", "data"}. */
kz_err kz_notify_body(const struct kz_delivery *d, const char *data_json, struct kz_buf *out);

struct sockaddr;
/* False for loopback, private, shared, link-local, multicast and reserved addresses (IPv4,
 * IPv6 and IPv4-mapped IPv6). */
bool kz_notify_addr_public(const struct sockaddr *sa);

struct kz_notify_settings {
    unsigned attempts;       /* then dead */
    uint64_t backoff_ms;     /* first wait */
    uint64_t backoff_max_ms; /* cap of the wait */
    uint64_t timeout_ms;     /* whole request */
    uint64_t connect_timeout_ms;
    unsigned parallel; /* requests in flight at once */
    uint64_t poll_ms;  /* how often the outbox is read */
    bool public_only;  /* refuse receivers on non-public addresses */
    uint64_t log_days; /* finished deliveries kept this long; 0: for ever */
};

struct kz_notify_worker;

/* Starts the delivery thread on the store (borrowed; it must outlive the worker). */
kz_err kz_notify_worker_start(struct kz_store *s, const struct kz_notify_settings *cfg,
                              struct kz_notify_worker **out);
/* Stops it: requests in flight are abandoned and stay queued (sent again at the next start). */
void kz_notify_worker_stop(struct kz_notify_worker *w);

/* ---- the write hook ---- */

struct kz_hub;
struct kz_write_event;

/*
 * The hub's write hook: object.added for each object a TAXII write added, to subscriptions
 * on that collection whose organisation may read the object (collection readers and TLP).
 */
kz_err kz_notify_write_hook(struct kz_hub *hub, struct kz_store_tx *tx,
                            const struct kz_write_event *ev);

#endif
