//! SMTP replies (RFC 5321 §4.2) with RFC 3463 enhanced status codes.

use std::fmt::Write as _;

use bytes::{Bytes, BytesMut};

use crate::{ParseError, ParseErrorKind};

/// A three-digit reply code, 200 to 599 (RFC 5321 §4.2.1). Codes from 1xx
/// are not used by SMTP and are refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReplyCode(u16);

impl ReplyCode {
    /// `250`: requested action okay, completed.
    pub const OK: Self = Self(250);

    /// Validates a code: 200 to 599, else a `ReplyCode` error.
    pub const fn new(code: u16) -> Result<Self, ParseError> {
        if code >= 200 && code <= 599 {
            Ok(Self(code))
        } else {
            Err(ParseError::new(ParseErrorKind::ReplyCode))
        }
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
    /// A code. Not checked here (so it can be a `const`);
    /// [`Reply::new`] refuses one outside RFC 3463 (class 2, 4 or 5,
    /// subject and detail 0 to 999), see [`is_valid`](Self::is_valid).
    pub const fn new(class: u8, subject: u16, detail: u16) -> Self {
        Self {
            class,
            subject,
            detail,
        }
    }
}

impl EnhancedStatusCode {
    /// Whether the code is within RFC 3463 §2: `class = "2" / "4" / "5"`,
    /// `subject` and `detail` of one to three digits.
    pub const fn is_valid(self) -> bool {
        matches!(self.class, 2 | 4 | 5) && self.subject <= 999 && self.detail <= 999
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
/// Text is kept as received: servers send Latin-1 and worse, and nothing is
/// altered; [`text`](Self::text) gives a lossy UTF-8 view. All lines live in
/// one owned buffer, joined by LF (which no line may hold), so building a
/// reply costs at most one allocation (none for a short one-line reply) and
/// no reference counting on the receive buffer, whatever its number of lines.
#[derive(Clone, PartialEq, Eq)]
pub struct Reply {
    code: ReplyCode,
    enhanced: Option<EnhancedStatusCode>,
    /// How many lines `text` holds: one more than its LFs.
    count: usize,
    text: Text,
}

/// Octets of text kept without an allocation: enough for the usual
/// one-line replies (Postfix's `Ok: queued as 4BFE21F6A5`, `End data with
/// <CR><LF>.<CR><LF>`), while a `Reply` stays at 64 octets.
const INLINE: usize = 38;

/// The text of a [`Reply`]: inline when short, else one exact-size
/// allocation.
#[derive(Clone)]
enum Text {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Box<[u8]>),
}

impl Text {
    fn new(text: &[u8]) -> Self {
        let mut buf = [0; INLINE];
        match (buf.get_mut(..text.len()), u8::try_from(text.len())) {
            (Some(dst), Ok(len)) => {
                dst.copy_from_slice(text);
                Text::Inline { len, buf }
            }
            _ => Text::Heap(Box::from(text)),
        }
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            Text::Inline { len, buf } => buf.get(..usize::from(*len)).unwrap_or_default(),
            Text::Heap(text) => text,
        }
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Text {}

/// The lines of a [`Reply`], split off its buffer at each LF.
#[derive(Clone)]
struct Lines<'a> {
    rest: &'a [u8],
    remaining: usize,
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        if self.remaining == 0 {
            return Some(std::mem::take(&mut self.rest));
        }
        let end = memchr::memchr(b'\n', self.rest).unwrap_or(self.rest.len());
        let (line, rest) = self.rest.split_at(end);
        self.rest = rest.get(1..).unwrap_or_default();
        Some(line)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl DoubleEndedIterator for Lines<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        if self.remaining == 0 {
            return Some(std::mem::take(&mut self.rest));
        }
        let start = memchr::memrchr(b'\n', self.rest).map_or(0, |i| i + 1);
        let (rest, line) = self.rest.split_at(start);
        self.rest = rest.get(..rest.len().saturating_sub(1)).unwrap_or_default();
        Some(line)
    }
}

impl ExactSizeIterator for Lines<'_> {}

impl std::iter::FusedIterator for Lines<'_> {}

/// Bytes shown as `Bytes` shows them (`b"..."`, escapes for the rest), so a
/// [`Reply`]'s `Debug` reads as it did when its lines were `Bytes`.
struct DebugBytes<'a>(&'a [u8]);

