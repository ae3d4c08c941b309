//! The TLS role of a connection and what a handshake tells the machine.

use std::sync::Arc;

use bytes::Bytes;
use postwire_core::{ChannelBinding, TlsInfo, TlsVersion};
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection};

use crate::binding::tls_server_end_point;

/// The label of the `tls-exporter` channel binding (RFC 9266 §2).
const EXPORTER_LABEL: &[u8] = b"EXPORTER-Channel-Binding";

/// Which side of a TLS handshake this connection plays, with its rustls
/// configuration: needed for implicit TLS and for STARTTLS.
#[derive(Clone)]
pub struct TlsRole {
    inner: Role,
}

#[derive(Clone)]
enum Role {
    Client {
        config: Arc<ClientConfig>,
        server_name: ServerName<'static>,
    },
    Server {
        config: Arc<ServerConfig>,
        certificate: Option<CertificateDer<'static>>,
    },
}

impl std::fmt::Debug for TlsRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.inner {
            Role::Client { server_name, .. } => f
                .debug_struct("TlsRole::Client")
                .field("server_name", server_name)
                .finish_non_exhaustive(),
            Role::Server { .. } => f.debug_struct("TlsRole::Server").finish_non_exhaustive(),
        }
    }
}

impl TlsRole {
    /// The client role: verify the server as `server_name` (RFC 6125) with
    /// `config`'s roots and verifier.
    pub fn client(config: Arc<ClientConfig>, server_name: ServerName<'static>) -> Self {
        Self {
            inner: Role::Client {
                config,
                server_name,
            },
        }
    }

    /// The server role.
    ///
    /// rustls does not say which certificate it presented, so the
    /// `tls-server-end-point` channel binding stays empty on this side; use
    /// [`server_with_certificate`](Self::server_with_certificate) to have it.
    pub fn server(config: Arc<ServerConfig>) -> Self {
        Self {
            inner: Role::Server {
                config,
                certificate: None,
            },
        }
    }

    /// The server role, naming the end-entity certificate `config` presents,
    /// so the driver can compute `tls-server-end-point` (RFC 5929 §4) for
    /// SCRAM-PLUS on the server side.
    pub fn server_with_certificate(
        config: Arc<ServerConfig>,
        certificate: CertificateDer<'static>,
    ) -> Self {
        Self {
            inner: Role::Server {
                config,
                certificate: Some(certificate),
            },
        }
    }

    /// Whether this is the client role.
    pub fn is_client(&self) -> bool {
        matches!(self.inner, Role::Client { .. })
    }

    /// A new rustls connection for this role, with the write buffer bounded.
    pub(crate) fn start(&self, write_limit: usize) -> Result<rustls::Connection, rustls::Error> {
        let mut conn: rustls::Connection = match &self.inner {
            Role::Client {
                config,
                server_name,
            } => ClientConnection::new(config.clone(), server_name.clone())?.into(),
            Role::Server { config, .. } => ServerConnection::new(config.clone())?.into(),
        };
        conn.set_buffer_limit(Some(write_limit));
        Ok(conn)
    }

    /// What the machine learns from a completed handshake.
    pub(crate) fn info(&self, conn: &rustls::Connection) -> TlsInfo {
        let version = match conn.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => TlsVersion::Tls13,
            Some(rustls::ProtocolVersion::TLSv1_2) => TlsVersion::Tls12,
            Some(other) => TlsVersion::Other(u16::from(other)),
            None => TlsVersion::Other(0),
        };
        let mut info = TlsInfo::new(version);
        info.cipher_suite = conn
            .negotiated_cipher_suite()
            .and_then(|suite| suite.suite().as_str());
        info.alpn_protocol = conn.alpn_protocol().map(Bytes::copy_from_slice);
        info.peer_certificates = conn
            .peer_certificates()
            .map(|certs| {
                certs
                    .iter()
                    .map(|c| Bytes::copy_from_slice(c.as_ref()))
                    .collect()
            })
            .unwrap_or_default();
        let mut binding = ChannelBinding::default();
        // RFC 9266 §3: tls-exporter is defined for TLS 1.3; on TLS 1.2 it
        // requires the extended master secret, which rustls does not report.
        if version == TlsVersion::Tls13 {
            binding.tls_exporter = conn
                .export_keying_material([0u8; 32], EXPORTER_LABEL, None)
                .ok()
                .map(|b| Bytes::copy_from_slice(&b));
        }
        let server_cert: Option<&[u8]> = match &self.inner {
            Role::Client { .. } => info.peer_certificates.first().map(|c| &c[..]),
            Role::Server { certificate, .. } => certificate.as_ref().map(|c| c.as_ref()),
        };
        binding.tls_server_end_point = server_cert.and_then(tls_server_end_point);
        info.channel_binding = binding;
        info
    }
}
