//! A local development mail server for testing applications that send
//! mail: it accepts mail for its users and stores it, in memory or in
//! Maildirs, on the `postwire-smtp` server facade.
//!
//! ```text
//! cargo run --example mailserver -- [--smtp ADDR] [--user NAME:PASS]...
//!     [--tls-cert PEM --tls-key PEM] [--maildir DIR] [--max-size BYTES]
//! ```
//!
//! - Listeners: with no listener flag, every protocol listens on its
//!   default address (SMTP `127.0.0.1:2525`); with any listener flag, only
//!   the named ones. Port 0 picks a free port; the real address is printed
//!   (`smtp listening on 127.0.0.1:2525`) so scripts can wait for it.
//! - `--user NAME:PASS` (repeatable) replaces the default user `demo:demo`.
//! - Mail for a user (any domain: the local part names the user) is
//!   accepted without AUTH, as an MX accepts it; other recipients get
//!   `550 5.1.1`. AUTH PLAIN and LOGIN, offered after STARTTLS only,
//!   identify submitters; a failed AUTH gets `535` and the session goes on.
//! - STARTTLS uses `--tls-cert`/`--tls-key`, or a self-signed certificate
//!   for `localhost` generated at start.
//! - `--max-size` is the SIZE limit (RFC 1870), default 128 MiB.
//! - Messages are kept in memory, or with `--maildir DIR` in real
//!   Maildirs, `DIR/<user>/{tmp,new,cur}`: one copy per recipient user,
//!   streamed to `tmp/` as it arrives and renamed into `new/`. No fsync:
//!   this is a development server.
//! - Each message is stored exactly as received, after a prepended
//!   `Return-Path:` and `Received:` header (RFC 5321 §4.4).
//! - One log line per connection and per message on stderr.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use postwire_core::Bytes;
use postwire_io::{Clock, Sleep};
use postwire_smtp::server::{
    self, Authentication, BodySink, ConnectionLimit, Decision, Envelope, Handler, Mechanism,
    ServerConfig, ServerOptions, Session, TlsMode,
};
use postwire_smtp_proto::{ClientId, Domain, ForwardPath, RcptParameters, Reply};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio_util::compat::TokioAsyncReadCompatExt;

/// Writes one line to standard error in a single write: stderr is
/// unbuffered, and `eprintln!` issues a write per formatted piece (eleven
/// for the per-message line), which cost 12-15 % of the server's CPU in the
/// throughput bench.
macro_rules! log {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut line = format!($($arg)*);
        line.push('\n');
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }};
}

const USAGE: &str = "usage: mailserver [--smtp ADDR] [--user NAME:PASS]... \
[--tls-cert PEM --tls-key PEM] [--maildir DIR] [--max-size BYTES]";

/// The server's name in the greeting and in `Received:` headers.
const HOSTNAME: &str = "localhost";

/// Most concurrent connections per listener; more get `421 4.3.2`.
const MAX_CONNECTIONS: usize = 200;

/// The protocols this server speaks. POP3 and IMAP join here: a variant,
/// a row in [`PROTOCOLS`], an arm in `main`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Protocol {
    Smtp,
}

/// Each protocol's listener flag, log name and default address.
const PROTOCOLS: &[(Protocol, &str, &str, &str)] =
    &[(Protocol::Smtp, "--smtp", "smtp", "127.0.0.1:2525")];

struct Args {
    listeners: Vec<(Protocol, SocketAddr)>,
    users: Vec<(String, String)>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    maildir: Option<PathBuf>,
    max_size: u64,
}