impl std::fmt::Debug for DebugBytes<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("b\"")?;
        for &b in self.0 {
            match b {
                b'\n' => f.write_str("\\n")?,
                b'\r' => f.write_str("\\r")?,
                b'\t' => f.write_str("\\t")?,
                b'\\' | b'"' => write!(f, "\\{}", b as char)?,
                b'\0' => f.write_str("\\0")?,
                0x20..=0x7e => write!(f, "{}", b as char)?,
                _ => write!(f, "\\x{b:02x}")?,
            }
        }
        f.write_str("\"")
    }
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply")
            .field("code", &self.code)
            .field("enhanced", &self.enhanced)
            .field("lines", &self.lines().map(DebugBytes).collect::<Vec<_>>())
            .finish()
    }
}

impl Reply {
    /// A reply with text lines; fails (`ControlCharacter`) if a line holds
    /// CR, LF or NUL, and (`ReplyCode`) if the enhanced code is not valid.
    /// `lines` may be empty: it is stored as one empty line, which is sent
    /// as the code alone (and is what the parser gives for such a line).
    /// The lines are copied into the reply's one buffer.
    pub fn new(
        code: ReplyCode,
        enhanced: Option<EnhancedStatusCode>,
        lines: impl IntoIterator<Item = impl AsRef<[u8]>>,
    ) -> Result<Self, ParseError> {
        if enhanced.is_some_and(|e| !e.is_valid()) {
            return Err(ParseError::new(ParseErrorKind::ReplyCode));
        }
        let mut text = Vec::new();
        let mut count = 0usize;
        for line in lines {
            let line = line.as_ref();
            if memchr::memchr3(0, b'\r', b'\n', line).is_some() {
                return Err(ParseError::new(ParseErrorKind::ControlCharacter));
            }
            if count > 0 {
                text.push(b'\n');
            }
            text.extend_from_slice(line);
            count += 1;
        }
        Ok(Self {
            code,
            enhanced,
            count: count.max(1),
            text: Text::new(&text),
        })
    }

    /// The reply code.
    pub fn code(&self) -> ReplyCode {
        self.code
    }

    /// The enhanced status code, when the first line carried one (RFC 2034
    /// §4). Later lines that carry the same code lose it from their text;
    /// lines without it, or with another one, are kept as they are.
    pub fn enhanced(&self) -> Option<EnhancedStatusCode> {
        self.enhanced
    }

    /// The text lines, enhanced code stripped, in order (at least one,
    /// possibly empty). Borrowed from the reply's buffer.
    pub fn lines(&self) -> impl ExactSizeIterator<Item = &[u8]> + DoubleEndedIterator + Clone + '_ {
        Lines {
            rest: self.text.as_slice(),
            remaining: self.count,
        }
    }

    /// All lines joined with `\n`, lossily decoded, for display.
    pub fn text(&self) -> String {
        // The buffer is already the lines joined with LF.
        String::from_utf8_lossy(self.text.as_slice()).into_owned()
    }

    /// Appends the reply on the wire (`250-...` lines then `250 ...`), with
    /// the enhanced code on every line when there is one. Canonical form:
    /// `code SP [esc SP] text`; a line with empty text is the code alone
    /// (`250`, or `250-` for a continuation), or `250 2.0.0` with an
    /// enhanced code.
    pub fn encode(&self, out: &mut BytesMut) {
        let code = self.code.0;
        let digits = [
            b'0' + (code / 100 % 10) as u8,
            b'0' + (code / 10 % 10) as u8,
            b'0' + (code % 10) as u8,
        ];
        let n = self.count;
        for (i, line) in self.lines().enumerate() {
            out.extend_from_slice(&digits);
            let last = i + 1 == n;
            match self.enhanced {
                Some(esc) => {
                    out.extend_from_slice(if last { b" " } else { b"-" });
                    let _ = write!(out, "{esc}");
                    if !line.is_empty() {
                        out.extend_from_slice(b" ");
                    }
                }
                None if line.is_empty() => {
                    if !last {
                        out.extend_from_slice(b"-");
                    }
                }
                None => out.extend_from_slice(if last { b" " } else { b"-" }),
            }
            out.extend_from_slice(line);
            out.extend_from_slice(b"\r\n");
        }
    }
}

