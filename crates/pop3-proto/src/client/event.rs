//! What the client reports to the application.

use bytes::Bytes;
use postwire_core::CommandId;

use crate::{Capabilities, Language, Response, ScanListing, Stat, Timestamp, UidListing};

/// An event for the application. Events answering a command carry its
/// [`CommandId`]; a command's events come in the order the commands were
/// given.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The server's `+OK` greeting, with the APOP timestamp if it carried
    /// one (RFC 1939 §4, §7). (A `-ERR` greeting is
    /// [`Error::GreetingRefused`](super::Error::GreetingRefused).)
    Greeting {
        /// The greeting.
        response: Response,
        /// The APOP timestamp.
        timestamp: Option<Timestamp>,
    },
    /// The CAPA answer (RFC 2449 §5).
    Capabilities {
        /// The command.
        id: CommandId,
        /// What the server offers.
        capabilities: Capabilities,
    },
    /// The LANG listing (RFC 6856 §3): the languages the server's response
    /// text comes in. `LANG` with a range is answered by [`Event::Ok`]
    /// (its text is the chosen tag and description) or [`Event::Refused`].
    Languages {
        /// The command.
        id: CommandId,
        /// The languages, as the server listed them.
        languages: Vec<Language>,
    },
    /// TLS is up, after STLS (`id` is the STLS command) or on an
    /// implicit-TLS connection (`None`). Capabilities learned before are
    /// forgotten: send CAPA again (RFC 2595 §4).
    TlsEstablished {
        /// The STLS command, if any.
        id: Option<CommandId>,
    },
    /// USER/PASS, APOP or AUTH succeeded: the session is in the
    /// TRANSACTION state (RFC 1939 §4).
    Authenticated {
        /// The login command.
        id: CommandId,
        /// The server's `+OK`.
        response: Response,
    },
    /// USER, PASS, APOP or AUTH got `-ERR`; the session stays in the
    /// AUTHORIZATION state. `[AUTH]`, `[IN-USE]`, `[LOGIN-DELAY]` and
    /// `[SYS/...]` codes tell why (RFC 2449 §8, RFC 3206).
    AuthFailed {
        /// The login command.
        id: CommandId,
        /// The refusal.
        response: Response,
    },
    /// The STAT answer (RFC 1939 §5).
    Stat {
        /// The command.
        id: CommandId,
        /// Message count and total size.
        stat: Stat,
    },
    /// The LIST answer: every message, or the one asked for.
    List {
        /// The command.
        id: CommandId,
        /// The scan listings.
        entries: Vec<ScanListing>,
    },
    /// The UIDL answer: every message, or the one asked for.
    Uidl {
        /// The command.
        id: CommandId,
        /// The unique-id listings.
        entries: Vec<UidListing>,
    },
    /// RETR or TOP got `+OK`: [`Event::MessageData`] follows, then
    /// [`Event::MessageEnd`].
    MessageStart {
        /// The command.
        id: CommandId,
        /// The `+OK` (its text often gives the size).
        response: Response,
    },
    /// Message content, dot-unstuffed (RFC 1939 §3), bare CR or LF turned
    /// into CRLF. Chunk boundaries depend on how the input arrived; only
    /// the concatenation is meaningful.
    MessageData {
        /// The command.
        id: CommandId,
        /// The content.
        data: Bytes,
    },
    /// The end of the message (the terminating `.` line).
    MessageEnd {
        /// The command.
        id: CommandId,
    },
    /// `+OK` to DELE, NOOP, RSET, UTF8 or QUIT.
    Ok {
        /// The command.
        id: CommandId,
        /// The answer.
        response: Response,
    },
    /// `-ERR` to any command but the login commands (which give
    /// [`Event::AuthFailed`]). A refused STLS under the opportunistic
    /// policy lands here too.
    Refused {
        /// The command.
        id: CommandId,
        /// The refusal.
        response: Response,
    },
    /// The session ended: after QUIT's answer, or the server closed an idle
    /// connection.
    Closed,
}

impl Event {
    /// The command this event answers, if any.
    pub fn id(&self) -> Option<CommandId> {
        match self {
            Event::Capabilities { id, .. }
            | Event::Languages { id, .. }
            | Event::Authenticated { id, .. }
            | Event::AuthFailed { id, .. }
            | Event::Stat { id, .. }
            | Event::List { id, .. }
            | Event::Uidl { id, .. }
            | Event::MessageStart { id, .. }
            | Event::MessageData { id, .. }
            | Event::MessageEnd { id }
            | Event::Ok { id, .. }
            | Event::Refused { id, .. } => Some(*id),
            Event::TlsEstablished { id } => *id,
            Event::Greeting { .. } | Event::Closed => None,
        }
    }
}
