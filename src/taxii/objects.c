/* TAXII reads: objects, an object, its versions, the manifest; and DELETE of an object. */
#include "taxii/taxii_int.h"

#include <stdio.h>
#include <string.h>

#include "base/time.h"
#include "base/banned.h"

enum page_kind {
    PAGE_OBJECTS = 0,  /* {"more", "next", "objects": [stored objects]} */
    PAGE_VERSIONS = 1, /* {"more", "next", "versions": [version text]} */
    PAGE_MANIFEST = 2, /* {"more", "next", "objects": [manifest records]} */
};

static void
fill_query(struct kz_object_query *q, const struct kz_collection *c,
           const struct kz_taxii_params *p, enum kz_tlp max_tlp)
{
    memset(q, 0, sizeof(*q));
    q->collection_id = c->id;
    q->added_after_us = p->added_after_us;
    q->limit = p->limit;
    q->ids = p->ids;
    q->n_ids = p->n_ids;
    q->types = p->types;
    q->n_types = p->n_types;
    q->spec_versions = p->spec_versions;
    q->n_spec_versions = p->n_spec_versions;
    q->version_match = p->version_match;
    q->versions = p->versions;
    q->n_versions = p->n_versions;
    q->max_tlp = max_tlp;
    q->with_json = true;
}

/* Writes a page as TAXII's envelope; the stored object bytes go out unchanged. */
static kz_err
write_page(struct kz_http_response *resp, const struct kz_object_page *page, enum page_kind kind)
{
    struct kz_buf *b = &resp->body;
    char ts[KZ_TIME_TEXT_MAX];
    kz_err err;

    kz_buf_reset(b);
    if (kind == PAGE_OBJECTS) {
        size_t total = 64;
        for (size_t i = 0; i < page->n; i++)
            total += page->rows[i].json_len + 1;
        err = kz_buf_reserve(b, total);
        if (err != KZ_OK)
            return err;
    }
    err = kz_buf_printf(b, "{\"more\":%s", page->more ? "true" : "false");
    if (err == KZ_OK && page->more && page->n > 0)
        err = kz_buf_printf(b, ",\"next\":\"%lld\"",
                            (long long)page->rows[page->n - 1].date_added_us);
    if (err == KZ_OK && page->n > 0)
        err = kz_buf_append_cstr(b, kind == PAGE_VERSIONS ? ",\"versions\":[" : ",\"objects\":[");
    for (size_t i = 0; err == KZ_OK && i < page->n; i++) {
        const struct kz_object_row *r = &page->rows[i];
        if (i > 0)
            err = kz_buf_append(b, ",", 1);
        if (err != KZ_OK)
            break;
        if (kind == PAGE_OBJECTS) {
            err = kz_buf_append(b, r->json, r->json_len);
        } else if (kind == PAGE_VERSIONS) {
            err = kz_json_append_string(b, r->version);
        } else {
            kz_time_format_us(r->date_added_us, ts);
            err = kz_buf_append_cstr(b, "{\"id\":");
            if (err == KZ_OK)
                err = kz_json_append_string(b, r->id);
            if (err == KZ_OK)
                err = kz_buf_printf(b, ",\"date_added\":\"%s\",\"version\":", ts);
            if (err == KZ_OK)
                err = kz_json_append_string(b, r->version);
            if (err == KZ_OK)
                err = kz_buf_printf(b, ",\"media_type\":\"%s\"}", KZ_MEDIA_STIX);
        }
    }
    if (err == KZ_OK && page->n > 0)
        err = kz_buf_append(b, "]", 1);
    if (err == KZ_OK)
        err = kz_buf_append(b, "}", 1);
    if (err != KZ_OK)
        return err;
    resp->status = 200;
    resp->content_type = KZ_MEDIA_TAXII;
    if (page->n > 0) {
        kz_time_format_us(page->rows[0].date_added_us, ts);
        kz_http_add_header(resp, "X-TAXII-Date-Added-First", ts);
        kz_time_format_us(page->rows[page->n - 1].date_added_us, ts);
        kz_http_add_header(resp, "X-TAXII-Date-Added-Last", ts);
    }
    return KZ_OK;
}

/* The common path of the four reads: collection, parameters, query, envelope. */
static void
serve_page(struct kz_hub *hub, const struct kz_http_request *req, const struct kz_caller *caller,
           struct kz_http_response *resp, unsigned flags, enum page_kind kind, bool one_object)
{
    struct kz_collection c;
    struct kz_taxii_params p;
    struct kz_object_query q;
    struct kz_object_page page = {0};
    const char *id = one_object ? req->segments[1] : NULL;
    char why[512];
    kz_err err;

