#!/bin/bash
# Correlation end to end: three member organisations in two sectors (retail, and the
# critical-infrastructure sector electricity) post sightings of the same indicator through
# sensor keys; the expected alerts appear with the right severity, each caller sees what it
# may, a replay changes nothing, attribution is enforced, the life cycle is checked.
. "$(dirname "$0")/lib.sh"

IND=indicator--0c1d6c1e-7f38-4bd2-9d1c-4a3e7e5f0a01
IND2=indicator--0c1d6c1e-7f38-4bd2-9d1c-4a3e7e5f0a02
WATCHED=indicator--0c1d6c1e-7f38-4bd2-9d1c-4a3e7e5f0a03
cat >"$TMP/rules" <<RULES
# tests: a small burst threshold and one watched indicator
rule burst min_count=100 window=1h severity=low
watch $WATCHED
RULES

# setup: sectors, organisations, keys (into the database named by $KIZUNA_DB)
setup() {
    init_hub || return 1
    "$KIZUNA" sector add retail >/dev/null || return 1
    "$KIZUNA" org add shop1 --name "Shop One" --type company --sector retail >/dev/null
    "$KIZUNA" org add shop2 --name "Shop Two" --type company --sector retail >/dev/null
    "$KIZUNA" org add power --name "Power Co" --type cip --sector electricity >/dev/null
    "$KIZUNA" org add other --name "Other" --type company >/dev/null
    S1=$(new_key shop1 sensor)
    S2=$(new_key shop2 sensor)
    SP=$(new_key power sensor)
    M1=$(new_key shop1 member)
    MP=$(new_key power member)
    MO=$(new_key other member)
    GSOC=$(new_key gsoc gsoc)
    ident() { "$KIZUNA" org list --json | jq -r ".organizations[] | select(.slug==\"$1\") | .identity"; }
    SHOP1_ID=$(ident shop1)
    POWER_ID=$(ident power)
}

# sighting ID INDICATOR LAST_SEEN COUNT [WHERE-SIGHTED-REF]
sighting() {
    local w=""
    [ -n "${5:-}" ] && w=",\"where_sighted_refs\":[\"$5\"]"
    printf '{"type":"sighting","spec_version":"2.1","id":"sighting--%s","created":"2026-03-01T00:00:00Z","modified":"2026-03-01T00:00:00Z","first_seen":"%s","last_seen":"%s","count":%s,"sighting_of_ref":"%s","object_marking_refs":["%s"]%s}' \
        "$1" "$3" "$3" "$4" "$2" "$TLP_GREEN" "$w"
}
post() { # key collection file → status
    req POST "/taxii2/api/collections/$2/objects/" "$1" "$3"
}
envelope() { printf '{"objects":[%s]}' "$2" >"$TMP/env-$1.json"; }

envelope 1 "$(sighting 00000000-0000-4000-8000-000000000001 $IND 2026-03-01T01:00:00Z 3)"
envelope 2 "$(sighting 00000000-0000-4000-8000-000000000002 $IND 2026-03-01T02:00:00Z 2)"
envelope 3 "$(sighting 00000000-0000-4000-8000-000000000003 $IND 2026-03-01T03:00:00Z 1 SHOPCLAIM)"
envelope 4 "$(sighting 00000000-0000-4000-8000-000000000004 $IND2 2026-03-01T04:10:00Z 150)"
envelope 5 "$(sighting 00000000-0000-4000-8000-000000000005 $WATCHED 2026-03-01T05:00:00Z 1)"

# play: post the five envelopes (shop2 through the retail sector collection)
play() {
    sed -i "s/SHOPCLAIM/$SHOP1_ID/" "$TMP/env-3.json"
    post "$S1" org-shop1 "$TMP/env-1.json" >/dev/null
    post "$S2" sector-retail "$TMP/env-2.json" >/dev/null
    post "$SP" org-power "$TMP/env-3.json" >/dev/null
    post "$S1" org-shop1 "$TMP/env-4.json" >/dev/null
    post "$S1" org-shop1 "$TMP/env-5.json" >/dev/null
}
alerts() { # key [query] → body holds the list
    req GET "/api/v1/alerts${2:-}" "$1" >/dev/null
}
summary() { # the alerts as "rule severity count orgs" lines, sorted
    jq -r '.alerts[] | "\(.id) \(.rule) \(.severity) \(.count) \(.organizations | sort | join(","))"' "$TMP/body" | sort
}

setup || exit 1
start_hub --rules "$TMP/rules" || exit 1

