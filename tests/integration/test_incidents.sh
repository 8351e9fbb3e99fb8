#!/bin/bash
# Incidents end to end: a member reports (API and TAXII push), the centre triages through
# the life cycle, forbidden moves answer 409, a closed incident reopens only with a reason,
# notes and links reach the timeline, the centre publishes indicators and a report under
# the TLP rules, and other members see nothing of it.
. "$(dirname "$0")/lib.sh"

EXT=extension-definition--6f1e2b5c-3a4d-4e8f-9b71-2c0d5a9e4b13
init_hub || exit 1
"$KIZUNA" org add acme --name "Acme Power" --type cip --sector electricity >/dev/null
"$KIZUNA" org add bank --name "Bank" --type company --sector finance >/dev/null
ACME=$(new_key acme member)
BANK=$(new_key bank member)
SENSOR=$(new_key acme sensor)
BANK_SENSOR=$(new_key bank sensor)
GSOC=$(new_key gsoc gsoc)
ACME_ID=$("$KIZUNA" org list --json | jq -r '.organizations[] | select(.slug=="acme") | .identity')
start_hub --webhook-backoff-ms 100 --webhook-backoff-max-ms 500 || exit 1

jcompact() { jq -c "$1" "$TMP/body"; }
push() { # key collection object-json → status code
    printf '{"objects":[%s]}' "$3" >"$TMP/post.json"
    req POST "/taxii2/api/collections/$2/objects/" "$1" "$TMP/post.json"
}

# the extension-definition is public
req GET "/taxii2/api/collections/public/objects/?match%5Bid%5D=$EXT" "$BANK" >/dev/null
check_eq "the incident extension-definition is in the public collection" "extension-definition" "$(jbody '.objects[0].type')"

# a member reports through the API
check_eq "a member reports an incident" 201 "$(api POST /api/v1/incidents "$ACME" '{"name":"Ransomware at substation 4","severity":"high","description":"SCADA HMI encrypted"}')"
INC=$(jbody .id)
check_eq "a new incident is reported" reported "$(jbody .status)"
check_eq "it lives in the member's collection" org-acme "$(jbody .collection)"
check_eq "the reporter is the affected organisation" '["acme"]' "$(jcompact .organizations)"
check_eq "its sector comes from the reporter" '["electricity"]' "$(jcompact .sectors)"
check_eq "one transition so far" 1 "$(jbody '.transitions | length')"
check_eq "reported when it was created" "$(jbody .created)" "$(jbody '.transitions[0].at')"
req GET "/taxii2/api/collections/org-acme/objects/?match%5Bid%5D=$INC" "$ACME" >/dev/null
check_eq "the incident is a STIX object carrying the extension" reported "$(jbody ".objects[0].extensions[\"$EXT\"].status")"
check_eq "a member cannot escalate to national" 403 "$(api POST /api/v1/incidents "$ACME" '{"name":"x","severity":"national"}')"
check_eq "a member does not triage" 403 "$(api POST "/api/v1/incidents/$INC" "$ACME" '{"status":"triage"}')"
check_eq "name and severity are required" 400 "$(api POST /api/v1/incidents "$ACME" '{"name":"x"}')"
check_eq "an unknown severity is refused" 400 "$(api POST /api/v1/incidents "$ACME" '{"name":"x","severity":"huge"}')"
check "the error names the field" grep -q severity "$TMP/body"
check_eq "an unknown member is refused" 400 "$(api POST /api/v1/incidents "$ACME" '{"name":"x","severity":"low","colour":"red"}')"
check_eq "a body that is not JSON is refused" 400 "$(api POST /api/v1/incidents "$ACME" '{"name":')"
check_eq "sensors have no incidents" 403 "$(api GET /api/v1/incidents "$SENSOR")"
check_eq "another member gets 404 on the incident" 404 "$(api GET "/api/v1/incidents/$INC" "$BANK")"
check_eq "another member gets 404 on its timeline" 404 "$(api GET "/api/v1/incidents/$INC/timeline" "$BANK")"
check_eq "another member cannot add notes" 404 "$(api POST "/api/v1/incidents/$INC/notes" "$BANK" '{"content":"hi"}')"
api GET /api/v1/incidents "$BANK" >/dev/null
check_eq "another member lists none" 0 "$(jbody '.incidents | length')"

