# The mailserver example (the postwire-smtp server facade) against real
# SMTP clients: Python's smtplib, swaks, curl and Postfix's smtp-source,
# plus the STARTTLS-injection and SMTP-smuggling probes. Sourced by
# .ci/interop, which provides check, $W, $PY, PEER_PIDS and the peers' cert.
#
# Every check function chains its steps with `|| return 1`: `check` runs it
# inside `if`, where `set -e` does not apply.

cargo build -q --example mailserver
MAILSERVER=${CARGO_TARGET_DIR:-target}/debug/examples/mailserver
MS_DIR="$W/maildir"
MS_PID=
MS_ADDR=
MS_PORT=

# Starts the server on a free port and waits for its "listening" line.
mailserver_start() {
    "$MAILSERVER" --smtp 127.0.0.1:0 --maildir "$MS_DIR" \
        --user alice:alicepw --user bob:bobpw \
        --tls-cert "$W/tls/cert.pem" --tls-key "$W/tls/key.pem" \
        >"$W/mailserver.out" 2>"$W/mailserver.log" &
    MS_PID=$!
    PEER_PIDS+=("$MS_PID:mailserver")
    for _ in $(seq 100); do
        MS_ADDR=$(sed -n 's/^smtp listening on //p' "$W/mailserver.out")
        [ -n "$MS_ADDR" ] && break
        kill -0 "$MS_PID" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$MS_ADDR" ] || { cat "$W/mailserver.out" "$W/mailserver.log"; return 1; }
    MS_PORT=${MS_ADDR##*:}
    [ "$MS_PORT" != 0 ] || { echo "port 0 printed"; return 1; }
    for d in tmp new cur; do
        [ -d "$MS_DIR/alice/$d" ] && [ -d "$MS_DIR/bob/$d" ] || { echo "no Maildir $d"; return 1; }
    done
    echo "listening on $MS_ADDR"
}
check "mailserver: starts on --smtp 127.0.0.1:0, prints the real port, creates Maildirs" mailserver_start

ms_count() { find "$MS_DIR/$1/new" -type f | wc -l; }

# The one file in USER's new/ that is not listed in $W/before.
ms_new() { # ms_new USER
    local new
    new=$(ls "$MS_DIR/$1/new" | sort | comm -13 "$W/before" -)
    [ "$(printf '%s' "$new" | grep -c .)" = 1 ] || { echo "expected one new message for $1: $new"; return 1; }
    echo "$MS_DIR/$1/new/$new"
}

# Compares a stored message with the sent bytes: exactly two trace lines
# (Return-Path, Received) prepended, then the bytes.
ms_same() { # ms_same STORED SENT
    local first second
    first=$(head -n 1 "$1")
    second=$(sed -n 2p "$1")
    case "$first" in "Return-Path: <"*">"$'\r') ;; *) echo "bad Return-Path: $first"; return 1 ;; esac
    case "$second" in "Received: from "*" by localhost with ESMTP"*" id "*"; "*" +0000"$'\r') ;;
        *) echo "bad Received: $second"; return 1 ;; esac
    tail -n +3 "$1" | cmp - "$2" || return 1
}

# A CRLF test message with a line that needs dot-stuffing.
printf 'From: alice@example.org\r\nTo: bob@example.org\r\nSubject: interop\r\n\r\nhello\r\n.dot line\r\n..two dots\r\nbye\r\n' >"$W/ms-small.eml"

