//! How a client facade gets TLS: the application's rustls configuration and
//! the server's name, and whether TLS starts at once, by the protocol's
//! STARTTLS command, or not at all. Shared by the SMTP, POP3 and IMAP
//! client facades, whose options hold a [`Tls`].

use std::sync::Arc;

use rustls::pki_types::ServerName;

use crate::TlsRole;

/// The rustls side of a TLS mode: the application's configuration (roots,
/// verifier, crypto provider) and the name the certificate must carry
/// (RFC 6125; RFC 2595 §2.4 for POP3 and IMAP).
#[derive(Clone)]
pub struct TlsConfig {
    /// The rustls client configuration.
    pub config: Arc<rustls::ClientConfig>,
    /// The server's name, checked against its certificate.
    pub server_name: ServerName<'static>,
}

impl TlsConfig {
    /// A TLS configuration for `server_name`.
    pub fn new(config: Arc<rustls::ClientConfig>, server_name: ServerName<'static>) -> Self {
        Self {
            config,
            server_name,
        }
    }

    /// The driver's role for this configuration.
    pub fn role(&self) -> TlsRole {
        TlsRole::client(self.config.clone(), self.server_name.clone())
    }
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig")
            .field("server_name", &self.server_name)
            .finish_non_exhaustive()
    }
}

/// How a client session gets TLS.
///
/// Deliberately exhaustive: TLS starts at once, by command, maybe by
/// command, or never; the facades match on every case.
#[derive(Clone, Debug)]
pub enum Tls {
    /// The protocol's STARTTLS (SMTP STARTTLS, RFC 3207; POP3 STLS and IMAP
    /// STARTTLS, RFC 2595), required: a server that does not offer it,
    /// refuses it or fails the handshake ends the session before any
    /// credential or mail is sent (SECURITY.md C01, C02). The safe default
    /// for the submission and plaintext ports (RFC 8314 §3.3, §5).
    StartTls(TlsConfig),
    /// STARTTLS when the server offers it; plaintext otherwise or when it
    /// refuses (relay-to-MX style). Credentials still need TLS unless the
    /// client's options allow plaintext authentication.
    StartTlsOpportunistic(TlsConfig),
    /// TLS from the first byte (ports 465, 993, 995; RFC 8314 §3.3).
    Implicit(TlsConfig),
    /// Never TLS: a local relay or a test server. Credentials need the
    /// client's explicit permission for plaintext authentication.
    None,
}
