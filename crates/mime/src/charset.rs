//! Charsets to UTF-8 (RFC 2046 §4.1.2): every label encoding_rs knows (the
//! WHATWG Encoding Standard: ISO-2022-JP, Shift_JIS, EUC-JP, GBK/GB18030,
//! Big5, EUC-KR, KOI8-R, the windows-125x and ISO-8859 families, ...),
//! a few mail-only aliases, and UTF-7 (RFC 2152), which the WHATWG set
//! leaves out and old mail still uses.

use std::borrow::Cow;
use std::sync::OnceLock;

use encoding_rs::Encoding;

use crate::Defect;
use crate::defect::push_once;

/// A charset as the decoder understands it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// One of encoding_rs's encodings.
    Encoding(&'static Encoding),
    /// UTF-7, decoded here (RFC 2152).
    Utf7,
}

impl Charset {
    /// Looks up a MIME charset label, ignoring case, whitespace and quotes.
    /// Returns `None` for a label no decoder here knows.
    pub fn for_label(label: &[u8]) -> Option<Charset> {
        let label = label.trim_ascii();
        let label = label
            .strip_prefix(b"\"")
            .and_then(|l| l.strip_suffix(b"\""))
            .unwrap_or(label)
            .trim_ascii();
        let is = |n: &str| label.eq_ignore_ascii_case(n.as_bytes());
        // The labels nearly all mail carries, without the full lookup (the
        // same answers as encoding_rs gives; a test checks).
        if is("utf-8") {
            return Some(Charset::Encoding(encoding_rs::UTF_8));
        }
        if is("us-ascii") || is("iso-8859-1") || is("windows-1252") {
            return Some(Charset::Encoding(encoding_rs::WINDOWS_1252));
        }
        if is("utf-7") || is("utf7") || is("unicode-1-1-utf-7") || is("x-unicode-2-0-utf-7") {
            return Some(Charset::Utf7);
        }
        let alias: Option<&[u8]> = if is("cp932") || is("x-ms-cp932") {
            Some(b"shift_jis")
        } else if is("cp936") {
            Some(b"gbk")
        } else if is("cp949") || is("ks_c_5601") {
            Some(b"euc-kr")
        } else if is("cp950") || is("big5-hkscs") {
            Some(b"big5")
        } else if is("iso-2022-jp-2") || is("iso-2022-jp-3") {
            Some(b"iso-2022-jp")
        } else {
            None
        };
        if let Some(encoding) = Encoding::for_label_no_replacement(alias.unwrap_or(label)) {
            return Some(Charset::Encoding(encoding));
        }
        loose_alias(label)
            .and_then(Encoding::for_label_no_replacement)
            .map(Charset::Encoding)
    }
}

/// The longest label [`loose_alias`] compares.
const MAX_LOOSE_LABEL: usize = 24;

/// Labels as mail writes them beyond the WHATWG set, compared with ASCII
/// case, `-`, `_`, `.`, `:` and spaces ignored (the IANA registry lists
/// `latin1`, `ANSI_X3.4-1968`, `ISO_8859-1:1987`...; senders spell them
/// `latin-1`, `ansi-x3.4-1968`), mapped to a label encoding_rs knows.
const LOOSE_ALIASES: &[(&[u8], &[u8])] = &[
    (b"latin1", b"iso-8859-1"),
    (b"latin2", b"iso-8859-2"),
    (b"latin3", b"iso-8859-3"),
    (b"latin4", b"iso-8859-4"),
    (b"latin5", b"iso-8859-9"),
    (b"latin6", b"iso-8859-10"),
    (b"latin9", b"iso-8859-15"),
    (b"ansix341968", b"us-ascii"),
    (b"ansix341986", b"us-ascii"),
    (b"iso646us", b"us-ascii"),
    (b"usascii", b"us-ascii"),
    (b"ascii", b"us-ascii"),
    (b"utf8", b"utf-8"),
    (b"shiftjis", b"shift_jis"),
    (b"sjis", b"shift_jis"),
    (b"eucjp", b"euc-jp"),
    (b"euckr", b"euc-kr"),
    (b"koi8r", b"koi8-r"),
    (b"koi8u", b"koi8-u"),
    (b"iso2022jp", b"iso-2022-jp"),
    (b"gb18030", b"gb18030"),
    (b"big5", b"big5"),
];

/// The encoding_rs label for a label written loosely: see
/// [`LOOSE_ALIASES`]; also `iso8859N` (`ISO_8859-1:1987` style, the
/// IANA names) and `windowsNNNN`/`cpNNNN`.
fn loose_alias(label: &[u8]) -> Option<&'static [u8]> {
    let mut buf = [0u8; MAX_LOOSE_LABEL];
    let mut n = 0;
    for &b in label {
        if matches!(b, b'-' | b'_' | b'.' | b':' | b' ') {
            continue;
        }
        *buf.get_mut(n)? = b.to_ascii_lowercase();
        n += 1;
    }
    let key = &buf[..n];
    if let Some((_, to)) = LOOSE_ALIASES.iter().find(|(from, _)| *from == key) {
        return Some(to);
    }
    // `iso8859N` and the IANA `iso88591987`-style names with a year.
    if let Some(rest) = key.strip_prefix(b"iso8859") {
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let part = match (&rest[..digits], digits) {
            // `iso_8859-1:1987` reads `iso885911987`: the part, then a year.
            (d, 5..=6) => &d[..d.len() - 4],
            (d, _) => d,
        };
        return ISO_8859_LABELS
            .iter()
            .find(|(p, _)| *p == part)
            .map(|(_, l)| *l);
    }
    if let Some(rest) = key
        .strip_prefix(b"windows")
        .or_else(|| key.strip_prefix(b"cp"))
    {
        return WINDOWS_LABELS
            .iter()
            .find(|(p, _)| *p == rest)
            .map(|(_, l)| *l);
    }
    None
}

/// ISO 8859 parts encoding_rs decodes.
const ISO_8859_LABELS: &[(&[u8], &[u8])] = &[
    (b"1", b"iso-8859-1"),
    (b"2", b"iso-8859-2"),
    (b"3", b"iso-8859-3"),
    (b"4", b"iso-8859-4"),
    (b"5", b"iso-8859-5"),
    (b"6", b"iso-8859-6"),
    (b"7", b"iso-8859-7"),
    (b"8", b"iso-8859-8"),
    (b"9", b"iso-8859-9"),
    (b"10", b"iso-8859-10"),
    (b"11", b"iso-8859-11"),
    (b"13", b"iso-8859-13"),
    (b"14", b"iso-8859-14"),
    (b"15", b"iso-8859-15"),
    (b"16", b"iso-8859-16"),
];

