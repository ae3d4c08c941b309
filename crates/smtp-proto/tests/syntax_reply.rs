//! Replies: `ReplyParser`, `Reply::new`, `Reply::encode` (RFC 5321 §4.2,
//! RFC 2034, RFC 3463).

use bytes::{Bytes, BytesMut};
use postwire_smtp_proto::{EnhancedStatusCode, ParseErrorKind, Reply, ReplyCode, ReplyParser};
use proptest::prelude::*;

fn parser() -> ReplyParser {
    ReplyParser::new(100, 64 * 1024)
}

/// Feeds every line; all but the last must be partial.
fn parse_lines(lines: &[&[u8]]) -> Result<Reply, ParseErrorKind> {
    let mut p = parser();
    for (i, line) in lines.iter().enumerate() {
        match p.push_line(Bytes::copy_from_slice(line)) {
            Ok(Some(r)) => {
                assert_eq!(i + 1, lines.len(), "reply ended early");
                assert!(!p.is_partial());
                return Ok(r);
            }
            Ok(None) => assert!(p.is_partial()),
            Err(e) => {
                assert!(!p.is_partial(), "parser not reset after an error");
                return Err(e.kind);
            }
        }
    }
    panic!("reply did not end")
}

fn code(n: u16) -> ReplyCode {
    ReplyCode::new(n).unwrap()
}

fn lines(r: &Reply) -> Vec<&[u8]> {
    r.lines().collect()
}

fn encode(r: &Reply) -> String {
    let mut out = BytesMut::new();
    r.encode(&mut out);
    String::from_utf8(out.to_vec()).unwrap()
}

#[test]
fn reply_codes_are_200_to_599_rfc5321_4_2_1() {
    assert!(ReplyCode::new(199).is_err());
    assert!(ReplyCode::new(0).is_err());
    assert!(ReplyCode::new(600).is_err());
    assert!(ReplyCode::new(u16::MAX).is_err());
    assert_eq!(ReplyCode::new(200).unwrap().get(), 200);
    assert_eq!(ReplyCode::new(599).unwrap().get(), 599);
    const C: Result<ReplyCode, postwire_smtp_proto::ParseError> = ReplyCode::new(354);
    assert!(C.unwrap().is_intermediate());
    assert!(code(250).is_positive() && code(421).is_transient() && code(550).is_permanent());
    assert_eq!(ReplyCode::OK, code(250));
}

#[test]
fn single_and_multi_line_replies_rfc5321_4_2_1() {
    let r = parse_lines(&[b"250 OK"]).unwrap();
    assert_eq!(r.code(), code(250));
    assert_eq!(lines(&r), [b"OK"]);
    assert_eq!(r.enhanced(), None);

    let r = parse_lines(&[b"250-mail.example.org", b"250-PIPELINING", b"250 8BITMIME"]).unwrap();
    assert_eq!(
        lines(&r),
        [&b"mail.example.org"[..], b"PIPELINING", b"8BITMIME"]
    );
    assert_eq!(r.text(), "mail.example.org\nPIPELINING\n8BITMIME");

    // Code alone, and `250-` with empty text.
    let r = parse_lines(&[b"250"]).unwrap();
    assert_eq!(lines(&r), [b""]);
    let r = parse_lines(&[b"250-", b"250-x", b"250"]).unwrap();
    assert_eq!(lines(&r), [&b""[..], b"x", b""]);

    // Text keeps inner and leading spaces beyond the separator.
    let r = parse_lines(&[b"220  two  spaces "]).unwrap();
    assert_eq!(lines(&r), [b" two  spaces "]);
}

#[test]
fn malformed_reply_lines_rfc5321_4_2() {
    let table: &[(&[&[u8]], ParseErrorKind)] = &[
        (&[b""], ParseErrorKind::ReplyCode),
        (&[b"25"], ParseErrorKind::ReplyCode),
        (&[b"25 x"], ParseErrorKind::ReplyCode),
        (&[b"2500 x"], ParseErrorKind::ReplyCode),
        (&[b"250x"], ParseErrorKind::ReplyCode),
        (&[b"250\tx"], ParseErrorKind::ReplyCode),
        (&[b"abc x"], ParseErrorKind::ReplyCode),
        (&[b"199 x"], ParseErrorKind::ReplyCode),
        (&[b"600 x"], ParseErrorKind::ReplyCode),
        (&[b" 250 x"], ParseErrorKind::ReplyCode),
        (&[b"250-a", b"251 b"], ParseErrorKind::ReplyCodeMismatch),
        (&[b"250-a", b"550-b"], ParseErrorKind::ReplyCodeMismatch),
        (&[b"250 a\0b"], ParseErrorKind::ControlCharacter),
        (&[b"250-a", b"250 a\rb"], ParseErrorKind::ControlCharacter),
    ];
    for (input, kind) in table {
        assert_eq!(parse_lines(input).unwrap_err(), *kind, "{input:?}");
    }
}

