//! Paths and mailboxes (RFC 5321 §4.1.2, RFC 6531 §3.3 for UTF-8).
//!
//! Every type here validates at construction, so encoding one can never
//! write a CR, LF, space or `>` into a command.

use core::net::{Ipv4Addr, Ipv6Addr};
use std::borrow::Cow;

use compact_str::CompactString;

use crate::grammar::{
    PResult, byte, consumed, error, failure, finish, is_atext, is_let_dig, is_qtext_smtp,
    is_sub_domain_byte, strip_prefix_ignore_case, take_bytes1,
};
use crate::{ParseError, ParseErrorKind};

/// Longest local part, RFC 5321 §4.5.3.1.1.
pub const MAX_LOCAL_PART: usize = 64;
/// Longest domain, RFC 5321 §4.5.3.1.2.
pub const MAX_DOMAIN: usize = 255;
/// Longest path including the angle brackets, RFC 5321 §4.5.3.1.3.
pub const MAX_PATH: usize = 256;
/// Longest label of a domain in a path, [`Domain::new`] or [`Host::parse`],
/// RFC 1035 §2.3.4 ("labels 63 octets or less"; RFC 5321 §2.3.5 requires
/// names resolvable in the DNS). Not applied to the EHLO argument a server
/// receives, which servers take leniently.
pub(crate) const MAX_LABEL: usize = 63;

/// A domain name: `Domain = sub-domain *("." sub-domain)` (RFC 5321 §4.1.2),
/// with U-labels allowed as RFC 6531 §3.3 extends it.
///
/// U-labels are checked for syntax only (valid UTF-8, no hyphen at either
/// end); [`Domain::to_ascii`] tells whether IDNA accepts them.
///
/// Up to 24 octets are stored inline, so parsing a command with a usual
/// domain allocates nothing.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Domain(CompactString);

impl Domain {
    /// Validates a domain name (at most [`MAX_DOMAIN`] octets).
    pub fn new(domain: impl Into<String>) -> Result<Self, ParseError> {
        let domain = domain.into();
        check_domain(&domain)?;
        Ok(Self(CompactString::from(domain)))
    }

    /// A domain already matched by the grammar and checked for length.
    pub(crate) fn from_checked(domain: &str) -> Self {
        Self(CompactString::new(domain))
    }

    /// The domain as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether every label is ASCII (no SMTPUTF8 needed).
    pub fn is_ascii(&self) -> bool {
        self.0.is_ascii()
    }

    /// The domain with U-labels converted to IDNA A-labels (RFC 5891), so a
    /// server without SMTPUTF8 can take it. Fails if IDNA does not allow it.
    /// An ASCII domain is returned unchanged.
    pub fn to_ascii(&self) -> Result<Domain, ParseError> {
        if self.is_ascii() {
            return Ok(self.clone());
        }
        let ascii =
            idna::domain_to_ascii(&self.0).map_err(|_| ParseError::new(ParseErrorKind::Path))?;
        Domain::new(ascii)
    }
}

impl std::fmt::Display for Domain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks that the whole input is a domain of at most [`MAX_DOMAIN`] octets
/// whose ASCII labels fit the DNS.
fn check_domain(input: &str) -> Result<(), ParseError> {
    finish(input, domain, ParseErrorKind::Path)?;
    check_domain_length(input)
}

/// At most [`MAX_DOMAIN`] octets, and no ASCII label over [`MAX_LABEL`]
/// (RFC 1035 §2.3.4). A U-label's limit is on its A-label form (RFC 5890
/// §2.3.2.1), which IDNA checks in [`Domain::to_ascii`].
fn check_domain_length(domain: &str) -> Result<(), ParseError> {
    let long_label = domain
        .split('.')
        .any(|label| label.len() > MAX_LABEL && label.is_ascii());
    if domain.len() > MAX_DOMAIN || long_label {
        return Err(ParseError::new(ParseErrorKind::PathTooLong));
    }
    Ok(())
}

/// An address literal in brackets (RFC 5321 §4.1.3).
///
/// The fields of `General` are public; build one with
/// [`AddressLiteral::general`] to have them checked. When encoding, bytes
/// that the grammar does not allow are left out, so an unchecked value can
/// never inject a space, bracket or line break.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AddressLiteral {
    /// `[192.0.2.1]`
    Ipv4(Ipv4Addr),
    /// `[IPv6:2001:db8::1]`
    Ipv6(Ipv6Addr),
    /// `[tag:content]`, a General-address-literal.
    General {
        /// The standardized tag.
        tag: String,
        /// The content after the colon.
        content: String,
    },
}

