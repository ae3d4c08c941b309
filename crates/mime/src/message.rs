//! The whole message: one iterative pass that splits header blocks and
//! multipart bodies into a tree of [`Part`]s, enforcing [`Limits`] with an
//! explicit work stack (no recursion, so nesting depth cannot overflow the
//! call stack).

use std::ops::{Deref, Range};
use std::sync::{LazyLock, OnceLock};

use memchr::memmem;
use smallvec::SmallVec;

use crate::decode::TransferEncoding;
use crate::defect::push_once;
use crate::header::{Headers, split_header_block_in};
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

    /// Parses only the top-level header block, with default [`Options`];
    /// see [`Message::parse_headers_with`].
    pub fn parse_headers(input: &'a [u8]) -> Result<Message<'a>, Error> {
        Message::parse_headers_with(input, &Options::default())
    }

    /// Parses only the top-level header block (RFC 5322 §2.1) and stops
    /// at the empty line that ends it: the body is neither split nor
    /// scanned, whatever its size or structure.
    ///
    /// A mail store listing a mailbox, a filter routing on From and
    /// Subject, or an IMAP `ENVELOPE` needs only these fields, and the
    /// body is most of the bytes of most messages (mail-parser's
    /// `parse_headers` and mailparse's `parse_headers` offer the same).
    ///
    /// The root [`Part`] carries exactly what [`Message::parse`] gives
    /// the root: the same [`Part::headers`], [`Part::header_range`],
    /// [`Part::body_range`] and [`Part::content_type`], so every typed
    /// accessor (`subject()`, `from()`, `date()`, ...) answers the same.
    /// Its [`Part::kind`] is [`PartKind::Unsplit`]: it has no children,
    /// [`Message::parts`] yields the root alone, and [`Part::text`] is
    /// `None` (the body's raw bytes are still [`Part::raw_body`]). Its
    /// [`Part::defects`] are those of the header block and Content-Type
    /// (the same as `parse` reports, before any defect of the body's
    /// structure: [`Defect::NoBoundaryFound`],
    /// [`Defect::MissingFinalBoundary`], [`Defect::EncodedMessageBody`]).
    /// The Content-Type is read when first asked for (by
    /// [`Part::content_type`], [`Part::defects`] or what uses them), so a
    /// listing that shows From, Subject and Date pays nothing for it.
    /// With [`Options::strict`], only those defects are errors (the
    /// Content-Type is then read at once), and of the [`Limits`] only the
    /// header ones apply.
    pub fn parse_headers_with(input: &'a [u8], options: &Options) -> Result<Message<'a>, Error> {
        // Room for the fields of most top-level blocks: one allocation.
        let fields = Vec::with_capacity(FIELDS_CAPACITY);
        let mut defects = Vec::new();
        let split =
            split_header_block_in(input, 0..input.len(), &options.limits, &mut defects, fields)?;
        let root = Part {
            input,
            headers: split.headers,
            header_range: split.header_range,
            body_range: split.body_start.min(input.len())..input.len(),
            // Read on first use (`Part::content_type`), with its defects:
            // a listing that shows From, Subject and Date never needs it.
            content_type: ContentType::default(),
            kind: PartKind::Unsplit,
            children: Vec::new(),
            defects,
            depth: 0,
            lazy_head: OnceLock::new(),
        };
        if options.strict
            && let Some(&d) = root.defects().first()
        {
            return Err(Error::Defect(d));
        }
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
        Parts::new(&self.root)
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
    /// The part to yield next.
    next: Option<&'m Part<'a>>,
    /// The siblings still to yield at each level above `next`, the
    /// deepest last: the first [`INLINE_LEVELS`] kept in place, any deeper
    /// in `deeper`, so that iterating a message allocates nothing unless
    /// it nests more deeply than that.
    levels: [&'m [Part<'a>]; INLINE_LEVELS],
    /// How many of `levels` are in use.
    depth: usize,
    /// Levels past the first [`INLINE_LEVELS`].
    deeper: Vec<&'m [Part<'a>]>,
}

