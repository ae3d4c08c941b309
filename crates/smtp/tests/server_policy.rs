//! The server facade asks the handler for every policy decision and
//! streams message content to it (over the in-memory duplex).

mod server_support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use postwire_smtp::server::{Mechanism, serve};
use postwire_smtp_proto::client::Event;
use postwire_testkit::duplex;
use server_support::*;

fn start(
    tls: bool,
) -> (
    TestClient<postwire_testkit::DuplexStream>,
    Record,
    tokio::task::JoinHandle<
        Result<postwire_smtp::server::Session, postwire_smtp::server::ServeError>,
    >,
) {
    let (a, b) = duplex(64 * 1024);
    let record = Record::default();
    let policy = Policy {
        record: record.clone(),
    };
    let server = tokio::spawn(async move { serve(b, &options(tls), policy).await });
    (
        TestClient::new(a, client_config(tls, false)),
        record,
        server,
    )
}

#[tokio::test]
async fn refused_recipient_gets_550_5_1_1_and_the_others_get_the_message_rfc5321_4_1_1_3() {
    let (mut client, record, server) = start(false);
    client.open(false).await;
    let (envelope, end) = client
        .send(
            "a@client.test",
            &["ok@mx.test", "nobody@mx.test"],
            b"Subject: x\r\n\r\nhi\r\n",
        )
        .await;
    let Some(Event::Envelope { result, .. }) = envelope else {
        panic!("{envelope:?}")
    };
    assert_eq!(result.accepted, vec![0]);
    assert_eq!(result.refused.len(), 1);
    assert_eq!(result.refused[0].1.code().get(), 550);
    assert_eq!(result.refused[0].1.enhanced().unwrap().to_string(), "5.1.1");
    assert!(matches!(end, Event::MessageAccepted { .. }), "{end:?}");
    client.quit().await;
    let session = server.await.unwrap().unwrap();
    assert_eq!(session.messages, 1);
    let calls = record.calls();
    assert!(
        calls.contains(&"data <a@client.test> rcpts=1 proto=ESMTP".to_owned()),
        "{calls:?}"
    );
    assert_eq!(
        record.messages(),
        vec![b"Subject: x\r\n\r\nhi\r\n".to_vec()]
    );
}

#[tokio::test]
async fn refused_sender_ends_the_transaction_and_the_session_stays_usable_rfc5321_4_1_1_2() {
    let (mut client, record, server) = start(false);
    client.open(false).await;
    let (_, end) = client
        .send("spammer@bad.test", &["ok@mx.test"], b"x\r\n")
        .await;
    let Event::TransactionFailed { reply, .. } = end else {
        panic!("{end:?}")
    };
    assert_eq!(reply.code().get(), 550);
    assert_eq!(reply.text(), "sender refused by policy");
    // The same session delivers the next message.
    let (_, end) = client
        .send("good@client.test", &["ok@mx.test"], b"y\r\n")
        .await;
    assert!(matches!(end, Event::MessageAccepted { .. }), "{end:?}");
    client.quit().await;
    server.await.unwrap().unwrap();
    let calls = record.calls();
    assert_eq!(
        calls.iter().filter(|c| c.starts_with("data")).count(),
        1,
        "no DATA for the refused sender: {calls:?}"
    );
    // The pipelined RCPT after the refused MAIL never reached the handler.
    let first_rcpt = calls.iter().position(|c| c.starts_with("rcpt")).unwrap();
    let good_mail = calls
        .iter()
        .position(|c| c == "mail <good@client.test>")
        .unwrap();
    assert!(first_rcpt > good_mail, "{calls:?}");
    assert_eq!(record.messages(), vec![b"y\r\n".to_vec()]);
}

/// A 5 MB body reaches the sink while the client is still sending it:
/// the facade never holds the message (DESIGN.md, RFC 5321 §4.5.2 DATA).
async fn body_streams_before_its_end(chunking: bool) {
    let (a, b) = duplex(64 * 1024);
    let record = Record::default();
    let policy = Policy {
        record: record.clone(),
    };
    let server = tokio::spawn(async move { serve(b, &options(false), policy).await });
    let mut client = TestClient::new(a, client_config(false, chunking));
    client.open(false).await;

    let line = b"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\r\n";
    let body: Vec<u8> = line
        .iter()
        .copied()
        .cycle()
        .take(line.len() * 70_000)
        .collect();
    assert!(body.len() > 5_000_000);
    use postwire_smtp_proto::client::{BodyInfo, Envelope};
    use postwire_smtp_proto::{ForwardPath, Mailbox, ReversePath};
    let envelope = Envelope::new(ReversePath::Mailbox(
        Mailbox::parse("a@client.test").unwrap(),
    ))
    .to(ForwardPath::Mailbox(Mailbox::parse("b@mx.test").unwrap()));
    let now = now();
    client
        .conn
        .protocol_mut()
        .send_mail(now, envelope, BodyInfo::from_content(&body))
        .unwrap();
    assert!(matches!(client.next().await, Event::Envelope { .. }));
    assert!(matches!(client.next().await, Event::ReadyForBody { .. }));
    for piece in body.chunks(64 * 1024) {
        client.conn.protocol_mut().send_body(now, piece).unwrap();
        client.conn.flush_until(64 * 1024).await.unwrap();
    }
    client.conn.flush().await.unwrap();
    // The end of data is not sent yet; most of the body must be in the sink.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while record.streamed.load(Ordering::SeqCst) < 4_000_000 {
        assert!(tokio::time::Instant::now() < deadline, "body not streamed");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(!record.calls().iter().any(|c| c.starts_with("finish")));
    client.conn.protocol_mut().finish_body(now).unwrap();
    let end = client.next().await;
    assert!(matches!(end, Event::MessageAccepted { .. }), "{end:?}");
    client.quit().await;
    server.await.unwrap().unwrap();
    let messages = record.messages();
    assert_eq!(messages.len(), 1);
    assert!(messages[0] == body, "content differs");
}

