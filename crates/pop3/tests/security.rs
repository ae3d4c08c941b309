//! SECURITY.md cases at the facade level: STLS stripping and refusal,
//! response injection, plaintext credentials, certificates, cancellation,
//! transcripts, the failure delay, the connection cap.

mod support;

use std::sync::Arc;
use std::time::Duration;

use futures_lite::{AsyncReadExt, AsyncWriteExt};
use postwire_io::transcript::MemoryTranscript;
use postwire_pop3::client::{Credentials, Error, Pop3Client, Tls, TlsConfig};
use postwire_pop3::server::{ConnectionLimit, Mechanism, serve_all};
use postwire_pop3_proto::client::{Error as ProtoError, UsageError};
use postwire_testkit::{DuplexStream, ServerCert, TestPki, localhost};
use support::{
    Body, DOTS, PASSWORD, ServerTls, Shared, Store, TokioClock, USER, client_options,
    server_options, start, tls_config,
};

/// Reads one line (up to LF) from a raw stream.
async fn read_line(io: &mut DuplexStream) -> String {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while io.read(&mut byte).await.unwrap() == 1 {
        line.push(byte[0]);
        if byte[0] == b'\n' {
            break;
        }
    }
    String::from_utf8(line).unwrap()
}

/// A scripted server: sends `greeting`, then for each expected command
/// prefix reads a line, checks it and writes the canned answer.
fn scripted(greeting: &'static str, script: Vec<(&'static str, &'static str)>) -> DuplexStream {
    let (client, mut server) = postwire_testkit::duplex(64 * 1024);
    tokio::spawn(async move {
        server.write_all(greeting.as_bytes()).await.unwrap();
        for (expect, answer) in script {
            let line = read_line(&mut server).await;
            assert!(line.starts_with(expect), "got {line:?}, want {expect}");
            server.write_all(answer.as_bytes()).await.unwrap();
        }
        // Then hold the connection open without a word.
        let mut rest = Vec::new();
        let _ = server.read_to_end(&mut rest).await;
    });
    client
}

#[tokio::test]
async fn stls_required_but_not_offered_aborts_before_login_security_c01() {
    let shared = Shared::standard();
    // A server without TLS: its CAPA has no STLS.
    let (io, _server) = start(server_options(ServerTls::None, &[]), Store::new(&shared));
    let error = Pop3Client::connect(io, client_options(Tls::StartTls(tls_config())))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Connection(postwire_io::Error::Protocol(ProtoError::StlsRequired))
        ),
        "{error:?}"
    );
    assert!(shared.log().is_empty());
}

#[tokio::test]
async fn stls_refused_aborts_when_required_and_goes_on_when_opportunistic_security_c02() {
    let script = || {
        vec![
            ("CAPA", "+OK\r\nSTLS\r\nUSER\r\n.\r\n"),
            ("STLS", "-ERR not now\r\n"),
        ]
    };
    let io = scripted("+OK ready\r\n", script());
    let error = Pop3Client::connect(io, client_options(Tls::StartTls(tls_config())))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Connection(postwire_io::Error::Protocol(ProtoError::StlsRefused(_)))
        ),
        "{error:?}"
    );

    let io = scripted("+OK ready\r\n", script());
    let mut client =
        Pop3Client::connect(io, client_options(Tls::StartTlsOpportunistic(tls_config())))
            .await
            .unwrap();
    assert!(!client.is_tls());
    // Still no password in clear unless the caller allows it (A1).
    assert!(matches!(
        client.login(USER, PASSWORD).await,
        Err(Error::Usage(UsageError::PlaintextAuth))
    ));
}

