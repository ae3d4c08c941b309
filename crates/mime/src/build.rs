//! Composing messages: [`MessageBuilder`] turns addresses, a subject, text
//! and HTML bodies, inline images and attachments into an RFC 5322 / MIME
//! message, written to any [`std::io::Write`] as it is encoded.
//!
//! # What it writes
//!
//! - Header fields are folded at 78 octets and never pass 998 (RFC 5322
//!   §2.1.1, §2.2.3). Display names and the Subject use RFC 2047 encoded
//!   words only where needed (a quoted string when ASCII needs quoting);
//!   each encoded word has at most 75 characters and whole UTF-8
//!   characters. When an address needs SMTPUTF8 (a UTF-8 local part or
//!   domain), text is written as raw UTF-8 instead (RFC 6532 §3.2).
//! - Bcc addresses go to [`MessageBuilder::envelope_recipients`] only,
//!   never into the header (RFC 5322 §3.6.3 allows either; not writing
//!   them cannot leak them).
//! - A CR or LF in any header value or display name is an error, never
//!   written (header injection); so is a NUL.
//! - The structure is the smallest that holds the parts: one text/plain
//!   part for text alone; multipart/alternative for text and HTML;
//!   multipart/related around the HTML and its inline images (RFC 2387);
//!   multipart/mixed when there are attachments (RFC 2046 §5.1.3).
//! - Each part gets 7bit when it is 7bit data, 8bit when allowed
//!   ([`MessageBuilder::allow_8bit`]), else quoted-printable for mostly
//!   ASCII content and base64 otherwise (RFC 2045 §6). Attachments read
//!   from a [`Read`] are always base64, encoded in chunks as they are read.
//! - Text bodies are put in canonical form (RFC 2046 §4.1.1): every line
//!   break becomes CRLF and non-empty text ends with one. Attachment
//!   bytes come back exactly.
//! - File names use RFC 2231 (`filename*=utf-8''...`, with continuations
//!   when long) after an ASCII `filename="..."` fallback.
//! - Multipart boundaries are deterministic (from
//!   [`MessageBuilder::boundary_seed`] and a counter) and never occur in
//!   the content.
//! - Every line ends with CRLF, and the output parses back with
//!   [`crate::Message::parse`] without defects.
//!
//! # Date and Message-ID
//!
//! The builder reads no clock and makes up no id: the Date field is
//! written only when [`MessageBuilder::date`] was called, and the
//! Message-ID only when [`MessageBuilder::message_id`] or
//! [`MessageBuilder::message_id_from_parts`] was. Without them the fields
//! are left out, which a submission server repairs (RFC 6409 §8.2, §8.3).
//!
//! # Example
//!
//! ```
//! use postwire_mime::Message;
//! use postwire_mime::build::{Attachment, BodyRequirement, MessageBuilder};
//!
//! let builder = MessageBuilder::new()
//!     .from(("Jörg Müller", "joerg@example.org"))
//!     .to("team@example.org")
//!     .bcc("audit@example.org")
//!     .subject("Bericht für März")
//!     .date(1_700_000_000, 60)
//!     .message_id("report.42@example.org")
//!     .text("Anbei der Bericht.\n")
//!     .attach(Attachment::new("application/pdf", b"%PDF-1.7".to_vec()).filename("März.pdf"));
//! assert_eq!(
//!     builder.envelope_recipients(),
//!     ["team@example.org", "audit@example.org"]
//! );
//! assert_eq!(builder.requirement().unwrap(), BodyRequirement::SevenBit);
//! let bytes = builder.build().unwrap();
//!
//! let message = Message::parse(&bytes).unwrap();
//! assert_eq!(message.subject().unwrap(), "Bericht für März");
//! assert!(message.bcc().is_none());
//! let pdf = message.attachments().next().unwrap();
//! assert_eq!(pdf.filename().as_deref(), Some("März.pdf"));
//! assert_eq!(&pdf.decoded_body()[..], b"%PDF-1.7");
//! ```

use std::fmt;
use std::io::{Read, Write};

use crate::param::ContentType;
use crate::{Defect, Mailbox};

mod address;
mod encoded_word;
mod error;
mod fold;
mod ident;
mod param;
mod transfer;
mod tree;

pub use error::BuildError;

