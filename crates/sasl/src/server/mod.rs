//! The server side: turn a client's SASL responses into credentials for the
//! application to verify.
//!
//! Call order: [`ServerMechanism::new`], then [`ServerMechanism::start`] with
//! the initial response if the client sent one, then
//! [`ServerMechanism::step`] with each response, until a
//! [`ServerStep::Done`]. The machine never sees a password database: the
//! application checks the [`Authentication`] it returns (with
//! [`Authentication::password_matches`] or its own constant-time check),
//! decides whether `username` may act as `authzid`, and sends the outcome.

mod fields;

use postwire_core::Secret;

use crate::{Field, Mechanism, SaslError};

/// Bounds on what a client may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The longest authorization identity, user name or password accepted,
    /// in octets. Default 255: RFC 4616 §2 requires a server to accept at
    /// least 255 octets per field, and more than that is rarely a real
    /// credential. Raise it for deployments that accept long tokens as
    /// PLAIN passwords (some OAuth 2.0 setups do); the protocol's line limit
    /// (12288 octets for SASL responses, SECURITY.md) still bounds the total.
    pub max_field_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_field_len: 255 }
    }
}

/// What the client proved it knows: the credentials, for the application to
/// verify.
///
/// `Debug` shows the identities, never the password.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Authentication {
    /// Whom the client asks to act as (RFC 4616 §2 `authzid`); `None` when
    /// absent or empty, which means the user itself. The application must
    /// check that `username` may act as this identity (RFC 4422 §3.4.1).
    pub authzid: Option<String>,
    /// Who authenticates (RFC 4616 §2 `authcid`), UTF-8 as received,
    /// without SASLprep (RFC 4013).
    pub username: String,
    /// The password as received, without SASLprep.
    pub password: Secret<String>,
}

impl Authentication {
    /// Compares the password with `expected` in time that depends only on
    /// the lengths, not on where they differ (SECURITY.md A7). Lengths are
    /// not hidden. The failure delay is the protocol's job.
    pub fn password_matches(&self, expected: &str) -> bool {
        constant_time_eq(self.password.expose().as_bytes(), expected.as_bytes())
    }
}

/// Equality that does not stop at the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= std::hint::black_box(x ^ y);
    }
    diff == 0
}

/// What the server does next.
///
/// Deliberately not `#[non_exhaustive]`: a step that a later mechanism adds
/// (for example SCRAM asking for the stored keys) must be handled by every
/// protocol, so a new variant should break the build rather than fall into
/// a wildcard arm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerStep {
    /// Send this challenge, raw: the protocol base64s it (`334 <b64>` in
    /// SMTP, `+ <b64>` in IMAP and POP3). It may be empty.
    Challenge(Vec<u8>),
    /// The client has sent everything: verify these credentials and send
    /// the outcome.
    Done(Authentication),
}

/// The implemented mechanisms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plain,
    Login,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// `start` not called yet.
    Start,
    /// PLAIN: the empty challenge is out, the message is next.
    AwaitPlain,
    /// LOGIN: `Username:` is out.
    AwaitUsername,
    /// LOGIN: `Password:` is out.
    AwaitPassword { username: String },
    /// Done, or failed: every further call is out of order.
    Finished,
}

/// The server side of one SASL exchange, for PLAIN and LOGIN.
///
/// `Debug` shows nothing secret: the machine holds at most a LOGIN user name
/// between steps, never a password.
#[derive(Debug, Clone)]
pub struct ServerMechanism {
    mechanism: Mechanism,
    kind: Kind,
    limits: Limits,
    state: State,
}

/// LOGIN's first challenge. Clients must not depend on the text
/// (draft-murchison-sasl-login §2), but this is what every server sends.
pub const LOGIN_USERNAME_CHALLENGE: &[u8] = b"Username:";
/// LOGIN's second challenge.
pub const LOGIN_PASSWORD_CHALLENGE: &[u8] = b"Password:";

impl ServerMechanism {
    /// The mechanisms this side implements, strongest first, for the
    /// protocol's capability list (`250-AUTH PLAIN LOGIN`).
    pub const SUPPORTED: &'static [Mechanism] = &[Mechanism::Plain, Mechanism::Login];

    /// Prepares an exchange with default [`Limits`].
    ///
    /// Fails with [`SaslError::UnsupportedMechanism`] for anything but PLAIN
    /// and LOGIN.
    pub fn new(mechanism: Mechanism) -> Result<Self, SaslError> {
        Self::with_limits(mechanism, Limits::default())
    }

    /// Prepares an exchange with the given limits.
    pub fn with_limits(mechanism: Mechanism, limits: Limits) -> Result<Self, SaslError> {
        let kind = match mechanism {
            Mechanism::Plain => Kind::Plain,
            Mechanism::Login => Kind::Login,
            _ => return Err(SaslError::UnsupportedMechanism),
        };
        Ok(ServerMechanism {
            mechanism,
            kind,
            limits,
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
    /// PLAIN without an initial response answers with an empty challenge
    /// (RFC 4616 §2). LOGIN without one challenges `Username:`; with one it
    /// takes it as the user name and challenges `Password:`, as Postfix and
    /// Cyrus SASL do.
    pub fn start(&mut self, initial_response: Option<&[u8]>) -> Result<ServerStep, SaslError> {
        if self.state != State::Start {
            return self.fail(SaslError::OutOfOrder);
        }
        self.state = match self.kind {
            Kind::Plain => State::AwaitPlain,
            Kind::Login => State::AwaitUsername,
        };
        match (self.kind, initial_response) {
            (Kind::Plain, None) => Ok(ServerStep::Challenge(Vec::new())),
            (Kind::Login, None) => Ok(ServerStep::Challenge(LOGIN_USERNAME_CHALLENGE.to_vec())),
            (_, Some(response)) => self.step(response),
        }
    }

    /// Takes the client's next response, raw.
    ///
    /// Malformed input (RFC 4616 §2: not UTF-8, a NUL inside a field, an
    /// empty user name or password, too few or too many separators, a field
    /// over [`Limits::max_field_len`]) is an error, after which the exchange
    /// is over; the protocol answers it as a failed authentication (SMTP
    /// 501, IMAP NO/BAD, POP3 -ERR).
    pub fn step(&mut self, response: &[u8]) -> Result<ServerStep, SaslError> {
        let max = self.limits.max_field_len;
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
                        password: Secret::new(password),
                    })
                })
            }
            State::Start | State::Finished => Err(SaslError::OutOfOrder),
        };
        result.inspect_err(|_| self.state = State::Finished)
    }

    /// Whether the exchange has ended, by success or by error.
    pub fn is_finished(&self) -> bool {
        self.state == State::Finished
    }

    fn fail(&mut self, error: SaslError) -> Result<ServerStep, SaslError> {
        self.state = State::Finished;
        Err(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_is_equality() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret\0"));
        assert!(!constant_time_eq(b"", b"\0"));
    }

    #[test]
    fn unimplemented_mechanisms_are_refused() {
        for mechanism in [
            Mechanism::XOAuth2,
            Mechanism::OAuthBearer,
            Mechanism::ScramSha256,
            Mechanism::CramMd5,
            Mechanism::External,
        ] {
            assert_eq!(
                ServerMechanism::new(mechanism).unwrap_err(),
                SaslError::UnsupportedMechanism
            );
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
}
