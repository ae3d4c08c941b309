//! Content-Transfer-Encoding decoding (RFC 2045 §6): base64 and
//! quoted-printable that tolerate what real mail does to them, plus
//! uuencode. Damage is repaired and reported as a [`Defect`], never an error.
//!
//! Each encoding has an incremental decoder ([`Base64Decoder`],
//! [`QuotedPrintableDecoder`], [`UuencodeDecoder`], or [`Decoder`] for any
//! [`TransferEncoding`]) that carries its state across chunk edges, so the
//! output is the same however the input is split; the streaming parser
//! ([`crate::stream`]) feeds it chunks, and the whole-buffer functions
//! ([`decode_base64`], [`decode_quoted_printable`], [`decode_uuencode`]) are
//! one call of the same decoder followed by `finish`. Measured when they
//! became so (callgrind instruction counts, release build, 8 MB input):
//! base64 219.4M before and after, quoted-printable 392.5M before and
//! 389.4M after, uuencode (3 MB) 102.9M before and 86.0M after; neither
//! regressed, so no separate whole-buffer path was kept.

use std::borrow::Cow;
use std::collections::VecDeque;

use crate::Defect;
use crate::defect::push_once;

/// The Content-Transfer-Encoding of a part (RFC 2045 §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransferEncoding {
    /// `7bit`, also the default when the header is absent (RFC 2045 §6.1).
    SevenBit,
    /// `8bit` (RFC 2045 §6.2).
    EightBit,
    /// `binary` (RFC 2045 §6.2).
    Binary,
    /// `quoted-printable` (RFC 2045 §6.7).
    QuotedPrintable,
    /// `base64` (RFC 2045 §6.8).
    Base64,
    /// `x-uuencode` (and the `uuencode`, `x-uue` spellings).
    Uuencode,
    /// Anything else; the body is passed through with a defect.
    Unknown,
}

impl TransferEncoding {
    /// Reads a Content-Transfer-Encoding value, ignoring case, surrounding
    /// whitespace and a trailing comment.
    pub fn parse(value: &[u8]) -> TransferEncoding {
        let value = value
            .split(|&b| b == b'(' || b == b';')
            .next()
            .unwrap_or(value);
        let value = value.trim_ascii();
        let is = |name: &str| value.eq_ignore_ascii_case(name.as_bytes());
        if is("7bit") || value.is_empty() {
            TransferEncoding::SevenBit
        } else if is("8bit") {
            TransferEncoding::EightBit
        } else if is("binary") {
            TransferEncoding::Binary
        } else if is("quoted-printable") {
            TransferEncoding::QuotedPrintable
        } else if is("base64") {
            TransferEncoding::Base64
        } else if is("x-uuencode") || is("uuencode") || is("x-uue") {
            TransferEncoding::Uuencode
        } else {
            TransferEncoding::Unknown
        }
    }

    /// True for `7bit`, `8bit` and `binary`, whose body is its own decoding (RFC 2045 §6.2).
    pub fn is_identity(self) -> bool {
        matches!(
            self,
            TransferEncoding::SevenBit | TransferEncoding::EightBit | TransferEncoding::Binary
        )
    }

    /// Decodes `body`, borrowing it when the encoding is an identity.
    /// Defects found are appended to `defects` (each kind once).
    pub fn decode<'a>(self, body: &'a [u8], defects: &mut Vec<Defect>) -> Cow<'a, [u8]> {
        match self {
            TransferEncoding::SevenBit | TransferEncoding::EightBit | TransferEncoding::Binary => {
                Cow::Borrowed(body)
            }
            TransferEncoding::Unknown => {
                push_once(defects, Defect::UnknownTransferEncoding);
                Cow::Borrowed(body)
            }
            TransferEncoding::QuotedPrintable if quoted_printable_is_identity(body) => {
                Cow::Borrowed(body)
            }
            TransferEncoding::QuotedPrintable => Cow::Owned(decode_quoted_printable(body, defects)),
            TransferEncoding::Base64 => Cow::Owned(decode_base64(body, defects)),
            TransferEncoding::Uuencode => Cow::Owned(decode_uuencode(body, defects)),
        }
    }
}

/// True when quoted-printable decoding would give `body` back unchanged,
/// without a defect (RFC 2045 §6.7): no `=` (so no escape and no soft
/// line break), and no whitespace at a line's end (rule 3 drops it) nor a
/// CR other than before LF. Many QP text parts are plain ASCII lines,
/// written QP by habit; those are then borrowed, not copied.
fn quoted_printable_is_identity(body: &[u8]) -> bool {
    if memchr::memchr(b'=', body).is_some() {
        return false;
    }
    let mut rest = body;
    loop {
        match memchr::memchr2(b'\r', b'\n', rest) {
            Some(i) => {
                let line = &rest[..i];
                if matches!(line.last(), Some(b' ' | b'\t')) {
                    return false;
                }
                rest = match &rest[i..] {
                    [b'\r', b'\n', tail @ ..] | [b'\n', tail @ ..] => tail,
                    _ => return false,
                };
            }
            None => return !matches!(rest.last(), Some(b' ' | b'\t')),
        }
    }
}

/// An incremental decoder for any [`TransferEncoding`]: feed the body in
/// chunks of any size with [`Decoder::decode`], then call
/// [`Decoder::finish`] once. The output and the defects are the same as
/// [`TransferEncoding::decode`] on the whole body, whatever the split.
#[derive(Debug, Clone)]
pub struct Decoder {
    kind: DecoderKind,
}

#[derive(Debug, Clone)]
enum DecoderKind {
    Identity,
    Unknown,
    Base64(Base64Decoder),
    QuotedPrintable(QuotedPrintableDecoder),
    Uuencode(UuencodeDecoder),
}

impl Decoder {
    /// A decoder for `encoding`. Identity encodings copy their input;
    /// [`TransferEncoding::Unknown`] copies it and reports
    /// [`Defect::UnknownTransferEncoding`] at [`Decoder::finish`].
    pub fn new(encoding: TransferEncoding) -> Decoder {
        let kind = match encoding {
            TransferEncoding::SevenBit | TransferEncoding::EightBit | TransferEncoding::Binary => {
                DecoderKind::Identity
            }
            TransferEncoding::Unknown => DecoderKind::Unknown,
            TransferEncoding::Base64 => DecoderKind::Base64(Base64Decoder::new()),
            TransferEncoding::QuotedPrintable => {
                DecoderKind::QuotedPrintable(QuotedPrintableDecoder::new())
            }
            TransferEncoding::Uuencode => DecoderKind::Uuencode(UuencodeDecoder::new()),
        };
        Decoder { kind }
    }

    /// Decodes the next piece of the body, appending to `out`. Some bytes
    /// may be held back until the next call shows what follows them.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>, defects: &mut Vec<Defect>) {
        match &mut self.kind {
            DecoderKind::Identity | DecoderKind::Unknown => out.extend_from_slice(input),
            DecoderKind::Base64(d) => d.decode(input, out, defects),
            DecoderKind::QuotedPrintable(d) => d.decode(input, out, defects),
            DecoderKind::Uuencode(d) => d.decode(input, out, defects),
        }
    }

    /// Ends the body: flushes what was held back and reports what was left
    /// unfinished. The decoder is then ready for a new body.
    pub fn finish(&mut self, out: &mut Vec<u8>, defects: &mut Vec<Defect>) {
        match &mut self.kind {
            DecoderKind::Identity => {}
            DecoderKind::Unknown => push_once(defects, Defect::UnknownTransferEncoding),
            DecoderKind::Base64(d) => d.finish(out, defects),
            DecoderKind::QuotedPrintable(d) => d.finish(out, defects),
            DecoderKind::Uuencode(d) => d.finish(out, defects),
        }
    }

    /// How many bytes the decoder holds back for now (quoted-printable
    /// trailing whitespace, uuencode lines before a `begin` line); bounded
    /// by [`MAX_TRAILING_WHITESPACE`] and [`UUENCODE_BEGIN_WINDOW`].
    pub fn buffered_len(&self) -> usize {
        match &self.kind {
            DecoderKind::QuotedPrintable(d) => d.ws.len() + 2,
            DecoderKind::Uuencode(d) => d.tentative.len() + d.line.out.len(),
            _ => 0,
        }
    }
}

const INVALID: u8 = 0xFF;
const SKIP: u8 = 0xFE;

