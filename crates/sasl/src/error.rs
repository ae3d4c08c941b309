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
    /// header, RFC 5801 §4).
    Authzid,
    /// The authentication identity (`authcid`, RFC 4616 §2), the user name
    /// of LOGIN, CRAM-MD5 and XOAUTH2, SCRAM's `n=` (RFC 5802 §5.1).
    Username,
    /// The password (`passwd`, RFC 4616 §2).
    Password,
    /// The OAuth 2.0 bearer token (RFC 6750 §2.1).
    Token,
    /// The `host` key of OAUTHBEARER (RFC 7628 §3.1).
    Host,
    /// The `port` key of OAUTHBEARER (RFC 7628 §3.1).
    Port,
    /// The GS2 header (RFC 5801 §4): channel-binding flag and authzid.
    Gs2Header,
    /// A SCRAM nonce, `r=` (RFC 5802 §5.1), or a nonce given in the options.
    Nonce,
    /// The SCRAM salt, `s=` (RFC 5802 §5.1).
    Salt,
    /// The SCRAM iteration count, `i=` (RFC 5802 §5.1).
    IterationCount,
    /// The SCRAM channel-binding attribute, `c=` (RFC 5802 §5.1).
    ChannelBinding,
    /// The SCRAM client proof, `p=` (RFC 5802 §5.1).
    Proof,
    /// The SCRAM server signature, `v=` (RFC 5802 §5.1).
    Verifier,
    /// The CRAM-MD5 digest (RFC 2195 §2).
    Digest,
    /// The ANONYMOUS trace information (RFC 4505 §3).
    Trace,
    /// The message as a whole: its attributes, separators or order.
    Message,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Authzid => "authorization identity",
            Field::Username => "username",
            Field::Password => "password",
            Field::Token => "token",
            Field::Host => "host",
            Field::Port => "port",
            Field::Gs2Header => "gs2 header",
            Field::Nonce => "nonce",
            Field::Salt => "salt",
            Field::IterationCount => "iteration count",
            Field::ChannelBinding => "channel binding",
            Field::Proof => "client proof",
            Field::Verifier => "server signature",
            Field::Digest => "digest",
            Field::Trace => "trace",
            Field::Message => "message",
        })
    }
}

/// A SCRAM `server-error-value` (RFC 5802 §7), as a server sends it in
/// `e=` of its final message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScramServerError {
    /// `invalid-encoding`
    InvalidEncoding,
    /// `extensions-not-supported`
    ExtensionsNotSupported,
    /// `invalid-proof`
    InvalidProof,
    /// `channel-bindings-dont-match`
    ChannelBindingsDontMatch,
    /// `server-does-support-channel-binding`: the server saw the client's
    /// `y` flag while it supports channel binding (a downgrade, RFC 5802 §6).
    ServerDoesSupportChannelBinding,
    /// `channel-binding-not-supported`
    ChannelBindingNotSupported,
    /// `unsupported-channel-binding-type`
    UnsupportedChannelBindingType,
    /// `unknown-user`
    UnknownUser,
    /// `invalid-username-encoding`
    InvalidUsernameEncoding,
    /// `no-resources`
    NoResources,
    /// `other-error`
    OtherError,
    /// A value RFC 5802 does not define (`server-error-value-ext`).
    Unrecognized,
}

impl ScramServerError {
    /// Maps an `e=` value (RFC 5802 §7 `server-error-value`).
    pub fn from_value(value: &[u8]) -> Self {
        match value {
            b"invalid-encoding" => Self::InvalidEncoding,
            b"extensions-not-supported" => Self::ExtensionsNotSupported,
            b"invalid-proof" => Self::InvalidProof,
            b"channel-bindings-dont-match" => Self::ChannelBindingsDontMatch,
            b"server-does-support-channel-binding" => Self::ServerDoesSupportChannelBinding,
            b"channel-binding-not-supported" => Self::ChannelBindingNotSupported,
            b"unsupported-channel-binding-type" => Self::UnsupportedChannelBindingType,
            b"unknown-user" => Self::UnknownUser,
            b"invalid-username-encoding" => Self::InvalidUsernameEncoding,
            b"no-resources" => Self::NoResources,
            b"other-error" => Self::OtherError,
            _ => Self::Unrecognized,
        }
    }