#[tokio::test]
async fn bytes_after_the_stls_ok_are_injection_security_c07() {
    let io = scripted(
        "+OK ready\r\n",
        vec![
            ("CAPA", "+OK\r\nSTLS\r\n.\r\n"),
            ("STLS", "+OK begin TLS\r\n+OK logged in\r\n"),
        ],
    );
    let error = Pop3Client::connect(io, client_options(Tls::StartTls(tls_config())))
        .await
        .unwrap_err();
    assert!(error.is_fatal());
    assert!(
        matches!(
            &error,
            Error::Connection(postwire_io::Error::Protocol(ProtoError::PlaintextAfterStls))
                | Error::Connection(postwire_io::Error::PlaintextBeforeTls)
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn err_greeting_is_refused_security_c14() {
    let io = scripted("-ERR go away\r\n", vec![]);
    let error = Pop3Client::connect(io, client_options(Tls::StartTls(tls_config())))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Connection(postwire_io::Error::Protocol(ProtoError::GreetingRefused(_)))
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn plaintext_login_refused_without_tls_unless_allowed_security_a1() {
    let shared = Shared::standard();
    let (io, _server) = start(server_options(ServerTls::None, &[]), Store::new(&shared));
    let mut client = Pop3Client::connect(io, client_options(Tls::None))
        .await
        .unwrap();
    assert!(!client.is_tls());
    let error = client.login(USER, PASSWORD).await.unwrap_err();
    assert!(
        matches!(error, Error::Usage(UsageError::PlaintextAuth)),
        "{error:?}"
    );
    assert!(!error.is_fatal());
    let error = client
        .authenticate(&Credentials::password(USER, PASSWORD))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Usage(_)), "{error:?}");
    // Nothing reached the server.
    assert!(shared.log().is_empty());

    let (io, _server) = start(server_options(ServerTls::None, &[]), Store::new(&shared));
    let mut allowed = Pop3Client::connect(io, client_options(Tls::None).allow_plaintext_auth(true))
        .await
        .unwrap();
    allowed.login(USER, PASSWORD).await.unwrap();
    assert_eq!(allowed.retr_to_vec(1).await.unwrap(), DOTS);
}

#[tokio::test]
async fn server_refuses_user_before_stls_security_s06() {
    let shared = Shared::standard();
    let (mut io, server) = start(
        server_options(ServerTls::StartTls, &[]),
        Store::new(&shared),
    );
    assert!(read_line(&mut io).await.starts_with("+OK"));
    io.write_all(b"CAPA\r\n").await.unwrap();
    let mut capa = Vec::new();
    loop {
        let line = read_line(&mut io).await;
        if line == ".\r\n" {
            break;
        }
        capa.push(line);
    }
    assert!(capa.contains(&"STLS\r\n".to_string()), "{capa:?}");
    assert!(!capa.contains(&"USER\r\n".to_string()), "{capa:?}");
    io.write_all(b"USER alice\r\n").await.unwrap();
    assert!(read_line(&mut io).await.starts_with("-ERR"));
    io.write_all(b"QUIT\r\n").await.unwrap();
    assert!(read_line(&mut io).await.starts_with("+OK"));
    server.await.unwrap().unwrap();
    assert!(shared.log().is_empty());
}

#[tokio::test]
async fn wrong_host_certificate_fails_the_handshake_security_c13() {
    let shared = Shared::standard();
    let (io, _server) = start(
        server_options(ServerTls::StartTls, &[]),
        Store::new(&shared),
    );
    let name = "mail.example.org".try_into().unwrap();
    let tls = TlsConfig::new(Arc::new(TestPki::shared().client_config()), name);
    let error = Pop3Client::connect(io, client_options(Tls::StartTls(tls)))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Connection(postwire_io::Error::Tls(_))),
        "{error:?}"
    );
    let _ = (localhost(), ServerCert::Valid);
}

#[tokio::test]
async fn dropped_operation_future_poisons_the_client() {
    let shared = Shared::with(&[("stall", Body::Stall)]);
    let (io, _server) = start(
        server_options(ServerTls::StartTls, &[]),
        Store::new(&shared),
    );
    let mut client = Pop3Client::connect(io, client_options(Tls::StartTls(tls_config())))
        .await
        .unwrap();
    client.login(USER, PASSWORD).await.unwrap();
    // The store never produces the message: RETR is never answered.
    let retr = client.retr(1);
    assert!(
        tokio::time::timeout(Duration::from_millis(200), retr)
            .await
            .is_err()
    );
    assert!(client.is_poisoned());
    assert!(!client.is_usable());
    assert!(matches!(client.noop().await, Err(Error::Poisoned)));
    assert!(matches!(client.quit().await, Err(Error::Poisoned)));
}

