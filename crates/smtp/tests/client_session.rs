//! SmtpClient against postwire-smtp-proto's server over 127.0.0.1 TCP and
//! the in-memory duplex.

mod client_support;

use std::time::Duration;

use client_support::{
    Behaviour, PASSWORD, ServerTls, Store, TokioClock, message, options, serve, tcp_server,
    tls_config,
};
use postwire_io::transcript::MemoryTranscript;
use postwire_smtp::client::{Envelope, Error, RecipientStatus, SmtpClient, Tls};
use postwire_smtp_proto::client::Error as ProtoError;
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncReadCompatExt};

async fn tcp(addr: std::net::SocketAddr) -> Compat<TcpStream> {
    TcpStream::connect(addr).await.unwrap().compat()
}

fn envelope(to: &[&str]) -> Envelope {
    let mut envelope = Envelope::parse("alice@example.org").unwrap();
    for to in to {
        envelope = envelope.to(to.parse().unwrap());
    }
    envelope
}

#[tokio::test]
async fn starttls_required_auth_and_one_refused_of_three_rfc3207_rfc4954() {
    let store = Store::default();
    let addr = tcp_server(Behaviour::default(), store.clone()).await;
    let mut client =
        SmtpClient::connect(tcp(addr).await, options(Tls::StartTls(tls_config()), true))
            .await
            .unwrap();
    assert!(client.is_tls());
    assert!(client.is_authenticated());
    assert!(client.capabilities().chunking);

    let report = client
        .send(
            envelope(&["bob@example.org", "refuse@example.org", "carol@example.org"]),
            message("three"),
        )
        .await
        .unwrap();
    let statuses: Vec<_> = report
        .recipients
        .iter()
        .map(|(p, s)| (p.to_string(), s.clone()))
        .collect();
    assert_eq!(
        statuses[0],
        ("<bob@example.org>".into(), RecipientStatus::Accepted)
    );
    assert!(matches!(&statuses[1].1, RecipientStatus::Refused(r) if r.code().get() == 550));
    assert_eq!(statuses[2].1, RecipientStatus::Accepted);
    assert!(!report.all_accepted());
    assert_eq!(report.final_reply.as_ref().unwrap().code().get(), 250);

    client.quit().await.unwrap();
    let messages = store.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(
        messages[0].to,
        vec!["<bob@example.org>", "<carol@example.org>"]
    );
    assert_eq!(messages[0].data, message("three"));
    assert!(matches!(client.noop().await, Err(Error::Closed)));
}

#[tokio::test]
async fn implicit_tls_rfc8314_3_3() {
    let store = Store::default();
    let behaviour = Behaviour {
        tls: ServerTls::Implicit,
        ..Behaviour::default()
    };
    let addr = tcp_server(behaviour, store.clone()).await;
    let mut client =
        SmtpClient::connect(tcp(addr).await, options(Tls::Implicit(tls_config()), true))
            .await
            .unwrap();
    assert!(client.is_tls());
    assert!(client.tls_info().is_some());
    assert!(client.is_authenticated());
    let report = client
        .send(envelope(&["bob@example.org"]), message("tls"))
        .await
        .unwrap();
    assert!(report.all_accepted());
    client.quit().await.unwrap();
    assert_eq!(store.messages()[0].data, message("tls"));
}

#[tokio::test]
async fn opportunistic_starttls_upgrades_when_offered_rfc3207() {
    let store = Store::default();
    let addr = tcp_server(Behaviour::default(), store.clone()).await;
    let mut client = SmtpClient::connect(
        tcp(addr).await,
        options(Tls::StartTlsOpportunistic(tls_config()), false),
    )
    .await
    .unwrap();
    assert!(client.is_tls());
    assert!(
        client
            .send(envelope(&["bob@example.org"]), message("o"))
            .await
            .unwrap()
            .all_accepted()
    );
}

#[tokio::test]
async fn opportunistic_starttls_goes_on_in_plaintext_when_not_offered() {
    let store = Store::default();
    let behaviour = Behaviour {
        tls: ServerTls::None,
        auth: false,
        ..Behaviour::default()
    };
    let addr = tcp_server(behaviour, store.clone()).await;
    let mut client = SmtpClient::connect(
        tcp(addr).await,
        options(Tls::StartTlsOpportunistic(tls_config()), false),
    )
    .await
    .unwrap();
    assert!(!client.is_tls());
    assert!(
        client
            .send(envelope(&["bob@example.org"]), message("p"))
            .await
            .unwrap()
            .all_accepted()
    );
    assert_eq!(store.messages().len(), 1);
}

