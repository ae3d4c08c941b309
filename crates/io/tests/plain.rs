//! The driver on plaintext streams: echo, transcript, timers, close,
//! cancellation.

mod common;

use std::borrow::Cow;
use std::time::Duration;

use common::*;
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use postwire_io::transcript::MemoryTranscript;
use postwire_io::{Connection, Direction, Error, Redactor};
use postwire_testkit::duplex;
use tokio_util::compat::TokioAsyncReadCompatExt;

#[tokio::test]
async fn echo_over_in_memory_duplex() {
    let (a, b) = duplex(1024);
    let server = tokio::spawn(serve(Connection::new(b, LineMachine::server(), TokioClock)));
    let mut client = Connection::new(a, LineMachine::client(), TokioClock);
    client.protocol_mut().send(b"hello");
    client.protocol_mut().send(b"world");
    assert_eq!(event(&mut client).await, Ev::Line("hello".into()));
    assert_eq!(event(&mut client).await, Ev::Line("world".into()));
    client.protocol_mut().quit();
    assert_eq!(event(&mut client).await, Ev::Line("BYE".into()));
    assert_eq!(event(&mut client).await, Ev::Eof);
    assert!(client.next_event().await.unwrap().is_none());
    assert!(client.is_closed());
    assert!(!client.is_tls());
    let (executed, result) = server.await.unwrap();
    result.unwrap();
    assert_eq!(
        executed,
        vec![Ev::Line("hello".into()), Ev::Line("world".into())]
    );
}

#[tokio::test]
async fn echo_over_tcp_on_loopback() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    assert!(addr.ip().is_loopback());
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        serve(Connection::new(
            stream.compat(),
            LineMachine::server(),
            TokioClock,
        ))
        .await
    });
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut client = Connection::new(stream.compat(), LineMachine::client(), TokioClock);
    for i in 0..100 {
        client.protocol_mut().send(format!("line {i}").as_bytes());
    }
    for i in 0..100 {
        assert_eq!(
            line(&event(&mut client).await),
            format!("line {i}").as_bytes()
        );
    }
    client.protocol_mut().quit();
    assert_eq!(event(&mut client).await, Ev::Line("BYE".into()));
    let (executed, result) = server.await.unwrap();
    result.unwrap();
    assert_eq!(executed.len(), 100);
}

#[tokio::test]
async fn starttls_without_a_tls_role_is_an_error() {
    let (a, b) = duplex(1024);
    let server = tokio::spawn(serve(Connection::new(b, LineMachine::server(), TokioClock)));
    let mut client = Connection::new(a, LineMachine::client(), TokioClock);
    client.protocol_mut().starttls();
    let err = client.next_event().await.unwrap_err();
    assert!(matches!(err, Error::TlsNotConfigured), "{err:?}");
    assert!(client.is_closed());
    // The server, also plain, fails the same way after its reply.
    let (_, result) = server.await.unwrap();
    assert!(matches!(result, Err(Error::TlsNotConfigured)));
}

/// Hides the argument of `SECRET` lines, both ways.
struct HideSecrets;

impl Redactor for HideSecrets {
    fn outgoing<'a>(&mut self, line: &'a [u8]) -> Option<Cow<'a, [u8]>> {
        self.incoming(line)
    }

    fn incoming<'a>(&mut self, line: &'a [u8]) -> Option<Cow<'a, [u8]>> {
        if line.starts_with(b"SECRET ") {
            Some(Cow::Owned(b"SECRET <redacted>".to_vec()))
        } else {
            Some(Cow::Borrowed(line))
        }
    }
}

#[tokio::test]
async fn transcript_records_every_line_in_order_redacted() {
    let (a, b) = duplex(1024);
    let server = tokio::spawn(serve(Connection::new(b, LineMachine::server(), TokioClock)));
    let mut client = Connection::new(a, LineMachine::client(), TokioClock);
    let transcript = MemoryTranscript::new();
    client.set_transcript(transcript.clone(), HideSecrets);
    client.protocol_mut().send(b"hello");
    event(&mut client).await;
    client.protocol_mut().send(b"SECRET hunter2");
    event(&mut client).await;
    client.protocol_mut().quit();
    event(&mut client).await;
    assert_eq!(
        transcript.to_text(),
        "C: hello\nS: hello\nC: SECRET <redacted>\nS: SECRET <redacted>\nC: QUIT\nS: BYE\n"
    );
    assert!(
        transcript
            .lines()
            .iter()
            .all(|(_, l)| !l.windows(7).any(|w| w == b"hunter2"))
    );
    assert_eq!(transcript.lines()[1].0, Direction::Incoming);
    server.await.unwrap().1.unwrap();
}