/// Levels of siblings [`Parts`] keeps without an allocation.
const INLINE_LEVELS: usize = 8;

impl<'m, 'a> Parts<'m, 'a> {
    fn new(root: &'m Part<'a>) -> Parts<'m, 'a> {
        Parts {
            next: Some(root),
            levels: [&[]; INLINE_LEVELS],
            depth: 0,
            deeper: Vec::new(),
        }
    }

    /// Keeps `siblings` to yield after the subtree of the part before them.
    fn push(&mut self, siblings: &'m [Part<'a>]) {
        match self.levels.get_mut(self.depth) {
            Some(level) => {
                *level = siblings;
                self.depth += 1;
            }
            None => self.deeper.push(siblings),
        }
    }

    /// The next sibling at the deepest level that has one.
    fn next_sibling(&mut self) -> Option<&'m Part<'a>> {
        loop {
            let level = match self.deeper.last_mut() {
                Some(level) => level,
                None => self.levels.get_mut(self.depth.checked_sub(1)?)?,
            };
            if let Some((first, rest)) = level.split_first() {
                *level = rest;
                return Some(first);
            }
            if self.deeper.pop().is_none() {
                self.depth -= 1;
            }
        }
    }
}

impl<'m, 'a> Iterator for Parts<'m, 'a> {
    type Item = &'m Part<'a>;
    fn next(&mut self) -> Option<&'m Part<'a>> {
        let p = match self.next.take() {
            Some(p) => p,
            None => self.next_sibling()?,
        };
        if let Some((first, rest)) = p.children.split_first() {
            if !rest.is_empty() {
                self.push(rest);
            }
            self.next = Some(first);
        }
        Some(p)
    }
}

struct Job {
    range: Range<usize>,
    depth: usize,
    in_digest: bool,
    /// A whole message's header block (the top-level one, or one inside
    /// message/rfc822 or a digest), not a body part's: more fields.
    message: bool,
}

/// A boundary line found in a multipart body.
#[derive(Debug, Clone, Copy)]
struct BoundaryLine {
    /// Where the line break before the boundary starts (it belongs to the boundary).
    before: usize,
    /// Just after the boundary line's own line ending.
    after: usize,
    close: bool,
}

/// Finds the boundary lines of one multipart body (RFC 2046 §5.1.1): a
/// line starting `--boundary`, then `--` for the last, then only
/// whitespace. One memmem pass; stops at the closing line or after `max`
/// opening lines. Each line goes to `on_line` as it is found, so that
/// the parts' jobs are made without a list of the lines first.
fn find_boundaries(
    input: &[u8],
    body: Range<usize>,
    boundary: &[u8],
    max: usize,
    on_line: impl FnMut(BoundaryLine),
) -> Result<(), Error> {
    let by_lines = body.len() <= LINE_SCAN_MAX;
    find_boundaries_by(input, body, boundary, max, by_lines, on_line)
}

