//! Content-Transfer-Encoding for the builder (RFC 2045 §6): choosing one
//! per part, and the quoted-printable and base64 encoders. Both encoders
//! give the bytes back exactly through `crate::decode`, bare CR and LF
//! included, and write CRLF-terminated lines of at most 76 characters.

/// The encodings the builder writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// Short lines of ASCII, CRLF only, no NUL (RFC 2045 §2.7).
    SevenBit,
    /// The same with octets above 127 (RFC 2045 §2.8); needs 8BITMIME.
    EightBit,
    /// RFC 2045 §6.7.
    QuotedPrintable,
    /// RFC 2045 §6.8.
    Base64,
}

impl Encoding {
    /// The Content-Transfer-Encoding value.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Encoding::SevenBit => "7bit",
            Encoding::EightBit => "8bit",
            Encoding::QuotedPrintable => "quoted-printable",
            Encoding::Base64 => "base64",
        }
    }
}

/// What one pass over the content tells about it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scan {
    /// An octet above 127.
    pub(crate) eight_bit: bool,
    /// A NUL, or a CR or LF that is not part of a CRLF.
    pub(crate) unsafe_octets: bool,
    /// The longest line, without its CRLF.
    pub(crate) longest_line: usize,
    /// Roughly how long the quoted-printable form would be.
    pub(crate) qp_cost: usize,
}

/// Whether quoted-printable can write `b` as itself: printable ASCII
/// but `=`, and space and tab (RFC 2045 §6.7 rules 2 and 3; whitespace
/// at a line's end is the exception the encoder handles). In the
/// arithmetic form LLVM turns into vector compares.
#[inline(always)]
fn qp_plain(b: u8) -> bool {
    (b.wrapping_sub(b' ') < 95 && b != b'=') || b == b'\t'
}

/// Octets per block of the vectorized counting in [`count_escapes`].
const BLOCK: usize = 64;

/// How many octets of `bytes` quoted-printable escapes (CR and LF
/// included), whether one is above 127, and how many are LF. Whole
/// 64-octet blocks are counted with byte flags (an escape in the low
/// nibble, an LF in the high one) summed eight at a time in a word, which
/// LLVM vectorizes; the tail goes octet by octet.
fn count_escapes(bytes: &[u8]) -> (usize, bool, usize) {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const NIBBLES: u64 = 0x0f0f_0f0f_0f0f_0f0f;
    let mut escapes = 0usize;
    let mut line_feeds = 0usize;
    let mut high = 0u64;
    let mut blocks = bytes.chunks_exact(BLOCK);
    for block in &mut blocks {
        let Ok(block) = <&[u8; BLOCK]>::try_from(block) else {
            continue;
        };
        let flags: [u8; BLOCK] = std::array::from_fn(|k| {
            u8::from(!qp_plain(block[k])) | u8::from(block[k] == b'\n') << 4
        });
        let (mut sum, mut or) = (0u64, 0u64);
        for (f, b) in flags.chunks_exact(8).zip(block.chunks_exact(8)) {
            if let (Ok(f), Ok(b)) = (<[u8; 8]>::try_from(f), <[u8; 8]>::try_from(b)) {
                sum += u64::from_le_bytes(f);
                or |= u64::from_le_bytes(b);
            }
        }
        // Each nibble of `sum` is at most 8: adding them all up in the top
        // byte (at most 64).
        let add = |n: u64| (n.wrapping_mul(0x0101_0101_0101_0101) >> 56) as usize;
        escapes += add(sum & NIBBLES);
        line_feeds += add(sum >> 4 & NIBBLES);
        high |= or;
    }
    let mut eight_bit = high & HIGH != 0;
    for &b in blocks.remainder() {
        escapes += usize::from(!qp_plain(b));
        line_feeds += usize::from(b == b'\n');
        eight_bit |= b >= 128;
    }
    (escapes, eight_bit, line_feeds)
}

/// Octets [`Scan::of`] looks at between checks for an early stop.
const SCAN_PIECE: usize = 4096;

impl Scan {
    /// Scans `bytes`, a piece of 4 KiB at a time: the escapes counted in
    /// blocks, line ends found with `memchr`. It stops early once
    /// [`Scan::choose`] can only give base64 (a CR, LF or NUL outside
    /// CRLF rules out 7bit and 8bit, and the quoted-printable cost so far
    /// already exceeds what base64 would need for the whole): then
    /// `longest_line` and `qp_cost` are only what was seen so far, which
    /// changes none of the answers.
    pub(crate) fn of(bytes: &[u8]) -> Scan {
        let mut scan = Scan {
            eight_bit: false,
            unsafe_octets: false,
            longest_line: 0,
            qp_cost: 0,
        };
        // `choose` picks base64 once qp_cost * 4 > this.
        let base64_bound = base64_len(bytes.len()).saturating_mul(5);
        // Lines end at CRLF only: a bare CR or LF is an octet of the line.
        let (mut line_start, mut pos) = (0usize, 0usize);
        let (mut escapes, mut crlf, mut carriage_returns) = (0usize, 0usize, 0usize);
        for piece in bytes.chunks(SCAN_PIECE) {
            let (esc, high, _) = count_escapes(piece);
            escapes += esc;
            scan.eight_bit |= high;
            for nl in memchr::memchr_iter(b'\n', piece) {
                let at = pos + nl;
                if at > 0 && bytes[at - 1] == b'\r' {
                    crlf += 1;
                    scan.longest_line = scan.longest_line.max(at - 1 - line_start);
                    line_start = at + 1;
                } else {
                    scan.unsafe_octets = true;
                }
            }
            carriage_returns += memchr::memchr_iter(b'\r', piece).count();
            scan.unsafe_octets |= memchr::memchr(0, piece).is_some();
            pos += piece.len();
            // Each CRLF was counted as two escapes (six) and costs two. A
            // CR ending the piece may start a CRLF: not yet unsafe, and
            // its cost may drop by two.
            let open_cr = usize::from(piece.last() == Some(&b'\r'));
            scan.qp_cost = pos + 2 * escapes - 4 * crlf;
            if (scan.unsafe_octets || carriage_returns > crlf + open_cr)
                && (scan.qp_cost - 2 * open_cr).saturating_mul(4) > base64_bound
            {
                scan.unsafe_octets = true;
                return scan;
            }
        }
        scan.longest_line = scan.longest_line.max(bytes.len() - line_start);
        scan.unsafe_octets |= carriage_returns != crlf;
        scan
    }

