//! The push parser: one pass over the input with a stack of open parts,
//! holding only the bytes a decision still needs (the current header block,
//! or a line start that may begin a boundary line).
//!
//! It reproduces [`crate::Message::parse`] exactly. Every part has a byte
//! range; a multipart's boundary lines are searched inside its own range
//! only, and a boundary line of an enclosing multipart ends the ranges of
//! everything inside it at the line break before it (RFC 2046 §5.1.1). So
//! at each line start that begins with `--`, the open multiparts are asked
//! outermost first; the first that recognises its boundary line wins, and
//! the line break before it leaves every open part. Header blocks are cut
//! by [`split_header_block`] itself, on the same bytes and range end the
//! whole-buffer parser gives it.

use std::borrow::Cow;
use std::collections::VecDeque;

use bytes::Bytes;
use memchr::memmem;

use super::boundary::{BoundaryLine, LineMatch, classify};
use super::event::{BodyKind, PartEnd, PartPath, PartStart, StreamEvent};
use super::options::{StreamError, StreamOptions};
use crate::decode::{Decoder, TransferEncoding};
use crate::defect::push_once;
use crate::header::split_header_block;
use crate::{ContentDisposition, ContentType, Defect, Error};

/// Input is taken in slices of at most this size, so one huge push never
/// makes the buffer huge.
const SLICE: usize = 64 * 1024;

/// A push-style streaming MIME parser. Feed the message in chunks of any
/// size with [`StreamParser::push`], end it with [`StreamParser::finish`],
/// and drain [`StreamParser::poll_event`] after each call. It performs no
/// I/O; memory stays below [`StreamParser::memory_bound`] whatever the
/// message size, and the events are the same for every split of the input.
pub struct StreamParser {
    opts: StreamOptions,
    /// Unconsumed input; `buf[0]` is stream offset `base`.
    buf: Vec<u8>,
    base: u64,
    finished: bool,
    ended: bool,
    error: Option<StreamError>,
    frames: Vec<Frame>,
    events: VecDeque<StreamEvent>,
    /// Parts started so far (for [`crate::Limits::max_parts`]).
    parts: usize,
    /// Next input byte of the innermost part not yet handled.
    cursor: u64,
    /// A line start whose boundary check is pending.
    check: Option<Check>,
    /// Boundary lines found whose enclosed parts are still being closed, innermost last.
    cuts: Vec<Cut>,
    /// After a check needed more bytes, wait for this much input before retrying.
    wait_until: u64,
    /// Pending data-event bytes of the innermost part.
    out: Vec<u8>,
    raw_out: Vec<u8>,
    /// Output of the speculative decoder of a multipart's preamble (discarded).
    scratch: Vec<u8>,
}

/// A line start `p` to test for boundary lines; `lb..p` is the line break
/// before it, which belongs to a boundary line if one starts at `p`.
#[derive(Debug, Clone, Copy)]
struct Check {
    p: u64,
    lb: u64,
    /// The region starting at `p` was opened by a boundary line of frame
    /// `.0`, whose line break starts at `.1`.
    origin: Option<(usize, u64)>,
}

/// A boundary line of frame `level`; every part inside it ends at `end`.
#[derive(Debug, Clone, Copy)]
struct Cut {
    level: usize,
    end: u64,
    line: BoundaryLine,
}

#[derive(Debug)]
struct Frame {
    path: PartPath,
    index: usize,
    in_digest: bool,
    transfer_encoding: TransferEncoding,
    defects: Vec<Defect>,
    body_start: u64,
    mode: Mode,
}

#[derive(Debug)]
enum Mode {
    Header(HeaderScan),
    Leaf {
        decoder: Decoder,
        defects: Vec<Defect>,
    },
    Message,
    Multipart(Box<Multipart>),
}