/// Windows code pages encoding_rs decodes.
const WINDOWS_LABELS: &[(&[u8], &[u8])] = &[
    (b"874", b"windows-874"),
    (b"1250", b"windows-1250"),
    (b"1251", b"windows-1251"),
    (b"1252", b"windows-1252"),
    (b"1253", b"windows-1253"),
    (b"1254", b"windows-1254"),
    (b"1255", b"windows-1255"),
    (b"1256", b"windows-1256"),
    (b"1257", b"windows-1257"),
    (b"1258", b"windows-1258"),
];

/// Decodes `bytes` in the charset named by `label` to UTF-8, borrowing
/// when the bytes are already valid UTF-8 in a UTF-8 compatible charset.
///
/// A `us-ascii` label on valid UTF-8 bytes reads them as UTF-8. An
/// unknown label falls back to UTF-8 when the bytes are valid UTF-8 and
/// to windows-1252 otherwise ([`Defect::UnknownCharset`]); sequences that
/// are invalid in the charset become U+FFFD ([`Defect::MalformedCharsetData`]).
pub fn decode_charset<'a>(
    label: &[u8],
    bytes: &'a [u8],
    defects: &mut Vec<Defect>,
) -> Cow<'a, str> {
    // Mail labelled US-ASCII that carries 8-bit bytes is nearly always
    // UTF-8 (RFC 6532 era senders); encoding_rs would read windows-1252.
    // (ASCII, the usual case, reads the same either way, so one UTF-8
    // check answers both.) The check stops at the first error: Latin-1
    // text so labelled fails within its first line instead of after a
    // whole pass (on ASCII it costs what `utf8` does).
    let trimmed = label.trim_ascii();
    if (trimmed.eq_ignore_ascii_case(b"us-ascii") || trimmed.eq_ignore_ascii_case(b"ascii"))
        && let Ok(s) = simdutf8::compat::from_utf8(bytes)
    {
        return Cow::Borrowed(s);
    }
    match Charset::for_label(label) {
        Some(charset) => decode_with(charset, bytes, defects),
        None => {
            push_once(defects, Defect::UnknownCharset);
            match utf8(bytes) {
                Some(s) => Cow::Borrowed(s),
                None => {
                    encoding_rs::WINDOWS_1252
                        .decode_without_bom_handling(bytes)
                        .0
                }
            }
        }
    }
}

/// `bytes` as a `str` when they are valid UTF-8. The check runs over whole
/// bodies, so it is the vectorised one of `simdutf8` (AVX2 or SSE4.2 picked
/// at run time; the same answer as `std::str::from_utf8`, several times
/// faster on long text).
pub(crate) fn utf8(bytes: &[u8]) -> Option<&str> {
    simdutf8::basic::from_utf8(bytes).ok()
}

/// True when [`decode_charset`] with this label reads valid UTF-8 bytes as
/// they are, without a defect: US-ASCII (see there) and the UTF-8 labels.
pub(crate) fn utf8_reads_as_is(label: &[u8]) -> bool {
    let trimmed = label.trim_ascii();
    trimmed.eq_ignore_ascii_case(b"us-ascii")
        || trimmed.eq_ignore_ascii_case(b"ascii")
        || Charset::for_label(label) == Some(Charset::Encoding(encoding_rs::UTF_8))
}

/// Decodes `bytes` in a known charset (see [`decode_charset`]).
pub fn decode_with<'a>(
    charset: Charset,
    bytes: &'a [u8],
    defects: &mut Vec<Defect>,
) -> Cow<'a, str> {
    match charset {
        Charset::Utf7 => {
            let (text, bad) = decode_utf7(bytes);
            if bad {
                push_once(defects, Defect::MalformedCharsetData);
            }
            text
        }
        Charset::Encoding(encoding) if encoding == encoding_rs::UTF_8 => {
            // Valid text, the usual case, takes the plain check (the
            // locating one costs about 2% more on multi-byte text); on
            // failure the lossy reading locates the first error itself.
            match utf8(bytes) {
                Some(s) => Cow::Borrowed(s),
                None => {
                    push_once(defects, Defect::MalformedCharsetData);
                    Cow::Owned(utf8_lossy(bytes))
                }
            }
        }
        Charset::Encoding(encoding) if encoding.is_single_byte() => {
            decode_single_byte(encoding, bytes, defects)
        }
        Charset::Encoding(encoding) => {
            // ASCII text in any ASCII-compatible encoding comes back
            // borrowed, in one pass.
            let (text, bad) = encoding.decode_without_bom_handling(bytes);
            if bad {
                push_once(defects, Defect::MalformedCharsetData);
            }
            text
        }
    }
}

/// Decodes `bytes` in a single-byte charset (US-ASCII is windows-1252
/// here, as in WHATWG), ASCII borrowed. The output is sized once, to fit:
/// each octet above 0x7F becomes one character of the Basic Multilingual
/// Plane, at most three UTF-8 octets. (encoding_rs sizes for the worst case, three
/// octets for every input octet past the ASCII prefix, which for a large
/// body is an allocation past the allocator's mmap threshold, mapped and
/// page-faulted afresh for every message.)
fn decode_single_byte<'a>(
    encoding: &'static Encoding,
    bytes: &'a [u8],
    defects: &mut Vec<Defect>,
) -> Cow<'a, str> {
    let high = count_non_ascii(bytes);
    if high == 0
        && let Some(ascii) = utf8(bytes)
    {
        return Cow::Borrowed(ascii);
    }
    // encoding_rs wants room for a three-octet character before it reads
    // any octet, so the last one, if ASCII, needs two more.
    let capacity = bytes.len() + 2 * high + 2;
    if let Some(table) = octet_table(encoding) {
        let out = if high * DENSE >= bytes.len() {
            decode_dense(table, bytes, capacity)
        } else {
            decode_sparse(table, bytes, capacity)
        };
        // Most encodings (windows-1252 among them) map every octet.
        if table.unmapped != 0 && bytes.iter().any(|&b| table.is_unmapped(b)) {
            push_once(defects, Defect::MalformedCharsetData);
        }
        return Cow::Owned(out);
    }
    // Not reached for the encodings encoding_rs has today (each has a
    // table); kept for one it may add.
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(capacity);
    let (mut read, mut bad) = (0, false);
    loop {
        let (result, n, replaced) = decoder.decode_to_string(&bytes[read..], &mut out, true);
        read += n;
        bad |= replaced;
        match result {
            encoding_rs::CoderResult::InputEmpty => break,
            // Not with the size above; kept correct if a table ever maps
            // past the Basic Multilingual Plane.
            encoding_rs::CoderResult::OutputFull => out.reserve(bytes.len() - read + 4),
        }
    }
    if bad {
        push_once(defects, Defect::MalformedCharsetData);
    }
    Cow::Owned(out)
}