    /// Whether `bytes` is 7bit data (RFC 2045 §2.7), the same answer as
    /// `Scan::of(bytes).is_seven_bit()` but stopping at the first octet
    /// that rules it out: for binary data, within the first few bytes.
    pub(crate) fn is_seven_bit_data(bytes: &[u8]) -> bool {
        let mut line = 0usize;
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    line = 0;
                    i += 2;
                    continue;
                }
                0 | b'\r' | b'\n' | 128.. => return false,
                _ => {}
            }
            line += 1;
            if line > super::fold::HARD_LIMIT {
                return false;
            }
            i += 1;
        }
        true
    }

    /// 7bit data (RFC 2045 §2.7).
    pub(crate) fn is_seven_bit(&self) -> bool {
        !self.eight_bit && self.is_eight_bit()
    }

    /// 8bit data (RFC 2045 §2.8): lines of at most 998 octets, CR and LF
    /// only as CRLF, no NUL.
    pub(crate) fn is_eight_bit(&self) -> bool {
        !self.unsafe_octets && self.longest_line <= super::fold::HARD_LIMIT
    }

    /// The encoding for this content: 7bit when it is 7bit data, 8bit when
    /// allowed and it is 8bit data, else quoted-printable when that is at
    /// most a quarter longer than base64 (mostly ASCII, which then stays
    /// readable), else base64.
    pub(crate) fn choose(&self, len: usize, allow_8bit: bool) -> Encoding {
        if self.is_seven_bit() {
            Encoding::SevenBit
        } else if allow_8bit && self.is_eight_bit() {
            Encoding::EightBit
        } else if self.qp_cost * 4 <= base64_len(len) * 5 {
            Encoding::QuotedPrintable
        } else {
            Encoding::Base64
        }
    }
}

impl Scan {
    /// About how long `len` octets of this content are in `encoding`:
    /// exact but for quoted-printable, where a soft break is assumed
    /// every 73 characters.
    pub(crate) fn encoded_len(&self, encoding: Encoding, len: usize) -> usize {
        match encoding {
            Encoding::SevenBit | Encoding::EightBit => len,
            Encoding::QuotedPrintable => self.qp_cost + self.qp_cost / 73 * 3 + 3,
            Encoding::Base64 => base64_len(len),
        }
    }
}

/// The length of the base64 form of `len` octets, line ends included.
pub(crate) fn base64_len(len: usize) -> usize {
    let chars = len.div_ceil(3) * 4;
    chars + chars.div_ceil(LINE) * 2
}

/// Text in canonical form (RFC 2046 §4.1.1): every CR, LF and CRLF
/// becomes CRLF, and non-empty text ends with one, with what putting it there learned about its
/// lines, so that [`Canonical::scan`] need not look for them again.
#[derive(Debug)]
pub(crate) struct Canonical {
    /// The text, every line ending in CRLF.
    pub(crate) bytes: Vec<u8>,
    /// How many lines (CRLFs) it has.
    pub(crate) lines: usize,
    /// The longest line, without its CRLF.
    pub(crate) longest_line: usize,
}

impl Canonical {
    /// Puts `text` in canonical form (RFC 2046 §4.1.1).
    pub(crate) fn of(text: &[u8]) -> Canonical {
        let mut out = Vec::with_capacity(text.len() + text.len() / 32 + 2);
        let (lines, longest_line) = put_canonical(text, &mut out);
        Canonical {
            bytes: out,
            lines,
            longest_line,
        }
    }

    /// The same as [`Scan::of`] on the bytes (which stops early in fewer
    /// cases), from one counting pass: in canonical text every CR and LF
    /// is part of a CRLF, and the lines are known.
    pub(crate) fn scan(&self) -> Scan {
        let (escapes, eight_bit, _) = count_escapes(&self.bytes);
        Scan {
            eight_bit,
            unsafe_octets: memchr::memchr(0, &self.bytes).is_some(),
            longest_line: self.longest_line,
            // Each CRLF was counted as two escapes (six) and costs two.
            qp_cost: self.bytes.len() + 2 * escapes - 4 * self.lines,
        }
    }
}

/// Characters per encoded line (RFC 2045 §6.7 rule 5, §6.8).
const LINE: usize = 76;

/// What [`Canonical::of`] followed by [`Canonical::scan`] would tell about
/// a text, learned without writing the canonical copy: the text bodies
/// are then encoded straight from the caller's text
/// ([`encode_text_quoted_printable`], [`write_canonical`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextScan {
    /// The scan of the canonical form.
    pub(crate) scan: Scan,
    /// The length of the canonical form.
    pub(crate) len: usize,
    /// How many lines it has.
    pub(crate) lines: usize,
}

impl TextScan {
    /// Measures `text` as if put in canonical form (RFC 2046 §4.1.1):
    /// the same answers as `Canonical::of(text).scan()`. The escapes are
    /// counted on the text itself, where every CR and LF is one; in the
    /// canonical form each line break is a CRLF, two escapes.
    ///
    /// When the text has octets above 127 and 8bit is not `allowed`, only
    /// quoted-printable or base64 can be chosen, and the longest line
    /// cannot matter: then a text without CR is only counted (its LFs),
    /// and `longest_line` is its whole length, a bound.
    pub(crate) fn of(text: &[u8], allow_8bit: bool) -> TextScan {
        let (escapes, eight_bit, line_feeds) = count_escapes(text);
        let (lines, longest_line, break_octets) = if eight_bit && !allow_8bit {
            count_lines(text, line_feeds)
        } else {
            line_breaks(text)
        };
        let len = text.len() - break_octets + 2 * lines;
        let escapes = escapes - break_octets + 2 * lines;
        TextScan {
            scan: Scan {
                eight_bit,
                unsafe_octets: memchr::memchr(0, text).is_some(),
                longest_line,
                // Each CRLF was counted as two escapes (six) and costs two.
                qp_cost: len + 2 * escapes - 4 * lines,
            },
            len,
            lines,
        }
    }
}

/// How many lines `text` has in canonical form (RFC 2046 §4.1.1), the
/// longest without its line break, and how many octets its line breaks
/// take (one for a CR or LF, two for a CRLF). Lines end at every LF
/// (after a CR or not) when no CR stands alone, which the common texts
/// (Unix or Internet line ends) meet: then only the LFs are visited.
fn line_breaks(text: &[u8]) -> (usize, usize, usize) {
    let (mut lines, mut longest_line, mut break_octets) = (0usize, 0usize, 0usize);
    let mut bare_cr = false;
    let mut crlf = 0usize;
    for at in memchr::memchr_iter(b'\r', text) {
        if text.get(at + 1) == Some(&b'\n') {
            crlf += 1;
        } else {
            bare_cr = true;
            break;
        }
    }
    let mut i = 0;
    if !bare_cr {
        for at in memchr::memchr_iter(b'\n', text) {
            lines += 1;
            let cr = at > i && text[at - 1] == b'\r';
            longest_line = longest_line.max(at - i - usize::from(cr));
            i = at + 1;
        }
        break_octets = lines + crlf;
    } else {
        while let Some(j) = memchr::memchr2(b'\r', b'\n', &text[i..]) {
            let at = i + j;
            lines += 1;
            longest_line = longest_line.max(j);
            let width = if text[at] == b'\r' && text.get(at + 1) == Some(&b'\n') {
                2
            } else {
                1
            };
            break_octets += width;
            i = at + width;
        }
    }
    if i < text.len() {
        lines += 1;
        longest_line = longest_line.max(text.len() - i);
    }
    (lines, longest_line, break_octets)
}

/// [`line_breaks`] without visiting the lines when `text` has no CR:
/// each of its `lf` LFs ends a line, and the longest line is bounded by
/// the length.
fn count_lines(text: &[u8], lf: usize) -> (usize, usize, usize) {
    if memchr::memchr(b'\r', text).is_some() {
        return line_breaks(text);
    }
    let open = text.last().is_some_and(|&b| b != b'\n');
    (lf + usize::from(open), text.len(), lf)
}

