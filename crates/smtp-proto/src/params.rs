//! MAIL and RCPT parameters (RFC 5321 §4.1.2 `Mail-parameters`), typed for
//! the extensions real servers use.

use crate::grammar::{
    PResult, consumed, eq_ignore_case, finish, is_ascii_ldh, is_esmtp_value_char, parse_u64,
    take_bytes, take_bytes1, utf8,
};
use crate::{Mailbox, ParseError, ParseErrorKind, xtext};
use bytes::BytesMut;

/// `BODY=` (RFC 6152 8BITMIME, RFC 3030 BINARYMIME).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Body {
    /// `7BIT`
    SevenBit,
    /// `8BITMIME`
    EightBitMime,
    /// `BINARYMIME` (requires BDAT).
    BinaryMime,
}

/// `RET=` of DSN (RFC 3461 §4.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ret {
    /// Return the full message in a DSN.
    Full,
    /// Return the headers only.
    Hdrs,
}

/// `NOTIFY=` of DSN (RFC 3461 §4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Notify {
    /// `NEVER`
    Never,
    /// Any non-empty combination of `SUCCESS`, `FAILURE`, `DELAY`.
    On {
        /// `SUCCESS`
        success: bool,
        /// `FAILURE`
        failure: bool,
        /// `DELAY`
        delay: bool,
    },
}

/// `ORCPT=addr-type;xtext` of DSN (RFC 3461 §4.2), xtext decoded.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OriginalRecipient {
    /// The address type, usually `rfc822` or `utf-8`.
    pub addr_type: String,
    /// The decoded address.
    pub address: String,
}

/// A parameter this crate does not type: keyword and optional value as sent.
/// Fields are private so that only validated values reach the encoder.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Parameter {
    keyword: String,
    value: Option<String>,
}

impl OriginalRecipient {
    /// A checked ORCPT value: `addr_type` is an atom (RFC 3461 §4.2), the
    /// address any text (it is xtext-encoded on the wire).
    pub fn new(addr_type: &str, address: impl Into<String>) -> Result<Self, ParseError> {
        if addr_type.is_empty() || !addr_type.bytes().all(is_addr_type_char) {
            return Err(ParseError::new(ParseErrorKind::Parameter));
        }
        Ok(Self {
            addr_type: addr_type.to_owned(),
            address: address.into(),
        })
    }
}

/// `addr-type = atom` (RFC 3461 §4.2), limited to what an `esmtp-value` may
/// hold (no `=`) and without the `;` that ends it.
fn is_addr_type_char(b: u8) -> bool {
    b.is_ascii() && crate::grammar::is_atext(b) && b != b'='
}

/// `BY=` of DELIVERBY (RFC 2852 §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DeliverBy {
    /// `by-time`: seconds from the message's arrival, `1*9digit` with a
    /// sign on the wire. Zero and negative values are only meaningful with
    /// mode `N` (RFC 2852 §4); that check belongs to the session.
    pub seconds: i64,
    /// `R` (return the message) or `N` (notify only).
    pub mode: DeliverByMode,
    /// The `T` trace modifier.
    pub trace: bool,
}

/// The mode letter of [`DeliverBy`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeliverByMode {
    /// `N`: notify the sender if the deadline passes.
    Notify,
    /// `R`: return the message if the deadline passes.
    Return,
}

/// `AUTH=` on MAIL FROM (RFC 4954 §5): the authenticated submitter, or `<>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AuthParameter {
    /// `AUTH=<>`: the submitter is unknown or not trusted.
    Unknown,
    /// The xtext-decoded mailbox.
    Mailbox(Mailbox),
}