    if (!kz_taxii__collection(hub, req, caller, KZ_TAXII_READ, &c, resp))
        return;
    err = kz_taxii_params_parse(req, flags, KZ_LIMIT_PAGE_DEFAULT, hub->config.max_page_objects,
                                &p, why, sizeof(why));
    if (err != KZ_OK) {
        kz_taxii__param_error(resp, err, why);
        return;
    }
    fill_query(&q, &c, &p, kz_policy_read_max_tlp(caller, &c));
    if (one_object) {
        q.ids = &id;
        q.n_ids = 1;
    }
    if (kind == PAGE_VERSIONS)
        q.version_match = KZ_VERSION_ALL;
    q.with_json = kind == PAGE_OBJECTS;
    err = kz_store_objects_query(hub->store, &q, &page);
    if (err != KZ_OK) {
        kz_http_error(resp, true, 500, "Internal error", "cannot read the collection");
    } else if (one_object && page.n == 0 && p.added_after_us < 0) {
        kz_http_error(resp, true, 404, "Not found", "no object '%.300s' in collection '%s'", id,
                      c.alias);
    } else if (write_page(resp, &page, kind) != KZ_OK) {
        kz_http_error(resp, true, 500, "Internal error", "cannot write the response");
    }
    kz_object_page_release(&page);
    kz_taxii_params_release(&p);
}

#define ALL_FILTERS                                                                            \
    (KZ_TAXII_P_ADDED_AFTER | KZ_TAXII_P_LIMIT | KZ_TAXII_P_NEXT | KZ_TAXII_P_MATCH_ID |        \
     KZ_TAXII_P_MATCH_TYPE | KZ_TAXII_P_MATCH_VERSION | KZ_TAXII_P_MATCH_SPEC_VERSION)

void
kz_taxii_objects_get(struct kz_hub *hub, const struct kz_http_request *req,
                     const struct kz_caller *caller, struct kz_http_response *resp)
{
    serve_page(hub, req, caller, resp, ALL_FILTERS, PAGE_OBJECTS, false);
}

void
kz_taxii_manifest(struct kz_hub *hub, const struct kz_http_request *req,
                  const struct kz_caller *caller, struct kz_http_response *resp)
{
    serve_page(hub, req, caller, resp, ALL_FILTERS, PAGE_MANIFEST, false);
}

void
kz_taxii_object_get(struct kz_hub *hub, const struct kz_http_request *req,
                    const struct kz_caller *caller, struct kz_http_response *resp)
{
    serve_page(hub, req, caller, resp,
               KZ_TAXII_P_ADDED_AFTER | KZ_TAXII_P_LIMIT | KZ_TAXII_P_NEXT |
                   KZ_TAXII_P_MATCH_VERSION | KZ_TAXII_P_MATCH_SPEC_VERSION,
               PAGE_OBJECTS, true);
}

void
kz_taxii_versions(struct kz_hub *hub, const struct kz_http_request *req,
                  const struct kz_caller *caller, struct kz_http_response *resp)
{
    serve_page(hub, req, caller, resp,
               KZ_TAXII_P_ADDED_AFTER | KZ_TAXII_P_LIMIT | KZ_TAXII_P_NEXT |
                   KZ_TAXII_P_MATCH_SPEC_VERSION,
               PAGE_VERSIONS, true);
}

void
kz_taxii_object_delete(struct kz_hub *hub, const struct kz_http_request *req,
                       const struct kz_caller *caller, struct kz_http_response *resp)
{
    struct kz_collection c;
    struct kz_taxii_params p;
    struct kz_object_query q;
    const char *id = req->segments[1];
    size_t deleted = 0;
    char why[512];
    kz_err err;

    if (!kz_taxii__collection(hub, req, caller, KZ_TAXII_WRITE, &c, resp))
        return;
    if (caller->role == KZ_ROLE_SENSOR) {
        kz_http_error(resp, true, 403, "Forbidden", "sensor keys may not delete objects");
        return;
    }
    err = kz_taxii_params_parse(req, KZ_TAXII_P_MATCH_VERSION | KZ_TAXII_P_MATCH_SPEC_VERSION, 1,
                                1, &p, why, sizeof(why));
    if (err != KZ_OK) {
        kz_taxii__param_error(resp, err, why);
        return;
    }
    fill_query(&q, &c, &p, KZ_TLP_RED);
    q.ids = &id;
    q.n_ids = 1;
    /* Without match[version], DELETE removes every version (TAXII 2.1, 5.7). */
    if (kz_http_param(req, "match[version]") == NULL)
        q.version_match = KZ_VERSION_ALL;
    err = kz_store_objects_delete(hub->store, &q, &deleted);
    if (err == KZ_ERR_NOTFOUND)
        kz_http_error(resp, true, 404, "Not found", "no object '%.300s' in collection '%s'", id,
                      c.alias);
    else if (err != KZ_OK)
        kz_http_error(resp, true, 500, "Internal error", "cannot delete the object");
    else {
        resp->status = 200;
        resp->content_type = KZ_MEDIA_TAXII;
        kz_buf_reset(&resp->body);
    }
    kz_taxii_params_release(&p);
}
