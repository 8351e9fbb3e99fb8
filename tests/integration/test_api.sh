#!/bin/bash
# The JSON API (/api/v1) through the real binary: remote administration and its errors.
. "$(dirname "$0")/lib.sh"

init_hub || exit 1
start_hub || exit 1
json() { printf '%s' "$1" >"$TMP/req.json"; echo "$TMP/req.json"; }

check_eq "healthz" ok "$(req GET /healthz "" >/dev/null; jbody .status)"
check_eq "no credentials is 401" 401 "$(req GET /api/v1/orgs "")"
check "401 carries WWW-Authenticate" test -n "$(header WWW-Authenticate)"
check_eq "401 is a JSON error document" 401 "$(jbody .http_status)"
check_eq "whoami" admin "$(req GET /api/v1/whoami "$ADMIN" >/dev/null; jbody .role)"
check_eq "whoami names the centre" gsoc "$(jbody .org.slug)"

check_eq "add an organisation" 201 "$(req POST /api/v1/orgs "$ADMIN" "$(json '{"slug":"isp1","name":"ISP One","type":"isp","country":"JP"}')")"
check "the organisation has a STIX identity" test -n "$(jbody .identity | grep '^identity--')"
check_eq "a duplicate slug is 409" 409 "$(req POST /api/v1/orgs "$ADMIN" "$(json '{"slug":"isp1","name":"ISP One","type":"isp"}')")"
check_eq "a bad type is 400" 400 "$(req POST /api/v1/orgs "$ADMIN" "$(json '{"slug":"x1","name":"X","type":"pirate"}')")"
check "the 400 names the field" grep -q "pirate" "$TMP/body"
check_eq "an unknown sector is 400" 400 "$(req POST /api/v1/orgs "$ADMIN" "$(json '{"slug":"x2","name":"X","type":"sme","sector":"space"}')")"
check_eq "a missing name is 400" 400 "$(req POST /api/v1/orgs "$ADMIN" "$(json '{"slug":"x3","type":"sme"}')")"
check_eq "a bad slug is 400" 400 "$(req POST /api/v1/orgs "$ADMIN" "$(json '{"slug":"Bad Slug","name":"X","type":"sme"}')")"
check_eq "a wrong JSON type is 400" 400 "$(req POST /api/v1/orgs "$ADMIN" "$(json '{"slug":7,"name":"X","type":"sme"}')")"
check_eq "malformed JSON is 400" 400 "$(req POST /api/v1/orgs "$ADMIN" "$(json '{"slug":')")"
check_eq "a non-JSON body is 415" 415 "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $ADMIN" -H 'Content-Type: text/plain' -d x "$HUB/api/v1/orgs")"
check_eq "get an organisation" isp1 "$(req GET /api/v1/orgs/isp1 "$ADMIN" >/dev/null; jbody .slug)"
check_eq "an unknown organisation is 404" 404 "$(req GET /api/v1/orgs/nope "$ADMIN")"
check_eq "bad input left one organisation more" 2 "$(req GET /api/v1/orgs "$ADMIN" >/dev/null; jbody '.organizations | length')"

check_eq "create a key" 201 "$(req POST /api/v1/keys "$ADMIN" "$(json '{"org":"isp1","role":"member"}')")"
KEY=$(jbody .id)
TOKEN=$(jbody .token)
check_eq "the new key works" isp1 "$(req GET /api/v1/whoami "$TOKEN" >/dev/null; jbody .org.slug)"
check_eq "a member may not list keys" 403 "$(req GET /api/v1/keys "$TOKEN")"
check_eq "a member may not create keys" 403 "$(req POST /api/v1/keys "$TOKEN" "$(json '{"org":"isp1","role":"admin"}')")"
check_eq "a bad role is 400" 400 "$(req POST /api/v1/keys "$ADMIN" "$(json '{"org":"isp1","role":"root"}')")"
check_eq "a key for an unknown org is 400" 400 "$(req POST /api/v1/keys "$ADMIN" "$(json '{"org":"nope","role":"member"}')")"
check "key list hides tokens" test "$(req GET /api/v1/keys "$ADMIN" >/dev/null; grep -c token "$TMP/body")" = 0
check_eq "revoke the key" 200 "$(req DELETE "/api/v1/keys/$KEY" "$ADMIN")"
check "revocation is recorded" test "$(jbody .revoked)" != null
check_eq "a revoked key is 401" 401 "$(req GET /api/v1/whoami "$TOKEN")"
check_eq "revoking an unknown key is 404" 404 "$(req DELETE /api/v1/keys/kz_nope "$ADMIN")"

check_eq "add a sector" 201 "$(req POST /api/v1/sectors "$ADMIN" "$(json '{"name":"space"}')")"
check_eq "a duplicate sector is 409" 409 "$(req POST /api/v1/sectors "$ADMIN" "$(json '{"name":"space"}')")"
check_eq "eleven sectors" 11 "$(req GET /api/v1/sectors "$ADMIN" >/dev/null; jbody '.sectors | length')"
check_eq "the sector got its collection" sector-space "$(req GET /api/v1/collections/sector-space "$ADMIN" >/dev/null; jbody .alias)"

check_eq "add a collection" 201 "$(req POST /api/v1/collections "$ADMIN" "$(json '{"alias":"isps","readers":["type:isp","role:gsoc"],"writers":["role:gsoc"],"max_tlp":"green"}')")"
check_eq "the collection lists its readers" "type:isp role:gsoc" "$(jbody '.readers | join(" ")')"
check_eq "a bad principal is 400" 400 "$(req POST /api/v1/collections "$ADMIN" "$(json '{"alias":"c2","readers":["everyone"],"writers":[],"max_tlp":"green"}')")"
check_eq "a bad TLP is 400" 400 "$(req POST /api/v1/collections "$ADMIN" "$(json '{"alias":"c3","readers":["member"],"writers":["member"],"max_tlp":"purple"}')")"
check_eq "a duplicate alias is 409" 409 "$(req POST /api/v1/collections "$ADMIN" "$(json '{"alias":"isps","readers":["member"],"writers":["member"]}')")"
check_eq "an unknown collection is 404" 404 "$(req GET /api/v1/collections/nope "$ADMIN")"
check_eq "an unknown API path is 404" 404 "$(req GET /api/v1/nothing "$ADMIN")"
check_eq "a wrong method is 405" 405 "$(req DELETE /api/v1/orgs "$ADMIN")"