/// The parameters of `MAIL FROM`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct MailParameters {
    /// `SIZE=` (RFC 1870): the declared message size.
    pub size: Option<u64>,
    /// `BODY=`.
    pub body: Option<Body>,
    /// `SMTPUTF8` (RFC 6531).
    pub smtputf8: bool,
    /// `RET=` (RFC 3461).
    pub ret: Option<Ret>,
    /// `ENVID=` (RFC 3461), xtext decoded.
    pub envid: Option<String>,
    /// `AUTH=` (RFC 4954).
    pub auth: Option<AuthParameter>,
    /// `REQUIRETLS` (RFC 8689).
    pub requiretls: bool,
    /// `BY=` (RFC 2852).
    pub by: Option<DeliverBy>,
    /// `MT-PRIORITY=` (RFC 6710), -9 to 9.
    pub mt_priority: Option<i8>,
    /// Every other parameter, in order.
    pub other: Vec<Parameter>,
}

/// The parameters of `RCPT TO`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct RcptParameters {
    /// `NOTIFY=` (RFC 3461).
    pub notify: Option<Notify>,
    /// `ORCPT=` (RFC 3461).
    pub orcpt: Option<OriginalRecipient>,
    /// Every other parameter, in order.
    pub other: Vec<Parameter>,
}

/// Checks an unknown parameter's keyword and value before encoding.
impl Parameter {
    /// Validates `esmtp-keyword` and `esmtp-value` (RFC 5321 §4.1.2).
    ///
    /// A keyword that this crate types (such as `SIZE`) is accepted too and
    /// sent as given; the peer then sees it next to the typed one.
    pub fn new(keyword: impl Into<String>, value: Option<String>) -> Result<Self, ParseError> {
        let keyword = keyword.into();
        finish(&keyword, esmtp_keyword, ParseErrorKind::Parameter)?;
        if let Some(v) = &value {
            finish(v, esmtp_value, ParseErrorKind::Parameter)?;
        }
        Ok(Self { keyword, value })
    }

    /// The keyword as sent.
    pub fn keyword(&self) -> &str {
        &self.keyword
    }

    /// The value as sent.
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }

    /// A parameter as matched by [`esmtp_param`]: its bytes are checked
    /// already, only UTF-8 is left (RFC 6531 allows it in values).
    fn from_raw(keyword: &[u8], value: Option<&[u8]>) -> Result<Self, ParseError> {
        Ok(Self {
            keyword: utf8(keyword)?.to_owned(),
            value: value.map(|v| utf8(v).map(str::to_owned)).transpose()?,
        })
    }

    fn encode(&self, out: &mut BytesMut) {
        out.extend_from_slice(self.keyword.as_bytes());
        if let Some(v) = &self.value {
            out.extend_from_slice(b"=");
            out.extend_from_slice(v.as_bytes());
        }
    }
}

impl MailParameters {
    /// No parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether no parameter is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Parses `Mail-parameters = esmtp-param *(SP esmtp-param)` (RFC 5321
    /// §4.1.2), the text after `MAIL FROM:<path> `. Empty input is no
    /// parameters. Keywords are case-insensitive; a typed keyword given
    /// twice is an error. More than one space between parameters is
    /// tolerated (Postfix does the same).
    pub fn parse(input: &[u8]) -> Result<Self, ParseError> {
        utf8(input)?;
        Self::parse_bytes(input)
    }

    /// [`MailParameters::parse`] without the UTF-8 check of the whole
    /// input: the caller checked it (a command line), or it is ASCII. Values
    /// kept as text are checked on their own.
    pub(crate) fn parse_bytes(input: &[u8]) -> Result<Self, ParseError> {
        Self::parse_usual(input).map_or_else(|| Self::parse_all(input), Ok)
    }

    /// Every parameter, through the generic `esmtp-param` scan.
    fn parse_all(input: &[u8]) -> Result<Self, ParseError> {
        let mut p = Self::default();
        for_each_param(input, |keyword, value| p.add(keyword, value))?;
        Ok(p)
    }