impl std::fmt::Display for Reply {
    /// One line for logs: `code [esc] text`, the text lines joined with
    /// `" / "`, lossily decoded, control characters shown as U+FFFD so a
    /// peer cannot write terminal escapes into a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.code)?;
        if let Some(e) = self.enhanced {
            write!(f, " {e}")?;
        }
        for (i, line) in self.lines().enumerate() {
            f.write_str(if i == 0 { " " } else { " / " })?;
            for c in String::from_utf8_lossy(line).chars() {
                let c = if c.is_control() { '\u{fffd}' } else { c };
                write!(f, "{c}")?;
            }
        }
        Ok(())
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
    enhanced: Option<EnhancedStatusCode>,
    /// The earlier lines of a multi-line reply, each followed by LF;
    /// reused from one reply to the next.
    text: Vec<u8>,
    lines: usize,
    bytes: usize,
}

impl ReplyParser {
    /// A parser with caps on lines per reply and total text bytes.
    pub fn new(max_lines: usize, max_bytes: usize) -> Self {
        Self {
            max_lines,
            max_bytes,
            code: None,
            enhanced: None,
            text: Vec::new(),
            lines: 0,
            bytes: 0,
        }
    }

    /// Feeds one line without its CRLF: [`push_line_ref`](Self::push_line_ref)
    /// for a line already held as `Bytes`.
    pub fn push_line(&mut self, line: Bytes) -> Result<Option<Reply>, ParseError> {
        self.push_line_ref(&line)
    }

    /// Feeds one line without its CRLF, borrowed (from
    /// `LineFramer::next_line_ref`, say: the text is copied into the reply,
    /// so the receive buffer is never shared). Returns the reply once its
    /// last line arrived. An error leaves the parser reset.
    ///
    /// Accepted: `250-text`, `250 text`, `250` alone and `250-` with empty
    /// text. Refused: a fourth character other than SP or `-`
    /// (`ReplyCode`), a code outside 200..=599 (`ReplyCode`), a code that
    /// differs from the earlier lines (`ReplyCodeMismatch`), NUL, CR or LF
    /// (`ControlCharacter`), more than `max_lines` lines or `max_bytes`
    /// bytes counted over the whole lines without CRLF (`ReplyTooLong`).
    /// Text is otherwise kept raw, 8-bit included.
    ///
    /// The enhanced status code (RFC 2034 §4, RFC 3463 §2) is read from the
    /// first line; later lines lose it only when they carry the same one.
    pub fn push_line_ref(&mut self, line: &[u8]) -> Result<Option<Reply>, ParseError> {
        // Every error goes through `fail`, which resets the parser.
        let Some((mut text, (code, last))) = reply_line(line) else {
            return Err(self.fail(ParseErrorKind::ReplyCode));
        };
        if has_nul_cr_lf(text) {
            return Err(self.fail(ParseErrorKind::ControlCharacter));
        }
        if self.code.is_some_and(|c| c != code) {
            return Err(self.fail(ParseErrorKind::ReplyCodeMismatch));
        }
        self.bytes = self.bytes.saturating_add(line.len());
        if self.lines >= self.max_lines || self.bytes > self.max_bytes {
            return Err(self.fail(ParseErrorKind::ReplyTooLong));
        }
        // One call site, so the code comes back in registers (not through
        // a stack slot written piecewise, which stalls the next load).
        if (self.lines == 0 || self.enhanced.is_some())
            && let Some((rest, esc)) = enhanced_status_code(text)
        {
            if self.lines == 0 {
                self.enhanced = Some(esc);
            }
            if self.enhanced == Some(esc) {
                text = rest;
            }
        }
        if !last {
            self.code = Some(code);
            self.text.extend_from_slice(text);
            self.text.push(b'\n');
            self.lines += 1;
            return Ok(None);
        }
        // Inline or one allocation of the exact size: straight from the
        // line for a one-line reply, from the reused scratch buffer for a
        // longer one.
        let all = if self.lines == 0 {
            Text::new(text)
        } else {
            self.text.extend_from_slice(text);
            let all = Text::new(&self.text);
            self.text.clear();
            all
        };
        let count = self.lines + 1;
        self.code = None;
        self.lines = 0;
        self.bytes = 0;
        Ok(Some(Reply {
            code,
            enhanced: self.enhanced.take(),
            count,
            text: all,
        }))
    }

    /// Resets the parser after an error: the partial reply is dropped.
    #[cold]
    fn fail(&mut self, kind: ParseErrorKind) -> ParseError {
        self.code = None;
        self.enhanced = None;
        self.text.clear();
        self.lines = 0;
        self.bytes = 0;
        ParseError::new(kind)
    }

    /// Whether a multi-line reply is half-received.
    pub fn is_partial(&self) -> bool {
        self.code.is_some()
    }
}

