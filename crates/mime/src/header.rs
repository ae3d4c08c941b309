//! The header block (RFC 5322 §2.2): split into fields byte-exactly, with
//! the byte range of every field; unfolding (§2.2.3) and decoding happen on
//! demand, so a parse costs one memchr pass over the header bytes.

use std::borrow::Cow;
use std::ops::Range;

use crate::decode::TransferEncoding;
use crate::defect::push_once;
use crate::encoded_word::decode_encoded_words;
use crate::{Defect, Error, Limits};

/// One header field, borrowed from the message bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header<'a> {
    name: &'a [u8],
    raw_value: &'a [u8],
    range: Range<usize>,
}

impl<'a> Header<'a> {
    /// The field name as written (without the colon or whitespace before it).
    pub fn name(&self) -> &'a [u8] {
        self.name
    }

    /// True when the name matches `name`, ignoring ASCII case (RFC 5322 §1.2.2).
    #[inline]
    pub fn is(&self, name: &str) -> bool {
        let name = name.as_bytes();
        // Length and first byte first: most fields of a lookup's scan differ there.
        self.name.len() == name.len()
            && self.name.first().map(u8::to_ascii_lowercase)
                == name.first().map(u8::to_ascii_lowercase)
            && self.name.eq_ignore_ascii_case(name)
    }

    /// The value byte-exactly: everything after the colon up to, not
    /// including, the line ending that ends the field; folds kept.
    pub fn raw_value(&self) -> &'a [u8] {
        self.raw_value
    }

    /// The value unfolded (RFC 5322 §2.2.3: each CRLF or LF before
    /// whitespace removed) and trimmed; borrowed when nothing was folded.
    pub fn value(&self) -> Cow<'a, [u8]> {
        unfold(self.raw_value)
    }

    /// The value as text: unfolded, trimmed, RFC 2047 encoded words decoded
    /// (for unstructured fields such as Subject, RFC 5322 §3.2.5).
    pub fn text(&self) -> Cow<'a, str> {
        let mut defects = Vec::new();
        match unfold(self.raw_value) {
            Cow::Borrowed(b) => decode_encoded_words(b, &mut defects),
            Cow::Owned(v) => Cow::Owned(decode_encoded_words(&v, &mut defects).into_owned()),
        }
    }

    /// The byte range of the whole field in the input, its final line ending included.
    pub fn range(&self) -> Range<usize> {
        self.range.clone()
    }
}

/// Unfolds and trims a raw header value.
pub(crate) fn unfold(raw: &[u8]) -> Cow<'_, [u8]> {
    let raw = raw.trim_ascii();
    if memchr::memchr2(b'\r', b'\n', raw).is_none() {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = memchr::memchr2(b'\r', b'\n', rest) {
        out.extend_from_slice(&rest[..i]);
        let skip = if rest[i] == b'\r' && rest.get(i + 1) == Some(&b'\n') {
            2
        } else {
            1
        };
        rest = &rest[i + skip..];
    }
    out.extend_from_slice(rest);
    Cow::Owned(out)
}

/// The header fields of one part, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers<'a> {
    fields: Vec<Header<'a>>,
}

impl<'a> Headers<'a> {
    /// Every field, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Header<'a>> {
        self.fields.iter()
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// True when there are no fields.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The first field called `name` (ASCII case-insensitive).
    #[inline]
    pub fn get(&self, name: &str) -> Option<&Header<'a>> {
        self.fields.iter().find(|h| h.is(name))
    }

    /// The Content-Transfer-Encoding (RFC 2045 §6.1; 7bit when absent).
    /// The value is read as written, and unfolded first only when that
    /// reading finds no encoding and it holds a line break: every
    /// encoding name is one word, so a value that reads as one has its
    /// line breaks (if any) only in the whitespace around it, where
    /// unfolding changes nothing that the reading does not skip.
    pub(crate) fn transfer_encoding(&self) -> TransferEncoding {
        let Some(h) = self.get("content-transfer-encoding") else {
            return TransferEncoding::SevenBit;
        };
        match TransferEncoding::parse(h.raw_value) {
            TransferEncoding::Unknown if memchr::memchr2(b'\r', b'\n', h.raw_value).is_some() => {
                TransferEncoding::parse(&unfold(h.raw_value))
            }
            encoding => encoding,
        }
    }

    /// Every field called `name`, in order (Received, DKIM-Signature, ...).
    pub fn get_all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s Header<'a>> + 's {
        self.fields.iter().filter(move |h| h.is(name))
    }
}

impl<'s, 'a> IntoIterator for &'s Headers<'a> {
    type Item = &'s Header<'a>;
    type IntoIter = std::slice::Iter<'s, Header<'a>>;
    fn into_iter(self) -> Self::IntoIter {
        self.fields.iter()
    }
}

