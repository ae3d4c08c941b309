//! Shared pieces of the postwire-pop3 tests: a clock, an in-memory
//! `MailStore` that records what it was asked, a generated multi-megabyte
//! message, and builders for both sides' options.
#![allow(dead_code, unreachable_pub)]

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_io::AsyncRead;
use postwire_core::Secret;
use postwire_io::{Clock, Sleep};
use postwire_pop3::client::{ClientOptions, Pop3Client, Tls, TlsConfig};
use postwire_pop3::server::{
    Decision, Login, MailStore, MaildropEntry, Mechanism, ScramCredentials, SecretKind, ServeError,
    ServerConfig, ServerOptions, Session, StoredSecret, TlsMode, serve,
};
use postwire_pop3_proto::{MessageNumber, Response, ResponseCode, UniqueId};
use postwire_testkit::{DuplexStream, ServerCert, TestPki, localhost};
use tokio::task::JoinHandle;

pub const USER: &str = "alice";
pub const PASSWORD: &str = "correct horse battery staple";

/// A message whose lines start with dots, a lone dot line among them.
pub const DOTS: &[u8] = b"From: Bob <bob@example.org>\r\nSubject: dots\r\n\r\n.a line that starts with a dot\r\n..two dots\r\n.\r\nlast line\r\n";
/// A small second message.
pub const SMALL: &[u8] =
    b"From: carol@example.org\r\nSubject: small\r\n\r\nbody 1\r\nbody 2\r\nbody 3\r\n";

/// Timers and time from tokio (its paused clock included).
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

/// A message body in the store.
#[derive(Clone, Debug)]
pub enum Body {
    Bytes(Vec<u8>),
    /// `lines` generated lines of 64 octets ([`generated_line`]).
    Generated {
        lines: u64,
    },
    /// `read` never completes.
    Stall,
}

impl Body {
    pub fn size(&self) -> u64 {
        match self {
            Body::Bytes(b) => b.len() as u64,
            Body::Generated { lines } => lines * 64,
            Body::Stall => 10,
        }
    }
}

/// What the store holds and saw, shared with the test.
#[derive(Clone, Default)]
pub struct Shared {
    /// (uid, body), in maildrop order.
    pub messages: Arc<Mutex<Vec<(String, Body)>>>,
    /// One line per store call, in order.
    pub log: Arc<Mutex<Vec<String>>>,
    /// Octets the generated message readers handed to the server so far.
    pub generated: Arc<AtomicU64>,
}

impl Shared {
    pub fn with(messages: &[(&str, Body)]) -> Self {
        let shared = Shared::default();
        *shared.messages.lock().unwrap() = messages
            .iter()
            .map(|(uid, body)| (uid.to_string(), body.clone()))
            .collect();
        shared
    }

    pub fn standard() -> Self {
        Self::with(&[
            ("uid-dots", Body::Bytes(DOTS.to_vec())),
            ("uid-small", Body::Bytes(SMALL.to_vec())),
        ])
    }

    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    pub fn uids(&self) -> Vec<String> {
        self.messages
            .lock()
            .unwrap()
            .iter()
            .map(|(u, _)| u.clone())
            .collect()
    }

    fn record(&self, line: String) {
        self.log.lock().unwrap().push(line);
    }
}

/// The store under test: one user, USER:PASSWORD; secrets for APOP, SCRAM
/// and CRAM-MD5 when `secrets`; the user `busy` is always refused with
/// `[SYS/TEMP]`; the maildrop of `locked` is in use.
#[derive(Clone)]
pub struct Store {
    pub shared: Shared,
    pub secrets: bool,
}

impl Store {
    pub fn new(shared: &Shared) -> Self {
        Self {
            shared: shared.clone(),
            secrets: false,
        }
    }

    pub fn with_secrets(shared: &Shared) -> Self {
        Self {
            shared: shared.clone(),
            secrets: true,
        }
    }
}

impl MailStore for Store {
    type Message = Box<dyn AsyncRead + Unpin + Send>;

    async fn authenticate(&mut self, _session: &Session, login: Login<'_>) -> Decision {
        self.shared
            .record(format!("authenticate {}", login.username()));
        if login.username() == "busy" {
            return Decision::Reply(
                Response::err("directory unavailable")
                    .unwrap()
                    .with_code(ResponseCode::SysTemp),
            );
        }
        let known = login.username() == USER || login.username() == "locked";
        if known && (login.password_matches(PASSWORD) || login.is_verified()) {
            Decision::Accept
        } else {
            Decision::Reject
        }
    }

    fn supports_secret(&self, _kind: SecretKind) -> bool {
        self.secrets
    }

    async fn secret(
        &mut self,
        _session: &Session,
        username: &str,
        kind: SecretKind,
    ) -> Option<StoredSecret> {
        self.shared.record(format!("secret {username} {kind:?}"));
        if username != USER {
            return None;
        }
        match kind {
            SecretKind::Scram => Some(StoredSecret::Scram(
                ScramCredentials::derive(PASSWORD, b"postwire test salt", 4096).unwrap(),
            )),
            _ => Some(StoredSecret::Plaintext(Secret::new(PASSWORD.to_string()))),
        }
    }

    async fn open(
        &mut self,
        _session: &Session,
        user: &str,
    ) -> Result<Vec<MaildropEntry>, Response> {
        self.shared.record(format!("open {user}"));
        if user == "locked" {
            return Err(Response::err("maildrop in use")
                .unwrap()
                .with_code(ResponseCode::InUse));
        }
        Ok(self
            .shared
            .messages
            .lock()
            .unwrap()
            .iter()
            .map(|(uid, body)| MaildropEntry::new(body.size(), UniqueId::new(uid).unwrap()))
            .collect())
    }

    async fn read(
        &mut self,
        _session: &Session,
        msg: MessageNumber,
        uid: &UniqueId,
    ) -> io::Result<Self::Message> {
        self.shared.record(format!("read {msg} {}", uid.as_str()));
        let body = self.shared.messages.lock().unwrap()[msg.get() as usize - 1]
            .1
            .clone();
        match body {
            Body::Bytes(bytes) => Ok(Box::new(futures_lite::io::Cursor::new(bytes))),
            Body::Generated { lines } => Ok(Box::new(Generated {
                line: 0,
                lines,
                offset: 0,
                counter: self.shared.generated.clone(),
            })),
            Body::Stall => {
                futures_lite::future::pending::<()>().await;
                Err(io::Error::other("unreachable"))
            }
        }
    }

    async fn delete(
        &mut self,
        _session: &Session,
        messages: &[(MessageNumber, UniqueId)],
    ) -> io::Result<()> {
        let uids: Vec<&str> = messages.iter().map(|(_, u)| u.as_str()).collect();
        self.shared.record(format!("delete {}", uids.join(",")));
        self.shared
            .messages
            .lock()
            .unwrap()
            .retain(|(uid, _)| !uids.contains(&uid.as_str()));
        Ok(())
    }

    async fn release(&mut self, session: &Session) {
        self.shared.record(format!(
            "release {}",
            session.user.as_deref().unwrap_or("-")
        ));
    }
}

/// Line `i` of a generated message: 64 octets with CRLF; every seventh
/// starts with a dot (so the server stuffs and the client unstuffs it).
pub fn generated_line(i: u64) -> [u8; 64] {
    let mut line = [b'x'; 64];
    let head = if i.is_multiple_of(7) {
        format!(".dot line {i:010} ")
    } else {
        format!("line {i:010} ")
    };
    line[..head.len()].copy_from_slice(head.as_bytes());
    line[62] = b'\r';
    line[63] = b'\n';
    line
}

/// A message made on the fly, never in memory whole.
struct Generated {
    line: u64,
    lines: u64,
    offset: usize,
    counter: Arc<AtomicU64>,
}

impl AsyncRead for Generated {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut n = 0;
        while n < buf.len() && self.line < self.lines {
            let line = generated_line(self.line);
            let take = (64 - self.offset).min(buf.len() - n);
            buf[n..n + take].copy_from_slice(&line[self.offset..self.offset + take]);
            n += take;
            self.offset += take;
            if self.offset == 64 {
                self.offset = 0;
                self.line += 1;
            }
        }
        self.counter.fetch_add(n as u64, Ordering::SeqCst);
        Poll::Ready(Ok(n))
    }
}

/// How the test server offers TLS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerTls {
    None,
    StartTls,
    Implicit,
}

/// Server options: TLS per `tls`, these SASL mechanisms, no failure delay
/// (tests that need it set it), plaintext logins allowed without TLS.
pub fn server_options(tls: ServerTls, sasl: &[Mechanism]) -> ServerOptions {
    let mut config = ServerConfig::new("pop.example.org");
    config.sasl = sasl.to_vec();
    config.allow_plaintext_auth = tls == ServerTls::None;
    config.timeouts.auth_failure_delay = Duration::ZERO;
    let options = ServerOptions::new(config, TokioClock);
    let certificate = TestPki::shared().server_config(ServerCert::Valid);
    match tls {
        ServerTls::None => options,
        ServerTls::StartTls => options.with_tls(Arc::new(certificate), TlsMode::StartTls),
        ServerTls::Implicit => options.with_tls(Arc::new(certificate), TlsMode::Implicit),
    }
}

/// Serves one in-memory connection in a task; returns the client's end.
pub fn start(
    options: ServerOptions,
    store: Store,
) -> (DuplexStream, JoinHandle<Result<Session, ServeError>>) {
    let (client, server) = postwire_testkit::duplex(64 * 1024);
    let handle = tokio::spawn(async move { serve(server, &options, store).await });
    (client, handle)
}

/// A session over STLS with the standard server (no SASL), logged out:
/// the client after its greeting and STLS, and the server's task.
pub async fn stls_session(
    shared: &Shared,
) -> (
    Pop3Client<DuplexStream>,
    JoinHandle<Result<Session, ServeError>>,
) {
    let (io, server) = start(server_options(ServerTls::StartTls, &[]), Store::new(shared));
    let client = Pop3Client::connect(io, client_options(Tls::StartTls(tls_config())))
        .await
        .unwrap();
    (client, server)
}

/// A TLS configuration trusting the test CA, for `localhost`.
pub fn tls_config() -> TlsConfig {
    TlsConfig::new(Arc::new(TestPki::shared().client_config()), localhost())
}

/// Client options with tokio's clock.
pub fn client_options(tls: Tls) -> ClientOptions {
    ClientOptions::new(tls, TokioClock)
}
