# The mailserver example's POP3 side (the postwire-pop3 server facade)
# against real POP3 clients: Python's poplib and curl. Mail goes in over
# SMTP (smtplib) and must come back byte-exact. Sourced by .ci/interop,
# which provides check, $W, $PY, PEER_PIDS and the peers' cert.
#
# Every check function chains its steps with `|| return 1`: `check` runs it
# inside `if`, where `set -e` does not apply.

cargo build -q --example mailserver
P3_SERVER=${CARGO_TARGET_DIR:-target}/debug/examples/mailserver
P3_DIR="$W/pop3-maildir"
P3_PID=
P3_SMTP=
P3_POP3=

# Starts SMTP and POP3 on free ports over one Maildir store.
p3_start() {
    "$P3_SERVER" --smtp 127.0.0.1:0 --pop3 127.0.0.1:0 --maildir "$P3_DIR" \
        --user alice:alicepw --user bob:bobpw \
        --tls-cert "$W/tls/cert.pem" --tls-key "$W/tls/key.pem" \
        >"$W/pop3-server.out" 2>>"$W/pop3-server.log" &
    P3_PID=$!
    PEER_PIDS+=("$P3_PID:mailserver-pop3")
    P3_SMTP= P3_POP3=
    for _ in $(seq 100); do
        P3_SMTP=$(sed -n 's/^smtp listening on 127.0.0.1://p' "$W/pop3-server.out")
        P3_POP3=$(sed -n 's/^pop3 listening on 127.0.0.1://p' "$W/pop3-server.out")
        [ -n "$P3_SMTP" ] && [ -n "$P3_POP3" ] && break
        kill -0 "$P3_PID" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$P3_POP3" ] || { cat "$W/pop3-server.out" "$W/pop3-server.log"; return 1; }
    echo "smtp on $P3_SMTP, pop3 on $P3_POP3"
}

p3_stop() {
    kill "$P3_PID" 2>/dev/null || true
    wait "$P3_PID" 2>/dev/null || true
}

# A CRLF message whose body has lines that need dot-stuffing both ways.
printf 'From: alice@example.org\r\nTo: bob@example.org\r\nSubject: pop3 interop\r\n\r\nhello\r\n.dot line\r\n..two dots\r\n.\r\nbye\r\n' >"$W/p3.eml"

# smtplib delivers (STARTTLS, AUTH), then poplib fetches: STLS verified
# against the CA, USER/PASS, STAT/LIST/UIDL/TOP, RETR equal to the stored
# file, which is the sent bytes after two trace lines; DELE + QUIT removes
# the file.
p3_poplib() {
    p3_start || return 1
    P3_DIR="$P3_DIR" MSG="$W/p3.eml" CA="$POSTWIRE_INTEROP_CA" SMTP="$P3_SMTP" POP3="$P3_POP3" \
        $PY - <<'PY' || return 1
import os, poplib, smtplib, ssl
ctx = ssl.create_default_context(cafile=os.environ["CA"])
sent = open(os.environ["MSG"], "rb").read()
with smtplib.SMTP("localhost", int(os.environ["SMTP"])) as s:
    s.starttls(context=ctx); s.login("alice", "alicepw")
    s.sendmail("alice@example.org", ["bob@example.org"], sent)
new = os.path.join(os.environ["P3_DIR"], "bob", "new")
[name] = os.listdir(new)
stored = open(os.path.join(new, name), "rb").read()
assert stored.endswith(sent) and stored.count(b"\r\n", 0, len(stored) - len(sent)) == 2, stored[:200]

p = poplib.POP3("localhost", int(os.environ["POP3"]))
caps = p.capa()
assert "STLS" in caps and "USER" not in caps, caps   # no USER before TLS (RFC 2595 §4)
p.stls(context=ctx)
caps = p.capa()
assert "USER" in caps and "SCRAM-SHA-256" in " ".join(caps.get("SASL", [])), caps
p.user("bob"); p.pass_("bobpw")
count, size = p.stat()
assert (count, size) == (1, len(stored)), (count, size, len(stored))
assert p.list()[1] == [b"1 %d" % len(stored)], p.list()
uidl = p.uidl()[1]
assert uidl == [b"1 " + name.split(":")[0].encode()], (uidl, name)
top = p.top(1, 0)[1]
assert b"\r\n".join(top) + b"\r\n" == stored[: stored.index(b"\r\n\r\n") + 4], top
resp, lines, octets = p.retr(1)
assert b"\r\n".join(lines) + b"\r\n" == stored, lines
p.dele(1)
p.quit()
assert os.listdir(new) == [] and os.listdir(os.path.join(os.environ["P3_DIR"], "bob", "cur")) == []
print("poplib: stored", len(stored), "octets, RETR byte-exact, DELE+QUIT removed it")
PY
}
check "mailserver pop3 <- poplib: STLS, USER/PASS, STAT/LIST/UIDL/TOP, RETR byte-exact, DELE+QUIT" p3_poplib