# a member pushes an incident over TAXII; whatever status it claims, it starts as reported
PUSHED=incident--$(uuid)
OBJ='{"type":"incident","spec_version":"2.1","id":"'$PUSHED'","created":"2026-03-01T10:00:00.000Z","modified":"2026-03-01T10:00:00.000Z","name":"Phishing wave","labels":["phishing"],"created_by_ref":"'$ACME_ID'","extensions":{"'$EXT'":{"extension_type":"property-extension","status":"closed","severity":"medium"}}}'
check_eq "a member pushes an incident over TAXII" 202 "$(push "$ACME" org-acme "$OBJ")"
check_eq "the push is accepted" 1 "$(jbody .success_count)"
check_eq "the pushed incident is indexed as reported" reported "$(api GET "/api/v1/incidents/$PUSHED" "$ACME" >/dev/null; jbody .status)"
check_eq "with the severity reported" medium "$(jbody .severity)"
api GET /api/v1/incidents "$GSOC" >/dev/null
check_eq "the centre lists both incidents" 2 "$(jbody '.incidents | length')"
api GET "/api/v1/incidents?org=acme&severity=high" "$GSOC" >/dev/null
check_eq "filters by org and severity" "$INC" "$(jbody '.incidents | map(.id) | join(",")')"
api GET "/api/v1/incidents?limit=1" "$GSOC" >/dev/null
check_eq "pages of one" 1 "$(jbody '.incidents | length')"
FIRST=$(jbody '.incidents[0].id'); NEXT=$(jbody .next)
api GET "/api/v1/incidents?limit=1&next=$NEXT" "$GSOC" >/dev/null
check "the next page has the other one" test "$(jbody '.incidents[0].id')" != "$FIRST"
check_eq "and it is the last" null "$(jbody .next)"
check_eq "a forged cursor is refused" 400 "$(api GET "/api/v1/incidents?next=12.incident--nope" "$GSOC")"
check_eq "so is a cursor that is no cursor" 400 "$(api GET "/api/v1/incidents?next=12" "$GSOC")"
check_eq "the centre triages the pushed incident" 200 "$(api POST "/api/v1/incidents/$PUSHED" "$GSOC" '{"status":"triage"}')"
req GET "/taxii2/api/collections/org-acme/objects/$PUSHED/" "$ACME" >/dev/null
check_eq "its next version keeps what the member wrote" "phishing triage $ACME_ID" "$(jbody '.objects[0] | .labels[0] + " " + .extensions["'$EXT'"].status + " " + .created_by_ref')"
check_eq "a bad status filter is refused" 400 "$(api GET "/api/v1/incidents?status=bogus" "$GSOC")"

# an incident in a shared collection: other members may write STIX there, not triage it
check_eq "a member may report into a collection it writes" 201 "$(api POST /api/v1/incidents "$ACME" '{"name":"Shared outage","severity":"low","collection":"community"}')"
SHARED=$(jbody .id)
check_eq "it lives there" community "$(jbody .collection)"
req GET "/taxii2/api/collections/community/objects/$SHARED/" "$BANK" >/dev/null
jq -c '.objects[0] | .modified = "2030-01-01T00:00:00.000Z" | .name = "renamed by bank" | .extensions[].status = "closed"' "$TMP/body" >"$TMP/renamed.json"
check_eq "another member pushes a version over TAXII" 202 "$(push "$BANK" community "$(cat "$TMP/renamed.json")")"
api GET "/api/v1/incidents/$SHARED" "$ACME" >/dev/null
check_eq "the index ignores another member's version" "Shared outage reported" "$(jbody '.name + " " + .status')"
check_eq "and that member still gets 404" 404 "$(api GET "/api/v1/incidents/$SHARED" "$BANK")"
check_eq "a collection the member cannot write is 403" 403 "$(api POST /api/v1/incidents "$ACME" '{"name":"x","severity":"low","collection":"public"}')"
check_eq "a collection the member cannot see is 404" 404 "$(api POST /api/v1/incidents "$ACME" '{"name":"x","severity":"low","collection":"org-bank"}')"

