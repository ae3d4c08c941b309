//! Charsets to UTF-8 (RFC 2046 §4.1.2): every label encoding_rs knows (the
//! WHATWG Encoding Standard: ISO-2022-JP, Shift_JIS, EUC-JP, GBK/GB18030,
//! Big5, EUC-KR, KOI8-R, the windows-125x and ISO-8859 families, ...),
//! a few mail-only aliases, and UTF-7 (RFC 2152), which the WHATWG set
//! leaves out and old mail still uses.

use std::borrow::Cow;

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
        let encoding = Encoding::for_label_no_replacement(alias.unwrap_or(label))?;
        Some(Charset::Encoding(encoding))
    }
}

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
    if trimmed.eq_ignore_ascii_case(b"us-ascii") || trimmed.eq_ignore_ascii_case(b"ascii") {
        if let Ok(s) = std::str::from_utf8(bytes) {
            return Cow::Borrowed(s);
        }
    }
    match Charset::for_label(label) {
        Some(charset) => decode_with(charset, bytes, defects),
        None => {
            push_once(defects, Defect::UnknownCharset);
            match std::str::from_utf8(bytes) {
                Ok(s) => Cow::Borrowed(s),
                Err(_) => {
                    encoding_rs::WINDOWS_1252
                        .decode_without_bom_handling(bytes)
                        .0
                }
            }
        }
    }
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
        Charset::Encoding(encoding) => {
            // US-ASCII is windows-1252 in encoding_rs; ASCII text in any
            // ASCII-compatible encoding comes back borrowed, in one pass.
            let (text, bad) = encoding.decode_without_bom_handling(bytes);
            if bad {
                push_once(defects, Defect::MalformedCharsetData);
            }
            text
        }
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
    if !bytes.contains(&b'+') && bytes.is_ascii() {
        if let Ok(s) = std::str::from_utf8(bytes) {
            return (Cow::Borrowed(s), false);
        }
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

    #[test]
    fn malformed_data_is_replaced_and_reported() {
        assert_eq!(
            dec("utf-8", b"a\xffb"),
            ("a\u{fffd}b".into(), vec![Defect::MalformedCharsetData])
        );
    }
}
