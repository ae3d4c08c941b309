//! STARTTLS injection (SECURITY.md C07, C11, S01, S02): plaintext that
//! follows the STARTTLS exchange is never processed, on either side.

mod common;

use common::*;
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use postwire_io::{Connection, Error};
use postwire_testkit::{DuplexOptions, ServerCert, duplex, duplex_with};

#[tokio::test]
async fn client_refuses_reply_injected_after_starttls_ok_in_same_segment_c07() {
    let (a, mut attacker) = duplex(4096);
    let mut client = Connection::new_starttls(a, LineMachine::client(), TokioClock, client_role());
    client.protocol_mut().starttls();
    let peer = tokio::spawn(async move {
        let mut cmd = [0u8; 10];
        attacker.read_exact(&mut cmd).await.unwrap();
        assert_eq!(&cmd, b"STARTTLS\r\n");
        attacker
            .write_all(b"OK begin TLS\r\n250 AUTH LOGIN\r\n")
            .await
            .unwrap();
        let mut rest = Vec::new();
        attacker.read_to_end(&mut rest).await.unwrap();
        rest
    });
    let err = client.next_event().await.unwrap_err();
    assert!(
        matches!(err, Error::Protocol(MachineError::Injection)),
        "{err:?}"
    );
    assert!(client.tls_info().is_none());
    assert!(client.next_event().await.unwrap().is_none());
    drop(client);
    // Not even a ClientHello went out: nothing was fed after STARTTLS.
    assert_eq!(peer.await.unwrap(), b"");
}

#[tokio::test]
async fn client_feeds_later_plaintext_to_rustls_only_c11() {
    let (a, mut attacker) = duplex(4096);
    let mut client = Connection::new_starttls(a, LineMachine::client(), TokioClock, client_role());
    client.protocol_mut().starttls();
    let peer = tokio::spawn(async move {
        let mut cmd = [0u8; 10];
        attacker.read_exact(&mut cmd).await.unwrap();
        attacker.write_all(b"OK begin TLS\r\n").await.unwrap();
        // Wait for the ClientHello, then answer in plaintext.
        let mut hello = [0u8; 5];
        attacker.read_exact(&mut hello).await.unwrap();
        assert_eq!(hello[0], 0x16, "a TLS handshake record");
        attacker
            .write_all(b"* BYE 250 AUTH LOGIN\r\n")
            .await
            .unwrap();
        attacker
    });
    let err = client.next_event().await.unwrap_err();
    assert!(matches!(err, Error::Tls(_)), "{err:?}");
    assert!(client.tls_info().is_none());
    let _attacker = peer.await.unwrap();
}

/// Runs a STARTTLS server against raw attacker bytes; returns what the
/// server executed, how it ended, and everything it wrote.
async fn attack_server(
    options: DuplexOptions,
    segments: Vec<&'static [u8]>,
    wait_for_ok: bool,
) -> (Vec<Ev>, Result<(), Error<MachineError>>, Vec<u8>) {
    let (mut attacker, b) = duplex_with(options);
    let server = tokio::spawn(serve(Connection::new_starttls(
        b,
        LineMachine::server(),
        TokioClock,
        server_role(ServerCert::Valid),
    )));
    let mut written = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        if attacker.write_all(segment).await.is_err() {
            break;
        }
        tokio::task::yield_now().await;
        if i == 0 && wait_for_ok {
            let mut ok = [0u8; 14];
            attacker.read_exact(&mut ok).await.unwrap();
            assert_eq!(&ok, b"OK begin TLS\r\n");
            written.extend_from_slice(&ok);
        }
    }
    let (seen, result) = server.await.unwrap();
    let mut rest = Vec::new();
    let _ = attacker.read_to_end(&mut rest).await;
    written.extend_from_slice(&rest);
    (seen, result, written)
}

fn executed_nothing(seen: &[Ev]) -> bool {
    seen.iter().all(|e| !matches!(e, Ev::Line(_)))
}

#[tokio::test]
async fn server_never_runs_command_injected_after_starttls_same_segment_s01() {
    let (seen, result, written) = attack_server(
        DuplexOptions::default(),
        vec![b"STARTTLS\r\nRSET\r\n"],
        false,
    )
    .await;
    assert!(
        matches!(result, Err(Error::Protocol(MachineError::Injection))),
        "{result:?}"
    );
    assert!(executed_nothing(&seen), "{seen:?}");
    assert_eq!(written, b"", "no reply, no TLS: the connection is closed");
}

#[tokio::test]
async fn server_never_runs_command_injected_in_second_segment_s02() {
    let (seen, result, written) = attack_server(
        DuplexOptions::default(),
        vec![b"STARTTLS\r\n", b"RSET\r\n"],
        true,
    )
    .await;
    assert!(matches!(result, Err(Error::Tls(_))), "{result:?}");
    assert!(executed_nothing(&seen), "{seen:?}");
    // The OK, then at most a TLS alert; never an answer to RSET.
    assert!(written.starts_with(b"OK begin TLS\r\n"));
    assert!(!written.windows(4).any(|w| w == b"RSET"));
}

#[tokio::test]
async fn server_never_runs_injected_command_for_any_split_s01_s02() {
    let attack: &'static [u8] = b"STARTTLS\r\nRSET\r\n";
    for cut in 1..attack.len() {
        let (seen, result, _) = attack_server(
            DuplexOptions::default(),
            vec![&attack[..cut], &attack[cut..]],
            false,
        )
        .await;
        assert!(result.is_err(), "cut {cut}: {result:?}");
        assert!(executed_nothing(&seen), "cut {cut}: {seen:?}");
    }
}

#[tokio::test]
async fn server_never_runs_injected_command_with_one_byte_segments_s01() {
    let options = DuplexOptions {
        capacity: 64,
        max_read: 1,
        max_write: 1,
    };
    let (seen, result, _) = attack_server(options, vec![b"STARTTLS\r\nRSET\r\n"], false).await;
    assert!(matches!(result, Err(Error::Tls(_))), "{result:?}");
    assert!(executed_nothing(&seen), "{seen:?}");
}

#[tokio::test]
async fn server_refuses_plaintext_arriving_while_its_starttls_reply_is_unsent_s02() {
    // A 4-byte pipe: the server cannot write its whole OK while the
    // attacker, who does not read, sends a command behind STARTTLS.
    let options = DuplexOptions {
        capacity: 4,
        ..DuplexOptions::default()
    };
    let (mut attacker, b) = duplex_with(options);
    let server = tokio::spawn(serve(Connection::new_starttls(
        b,
        LineMachine::server(),
        TokioClock,
        server_role(ServerCert::Valid),
    )));
    attacker.write_all(b"STARTTLS\r\n").await.unwrap();
    tokio::task::yield_now().await;
    let _ = attacker.write_all(b"RSET\r\n").await;
    let (seen, result) = server.await.unwrap();
    assert!(
        matches!(result, Err(Error::PlaintextBeforeTls)),
        "{result:?}"
    );
    assert!(executed_nothing(&seen), "{seen:?}");
}
