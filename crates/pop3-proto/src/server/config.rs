//! What a [`Server`](super::Server) offers and how much it accepts.

use std::time::Duration;

use postwire_sasl::Mechanism;
use postwire_sasl::server::ServerOptions;

use crate::{Expire, LoginDelay};

/// The configuration of one server session.
///
/// `#[non_exhaustive]`: build it with [`ServerConfig::new`] and change the
/// public fields. Text fields are written with control characters replaced
/// by spaces, so no configuration can inject a line.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The server's name, in the greeting and the sign-off.
    pub hostname: String,
    /// Text after the host name in the greeting (RFC 1939 §4). Default
    /// `POP3 server ready`.
    pub banner: String,
    /// Offer and accept STLS (RFC 2595 §4) before TLS. Default off: turn it
    /// on when the driver has a certificate.
    pub stls: bool,
    /// Offer and accept USER/PASS, APOP and SASL mechanisms that expose
    /// the credential (PLAIN, LOGIN) before TLS. Off by default: passwords
    /// must not cross the network in clear (RFC 2595 §2, SECURITY.md S06,
    /// A1); without TLS they are not advertised and are answered `-ERR`.
    pub allow_plaintext_auth: bool,
    /// Offer USER/PASS (RFC 1939 §7, RFC 2449 §6.2). Default on.
    pub user: bool,
    /// SASL mechanisms (RFC 5034), in the advertised order. Default empty.
    /// Mechanisms the server side of `postwire-sasl` does not implement
    /// are left out.
    pub sasl: Vec<Mechanism>,
    /// Options of the SASL exchanges: limits, whether CRAM-MD5 may run
    /// (it needs a plaintext-equivalent secret), a fixed nonce for tests.
    /// The host name of CRAM-MD5's challenge is [`hostname`](Self::hostname)
    /// and the channel binding of SCRAM-SHA-256-PLUS comes from the TLS
    /// handshake; -PLUS is offered only when the driver reports binding
    /// data, CRAM-MD5 only when allowed here.
    pub sasl_options: ServerOptions,
    /// Advertise PIPELINING (RFC 2449 §6.6). Default on; the server reads
    /// pipelined commands in order whether or not it is advertised.
    pub pipelining: bool,
    /// Offer the UTF8 command (RFC 6856 §2). Default off.
    pub utf8: bool,
    /// `IMPLEMENTATION` text for CAPA (RFC 2449 §6.9). Default none.
    pub implementation: Option<String>,
    /// `LOGIN-DELAY` for CAPA (RFC 2449 §6.5); enforcing it is the
    /// application's job. Default none.
    pub login_delay: Option<LoginDelay>,
    /// `EXPIRE` for CAPA (RFC 2449 §6.7). Default none.
    pub expire: Option<Expire>,
    /// Size limits.
    pub limits: Limits,
    /// Timeouts.
    pub timeouts: Timeouts,
}

impl ServerConfig {
    /// A configuration with the defaults and this host name.
    pub fn new(hostname: impl Into<String>) -> Self {
        Self {
            hostname: hostname.into(),
            banner: "POP3 server ready".to_owned(),
            stls: false,
            allow_plaintext_auth: false,
            user: true,
            sasl: Vec::new(),
            sasl_options: ServerOptions::default(),
            pipelining: true,
            utf8: false,
            implementation: None,
            login_delay: None,
            expire: None,
            limits: Limits::default(),
            timeouts: Timeouts::default(),
        }
    }
}

/// Size and count limits. Whatever the client sends, the server's memory
/// stays bounded by these (plus the last chunk given to `handle_input`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Limits {
    /// Longest command line, CRLF included. RFC 2449 §4: 255 octets for a
    /// command; SECURITY.md: 512, the default.
    pub command_line: usize,
    /// Longest AUTH command line and SASL response line, CRLF included
    /// (RFC 5034 §4, SECURITY.md: 12288).
    pub auth_line: usize,
    /// Commands refused by the machine (unknown, malformed, out of
    /// sequence, over-long, cancelled AUTH) before it answers `-ERR` and
    /// closes. Default 20 (SECURITY.md).
    pub max_bad_commands: u32,
    /// Failed authentications (rejected logins, malformed SASL) before the
    /// machine closes the connection. Default 3 (Dovecot's limit before
    /// login; SECURITY.md A5, A7).
    pub max_auth_failures: u32,
    /// Most unparsed input held while a command waits for the
    /// application's answer (pipelined commands, RFC 2449 §6.6). Beyond it
    /// `handle_input` fails with [`Error::PipelineOverflow`](super::Error::PipelineOverflow).
    /// Default 64 KiB.
    pub max_pipelined_input: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            command_line: 512,
            auth_line: 12288,
            max_bad_commands: 20,
            max_auth_failures: 3,
            max_pipelined_input: 64 * 1024,
        }
    }
}

/// Timeouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Timeouts {
    /// The autologout timer: how long the server waits for the client's
    /// next command. RFC 1939 §3: at least 10 minutes, the default. Past
    /// it the connection is closed without a response and nothing is
    /// deleted.
    pub idle: Duration,
    /// How long the `-ERR` to a failed authentication is held back, to
    /// slow password guessing (SECURITY.md A7; Dovecot's
    /// `auth_failure_delay`). Default 2 seconds; zero turns it off. Input
    /// is not read while the answer is held.
    pub auth_failure_delay: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(10 * 60),
            auth_failure_delay: Duration::from_secs(2),
        }
    }
}