impl AddressLiteral {
    /// A checked General-address-literal: `tag` is an `Ldh-str` other than
    /// `IPv6`, `content` is `1*dcontent` (RFC 5321 §4.1.3).
    pub fn general(tag: &str, content: &str) -> Result<Self, ParseError> {
        let ok = finish(tag, standardized_tag, ParseErrorKind::Path).is_ok()
            && !tag.eq_ignore_ascii_case("IPv6")
            && !content.is_empty()
            && content.bytes().all(is_dcontent);
        if ok {
            Ok(Self::General {
                tag: tag.to_owned(),
                content: content.to_owned(),
            })
        } else {
            Err(ParseError::new(ParseErrorKind::Path))
        }
    }
}

impl std::fmt::Display for AddressLiteral {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Ipv4(ip) => write!(f, "[{ip}]"),
            Self::Ipv6(ip) => write!(f, "[IPv6:{ip}]"),
            Self::General { tag, content } => {
                f.write_str("[")?;
                for c in tag
                    .chars()
                    .filter(|&c| c.is_ascii_alphanumeric() || c == '-')
                {
                    write!(f, "{c}")?;
                }
                f.write_str(":")?;
                for c in content
                    .chars()
                    .filter(|&c| c.is_ascii() && is_dcontent(c as u8))
                {
                    write!(f, "{c}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// The part after `@`: a domain or an address literal.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Host {
    /// A domain name.
    Domain(Domain),
    /// An address literal.
    Literal(AddressLiteral),
}

impl Host {
    /// Parses a domain or a bracketed address literal (the argument of
    /// EHLO, or the part of a mailbox after `@`), with the DNS length
    /// limits of [`Domain::new`]. (A server takes a client's EHLO argument
    /// more leniently, as `Quirks::lenient_helo` describes.)
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let host = finish(text, host, ParseErrorKind::Path)?;
        if let Host::Domain(d) = &host {
            check_domain_length(d.as_str())?;
        }
        Ok(host)
    }

    /// Whether it is pure ASCII (address literals always are).
    pub fn is_ascii(&self) -> bool {
        match self {
            Host::Domain(d) => d.is_ascii(),
            Host::Literal(_) => true,
        }
    }
}

impl std::fmt::Display for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Host::Domain(d) => f.write_str(d.as_str()),
            Host::Literal(l) => l.fmt(f),
        }
    }
}

/// A local part, kept in its wire form: a dot-atom, or a quoted string with
/// its quotes and escapes (RFC 5321 §4.1.2 `Local-part`).
///
/// Up to 24 octets are stored inline, so parsing a command with a usual
/// local part allocates nothing.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LocalPart(CompactString);

impl LocalPart {
    /// Validates a local part in wire form (`john.doe` or `"john doe"`), at
    /// most [`MAX_LOCAL_PART`] octets.
    pub fn new(wire: impl Into<String>) -> Result<Self, ParseError> {
        let wire = wire.into();
        finish(&wire, local_part, ParseErrorKind::Path)?;
        if wire.len() > MAX_LOCAL_PART {
            return Err(ParseError::new(ParseErrorKind::PathTooLong));
        }
        Ok(Self(CompactString::from(wire)))
    }

    /// A local part already matched by the grammar and checked for length.
    pub(crate) fn from_checked(wire: &str) -> Self {
        Self(CompactString::new(wire))
    }

    /// A local part for this value, quoted only if it is not a dot-string
    /// (RFC 5321 §4.1.2: "a Quoted-string ... SHOULD NOT be used" when a
    /// Dot-string will do). Inside quotes, `"` and `\` are escaped. Control
    /// characters cannot be written at all.
    pub fn from_value(value: &str) -> Result<Self, ParseError> {
        if !value.is_empty() && finish(value, dot_string, ParseErrorKind::Path).is_ok() {
            return Self::new(value);
        }
        let mut wire = String::with_capacity(value.len() + 2);
        wire.push('"');
        for c in value.chars() {
            match c {
                '"' | '\\' => {
                    wire.push('\\');
                    wire.push(c);
                }
                ' '..='~' => wire.push(c),
                c if !c.is_ascii() && !c.is_control() => wire.push(c),
                _ => return Err(ParseError::new(ParseErrorKind::Path)),
            }
        }
        wire.push('"');
        Self::new(wire)
    }

