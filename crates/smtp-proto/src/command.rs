//! SMTP commands (RFC 5321 §4.1.1 and the extensions): types, parser, encoder.

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::BytesMut;
use postwire_core::Secret;

use crate::grammar::{finish, parse_u64, strip_prefix_ignore_case, utf8};
use crate::mailbox::host;
use crate::mailbox::{forward_path, reverse_path};
use crate::{
    ForwardPath, Host, MailParameters, Mailbox, ParseError, ParseErrorKind, RcptParameters,
    ReversePath,
};

/// The argument of HELO, EHLO and LHLO: a domain or an address literal
/// (RFC 5321 §4.1.1.1). HELO takes a domain only, but real clients send
/// literals too; the parser accepts both.
pub type ClientId = Host;

/// A SASL mechanism name: 1 to 20 of `A-Z 0-9 - _` (RFC 4422 §3.1), kept
/// uppercase.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MechanismName(String);

impl MechanismName {
    /// Validates and uppercases a mechanism name:
    /// `sasl-mech = 1*20mech-char`, `mech-char = UPALPHA / DIGIT / HYPHEN /
    /// UNDERSCORE` (RFC 4422 §3.1); lowercase letters are accepted and
    /// uppercased, as mechanism names are case-insensitive in SMTP.
    pub fn new(name: &str) -> Result<Self, ParseError> {
        let ok = (1..=20).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            return Err(ParseError::new(ParseErrorKind::Syntax));
        }
        Ok(Self(name.to_ascii_uppercase()))
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
    /// Validates an argument: not empty, no control character other than
    /// HTAB, and no trailing space (the parser drops trailing spaces, so
    /// one could not survive a round trip).
    pub fn new(text: impl Into<String>) -> Result<Self, ParseError> {
        let text = text.into();
        if text.is_empty() || text.ends_with(' ') {
            return Err(ParseError::new(ParseErrorKind::Syntax));
        }
        if text.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
            return Err(ParseError::new(ParseErrorKind::ControlCharacter));
        }
        Ok(Self(text))
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
    ///
    /// Errors: NUL, CR or LF anywhere is `ControlCharacter` (SMTP smuggling
    /// and NUL truncation, RFC 5321 §2.3.8); invalid UTF-8 is `Utf8`; an
    /// unknown verb is `UnknownCommand`; bad arguments are `Syntax`, `Path`,
    /// `PathTooLong`, `Parameter`, `Xtext` or `Base64`.
    ///
    /// Leniencies, as Postfix has them: trailing spaces are ignored, one
    /// space after `FROM:` / `TO:` is allowed (`MAIL FROM: <a@b>`), and
    /// parameters may be separated by more than one space.
    pub fn parse(line: &[u8]) -> Result<Self, ParseError> {
        // The fast path hands every line it does not take, and every error,
        // to `parse_full`.
        fast::command(line)
    }

    /// The full grammar: every command, every error.
    fn parse_full(line: &[u8]) -> Result<Self, ParseError> {
        // No rule accepts NUL, CR or LF, so a line that parses holds none;
        // the scan for them runs only to name the error of one that fails.
        Self::parse_grammar(line).map_err(|e| {
            if memchr::memchr3(0, b'\r', b'\n', line).is_some() {
                ParseError::new(ParseErrorKind::ControlCharacter)
            } else {
                e
            }
        })
    }

