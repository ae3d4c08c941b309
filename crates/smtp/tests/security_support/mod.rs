//! Shared pieces of `security_tls.rs`: a tokio clock, a policy handler
//! that records every call, a one-connection server on 127.0.0.1, and
//! [`Wire`], a raw TCP peer that records every byte it receives and can
//! run its own rustls client session over the same socket (to put
//! attacker bytes exactly where a test wants them).
#![allow(dead_code, unreachable_pub)]

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use postwire_io::{Clock, Sleep};
use postwire_smtp::client::{ClientOptions, Credentials, Tls, TlsConfig};
use postwire_smtp::server::{
    self, Authentication, BodySink, Decision, Envelope, Handler, Mechanism, ServeError,
    ServerOptions, Session, TlsMode, serve,
};
use postwire_smtp_proto::server::ServerConfig;
use postwire_smtp_proto::{ClientId, Domain, ForwardPath, RcptParameters, Reply};
use postwire_testkit::{ServerCert, TestPki, localhost};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_util::compat::TokioAsyncReadCompatExt;

/// The user and password the [`Policy`] knows.
pub const USER: &str = "alice";
/// See [`USER`].
pub const PASSWORD: &str = "secret";

/// Every test's upper bound on wall time.
pub const TEST_BOUND: Duration = Duration::from_secs(5);

/// Runs a test body under [`TEST_BOUND`].
pub async fn bounded<T>(body: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(TEST_BOUND, body)
        .await
        .expect("the test did not finish within its time bound")
}

/// Timers from tokio.
#[derive(Clone, Copy, Debug)]
pub struct TokioClock;

impl Clock for TokioClock {
    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        Box::pin(tokio::time::sleep_until(deadline.into()))
    }
}

/// One line per handler call, in order, shared with the test.
#[derive(Clone, Default)]
pub struct Record(Arc<Mutex<Vec<String>>>);

impl Record {
    pub fn calls(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    fn log(&self, line: String) {
        self.0.lock().unwrap().push(line);
    }
}

/// A handler that accepts everything, knows [`USER`]/[`PASSWORD`] and
/// records each call (`helo NAME`, `auth MECH USER tls=BOOL`, `rset`, ...).
pub struct Policy(pub Record);

/// Counts the octets of a message.
pub struct Sink(usize, Record);

impl BodySink for Sink {
    async fn write_chunk(&mut self, chunk: Bytes) -> std::io::Result<()> {
        self.0 += chunk.len();
        Ok(())
    }

    async fn finish(self) -> Reply {
        self.1.log(format!("finish {}", self.0));
        server::reply(250, (2, 0, 0), "queued").unwrap()
    }
}

impl Handler for Policy {
    type Body = Sink;

    async fn helo(&mut self, session: &Session, client: &ClientId) -> Decision {
        self.0.log(format!("helo {client} tls={}", session.tls));
        Decision::Accept
    }

    async fn rcpt_to(&mut self, _: &Session, to: &ForwardPath, _: &RcptParameters) -> Decision {
        self.0.log(format!("rcpt {to}"));
        Decision::Accept
    }

    async fn authenticate(
        &mut self,
        session: &Session,
        mechanism: &Mechanism,
        authentication: &Authentication,
    ) -> Option<String> {
        self.0.log(format!(
            "auth {} {} tls={}",
            mechanism.name(),
            authentication.username,
            session.tls
        ));
        (authentication.username == USER && authentication.password_matches(PASSWORD))
            .then(|| USER.to_owned())
    }

    async fn reset(&mut self, _: &Session) {
        self.0.log("rset".to_owned());
    }

