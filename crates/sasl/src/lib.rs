//! SASL (RFC 4422) mechanisms for SMTP AUTH, POP3 AUTH and IMAP AUTHENTICATE,
//! client and server side.
//!
//! A SASL exchange is a sequence of server challenges and client responses
//! that ends with an outcome the protocol reports (SMTP `235`/`535`, IMAP
//! `OK`/`NO`, POP3 `+OK`/`-ERR`). This crate computes the challenges and
//! responses; the protocol crates carry them.
//!
//! It performs **no I/O** and reads no clock. Challenges and responses go in
//! and out *raw*: each protocol frames them itself (base64 on a line, `*` to
//! cancel, SMTP's `=` for an empty initial response), with the shared
//! [`encode_base64`] and [`decode_base64`] helpers. Everything that holds a
//! password, a token or a response is a [`Secret`], whose `Debug` prints
//! nothing and whose memory is zeroed on drop.
//!
//! # Call order
//!
//! - Client: [`ClientMechanism::new`](client::ClientMechanism::new) ->
//!   [`initial_response`](client::ClientMechanism::initial_response) (if the
//!   protocol can send one) -> [`step`](client::ClientMechanism::step) for
//!   each challenge -> the server's outcome, checked against
//!   [`is_complete`](client::ClientMechanism::is_complete).
//! - Server: [`ServerMechanism::new`](server::ServerMechanism::new) ->
//!   [`start`](server::ServerMechanism::start) with the initial response, if
//!   any -> [`step`](server::ServerMechanism::step) for each response, until
//!   [`ServerStep::Done`](server::ServerStep::Done) hands over the
//!   credentials for the application to verify.
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
//! // The server advertised `250-AUTH LOGIN PLAIN`.
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
//! # Standards
//!
//! - RFC 4422, the SASL framework (initial responses §3.3, aborts §3.4,
//!   mechanism names §3.1).
//! - RFC 4616, PLAIN, client and server.
//! - draft-murchison-sasl-login, LOGIN, client and server.
//! - RFC 7628, OAUTHBEARER, client; with RFC 5801 §4 `saslname` escaping.
//! - Google's XOAUTH2 format, client.
//! - RFC 4648 §4, base64 for RFC 4954 (SMTP), RFC 5034 (POP3) and RFC 9051
//!   (IMAP).
//!
//! # Limits
//!
//! - Server side: PLAIN and LOGIN only. The server never stores or compares
//!   passwords itself; it hands an [`Authentication`](server::Authentication)
//!   to the application. Identities and passwords are passed on as received,
//!   without SASLprep (RFC 4013) normalization.
//! - Client side: PLAIN, LOGIN, XOAUTH2, OAUTHBEARER. SCRAM-SHA-256(-PLUS),
//!   CRAM-MD5, EXTERNAL and ANONYMOUS are named by [`Mechanism`] but return
//!   [`SaslError::UnsupportedMechanism`] for now. Additional data with the
//!   success outcome (RFC 4422 §3.6, needed by SCRAM) is not handled yet.
//! - Policy stays with the protocol: refusing mechanisms that
//!   [expose credentials](Mechanism::exposes_credentials) before TLS,
//!   refusing to fall back from a strong mechanism, failure delays and
//!   response size limits.

mod encoding;
mod error;
mod mechanism;

pub mod client;
pub mod server;

pub use encoding::{decode_base64, encode_base64};
pub use error::{Field, SaslError};
pub use mechanism::{Mechanism, MechanismName, select};
pub use postwire_core::Secret;
