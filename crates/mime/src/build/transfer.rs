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

/// `SCAN_CLASS` bits: the quoted-printable width of an octet (1 or 3),
/// an octet above 127, and an octet that 7bit and 8bit data may not hold
/// outside CRLF (NUL, CR, LF; RFC 2045 §2.7, §2.8).
const SCAN_COST: u8 = 0x0F;
const SCAN_EIGHT_BIT: u8 = 0x10;
const SCAN_UNSAFE: u8 = 0x20;

/// What [`Scan::of`] learns from each octet, in one lookup.
const SCAN_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let o = b as u8;
        let literal = (o >= 33 && o <= 126 && o != b'=') || o == b' ' || o == b'\t';
        t[b] = if literal { 1 } else { 3 };
        if o >= 128 {
            t[b] |= SCAN_EIGHT_BIT;
        }
        if o == 0 || o == b'\r' || o == b'\n' {
            t[b] |= SCAN_UNSAFE;
        }
        b += 1;
    }
    t
};

impl Scan {
    /// Scans `bytes`. It stops early once [`Scan::choose`] can only give
    /// base64 (a CR, LF or NUL outside CRLF rules out 7bit and 8bit, and
    /// the quoted-printable cost so far already exceeds what base64
    /// would need for the whole): then `longest_line` and `qp_cost` are
    /// only what was seen so far, which changes none of the answers.
    pub(crate) fn of(bytes: &[u8]) -> Scan {
        let mut scan = Scan {
            eight_bit: false,
            unsafe_octets: false,
            longest_line: 0,
            qp_cost: 0,
        };
        // `choose` picks base64 once qp_cost * 4 > this.
        let base64_bound = base64_len(bytes.len()).saturating_mul(5);
        let mut flags = 0u8;
        // Lines end at CRLF only: a bare CR or LF is an octet of the line.
        let (mut line_start, mut pos) = (0, 0);
        loop {
            if flags & SCAN_UNSAFE != 0 && scan.qp_cost.saturating_mul(4) > base64_bound {
                break;
            }
            let nl = memchr::memchr(b'\n', &bytes[pos..]).map(|j| pos + j);
            let (seg_end, next, crlf) = match nl {
                Some(nl) if nl > pos && bytes[nl - 1] == b'\r' => (nl - 1, nl + 1, true),
                Some(nl) => (nl + 1, nl + 1, false),
                None => (bytes.len(), bytes.len(), false),
            };
            let mut cost = 0usize;
            for &b in &bytes[pos..seg_end] {
                let c = SCAN_CLASS[usize::from(b)];
                flags |= c;
                cost += usize::from(c & SCAN_COST);
            }
            scan.qp_cost += cost;
            if crlf {
                scan.longest_line = scan.longest_line.max(seg_end - line_start);
                scan.qp_cost += 2;
                line_start = next;
            } else if nl.is_none() {
                scan.longest_line = scan.longest_line.max(seg_end - line_start);
                break;
            }
            pos = next;
        }
        scan.eight_bit = flags & SCAN_EIGHT_BIT != 0;
        scan.unsafe_octets = flags & SCAN_UNSAFE != 0;
        scan
    }