#[tokio::test]
async fn required_starttls_not_offered_aborts_before_auth_security_c01() {
    let behaviour = Behaviour {
        tls: ServerTls::None,
        ..Behaviour::default()
    };
    let addr = tcp_server(behaviour, Store::default()).await;
    let error = SmtpClient::connect(tcp(addr).await, options(Tls::StartTls(tls_config()), true))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Connection(postwire_io::Error::Protocol(ProtoError::StartTlsRequired))
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn no_plaintext_auth_without_permission_security_a1() {
    let behaviour = Behaviour {
        tls: ServerTls::None,
        ..Behaviour::default()
    };
    let addr = tcp_server(behaviour.clone(), Store::default()).await;
    let error = SmtpClient::connect(tcp(addr).await, options(Tls::None, true))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Usage(_)), "{error:?}");
    // Allowed explicitly, it works.
    let mut allowed = options(Tls::None, true);
    allowed.allow_plaintext_auth = true;
    let client = SmtpClient::connect(tcp(addr).await, allowed).await.unwrap();
    assert!(client.is_authenticated());
}

#[tokio::test]
async fn wrong_password_is_auth_failed_rfc4954_4() {
    let addr = tcp_server(Behaviour::default(), Store::default()).await;
    let mut opts = options(Tls::StartTls(tls_config()), false);
    opts = opts.credentials(postwire_smtp::client::Credentials::password(
        "alice", "wrong",
    ));
    let error = SmtpClient::connect(tcp(addr).await, opts)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::AuthFailed(r) if r.code().get() == 535),
        "{error:?}"
    );
}

#[tokio::test]
async fn many_messages_over_one_connection_with_and_without_chunking() {
    for chunking in [true, false] {
        let store = Store::default();
        let behaviour = Behaviour {
            chunking,
            ..Behaviour::default()
        };
        let addr = tcp_server(behaviour, store.clone()).await;
        let mut client =
            SmtpClient::connect(tcp(addr).await, options(Tls::StartTls(tls_config()), true))
                .await
                .unwrap();
        for i in 0..5 {
            let report = client
                .send(envelope(&["bob@example.org"]), message(&format!("n{i}")))
                .await
                .unwrap();
            assert!(report.all_accepted());
        }
        client.quit().await.unwrap();
        let messages = store.messages();
        assert_eq!(messages.len(), 5);
        assert_eq!(
            store.connections.load(std::sync::atomic::Ordering::SeqCst),
            1
        );
        for (i, m) in messages.iter().enumerate() {
            assert_eq!(m.data, message(&format!("n{i}")));
        }
    }
}

#[tokio::test]
async fn deferred_452_recipients_get_follow_up_transactions_rfc5321_4_5_3_1_10() {
    let store = Store::default();
    let behaviour = Behaviour {
        max_recipients: 2,
        ..Behaviour::default()
    };
    let addr = tcp_server(behaviour, store.clone()).await;
    let mut client =
        SmtpClient::connect(tcp(addr).await, options(Tls::StartTls(tls_config()), true))
            .await
            .unwrap();
    let to = [
        "a@example.org",
        "b@example.org",
        "c@example.org",
        "d@example.org",
        "e@example.org",
    ];
    let report = client.send(envelope(&to), message("452")).await.unwrap();
    assert!(report.all_accepted(), "{report:?}");
    assert_eq!(report.follow_up_replies.len(), 2);
    let messages = store.messages();
    assert_eq!(messages.len(), 3);
    let delivered: Vec<String> = messages.iter().flat_map(|m| m.to.clone()).collect();
    assert_eq!(delivered.len(), 5);
    assert!(messages.iter().all(|m| m.data == message("452")));

    // send_reader reads its body once: the deferred ones are reported.
    let body = message("reader");
    let report = client.send_reader(envelope(&to), &body[..]).await.unwrap();
    let deferred = report
        .recipients
        .iter()
        .filter(|(_, s)| matches!(s, RecipientStatus::Deferred(r) if r.code().get() == 452))
        .count();
    assert_eq!(deferred, 3);
    assert_eq!(report.accepted().count(), 2);
}

