//! POP3 commands (RFC 1939 §4-§7, RFC 2449 CAPA, RFC 2595 STLS, RFC 5034
//! AUTH, RFC 6856 UTF8): types, parser, encoder.

use bytes::{BufMut, BytesMut};
use postwire_core::Secret;
use postwire_sasl::Mechanism;

use crate::types::parse_u32;
use crate::{ApopDigest, Argument, LanguageRange, MessageNumber, ParseError, ParseErrorKind};

/// One POP3 command.
///
/// Built from validated parts, so [`encode`](Self::encode) cannot fail and
/// cannot put CR or LF on the wire. `Debug` hides PASS, the APOP digest and
/// the AUTH initial response (SECURITY.md A4).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// `USER name` (RFC 1939 §7).
    User(Argument),
    /// `PASS string` (RFC 1939 §7). The password is everything after the
    /// space, spaces included, as RFC 1939 §7 allows.
    Pass(Secret<String>),
    /// `APOP name digest` (RFC 1939 §7).
    Apop {
        /// The mailbox name.
        name: Argument,
        /// The MD5 digest of timestamp and secret.
        digest: ApopDigest,
    },
    /// `STAT` (RFC 1939 §5).
    Stat,
    /// `LIST [msg]` (RFC 1939 §5).
    List(Option<MessageNumber>),
    /// `RETR msg` (RFC 1939 §5).
    Retr(MessageNumber),
    /// `DELE msg` (RFC 1939 §5).
    Dele(MessageNumber),
    /// `NOOP` (RFC 1939 §5).
    Noop,
    /// `RSET` (RFC 1939 §5).
    Rset,
    /// `QUIT` (RFC 1939 §4, §6).
    Quit,
    /// `TOP msg n` (RFC 1939 §7): the header and the first `lines` lines of
    /// the body.
    Top {
        /// The message.
        msg: MessageNumber,
        /// How many body lines.
        lines: u32,
    },
    /// `UIDL [msg]` (RFC 1939 §7).
    Uidl(Option<MessageNumber>),
    /// `CAPA` (RFC 2449 §5).
    Capa,
    /// `STLS` (RFC 2595 §4).
    Stls,
    /// `AUTH mechanism [initial-response]` (RFC 5034 §4). The initial
    /// response is held decoded; `=` on the wire is an empty response.
    Auth {
        /// The SASL mechanism.
        mechanism: Mechanism,
        /// The decoded initial response, if one was sent.
        initial_response: Option<Secret<Vec<u8>>>,
    },
    /// `UTF8` (RFC 6856 §2).
    Utf8,
    /// `LANG [lang-range]` (RFC 6856 §3): without a range, list the
    /// languages of the server's responses; with one, switch to the best
    /// match.
    Lang(Option<LanguageRange>),
}

impl Command {
    /// A `PASS` command, if `password` can be sent: not empty, no NUL, CR
    /// or LF (the only bytes that could end or corrupt the line).
    pub fn pass(password: &str) -> Result<Self, ParseError> {
        validate_password(password.as_bytes())?;
        Ok(Command::Pass(Secret::new(password.to_owned())))
    }

