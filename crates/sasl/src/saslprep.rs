//! SASLprep (RFC 4013), for SCRAM passwords (RFC 5802 §2.2 `Normalize`).
//!
//! The profile itself (RFC 4013 §2: the B.1 and C.1.2 mappings, NFKC, the
//! prohibited output of §2.3, the bidirectional rule of §2.4, unassigned
//! code points refused as for stored strings) comes from the `stringprep`
//! crate, which carries the Unicode 3.2 tables of RFC 3454 that it needs.
//! Client and server must derive the same key from the same password, so a
//! password SASLprep refuses is refused with a clear error, never passed
//! through unprepared.
//!
//! Secrets: the prepared password is moved into a [`Secret`] and the
//! caller's copy is never kept. The crate's own intermediate buffers are
//! not zeroized; for ASCII input, most passwords, it returns the input
//! unchanged and allocates nothing.

use postwire_core::Secret;
use zeroize::Zeroize;

use crate::{Field, SaslError};

/// Prepares `input` with SASLprep. Control characters (RFC 4013 §2.3,
/// RFC 3454 C.2.1 and C.2.2) are [`SaslError::ForbiddenByte`], every other
/// character or mix of text directions SASLprep prohibits
/// [`SaslError::UnsupportedCharacter`], and a result that is empty after
/// the mappings [`SaslError::EmptyField`].
pub(crate) fn saslprep(input: &str, field: Field) -> Result<Secret<String>, SaslError> {
    if input.chars().any(char::is_control) {
        return Err(SaslError::ForbiddenByte(field));
    }
    let mut prepared = match stringprep::saslprep(input) {
        Ok(prepared) => prepared.into_owned(),
        Err(_) => return Err(SaslError::UnsupportedCharacter(field)),
    };
    if prepared.is_empty() {
        prepared.zeroize();
        return Err(SaslError::EmptyField(field));
    }
    Ok(Secret::new(prepared))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prep(s: &str) -> Result<String, SaslError> {
        saslprep(s, Field::Password).map(|s| s.expose().clone())
    }

    #[test]
    fn rfc4013_3_examples() {
        // 1. SOFT HYPHEN mapped to nothing.
        assert_eq!(prep("I\u{00AD}X").unwrap(), "IX");
        // 2. no transformation.
        assert_eq!(prep("user").unwrap(), "user");
        // 3. case preserved.
        assert_eq!(prep("USER").unwrap(), "USER");
        // 4. output is NFKC, input in ISO 8859-1.
        assert_eq!(prep("\u{00AA}").unwrap(), "a");
        // 5. output is NFKC, will match 1.
        assert_eq!(prep("\u{2168}").unwrap(), "IX");
        // 6. Error - prohibited character.
        assert_eq!(
            prep("\u{0007}"),
            Err(SaslError::ForbiddenByte(Field::Password))
        );
        // 7. Error - bidirectional check.
        assert_eq!(
            prep("\u{0627}\u{0031}"),
            Err(SaslError::UnsupportedCharacter(Field::Password))
        );
    }

    #[test]
    fn non_ascii_spaces_become_space_rfc4013_2_1() {
        assert_eq!(prep("a\u{00A0}b\u{3000}c\u{2003}d").unwrap(), "a b c d");
        assert_eq!(prep("a\u{00AD}b\u{FEFF}c").unwrap(), "abc");
        // U+200B is in both tables; RFC 4013 §2.1 names C.1.2 first.
        assert_eq!(prep("a\u{200B}b").unwrap(), "a b");
    }

    #[test]
    fn any_script_is_prepared_rfc4013_2_2() {
        assert_eq!(prep("pässwörd ÆØÅ ß").unwrap(), "pässwörd ÆØÅ ß");
        assert_eq!(prep("x²µ½").unwrap(), "x2\u{03BC}1\u{2044}2");
        assert_eq!(prep("пароль").unwrap(), "пароль");
        assert_eq!(prep("密码").unwrap(), "密码");
        // Fullwidth forms are compatibility characters.
        assert_eq!(prep("ｐａｓｓ").unwrap(), "pass");
        // Composed and decomposed forms prepare alike.
        assert_eq!(prep("e\u{0301}").unwrap(), prep("\u{00E9}").unwrap());
    }

    #[test]
    fn prohibited_output_is_refused_rfc4013_2_3() {
        for control in ["a\u{0085}", "a\u{007F}", "\u{0000}"] {
            assert_eq!(
                prep(control),
                Err(SaslError::ForbiddenByte(Field::Password)),
                "{control:?}"
            );
        }
        // Private use (C.3) and an unassigned code point (A.1).
        for prohibited in ["a\u{E000}", "a\u{0221}"] {
            assert_eq!(
                prep(prohibited),
                Err(SaslError::UnsupportedCharacter(Field::Password)),
                "{prohibited:?}"
            );
        }
        assert_eq!(
            prep("\u{00AD}"),
            Err(SaslError::EmptyField(Field::Password))
        );
        assert_eq!(prep(""), Err(SaslError::EmptyField(Field::Password)));
    }
}