#[derive(Debug)]
struct HeaderScan {
    /// Where the header fields start (after an mbox `From ` line).
    hs: u64,
    /// The current line's start.
    line: u64,
    /// Input before this holds no LF of the current line.
    scanned: u64,
    /// The LF ending the current line, once found.
    nl: Option<u64>,
    fields: usize,
    from_line: FromLine,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FromLine {
    Check,
    Skip,
    Done,
}

#[derive(Debug)]
struct Multipart {
    delim: Vec<u8>,
    digest: bool,
    children: usize,
    phase: Phase,
    preamble_end: Option<u64>,
    epilogue_start: u64,
    /// A close-delimiter came before any dash-boundary line: the body has
    /// no parts (RFC 2046 §5.1.1) and will end as a leaf, so no later line
    /// is this multipart's boundary (the whole-buffer search stops there too).
    closed_early: bool,
    /// Decodes the preamble with the part's transfer encoding, for the
    /// defects it would have if no boundary line came (it is then a leaf).
    speculative: Option<Decoder>,
    speculative_defects: Vec<Defect>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Preamble,
    Parts,
    Epilogue,
}

enum Step {
    Continue,
    Wait,
    AtEnd,
}

enum Found {
    NeedMore,
    TooLong,
    None,
    Line(usize, BoundaryLine),
}

impl StreamParser {
    /// A parser at the start of a message.
    pub fn new(options: StreamOptions) -> StreamParser {
        let mut opts = options;
        opts.chunk_size = opts.chunk_size.max(1);
        let root = Frame {
            path: PartPath::root(),
            index: 0,
            in_digest: false,
            transfer_encoding: TransferEncoding::SevenBit,
            defects: Vec::new(),
            body_start: 0,
            mode: Mode::Header(HeaderScan::new(0, FromLine::Check)),
        };
        let max_parts = opts.parse.limits.max_parts;
        StreamParser {
            opts,
            buf: Vec::new(),
            base: 0,
            finished: false,
            ended: false,
            error: (max_parts == 0).then_some(StreamError::Parse(Error::PartLimit(0))),
            frames: vec![root],
            events: VecDeque::new(),
            parts: 1,
            cursor: 0,
            check: None,
            cuts: Vec::new(),
            wait_until: 0,
            out: Vec::new(),
            raw_out: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Feeds the next bytes of the message. Events become available from
    /// [`StreamParser::poll_event`]. An error is final: every later call
    /// returns it again.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), StreamError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.finished {
            return Err(StreamError::PushAfterFinish);
        }
        for piece in chunk.chunks(SLICE) {
            self.buf.extend_from_slice(piece);
            if self.end_offset() >= self.wait_until {
                self.wait_until = 0;
                self.run_or_fail()?;
            }
            self.compact();
        }
        Ok(())
    }

    /// Ends the message: the last parts end, and [`StreamEvent::End`] follows.
    pub fn finish(&mut self) -> Result<(), StreamError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if !self.finished {
            self.finished = true;
            self.run_or_fail()?;
            self.compact();
        }
        Ok(())
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<StreamEvent> {
        self.events.pop_front()
    }

    /// True once [`StreamEvent::End`] has been queued.
    pub fn is_done(&self) -> bool {
        self.ended
    }

    /// Bytes the parser holds now: unconsumed input (a header block, or a
    /// line start that may begin a boundary line), data waiting to fill a
    /// data event, and what the body decoder holds back. Events already
    /// queued are not counted.
    pub fn buffered_len(&self) -> usize {
        let decoder = self.frames.last().map_or(0, |f| match &f.mode {
            Mode::Leaf { decoder, .. } => decoder.buffered_len(),
            _ => 0,
        });
        self.buf.len() + self.out.len() + self.raw_out.len() + decoder
    }

    /// The most [`StreamParser::buffered_len`] can reach with these
    /// options, whatever the message: one input slice (64 KiB), a header
    /// block (`max_header_bytes`), twice the boundary lookahead, two data
    /// events, and the decoders' hold-back.
    pub fn memory_bound(&self) -> usize {
        let limits = &self.opts.parse.limits;
        SLICE
            .saturating_add(limits.max_header_bytes.saturating_add(16))
            .saturating_add(self.opts.max_lookahead.saturating_mul(2))
            .saturating_add(self.opts.chunk_size.saturating_mul(4))
            .saturating_add(crate::decode::UUENCODE_BEGIN_WINDOW)
            .saturating_add(crate::decode::MAX_TRAILING_WHITESPACE)
    }

    fn run_or_fail(&mut self) -> Result<(), StreamError> {
        match self.run() {
            Ok(()) => Ok(()),
            Err(e) => {
                self.error = Some(e);
                Err(e)
            }
        }
    }

    fn end_offset(&self) -> u64 {
        self.base + self.buf.len() as u64
    }

    /// The input bytes between two stream offsets (empty if reversed).
    fn bytes(&self, from: u64, to: u64) -> &[u8] {
        let a = (from.max(self.base) - self.base) as usize;
        let b = (to.max(self.base) - self.base) as usize;
        self.buf.get(a..b.max(a)).unwrap_or(&[])
    }

    fn byte(&self, at: u64) -> Option<u8> {
        at.checked_sub(self.base)
            .and_then(|i| self.buf.get(i as usize).copied())
    }

    /// Drops input no pending decision needs.
    fn compact(&mut self) {
        let keep = match self.frames.last().map(|f| &f.mode) {
            Some(Mode::Header(h)) if h.from_line == FromLine::Skip => h.scanned,
            // One byte before the header block is kept: see `finalize_header`.
            Some(Mode::Header(h)) => h.hs.saturating_sub(1),
            Some(_) => self.check.map_or(self.cursor, |c| c.lb.min(self.cursor)),
            None => self.end_offset(),
        };
        let keep = keep.clamp(self.base, self.end_offset());
        let drop = (keep - self.base) as usize;
        if drop > 0 && (drop >= self.buf.len() / 2 || drop >= SLICE) {
            self.buf.drain(..drop);
            self.base = keep;
        }
    }