# the centre triages through the life cycle
check_eq "gsoc: reported → triage" 200 "$(api POST "/api/v1/incidents/$INC" "$GSOC" '{"status":"triage"}')"
check_eq "gsoc: → investigating, assigned, critical" 200 "$(api POST "/api/v1/incidents/$INC" "$GSOC" '{"status":"investigating","assignee":"cymat-team-1","severity":"critical"}')"
check_eq "the assignee is kept" cymat-team-1 "$(jbody .assignee)"
check_eq "the severity is kept" critical "$(jbody .severity)"
check_eq "a forbidden transition is 409" 409 "$(api POST "/api/v1/incidents/$INC" "$GSOC" '{"status":"reported"}')"
check "the 409 names both states" grep -q "investigating.*reported" "$TMP/body"
check_eq "the status did not change" investigating "$(api GET "/api/v1/incidents/$INC" "$GSOC" >/dev/null; jbody .status)"
check_eq "an unknown status is 400" 400 "$(api POST "/api/v1/incidents/$INC" "$GSOC" '{"status":"done"}')"
check_eq "→ contained" 200 "$(api POST "/api/v1/incidents/$INC" "$GSOC" '{"status":"contained"}')"
check "time to containment is a figure" test "$(jbody '.figures.report_to_containment_s >= 0')" = true
check_eq "→ recovered" 200 "$(api POST "/api/v1/incidents/$INC" "$GSOC" '{"status":"recovered"}')"
check_eq "→ closed" 200 "$(api POST "/api/v1/incidents/$INC" "$GSOC" '{"status":"closed"}')"
check "time to closure is a figure" test "$(jbody '.figures.report_to_closure_s >= 0')" = true
check_eq "reopening without a reason is 409" 409 "$(api POST "/api/v1/incidents/$INC" "$GSOC" '{"status":"investigating"}')"
check "the 409 asks for a reason" grep -q reason "$TMP/body"
check_eq "reopening with a reason" 200 "$(api POST "/api/v1/incidents/$INC" "$GSOC" '{"status":"investigating","reason":"second site hit"}')"
check_eq "the reason is on the transition" "second site hit" "$(jbody '.transitions[-1].reason')"
check_eq "every transition is kept with its time" "reported triage investigating contained recovered closed investigating" "$(jbody '[.transitions[].status] | join(" ")')"
# national escalation reaches the national contacts at once, and the incident says so
receiver national
check_eq "gsoc subscribes a national-level contact" 201 "$(api POST /api/v1/webhooks "$GSOC" '{"url":"http://127.0.0.1:'"$RPORT"'/cabinet","events":["incident.national"],"national":true}')"
jbody .secret >"$TMP/national.secret"
receiver member
check_eq "the member subscribes to its incidents" 201 "$(api POST /api/v1/webhooks "$ACME" '{"url":"http://127.0.0.1:'"$RPORT"'/acme","events":["incident.updated"]}')"
jbody .secret >"$TMP/member.secret"
check_eq "the centre escalates to national" 200 "$(api POST "/api/v1/incidents/$INC" "$GSOC" '{"severity":"national"}')"
check_eq "the national contact is queued in the same write" 1 "$(jbody '[.notifications[] | select(.event=="incident.national" and .org=="gsoc")] | length')"
check "the national contact receives it" wait_for test -s "$TMP/national.jsonl"
REC=$(head -1 "$TMP/national.jsonl")
check_eq "the event is incident.national" incident.national "$(jq -r '.body | fromjson | .event' <<<"$REC")"
check_eq "about this incident" "$INC national" "$(jq -r '.body | fromjson | .data.id + " " + .data.severity' <<<"$REC")"
check_eq "signed with the contact's secret" true "$(jq -r .sig_ok <<<"$REC")"
check "the member hears of the update" wait_for test -s "$TMP/member.jsonl"
check_eq "as incident.updated" incident.updated "$(head -1 "$TMP/member.jsonl" | jq -r '.body | fromjson | .event')"
delivered() { api GET "/api/v1/incidents/$INC" "$GSOC" >/dev/null; [ "$(jbody '[.notifications[] | select(.event=="incident.national" and .state=="delivered")] | length')" = 1 ]; }
check "the incident shows who was notified and when" wait_for delivered
check "with the delivery time" test -n "$(jbody '.notifications[] | select(.event=="incident.national") | .delivered' | grep Z$)"
check_eq "a later change does not page the national contact again" 200 "$(api POST "/api/v1/incidents/$INC" "$GSOC" '{"assignee":"cymat-team-1"}')"
check_eq "one national notification" 1 "$(jbody '[.notifications[] | select(.event=="incident.national")] | length')"
check_eq "the member follows its incident" investigating "$(api GET "/api/v1/incidents/$INC" "$ACME" >/dev/null; jbody .status)"
req GET "/taxii2/api/collections/org-acme/objects/$INC/versions/" "$GSOC" >/dev/null
check_eq "each change is a new version of the object" 9 "$(jbody '.versions | length')"

