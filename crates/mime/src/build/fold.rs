//! Writing one header field with folding (RFC 5322 §2.2.3): the value is a
//! sequence of atoms, each after optional whitespace; a line break is put
//! before that whitespace when the line would pass 78 octets (§2.1.1), so
//! unfolding (removing the CRLFs) gives the value back byte for byte.

/// Lines should be no longer than this, without the CRLF (RFC 5322 §2.1.1).
pub(crate) const SOFT_LIMIT: usize = 78;

/// Lines must be no longer than this, without the CRLF (RFC 5322 §2.1.1).
pub(crate) const HARD_LIMIT: usize = 998;

/// One header field being written, straight into the output.
#[derive(Debug)]
pub(crate) struct Field<'a> {
    buf: &'a mut Vec<u8>,
    /// Where the field starts in `buf`, to take it back when refused.
    start: usize,
    /// Octets on the current line so far.
    column: usize,
    /// The longest finished line.
    longest: usize,
}

impl<'a> Field<'a> {
    /// Starts a field at the end of `out`: `Name:`.
    pub(crate) fn new(out: &'a mut Vec<u8>, name: &str) -> Field<'a> {
        let start = out.len();
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        Field {
            column: name.len() + 1,
            buf: out,
            start,
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
        self.word_parts(ws, &[atom.as_bytes()]);
    }

    /// [`word`](Self::word) for an atom given in pieces (`<`, an
    /// address, `>,`), written without joining them first.
    pub(crate) fn word_parts(&mut self, ws: &str, parts: &[&[u8]]) {
        let len = parts.iter().map(|p| p.len()).sum();
        self.open(ws, len);
        for p in parts {
            self.buf.extend_from_slice(p);
        }
    }

    /// Starts an atom of `len` octets after `ws` (folding first when it
    /// would pass the soft limit) and returns the buffer to write exactly
    /// those `len` octets into.
    pub(crate) fn open(&mut self, ws: &str, len: usize) -> &mut Vec<u8> {
        debug_assert!(ws.bytes().all(|b| b == b' ' || b == b'\t'));
        if !ws.is_empty() && self.column + ws.len() + len > SOFT_LIMIT {
            self.longest = self.longest.max(self.column);
            self.buf.extend_from_slice(b"\r\n");
            self.column = 0;
        }
        self.buf.extend_from_slice(ws.as_bytes());
        self.column += ws.len() + len;
        self.buf
    }

    /// The longest line of the field, in octets without the CRLF.
    pub(crate) fn longest_line(&self) -> usize {
        self.longest.max(self.column)
    }

    /// Ends the field with CRLF; `false` (and the field taken back out of
    /// the output) when a line is over the hard limit.
    pub(crate) fn finish(self) -> bool {
        if self.longest_line() > HARD_LIMIT {
            self.buf.truncate(self.start);
            return false;
        }
        self.buf.extend_from_slice(b"\r\n");
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_before_whitespace_at_78_rfc5322_2_2_3() {
        let mut out = Vec::new();
        let mut f = Field::new(&mut out, "Subject");
        for _ in 0..20 {
            f.word(" ", "abcdefgh");
        }
        assert!(f.finish());
        let text = String::from_utf8(out).unwrap();
        for line in text.split_terminator("\r\n") {
            assert!(line.len() <= SOFT_LIMIT, "{line:?}");
        }
        let unfolded = text.replace("\r\n", "");
        assert_eq!(unfolded, format!("Subject:{}", " abcdefgh".repeat(20)));
    }

    #[test]
    fn over_the_hard_limit_is_refused_rfc5322_2_1_1() {
        let mut out = b"Before: x\r\n".to_vec();
        let mut f = Field::new(&mut out, "X");
        f.word(" ", &"a".repeat(HARD_LIMIT));
        assert!(!f.finish());
        assert_eq!(out, b"Before: x\r\n");
    }
}
