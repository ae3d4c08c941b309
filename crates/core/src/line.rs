//! Incremental line framing for line-based protocols (SMTP, POP3, IMAP).

use bytes::{Buf as _, Bytes, BytesMut};

/// How a line ended on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LineEnding {
    /// `CRLF`, the only ending the mail RFCs allow (RFC 5321 §2.3.8).
    CrLf,
    /// A bare `LF`. Whether it is accepted is the session's policy (SMTP
    /// smuggling, SECURITY.md SM-S4); the framer only reports it.
    Lf,
}

/// Spare capacity given to a fresh receive buffer.
const TAIL_ROOM: usize = 64;

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
/// Received bytes are kept in one shared [`Bytes`] and every line is a
/// slice of it: a line costs one search and one reference count, never a
/// copy or an allocation. Only the incomplete tail of a chunk is carried
/// over into the next push (in place when no line of the old chunk is still
/// alive).
///
/// The buffered bytes can be taken out raw with [`take`](Self::take) for the
/// parts of a protocol that are not line-based (SMTP BDAT chunks, IMAP
/// literals, what a [`DotUnstuffer`](crate::DotUnstuffer) should read).
///
/// `Debug` shows sizes only: the buffer may hold an AUTH line or a SASL
/// response (SECURITY.md A4).
pub struct LineFramer {
    /// Received bytes; `data[pos..]` are not yet taken.
    data: Bytes,
    /// How much of `data` was taken (lines handed out or skipped).
    pos: usize,
    /// `data[pos..scanned]` holds no `LF`.
    scanned: usize,
    /// Maximum line length, terminator included.
    max_line: usize,
    /// Inside an over-long line: drop bytes up to and including the next `LF`.
    discarding: bool,
}

impl std::fmt::Debug for LineFramer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineFramer")
            .field("buffered", &self.buffered().len())
            .field("max_line", &self.max_line)
            .field("discarding", &self.discarding)
            .finish_non_exhaustive()
    }
}

