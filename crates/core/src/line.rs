//! Incremental line framing for line-based protocols (SMTP, POP3, IMAP).

use bytes::{Bytes, BytesMut};

/// How a line ended on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LineEnding {
    /// `CRLF`, the only ending the mail RFCs allow (RFC 5321 §2.3.8).
    CrLf,
    /// A bare `LF`. Whether it is accepted is the session's policy (SMTP
    /// smuggling, SECURITY.md SM-S4); the framer only reports it.
    Lf,
}

/// One framed line.
#[derive(Clone, PartialEq, Eq)]
pub struct Line {
    /// The line without its ending. It may contain bare `CR`s and NULs:
    /// judging them is the grammar's job.
    pub content: Bytes,
    /// How the line ended.
    pub ending: LineEnding,
}

impl std::fmt::Debug for Line {
    // Lines may be AUTH exchanges; show the shape, not the bytes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Line")
            .field("len", &self.content.len())
            .field("ending", &self.ending)
            .finish()
    }
}

/// A line was longer than the framer's limit.
///
/// The framer has already started discarding the rest of that line: the next
/// call to [`LineFramer::next_line`] resumes with the line after it, so a
/// server can answer with its "line too long" reply and carry on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line longer than {limit} octets")]
pub struct LineTooLong {
    /// The limit in force, terminator included.
    pub limit: usize,
}

/// Splits a byte stream into lines ending in `LF` (with or without `CR`),
/// with a hard limit on line length.
///
/// Bytes are pushed as they arrive; each byte is searched for a line end once
/// (the framer remembers how far it looked), so feeding a long line one byte
/// at a time costs linear time. The buffer never holds more than the limit
/// plus the last chunk pushed, whatever the peer sends.
///
/// The buffered bytes can be taken out raw with [`take`](Self::take) for the
/// parts of a protocol that are not line-based (SMTP BDAT chunks, IMAP
/// literals) or handed to a [`DotUnstuffer`](crate::DotUnstuffer) through
/// [`buffer_mut`](Self::buffer_mut).
#[derive(Debug)]
pub struct LineFramer {
    buf: BytesMut,
    /// How many bytes at the front of `buf` are known to hold no `LF`.
    scanned: usize,
    /// Maximum line length, terminator included.
    max_line: usize,
    /// Inside an over-long line: drop bytes up to and including the next `LF`.
    discarding: bool,
}

impl LineFramer {
    /// A framer whose lines may be at most `max_line` octets, `CRLF` included
    /// (RFC 5321 §4.5.3.1.4 counts the same way).
    pub fn new(max_line: usize) -> Self {
        Self {
            buf: BytesMut::new(),
            scanned: 0,
            max_line,
            discarding: false,
        }
    }

    /// The limit in force.
    pub fn max_line(&self) -> usize {
        self.max_line
    }

    /// Changes the limit, for example while an SMTP AUTH exchange allows
    /// 12288-octet lines (RFC 4954 §4). Applies to the line being received.
    pub fn set_max_line(&mut self, max_line: usize) {
        self.max_line = max_line;
    }

    /// Appends received bytes.
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// The next complete line, `Ok(None)` when more data is needed, or
    /// [`LineTooLong`] once per over-long line.
    pub fn next_line(&mut self) -> Result<Option<Line>, LineTooLong> {
        loop {
            let found = memchr::memchr(b'\n', &self.buf[self.scanned..]).map(|i| self.scanned + i);
            if self.discarding {
                match found {
                    Some(lf) => {
                        let _ = self.buf.split_to(lf + 1);
                        self.scanned = 0;
                        self.discarding = false;
                        continue;
                    }
                    None => {
                        self.buf.clear();
                        self.scanned = 0;
                        return Ok(None);
                    }
                }
            }
            return match found {
                Some(lf) if lf < self.max_line => {
                    let mut line = self.buf.split_to(lf + 1);
                    self.scanned = 0;
                    line.truncate(lf);
                    let ending = if line.last() == Some(&b'\r') {
                        line.truncate(lf - 1);
                        LineEnding::CrLf
                    } else {
                        LineEnding::Lf
                    };
                    Ok(Some(Line {
                        content: line.freeze(),
                        ending,
                    }))
                }
                Some(lf) => {
                    let _ = self.buf.split_to(lf + 1);
                    self.scanned = 0;
                    Err(LineTooLong {
                        limit: self.max_line,
                    })
                }
                None if self.buf.len() >= self.max_line => {
                    self.buf.clear();
                    self.scanned = 0;
                    self.discarding = true;
                    Err(LineTooLong {
                        limit: self.max_line,
                    })
                }
                None => {
                    self.scanned = self.buf.len();
                    Ok(None)
                }
            };
        }
    }