/// Maps a byte to its base64 value, or to `SKIP` (whitespace) / `INVALID`.
const BASE64_TABLE: [u8; 256] = {
    let mut t = [INVALID; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut i = 0;
    while i < 64 {
        t[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    t[b' ' as usize] = SKIP;
    t[b'\t' as usize] = SKIP;
    t[b'\r' as usize] = SKIP;
    t[b'\n' as usize] = SKIP;
    t
};

/// Marks a byte that is no base64 character in the `QUANTUM` tables: no
/// character's value reaches bit 24, so one test of the OR of a quantum's
/// four entries finds any such byte.
const QUANTUM_BAD: u32 = 1 << 24;

/// `BASE64_TABLE` with each value already shifted to its place in a
/// 24-bit quantum (`shift` 18, 12, 6 or 0), other bytes `QUANTUM_BAD`.
/// The quantum's three output octets are laid out little-endian (first
/// octet lowest), so that `to_le_bytes` of the OR of four entries is the
/// output as it is stored, with no byte swap per quantum.
const fn quantum_table(shift: u32) -> [u32; 256] {
    let mut t = [QUANTUM_BAD; 256];
    let mut b = 0;
    while b < 256 {
        let v = BASE64_TABLE[b];
        if v < 64 {
            let x = (v as u32) << shift;
            t[b] = ((x >> 16) & 0xFF) | (x & 0xFF00) | ((x & 0xFF) << 16);
        }
        b += 1;
    }
    t
}

/// The tables of the four positions of a quantum, in one array so that
/// one base address reaches all four.
static QUANTUM: [[u32; 256]; 4] = [
    quantum_table(18),
    quantum_table(12),
    quantum_table(6),
    quantum_table(0),
];

/// The 24 bits of the four base64 characters at `q[k..k + 4]` (as the
/// three output octets, little-endian: see [`quantum_table`]), with
/// `QUANTUM_BAD` set when one of them is padding, whitespace or outside
/// the alphabet.
#[inline(always)]
fn quantum_bits<const N: usize>(q: &[u8; N], k: usize) -> u32 {
    QUANTUM[0][usize::from(q[k])]
        | QUANTUM[1][usize::from(q[k + 1])]
        | QUANTUM[2][usize::from(q[k + 2])]
        | QUANTUM[3][usize::from(q[k + 3])]
}

/// Bytes of output [`decode_quanta`] gathers on the stack before appending
/// them to the output `Vec` (a multiple of 3).
const QUANTA_BLOCK: usize = 3 * 128;

/// The fast path of [`Base64Decoder::decode`], for a decoder at a quantum
/// boundary: decodes whole quanta of four alphabet characters (four
/// quanta at a time where it can), through tables that give each
/// character's bits already in place, and skips whitespace between quanta
/// (line breaks), which the byte-by-byte state machine ignores too. It
/// stops before anything else (padding, a stray byte, whitespace inside a
/// quantum, fewer than four bytes left), where the state machine takes
/// over. Returns the input consumed and whether any quantum was decoded
/// (which ends a run of padding, as in the state machine).
fn decode_quanta(input: &[u8], out: &mut Vec<u8>) -> (usize, bool) {
    match input.first_chunk::<4>() {
        Some(q) if quantum_bits(q, 0) & QUANTUM_BAD == 0 => {}
        Some(q) if BASE64_TABLE[usize::from(q[0])] == SKIP => {}
        _ => return (0, false),
    }
    // A quantum is stored as four bytes, the fourth overwritten by the
    // next one's: one spare byte at the end.
    let mut buf = [0u8; QUANTA_BLOCK + 1];
    let (mut i, mut o) = (0, 0);
    let mut decoded = false;
    'quanta: loop {
        if o + 12 > QUANTA_BLOCK {
            out.extend_from_slice(&buf[..o]);
            decoded = true;
            o = 0;
        }
        let mut written = 0;
        if let Some(q) = input.get(i..i + 16).and_then(|s| s.first_chunk::<16>()) {
            let x0 = quantum_bits(q, 0);
            let x1 = quantum_bits(q, 4);
            let x2 = quantum_bits(q, 8);
            let x3 = quantum_bits(q, 12);
            if (x0 | x1 | x2 | x3) & QUANTUM_BAD == 0 {
                if let Some(dst) = buf.get_mut(o..).and_then(|s| s.first_chunk_mut::<13>()) {
                    dst[0..4].copy_from_slice(&x0.to_le_bytes());
                    dst[3..7].copy_from_slice(&x1.to_le_bytes());
                    dst[6..10].copy_from_slice(&x2.to_le_bytes());
                    dst[9..13].copy_from_slice(&x3.to_le_bytes());
                }
                o += 12;
                i += 16;
                continue;
            }
            // The block holds something else (a line break, most often):
            // the quanta before it are good.
            for x in [x0, x1, x2] {
                if x & QUANTUM_BAD != 0 {
                    break;
                }
                if let Some(dst) = buf.get_mut(o..).and_then(|s| s.first_chunk_mut::<4>()) {
                    *dst = x.to_le_bytes();
                }
                o += 3;
                i += 4;
                written += 1;
            }
        }
        // Then quanta one by one, up to four in all with those above
        // (room for four is left), or whitespace: after either, four at a
        // time again.
        while written < 4 {
            let Some(q) = input.get(i..).and_then(|s| s.first_chunk::<4>()) else {
                break 'quanta;
            };
            let x = quantum_bits(q, 0);
            if x & QUANTUM_BAD == 0 {
                if let Some(dst) = buf.get_mut(o..).and_then(|s| s.first_chunk_mut::<4>()) {
                    *dst = x.to_le_bytes();
                }
                o += 3;
                i += 4;
                written += 1;
            } else if q[0] == b'\r' && q[1] == b'\n' {
                i += 2;
                continue 'quanta;
            } else if BASE64_TABLE[usize::from(q[0])] == SKIP {
                i += 1;
                continue 'quanta;
            } else {
                break 'quanta;
            }
        }
    }
    out.extend_from_slice(&buf[..o]);
    (i, decoded || o > 0)
}

/// Base64 characters [`decode_lines`] hands to encodify in one call at
/// most: a block it refuses is read again by the table path and the state
/// machine, so this bounds the work done twice.
const LINES_BLOCK: usize = 16 * 1024;

/// Input shorter than this goes to the table path, not [`decode_lines`]:
/// encodify's set-up (finding the line shape) and its slow path for what
/// follows the last whole line cost more than a few lines are worth
/// (measured on the enmime messages, whose base64 parts are mostly small).
const LINES_MIN: usize = 512;

/// The SIMD fast path of [`Base64Decoder::decode`], for a decoder at a
/// quantum boundary: walks the input a line at a time (up to LF, a CR
/// before it belongs to the line break), over lines that are whole quanta
/// (RFC 2045 §6.8: encoders write lines of 76 characters, 19 quanta), and
/// hands each block of such lines, line breaks and all, to encodify's
/// lenient decoder, whose kernels skip the line breaks as they go: no
/// copy of the characters first. It stops at a line it cannot take whole:
/// the last line of an encoding (a body ending in `=`: taken without its
/// last quantum), a line whose length is no multiple of four, or the
/// chunk's end without a line break (taken as far as its whole quanta).
/// Returns the input consumed, whether any quantum was decoded, and how
/// much of the rest it refuses, which the table path and the byte-by-byte
/// state machine take, whose output and defects this path must match: see
/// [`decode_block`] for why a block it keeps decodes exactly as they would.
fn decode_lines(input: &[u8], out: &mut Vec<u8>) -> (usize, bool, usize) {
    // The block is `input[done..i]`, with `chars` characters besides its
    // line breaks.
    let (mut done, mut i, mut chars) = (0, 0, 0);
    let mut decoded = false;
    // The length of the last line with its line break: the next is most
    // likely the same, which one look confirms, without a search. A guess
    // too long (a line break inside) puts the break among the characters
    // counted, and [`decode_block`] then refuses the block.
    let mut width = 0;
    loop {
        let Some(rest) = input.get(i..).filter(|r| !r.is_empty()) else {
            return match decode_block(&input[done..i], chars, out) {
                true => (i, decoded || chars > 0, 0),
                false => (done, decoded, i - done),
            };
        };
        let (line_len, next, complete) = if width > 0 && rest.get(width - 1) == Some(&b'\n') {
            (width - 1, width, true)
        } else {
            match memchr::memchr(b'\n', rest) {
                Some(nl) => (nl, nl + 1, true),
                None => (rest.len(), rest.len(), false),
            }
        };
        width = next;
        let mut body = &rest[..line_len];
        if let [head @ .., b'\r'] = body {
            body = head;
        }
        let (take, stop) = match body.last() {
            // A blank line: only line-break bytes, which the state
            // machine skips.
            None => (0, false),
            // Padding: the quanta before the last one.
            Some(b'=') => ((body.len() - 1) & !3, true),
            _ if complete && body.len() % 4 == 0 => (body.len(), false),
            _ => (body.len() & !3, true),
        };
        if chars + take > LINES_BLOCK {
            if !decode_block(&input[done..i], chars, out) {
                return (done, decoded, i - done);
            }
            decoded |= chars > 0;
            (done, chars) = (i, 0);
        }
        if stop {
            // The block ends inside this line, after its whole quanta.
            chars += take;
            return match decode_block(&input[done..i + take], chars, out) {
                true => (i + take, decoded || chars > 0, next - take),
                false => (done, decoded, i + next - done),
            };
        }
        i += next;
        chars += take;
        if chars == 0 {
            done = i;
        }
        if take == 0 {
            continue;
        }
        // The lines after it of the same length and line break, without
        // the checks above (most of a body): a line of that length with
        // anything else inside it (padding, a space, a line break) is
        // counted as characters, and [`decode_block`] refuses the block.
        let crlf = next - take == 2;
        while let Some(line) = input.get(i..i + next) {
            if line[next - 1] != b'\n'
                || (crlf && line[take] != b'\r')
                || line[take - 1] == b'='
                || chars + take > LINES_BLOCK
            {
                break;
            }
            chars += take;
            i += next;
        }
    }
}

/// Decodes one block of [`decode_lines`] (`chars` characters, a multiple
/// of four, between its line breaks) onto `out` with encodify's lenient
/// engine; false, with `out` as it was, if the block is not exactly
/// `chars` alphabet characters. That check is the decoded length: the
/// lenient engine skips whitespace (SP, HT, CR, LF, VT, FF), ends a
/// quantum at `=` and refuses any other byte, so each character that is
/// no alphabet character takes away more than the three quarters of an
/// octet it was counted for; only a block of pure alphabet characters,
/// whole quanta, decodes to `chars / 4 * 3` octets, and such a block the
/// state machine decodes to the same octets, without a defect.
fn decode_block(block: &[u8], chars: usize, out: &mut Vec<u8>) -> bool {
    if chars == 0 {
        return true;
    }
    let start = out.len();
    match encodify::base64::LENIENT.decode_append(block, out) {
        Ok(n) if n == chars / 4 * 3 => true,
        _ => {
            out.truncate(start);
            false
        }
    }
}

/// Room in the output for decoding `len` characters of base64.
fn base64_capacity(len: usize) -> usize {
    len / 4 * 3 + 3
}

/// Decodes base64 (RFC 2045 §6.8) the way mail readers must: characters
/// outside the alphabet are skipped ([`Defect::InvalidBase64Character`]),
/// missing or early padding is accepted ([`Defect::InvalidBase64Padding`]),
/// and data after a padded quantum (concatenated encodings) goes on being
/// decoded. Runs in one pass, linear in the input.
pub fn decode_base64(input: &[u8], defects: &mut Vec<Defect>) -> Vec<u8> {
    let mut out = Vec::with_capacity(base64_capacity(input.len()));
    let mut decoder = Base64Decoder::new();
    decoder.decode(input, &mut out, defects);
    decoder.finish(&mut out, defects);
    out
}

/// The incremental form of [`decode_base64`]: the bits of an unfinished
/// quantum (at most three characters) carry over to the next call.
#[derive(Debug, Clone, Default)]
pub struct Base64Decoder {
    acc: u32,
    n: u8,
    pad: u8,
}

impl Base64Decoder {
    /// A decoder at the start of a body.
    pub fn new() -> Base64Decoder {
        Base64Decoder::default()
    }

    /// Decodes the next piece, appending whole bytes to `out`.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>, defects: &mut Vec<Defect>) {
        out.reserve(base64_capacity(input.len()));
        // The state lives in locals for the loop. At a quantum boundary
        // the fast path takes whole quanta; the byte-by-byte state machine
        // below handles the rest (padding, stray bytes, whitespace inside
        // a quantum, the last bytes of a chunk) and is the definition the
        // fast path must agree with.
        let (mut acc, mut n, mut pad) = (self.acc, self.n, self.pad);
        let mut i = 0;
        // Up to here the SIMD line path refused the input (a line it
        // cannot take whole): the table path and the state machine work
        // through it, and the line path is tried again after it.
        let mut slow_until = 0;
        while i < input.len() {
            if n == 0 {
                if i >= slow_until && input.len() - i < LINES_MIN {
                    // Too short for the SIMD path to pay: the table path.
                    slow_until = input.len();
                } else if i >= slow_until {
                    let (used, decoded, refused) = decode_lines(&input[i..], out);
                    if decoded {
                        pad = 0;
                    }
                    i += used;
                    slow_until = if used == 0 {
                        // Refused outright: no line it could take. The
                        // table path reads at least the next `LINES_MIN`
                        // octets, so that a body that is no base64 at all
                        // (mislabelled text) does not try the line path,
                        // and encodify, again at every line.
                        (i + refused.max(LINES_MIN)).min(input.len())
                    } else {
                        i + refused
                    };
                }
                let (used, decoded) = decode_quanta(&input[i..slow_until], out);
                if decoded {
                    pad = 0;
                }
                i += used;
            }
            let Some(&b) = input.get(i) else {
                break;
            };
            i += 1;
            let v = BASE64_TABLE[b as usize];
            if v < 64 {
                // Data after padding: a second encoding glued on.
                pad = 0;
                acc = (acc << 6) | u32::from(v);
                n += 1;
                if n == 4 {
                    out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
                    acc = 0;
                    n = 0;
                }
            } else if v == SKIP {
            } else if b == b'=' {
                pad += 1;
                match n {
                    0 | 1 => {
                        if n == 1 || pad == 1 {
                            push_once(defects, Defect::InvalidBase64Padding);
                        }
                        if n == 1 {
                            // Six bits make no byte.
                            acc = 0;
                            n = 0;
                        }
                    }
                    2 => {
                        if pad == 2 {
                            out.push((acc >> 4) as u8);
                            acc = 0;
                            n = 0;
                        }
                    }
                    _ => {
                        out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]);
                        acc = 0;
                        n = 0;
                    }
                }
            } else {
                push_once(defects, Defect::InvalidBase64Character);
            }
        }
        (self.acc, self.n, self.pad) = (acc, n, pad);
    }

    /// Ends the body: an unfinished quantum gives its whole bytes and
    /// [`Defect::InvalidBase64Padding`].
    pub fn finish(&mut self, out: &mut Vec<u8>, defects: &mut Vec<Defect>) {
        let acc = self.acc;
        match self.n {
            0 => {}
            1 => push_once(defects, Defect::InvalidBase64Padding),
            2 => {
                push_once(defects, Defect::InvalidBase64Padding);
                out.push((acc >> 4) as u8);
            }
            _ => {
                push_once(defects, Defect::InvalidBase64Padding);
                out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]);
            }
        }
        *self = Base64Decoder::default();
    }
}