    fn parse_grammar(line: &[u8]) -> Result<Self, ParseError> {
        // One UTF-8 check for the whole line; the rules below split it
        // only at ASCII bytes.
        let line = utf8(line)?.trim_end_matches(' ');
        // Verbs have 4 or 8 letters: look for the space among the first 9
        // bytes only.
        let space = line.bytes().take(9).position(|b| b == b' ');
        let (verb, args) = match space.and_then(|i| Some((line.get(..i)?, line.get(i + 1..)?))) {
            Some((verb, args)) => (verb, Some(args)),
            None => (line, None),
        };
        match *verb.as_bytes() {
            [a, b, c, d] => match [
                a.to_ascii_uppercase(),
                b.to_ascii_uppercase(),
                c.to_ascii_uppercase(),
                d.to_ascii_uppercase(),
            ] {
                [b'M', b'A', b'I', b'L'] => mail(required(args)?),
                [b'R', b'C', b'P', b'T'] => rcpt(required(args)?),
                [b'E', b'H', b'L', b'O'] => client_id(args).map(Command::Ehlo),
                [b'H', b'E', b'L', b'O'] => client_id(args).map(Command::Helo),
                [b'L', b'H', b'L', b'O'] => client_id(args).map(Command::Lhlo),
                [b'D', b'A', b'T', b'A'] => no_args(args, Command::Data),
                [b'B', b'D', b'A', b'T'] => bdat(required(args)?),
                [b'R', b'S', b'E', b'T'] => no_args(args, Command::Rset),
                [b'Q', b'U', b'I', b'T'] => no_args(args, Command::Quit),
                [b'N', b'O', b'O', b'P'] => optional_argument(args).map(Command::Noop),
                [b'H', b'E', b'L', b'P'] => optional_argument(args).map(Command::Help),
                [b'V', b'R', b'F', b'Y'] => argument(required(args)?).map(Command::Vrfy),
                [b'E', b'X', b'P', b'N'] => argument(required(args)?).map(Command::Expn),
                [b'A', b'U', b'T', b'H'] => auth(required(args)?),
                _ => Err(ParseError::new(ParseErrorKind::UnknownCommand)),
            },
            _ if verb.eq_ignore_ascii_case("STARTTLS") => no_args(args, Command::StartTls),
            _ => Err(ParseError::new(ParseErrorKind::UnknownCommand)),
        }
    }