use address::{CheckedMailbox, check_mailbox, write_mailboxes};
use fold::Field;
use transfer::{Canonical, Encoding, Scan, TextScan, base64_len};
use tree::{Content, Leaf, Node, Sink, Source, TEXTS};

/// What the SMTP transaction must declare for a built message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum BodyRequirement {
    /// 7-bit data only: nothing to declare.
    SevenBit,
    /// A part is 8bit: declare `BODY=8BITMIME` (RFC 6152 §3).
    EightBitMime,
    /// An address or header field holds raw UTF-8: declare `SMTPUTF8`
    /// (RFC 6531 §3.4) and `BODY=8BITMIME`.
    SmtpUtf8,
}

impl BodyRequirement {
    /// True when the server must offer 8BITMIME (and `BODY=8BITMIME` is declared).
    pub fn needs_8bitmime(self) -> bool {
        self >= BodyRequirement::EightBitMime
    }

    /// True when the server must offer SMTPUTF8 (and `SMTPUTF8` is declared).
    pub fn needs_smtputf8(self) -> bool {
        self >= BodyRequirement::SmtpUtf8
    }
}

/// An attachment or inline part: a content type, an optional file name,
/// and its bytes, in memory or from a [`Read`].
pub struct Attachment {
    content_type: String,
    filename: Option<String>,
    source: Source,
}

impl Attachment {
    /// An attachment held in memory. `content_type` is `type/subtype` with
    /// optional parameters (`text/csv; charset=utf-8`). `data` is anything
    /// that becomes [`bytes::Bytes`] (a `Vec<u8>`, a `String`, a static
    /// slice, or `Bytes` itself), none of them copied: a caller that keeps
    /// the contents as `Bytes` attaches them to many messages for the
    /// price of a reference count.
    pub fn new(content_type: impl Into<String>, data: impl Into<bytes::Bytes>) -> Attachment {
        Attachment {
            content_type: content_type.into(),
            filename: None,
            source: Source::Bytes(data.into()),
        }
    }

    /// An attachment read from `reader` while the message is written, in
    /// chunks, and sent as base64: it is never whole in memory.
    pub fn from_reader(
        content_type: impl Into<String>,
        reader: impl Read + Send + 'static,
    ) -> Attachment {
        Attachment {
            content_type: content_type.into(),
            filename: None,
            source: Source::Reader(Box::new(reader)),
        }
    }

    /// Sets the file name (Content-Disposition `filename`, RFC 2183 §2.3,
    /// and the Content-Type `name`), in any language.
    pub fn filename(mut self, name: impl Into<String>) -> Attachment {
        self.filename = Some(name.into());
        self
    }
}

impl fmt::Debug for Attachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            Source::Bytes(b) => format!("{} bytes", b.len()),
            Source::Reader(_) => "reader".to_owned(),
        };
        f.debug_struct("Attachment")
            .field("content_type", &self.content_type)
            .field("filename", &self.filename)
            .field("source", &source)
            .finish()
    }
}

/// A Mailbox with no display name.
impl From<&str> for Mailbox {
    fn from(address: &str) -> Mailbox {
        Mailbox {
            name: None,
            address: address.to_owned(),
        }
    }
}

/// A Mailbox with no display name.
impl From<String> for Mailbox {
    fn from(address: String) -> Mailbox {
        Mailbox {
            name: None,
            address,
        }
    }
}

/// A Mailbox from `(display name, address)`; an empty name is no name.
impl<N: Into<String>, A: Into<String>> From<(N, A)> for Mailbox {
    fn from((name, address): (N, A)) -> Mailbox {
        let name = name.into();
        Mailbox {
            name: (!name.is_empty()).then_some(name),
            address: address.into(),
        }
    }
}

#[derive(Debug, Clone)]
enum MessageId {
    Whole(String),
    Parts(Vec<u8>, String),
}

#[derive(Debug, Clone)]
struct CustomHeader {
    name: String,
    value: String,
    raw: bool,
}

/// Composes one message. Setters take and return the builder; nothing is
/// checked until [`requirement`](Self::requirement),
/// [`write_to`](Self::write_to) or [`build`](Self::build), which check the
/// whole message before writing anything. See the [module docs](self).
#[derive(Default)]
pub struct MessageBuilder {
    from: Vec<Mailbox>,
    sender: Option<Mailbox>,
    reply_to: Vec<Mailbox>,
    to: Vec<Mailbox>,
    cc: Vec<Mailbox>,
    bcc: Vec<Mailbox>,
    subject: Option<String>,
    date: Option<(i64, i32)>,
    message_id: Option<MessageId>,
    in_reply_to: Vec<String>,
    references: Vec<String>,
    headers: Vec<CustomHeader>,
    text: Option<String>,
    html: Option<String>,
    inline: Vec<(String, Attachment)>,
    attachments: Vec<Attachment>,
    allow_8bit: bool,
    boundary_seed: u64,
}

