#!/bin/bash
# The sensor against a real hub: kizuna match pulls indicators over TAXII with a cursor kept
# on disk, posts sightings (spooled while the hub is down, stored once), follows a log file
# through rotation and swaps in indicators that arrive while it runs.
. "$(dirname "$0")/lib.sh"
L="$KZ_ROOT/tests/data/logs"
ST="$TMP/sensor"

init_hub || exit 1
"$KIZUNA" org add acme --name "Acme Power" --type cip --sector electricity >/dev/null
key_of() { "$KIZUNA" key create --org "$1" --role "$2" --json | jq -r '.id + ":" + .token'; }
MEMBER=$(key_of acme member)
SENSOR=$(key_of acme sensor)
start_hub || exit 1

# ind UUID-SUFFIX PATTERN: one indicator as JSON.
ind() {
    printf '{"type":"indicator","spec_version":"2.1","id":"indicator--11111111-0000-4000-8000-%012d","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"test","pattern":"%s","pattern_type":"stix","valid_from":"2000-01-01T00:00:00Z"}' "$1" "$2"
}
push() { # objects...
    local IFS=,
    printf '{"type":"bundle","id":"bundle--%s","objects":[%s]}' "$(uuid)" "$*" >"$TMP/push.json"
    "$KIZUNA" push --url "$HUB" --key "$MEMBER" --collection community "$TMP/push.json" >/dev/null 2>&1
}
match() { # summary args...
    local s=$1
    shift
    timeout 120 "$KIZUNA" match --quiet --url "$HUB" --key "$SENSOR" --state "$ST" --summary "$s" "$@"
}
sightings_in_org() { # number of sighting versions stored in org-acme
    req GET "/taxii2/api/collections/org-acme/objects/?match%5Btype%5D=sighting&match%5Bversion%5D=all" "${MEMBER#*:}" >/dev/null
    jbody '.objects // [] | length'
}
LOGS=("$L/zeek-dns.log" "$L/eve.json" "$L/zeek-conn.log")

push "$(ind 1 "[domain-name:value = 'wrccdc.org']")" \
    "$(ind 2 "[ipv4-addr:value ISSUBSET '134.71.3.0/24']")" \
    "$(ind 3 "[url:value = 'http://www.google.com/AllWorkAndNoPlayMakesWillADullBoy']")" \
    "$(ind 4 "[file:hashes.'SHA-256' = 'c531b510d3fb3382d60941179ec703b4ce43e8b2f91d18dbe9ea5177dc60cee1']")"
check "four indicators pushed to community" test "$?" -eq 0

# --- pulling, with the cursor on disk
match "$TMP/s1.json" --out "$TMP/o1.jsonl" "${LOGS[@]}"
check_eq "first run exits 0" 0 "$?"
check_eq "first run pulls the four indicators" 4 "$(jq .pulled "$TMP/s1.json")"
check_eq "domain, CIDR, URL and hash hits (dns 200 + eve 2)" 202 "$(jq .hit_lines "$TMP/s1.json")"
check_eq "one sighting per indicator" 4 "$(jq -s '[.[] | select(.type=="sighting")] | length' "$TMP/o1.jsonl")"
check "the state keeps a cursor" sh -c "for f in '$ST'/hub-*/*.jsonl; do head -1 \"\$f\"; done | jq -s -e 'map(select(.alias == \"community\") | .added_after | length > 0) == [true]'"
match "$TMP/s2.json" --out /dev/null "${LOGS[@]}"
check_eq "second run pulls nothing" 0 "$(jq .pulled "$TMP/s2.json")"
check_eq "second run still has the indicators" "4 202" "$(jq -r '"\(.indicators) \(.hit_lines)"' "$TMP/s2.json")"
push "$(ind 5 "[ipv4-addr:value = '208.80.152.3']")"
match "$TMP/s3.json" --out "$TMP/o3.jsonl" "${LOGS[@]}"
check_eq "third run pulls only the new indicator" 1 "$(jq .pulled "$TMP/s3.json")"
check_eq "the new indicator's hits are found (conn 6)" "5 208" "$(jq -r '"\(.indicators) \(.hit_lines)"' "$TMP/s3.json")"
check_eq "the new indicator is sighted" 6 \
    "$(jq -r 'select(.sighting_of_ref=="indicator--11111111-0000-4000-8000-000000000005") | .count' "$TMP/o3.jsonl")"