    /// `SIZE=` and `BODY=` only, single spaces apart: what Postfix,
    /// Exchange and most other MTAs send with every MAIL. Each keyword is
    /// matched by its length and its value by its own rule, without the
    /// generic scan of every octet; anything else, and every error, is left
    /// to [`parse_all`](Self::parse_all) (`None`). Both rules are stricter
    /// than `esmtp-value`, so what this accepts the scan accepts the same.
    fn parse_usual(mut input: &[u8]) -> Option<Self> {
        let mut p = Self::default();
        loop {
            let rest = if let Some(value) = strip_keyword(input, b"size=") {
                let digits = value.iter().take_while(|b| b.is_ascii_digit()).count();
                if p.size.is_some() {
                    return None;
                }
                p.size = Some(parse_u64(&value[..digits])?);
                &value[digits..]
            } else if let Some(value) = strip_keyword(input, b"body=") {
                let len = memchr::memchr(b' ', value).unwrap_or(value.len());
                let body = match &value[..len] {
                    v if eq_ignore_case(v, b"8bitmime") => Body::EightBitMime,
                    v if eq_ignore_case(v, b"7bit") => Body::SevenBit,
                    v if eq_ignore_case(v, b"binarymime") => Body::BinaryMime,
                    _ => return None,
                };
                if p.body.replace(body).is_some() {
                    return None;
                }
                &value[len..]
            } else {
                return None;
            };
            match rest {
                [] => return Some(p),
                [b' ', next @ ..] if !next.is_empty() && next[0] != b' ' => input = next,
                _ => return None,
            }
        }
    }

    fn add(&mut self, keyword: &[u8], value: Option<&[u8]>) -> Result<(), ParseError> {
        let dup = || ParseError::new(ParseErrorKind::Parameter);
        if eq_ignore_case(keyword, b"size") {
            // `size-value = 1*20DIGIT` (RFC 1870 §3).
            let n = value.and_then(parse_u64).ok_or_else(dup)?;
            replace(&mut self.size, n)
        } else if eq_ignore_case(keyword, b"body") {
            let body = match value {
                Some(v) if eq_ignore_case(v, b"7bit") => Body::SevenBit,
                Some(v) if eq_ignore_case(v, b"8bitmime") => Body::EightBitMime,
                Some(v) if eq_ignore_case(v, b"binarymime") => Body::BinaryMime,
                _ => return Err(dup()),
            };
            replace(&mut self.body, body)
        } else if eq_ignore_case(keyword, b"smtputf8") {
            flag(&mut self.smtputf8, value)
        } else if eq_ignore_case(keyword, b"ret") {
            let ret = match value {
                Some(v) if eq_ignore_case(v, b"full") => Ret::Full,
                Some(v) if eq_ignore_case(v, b"hdrs") => Ret::Hdrs,
                _ => return Err(dup()),
            };
            replace(&mut self.ret, ret)
        } else if eq_ignore_case(keyword, b"envid") {
            let v = xtext::xtext(value.ok_or_else(dup)?)?;
            replace(&mut self.envid, v)
        } else if eq_ignore_case(keyword, b"auth") {
            let auth = match value.ok_or_else(dup)? {
                b"<>" => AuthParameter::Unknown,
                v => AuthParameter::Mailbox(Mailbox::parse(&xtext::xtext(v)?).map_err(|_| dup())?),
            };
            replace(&mut self.auth, auth)
        } else if eq_ignore_case(keyword, b"requiretls") {
            flag(&mut self.requiretls, value)
        } else if eq_ignore_case(keyword, b"by") {
            let by = by_value(value.ok_or_else(dup)?)?;
            replace(&mut self.by, by)
        } else if eq_ignore_case(keyword, b"mt-priority") {
            let p = priority_value(value.ok_or_else(dup)?)?;
            replace(&mut self.mt_priority, p)
        } else {
            self.other.push(Parameter::from_raw(keyword, value)?);
            Ok(())
        }
    }

