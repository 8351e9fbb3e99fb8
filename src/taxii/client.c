/* TAXII 2.1 client: discovery, collection lookup, GET pages, POST envelopes (libcurl). */
#include "taxii/client.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/json.h"
#include "base/limits.h"
#include "base/banned.h"

#define MEDIA "application/taxii+json;version=2.1"
#define RESPONSE_MAX (256u * 1024 * 1024)

static size_t
collect_body(char *p, size_t size, size_t n, void *data)
{
    return kz_buf_append(data, p, size * n) == KZ_OK ? size * n : 0;
}

/* Keeps X-TAXII-Date-Added-Last: the added_after cursor of a client that pulls. */
static size_t
collect_header(char *p, size_t size, size_t n, void *data)
{
    struct kz_taxii_client *c = data;
    static const char name[] = "x-taxii-date-added-last:";
    size_t len = size * n, nl = sizeof(name) - 1;

    if (len > nl && strncasecmp(p, name, nl) == 0) {
        const char *v = p + nl, *e = p + len;
        while (v < e && (*v == ' ' || *v == '\t'))
            v++;
        while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' '))
            e--;
        if ((size_t)(e - v) < sizeof(c->date_added_last)) {
            memcpy(c->date_added_last, v, (size_t)(e - v));
            c->date_added_last[e - v] = '\0';
        }
    }
    return len;
}

static kz_err
request(struct kz_taxii_client *c, const char *method, const char *url, const char *body,
        size_t len, long *status, struct kz_buf *out)
{
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = NULL;
    CURLcode rc;

    if (!curl)
        return KZ_ERR_NOMEM;
    headers = curl_slist_append(headers, "Accept: " MEDIA);
    if (body)
        headers = curl_slist_append(headers, "Content-Type: " MEDIA);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, c);
    c->date_added_last[0] = '\0';
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, c->timeout_seconds);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    if (c->ca_file[0])
        curl_easy_setopt(curl, CURLOPT_CAINFO, c->ca_file);
    if (c->user[0]) {
        curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(curl, CURLOPT_USERNAME, c->user);
        curl_easy_setopt(curl, CURLOPT_PASSWORD, c->token);
    }
    if (strcmp(method, "GET") != 0)
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    kz_buf_reset(out);
    rc = curl_easy_perform(curl);
    if (rc == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    else
        snprintf(c->error, sizeof(c->error), "%s %s: %s", method, url, curl_easy_strerror(rc));
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return rc == CURLE_OK ? KZ_OK : KZ_ERR_IO;
}

/* Reads a JSON document from a response body; NULL when it is not one. */
static json_t *
parse_body(const struct kz_buf *b)
{
    return json_loadb(kz_buf_cstr(b), b->n, 0, NULL);
}

static void
describe_error(struct kz_taxii_client *c, const char *what, long status, const struct kz_buf *b)
{
    json_t *j = parse_body(b);
    const char *d = j ? kz_json_str(j, "description") : NULL;

    snprintf(c->error, sizeof(c->error), "%s: HTTP %ld%s%s", what, status, d ? ": " : "",
             d ? d : "");
    json_decref(j);
}

static void
join_url(char *out, size_t outlen, const char *base, const char *path)
{
    if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0) {
        snprintf(out, outlen, "%s", path);
    } else if (path[0] == '/') {
        /* An absolute path: keep the scheme and authority of base. */
        const char *scheme_end = strstr(base, "://");
        const char *slash = scheme_end ? strchr(scheme_end + 3, '/') : NULL;
        size_t authority = slash ? (size_t)(slash - base) : strlen(base);
        snprintf(out, outlen, "%.*s%s", (int)authority, base, path);
    } else {
        snprintf(out, outlen, "%s%s%s", base,
                 base[0] && base[strlen(base) - 1] == '/' ? "" : "/", path);
    }
}