/// The value of each hex digit (either case), 0xFF for other bytes.
const HEX_VALUE: [u8; 256] = {
    let mut t = [0xFF; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'A' as usize + i] = 10 + i as u8;
        t[b'a' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

fn hex_value(b: u8) -> Option<u8> {
    let v = HEX_VALUE[usize::from(b)];
    (v < 16).then_some(v)
}

/// The most trailing whitespace one quoted-printable line sheds (RFC 2045
/// §6.7 rule 3). Whitespace must be held until the line shows whether
/// more text follows it; a run longer than this is no transport padding,
/// so its first bytes are kept as text. The cap keeps a streaming decoder's
/// memory bounded, and the whole-buffer decoder applies the same rule.
pub const MAX_TRAILING_WHITESPACE: usize = 4096;

/// Decodes quoted-printable (RFC 2045 §6.7): `=XX` escapes (lower-case hex
/// accepted), soft line breaks `=` CRLF (also bare LF, and with transport
/// whitespace between), trailing whitespace on a line removed (rule 3, up
/// to [`MAX_TRAILING_WHITESPACE`] bytes), and an `=` that starts no valid
/// escape kept literally with [`Defect::InvalidQuotedPrintable`]. Hard line
/// breaks keep their form.
pub fn decode_quoted_printable(input: &[u8], defects: &mut Vec<Defect>) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut decoder = QuotedPrintableDecoder::new();
    decoder.decode(input, &mut out, defects);
    decoder.finish(&mut out, defects);
    out
}

/// What a held `=` is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Escape {
    #[default]
    None,
    /// A `=` whose meaning depends on the next bytes (escape, soft break, literal).
    Equals,
    /// `=` and one hex digit.
    EqualsHex(u8),
}

/// The incremental form of [`decode_quoted_printable`]. Complete lines are
/// decoded as whole lines; of an unfinished line it holds back only the
/// tail whose meaning the next bytes decide: a `=` or `=X`, trailing
/// whitespace (at most [`MAX_TRAILING_WHITESPACE`] bytes) and a CR.
#[derive(Debug, Clone, Default)]
pub struct QuotedPrintableDecoder {
    escape: Escape,
    ws: VecDeque<u8>,
    cr: bool,
}

