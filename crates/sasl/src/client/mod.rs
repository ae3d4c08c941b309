//! The client side: turn the application's credentials into SASL responses.
//!
//! Call order: [`ClientMechanism::new`], then [`ClientMechanism::initial_response`]
//! if the protocol can send one (SMTP `AUTH <mech> <ir>`, IMAP with SASL-IR,
//! POP3 `AUTH <mech> <ir>`), then [`ClientMechanism::step`] for every
//! challenge the server sends, until the server reports the outcome.

mod messages;

use postwire_core::Secret;

use crate::{Mechanism, SaslError};

/// What the application authenticates with.
///
/// `Debug` shows the user names but never the password or the token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// A user name and password, for PLAIN and LOGIN.
    Password {
        /// Whom to act as, if not the user itself (RFC 4616 §2 `authzid`).
        /// `Some("")` means the same as `None`. LOGIN cannot carry one.
        authzid: Option<String>,
        /// Who authenticates (RFC 4616 §2 `authcid`).
        username: String,
        /// The password.
        password: Secret<String>,
    },
    /// An OAuth 2.0 access token, for OAUTHBEARER and XOAUTH2.
    OAuth2 {
        /// The user the token belongs to. XOAUTH2 requires it; OAUTHBEARER
        /// sends it as the GS2 `a=` authorization identity and omits `a=`
        /// when it is empty (RFC 7628 §3.1).
        username: String,
        /// The bearer token (RFC 6750 §2.1).
        token: Secret<String>,
        /// The server host name, sent as OAUTHBEARER's `host` key (RFC 7628
        /// §3.1); XOAUTH2 ignores it.
        host: Option<String>,
        /// The server port, sent as OAUTHBEARER's `port` key; XOAUTH2
        /// ignores it.
        port: Option<u16>,
    },
}

impl Credentials {
    /// A user name and password without an authorization identity.
    pub fn password(username: impl Into<String>, password: impl Into<Secret<String>>) -> Self {
        Credentials::Password {
            authzid: None,
            username: username.into(),
            password: password.into(),
        }
    }

    /// An OAuth 2.0 token without host and port.
    pub fn oauth2(username: impl Into<String>, token: impl Into<Secret<String>>) -> Self {
        Credentials::OAuth2 {
            username: username.into(),
            token: token.into(),
            host: None,
            port: None,
        }
    }

    /// The implemented mechanisms these credentials can drive, to pass to
    /// [`select`](crate::select) as `available`.
    ///
    /// A password with an authorization identity excludes LOGIN, which cannot
    /// carry one.
    pub fn mechanisms(&self) -> &'static [Mechanism] {
        const PASSWORD: &[Mechanism] = &[Mechanism::Plain, Mechanism::Login];
        const PASSWORD_AUTHZID: &[Mechanism] = &[Mechanism::Plain];
        const OAUTH2: &[Mechanism] = &[Mechanism::OAuthBearer, Mechanism::XOAuth2];
        match self {
            Credentials::Password { authzid, .. }
                if authzid.as_deref().is_some_and(|a| !a.is_empty()) =>
            {
                PASSWORD_AUTHZID
            }
            Credentials::Password { .. } => PASSWORD,
            Credentials::OAuth2 { .. } => OAUTH2,
        }
    }
}

/// How a mechanism answers the server's error challenge, which carries
/// a JSON error report after a rejected token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ErrorReply {
    /// PLAIN: the server never challenges after the message.
    None,
    /// XOAUTH2: an empty response (Google's "XOAUTH2 protocol" page).
    Empty,
    /// OAUTHBEARER: a single `%x01` (RFC 7628 §3.2.3).
    Kvsep,
}

