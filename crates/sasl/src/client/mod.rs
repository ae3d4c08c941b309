//! The client side: turn the application's credentials into SASL responses.
//!
//! Call order: [`ClientMechanism::new`], then [`ClientMechanism::initial_response`]
//! if the protocol can send one (SMTP `AUTH <mech> <ir>`, IMAP with SASL-IR,
//! POP3 `AUTH <mech> <ir>`), then [`ClientMechanism::step`] for every
//! challenge the server sends, until the server reports the outcome.

mod messages;
mod scram;

use postwire_core::{ChannelBinding, Secret, TlsInfo};

use crate::saslprep::saslprep;
use crate::scram::{ChannelBindingType, has_channel_binding};
use crate::{Field, Mechanism, SaslError};

/// What the application authenticates with.
///
/// `Debug` shows the user names but never the password or the token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// A user name and password, for SCRAM-SHA-256(-PLUS), CRAM-MD5, PLAIN
    /// and LOGIN.
    Password {
        /// Whom to act as, if not the user itself (RFC 4616 §2 `authzid`,
        /// SCRAM's GS2 `a=`). `Some("")` means the same as `None`. LOGIN and
        /// CRAM-MD5 cannot carry one.
        authzid: Option<String>,
        /// Who authenticates (RFC 4616 §2 `authcid`, SCRAM's `n=`).
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
    /// Authentication established outside SASL, typically a TLS client
    /// certificate, for EXTERNAL (RFC 4422 Appendix A).
    External {
        /// Whom to act as, if not the identity the certificate establishes.
        authzid: Option<String>,
    },
    /// No authentication, for ANONYMOUS (RFC 4505).
    Anonymous {
        /// Trace information: an email address or an opaque token of at most
        /// 255 characters (RFC 4505 §3).
        trace: Option<String>,
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

    /// A user name and password that act as `authzid` (RFC 4616 §2, RFC 5802
    /// §5.1 `a=`); for SCRAM and PLAIN only.
    pub fn password_as(
        authzid: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<Secret<String>>,
    ) -> Self {
        Credentials::Password {
            authzid: Some(authzid.into()),
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

    /// An OAuth 2.0 token with the server's host and port, which
    /// OAUTHBEARER sends along (RFC 7628 §3.1).
    pub fn oauth2_for_host(
        username: impl Into<String>,
        token: impl Into<Secret<String>>,
        host: impl Into<String>,
        port: u16,
    ) -> Self {
        Credentials::OAuth2 {
            username: username.into(),
            token: token.into(),
            host: Some(host.into()),
            port: Some(port),
        }
    }

    /// EXTERNAL, acting as the identity the TLS client certificate
    /// establishes.
    pub fn external() -> Self {
        Credentials::External { authzid: None }
    }

    /// EXTERNAL, asking to act as `authzid`.
    pub fn external_as(authzid: impl Into<String>) -> Self {
        Credentials::External {
            authzid: Some(authzid.into()),
        }
    }

    /// ANONYMOUS with optional trace information (RFC 4505 §3).
    pub fn anonymous(trace: Option<String>) -> Self {
        Credentials::Anonymous { trace }
    }

    /// The mechanisms these credentials can drive without TLS channel
    /// binding, to pass to [`select`](crate::select) as `available`.
    ///
    /// A password lists SCRAM-SHA-256 (unless SASLprep refuses it, see the
    /// crate docs), CRAM-MD5, PLAIN and LOGIN; with an authorization
    /// identity only SCRAM-SHA-256 and PLAIN, which can carry one. A token
    /// lists OAUTHBEARER and XOAUTH2; EXTERNAL and ANONYMOUS credentials
    /// list only their own mechanism.
    pub fn mechanisms(&self) -> &'static [Mechanism] {
        self.mechanisms_for(false)
    }

    /// Like [`mechanisms`](Self::mechanisms), with SCRAM-SHA-256-PLUS first
    /// for a password: use this when the TLS layer provides channel-binding
    /// data ([`TlsInfo::channel_binding`]).
    pub fn mechanisms_with_channel_binding(&self) -> &'static [Mechanism] {
        self.mechanisms_for(true)
    }

    /// The mechanisms for the given channel-binding availability, from the
    /// TLS info if there is one ([`Self::mechanisms_with_channel_binding`]
    /// when it holds binding data).
    pub fn mechanisms_for_tls(&self, tls: Option<&TlsInfo>) -> &'static [Mechanism] {
        self.mechanisms_for(tls.is_some_and(|info| has_channel_binding(&info.channel_binding)))
    }

    fn mechanisms_for(&self, channel_binding: bool) -> &'static [Mechanism] {
        use Mechanism as M;
        const PLUS: &[M] = &[
            M::ScramSha256Plus,
            M::ScramSha256,
            M::CramMd5,
            M::Plain,
            M::Login,
        ];
        const SCRAM: &[M] = &[M::ScramSha256, M::CramMd5, M::Plain, M::Login];
        const NO_SCRAM: &[M] = &[M::CramMd5, M::Plain, M::Login];
        const PLUS_AUTHZID: &[M] = &[M::ScramSha256Plus, M::ScramSha256, M::Plain];
        const SCRAM_AUTHZID: &[M] = &[M::ScramSha256, M::Plain];
        const PLAIN_AUTHZID: &[M] = &[M::Plain];
        const OAUTH2: &[M] = &[M::OAuthBearer, M::XOAuth2];
        const EXTERNAL: &[M] = &[M::External];
        const ANONYMOUS: &[M] = &[M::Anonymous];
        match self {
            Credentials::Password {
                authzid, password, ..
            } => {
                let scram = saslprep(password.expose(), Field::Password).is_ok();
                let authzid = authzid.as_deref().is_some_and(|a| !a.is_empty());
                match (authzid, scram, channel_binding) {
                    (false, true, true) => PLUS,
                    (false, true, false) => SCRAM,
                    (false, false, _) => NO_SCRAM,
                    (true, true, true) => PLUS_AUTHZID,
                    (true, true, false) => SCRAM_AUTHZID,
                    (true, false, _) => PLAIN_AUTHZID,
                }
            }
            Credentials::OAuth2 { .. } => OAUTH2,
            Credentials::External { .. } => EXTERNAL,
            Credentials::Anonymous { .. } => ANONYMOUS,
        }
    }
}

