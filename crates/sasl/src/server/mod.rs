//! The server side: turn a client's SASL responses into verified or
//! verifiable credentials for the application.
//!
//! Call order: [`ServerMechanism::new`] (or
//! [`with_options`](ServerMechanism::with_options)), then
//! [`ServerMechanism::start`] with the initial response if the client sent
//! one, then [`ServerMechanism::step`] with each response. Each call returns
//! a [`ServerStep`]:
//!
//! - [`ServerStep::Challenge`]: send it (SMTP `334`, IMAP and POP3 `+`) and
//!   feed the client's answer to `step`.
//! - [`ServerStep::NeedSecret`]: SCRAM-SHA-256(-PLUS) and CRAM-MD5 need the
//!   user's stored secret; look it up and answer with
//!   [`ServerMechanism::provide_secret`] (`None` for an unknown user: the
//!   exchange then fails at the same point as with a wrong password, so the
//!   client cannot tell the two apart).
//! - [`ServerStep::Done`]: the [`Authentication`] for the application. Its
//!   [`Evidence`] says what is left to check: a password
//!   ([`Authentication::password_matches`]) or a bearer token is the
//!   application's to verify; [`Evidence::Verified`] means the mechanism
//!   already checked the proof against the stored secret. Either way the
//!   application decides whether `username` may act as `authzid` (RFC 4422
//!   §3.4.1) and sends the outcome.
//!
//! SCRAM's server-final message (`v=`, RFC 5802 §5) goes out as a last
//! [`ServerStep::Challenge`] that the client answers with an empty
//! response, and `Done` follows. That works in every mail protocol: SMTP
//! (RFC 4954 §4) and POP3 (RFC 5034 §4) have no way to send additional data
//! with the success reply, and IMAP (RFC 9051 §6.2.2) clients handle the
//! final challenge the same way.
//!
//! A rejected XOAUTH2 or OAUTHBEARER token may be reported to the client
//! with [`ServerMechanism::reject_token`]: a JSON challenge that the client
//! answers with a dummy response, after which the exchange fails (RFC 7628
//! §3.2.2).

mod fields;
mod scram;
mod token;

use std::fmt;

use postwire_core::{ChannelBinding, Secret, TlsInfo};

use crate::crypto;
use crate::scram::ScramCredentials;
use crate::{Field, Mechanism, SaslError};

/// Bounds on what a client may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The longest authorization identity, user name, password or trace
    /// accepted, in octets. Default 255: RFC 4616 §2 requires a server to
    /// accept at least 255 octets per field, and more than that is rarely a
    /// real credential. Raise it for deployments that accept long tokens as
    /// PLAIN passwords (some OAuth 2.0 setups do); the protocol's line limit
    /// (12288 octets for SASL responses, SECURITY.md) still bounds the total.
    pub max_field_len: usize,
    /// The longest XOAUTH2 or OAUTHBEARER bearer token accepted, in octets.
    /// Default 8192, what fits in a 12288-octet base64 line with room for
    /// the other fields.
    pub max_token_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_field_len: 255,
            max_token_len: 8192,
        }
    }
}

/// Options of a server exchange.
///
/// `#[non_exhaustive]`: start from [`ServerOptions::default`] and use the
/// `with_*` methods or set the public fields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerOptions {
    /// What a client may send.
    pub limits: Limits,
    /// Channel-binding data of the connection ([`TlsInfo::channel_binding`]),
    /// for SCRAM-SHA-256-PLUS. Set it exactly when the protocol advertises
    /// the -PLUS mechanism: with data here, a SCRAM-SHA-256 client that
    /// sends the `y` flag ("I could bind, but you seem unable to") is
    /// refused as a downgrade (RFC 5802 §6).
    pub channel_binding: ChannelBinding,
    /// The host name in CRAM-MD5's challenge (`<nonce@host>`, RFC 2195 §2).
    /// Default `localhost`.
    pub hostname: String,
    /// Whether mechanisms that need a plaintext-equivalent secret may run:
    /// CRAM-MD5 (RFC 2195 §2 computes with the password itself, so the
    /// server must store it, or the equivalent HMAC-MD5 state). Default
    /// off: [`ServerMechanism::with_options`] refuses CRAM-MD5 with
    /// [`SaslError::MechanismDisabled`].
    pub allow_plaintext_equivalent: bool,
    /// The server nonce: SCRAM's `s-nonce` (appended to the client's, RFC
    /// 5802 §5.1) and the local part of CRAM-MD5's challenge. `None` (the
    /// default) draws 18 random octets from the operating system. Set it
    /// only for deterministic tests.
    pub nonce: Option<String>,
    /// The iteration count announced for an unknown user, so that the
    /// server-first message looks like a real user's (RFC 5802 §5.1). Use
    /// the count your stored credentials have. Default 4096.
    pub unknown_user_iterations: u32,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            limits: Limits::default(),
            channel_binding: ChannelBinding::default(),
            hostname: "localhost".to_owned(),
            allow_plaintext_equivalent: false,
            nonce: None,
            unknown_user_iterations: 4096,
        }
    }
}

