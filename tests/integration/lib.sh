# Shared by the integration tests: a hub on a free loopback port in a temporary directory,
# HTTP helpers, and TAP-like result lines ("ok - ..." / "not ok - ...").
set -u
KIZUNA=${KIZUNA:-$PWD/build/kizuna}
KZ_ROOT=${KZ_ROOT:-$PWD}
TMP=$(mktemp -d)
FAILED=0
HUB_PID=""
HUB=""
DB="sqlite:$TMP/kizuna.db"
export KIZUNA_DB="$DB"
export KIZUNA_LOG_LEVEL=${KIZUNA_LOG_LEVEL:-1}
TAXII="application/taxii+json;version=2.1"

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; FAILED=$((FAILED + 1)); }
# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
    local d=$1
    shift
    if "$@" >/dev/null 2>&1; then ok "$d"; else not_ok "$d"; fi
}
# check_eq DESCRIPTION EXPECTED ACTUAL
check_eq() {
    if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (expected '$2', got '$3')"; fi
}

start_hub() {
    "$KIZUNA" serve --db "$DB" --listen 127.0.0.1:0 "$@" >"$TMP/serve.out" 2>>"$TMP/serve.log" &
    HUB_PID=$!
    # Up to 30 s: recovery after kill -9 under ASan on a busy machine is slow.
    for _ in $(seq 1 300); do
        HUB=$(sed -n 's|^serving on \(http[s]*://[^ ]*\)/$|\1|p' "$TMP/serve.out")
        [ -n "$HUB" ] && break
        sleep 0.1
    done
    for _ in $(seq 1 50); do
        curl -sk -o /dev/null "$HUB/healthz" && return 0
        sleep 0.1
    done
    echo "hub did not start:" >&2
    cat "$TMP/serve.log" >&2
    return 1
}

stop_hub() {
    if [ -n "$HUB_PID" ]; then
        kill -TERM "$HUB_PID" 2>/dev/null
        wait "$HUB_PID" 2>/dev/null
        HUB_PID=""
    fi
}

cleanup() {
    local st=$?
    for p in $RECEIVER_PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    stop_hub
    rm -rf "$TMP"
    if [ "$FAILED" -ne 0 ]; then exit 1; fi
    exit $st
}
trap cleanup EXIT

# wait_for COMMAND...: retries the command for up to 30 s; its status.
wait_for() {
    for _ in $(seq 1 300); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

# receiver NAME [ARGS...]: starts tests/integration/webhook_receiver.py on a free loopback
# port, recording to $TMP/NAME.jsonl and verifying with the secret in $TMP/NAME.secret
# (ARGS: --fail N, --sleep S); sets RPORT and RPID. Stopped by cleanup.
RECEIVER_PIDS=""
receiver() {
    local name=$1
    shift
    : >"$TMP/$name.port"
    python3 "$KZ_ROOT/tests/integration/webhook_receiver.py" --out "$TMP/$name.jsonl" \
        --secret-file "$TMP/$name.secret" "$@" >"$TMP/$name.port" 2>"$TMP/$name.err" &
    RPID=$!
    RECEIVER_PIDS="$RECEIVER_PIDS $RPID"
    wait_for grep -q '^port ' "$TMP/$name.port" || { echo "receiver $name did not start" >&2; return 1; }
    RPORT=$(sed -n 's/^port //p' "$TMP/$name.port")
    touch "$TMP/$name.jsonl"
}

# api METHOD PATH TOKEN [JSON]: req with a JSON body given inline; prints the status.
api() {
    if [ $# -ge 4 ]; then
        printf '%s' "$4" >"$TMP/req.json"
        req "$1" "$2" "$3" "$TMP/req.json"
    else
        req "$1" "$2" "$3"
    fi
}

# req METHOD PATH TOKEN [BODY-FILE] [EXTRA CURL ARGS...]: prints the status; body in $TMP/body,
# headers in $TMP/headers.
req() {
    local method=$1 path=$2 token=$3 body=${4:-}
    shift 4 2>/dev/null || shift $#
    local args=(-s -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' -X "$method")
    [ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
    if [[ "$path" == /taxii2/* ]]; then args+=(-H "Accept: $TAXII"); fi
    if [ -n "$body" ]; then
        if [[ "$path" == /taxii2/* ]]; then args+=(-H "Content-Type: $TAXII"); else args+=(-H "Content-Type: application/json"); fi
        args+=(--data-binary "@$body")
    fi
    curl "${args[@]}" "$@" "$HUB$path"
}

body() { cat "$TMP/body"; }
jbody() { jq -r "$1" "$TMP/body"; }
header() { grep -i "^$1:" "$TMP/headers" | head -1 | cut -d' ' -f2- | tr -d '\r'; }

# init_hub: a fresh database; sets ADMIN (token).
init_hub() {
    "$KIZUNA" init --json >"$TMP/init.json" || return 1
    ADMIN=$(jq -r .admin_token "$TMP/init.json")
}

# new_key ORG ROLE: prints a token.
new_key() {
    "$KIZUNA" key create --org "$1" --role "$2" --json | jq -r .token
}

# uuid: a random UUID.
uuid() { cat /proc/sys/kernel/random/uuid; }

# indicator ID-UUID [TLP-MARKING-ID] [CREATED_BY]: a valid indicator as one line of JSON.
indicator() {
    local id=$1 marking=${2:-} by=${3:-}
    local m="" b=""
    [ -n "$marking" ] && m=",\"object_marking_refs\":[\"$marking\"]"
    [ -n "$by" ] && b=",\"created_by_ref\":\"$by\""
    printf '{"type":"indicator","spec_version":"2.1","id":"indicator--%s","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"bad ip","pattern":"[ipv4-addr:value = '"'"'198.51.100.7'"'"']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"%s%s}' "$id" "$m" "$b"
}

TLP_CLEAR=marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487
TLP_GREEN=marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb
TLP_AMBER=marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421
TLP_AMBER_STRICT=marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003
TLP_RED=marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1
TLP1_WHITE=marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9
TLP1_RED=marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed
