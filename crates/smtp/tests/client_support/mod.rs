//! A tiny SMTP server for the client tests: postwire-smtp-proto's own
//! `Server` driven by a `postwire_io::Connection` in a spawned task. It
//! accepts everything except recipients whose local part starts with
//! `refuse`, checks AUTH against USER/PASSWORD, and collects messages.
#![allow(dead_code, unreachable_pub)]

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_io::{AsyncRead, AsyncWrite};
use postwire_io::{Clock, Connection, Sleep, TlsRole};
use postwire_smtp::client::{ClientOptions, Tls, TlsConfig};
use postwire_smtp_proto::server::{Event, Mechanism, Server, ServerConfig};
use postwire_smtp_proto::{Domain, Reply, ReplyCode};
use postwire_testkit::{ServerCert, TestPki, localhost};
use tokio::net::TcpListener;
use tokio_util::compat::TokioAsyncReadCompatExt;

pub const USER: &str = "alice";
pub const PASSWORD: &str = "correct horse battery staple";

/// Timers from tokio.
#[derive(Clone, Copy, Debug)]
pub struct TokioClock;

impl Clock for TokioClock {
    fn sleep_until(&self, deadline: Instant) -> Sleep {
        Box::pin(tokio::time::sleep_until(deadline.into()))
    }
}

/// One message the server received.
#[derive(Clone, Debug, Default)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

/// How the test server behaves.
#[derive(Clone, Debug)]
pub struct Behaviour {
    pub tls: ServerTls,
    pub chunking: bool,
    pub auth: bool,
    pub max_recipients: usize,
    pub max_message_size: u64,
    pub idle_timeout: Option<Duration>,
    /// LMTP (RFC 2033); recipients starting with `full` get 452 after the
    /// data.
    pub lmtp: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerTls {
    None,
    StartTls,
    Implicit,
}

impl Default for Behaviour {
    fn default() -> Self {
        Self {
            tls: ServerTls::StartTls,
            chunking: true,
            auth: true,
            max_recipients: 100,
            max_message_size: 64 * 1024 * 1024,
            idle_timeout: None,
            lmtp: false,
        }
    }
}

/// What the server saw, shared with the test.
#[derive(Clone, Debug, Default)]
pub struct Store {
    pub messages: Arc<Mutex<Vec<Received>>>,
    /// Message bytes received so far (all messages).
    pub data_bytes: Arc<AtomicU64>,
    pub connections: Arc<AtomicUsize>,
    /// Connections open right now, and the most at once.
    pub live: Arc<AtomicUsize>,
    pub peak_live: Arc<AtomicUsize>,
}

impl Store {
    pub fn messages(&self) -> Vec<Received> {
        self.messages.lock().unwrap().clone()
    }
}

fn config(behaviour: &Behaviour) -> ServerConfig {
    let mut config = ServerConfig::new(Domain::new("mx.example.org").unwrap());
    config.extensions.chunking = behaviour.chunking;
    config.extensions.starttls = behaviour.tls == ServerTls::StartTls;
    if behaviour.auth {
        config.extensions.auth = vec![Mechanism::Plain, Mechanism::Login];
    }
    config.allow_plaintext_auth = behaviour.tls == ServerTls::None;
    config.lmtp = behaviour.lmtp;
    config.limits.max_recipients = behaviour.max_recipients;
    config.limits.max_message_size = behaviour.max_message_size;
    if let Some(idle) = behaviour.idle_timeout {
        config.timeouts.command = idle;
    }
    config
}

fn server_role() -> TlsRole {
    TlsRole::server(Arc::new(TestPki::shared().server_config(ServerCert::Valid)))
}

/// Serves one connection until it ends.
pub async fn serve<IO: AsyncRead + AsyncWrite + Unpin>(io: IO, behaviour: Behaviour, store: Store) {
    let now = TokioClock.now();
    let server = Server::new(now, config(&behaviour));
    let mut conn = match behaviour.tls {
        ServerTls::None => Connection::new(io, server, TokioClock),
        ServerTls::StartTls => Connection::new_starttls(io, server, TokioClock, server_role()),
        ServerTls::Implicit => {
            Connection::new_implicit_tls(io, server, TokioClock, server_role()).unwrap()
        }
    };
    store.connections.fetch_add(1, Ordering::SeqCst);
    let live = store.live.fetch_add(1, Ordering::SeqCst) + 1;
    store.peak_live.fetch_max(live, Ordering::SeqCst);
    let mut current = Received::default();
    while let Ok(Some(event)) = conn.next_event().await {
        let server = conn.protocol_mut();
        let answer = match event {
            Event::Auth {
                id, authentication, ..
            } => {
                if authentication.username == USER && authentication.password_matches(PASSWORD) {
                    server.accept(id)
                } else {
                    server.reject(id)
                }
            }
            Event::Mail { id, from, .. } => {
                current = Received {
                    from: from.to_string(),
                    ..Received::default()
                };
                server.accept(id)
            }
            Event::Rcpt { id, to, .. } => {
                let to = to.to_string();
                if to.starts_with("<refuse") {
                    server.reject(id)
                } else {
                    current.to.push(to);
                    server.accept(id)
                }
            }
            Event::DataChunk(bytes) => {
                store
                    .data_bytes
                    .fetch_add(bytes.len() as u64, Ordering::SeqCst);
                current.data.extend_from_slice(&bytes);
                Ok(())
            }
            Event::DataEnd { id, .. } => {
                let received = std::mem::take(&mut current);
                let replies: Vec<Reply> = received
                    .to
                    .iter()
                    .map(|to| {
                        let (code, text) = if to.starts_with("<full") {
                            (452, "mailbox full")
                        } else {
                            (250, "delivered")
                        };
                        Reply::new(ReplyCode::new(code).unwrap(), None, [text]).unwrap()
                    })
                    .collect();
                store.messages.lock().unwrap().push(received);
                if behaviour.lmtp {
                    server.reply_lmtp(id, replies)
                } else {
                    server.accept(id)
                }
            }
            Event::DataAborted { .. } => {
                current.data.clear();
                Ok(())
            }
            other => match other.id() {
                Some(id) => server.accept(id),
                None => Ok(()),
            },
        };
        answer.unwrap();
    }
    store.live.fetch_sub(1, Ordering::SeqCst);
}

/// A test server on 127.0.0.1; returns its address.
pub async fn tcp_server(behaviour: Behaviour, store: Store) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(serve(socket.compat(), behaviour.clone(), store.clone()));
        }
    });
    addr
}

/// A TLS configuration trusting the test CA, for `localhost`.
pub fn tls_config() -> TlsConfig {
    TlsConfig::new(Arc::new(TestPki::shared().client_config()), localhost())
}

/// Client options for the behaviour: the matching TLS mode, credentials.
pub fn options(tls: Tls, credentials: bool) -> ClientOptions {
    let mut options = ClientOptions::new(tls, TokioClock);
    if credentials {
        options = options.credentials(postwire_smtp::client::Credentials::password(
            USER,
            PASSWORD.to_string(),
        ));
    }
    options
}

/// A message with a header, a dot line and CRLF endings.
pub fn message(subject: &str) -> Vec<u8> {
    format!("From: alice@example.org\r\nSubject: {subject}\r\n\r\nHello\r\n.leading dot\r\nBye\r\n")
        .into_bytes()
}
