/* Responses: error documents, JSON bodies, headers; media-type negotiation. */
#include "http/http.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/banned.h"

void
kz_http_response_init(struct kz_http_response *resp)
{
    memset(resp, 0, sizeof(*resp));
    resp->status = 500;
    kz_buf_init(&resp->body, SIZE_MAX / 2);
}

void
kz_http_response_release(struct kz_http_response *resp)
{
    kz_buf_release(&resp->body);
}

void
kz_http_add_header(struct kz_http_response *resp, const char *name, const char *value)
{
    if (resp->n_headers == KZ_HTTP_MAX_HEADERS)
        return;
    kz_cstr_copy(name, resp->headers[resp->n_headers].name, sizeof(resp->headers[0].name));
    kz_cstr_copy(value, resp->headers[resp->n_headers].value, sizeof(resp->headers[0].value));
    resp->n_headers++;
}

void
kz_http_json(struct kz_http_response *resp, int status, const char *media, json_t *j)
{
    kz_buf_reset(&resp->body);
    resp->status = status;
    resp->content_type = media;
    if (kz_json_append(&resp->body, j) != KZ_OK)
        resp->status = 500;
    json_decref(j);
}

void
kz_http_error(struct kz_http_response *resp, bool taxii, int status, const char *title,
              const char *fmt, ...)
{
    char description[1024], code[8];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(description, sizeof(description), fmt, ap);
    va_end(ap);
    snprintf(code, sizeof(code), "%d", status);
    /* TAXII 2.1 error message: title, description, http_status (a string), error_code. */
    kz_http_json(resp, status, taxii ? KZ_MEDIA_TAXII : KZ_MEDIA_JSON,
                 json_pack("{s:s, s:s, s:s, s:s}", "title", title, "description", description,
                           "http_status", code, "error_code", title));
    resp->status = status;
    if (status == 401) {
        kz_http_add_header(resp, "WWW-Authenticate", "Bearer realm=\"kizuna\"");
        kz_http_add_header(resp, "WWW-Authenticate", "Basic realm=\"kizuna\"");
    }
}

const char *
kz_http_param(const struct kz_http_request *req, const char *key)
{
    for (size_t i = 0; i < req->n_params; i++) {
        if (strcmp(req->params[i].key, key) == 0)
            return req->params[i].value;
    }
    return NULL;
}

/* Compares one media range (without parameters) and its version parameter, if any. */
static bool
media_range_ok(const char *range, size_t n, bool json_ok, bool accept_wildcards)
{
    char buf[256], *semi, *p;
    size_t len = n < sizeof(buf) - 1 ? n : sizeof(buf) - 1;
    const char *type;

    memcpy(buf, range, len);
    buf[len] = '\0';
    p = buf;
    while (*p == ' ' || *p == '\t')
        p++;
    type = p;
    semi = strchr(p, ';');
    if (semi)
        *semi = '\0';
    for (char *e = p + strlen(p); e > p && (e[-1] == ' ' || e[-1] == '\t');)
        *--e = '\0';
    if (accept_wildcards && (strcmp(type, "*/*") == 0 || strcasecmp(type, "application/*") == 0))
        return true;
    if (json_ok && strcasecmp(type, "application/json") == 0)
        return true;
    if (strcasecmp(type, "application/taxii+json") != 0 &&
        strcasecmp(type, "application/stix+json") != 0)
        return false;
    /* A version parameter, when present, must be 2.1. */
    for (char *param = semi ? semi + 1 : NULL; param;) {
        char *next = strchr(param, ';');
        if (next)
            *next++ = '\0';
        while (*param == ' ')
            param++;
        if (strncasecmp(param, "version=", 8) == 0 && strncmp(param + 8, "2.1", 3) != 0)
            return false;
        param = next;
    }
    return true;
}

bool
kz_http_accepts(const char *accept, bool json_ok)
{
    if (!accept || !*accept)
        return true;
    for (const char *p = accept; *p;) {
        size_t n = strcspn(p, ",");
        if (media_range_ok(p, n, json_ok, true))
            return true;
        p += n;
        if (*p == ',')
            p++;
    }
    return false;
}

bool
kz_http_content_type_ok(const char *content_type, bool json_ok)
{
    if (!content_type)
        return false;
    return media_range_ok(content_type, strlen(content_type), json_ok, false);
}
