//! SASL (RFC 4422) mechanisms for SMTP AUTH, POP3 AUTH and IMAP AUTHENTICATE,
//! client and server side.
//!
//! A SASL exchange is a sequence of server challenges and client responses
//! that ends with an outcome the protocol reports (SMTP `235`/`535`, IMAP
//! `OK`/`NO`, POP3 `+OK`/`-ERR`). This crate computes the challenges and
//! responses; the protocol crates carry them.
//!
//! It performs **no I/O** and reads no clock. The one thing it does beyond
//! pure computation is to read the operating system's random number
//! generator (through `getrandom`) for SCRAM nonces, CRAM-MD5 challenges,
//! random salts and the per-process key behind SCRAM's unknown-user salts;
//! tests fix the nonces with [`ClientOptions`](client::ClientOptions) and
//! [`ServerOptions`](server::ServerOptions). Challenges and responses go in
//! and out *raw*: each protocol frames them itself (base64 on a line, `*` to
//! cancel, SMTP's `=` for an empty initial response), with the shared
//! [`encode_base64`] and [`decode_base64`] helpers. Everything that holds a
//! password, a token, a key or a response is a [`Secret`], whose `Debug`
//! prints nothing and whose memory is zeroed on drop; proofs and digests
//! are compared in constant time.
//!
//! # Call order
//!
//! - Client: [`ClientMechanism::new`](client::ClientMechanism::new) (or
//!   [`with_options`](client::ClientMechanism::with_options) with the TLS
//!   channel binding) -> [`initial_response`](client::ClientMechanism::initial_response)
//!   (if the protocol can send one) -> [`step`](client::ClientMechanism::step)
//!   for each challenge -> the server's outcome, checked against
//!   [`is_complete`](client::ClientMechanism::is_complete) (for SCRAM that
//!   is true only once the server proved it knows the password).
//! - Server: [`ServerMechanism::new`](server::ServerMechanism::new) (or
//!   [`with_options`](server::ServerMechanism::with_options)) ->
//!   [`start`](server::ServerMechanism::start) with the initial response, if
//!   any -> [`step`](server::ServerMechanism::step) for each response; a
//!   [`ServerStep::NeedSecret`](server::ServerStep::NeedSecret) is answered
//!   with [`provide_secret`](server::ServerMechanism::provide_secret) (SCRAM,
//!   CRAM-MD5); [`ServerStep::Done`](server::ServerStep::Done) hands over an
//!   [`Authentication`](server::Authentication) whose
//!   [`Evidence`](server::Evidence) says what the application still checks.
//!   SCRAM's server-final message is a last challenge that the client
//!   answers with an empty response (see [`server`]).
//!
//! # Example: PLAIN, client against server
//!
//! ```
//! use postwire_sasl::client::{ClientMechanism, Credentials};
//! use postwire_sasl::server::{ServerMechanism, ServerStep};
//! use postwire_sasl::{Mechanism, decode_base64, encode_base64, select};
//!
//! # fn main() -> Result<(), postwire_sasl::SaslError> {
//! let credentials = Credentials::password("tim", "tanstaaftanstaaf");
//! // The server advertised `250-AUTH LOGIN PLAIN` (no SCRAM).
//! let mechanism = select(["LOGIN", "PLAIN"], credentials.mechanisms()).unwrap();
//! assert_eq!(mechanism, Mechanism::Plain);
//!
//! let mut client = ClientMechanism::new(mechanism.clone(), &credentials)?;
//! let mut server = ServerMechanism::new(mechanism)?;
//!
//! // C: AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm
//! let initial = client.initial_response().map(|r| encode_base64(r.expose()));
//! assert_eq!(initial.as_deref(), Some("AHRpbQB0YW5zdGFhZnRhbnN0YWFm"));
//! let initial = initial.map(|b64| decode_base64(b64.as_bytes())).transpose()?;
//!
//! let mut next = server.start(initial.as_deref())?;
//! let authentication = loop {
//!     match next {
//!         // S: 334 <challenge>   C: <response>
//!         ServerStep::Challenge(challenge) => {
//!             let response = client.step(&challenge)?;
//!             next = server.step(response.expose())?;
//!         }
//!         ServerStep::Done(authentication) => break authentication,
//!         // PLAIN never asks for a stored secret; SCRAM and CRAM-MD5 do.
//!         ServerStep::NeedSecret(_) => unreachable!(),
//!     }
//! };
//! assert_eq!(authentication.username, "tim");
//! assert!(authentication.password_matches("tanstaaftanstaaf"));
//! // S: 235 2.7.0 Authentication successful
//! assert!(client.is_complete());
//! # Ok(())
//! # }
//! ```
//!
//! # Example: SCRAM-SHA-256, client against server
//!
//! ```
//! use postwire_sasl::client::{ClientMechanism, Credentials};
//! use postwire_sasl::server::{ServerMechanism, ServerStep, StoredSecret};
//! use postwire_sasl::{Mechanism, ScramCredentials, select};
//!
//! # fn main() -> Result<(), postwire_sasl::SaslError> {
//! // Account creation: store these, never the password.
//! let stored = ScramCredentials::with_random_salt("pencil", 4096)?;
//!
//! let credentials = Credentials::password("user", "pencil");
//! let mechanism = select(["PLAIN", "SCRAM-SHA-256"], credentials.mechanisms()).unwrap();
//! assert_eq!(mechanism, Mechanism::ScramSha256);
//! let mut client = ClientMechanism::new(mechanism.clone(), &credentials)?;
//! let mut server = ServerMechanism::new(mechanism)?;
//!
//! let mut next = server.start(client.initial_response().as_ref().map(|r| r.expose().as_slice()))?;
//! let authentication = loop {
//!     next = match next {
//!         ServerStep::NeedSecret(request) => {
//!             assert_eq!(request.username, "user");
//!             server.provide_secret(Some(StoredSecret::Scram(stored.clone())))?
//!         }
//!         ServerStep::Challenge(challenge) => server.step(client.step(&challenge)?.expose())?,
//!         ServerStep::Done(authentication) => break authentication,
//!     };
//! };
//! assert!(authentication.is_verified()); // the server checked the proof
//! assert!(client.is_complete()); // the client checked the server's signature
//! # Ok(())
//! # }
//! ```
//!
//! # Standards
//!
//! - RFC 4422, the SASL framework (initial responses §3.3, aborts §3.4,
//!   additional data with success §3.6, mechanism names §3.1).
//! - RFC 4616, PLAIN, client and server.
//! - draft-murchison-sasl-login, LOGIN, client and server.
//! - RFC 5802 and RFC 7677, SCRAM-SHA-256 and SCRAM-SHA-256-PLUS, client
//!   and server, with RFC 5801 §4 GS2 headers, the `y`-flag downgrade check
//!   (RFC 5802 §6), `e=` server errors (§7), and the RFC 5803 §3 text form
//!   of stored credentials.
//! - RFC 5056, RFC 9266 (`tls-exporter`) and RFC 5929 §4
//!   (`tls-server-end-point`) channel bindings, from
//!   [`TlsInfo`](postwire_core::TlsInfo).
//! - RFC 4013 SASLprep, for SCRAM passwords (see Limits).
//! - RFC 2195, CRAM-MD5, client and server.
//! - RFC 7628, OAUTHBEARER, client and server, including the §3.2.2 error
//!   challenge; Google's XOAUTH2 format, client and server.
//! - RFC 4422 Appendix A, EXTERNAL, and RFC 4505, ANONYMOUS, client and
//!   server.
//! - RFC 1939 §7, the POP3 APOP digest ([`apop_digest`], [`apop_matches`]).
//! - RFC 4648 §4, base64 for RFC 4954 (SMTP), RFC 5034 (POP3) and RFC 9051
//!   (IMAP).
//!
//! # Limits
//!
//! - SCRAM passwords go through SASLprep (RFC 4013, with the `stringprep`
//!   crate's Unicode 3.2 tables), in any script. A password SASLprep
//!   prohibits (controls, private use, unassigned code points, mixed text
//!   directions) is refused with [`SaslError::ForbiddenByte`] or
//!   [`SaslError::UnsupportedCharacter`] rather than prepared wrongly;
//!   [`Credentials::mechanisms`](client::Credentials::mechanisms) then
//!   leaves SCRAM out. PLAIN, LOGIN and CRAM-MD5 pass passwords on
//!   unprepared, and no mechanism prepares user names.
//! - SCRAM-SHA-1 and SCRAM-SHA-512 are not implemented, nor the
//!   `tls-unique` channel binding (unsafe without RFC 7627, absent in TLS
//!   1.3). GSSAPI, NTLM and DIGEST-MD5 (historic, RFC 6331) are not either.
//! - The server never sees a password database: PLAIN, LOGIN and token
//!   mechanisms hand the credentials to the application; SCRAM and
//!   CRAM-MD5 ask for the stored secret. CRAM-MD5 needs a
//!   plaintext-equivalent secret and runs only when the server options opt
//!   in. An unknown SCRAM user gets a salt derived from its name under a
//!   per-process key, which changes when the process restarts.
//! - Policy stays with the protocol: refusing mechanisms that
//!   [expose credentials](Mechanism::exposes_credentials) before TLS,
//!   refusing to fall back from a strong mechanism, which mechanisms to
//!   advertise, failure delays and response size limits.

mod crypto;
mod encoding;
mod error;
mod mechanism;
mod saslprep;
mod scram;

pub mod client;
pub mod server;

pub use crypto::{apop_digest, apop_matches};
pub use encoding::{decode_base64, encode_base64};
pub use error::{Field, SaslError, ScramServerError};
pub use mechanism::{Mechanism, MechanismName, select};
pub use postwire_core::{ChannelBinding, Secret};
pub use scram::{ChannelBindingType, ScramCredentials};