/// Appends `text` in canonical form (RFC 2046 §4.1.1), the same octets
/// as `Canonical::of(text).bytes`.
pub(crate) fn write_canonical(text: &[u8], out: &mut Vec<u8>) {
    put_canonical(text, out);
}

/// Appends `text` in canonical form, the text between line breaks copied
/// in runs, and returns how many lines it wrote and the longest one
/// (without its CRLF).
fn put_canonical(text: &[u8], out: &mut Vec<u8>) -> (usize, usize) {
    let (mut lines, mut longest_line) = (0, 0);
    let mut i = 0;
    while let Some(j) = memchr::memchr2(b'\r', b'\n', &text[i..]) {
        let at = i + j;
        out.extend_from_slice(&text[i..at]);
        out.extend_from_slice(b"\r\n");
        lines += 1;
        longest_line = longest_line.max(j);
        i = if text[at] == b'\r' && text.get(at + 1) == Some(&b'\n') {
            at + 2
        } else {
            at + 1
        };
    }
    if i < text.len() {
        out.extend_from_slice(&text[i..]);
        out.extend_from_slice(b"\r\n");
        lines += 1;
        longest_line = longest_line.max(text.len() - i);
    }
    (lines, longest_line)
}

impl TextScan {
    /// At least how long the body gets in `encoding`, with the room
    /// [`encode_text_quoted_printable`] asks for past its end, so that a
    /// buffer of this size is never outgrown: quoted-printable escapes
    /// whitespace at a line's end too, and puts a soft break at most every
    /// 73 characters.
    pub(crate) fn encoded_bound(&self, encoding: Encoding) -> usize {
        match encoding {
            Encoding::QuotedPrintable => {
                let chars = self.scan.qp_cost + 2 * self.lines;
                chars + 3 * (chars / 73 + 1) + QP_PIECE_ROOM
            }
            _ => self.scan.encoded_len(encoding, self.len),
        }
    }
}

/// Per octet, its quoted-printable form inside a text line (not its last
/// octet): the characters in the low three bytes, their count in the top
/// one. Printable ASCII but `=`, space and tab stand for themselves
/// ([`qp_plain`]); every other octet is `=XX` (RFC 2045 §6.7 rules 1-3).
/// CR and LF count zero: in text each ends a line (RFC 2046 §4.1.1).
const QP_TEXT: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut b = 0usize;
    while b < 256 {
        let octet = b as u8;
        t[b] = if octet == b'\r' || octet == b'\n' {
            0
        } else if (octet >= b' ' && octet < 127 && octet != b'=') || octet == b'\t' {
            octet as u32 | 1 << 24
        } else {
            b'=' as u32 | (HEX[b >> 4] as u32) << 8 | (HEX[b & 15] as u32) << 16 | 3 << 24
        };
        b += 1;
    }
    t
};

/// Octets of `text` [`encode_text_quoted_printable`] looks at together:
/// one bit each in a window mask.
const QP_TEXT_WINDOW: usize = 64;

/// Output room [`encode_text_quoted_printable`] asks for before each
/// window: every store starts below [`QP_WINDOW_OUT`], and none is longer
/// than a run's [`QP_TEXT_WINDOW`]-octet copy.
const QP_PIECE_ROOM: usize = 512;

/// What one window writes stays below this: it encodes at most 63
/// octets, three characters each, and a line break after them (CRLF),
/// with at most three soft breaks (one per 73 characters): under 210.
/// Store offsets are masked to it, so that the compiler sees every store
/// inside the room.
const QP_WINDOW_OUT: usize = 256;

/// One bit per octet of `text[at..at + 64]` that may need a look:
/// escaped, a tab, CR or LF, or past the end of `text`.
#[inline(always)]
fn window_mask(text: &[u8], at: usize) -> u64 {
    match text
        .get(at..)
        .and_then(|s| s.first_chunk::<QP_TEXT_WINDOW>())
    {
        Some(window) => {
            // One flag byte per octet, in the form LLVM vectorizes, then
            // each eight flags gathered into a byte of the mask.
            let flags: [u8; QP_TEXT_WINDOW] = std::array::from_fn(|k| {
                // Below space (tab, CR and LF among them), DEL and above, or `=`.
                u8::from(window[k].wrapping_sub(b' ') >= 95) | u8::from(window[k] == b'=')
            });
            let mut mask = 0u64;
            for (k, word) in flags.chunks_exact(8).enumerate() {
                if let Ok(word) = <[u8; 8]>::try_from(word) {
                    let bits = u64::from_le_bytes(word).wrapping_mul(0x0102_0408_1020_4080) >> 56;
                    mask |= bits << (8 * k);
                }
            }
            mask
        }
        None => {
            // Zeros past the end are flagged.
            let mut mask = 0u64;
            for k in 0..QP_TEXT_WINDOW / 8 {
                mask |= escape_bits(word_at(text, at + 8 * k)) << (8 * k);
            }
            mask
        }
    }
}

/// The output room of one window, with the window's place in it.
struct QpOut<'a> {
    /// [`QP_PIECE_ROOM`] octets from where the window's output starts.
    room: &'a mut [u8; QP_PIECE_ROOM],
    /// Octets written into it.
    at: usize,
    /// The column the line has reached.
    col: usize,
}

impl QpOut<'_> {
    /// Writes `src` at the end (up to 16 octets).
    #[inline(always)]
    fn put<const N: usize>(&mut self, src: [u8; N]) {
        debug_assert!(self.at < QP_WINDOW_OUT);
        let at = self.at & (QP_WINDOW_OUT - 1);
        self.room[at..at + N].copy_from_slice(&src);
    }

    /// A soft line break (RFC 2045 §6.7 rule 5).
    #[inline(always)]
    fn soft_break(&mut self) {
        self.put(*b"=\r\n");
        self.at += 3;
        self.col = 0;
    }

    /// Writes `text[s..e]`, octets written as themselves none of which
    /// ends a line: a soft break wherever the line would pass column 75
    /// (RFC 2045 §6.7 rule 5), the rest copied a window's length at a time
    /// (a run is shorter), or by [`copy_run`] near the end of `text`.
    #[inline(always)]
    fn run(&mut self, text: &[u8], mut s: usize, e: usize) {
        while s < e {
            if self.col >= LINE - 1 {
                self.soft_break();
            }
            let take = (e - s).min(LINE - 1 - self.col);
            debug_assert!(self.at < QP_WINDOW_OUT);
            let at = self.at & (QP_WINDOW_OUT - 1);
            match text
                .get(s..)
                .and_then(|t| t.first_chunk::<QP_TEXT_WINDOW>())
            {
                // A run is shorter than a window: one fixed-size copy,
                // its excess overwritten by what follows.
                Some(chunk) => self.room[at..at + QP_TEXT_WINDOW].copy_from_slice(chunk),
                None => copy_run(&text[s..], take, &mut self.room[at..]),
            }
            self.at += take;
            self.col += take;
            s += take;
        }
    }

    /// Writes an octet inside a line from its [`QP_TEXT`] entry `e`, after
    /// a soft break if it would pass column 75.
    #[inline(always)]
    fn octet(&mut self, e: u32) {
        let w = (e >> 24) as usize;
        if self.col + w > LINE - 1 {
            self.soft_break();
        }
        self.put(e.to_le_bytes());
        self.at += w;
        self.col += w;
    }

    /// Writes a line's last octet by the rules for a line's end
    /// (whitespace escaped, RFC 2045 §6.7 rule 3; up to 76 characters
    /// before the hard break, rule 5), then CRLF.
    #[inline(always)]
    fn last_octet(&mut self, octet: u8) {
        let literal = qp_literal(octet);
        let w = if literal { 1 } else { 3 };
        if self.col + w > LINE {
            self.soft_break();
        }
        if literal {
            self.put([octet, b'\r', b'\n']);
        } else {
            let [eq, hi, lo] = escape(octet);
            self.put([eq, hi, lo, b'\r', b'\n']);
        }
        self.at += w + 2;
        self.col = 0;
    }

    /// A hard line break after an empty line.
    #[inline(always)]
    fn crlf(&mut self) {
        self.put(*b"\r\n");
        self.at += 2;
        self.col = 0;
    }
}

