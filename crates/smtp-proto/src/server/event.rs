//! What a [`Server`](super::Server) reports to the application, and how it
//! fails.

use bytes::Bytes;
use postwire_core::{BareLineEnding, CommandId};
use postwire_sasl::Mechanism;
use postwire_sasl::server::{Authentication, SecretRequest};

use crate::{
    Argument, ClientId, ForwardPath, MailParameters, ParseError, RcptParameters, ReversePath,
};

/// Which greeting command the client used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HeloKind {
    /// `HELO` (RFC 5321 §4.1.1.1): no extensions.
    Helo,
    /// `EHLO` (RFC 5321 §4.1.1.1).
    Ehlo,
    /// `LHLO` (RFC 2033 §4.1), in LMTP mode.
    Lhlo,
}

/// Why the machine refused a command itself (reported by
/// [`Event::BadCommand`], answered by the machine, and counted towards
/// [`Limits::max_bad_commands`](super::Limits::max_bad_commands)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BadCommand {
    /// The line did not parse (500 for an unknown verb, 501 or 555
    /// otherwise).
    Syntax(ParseError),
    /// The line was longer than the limit (500 5.5.2; RFC 5321 §4.5.3.1.4).
    LineTooLong,
    /// The line ended in a bare `LF` or held a bare `CR` (500 5.5.2;
    /// SECURITY.md SM-S4).
    BareLineEnding(BareLineEnding),
    /// The command is valid but not in this state (503 5.5.1; RFC 5321
    /// §4.1.4), for example MAIL before EHLO, RCPT before MAIL.
    BadSequence(&'static str),
    /// The command or parameter belongs to an extension that is not
    /// offered (502 5.5.1 or 555 5.5.4).
    NotEnabled(&'static str),
    /// AUTH before TLS while plaintext AUTH is not allowed (530 5.7.0).
    EncryptionRequired,
    /// An unknown SASL mechanism (504 5.5.4).
    UnknownMechanism,
    /// The SASL exchange failed before credentials could be read, for
    /// example malformed PLAIN data (535 5.7.8). Counts towards
    /// [`Limits::max_auth_failures`](super::Limits::max_auth_failures), as
    /// does a rejected [`Event::Auth`], not towards `max_bad_commands`; the
    /// reply is held back by
    /// [`Timeouts::auth_failure_delay`](super::Timeouts::auth_failure_delay).
    AuthenticationFailed,
    /// `MAIL ... SIZE=` above the limit (552 5.3.4; RFC 1870 §6), or a BDAT
    /// chunk that would take the message past it (RFC 3030 §2).
    MessageTooBig,
    /// More recipients than allowed (452 4.5.3; RFC 5321 §4.5.3.1.10).
    TooManyRecipients,
    /// A UTF-8 address without SMTPUTF8 (553 5.6.7; RFC 6531 §3.5).
    Utf8AddressWithoutSmtpUtf8,
    /// DATA with `BODY=BINARYMIME` (503 5.5.1; RFC 3030 §3).
    BinaryMimeNeedsBdat,
    /// DATA without an accepted recipient (554 5.5.1; RFC 5321 §3.3).
    NoValidRecipients,
}

/// Why message data being received was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AbortReason {
    /// The body grew past [`Limits::max_message_size`](super::Limits::max_message_size)
    /// (the rest is read and discarded, then `552 5.3.4`; RFC 1870 §6).
    TooBig,
    /// A data line was longer than [`Limits::max_data_line`](super::Limits::max_data_line)
    /// (the rest is read and discarded, then `500 5.5.2`).
    LineTooLong,
    /// A bare `CR` or `LF` under [`BareLineEndings::Reject`](super::BareLineEndings::Reject)
    /// (`550 5.5.2`, then the connection closes).
    BareLineEnding(BareLineEnding),
    /// A BDAT chunk was refused (RFC 3030 §2: the transaction failed).
    ChunkRefused,
    /// The transaction was reset (RSET, EHLO) between BDAT chunks.
    Reset,
    /// The client went away or timed out.
    Disconnected,
}

