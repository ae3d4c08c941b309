//! Boundary line recognition at one line start, byte for byte the rule of
//! the whole-buffer parser (RFC 2046 §5.1.1): `--boundary`, then `--` for
//! the closing line, then transport padding (spaces and tabs), then the
//! line break: LF, CRLF, or the end of the enclosing range, which may fall
//! just after a lone CR.

/// A recognised boundary line, in stream offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct BoundaryLine {
    /// `--boundary--`: the closing line.
    pub(super) close: bool,
    /// Where the next part (or the epilogue) starts: after the line break.
    pub(super) after: u64,
    /// Where the line break starts: the enclosing range's end if the next
    /// line turns out to end it.
    pub(super) term: u64,
}

/// How the line at a line start relates to one multipart's delimiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LineMatch {
    /// Not this multipart's boundary line.
    No,
    /// The bytes so far match; more are needed to decide.
    NeedMore,
    /// A boundary line.
    Yes(BoundaryLine),
    /// The line ends `CR CR LF`: it is a boundary line only if the line at
    /// `next` is a boundary line of an enclosing multipart, whose range
    /// then ends just after the first CR.
    IfEnclosingEndsAt {
        /// The line, ending at the first CR.
        line: BoundaryLine,
        /// The next line start.
        next: u64,
    },
}

/// Classifies `s`, the bytes from line start `p` to the end of what is
/// known (`range_end`: true when that is also where the multipart's range
/// ends, at the end of input or of an enclosing part), against `delim`
/// (`--` and the boundary).
pub(super) fn classify(s: &[u8], p: u64, delim: &[u8], range_end: bool) -> LineMatch {
    let at = |i: usize| p + i as u64;
    let end = s.len();
    if end < delim.len() {
        return if !range_end && delim.starts_with(s) {
            LineMatch::NeedMore
        } else {
            LineMatch::No
        };
    }
    if &s[..delim.len()] != delim {
        return LineMatch::No;
    }
    let mut q = delim.len();
    let close = match s.get(q..q + 2) {
        Some(two) => two == b"--",
        None if !range_end && b"--".starts_with(&s[q..]) => return LineMatch::NeedMore,
        None => false,
    };
    if close {
        q += 2;
    }
    while q < end && matches!(s[q], b' ' | b'\t') {
        q += 1;
    }
    let yes = |after: usize| {
        LineMatch::Yes(BoundaryLine {
            close,
            after: at(after),
            term: at(q),
        })
    };
    if q >= end {
        return if range_end {
            yes(end)
        } else {
            LineMatch::NeedMore
        };
    }
    match s[q] {
        b'\n' => yes(q + 1),
        b'\r' => match s.get(q + 1) {
            None if range_end => yes(end),
            None => LineMatch::NeedMore,
            Some(b'\n') => yes(q + 2),
            Some(b'\r') => match s.get(q + 2) {
                Some(b'\n') => LineMatch::IfEnclosingEndsAt {
                    line: BoundaryLine {
                        close,
                        after: at(q + 1),
                        term: at(q),
                    },
                    next: at(q + 3),
                },
                None if !range_end => LineMatch::NeedMore,
                _ => LineMatch::No,
            },
            Some(_) => LineMatch::No,
        },
        _ => LineMatch::No,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yes(close: bool, after: u64, term: u64) -> LineMatch {
        LineMatch::Yes(BoundaryLine { close, after, term })
    }

    #[test]
    fn boundary_lines_with_padding_and_line_breaks_rfc2046_5_1_1() {
        let d = b"--b";
        assert_eq!(classify(b"--b\r\nx", 10, d, false), yes(false, 15, 13));
        assert_eq!(classify(b"--b--  \nx", 0, d, false), yes(true, 8, 7));
        assert_eq!(classify(b"--b \t", 0, d, false), LineMatch::NeedMore);
        assert_eq!(classify(b"--b \t", 0, d, true), yes(false, 5, 5));
        assert_eq!(classify(b"--b\r", 0, d, true), yes(false, 4, 3));
        assert_eq!(classify(b"--b\r", 0, d, false), LineMatch::NeedMore);
        assert_eq!(classify(b"--bc\n", 0, d, false), LineMatch::No);
        assert_eq!(classify(b"--b x\n", 0, d, false), LineMatch::No);
        assert_eq!(classify(b"--", 0, d, false), LineMatch::NeedMore);
        assert_eq!(classify(b"--", 0, d, true), LineMatch::No);
        assert_eq!(classify(b"--b-", 0, d, false), LineMatch::NeedMore);
        assert_eq!(classify(b"--b-\n", 0, d, false), LineMatch::No);
        assert_eq!(classify(b"--b\r\rx", 0, d, false), LineMatch::No);
        assert_eq!(classify(b"--b\r\r", 0, d, true), LineMatch::No);
        assert_eq!(
            classify(b"--b\r\r\n--a", 0, d, false),
            LineMatch::IfEnclosingEndsAt {
                line: BoundaryLine {
                    close: false,
                    after: 4,
                    term: 3
                },
                next: 6
            }
        );
    }
}
