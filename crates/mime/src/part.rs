//! One node of the MIME tree (RFC 2045 §2.6, RFC 2046 §5): its header
//! fields, the byte ranges of its header block and body (what DKIM and ARC
//! sign, RFC 6376 §3.7), its content type, children and defects; typed
//! header access and body decoding happen on demand.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::OnceLock;

use crate::Defect;
use crate::address::AddressList;
use crate::charset::{decode_charset, utf8_reads_as_is};
use crate::date::DateTime;
use crate::decode::TransferEncoding;
use crate::header::{Header, Headers};
use crate::msgid::parse_msg_ids;
use crate::param::{ContentDisposition, ContentType};
use crate::report::DeliveryStatus;

/// [`Part::decode_text`] of a body that transfer decoding produced: the
/// buffer becomes the string, without a copy, when it already is the text.
fn owned_text(charset: Option<&str>, v: Vec<u8>, defects: &mut Vec<Defect>) -> String {
    // Without a charset, and for UTF-8 and US-ASCII, valid UTF-8 is the
    // text as it is (what `decode_charset` would borrow).
    let v = if charset.is_none_or(|l| utf8_reads_as_is(l.as_bytes())) {
        match String::from_utf8(v) {
            Ok(s) => return s,
            Err(e) => e.into_bytes(),
        }
    } else {
        v
    };
    let label = charset.map_or(&b"windows-1252"[..], str::as_bytes);
    // `decode_charset` borrows only when the whole input is the text.
    if let Cow::Owned(s) = decode_charset(label, &v, defects) {
        return s;
    }
    String::from_utf8(v).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// What a part's body is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PartKind {
    /// A leaf: the body is content.
    Leaf,
    /// A multipart (RFC 2046 §5.1): the body is split at boundary lines
    /// into [`Part::children`]; the text before the first boundary and after
    /// the last are the preamble and epilogue (absolute byte ranges).
    Multipart {
        /// The bytes before the first boundary line.
        preamble: Range<usize>,
        /// The bytes after the closing boundary line (empty if it is missing).
        epilogue: Range<usize>,
    },
    /// A message/rfc822 or message/global (RFC 2046 §5.2.1, RFC 6532 §3.7):
    /// the body is a whole message, the single child.
    Message,
    /// Not examined: [`crate::Message::parse_headers`] read the header
    /// block only, so the body was not split; whether it is a leaf, a
    /// multipart or a message the [`Part::content_type`] says, and
    /// [`crate::Message::parse`] splits it.
    Unsplit,
}

/// One part of a message, borrowing the message bytes.
#[derive(Debug, Clone)]
pub struct Part<'a> {
    pub(crate) input: &'a [u8],
    pub(crate) headers: Headers<'a>,
    pub(crate) header_range: Range<usize>,
    pub(crate) body_range: Range<usize>,
    pub(crate) content_type: ContentType<'a>,
    pub(crate) kind: PartKind,
    pub(crate) children: Vec<Part<'a>>,
    pub(crate) defects: Vec<Defect>,
    pub(crate) depth: usize,
    /// For a part read by [`crate::Message::parse_headers`]
    /// ([`PartKind::Unsplit`]): its Content-Type and all its defects, read
    /// from the header fields on first use (`content_type` and `defects`
    /// above then hold only the default and the header block's defects).
    /// Unused by a whole parse, which needs every Content-Type to split
    /// the tree. Boxed so that it adds two words to every part and
    /// nothing is allocated until it is read.
    pub(crate) lazy_head: OnceLock<Box<(ContentType<'a>, Vec<Defect>)>>,
}

