//! What the client reports to the application.

use postwire_core::CommandId;

use crate::{Capabilities, Reply};

/// What the server said about the envelope of a transaction.
///
/// Indexes are positions in [`Envelope::recipients`](super::Envelope::recipients).
/// One refused recipient does not stop the others (RFC 5321 §3.3).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EnvelopeResult {
    /// The positive reply to MAIL.
    pub mail: Reply,
    /// Recipients the server accepted, in order.
    pub accepted: Vec<usize>,
    /// Recipients refused (4xx other than 452, and 5xx), with the reply.
    pub refused: Vec<(usize, Reply)>,
    /// Recipients the server deferred with 452 ("too many recipients",
    /// RFC 5321 §4.5.3.1.10): send them again in a later transaction. Without
    /// PIPELINING the client stops sending RCPT at the first 452, and the
    /// unsent ones carry that reply too.
    pub deferred: Vec<(usize, Reply)>,
}

/// An event for the application. Events answering a command carry its
/// [`CommandId`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The server's greeting. Anything but 220 (554 above all) means the
    /// server refuses the session: only [`quit`](super::Client::quit) is
    /// possible then (RFC 5321 §3.1, SECURITY.md C14).
    Greeting {
        /// The greeting.
        reply: Reply,
    },
    /// EHLO (or LHLO) succeeded, or HELO after EHLO was not recognised.
    Ehlo {
        /// The command.
        id: CommandId,
        /// The server's reply.
        reply: Reply,
        /// What the server offers; empty after the HELO fallback.
        capabilities: Capabilities,
        /// EHLO got 500 or 502 and the client fell back to HELO
        /// (RFC 5321 §4.1.4); no extension may be used.
        helo_fallback: bool,
    },
    /// TLS is up, after STARTTLS (`id` is the STARTTLS command) or on an
    /// implicit-TLS connection (`id` is `None`). The capabilities are
    /// forgotten: call [`ehlo`](super::Client::ehlo) again (RFC 3207 §4.2).
    TlsEstablished {
        /// The STARTTLS command, if any.
        id: Option<CommandId>,
    },
    /// A command with no more specific failure event was refused: EHLO,
    /// HELO or LHLO, or STARTTLS under the opportunistic policy (the session
    /// goes on in plaintext).
    Rejected {
        /// The command.
        id: CommandId,
        /// The refusal.
        reply: Reply,
    },
    /// AUTH succeeded (235, RFC 4954 §4).
    Authenticated {
        /// The AUTH command.
        id: CommandId,
    },
    /// AUTH failed (535, 534, 538, 454, 504, or 501 after the client
    /// cancelled a broken exchange); the session goes on unauthenticated.
    AuthFailed {
        /// The AUTH command.
        id: CommandId,
        /// The server's final reply.
        reply: Reply,
    },
    /// MAIL was accepted and every RCPT answered.
    Envelope {
        /// The transaction (from `send_mail`).
        id: CommandId,
        /// Per-recipient results.
        result: EnvelopeResult,
    },
    /// The server waits for the message: call
    /// [`send_body`](super::Client::send_body) then
    /// [`finish_body`](super::Client::finish_body).
    ReadyForBody {
        /// The transaction.
        id: CommandId,
    },
    /// SMTP: the server took responsibility for the message. The reply
    /// text often holds the queue id.
    MessageAccepted {
        /// The transaction.
        id: CommandId,
        /// The final reply.
        reply: Reply,
    },
    /// LMTP: one reply per accepted recipient, in RCPT order (RFC 2033 §4.2);
    /// each may be a success or a failure.
    LmtpDelivery {
        /// The transaction.
        id: CommandId,
        /// `(recipient index, reply)` for each accepted recipient.
        replies: Vec<(usize, Reply)>,
    },
    /// The transaction ended without delivery: MAIL refused, no recipient
    /// accepted, DATA or a BDAT chunk refused, or the final reply negative.
    /// The session is back in sync (the client already sent RSET or the
    /// lone `.` the protocol needed) and ready for the next transaction.
    TransactionFailed {
        /// The transaction.
        id: CommandId,
        /// The reply that decided the failure.
        reply: Reply,
    },
    /// The reply to RSET, NOOP, VRFY or QUIT, whatever its code.
    Reply {
        /// The command.
        id: CommandId,
        /// The reply.
        reply: Reply,
    },
    /// The session ended: after QUIT, or the server closed an idle
    /// connection.
    Closed,
}