impl fmt::Debug for MessageBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageBuilder")
            .field("from", &self.from)
            .field("to", &self.to)
            .field("cc", &self.cc)
            .field("bcc", &self.bcc.len())
            .field("subject", &self.subject)
            .field("text", &self.text.as_ref().map(String::len))
            .field("html", &self.html.as_ref().map(String::len))
            .field("inline", &self.inline)
            .field("attachments", &self.attachments)
            .finish_non_exhaustive()
    }
}

/// Header fields the builder writes itself (lower case); `content-*` too.
const RESERVED: &[&str] = &[
    "from",
    "sender",
    "reply-to",
    "to",
    "cc",
    "bcc",
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "mime-version",
];

/// Everything checked and decided, before a byte is written.
struct Plan {
    root: Node,
    leaves: Vec<Leaf>,
    requirement: BodyRequirement,
}

impl MessageBuilder {
    /// An empty builder.
    pub fn new() -> MessageBuilder {
        MessageBuilder::default()
    }

    /// Adds a From mailbox (RFC 5322 §3.6.2). Required; more than one
    /// needs a [`sender`](Self::sender).
    pub fn from(mut self, mailbox: impl Into<Mailbox>) -> Self {
        self.from.push(mailbox.into());
        self
    }

    /// Sets the Sender (RFC 5322 §3.6.2).
    pub fn sender(mut self, mailbox: impl Into<Mailbox>) -> Self {
        self.sender = Some(mailbox.into());
        self
    }

    /// Adds a Reply-To mailbox (RFC 5322 §3.6.2).
    pub fn reply_to(mut self, mailbox: impl Into<Mailbox>) -> Self {
        self.reply_to.push(mailbox.into());
        self
    }

    /// Adds a To recipient (RFC 5322 §3.6.3).
    pub fn to(mut self, mailbox: impl Into<Mailbox>) -> Self {
        self.to.push(mailbox.into());
        self
    }

    /// Adds a Cc recipient (RFC 5322 §3.6.3).
    pub fn cc(mut self, mailbox: impl Into<Mailbox>) -> Self {
        self.cc.push(mailbox.into());
        self
    }

    /// Adds a Bcc recipient: in [`envelope_recipients`](Self::envelope_recipients),
    /// never in the written header.
    pub fn bcc(mut self, mailbox: impl Into<Mailbox>) -> Self {
        self.bcc.push(mailbox.into());
        self
    }

    /// Sets the Subject (RFC 5322 §3.6.5), in any language.
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// Sets the Date (RFC 5322 §3.6.1) from seconds since the Unix epoch
    /// and the zone's offset east of UTC in minutes (`-360` for `-0600`).
    /// Years 1900 to 9999 only.
    pub fn date(mut self, unix_seconds: i64, utc_offset_minutes: i32) -> Self {
        self.date = Some((unix_seconds, utc_offset_minutes));
        self
    }

    /// Sets the Message-ID (RFC 5322 §3.6.4): `left@right`, with or
    /// without angle brackets.
    pub fn message_id(mut self, id: impl Into<String>) -> Self {
        self.message_id = Some(MessageId::Whole(id.into()));
        self
    }

    /// Sets the Message-ID from unique bytes the caller chose (random, or
    /// a timestamp and a counter), written in hex, and the sending domain.
    pub fn message_id_from_parts(
        mut self,
        unique: impl AsRef<[u8]>,
        domain: impl Into<String>,
    ) -> Self {
        self.message_id = Some(MessageId::Parts(unique.as_ref().to_vec(), domain.into()));
        self
    }

    /// Adds an In-Reply-To id (RFC 5322 §3.6.4).
    pub fn in_reply_to(mut self, id: impl Into<String>) -> Self {
        self.in_reply_to.push(id.into());
        self
    }

    /// Adds a References id (RFC 5322 §3.6.4), oldest first.
    pub fn references(mut self, id: impl Into<String>) -> Self {
        self.references.push(id.into());
        self
    }