impl ServerOptions {
    /// Sets the limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Takes the channel-binding data of the TLS connection (for -PLUS).
    pub fn with_tls_info(mut self, info: &TlsInfo) -> Self {
        self.channel_binding = info.channel_binding.clone();
        self
    }

    /// Sets the channel-binding data (for -PLUS).
    pub fn with_channel_binding(mut self, binding: ChannelBinding) -> Self {
        self.channel_binding = binding;
        self
    }

    /// Sets the host name of CRAM-MD5's challenge.
    pub fn with_hostname(mut self, hostname: impl Into<String>) -> Self {
        self.hostname = hostname.into();
        self
    }

    /// Allows CRAM-MD5, which needs a plaintext-equivalent secret.
    pub fn with_plaintext_equivalent(mut self, allow: bool) -> Self {
        self.allow_plaintext_equivalent = allow;
        self
    }

    /// Fixes the server nonce (tests only).
    pub fn with_nonce(mut self, nonce: impl Into<String>) -> Self {
        self.nonce = Some(nonce.into());
        self
    }
}

/// What the client presented, and so what the application still has to
/// check.
///
/// `Debug` never shows the password or the token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Evidence {
    /// A password as received (PLAIN, LOGIN), without SASLprep: compare it
    /// with [`Authentication::password_matches`] or the application's own
    /// constant-time check.
    Password(Secret<String>),
    /// The mechanism verified the client's proof against the stored secret
    /// (SCRAM-SHA-256(-PLUS), CRAM-MD5): the client knows the password.
    Verified,
    /// An OAuth 2.0 bearer token (XOAUTH2, OAUTHBEARER; RFC 6750) for the
    /// application to validate. On failure it may tell the client why with
    /// [`ServerMechanism::reject_token`] (RFC 7628 §3.2.2).
    BearerToken {
        /// The token (RFC 6750 §2.1 `b64token`).
        token: Secret<String>,
        /// OAUTHBEARER's `host` key, the server name the client aimed at.
        host: Option<String>,
        /// OAUTHBEARER's `port` key.
        port: Option<u16>,
    },
    /// EXTERNAL (RFC 4422 Appendix A): the identity comes from outside
    /// SASL, typically the TLS client certificate
    /// ([`TlsInfo::peer_certificates`]); the application checks it.
    External,
    /// ANONYMOUS (RFC 4505): nobody is authenticated.
    Anonymous {
        /// The trace information the client sent, if any (RFC 4505 §3: an
        /// email address or an opaque token, at most 255 characters, no
        /// control characters accepted here).
        trace: Option<String>,
    },
}

/// What a finished exchange established.
///
/// `Debug` shows the identities, never the password or the token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Authentication {
    /// Whom the client asks to act as (RFC 4616 §2 `authzid`, the GS2 `a=`
    /// of SCRAM, RFC 5801 §4; EXTERNAL's message); `None` when absent or
    /// empty, which means the user itself. The application must check that
    /// `username` may act as this identity (RFC 4422 §3.4.1).
    pub authzid: Option<String>,
    /// Who authenticates, UTF-8 as received, without SASLprep: PLAIN's
    /// `authcid`, the LOGIN and CRAM-MD5 user name, SCRAM's `n=` (unescaped),
    /// XOAUTH2's `user=`, OAUTHBEARER's GS2 `a=` (the user the client
    /// claims; the token decides who it really is). Empty for EXTERNAL and
    /// ANONYMOUS, and for OAUTHBEARER without `a=`.
    pub username: String,
    /// What the client presented.
    pub evidence: Evidence,
}