/// Quoted-printable (RFC 2045 §6.7) of `text` put in canonical form on
/// the way (RFC 2046 §4.1.1): the same octets as
/// `encode_quoted_printable(&Canonical::of(text).bytes)`, without the
/// copy. Every CR, LF and CRLF is a hard line break; every line ends
/// with CRLF.
///
/// A window of 64 octets at a time: a mask of those that may need a look
/// ([`window_mask`]) is built first; the runs between them are copied
/// with one fixed-size copy each ([`QpOut::run`]), with a soft break
/// wherever the line would pass column 75 (rule 5), and the flagged
/// octets go one by one from
/// [`QP_TEXT`]. A line's last octet, the one before a line break, takes
/// the rules for a line's end (whitespace escaped, rule 3; column 76
/// allowed before the CRLF); so that a run's end is known not to be one,
/// the window's last octet is only looked at, and encoded in the next.
/// Each window writes fewer than [`QP_WINDOW_OUT`] characters.
pub(crate) fn encode_text_quoted_printable(text: &[u8], out: &mut Vec<u8>) {
    let n = text.len();
    let mut o = out.len();
    let mut col = 0usize;
    let mut i = 0;
    while i < n {
        ensure_room(out, o, QP_PIECE_ROOM);
        let Some(room) = out
            .get_mut(o..)
            .and_then(|r| r.first_chunk_mut::<QP_PIECE_ROOM>())
        else {
            // Not reached: room was made.
            break;
        };
        let mut w = QpOut { room, at: 0, col };
        let base = i;
        let mask = window_mask(text, base);
        let end = base + QP_TEXT_WINDOW - 1;
        while i < end {
            let rest = mask >> (i - base);
            let r = rest.trailing_zeros() as usize;
            let mut f = i + r;
            let b = text.get(f).copied();
            let e = b.map_or(0, |b| QP_TEXT[usize::from(b)]);
            if f > end || (f == end && e >> 24 != 0) {
                // Up to the window's last octet, which does not end a
                // line: nor does any before it.
                w.run(text, i, end);
                i = end;
                break;
            }
            if e >> 24 == 0 {
                // A line break at `f`, or the end of the text.
                if r > 0 {
                    w.run(text, i, f - 1);
                    w.last_octet(text[f - 1]);
                } else if b.is_some() {
                    w.crlf();
                } else {
                    i = n;
                    break;
                }
                i = f + line_break_len(text, f);
                continue;
            }
            w.run(text, i, f);
            // The flagged octet at `f` and those right after it (a UTF-8
            // sequence is two to four), each looking at the next to
            // know whether it ends its line.
            let mut e = e;
            loop {
                let next = text.get(f + 1).map_or(0, |&b| QP_TEXT[usize::from(b)]);
                if next >> 24 == 0 {
                    w.last_octet(text[f]);
                    i = f + 1 + line_break_len(text, f + 1);
                    break;
                }
                w.octet(e);
                f += 1;
                if next >> 24 != 3 || f >= end {
                    i = f;
                    break;
                }
                e = next;
            }
        }
        o += w.at;
        col = w.col;
    }
    out.truncate(o);
}

/// How many octets the line break at `i` takes: two for CRLF, one for a
/// CR or LF alone, none at the end of `text`.
#[inline(always)]
fn line_break_len(text: &[u8], i: usize) -> usize {
    match text.get(i) {
        Some(b'\r') => 1 + usize::from(text.get(i + 1) == Some(&b'\n')),
        Some(_) => 1,
        None => 0,
    }
}

