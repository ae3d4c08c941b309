//! Mechanism names (RFC 4422 §3.1) and choosing one (RFC 4422 §3.3).

use std::fmt;
use std::str::FromStr;

use crate::SaslError;

/// A SASL mechanism, known by name.
///
/// The known variants are the ones this crate implements;
/// any other syntactically valid name is [`Mechanism::Other`]. Build one from
/// a peer's capability list with [`Mechanism::from_name`], which maps every
/// known name to its variant, so `Other` never holds a known name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mechanism {
    /// `PLAIN` (RFC 4616).
    Plain,
    /// `LOGIN` (draft-murchison-sasl-login).
    Login,
    /// `XOAUTH2` (Google and Microsoft's pre-standard OAuth 2.0 mechanism).
    XOAuth2,
    /// `OAUTHBEARER` (RFC 7628).
    OAuthBearer,
    /// `SCRAM-SHA-256` (RFC 7677, RFC 5802).
    ScramSha256,
    /// `SCRAM-SHA-256-PLUS`, with TLS channel binding (RFC 7677, RFC 5802
    /// §6, RFC 9266).
    ScramSha256Plus,
    /// `CRAM-MD5` (RFC 2195).
    CramMd5,
    /// `EXTERNAL` (RFC 4422 Appendix A).
    External,
    /// `ANONYMOUS` (RFC 4505).
    Anonymous,
    /// Any other registered or private mechanism name.
    Other(MechanismName),
}

/// A syntactically valid mechanism name that this crate does not know.
///
/// Validated at construction (RFC 4422 §3.1: `1*20` of `A-Z 0-9 - _`) and
/// stored in upper case, so a protocol can write it into a command line
/// without any risk of injecting CR, LF or spaces. Only
/// [`Mechanism::from_name`] builds one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MechanismName(String);

impl MechanismName {
    /// The upper-case wire name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The known mechanisms, by wire name.
const KNOWN: [(&str, Mechanism); 9] = [
    ("PLAIN", Mechanism::Plain),
    ("LOGIN", Mechanism::Login),
    ("XOAUTH2", Mechanism::XOAuth2),
    ("OAUTHBEARER", Mechanism::OAuthBearer),
    ("SCRAM-SHA-256", Mechanism::ScramSha256),
    ("SCRAM-SHA-256-PLUS", Mechanism::ScramSha256Plus),
    ("CRAM-MD5", Mechanism::CramMd5),
    ("EXTERNAL", Mechanism::External),
    ("ANONYMOUS", Mechanism::Anonymous),
];

impl Mechanism {
    /// The upper-case name as it appears on the wire (`AUTH PLAIN`,
    /// `AUTHENTICATE PLAIN`).
    pub fn name(&self) -> &str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Login => "LOGIN",
            Mechanism::XOAuth2 => "XOAUTH2",
            Mechanism::OAuthBearer => "OAUTHBEARER",
            Mechanism::ScramSha256 => "SCRAM-SHA-256",
            Mechanism::ScramSha256Plus => "SCRAM-SHA-256-PLUS",
            Mechanism::CramMd5 => "CRAM-MD5",
            Mechanism::External => "EXTERNAL",
            Mechanism::Anonymous => "ANONYMOUS",
            Mechanism::Other(name) => name.as_str(),
        }
    }

    /// Parses a mechanism name, ignoring ASCII case.
    ///
    /// RFC 4422 §3.1 names are upper case; servers in the wild advertise
    /// `auth=plain` too, so case is ignored. Anything but `1*20` of
    /// `A-Z a-z 0-9 - _` is [`SaslError::InvalidMechanismName`].
    pub fn from_name(name: &str) -> Result<Mechanism, SaslError> {
        let valid_char = |b: &u8| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_';
        if name.is_empty() || name.len() > 20 || !name.as_bytes().iter().all(valid_char) {
            return Err(SaslError::InvalidMechanismName);
        }
        let upper = name.to_ascii_uppercase();
        Ok(KNOWN
            .iter()
            .find(|(known, _)| *known == upper)
            .map(|(_, mechanism)| mechanism.clone())
            .unwrap_or(Mechanism::Other(MechanismName(upper))))
    }

    /// How strongly the mechanism protects the credential, higher is better;
    /// 0 means [`select`] never picks it on its own.
    ///
    /// The order is SCRAM-SHA-256-PLUS (7) > SCRAM-SHA-256 (6) > OAUTHBEARER
    /// (5) > XOAUTH2 (4) > CRAM-MD5 (3) > PLAIN (2) > LOGIN (1). EXTERNAL and
    /// ANONYMOUS change *who* is authenticated rather than how well, and an
    /// unknown mechanism cannot be judged, so they rank 0: [`select`] picks
    /// EXTERNAL and ANONYMOUS only when the credentials ask for them, and
    /// never an unknown mechanism.
    pub fn strength(&self) -> u8 {
        match self {
            Mechanism::ScramSha256Plus => 7,
            Mechanism::ScramSha256 => 6,
            Mechanism::OAuthBearer => 5,
            Mechanism::XOAuth2 => 4,
            Mechanism::CramMd5 => 3,
            Mechanism::Plain => 2,
            Mechanism::Login => 1,
            Mechanism::External | Mechanism::Anonymous | Mechanism::Other(_) => 0,
        }
    }

    /// Whether an eavesdropper on an unencrypted connection learns a
    /// reusable credential: a password (PLAIN, LOGIN) or a bearer token
    /// (XOAUTH2, OAUTHBEARER; RFC 6750 §5.3). Unknown mechanisms count as
    /// exposing.
    ///
    /// Protocols refuse these before TLS unless the application explicitly
    /// allows it (SECURITY.md A1, C06; RFC 4954 §4, RFC 4616 §5).
    pub fn exposes_credentials(&self) -> bool {
        match self {
            Mechanism::Plain
            | Mechanism::Login
            | Mechanism::XOAuth2
            | Mechanism::OAuthBearer
            | Mechanism::Other(_) => true,
            Mechanism::ScramSha256
            | Mechanism::ScramSha256Plus
            | Mechanism::CramMd5
            | Mechanism::External
            | Mechanism::Anonymous => false,
        }
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Mechanism {
    type Err = SaslError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Mechanism::from_name(name)
    }
}