    /// The wire value (`unrecognized` for [`Self::Unrecognized`]).
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::InvalidEncoding => "invalid-encoding",
            Self::ExtensionsNotSupported => "extensions-not-supported",
            Self::InvalidProof => "invalid-proof",
            Self::ChannelBindingsDontMatch => "channel-bindings-dont-match",
            Self::ServerDoesSupportChannelBinding => "server-does-support-channel-binding",
            Self::ChannelBindingNotSupported => "channel-binding-not-supported",
            Self::UnsupportedChannelBindingType => "unsupported-channel-binding-type",
            Self::UnknownUser => "unknown-user",
            Self::InvalidUsernameEncoding => "invalid-username-encoding",
            Self::NoResources => "no-resources",
            Self::OtherError => "other-error",
            Self::Unrecognized => "unrecognized",
        }
    }
}

impl fmt::Display for ScramServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
    /// The mechanism is not implemented on this side (an
    /// [`Other`](crate::Mechanism::Other) name such as `GSSAPI`).
    #[error("sasl mechanism not implemented")]
    UnsupportedMechanism,
    /// The server options do not allow the mechanism: CRAM-MD5 needs a
    /// plaintext-equivalent secret and must be enabled explicitly
    /// (`ServerOptions::allow_plaintext_equivalent`).
    #[error("sasl mechanism disabled by the server options")]
    MechanismDisabled,
    /// The credentials do not fit the mechanism (an OAuth 2.0 token for
    /// PLAIN, a password for XOAUTH2), or a stored secret does not fit it
    /// (SCRAM keys for CRAM-MD5).
    #[error("credentials do not fit the sasl mechanism")]
    CredentialsMismatch,
    /// An authorization identity was given to a mechanism that cannot carry
    /// one (LOGIN, CRAM-MD5).
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
    /// (RFC 7628 §3.1, where 0x01 separates the fields), a character
    /// SASLprep prohibits (RFC 4013 §2.3).
    #[error("forbidden byte in {0}")]
    ForbiddenByte(Field),
    /// A field holds a character or a mix of text directions that SASLprep
    /// prohibits (RFC 4013 §2.3 and §2.4: private use, non-characters,
    /// unassigned code points, right-to-left text mixed with left-to-right),
    /// so the password is refused rather than prepared wrongly.
    #[error("{0} holds a character saslprep prohibits")]
    UnsupportedCharacter(Field),
    /// A field is longer than the limit (see `server::Limits`).
    #[error("{0} is too long")]
    FieldTooLong(Field),
    /// A field is not UTF-8 (RFC 4616 §2).
    #[error("{0} is not valid utf-8")]
    InvalidUtf8(Field),
    /// A field does not follow its grammar: a SCRAM attribute missing, out
    /// of order or badly encoded (RFC 5802 §7), a GS2 header that does not
    /// parse (RFC 5801 §4), a CRAM-MD5 digest that is not 32 hex digits.
    #[error("malformed {0}")]
    Malformed(Field),
    /// A PLAIN message has fewer than two NUL separators (RFC 4616 §2:
    /// `message = [authzid] UTF8NUL authcid UTF8NUL passwd`); an empty
    /// message is reported this way too.
    #[error("plain message has fewer than two nul separators")]
    MissingNul,
    /// A PLAIN message has more than two NUL separators (RFC 4616 §2).
    #[error("plain message has more than two nul separators")]
    ExtraNul,
    /// The SCRAM server nonce does not extend the client's nonce, or the
    /// client-final nonce is not the combined one (RFC 5802 §5.1).
    #[error("scram nonce mismatch")]
    NonceMismatch,
    /// The SCRAM iteration count is outside the client's bounds
    /// (`ClientOptions::min_iterations`, `max_iterations`; RFC 7677 §4
    /// asks for at least 4096).
    #[error("scram iteration count out of bounds")]
    IterationCount,
    /// The channel-binding data of the client-final message (`c=`) does not
    /// match the GS2 header and this side's TLS channel (RFC 5802 §6).
    #[error("channel binding mismatch")]
    ChannelBindingMismatch,
    /// A -PLUS mechanism without the channel-binding data it needs (no TLS,
    /// or the driver could not export the binding of the wanted type).
    #[error("channel binding data not available")]
    ChannelBindingUnavailable,
    /// The channel-binding flag does not fit the mechanism: `p=` with
    /// SCRAM-SHA-256, `n` or `y` with SCRAM-SHA-256-PLUS, `p=` with
    /// OAUTHBEARER, a binding type the server has no data for (RFC 5802 §6).
    #[error("channel binding flag does not fit the mechanism")]
    ChannelBindingFlag,
    /// The client sent `y` (it supports channel binding but thinks the
    /// server does not) to a server that does: a downgrade attack, and the
    /// server fails the exchange (RFC 5802 §6).
    #[error("channel binding downgrade detected")]
    ChannelBindingDowngrade,
    /// The server's SCRAM signature (`v=`) is wrong: the server does not
    /// know the password, so it is not who it claims to be (RFC 5802 §5).
    #[error("scram server signature does not verify")]
    ServerSignatureMismatch,
    /// The server ended SCRAM with `e=` (RFC 5802 §7).
    #[error("scram server error {0}")]
    ServerError(ScramServerError),
    /// The server side rejected the proof: a wrong password, an unknown
    /// user (not told apart, RFC 5802 §5.1), a wrong CRAM-MD5 digest, or
    /// the end of an OAUTHBEARER error exchange (RFC 7628 §3.2.3).
    #[error("authentication failed")]
    AuthenticationFailed,
    /// The client sent an initial response to a mechanism that begins with
    /// a server challenge (CRAM-MD5; RFC 4422 §3.3).
    #[error("sasl mechanism takes no initial response")]
    UnexpectedInitialResponse,
    /// The server sent a challenge where the mechanism allows none (RFC 4422
    /// §3.4: the client must then abort the exchange).
    #[error("unexpected sasl challenge")]
    UnexpectedChallenge,
    /// A server mechanism was driven out of order: `step` before `start`,
    /// `start` twice, `provide_secret` without a pending request, or any
    /// call after the exchange ended.
    #[error("sasl step called out of order")]
    OutOfOrder,
    /// Not strict RFC 4648 §4 base64 (standard alphabet, canonical padding,
    /// no whitespace).
    #[error("invalid base64")]
    InvalidBase64,
    /// The operating system's random number generator failed, so no nonce
    /// could be made.
    #[error("operating system randomness unavailable")]
    RandomnessUnavailable,
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
            SaslError::MechanismDisabled,
            SaslError::UnsupportedCharacter(Field::Password),
            SaslError::Malformed(Field::Nonce),
            SaslError::NonceMismatch,
            SaslError::IterationCount,
            SaslError::ChannelBindingMismatch,
            SaslError::ChannelBindingUnavailable,
            SaslError::ChannelBindingFlag,
            SaslError::ChannelBindingDowngrade,
            SaslError::ServerSignatureMismatch,
            SaslError::ServerError(ScramServerError::InvalidProof),
            SaslError::AuthenticationFailed,
            SaslError::UnexpectedInitialResponse,
            SaslError::RandomnessUnavailable,
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
        assert_eq!(
            SaslError::ServerError(ScramServerError::InvalidProof).to_string(),
            "scram server error invalid-proof"
        );
    }

    #[test]
    fn scram_server_error_values_round_trip_rfc5802_7() {
        for value in [
            "invalid-encoding",
            "extensions-not-supported",
            "invalid-proof",
            "channel-bindings-dont-match",
            "server-does-support-channel-binding",
            "channel-binding-not-supported",
            "unsupported-channel-binding-type",
            "unknown-user",
            "invalid-username-encoding",
            "no-resources",
            "other-error",
        ] {
            assert_eq!(
                ScramServerError::from_value(value.as_bytes()).as_str(),
                value
            );
        }
        assert_eq!(
            ScramServerError::from_value(b"x-vendor"),
            ScramServerError::Unrecognized
        );
    }
}
