//! Cutting a message for TOP (RFC 1939 §7): the header, the blank line
//! after it, and the first `n` body lines.

/// Tracks where a TOP answer ends, over the dot-stuffed output (where every
/// line ends in CRLF, so lines are counted exactly as the client will see
/// them).
#[derive(Debug, Clone)]
pub(super) struct TopCut {
    in_header: bool,
    lines_left: u32,
    /// Octets of the current line seen so far (CR included).
    line_len: usize,
    done: bool,
}

impl TopCut {
    pub(super) fn new(lines: u32) -> Self {
        Self {
            in_header: true,
            lines_left: lines,
            line_len: 0,
            done: false,
        }
    }

    /// Whether everything TOP sends has been seen.
    pub(super) fn is_done(&self) -> bool {
        self.done
    }

    /// How much of `out` (the next stuffed octets) belongs to the answer.
    pub(super) fn keep(&mut self, out: &[u8]) -> usize {
        if self.done {
            return 0;
        }
        let mut pos = 0;
        while let Some(i) = memchr::memchr(b'\n', &out[pos..]) {
            let end = pos + i + 1;
            let len = self.line_len + i;
            self.line_len = 0;
            if self.in_header {
                // The empty line (CRLF alone) ends the header.
                if len <= 1 {
                    self.in_header = false;
                    if self.lines_left == 0 {
                        self.done = true;
                        return end;
                    }
                }
            } else {
                self.lines_left = self.lines_left.saturating_sub(1);
                if self.lines_left == 0 {
                    self.done = true;
                    return end;
                }
            }
            pos = end;
        }
        self.line_len += out.len() - pos;
        out.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(chunks: &[&[u8]], lines: u32) -> (Vec<u8>, bool) {
        let mut top = TopCut::new(lines);
        let mut kept = Vec::new();
        for chunk in chunks {
            let n = top.keep(chunk);
            kept.extend_from_slice(&chunk[..n]);
        }
        (kept, top.is_done())
    }

    #[test]
    fn header_blank_line_and_n_lines_rfc1939_7() {
        let msg: &[u8] = b"Subject: x\r\nFrom: y\r\n\r\none\r\ntwo\r\nthree\r\n";
        assert_eq!(
            cut(&[msg], 0),
            (b"Subject: x\r\nFrom: y\r\n\r\n".to_vec(), true)
        );
        assert_eq!(
            cut(&[msg], 2),
            (
                b"Subject: x\r\nFrom: y\r\n\r\none\r\ntwo\r\n".to_vec(),
                true
            )
        );
        assert_eq!(cut(&[msg], 9), (msg.to_vec(), false));
        // Any split gives the same cut.
        for split in 0..msg.len() {
            assert_eq!(cut(&[&msg[..split], &msg[split..]], 1).0, cut(&[msg], 1).0);
        }
    }

    #[test]
    fn no_blank_line_sends_everything() {
        let msg: &[u8] = b"Subject: x\r\nbody\r\n";
        assert_eq!(cut(&[msg], 0), (msg.to_vec(), false));
    }
}
