#!/usr/bin/env bash
# Issue 3, benchmark 2: client throughput on 127.0.0.1.
#
#   bash benches/client-throughput.sh            # 3 repetitions
#   REPS=5 MSGS=1000 bash benches/client-throughput.sh
#
# MSGS messages (1024 octets, 10 recipients each) to Postfix's smtp-sink on
# 127.0.0.1:11025 (SINK_PORT), over one connection and over ten, from:
#   postwire       src/bin/smtp_client_bench.rs: SmtpClient per task (release),
#                  socket adapted like tokio_util::compat (one slice per write)
#   postwire-vectored  the same with vectored writes forwarded to writev
#   postwire-pool  SmtpClient per task through one Pool, max_connections 1 or 10
#   lettre         lettre 0.11 AsyncSmtpTransport (tokio1, plain SMTP), pool max_size 1 or 10
#   smtplib        py/smtplib_client.py on Debian's /usr/bin/python3, 1 or 10 processes
#   smtp-source    Postfix's smtp-source -d -s 1|10 -r 10 -m MSGS -l 1024
# Connection set-up and process start are inside every timed region (wall
# clock of the whole command). Prints msg/s for every repetition and the
# median per client. CLIENTS picks a subset, e.g.
#   MSGS=10000 CLIENTS="postwire postwire-vectored smtplib smtp-source" bash benches/client-throughput.sh
# Ports: never .ci/peers.sh's fixed ones.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPS=${REPS:-5}
CLIENTS=${CLIENTS:-postwire postwire-vectored postwire-pool lettre smtplib smtp-source}
MSGS=${MSGS:-1000}
SINK_PORT=${SINK_PORT:-11025}
PY=/usr/bin/python3
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
W=$(mktemp -d /tmp/postwire-bench-client.XXXXXX)
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    done
    rm -rf "$W"
}
trap cleanup EXIT

need=()
command -v smtp-source >/dev/null && command -v smtp-sink >/dev/null || need+=(postfix)
[ -x "$PY" ] || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >/dev/null
fi

wait_port() {
    for _ in $(seq 100); do
        (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing listens on 127.0.0.1:$1" >&2
    return 1
}

echo "building smtp_client_bench (release)" >&2
(cd "$ROOT/benches" && cargo build --release -q --features client-bench --bin smtp_client_bench)
BENCH="$CARGO_TARGET_DIR/release/smtp_client_bench"

smtp-sink -u nobody "127.0.0.1:$SINK_PORT" 256 >"$W/sink.log" 2>&1 &
PIDS+=("$!")
wait_port "$SINK_PORT"
SINK=127.0.0.1:$SINK_PORT

# run NAME COMMAND...: times one run, appends its rate to RATES[NAME].
declare -A RATES
ORDER=()
run() {
    local name=$1
    shift
    [[ " ${ORDER[*]} " == *" $name "* ]] || ORDER+=("$name")
    local t0 t1 rate
    t0=$(date +%s.%N)
    "$@" >"$W/run.log" 2>&1 || { echo "$name failed:" >&2; cat "$W/run.log" >&2; exit 1; }
    t1=$(date +%s.%N)
    if [[ "$name" == smtp-source* ]] && [ -s "$W/run.log" ]; then
        echo "$name complained:" >&2; head -n 5 "$W/run.log" >&2; exit 1
    fi
    rate=$(awk -v m="$MSGS" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", m / (b - a) }')
    RATES[$name]+="$(printf '%.0f' "$rate") "
    printf 'rep %d %-18s %7.0f msg/s\n' "$rep" "$name" "$rate"
}

echo "machine: $(nproc) cores, $(uname -sr); $MSGS messages x 10 recipients, 1024 octets, $REPS repetitions"
for rep in $(seq "$REPS"); do
    for c in 1 10; do
        for client in $CLIENTS; do
            case $client in
            postwire | postwire-pool | lettre)
                run "$client/$c" "$BENCH" "$client" --server "$SINK" --conns "$c" --messages "$MSGS" ;;
            postwire-vectored)
                run "$client/$c" "$BENCH" postwire --io vectored --server "$SINK" --conns "$c" --messages "$MSGS" ;;
            smtplib)
                run "$client/$c" "$PY" "$ROOT/benches/py/smtplib_client.py" "$SINK" --procs "$c" --messages "$MSGS" ;;
            smtp-source)
                run "$client/$c" smtp-source -d -s "$c" -r 10 -m "$MSGS" -l 1024 \
                    -f a@example.org -t rcpt@example.org "$SINK" ;;
            *) echo "unknown client $client" >&2; exit 2 ;;
            esac
        done
    done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo
echo "median msg/s over $REPS repetitions (wall clock of the whole command, process start included):"
for name in "${ORDER[@]}"; do
    printf '  %-18s %7.0f   runs: %s\n' "$name" "$(echo "${RATES[$name]}" | median)" "${RATES[$name]}"
done
if [ -n "${RATES[postwire/1]:-}" ] && [ -n "${RATES[smtplib/1]:-}" ]; then
    p1=$(echo "${RATES[postwire/1]}" | median)
    py1=$(echo "${RATES[smtplib/1]}" | median)
    awk -v a="$p1" -v b="$py1" 'BEGIN { printf "goal 1: postwire/1 = %.1fx smtplib/1 (goal >= 5x)\n", a / b }'
fi
if [ -n "${RATES[postwire/10]:-}" ] && [ -n "${RATES[smtp-source/10]:-}" ]; then
    p10=$(echo "${RATES[postwire/10]}" | median)
    s10=$(echo "${RATES[smtp-source/10]}" | median)
    awk -v a="$p10" -v b="$s10" 'BEGIN { printf "goal 2: postwire/10 = %.2fx smtp-source/10 (goal >= 1x)\n", a / b }'
fi
