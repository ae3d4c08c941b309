//! What a [`Server`](super::Server) offers and how much it accepts.

use std::time::Duration;

use postwire_sasl::Mechanism;
use postwire_sasl::server::ServerOptions as SaslOptions;

use crate::Domain;

/// The configuration of one server session.
///
/// `#[non_exhaustive]`: build it with [`ServerConfig::new`] and change the
/// public fields.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The server's own name, in the greeting, the EHLO reply and the 221
    /// and 421 replies (RFC 5321 §4.2, §4.1.1.1).
    pub hostname: Domain,
    /// Text after `ESMTP` (or `LMTP`) in the greeting. Control characters
    /// are replaced by spaces when it is written.
    pub banner: String,
    /// Speak LMTP (RFC 2033): LHLO instead of EHLO/HELO, and one reply per
    /// accepted recipient after the message data.
    pub lmtp: bool,
    /// The ESMTP extensions offered.
    pub extensions: Extensions,
    /// Size limits.
    pub limits: Limits,
    /// Timeouts.
    pub timeouts: Timeouts,
    /// Leniency for broken clients.
    pub quirks: Quirks,
    /// Offer and accept AUTH before TLS. Off by default: credentials must
    /// not cross the network in clear (RFC 4954 §4, SECURITY.md S06, A1);
    /// without TLS, AUTH is not advertised and is answered with `530 5.7.0`.
    pub allow_plaintext_auth: bool,
    /// The application answers [`Event::NeedSecret`](super::Event::NeedSecret)
    /// with [`Server::provide_secret`](super::Server::provide_secret): only
    /// then are the mechanisms that verify against a stored secret
    /// advertised, when listed in [`Extensions::auth`]: SCRAM-SHA-256,
    /// SCRAM-SHA-256-PLUS (only when the TLS layer reported channel-binding
    /// data, RFC 5802 §6) and CRAM-MD5 (only with
    /// `sasl.allow_plaintext_equivalent`). Default off.
    pub secret_lookup: bool,
    /// Options of every SASL exchange (`postwire_sasl::server::ServerOptions`):
    /// field limits, the CRAM-MD5 opt-in (`allow_plaintext_equivalent`,
    /// default off: it needs a plaintext-equivalent secret), a fixed nonce
    /// for tests. The machine fills in `channel_binding` from the TLS
    /// session (while -PLUS is advertised) and `hostname` from
    /// [`hostname`](Self::hostname).
    pub sasl: SaslOptions,
}

impl ServerConfig {
    /// A configuration with the RFC defaults (see [`Extensions`],
    /// [`Limits`], [`Timeouts`], [`Quirks`]) and the banner `ready`.
    pub fn new(hostname: Domain) -> Self {
        Self {
            hostname,
            banner: "ready".to_owned(),
            lmtp: false,
            extensions: Extensions::default(),
            limits: Limits::default(),
            timeouts: Timeouts::default(),
            quirks: Quirks::default(),
            allow_plaintext_auth: false,
            secret_lookup: false,
            sasl: SaslOptions::default(),
        }
    }

    /// Offers AUTH PLAIN and LOGIN (after TLS, unless
    /// [`allow_plaintext_auth`](Self::allow_plaintext_auth)): what an
    /// application that checks passwords serves
    /// ([`Authentication::password_matches`](postwire_sasl::server::Authentication::password_matches)).
    pub fn with_password_auth(mut self) -> Self {
        self.extensions.auth = vec![Mechanism::Plain, Mechanism::Login];
        self
    }

    /// Offers SCRAM-SHA-256-PLUS (when the TLS layer provides channel
    /// binding), SCRAM-SHA-256, PLAIN and LOGIN, strongest first, and turns
    /// on [`secret_lookup`](Self::secret_lookup): the application answers
    /// [`Event::NeedSecret`](super::Event::NeedSecret) with the user's
    /// stored SCRAM keys, and checks PLAIN/LOGIN passwords itself.
    pub fn with_scram_auth(mut self) -> Self {
        self.extensions.auth = vec![
            Mechanism::ScramSha256Plus,
            Mechanism::ScramSha256,
            Mechanism::Plain,
            Mechanism::Login,
        ];
        self.secret_lookup = true;
        self
    }
}

