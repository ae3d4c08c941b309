//! The two ways out of the builder give the same bytes: `build` encodes
//! straight into its `Vec`, `write_to` through a bounded buffer to any
//! writer (RFC 2045 §6.7, §6.8 encodings, RFC 2046 §5.1 structure).

use std::io::{self, Read};

use postwire_mime::Message;
use postwire_mime::build::{Attachment, MessageBuilder};

/// Deterministic bytes.
fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// A reader that fills every buffer it is given, as a file does.
struct Greedy {
    data: Vec<u8>,
    at: usize,
}

impl Read for Greedy {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.data.len() - self.at);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Records every write.
#[derive(Default)]
struct Recorder {
    out: Vec<u8>,
    largest_write: usize,
    writes: usize,
}

impl io::Write for Recorder {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.extend_from_slice(buf);
        self.largest_write = self.largest_write.max(buf.len());
        self.writes += 1;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn message(text: &str, html: &str, attachment: Attachment) -> MessageBuilder {
    MessageBuilder::new()
        .from(("Zoë Müller", "zoe@example.org"))
        .to(("Bob", "bob@example.org"))
        .subject("Grüße aus Köln")
        .date(1_704_164_645, 60)
        .message_id("id-1@example.org")
        .text(text)
        .html(html)
        .attach(attachment.filename("data.bin"))
}

#[test]
fn build_and_write_to_give_the_same_bytes_rfc2045_6() {
    let text = "Grüße aus Köln: the report.\n".repeat(300);
    let html = "<p>Grüße = <b>Köln</b>\t</p>\r\n".repeat(200);
    for len in [0, 1, 56, 57, 58, 57 * 1024 - 1, 57 * 1024, 200_000] {
        let bytes = data(len, len as u64);
        let built = message(
            &text,
            &html,
            Attachment::new("application/pdf", bytes.clone()),
        )
        .build()
        .unwrap();
        let mut recorder = Recorder::default();
        message(
            &text,
            &html,
            Attachment::new("application/pdf", bytes.clone()),
        )
        .write_to(&mut recorder)
        .unwrap();
        assert!(built == recorder.out, "in memory, {len} octets");
        // Binary data from a reader is base64 as well: the same bytes (a
        // few octets in memory may happen to be 7bit, and go out as such).
        let mut recorder = Recorder::default();
        let reader = Greedy {
            data: bytes.clone(),
            at: 0,
        };
        message(
            &text,
            &html,
            Attachment::from_reader("application/pdf", reader),
        )
        .write_to(&mut recorder)
        .unwrap();
        if len >= 56 {
            assert!(built == recorder.out, "from a reader, {len} octets");
        }
        let parsed = Message::parse(&built).unwrap();
        let attachment = parsed.attachments().next().unwrap();
        assert_eq!(&attachment.decoded_body()[..], &bytes[..]);
    }
}

#[test]
fn writes_stay_bounded_with_greedy_reads_rfc2045_6_8() {
    let len = 3_000_000;
    let mut recorder = Recorder::default();
    MessageBuilder::new()
        .from("a@example.org")
        .text("attached")
        .attach(Attachment::from_reader(
            "application/octet-stream",
            Greedy {
                data: data(len, 7),
                at: 0,
            },
        ))
        .write_to(&mut recorder)
        .unwrap();
    assert!(
        recorder.largest_write <= 128 * 1024,
        "{}",
        recorder.largest_write
    );
    // Few, large writes rather than one per line or part.
    assert!(
        recorder.writes < recorder.out.len() / (32 * 1024),
        "{}",
        recorder.writes
    );
    let parsed = Message::parse(&recorder.out).unwrap();
    assert_eq!(
        parsed.attachments().next().unwrap().decoded_body().len(),
        len
    );
}
