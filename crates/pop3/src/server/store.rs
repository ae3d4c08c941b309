//! What a server author writes: the maildrop store of one connection.

use std::future::Future;
use std::io;

use futures_io::AsyncRead;
use postwire_core::Secret;
use postwire_pop3_proto::server::{Authentication, Evidence, MaildropEntry, Mechanism};
use postwire_pop3_proto::{MessageNumber, Response, UniqueId};
use postwire_sasl::server::{SecretKind, StoredSecret};

/// What the session knows about its client, given to every [`MailStore`]
/// call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Session {
    /// Whether TLS is active (STLS done, or implicit TLS).
    pub tls: bool,
    /// Whose maildrop is open (the name given to [`MailStore::open`]), once
    /// it is.
    pub user: Option<String>,
}

/// The answer to a login.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The credentials are good: the maildrop is opened next
    /// ([`MailStore::open`]).
    Accept,
    /// The standard refusal, `-ERR [AUTH] authentication failed`
    /// (RFC 3206 §4), held back by the failure delay and counted.
    Reject,
    /// A refusal of the application's own, which must be `-ERR` (for
    /// example `-ERR [SYS/TEMP] directory unavailable`, RFC 3206 §4, or
    /// `[LOGIN-DELAY]`, RFC 2449 §8.1.2); a `+OK` is taken as
    /// [`Decision::Reject`].
    Reply(Response),
}

/// Credentials a client presented, for [`MailStore::authenticate`].
///
/// `Debug` shows no password or token.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Login<'a> {
    /// USER and PASS (RFC 1939 §7).
    Password {
        /// The name given with USER.
        username: &'a str,
        /// The password given with PASS.
        password: &'a Secret<String>,
    },
    /// A finished SASL exchange (RFC 5034): PLAIN and LOGIN bring a
    /// password, SCRAM-SHA-256(-PLUS) and CRAM-MD5 a proof already verified
    /// against [`MailStore::secret`] ([`Evidence::Verified`]), XOAUTH2 and
    /// OAUTHBEARER a bearer token, EXTERNAL the TLS client certificate.
    Sasl {
        /// The mechanism.
        mechanism: &'a Mechanism,
        /// What it established.
        authentication: &'a Authentication,
    },
}

impl Login<'_> {
    /// Who authenticates: the USER name, or the SASL authentication
    /// identity.
    pub fn username(&self) -> &str {
        match self {
            Login::Password { username, .. } => username,
            Login::Sasl { authentication, .. } => &authentication.username,
        }
    }

    /// Whom the client asks to act as, if not itself (SASL only, RFC 4422
    /// §3.4.1): the store must check that [`username`](Self::username) may.
    /// The maildrop opened is this one when given.
    pub fn authzid(&self) -> Option<&str> {
        match self {
            Login::Password { .. } => None,
            Login::Sasl { authentication, .. } => authentication.authzid.as_deref(),
        }
    }

    /// Compares the password the client sent with `expected`, in time that
    /// does not depend on where they differ (SECURITY.md A7). False when the
    /// client sent no password (a verified proof, a token).
    pub fn password_matches(&self, expected: &str) -> bool {
        match self {
            Login::Password { password, .. } => {
                constant_time_eq(password.expose().as_bytes(), expected.as_bytes())
            }
            Login::Sasl { authentication, .. } => authentication.password_matches(expected),
        }
    }

    /// Whether the mechanism itself verified the client's proof against
    /// the stored secret (SCRAM-SHA-256(-PLUS), CRAM-MD5).
    pub fn is_verified(&self) -> bool {
        matches!(
            self,
            Login::Sasl { authentication, .. } if authentication.evidence == Evidence::Verified
        )
    }
}

/// Byte equality whose time depends only on the lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= x ^ y;
    }
    diff == 0
}

/// The maildrops a POP3 server serves: credentials, listings, message
/// content and deletion. One store value serves one connection (share
/// state between connections with an `Arc` inside it); the facade
/// ([`serve`](super::serve)) does all the protocol.
///
/// Methods return futures (write them as `async fn` in the impl) that must
/// be `Send`, so a server can run connections on a multi-threaded runtime.
///
/// The call order of a session: [`authenticate`](Self::authenticate) (or
/// [`secret`](Self::secret) for APOP, SCRAM and CRAM-MD5), then
/// [`open`](Self::open) once; [`read`](Self::read) for each RETR and TOP;
/// [`delete`](Self::delete) at most once, after QUIT (the UPDATE state,
/// RFC 1939 §6); [`release`](Self::release) at the end whenever `open`
/// succeeded, however the connection ended. A connection that ends without
/// QUIT never calls `delete`.
pub trait MailStore: Send {
    /// The content of one message, read in chunks (a file, a database
    /// blob): it is never loaded whole by the facade.
    type Message: AsyncRead + Unpin + Send;

