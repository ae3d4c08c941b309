//! Shared building blocks of the postwire mail crates.
//!
//! Every postwire protocol crate (`postwire-smtp-proto`, and the POP3 and IMAP
//! crates after it) is a **sans-IO** state machine: it never touches a socket, a
//! file or the system clock. This crate holds what they share:
//!
//! - [`Protocol`], the contract the async driver (`postwire-io`) runs every
//!   machine through, with [`Transmit`] (what to do on the wire), [`CommandId`]
//!   (which command a reply answers) and [`TlsInfo`] (what the driver learned
//!   from the TLS handshake, including channel-binding data for SCRAM-PLUS).
//! - [`LineFramer`], an incremental CRLF line framer with a hard limit that
//!   never rescans a byte.
//! - [`DotStuffer`] and [`DotUnstuffer`], the streaming transparency procedure
//!   of SMTP DATA (RFC 5321 §4.5.2) and POP3 multi-line responses (RFC 1939 §3).
//! - [`Secret`], a wrapper whose `Debug` prints nothing secret and whose memory
//!   is zeroed on drop.
//!
//! This crate performs no I/O and reads no clock.
//!
//! # The call order of every machine
//!
//! 1. Feed what happened: [`Protocol::handle_input`], [`Protocol::handle_eof`],
//!    [`Protocol::handle_timeout`], [`Protocol::handle_tls_established`], or an
//!    application command (a plain verb such as `ehlo` on the concrete machine).
//! 2. Drain what must happen: [`Protocol::poll_transmit`] until `None`,
//!    [`Protocol::poll_event`] until `None`, then ask [`Protocol::poll_timeout`]
//!    when to call `handle_timeout`.
//!
//! ```
//! use postwire_core::{LineFramer, LineEnding};
//!
//! let mut framer = LineFramer::new(512);
//! framer.push(b"EHLO client.example\r\nMAIL FR");
//! let line = framer.next_line().unwrap().unwrap();
//! assert_eq!(&line.content[..], b"EHLO client.example");
//! assert_eq!(line.ending, LineEnding::CrLf);
//! assert!(framer.next_line().unwrap().is_none()); // need more data, not an error
//! ```

mod dot;
mod line;
mod protocol;
mod secret;
mod tls;

pub use dot::{BareLineEnding, DotStuffer, DotUnstuffer, UnstuffError, Unstuffed};
pub use line::{Line, LineEnding, LineFramer, LineTooLong};
pub use protocol::{CommandId, CommandIds, Protocol, Transmit};
pub use secret::Secret;
pub use tls::{ChannelBinding, TlsInfo, TlsVersion};

/// Re-exported so users of the machines name the same `Bytes` type.
pub use bytes::{Bytes, BytesMut};
