//! The MIME structure of a built message (RFC 2046 §5.1) and the streaming
//! writer: multipart boundaries chosen deterministically and checked
//! against every part that is not base64 or quoted-printable, and leaf
//! bodies encoded in bounded chunks, attachments read from a
//! [`std::io::Read`] included.

use std::io::{self, Read, Write};

use memchr::memmem;

use super::transfer::{Base64Encoder, Encoding, encode_quoted_printable};

/// Where a leaf's content comes from.
pub(crate) enum Source {
    /// In memory.
    Bytes(Vec<u8>),
    /// Read and base64-encoded in chunks while writing.
    Reader(Box<dyn Read + Send>),
}

/// What a leaf writes as its body.
#[derive(Debug)]
pub(crate) enum Content {
    /// Bytes the plan owns (canonical text, normalized message/* parts).
    Owned(Vec<u8>),
    /// The caller's attachment number `n` (inline parts first).
    Source(usize),
}

/// A leaf part: its header fields (CRLF-terminated), encoding and content.
#[derive(Debug)]
pub(crate) struct Leaf {
    pub(crate) headers: Vec<u8>,
    pub(crate) encoding: Encoding,
    pub(crate) content: Content,
}

/// A node of the tree.
#[derive(Debug)]
pub(crate) enum Node {
    /// Index into the plan's leaves.
    Leaf(usize),
    /// `multipart/<subtype>` with its boundary (set by [`assign_boundaries`]).
    Multipart {
        subtype: &'static str,
        boundary: String,
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
                boundary: String::new(),
                children,
            }),
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
        let candidate = format!("=_pw_{:016x}", mix(seed.wrapping_add(*counter)));
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

/// Writes the body tree below the header fields already written.
pub(crate) struct Writer<'a, W: Write> {
    pub(crate) out: W,
    pub(crate) leaves: &'a [Leaf],
    pub(crate) sources: Vec<Option<Source>>,
    pub(crate) scratch: Vec<u8>,
}

impl<W: Write> Writer<'_, W> {
    /// Writes `node`: its header fields, the empty line, its body.
    pub(crate) fn node(&mut self, node: &Node) -> io::Result<()> {
        match node {
            Node::Leaf(i) => {
                let leaf = &self.leaves[*i];
                self.out.write_all(&leaf.headers)?;
                self.out.write_all(b"\r\n")?;
                self.leaf_body(leaf)
            }
            Node::Multipart {
                subtype,
                boundary,
                children,
            } => {
                write!(
                    self.out,
                    "Content-Type: multipart/{subtype}; boundary=\"{boundary}\"\r\n\r\n"
                )?;
                for (k, child) in children.iter().enumerate() {
                    // The CRLF before a delimiter belongs to it (RFC 2046 §5.1.1).
                    let lead = if k == 0 { "" } else { "\r\n" };
                    write!(self.out, "{lead}--{boundary}\r\n")?;
                    self.node(child)?;
                }
                write!(self.out, "\r\n--{boundary}--\r\n")
            }
        }
    }

    fn leaf_body(&mut self, leaf: &Leaf) -> io::Result<()> {
        let source = match &leaf.content {
            Content::Owned(bytes) => return self.bytes(leaf.encoding, bytes),
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
            Encoding::SevenBit | Encoding::EightBit => self.out.write_all(bytes),
            Encoding::QuotedPrintable => {
                // Only in-memory content is quoted-printable; its encoding
                // is at most three times its size.
                self.scratch.clear();
                encode_quoted_printable(bytes, &mut self.scratch);
                self.out.write_all(&self.scratch)
            }
            Encoding::Base64 => {
                let mut encoder = Base64Encoder::default();
                for chunk in bytes.chunks(CHUNK) {
                    self.scratch.clear();
                    encoder.update(chunk, &mut self.scratch);
                    self.out.write_all(&self.scratch)?;
                }
                self.scratch.clear();
                encoder.finish(&mut self.scratch);
                self.out.write_all(&self.scratch)
            }
        }
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
            self.scratch.clear();
            encoder.update(&buf[..n], &mut self.scratch);
            self.out.write_all(&self.scratch)?;
        }
        self.scratch.clear();
        encoder.finish(&mut self.scratch);
        self.out.write_all(&self.scratch)
    }
}