    async fn data_start(&mut self, _: &Session, _: &Envelope) -> Result<Sink, Reply> {
        self.0.log("data".to_owned());
        Ok(Sink(0, self.0.clone()))
    }
}

/// Server options for `mx.test` with PLAIN and LOGIN, and TLS with the
/// test PKI's `cert` in `mode` when given. Everything else is default
/// (AUTH only after TLS).
pub fn server_options(tls: Option<(ServerCert, TlsMode)>) -> ServerOptions {
    let mut config = ServerConfig::new(Domain::new("mx.test").unwrap());
    config.extensions.auth = vec![Mechanism::Plain, Mechanism::Login];
    let options = ServerOptions::new(config, TokioClock);
    match tls {
        Some((cert, mode)) => {
            options.with_tls(Arc::new(TestPki::shared().server_config(cert)), mode)
        }
        None => options,
    }
}

/// One connection of our [`serve`] on 127.0.0.1.
pub struct Served {
    pub addr: SocketAddr,
    pub record: Record,
    pub task: JoinHandle<Result<Session, ServeError>>,
}

impl Served {
    /// How the server task ended; fails if it did not end within `bound`
    /// or panicked.
    pub async fn end(self, bound: Duration) -> Result<Session, ServeError> {
        tokio::time::timeout(bound, self.task)
            .await
            .expect("the server task did not end within its bound")
            .expect("the server task panicked")
    }
}

/// Serves exactly one connection on an ephemeral 127.0.0.1 port.
pub async fn spawn_serve(options: ServerOptions) -> Served {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let record = Record::default();
    let policy = Policy(record.clone());
    let task = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        serve(socket.compat(), &options, policy).await
    });
    Served { addr, record, task }
}

/// A client TLS configuration trusting the test CA, for `localhost`.
pub fn client_tls() -> TlsConfig {
    TlsConfig::new(Arc::new(TestPki::shared().client_config()), localhost())
}

/// Client options with `tls` and, when `credentials`, [`USER`]'s password.
pub fn client_options(tls: Tls, credentials: bool) -> ClientOptions {
    let options = ClientOptions::new(tls, TokioClock);
    if credentials {
        options.credentials(Credentials::password(USER, PASSWORD.to_owned()))
    } else {
        options
    }
}

/// `AUTH PLAIN` with [`USER`]'s credentials, base64 of `\0alice\0secret`.
pub const AUTH_PLAIN_LINE: &[u8] = b"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n";

/// A fake SMTP server for the client tests: accepts one connection and
/// runs `script` on a [`Wire`]; then reads until the client closes (at most
/// two seconds) and returns every byte the client sent.
pub async fn fake_server<F, Fut>(script: F) -> (SocketAddr, JoinHandle<Vec<u8>>)
where
    F: FnOnce(Wire) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Wire> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let mut wire = script(Wire::new(socket)).await;
        wire.read_to_eof(Duration::from_secs(2)).await;
        wire.log
    });
    (addr, task)
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The bytes of `haystack` after the first occurrence of `needle`.
pub fn after<'a>(haystack: &'a [u8], needle: &[u8]) -> &'a [u8] {
    let at = haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("{:?} not in {:?}", show(needle), show(haystack)));
    &haystack[at + needle.len()..]
}

/// Bytes for assertion messages.
pub fn show(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A close_notify alert record (RFC 8446 §6.1): alert(21), TLS 1.2 record
/// version, length 2, warning(1), close_notify(0).
pub const CLOSE_NOTIFY: [u8; 7] = [0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00];

/// 1 MB of bytes that are no TLS.
pub fn garbage_megabyte() -> Vec<u8> {
    (0..1_000_000u32).map(|i| (i * 7 + 3) as u8).collect()
}

/// 1 MB of well-framed maximum-size handshake records full of zeros.
pub fn record_flood() -> Vec<u8> {
    let mut flood = Vec::new();
    for _ in 0..64 {
        flood.extend_from_slice(&[0x16, 0x03, 0x01, 0x40, 0x00]);
        flood.extend_from_slice(&[0u8; 0x4000]);
    }
    flood
}

/// A rustls client session trusting the test CA, for `localhost`, and its
/// first flight (the ClientHello), not sent.
fn start_client() -> (rustls::ClientConnection, Vec<u8>) {
    let config = Arc::new(TestPki::shared().client_config());
    let mut conn = rustls::ClientConnection::new(config, localhost()).unwrap();
    let mut hello = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut hello).unwrap();
    }
    (conn, hello)
}

/// A real ClientHello, as the first flight of a rustls client.
pub fn client_hello() -> Vec<u8> {
    start_client().1
}