impl QuotedPrintableDecoder {
    /// A decoder at the start of a body.
    pub fn new() -> QuotedPrintableDecoder {
        QuotedPrintableDecoder::default()
    }

    fn is_clean(&self) -> bool {
        self.escape == Escape::None && self.ws.is_empty() && !self.cr
    }

    /// Decodes the next piece, appending to `out`.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>, defects: &mut Vec<Defect>) {
        out.reserve(input.len());
        let mut i = 0;
        while i < input.len() && !self.is_clean() {
            self.feed(input[i], out, defects);
            i += 1;
        }
        // One pass over the complete lines, stopping at each `=` and line
        // break; the text between them is copied in runs.
        let rest = &input[i..];
        let mut pos = 0;
        // Escapes often follow each other (`=C3=A9`) or a line's end: a
        // look at the next byte saves a search call then.
        let next_stop = |pos: usize| match rest.get(pos) {
            Some(b'=' | b'\n') => Some(0),
            _ => memchr::memchr2(b'=', b'\n', rest.get(pos..).unwrap_or_default()),
        };
        while let Some(j) = next_stop(pos) {
            let at = pos + j;
            if rest[at] == b'\n' {
                // The text since the last escape ends the line: its
                // trailing whitespace goes (rule 3). Escapes are no
                // whitespace, so that run cannot reach back past them.
                match &rest[pos..at] {
                    [head @ .., b'\r'] => {
                        out.extend_from_slice(trim_end_ws(head));
                        out.extend_from_slice(b"\r\n");
                    }
                    line => {
                        out.extend_from_slice(trim_end_ws(line));
                        out.push(b'\n');
                    }
                }
                pos = at + 1;
                continue;
            }
            out.extend_from_slice(&rest[pos..at]);
            match qp_escape(&rest[at..]) {
                QpEscape::Byte(b) => {
                    out.push(b);
                    pos = at + 3;
                }
                QpEscape::SoftBreak(len) => pos = at + len,
                QpEscape::Literal => {
                    push_once(defects, Defect::InvalidQuotedPrintable);
                    out.push(b'=');
                    pos = at + 1;
                }
                QpEscape::Undecided => {
                    // No line break after it in this piece.
                    self.partial_line(&rest[at..], out, defects);
                    return;
                }
            }
        }
        if pos < rest.len() {
            self.partial_line(&rest[pos..], out, defects);
        }
    }

    /// Decodes the start of a line that has no line break yet (`self` is
    /// clean) and holds back the tail the next bytes decide.
    fn partial_line(&mut self, s: &[u8], out: &mut Vec<u8>, defects: &mut Vec<Defect>) {
        let (body, cr) = match s {
            [head @ .., b'\r'] => (head, true),
            _ => (s, false),
        };
        let w = body
            .iter()
            .rev()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        let n = body.len();
        let (prefix, ws, escape) = if !cr && w == 0 {
            match body {
                [head @ .., b'='] => (head, &b""[..], Escape::Equals),
                [head @ .., b'=', x] if hex_value(*x).is_some() => {
                    (head, &b""[..], Escape::EqualsHex(*x))
                }
                _ => (body, &b""[..], Escape::None),
            }
        } else if w > MAX_TRAILING_WHITESPACE {
            let cut = n - MAX_TRAILING_WHITESPACE;
            (&body[..cut], &body[cut..], Escape::None)
        } else {
            match &body[..n - w] {
                [head @ .., b'='] => (head, &body[n - w..], Escape::Equals),
                before => (before, &body[n - w..], Escape::None),
            }
        };
        decode_qp_segment(prefix, false, out, defects);
        self.escape = escape;
        self.ws.extend(ws.iter().copied());
        self.cr = cr;
    }

    /// One byte against the held tail.
    fn feed(&mut self, b: u8, out: &mut Vec<u8>, defects: &mut Vec<Defect>) {
        match b {
            b'\n' => self.end_line(true, out, defects),
            b'\r' => {
                if self.cr || matches!(self.escape, Escape::EqualsHex(_)) {
                    self.flush_tail(out, defects);
                }
                self.cr = true;
            }
            b' ' | b'\t' => {
                if self.cr || matches!(self.escape, Escape::EqualsHex(_)) {
                    self.flush_tail(out, defects);
                }
                if self.ws.len() == MAX_TRAILING_WHITESPACE {
                    if self.escape == Escape::Equals {
                        push_once(defects, Defect::InvalidQuotedPrintable);
                        out.push(b'=');
                        self.escape = Escape::None;
                    }
                    out.extend(self.ws.pop_front());
                }
                self.ws.push_back(b);
            }
            _ => {
                if let Escape::EqualsHex(h) = self.escape
                    && let (Some(h), Some(l)) = (hex_value(h), hex_value(b))
                {
                    out.push(h << 4 | l);
                    self.escape = Escape::None;
                    return;
                }
                if self.escape == Escape::Equals
                    && self.ws.is_empty()
                    && !self.cr
                    && hex_value(b).is_some()
                {
                    self.escape = Escape::EqualsHex(b);
                    return;
                }
                self.flush_tail(out, defects);
                if b == b'=' {
                    self.escape = Escape::Equals;
                } else {
                    out.push(b);
                }
            }
        }
    }

    /// Text follows the held tail: nothing in it was trailing or a soft break.
    fn flush_tail(&mut self, out: &mut Vec<u8>, defects: &mut Vec<Defect>) {
        match self.escape {
            Escape::None => {}
            Escape::Equals => {
                push_once(defects, Defect::InvalidQuotedPrintable);
                out.push(b'=');
            }
            Escape::EqualsHex(x) => {
                push_once(defects, Defect::InvalidQuotedPrintable);
                out.extend_from_slice(&[b'=', x]);
            }
        }
        self.escape = Escape::None;
        out.extend(self.ws.drain(..));
        if self.cr {
            out.push(b'\r');
            self.cr = false;
        }
    }

    /// The line ends: with a line break (`newline`), or with the body.
    fn end_line(&mut self, newline: bool, out: &mut Vec<u8>, defects: &mut Vec<Defect>) {
        if !newline && self.cr {
            // Without a following LF the CR is text, and so is all before it.
            self.flush_tail(out, defects);
            return;
        }
        let soft = match self.escape {
            Escape::None => false,
            Escape::Equals => true,
            Escape::EqualsHex(x) => {
                push_once(defects, Defect::InvalidQuotedPrintable);
                out.extend_from_slice(&[b'=', x]);
                false
            }
        };
        if newline && !soft {
            out.extend_from_slice(if self.cr { b"\r\n" } else { b"\n" });
        }
        *self = QuotedPrintableDecoder {
            ws: std::mem::take(&mut self.ws),
            ..QuotedPrintableDecoder::default()
        };
        self.ws.clear();
    }

    /// Ends the body: the last line, which has no line break, is finished.
    pub fn finish(&mut self, out: &mut Vec<u8>, defects: &mut Vec<Defect>) {
        self.end_line(false, out, defects);
    }
}

/// What a `=` in a complete line's text means.
enum QpEscape {
    /// `=XX`: the octet.
    Byte(u8),
    /// `=`, at most [`MAX_TRAILING_WHITESPACE`] spaces and tabs, and a
    /// line break: a soft line break of this many bytes.
    SoftBreak(usize),
    /// Anything else: the `=` is text ([`Defect::InvalidQuotedPrintable`]).
    Literal,
    /// The input ends before it is known.
    Undecided,
}

/// Reads the `=` at the start of `s` the way a line trimmed of its
/// trailing whitespace (rule 3) and decoded by [`decode_qp_segment`] reads
/// it: an escape, a soft line break (`=` ends the trimmed line), or text.
fn qp_escape(s: &[u8]) -> QpEscape {
    let Some(&h) = s.get(1) else {
        return QpEscape::Undecided;
    };
    let h = HEX_VALUE[usize::from(h)];
    if h < 16 {
        return match s.get(2).map(|&l| HEX_VALUE[usize::from(l)]) {
            None => QpEscape::Undecided,
            Some(l) if l < 16 => QpEscape::Byte(h << 4 | l),
            Some(_) => QpEscape::Literal,
        };
    }
    let ws = s[1..]
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    let after = 1 + ws;
    let end = match (s.get(after), s.get(after + 1)) {
        (None, _) | (Some(b'\r'), None) => return QpEscape::Undecided,
        (Some(b'\n'), _) => after + 1,
        (Some(b'\r'), Some(b'\n')) => after + 2,
        _ => return QpEscape::Literal,
    };
    if ws <= MAX_TRAILING_WHITESPACE {
        QpEscape::SoftBreak(end)
    } else {
        QpEscape::Literal
    }
}

