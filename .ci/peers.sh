# Real mail peers on 127.0.0.1 for the interop suite, in private instances:
# nothing through systemd, every process stopped by its pid. Sourced by
# .ci/interop. Needs root (apt-get, postfix). Adapted from the recipes in
# the project's shared/peers notes.
#
# Ports: Postfix smtpd 10587 (STARTTLS), smtp-sink 10025, aiosmtpd 10026,
# Dovecot POP3 10110 (STLS) and 10995 (implicit TLS).

PEER_PIDS=()
PY=/usr/bin/python3   # Debian's python: python3-aiosmtpd is installed for it

peers_install() {
    local need=()
    for p in postfix swaks libnet-ssleay-perl python3-aiosmtpd curl openssl \
        dovecot-core dovecot-imapd dovecot-pop3d; do
        dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
    done
    if [ ${#need[@]} -gt 0 ]; then
        echo "installing: ${need[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" \
            >"$W/apt.log" 2>&1 || { tail -n 30 "$W/apt.log"; return 1; }
    fi
}

wait_port() {
    for _ in $(seq 100); do
        (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing listens on 127.0.0.1:$1"
    return 1
}

# A throwaway CA and a certificate for localhost and 127.0.0.1 signed by it
# (rustls refuses a CA certificate used as the server's own, so no self-signed
# leaf). POSTWIRE_INTEROP_CA is the trust anchor for our clients.
peers_cert() {
    local T="$W/tls"
    mkdir -p "$T"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=postwire interop CA" \
        -keyout "$T/ca-key.pem" -out "$T/ca.pem" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj /CN=localhost \
        -keyout "$T/key.pem" -out "$T/server.csr" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$T/ext.cnf"
    openssl x509 -req -in "$T/server.csr" -CA "$T/ca.pem" -CAkey "$T/ca-key.pem" \
        -CAcreateserial -days 2 -extfile "$T/ext.cnf" -out "$T/cert.pem" 2>/dev/null
    chmod 0644 "$T"/*.pem
    export POSTWIRE_INTEROP_CA="$T/ca.pem"
}

# Postfix smtpd on 127.0.0.1:10587: STARTTLS, PIPELINING, CHUNKING. Mail for
# example.org is accepted (and discarded); any other domain is refused with
# "554 5.7.1 Relay access denied", since 127.0.0.1 is not a trusted network.
peers_postfix() {
    local P="$W/postfix"
    mkdir -p "$P"/{conf,queue,data}
    cp /etc/postfix/master.cf /etc/postfix/dynamicmaps.cf "$P/conf/"
    cp -r /etc/postfix/dynamicmaps.cf.d /etc/postfix/postfix-files /etc/postfix/postfix-files.d "$P/conf/" 2>/dev/null || true
    cat >"$P/conf/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $P/queue
data_directory = $P/data
myhostname = mx.postwire.test
mydomain = postwire.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.2/32
relay_domains = example.org
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
default_transport = discard:postwire interop
relay_transport = discard:postwire interop
local_transport = discard:postwire interop
maillog_file_prefixes = $P
maillog_file = $P/maillog
smtpd_tls_cert_file = $W/tls/cert.pem
smtpd_tls_key_file = $W/tls/key.pem
smtpd_tls_security_level = may
smtpd_forbid_bare_newline = reject
CF
    sed -i -E 's/^smtp( +)inet( +)n( +)-( +)y/127.0.0.1:10587 inet n - n/' "$P/conf/master.cf"
    grep -q '^postlog' "$P/conf/master.cf" ||
        echo 'postlog   unix-dgram n  -       n       -       1       postlogd' >>"$P/conf/master.cf"
    postfix -c "$P/conf" set-permissions >/dev/null 2>&1 || true
    # postfix(1) prints fatal errors only to a terminal; script(1) gives it one.
    script -qc "postfix -c $P/conf start" /dev/null >"$W/postfix-start.log" 2>&1 || { cat "$W/postfix-start.log"; return 1; }
    wait_port 10587 || { cat "$W/postfix-start.log" "$P/maillog" 2>/dev/null; return 1; }
    PEER_PIDS+=("$(tr -d ' ' <"$P/queue/pid/master.pid"):postfix")
    export POSTWIRE_POSTFIX=127.0.0.1:10587 POSTWIRE_POSTFIX_LOG="$P/maillog"
}

# aiosmtpd with SMTPUTF8 on 127.0.0.1:10026 (no CHUNKING); every message is
# stored byte for byte by .ci/aiosmtpd_store.py into $W/aiosmtpd/.
peers_aiosmtpd() {
    mkdir -p "$W/aiosmtpd"
    PYTHONPATH="$(dirname "${BASH_SOURCE[0]}")" $PY -m aiosmtpd -n -u -l 127.0.0.1:10026 \
        -c aiosmtpd_store.Store "$W/aiosmtpd" >"$W/aiosmtpd.log" 2>&1 &
    PEER_PIDS+=("$!:aiosmtpd")
    wait_port 10026 || { cat "$W/aiosmtpd.log"; return 1; }
    export POSTWIRE_AIOSMTPD=127.0.0.1:10026 POSTWIRE_AIOSMTPD_DIR="$W/aiosmtpd"
}

# Postfix's smtp-sink on 127.0.0.1:10025: accepts and drops everything, fast.
peers_smtp_sink() {
    smtp-sink -u nobody 127.0.0.1:10025 256 >"$W/smtp-sink.log" 2>&1 &
    PEER_PIDS+=("$!:smtp-sink")
    wait_port 10025
    export POSTWIRE_SMTP_SINK=127.0.0.1:10025
}

# Dovecot POP3 on 127.0.0.1:10110 (STLS) and 10995 (implicit TLS), one user
# alice:alicepw (test-only) whose Maildir is $POSTWIRE_DOVECOT_MAILDIR:
# checks drop messages into its new/ folder. Plaintext auth is refused
# without TLS, but Dovecot counts 127.0.0.1 -> 127.0.0.1 as secured (a test
# of the refusal must connect from 127.0.0.2).
peers_dovecot() {
    local R="$W/dovecot"
    mkdir -p "$R"/{run,state,home/alice/Maildir/{new,cur,tmp}}
    echo 'alice:{PLAIN}alicepw::::::' >"$R/users"
    chown -R nobody:nogroup "$R/home"
    cat >"$R/dovecot.conf" <<CONF
base_dir = $R/run
state_dir = $R/state
log_path = $R/dovecot.log
protocols = pop3
listen = 127.0.0.1
ssl = yes
ssl_cert = <$W/tls/cert.pem
ssl_key = <$W/tls/key.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=PLAIN $R/users
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$R/home/%u
}
mail_location = maildir:~/Maildir
pop3_uidl_format = %g
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = 10110
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = 10995
    ssl = yes
  }
}
CONF
    dovecot -c "$R/dovecot.conf" || { tail "$R/dovecot.log"; return 1; }
    wait_port 10110 || { tail "$R/dovecot.log"; return 1; }
    for _ in $(seq 50); do [ -s "$R/run/master.pid" ] && break; sleep 0.1; done
    PEER_PIDS+=("$(cat "$R/run/master.pid"):dovecot")
    export POSTWIRE_DOVECOT_POP3=127.0.0.1:10110 POSTWIRE_DOVECOT_POP3S=127.0.0.1:10995 \
        POSTWIRE_DOVECOT_MAILDIR="$R/home/alice/Maildir"
}

# Puts a message file into alice's Dovecot Maildir (as nobody, like a delivery).
dovecot_deliver() { # dovecot_deliver FILE NAME
    install -o nobody -g nogroup -m 0600 "$1" "$POSTWIRE_DOVECOT_MAILDIR/new/$2"
}

peers_stop() {
    local entry pid
    for entry in "${PEER_PIDS[@]}"; do
        pid=${entry%%:*}
        kill "$pid" 2>/dev/null || continue
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    done
    if [ -d "$W/postfix/conf" ]; then
        script -qc "postfix -c $W/postfix/conf stop" /dev/null >/dev/null 2>&1 || true
    fi
    PEER_PIDS=()
}
