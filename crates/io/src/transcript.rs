//! A protocol transcript: every line in and out, with secrets redacted.
//!
//! Like MailKit's `ProtocolLogger`, a [`Transcript`] sink receives each line
//! the connection sends or receives, as plaintext (after TLS decryption).
//! Which lines carry secrets (AUTH arguments, SASL exchanges, POP3 PASS)
//! needs protocol knowledge, so a protocol crate supplies a [`Redactor`] that
//! rewrites a line before the sink sees it.
//!
//! Splitting: the driver splits each direction's byte stream at LF, strips
//! the line ending (CRLF or LF), and passes every line to the redactor and
//! then to the sink. A line longer than [`MAX_TRANSCRIPT_LINE`] bytes reaches
//! them in pieces of that size. Message bodies (SMTP DATA, IMAP literals,
//! POP3 RETR) are lines too: the redactor decides whether to pass, shorten
//! or drop them (`None`), since it knows from the command lines when a body
//! starts.
//! The transcript is off unless the application installs one, and then costs
//! nothing: one branch per read and per write.

use std::borrow::Cow;
use std::sync::{Arc, Mutex};

use postwire_core::TlsInfo;

/// A line longer than this reaches the transcript in pieces.
pub const MAX_TRANSCRIPT_LINE: usize = 8 * 1024;

/// Which way a line went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Received from the peer.
    Incoming,
    /// Sent to the peer.
    Outgoing,
}

/// Receives the transcript of a connection, one line at a time.
pub trait Transcript: Send {
    /// One line (without its line ending), already redacted.
    fn record(&mut self, direction: Direction, line: &[u8]);

    /// The connection completed a TLS handshake; lines after this one were
    /// encrypted on the wire. The default does nothing.
    fn tls_established(&mut self, info: &TlsInfo) {
        let _ = info;
    }
}

/// A boxed sink is a sink (options hold `Box<dyn Transcript>`).
impl<T: Transcript + ?Sized> Transcript for Box<T> {
    fn record(&mut self, direction: Direction, line: &[u8]) {
        (**self).record(direction, line);
    }

    fn tls_established(&mut self, info: &TlsInfo) {
        (**self).tls_established(info);
    }
}

/// Rewrites transcript lines that carry secrets, before any sink sees them.
///
/// A protocol crate implements it with its knowledge of the exchange: for
/// SMTP, `AUTH PLAIN <redacted>` and every SASL line until the 235/535 reply.
/// It may keep state (it sees every line in order, both directions).
/// Returning `None` leaves the line out of the transcript (message content
/// is better summarised in one line than kept as thousands of blanks).
pub trait Redactor: Send {
    /// A line the connection sends: unchanged, a replacement, or `None` to
    /// leave it out.
    fn outgoing<'a>(&mut self, line: &'a [u8]) -> Option<Cow<'a, [u8]>>;
    /// A line the connection received: unchanged, a replacement, or `None`
    /// to leave it out.
    fn incoming<'a>(&mut self, line: &'a [u8]) -> Option<Cow<'a, [u8]>>;
}

/// A [`Redactor`] that changes nothing; only for protocols without secrets.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoRedaction;

impl Redactor for NoRedaction {
    fn outgoing<'a>(&mut self, line: &'a [u8]) -> Option<Cow<'a, [u8]>> {
        Some(Cow::Borrowed(line))
    }

    fn incoming<'a>(&mut self, line: &'a [u8]) -> Option<Cow<'a, [u8]>> {
        Some(Cow::Borrowed(line))
    }
}

/// One recorded line: its direction and its (redacted) bytes.
pub type RecordedLine = (Direction, Vec<u8>);

/// A [`Transcript`] that keeps every line in memory; clones share the lines,
/// so keep one clone to read what the connection recorded.
#[derive(Clone, Debug, Default)]
pub struct MemoryTranscript {
    lines: Arc<Mutex<Vec<RecordedLine>>>,
}

impl MemoryTranscript {
    /// An empty transcript.
    pub fn new() -> Self {
        Self::default()
    }

    /// The lines recorded so far, in order.
    pub fn lines(&self) -> Vec<RecordedLine> {
        self.lines.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The lines as text, `C: ` before outgoing and `S: ` before incoming
    /// lines (the client's view), invalid UTF-8 replaced.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        for (direction, line) in self.lines() {
            text.push_str(match direction {
                Direction::Outgoing => "C: ",
                Direction::Incoming => "S: ",
            });
            text.push_str(&String::from_utf8_lossy(&line));
            text.push('\n');
        }
        text
    }
}

impl Transcript for MemoryTranscript {
    fn record(&mut self, direction: Direction, line: &[u8]) {
        self.lines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((direction, line.to_vec()));
    }
}

/// A [`Transcript`] that calls a closure for every line.
pub struct FnTranscript<F>(pub F);

impl<F> std::fmt::Debug for FnTranscript<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FnTranscript")
    }
}

impl<F: FnMut(Direction, &[u8]) + Send> Transcript for FnTranscript<F> {
    fn record(&mut self, direction: Direction, line: &[u8]) {
        (self.0)(direction, line)
    }
}

/// A [`Transcript`] that emits one `tracing::debug!` event per line, with
/// target `postwire_io::transcript`.
#[cfg(feature = "tracing")]
#[derive(Clone, Copy, Debug, Default)]
pub struct TracingTranscript;

