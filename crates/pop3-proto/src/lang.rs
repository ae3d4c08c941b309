//! The languages of human-readable response text (RFC 6856 §3, `LANG`).

use crate::{ParseError, ParseErrorKind};

/// A language range, the argument of `LANG` (RFC 6856 §3): `*`, or a
/// basic language range of RFC 4647 §2.1, `1*8ALPHA *("-" 1*8alphanum)`,
/// compared case-insensitively.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LanguageRange(String);

impl LanguageRange {
    /// Validates a range.
    pub fn new(text: &str) -> Result<Self, ParseError> {
        Self::parse(text.as_bytes())
    }

    /// Parses the argument of a `LANG` line.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        let bad = || ParseError::new(ParseErrorKind::Syntax);
        if bytes != b"*" {
            let mut subtags = bytes.split(|&b| b == b'-');
            let first = subtags.next().ok_or_else(bad)?;
            let subtag_ok = |s: &[u8], alpha: bool| {
                (1..=8).contains(&s.len())
                    && s.iter().all(|b| {
                        if alpha {
                            b.is_ascii_alphabetic()
                        } else {
                            b.is_ascii_alphanumeric()
                        }
                    })
            };
            if !subtag_ok(first, true) || !subtags.all(|s| subtag_ok(s, false)) {
                return Err(bad());
            }
        }
        // All ASCII, checked above.
        let text = std::str::from_utf8(bytes).map_err(|_| bad())?;
        Ok(Self(text.to_owned()))
    }

    /// The range as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `tag` answers this range: `*` takes every tag; any other
    /// range a tag equal to it or more specific (RFC 4647 §3.3.1 basic
    /// filtering: `en` takes `en-US`), or less specific (§3.4 lookup, which
    /// drops subtags from the end: `en-US` falls back to `en`). Case is
    /// ignored.
    pub fn matches(&self, tag: &str) -> bool {
        let prefix_of = |short: &[u8], long: &[u8]| {
            long.len() >= short.len()
                && long[..short.len()].eq_ignore_ascii_case(short)
                && (long.len() == short.len() || long[short.len()] == b'-')
        };
        let (range, tag) = (self.0.as_bytes(), tag.as_bytes());
        range == b"*" || prefix_of(range, tag) || prefix_of(tag, range)
    }
}

impl std::fmt::Display for LanguageRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One line of the `LANG` listing (RFC 6856 §3): a language tag and a
/// description of it in that language.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Language {
    /// The language tag (RFC 5646), such as `en` or `fr-CA`.
    pub tag: String,
    /// Its description, such as `English`; may be empty.
    pub description: String,
}

impl Language {
    /// Parses `lang-tag SP description` (the description may be missing).
    pub fn parse(line: &[u8]) -> Result<Self, ParseError> {
        let text = std::str::from_utf8(line).map_err(|_| ParseErrorKind::Utf8)?;
        let (tag, description) = text.split_once(' ').unwrap_or((text, ""));
        if tag.is_empty() || !tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(ParseError::new(ParseErrorKind::Syntax));
        }
        Ok(Self {
            tag: tag.to_owned(),
            description: description.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_rfc4647_basic_filtering_rfc6856_3() {
        let range = |s: &str| LanguageRange::new(s).unwrap();
        assert!(range("*").matches("en"));
        assert!(range("en").matches("en"));
        assert!(range("EN").matches("en-US"));
        assert!(!range("en").matches("eng"));
        assert!(range("en-US").matches("en"));
        assert!(!range("en-US").matches("en-GB"));
        assert!(range("i-default").matches("i-default"));
        for bad in ["", "-", "en-", "123", "toolongtag", "en_US", "e n", "*-en"] {
            assert!(LanguageRange::new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn listing_lines_rfc6856_3() {
        assert_eq!(
            Language::parse(b"fr-CA Fran\xc3\xa7ais canadien").unwrap(),
            Language {
                tag: "fr-CA".into(),
                description: "Français canadien".into()
            }
        );
        assert_eq!(Language::parse(b"en").unwrap().description, "");
        assert!(Language::parse(b" English").is_err());
        assert!(Language::parse(b"e!n English").is_err());
    }
}
