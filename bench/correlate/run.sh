#!/usr/bin/env bash
# bench/correlate: sightings per second through TAXII with correlation on, against the
# same sightings into the same hub with correlation off (setting correlate=off), in one run.
#
#   workload  gen.py (seeded): 100,000 indicators (posted to 'community' first), 1,000
#             organisations over 12 sectors with one sensor key each, 200,000 sightings
#             in envelopes of 100, each posted by its organisation's key into org-<slug>
#   on        kizuna serve (default rules): every sighting feeds correlation
#   off       kizuna serve --correlate off: plain ingest of the same sightings
#
# Both start from a copy of the same database (organisations, keys, indicators). Runs
# alternate on/off --runs times (default 3); the cost of correlation (1 - on/off) is
# printed from the medians and as the median of each run's own on/off; goal: < 20 %.
# Then, on the last correlated database: the windows' load time at start and their memory,
# and a member's alert page against a list that walks every alert. Every process started
# here is stopped by PID.
#
#   bench/correlate/run.sh [--sightings N] [--indicators N] [--orgs N] [--runs R]
set -euo pipefail

SIGHTINGS=200000
INDICATORS=100000
ORGS=1000
RUNS=3
while [ $# -gt 0 ]; do
    case $1 in
    --sightings) SIGHTINGS=$2; shift 2 ;;
    --indicators) INDICATORS=$2; shift 2 ;;
    --orgs) ORGS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    -h | --help) sed -n '2,19s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
for v in "$SIGHTINGS" "$INDICATORS" "$ORGS" "$RUNS"; do
    case $v in '' | *[!0-9]*) echo "run.sh: numbers only" >&2; exit 2 ;; esac
done

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib.sh"
ROOT=$(cd "$HERE/../.." && pwd)
KIZUNA=${KIZUNA:-$ROOT/build/kizuna}
export KIZUNA_LOG_LEVEL=${KIZUNA_LOG_LEVEL:-1}
for tool in "$KIZUNA" curl jq python3; do
    command -v "$tool" >/dev/null || { echo "run.sh: '$tool' is missing (make deps)" >&2; exit 1; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/kizuna-bench-correlate.XXXXXX")
HUB_PID=""
cleanup() {
    local st=$?
    stop_pid "$HUB_PID"
    rm -rf "$TMP"
    exit $st
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "== generating: $ORGS organisations, $INDICATORS indicators, $SIGHTINGS sightings"
python3 "$HERE/gen.py" --dir "$TMP" --orgs "$ORGS" --indicators "$INDICATORS" --sightings "$SIGHTINGS"

say "== the common starting database"
mkdir -p "$TMP/base"
export KIZUNA_DB="sqlite:$TMP/base/kizuna.db"
"$KIZUNA" init --json >"$TMP/base/init.json" 2>>"$TMP/base/serve.log"
ADMIN=$(jq -r .admin_token "$TMP/base/init.json")
CENTRE=gsoc # the centre kizuna init creates
GSOC=$("$KIZUNA" key create --org "$CENTRE" --role gsoc --json | jq -r .token)
start_hub "$TMP/base" --correlate off
python3 "$HERE/setup.py" --url "$HUB" --admin "$ADMIN" --gsoc "$GSOC" --dir "$TMP" --keys "$TMP/keys.json"
stop_pid "$HUB_PID"
HUB_PID=""

ON=()
OFF=()
PAIRS=()
for r in $(seq 1 "$RUNS"); do
    for mode in on off; do
        dir="$TMP/run-$r-$mode"
        mkdir -p "$dir"
        cp "$TMP/base/kizuna.db" "$dir/kizuna.db"
        start_hub "$dir" --correlate "$mode"
        rate=$(python3 "$HERE/post.py" --url "$HUB" --keys "$TMP/keys.json" --file "$TMP/sightings.jsonl" | jq -r .objects_per_s)
        stop_pid "$HUB_PID"
        HUB_PID=""
        alerts=$("$KIZUNA" alerts list --db "sqlite:$dir/kizuna.db" --limit 100000000 | grep -c '^alert--' || true)
        say "   run $r correlate=$mode: $rate sightings/s, $alerts alerts"
        if [ "$mode" = on ]; then ON+=("$rate"); ALERTS=$alerts; else OFF+=("$rate"); fi
        if [ "$mode" = on ] && [ "$r" = "$RUNS" ]; then mv "$dir" "$TMP/after"; else rm -rf "$dir"; fi
    done
    # Each run's on and off follow each other: their ratio sees the same machine load.
    PAIRS+=("$(awk -v a="${ON[-1]}" -v b="${OFF[-1]}" 'BEGIN {printf "%.1f", 100 * (1 - a / b)}')")
done

# The last correlated database, opened again: how long the windows take to load at start,
# the memory they hold (anonymous RSS of a hub with correlation on, less one with it off,
# on the same database), and a member's first alert page (from the cache's index by
# organisation) against a centre's list that matches nothing (a walk of every alert).
say "== the correlated database: start-up, memory, alert pages"
rss_anon() { awk '/^RssAnon/ {print $2}' "/proc/$1/status"; }
page_ms() { # token query → median of 9 GETs, ms
    local t=()
    for _ in $(seq 1 9); do
        t+=("$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $1" "$HUB/api/v1/alerts$2")")
    done
    awk -v s="$(median "${t[@]}")" 'BEGIN {printf "%.1f", s * 1000}'
}
start_hub "$TMP/after" --correlate off
ANON_OFF=$(rss_anon "$HUB_PID")
stop_pid "$HUB_PID"
KIZUNA_LOG_LEVEL=2 start_hub "$TMP/after"
ANON_ON=$(rss_anon "$HUB_PID")
read -r LOADED LOAD_S < <(sed -n 's/.*correlation windows loaded sightings=\([0-9]*\) seconds=\([0-9.]*\).*/\1 \2/p' "$TMP/after/serve.log" | tail -1)
MEMBER_MS=$(page_ms "$(jq -r .org0001 "$TMP/keys.json")" "")
WALK_MS=$(page_ms "$GSOC" "?sector=nosuchsector")
stop_pid "$HUB_PID"
HUB_PID=""

MON=$(median "${ON[@]}")
MOFF=$(median "${OFF[@]}")
COST=$(awk -v a="$MON" -v b="$MOFF" 'BEGIN {printf "%.1f", 100 * (1 - a / b)}')
PAIRED=$(median "${PAIRS[@]}")
MET=$(awk -v c="$COST" -v p="$PAIRED" 'BEGIN {print (c < 20 && p < 20 ? "met" : "NOT met")}')
echo "bench/correlate: $SIGHTINGS sightings of $INDICATORS indicators by $ORGS organisations, medians of $RUNS runs"
echo "  correlate=on   $MON sightings/s  (runs: ${ON[*]}), $ALERTS alerts"
echo "  correlate=off  $MOFF sightings/s  (runs: ${OFF[*]})"
echo "  cost of correlation = $COST % of ingest throughput (ratio of the medians);"
echo "  median of each run's own cost = $PAIRED %  (runs: ${PAIRS[*]}) (goal < 20 % by both: $MET)"
echo "  at start: windows of $LOADED correlated sightings loaded in $LOAD_S s; they hold $(( (ANON_ON - ANON_OFF) / 1024 )) MB," \
    "$(( (ANON_ON - ANON_OFF) * 1024 / (LOADED > 0 ? LOADED : 1) )) bytes per sighting"
echo "  alert pages: a member's first page $MEMBER_MS ms; a list matching none of the $ALERTS alerts $WALK_MS ms (medians of 9)"
