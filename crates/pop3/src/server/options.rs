//! How [`serve`](super::serve) runs a connection: the protocol
//! configuration, TLS, the clock, the driver's limits and a transcript.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use postwire_io::{Clock, TlsRole, Transcript};
use postwire_pop3_proto::server::{Mechanism, ServerConfig};
use postwire_sasl::server::SecretKind;
use rustls::pki_types::CertificateDer;

use super::store::MailStore;

/// The default size of one piece of message content read from the store
/// and handed to the driver (64 KiB).
pub const DEFAULT_CHUNK_SIZE: usize = 64 * 1024;

/// How TLS starts on a connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TlsMode {
    /// Plaintext first; STLS is offered and upgrades the connection
    /// (RFC 2595 §4; port 110).
    #[default]
    StartTls,
    /// TLS from the first byte (RFC 8314 §3.3; port 995). STLS is not
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
    /// The protocol configuration: host name, banner, SASL mechanisms,
    /// whether plaintext logins are allowed before TLS (default no),
    /// limits, the idle timeout and the failure delay. `stls` is set by
    /// [`serve`](super::serve) from [`tls`](Self::tls) and
    /// [`tls_mode`](Self::tls_mode); SCRAM and CRAM-MD5 are left out unless
    /// the store can provide their secrets
    /// ([`MailStore::supports_secret`]).
    pub config: ServerConfig,
    /// The certificate and key for TLS; `None` means no TLS (and then no
    /// login, unless `config.allow_plaintext_auth`; RFC 2595 §2).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// STLS or implicit TLS, when [`tls`](Self::tls) is set.
    pub tls_mode: TlsMode,
    /// The end-entity certificate `tls` presents, in DER: gives the
    /// `tls-server-end-point` channel binding (RFC 5929 §4) to
    /// SCRAM-SHA-256-PLUS on TLS 1.2. On TLS 1.3 `tls-exporter` needs
    /// nothing. Default `None`.
    pub tls_certificate: Option<CertificateDer<'static>>,
    /// Offer APOP (RFC 1939 §7) when the store provides plaintext secrets.
    /// Default `true`; each connection gets a random timestamp.
    pub apop: bool,
    /// Buffer and handshake limits of the driver.
    pub io: postwire_io::Config,
    /// How many octets of message content are read from the store and
    /// written at a time; memory per RETR stays near twice this. Default
    /// [`DEFAULT_CHUNK_SIZE`].
    pub chunk_size: usize,
    /// How long writing one chunk of message content may take before the
    /// connection is given up (a client that stops reading mid-RETR).
    /// Default 10 minutes, the autologout timer of RFC 1939 §3.
    pub write_timeout: Duration,
    /// Timers and the current time.
    pub clock: Arc<dyn Clock>,
    /// A transcript sink per connection, or none (the default). Lines go
    /// through [`Pop3Redactor::for_server`](crate::Pop3Redactor::for_server)
    /// first: no password, APOP digest, SASL response or message content
    /// reaches the sink.
    pub transcript: Option<TranscriptFactory>,
}

impl fmt::Debug for ServerOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerOptions")
            .field("config", &self.config)
            .field("tls", &self.tls.is_some())
            .field("tls_mode", &self.tls_mode)
            .field("apop", &self.apop)
            .field("io", &self.io)
            .field("chunk_size", &self.chunk_size)
            .field("write_timeout", &self.write_timeout)
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
            tls_certificate: None,
            apop: true,
            io: postwire_io::Config::default(),
            chunk_size: DEFAULT_CHUNK_SIZE,
            write_timeout: Duration::from_secs(10 * 60),
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

    /// The configuration one connection runs with: STLS offered exactly
    /// when TLS is configured in STLS mode, mechanisms that need secrets
    /// only when the store has them.
    pub(crate) fn session_config<S: MailStore>(&self, store: &S) -> ServerConfig {
        let mut config = self.config.clone();
        config.stls = self.tls.is_some() && self.tls_mode == TlsMode::StartTls;
        let scram = store.supports_secret(SecretKind::Scram);
        let plaintext = store.supports_secret(SecretKind::Plaintext);
        config.sasl.retain(|m| match m {
            Mechanism::ScramSha256 | Mechanism::ScramSha256Plus => scram,
            Mechanism::CramMd5 => plaintext,
            _ => true,
        });
        config
    }

    /// Whether connections offer APOP.
    pub(crate) fn offers_apop<S: MailStore>(&self, store: &S) -> bool {
        self.apop && store.supports_secret(SecretKind::Plaintext)
    }

    /// The server's TLS role, if TLS is configured.
    pub(crate) fn role(&self) -> Option<TlsRole> {
        let tls = self.tls.clone()?;
        Some(match &self.tls_certificate {
            Some(certificate) => TlsRole::server_with_certificate(tls, certificate.clone()),
            None => TlsRole::server(tls),
        })
    }
}