# notes and links
check_eq "the member adds a note" 201 "$(api POST "/api/v1/incidents/$INC/notes" "$ACME" '{"content":"HMI restored from backup"}')"
check_eq "the centre adds a note" 201 "$(api POST "/api/v1/incidents/$INC/notes" "$GSOC" '{"content":"internal: suspect insider"}')"
NOTE=$(jbody .id)
check_eq "an empty note is refused" 400 "$(api POST "/api/v1/incidents/$INC/notes" "$GSOC" '{"content":""}')"
GREEN=$(uuid)
AMBER=$(uuid)
push "$ACME" org-acme "$(indicator "$GREEN" "$TLP_GREEN" "$ACME_ID"),$(indicator "$AMBER" "$TLP_AMBER" "$ACME_ID")" >/dev/null
check_eq "the member shares two indicators with the centre" 2 "$(jbody .success_count)"
check_eq "the centre links an indicator" 201 "$(api POST "/api/v1/incidents/$INC/links" "$GSOC" '{"target":"indicator--'"$GREEN"'","relationship_type":"indicates"}')"
check_eq "a link needs a STIX id" 400 "$(api POST "/api/v1/incidents/$INC/links" "$GSOC" '{"target":"not-an-id"}')"
TNOTE=note--$(uuid)
push "$ACME" org-acme '{"type":"note","spec_version":"2.1","id":"'$TNOTE'","created":"2026-11-01T00:00:00.000Z","modified":"2026-11-01T00:00:00.000Z","content":"pushed note","object_refs":["'$INC'"]}' >/dev/null
api GET "/api/v1/incidents/$INC/timeline" "$ACME" >/dev/null
check_eq "notes from the API and TAXII are on the timeline" 3 "$(jbody '[.timeline[] | select(.kind=="note")] | length')"
check_eq "the link is on the timeline" "indicator--$GREEN" "$(jbody '.timeline[] | select(.kind=="link") | .target_ref')"
check_eq "transitions are on the timeline" 7 "$(jbody '[.timeline[] | select(.kind=="transition")] | length')"
check_eq "versions are on the timeline" 9 "$(jbody '[.timeline[] | select(.kind=="version")] | length')"
check_eq "notifications are on the timeline" true "$(jbody '[.timeline[] | select(.kind=="notification") | .event] | index("incident.national") != null')"
check_eq "the timeline is in time order" true "$(jbody '[.timeline[].at] as $a | $a == ($a | sort)')"