    fn run(&mut self) -> Result<(), StreamError> {
        loop {
            if let Some(&cut) = self.cuts.last() {
                if self.frames.len() - 1 > cut.level {
                    match self.step(Some(cut.end), cut.level + 1)? {
                        Step::Continue => {}
                        Step::AtEnd => self.pop(cut.end)?,
                        // A known range end never needs more input.
                        Step::Wait => return Ok(()),
                    }
                } else {
                    self.cuts.pop();
                    self.apply_boundary(cut)?;
                }
                continue;
            }
            if self.frames.is_empty() {
                if self.finished && !self.ended {
                    self.ended = true;
                    self.events.push_back(StreamEvent::End);
                }
                return Ok(());
            }
            let limit = self.finished.then(|| self.end_offset());
            match self.step(limit, 0)? {
                Step::Continue => {}
                Step::Wait => return Ok(()),
                Step::AtEnd => self.pop(self.end_offset())?,
            }
        }
    }

    /// One move of the innermost part, whose range ends at `limit` when
    /// known; only frames from `active_from` on may recognise boundary lines.
    fn step(&mut self, limit: Option<u64>, active_from: usize) -> Result<Step, StreamError> {
        let Some(frame) = self.frames.last() else {
            return Ok(Step::Wait);
        };
        match &frame.mode {
            Mode::Header(_) => self.step_header(limit, active_from),
            Mode::Leaf { .. } => self.step_content(limit, active_from),
            Mode::Multipart(m) if m.phase != Phase::Parts => self.step_content(limit, active_from),
            // A message/rfc822 part, or a multipart between its parts, has
            // nothing of its own: it ends with its range.
            _ => Ok(if limit.is_some() {
                Step::AtEnd
            } else {
                Step::Wait
            }),
        }
    }

    fn header_mut(&mut self) -> Option<&mut HeaderScan> {
        match self.frames.last_mut().map(|f| &mut f.mode) {
            Some(Mode::Header(h)) => Some(h),
            _ => None,
        }
    }

    fn step_header(&mut self, limit: Option<u64>, active_from: usize) -> Result<Step, StreamError> {
        let end = limit.unwrap_or(self.end_offset());
        let Some(h) = self.frames.last().and_then(|f| match &f.mode {
            Mode::Header(h) => Some((h.hs, h.line, h.scanned, h.nl, h.from_line)),
            _ => None,
        }) else {
            return Ok(Step::Wait);
        };
        let (hs, line, scanned, nl, from_line) = h;
        // An mbox `From ` line before the top-level header (only there, as
        // `split_header_block` skips it only at the start of the input).
        match from_line {
            FromLine::Check => {
                if end < hs + 5 && limit.is_none() {
                    return Ok(Step::Wait);
                }
                let is_from = self.bytes(hs, end.min(hs + 5)) == b"From ";
                if let Some(h) = self.header_mut() {
                    h.from_line = if is_from {
                        FromLine::Skip
                    } else {
                        FromLine::Done
                    };
                }
                return Ok(Step::Continue);
            }
            FromLine::Skip => {
                let from = scanned.max(hs);
                let found = memchr::memchr(b'\n', self.bytes(from, end)).map(|i| from + i as u64);
                let Some(h) = self.header_mut() else {
                    return Ok(Step::Wait);
                };
                match found {
                    Some(i) => {
                        (h.hs, h.line, h.scanned) = (i + 1, i + 1, i + 1);
                        h.from_line = FromLine::Done;
                    }
                    None if limit.is_some() => {
                        (h.hs, h.line, h.scanned) = (end, end, end);
                        h.from_line = FromLine::Done;
                    }
                    None => {
                        h.scanned = end;
                        return Ok(Step::Wait);
                    }
                }
                return Ok(Step::Continue);
            }
            FromLine::Done => {}
        }
        if let Some(check) = self.check {
            match self.check_line(check, limit, active_from)? {
                Found::NeedMore => return Ok(Step::Wait),
                Found::Line(level, line) => {
                    self.check = None;
                    if let Some(h) = self.header_mut() {
                        h.nl = None;
                    }
                    self.begin_cut(check, level, line);
                    return Ok(Step::Continue);
                }
                Found::None | Found::TooLong => self.check = None,
            }
            if let Some(i) = nl {
                self.classify_header_line(hs, line, i)?;
            }
            return Ok(Step::Continue);
        }
        let from = scanned.max(line);
        if from < end
            && let Some(i) = memchr::memchr(b'\n', self.bytes(from, end))
        {
            let i = from + i as u64;
            let lb = if i > line && self.byte(i - 1) == Some(b'\r') {
                i - 1
            } else {
                i
            };
            if let Some(h) = self.header_mut() {
                h.nl = Some(i);
                h.scanned = i + 1;
            }
            self.check = Some(Check {
                p: i + 1,
                lb,
                origin: None,
            });
            return Ok(Step::Continue);
        }
        let max = self.opts.parse.limits.max_header_bytes as u64;
        if let Some(limit) = limit {
            self.finalize_header(limit)?;
        } else if end.saturating_sub(hs) >= max.saturating_add(7) {
            // No line break within the window the whole-buffer split scans,
            // and the range goes on past it: the same bytes, the same error.
            self.finalize_header(hs + max + 5)?;
        } else {
            if let Some(h) = self.header_mut() {
                h.scanned = end;
            }
            return Ok(Step::Wait);
        }
        Ok(Step::Continue)
    }

