//! SMTP commands (RFC 5321 §4.1.1 and the extensions): types, parser, encoder.

use bytes::BytesMut;
use postwire_core::Secret;

use crate::{Domain, ForwardPath, Host, MailParameters, ParseError, RcptParameters, ReversePath};

/// The argument of HELO, EHLO and LHLO: a domain or an address literal
/// (RFC 5321 §4.1.1.1). HELO takes a domain only, but real clients send
/// literals too; the parser accepts both.
pub type ClientId = Host;

/// A SASL mechanism name: 1 to 20 of `A-Z 0-9 - _` (RFC 4422 §3.1), kept
/// uppercase.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MechanismName(String);

impl MechanismName {
    /// Validates and uppercases a mechanism name.
    pub fn new(name: &str) -> Result<Self, ParseError> {
        todo!()
    }

    /// The name, uppercase.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Text argument of VRFY, EXPN, HELP and NOOP: printable, no CR/LF, no NUL.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Argument(String);

impl Argument {
    /// Validates an argument.
    pub fn new(text: impl Into<String>) -> Result<Self, ParseError> {
        todo!()
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One SMTP or LMTP command.
///
/// `Debug` of [`Command::Auth`] hides the initial response (SECURITY.md A4).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// `HELO domain` (RFC 5321 §4.1.1.1).
    Helo(ClientId),
    /// `EHLO domain` (RFC 5321 §4.1.1.1).
    Ehlo(ClientId),
    /// `LHLO domain` (RFC 2033 §4.1).
    Lhlo(ClientId),
    /// `MAIL FROM:<reverse-path> [params]` (RFC 5321 §4.1.1.2).
    Mail {
        /// The reverse path.
        from: ReversePath,
        /// Parameters.
        params: MailParameters,
    },
    /// `RCPT TO:<forward-path> [params]` (RFC 5321 §4.1.1.3).
    Rcpt {
        /// The forward path.
        to: ForwardPath,
        /// Parameters.
        params: RcptParameters,
    },
    /// `DATA` (RFC 5321 §4.1.1.4).
    Data,
    /// `BDAT size [LAST]` (RFC 3030 §2); the chunk's bytes follow the line.
    Bdat {
        /// The chunk size in octets.
        size: u64,
        /// Whether this is the last chunk.
        last: bool,
    },
    /// `RSET` (RFC 5321 §4.1.1.5).
    Rset,
    /// `VRFY string` (RFC 5321 §4.1.1.6).
    Vrfy(Argument),
    /// `EXPN string` (RFC 5321 §4.1.1.7).
    Expn(Argument),
    /// `HELP [string]` (RFC 5321 §4.1.1.8).
    Help(Option<Argument>),
    /// `NOOP [string]` (RFC 5321 §4.1.1.9).
    Noop(Option<Argument>),
    /// `QUIT` (RFC 5321 §4.1.1.10).
    Quit,
    /// `STARTTLS` (RFC 3207 §4).
    StartTls,
    /// `AUTH mechanism [initial-response]` (RFC 4954 §4). The initial
    /// response is held decoded; `=` on the wire is an empty response.
    Auth {
        /// The mechanism.
        mechanism: MechanismName,
        /// The decoded initial response, if one was sent.
        initial_response: Option<Secret<Vec<u8>>>,
    },
}

impl Command {
    /// Parses one command line, without its CRLF. Verbs are case-insensitive.
    ///
    /// UTF-8 in paths is accepted when it is valid UTF-8 (RFC 6531); whether
    /// the transaction declared SMTPUTF8 is the session's check.
    pub fn parse(line: &[u8]) -> Result<Self, ParseError> {
        todo!()
    }

    /// Appends the command line, CRLF included. Never fails: every field was
    /// validated when it was built.
    pub fn encode(&self, out: &mut BytesMut) {
        todo!()
    }

    /// The verb, uppercase, for logs and for a server's error replies.
    pub fn verb(&self) -> &'static str {
        match self {
            Command::Helo(_) => "HELO",
            Command::Ehlo(_) => "EHLO",
            Command::Lhlo(_) => "LHLO",
            Command::Mail { .. } => "MAIL",
            Command::Rcpt { .. } => "RCPT",
            Command::Data => "DATA",
            Command::Bdat { .. } => "BDAT",
            Command::Rset => "RSET",
            Command::Vrfy(_) => "VRFY",
            Command::Expn(_) => "EXPN",
            Command::Help(_) => "HELP",
            Command::Noop(_) => "NOOP",
            Command::Quit => "QUIT",
            Command::StartTls => "STARTTLS",
            Command::Auth { .. } => "AUTH",
        }
    }
}

/// A client's line during an AUTH exchange (RFC 4954 §4): base64 data or
/// `*` to cancel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthResponse {
    /// The decoded response.
    Data(Secret<Vec<u8>>),
    /// `*`: the client cancels the exchange (answered with 501).
    Cancel,
}

impl AuthResponse {
    /// Parses one line of the exchange, without its CRLF.
    pub fn parse(line: &[u8]) -> Result<Self, ParseError> {
        todo!()
    }

    /// Appends the line, CRLF included.
    pub fn encode(&self, out: &mut BytesMut) {
        todo!()
    }
}