/// Text with at least one octet in `DENSE` above 0x7F is decoded octet by
/// octet ([`decode_dense`]); sparser text a word at a time
/// ([`decode_sparse`]). Both beat encoding_rs, which leaves its ASCII fast
/// path at every non-ASCII octet and restarts it at the next ASCII one.
/// Measured on Latin-1 and windows-1251 text with 2 to 80% of the octets
/// above 0x7F, the word path is the faster below about 20% (1.5x the
/// octet path at 2%, 1.3x at 15%) and the slower above (0.8x at 30%,
/// 0.55x at 50%), where most words hold several high octets.
const DENSE: usize = 5;

/// What every octet of a single-byte encoding decodes to, read off
/// encoding_rs (see [`octet_table`]).
#[derive(Debug)]
struct OctetTable {
    /// The character of each octet (ASCII as itself, U+FFFD if unmapped).
    chars: [char; 256],
    /// The same characters in UTF-8, at most three octets (every
    /// single-byte encoding maps into the Basic Multilingual Plane), the
    /// fourth octet their length.
    utf8: [[u8; 4]; 256],
    /// Bit `octet & 0x7F` set: the octet above 0x7F is unmapped.
    unmapped: u128,
}

impl OctetTable {
    /// Whether `octet` is one the encoding leaves unmapped (malformed).
    fn is_unmapped(&self, octet: u8) -> bool {
        !octet.is_ascii() && self.unmapped & (1 << (octet & 0x7F)) != 0
    }
}

/// The single-byte encodings encoding_rs has; [`octet_table`] builds and
/// keeps a table for each (one not listed is left to encoding_rs).
const SINGLE_BYTE_ENCODINGS: [&Encoding; 29] = [
    encoding_rs::WINDOWS_1252,
    encoding_rs::ISO_8859_2,
    encoding_rs::ISO_8859_3,
    encoding_rs::ISO_8859_4,
    encoding_rs::ISO_8859_5,
    encoding_rs::ISO_8859_6,
    encoding_rs::ISO_8859_7,
    encoding_rs::ISO_8859_8,
    encoding_rs::ISO_8859_8_I,
    encoding_rs::ISO_8859_10,
    encoding_rs::ISO_8859_13,
    encoding_rs::ISO_8859_14,
    encoding_rs::ISO_8859_15,
    encoding_rs::ISO_8859_16,
    encoding_rs::IBM866,
    encoding_rs::KOI8_R,
    encoding_rs::KOI8_U,
    encoding_rs::MACINTOSH,
    encoding_rs::X_MAC_CYRILLIC,
    encoding_rs::WINDOWS_874,
    encoding_rs::WINDOWS_1250,
    encoding_rs::WINDOWS_1251,
    encoding_rs::WINDOWS_1253,
    encoding_rs::WINDOWS_1254,
    encoding_rs::WINDOWS_1255,
    encoding_rs::WINDOWS_1256,
    encoding_rs::WINDOWS_1257,
    encoding_rs::WINDOWS_1258,
    encoding_rs::X_USER_DEFINED,
];

/// The tables of [`SINGLE_BYTE_ENCODINGS`], each built on first use.
static OCTET_TABLES: [OnceLock<Option<OctetTable>>; SINGLE_BYTE_ENCODINGS.len()] =
    [const { OnceLock::new() }; SINGLE_BYTE_ENCODINGS.len()];

