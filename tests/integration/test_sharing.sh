#!/bin/bash
# The sharing rules of DESIGN.md end to end: who sees which collection and which objects,
# TLP write limits, TLP:RED only to named organisations, re-sharing only by the creator.
. "$(dirname "$0")/lib.sh"

init_hub || exit 1
"$KIZUNA" org add acme --name "Acme Power" --type cip --sector electricity >/dev/null
"$KIZUNA" org add grid --name "Grid Co" --type cip --sector electricity >/dev/null
"$KIZUNA" org add bank --name "Bank" --type company --sector finance >/dev/null
ACME=$(new_key acme member)
GRID=$(new_key grid member)
BANK=$(new_key bank member)
SENSOR=$(new_key acme sensor)
GSOC=$(new_key gsoc gsoc)
ACME_ID=$("$KIZUNA" org list --json | jq -r '.organizations[] | select(.slug=="acme") | .identity')
"$KIZUNA" collection add acme-grid --readers "org:acme org:grid" --writers "org:acme org:grid" --max-tlp red >/dev/null
start_hub || exit 1

post() { # key collection object-json → status code; body has the status resource
    printf '{"objects":[%s]}' "$3" >"$TMP/post.json"
    req POST "/taxii2/api/collections/$2/objects/" "$1" "$TMP/post.json"
}
visible() { # key collection id → number of versions visible
    req GET "/taxii2/api/collections/$2/objects/?match%5Bid%5D=$3" "$1" >/dev/null
    jbody '.objects // [] | length'
}

# collection visibility per organisation, sector and role
check_eq "sector collection readable by its sector" 200 "$(req GET /taxii2/api/collections/sector-electricity/ "$GRID")"
check_eq "sector collection hidden from another sector" 404 "$(req GET /taxii2/api/collections/sector-electricity/ "$BANK")"
check_eq "gsoc reads every collection" 200 "$(req GET /taxii2/api/collections/org-bank/objects/ "$GSOC")"
check_eq "private collection hidden from others" 404 "$(req GET /taxii2/api/collections/org-acme/ "$GRID")"

# TLP above the collection's max is refused with a reason
post "$ACME" community "$(indicator "$(uuid)" "$TLP_RED")" >/dev/null
check_eq "RED into community is refused" 1 "$(jbody .failure_count)"
check "the reason names the TLP" grep -qi "red" "$TMP/body"
post "$ACME" community "$(indicator "$(uuid)" "$TLP_AMBER_STRICT")" >/dev/null
check_eq "AMBER+STRICT above community's AMBER is refused" 1 "$(jbody .failure_count)"
post "$ACME" community "$(indicator "$(uuid)")" >/dev/null
check_eq "unmarked objects take the default AMBER and fit community" 1 "$(jbody .success_count)"
post "$GSOC" public "$(indicator "$(uuid)" "$TLP_GREEN")" >/dev/null
check_eq "GREEN into public (max CLEAR) is refused" 1 "$(jbody .failure_count)"
post "$GSOC" public "$(indicator "$(uuid)" "$TLP1_WHITE")" >/dev/null
check_eq "TLP 1.0 WHITE counts as CLEAR" 1 "$(jbody .success_count)"

# TLP:RED only to collections read by named organisations, and seen only by them
RED=$(uuid)
post "$ACME" acme-grid "$(indicator "$RED" "$TLP_RED")" >/dev/null
check_eq "RED into a named-organisation collection is stored" 1 "$(jbody .success_count)"
check_eq "a named organisation sees RED" 1 "$(visible "$GRID" acme-grid "indicator--$RED")"
RED1=$(uuid)
post "$ACME" org-acme "$(indicator "$RED1" "$TLP1_RED")" >/dev/null
check_eq "TLP 1.0 RED into the org's private collection" 1 "$(jbody .success_count)"
check_eq "the org sees its RED" 1 "$(visible "$ACME" org-acme "indicator--$RED1")"
check_eq "gsoc does not see RED not addressed to it" 0 "$(visible "$GSOC" org-acme "indicator--$RED1")"

# re-sharing: AMBER only by the creator; GREEN by anyone within the limits
AMB=$(uuid)
post "$ACME" sector-electricity "$(indicator "$AMB" "$TLP_AMBER" "$ACME_ID")" >/dev/null
check_eq "creator shares AMBER to its sector" 1 "$(jbody .success_count)"
post "$GRID" community "$(indicator "$AMB" "$TLP_AMBER" "$ACME_ID")" >/dev/null
check_eq "another org may not re-share AMBER" 1 "$(jbody .failure_count)"
check "the reason names re-sharing" grep -qi "creat" "$TMP/body"
post "$ACME" community "$(indicator "$AMB" "$TLP_AMBER" "$ACME_ID")" >/dev/null
check_eq "the creator may re-share AMBER" 1 "$(jbody .success_count)"
GRN=$(uuid)
post "$ACME" sector-electricity "$(indicator "$GRN" "$TLP_GREEN" "$ACME_ID")" >/dev/null
post "$GRID" community "$(indicator "$GRN" "$TLP_GREEN" "$ACME_ID")" >/dev/null
check_eq "GREEN may be re-shared by another org" 1 "$(jbody .success_count)"

# sensors write sightings only
post "$SENSOR" org-acme "$(indicator "$(uuid)" "$TLP_GREEN")" >/dev/null
check_eq "a sensor may not write indicators" 1 "$(jbody .failure_count)"
SIGHT='{"type":"sighting","spec_version":"2.1","id":"sighting--'$(uuid)'","created":"2026-01-02T00:00:00Z","modified":"2026-01-02T00:00:00Z","sighting_of_ref":"indicator--'$AMB'","count":3}'
post "$SENSOR" org-acme "$SIGHT" >/dev/null
check_eq "a sensor may write sightings" 1 "$(jbody .success_count)"

# anonymous callers see only CLEAR in public
check_eq "anonymous reads public" 200 "$(req GET /taxii2/api/collections/public/objects/ "")"
# (the CLEAR indicator, and the incident extension-definition that init stores there)
check_eq "anonymous sees the CLEAR objects only" "extension-definition indicator" "$(jbody '[.objects[].type] | sort | join(" ")')"

# admin API roles
check_eq "a member may not add organisations" 403 "$(printf '{"slug":"x","name":"X","type":"sme"}' >"$TMP/o.json"; req POST /api/v1/orgs "$ACME" "$TMP/o.json")"
check_eq "a collection read by public must be CLEAR" 400 "$(printf '{"alias":"leak","readers":["public"],"writers":["role:gsoc"],"max_tlp":"green"}' >"$TMP/c.json"; req POST /api/v1/collections "$ADMIN" "$TMP/c.json")"
check_eq "RED needs named organisations" 400 "$(printf '{"alias":"leak","readers":["sector:finance"],"writers":["role:gsoc"],"max_tlp":"red"}' >"$TMP/c.json"; req POST /api/v1/collections "$ADMIN" "$TMP/c.json")"
