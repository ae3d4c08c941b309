//! The one error type of the crate.

use std::fmt;

/// The field of a SASL message that an error is about.
///
/// Carried by [`SaslError`] so an error says *where* a message is wrong
/// without carrying any of its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// The authorization identity (`authzid`, RFC 4616 §2; `a=` of the GS2
    /// header, RFC 7628 §3.1).
    Authzid,
    /// The authentication identity (`authcid`, RFC 4616 §2), or the user
    /// name of LOGIN and XOAUTH2.
    Username,
    /// The password (`passwd`, RFC 4616 §2).
    Password,
    /// The OAuth 2.0 bearer token (RFC 6750 §2.1).
    Token,
    /// The `host` key of OAUTHBEARER (RFC 7628 §3.1).
    Host,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Authzid => "authorization identity",
            Field::Username => "username",
            Field::Password => "password",
            Field::Token => "token",
            Field::Host => "host",
        })
    }
}

/// Why a SASL exchange, a mechanism name or a base64 string was refused.
///
/// `Copy`, and it never carries peer or credential bytes, so it is safe to
/// log (SECURITY.md A4). After an error the mechanism that returned it is
/// finished: every later call returns [`SaslError::OutOfOrder`] or
/// [`SaslError::UnexpectedChallenge`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum SaslError {
    /// The mechanism is known but not implemented on this side yet
    /// (for example SCRAM-SHA-256 in this version).
    #[error("sasl mechanism not implemented")]
    UnsupportedMechanism,
    /// The credentials do not fit the mechanism (an OAuth 2.0 token for
    /// PLAIN, a password for XOAUTH2).
    #[error("credentials do not fit the sasl mechanism")]
    CredentialsMismatch,
    /// An authorization identity was given to a mechanism that cannot carry
    /// one (LOGIN).
    #[error("sasl mechanism cannot carry an authorization identity")]
    AuthzidNotSupported,
    /// Not a mechanism name: RFC 4422 §3.1 allows 1 to 20 characters of
    /// `A-Z`, `0-9`, `-` and `_`.
    #[error("invalid sasl mechanism name")]
    InvalidMechanismName,
    /// A field that must not be empty is empty (RFC 4616 §2: `authcid` and
    /// `passwd` are `1*SAFE`).
    #[error("empty {0}")]
    EmptyField(Field),
    /// A field holds a byte its syntax forbids: NUL in PLAIN and LOGIN fields
    /// (RFC 4616 §2), a control character in XOAUTH2 and OAUTHBEARER fields
    /// (RFC 7628 §3.1, where 0x01 separates the fields).
    #[error("forbidden byte in {0}")]
    ForbiddenByte(Field),
    /// A field is longer than the server's limit (see `server::Limits`).
    #[error("{0} is too long")]
    FieldTooLong(Field),
    /// A field is not UTF-8 (RFC 4616 §2).
    #[error("{0} is not valid utf-8")]
    InvalidUtf8(Field),
    /// A PLAIN message has fewer than two NUL separators (RFC 4616 §2:
    /// `message = [authzid] UTF8NUL authcid UTF8NUL passwd`); an empty
    /// message is reported this way too.
    #[error("plain message has fewer than two nul separators")]
    MissingNul,
    /// A PLAIN message has more than two NUL separators (RFC 4616 §2).
    #[error("plain message has more than two nul separators")]
    ExtraNul,
    /// The server sent a challenge where the mechanism allows none (RFC 4422
    /// §3.4: the client must then abort the exchange).
    #[error("unexpected sasl challenge")]
    UnexpectedChallenge,
    /// A server mechanism was driven out of order: `step` before `start`,
    /// `start` twice, or any call after the exchange ended.
    #[error("sasl step called out of order")]
    OutOfOrder,
    /// Not strict RFC 4648 §4 base64 (standard alphabet, canonical padding,
    /// no whitespace).
    #[error("invalid base64")]
    InvalidBase64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_lowercase_without_trailing_period() {
        let errors = [
            SaslError::UnsupportedMechanism,
            SaslError::CredentialsMismatch,
            SaslError::AuthzidNotSupported,
            SaslError::InvalidMechanismName,
            SaslError::EmptyField(Field::Username),
            SaslError::ForbiddenByte(Field::Token),
            SaslError::FieldTooLong(Field::Authzid),
            SaslError::InvalidUtf8(Field::Password),
            SaslError::MissingNul,
            SaslError::ExtraNul,
            SaslError::UnexpectedChallenge,
            SaslError::OutOfOrder,
            SaslError::InvalidBase64,
        ];
        for error in errors {
            let text = error.to_string();
            assert_eq!(text, text.to_lowercase(), "{text}");
            assert!(!text.ends_with('.'), "{text}");
        }
        assert_eq!(
            SaslError::EmptyField(Field::Password).to_string(),
            "empty password"
        );
    }
}
