//! How [`Pop3Client::connect`](super::Pop3Client::connect) sets up a session.

use std::sync::Arc;
use std::time::Duration;

use postwire_io::{Clock, Transcript};
use postwire_pop3_proto::client::{Limits, Timeouts};

pub use postwire_io::{Tls, TlsConfig};

/// Settings of one POP3 client session.
///
/// Not `Clone` because it may hold a transcript sink.
#[non_exhaustive]
pub struct ClientOptions {
    /// The TLS mode.
    pub tls: Tls,
    /// Send USER/PASS, APOP or SASL credentials over a connection without
    /// TLS. Default `false` (RFC 2595 §2, SECURITY.md A1, C06); loopback
    /// gets no exemption.
    pub allow_plaintext_auth: bool,
    /// Answer timeouts: the greeting, and every answer or piece of a
    /// multi-line answer (RFC 1939 §3's 10 minutes by default).
    pub timeouts: Timeouts,
    /// Buffer limits of the protocol machine (line lengths, listing sizes).
    pub limits: Limits,
    /// SASL options of [`authenticate`](super::Pop3Client::authenticate)
    /// (SCRAM iteration bounds, a fixed nonce for tests); the channel
    /// binding comes from the TLS handshake.
    pub sasl: postwire_sasl::client::ClientOptions,
    /// Buffer limits and the TLS handshake timeout of the driver.
    pub io: postwire_io::Config,
    /// Where time and timers come from (the application's runtime).
    pub clock: Arc<dyn Clock>,
    /// A transcript sink, redacted by [`Pop3Redactor`](crate::Pop3Redactor):
    /// no password, APOP digest, SASL response or message content.
    pub transcript: Option<Box<dyn Transcript>>,
}

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientOptions")
            .field("tls", &self.tls)
            .field("allow_plaintext_auth", &self.allow_plaintext_auth)
            .field("timeouts", &self.timeouts)
            .field("limits", &self.limits)
            .field("io", &self.io)
            .field("transcript", &self.transcript.is_some())
            .finish_non_exhaustive()
    }
}

impl ClientOptions {
    /// Options with the defaults, this TLS mode and this clock.
    pub fn new(tls: Tls, clock: impl Clock) -> Self {
        Self {
            tls,
            allow_plaintext_auth: false,
            timeouts: Timeouts::default(),
            limits: Limits::default(),
            sasl: postwire_sasl::client::ClientOptions::default(),
            io: postwire_io::Config::default(),
            clock: Arc::new(clock),
            transcript: None,
        }
    }

    /// Allows credentials without TLS (SECURITY.md C06: only for trusted
    /// links).
    pub fn allow_plaintext_auth(mut self, allow: bool) -> Self {
        self.allow_plaintext_auth = allow;
        self
    }

    /// Sets the answer timeouts.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Sets the TLS handshake timeout.
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.io.handshake_timeout = Some(timeout);
        self
    }

    /// Records every line in `sink`, redacted.
    pub fn transcript(mut self, sink: impl Transcript + 'static) -> Self {
        self.transcript = Some(Box::new(sink));
        self
    }
}