# one organisation: no alert yet
post "$S1" org-shop1 "$TMP/env-1.json" >/dev/null
check_eq "a sensor's sighting is stored" 1 "$(jbody .success_count)"
alerts "$GSOC"
check_eq "one organisation alone raises no alert" 0 "$(jbody '.alerts | length')"

# a second organisation in the same window: multi_org
post "$S2" sector-retail "$TMP/env-2.json" >/dev/null
alerts "$GSOC"
check_eq "two organisations: one alert" 1 "$(jbody '.alerts | length')"
check_eq "the alert is multi_org" multi_org "$(jbody '.alerts[0].rule')"
check_eq "multi_org is medium" medium "$(jbody '.alerts[0].severity')"
check_eq "counts are summed" 5 "$(jbody '.alerts[0].count')"
MULTI=$(jbody '.alerts[0].id')

# the critical-infrastructure organisation, claiming to be shop1
sed -i "s/SHOPCLAIM/$SHOP1_ID/" "$TMP/env-3.json"
post "$SP" org-power "$TMP/env-3.json" >/dev/null
check_eq "the sighting with a false claim is stored" 1 "$(jbody .success_count)"
alerts "$GSOC"
check_eq "three alerts: multi_org, multi_sector, critical_infrastructure" \
    "critical_infrastructure high,multi_org medium,multi_sector high" \
    "$(jbody '[.alerts[] | "\(.rule) \(.severity)"] | sort | join(",")')"
check_eq "multi_org updated, not duplicated" "$MULTI 6 3" \
    "$(jbody '.alerts[] | select(.rule=="multi_org") | "\(.id) \(.count) \(.organization_count)"')"
check_eq "sectors named" "electricity,retail" "$(jbody '.alerts[] | select(.rule=="multi_sector") | .sectors | sort | join(",")')"
check_eq "gsoc sees every organisation" "power,shop1,shop2" \
    "$(jbody '.alerts[] | select(.rule=="multi_org") | .organizations | sort | join(",")')"

# attribution: the stored sighting names the posting organisation, and the claim is logged
req GET "/taxii2/api/collections/org-power/objects/?match%5Bid%5D=sighting--00000000-0000-4000-8000-000000000003" "$GSOC" >/dev/null
check_eq "where_sighted_refs replaced by the poster's identity" "$POWER_ID" "$(jbody '.objects[0].where_sighted_refs | join(",")')"
check "the replacement is logged with the claim" grep -q "attributed.*claimed=.*$SHOP1_ID" "$TMP/serve.log"

# burst and watch list
post "$S1" org-shop1 "$TMP/env-4.json" >/dev/null
alerts "$GSOC" "?rule=burst"
check_eq "a count over the burst threshold raises a burst alert" "burst low 150" \
    "$(jbody '.alerts[] | "\(.rule) \(.severity) \(.count)"')"
post "$S1" org-shop1 "$TMP/env-5.json" >/dev/null
alerts "$GSOC" "?rule=watchlist"
check_eq "a watched indicator raises a critical alert at once" "watchlist critical $WATCHED" \
    "$(jbody '.alerts[] | "\(.rule) \(.severity) \(.indicator_ref)"')"
alerts "$GSOC"
check_eq "five alerts in all" 5 "$(jbody '.alerts | length')"
summary >"$TMP/first-run"

# what each caller sees
alerts "$M1"
check_eq "shop1 sees the five alerts it is part of" 5 "$(jbody '.alerts | length')"
check_eq "shop1 sees shop2 by name (it reads the retail collection) and power by sector" \
    "sector:electricity,shop1,shop2" \
    "$(jbody '.alerts[] | select(.rule=="multi_org") | .organizations | sort | join(",")')"
alerts "$MP"
check_eq "power sees only the alerts of the indicator it sighted" 3 "$(jbody '.alerts | length')"
check_eq "power sees the retail shops only as their sector" "power,sector:retail" \
    "$(jbody '.alerts[] | select(.rule=="multi_org") | .organizations | sort | join(",")')"
alerts "$MO"
check_eq "an unrelated member sees no alert" 0 "$(jbody '.alerts | length')"
check_eq "an unrelated member gets 404 for an alert" 404 "$(req GET "/api/v1/alerts/$MULTI" "$MO")"
check_eq "a member reads its own alert" 200 "$(req GET "/api/v1/alerts/$MULTI" "$MP")"
check_eq "anonymous callers get 401" 401 "$(req GET /api/v1/alerts "")"