    /// The keyword, upper case, for logs (never the arguments).
    pub fn keyword(&self) -> &'static str {
        match self {
            Command::User(_) => "USER",
            Command::Pass(_) => "PASS",
            Command::Apop { .. } => "APOP",
            Command::Stat => "STAT",
            Command::List(_) => "LIST",
            Command::Retr(_) => "RETR",
            Command::Dele(_) => "DELE",
            Command::Noop => "NOOP",
            Command::Rset => "RSET",
            Command::Quit => "QUIT",
            Command::Top { .. } => "TOP",
            Command::Uidl(_) => "UIDL",
            Command::Capa => "CAPA",
            Command::Stls => "STLS",
            Command::Auth { .. } => "AUTH",
            Command::Utf8 => "UTF8",
            Command::Lang(_) => "LANG",
        }
    }

    /// Parses one command line, without its CRLF (RFC 1939 §3: a keyword
    /// of three or four characters, case-insensitive, then arguments
    /// separated by single spaces).
    ///
    /// Leniencies: trailing spaces after the keyword or the numeric
    /// arguments are ignored, and numeric arguments may be separated by more
    /// than one space. `PASS` keeps its argument verbatim. NUL, CR and LF
    /// anywhere are [`ParseErrorKind::ControlCharacter`].
    pub fn parse(line: &[u8]) -> Result<Self, ParseError> {
        if memchr::memchr3(0, b'\r', b'\n', line).is_some() {
            return Err(ParseError::new(ParseErrorKind::ControlCharacter));
        }
        let (keyword, args) = match memchr::memchr(b' ', line) {
            Some(i) => (&line[..i], Some(&line[i + 1..])),
            None => (line, None),
        };
        let mut upper = [0u8; 4];
        if keyword.len() > 4 || keyword.len() < 3 {
            return Err(ParseError::new(ParseErrorKind::UnknownCommand));
        }
        for (u, k) in upper.iter_mut().zip(keyword) {
            *u = k.to_ascii_uppercase();
        }
        match &upper[..keyword.len()] {
            b"USER" => argument(required(args)?).map(Command::User),
            b"PASS" => {
                let password = args.ok_or(ParseErrorKind::Syntax)?;
                validate_password(password)?;
                let text = std::str::from_utf8(password).map_err(|_| ParseErrorKind::Utf8)?;
                Ok(Command::Pass(Secret::new(text.to_owned())))
            }
            b"APOP" => apop(required(args)?),
            b"STAT" => no_args(args, Command::Stat),
            b"LIST" => optional_msg(args).map(Command::List),
            b"RETR" => msg(required(args)?).map(Command::Retr),
            b"DELE" => msg(required(args)?).map(Command::Dele),
            b"NOOP" => no_args(args, Command::Noop),
            b"RSET" => no_args(args, Command::Rset),
            b"QUIT" => no_args(args, Command::Quit),
            b"TOP" => top(required(args)?),
            b"UIDL" => optional_msg(args).map(Command::Uidl),
            b"CAPA" => no_args(args, Command::Capa),
            b"STLS" => no_args(args, Command::Stls),
            b"AUTH" => auth(required(args)?),
            b"UTF8" => no_args(args, Command::Utf8),
            b"LANG" => match args.map(trim_end) {
                None | Some([]) => Ok(Command::Lang(None)),
                Some(range) => LanguageRange::parse(range).map(|r| Command::Lang(Some(r))),
            },
            _ => Err(ParseError::new(ParseErrorKind::UnknownCommand)),
        }
    }

    /// Appends the command line, CRLF included.
    pub fn encode(&self, out: &mut BytesMut) {
        out.put_slice(self.keyword().as_bytes());
        match self {
            Command::User(name) => {
                out.put_u8(b' ');
                out.put_slice(name.as_str().as_bytes());
            }
            Command::Pass(password) => {
                out.put_u8(b' ');
                out.put_slice(password.expose().as_bytes());
            }
            Command::Apop { name, digest } => {
                out.put_u8(b' ');
                out.put_slice(name.as_str().as_bytes());
                out.put_u8(b' ');
                out.put_slice(digest.expose().as_bytes());
            }
            Command::List(Some(n))
            | Command::Uidl(Some(n))
            | Command::Retr(n)
            | Command::Dele(n) => {
                put_number(out, u64::from(n.get()));
            }
            Command::Top { msg, lines } => {
                put_number(out, u64::from(msg.get()));
                put_number(out, u64::from(*lines));
            }
            Command::Auth {
                mechanism,
                initial_response,
            } => {
                out.put_u8(b' ');
                out.put_slice(mechanism.name().as_bytes());
                if let Some(response) = initial_response {
                    out.put_u8(b' ');
                    if response.expose().is_empty() {
                        out.put_u8(b'=');
                    } else {
                        let encoded = Secret::new(postwire_sasl::encode_base64(response.expose()));
                        out.put_slice(encoded.expose().as_bytes());
                    }
                }
            }
            Command::Lang(Some(range)) => {
                out.put_u8(b' ');
                out.put_slice(range.as_str().as_bytes());
            }
            Command::List(None)
            | Command::Lang(None)
            | Command::Uidl(None)
            | Command::Stat
            | Command::Noop
            | Command::Rset
            | Command::Quit
            | Command::Capa
            | Command::Stls
            | Command::Utf8 => {}
        }
        out.put_slice(b"\r\n");
    }
}

