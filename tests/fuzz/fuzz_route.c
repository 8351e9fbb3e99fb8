/* Fuzzes request routing: the input is "METHOD PATH"; routes must never misbehave. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kz_http_request req;
    char *text = malloc(size + 1), *space;
    int status = 0;

    memcpy(text, data, size);
    text[size] = '\0';
    memset(&req, 0, sizeof(req));
    space = strchr(text, ' ');
    req.method = text;
    req.path = "";
    if (space) {
        *space = '\0';
        req.path = space + 1;
    }
    (void)kz_http_route_find(&req, &status);
    (void)kz_http_accepts(req.path, true);
    (void)kz_http_content_type_ok(req.path, false);
    free(text);
    return 0;
}
