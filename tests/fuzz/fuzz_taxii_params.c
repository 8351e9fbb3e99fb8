/* Fuzzes TAXII query-parameter parsing: the input is a query string "k=v&k=v...". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "taxii/taxii.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kz_http_request req;
    struct kz_taxii_params p;
    char *text = malloc(size + 1), *save = NULL, why[512];

    memcpy(text, data, size);
    text[size] = '\0';
    memset(&req, 0, sizeof(req));
    for (char *pair = strtok_r(text, "&", &save); pair && req.n_params < KZ_HTTP_MAX_PARAMS;
         pair = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(pair, '=');
        if (eq)
            *eq = '\0';
        req.params[req.n_params].key = pair;
        req.params[req.n_params].value = eq ? eq + 1 : "";
        req.n_params++;
    }
    if (kz_taxii_params_parse(&req, 0x7f, 100, 1000, &p, why, sizeof(why)) == KZ_OK)
        kz_taxii_params_release(&p);
    free(text);
    return 0;
}
