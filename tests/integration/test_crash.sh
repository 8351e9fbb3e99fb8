#!/bin/bash
# Nothing acknowledged is lost: kill -9 the hub under concurrent ingest, restart it, and
# find every acknowledged object; the SQLite file passes its integrity check.
. "$(dirname "$0")/lib.sh"

init_hub || exit 1
"$KIZUNA" org add acme --name "Acme Power" --type cip --sector electricity >/dev/null
MEMBER=$(new_key acme member)
start_hub || exit 1

# writer N: posts envelopes of 20 indicators until stopped; logs ids of acknowledged ones.
writer() {
    local n=$1 i=0
    while :; do
        local ids=() body='{"objects":['
        for k in $(seq 1 20); do
            local id
            id=$(uuid)
            ids+=("indicator--$id")
            [ "$k" -gt 1 ] && body+=','
            body+=$(indicator "$id" "$TLP_GREEN")
        done
        body+=']}'
        code=$(curl -s -o "$TMP/w$n.body" -w '%{http_code}' -X POST -H "Authorization: Bearer $MEMBER" \
            -H "Accept: $TAXII" -H "Content-Type: $TAXII" --data-binary "$body" \
            "$HUB/taxii2/api/collections/community/objects/" 2>/dev/null)
        if [ "$code" = 202 ] && [ "$(jq -r .success_count "$TMP/w$n.body" 2>/dev/null)" = 20 ]; then
            printf '%s\n' "${ids[@]}" >>"$TMP/acked.$n"
        fi
        i=$((i + 1))
        [ -e "$TMP/stop" ] && break
        [ $i -gt 400 ] && break
    done
}

for n in 1 2 3; do writer $n & done
sleep 3
kill -9 "$HUB_PID"
wait "$HUB_PID" 2>/dev/null
HUB_PID=""
touch "$TMP/stop"
wait
cat "$TMP"/acked.* 2>/dev/null | sort -u >"$TMP/acked"
acked=$(wc -l <"$TMP/acked")
check "some envelopes were acknowledged before the kill" test "$acked" -gt 0

start_hub || exit 1
: >"$TMP/stored"
next=""
for _ in $(seq 1 200); do
    q="?limit=1000&match%5Btype%5D=indicator"
    [ -n "$next" ] && q="$q&next=$next"
    req GET "/taxii2/api/collections/community/objects/$q" "$MEMBER" >/dev/null
    jbody '.objects[]?.id' >>"$TMP/stored"
    [ "$(jbody .more)" = true ] || break
    next=$(jbody .next)
done
sort -u "$TMP/stored" -o "$TMP/stored"
missing=$(comm -23 "$TMP/acked" "$TMP/stored" | wc -l)
check_eq "every acknowledged object survived kill -9 ($acked acknowledged)" 0 "$missing"
stop_hub
check_eq "PRAGMA integrity_check" ok "$(sqlite3 "$TMP/kizuna.db" 'PRAGMA integrity_check')"
