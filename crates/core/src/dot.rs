//! The dot-stuffing transparency procedure, streaming, both directions.
//!
//! SMTP DATA (RFC 5321 §4.5.2) and POP3 multi-line responses (RFC 1939 §3)
//! end a block of lines with a line holding only `.`, so a line of content
//! that starts with `.` gets one more `.` in front on the wire.
//!
//! Both halves here are strict about line endings because loose ones are how
//! SMTP smuggling works (SEC Consult, 2023): if one server took `LF.LF` as the
//! end of the data and the next took only `CRLF.CRLF`, a message could carry a
//! second, forged one. So only `CRLF.CRLF` ends data, and a bare `CR` or `LF`
//! is either refused or turned into `CRLF`, never taken as a line end that
//! could start a terminator.

use bytes::{BufMut, BytesMut};

/// Which bare line ending broke the rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BareLineEnding {
    /// A `CR` not followed by `LF`.
    Cr,
    /// An `LF` not preceded by `CR`.
    Lf,
}

/// Why a [`DotUnstuffer`] stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UnstuffError {
    /// The data held a bare `CR` or `LF` and the policy is to reject it.
    #[error("bare {0:?} in data")]
    BareLineEnding(BareLineEnding),
    /// A line was longer than the strict limit in force.
    #[error("data line longer than {limit} octets")]
    LineTooLong {
        /// The limit, `CRLF` included.
        limit: usize,
    },
}

/// What one [`DotUnstuffer::unstuff`] call found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unstuffed {
    /// Every octet of the input was consumed and the data goes on. At most
    /// two undecided octets (a final `CR`, a `.` or `.CR` at a line start)
    /// are held inside the unstuffer until the next input decides them.
    NeedMore,
    /// The terminating `CRLF.CRLF` ends `consumed` octets into the input;
    /// what follows it (pipelined commands) was not touched.
    End {
        /// Octets of the input read up to and including the terminator.
        consumed: usize,
    },
}

/// Where the unstuffer stands relative to line starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineStart {
    /// Inside a line.
    No,
    /// Just after a real `CRLF`: a `.CRLF` line here ends the data.
    AfterCrlf,
    /// Just after a bare `CR` or `LF` that was normalised to `CRLF`: a
    /// stuffed dot is removed, but nothing here can end the data, since only
    /// a real `CRLF.CRLF` does (Postfix's `smtpd_forbid_bare_newline =
    /// normalize` draws the same line).
    AfterBareEnding,
}

/// Removes dot-stuffing from a stream and finds the end of the data.
///
/// It reads each input where it lies (the caller's read buffer) and copies
/// the content, without the stuffing dots, into the caller's output
/// [`BytesMut`], from which the caller splits off zero-copy chunks. That is
/// the one copy any unstuffer makes; an earlier design unstuffed in place in
/// the framer's buffer, which cost a second copy of every read into that
/// buffer first. Octets it cannot decide yet (at most two) stay inside it,
/// so the caller never has to keep a tail of its own.
///
/// Bare `CR` and `LF` are refused ([`UnstuffError::BareLineEnding`]) unless
/// [`normalize_bare_line_endings`](Self::normalize_bare_line_endings) is set,
/// in which case each becomes `CRLF` in the output. Either way they never end
/// a line that could terminate the data: `LF.LF`, `CR.CR` and every mix of
/// them are content (SECURITY.md SM-S1, SM-S2).
///
/// ```
/// use bytes::BytesMut;
/// use postwire_core::{DotUnstuffer, Unstuffed};
///
/// let mut unstuffer = DotUnstuffer::new();
/// let mut content = BytesMut::new();
/// // The first read ends between the CR and the LF of a line end.
/// let step = unstuffer.unstuff(b"Hi\r\n..dot\r", &mut content);
/// assert_eq!(step, Ok(Unstuffed::NeedMore));
/// // The second holds the rest of the data and the next command.
/// let step = unstuffer.unstuff(b"\n.\r\nQUIT\r\n", &mut content);
/// assert_eq!(step, Ok(Unstuffed::End { consumed: 4 }));
/// assert_eq!(&content[..], b"Hi\r\n.dot\r\n");
/// ```
#[derive(Debug, Clone)]
pub struct DotUnstuffer {
    line_start: LineStart,
    normalize: bool,
    max_line: Option<usize>,
    line_len: usize,
    done: bool,
    /// Undecided octets from the end of the last input: `held[..held_len]`.
    held: [u8; 2],
    held_len: u8,
}

