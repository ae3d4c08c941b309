//! Hostile or broken peers at the TLS layer (SECURITY.md P9, S09): every
//! case ends in a clean error with bounded reading, never a hang or panic.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use postwire_io::{Config, Connection, Error, READ_BUFFER_SIZE};
use postwire_testkit::{
    DuplexOptions, DuplexStream, ServerCert, TestPki, duplex, duplex_with, localhost,
};

fn tls_server(b: DuplexStream) -> Connection<LineMachine, DuplexStream> {
    Connection::new_implicit_tls(
        b,
        LineMachine::server(),
        TokioClock,
        server_role(ServerCert::Valid),
    )
    .unwrap()
}

/// A real ClientHello, as the first flight of a rustls client.
fn client_hello() -> Vec<u8> {
    let config = Arc::new(TestPki::shared().client_config());
    let mut conn = rustls::ClientConnection::new(config, localhost()).unwrap();
    let mut hello = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut hello).unwrap();
    }
    hello
}

/// Sends `bytes` (ignoring a peer that stops reading), then closes.
fn send_then_close(mut raw: DuplexStream, bytes: Vec<u8>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let _ = raw.write_all(&bytes).await;
        let _ = raw.close().await;
        let mut sink = Vec::new();
        let _ = raw.read_to_end(&mut sink).await;
    })
}

#[tokio::test]
async fn plaintext_command_on_implicit_tls_port_fails_cleanly_s09() {
    let (raw, b) = duplex(4096);
    let peer = send_then_close(raw, b"EHLO client.example\r\n".to_vec());
    let mut server = tls_server(b);
    let err = server.next_event().await.unwrap_err();
    assert!(matches!(err, Error::Tls(_)), "{err:?}");
    assert!(server.next_event().await.unwrap().is_none());
    peer.await.unwrap();
}

#[tokio::test]
async fn megabyte_of_garbage_is_refused_after_one_buffer_p9() {
    let (raw, b) = duplex(64 * 1024);
    let garbage: Vec<u8> = (0..1_000_000u32).map(|i| (i * 7 + 3) as u8).collect();
    let peer = send_then_close(raw, garbage);
    let mut server = tls_server(b);
    let err = server.next_event().await.unwrap_err();
    assert!(matches!(err, Error::Tls(_)), "{err:?}");
    assert!(server.stats().bytes_read <= READ_BUFFER_SIZE as u64);
    drop(server);
    peer.await.unwrap();
}

#[tokio::test]
async fn record_flood_ends_in_an_error_with_bounded_reading_p9() {
    // Maximum-size handshake records full of zeros, back to back.
    let mut flood = Vec::new();
    for _ in 0..64 {
        flood.extend_from_slice(&[0x16, 0x03, 0x01, 0x40, 0x00]);
        flood.extend_from_slice(&[0u8; 0x4000]);
    }
    let (raw, b) = duplex(64 * 1024);
    let peer = send_then_close(raw, flood);
    let mut server = tls_server(b);
    let err = server.next_event().await.unwrap_err();
    assert!(matches!(err, Error::Tls(_)), "{err:?}");
    assert!(server.stats().bytes_read <= 2 * READ_BUFFER_SIZE as u64);
    drop(server);
    peer.await.unwrap();
}

#[tokio::test]
async fn change_cipher_spec_flood_ends_in_an_error_p9() {
    let mut flood = client_hello();
    for _ in 0..100_000 {
        flood.extend_from_slice(&[0x14, 0x03, 0x03, 0x00, 0x01, 0x01]);
    }
    let (raw, b) = duplex(64 * 1024);
    let peer = send_then_close(raw, flood);
    let mut server = tls_server(b);
    let err = server.next_event().await.unwrap_err();
    assert!(
        matches!(err, Error::Tls(_) | Error::HandshakeEof),
        "{err:?}"
    );
    drop(server);
    peer.await.unwrap();
}

#[tokio::test]
async fn close_notify_mid_handshake_ends_in_an_error_p9() {
    let mut bytes = client_hello();
    // alert(21), TLS 1.2 record version, length 2, warning(1) close_notify(0)
    bytes.extend_from_slice(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00]);
    let (raw, b) = duplex(64 * 1024);
    let peer = send_then_close(raw, bytes);
    let mut server = tls_server(b);
    let err = server.next_event().await.unwrap_err();
    assert!(
        matches!(err, Error::Tls(_) | Error::HandshakeEof),
        "{err:?}"
    );
    assert!(server.tls_info().is_none());
    drop(server);
    peer.await.unwrap();
}

