//! The SMTP client facade: [`SmtpClient`] for one session, [`Pool`] for
//! many, over any `futures-io` stream the application connected.
//!
//! All SMTP syntax and sequencing comes from
//! [`postwire_smtp_proto::client::Client`]; all I/O, TLS and timers from
//! [`postwire_io::Connection`]. This module only strings the steps
//! together and reports typed results:
//!
//! 1. [`SmtpClient::connect`] with [`ClientOptions`]: greeting, EHLO,
//!    STARTTLS ([`Tls`]; required by default) and EHLO again, AUTH with the
//!    strongest mechanism offered;
//! 2. [`SmtpClient::send`] (bytes) or [`SmtpClient::send_reader`]
//!    (streamed) per message, each returning a [`SendReport`]; recipients
//!    deferred with 452 are retried in a follow-up transaction by `send`;
//! 3. [`SmtpClient::quit`].
//!
//! A server saying no to a recipient or a message is in the report; an
//! [`Error`] means the operation could not run. Operations are
//! cancellation-safe in the sense that a dropped future *poisons* the
//! client ([`SmtpClient::is_poisoned`]) instead of leaving a half-sent
//! transaction to be continued by accident.
//!
//! The facade never reads or writes the message header: Bcc is an
//! envelope recipient the caller left out of the header ([`Envelope`]).

mod error;
mod options;
mod pool;
mod report;
mod session;

pub use error::{ConnectionError, Error};
pub use options::{ClientOptions, DEFAULT_CHUNK_SIZE, Tls, TlsConfig};
pub use pool::{Connector, Pool, PoolOptions, PoolStatus, PooledClient};
pub use report::{Envelope, RecipientStatus, SendReport};
pub use session::SmtpClient;

/// The SASL credentials of [`ClientOptions::credentials`].
pub use postwire_sasl::client::Credentials;
/// The body facts for [`SmtpClient::send_reader_with`], and the protocol
/// envelope with RCPT parameters (DSN), re-exported.
pub use postwire_smtp_proto::client::{BodyInfo, Envelope as WireEnvelope, Timeouts};