/// Finds `LF .` for the fast path; built once, shared by every unstuffer.
static LINE_START_DOT: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\n."));

impl Default for DotUnstuffer {
    fn default() -> Self {
        Self::new()
    }
}

impl DotUnstuffer {
    /// An unstuffer at the start of the data (just after the line that began
    /// it), refusing bare line endings, with no line length limit.
    pub fn new() -> Self {
        Self {
            line_start: LineStart::AfterCrlf,
            normalize: false,
            max_line: None,
            line_len: 0,
            done: false,
            held: [0; 2],
            held_len: 0,
        }
    }

    /// Turns each bare `CR` or `LF` into `CRLF` instead of refusing it.
    pub fn normalize_bare_line_endings(mut self, normalize: bool) -> Self {
        self.normalize = normalize;
        self
    }

    /// Refuses lines longer than `limit` octets, `CRLF` and any stuffing dot
    /// included (RFC 5321 §4.5.3.1.6 sets 1000; real mail often breaks it).
    pub fn max_line(mut self, limit: Option<usize>) -> Self {
        self.max_line = limit;
        self
    }

    /// Whether the terminator was seen.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Reads `input`, appends its content (stuffing dots removed) to `out`,
    /// and says whether the data ended in it. Call it with each read until
    /// it returns [`Unstuffed::End`]; after that it consumes nothing and
    /// keeps returning `End { consumed: 0 }`.
    ///
    /// On an error the content of this call already in `out` is partial;
    /// the data cannot be framed safely anyway (SECURITY.md SM-S2).
    pub fn unstuff(&mut self, input: &[u8], out: &mut BytesMut) -> Result<Unstuffed, UnstuffError> {
        if self.done {
            return Ok(Unstuffed::End { consumed: 0 });
        }
        out.reserve(input.len() + 2);
        let mut pos = 0;
        // Octets held from the last input are decided together with the
        // first few of this one, on a small joined copy: three more octets
        // settle any held pair (`.CR` + `LF` is the longest pattern).
        while self.held_len > 0 && pos < input.len() {
            let held = usize::from(self.held_len);
            let take = (input.len() - pos).min(3);
            let mut joined = [0u8; 5];
            joined[..held].copy_from_slice(&self.held[..held]);
            joined[held..held + take].copy_from_slice(&input[pos..pos + take]);
            let joined = &joined[..held + take];
            self.held_len = 0;
            let used = self.scan(joined, out)?;
            if self.done {
                return Ok(Unstuffed::End {
                    consumed: pos + used - held,
                });
            }
            self.hold(&joined[used..]);
            pos += take;
        }
        if self.held_len > 0 {
            // The input ran out before the held octets were decided.
            return Ok(Unstuffed::NeedMore);
        }
        let used = self.scan(&input[pos..], out)?;
        if self.done {
            return Ok(Unstuffed::End {
                consumed: pos + used,
            });
        }
        self.hold(&input[pos + used..]);
        Ok(Unstuffed::NeedMore)
    }

    /// Keeps the undecided end of an input (at most two octets, see
    /// [`scan`](Self::scan)) for the next call.
    fn hold(&mut self, rest: &[u8]) {
        debug_assert!(rest.len() <= self.held.len());
        let n = rest.len().min(self.held.len());
        self.held[..n].copy_from_slice(&rest[..n]);
        self.held_len = n as u8;
    }

    /// Reads `input` up to its end or the terminator, copying content to
    /// `out`, and returns how many octets it consumed. It stops short of
    /// the end only before undecided octets: a final `CR` (its `LF` may
    /// come next), or a `.` or `.CR` at a line start (stuffing, content or
    /// the terminator). Sets `done` after the terminator.
    fn scan(&mut self, input: &[u8], out: &mut BytesMut) -> Result<usize, UnstuffError> {
        // `pos` walks over the input; `input[seg..pos]` is content not yet
        // copied to `out`.
        let mut pos = 0;
        let mut seg = 0;
        loop {
            if pos == input.len() {
                out.extend_from_slice(&input[seg..pos]);
                return Ok(pos);
            }
            if self.line_start != LineStart::No {
                let after_crlf = self.line_start == LineStart::AfterCrlf;
                match input.get(pos..(pos + 3).min(input.len())) {
                    Some([b'.', b'\r', b'\n']) if after_crlf => {
                        out.extend_from_slice(&input[seg..pos]);
                        self.done = true;
                        return Ok(pos + 3);
                    }
                    Some([b'.']) | Some([b'.', b'\r']) => {
                        out.extend_from_slice(&input[seg..pos]);
                        return Ok(pos);
                    }
                    // A lone dot after a normalised bare line ending: never a
                    // terminator (that is the smuggling trick), kept as content.
                    Some([b'.', b'\r', b'\n']) => self.line_start = LineStart::No,
                    // A lone dot ended by a bare CR or LF: not a terminator,
                    // and not stuffing either; the scan below applies the
                    // bare line ending policy and the dot stays content.
                    Some([b'.', b'\n', ..]) | Some([b'.', b'\r', _]) => {
                        self.line_start = LineStart::No
                    }
                    Some([b'.', ..]) => {
                        // A stuffed dot: drop it.
                        out.extend_from_slice(&input[seg..pos]);
                        pos += 1;
                        seg = pos;
                        self.line_start = LineStart::No;
                        self.line_len = 1;
                        continue;
                    }
                    _ => self.line_start = LineStart::No,
                }
            }
            if self.max_line.is_none() {
                // Fast path: skip every byte that needs no decision in one
                // vectorised pass (see `clean_run`), then decide the byte
                // that stopped it below.
                let (skipped, at_line_start) = clean_run(&input[pos..], &LINE_START_DOT);
                pos += skipped;
                if at_line_start {
                    self.line_start = LineStart::AfterCrlf;
                    continue;
                }
                if pos == input.len() || skipped > 0 {
                    // The end, or the window ended inside a line, or a bare
                    // ending follows: look again from here.
                    continue;
                }
            }
            let rest = &input[pos..];
            let Some(i) = memchr::memchr2(b'\r', b'\n', rest) else {
                self.check_line_len(rest.len())?;
                pos = input.len();
                continue;
            };
            match (rest[i], rest.get(i + 1)) {
                (b'\r', Some(b'\n')) => {
                    self.check_line_len(i + 2)?;
                    pos += i + 2;
                    self.line_start = LineStart::AfterCrlf;
                    self.line_len = 0;
                }
                (b'\r', None) => {
                    self.check_line_len(i)?;
                    pos += i;
                    out.extend_from_slice(&input[seg..pos]);
                    return Ok(pos);
                }
                (bare, _) => {
                    let which = if bare == b'\r' {
                        BareLineEnding::Cr
                    } else {
                        BareLineEnding::Lf
                    };
                    if !self.normalize {
                        return Err(UnstuffError::BareLineEnding(which));
                    }
                    self.check_line_len(i + 2)?;
                    out.extend_from_slice(&input[seg..pos + i]);
                    out.extend_from_slice(b"\r\n");
                    pos += i + 1;
                    seg = pos;
                    self.line_start = LineStart::AfterBareEnding;
                    self.line_len = 0;
                }
            }
        }
    }

    fn check_line_len(&mut self, more: usize) -> Result<(), UnstuffError> {
        self.line_len += more;
        match self.max_line {
            Some(limit) if self.line_len > limit => Err(UnstuffError::LineTooLong { limit }),
            _ => Ok(()),
        }
    }
}

/// How far [`clean_run`] looks ahead at once. Bounding the window keeps
/// the work per call small when bare line endings are normalised one by
/// one (each costs at most one window of scanning), while a clean body
/// still goes by in runs long enough that the per-call cost vanishes.
const WINDOW: usize = 4096;