# A dropped connection deletes nothing (RFC 1939 §6), and unique-ids stay
# the same across a restart on the same Maildir.
p3_update_only_at_quit() {
    P3_DIR="$P3_DIR" MSG="$W/p3.eml" CA="$POSTWIRE_INTEROP_CA" SMTP="$P3_SMTP" POP3="$P3_POP3" \
        $PY - <<'PY' || return 1
import os, poplib, smtplib, ssl
ctx = ssl.create_default_context(cafile=os.environ["CA"])
with smtplib.SMTP("localhost", int(os.environ["SMTP"])) as s:
    s.starttls(context=ctx)
    for _ in range(2):
        s.sendmail("alice@example.org", ["bob@example.org"], open(os.environ["MSG"], "rb").read())
p = poplib.POP3("localhost", int(os.environ["POP3"]))
p.stls(context=ctx); p.user("bob"); p.pass_("bobpw")
assert p.stat()[0] == 2
p.dele(1); p.dele(2)
p.sock.close()                      # no QUIT: nothing may be deleted
assert len(os.listdir(os.path.join(os.environ["P3_DIR"], "bob", "new"))) == 2
p = poplib.POP3("localhost", int(os.environ["POP3"]))
p.stls(context=ctx); p.user("bob"); p.pass_("bobpw")
assert p.stat()[0] == 2
open(os.path.join(os.environ["P3_DIR"], "uidl-before"), "wb").write(b"\n".join(p.uidl()[1]))
p.quit()
print("dropped connection deleted nothing")
PY
    p3_stop
    p3_start || return 1
    curl -sS --max-time 10 --ssl-reqd --cacert "$POSTWIRE_INTEROP_CA" \
        "pop3://localhost:$P3_POP3/" -u bob:bobpw -X UIDL | tr -d '\r' >"$W/uidl-after" || return 1
    diff <(cat "$P3_DIR/uidl-before"; echo) "$W/uidl-after" || return 1
}
check "mailserver pop3: a dropped connection deletes nothing; UIDL stable across a restart" p3_update_only_at_quit

# curl: STLS, SASL PLAIN (--login-options), LIST, RETR of message 1 equal to
# the stored file; a wrong password is refused.
p3_curl() {
    curl -sS --max-time 10 --ssl-reqd --cacert "$POSTWIRE_INTEROP_CA" --login-options 'AUTH=PLAIN' \
        "pop3://localhost:$P3_POP3/1" -u bob:bobpw -o "$W/curl-retr.eml" || return 1
    local first
    first=$(ls "$P3_DIR/bob/new" | sort | head -n 1)
    cmp "$W/curl-retr.eml" "$P3_DIR/bob/new/$first" || return 1
    curl -sS --max-time 10 --ssl-reqd --cacert "$POSTWIRE_INTEROP_CA" \
        "pop3://localhost:$P3_POP3/" -u bob:bobpw | tr -d '\r' | grep -qx "2 [0-9]*" || return 1
    ! curl -sS --max-time 10 --ssl-reqd --cacert "$POSTWIRE_INTEROP_CA" \
        "pop3://localhost:$P3_POP3/" -u bob:wrong 2>"$W/curl-err" || return 1
    grep -q "Access denied\|Login denied\|Authentication" "$W/curl-err" || { cat "$W/curl-err"; return 1; }
    grep -q "login bob failed" "$W/pop3-server.log" || return 1
    p3_stop
}
check "mailserver pop3 <- curl: STLS, AUTH PLAIN, LIST, RETR byte-exact, bad password refused" p3_curl
