//! What a send puts on the envelope and what it reports back.

use postwire_smtp_proto::client::Envelope as WireEnvelope;
use postwire_smtp_proto::{ForwardPath, MailParameters, Mailbox, ParseError, Reply, ReversePath};

/// An envelope with To, Cc and Bcc lists (RFC 5321 §3.3).
///
/// Every list only becomes RCPT commands: the client never reads or writes
/// the message's header, which is the caller's bytes. A Bcc recipient is
/// therefore simply an envelope recipient whose address the caller left
/// out of the header (RFC 5322 §3.6.3); nothing in the message reveals it.
/// The lists are kept apart only for the caller's bookkeeping.
///
/// ```
/// use postwire_smtp::client::Envelope;
/// let envelope = Envelope::parse("alice@example.org")?
///     .to("bob@example.org".parse()?)
///     .bcc("audit@example.org".parse()?);
/// let wire: postwire_smtp_proto::client::Envelope = envelope.into();
/// assert_eq!(wire.recipients.len(), 2);
/// # Ok::<(), postwire_smtp_proto::ParseError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Envelope {
    /// `MAIL FROM`.
    pub from: ReversePath,
    /// Primary recipients.
    pub to: Vec<Mailbox>,
    /// Carbon-copy recipients.
    pub cc: Vec<Mailbox>,
    /// Blind-copy recipients: in the envelope only.
    pub bcc: Vec<Mailbox>,
    /// MAIL parameters (RET, ENVID, REQUIRETLS, ...).
    pub params: MailParameters,
}

impl Envelope {
    /// An envelope from `from` with no recipients yet.
    pub fn new(from: ReversePath) -> Self {
        Self {
            from,
            to: Vec::new(),
            cc: Vec::new(),
            bcc: Vec::new(),
            params: MailParameters::new(),
        }
    }

    /// An envelope from an address; the empty string is the null reverse
    /// path `<>` of bounces (RFC 5321 §4.5.5).
    pub fn parse(from: &str) -> Result<Self, ParseError> {
        let from = if from.is_empty() {
            ReversePath::Null
        } else {
            ReversePath::Mailbox(Mailbox::parse(from)?)
        };
        Ok(Self::new(from))
    }

    /// Adds a To recipient.
    pub fn to(mut self, mailbox: Mailbox) -> Self {
        self.to.push(mailbox);
        self
    }

    /// Adds a Cc recipient.
    pub fn cc(mut self, mailbox: Mailbox) -> Self {
        self.cc.push(mailbox);
        self
    }

    /// Adds a Bcc recipient.
    pub fn bcc(mut self, mailbox: Mailbox) -> Self {
        self.bcc.push(mailbox);
        self
    }
}

impl From<Envelope> for WireEnvelope {
    /// To, then Cc, then Bcc, each address once (a repeated RCPT would
    /// deliver twice on some servers).
    fn from(envelope: Envelope) -> Self {
        let mut wire = WireEnvelope::new(envelope.from);
        wire.params = envelope.params;
        let mut seen: Vec<Mailbox> = Vec::new();
        for mailbox in envelope
            .to
            .into_iter()
            .chain(envelope.cc)
            .chain(envelope.bcc)
        {
            if !seen.contains(&mailbox) {
                seen.push(mailbox.clone());
                wire = wire.to(ForwardPath::Mailbox(mailbox));
            }
        }
        wire
    }
}

/// What became of one recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecipientStatus {
    /// The server took responsibility for the message for this recipient
    /// (SMTP: the final reply was positive; LMTP: its own reply was).
    Accepted,
    /// Refused: the RCPT reply, or the reply that failed the transaction
    /// (MAIL, DATA, the end of data, a BDAT chunk; LMTP: its own reply).
    Refused(Reply),
    /// The server answered RCPT with 452 "too many recipients"
    /// (RFC 5321 §4.5.3.1.10) and the message was not sent to it: only
    /// from `send_reader`, whose body can be read once, or when the server
    /// deferred every recipient of a transaction. Send it again later.
    Deferred(Reply),
}

impl RecipientStatus {
    /// Whether the message went to this recipient.
    pub fn is_accepted(&self) -> bool {
        matches!(self, RecipientStatus::Accepted)
    }
}

/// The outcome of one message.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SendReport {
    /// Every envelope recipient, in envelope order, with its status.
    pub recipients: Vec<(ForwardPath, RecipientStatus)>,
    /// The reply that ended the first transaction: the reply to the end of
    /// the data (its text usually holds the queue id), or the refusal that
    /// failed the transaction earlier (MAIL, DATA, no recipient accepted).
    /// `None` in LMTP, where each recipient has its own
    /// ([`lmtp_replies`](Self::lmtp_replies)).
    pub final_reply: Option<Reply>,
    /// Final replies of the follow-up transactions for recipients the
    /// server deferred with 452, in order.
    pub follow_up_replies: Vec<Reply>,
    /// LMTP (RFC 2033 §4.2): one reply per recipient accepted at RCPT.
    pub lmtp_replies: Vec<(ForwardPath, Reply)>,
}

impl SendReport {
    /// Whether every recipient got the message.
    pub fn all_accepted(&self) -> bool {
        self.recipients.iter().all(|(_, s)| s.is_accepted())
    }

    /// The recipients that got the message.
    pub fn accepted(&self) -> impl Iterator<Item = &ForwardPath> {
        self.recipients
            .iter()
            .filter(|(_, s)| s.is_accepted())
            .map(|(p, _)| p)
    }

    /// The recipients that did not, with the reason.
    pub fn not_accepted(&self) -> impl Iterator<Item = (&ForwardPath, &RecipientStatus)> {
        self.recipients
            .iter()
            .filter(|(_, s)| !s.is_accepted())
            .map(|(p, s)| (p, s))
    }
}