    /// The bytes received and not yet taken.
    pub fn buffered(&self) -> &[u8] {
        &self.buf
    }

    /// Whether nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Takes up to `n` raw bytes from the front of the buffer.
    pub fn take(&mut self, n: usize) -> Bytes {
        let n = n.min(self.buf.len());
        self.scanned = self.scanned.saturating_sub(n);
        self.buf.split_to(n).freeze()
    }

    /// The raw buffer, for a consumer that eats bytes from its front (the
    /// [`DotUnstuffer`](crate::DotUnstuffer)). The framer forgets how far it
    /// had searched, since the consumer may change anything.
    pub fn buffer_mut(&mut self) -> &mut BytesMut {
        self.scanned = 0;
        &mut self.buf
    }

    /// Drops everything buffered, and any over-long line being discarded.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.scanned = 0;
        self.discarding = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lines(framer: &mut LineFramer) -> Vec<Result<(Vec<u8>, LineEnding), LineTooLong>> {
        let mut out = Vec::new();
        loop {
            match framer.next_line() {
                Ok(Some(line)) => out.push(Ok((line.content.to_vec(), line.ending))),
                Ok(None) => return out,
                Err(e) => out.push(Err(e)),
            }
        }
    }

    fn frame_in_chunks(
        input: &[u8],
        splits: &[usize],
        max: usize,
    ) -> Vec<Result<(Vec<u8>, LineEnding), LineTooLong>> {
        let mut framer = LineFramer::new(max);
        let mut out = Vec::new();
        let mut start = 0;
        for &end in splits.iter().chain(std::iter::once(&input.len())) {
            let end = end.clamp(start, input.len());
            framer.push(&input[start..end]);
            out.extend(lines(&mut framer));
            start = end;
        }
        out
    }

    #[test]
    fn splits_crlf_and_bare_lf() {
        let mut f = LineFramer::new(100);
        f.push(b"a\r\nb\nc\r\rd\r\npartial");
        let got = lines(&mut f);
        assert_eq!(
            got,
            vec![
                Ok((b"a".to_vec(), LineEnding::CrLf)),
                Ok((b"b".to_vec(), LineEnding::Lf)),
                Ok((b"c\r\rd".to_vec(), LineEnding::CrLf)),
            ]
        );
        assert_eq!(f.buffered(), b"partial");
    }

    #[test]
    fn limit_counts_the_terminator() {
        let mut f = LineFramer::new(5);
        f.push(b"abc\r\n");
        assert_eq!(lines(&mut f), vec![Ok((b"abc".to_vec(), LineEnding::CrLf))]);
        f.push(b"abcd\r\nok\r\n");
        assert_eq!(
            lines(&mut f),
            vec![
                Err(LineTooLong { limit: 5 }),
                Ok((b"ok".to_vec(), LineEnding::CrLf))
            ]
        );
    }

    #[test]
    fn endless_line_is_bounded_and_reported_once() {
        let mut f = LineFramer::new(512);
        let mut errors = 0;
        for _ in 0..10_000 {
            f.push(&[b'x'; 100]);
            errors += lines(&mut f).len();
            assert!(f.buffered().len() < 512 + 100);
        }
        assert_eq!(errors, 1);
        f.push(b"tail\r\nNOOP\r\n");
        assert_eq!(
            lines(&mut f),
            vec![Ok((b"NOOP".to_vec(), LineEnding::CrLf))]
        );
    }

    #[test]
    fn take_leaves_the_rest() {
        let mut f = LineFramer::new(100);
        f.push(b"12345LINE\r\n");
        assert_eq!(&f.take(5)[..], b"12345");
        assert_eq!(
            lines(&mut f),
            vec![Ok((b"LINE".to_vec(), LineEnding::CrLf))]
        );
    }

    proptest! {
        #[test]
        fn any_split_gives_the_same_lines(
            input in proptest::collection::vec(prop_oneof![Just(b'\r'), Just(b'\n'), Just(b'a'), any::<u8>()], 0..300),
            mut splits in proptest::collection::vec(0usize..300, 0..8),
            max in 1usize..40,
        ) {
            splits.sort_unstable();
            let whole = frame_in_chunks(&input, &[], max);
            prop_assert_eq!(frame_in_chunks(&input, &splits, max), whole);
        }

        #[test]
        fn every_single_split_point(input in proptest::collection::vec(prop_oneof![Just(b'\r'), Just(b'\n'), Just(b'x')], 0..64)) {
            let whole = frame_in_chunks(&input, &[], 16);
            for split in 0..=input.len() {
                prop_assert_eq!(&frame_in_chunks(&input, &[split], 16), &whole);
            }
        }
    }
}
