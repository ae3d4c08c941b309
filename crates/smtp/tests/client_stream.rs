//! send_reader streams a 20 MB body: the server gets the exact bytes and
//! the client never holds the message whole.

mod client_support;

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use client_support::{Behaviour, ServerTls, Store, options, serve};
use postwire_smtp::client::{Envelope, SmtpClient, Tls};

const TOTAL: usize = 20 * 1024 * 1024;

/// The n-th line of the generated message: CRLF endings, every 7th line
/// starts with a dot (dot-stuffing, RFC 5321 §4.5.2).
fn line(n: usize) -> String {
    if n % 7 == 3 {
        format!(".dotted line {n:08}\r\n")
    } else {
        format!("line {n:08} lorem ipsum dolor sit amet consectetur\r\n")
    }
}

fn content() -> Vec<u8> {
    let mut out = b"Subject: big\r\n\r\n".to_vec();
    let mut n = 0;
    while out.len() < TOTAL {
        out.extend_from_slice(line(n).as_bytes());
        n += 1;
    }
    out
}

/// Yields `content()` in reads of at most 16 KiB, and checks at every read
/// that what it produced minus what the server received stays bounded.
struct Generator {
    data: Arc<Vec<u8>>,
    offset: usize,
    received: Arc<AtomicU64>,
    max_in_flight: u64,
}

impl futures_io::AsyncRead for Generator {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        let in_flight = self.offset as u64 - self.received.load(Ordering::SeqCst);
        self.max_in_flight = self.max_in_flight.max(in_flight);
        let n = buf.len().min(16 * 1024).min(self.data.len() - self.offset);
        let start = self.offset;
        buf[..n].copy_from_slice(&self.data[start..start + n]);
        self.offset += n;
        Poll::Ready(Ok(n))
    }
}

async fn stream(chunking: bool) {
    let (a, b) = postwire_testkit::duplex(64 * 1024);
    let store = Store::default();
    let behaviour = Behaviour {
        tls: ServerTls::None,
        auth: false,
        chunking,
        ..Behaviour::default()
    };
    tokio::spawn(serve(b, behaviour, store.clone()));
    let mut client = SmtpClient::connect(a, options(Tls::None, false))
        .await
        .unwrap();
    let data = Arc::new(content());
    let mut generator = Generator {
        data: data.clone(),
        offset: 0,
        received: store.data_bytes.clone(),
        max_in_flight: 0,
    };
    let envelope = Envelope::parse("alice@example.org")
        .unwrap()
        .to("bob@example.org".parse().unwrap());
    let report = client.send_reader(envelope, &mut generator).await.unwrap();
    assert!(report.all_accepted(), "{report:?}");
    assert!(client.connection().buffered_output() == 0);
    assert!(client.connection().stats().bytes_written >= TOTAL as u64);
    // Chunk (64 KiB) + its stuffed copy queued + the 64 KiB pipe + the
    // server's 16 KiB read buffer, with room to spare; far below 20 MB.
    assert!(
        generator.max_in_flight < 512 * 1024,
        "{} bytes in flight",
        generator.max_in_flight
    );
    client.quit().await.unwrap();
    let messages = store.messages();
    assert_eq!(messages.len(), 1);
    assert!(messages[0].data == *data, "content differs");
}

#[tokio::test]
async fn send_reader_streams_20_mb_by_data_rfc5321_4_5_2() {
    stream(false).await;
}

#[tokio::test]
async fn send_reader_streams_20_mb_by_bdat_rfc3030_2() {
    stream(true).await;
}