    /// The line `line..=i` is complete and the next line is no boundary:
    /// does it end the header block (mirroring `split_header_block`)?
    fn classify_header_line(&mut self, hs: u64, line: u64, i: u64) -> Result<(), StreamError> {
        let limits = self.opts.parse.limits;
        let max = limits.max_header_bytes as u64;
        let line_end = if i > line && self.byte(i - 1) == Some(b'\r') {
            i - 1
        } else {
            i
        };
        let content = self.bytes(line, line_end);
        let ends = if content.is_empty()
            || i >= hs.saturating_add(max).saturating_add(4)
            || line_end - hs > max
        {
            true
        } else if matches!(content[0], b' ' | b'\t') {
            false
        } else {
            match memchr::memchr(b':', content) {
                Some(c) if is_field_name(content[..c].trim_ascii_end()) => {
                    self.header_mut().is_some_and(|h| {
                        h.fields += 1;
                        h.fields > limits.max_header_count
                    })
                }
                _ => true,
            }
        };
        if ends {
            self.finalize_header(i + 1)?;
        } else if let Some(h) = self.header_mut() {
            h.line = i + 1;
            h.nl = None;
        }
        Ok(())
    }

    /// Splits the header block `hs..x` exactly as the whole-buffer parser
    /// does (`x` is its range end, or a point past which the split cannot
    /// look), emits [`StreamEvent::PartStart`], and starts the body.
    fn finalize_header(&mut self, x: u64) -> Result<(), StreamError> {
        let top = self.frames.len() - 1;
        let Mode::Header(h) = &self.frames[top].mode else {
            return Ok(());
        };
        let hs = h.hs.min(x);
        let limits = self.opts.parse.limits;
        let mut defects = Vec::new();
        // `split_header_block` skips an mbox `From ` line only at input
        // offset 0, so every other part is split with one byte before it
        // (the LF that precedes every part, kept by `compact`); `shift` is
        // how many such bytes `input` has before `hs`.
        let (input, range, shift): (Cow<'_, [u8]>, _, u64) = if hs == x {
            (Cow::Borrowed(&b"\n"[..]), 1..1, 1)
        } else if hs == 0 {
            (Cow::Borrowed(self.bytes(0, x)), 0..(x as usize), 0)
        } else if hs > self.base {
            let a = (hs - 1 - self.base) as usize;
            let b = (x - self.base) as usize;
            (Cow::Borrowed(&self.buf[a..b]), 1..(b - a), 1)
        } else {
            let mut v = vec![b'\n'];
            v.extend_from_slice(self.bytes(hs, x));
            let n = v.len();
            (Cow::Owned(v), 1..n, 1)
        };
        let at = |i: usize| hs + i as u64 - shift;
        let split = split_header_block(&input, range, &limits, &mut defects)?;
        let frame = &self.frames[top];
        let headers = &split.headers;
        let content_type = match headers.get("content-type") {
            // Events own their data: the values are copied out.
            Some(h) => ContentType::parse(h.raw_value(), &mut defects).into_owned(),
            None if frame.in_digest => ContentType::new("message", "rfc822"),
            None => ContentType::default(),
        };
        let transfer_encoding = headers.transfer_encoding();
        let disposition = headers
            .get("content-disposition")
            .map(|h| ContentDisposition::parse(h.raw_value(), &mut Vec::new()).into_owned());
        let mut block = Vec::with_capacity(split.header_range.len() + 1);
        block.push(b'\n');
        block.extend_from_slice(&input[split.header_range.clone()]);
        let header_range = at(split.header_range.start)..at(split.header_range.end);
        let body_start = at(split.body_start).min(x);
        let mut kind = BodyKind::Leaf;
        let mut delim = Vec::new();
        if content_type.main_type() == "multipart" {
            match content_type.boundary().filter(|b| !b.is_empty()) {
                None => push_once(&mut defects, Defect::MissingBoundaryParameter),
                Some(b) => {
                    kind = BodyKind::Multipart;
                    delim.extend_from_slice(b"--");
                    delim.extend_from_slice(b.as_bytes());
                }
            }
        } else if content_type.main_type() == "message"
            && matches!(content_type.subtype(), "rfc822" | "global")
        {
            if transfer_encoding.is_identity() {
                kind = BodyKind::Message;
            } else {
                push_once(&mut defects, Defect::EncodedMessageBody);
            }
        }
        if self.opts.parse.strict
            && let Some(&d) = defects.first()
        {
            return Err(Error::Defect(d).into());
        }
        let digest = content_type.subtype() == "digest";
        let start = PartStart {
            path: frame.path.clone(),
            index: frame.index,
            block: Bytes::from(block),
            header_range,
            body_start,
            content_type,
            disposition,
            transfer_encoding,
            kind,
            defects: defects.clone(),
        };
        self.events
            .push_back(StreamEvent::PartStart(Box::new(start)));
        let frame = &mut self.frames[top];
        frame.defects = defects;
        frame.transfer_encoding = transfer_encoding;
        frame.body_start = body_start;
        frame.mode = match kind {
            BodyKind::Leaf => Mode::Leaf {
                decoder: Decoder::new(transfer_encoding),
                defects: Vec::new(),
            },
            BodyKind::Message => Mode::Message,
            BodyKind::Multipart => Mode::Multipart(Box::new(Multipart {
                delim,
                digest,
                children: 0,
                phase: Phase::Preamble,
                preamble_end: None,
                epilogue_start: 0,
                closed_early: false,
                speculative: (!transfer_encoding.is_identity())
                    .then(|| Decoder::new(transfer_encoding)),
                speculative_defects: Vec::new(),
            })),
        };
        self.cursor = body_start;
        self.check = Some(Check {
            p: body_start,
            lb: body_start,
            origin: None,
        });
        if kind == BodyKind::Message {
            let path = self.frames[top].path.child(0);
            self.push_part(path, false, body_start)?;
        }
        Ok(())
    }

