//! The server facade over real sockets: STARTTLS command injection, the
//! connection cap and the idle timeout (SECURITY.md S01, S02; RFC 5321).

mod server_support;

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_io::{AsyncRead, AsyncWrite};
use futures_lite::io::BufReader;
use futures_lite::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use postwire_smtp::server::{ConnectionLimit, ServeError, serve, serve_all};
use postwire_smtp_proto::client::Event;
use server_support::*;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::compat::{Compat, TokioAsyncReadCompatExt};

async fn listener() -> (TcpListener, std::net::SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// The test policy serving one connection on a loopback port: its
/// address, what it recorded, and the session's outcome.
async fn one_session(
    options: postwire_smtp::server::ServerOptions,
) -> (
    std::net::SocketAddr,
    Record,
    tokio::task::JoinHandle<Result<postwire_smtp::server::Session, ServeError>>,
) {
    let (listener, addr) = listener().await;
    let record = Record::default();
    let policy = Policy {
        record: record.clone(),
    };
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        serve(socket.compat(), &options, policy).await
    });
    (addr, record, server)
}

async fn connect(addr: std::net::SocketAddr) -> BufReader<Compat<TcpStream>> {
    BufReader::new(TcpStream::connect(addr).await.unwrap().compat())
}

async fn line<R: futures_lite::AsyncBufRead + Unpin>(reader: &mut R) -> String {
    let mut line = String::new();
    reader.read_line(&mut line).await.unwrap();
    line
}

/// Reads one whole reply (up to the line with a space after the code).
async fn reply<R: futures_lite::AsyncBufRead + Unpin>(reader: &mut R) -> String {
    let mut all = String::new();
    loop {
        let l = line(reader).await;
        assert!(!l.is_empty(), "eof inside a reply: {all:?}");
        all.push_str(&l);
        if l.as_bytes().get(3) == Some(&b' ') {
            return all;
        }
    }
}

/// Writes `STARTTLS\r\nRSET\r\n` in one write when the client writes its
/// STARTTLS command: the attacker's injected command (CVE-2011-0411).
struct InjectRset<IO> {
    inner: IO,
    injected: bool,
}