/// The octet table of a single-byte `encoding`: `None` for one not listed
/// in [`SINGLE_BYTE_ENCODINGS`] or whose octets do not each decode alone
/// to one character.
fn octet_table(encoding: &'static Encoding) -> Option<&'static OctetTable> {
    let slot = SINGLE_BYTE_ENCODINGS.iter().position(|&e| e == encoding)?;
    OCTET_TABLES[slot]
        .get_or_init(|| build_octet_table(encoding))
        .as_ref()
}

/// Reads an [`OctetTable`] off encoding_rs, each octet decoded alone (a
/// single-byte decoder keeps no state between octets), so that the table
/// gives exactly encoding_rs's output. All 256 octets are decoded in one
/// call when that reports nothing malformed; otherwise one at a time, to
/// tell which are unmapped.
fn build_octet_table(encoding: &'static Encoding) -> Option<OctetTable> {
    let mut table = OctetTable {
        chars: [char::REPLACEMENT_CHARACTER; 256],
        utf8: [[0; 4]; 256],
        unmapped: 0,
    };
    let all: [u8; 256] = std::array::from_fn(|i| i as u8);
    let (text, bad) = encoding.decode_without_bom_handling(&all);
    if !bad && text.chars().count() == all.len() {
        for (entry, c) in table.chars.iter_mut().zip(text.chars()) {
            *entry = c;
        }
        return with_utf8(table);
    }
    for (octet, entry) in all.into_iter().zip(table.chars.iter_mut()) {
        let input = [octet];
        let (text, bad) = encoding.decode_without_bom_handling(&input);
        let mut chars = text.chars();
        let (Some(c), None) = (chars.next(), chars.next()) else {
            return None;
        };
        if bad {
            if octet.is_ascii() || c != char::REPLACEMENT_CHARACTER {
                return None;
            }
            table.unmapped |= 1 << (octet & 0x7F);
        }
        *entry = c;
    }
    with_utf8(table)
}

/// Fills in [`OctetTable::utf8`] from its characters; `None` if one
/// takes four octets.
fn with_utf8(mut table: OctetTable) -> Option<OctetTable> {
    for (entry, c) in table.utf8.iter_mut().zip(table.chars) {
        let len = c.encode_utf8(&mut entry[..]).len();
        entry[3] = u8::try_from(len).ok().filter(|&n| n < 4)?;
    }
    Some(table)
}

/// Octets of input per stack buffer in [`decode_dense`] and
/// [`decode_sparse`]: their UTF-8 takes at most three times as many.
const CHUNK: usize = 512;

/// The high bit of each octet of a word: a word of ASCII has none set.
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// [`decode_single_byte`] through an [`OctetTable`], into an output of
/// `capacity` (enough: no octet becomes more than three UTF-8 octets).
/// Each octet's UTF-8 is stored whole (four octets, the next overwriting
/// what is past the character) into a buffer on the stack, which is then
/// checked as UTF-8 in one vectorised pass (the safe way from octets to
/// `str`) and appended: a push per character, which encodes and checks
/// room each time, costs several times more.
fn decode_dense(table: &OctetTable, bytes: &[u8], capacity: usize) -> String {
    let mut out = String::with_capacity(capacity);
    let mut buf = [0u8; 3 * CHUNK + 4];
    for chunk in bytes.chunks(CHUNK) {
        let mut len = 0;
        put_octets(table, chunk, &mut buf, &mut len);
        append_chunk(table, chunk, buf.get(..len), &mut out);
    }
    out
}

/// [`decode_dense`] for text with few octets above 0x7F (Latin-1 prose):
/// a block of 32 octets that is all ASCII (one OR over it, which
/// vectorises) is copied whole; in other blocks each 8-octet word is
/// copied whole up to its next high octet, found from the word's high
/// bits, whose table entry follows. A word is written past what it
/// keeps, the next write overwriting the excess, so the buffer has eight
/// octets of slack. The buffer is checked and appended as in
/// [`decode_dense`].
fn decode_sparse(table: &OctetTable, bytes: &[u8], capacity: usize) -> String {
    const BLOCK: usize = 32;
    let mut out = String::with_capacity(capacity);
    let mut buf = [0u8; 3 * CHUNK + 8];
    for chunk in bytes.chunks(CHUNK) {
        let mut len = 0;
        let (blocks, tail) = chunk.as_chunks::<BLOCK>();
        for block in blocks {
            if block.iter().fold(0, |acc, &b| acc | b).is_ascii() {
                if let Some(slot) = buf.get_mut(len..len + BLOCK) {
                    slot.copy_from_slice(block);
                }
                len += BLOCK;
                continue;
            }
            for word in block.as_chunks::<8>().0 {
                put_word(table, word, &mut buf, &mut len);
            }
        }
        put_octets(table, tail, &mut buf, &mut len);
        append_chunk(table, chunk, buf.get(..len), &mut out);
    }
    out
}

/// Writes the UTF-8 of `octets` at `buf[*len..]` through the table, one
/// entry (four octets, the fourth overwritten next) per octet.
fn put_octets(table: &OctetTable, octets: &[u8], buf: &mut [u8], len: &mut usize) {
    for &b in octets {
        let entry = table.utf8[usize::from(b)];
        if let Some(slot) = buf.get_mut(*len..*len + 4) {
            slot.copy_from_slice(&entry);
        }
        *len += usize::from(entry[3]);
    }
}

/// Writes the UTF-8 of an 8-octet `word` at `buf[*len..]`: the ASCII run
/// before each high octet as the word shifted down to the run's start
/// (eight octets written, the run's length kept), then the high octet's
/// table entry; then the rest of the word the same way.
fn put_word(table: &OctetTable, word: &[u8; 8], buf: &mut [u8], len: &mut usize) {
    let value = u64::from_le_bytes(*word);
    let mut high = value & HIGH_BITS;
    let mut start = 0;
    while high != 0 {
        let at = (high.trailing_zeros() / 8) as usize;
        if let Some(slot) = buf.get_mut(*len..*len + 8) {
            slot.copy_from_slice(&(value >> (8 * start)).to_le_bytes());
        }
        *len += at - start;
        let entry = table.utf8[usize::from(word[at])];
        if let Some(slot) = buf.get_mut(*len..*len + 4) {
            slot.copy_from_slice(&entry);
        }
        *len += usize::from(entry[3]);
        start = at + 1;
        high &= high - 1;
    }
    if start < 8
        && let Some(slot) = buf.get_mut(*len..*len + 8)
    {
        slot.copy_from_slice(&(value >> (8 * start)).to_le_bytes());
    }
    *len += 8 - start;
}

/// Appends the UTF-8 written for `chunk` (checked: the safe way from
/// octets to `str`).
fn append_chunk(table: &OctetTable, chunk: &[u8], written: Option<&[u8]>, out: &mut String) {
    let text = written.and_then(utf8);
    debug_assert!(text.is_some(), "octet table entries are UTF-8");
    match text {
        Some(text) => out.push_str(text),
        // Not reached: the entries are UTF-8 by construction.
        None => out.extend(chunk.iter().map(|&b| table.chars[usize::from(b)])),
    }
}

/// How many octets of `bytes` are above 0x7F. Counted per block in an
/// octet-wide sum, which compiles to vector adds (a `usize` count per
/// octet does not vectorise as well); the blocks are of a fixed length, a
/// multiple of the vector width under 256 (no overflow), so that each is
/// summed by the vector loop alone, without a scalar tail.
fn count_non_ascii(bytes: &[u8]) -> usize {
    const BLOCK: usize = 192;
    let sum = |block: &[u8]| usize::from(block.iter().map(|&b| b >> 7).sum::<u8>());
    let blocks = bytes.chunks_exact(BLOCK);
    let tail = sum(blocks.remainder());
    blocks.map(sum).sum::<usize>() + tail
}

/// UTF-8 with errors, each maximal ill-formed subpart replaced with one
/// U+FFFD (Unicode §3.9 "U+FFFD Substitution of Maximal Subparts", as the
/// WHATWG UTF-8 decoder and `String::from_utf8_lossy` do; tests compare
/// them).
///
/// Runs of valid text are found by the vectorised check that stops at the
/// first error; from an error on, [`utf8_lossy_run`] reads octet by octet
/// until [`QUIET`] octets pass without one, then the vector check takes
/// over again. So text with a stray error costs about a vector pass, and
/// garbage (a body whose transfer decoding failed) the scalar reading
/// alone, without the per-error restart and appends of
/// `String::from_utf8_lossy` (1.3x to 3x faster measured on both kinds).
fn utf8_lossy(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 8);
    let mut rest = bytes;
    let mut valid_up_to = match simdutf8::compat::from_utf8(bytes) {
        Ok(text) => return text.to_owned(),
        Err(error) => error.valid_up_to(),
    };
    loop {
        let (valid, after) = rest.split_at_checked(valid_up_to).unwrap_or((rest, &[]));
        // Checked again: the safe way from octets to `str`.
        match utf8(valid) {
            Some(text) => out.push_str(text),
            None => out.push_str(&String::from_utf8_lossy(valid)),
        }
        let read = utf8_lossy_run(after, &mut out);
        rest = after.get(read..).unwrap_or_default();
        if rest.is_empty() {
            return out;
        }
        match simdutf8::compat::from_utf8(rest) {
            Ok(text) => {
                out.push_str(text);
                return out;
            }
            Err(error) => valid_up_to = error.valid_up_to(),
        }
    }
}

