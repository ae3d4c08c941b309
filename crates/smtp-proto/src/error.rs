//! Parse errors. Small, `Copy`, and free of peer bytes so they can be logged
//! without leaking credentials (DESIGN.md, "Errors and limits").

/// What was wrong with a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The command verb is not one this crate knows (server answers 500).
    UnknownCommand,
    /// The verb is known but its arguments are malformed (501).
    Syntax,
    /// A path (mailbox) is malformed (501, or 553 by some servers).
    Path,
    /// A local part, domain or path exceeds RFC 5321 §4.5.3.1 limits.
    PathTooLong,
    /// A MAIL or RCPT parameter is malformed or repeated (501/555).
    Parameter,
    /// A NUL byte, bare CR or other control character.
    ControlCharacter,
    /// Not valid UTF-8 where UTF-8 was required.
    Utf8,
    /// A reply line does not start with a valid three-digit code.
    ReplyCode,
    /// The lines of a multi-line reply carry different codes.
    ReplyCodeMismatch,
    /// A reply has more lines or bytes than allowed.
    ReplyTooLong,
    /// Invalid base64 in an AUTH exchange (501).
    Base64,
    /// Invalid xtext (RFC 3461 §4) in ENVID, ORCPT or AUTH=.
    Xtext,
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
            Self::Path => "malformed path",
            Self::PathTooLong => "path, local part or domain too long",
            Self::Parameter => "malformed or repeated parameter",
            Self::ControlCharacter => "control character in line",
            Self::Utf8 => "invalid utf-8",
            Self::ReplyCode => "malformed reply code",
            Self::ReplyCodeMismatch => "reply lines carry different codes",
            Self::ReplyTooLong => "reply too long",
            Self::Base64 => "invalid base64",
            Self::Xtext => "invalid xtext",
        }
    }
}

impl<I> nom::error::ParseError<I> for ParseError {
    fn from_error_kind(_input: I, _kind: nom::error::ErrorKind) -> Self {
        Self::new(ParseErrorKind::Syntax)
    }

    fn append(_input: I, _kind: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

/// Lets `map_res` wrap conversions (numbers, addresses); the external error
/// is dropped because a [`ParseError`] carries no detail beyond its kind.
impl<I, E> nom::error::FromExternalError<I, E> for ParseError {
    fn from_external_error(_input: I, _kind: nom::error::ErrorKind, _e: E) -> Self {
        Self::new(ParseErrorKind::Syntax)
    }
}
