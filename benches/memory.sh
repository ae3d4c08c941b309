#!/usr/bin/env bash
# Issue 3, benchmark 3: server memory for one large message.
#
#   bash benches/memory.sh              # a 100 MiB message (MIB=100)
#
# Starts examples/mailserver.rs (release) with --maildir under /tmp, reads
# its VmHWM (peak RSS) from /proc/PID/status, sends one MIB MiB message to
# demo@example.org, first with Python's smtplib (DATA, py/send_big.py), then
# with the `send` example (--tls none: BDAT when the server offers CHUNKING),
# each to a fresh server, and reads VmHWM again. Goal: growth under 16 MiB.
# Also checks the stored file's size. Ports: picked by the kernel.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MIB=${MIB:-100}
PY=/usr/bin/python3
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
W=$(mktemp -d /tmp/postwire-bench-memory.XXXXXX)
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    done
    rm -rf "$W"
}
trap cleanup EXIT

[ -x "$PY" ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 >/dev/null; }

echo "building the mailserver and send examples (release)" >&2
(cd "$ROOT" && cargo build --release -q -p postwire-examples --example mailserver --example send)
SERVER="$CARGO_TARGET_DIR/release/examples/mailserver"
SEND="$CARGO_TARGET_DIR/release/examples/send"

kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# measure NAME SENDER...: a fresh server with a fresh maildir, one message.
measure() {
    local name=$1
    shift
    local dir="$W/$name"
    mkdir -p "$dir/maildir"
    "$SERVER" --smtp 127.0.0.1:0 --maildir "$dir/maildir" >"$dir/out" 2>"$dir/log" &
    local pid=$!
    PIDS+=("$pid")
    for _ in $(seq 100); do grep -q 'smtp listening on' "$dir/out" 2>/dev/null && break; sleep 0.1; done
    local port
    port=$(sed -n 's/^smtp listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$dir/out")
    [ -n "$port" ] || { echo "mailserver did not start" >&2; cat "$dir/log" >&2; exit 1; }
    local before_hwm before_rss after_hwm after_rss
    before_hwm=$(kib "$pid" VmHWM)
    before_rss=$(kib "$pid" VmRSS)
    SERVER_ADDR="127.0.0.1:$port" "$@" >"$dir/sender.log" 2>&1 || { echo "$name: sender failed" >&2; cat "$dir/sender.log" >&2; exit 1; }
    after_hwm=$(kib "$pid" VmHWM)
    after_rss=$(kib "$pid" VmRSS)
    local stored
    stored=$(find "$dir/maildir/demo/new" -type f -printf '%s\n')
    printf '%-8s VmHWM %6d kB -> %6d kB (growth %.1f MiB), VmRSS after %6d kB, stored file %s octets; %s\n' \
        "$name" "$before_hwm" "$after_hwm" "$(awk -v a="$before_hwm" -v b="$after_hwm" 'BEGIN { print (b - a) / 1024 }')" \
        "$after_rss" "${stored:-none}" "$(tr '\n' ' ' <"$dir/sender.log")"
    [ -n "$stored" ] || { echo "$name: nothing stored" >&2; cat "$dir/log" >&2; exit 1; }
    kill "$pid"
}

echo "machine: $(nproc) cores, $(uname -sr); one $MIB MiB message into --maildir on $(findmnt -n -o FSTYPE -T "$W" 2>/dev/null || stat -f -c %T "$W")"
measure smtplib sh -c "exec $PY '$ROOT/benches/py/send_big.py' \"\$SERVER_ADDR\" $MIB"
# The send example reads the whole file (client memory is not measured here).
$PY - "$W/big.eml" "$MIB" <<'PY'
import sys
line = b"y" * 74 + b"\r\n"
head = b"From: a@example.org\r\nTo: demo@example.org\r\nSubject: big\r\n\r\n"
with open(sys.argv[1], "wb") as f:
    f.write(head + line * ((int(sys.argv[2]) * 1024 * 1024 - len(head)) // len(line)))
PY
measure send sh -c "exec '$SEND' --server \"\$SERVER_ADDR\" --tls none --from a@example.org --to demo@example.org --eml '$W/big.eml'"