impl LineFramer {
    /// A framer whose lines may be at most `max_line` octets, `CRLF` included
    /// (RFC 5321 §4.5.3.1.4 counts the same way).
    pub fn new(max_line: usize) -> Self {
        Self {
            data: Bytes::new(),
            pos: 0,
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
    pub fn push(&mut self, input: &[u8]) {
        if self.pos == self.data.len() {
            // Room for a short tail to be appended in place at the next
            // push; a buffer with spare capacity also freezes straight into
            // the shared form, so slicing a line is one reference count.
            let mut fresh = BytesMut::with_capacity(input.len() + TAIL_ROOM);
            fresh.extend_from_slice(input);
            self.data = fresh.freeze();
            self.pos = 0;
            self.scanned = 0;
        } else {
            let mut rest = self.take_rest();
            rest.extend_from_slice(input);
            self.data = rest.freeze();
        }
    }

    /// Moves `data[pos..]` out as a `BytesMut`: in place when no slice of
    /// `data` is alive any more, else as a copy of the rest only.
    fn take_rest(&mut self) -> BytesMut {
        let mut data = std::mem::take(&mut self.data);
        data.advance(self.pos);
        self.scanned -= self.pos;
        self.pos = 0;
        data.try_into_mut()
            .unwrap_or_else(|shared| BytesMut::from(&shared[..]))
    }

    /// The next complete line, `Ok(None)` when more data is needed, or
    /// [`LineTooLong`] once per over-long line.
    #[inline]
    pub fn next_line(&mut self) -> Result<Option<Line>, LineTooLong> {
        Ok(self.next_range()?.map(|(range, ending)| Line {
            content: self.data.slice(range),
            ending,
        }))
    }

    /// [`next_line`](Self::next_line), lending the line (without its
    /// ending) instead of handing out a [`Bytes`]: for a caller that parses
    /// the line into owned values at once (an SMTP server's commands) this
    /// saves the reference counting of a shared slice per line. Same
    /// framing, limits and errors.
    #[inline]
    pub fn next_line_ref(&mut self) -> Result<Option<(&[u8], LineEnding)>, LineTooLong> {
        Ok(self
            .next_range()?
            .map(|(range, ending)| (&self.data[range], ending)))
    }

    /// Frames the next line: its content's range in `data` and its ending.
    #[inline]
    fn next_range(&mut self) -> Result<Option<(std::ops::Range<usize>, LineEnding)>, LineTooLong> {
        loop {
            let unsearched = self.data.get(self.scanned..).unwrap_or_default();
            let Some(found) = memchr::memchr(b'\n', unsearched) else {
                self.scanned = self.data.len();
                let pending = self.data.len() - self.pos;
                if self.discarding {
                    self.pos = self.data.len();
                    return Ok(None);
                }
                if pending >= self.max_line {
                    self.pos = self.data.len();
                    self.discarding = true;
                    return Err(LineTooLong {
                        limit: self.max_line,
                    });
                }
                return Ok(None);
            };
            let start = self.pos;
            let lf = self.scanned + found;
            self.pos = lf + 1;
            self.scanned = self.pos;
            if self.discarding {
                self.discarding = false;
                continue;
            }
            let len = lf - start;
            if len >= self.max_line {
                return Err(LineTooLong {
                    limit: self.max_line,
                });
            }
            let (end, ending) = if len > 0 && self.data[lf - 1] == b'\r' {
                (lf - 1, LineEnding::CrLf)
            } else {
                (lf, LineEnding::Lf)
            };
            return Ok(Some((start..end, ending)));
        }
    }

    /// The bytes received and not yet taken.
    pub fn buffered(&self) -> &[u8] {
        self.data.get(self.pos..).unwrap_or_default()
    }

    /// Whether nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.pos == self.data.len()
    }

    /// Takes up to `n` raw bytes from the front of the buffer.
    pub fn take(&mut self, n: usize) -> Bytes {
        let n = n.min(self.data.len() - self.pos);
        let taken = self.data.slice(self.pos..self.pos + n);
        self.pos += n;
        self.scanned = self.scanned.max(self.pos);
        taken
    }

    /// Drops everything buffered, and any over-long line being discarded.
    pub fn clear(&mut self) {
        self.data = Bytes::new();
        self.pos = 0;
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
    fn debug_shows_no_buffered_bytes_a4() {
        let mut f = LineFramer::new(100);
        f.push(b"AUTH PLAIN AHVzZXIAaHVudGVyMg==\r\nNOOP");
        let _ = f.next_line();
        let shown = format!("{f:?}");
        assert!(
            !shown.contains("NOOP") && !shown.contains("AHVz"),
            "{shown}"
        );
        assert!(shown.contains("buffered: 4"), "{shown}");
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

    /// What the framer must produce, written the obvious way: every
    /// LF-terminated piece is a line if it fits the limit (LF included) and
    /// one error if not; an unterminated tail is an error once it reaches
    /// the limit.
    fn model(input: &[u8], max: usize) -> Vec<Result<(Vec<u8>, LineEnding), LineTooLong>> {
        let mut out = Vec::new();
        for piece in input.split_inclusive(|&b| b == b'\n') {
            let Some(body) = piece.strip_suffix(b"\n") else {
                if piece.len() >= max {
                    out.push(Err(LineTooLong { limit: max }));
                }
                break;
            };
            if piece.len() > max {
                out.push(Err(LineTooLong { limit: max }));
            } else if let Some(text) = body.strip_suffix(b"\r") {
                out.push(Ok((text.to_vec(), LineEnding::CrLf)));
            } else {
                out.push(Ok((body.to_vec(), LineEnding::Lf)));
            }
        }
        out
    }

    proptest! {
        #[test]
        fn lines_match_the_obvious_model(
            input in proptest::collection::vec(prop_oneof![Just(b'\r'), Just(b'\n'), Just(b'a'), any::<u8>()], 0..300),
            mut splits in proptest::collection::vec(0usize..300, 0..8),
            max in 1usize..40,
        ) {
            splits.sort_unstable();
            prop_assert_eq!(frame_in_chunks(&input, &splits, max), model(&input, max));
        }

        /// Taking raw bytes (BDAT, DATA) in the middle of a stream leaves
        /// the framer consistent: the bytes come out once, in order,
        /// whatever was pushed when.
        #[test]
        fn raw_access_keeps_every_byte_in_order(
            input in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'a')], 0..200),
            mut splits in proptest::collection::vec(0usize..200, 0..6),
            ops in proptest::collection::vec(0u8..3, 1..20),
        ) {
            splits.sort_unstable();
            let mut framer = LineFramer::new(1000);
            let mut out = Vec::new();
            let mut start = 0;
            let mut ops = ops.iter().cycle();
            for &end in splits.iter().chain(std::iter::once(&input.len())) {
                let end = end.clamp(start, input.len());
                framer.push(&input[start..end]);
                start = end;
                for _ in 0..3 {
                    match ops.next() {
                        Some(0) => if let Ok(Some(line)) = framer.next_line() {
                            out.extend_from_slice(&line.content);
                            out.push(b'\n');
                        },
                        Some(1) => out.extend_from_slice(&framer.take(3)),
                        _ => prop_assert_eq!(framer.buffered().len(), input[..start].len() - out.len()),
                    }
                }
            }
            out.extend_from_slice(framer.buffered());
            prop_assert_eq!(out, input);
        }

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
