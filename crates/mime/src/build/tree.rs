//! The MIME structure of a built message (RFC 2046 §5.1) and the streaming
//! writer: multipart boundaries chosen deterministically and checked
//! against every part that is not base64 or quoted-printable, and leaf
//! bodies encoded in bounded chunks, attachments read from a
//! [`std::io::Read`] included.

use std::io::{self, Read, Write};

use memchr::memmem;

use super::transfer::{
    Base64Encoder, Canonical, Encoding, encode_quoted_printable, encode_text_quoted_printable,
    write_canonical,
};

/// Where a leaf's content comes from.
pub(crate) enum Source {
    /// In memory.
    Bytes(bytes::Bytes),
    /// Read and base64-encoded in chunks while writing.
    Reader(Box<dyn Read + Send>),
}

/// What a leaf writes as its body.
#[derive(Debug)]
pub(crate) enum Content {
    /// Bytes the plan owns (normalized message/* parts).
    Owned(Vec<u8>),
    /// Text body `n` of the writer's `texts`, put in canonical form
    /// (RFC 2046 §4.1.1) while it is encoded, never copied first.
    Text(usize),
    /// The caller's attachment number `n` (inline parts first).
    Source(usize),
}

/// A leaf part: its header fields (CRLF-terminated), encoding and content.
#[derive(Debug)]
pub(crate) struct Leaf {
    pub(crate) headers: std::borrow::Cow<'static, [u8]>,
    pub(crate) encoding: Encoding,
    pub(crate) content: Content,
    /// About how long the encoded body is (0 when unknown), to size the
    /// output of [`MessageBuilder::build`](super::MessageBuilder::build).
    pub(crate) body_len: usize,
}

/// A node of the tree.
#[derive(Debug)]
pub(crate) enum Node {
    /// Index into the plan's leaves.
    Leaf(usize),
    /// `multipart/<subtype>` with its boundary (set by [`assign_boundaries`]).
    Multipart {
        subtype: &'static str,
        boundary: Boundary,
        children: Vec<Node>,
    },
}

impl Node {
    /// `multipart/<subtype>` around `children`, or the only child itself.
    pub(crate) fn multipart(subtype: &'static str, mut children: Vec<Node>) -> Option<Node> {
        match children.len() {
            0 => None,
            1 => children.pop(),
            _ => Some(Node::Multipart {
                subtype,
                boundary: Boundary::default(),
                children,
            }),
        }
    }
}

/// About how many octets `node` writes: header fields, bodies and
/// delimiter lines.
pub(crate) fn estimate(node: &Node, leaves: &[Leaf]) -> usize {
    match node {
        Node::Leaf(i) => leaves
            .get(*i)
            .map_or(0, |l| l.headers.len() + 2 + l.body_len),
        Node::Multipart {
            boundary, children, ..
        } => {
            let line = boundary.len() + 6;
            64 + line * (children.len() + 1)
                + children.iter().map(|c| estimate(c, leaves)).sum::<usize>()
        }
    }
}

/// splitmix64: a bijection, so distinct counters give distinct boundaries.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A multipart boundary: `=_pw_` and 16 hex digits, kept inline.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Boundary([u8; 21]);

impl Boundary {
    /// The boundary's octets.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Its length: the same for every boundary.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }
}

/// `=_pw_` and the 16 lower-case hex digits of `n`.
fn boundary_for(n: u64) -> Boundary {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = *b"=_pw_0000000000000000";
    for k in 0..16 {
        out[5 + k] = HEX[(n >> ((15 - k) * 4)) as usize & 15];
    }
    Boundary(out)
}