/// Octets without an error after which [`utf8_lossy_run`] hands back to
/// the vector check: long enough that errors a few dozen octets apart
/// (Latin-1 read as UTF-8) stay in the scalar reading, whose restart costs
/// nothing, short enough that valid text after the last error is soon
/// read at vector speed (measured: 64 to 128 are best).
const QUIET: usize = 128;

/// Reads `bytes` (starting at a character boundary) as UTF-8 with errors
/// replaced, appending to `out`, until [`QUIET`] octets pass without an
/// error or the input ends; returns the octets read, always at a boundary.
/// The characters are written into a stack buffer (valid sequences and
/// U+FFFD only), checked and appended per buffer, as in [`decode_dense`].
/// Each step is that of `core::str::Utf8Chunks`: a lead octet, then each
/// continuation octet in its allowed range (Unicode Table 3-7); the first
/// octet out of range (or the end) ends the subpart before it.
fn utf8_lossy_run(bytes: &[u8], out: &mut String) -> usize {
    const BUF: usize = 1024;
    const REPLACEMENT: [u8; 3] = [0xEF, 0xBF, 0xBD];
    let mut buf = [0u8; BUF + 8];
    let mut len = 0;
    let mut i = 0;
    let mut last_error = 0;
    let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
    let continuation = |b: u8| (0x80..=0xBF).contains(&b);
    while let Some(&b) = bytes.get(i)
        && i - last_error < QUIET
    {
        if len >= BUF {
            append_utf8(buf.get(..len).unwrap_or_default(), out);
            len = 0;
        }
        if b.is_ascii() {
            if let Some(word) = bytes.get(i..).and_then(<[u8]>::first_chunk::<8>)
                && u64::from_le_bytes(*word) & HIGH_BITS == 0
                && let Some(slot) = buf.get_mut(len..len + 8)
            {
                slot.copy_from_slice(word);
                len += 8;
                i += 8;
            } else {
                if let Some(slot) = buf.get_mut(len) {
                    *slot = b;
                }
                len += 1;
                i += 1;
            }
            continue;
        }
        let second = at(i + 1);
        // Ok(n): a valid sequence of n octets; Err(n): a maximal
        // ill-formed subpart of n octets.
        let step = match b {
            0xC2..=0xDF if continuation(second) => Ok(2),
            0xE0..=0xF4 => {
                let second_ok = match b {
                    0xE0 => (0xA0..=0xBF).contains(&second),
                    0xED => (0x80..=0x9F).contains(&second),
                    0xF0 => (0x90..=0xBF).contains(&second),
                    0xF4 => (0x80..=0x8F).contains(&second),
                    _ => continuation(second),
                };
                if !second_ok {
                    Err(1)
                } else if !continuation(at(i + 2)) {
                    Err(2)
                } else if b < 0xF0 {
                    Ok(3)
                } else if !continuation(at(i + 3)) {
                    Err(3)
                } else {
                    Ok(4)
                }
            }
            _ => Err(1),
        };
        match step {
            Ok(n) => {
                // Four octets copied whatever `n` (a fixed-size copy, not a
                // call), the excess overwritten next; fewer at the end.
                if let (Some(slot), Some(quad)) = (
                    buf.get_mut(len..len + 4),
                    bytes.get(i..).and_then(<[u8]>::first_chunk::<4>),
                ) {
                    slot.copy_from_slice(quad);
                } else if let (Some(slot), Some(sequence)) =
                    (buf.get_mut(len..len + n), bytes.get(i..i + n))
                {
                    slot.copy_from_slice(sequence);
                }
                len += n;
                i += n;
            }
            Err(n) => {
                if let Some(slot) = buf.get_mut(len..len + 3) {
                    slot.copy_from_slice(&REPLACEMENT);
                }
                len += 3;
                i += n;
                last_error = i;
            }
        }
    }
    append_utf8(buf.get(..len).unwrap_or_default(), out);
    i.min(bytes.len())
}

/// Appends `written` (valid UTF-8 by construction) to `out`.
fn append_utf8(written: &[u8], out: &mut String) {
    let text = utf8(written);
    debug_assert!(text.is_some(), "the lossy reading writes UTF-8");
    match text {
        Some(text) => out.push_str(text),
        // Not reached: only valid sequences and U+FFFD are written.
        None => out.push_str(&String::from_utf8_lossy(written)),
    }
}

