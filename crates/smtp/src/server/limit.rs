//! The `421` for a connection over the server's cap; the cap itself is
//! postwire-io's [`ConnectionLimit`](postwire_io::ConnectionLimit), shared
//! by every server facade.

use std::convert::Infallible;

use bytes::Bytes;
use futures_io::{AsyncRead, AsyncWrite};
use postwire_io::TlsRole;

use super::options::{ServerOptions, TlsMode};

/// Answers a connection over the cap with `421 4.3.2 <host> Too many
/// connections` instead of a greeting (RFC 5321 §3.1 allows a 421 in place
/// of the 220; RFC 3463 §3.5 `4.3.2` "system not accepting network
/// messages"), then closes. Under implicit TLS the reply goes out after
/// the handshake. Bounded by the options' handshake timeout; the caller
/// should also bound it with its runtime's timeout against a client that
/// never reads.
pub async fn reject_busy<IO>(
    io: IO,
    options: &ServerOptions,
) -> Result<(), postwire_io::Error<Infallible>>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let host = options.config.hostname.as_str();
    let line = format!("421 4.3.2 {host} Too many connections, try again later\r\n");
    let implicit_tls = match (&options.tls, options.tls_mode) {
        (Some(tls), TlsMode::Implicit) => Some(TlsRole::server(tls.clone())),
        _ => None,
    };
    postwire_io::refuse(
        io,
        Bytes::from(line),
        options.clock.clone(),
        implicit_tls,
        options.io.clone(),
    )
    .await
}