/// Whether any of the `N` byte pairs `(data[i], data[i + 1])` from `from`
/// on is a bare line ending: a `CR` not followed by `LF` or an `LF` not
/// preceded by `CR`. `true` when `data` is too short, so that the caller
/// looks closer. Branch-free over fixed-size arrays, so that the compiler
/// unrolls and vectorises it.
#[inline(always)]
fn any_bare_pair<const N: usize>(data: &[u8], from: usize) -> bool {
    let a = data.get(from..).and_then(|d| d.first_chunk::<N>());
    let b = data.get(from + 1..).and_then(|d| d.first_chunk::<N>());
    match (a, b) {
        (Some(a), Some(b)) => {
            let mut bare = false;
            for k in 0..N {
                bare |= (a[k] == b'\r') != (b[k] == b'\n');
            }
            bare
        }
        _ => true,
    }
}

/// The first pair `(data[i], data[i + 1])` that holds a bare line ending:
/// blocks of 64 pairs, then 16, then the last 16 pairs (overlapping pairs
/// already checked, which is harmless), and one by one only in a block
/// known to hold one. Clean mail text never takes the byte-by-byte loop.
fn first_bare_pair(data: &[u8]) -> Option<usize> {
    let pairs = data.len().saturating_sub(1);
    let mut i = 0;
    while i + 64 <= pairs && !any_bare_pair::<64>(data, i) {
        i += 64;
    }
    while i + 16 <= pairs && !any_bare_pair::<16>(data, i) {
        i += 16;
    }
    // Fewer than 16 pairs left (and not a block that holds one): the last
    // 16 cover them.
    if i < pairs && i + 16 > pairs && pairs >= 16 && !any_bare_pair::<16>(data, pairs - 16) {
        return None;
    }
    (i..pairs).find(|&k| (data[k] == b'\r') != (data[k + 1] == b'\n'))
}

/// How many bytes at the front of `data` (which starts inside a line) are
/// plain content, and whether they end just after a real `CRLF`.
///
/// The run stops before the first byte that needs a decision: a bare `CR`
/// or `LF`, the `.` after a `CRLF` (stuffing or the terminator), or a `CR`
/// at the very end (its `LF` may come in the next read). A `CRLF` is never
/// split. `dot` (a `memmem` finder for `LF .`, vectorised) bounds the run
/// at the next line that starts with a dot; a branch-free pass over byte
/// pairs then proves that every `CR` before it is followed, and every `LF`
/// preceded, by its other half. A clean body costs about half an
/// instruction per byte and no call per line.
fn clean_run(data: &[u8], dot: &memchr::memmem::Finder<'_>) -> (usize, bool) {
    if data.first() == Some(&b'\n') {
        return (0, false);
    }
    let window = data.get(..WINDOW).unwrap_or(data);
    // Up to and including the LF before the first line-start dot.
    let region = match dot.find(window) {
        Some(lf) => window.get(..=lf).unwrap_or(window),
        None => window,
    };
    let mut end = match first_bare_pair(region) {
        // A bare CR at `i`.
        Some(i) if region[i] == b'\r' => i,
        // A bare LF at `i + 1`; `region[i]` is content or the LF of a CRLF.
        Some(i) => i + 1,
        None => region.len(),
    };
    // Never cut a CRLF in two, and leave a final CR for the next read: the
    // careful path must see both halves.
    if end > 0 && region[end - 1] == b'\r' {
        end -= 1;
    }
    (end, end > 0 && region[end - 1] == b'\n')
}

/// Applies dot-stuffing and `CRLF` normalisation to a stream of content, and
/// writes the terminator at the end.
///
/// Every bare `CR` and bare `LF` becomes `CRLF` *before* stuffing, so the
/// output has exactly one `CRLF.CRLF`, the one [`finish`](Self::finish)
/// writes (SECURITY.md SM-C1 to SM-C3; lettre's RUSTSEC-2021-0069 was a
/// stuffer that saw lines differently from the server).
///
/// [`normalize_only`](Self::normalize_only) gives the same normalisation
/// without stuffing or terminator, for SMTP BDAT without BINARYMIME.
#[derive(Debug, Clone)]
pub struct DotStuffer {
    at_line_start: bool,
    /// The previous chunk ended with `CR`; its `CRLF` is already written.
    pending_cr: bool,
    stuff: bool,
    written: u64,
}