    /// Appends the parameters in canonical form, separated by single spaces,
    /// without a leading space: typed ones first in field order, keywords
    /// uppercase, ENVID and AUTH xtext-encoded, then `other` in order.
    /// An empty ENVID is left out (an `esmtp-value` cannot be empty).
    pub fn encode(&self, out: &mut BytesMut) {
        let mut sep = Separator::default();
        if let Some(n) = self.size {
            sep.write(out);
            out.extend_from_slice(b"SIZE=");
            out.extend_from_slice(n.to_string().as_bytes());
        }
        if let Some(body) = self.body {
            sep.write(out);
            out.extend_from_slice(match body {
                Body::SevenBit => b"BODY=7BIT",
                Body::EightBitMime => b"BODY=8BITMIME",
                Body::BinaryMime => b"BODY=BINARYMIME",
            });
        }
        if self.smtputf8 {
            sep.write(out);
            out.extend_from_slice(b"SMTPUTF8");
        }
        if let Some(ret) = self.ret {
            sep.write(out);
            out.extend_from_slice(match ret {
                Ret::Full => b"RET=FULL",
                Ret::Hdrs => b"RET=HDRS",
            });
        }
        if let Some(envid) = self.envid.as_ref().filter(|e| !e.is_empty()) {
            sep.write(out);
            out.extend_from_slice(b"ENVID=");
            xtext::encode(envid.as_bytes(), out);
        }
        if let Some(auth) = &self.auth {
            sep.write(out);
            out.extend_from_slice(b"AUTH=");
            match auth {
                AuthParameter::Unknown => out.extend_from_slice(b"<>"),
                AuthParameter::Mailbox(m) => xtext::encode(m.to_string().as_bytes(), out),
            }
        }
        if self.requiretls {
            sep.write(out);
            out.extend_from_slice(b"REQUIRETLS");
        }
        if let Some(by) = self.by {
            sep.write(out);
            out.extend_from_slice(b"BY=");
            out.extend_from_slice(by.seconds.to_string().as_bytes());
            out.extend_from_slice(match by.mode {
                DeliverByMode::Notify => b";N",
                DeliverByMode::Return => b";R",
            });
            if by.trace {
                out.extend_from_slice(b"T");
            }
        }
        if let Some(p) = self.mt_priority {
            sep.write(out);
            out.extend_from_slice(b"MT-PRIORITY=");
            out.extend_from_slice(p.to_string().as_bytes());
        }
        for p in &self.other {
            sep.write(out);
            p.encode(out);
        }
    }
}

impl RcptParameters {
    /// No parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether no parameter is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Parses `Rcpt-parameters = esmtp-param *(SP esmtp-param)` (RFC 5321
    /// §4.1.2), the text after `RCPT TO:<path> `. Same rules as
    /// [`MailParameters::parse`].
    pub fn parse(input: &[u8]) -> Result<Self, ParseError> {
        utf8(input)?;
        Self::parse_bytes(input)
    }

    /// [`RcptParameters::parse`] without the UTF-8 check of the whole
    /// input, like [`MailParameters::parse_bytes`].
    pub(crate) fn parse_bytes(input: &[u8]) -> Result<Self, ParseError> {
        match strip_keyword(input, b"notify=").and_then(notify_list) {
            // `NOTIFY=` alone, the DSN request MTAs add to RCPT: matched
            // by its own rule, as `MailParameters::parse_usual` does.
            Some((notify, [])) => Ok(Self {
                notify: Some(notify),
                ..Self::default()
            }),
            _ => {
                let mut p = Self::default();
                for_each_param(input, |keyword, value| p.add(keyword, value))?;
                Ok(p)
            }
        }
    }

    fn add(&mut self, keyword: &[u8], value: Option<&[u8]>) -> Result<(), ParseError> {
        let bad = || ParseError::new(ParseErrorKind::Parameter);
        if eq_ignore_case(keyword, b"notify") {
            let n = notify_value(value.ok_or_else(bad)?)?;
            replace(&mut self.notify, n)
        } else if eq_ignore_case(keyword, b"orcpt") {
            let v = value.ok_or_else(bad)?;
            // `original-recipient-address = addr-type ";" xtext` (RFC 3461 §4.2).
            let semi = memchr::memchr(b';', v).ok_or_else(bad)?;
            let (addr_type, address) = (&v[..semi], &v[semi + 1..]);
            if addr_type.is_empty() || !addr_type.iter().all(|&b| is_addr_type_char(b)) {
                return Err(bad());
            }
            let o = OriginalRecipient {
                addr_type: utf8(addr_type)?.to_owned(),
                address: xtext::xtext(address)?,
            };
            replace(&mut self.orcpt, o)
        } else {
            self.other.push(Parameter::from_raw(keyword, value)?);
            Ok(())
        }
    }

