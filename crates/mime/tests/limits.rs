//! SECURITY.md P4: huge inputs parse in linear time with bounded memory,
//! and the hard limits are clear errors. The default sizes keep `cargo
//! test` fast in debug builds; the full P4 sizes run with
//! `cargo test -p postwire-mime --test limits -- --ignored`.

use postwire_mime::{AddressList, ContentType, Error, Message, Options};

fn many_addresses(n: usize) {
    let mut v = Vec::with_capacity(n * 24);
    for i in 0..n {
        if i > 0 {
            v.extend_from_slice(b", ");
        }
        v.extend_from_slice(format!("U{i} <u{i}@example.org>").as_bytes());
    }
    let list = AddressList::parse(&v);
    assert_eq!(list.addresses.len(), n);
    assert_eq!(
        list.mailboxes().last().unwrap().address,
        format!("u{}@example.org", n - 1)
    );
}

#[test]
fn many_addresses_parse_linearly_p4() {
    many_addresses(100_000);
}

#[test]
#[ignore = "P4 full size (10^6 addresses); run with --ignored"]
fn a_million_addresses_p4() {
    many_addresses(1_000_000);
}

fn huge_header_line(bytes: usize) {
    // Pathological for encoded-word scanning: many "=?" openers, no terminator.
    let mut raw = b"Subject: ".to_vec();
    while raw.len() < bytes {
        raw.extend_from_slice(b"=?a?q?A=?b?q?B");
    }
    raw.extend_from_slice(b"\r\n\r\nbody");
    assert_eq!(
        Message::parse(&raw).unwrap_err(),
        Error::HeaderBytesLimit(1 << 20),
        "the default limit refuses it"
    );
    let mut options = Options::default();
    options.limits.max_header_bytes = bytes + 1024;
    let m = Message::parse_with(&raw, &options).unwrap();
    let subject = m.subject().unwrap();
    assert!(subject.len() >= bytes - 16);
    assert_eq!(m.raw_body(), b"body");
}

#[test]
fn long_header_line_parses_linearly_p4() {
    huge_header_line(2 << 20);
}

#[test]
#[ignore = "P4 full size (20 MB header line); run with --ignored"]
fn twenty_megabyte_header_line_p4() {
    huge_header_line(20 << 20);
}

#[test]
fn encoded_word_lookalikes_and_colons_stay_linear_p4() {
    // Openers whose only terminator is at the very end, with spaces between.
    let n = 200_000;
    let mut v = Vec::with_capacity(n * 10);
    for _ in 0..n {
        v.extend_from_slice(b"=?a?q?x y ");
    }
    v.extend_from_slice(b"?=");
    let text = postwire_mime::encoded_word::decode_encoded_words(&v, &mut Vec::new());
    assert_eq!(text.len(), v.len());
    // An address with an endless run of colons after the `@`.
    let mut v = b"a@b".to_vec();
    for _ in 0..n {
        v.extend_from_slice(b":x");
    }
    let list = AddressList::parse(&v);
    assert_eq!(list.addresses.len(), 1);
}

#[test]
fn many_rfc2231_continuations_p4() {
    let n = 100_000;
    let mut v = b"application/octet-stream".to_vec();
    // Written in reverse order to make reassembly sort.
    for i in (0..n).rev() {
        v.extend_from_slice(format!("; filename*{i}=\"x\"").as_bytes());
    }
    let mut defects = Vec::new();
    let ct = ContentType::parse(&v, &mut defects);
    assert!(defects.is_empty());
    assert_eq!(ct.param("filename").map(str::len), Some(n));
}

fn many_parts(n: usize) {
    let mut raw = b"Content-Type: multipart/mixed; boundary=p\r\n\r\n".to_vec();
    for _ in 0..n {
        raw.extend_from_slice(b"--p\r\n\r\nx\r\n");
    }
    raw.extend_from_slice(b"--p--\r\n");
    assert_eq!(Message::parse(&raw).unwrap_err(), Error::PartLimit(10_000));
    let mut options = Options::default();
    options.limits.max_parts = n + 1;
    let m = Message::parse_with(&raw, &options).unwrap();
    assert_eq!(m.children().len(), n);
    assert!(m.children().iter().all(|p| p.raw_body() == b"x"));
}

#[test]
fn a_hundred_thousand_parts_p4() {
    many_parts(100_000);
}

#[test]
fn header_count_limit_is_an_error() {
    let mut raw = Vec::new();
    for i in 0..10_001 {
        raw.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
    }
    raw.extend_from_slice(b"\r\n");
    assert_eq!(
        Message::parse(&raw).unwrap_err(),
        Error::HeaderCountLimit(10_000)
    );
}

#[test]
fn default_limits_match_security_md() {
    let l = postwire_mime::Limits::default();
    assert_eq!((l.max_depth, l.max_parts), (100, 10_000));
}