/// Options of a client exchange: channel binding, nonce, SCRAM bounds.
///
/// `#[non_exhaustive]`: start from [`ClientOptions::default`] and use the
/// `with_*` methods or set the public fields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientOptions {
    /// Channel-binding data from the TLS layer ([`TlsInfo::channel_binding`]).
    /// SCRAM-SHA-256-PLUS needs it; plain SCRAM-SHA-256 sends the `y` flag
    /// when it is present (RFC 5802 §6).
    pub channel_binding: ChannelBinding,
    /// The binding type for -PLUS; `None` picks `tls-exporter` when present
    /// (RFC 9266), else `tls-server-end-point` (RFC 5929).
    pub channel_binding_type: Option<ChannelBindingType>,
    /// The SCRAM client nonce; `None` (the default) draws 18 random octets
    /// from the operating system. Set it only for deterministic tests: a
    /// repeated nonce lets an attacker replay.
    pub nonce: Option<String>,
    /// The lowest iteration count accepted from the server. Default 4096,
    /// the minimum RFC 7677 §4 asks for.
    pub min_iterations: u32,
    /// The highest iteration count accepted from the server, so a hostile
    /// server cannot make the client spin. Default 1,000,000 (about 0.5 s
    /// on a 2020s CPU; the RFC 7677 §4 guidance is "at least 4096").
    pub max_iterations: u32,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            channel_binding: ChannelBinding::default(),
            channel_binding_type: None,
            nonce: None,
            min_iterations: 4096,
            max_iterations: 1_000_000,
        }
    }
}

impl ClientOptions {
    /// Takes the channel-binding data of a TLS connection.
    pub fn with_tls_info(mut self, info: &TlsInfo) -> Self {
        self.channel_binding = info.channel_binding.clone();
        self
    }

    /// Sets the channel-binding data.
    pub fn with_channel_binding(mut self, binding: ChannelBinding) -> Self {
        self.channel_binding = binding;
        self
    }

    /// Forces a channel-binding type for -PLUS.
    pub fn with_channel_binding_type(mut self, kind: ChannelBindingType) -> Self {
        self.channel_binding_type = Some(kind);
        self
    }

    /// Fixes the SCRAM client nonce (tests only).
    pub fn with_nonce(mut self, nonce: impl Into<String>) -> Self {
        self.nonce = Some(nonce.into());
        self
    }
}

