//! Why the client stopped ([`Error`]) or refused a call ([`UsageError`]).

use postwire_core::UnstuffError;

use crate::{ParseError, Response};

/// What the client was waiting for, in errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Awaiting {
    /// The greeting.
    Greeting,
    /// An answer to a command (named by its keyword).
    Response(&'static str),
    /// More of a multi-line answer (named by its command's keyword).
    MultiLine(&'static str),
    /// The TLS handshake after STLS.
    Tls,
}

impl std::fmt::Display for Awaiting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Awaiting::Greeting => f.write_str("the greeting"),
            Awaiting::Response(keyword) => write!(f, "the answer to {keyword}"),
            Awaiting::MultiLine(keyword) => write!(f, "the rest of the answer to {keyword}"),
            Awaiting::Tls => f.write_str("the tls handshake"),
        }
    }
}

/// A fatal error: the session cannot go on.
///
/// Errors are sticky: every later `handle_*` call returns the same error,
/// a [`Transmit::Close`](postwire_core::Transmit::Close) is queued, and no
/// command is written after it. No variant carries anything the client
/// sent, so `Debug` and `Display` never show credentials (SECURITY.md A4).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server did not answer in time.
    #[error("timed out waiting for {0}")]
    Timeout(Awaiting),
    /// Bytes followed the `+OK` to STLS before the TLS handshake: someone
    /// may have injected them (SECURITY.md C07, C11, C12). They are never
    /// parsed.
    #[error("plaintext received after the STLS answer (possible response injection)")]
    PlaintextAfterStls,
    /// The policy requires TLS but the server's CAPA answer does not offer
    /// STLS (SECURITY.md C01).
    #[error("server did not offer STLS, which the policy requires")]
    StlsRequired,
    /// The policy requires TLS and the server answered STLS with `-ERR`
    /// (SECURITY.md C02).
    #[error("server refused STLS, which the policy requires")]
    StlsRefused(Response),
    /// The greeting was `-ERR` (SECURITY.md C14).
    #[error("server refused the session in its greeting")]
    GreetingRefused(Response),
    /// A line was malformed or over the limit.
    #[error("malformed answer: {0}")]
    Protocol(#[from] ParseError),
    /// A line longer than the limit in force.
    #[error("answer line longer than {0} octets")]
    LineTooLong(usize),
    /// A LIST, UIDL or CAPA answer with more entries than allowed.
    #[error("listing longer than the limit")]
    ListingTooLong,
    /// Message content that cannot be unstuffed.
    #[error("malformed message data: {0}")]
    Data(#[from] UnstuffError),
    /// An answer arrived when none was awaited, or one the protocol does
    /// not allow at that point (a `+` continuation outside AUTH, `+OK` to
    /// an AUTH the client had to cancel).
    #[error("unexpected answer while awaiting {}", .0.map_or("nothing".to_string(), |a| a.to_string()))]
    UnexpectedResponse(Option<Awaiting>),
    /// `handle_tls_established` was called though no handshake was due.
    #[error("tls established without STLS or implicit tls")]
    UnexpectedTls,
    /// The server closed the connection while an answer was awaited.
    #[error("connection closed by the server{}", .0.map_or(String::new(), |a| format!(" while awaiting {a}")))]
    ConnectionClosed(Option<Awaiting>),
}

/// The caller asked for something the session cannot do now. Nothing was
/// sent and the connection stays usable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum UsageError {
    /// The session failed, was closed, or QUIT was sent.
    #[error("the session is closed")]
    Closed,
    /// The greeting has not arrived yet.
    #[error("the greeting has not arrived yet")]
    NotGreeted,
    /// The policy requires TLS and it is not active.
    #[error("tls is required first")]
    TlsRequired,
    /// Credentials would go over a connection without TLS (SECURITY.md A1,
    /// C06); see `ClientConfig::allow_plaintext_auth`.
    #[error("refusing to authenticate without tls")]
    PlaintextAuth,
    /// STLS is disabled by the policy, TLS is already active, the server's
    /// CAPA answer did not offer it, or the session is authenticated
    /// (RFC 2595 §4: STLS only in the AUTHORIZATION state).
    #[error("stls is not possible now")]
    StlsUnavailable,
    /// The command needs the TRANSACTION state and no login is under way.
    #[error("not authenticated")]
    NotAuthenticated,
    /// Authentication already succeeded or is under way.
    #[error("already authenticated")]
    AlreadyAuthenticated,
    /// APOP needs a timestamp in the greeting (RFC 1939 §7).
    #[error("the greeting carried no apop timestamp")]
    NoTimestamp,
    /// The server's CAPA answer (after TLS) did not offer this SASL
    /// mechanism (SECURITY.md A3).
    #[error("the server does not offer this sasl mechanism")]
    MechanismNotOffered,
    /// The SASL mechanism failed before anything was sent.
    #[error("the sasl mechanism failed to start")]
    Mechanism,
    /// An argument POP3 cannot carry (a control character, a user name
    /// with spaces at its ends, an empty password).
    #[error("invalid command argument")]
    InvalidArgument,
}
