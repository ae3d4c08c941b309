//! Pop3Client against postwire-pop3's own server (serve + a MailStore),
//! over the in-memory duplex and 127.0.0.1 TCP, with STLS and implicit TLS.

mod support;

use std::time::Duration;

use futures_lite::AsyncReadExt;
use postwire_pop3::client::{ClientMechanism, Credentials, Error, Pop3Client, Tls};
use postwire_pop3::server::Mechanism;
use postwire_pop3_proto::ResponseCode;
use postwire_pop3_proto::client::UsageError;
use support::{
    Body, DOTS, PASSWORD, SMALL, ServerTls, Shared, Store, USER, client_options, generated_line,
    server_options, start, stls_session, tls_config,
};
use tokio_util::compat::TokioAsyncReadCompatExt;

#[tokio::test]
async fn stls_user_pass_stat_list_uidl_top_retr_byte_exact_rfc1939_rfc2595() {
    let shared = Shared::standard();
    let (mut client, server) = stls_session(&shared).await;
    assert!(client.is_tls());
    assert!(client.tls_info().is_some());
    // CAPA after TLS (RFC 2595 §4): USER is offered now, STLS no more.
    assert!(client.capabilities().user);
    assert!(!client.capabilities().stls);
    assert!(client.greeting().unwrap().is_ok());

    let ok = client.login(USER, PASSWORD).await.unwrap();
    assert!(ok.is_ok());
    assert!(client.is_authenticated());

    let stat = client.stat().await.unwrap();
    assert_eq!(stat.count, 2);
    assert_eq!(stat.size, (DOTS.len() + SMALL.len()) as u64);

    let list = client.list().await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].msg.get(), 1);
    assert_eq!(list[0].size, DOTS.len() as u64);
    assert_eq!(list[1].size, SMALL.len() as u64);
    assert_eq!(client.list_one(2).await.unwrap().size, SMALL.len() as u64);

    let uidl = client.uidl().await.unwrap();
    let uids: Vec<&str> = uidl.iter().map(|u| u.uid.as_str()).collect();
    assert_eq!(uids, ["uid-dots", "uid-small"]);
    assert_eq!(client.uidl_one(1).await.unwrap().uid.as_str(), "uid-dots");

    // TOP (RFC 1939 §7): the header, the empty line and one body line.
    let top = client.top_to_vec(2, 1).await.unwrap();
    assert_eq!(
        top,
        b"From: carol@example.org\r\nSubject: small\r\n\r\nbody 1\r\n"
    );

    // RETR: lines starting with "." (a lone "." among them) come back
    // exactly as stored (RFC 1939 §3 byte-stuffing undone).
    assert_eq!(client.retr_to_vec(1).await.unwrap(), DOTS);

    let bye = client.quit().await.unwrap();
    assert!(bye.is_ok());
    assert!(matches!(client.noop().await, Err(Error::Closed)));
    let session = server.await.unwrap().unwrap();
    assert!(session.tls);
    assert_eq!(session.user.as_deref(), Some(USER));
    assert_eq!(
        shared.log(),
        [
            "authenticate alice",
            "open alice",
            "read 2 uid-small",
            "read 1 uid-dots",
            "delete ",
            "release alice",
        ]
    );
}

#[tokio::test]
async fn implicit_tls_over_tcp_with_sasl_plain_rfc8314_rfc5034() {
    let shared = Shared::standard();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let options = server_options(ServerTls::Implicit, &[Mechanism::Plain, Mechanism::Login]);
    let store = Store::new(&shared);
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        postwire_pop3::server::serve(socket.compat(), &options, store).await
    });
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut client = Pop3Client::connect(tcp.compat(), client_options(Tls::Implicit(tls_config())))
        .await
        .unwrap();
    assert!(client.is_tls());
    assert_eq!(client.capabilities().sasl, ["PLAIN", "LOGIN"]);

    let credentials = Credentials::password(USER, PASSWORD);
    let plain = ClientMechanism::new(postwire_sasl::Mechanism::Plain, &credentials).unwrap();
    client.authenticate_with(plain).await.unwrap();
    assert_eq!(client.retr_to_vec(2).await.unwrap(), SMALL);
    client.quit().await.unwrap();
    assert!(server.await.unwrap().unwrap().tls);
}

