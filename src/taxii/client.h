/* A TAXII 2.1 client over libcurl, for kizuna push/get, sensors and federation. */
#ifndef KZ_TAXII_CLIENT_H
#define KZ_TAXII_CLIENT_H

#include <jansson.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"

struct kz_taxii_client {
    char api_root[1024]; /* absolute URL ending in '/' once resolved */
    char user[256];      /* key id for HTTP Basic; "" without credentials */
    char token[256];
    char ca_file[1024];  /* PEM bundle of trusted CAs; "" for the system's */
    long timeout_seconds;
    char error[512];     /* the last failure, for messages */
    char date_added_last[64]; /* X-TAXII-Date-Added-Last of the last response, or "" */
};

/*
 * Prepares a client for url (a server root, a discovery URL or an API root) and credentials
 * "ID:TOKEN" (or NULL) and an optional CA bundle for HTTPS, then finds the API root through discovery when needed.
 */
kz_err kz_taxii_client_open(struct kz_taxii_client *c, const char *url, const char *key,
                            const char *ca_file);
void kz_taxii_client_close(struct kz_taxii_client *c);

/* Finds a collection by id, alias or title; writes its id (room for 64 bytes). */
kz_err kz_taxii_client_collection(struct kz_taxii_client *c, const char *name, char id[64]);

/*
 * GETs an absolute URL or a path under the API root. *status gets the HTTP status, body the
 * response (bounded), next the value of "next" when the body has one ("" otherwise).
 */
kz_err kz_taxii_client_get(struct kz_taxii_client *c, const char *url, long *status,
                           struct kz_buf *body);

/* POSTs an envelope to a collection; *status_doc receives the TAXII status resource. */
kz_err kz_taxii_client_post(struct kz_taxii_client *c, const char *collection_id,
                            const char *envelope, size_t len, long *status, json_t **status_doc);

#endif