fn put_number(out: &mut BytesMut, n: u64) {
    out.put_u8(b' ');
    out.put_slice(n.to_string().as_bytes());
}

fn validate_password(password: &[u8]) -> Result<(), ParseError> {
    if password.is_empty() {
        return Err(ParseError::new(ParseErrorKind::Syntax));
    }
    if memchr::memchr3(0, b'\r', b'\n', password).is_some() {
        return Err(ParseError::new(ParseErrorKind::ControlCharacter));
    }
    Ok(())
}

fn required(args: Option<&[u8]>) -> Result<&[u8], ParseError> {
    match args.map(trim_end) {
        Some(args) if !args.is_empty() => Ok(args),
        _ => Err(ParseError::new(ParseErrorKind::Syntax)),
    }
}

fn trim_end(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1);
    &bytes[..end]
}

fn no_args(args: Option<&[u8]>, command: Command) -> Result<Command, ParseError> {
    match args.map(trim_end) {
        None | Some([]) => Ok(command),
        Some(_) => Err(ParseError::new(ParseErrorKind::Syntax)),
    }
}

/// `msg`: one message number, nothing else.
fn msg(args: &[u8]) -> Result<MessageNumber, ParseError> {
    MessageNumber::parse(args)
}

fn optional_msg(args: Option<&[u8]>) -> Result<Option<MessageNumber>, ParseError> {
    match args.map(trim_end) {
        None | Some([]) => Ok(None),
        Some(args) => msg(args).map(Some),
    }
}

/// `TOP msg n` (RFC 1939 §7): `n` may be 0.
fn top(args: &[u8]) -> Result<Command, ParseError> {
    let mut words = args.split(|&b| b == b' ').filter(|w| !w.is_empty());
    let (Some(m), Some(n), None) = (words.next(), words.next(), words.next()) else {
        return Err(ParseError::new(ParseErrorKind::Syntax));
    };
    let msg = MessageNumber::parse(m)?;
    let lines = parse_u32(n).ok_or(ParseErrorKind::Syntax)?;
    Ok(Command::Top { msg, lines })
}

fn argument(args: &[u8]) -> Result<Argument, ParseError> {
    let text = std::str::from_utf8(args).map_err(|_| ParseErrorKind::Utf8)?;
    Argument::new(text)
}

/// `APOP name digest` (RFC 1939 §7): the digest is the last word.
fn apop(args: &[u8]) -> Result<Command, ParseError> {
    let space = memchr::memrchr(b' ', args).ok_or(ParseErrorKind::Syntax)?;
    let name = argument(&args[..space])?;
    let digest = std::str::from_utf8(&args[space + 1..]).map_err(|_| ParseErrorKind::Apop)?;
    Ok(Command::Apop {
        name,
        digest: ApopDigest::new(digest)?,
    })
}

