# shellcheck shell=bash
# POP3 checks, sourced by .ci/interop: examples/fetch (postwire-pop3
# Pop3Client on tokio) against a private Dovecot POP3 server, STLS on
# 10110 and implicit TLS on 10995 (peers_dovecot in .ci/peers.sh). Uses W,
# check and POSTWIRE_INTEROP_CA from .ci/interop.
#
# Each assertion ends in `|| return 1`: `check` runs a function as an `if`
# condition, where bash ignores `set -e`.

[ -n "${POSTWIRE_DOVECOT_POP3:-}" ] || peers_dovecot
cargo build -q --example fetch
FETCH=${CARGO_TARGET_DIR:-target}/debug/examples/fetch
POP3_OUT="$W/pop3"

# The two messages of every check, with CRLF line endings as a POP3 server
# sends them: the interop message (lines starting with dots, a lone dot,
# 8-bit text) and one with an RFC 2047 encoded subject.
mkdir -p "$POP3_OUT"
sed 's/$/\r/' tests/interop/message-with-dots.eml >"$POP3_OUT/dots.eml"
printf '%s\r\n' 'From: Carol <carol@example.org>' 'To: alice@example.org' \
    'Subject: =?UTF-8?Q?second_message_Gr=C3=BC=C3=9Fe?=' '' 'second body' \
    '.leading dot' >"$POP3_OUT/second.eml"

