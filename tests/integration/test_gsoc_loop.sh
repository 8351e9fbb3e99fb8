#!/bin/bash
# The coordinating centre's loop end to end, through the real binary: three member
# organisations in two sectors; their sensors sight the same indicator; the alerts appear
# with the right severity and visibility for each caller; the hub is killed (-9) and
# restarted in the middle with nothing lost; the centre turns an alert into an incident,
# moves it through its life cycle and escalates it to national; the national contact's
# receiver fails twice, then accepts: delivered once, the retries in the delivery log.
. "$(dirname "$0")/lib.sh"

IND=indicator--5a1e0c2b-7d4f-4e8a-9c3b-1f2e3d4c5b6a
# sighting UUID LAST_SEEN: a sighting of IND as one line of JSON
sighting() {
    printf '{"type":"sighting","spec_version":"2.1","id":"sighting--%s","created":"2026-06-01T00:00:00Z","modified":"2026-06-01T00:00:00Z","first_seen":"%s","last_seen":"%s","count":2,"sighting_of_ref":"%s","object_marking_refs":["%s"]}' \
        "$1" "$2" "$2" "$IND" "$TLP_GREEN"
}
post_sighting() { # SENSOR-TOKEN COLLECTION UUID LAST_SEEN → status
    printf '{"objects":[%s]}' "$(sighting "$3" "$4")" >"$TMP/env.json"
    req POST "/taxii2/api/collections/$2/objects/" "$1" "$TMP/env.json"
}
rules_of() { # TOKEN: "rule:severity" of each alert on IND, sorted, one line
    api GET "/api/v1/alerts" "$1" >/dev/null
    jbody '[.alerts[] | select(.indicator_ref=="'"$IND"'") | "\(.rule):\(.severity)"] | sort | join(" ")'
}

init_hub || exit 1
"$KIZUNA" sector add finance >/dev/null 2>&1 || true
"$KIZUNA" org add tokyo-power --name "Tokyo Power" --type cip --sector electricity >/dev/null
"$KIZUNA" org add kansai-power --name "Kansai Power" --type cip --sector electricity >/dev/null
"$KIZUNA" org add city-bank --name "City Bank" --type company --sector finance >/dev/null
"$KIZUNA" org add bystander --name "Bystander" --type company --sector finance >/dev/null
S_TOKYO=$(new_key tokyo-power sensor)
S_KANSAI=$(new_key kansai-power sensor)
S_BANK=$(new_key city-bank sensor)
M_TOKYO=$(new_key tokyo-power member)
M_BANK=$(new_key city-bank member)
M_BY=$(new_key bystander member)
GSOC=$(new_key gsoc gsoc)
# finance is not critical infrastructure here; electricity is.
cat >"$TMP/rules" <<'RULES'
ci_sectors electricity
RULES
HUB_FLAGS=(--rules "$TMP/rules" --webhook-attempts 5 --webhook-backoff-ms 100
    --webhook-backoff-max-ms 400 --webhook-poll-ms 50)
start_hub "${HUB_FLAGS[@]}" || exit 1

# The indicator, shared by the centre with the community.
printf '{"objects":[{"type":"indicator","spec_version":"2.1","id":"%s","created":"2026-06-01T00:00:00.000Z","modified":"2026-06-01T00:00:00.000Z","pattern":"[domain-name:value = '"'"'c2.example.net'"'"']","pattern_type":"stix","valid_from":"2026-06-01T00:00:00Z","object_marking_refs":["%s"]}]}' \
    "$IND" "$TLP_GREEN" >"$TMP/ind.json"
check_eq "the centre shares the indicator" 202 "$(req POST /taxii2/api/collections/community/objects/ "$GSOC" "$TMP/ind.json")"

# ---- sightings become alerts ----
check_eq "the bank's sensor reports a sighting" 202 "$(post_sighting "$S_BANK" org-city-bank 00000000-0000-4000-8000-00000000b001 2026-06-02T08:00:00Z)"
check_eq "one organisation in a non-CI sector: no alert" "" "$(rules_of "$GSOC")"
check_eq "Tokyo Power's sensor reports a sighting" 202 "$(post_sighting "$S_TOKYO" org-tokyo-power 00000000-0000-4000-8000-00000000a001 2026-06-02T09:00:00Z)"
check_eq "two organisations in two sectors, one CI: three alerts with their severities" \
    "critical_infrastructure:high multi_org:medium multi_sector:high" "$(rules_of "$GSOC")"
MULTI=$(jbody '.alerts[] | select(.indicator_ref=="'"$IND"'" and .rule=="multi_org") | .id')

# ---- the hub is killed in the middle and restarted: nothing acknowledged is lost ----
{ kill -9 "$HUB_PID" && wait "$HUB_PID"; } 2>/dev/null
HUB_PID=""
start_hub "${HUB_FLAGS[@]}" || exit 1
check_eq "after kill -9 and restart the alerts are all there" \
    "critical_infrastructure:high multi_org:medium multi_sector:high" "$(rules_of "$GSOC")"
check_eq "Kansai Power's sensor reports a sighting" 202 "$(post_sighting "$S_KANSAI" org-kansai-power 00000000-0000-4000-8000-00000000c001 2026-06-02T10:00:00Z)"
check_eq "the third organisation updates the alerts, none is duplicated" \
    "critical_infrastructure:high multi_org:medium multi_sector:high" "$(rules_of "$GSOC")"