/// The ESMTP extensions the server offers in its EHLO (or LHLO) reply, and
/// accepts the parameters of.
///
/// `SIZE` is always offered, with [`Limits::max_message_size`] (RFC 1870).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Extensions {
    /// `PIPELINING` (RFC 2920). Default on. The server buffers pipelined
    /// commands whether or not it is offered.
    pub pipelining: bool,
    /// `8BITMIME` (RFC 6152): `BODY=8BITMIME`. Default on.
    pub eight_bit_mime: bool,
    /// `SMTPUTF8` (RFC 6531): UTF-8 addresses. Default on.
    pub smtputf8: bool,
    /// `CHUNKING` (RFC 3030): `BDAT`. Default on.
    pub chunking: bool,
    /// `BINARYMIME` (RFC 3030): `BODY=BINARYMIME`, only with `BDAT`.
    /// Default off; offered only when `chunking` is on too.
    pub binary_mime: bool,
    /// `DSN` (RFC 3461): `RET`, `ENVID`, `NOTIFY`, `ORCPT`. Default off:
    /// the application must then generate the notifications.
    pub dsn: bool,
    /// `ENHANCEDSTATUSCODES` (RFC 2034): every reply the machine writes
    /// (except the greeting and the HELO/EHLO reply, RFC 2034 §3) carries
    /// one. Default on. When off, enhanced codes are stripped from the
    /// application's replies too.
    pub enhanced_status_codes: bool,
    /// `STARTTLS` (RFC 3207), offered before TLS only. Default off: turn it on
    /// when the driver has a certificate.
    pub starttls: bool,
    /// `AUTH` mechanisms (RFC 4954), in the advertised order. Default empty
    /// (no AUTH); [`ServerConfig::with_password_auth`] sets PLAIN and LOGIN,
    /// [`ServerConfig::with_scram_auth`] adds SCRAM. Offered after TLS only
    /// unless [`ServerConfig::allow_plaintext_auth`]. Left out of the
    /// advertisement: mechanisms `postwire-sasl` does not implement on the
    /// server side, SCRAM and CRAM-MD5 without
    /// [`ServerConfig::secret_lookup`], SCRAM-SHA-256-PLUS without
    /// channel-binding data, CRAM-MD5 without
    /// `sasl.allow_plaintext_equivalent`.
    pub auth: Vec<Mechanism>,
    /// `REQUIRETLS` (RFC 8689), offered after TLS only. Default off.
    pub requiretls: bool,
}

impl Default for Extensions {
    fn default() -> Self {
        Self {
            pipelining: true,
            eight_bit_mime: true,
            smtputf8: true,
            chunking: true,
            binary_mime: false,
            dsn: false,
            enhanced_status_codes: true,
            starttls: false,
            auth: Vec::new(),
            requiretls: false,
        }
    }
}

/// Size limits. Whatever the client sends, the server's memory stays
/// bounded by these (plus the last chunk given to `handle_input`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Longest command line, CRLF included. RFC 5321 §4.5.3.1.4: 512.
    pub command_line: usize,
    /// Longest AUTH command line and SASL response line, CRLF included.
    /// RFC 4954 §4: 12288.
    pub auth_line: usize,
    /// Largest message in octets (after dot-unstuffing for DATA, the chunk
    /// sizes for BDAT). Advertised as `SIZE` (RFC 1870). Default 10 MB, as
    /// Postfix.
    pub max_message_size: u64,
    /// Most recipients accepted per transaction; more are answered with
    /// `452 4.5.3` (RFC 5321 §4.5.3.1.10 requires at least 100). Default 100.
    pub max_recipients: usize,
    /// Commands refused by the machine (syntax, sequence, limits) before it
    /// answers `421 4.7.0` and closes. Default 20, as Postfix's
    /// `smtpd_hard_error_limit`.
    pub max_bad_commands: u32,
    /// Failed authentications (an AUTH answered `535 5.7.8` or any other
    /// refusal) before the machine answers `421 4.7.0` and closes, so one
    /// connection cannot guess passwords without end (SECURITY.md A5, A7).
    /// Default 3, as the POP3 server and Dovecot before login. They do not
    /// count towards [`max_bad_commands`](Self::max_bad_commands).
    pub max_auth_failures: u32,
    /// Longest DATA text line, CRLF included, when set. RFC 5321
    /// §4.5.3.1.6 says 1000, but real mail breaks it; the default `None`
    /// streams long lines through.
    pub max_data_line: Option<usize>,
    /// Most unparsed input held while a command waits for the
    /// application's answer (pipelined commands, RFC 2920). Beyond it
    /// `handle_input` fails with [`Error::PipelineOverflow`](super::Error::PipelineOverflow).
    /// Default 64 KiB.
    pub max_pipelined_input: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            command_line: 512,
            auth_line: 12288,
            max_message_size: 10 * 1024 * 1024,
            max_recipients: 100,
            max_bad_commands: 20,
            max_auth_failures: 3,
            max_data_line: None,
            max_pipelined_input: 64 * 1024,
        }
    }
}

