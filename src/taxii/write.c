/*
 * The one write path of the hub: every object stored — from a TAXII envelope (ingest.c) or
 * composed by the hub itself (an incident's versions, notes, links, published indicators
 * and reports) — is validated here, checked against the sharing and TLP rules inside the
 * store's transaction, stored, and handed to the write hooks (correlation, notifications)
 * in that transaction. The caller runs kz_taxii_batch_write inside its own transaction, so
 * that what it writes beside the objects (a status, an index) commits with them.
 */
#include "taxii/taxii.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/banned.h"

struct kz_taxii_batch {
    struct kz_hub *hub;
    const struct kz_caller *caller;
    struct kz_collection coll;
    size_t n;                      /* objects given */
    struct kz_put_result *results; /* results[i] for object i */
    size_t *slot;                  /* object i is in[slot[i]], or SIZE_MAX when refused */
    struct kz_object_in *in;
    char **json;                  /* owned serialisations, one per in[] */
    json_t **given;               /* references to the n objects, for the borrowed strings */
    const json_t **parsed;        /* parsed[k]: in[k] as JSON, for the hooks */
    const char **ids, **versions; /* of object i as validation read them; may be NULL */
    char (*creator)[KZ_SLUG_MAX]; /* creator[k] for in[k] */
    size_t n_in;
};

static kz_err
check(void *ctx, const struct kz_object_in *obj, const struct kz_object_origin *origin, char *why,
      size_t whylen)
{
    struct kz_taxii_batch *b = ctx;
    const char *creator = b->creator[obj - b->in];

    /* The creator: the org whose identity is created_by_ref, else the first submitter. */
    if (!creator[0])
        creator = origin->known ? origin->first_org : b->caller->org.slug;
    return kz_policy_check_write(b->caller, &b->coll, obj, origin, creator, why, whylen);
}

kz_err
kz_taxii_batch_new(struct kz_hub *hub, const struct kz_caller *caller,
                   const struct kz_collection *coll, json_t *const *objs, size_t n,
                   struct kz_taxii_batch **out)
{
    struct kz_stix_opts opts = {hub->default_tlp};
    struct kz_taxii_batch *b;
    /* A batch usually names one creator: the last answer is reused. */
    char last_ref[KZ_STIX_ID_MAX] = "", last_slug[KZ_SLUG_MAX] = "";

    if (n == 0 || objs == NULL || n > hub->config.max_envelope_objects)
        return KZ_ERR_LIMIT;
    b = kz_xcalloc(1, sizeof(*b));
    b->hub = hub;
    b->caller = caller;
    b->coll = *coll;
    b->n = n;
    b->results = kz_xcalloc(n, sizeof(*b->results));
    b->slot = kz_xcalloc(n, sizeof(*b->slot));
    b->in = kz_xcalloc(n, sizeof(*b->in));
    b->json = kz_xcalloc(n, sizeof(*b->json));
    b->given = kz_xcalloc(n, sizeof(*b->given));
    b->parsed = kz_xcalloc(n, sizeof(*b->parsed));
    b->ids = kz_xcalloc(n, sizeof(*b->ids));
    b->versions = kz_xcalloc(n, sizeof(*b->versions));
    b->creator = kz_xcalloc(n, sizeof(*b->creator));
    for (size_t i = 0; i < n; i++) {
        struct kz_stix_info info;
        struct kz_object_in *in = &b->in[b->n_in];
        char why[KZ_REASON_MAX];
        struct kz_org org;
        kz_err err;

        b->slot[i] = SIZE_MAX;
        b->given[i] = json_incref(objs[i]);
        memset(&info, 0, sizeof(info));
        err = kz_stix_validate(objs[i], &opts, &info, why, sizeof(why));
        b->ids[i] = info.id;
        b->versions[i] = info.version;
        if (err != KZ_OK) {
            b->results[i].outcome = KZ_PUT_REFUSED;
            snprintf(b->results[i].reason, sizeof(b->results[i].reason), "%s", why);
            continue;
        }
        b->json[b->n_in] = json_dumps(objs[i], JSON_COMPACT);
        if (!b->json[b->n_in]) {
            b->results[i].outcome = KZ_PUT_REFUSED;
            snprintf(b->results[i].reason, sizeof(b->results[i].reason),
                     "cannot serialise the object");
            continue;
        }
        b->parsed[b->n_in] = objs[i];
        /* The creator's organisation, looked up now, outside the write transaction. */
        if (info.created_by_ref && strcmp(info.created_by_ref, last_ref) == 0) {
            kz_cstr_copy(last_slug, b->creator[b->n_in], KZ_SLUG_MAX);
        } else if (info.created_by_ref &&
                   kz_store_org_by_identity(hub->store, info.created_by_ref, &org) == KZ_OK) {
            kz_cstr_copy(org.slug, b->creator[b->n_in], KZ_SLUG_MAX);
            kz_cstr_copy(info.created_by_ref, last_ref, sizeof(last_ref));
            kz_cstr_copy(org.slug, last_slug, sizeof(last_slug));
        }
        in->id = info.id;
        in->type = info.type;
        in->spec_version = info.spec_version ? info.spec_version : "2.1";
        in->created_by_ref = info.created_by_ref;
        in->version = info.version;
        in->version_us = info.version_us;
        in->tlp = info.tlp;
        in->json = b->json[b->n_in];
        in->json_len = strlen(b->json[b->n_in]);
        b->slot[i] = b->n_in++;
    }
    *out = b;
    return KZ_OK;
}

kz_err
kz_taxii_batch_write(struct kz_taxii_batch *b, struct kz_store_tx *tx)
{
    struct kz_put_result *res;
    struct kz_write_event ev = {0};
    kz_err err = KZ_OK;

    if (b->n_in == 0)
        return KZ_OK;
    res = kz_xcalloc(b->n_in, sizeof(*res));
    err =
        kz_store_tx_objects_put(tx, b->coll.id, b->caller->org.slug, b->in, b->n_in, check, b, res);
    if (err == KZ_OK) {
        ev.caller = b->caller;
        ev.collection = &b->coll;
        ev.objs = b->in;
        ev.results = res;
        ev.n = b->n_in;
        ev.parsed = b->parsed;
        for (size_t i = 0; err == KZ_OK && i < b->hub->n_write_hooks; i++)
            err = b->hub->write_hooks[i](b->hub, tx, &ev);
    }
    if (err == KZ_OK) {
        for (size_t i = 0; i < b->n; i++) {
            if (b->slot[i] != SIZE_MAX)
                b->results[i] = res[b->slot[i]];
        }
    }
    free(res);
    return err;
}

void
kz_taxii_batch_ident(const struct kz_taxii_batch *b, size_t i, const char **id,
                     const char **version)
{
    *id = i < b->n ? b->ids[i] : NULL;
    *version = i < b->n ? b->versions[i] : NULL;
}

const struct kz_put_result *
kz_taxii_batch_result(const struct kz_taxii_batch *b, size_t i)
{
    return i < b->n ? &b->results[i] : NULL;
}

void
kz_taxii_batch_free(struct kz_taxii_batch *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; i < b->n_in; i++)
        free(b->json[i]);
    for (size_t i = 0; i < b->n; i++)
        json_decref(b->given[i]);
    free(b->results);
    free(b->slot);
    free(b->in);
    free(b->json);
    free(b->given);
    free(b->parsed);
    free(b->ids);
    free(b->versions);
    free(b->creator);
    free(b);
}