    /// Opens a part whose header block starts at `start`.
    fn push_part(
        &mut self,
        path: PartPath,
        in_digest: bool,
        start: u64,
    ) -> Result<(), StreamError> {
        let limits = self.opts.parse.limits;
        if path.depth() > limits.max_depth {
            return Err(Error::DepthLimit(limits.max_depth).into());
        }
        self.parts += 1;
        if self.parts > limits.max_parts {
            return Err(Error::PartLimit(limits.max_parts).into());
        }
        self.frames.push(Frame {
            path,
            index: self.parts - 1,
            in_digest,
            transfer_encoding: TransferEncoding::SevenBit,
            defects: Vec::new(),
            body_start: start,
            mode: Mode::Header(HeaderScan::new(start, FromLine::Done)),
        });
        self.cursor = start;
        self.check = Some(Check {
            p: start,
            lb: start,
            origin: None,
        });
        Ok(())
    }

    fn step_content(
        &mut self,
        limit: Option<u64>,
        active_from: usize,
    ) -> Result<Step, StreamError> {
        if let Some(check) = self.check {
            match self.check_line(check, limit, active_from)? {
                Found::NeedMore => return Ok(Step::Wait),
                Found::Line(level, line) => {
                    self.check = None;
                    self.begin_cut(check, level, line);
                    return Ok(Step::Continue);
                }
                Found::None | Found::TooLong => {
                    self.check = None;
                    self.emit_content(check.lb, check.p)?;
                }
            }
        }
        let end = limit.unwrap_or(self.end_offset());
        let c = self.cursor;
        if c >= end {
            return Ok(if limit.is_some() {
                Step::AtEnd
            } else {
                Step::Wait
            });
        }
        if !self.any_active(active_from) {
            self.emit_content(c, end)?;
            self.cursor = end;
            return Ok(if limit.is_some() {
                Step::AtEnd
            } else {
                Step::Wait
            });
        }
        if let Some(i) = memmem::find(self.bytes(c, end), b"\n--") {
            let i = c + i as u64;
            let lb = if i > c && self.byte(i - 1) == Some(b'\r') {
                i - 1
            } else {
                i
            };
            self.emit_content(c, lb)?;
            self.cursor = i + 1;
            self.check = Some(Check {
                p: i + 1,
                lb,
                origin: None,
            });
            return Ok(Step::Continue);
        }
        if limit.is_some() {
            self.emit_content(c, end)?;
            self.cursor = end;
            return Ok(Step::AtEnd);
        }
        // Hold back what could begin "\r\n--" or "\n--".
        let s = self.bytes(c, end);
        let keep = if s.ends_with(b"\r\n-") {
            3
        } else if s.ends_with(b"\n-") || s.ends_with(b"\r\n") {
            2
        } else if s.ends_with(b"\n") || s.ends_with(b"\r") {
            1
        } else {
            0
        };
        self.emit_content(c, end - keep)?;
        self.cursor = end - keep;
        Ok(Step::Wait)
    }

    fn is_active(frame: &Frame) -> Option<&[u8]> {
        match &frame.mode {
            Mode::Multipart(m) if m.phase != Phase::Epilogue && !m.closed_early => Some(&m.delim),
            _ => None,
        }
    }

    fn any_active(&self, from: usize) -> bool {
        self.frames
            .get(from..)
            .is_some_and(|f| f.iter().any(|f| Self::is_active(f).is_some()))
    }