fn parse_args(mut argv: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut listeners = Vec::new();
    let mut users = Vec::new();
    let (mut tls_cert, mut tls_key, mut maildir) = (None, None, None);
    let mut max_size = 128 * 1024 * 1024;
    while let Some(flag) = argv.next() {
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        let mut value = || argv.next().ok_or_else(|| format!("{flag} needs a value"));
        if let Some(&(protocol, ..)) = PROTOCOLS.iter().find(|p| p.1 == flag) {
            let addr = value()?;
            let addr = addr
                .parse()
                .map_err(|_| format!("{flag}: not an address: {addr}"))?;
            listeners.push((protocol, addr));
            continue;
        }
        match flag.as_str() {
            "--user" => {
                let user = value()?;
                let (name, pass) = user
                    .split_once(':')
                    .filter(|(n, _)| valid_user(n))
                    .ok_or_else(|| format!("--user: expected NAME:PASS, got {user}"))?;
                users.push((name.to_owned(), pass.to_owned()));
            }
            "--tls-cert" => tls_cert = Some(PathBuf::from(value()?)),
            "--tls-key" => tls_key = Some(PathBuf::from(value()?)),
            "--maildir" => maildir = Some(PathBuf::from(value()?)),
            "--max-size" => {
                let size = value()?;
                max_size = size
                    .parse()
                    .map_err(|_| format!("--max-size: not a number: {size}"))?;
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if tls_cert.is_some() != tls_key.is_some() {
        return Err("--tls-cert and --tls-key go together".to_owned());
    }
    if listeners.is_empty() {
        for &(protocol, _, _, default) in PROTOCOLS {
            let addr = default.parse().map_err(|_| "bad default address")?;
            listeners.push((protocol, addr));
        }
    }
    if users.is_empty() {
        users.push(("demo".to_owned(), "demo".to_owned()));
    }
    Ok(Args {
        listeners,
        users,
        tls_cert,
        tls_key,
        maildir,
        max_size,
    })
}

/// A user name is a directory name and a local part: keep it simple.
fn valid_user(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-+".contains(&b))
}

/// Timers from tokio.
struct TokioClock;

impl Clock for TokioClock {
    fn sleep_until(&self, deadline: Instant) -> Sleep {
        Box::pin(tokio::time::sleep_until(deadline.into()))
    }
}

// ---------------------------------------------------------------------------
// The mail store.

/// Users, their mail, and the ids of stored messages.
struct Store {
    users: Vec<(String, String)>,
    maildir: Option<PathBuf>,
    /// In-memory mailboxes (without `--maildir`).
    memory: Mutex<HashMap<String, Vec<Vec<u8>>>>,
    counter: AtomicU64,
}

impl Store {
    fn new(users: Vec<(String, String)>, maildir: Option<PathBuf>) -> std::io::Result<Self> {
        if let Some(dir) = &maildir {
            for (user, _) in &users {
                for sub in ["tmp", "new", "cur"] {
                    std::fs::create_dir_all(dir.join(user).join(sub))?;
                }
            }
        }
        Ok(Self {
            users,
            maildir,
            memory: Mutex::new(HashMap::new()),
            counter: AtomicU64::new(0),
        })
    }

    /// The user a recipient's local part names (case-insensitive).
    fn user_for(&self, to: &ForwardPath) -> Option<&str> {
        let ForwardPath::Mailbox(mailbox) = to else {
            return None;
        };
        let local = mailbox.local_part.value();
        self.users
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(&local))
            .map(|(name, _)| name.as_str())
    }

    fn password_ok(&self, auth: &Authentication) -> bool {
        self.users
            .iter()
            .any(|(name, pass)| *name == auth.username && auth.password_matches(pass))
    }

    /// A unique Maildir file name, `time.pid_counter.host`, and a queue id.
    fn unique(&self) -> (String, String) {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let secs = wall_clock()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let pid = std::process::id();
        (
            format!("{secs}.{pid}_{n}.{HOSTNAME}"),
            format!("{secs:X}{pid:X}Q{n}"),
        )
    }
}

// ---------------------------------------------------------------------------
// SMTP policy.

/// The policy of one SMTP connection.
struct Smtp {
    store: Arc<Store>,
    peer: SocketAddr,
    conn: u64,
}

impl Handler for Smtp {
    type Body = Message;

    async fn rcpt_to(&mut self, _: &Session, to: &ForwardPath, _: &RcptParameters) -> Decision {
        if self.store.user_for(to).is_some() {
            return Decision::Accept;
        }
        match server::reply(550, (5, 1, 1), &format!("{to}: no such user here")) {
            Ok(reply) => Decision::Reply(reply),
            Err(_) => Decision::Reject,
        }
    }

    async fn authenticate(
        &mut self,
        _: &Session,
        mechanism: &Mechanism,
        auth: &Authentication,
    ) -> Option<String> {
        let ok = self.store.password_ok(auth);
        log!(
            "conn {} auth {} {} {}",
            self.conn,
            mechanism.name(),
            auth.username,
            if ok { "ok" } else { "failed" }
        );
        ok.then(|| auth.username.clone())
    }

    async fn data_start(
        &mut self,
        session: &Session,
        envelope: &Envelope,
    ) -> Result<Message, Reply> {
        let mut users: Vec<String> = Vec::new();
        for (to, _) in &envelope.recipients {
            if let Some(user) = self.store.user_for(to) {
                if !users.iter().any(|u| u == user) {
                    users.push(user.to_owned());
                }
            }
        }
        if users.is_empty() {
            return Err(local_error());
        }
        let (file_name, id) = self.store.unique();
        let trace = trace_headers(session, envelope, self.peer.ip(), &id);
        let mut message = Message {
            store: self.store.clone(),
            conn: self.conn,
            id,
            from: envelope.from.to_string(),
            users,
            size: 0,
            target: Target::Memory(Vec::new()),
        };
        if let Some(dir) = &self.store.maildir {
            let path = dir.join(&message.users[0]).join("tmp").join(&file_name);
            let file = tokio::fs::File::create(&path).await.map_err(|e| {
                log!("conn {} cannot create {}: {e}", self.conn, path.display());
                local_error()
            })?;
            message.target = Target::Maildir {
                file,
                path,
                file_name,
            };
        }
        message.write(&trace).await.map_err(|_| local_error())?;
        message.size = 0;
        Ok(message)
    }
}

fn local_error() -> Reply {
    server::reply(451, (4, 3, 0), "Local error in processing").expect("a valid constant reply")
}

/// `Return-Path:` and `Received:` (RFC 5321 §4.4; RFC 5322 §3.6.7).
fn trace_headers(session: &Session, envelope: &Envelope, ip: IpAddr, id: &str) -> Vec<u8> {
    let helo = session
        .helo
        .as_ref()
        .map(ClientId::to_string)
        .unwrap_or_else(|| "unknown".to_owned());
    let literal = match ip {
        IpAddr::V4(v4) => format!("[{v4}]"),
        IpAddr::V6(v6) => format!("[IPv6:{v6}]"),
    };
    format!(
        "Return-Path: {}\r\nReceived: from {helo} ({literal}) by {HOSTNAME} with {} id {id}; {}\r\n",
        envelope.from,
        session.protocol_name(),
        rfc5322_date(wall_clock()),
    )
    .into_bytes()
}

/// The wall clock, for `Received:` dates and Maildir names. The library
/// never reads a clock; an example program may.
#[allow(clippy::disallowed_methods)]
fn wall_clock() -> SystemTime {
    SystemTime::now()
}

/// `date-time` of RFC 5322 §3.3 in UTC: `Sat, 28 Nov 2026 08:11:25 +0000`.
fn rfc5322_date(time: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = secs / 86_400;
    let (hour, min, sec) = (secs % 86_400 / 3600, secs % 3600 / 60, secs % 60);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{}, {day:02} {} {year} {hour:02}:{min:02}:{sec:02} +0000",
        DAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
    )
}

/// One message on its way to the mailboxes.
struct Message {
    store: Arc<Store>,
    conn: u64,
    id: String,
    from: String,
    users: Vec<String>,
    size: u64,
    target: Target,
}

enum Target {
    Memory(Vec<u8>),
    /// Streaming into the first user's `tmp/`.
    Maildir {
        file: tokio::fs::File,
        path: PathBuf,
        file_name: String,
    },
}

impl Message {
    async fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.size += bytes.len() as u64;
        match &mut self.target {
            Target::Memory(content) => {
                content.extend_from_slice(bytes);
                Ok(())
            }
            Target::Maildir { file, .. } => file.write_all(bytes).await,
        }
    }

    /// Moves the message into every user's `new/`: a copy through each
    /// `tmp/`, then the rename (the Maildir delivery protocol).
    async fn deliver(&mut self) -> std::io::Result<()> {
        match &mut self.target {
            Target::Memory(content) => {
                let mut memory = self.store.memory.lock().unwrap_or_else(|e| e.into_inner());
                for user in &self.users {
                    memory
                        .entry(user.clone())
                        .or_default()
                        .push(content.clone());
                }
                Ok(())
            }
            Target::Maildir {
                file,
                path,
                file_name,
            } => {
                file.flush().await?;
                let dir = self.store.maildir.as_deref().unwrap_or(Path::new("."));
                for user in self.users.iter().skip(1) {
                    let tmp = dir.join(user).join("tmp").join(&*file_name);
                    tokio::fs::copy(&*path, &tmp).await?;
                    tokio::fs::rename(&tmp, dir.join(user).join("new").join(&*file_name)).await?;
                }
                let first = dir.join(&self.users[0]).join("new").join(&*file_name);
                tokio::fs::rename(&*path, first).await
            }
        }
    }
}

