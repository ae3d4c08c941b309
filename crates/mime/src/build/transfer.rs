//! Content-Transfer-Encoding for the builder (RFC 2045 §6): choosing one
//! per part, and the quoted-printable and base64 encoders. Both encoders
//! give the bytes back exactly through `crate::decode`, bare CR and LF
//! included, and write CRLF-terminated lines of at most 76 characters.

/// The encodings the builder writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// Short lines of ASCII, CRLF only, no NUL (RFC 2045 §2.7).
    SevenBit,
    /// The same with octets above 127 (RFC 2045 §2.8); needs 8BITMIME.
    EightBit,
    /// RFC 2045 §6.7.
    QuotedPrintable,
    /// RFC 2045 §6.8.
    Base64,
}

impl Encoding {
    /// The Content-Transfer-Encoding value.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Encoding::SevenBit => "7bit",
            Encoding::EightBit => "8bit",
            Encoding::QuotedPrintable => "quoted-printable",
            Encoding::Base64 => "base64",
        }
    }
}

/// What one pass over the content tells about it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scan {
    /// An octet above 127.
    pub(crate) eight_bit: bool,
    /// A NUL, or a CR or LF that is not part of a CRLF.
    pub(crate) unsafe_octets: bool,
    /// The longest line, without its CRLF.
    pub(crate) longest_line: usize,
    /// Roughly how long the quoted-printable form would be.
    pub(crate) qp_cost: usize,
}

impl Scan {
    /// Scans `bytes`.
    pub(crate) fn of(bytes: &[u8]) -> Scan {
        let mut scan = Scan {
            eight_bit: false,
            unsafe_octets: false,
            longest_line: 0,
            qp_cost: 0,
        };
        let mut line = 0usize;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                scan.longest_line = scan.longest_line.max(line);
                line = 0;
                scan.qp_cost += 2;
                i += 2;
                continue;
            }
            match b {
                0 | b'\r' | b'\n' => scan.unsafe_octets = true,
                128.. => scan.eight_bit = true,
                _ => {}
            }
            scan.qp_cost += if qp_literal(b) || b == b' ' || b == b'\t' {
                1
            } else {
                3
            };
            line += 1;
            i += 1;
        }
        scan.longest_line = scan.longest_line.max(line);
        scan
    }

    /// 7bit data (RFC 2045 §2.7).
    pub(crate) fn is_seven_bit(&self) -> bool {
        !self.eight_bit && self.is_eight_bit()
    }

    /// 8bit data (RFC 2045 §2.8): lines of at most 998 octets, CR and LF
    /// only as CRLF, no NUL.
    pub(crate) fn is_eight_bit(&self) -> bool {
        !self.unsafe_octets && self.longest_line <= super::fold::HARD_LIMIT
    }

    /// The encoding for this content: 7bit when it is 7bit data, 8bit when
    /// allowed and it is 8bit data, else quoted-printable when that is at
    /// most a quarter longer than base64 (mostly ASCII, which then stays
    /// readable), else base64.
    pub(crate) fn choose(&self, len: usize, allow_8bit: bool) -> Encoding {
        if self.is_seven_bit() {
            Encoding::SevenBit
        } else if allow_8bit && self.is_eight_bit() {
            Encoding::EightBit
        } else if self.qp_cost * 4 <= base64_len(len) * 5 {
            Encoding::QuotedPrintable
        } else {
            Encoding::Base64
        }
    }
}

/// The length of the base64 form of `len` octets, line ends included.
fn base64_len(len: usize) -> usize {
    let chars = len.div_ceil(3) * 4;
    chars + chars.div_ceil(LINE) * 2
}

/// Turns text into canonical form (RFC 2046 §4.1.1): every CR, LF and
/// CRLF becomes CRLF, and non-empty text ends with one.
pub(crate) fn normalize_text(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 32 + 2);
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'\r' => {
                out.extend_from_slice(b"\r\n");
                if text.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'\n' => out.extend_from_slice(b"\r\n"),
            b => out.push(b),
        }
        i += 1;
    }
    if !out.is_empty() && !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Characters per encoded line (RFC 2045 §6.7 rule 5, §6.8).
const LINE: usize = 76;