    /// Adds a header field with unstructured text (RFC 5322 §3.2.5):
    /// written like the Subject, with encoded words where needed. The
    /// name must be printable ASCII without `:`, at most 76 octets, and
    /// not one the builder writes (From, Subject, Content-*, ...).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push(CustomHeader {
            name: name.into(),
            value: value.into(),
            raw: false,
        });
        self
    }

    /// Adds a header field whose value is already in its wire syntax
    /// (`List-Unsubscribe: <mailto:...>`): written as given, folded at its
    /// whitespace. Control characters are refused; UTF-8 makes the message
    /// need SMTPUTF8 (RFC 6532).
    pub fn raw_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push(CustomHeader {
            name: name.into(),
            value: value.into(),
            raw: true,
        });
        self
    }

    /// Sets the plain text body (text/plain; charset=utf-8).
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }

    /// Sets the HTML body (text/html; charset=utf-8), an alternative to
    /// the text body when both are set (RFC 2046 §5.1.4).
    pub fn html(mut self, html: impl Into<String>) -> Self {
        self.html = Some(html.into());
        self
    }

    /// Adds an attachment (Content-Disposition: attachment).
    pub fn attach(mut self, attachment: Attachment) -> Self {
        self.attachments.push(attachment);
        self
    }

    /// Adds an inline part the HTML refers to as `cid:<content_id>`
    /// (RFC 2392), in multipart/related with the HTML (RFC 2387).
    pub fn inline(mut self, content_id: impl Into<String>, part: Attachment) -> Self {
        self.inline.push((content_id.into(), part));
        self
    }

    /// Lets text bodies go out as 8bit (RFC 6152) when they are not ASCII;
    /// the message then needs [`BodyRequirement::EightBitMime`]. Off by
    /// default: quoted-printable or base64 instead.
    pub fn allow_8bit(mut self, allow: bool) -> Self {
        self.allow_8bit = allow;
        self
    }

    /// Seeds the multipart boundaries (default 0). The same inputs and
    /// seed give the same bytes.
    pub fn boundary_seed(mut self, seed: u64) -> Self {
        self.boundary_seed = seed;
        self
    }

    /// The envelope sender (RFC 5321 `MAIL FROM`): the Sender, else the
    /// first From address.
    pub fn envelope_sender(&self) -> Option<&str> {
        self.sender
            .as_ref()
            .or(self.from.first())
            .map(|m| m.address.as_str())
    }

    /// Every envelope recipient (RFC 5321 `RCPT TO`): To, Cc and Bcc, in
    /// that order, each address once, as given (not yet checked: the
    /// checks run in [`requirement`](Self::requirement) and
    /// [`build`](Self::build)).
    pub fn envelope_recipients(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for m in self.to.iter().chain(&self.cc).chain(&self.bcc) {
            if !out.contains(&m.address.as_str()) {
                out.push(&m.address);
            }
        }
        out
    }

    /// Checks the message and says what the SMTP transaction must declare.
    pub fn requirement(&self) -> Result<BodyRequirement, BuildError> {
        Ok(self.plan(&mut Vec::new(), false)?.requirement)
    }

    /// Checks the message, then writes it to `out`, encoding attachments
    /// as they are read. Returns what the transaction must declare. On
    /// [`BuildError::Io`] part of the message may have been written.
    pub fn write_to<W: Write>(mut self, out: W) -> Result<BodyRequirement, BuildError> {
        let mut head = Vec::new();
        let plan = self.plan(&mut head, false)?;
        let sources = self.sources();
        let mut sink = tree::WriteSink { out, buf: head };
        sink.flush(false)?;
        let mut writer = tree::Writer {
            sink,
            leaves: &plan.leaves,
            sources,
            texts: self.texts(),
        };
        writer.node(&plan.root)?;
        writer.sink.flush(true)?;
        writer.sink.out.flush()?;
        Ok(plan.requirement)
    }

    /// Checks the message and writes it into a `Vec<u8>`, sized up front
    /// from the parts, each part encoded straight into it.
    pub fn build(mut self) -> Result<Vec<u8>, BuildError> {
        let mut out = Vec::new();
        let plan = self.plan(&mut out, true)?;
        let sources = self.sources();
        let mut writer = tree::Writer {
            sink: tree::VecSink(&mut out),
            leaves: &plan.leaves,
            sources,
            texts: self.texts(),
        };
        writer.node(&plan.root)?;
        Ok(out)
    }

    /// The attachments' contents, inline parts first, for the writer
    /// (taken out of the builder).
    fn sources(&mut self) -> Vec<Option<Source>> {
        std::mem::take(&mut self.inline)
            .into_iter()
            .map(|(_, a)| a)
            .chain(std::mem::take(&mut self.attachments))
            .map(|a| Some(a.source))
            .collect()
    }

    /// Checks everything and writes the header fields into `head`; with
    /// `size_for_body`, first sizes `head` for the whole message, so that
    /// the body is encoded after it without the `Vec` ever moving.
    fn plan(&self, head: &mut Vec<u8>, size_for_body: bool) -> Result<Plan, BuildError> {
        if self.from.is_empty() {
            return Err(BuildError::MissingFrom);
        }
        // Every list checked into one `Vec`, in the order the errors are
        // reported: From, Sender, Reply-To, To, Cc, Bcc.
        let total =
            self.from.len() + self.reply_to.len() + self.to.len() + self.cc.len() + self.bcc.len();
        let mut checked: Vec<CheckedMailbox> = Vec::with_capacity(total);
        for m in &self.from {
            checked.push(check_mailbox(m, "From")?);
        }
        let sender = self
            .sender
            .as_ref()
            .map(|m| check_mailbox(m, "Sender"))
            .transpose()?;
        if self.from.len() > 1 && sender.is_none() {
            return Err(BuildError::MissingSender);
        }
        let lists: [(&[Mailbox], &'static str); 4] = [
            (&self.reply_to, "Reply-To"),
            (&self.to, "To"),
            (&self.cc, "Cc"),
            (&self.bcc, "Bcc"),
        ];
        let mut ends = [0usize; 5];
        ends[0] = checked.len();
        for (k, (list, field)) in lists.into_iter().enumerate() {
            for m in list {
                checked.push(check_mailbox(m, field)?);
            }
            ends[k + 1] = checked.len();
        }
        let from = &checked[..ends[0]];
        let reply_to = &checked[ends[0]..ends[1]];
        let to = &checked[ends[1]..ends[2]];
        let cc = &checked[ends[2]..ends[3]];
        if let Some(subject) = &self.subject {
            check_text("Subject", subject)?;
        }
        let mut utf8 = checked.iter().chain(&sender).any(|m| m.utf8);
        for h in &self.headers {
            check_header_name(&h.name)?;
            check_text(&h.name, &h.value)?;
            if h.raw {
                if h.value.chars().any(|c| c.is_control() && c != '\t') {
                    return Err(BuildError::ControlCharacter(h.name.clone()));
                }
                utf8 |= !h.value.is_ascii();
            }
        }
        let date = self
            .date
            .map(|(t, off)| ident::format_date(t, off))
            .transpose()?;
        let message_id = match &self.message_id {
            None => None,
            Some(MessageId::Whole(id)) => Some(ident::check_msg_id(id)),
            Some(MessageId::Parts(unique, domain)) => {
                Some(ident::msg_id_from_parts(unique, domain))
            }
        }
        .map(|id| id.ok_or(BuildError::InvalidMessageId))
        .transpose()?;
        let ids = |list: &[String]| {
            list.iter()
                .map(|id| ident::check_msg_id(id).ok_or(BuildError::InvalidMessageId))
                .collect::<Result<Vec<_>, _>>()
        };
        let in_reply_to = ids(&self.in_reply_to)?;
        let references = ids(&self.references)?;

        let (root, leaves) = self.structure()?;
        let requirement = if utf8 {
            BodyRequirement::SmtpUtf8
        } else if leaves.iter().any(|l| l.encoding == Encoding::EightBit) {
            BodyRequirement::EightBitMime
        } else {
            BodyRequirement::SevenBit
        };

        if size_for_body {
            head.reserve(self.head_bound() + tree::estimate(&root, &leaves));
        }
        if let Some(date) = date {
            put(head, "Date", |f| f.word(" ", &date))?;
        }
        let lists: [(&str, &[CheckedMailbox]); 5] = [
            ("From", from),
            ("Sender", sender.as_slice()),
            ("Reply-To", reply_to),
            ("To", to),
            ("Cc", cc),
        ];
        for (name, list) in lists {
            if !list.is_empty() {
                put(head, name, |f| write_mailboxes(f, list, utf8))?;
            }
        }
        if let Some(id) = message_id {
            put(head, "Message-ID", |f| {
                f.word_parts(" ", &[b"<", id.as_bytes(), b">"]);
            })?;
        }
        for (name, list) in [("In-Reply-To", &in_reply_to), ("References", &references)] {
            if !list.is_empty() {
                put(head, name, |f| {
                    for id in list {
                        f.word_parts(" ", &[b"<", id.as_bytes(), b">"]);
                    }
                })?;
            }
        }
        if let Some(subject) = &self.subject {
            put(head, "Subject", |f| {
                encoded_word::write_unstructured(f, subject, utf8);
            })?;
        }
        for h in &self.headers {
            if h.raw {
                put(head, &h.name, |f| write_raw(f, h.value.trim()))?;
            } else {
                put(head, &h.name, |f| {
                    encoded_word::write_unstructured(f, &h.value, utf8);
                })?;
            }
        }
        head.extend_from_slice(b"MIME-Version: 1.0\r\n");
        Ok(Plan {
            root,
            leaves,
            requirement,
        })
    }

    /// Chooses the tree (RFC 2046 §5.1, RFC 2387), each leaf's encoding
    /// and header fields, and the boundaries.
    fn structure(&self) -> Result<(Node, Vec<Leaf>), BuildError> {
        let mut leaves: Vec<Leaf> =
            Vec::with_capacity(3 + self.inline.len() + self.attachments.len());
        let mut add = |leaf: Leaf| {
            leaves.push(leaf);
            Node::Leaf(leaves.len() - 1)
        };
        let text = self
            .text
            .as_ref()
            .map(|t| add(text_leaf(false, t, 0, self.allow_8bit)));
        let html = self
            .html
            .as_ref()
            .map(|t| add(text_leaf(true, t, 1, self.allow_8bit)));
        let mut inline = Vec::new();
        for (n, (cid, part)) in self.inline.iter().enumerate() {
            let cid = ident::check_content_id(cid).ok_or(BuildError::InvalidContentId)?;
            inline.push(add(attachment_leaf(part, n, Some(&cid))?));
        }
        let mut attached = Vec::new();
        for (k, part) in self.attachments.iter().enumerate() {
            attached.push(add(attachment_leaf(part, self.inline.len() + k, None)?));
        }
        // HTML and its inline parts are related; without HTML they relate
        // to the text; without either they are parts of the mixed list.
        let (text, html) = match (text, html) {
            (t, Some(h)) => {
                let mut related = vec![h];
                related.append(&mut inline);
                (t, Node::multipart("related", related))
            }
            (Some(t), None) => {
                let mut related = vec![t];
                related.append(&mut inline);
                (None, Node::multipart("related", related))
            }
            (None, None) => (None, None),
        };
        let body = Node::multipart("alternative", text.into_iter().chain(html).collect());
        let has_body = body.is_some();
        let mut mixed: Vec<Node> = body.into_iter().collect();
        mixed.append(&mut inline);
        mixed.append(&mut attached);
        let mut root = if mixed.is_empty() {
            add(text_leaf(false, "", 2, self.allow_8bit))
        } else if has_body && mixed.len() == 1 {
            mixed.remove(0)
        } else {
            // Attachments without a body still go in multipart/mixed, so
            // that a part never ends the message without a line break.
            Node::Multipart {
                subtype: "mixed",
                boundary: tree::Boundary::default(),
                children: mixed,
            }
        };
        let raw: Vec<&[u8]> = leaves
            .iter()
            .filter(|l| matches!(l.encoding, Encoding::SevenBit | Encoding::EightBit))
            .filter_map(|l| match &l.content {
                Content::Owned(b) => Some(&b[..]),
                // A boundary has no CR or LF, so it occurs in the canonical
                // form exactly when it occurs in the text.
                Content::Text(n) => self.texts().get(*n).copied(),
                Content::Source(n) => match &self.source(*n).source {
                    Source::Bytes(b) => Some(&b[..]),
                    Source::Reader(_) => None,
                },
            })
            .collect();
        tree::assign_boundaries(&mut root, self.boundary_seed, &mut 0, &raw);
        Ok((root, leaves))
    }

    /// About how long the header fields get, rather more than less:
    /// encoded words and folding take at most about four times their text.
    fn head_bound(&self) -> usize {
        let mailboxes: usize = self
            .from
            .iter()
            .chain(&self.sender)
            .chain(&self.reply_to)
            .chain(&self.to)
            .chain(&self.cc)
            .map(|m| 4 * m.name.as_ref().map_or(0, String::len) + m.address.len() + 8)
            .sum();
        let headers: usize = self
            .headers
            .iter()
            .map(|h| h.name.len() + 4 * h.value.len() + 8)
            .sum();
        let ids: usize = self
            .in_reply_to
            .iter()
            .chain(&self.references)
            .map(|id| id.len() + 4)
            .sum();
        let message_id = match &self.message_id {
            Some(MessageId::Whole(id)) => id.len(),
            Some(MessageId::Parts(unique, domain)) => 2 * unique.len() + domain.len(),
            None => 0,
        };
        512 + mailboxes
            + headers
            + ids
            + message_id
            + 4 * self.subject.as_ref().map_or(0, String::len)
    }

    /// The text bodies that [`Content::Text`] refers to.
    fn texts(&self) -> [&[u8]; TEXTS] {
        [
            self.text.as_deref().unwrap_or_default().as_bytes(),
            self.html.as_deref().unwrap_or_default().as_bytes(),
            b"",
        ]
    }

    /// Attachment number `n`, inline parts first.
    fn source(&self, n: usize) -> &Attachment {
        match self.inline.get(n) {
            Some((_, a)) => a,
            None => &self.attachments[n - self.inline.len()],
        }
    }
}

