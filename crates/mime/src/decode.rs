//! Content-Transfer-Encoding decoding (RFC 2045 §6): base64 and
//! quoted-printable that tolerate what real mail does to them, plus
//! uuencode. Damage is repaired and reported as a [`Defect`], never an error.

use std::borrow::Cow;

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
            TransferEncoding::QuotedPrintable => Cow::Owned(decode_quoted_printable(body, defects)),
            TransferEncoding::Base64 => Cow::Owned(decode_base64(body, defects)),
            TransferEncoding::Uuencode => Cow::Owned(decode_uuencode(body, defects)),
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

/// Decodes base64 (RFC 2045 §6.8) the way mail readers must: characters
/// outside the alphabet are skipped ([`Defect::InvalidBase64Character`]),
/// missing or early padding is accepted ([`Defect::InvalidBase64Padding`]),
/// and data after a padded quantum (concatenated encodings) goes on being
/// decoded. Runs in one pass, linear in the input.
pub fn decode_base64(input: &[u8], defects: &mut Vec<Defect>) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 3);
    let mut acc: u32 = 0;
    let mut n = 0u8;
    let mut pad = 0u8;
    for &b in input {
        let v = BASE64_TABLE[b as usize];
        if v < 64 {
            if pad > 0 {
                // Data after padding: a second encoding glued on.
                pad = 0;
            }
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
    match n {
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
    out
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

/// Decodes quoted-printable (RFC 2045 §6.7): `=XX` escapes (lower-case hex
/// accepted), soft line breaks `=` CRLF (also bare LF, and with transport
/// whitespace between), trailing whitespace on a line removed (rule 3), and
/// an `=` that starts no valid escape kept literally with
/// [`Defect::InvalidQuotedPrintable`]. Hard line breaks keep their form.
pub fn decode_quoted_printable(input: &[u8], defects: &mut Vec<Defect>) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut rest = input;
    while !rest.is_empty() {
        let (line, eol, next) = match memchr::memchr(b'\n', rest) {
            Some(i) => {
                let crlf = i > 0 && rest[i - 1] == b'\r';
                let end = if crlf { i - 1 } else { i };
                let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
                (&rest[..end], eol, &rest[i + 1..])
            }
            None => (rest, &b""[..], &b""[..]),
        };
        rest = next;
        let line = trim_end_ws(line);
        let mut soft = false;
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
                        soft = true;
                        i = line.len();
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
        if !soft {
            out.extend_from_slice(eol);
        }
    }
    out
}

fn trim_end_ws(mut line: &[u8]) -> &[u8] {
    while let [head @ .., b' ' | b'\t'] = line {
        line = head;
    }
    line
}

/// Decodes uuencoded data: the lines between `begin <mode> <name>` and
/// `end` (or every line when there is no `begin`). Each line starts with a
/// length character; malformed lines are skipped with
/// [`Defect::InvalidUuencode`].
pub fn decode_uuencode(input: &[u8], defects: &mut Vec<Defect>) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() / 4 * 3);
    let mut lines = input
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let has_begin = memchr::memmem::find(input, b"begin ").is_some();
    if has_begin {
        for line in lines.by_ref() {
            if line.starts_with(b"begin ") {
                break;
            }
        }
    }
    let mut ended = false;
    for line in lines {
        if line.trim_ascii_end() == b"end" {
            ended = true;
            break;
        }
        if line.is_empty() {
            continue;
        }
        let len = usize::from((line[0].wrapping_sub(b' ')) & 0x3F);
        if len == 0 {
            continue;
        }
        let data = &line[1..];
        let mut produced = 0;
        for chunk in data.chunks(4) {
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
            out.extend_from_slice(&bytes[..take]);
            produced += take;
        }
        if produced < len {
            push_once(defects, Defect::InvalidUuencode);
        }
    }
    if has_begin && !ended {
        push_once(defects, Defect::InvalidUuencode);
    }
    out
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
    }
}