impl Authentication {
    /// Compares the password with `expected` in time that depends only on
    /// the lengths, not on where they differ (SECURITY.md A7). Lengths are
    /// not hidden; the failure delay is the protocol's job. False unless the
    /// evidence is a [`Evidence::Password`].
    pub fn password_matches(&self, expected: &str) -> bool {
        match &self.evidence {
            Evidence::Password(password) => {
                crypto::constant_time_eq(password.expose().as_bytes(), expected.as_bytes())
            }
            _ => false,
        }
    }

    /// The password, if the client sent one (PLAIN, LOGIN).
    pub fn password(&self) -> Option<&Secret<String>> {
        match &self.evidence {
            Evidence::Password(password) => Some(password),
            _ => None,
        }
    }

    /// Whether the mechanism itself verified the proof
    /// ([`Evidence::Verified`]).
    pub fn is_verified(&self) -> bool {
        self.evidence == Evidence::Verified
    }
}

/// Which stored secret a [`SecretRequest`] asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SecretKind {
    /// [`StoredSecret::Scram`]: salt, iterations and keys (SCRAM-SHA-256).
    Scram,
    /// [`StoredSecret::Plaintext`]: the password or an equivalent
    /// (CRAM-MD5).
    Plaintext,
}

/// The mechanism needs the user's stored secret to go on
/// ([`ServerStep::NeedSecret`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SecretRequest {
    /// The user whose secret is needed, as the client sent it (SCRAM's
    /// `n=` unescaped, the CRAM-MD5 user name).
    pub username: String,
    /// The authorization identity the client asks for (SCRAM's `a=`).
    pub authzid: Option<String>,
    /// Which secret to provide.
    pub kind: SecretKind,
}

/// A stored secret, the answer to a [`SecretRequest`].
///
/// `Debug` shows no secret.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoredSecret {
    /// SCRAM-SHA-256 credentials (RFC 5802 §3), for [`SecretKind::Scram`].
    Scram(ScramCredentials),
    /// The password (a plaintext equivalent), for [`SecretKind::Plaintext`].
    Plaintext(Secret<String>),
}

/// What the server does next.
///
/// Deliberately not `#[non_exhaustive]`: a step that a later mechanism adds
/// must be handled by every protocol, so a new variant should break the
/// build rather than fall into a wildcard arm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerStep {
    /// Send this challenge, raw: the protocol base64s it (`334 <b64>` in
    /// SMTP, `+ <b64>` in IMAP and POP3). It may be empty.
    Challenge(Vec<u8>),
    /// Look up the user's stored secret and answer with
    /// [`ServerMechanism::provide_secret`]; nothing goes to the client
    /// meanwhile.
    NeedSecret(SecretRequest),
    /// The exchange is complete: check what the [`Evidence`] leaves to check
    /// and send the outcome.
    Done(Authentication),
}

/// Which mechanism runs, and where it is.
#[derive(Debug, Clone)]
enum State {
    /// `start` not called yet.
    Start,
    /// PLAIN: the empty challenge is out, the message is next.
    AwaitPlain,
    /// LOGIN: `Username:` is out.
    AwaitUsername,
    /// LOGIN: `Password:` is out.
    AwaitPassword { username: String },
    /// CRAM-MD5: the challenge is out, `user SP digest` is next.
    AwaitCram { challenge: Vec<u8> },
    /// CRAM-MD5: the secret is requested.
    CramSecret {
        challenge: Vec<u8>,
        username: String,
        digest: [u8; 32],
    },
    /// SCRAM-SHA-256(-PLUS).
    Scram(Box<scram::ScramServer>),
    /// XOAUTH2 or OAUTHBEARER: the token message is next.
    AwaitToken,
    /// The token was handed out; the application may still send an error
    /// challenge with `reject_token`.
    TokenDone,
    /// The error challenge is out; the dummy response is next.
    TokenRejected,
    /// EXTERNAL: the empty challenge is out, the authzid is next.
    AwaitExternal,
    /// ANONYMOUS: the empty challenge is out, the trace is next.
    AwaitAnonymous,
    /// Done, or failed: every further call is out of order.
    Finished,
}

