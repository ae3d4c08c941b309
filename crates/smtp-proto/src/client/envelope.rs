//! What a transaction sends: the envelope, facts about the body, and the
//! checks that turn them into MAIL and RCPT commands the server can take.

use crate::{
    Body, Capabilities, Command, ForwardPath, MailParameters, Mailbox, RcptParameters, ReversePath,
};

use super::{Extension, UsageError};

/// The envelope of one message (RFC 5321 §3.3).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Envelope {
    /// The MAIL FROM address.
    pub from: ReversePath,
    /// The recipients and their RCPT parameters (NOTIFY, ORCPT), in order.
    pub recipients: Vec<(ForwardPath, RcptParameters)>,
    /// MAIL parameters the caller chooses (RET, ENVID, AUTH=, REQUIRETLS,
    /// BY, MT-PRIORITY, others). `SIZE`, `BODY` and `SMTPUTF8` are set by
    /// the client from [`BodyInfo`] and the addresses; values put there
    /// are overwritten.
    pub params: MailParameters,
}

impl Envelope {
    /// An envelope with no recipients yet.
    pub fn new(from: ReversePath) -> Self {
        Self {
            from,
            recipients: Vec::new(),
            params: MailParameters::new(),
        }
    }

    /// Adds a recipient without parameters.
    pub fn to(mut self, to: ForwardPath) -> Self {
        self.recipients.push((to, RcptParameters::new()));
        self
    }

    /// Adds a recipient with parameters.
    pub fn to_with(mut self, to: ForwardPath, params: RcptParameters) -> Self {
        self.recipients.push((to, params));
        self
    }
}

/// What the client must know about the body before MAIL, to declare it
/// (RFC 1870 SIZE, RFC 6152 8BITMIME, RFC 3030 BINARYMIME, RFC 6531 SMTPUTF8).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct BodyInfo {
    /// The message size in octets, if known, declared as `SIZE=` when the
    /// server offers SIZE and checked against its limit.
    pub size: Option<u64>,
    /// The body holds octets above 127: needs 8BITMIME (`BODY=8BITMIME`).
    pub eight_bit: bool,
    /// The body is binary (lines of any length, bare CR and LF kept): needs
    /// BINARYMIME, hence BDAT (`BODY=BINARYMIME`, RFC 3030 §3).
    pub binary: bool,
    /// The header holds UTF-8 (RFC 6532): needs SMTPUTF8 and 8BITMIME.
    pub utf8_headers: bool,
}

impl BodyInfo {
    /// Facts about a complete message in memory: its size and whether any
    /// octet is above 127. Not binary; UTF-8 headers are not detected.
    pub fn from_content(content: &[u8]) -> Self {
        Self {
            size: Some(content.len() as u64),
            eight_bit: !content.is_ascii(),
            binary: false,
            utf8_headers: false,
        }
    }
}

/// The commands of one transaction, checked against the capabilities.
#[derive(Debug)]
pub(super) struct Prepared {
    pub(super) mail: Command,
    pub(super) rcpts: Vec<Command>,
    /// Send the body with BDAT.
    pub(super) bdat: bool,
    /// BODY=BINARYMIME: no line ending normalisation at all.
    pub(super) binary: bool,
}