    /// The wire form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value: the wire form without the quotes and escapes of a
    /// quoted string.
    pub fn value(&self) -> Cow<'_, str> {
        let Some(inner) = self.0.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else {
            return Cow::Borrowed(self.0.as_str());
        };
        if !inner.contains('\\') {
            return Cow::Borrowed(inner);
        }
        let mut out = String::with_capacity(inner.len());
        let mut escaped = false;
        for c in inner.chars() {
            if escaped || c != '\\' {
                out.push(c);
                escaped = false;
            } else {
                escaped = true;
            }
        }
        Cow::Owned(out)
    }

    /// Whether it is a quoted string.
    pub fn is_quoted(&self) -> bool {
        self.0.starts_with('"')
    }

    /// Whether it is pure ASCII.
    pub fn is_ascii(&self) -> bool {
        self.0.is_ascii()
    }
}

impl std::fmt::Display for LocalPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `Mailbox = Local-part "@" ( Domain / address-literal )` (RFC 5321 §4.1.2).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Mailbox {
    /// Before the `@`.
    pub local_part: LocalPart,
    /// After the `@`.
    pub host: Host,
}

impl Mailbox {
    /// Parses `local@domain` (no angle brackets). Checks the RFC 5321 length
    /// limits: local part 64, domain 255 (ASCII labels 63, RFC 1035
    /// §2.3.4), and the mailbox at most 254 octets so that it fits a
    /// 256-octet path with its brackets (§4.5.3.1).
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let raw = finish(text, mailbox, ParseErrorKind::Path)?;
        if text.len() > MAX_PATH - 2 {
            return Err(ParseError::new(ParseErrorKind::PathTooLong));
        }
        raw.into_mailbox()
    }

    /// Whether sending this address needs SMTPUTF8: a non-ASCII local part,
    /// or a non-ASCII domain that has no A-label form (RFC 6531 §3.2).
    pub fn needs_smtputf8(&self) -> bool {
        if !self.local_part.is_ascii() {
            return true;
        }
        match &self.host {
            Host::Domain(d) => !d.is_ascii() && d.to_ascii().is_err(),
            Host::Literal(_) => false,
        }
    }

    /// Whether any part is non-ASCII.
    pub fn is_ascii(&self) -> bool {
        self.local_part.is_ascii() && self.host.is_ascii()
    }

    /// This mailbox with a non-ASCII domain turned into A-labels, for a
    /// server without SMTPUTF8. The local part is left alone.
    pub fn to_ascii_domain(&self) -> Result<Self, ParseError> {
        let host = match &self.host {
            Host::Domain(d) => Host::Domain(d.to_ascii()?),
            Host::Literal(l) => Host::Literal(l.clone()),
        };
        Ok(Self {
            local_part: self.local_part.clone(),
            host,
        })
    }
}

impl std::fmt::Display for Mailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.local_part, self.host)
    }
}

impl std::str::FromStr for Mailbox {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// `Reverse-path = Path / "<>"` (RFC 5321 §4.1.2): the MAIL FROM address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ReversePath {
    /// `<>`, the null reverse path of bounces (RFC 5321 §4.5.5).
    Null,
    /// A mailbox.
    Mailbox(Mailbox),
}

impl ReversePath {
    /// Whether the path is pure ASCII (`<>` is); a non-ASCII path needs
    /// SMTPUTF8 (RFC 6531 §3.4).
    pub fn is_ascii(&self) -> bool {
        match self {
            ReversePath::Null => true,
            ReversePath::Mailbox(m) => m.is_ascii(),
        }
    }
}

impl std::fmt::Display for ReversePath {
    /// The wire form with angle brackets: `<>` or `<local@domain>`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReversePath::Null => f.write_str("<>"),
            ReversePath::Mailbox(m) => write!(f, "<{m}>"),
        }
    }
}

/// `Forward-path = Path` (RFC 5321 §4.1.2), plus the bare `<Postmaster>`
/// that RCPT must accept (RFC 5321 §4.1.1.3).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ForwardPath {
    /// `<Postmaster>` without a domain (case-insensitive).
    Postmaster,
    /// A mailbox.
    Mailbox(Mailbox),
}

