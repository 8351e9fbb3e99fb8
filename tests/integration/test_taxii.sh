#!/bin/bash
# TAXII 2.1 through the real binary: every endpoint, paging, filters, media types, auth and
# the error paths, with stored data unchanged after bad input.
. "$(dirname "$0")/lib.sh"

init_hub || exit 1
"$KIZUNA" org add acme --name "Acme Power" --type cip --sector electricity --country JP >/dev/null
"$KIZUNA" org add bank --name "Bank" --type company --sector finance >/dev/null
MEMBER=$(new_key acme member)
BANK=$(new_key bank member)
start_hub || exit 1

# --- discovery and API root
check_eq "discovery answers 200" 200 "$(req GET /taxii2/ "")"
check_eq "discovery names the API root" "/taxii2/api/" "$(jbody .default)"
check_eq "discovery has the TAXII media type" "$TAXII" "$(header Content-Type)"
check_eq "API root answers" 200 "$(req GET /taxii2/api/ "$MEMBER")"
check_eq "API root has versions" "$TAXII" "$(jbody '.versions[0]')"
check "API root has max_content_length" test "$(jbody .max_content_length)" -gt 0

# --- media types
check_eq "Accept text/html is 406" 406 "$(curl -s -o "$TMP/body" -w '%{http_code}' -H 'Accept: text/html' "$HUB/taxii2/")"
check_eq "406 is a TAXII error document" 406 "$(jbody .http_status)"
check_eq "Accept taxii without version is fine" 200 "$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept: application/taxii+json' "$HUB/taxii2/")"
check_eq "Accept taxii version 2.0 is 406" 406 "$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept: application/taxii+json;version=2.0' "$HUB/taxii2/")"

