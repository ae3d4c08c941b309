//! SMTP, ESMTP and LMTP as sans-IO state machines: types, parser, encoder,
//! [`client::Client`] and [`server::Server`].
//!
//! This crate performs **no I/O** and reads no clock. The machines take the
//! peer's bytes and the current time as arguments and hand back what to
//! write ([`postwire_core::Transmit`]), what happened ([`client::Event`],
//! [`server::Event`]) and when to wake them ([`Protocol::poll_timeout`](postwire_core::Protocol::poll_timeout)).
//! `postwire-io` runs them on sockets with TLS; a blocking loop over
//! the standard library's `TcpStream` works just as well (the `blocking_send`
//! example).
//!
//! # Layers
//!
//! - **Framing**: [`postwire_core::LineFramer`] cuts lines with a hard
//!   limit and never rescans a byte; DATA goes through
//!   [`postwire_core::DotUnstuffer`] / [`postwire_core::DotStuffer`].
//! - **Grammar**: nom parsers over complete lines, named after the ABNF
//!   rules of RFC 5321 (`reverse_path`, `mailbox`, `esmtp_param`, ...):
//!   [`Command::parse`], [`ReplyParser`], [`Capabilities::from_ehlo_reply`].
//! - **Types** validate at construction ([`Mailbox`], [`Domain`],
//!   [`Parameter`], [`Reply`], ...), so encoding ([`Command::encode`],
//!   [`Reply::encode`]) cannot fail and cannot put CR or LF on the wire.
//! - **Sessions**: [`client`] and [`server`], each with its own call order,
//!   example and limits in its module docs.
//!
//! # Call order (both machines)
//!
//! ```text
//! new(now, config)
//! loop {
//!     feed:  handle_input(now, bytes) | handle_eof(now) | handle_timeout(now)
//!            | handle_tls_established(now, info) | a verb (ehlo, send_mail, accept, reply, ...)
//!     drain: poll_transmit() until None   (write Data, start TLS, close)
//!            poll_event() until None      (replies, commands, body chunks)
//!            poll_timeout()               (when to call handle_timeout)
//! }
//! ```
//!
//! # Example: parse and encode
//!
//! ```
//! use bytes::BytesMut;
//! use postwire_smtp_proto::{Command, ForwardPath, Mailbox, Notify};
//!
//! let command = Command::parse(b"RCPT TO:<bob@example.org> NOTIFY=SUCCESS,FAILURE").unwrap();
//! let Command::Rcpt { to, params } = &command else { unreachable!() };
//! assert_eq!(to, &ForwardPath::Mailbox(Mailbox::parse("bob@example.org").unwrap()));
//! assert!(matches!(params.notify, Some(Notify::On { success: true, failure: true, delay: false })));
//!
//! let mut wire = BytesMut::new();
//! command.encode(&mut wire);
//! assert_eq!(&wire[..], b"RCPT TO:<bob@example.org> NOTIFY=SUCCESS,FAILURE\r\n");
//! ```
//!
//! Complete client and server sessions are in the [`client`] and [`server`]
//! module docs.
//!
//! # Standards
//!
//! RFC 5321 (SMTP), RFC 1869/5321 §4.1.1.1 (EHLO), RFC 2033 (LMTP),
//! RFC 2920 (PIPELINING), RFC 3030 (CHUNKING, BINARYMIME), RFC 3207
//! (STARTTLS), RFC 4954 (AUTH), RFC 1870 (SIZE), RFC 6152 (8BITMIME),
//! RFC 6531 (SMTPUTF8), RFC 3461 (DSN), RFC 3463 and RFC 2034 (enhanced
//! status codes), RFC 8689 (REQUIRETLS), RFC 2852 (DELIVERBY), RFC 6710
//! (MT-PRIORITY).
//!
//! # Limits
//!
//! Defaults follow RFC 5321 and Postfix: command lines 512 octets (AUTH
//! lines and SASL responses 12288, RFC 4954 §4), local part 64, domain 255,
//! path 256, 100 recipients per transaction, 10 MB messages, 20 bad
//! commands before disconnect, RFC 5321 §4.5.3.2 timeouts. Replies read by
//! the client: lines up to 4096 octets, 100 lines and 64 KiB per reply
//! (real servers exceed the RFC's 512). Every limit is a field of the
//! machines' `Limits`; exceeding one gets the protocol's reply or a clear
//! error, never unbounded memory.
//!
//! # Security
//!
//! Only `CRLF.CRLF` ends DATA and bare CR/LF are refused by default (SMTP
//! smuggling); plaintext pipelined after STARTTLS is never executed and a
//! reply injected after the client's `220` aborts (CVE-2011-0411 and the
//! NO STARTTLS cases); credentials are not sent or accepted without TLS
//! unless configured; `Debug` of anything carrying AUTH data prints no
//! secret.

mod capability;
mod command;
mod error;
mod grammar;
mod mailbox;
mod params;
mod reply;
mod xtext;

pub mod client;
pub mod server;

pub use capability::Capabilities;
pub use command::{Argument, AuthResponse, ClientId, Command, MechanismName};
pub use error::{ParseError, ParseErrorKind};
pub use mailbox::{
    AddressLiteral, Domain, ForwardPath, Host, LocalPart, MAX_DOMAIN, MAX_LOCAL_PART, MAX_PATH,
    Mailbox, ReversePath,
};
pub use params::{
    AuthParameter, Body, DeliverBy, DeliverByMode, MailParameters, Notify, OriginalRecipient,
    Parameter, RcptParameters, Ret,
};
pub use reply::{EnhancedStatusCode, Reply, ReplyCode, ReplyParser};