    /// Appends the command line, CRLF included. Never fails: every field was
    /// validated when it was built. Verbs and `FROM:` / `TO:` are written
    /// uppercase, parameters in their canonical form.
    pub fn encode(&self, out: &mut BytesMut) {
        match self {
            Command::Helo(h) | Command::Ehlo(h) | Command::Lhlo(h) => {
                out.extend_from_slice(self.verb().as_bytes());
                out.extend_from_slice(b" ");
                write_host(h, out);
            }
            Command::Mail { from, params } => {
                out.extend_from_slice(b"MAIL FROM:");
                match from {
                    ReversePath::Null => out.extend_from_slice(b"<>"),
                    ReversePath::Mailbox(m) => write_path(m, out),
                }
                let mark = out.len();
                out.extend_from_slice(b" ");
                params.encode(out);
                if out.len() == mark + 1 {
                    out.truncate(mark);
                }
            }
            Command::Rcpt { to, params } => {
                out.extend_from_slice(b"RCPT TO:");
                match to {
                    ForwardPath::Postmaster => out.extend_from_slice(b"<Postmaster>"),
                    ForwardPath::Mailbox(m) => write_path(m, out),
                }
                let mark = out.len();
                out.extend_from_slice(b" ");
                params.encode(out);
                if out.len() == mark + 1 {
                    out.truncate(mark);
                }
            }
            Command::Bdat { size, last } => {
                let _ = write!(out, "BDAT {size}");
                if *last {
                    out.extend_from_slice(b" LAST");
                }
            }
            Command::Vrfy(a) | Command::Expn(a) => {
                out.extend_from_slice(self.verb().as_bytes());
                out.extend_from_slice(b" ");
                out.extend_from_slice(a.0.as_bytes());
            }
            Command::Help(a) | Command::Noop(a) => {
                out.extend_from_slice(self.verb().as_bytes());
                if let Some(a) = a {
                    out.extend_from_slice(b" ");
                    out.extend_from_slice(a.0.as_bytes());
                }
            }
            Command::Auth {
                mechanism,
                initial_response,
            } => {
                out.extend_from_slice(b"AUTH ");
                out.extend_from_slice(mechanism.0.as_bytes());
                if let Some(r) = initial_response {
                    out.extend_from_slice(b" ");
                    write_base64(r.expose(), true, out);
                }
            }
            Command::Data | Command::Rset | Command::Quit | Command::StartTls => {
                out.extend_from_slice(self.verb().as_bytes());
            }
        }
        out.extend_from_slice(b"\r\n");
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
    /// Parses one line of the exchange, without its CRLF: `*` cancels,
    /// anything else is strict base64 (padding required). An empty line is
    /// an empty response (RFC 4954 §4); `=` is accepted as one too, since
    /// clients carry the initial-response convention over.
    pub fn parse(line: &[u8]) -> Result<Self, ParseError> {
        match line {
            b"*" => Ok(AuthResponse::Cancel),
            b"" | b"=" => Ok(AuthResponse::Data(Secret::new(Vec::new()))),
            _ => decode_base64(line).map(AuthResponse::Data),
        }
    }

    /// Appends the line, CRLF included. An empty response is an empty line
    /// (RFC 4954 §4).
    pub fn encode(&self, out: &mut BytesMut) {
        match self {
            AuthResponse::Cancel => out.extend_from_slice(b"*"),
            AuthResponse::Data(d) => write_base64(d.expose(), false, out),
        }
        out.extend_from_slice(b"\r\n");
    }
}

// ---------------------------------------------------------------------------
// Grammar of the arguments (RFC 5321 §4.1.1, RFC 3030 §2, RFC 4954 §4).

/// The arguments of a verb that needs some.
fn required(args: Option<&str>) -> Result<&str, ParseError> {
    match args {
        Some(a) if !a.is_empty() => Ok(a),
        _ => Err(ParseError::new(ParseErrorKind::Syntax)),
    }
}

/// A verb without arguments (`data = "DATA" CRLF`, `rset`, `quit`,
/// `"STARTTLS" CRLF`).
fn no_args(args: Option<&str>, command: Command) -> Result<Command, ParseError> {
    match args {
        None => Ok(command),
        Some(_) => Err(ParseError::new(ParseErrorKind::Syntax)),
    }
}

/// `ehlo = "EHLO" SP ( Domain / address-literal ) CRLF`,
/// `helo = "HELO" SP Domain CRLF` (RFC 5321 §4.1.1.1; literals accepted
/// for HELO too), `"LHLO" SP ...` (RFC 2033 §4.1).
fn client_id(args: Option<&str>) -> Result<Host, ParseError> {
    let args = required(args)?;
    let h = finish(args, host, ParseErrorKind::Path)?;
    if matches!(&h, Host::Domain(d) if d.as_str().len() > crate::MAX_DOMAIN) {
        return Err(ParseError::new(ParseErrorKind::PathTooLong));
    }
    Ok(h)
}

/// `String = Atom / Quoted-string` of VRFY and EXPN (RFC 5321 §4.1.1.6),
/// taken as free text as servers do.
fn argument(args: &str) -> Result<Argument, ParseError> {
    Argument::new(args)
}

/// `[ SP String ]` of HELP and NOOP (RFC 5321 §4.1.1.8, §4.1.1.9).
fn optional_argument(args: Option<&str>) -> Result<Option<Argument>, ParseError> {
    match args {
        None | Some("") => Ok(None),
        Some(a) => argument(a).map(Some),
    }
}

/// Maps a path rule's error: a hard failure keeps its kind, a mismatch is
/// `Path`.
fn path_error(e: nom::Err<ParseError>) -> ParseError {
    match e {
        nom::Err::Failure(e) => e,
        _ => ParseError::new(ParseErrorKind::Path),
    }
}

/// `"FROM:"` / `"TO:"` (case-insensitive), then one optional space.
fn keyword_colon<'a>(args: &'a str, keyword: &'static str) -> Result<&'a str, ParseError> {
    let rest =
        strip_prefix_ignore_case(args, keyword).ok_or(ParseError::new(ParseErrorKind::Syntax))?;
    Ok(rest.strip_prefix(' ').unwrap_or(rest))
}

/// What follows a path: nothing, or `SP` and parameters.
fn after_path(rest: &str) -> Result<&str, ParseError> {
    if rest.is_empty() {
        return Ok(rest);
    }
    rest.strip_prefix(' ')
        .ok_or(ParseError::new(ParseErrorKind::Path))
}

/// `mail = "MAIL FROM:" Reverse-path [SP Mail-parameters] CRLF`
/// (RFC 5321 §4.1.1.2).
fn mail(args: &str) -> Result<Command, ParseError> {
    let rest = keyword_colon(args, "FROM:")?;
    let (rest, from) = reverse_path(rest).map_err(path_error)?;
    let params = MailParameters::parse_bytes(after_path(rest)?.as_bytes())?;
    Ok(Command::Mail { from, params })
}

/// `rcpt = "RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" /
/// Forward-path ) [SP Rcpt-parameters] CRLF` (RFC 5321 §4.1.1.3).
fn rcpt(args: &str) -> Result<Command, ParseError> {
    let rest = keyword_colon(args, "TO:")?;
    let (rest, to) = forward_path(rest).map_err(path_error)?;
    let params = RcptParameters::parse_bytes(after_path(rest)?.as_bytes())?;
    Ok(Command::Rcpt { to, params })
}

/// `bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ] CRLF`,
/// `chunk-size = 1*DIGIT`, `end-marker = "LAST"` (RFC 3030 §2).
fn bdat(args: &str) -> Result<Command, ParseError> {
    let syntax = ParseError::new(ParseErrorKind::Syntax);
    let (size, last) = match args.split_once(' ') {
        None => (args, false),
        Some((size, marker)) if marker.eq_ignore_ascii_case("LAST") => (size, true),
        Some(_) => return Err(syntax),
    };
    let size = parse_u64(size.as_bytes()).ok_or(syntax)?;
    Ok(Command::Bdat { size, last })
}

/// `auth-command = "AUTH" SP sasl-mech [SP initial-response]`,
/// `initial-response = base64 / "="` (RFC 4954 §4).
fn auth(args: &str) -> Result<Command, ParseError> {
    let (mech, response) = match args.split_once(' ') {
        None => (args, None),
        Some((mech, response)) => (mech, Some(response)),
    };
    let mechanism = MechanismName::new(mech)?;
    let initial_response = match response {
        None => None,
        Some("=") => Some(Secret::new(Vec::new())),
        Some("") => return Err(ParseError::new(ParseErrorKind::Syntax)),
        Some(r) => Some(decode_base64(r.as_bytes())?),
    };
    Ok(Command::Auth {
        mechanism,
        initial_response,
    })
}

/// Strict base64 (RFC 4648 §4, padding required), decoded straight into a
/// [`Secret`].
fn decode_base64(text: &[u8]) -> Result<Secret<Vec<u8>>, ParseError> {
    BASE64
        .decode(text)
        .map(Secret::new)
        .map_err(|_| ParseError::new(ParseErrorKind::Base64))
}

/// Base64 of `data`; empty data is `=` where it is an initial response
/// (RFC 4954 §4) and nothing otherwise.
fn write_base64(data: &[u8], initial: bool, out: &mut BytesMut) {
    if data.is_empty() {
        if initial {
            out.extend_from_slice(b"=");
        }
        return;
    }
    let start = out.len();
    out.resize(
        start + base64::encoded_len(data.len(), true).unwrap_or(0),
        0,
    );
    let n = BASE64.encode_slice(data, &mut out[start..]).unwrap_or(0);
    out.truncate(start + n);
}

/// A domain or an address literal as on the wire.
fn write_host(host: &Host, out: &mut BytesMut) {
    match host {
        Host::Domain(d) => out.extend_from_slice(d.as_str().as_bytes()),
        Host::Literal(l) => {
            let _ = write!(out, "{l}");
        }
    }
}

/// `"<" Mailbox ">"`.
fn write_path(m: &Mailbox, out: &mut BytesMut) {
    out.extend_from_slice(b"<");
    out.extend_from_slice(m.local_part.as_str().as_bytes());
    out.extend_from_slice(b"@");
    write_host(&m.host, out);
    out.extend_from_slice(b">");
}

/// The fast path of [`Command::parse`]: the commands that make up nearly
/// all of a busy server's input (MAIL and RCPT with ASCII dot-atom
/// mailboxes and parameters, EHLO/HELO/LHLO with an ASCII domain, DATA,
/// RSET, QUIT, NOOP), matched in one pass over the bytes with table
/// lookups and no allocation.
///
/// It returns `None` whenever anything is unusual (quoted local parts,
/// address literals, source routes, UTF-8, length limits reached, any
/// error), and the full grammar then decides and names the error. So it
/// only ever returns what [`Command::parse_full`] would; the tests check
/// that on generated lines.
mod fast {
    use super::*;
    use crate::grammar::{is_ascii_atext, is_ascii_ldh, strip_prefix_ignore_case_bytes};
    use crate::{Domain, LocalPart, MAX_DOMAIN, MAX_LOCAL_PART, MAX_PATH};