/// Timeouts (RFC 5321 §4.5.3.2).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// How long the server waits for the client's next command (RFC 5321
    /// §4.5.3.2.7: at least 5 minutes). Default 5 minutes.
    pub command: Duration,
    /// How long the server waits for the next piece of message data inside
    /// DATA or BDAT (RFC 5321 §4.5.3.2.5 gives the client 3 minutes per
    /// block; the server waits as long as for a command). Default 5 minutes.
    pub data: Duration,
    /// How long the reply to a failed AUTH (`535 5.7.8`) is held back, to
    /// slow password guessing (SECURITY.md A7; Dovecot's
    /// `auth_failure_delay`). The machine reads no clock: it asks for the
    /// wake-up through [`poll_timeout`](postwire_core::Protocol::poll_timeout)
    /// and writes the reply in [`handle_timeout`](postwire_core::Protocol::handle_timeout).
    /// Until then input is buffered, not executed, so pipelined commands are
    /// answered after the `535`. Default 2 seconds; zero turns it off. A
    /// successful AUTH is never delayed, and the failure that reaches
    /// [`Limits::max_auth_failures`] closes at once.
    pub auth_failure_delay: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            command: Duration::from_secs(300),
            data: Duration::from_secs(300),
            auth_failure_delay: Duration::from_secs(2),
        }
    }
}

/// What to do with a bare `CR` or bare `LF` (SECURITY.md SM-S2, SM-S4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum BareLineEndings {
    /// Refuse: a command line ending in bare `LF` or holding a bare `CR` is
    /// answered `500 5.5.2` and counted as a bad command; message data
    /// holding one is answered `550 5.5.2` and the connection is closed
    /// (Postfix `smtpd_forbid_bare_newline = reject`).
    #[default]
    Reject,
    /// Accept a command line ending in bare `LF`, and turn each bare `CR`
    /// or `LF` in message data into `CRLF`. A bare line ending never ends
    /// the data either way. A bare `CR` inside a command line is still
    /// refused.
    Normalize,
}

/// Leniency for broken clients. Off by default where it would weaken the
/// framing (bare line endings); on where real clients need it and nothing
/// is at stake (HELO names).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Quirks {
    /// Bare `CR`/`LF` policy for command lines and DATA.
    pub bare_line_endings: BareLineEndings,
    /// Accept a HELO, EHLO or LHLO argument that is neither a domain nor an
    /// address literal (RFC 5321 §4.1.1.1), such as `EHLO my_host` from a
    /// Windows machine name, and report it as
    /// [`Event::HeloNonstandard`](super::Event::HeloNonstandard). The
    /// name must still be 1 to 255 octets of UTF-8 without spaces or
    /// control characters; anything else is `501`. Default on, as Postfix
    /// (which checks names only with `reject_invalid_helo_hostname`). Off:
    /// such names are `501 5.1.3`. The client side never sends such a name:
    /// [`ClientId`](crate::ClientId) only holds valid ones.
    pub lenient_helo: bool,
}

impl Default for Quirks {
    fn default() -> Self {
        Self {
            bare_line_endings: BareLineEndings::default(),
            lenient_helo: true,
        }
    }
}