impl ForwardPath {
    /// Whether the path is pure ASCII (`<Postmaster>` is); a non-ASCII path
    /// needs SMTPUTF8 (RFC 6531 §3.4).
    pub fn is_ascii(&self) -> bool {
        match self {
            ForwardPath::Postmaster => true,
            ForwardPath::Mailbox(m) => m.is_ascii(),
        }
    }
}

impl std::fmt::Display for ForwardPath {
    /// The wire form with angle brackets: `<Postmaster>` or `<local@domain>`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ForwardPath::Postmaster => f.write_str("<Postmaster>"),
            ForwardPath::Mailbox(m) => write!(f, "<{m}>"),
        }
    }
}

// ---------------------------------------------------------------------------
// Grammar (RFC 5321 §4.1.2, §4.1.3; RFC 6531 §3.3).

/// A mailbox as matched, before its owned parts are built.
pub(crate) struct RawMailbox<'a> {
    local: &'a str,
    host: RawHost<'a>,
}

enum RawHost<'a> {
    Domain(&'a str),
    Literal(AddressLiteral),
}

impl RawMailbox<'_> {
    /// Checks the length limits and builds the owned mailbox.
    fn into_mailbox(self) -> Result<Mailbox, ParseError> {
        if self.local.len() > MAX_LOCAL_PART {
            return Err(ParseError::new(ParseErrorKind::PathTooLong));
        }
        let host = match self.host {
            RawHost::Domain(d) => {
                check_domain_length(d)?;
                Host::Domain(Domain::from_checked(d))
            }
            RawHost::Literal(l) => Host::Literal(l),
        };
        Ok(Mailbox {
            local_part: LocalPart::from_checked(self.local),
            host,
        })
    }
}

/// `Reverse-path = Path / "<>"` (RFC 5321 §4.1.2).
///
/// Length limits are hard failures (`PathTooLong`).
pub(crate) fn reverse_path(input: &str) -> PResult<'_, ReversePath> {
    if let Some(rest) = input.strip_prefix("<>") {
        return Ok((rest, ReversePath::Null));
    }
    let (rest, m) = path(input)?;
    Ok((rest, ReversePath::Mailbox(m)))
}

/// `Forward-path = Path` (RFC 5321 §4.1.2), and
/// `"<Postmaster>"` (case-insensitive) of `rcpt = "RCPT TO:" ( "<Postmaster@"
/// Domain ">" / "<Postmaster>" / Forward-path ) [SP Rcpt-parameters]`
/// (RFC 5321 §4.1.1.3).
pub(crate) fn forward_path(input: &str) -> PResult<'_, ForwardPath> {
    if let Some(rest) = strip_prefix_ignore_case(input, "<Postmaster>") {
        return Ok((rest, ForwardPath::Postmaster));
    }
    let (rest, m) = path(input)?;
    Ok((rest, ForwardPath::Mailbox(m)))
}

/// `Path = "<" [ A-d-l ":" ] Mailbox ">"` (RFC 5321 §4.1.2).
///
/// The source route (`A-d-l`) is obsolete; §4.1.2 says servers MUST accept
/// and SHOULD ignore it, so it is matched and dropped. The whole path,
/// brackets and route included, must fit [`MAX_PATH`] octets (§4.5.3.1.3).
fn path(input: &str) -> PResult<'_, Mailbox> {
    let mut rest = byte(input, b'<').ok_or_else(|| error(ParseErrorKind::Path))?;
    if rest.starts_with('@') {
        let (r, _) = a_d_l(rest)?;
        rest = byte(r, b':').ok_or_else(|| error(ParseErrorKind::Path))?;
    }
    let (rest, raw) = mailbox(rest)?;
    let rest = byte(rest, b'>').ok_or_else(|| error(ParseErrorKind::Path))?;
    if input.len() - rest.len() > MAX_PATH {
        return Err(failure(ParseErrorKind::PathTooLong));
    }
    let m = raw.into_mailbox().map_err(nom::Err::Failure)?;
    Ok((rest, m))
}

/// `A-d-l = At-domain *( "," At-domain )` (RFC 5321 §4.1.2).
fn a_d_l(input: &str) -> PResult<'_, &str> {
    let (mut rest, _) = at_domain(input)?;
    while let Some(r) = byte(rest, b',') {
        (rest, _) = at_domain(r)?;
    }
    Ok((rest, consumed(input, rest)))
}