    /// Checks credentials from USER/PASS or SASL: compare passwords with
    /// [`Login::password_matches`] (constant time), check
    /// [`Login::authzid`] for SASL. A refusal is answered
    /// `-ERR [AUTH]` after the configured failure delay
    /// (SECURITY.md A7), and too many close the connection.
    fn authenticate(
        &mut self,
        session: &Session,
        login: Login<'_>,
    ) -> impl Future<Output = Decision> + Send;

    /// Whether [`secret`](Self::secret) can answer for `kind`:
    /// [`SecretKind::Scram`] enables the SCRAM-SHA-256(-PLUS) mechanisms
    /// configured in `ServerConfig::sasl`; [`SecretKind::Plaintext`] (the
    /// password or an equivalent) enables APOP (RFC 1939 §7) and CRAM-MD5.
    /// Mechanisms and APOP are not offered otherwise. The default: none.
    fn supports_secret(&self, kind: SecretKind) -> bool {
        let _ = kind;
        false
    }

    /// The stored secret of `username` for the machine to verify a proof
    /// with (SCRAM, CRAM-MD5, APOP), or `None` for an unknown user: the
    /// exchange then fails exactly like a wrong password. The default
    /// knows nobody.
    fn secret(
        &mut self,
        session: &Session,
        username: &str,
        kind: SecretKind,
    ) -> impl Future<Output = Option<StoredSecret>> + Send {
        let _ = (session, username, kind);
        async { None }
    }

    /// Locks the maildrop of `user` (RFC 1939 §8: one session at a time)
    /// and lists its messages in order, message `n` being entry `n - 1`,
    /// each with its exact size as RETR sends it (CRLF line endings) and a
    /// unique-id stable across sessions. An `Err` is the `-ERR` to send
    /// (typically with [`ResponseCode::InUse`](postwire_pop3_proto::ResponseCode::InUse));
    /// the session stays in the AUTHORIZATION state.
    fn open(
        &mut self,
        session: &Session,
        user: &str,
    ) -> impl Future<Output = Result<Vec<MaildropEntry>, Response>> + Send;

    /// The content of message `msg` (not marked deleted; `uid` is its
    /// unique-id), with CRLF line endings and without dot-stuffing: the
    /// facade stuffs it, and for TOP cuts it after the header and the
    /// asked-for lines. An error before any content was read is answered
    /// `-ERR [SYS/TEMP]`; one after closes the connection.
    fn read(
        &mut self,
        session: &Session,
        msg: MessageNumber,
        uid: &UniqueId,
    ) -> impl Future<Output = io::Result<Self::Message>> + Send;

    /// The UPDATE state (RFC 1939 §6): remove these messages (possibly
    /// none). Called only after QUIT in the TRANSACTION state. An error is
    /// answered `-ERR [SYS/TEMP] some deleted messages not removed`.
    fn delete(
        &mut self,
        session: &Session,
        messages: &[(MessageNumber, UniqueId)],
    ) -> impl Future<Output = io::Result<()>> + Send;

    /// Unlocks the maildrop that [`open`](Self::open) locked. Called once
    /// at the end of every session whose maildrop was opened: after QUIT,
    /// a dropped connection, a timeout or an error. The default does
    /// nothing.
    fn release(&mut self, session: &Session) -> impl Future<Output = ()> + Send {
        let _ = session;
        async {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_compares_bytes_and_lengths() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret1"));
        assert!(!constant_time_eq(b"", b"x"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn login_password_matches_and_hides_it_in_debug() {
        let password = Secret::new("hunter2".to_string());
        let login = Login::Password {
            username: "alice",
            password: &password,
        };
        assert!(login.password_matches("hunter2"));
        assert!(!login.password_matches("hunter3"));
        assert!(!login.is_verified());
        assert_eq!(login.username(), "alice");
        assert!(!format!("{login:?}").contains("hunter2"));
    }
}
