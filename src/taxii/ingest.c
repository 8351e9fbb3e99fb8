/*
 * TAXII's POST of an envelope: parsed, its sightings attributed to the posting
 * organisation, written through the one write path (write.c) in one transaction with the
 * status resource that reports each object's outcome.
 */
#include "taxii/taxii_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/time.h"
#include "base/banned.h"

static void
set_entry(struct kz_status_entry *e, const char *id, const char *version, enum kz_status_kind kind,
          const char *message)
{
    kz_cstr_copy(id ? id : "", e->id, sizeof(e->id));
    kz_cstr_copy(version ? version : "", e->version, sizeof(e->version));
    e->kind = kind;
    snprintf(e->message, sizeof(e->message), "%s", message ? message : "");
}

/*
 * A sighting is attributed to the organisation of the key that posted it: where_sighted_refs
 * becomes that organisation's identity, and a claim of another is logged. Done before
 * validation so that the stored object carries the true identity.
 */
static void
attribute_sighting(json_t *o, const struct kz_caller *caller)
{
    const char *type = kz_json_str(o, "type"), *id = kz_json_str(o, "id");
    const char *mine = caller->org.identity_id;
    json_t *refs;
    char *claimed;

    if (!type || strcmp(type, "sighting") != 0 || !caller->authenticated || !mine[0])
        return;
    refs = json_object_get(o, "where_sighted_refs");
    if (json_is_array(refs) && json_array_size(refs) == 1 &&
        json_is_string(json_array_get(refs, 0)) &&
        strcmp(json_string_value(json_array_get(refs, 0)), mine) == 0)
        return;
    if (refs) {
        claimed = json_dumps(refs, JSON_COMPACT);
        kz_log(KZ_LOG_WARN,
               "sighting attributed to the posting organisation id=%.100s org=%s claimed=%.400s",
               id ? id : "-", caller->org.slug, claimed ? claimed : "?");
        free(claimed);
    }
    json_object_set_new(o, "where_sighted_refs", json_pack("[s]", mine));
}

/* One envelope's write: its objects (through the write path) and its status. */
struct write_ctx {
    struct kz_taxii_batch *batch; /* NULL when the envelope holds no object */
    const size_t *entry;          /* object k of the batch is status entry entry[k] */
    size_t n;
    struct kz_status *st;
};

static kz_err
write_envelope(void *ctx, struct kz_store_tx *tx)
{
    struct write_ctx *w = ctx;
    kz_err err = w->batch ? kz_taxii_batch_write(w->batch, tx) : KZ_OK;

    if (err != KZ_OK)
        return err;
    for (size_t k = 0; k < w->n; k++) {
        const struct kz_put_result *r = kz_taxii_batch_result(w->batch, k);
        struct kz_status_entry *e = &w->st->entries[w->entry[k]];
        const char *id, *version;

        kz_taxii_batch_ident(w->batch, k, &id, &version);
        if (r->outcome == KZ_PUT_REFUSED)
            set_entry(e, id, version, KZ_STATUS_FAILURE, r->reason);
        else
            set_entry(e, id, version, KZ_STATUS_SUCCESS,
                      r->outcome == KZ_PUT_DUPLICATE ? "already present" : NULL);
    }
    return kz_store_tx_status_put(tx, w->st);
}

void
kz_taxii_objects_post(struct kz_hub *hub, const struct kz_http_request *req,
                      const struct kz_caller *caller, struct kz_http_response *resp)
{
    struct kz_collection c;
    struct kz_status st;
    struct write_ctx w;
    json_t *env = NULL, *objects, *o, **objs = NULL;
    size_t *entry = NULL;
    size_t n, idx;
    char why[512];
    kz_err err;

    memset(&st, 0, sizeof(st));
    memset(&w, 0, sizeof(w));
    if (!kz_taxii__collection(hub, req, caller, KZ_TAXII_WRITE, &c, resp))
        return;
    if (req->n_params > 0) {
        kz_http_error(resp, true, 400, "Bad request",
                      "query parameter '%.64s' is not supported here", req->params[0].key);
        return;
    }
    if (!kz_http_content_type_ok(req->content_type, false)) {
        kz_http_error(resp, true, 415, "Unsupported media type",
                      "send the envelope as '%s'", KZ_MEDIA_TAXII);
        return;
    }
    err = kz_json_parse(req->body, req->body_len, &hub->json_limits, &env, why, sizeof(why));
    if (err != KZ_OK) {
        kz_http_error(resp, true, 400, "Bad request", "%s", why);
        return;
    }
    objects = json_object_get(env, "objects");
    if (!json_is_object(env) || !json_is_array(objects)) {
        kz_http_error(resp, true, 400, "Bad request",
                      "the body must be an envelope: an object with an 'objects' array");
        goto done;
    }
    n = json_array_size(objects);
    if (n > hub->config.max_envelope_objects) {
        kz_http_error(resp, true, 413, "Request too large",
                      "the envelope has %zu objects; at most %llu are accepted", n,
                      (unsigned long long)hub->config.max_envelope_objects);
        goto done;
    }

    kz_uuid_v4(st.id);
    kz_cstr_copy(c.id, st.collection_id, sizeof(st.collection_id));
    kz_cstr_copy(caller->org.slug, st.org, sizeof(st.org));
    st.request_us = kz_time_now_us();
    st.n = n;
    st.entries = kz_xcalloc(n ? n : 1, sizeof(*st.entries));
    objs = kz_xcalloc(n ? n : 1, sizeof(*objs));
    entry = kz_xcalloc(n ? n : 1, sizeof(*entry));
    json_array_foreach(objects, idx, o) {
        if (!json_is_object(o)) {
            set_entry(&st.entries[idx], "", "", KZ_STATUS_FAILURE, "not a JSON object");
            continue;
        }
        attribute_sighting(o, caller);
        objs[w.n] = o;
        entry[w.n++] = idx;
    }
    w.entry = entry;
    w.st = &st;
    if (w.n > 0) {
        err = kz_taxii_batch_new(hub, caller, &c, objs, w.n, &w.batch);
        if (err != KZ_OK)
            goto fail;
    }
    err = kz_store_transaction(hub->store, write_envelope, &w);
    if (err != KZ_OK)
        goto fail;
    kz_http_json(resp, 202, KZ_MEDIA_TAXII, kz_taxii__status_json(&st));
    kz_log(KZ_LOG_INFO, "envelope collection=%s org=%s objects=%zu status=%s", c.alias,
           caller->org.slug, n, st.id);
    goto done;
fail:
    kz_log(KZ_LOG_ERROR, "cannot store envelope collection=%s org=%s: %s", c.alias,
           caller->org.slug, kz_err_str(err));
    kz_http_error(resp, true, 500, "Internal error",
                  "the envelope could not be stored; nothing was written");
done:
    kz_taxii_batch_free(w.batch);
    free(objs);
    free(entry);
    free(st.entries);
    json_decref(env);
}