impl<'a> Part<'a> {
    /// The header fields, in order, byte-exact.
    pub fn headers(&self) -> &Headers<'a> {
        &self.headers
    }

    /// The first header field called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&Header<'a>> {
        self.headers.get(name)
    }

    /// The byte range of the header fields in the input (from the first
    /// field through the line ending of the last; the empty separator line
    /// and a leading mbox `From ` line are outside it).
    pub fn header_range(&self) -> Range<usize> {
        self.header_range.clone()
    }

    /// The byte range of the body in the input. For a part of a multipart,
    /// it ends before the line break that belongs to the next boundary (RFC 2046 §5.1.1).
    pub fn body_range(&self) -> Range<usize> {
        self.body_range.clone()
    }

    /// The header block bytes, byte-exact.
    pub fn raw_headers(&self) -> &'a [u8] {
        &self.input[self.header_range.clone()]
    }

    /// The body bytes, still transfer-encoded.
    pub fn raw_body(&self) -> &'a [u8] {
        &self.input[self.body_range.clone()]
    }

    /// Nesting depth: 0 for the top-level message.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The Content-Type, or the default: text/plain (RFC 2045 §5.2), or
    /// message/rfc822 inside a multipart/digest (RFC 2046 §5.1.5).
    pub fn content_type(&self) -> &ContentType<'a> {
        match self.kind {
            PartKind::Unsplit => &self.read_lazy_head().0,
            _ => &self.content_type,
        }
    }

    /// The Content-Type and defects of a header-only part, read once.
    fn read_lazy_head(&self) -> &(ContentType<'a>, Vec<Defect>) {
        self.lazy_head.get_or_init(|| {
            let mut defects = self.defects.clone();
            let content_type = crate::message::content_type_of(&self.headers, false, &mut defects);
            Box::new((content_type, defects))
        })
    }

    /// The Content-Disposition (RFC 2183), when there is one.
    pub fn disposition(&self) -> Option<ContentDisposition<'a>> {
        let h = self.headers.get("content-disposition")?;
        Some(ContentDisposition::parse(h.raw_value(), &mut Vec::new()))
    }

    /// The file name: Content-Disposition `filename` (RFC 2183 §2.3, with
    /// RFC 2231 continuations and charsets), else the Content-Type `name`.
    pub fn filename(&self) -> Option<String> {
        if let Some(d) = self.disposition()
            && let Some(f) = d.filename()
        {
            return Some(f.to_owned());
        }
        self.content_type().param("name").map(str::to_owned)
    }

    /// True for Content-Disposition `attachment`.
    pub fn is_attachment(&self) -> bool {
        self.disposition().is_some_and(|d| d.is_attachment())
    }

    /// The Content-Transfer-Encoding (RFC 2045 §6.1; 7bit when absent).
    pub fn transfer_encoding(&self) -> TransferEncoding {
        self.headers.transfer_encoding()
    }

    /// What the body is.
    pub fn kind(&self) -> &PartKind {
        &self.kind
    }

    /// True for a multipart that was split into children.
    pub fn is_multipart(&self) -> bool {
        matches!(self.kind, PartKind::Multipart { .. })
    }

    /// The children: the parts of a multipart, or the one embedded message
    /// of a message/rfc822 part; empty for a leaf.
    pub fn children(&self) -> &[Part<'a>] {
        &self.children
    }

    /// The embedded message of a message/rfc822 part.
    pub fn embedded_message(&self) -> Option<&Part<'a>> {
        match self.kind {
            PartKind::Message => self.children.first(),
            _ => None,
        }
    }

    /// The preamble of a multipart (RFC 2046 §5.1.1).
    pub fn preamble(&self) -> Option<&'a [u8]> {
        match &self.kind {
            PartKind::Multipart { preamble, .. } => Some(&self.input[preamble.clone()]),
            _ => None,
        }
    }

    /// The epilogue of a multipart (RFC 2046 §5.1.1).
    pub fn epilogue(&self) -> Option<&'a [u8]> {
        match &self.kind {
            PartKind::Multipart { epilogue, .. } => Some(&self.input[epilogue.clone()]),
            _ => None,
        }
    }

    /// What was wrong with this part's structure (not its children's).
    pub fn defects(&self) -> &[Defect] {
        match self.kind {
            PartKind::Unsplit => &self.read_lazy_head().1,
            _ => &self.defects,
        }
    }

    /// The body with its transfer encoding undone, and the defects that
    /// decoding found. Borrows for 7bit, 8bit and binary.
    pub fn decode_body(&self) -> (Cow<'a, [u8]>, Vec<Defect>) {
        let mut defects = Vec::new();
        let body = self
            .transfer_encoding()
            .decode(self.raw_body(), &mut defects);
        (body, defects)
    }

    /// The body with its transfer encoding undone (see [`Part::decode_body`]).
    pub fn decoded_body(&self) -> Cow<'a, [u8]> {
        self.decode_body().0
    }

    /// For a text/* leaf: the body decoded to UTF-8 from its charset, with
    /// the defects found. Without a charset parameter, UTF-8 is tried, then
    /// windows-1252. `None` for any other part, an unsplit one included
    /// ([`PartKind::Unsplit`]).
    pub fn decode_text(&self) -> Option<(Cow<'a, str>, Vec<Defect>)> {
        if !matches!(self.kind, PartKind::Leaf) || self.content_type().main_type() != "text" {
            return None;
        }
        let (body, mut defects) = self.decode_body();
        let charset = self.content_type().charset();
        let text = match body {
            Cow::Borrowed(b) => match charset {
                Some(label) => decode_charset(label.as_bytes(), b, &mut defects),
                None => match crate::charset::utf8(b) {
                    Some(s) => Cow::Borrowed(s),
                    None => decode_charset(b"windows-1252", b, &mut defects),
                },
            },
            Cow::Owned(v) => Cow::Owned(owned_text(charset, v, &mut defects)),
        };
        Some((text, defects))
    }

    /// For a text/* leaf: the body as UTF-8 (see [`Part::decode_text`]).
    pub fn text(&self) -> Option<Cow<'a, str>> {
        self.decode_text().map(|(t, _)| t)
    }

    /// Subject (RFC 5322 §3.6.5), unfolded, encoded words decoded.
    pub fn subject(&self) -> Option<Cow<'a, str>> {
        self.headers.get("subject").map(Header::text)
    }

    fn addresses(&self, name: &str) -> Option<AddressList> {
        self.headers
            .get(name)
            .map(|h| AddressList::parse(&h.value()))
    }

    /// From (RFC 5322 §3.6.2).
    pub fn from(&self) -> Option<AddressList> {
        self.addresses("from")
    }

    /// Sender (RFC 5322 §3.6.2).
    pub fn sender(&self) -> Option<AddressList> {
        self.addresses("sender")
    }

    /// Reply-To (RFC 5322 §3.6.2).
    pub fn reply_to(&self) -> Option<AddressList> {
        self.addresses("reply-to")
    }

    /// To (RFC 5322 §3.6.3).
    pub fn to(&self) -> Option<AddressList> {
        self.addresses("to")
    }

    /// Cc (RFC 5322 §3.6.3).
    pub fn cc(&self) -> Option<AddressList> {
        self.addresses("cc")
    }

    /// Bcc (RFC 5322 §3.6.3).
    pub fn bcc(&self) -> Option<AddressList> {
        self.addresses("bcc")
    }

    /// Date (RFC 5322 §3.6.1) and the defects of reading it; `None` inside
    /// when the header is there but unreadable.
    pub fn date_with_defects(&self) -> Option<(Option<DateTime>, Vec<Defect>)> {
        let h = self.headers.get("date")?;
        let mut defects = Vec::new();
        let d = DateTime::parse(&h.value(), &mut defects);
        Some((d, defects))
    }

    /// Date (RFC 5322 §3.6.1), when present and readable.
    pub fn date(&self) -> Option<DateTime> {
        self.date_with_defects().and_then(|(d, _)| d)
    }

    /// Message-ID without angle brackets (RFC 5322 §3.6.4).
    pub fn message_id(&self) -> Option<String> {
        let h = self.headers.get("message-id")?;
        parse_msg_ids(&h.value()).into_iter().next()
    }

    /// In-Reply-To ids (RFC 5322 §3.6.4).
    pub fn in_reply_to(&self) -> Vec<String> {
        self.headers
            .get("in-reply-to")
            .map_or_else(Vec::new, |h| parse_msg_ids(&h.value()))
    }

    /// References ids, oldest first (RFC 5322 §3.6.4).
    pub fn references(&self) -> Vec<String> {
        self.headers
            .get("references")
            .map_or_else(Vec::new, |h| parse_msg_ids(&h.value()))
    }

    /// For a message/delivery-status (or message/global-delivery-status,
    /// RFC 6533) part: its typed per-recipient results (RFC 3464).
    pub fn delivery_status(&self) -> Option<DeliveryStatus> {
        let ct = self.content_type();
        if ct.main_type() != "message"
            || !(ct.subtype() == "delivery-status" || ct.subtype() == "global-delivery-status")
        {
            return None;
        }
        Some(DeliveryStatus::parse(&self.decoded_body()))
    }
}