#[test]
fn parser_resets_after_error_and_after_reply_rfc5321_4_2() {
    let mut p = parser();
    assert!(p.push_line(Bytes::from_static(b"250-a")).unwrap().is_none());
    assert!(p.push_line(Bytes::from_static(b"251 b")).is_err());
    assert!(!p.is_partial());
    let r = p.push_line(Bytes::from_static(b"354 go")).unwrap().unwrap();
    assert_eq!(r.code(), code(354));
    let r = p
        .push_line(Bytes::from_static(b"221 bye"))
        .unwrap()
        .unwrap();
    assert_eq!(r.code(), code(221));
    assert_eq!(lines(&r), [b"bye"]);
}

#[test]
fn line_and_byte_caps_make_reply_too_long() {
    let mut p = ReplyParser::new(3, 1000);
    assert!(p.push_line(Bytes::from_static(b"250-a")).unwrap().is_none());
    assert!(p.push_line(Bytes::from_static(b"250-b")).unwrap().is_none());
    assert!(p.push_line(Bytes::from_static(b"250 c")).unwrap().is_some());
    for l in [&b"250-a"[..], b"250-b", b"250-c"] {
        assert!(p.push_line(Bytes::from_static(l)).unwrap().is_none());
    }
    assert_eq!(
        p.push_line(Bytes::from_static(b"250 d")).unwrap_err().kind,
        ParseErrorKind::ReplyTooLong
    );
    assert!(!p.is_partial());

    // Bytes are counted over whole lines (code included, CRLF not): 10 fit.
    let mut p = ReplyParser::new(100, 10);
    assert!(p.push_line(Bytes::from_static(b"250-a")).unwrap().is_none());
    assert!(p.push_line(Bytes::from_static(b"250 b")).unwrap().is_some());
    assert!(
        p.push_line(Bytes::from_static(b"250-ab"))
            .unwrap()
            .is_none()
    );
    assert_eq!(
        p.push_line(Bytes::from_static(b"250 b")).unwrap_err().kind,
        ParseErrorKind::ReplyTooLong
    );
}

#[test]
fn enhanced_status_code_is_read_and_stripped_rfc3463_2() {
    let r = parse_lines(&[b"250 2.1.0 Sender ok"]).unwrap();
    assert_eq!(r.enhanced(), Some(EnhancedStatusCode::new(2, 1, 0)));
    assert_eq!(lines(&r), [b"Sender ok"]);

    let r = parse_lines(&[b"550-5.7.1 first", b"550-5.7.1 second", b"550 5.7.1 third"]).unwrap();
    assert_eq!(r.enhanced(), Some(EnhancedStatusCode::new(5, 7, 1)));
    assert_eq!(lines(&r), [&b"first"[..], b"second", b"third"]);
    assert_eq!(r.to_string(), "550 5.7.1 first / second / third");

    // Code alone after the enhanced code; three-digit subject and detail.
    let r = parse_lines(&[b"451 4.123.999"]).unwrap();
    assert_eq!(r.enhanced(), Some(EnhancedStatusCode::new(4, 123, 999)));
    assert_eq!(lines(&r), [b""]);

    // Later lines keep a different or missing code as text.
    let r = parse_lines(&[b"550-5.1.1 a", b"550-5.1.2 b", b"550 c"]).unwrap();
    assert_eq!(r.enhanced(), Some(EnhancedStatusCode::new(5, 1, 1)));
    assert_eq!(lines(&r), [&b"a"[..], b"5.1.2 b", b"c"]);

    // Only the first line decides.
    let r = parse_lines(&[b"250-hello", b"250 2.0.0 ok"]).unwrap();
    assert_eq!(r.enhanced(), None);
    assert_eq!(lines(&r), [&b"hello"[..], b"2.0.0 ok"]);

    for not_esc in [
        &b"250 3.0.0 x"[..],
        b"250 2.0 x",
        b"250 2.0.0.0 x",
        b"250 2.1234.0 x",
        b"250 2.0.0x",
        b"250 2..0 x",
        b"250 22.0.0 x",
    ] {
        let r = parse_lines(&[not_esc]).unwrap();
        assert_eq!(r.enhanced(), None, "{not_esc:?}");
        assert_eq!(r.lines().next().unwrap(), &not_esc[4..]);
    }
}

