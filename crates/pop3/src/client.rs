//! The POP3 client facade: [`Pop3Client`] over any `futures-io` stream the
//! application connected.
//!
//! All POP3 syntax and sequencing comes from
//! [`postwire_pop3_proto::client::Client`]; all I/O, TLS and timers from
//! [`postwire_io::Connection`]. This module strings the steps together and
//! reports typed results:
//!
//! 1. [`Pop3Client::connect`] with [`ClientOptions`]: greeting, CAPA, STLS
//!    ([`Tls`]; required by default, RFC 2595) and CAPA again;
//! 2. a login: [`Pop3Client::login`] (USER/PASS), [`Pop3Client::apop`] or
//!    [`Pop3Client::authenticate`] (SASL, the strongest mechanism offered);
//! 3. [`Pop3Client::stat`], [`list`](Pop3Client::list),
//!    [`uidl`](Pop3Client::uidl), [`retr`](Pop3Client::retr) (a
//!    [`MessageReader`] streaming the content), [`top`](Pop3Client::top),
//!    [`dele`](Pop3Client::dele), [`noop`](Pop3Client::noop),
//!    [`rset`](Pop3Client::rset);
//! 4. [`Pop3Client::quit`], when the server removes the deleted messages.
//!
//! A `-ERR` answer is an [`Error::Refused`] or [`Error::AuthFailed`]
//! carrying the server's [`Response`](postwire_pop3_proto::Response), after
//! which the session goes on; a failed connection is fatal
//! ([`Error::is_fatal`]).

mod error;
mod options;
mod reader;
mod session;

pub use error::{ConnectionError, Error};
pub use options::{ClientOptions, Tls, TlsConfig};
pub use reader::MessageReader;
pub use session::Pop3Client;

/// The machine's limits and timeouts, for [`ClientOptions`].
pub use postwire_pop3_proto::client::{Limits, Timeouts, UsageError};
/// The SASL credentials of [`Pop3Client::authenticate`], and a prepared
/// mechanism for [`Pop3Client::authenticate_with`].
pub use postwire_sasl::client::{ClientMechanism, Credentials};