    /// Appends the parameters in canonical form (NOTIFY, ORCPT, then
    /// `other`), like [`MailParameters::encode`]. A `Notify::On` with no
    /// flag set means "never" and is written `NEVER`. Characters of
    /// `addr_type` outside `atom` are left out.
    pub fn encode(&self, out: &mut BytesMut) {
        let mut sep = Separator::default();
        if let Some(n) = self.notify {
            sep.write(out);
            out.extend_from_slice(b"NOTIFY=");
            match n {
                Notify::On {
                    success,
                    failure,
                    delay,
                } if success || failure || delay => {
                    let mut first = true;
                    for (on, word) in [
                        (success, &b"SUCCESS"[..]),
                        (failure, b"FAILURE"),
                        (delay, b"DELAY"),
                    ] {
                        if on {
                            if !first {
                                out.extend_from_slice(b",");
                            }
                            first = false;
                            out.extend_from_slice(word);
                        }
                    }
                }
                _ => out.extend_from_slice(b"NEVER"),
            }
        }
        if let Some(o) = &self.orcpt {
            sep.write(out);
            out.extend_from_slice(b"ORCPT=");
            for b in o.addr_type.bytes().filter(|&b| is_addr_type_char(b)) {
                out.extend_from_slice(&[b]);
            }
            out.extend_from_slice(b";");
            xtext::encode(o.address.as_bytes(), out);
        }
        for p in &self.other {
            sep.write(out);
            p.encode(out);
        }
    }
}

/// Writes a space before every item but the first.
#[derive(Default)]
struct Separator(bool);

impl Separator {
    fn write(&mut self, out: &mut BytesMut) {
        if self.0 {
            out.extend_from_slice(b" ");
        }
        self.0 = true;
    }
}

/// Sets a typed parameter once; a second occurrence is an error.
fn replace<T>(slot: &mut Option<T>, value: T) -> Result<(), ParseError> {
    if slot.is_some() {
        return Err(ParseError::new(ParseErrorKind::Parameter));
    }
    *slot = Some(value);
    Ok(())
}

/// Sets a parameter that takes no value, once.
fn flag(slot: &mut bool, value: Option<&[u8]>) -> Result<(), ParseError> {
    if *slot || value.is_some() {
        return Err(ParseError::new(ParseErrorKind::Parameter));
    }
    *slot = true;
    Ok(())
}

/// Calls `f` for each `esmtp-param` of `esmtp-param *(SP esmtp-param)`,
/// leading spaces and runs of spaces between parameters tolerated.
fn for_each_param(
    input: &[u8],
    mut f: impl FnMut(&[u8], Option<&[u8]>) -> Result<(), ParseError>,
) -> Result<(), ParseError> {
    let bad = ParseError::new(ParseErrorKind::Parameter);
    let mut i = 0;
    while input.get(i) == Some(&b' ') {
        i += 1;
    }
    while i < input.len() {
        let (len, keyword, value) = esmtp_param(&input[i..]).ok_or(bad)?;
        f(keyword, value)?;
        i += len;
        if i == input.len() {
            break;
        }
        if input[i] != b' ' {
            return Err(bad);
        }
        while input.get(i) == Some(&b' ') {
            i += 1;
        }
    }
    Ok(())
}

/// A matched `esmtp-param`: its length, keyword and value.
type RawParam<'a> = (usize, &'a [u8], Option<&'a [u8]>);

