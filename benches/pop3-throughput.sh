#!/usr/bin/env bash
# Issue 5: POP3 client throughput and memory on 127.0.0.1, in one run.
#
#   bash benches/pop3-throughput.sh                 # everything, 3 repetitions
#   REPS=5 PARTS="retr20" bash benches/pop3-throughput.sh
#
# PARTS (default "retr20 retr1g uidl"):
#   retr20  RETR of a 20 MB message (20,000,000 octets, CRLF, 300-octet lines,
#           one in four starting with ".", one in 400 a lone "."; see
#           src/bin/pop3_bench.rs) from a private Dovecot (.ci/peers.sh's
#           peers_dovecot, moved to DOVECOT_PORT so it never meets a running
#           interop suite), through
#             plain     src/bin/pop3_bench.rs plain-retr: USER, PASS, RETR, then
#                       read(2) with a 64 KiB buffer until CRLF.CRLF (the ceiling)
#             postwire  pop3_bench postwire-retr: Pop3Client::retr, next_chunk,
#                       octets counted, not stored (release build)
#             poplib    Python's poplib on Debian's /usr/bin/python3 (POP3.retr)
#             async-pop pop3_bench async-pop-retr: async-pop 1.x Client::retr
#   retr1g  the same with a 1 GB message (10^9 octets); poplib and async-pop
#           under `timeout $SLOW_TIMEOUT`
#   uidl    UIDL of UIDL_COUNT (100,000) tiny messages from examples/mailserver
#           (--maildir, files written straight into DIR/alice/new), over STLS,
#           through postwire's Pop3Client::uidl and poplib's POP3.uidl
# Every contestant runs under `nice -n $NICE` (default -5) and GNU time, once
# per repetition, interleaved; the rate is message octets / the time from
# sending RETR (UIDL) to the end of the answer, measured inside the process
# (login outside it); client CPU is the CPU time of the client process in
# that region (/proc/self/task/*/schedstat; Python: time.process_time); peak
# RSS is GNU time's maximum resident set size of the whole process. The
# servers run at the same nice level as the contestants. Before the timed runs, one untimed run per contestant checks
# what it delivered against the stored file octet by octet and counts the
# lines that start with ".." (the file has none: a client that leaves the
# stuffing in shows them). Prints medians and the load average.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPS=${REPS:-3}
PARTS=${PARTS:-retr20 retr1g uidl}
NICE=${NICE:--5}
SLOW_TIMEOUT=${SLOW_TIMEOUT:-300}
UIDL_COUNT=${UIDL_COUNT:-100000}
DOVECOT_PORT=${DOVECOT_PORT:-11110}
DOVECOT_PORTS=${DOVECOT_PORTS:-11995}
PY=/usr/bin/python3
BENCH_TARGET=${CARGO_TARGET_DIR:-$ROOT/benches/target}
SERVER_TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
W=$(mktemp -d /tmp/postwire-bench-pop3.XXXXXX)
chmod 0755 "$W" # Dovecot's processes (nobody) reach their Maildir under it
PIDS=()

# shellcheck source=../.ci/peers.sh
source "$ROOT/.ci/peers.sh"
cleanup() {
    peers_stop
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    done
    rm -rf "$W"
}
trap cleanup EXIT

command -v dovecot >/dev/null && [ -x /usr/lib/dovecot/pop3 ] || {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends dovecot-core dovecot-pop3d >/dev/null
}
[ -x /usr/bin/time ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends time >/dev/null; }

echo "building pop3_bench and the mailserver example (release)" >&2
(cd "$ROOT/benches" && CARGO_TARGET_DIR=$BENCH_TARGET nice cargo build --release -q --ignore-rust-version \
    --features pop3-bench --bin pop3_bench)
BENCH="$BENCH_TARGET/release/pop3_bench"
if [[ " $PARTS " == *" uidl "* ]]; then
    (cd "$ROOT" && CARGO_TARGET_DIR=$SERVER_TARGET nice cargo build --release -q -p postwire-examples --example mailserver)
fi
SERVER="$SERVER_TARGET/release/examples/mailserver"

peers_cert
# peers_dovecot on private ports (its fixed ones belong to .ci/interop).
eval "$(declare -f peers_dovecot | sed -e "s/10110/$DOVECOT_PORT/g" -e "s/10995/$DOVECOT_PORTS/g")"

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
echo "machine: $(nproc) cores, $(uname -sr), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "load average at start: $(loadavg); nice $NICE; $REPS repetitions"

# The poplib contestant (Debian's python3, standard library only).
cat >"$W/poplib_client.py" <<'PY'
import poplib, resource, ssl, sys, time

