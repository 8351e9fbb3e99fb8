/*
 * POST /api/v1/incidents/{id}/publish: the centre shares chosen indicators and a sanitised
 * report from an incident to chosen collections at a chosen TLP, through the TAXII write
 * path and its rules, and learns per object what was accepted.
 */
#include "api/incidents_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/time.h"
#include "incident/incident.h"
#include "notify/notify.h"
#include "taxii/taxii.h"
#include "base/banned.h"

/* ---- publish: chosen indicators and a sanitised report to chosen collections ---- */

struct publish_target {
    struct kz_collection coll;
    json_t *result; /* {"collection", "objects": [...]} */
    struct kz_taxii_batch *indicators;
    struct kz_taxii_batch *report;
    json_t *report_obj;
};

struct publish {
    struct kz_hub *hub;
    const struct kz_caller *caller;
    const struct kz_incident_row *row;
    json_t *state;   /* updated with first_shared */
    json_t **copies; /* the indicator copies; NULL where refused before writing */
    json_t *pre;     /* reasons for indicators refused before writing */
    size_t n_ind;
    const char *report_name, *report_description;
    enum kz_tlp tlp;
    struct publish_target *targets;
    size_t n_targets;
    int64_t now;
    size_t published; /* reports written */
};

static void
object_result(json_t *list, const char *id, const char *type, const char *outcome,
              const char *reason)
{
    json_t *r = json_pack("{s:s, s:s, s:s}", "id", id ? id : "", "type", type, "outcome", outcome);

    if (reason && reason[0])
        json_object_set_new(r, "reason", json_string(reason));
    json_array_append_new(list, r);
}

static const char *
outcome_name(enum kz_put_outcome o)
{
    return o == KZ_PUT_ADDED ? "added" : o == KZ_PUT_DUPLICATE ? "duplicate" : "refused";
}

static kz_err
publish_in_tx(void *ctx, struct kz_store_tx *tx)
{
    struct publish *p = ctx;
    kz_err err = KZ_OK;

    p->published = 0;
    for (size_t t = 0; t < p->n_targets; t++) {
        struct publish_target *pt = &p->targets[t];
        json_t *objs = json_array(), *refs = json_array();
        json_t *copies[PUBLISH_MAX_OBJECTS];
        size_t n = 0;
        char rid[KZ_STIX_ID_MAX];

        json_object_set_new(pt->result, "objects", objs);
        if (!json_is_null(json_object_get(pt->result, "reason"))) {
            json_decref(refs);
            continue; /* the collection itself was refused */
        }
        for (size_t i = 0; i < p->n_ind; i++) {
            if (p->copies[i])
                copies[n++] = p->copies[i];
        }
        kz_taxii_batch_free(pt->indicators);
        pt->indicators = NULL;
        if (n) {
            err = kz_taxii_batch_new(p->hub, p->caller, &pt->coll, copies, n, &pt->indicators);
            if (err == KZ_OK)
                err = kz_taxii_batch_write(pt->indicators, tx);
            if (err != KZ_OK) {
                json_decref(refs);
                return err;
            }
        }
        for (size_t i = 0, k = 0; i < p->n_ind; i++) {
            const struct kz_put_result *r;
            const char *id = kz_json_str(json_array_get(p->pre, i), "id");
            if (!p->copies[i]) {
                object_result(objs, id, "indicator", "refused",
                              kz_json_str(json_array_get(p->pre, i), "reason"));
                continue;
            }
            r = kz_taxii_batch_result(pt->indicators, k++);
            object_result(objs, id, "indicator", outcome_name(r->outcome), r->reason);
            if (r->outcome != KZ_PUT_REFUSED)
                json_array_append_new(refs, json_string(id));
        }
        if (json_array_size(refs) == 0) {
            object_result(objs, NULL, "report", "refused", "no indicator could be published");
            json_decref(refs);
            continue;
        }
        /* The report: name and description as given, the published indicators, no notes. */
        json_decref(pt->report_obj);
        pt->report_obj = kz_api__incident_new_object("report", p->caller, p->now, rid);
        json_object_set_new(pt->report_obj, "name", json_string(p->report_name));
        if (p->report_description)
            json_object_set_new(pt->report_obj, "description", json_string(p->report_description));
        json_object_set(pt->report_obj, "published", json_object_get(pt->report_obj, "created"));
        json_object_set_new(pt->report_obj, "report_types", json_pack("[s]", "threat-report"));
        json_object_set_new(pt->report_obj, "object_refs", refs);
        json_object_set_new(pt->report_obj, "object_marking_refs",
                            json_pack("[s]", kz_tlp_marking_id(p->tlp)));
        kz_taxii_batch_free(pt->report);
        pt->report = NULL;
        err = kz_taxii_batch_new(p->hub, p->caller, &pt->coll, &pt->report_obj, 1, &pt->report);
        if (err == KZ_OK)
            err = kz_taxii_batch_write(pt->report, tx);
        if (err != KZ_OK)
            return err;
        {
            const struct kz_put_result *r = kz_taxii_batch_result(pt->report, 0);
            object_result(objs, rid, "report", outcome_name(r->outcome), r->reason);
            if (r->outcome == KZ_PUT_ADDED) {
                struct kz_incident_ref ref;
                memset(&ref, 0, sizeof(ref));
                kz_cstr_copy(p->row->id, ref.incident_id, sizeof(ref.incident_id));
                kz_cstr_copy(rid, ref.object_id, sizeof(ref.object_id));
                kz_cstr_copy("report", ref.kind, sizeof(ref.kind));
                kz_cstr_copy(pt->coll.id, ref.collection_id, sizeof(ref.collection_id));
                ref.at_us = p->now;
                err = kz_store_tx_incident_ref_put(tx, &ref);
                if (err != KZ_OK)
                    return err;
                p->published++;
            }
        }
    }
    /* The first share is kept with the incident for the figures. */
    if (p->published && !json_object_get(p->state, "first_shared")) {
        struct kz_incident_row now;
        char ts[KZ_TIME_TEXT_MAX];
        json_t *cur;

        memset(&now, 0, sizeof(now));
        err = kz_store_tx_incident_get(tx, p->row->id, &now);
        if (err != KZ_OK)
            return err;
        cur = json_loads(now.state, 0, NULL);
        if (cur) {
            kz_time_format_us(p->now, ts);
            json_object_set_new(cur, "first_shared", json_string(ts));
            free(now.state);
            now.state = json_dumps(cur, JSON_COMPACT);
            json_decref(cur);
            err = kz_store_tx_incident_put(tx, &now);
        }
        kz_incident_row_release(&now);
    }
    return err;
}