/// Refuses CR, LF (header injection) and NUL in a header value (RFC 5322 §2.2).
fn check_text(name: &str, value: &str) -> Result<(), BuildError> {
    if value.contains(['\r', '\n']) {
        return Err(BuildError::LineBreak(name.to_owned()));
    }
    if value.contains('\0') {
        return Err(BuildError::Nul(name.to_owned()));
    }
    Ok(())
}

/// `field-name = 1*ftext` (RFC 5322 §3.6.8), at most 76 octets, and not
/// one the builder writes.
fn check_header_name(name: &str) -> Result<(), BuildError> {
    if name.is_empty()
        || name.len() > 76
        || !name.bytes().all(|b| (33..=126).contains(&b) && b != b':')
    {
        return Err(BuildError::InvalidHeaderName);
    }
    let lower = name.to_ascii_lowercase();
    if RESERVED.contains(&lower.as_str()) || lower.starts_with("content-") {
        return Err(BuildError::ReservedHeader(name.to_owned()));
    }
    Ok(())
}

/// Writes one field into `head`, refusing a line over 998 octets.
fn put(head: &mut Vec<u8>, name: &str, write: impl FnOnce(&mut Field)) -> Result<(), BuildError> {
    let mut field = Field::new(head, name);
    write(&mut field);
    if field.finish() {
        Ok(())
    } else {
        Err(BuildError::LineTooLong(name.to_owned()))
    }
}

