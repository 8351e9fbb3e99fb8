/* The JSON API (/api/v1): remote administration of organisations, keys, collections. */
#ifndef KZ_API_API_H
#define KZ_API_API_H

#include "http/http.h"

#define KZ_API_HANDLER(name)                                                                  \
    void name(struct kz_hub *hub, const struct kz_http_request *req,                          \
              const struct kz_caller *caller, struct kz_http_response *resp)

KZ_API_HANDLER(kz_api_health);
KZ_API_HANDLER(kz_api_whoami);
KZ_API_HANDLER(kz_api_orgs_list);
KZ_API_HANDLER(kz_api_orgs_add);
KZ_API_HANDLER(kz_api_org_get);
KZ_API_HANDLER(kz_api_sectors_list);
KZ_API_HANDLER(kz_api_sectors_add);
KZ_API_HANDLER(kz_api_keys_list);
KZ_API_HANDLER(kz_api_keys_create);
KZ_API_HANDLER(kz_api_key_revoke);
KZ_API_HANDLER(kz_api_collections_list);
KZ_API_HANDLER(kz_api_collections_add);
KZ_API_HANDLER(kz_api_collection_get);
KZ_API_HANDLER(kz_api_incidents_list);
KZ_API_HANDLER(kz_api_incidents_create);
KZ_API_HANDLER(kz_api_incident_get);
KZ_API_HANDLER(kz_api_incident_update);
KZ_API_HANDLER(kz_api_incident_timeline);
KZ_API_HANDLER(kz_api_incident_note);
KZ_API_HANDLER(kz_api_incident_link);
KZ_API_HANDLER(kz_api_incident_publish);
KZ_API_HANDLER(kz_api_webhooks_list);
KZ_API_HANDLER(kz_api_webhooks_add);
KZ_API_HANDLER(kz_api_webhook_get);
KZ_API_HANDLER(kz_api_webhook_delete);
KZ_API_HANDLER(kz_api_webhook_deliveries);
KZ_API_HANDLER(kz_api_webhook_delivery_retry);
KZ_API_HANDLER(kz_api_alerts_list);
KZ_API_HANDLER(kz_api_alert_get);
KZ_API_HANDLER(kz_api_alert_post);

#endif