#[tokio::test(start_paused = true)]
async fn machine_timeout_fires_through_the_clock_rfc5321_4_5_3_2() {
    let (a, _silent_peer) = duplex(1024);
    let mut client = Connection::new(a, LineMachine::client(), TokioClock);
    let start = tokio::time::Instant::now();
    let deadline = start.into_std() + Duration::from_secs(300);
    client.protocol_mut().set_deadline(Some(deadline));
    client.protocol_mut().send(b"MAIL FROM:<a@example.org>");
    let err = client.next_event().await.unwrap_err();
    assert!(
        matches!(err, Error::Protocol(MachineError::Timeout)),
        "{err:?}"
    );
    assert!(start.elapsed() >= Duration::from_secs(300));
    assert!(start.elapsed() < Duration::from_secs(301));
    assert!(client.next_event().await.unwrap().is_none());
}

/// Arms the machine's deadline at 300 s, waits 100 s (no event, no
/// timeout), moves the deadline to `moved` seconds, and returns when the
/// machine timed out, in seconds from the start.
async fn timeout_after_moving_the_deadline(moved: u64) -> Duration {
    let (a, _silent_peer) = duplex(1024);
    let mut client = Connection::new(a, LineMachine::client(), TokioClock);
    let start = tokio::time::Instant::now();
    let at = |secs| Some(start.into_std() + Duration::from_secs(secs));
    client.protocol_mut().set_deadline(at(300));
    let waited = tokio::time::timeout(Duration::from_secs(100), client.next_event()).await;
    assert!(waited.is_err(), "no event and no timeout before 300 s");
    client.protocol_mut().set_deadline(at(moved));
    let err = client.next_event().await.unwrap_err();
    assert!(
        matches!(err, Error::Protocol(MachineError::Timeout)),
        "{err:?}"
    );
    start.elapsed()
}

/// The driver keeps a timer armed for an earlier deadline when the machine
/// moves its deadline later; that timer's early wake-up must re-arm for the
/// new deadline, not time the machine out.
#[tokio::test(start_paused = true)]
async fn deadline_moved_later_fires_at_the_new_deadline_only() {
    let fired = timeout_after_moving_the_deadline(600).await;
    assert!(fired >= Duration::from_secs(600), "{fired:?}");
    assert!(fired < Duration::from_secs(601), "{fired:?}");
}

#[tokio::test(start_paused = true)]
async fn deadline_moved_earlier_fires_at_the_new_deadline() {
    let fired = timeout_after_moving_the_deadline(200).await;
    assert!(fired >= Duration::from_secs(200), "{fired:?}");
    assert!(fired < Duration::from_secs(201), "{fired:?}");
}

#[tokio::test]
async fn peer_eof_reports_eof_then_none() {
    let (a, mut b) = duplex(1024);
    let mut client = Connection::new(a, LineMachine::client(), TokioClock);
    b.write_all(b"one\r\n").await.unwrap();
    drop(b);
    assert_eq!(event(&mut client).await, Ev::Line("one".into()));
    assert_eq!(event(&mut client).await, Ev::Eof);
    assert!(client.next_event().await.unwrap().is_none());
    assert!(client.next_event().await.unwrap().is_none());
}

#[tokio::test]
async fn close_writes_queued_output_then_closes_the_stream() {
    let (a, mut b) = duplex(1024);
    let mut client = Connection::new(a, LineMachine::client(), TokioClock);
    client.protocol_mut().send(b"last words");
    client.close().await.unwrap();
    assert!(client.is_closed());
    let mut got = Vec::new();
    b.read_to_end(&mut got).await.unwrap();
    assert_eq!(got, b"last words\r\n");
    assert!(client.next_event().await.unwrap().is_none());
    assert!(matches!(client.flush().await, Ok(())));
}

#[tokio::test]
async fn dropped_future_leaves_a_poisoned_but_consistent_connection() {
    let (a, mut b) = duplex(16);
    let mut client = Connection::new(a, LineMachine::client(), TokioClock);
    let long = vec![b'x'; 100_000];
    client.protocol_mut().send(&long);
    // One poll writes the first 16 bytes, then the future is dropped.
    let polled = futures_lite::future::poll_once(client.next_event()).await;
    assert!(polled.is_none());
    assert!(client.is_poisoned());
    assert!(client.buffered_output() > 0);
    let reader = tokio::spawn(async move {
        let mut got = vec![0u8; 100_002];
        b.read_exact(&mut got).await.unwrap();
        got
    });
    client.flush().await.unwrap();
    assert!(!client.is_poisoned());
    assert_eq!(client.buffered_output(), 0);
    let got = reader.await.unwrap();
    assert!(got[..100_000].iter().all(|&c| c == b'x'));
    assert_eq!(&got[100_000..], b"\r\n");
}