/// Sets the boundary of every multipart, in preorder: `=_pw_` and 16 hex
/// digits from the seed and a counter. `=_` never occurs in base64 or in
/// quoted-printable (where `=` is followed by hex or a line break), so
/// only the 7bit and 8bit contents in `raw` are searched; a candidate
/// found in one is skipped. All boundaries have the same length, so none
/// is a prefix of another (RFC 2046 §5.1.1).
pub(crate) fn assign_boundaries(node: &mut Node, seed: u64, counter: &mut u64, raw: &[&[u8]]) {
    let Node::Multipart {
        boundary, children, ..
    } = node
    else {
        return;
    };
    loop {
        let candidate = boundary_for(mix(seed.wrapping_add(*counter)));
        *counter += 1;
        if !raw
            .iter()
            .any(|c| memmem::find(c, candidate.as_bytes()).is_some())
        {
            *boundary = candidate;
            break;
        }
    }
    for child in children {
        assign_boundaries(child, seed, counter, raw);
    }
}

/// Input bytes per base64 chunk: 76 * 768 characters of output.
const CHUNK: usize = 57 * 1024;

/// A [`WriteSink`] passes its buffer on once it holds this much: with
/// one chunk's base64 (78 KiB) on top, a write stays under 128 KiB.
const FLUSH_AT: usize = 48 * 1024;

/// Where the writer puts the message: straight into the caller's `Vec`
/// when building one ([`VecSink`]), or through a bounded buffer to any
/// [`Write`] ([`WriteSink`]). Encoders append to [`Sink::buf`], so a
/// built message is encoded in place, never copied from a scratch buffer.
pub(crate) trait Sink {
    /// The buffer to append to.
    fn buf(&mut self) -> &mut Vec<u8>;

    /// Passes the buffer on when it holds enough (always with `force`),
    /// so a writer sees few large writes and the buffer stays bounded.
    fn flush(&mut self, force: bool) -> io::Result<()>;

    /// Appends `bytes`, which a writer may take directly.
    fn put(&mut self, bytes: &[u8]) -> io::Result<()>;
}

/// The message's own `Vec`.
pub(crate) struct VecSink<'a>(pub(crate) &'a mut Vec<u8>);

impl Sink for VecSink<'_> {
    fn buf(&mut self) -> &mut Vec<u8> {
        self.0
    }

    fn flush(&mut self, _force: bool) -> io::Result<()> {
        Ok(())
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.0.extend_from_slice(bytes);
        Ok(())
    }
}

/// Any writer, behind a buffer of about [`FLUSH_AT`] plus one chunk.
pub(crate) struct WriteSink<W: Write> {
    pub(crate) out: W,
    pub(crate) buf: Vec<u8>,
}

