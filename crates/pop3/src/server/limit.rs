//! The `-ERR` for a connection over the server's cap; the cap itself is
//! postwire-io's [`ConnectionLimit`](postwire_io::ConnectionLimit), shared
//! by every server facade.

use std::convert::Infallible;

use bytes::Bytes;
use futures_io::{AsyncRead, AsyncWrite};

use super::options::{ServerOptions, TlsMode};

/// Answers a connection over the cap with `-ERR [SYS/TEMP] <host> too many
/// connections, try again later` instead of the `+OK` greeting (RFC 3206
/// §4: a temporary failure the client may retry; RFC 1939 §4 lets the
/// server refuse the session), then closes. Under implicit TLS the answer
/// goes out after the handshake. Bounded by the options' handshake
/// timeout; the caller should also bound it with its runtime's timeout
/// against a client that never reads.
pub async fn reject_busy<IO>(
    io: IO,
    options: &ServerOptions,
) -> Result<(), postwire_io::Error<Infallible>>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    // The host name is configuration; keep it to one line.
    let host: String = options
        .config
        .hostname
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    let line = format!("-ERR [SYS/TEMP] {host} too many connections, try again later\r\n");
    let implicit_tls = match options.tls_mode {
        TlsMode::Implicit => options.role(),
        TlsMode::StartTls => None,
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
