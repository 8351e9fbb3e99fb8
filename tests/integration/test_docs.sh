#!/bin/bash
# The examples in README.md, docs/api.md and docs/gsoc.md, run as written (with a free port and a
# temporary directory in place of 127.0.0.1:8080 and /tmp): each block must succeed.
. "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/bin"
ln -s "$KIZUNA" "$TMP/bin/kizuna"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# blocks FILE: the ```sh blocks of a document, one file each, in $TMP/blocks/FILE.N.sh
blocks() {
    local name
    name=$(basename "$1" .md)
    mkdir -p "$TMP/blocks"
    awk -v dir="$TMP/blocks" -v name="$name" '
        /^```sh$/ { n++; inside = 1; file = sprintf("%s/%s.%02d.sh", dir, name, n); next }
        /^```$/ && inside { inside = 0; close(file); next }
        inside { print > file }' "$1"
}

# run_doc FILE PRELUDE: runs the document's blocks in one shell, each checked.
run_doc() {
    local doc=$1 prelude=$2 name script
    name=$(basename "$doc" .md)
    blocks "$KZ_ROOT/$doc"
    script="$TMP/$name.run.sh"
    {
        echo "set -eo pipefail"
        echo "export PATH=\"$TMP/bin:\$PATH\""
        echo "$prelude"
        for b in "$TMP/blocks/$name".*.sh; do
            grep -q '^make ' "$b" && continue
            echo "echo '--- block $(basename "$b")'"
            sed -e "s|127.0.0.1:8080|127.0.0.1:$PORT|g" -e "s|/tmp/|$TMP/|g" "$b"
            echo "echo; echo 'block-ok $(basename "$b")'"
        done
        echo 'kill $(jobs -p) 2>/dev/null; wait; exit 0'
    } >"$script"
    (cd "$TMP" && bash "$script") >"$TMP/$name.out" 2>&1
    local st=$?
    for b in "$TMP/blocks/$name".*.sh; do
        grep -q '^make ' "$b" && continue
        if grep -q "^block-ok $(basename "$b")$" "$TMP/$name.out"; then
            ok "$doc example $(basename "$b" .sh)"
        else
            not_ok "$doc example $(basename "$b" .sh)"
        fi
    done
    if [ $st -ne 0 ]; then
        tail -20 "$TMP/$name.out"
    fi
}

unset KIZUNA_DB
run_doc README.md ""

DB="sqlite:$TMP/api.db"
export KIZUNA_DB="$DB"
init_hub || exit 1
start_hub || exit 1
run_doc docs/api.md "HUB=$HUB; ADMIN=$ADMIN"
run_doc docs/gsoc.md "HUB=$HUB; ADMIN=$ADMIN"