/// What the mechanism sends.
#[derive(Debug, Clone)]
enum Messages {
    /// PLAIN, XOAUTH2 and OAUTHBEARER: one message, as the initial response or
    /// in answer to the first (empty) challenge.
    Single {
        message: Secret<Vec<u8>>,
        on_error: ErrorReply,
    },
    /// LOGIN: the user name, then the password, one per challenge.
    Login {
        username: Secret<Vec<u8>>,
        password: Secret<Vec<u8>>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing sent yet.
    Start,
    /// LOGIN: the user name is sent, the password is next.
    SentUsername,
    /// Everything sent; a success outcome is now consistent.
    Complete,
    /// The server sent an error challenge (answered), or a challenge the
    /// mechanism does not allow (refused).
    Failed,
}

/// The client side of one SASL exchange.
///
/// Sans-IO: responses go out raw, and the protocol base64-encodes them
/// (see [`encode_base64`](crate::encode_base64)). `Debug` shows the
/// mechanism and the state, never the credentials.
#[derive(Debug, Clone)]
pub struct ClientMechanism {
    mechanism: Mechanism,
    messages: Messages,
    state: State,
    error_details: Option<Vec<u8>>,
}

impl ClientMechanism {
    /// Prepares an exchange with `mechanism` for `credentials`.
    ///
    /// Fails with [`SaslError::UnsupportedMechanism`] for a mechanism not
    /// implemented yet, [`SaslError::CredentialsMismatch`] when the
    /// credentials do not fit it (a token for PLAIN), and a field error when
    /// a credential could not be encoded faithfully: an empty user name or
    /// password, a NUL in a PLAIN or LOGIN field (RFC 4616 §2), a control
    /// character in an XOAUTH2 or OAUTHBEARER field (RFC 7628 §3.1), an
    /// authorization identity for LOGIN.
    pub fn new(mechanism: Mechanism, credentials: &Credentials) -> Result<Self, SaslError> {
        let messages = match (&mechanism, credentials) {
            (
                Mechanism::Plain,
                Credentials::Password {
                    authzid,
                    username,
                    password,
                },
            ) => Messages::Single {
                message: messages::plain(authzid.as_deref(), username, password.expose())?,
                on_error: ErrorReply::None,
            },
            (
                Mechanism::Login,
                Credentials::Password {
                    authzid,
                    username,
                    password,
                },
            ) => {
                let (username, password) =
                    messages::login(authzid.as_deref(), username, password.expose())?;
                Messages::Login { username, password }
            }
            (
                Mechanism::XOAuth2,
                Credentials::OAuth2 {
                    username, token, ..
                },
            ) => Messages::Single {
                message: messages::xoauth2(username, token.expose())?,
                on_error: ErrorReply::Empty,
            },
            (
                Mechanism::OAuthBearer,
                Credentials::OAuth2 {
                    username,
                    token,
                    host,
                    port,
                },
            ) => Messages::Single {
                message: messages::oauthbearer(username, token.expose(), host.as_deref(), *port)?,
                on_error: ErrorReply::Kvsep,
            },
            (
                Mechanism::Plain | Mechanism::Login | Mechanism::XOAuth2 | Mechanism::OAuthBearer,
                _,
            ) => {
                return Err(SaslError::CredentialsMismatch);
            }
            _ => return Err(SaslError::UnsupportedMechanism),
        };
        Ok(ClientMechanism {
            mechanism,
            messages,
            state: State::Start,
            error_details: None,
        })
    }

    /// The mechanism, for the protocol's `AUTH <name>` command.
    pub fn mechanism(&self) -> &Mechanism {
        &self.mechanism
    }

    /// The initial response (RFC 4422 §3.3), raw: the protocol base64s it.
    ///
    /// PLAIN, XOAUTH2 and OAUTHBEARER have one; LOGIN has none and waits for
    /// the server's first challenge. Call this only when the protocol will
    /// send the result (SMTP and POP3 always can, IMAP with SASL-IR): it is
    /// handed out once, and a later call returns `None`. When the protocol
    /// cannot send it, skip this call and the message goes out in answer to
    /// the server's first, empty challenge via [`step`](Self::step).
    pub fn initial_response(&mut self) -> Option<Secret<Vec<u8>>> {
        match (&self.messages, self.state) {
            (Messages::Single { message, .. }, State::Start) => {
                self.state = State::Complete;
                Some(message.clone())
            }
            _ => None,
        }
    }

    /// Answers one server challenge: raw (base64-decoded) bytes in, raw
    /// response out.
    ///
    /// The content of a LOGIN challenge (`Username:`, `Password:`, or
    /// anything else) is ignored; the answers go in order. After XOAUTH2 or
    /// OAUTHBEARER's message, a challenge is the server's error report: it is
    /// kept for [`error_details`](Self::error_details) and answered with the
    /// mechanism's dummy response, after which the server reports failure.
    /// Any other challenge is [`SaslError::UnexpectedChallenge`]: the
    /// protocol must then cancel the exchange (RFC 4422 §3.4; `*` in SMTP,
    /// POP3 and IMAP).
    pub fn step(&mut self, challenge: &[u8]) -> Result<Secret<Vec<u8>>, SaslError> {
        match (&self.messages, self.state) {
            (Messages::Single { message, .. }, State::Start) => {
                self.state = State::Complete;
                Ok(message.clone())
            }
            (Messages::Single { on_error, .. }, State::Complete) => {
                let reply = match on_error {
                    ErrorReply::None => None,
                    ErrorReply::Empty => Some(Vec::new()),
                    ErrorReply::Kvsep => Some(vec![0x01]),
                };
                self.state = State::Failed;
                let reply = reply.ok_or(SaslError::UnexpectedChallenge)?;
                self.error_details = Some(challenge.to_vec());
                Ok(Secret::new(reply))
            }
            (Messages::Login { username, .. }, State::Start) => {
                self.state = State::SentUsername;
                Ok(username.clone())
            }
            (Messages::Login { password, .. }, State::SentUsername) => {
                self.state = State::Complete;
                Ok(password.clone())
            }
            _ => {
                self.state = State::Failed;
                Err(SaslError::UnexpectedChallenge)
            }
        }
    }

