#!/bin/bash
# The administrative command line on a database: init, org, sector, key, collection,
# --help and --json everywhere, and its error paths; push and get against a live hub.
. "$(dirname "$0")/lib.sh"

for c in "" init serve org sector key collection push get; do
    check "kizuna $c --help" "$KIZUNA" $c --help
done
check "an unknown command fails" test "$("$KIZUNA" frobnicate >/dev/null 2>&1; echo $?)" = 2

"$KIZUNA" init --json >"$TMP/init.json"
check "init prints the admin key id" test -n "$(jq -r .admin_key_id "$TMP/init.json")"
check "init prints the admin token" test -n "$(jq -r .admin_token "$TMP/init.json")"
check "init twice is refused" test "$("$KIZUNA" init >/dev/null 2>&1; echo $?)" = 1
check_eq "the ten default sectors" 10 "$("$KIZUNA" sector list --json | jq '.sectors | length')"
check_eq "default collections" "community,org-gsoc,public,sector-aviation,sector-electricity,sector-finance,sector-gas,sector-government,sector-ict,sector-logistics,sector-medical,sector-railway,sector-water" \
    "$("$KIZUNA" collection list --json | jq -r '[.collections[].alias] | sort | join(",")')"
check_eq "public is CLEAR" clear "$("$KIZUNA" collection show public --json | jq -r .max_tlp)"

check "org add" "$KIZUNA" org add acme --name "Acme Power" --type cip --sector electricity --country JP
check_eq "org list shows it" acme "$("$KIZUNA" org list --json | jq -r '.organizations[] | select(.slug=="acme") | .slug')"
check "org add creates the identity" test -n "$("$KIZUNA" org list --json | jq -r '.organizations[] | select(.slug=="acme") | .identity' | grep '^identity--')"
check "org add creates org-acme" "$KIZUNA" collection show org-acme
check "an unknown sector is refused" test "$("$KIZUNA" org add x --name X --type sme --sector space 2>&1 >/dev/null; echo $?)" != 0
check "a bad type is refused" test "$("$KIZUNA" org add y --name Y --type club >/dev/null 2>&1; echo $?)" = 1
check "a duplicate org is refused" test "$("$KIZUNA" org add acme --name A --type sme >/dev/null 2>&1; echo $?)" = 1
check "sector add" "$KIZUNA" sector add space
check "org in a new sector" "$KIZUNA" org add orbit --name Orbit --type company --sector space
check "sector add creates its collection" "$KIZUNA" collection show sector-space

"$KIZUNA" key create --org acme --role member --json >"$TMP/key.json"
KEY_ID=$(jq -r .id "$TMP/key.json")
TOKEN=$(jq -r .token "$TMP/key.json")
check "key create prints id and token" test -n "$KEY_ID" -a -n "$TOKEN"
check_eq "key list shows it" member "$("$KIZUNA" key list --json | jq -r ".keys[] | select(.id==\"$KEY_ID\") | .role")"
check "the token is not in the database" test "$(sqlite3 "$TMP/kizuna.db" .dump | grep -c "${TOKEN#*.}")" = 0
check "a bad role is refused" test "$("$KIZUNA" key create --org acme --role god >/dev/null 2>&1; echo $?)" = 1
check "collection add" "$KIZUNA" collection add acme-grid --readers "org:acme" --writers "org:acme" --max-tlp red
check "a bad principal is refused" test "$("$KIZUNA" collection add bad --readers "everyone" --writers member >/dev/null 2>&1; echo $?)" = 1

# push and get against the live hub
start_hub || exit 1
cp "$KZ_ROOT/tests/data/stix/"*indicator-for-malicious-url*.json "$TMP/bundle.json" 2>/dev/null ||
    printf '{"type":"bundle","id":"bundle--%s","objects":[%s]}' "$(uuid)" "$(indicator "$(uuid)" "$TLP_GREEN")" >"$TMP/bundle.json"
check "push a bundle" "$KIZUNA" push --url "$HUB" --key "$KEY_ID:$TOKEN" --collection community "$TMP/bundle.json"
n=$(jq '.objects | length' "$TMP/bundle.json")
"$KIZUNA" get --url "$HUB/taxii2/" --key "$KEY_ID:$TOKEN" --collection community --type indicator >"$TMP/got.json"
check "get returns a bundle" test "$(jq -r .type "$TMP/got.json")" = bundle
check "get returns the pushed indicators" test "$(jq '[.objects[] | select(.type=="indicator")] | length' "$TMP/got.json")" -ge 1
"$KIZUNA" get --url "$HUB/taxii2/api/" --key "$KEY_ID:$TOKEN" --collection community --limit 1 --lines >"$TMP/lines"
check "get follows next over pages" test "$(wc -l <"$TMP/lines")" -ge "$n"
"$KIZUNA" key revoke "$KEY_ID" >/dev/null
check "a revoked key is refused" test "$("$KIZUNA" get --url "$HUB" --key "$KEY_ID:$TOKEN" --collection community >/dev/null 2>&1; echo $?)" = 1