# Empties alice's maildrop and delivers the two messages again.
pop3_reset() {
    rm -f "$POSTWIRE_DOVECOT_MAILDIR"/new/* "$POSTWIRE_DOVECOT_MAILDIR"/cur/* || return 1
    dovecot_deliver "$POP3_OUT/dots.eml" "1700000001.M1P1.postwire" || return 1
    dovecot_deliver "$POP3_OUT/second.eml" "1700000002.M2P1.postwire" || return 1
}

# How many messages alice's Maildir holds.
pop3_stored() {
    find "$POSTWIRE_DOVECOT_MAILDIR"/new "$POSTWIRE_DOVECOT_MAILDIR"/cur -type f | wc -l
}

# fetch with alice's credentials; the other arguments follow.
pop3_fetch() {
    "$FETCH" pop3 --user alice --password alicepw "$@"
}

# Dovecot's log, and its first line matching PATTERN after line FROM
# (Dovecot's log process writes a moment after the session ended).
POP3_LOG="$W/dovecot/dovecot.log"
pop3_log_line() { # pop3_log_line FROM PATTERN
    for _ in $(seq 50); do
        if tail -n +"$1" "$POP3_LOG" | grep -q "$2"; then
            tail -n +"$1" "$POP3_LOG" | grep "$2" | head -n 1
            return 0
        fi
        sleep 0.1
    done
    echo "no line matching $2 in $POP3_LOG after line $1"
    return 1
}

# The message file in DIR whose bytes equal FILE (messages are found by
# content, not by number: Dovecot numbers new mail in directory order).
pop3_find() { # pop3_find DIR FILE
    local f
    for f in "$1"/*.eml; do
        cmp -s "$f" "$2" && { echo "$f"; return 0; }
    done
    echo "no message in $1 equals $2"
    return 1
}

# STLS (verified against our CA), USER/PASS, LIST, UIDL, RETR of both
# messages byte for byte, From and Subject decoded.
pop3_stls_user_retr() {
    local out="$POP3_OUT/stls"
    pop3_reset || return 1
    rm -rf "$out"
    pop3_fetch --server "$POSTWIRE_DOVECOT_POP3" --ca-file "$POSTWIRE_INTEROP_CA" \
        --uidl --out "$out" >"$W/out" 2>&1 || { cat "$W/out"; return 1; }
    cat "$W/out"
    grep -q '^TLS established' "$W/out" || return 1
    grep -qE "^maildrop: 2 messages, $(($(wc -c <"$POP3_OUT/dots.eml") + $(wc -c <"$POP3_OUT/second.eml"))) octets$" "$W/out" || return 1
    grep -qP "^[12]\t$(wc -c <"$POP3_OUT/dots.eml")\tAlice <alice@example.org>\tinterop: dots, long lines and 8-bit text$" "$W/out" || return 1
    grep -qP '^[12]\t[0-9]+\tCarol <carol@example.org>\tsecond message Grüße$' "$W/out" || return 1
    # UIDL: one unique-id per message, distinct.
    [ "$(grep -cP '^uidl\t[12]\t\S+$' "$W/out")" = 2 ] || return 1
    [ "$(grep -P '^uidl\t' "$W/out" | cut -f3 | sort -u | wc -l)" = 2 ] || return 1
    pop3_find "$out" "$POP3_OUT/dots.eml" || return 1
    pop3_find "$out" "$POP3_OUT/second.eml" || return 1
    # Nothing was deleted without --delete.
    [ "$(pop3_stored)" = 2 ] || return 1
}
check "fetch -> dovecot: STLS, USER/PASS, UIDL, RETR bytes exact" pop3_stls_user_retr

# SASL: PLAIN and LOGIN named explicitly, and the strongest mechanism
# Dovecot offers (PLAIN and LOGIN here: PLAIN), as Dovecot logged them.
pop3_sasl() {
    local auth want before login
    for auth in plain:PLAIN login:LOGIN sasl:PLAIN; do
        want=${auth#*:}
        before=$(($(wc -l <"$POP3_LOG") + 1))
        rm -rf "$POP3_OUT/sasl"
        pop3_fetch --server "$POSTWIRE_DOVECOT_POP3" --ca-file "$POSTWIRE_INTEROP_CA" \
            --auth "${auth%%:*}" --out "$POP3_OUT/sasl" >"$W/out" 2>&1 || { cat "$W/out"; return 1; }
        grep -q '^maildrop: 2 messages' "$W/out" || return 1
        pop3_find "$POP3_OUT/sasl" "$POP3_OUT/dots.eml" || return 1
        login=$(pop3_log_line "$before" 'Login: user=<alice>') || return 1
        echo "$login"
        grep -q "method=$want, .* TLS," <<<"$login" || return 1
    done
}
check "fetch -> dovecot: AUTH PLAIN, AUTH LOGIN, strongest SASL mechanism" pop3_sasl

# Implicit TLS on 10995 (RFC 8314).
pop3_implicit() {
    rm -rf "$POP3_OUT/implicit"
    pop3_fetch --server "$POSTWIRE_DOVECOT_POP3S" --tls implicit --ca-file "$POSTWIRE_INTEROP_CA" \
        --out "$POP3_OUT/implicit" >"$W/out" 2>&1 || { cat "$W/out"; return 1; }
    cat "$W/out"
    grep -q '^TLS established' "$W/out" || return 1
    pop3_find "$POP3_OUT/implicit" "$POP3_OUT/dots.eml" || return 1
    pop3_find "$POP3_OUT/implicit" "$POP3_OUT/second.eml"
}
check "fetch -> dovecot: implicit TLS" pop3_implicit

# TOP 0: the header and the empty line after it, nothing of the body.
pop3_top() {
    rm -rf "$POP3_OUT/top"
    pop3_fetch --server "$POSTWIRE_DOVECOT_POP3" --ca-file "$POSTWIRE_INTEROP_CA" \
        --top 0 --out "$POP3_OUT/top" >"$W/out" 2>&1 || { cat "$W/out"; return 1; }
    sed -n '1,/^\r$/p' "$POP3_OUT/dots.eml" >"$POP3_OUT/dots-header.eml"
    pop3_find "$POP3_OUT/top" "$POP3_OUT/dots-header.eml" || return 1
    grep -qP '\tinterop: dots, long lines and 8-bit text$' "$W/out"
}
check "fetch -> dovecot: TOP 0 is the header" pop3_top

# The certificate is checked: without our CA the handshake fails.
pop3_unknown_ca() {
    ! pop3_fetch --server "$POSTWIRE_DOVECOT_POP3" >"$W/out" 2>&1 || { cat "$W/out"; return 1; }
    cat "$W/out"
    grep -qi 'certificate' "$W/out"
}
check "fetch -> dovecot: unknown CA refused" pop3_unknown_ca

# Without TLS the client refuses to send the password (SECURITY.md A1),
# before any credential leaves; allowed explicitly, it works (Dovecot
# counts 127.0.0.1 as a secured connection).
pop3_plaintext() {
    local before
    before=$(($(wc -l <"$POP3_LOG") + 1))
    ! pop3_fetch --server "$POSTWIRE_DOVECOT_POP3" --tls none >"$W/out" 2>&1 || { cat "$W/out"; return 1; }
    cat "$W/out"
    grep -q 'refusing to authenticate without tls' "$W/out" || return 1
    pop3_log_line "$before" 'Disconnected: .*no auth attempts' || return 1
    pop3_fetch --server "$POSTWIRE_DOVECOT_POP3" --tls none --allow-plaintext-auth >"$W/out" 2>&1 || { cat "$W/out"; return 1; }
    ! grep -q '^TLS established' "$W/out" || return 1
    grep -q '^maildrop: 2 messages' "$W/out"
}
check "fetch -> dovecot: no plaintext password unless allowed" pop3_plaintext

# --delete: DELE every message, removed at QUIT; the maildrop is then empty.
pop3_delete() {
    pop3_reset || return 1
    pop3_fetch --server "$POSTWIRE_DOVECOT_POP3" --ca-file "$POSTWIRE_INTEROP_CA" --delete >"$W/out" 2>&1 || { cat "$W/out"; return 1; }
    cat "$W/out"
    grep -q '^deleted: 2$' "$W/out" || return 1
    pop3_fetch --server "$POSTWIRE_DOVECOT_POP3" --ca-file "$POSTWIRE_INTEROP_CA" >"$W/out" 2>&1 || { cat "$W/out"; return 1; }
    grep -q '^maildrop: 0 messages, 0 octets$' "$W/out" || return 1
    [ "$(pop3_stored)" = 0 ]
}
check "fetch -> dovecot: --delete empties the maildrop at QUIT" pop3_delete
