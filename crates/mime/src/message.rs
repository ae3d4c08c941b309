//! The whole message: one iterative pass that splits header blocks and
//! multipart bodies into a tree of [`Part`]s, enforcing [`Limits`] with an
//! explicit work stack (no recursion, so nesting depth cannot overflow the
//! call stack).

use std::ops::{Deref, Range};

use memchr::memmem;

use crate::decode::TransferEncoding;
use crate::defect::push_once;
use crate::header::split_header_block_with;
use crate::param::ContentType;
use crate::part::{Part, PartKind};
use crate::report::DeliveryStatus;
use crate::{Defect, Error, Limits, Options};

/// A parsed message borrowing its bytes. Derefs to its top-level [`Part`],
/// so `message.subject()`, `message.from()`, `message.children()` work.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    input: &'a [u8],
    root: Part<'a>,
}

impl<'a> Message<'a> {
    /// Parses with default [`Options`] (lenient, default limits).
    pub fn parse(input: &'a [u8]) -> Result<Message<'a>, Error> {
        Message::parse_with(input, &Options::default())
    }

    /// Parses with the given options.
    pub fn parse_with(input: &'a [u8], options: &Options) -> Result<Message<'a>, Error> {
        let root = build_tree(input, options)?;
        Ok(Message { input, root })
    }

    /// The bytes this message was parsed from.
    pub fn input(&self) -> &'a [u8] {
        self.input
    }

    /// The top-level part.
    pub fn root(&self) -> &Part<'a> {
        &self.root
    }

    /// Every part, depth first, parents before children, the top-level part first.
    pub fn parts(&self) -> Parts<'_, 'a> {
        Parts {
            stack: vec![&self.root],
        }
    }

    /// Every defect in the tree with the part it was found in.
    pub fn all_defects(&self) -> impl Iterator<Item = (&Part<'a>, Defect)> {
        self.parts()
            .flat_map(|p| p.defects().iter().map(move |&d| (p, d)))
    }

    /// The first delivery-status part's results (RFC 3464), for bounces.
    pub fn delivery_status(&self) -> Option<DeliveryStatus> {
        self.parts().find_map(Part::delivery_status)
    }

    /// The text/* leaves that are not attachments, in order (plain and HTML alternatives both).
    pub fn text_bodies(&self) -> impl Iterator<Item = &Part<'a>> {
        self.parts().filter(|p| {
            matches!(p.kind(), PartKind::Leaf)
                && p.content_type().main_type() == "text"
                && !p.is_attachment()
        })
    }

    /// Leaves with a file name or an attachment disposition.
    pub fn attachments(&self) -> impl Iterator<Item = &Part<'a>> {
        self.parts().filter(|p| {
            matches!(p.kind(), PartKind::Leaf) && (p.is_attachment() || p.filename().is_some())
        })
    }
}

impl<'a> Deref for Message<'a> {
    type Target = Part<'a>;
    fn deref(&self) -> &Part<'a> {
        &self.root
    }
}

/// Depth-first iterator over the parts of a [`Message`].
#[derive(Debug)]
pub struct Parts<'m, 'a> {
    stack: Vec<&'m Part<'a>>,
}

impl<'m, 'a> Iterator for Parts<'m, 'a> {
    type Item = &'m Part<'a>;
    fn next(&mut self) -> Option<&'m Part<'a>> {
        let p = self.stack.pop()?;
        self.stack.extend(p.children.iter().rev());
        Some(p)
    }
}

struct Job {
    range: Range<usize>,
    depth: usize,
    parent: Option<usize>,
    in_digest: bool,
}

/// A boundary line found in a multipart body.
struct BoundaryLine {
    /// Where the line break before the boundary starts (it belongs to the boundary).
    before: usize,
    /// Just after the boundary line's own line ending.
    after: usize,
    close: bool,
}

