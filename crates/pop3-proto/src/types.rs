//! Small validated values: message numbers, unique-ids, command arguments,
//! APOP timestamps and digests (RFC 1939).

use postwire_core::Secret;

use crate::{ParseError, ParseErrorKind};

/// A message number: positive, counted from 1 in the order of the maildrop
/// listing (RFC 1939 §5, `msg`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageNumber(u32);

impl MessageNumber {
    /// The number, if it is not zero.
    pub const fn new(n: u32) -> Option<Self> {
        if n == 0 { None } else { Some(Self(n)) }
    }

    /// The number.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// The 0-based index into the maildrop listing.
    pub fn index(self) -> usize {
        (self.0 - 1) as usize
    }

    /// Parses `1*DIGIT` (at most 10 digits, RFC 1939 gives no limit but a
    /// message number beyond `u32` cannot name a real message).
    pub(crate) fn parse(text: &[u8]) -> Result<Self, ParseError> {
        let n = parse_u32(text).ok_or(ParseErrorKind::MessageNumber)?;
        Self::new(n).ok_or(ParseErrorKind::MessageNumber.into())
    }
}

impl std::fmt::Display for MessageNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Parses `1*DIGIT` into a `u32`.
pub(crate) fn parse_u32(text: &[u8]) -> Option<u32> {
    if text.is_empty() || text.len() > 10 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// Parses `1*DIGIT` into a `u64` (message and maildrop sizes).
pub(crate) fn parse_u64(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 20 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// A unique-id listing's id: 1 to 70 octets in `0x21..=0x7E` (RFC 1939 §7,
/// UIDL), so it can never carry a space, CR or LF.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UniqueId(String);

impl UniqueId {
    /// The longest unique-id RFC 1939 §7 allows.
    pub const MAX_LEN: usize = 70;

    /// Validates a unique-id.
    pub fn new(id: &str) -> Result<Self, ParseError> {
        Self::parse(id.as_bytes())
    }

    pub(crate) fn parse(id: &[u8]) -> Result<Self, ParseError> {
        let ok =
            (1..=Self::MAX_LEN).contains(&id.len()) && id.iter().all(|b| (0x21..=0x7e).contains(b));
        if !ok {
            return Err(ParseError::new(ParseErrorKind::UniqueId));
        }
        // All ASCII, checked above.
        Ok(Self(String::from_utf8_lossy(id).into_owned()))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for UniqueId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name argument of USER and APOP.
///
/// RFC 1939 §3 limits arguments to 40 characters, but real user names are
/// often e-mail addresses; this type takes 1 to 255 octets of UTF-8 (RFC
/// 6856 allows UTF-8 names) with no control character and no leading or
/// trailing space, so it can never inject CR or LF and always survives a
/// parse-encode round trip.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Argument(String);

impl Argument {
    /// The longest argument accepted.
    pub const MAX_LEN: usize = 255;

    /// Validates an argument.
    pub fn new(text: impl Into<String>) -> Result<Self, ParseError> {
        let text = text.into();
        if text.is_empty() || text.starts_with(' ') || text.ends_with(' ') {
            return Err(ParseError::new(ParseErrorKind::Syntax));
        }
        if text.len() > Self::MAX_LEN {
            return Err(ParseError::new(ParseErrorKind::TooLong));
        }
        if text.chars().any(char::is_control) {
            return Err(ParseError::new(ParseErrorKind::ControlCharacter));
        }
        Ok(Self(text))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Argument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The APOP timestamp a server puts in its greeting: `<` 1*(printable
/// ASCII but `<`, `>` and space) `>` (RFC 1939 §7: "syntactically a
/// msg-id"), at most 255 octets.
///
/// The server's timestamp must be unique per connection, so the
/// application makes it (the machine has no clock and no randomness).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Timestamp(String);

impl Timestamp {
    /// Validates a timestamp, brackets included.
    pub fn new(text: &str) -> Result<Self, ParseError> {
        let bytes = text.as_bytes();
        let inner = bytes
            .strip_prefix(b"<")
            .and_then(|rest| rest.strip_suffix(b">"))
            .ok_or(ParseErrorKind::Apop)?;
        let ok = !inner.is_empty()
            && bytes.len() <= 255
            && inner
                .iter()
                .all(|b| (0x21..=0x7e).contains(b) && *b != b'<' && *b != b'>');
        if !ok {
            return Err(ParseError::new(ParseErrorKind::Apop));
        }
        Ok(Self(text.to_owned()))
    }

    /// Finds the timestamp in a greeting's text: the last `<...>` that is
    /// a valid timestamp (RFC 1939 §7 puts it at the end; some servers add
    /// text after it).
    pub fn find_in(text: &str) -> Option<Self> {
        let mut end = text.len();
        while let Some(close) = text[..end].rfind('>') {
            if let Some(open) = text[..close].rfind('<')
                && let Ok(ts) = Self::new(&text[open..=close])
            {
                return Some(ts);
            }
            end = close;
        }
        None
    }

    /// The timestamp, brackets included (the bytes the digest covers).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An APOP digest: the MD5 of timestamp and shared secret, 32 lowercase hex
/// digits (RFC 1939 §7).
///
/// It is a replayable credential for this connection and a dictionary
/// attack target, so `Debug` hides it (SECURITY.md A4).
#[derive(Clone, PartialEq, Eq)]
pub struct ApopDigest(Secret<String>);

impl ApopDigest {
    /// Validates a digest: 32 hex digits, stored in lower case (RFC 1939 §7
    /// requires lower case on the wire; upper case is accepted and folded).
    pub fn new(hex: &str) -> Result<Self, ParseError> {
        if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ParseError::new(ParseErrorKind::Apop));
        }
        Ok(Self(Secret::new(hex.to_ascii_lowercase())))
    }

    /// The lower-case hex digest.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// Compares with another digest in time independent of where they
    /// differ (SECURITY.md A7).
    pub fn matches(&self, expected_hex: &str) -> bool {
        let a = self.0.expose().as_bytes();
        let b = expected_hex.as_bytes();
        let mut diff = u8::from(a.len() != b.len());
        for i in 0..a.len().max(b.len()) {
            let x = a.get(i).copied().unwrap_or(0);
            let y = b.get(i).map(u8::to_ascii_lowercase).unwrap_or(0);
            diff |= std::hint::black_box(x ^ y);
        }
        diff == 0
    }
}

impl std::fmt::Debug for ApopDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApopDigest(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_numbers_are_positive_rfc1939_5() {
        assert!(MessageNumber::new(0).is_none());
        assert_eq!(MessageNumber::parse(b"17").unwrap().get(), 17);
        assert_eq!(MessageNumber::parse(b"0017").unwrap().get(), 17);
        for bad in [
            &b""[..],
            b"0",
            b"-1",
            b"+1",
            b"1a",
            b"99999999999",
            b"4294967296",
        ] {
            assert!(MessageNumber::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(MessageNumber::parse(b"4294967295").unwrap().get(), u32::MAX);
    }

    #[test]
    fn unique_ids_follow_rfc1939_7() {
        assert!(UniqueId::new("QhdPYR:00WBw1Ph7x7").is_ok());
        assert!(UniqueId::new(&"a".repeat(70)).is_ok());
        for bad in ["", "a b", "a\r\n", &"a".repeat(71), "é"] {
            assert!(UniqueId::new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn arguments_refuse_controls_and_edges() {
        assert!(Argument::new("mrose").is_ok());
        assert!(Argument::new("jöran@example.org").is_ok());
        for bad in ["", " a", "a ", "a\r\nQUIT", "a\0", &"x".repeat(256)] {
            assert!(Argument::new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn timestamp_is_found_in_the_greeting_rfc1939_7() {
        let ts = Timestamp::find_in("POP3 server ready <1896.697170952@dbc.mtview.ca.us>").unwrap();
        assert_eq!(ts.as_str(), "<1896.697170952@dbc.mtview.ca.us>");
        let ts = Timestamp::find_in("ready <a@b> and <c d> trailing").unwrap();
        assert_eq!(ts.as_str(), "<a@b>");
        assert!(Timestamp::find_in("ready <> <x y>").is_none());
        assert!(Timestamp::find_in("Dovecot ready.").is_none());
    }

    #[test]
    fn digest_is_hex_and_hidden() {
        let d = ApopDigest::new("C4C9334BAC560ECC979E58001B3E22FB").unwrap();
        assert_eq!(d.expose(), "c4c9334bac560ecc979e58001b3e22fb");
        assert!(d.matches("c4c9334bac560ecc979e58001b3e22fb"));
        assert!(!d.matches("c4c9334bac560ecc979e58001b3e22fc"));
        assert!(!d.matches(""));
        assert_eq!(format!("{d:?}"), "ApopDigest(..)");
        assert!(ApopDigest::new("xyz").is_err());
    }
}
