//! xtext (RFC 3461 §4): the encoding of ENVID, ORCPT and AUTH= values.

use bytes::BytesMut;

use crate::{ParseError, ParseErrorKind};

/// `xtext = *( xchar / hexchar )`,
/// `xchar = any ASCII CHAR between "!" (33) and "~" (126) inclusive, except
/// for "+" and "="`, `hexchar = ASCII "+" immediately followed by two upper
/// case hexadecimal digits` (RFC 3461 §4).
///
/// Decodes to UTF-8 text. Two leniencies, both harmless: lowercase hex
/// digits are accepted, and raw `UTF8-non-ascii` passes through as RFC 6533
/// §3 allows in `utf-8-addr-unitext`. The caller has checked the input's
/// character class (an `esmtp-value` never holds `=` or controls).
pub(crate) fn xtext(input: &[u8]) -> Result<String, ParseError> {
    let err = || ParseError::new(ParseErrorKind::Xtext);
    if !input.contains(&b'+') {
        if input
            .iter()
            .any(|&b| b == b'=' || (b < 0x80 && !(33..=126).contains(&b)))
        {
            return Err(err());
        }
        return std::str::from_utf8(input)
            .map(str::to_owned)
            .map_err(|_| err());
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        match b {
            b'+' => {
                let hi = input
                    .get(i + 1)
                    .and_then(|&h| hex_digit(h))
                    .ok_or_else(err)?;
                let lo = input
                    .get(i + 2)
                    .and_then(|&h| hex_digit(h))
                    .ok_or_else(err)?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'=' => return Err(err()),
            33..=126 | 0x80.. => {
                out.push(b);
                i += 1;
            }
            _ => return Err(err()),
        }
    }
    String::from_utf8(out).map_err(|_| err())
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

/// Appends `value` as xtext: bytes outside `!`..`~`, and `+` and `=`, become
/// `+XX` with uppercase hex (RFC 3461 §4).
pub(crate) fn encode(value: &[u8], out: &mut BytesMut) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in value {
        if (33..=126).contains(&b) && b != b'+' && b != b'=' {
            out.extend_from_slice(&[b]);
        } else {
            out.extend_from_slice(&[b'+', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_hexchars_rfc3461_4() {
        assert_eq!(xtext(b"a+2Bb+3Dc").unwrap(), "a+b=c");
        assert_eq!(xtext(b"plain").unwrap(), "plain");
        assert_eq!(xtext(b"").unwrap(), "");
        assert_eq!(xtext(b"+c3+A9").unwrap(), "\u{e9}");
    }

    #[test]
    fn rejects_malformed_xtext_rfc3461_4() {
        for bad in [&b"+"[..], b"+2", b"+2G", b"a=b", b"a b", b"+FF", b"\x01"] {
            assert_eq!(
                xtext(bad).unwrap_err().kind,
                ParseErrorKind::Xtext,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn encodes_plus_equals_space_and_utf8_rfc3461_4() {
        let mut out = BytesMut::new();
        encode("a+b=c d\u{e9}".as_bytes(), &mut out);
        assert_eq!(&out[..], b"a+2Bb+3Dc+20d+C3+A9");
    }
}