check_eq "the centre sees the alert" 200 "$(api GET "/api/v1/alerts/$MULTI" "$GSOC")"
check_eq "with all three organisations" "city-bank kansai-power tokyo-power" "$(jbody '.organizations | sort | join(" ")')"
check_eq "and both sectors" "electricity finance" "$(jbody '.sectors | sort | join(" ")')"
check_eq "and every sighting counted" 6 "$(jbody .count)"

# ---- who sees what ----
check_eq "the bank's analysts see the alert" 200 "$(api GET "/api/v1/alerts/$MULTI" "$M_BANK")"
check_eq "the others appear only by sector" "city-bank sector:electricity" \
    "$(jbody '[.organizations[]] | unique | sort | join(" ")')"
check_eq "Tokyo Power sees the alert" 200 "$(api GET "/api/v1/alerts/$MULTI" "$M_TOKYO")"
check "Tokyo Power sees its own name" grep -q '"tokyo-power"' "$TMP/body"
check_eq "Tokyo Power does not see the bank by name" 0 "$(grep -c city-bank "$TMP/body")"
check_eq "an organisation that sighted nothing sees no alert" 404 "$(api GET "/api/v1/alerts/$MULTI" "$M_BY")"
check_eq "nor any in the list" "" "$(rules_of "$M_BY")"

# ---- the national contact: a receiver that fails twice, then accepts ----
receiver national --fail 2 || exit 1
check_eq "the centre subscribes a national-level contact" 201 \
    "$(api POST /api/v1/webhooks "$GSOC" '{"url":"http://127.0.0.1:'"$RPORT"'/cabinet","events":["incident.national"],"national":true}')"
jbody .secret >"$TMP/national.secret"
WEBHOOK=$(jbody .id)

# ---- the alert becomes an incident; its life cycle; national escalation ----
check_eq "the centre turns the alert into an incident" 201 "$(api POST /api/v1/incidents "$GSOC" '{"alert":"'"$MULTI"'"}')"
INC=$(jbody .id)
check_eq "the incident names the alert" "$MULTI" "$(jbody .alert)"
check_eq "and the organisations it involves" "city-bank kansai-power tokyo-power" "$(jbody '.organizations | sort | join(" ")')"
check_eq "triage" 200 "$(api POST "/api/v1/incidents/$INC" "$GSOC" '{"status":"triage"}')"
check_eq "investigating, with a response team" 200 "$(api POST "/api/v1/incidents/$INC" "$GSOC" '{"status":"investigating","assignee":"cymat-east"}')"
check_eq "back to reported is refused" 409 "$(api POST "/api/v1/incidents/$INC" "$GSOC" '{"status":"reported"}')"
check_eq "the refusal names both states" true "$(jbody '.description | test("investigating") and test("reported")')"
check_eq "escalated to national" 200 "$(api POST "/api/v1/incidents/$INC" "$GSOC" '{"severity":"national"}')"
received() { [ "$(wc -l <"$TMP/national.jsonl")" -ge "$1" ]; }
check "the national contact receives it on the third try" wait_for received 3
delivered() {
    api GET "/api/v1/webhooks/$WEBHOOK/deliveries" "$GSOC" >/dev/null
    [ "$(jbody '[.deliveries[] | select(.event=="incident.national" and .state=="delivered")] | length')" = 1 ]
}
check "the delivery log says delivered" wait_for delivered
check_eq "once, after three attempts" 3 "$(jbody '.deliveries[] | select(.event=="incident.national") | .attempts')"
sleep 1
check_eq "the receiver got exactly three requests" 3 "$(wc -l <"$TMP/national.jsonl" | tr -d ' ')"
check_eq "all three carry the same delivery id" 1 "$(jq -r '.headers["Kizuna-Delivery"] // .headers["kizuna-delivery"]' "$TMP/national.jsonl" | sort -u | wc -l | tr -d ' ')"
check_eq "the accepted one is signed correctly" true "$(tail -1 "$TMP/national.jsonl" | jq -r .sig_ok)"
check_eq "the incident shows who was notified" 200 "$(api GET "/api/v1/incidents/$INC" "$GSOC")"
check_eq "the national contact, delivered" delivered "$(jbody '.notifications[] | select(.event=="incident.national") | .state')"
check_eq "contained" 200 "$(api POST "/api/v1/incidents/$INC" "$GSOC" '{"status":"contained"}')"
check_eq "closed" 200 "$(api POST "/api/v1/incidents/$INC" "$GSOC" '{"status":"closed"}')"
check_eq "the transitions are all recorded" "reported triage investigating contained closed" \
    "$(jbody '[.transitions[].status] | join(" ")')"

# ---- a second restart: the incident, the alert and the log survive ----
stop_hub
start_hub "${HUB_FLAGS[@]}" || exit 1
check_eq "after a restart the incident is closed" closed "$(api GET "/api/v1/incidents/$INC" "$GSOC" >/dev/null; jbody .status)"
check_eq "the alert is marked as turned into the incident" resolved "$(api GET "/api/v1/alerts/$MULTI" "$GSOC" >/dev/null; jbody .status)"
check_eq "the national notification was not sent again" 3 "$(wc -l <"$TMP/national.jsonl" | tr -d ' ')"