    /// Tests the line start of `check` against the open multiparts.
    fn check_line(
        &mut self,
        check: Check,
        limit: Option<u64>,
        active_from: usize,
    ) -> Result<Found, StreamError> {
        let max = self.opts.max_lookahead;
        let cap = check.p.saturating_add(max as u64);
        match self.find_line(check.p, self.frames.len(), active_from, limit, cap) {
            Found::TooLong => Err(StreamError::LookaheadLimit(max)),
            Found::NeedMore => {
                // Retry once the lookahead has doubled, so a long candidate
                // fed byte by byte is not rescanned from its start every time.
                let have = self.end_offset().saturating_sub(check.p);
                self.wait_until = self.end_offset() + have.max(16);
                Ok(Found::NeedMore)
            }
            found => Ok(found),
        }
    }

    /// The outermost multipart among `from..upto` with a boundary line at
    /// `p`, looking at no byte at or past `cap` (the same decision for any
    /// split of the input: a line that needs more is [`Found::TooLong`]).
    fn find_line(&self, p: u64, upto: usize, from: usize, limit: Option<u64>, cap: u64) -> Found {
        let available = limit.unwrap_or(self.end_offset());
        let truncated = cap < available;
        let s = self.bytes(p, available.min(cap));
        for j in from..upto {
            let Some(delim) = self.frames.get(j).and_then(Self::is_active) else {
                continue;
            };
            match classify(s, p, delim, limit.is_some() && !truncated) {
                LineMatch::No => {}
                LineMatch::NeedMore if truncated => return Found::TooLong,
                LineMatch::NeedMore => return Found::NeedMore,
                LineMatch::Yes(line) => return Found::Line(j, line),
                LineMatch::IfEnclosingEndsAt { line, next } => {
                    match self.find_line(next, j, from, limit, cap) {
                        Found::Line(..) => return Found::Line(j, line),
                        Found::None => {}
                        other => return other,
                    }
                }
            }
        }
        Found::None
    }

    /// A boundary line of frame `level` starts at `check.p`: the parts
    /// inside it end where its line break starts.
    fn begin_cut(&mut self, check: Check, level: usize, line: BoundaryLine) {
        let end = if check.lb < check.p {
            check.lb
        } else {
            match check.origin {
                // The region began right after a boundary line of a deeper
                // multipart, whose range this line ends at that line's break.
                Some((k, term)) if k > level => term,
                _ => check.p,
            }
        };
        self.cursor = check.p;
        self.cuts.push(Cut { level, end, line });
    }

    /// The innermost part is the multipart whose boundary line was found.
    fn apply_boundary(&mut self, cut: Cut) -> Result<(), StreamError> {
        let top = self.frames.len() - 1;
        if let Mode::Multipart(m) = &mut self.frames[top].mode
            && m.phase == Phase::Preamble
            && cut.line.close
        {
            // A close-delimiter before any dash-boundary line (RFC 2046
            // §5.1.1): the part has no body parts and stays a leaf
            // (`pop` reports `NoBoundaryFound`). The line and the line
            // break before it are body bytes like the rest; `begin_cut`
            // left the cursor at the line start, and no multipart in
            // this part has children, so `cut.end` is that line break.
            m.closed_early = true;
            let line_start = self.cursor;
            self.emit_content(cut.end, line_start)?;
            return Ok(());
        }
        self.flush_out();
        let frame = &mut self.frames[top];
        let Mode::Multipart(m) = &mut frame.mode else {
            return Ok(());
        };
        if m.phase == Phase::Preamble {
            m.preamble_end = Some(cut.end);
        }
        let after = cut.line.after;
        let origin = Some((top, cut.line.term));
        if cut.line.close {
            m.phase = Phase::Epilogue;
            m.epilogue_start = after;
            self.cursor = after;
            self.check = Some(Check {
                p: after,
                lb: after,
                origin,
            });
        } else {
            m.phase = Phase::Parts;
            m.children += 1;
            let (path, digest) = (frame.path.child(m.children - 1), m.digest);
            self.push_part(path, digest, after)?;
            self.check = Some(Check {
                p: after,
                lb: after,
                origin,
            });
        }
        Ok(())
    }