    /// Whether `bytes` is 7bit data (RFC 2045 §2.7), the same answer as
    /// `Scan::of(bytes).is_seven_bit()` but stopping at the first octet
    /// that rules it out: for binary data, within the first few bytes.
    pub(crate) fn is_seven_bit_data(bytes: &[u8]) -> bool {
        let mut line = 0usize;
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    line = 0;
                    i += 2;
                    continue;
                }
                0 | b'\r' | b'\n' | 128.. => return false,
                _ => {}
            }
            line += 1;
            if line > super::fold::HARD_LIMIT {
                return false;
            }
            i += 1;
        }
        true
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
    // The text between line breaks is copied in runs.
    while let Some(j) = memchr::memchr2(b'\r', b'\n', &text[i..]) {
        let at = i + j;
        out.extend_from_slice(&text[i..at]);
        out.extend_from_slice(b"\r\n");
        i = if text[at] == b'\r' && text.get(at + 1) == Some(&b'\n') {
            at + 2
        } else {
            at + 1
        };
    }
    out.extend_from_slice(&text[i..]);
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
    out.reserve(input.len() + input.len() / 8 + 3);
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
        // A run of octets written as themselves is copied in pieces up to
        // the soft-break column, exactly as the octet-by-octet rules below
        // would write them; its last octet too unless a CR follows (it may
        // then end the line, where whitespace is escaped and the limit
        // differs), and that one takes the rules below.
        let run = input[i..]
            .iter()
            .take_while(|&&b| SCAN_CLASS[usize::from(b)] & SCAN_COST == 1)
            .count();
        // Only a CR after the run can make its last octet end a line.
        let whole = input.get(i + run).is_some_and(|&b| b != b'\r');
        if run > 1 || (run == 1 && whole) {
            let end = if whole { i + run } else { i + run - 1 };
            while i < end {
                if col >= LINE - 1 {
                    out.extend_from_slice(b"=\r\n");
                    col = 0;
                }
                let n = (LINE - 1 - col).min(end - i);
                out.extend_from_slice(&input[i..i + n]);
                col += n;
                i += n;
            }
            continue;
        }
        if run == 0 && input.get(i + 1).is_some_and(|&b| b != b'\r') {
            // An escaped octet inside a line.
            if col + 3 > LINE - 1 {
                out.extend_from_slice(b"=\r\n");
                col = 0;
            }
            out.extend_from_slice(&[b'=', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
            col += 3;
            i += 1;
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

/// Input octets per full line: 19 quanta, 76 characters (RFC 2045 §6.8).
const LINE_INPUT: usize = LINE / 4 * 3;

/// The two characters of every 12-bit group: a quantum is two lookups.
const PAIRS: [[u8; 2]; 4096] = {
    let mut t = [[0u8; 2]; 4096];
    let mut i = 0;
    while i < 4096 {
        t[i] = [ALPHABET[i >> 6], ALPHABET[i & 63]];
        i += 1;
    }
    t
};

/// The four characters of a whole quantum.
#[inline(always)]
fn full_quantum(src: &[u8; 3]) -> [u8; 4] {
    let n = usize::from(src[0]) << 16 | usize::from(src[1]) << 8 | usize::from(src[2]);
    let [a, b] = PAIRS[n >> 12];
    let [c, d] = PAIRS[n & 0xFFF];
    [a, b, c, d]
}

/// One full line: 57 octets as 76 characters and CRLF. Six octets (two
/// quanta) at a time, read as one big-endian word: the eight-byte read
/// stays inside the line for the first nine pairs; the 19th quantum is
/// alone.
#[inline(always)]
fn encode_line(src: &[u8; LINE_INPUT]) -> [u8; LINE + 2] {
    let mut line = [0u8; LINE + 2];
    for g in 0..LINE_INPUT / 6 {
        let (Some(s), Some(d)) = (
            src.get(g * 6..).and_then(|s| s.first_chunk::<8>()),
            line.get_mut(g * 8..).and_then(|d| d.first_chunk_mut::<8>()),
        ) else {
            continue;
        };
        let n = (u64::from_be_bytes(*s) >> 16) as usize;
        let [c0, c1] = PAIRS[n >> 36 & 0xFFF];
        let [c2, c3] = PAIRS[n >> 24 & 0xFFF];
        let [c4, c5] = PAIRS[n >> 12 & 0xFFF];
        let [c6, c7] = PAIRS[n & 0xFFF];
        *d = [c0, c1, c2, c3, c4, c5, c6, c7];
    }
    let last = [
        src[LINE_INPUT - 3],
        src[LINE_INPUT - 2],
        src[LINE_INPUT - 1],
    ];
    let q = full_quantum(&last);
    line[LINE - 4..LINE].copy_from_slice(&q);
    line[LINE..].copy_from_slice(b"\r\n");
    line
}

impl Base64Encoder {
    /// One quantum (the last one may be short and gets padding).
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
    /// Whole lines (57 octets) are encoded into a line buffer with its CRLF
    /// and appended at once; only a line's start or end left unfinished
    /// by a chunk edge goes quantum by quantum.
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
        while self.col != 0 && input.len() >= 3 {
            self.emit(&input[..3], out);
            input = &input[3..];
        }
        if self.col == 0 {
            let mut lines = input.chunks_exact(LINE_INPUT);
            for src in &mut lines {
                if let Ok(src) = <&[u8; LINE_INPUT]>::try_from(src) {
                    out.extend_from_slice(&encode_line(src));
                }
            }
            input = lines.remainder();
        }
        let whole = input.len() / 3 * 3;
        for chunk in input[..whole].chunks_exact(3) {
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

    /// The encoder's lines against the `base64` crate's encoding cut into
    /// 76-character lines, for any input and any chunking (RFC 2045 §6.8).
    fn reference_base64_lines(input: &[u8]) -> Vec<u8> {
        use base64::Engine as _;
        let flat = base64::engine::general_purpose::STANDARD.encode(input);
        let mut out = Vec::new();
        for line in flat.as_bytes().chunks(LINE) {
            out.extend_from_slice(line);
            out.extend_from_slice(b"\r\n");
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn base64_lines_match_reference_at_any_chunking_rfc2045_6_8(
            data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..700),
            steps in proptest::collection::vec(1usize..130, 1..8),
        ) {
            let mut out = Vec::new();
            let mut e = Base64Encoder::default();
            let mut rest = &data[..];
            let mut k = 0;
            while !rest.is_empty() {
                let n = steps[k % steps.len()].min(rest.len());
                e.update(&rest[..n], &mut out);
                rest = &rest[n..];
                k += 1;
            }
            e.finish(&mut out);
            proptest::prop_assert_eq!(out, reference_base64_lines(&data));
        }

        /// The early stops give the same choices as a full scan (RFC 2045 §6).
        #[test]
        fn early_scan_stops_change_no_choice_rfc2045_6(
            data in proptest::prop_oneof![
                proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
                proptest::collection::vec(
                    proptest::sample::select(&b"ab \r\n\0\xe9="[..]),
                    0..600,
                ),
                proptest::collection::vec(proptest::sample::select(&b"ab\r\n"[..]), 0..3000),
            ],
        ) {
            let full = full_scan(&data);
            let scan = Scan::of(&data);
            for allow in [false, true] {
                proptest::prop_assert_eq!(
                    scan.choose(data.len(), allow),
                    full.choose(data.len(), allow)
                );
            }
            proptest::prop_assert_eq!(scan.is_seven_bit(), full.is_seven_bit());
            proptest::prop_assert_eq!(scan.is_eight_bit(), full.is_eight_bit());
            proptest::prop_assert_eq!(Scan::is_seven_bit_data(&data), full.is_seven_bit());
            proptest::prop_assert_eq!(scan.eight_bit || scan.unsafe_octets, full.eight_bit || full.unsafe_octets);
            if !full.unsafe_octets || full.qp_cost * 4 <= base64_len(data.len()) * 5 {
                // No early stop: the same fields.
                proptest::prop_assert_eq!(
                    (scan.eight_bit, scan.unsafe_octets, scan.longest_line, scan.qp_cost),
                    (full.eight_bit, full.unsafe_octets, full.longest_line, full.qp_cost)
                );
            }
        }
    }

    /// `Scan::of` without the early stop.
    fn full_scan(bytes: &[u8]) -> Scan {
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

    /// The octet-by-octet encoder the run copying must agree with.
    fn reference_qp(input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
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
        out
    }

    proptest::proptest! {
        /// Copying runs changes no output (RFC 2045 §6.7).
        #[test]
        fn quoted_printable_runs_match_octet_by_octet_rfc2045_6_7(
            data in proptest::prop_oneof![
                proptest::collection::vec(
                    proptest::sample::select(&b"ab= \t\r\n\xc3\xa9"[..]),
                    0..400,
                ),
                proptest::collection::vec(proptest::sample::select(&b"xy \r\n"[..]), 0..400),
                proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
            ],
        ) {
            let got = qp(&data);
            proptest::prop_assert_eq!(&got, &reference_qp(&data));
            proptest::prop_assert_eq!(decode_quoted_printable(&got, &mut Vec::new()), data);
        }
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
        assert!(!Scan::is_seven_bit_data(&binary));
        assert!(Scan::is_seven_bit_data(b"plain\r\n"));
        assert!(Scan::is_seven_bit_data(&long[..998]));
        assert!(!Scan::is_seven_bit_data(&long));
        assert!(!Scan::is_seven_bit_data(b"bare\nlf"));
    }

    /// Every CR, LF and CRLF becomes CRLF, octet by octet.
    fn reference_normalize(text: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
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

    proptest::proptest! {
        /// Copying runs changes nothing (RFC 2046 §4.1.1).
        #[test]
        fn canonical_form_runs_match_octet_by_octet_rfc2046_4_1_1(
            text in proptest::collection::vec(proptest::sample::select(&b"ab\r\n"[..]), 0..200),
        ) {
            proptest::prop_assert_eq!(normalize_text(&text), reference_normalize(&text));
        }
    }

    #[test]
    fn text_is_put_in_canonical_form_rfc2046_4_1_1() {
        assert_eq!(normalize_text(b"a\nb\rc\r\nd"), b"a\r\nb\r\nc\r\nd\r\n");
        assert_eq!(normalize_text(b"x\r\n"), b"x\r\n");
        assert_eq!(normalize_text(b""), b"");
        assert_eq!(normalize_text(b"\r\r\n"), b"\r\n\r\n");
    }
}