/// Writes a raw value word by word, folding at its whitespace.
fn write_raw(field: &mut Field, value: &str) {
    let mut rest = value;
    let mut ws = " ";
    while !rest.is_empty() {
        let end = rest.find([' ', '\t']).unwrap_or(rest.len());
        field.word(ws, &rest[..end]);
        rest = &rest[end..];
        let next = rest.find(|c| c != ' ' && c != '\t').unwrap_or(rest.len());
        ws = &rest[..next];
        rest = &rest[next..];
    }
}

/// A text/plain or text/html leaf in canonical form: text body `n` of
/// [`MessageBuilder::texts`], measured here and encoded from the
/// caller's text when written.
fn text_leaf(html: bool, text: &str, n: usize, allow_8bit: bool) -> Leaf {
    let measured = TextScan::of(text.as_bytes(), allow_8bit);
    let scan = measured.scan;
    let encoding = scan.choose(measured.len, allow_8bit);
    Leaf {
        headers: std::borrow::Cow::Borrowed(text_headers(html, encoding)),
        encoding,
        body_len: measured.encoded_bound(encoding),
        content: Content::Text(n),
    }
}

/// The header fields of a text/plain or text/html part in UTF-8.
fn text_headers(html: bool, encoding: Encoding) -> &'static [u8] {
    macro_rules! fields {
        ($subtype:literal, $encoding:literal) => {
            concat!(
                "Content-Type: text/",
                $subtype,
                "; charset=utf-8\r\nContent-Transfer-Encoding: ",
                $encoding,
                "\r\n"
            )
            .as_bytes()
        };
    }
    match (html, encoding) {
        (false, Encoding::SevenBit) => fields!("plain", "7bit"),
        (false, Encoding::EightBit) => fields!("plain", "8bit"),
        (false, Encoding::QuotedPrintable) => fields!("plain", "quoted-printable"),
        (false, Encoding::Base64) => fields!("plain", "base64"),
        (true, Encoding::SevenBit) => fields!("html", "7bit"),
        (true, Encoding::EightBit) => fields!("html", "8bit"),
        (true, Encoding::QuotedPrintable) => fields!("html", "quoted-printable"),
        (true, Encoding::Base64) => fields!("html", "base64"),
    }
}