impl Default for DotStuffer {
    fn default() -> Self {
        Self::new()
    }
}

impl DotStuffer {
    /// A stuffer at the start of the content.
    pub fn new() -> Self {
        Self {
            at_line_start: true,
            pending_cr: false,
            stuff: true,
            written: 0,
        }
    }

    /// A normaliser: bare `CR`/`LF` to `CRLF`, no dots added, no terminator.
    pub fn normalize_only() -> Self {
        Self {
            stuff: false,
            ..Self::new()
        }
    }

    /// How many octets were written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Appends the wire form of `content` to `out`.
    pub fn stuff(&mut self, mut content: &[u8], out: &mut BytesMut) {
        let start = out.len();
        out.reserve(content.len() + content.len() / 32 + 4);
        if self.pending_cr && !content.is_empty() {
            // The CRLF for that CR is out; an LF right after it belongs to it.
            if content[0] == b'\n' {
                content = &content[1..];
            }
            self.pending_cr = false;
        }
        while !content.is_empty() {
            if self.at_line_start {
                self.at_line_start = false;
                if self.stuff && content[0] == b'.' {
                    out.put_u8(b'.');
                }
            }
            match memchr::memchr2(b'\r', b'\n', content) {
                None => {
                    out.extend_from_slice(content);
                    break;
                }
                Some(i) => {
                    out.extend_from_slice(&content[..i]);
                    out.extend_from_slice(b"\r\n");
                    self.at_line_start = true;
                    let skip = match (content[i], content.get(i + 1)) {
                        (b'\r', Some(b'\n')) => 2,
                        (b'\r', None) => {
                            self.pending_cr = true;
                            1
                        }
                        _ => 1,
                    };
                    content = &content[i + skip..];
                }
            }
        }
        self.written += (out.len() - start) as u64;
    }

    /// Ends the content: a final `CRLF` if the content did not end with a
    /// line break, then `.CRLF` when stuffing.
    pub fn finish(&mut self, out: &mut BytesMut) {
        let start = out.len();
        if !self.at_line_start {
            out.extend_from_slice(b"\r\n");
            self.at_line_start = true;
        }
        if self.stuff {
            out.extend_from_slice(b".\r\n");
        }
        self.pending_cr = false;
        self.written += (out.len() - start) as u64;
    }

