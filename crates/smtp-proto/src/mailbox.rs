//! Paths and mailboxes (RFC 5321 §4.1.2, RFC 6531 §3.3 for UTF-8).
//!
//! Every type here validates at construction, so encoding one can never
//! write a CR, LF, space or `>` into a command.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::ParseError;

/// Longest local part, RFC 5321 §4.5.3.1.1.
pub const MAX_LOCAL_PART: usize = 64;
/// Longest domain, RFC 5321 §4.5.3.1.2.
pub const MAX_DOMAIN: usize = 255;
/// Longest path including the angle brackets, RFC 5321 §4.5.3.1.3.
pub const MAX_PATH: usize = 256;

/// A domain name: `Domain = sub-domain *("." sub-domain)` (RFC 5321 §4.1.2),
/// with U-labels allowed as RFC 6531 §3.3 extends it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Domain(String);

impl Domain {
    /// Validates a domain name.
    pub fn new(domain: impl Into<String>) -> Result<Self, ParseError> {
        todo!()
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
    pub fn to_ascii(&self) -> Result<Domain, ParseError> {
        todo!()
    }
}

/// An address literal in brackets (RFC 5321 §4.1.3).
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

/// The part after `@`: a domain or an address literal.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Host {
    /// A domain name.
    Domain(Domain),
    /// An address literal.
    Literal(AddressLiteral),
}

/// A local part, kept in its wire form: a dot-atom, or a quoted string with
/// its quotes and escapes (RFC 5321 §4.1.2 `Local-part`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LocalPart(String);

impl LocalPart {
    /// Validates a local part in wire form (`john.doe` or `"john doe"`).
    pub fn new(wire: impl Into<String>) -> Result<Self, ParseError> {
        todo!()
    }

    /// A local part for this value, quoted only if it is not a dot-atom.
    pub fn from_value(value: &str) -> Result<Self, ParseError> {
        todo!()
    }

    /// The wire form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether it is pure ASCII.
    pub fn is_ascii(&self) -> bool {
        self.0.is_ascii()
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
    /// limits.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        todo!()
    }

    /// Whether sending this address needs SMTPUTF8: a non-ASCII local part,
    /// or a non-ASCII domain that has no A-label form.
    pub fn needs_smtputf8(&self) -> bool {
        todo!()
    }

    /// Whether any part is non-ASCII.
    pub fn is_ascii(&self) -> bool {
        todo!()
    }

    /// This mailbox with a non-ASCII domain turned into A-labels, for a
    /// server without SMTPUTF8. The local part is left alone.
    pub fn to_ascii_domain(&self) -> Result<Self, ParseError> {
        todo!()
    }
}

impl std::fmt::Display for Mailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        todo!()
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

/// `Forward-path = Path` (RFC 5321 §4.1.2), plus the bare `<Postmaster>`
/// that RCPT must accept (RFC 5321 §4.1.1.3).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ForwardPath {
    /// `<Postmaster>` without a domain (case-insensitive).
    Postmaster,
    /// A mailbox.
    Mailbox(Mailbox),
}