struct find_ctx {
    struct kz_hub *hub;
    const char *id;
    json_t *found;
    enum kz_tlp tlp;
};

static void
find_in(void *ctx, const struct kz_collection *c)
{
    struct find_ctx *f = ctx;

    if (!f->found)
        f->found = kz_api__incident_fetch(f->hub, c->id, f->id, &f->tlp);
}

/* The indicator: in the incident's collection first, else wherever the centre has it. */
static json_t *
find_indicator(struct kz_hub *hub, const char *collection_id, const char *id, enum kz_tlp *tlp)
{
    struct find_ctx f = {hub, id, NULL, KZ_TLP_CLEAR};

    f.found = kz_api__incident_fetch(hub, collection_id, id, &f.tlp);
    if (!f.found)
        kz_store_collection_list(hub->store, find_in, &f);
    *tlp = f.tlp;
    return f.found;
}

KZ_API_HANDLER(kz_api_incident_publish)
{
    static const char *const keys[] = {"indicators", "report", "collections", "tlp"};
    struct kz_incident_row row;
    struct publish p;
    json_t *body = NULL, *state = NULL, *inds, *colls, *rep, *e, *out = NULL;
    const char *tlp_text;
    size_t i;
    kz_err err;

    memset(&p, 0, sizeof(p));
    if (!kz_api__incident_require(caller, resp) || !(body = kz_api__body(hub, req, resp)))
        return;
    if (!kz_api__incident_load(hub, caller, req->segments[0], &row, &state, resp)) {
        json_decref(body);
        return;
    }
    if (!kz_api__incident_triager(caller)) {
        kz_http_error(resp, false, 403, "Forbidden", "only the centre publishes from an incident");
        goto done;
    }
    if (!json_is_object(body) || !kz_api__only_keys(body, keys, 4, resp) ||
        !kz_api__opt_string(body, "tlp", 32, &tlp_text, resp))
        goto done;
    inds = json_object_get(body, "indicators");
    colls = json_object_get(body, "collections");
    rep = json_object_get(body, "report");
    if (!json_is_array(inds) || json_array_size(inds) == 0 ||
        json_array_size(inds) > PUBLISH_MAX_OBJECTS || !json_is_array(colls) ||
        json_array_size(colls) == 0 || json_array_size(colls) > PUBLISH_MAX_COLLECTIONS) {
        kz_http_error(resp, false, 400, "Bad request",
                      "'indicators' (1..%d ids) and 'collections' (1..%d) are required",
                      PUBLISH_MAX_OBJECTS, PUBLISH_MAX_COLLECTIONS);
        goto done;
    }
    if (json_array_size(inds) > hub->config.max_envelope_objects) {
        kz_http_error(resp, false, 413, "Request too large",
                      "at most %llu objects are written at once on this hub",
                      (unsigned long long)hub->config.max_envelope_objects);
        goto done;
    }
    if (!json_is_object(rep) ||
        !kz_api__opt_string(rep, "name", KZ_NAME_MAX - 1, &p.report_name, resp) ||
        !kz_api__opt_string(rep, "description", KZ_TEXT_MAX - 1, &p.report_description, resp))
        goto done;
    if (!p.report_name) {
        kz_http_error(resp, false, 400, "Bad request", "'report' needs a 'name'");
        goto done;
    }
    if (!tlp_text || kz_tlp_parse(kz_str_from_cstr(tlp_text), &p.tlp) != KZ_OK) {
        kz_http_error(resp, false, 400, "Bad request",
                      "'tlp' must be clear, green, amber, amber+strict or red");
        goto done;
    }
    json_array_foreach(inds, i, e)
    {
        if (!json_is_string(e) || json_string_length(e) >= KZ_STIX_ID_MAX ||
            strncmp(json_string_value(e), "indicator--", 11) != 0) {
            kz_http_error(resp, false, 400, "Bad request",
                          "'indicators' must hold indicator identifiers");
            goto done;
        }
    }
    p.hub = hub;
    p.caller = caller;
    p.row = &row;
    p.state = state;
    p.now = kz_time_now_us();
    p.n_ind = json_array_size(inds);
    p.copies = kz_xcalloc(p.n_ind, sizeof(*p.copies));
    p.pre = json_array();
    json_array_foreach(inds, i, e)
    {
        const char *id = json_string_value(e);
        enum kz_tlp own = KZ_TLP_CLEAR;
        json_t *o = find_indicator(hub, row.collection_id, id, &own);
        json_t *why = json_pack("{s:s}", "id", id);
        if (!o) {
            json_object_set_new(why, "reason", json_string("no such indicator"));
        } else if (own > p.tlp) {
            char r[128];
            snprintf(r, sizeof(r), "the indicator is TLP:%s, above the chosen TLP:%s",
                     kz_tlp_name(own), kz_tlp_name(p.tlp));
            json_object_set_new(why, "reason", json_string(r));
        } else {
            /* The copy carries the chosen TLP; the write path decides where it may go. */
            json_object_del(o, "granular_markings");
            json_object_set_new(o, "object_marking_refs",
                                json_pack("[s]", kz_tlp_marking_id(p.tlp)));
            p.copies[i] = o;
            o = NULL;
        }
        json_decref(o);
        json_array_append_new(p.pre, why);
    }
    p.n_targets = json_array_size(colls);
    p.targets = kz_xcalloc(p.n_targets, sizeof(*p.targets));
    json_array_foreach(colls, i, e)
    {
        struct publish_target *pt = &p.targets[i];
        const char *name = json_is_string(e) ? json_string_value(e) : "";
        pt->result = json_pack("{s:s, s:n}", "collection", name, "reason");
        if (strlen(name) >= KZ_ALIAS_MAX ||
            kz_store_collection_get(hub->store, name, &pt->coll) != KZ_OK)
            json_object_set_new(pt->result, "reason", json_string("no such collection"));
        else if (!kz_policy_can_write(caller, &pt->coll))
            json_object_set_new(pt->result, "reason", json_string("not writable by you"));
    }
    err = kz_store_transaction(hub->store, publish_in_tx, &p);
    if (err != KZ_OK) {
        kz_log(KZ_LOG_ERROR, "cannot publish from incident '%s': %s", row.id, kz_err_str(err));
        kz_http_error(resp, false, 500, "Internal error", "nothing was published");
        goto done;
    }
    out = json_array();
    for (i = 0; i < p.n_targets; i++) {
        if (json_is_null(json_object_get(p.targets[i].result, "reason")))
            json_object_del(p.targets[i].result, "reason");
        json_array_append(out, p.targets[i].result);
    }
    kz_http_json(resp, 200, KZ_MEDIA_JSON,
                 json_pack("{s:s, s:s, s:I, s:o}", "incident", row.id, "tlp", kz_tlp_name(p.tlp),
                           "reports", (json_int_t)p.published, "collections", out));
    kz_log(KZ_LOG_INFO, "incident published id=%s reports=%zu tlp=%s", row.id, p.published,
           kz_tlp_name(p.tlp));
done:
    for (i = 0; p.copies && i < p.n_ind; i++)
        json_decref(p.copies[i]);
    free(p.copies);
    json_decref(p.pre);
    for (i = 0; p.targets && i < p.n_targets; i++) {
        json_decref(p.targets[i].result);
        json_decref(p.targets[i].report_obj);
        kz_taxii_batch_free(p.targets[i].indicators);
        kz_taxii_batch_free(p.targets[i].report);
    }
    free(p.targets);
    kz_incident_row_release(&row);
    json_decref(state);
    json_decref(body);
}