#[cfg(feature = "tracing")]
impl Transcript for TracingTranscript {
    fn record(&mut self, direction: Direction, line: &[u8]) {
        let line = String::from_utf8_lossy(line);
        match direction {
            Direction::Incoming => {
                tracing::debug!(target: "postwire_io::transcript", "S: {}", line.escape_debug())
            }
            Direction::Outgoing => {
                tracing::debug!(target: "postwire_io::transcript", "C: {}", line.escape_debug())
            }
        }
    }

    fn tls_established(&mut self, info: &TlsInfo) {
        tracing::debug!(target: "postwire_io::transcript", version = ?info.version, "tls established");
    }
}

/// The transcript state a connection keeps when one is installed.
pub(crate) struct Recorder {
    sink: Box<dyn Transcript>,
    redactor: Box<dyn Redactor>,
    incoming: Vec<u8>,
    outgoing: Vec<u8>,
}

fn emit(sink: &mut dyn Transcript, redactor: &mut dyn Redactor, direction: Direction, line: &[u8]) {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let redacted = match direction {
        Direction::Incoming => redactor.incoming(line),
        Direction::Outgoing => redactor.outgoing(line),
    };
    if let Some(redacted) = redacted {
        sink.record(direction, &redacted);
    }
}

impl Recorder {
    pub(crate) fn new(sink: Box<dyn Transcript>, redactor: Box<dyn Redactor>) -> Self {
        Self {
            sink,
            redactor,
            incoming: Vec::new(),
            outgoing: Vec::new(),
        }
    }

    /// Splits `data` into lines and records the complete ones.
    pub(crate) fn data(&mut self, direction: Direction, mut data: &[u8]) {
        let Self {
            sink,
            redactor,
            incoming,
            outgoing,
        } = self;
        let partial = match direction {
            Direction::Incoming => incoming,
            Direction::Outgoing => outgoing,
        };
        while !data.is_empty() {
            let room = MAX_TRANSCRIPT_LINE - partial.len();
            match data.iter().position(|&b| b == b'\n') {
                Some(pos) if pos <= room => {
                    if partial.is_empty() {
                        emit(&mut **sink, &mut **redactor, direction, &data[..pos]);
                    } else {
                        partial.extend_from_slice(&data[..pos]);
                        emit(&mut **sink, &mut **redactor, direction, partial);
                        partial.clear();
                    }
                    data = &data[pos + 1..];
                }
                _ => {
                    let take = data.len().min(room);
                    partial.extend_from_slice(&data[..take]);
                    data = &data[take..];
                    if partial.len() == MAX_TRANSCRIPT_LINE {
                        emit(&mut **sink, &mut **redactor, direction, partial);
                        partial.clear();
                    }
                }
            }
        }
    }

    pub(crate) fn tls_established(&mut self, info: &TlsInfo) {
        self.sink.tls_established(info);
    }

    /// Records unterminated lines left at the end of the connection.
    pub(crate) fn finish(&mut self) {
        for direction in [Direction::Outgoing, Direction::Incoming] {
            let partial = match direction {
                Direction::Incoming => &mut self.incoming,
                Direction::Outgoing => &mut self.outgoing,
            };
            if !partial.is_empty() {
                let line = std::mem::take(partial);
                emit(&mut *self.sink, &mut *self.redactor, direction, &line);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Redacts PASS arguments and leaves out `+BODY` lines.
    struct Upper;
    impl Redactor for Upper {
        fn outgoing<'a>(&mut self, line: &'a [u8]) -> Option<Cow<'a, [u8]>> {
            if line.starts_with(b"PASS ") {
                Some(Cow::Owned(b"PASS <redacted>".to_vec()))
            } else {
                Some(Cow::Borrowed(line))
            }
        }
        fn incoming<'a>(&mut self, line: &'a [u8]) -> Option<Cow<'a, [u8]>> {
            (!line.starts_with(b"+BODY")).then_some(Cow::Borrowed(line))
        }
    }

    #[test]
    fn splits_lines_across_chunks_and_strips_endings() {
        let memory = MemoryTranscript::new();
        let mut rec = Recorder::new(Box::new(memory.clone()), Box::new(Upper));
        rec.data(Direction::Outgoing, b"USER a\r\nPA");
        rec.data(Direction::Outgoing, b"SS secret\r\n");
        rec.data(
            Direction::Incoming,
            b"+OK\n+BODY secret\r\n+OK done\r\npartial",
        );
        rec.finish();
        assert_eq!(
            memory.to_text(),
            "C: USER a\nC: PASS <redacted>\nS: +OK\nS: +OK done\nS: partial\n"
        );
    }

    #[test]
    fn long_lines_arrive_in_bounded_pieces() {
        let memory = MemoryTranscript::new();
        let mut rec = Recorder::new(Box::new(memory.clone()), Box::new(NoRedaction));
        let long = vec![b'x'; MAX_TRANSCRIPT_LINE * 2 + 10];
        rec.data(Direction::Incoming, &long);
        rec.data(Direction::Incoming, b"\r\n");
        let lines = memory.lines();
        assert_eq!(lines.len(), 3);
        assert!(lines.iter().all(|(_, l)| l.len() <= MAX_TRANSCRIPT_LINE));
        assert_eq!(lines[2].1.len(), 10);
    }
}