    /// The first four bytes of a verb, ASCII lowercased (`| 0x20` maps
    /// exactly the upper and lower case of a letter onto the lower case).
    const fn verb(name: &[u8; 4]) -> u32 {
        u32::from_le_bytes(*name) | 0x2020_2020
    }

    const MAIL: u32 = verb(b"mail");
    const RCPT: u32 = verb(b"rcpt");
    const EHLO: u32 = verb(b"ehlo");
    const HELO: u32 = verb(b"helo");
    const LHLO: u32 = verb(b"lhlo");
    const DATA: u32 = verb(b"data");
    const RSET: u32 = verb(b"rset");
    const QUIT: u32 = verb(b"quit");
    const NOOP: u32 = verb(b"noop");

    /// The command, from the fast path when it applies, else from
    /// [`Command::parse_full`]. Built in place in the result (a `Command`
    /// is large; moving it between an `Option` and a `Result` costs a copy
    /// per line).
    #[inline]
    pub(super) fn command(line: &[u8]) -> Result<Command, ParseError> {
        let mut end = line.len();
        while end > 0 && line[end - 1] == b' ' {
            end -= 1;
        }
        let Some((name, rest)) = line[..end].split_first_chunk::<4>() else {
            return Command::parse_full(line);
        };
        let args = match rest {
            [] => None,
            [b' ', args @ ..] => Some(args),
            _ => return Command::parse_full(line),
        };
        let host = |args| match domain(args) {
            Some(host) => Ok(host),
            None => Err(()),
        };
        let fast = match (u32::from_le_bytes(*name) | 0x2020_2020, args) {
            (MAIL, Some(args)) => {
                return mail(args).ok_or(()).or_else(|()| Command::parse_full(line));
            }
            (RCPT, Some(args)) => {
                return rcpt(args).ok_or(()).or_else(|()| Command::parse_full(line));
            }
            (DATA, None) => Ok(Command::Data),
            (RSET, None) => Ok(Command::Rset),
            (NOOP, None) => Ok(Command::Noop(None)),
            (QUIT, None) => Ok(Command::Quit),
            (EHLO, Some(args)) => host(args).map(Command::Ehlo),
            (HELO, Some(args)) => host(args).map(Command::Helo),
            (LHLO, Some(args)) => host(args).map(Command::Lhlo),
            _ => Err(()),
        };
        fast.or_else(|()| Command::parse_full(line))
    }