#[tokio::test]
async fn authenticate_picks_scram_sha_256_plus_when_the_store_has_secrets_rfc7677() {
    let shared = Shared::standard();
    let sasl = [
        Mechanism::ScramSha256Plus,
        Mechanism::ScramSha256,
        Mechanism::Plain,
    ];
    let transcript = postwire_io::transcript::MemoryTranscript::new();
    let (io, server) = start(
        server_options(ServerTls::StartTls, &sasl),
        Store::with_secrets(&shared),
    );
    let options = client_options(Tls::StartTls(tls_config())).transcript(transcript.clone());
    let mut client = Pop3Client::connect(io, options).await.unwrap();
    // TLS 1.3 gives tls-exporter (RFC 9266): -PLUS is offered after STLS.
    assert_eq!(
        client.capabilities().sasl,
        ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "PLAIN"]
    );
    client
        .authenticate(&Credentials::password(USER, PASSWORD))
        .await
        .unwrap();
    assert_eq!(client.retr_to_vec(1).await.unwrap(), DOTS);
    client.quit().await.unwrap();
    server.await.unwrap().unwrap();
    let text = transcript.to_text();
    assert!(text.contains("C: AUTH SCRAM-SHA-256-PLUS"), "{text}");
    assert!(shared.log().contains(&"secret alice Scram".to_string()));
}

