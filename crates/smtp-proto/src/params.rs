//! MAIL and RCPT parameters (RFC 5321 §4.1.2 `Mail-parameters`), typed for
//! the extensions real servers use.

use crate::{Mailbox, ParseError};

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

/// `BY=` of DELIVERBY (RFC 2852 §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DeliverBy {
    /// `by-time`: seconds, may be negative with mode `R`... see RFC 2852 §4.
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

impl MailParameters {
    /// No parameters.
    pub fn new() -> Self {
        Self::default()
    }
}

impl RcptParameters {
    /// No parameters.
    pub fn new() -> Self {
        Self::default()
    }
}

/// Checks an unknown parameter's keyword and value before encoding.
impl Parameter {
    /// Validates `esmtp-keyword` and `esmtp-value` (RFC 5321 §4.1.2).
    pub fn new(keyword: impl Into<String>, value: Option<String>) -> Result<Self, ParseError> {
        todo!()
    }

    /// The keyword as sent.
    pub fn keyword(&self) -> &str {
        &self.keyword
    }

    /// The value as sent.
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }
}