/// Whether `text` holds a NUL, CR or LF, in fixed-size blocks that compile
/// to a few vector compares each: for the short lines of replies this is
/// several times cheaper than a call to `memchr3`.
fn has_nul_cr_lf(text: &[u8]) -> bool {
    // One accumulator per byte value: written as one test, the compiler
    // turns the three compares into a scalar bit test per byte.
    #[inline(always)]
    fn any_bad<const N: usize>(block: &[u8; N]) -> bool {
        let (mut nul, mut cr, mut lf) = (false, false, false);
        for &b in block {
            nul |= b == 0;
            cr |= b == b'\r';
            lf |= b == b'\n';
        }
        nul | cr | lf
    }
    let mut rest = text;
    while let Some((block, tail)) = rest.split_first_chunk::<16>() {
        if any_bad(block) {
            return true;
        }
        rest = tail;
    }
    // The tail: one overlapping block, or a few bytes of a short text.
    match (
        text.last_chunk::<16>(),
        text.first_chunk::<8>(),
        text.last_chunk::<8>(),
    ) {
        (Some(block), _, _) => any_bad(block),
        (None, Some(head), Some(tail)) => any_bad(head) || any_bad(tail),
        _ => rest.iter().any(|&b| b == 0 || b == b'\r' || b == b'\n'),
    }
}

/// The start of `reply-line = *( Reply-code "-" [ textstring ] CRLF )
/// Reply-code [ SP textstring ] CRLF` (RFC 5321 §4.2): the code and whether
/// this is the last line; the rest is the text.
///
/// `Reply-code = %x32-35 %x30-35 %x30-39`; the middle digit is taken as any
/// digit and the range checked by [`ReplyCode::new`]. Hand-written (it runs
/// once per received line), with the signature of a nom parser.
fn reply_line(input: &[u8]) -> Option<(&[u8], (ReplyCode, bool))> {
    let [a @ b'2'..=b'5', b @ b'0'..=b'9', c @ b'0'..=b'9', rest @ ..] = input else {
        return None;
    };
    let n = u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0');
    let code = ReplyCode(n);
    match rest {
        [] => Some((rest, (code, true))),
        [b' ', text @ ..] => Some((text, (code, true))),
        [b'-', text @ ..] => Some((text, (code, false))),
        _ => None,
    }
}

/// `status-code = class "." subject "." detail`, `class = "2" / "4" /
/// "5"`, `subject = 1*3digit`, `detail = 1*3digit` (RFC 3463 §2), at the
/// start of the text and followed by SP (consumed) or the end of the line.
#[inline]
fn enhanced_status_code(input: &[u8]) -> Option<(&[u8], EnhancedStatusCode)> {
    // The usual one-digit form, `2.1.0 `, first.
    if let [
        c @ (b'2' | b'4' | b'5'),
        b'.',
        s @ b'0'..=b'9',
        b'.',
        d @ b'0'..=b'9',
        rest @ ..,
    ] = input
    {
        let rest = match rest {
            [] => Some(rest),
            [b' ', rest @ ..] => Some(rest),
            [b'0'..=b'9', ..] => None,
            _ => return None,
        };
        if let Some(rest) = rest {
            let esc = EnhancedStatusCode::new(c - b'0', u16::from(s - b'0'), u16::from(d - b'0'));
            return Some((rest, esc));
        }
    }
    let (class, rest) = match input {
        [c @ (b'2' | b'4' | b'5'), b'.', rest @ ..] => (c - b'0', rest),
        _ => return None,
    };
    let (rest, subject) = one_to_three_digits(rest)?;
    let [b'.', rest @ ..] = rest else {
        return None;
    };
    let (rest, detail) = one_to_three_digits(rest)?;
    let rest = match rest {
        [] => rest,
        [b' ', rest @ ..] => rest,
        _ => return None,
    };
    Some((rest, EnhancedStatusCode::new(class, subject, detail)))
}