    /// Whether the client has sent everything, so that a success outcome
    /// from the server is consistent with the exchange.
    ///
    /// A protocol that receives success while this is `false` (for example
    /// LOGIN before the password was sent) must treat it as an error. False
    /// after an error challenge.
    pub fn is_complete(&self) -> bool {
        self.state == State::Complete
    }

    /// The server's error challenge after a rejected XOAUTH2 or OAUTHBEARER
    /// token: JSON such as `{"status":"invalid_token",...}` (RFC 7628 §3.2.2),
    /// raw as received. `None` if there was none.
    pub fn error_details(&self) -> Option<&[u8]> {
        self.error_details.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn password() -> Credentials {
        Credentials::password("tim", "tanstaaftanstaaf")
    }

    #[test]
    fn plain_initial_response_is_handed_out_once_rfc4422_3_3() {
        let mut client = ClientMechanism::new(Mechanism::Plain, &password()).unwrap();
        assert!(!client.is_complete());
        let ir = client.initial_response().unwrap();
        assert_eq!(ir.expose(), b"\0tim\0tanstaaftanstaaf");
        assert!(client.is_complete());
        assert!(client.initial_response().is_none());
        assert_eq!(client.step(b""), Err(SaslError::UnexpectedChallenge));
        assert!(!client.is_complete());
    }

    #[test]
    fn plain_without_initial_response_answers_empty_challenge_rfc4616_2() {
        let mut client = ClientMechanism::new(Mechanism::Plain, &password()).unwrap();
        let response = client.step(b"").unwrap();
        assert_eq!(response.expose(), b"\0tim\0tanstaaftanstaaf");
        assert!(client.is_complete());
        assert_eq!(client.step(b""), Err(SaslError::UnexpectedChallenge));
    }

    #[test]
    fn login_has_no_initial_response_and_ignores_prompt_text() {
        let mut client = ClientMechanism::new(Mechanism::Login, &password()).unwrap();
        assert!(client.initial_response().is_none());
        // Prompts in another language, or swapped, change nothing.
        assert_eq!(client.step(b"Benutzername:").unwrap().expose(), b"tim");
        assert!(!client.is_complete());
        assert_eq!(
            client.step(b"Username:").unwrap().expose(),
            b"tanstaaftanstaaf"
        );
        assert!(client.is_complete());
        assert_eq!(
            client.step(b"Password:"),
            Err(SaslError::UnexpectedChallenge)
        );
    }

    #[test]
    fn credentials_must_fit_the_mechanism() {
        let token = Credentials::oauth2("user@example.com", "token");
        assert_eq!(
            ClientMechanism::new(Mechanism::Plain, &token).unwrap_err(),
            SaslError::CredentialsMismatch
        );
        assert_eq!(
            ClientMechanism::new(Mechanism::Login, &token).unwrap_err(),
            SaslError::CredentialsMismatch
        );
        assert_eq!(
            ClientMechanism::new(Mechanism::XOAuth2, &password()).unwrap_err(),
            SaslError::CredentialsMismatch
        );
        assert_eq!(
            ClientMechanism::new(Mechanism::OAuthBearer, &password()).unwrap_err(),
            SaslError::CredentialsMismatch
        );
    }

    #[test]
    fn unimplemented_mechanisms_are_a_clear_error() {
        for mechanism in [
            Mechanism::ScramSha256,
            Mechanism::ScramSha256Plus,
            Mechanism::CramMd5,
            Mechanism::External,
            Mechanism::Anonymous,
            Mechanism::from_name("X-UNKNOWN").unwrap(),
        ] {
            assert_eq!(
                ClientMechanism::new(mechanism, &password()).unwrap_err(),
                SaslError::UnsupportedMechanism
            );
        }
    }

    #[test]
    fn mechanisms_follow_credentials() {
        assert_eq!(
            password().mechanisms(),
            [Mechanism::Plain, Mechanism::Login]
        );
        let with_authzid = Credentials::Password {
            authzid: Some("Ursel".into()),
            username: "Kurt".into(),
            password: "xipj3plmq".into(),
        };
        assert_eq!(with_authzid.mechanisms(), [Mechanism::Plain]);
        assert_eq!(
            Credentials::oauth2("u", "t").mechanisms(),
            [Mechanism::OAuthBearer, Mechanism::XOAuth2]
        );
    }
}