/// `esmtp-param = esmtp-keyword ["=" esmtp-value]` (RFC 5321 §4.1.2) at the
/// start of `input`: its length, keyword and value. One pass over the
/// bytes (it runs for every parameter of every MAIL and RCPT);
/// [`esmtp_keyword`] and [`esmtp_value`] are the same rules apart.
fn esmtp_param(input: &[u8]) -> Option<RawParam<'_>> {
    if !input.first().is_some_and(u8::is_ascii_alphanumeric) {
        return None;
    }
    let i = input
        .iter()
        .position(|&b| !is_ascii_ldh(b))
        .unwrap_or(input.len());
    let (keyword, rest) = input.split_at(i);
    let Some(rest) = rest.strip_prefix(b"=") else {
        return Some((i, keyword, None));
    };
    let n = rest
        .iter()
        .position(|&b| !is_esmtp_value_char(b))
        .unwrap_or(rest.len());
    if n == 0 {
        return None;
    }
    Some((i + 1 + n, keyword, Some(&rest[..n])))
}

/// `esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")` (RFC 5321 §4.1.2).
fn esmtp_keyword(input: &str) -> PResult<'_, &str> {
    if !input.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(crate::grammar::error(ParseErrorKind::Parameter));
    }
    let (rest, _) = take_bytes(input, |b| b.is_ascii_alphanumeric() || b == b'-');
    Ok((rest, consumed(input, rest)))
}

/// `esmtp-value = 1*(%d33-60 / %d62-126)` (RFC 5321 §4.1.2), `=/
/// UTF8-non-ascii` (RFC 6531 §3.3).
fn esmtp_value(input: &str) -> PResult<'_, &str> {
    take_bytes1(input, is_esmtp_value_char)
}

/// `by-value = by-time ";" by-mode [by-trace]`, `by-time = ["-" / "+"]
/// 1*9digit`, `by-mode = "N" / "R"`, `by-trace = "T"` (RFC 2852 §4; letters
/// case-insensitive as ABNF strings are).
fn by_value(v: &[u8]) -> Result<DeliverBy, ParseError> {
    let bad = || ParseError::new(ParseErrorKind::Parameter);
    let semi = memchr::memchr(b';', v).ok_or_else(bad)?;
    let (time, mode) = (&v[..semi], &v[semi + 1..]);
    let (negative, digits) = match time.first() {
        Some(b'-') => (true, &time[1..]),
        Some(b'+') => (false, &time[1..]),
        _ => (false, time),
    };
    if digits.len() > 9 {
        return Err(bad());
    }
    let n = parse_u64(digits).ok_or_else(bad)?;
    let n = i64::try_from(n).map_err(|_| bad())?;
    let seconds = if negative { -n } else { n };
    let (mode, trace) = match mode {
        [m] => (*m, false),
        [m, b't' | b'T'] => (*m, true),
        _ => return Err(bad()),
    };
    let mode = match mode {
        b'N' | b'n' => DeliverByMode::Notify,
        b'R' | b'r' => DeliverByMode::Return,
        _ => return Err(bad()),
    };
    Ok(DeliverBy {
        seconds,
        mode,
        trace,
    })
}

/// `priority-value = ["-" / "+"] DIGIT`, -9 to 9 (RFC 6710 §2).
fn priority_value(v: &[u8]) -> Result<i8, ParseError> {
    let bad = ParseError::new(ParseErrorKind::Parameter);
    let (negative, digit) = match v {
        [b'-', d] => (true, *d),
        [b'+', d] => (false, *d),
        [d] => (false, *d),
        _ => return Err(bad),
    };
    if !digit.is_ascii_digit() {
        return Err(bad);
    }
    let n = (digit - b'0') as i8;
    Ok(if negative { -n } else { n })
}

/// `notify-esmtp-value = "NEVER" / 1#notify-list-element`,
/// `notify-list-element = "SUCCESS" / "FAILURE" / "DELAY"` (RFC 3461 §4.1).
/// An element given twice is an error.
fn notify_value(v: &[u8]) -> Result<Notify, ParseError> {
    match notify_list(v) {
        Some((notify, [])) => Ok(notify),
        _ => Err(ParseError::new(ParseErrorKind::Parameter)),
    }
}