# filters and paging
alerts "$GSOC" "?sector=electricity"
check_eq "sector filter" 3 "$(jbody '.alerts | length')"
alerts "$GSOC" "?status=open&rule=multi_sector"
check_eq "status and rule filters" multi_sector "$(jbody '[.alerts[].rule] | join(",")')"
alerts "$GSOC" "?since=2099-01-01T00:00:00Z"
check_eq "since filter" 0 "$(jbody '.alerts | length')"
alerts "$GSOC" "?limit=2"
N1=$(jbody '[.alerts[].id] | join(",")'); NEXT=$(jbody .next)
alerts "$GSOC" "?limit=2&next=$NEXT"
N2=$(jbody '[.alerts[].id] | join(",")'); NEXT=$(jbody .next)
alerts "$GSOC" "?limit=2&next=$NEXT"
N3=$(jbody '[.alerts[].id] | join(",")'); LAST=$(jbody .next)
check_eq "paging visits every alert once" 5 "$(echo "$N1,$N2,$N3" | tr , '\n' | sort -u | grep -c alert--)"
check_eq "the last page has no next" null "$LAST"
check_eq "a bad status is refused" 400 "$(req GET '/api/v1/alerts?status=closed' "$GSOC")"
check "the error names the parameter" grep -q status "$TMP/body"
check_eq "limit 0 is refused" 400 "$(req GET '/api/v1/alerts?limit=0' "$GSOC")"
check_eq "a forged cursor is refused" 400 "$(req GET '/api/v1/alerts?next=zz' "$GSOC")"
check_eq "an unknown parameter is refused" 400 "$(req GET '/api/v1/alerts?colour=red' "$GSOC")"

# replaying the same envelopes changes nothing
play
alerts "$GSOC"
summary >"$TMP/replayed"
check "a replay gives the same alerts and counts" cmp -s "$TMP/first-run" "$TMP/replayed"

# the life cycle
act() { # key id json → status
    printf '%s' "$3" >"$TMP/act.json"
    req POST "/api/v1/alerts/$2" "$1" "$TMP/act.json"
}
check_eq "a member may not change an alert" 403 "$(act "$M1" "$MULTI" '{"action":"acknowledge"}')"
check_eq "an unrelated member gets 404 on POST" 404 "$(act "$MO" "$MULTI" '{"action":"acknowledge"}')"
check_eq "acknowledge" 200 "$(act "$GSOC" "$MULTI" '{"action":"acknowledge"}')"
check_eq "status acknowledged" acknowledged "$(jbody .status)"
check "who changed it is recorded" test "$(jbody .status_changed_by | cut -d/ -f1)" = gsoc
check_eq "acknowledging twice is a conflict" 409 "$(act "$GSOC" "$MULTI" '{"action":"acknowledge"}')"
check_eq "dismiss without a reason is refused" 400 "$(act "$GSOC" "$MULTI" '{"action":"dismiss"}')"
check "the error names the reason" grep -q reason "$TMP/body"
check_eq "dismiss with a reason" 200 "$(act "$GSOC" "$MULTI" '{"action":"dismiss","reason":"test traffic"}')"
check_eq "the reason is kept" "dismissed test traffic" "$(jbody '"\(.status) \(.reason)"')"
check_eq "resolving a dismissed alert is a conflict" 409 "$(act "$GSOC" "$MULTI" '{"action":"resolve"}')"
check_eq "reopen" 200 "$(act "$GSOC" "$MULTI" '{"action":"reopen"}')"
check_eq "assign without an assignee is refused" 400 "$(act "$GSOC" "$MULTI" '{"action":"assign"}')"
check_eq "assign" 200 "$(act "$GSOC" "$MULTI" '{"action":"assign","assignee":"cymat-team-2"}')"
check_eq "the assignee is kept" "assigned cymat-team-2" "$(jbody '"\(.status) \(.assignee)"')"
check_eq "resolve" 200 "$(act "$GSOC" "$MULTI" '{"action":"resolve"}')"
check_eq "the history holds every change" "created,acknowledge,dismiss,reopen,assign,resolve" \
    "$(jbody '[.history[].action] | join(",")')"
check_eq "an unknown action is refused" 400 "$(act "$GSOC" "$MULTI" '{"action":"explode"}')"
check_eq "an unknown field is refused" 400 "$(act "$GSOC" "$MULTI" '{"action":"reopen","x":1}')"
check_eq "a non-string action is refused" 400 "$(act "$GSOC" "$MULTI" '{"action":7}')"
check_eq "a body that is not JSON is refused" 400 "$(act "$GSOC" "$MULTI" '{"action"')"
check_eq "an unknown alert is 404" 404 "$(act "$GSOC" alert--00000000-0000-4000-8000-000000000000 '{"action":"reopen"}')"
alerts "$GSOC" "?status=resolved"
check_eq "the status filter finds the resolved alert" "$MULTI" "$(jbody '[.alerts[].id] | join(",")')"
stop_hub