/// `AUTH mechanism [initial-response]` (RFC 5034 §4), where
/// `initial-response = base64 / "="`.
fn auth(args: &[u8]) -> Result<Command, ParseError> {
    let (name, rest) = match memchr::memchr(b' ', args) {
        Some(i) => (&args[..i], Some(&args[i + 1..])),
        None => (args, None),
    };
    let name = std::str::from_utf8(name).map_err(|_| ParseErrorKind::Syntax)?;
    let mechanism = Mechanism::from_name(name).map_err(|_| ParseErrorKind::Syntax)?;
    let initial_response = match rest {
        None => None,
        Some(b"=") => Some(Secret::new(Vec::new())),
        Some(encoded) => Some(Secret::new(
            postwire_sasl::decode_base64(encoded).map_err(|_| ParseErrorKind::Base64)?,
        )),
    };
    Ok(Command::Auth {
        mechanism,
        initial_response,
    })
}

/// A client's line during an AUTH exchange (RFC 5034 §4): base64 data, or
/// `*` to cancel.
///
/// `Debug` hides the data (SECURITY.md A4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthResponse {
    /// The decoded response (empty for an empty line).
    Data(Secret<Vec<u8>>),
    /// `*`: the client cancels the exchange.
    Cancel,
}

impl AuthResponse {
    /// Parses one response line without its CRLF: `*`, or strict base64
    /// (an empty line is an empty response).
    pub fn parse(line: &[u8]) -> Result<Self, ParseError> {
        if line == b"*" {
            return Ok(AuthResponse::Cancel);
        }
        postwire_sasl::decode_base64(line)
            .map(|d| AuthResponse::Data(Secret::new(d)))
            .map_err(|_| ParseError::new(ParseErrorKind::Base64))
    }

