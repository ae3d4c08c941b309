//! `Message::parse_headers`: the top-level header block alone (RFC 5322
//! §2.1), which must read exactly as the root of a whole parse and never
//! look past the empty line that ends the block. And every part's header
//! fields, which must hold what the parse read from them.

use std::path::{Path, PathBuf};

use postwire_mime::{ContentType, Defect, Error, Message, Options, PartKind, TransferEncoding};

/// Every vendored message (enmime, cpython, torture), sorted by path.
fn corpus() -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path
                .extension()
                .is_some_and(|e| ["eml", "raw", "txt", "golden"].iter().any(|x| e == *x))
            {
                out.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data"),
        &mut paths,
    );
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let raw = std::fs::read(&p).unwrap();
            (p, raw)
        })
        .collect()
}

/// The same message with every bare LF made CRLF.
fn crlf(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 16);
    for (i, &b) in raw.iter().enumerate() {
        if b == b'\n' && (i == 0 || raw[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// Defects of the body's structure, which only a whole parse can find.
fn is_structural(d: &Defect) -> bool {
    matches!(
        d,
        Defect::NoBoundaryFound | Defect::MissingFinalBoundary | Defect::EncodedMessageBody
    )
}

/// Asserts that the header-only parse of `raw` is the root of the whole parse.
fn assert_same_root(name: &str, raw: &[u8]) {
    let whole = Message::parse(raw).unwrap();
    let head = Message::parse_headers(raw).unwrap();
    assert_eq!(head.headers(), whole.headers(), "{name}: headers");
    assert_eq!(head.header_range(), whole.header_range(), "{name}");
    assert_eq!(head.body_range(), whole.body_range(), "{name}");
    assert_eq!(head.raw_body(), whole.raw_body(), "{name}");
    assert_eq!(head.content_type(), whole.content_type(), "{name}");
    assert_eq!(head.disposition(), whole.disposition(), "{name}");
    assert_eq!(
        head.transfer_encoding(),
        whole.transfer_encoding(),
        "{name}"
    );
    assert_eq!(head.subject(), whole.subject(), "{name}");
    assert_eq!(head.from(), whole.from(), "{name}");
    assert_eq!(head.to(), whole.to(), "{name}");
    assert_eq!(head.cc(), whole.cc(), "{name}");
    assert_eq!(
        head.date_with_defects(),
        whole.date_with_defects(),
        "{name}"
    );
    assert_eq!(head.message_id(), whole.message_id(), "{name}");
    assert_eq!(head.references(), whole.references(), "{name}");
    let expected: Vec<Defect> = whole
        .defects()
        .iter()
        .copied()
        .filter(|d| !is_structural(d))
        .collect();
    assert_eq!(head.defects(), expected, "{name}: defects");
    assert_eq!(head.kind(), &PartKind::Unsplit, "{name}");
    assert!(head.children().is_empty(), "{name}");
    assert_eq!(head.parts().count(), 1, "{name}");
    assert_eq!(head.text(), None, "{name}");
    assert_eq!(head.depth(), 0, "{name}");
}

#[test]
fn header_only_root_is_the_whole_parse_root_on_every_vendored_message_rfc5322_2_1() {
    let corpus = corpus();
    assert!(corpus.len() >= 150, "{} messages", corpus.len());
    let mut with_subject = 0;
    for (path, raw) in &corpus {
        let name = path.display().to_string();
        assert_same_root(&name, raw);
        assert_same_root(&format!("{name} (CRLF)"), &crlf(raw));
        with_subject += usize::from(Message::parse_headers(raw).unwrap().subject().is_some());
    }
    // The comparison is not vacuous: most messages carry a Subject.
    assert!(with_subject > corpus.len() / 2, "{with_subject}");
}

/// Every part's fields lie in its header range in order and hold the
/// Content-Type and Content-Transfer-Encoding that the parse read (RFC
/// 2045 §5, §6), on every vendored message, with bare LF and with CRLF.
#[test]
fn every_part_s_fields_hold_what_the_parse_read_rfc2045_5_6() {
    let mut parts = 0;
    for (path, raw) in corpus() {
        for raw in [raw.clone(), crlf(&raw)] {
            let name = path.display();
            let message = Message::parse(&raw).unwrap();
            for part in message.parts() {
                parts += 1;
                let range = part.header_range();
                let mut at = range.start;
                for field in part.headers() {
                    assert!(field.range().start >= at, "{name}");
                    assert!(
                        field.range().end <= range.end.max(field.range().start),
                        "{name}"
                    );
                    at = field.range().end;
                }
                let encoding = part
                    .header("content-transfer-encoding")
                    .map_or(TransferEncoding::SevenBit, |h| {
                        TransferEncoding::parse(&h.value())
                    });
                assert_eq!(part.transfer_encoding(), encoding, "{name}");
                if let Some(h) = part.header("content-type") {
                    let read = ContentType::parse(h.raw_value(), &mut Vec::new());
                    if !part.defects().contains(&Defect::InvalidContentType) {
                        assert_eq!(part.content_type(), &read, "{name}");
                    }
                }
            }
        }
    }
    assert!(parts > 300, "{parts}");
}

#[test]
fn header_only_parse_does_not_look_past_the_header_block_rfc5322_2_1() {
    let mut cut = 0;
    for (path, raw) in corpus() {
        let name = path.display();
        let head = Message::parse_headers(&raw).unwrap();
        let body_start = head.body_range().start;
        // Only where an empty line ends the block: without one, the cut
        // would make the first body line a last header line.
        if body_start == head.header_range().end {
            continue;
        }
        cut += 1;
        let block = &raw[..body_start];
        let other_body = [block, b"--x\r\n\xff\xfe garbage\r\n".as_slice()].concat();
        for input in [block, other_body.as_slice()] {
            let again = Message::parse_headers(input).unwrap();
            assert_eq!(again.headers(), head.headers(), "{name}");
            assert_eq!(again.header_range(), head.header_range(), "{name}");
            assert_eq!(again.content_type(), head.content_type(), "{name}");
            assert_eq!(again.defects(), head.defects(), "{name}");
            assert_eq!(again.body_range(), body_start..input.len(), "{name}");
        }
    }
    assert!(cut >= 150, "{cut}");
}

#[test]
fn body_structure_limits_and_defects_do_not_apply_to_a_header_only_parse() {
    let raw = b"Subject: nested\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n\
--a\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n--a--\r\n";
    // Depth and part limits bound the tree, which a header-only parse
    // does not build.
    let mut tight = Options::default();
    tight.limits.max_depth = 0;
    tight.limits.max_parts = 1;
    assert!(Message::parse_with(raw, &tight).is_err());
    let head = Message::parse_headers_with(raw, &tight).unwrap();
    assert_eq!(head.subject().as_deref(), Some("nested"));
    assert_eq!(head.content_type().boundary(), Some("a"));
    // The header limits still hold.
    let mut few = Options::default();
    few.limits.max_header_count = 1;
    assert_eq!(
        Message::parse_headers_with(raw, &few).unwrap_err(),
        Error::HeaderCountLimit(1)
    );
    // A multipart body without its boundary is a defect of the body
    // (RFC 2046 §5.1.1): strict mode fails the whole parse only.
    let raw = b"Content-Type: multipart/mixed; boundary=zz\r\n\r\njust text\r\n";
    assert_eq!(
        Message::parse_with(raw, &Options::strict()).unwrap_err(),
        Error::Defect(Defect::NoBoundaryFound)
    );
    let head = Message::parse_headers_with(raw, &Options::strict()).unwrap();
    assert!(head.defects().is_empty());
    // A Content-Type that is no `type/subtype` (RFC 2045 §5.1), read on
    // first use, with its defect; strict mode reads it at once.
    let raw = b"Subject: x\r\nContent-Type: bogus\r\n\r\nbody\r\n";
    let head = Message::parse_headers(raw).unwrap();
    assert_eq!(head.defects(), [Defect::InvalidContentType]);
    assert_eq!(head.content_type().mime_type(), "text/plain");
    let head = Message::parse_headers(raw).unwrap();
    assert_eq!(head.content_type().mime_type(), "text/plain");
    assert_eq!(head.defects(), [Defect::InvalidContentType]);
    assert_eq!(
        Message::parse_headers_with(raw, &Options::strict()).unwrap_err(),
        Error::Defect(Defect::InvalidContentType)
    );
    // A missing boundary parameter is the header block's own defect.
    let raw = b"Content-Type: multipart/mixed\r\n\r\n--zz\r\n";
    assert_eq!(
        Message::parse_headers_with(raw, &Options::strict()).unwrap_err(),
        Error::Defect(Defect::MissingBoundaryParameter)
    );
    assert_eq!(
        Message::parse_headers(raw).unwrap().defects(),
        [Defect::MissingBoundaryParameter]
    );
}

#[test]
fn header_only_parse_of_a_block_without_body_and_of_empty_input() {
    let head = Message::parse_headers(b"Subject: only\r\nFrom: a@b.example").unwrap();
    assert_eq!(head.subject().as_deref(), Some("only"));
    assert_eq!(
        head.from().unwrap().mailboxes().next().unwrap().address,
        "a@b.example"
    );
    assert!(head.raw_body().is_empty());
    let head = Message::parse_headers(b"").unwrap();
    assert!(head.headers().is_empty());
    assert_eq!(head.content_type().mime_type(), "text/plain");
}
