//! Server responses: `+OK` / `-ERR`, an optional RFC 2449 §8 response code,
//! and text (RFC 1939 §3).

use bytes::{BufMut, BytesMut};

use crate::{ParseError, ParseErrorKind};

/// The status indicator (RFC 1939 §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// `+OK`.
    Ok,
    /// `-ERR`.
    Err,
}

/// An extended response code (RFC 2449 §8), in brackets after the status.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResponseCode {
    /// `[IN-USE]`: the maildrop is locked by another session (RFC 2449
    /// §8.1.1); try later.
    InUse,
    /// `[LOGIN-DELAY]`: logged in too recently (RFC 2449 §8.1.2).
    LoginDelay,
    /// `[SYS/TEMP]`: a temporary system problem, not the user's fault
    /// (RFC 3206 §4).
    SysTemp,
    /// `[SYS/PERM]`: a permanent system problem (RFC 3206 §4).
    SysPerm,
    /// `[AUTH]`: the credentials were wrong (RFC 3206 §5).
    Auth,
    /// `[UTF8]`: the command needs UTF-8 mode (RFC 6856 §2).
    Utf8,
    /// Any other code, as received: `resp-level *("/" resp-level)`, where a
    /// level is one or more printable ASCII characters other than `/` and
    /// `]` (RFC 2449 §8).
    Other(String),
}

impl ResponseCode {
    /// Parses the text between the brackets. Known codes are matched
    /// ignoring case.
    pub fn parse(inner: &str) -> Result<Self, ParseError> {
        let valid = !inner.is_empty()
            && inner.split('/').all(|level| {
                !level.is_empty()
                    && level
                        .bytes()
                        .all(|b| (0x21..=0x7e).contains(&b) && b != b']' && b != b'[')
            });
        if !valid {
            return Err(ParseError::new(ParseErrorKind::ResponseCode));
        }
        let known = [
            ("IN-USE", ResponseCode::InUse),
            ("LOGIN-DELAY", ResponseCode::LoginDelay),
            ("SYS/TEMP", ResponseCode::SysTemp),
            ("SYS/PERM", ResponseCode::SysPerm),
            ("AUTH", ResponseCode::Auth),
            ("UTF8", ResponseCode::Utf8),
        ];
        Ok(known
            .into_iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(inner))
            .map(|(_, code)| code)
            .unwrap_or_else(|| ResponseCode::Other(inner.to_owned())))
    }

    /// The code without brackets, as written on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            ResponseCode::InUse => "IN-USE",
            ResponseCode::LoginDelay => "LOGIN-DELAY",
            ResponseCode::SysTemp => "SYS/TEMP",
            ResponseCode::SysPerm => "SYS/PERM",
            ResponseCode::Auth => "AUTH",
            ResponseCode::Utf8 => "UTF8",
            ResponseCode::Other(other) => other,
        }
    }
}

impl std::fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}]", self.as_str())
    }
}

/// One status line: `+OK` or `-ERR`, an optional `[CODE]`, and text.
///
/// Text received from a server is human-readable and untrusted: invalid
/// UTF-8 is replaced (U+FFFD) and control characters other than tab become
/// spaces, so it is safe to display and always encodes back to the same
/// response.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Response {
    status: Status,
    code: Option<ResponseCode>,
    text: String,
}

impl Response {
    /// A response, if `text` can be written: no control character but tab,
    /// and, without a code, no leading `[...]` that would read back as one.
    pub fn new(
        status: Status,
        code: Option<ResponseCode>,
        text: impl Into<String>,
    ) -> Result<Self, ParseError> {
        let text = text.into();
        if text.chars().any(|c| c.is_control() && c != '\t') {
            return Err(ParseError::new(ParseErrorKind::ControlCharacter));
        }
        if text.starts_with(' ') || (code.is_none() && split_code(&text).is_some()) {
            return Err(ParseError::new(ParseErrorKind::ResponseCode));
        }
        Ok(Self { status, code, text })
    }

    /// `+OK text`.
    pub fn ok(text: impl Into<String>) -> Result<Self, ParseError> {
        Self::new(Status::Ok, None, text)
    }

    /// `-ERR text`.
    pub fn err(text: impl Into<String>) -> Result<Self, ParseError> {
        Self::new(Status::Err, None, text)
    }

    /// This response with a response code.
    pub fn with_code(mut self, code: ResponseCode) -> Self {
        self.code = Some(code);
        self
    }

    /// The status.
    pub fn status(&self) -> Status {
        self.status
    }

    /// Whether the status is `+OK`.
    pub fn is_ok(&self) -> bool {
        self.status == Status::Ok
    }

    /// The response code, if any.
    pub fn code(&self) -> Option<&ResponseCode> {
        self.code.as_ref()
    }

    /// The text after the status and code.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Parses one status line without its CRLF (RFC 1939 §3, RFC 2449 §8).
    /// The status keyword is matched ignoring case.
    pub fn parse(line: &[u8]) -> Result<Self, ParseError> {
        let (status, rest) = if starts_with_ignore_case(line, b"+OK") {
            (Status::Ok, &line[3..])
        } else if starts_with_ignore_case(line, b"-ERR") {
            (Status::Err, &line[4..])
        } else {
            return Err(ParseError::new(ParseErrorKind::Status));
        };
        let rest = match rest {
            [] => &[][..],
            [b' ', rest @ ..] => rest,
            _ => return Err(ParseError::new(ParseErrorKind::Status)),
        };
        let text = clean_text(rest);
        let (code, text) = match split_code(&text) {
            Some((code, after)) => (Some(code), after.to_owned()),
            None => (None, text.trim_start_matches(' ').to_owned()),
        };
        Ok(Self { status, code, text })
    }