#[tokio::test]
async fn transcripts_hide_passwords_and_content_on_both_sides_security_a4() {
    let shared = Shared::standard();
    let server_transcript = MemoryTranscript::new();
    let sink = server_transcript.clone();
    let options = server_options(ServerTls::StartTls, &[Mechanism::Plain])
        .with_transcript(move || Box::new(sink.clone()));
    let (io, server) = start(options, Store::new(&shared));
    let client_transcript = MemoryTranscript::new();
    let options = client_options(Tls::StartTls(tls_config())).transcript(client_transcript.clone());
    let mut client = Pop3Client::connect(io, options).await.unwrap();
    client.login(USER, PASSWORD).await.unwrap();
    assert_eq!(client.retr_to_vec(1).await.unwrap(), DOTS);
    client.quit().await.unwrap();
    server.await.unwrap().unwrap();

    let client_text = client_transcript.to_text();
    assert!(client_text.contains("C: USER alice"), "{client_text}");
    assert!(client_text.contains("C: PASS <redacted>"), "{client_text}");
    assert!(client_text.contains("C: RETR 1"), "{client_text}");
    // The size counts the dot-stuffed lines: three of them start with ".".
    assert!(
        client_text.contains(&format!("S: <{} bytes of message data>", DOTS.len() + 3)),
        "{client_text}"
    );
    let server_text = server_transcript.to_text();
    // The server's sink sees the same session from the other side.
    assert!(server_text.contains("PASS <redacted>"), "{server_text}");
    for text in [&client_text, &server_text] {
        assert!(!text.contains(PASSWORD), "{text}");
        assert!(!text.contains("two dots"), "{text}");
        assert!(!text.contains("Subject: dots"), "{text}");
    }
}

#[tokio::test]
async fn sasl_plain_is_redacted_in_the_transcript_security_a4() {
    let shared = Shared::standard();
    let (io, server) = start(
        server_options(ServerTls::StartTls, &[Mechanism::Plain]),
        Store::new(&shared),
    );
    let transcript = MemoryTranscript::new();
    let options = client_options(Tls::StartTls(tls_config())).transcript(transcript.clone());
    let mut client = Pop3Client::connect(io, options).await.unwrap();
    client
        .authenticate(&Credentials::password(USER, PASSWORD))
        .await
        .unwrap();
    client.quit().await.unwrap();
    server.await.unwrap().unwrap();
    let text = transcript.to_text();
    assert!(text.contains("C: AUTH PLAIN <redacted>"), "{text}");
    // base64("\0alice\0correct horse..."), or any part of it.
    assert!(!text.contains("AGFsaWNl"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn failed_login_answer_is_delayed_security_a7() {
    let shared = Shared::standard();
    let mut options = server_options(ServerTls::None, &[]);
    options.config.timeouts.auth_failure_delay = Duration::from_secs(2);
    let (io, _server) = start(options, Store::new(&shared));
    let mut client = Pop3Client::connect(io, client_options(Tls::None).allow_plaintext_auth(true))
        .await
        .unwrap();
    let started = tokio::time::Instant::now();
    let error = client.login(USER, "wrong").await.unwrap_err();
    assert!(matches!(error, Error::AuthFailed(_)), "{error:?}");
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // A good login right after is answered at once.
    let started = tokio::time::Instant::now();
    client.login(USER, PASSWORD).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn serve_all_caps_connections_with_sys_temp() {
    let shared = Shared::standard();
    let options = Arc::new(server_options(ServerTls::StartTls, &[]));
    let (accept_tx, accept_rx) =
        tokio::sync::mpsc::unbounded_channel::<std::io::Result<DuplexStream>>();
    let incoming = futures_lite::stream::unfold(accept_rx, |mut rx| async move {
        rx.recv().await.map(|io| (io, rx))
    });
    let limit = ConnectionLimit::new(1);
    let store_shared = shared.clone();
    tokio::spawn(serve_all(
        Box::pin(incoming),
        limit.clone(),
        options,
        move |_io: &DuplexStream| Store::new(&store_shared),
        |task| {
            tokio::spawn(task);
        },
    ));
    let connect = || {
        let (client, server) = postwire_testkit::duplex(64 * 1024);
        accept_tx.send(Ok(server)).unwrap();
        client
    };
    let mut first = Pop3Client::connect(connect(), client_options(Tls::StartTls(tls_config())))
        .await
        .unwrap();
    first.login(USER, PASSWORD).await.unwrap();
    assert_eq!(limit.active(), 1);

    let error = Pop3Client::connect(connect(), client_options(Tls::StartTls(tls_config())))
        .await
        .unwrap_err();
    match &error {
        Error::Connection(postwire_io::Error::Protocol(ProtoError::GreetingRefused(r))) => {
            assert!(r.text().contains("too many connections"), "{r:?}");
        }
        other => panic!("{other:?}"),
    }

    first.quit().await.unwrap();
    // The slot is free again once the first session ended.
    for _ in 0..100 {
        if limit.active() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(limit.active(), 0);
    let mut again = Pop3Client::connect(connect(), client_options(Tls::StartTls(tls_config())))
        .await
        .unwrap();
    again.login(USER, PASSWORD).await.unwrap();
    let _ = TokioClock;
}
