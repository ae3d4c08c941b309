//! The TLS cases of SECURITY.md for SMTP, through the public facade
//! (`SmtpClient::connect`, `server::serve`), over real rustls sessions on
//! 127.0.0.1 TCP: the complete matrix in one file. Each test carries its
//! case id; where the same case is also proven elsewhere, a comment names
//! that test.
//!
//! Attackers are raw TCP peers ([`security_support::Wire`]) that put bytes
//! exactly where the case needs them and record every byte they receive,
//! and that can run a rustls client of their own on the same socket.

mod security_support;

use std::sync::Arc;
use std::time::Duration;

use postwire_io::Error as IoError;
use postwire_smtp::client::{Error, SmtpClient, Tls, TlsConfig};
use postwire_smtp::server::{ServeError, TlsMode};
use postwire_smtp_proto::client::Error as ClientProtoError;
use postwire_smtp_proto::server::Error as ServerProtoError;
use postwire_testkit::{ServerCert, TestPki, localhost};
use rustls::CertificateError;
use security_support::*;
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncReadCompatExt};

async fn tcp(addr: std::net::SocketAddr) -> Compat<TcpStream> {
    TcpStream::connect(addr).await.unwrap().compat()
}

/// The fake server's EHLO reply: STARTTLS and AUTH offered.
const EHLO_WITH_STARTTLS: &[u8] =
    b"250-fake.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n";

/// Greeting and EHLO of the fake server, with `capabilities` as the reply.
async fn fake_open(wire: &mut Wire, capabilities: &[u8]) {
    assert!(wire.send(b"220 fake.test ESMTP\r\n").await);
    let ehlo = wire.line().await;
    assert!(ehlo.starts_with(b"EHLO "), "{}", show(&ehlo));
    assert!(wire.send(capabilities).await);
}