#[tokio::test]
async fn transcript_has_no_secret_and_no_body() {
    let addr = tcp_server(Behaviour::default(), Store::default()).await;
    let transcript = MemoryTranscript::new();
    let opts = options(Tls::StartTls(tls_config()), true).transcript(transcript.clone());
    let mut client = SmtpClient::connect(tcp(addr).await, opts).await.unwrap();
    client
        .send(
            envelope(&["bob@example.org"]),
            b"Subject: top secret body\r\n\r\nx\r\n",
        )
        .await
        .unwrap();
    client.quit().await.unwrap();
    let text = transcript.to_text();
    assert!(text.contains("C: AUTH PLAIN <redacted>"), "{text}");
    assert!(text.contains("C: BDAT"), "{text}");
    assert!(!text.contains(PASSWORD), "{text}");
    assert!(!text.contains("top secret body"), "{text}");
    // The base64 of the PLAIN message, whole or in part, is absent too.
    let plain = format!("\0alice\0{PASSWORD}");
    let encoded = base64_encode(plain.as_bytes());
    assert!(!text.contains(&encoded[..16]), "{text}");
}

fn base64_encode(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A body that yields one chunk and then never more.
struct Stalling {
    sent: bool,
}

impl futures_io::AsyncRead for Stalling {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &mut [u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        if self.sent {
            return std::task::Poll::Pending;
        }
        self.sent = true;
        let n = buf.len().min(10);
        buf[..n].copy_from_slice(&b"Subject: x"[..n]);
        std::task::Poll::Ready(Ok(n))
    }
}

#[tokio::test]
async fn dropped_send_future_poisons_the_client() {
    let (a, b) = postwire_testkit::duplex(64 * 1024);
    let store = Store::default();
    let behaviour = Behaviour {
        tls: ServerTls::None,
        auth: false,
        ..Behaviour::default()
    };
    tokio::spawn(serve(b, behaviour, store.clone()));
    let mut client = SmtpClient::connect(a, options(Tls::None, false))
        .await
        .unwrap();
    assert!(client.noop().await.unwrap().code().is_positive());
    let send = client.send_reader(envelope(&["bob@example.org"]), Stalling { sent: false });
    assert!(
        tokio::time::timeout(Duration::from_millis(200), send)
            .await
            .is_err()
    );
    assert!(client.is_poisoned());
    assert!(!client.is_usable());
    assert!(matches!(client.noop().await, Err(Error::Poisoned)));
    assert!(matches!(
        client
            .send(envelope(&["bob@example.org"]), message("again"))
            .await,
        Err(Error::Poisoned)
    ));
    assert!(store.messages().is_empty());
    let _ = TokioClock;
}

#[tokio::test]
async fn lmtp_reports_one_reply_per_recipient_rfc2033_4_2() {
    let store = Store::default();
    let behaviour = Behaviour {
        tls: ServerTls::None,
        auth: false,
        lmtp: true,
        ..Behaviour::default()
    };
    let addr = tcp_server(behaviour, store.clone()).await;
    let mut opts = options(Tls::None, false);
    opts.lmtp = true;
    let mut client = SmtpClient::connect(tcp(addr).await, opts).await.unwrap();
    let report = client
        .send(
            envelope(&["bob@example.org", "full@example.org", "refuse@example.org"]),
            message("lmtp"),
        )
        .await
        .unwrap();
    assert_eq!(report.recipients[0].1, RecipientStatus::Accepted);
    assert!(
        matches!(&report.recipients[1].1, RecipientStatus::Refused(r) if r.code().get() == 452)
    );
    assert!(
        matches!(&report.recipients[2].1, RecipientStatus::Refused(r) if r.code().get() == 550)
    );
    assert_eq!(report.lmtp_replies.len(), 2);
    assert_eq!(report.lmtp_replies[1].0.to_string(), "<full@example.org>");
    assert_eq!(report.final_reply, None);
    assert_eq!(store.messages()[0].data, message("lmtp"));
}

#[tokio::test]
async fn no_recipients_is_a_usage_error_and_the_client_stays_usable() {
    let addr = tcp_server(Behaviour::default(), Store::default()).await;
    let mut client =
        SmtpClient::connect(tcp(addr).await, options(Tls::StartTls(tls_config()), true))
            .await
            .unwrap();
    let error = client
        .send(envelope(&[]), message("none"))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Usage(_)), "{error:?}");
    assert!(!error.is_fatal());
    assert!(client.is_usable());
    assert!(
        client
            .send(envelope(&["bob@example.org"]), message("x"))
            .await
            .unwrap()
            .all_accepted()
    );
}