mode, server, user, password = sys.argv[1:5]
host, port = server.rsplit(":", 1)
extra = dict(a.split("=", 1) for a in sys.argv[5:])
if mode == "retr":
    p = poplib.POP3(host, int(port))
    p.user(user)
    p.pass_(password)
    t0, c0 = time.perf_counter(), time.process_time()
    resp, lines, octets = p.retr(int(extra.get("msg", "1")))
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    n = sum(len(line) + 2 for line in lines)
    verdict = ""
    if "verify" in extra:
        got = b"".join(line + b"\r\n" for line in lines)
        with open(extra["verify"], "rb") as f:
            want = f.read()
        if got == want:
            v = "ok"
        else:
            at = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
            v = "mismatch@%d" % at
        verdict = " verify=%s double_dots=%d" % (v, sum(1 for line in lines if line.startswith(b"..")))
    size = int(extra.get("size", n))
    p.quit()
    print("poplib-retr bytes=%d seconds=%.3f mb_per_s=%.1f cpu_s=%.3f vmhwm_kb=%d%s"
          % (n, seconds, size / seconds / 1e6, cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, verdict))
elif mode == "uidl":
    p = poplib.POP3(host, int(port))
    p.stls(context=ssl.create_default_context(cafile=extra["ca"]))
    p.user(user)
    p.pass_(password)
    t0, c0 = time.perf_counter(), time.process_time()
    resp, listings, octets = p.uidl()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    p.quit()
    print("poplib-uidl entries=%d seconds=%.3f cpu_s=%.3f vmhwm_kb=%d"
          % (len(listings), seconds, cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
PY

# contestant NAME SIZE MSG [--verify FILE]: the command line of one run.
contestant() {
    local name=$1 size=$2 msg=$3
    shift 3
    local common=(--server "127.0.0.1:$DOVECOT_PORT" --user alice --pass alicepw --msg "$msg" --size "$size")
    case $name in
    plain) echo "$BENCH" plain-retr "${common[@]}" "$@" ;;
    postwire) echo "$BENCH" postwire-retr "${common[@]}" "$@" ;;
    async-pop) echo "$BENCH" async-pop-retr "${common[@]}" "$@" ;;
    poplib)
        local v=()
        [ $# -eq 2 ] && v=("verify=$2")
        echo "$PY" "$W/poplib_client.py" retr "127.0.0.1:$DOVECOT_PORT" alice alicepw "msg=$msg" "size=$size" "${v[@]}"
        ;;
    esac
}