/// `At-domain = "@" Domain` (RFC 5321 §4.1.2).
fn at_domain(input: &str) -> PResult<'_, &str> {
    let rest = byte(input, b'@').ok_or_else(|| error(ParseErrorKind::Path))?;
    let (rest, _) = domain(rest)?;
    Ok((rest, consumed(input, rest)))
}

/// `Mailbox = Local-part "@" ( Domain / address-literal )` (RFC 5321 §4.1.2).
/// Lengths are checked by the caller.
pub(crate) fn mailbox(input: &str) -> PResult<'_, RawMailbox<'_>> {
    let (rest, local) = local_part(input)?;
    let rest = byte(rest, b'@').ok_or_else(|| error(ParseErrorKind::Path))?;
    let (rest, host) = if rest.starts_with('[') {
        let (rest, l) = address_literal(rest)?;
        (rest, RawHost::Literal(l))
    } else {
        let (rest, d) = domain(rest)?;
        (rest, RawHost::Domain(d))
    };
    Ok((rest, RawMailbox { local, host }))
}

/// `Domain / address-literal`: the argument of EHLO (RFC 5321 §4.1.1.1)
/// and the part of a mailbox after `@`.
pub(crate) fn host(input: &str) -> PResult<'_, Host> {
    if input.starts_with('[') {
        let (rest, l) = address_literal(input)?;
        return Ok((rest, Host::Literal(l)));
    }
    let (rest, d) = domain(input)?;
    Ok((rest, Host::Domain(Domain::from_checked(d))))
}

/// `Local-part = Dot-string / Quoted-string` (RFC 5321 §4.1.2).
/// "MAY be case-sensitive": kept as received.
pub(crate) fn local_part(input: &str) -> PResult<'_, &str> {
    if input.starts_with('"') {
        quoted_string(input)
    } else {
        dot_string(input)
    }
}

/// `Dot-string = Atom *("."  Atom)` (RFC 5321 §4.1.2).
pub(crate) fn dot_string(input: &str) -> PResult<'_, &str> {
    let (mut rest, _) = atom(input)?;
    while let Some(r) = byte(rest, b'.') {
        match atom(r) {
            Ok((r, _)) => rest = r,
            Err(_) => break,
        }
    }
    Ok((rest, consumed(input, rest)))
}

/// `Atom = 1*atext` (RFC 5321 §4.1.2), `atext` with `UTF8-non-ascii`
/// (RFC 6531 §3.3).
fn atom(input: &str) -> PResult<'_, &str> {
    take_bytes1(input, is_atext)
}

/// `Quoted-string = DQUOTE *QcontentSMTP DQUOTE` (RFC 5321 §4.1.2), with
/// `QcontentSMTP = qtextSMTP / quoted-pairSMTP` and `quoted-pairSMTP = %d92
/// %d32-126`. `""` (empty) is valid.
pub(crate) fn quoted_string(input: &str) -> PResult<'_, &str> {
    let bytes = input.as_bytes();
    if bytes.first() != Some(&b'"') {
        return Err(error(ParseErrorKind::Path));
    }
    let mut i = 1;
    loop {
        match bytes.get(i) {
            Some(b'"') => break,
            Some(b'\\') => match bytes.get(i + 1) {
                Some(32..=126) => i += 2,
                _ => return Err(error(ParseErrorKind::Path)),
            },
            Some(&b) if is_qtext_smtp(b) => i += 1,
            _ => return Err(error(ParseErrorKind::Path)),
        }
    }
    match input.split_at_checked(i + 1) {
        Some((quoted, rest)) => Ok((rest, quoted)),
        None => Err(error(ParseErrorKind::Path)),
    }
}

/// `Domain = sub-domain *("." sub-domain)` (RFC 5321 §4.1.2).
pub(crate) fn domain(input: &str) -> PResult<'_, &str> {
    let (mut rest, _) = sub_domain(input)?;
    while let Some(r) = byte(rest, b'.') {
        match sub_domain(r) {
            Ok((r, _)) => rest = r,
            Err(_) => break,
        }
    }
    Ok((rest, consumed(input, rest)))
}

/// `sub-domain = Let-dig [Ldh-str]`, `Ldh-str = *( ALPHA / DIGIT / "-" )
/// Let-dig` (RFC 5321 §4.1.2), and `sub-domain =/ U-label` (RFC 6531 §3.3):
/// letters, digits, hyphens and non-ASCII UTF-8, not starting or ending
/// with a hyphen.
fn sub_domain(input: &str) -> PResult<'_, &str> {
    let (rest, label) = take_bytes1(input, is_sub_domain_byte)?;
    if label.starts_with('-') || label.ends_with('-') {
        return Err(error(ParseErrorKind::Path));
    }
    Ok((rest, label))
}

