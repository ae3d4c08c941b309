//! Async SMTP over `postwire-io`: a typed client, a connection pool and a
//! server facade (crate docs are completed when both halves land).
//!
//! # Client
//!
//! [`client::SmtpClient::connect`] runs the opening of a session on a
//! stream the application connected (greeting, EHLO, STARTTLS, required by
//! default, and AUTH with the strongest mechanism offered); then
//! [`send`](client::SmtpClient::send) or
//! [`send_reader`](client::SmtpClient::send_reader) per message, each
//! returning a [`client::SendReport`] with one status per recipient.
//! [`client::Pool`] shares a bounded number of connections between tasks.
//! A dropped operation future poisons the client rather than leaving half
//! a transaction to be continued. The message bytes are the caller's: the
//! client never writes a header (Bcc is an envelope recipient only).
//!
//! ```no_run
//! use std::sync::Arc;
//! use postwire_smtp::client::{ClientOptions, Credentials, Envelope, SmtpClient, Tls, TlsConfig};
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
//! let server_name = "mail.example.org".try_into()?;
//! let options = ClientOptions::new(Tls::StartTls(TlsConfig::new(Arc::new(tls), server_name)), TokioClock)
//!     .credentials(Credentials::password("alice", "app password"));
//!
//! let tcp = tokio::net::TcpStream::connect("mail.example.org:587").await?;
//! let mut client = SmtpClient::connect(tcp.compat(), options).await?;
//! let envelope = Envelope::parse("alice@example.org")?
//!     .to("bob@example.org".parse()?)
//!     .bcc("archive@example.org".parse()?);
//! let report = client
//!     .send(envelope, b"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: hi\r\n\r\nHello\r\n")
//!     .await?;
//! for (recipient, status) in &report.recipients {
//!     println!("{recipient}: {status:?}");
//! }
//! client.quit().await?;
//! # Ok(()) }
//! ```
//!
//! # Server
//!
//! [`server::serve`] runs one connection; the application writes only
//! policy, as a [`server::Handler`], and receives each message as a stream
//! of chunks through a [`server::BodySink`]. [`server::serve_all`] adds a
//! listener loop with a [`server::ConnectionLimit`] (`421 4.3.2` over the
//! cap). No runtime is assumed: bring a `futures-io` stream and a
//! [`postwire_io::Clock`].
//!
//! ```no_run
//! use postwire_smtp::server::{self, BodySink, Decision, Envelope, Handler, ServerOptions, Session};
//! use postwire_smtp_proto::{Domain, ForwardPath, RcptParameters, Reply};
//! use postwire_smtp_proto::server::ServerConfig;
//! use tokio_util::compat::TokioAsyncReadCompatExt;
//!
//! struct Policy;
//! struct Counter(usize);
//!
//! impl BodySink for Counter {
//!     async fn write_chunk(&mut self, chunk: bytes::Bytes) -> std::io::Result<()> {
//!         self.0 += chunk.len(); // write to disk here: never the whole message in memory
//!         Ok(())
//!     }
//!     async fn finish(self) -> Reply {
//!         server::reply(250, (2, 0, 0), &format!("{} octets queued", self.0)).unwrap()
//!     }
//! }
//!
//! impl Handler for Policy {
//!     type Body = Counter;
//!     async fn rcpt_to(&mut self, _: &Session, to: &ForwardPath, _: &RcptParameters) -> Decision {
//!         if to.to_string().ends_with("@example.org>") { Decision::Accept } else { Decision::Reject }
//!     }
//!     async fn data_start(&mut self, _: &Session, _: &Envelope) -> Result<Counter, Reply> {
//!         Ok(Counter(0))
//!     }
//! }
//!
//! struct TokioClock;
//! impl postwire_io::Clock for TokioClock {
//!     fn sleep_until(&self, deadline: std::time::Instant) -> postwire_io::Sleep {
//!         Box::pin(tokio::time::sleep_until(deadline.into()))
//!     }
//! }
//!
//! # #[tokio::main] async fn main() -> std::io::Result<()> {
//! let config = ServerConfig::new(Domain::new("mx.example.org").unwrap());
//! let options = std::sync::Arc::new(ServerOptions::new(config, TokioClock));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:2525").await?;
//! loop {
//!     let (socket, _peer) = listener.accept().await?;
//!     let options = options.clone();
//!     tokio::spawn(async move { server::serve(socket.compat(), &options, Policy).await });
//! }
//! # }
//! ```

pub mod client;
pub mod server;

mod redact;

pub use redact::SmtpRedactor;