# the command line
check_eq "kizuna alerts lists the alerts" 5 "$("$KIZUNA" alerts list | grep -c '^alert--')"
check_eq "kizuna alerts --limit" 2 "$("$KIZUNA" alerts list --limit 2 | grep -c '^alert--')"
check_eq "kizuna alerts --rule filters" 1 "$("$KIZUNA" alerts --rule burst --json | jq '.alerts | length')"
check_eq "kizuna alerts show" resolved "$("$KIZUNA" alerts show "$MULTI" --json | jq -r .status)"
check "kizuna alerts reopen" "$KIZUNA" alerts reopen "$MULTI"
check "kizuna alerts ack" "$KIZUNA" alerts ack "$MULTI"
"$KIZUNA" alerts dismiss "$MULTI" >"$TMP/cli.out" 2>&1
check "kizuna alerts dismiss without --reason fails" test $? -eq 1
check "and says a reason is needed" grep -q reason "$TMP/cli.out"
check_eq "kizuna alerts dismiss --reason" "dismissed cli" \
    "$("$KIZUNA" alerts dismiss "$MULTI" --reason "known scanner" --json | jq -r '"\(.status) \(.status_changed_by)"')"
"$KIZUNA" alerts ack alert--00000000-0000-4000-8000-000000000000 >/dev/null 2>&1
check "kizuna alerts on an unknown alert fails" test $? -eq 1

# a bad rules file stops the hub from starting, naming the line
printf 'rule multi_org min_orgs=2\nrule multi_org min_orgs=1\n' >"$TMP/bad.rules"
"$KIZUNA" serve --listen 127.0.0.1:0 --rules "$TMP/bad.rules" >"$TMP/bad.out" 2>&1
check "serve refuses a bad rules file" test $? -ne 0
check "the error names the file and line" grep -q "bad.rules:2:.*min_orgs" "$TMP/bad.out"
"$KIZUNA" serve --listen 127.0.0.1:0 --rules "$TMP/absent.rules" >"$TMP/bad.out" 2>&1
check "serve refuses a missing rules file" test $? -ne 0

# the same sightings into a fresh hub give the same alerts (event time, deterministic ids)
DB="sqlite:$TMP/fresh.db"
export KIZUNA_DB="$DB"
setup || exit 1
start_hub --rules "$TMP/rules" || exit 1
play
alerts "$GSOC"
summary >"$TMP/fresh-run"
check "a fresh hub fed the same sightings has the same alerts" cmp -s "$TMP/first-run" "$TMP/fresh-run"
stop_hub

# correlate=off stores sightings without alerts
DB="sqlite:$TMP/off.db"
export KIZUNA_DB="$DB"
setup || exit 1
start_hub --correlate off || exit 1
play
check_eq "with correlation off the sightings are stored" 1 "$(jbody .success_count)"
alerts "$GSOC"
check_eq "with correlation off there are no alerts" 0 "$(jbody '.alerts | length')"
stop_hub

# SIGHUP reads the rules file again; a file that does not parse leaves the rules as they were
DB="sqlite:$TMP/live.db"
export KIZUNA_DB="$DB"
setup || exit 1
printf 'rule multi_org min_orgs=3\n' >"$TMP/live.rules"
KIZUNA_LOG_LEVEL=2 start_hub --rules "$TMP/live.rules" || exit 1
post "$S1" org-shop1 "$TMP/env-1.json" >/dev/null
post "$S2" sector-retail "$TMP/env-2.json" >/dev/null
alerts "$GSOC" "?rule=multi_org"
check_eq "with min_orgs=3 two organisations raise no multi_org alert" 0 "$(jbody '.alerts | length')"
printf 'rule multi_org min_orgs=2\n' >"$TMP/live.rules"
kill -HUP "$HUB_PID"
check "SIGHUP reloads the rules" wait_for grep -q "rules reloaded" "$TMP/serve.log"
envelope 6 "$(sighting 00000000-0000-4000-8000-000000000006 $IND 2026-03-01T06:00:00Z 1)"
post "$S2" sector-retail "$TMP/env-6.json" >/dev/null
alerts "$GSOC" "?rule=multi_org"
check_eq "the next sighting is judged by the new rules" "1 6" "$(jbody '"\(.alerts | length) \(.alerts[0].count)"')"
printf 'rule multi_org min_orgs=2\nrule burst window=0s\n' >"$TMP/live.rules"
kill -HUP "$HUB_PID"
check "a bad file is not taken, and the log names its line" \
    wait_for grep -q "rules not reloaded: .*live.rules:2" "$TMP/serve.log"
check_eq "the hub runs on with the rules it had" 200 "$(req GET /healthz "")"
stop_hub
