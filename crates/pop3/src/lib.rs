//! Async POP3 over `postwire-io`: a typed client and a server facade.
//!
//! This crate has no wire-format knowledge of its own: every command,
//! answer, state and security rule comes from the sans-IO machines of
//! [`postwire_pop3_proto`], every byte, TLS handshake and timer from
//! [`postwire_io::Connection`]. What it adds is the typed shape an
//! application wants: `client.stat().await?`, a message as a stream of
//! chunks, a [`server::MailStore`] trait instead of events. No runtime is
//! assumed: bring a `futures-io` stream (tokio users wrap theirs with
//! `tokio_util::compat`) and a [`postwire_io::Clock`].
//!
//! # Client
//!
//! [`client::Pop3Client::connect`] reads the greeting, runs CAPA and STLS
//! (required by default, RFC 2595) and CAPA again; then a login
//! ([`login`](client::Pop3Client::login) with USER/PASS, refused without
//! TLS unless allowed; [`apop`](client::Pop3Client::apop);
//! [`authenticate`](client::Pop3Client::authenticate) with the strongest
//! SASL mechanism offered, SCRAM-SHA-256-PLUS bound to the TLS channel
//! first), the TRANSACTION commands, and [`quit`](client::Pop3Client::quit),
//! when the server deletes what was marked. A `-ERR` is an
//! [`Error::Refused`](client::Error::Refused) carrying the server's
//! response; a dropped operation future poisons the client.
//!
//! ```no_run
//! use std::sync::Arc;
//! use postwire_pop3::client::{ClientOptions, Pop3Client, Tls, TlsConfig};
//! use tokio_util::compat::TokioAsyncReadCompatExt;
//!
//! struct TokioClock;
//! impl postwire_io::Clock for TokioClock {
//!     fn sleep_until(&self, deadline: std::time::Instant) -> postwire_io::Sleep {
//!         Box::pin(tokio::time::sleep_until(deadline.into()))
//!     }
//! }
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let roots = rustls::RootCertStore::empty(); // add the system's or webpki roots
//! let provider = Arc::new(rustls::crypto::ring::default_provider());
//! let tls = rustls::ClientConfig::builder_with_provider(provider)
//!     .with_safe_default_protocol_versions()?
//!     .with_root_certificates(roots)
//!     .with_no_client_auth();
//! let tls = TlsConfig::new(Arc::new(tls), "pop.example.org".try_into()?);
//! let options = ClientOptions::new(Tls::StartTls(tls), TokioClock);
//!
//! let tcp = tokio::net::TcpStream::connect("pop.example.org:110").await?;
//! let mut client = Pop3Client::connect(tcp.compat(), options).await?;
//! client.login("alice", "app password").await?;
//! for entry in client.list().await? {
//!     let n = entry.msg.get();
//!     // Stream the message: a 1 GB message is never in memory at once.
//!     let mut message = client.retr(n).await?;
//!     let mut file = Vec::new(); // a file in real life
//!     while let Some(chunk) = message.next_chunk().await? {
//!         file.extend_from_slice(&chunk);
//!     }
//!     client.dele(n).await?; // only marked: deleted at QUIT
//! }
//! client.quit().await?;
//! # Ok(()) }
//! ```
//!
//! # Server
//!
//! [`server::serve`] runs one connection: the machine answers everything
//! it can (CAPA, STAT, LIST, UIDL, DELE, RSET, NOOP, every refusal) and
//! asks the application's [`server::MailStore`] only to check credentials,
//! list and lock a maildrop, read a message as an `AsyncRead` (streamed,
//! dot-stuffed by the machine), and delete at QUIT. [`server::serve_all`]
//! adds a listener loop with a [`server::ConnectionLimit`].
//!
//! ```no_run
//! use futures_lite::io::Cursor;
//! use postwire_pop3::server::{
//!     self, Decision, Login, MailStore, MaildropEntry, ServerConfig, ServerOptions, Session,
//!     TlsMode,
//! };
//! use postwire_pop3_proto::{MessageNumber, Response, ResponseCode, UniqueId};
//! use tokio_util::compat::TokioAsyncReadCompatExt;
//!
//! /// One user with messages in memory (a real store reads files).
//! struct Store;
//! const MESSAGE: &[u8] = b"From: bob@example.org\r\nSubject: hi\r\n\r\nHello\r\n";
//!
//! impl MailStore for Store {
//!     type Message = Cursor<&'static [u8]>;
//!
//!     async fn authenticate(&mut self, _: &Session, login: Login<'_>) -> Decision {
//!         if login.username() == "alice" && login.password_matches("secret") {
//!             Decision::Accept
//!         } else {
//!             Decision::Reject
//!         }
//!     }
//!     async fn open(&mut self, _: &Session, _user: &str) -> Result<Vec<MaildropEntry>, Response> {
//!         // Lock the maildrop here; a second session gets [IN-USE].
//!         let uid = UniqueId::new("msg-1").map_err(|_| in_use())?;
//!         Ok(vec![MaildropEntry::new(MESSAGE.len() as u64, uid)])
//!     }
//!     async fn read(&mut self, _: &Session, _: MessageNumber, _: &UniqueId) -> std::io::Result<Self::Message> {
//!         Ok(Cursor::new(MESSAGE))
//!     }
//!     async fn delete(&mut self, _: &Session, deleted: &[(MessageNumber, UniqueId)]) -> std::io::Result<()> {
//!         println!("deleting {} messages", deleted.len()); // only after QUIT
//!         Ok(())
//!     }
//! }
//!
//! fn in_use() -> Response {
//!     Response::err("maildrop busy").unwrap().with_code(ResponseCode::InUse)
//! }
//!
//! struct TokioClock;
//! impl postwire_io::Clock for TokioClock {
//!     fn sleep_until(&self, deadline: std::time::Instant) -> postwire_io::Sleep {
//!         Box::pin(tokio::time::sleep_until(deadline.into()))
//!     }
//! }
//!
//! /// `tls`: the certificate and key, as a rustls `ServerConfig`.
//! async fn run(tls: std::sync::Arc<rustls::ServerConfig>) -> std::io::Result<()> {
//!     let options = ServerOptions::new(ServerConfig::new("pop.example.org"), TokioClock)
//!         .with_tls(tls, TlsMode::StartTls);
//!     let options = std::sync::Arc::new(options);
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:1110").await?;
//!     loop {
//!         let (socket, _peer) = listener.accept().await?;
//!         let options = options.clone();
//!         tokio::spawn(async move { server::serve(socket.compat(), &options, Store).await });
//!     }
//! }
//! # fn main() {}
//! ```
//!
//! # Standards
//!
//! RFC 1939 (POP3), RFC 2449 (CAPA, PIPELINING, response codes), RFC 2595
//! (STLS), RFC 3206 (`[SYS/...]` and `[AUTH]` codes), RFC 5034 (SASL),
//! RFC 8314 (implicit TLS on port 995), through the machines of
//! `postwire-pop3-proto` and the mechanisms of `postwire-sasl`.
//!
//! # Limits
//!
//! Memory per connection is bounded whatever the peer sends: the limits of
//! the machines (512-octet lines, 12288 during AUTH, listings of at most
//! 1,000,000 entries on the client) and of the driver (16 KiB reads, a
//! bounded output backlog). Message content is never held whole on either
//! side: the client hands it out chunk by chunk as it arrives
//! ([`client::MessageReader`]); the server reads it from the store
//! [`server::ServerOptions::chunk_size`] octets at a time and writes each
//! piece before reading the next, within
//! [`server::ServerOptions::write_timeout`].
//!
//! The client does not pipeline (one command at a time), does not
//! reconnect and does not resolve names. [`client::Pop3Client::login`]
//! and friends take credentials per call; nothing is stored. The
//! transcript hook ([`Pop3Redactor`]) never shows a password, APOP digest,
//! SASL response or message content.

pub mod client;
pub mod server;

mod redact;

pub use redact::Pop3Redactor;