    /// [`command`] without the fallback, for the tests.
    #[cfg(test)]
    pub(super) fn fast_only(line: &[u8]) -> Option<Command> {
        let mut end = line.len();
        while end > 0 && line[end - 1] == b' ' {
            end -= 1;
        }
        let (name, rest) = line[..end].split_first_chunk::<4>()?;
        let args = match rest {
            [] => None,
            [b' ', args @ ..] => Some(args),
            _ => return None,
        };
        match (u32::from_le_bytes(*name) | 0x2020_2020, args) {
            (MAIL, Some(args)) => mail(args),
            (RCPT, Some(args)) => rcpt(args),
            (DATA, None) => Some(Command::Data),
            (RSET, None) => Some(Command::Rset),
            (NOOP, None) => Some(Command::Noop(None)),
            (QUIT, None) => Some(Command::Quit),
            (EHLO, Some(args)) => domain(args).map(Command::Ehlo),
            (HELO, Some(args)) => domain(args).map(Command::Helo),
            (LHLO, Some(args)) => domain(args).map(Command::Lhlo),
            _ => None,
        }
    }

    /// `"MAIL FROM:" Reverse-path [SP Mail-parameters]` after the verb.
    #[inline(always)]
    fn mail(args: &[u8]) -> Option<Command> {
        let rest = strip_prefix_ignore_case_bytes(args, b"from:")?;
        let rest = rest.strip_prefix(b" ").unwrap_or(rest);
        let (from, rest) = match rest.strip_prefix(b"<>") {
            Some(rest) => (ReversePath::Null, rest),
            None => {
                let (mailbox, rest) = path(rest)?;
                (ReversePath::Mailbox(mailbox), rest)
            }
        };
        let params = match parameters(rest)? {
            [] => MailParameters::default(),
            params => MailParameters::parse_bytes(params).ok()?,
        };
        Some(Command::Mail { from, params })
    }

    /// `"RCPT TO:" ( "<Postmaster>" / Forward-path ) [SP Rcpt-parameters]`
    /// after the verb.
    #[inline(always)]
    fn rcpt(args: &[u8]) -> Option<Command> {
        let rest = strip_prefix_ignore_case_bytes(args, b"to:")?;
        let rest = rest.strip_prefix(b" ").unwrap_or(rest);
        let (to, rest) = match strip_prefix_ignore_case_bytes(rest, b"<postmaster>") {
            Some(rest) => (ForwardPath::Postmaster, rest),
            None => {
                let (mailbox, rest) = path(rest)?;
                (ForwardPath::Mailbox(mailbox), rest)
            }
        };
        let params = match parameters(rest)? {
            [] => RcptParameters::default(),
            params => RcptParameters::parse_bytes(params).ok()?,
        };
        Some(Command::Rcpt { to, params })
    }