/// The result of splitting one part's header block.
#[derive(Debug)]
pub(crate) struct Split<'a> {
    pub(crate) headers: Headers<'a>,
    /// The header fields, without the empty separator line.
    pub(crate) header_range: Range<usize>,
    /// Where the body starts (after the empty line).
    pub(crate) body_start: usize,
}

/// Splits the header block at the start of `input[range]` (RFC 5322 §2.1).
/// Accepts CRLF and bare LF. A leading mbox `From ` line is skipped. A line
/// that is neither a field nor a continuation ends the block: it becomes
/// the first body line ([`Defect::MissingHeaderBodySeparator`]).
pub(crate) fn split_header_block<'a>(
    input: &'a [u8],
    range: Range<usize>,
    limits: &Limits,
    defects: &mut Vec<Defect>,
) -> Result<Split<'a>, Error> {
    split_header_block_in(input, range, limits, defects, Vec::new())
}

/// [`split_header_block`] into `fields` (cleared first), which the
/// caller sizes: one allocation for a block that fits.
pub(crate) fn split_header_block_in<'a>(
    input: &'a [u8],
    range: Range<usize>,
    limits: &Limits,
    defects: &mut Vec<Defect>,
    mut fields: Vec<Header<'a>>,
) -> Result<Split<'a>, Error> {
    fields.clear();
    let (header_range, body_start) = split_fields(input, range, limits, defects, &mut fields)?;
    Ok(Split {
        headers: Headers { fields },
        header_range,
        body_start,
    })
}

/// The loop of [`split_header_block`]: pushes the fields to `fields` and
/// returns the header range and where the body starts.
///
/// Each field is pushed when its first line is read, its value running to
/// that line's end; a continuation line (RFC 5322 §2.2.3) then stretches
/// the last field's value and range. Most fields are one line, so most
/// lines cost one search for their LF and one read of the field name.
fn split_fields<'a>(
    input: &'a [u8],
    range: Range<usize>,
    limits: &Limits,
    defects: &mut Vec<Defect>,
    fields: &mut Vec<Header<'a>>,
) -> Result<(Range<usize>, usize), Error> {
    let end = range.end;
    let start = range.start;
    let mut pos = start;
    // An mbox separator line, only at the very start of the input.
    if start == 0 && input[..end].starts_with(b"From ") {
        pos = memchr::memchr(b'\n', &input[start..end]).map_or(end, |i| start + i + 1);
    }
    let header_start = pos;
    // Never scan past the limit: a 20 MB line costs no more than the limit.
    let window_end = end.min(
        header_start
            .saturating_add(limits.max_header_bytes)
            .saturating_add(4),
    );
    // The line ends, in order: one searcher for the whole block, not a
    // search set up per line (lines follow each other, so the next LF
    // found is always the end of the line at `pos`).
    let mut line_ends = memchr::memchr_iter(b'\n', &input[header_start..window_end]);
    // Where the value of the last field pushed starts (after its colon),
    // for its continuation lines; `None` before the first field.
    let mut value_start = None;
    loop {
        if pos >= end {
            return Ok((header_start..end.max(header_start), end));
        }
        let nl = line_ends.next().map(|i| header_start + i);
        if nl.is_none() && window_end < end {
            return Err(Error::HeaderBytesLimit(limits.max_header_bytes));
        }
        let (line_end, next) = match nl {
            Some(i) if i > pos && input[i - 1] == b'\r' => (i - 1, i + 1),
            Some(i) => (i, i + 1),
            None => (end, end),
        };
        let line = &input[pos..line_end];
        let Some(&first) = line.first() else {
            // The empty line that ends the block.
            return Ok((header_start..pos, next));
        };
        if line_end - header_start > limits.max_header_bytes {
            return Err(Error::HeaderBytesLimit(limits.max_header_bytes));
        }
        if matches!(first, b' ' | b'\t') {
            match (value_start, fields.last_mut()) {
                (Some(value_start), Some(field)) => {
                    field.raw_value = &input[value_start..line_end];
                    field.range.end = next;
                }
                _ => push_once(defects, Defect::FirstLineIsContinuation),
            }
            pos = next;
            continue;
        }
        let Some((name_len, colon)) = field_name(line) else {
            push_once(defects, Defect::MissingHeaderBodySeparator);
            return Ok((header_start..pos, pos));
        };
        if fields.len() >= limits.max_header_count {
            return Err(Error::HeaderCountLimit(limits.max_header_count));
        }
        fields.push(Header {
            name: &input[pos..pos + name_len],
            raw_value: &input[pos + colon + 1..line_end],
            range: pos..next,
        });
        value_start = Some(pos + colon + 1);
        pos = next;
    }
}

