//! Parse errors. Small, `Copy`, and free of peer bytes so they can be logged
//! without leaking credentials (DESIGN.md, "Errors and limits").

/// What was wrong with a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The command keyword is not one this crate knows.
    UnknownCommand,
    /// The keyword is known but its arguments are missing or malformed.
    Syntax,
    /// A message number is zero, not a number, or too large.
    MessageNumber,
    /// A NUL byte, CR, LF or other control character where none may be.
    ControlCharacter,
    /// Not valid UTF-8 where UTF-8 was required.
    Utf8,
    /// An argument is longer than RFC 1939 or this crate allows.
    TooLong,
    /// A response line starts with neither `+OK` nor `-ERR`.
    Status,
    /// A malformed `[CODE]` (RFC 2449 §8).
    ResponseCode,
    /// A malformed line in a multi-line listing (LIST, UIDL, CAPA).
    Listing,
    /// Invalid base64 in an AUTH exchange (RFC 5034 §4).
    Base64,
    /// A unique-id outside RFC 1939 §7 (1 to 70 octets of 0x21 to 0x7E).
    UniqueId,
    /// An APOP timestamp or digest of the wrong shape (RFC 1939 §7).
    Apop,
}

/// A line could not be parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{}", self.kind.description())]
pub struct ParseError {
    /// What was wrong.
    pub kind: ParseErrorKind,
}

impl ParseError {
    /// An error of this kind.
    pub const fn new(kind: ParseErrorKind) -> Self {
        Self { kind }
    }
}

impl From<ParseErrorKind> for ParseError {
    fn from(kind: ParseErrorKind) -> Self {
        Self { kind }
    }
}

impl ParseErrorKind {
    /// A short lowercase description.
    pub const fn description(self) -> &'static str {
        match self {
            Self::UnknownCommand => "unknown command",
            Self::Syntax => "syntax error in arguments",
            Self::MessageNumber => "invalid message number",
            Self::ControlCharacter => "control character in line",
            Self::Utf8 => "invalid utf-8",
            Self::TooLong => "argument too long",
            Self::Status => "response has no status indicator",
            Self::ResponseCode => "malformed response code",
            Self::Listing => "malformed listing line",
            Self::Base64 => "invalid base64",
            Self::UniqueId => "invalid unique-id",
            Self::Apop => "malformed apop timestamp or digest",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_are_lowercase_without_period() {
        for kind in [
            ParseErrorKind::UnknownCommand,
            ParseErrorKind::Syntax,
            ParseErrorKind::MessageNumber,
            ParseErrorKind::ControlCharacter,
            ParseErrorKind::Utf8,
            ParseErrorKind::TooLong,
            ParseErrorKind::Status,
            ParseErrorKind::ResponseCode,
            ParseErrorKind::Listing,
            ParseErrorKind::Base64,
            ParseErrorKind::UniqueId,
            ParseErrorKind::Apop,
        ] {
            let text = ParseError::new(kind).to_string();
            assert_eq!(text, text.to_lowercase());
            assert!(!text.ends_with('.'));
        }
    }
}