#[tokio::test]
async fn data_body_streams_to_the_sink_before_the_end_of_data_rfc5321_4_5_2() {
    body_streams_before_its_end(false).await;
}

#[tokio::test]
async fn bdat_body_streams_to_the_sink_before_the_last_chunk_rfc3030_2() {
    body_streams_before_its_end(true).await;
}

#[tokio::test]
async fn failed_auth_gets_535_and_a_second_attempt_succeeds_after_starttls_rfc4954_4() {
    let (mut client, record, server) = start(true);
    client.open(true).await;
    let failed = client.auth(Mechanism::Plain, "alice", "wrong").await;
    let Event::AuthFailed { reply, .. } = failed else {
        panic!("{failed:?}")
    };
    assert_eq!(reply.code().get(), 535);
    assert_eq!(reply.enhanced().unwrap().to_string(), "5.7.8");
    let ok = client.auth(Mechanism::Login, "alice", "secret").await;
    assert!(matches!(ok, Event::Authenticated { .. }), "{ok:?}");
    let (_, end) = client
        .send("alice@client.test", &["b@mx.test"], b"z\r\n")
        .await;
    assert!(matches!(end, Event::MessageAccepted { .. }), "{end:?}");
    client.quit().await;
    let session = server.await.unwrap().unwrap();
    assert_eq!(session.authenticated.as_deref(), Some("alice"));
    assert!(session.tls);
    let calls = record.calls();
    assert!(
        calls.contains(&"auth PLAIN alice tls=true".to_owned()),
        "{calls:?}"
    );
    assert!(
        calls.contains(&"auth LOGIN alice tls=true".to_owned()),
        "{calls:?}"
    );
    assert!(
        calls.contains(&"data <alice@client.test> rcpts=1 proto=ESMTPSA".to_owned()),
        "{calls:?}"
    );
}

#[tokio::test]
async fn auth_plain_succeeds_at_once_after_starttls_rfc4616_2() {
    let (mut client, _record, server) = start(true);
    client.open(true).await;
    let ok = client.auth(Mechanism::Plain, "alice", "secret").await;
    assert!(matches!(ok, Event::Authenticated { .. }), "{ok:?}");
    client.quit().await;
    assert_eq!(
        server.await.unwrap().unwrap().authenticated.as_deref(),
        Some("alice")
    );
}

#[tokio::test]
async fn auth_is_not_offered_before_tls_rfc4954_4() {
    let (mut client, record, server) = start(true);
    assert!(matches!(client.next().await, Event::Greeting { .. }));
    client.conn.protocol_mut().ehlo(now()).unwrap();
    let Event::Ehlo { capabilities, .. } = client.next().await else {
        panic!("no ehlo")
    };
    assert!(capabilities.starttls);
    assert!(capabilities.auth.is_empty());
    drop(client);
    let _ = server.await.unwrap();
    assert!(!record.calls().iter().any(|c| c.starts_with("auth")));
}

#[tokio::test]
async fn transcript_hides_auth_credentials_rfc4954_4() {
    let transcript = postwire_io::transcript::MemoryTranscript::new();
    let sink = transcript.clone();
    let options = options(true).with_transcript(move || Box::new(sink.clone()));
    let (a, b) = duplex(64 * 1024);
    let policy = Policy {
        record: Record::default(),
    };
    let server = tokio::spawn(async move { serve(b, &options, policy).await });
    let mut client = TestClient::new(a, client_config(true, false));
    client.open(true).await;
    let ok = client.auth(Mechanism::Login, "alice", "secret").await;
    assert!(matches!(ok, Event::Authenticated { .. }), "{ok:?}");
    client.quit().await;
    server.await.unwrap().unwrap();
    let text = transcript.to_text();
    assert!(text.contains("AUTH LOGIN"), "{text}");
    assert!(text.contains("235 2.7.0"), "{text}");
    // base64("alice") and base64("secret") never appear.
    assert!(!text.contains("YWxpY2U="), "{text}");
    assert!(!text.contains("c2VjcmV0"), "{text}");
}

