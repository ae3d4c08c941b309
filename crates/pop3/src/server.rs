//! The POP3 server facade: serve a connection from a [`MailStore`] that
//! holds only the maildrops.
//!
//! [`serve`] runs [`postwire_pop3_proto::server::Server`] on a
//! [`postwire_io::Connection`]: the machine checks syntax, session states
//! (RFC 1939 §3), limits, the STLS and login rules, and answers CAPA, STAT,
//! LIST, UIDL, DELE, RSET and NOOP itself; the store is asked only for:
//!
//! | client says                    | store method                    | answer                               |
//! |--------------------------------|---------------------------------|--------------------------------------|
//! | `USER`+`PASS`, `AUTH` (SASL)   | [`MailStore::authenticate`]     | [`Decision`]                         |
//! | `APOP`, `AUTH SCRAM-SHA-256`   | [`MailStore::secret`]           | the stored secret; the machine checks|
//! | (after a good login)           | [`MailStore::open`]             | the listing: size + UIDL per message |
//! | `RETR`, `TOP`                  | [`MailStore::read`]             | an `AsyncRead`, streamed             |
//! | `QUIT` (UPDATE state)          | [`MailStore::delete`]           | done, or `-ERR [SYS/TEMP]`           |
//! | (the end, however it came)     | [`MailStore::release`]          | unlock                               |
//!
//! It depends on no runtime: the stream is any `futures-io` type, timers
//! come from the [`Clock`](postwire_io::Clock) in [`ServerOptions`]. For a
//! listener, [`serve_all`] takes a stream of accepted connections and the
//! runtime's spawn function, and enforces a [`ConnectionLimit`]: clients
//! over the cap get `-ERR [SYS/TEMP]` ([`reject_busy`]).
//!
//! Security defaults come from the machine (SECURITY.md): no login before
//! TLS unless allowed (S06), commands pipelined behind STLS refused
//! (CVE-2011-0411, S01), a failure delay and a cap on failed logins (A7),
//! bounded memory per connection, the 10 minute autologout timer (RFC 1939
//! §3), and deletion only in the UPDATE state: a dropped connection
//! deletes nothing (RFC 1939 §6).

mod limit;
mod listener;
mod options;
mod session;
mod store;

pub use limit::reject_busy;
pub use listener::{ConnectionTask, serve_all};
pub use options::{DEFAULT_CHUNK_SIZE, ServerOptions, TlsMode, TranscriptFactory};
pub use postwire_io::{ConnectionGuard, ConnectionLimit};
pub use session::{ServeError, serve};
pub use store::{Decision, Login, MailStore, Session};

/// The machine's configuration and the types a store works with,
/// re-exported.
pub use postwire_pop3_proto::server::{
    Authentication, Evidence, Limits, MaildropEntry, Mechanism, ServerConfig, Timeouts,
};
/// SCRAM-SHA-256 credentials (salted, derived from a password) for
/// [`StoredSecret::Scram`].
pub use postwire_sasl::ScramCredentials;
/// The secrets a store provides for APOP, SCRAM and CRAM-MD5.
pub use postwire_sasl::server::{SecretKind, StoredSecret};