#[tokio::test]
async fn flush_keeps_reading_and_buffers_events() {
    let (a, mut b) = duplex(64);
    let mut client = Connection::new(a, LineMachine::client(), TokioClock);
    // The peer sends before it reads: flush must read meanwhile.
    let peer = tokio::spawn(async move {
        for i in 0..200 {
            b.write_all(format!("reply {i}\r\n").as_bytes())
                .await
                .unwrap();
        }
        let mut got = vec![0u8; 20_002];
        b.read_exact(&mut got).await.unwrap();
        b
    });
    client.protocol_mut().send(&[b'y'; 20_000]);
    client.flush().await.unwrap();
    let _b = peer.await.unwrap();
    for i in 0..200 {
        assert_eq!(
            line(&event(&mut client).await),
            format!("reply {i}").as_bytes()
        );
    }
}

#[tokio::test]
async fn flush_until_streams_a_large_payload_in_bounded_chunks() {
    let (a, mut b) = duplex(4096);
    let mut client = Connection::new(a, LineMachine::client(), TokioClock);
    let reader = tokio::spawn(async move {
        let mut got = Vec::new();
        b.read_to_end(&mut got).await.unwrap();
        got
    });
    let chunk = vec![b'c'; 32 * 1024 - 2];
    let mut peak = 0;
    for _ in 0..64 {
        client.protocol_mut().send(&chunk);
        client.flush_until(32 * 1024).await.unwrap();
        peak = peak.max(client.buffered_output());
    }
    assert!(peak <= 32 * 1024);
    client.close().await.unwrap();
    let got = reader.await.unwrap();
    assert_eq!(got.len(), 64 * 32 * 1024);
}

#[tokio::test]
async fn flush_after_close_with_new_output_is_closed_error() {
    let (a, _b) = duplex(1024);
    let mut client = Connection::new(a, LineMachine::client(), TokioClock);
    client.close().await.unwrap();
    client.protocol_mut().send(b"too late");
    assert!(matches!(client.flush().await, Err(Error::Closed)));
}

#[test]
fn connection_is_send() {
    fn assert_send<T: Send>() {}
    assert_send::<Connection<LineMachine, postwire_testkit::DuplexStream>>();
    assert_send::<Error<MachineError>>();
}

#[tokio::test]
async fn machine_error_comes_after_the_events_and_reply_it_queued() {
    let (a, mut b) = duplex(128 * 1024);
    let mut server = Connection::new(a, LineMachine::server(), TokioClock);
    // One good command, then a line over the machine's 64 KiB limit.
    let mut input = b"NOOP\r\n".to_vec();
    input.extend(std::iter::repeat_n(b'L', 70_000));
    let peer = tokio::spawn(async move {
        b.write_all(&input).await.unwrap();
        let mut got = Vec::new();
        b.read_to_end(&mut got).await.unwrap();
        got
    });
    assert_eq!(event(&mut server).await, Ev::Line("NOOP".into()));
    let err = server.next_event().await.unwrap_err();
    assert!(
        matches!(err, Error::Protocol(MachineError::TooLong)),
        "{err:?}"
    );
    assert!(server.is_closed());
    // The reply queued before the failure still went out, then the close.
    assert_eq!(peer.await.unwrap(), b"NOOP\r\n");
}

/// A sink that records every `poll_write` and, like tokio-util's Compat,
/// does not implement vectored writes (the default writes the first slice).
#[derive(Default)]
struct CountingSink {
    writes: Vec<Vec<u8>>,
}

impl futures_io::AsyncRead for CountingSink {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        _buf: &mut [u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::task::Poll::Pending
    }
}

impl futures_io::AsyncWrite for CountingSink {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.writes.push(buf.to_vec());
        std::task::Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_close(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn small_queued_pieces_leave_in_one_write_without_vectored_io() {
    // A pipelined batch queued as three transmits must reach the socket as
    // one segment, even through a stream whose vectored write only takes
    // the first slice (an extra segment costs a delayed ACK per message).
    let mut client = Connection::new(CountingSink::default(), LineMachine::client(), TokioClock);
    client.protocol_mut().send(b"MAIL FROM:<a@example.org>");
    client.protocol_mut().send(b"RCPT TO:<b@example.org>");
    client.protocol_mut().send(b"DATA");
    client.flush().await.unwrap();
    let writes = &client.get_ref().writes;
    assert_eq!(writes.len(), 1, "{writes:?}");
    assert_eq!(
        writes[0],
        b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n"
    );
}