impl<IO: AsyncRead + Unpin> AsyncRead for InjectRset<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for InjectRset<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if !self.injected && buf == b"STARTTLS\r\n" {
            let evil = b"STARTTLS\r\nRSET\r\n";
            return match Pin::new(&mut self.inner).poll_write(cx, evil) {
                Poll::Ready(Ok(n)) => {
                    assert_eq!(n, evil.len(), "one segment");
                    self.injected = true;
                    Poll::Ready(Ok(buf.len()))
                }
                other => other,
            };
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

#[tokio::test]
async fn rset_injected_with_starttls_never_reaches_the_handler_s01_rfc3207_4_2() {
    let (addr, record, server) = one_session(options(true)).await;
    let socket = TcpStream::connect(addr).await.unwrap().compat();
    let wire = InjectRset {
        inner: socket,
        injected: false,
    };
    let mut client = TestClient::new(wire, client_config(true, false));
    client.open(true).await;
    assert!(client.conn.get_ref().injected);
    // Inside TLS the session works, and nothing answered the RSET: the
    // next reply the client reads is the one to its own NOOP.
    client.conn.protocol_mut().noop(now()).unwrap();
    let Event::Reply { reply, .. } = client.next().await else {
        panic!("no reply")
    };
    assert_eq!(reply.code().get(), 250);
    client.quit().await;
    server.await.unwrap().unwrap();
    let calls = record.calls();
    assert_eq!(
        calls,
        vec!["helo client.test", "helo client.test"],
        "{calls:?}"
    );
}

#[tokio::test]
async fn rset_handler_hook_sees_a_plain_rset_rfc5321_4_1_1_5() {
    // The control experiment for the injection tests below: an RSET that
    // is not injected does reach the handler.
    let (addr, record, server) = one_session(options(true)).await;
    let mut c = connect(addr).await;
    assert!(reply(&mut c).await.starts_with("220 "));
    c.get_mut()
        .write_all(b"EHLO x.test\r\nRSET\r\nQUIT\r\n")
        .await
        .unwrap();
    assert!(reply(&mut c).await.starts_with("250-mx.test"));
    assert!(reply(&mut c).await.starts_with("250 2.0.0"));
    assert!(reply(&mut c).await.starts_with("221 2.0.0"));
    server.await.unwrap().unwrap();
    assert_eq!(record.calls(), vec!["helo x.test", "rset"]);
}

/// `EHLO my_host` (an underscore: no domain, RFC 5321 §4.1.2) reaches
/// `Handler::helo_nonstandard`, which may refuse it as Postfix's
/// `reject_invalid_helo_hostname` does; an accepted one is kept in the
/// session for logs, never as a `ClientId`.
#[tokio::test]
async fn nonstandard_helo_names_reach_the_handler_rfc5321_4_1_1_1() {
    let (addr, record, server) = one_session(options(false)).await;
    let mut c = connect(addr).await;
    assert!(reply(&mut c).await.starts_with("220 "));
    c.get_mut().write_all(b"EHLO bad_host\r\n").await.unwrap();
    assert!(
        reply(&mut c)
            .await
            .starts_with("501 5.5.2 invalid hostname")
    );
    c.get_mut().write_all(b"EHLO my_host\r\n").await.unwrap();
    assert!(reply(&mut c).await.starts_with("250-mx.test"));
    c.get_mut().write_all(b"QUIT\r\n").await.unwrap();
    assert!(reply(&mut c).await.starts_with("221 "));
    let session = server.await.unwrap().unwrap();
    assert_eq!(session.helo, None);
    assert_eq!(session.helo_nonstandard.as_deref(), Some("my_host"));
    assert_eq!(session.protocol_name(), "ESMTP");
    assert_eq!(
        record.calls(),
        vec!["helo-nonstandard bad_host", "helo-nonstandard my_host"]
    );
}

/// A refused OAUTHBEARER token is explained before the `535` (RFC 7628
/// §3.2.2): `334` with the handler's JSON error, which the client
/// acknowledges with `AQ==` (0x01); a handler may also answer `535` at once.
#[tokio::test]
async fn refused_bearer_token_gets_the_json_error_first_rfc7628_3_2_2() {
    let mut options = options(false);
    options.config.extensions.auth = vec![postwire_smtp::server::Mechanism::OAuthBearer];
    options.config.allow_plaintext_auth = true;
    options.config.timeouts.auth_failure_delay = Duration::ZERO;
    let (addr, record, server) = one_session(options).await;
    let mut c = connect(addr).await;
    assert!(reply(&mut c).await.starts_with("220 "));
    c.get_mut().write_all(b"EHLO x.test\r\n").await.unwrap();
    assert!(reply(&mut c).await.contains("AUTH OAUTHBEARER"));
    // "n,a=bob@x.test,^Aauth=Bearer expired^A^A"
    c.get_mut()
        .write_all(b"AUTH OAUTHBEARER bixhPWJvYkB4LnRlc3QsAWF1dGg9QmVhcmVyIGV4cGlyZWQBAQ==\r\n")
        .await
        .unwrap();
    // {"status":"invalid_token","scope":"mail"}
    assert_eq!(
        reply(&mut c).await,
        "334 eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJtYWlsIn0=\r\n"
    );
    c.get_mut().write_all(b"AQ==\r\n").await.unwrap();
    assert!(reply(&mut c).await.starts_with("535 5.7.8"));
    // "n,a=nojson@x.test,^Aauth=Bearer expired^A^A": no explanation.
    c.get_mut()
        .write_all(b"AUTH OAUTHBEARER bixhPW5vanNvbkB4LnRlc3QsAWF1dGg9QmVhcmVyIGV4cGlyZWQBAQ==\r\n")
        .await
        .unwrap();
    assert!(reply(&mut c).await.starts_with("535 5.7.8"));
    c.get_mut().write_all(b"QUIT\r\n").await.unwrap();
    assert!(reply(&mut c).await.starts_with("221 "));
    let session = server.await.unwrap().unwrap();
    assert_eq!(session.authenticated, None);
    assert_eq!(
        record.calls(),
        vec![
            "helo x.test",
            "auth OAUTHBEARER bob@x.test tls=false",
            "token-error bob@x.test",
            "auth OAUTHBEARER nojson@x.test tls=false",
            "token-error nojson@x.test",
        ]
    );
}

#[tokio::test]
async fn rset_injected_before_the_client_hello_fails_the_handshake_s02() {
    let (addr, record, server) = one_session(options(true)).await;
    let mut c = connect(addr).await;
    assert!(reply(&mut c).await.starts_with("220 "));
    c.get_mut().write_all(b"EHLO x.test\r\n").await.unwrap();
    assert!(reply(&mut c).await.contains("STARTTLS"));
    c.get_mut().write_all(b"STARTTLS\r\n").await.unwrap();
    assert!(reply(&mut c).await.starts_with("220 2.0.0"));
    c.get_mut().write_all(b"RSET\r\n").await.unwrap();
    // The server never answers in plaintext again and closes.
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), c.read_to_end(&mut rest)).await;
    assert!(!String::from_utf8_lossy(&rest).contains("250"), "{rest:?}");
    let result = server.await.unwrap();
    assert!(
        matches!(result, Err(ServeError::Connection(_))),
        "{result:?}"
    );
    assert_eq!(record.calls(), vec!["helo x.test"]);
}