/// Removes one complete SMTP reply (through the line with a space after
/// the code) from the front of `buf`.
fn take_reply(buf: &mut Vec<u8>) -> Option<String> {
    let mut start = 0;
    while let Some(end) = buf[start..].windows(2).position(|w| w == b"\r\n") {
        let line_end = start + end + 2;
        let line = &buf[start..line_end];
        if line.get(3) != Some(&b'-') {
            let reply: Vec<u8> = buf.drain(..line_end).collect();
            return Some(show(&reply));
        }
        start = line_end;
    }
    None
}

/// A raw TCP peer: plaintext lines, raw bytes, and an optional rustls
/// client session of its own over the same socket. Every byte received is
/// kept in [`log`](Self::log).
pub struct Wire {
    pub tcp: TcpStream,
    /// Every byte received, raw (TLS records included).
    pub log: Vec<u8>,
    /// Received raw bytes not consumed yet.
    pending: Vec<u8>,
    tls: Option<rustls::ClientConnection>,
    /// Decrypted bytes not consumed yet.
    plain: Vec<u8>,
    /// The peer sent close_notify.
    tls_closed: bool,
    pub eof: bool,
}

impl Wire {
    pub fn new(tcp: TcpStream) -> Self {
        tcp.set_nodelay(true).unwrap();
        Self {
            tcp,
            log: Vec::new(),
            pending: Vec::new(),
            tls: None,
            plain: Vec::new(),
            tls_closed: false,
            eof: false,
        }
    }

    pub async fn connect(addr: SocketAddr) -> Self {
        Self::new(TcpStream::connect(addr).await.unwrap())
    }

    /// Reads once; 0 at the end of the stream (a reset counts as the end).
    async fn fill(&mut self) -> usize {
        let mut buf = vec![0u8; 16 * 1024];
        let n = self.tcp.read(&mut buf).await.unwrap_or(0);
        if n == 0 {
            self.eof = true;
        }
        self.log.extend_from_slice(&buf[..n]);
        self.pending.extend_from_slice(&buf[..n]);
        n
    }

    /// Writes `bytes` in one write; false if the peer is gone.
    pub async fn send(&mut self, bytes: &[u8]) -> bool {
        self.tcp.write_all(bytes).await.is_ok()
    }

    /// Writes `bytes` one octet per write with `gap` between writes; false
    /// if the peer is gone.
    pub async fn send_bytewise(&mut self, bytes: &[u8], gap: Duration) -> bool {
        for byte in bytes {
            if self.tcp.write_all(&[*byte]).await.is_err() {
                return false;
            }
            tokio::time::sleep(gap).await;
        }
        true
    }

    /// Ends our sending side (TCP FIN); reading goes on.
    pub async fn shutdown(&mut self) {
        let _ = self.tcp.shutdown().await;
    }

    /// The next plaintext line (CRLF included); empty at the end.
    pub async fn line(&mut self) -> Vec<u8> {
        loop {
            if let Some(end) = self.pending.windows(2).position(|w| w == b"\r\n") {
                return self.pending.drain(..end + 2).collect();
            }
            if self.fill().await == 0 {
                return std::mem::take(&mut self.pending);
            }
        }
    }

    /// The next plaintext reply, all its lines; panics at the end.
    pub async fn reply(&mut self) -> String {
        loop {
            if let Some(reply) = take_reply(&mut self.pending) {
                return reply;
            }
            assert!(
                self.fill().await > 0,
                "end of stream inside a reply: {:?}",
                show(&self.pending)
            );
        }
    }

    /// Waits until at least `n` unconsumed raw bytes are here; returns
    /// them (still unconsumed). Fewer at the end of the stream.
    pub async fn peek_at_least(&mut self, n: usize) -> Vec<u8> {
        while self.pending.len() < n && self.fill().await > 0 {}
        self.pending.clone()
    }

    /// Forgets the unconsumed raw bytes (they stay in the log).
    pub fn discard_pending(&mut self) {
        self.pending.clear();
    }

    /// Everything that arrives within `window` (less at the end).
    pub async fn read_for(&mut self, window: Duration) -> Vec<u8> {
        let start = self.log.len();
        let deadline = tokio::time::Instant::now() + window;
        while !self.eof {
            match tokio::time::timeout_at(deadline, self.fill()).await {
                Ok(_) => {}
                Err(_) => break,
            }
        }
        self.log[start..].to_vec()
    }