/// Decodes the escapes of one line segment (trailing whitespace already
/// handled). With `line_end`, a final `=` is a soft line break and the
/// return value says so; without it, the segment is followed by bytes that
/// are no hex digit, so a final `=` is literal.
fn decode_qp_segment(
    line: &[u8],
    line_end: bool,
    out: &mut Vec<u8>,
    defects: &mut Vec<Defect>,
) -> bool {
    let mut i = 0;
    while i < line.len() {
        match memchr::memchr(b'=', &line[i..]) {
            None => {
                out.extend_from_slice(&line[i..]);
                break;
            }
            Some(j) => {
                out.extend_from_slice(&line[i..i + j]);
                let at = i + j;
                if at + 1 == line.len() {
                    if line_end {
                        return true;
                    }
                    push_once(defects, Defect::InvalidQuotedPrintable);
                    out.push(b'=');
                    break;
                } else if let (Some(h), Some(l)) = (
                    hex_value(line[at + 1]),
                    line.get(at + 2).and_then(|&b| hex_value(b)),
                ) {
                    out.push(h << 4 | l);
                    i = at + 3;
                } else {
                    push_once(defects, Defect::InvalidQuotedPrintable);
                    out.push(b'=');
                    i = at + 1;
                }
            }
        }
    }
    false
}

/// Removes up to [`MAX_TRAILING_WHITESPACE`] spaces and tabs from the end.
fn trim_end_ws(line: &[u8]) -> &[u8] {
    let keep = line.len().saturating_sub(MAX_TRAILING_WHITESPACE);
    let mut end = line.len();
    while end > keep && matches!(line[end - 1], b' ' | b'\t') {
        end -= 1;
    }
    &line[..end]
}

/// How far into a uuencoded body a `begin` line is looked for. Lines before
/// a `begin` line are skipped, so they must be held until it is known
/// whether one follows; a body with no `begin` line within this many bytes
/// is decoded from its first line.
pub const UUENCODE_BEGIN_WINDOW: usize = 64 * 1024;

/// Decodes uuencoded data: the lines between `begin <mode> <name>` and
/// `end`, or, when no line within the first [`UUENCODE_BEGIN_WINDOW`] bytes
/// starts with `begin `, every line up to `end`. Each line starts with a
/// length character; malformed lines and a missing `end` after `begin`
/// give [`Defect::InvalidUuencode`].
pub fn decode_uuencode(input: &[u8], defects: &mut Vec<Defect>) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() / 4 * 3);
    let mut decoder = UuencodeDecoder::new();
    decoder.decode(input, &mut out, defects);
    decoder.finish(&mut out, defects);
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum UuPhase {
    /// No `begin` line yet: lines are decoded tentatively.
    #[default]
    Searching,
    /// After a `begin` line: an `end` line must come.
    Framed,
    /// No `begin` line within the window: every line is data.
    Unframed,
    /// After the `end` line: the rest is ignored.
    Ended,
}

/// The line being read. Its decoded bytes (at most 63) wait in `out` until
/// the line ends, since a line that turns out to be `end` gives none.
#[derive(Debug, Clone, Default)]
struct UuLine {
    /// Bytes of the line so far, a held CR not counted.
    n: usize,
    /// A CR that is text unless a LF follows.
    cr: bool,
    /// The line so far is `end` and whitespace (needs `n >= 3`).
    not_end: bool,
    /// The line so far is a prefix of `begin `.
    not_begin: bool,
    /// Decoded length announced by the first character.
    len: usize,
    produced: usize,
    group: [u8; 4],
    g: usize,
    out: Vec<u8>,
}

/// The incremental form of [`decode_uuencode`]. It holds one line's output
/// (at most 63 bytes) and, while no `begin` line has been seen, the output
/// of the lines before it (at most [`UUENCODE_BEGIN_WINDOW`] input bytes).
#[derive(Debug, Clone, Default)]
pub struct UuencodeDecoder {
    phase: UuPhase,
    /// Input bytes consumed, and where the current line started.
    offset: usize,
    line_start: usize,
    line: UuLine,
    tentative: Vec<u8>,
    tentative_defect: bool,
    tentative_end: bool,
}

impl UuencodeDecoder {
    /// A decoder at the start of a body.
    pub fn new() -> UuencodeDecoder {
        UuencodeDecoder::default()
    }

    /// Decodes the next piece, appending to `out`. Whole lines are decoded
    /// as lines; only the unfinished line at either edge goes byte by byte.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>, defects: &mut Vec<Defect>) {
        let mut rest = input;
        while let [b, tail @ ..] = rest {
            if self.line.n == 0 && !self.line.cr {
                break;
            }
            rest = tail;
            self.byte(*b, out, defects);
        }
        while let Some(nl) = memchr::memchr(b'\n', rest) {
            if self.phase == UuPhase::Ended {
                return;
            }
            self.offset = self.offset.saturating_add(nl + 1);
            self.whole_line(&rest[..nl], out, defects);
            self.next_line(out, defects);
            rest = &rest[nl + 1..];
        }
        for &b in rest {
            self.byte(b, out, defects);
        }
    }

    /// One byte of an unfinished line.
    fn byte(&mut self, b: u8, out: &mut Vec<u8>, defects: &mut Vec<Defect>) {
        if self.phase == UuPhase::Ended {
            return;
        }
        self.offset = self.offset.saturating_add(1);
        match b {
            b'\n' => {
                self.end_line(out, defects);
                self.next_line(out, defects);
            }
            b'\r' => {
                if self.line.cr {
                    self.line_byte(b'\r');
                }
                self.line.cr = true;
            }
            _ => {
                if self.line.cr {
                    self.line.cr = false;
                    self.line_byte(b'\r');
                }
                self.line_byte(b);
            }
        }
    }

    /// A new line starts at `offset`; past the window, no `begin` line can come.
    fn next_line(&mut self, out: &mut Vec<u8>, defects: &mut Vec<Defect>) {
        self.line_start = self.offset;
        if self.phase == UuPhase::Searching && self.line_start >= UUENCODE_BEGIN_WINDOW {
            self.commit(out, defects);
        }
    }

    /// A complete line (without its LF), read the way [`Self::byte`] reads it.
    fn whole_line(&mut self, line: &[u8], out: &mut Vec<u8>, defects: &mut Vec<Defect>) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            return;
        }
        if self.phase == UuPhase::Searching && line.starts_with(b"begin ") {
            self.phase = UuPhase::Framed;
            self.tentative.clear();
            self.tentative_defect = false;
            self.tentative_end = false;
            return;
        }
        if line.trim_ascii_end() == b"end" {
            match self.phase {
                UuPhase::Searching => self.tentative_end = true,
                _ => self.phase = UuPhase::Ended,
            }
            return;
        }
        let len = usize::from((line[0].wrapping_sub(b' ')) & 0x3F);
        if len == 0 {
            return;
        }
        let dest = match self.phase {
            UuPhase::Searching if !self.tentative_end => &mut self.tentative,
            UuPhase::Framed | UuPhase::Unframed => &mut *out,
            _ => return,
        };
        let mut produced = 0;
        for chunk in line[1..].chunks(4) {
            if produced >= len {
                break;
            }
            let mut v = [0u8; 4];
            for (k, &c) in chunk.iter().enumerate() {
                v[k] = c.wrapping_sub(b' ') & 0x3F;
            }
            let bytes = [
                v[0] << 2 | v[1] >> 4,
                v[1] << 4 | v[2] >> 2,
                v[2] << 6 | v[3],
            ];
            let take = (len - produced).min(3);
            dest.extend_from_slice(&bytes[..take]);
            produced += take;
        }
        if produced < len {
            if self.phase == UuPhase::Searching {
                self.tentative_defect = true;
            } else {
                push_once(defects, Defect::InvalidUuencode);
            }
        }
    }

    fn line_byte(&mut self, c: u8) {
        let line = &mut self.line;
        let k = line.n;
        line.n += 1;
        if k < 3 {
            line.not_end |= c != b"end"[k];
        } else if !c.is_ascii_whitespace() {
            line.not_end = true;
        }
        if k < 6 {
            line.not_begin |= c != b"begin "[k];
        }
        if k == 0 {
            line.len = usize::from(c.wrapping_sub(b' ') & 0x3F);
        } else if line.produced < line.len {
            line.group[line.g] = c;
            line.g += 1;
            if line.g == 4 {
                line.decode_group();
            }
        }
    }

    fn end_line(&mut self, out: &mut Vec<u8>, defects: &mut Vec<Defect>) {
        let mut line = std::mem::take(&mut self.line);
        if line.n == 0 {
            return;
        }
        if self.phase == UuPhase::Searching && line.n >= 6 && !line.not_begin {
            self.phase = UuPhase::Framed;
            self.tentative.clear();
            self.tentative_defect = false;
            self.tentative_end = false;
            return;
        }
        if line.n >= 3 && !line.not_end {
            match self.phase {
                UuPhase::Searching => self.tentative_end = true,
                _ => self.phase = UuPhase::Ended,
            }
            return;
        }
        if line.len == 0 {
            return;
        }
        if line.g > 0 && line.produced < line.len {
            line.decode_group();
        }
        let defect = line.produced < line.len;
        match self.phase {
            UuPhase::Searching => {
                if !self.tentative_end {
                    self.tentative.extend_from_slice(&line.out);
                    self.tentative_defect |= defect;
                }
            }
            UuPhase::Framed | UuPhase::Unframed => {
                out.extend_from_slice(&line.out);
                if defect {
                    push_once(defects, Defect::InvalidUuencode);
                }
            }
            UuPhase::Ended => {}
        }
        // Keep the line's buffer for the next line.
        line.out.clear();
        self.line.out = line.out;
    }

    /// No `begin` line will come: the tentative output is the output.
    fn commit(&mut self, out: &mut Vec<u8>, defects: &mut Vec<Defect>) {
        out.append(&mut self.tentative);
        if self.tentative_defect {
            push_once(defects, Defect::InvalidUuencode);
        }
        self.phase = if self.tentative_end {
            UuPhase::Ended
        } else {
            UuPhase::Unframed
        };
    }

    /// Ends the body: the last line (without a line break) counts, and a
    /// `begin` without `end` gives [`Defect::InvalidUuencode`].
    pub fn finish(&mut self, out: &mut Vec<u8>, defects: &mut Vec<Defect>) {
        if self.phase != UuPhase::Ended {
            // A CR at the very end is stripped like the CR of a CRLF.
            self.end_line(out, defects);
        }
        if self.phase == UuPhase::Searching {
            self.commit(out, defects);
        }
        if self.phase == UuPhase::Framed {
            push_once(defects, Defect::InvalidUuencode);
        }
        *self = UuencodeDecoder::default();
    }
}