/// Chooses the strongest mechanism that the peer offers and the application
/// has available (RFC 4422 §3.3 leaves the choice to the client).
///
/// `offered` is the peer's list as text (SMTP `250-AUTH` words, IMAP
/// `AUTH=` capabilities, POP3 `SASL` words), compared ignoring case; names
/// that are not valid mechanism names are skipped. `available` is what the
/// application can use, typically
/// [`Credentials::mechanisms`](crate::client::Credentials::mechanisms), or
/// [`Credentials::mechanisms_with_channel_binding`](crate::client::Credentials::mechanisms_with_channel_binding)
/// on a TLS connection with channel-binding data (only then can
/// SCRAM-SHA-256-PLUS win). The strongest by [`strength`](Mechanism::strength)
/// wins; EXTERNAL and ANONYMOUS (strength 0) are picked only when they are
/// in `available`, which the credentials do only when they are EXTERNAL or
/// ANONYMOUS credentials; unknown mechanisms are never picked.
///
/// This does not enforce policy: refusing to fall back from SCRAM to PLAIN,
/// or plaintext mechanisms before TLS (SECURITY.md A1, A3), is the
/// protocol's job, with [`Mechanism::exposes_credentials`].
pub fn select<I>(offered: I, available: &[Mechanism]) -> Option<Mechanism>
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    offered
        .into_iter()
        .filter_map(|name| Mechanism::from_name(name.as_ref()).ok())
        .filter(|mechanism| {
            let selectable = mechanism.strength() > 0
                || matches!(mechanism, Mechanism::External | Mechanism::Anonymous);
            selectable && available.contains(mechanism)
        })
        .max_by_key(Mechanism::strength)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_round_trip_ignoring_case_rfc4422_3_1() {
        for (name, mechanism) in KNOWN {
            assert_eq!(Mechanism::from_name(name).unwrap(), mechanism);
            assert_eq!(
                Mechanism::from_name(&name.to_ascii_lowercase()).unwrap(),
                mechanism
            );
            assert_eq!(mechanism.name(), name);
            assert_eq!(mechanism.to_string(), name);
        }
    }

    #[test]
    fn unknown_name_is_other_in_upper_case() {
        let mechanism: Mechanism = "x-custom_1".parse().unwrap();
        match &mechanism {
            Mechanism::Other(name) => assert_eq!(name.as_str(), "X-CUSTOM_1"),
            other => panic!("expected Other, got {other:?}"),
        }
        assert_eq!(mechanism.name(), "X-CUSTOM_1");
        assert_eq!(mechanism.strength(), 0);
        assert!(mechanism.exposes_credentials());
    }

    #[test]
    fn invalid_names_are_rejected_rfc4422_3_1() {
        for bad in [
            "",
            "PLAIN\r\nRSET",
            "PLAIN LOGIN",
            "A23456789012345678901",
            "PLÄIN",
            "PLAIN=",
        ] {
            assert_eq!(
                Mechanism::from_name(bad),
                Err(SaslError::InvalidMechanismName),
                "{bad:?}"
            );
        }
        // Exactly 20 characters is still a name.
        assert!(Mechanism::from_name("A2345678901234567890").is_ok());
    }

    #[test]
    fn strength_order_is_scram_plus_first_login_last() {
        let order = [
            Mechanism::ScramSha256Plus,
            Mechanism::ScramSha256,
            Mechanism::OAuthBearer,
            Mechanism::XOAuth2,
            Mechanism::CramMd5,
            Mechanism::Plain,
            Mechanism::Login,
        ];
        for pair in order.windows(2) {
            assert!(pair[0].strength() > pair[1].strength(), "{pair:?}");
        }
        assert_eq!(order.last().unwrap().strength(), 1);
        assert_eq!(Mechanism::External.strength(), 0);
        assert_eq!(Mechanism::Anonymous.strength(), 0);
    }

    #[test]
    fn plaintext_mechanisms_expose_credentials() {
        assert!(Mechanism::Plain.exposes_credentials());
        assert!(Mechanism::Login.exposes_credentials());
        assert!(Mechanism::XOAuth2.exposes_credentials());
        assert!(Mechanism::OAuthBearer.exposes_credentials());
        assert!(!Mechanism::ScramSha256.exposes_credentials());
        assert!(!Mechanism::External.exposes_credentials());
    }
}
