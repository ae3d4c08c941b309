# shellcheck shell=bash
# Client facade checks, sourced by .ci/interop: examples/send (postwire-smtp
# SmtpClient on tokio) against Postfix and aiosmtpd. Uses W, MSG, check and
# the POSTWIRE_* peers from .ci/interop and .ci/peers.sh.

cargo build -q --example send
SEND_FACADE=${CARGO_TARGET_DIR:-target}/debug/examples/send

# Each assertion ends in `|| return 1`: `check` runs a function as an `if`
# condition, where bash ignores `set -e`.

# Postfix's "disconnect from" summary line for our latest session, which
# counts each command it received (ehlo=2 starttls=1 ... bdat=1 ...).
postfix_last_disconnect() {
    local from=$1
    for _ in $(seq 50); do
        if tail -n +"$from" "$POSTWIRE_POSTFIX_LOG" | grep -q 'disconnect from'; then
            tail -n +"$from" "$POSTWIRE_POSTFIX_LOG" | grep 'disconnect from' | tail -n 1
            return 0
        fi
        sleep 0.1
    done
    echo "no disconnect line in $POSTWIRE_POSTFIX_LOG"
    return 1
}

# send -> Postfix: STARTTLS verified against our CA, PIPELINING, CHUNKING
# (BDAT, seen in Postfix's own command counts), three recipients of which
# Postfix refuses one (relay access denied); exit status 1 = some refused.
send_postfix_three_recipients() {
    local before status summary
    before=$(($(wc -l <"$POSTWIRE_POSTFIX_LOG") + 1))
    set +e
    "$SEND_FACADE" --server "$POSTWIRE_POSTFIX" --ca-file "$POSTWIRE_INTEROP_CA" \
        --from alice@example.org --to bob@example.org --to nobody@elsewhere.test \
        --to carol@example.org --eml "$MSG" >"$W/out" 2>&1
    status=$?
    set -e
    cat "$W/out"
    [ "$status" = 1 ] || { echo "exit status $status, want 1 (some refused)"; return 1; }
    grep -q '^TLS established' "$W/out" || return 1
    grep -q '^bob@example.org: accepted$' "$W/out" || return 1
    grep -q '^carol@example.org: accepted$' "$W/out" || return 1
    # Postfix answers reject_unauth_destination with 554 5.7.1 (454 with
    # soft_bounce or defer_unauth_destination).
    grep -qE '^nobody@elsewhere.test: refused [45]54 ' "$W/out" || return 1
    grep -qE '^final reply: 250 .*queued as' "$W/out" || return 1
    summary=$(postfix_last_disconnect "$before") || return 1
    echo "$summary"
    grep -q 'starttls=1' <<<"$summary" || return 1
    grep -q 'rcpt=2/3' <<<"$summary" || return 1
    grep -qE 'bdat=[1-9]' <<<"$summary" || return 1
    grep -q 'quit=1' <<<"$summary" || return 1
    ! grep -q 'data=' <<<"$summary" || return 1
    ! tail -n +"$before" "$POSTWIRE_POSTFIX_LOG" | grep -q 'improper command pipelining' || return 1
}
check "send -> postfix: STARTTLS, PIPELINING, BDAT, one of three recipients refused" send_postfix_three_recipients

# Every recipient accepted: exit status 0.
send_postfix_all_accepted() {
    "$SEND_FACADE" --server "$POSTWIRE_POSTFIX" --ca-file "$POSTWIRE_INTEROP_CA" \
        --from alice@example.org --to bob@example.org --eml "$MSG"
}
check "send -> postfix: all accepted, exit 0" send_postfix_all_accepted

# The certificate must be checked: without our CA the handshake fails, and
# required STARTTLS never falls back to plaintext.
send_postfix_unknown_ca() {
    set +e
    "$SEND_FACADE" --server "$POSTWIRE_POSTFIX" --from alice@example.org \
        --to bob@example.org --eml "$MSG" >"$W/out" 2>&1
    local status=$?
    set -e
    cat "$W/out"
    [ "$status" = 2 ] || { echo "exit status $status, want 2"; return 1; }
    grep -qi 'tls' "$W/out" || return 1
}
check "send -> postfix: unknown CA refused" send_postfix_unknown_ca

# send -> aiosmtpd (no CHUNKING: falls back to DATA with dot-stuffing;
# SMTPUTF8 for a UTF-8 local part): the stored bytes are exactly the
# message with CRLF line endings.
send_aiosmtpd_bytes_exact() {
    local stored
    "$SEND_FACADE" --server "$POSTWIRE_AIOSMTPD" --tls none --from alice@example.org \
        --to bob@example.org --to 'grüße@example.org' --eml "$MSG" || return 1
    stored=$(ls "$POSTWIRE_AIOSMTPD_DIR"/*.eml | sort -V | tail -n 1) || return 1
    sed 's/$/\r/' "$MSG" >"$W/expected"
    cmp "$W/expected" "$stored" || return 1
    # The JSON escapes non-ASCII, so read it as JSON.
    "${PY:-python3}" - "${stored%.eml}.json" <<'PYCHECK' || return 1
import json, sys
stored = json.load(open(sys.argv[1], encoding="utf-8"))
assert "grüße@example.org" in stored["rcpt_tos"], stored
assert "SMTPUTF8" in stored["mail_options"], stored
PYCHECK
}
check "send -> aiosmtpd: DATA fallback, SMTPUTF8, bytes exact" send_aiosmtpd_bytes_exact

# The message from standard input when --eml is absent.
send_aiosmtpd_stdin() {
    local stored
    "$SEND_FACADE" --server "$POSTWIRE_AIOSMTPD" --tls none --from alice@example.org \
        --to bob@example.org <"$MSG" || return 1
    stored=$(ls "$POSTWIRE_AIOSMTPD_DIR"/*.eml | sort -V | tail -n 1) || return 1
    sed 's/$/\r/' "$MSG" >"$W/expected"
    cmp "$W/expected" "$stored" || return 1
}
check "send -> aiosmtpd: message from stdin" send_aiosmtpd_stdin