/// [`find_boundaries`], reading line by line or with a memmem searcher.
fn find_boundaries_by(
    input: &[u8],
    body: Range<usize>,
    boundary: &[u8],
    max: usize,
    by_lines: bool,
    mut on_line: impl FnMut(BoundaryLine),
) -> Result<(), Error> {
    // `--boundary`, on the stack for any boundary RFC 2046 §5.1.1 allows
    // (at most 70 characters).
    let mut stack_delim = [0u8; 72];
    let heap_delim;
    let delim: &[u8] = match stack_delim.get_mut(..boundary.len() + 2) {
        Some(d) => {
            d[..2].copy_from_slice(b"--");
            d[2..].copy_from_slice(boundary);
            d
        }
        None => {
            heap_delim = [&b"--"[..], boundary].concat();
            &heap_delim
        }
    };
    // Building a memmem searcher costs about as much as reading a few
    // kilobytes line by line, so small bodies (most parts) are read by lines.
    let finder = (!by_lines).then(|| memmem::Finder::new(delim));
    let mut opening = 0;
    let mut pos = body.start;
    let end = body.end;
    while pos < end {
        let p = match &finder {
            Some(finder) => {
                let Some(i) = finder.find(&input[pos..end]) else {
                    break;
                };
                pos + i
            }
            None => {
                let Some(p) = next_line_with(input, pos, body.start, end, delim) else {
                    break;
                };
                p
            }
        };
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
        on_line(BoundaryLine {
            before,
            after,
            close,
        });
        if close {
            break;
        }
        // Each opening line starts a part.
        opening += 1;
        if opening > max {
            return Err(Error::PartLimit(max));
        }
        pos = after;
    }
    Ok(())
}

/// The fields a message's header block starts with room for: most blocks
/// fit, and the list (21 fields of 48 bytes) stays under 1 KiB, which
/// common allocators (glibc's thread cache among them) serve from their
/// fast path; a longer block grows it.
const FIELDS_CAPACITY: usize = 21;

/// The fields a body part's header block starts with room for: most have
/// two to four (Content-Type, Content-Transfer-Encoding,
/// Content-Disposition, Content-ID), so one allocation of this size, kept
/// by the part, serves most, where collecting into a shared list and
/// copying it out exactly sized took one allocation and a copy each.
const PART_FIELDS_CAPACITY: usize = 4;

/// The Content-Type of a part with these header fields (the default is
/// message/rfc822 inside a digest, RFC 2046 §5.1.5, else text/plain,
/// RFC 2045 §5.2), with a multipart's boundary parameter checked (RFC 2046
/// §5.1.1): everything about a part's body that its header block alone decides.
pub(crate) fn content_type_of<'a>(
    headers: &Headers<'a>,
    in_digest: bool,
    defects: &mut Vec<Defect>,
) -> ContentType<'a> {
    let content_type = match headers.get("content-type") {
        Some(h) => ContentType::parse(h.raw_value(), defects),
        None if in_digest => ContentType::new("message", "rfc822"),
        None => ContentType::default(),
    };
    if content_type.main_type() == "multipart" && content_type.boundary().is_none_or(str::is_empty)
    {
        push_once(defects, Defect::MissingBoundaryParameter);
    }
    content_type
}

/// The part at `range` as its header block and Content-Type
/// ([`content_type_of`]) make it, a leaf at `depth` until [`build_tree`]
/// finds its children. The fields are collected in a list of `capacity`
/// to start with ([`FIELDS_CAPACITY`] for a message's block,
/// [`PART_FIELDS_CAPACITY`] for a body part's), which the part keeps. The
/// part is built here in its final form, and filled in where it lies,
/// rather than gathered from pieces returned by value.
fn read_part<'a>(
    input: &'a [u8],
    range: Range<usize>,
    limits: &Limits,
    in_digest: bool,
    capacity: usize,
    depth: usize,
) -> Result<Part<'a>, Error> {
    let mut defects = Vec::new();
    let fields = Vec::with_capacity(capacity);
    let split = split_header_block_in(input, range.clone(), limits, &mut defects, fields)?;
    let content_type = content_type_of(&split.headers, in_digest, &mut defects);
    Ok(Part {
        input,
        headers: split.headers,
        header_range: split.header_range,
        body_range: split.body_start.min(range.end)..range.end,
        content_type,
        kind: PartKind::Leaf,
        children: Vec::new(),
        defects,
        depth,
        lazy_head: OnceLock::new(),
    })
}

/// Bodies up to this size are searched for boundary lines line by line
/// (see [`find_boundaries`]).
const LINE_SCAN_MAX: usize = 4096;

