//! Why a client operation failed.

use postwire_smtp_proto::Reply;
use postwire_smtp_proto::client::UsageError;

/// The driver's error for the SMTP client machine.
pub type ConnectionError = postwire_io::Error<postwire_smtp_proto::client::Error>;

/// Why an [`SmtpClient`](super::SmtpClient) or [`Pool`](super::Pool)
/// operation failed.
///
/// A server refusing a recipient or a message is not an error: it is in
/// the [`SendReport`](super::SendReport). [`is_fatal`](Self::is_fatal)
/// tells whether the client can still be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The application's connector could not open a connection.
    #[error("connect failed: {0}")]
    Connect(#[source] std::io::Error),
    /// The connection failed: i/o, TLS (certificate, handshake), the
    /// protocol (timeout, malformed reply, 421, STARTTLS required but not
    /// offered or refused, response injection).
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    /// The server closed the connection while a reply was awaited.
    #[error("the server closed the connection")]
    ConnectionClosed,
    /// The greeting was not 220 (RFC 5321 §3.1).
    #[error("the server refused the session: {}", show(.0))]
    GreetingRefused(Reply),
    /// EHLO was refused.
    #[error("the server refused ehlo: {}", show(.0))]
    EhloRefused(Reply),
    /// AUTH failed (RFC 4954 §4: 535, 534, 454, ...).
    #[error("authentication failed: {}", show(.0))]
    AuthFailed(Reply),
    /// The call is not possible now (nothing was sent): no recipients, an
    /// extension the server lacks, a message over its SIZE, AUTH without
    /// TLS, no common SASL mechanism, ...
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// Reading the message body failed mid-transaction. A DATA body cannot
    /// be abandoned (RFC 5321 §4.1.1.4), so the connection is given up.
    #[error("reading the message body failed: {0}")]
    Body(#[source] std::io::Error),
    /// The server took no body data for longer than the data block
    /// timeout (RFC 5321 §4.5.3.2.5); the connection is given up.
    #[error("timed out writing the message body")]
    WriteTimeout,
    /// A previous operation's future was dropped before it finished, so
    /// the session may be in the middle of a command or a message; the
    /// client refuses to go on (drop it and connect again).
    #[error("the client is poisoned: an earlier operation was cancelled midway")]
    Poisoned,
    /// The client failed earlier or was closed by `quit`.
    #[error("the client is closed")]
    Closed,
    /// The server's replies did not fit the operation (a bug or a broken
    /// server); the client is given up.
    #[error("unexpected event from the smtp session: {0}")]
    UnexpectedEvent(&'static str),
}

impl Error {
    /// Whether the client is unusable after this error (drop it). Only
    /// [`Error::Usage`] leaves the session as it was; after
    /// [`Error::AuthFailed`] and [`Error::EhloRefused`] from `connect`
    /// there is no client anyway.
    pub fn is_fatal(&self) -> bool {
        !matches!(self, Error::Usage(_))
    }
}

fn show(reply: &Reply) -> String {
    format!("{} {}", reply.code(), reply.text().replace('\n', " / "))
}