#[tokio::test]
async fn implicit_tls_serves_inside_tls_from_the_first_byte_rfc8314_3_3() {
    use std::sync::Arc;

    use postwire_io::{Connection, TlsRole};
    use postwire_smtp::server::TlsMode;
    use postwire_smtp_proto::client::Client;
    use postwire_testkit::{ServerCert, TestPki, localhost};

    let pki = TestPki::shared();
    let mut options = options(false).with_tls(
        Arc::new(pki.server_config(ServerCert::Valid)),
        TlsMode::Implicit,
    );
    options.config.extensions.starttls = true; // ignored under implicit TLS
    let (a, b) = duplex(64 * 1024);
    let record = Record::default();
    let policy = Policy {
        record: record.clone(),
    };
    let server = tokio::spawn(async move { serve(b, &options, policy).await });
    let mut config = client_config(true, true);
    config.implicit_tls = true;
    let role = TlsRole::client(Arc::new(pki.client_config()), localhost());
    let client = Client::new(now(), config);
    let mut client = TestClient {
        conn: Connection::new_implicit_tls(a, client, TokioClock, role).unwrap(),
    };
    // The handshake comes first; the greeting is the first thing inside TLS.
    let event = client.next().await;
    assert!(
        matches!(event, Event::TlsEstablished { id: None }),
        "{event:?}"
    );
    let event = client.next().await;
    assert!(matches!(event, Event::Greeting { .. }), "{event:?}");
    client.conn.protocol_mut().ehlo(now()).unwrap();
    let Event::Ehlo { capabilities, .. } = client.next().await else {
        panic!("no ehlo")
    };
    assert!(!capabilities.starttls, "no STARTTLS inside TLS");
    assert!(!capabilities.auth.is_empty(), "AUTH offered under TLS");
    let ok = client.auth(Mechanism::Plain, "alice", "secret").await;
    assert!(matches!(ok, Event::Authenticated { .. }), "{ok:?}");
    let (_, end) = client
        .send("alice@client.test", &["b@mx.test"], b"tls\r\n")
        .await;
    assert!(matches!(end, Event::MessageAccepted { .. }), "{end:?}");
    client.quit().await;
    let session = server.await.unwrap().unwrap();
    assert!(session.tls);
    assert!(
        record
            .calls()
            .contains(&"data <alice@client.test> rcpts=1 proto=ESMTPSA".to_owned())
    );
}

/// The handler refuses the message at DATA (RFC 5321 §4.1.1.4: 554) or,
/// under BDAT, at the first chunk, answered at the last (RFC 3030 §2);
/// nothing is stored and the session goes on.
async fn refused_data(chunking: bool) {
    let (a, b) = duplex(64 * 1024);
    let record = Record::default();
    let policy = Policy {
        record: record.clone(),
    };
    let server = tokio::spawn(async move { serve(b, &options(false), policy).await });
    let mut client = TestClient::new(a, client_config(false, chunking));
    client.open(false).await;
    let body = b"Subject: refused\r\n\r\n".repeat(5000);
    let (_, end) = client
        .send("nodata@client.test", &["b@mx.test"], &body)
        .await;
    let Event::TransactionFailed { reply, .. } = end else {
        panic!("{end:?}")
    };
    assert_eq!(reply.code().get(), 554);
    assert_eq!(reply.text(), "no data from you");
    let (_, end) = client
        .send("ok@client.test", &["b@mx.test"], b"next\r\n")
        .await;
    assert!(matches!(end, Event::MessageAccepted { .. }), "{end:?}");
    client.quit().await;
    assert_eq!(server.await.unwrap().unwrap().messages, 1);
    assert_eq!(record.messages(), vec![b"next\r\n".to_vec()]);
}

#[tokio::test]
async fn refused_data_stores_nothing_and_the_session_goes_on_rfc5321_4_1_1_4() {
    refused_data(false).await;
}

#[tokio::test]
async fn refused_bdat_message_is_answered_at_the_last_chunk_rfc3030_2() {
    refused_data(true).await;
}

#[tokio::test]
async fn sink_write_error_answers_451_4_3_0_and_aborts_the_sink_rfc5321_4_2_3() {
    let (mut client, record, server) = start(false);
    client.open(false).await;
    let body = b"line\r\n".repeat(20_000);
    let (_, end) = client
        .send("diskfull@client.test", &["b@mx.test"], &body)
        .await;
    let Event::TransactionFailed { reply, .. } = end else {
        panic!("{end:?}")
    };
    assert_eq!(reply.code().get(), 451);
    assert_eq!(reply.enhanced().unwrap().to_string(), "4.3.0");
    let (_, end) = client
        .send("ok@client.test", &["b@mx.test"], b"next\r\n")
        .await;
    assert!(matches!(end, Event::MessageAccepted { .. }), "{end:?}");
    client.quit().await;
    server.await.unwrap().unwrap();
    let calls = record.calls();
    assert!(calls.contains(&"abort".to_owned()), "{calls:?}");
    assert_eq!(record.messages(), vec![b"next\r\n".to_vec()]);
}