impl BodySink for Message {
    async fn write_chunk(&mut self, chunk: Bytes) -> std::io::Result<()> {
        self.write(&chunk).await
    }

    async fn finish(mut self) -> Reply {
        match self.deliver().await {
            Ok(()) => {
                log!(
                    "conn {} message {} from {} to {} size {}",
                    self.conn,
                    self.id,
                    self.from,
                    self.users.join(","),
                    self.size
                );
                server::reply(250, (2, 0, 0), &format!("Ok: queued as {}", self.id))
                    .unwrap_or_else(|_| local_error())
            }
            Err(e) => {
                log!("conn {} message {} not stored: {e}", self.conn, self.id);
                self.abort().await;
                local_error()
            }
        }
    }

    async fn abort(self) {
        if let Target::Maildir { path, .. } = &self.target {
            let _ = tokio::fs::remove_file(path).await;
        }
    }
}

// ---------------------------------------------------------------------------
// TLS and the listeners.

fn tls_config(args: &Args) -> Result<Arc<rustls::ServerConfig>, String> {
    let (certs, key) = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            let certs = CertificateDer::pem_file_iter(cert)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| format!("{}: {e}", cert.display()))?;
            let key =
                PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
            (certs, key)
        }
        _ => {
            let generated = rcgen::generate_simple_self_signed(vec![
                HOSTNAME.to_owned(),
                "127.0.0.1".to_owned(),
            ])
            .map_err(|e| format!("generating a certificate: {e}"))?;
            let key = PrivatePkcs8KeyDer::from(generated.key_pair.serialize_der());
            (
                vec![generated.cert.der().clone()],
                PrivateKeyDer::Pkcs8(key),
            )
        }
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
        .map_err(|e| format!("tls: {e}"))?;
    Ok(Arc::new(config))
}