impl UuLine {
    /// Decodes the group of up to four characters (missing ones count as
    /// zero), keeping no more than the announced length.
    fn decode_group(&mut self) {
        let mut v = [0u8; 4];
        for (k, &c) in self.group[..self.g].iter().enumerate() {
            v[k] = c.wrapping_sub(b' ') & 0x3F;
        }
        let bytes = [
            v[0] << 2 | v[1] >> 4,
            v[1] << 4 | v[2] >> 2,
            v[2] << 6 | v[3],
        ];
        let take = (self.len - self.produced).min(3);
        self.out.extend_from_slice(&bytes[..take]);
        self.produced += take;
        self.g = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> (Vec<u8>, Vec<Defect>) {
        let mut d = Vec::new();
        (decode_base64(s.as_bytes(), &mut d), d)
    }

    fn qp(s: &str) -> (Vec<u8>, Vec<Defect>) {
        let mut d = Vec::new();
        (decode_quoted_printable(s.as_bytes(), &mut d), d)
    }

    #[test]
    fn base64_known_answers_rfc2045_6_8() {
        let cases: &[(&str, &[u8], &[Defect])] = &[
            ("", b"", &[]),
            ("Zg==", b"f", &[]),
            ("Zm8=", b"fo", &[]),
            ("Zm9v", b"foo", &[]),
            ("Zm9v\r\nYmFy", b"foobar", &[]),
            ("Zg", b"f", &[Defect::InvalidBase64Padding]),
            ("Zm8", b"fo", &[Defect::InvalidBase64Padding]),
            ("Zm9v!YmFy", b"foobar", &[Defect::InvalidBase64Character]),
            ("Zg==Zm8=", b"ffo", &[]),
            ("Z", b"", &[Defect::InvalidBase64Padding]),
            ("Zm9v====", b"foo", &[Defect::InvalidBase64Padding]),
        ];
        for (input, want, defects) in cases {
            let (got, d) = b64(input);
            assert_eq!(&got[..], *want, "{input:?}");
            assert_eq!(&d[..], *defects, "{input:?}");
        }
    }

    /// The byte-by-byte base64 state machine as it was before the fast
    /// path, kept as the reference the fast path must agree with.
    #[derive(Default)]
    struct ReferenceBase64 {
        acc: u32,
        n: u8,
        pad: u8,
    }

    impl ReferenceBase64 {
        fn decode(&mut self, input: &[u8], out: &mut Vec<u8>, defects: &mut Vec<Defect>) {
            for &b in input {
                let v = BASE64_TABLE[b as usize];
                if v < 64 {
                    self.pad = 0;
                    self.acc = (self.acc << 6) | u32::from(v);
                    self.n += 1;
                    if self.n == 4 {
                        let acc = self.acc;
                        out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
                        self.acc = 0;
                        self.n = 0;
                    }
                } else if v == SKIP {
                } else if b == b'=' {
                    self.pad += 1;
                    match self.n {
                        0 | 1 => {
                            if self.n == 1 || self.pad == 1 {
                                push_once(defects, Defect::InvalidBase64Padding);
                            }
                            if self.n == 1 {
                                self.acc = 0;
                                self.n = 0;
                            }
                        }
                        2 => {
                            if self.pad == 2 {
                                out.push((self.acc >> 4) as u8);
                                self.acc = 0;
                                self.n = 0;
                            }
                        }
                        _ => {
                            let acc = self.acc;
                            out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]);
                            self.acc = 0;
                            self.n = 0;
                        }
                    }
                } else {
                    push_once(defects, Defect::InvalidBase64Character);
                }
            }
        }

