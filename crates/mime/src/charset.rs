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
    // check answers both.)
    let trimmed = label.trim_ascii();
    if (trimmed.eq_ignore_ascii_case(b"us-ascii") || trimmed.eq_ignore_ascii_case(b"ascii"))
        && let Some(s) = utf8(bytes)
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
            // The standard library's lossy reading replaces each maximal
            // ill-formed subpart with one U+FFFD, as encoding_rs does (the
            // WHATWG UTF-8 decoder; a test compares them), in one pass,
            // where encoding_rs restarts its decoder at every error.
            match utf8(bytes) {
                Some(s) => Cow::Borrowed(s),
                None => {
                    push_once(defects, Defect::MalformedCharsetData);
                    String::from_utf8_lossy(bytes)
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
    if high * DENSE >= bytes.len()
        && let Some(table) = octet_table(encoding)
    {
        return decode_dense(table, bytes, capacity, defects);
    }
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

/// Text with at least one octet in `DENSE` above 0x7F is decoded through
/// an [`OctetTable`]. encoding_rs leaves its ASCII fast path at every
/// non-ASCII octet and restarts it at the next ASCII one, about sixty
/// instructions for each, which a table lookup and a character push beat
/// once they are a third of the octets (double-byte text read as
/// single-byte: Big5 or GBK labelled US-ASCII); in sparser text
/// (Latin-1 prose) its vector ASCII copy wins.
const DENSE: usize = 3;

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

/// [`decode_single_byte`] through an [`OctetTable`], into an output of
/// `capacity` (enough: no octet becomes more than three UTF-8 octets).
/// Each octet's UTF-8 is stored whole (four octets, the next overwriting
/// what is past the character) into a buffer on the stack, which is then
/// checked as UTF-8 in one vectorised pass (the safe way from octets to
/// `str`) and appended: a push per character, which encodes and checks
/// room each time, costs several times more.
fn decode_dense<'a>(
    table: &OctetTable,
    bytes: &[u8],
    capacity: usize,
    defects: &mut Vec<Defect>,
) -> Cow<'a, str> {
    /// Octets per buffer: their UTF-8 takes at most three times as many.
    const CHUNK: usize = 512;
    let mut out = String::with_capacity(capacity);
    let mut buf = [0u8; 3 * CHUNK + 4];
    for chunk in bytes.chunks(CHUNK) {
        let mut len = 0;
        for &b in chunk {
            let entry = table.utf8[usize::from(b)];
            if let Some(slot) = buf.get_mut(len..len + 4) {
                slot.copy_from_slice(&entry);
            }
            len += usize::from(entry[3]);
        }
        let text = buf.get(..len).and_then(utf8);
        debug_assert!(text.is_some(), "octet table entries are UTF-8");
        match text {
            Some(text) => out.push_str(text),
            // Not reached: the entries are UTF-8 by construction.
            None => out.extend(chunk.iter().map(|&b| table.chars[usize::from(b)])),
        }
    }
    // Most encodings (windows-1252 among them) map every octet.
    if table.unmapped != 0 && bytes.iter().any(|&b| table.is_unmapped(b)) {
        push_once(defects, Defect::MalformedCharsetData);
    }
    Cow::Owned(out)
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
            let encoding = SINGLE_BYTE_ENCODINGS[which];
            let mut d = Vec::new();
            let ours = decode_with(Charset::Encoding(encoding), &bytes, &mut d);
            let (theirs, bad) = encoding.decode_without_bom_handling(&bytes);
            proptest::prop_assert_eq!(&ours, &theirs);
            proptest::prop_assert_eq!(d.contains(&Defect::MalformedCharsetData), bad);
            if let Cow::Owned(text) = &ours {
                let high = bytes.iter().filter(|b| !b.is_ascii()).count();
                proptest::prop_assert_eq!(count_non_ascii(&bytes), high);
                proptest::prop_assert_eq!(text.capacity(), bytes.len() + 2 * high + 2);
            }
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