# smtplib: STARTTLS verified against the CA, AUTH PLAIN, three recipients
# of which one is refused 550 5.1.1, the two others stored byte-exact;
# AUTH LOGIN after a failed AUTH (535) in the same session; a 20 MB message.
mailserver_smtplib() {
    MS_DIR="$MS_DIR" MSG="$W/ms-small.eml" CA="$POSTWIRE_INTEROP_CA" PORT="$MS_PORT" $PY - <<'PY' || return 1
import os, smtplib, ssl, sys
d, port = os.environ["MS_DIR"], int(os.environ["PORT"])
ctx = ssl.create_default_context(cafile=os.environ["CA"])

def listing(user):
    return set(os.listdir(os.path.join(d, user, "new")))

def stored(user, before):
    new = listing(user) - before
    assert len(new) == 1, (user, new)
    with open(os.path.join(d, user, "new", new.pop()), "rb") as f:
        data = f.read()
    first, second, rest = data.split(b"\r\n", 2)
    assert first.startswith(b"Return-Path: <"), first
    assert second.startswith(b"Received: from "), second
    return second, rest

msg = open(os.environ["MSG"], "rb").read()

# AUTH PLAIN, one refused recipient.
before = {u: listing(u) for u in ("alice", "bob")}
s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.test")
s.ehlo()
assert "auth" not in s.esmtp_features, "AUTH offered before STARTTLS"
s.starttls(context=ctx)
s.ehlo()
assert s.has_extn("auth"), s.esmtp_features
s.user, s.password = "alice", "alicepw"
code, _ = s.auth("PLAIN", s.auth_plain)
assert code == 235, code
refused = s.sendmail("alice@example.org", ["alice@example.org", "nobody@example.org", "Bob@other.test"], msg)
assert list(refused) == ["nobody@example.org"], refused
assert refused["nobody@example.org"][0] == 550 and refused["nobody@example.org"][1].startswith(b"5.1.1"), refused
s.quit()
for user in ("alice", "bob"):
    received, rest = stored(user, before[user])
    assert rest == msg, (user, rest[:200])
    assert b" with ESMTPSA id " in received, received
print("PLAIN + refused recipient: ok")

# A failed AUTH gets 535 and the session stays usable; then AUTH LOGIN.
s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.test")
s.starttls(context=ctx)
s.ehlo()
s.user, s.password = "bob", "wrong"
try:
    s.auth("LOGIN", s.auth_login, initial_response_ok=False)
    sys.exit("wrong password accepted")
except smtplib.SMTPAuthenticationError as e:
    assert e.smtp_code == 535, e
s.user, s.password = "bob", "bobpw"
code, _ = s.auth("LOGIN", s.auth_login, initial_response_ok=False)
assert code == 235, code
print("535 then LOGIN: ok")

# 20 MB, CRLF lines, some starting with a dot.
line = b"0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789\r\n"
big = b"Subject: big\r\n\r\n" + b"".join((b"." if i % 1000 == 0 else b"") + line for i in range(20 * 1024 * 1024 // len(line)))
before = listing("alice")
s.sendmail("bob@example.org", ["alice@example.org"], big)
s.quit()
_, rest = stored("alice", before)
assert rest == big, "20 MB message differs"
print("20 MB: ok", len(big))
PY
}
check "mailserver <- smtplib: STARTTLS, AUTH PLAIN/LOGIN, 535 then success, 550 5.1.1, 20 MB exact" mailserver_smtplib

# swaks: STARTTLS and AUTH PLAIN, then LOGIN; the data stored exactly.
# swaks ends the data with CRLF.CRLF after what it was given, so it gets
# the message without its last CRLF.
mailserver_swaks() {
    local mech new
    head -c -2 "$W/ms-small.eml" >"$W/ms-swaks.eml"
    for mech in PLAIN LOGIN; do
        ls "$MS_DIR/bob/new" | sort >"$W/before"
        swaks --server "127.0.0.1:$MS_PORT" --tls --auth "$mech" --auth-user alice \
            --auth-password alicepw --from alice@example.org --to bob@example.org \
            --helo client.test --data "@$W/ms-swaks.eml" >"$W/swaks-$mech.log" 2>&1 ||
            { tail -n 30 "$W/swaks-$mech.log"; return 1; }
        grep -q '^<~  235 ' "$W/swaks-$mech.log" || { echo "no 235 for $mech"; return 1; }
        new=$(ms_new bob) || return 1
        ms_same "$new" "$W/ms-small.eml" || return 1
        grep -q 'with ESMTPSA' "$new" || return 1
    done
}
check "mailserver <- swaks: --tls, --auth PLAIN and LOGIN, stored exactly" mailserver_swaks

# curl: smtp:// with --ssl-reqd (STARTTLS, CA verified), two recipients,
# the upload stored exactly in both Maildirs.
mailserver_curl() {
    local a b
    ls "$MS_DIR/alice/new" | sort >"$W/before-alice"
    ls "$MS_DIR/bob/new" | sort >"$W/before"
    curl -sS --ssl-reqd --cacert "$POSTWIRE_INTEROP_CA" "smtp://127.0.0.1:$MS_PORT/client.test" \
        --user bob:bobpw --mail-from bob@example.org \
        --mail-rcpt alice@example.org --mail-rcpt bob@example.org \
        -T "$W/ms-small.eml" || return 1
    b=$(ms_new bob) || return 1
    cp "$W/before-alice" "$W/before"
    a=$(ms_new alice) || return 1
    ms_same "$a" "$W/ms-small.eml" || return 1
    ms_same "$b" "$W/ms-small.eml" || return 1
}
check "mailserver <- curl: --ssl-reqd, two --mail-rcpt, -T file stored exactly" mailserver_curl

# smtp-source: 10 parallel sessions reusing their connections (-d), 20000
# messages in all; every one stored.
mailserver_smtp_source() {
    local before after
    before=$(ms_count alice)
    timeout 600 smtp-source -s 10 -m 20000 -d -l 1024 -M client.test \
        -f source@example.org -t alice@example.org "127.0.0.1:$MS_PORT" || return 1
    after=$(ms_count alice)
    echo "stored $((after - before)) of 20000"
    [ $((after - before)) = 20000 ] || return 1
}
check "mailserver <- smtp-source: 10 sessions x 2000 messages, all 20000 stored" mailserver_smtp_source

# STARTTLS command injection (CVE-2011-0411): RSET sent with STARTTLS in
# one segment is never answered inside TLS.
mailserver_starttls_injection() {
    PORT="$MS_PORT" $PY - <<'PY' >"$W/inject.log" 2>&1
import os, socket, ssl, sys, time
s = socket.create_connection(("127.0.0.1", int(os.environ["PORT"])), timeout=5)
def rd(sock, n=4096):
    try:
        return sock.recv(n)
    except Exception as e:
        return repr(e).encode()
rd(s)
s.sendall(b"EHLO probe\r\n"); time.sleep(0.2); rd(s)
s.sendall(b"STARTTLS\r\nRSET\r\n")  # one segment
time.sleep(0.3)
plain = rd(s)
print("plaintext reply:", plain)
if not plain.startswith(b"220 "):
    sys.exit("no 220 to STARTTLS")
if b"250" in plain:
    sys.exit("injected RSET answered in plaintext")
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
try:
    t = ctx.wrap_socket(s, server_hostname="localhost")
except Exception as e:
    print("handshake refused:", repr(e), "(OK)")
    sys.exit(0)
t.settimeout(1.5)
after = rd(t)
print("inside TLS, unsolicited:", after)
if after and b"timed out" not in after and not after.startswith(b"TimeoutError"):
    sys.exit("VULNERABLE: injected command answered inside TLS")
# The session still works inside TLS.
t.sendall(b"EHLO probe\r\n")
time.sleep(0.3)
ehlo = rd(t)
print("EHLO inside TLS:", ehlo[:60])
if not ehlo.startswith(b"250-"):
    sys.exit("no EHLO reply inside TLS")
print("OK")
PY
    local status=$?
    cat "$W/inject.log"
    return $status
}
check "mailserver: STARTTLS injection probe, injected RSET never answered" mailserver_starttls_injection

# SMTP smuggling: for every non-RFC end-of-data sequence, at most one
# message results, and no stored message begins with the smuggled one.
mailserver_smuggling() {
    MS_DIR="$MS_DIR" PORT="$MS_PORT" $PY - <<'PY' >"$W/smuggle.log" 2>&1
import os, socket, sys
port = int(os.environ["PORT"])
new_dir = os.path.join(os.environ["MS_DIR"], "alice", "new")
before = set(os.listdir(new_dir))
SEQS = [b"\n.\n", b"\n.\r", b"\r.\n", b"\r.\r", b"\n.\r\n", b"\r.\r\n", b"\r\n\x00.\r\n",
        b"\r\n.\r\r\n", b"\r\r\n.\r\r\n"]
def talk(seq):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    f = s.makefile("rb")
    def reply():
        lines = []
        while True:
            l = f.readline()
            if not l:
                return lines or [b"<EOF>"]
            lines.append(l.rstrip(b"\r\n"))
            if len(l) < 4 or l[3:4] != b"-":
                return lines
    reply()
    for c in (b"EHLO probe.example\r\n", b"MAIL FROM:<a@example.org>\r\n",
              b"RCPT TO:<alice@example.org>\r\n", b"DATA\r\n"):
        s.sendall(c)
        r = reply()
    assert r[-1].startswith(b"354"), r
    body = (b"Subject: first\r\n\r\nfirst message" + seq +
            b"MAIL FROM:<smuggled@example.org>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n"
            b"Subject: smuggled\r\n\r\nsmuggled\r\n.\r\n")
    s.sendall(body)
    out = []
    s.settimeout(1)
    try:
        for _ in range(5):
            r = reply()
            out.append(r[-1])
            if r[-1] == b"<EOF>" or r[-1][:1] in (b"4", b"5"):
                break
    except socket.timeout:
        pass
    try:
        s.sendall(b"QUIT\r\n")
    except Exception:
        pass
    s.close()
    return sum(1 for x in out if x.startswith(b"250")), out
bad = 0
for seq in SEQS:
    n250, out = talk(seq)
    print(f"{seq!r:22} 250s={n250} {[o.decode('latin1')[:60] for o in out]}")
    if n250 >= 2:
        bad += 1
new = set(os.listdir(new_dir)) - before
print(f"stored {len(new)} message(s) for {len(SEQS)} probes")
for name in new:
    with open(os.path.join(new_dir, name), "rb") as f:
        content = f.read().split(b"\r\n", 2)[2]
    if content.startswith(b"Subject: smuggled") or b"MAIL FROM:<smuggled" not in content:
        print("a stored message is the smuggled one, or lost the smuggled text:", content[:80])
        bad += 1
sys.exit(1 if bad or len(new) > len(SEQS) else 0)
PY
    local status=$?
    cat "$W/smuggle.log"
    return $status
}
check "mailserver: SMTP smuggling probe, never two messages" mailserver_smuggling

# One log line per connection and per message on stderr.
mailserver_logs() {
    grep -qE '^conn [0-9]+ from 127\.0\.0\.1:[0-9]+: closed, [0-9]+ message' "$W/mailserver.log" || return 1
    grep -qE '^conn [0-9]+ message [0-9A-FQ]+ from <alice@example.org> to alice,bob size [0-9]+$' "$W/mailserver.log" || return 1
    tail -n 5 "$W/mailserver.log"
}
check "mailserver: logs one line per connection and per message" mailserver_logs

mailserver_stop() {
    [ -n "$MS_PID" ] || return 0
    kill "$MS_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$MS_PID" 2>/dev/null || return 0; sleep 0.1; done
    echo "mailserver did not stop"
    return 1
}
check "mailserver: stops by pid" mailserver_stop