/// The server side of one SASL exchange.
///
/// `Debug` shows nothing secret: between steps the machine holds user
/// names, nonces and (for SCRAM) the stored keys, which `Debug` redacts;
/// never a password.
#[derive(Debug, Clone)]
pub struct ServerMechanism {
    mechanism: Mechanism,
    options: ServerOptions,
    state: State,
}

/// LOGIN's first challenge. Clients must not depend on the text
/// (draft-murchison-sasl-login §2), but this is what every server sends.
pub const LOGIN_USERNAME_CHALLENGE: &[u8] = b"Username:";
/// LOGIN's second challenge.
pub const LOGIN_PASSWORD_CHALLENGE: &[u8] = b"Password:";

impl ServerMechanism {
    /// The mechanisms this side implements, strongest first, for the
    /// protocol's capability list. Which of them a server offers is its
    /// policy: -PLUS only with channel-binding data, SCRAM and CRAM-MD5 only
    /// when it can answer [`ServerStep::NeedSecret`], CRAM-MD5 only with
    /// [`ServerOptions::allow_plaintext_equivalent`].
    pub const SUPPORTED: &'static [Mechanism] = &[
        Mechanism::ScramSha256Plus,
        Mechanism::ScramSha256,
        Mechanism::OAuthBearer,
        Mechanism::XOAuth2,
        Mechanism::CramMd5,
        Mechanism::Plain,
        Mechanism::Login,
        Mechanism::External,
        Mechanism::Anonymous,
    ];

    /// Prepares an exchange with default [`ServerOptions`].
    ///
    /// Fails with [`SaslError::UnsupportedMechanism`] for a mechanism not in
    /// [`SUPPORTED`](Self::SUPPORTED), [`SaslError::MechanismDisabled`] for
    /// CRAM-MD5 (which needs [`ServerOptions::allow_plaintext_equivalent`])
    /// and [`SaslError::ChannelBindingUnavailable`] for
    /// SCRAM-SHA-256-PLUS (which needs [`ServerOptions::channel_binding`]).
    pub fn new(mechanism: Mechanism) -> Result<Self, SaslError> {
        Self::with_options(mechanism, ServerOptions::default())
    }

    /// Prepares an exchange with the given limits and default options.
    pub fn with_limits(mechanism: Mechanism, limits: Limits) -> Result<Self, SaslError> {
        Self::with_options(mechanism, ServerOptions::default().with_limits(limits))
    }

    /// Prepares an exchange with the given options; errors as for
    /// [`new`](Self::new), and [`SaslError::Malformed`]`(Field::Nonce)` for
    /// a fixed nonce that is not printable ASCII without `,`.
    pub fn with_options(mechanism: Mechanism, options: ServerOptions) -> Result<Self, SaslError> {
        match mechanism {
            Mechanism::Other(_) => return Err(SaslError::UnsupportedMechanism),
            Mechanism::CramMd5 if !options.allow_plaintext_equivalent => {
                return Err(SaslError::MechanismDisabled);
            }
            Mechanism::ScramSha256Plus
                if !crate::scram::has_channel_binding(&options.channel_binding) =>
            {
                return Err(SaslError::ChannelBindingUnavailable);
            }
            _ => {}
        }
        if let Some(nonce) = &options.nonce
            && !crypto::is_printable_nonce(nonce.as_bytes())
        {
            return Err(SaslError::Malformed(Field::Nonce));
        }
        Ok(ServerMechanism {
            mechanism,
            options,
            state: State::Start,
        })
    }

    /// The mechanism.
    pub fn mechanism(&self) -> &Mechanism {
        &self.mechanism
    }

    /// Begins the exchange with the client's initial response, raw (after
    /// the protocol decoded its base64; SMTP's `=` is `Some(b"")`), or `None`
    /// if the client sent none (RFC 4422 §3.3).
    ///
    /// Client-first mechanisms without an initial response (PLAIN, SCRAM,
    /// XOAUTH2, OAUTHBEARER, EXTERNAL, ANONYMOUS) answer with an empty
    /// challenge. LOGIN without one challenges `Username:`; with one it
    /// takes it as the user name and challenges `Password:`, as Postfix and
    /// Cyrus SASL do. CRAM-MD5 challenges `<nonce@hostname>` (RFC 2195 §2)
    /// and refuses an initial response
    /// ([`SaslError::UnexpectedInitialResponse`]).
    pub fn start(&mut self, initial_response: Option<&[u8]>) -> Result<ServerStep, SaslError> {
        if !matches!(self.state, State::Start) {
            return self.fail(SaslError::OutOfOrder);
        }
        let result = self.begin(initial_response);
        if result.is_err() {
            self.state = State::Finished;
        }
        result
    }

    fn begin(&mut self, initial_response: Option<&[u8]>) -> Result<ServerStep, SaslError> {
        let empty = || Ok(ServerStep::Challenge(Vec::new()));
        match &self.mechanism {
            Mechanism::Plain => self.state = State::AwaitPlain,
            Mechanism::Login => {
                self.state = State::AwaitUsername;
                if initial_response.is_none() {
                    return Ok(ServerStep::Challenge(LOGIN_USERNAME_CHALLENGE.to_vec()));
                }
            }
            Mechanism::CramMd5 => {
                if initial_response.is_some() {
                    return Err(SaslError::UnexpectedInitialResponse);
                }
                let nonce = self.nonce()?;
                let challenge = format!("<{nonce}@{}>", self.options.hostname).into_bytes();
                self.state = State::AwaitCram {
                    challenge: challenge.clone(),
                };
                return Ok(ServerStep::Challenge(challenge));
            }
            Mechanism::ScramSha256 | Mechanism::ScramSha256Plus => {
                let plus = self.mechanism == Mechanism::ScramSha256Plus;
                let nonce = self.nonce()?;
                self.state = State::Scram(Box::new(scram::ScramServer::new(
                    plus,
                    nonce,
                    &self.options,
                )));
            }
            Mechanism::XOAuth2 | Mechanism::OAuthBearer => self.state = State::AwaitToken,
            Mechanism::External => self.state = State::AwaitExternal,
            Mechanism::Anonymous => self.state = State::AwaitAnonymous,
            Mechanism::Other(_) => return Err(SaslError::UnsupportedMechanism),
        }
        match initial_response {
            Some(response) => self.step(response),
            None => empty(),
        }
    }

    /// The server nonce: the fixed one of the options, or a fresh one.
    fn nonce(&self) -> Result<String, SaslError> {
        match &self.options.nonce {
            Some(nonce) => Ok(nonce.clone()),
            None => crypto::random_nonce(),
        }
    }

    /// Takes the client's next response, raw.
    ///
    /// Malformed input (RFC 4616 §2: not UTF-8, a NUL inside a field, an
    /// empty user name or password, too few or too many separators, a field
    /// over the [`Limits`]; RFC 5802 §7: a SCRAM attribute missing, out of
    /// order or badly encoded; a wrong nonce or channel binding) is an
    /// error, after which the exchange is over; so is a proof that does not
    /// verify ([`SaslError::AuthenticationFailed`]). The protocol answers
    /// every error as a failed authentication (SMTP 535 or 501, IMAP NO/BAD,
    /// POP3 -ERR).
    pub fn step(&mut self, response: &[u8]) -> Result<ServerStep, SaslError> {
        let limits = self.options.limits;
        let max = limits.max_field_len;
        let result = match std::mem::replace(&mut self.state, State::Finished) {
            State::AwaitPlain => fields::plain_message(response, max).map(ServerStep::Done),
            State::AwaitUsername => {
                fields::login_field(response, Field::Username, max).map(|username| {
                    self.state = State::AwaitPassword { username };
                    ServerStep::Challenge(LOGIN_PASSWORD_CHALLENGE.to_vec())
                })
            }
            State::AwaitPassword { username } => {
                fields::login_field(response, Field::Password, max).map(|password| {
                    ServerStep::Done(Authentication {
                        authzid: None,
                        username,
                        evidence: Evidence::Password(Secret::new(password)),
                    })
                })
            }
            State::AwaitCram { challenge } => {
                fields::cram_md5_response(response, max).map(|(username, digest)| {
                    let request = SecretRequest {
                        username: username.clone(),
                        authzid: None,
                        kind: SecretKind::Plaintext,
                    };
                    self.state = State::CramSecret {
                        challenge,
                        username,
                        digest,
                    };
                    ServerStep::NeedSecret(request)
                })
            }
            State::Scram(mut scram) => {
                let result = scram.step(response);
                if matches!(
                    result,
                    Ok(ServerStep::Challenge(_) | ServerStep::NeedSecret(_))
                ) {
                    self.state = State::Scram(scram);
                }
                result
            }
            State::AwaitToken => {
                let parsed = if self.mechanism == Mechanism::XOAuth2 {
                    token::xoauth2(response, &limits)
                } else {
                    token::oauthbearer(response, &limits)
                };
                parsed.map(|authentication| {
                    self.state = State::TokenDone;
                    ServerStep::Done(authentication)
                })
            }
            State::TokenRejected => {
                // RFC 7628 §3.2.3: the client acknowledges with a single
                // kvsep; XOAUTH2 clients send an empty response.
                let dummy: &[u8] = if self.mechanism == Mechanism::XOAuth2 {
                    b""
                } else {
                    b"\x01"
                };
                if response == dummy {
                    Err(SaslError::AuthenticationFailed)
                } else {
                    Err(SaslError::Malformed(Field::Message))
                }
            }
            State::AwaitExternal => fields::external(response, max).map(ServerStep::Done),
            State::AwaitAnonymous => fields::anonymous(response, max).map(ServerStep::Done),
            State::Start | State::CramSecret { .. } | State::TokenDone | State::Finished => {
                Err(SaslError::OutOfOrder)
            }
        };
        if result.is_err() {
            self.state = State::Finished;
        }
        result
    }

    /// Answers [`ServerStep::NeedSecret`] with the user's stored secret, or
    /// `None` for an unknown user.
    ///
    /// SCRAM takes [`StoredSecret::Scram`] and answers with the
    /// server-first challenge; for an unknown user it answers with a
    /// made-up salt (the same for the same name within this process) and
    /// [`ServerOptions::unknown_user_iterations`], and fails only after the
    /// client's proof, with the same [`SaslError::AuthenticationFailed`] as
    /// a wrong password (RFC 5802 §5.1). CRAM-MD5 takes
    /// [`StoredSecret::Plaintext`] and returns `Done` with
    /// [`Evidence::Verified`] or [`SaslError::AuthenticationFailed`] (also
    /// for `None`). A secret of the wrong kind is
    /// [`SaslError::CredentialsMismatch`]; a call without a pending request
    /// is [`SaslError::OutOfOrder`].
    pub fn provide_secret(
        &mut self,
        secret: Option<StoredSecret>,
    ) -> Result<ServerStep, SaslError> {
        let result = match std::mem::replace(&mut self.state, State::Finished) {
            State::CramSecret {
                challenge,
                username,
                digest,
            } => match secret {
                Some(StoredSecret::Plaintext(password)) => {
                    let expected = crypto::cram_md5_hex(password.expose().as_bytes(), &challenge);
                    if crypto::constant_time_eq(expected.as_bytes(), &digest) {
                        Ok(ServerStep::Done(Authentication {
                            authzid: None,
                            username,
                            evidence: Evidence::Verified,
                        }))
                    } else {
                        Err(SaslError::AuthenticationFailed)
                    }
                }
                Some(_) => Err(SaslError::CredentialsMismatch),
                None => Err(SaslError::AuthenticationFailed),
            },
            State::Scram(mut scram) => {
                let result = scram.provide_secret(secret);
                if result.is_ok() {
                    self.state = State::Scram(scram);
                }
                result
            }
            other => {
                self.state = other;
                return Err(SaslError::OutOfOrder);
            }
        };
        if result.is_err() {
            self.state = State::Finished;
        }
        result
    }

    /// Reports a rejected XOAUTH2 or OAUTHBEARER token to the client, after
    /// [`ServerStep::Done`]: returns the challenge to send, `error_json`
    /// (RFC 7628 §3.2.2, for example
    /// `{"status":"invalid_token","scope":"mail"}`). The client answers with
    /// a dummy response (`%x01` for OAUTHBEARER, RFC 7628 §3.2.3; empty for
    /// XOAUTH2); [`step`](Self::step) then returns
    /// [`SaslError::AuthenticationFailed`] and the protocol sends its
    /// failure reply. [`SaslError::OutOfOrder`] in any other state.
    pub fn reject_token(&mut self, error_json: &[u8]) -> Result<ServerStep, SaslError> {
        if !matches!(self.state, State::TokenDone) {
            return Err(SaslError::OutOfOrder);
        }
        self.state = State::TokenRejected;
        Ok(ServerStep::Challenge(error_json.to_vec()))
    }

    /// Whether the exchange has ended, by success or by error (after a
    /// token's `Done`, [`reject_token`](Self::reject_token) may still
    /// reopen it).
    pub fn is_finished(&self) -> bool {
        matches!(self.state, State::Finished | State::TokenDone)
    }

    /// Whether the mechanism waits for [`provide_secret`](Self::provide_secret).
    pub fn needs_secret(&self) -> bool {
        match &self.state {
            State::CramSecret { .. } => true,
            State::Scram(scram) => scram.needs_secret(),
            _ => false,
        }
    }

    fn fail(&mut self, error: SaslError) -> Result<ServerStep, SaslError> {
        self.state = State::Finished;
        Err(error)
    }
}