async fn run_smtp(listener: TcpListener, options: Arc<ServerOptions>, store: Arc<Store>) {
    let limit = ConnectionLimit::new(MAX_CONNECTIONS);
    let mut next_conn = 0u64;
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                log!("smtp accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        next_conn += 1;
        let conn = next_conn;
        let options = options.clone();
        let Some(guard) = limit.try_acquire() else {
            log!("conn {conn} from {peer}: too many connections");
            tokio::spawn(async move {
                let _ = server::reject_busy(socket.compat(), &options).await;
            });
            continue;
        };
        let handler = Smtp {
            store: store.clone(),
            peer,
            conn,
        };
        tokio::spawn(async move {
            let _guard = guard;
            match server::serve(socket.compat(), &options, handler).await {
                Ok(session) => log!(
                    "conn {conn} from {peer}: closed, {} message(s){}{}",
                    session.messages,
                    if session.tls { ", tls" } else { "" },
                    session
                        .authenticated
                        .map(|u| format!(", user {u}"))
                        .unwrap_or_default()
                ),
                Err(e) => log!("conn {conn} from {peer}: {e}"),
            }
        });
    }
}

// One thread runs every connection: the per-connection work is small and
// the machines are cheap, so a multi-threaded runtime spent more on
// cross-thread wake-ups than it gained (smtp-source -d -s 10 -m 20000:
// about 24,000 msg/s on one thread against 18,000-24,000 on two, here on
// 2 cores). Maildir writes still go to tokio's blocking pool.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            log!("mailserver: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let tls = match tls_config(&args) {
        Ok(tls) => tls,
        Err(e) => {
            log!("mailserver: {e}");
            return ExitCode::FAILURE;
        }
    };
    let store = match Store::new(args.users.clone(), args.maildir.clone()) {
        Ok(store) => Arc::new(store),
        Err(e) => {
            log!("mailserver: maildir: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Ok(hostname) = Domain::new(HOSTNAME) else {
        return ExitCode::FAILURE;
    };
    let mut config = ServerConfig::new(hostname);
    config.banner = "postwire mailserver".to_owned();
    config.extensions.auth = vec![Mechanism::Plain, Mechanism::Login];
    config.limits.max_message_size = args.max_size;
    let options = Arc::new(ServerOptions::new(config, TokioClock).with_tls(tls, TlsMode::StartTls));

    for &(protocol, addr) in &args.listeners {
        let name = PROTOCOLS
            .iter()
            .find(|p| p.0 == protocol)
            .map(|p| p.2)
            .unwrap_or("?");
        let listener = match TcpListener::bind(addr).await {
            Ok(listener) => listener,
            Err(e) => {
                log!("mailserver: {name} on {addr}: {e}");
                return ExitCode::FAILURE;
            }
        };
        match listener.local_addr() {
            Ok(local) => println!("{name} listening on {local}"),
            Err(e) => log!("mailserver: {name}: {e}"),
        }
        match protocol {
            Protocol::Smtp => {
                tokio::spawn(run_smtp(listener, options.clone(), store.clone()));
            }
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_is_rfc5322_3_3() {
        let t = UNIX_EPOCH + std::time::Duration::from_secs(1_795_853_485);
        assert_eq!(rfc5322_date(t), "Sat, 28 Nov 2026 08:11:25 +0000");
        assert_eq!(rfc5322_date(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 +0000");
        let leap = UNIX_EPOCH + std::time::Duration::from_secs(951_782_400);
        assert_eq!(rfc5322_date(leap), "Tue, 29 Feb 2000 00:00:00 +0000");
    }

    #[test]
    fn no_listener_flag_means_every_default_listener() {
        let args = parse_args(std::iter::empty()).unwrap();
        assert_eq!(
            args.listeners,
            vec![(Protocol::Smtp, "127.0.0.1:2525".parse().unwrap())]
        );
        assert_eq!(args.users, vec![("demo".to_owned(), "demo".to_owned())]);
        assert_eq!(args.max_size, 134_217_728);
        let args = parse_args(
            ["--smtp", "127.0.0.1:0", "--user", "a:b", "--user", "c:d:e"]
                .into_iter()
                .map(String::from),
        )
        .unwrap();
        assert_eq!(
            args.listeners,
            vec![(Protocol::Smtp, "127.0.0.1:0".parse().unwrap())]
        );
        assert_eq!(args.users[1], ("c".to_owned(), "d:e".to_owned()));
    }
}