    /// Appends the line, CRLF included.
    pub fn encode(&self, out: &mut BytesMut) {
        out.put_slice(match self.status {
            Status::Ok => b"+OK",
            Status::Err => b"-ERR",
        });
        if let Some(code) = &self.code {
            out.put_slice(b" [");
            out.put_slice(code.as_str().as_bytes());
            out.put_u8(b']');
        }
        if !self.text.is_empty() {
            out.put_u8(b' ');
            out.put_slice(self.text.as_bytes());
        }
        out.put_slice(b"\r\n");
    }
}

impl std::fmt::Display for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.status {
            Status::Ok => "+OK",
            Status::Err => "-ERR",
        })?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        if !self.text.is_empty() {
            write!(f, " {}", self.text)?;
        }
        Ok(())
    }
}

pub(crate) fn starts_with_ignore_case(line: &[u8], prefix: &[u8]) -> bool {
    line.len() >= prefix.len() && line[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// Server text as safe display text: lossy UTF-8, controls but tab to
/// spaces.
pub(crate) fn clean_text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .map(|c| if c.is_control() && c != '\t' { ' ' } else { c })
        .collect()
}

/// `"[" resp-code "]" [SP text]` at the start of `text`.
fn split_code(text: &str) -> Option<(ResponseCode, &str)> {
    let inner_and_rest = text.strip_prefix('[')?;
    let close = inner_and_rest.find(']')?;
    let code = ResponseCode::parse(&inner_and_rest[..close]).ok()?;
    let after = inner_and_rest[close + 1..].trim_start_matches(' ');
    Some((code, after))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(r: &Response) -> Vec<u8> {
        let mut out = BytesMut::new();
        r.encode(&mut out);
        out.to_vec()
    }

    #[test]
    fn status_lines_rfc1939_3() {
        let r = Response::parse(b"+OK POP3 server ready").unwrap();
        assert!(r.is_ok());
        assert_eq!(r.text(), "POP3 server ready");
        assert_eq!(r.code(), None);
        let r = Response::parse(b"-ERR").unwrap();
        assert_eq!(r.status(), Status::Err);
        assert_eq!(r.text(), "");
        assert!(Response::parse(b"+ok fine").unwrap().is_ok());
        for bad in [&b""[..], b"OK", b"+OKAY", b"-ERROR x", b"+ dGVzdA=="] {
            assert!(Response::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn response_codes_rfc2449_8() {
        let cases: &[(&[u8], Option<ResponseCode>, &str)] = &[
            (
                b"-ERR [IN-USE] Do you have another POP session running?",
                Some(ResponseCode::InUse),
                "Do you have another POP session running?",
            ),
            (
                b"-ERR [LOGIN-DELAY] wait",
                Some(ResponseCode::LoginDelay),
                "wait",
            ),
            (
                b"-ERR [SYS/TEMP] try later",
                Some(ResponseCode::SysTemp),
                "try later",
            ),
            (b"-ERR [SYS/PERM]", Some(ResponseCode::SysPerm), ""),
            (
                b"-ERR [AUTH] bad password",
                Some(ResponseCode::Auth),
                "bad password",
            ),
            (
                b"-ERR [utf8] need UTF8",
                Some(ResponseCode::Utf8),
                "need UTF8",
            ),
            (
                b"+OK [X-VENDOR/SUB] hi",
                Some(ResponseCode::Other("X-VENDOR/SUB".into())),
                "hi",
            ),
            (b"+OK [not a code] hi", None, "[not a code] hi"),
            (b"+OK [] hi", None, "[] hi"),
            (b"+OK [SYS//TEMP] hi", None, "[SYS//TEMP] hi"),
        ];
        for (line, code, text) in cases {
            let r = Response::parse(line).unwrap();
            assert_eq!(r.code(), code.as_ref(), "{line:?}");
            assert_eq!(r.text(), *text, "{line:?}");
            let wire = encoded(&r);
            assert_eq!(Response::parse(&wire[..wire.len() - 2]).unwrap(), r);
        }
    }

    #[test]
    fn constructors_refuse_injection() {
        assert!(Response::ok("fine\r\n+OK injected").is_err());
        assert!(Response::err("a\0b").is_err());
        assert!(Response::ok("[IN-USE] looks like a code").is_err());
        let r = Response::err("locked")
            .unwrap()
            .with_code(ResponseCode::InUse);
        assert_eq!(encoded(&r), b"-ERR [IN-USE] locked\r\n");
        assert_eq!(r.to_string(), "-ERR [IN-USE] locked");
        assert_eq!(encoded(&Response::ok("").unwrap()), b"+OK\r\n");
    }

    #[test]
    fn hostile_text_is_made_safe() {
        let r = Response::parse(b"+OK a\x1b[31mred\xff\rz").unwrap();
        assert_eq!(r.text(), "a [31mred\u{fffd} z");
    }
}