#[tokio::test]
async fn connections_over_the_cap_get_421_4_3_2_rfc5321_3_8() {
    let (listener, addr) = listener().await;
    let incoming = futures_lite::stream::unfold(listener, |listener| async move {
        let accepted = listener.accept().await.map(|(socket, _)| socket.compat());
        Some((accepted, listener))
    });
    let limit = ConnectionLimit::new(1);
    let record = Record::default();
    let make = {
        let record = record.clone();
        move |_: &Compat<TcpStream>| Policy {
            record: record.clone(),
        }
    };
    let options = Arc::new(options(false));
    tokio::spawn(serve_all(
        Box::pin(incoming),
        limit.clone(),
        options,
        make,
        |task| {
            tokio::spawn(task);
        },
    ));

    let mut first = connect(addr).await;
    assert!(reply(&mut first).await.starts_with("220 mx.test ESMTP"));
    assert_eq!(limit.active(), 1);

    let mut second = connect(addr).await;
    let busy = reply(&mut second).await;
    assert!(
        busy.starts_with("421 4.3.2 mx.test Too many connections"),
        "{busy}"
    );
    let mut rest = Vec::new();
    second.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty(), "closed after the 421");

    first.get_mut().write_all(b"QUIT\r\n").await.unwrap();
    assert!(reply(&mut first).await.starts_with("221 "));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while limit.active() > 0 {
        assert!(tokio::time::Instant::now() < deadline, "slot not freed");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut third = connect(addr).await;
    assert!(reply(&mut third).await.starts_with("220 "));
}

#[tokio::test]
async fn idle_client_gets_421_4_4_2_after_the_command_timeout_rfc5321_4_5_3_2_7() {
    let (listener, addr) = listener().await;
    let mut options = options(false);
    options.config.timeouts.command = Duration::from_millis(300);
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        serve(
            socket.compat(),
            &options,
            Policy {
                record: Record::default(),
            },
        )
        .await
    });
    let mut c = connect(addr).await;
    assert!(reply(&mut c).await.starts_with("220 "));
    c.get_mut().write_all(b"EHLO x.test\r\n").await.unwrap();
    assert!(reply(&mut c).await.starts_with("250-"));
    let started = tokio::time::Instant::now();
    let timeout = reply(&mut c).await;
    assert!(timeout.starts_with("421 4.4.2 mx.test"), "{timeout}");
    assert!(started.elapsed() >= Duration::from_millis(250));
    let mut rest = Vec::new();
    c.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty());
    let result = server.await.unwrap();
    assert!(
        matches!(
            result,
            Err(ServeError::Connection(postwire_io::Error::Protocol(
                postwire_smtp_proto::server::Error::IdleTimeout
            )))
        ),
        "{result:?}"
    );
}