    /// What follows a path: nothing, or SP and ASCII parameters.
    fn parameters(rest: &[u8]) -> Option<&[u8]> {
        match rest {
            [] => Some(rest),
            [b' ', params @ ..] if params.is_ascii() => Some(params),
            _ => None,
        }
    }

    /// `"<" Dot-string "@" Domain ">"`, ASCII, within the length limits.
    #[inline]
    fn path(input: &[u8]) -> Option<(Mailbox, &[u8])> {
        let inner = input.strip_prefix(b"<")?;
        let local = dot_string(inner)?;
        if inner.get(local) != Some(&b'@') {
            return None;
        }
        let host = inner.get(local + 1..)?;
        let domain = sub_domains(host)?;
        let rest = host.get(domain..)?.strip_prefix(b">")?;
        if local > MAX_LOCAL_PART || domain > MAX_DOMAIN || local + domain + 3 > MAX_PATH {
            return None;
        }
        // All ASCII, so this check cannot fail; it is the safe way to a str.
        let text = std::str::from_utf8(inner.get(..local + 1 + domain)?).ok()?;
        let (local_part, domain) = (text.get(..local)?, text.get(local + 1..)?);
        let mailbox = Mailbox {
            local_part: LocalPart::from_checked(local_part),
            host: Host::Domain(Domain::from_checked(domain)),
        };
        Some((mailbox, rest))
    }

    /// The argument of EHLO, HELO or LHLO when it is an ASCII domain.
    fn domain(args: &[u8]) -> Option<Host> {
        let len = sub_domains(args)?;
        if len != args.len() || len > MAX_DOMAIN {
            return None;
        }
        let text = std::str::from_utf8(args).ok()?;
        Some(Host::Domain(Domain::from_checked(text)))
    }

    /// `Dot-string = Atom *("." Atom)` of ASCII `atext` at the start of
    /// `input`: its length.
    fn dot_string(input: &[u8]) -> Option<usize> {
        let mut i = 0;
        loop {
            let atom = input.get(i..)?;
            let n = atom
                .iter()
                .position(|&b| !is_ascii_atext(b))
                .unwrap_or(atom.len());
            if n == 0 {
                return None;
            }
            i += n;
            if atom.get(n) != Some(&b'.') {
                return Some(i);
            }
            i += 1;
        }
    }