impl fmt::Display for ServerMechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.mechanism.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unavailable_mechanisms_are_refused() {
        assert_eq!(
            ServerMechanism::new(Mechanism::from_name("GSSAPI").unwrap()).unwrap_err(),
            SaslError::UnsupportedMechanism
        );
        assert_eq!(
            ServerMechanism::new(Mechanism::CramMd5).unwrap_err(),
            SaslError::MechanismDisabled
        );
        assert_eq!(
            ServerMechanism::new(Mechanism::ScramSha256Plus).unwrap_err(),
            SaslError::ChannelBindingUnavailable
        );
        assert_eq!(
            ServerMechanism::with_options(
                Mechanism::ScramSha256,
                ServerOptions::default().with_nonce("a,b")
            )
            .unwrap_err(),
            SaslError::Malformed(Field::Nonce)
        );
        for mechanism in [
            Mechanism::ScramSha256,
            Mechanism::XOAuth2,
            Mechanism::OAuthBearer,
            Mechanism::External,
            Mechanism::Anonymous,
        ] {
            assert!(ServerMechanism::new(mechanism).is_ok());
        }
    }

    #[test]
    fn calls_out_of_order_are_errors() {
        let mut server = ServerMechanism::new(Mechanism::Plain).unwrap();
        assert_eq!(server.step(b"\0u\0p"), Err(SaslError::OutOfOrder));
        assert!(server.is_finished());

        let mut server = ServerMechanism::new(Mechanism::Plain).unwrap();
        assert!(matches!(
            server.start(Some(b"\0u\0p")),
            Ok(ServerStep::Done(_))
        ));
        assert!(server.is_finished());
        assert_eq!(server.step(b"\0u\0p"), Err(SaslError::OutOfOrder));
        assert_eq!(server.start(None), Err(SaslError::OutOfOrder));
        assert_eq!(server.provide_secret(None), Err(SaslError::OutOfOrder));
        assert_eq!(server.reject_token(b"{}"), Err(SaslError::OutOfOrder));
    }

    #[test]
    fn errors_end_the_exchange() {
        let mut server = ServerMechanism::new(Mechanism::Login).unwrap();
        server.start(None).unwrap();
        assert_eq!(
            server.step(b""),
            Err(SaslError::EmptyField(Field::Username))
        );
        assert_eq!(server.step(b"tim"), Err(SaslError::OutOfOrder));
    }

    #[test]
    fn password_matches_only_password_evidence() {
        let mut authentication = Authentication {
            authzid: None,
            username: "tim".into(),
            evidence: Evidence::Password(Secret::new("pw".into())),
        };
        assert!(authentication.password_matches("pw"));
        assert!(!authentication.password_matches("pW"));
        assert!(!authentication.is_verified());
        authentication.evidence = Evidence::Verified;
        assert!(!authentication.password_matches("pw"));
        assert!(authentication.password().is_none());
        assert!(authentication.is_verified());
    }
}