/// [`notify_value`] at the start of `v`: the value and what follows it.
/// Each element is matched in place, its length known from its first
/// letter; a comma continues the list. `None` when no value starts here,
/// or an element is given twice.
fn notify_list(v: &[u8]) -> Option<(Notify, &[u8])> {
    if let Some(rest) = strip_keyword(v, b"never") {
        return Some((Notify::Never, rest));
    }
    let (mut success, mut failure, mut delay) = (false, false, false);
    let mut rest = v;
    loop {
        let (slot, len) = match rest.first().map(|b| b | 0x20) {
            Some(b's') if rest.get(..7).is_some_and(|e| eq_ignore_case(e, b"success")) => {
                (&mut success, 7)
            }
            Some(b'f') if rest.get(..7).is_some_and(|e| eq_ignore_case(e, b"failure")) => {
                (&mut failure, 7)
            }
            Some(b'd') if rest.get(..5).is_some_and(|e| eq_ignore_case(e, b"delay")) => {
                (&mut delay, 5)
            }
            _ => return None,
        };
        if std::mem::replace(slot, true) {
            return None;
        }
        rest = &rest[len..];
        match rest {
            [b',', next @ ..] => rest = next,
            _ => break,
        }
    }
    Some((
        Notify::On {
            success,
            failure,
            delay,
        },
        rest,
    ))
}

