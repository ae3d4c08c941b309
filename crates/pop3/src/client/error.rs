//! Why a client operation failed.

use postwire_pop3_proto::Response;
use postwire_pop3_proto::client::UsageError;

/// The driver's error for the POP3 client machine.
pub type ConnectionError = postwire_io::Error<postwire_pop3_proto::client::Error>;

/// Why a [`Pop3Client`](super::Pop3Client) operation failed.
///
/// A `-ERR` answer is [`Error::Refused`] or [`Error::AuthFailed`], carrying
/// the server's [`Response`] (with its RFC 2449 §8 / RFC 3206 code such as
/// `[IN-USE]` or `[SYS/TEMP]`); the session goes on after both.
/// [`is_fatal`](Self::is_fatal) tells whether the client can still be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The connection failed: i/o, TLS (certificate, handshake), the
    /// protocol (timeout, malformed answer, `-ERR` greeting, STLS required
    /// but not offered or refused, response injection after STLS).
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    /// The server closed the connection while an answer was awaited.
    #[error("the server closed the connection")]
    ConnectionClosed,
    /// The server answered the command with `-ERR` (RFC 1939 §3): no such
    /// message, a message marked deleted, an unknown command. Not fatal.
    #[error("the server refused the command: {0}")]
    Refused(Response),
    /// USER, PASS, APOP or AUTH got `-ERR` (RFC 1939 §7, RFC 5034 §4); the
    /// session stays in the AUTHORIZATION state. `[AUTH]`, `[IN-USE]`,
    /// `[LOGIN-DELAY]` and `[SYS/TEMP]` codes tell why (RFC 2449 §8,
    /// RFC 3206). Not fatal, though servers often close after a few.
    #[error("authentication failed: {0}")]
    AuthFailed(Response),
    /// The call is not possible now and nothing was sent: credentials
    /// without TLS, a command before login, a SASL mechanism the server did
    /// not offer, APOP without a timestamp, message number 0. Not fatal.
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// A previous operation's future was dropped before it finished, so an
    /// answer may still be on its way; the client refuses to go on (drop it
    /// and connect again).
    #[error("the client is poisoned: an earlier operation was cancelled midway")]
    Poisoned,
    /// The client failed earlier or was closed by `quit`.
    #[error("the client is closed")]
    Closed,
    /// The server's answers did not fit the operation (a bug or a broken
    /// server); the client is given up.
    #[error("unexpected event from the pop3 session: {0}")]
    UnexpectedEvent(&'static str),
}

impl Error {
    /// Whether the client is unusable after this error (drop it).
    /// [`Error::Refused`], [`Error::AuthFailed`] and [`Error::Usage`]
    /// leave the session as it was.
    pub fn is_fatal(&self) -> bool {
        !matches!(
            self,
            Error::Refused(_) | Error::AuthFailed(_) | Error::Usage(_)
        )
    }

    /// The server's `-ERR` answer, for [`Error::Refused`] and
    /// [`Error::AuthFailed`].
    pub fn response(&self) -> Option<&Response> {
        match self {
            Error::Refused(response) | Error::AuthFailed(response) => Some(response),
            _ => None,
        }
    }
}
