//! SMTP replies (RFC 5321 §4.2) with RFC 3463 enhanced status codes.

use bytes::{Bytes, BytesMut};

use crate::ParseError;

/// A three-digit reply code, 200 to 599 (RFC 5321 §4.2.1). Codes from 1xx
/// are not used by SMTP and are refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReplyCode(u16);

impl ReplyCode {
    /// Validates a code.
    pub const fn new(code: u16) -> Result<Self, ParseError> {
        todo!()
    }

    /// The number.
    pub const fn get(self) -> u16 {
        self.0
    }

    /// 2yz: positive completion.
    pub const fn is_positive(self) -> bool {
        self.0 / 100 == 2
    }

    /// 3yz: positive intermediate (354, 334).
    pub const fn is_intermediate(self) -> bool {
        self.0 / 100 == 3
    }

    /// 4yz: transient negative.
    pub const fn is_transient(self) -> bool {
        self.0 / 100 == 4
    }

    /// 5yz: permanent negative.
    pub const fn is_permanent(self) -> bool {
        self.0 / 100 == 5
    }
}

impl std::fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An enhanced status code `class.subject.detail` (RFC 3463 §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EnhancedStatusCode {
    /// 2, 4 or 5.
    pub class: u8,
    /// 0 to 999.
    pub subject: u16,
    /// 0 to 999.
    pub detail: u16,
}

impl EnhancedStatusCode {
    /// A code; panics in const context only if out of range (use literals).
    pub const fn new(class: u8, subject: u16, detail: u16) -> Self {
        Self {
            class,
            subject,
            detail,
        }
    }
}

impl std::fmt::Display for EnhancedStatusCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// A complete reply: code, optional enhanced code, and one or more lines of
/// text (without the code prefixes).
///
/// Text is kept as received (`Bytes`): servers send Latin-1 and worse, and
/// nothing is altered; [`text`](Self::text) gives a lossy UTF-8 view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    code: ReplyCode,
    enhanced: Option<EnhancedStatusCode>,
    lines: Vec<Bytes>,
}

impl Reply {
    /// A reply with text lines; fails if a line holds CR, LF or NUL.
    /// `lines` may be empty (one line with the code only is sent).
    pub fn new(
        code: ReplyCode,
        enhanced: Option<EnhancedStatusCode>,
        lines: impl IntoIterator<Item = impl Into<Bytes>>,
    ) -> Result<Self, ParseError> {
        todo!()
    }

    /// The reply code.
    pub fn code(&self) -> ReplyCode {
        self.code
    }

    /// The enhanced status code, when the first line carried one (and, for
    /// a multi-line reply, every line carried the same one).
    pub fn enhanced(&self) -> Option<EnhancedStatusCode> {
        self.enhanced
    }

    /// The text lines, enhanced code stripped.
    pub fn lines(&self) -> &[Bytes] {
        &self.lines
    }

    /// All lines joined with `\n`, lossily decoded, for display.
    pub fn text(&self) -> String {
        todo!()
    }

    /// Appends the reply on the wire (`250-...` lines then `250 ...`), with
    /// the enhanced code on every line when there is one.
    pub fn encode(&self, out: &mut BytesMut) {
        todo!()
    }
}

impl std::fmt::Display for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        todo!()
    }
}

/// Assembles a (possibly multi-line) reply from framed lines
/// (`reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF`, RFC 5321 §4.2).
///
/// Enforces a line count and a total byte cap so a hostile server cannot
/// grow a reply without bound.
#[derive(Debug, Clone)]
pub struct ReplyParser {
    max_lines: usize,
    max_bytes: usize,
    // private state
    code: Option<ReplyCode>,
    lines: Vec<Bytes>,
    bytes: usize,
}

impl ReplyParser {
    /// A parser with caps on lines per reply and total text bytes.
    pub fn new(max_lines: usize, max_bytes: usize) -> Self {
        Self {
            max_lines,
            max_bytes,
            code: None,
            lines: Vec::new(),
            bytes: 0,
        }
    }

    /// Feeds one line without its CRLF. Returns the reply once its last line
    /// arrived. An error leaves the parser reset.
    pub fn push_line(&mut self, line: Bytes) -> Result<Option<Reply>, ParseError> {
        todo!()
    }

    /// Whether a multi-line reply is half-received.
    pub fn is_partial(&self) -> bool {
        self.code.is_some()
    }
}