    /// Reads until the end of the stream or `bound`; returns what came.
    pub async fn read_to_eof(&mut self, bound: Duration) -> Vec<u8> {
        self.read_for(bound).await
    }

    /// Starts a rustls client session (trusting the test CA, for
    /// `localhost`) and returns its first flight, the ClientHello, without
    /// sending it.
    pub fn client_hello(&mut self) -> Vec<u8> {
        let (conn, hello) = start_client();
        self.tls = Some(conn);
        hello
    }

    /// Runs a TLS handshake as a client trusting the test CA, each flight
    /// sent whole or, with `gap`, one octet per write. Raw bytes already
    /// received and not consumed go to rustls first.
    pub async fn handshake(&mut self, gap: Option<Duration>) -> Result<(), String> {
        if self.tls.is_none() {
            let hello = self.client_hello();
            self.send_raw_flight(&hello, gap).await?;
        }
        while self.tls.as_ref().is_some_and(|t| t.is_handshaking()) {
            self.flush_tls(gap).await?;
            if !self.tls.as_ref().is_some_and(|t| t.is_handshaking()) {
                break;
            }
            self.feed_tls().await?;
        }
        self.flush_tls(gap).await
    }

    async fn send_raw_flight(&mut self, bytes: &[u8], gap: Option<Duration>) -> Result<(), String> {
        let sent = match gap {
            Some(gap) => self.send_bytewise(bytes, gap).await,
            None => self.send(bytes).await,
        };
        if sent {
            Ok(())
        } else {
            Err("the peer closed while we wrote".to_owned())
        }
    }

    /// Sends what rustls has to send.
    async fn flush_tls(&mut self, gap: Option<Duration>) -> Result<(), String> {
        let tls = self.tls.as_mut().expect("a tls session");
        let mut out = Vec::new();
        while tls.wants_write() {
            tls.write_tls(&mut out).map_err(|e| e.to_string())?;
        }
        if out.is_empty() {
            return Ok(());
        }
        self.send_raw_flight(&out, gap).await
    }

    /// Gives rustls the unconsumed raw bytes (reading once if none), and
    /// collects the plaintext. A rustls error sends its alert and returns.
    async fn feed_tls(&mut self) -> Result<(), String> {
        if self.pending.is_empty() && self.fill().await == 0 {
            return Err("end of stream".to_owned());
        }
        let pending = std::mem::take(&mut self.pending);
        let tls = self.tls.as_mut().expect("a tls session");
        let mut slice = &pending[..];
        let mut failure = None;
        while !slice.is_empty() {
            match tls.read_tls(&mut slice) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    failure = Some(e.to_string());
                    break;
                }
            }
            if let Err(e) = tls.process_new_packets() {
                failure = Some(e.to_string());
                break;
            }
        }
        loop {
            let mut buf = [0u8; 4096];
            match tls.reader().read(&mut buf) {
                Ok(0) => {
                    self.tls_closed = true;
                    break;
                }
                Ok(n) => self.plain.extend_from_slice(&buf[..n]),
                Err(_) => break,
            }
        }
        if let Some(failure) = failure {
            let _ = self.flush_tls(None).await;
            return Err(failure);
        }
        Ok(())
    }

    /// Sends `bytes` inside TLS.
    pub async fn tls_send(&mut self, bytes: &[u8]) -> Result<(), String> {
        let tls = self.tls.as_mut().expect("a tls session");
        tls.writer().write_all(bytes).map_err(|e| e.to_string())?;
        self.flush_tls(None).await
    }

    /// The next reply inside TLS.
    pub async fn tls_reply(&mut self) -> Result<String, String> {
        loop {
            if let Some(reply) = take_reply(&mut self.plain) {
                return Ok(reply);
            }
            if self.tls_closed {
                return Err(format!("close_notify inside a reply: {:?}", self.plain));
            }
            self.feed_tls().await?;
        }
    }

    /// Every decrypted byte not consumed yet, then until close_notify or
    /// the end of the stream.
    pub async fn tls_read_to_end(&mut self) -> Vec<u8> {
        while !self.tls_closed && self.feed_tls().await.is_ok() {}
        std::mem::take(&mut self.plain)
    }
}