/// Bytes that may follow `+` in UTF-7's modified base64 (RFC 2152).
fn utf7_base64(b: u8) -> Option<u16> {
    match b {
        b'A'..=b'Z' => Some(u16::from(b - b'A')),
        b'a'..=b'z' => Some(u16::from(b - b'a' + 26)),
        b'0'..=b'9' => Some(u16::from(b - b'0' + 52)),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Decodes UTF-7 (RFC 2152): direct characters pass through; `+` starts
/// modified base64 of UTF-16 code units, ended by `-` (absorbed) or any
/// other non-base64 byte; `+-` is a literal `+`. Returns the text and
/// whether anything was malformed (unpaired surrogates, non-ASCII bytes,
/// leftover bits), which became U+FFFD.
pub fn decode_utf7(bytes: &[u8]) -> (Cow<'_, str>, bool) {
    if !bytes.contains(&b'+')
        && bytes.is_ascii()
        && let Ok(s) = std::str::from_utf8(bytes)
    {
        return (Cow::Borrowed(s), false);
    }
    let mut out = String::with_capacity(bytes.len());
    let mut bad = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b != b'+' {
            if b.is_ascii() {
                out.push(char::from(b));
            } else {
                out.push(char::REPLACEMENT_CHARACTER);
                bad = true;
            }
            i += 1;
            continue;
        }
        i += 1;
        if bytes.get(i) == Some(&b'-') {
            out.push('+');
            i += 1;
            continue;
        }
        let mut units: Vec<u16> = Vec::new();
        let mut acc: u32 = 0;
        let mut nbits = 0u32;
        while let Some(v) = bytes.get(i).and_then(|&c| utf7_base64(c)) {
            acc = (acc << 6) | u32::from(v);
            nbits += 6;
            if nbits >= 16 {
                nbits -= 16;
                units.push((acc >> nbits) as u16);
                acc &= (1 << nbits) - 1;
            }
            i += 1;
        }
        if nbits >= 6 || acc != 0 {
            bad = true;
        }
        for c in char::decode_utf16(units.iter().copied()) {
            out.push(c.unwrap_or_else(|_| {
                bad = true;
                char::REPLACEMENT_CHARACTER
            }));
        }
        if bytes.get(i) == Some(&b'-') {
            i += 1;
        }
    }
    (Cow::Owned(out), bad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy;

    /// `bytes` read in a single-byte `encoding` as encoding_rs reads them,
    /// with the same defect, into an output sized once (see
    /// [`decode_single_byte`]), its octets above 0x7F counted right.
    fn check_single_byte(
        encoding: &'static Encoding,
        bytes: &[u8],
    ) -> Result<(), proptest::test_runner::TestCaseError> {
        let mut d = Vec::new();
        let ours = decode_with(Charset::Encoding(encoding), bytes, &mut d);
        let (theirs, bad) = encoding.decode_without_bom_handling(bytes);
        proptest::prop_assert_eq!(&ours, &theirs);
        proptest::prop_assert_eq!(d.contains(&Defect::MalformedCharsetData), bad);
        if let Cow::Owned(text) = &ours {
            let high = bytes.iter().filter(|b| !b.is_ascii()).count();
            proptest::prop_assert_eq!(count_non_ascii(bytes), high);
            proptest::prop_assert_eq!(text.capacity(), bytes.len() + 2 * high + 2);
        }
        Ok(())
    }

    proptest::proptest! {
        /// UTF-8 with errors reads as the WHATWG decoder (encoding_rs)
        /// reads it: one U+FFFD per maximal ill-formed subpart.
        #[test]
        fn utf8_lossy_reading_matches_encoding_rs(
            bytes in proptest::collection::vec(
                proptest::sample::select(vec![
                    b'a', 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF,
                    0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF,
                ]),
                0..24,
            ),
        ) {
            let mut d = Vec::new();
            let ours = decode_with(Charset::Encoding(encoding_rs::UTF_8), &bytes, &mut d);
            let (theirs, bad) = encoding_rs::UTF_8.decode_without_bom_handling(&bytes);
            proptest::prop_assert_eq!(&ours, &theirs);
            proptest::prop_assert_eq!(d.contains(&Defect::MalformedCharsetData), bad);
        }
    }

    proptest::proptest! {
        /// Single-byte charsets read as encoding_rs reads them, the
        /// malformed-data defect included (windows-874 and ISO-8859-8 leave
        /// octets unmapped), into an output sized once: exactly, with no
        /// growth on the way. Every single-byte encoding, through the
        /// octet table (dense non-ASCII) and through encoding_rs (sparse).
        #[test]
        fn single_byte_reading_matches_encoding_rs_sized_once(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![3 => 0x20u8..0x7F, 1 => 0x80u8..=0xFF, 1 => proptest::prelude::any::<u8>()],
                0..300,
            ),
            which in 0usize..SINGLE_BYTE_ENCODINGS.len(),
        ) {
            check_single_byte(SINGLE_BYTE_ENCODINGS[which], &bytes)?;
        }
    }

    proptest::proptest! {
        /// Sparse non-ASCII text (the word-at-a-time path): ASCII with a
        /// few high octets at arbitrary positions, so that they fall at
        /// every place in a word, a 32-octet block and a 512-octet buffer,
        /// reads as encoding_rs reads it in every single-byte encoding,
        /// defects and the output's size included.
        #[test]
        fn sparse_single_byte_reading_matches_encoding_rs(
            len in 0usize..1200,
            highs in proptest::collection::vec((proptest::prelude::any::<proptest::sample::Index>(), 0x80u8..=0xFF), 0..40),
            which in 0usize..SINGLE_BYTE_ENCODINGS.len(),
            seed in proptest::prelude::any::<u64>(),
        ) {
            let mut bytes: Vec<u8> = (0..len as u64)
                .map(|i| 0x20 + ((seed.rotate_left((i % 64) as u32) ^ i) % 0x5F) as u8)
                .collect();
            if !bytes.is_empty() {
                for (at, b) in &highs {
                    let i = at.index(bytes.len());
                    bytes[i] = *b;
                }
            }
            check_single_byte(SINGLE_BYTE_ENCODINGS[which], &bytes)?;
        }

        /// The two table paths agree on any input, whichever density
        /// would pick one (so moving `DENSE` cannot change output).
        #[test]
        fn sparse_and_dense_table_paths_agree(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![8 => 0x20u8..0x7F, 1 => 0x80u8..=0xFF],
                0..1100,
            ),
            which in 0usize..SINGLE_BYTE_ENCODINGS.len(),
        ) {
            let table = octet_table(SINGLE_BYTE_ENCODINGS[which]).expect("table");
            let capacity = 3 * bytes.len();
            proptest::prop_assert_eq!(
                decode_sparse(table, &bytes, capacity),
                decode_dense(table, &bytes, capacity)
            );
        }

        /// The lossy UTF-8 reading gives exactly what the standard
        /// library's gives (one U+FFFD per maximal ill-formed subpart), on
        /// text made of ASCII runs (long enough to hand back to the vector
        /// check), valid characters of every length, and the edge cases:
        /// truncated sequences, overlongs, surrogates, octets past
        /// U+10FFFF, lone continuation octets, and C0, C1, F5..FF.
        #[test]
        fn utf8_lossy_reading_matches_std(
            pieces in proptest::collection::vec(
                proptest::prop_oneof![
                    2 => (0usize..200).prop_map(|n| vec![b'a'; n]),
                    3 => proptest::prelude::any::<char>().prop_map(|c| c.to_string().into_bytes()),
                    2 => (proptest::prelude::any::<char>(), 1usize..4).prop_map(|(c, cut)| {
                        let mut v = c.to_string().into_bytes();
                        v.truncate(cut.min(v.len().saturating_sub(1)).max(1));
                        v
                    }),
                    3 => proptest::sample::select(vec![
                        &[0x80u8][..], &[0xBF], &[0xC0, 0x80], &[0xC1, 0xBF], &[0xE0, 0x80, 0x80],
                        &[0xE0, 0x9F, 0xBF], &[0xED, 0xA0, 0x80], &[0xED, 0xBF, 0xBF],
                        &[0xF0, 0x80, 0x80, 0x80], &[0xF0, 0x8F, 0xBF, 0xBF],
                        &[0xF4, 0x90, 0x80, 0x80], &[0xF5, 0x80, 0x80, 0x80], &[0xFF], &[0xFE],
                        &[0xC2], &[0xE2, 0x82], &[0xF0, 0x9F, 0x98], &[0xEF, 0xBB, 0xBF],
                    ]).prop_map(<[u8]>::to_vec),
                    1 => proptest::collection::vec(proptest::prelude::any::<u8>(), 0..16),
                ],
                0..120,
            ),
        ) {
            let bytes = pieces.concat();
            let mut d = Vec::new();
            let ours = decode_with(Charset::Encoding(encoding_rs::UTF_8), &bytes, &mut d);
            let theirs = String::from_utf8_lossy(&bytes);
            proptest::prop_assert_eq!(&ours, &theirs);
            proptest::prop_assert_eq!(
                d.contains(&Defect::MalformedCharsetData),
                std::str::from_utf8(&bytes).is_err()
            );
            proptest::prop_assert_eq!(matches!(ours, Cow::Borrowed(_)), d.is_empty());
        }
    }

    /// One high octet at each position of the first 70 and around the
    /// 512-octet buffer boundary, then two adjacent ones, in otherwise
    /// ASCII text: the word path's shifts and slack at every offset.
    #[test]
    fn sparse_high_octet_at_every_offset_matches_encoding_rs() {
        let base: Vec<u8> = (0..1100u32).map(|i| b'a' + (i % 26) as u8).collect();
        let positions = (0..70).chain(440..600).chain(1020..1100);
        for at in positions {
            for (width, encoding) in [
                (1, encoding_rs::WINDOWS_1252),
                (2, encoding_rs::WINDOWS_1251),
                (2, encoding_rs::WINDOWS_874),
            ] {
                let mut bytes = base.clone();
                for k in 0..width {
                    if let Some(b) = bytes.get_mut(at + k) {
                        *b = 0xDB - k as u8;
                    }
                }
                let mut d = Vec::new();
                let ours = decode_with(Charset::Encoding(encoding), &bytes, &mut d);
                let (theirs, bad) = encoding.decode_without_bom_handling(&bytes);
                assert_eq!(ours, theirs, "{} at {at}", encoding.name());
                assert_eq!(!d.is_empty(), bad, "{} at {at}", encoding.name());
            }
        }
    }

    /// A body whose transfer decoding failed (an error every few octets)
    /// and Latin-1 text read as UTF-8 (an error every few dozen) read as
    /// the standard library reads them, across buffer and hand-back
    /// boundaries.
    #[test]
    fn utf8_lossy_reading_matches_std_on_dense_and_sparse_errors() {
        let garbage: Vec<u8> = (0..5000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let latin1: Vec<u8> = (0..5000u32)
            .map(|i| {
                if i % 37 == 5 {
                    0xE9
                } else {
                    b'a' + (i % 26) as u8
                }
            })
            .collect();
        let mut mostly_valid = "Привет, мир! ".repeat(300).into_bytes();
        mostly_valid[1000] = 0xFF;
        mostly_valid.push(0xD0);
        for bytes in [&garbage, &latin1, &mostly_valid] {
            let mut d = Vec::new();
            let ours = decode_with(Charset::Encoding(encoding_rs::UTF_8), bytes, &mut d);
            assert_eq!(ours, String::from_utf8_lossy(bytes));
            assert_eq!(d, vec![Defect::MalformedCharsetData]);
        }
    }

    /// Every listed single-byte encoding gets a table (else dense text
    /// would quietly take the slower path), and the list holds only
    /// single-byte encodings.
    #[test]
    fn every_listed_single_byte_encoding_has_an_octet_table() {
        for encoding in SINGLE_BYTE_ENCODINGS {
            assert!(encoding.is_single_byte(), "{}", encoding.name());
            assert!(octet_table(encoding).is_some(), "{}", encoding.name());
        }
        assert!(octet_table(encoding_rs::UTF_8).is_none());
        let w1252 = octet_table(encoding_rs::WINDOWS_1252).expect("table");
        assert_eq!(w1252.chars[usize::from(b'a')], 'a');
        assert_eq!(w1252.chars[0x80], '\u{20AC}');
        assert_eq!(w1252.chars[0xE9], 'é');
        assert_eq!(w1252.unmapped, 0);
        let w874 = octet_table(encoding_rs::WINDOWS_874).expect("table");
        assert!(w874.is_unmapped(0xDB), "0xDB is unmapped in windows-874");
        assert!(!w874.is_unmapped(0x5B), "ASCII is never unmapped");
        assert_eq!(w874.chars[0xDB], '\u{FFFD}');
    }

    /// Big5 text labelled US-ASCII is read as windows-1252 (the WHATWG
    /// reading of the label, RFC 2046 §4.1.2) octet by octet through the
    /// table, as encoding_rs reads it; and unmapped octets in dense text
    /// are replaced and reported.
    #[test]
    fn dense_non_ascii_text_matches_encoding_rs_rfc2046_4_1_2() {
        let big5 = b"\xa7\x41\xa6\x6e, \xa4\xa4\xa4\xe5 \x81\x8d\x90\x9d\x80\x9f";
        let mut d = Vec::new();
        let ours = decode_charset(b"us-ascii", big5, &mut d);
        let (theirs, bad) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(big5);
        assert_eq!(ours, theirs);
        assert!(!bad && d.is_empty());
        let thai = b"\xa1\xa2\xdb\xdc\xfc\xfd";
        let ours = decode_charset(b"windows-874", thai, &mut d);
        let (theirs, bad) = encoding_rs::WINDOWS_874.decode_without_bom_handling(thai);
        assert_eq!(ours, theirs);
        assert!(bad);
        assert_eq!(d, vec![Defect::MalformedCharsetData]);
    }

    #[test]
    fn utf8_lossy_reading_matches_encoding_rs_on_known_cases() {
        for bytes in [
            &b"caf\xc3\xa9"[..],
            b"\xef\xbb\xbfbom",
            b"\xc3",
            b"\xe2\x82",
            b"\xf0\x9f\x98",
            b"\xed\xa0\x80",
            b"\xf4\x90\x80\x80",
            b"\xc0\xaf",
            b"a\xffb\xfe",
        ] {
            let mut d = Vec::new();
            let ours = decode_with(Charset::Encoding(encoding_rs::UTF_8), bytes, &mut d);
            let (theirs, bad) = encoding_rs::UTF_8.decode_without_bom_handling(bytes);
            assert_eq!(ours, theirs, "{bytes:?}");
            assert_eq!(!d.is_empty(), bad, "{bytes:?}");
        }
    }

    fn dec(label: &str, bytes: &[u8]) -> (String, Vec<Defect>) {
        let mut d = Vec::new();
        let s = decode_charset(label.as_bytes(), bytes, &mut d).into_owned();
        (s, d)
    }

    #[test]
    fn utf7_examples_rfc2152() {
        assert_eq!(decode_utf7(b"Hi Mom -+Jjo--!").0, "Hi Mom -\u{263A}-!");
        assert_eq!(decode_utf7(b"+ZeVnLIqe-").0, "\u{65E5}\u{672C}\u{8A9E}");
        assert_eq!(decode_utf7(b"A+ImIDkQ.").0, "A\u{2262}\u{391}.");
        assert_eq!(decode_utf7(b"1 +- 1").0, "1 + 1");
        assert!(!decode_utf7(b"+ZeVnLIqe-").1);
        assert!(
            decode_utf7(b"+2D3-").1,
            "a lone high surrogate is malformed"
        );
    }

    #[test]
    fn cjk_and_cyrillic_charsets_decode() {
        assert_eq!(
            dec("ISO-2022-JP", b"\x1b$B$3$s$K$A$O\x1b(B").0,
            "こんにちは"
        );
        assert_eq!(dec("Shift_JIS", b"\x82\xb1\x82\xf1").0, "こん");
        assert_eq!(dec("gb2312", b"\xc4\xe3\xba\xc3").0, "你好");
        assert_eq!(dec("big5", b"\xa7\x41\xa6\x6e").0, "你好");
        assert_eq!(dec("euc-kr", b"\xbe\xc8\xb3\xe7").0, "안녕");
        assert_eq!(dec("koi8-r", b"\xf0\xd2\xc9\xd7\xc5\xd4").0, "Привет");
        assert_eq!(dec("windows-1251", b"\xcf\xf0\xe8\xe2\xe5\xf2").0, "Привет");
        assert_eq!(dec("\"UTF-8\"", "ü".as_bytes()).0, "ü");
        assert_eq!(dec("cp932", b"\x82\xb1").0, "こ");
    }

    #[test]
    fn unknown_charset_falls_back_with_defect_rfc2046_4_1_2() {
        assert_eq!(
            dec("x-unknown", "ü".as_bytes()),
            ("ü".into(), vec![Defect::UnknownCharset])
        );
        assert_eq!(
            dec("x-unknown", b"\xfc"),
            ("ü".into(), vec![Defect::UnknownCharset])
        );
    }

    #[test]
    fn us_ascii_label_on_utf8_bytes_reads_utf8() {
        assert_eq!(dec("us-ascii", "é".as_bytes()), ("é".into(), vec![]));
        assert_eq!(dec("us-ascii", b"\xe9"), ("é".into(), vec![]));
    }

    #[test]
    fn common_labels_match_the_whatwg_lookup() {
        for label in [
            "utf-8",
            "UTF-8",
            "Utf-8",
            "us-ascii",
            "US-ASCII",
            "iso-8859-1",
            "ISO-8859-1",
            "windows-1252",
            "Windows-1252",
        ] {
            assert_eq!(
                Charset::for_label(label.as_bytes()),
                Encoding::for_label_no_replacement(label.as_bytes()).map(Charset::Encoding),
                "{label}"
            );
        }
    }

    /// RFC 2046 §4.1.2 names charsets by the IANA registry, whose names
    /// and aliases mail spells with `-`, `_` and case mixed: `latin-1`,
    /// `ansi-x3.4-1968` are known, not unknown-charset.
    #[test]
    fn loosely_written_labels_are_known_rfc2046_4_1_2() {
        let w1252 = Some(Charset::Encoding(encoding_rs::WINDOWS_1252));
        for label in [
            "latin-1",
            "Latin_1",
            "ansi-x3.4-1968",
            "ANSI_X3.4-1968",
            "iso_8859-1:1987",
            "ISO8859_1",
            "Windows_1252",
            "cp-1252",
        ] {
            assert_eq!(Charset::for_label(label.as_bytes()), w1252, "{label}");
        }
        assert_eq!(
            Charset::for_label(b"ISO_8859-15"),
            Some(Charset::Encoding(encoding_rs::ISO_8859_15))
        );
        assert_eq!(
            Charset::for_label(b"Shift-JIS"),
            Some(Charset::Encoding(encoding_rs::SHIFT_JIS))
        );
        assert_eq!(
            Charset::for_label(b"KOI8_R"),
            Some(Charset::Encoding(encoding_rs::KOI8_R))
        );
        assert_eq!(dec("latin-1", b"F\xfcr"), ("Für".into(), vec![]));
        for label in [
            "latin-7x",
            "iso-8859-99",
            "windows-9999",
            "x-unknown",
            "l-a-t-i-n-1-x",
        ] {
            assert_eq!(Charset::for_label(label.as_bytes()), None, "{label}");
        }
    }

    #[test]
    fn malformed_data_is_replaced_and_reported() {
        assert_eq!(
            dec("utf-8", b"a\xffb"),
            ("a\u{fffd}b".into(), vec![Defect::MalformedCharsetData])
        );
    }
}