/// The first line start at or after `pos` (in `start..end`; `start` is one)
/// whose line begins with `delim`, for [`find_boundaries`]: the same
/// answer as a substring search that skips matches inside lines. `delim`
/// starts with `-`, so only lines starting with `-` are compared, found
/// by a two-octet search for LF `-`: one vectorised pass over a base64
/// or text body, however many `-` its lines hold.
fn next_line_with(
    input: &[u8],
    pos: usize,
    start: usize,
    end: usize,
    delim: &[u8],
) -> Option<usize> {
    let line_start = pos == start || input[pos - 1] == b'\n';
    if line_start && input[pos..end].starts_with(delim) {
        return Some(pos);
    }
    let mut from = pos;
    loop {
        let dash = from + LF_DASH.find(input.get(from..end)?)? + 1;
        if input[dash..end].starts_with(delim) {
            return Some(dash);
        }
        from = dash;
    }
}

/// The searcher of [`next_line_with`], built once.
static LF_DASH: LazyLock<memmem::Finder<'static>> = LazyLock::new(|| memmem::Finder::new(b"\n-"));

/// The open parts [`build_tree`] holds without an allocation: nesting of
/// nearly all mail (a multipart/mixed holding a multipart/alternative,
/// perhaps inside a forwarded message) is shallower.
const OPEN_INLINE: usize = 4;

/// The parts waiting to be read that [`build_tree`] holds without an
/// allocation: more than most messages have at any one time.
const JOBS_INLINE: usize = 8;