    /// Stuffs a whole body at once, terminator included.
    pub fn stuff_all(content: &[u8]) -> BytesMut {
        let mut out = BytesMut::with_capacity(content.len() + content.len() / 32 + 5);
        let mut stuffer = Self::new();
        stuffer.stuff(content, &mut out);
        stuffer.finish(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Feeds `input` to `u` in the given chunks; returns the content,
    /// whether the end was seen, what followed the end, or the error.
    fn run(
        mut u: DotUnstuffer,
        input: &[u8],
        splits: &[usize],
    ) -> Result<(Vec<u8>, bool, Vec<u8>), UnstuffError> {
        let mut out = BytesMut::new();
        let mut start = 0;
        for &end in splits.iter().chain(std::iter::once(&input.len())) {
            let end = end.clamp(start, input.len());
            match u.unstuff(&input[start..end], &mut out)? {
                Unstuffed::NeedMore => start = end,
                Unstuffed::End { consumed } => {
                    assert!(u.is_done());
                    assert_eq!(
                        u.unstuff(b".\r\n", &mut out),
                        Ok(Unstuffed::End { consumed: 0 })
                    );
                    return Ok((out.to_vec(), true, input[start + consumed..].to_vec()));
                }
            }
        }
        Ok((out.to_vec(), false, vec![]))
    }

    fn unstuff_chunks(
        input: &[u8],
        splits: &[usize],
        normalize: bool,
    ) -> Result<(Vec<u8>, bool, Vec<u8>), UnstuffError> {
        run(
            DotUnstuffer::new().normalize_bare_line_endings(normalize),
            input,
            splits,
        )
    }

    fn unstuff(input: &[u8]) -> Result<(Vec<u8>, bool, Vec<u8>), UnstuffError> {
        unstuff_chunks(input, &[], false)
    }

    #[test]
    fn removes_stuffing_and_finds_the_end_rfc5321_4_5_2() {
        let (data, end, rest) = unstuff(b"Hi\r\n..dot\r\n..\r\n\r\n.\r\nQUIT\r\n").unwrap();
        assert_eq!(data, b"Hi\r\n.dot\r\n.\r\n\r\n");
        assert!(end);
        assert_eq!(rest, b"QUIT\r\n");
    }

    #[test]
    fn empty_body_ends_at_once() {
        assert_eq!(
            unstuff(b".\r\nNOOP").unwrap(),
            (vec![], true, b"NOOP".to_vec())
        );
    }

    #[test]
    fn smuggling_terminators_are_refused_sm_s1() {
        for bad in [
            &b"a\n.\nMAIL FROM:<x>\r\n"[..],
            b"a\r.\rMAIL",
            b"a\n.\r\nMAIL",
            b"a\r.\r\nMAIL",
            b"a\r\n.\nMAIL",
            b"a\r\n.\r\r\nMAIL",
            b"a\r\r\n.\r\r\nMAIL",
        ] {
            assert!(
                matches!(unstuff(bad), Err(UnstuffError::BareLineEnding(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn nul_before_dot_is_content() {
        let (data, end, _) = unstuff(b"a\r\n\x00.\r\nMAIL\r\n.\r\n").unwrap();
        assert_eq!(data, b"a\r\n\x00.\r\nMAIL\r\n");
        assert!(end);
    }

    #[test]
    fn normalize_turns_bare_endings_into_crlf_but_never_ends() {
        let (data, end, rest) = unstuff_chunks(b"a\n.\nb\r.\rc\r\n.\r\nX", &[], true).unwrap();
        assert_eq!(data, b"a\r\n.\r\nb\r\n.\r\nc\r\n");
        assert!(end);
        assert_eq!(rest, b"X");
    }

    #[test]
    fn normalized_bare_ending_never_starts_a_terminator_sm_s1() {
        for (input, content) in [
            (&b"a\n.\r\nMAIL\r\n.\r\n"[..], &b"a\r\n.\r\nMAIL\r\n"[..]),
            (b"a\r.\r\nMAIL\r\n.\r\n", b"a\r\n.\r\nMAIL\r\n"),
            (b"a\n..b\r\n.\r\n", b"a\r\n.b\r\n"),
        ] {
            let whole = unstuff_chunks(input, &[], true).unwrap();
            assert_eq!(whole, (content.to_vec(), true, vec![]), "{input:?}");
            for split in 0..=input.len() {
                assert_eq!(unstuff_chunks(input, &[split], true).unwrap(), whole);
            }
        }
    }

    #[test]
    fn strict_line_limit() {
        let mut u = DotUnstuffer::new().max_line(Some(6));
        let mut out = BytesMut::new();
        assert_eq!(u.unstuff(b"abcd\r\nab", &mut out), Ok(Unstuffed::NeedMore));
        assert_eq!(
            u.unstuff(b"cde\r\n", &mut out),
            Err(UnstuffError::LineTooLong { limit: 6 })
        );
    }

    #[test]
    fn stuffer_normalizes_then_stuffs_sm_c1() {
        let out = DotStuffer::stuff_all(b".a\n.\r.\r\nb\r\rc");
        assert_eq!(&out[..], b"..a\r\n..\r\n..\r\nb\r\n\r\nc\r\n.\r\n");
        assert_eq!(&DotStuffer::stuff_all(b"")[..], b".\r\n");
        assert_eq!(&DotStuffer::stuff_all(b"x\r\n")[..], b"x\r\n.\r\n");
    }

    #[test]
    fn stuffer_keeps_crlf_split_across_chunks() {
        let mut s = DotStuffer::new();
        let mut out = BytesMut::new();
        s.stuff(b"a\r", &mut out);
        s.stuff(b"\n.b\r", &mut out);
        s.stuff(b"", &mut out);
        s.stuff(b"\r", &mut out);
        s.finish(&mut out);
        assert_eq!(&out[..], b"a\r\n..b\r\n\r\n.\r\n");
        assert_eq!(s.written(), out.len() as u64);
    }

    fn body_bytes() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            prop_oneof![
                Just(b'.'),
                Just(b'\r'),
                Just(b'\n'),
                Just(b'a'),
                Just(0u8),
                any::<u8>()
            ],
            0..300,
        )
    }

    /// Mostly clean mail text, long enough that the fast path's 64-pair
    /// blocks run: lines of up to 150 octets, some starting with a dot,
    /// some ending in a bare CR or LF, a terminator now and then.
    fn text_bytes() -> impl Strategy<Value = Vec<u8>> {
        let line = (
            prop_oneof![4 => Just(&b""[..]), 1 => Just(&b"."[..]), 1 => Just(&b".."[..])],
            0usize..150,
            prop_oneof![
                20 => Just(&b"\r\n"[..]),
                1 => Just(&b"\n"[..]),
                1 => Just(&b"\r"[..]),
                1 => Just(&b"\r\n.\r\n"[..])
            ],
        );
        proptest::collection::vec(line, 0..40).prop_map(|lines| {
            let mut out = Vec::new();
            for (start, len, end) in lines {
                out.extend_from_slice(start);
                out.extend((0..len).map(|i| b'a' + (i % 26) as u8));
                out.extend_from_slice(end);
            }
            out
        })
    }

    fn normalized(content: &[u8]) -> Vec<u8> {
        let mut out = BytesMut::new();
        let mut n = DotStuffer::normalize_only();
        n.stuff(content, &mut out);
        n.finish(&mut out);
        out.to_vec()
    }

    proptest! {
        #[test]
        fn stuff_then_unstuff_round_trips(content in body_bytes(), splits in proptest::collection::vec(0usize..400, 0..6)) {
            let mut splits = splits;
            splits.sort_unstable();
            let mut wire = BytesMut::new();
            let mut s = DotStuffer::new();
            let mut start = 0;
            for &end in &splits {
                let end = end.clamp(start, content.len());
                s.stuff(&content[start..end], &mut wire);
                start = end;
            }
            s.stuff(&content[start..], &mut wire);
            s.finish(&mut wire);
            wire.extend_from_slice(b"NEXT");
            // Exactly one terminator, at the end.
            let term = wire.windows(5).filter(|w| *w == b"\r\n.\r\n").count()
                + usize::from(wire.starts_with(b".\r\n"));
            prop_assert_eq!(term, 1);
            let (data, end, rest) = unstuff_chunks(&wire, &splits, false).unwrap();
            prop_assert!(end);
            prop_assert_eq!(rest, b"NEXT".to_vec());
            prop_assert_eq!(data, normalized(&content));
        }

        /// The vectorised fast path (no line limit) must decide exactly
        /// like the byte-by-byte path (which a line limit forces), for
        /// every split: it is the path every server runs (SM-S1, SM-S2).
        #[test]
        fn fast_path_matches_the_careful_path_sm_s1(input in prop_oneof![body_bytes(), text_bytes()], normalize in any::<bool>(), split in 0usize..6000) {
            let careful = DotUnstuffer::new().normalize_bare_line_endings(normalize).max_line(Some(usize::MAX));
            prop_assert_eq!(unstuff_chunks(&input, &[split], normalize), run(careful, &input, &[split]));
        }

        #[test]
        fn unstuffing_is_split_invariant(input in body_bytes(), normalize in any::<bool>()) {
            let whole = unstuff_chunks(&input, &[], normalize);
            for split in 0..=input.len() {
                prop_assert_eq!(&unstuff_chunks(&input, &[split], normalize), &whole);
            }
            let bytewise: Vec<usize> = (0..input.len()).collect();
            prop_assert_eq!(&unstuff_chunks(&input, &bytewise, normalize), &whole);
        }
    }
}