kz_err
kz_taxii_client_open(struct kz_taxii_client *c, const char *url, const char *key,
                     const char *ca_file)
{
    struct kz_buf b;
    char probe[1024];
    long status = 0;
    kz_err err = KZ_ERR_NOTFOUND;

    memset(c, 0, sizeof(*c));
    c->timeout_seconds = 120;
    if (ca_file && kz_cstr_copy(ca_file, c->ca_file, sizeof(c->ca_file)) != KZ_OK) {
        snprintf(c->error, sizeof(c->error), "the CA file name is too long");
        return KZ_ERR_INVALID;
    }
    if (key) {
        const char *colon = strchr(key, ':');
        if (!colon || (size_t)(colon - key) >= sizeof(c->user) ||
            strlen(colon + 1) >= sizeof(c->token)) {
            snprintf(c->error, sizeof(c->error), "the key must be ID:TOKEN");
            return KZ_ERR_INVALID;
        }
        memcpy(c->user, key, (size_t)(colon - key));
        snprintf(c->token, sizeof(c->token), "%s", colon + 1);
    }
    kz_buf_init(&b, RESPONSE_MAX);
    /* Try the URL as given, then its /taxii2/ discovery endpoint. */
    for (int attempt = 0; attempt < 2 && err == KZ_ERR_NOTFOUND; attempt++) {
        json_t *j;
        if (attempt == 0)
            snprintf(probe, sizeof(probe), "%s%s", url, url[strlen(url) - 1] == '/' ? "" : "/");
        else
            join_url(probe, sizeof(probe), url, "/taxii2/");
        if (request(c, "GET", probe, NULL, 0, &status, &b) != KZ_OK) {
            err = KZ_ERR_IO;
            break;
        }
        j = status == 200 ? parse_body(&b) : NULL;
        if (j && json_object_get(j, "versions")) {
            snprintf(c->api_root, sizeof(c->api_root), "%s", probe);
            err = KZ_OK;
        } else if (j && (kz_json_str(j, "default") || json_array_size(json_object_get(j, "api_roots")))) {
            const char *root = kz_json_str(j, "default");
            if (!root)
                root = json_string_value(json_array_get(json_object_get(j, "api_roots"), 0));
            join_url(c->api_root, sizeof(c->api_root), probe, root ? root : "");
            err = KZ_OK;
        } else if (status == 401 || status == 403) {
            describe_error(c, probe, status, &b);
            err = KZ_ERR_DENIED;
        }
        json_decref(j);
    }
    if (err == KZ_ERR_NOTFOUND)
        snprintf(c->error, sizeof(c->error), "no TAXII 2.1 discovery or API root at '%s'", url);
    kz_buf_release(&b);
    return err;
}

void
kz_taxii_client_close(struct kz_taxii_client *c)
{
    sodium_memzero(c->token, sizeof(c->token));
}

kz_err
kz_taxii_client_get(struct kz_taxii_client *c, const char *url, long *status, struct kz_buf *body)
{
    char full[4096];

    join_url(full, sizeof(full), c->api_root, url);
    return request(c, "GET", full, NULL, 0, status, body);
}

kz_err
kz_taxii_client_collection(struct kz_taxii_client *c, const char *name, char id[64])
{
    struct kz_buf b;
    long status = 0;
    json_t *j = NULL, *coll;
    size_t i;
    kz_err err;

    kz_buf_init(&b, RESPONSE_MAX);
    err = kz_taxii_client_get(c, "collections/", &status, &b);
    if (err == KZ_OK && status != 200) {
        describe_error(c, "listing collections", status, &b);
        err = KZ_ERR_DENIED;
    }
    if (err == KZ_OK) {
        j = parse_body(&b);
        err = KZ_ERR_NOTFOUND;
        json_array_foreach(json_object_get(j, "collections"), i, coll) {
            const char *cid = kz_json_str(coll, "id"), *alias = kz_json_str(coll, "alias"),
                       *title = kz_json_str(coll, "title");
            if (cid && ((strcmp(cid, name) == 0) || (alias && strcmp(alias, name) == 0) ||
                        (title && strcmp(title, name) == 0))) {
                snprintf(id, 64, "%s", cid);
                err = KZ_OK;
                break;
            }
        }
        if (err != KZ_OK)
            snprintf(c->error, sizeof(c->error), "no collection '%s' visible to this key", name);
    }
    json_decref(j);
    kz_buf_release(&b);
    return err;
}

kz_err
kz_taxii_client_post(struct kz_taxii_client *c, const char *collection_id, const char *envelope,
                     size_t len, long *status, json_t **status_doc)
{
    struct kz_buf b;
    char path[256], full[2048];
    kz_err err;

    kz_buf_init(&b, RESPONSE_MAX);
    snprintf(path, sizeof(path), "collections/%s/objects/", collection_id);
    join_url(full, sizeof(full), c->api_root, path);
    err = request(c, "POST", full, envelope, len, status, &b);
    if (err == KZ_OK && *status != 202 && *status != 200) {
        describe_error(c, "posting the envelope", *status, &b);
        err = *status == 413 ? KZ_ERR_LIMIT : KZ_ERR_DENIED;
    }
    if (err == KZ_OK) {
        *status_doc = parse_body(&b);
        if (!*status_doc) {
            snprintf(c->error, sizeof(c->error), "the server's status is not JSON");
            err = KZ_ERR_INVALID;
        }
    }
    kz_buf_release(&b);
    return err;
}