    /// `Domain = sub-domain *("." sub-domain)` of ASCII `Let-dig` and `-`,
    /// no label starting or ending with `-`, at the start of `input`: its
    /// length.
    fn sub_domains(input: &[u8]) -> Option<usize> {
        let mut i = 0;
        loop {
            let rest = input.get(i..)?;
            let n = rest
                .iter()
                .position(|&b| !is_ascii_ldh(b))
                .unwrap_or(rest.len());
            let label = &rest[..n];
            // Over-long labels (RFC 1035 §2.3.4) are left to the full
            // grammar, which refuses them in paths and not in EHLO.
            if label.first().is_none_or(|&b| b == b'-')
                || label.last() == Some(&b'-')
                || n > crate::mailbox::MAX_LABEL
            {
                return None;
            }
            i += n;
            if rest.get(n) != Some(&b'.') {
                return Some(i);
            }
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn fast_path_takes_the_usual_commands_rfc5321_4_1_1() {
        for line in [
            &b"EHLO client.example.com"[..],
            b"helo a-b.c",
            b"MAIL FROM:<sender.1@example.org> SIZE=12345 BODY=8BITMIME",
            b"mail from: <>",
            b"RCPT TO:<rcpt0.1@mail.example.net> NOTIFY=SUCCESS,FAILURE",
            b"RCPT TO:<Postmaster>",
            b"DATA",
            b"rset ",
            b"NOOP",
            b"QUIT",
        ] {
            let fast = fast::fast_only(line);
            assert!(fast.is_some(), "{:?}", String::from_utf8_lossy(line));
            assert_eq!(Command::parse_full(line).ok(), fast);
            assert_eq!(Command::parse(line).ok(), fast);
        }
        for line in [
            &b"RCPT TO:<\"a b\"@example.org>"[..],
            b"RCPT TO:<a@[192.0.2.1]>",
            b"RCPT TO:<@relay.example:a@example.org>",
            b"MAIL FROM:<a@b> SMTPUTF8 X=\xc3\xa9",
            b"RCPT TO:<a..b@example.org>",
            b"EHLO -a.example",
            b"NOOP hello",
            b"DATA x",
        ] {
            assert!(
                fast::fast_only(line).is_none(),
                "{:?}",
                String::from_utf8_lossy(line)
            );
        }
    }

    fn piece() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            Just(b"MAIL".to_vec()),
            Just(b"rcpt".to_vec()),
            Just(b"EHLO".to_vec()),
            Just(b"Helo".to_vec()),
            Just(b"LHLO".to_vec()),
            Just(b"DATA".to_vec()),
            Just(b"RSET".to_vec()),
            Just(b"noop".to_vec()),
            Just(b"QUIT".to_vec()),
            Just(b" ".to_vec()),
            Just(b"FROM:".to_vec()),
            Just(b"To:".to_vec()),
            Just(b"<".to_vec()),
            Just(b">".to_vec()),
            Just(b"<>".to_vec()),
            Just(b"<Postmaster>".to_vec()),
            Just(b"@".to_vec()),
            Just(b".".to_vec()),
            Just(b"-".to_vec()),
            Just(b"a".to_vec()),
            Just(b"Zz9".to_vec()),
            Just(b"x!#$%&'*+/=?^_`{|}~".to_vec()),
            Just(b"example.org".to_vec()),
            Just(b"SIZE=12".to_vec()),
            Just(b"BODY=8bitmime".to_vec()),
            Just(b"NOTIFY=success,FAILURE".to_vec()),
            Just(b"NOTIFY=DELAY,DELAY".to_vec()),
            Just(b"notify=NEVER".to_vec()),
            Just(b"NOTIFY=".to_vec()),
            Just(b"SUCCESS".to_vec()),
            Just(b",".to_vec()),
            Just(b"SIZE=".to_vec()),
            Just(b"size=99999999999999999999999".to_vec()),
            Just(b"BODY=7BIT".to_vec()),
            Just(b"Body=BinaryMIME".to_vec()),
            Just(b"BODY=8BITMIMEX".to_vec()),
            Just(b"ORCPT=rfc822;a+40b".to_vec()),
            Just(b"ENVID=x+2".to_vec()),
            Just(b"X-Y=z".to_vec()),
            Just(b"=".to_vec()),
            Just(b"[1.2.3.4]".to_vec()),
            Just(b"\"q\"".to_vec()),
            Just(vec![0xc3, 0xa9]),
            Just(vec![0xff]),
            Just(vec![0]),
            Just(vec![b'\r']),
            Just(vec![b'a'; 64]),
            Just(vec![b'b'; 200]),
            any::<u8>().prop_map(|b| vec![b]),
        ]
    }

    proptest! {
        /// The fast path never decides differently from the full grammar.
        #[test]
        fn fast_path_agrees_with_the_grammar(pieces in proptest::collection::vec(piece(), 0..14)) {
            let line = pieces.concat();
            prop_assert_eq!(Command::parse(&line), Command::parse_full(&line));
            if let Some(fast) = fast::fast_only(&line) {
                prop_assert_eq!(Command::parse_full(&line), Ok(fast));
            }
        }

        /// The same for well-formed MAIL and RCPT lines with random paths.
        #[test]
        fn fast_path_agrees_on_paths(
            verb in prop_oneof![Just("MAIL FROM:"), Just("RCPT TO:"), Just("mail from: ")],
            local in "[a-zA-Z0-9.!#-]{0,70}",
            domain in "[a-zA-Z0-9.-]{0,260}",
            params in prop_oneof![Just(""), Just(" SIZE=1"), Just(" NOTIFY=NEVER"), Just("  X=y ")],
        ) {
            let line = format!("{verb}<{local}@{domain}>{params}");
            prop_assert_eq!(Command::parse(line.as_bytes()), Command::parse_full(line.as_bytes()));
            if let Some(fast) = fast::fast_only(line.as_bytes()) {
                prop_assert_eq!(Command::parse_full(line.as_bytes()), Ok(fast));
            }
        }
    }
}