/// Checks the envelope and body against what the server offers and builds
/// MAIL and RCPT. Every refusal happens here, before anything is sent.
pub(super) fn prepare(
    envelope: Envelope,
    body: &BodyInfo,
    caps: &Capabilities,
    lmtp: bool,
    use_chunking: bool,
) -> Result<Prepared, UsageError> {
    let Envelope {
        from,
        recipients,
        mut params,
    } = envelope;
    if recipients.is_empty() {
        return Err(UsageError::NoRecipients);
    }

    // RFC 6531 §3.4: SMTPUTF8 only when something needs it; without it, a
    // UTF-8 domain still goes as A-labels (RFC 5891), a UTF-8 local part
    // cannot go at all.
    let mut smtputf8 = body.utf8_headers;
    if body.utf8_headers && !caps.smtputf8 {
        return Err(UsageError::ExtensionRequired(Extension::SmtpUtf8));
    }
    let from = match from {
        ReversePath::Null => ReversePath::Null,
        ReversePath::Mailbox(m) => {
            ReversePath::Mailbox(fit_mailbox(m, caps.smtputf8, &mut smtputf8)?)
        }
    };
    let mut rcpt_list = Vec::with_capacity(recipients.len());
    for (to, rcpt_params) in recipients {
        let to = match to {
            ForwardPath::Postmaster => ForwardPath::Postmaster,
            ForwardPath::Mailbox(m) => {
                ForwardPath::Mailbox(fit_mailbox(m, caps.smtputf8, &mut smtputf8)?)
            }
        };
        if (rcpt_params.notify.is_some() || rcpt_params.orcpt.is_some()) && !caps.dsn {
            return Err(UsageError::ExtensionRequired(Extension::Dsn));
        }
        rcpt_list.push(Command::Rcpt {
            to,
            params: rcpt_params,
        });
    }

    // RFC 3461 §4: DSN parameters only to a server that offers DSN. Dropping
    // them silently would lose the caller's delivery-report request.
    if (params.ret.is_some() || params.envid.is_some()) && !caps.dsn {
        return Err(UsageError::ExtensionRequired(Extension::Dsn));
    }
    if params.auth.is_some() && caps.auth.is_empty() {
        return Err(UsageError::ExtensionRequired(Extension::Auth));
    }
    if params.requiretls && !caps.requiretls {
        return Err(UsageError::ExtensionRequired(Extension::RequireTls));
    }
    if params.by.is_some() && caps.deliver_by.is_none() {
        return Err(UsageError::ExtensionRequired(Extension::DeliverBy));
    }
    if params.mt_priority.is_some() && caps.mt_priority.is_none() {
        return Err(UsageError::ExtensionRequired(Extension::MtPriority));
    }

    // RFC 3030 §4.2 lets BDAT be pipelined only with PIPELINING; this client
    // uses BDAT only then, and never in LMTP (one reply per recipient after
    // the last chunk would make failed chunks ambiguous).
    let bdat = use_chunking && caps.chunking && caps.pipelining && !lmtp;
    params.body = if body.binary {
        if !caps.binary_mime {
            return Err(UsageError::ExtensionRequired(Extension::BinaryMime));
        }
        if !bdat {
            return Err(UsageError::ExtensionRequired(Extension::Chunking));
        }
        Some(Body::BinaryMime)
    } else if body.eight_bit || body.utf8_headers {
        // RFC 6152 §3: 8-bit data only to a server that offers 8BITMIME.
        if !caps.eight_bit_mime {
            return Err(UsageError::ExtensionRequired(Extension::EightBitMime));
        }
        Some(Body::EightBitMime)
    } else {
        None
    };

    // RFC 1870 §6: declare the size when the server offers SIZE; give up
    // early when it is over the server's fixed limit.
    params.size = match (caps.size, body.size) {
        (Some(Some(limit)), Some(size)) if size > limit => {
            return Err(UsageError::MessageTooBig { size, limit });
        }
        (Some(_), size) => size,
        (None, _) => None,
    };
    params.smtputf8 = smtputf8;

    Ok(Prepared {
        mail: Command::Mail { from, params },
        rcpts: rcpt_list,
        bdat,
        binary: body.binary,
    })
}

/// Makes an address fit the server: as is when ASCII or when the server
/// offers SMTPUTF8 (which then gets declared), with its domain in A-labels
/// otherwise.
fn fit_mailbox(
    mailbox: Mailbox,
    server_smtputf8: bool,
    smtputf8: &mut bool,
) -> Result<Mailbox, UsageError> {
    if mailbox.is_ascii() {
        return Ok(mailbox);
    }
    if server_smtputf8 {
        *smtputf8 = true;
        return Ok(mailbox);
    }
    let ascii = mailbox
        .to_ascii_domain()
        .map_err(|_| UsageError::InvalidAddress)?;
    if ascii.is_ascii() {
        Ok(ascii)
    } else {
        Err(UsageError::ExtensionRequired(Extension::SmtpUtf8))
    }
}