/// Finds the boundary lines of one multipart body (RFC 2046 §5.1.1): a
/// line starting `--boundary`, then `--` for the last, then only
/// whitespace. One memmem pass; stops at the closing line or after `max`.
fn find_boundaries(
    input: &[u8],
    body: Range<usize>,
    boundary: &[u8],
    max: usize,
) -> Result<Vec<BoundaryLine>, Error> {
    let mut delim = Vec::with_capacity(boundary.len() + 2);
    delim.extend_from_slice(b"--");
    delim.extend_from_slice(boundary);
    let finder = memmem::Finder::new(&delim);
    let mut out = Vec::new();
    let mut pos = body.start;
    let end = body.end;
    while pos < end {
        let Some(i) = finder.find(&input[pos..end]) else {
            break;
        };
        let p = pos + i;
        if p != body.start && input[p - 1] != b'\n' {
            pos = p + 1;
            continue;
        }
        let mut q = p + delim.len();
        let close = input[q..end].starts_with(b"--");
        if close {
            q += 2;
        }
        while q < end && matches!(input[q], b' ' | b'\t') {
            q += 1;
        }
        let after = if q >= end {
            end
        } else if input[q] == b'\n' {
            q + 1
        } else if input[q] == b'\r' && (q + 1 == end || input[q + 1] == b'\n') {
            (q + 2).min(end)
        } else {
            pos = p + 1;
            continue;
        };
        let before = if p == body.start {
            p
        } else if p >= body.start + 2 && input[p - 2] == b'\r' {
            p - 2
        } else {
            p - 1
        };
        out.push(BoundaryLine {
            before,
            after,
            close,
        });
        if close {
            break;
        }
        // Each opening line starts a part.
        if out.len() > max {
            return Err(Error::PartLimit(max));
        }
        pos = after;
    }
    Ok(out)
}