#[tokio::test]
async fn a_server_that_stops_reading_mid_body_times_out_rfc5321_4_5_3_2_5() {
    use futures_lite::{AsyncReadExt, AsyncWriteExt};
    let (a, mut b) = postwire_testkit::duplex(4096);
    tokio::spawn(async move {
        b.write_all(b"220 mx ready\r\n").await.unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 1024];
        let mut stage = 0;
        loop {
            let n = b.read(&mut buf).await.unwrap();
            seen.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&seen).to_string();
            if stage == 0 && text.contains("EHLO") && text.ends_with("\r\n") {
                b.write_all(b"250-mx\r\n250 PIPELINING\r\n").await.unwrap();
                stage = 1;
            }
            if stage == 1 && text.contains("DATA\r\n") {
                b.write_all(b"250 ok\r\n250 ok\r\n354 go\r\n")
                    .await
                    .unwrap();
                break;
            }
        }
        // Never read again, keep the stream open.
        tokio::time::sleep(Duration::from_secs(60)).await;
        drop(b);
    });
    let mut opts = options(Tls::None, false);
    let mut timeouts = postwire_smtp::client::Timeouts::default();
    timeouts.data_block = Duration::from_millis(300);
    opts.timeouts = timeouts;
    let mut client = SmtpClient::connect(a, opts).await.unwrap();
    let big = vec![b'x'; 1024 * 1024];
    let error = tokio::time::timeout(
        Duration::from_secs(10),
        client.send(envelope(&["bob@example.org"]), &big),
    )
    .await
    .expect("the send must end by itself")
    .unwrap_err();
    assert!(matches!(error, Error::WriteTimeout), "{error:?}");
    assert!(!client.is_usable());
    assert!(matches!(
        client.noop().await,
        Err(Error::Closed | Error::Poisoned)
    ));
}

/// A scripted server on a duplex: for each step, read until the marker has
/// arrived, then write the answer; after the last step, close.
async fn scripted(
    mut io: postwire_testkit::DuplexStream,
    steps: Vec<(&'static str, &'static str)>,
) {
    use futures_lite::{AsyncReadExt, AsyncWriteExt};
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    for (marker, answer) in steps {
        while !seen.contains(marker) {
            let n = io.read(&mut buf).await.unwrap();
            if n == 0 {
                return;
            }
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        seen = seen.split_once(marker).unwrap().1.to_string();
        io.write_all(answer.as_bytes()).await.unwrap();
    }
    io.close().await.unwrap();
}

#[tokio::test]
async fn failure_in_a_452_follow_up_still_reports_the_delivered_part() {
    let (a, b) = postwire_testkit::duplex(64 * 1024);
    tokio::spawn(scripted(
        b,
        vec![
            ("", "220 mx ready\r\n"),
            ("EHLO localhost\r\n", "250-mx\r\n250 PIPELINING\r\n"),
            (
                "DATA\r\n",
                "250 ok\r\n250 ok\r\n452 4.5.3 too many recipients\r\n354 go\r\n",
            ),
            ("\r\n.\r\n", "250 2.0.0 queued as 1\r\n"),
            // The follow-up transaction: the server goes away.
            ("MAIL FROM", ""),
        ],
    ));
    let mut client = SmtpClient::connect(a, options(Tls::None, false))
        .await
        .unwrap();
    let report = client
        .send(
            envelope(&["a@example.org", "b@example.org"]),
            message("half"),
        )
        .await
        .unwrap();
    assert_eq!(report.recipients[0].1, RecipientStatus::Accepted);
    assert!(
        matches!(&report.recipients[1].1, RecipientStatus::Deferred(r) if r.code().get() == 452),
        "{report:?}"
    );
    assert!(report.final_reply.unwrap().text().contains("queued as 1"));
    assert!(!client.is_usable());
}

#[tokio::test]
async fn certificate_for_another_name_fails_the_handshake_security_c13() {
    let addr = tcp_server(Behaviour::default(), Store::default()).await;
    let config = std::sync::Arc::new(postwire_testkit::TestPki::shared().client_config());
    let name = rustls::pki_types::ServerName::try_from("mail.example.org").unwrap();
    let tls = Tls::StartTls(postwire_smtp::client::TlsConfig::new(config, name));
    let error = SmtpClient::connect(tcp(addr).await, options(tls, true))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Connection(postwire_io::Error::Tls(_))),
        "{error:?}"
    );
}