# publishing the response
check_eq "a member does not publish" 403 "$(api POST "/api/v1/incidents/$INC/publish" "$ACME" '{"indicators":["indicator--'"$GREEN"'"],"report":{"name":"r"},"collections":["community"],"tlp":"green"}')"
check_eq "publish needs a TLP" 400 "$(api POST "/api/v1/incidents/$INC/publish" "$GSOC" '{"indicators":["indicator--'"$GREEN"'"],"report":{"name":"r"},"collections":["community"]}')"
check_eq "the centre publishes to community and public" 200 "$(api POST "/api/v1/incidents/$INC/publish" "$GSOC" '{"indicators":["indicator--'"$GREEN"'","indicator--'"$AMBER"'"],"report":{"name":"Substation ransomware","description":"Block these."},"collections":["community","public"],"tlp":"green"}')"
cp "$TMP/body" "$TMP/publish.json"
check_eq "one report was published" 1 "$(jbody .reports)"
check_eq "the GREEN indicator went to community" added "$(jbody '.collections[0].objects[] | select(.id=="indicator--'"$GREEN"'") | .outcome')"
check_eq "the AMBER one is refused at TLP:GREEN" refused "$(jbody '.collections[0].objects[] | select(.id=="indicator--'"$AMBER"'") | .outcome')"
check_eq "the report went to community" added "$(jbody '.collections[0].objects[] | select(.type=="report") | .outcome')"
check_eq "public (max CLEAR) refuses the GREEN indicator" refused "$(jbody '.collections[1].objects[] | select(.id=="indicator--'"$GREEN"'") | .outcome')"
check "the refusal names the TLP" grep -qi "clear\|tlp" "$TMP/body"
check_eq "no report goes where no indicator went" refused "$(jbody '.collections[1].objects[] | select(.type=="report") | .outcome')"
req GET "/taxii2/api/collections/community/objects/?match%5Bid%5D=indicator--$GREEN" "$BANK" >/dev/null
check_eq "another member reads the published indicator" 1 "$(jbody '.objects | length')"
req GET "/taxii2/api/collections/community/objects/?match%5Btype%5D=report" "$BANK" >/dev/null
check_eq "and the report" "Substation ransomware" "$(jbody '.objects[0].name')"
check_eq "the report refers to the published indicator only" "[\"indicator--$GREEN\"]" "$(jcompact '.objects[0].object_refs')"
check "the report carries no internal note" sh -c "! grep -q 'insider\|$NOTE' '$TMP/body'"
req GET "/taxii2/api/collections/community/objects/?match%5Bid%5D=indicator--$AMBER" "$BANK" >/dev/null
check_eq "the AMBER indicator did not leak" 0 "$(jbody '.objects // [] | length')"
api GET "/api/v1/incidents/$INC" "$GSOC" >/dev/null
check "time to first share is a figure" test "$(jbody '.figures.report_to_first_share_s >= 0')" = true
api GET "/api/v1/incidents/$INC/timeline" "$GSOC" >/dev/null
check_eq "the published report is on the timeline" community "$(jbody '.timeline[] | select(.kind=="report") | .collection')"