/// `1*3digit`.
fn one_to_three_digits(input: &[u8]) -> Option<(&[u8], u16)> {
    let n = input
        .iter()
        .take(3)
        .take_while(|b| b.is_ascii_digit())
        .count();
    if n == 0 {
        return None;
    }
    let value = input[..n]
        .iter()
        .fold(0u16, |v, d| v * 10 + u16::from(d - b'0'));
    Some((&input[n..], value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_line_splits_code_separator_and_text_rfc5321_4_2() {
        let code = ReplyCode::new(250).unwrap();
        assert_eq!(reply_line(b"250 ok").unwrap(), (&b"ok"[..], (code, true)));
        assert_eq!(reply_line(b"250-ok").unwrap(), (&b"ok"[..], (code, false)));
        assert_eq!(reply_line(b"250").unwrap(), (&b""[..], (code, true)));
        assert_eq!(reply_line(b"250-").unwrap(), (&b""[..], (code, false)));
        for bad in [
            &b""[..],
            b"25",
            b"2a0 x",
            b"250x",
            b"099 x",
            b"\xff\xff\xff",
        ] {
            assert!(reply_line(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn reply_debug_shows_lines_as_bytes_does() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(
            format!("{:?}", DebugBytes(&all)),
            format!("{:?}", Bytes::copy_from_slice(&all))
        );
        let r = Reply::new(ReplyCode::OK, None, [&b"a\"b"[..], b"\xff\\"]).unwrap();
        assert_eq!(
            format!("{r:?}"),
            r#"Reply { code: ReplyCode(250), enhanced: None, lines: [b"a\"b", b"\xff\\"] }"#
        );
    }

    #[test]
    fn lines_iterate_both_ways_with_exact_length_rfc5321_4_2() {
        let r = Reply::new(ReplyCode::OK, None, ["", "mail.example", "", "SIZE 10", ""]).unwrap();
        let want: [&[u8]; 5] = [b"", b"mail.example", b"", b"SIZE 10", b""];
        assert_eq!(r.lines().len(), 5);
        assert_eq!(r.lines().collect::<Vec<_>>(), want);
        let mut back: Vec<_> = r.lines().rev().collect();
        back.reverse();
        assert_eq!(back, want);
        let mut it = r.lines();
        assert_eq!(it.next(), Some(&b""[..]));
        assert_eq!(it.next_back(), Some(&b""[..]));
        assert_eq!(it.len(), 3);
        assert_eq!(it.next_back(), Some(&b"SIZE 10"[..]));
        assert_eq!(it.next(), Some(&b"mail.example"[..]));
        assert_eq!(it.next(), Some(&b""[..]));
        assert_eq!((it.next(), it.next_back(), it.len()), (None, None, 0));
    }

    #[test]
    fn text_kept_exactly_inline_and_on_the_heap_rfc5321_4_2() {
        assert!(std::mem::size_of::<Reply>() <= 64);
        for n in [0, 1, INLINE - 1, INLINE, INLINE + 1, 300] {
            let text: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
            let mut line = b"250 ".to_vec();
            line.extend_from_slice(&text);
            let mut p = ReplyParser::new(10, 1000);
            let by_ref = p.push_line_ref(&line).unwrap().unwrap();
            let by_bytes = p.push_line(Bytes::from(line)).unwrap().unwrap();
            assert_eq!(by_ref, by_bytes);
            assert_eq!(by_ref.lines().collect::<Vec<_>>(), [&text[..]]);
            assert_eq!(by_ref, Reply::new(ReplyCode::OK, None, [&text]).unwrap());
            // Inline and heap texts compare by content only.
            let mut p = ReplyParser::new(10, 1000);
            assert!(p.push_line_ref(b"250-x").unwrap().is_none());
            let two = p
                .push_line_ref(&[b"250 ", &text[..]].concat())
                .unwrap()
                .unwrap();
            assert_eq!(two.lines().collect::<Vec<_>>(), [&b"x"[..], &text[..]]);
            assert_ne!(two, by_ref);
        }
    }

    #[test]
    fn enhanced_status_code_rule_rfc3463_2() {
        assert_eq!(
            enhanced_status_code(b"5.7.1 no").unwrap(),
            (&b"no"[..], EnhancedStatusCode::new(5, 7, 1))
        );
        assert_eq!(
            enhanced_status_code(b"2.0.0").unwrap(),
            (&b""[..], EnhancedStatusCode::new(2, 0, 0))
        );
        assert_eq!(
            enhanced_status_code(b"4.999.999  x").unwrap(),
            (&b" x"[..], EnhancedStatusCode::new(4, 999, 999))
        );
        for bad in [
            &b"3.0.0"[..],
            b"2.0",
            b"2.0.",
            b"2..0",
            b"2.0.0.",
            b"2.0000.0",
            b"2.0.0x",
        ] {
            assert!(enhanced_status_code(bad).is_none(), "{bad:?}");
        }
    }
}