match "$TMP/sc.json" --collection community --state "$TMP/other" --out /dev/null "${LOGS[@]}"
check_eq "--collection by alias" "5 208" "$(jq -r '"\(.pulled) \(.hit_lines)"' "$TMP/sc.json")"

# --- posting sightings to org-acme, once
match "$TMP/s4.json" --post "${LOGS[@]}"
check_eq "--post exits 0" 0 "$?"
check_eq "--post: five sightings acknowledged, none spooled" "5 0" "$(jq -r '"\(.posted) \(.spooled)"' "$TMP/s4.json")"
check_eq "the sightings are in org-acme" 5 "$(sightings_in_org)"
check_eq "they name the organisation's identity" 5 \
    "$(jq '[.objects[] | select(.where_sighted_refs[0] | startswith("identity--"))] | length' "$TMP/body")"
match "$TMP/s5.json" --post "${LOGS[@]}"
check_eq "an identical second run stores no duplicates" 5 "$(sightings_in_org)"
req GET "/taxii2/api/collections/org-acme/objects/?match%5Bversion%5D=all" "${MEMBER#*:}" >/dev/null
ALL_BEFORE=$(jbody '.objects | length')

# --- the hub goes away: sightings are spooled, the run still finishes
push "$(ind 6 "[ipv4-addr:value = '208.80.152.2']")"
match "$TMP/s6.json" --out /dev/null "${LOGS[@]}"
check_eq "a pull before the hub stops" 1 "$(jq .pulled "$TMP/s6.json")"
PORT=${HUB##*:}
stop_hub
match "$TMP/s7.json" --post "$L/zeek-conn.log" 2>"$TMP/s7.err"
check_eq "unreachable hub: exit 0" 0 "$?"
check "unreachable hub: sightings spooled" test "$(jq .spooled "$TMP/s7.json")" -gt 0
check_eq "unreachable hub: nothing posted" 0 "$(jq .posted "$TMP/s7.json")"
check "the spool holds a batch" sh -c "ls '$ST/spool'/batch-*.json"
match "$TMP/s7b.json" --collection org-acme --out /dev/null "$L/zeek-conn.log" 2>/dev/null
check_eq "unreachable hub: a collection pulled empty is still known" "0 0" "$(jq -r '"\(.indicators) \(.hit_lines)"' "$TMP/s7b.json")"
match "$TMP/s7c.json" --collection nope --out /dev/null "$L/zeek-conn.log" 2>"$TMP/s7c.err"
check "unreachable hub: an unknown collection is an error" test "$?" -ne 0
start_hub --listen "127.0.0.1:$PORT" || start_hub || exit 1
: >"$TMP/empty.log"
match "$TMP/s8.json" --post "$TMP/empty.log"
check_eq "hub back: the spool is drained" "0" "$(jq .spooled "$TMP/s8.json")"
check "hub back: the spooled sightings are acknowledged" test "$(jq .posted "$TMP/s8.json")" -gt 0
check_eq "hub back: spool directory empty" 0 "$(find "$ST/spool" -name 'batch-*' | wc -l)"
check_eq "the spooled sighting is stored exactly once" 1 \
    "$(req GET "/taxii2/api/collections/org-acme/objects/?match%5Btype%5D=sighting&match%5Bversion%5D=all" "${MEMBER#*:}" >/dev/null
       jbody '[.objects[] | select(.sighting_of_ref=="indicator--11111111-0000-4000-8000-000000000006")] | length')"
match "$TMP/s9.json" --post "$TMP/empty.log"
req GET "/taxii2/api/collections/org-acme/objects/?match%5Bversion%5D=all" "${MEMBER#*:}" >/dev/null
check_eq "only the new sighting and its objects were added" "$((ALL_BEFORE + 3))" "$(jbody '.objects | length')"

# --- errors
timeout 60 "$KIZUNA" match --url "$HUB" --key "${SENSOR%%:*}:kz_wrong" --state "$TMP/bad" "$TMP/empty.log" 2>"$TMP/err1"
check "a bad key exits non-zero" test "$?" -ne 0
check "a bad key says 401" grep -q "401" "$TMP/err1"
timeout 60 "$KIZUNA" match --url "$HUB" --key "$SENSOR" --collection nope --state "$TMP/bad" "$TMP/empty.log" 2>"$TMP/err2"
check "an unknown collection exits non-zero" test "$?" -ne 0
check "an unknown collection is named" grep -q "'nope'" "$TMP/err2"
timeout 60 "$KIZUNA" match --url "http://127.0.0.1:1" --key "$SENSOR" --state "$TMP/bad2" "$TMP/empty.log" 2>"$TMP/err3"
check "an unreachable hub with no saved state exits non-zero" test "$?" -ne 0
check "an unreachable hub is reported" grep -q "cannot be reached" "$TMP/err3"
timeout 60 "$KIZUNA" match --post --indicators "$KZ_ROOT/tests/data/indicators/sample.txt" "$TMP/empty.log" 2>/dev/null
check_eq "--post without --url is a usage error" 2 "$?"

# --- --follow: a growing, rotated log; an indicator arriving while it runs
wait_for() { # file pattern: up to 30 s
    for _ in $(seq 1 300); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    return 1
}
F="$TMP/follow/dns.log"
mkdir -p "$TMP/follow"
head -100 "$L/zeek-dns.log" >"$F"
timeout 120 "$KIZUNA" match --url "$HUB" --key "$SENSOR" --state "$ST" --follow --poll-seconds 1 \
    --summary "$TMP/sf.json" --out "$TMP/of.jsonl" "$F" 2>"$TMP/sf.err" &
MPID=$!
check "follow: hits of the first lines are written" wait_for "$TMP/of.jsonl" "000000000001"
sed -n '101,200p' "$L/zeek-dns.log" >>"$F"
push "$(ind 7 "[ipv4-addr:value = '141.142.2.2']")"
check "follow: the new indicator is pulled and swapped in" wait_for "$TMP/sf.err" "new objects from the hub"
mv "$F" "$F.1"
cp "$L/zeek-conn.log" "$F"
check "follow: hits after the rotation (conn log)" wait_for "$TMP/of.jsonl" "000000000005"
kill -TERM "$MPID"
wait "$MPID"
check_eq "follow: SIGTERM ends it with exit 0" 0 "$?"
check "follow: the summary is written" test -s "$TMP/sf.json"
# what the two files hold, scanned without --follow
match "$TMP/sx.json" --out /dev/null "$F.1" "$F"
check_eq "follow: same hit lines as the files scanned whole" "$(jq .hit_lines "$TMP/sx.json")" "$(jq .hit_lines "$TMP/sf.json")"
check_eq "follow: same lines" "$(jq .lines "$TMP/sx.json")" "$(jq .lines "$TMP/sf.json")"
check "follow: the domain sighting (before rotation) is in the output" \
    grep -q "indicator--11111111-0000-4000-8000-000000000001" "$TMP/of.jsonl"
check "follow: the conn sighting (after rotation) is in the output" \
    grep -q "indicator--11111111-0000-4000-8000-000000000006" "$TMP/of.jsonl"
check "follow: the indicator pulled while running matched" \
    grep -q "indicator--11111111-0000-4000-8000-000000000007" "$TMP/of.jsonl"

# --- --follow --post: sightings reach the hub while the sensor runs
F2="$TMP/follow/conn.log"
: >"$F2"
timeout 120 "$KIZUNA" match --quiet --url "$HUB" --key "$SENSOR" --state "$ST" --follow --post \
    --poll-seconds 1 --summary "$TMP/sp.json" "$F2" 2>"$TMP/sp.err" &
MPID=$!
org_has_7() {
    req GET "/taxii2/api/collections/org-acme/objects/?match%5Btype%5D=sighting" "${MEMBER#*:}" >/dev/null
    [ "$(jbody '[.objects[] | select(.sighting_of_ref=="indicator--11111111-0000-4000-8000-000000000007")] | length')" = 1 ]
}
cat "$L/zeek-conn.log" >>"$F2"
for _ in $(seq 1 300); do org_has_7 && break; sleep 0.1; done
check "follow --post: a sighting is posted while running" org_has_7
kill -TERM "$MPID"
wait "$MPID"
check_eq "follow --post: SIGTERM ends it with exit 0" 0 "$?"
check_eq "follow --post: nothing left in the spool" 0 "$(jq .spooled "$TMP/sp.json")"
exit 0
