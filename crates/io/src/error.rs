//! What can end a connection.

/// Why a [`Connection`](crate::Connection) failed.
///
/// Every error is fatal: after it the connection is closed and
/// `next_event` returns `Ok(None)`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error<E> {
    /// The stream failed.
    #[error("i/o error: {0}")]
    Io(#[source] std::io::Error),
    /// The TLS layer failed: a handshake error such as an untrusted, expired
    /// or wrongly named certificate, or a corrupt record.
    #[error("tls error: {0}")]
    Tls(#[source] rustls::Error),
    /// The protocol machine failed.
    #[error("protocol error: {0}")]
    Protocol(#[source] E),
    /// Bytes arrived after the STARTTLS exchange and before the TLS
    /// handshake. Someone other than the peer may have sent them, so they
    /// are never processed (CVE-2011-0411, RFC 3207 §4.2, RFC 2595 §3.1).
    #[error("plaintext received before the tls handshake")]
    PlaintextBeforeTls,
    /// The machine asked for STARTTLS but the connection was built without
    /// a TLS configuration for its role.
    #[error("starttls requested but no tls configuration was given")]
    TlsNotConfigured,
    /// The machine asked for STARTTLS on a connection that already uses TLS.
    #[error("starttls requested on a connection that already uses tls")]
    AlreadyTls,
    /// The peer closed the connection during the TLS handshake.
    #[error("peer closed the connection during the tls handshake")]
    HandshakeEof,
    /// The TLS handshake took longer than `Config::handshake_timeout`.
    #[error("tls handshake timed out")]
    HandshakeTimeout,
    /// The connection is closed; nothing more can be sent.
    #[error("connection closed")]
    Closed,
}