/// What the attacker does after the client's `STARTTLS`.
#[derive(Clone, Copy)]
enum Injection {
    /// `220 Ready\r\n` and these bytes in one write.
    SameWrite(&'static [u8]),
    /// `220 Ready\r\n`, then these bytes once the ClientHello arrived.
    AfterHello(&'static [u8]),
    /// `220 Ready\r\n`, then these bytes in the next write at once: the
    /// client may read them with the 220 or after it.
    NextWrite(&'static [u8]),
}

/// Runs our client (STARTTLS required, with credentials) against a fake
/// server that injects after its STARTTLS reply; the client's error and
/// every byte the client sent.
async fn client_against_injection(injection: Injection) -> (Error, Vec<u8>) {
    let (addr, fake) = fake_server(move |mut wire| async move {
        fake_open(&mut wire, EHLO_WITH_STARTTLS).await;
        assert_eq!(wire.line().await, b"STARTTLS\r\n");
        match injection {
            Injection::SameWrite(extra) => {
                let mut write = b"220 Ready\r\n".to_vec();
                write.extend_from_slice(extra);
                assert!(wire.send(&write).await);
            }
            Injection::AfterHello(extra) => {
                assert!(wire.send(b"220 Ready\r\n").await);
                let hello = wire.peek_at_least(5).await;
                assert_eq!(hello.first(), Some(&0x16), "a TLS handshake record");
                wire.send(extra).await;
            }
            Injection::NextWrite(extra) => {
                assert!(wire.send(b"220 Ready\r\n").await);
                wire.send(extra).await;
            }
        }
        wire
    })
    .await;
    let result = SmtpClient::connect(
        tcp(addr).await,
        client_options(Tls::StartTls(client_tls()), true),
    )
    .await;
    let error = result.expect_err("the client must abort");
    let sent = fake.await.unwrap();
    (error, sent)
}

fn is_injection_error(error: &Error) -> bool {
    matches!(
        error,
        Error::Connection(IoError::Protocol(ClientProtoError::PlaintextAfterStartTls))
            | Error::Connection(IoError::PlaintextBeforeTls)
    )
}

/// What the client sent after its `STARTTLS` line: nothing, or TLS
/// records only; never a command, never AUTH.
fn assert_nothing_but_tls_after_starttls(sent: &[u8]) {
    assert!(!contains(sent, b"AUTH"), "{}", show(sent));
    let rest = after(sent, b"STARTTLS\r\n");
    assert!(
        rest.is_empty() || rest[0] == 0x16 || rest[0] == 0x15,
        "plaintext after STARTTLS: {}",
        show(rest)
    );
}

// Same level, toy machine: postwire-io
// `client_refuses_reply_injected_after_starttls_ok_in_same_segment_c07`.
#[tokio::test]
async fn c07_reply_injected_after_starttls_220_in_the_same_write_aborts_rfc3207_4_2() {
    bounded(async {
        let (error, sent) =
            client_against_injection(Injection::SameWrite(b"250 AUTH LOGIN\r\n")).await;
        assert!(is_injection_error(&error), "{error:?}");
        let text = error.to_string();
        assert!(
            text.contains("injection") || text.contains("before the tls handshake"),
            "the error says what happened: {text}"
        );
        // Nothing after STARTTLS at all: not even a ClientHello, so the
        // injected line never reached a post-TLS parser; no credentials.
        assert_eq!(after(&sent, b"STARTTLS\r\n"), b"", "{}", show(&sent));
        assert!(!contains(&sent, b"AUTH"));
    })
    .await;
}

#[tokio::test]
async fn c11_421_after_starttls_220_in_the_same_write_aborts() {
    bounded(async {
        let (error, sent) = client_against_injection(Injection::SameWrite(b"421 bye\r\n")).await;
        assert!(is_injection_error(&error), "{error:?}");
        assert_eq!(after(&sent, b"STARTTLS\r\n"), b"", "{}", show(&sent));
    })
    .await;
}

#[tokio::test]
async fn c12_garbage_after_starttls_220_in_the_same_write_aborts() {
    bounded(async {
        let (error, sent) =
            client_against_injection(Injection::SameWrite(b"\x00\xff\x16garbage\r\n")).await;
        assert!(is_injection_error(&error), "{error:?}");
        assert_eq!(after(&sent, b"STARTTLS\r\n"), b"", "{}", show(&sent));
    })
    .await;
}

/// The client's error after bytes injected in a write after the 220: the
/// injection error if it read them with the 220, else a handshake failure
/// (rustls refuses them as records); never success.
fn assert_refused_later_injection(error: &Error) {
    assert!(
        is_injection_error(error) || matches!(error, Error::Connection(IoError::Tls(_))),
        "{error:?}"
    );
}

// Same level, toy machine: postwire-io `client_feeds_later_plaintext_to_rustls_only_c11`.
#[tokio::test]
async fn c11_421_in_a_later_write_before_or_during_the_handshake_fails_it() {
    bounded(async {
        let (error, sent) = client_against_injection(Injection::AfterHello(b"421 bye\r\n")).await;
        // Once the ClientHello is out, the bytes can only be TLS records:
        // rustls refuses them.
        assert!(
            matches!(error, Error::Connection(IoError::Tls(_))),
            "{error:?}"
        );
        assert_nothing_but_tls_after_starttls(&sent);
        let (error, sent) = client_against_injection(Injection::NextWrite(b"421 bye\r\n")).await;
        assert_refused_later_injection(&error);
        assert_nothing_but_tls_after_starttls(&sent);
    })
    .await;
}

#[tokio::test]
async fn c12_garbage_in_a_later_write_before_or_during_the_handshake_fails_it() {
    bounded(async {
        let garbage: &'static [u8] = b"\x00\xffgarbage 250 AUTH LOGIN\r\n";
        let (error, sent) = client_against_injection(Injection::AfterHello(garbage)).await;
        assert!(
            matches!(error, Error::Connection(IoError::Tls(_))),
            "{error:?}"
        );
        assert_nothing_but_tls_after_starttls(&sent);
        let (error, sent) = client_against_injection(Injection::NextWrite(garbage)).await;
        assert_refused_later_injection(&error);
        assert_nothing_but_tls_after_starttls(&sent);
    })
    .await;
}

/// Our client (with credentials) against our server presenting `cert`;
/// the client's result and the server's handler calls.
async fn client_against_cert(
    cert: ServerCert,
    mode: TlsMode,
    client: TlsConfig,
) -> (Result<(), Error>, Vec<String>) {
    let served = spawn_serve(server_options(Some((cert, mode)))).await;
    let tls = match mode {
        TlsMode::StartTls => Tls::StartTls(client),
        TlsMode::Implicit => Tls::Implicit(client),
    };
    let result = SmtpClient::connect(tcp(served.addr).await, client_options(tls, true)).await;
    let result = match result {
        Ok(mut client) => {
            assert!(client.is_authenticated());
            client.quit().await.unwrap();
            Ok(())
        }
        Err(error) => Err(error),
    };
    let record = served.record.clone();
    let _ = served.end(Duration::from_secs(3)).await;
    (result, record.calls())
}

fn certificate_error(result: &Result<(), Error>) -> &CertificateError {
    match result {
        Err(Error::Connection(IoError::Tls(rustls::Error::InvalidCertificate(e)))) => e,
        other => panic!("expected a certificate error, got {other:?}"),
    }
}

// Same level, toy machine: postwire-io `self_signed_certificate_is_refused_c13`,
// `unknown_root_is_refused_c13`, `wrong_host_name_is_refused_c13`,
// `expired_certificate_is_refused_c13`; through SmtpClient (wrong name only):
// client_session.rs `certificate_for_another_name_fails_the_handshake_security_c13`.
#[tokio::test]
async fn c13_bad_certificates_fail_the_handshake_before_auth_starttls_and_implicit_rfc6125() {
    bounded(async {
        type Expect = fn(&CertificateError) -> bool;
        let cases: [(ServerCert, Expect); 4] = [
            (ServerCert::SelfSigned, |e| {
                matches!(e, CertificateError::UnknownIssuer)
            }),
            (ServerCert::UnknownIssuer, |e| {
                matches!(e, CertificateError::UnknownIssuer)
            }),
            (ServerCert::WrongHost, |e| {
                matches!(
                    e,
                    CertificateError::NotValidForName
                        | CertificateError::NotValidForNameContext { .. }
                )
            }),
            (ServerCert::Expired, |e| {
                matches!(
                    e,
                    CertificateError::Expired | CertificateError::ExpiredContext { .. }
                )
            }),
        ];
        for mode in [TlsMode::StartTls, TlsMode::Implicit] {
            for (cert, expected) in cases {
                let (result, calls) = client_against_cert(cert, mode, client_tls()).await;
                let error = certificate_error(&result);
                assert!(expected(error), "{cert:?} {mode:?}: {error:?}");
                // No credentials ever reached the server.
                assert!(
                    calls.iter().all(|c| !c.starts_with("auth")),
                    "{cert:?} {mode:?}: {calls:?}"
                );
            }
            // The control: the valid certificate is accepted and AUTH runs
            // inside TLS.
            let (result, calls) = client_against_cert(ServerCert::Valid, mode, client_tls()).await;
            assert!(result.is_ok(), "{mode:?}: {result:?}");
            assert!(
                calls.contains(&"auth PLAIN alice tls=true".to_owned()),
                "{calls:?}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn c13_self_signed_certificate_is_accepted_only_when_the_configuration_trusts_it() {
    bounded(async {
        // Per configuration: the same self-signed certificate refused
        // above verifies with a client configuration that trusts it.
        let pki = TestPki::shared();
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(pki.server_cert_der(ServerCert::SelfSigned))
            .unwrap();
        let config =
            rustls::ClientConfig::builder_with_provider(postwire_testkit::crypto_provider())
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots)
                .with_no_client_auth();
        let trusting = TlsConfig::new(Arc::new(config), localhost());
        let (result, calls) =
            client_against_cert(ServerCert::SelfSigned, TlsMode::StartTls, trusting).await;
        assert!(result.is_ok(), "{result:?}");
        assert!(
            calls.contains(&"auth PLAIN alice tls=true".to_owned()),
            "{calls:?}"
        );
    })
    .await;
}

/// Greeting and EHLO of a raw client against our STARTTLS server; checks
/// that STARTTLS is offered and AUTH is not.
async fn raw_open(wire: &mut Wire) {
    assert!(wire.reply().await.starts_with("220 mx.test"));
    assert!(wire.send(b"EHLO x.test\r\n").await);
    let ehlo = wire.reply().await;
    assert!(ehlo.contains("STARTTLS"), "{ehlo}");
    assert!(!ehlo.contains("AUTH"), "{ehlo}");
}

fn starttls_server() -> postwire_smtp::server::ServerOptions {
    server_options(Some((ServerCert::Valid, TlsMode::StartTls)))
}

// Through the proto client: server_security.rs
// `rset_injected_with_starttls_never_reaches_the_handler_s01_rfc3207_4_2`;
// toy machine: postwire-io `server_never_runs_command_injected_after_starttls_same_segment_s01`.
#[tokio::test]
async fn s01_rset_injected_with_starttls_in_one_segment_never_runs_cve_2011_0411() {
    bounded(async {
        let served = spawn_serve(starttls_server()).await;
        let mut wire = Wire::connect(served.addr).await;
        raw_open(&mut wire).await;
        assert!(wire.send(b"STARTTLS\r\nRSET\r\n").await);
        let go = wire.reply().await;
        assert!(go.starts_with("220 2.0.0"), "{go}");
        wire.handshake(None).await.unwrap();
        // Inside TLS, the first reply answers our EHLO: nothing answered
        // the injected RSET.
        wire.tls_send(b"EHLO y.test\r\n").await.unwrap();
        let ehlo = wire.tls_reply().await.unwrap();
        assert!(ehlo.starts_with("250-mx.test"), "{ehlo}");
        assert!(ehlo.contains("AUTH PLAIN LOGIN"), "{ehlo}");
        // The control: an RSET sent inside TLS does reach the hook.
        wire.tls_send(b"RSET\r\nQUIT\r\n").await.unwrap();
        let rset = wire.tls_reply().await.unwrap();
        assert!(rset.starts_with("250 2.0.0"), "{rset}");
        let bye = wire.tls_reply().await.unwrap();
        assert!(bye.starts_with("221 2.0.0"), "{bye}");
        assert_eq!(wire.tls_read_to_end().await, b"", "nothing else inside TLS");
        let record = served.record.clone();
        served.end(Duration::from_secs(3)).await.unwrap();
        assert_eq!(
            record.calls(),
            ["helo x.test tls=false", "helo y.test tls=true", "rset"],
            "exactly one RSET, the one sent inside TLS"
        );
    })
    .await;
}

/// The server's ending after an attack during its handshake: the
/// injection error or a TLS failure.
fn is_handshake_refusal(result: &Result<postwire_smtp::server::Session, ServeError>) -> bool {
    matches!(
        result,
        Err(ServeError::Connection(
            IoError::Tls(_)
                | IoError::PlaintextBeforeTls
                | IoError::HandshakeEof
                | IoError::Protocol(ServerProtoError::PlaintextAfterStartTls)
        ))
    )
}

// Same level: server_security.rs
// `rset_injected_before_the_client_hello_fails_the_handshake_s02` (without a
// ClientHello); toy machine: postwire-io `server_never_runs_command_injected_in_second_segment_s02`.
#[tokio::test]
async fn s02_rset_injected_in_a_second_segment_before_the_client_hello_never_runs() {
    bounded(async {
        let served = spawn_serve(starttls_server()).await;
        let mut wire = Wire::connect(served.addr).await;
        raw_open(&mut wire).await;
        assert!(wire.send(b"STARTTLS\r\n").await);
        let go = wire.reply().await;
        assert!(go.starts_with("220 2.0.0"), "{go}");
        let before = wire.log.len();
        assert!(wire.send(b"RSET\r\n").await);
        tokio::time::sleep(Duration::from_millis(20)).await;
        let handshake = wire.handshake(None).await;
        assert!(handshake.is_err(), "the handshake cannot succeed");
        wire.read_to_eof(Duration::from_secs(2)).await;
        let after_go = &wire.log[before..];
        assert!(
            after_go.is_empty() || after_go[0] == 0x15 || after_go[0] == 0x16,
            "only TLS records after the 220: {}",
            show(after_go)
        );
        assert!(!contains(after_go, b"250"), "{}", show(after_go));
        let record = served.record.clone();
        let result = served.end(Duration::from_secs(3)).await;
        assert!(is_handshake_refusal(&result), "{result:?}");
        assert_eq!(record.calls(), ["helo x.test tls=false"]);
    })
    .await;
}

#[tokio::test]
async fn s07_server_writes_nothing_between_its_starttls_220_and_the_handshake() {
    bounded(async {
        let served = spawn_serve(starttls_server()).await;
        let mut wire = Wire::connect(served.addr).await;
        raw_open(&mut wire).await;
        let before = wire.log.len();
        // A pipelined command after STARTTLS that would get a reply if the
        // server executed it.
        assert!(wire.send(b"STARTTLS\r\nNOOP\r\n").await);
        let window = wire.read_for(Duration::from_millis(300)).await;
        let go_end = window
            .windows(2)
            .position(|w| w == b"\r\n")
            .map(|p| p + 2)
            .unwrap_or_else(|| panic!("no complete line: {}", show(&window)));
        assert!(window.starts_with(b"220 2.0.0 "), "{}", show(&window));
        assert_eq!(
            &window[go_end..],
            b"",
            "nothing after the 220 before our ClientHello"
        );
        wire.discard_pending();
        wire.handshake(None).await.unwrap();
        // The raw stream after `220 ...\r\n` starts with a TLS handshake
        // record (the ServerHello).
        let stream = &wire.log[before + go_end..];
        assert_eq!(
            stream.first(),
            Some(&0x16),
            "{:?}",
            &stream[..stream.len().min(16)]
        );
        wire.tls_send(b"EHLO y.test\r\n").await.unwrap();
        let ehlo = wire.tls_reply().await.unwrap();
        assert!(ehlo.starts_with("250-mx.test"), "{ehlo}");
        wire.tls_send(b"QUIT\r\n").await.unwrap();
        assert!(wire.tls_reply().await.unwrap().starts_with("221 "));
        served.end(Duration::from_secs(3)).await.unwrap();
    })
    .await;
}

// Same level, toy machine: postwire-io `plaintext_command_on_implicit_tls_port_fails_cleanly_s09`.
#[tokio::test]
async fn s09_plaintext_ehlo_to_an_implicit_tls_server_ends_cleanly() {
    bounded(async {
        let served =
            spawn_serve(server_options(Some((ServerCert::Valid, TlsMode::Implicit)))).await;
        let mut wire = Wire::connect(served.addr).await;
        assert!(wire.send(b"EHLO x.test\r\n").await);
        let answer = wire.read_to_eof(Duration::from_secs(3)).await;
        assert!(wire.eof, "the server closed");
        assert!(
            answer.is_empty() || answer[0] == 0x15,
            "at most a TLS alert: {}",
            show(&answer)
        );
        let record = served.record.clone();
        let result = served.end(Duration::from_secs(1)).await;
        assert!(
            matches!(result, Err(ServeError::Connection(IoError::Tls(_)))),
            "{result:?}"
        );
        assert!(record.calls().is_empty());
    })
    .await;
}

// Same level, toy machine: postwire-io `tls_client_on_a_plaintext_port_fails_s09`.
#[tokio::test]
async fn s09_client_hello_to_a_plaintext_server_ends_cleanly() {
    bounded(async {
        let served = spawn_serve(server_options(None)).await;
        let mut wire = Wire::connect(served.addr).await;
        // A rustls client: it reads the 220 greeting as TLS and fails.
        let error = wire.handshake(None).await.expect_err("no TLS here");
        assert!(wire.log.starts_with(b"220 mx.test"), "{}", show(&wire.log));
        assert!(!error.is_empty());
        // Then it goes away, as a TLS client does.
        wire.shutdown().await;
        let rest = wire.read_to_eof(Duration::from_secs(3)).await;
        assert!(!contains(&rest, b"250"), "{}", show(&rest));
        let record = served.record.clone();
        let _ended = served.end(Duration::from_secs(1)).await;
        assert!(record.calls().is_empty(), "{:?}", record.calls());
    })
    .await;
}

// Same level, toy machine: postwire-io `one_byte_segments_still_complete_a_handshake_and_echo`.
#[tokio::test]
async fn s09_client_hello_in_one_byte_segments_to_a_starttls_server_completes() {
    bounded(async {
        let served = spawn_serve(starttls_server()).await;
        let mut wire = Wire::connect(served.addr).await;
        raw_open(&mut wire).await;
        assert!(wire.send(b"STARTTLS\r\n").await);
        assert!(wire.reply().await.starts_with("220 2.0.0"));
        wire.handshake(Some(Duration::from_millis(1)))
            .await
            .unwrap();
        wire.tls_send(b"EHLO y.test\r\nQUIT\r\n").await.unwrap();
        assert!(wire.tls_reply().await.unwrap().starts_with("250-mx.test"));
        assert!(wire.tls_reply().await.unwrap().starts_with("221 "));
        let session = served.end(Duration::from_secs(3)).await.unwrap();
        assert!(session.tls);
    })
    .await;
}

#[tokio::test]
async fn s09_truncated_client_hello_in_one_byte_segments_ends_cleanly() {
    bounded(async {
        let served = spawn_serve(starttls_server()).await;
        let mut wire = Wire::connect(served.addr).await;
        raw_open(&mut wire).await;
        assert!(wire.send(b"STARTTLS\r\n").await);
        assert!(wire.reply().await.starts_with("220 2.0.0"));
        let hello = wire.client_hello();
        wire.send_bytewise(&hello[..hello.len() / 2], Duration::from_millis(1))
            .await;
        wire.shutdown().await;
        let result = served.end(Duration::from_secs(3)).await;
        assert!(
            matches!(
                result,
                Err(ServeError::Connection(
                    IoError::HandshakeEof | IoError::Tls(_)
                ))
            ),
            "{result:?}"
        );
    })
    .await;
}

// Same level: server_security.rs
// `idle_client_gets_421_4_4_2_after_the_command_timeout_rfc5321_4_5_3_2_7`
// (an idle client; this one trickles bytes).
#[tokio::test]
async fn p8_slowloris_one_byte_per_100ms_gets_421_4_4_2_after_the_command_timeout() {
    bounded(async {
        let mut options = server_options(None);
        options.config.timeouts.command = Duration::from_millis(300);
        let served = spawn_serve(options).await;
        let mut wire = Wire::connect(served.addr).await;
        assert!(wire.reply().await.starts_with("220 "));
        let started = tokio::time::Instant::now();
        let line = b"EHLO x.test\r\n";
        let mut answer = Vec::new();
        for byte in line {
            if !wire.send(&[*byte]).await {
                break;
            }
            answer.extend(wire.read_for(Duration::from_millis(100)).await);
            if wire.eof || contains(&answer, b"\r\n") {
                break;
            }
        }
        answer.extend(wire.read_to_eof(Duration::from_secs(2)).await);
        let elapsed = started.elapsed();
        assert!(
            answer.starts_with(b"421 4.4.2 mx.test"),
            "{}",
            show(&answer)
        );
        assert!(!contains(&answer, b"250"), "{}", show(&answer));
        assert!(wire.eof, "closed after the 421");
        // The timer is not restarted by each byte: the 421 came long before
        // the trickled line could complete (13 bytes x 100 ms).
        assert!(elapsed >= Duration::from_millis(250), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(1200), "{elapsed:?}");
        let result = served.end(Duration::from_secs(1)).await;
        assert!(
            matches!(
                result,
                Err(ServeError::Connection(IoError::Protocol(
                    ServerProtoError::IdleTimeout
                )))
            ),
            "{result:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn p8_slowloris_client_hello_hits_the_handshake_timeout() {
    bounded(async {
        let mut options = starttls_server();
        options.io.handshake_timeout = Some(Duration::from_millis(500));
        let served = spawn_serve(options).await;
        let mut wire = Wire::connect(served.addr).await;
        raw_open(&mut wire).await;
        assert!(wire.send(b"STARTTLS\r\n").await);
        assert!(wire.reply().await.starts_with("220 2.0.0"));
        let started = tokio::time::Instant::now();
        let hello = wire.client_hello();
        for byte in &hello {
            if !wire.send(&[*byte]).await || served.task.is_finished() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let result = served.end(Duration::from_secs(2)).await;
        let elapsed = started.elapsed();
        assert!(
            matches!(
                result,
                Err(ServeError::Connection(IoError::HandshakeTimeout))
            ),
            "{result:?}"
        );
        assert!(elapsed >= Duration::from_millis(450), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
    })
    .await;
}

/// Our STARTTLS server after its `220 2.0.0`, fed `attack` (written by a
/// separate task, ignoring a server that stops reading) without the
/// attacker closing; how the server ended, within a bound.
async fn server_after_starttls_fed(
    attack: Vec<u8>,
    gap: Option<Duration>,
) -> Result<postwire_smtp::server::Session, ServeError> {
    let served = spawn_serve(starttls_server()).await;
    let mut wire = Wire::connect(served.addr).await;
    raw_open(&mut wire).await;
    assert!(wire.send(b"STARTTLS\r\n").await);
    assert!(wire.reply().await.starts_with("220 2.0.0"));
    let attacker = tokio::spawn(async move {
        match gap {
            Some(gap) => wire.send_bytewise(&attack, gap).await,
            None => wire.send(&attack).await,
        };
        // Hold the connection open: the server must end it by itself.
        wire.read_to_eof(Duration::from_secs(4)).await;
        wire
    });
    let record = served.record.clone();
    let result = served.end(Duration::from_secs(3)).await;
    assert_eq!(record.calls(), ["helo x.test tls=false"]);
    attacker.abort();
    result
}

// Same level, toy machine: postwire-io `close_notify_mid_handshake_ends_in_an_error_p9`
// (there the peer also closes; here it holds the connection open).
#[tokio::test]
async fn p9_close_notify_mid_handshake_ends_the_server_session() {
    bounded(async {
        let mut attack = client_hello();
        attack.extend_from_slice(&CLOSE_NOTIFY);
        let result = server_after_starttls_fed(attack, None).await;
        assert!(is_handshake_refusal(&result), "{result:?}");
    })
    .await;
}

// Same level, toy machine: postwire-io `megabyte_of_garbage_is_refused_after_one_buffer_p9`.
#[tokio::test]
async fn p9_megabyte_of_garbage_after_starttls_ends_the_server_session() {
    bounded(async {
        let result = server_after_starttls_fed(garbage_megabyte(), None).await;
        assert!(
            matches!(result, Err(ServeError::Connection(IoError::Tls(_)))),
            "{result:?}"
        );
    })
    .await;
}

// Same level, toy machine: postwire-io `record_flood_ends_in_an_error_with_bounded_reading_p9`.
#[tokio::test]
async fn p9_megabyte_flood_of_handshake_records_ends_the_server_session() {
    bounded(async {
        let result = server_after_starttls_fed(record_flood(), None).await;
        assert!(
            matches!(result, Err(ServeError::Connection(IoError::Tls(_)))),
            "{result:?}"
        );
    })
    .await;
}

// Same level, toy machine: postwire-io `one_byte_segments_of_garbage_fail_cleanly_p9`.
#[tokio::test]
async fn p9_garbage_in_one_byte_segments_after_starttls_ends_the_server_session() {
    bounded(async {
        let garbage = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".to_vec();
        let result = server_after_starttls_fed(garbage, Some(Duration::from_millis(1))).await;
        assert!(
            matches!(result, Err(ServeError::Connection(IoError::Tls(_)))),
            "{result:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn p9_megabyte_of_garbage_to_an_implicit_tls_server_ends_the_session() {
    bounded(async {
        let served =
            spawn_serve(server_options(Some((ServerCert::Valid, TlsMode::Implicit)))).await;
        let mut wire = Wire::connect(served.addr).await;
        let attacker = tokio::spawn(async move {
            wire.send(&garbage_megabyte()).await;
            wire.read_to_eof(Duration::from_secs(4)).await;
        });
        let result = served.end(Duration::from_secs(3)).await;
        attacker.abort();
        assert!(
            matches!(result, Err(ServeError::Connection(IoError::Tls(_)))),
            "{result:?}"
        );
    })
    .await;
}

/// Our client (STARTTLS required, handshake timeout 1 s) against a fake
/// server that answers the ClientHello with `answer` and holds the
/// connection open; the client's error and how long it took.
async fn client_against_handshake_answer(answer: Vec<u8>) -> (Error, Duration) {
    let (addr, _fake) = fake_server(move |mut wire| async move {
        fake_open(&mut wire, EHLO_WITH_STARTTLS).await;
        assert_eq!(wire.line().await, b"STARTTLS\r\n");
        assert!(wire.send(b"220 2.0.0 Ready\r\n").await);
        let hello = wire.peek_at_least(5).await;
        assert_eq!(hello.first(), Some(&0x16));
        wire.send(&answer).await;
        wire
    })
    .await;
    let started = tokio::time::Instant::now();
    let options =
        client_options(Tls::StartTls(client_tls()), true).handshake_timeout(Duration::from_secs(1));
    let error = SmtpClient::connect(tcp(addr).await, options)
        .await
        .expect_err("the handshake cannot succeed");
    (error, started.elapsed())
}

// Same level, toy machine: postwire-io `client_refuses_close_notify_instead_of_server_hello_p9`.
#[tokio::test]
async fn p9_close_notify_instead_of_server_hello_fails_the_client_within_the_handshake_timeout() {
    bounded(async {
        let (error, elapsed) = client_against_handshake_answer(CLOSE_NOTIFY.to_vec()).await;
        assert!(
            matches!(
                error,
                Error::Connection(
                    IoError::Tls(_) | IoError::HandshakeEof | IoError::HandshakeTimeout
                )
            ),
            "{error:?}"
        );
        assert!(elapsed < Duration::from_millis(1800), "{elapsed:?}");
    })
    .await;
}

#[tokio::test]
async fn p9_megabyte_of_garbage_instead_of_server_hello_fails_the_client() {
    bounded(async {
        for answer in [garbage_megabyte(), record_flood()] {
            let (error, _) = client_against_handshake_answer(answer).await;
            assert!(
                matches!(error, Error::Connection(IoError::Tls(_))),
                "{error:?}"
            );
        }
    })
    .await;
}

/// A fake server that offers AUTH and, when `starttls`, STARTTLS, answers
/// AUTH with 235 and everything else with 250 until QUIT or the end.
async fn fake_auth_offering_server(
    starttls: bool,
) -> (std::net::SocketAddr, tokio::task::JoinHandle<Vec<u8>>) {
    fake_server(move |mut wire| async move {
        let capabilities: &[u8] = if starttls {
            EHLO_WITH_STARTTLS
        } else {
            b"250-fake.test\r\n250-PIPELINING\r\n250 AUTH PLAIN LOGIN\r\n"
        };
        fake_open(&mut wire, capabilities).await;
        loop {
            let line = wire.line().await;
            if line.is_empty() {
                break;
            }
            let answer: &[u8] = if line.starts_with(b"AUTH") {
                b"235 2.7.0 Authentication successful\r\n"
            } else if line.starts_with(b"QUIT") {
                b"221 2.0.0 bye\r\n"
            } else {
                b"250 2.0.0 OK\r\n"
            };
            if !wire.send(answer).await || line.starts_with(b"QUIT") {
                break;
            }
        }
        wire
    })
    .await
}

// Same level: client_session.rs `no_plaintext_auth_without_permission_security_a1`
// (checks the error; this one records every byte the client sent). The
// server is on 127.0.0.1: loopback gets no exemption.
#[tokio::test]
async fn a1_client_never_sends_auth_without_tls_unless_allowed() {
    bounded(async {
        for tls in [Tls::None, Tls::StartTlsOpportunistic(client_tls())] {
            let (addr, fake) = fake_auth_offering_server(false).await;
            let options = client_options(tls.clone(), true);
            assert!(!options.allow_plaintext_auth, "the default");
            let error = SmtpClient::connect(tcp(addr).await, options)
                .await
                .expect_err("no AUTH without TLS");
            assert!(matches!(error, Error::Usage(_)), "{tls:?}: {error:?}");
            let sent = fake.await.unwrap();
            assert!(sent.starts_with(b"EHLO "), "{}", show(&sent));
            assert!(!contains(&sent, b"AUTH"), "{tls:?}: {}", show(&sent));
            assert!(!contains(&sent, b"YWxpY2U"), "no base64 of the user");
        }
        // The control: the recorder does see AUTH when the application
        // allowed plaintext AUTH explicitly.
        let (addr, fake) = fake_auth_offering_server(false).await;
        let options = client_options(Tls::None, true).allow_plaintext_auth(true);
        let client = SmtpClient::connect(tcp(addr).await, options).await.unwrap();
        assert!(client.is_authenticated());
        drop(client);
        let sent = fake.await.unwrap();
        assert!(contains(&sent, b"AUTH "), "{}", show(&sent));
    })
    .await;
}

// Same level: server_policy.rs `auth_is_not_offered_before_tls_rfc4954_4`.
#[tokio::test]
async fn a1_server_with_default_options_never_offers_or_runs_auth_before_tls_rfc4954_4() {
    bounded(async {
        for tls in [
            Some((ServerCert::Valid, TlsMode::StartTls)),
            None, // no TLS configured at all: still no plaintext AUTH
        ] {
            let options = server_options(tls);
            assert!(!options.config.allow_plaintext_auth, "the default");
            let served = spawn_serve(options).await;
            let mut wire = Wire::connect(served.addr).await;
            assert!(wire.reply().await.starts_with("220 "));
            assert!(wire.send(b"EHLO x.test\r\n").await);
            let ehlo = wire.reply().await;
            assert!(!ehlo.contains("AUTH"), "{ehlo}");
            assert!(wire.send(AUTH_PLAIN_LINE).await);
            let refused = wire.reply().await;
            assert!(refused.starts_with("530 5.7.0"), "{refused}");
            if tls.is_some() {
                // The control: inside TLS it is offered and runs.
                assert!(wire.send(b"STARTTLS\r\n").await);
                assert!(wire.reply().await.starts_with("220 2.0.0"));
                wire.handshake(None).await.unwrap();
                wire.tls_send(b"EHLO y.test\r\n").await.unwrap();
                let ehlo = wire.tls_reply().await.unwrap();
                assert!(ehlo.contains("AUTH PLAIN LOGIN"), "{ehlo}");
                wire.tls_send(AUTH_PLAIN_LINE).await.unwrap();
                let ok = wire.tls_reply().await.unwrap();
                assert!(ok.starts_with("235 2.7.0"), "{ok}");
                wire.tls_send(b"QUIT\r\n").await.unwrap();
                assert!(wire.tls_reply().await.unwrap().starts_with("221 "));
            } else {
                assert!(wire.send(b"QUIT\r\n").await);
                assert!(wire.reply().await.starts_with("221 "));
            }
            let record = served.record.clone();
            served.end(Duration::from_secs(3)).await.unwrap();
            let calls = record.calls();
            let auths: Vec<&String> = calls.iter().filter(|c| c.starts_with("auth")).collect();
            if tls.is_some() {
                assert_eq!(auths, ["auth PLAIN alice tls=true"], "{calls:?}");
            } else {
                assert!(auths.is_empty(), "{calls:?}");
            }
        }
    })
    .await;
}

/// The environment variable that gates [`a8_key_log_child_process`].
const A8_CHILD: &str = "POSTWIRE_A8_KEYLOG_CHILD";

/// One full STARTTLS session: our client with `config` and credentials,
/// one message, QUIT, against our server.
async fn full_session(config: rustls::ClientConfig) {
    let served = spawn_serve(starttls_server()).await;
    let tls = Tls::StartTls(TlsConfig::new(Arc::new(config), localhost()));
    let mut client = SmtpClient::connect(tcp(served.addr).await, client_options(tls, true))
        .await
        .unwrap();
    assert!(client.is_authenticated());
    let envelope = postwire_smtp::client::Envelope::parse("alice@example.org")
        .unwrap()
        .to("bob@example.org".parse().unwrap());
    client
        .send(envelope, b"Subject: a8\r\n\r\nhello\r\n")
        .await
        .unwrap();
    client.quit().await.unwrap();
    let record = served.record.clone();
    served.end(Duration::from_secs(3)).await.unwrap();
    assert!(record.calls().iter().any(|c| c.starts_with("finish")));
}

/// The body of the A8 test, run in a child process of the test binary
/// with `SSLKEYLOGFILE` set (setting it in this process would need
/// `unsafe` and would race the other tests). Without the gate variable it
/// does nothing.
#[tokio::test]
async fn a8_key_log_child_process() {
    if std::env::var_os(A8_CHILD).is_none() {
        return;
    }
    let path = std::path::PathBuf::from(std::env::var_os("SSLKEYLOGFILE").unwrap());
    bounded(async {
        assert!(!path.exists(), "{path:?} exists before the test");
        // The application's configuration without key logging: the
        // library adds none, whatever the environment says.
        full_session(TestPki::shared().client_config()).await;
        assert!(
            !path.exists(),
            "key log written without the application asking"
        );
        // The application turns it on: the file is written, so the check
        // above can fail.
        let mut config = TestPki::shared().client_config();
        config.key_log = Arc::new(rustls::KeyLogFile::new());
        full_session(config).await;
        let log = std::fs::read_to_string(&path).unwrap();
        assert!(log.contains("CLIENT_"), "{log}");
    })
    .await;
}

#[test]
fn a8_tls_key_logging_is_off_unless_the_application_turns_it_on() {
    // One parent test per process: the process id makes the name unique.
    let path = std::env::temp_dir().join(format!("postwire-a8-{}.keylog", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "a8_key_log_child_process",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("SSLKEYLOGFILE", &path)
        .env(A8_CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let written = std::fs::read_to_string(&path);
    let _ = std::fs::remove_file(&path);
    assert!(output.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("1 passed"),
        "the child ran the test: {stdout}"
    );
    // Written only by the session whose configuration asked for it.
    let written = written.expect("the application's key log file was written");
    assert!(written.contains("CLIENT_"), "{written}");
}
