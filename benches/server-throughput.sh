#!/usr/bin/env bash
# Issue 3, benchmark 1: server throughput on 127.0.0.1.
#
#   bash benches/server-throughput.sh            # 5 repetitions
#   REPS=3 MSGS=20000 bash benches/server-throughput.sh
#
# Postfix's smtp-source (-d: one connection per session, -s 10 sessions,
# -m MSGS messages of -l 1024 octets, one recipient) against, in the same run
# and interleaved repetition by repetition:
#   sink     Postfix's smtp-sink (accepts and drops everything: the yardstick)
#   memory   examples/mailserver.rs, release build, messages kept in memory
#   maildir  examples/mailserver.rs, release build, --maildir under /tmp
#   maildir_shm  the same with --maildir on /dev/shm (tmpfs, when it is),
#            to tell the server's cost from the filesystem's
# Stored messages stay until the script ends (REPS x MSGS files of 4 KiB on
# disk): this machine's / is ext4 without a journal, whose inode allocator
# skips inodes freed in the last 5 s, or 305 s while their inode-table block
# is dirty (fs/ext4/ialloc.c recently_deleted()); creating 20,000 files
# right after deleting as many ran at 1,300-2,800 msg/s instead of ~10,000,
# with 45% of the server's CPU in recently_deleted (perf). For the same
# reason, leave a few minutes between two runs of this script.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPS=${REPS:-5}
MSGS=${MSGS:-20000}
SINK_PORT=${SINK_PORT:-11025}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
W=$(mktemp -d /tmp/postwire-bench-server.XXXXXX)
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    done
    rm -rf "$W" "${SHM:-}"
}
trap cleanup EXIT

command -v smtp-source >/dev/null && command -v smtp-sink >/dev/null || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postfix >/dev/null
}

wait_port() {
    for _ in $(seq 100); do
        (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing listens on 127.0.0.1:$1" >&2
    return 1
}

echo "building the mailserver example (release)" >&2
(cd "$ROOT" && cargo build --release -q -p postwire-examples --example mailserver)
SERVER="$CARGO_TARGET_DIR/release/examples/mailserver"

# start_mailserver NAME [ARGS...]: starts it, sets PORT_<NAME> and PID_<NAME>.
start_mailserver() {
    local name=$1
    shift
    "$SERVER" --smtp 127.0.0.1:0 "$@" >"$W/$name.out" 2>"$W/$name.log" &
    local pid=$!
    PIDS+=("$pid")
    for _ in $(seq 100); do
        grep -q 'smtp listening on' "$W/$name.out" 2>/dev/null && break
        sleep 0.1
    done
    local port
    port=$(sed -n 's/^smtp listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$W/$name.out")
    [ -n "$port" ] || { echo "mailserver $name did not start" >&2; cat "$W/$name.log" >&2; exit 1; }
    printf -v "PORT_$name" '%s' "$port"
    printf -v "PID_$name" '%s' "$pid"
}

smtp-sink -u nobody "127.0.0.1:$SINK_PORT" 256 >"$W/sink.log" 2>&1 &
PIDS+=("$!")
PID_sink=$!
wait_port "$SINK_PORT"
PORT_sink=$SINK_PORT
start_mailserver memory
mkdir -p "$W/maildir"
start_mailserver maildir --maildir "$W/maildir"
TARGETS=(sink memory maildir)
declare -A MAILDIR=([maildir]="$W/maildir")
if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
    SHM=$(mktemp -d /dev/shm/postwire-bench-server.XXXXXX)
    MAILDIR[maildir_shm]=$SHM
    start_mailserver maildir_shm --maildir "$SHM"
    TARGETS+=(maildir_shm)
fi

rss() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
# cpu_ticks PID: user + system CPU time of the process and its threads, in
# clock ticks (proc(5): fields 14 and 15 of /proc/PID/stat). Wall-clock
# rates swing with whatever else runs on a shared machine; the server's CPU
# time per message barely does, so the script reports both.
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
TICK=$(getconf CLK_TCK)

echo "machine: $(nproc) cores, $(uname -sr); smtp-source -d -s 10 -m $MSGS -l 1024, $REPS repetitions"
echo "maildir on $(df -P "$W" | awk 'NR == 2 { print $1 }') ($(findmnt -n -o FSTYPE -T "$W" 2>/dev/null || stat -f -c %T "$W"))"
declare -A RATES CPU
for rep in $(seq "$REPS"); do
    for target in "${TARGETS[@]}"; do
        port_var="PORT_$target"
        port=${!port_var}
        pid_var="PID_$target"
        cpu0=$(cpu_ticks "${!pid_var}")
        t0=$(date +%s.%N)
        smtp-source -d -s 10 -m "$MSGS" -l 1024 -f a@example.org -t demo@example.org \
            "127.0.0.1:$port" >"$W/source.log" 2>&1 || { cat "$W/source.log" >&2; exit 1; }
        t1=$(date +%s.%N)
        cpu1=$(cpu_ticks "${!pid_var}")
        if [ -s "$W/source.log" ]; then
            echo "smtp-source complained against $target:" >&2
            head -n 5 "$W/source.log" >&2
            exit 1
        fi
        rate=$(awk -v m="$MSGS" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", m / (b - a) }')
        RATES[$target]+="$(printf '%.0f' "$rate") "
        us=$(awk -v d="$((cpu1 - cpu0))" -v t="$TICK" -v m="$MSGS" 'BEGIN { printf "%.1f", d / t / m * 1e6 }')
        CPU[$target]+="$us "
        extra=" server CPU $us us/msg"
        if [ -n "${MAILDIR[$target]:-}" ]; then
            stored=$(find "${MAILDIR[$target]}/demo/new" -type f | wc -l)
            [ "$stored" -eq $((rep * MSGS)) ] || { echo "maildir holds $stored messages, not $((rep * MSGS))" >&2; exit 1; }
            extra+=" (holds $stored)"
        fi
        if [ "$target" != sink ]; then
            extra+=" VmRSS $(rss "${!pid_var}" VmRSS) kB, VmHWM $(rss "${!pid_var}" VmHWM) kB"
        fi
        printf 'rep %d %-11s %6.0f msg/s%s\n' "$rep" "$target" "$rate" "$extra"
    done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo
echo "median msg/s over $REPS repetitions:"
sink_median=$(echo "${RATES[sink]}" | median)
for target in "${TARGETS[@]}"; do
    m=$(echo "${RATES[$target]}" | median)
    printf '  %-11s %6.0f  (%.2fx smtp-sink)   runs: %s\n' "$target" "$m" "$(awk -v a="$m" -v b="$sink_median" 'BEGIN { print a / b }')" "${RATES[$target]}"
done
echo "median server CPU per message (user + system), microseconds:"
for target in "${TARGETS[@]}"; do
    printf '  %-11s %6.1f   runs: %s\n' "$target" "$(echo "${CPU[$target]}" | median)" "${CPU[$target]}"
done
delivered=$(grep -c ' message .* size ' "$W/memory.log" || true)
echo "memory-mode server logged $delivered deliveries (expected $((REPS * MSGS)))"