/// Octets that quoted-printable writes as themselves (RFC 2045 §6.7 rule 2).
fn qp_literal(b: u8) -> bool {
    (33..=126).contains(&b) && b != b'='
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// One bit per octet of `word` (eight octets, little-endian; bit `k`
/// for octet `k`) that may need escaping: at or above 0x7F, below 0x20,
/// or `=`. Tab is among them although [`qp_plain`]: [`qp_body`] writes
/// it as itself. Each test is exact per octet (no carry crosses one),
/// and a multiplication gathers the eight top bits into one byte.
#[inline(always)]
fn escape_bits(word: u64) -> u64 {
    const H: u64 = 0x8080_8080_8080_8080;
    const L: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    const fn splat(b: u8) -> u64 {
        0x0101_0101_0101_0101 * b as u64
    }
    let low = word & L;
    // At or above 0x7F: the top bit, or adding 1 to the low seven carries.
    let high = (low + splat(1)) | word;
    // Below 0x20 (or above 0x80, flagged already): adding 0x60 to the low
    // seven leaves the top bit clear.
    let control = !(low + splat(0x60));
    // `=`: the low seven of `word ^ '='` plus 0x7F leave the top bit clear
    // only for zero.
    let eq = word ^ splat(b'=');
    let equals = !(((eq & L) + L) | eq);
    let flags = (high | control | equals) & H;
    // Octet k's flag (bit 8k + 7) moves to bit 56 + k; no two products
    // meet, so nothing carries.
    (flags >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56
}

/// The eight octets of `input` from `i` as a little-endian word, zeros
/// past the end.
#[inline(always)]
fn word_at(input: &[u8], i: usize) -> u64 {
    match input.get(i..).and_then(|s| s.first_chunk::<8>()) {
        Some(w) => u64::from_le_bytes(*w),
        None => {
            let rest = input.get(i..).unwrap_or_default();
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            u64::from_le_bytes(w)
        }
    }
}

/// Input octets encoded per check for output room ([`ensure_room`]).
const QP_PIECE: usize = 256;

/// Output room for a piece of `n` octets: each is at most 3 characters,
/// plus a soft break per 73 characters (and one at the start), and a run
/// copy's 16-octet overshoot: under 3.2 per octet and 19, rounded up.
fn qp_room(n: usize) -> usize {
    4 * n + 32
}

/// `=` and two upper-case hex digits (RFC 2045 §6.7 rule 1).
#[inline(always)]
fn escape(b: u8) -> [u8; 3] {
    [b'=', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]
}

/// The end of the line starting at `start`: the index of its CRLF, or
/// `None` when none follows (a bare LF is an octet of the line).
fn find_crlf(input: &[u8], start: usize) -> Option<usize> {
    let mut pos = start;
    loop {
        let at = pos + memchr::memchr(b'\n', input.get(pos..)?)?;
        if at > start && input[at - 1] == b'\r' {
            return Some(at - 1);
        }
        pos = at + 1;
    }
}

/// Quoted-printable (RFC 2045 §6.7): CRLF pairs are hard line breaks;
/// every other CR and LF, and whitespace before a line break, is escaped,
/// so the octets come back exactly. Lines get soft breaks at 76
/// characters, and content that does not end with CRLF ends with a soft
/// break, so the output always ends with CRLF.
///
/// Line by line: every octet but a line's last follows one rule (written
/// as itself when [`qp_plain`], else escaped; a soft break before it when
/// it would pass column 75), which [`qp_body`] applies run by run; the
/// last octet takes the rules for a line's end.
pub(crate) fn encode_quoted_printable(input: &[u8], out: &mut Vec<u8>) {
    let len = input.len();
    // `out` holds zeroed room past `o`, the end of what is written; it is
    // cut back to `o` at the end.
    let mut o = out.len();
    let mut col = 0usize;
    let mut start = 0;
    while start < len {
        let crlf = find_crlf(input, start);
        let end = crlf.unwrap_or(len);
        if end > start {
            qp_body(input, start, end - 1, &mut col, out, &mut o);
            // The line's last octet: whitespace there is escaped, and
            // before a hard break the line may reach 76 characters.
            let b = input[end - 1];
            let literal = qp_literal(b);
            let width = if literal { 1 } else { 3 };
            let limit = if crlf.is_some() { LINE } else { LINE - 1 };
            ensure_room(out, o, 8);
            if col + width > limit {
                out[o..o + 3].copy_from_slice(b"=\r\n");
                o += 3;
                col = 0;
            }
            if literal {
                out[o] = b;
            } else {
                out[o..o + 3].copy_from_slice(&escape(b));
            }
            o += width;
            col += width;
        }
        ensure_room(out, o, 3);
        match crlf {
            Some(at) => {
                out[o..o + 2].copy_from_slice(b"\r\n");
                o += 2;
                col = 0;
                start = at + 2;
            }
            None => {
                // Content that does not end with CRLF ends with a soft break.
                out[o..o + 3].copy_from_slice(b"=\r\n");
                o += 3;
                start = len;
            }
        }
    }
    out.truncate(o);
}

/// Makes `out` hold at least `n` octets past `o`, zeroed, growing it by
/// at least 1 KiB at a time (short fills are cheap, and few), but not
/// past its capacity when `n` fits: a message built into a `Vec` sized
/// up front is never moved.
#[inline(always)]
fn ensure_room(out: &mut Vec<u8>, o: usize, n: usize) {
    if out.len() < o + n {
        let len = (o + n.max(1024)).min(out.capacity()).max(o + n);
        out.resize(len, 0);
    }
}

/// Encodes `input[from..to]`, octets inside a line (none is its last),
/// straight into `out` from `at` on: a piece at a time into room made for
/// its worst case ([`ensure_room`]). For up to 64 octets at a time, a mask
/// of those that may need escaping is built eight at a time
/// ([`escape_bits`]); the runs between them are copied sixteen octets at
/// a time (the copy's end overwritten by what follows), with a soft
/// break wherever the line would pass column 75.
fn qp_body(
    input: &[u8],
    from: usize,
    to: usize,
    col: &mut usize,
    out: &mut Vec<u8>,
    at: &mut usize,
) {
    let mut c = *col;
    let mut o = *at;
    let mut i = from;
    while i < to {
        let piece_end = (i + QP_PIECE).min(to);
        ensure_room(out, o, qp_room(piece_end - i));
        let dst = out.as_mut_slice();
        while i < piece_end {
            let n = (piece_end - i).min(64);
            let mut mask = 0u64;
            for w in 0..n.div_ceil(8) {
                mask |= escape_bits(word_at(input, i + 8 * w)) << (8 * w);
            }
            let mut k = 0;
            while k < n {
                let run = ((mask >> k).trailing_zeros() as usize).min(n - k);
                let mut s = i + k;
                let mut left = run;
                while left > 0 {
                    if c >= LINE - 1 {
                        dst[o..o + 3].copy_from_slice(b"=\r\n");
                        o += 3;
                        c = 0;
                    }
                    let take = left.min(LINE - 1 - c);
                    copy_run(&input[s..], take, &mut dst[o..]);
                    o += take;
                    c += take;
                    s += take;
                    left -= take;
                }
                k += run;
                // The flagged octets that follow (a UTF-8 sequence is two
                // to four of them), one by one.
                while k < n && mask >> k & 1 == 1 {
                    let b = input[i + k];
                    if b == b'\t' {
                        if c >= LINE - 1 {
                            dst[o..o + 3].copy_from_slice(b"=\r\n");
                            o += 3;
                            c = 0;
                        }
                        dst[o] = b;
                        o += 1;
                        c += 1;
                    } else {
                        if c + 3 > LINE - 1 {
                            dst[o..o + 3].copy_from_slice(b"=\r\n");
                            o += 3;
                            c = 0;
                        }
                        dst[o..o + 3].copy_from_slice(&escape(b));
                        o += 3;
                        c += 3;
                    }
                    k += 1;
                }
            }
            i += n;
        }
    }
    *col = c;
    *at = o;
}

/// Copies the first `n` octets of `src` to the start of `dst`, sixteen
/// at a time while `src` has them: up to 15 octets after the `n` may be
/// written too (the caller's room has them, and overwrites them).
#[inline(always)]
fn copy_run(src: &[u8], n: usize, dst: &mut [u8]) {
    let mut k = 0;
    while k < n {
        match (src.get(k..k + 16), dst.get_mut(k..k + 16)) {
            (Some(s), Some(d)) => d.copy_from_slice(s),
            _ => {
                dst[k..n].copy_from_slice(&src[k..n]);
                return;
            }
        }
        k += 16;
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn quantum(chunk: &[u8], out: &mut [u8; 4]) {
    let n = chunk.len();
    let b0 = chunk[0];
    let b1 = if n > 1 { chunk[1] } else { 0 };
    let b2 = if n > 2 { chunk[2] } else { 0 };
    out[0] = ALPHABET[usize::from(b0 >> 2)];
    out[1] = ALPHABET[usize::from((b0 & 3) << 4 | b1 >> 4)];
    out[2] = if n > 1 {
        ALPHABET[usize::from((b1 & 15) << 2 | b2 >> 6)]
    } else {
        b'='
    };
    out[3] = if n > 2 {
        ALPHABET[usize::from(b2 & 63)]
    } else {
        b'='
    };
}

/// Appends the base64 form of `bytes` to `out` without line breaks (for
/// "B" encoded words, RFC 2047 §4.1).
pub(crate) fn push_base64(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut q = [0u8; 4];
    for chunk in bytes.chunks(3) {
        quantum(chunk, &mut q);
        out.extend_from_slice(&q);
    }
}

/// A streaming base64 encoder (RFC 2045 §6.8): feed any amount at a time;
/// lines of 76 characters, each ending in CRLF.
#[derive(Debug, Default)]
pub(crate) struct Base64Encoder {
    pending: [u8; 3],
    pending_len: usize,
    col: usize,
}

/// Input octets per full line: 19 quanta, 76 characters (RFC 2045 §6.8).
const LINE_INPUT: usize = LINE / 4 * 3;

impl Base64Encoder {
    /// One quantum (the last one may be short and gets padding).
    fn emit(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        let mut q = [0u8; 4];
        quantum(chunk, &mut q);
        out.extend_from_slice(&q);
        self.col += 4;
        if self.col == LINE {
            out.extend_from_slice(b"\r\n");
            self.col = 0;
        }
    }

    /// Encodes `input`, keeping up to two octets for the next call.
    /// Whole lines (57 octets) are encoded with their CRLF straight into
    /// `out`; only a line's start or end left unfinished by a chunk edge
    /// goes quantum by quantum.
    pub(crate) fn update(&mut self, mut input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len() / 3 * 4 + input.len() / 38 + 8);
        if self.pending_len > 0 {
            let take = (3 - self.pending_len).min(input.len());
            self.pending[self.pending_len..self.pending_len + take].copy_from_slice(&input[..take]);
            self.pending_len += take;
            input = &input[take..];
            if self.pending_len < 3 {
                return;
            }
            let p = self.pending;
            self.emit(&p, out);
            self.pending_len = 0;
        }
        while self.col != 0 && input.len() >= 3 {
            self.emit(&input[..3], out);
            input = &input[3..];
        }
        if self.col == 0 {
            // Whole lines, each with its CRLF, in one call: encodify's
            // kernels write the line breaks as they go (its `MIME` engine
            // is this encoding: 76 columns, CRLF after every line).
            let whole = input.len() / LINE_INPUT * LINE_INPUT;
            encodify::base64::MIME.encode_append(&input[..whole], out);
            input = &input[whole..];
        }
        let whole = input.len() / 3 * 3;
        if self.col == 0 {
            // Less than a line is left: its whole quanta in one call.
            encodify::base64::STANDARD.encode_append(&input[..whole], out);
            self.col = whole / 3 * 4;
        } else {
            for chunk in input[..whole].chunks_exact(3) {
                self.emit(chunk, out);
            }
        }
        let rest = &input[whole..];
        self.pending[..rest.len()].copy_from_slice(rest);
        self.pending_len = rest.len();
    }

    /// Writes the last quantum with its padding and ends the last line.
    pub(crate) fn finish(mut self, out: &mut Vec<u8>) {
        if self.pending_len > 0 {
            let p = self.pending;
            let n = self.pending_len;
            self.emit(&p[..n], out);
        }
        if self.col > 0 {
            out.extend_from_slice(b"\r\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::decode::{decode_base64, decode_quoted_printable};

    fn qp(input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        encode_quoted_printable(input, &mut out);
        out
    }

    fn b64(input: &[u8], step: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut e = Base64Encoder::default();
        for chunk in input.chunks(step.max(1)) {
            e.update(chunk, &mut out);
        }
        e.finish(&mut out);
        out
    }

    fn check_lines(encoded: &[u8]) {
        assert!(encoded.is_empty() || encoded.ends_with(b"\r\n"));
        for line in encoded.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            assert!(line.len() <= LINE, "{:?}", String::from_utf8_lossy(line));
            assert!(!line.contains(&b'\r'));
        }
    }

    #[test]
    fn quoted_printable_known_answers_rfc2045_6_7() {
        assert_eq!(qp(b"caf\xc3\xa9\r\n"), b"caf=C3=A9\r\n");
        assert_eq!(qp(b"a=b"), b"a=3Db=\r\n");
        assert_eq!(qp(b"trail \r\nx\t"), b"trail=20\r\nx=09=\r\n");
        assert_eq!(qp(b"bare\nlf\r"), b"bare=0Alf=0D=\r\n");
        assert_eq!(qp(b""), b"");
    }

    #[test]
    fn quoted_printable_round_trips_with_short_lines_rfc2045_6_7() {
        let mut input = Vec::new();
        for i in 0..3000u32 {
            input.push((i * 7 % 251) as u8);
            if i % 97 == 0 {
                input.extend_from_slice(b"\r\n");
            }
            if i % 13 == 0 {
                input.push(b' ');
            }
        }
        for end in [input.len(), 500, 75, 76, 77, 1] {
            let enc = qp(&input[..end]);
            check_lines(&enc);
            let mut d = Vec::new();
            assert_eq!(decode_quoted_printable(&enc, &mut d), &input[..end]);
            assert!(d.is_empty());
        }
        let long = [b'x'; 200];
        let enc = qp(&long);
        check_lines(&enc);
        assert_eq!(decode_quoted_printable(&enc, &mut Vec::new()), long);
    }

    #[test]
    fn base64_known_answers_and_any_chunking_rfc2045_6_8() {
        assert_eq!(b64(b"", 1), b"");
        assert_eq!(b64(b"f", 1), b"Zg==\r\n");
        assert_eq!(b64(b"fo", 1), b"Zm8=\r\n");
        assert_eq!(b64(b"foobar", 4), b"Zm9vYmFy\r\n");
        let data: Vec<u8> = (0..5000u32).map(|i| (i * 31 % 256) as u8).collect();
        let whole = b64(&data, data.len());
        check_lines(&whole);
        for step in [1, 2, 5, 57, 1000] {
            assert_eq!(b64(&data, step), whole);
        }
        let mut d = Vec::new();
        assert_eq!(decode_base64(&whole, &mut d), data);
        assert!(d.is_empty());
        let mut s = Vec::new();
        push_base64(&mut s, "é".as_bytes());
        assert_eq!(s, b"w6k=");
    }

    /// The encoder's lines against the `base64` crate's encoding cut into
    /// 76-character lines, for any input and any chunking (RFC 2045 §6.8).
    fn reference_base64_lines(input: &[u8]) -> Vec<u8> {
        use base64::Engine as _;
        let flat = base64::engine::general_purpose::STANDARD.encode(input);
        let mut out = Vec::new();
        for line in flat.as_bytes().chunks(LINE) {
            out.extend_from_slice(line);
            out.extend_from_slice(b"\r\n");
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn base64_lines_match_reference_at_any_chunking_rfc2045_6_8(
            data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..6000),
            steps in proptest::collection::vec(1usize..1300, 1..8),
        ) {
            let mut out = Vec::new();
            let mut e = Base64Encoder::default();
            let mut rest = &data[..];
            let mut k = 0;
            while !rest.is_empty() {
                let n = steps[k % steps.len()].min(rest.len());
                e.update(&rest[..n], &mut out);
                rest = &rest[n..];
                k += 1;
            }
            e.finish(&mut out);
            proptest::prop_assert_eq!(out, reference_base64_lines(&data));
        }

        /// The early stops give the same choices as a full scan (RFC 2045 §6).
        #[test]
        fn early_scan_stops_change_no_choice_rfc2045_6(
            data in proptest::prop_oneof![
                proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
                proptest::collection::vec(
                    proptest::sample::select(&b"ab \r\n\0\xe9="[..]),
                    0..600,
                ),
                proptest::collection::vec(proptest::sample::select(&b"ab\r\n"[..]), 0..3000),
                // Across the 4 KiB pieces, a CRLF split between two.
                proptest::collection::vec(
                    proptest::sample::select(&b"abcdefg\r\n\xe9"[..]),
                    4000..9000,
                ),
            ],
        ) {
            let full = full_scan(&data);
            let scan = Scan::of(&data);
            for allow in [false, true] {
                proptest::prop_assert_eq!(
                    scan.choose(data.len(), allow),
                    full.choose(data.len(), allow)
                );
            }
            proptest::prop_assert_eq!(scan.is_seven_bit(), full.is_seven_bit());
            proptest::prop_assert_eq!(scan.is_eight_bit(), full.is_eight_bit());
            proptest::prop_assert_eq!(Scan::is_seven_bit_data(&data), full.is_seven_bit());
            proptest::prop_assert_eq!(scan.eight_bit || scan.unsafe_octets, full.eight_bit || full.unsafe_octets);
            if !full.unsafe_octets || full.qp_cost * 4 <= base64_len(data.len()) * 5 {
                // No early stop: the same fields.
                proptest::prop_assert_eq!(
                    (scan.eight_bit, scan.unsafe_octets, scan.longest_line, scan.qp_cost),
                    (full.eight_bit, full.unsafe_octets, full.longest_line, full.qp_cost)
                );
            }
        }
    }

    /// `Scan::of` without the early stop.
    fn full_scan(bytes: &[u8]) -> Scan {
        let mut scan = Scan {
            eight_bit: false,
            unsafe_octets: false,
            longest_line: 0,
            qp_cost: 0,
        };
        let mut line = 0usize;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                scan.longest_line = scan.longest_line.max(line);
                line = 0;
                scan.qp_cost += 2;
                i += 2;
                continue;
            }
            match b {
                0 | b'\r' | b'\n' => scan.unsafe_octets = true,
                128.. => scan.eight_bit = true,
                _ => {}
            }
            scan.qp_cost += if qp_literal(b) || b == b' ' || b == b'\t' {
                1
            } else {
                3
            };
            line += 1;
            i += 1;
        }
        scan.longest_line = scan.longest_line.max(line);
        scan
    }

    /// The octet-by-octet encoder the run copying must agree with.
    fn reference_qp(input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut col = 0usize;
        let mut i = 0;
        while i < input.len() {
            let b = input[i];
            if b == b'\r' && input.get(i + 1) == Some(&b'\n') {
                out.extend_from_slice(b"\r\n");
                col = 0;
                i += 2;
                continue;
            }
            let at_line_end = i + 1 == input.len() || input[i + 1..].starts_with(b"\r\n");
            let literal = qp_literal(b) || ((b == b' ' || b == b'\t') && !at_line_end);
            let width = if literal { 1 } else { 3 };
            let limit = if at_line_end && i + 1 < input.len() {
                LINE
            } else {
                LINE - 1
            };
            if col + width > limit {
                out.extend_from_slice(b"=\r\n");
                col = 0;
            }
            if literal {
                out.push(b);
            } else {
                out.extend_from_slice(&[b'=', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
            }
            col += width;
            i += 1;
        }
        if !input.is_empty() && !input.ends_with(b"\r\n") {
            out.extend_from_slice(b"=\r\n");
        }
        out
    }

    /// Line ends for [`qp_texts`]: each line break, after whitespace or
    /// `=`, or none (the line runs on).
    static QP_LINE_ENDS: [&[u8]; 7] = [b"\n", b"\r\n", b"\r", b" \n", b"\t\r\n", b"=\n", b""];

    /// Texts for the quoted-printable encoders: the octets that need
    /// escaping, CR and LF in every mix, any octet, long lines with many
    /// soft breaks, and lines around one and two 64-octet pieces long.
    fn qp_texts() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        proptest::prop_oneof![
            proptest::collection::vec(
                proptest::sample::select(&b"ab= \t\r\n\xc3\xa9\0"[..]),
                0..600,
            ),
            proptest::collection::vec(proptest::sample::select(&b"xy \r\n"[..]), 0..400),
            proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            // Long lines, many soft breaks.
            proptest::collection::vec(
                proptest::sample::select(&b"abcdefgh= \t\xc3\n"[..]),
                0..3000,
            ),
            proptest::collection::vec(
                proptest::sample::select(&b"abcdefghijklmnopqrstuvwxyz\xc3\xa9 \n"[..]),
                0..3000,
            ),
            // Lines around the 76-character limit: escapes, whitespace and
            // line breaks of every kind near their ends.
            proptest::strategy::Strategy::prop_map(
                proptest::collection::vec(
                    (
                        proptest::collection::vec(
                            proptest::sample::select(&b"abcdef\xc3"[..]),
                            60..80,
                        ),
                        proptest::sample::select(&QP_LINE_ENDS[..]),
                    ),
                    0..6,
                ),
                |lines: Vec<(Vec<u8>, &[u8])>| {
                    lines
                        .iter()
                        .flat_map(|(l, brk)| l.iter().chain(brk.iter()).copied())
                        .collect()
                },
            ),
            // Lines around one and two 64-octet pieces long.
            proptest::strategy::Strategy::prop_map(
                proptest::collection::vec(
                    proptest::collection::vec(
                        proptest::sample::select(&b"abc= \t\xc3\xa9"[..]),
                        56..140,
                    ),
                    0..6,
                ),
                |lines: Vec<Vec<u8>>| lines.join(&b'\n'),
            ),
        ]
    }

    proptest::proptest! {
        /// Copying runs changes no output (RFC 2045 §6.7).
        #[test]
        fn quoted_printable_runs_match_octet_by_octet_rfc2045_6_7(
            data in qp_texts(),
        ) {
            let got = qp(&data);
            proptest::prop_assert_eq!(&got, &reference_qp(&data));
            proptest::prop_assert_eq!(decode_quoted_printable(&got, &mut Vec::new()), data);
        }
    }

    #[test]
    fn choice_follows_content_rfc2045_6() {
        let pick = |b: &[u8], allow| Scan::of(b).choose(b.len(), allow);
        assert_eq!(pick(b"plain\r\n", false), Encoding::SevenBit);
        assert_eq!(
            pick("café\r\n".as_bytes(), false),
            Encoding::QuotedPrintable
        );
        assert_eq!(pick("café\r\n".as_bytes(), true), Encoding::EightBit);
        assert_eq!(
            pick("日本語のテキスト\r\n".as_bytes(), false),
            Encoding::Base64
        );
        assert_eq!(pick(b"nul\0\r\n", true), Encoding::QuotedPrintable);
        assert_eq!(pick(b"bare\nlf", false), Encoding::QuotedPrintable);
        let long = [b'a'; 999];
        assert_eq!(pick(&long, true), Encoding::QuotedPrintable);
        assert_eq!(pick(&long[..998], false), Encoding::SevenBit);
        let binary: Vec<u8> = (0..=255u8).collect();
        assert_eq!(pick(&binary, true), Encoding::Base64);
        assert!(!Scan::is_seven_bit_data(&binary));
        assert!(Scan::is_seven_bit_data(b"plain\r\n"));
        assert!(Scan::is_seven_bit_data(&long[..998]));
        assert!(!Scan::is_seven_bit_data(&long));
        assert!(!Scan::is_seven_bit_data(b"bare\nlf"));
    }

    fn normalize_text(text: &[u8]) -> Vec<u8> {
        Canonical::of(text).bytes
    }

    proptest::proptest! {
        /// Canonical text scanned from what normalizing learned gives what
        /// a full scan gives (RFC 2046 §4.1.1, RFC 2045 §6).
        #[test]
        fn canonical_scan_matches_full_scan_rfc2046_4_1_1(
            text in proptest::prop_oneof![
                proptest::collection::vec(
                    proptest::sample::select(&b"ab \r\n\0\xe9=\t"[..]),
                    0..700,
                ),
                proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
                proptest::collection::vec(proptest::sample::select(&b"xy\n"[..]), 0..9000),
            ],
        ) {
            let canonical = Canonical::of(&text);
            let full = full_scan(&canonical.bytes);
            let scan = canonical.scan();
            proptest::prop_assert_eq!(
                (scan.eight_bit, scan.unsafe_octets, scan.longest_line, scan.qp_cost),
                (full.eight_bit, full.unsafe_octets, full.longest_line, full.qp_cost)
            );
            proptest::prop_assert_eq!(canonical.lines, canonical.bytes.windows(2).filter(|w| w == b"\r\n").count());
        }
    }

    /// Every CR, LF and CRLF becomes CRLF, octet by octet.
    fn reference_normalize(text: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < text.len() {
            match text[i] {
                b'\r' => {
                    out.extend_from_slice(b"\r\n");
                    if text.get(i + 1) == Some(&b'\n') {
                        i += 1;
                    }
                }
                b'\n' => out.extend_from_slice(b"\r\n"),
                b => out.push(b),
            }
            i += 1;
        }
        if !out.is_empty() && !out.ends_with(b"\r\n") {
            out.extend_from_slice(b"\r\n");
        }
        out
    }

    proptest::proptest! {
        /// Copying runs changes nothing (RFC 2046 §4.1.1).
        #[test]
        fn canonical_form_runs_match_octet_by_octet_rfc2046_4_1_1(
            text in proptest::collection::vec(proptest::sample::select(&b"ab\r\n"[..]), 0..200),
        ) {
            proptest::prop_assert_eq!(normalize_text(&text), reference_normalize(&text));
        }
    }

    proptest::proptest! {
        /// Encoding text while putting it in canonical form writes what
        /// encoding its canonical copy wrote (RFC 2046 §4.1.1, RFC 2045
        /// §6.7), after output already there; measuring it without the
        /// copy gives the copy's scan; writing it canonical gives the copy.
        #[test]
        fn text_encoding_without_the_copy_matches_rfc2045_6_7_rfc2046_4_1_1(
            text in qp_texts(),
            prefix in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..5),
        ) {
            let canonical = Canonical::of(&text);
            let mut want = prefix.clone();
            encode_quoted_printable(&canonical.bytes, &mut want);
            let mut got = prefix.clone();
            encode_text_quoted_printable(&text, &mut got);
            proptest::prop_assert_eq!(&got, &want);

            let full = canonical.scan();
            let measured = TextScan::of(&text, true);
            proptest::prop_assert_eq!(measured.len, canonical.bytes.len());
            proptest::prop_assert_eq!(
                (measured.scan.eight_bit, measured.scan.unsafe_octets, measured.scan.longest_line, measured.scan.qp_cost),
                (full.eight_bit, full.unsafe_octets, full.longest_line, full.qp_cost)
            );
            // Counting only when 8bit is out gives the same choice.
            let counted = TextScan::of(&text, false);
            proptest::prop_assert_eq!(counted.len, canonical.bytes.len());
            proptest::prop_assert_eq!(counted.lines, measured.lines);
            proptest::prop_assert_eq!(counted.scan.qp_cost, full.qp_cost);
            proptest::prop_assert_eq!(
                counted.scan.choose(counted.len, false),
                full.choose(canonical.bytes.len(), false)
            );

            let mut written = prefix.clone();
            write_canonical(&text, &mut written);
            proptest::prop_assert_eq!(&written[prefix.len()..], &canonical.bytes[..]);
        }
    }

    /// `encode_text_quoted_printable` against encoding the canonical copy.
    fn check_text_qp(text: &[u8]) {
        let mut want = Vec::new();
        encode_quoted_printable(&Canonical::of(text).bytes, &mut want);
        let mut got = Vec::new();
        encode_text_quoted_printable(text, &mut got);
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&want),
            "{:?}",
            String::from_utf8_lossy(text)
        );
    }

    /// Every line length around the soft break at column 75 and the hard
    /// break's column 76, with each kind of last octet (literal, space and
    /// tab escaped at a line's end, `=`, an escape straddling the break),
    /// each kind of line break, and lines placed across the encoder's
    /// 64-octet windows (RFC 2045 §6.7 rules 3 and 5, RFC 2046 §4.1.1).
    #[test]
    fn text_quoted_printable_line_ends_and_soft_breaks_rfc2045_6_7() {
        for len in 0..150 {
            for middle in [&b""[..], b"\xc3\xa9", b"=", b" ", b"\t"] {
                for last in [&b""[..], b"x", b" ", b"\t", b"=", b"\xc3", b"\xc3\xa9"] {
                    for brk in [&b""[..], b"\n", b"\r\n", b"\r", b"\n\n", b"\r\r\n"] {
                        let mut line = vec![b'x'; len];
                        line.splice(len / 2..len / 2, middle.iter().copied());
                        line.extend_from_slice(last);
                        line.extend_from_slice(brk);
                        check_text_qp(&line);
                        // Two lines: the second starts anywhere in a window.
                        check_text_qp(&[&line[..], b"\n", &line[..]].concat());
                    }
                }
            }
        }
        check_text_qp(b"");
        check_text_qp(b"\n");
        check_text_qp(b"\r");
        check_text_qp(&[b'\xc3'; 300]);
        check_text_qp(&[b'='; 200]);
        check_text_qp(&[b' '; 200]);
        check_text_qp(&[b'\n'; 200]);
    }

    #[test]
    fn text_quoted_printable_known_answers_rfc2045_6_7() {
        let qp_text = |t: &[u8]| {
            let mut out = Vec::new();
            encode_text_quoted_printable(t, &mut out);
            out
        };
        assert_eq!(qp_text(b"caf\xc3\xa9\n"), b"caf=C3=A9\r\n");
        assert_eq!(qp_text(b"trail \nx\t"), b"trail=20\r\nx=09\r\n");
        assert_eq!(qp_text(b"a\rb\r\n\nc"), b"a\r\nb\r\n\r\nc\r\n");
        assert_eq!(qp_text(b""), b"");
        let long = [b'x'; 200];
        let enc = qp_text(&long);
        check_lines(&enc);
        assert_eq!(
            decode_quoted_printable(&enc, &mut Vec::new()),
            [&long[..], b"\r\n"].concat()
        );
    }

    #[test]
    fn text_is_put_in_canonical_form_rfc2046_4_1_1() {
        assert_eq!(normalize_text(b"a\nb\rc\r\nd"), b"a\r\nb\r\nc\r\nd\r\n");
        assert_eq!(normalize_text(b"x\r\n"), b"x\r\n");
        assert_eq!(normalize_text(b""), b"");
        assert_eq!(normalize_text(b"\r\r\n"), b"\r\n\r\n");
    }
}
