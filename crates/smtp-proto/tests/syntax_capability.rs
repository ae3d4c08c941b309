//! EHLO capabilities (RFC 5321 §4.1.1.1 and the extensions' keywords).

use bytes::Bytes;
use postwire_smtp_proto::{Capabilities, Domain, MechanismName, Reply, ReplyCode};
use proptest::prelude::*;

fn caps(lines: &[&str]) -> Capabilities {
    let reply = Reply::new(ReplyCode::OK, None, lines.iter().map(|l| l.to_string())).unwrap();
    Capabilities::from_ehlo_reply(&reply)
}

fn mechs(c: &Capabilities) -> Vec<&str> {
    c.auth.iter().map(MechanismName::as_str).collect()
}

#[test]
fn postfix_ehlo_reply_rfc5321_4_1_1_1() {
    let c = caps(&[
        "mail.example.org",
        "PIPELINING",
        "SIZE 10240000",
        "VRFY",
        "ETRN",
        "STARTTLS",
        "AUTH PLAIN LOGIN",
        "AUTH=PLAIN LOGIN",
        "ENHANCEDSTATUSCODES",
        "8BITMIME",
        "DSN",
        "SMTPUTF8",
        "CHUNKING",
    ]);
    assert!(c.pipelining && c.starttls && c.enhanced_status_codes && c.eight_bit_mime);
    assert!(c.dsn && c.smtputf8 && c.chunking);
    assert!(!c.binary_mime && !c.requiretls);
    assert_eq!(c.size, Some(Some(10_240_000)));
    assert_eq!(mechs(&c), ["PLAIN", "LOGIN"]);
    assert!(c.has_auth("plain") && c.has_auth("LOGIN") && !c.has_auth("CRAM-MD5"));
    assert_eq!(
        c.other,
        [("VRFY".to_owned(), vec![]), ("ETRN".to_owned(), vec![])]
    );
}

#[test]
fn keywords_are_case_insensitive_rfc5321_4_1_1_1() {
    let c = caps(&[
        "x",
        "pipelining",
        "Size",
        "auth=cram-md5",
        "starttls",
        "deliverby 60",
    ]);
    assert!(c.pipelining && c.starttls);
    assert_eq!(c.size, Some(None));
    assert_eq!(mechs(&c), ["CRAM-MD5"]);
    assert_eq!(c.deliver_by, Some(Some(60)));
}

#[test]
fn size_forms_rfc1870_4() {
    assert_eq!(caps(&["x", "SIZE"]).size, Some(None));
    assert_eq!(caps(&["x", "SIZE 0"]).size, Some(None));
    assert_eq!(caps(&["x", "SIZE 1"]).size, Some(Some(1)));
    assert_eq!(caps(&["x"]).size, None);
    for bad in ["SIZE x", "SIZE -1", "SIZE 1 2", "SIZE 99999999999999999999"] {
        let c = caps(&["x", bad]);
        assert_eq!(c.size, None, "{bad}");
        assert_eq!(c.other.len(), 1, "{bad}");
        assert!(c.other[0].0.eq_ignore_ascii_case("SIZE"));
    }
}

#[test]
fn first_line_is_the_greeting_not_a_keyword_rfc5321_4_1_1_1() {
    let c = caps(&["PIPELINING"]);
    assert!(!c.pipelining);
    assert_eq!(c, Capabilities::default());
}

#[test]
fn other_keywords_keep_their_parameters_in_order() {
    let c = caps(&[
        "x",
        "X-FOO a  b",
        "XCLIENT NAME ADDR",
        "MT-PRIORITY MIXER",
        "",
        "AUTH bad!mech GSSAPI",
    ]);
    assert_eq!(
        c.other,
        [
            ("X-FOO".to_owned(), vec!["a".to_owned(), "b".to_owned()]),
            (
                "XCLIENT".to_owned(),
                vec!["NAME".to_owned(), "ADDR".to_owned()]
            ),
        ]
    );
    assert_eq!(c.mt_priority, Some(Some("MIXER".to_owned())));
    assert_eq!(mechs(&c), ["GSSAPI"]);
}