# an alert becomes an incident with one call
SIGHT='{"type":"sighting","spec_version":"2.1","id":"sighting--SID","created":"2026-11-01T00:00:00Z","modified":"2026-11-01T00:00:00Z","first_seen":"FIRST","last_seen":"FIRST","count":2,"sighting_of_ref":"indicator--'$GREEN'"}'
push "$SENSOR" org-acme "$(sed -e "s/SID/$(uuid)/" -e "s/FIRST/$(date -u +%Y-%m-%dT%H:%M:%SZ)/g" <<<"$SIGHT")" >/dev/null
push "$BANK_SENSOR" org-bank "$(sed -e "s/SID/$(uuid)/" -e "s/FIRST/$(date -u +%Y-%m-%dT%H:%M:%SZ)/g" <<<"$SIGHT")" >/dev/null
api GET "/api/v1/alerts?rule=multi_org" "$GSOC" >/dev/null
ALERT=$(jbody '.alerts[] | select(.indicator_ref=="indicator--'"$GREEN"'") | .id' | head -1)
check "two organisations' sightings raise an alert" test -n "$ALERT"
receiver alerts
check_eq "the centre subscribes to alert changes" 201 "$(api POST /api/v1/webhooks "$GSOC" '{"url":"http://127.0.0.1:'"$RPORT"'/alerts","events":["alert.updated"]}')"
check_eq "a member does not turn alerts into incidents" 403 "$(api POST /api/v1/incidents "$ACME" '{"alert":"'"$ALERT"'"}')"
check_eq "an unknown alert is 404" 404 "$(api POST /api/v1/incidents "$GSOC" '{"alert":"alert--00000000-0000-4000-8000-000000000000"}')"
check_eq "the centre turns the alert into an incident" 201 "$(api POST /api/v1/incidents "$GSOC" '{"alert":"'"$ALERT"'"}')"
FROM=$(jbody .id)
check_eq "the incident names its alert" "$ALERT" "$(jbody .alert)"
check_eq "its name comes from the alert" "multi_org: indicator--$GREEN" "$(jbody .name)"
check_eq "the affected organisations come from the sightings" "acme bank" "$(jbody '.organizations | sort | join(" ")')"
check_eq "and the sectors" "electricity finance" "$(jbody '.sectors | sort | join(" ")')"
check "first sighting to alert is a figure" test "$(jbody '.figures.first_sighting_to_alert_s >= 0')" = true
api GET "/api/v1/incidents/$FROM/timeline" "$GSOC" >/dev/null
check_eq "it is linked to the indicator" "indicator--$GREEN" "$(jbody '.timeline[] | select(.kind=="link") | .target_ref')"
api GET "/api/v1/alerts/$ALERT" "$GSOC" >/dev/null
check_eq "the alert is marked as turned into the incident" resolved "$(jbody .status)"
check "its history names the incident" grep -q "$FROM" "$TMP/body"
turned() { jq -e --arg a "$ALERT" '.body | fromjson | select(.event=="alert.updated" and .data.id==$a and .data.action=="incident" and .data.status=="resolved")' "$TMP/alerts.jsonl" >/dev/null 2>&1; }
check "subscribers hear that the alert became an incident" wait_for turned
check_eq "an alert becomes one incident only" 409 "$(api POST /api/v1/incidents "$GSOC" '{"alert":"'"$ALERT"'"}')"
check_eq "publishing from it" 200 "$(api POST "/api/v1/incidents/$FROM/publish" "$GSOC" '{"indicators":["indicator--'"$GREEN"'"],"report":{"name":"Shared campaign"},"collections":["community"],"tlp":"green"}')"
api GET "/api/v1/incidents/$FROM" "$GSOC" >/dev/null
check "alert to first shared indicator is a figure" test "$(jbody '.figures.alert_to_first_share_s >= 0')" = true

# an incident deleted over TAXII leaves the index
GONE=incident--$(uuid)
check_eq "a member pushes another incident" 202 "$(push "$ACME" org-acme "${OBJ//$PUSHED/$GONE}")"
check_eq "it is indexed" 200 "$(api GET "/api/v1/incidents/$GONE" "$ACME")"
check_eq "the member deletes it over TAXII" 200 "$(req DELETE "/taxii2/api/collections/org-acme/objects/$GONE/" "$ACME")"
check_eq "the incident is gone from the API" 404 "$(api GET "/api/v1/incidents/$GONE" "$GSOC")"
api GET "/api/v1/incidents?limit=500" "$GSOC" >/dev/null
check_eq "and from the list" 0 "$(jq --arg g "$GONE" '[.incidents[] | select(.id==$g)] | length' "$TMP/body")"

# the command line
"$KIZUNA" incidents list --json >"$TMP/cli.json"
check_eq "kizuna incidents list" 4 "$(jq '.incidents | length' "$TMP/cli.json")"
"$KIZUNA" incidents show "$INC" --json >"$TMP/cli.json"
check_eq "kizuna incidents show" investigating "$(jq -r .status "$TMP/cli.json")"
"$KIZUNA" incidents update "$INC" --status contained --assignee cymat-team-2 --json >"$TMP/cli.json"
check_eq "kizuna incidents update" "contained cymat-team-2" "$(jq -r '.status + " " + .assignee' "$TMP/cli.json")"
check_eq "the CLI refuses a forbidden move" 1 "$("$KIZUNA" incidents update "$INC" --status reported >/dev/null 2>&1; echo $?)"
check_eq "the hub sees the CLI's change" contained "$(api GET "/api/v1/incidents/$INC" "$GSOC" >/dev/null; jbody .status)"
