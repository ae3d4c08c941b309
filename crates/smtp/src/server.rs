//! The SMTP server facade: serve a connection with a [`Handler`] that
//! holds only policy.
//!
//! [`serve`] runs [`postwire_smtp_proto::server::Server`] on a
//! [`postwire_io::Connection`]: the machine checks syntax, command order,
//! limits, STARTTLS and AUTH rules and writes those replies; the facade
//! answers what needs no policy; the [`Handler`] decides the rest:
//!
//! | client says            | handler method                   | answer                           |
//! |------------------------|----------------------------------|----------------------------------|
//! | `EHLO`/`HELO`/`LHLO`   | [`Handler::helo`]                | [`Decision`]                     |
//! | `MAIL FROM`            | [`Handler::mail_from`]           | [`Decision`]                     |
//! | `RCPT TO`              | [`Handler::rcpt_to`]             | [`Decision`]                     |
//! | `AUTH` SCRAM, CRAM-MD5 | [`Handler::lookup_secret`]       | stored secret or `None`          |
//! | `AUTH` (after TLS)     | [`Handler::authenticate`]        | identity or `None` (`535 5.7.8`) |
//! | `DATA` / first `BDAT`  | [`Handler::data_start`]          | a [`BodySink`] or a refusal      |
//! | message content        | [`BodySink::write_chunk`]        | streamed, never buffered whole   |
//! | `CRLF.CRLF`/`BDAT LAST`| [`BodySink::finish`]             | the final reply                  |
//!
//! It depends on no runtime: the stream is any `futures-io` type, timers
//! come from the [`Clock`](postwire_io::Clock) in [`ServerOptions`]. For a
//! listener, [`serve_all`] takes a stream of accepted connections and the
//! runtime's spawn function, and enforces a [`ConnectionLimit`]: clients
//! over the cap get `421 4.3.2` ([`reject_busy`]).
//!
//! Security defaults come from the machine (SECURITY.md): AUTH only after
//! TLS, pipelined plaintext after STARTTLS discarded (CVE-2011-0411), only
//! `CRLF.CRLF` ends DATA (SMTP smuggling), bounded memory per connection,
//! idle timeout with `421 4.4.2` (RFC 5321 §4.5.3.2.7), each failed AUTH's
//! `535` held back for `config.timeouts.auth_failure_delay` (2 s, through
//! the [`Clock`](postwire_io::Clock)) and `421` after
//! `config.limits.max_auth_failures` (3) (SECURITY.md A7).
//!
//! AUTH mechanisms come from `config.extensions.auth`
//! ([`ServerConfig::with_password_auth`] for PLAIN and LOGIN). With
//! [`ServerConfig::with_scram_auth`] (which turns on `config.secret_lookup`)
//! the server also offers SCRAM-SHA-256, and SCRAM-SHA-256-PLUS when the
//! TLS layer exports channel-binding data; [`Handler::lookup_secret`]
//! returns the stored keys and [`Handler::authenticate`] then receives
//! verified credentials. CRAM-MD5 additionally needs
//! `config.sasl.allow_plaintext_equivalent`.
//!
//! # Limits
//!
//! LMTP is spoken when `config.lmtp` is set, but the facade answers the end
//! of data with one reply, repeated per recipient: per-recipient LMTP
//! delivery results need the machine's `reply_lmtp` directly. Under BDAT,
//! [`Handler::data_start`] runs on the first chunk, after the client may
//! have sent the whole message: its refusal answers the last chunk.

mod handler;
mod limit;
mod listener;
mod options;
mod session;

pub use handler::{BodySink, Decision, Envelope, Handler, Session, reply};
pub use limit::reject_busy;
pub use listener::{ConnectionTask, serve_all};
pub use options::{ServerOptions, TlsMode, TranscriptFactory};
pub use postwire_io::{ConnectionGuard, ConnectionLimit};
pub use postwire_smtp_proto::server::{
    Authentication, Evidence, Extensions, HeloKind, Limits, Mechanism, ScramCredentials,
    SecretKind, SecretRequest, ServerConfig, StoredSecret, Timeouts,
};
pub use session::{ServeError, serve};
