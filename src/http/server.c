/* libmicrohttpd glue: connections, limits, request bodies, and handing requests to dispatch. */
#include "http/http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/log.h"
#include "base/str.h"
#include "base/banned.h"

struct kz_http_server {
    struct MHD_Daemon *daemon;
    struct kz_hub *hub;
    char *tls_cert;
    char *tls_key;
    unsigned port;
};

/* Per-request state kept by libmicrohttpd between calls of the access handler. */
struct request_state {
    struct kz_buf body;
    bool too_large;
};

static enum MHD_Result
collect_param(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    struct kz_http_request *req = cls;

    (void)kind;
    if (req->n_params == KZ_HTTP_MAX_PARAMS) {
        req->too_many_params = true;
        return MHD_NO;
    }
    req->params[req->n_params].key = key;
    req->params[req->n_params].value = value ? value : "";
    req->n_params++;
    return MHD_YES;
}

static enum MHD_Result
send_response(struct MHD_Connection *conn, struct kz_http_response *resp)
{
    struct MHD_Response *r;
    enum MHD_Result ret;
    size_t len;
    char *body = kz_buf_detach(&resp->body, &len);

    r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    if (resp->content_type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    for (size_t i = 0; i < resp->n_headers; i++)
        MHD_add_response_header(r, resp->headers[i].name, resp->headers[i].value);
    ret = MHD_queue_response(conn, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
       const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    struct kz_http_server *srv = cls;
    struct request_state *st = *con_cls;
    struct kz_http_request req;
    struct kz_http_response resp;
    enum MHD_Result ret;

    (void)version;
    if (!st) {
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        uint64_t n;

        st = kz_xcalloc(1, sizeof(*st));
        kz_buf_init(&st->body, srv->hub->config.max_body_bytes);
        /* Refuse a declared oversize body before reading any of it. */
        if (cl && kz_str_to_u64(kz_str_from_cstr(cl), 0, UINT64_MAX, &n) == KZ_OK &&
            n > srv->hub->config.max_body_bytes)
            st->too_large = true;
        *con_cls = st;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!st->too_large && kz_buf_append(&st->body, upload_data, *upload_data_size) != KZ_OK)
            st->too_large = true;
        *upload_data_size = 0;
        return MHD_YES;
    }

    memset(&req, 0, sizeof(req));
    req.method = method;
    req.path = url;
    req.accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
    req.content_type =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    req.authorization =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_param, &req);
    req.body = kz_buf_cstr(&st->body);
    req.body_len = st->body.n;

    kz_http_response_init(&resp);
    if (st->too_large) {
        bool taxii = strncmp(url, "/taxii2/", 8) == 0;
        kz_http_error(&resp, taxii, 413, "Request too large",
                      "the request body is larger than %llu bytes",
                      (unsigned long long)srv->hub->config.max_body_bytes);
    } else if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
        /* A read (authentication, collection, page) from one snapshot and transaction;
         * if none can be opened, each read opens its own. */
        bool snap = kz_store_read_begin(srv->hub->store) == KZ_OK;
        kz_http_dispatch(srv->hub, &req, &resp);
        if (snap)
            kz_store_read_end(srv->hub->store);
    } else {
        kz_http_dispatch(srv->hub, &req, &resp);
    }
    ret = send_response(conn, &resp);
    kz_http_response_release(&resp);
    return ret;
}

static void
request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                  enum MHD_RequestTerminationCode toe)
{
    struct request_state *st = *con_cls;

    (void)cls;
    (void)conn;
    (void)toe;
    if (st) {
        kz_buf_release(&st->body);
        free(st);
        *con_cls = NULL;
    }
}

/* libmicrohttpd's format strings are its own, not input. */
static void __attribute__((format(printf, 2, 0)))
mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];

    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    kz_log(KZ_LOG_WARN, "http: %s", msg);
}

static kz_err
parse_listen(const char *listen, struct sockaddr_in *addr, char *why, size_t whylen)
{
    const char *colon = strrchr(listen, ':');
    char host[64];
    uint64_t port;

    memset(addr, 0, sizeof(*addr));
    addr->sin_family = AF_INET;
    if (!colon || (size_t)(colon - listen) >= sizeof(host) ||
        kz_str_to_u64(kz_str_from_cstr(colon + 1), 0, 65535, &port) != KZ_OK) {
        snprintf(why, whylen, "listen address '%s' is not HOST:PORT", listen);
        return KZ_ERR_INVALID;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof(host), "127.0.0.1");
    if (inet_pton(AF_INET, host, &addr->sin_addr) != 1) {
        snprintf(why, whylen, "listen host '%s' is not an IPv4 address", host);
        return KZ_ERR_INVALID;
    }
    addr->sin_port = htons((uint16_t)port);
    return KZ_OK;
}

static char *
read_pem(const char *path, char *why, size_t whylen)
{
    struct kz_buf b;

    kz_buf_init(&b, 1024 * 1024);
    if (kz_buf_read_file(&b, path) != KZ_OK) {
        snprintf(why, whylen, "cannot read '%s'", path);
        kz_buf_release(&b);
        return NULL;
    }
    return kz_buf_detach(&b, NULL);
}

kz_err
kz_http_server_start(struct kz_hub *hub, struct kz_http_server **out, char *why, size_t whylen)
{
    struct kz_http_server *srv = kz_xcalloc(1, sizeof(*srv));
    struct sockaddr_in addr;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_EPOLL | MHD_USE_ITC;
    const union MHD_DaemonInfo *info;
    kz_err err;

    srv->hub = hub;
    err = parse_listen(hub->config.listen, &addr, why, whylen);
    if (err != KZ_OK)
        goto fail;
    if (hub->config.tls_cert[0] || hub->config.tls_key[0]) {
        if (!hub->config.tls_cert[0] || !hub->config.tls_key[0]) {
            snprintf(why, whylen, "TLS needs both a certificate and a key");
            err = KZ_ERR_INVALID;
            goto fail;
        }
        srv->tls_cert = read_pem(hub->config.tls_cert, why, whylen);
        srv->tls_key = srv->tls_cert ? read_pem(hub->config.tls_key, why, whylen) : NULL;
        if (!srv->tls_key) {
            err = KZ_ERR_IO;
            goto fail;
        }
        flags |= MHD_USE_TLS;
    }
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, handle, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)hub->config.threads, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)hub->config.max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)hub->config.request_seconds, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)(64 * 1024), MHD_OPTION_NOTIFY_COMPLETED, request_completed, srv,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1,
        srv->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, srv->tls_cert,
        MHD_OPTION_HTTPS_MEM_KEY, srv->tls_key, MHD_OPTION_END);
    if (!srv->daemon) {
        snprintf(why, whylen, "cannot listen on '%s'", hub->config.listen);
        err = KZ_ERR_IO;
        goto fail;
    }
    info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : 0;
    *out = srv;
    return KZ_OK;
fail:
    kz_http_server_stop(srv);
    return err;
}

unsigned
kz_http_server_port(const struct kz_http_server *srv)
{
    return srv->port;
}

void
kz_http_server_stop(struct kz_http_server *srv)
{
    if (!srv)
        return;
    if (srv->daemon) {
        /* Stop accepting first; MHD_stop_daemon then waits for the worker threads. */
        MHD_quiesce_daemon(srv->daemon);
        MHD_stop_daemon(srv->daemon);
    }
    if (srv->tls_key)
        sodium_memzero(srv->tls_key, strlen(srv->tls_key));
    free(srv->tls_cert);
    free(srv->tls_key);
    free(srv);
}
