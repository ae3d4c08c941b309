//! What the streaming parser reports: owned events, in stream order, each
//! naming the part it belongs to by its [`PartPath`].

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;

use crate::decode::TransferEncoding;
use crate::header::{Headers, split_header_block};
use crate::{ContentDisposition, ContentType, Defect, Limits};

/// Where a part sits in the tree: the child indices from the top-level
/// message down, 0-based; empty for the top-level message. The one child
/// of a message/rfc822 part is index 0. Cloning is cheap (shared).
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct PartPath(Arc<[usize]>);

impl PartPath {
    /// The path of the top-level message.
    pub fn root() -> PartPath {
        PartPath::default()
    }

    /// The child indices, outermost first.
    pub fn indices(&self) -> &[usize] {
        &self.0
    }

    /// Nesting depth: 0 for the top-level message (as [`crate::Part::depth`]).
    pub fn depth(&self) -> usize {
        self.0.len()
    }

    /// True for the top-level message.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The path of this part's child number `index`.
    pub(crate) fn child(&self, index: usize) -> PartPath {
        let mut v = Vec::with_capacity(self.0.len() + 1);
        v.extend_from_slice(&self.0);
        v.push(index);
        PartPath(v.into())
    }
}

impl fmt::Debug for PartPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.iter()).finish()
    }
}

/// What a part's body is (the streaming counterpart of [`crate::PartKind`],
/// without the byte ranges, which [`PartEnd`] carries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BodyKind {
    /// Content, delivered as [`StreamEvent::Body`].
    Leaf,
    /// A multipart (RFC 2046 §5.1): children, with preamble and epilogue.
    Multipart,
    /// A message/rfc822 or message/global (RFC 2046 §5.2.1): one child message.
    Message,
}

/// One step of a streamed message. Data events come in pieces of exactly
/// [`super::StreamOptions::chunk_size`] bytes (the last piece of a run may
/// be shorter), so the events are the same however the input was split.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamEvent {
    /// A part's header block was read: the part starts. Parts start in
    /// depth-first order, parents before children, as [`crate::Message::parts`].
    PartStart(Box<PartStart>),
    /// Transfer-decoded body bytes of a leaf (RFC 2045 §6).
    Body {
        /// The part.
        path: PartPath,
        /// The next decoded bytes.
        data: Bytes,
    },
    /// Body bytes of a leaf as they were on the wire (only with
    /// [`super::StreamOptions::raw_body`]).
    RawBody {
        /// The part.
        path: PartPath,
        /// The next raw bytes.
        data: Bytes,
    },
    /// Bytes of a multipart's preamble (RFC 2046 §5.1.1). If no boundary
    /// line ever comes, the part ends as a [`BodyKind::Leaf`] with
    /// [`Defect::NoBoundaryFound`] and these bytes were its raw body.
    Preamble {
        /// The multipart.
        path: PartPath,
        /// The next bytes.
        data: Bytes,
    },
    /// Bytes of a multipart's epilogue (RFC 2046 §5.1.1).
    Epilogue {
        /// The multipart.
        path: PartPath,
        /// The next bytes.
        data: Bytes,
    },
    /// A part ended: its final kind, byte ranges and defects.
    PartEnd(Box<PartEnd>),
    /// The whole message was read; no event follows.
    End,
}

/// A part's header block, owned: the raw fields byte-exact, and what the
/// parser read from them.
#[derive(Clone, PartialEq, Eq)]
pub struct PartStart {
    pub(crate) path: PartPath,
    pub(crate) index: usize,
    /// A newline, then the raw header fields: the leading byte lets
    /// [`PartStart::headers`] split them as a part that does not start the input.
    pub(crate) block: Bytes,
    pub(crate) header_range: Range<u64>,
    pub(crate) body_start: u64,
    pub(crate) content_type: ContentType<'static>,
    pub(crate) disposition: Option<ContentDisposition<'static>>,
    pub(crate) transfer_encoding: TransferEncoding,
    pub(crate) kind: BodyKind,
    pub(crate) defects: Vec<Defect>,
}

impl PartStart {
    /// Where the part sits in the tree.
    pub fn path(&self) -> &PartPath {
        &self.path
    }

    /// The part's number in depth-first order (0 for the top-level message).
    pub fn index(&self) -> usize {
        self.index
    }

    /// Nesting depth: 0 for the top-level message.
    pub fn depth(&self) -> usize {
        self.path.depth()
    }

