//! The async driver of postwire: one generic [`Connection`] runs any
//! sans-IO [`Protocol`](postwire_core::Protocol) machine (SMTP, POP3, IMAP,
//! client or server) on any `futures-io` stream, with TLS from rustls.
//!
//! The machines never touch a socket or a clock; this crate does, and only
//! this: it reads, writes, runs the TLS layer and the machine's timer, and
//! hands events to the application. It depends on no async runtime: the
//! stream is any `AsyncRead + AsyncWrite + Unpin` (tokio users adapt theirs
//! with `tokio_util::compat::TokioAsyncReadCompatExt::compat`), and timers
//! come from a [`Clock`] the application implements in three lines.
//!
//! # The loop
//!
//! Each call to [`Connection::next_event`] (or `flush`, `close`) runs this
//! until an event is ready or nothing can move:
//!
//! 1. drain the machine: its transmits into the output queue, its events
//!    into the event queue (an event ready means return it);
//! 2. write: plaintext straight to the stream, or through rustls under TLS;
//!    when `Transmit::StartTls` reaches the head of the queue, everything
//!    before it is written and flushed, the driver checks that it holds no
//!    received plaintext ([`Error::PlaintextBeforeTls`] otherwise), and runs
//!    the handshake on the same stream; `Transmit::Close` sends
//!    close_notify and closes;
//! 3. read: every byte read goes to the machine at once (decrypted first
//!    under TLS); during a handshake bytes read are TLS records for rustls
//!    only, never for the machine;
//! 4. time: when the machine's `poll_timeout` (or the handshake deadline)
//!    passes, call `handle_timeout`.
//!
//! Reads, writes and timers progress in the same poll, so two peers that
//! write large data at once never deadlock.
//!
//! # STARTTLS
//!
//! A machine emits `Transmit::StartTls` right after the bytes of its
//! STARTTLS command or its "go ahead" reply. From then on the driver feeds
//! the machine nothing; it runs the handshake in the [`TlsRole`] the
//! connection was built with, then calls `handle_tls_established` with a
//! [`TlsInfo`](postwire_core::TlsInfo) (version, cipher suite, ALPN, peer
//! certificates, and channel-binding data: `tls-exporter` per RFC 9266 on
//! TLS 1.3, `tls-server-end-point` per RFC 5929 §4).
//!
//! Injected plaintext (CVE-2011-0411, the NO STARTTLS attacks) is never
//! processed, wherever it falls:
//! - in the same read as the STARTTLS command or reply: the driver gave the
//!   machine every byte at once, and the machine refuses bytes that follow
//!   its STARTTLS exchange;
//! - while the driver is still writing the STARTTLS command or reply:
//!   [`Error::PlaintextBeforeTls`];
//! - after that: the bytes reach rustls as TLS records and fail the
//!   handshake ([`Error::Tls`]).
//!
//! # Cancellation
//!
//! All state lives in the [`Connection`], none in the futures it returns:
//! a dropped `next_event` loses nothing, and the next call resumes a
//! half-written transmit. [`Connection::is_poisoned`] tells a pool that a
//! future was dropped with output half written, so the peer may have seen
//! a partial command.
//!
//! # Limits
//!
//! Memory per connection is bounded whatever the peer does: a fixed
//! [`READ_BUFFER_SIZE`] read buffer (plus one for decrypted plaintext under
//! TLS), rustls's own bounded buffers, at most
//! [`Config::output_backlog_limit`] bytes of replies awaiting the peer
//! before the driver stops reading, and [`Config::max_buffered_events`]
//! events read during `flush`/`close`. Output the application queues itself
//! is the application's memory: stream large payloads in chunks with
//! [`Connection::flush_until`]. The driver does not retry, reconnect or
//! pool; it does not resolve names or connect. Closing waits until the
//! peer accepted our last bytes (and close_notify); wrap `close` in the
//! runtime's timeout to bound it against a peer that stops reading.
//!
//! # Example
//!
//! ```
//! use std::time::Instant;
//! use postwire_io::{Clock, Connection, Sleep};
//! # use postwire_core::{Bytes, Protocol, TlsInfo, Transmit};
//! # /// Says hello, then reports each line received.
//! # #[derive(Default)]
//! # struct Hello { out: Vec<Transmit>, events: Vec<Bytes>, closed: bool }
//! # impl Hello {
//! #     fn new() -> Self { Hello { out: vec![Transmit::Data(Bytes::from_static(b"HELLO\r\n"))], ..Default::default() } }
//! #     fn quit(&mut self) { self.out.push(Transmit::Close); self.closed = true; }
//! # }
//! # impl Protocol for Hello {
//! #     type Event = Bytes;
//! #     type Error = std::io::Error;
//! #     fn handle_input(&mut self, _now: Instant, data: &[u8]) -> Result<(), Self::Error> {
//! #         self.events.insert(0, Bytes::copy_from_slice(data)); Ok(())
//! #     }
//! #     fn handle_eof(&mut self, _now: Instant) -> Result<(), Self::Error> { self.closed = true; Ok(()) }
//! #     fn handle_timeout(&mut self, _now: Instant) -> Result<(), Self::Error> { Ok(()) }
//! #     fn handle_tls_established(&mut self, _now: Instant, _info: TlsInfo) -> Result<(), Self::Error> { Ok(()) }
//! #     fn poll_transmit(&mut self) -> Option<Transmit> { if self.out.is_empty() { None } else { Some(self.out.remove(0)) } }
//! #     fn poll_event(&mut self) -> Option<Bytes> { self.events.pop() }
//! #     fn poll_timeout(&self) -> Option<Instant> { None }
//! #     fn is_closed(&self) -> bool { self.closed }
//! # }
//!
//! /// Timers from tokio; any runtime's timer works the same way.
//! struct TokioClock;
//!
//! impl Clock for TokioClock {
//!     fn sleep_until(&self, deadline: Instant) -> Sleep {
//!         Box::pin(tokio::time::sleep_until(deadline.into()))
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Any futures-io stream: here an in-memory pair; for TCP use
//! // `tokio::net::TcpStream::connect(..).await?.compat()`.
//! let (a, b) = postwire_testkit::duplex(4096);
//! let mut left = Connection::new(a, Hello::new(), TokioClock);
//! let mut right = Connection::new(b, Hello::new(), TokioClock);
//!
//! left.flush().await?; // writes left's greeting
//! let line = right.next_event().await?.expect("an event");
//! assert_eq!(&line[..], b"HELLO\r\n");
//!
//! right.protocol_mut().quit(); // a verb; its output goes out on the next call
//! assert!(right.next_event().await?.is_none()); // closed
//! # Ok(())
//! # }
//! ```

mod binding;
mod client_tls;
mod clock;
mod config;
mod connection;
mod error;
mod limit;
mod listener;
mod queue;
mod tls;
pub mod transcript;

pub use client_tls::{Tls, TlsConfig};
pub use clock::{Clock, Sleep};
pub use config::{Config, READ_BUFFER_SIZE};
pub use connection::{Connection, Stats};
pub use error::Error;
pub use limit::{ConnectionGuard, ConnectionLimit, refuse};
pub use listener::{ConnectionTask, serve_each};
pub use tls::TlsRole;
pub use transcript::{Direction, Redactor, Transcript};

/// The rustls this crate was built with, to name its config types.
pub use rustls;
