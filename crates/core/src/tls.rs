//! What the driver learned from a TLS handshake.

use bytes::Bytes;

/// The negotiated TLS protocol version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum TlsVersion {
    /// TLS 1.2 (RFC 5246).
    Tls12,
    /// TLS 1.3 (RFC 8446).
    Tls13,
    /// Another version, by its wire number (for example `0x0301` for TLS 1.0).
    Other(u16),
}

/// Channel-binding data (RFC 5056) for SCRAM-PLUS and similar mechanisms.
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChannelBinding {
    /// `tls-exporter` (RFC 9266): 32 bytes exported with the label
    /// `EXPORTER-Channel-Binding` and an empty context. The binding TLS 1.3
    /// requires.
    pub tls_exporter: Option<Bytes>,
    /// `tls-server-end-point` (RFC 5929 §4): the hash of the server's
    /// certificate. Available on both TLS 1.2 and 1.3.
    pub tls_server_end_point: Option<Bytes>,
}

impl std::fmt::Debug for ChannelBinding {
    // Binding data is not secret, but it is noise in logs; show presence only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelBinding")
            .field("tls_exporter", &self.tls_exporter.as_ref().map(|b| b.len()))
            .field(
                "tls_server_end_point",
                &self.tls_server_end_point.as_ref().map(|b| b.len()),
            )
            .finish()
    }
}

/// What [`Protocol::handle_tls_established`](crate::Protocol::handle_tls_established)
/// receives once a handshake completes.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsInfo {
    /// The negotiated version.
    pub version: TlsVersion,
    /// The negotiated cipher suite's IANA name, when the driver knows it.
    pub cipher_suite: Option<&'static str>,
    /// The ALPN protocol agreed on, if any.
    pub alpn_protocol: Option<Bytes>,
    /// The peer's certificate chain in DER, end entity first; empty when the
    /// peer sent none (a client without a certificate).
    pub peer_certificates: Vec<Bytes>,
    /// Channel-binding data for the mechanisms that bind to the TLS channel.
    pub channel_binding: ChannelBinding,
}

impl TlsInfo {
    /// Info with the given version and nothing else known; drivers fill the
    /// public fields they have.
    pub fn new(version: TlsVersion) -> Self {
        Self {
            version,
            cipher_suite: None,
            alpn_protocol: None,
            peer_certificates: Vec::new(),
            channel_binding: ChannelBinding::default(),
        }
    }
}