fn build_tree<'a>(input: &'a [u8], options: &Options) -> Result<Part<'a>, Error> {
    let limits: &Limits = &options.limits;
    let mut nodes: Vec<Option<Part<'a>>> = Vec::new();
    let mut parents: Vec<Option<usize>> = Vec::new();
    let mut stack = vec![Job {
        range: 0..input.len(),
        depth: 0,
        parent: None,
        in_digest: false,
    }];
    // The fields of each header block are collected here and copied out
    // exactly sized; real messages carry up to a few dozen top-level fields.
    let mut scratch = Vec::with_capacity(64);
    while let Some(job) = stack.pop() {
        if job.depth > limits.max_depth {
            return Err(Error::DepthLimit(limits.max_depth));
        }
        let index = nodes.len();
        let mut defects = Vec::new();
        let split =
            split_header_block_with(input, job.range.clone(), limits, &mut defects, &mut scratch)?;
        let content_type = match split.headers.get("content-type") {
            Some(h) => ContentType::parse(&h.value(), &mut defects),
            None if job.in_digest => ContentType::new("message", "rfc822"),
            None => ContentType::default(),
        };
        let body_range = split.body_start.min(job.range.end)..job.range.end;
        let mut kind = PartKind::Leaf;
        let mut child_jobs: Vec<Job> = Vec::new();
        if content_type.main_type() == "multipart" {
            match content_type.boundary().filter(|b| !b.is_empty()) {
                None => push_once(&mut defects, Defect::MissingBoundaryParameter),
                Some(boundary) => {
                    let room = limits
                        .max_parts
                        .saturating_sub(nodes.len() + stack.len() + 1);
                    let lines =
                        find_boundaries(input, body_range.clone(), boundary.as_bytes(), room)
                            .map_err(|_| Error::PartLimit(limits.max_parts))?;
                    // RFC 2046 §5.1.1: the body parts are what follows
                    // each dash-boundary line; a body with none (nothing
                    // found, or only the close-delimiter) has no parts, so
                    // the part stays a leaf, as Python's email reports it.
                    if lines.first().is_none_or(|l| l.close) {
                        push_once(&mut defects, Defect::NoBoundaryFound);
                    } else {
                        let closed = lines.last().is_some_and(|l| l.close);
                        if !closed {
                            push_once(&mut defects, Defect::MissingFinalBoundary);
                        }
                        let epilogue = if closed {
                            lines[lines.len() - 1].after..body_range.end
                        } else {
                            body_range.end..body_range.end
                        };
                        let in_digest = content_type.subtype() == "digest";
                        for (k, line) in lines.iter().enumerate() {
                            if line.close {
                                break;
                            }
                            let end = lines.get(k + 1).map_or(body_range.end, |n| n.before);
                            child_jobs.push(Job {
                                range: line.after..end.max(line.after),
                                depth: job.depth + 1,
                                parent: Some(index),
                                in_digest,
                            });
                        }
                        kind = PartKind::Multipart {
                            preamble: body_range.start..lines[0].before,
                            epilogue,
                        };
                    }
                }
            }
        } else if content_type.main_type() == "message"
            && matches!(content_type.subtype(), "rfc822" | "global")
        {
            let te = split
                .headers
                .get("content-transfer-encoding")
                .map_or(TransferEncoding::SevenBit, |h| {
                    TransferEncoding::parse(&h.value())
                });
            if matches!(
                te,
                TransferEncoding::SevenBit | TransferEncoding::EightBit | TransferEncoding::Binary
            ) {
                kind = PartKind::Message;
                child_jobs.push(Job {
                    range: body_range.clone(),
                    depth: job.depth + 1,
                    parent: Some(index),
                    in_digest: false,
                });
            } else {
                push_once(&mut defects, Defect::EncodedMessageBody);
            }
        }
        let part = Part {
            input,
            headers: split.headers,
            header_range: split.header_range,
            body_range,
            content_type,
            kind,
            children: Vec::new(),
            defects,
            depth: job.depth,
        };
        if options.strict {
            if let Some(&d) = part.defects.first() {
                return Err(Error::Defect(d));
            }
            if matches!(part.kind, PartKind::Leaf) {
                if let Some(&d) = part.decode_body().1.first() {
                    return Err(Error::Defect(d));
                }
            }
        }
        if nodes.len() + stack.len() + child_jobs.len() + 1 > limits.max_parts {
            return Err(Error::PartLimit(limits.max_parts));
        }
        nodes.push(Some(part));
        parents.push(job.parent);
        stack.extend(child_jobs.into_iter().rev());
    }
    // Assemble bottom-up: nodes are in preorder, so every child comes after
    // its parent; moving from the end attaches each finished subtree.
    for j in (1..nodes.len()).rev() {
        let Some(mut part) = nodes[j].take() else {
            continue;
        };
        part.children.reverse();
        if let Some(parent) = parents[j] {
            if let Some(p) = nodes[parent].as_mut() {
                p.children.push(part);
            }
        }
    }
    let mut root = nodes
        .first_mut()
        .and_then(Option::take)
        .ok_or(Error::PartLimit(limits.max_parts))?;
    root.children.reverse();
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_delimiter_alone_is_no_boundary_and_a_leaf_rfc2046_5_1_1() {
        // RFC 2046 §5.1.1: body parts follow dash-boundary lines; a body
        // whose only boundary line is the close-delimiter has none.
        let input = b"Content-Type: multipart/mixed; boundary=\"BBB\"\n\n--BBB--\n\nafter\n";
        let message = Message::parse(input).unwrap();
        assert!(matches!(message.kind(), PartKind::Leaf));
        assert!(message.children().is_empty());
        assert_eq!(message.defects(), [Defect::NoBoundaryFound]);
        let body = b"--BBB--\n\nafter\n";
        assert_eq!(message.body_range(), input.len() - body.len()..input.len());
        assert_eq!(&*message.decode_body().0, body);
        // A later dash-boundary line does not reopen it: the search stops
        // at the close-delimiter.
        let input = b"Content-Type: multipart/mixed; boundary=b\n\n--b--\n--b\n\nx\n--b--\n";
        let message = Message::parse(input).unwrap();
        assert!(matches!(message.kind(), PartKind::Leaf));
        assert_eq!(message.defects(), [Defect::NoBoundaryFound]);
        assert!(matches!(
            Message::parse_with(input, &Options::strict()),
            Err(Error::Defect(Defect::NoBoundaryFound))
        ));
    }

    #[test]
    fn close_delimiter_after_a_part_still_closes_rfc2046_5_1_1() {
        let input = b"Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b--\n";
        let message = Message::parse(input).unwrap();
        assert!(matches!(message.kind(), PartKind::Multipart { .. }));
        assert_eq!(message.children().len(), 1);
        assert!(message.defects().is_empty());
    }
}