fn build_tree<'a>(input: &'a [u8], options: &Options) -> Result<Part<'a>, Error> {
    let limits: &Limits = &options.limits;
    // The parts read whose children are still being read, the innermost
    // last, each with how many children it waits for: a finished part goes
    // straight into its parent's children, the last one's parent then into
    // its own, and so on up (a part is moved once into its place, not
    // gathered in a list and moved again).
    let mut open: SmallVec<[(Part<'a>, usize); OPEN_INLINE]> = SmallVec::new();
    // How many parts have been read, for the part limit.
    let mut count = 0;
    // The parts still to read; the top-level one is taken first.
    let mut stack: SmallVec<[Job; JOBS_INLINE]> = SmallVec::new();
    let mut top = Some(Job {
        range: 0..input.len(),
        depth: 0,
        in_digest: false,
        message: true,
    });
    while let Some(job) = top.take().or_else(|| stack.pop()) {
        if job.depth > limits.max_depth {
            return Err(Error::DepthLimit(limits.max_depth));
        }
        let mut part = read_part(
            input,
            job.range.clone(),
            limits,
            job.in_digest,
            if job.message {
                FIELDS_CAPACITY
            } else {
                PART_FIELDS_CAPACITY
            },
            job.depth,
        )?;
        let body_range = part.body_range.clone();
        // The jobs of this part's children go straight onto the stack,
        // reversed below so that the first child is read first.
        let first_child = stack.len();
        let content_type = &part.content_type;
        let defects = &mut part.defects;
        if content_type.main_type() == "multipart" {
            // `read_part` noted a missing or empty boundary parameter.
            match content_type.boundary().filter(|b| !b.is_empty()) {
                None => {}
                Some(boundary) => {
                    let room = limits.max_parts.saturating_sub(count + stack.len() + 1);
                    // RFC 2046 §5.1.1: the body parts are what follows
                    // each dash-boundary line, up to the next line; each
                    // part's job is pushed when the line after it is found.
                    let in_digest = content_type.subtype() == "digest";
                    let depth = job.depth + 1;
                    let (mut first, mut last) = (None, None);
                    find_boundaries(
                        input,
                        body_range.clone(),
                        boundary.as_bytes(),
                        room,
                        |line| match last.replace(line) {
                            Some(BoundaryLine { after, .. }) => stack.push(Job {
                                range: after..line.before.max(after),
                                depth,
                                in_digest,
                                message: in_digest,
                            }),
                            None => first = Some(line),
                        },
                    )
                    .map_err(|_| Error::PartLimit(limits.max_parts))?;
                    match (first, last) {
                        // A body with no boundary line, or only the
                        // close-delimiter, has no parts: the part stays a
                        // leaf, as Python's email reports it.
                        (Some(first), Some(last)) if !first.close => {
                            let epilogue = if last.close {
                                last.after..body_range.end
                            } else {
                                push_once(defects, Defect::MissingFinalBoundary);
                                // The last part runs to the end of the body.
                                stack.push(Job {
                                    range: last.after..body_range.end.max(last.after),
                                    depth,
                                    in_digest,
                                    message: in_digest,
                                });
                                body_range.end..body_range.end
                            };
                            part.kind = PartKind::Multipart {
                                preamble: body_range.start..first.before,
                                epilogue,
                            };
                        }
                        _ => push_once(defects, Defect::NoBoundaryFound),
                    }
                }
            }
        } else if content_type.main_type() == "message"
            && matches!(content_type.subtype(), "rfc822" | "global")
        {
            let te = part.headers.transfer_encoding();
            if matches!(
                te,
                TransferEncoding::SevenBit | TransferEncoding::EightBit | TransferEncoding::Binary
            ) {
                part.kind = PartKind::Message;
                stack.push(Job {
                    range: body_range.clone(),
                    depth: job.depth + 1,
                    in_digest: false,
                    message: true,
                });
            } else {
                push_once(defects, Defect::EncodedMessageBody);
            }
        }
        part.children = Vec::with_capacity(stack.len() - first_child);
        if options.strict {
            if let Some(&d) = part.defects.first() {
                return Err(Error::Defect(d));
            }
            if matches!(part.kind, PartKind::Leaf)
                && let Some(&d) = part.decode_body().1.first()
            {
                return Err(Error::Defect(d));
            }
        }
        count += 1;
        if count + stack.len() > limits.max_parts {
            return Err(Error::PartLimit(limits.max_parts));
        }
        let children = stack.len() - first_child;
        if children > 0 {
            // Its children are read next, the first first.
            stack[first_child..].reverse();
            open.push((part, children));
            continue;
        }
        // A finished part: into its parent, and each parent that this
        // completes into its own, up to the top-level part.
        loop {
            let Some((parent, waiting)) = open.last_mut() else {
                return Ok(part);
            };
            parent.children.push(part);
            *waiting -= 1;
            if *waiting > 0 {
                break;
            }
            let Some((parent, _)) = open.pop() else {
                break;
            };
            part = parent;
        }
    }
    // Not reached: the last part read completes the top-level one.
    Err(Error::PartLimit(limits.max_parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn preorder<'m, 'a>(p: &'m Part<'a>, out: &mut Vec<&'m Part<'a>>) {
        out.push(p);
        for c in &p.children {
            preorder(c, out);
        }
    }

    /// `parts()` walks the tree depth first, parents before children,
    /// siblings in order (RFC 2046 §5.1: the body parts in the order
    /// they appear), through nested multiparts and a message/rfc822.
    #[test]
    fn parts_are_depth_first_in_order_rfc2046_5_1() {
        let input = b"Content-Type: multipart/mixed; boundary=a\n\n--a\n\
Content-Type: multipart/alternative; boundary=b\n\n--b\n\n1\n--b\n\n2\n--b--\n\
--a\nContent-Type: message/rfc822\n\nContent-Type: multipart/mixed; boundary=c\n\n\
--c\n\n3\n--c\n\n4\n--c--\n--a\n\n5\n--a\n\n6\n--a--\n";
        let message = Message::parse(input).unwrap();
        let mut expected = Vec::new();
        preorder(message.root(), &mut expected);
        assert_eq!(expected.len(), 10);
        let walked: Vec<_> = message.parts().collect();
        assert_eq!(walked.len(), expected.len());
        for (w, e) in walked.iter().zip(&expected) {
            assert!(std::ptr::eq(*w, *e));
        }
        let leaves: Vec<_> = message
            .parts()
            .filter(|p| matches!(p.kind(), PartKind::Leaf))
            .map(|p| p.text().unwrap().trim().to_owned())
            .collect();
        assert_eq!(leaves, ["1", "2", "3", "4", "5", "6"]);
        let single = Message::parse(b"Subject: x\n\nbody\n").unwrap();
        assert_eq!(single.parts().count(), 1);
    }

    /// The walk keeps its order past the levels it holds in place: twelve
    /// nested multiparts, each with a leaf after the nested one.
    #[test]
    fn parts_of_deep_trees_are_depth_first_in_order_rfc2046_5_1() {
        let mut body = b"\ninnermost\n".to_vec();
        for level in 0..12 {
            body = format!(
                "Content-Type: multipart/mixed; boundary=b{level}\n\n--b{level}\n{}\n--b{level}\n\nleaf {level}\n--b{level}\n\nafter {level}\n--b{level}--\n",
                String::from_utf8(body).unwrap()
            )
            .into_bytes();
        }
        let message = Message::parse(&body).unwrap();
        let mut expected = Vec::new();
        preorder(message.root(), &mut expected);
        assert_eq!(expected.len(), 12 * 3 + 1);
        let walked: Vec<_> = message.parts().collect();
        assert_eq!(walked.len(), expected.len());
        for (w, e) in walked.iter().zip(&expected) {
            assert!(std::ptr::eq(*w, *e));
        }
    }

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

    /// Reading by lines finds the same boundary lines as the memmem
    /// search (RFC 2046 §5.1.1: a boundary only at a line start).
    #[test]
    fn line_scan_finds_the_boundaries_memmem_finds_rfc2046_5_1_1() {
        let bodies: [&[u8]; 9] = [
            b"--b\r\nx\r\n--b--\r\n",
            b"pre --b\n--b\nx--b\n--bb\n--b \t\n\n--b--",
            b"--b",
            b"\n--b\r",
            b"--b\rx\n--b\r\n--b--x\n--b--\n",
            b"x\n\n--b\n--b\n--b--\n--b\n",
            b"",
            b"-\n--\n--b-\n--b--  \r\n",
            b"a\r\n--b\r\r\n--b\r\n",
        ];
        for body in bodies {
            // Also inside a larger input, not at its start.
            let input = [&b"H: 1\n\n"[..], body].concat();
            for range in [
                0..input.len(),
                6..input.len(),
                7..input.len().saturating_sub(1),
            ] {
                let range = range.start.min(range.end)..range.end;
                let get = |by_lines| {
                    let mut lines = Vec::new();
                    find_boundaries_by(&input, range.clone(), b"b", 100, by_lines, |l| {
                        lines.push(l)
                    })
                    .unwrap();
                    lines
                        .iter()
                        .map(|l| (l.before, l.after, l.close))
                        .collect::<Vec<_>>()
                };
                assert_eq!(get(true), get(false), "{body:?} {range:?}");
            }
        }
    }

    proptest::proptest! {
        /// Reading by lines and the memmem search agree on any body.
        #[test]
        fn line_scan_and_memmem_agree_on_any_body(
            body in proptest::collection::vec(
                proptest::sample::select(b"--bb\r\n\n \tx".to_vec()), 0..80),
            cut in 0usize..4,
        ) {
            let start = cut.min(body.len());
            let get = |by_lines| {
                let mut lines = Vec::new();
                find_boundaries_by(&body, start..body.len(), b"b", 1000, by_lines, |l| {
                    lines.push(l)
                })
                .unwrap();
                lines
                    .iter()
                    .map(|l| (l.before, l.after, l.close))
                    .collect::<Vec<_>>()
            };
            proptest::prop_assert_eq!(get(true), get(false));
        }
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
