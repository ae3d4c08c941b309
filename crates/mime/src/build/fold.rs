//! Writing one header field with folding (RFC 5322 §2.2.3): the value is a
//! sequence of atoms, each after optional whitespace; a line break is put
//! before that whitespace when the line would pass 78 octets (§2.1.1), so
//! unfolding (removing the CRLFs) gives the value back byte for byte.

/// Lines should be no longer than this, without the CRLF (RFC 5322 §2.1.1).
pub(crate) const SOFT_LIMIT: usize = 78;

/// Lines must be no longer than this, without the CRLF (RFC 5322 §2.1.1).
pub(crate) const HARD_LIMIT: usize = 998;

/// One header field being written.
#[derive(Debug)]
pub(crate) struct Field {
    buf: Vec<u8>,
    /// Octets on the current line so far.
    column: usize,
    /// The longest finished line.
    longest: usize,
}

impl Field {
    /// Starts a field: `Name:`.
    pub(crate) fn new(name: &str) -> Field {
        let mut buf = Vec::with_capacity(80);
        buf.extend_from_slice(name.as_bytes());
        buf.push(b':');
        Field {
            column: buf.len(),
            buf,
            longest: 0,
        }
    }

    /// Room left on the current line after `ws` before the soft limit.
    pub(crate) fn room_after(&self, ws: &str) -> usize {
        SOFT_LIMIT.saturating_sub(self.column + ws.len())
    }

    /// Appends `ws` then `atom`. `ws` is folding whitespace (spaces and
    /// tabs): when the line would pass the soft limit, a CRLF goes before
    /// it. With an empty `ws` the atom is glued to the line.
    pub(crate) fn word(&mut self, ws: &str, atom: &str) {
        debug_assert!(ws.bytes().all(|b| b == b' ' || b == b'\t'));
        if !ws.is_empty() && self.column + ws.len() + atom.len() > SOFT_LIMIT {
            self.longest = self.longest.max(self.column);
            self.buf.extend_from_slice(b"\r\n");
            self.column = 0;
        }
        self.buf.extend_from_slice(ws.as_bytes());
        self.buf.extend_from_slice(atom.as_bytes());
        self.column += ws.len() + atom.len();
    }

    /// The longest line of the field, in octets without the CRLF.
    pub(crate) fn longest_line(&self) -> usize {
        self.longest.max(self.column)
    }

    /// Ends the field with CRLF and appends it to `out`; `false` (and
    /// nothing appended) when a line is over the hard limit.
    pub(crate) fn finish(mut self, out: &mut Vec<u8>) -> bool {
        if self.longest_line() > HARD_LIMIT {
            return false;
        }
        self.buf.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.buf);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_before_whitespace_at_78_rfc5322_2_2_3() {
        let mut f = Field::new("Subject");
        for _ in 0..20 {
            f.word(" ", "abcdefgh");
        }
        let mut out = Vec::new();
        assert!(f.finish(&mut out));
        let text = String::from_utf8(out).unwrap();
        for line in text.split_terminator("\r\n") {
            assert!(line.len() <= SOFT_LIMIT, "{line:?}");
        }
        let unfolded = text.replace("\r\n", "");
        assert_eq!(unfolded, format!("Subject:{}", " abcdefgh".repeat(20)));
    }

    #[test]
    fn over_the_hard_limit_is_refused_rfc5322_2_1_1() {
        let mut f = Field::new("X");
        f.word(" ", &"a".repeat(HARD_LIMIT));
        let mut out = Vec::new();
        assert!(!f.finish(&mut out));
        assert!(out.is_empty());
    }
}