    /// The header fields, byte-exact (without the empty separator line or
    /// a leading mbox `From ` line).
    pub fn raw_headers(&self) -> Bytes {
        self.block.slice(1..)
    }

    /// The header fields, split as [`crate::Part::headers`] splits them
    /// (anew on each call: keep the result when asking several times).
    pub fn headers(&self) -> Headers<'_> {
        let unlimited = Limits {
            max_depth: usize::MAX,
            max_parts: usize::MAX,
            max_header_bytes: usize::MAX,
            max_header_count: usize::MAX,
        };
        split_header_block(
            &self.block,
            1..self.block.len(),
            &unlimited,
            &mut Vec::new(),
        )
        .map(|split| split.headers)
        .unwrap_or_default()
    }

    /// Stream offsets of the header fields (see [`crate::Part::header_range`]).
    pub fn header_range(&self) -> Range<u64> {
        self.header_range.clone()
    }

    /// Stream offset where the body starts.
    pub fn body_start(&self) -> u64 {
        self.body_start
    }

    /// The Content-Type, or its default (RFC 2045 §5.2, RFC 2046 §5.1.5).
    pub fn content_type(&self) -> &ContentType<'static> {
        &self.content_type
    }

    /// The Content-Disposition (RFC 2183), when there is one.
    pub fn disposition(&self) -> Option<&ContentDisposition<'static>> {
        self.disposition.as_ref()
    }

    /// The file name: Content-Disposition `filename`, else Content-Type `name`.
    pub fn filename(&self) -> Option<&str> {
        self.disposition
            .as_ref()
            .and_then(ContentDisposition::filename)
            .or_else(|| self.content_type.param("name"))
    }

    /// The Content-Transfer-Encoding (7bit when absent, RFC 2045 §6.1).
    pub fn transfer_encoding(&self) -> TransferEncoding {
        self.transfer_encoding
    }

    /// What the header says the body is; a multipart without any boundary
    /// line still ends as a leaf (see [`PartEnd::kind`]).
    pub fn kind(&self) -> BodyKind {
        self.kind
    }

    /// Defects of the header block and its Content-Type, as far as known
    /// now (the full list comes with [`PartEnd::defects`]).
    pub fn defects(&self) -> &[Defect] {
        &self.defects
    }
}

impl fmt::Debug for PartStart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartStart")
            .field("path", &self.path)
            .field("index", &self.index)
            .field("header_range", &self.header_range)
            .field("body_start", &self.body_start)
            .field("content_type", &self.content_type.mime_type())
            .field("transfer_encoding", &self.transfer_encoding)
            .field("kind", &self.kind)
            .field("defects", &self.defects)
            .finish_non_exhaustive()
    }
}

/// The end of a part: its final kind, byte ranges and every defect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartEnd {
    pub(crate) path: PartPath,
    pub(crate) index: usize,
    pub(crate) kind: BodyKind,
    pub(crate) body_range: Range<u64>,
    pub(crate) preamble: Option<Range<u64>>,
    pub(crate) epilogue: Option<Range<u64>>,
    pub(crate) defects: Vec<Defect>,
    pub(crate) body_defects: Vec<Defect>,
}

impl PartEnd {
    /// Where the part sits in the tree.
    pub fn path(&self) -> &PartPath {
        &self.path
    }

    /// The part's number in depth-first order.
    pub fn index(&self) -> usize {
        self.index
    }

    /// What the body turned out to be (as [`crate::Part::kind`]).
    pub fn kind(&self) -> BodyKind {
        self.kind
    }

    /// Stream offsets of the body (as [`crate::Part::body_range`]).
    pub fn body_range(&self) -> Range<u64> {
        self.body_range.clone()
    }

    /// Stream offsets of a multipart's preamble.
    pub fn preamble(&self) -> Option<Range<u64>> {
        self.preamble.clone()
    }

    /// Stream offsets of a multipart's epilogue (empty without a closing boundary).
    pub fn epilogue(&self) -> Option<Range<u64>> {
        self.epilogue.clone()
    }

    /// Every structural defect of this part, the same list as [`crate::Part::defects`].
    pub fn defects(&self) -> &[Defect] {
        &self.defects
    }

    /// For a leaf: what transfer decoding found, as [`crate::Part::decode_body`] reports it.
    pub fn body_defects(&self) -> &[Defect] {
        &self.body_defects
    }
}
