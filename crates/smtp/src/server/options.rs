//! How [`serve`](super::serve) runs a connection: the protocol
//! configuration, TLS, the clock, the driver's limits and a transcript.

use std::fmt;
use std::sync::Arc;

use postwire_io::{Clock, Transcript};
use postwire_smtp_proto::server::ServerConfig;

/// How TLS starts on a connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TlsMode {
    /// Plaintext first; `STARTTLS` is offered and upgrades the connection
    /// (RFC 3207; ports 25 and 587).
    #[default]
    StartTls,
    /// TLS from the first byte (RFC 8314 §3.3; port 465). STARTTLS is not
    /// offered.
    Implicit,
}

/// Makes one transcript sink per connection.
pub type TranscriptFactory = Arc<dyn Fn() -> Box<dyn Transcript> + Send + Sync>;

/// Settings shared by every connection of a server.
///
/// Build with [`ServerOptions::new`], then [`with_tls`](Self::with_tls)
/// and the public fields. Cheap to share: wrap it in an `Arc` for
/// [`serve_all`](super::serve_all).
#[derive(Clone)]
#[non_exhaustive]
pub struct ServerOptions {
    /// The protocol configuration: host name, banner, extensions (AUTH
    /// mechanisms), limits (SIZE), timeouts, quirks. `extensions.starttls`
    /// is set by [`serve`](super::serve) from [`tls`](Self::tls) and
    /// [`tls_mode`](Self::tls_mode).
    pub config: ServerConfig,
    /// The certificate and key for TLS; `None` means no TLS (and then no
    /// AUTH, unless `config.allow_plaintext_auth`; RFC 4954 §4).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// STARTTLS or implicit TLS, when [`tls`](Self::tls) is set.
    pub tls_mode: TlsMode,
    /// Buffer and handshake limits of the driver.
    pub io: postwire_io::Config,
    /// Timers and the current time.
    pub clock: Arc<dyn Clock>,
    /// A transcript sink per connection, or none (the default). Lines go
    /// through [`SmtpRedactor::for_server`](crate::SmtpRedactor::for_server)
    /// first: AUTH exchanges and message content never reach the sink.
    pub transcript: Option<TranscriptFactory>,
}

impl fmt::Debug for ServerOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerOptions")
            .field("config", &self.config)
            .field("tls", &self.tls.is_some())
            .field("tls_mode", &self.tls_mode)
            .field("io", &self.io)
            .field("transcript", &self.transcript.is_some())
            .finish_non_exhaustive()
    }
}

impl ServerOptions {
    /// Options without TLS and without a transcript.
    pub fn new(config: ServerConfig, clock: impl Clock) -> Self {
        Self {
            config,
            tls: None,
            tls_mode: TlsMode::StartTls,
            io: postwire_io::Config::default(),
            clock: Arc::new(clock),
            transcript: None,
        }
    }

    /// Adds TLS in `mode`.
    pub fn with_tls(mut self, tls: Arc<rustls::ServerConfig>, mode: TlsMode) -> Self {
        self.tls = Some(tls);
        self.tls_mode = mode;
        self
    }

    /// Records every connection's transcript in a sink made by `factory`.
    pub fn with_transcript(
        mut self,
        factory: impl Fn() -> Box<dyn Transcript> + Send + Sync + 'static,
    ) -> Self {
        self.transcript = Some(Arc::new(factory));
        self
    }

    /// The configuration one connection runs with: STARTTLS is offered
    /// exactly when TLS is configured in STARTTLS mode.
    pub(crate) fn session_config(&self) -> ServerConfig {
        let mut config = self.config.clone();
        config.extensions.starttls = self.tls.is_some() && self.tls_mode == TlsMode::StartTls;
        config
    }
}