/// How a mechanism answers the server's error challenge, which carries
/// a JSON error report after a rejected token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ErrorReply {
    /// PLAIN, EXTERNAL, ANONYMOUS: the server never challenges after the
    /// message.
    None,
    /// XOAUTH2: an empty response (Google's "XOAUTH2 protocol" page).
    Empty,
    /// OAUTHBEARER: a single `%x01` (RFC 7628 §3.2.3).
    Kvsep,
}

/// What the mechanism sends.
#[derive(Debug, Clone)]
enum Messages {
    /// PLAIN, XOAUTH2, OAUTHBEARER, EXTERNAL, ANONYMOUS: one message, as the
    /// initial response or in answer to the first (empty) challenge.
    Single {
        message: Secret<Vec<u8>>,
        on_error: ErrorReply,
    },
    /// LOGIN: the user name, then the password, one per challenge.
    Login {
        username: Secret<Vec<u8>>,
        password: Secret<Vec<u8>>,
    },
    /// CRAM-MD5: one response computed from the server's challenge.
    CramMd5 {
        username: String,
        password: Secret<String>,
    },
    /// SCRAM-SHA-256(-PLUS): its own state machine.
    Scram(Box<scram::ScramClient>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing sent yet.
    Start,
    /// LOGIN: the user name is sent, the password is next.
    SentUsername,
    /// SCRAM: under way; its own state machine knows where.
    Scram,
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
    /// Prepares an exchange with `mechanism` for `credentials`, with default
    /// [`ClientOptions`] (no channel binding, a random SCRAM nonce).
    ///
    /// Fails with [`SaslError::UnsupportedMechanism`] for a mechanism not
    /// implemented, [`SaslError::CredentialsMismatch`] when the credentials
    /// do not fit it (a token for PLAIN), [`SaslError::ChannelBindingUnavailable`]
    /// for SCRAM-SHA-256-PLUS without binding data, and a field error when
    /// a credential could not be encoded faithfully: an empty user name or
    /// password, a NUL in a PLAIN or LOGIN field (RFC 4616 §2), a control
    /// character in an XOAUTH2 or OAUTHBEARER field (RFC 7628 §3.1), an
    /// authorization identity for LOGIN or CRAM-MD5, a password SASLprep
    /// cannot prepare for SCRAM (RFC 4013; see the crate docs).
    pub fn new(mechanism: Mechanism, credentials: &Credentials) -> Result<Self, SaslError> {
        Self::with_options(mechanism, credentials, &ClientOptions::default())
    }

    /// Like [`new`](Self::new), with options: channel binding for SCRAM
    /// (from [`TlsInfo`]), a fixed nonce for tests, SCRAM iteration bounds.
    pub fn with_options(
        mechanism: Mechanism,
        credentials: &Credentials,
        options: &ClientOptions,
    ) -> Result<Self, SaslError> {
        use Credentials as C;
        use Mechanism as M;
        let single = |message, on_error| Messages::Single { message, on_error };
        let messages = match (&mechanism, credentials) {
            (
                M::Plain,
                C::Password {
                    authzid,
                    username,
                    password,
                },
            ) => single(
                messages::plain(authzid.as_deref(), username, password.expose())?,
                ErrorReply::None,
            ),
            (
                M::Login,
                C::Password {
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
                M::CramMd5,
                C::Password {
                    authzid,
                    username,
                    password,
                },
            ) => {
                if authzid.as_deref().is_some_and(|a| !a.is_empty()) {
                    return Err(SaslError::AuthzidNotSupported);
                }
                messages::cram_md5_username(username)?;
                if password.expose().is_empty() {
                    return Err(SaslError::EmptyField(Field::Password));
                }
                Messages::CramMd5 {
                    username: username.clone(),
                    password: password.clone(),
                }
            }
            (
                M::ScramSha256 | M::ScramSha256Plus,
                C::Password {
                    authzid,
                    username,
                    password,
                },
            ) => Messages::Scram(Box::new(scram::ScramClient::new(
                mechanism == M::ScramSha256Plus,
                authzid.as_deref(),
                username,
                password.expose(),
                options,
            )?)),
            (
                M::XOAuth2,
                C::OAuth2 {
                    username, token, ..
                },
            ) => single(
                messages::xoauth2(username, token.expose())?,
                ErrorReply::Empty,
            ),
            (
                M::OAuthBearer,
                C::OAuth2 {
                    username,
                    token,
                    host,
                    port,
                },
            ) => single(
                messages::oauthbearer(username, token.expose(), host.as_deref(), *port)?,
                ErrorReply::Kvsep,
            ),
            (M::External, C::External { authzid }) => {
                single(messages::external(authzid.as_deref())?, ErrorReply::None)
            }
            (M::Anonymous, C::Anonymous { trace }) => {
                single(messages::anonymous(trace.as_deref())?, ErrorReply::None)
            }
            (M::Other(_), _) => return Err(SaslError::UnsupportedMechanism),
            _ => return Err(SaslError::CredentialsMismatch),
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

    /// Gives a SCRAM exchange the TLS channel-binding data, when the
    /// mechanism was built without it and nothing was sent yet; other
    /// mechanisms ignore it.
    ///
    /// Protocols call this before the first message, so that a plain
    /// SCRAM-SHA-256 client on a TLS connection sends the `y` flag and a
    /// server that supports channel binding can detect a downgrade (RFC 5802
    /// §6). Data given through [`ClientOptions`] is never replaced.
    pub fn set_channel_binding(&mut self, binding: &ChannelBinding) {
        if let Messages::Scram(scram) = &mut self.messages {
            scram.set_channel_binding(binding);
        }
    }

    /// The initial response (RFC 4422 §3.3), raw: the protocol base64s it.
    ///
    /// PLAIN, XOAUTH2, OAUTHBEARER, EXTERNAL, ANONYMOUS and SCRAM have one
    /// (EXTERNAL's and ANONYMOUS's may be empty: SMTP sends `=`); LOGIN and
    /// CRAM-MD5 have none and wait for the server's first challenge. Call
    /// this only when the protocol will send the result (SMTP and POP3
    /// always can, IMAP with SASL-IR): it is handed out once, and a later
    /// call returns `None`. When the protocol cannot send it, skip this
    /// call and the message goes out in answer to the server's first, empty
    /// challenge via [`step`](Self::step).
    pub fn initial_response(&mut self) -> Option<Secret<Vec<u8>>> {
        match (&mut self.messages, self.state) {
            (Messages::Single { message, .. }, State::Start) => {
                self.state = State::Complete;
                Some(message.clone())
            }
            (Messages::Scram(scram), State::Start) => match scram.first() {
                Ok(message) => {
                    self.state = State::Scram;
                    Some(message)
                }
                Err(_) => {
                    self.state = State::Failed;
                    None
                }
            },
            _ => None,
        }
    }

    /// Answers one server challenge: raw (base64-decoded) bytes in, raw
    /// response out.
    ///
    /// The content of a LOGIN challenge (`Username:`, `Password:`, or
    /// anything else) is ignored; the answers go in order. CRAM-MD5 answers
    /// its one challenge with `user SP digest` (RFC 2195 §2). SCRAM answers
    /// the server-first message with the client-final message, then checks
    /// the server-final message (`v=`, RFC 5802 §5) and answers it with an
    /// empty response; a wrong signature is
    /// [`SaslError::ServerSignatureMismatch`] and `e=` is
    /// [`SaslError::ServerError`]. After XOAUTH2 or OAUTHBEARER's message, a
    /// challenge is the server's error report: it is kept for
    /// [`error_details`](Self::error_details) and answered with the
    /// mechanism's dummy response, after which the server reports failure.
    /// Any other challenge is [`SaslError::UnexpectedChallenge`]. After any
    /// error the protocol must cancel the exchange (RFC 4422 §3.4; `*` in
    /// SMTP, POP3 and IMAP).
    pub fn step(&mut self, challenge: &[u8]) -> Result<Secret<Vec<u8>>, SaslError> {
        match (&mut self.messages, self.state) {
            (Messages::Scram(scram), State::Start | State::Scram) => {
                let result = scram.step(challenge);
                self.state = match (&result, scram.is_complete()) {
                    (Err(_), _) => State::Failed,
                    (Ok(_), true) => State::Complete,
                    (Ok(_), false) => State::Scram,
                };
                result
            }
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
            (Messages::CramMd5 { username, password }, State::Start) => {
                self.state = State::Complete;
                Ok(messages::cram_md5(username, password.expose(), challenge))
            }
            _ => {
                self.state = State::Failed;
                Err(SaslError::UnexpectedChallenge)
            }
        }
    }

    /// Checks additional data that came with the success outcome (RFC 4422
    /// §3.6), for protocols that carry it there rather than in a final
    /// challenge: SCRAM's server-final message is verified like in
    /// [`step`](Self::step); for other mechanisms only empty data is
    /// consistent. Afterwards [`is_complete`](Self::is_complete) tells
    /// whether the success can be trusted.
    pub fn success_data(&mut self, data: &[u8]) -> Result<(), SaslError> {
        match &mut self.messages {
            Messages::Scram(scram) => {
                let result = scram.success_data(data);
                self.state = if result.is_ok() && scram.is_complete() {
                    State::Complete
                } else {
                    State::Failed
                };
                result
            }
            _ if data.is_empty() => Ok(()),
            _ => {
                self.state = State::Failed;
                Err(SaslError::UnexpectedChallenge)
            }
        }
    }

    /// Whether the client has sent everything, so that a success outcome
    /// from the server is consistent with the exchange.
    ///
    /// A protocol that receives success while this is `false` (LOGIN before
    /// the password was sent, SCRAM before the server's signature was
    /// verified: the server has not proven it knows the password) must treat
    /// it as an error. False after an error challenge.
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
    fn unknown_mechanisms_are_a_clear_error() {
        assert_eq!(
            ClientMechanism::new(Mechanism::from_name("X-UNKNOWN").unwrap(), &password())
                .unwrap_err(),
            SaslError::UnsupportedMechanism
        );
        for mechanism in [Mechanism::External, Mechanism::Anonymous] {
            assert_eq!(
                ClientMechanism::new(mechanism, &password()).unwrap_err(),
                SaslError::CredentialsMismatch
            );
        }
    }

    #[test]
    fn scram_plus_needs_channel_binding_rfc5802_6() {
        assert_eq!(
            ClientMechanism::new(Mechanism::ScramSha256Plus, &password()).unwrap_err(),
            SaslError::ChannelBindingUnavailable
        );
    }

    #[test]
    fn cram_md5_refuses_authzid_and_has_no_initial_response_rfc2195_2() {
        let with_authzid = Credentials::password_as("admin", "tim", "pw");
        assert_eq!(
            ClientMechanism::new(Mechanism::CramMd5, &with_authzid).unwrap_err(),
            SaslError::AuthzidNotSupported
        );
        let mut client = ClientMechanism::new(Mechanism::CramMd5, &password()).unwrap();
        assert!(client.initial_response().is_none());
        assert!(!client.is_complete());
    }

    #[test]
    fn mechanisms_follow_credentials() {
        use Mechanism as M;
        assert_eq!(
            password().mechanisms(),
            [M::ScramSha256, M::CramMd5, M::Plain, M::Login]
        );
        assert_eq!(
            password().mechanisms_with_channel_binding(),
            [
                M::ScramSha256Plus,
                M::ScramSha256,
                M::CramMd5,
                M::Plain,
                M::Login
            ]
        );
        let with_authzid = Credentials::password_as("Ursel", "Kurt", "xipj3plmq");
        assert_eq!(with_authzid.mechanisms(), [M::ScramSha256, M::Plain]);
        // A password SASLprep prohibits (private use, RFC 4013 §2.3) is
        // not offered to SCRAM; one in any script is.
        let private_use = Credentials::password("u", "pass\u{E000}");
        assert_eq!(private_use.mechanisms(), [M::CramMd5, M::Plain, M::Login]);
        let cyrillic = Credentials::password("u", "пароль");
        assert_eq!(cyrillic.mechanisms()[0], M::ScramSha256);
        assert_eq!(
            Credentials::oauth2("u", "t").mechanisms(),
            [M::OAuthBearer, M::XOAuth2]
        );
        assert_eq!(Credentials::external().mechanisms(), [M::External]);
        assert_eq!(Credentials::anonymous(None).mechanisms(), [M::Anonymous]);
        let mut tls = TlsInfo::new(postwire_core::TlsVersion::Tls13);
        assert_eq!(
            password().mechanisms_for_tls(Some(&tls)),
            password().mechanisms()
        );
        tls.channel_binding.tls_exporter = Some(postwire_core::Bytes::from_static(&[7; 32]));
        assert_eq!(
            password().mechanisms_for_tls(Some(&tls)),
            password().mechanisms_with_channel_binding()
        );
    }
}
