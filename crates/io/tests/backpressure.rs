//! Large data both ways at once over small buffers: no deadlock, bounded
//! reactive output.

mod common;

use common::*;
use postwire_io::{Config, Connection, READ_BUFFER_SIZE};
use postwire_testkit::{DuplexStream, ServerCert, duplex};

const TEN_MB: usize = 160 * CHUNK;

/// Drives a Bulk connection until it received everything, then flushes
/// what it still owes the other side. Returns the connection alive.
async fn bulk(mut conn: Connection<Bulk, DuplexStream>) -> (u64, Connection<Bulk, DuplexStream>) {
    loop {
        match conn.next_event().await.unwrap() {
            Some(Ev::Done(sum)) => {
                conn.flush().await.unwrap();
                return (sum, conn);
            }
            Some(_) => {}
            None => panic!("closed early"),
        }
    }
}

#[tokio::test]
async fn ten_megabytes_both_ways_at_once_over_a_4k_pipe() {
    let (a, b) = duplex(4096);
    let left = Connection::new(a, Bulk::new(TEN_MB, TEN_MB as u64), TokioClock);
    let right = Connection::new(b, Bulk::new(TEN_MB, TEN_MB as u64), TokioClock);
    let ((l, _lc), (r, _rc)) = tokio::join!(bulk(left), bulk(right));
    let expected = Bulk::expected_checksum(TEN_MB);
    assert_eq!(l, expected);
    assert_eq!(r, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_megabytes_both_ways_at_once_inside_tls() {
    let (a, b) = duplex(4096);
    let left = Connection::new_implicit_tls(
        a,
        Bulk::new(TEN_MB, TEN_MB as u64),
        TokioClock,
        client_role(),
    )
    .unwrap();
    let right = Connection::new_implicit_tls(
        b,
        Bulk::new(TEN_MB, TEN_MB as u64),
        TokioClock,
        server_role(ServerCert::Valid),
    )
    .unwrap();
    let right = tokio::spawn(bulk(right));
    let (l, left) = bulk(left).await;
    let (r, right) = right.await.unwrap();
    let expected = Bulk::expected_checksum(TEN_MB);
    assert_eq!(l, expected);
    assert_eq!(r, expected);
    assert!(left.is_tls() && right.is_tls());
    // Memory stayed bounded: the TLS layer held at most its limit.
    assert!(left.stats().bytes_written > TEN_MB as u64);
}

#[tokio::test]
async fn echo_of_ten_megabytes_queued_at_once_does_not_deadlock() {
    let (a, b) = duplex(4096);
    let mut config = Config::default();
    config.output_backlog_limit = 64 * 1024;
    let limit = config.output_backlog_limit;
    let server = Connection::new(b, LineMachine::server(), TokioClock).with_config(config);
    let server = tokio::spawn(async move {
        let mut server = server;
        let mut lines = 0usize;
        while let Some(ev) = server.next_event().await.unwrap() {
            if matches!(ev, Ev::Line(_)) {
                lines += 1;
            }
        }
        (lines, server.stats())
    });
    let mut client = Connection::new(a, LineMachine::client(), TokioClock);
    let body = vec![b'z'; 998];
    let count = TEN_MB / 1000;
    // The client queues all of it at once: its own output does not stop
    // it from reading the echoes, so neither side deadlocks.
    for _ in 0..count {
        client.protocol_mut().send(&body);
    }
    client.protocol_mut().quit();
    let mut echoed = 0usize;
    loop {
        match event(&mut client).await {
            Ev::Line(l) if &l[..] == b"BYE" => break,
            Ev::Line(l) => {
                assert_eq!(l.len(), 998);
                echoed += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(echoed, count);
    drop(client);
    let (lines, stats) = server.await.unwrap();
    assert_eq!(lines, count);
    // The server stopped reading while its replies were backed up: at most
    // the limit plus the replies to one read buffer.
    assert!(
        stats.peak_reactive_backlog <= limit + READ_BUFFER_SIZE + 1000,
        "{stats:?}"
    );
}

#[tokio::test]
async fn peer_that_never_reads_cannot_grow_the_reply_backlog() {
    let (mut attacker, b) = duplex(4096);
    let mut config = Config::default();
    config.output_backlog_limit = 64 * 1024;
    let limit = config.output_backlog_limit;
    let mut server = Connection::new(b, LineMachine::server(), TokioClock).with_config(config);
    let flood = tokio::spawn(async move {
        use futures_lite::AsyncWriteExt;
        let line = [b"PIPELINED ".as_slice(), &[b'q'; 988], b"\r\n"].concat();
        let mut sent = 0usize;
        for _ in 0..10_000 {
            if attacker.write_all(&line).await.is_err() {
                break;
            }
            sent += line.len();
        }
        sent
    });
    // Serve until the server stalls: it stops reading, the flood stops.
    let mut executed = 0usize;
    while let Ok(ev) =
        tokio::time::timeout(std::time::Duration::from_millis(200), server.next_event()).await
    {
        assert!(matches!(ev.unwrap(), Some(Ev::Line(_))));
        executed += 1;
    }
    let stats = server.stats();
    assert!(executed > 0);
    assert!(stats.peak_reactive_backlog > limit, "{stats:?}");
    assert!(
        stats.peak_reactive_backlog <= limit + READ_BUFFER_SIZE + 1000,
        "{stats:?}"
    );
    // Reading stopped long before the 10 MB the peer wanted to send.
    assert!(
        stats.bytes_read <= (limit + 2 * READ_BUFFER_SIZE + 8192) as u64,
        "{stats:?}"
    );
    assert!(!flood.is_finished());
    flood.abort();
}