/// `input` after `keyword` (given in lowercase, matched case-insensitively),
/// if it starts with it.
fn strip_keyword<'a, const N: usize>(input: &'a [u8], keyword: &[u8; N]) -> Option<&'a [u8]> {
    let (head, rest) = input.split_at_checked(N)?;
    eq_ignore_case(head, keyword).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// RFC 3461 §4.1 read the obvious way, for comparison.
    fn notify_model(v: &[u8]) -> Option<Notify> {
        if v.eq_ignore_ascii_case(b"NEVER") {
            return Some(Notify::Never);
        }
        let mut flags = [false; 3];
        for element in v.split(|&b| b == b',') {
            let i = [&b"SUCCESS"[..], b"FAILURE", b"DELAY"]
                .iter()
                .position(|w| element.eq_ignore_ascii_case(w))?;
            if std::mem::replace(&mut flags[i], true) {
                return None;
            }
        }
        Some(Notify::On {
            success: flags[0],
            failure: flags[1],
            delay: flags[2],
        })
    }

    proptest! {
        #[test]
        fn notify_matches_the_obvious_reading_rfc3461_4_1(
            parts in proptest::collection::vec(prop_oneof![
                Just(&b"SUCCESS"[..]), Just(&b"failure"[..]), Just(&b"Delay"[..]),
                Just(&b"NEVER"[..]), Just(&b","[..]), Just(&b"X"[..]), Just(&b"SUCCES"[..]),
            ], 0..6)
        ) {
            let v = parts.concat();
            prop_assert_eq!(notify_value(&v).ok(), notify_model(&v));
        }
    }

    /// Whole MAIL and RCPT parameters, the usual ones and their near
    /// misses, each followed by a separator (or none).
    fn param_list() -> impl Strategy<Value = Vec<u8>> {
        let param = prop_oneof![
            Just(&b"SIZE=12345"[..]),
            Just(&b"size=0"[..]),
            Just(&b"SIZE="[..]),
            Just(&b"SIZE=99999999999999999999999"[..]),
            Just(&b"SIZE=12a"[..]),
            Just(&b"BODY=8BITMIME"[..]),
            Just(&b"body=7bit"[..]),
            Just(&b"Body=BinaryMIME"[..]),
            Just(&b"BODY=8BITMIMEX"[..]),
            Just(&b"BODY="[..]),
            Just(&b"NOTIFY=SUCCESS,FAILURE"[..]),
            Just(&b"notify=never"[..]),
            Just(&b"NOTIFY=DELAY,DELAY"[..]),
            Just(&b"NOTIFY=SUCCESS,"[..]),
            Just(&b"NOTIFY=NEVER,DELAY"[..]),
            Just(&b"NOTIFY="[..]),
            Just(&b"ORCPT=rfc822;a"[..]),
            Just(&b"SMTPUTF8"[..]),
            Just(&b"X=Y"[..]),
            Just(&b"="[..]),
        ];
        let separator = prop_oneof![
            4 => Just(&b" "[..]),
            1 => Just(&b"  "[..]),
            1 => Just(&b"\t"[..]),
            1 => Just(&b""[..]),
        ];
        proptest::collection::vec((param, separator), 0..5).prop_map(|items| {
            let mut out = Vec::new();
            for (i, (param, separator)) in items.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(separator);
                }
                out.extend_from_slice(param);
            }
            out
        })
    }

    proptest! {
        // Cheap cases; enough of them to pair every two parameters often.
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// The direct match of the usual parameters decides exactly as the
        /// generic `esmtp-param` scan does (RFC 5321 §4.1.2, RFC 1870,
        /// RFC 6152, RFC 3461 §4.1).
        #[test]
        fn usual_parameters_agree_with_the_generic_scan(
            input in param_list()
        ) {
            if let Some(fast) = MailParameters::parse_usual(&input) {
                prop_assert_eq!(MailParameters::parse_all(&input), Ok(fast));
            }
            prop_assert_eq!(
                MailParameters::parse_bytes(&input),
                MailParameters::parse_all(&input)
            );
            let mut generic = RcptParameters::default();
            let generic = for_each_param(&input, |k, v| generic.add(k, v)).map(|()| generic);
            prop_assert_eq!(RcptParameters::parse_bytes(&input), generic);
        }
    }

    #[test]
    fn usual_parameters_take_the_direct_match() {
        let p = MailParameters::parse_usual(b"SIZE=12345 BODY=8BITMIME").unwrap();
        assert_eq!((p.size, p.body), (Some(12345), Some(Body::EightBitMime)));
        assert!(MailParameters::parse_usual(b"SIZE=1 SIZE=2").is_none());
        assert!(MailParameters::parse_usual(b"SIZE=1  BODY=7BIT").is_none());
        assert!(MailParameters::parse_usual(b"SMTPUTF8").is_none());
        assert!(MailParameters::parse_bytes(b"SIZE=1 SIZE=2").is_err());
        assert_eq!(
            MailParameters::parse_bytes(b"SIZE=1  BODY=7BIT")
                .unwrap()
                .body,
            Some(Body::SevenBit)
        );
    }

    #[test]
    fn esmtp_param_rule_rfc5321_4_1_2() {
        assert_eq!(
            esmtp_param(b"SIZE=10 X").unwrap(),
            (7, &b"SIZE"[..], Some(&b"10"[..]))
        );
        assert_eq!(esmtp_param(b"X-Y").unwrap(), (3, &b"X-Y"[..], None));
        assert_eq!(
            esmtp_param(b"A=b=c").unwrap(),
            (3, &b"A"[..], Some(&b"b"[..]))
        );
        assert!(esmtp_param(b"-X").is_none());
        assert!(esmtp_param(b"X=").is_none());
        assert!(esmtp_param(b"").is_none());
    }

    #[test]
    fn by_notify_priority_rules() {
        assert!(by_value(b"5;R").is_ok());
        assert!(by_value(b"5;").is_err());
        assert!(by_value(b"-;N").is_err());
        assert_eq!(priority_value(b"-0"), Ok(0));
        assert!(priority_value(b"--1").is_err());
        assert_eq!(notify_value(b"never"), Ok(Notify::Never));
        assert!(notify_value(b",").is_err());
        for bad in [
            &b"SUCCESS,"[..],
            b",DELAY",
            b"DELAY,,FAILURE",
            b"SUCCESSX",
            b"NEVER,DELAY",
        ] {
            assert!(notify_value(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            notify_value(b"delay,Success"),
            Ok(Notify::On {
                success: true,
                failure: false,
                delay: true
            })
        );
    }
}
