//! How [`SmtpClient::connect`](super::SmtpClient::connect) sets up a session.

use std::sync::Arc;
use std::time::Duration;

use postwire_io::{Clock, Transcript};
use postwire_sasl::client::Credentials;
use postwire_smtp_proto::client::Timeouts;
use postwire_smtp_proto::{ClientId, Domain, Host};

/// The default size of one body chunk handed to the driver (64 KiB).
pub const DEFAULT_CHUNK_SIZE: usize = 64 * 1024;

pub use postwire_io::{Tls, TlsConfig};

/// Settings of one SMTP client session.
///
/// Not `Clone` because it may hold a transcript sink; a
/// [`Connector`](super::Connector) builds a fresh one per connection.
#[non_exhaustive]
pub struct ClientOptions {
    /// The TLS mode.
    pub tls: Tls,
    /// The name sent with EHLO (RFC 5321 §4.1.1.1): the client's fully
    /// qualified domain name or an address literal. Default `localhost`.
    pub client_id: ClientId,
    /// Credentials for AUTH (RFC 4954), with the strongest mechanism that
    /// both they and the server allow. `None`: no AUTH.
    pub credentials: Option<Credentials>,
    /// Send credentials over a connection without TLS. Default `false`
    /// (SECURITY.md A1, C06); loopback gets no exemption.
    pub allow_plaintext_auth: bool,
    /// Use BDAT (RFC 3030) when the server offers CHUNKING and PIPELINING.
    /// Default `true`.
    pub use_chunking: bool,
    /// Speak LMTP (RFC 2033) instead of SMTP. Default `false`.
    pub lmtp: bool,
    /// Reply timeouts (RFC 5321 §4.5.3.2).
    pub timeouts: Timeouts,
    /// Buffer limits and the TLS handshake timeout of the driver.
    pub io: postwire_io::Config,
    /// How many body octets go to the driver at a time; memory per send
    /// stays near twice this. Default [`DEFAULT_CHUNK_SIZE`].
    pub chunk_size: usize,
    /// Where time and timers come from (the application's runtime).
    pub clock: Arc<dyn Clock>,
    /// A transcript sink, redacted by [`SmtpRedactor`](crate::SmtpRedactor).
    pub transcript: Option<Box<dyn Transcript>>,
}

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientOptions")
            .field("tls", &self.tls)
            .field("client_id", &self.client_id)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|_| "<credentials>"),
            )
            .field("allow_plaintext_auth", &self.allow_plaintext_auth)
            .field("use_chunking", &self.use_chunking)
            .field("lmtp", &self.lmtp)
            .field("timeouts", &self.timeouts)
            .field("chunk_size", &self.chunk_size)
            .field("transcript", &self.transcript.is_some())
            .finish_non_exhaustive()
    }
}

impl ClientOptions {
    /// Options with the defaults, this TLS mode and this clock.
    pub fn new(tls: Tls, clock: impl Clock) -> Self {
        Self {
            tls,
            client_id: Host::Domain(default_domain()),
            credentials: None,
            allow_plaintext_auth: false,
            use_chunking: true,
            lmtp: false,
            timeouts: Timeouts::default(),
            io: postwire_io::Config::default(),
            chunk_size: DEFAULT_CHUNK_SIZE,
            clock: Arc::new(clock),
            transcript: None,
        }
    }

    /// Sets the EHLO name.
    pub fn client_id(mut self, client_id: ClientId) -> Self {
        self.client_id = client_id;
        self
    }

    /// Authenticates with these credentials after TLS.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Allows AUTH without TLS (SECURITY.md C06: only for trusted links).
    pub fn allow_plaintext_auth(mut self, allow: bool) -> Self {
        self.allow_plaintext_auth = allow;
        self
    }

    /// Sets the reply timeouts.
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

fn default_domain() -> Domain {
    match Domain::new("localhost") {
        Ok(domain) => domain,
        // `localhost` is a valid domain; this arm is never taken.
        Err(_) => unreachable!("localhost is a valid domain"),
    }
}