/// `address-literal = "[" ( IPv4-address-literal / IPv6-address-literal /
/// General-address-literal ) "]"` (RFC 5321 §4.1.2). None of the three
/// holds a `]`, so the literal ends at the first one.
pub(crate) fn address_literal(input: &str) -> PResult<'_, AddressLiteral> {
    let inner = byte(input, b'[').ok_or_else(|| error(ParseErrorKind::Path))?;
    let end = memchr::memchr(b']', inner.as_bytes()).ok_or_else(|| error(ParseErrorKind::Path))?;
    let (content, rest) = inner
        .split_at_checked(end)
        .ok_or_else(|| error(ParseErrorKind::Path))?;
    let rest = rest.get(1..).unwrap_or("");
    let ipv4 = if content.starts_with(|c: char| c.is_ascii_digit()) {
        finish(content, ipv4_address_literal, ParseErrorKind::Path).ok()
    } else {
        None
    };
    let lit = if let Some(l) = ipv4 {
        Ok(l)
    } else if let Some(addr) = strip_prefix_ignore_case(content, "IPv6:") {
        ipv6_address_literal(addr)
    } else {
        finish(content, general_address_literal, ParseErrorKind::Path)
    };
    lit.map(|l| (rest, l)).map_err(nom::Err::Error)
}

/// `IPv4-address-literal = Snum 3("."  Snum)` (RFC 5321 §4.1.3).
fn ipv4_address_literal(input: &str) -> PResult<'_, AddressLiteral> {
    let (rest, a) = snum(input)?;
    let mut octets = [a, 0, 0, 0];
    let mut rest = rest;
    for octet in &mut octets[1..] {
        let r = byte(rest, b'.').ok_or_else(|| error(ParseErrorKind::Path))?;
        (rest, *octet) = snum(r)?;
    }
    Ok((rest, AddressLiteral::Ipv4(Ipv4Addr::from(octets))))
}

/// `Snum = 1*3DIGIT` ; "representing a decimal integer value in the range
/// 0 through 255" (RFC 5321 §4.1.3). Leading zeros are allowed.
fn snum(input: &str) -> PResult<'_, u8> {
    let n = input.bytes().take(3).take_while(u8::is_ascii_digit).count();
    let (digits, rest) = input
        .split_at_checked(n)
        .ok_or_else(|| error(ParseErrorKind::Path))?;
    if digits.is_empty() {
        return Err(error(ParseErrorKind::Path));
    }
    let value = digits
        .bytes()
        .fold(0u16, |v, d| v * 10 + u16::from(d - b'0'));
    match u8::try_from(value) {
        Ok(v) => Ok((rest, v)),
        Err(_) => Err(error(ParseErrorKind::Path)),
    }
}

/// `IPv6-address-literal = "IPv6:" IPv6-addr` (RFC 5321 §4.1.3), after the
/// tag (case-insensitive like every ABNF string). `IPv6-addr` (full, comp,
/// v4-full, v4-comp) is what `Ipv6Addr` parses.
fn ipv6_address_literal(addr: &str) -> Result<AddressLiteral, ParseError> {
    addr.parse::<Ipv6Addr>()
        .map(AddressLiteral::Ipv6)
        .map_err(|_| ParseError::new(ParseErrorKind::Path))
}

/// `General-address-literal = Standardized-tag ":" 1*dcontent`
/// (RFC 5321 §4.1.3). The tag `IPv6` is reserved for the IPv6 form, so a
/// malformed IPv6 literal is an error, not a general literal.
fn general_address_literal(input: &str) -> PResult<'_, AddressLiteral> {
    let (rest, tag) = standardized_tag(input)?;
    if tag.eq_ignore_ascii_case("IPv6") {
        return Err(error(ParseErrorKind::Path));
    }
    let rest = byte(rest, b':').ok_or_else(|| error(ParseErrorKind::Path))?;
    let (rest, content) = take_bytes1(rest, is_dcontent)?;
    Ok((
        rest,
        AddressLiteral::General {
            tag: tag.to_owned(),
            content: content.to_owned(),
        },
    ))
}

