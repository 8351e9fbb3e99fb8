#!/bin/bash
# kizuna serve over HTTPS with --tls-cert and --tls-key, and its refusal of half a TLS set-up.
. "$(dirname "$0")/lib.sh"

init_hub || exit 1
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$TMP/hub.key" -out "$TMP/hub.crt" >/dev/null 2>&1
start_hub --tls-cert "$TMP/hub.crt" --tls-key "$TMP/hub.key" || exit 1
check "the hub announces https" grep -q '^serving on https://' "$TMP/serve.out"
check_eq "TAXII discovery over TLS" "/taxii2/api/" \
    "$(curl -s --cacert "$TMP/hub.crt" -H "Accept: $TAXII" "$HUB/taxii2/" | jq -r .default)"
check_eq "plain HTTP to the TLS port fails" 000 \
    "$(curl -s -o /dev/null -w '%{http_code}' "${HUB/https/http}/healthz")"
check "kizuna get works over TLS with --cacert" \
    "$KIZUNA" get --url "$HUB" --cacert "$TMP/hub.crt" --key "$(jq -r '.admin_key_id + ":" + .admin_token' "$TMP/init.json")" --collection public
check "kizuna get refuses an unknown CA" test "$("$KIZUNA" get --url "$HUB" --collection public >/dev/null 2>&1; echo $?)" = 1
stop_hub
check "a certificate without a key is refused" test "$("$KIZUNA" serve --listen 127.0.0.1:0 --tls-cert "$TMP/hub.crt" >/dev/null 2>&1; echo $?)" = 1
check "a missing certificate file is refused" test "$("$KIZUNA" serve --listen 127.0.0.1:0 --tls-cert "$TMP/none" --tls-key "$TMP/hub.key" >/dev/null 2>&1; echo $?)" = 1