declare -A RATE RSS CPU FAILED
ORDER=()
# measure KEY TIMEOUT COMMAND...: one run under nice and GNU time; appends
# the rate (or seconds) and the peak RSS to RATE[KEY] and RSS[KEY].
measure() {
    local key=$1 limit=$2
    shift 2
    [[ " ${ORDER[*]} " == *" $key "* ]] || ORDER+=("$key")
    local status=0
    nice -n "$NICE" /usr/bin/time -f '%M %e' -o "$W/time.txt" timeout "$limit" "$@" \
        >"$W/run.out" 2>"$W/run.err" || status=$?
    local rss wall
    read -r rss wall < <(tail -n 1 "$W/time.txt")
    if [ "$status" -ne 0 ]; then
        local why
        why=$(grep -v '^Command exited\|^Command terminated' "$W/run.err" | tail -n 1 | cut -c1-110)
        [ "$status" -eq 124 ] && why="timeout after ${limit}s"
        FAILED[$key]="exit $status: $why"
        RSS[$key]+="$rss "
        printf '  %-22s FAILED (exit %d, %ss, peak RSS %d kB): %s\n' "$key" "$status" "$wall" "$rss" "$why"
        return 0
    fi
    local line value
    line=$(tail -n 1 "$W/run.out")
    value=$(sed -n 's/.* mb_per_s=\([0-9.]*\).*/\1/p' <<<"$line")
    [ -n "$value" ] || value=$(sed -n 's/.* seconds=\([0-9.]*\).*/\1/p' <<<"$line")
    RATE[$key]+="$value "
    RSS[$key]+="$rss "
    CPU[$key]+="$(sed -n 's/.* cpu_s=\([0-9.]*\).*/\1/p' <<<"$line") "
    printf '  %-22s %s (process %ss, peak RSS %d kB)\n' "$key" "$line" "$wall" "$rss"
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
max() { tr ' ' '\n' | grep -v '^$' | sort -g | tail -n 1; }

# Message number of the message with this exact size, from LIST.
number_of() {
    "$PY" - "$DOVECOT_PORT" "$1" <<'PY'
import poplib, sys
p = poplib.POP3("127.0.0.1", int(sys.argv[1])); p.user("alice"); p.pass_("alicepw")
for entry in p.list()[1]:
    n, size = entry.split()
    if int(size) == int(sys.argv[2]):
        print(int(n)); break
p.quit()
PY
}

# retr_part LABEL SIZE NAME CONTESTANTS...: the untimed checks for those
# in CHECKS, then REPS interleaved timed runs.
retr_part() {
    local label=$1 size=$2 name=$3
    shift 3
    local file msg
    "$BENCH" gen-message "$size" "$W/$name" 2>/dev/null
    dovecot_deliver "$W/$name" "$name"
    # The checks compare with this copy: Dovecot renames its own (new/ -> cur/).
    file="$W/$name"
    msg=$(number_of "$size")
    [ -n "$msg" ] || { echo "Dovecot does not list a message of $size octets" >&2; exit 1; }
    echo
    echo "== $label: RETR $msg ($size octets, $(grep -c '^\.' "$file") lines starting with '.') from Dovecot $(dovecot --version | cut -d' ' -f1), load $(loadavg)"
    echo "untimed checks (--verify against the stored file):"
    local c
    for c in $CHECKS; do
        # shellcheck disable=SC2046
        measure "check/$label/$c" "$SLOW_TIMEOUT" $(contestant "$c" "$size" "$msg" --verify "$file")
    done
    for rep in $(seq "$REPS"); do
        echo "rep $rep (load $(loadavg)):"
        for c in "$@"; do
            # shellcheck disable=SC2046
            measure "$label/$c" "$SLOW_TIMEOUT" $(contestant "$c" "$size" "$msg")
        done
    done
}

if [[ " $PARTS " == *" retr"* ]]; then
    W=$W peers_dovecot
    # The server is the bottleneck for the fast clients: give it the
    # contestants' priority (its pop3 processes inherit the master's).
    renice -n "$NICE" -p "$(cat "$W/dovecot/run/master.pid")" $(pgrep -P "$(cat "$W/dovecot/run/master.pid")") >/dev/null
    echo "Dovecot POP3 on $POSTWIRE_DOVECOT_POP3 (nice $NICE)"
fi
if [[ " $PARTS " == *" retr20 "* ]]; then
    CHECKS="postwire poplib async-pop" retr_part 20MB 20000000 pop3bench-20MB plain postwire poplib async-pop
fi
if [[ " $PARTS " == *" retr1g "* ]]; then
    # No untimed checks of the peers at 1 GB: they hold the whole message
    # (poplib's check twice).
    CHECKS="postwire" retr_part 1GB 1000000000 pop3bench-1GB plain postwire poplib async-pop
fi

if [[ " $PARTS " == *" uidl "* ]]; then
    MD="$W/maildir"
    mkdir -p "$MD/alice/tmp" "$MD/alice/cur"
    "$BENCH" gen-maildir "$MD/alice/new" "$UIDL_COUNT"
    nice -n "$NICE" "$SERVER" --pop3 127.0.0.1:0 --maildir "$MD" --user alice:alicepw \
        --tls-cert "$W/tls/cert.pem" --tls-key "$W/tls/key.pem" >"$W/server.out" 2>"$W/server.log" &
    PIDS+=("$!")
    for _ in $(seq 100); do grep -q 'pop3 listening on' "$W/server.out" 2>/dev/null && break; sleep 0.1; done
    POP=$(sed -n 's/^pop3 listening on \(.*\)$/\1/p' "$W/server.out")
    [ -n "$POP" ] || { echo "mailserver did not start" >&2; cat "$W/server.log" >&2; exit 1; }
    echo
    echo "== UIDL of $UIDL_COUNT messages from examples/mailserver on $POP (STLS), load $(loadavg)"
    for rep in $(seq "$REPS"); do
        echo "rep $rep (load $(loadavg)):"
        measure uidl/postwire 600 "$BENCH" postwire-uidl --server "$POP" --user alice --pass alicepw --ca "$W/tls/ca.pem"
        measure uidl/poplib 600 "$PY" "$W/poplib_client.py" uidl "$POP" alice alicepw "ca=$W/tls/ca.pem"
    done
fi

echo
echo "load average at end: $(loadavg)"
echo "medians over $REPS repetitions (RETR: MB/s of message content, MB = 10^6 octets; UIDL: seconds;"
echo "client CPU: CPU seconds of the client process in the timed region):"
for key in "${ORDER[@]}"; do
    [[ $key == check/* ]] && continue
    printf '  %-16s %9s   client CPU %7s s   peak RSS max %8s kB   runs: %s%s\n' "$key" "$(echo "${RATE[$key]:-}" | median)" \
        "$(echo "${CPU[$key]:-}" | median)" "$(echo "${RSS[$key]:-}" | max)" "${RATE[$key]:-}" "${FAILED[$key]:+  FAILED: ${FAILED[$key]}}"
done
for label in 20MB 1GB; do
    if [ -n "${RATE[$label/postwire]:-}" ] && [ -n "${RATE[$label/plain]:-}" ]; then
        awk -v a="$(echo "${RATE[$label/postwire]}" | median)" -v b="$(echo "${RATE[$label/plain]}" | median)" -v l="$label" \
            'BEGIN { printf "goal, %s: postwire = %.0f%% of the plain read loop (goal >= 80%%)\n", l, 100 * a / b }'
    fi
done