/// What the server reports to the application.
///
/// Events with an `id` wait for the answer: [`Server::accept`](super::Server::accept),
/// [`Server::reject`](super::Server::reject), [`Server::reply`](super::Server::reply)
/// or (LMTP, after the data) [`Server::reply_lmtp`](super::Server::reply_lmtp).
/// Until then, later pipelined input stays unparsed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// HELO, EHLO or LHLO. Any transaction was reset on receipt. `accept`
    /// answers `250` with the capabilities (EHLO, LHLO) or the host name
    /// (HELO).
    Helo {
        /// The command.
        id: CommandId,
        /// Which of the three.
        kind: HeloKind,
        /// The name or address literal the client gave.
        client: ClientId,
    },
    /// HELO, EHLO or LHLO whose argument is neither a domain nor an address
    /// literal (RFC 5321 §4.1.1.1), such as `EHLO my_host`, accepted by
    /// [`Quirks::lenient_helo`](super::Quirks::lenient_helo) (on by
    /// default, as Postfix). Answered like [`Event::Helo`]: `accept` gives
    /// the `250` with the capabilities. The name is not a [`ClientId`], so
    /// it cannot be handed to the client side by mistake; write it in a
    /// `Received:` field as a comment, not as the `From-domain` (RFC 5321
    /// §4.4).
    HeloNonstandard {
        /// The command.
        id: CommandId,
        /// Which of the three.
        kind: HeloKind,
        /// The argument as the client sent it: 1 to 255 octets of UTF-8,
        /// without spaces or control characters.
        name: String,
    },
    /// `MAIL FROM`, its sequence and parameters already checked.
    /// `accept`: `250 2.1.0`; `reject`: `550 5.7.1`.
    Mail {
        /// The command.
        id: CommandId,
        /// The reverse path.
        from: ReversePath,
        /// The parameters.
        params: MailParameters,
    },
    /// `RCPT TO`, sequence, limit and parameters already checked.
    /// `accept`: `250 2.1.5`; `reject`: `550 5.1.1`.
    Rcpt {
        /// The command.
        id: CommandId,
        /// The forward path.
        to: ForwardPath,
        /// The parameters.
        params: RcptParameters,
    },
    /// `DATA` after at least one accepted recipient. `accept`: `354`, and
    /// [`Event::DataChunk`]s follow; `reject`: `554 5.7.1`, and the next
    /// bytes are read as commands.
    DataStart {
        /// The command.
        id: CommandId,
    },
    /// Message content: unstuffed DATA (RFC 5321 §4.5.2), or BDAT chunk
    /// bytes as received (RFC 3030). Chunk boundaries carry no meaning.
    DataChunk(Bytes),
    /// The end of the message data (DATA's `CRLF.CRLF`, or the end of the
    /// `BDAT ... LAST` chunk). Answer with one reply (`accept`: `250 2.0.0`),
    /// or in LMTP mode with [`Server::reply_lmtp`](super::Server::reply_lmtp):
    /// one per accepted recipient (RFC 2033 §4.2). The transaction ends.
    DataEnd {
        /// The DATA or `BDAT ... LAST` command.
        id: CommandId,
        /// How many recipients were accepted (the number of LMTP replies).
        recipients: usize,
    },
    /// The message data received so far must be dropped; no
    /// [`Event::DataEnd`] follows for it. The machine answers itself.
    DataAborted {
        /// Why.
        reason: AbortReason,
    },
    /// A SASL mechanism that verifies against a stored secret
    /// (SCRAM-SHA-256(-PLUS), CRAM-MD5) needs the user's: answer with
    /// [`Server::provide_secret`](super::Server::provide_secret), `None` for
    /// an unknown user (the exchange then fails like a wrong password, the
    /// client cannot tell them apart). `reject` or a `4xx`/`5xx` `reply`
    /// ends the exchange instead (for example `454 4.7.0` when the user
    /// store is down); `accept` is refused. Only sent when
    /// [`ServerConfig::secret_lookup`](super::ServerConfig::secret_lookup)
    /// is on. Later, the same `id` comes back in [`Event::Auth`].
    NeedSecret {
        /// The AUTH command.
        id: CommandId,
        /// The mechanism running.
        mechanism: Mechanism,
        /// Whose secret, and which kind.
        request: SecretRequest,
    },
    /// A SASL exchange produced credentials, for the application to check.
    /// What is left to check depends on `authentication.evidence`: a
    /// password ([`Authentication::password_matches`], constant-time), a
    /// bearer token, or nothing (`Evidence::Verified`: SCRAM and CRAM-MD5
    /// already checked the proof against the stored secret). In every case
    /// the application decides whether the user may act as `authzid`.
    /// `accept`: `235 2.7.0`; `reject`: `535 5.7.8` (the session stays
    /// usable; RFC 4954 §4); a rejected XOAUTH2/OAUTHBEARER token may be
    /// explained with [`Server::reject_token`](super::Server::reject_token).
    /// `Debug` shows no password or token (SECURITY.md A4).
    Auth {
        /// The AUTH command.
        id: CommandId,
        /// The mechanism used.
        mechanism: Mechanism,
        /// The credentials.
        authentication: Authentication,
    },
    /// `STARTTLS`. `accept`: `220 2.0.0`, then [`Transmit::StartTls`](postwire_core::Transmit::StartTls);
    /// `reject`: `454 4.7.0`.
    StartTls {
        /// The command.
        id: CommandId,
    },
    /// `VRFY`. `accept`: `252 2.5.0` (cannot verify, will try; RFC 5321
    /// §3.5.3); `reject`: `550 5.1.1`.
    Vrfy {
        /// The command.
        id: CommandId,
        /// What to verify.
        argument: Argument,
    },
    /// `EXPN`. `accept`: `502 5.5.1` (a permissive server does not expand
    /// lists; answer with [`Server::reply`](super::Server::reply) to do so);
    /// `reject`: `550 5.1.1`.
    Expn {
        /// The command.
        id: CommandId,
        /// The list to expand.
        argument: Argument,
    },
    /// `HELP`. `accept`: `214 2.0.0`; `reject`: `502 5.5.1`.
    Help {
        /// The command.
        id: CommandId,
        /// The topic.
        topic: Option<Argument>,
    },
    /// `NOOP`. `accept` and `reject`: `250 2.0.0`.
    Noop {
        /// The command.
        id: CommandId,
    },
    /// `RSET`. The transaction was already reset on receipt. `accept` and
    /// `reject`: `250 2.0.0` (RFC 5321 §4.1.1.5: RSET cannot fail).
    Rset {
        /// The command.
        id: CommandId,
    },
    /// `QUIT`. `accept` and `reject`: `221 2.0.0`, then
    /// [`Transmit::Close`](postwire_core::Transmit::Close); later input is
    /// ignored.
    Quit {
        /// The command.
        id: CommandId,
    },
    /// A command the machine refused and answered itself.
    BadCommand {
        /// Why.
        error: BadCommand,
    },
    /// The client closed the connection (`handle_eof`) without QUIT.
    Disconnected {
        /// Whether message data was being received (it was also reported
        /// with [`Event::DataAborted`]).
        during_data: bool,
    },
}

