//! EHLO keywords (RFC 5321 §4.1.1.1 `ehlo-line`), typed.


use crate::{Domain, MechanismName, ParseError, Reply};

/// What an EHLO (or LHLO) reply advertises.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// `SIZE [n]` (RFC 1870): `Some(None)` when advertised without a number
    /// or with 0 (no fixed limit), `Some(Some(n))` for a limit of n octets.
    pub size: Option<Option<u64>>,
    /// `8BITMIME` (RFC 6152).
    pub eight_bit_mime: bool,
    /// `BINARYMIME` (RFC 3030).
    pub binary_mime: bool,
    /// `PIPELINING` (RFC 2920).
    pub pipelining: bool,
    /// `CHUNKING` (RFC 3030).
    pub chunking: bool,
    /// `SMTPUTF8` (RFC 6531).
    pub smtputf8: bool,
    /// `DSN` (RFC 3461).
    pub dsn: bool,
    /// `STARTTLS` (RFC 3207).
    pub starttls: bool,
    /// `AUTH mech...` (RFC 4954), in the server's order. Also filled from the
    /// pre-standard `AUTH=mech...` form that old servers send.
    pub auth: Vec<MechanismName>,
    /// `ENHANCEDSTATUSCODES` (RFC 2034).
    pub enhanced_status_codes: bool,
    /// `REQUIRETLS` (RFC 8689).
    pub requiretls: bool,
    /// `DELIVERBY [min-by-time]` (RFC 2852): `Some(None)` without a value.
    pub deliver_by: Option<Option<u64>>,
    /// `MT-PRIORITY [policy]` (RFC 6710): `Some(None)` without a policy name.
    pub mt_priority: Option<Option<String>>,
    /// Every other keyword with its parameters, as sent, in order.
    pub other: Vec<(String, Vec<String>)>,
}

impl Capabilities {
    /// Reads an EHLO reply: the first line is the server's domain and
    /// greeting, each further line one keyword. Unknown or malformed keyword
    /// lines are kept in `other`, never an error.
    pub fn from_ehlo_reply(reply: &Reply) -> Self {
        todo!()
    }

    /// The keyword lines a server advertises (without the first, greeting
    /// line), for [`Capabilities::to_ehlo_reply`].
    pub fn to_lines(&self) -> Vec<String> {
        todo!()
    }

    /// A complete `250` EHLO reply: `domain greeting` then the keywords.
    pub fn to_ehlo_reply(&self, domain: &Domain, greeting: &str) -> Result<Reply, ParseError> {
        todo!()
    }

    /// Whether the named SASL mechanism is offered.
    pub fn has_auth(&self, mechanism: &str) -> bool {
        self.auth.iter().any(|m| m.as_str().eq_ignore_ascii_case(mechanism))
    }
}