/// `ftext = %d33-57 / %d59-126` (RFC 5322 §3.6.8) as a table.
const FTEXT: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 33;
    while b <= 126 {
        t[b] = b != b':' as usize;
        b += 1;
    }
    t
};

/// `field-name = 1*ftext` followed by optional whitespace (the obsolete
/// `Name : value` of RFC 5322 §4.5) and the colon: the length of the name
/// and the index of the colon, or `None` when the line is not a field.
/// One pass over the name, however long the line.
fn field_name(line: &[u8]) -> Option<(usize, usize)> {
    let name_len = ftext_len(line);
    if name_len == 0 || name_len == line.len() {
        return None;
    }
    let colon = name_len
        + line[name_len..]
            .iter()
            .position(|b| !b.is_ascii_whitespace())?;
    (line[colon] == b':').then_some((name_len, colon))
}

/// How many octets at the start of `bytes` are `ftext` ([`FTEXT`]), read
/// eight at a time: in each word, the octets below 33, above 126 and
/// equal to `:` are flagged with bit-parallel arithmetic. A flag can be
/// wrong only above a right one (a borrow or carry runs upwards), so the
/// lowest flag is the first octet that is not `ftext`.
fn ftext_len(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = ONES * 0x80;
    let mut words = bytes.chunks_exact(8);
    let mut n = 0;
    for word in words.by_ref() {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let x = u64::from_le_bytes(w);
        let below = x.wrapping_sub(ONES * 33) & !x;
        let above = x.wrapping_add(ONES) | x;
        let y = x ^ (ONES * u64::from(b':'));
        let colon = y.wrapping_sub(ONES) & !y;
        let stop = (below | above | colon) & HIGH;
        if stop != 0 {
            return n + (stop.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    n + words
        .remainder()
        .iter()
        .take_while(|&&b| FTEXT[usize::from(b)])
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The transfer encoding read from the value as written is the one
        /// read from the unfolded value (RFC 2045 §6.1, RFC 5322 §2.2.3),
        /// whatever line breaks the value holds.
        #[test]
        fn transfer_encoding_reads_folded_values_as_unfolded_rfc2045_6_1(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    &b" "[..], b"\r\n ", b"\r", b"\n", b"\t", b"base64", b"7BIT", b"8bit",
                    b"quoted-printable", b"Quoted-", b"printable", b"(c)", b";", b"x", b"base",
                    b"64",
                ]),
                0..8,
            ),
        ) {
            let raw = pieces.concat();
            let headers = Headers {
                fields: vec![Header {
                    name: b"Content-Transfer-Encoding",
                    raw_value: &raw,
                    range: 0..0,
                }],
            };
            proptest::prop_assert_eq!(
                headers.transfer_encoding(),
                TransferEncoding::parse(&unfold(&raw))
            );
        }
    }

    proptest::proptest! {
        /// The word-at-a-time field-name scan stops where the octet-wise
        /// one does (RFC 5322 §3.6.8 `ftext`), whatever the octets.
        #[test]
        fn ftext_scan_matches_octet_wise_rfc5322_3_6_8(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    8 => 33u8..=126,
                    1 => proptest::sample::select(vec![b':', b' ', b'\t', 0, 32, 127, 128, 255, 0xC3]),
                ],
                0..40,
            ),
        ) {
            let octet_wise = bytes.iter().take_while(|&&b| FTEXT[usize::from(b)]).count();
            proptest::prop_assert_eq!(ftext_len(&bytes), octet_wise);
        }
    }

    /// Every octet value, alone and after eight `ftext` octets (so that
    /// the word path sees it), at each position of a word.
    #[test]
    fn ftext_scan_agrees_for_every_octet_rfc5322_3_6_8() {
        for b in 0..=u8::MAX {
            for at in 0..17 {
                let mut bytes = vec![b'a'; 20];
                bytes[at] = b;
                let octet_wise = bytes.iter().take_while(|&&c| FTEXT[usize::from(c)]).count();
                assert_eq!(ftext_len(&bytes), octet_wise, "{b:#x} at {at}");
            }
        }
    }

    fn split(input: &[u8]) -> (Split<'_>, Vec<Defect>) {
        let mut d = Vec::new();
        let s = split_header_block(input, 0..input.len(), &Limits::default(), &mut d).unwrap();
        (s, d)
    }

    #[test]
    fn fields_ranges_and_body_start_rfc5322_2_1() {
        let input = b"Subject: hi\r\nTo: a@b,\r\n c@d\r\n\r\nbody";
        let (s, d) = split(input);
        assert!(d.is_empty());
        assert_eq!(s.headers.len(), 2);
        let subject = s.headers.get("subject").unwrap();
        assert_eq!(subject.raw_value(), b" hi");
        assert_eq!(subject.range(), 0..13);
        let to = s.headers.get("TO").unwrap();
        assert_eq!(to.raw_value(), b" a@b,\r\n c@d");
        assert_eq!(&to.value()[..], b"a@b, c@d");
        assert_eq!(&input[to.range()], b"To: a@b,\r\n c@d\r\n");
        assert_eq!(s.header_range, 0..29);
        assert_eq!(&input[s.body_start..], b"body");
    }

    #[test]
    fn bare_lf_and_obsolete_space_before_colon_rfc5322_4_5() {
        let (s, _) = split(b"From x\nSubject : yes\n\nb");
        assert_eq!(s.headers.len(), 1);
        assert_eq!(s.headers.get("Subject").unwrap().text(), "yes");
        assert_eq!(s.body_start, 22);
    }

    /// The mbox `From ` separator (RFC 4155) is no header field (RFC 5322
    /// §2.2): the header range starts after it, as `Part::header_range` says.
    #[test]
    fn mbox_from_line_is_outside_the_header_range_rfc4155() {
        let input = b"From a@b Mon Jan  1 00:00:00 2024\r\nSubject: x\r\n\r\nbody";
        let (s, _) = split(input);
        assert_eq!(&input[s.header_range.clone()], b"Subject: x\r\n");
        assert_eq!(&input[s.body_start..], b"body");
        let input = b"From a@b\n\nbody";
        let (s, _) = split(input);
        assert!(s.header_range.is_empty());
        assert_eq!(s.header_range.start, 9);
        assert_eq!(&input[s.body_start..], b"body");
    }

    /// A block whose range starts on an LF that follows a CR outside it
    /// (a body part cut right after a boundary line's CR): the LF alone is
    /// the empty line, and the CR before the range is not read as its own.
    #[test]
    fn range_starting_on_an_lf_is_an_empty_block_rfc5322_2_1() {
        let input = b"\r\nbody";
        let mut d = Vec::new();
        let s = split_header_block(input, 1..input.len(), &Limits::default(), &mut d).unwrap();
        assert!(s.headers.is_empty());
        assert_eq!(s.header_range, 1..1);
        assert_eq!(&input[s.body_start..], b"body");
        assert!(d.is_empty());
    }

    #[test]
    fn non_header_line_starts_the_body_with_a_defect() {
        let input = b"A: 1\r\nnot a header\r\nmore";
        let (s, d) = split(input);
        assert_eq!(s.headers.len(), 1);
        assert_eq!(&input[s.body_start..], b"not a header\r\nmore");
        assert_eq!(d, [Defect::MissingHeaderBodySeparator]);
    }

    #[test]
    fn headers_without_body_run_to_the_end() {
        let (s, d) = split(b"A: 1\r\nB: 2");
        assert_eq!(s.headers.len(), 2);
        assert_eq!(s.headers.get("b").unwrap().raw_value(), b" 2");
        assert!(d.is_empty());
        let (s, _) = split(b"A: 1\r\nB: 2\r\n");
        assert_eq!(s.headers.get("b").unwrap().raw_value(), b" 2");
        assert_eq!(s.headers.get("b").unwrap().range(), 6..12);
    }

    #[test]
    fn limits_are_errors() {
        let mut d = Vec::new();
        let limits = Limits {
            max_header_count: 2,
            ..Limits::default()
        };
        let input = b"A: 1\nB: 2\nC: 3\n\n";
        assert_eq!(
            split_header_block(input, 0..input.len(), &limits, &mut d).unwrap_err(),
            Error::HeaderCountLimit(2)
        );
        let limits = Limits {
            max_header_bytes: 10,
            ..Limits::default()
        };
        assert_eq!(
            split_header_block(input, 0..input.len(), &limits, &mut d).unwrap_err(),
            Error::HeaderBytesLimit(10)
        );
        let long = [&b"A: "[..], &[b'x'; 100][..], b"\n\n"].concat();
        assert_eq!(
            split_header_block(&long, 0..long.len(), &limits, &mut d).unwrap_err(),
            Error::HeaderBytesLimit(10)
        );
        let exact = b"A: 1234567\r\n\r\n";
        assert!(split_header_block(exact, 0..exact.len(), &limits, &mut d).is_ok());
    }

    #[test]
    fn encoded_subject_is_decoded_on_demand_rfc2047() {
        let (s, _) = split(b"Subject: =?utf-8?q?caf=C3=A9?=\r\n =?utf-8?q?_ok?=\r\n\r\n");
        assert_eq!(s.headers.get("subject").unwrap().text(), "café ok");
    }
}
