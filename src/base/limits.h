/* Every limit kizuna enforces, with its default; each has a config key (see config.c). */
#ifndef KZ_BASE_LIMITS_H
#define KZ_BASE_LIMITS_H

#define KZ_LIMIT_BODY_BYTES (10u * 1024 * 1024)    /* request body; 413 above */
#define KZ_LIMIT_ENVELOPE_OBJECTS 10000u           /* objects in one TAXII envelope */
#define KZ_LIMIT_JSON_DEPTH 64u                    /* nesting of arrays and objects */
#define KZ_LIMIT_CONNECTIONS 256u                  /* concurrent HTTP connections */
#define KZ_LIMIT_REQUEST_SECONDS 60u               /* idle/request time per connection */
#define KZ_LIMIT_STRING_BYTES (1024u * 1024)       /* one JSON string value */
#define KZ_LIMIT_PAGE_OBJECTS 1000u                /* objects in one GET page */
#define KZ_LIMIT_PAGE_DEFAULT 100u                 /* page size when limit is absent */
#define KZ_LIMIT_QUERY_VALUES 100u                 /* values in one match[] filter */
#define KZ_LIMIT_HEADER_BYTES (16u * 1024)         /* request line and headers */
#define KZ_LIMIT_PATTERN_BYTES (64u * 1024)        /* one STIX pattern */
#define KZ_LIMIT_PRINCIPALS_BYTES 2048u            /* readers or writers of a collection */

#endif
