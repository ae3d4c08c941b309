//! POP3 as sans-IO state machines: types, parser, encoder,
//! [`client::Client`] and [`server::Server`].
//!
//! This crate performs **no I/O** and reads no clock. The machines take the
//! peer's bytes and the current time as arguments and hand back what to
//! write ([`postwire_core::Transmit`]), what happened ([`client::Event`],
//! [`server::Event`]) and when to wake them
//! ([`Protocol::poll_timeout`](postwire_core::Protocol::poll_timeout)).
//! `postwire-io` runs them on sockets with TLS; a blocking loop over
//! the standard library's `TcpStream` works just as well (the `blocking_send`
//! example).
//!
//! # Layers
//!
//! - **Framing**: [`postwire_core::LineFramer`] cuts status, command and
//!   listing lines with a hard limit; message content (RETR, TOP) streams
//!   through [`postwire_core::DotUnstuffer`] on the client and
//!   [`postwire_core::DotStuffer`] on the server, never held whole.
//! - **Grammar**: [`Command::parse`], [`Response::parse`],
//!   [`AuthResponse::parse`], [`Stat::parse`], [`ScanListing::parse`],
//!   [`UidListing::parse`], [`Capabilities::from_lines`], over complete
//!   lines.
//! - **Types** validate at construction ([`Argument`], [`MessageNumber`],
//!   [`UniqueId`], [`Timestamp`], [`ApopDigest`], [`Response`]), so
//!   encoding ([`Command::encode`], [`Response::encode`]) cannot fail and
//!   cannot put CR or LF on the wire.
//! - **Sessions**: [`client`] and [`server`], each with its own call order,
//!   example and limits in its module docs.
//!
//! # Call order (both machines)
//!
//! ```text
//! new(now, config)
//! loop {
//!     feed:  handle_input(now, bytes) | handle_eof(now) | handle_timeout(now)
//!            | handle_tls_established(now, info) | a verb (capa, login, retr, accept, ...)
//!     drain: poll_transmit() until None   (write Data, start TLS, close)
//!            poll_event() until None      (answers, commands, message chunks)
//!            poll_timeout()               (when to call handle_timeout)
//! }
//! ```
//!
//! # Example: parse and encode
//!
//! ```
//! use bytes::BytesMut;
//! use postwire_pop3_proto::{Command, MessageNumber, Response, ResponseCode};
//!
//! let command = Command::parse(b"top 1 10").unwrap();
//! assert_eq!(command, Command::Top { msg: MessageNumber::new(1).unwrap(), lines: 10 });
//! let mut wire = BytesMut::new();
//! command.encode(&mut wire);
//! assert_eq!(&wire[..], b"TOP 1 10\r\n");
//!
//! let response = Response::parse(b"-ERR [IN-USE] Do you have another POP session running?").unwrap();
//! assert!(!response.is_ok());
//! assert_eq!(response.code(), Some(&ResponseCode::InUse));
//!
//! // Types refuse what would inject a line.
//! assert!(Command::pass("secret\r\nDELE 1").is_err());
//! ```
//!
//! Complete client and server sessions are in the [`client`] and [`server`]
//! module docs.
//!
//! # Standards
//!
//! RFC 1939 (POP3: USER/PASS, APOP, STAT, LIST, RETR, DELE, NOOP, RSET,
//! QUIT, TOP, UIDL), RFC 2449 (CAPA, PIPELINING, extended response codes
//! `[IN-USE]` and `[LOGIN-DELAY]`), RFC 3206 (`[SYS/TEMP]`, `[SYS/PERM]`,
//! `[AUTH]`), RFC 2595 (STLS), RFC 5034 (SASL AUTH with initial response),
//! RFC 6856 (UTF8, `[UTF8]`, and LANG: the server's own text is English,
//! so it lists `en` and takes any range that matches it, RFC 4647).
//!
//! # Limits
//!
//! Defaults follow RFC 2449 and SECURITY.md: command and response lines 512
//! octets, AUTH lines and SASL responses 12288 (RFC 5034 §4), listings up
//! to 1,000,000 entries on the client, 20 bad commands and 3 failed logins
//! before the server disconnects, a 2 second failure delay, the RFC 1939
//! §3 autologout timer of 10 minutes. Message content is never buffered
//! whole on either side: memory per connection is bounded by the limits
//! and the largest single read, whatever the peer sends.
//!
//! # Security
//!
//! STLS injection is refused on both sides (bytes after the client's `+OK`,
//! commands pipelined behind the server's STLS); credentials are not sent or
//! accepted without TLS unless configured; capabilities learned before TLS
//! are forgotten; `Debug` of anything carrying PASS, an APOP digest or SASL
//! data prints no secret.

mod capability;
mod command;
mod error;
mod lang;
mod listing;
mod response;
mod types;

pub mod client;
pub mod server;

pub use capability::{Capabilities, Expire, LoginDelay, Utf8Capability};
pub use command::{AuthResponse, Command};
pub use error::{ParseError, ParseErrorKind};
pub use lang::{Language, LanguageRange};
pub use listing::{ScanListing, Stat, UidListing};
pub use response::{Response, ResponseCode, Status};
pub use types::{ApopDigest, Argument, MessageNumber, Timestamp, UniqueId};
