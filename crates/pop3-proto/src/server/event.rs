//! What a [`Server`](super::Server) reports to the application, and how it
//! fails.

use postwire_core::{CommandId, Secret};
use postwire_sasl::Mechanism;
use postwire_sasl::server::{Authentication, SecretRequest};

use crate::{ApopDigest, MessageNumber, ParseError, UniqueId};

/// The session state (RFC 1939 §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SessionState {
    /// Before a successful login.
    Authorization,
    /// The maildrop is open.
    Transaction,
    /// QUIT was received in TRANSACTION: the marked messages are being
    /// deleted.
    Update,
}

/// Why the machine refused a command itself (reported by
/// [`Event::BadCommand`], answered `-ERR` by the machine).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BadCommand {
    /// The line did not parse.
    Syntax(ParseError),
    /// The line was longer than the limit.
    LineTooLong,
    /// The command is valid but not in this state (RFC 1939 §3), for
    /// example STAT before login, PASS without USER, STLS after USER
    /// (SECURITY.md S04).
    BadSequence(&'static str),
    /// The command belongs to an extension that is not offered.
    NotEnabled(&'static str),
    /// USER/PASS, APOP or a plaintext SASL mechanism before TLS while that
    /// is not allowed (SECURITY.md S06).
    EncryptionRequired,
    /// An unknown or unoffered SASL mechanism.
    UnknownMechanism,
    /// The client cancelled AUTH with `*`, or sent bad base64.
    AuthAborted,
    /// STLS with more commands pipelined behind it: the injection attack
    /// (CVE-2011-0411, SECURITY.md S01); the connection is closed.
    StlsInjection,
}

/// What the server reports to the application.
///
/// Events with an `id` wait for exactly one answer (see each variant);
/// until then, later pipelined input stays unparsed. `Debug` shows no
/// password, digest or SASL data (SECURITY.md A4).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// `STLS`, checked (offered, no TLS yet, AUTHORIZATION state, no USER
    /// given). `accept`: `+OK`, then [`Transmit::StartTls`](postwire_core::Transmit::StartTls);
    /// `reject`: `-ERR`.
    StartTls {
        /// The command.
        id: CommandId,
    },
    /// `USER` then `PASS` (RFC 1939 §7). Check the password (constant
    /// time), then `accept` (-> [`Event::OpenMaildrop`]) or `reject`
    /// (`-ERR [AUTH]`, counted, delayed).
    Login {
        /// The PASS command.
        id: CommandId,
        /// The name given with USER.
        username: String,
        /// The password.
        password: Secret<String>,
    },
    /// `APOP name digest` (RFC 1939 §7). Answer with
    /// [`Server::apop_secret`](super::Server::apop_secret) (the machine
    /// computes and compares the digest), or check it yourself and
    /// `accept`/`reject`.
    Apop {
        /// The command.
        id: CommandId,
        /// The mailbox name.
        username: String,
        /// The digest the client sent.
        digest: ApopDigest,
    },
    /// A SCRAM-SHA-256(-PLUS) or CRAM-MD5 exchange needs the user's stored
    /// secret: answer with [`Server::provide_secret`](super::Server::provide_secret)
    /// (`None` for an unknown user: the exchange fails like a wrong
    /// password), or `reject`.
    AuthSecret {
        /// The AUTH command.
        id: CommandId,
        /// Whose secret, and of which kind.
        request: SecretRequest,
    },
    /// A SASL exchange (RFC 5034) produced credentials. Check what the
    /// [`Evidence`](postwire_sasl::server::Evidence) leaves to check (a
    /// password, a bearer token; `Verified` for SCRAM and CRAM-MD5), then
    /// `accept` (-> [`Event::OpenMaildrop`]), `reject`, or for a bearer
    /// token [`Server::reject_token`](super::Server::reject_token).
    Auth {
        /// The AUTH command.
        id: CommandId,
        /// The mechanism.
        mechanism: Mechanism,
        /// The credentials.
        authentication: Authentication,
    },
    /// The user is authenticated: lock and list the maildrop, then answer
    /// [`Server::open_maildrop`](super::Server::open_maildrop) (`+OK`, the
    /// TRANSACTION state) or `reject` (`-ERR [IN-USE]`: the session stays
    /// in AUTHORIZATION, RFC 1939 §7 PASS) or `reply` with another `-ERR`.
    OpenMaildrop {
        /// The login command.
        id: CommandId,
        /// Who logged in (the authorization identity for SASL, if one was
        /// given).
        username: String,
    },
    /// `RETR msg` or `TOP msg n`, for a message that exists and is not
    /// marked deleted. Stream its content with
    /// [`Server::message_data`](super::Server::message_data) and end it
    /// with [`Server::message_end`](super::Server::message_end), or
    /// `reject` before any data (`-ERR`).
    Retrieve {
        /// The command.
        id: CommandId,
        /// The message.
        msg: MessageNumber,
        /// Its unique-id.
        uid: UniqueId,
        /// Its size from the maildrop listing.
        size: u64,
        /// `Some(n)` for TOP: the machine sends the header and `n` body
        /// lines, whatever the application streams.
        top: Option<u32>,
    },
    /// `QUIT` in the TRANSACTION state: the UPDATE state (RFC 1939 §6).
    /// Delete these messages (possibly none) and release the maildrop,
    /// then `accept` (`+OK`) or `reply` with `-ERR [SYS/TEMP] ...` if some
    /// could not be removed; the connection then closes. Only here may
    /// messages be deleted.
    Update {
        /// The command.
        id: CommandId,
        /// The messages marked with DELE, in order.
        deleted: Vec<(MessageNumber, UniqueId)>,
    },
    /// A command the machine refused and answered itself.
    BadCommand {
        /// Why.
        error: BadCommand,
    },
    /// The connection ended without entering the UPDATE state (QUIT in
    /// AUTHORIZATION, end of input, timeout): nothing may be deleted
    /// (RFC 1939 §6). Release the maildrop if one was opened.
    Disconnected {
        /// Whether a maildrop was open.
        maildrop_open: bool,
    },
}