#[test]
fn eight_bit_text_is_kept_raw_rfc5321_4_2() {
    let r = parse_lines(&[b"550 caf\xe9 \xff\xfe"]).unwrap();
    assert_eq!(lines(&r), [b"caf\xe9 \xff\xfe"]);
    assert_eq!(r.text(), "caf\u{fffd} \u{fffd}\u{fffd}");
    let mut out = BytesMut::new();
    r.encode(&mut out);
    assert_eq!(&out[..], b"550 caf\xe9 \xff\xfe\r\n");
}

#[test]
fn reply_new_refuses_line_breaks_and_bad_enhanced_codes() {
    assert_eq!(
        Reply::new(code(250), None, ["a\r\n250 b"])
            .unwrap_err()
            .kind,
        ParseErrorKind::ControlCharacter
    );
    assert_eq!(
        Reply::new(code(250), None, ["a\nb"]).unwrap_err().kind,
        ParseErrorKind::ControlCharacter
    );
    assert_eq!(
        Reply::new(code(250), None, ["a\0"]).unwrap_err().kind,
        ParseErrorKind::ControlCharacter
    );
    assert_eq!(
        Reply::new(code(250), Some(EnhancedStatusCode::new(3, 0, 0)), ["a"])
            .unwrap_err()
            .kind,
        ParseErrorKind::ReplyCode
    );
    assert!(Reply::new(code(250), Some(EnhancedStatusCode::new(2, 1000, 0)), ["a"]).is_err());
    let empty = Reply::new(code(250), None, Vec::<Bytes>::new()).unwrap();
    assert_eq!(lines(&empty), [b""]);
    assert_eq!(encode(&empty), "250\r\n");
}

#[test]
fn encode_writes_canonical_lines_rfc5321_4_2() {
    let r = Reply::new(code(250), None, ["mail.example", "", "SIZE 100"]).unwrap();
    assert_eq!(encode(&r), "250-mail.example\r\n250-\r\n250 SIZE 100\r\n");
    let r = Reply::new(
        code(550),
        Some(EnhancedStatusCode::new(5, 7, 1)),
        ["no", ""],
    )
    .unwrap();
    assert_eq!(encode(&r), "550-5.7.1 no\r\n550 5.7.1\r\n");
    assert_eq!(r.to_string(), "550 5.7.1 no / ");
    let r = Reply::new(code(221), None, ["bye\u{1b}[31m"]).unwrap();
    assert_eq!(r.to_string(), "221 bye\u{fffd}[31m");
}

fn text_line() -> impl Strategy<Value = Vec<u8>> {
    // Any bytes but CR, LF and NUL; not starting with a digit so that a
    // first line cannot read as an enhanced code.
    (
        proptest::option::of(proptest::sample::select(b"abc xyz.-:\xe9\xff".to_vec())),
        proptest::collection::vec(
            any::<u8>().prop_filter("no CR LF NUL", |b| !matches!(b, 0 | b'\r' | b'\n')),
            0..20,
        ),
    )
        .prop_map(|(first, rest)| match first {
            Some(f) => std::iter::once(f).chain(rest).collect(),
            None => Vec::new(),
        })
}

prop_compose! {
    fn reply()(
        c in 200u16..=599,
        esc in proptest::option::of((prop_oneof![Just(2u8), Just(4), Just(5)], 0u16..=999, 0u16..=999)),
        text in proptest::collection::vec(text_line(), 0..6),
    ) -> Reply {
        Reply::new(
            ReplyCode::new(c).unwrap(),
            esc.map(|(a, b, c)| EnhancedStatusCode::new(a, b, c)),
            text.into_iter().map(Bytes::from),
        )
        .unwrap()
    }
}

proptest! {
    #[test]
    fn reply_round_trips_through_the_parser_rfc5321_4_2(r in reply()) {
        let mut out = BytesMut::new();
        r.encode(&mut out);
        let wire = out.freeze();
        let mut p = parser();
        let mut got = None;
        let mut rest = &wire[..];
        while let Some(i) = rest.windows(2).position(|w| w == b"\r\n") {
            prop_assert!(got.is_none(), "reply ended early");
            let line = wire.slice_ref(&rest[..i]);
            got = p.push_line(line).unwrap();
            rest = &rest[i + 2..];
        }
        prop_assert!(rest.is_empty());
        prop_assert_eq!(got, Some(r));
    }

    #[test]
    fn push_line_never_panics(lines in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 1..8)) {
        let mut p = ReplyParser::new(4, 100);
        for line in lines {
            if let Ok(Some(r)) = p.push_line(Bytes::from(line)) {
                // What comes out can always be re-encoded.
                let mut out = BytesMut::new();
                r.encode(&mut out);
            }
        }
    }
}