#[tokio::test]
async fn scram_and_apop_are_not_offered_without_store_secrets() {
    let shared = Shared::standard();
    let sasl = [Mechanism::ScramSha256, Mechanism::Plain];
    let (io, server) = start(
        server_options(ServerTls::StartTls, &sasl),
        Store::new(&shared),
    );
    let mut client = Pop3Client::connect(io, client_options(Tls::StartTls(tls_config())))
        .await
        .unwrap();
    assert_eq!(client.capabilities().sasl, ["PLAIN"]);
    assert!(client.timestamp().is_none());
    // The strongest common mechanism is then PLAIN.
    client
        .authenticate(&Credentials::password(USER, PASSWORD))
        .await
        .unwrap();
    client.quit().await.unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn apop_with_the_store_secret_rfc1939_7() {
    let shared = Shared::standard();
    let options = server_options(ServerTls::StartTls, &[]);
    let (io, _server) = start(options.clone(), Store::with_secrets(&shared));
    let mut client = Pop3Client::connect(io, client_options(Tls::StartTls(tls_config())))
        .await
        .unwrap();
    let timestamp = client.timestamp().unwrap().as_str().to_owned();
    assert!(timestamp.ends_with("@pop.example.org>"), "{timestamp}");
    let error = client.apop(USER, "wrong secret").await.unwrap_err();
    assert!(
        matches!(&error, Error::AuthFailed(r) if r.code() == Some(&ResponseCode::Auth)),
        "{error:?}"
    );
    assert!(!error.is_fatal());
    client.apop(USER, PASSWORD).await.unwrap();
    assert_eq!(client.stat().await.unwrap().count, 2);

    // Every connection gets its own timestamp.
    let (io, _server) = start(options, Store::with_secrets(&shared));
    let other = Pop3Client::connect(io, client_options(Tls::StartTls(tls_config())))
        .await
        .unwrap();
    assert_ne!(other.timestamp().unwrap().as_str(), timestamp);
}

#[tokio::test]
async fn multi_megabyte_retr_streams_in_bounded_chunks_rfc1939_5() {
    const LINES: u64 = 64 * 1024; // 4 MiB
    let shared = Shared::with(&[("big", Body::Generated { lines: LINES })]);
    let (mut client, server) = stls_session(&shared).await;
    client.login(USER, PASSWORD).await.unwrap();
    assert_eq!(client.list_one(1).await.unwrap().size, LINES * 64);

    let mut reader = client.retr(1).await.unwrap();
    let first = reader.next_chunk().await.unwrap().unwrap();
    // The client stops reading: the server must stop too, held back by the
    // stream, not read the whole message from its store into memory.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let produced = shared.generated.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        produced < 1024 * 1024,
        "server read {produced} octets ahead"
    );

    let mut expected = Vec::new();
    let mut line = 0u64;
    let mut received = first.clone();
    let mut largest = first.len();
    let mut chunks = 1;
    loop {
        // Compare as we go: the test holds at most a line and a chunk.
        while received.len() >= 64 {
            expected.clear();
            expected.extend_from_slice(&generated_line(line));
            assert_eq!(&received[..64], &expected[..], "line {line}");
            line += 1;
            received = received.slice(64..);
        }
        match reader.next_chunk().await.unwrap() {
            Some(chunk) => {
                largest = largest.max(chunk.len());
                chunks += 1;
                let mut joined = received.to_vec();
                joined.extend_from_slice(&chunk);
                received = joined.into();
            }
            None => break,
        }
    }
    assert!(received.is_empty());
    assert_eq!(line, LINES);
    assert!(reader.is_done());
    // Chunks follow the driver's 16 KiB reads: many, each small.
    assert!(largest <= 32 * 1024, "largest chunk {largest}");
    assert!(chunks >= 100, "{chunks} chunks");
    client.quit().await.unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn message_reader_is_an_async_read_and_a_dropped_reader_is_drained() {
    let shared = Shared::with(&[
        ("big", Body::Generated { lines: 4096 }),
        ("small", Body::Bytes(SMALL.to_vec())),
    ]);
    let (io, server) = start(server_options(ServerTls::None, &[]), Store::new(&shared));
    let mut client = Pop3Client::connect(io, client_options(Tls::None).allow_plaintext_auth(true))
        .await
        .unwrap();
    client.login(USER, PASSWORD).await.unwrap();

    let mut all = Vec::new();
    client
        .retr(2)
        .await
        .unwrap()
        .read_to_end(&mut all)
        .await
        .unwrap();
    assert_eq!(all, SMALL);

    // Read a few octets of the big one, then give up on it.
    let mut reader = client.retr(1).await.unwrap();
    let mut head = [0u8; 10];
    reader.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b".dot line ");
    drop(reader);
    // The next command first reads the rest (POP3 cannot stop a RETR).
    assert_eq!(client.stat().await.unwrap().count, 2);
    assert!(client.is_usable());
    client.quit().await.unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn dele_then_quit_deletes_rfc1939_6() {
    let shared = Shared::standard();
    let (mut client, server) = stls_session(&shared).await;
    client.login(USER, PASSWORD).await.unwrap();
    client.dele(1).await.unwrap();
    // Marked messages are gone from the listings at once (RFC 1939 §5)...
    assert_eq!(client.stat().await.unwrap().count, 1);
    let error = client.retr(1).await.unwrap_err();
    assert!(matches!(error, Error::Refused(_)), "{error:?}");
    // ...but still in the store until QUIT.
    assert_eq!(shared.uids(), ["uid-dots", "uid-small"]);
    client.quit().await.unwrap();
    server.await.unwrap().unwrap();
    assert_eq!(shared.uids(), ["uid-small"]);
    let log = shared.log();
    assert!(log.contains(&"delete uid-dots".to_string()), "{log:?}");
    assert_eq!(log.last().map(String::as_str), Some("release alice"));
}

#[tokio::test]
async fn rset_unmarks_rfc1939_5() {
    let shared = Shared::standard();
    let (mut client, server) = stls_session(&shared).await;
    client.login(USER, PASSWORD).await.unwrap();
    client.dele(1).await.unwrap();
    client.dele(2).await.unwrap();
    client.rset().await.unwrap();
    client.noop().await.unwrap();
    client.quit().await.unwrap();
    server.await.unwrap().unwrap();
    assert_eq!(shared.uids(), ["uid-dots", "uid-small"]);
}

#[tokio::test]
async fn languages_listed_and_chosen_before_and_after_login_rfc6856_3() {
    let shared = Shared::standard();
    let (mut client, server) = stls_session(&shared).await;
    assert!(client.capabilities().lang);
    let languages = client.languages().await.unwrap();
    assert_eq!(languages.len(), 1);
    assert_eq!(languages[0].tag, "en");
    assert_eq!(
        client.set_language("en-GB").await.unwrap().text(),
        "en English"
    );
    let refused = client.set_language("fr").await.unwrap_err();
    assert!(matches!(refused, Error::Refused(_)), "{refused:?}");
    let malformed = client.set_language("en_US").await.unwrap_err();
    assert!(matches!(malformed, Error::Usage(_)), "{malformed:?}");
    client.login(USER, PASSWORD).await.unwrap();
    assert_eq!(client.set_language("*").await.unwrap().text(), "en English");
    client.quit().await.unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn dele_then_dropped_connection_deletes_nothing_rfc1939_6() {
    let shared = Shared::standard();
    let (mut client, server) = stls_session(&shared).await;
    client.login(USER, PASSWORD).await.unwrap();
    client.dele(1).await.unwrap();
    client.dele(2).await.unwrap();
    drop(client);
    let _ = server.await.unwrap();
    assert_eq!(shared.uids(), ["uid-dots", "uid-small"]);
    let log = shared.log();
    assert!(!log.iter().any(|l| l.starts_with("delete")), "{log:?}");
    assert_eq!(log.last().map(String::as_str), Some("release alice"));
}

#[tokio::test]
async fn refusals_are_typed_and_leave_the_session_usable_rfc1939_3() {
    let shared = Shared::standard();
    let (mut client, server) = stls_session(&shared).await;
    // A command before login is a usage error: nothing is sent.
    assert!(matches!(
        client.stat().await,
        Err(Error::Usage(UsageError::NotAuthenticated))
    ));
    let error = client.login(USER, "wrong").await.unwrap_err();
    assert!(
        matches!(&error, Error::AuthFailed(r) if r.code() == Some(&ResponseCode::Auth)),
        "{error:?}"
    );
    assert!(client.is_usable());
    client.login(USER, PASSWORD).await.unwrap();

    let error = client.retr(9).await.unwrap_err();
    let response = error.response().unwrap();
    assert!(!response.is_ok());
    assert!(!error.is_fatal());
    assert!(matches!(client.list_one(0).await, Err(Error::Usage(_))));
    assert!(matches!(client.dele(3).await, Err(Error::Refused(_))));
    assert!(client.is_usable());
    assert_eq!(client.retr_to_vec(2).await.unwrap(), SMALL);
    client.quit().await.unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn store_refusals_carry_their_response_codes_rfc2449_8_rfc3206() {
    let shared = Shared::standard();
    let (mut client, server) = stls_session(&shared).await;
    let error = client.login("busy", PASSWORD).await.unwrap_err();
    assert!(
        matches!(&error, Error::AuthFailed(r) if r.code() == Some(&ResponseCode::SysTemp)),
        "{error:?}"
    );
    let error = client.login("locked", PASSWORD).await.unwrap_err();
    assert!(
        matches!(&error, Error::AuthFailed(r) if r.code() == Some(&ResponseCode::InUse)),
        "{error:?}"
    );
    assert!(!client.is_authenticated());
    drop(client);
    let _ = server.await.unwrap();
    // The locked maildrop was never opened, so nothing to release.
    assert!(!shared.log().iter().any(|l| l.starts_with("release")));
}