    /// Appends the response line, CRLF included.
    pub fn encode(&self, out: &mut BytesMut) {
        match self {
            AuthResponse::Cancel => out.put_slice(b"*"),
            AuthResponse::Data(data) => {
                let encoded = Secret::new(postwire_sasl::encode_base64(data.expose()));
                out.put_slice(encoded.expose().as_bytes());
            }
        }
        out.put_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(x: u32) -> MessageNumber {
        MessageNumber::new(x).unwrap()
    }

    fn wire(command: &Command) -> Vec<u8> {
        let mut out = BytesMut::new();
        command.encode(&mut out);
        out.to_vec()
    }

    #[test]
    fn known_answers_rfc1939() {
        let table: Vec<(&[u8], Command)> = vec![
            (
                b"USER mrose",
                Command::User(Argument::new("mrose").unwrap()),
            ),
            (
                b"user mrose  ",
                Command::User(Argument::new("mrose").unwrap()),
            ),
            (b"PASS secret pass ", Command::pass("secret pass ").unwrap()),
            (
                b"APOP mrose c4c9334bac560ecc979e58001b3e22fb",
                Command::Apop {
                    name: Argument::new("mrose").unwrap(),
                    digest: ApopDigest::new("c4c9334bac560ecc979e58001b3e22fb").unwrap(),
                },
            ),
            (b"STAT", Command::Stat),
            (b"stat ", Command::Stat),
            (b"LIST", Command::List(None)),
            (b"LIST 2", Command::List(Some(n(2)))),
            (b"RETR 1", Command::Retr(n(1))),
            (b"DELE 1", Command::Dele(n(1))),
            (b"NOOP", Command::Noop),
            (b"RSET", Command::Rset),
            (b"QUIT", Command::Quit),
            (
                b"TOP 1 10",
                Command::Top {
                    msg: n(1),
                    lines: 10,
                },
            ),
            (
                b"TOP 1  0",
                Command::Top {
                    msg: n(1),
                    lines: 0,
                },
            ),
            (b"UIDL", Command::Uidl(None)),
            (b"UIDL 2", Command::Uidl(Some(n(2)))),
            (b"CAPA", Command::Capa),
            (b"STLS", Command::Stls),
            (b"UTF8", Command::Utf8),
            (
                b"AUTH PLAIN",
                Command::Auth {
                    mechanism: Mechanism::Plain,
                    initial_response: None,
                },
            ),
            (
                b"AUTH plain =",
                Command::Auth {
                    mechanism: Mechanism::Plain,
                    initial_response: Some(Secret::new(Vec::new())),
                },
            ),
            (
                b"AUTH PLAIN AHRlc3QAdGVzdA==",
                Command::Auth {
                    mechanism: Mechanism::Plain,
                    initial_response: Some(Secret::new(b"\0test\0test".to_vec())),
                },
            ),
        ];
        for (line, expected) in table {
            assert_eq!(Command::parse(line).as_ref(), Ok(&expected), "{line:?}");
            let encoded = wire(&expected);
            assert_eq!(
                Command::parse(&encoded[..encoded.len() - 2]).as_ref(),
                Ok(&expected)
            );
        }
    }

    #[test]
    fn malformed_commands_are_refused() {
        let table: &[(&[u8], ParseErrorKind)] = &[
            (b"", ParseErrorKind::UnknownCommand),
            (b"HELO x", ParseErrorKind::UnknownCommand),
            (b"RETRIEVE 1", ParseErrorKind::UnknownCommand),
            (b"RETR", ParseErrorKind::Syntax),
            (b"RETR 0", ParseErrorKind::MessageNumber),
            (b"RETR x", ParseErrorKind::MessageNumber),
            (b"RETR 1 2", ParseErrorKind::MessageNumber),
            (b"STAT 1", ParseErrorKind::Syntax),
            (b"TOP 1", ParseErrorKind::Syntax),
            (b"TOP 1 x", ParseErrorKind::Syntax),
            (b"PASS", ParseErrorKind::Syntax),
            (b"PASS ", ParseErrorKind::Syntax),
            (b"PASS a\0b", ParseErrorKind::ControlCharacter),
            (b"USER a\rb", ParseErrorKind::ControlCharacter),
            (b"USER \xff", ParseErrorKind::Utf8),
            (b"APOP mrose", ParseErrorKind::Syntax),
            (b"APOP mrose abc", ParseErrorKind::Apop),
            (b"AUTH", ParseErrorKind::Syntax),
            (b"AUTH PLAIN !!", ParseErrorKind::Base64),
            (b"AUTH PL AIN x", ParseErrorKind::Base64),
        ];
        for (line, kind) in table {
            assert_eq!(
                Command::parse(line).map_err(|e| e.kind),
                Err(*kind),
                "{line:?}"
            );
        }
    }

    #[test]
    fn debug_hides_credentials_a4() {
        for command in [
            Command::pass("hunter2").unwrap(),
            Command::Apop {
                name: Argument::new("mrose").unwrap(),
                digest: ApopDigest::new("c4c9334bac560ecc979e58001b3e22fb").unwrap(),
            },
            Command::Auth {
                mechanism: Mechanism::Plain,
                initial_response: Some(Secret::new(b"\0u\0hunter2".to_vec())),
            },
        ] {
            let shown = format!("{command:?}");
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(!shown.contains("c4c9334b"), "{shown}");
        }
        let shown = format!("{:?}", AuthResponse::Data(Secret::new(b"hunter2".to_vec())));
        assert!(!shown.contains("hunter2"));
    }

    #[test]
    fn auth_responses_rfc5034_4() {
        assert_eq!(AuthResponse::parse(b"*"), Ok(AuthResponse::Cancel));
        assert_eq!(
            AuthResponse::parse(b""),
            Ok(AuthResponse::Data(Secret::new(Vec::new())))
        );
        assert_eq!(
            AuthResponse::parse(b"dGVzdA=="),
            Ok(AuthResponse::Data(Secret::new(b"test".to_vec())))
        );
        assert!(AuthResponse::parse(b"dGVzdA").is_err());
        let mut out = BytesMut::new();
        AuthResponse::Cancel.encode(&mut out);
        AuthResponse::Data(Secret::new(b"test".to_vec())).encode(&mut out);
        assert_eq!(&out[..], b"*\r\ndGVzdA==\r\n");
    }
}
