//! How a [`Client`](super::Client) behaves: TLS policy, timeouts, limits.

use std::time::Duration;

use postwire_sasl::client::ClientOptions;

/// What the client does about STLS (RFC 2595 §4) on a plaintext
/// connection.
///
/// The default is [`Required`](Self::Required): a client that silently fell
/// back to plaintext would hand its credentials and mail to anyone able to
/// strip `STLS` from the CAPA answer (SECURITY.md C01, C02).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsPolicy {
    /// TLS must be up before any authentication command: a CAPA answer
    /// without `STLS` and a `-ERR` to STLS are fatal errors, and
    /// authentication before TLS is refused.
    #[default]
    Required,
    /// Use STLS when the caller asks; a refusal is an event and the session
    /// goes on in plaintext.
    Opportunistic,
    /// Never send STLS.
    Disabled,
}

/// How long the client waits for the server.
///
/// The clock starts when a command becomes the oldest one awaiting an
/// answer; while a multi-line answer is arriving, every complete line or
/// chunk of message data restarts it, so a large RETR does not time out as
/// long as it makes progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Timeouts {
    /// The greeting. Default 5 minutes.
    pub greeting: Duration,
    /// Every answer, and every piece of a multi-line answer. Default 10
    /// minutes (the server side's minimum autologout timer, RFC 1939 §3).
    pub response: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            greeting: Duration::from_secs(5 * 60),
            response: Duration::from_secs(10 * 60),
        }
    }
}

/// Bounds on what the server may make the client buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Limits {
    /// Longest status or listing line, CRLF included. RFC 2449 §4 limits
    /// response lines to 512 octets. Message content (RETR, TOP) is not
    /// line-limited: it streams through.
    pub max_response_line: usize,
    /// Longest line during AUTH, where a `+` challenge may be long (default
    /// 12290: RFC 5034 §4's 12288 octets plus CRLF; SECURITY.md).
    pub max_auth_line: usize,
    /// Most entries in one LIST or UIDL answer (default 1,000,000): the
    /// listing is handed out whole, so this bounds its memory.
    pub max_listing_entries: usize,
    /// Most lines in one CAPA answer (default 100).
    pub max_capa_lines: usize,
    /// Most `+` challenges in one AUTH exchange before the client cancels
    /// it (default 16; real mechanisms need at most three).
    pub max_auth_steps: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_response_line: 512,
            max_auth_line: 12_290,
            max_listing_entries: 1_000_000,
            max_capa_lines: 100,
            max_auth_steps: 16,
        }
    }
}

/// Settings of a [`Client`](super::Client).
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The STLS policy. Default [`TlsPolicy::Required`].
    pub tls: TlsPolicy,
    /// The driver started the connection in TLS (port 995): TLS counts as
    /// active from the start. Default `false`.
    pub implicit_tls: bool,
    /// Send USER/PASS, APOP or SASL credentials over a connection without
    /// TLS. Default `false` (RFC 2595 §2, SECURITY.md A1/C06); loopback
    /// gets no silent exemption.
    pub allow_plaintext_auth: bool,
    /// Options of the SASL exchanges that [`auth_with`](super::Client::auth_with)
    /// starts (SCRAM iteration bounds, a fixed nonce for tests); the
    /// channel binding is taken from the TLS handshake.
    pub sasl_options: ClientOptions,
    /// Timeouts.
    pub timeouts: Timeouts,
    /// Buffer limits.
    pub limits: Limits,
}
