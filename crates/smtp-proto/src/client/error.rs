//! Why the client stopped ([`Error`]) or refused a call ([`UsageError`]).

use crate::{ParseError, Reply};

use super::Step;

/// A fatal error: the session cannot go on.
///
/// Errors are sticky: every later `handle_*` call returns the same error.
/// A [`Transmit::Close`](postwire_core::Transmit::Close) is queued, and no
/// command is written after it. No variant carries anything the client sent,
/// so `Debug` and `Display` never show credentials (SECURITY.md A4).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server did not answer in time (RFC 5321 §4.5.3.2).
    #[error("timed out waiting for {0}")]
    Timeout(Step),
    /// Bytes followed the 220 reply to STARTTLS before the TLS handshake:
    /// someone may have injected them (SECURITY.md C07, C11, C12;
    /// CVE-2011-0411 seen from the client side). They are never parsed.
    #[error("plaintext received after the STARTTLS reply (possible response injection)")]
    PlaintextAfterStartTls,
    /// The policy requires STARTTLS but the server did not offer it, or
    /// only answered HELO (SECURITY.md C01).
    #[error("server did not offer STARTTLS, which the policy requires")]
    StartTlsRequired,
    /// The policy requires STARTTLS and the server answered it with
    /// something other than 220 (SECURITY.md C02).
    #[error("server refused STARTTLS, which the policy requires: {}", .0.code())]
    StartTlsRefused(Reply),
    /// The server sent 421: it is closing the connection (RFC 5321 §3.8).
    #[error("server is closing the connection: {}", .0.code())]
    ServerClosing(Reply),
    /// A reply line was malformed or a reply too long.
    #[error("malformed reply: {0}")]
    Protocol(#[from] ParseError),
    /// A reply arrived when none was awaited, or one that the protocol does
    /// not allow at that point.
    #[error("unexpected reply {} while {}", .reply.code(), .awaiting.map_or("no reply was awaited".to_string(), |s| format!("awaiting {s}")))]
    UnexpectedReply {
        /// The reply.
        reply: Reply,
        /// What was awaited, if anything.
        awaiting: Option<Step>,
    },
    /// `handle_tls_established` was called though no handshake was due.
    #[error("tls established without STARTTLS or implicit tls")]
    UnexpectedTls,
    /// The server closed the connection while a reply was awaited or a
    /// transaction was open.
    #[error("connection closed by the server{}", .0.map_or(String::new(), |s| format!(" while awaiting {s}")))]
    ConnectionClosed(Option<Step>),
}

/// An extension the server did not advertise but the call needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Extension {
    /// `8BITMIME` (RFC 6152), for an 8-bit body.
    EightBitMime,
    /// `BINARYMIME` (RFC 3030), for a binary body.
    BinaryMime,
    /// `CHUNKING` and `PIPELINING` (RFC 3030, RFC 2920), for BDAT; LMTP
    /// sessions of this client never use BDAT.
    Chunking,
    /// `SMTPUTF8` (RFC 6531), for a UTF-8 local part or UTF-8 headers.
    SmtpUtf8,
    /// `DSN` (RFC 3461), for RET, ENVID, NOTIFY or ORCPT.
    Dsn,
    /// `AUTH` (RFC 4954), for the `AUTH=` parameter of MAIL.
    Auth,
    /// `REQUIRETLS` (RFC 8689).
    RequireTls,
    /// `DELIVERBY` (RFC 2852).
    DeliverBy,
    /// `MT-PRIORITY` (RFC 6710).
    MtPriority,
}

impl std::fmt::Display for Extension {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Extension::EightBitMime => "8BITMIME",
            Extension::BinaryMime => "BINARYMIME",
            Extension::Chunking => "CHUNKING with PIPELINING",
            Extension::SmtpUtf8 => "SMTPUTF8",
            Extension::Dsn => "DSN",
            Extension::Auth => "AUTH",
            Extension::RequireTls => "REQUIRETLS",
            Extension::DeliverBy => "DELIVERBY",
            Extension::MtPriority => "MT-PRIORITY",
        })
    }
}

/// The caller asked for something the session cannot do now. Nothing was
/// sent and the connection stays usable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum UsageError {
    /// The session failed or was closed.
    #[error("the session is closed")]
    Closed,
    /// The server's greeting has not arrived yet.
    #[error("the greeting has not arrived yet")]
    NotGreeted,
    /// The server's greeting was not 220; only QUIT is possible
    /// (RFC 5321 §3.1, SECURITY.md C14).
    #[error("the server refused the session in its greeting")]
    GreetingRefused,
    /// EHLO (or LHLO) has not succeeded yet, or TLS has started since and
    /// the capabilities were forgotten (RFC 3207 §4.2).
    #[error("ehlo has not succeeded since the session or tls started")]
    EhloRequired,
    /// Replies are outstanding or a transaction is open.
    #[error("another command is in progress")]
    Busy,
    /// The policy requires TLS and it is not active.
    #[error("tls is required first")]
    TlsRequired,
    /// Credentials would go over a connection without TLS
    /// (SECURITY.md A1, C06); see `ClientConfig::allow_plaintext_auth`.
    #[error("refusing to authenticate without tls")]
    PlaintextAuth,
    /// STARTTLS is disabled by the policy, TLS is already active, or the
    /// server did not offer it.
    #[error("starttls is not possible now")]
    StartTlsUnavailable,
    /// AUTH already succeeded (RFC 4954 §4: a second AUTH is an error).
    #[error("already authenticated")]
    AlreadyAuthenticated,
    /// The server did not offer this SASL mechanism after TLS (SECURITY.md A3).
    #[error("the server does not offer this sasl mechanism")]
    MechanismNotOffered,
    /// The SASL mechanism failed before anything was sent.
    #[error("the sasl mechanism failed to start")]
    Mechanism,
    /// The envelope has no recipient.
    #[error("no recipients")]
    NoRecipients,
    /// The declared size is above the server's SIZE limit (RFC 1870 §6).
    #[error("message of {size} octets exceeds the server limit of {limit}")]
    MessageTooBig {
        /// The declared size.
        size: u64,
        /// The server's limit.
        limit: u64,
    },
    /// The message needs an extension the server did not advertise.
    #[error("the server does not support {0}")]
    ExtensionRequired(Extension),
    /// An address could not be converted to IDNA A-labels.
    #[error("address cannot be converted to ascii")]
    InvalidAddress,
    /// A command argument holds characters SMTP cannot carry.
    #[error("invalid command argument")]
    InvalidArgument,
    /// No message body is being sent (no `ReadyForBody` yet, or the
    /// transaction already failed).
    #[error("no message body is being sent")]
    NotInBody,
}