/// Octets that quoted-printable writes as themselves (RFC 2045 §6.7 rule 2).
fn qp_literal(b: u8) -> bool {
    (33..=126).contains(&b) && b != b'='
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Quoted-printable (RFC 2045 §6.7): CRLF pairs are hard line breaks;
/// every other CR and LF, and whitespace before a line break, is escaped,
/// so the octets come back exactly. Lines get soft breaks at 76
/// characters, and content that does not end with CRLF ends with a soft
/// break, so the output always ends with CRLF.
pub(crate) fn encode_quoted_printable(input: &[u8], out: &mut Vec<u8>) {
    let mut col = 0usize;
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b == b'\r' && input.get(i + 1) == Some(&b'\n') {
            out.extend_from_slice(b"\r\n");
            col = 0;
            i += 2;
            continue;
        }
        let at_line_end = i + 1 == input.len() || input[i + 1..].starts_with(b"\r\n");
        let literal = qp_literal(b) || ((b == b' ' || b == b'\t') && !at_line_end);
        let width = if literal { 1 } else { 3 };
        // Room for the piece and, unless the hard break follows, a soft "=".
        let limit = if at_line_end && i + 1 < input.len() {
            LINE
        } else {
            LINE - 1
        };
        if col + width > limit {
            out.extend_from_slice(b"=\r\n");
            col = 0;
        }
        if literal {
            out.push(b);
        } else {
            out.extend_from_slice(&[b'=', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
        col += width;
        i += 1;
    }
    if !input.is_empty() && !input.ends_with(b"\r\n") {
        out.extend_from_slice(b"=\r\n");
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn quantum(chunk: &[u8], out: &mut [u8; 4]) {
    let n = chunk.len();
    let b0 = chunk[0];
    let b1 = if n > 1 { chunk[1] } else { 0 };
    let b2 = if n > 2 { chunk[2] } else { 0 };
    out[0] = ALPHABET[usize::from(b0 >> 2)];
    out[1] = ALPHABET[usize::from((b0 & 3) << 4 | b1 >> 4)];
    out[2] = if n > 1 {
        ALPHABET[usize::from((b1 & 15) << 2 | b2 >> 6)]
    } else {
        b'='
    };
    out[3] = if n > 2 {
        ALPHABET[usize::from(b2 & 63)]
    } else {
        b'='
    };
}

/// Appends the base64 form of `bytes` to `out` without line breaks (for
/// "B" encoded words, RFC 2047 §4.1).
pub(crate) fn push_base64(out: &mut String, bytes: &[u8]) {
    let mut q = [0u8; 4];
    for chunk in bytes.chunks(3) {
        quantum(chunk, &mut q);
        out.extend(q.iter().map(|&c| c as char));
    }
}

/// A streaming base64 encoder (RFC 2045 §6.8): feed any amount at a time;
/// lines of 76 characters, each ending in CRLF.
#[derive(Debug, Default)]
pub(crate) struct Base64Encoder {
    pending: [u8; 3],
    pending_len: usize,
    col: usize,
}

impl Base64Encoder {
    fn emit(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        let mut q = [0u8; 4];
        quantum(chunk, &mut q);
        out.extend_from_slice(&q);
        self.col += 4;
        if self.col == LINE {
            out.extend_from_slice(b"\r\n");
            self.col = 0;
        }
    }

    /// Encodes `input`, keeping up to two octets for the next call.
    pub(crate) fn update(&mut self, mut input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len() / 3 * 4 + input.len() / 38 + 8);
        if self.pending_len > 0 {
            let take = (3 - self.pending_len).min(input.len());
            self.pending[self.pending_len..self.pending_len + take].copy_from_slice(&input[..take]);
            self.pending_len += take;
            input = &input[take..];
            if self.pending_len < 3 {
                return;
            }
            let p = self.pending;
            self.emit(&p, out);
            self.pending_len = 0;
        }
        let whole = input.len() / 3 * 3;
        for chunk in input[..whole].chunks(3) {
            self.emit(chunk, out);
        }
        let rest = &input[whole..];
        self.pending[..rest.len()].copy_from_slice(rest);
        self.pending_len = rest.len();
    }

    /// Writes the last quantum with its padding and ends the last line.
    pub(crate) fn finish(mut self, out: &mut Vec<u8>) {
        if self.pending_len > 0 {
            let p = self.pending;
            let n = self.pending_len;
            self.emit(&p[..n], out);
        }
        if self.col > 0 {
            out.extend_from_slice(b"\r\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{decode_base64, decode_quoted_printable};

    fn qp(input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        encode_quoted_printable(input, &mut out);
        out
    }

    fn b64(input: &[u8], step: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut e = Base64Encoder::default();
        for chunk in input.chunks(step.max(1)) {
            e.update(chunk, &mut out);
        }
        e.finish(&mut out);
        out
    }

    fn check_lines(encoded: &[u8]) {
        assert!(encoded.is_empty() || encoded.ends_with(b"\r\n"));
        for line in encoded.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            assert!(line.len() <= LINE, "{:?}", String::from_utf8_lossy(line));
            assert!(!line.contains(&b'\r'));
        }
    }

    #[test]
    fn quoted_printable_known_answers_rfc2045_6_7() {
        assert_eq!(qp(b"caf\xc3\xa9\r\n"), b"caf=C3=A9\r\n");
        assert_eq!(qp(b"a=b"), b"a=3Db=\r\n");
        assert_eq!(qp(b"trail \r\nx\t"), b"trail=20\r\nx=09=\r\n");
        assert_eq!(qp(b"bare\nlf\r"), b"bare=0Alf=0D=\r\n");
        assert_eq!(qp(b""), b"");
    }

    #[test]
    fn quoted_printable_round_trips_with_short_lines_rfc2045_6_7() {
        let mut input = Vec::new();
        for i in 0..3000u32 {
            input.push((i * 7 % 251) as u8);
            if i % 97 == 0 {
                input.extend_from_slice(b"\r\n");
            }
            if i % 13 == 0 {
                input.push(b' ');
            }
        }
        for end in [input.len(), 500, 75, 76, 77, 1] {
            let enc = qp(&input[..end]);
            check_lines(&enc);
            let mut d = Vec::new();
            assert_eq!(decode_quoted_printable(&enc, &mut d), &input[..end]);
            assert!(d.is_empty());
        }
        let long = [b'x'; 200];
        let enc = qp(&long);
        check_lines(&enc);
        assert_eq!(decode_quoted_printable(&enc, &mut Vec::new()), long);
    }

    #[test]
    fn base64_known_answers_and_any_chunking_rfc2045_6_8() {
        assert_eq!(b64(b"", 1), b"");
        assert_eq!(b64(b"f", 1), b"Zg==\r\n");
        assert_eq!(b64(b"fo", 1), b"Zm8=\r\n");
        assert_eq!(b64(b"foobar", 4), b"Zm9vYmFy\r\n");
        let data: Vec<u8> = (0..5000u32).map(|i| (i * 31 % 256) as u8).collect();
        let whole = b64(&data, data.len());
        check_lines(&whole);
        for step in [1, 2, 5, 57, 1000] {
            assert_eq!(b64(&data, step), whole);
        }
        let mut d = Vec::new();
        assert_eq!(decode_base64(&whole, &mut d), data);
        assert!(d.is_empty());
        let mut s = String::new();
        push_base64(&mut s, "é".as_bytes());
        assert_eq!(s, "w6k=");
    }

    #[test]
    fn choice_follows_content_rfc2045_6() {
        let pick = |b: &[u8], allow| Scan::of(b).choose(b.len(), allow);
        assert_eq!(pick(b"plain\r\n", false), Encoding::SevenBit);
        assert_eq!(
            pick("café\r\n".as_bytes(), false),
            Encoding::QuotedPrintable
        );
        assert_eq!(pick("café\r\n".as_bytes(), true), Encoding::EightBit);
        assert_eq!(
            pick("日本語のテキスト\r\n".as_bytes(), false),
            Encoding::Base64
        );
        assert_eq!(pick(b"nul\0\r\n", true), Encoding::QuotedPrintable);
        assert_eq!(pick(b"bare\nlf", false), Encoding::QuotedPrintable);
        let long = [b'a'; 999];
        assert_eq!(pick(&long, true), Encoding::QuotedPrintable);
        assert_eq!(pick(&long[..998], false), Encoding::SevenBit);
        let binary: Vec<u8> = (0..=255u8).collect();
        assert_eq!(pick(&binary, true), Encoding::Base64);
    }

    #[test]
    fn text_is_put_in_canonical_form_rfc2046_4_1_1() {
        assert_eq!(normalize_text(b"a\nb\rc\r\nd"), b"a\r\nb\r\nc\r\nd\r\n");
        assert_eq!(normalize_text(b"x\r\n"), b"x\r\n");
        assert_eq!(normalize_text(b""), b"");
        assert_eq!(normalize_text(b"\r\r\n"), b"\r\n\r\n");
    }
}
