/*
 * The one write path: a TAXII envelope is parsed, each object validated, checked against
 * the sharing rules inside the store's transaction, stored, handed to the hub's write hooks
 * (correlation, notifications) in the same transaction, and reported in a status.
 */
#include "taxii/taxii_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/time.h"
#include "base/banned.h"

/* One object of the envelope on its way to the store. */
struct pending {
    struct kz_stix_info info;
    char *json;               /* owned compact serialisation */
    char creator[KZ_SLUG_MAX];
    size_t entry;             /* index in the status entries */
};

struct check_ctx {
    const struct kz_caller *caller;
    const struct kz_collection *coll;
    struct pending *pending; /* pending[i] belongs to in[i] */
    const struct kz_object_in *in;
};

static kz_err
check_object(void *ctx, const struct kz_object_in *obj, const struct kz_object_origin *origin,
             char *why, size_t whylen)
{
    struct check_ctx *cc = ctx;
    const struct pending *p = &cc->pending[obj - cc->in];
    const char *creator;

    /* The creator: the org whose identity is created_by_ref, else the first submitter. */
    if (p->creator[0])
        creator = p->creator;
    else if (origin->known)
        creator = origin->first_org;
    else
        creator = cc->caller->org.slug;
    return kz_policy_check_write(cc->caller, cc->coll, obj, origin, creator, why, whylen);
}

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

/* One envelope's write: objects, the components that follow the write path, the status. */
struct write_ctx {
    struct kz_hub *hub;
    struct check_ctx cc;
    size_t n_in;
    struct kz_put_result *results; /* results[i] for cc.in[i] */
    const json_t **parsed;         /* parsed[i]: cc.in[i] as JSON, for the hooks */
    struct kz_status *st;
};

static kz_err
write_envelope(void *ctx, struct kz_store_tx *tx)
{
    struct write_ctx *w = ctx;
    struct kz_write_event ev = {w->cc.caller, w->cc.coll, w->cc.in, w->results, w->n_in,
                                w->parsed};
    kz_err err = KZ_OK;

    if (w->n_in)
        err = kz_store_tx_objects_put(tx, w->cc.coll->id, w->cc.caller->org.slug, w->cc.in,
                                      w->n_in, check_object, &w->cc, w->results);
    if (err != KZ_OK)
        return err;
    for (size_t i = 0; i < w->n_in; i++) {
        const struct pending *p = &w->cc.pending[i];
        const struct kz_put_result *r = &w->results[i];
        if (r->outcome == KZ_PUT_REFUSED)
            set_entry(&w->st->entries[p->entry], p->info.id, p->info.version, KZ_STATUS_FAILURE,
                      r->reason);
        else
            set_entry(&w->st->entries[p->entry], p->info.id, p->info.version, KZ_STATUS_SUCCESS,
                      r->outcome == KZ_PUT_DUPLICATE ? "already present" : NULL);
    }
    for (size_t i = 0; i < w->hub->n_write_hooks; i++) {
        err = w->hub->write_hooks[i](w->hub, tx, &ev);
        if (err != KZ_OK)
            return err;
    }
    return kz_store_tx_status_put(tx, w->st);
}

void
kz_taxii_objects_post(struct kz_hub *hub, const struct kz_http_request *req,
                      const struct kz_caller *caller, struct kz_http_response *resp)
{
    struct kz_collection c;
    struct kz_stix_opts opts = {hub->default_tlp};
    struct kz_status st;
    struct pending *pending = NULL;
    struct kz_object_in *in = NULL;
    struct kz_put_result *results = NULL;
    const json_t **parsed = NULL;
    struct write_ctx w;
    json_t *env = NULL, *objects, *o;
    size_t n, n_in = 0, idx;
    char why[512], last_ref[KZ_STIX_ID_MAX] = "", last_slug[KZ_SLUG_MAX] = "";
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
    pending = kz_xcalloc(n ? n : 1, sizeof(*pending));
    in = kz_xcalloc(n ? n : 1, sizeof(*in));
    results = kz_xcalloc(n ? n : 1, sizeof(*results));
    parsed = kz_xcalloc(n ? n : 1, sizeof(*parsed));

    json_array_foreach(objects, idx, o) {
        struct pending *p = &pending[n_in];

        if (!json_is_object(o)) {
            set_entry(&st.entries[idx], "", "", KZ_STATUS_FAILURE, "not a JSON object");
            continue;
        }
        attribute_sighting(o, caller);
        if (kz_stix_validate(o, &opts, &p->info, why, sizeof(why)) != KZ_OK) {
            set_entry(&st.entries[idx], p->info.id, p->info.version, KZ_STATUS_FAILURE, why);
            memset(p, 0, sizeof(*p));
            continue;
        }
        p->json = json_dumps(o, JSON_COMPACT);
        if (!p->json) {
            set_entry(&st.entries[idx], p->info.id, p->info.version, KZ_STATUS_FAILURE,
                      "cannot serialise the object");
            continue;
        }
        /*
         * Resolve created_by_ref to an organisation now, outside the write transaction; an
         * envelope usually names one creator, so the previous answer is reused.
         */
        if (p->info.created_by_ref) {
            struct kz_org org;
            if (strcmp(p->info.created_by_ref, last_ref) == 0) {
                kz_cstr_copy(last_slug, p->creator, sizeof(p->creator));
            } else if (kz_store_org_by_identity(hub->store, p->info.created_by_ref, &org) ==
                       KZ_OK) {
                kz_cstr_copy(org.slug, p->creator, sizeof(p->creator));
                kz_cstr_copy(p->info.created_by_ref, last_ref, sizeof(last_ref));
                kz_cstr_copy(org.slug, last_slug, sizeof(last_slug));
            }
        }
        p->entry = idx;
        in[n_in].id = p->info.id;
        in[n_in].type = p->info.type;
        in[n_in].spec_version = p->info.spec_version ? p->info.spec_version : "2.1";
        in[n_in].created_by_ref = p->info.created_by_ref;
        in[n_in].version = p->info.version;
        in[n_in].version_us = p->info.version_us;
        in[n_in].tlp = p->info.tlp;
        in[n_in].json = p->json;
        in[n_in].json_len = strlen(p->json);
        parsed[n_in] = o;
        n_in++;
    }

    w.hub = hub;
    w.cc.caller = caller;
    w.cc.coll = &c;
    w.cc.pending = pending;
    w.cc.in = in;
    w.n_in = n_in;
    w.results = results;
    w.parsed = parsed;
    w.st = &st;
    err = kz_store_transaction(hub->store, write_envelope, &w);
    if (err != KZ_OK) {
        kz_log(KZ_LOG_ERROR, "cannot store envelope collection=%s org=%s: %s", c.alias,
               caller->org.slug, kz_err_str(err));
        kz_http_error(resp, true, 500, "Internal error",
                      "the envelope could not be stored; nothing was written");
        goto done;
    }
    kz_http_json(resp, 202, KZ_MEDIA_TAXII, kz_taxii__status_json(&st));
    kz_log(KZ_LOG_INFO, "envelope collection=%s org=%s objects=%zu status=%s", c.alias,
           caller->org.slug, n, st.id);
done:
    for (size_t i = 0; pending && i < n_in; i++)
        free(pending[i].json);
    free(pending);
    free(in);
    free(results);
    free(parsed);
    free(st.entries);
    json_decref(env);
}