        fn finish(&mut self, out: &mut Vec<u8>, defects: &mut Vec<Defect>) {
            let mut d = Base64Decoder {
                acc: self.acc,
                n: self.n,
                pad: self.pad,
            };
            d.finish(out, defects);
        }
    }

    /// Base64-ish input: runs of alphabet characters (long enough for the
    /// four-quanta path) with line breaks, padding, whitespace and garbage
    /// at random places.
    fn base64ish() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let piece = prop_oneof![
            8 => proptest::collection::vec(proptest::sample::select(&alphabet[..]), 1..90),
            3 => Just(b"\r\n".to_vec()),
            1 => Just(b"\n".to_vec()),
            1 => Just(b"\r".to_vec()),
            1 => Just(b"=".to_vec()),
            1 => Just(b"==".to_vec()),
            1 => Just(b" \t".to_vec()),
            1 => proptest::collection::vec(any::<u8>(), 1..4),
        ];
        proptest::collection::vec(piece, 0..40).prop_map(|p| p.concat())
    }

    /// Base64 as encoders write it (RFC 2045 §6.8): a real encoding of up
    /// to 14,000 octets (more than one [`LINES_BLOCK`]), in lines of 76,
    /// 64 or another width (a multiple of four or not), ending in CRLF or
    /// LF, then damaged at a few places: a stray byte, `=`, a space, a
    /// vertical tab or form feed (whitespace to encodify, a stray byte to
    /// the state machine), a line break, or a cut.
    fn mime_base64() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use base64::Engine as _;
        use proptest::prelude::*;
        let width = prop_oneof![4 => Just(76usize), 3 => Just(64), 2 => 1usize..100];
        let damage = proptest::collection::vec(
            (
                any::<proptest::sample::Index>(),
                prop_oneof![
                    Just(b"!".to_vec()),
                    Just(b"=".to_vec()),
                    Just(b"==".to_vec()),
                    Just(b" ".to_vec()),
                    Just(b"\x0b".to_vec()),
                    Just(b"\x0c".to_vec()),
                    Just(b"\r\n".to_vec()),
                    Just(b"\n".to_vec()),
                    Just(b"\r".to_vec()),
                    Just(Vec::new()),
                    proptest::collection::vec(any::<u8>(), 1..3),
                ],
                any::<bool>(),
            ),
            0..4,
        );
        (
            proptest::collection::vec(any::<u8>(), 0..14000),
            width,
            any::<bool>(),
            any::<bool>(),
            damage,
        )
            .prop_map(|(data, width, crlf, last_break, damage)| {
                let flat = base64::engine::general_purpose::STANDARD.encode(&data);
                let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
                let mut text = Vec::new();
                let lines: Vec<&[u8]> = flat.as_bytes().chunks(width).collect();
                for (k, line) in lines.iter().enumerate() {
                    text.extend_from_slice(line);
                    if k + 1 < lines.len() || last_break {
                        text.extend_from_slice(eol);
                    }
                }
                for (at, bytes, replace) in damage {
                    if text.is_empty() {
                        break;
                    }
                    let at = at.index(text.len());
                    let end = if replace { at + 1 } else { at };
                    text.splice(at..end, bytes);
                }
                text
            })
    }

    proptest::proptest! {
        /// A quoted-printable body is borrowed only when decoding would
        /// give it back unchanged and without a defect (RFC 2045 §6.7).
        #[test]
        fn quoted_printable_identity_check_matches_the_decoder_rfc2045_6_7(
            body in proptest::collection::vec(
                proptest::sample::select(b"ab \t\r\n=".to_vec()), 0..40),
        ) {
            let mut defects = Vec::new();
            let decoded = decode_quoted_printable(&body, &mut defects);
            let identity = decoded == body && defects.is_empty();
            if quoted_printable_is_identity(&body) {
                proptest::prop_assert!(identity);
            }
            let mut d = Vec::new();
            let via = TransferEncoding::QuotedPrintable.decode(&body, &mut d);
            proptest::prop_assert_eq!(&via[..], &decoded[..]);
            proptest::prop_assert_eq!(d, defects);
        }
    }

    #[test]
    fn plain_quoted_printable_lines_are_borrowed_rfc2045_6_7() {
        let mut d = Vec::new();
        for body in [&b"Plain text.\r\n"[..], b"a b\nc\r\n\r\nd", b""] {
            let out = TransferEncoding::QuotedPrintable.decode(body, &mut d);
            assert!(matches!(out, Cow::Borrowed(_)), "{body:?}");
            assert_eq!(&out[..], body);
        }
        for body in [&b"a=41\r\n"[..], b"a \r\nb", b"a\rb", b"a\t"] {
            let out = TransferEncoding::QuotedPrintable.decode(body, &mut d);
            assert!(matches!(out, Cow::Owned(_)), "{body:?}");
        }
    }

    proptest::proptest! {
        /// The fast path changes nothing (RFC 2045 §6.8): same output and
        /// defects as the byte-by-byte state machine, on random and
        /// damaged input fed in random chunks.
        #[test]
        fn base64_fast_path_matches_state_machine_rfc2045_6_8(
            input in proptest::prop_oneof![
                base64ish(),
                mime_base64(),
                proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            ],
            cuts in proptest::collection::vec(proptest::prelude::any::<usize>(), 0..6),
        ) {
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (input.len() + 1)).collect();
            cuts.sort_unstable();
            let (mut want, mut want_d) = (Vec::new(), Vec::new());
            let mut reference = ReferenceBase64::default();
            reference.decode(&input, &mut want, &mut want_d);
            reference.finish(&mut want, &mut want_d);
            let (mut got, mut got_d) = (Vec::new(), Vec::new());
            let mut d = Base64Decoder::new();
            let mut from = 0;
            for &cut in &cuts {
                d.decode(&input[from..cut], &mut got, &mut got_d);
                from = cut;
            }
            d.decode(&input[from..], &mut got, &mut got_d);
            d.finish(&mut got, &mut got_d);
            proptest::prop_assert_eq!(&got, &want);
            proptest::prop_assert_eq!(&got_d, &want_d);
            // The whole-buffer function is the same decoder.
            let mut whole_d = Vec::new();
            proptest::prop_assert_eq!(decode_base64(&input, &mut whole_d), want);
            proptest::prop_assert_eq!(whole_d, want_d);
        }
    }

    #[test]
    fn base64_long_lines_and_blocks_decode_rfc2045_6_8() {
        // 76-character lines, a line length that is no multiple of four,
        // and more than one stack block of output.
        let data: Vec<u8> = (0..5000u32).map(|i| (i * 131 % 256) as u8).collect();
        use base64::Engine as _;
        let enc = base64::engine::general_purpose::STANDARD.encode(&data);
        for width in [76usize, 75, 64, 4, 3] {
            let wrapped: Vec<u8> = enc
                .as_bytes()
                .chunks(width)
                .flat_map(|c| c.iter().copied().chain(*b"\r\n"))
                .collect();
            let mut d = Vec::new();
            assert_eq!(decode_base64(&wrapped, &mut d), data, "width {width}");
            assert!(d.is_empty());
        }
    }

    #[test]
    fn base64_blank_and_odd_lines_between_full_lines_rfc2045_6_8() {
        // A blank line, a short line, padding and a stray byte after full
        // lines that the SIMD path has taken: the same as the state
        // machine, whole and cut at every point.
        let line = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2";
        let mut inputs: Vec<Vec<u8>> = Vec::new();
        for tail in [
            &b"\r\n\r\nQUJD"[..],
            b"\n\nQUJD\n",
            b"\r\nQUI=\r\nQUJD",
            b"\r\nQU\r\nJD",
            b"\r\n!UJD",
            b"\r\n\r\n",
        ] {
            let mut input = Vec::new();
            for _ in 0..3 {
                input.extend_from_slice(line);
                input.extend_from_slice(if tail[1] == b'\n' { b"\n" } else { b"\r\n" });
            }
            input.extend_from_slice(line);
            input.extend_from_slice(tail);
            inputs.push(input);
        }
        for input in &inputs {
            let (mut want, mut want_d) = (Vec::new(), Vec::new());
            let mut reference = ReferenceBase64::default();
            reference.decode(input, &mut want, &mut want_d);
            reference.finish(&mut want, &mut want_d);
            let mut d = Vec::new();
            assert_eq!(decode_base64(input, &mut d), want);
            assert_eq!(d, want_d);
            check_every_split(TransferEncoding::Base64, input);
        }
    }

    /// [`QuotedPrintableDecoder::decode`] as it was before the one-pass
    /// search: a search for the line break, then one for `=` in the line.
    fn reference_qp_decode(
        d: &mut QuotedPrintableDecoder,
        input: &[u8],
        out: &mut Vec<u8>,
        defects: &mut Vec<Defect>,
    ) {
        let mut i = 0;
        while i < input.len() && !d.is_clean() {
            d.feed(input[i], out, defects);
            i += 1;
        }
        let mut rest = &input[i..];
        while let Some(nl) = memchr::memchr(b'\n', rest) {
            let crlf = nl > 0 && rest[nl - 1] == b'\r';
            let (line, eol): (&[u8], &[u8]) = if crlf {
                (&rest[..nl - 1], b"\r\n")
            } else {
                (&rest[..nl], b"\n")
            };
            let line = trim_end_ws(line);
            if !decode_qp_segment(line, true, out, defects) {
                out.extend_from_slice(eol);
            }
            rest = &rest[nl + 1..];
        }
        if !rest.is_empty() {
            d.partial_line(rest, out, defects);
        }
    }

    /// Quoted-printable-ish input: text, escapes good and bad, soft
    /// breaks, trailing whitespace, bare CR and LF.
    fn qpish() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            4 => proptest::collection::vec(proptest::sample::select(&b"abcXYZ019"[..]), 1..30),
            2 => Just(b"\r\n".to_vec()),
            1 => Just(b"\n".to_vec()),
            1 => Just(b"\r".to_vec()),
            2 => Just(b"=".to_vec()),
            1 => Just(b"=3D".to_vec()),
            1 => Just(b"=c3=A9".to_vec()),
            1 => Just(b"=4".to_vec()),
            1 => Just(b"=\r\n".to_vec()),
            1 => Just(b"= \t\r\n".to_vec()),
            2 => Just(b" ".to_vec()),
            1 => Just(b"\t".to_vec()),
            1 => proptest::collection::vec(any::<u8>(), 1..4),
        ];
        proptest::collection::vec(piece, 0..40).prop_map(|p| p.concat())
    }

    proptest::proptest! {
        /// The one-pass search for `=` and line breaks changes nothing
        /// (RFC 2045 §6.7): same output and defects as the two searches
        /// it replaced, on random and damaged input in random chunks.
        #[test]
        fn quoted_printable_one_pass_matches_line_by_line_rfc2045_6_7(
            input in proptest::prop_oneof![
                qpish(),
                proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            ],
            cuts in proptest::collection::vec(0usize..1000, 0..6),
        ) {
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (input.len() + 1)).collect();
            cuts.sort_unstable();
            let (mut want, mut want_d) = (Vec::new(), Vec::new());
            let mut reference = QuotedPrintableDecoder::new();
            let (mut got, mut got_d) = (Vec::new(), Vec::new());
            let mut d = QuotedPrintableDecoder::new();
            let mut from = 0;
            for &cut in cuts.iter().chain([input.len()].iter()) {
                reference_qp_decode(&mut reference, &input[from..cut], &mut want, &mut want_d);
                d.decode(&input[from..cut], &mut got, &mut got_d);
                from = cut;
            }
            reference.finish(&mut want, &mut want_d);
            d.finish(&mut got, &mut got_d);
            proptest::prop_assert_eq!(&got, &want);
            proptest::prop_assert_eq!(&got_d, &want_d);
        }
    }

    #[test]
    fn quoted_printable_long_whitespace_after_equals_rfc2045_6_7() {
        // A run of whitespace longer than the cap after `=` is no soft
        // break: the `=` is text, and only the cap's worth goes.
        for n in [
            MAX_TRAILING_WHITESPACE - 1,
            MAX_TRAILING_WHITESPACE,
            MAX_TRAILING_WHITESPACE + 1,
            MAX_TRAILING_WHITESPACE + 2,
        ] {
            let mut input = b"a=".to_vec();
            input.extend(std::iter::repeat_n(b' ', n));
            input.extend_from_slice(b"\r\nb");
            let (mut want, mut want_d) = (Vec::new(), Vec::new());
            let mut reference = QuotedPrintableDecoder::new();
            reference_qp_decode(&mut reference, &input, &mut want, &mut want_d);
            reference.finish(&mut want, &mut want_d);
            let mut d = Vec::new();
            assert_eq!(decode_quoted_printable(&input, &mut d), want, "{n}");
            assert_eq!(d, want_d);
            let soft = n <= MAX_TRAILING_WHITESPACE;
            assert_eq!(want == b"ab", soft, "{n}");
        }
    }

    #[test]
    fn quoted_printable_known_answers_rfc2045_6_7() {
        let cases: &[(&str, &[u8], &[Defect])] = &[
            ("a=3Db", b"a=b", &[]),
            ("caf=C3=A9", "café".as_bytes(), &[]),
            ("caf=c3=a9", "café".as_bytes(), &[]),
            ("soft=\r\nbreak", b"softbreak", &[]),
            ("soft=\nbreak", b"softbreak", &[]),
            ("soft=  \r\nbreak", b"softbreak", &[]),
            ("trailing   \r\nx", b"trailing\r\nx", &[]),
            ("bad=ZZ", b"bad=ZZ", &[Defect::InvalidQuotedPrintable]),
            ("bad=4", b"bad=4", &[Defect::InvalidQuotedPrintable]),
            ("end=", b"end", &[]),
            ("a\nb", b"a\nb", &[]),
        ];
        for (input, want, defects) in cases {
            let (got, d) = qp(input);
            assert_eq!(&got[..], *want, "{input:?}");
            assert_eq!(&d[..], *defects, "{input:?}");
        }
    }

    #[test]
    fn uuencode_decodes_between_begin_and_end() {
        let mut d = Vec::new();
        let got = decode_uuencode(b"begin 644 cat.txt\n#0V%T\n`\nend\n", &mut d);
        assert_eq!(got, b"Cat");
        assert!(d.is_empty());
        let got = decode_uuencode(b"begin 644 cat.txt\n#0V%T\n", &mut d);
        assert_eq!(got, b"Cat");
        assert_eq!(d, [Defect::InvalidUuencode]);
    }

    #[test]
    fn transfer_encoding_names_rfc2045_6_1() {
        assert_eq!(
            TransferEncoding::parse(b" Base64 "),
            TransferEncoding::Base64
        );
        assert_eq!(
            TransferEncoding::parse(b"quoted-printable (comment)"),
            TransferEncoding::QuotedPrintable
        );
        assert_eq!(
            TransferEncoding::parse(b"x-uuencode"),
            TransferEncoding::Uuencode
        );
        assert_eq!(TransferEncoding::parse(b"gzip"), TransferEncoding::Unknown);
        assert_eq!(TransferEncoding::parse(b"8BIT"), TransferEncoding::EightBit);
        for (name, want) in [
            (&b"7Bit"[..], TransferEncoding::SevenBit),
            (b"", TransferEncoding::SevenBit),
            (b" ; x", TransferEncoding::SevenBit),
            (b"BINARY", TransferEncoding::Binary),
            (b"Quoted-Printable", TransferEncoding::QuotedPrintable),
            (b"UUENCODE", TransferEncoding::Uuencode),
            (b"x-uue", TransferEncoding::Uuencode),
            (b"X-UUencode", TransferEncoding::Uuencode),
            (b"base64x", TransferEncoding::Unknown),
            (b"base6", TransferEncoding::Unknown),
            (b"bAse-4", TransferEncoding::Unknown),
            (b"7bi\x14", TransferEncoding::Unknown),
            (b"quoted-printable-x", TransferEncoding::Unknown),
        ] {
            assert_eq!(TransferEncoding::parse(name), want, "{name:?}");
        }
    }

    /// Decodes `input` split at every point (and byte by byte) and checks
    /// the output and defects match the whole-buffer decode.
    fn check_every_split(encoding: TransferEncoding, input: &[u8]) {
        let mut want_defects = Vec::new();
        let want = encoding.decode(input, &mut want_defects).into_owned();
        let mut splits: Vec<Vec<usize>> = (0..=input.len()).map(|k| vec![k]).collect();
        splits.push((1..input.len()).collect());
        for cuts in splits {
            let mut d = Decoder::new(encoding);
            let (mut out, mut defects) = (Vec::new(), Vec::new());
            let mut from = 0;
            for &cut in &cuts {
                d.decode(&input[from..cut], &mut out, &mut defects);
                from = cut;
            }
            d.decode(&input[from..], &mut out, &mut defects);
            d.finish(&mut out, &mut defects);
            assert_eq!(out, want, "{encoding:?} {input:?} split at {cuts:?}");
            assert_eq!(
                defects, want_defects,
                "{encoding:?} {input:?} split at {cuts:?}"
            );
        }
    }

    #[test]
    fn incremental_decoders_match_whole_buffer_at_every_split_rfc2045_6() {
        let qp: &[&[u8]] = &[
            b"a=3Db",
            b"caf=C3=a9 \r\nsoft=  \r\nbreak=\nx",
            b"bad=ZZ=4\r\n=4 \r\n=\r\r\n==41=\r",
            b"trailing \t \r\nmid \rcr\r\r\nend=",
            b"a \r",
            b"x=\r",
            b"=A\r\n=A",
            b"t\t",
            b"",
        ];
        for input in qp {
            check_every_split(TransferEncoding::QuotedPrintable, input);
        }
        let b64: &[&[u8]] = &[
            b"Zm9v\r\nYmFy",
            b"Zg==Zm8=",
            b"Zm9v!Y",
            b"Zm9v====",
            b"Z",
            b"Zm8",
        ];
        for input in b64 {
            check_every_split(TransferEncoding::Base64, input);
        }
        let uu: &[&[u8]] = &[
            b"begin 644 cat.txt\r\n#0V%T\r\n`\r\nend\r\n",
            b"text first\nbegin 644 c\n#0V%T\nend  \n#0V%T\n",
            b"#0V%T\r\n#0V\r\nend\rx\nend\r\nignored",
            b"begin 6",
            b"#0V%T\r",
        ];
        for input in uu {
            check_every_split(TransferEncoding::Uuencode, input);
        }
        check_every_split(TransferEncoding::Unknown, b"as is");
        check_every_split(TransferEncoding::EightBit, b"as is\r\n");
    }

    #[test]
    fn quoted_printable_trailing_whitespace_is_capped_rfc2045_6_7() {
        let mut long = b"x".to_vec();
        long.extend(std::iter::repeat_n(b' ', MAX_TRAILING_WHITESPACE + 3));
        long.extend_from_slice(b"\r\ny");
        let got = decode_quoted_printable(&long, &mut Vec::new());
        assert_eq!(
            got.len(),
            1 + 3 + 3,
            "only the last {MAX_TRAILING_WHITESPACE} go"
        );
        check_every_split(TransferEncoding::QuotedPrintable, &long);
        let mut eq = b"=".to_vec();
        eq.extend(std::iter::repeat_n(b'\t', MAX_TRAILING_WHITESPACE + 1));
        let mut d = Vec::new();
        assert_eq!(decode_quoted_printable(&eq, &mut d), b"=\t");
        assert_eq!(d, [Defect::InvalidQuotedPrintable]);
        let mut dec = QuotedPrintableDecoder::new();
        let mut out = Vec::new();
        for &b in &long {
            dec.decode(&[b], &mut out, &mut d);
            assert!(dec.ws.len() <= MAX_TRAILING_WHITESPACE);
        }
    }

    #[test]
    fn uuencode_lines_before_begin_are_skipped_within_the_window() {
        let mut d = Vec::new();
        let got = decode_uuencode(b"see below\n#0V%T\nbegin 644 c\n#0V%T\nend\n", &mut d);
        assert_eq!(got, b"Cat");
        assert!(d.is_empty());
        // Without any begin line every line is data, up to `end`.
        let got = decode_uuencode(b"#0V%T\n#0V%T\nend\n#0V%T\n", &mut d);
        assert_eq!(got, b"CatCat");
        // A begin line beyond the window is data, like the lines before it.
        let mut far = b"#0V%T\n".repeat(UUENCODE_BEGIN_WINDOW / 6 + 1);
        far.extend_from_slice(b"begin 644 c\n");
        let mut d = Vec::new();
        let got = decode_uuencode(&far, &mut d);
        // `b` announces two bytes.
        assert_eq!(got.len(), (UUENCODE_BEGIN_WINDOW / 6 + 1) * 3 + 2);
    }
}