/// `Standardized-tag = Ldh-str` ; "Standardized-tag MUST be specified in a
/// Standards-Track RFC and registered with IANA" (RFC 5321 §4.1.3).
/// `Ldh-str = *( ALPHA / DIGIT / "-" ) Let-dig`.
fn standardized_tag(input: &str) -> PResult<'_, &str> {
    let (rest, tag) = take_bytes1(input, |b| is_let_dig(b) || b == b'-')?;
    if !tag.ends_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(error(ParseErrorKind::Path));
    }
    Ok((rest, tag))
}

/// `dcontent = %d33-90 / %d94-126` ; "Printable US-ASCII excl. "[", "\",
/// "]"" (RFC 5321 §4.1.3).
fn is_dcontent(b: u8) -> bool {
    matches!(b, 33..=90 | 94..=126)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_leave_the_rest_like_nom_parsers_rfc5321_4_1_2() {
        assert_eq!(domain("a.b-c.d>x").unwrap(), (">x", "a.b-c.d"));
        // A bad label after a dot is not consumed: the dot stays.
        assert_eq!(domain("a.b.-c").unwrap(), (".-c", "a.b"));
        assert_eq!(domain("a..b").unwrap(), ("..b", "a"));
        assert!(domain("-a").is_err());
        assert!(domain("").is_err());
        assert_eq!(dot_string("a.b.@c").unwrap(), (".@c", "a.b"));
        assert_eq!(quoted_string(r#""a\"b"@c"#).unwrap(), ("@c", r#""a\"b""#));
        assert_eq!(quoted_string(r#""""#).unwrap(), ("", r#""""#));
        assert!(quoted_string(r#""a"#).is_err());
        assert!(quoted_string("\"a\\\u{e9}\"").is_err());
        assert_eq!(
            local_part("\u{e9}t\u{e9}@x").unwrap(),
            ("@x", "\u{e9}t\u{e9}")
        );
        assert_eq!(a_d_l("@a,@b.c:x").unwrap(), (":x", "@a,@b.c"));
        assert_eq!(snum("255.").unwrap(), (".", 255));
        assert_eq!(snum("0001").unwrap(), ("1", 0));
        assert!(snum("256").is_err());
        assert!(snum("x").is_err());
    }

    #[test]
    fn address_literal_ends_at_the_first_bracket_rfc5321_4_1_3() {
        let (rest, lit) = address_literal("[10.0.0.1]>").unwrap();
        assert_eq!(rest, ">");
        assert_eq!(lit, AddressLiteral::Ipv4(Ipv4Addr::new(10, 0, 0, 1)));
        assert!(address_literal("[10.0.0.1").is_err());
        assert!(address_literal("10.0.0.1]").is_err());
        assert!(address_literal("[IPV6:::1]").is_ok());
        assert!(address_literal("[ipv6:::1]").is_ok());
    }

    /// What an application builds obeys the same DNS limits as a parsed
    /// path: 63-octet ASCII labels, 255-octet domains (RFC 1035 §2.3.4).
    #[test]
    fn built_domains_and_hosts_keep_dns_label_limits_rfc1035_2_3_4() {
        let label63 = "a".repeat(63);
        let label64 = "a".repeat(64);
        assert!(Domain::new(format!("{label63}.example")).is_ok());
        assert!(Host::parse(&format!("{label63}.example")).is_ok());
        for too_long in [format!("{label64}.example"), format!("x.{label64}")] {
            let kind = |e: ParseError| e.kind;
            assert_eq!(
                Domain::new(too_long.clone()).map_err(kind),
                Err(ParseErrorKind::PathTooLong)
            );
            assert_eq!(
                Host::parse(&too_long).map_err(kind),
                Err(ParseErrorKind::PathTooLong)
            );
            assert_eq!(
                Mailbox::parse(&format!("u@{too_long}")).map_err(kind),
                Err(ParseErrorKind::PathTooLong)
            );
        }
        // A U-label's limit is its A-label's, left to IDNA.
        assert!(Domain::new(format!("{}.example", "é".repeat(40))).is_ok());
    }

    #[test]
    fn path_limits_are_hard_failures_rfc5321_4_5_3_1() {
        let long = format!("<{}@b>", "a".repeat(65));
        assert_eq!(
            path(&long),
            Err(nom::Err::Failure(ParseError::new(
                ParseErrorKind::PathTooLong
            )))
        );
        assert!(matches!(path("<a@b"), Err(nom::Err::Error(_))));
    }
}