    /// Sends the innermost part's content `from..to` where it belongs.
    fn emit_content(&mut self, from: u64, to: u64) -> Result<(), StreamError> {
        if from >= to {
            return Ok(());
        }
        let chunk = self.opts.chunk_size;
        let strict = self.opts.parse.strict;
        let raw_body = self.opts.raw_body;
        let keep_text = self.opts.preamble_epilogue;
        let a = (from.max(self.base) - self.base) as usize;
        let b = (to - self.base) as usize;
        let Some(frame) = self.frames.last_mut() else {
            return Ok(());
        };
        let input = &self.buf[a..b];
        match &mut frame.mode {
            Mode::Leaf { decoder, defects } => {
                // Pieces end where a raw event fills, so the order of Body
                // and RawBody events depends on the input only.
                let mut rest = input;
                while !rest.is_empty() {
                    let raw_room = if raw_body {
                        chunk - self.raw_out.len()
                    } else {
                        usize::MAX
                    };
                    let room = chunk
                        .saturating_sub(self.out.len())
                        .max(1)
                        .min(raw_room)
                        .min(rest.len());
                    let (piece, tail) = rest.split_at(room);
                    decoder.decode(piece, &mut self.out, defects);
                    flush_full(&mut self.out, chunk, &mut self.events, |data| {
                        StreamEvent::Body {
                            path: frame.path.clone(),
                            data,
                        }
                    });
                    if raw_body {
                        self.raw_out.extend_from_slice(piece);
                        flush_full(&mut self.raw_out, chunk, &mut self.events, |data| {
                            StreamEvent::RawBody {
                                path: frame.path.clone(),
                                data,
                            }
                        });
                    }
                    rest = tail;
                }
                if strict && let Some(&d) = defects.first() {
                    return Err(Error::Defect(d).into());
                }
            }
            Mode::Multipart(m) => {
                if m.phase == Phase::Preamble
                    && let Some(d) = &mut m.speculative
                {
                    d.decode(input, &mut self.scratch, &mut m.speculative_defects);
                    self.scratch.clear();
                }
                if keep_text && m.phase != Phase::Parts {
                    let preamble = m.phase == Phase::Preamble;
                    let mut rest = input;
                    while !rest.is_empty() {
                        let room = chunk.saturating_sub(self.out.len()).max(1).min(rest.len());
                        self.out.extend_from_slice(&rest[..room]);
                        rest = &rest[room..];
                        flush_full(&mut self.out, chunk, &mut self.events, |data| {
                            let path = frame.path.clone();
                            if preamble {
                                StreamEvent::Preamble { path, data }
                            } else {
                                StreamEvent::Epilogue { path, data }
                            }
                        });
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Emits the innermost part's pending data.
    fn flush_out(&mut self) {
        let Some(frame) = self.frames.last() else {
            return;
        };
        let chunk = self.opts.chunk_size;
        let path = &frame.path;
        match &frame.mode {
            Mode::Leaf { .. } => {
                flush_rest(&mut self.out, chunk, &mut self.events, |data| {
                    StreamEvent::Body {
                        path: path.clone(),
                        data,
                    }
                });
                flush_rest(&mut self.raw_out, chunk, &mut self.events, |data| {
                    StreamEvent::RawBody {
                        path: path.clone(),
                        data,
                    }
                });
            }
            Mode::Multipart(m) => {
                let preamble = m.phase == Phase::Preamble;
                flush_rest(&mut self.out, chunk, &mut self.events, |data| {
                    let path = path.clone();
                    if preamble {
                        StreamEvent::Preamble { path, data }
                    } else {
                        StreamEvent::Epilogue { path, data }
                    }
                });
            }
            _ => {}
        }
    }

    /// Ends the innermost part at stream offset `end`.
    fn pop(&mut self, end: u64) -> Result<(), StreamError> {
        let strict = self.opts.parse.strict;
        if let Some(Frame {
            mode: Mode::Leaf { decoder, defects },
            ..
        }) = self.frames.last_mut()
        {
            decoder.finish(&mut self.out, defects);
        }
        self.flush_out();
        let Some(mut frame) = self.frames.pop() else {
            return Ok(());
        };
        let mut body_defects = Vec::new();
        let mut preamble = None;
        let mut epilogue = None;
        let kind = match frame.mode {
            Mode::Header(_) | Mode::Leaf { .. } => {
                if let Mode::Leaf { defects, .. } = frame.mode {
                    body_defects = defects;
                }
                BodyKind::Leaf
            }
            Mode::Message => BodyKind::Message,
            Mode::Multipart(mut m) => match m.preamble_end {
                None => {
                    push_once(&mut frame.defects, Defect::NoBoundaryFound);
                    if let Some(d) = &mut m.speculative {
                        d.finish(&mut self.scratch, &mut m.speculative_defects);
                        self.scratch.clear();
                    }
                    body_defects = m.speculative_defects;
                    BodyKind::Leaf
                }
                Some(preamble_end) => {
                    preamble = Some(frame.body_start..preamble_end.max(frame.body_start));
                    epilogue = Some(if m.phase == Phase::Epilogue {
                        m.epilogue_start.min(end)..end
                    } else {
                        push_once(&mut frame.defects, Defect::MissingFinalBoundary);
                        end..end
                    });
                    BodyKind::Multipart
                }
            },
        };
        if strict && let Some(&d) = frame.defects.first().or(body_defects.first()) {
            return Err(Error::Defect(d).into());
        }
        let part_end = PartEnd {
            path: frame.path,
            index: frame.index,
            kind,
            body_range: frame.body_start.min(end)..end,
            preamble,
            epilogue,
            defects: frame.defects,
            body_defects,
        };
        self.events
            .push_back(StreamEvent::PartEnd(Box::new(part_end)));
        self.cursor = self.cursor.max(end);
        Ok(())
    }
}

impl std::fmt::Debug for StreamParser {
    /// Positions and sizes only: the buffered message bytes are not printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamParser")
            .field("offset", &self.end_offset())
            .field("buffered_len", &self.buffered_len())
            .field(
                "open_parts",
                &self.frames.iter().map(|f| &f.path).collect::<Vec<_>>(),
            )
            .field("queued_events", &self.events.len())
            .field("finished", &self.finished)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl HeaderScan {
    fn new(start: u64, from_line: FromLine) -> HeaderScan {
        HeaderScan {
            hs: start,
            line: start,
            scanned: start,
            nl: None,
            fields: 0,
            from_line,
        }
    }
}

/// Emits `out` in pieces of exactly `chunk` bytes while it holds that many.
fn flush_full(
    out: &mut Vec<u8>,
    chunk: usize,
    events: &mut VecDeque<StreamEvent>,
    make: impl Fn(Bytes) -> StreamEvent,
) {
    while out.len() >= chunk {
        let rest = out[chunk..].to_vec();
        out.truncate(chunk);
        let full = std::mem::replace(out, rest);
        events.push_back(make(Bytes::from(full)));
    }
}

/// Emits all `out` holds: full pieces, then the rest.
fn flush_rest(
    out: &mut Vec<u8>,
    chunk: usize,
    events: &mut VecDeque<StreamEvent>,
    make: impl Fn(Bytes) -> StreamEvent,
) {
    flush_full(out, chunk, events, &make);
    if !out.is_empty() {
        events.push_back(make(Bytes::from(std::mem::take(out))));
    }
}

/// `field-name = 1*ftext`, `ftext = %d33-57 / %d59-126` (RFC 5322 §3.6.8),
/// the test `split_header_block` applies to the text before the colon.
fn is_field_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&b| (33..=126).contains(&b) && b != b':')
}

#[cfg(test)]
mod tests {
    use super::super::{BodyKind, MessageSummary};
    use super::*;
    use crate::Message;

    /// Streams `input` in two pieces cut at every point and byte by byte:
    /// always the whole-buffer summary.
    fn streams_like_the_whole_parse(input: &[u8]) -> MessageSummary {
        let want = MessageSummary::from_message(&Message::parse(input).unwrap());
        let options = StreamOptions::default();
        for k in 0..=input.len() {
            let (a, b) = input.split_at(k);
            assert_eq!(
                MessageSummary::stream([a, b], options).unwrap(),
                want,
                "split at {k}"
            );
        }
        let bytewise = MessageSummary::stream(input.chunks(1), options).unwrap();
        assert_eq!(bytewise, want);
        want
    }

    #[test]
    fn close_delimiter_in_the_preamble_leaves_a_leaf_rfc2046_5_1_1() {
        // CPython's msg_42 shape: the inner multipart's only boundary line
        // is its close-delimiter, so it has no body parts (RFC 2046 §5.1.1).
        let inner = b"Content-Type: multipart/mixed; boundary=a\n\n--a\n\nStuff\n\
            --a\nContent-Type: message/rfc822\n\n\
            Content-Type: multipart/mixed; boundary=\"BBB\"\n\n--BBB--\n\n--a--\n";
        let got = streams_like_the_whole_parse(inner);
        let leaf = &got.parts[3];
        assert_eq!(leaf.path, [1, 0]);
        assert_eq!(leaf.kind, BodyKind::Leaf);
        assert_eq!(leaf.defects, [Defect::NoBoundaryFound]);
        assert_eq!(leaf.body.as_deref(), Some(&b"--BBB--\n"[..]));
        // Later lines of that boundary are body bytes too; an enclosing
        // boundary still ends it, with CRLF and with CR CR LF.
        for input in [
            &b"Content-Type: multipart/mixed; boundary=b\n\n--b--\n--b\n\nx\n--b--\n"[..],
            b"Content-Type: multipart/mixed; boundary=b\r\n\r\npre\r\n--b-- \r\nepi\r\n--b\r\n",
            b"Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n\
              Content-Type: multipart/mixed; boundary=c\r\n\r\n--c--\r\r\n--a\r\nx\r\n--a--",
            b"Content-Type: multipart/mixed; boundary=a\n\n--a\n\
              Content-Type: multipart/mixed; boundary=c\n\n--c--\n--c\n\ny\n--a--\n",
        ] {
            let got = streams_like_the_whole_parse(input);
            let leaf = got
                .parts
                .iter()
                .find(|p| p.content_type.boundary().is_some_and(|b| b != "a"))
                .unwrap();
            assert_eq!(leaf.kind, BodyKind::Leaf);
            assert_eq!(leaf.defects, [Defect::NoBoundaryFound]);
        }
    }
}
