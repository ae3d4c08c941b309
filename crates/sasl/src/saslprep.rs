//! SASLprep (RFC 4013), for SCRAM passwords (RFC 5802 §2.2 `Normalize`).
//!
//! Full SASLprep needs the Unicode NFKC tables (RFC 3454 §4 and Unicode
//! 3.2), which this crate does not carry. What it implements exactly is:
//!
//! - RFC 4013 §2.1 mapping, complete: the non-ASCII space characters of
//!   RFC 3454 C.1.2 become U+0020, the "commonly mapped to nothing"
//!   characters of B.1 are removed;
//! - RFC 4013 §2.2 NFKC, for every character up to U+00FF (ASCII and
//!   Latin-1, which covers most Western European passwords): all of them
//!   are NFKC-stable except the thirteen compatibility characters
//!   (`ª º ¹ ² ³ ¼ ½ ¾ µ ¨ ¯ ´ ¸`), which are mapped here to their NFKC
//!   form by a table;
//! - RFC 4013 §2.3 prohibition of ASCII and C1 control characters.
//!
//! Any other character (above U+00FF after mapping) is refused with
//! [`SaslError::UnsupportedCharacter`] instead of being passed through
//! un-normalized, which could make the client and the server derive
//! different keys from the same password. Bidirectional checks (§2.4) have
//! nothing to check in Latin-1.

use postwire_core::Secret;
use zeroize::Zeroizing;

use crate::{Field, SaslError};

/// RFC 3454 B.1: characters "commonly mapped to nothing".
fn mapped_to_nothing(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{1806}'
            | '\u{180B}'..='\u{180D}'
            | '\u{200B}'..='\u{200D}'
            | '\u{2060}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
    )
}

/// RFC 3454 C.1.2: non-ASCII space characters (U+200B is in B.1 as well,
/// and B.1 wins here, as in most implementations).
fn non_ascii_space(c: char) -> bool {
    matches!(
        c,
        '\u{00A0}' | '\u{1680}' | '\u{2000}'..='\u{200B}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

/// The NFKC form of the Latin-1 compatibility characters (UnicodeData.txt
/// decomposition mappings, recomposed).
fn latin1_compatibility(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{00A8}' => " \u{0308}",
        '\u{00AA}' => "a",
        '\u{00AF}' => " \u{0304}",
        '\u{00B2}' => "2",
        '\u{00B3}' => "3",
        '\u{00B4}' => " \u{0301}",
        '\u{00B5}' => "\u{03BC}",
        '\u{00B8}' => " \u{0327}",
        '\u{00B9}' => "1",
        '\u{00BA}' => "o",
        '\u{00BC}' => "1\u{2044}4",
        '\u{00BD}' => "1\u{2044}2",
        '\u{00BE}' => "3\u{2044}4",
        _ => return None,
    })
}

/// Prepares `input` with the RFC 4013 subset described in the module docs.
///
/// Errors: a control character is [`SaslError::ForbiddenByte`], a character
/// outside the covered range [`SaslError::UnsupportedCharacter`], and a
/// string that maps to nothing [`SaslError::EmptyField`], all for `field`.
pub(crate) fn saslprep(input: &str, field: Field) -> Result<Secret<String>, SaslError> {
    // Sized once (the longest mapping is 3 chars of at most 3 octets for a
    // 2-octet input), so no reallocation leaves a copy behind.
    // Zeroized on drop, so an early return leaves no partial copy.
    let mut buf = Zeroizing::new(String::with_capacity(input.len() * 5));
    for c in input.chars() {
        if mapped_to_nothing(c) {
            continue;
        }
        if non_ascii_space(c) {
            buf.push(' ');
        } else if c.is_control() {
            // C.2.1 (U+0000-U+001F, U+007F) and C.2.2 (U+0080-U+009F).
            return Err(SaslError::ForbiddenByte(field));
        } else if let Some(nfkc) = latin1_compatibility(c) {
            buf.push_str(nfkc);
        } else if u32::from(c) <= 0xFF {
            buf.push(c);
        } else {
            return Err(SaslError::UnsupportedCharacter(field));
        }
    }
    if buf.is_empty() {
        return Err(SaslError::EmptyField(field));
    }
    Ok(Secret::new(std::mem::take(&mut *buf)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prep(s: &str) -> Result<String, SaslError> {
        saslprep(s, Field::Password).map(|s| s.expose().clone())
    }

    #[test]
    fn rfc4013_3_examples_within_the_covered_range() {
        // 1. SOFT HYPHEN mapped to nothing.
        assert_eq!(prep("I\u{00AD}X").unwrap(), "IX");
        // 2. no transformation.
        assert_eq!(prep("user").unwrap(), "user");
        // 3. case preserved.
        assert_eq!(prep("USER").unwrap(), "USER");
        // 4. output is NFKC, input in ISO 8859-1.
        assert_eq!(prep("\u{00AA}").unwrap(), "a");
        // 6. Error - prohibited character.
        assert_eq!(
            prep("\u{0007}"),
            Err(SaslError::ForbiddenByte(Field::Password))
        );
    }

    #[test]
    fn rfc4013_3_example_5_needs_full_nfkc_and_is_refused() {
        // 5. ROMAN NUMERAL NINE maps to "IX" under NFKC: not covered here.
        assert_eq!(
            prep("\u{2168}"),
            Err(SaslError::UnsupportedCharacter(Field::Password))
        );
    }

    #[test]
    fn non_ascii_spaces_become_space_rfc4013_2_1() {
        assert_eq!(prep("a\u{00A0}b\u{3000}c\u{2003}d").unwrap(), "a b c d");
        assert_eq!(prep("a\u{200B}b\u{FEFF}c").unwrap(), "abc");
    }

    #[test]
    fn latin1_passes_through_and_compatibility_characters_map() {
        assert_eq!(prep("pässwörd ÆØÅ ß").unwrap(), "pässwörd ÆØÅ ß");
        assert_eq!(prep("x²µ½").unwrap(), "x2\u{03BC}1\u{2044}2");
    }

    #[test]
    fn controls_and_empty_results_are_refused_rfc4013_2_3() {
        assert_eq!(
            prep("a\u{0085}"),
            Err(SaslError::ForbiddenByte(Field::Password))
        );
        assert_eq!(
            prep("a\u{007F}"),
            Err(SaslError::ForbiddenByte(Field::Password))
        );
        assert_eq!(
            prep("\u{00AD}"),
            Err(SaslError::EmptyField(Field::Password))
        );
        assert_eq!(prep(""), Err(SaslError::EmptyField(Field::Password)));
    }
}