/// `Content-Transfer-Encoding: <name>` and CRLF.
fn push_transfer_encoding(headers: &mut Vec<u8>, encoding: Encoding) {
    headers.extend_from_slice(b"Content-Transfer-Encoding: ");
    headers.extend_from_slice(encoding.name().as_bytes());
    headers.extend_from_slice(b"\r\n");
}

/// An attachment leaf (or an inline one, with a Content-ID).
fn attachment_leaf(part: &Attachment, n: usize, cid: Option<&str>) -> Result<Leaf, BuildError> {
    let ct = &part.content_type;
    if ct.chars().any(char::is_control) {
        return Err(BuildError::InvalidContentType);
    }
    let mut defects: Vec<Defect> = Vec::new();
    let parsed = ContentType::parse(ct.as_bytes(), &mut defects);
    if !defects.is_empty() || parsed.main_type() == "multipart" {
        return Err(BuildError::InvalidContentType);
    }
    let mut atoms = Vec::new();
    for p in parsed.params().iter() {
        if !param::is_token(&p.name) {
            return Err(BuildError::InvalidContentType);
        }
        param::param_atoms(&p.name, &p.value, false, &mut atoms);
    }
    if let Some(name) = &part.filename
        && parsed.param("name").is_none()
    {
        param::param_atoms("name", name, true, &mut atoms);
    }
    let (encoding, body_len, content) = if parsed.main_type() == "message" {
        // RFC 2046 §5.2.1: 7bit or 8bit only; the message in canonical form.
        let Source::Bytes(bytes) = &part.source else {
            return Err(BuildError::MessageAttachment);
        };
        let canonical = Canonical::of(bytes);
        let scan = canonical.scan();
        let bytes = canonical.bytes;
        let encoding = if scan.is_seven_bit() {
            Encoding::SevenBit
        } else if scan.is_eight_bit() {
            Encoding::EightBit
        } else {
            return Err(BuildError::MessageAttachment);
        };
        (encoding, bytes.len(), Content::Owned(bytes))
    } else {
        // Text may be quoted-printable; other data is 7bit or base64.
        let (encoding, body_len) = match &part.source {
            Source::Bytes(b) if parsed.main_type() == "text" => {
                let scan = Scan::of(b);
                let encoding = scan.choose(b.len(), false);
                (encoding, scan.encoded_len(encoding, b.len()))
            }
            Source::Bytes(b) if Scan::is_seven_bit_data(b) => (Encoding::SevenBit, b.len()),
            Source::Bytes(b) => (Encoding::Base64, base64_len(b.len())),
            Source::Reader(_) => (Encoding::Base64, 0),
        };
        (encoding, body_len, Content::Source(n))
    };
    let mut headers = Vec::with_capacity(256);
    let mime = parsed.mime_type();
    put(&mut headers, "Content-Type", |f| {
        param::write_with_params(f, &mime, &atoms);
    })?;
    push_transfer_encoding(&mut headers, encoding);
    let mut atoms = Vec::new();
    if let Some(name) = &part.filename {
        param::param_atoms("filename", name, true, &mut atoms);
    }
    let kind = if cid.is_some() {
        "inline"
    } else {
        "attachment"
    };
    put(&mut headers, "Content-Disposition", |f| {
        param::write_with_params(f, kind, &atoms);
    })?;
    if let Some(cid) = cid {
        headers.extend_from_slice(b"Content-ID: <");
        headers.extend_from_slice(cid.as_bytes());
        headers.extend_from_slice(b">\r\n");
    }
    Ok(Leaf {
        headers: std::borrow::Cow::Owned(headers),
        encoding,
        content,
        body_len,
    })
}