#[tokio::test]
async fn peer_closing_mid_handshake_is_handshake_eof() {
    let hello = client_hello();
    let (raw, b) = duplex(64 * 1024);
    let peer = send_then_close(raw, hello[..hello.len() / 2].to_vec());
    let mut server = tls_server(b);
    let err = server.next_event().await.unwrap_err();
    assert!(matches!(err, Error::HandshakeEof), "{err:?}");
    drop(server);
    peer.await.unwrap();
}

/// rustls ignores a warning-level alert before the version is known, so
/// the handshake deadline ends this one (or the peer's close does).
#[tokio::test(start_paused = true)]
async fn client_refuses_close_notify_instead_of_server_hello_p9() {
    let (a, mut raw) = duplex(64 * 1024);
    let peer = tokio::spawn(async move {
        let mut header = [0u8; 5];
        raw.read_exact(&mut header).await.unwrap();
        raw.write_all(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00])
            .await
            .unwrap();
        raw
    });
    let mut client =
        Connection::new_implicit_tls(a, LineMachine::client(), TokioClock, client_role()).unwrap();
    let err = client.next_event().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Tls(_) | Error::HandshakeEof | Error::HandshakeTimeout
        ),
        "{err:?}"
    );
    assert!(client.tls_info().is_none());
    let _raw = peer.await.unwrap();
}

#[tokio::test]
async fn one_byte_segments_still_complete_a_handshake_and_echo() {
    let options = DuplexOptions {
        capacity: 1,
        max_read: 1,
        max_write: 1,
    };
    let (a, b) = duplex_with(options);
    let server = tokio::spawn(serve(tls_server(b)));
    let mut client =
        Connection::new_implicit_tls(a, LineMachine::client(), TokioClock, client_role()).unwrap();
    client.protocol_mut().send(b"tiny pieces");
    assert!(matches!(event(&mut client).await, Ev::Tls(_)));
    assert_eq!(event(&mut client).await, Ev::Line("tiny pieces".into()));
    client.protocol_mut().quit();
    assert_eq!(event(&mut client).await, Ev::Line("BYE".into()));
    // Read the server's close_notify: with a 1-byte pipe it waits for us.
    assert_eq!(event(&mut client).await, Ev::Eof);
    assert!(client.next_event().await.unwrap().is_none());
    server.await.unwrap().1.unwrap();
}

#[tokio::test]
async fn one_byte_segments_of_garbage_fail_cleanly_p9() {
    let options = DuplexOptions {
        capacity: 1,
        max_read: 1,
        max_write: 1,
    };
    let (raw, b) = duplex_with(options);
    let peer = send_then_close(raw, b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".to_vec());
    let mut server = tls_server(b);
    let err = server.next_event().await.unwrap_err();
    assert!(matches!(err, Error::Tls(_)), "{err:?}");
    assert!(server.stats().bytes_read <= 8);
    drop(server);
    peer.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn silent_peer_hits_the_handshake_timeout() {
    let (_silent, b) = duplex(4096);
    let mut server = tls_server(b).with_config({
        let mut config = Config::default();
        config.handshake_timeout = Some(Duration::from_secs(10));
        config
    });
    let start = tokio::time::Instant::now();
    let err = server.next_event().await.unwrap_err();
    assert!(matches!(err, Error::HandshakeTimeout), "{err:?}");
    assert!(start.elapsed() >= Duration::from_secs(10));
    assert!(start.elapsed() < Duration::from_secs(11));
}

#[tokio::test(start_paused = true)]
async fn tls_client_on_a_plaintext_port_fails_s09() {
    let (a, b) = duplex(64 * 1024);
    let server = tokio::spawn(serve(Connection::new(b, LineMachine::server(), TokioClock)));
    let mut client =
        Connection::new_implicit_tls(a, LineMachine::client(), TokioClock, client_role()).unwrap();
    let err = client.next_event().await.unwrap_err();
    assert!(
        matches!(err, Error::HandshakeTimeout | Error::Tls(_)),
        "{err:?}"
    );
    drop(client);
    let (seen, _) = server.await.unwrap();
    assert!(seen.iter().all(|e| !matches!(e, Ev::Tls(_))));
}