impl<W: Write> Sink for WriteSink<W> {
    fn buf(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    fn flush(&mut self, force: bool) -> io::Result<()> {
        if force || self.buf.len() >= FLUSH_AT {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        if bytes.len() >= FLUSH_AT {
            self.flush(true)?;
            return self.out.write_all(bytes);
        }
        self.buf.extend_from_slice(bytes);
        self.flush(false)
    }
}

/// Writes the body tree below the header fields already written.
pub(crate) struct Writer<'a, S: Sink> {
    pub(crate) sink: S,
    pub(crate) leaves: &'a [Leaf],
    pub(crate) sources: Vec<Option<Source>>,
    /// The text bodies [`Content::Text`] refers to, as the caller gave them.
    pub(crate) texts: [&'a [u8]; TEXTS],
}

/// How many text bodies a message has: the text, the HTML, and the empty
/// text of a message without a body.
pub(crate) const TEXTS: usize = 3;

impl<S: Sink> Writer<'_, S> {
    /// Writes `node`: its header fields, the empty line, its body.
    pub(crate) fn node(&mut self, node: &Node) -> io::Result<()> {
        match node {
            Node::Leaf(i) => {
                let leaf = &self.leaves[*i];
                let buf = self.sink.buf();
                buf.extend_from_slice(&leaf.headers);
                buf.extend_from_slice(b"\r\n");
                self.leaf_body(leaf)
            }
            Node::Multipart {
                subtype,
                boundary,
                children,
            } => {
                let buf = self.sink.buf();
                buf.extend_from_slice(b"Content-Type: multipart/");
                buf.extend_from_slice(subtype.as_bytes());
                buf.extend_from_slice(b"; boundary=\"");
                buf.extend_from_slice(boundary.as_bytes());
                buf.extend_from_slice(b"\"\r\n\r\n");
                for (k, child) in children.iter().enumerate() {
                    // The CRLF before a delimiter belongs to it (RFC 2046 §5.1.1).
                    let buf = self.sink.buf();
                    if k > 0 {
                        buf.extend_from_slice(b"\r\n");
                    }
                    buf.extend_from_slice(b"--");
                    buf.extend_from_slice(boundary.as_bytes());
                    buf.extend_from_slice(b"\r\n");
                    self.node(child)?;
                }
                let buf = self.sink.buf();
                buf.extend_from_slice(b"\r\n--");
                buf.extend_from_slice(boundary.as_bytes());
                buf.extend_from_slice(b"--\r\n");
                self.sink.flush(false)
            }
        }
    }

    fn leaf_body(&mut self, leaf: &Leaf) -> io::Result<()> {
        let source = match &leaf.content {
            Content::Owned(bytes) => return self.bytes(leaf.encoding, bytes),
            Content::Text(n) => {
                let text = self.texts.get(*n).copied().unwrap_or_default();
                return self.text(leaf.encoding, text);
            }
            Content::Source(n) => self.sources.get_mut(*n).and_then(Option::take),
        };
        match source {
            Some(Source::Bytes(bytes)) => self.bytes(leaf.encoding, &bytes),
            Some(Source::Reader(mut reader)) => self.reader(&mut reader),
            None => Ok(()),
        }
    }

    fn bytes(&mut self, encoding: Encoding, bytes: &[u8]) -> io::Result<()> {
        match encoding {
            Encoding::SevenBit | Encoding::EightBit => self.sink.put(bytes),
            Encoding::QuotedPrintable => {
                // Only in-memory content is quoted-printable; its encoding
                // is at most three times its size.
                encode_quoted_printable(bytes, self.sink.buf());
                self.sink.flush(false)
            }
            Encoding::Base64 => {
                let mut encoder = Base64Encoder::default();
                for chunk in bytes.chunks(CHUNK) {
                    encoder.update(chunk, self.sink.buf());
                    self.sink.flush(false)?;
                }
                encoder.finish(self.sink.buf());
                self.sink.flush(false)
            }
        }
    }

    /// A text body in canonical form, in pieces that end at a line
    /// feed (so that no CRLF is split, and each piece's canonical form is
    /// its share of the whole's), each encoded straight into the sink.
    fn text(&mut self, encoding: Encoding, text: &[u8]) -> io::Result<()> {
        if encoding == Encoding::Base64 {
            return self.bytes(encoding, &Canonical::of(text).bytes);
        }
        let mut rest = text;
        while !rest.is_empty() {
            let cut = match rest.get(..CHUNK) {
                Some(head) => memchr::memrchr(b'\n', head).map_or(rest.len(), |p| p + 1),
                None => rest.len(),
            };
            let (piece, tail) = rest.split_at(cut);
            if encoding == Encoding::QuotedPrintable {
                encode_text_quoted_printable(piece, self.sink.buf());
            } else {
                write_canonical(piece, self.sink.buf());
            }
            self.sink.flush(false)?;
            rest = tail;
        }
        Ok(())
    }

    fn reader(&mut self, reader: &mut dyn Read) -> io::Result<()> {
        let mut buf = vec![0u8; CHUNK];
        let mut encoder = Base64Encoder::default();
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            encoder.update(&buf[..n], self.sink.buf());
            self.sink.flush(false)?;
        }
        encoder.finish(self.sink.buf());
        self.sink.flush(false)
    }
}