impl Event {
    /// The command this event waits for an answer to, if it does.
    pub fn id(&self) -> Option<CommandId> {
        match self {
            Event::StartTls { id }
            | Event::Login { id, .. }
            | Event::Apop { id, .. }
            | Event::Auth { id, .. }
            | Event::AuthSecret { id, .. }
            | Event::OpenMaildrop { id, .. }
            | Event::Retrieve { id, .. }
            | Event::Update { id, .. } => Some(*id),
            Event::BadCommand { .. } | Event::Disconnected { .. } => None,
        }
    }
}

/// Why the server stopped. Fatal and sticky: answers already queued and a
/// [`Transmit::Close`](postwire_core::Transmit::Close) still come out of
/// `poll_transmit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Plaintext arrived behind STLS or after its `+OK` and before the TLS
    /// handshake completed: the STLS injection attack (CVE-2011-0411,
    /// SECURITY.md S01, S02).
    #[error("plaintext received after stls")]
    PlaintextAfterStls,
    /// Too many commands refused.
    #[error("too many bad commands")]
    TooManyBadCommands,
    /// Too many failed authentications.
    #[error("too many failed authentications")]
    TooManyAuthFailures,
    /// The client was silent too long (RFC 1939 §3 autologout).
    #[error("idle timeout")]
    IdleTimeout,
    /// More unanswered pipelined input than
    /// [`Limits::max_pipelined_input`](super::Limits::max_pipelined_input).
    #[error("too much pipelined input")]
    PipelineOverflow,
}

/// The application called a method it should not have now. Returned at
/// once; the session is unchanged and usable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UsageError {
    /// No command with this id waits for this kind of answer (unknown,
    /// already answered, or the wrong method for the event).
    #[error("no command {0} awaits this answer")]
    NotAwaiting(CommandId),
    /// A `+OK` given with `reply` where a specific method must answer
    /// (`open_maildrop` for a login, `message_data` for RETR/TOP), or an
    /// answer that no longer fits (`reject` after message data started).
    #[error("this answer does not fit command {0}")]
    WrongAnswer(CommandId),
}