impl Event {
    /// The command this event waits for an answer to, if it does.
    pub fn id(&self) -> Option<CommandId> {
        match self {
            Event::Helo { id, .. }
            | Event::HeloNonstandard { id, .. }
            | Event::Mail { id, .. }
            | Event::Rcpt { id, .. }
            | Event::DataStart { id }
            | Event::DataEnd { id, .. }
            | Event::Auth { id, .. }
            | Event::NeedSecret { id, .. }
            | Event::StartTls { id }
            | Event::Vrfy { id, .. }
            | Event::Expn { id, .. }
            | Event::Help { id, .. }
            | Event::Noop { id }
            | Event::Rset { id }
            | Event::Quit { id } => Some(*id),
            Event::DataChunk(_)
            | Event::DataAborted { .. }
            | Event::BadCommand { .. }
            | Event::Disconnected { .. } => None,
        }
    }
}

/// Why the server stopped. Fatal and sticky: the replies already queued
/// (a `421`, a `550`) and a [`Transmit::Close`](postwire_core::Transmit::Close)
/// still come out of `poll_transmit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Plaintext arrived after the `220` to STARTTLS and before the TLS
    /// handshake completed: the STARTTLS injection attack (CVE-2011-0411,
    /// SECURITY.md S02).
    #[error("plaintext received after starttls")]
    PlaintextAfterStartTls,
    /// Too many commands refused (answered `421 4.7.0`).
    #[error("too many bad commands")]
    TooManyBadCommands,
    /// Too many failed authentications
    /// ([`Limits::max_auth_failures`](super::Limits::max_auth_failures);
    /// answered `535 5.7.8`, then `421 4.7.0`; SECURITY.md A7).
    #[error("too many failed authentications")]
    TooManyAuthFailures,
    /// A BDAT chunk larger than
    /// [`Limits::max_message_size`](super::Limits::max_message_size), or
    /// whose size does not fit 64 bits (answered `552 5.3.4`, then
    /// `421 4.7.0`). Its octets could only be skipped by reading up to
    /// 2^64 of them, and must never be read as commands (RFC 3030 §2).
    #[error("bdat chunk larger than the message size limit")]
    ChunkTooBig,
    /// A BDAT command whose chunk size cannot be read (answered
    /// `501 5.5.4`, then `421 4.7.0`): where the chunk ends is unknown, and
    /// its octets must never be read as commands (RFC 3030 §2).
    #[error("malformed bdat command")]
    MalformedBdat,
    /// The client was silent too long (answered `421 4.4.2`; RFC 5321
    /// §4.5.3.2.7).
    #[error("idle timeout")]
    IdleTimeout,
    /// A bare `CR` or `LF` in message data under the reject policy
    /// (answered `550 5.5.2`; SECURITY.md SM-S2).
    #[error("bare line ending in message data")]
    BareLineEnding,
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
    /// No command with this id waits for an answer (unknown, or already
    /// answered).
    #[error("no command {0} awaits an answer")]
    NotAwaiting(CommandId),
    /// The reply's code does not fit the command (a `3xx` to anything but
    /// DATA, or a non-`3xx` positive reply to DATA).
    #[error("reply code {0} does not fit the command")]
    ReplyCode(u16),
    /// `reply_lmtp` outside LMTP mode or for a command other than the end of
    /// the data.
    #[error("per-recipient replies answer only the end of lmtp data")]
    NotLmtpData,
    /// The command awaits a stored secret
    /// ([`Server::provide_secret`](super::Server::provide_secret)), and a
    /// positive answer would authenticate without any check.
    #[error("command {0} awaits a secret, not a positive answer")]
    SecretExpected(CommandId),
    /// `reject_token` for an AUTH that is not XOAUTH2 or OAUTHBEARER, or
    /// that does not await its answer.
    #[error("command {0} is not a bearer-token authentication awaiting an answer")]
    NotTokenAuth(CommandId),
    /// `reply_lmtp` with a number of replies other than the accepted
    /// recipients.
    #[error("expected {expected} lmtp replies, got {got}")]
    ReplyCount {
        /// Accepted recipients.
        expected: usize,
        /// Replies given.
        got: usize,
    },
}