#[test]
fn multibyte_keywords_do_not_split_characters() {
    let c = caps(&[
        "x",
        "AUTH\u{e9}\u{e9}",
        "AUT\u{e9}=PLAIN",
        "AUTH=",
        "AUTH=PLAIN",
    ]);
    assert_eq!(mechs(&c), ["PLAIN"]);
    assert_eq!(c.other.len(), 2);
}

#[test]
fn non_utf8_lines_are_read_lossily() {
    let reply = Reply::new(
        ReplyCode::OK,
        None,
        [Bytes::from_static(b"x"), Bytes::from_static(b"X-\xff")],
    )
    .unwrap();
    let c = Capabilities::from_ehlo_reply(&reply);
    assert_eq!(c.other, [("X-\u{fffd}".to_owned(), vec![])]);
}

#[test]
fn to_ehlo_reply_writes_fixed_order_rfc5321_4_1_1_1() {
    let mut c = Capabilities::default();
    c.pipelining = true;
    c.size = Some(Some(1000));
    c.auth = vec![
        MechanismName::new("PLAIN").unwrap(),
        MechanismName::new("LOGIN").unwrap(),
    ];
    c.starttls = true;
    c.requiretls = true;
    c.deliver_by = Some(None);
    c.mt_priority = Some(None);
    c.other = vec![("VRFY".into(), vec![])];
    let r = c
        .to_ehlo_reply(&Domain::new("mx.example").unwrap(), "hello")
        .unwrap();
    let text = r.text();
    assert_eq!(
        text,
        "mx.example hello\nSIZE 1000\nPIPELINING\nSTARTTLS\nAUTH PLAIN LOGIN\nREQUIRETLS\n\
         DELIVERBY\nMT-PRIORITY\nVRFY"
    );
    assert_eq!(Capabilities::from_ehlo_reply(&r), c);
    let d = Domain::new("mx.example").unwrap();
    assert!(c.to_ehlo_reply(&d, "a\r\n250 b").is_err());
    assert_eq!(
        Capabilities::default()
            .to_ehlo_reply(&d, "")
            .unwrap()
            .text(),
        "mx.example"
    );
}

fn word() -> impl Strategy<Value = String> {
    "[A-Za-z0-9=.,_-]{1,8}"
}

prop_compose! {
    fn capabilities()(
        size in proptest::option::of(proptest::option::of(1u64..)),
        flags in proptest::collection::vec(any::<bool>(), 9),
        auth in proptest::collection::btree_set("[A-Z0-9_-]{1,20}", 0..4),
        deliver_by in proptest::option::of(proptest::option::of(any::<u64>())),
        mt_priority in proptest::option::of(proptest::option::of(word())),
        other in proptest::collection::vec(
            ("X-[A-Z0-9-]{1,8}", proptest::collection::vec(word(), 0..3)),
            0..3,
        ),
    ) -> Capabilities {
        let mut c = Capabilities::default();
        c.size = size;
        c.eight_bit_mime = flags[0];
        c.binary_mime = flags[1];
        c.pipelining = flags[2];
        c.chunking = flags[3];
        c.smtputf8 = flags[4];
        c.dsn = flags[5];
        c.starttls = flags[6];
        c.enhanced_status_codes = flags[7];
        c.requiretls = flags[8];
        c.auth = auth.iter().map(|m| MechanismName::new(m).unwrap()).collect();
        c.deliver_by = deliver_by;
        c.mt_priority = mt_priority;
        c.other = other;
        c
    }
}

proptest! {
    #[test]
    fn from_ehlo_reply_never_panics(lines in proptest::collection::vec(
        proptest::collection::vec(
            any::<u8>().prop_filter("no CR LF NUL", |b| !matches!(b, 0 | b'\r' | b'\n')),
            0..30,
        ),
        1..6,
    )) {
        let reply = Reply::new(ReplyCode::OK, None, lines.into_iter().map(Bytes::from)).unwrap();
        let c = Capabilities::from_ehlo_reply(&reply);
        let _ = c.to_lines();
    }

    #[test]
    fn capabilities_round_trip_rfc5321_4_1_1_1(c in capabilities()) {
        let d = Domain::new("mx.example").unwrap();
        let reply = c.to_ehlo_reply(&d, "ESMTP ready").unwrap();
        prop_assert_eq!(Capabilities::from_ehlo_reply(&reply), c);
    }
}