# --- authentication
check_eq "bad token is 401" 401 "$(req GET /taxii2/api/collections/ "kz_nope.nope")"
check "401 carries WWW-Authenticate" test -n "$(header WWW-Authenticate)"
check_eq "401 has the TAXII media type" "$TAXII" "$(header Content-Type)"
check_eq "anonymous sees only public" "public" "$(req GET /taxii2/api/collections/ "" >/dev/null; jbody '[.collections[].alias] | join(",")')"
check_eq "anonymous on community is 401" 401 "$(req GET /taxii2/api/collections/community/objects/ "")"
KEYID=${MEMBER%%.*}
SECRET=${MEMBER#*.}
check_eq "HTTP Basic with key id and token" 200 "$(curl -s -o /dev/null -w '%{http_code}' -u "$KEYID:$MEMBER" -H "Accept: $TAXII" "$HUB/taxii2/api/collections/")"
check_eq "HTTP Basic with the secret part only" 200 "$(curl -s -o /dev/null -w '%{http_code}' -u "$KEYID:$SECRET" -H "Accept: $TAXII" "$HUB/taxii2/api/collections/")"
check_eq "HTTP Basic with a wrong user" 401 "$(curl -s -o /dev/null -w '%{http_code}' -u "kz_000000000000000000000000:$MEMBER" -H "Accept: $TAXII" "$HUB/taxii2/api/collections/")"

# --- collections
req GET /taxii2/api/collections/ "$MEMBER" >/dev/null
ALIASES=$(jbody '[.collections[].alias] | sort | join(",")')
check_eq "a member sees its collections" "community,org-acme,public,sector-electricity" "$ALIASES"
COMMUNITY=$(jbody '.collections[] | select(.alias=="community") | .id')
check_eq "collection by id" 200 "$(req GET "/taxii2/api/collections/$COMMUNITY/" "$MEMBER")"
check_eq "collection can_write" true "$(jbody .can_write)"
check_eq "collection by alias" 200 "$(req GET /taxii2/api/collections/community/ "$MEMBER")"
check_eq "another org's collection is 404" 404 "$(req GET /taxii2/api/collections/org-bank/ "$MEMBER")"
check_eq "unknown collection is 404" 404 "$(req GET /taxii2/api/collections/nope/ "$MEMBER")"
check_eq "public is readable but not writable: 403" 403 "$(printf '{"objects":[]}' >"$TMP/e.json"; req POST /taxii2/api/collections/public/objects/ "$MEMBER" "$TMP/e.json")"

# --- POST an envelope
I1=$(uuid); I2=$(uuid); I3=$(uuid)
{
    printf '{"objects":['
    indicator "$I1" "$TLP_GREEN"; printf ','
    indicator "$I2" "$TLP_AMBER"; printf ','
    printf '{"type":"indicator","spec_version":"2.1","id":"indicator--%s","created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z"}' "$I3"
    printf ']}'
} >"$TMP/env.json"
check_eq "POST answers 202" 202 "$(req POST /taxii2/api/collections/community/objects/ "$MEMBER" "$TMP/env.json")"
check_eq "status counts successes" 2 "$(jbody .success_count)"
check_eq "status counts failures" 1 "$(jbody .failure_count)"
check_eq "failure names the object" "indicator--$I3" "$(jbody '.failures[0].id')"
check "failure has a reason" test -n "$(jbody '.failures[0].message')"
STATUS_ID=$(jbody .id)
check_eq "status resource" 200 "$(req GET "/taxii2/api/status/$STATUS_ID/" "$MEMBER")"
check_eq "status resource is complete" complete "$(jbody .status)"
check_eq "status of another org is 404" 404 "$(req GET "/taxii2/api/status/$STATUS_ID/" "$BANK")"
check_eq "POST again is a duplicate, not a new version" 202 "$(req POST /taxii2/api/collections/community/objects/ "$MEMBER" "$TMP/env.json")"
check_eq "duplicates still count as successes" 2 "$(jbody .success_count)"

# --- GET objects
check_eq "GET objects" 200 "$(req GET /taxii2/api/collections/community/objects/ "$MEMBER")"
check_eq "objects come back" 2 "$(jbody '[.objects[] | select(.type=="indicator")] | length')"
check "X-TAXII-Date-Added-First" test -n "$(header X-TAXII-Date-Added-First)"
check "X-TAXII-Date-Added-Last" test -n "$(header X-TAXII-Date-Added-Last)"
line=$(indicator "$I1" "$TLP_GREEN")
check "objects come back byte for byte" grep -qF "$line" "$TMP/body"
check_eq "match[type]" 2 "$(req GET '/taxii2/api/collections/community/objects/?match%5Btype%5D=indicator' "$MEMBER" >/dev/null; jbody '.objects | length')"
check_eq "match[id]" "indicator--$I2" "$(req GET "/taxii2/api/collections/community/objects/?match%5Bid%5D=indicator--$I2" "$MEMBER" >/dev/null; jbody '.objects[0].id')"
check_eq "match[spec_version]=2.0 finds none" null "$(req GET '/taxii2/api/collections/community/objects/?match%5Bspec_version%5D=2.0' "$MEMBER" >/dev/null; jbody '.objects')"

# --- versions
sed 's/"modified":"2026-01-01T00:00:00.000Z"/"modified":"2026-02-01T00:00:00.000Z"/' <<<"{\"objects\":[$(indicator "$I1" "$TLP_GREEN")]}" >"$TMP/v2.json"
req POST /taxii2/api/collections/community/objects/ "$MEMBER" "$TMP/v2.json" >/dev/null
check_eq "a new version is stored" 1 "$(jbody .success_count)"
check_eq "object endpoint gives the last version" "2026-02-01T00:00:00.000Z" "$(req GET "/taxii2/api/collections/community/objects/indicator--$I1/" "$MEMBER" >/dev/null; jbody '.objects[0].modified')"
check_eq "match[version]=first" "2026-01-01T00:00:00.000Z" "$(req GET "/taxii2/api/collections/community/objects/indicator--$I1/?match%5Bversion%5D=first" "$MEMBER" >/dev/null; jbody '.objects[0].modified')"
check_eq "match[version]=all" 2 "$(req GET "/taxii2/api/collections/community/objects/indicator--$I1/?match%5Bversion%5D=all" "$MEMBER" >/dev/null; jbody '.objects | length')"
check_eq "match[version]=timestamp" 1 "$(req GET "/taxii2/api/collections/community/objects/indicator--$I1/?match%5Bversion%5D=2026-01-01T00:00:00.000Z" "$MEMBER" >/dev/null; jbody '.objects | length')"
check_eq "versions endpoint" 2 "$(req GET "/taxii2/api/collections/community/objects/indicator--$I1/versions/" "$MEMBER" >/dev/null; jbody '.versions | length')"
check_eq "unknown object is 404" 404 "$(req GET "/taxii2/api/collections/community/objects/indicator--$(uuid)/" "$MEMBER")"

# --- manifest
check_eq "manifest" 200 "$(req GET /taxii2/api/collections/community/manifest/ "$MEMBER")"
check_eq "manifest records carry a media type" "application/stix+json;version=2.1" "$(jbody "[.objects[] | select(.id==\"indicator--$I2\")][0].media_type")"
check "manifest records carry date_added" test -n "$(jbody "[.objects[] | select(.id==\"indicator--$I2\")][0].date_added")"

# --- paging with limit and next visits every object once
{
    printf '{"objects":['
    for i in $(seq 1 25); do [ "$i" -gt 1 ] && printf ','; indicator "$(uuid)" "$TLP_GREEN"; done
    printf ']}'
} >"$TMP/many.json"
req POST /taxii2/api/collections/sector-electricity/objects/ "$MEMBER" "$TMP/many.json" >/dev/null
seen=""
next=""
pages=0
while :; do
    q="?limit=10"
    [ -n "$next" ] && q="$q&next=$next"
    req GET "/taxii2/api/collections/sector-electricity/objects/$q" "$MEMBER" >/dev/null
    seen="$seen $(jbody '[.objects[]?.id] | join(" ")')"
    pages=$((pages + 1))
    [ "$(jbody .more)" = true ] || break
    next=$(jbody .next)
    [ $pages -gt 10 ] && break
done
check_eq "paging takes 3 pages of 10" 3 "$pages"
check_eq "paging sees every object once" 25 "$(tr ' ' '\n' <<<"$seen" | grep -c indicator)"
check_eq "paging repeats nothing" 25 "$(tr ' ' '\n' <<<"$seen" | grep indicator | sort -u | wc -l)"
FIRST=$(req GET "/taxii2/api/collections/sector-electricity/objects/?limit=1" "$MEMBER" >/dev/null; header X-TAXII-Date-Added-First)
check_eq "added_after excludes the first object" 24 "$(req GET "/taxii2/api/collections/sector-electricity/objects/?added_after=$FIRST" "$MEMBER" >/dev/null; jbody '.objects | length')"

# --- bad input: clear errors, nothing stored
count() { req GET "/taxii2/api/collections/community/manifest/?match%5Bversion%5D=all&limit=1000" "$MEMBER" >/dev/null; jbody '.objects | length'; }
before=$(count)
printf '{"objects": [' >"$TMP/bad.json"
check_eq "malformed JSON is 400" 400 "$(req POST /taxii2/api/collections/community/objects/ "$MEMBER" "$TMP/bad.json")"
check "400 names the problem" grep -q "malformed JSON" "$TMP/body"
printf '{"objects": {}}' >"$TMP/bad.json"
check_eq "objects not an array is 400" 400 "$(req POST /taxii2/api/collections/community/objects/ "$MEMBER" "$TMP/bad.json")"
printf '{"objects":[{"type":"indicator","name":"\xff\xfe"}]}' >"$TMP/bad.json"
check_eq "bad UTF-8 is 400" 400 "$(req POST /taxii2/api/collections/community/objects/ "$MEMBER" "$TMP/bad.json")"
python3 -c 'print("{\"objects\":[" + "["*200 + "]"*200 + "]}")' >"$TMP/deep.json"
check_eq "deep nesting is refused" 400 "$(req POST /taxii2/api/collections/community/objects/ "$MEMBER" "$TMP/deep.json")"
check_eq "wrong content type is 415" 415 "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $MEMBER" -H "Accept: $TAXII" -H 'Content-Type: text/plain' --data-binary @"$TMP/env.json" "$HUB/taxii2/api/collections/community/objects/")"
check_eq "bad added_after is 400" 400 "$(req GET '/taxii2/api/collections/community/objects/?added_after=yesterday' "$MEMBER")"
check_eq "bad limit is 400" 400 "$(req GET '/taxii2/api/collections/community/objects/?limit=-1' "$MEMBER")"
check_eq "unknown parameter is 400" 400 "$(req GET '/taxii2/api/collections/community/objects/?colour=red' "$MEMBER")"
check_eq "bad match[version] is 400" 400 "$(req GET '/taxii2/api/collections/community/objects/?match%5Bversion%5D=newest' "$MEMBER")"
check_eq "bad next is 400" 400 "$(req GET '/taxii2/api/collections/community/objects/?next=abc' "$MEMBER")"
check_eq "unknown path is 404" 404 "$(req GET /taxii2/api/nothing/ "$MEMBER")"
check_eq "wrong method is 405" 405 "$(req PUT /taxii2/api/collections/ "$MEMBER")"
check_eq "bad input stored nothing" "$before" "$(count)"
check_eq "the hub still serves" 200 "$(req GET /healthz "")"

# --- limits: body size and objects per envelope
stop_hub
start_hub --max-body-bytes 2048 --max-envelope-objects 3 || exit 1
check_eq "API root reports max_content_length" 2048 "$(req GET /taxii2/api/ "$MEMBER" >/dev/null; jbody .max_content_length)"
check_eq "a body over max_content_length is 413" 413 "$(req POST /taxii2/api/collections/community/objects/ "$MEMBER" "$TMP/many.json")"
{ printf '{"objects":['; for i in 1 2 3 4; do [ $i -gt 1 ] && printf ','; printf '{}'; done; printf ']}'; } >"$TMP/four.json"
check_eq "too many objects is 413" 413 "$(req POST /taxii2/api/collections/community/objects/ "$MEMBER" "$TMP/four.json")"

# --- DELETE
check_eq "DELETE one version" 200 "$(req DELETE "/taxii2/api/collections/community/objects/indicator--$I1/?match%5Bversion%5D=first" "$MEMBER")"
check_eq "one version remains" 1 "$(req GET "/taxii2/api/collections/community/objects/indicator--$I1/versions/" "$MEMBER" >/dev/null; jbody '.versions | length')"
check_eq "DELETE the object" 200 "$(req DELETE "/taxii2/api/collections/community/objects/indicator--$I1/" "$MEMBER")"
check_eq "deleted object is 404" 404 "$(req GET "/taxii2/api/collections/community/objects/indicator--$I1/" "$MEMBER")"
check_eq "DELETE of a missing object is 404" 404 "$(req DELETE "/taxii2/api/collections/community/objects/indicator--$I1/" "$MEMBER")"
check_eq "DELETE without write access is 403" 403 "$(req DELETE "/taxii2/api/collections/public/objects/indicator--$I2/" "$MEMBER")"

# --- SIGTERM stops cleanly
kill -TERM "$HUB_PID"
wait "$HUB_PID"
check_eq "SIGTERM exits 0" 0 "$?"
HUB_PID=""
