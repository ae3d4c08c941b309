//! MAIL and RCPT parameters: known answers and round trips (RFC 5321
//! §4.1.2, RFC 1870, RFC 6152, RFC 3030, RFC 6531, RFC 3461, RFC 4954,
//! RFC 8689, RFC 2852, RFC 6710).

use bytes::BytesMut;
use postwire_smtp_proto::{
    AuthParameter, Body, DeliverBy, DeliverByMode, MailParameters, Mailbox, Notify,
    OriginalRecipient, Parameter, ParseErrorKind, RcptParameters, Ret,
};
use proptest::prelude::*;

fn mail(text: &str) -> MailParameters {
    MailParameters::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn rcpt(text: &str) -> RcptParameters {
    RcptParameters::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn mail_err(text: &str) -> ParseErrorKind {
    MailParameters::parse(text.as_bytes()).unwrap_err().kind
}

fn rcpt_err(text: &str) -> ParseErrorKind {
    RcptParameters::parse(text.as_bytes()).unwrap_err().kind
}

fn encode_mail(p: &MailParameters) -> String {
    let mut out = BytesMut::new();
    p.encode(&mut out);
    String::from_utf8(out.to_vec()).unwrap()
}

fn encode_rcpt(p: &RcptParameters) -> String {
    let mut out = BytesMut::new();
    p.encode(&mut out);
    String::from_utf8(out.to_vec()).unwrap()
}

#[test]
fn typed_mail_parameters_rfc5321_4_1_2() {
    let p = mail(
        "size=12345 body=8bitmime smtputf8 ret=hdrs envid=QQ314159+2Bx auth=<> requiretls \
         by=120;RT mt-priority=-3 X-FOO=bar XBAR",
    );
    assert_eq!(p.size, Some(12345));
    assert_eq!(p.body, Some(Body::EightBitMime));
    assert!(p.smtputf8);
    assert_eq!(p.ret, Some(Ret::Hdrs));
    assert_eq!(p.envid.as_deref(), Some("QQ314159+x"));
    assert_eq!(p.auth, Some(AuthParameter::Unknown));
    assert!(p.requiretls);
    assert_eq!(
        p.by,
        Some(DeliverBy {
            seconds: 120,
            mode: DeliverByMode::Return,
            trace: true
        })
    );
    assert_eq!(p.mt_priority, Some(-3));
    assert_eq!(p.other.len(), 2);
    assert_eq!(p.other[0].keyword(), "X-FOO");
    assert_eq!(p.other[0].value(), Some("bar"));
    assert_eq!(p.other[1].keyword(), "XBAR");
    assert_eq!(p.other[1].value(), None);
    assert_eq!(
        encode_mail(&p),
        "SIZE=12345 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=QQ314159+2Bx AUTH=<> REQUIRETLS \
         BY=120;RT MT-PRIORITY=-3 X-FOO=bar XBAR"
    );
}

#[test]
fn body_values_rfc6152_rfc3030() {
    assert_eq!(mail("BODY=7BIT").body, Some(Body::SevenBit));
    assert_eq!(mail("BODY=8BITMIME").body, Some(Body::EightBitMime));
    assert_eq!(mail("BODY=BINARYMIME").body, Some(Body::BinaryMime));
    assert_eq!(mail_err("BODY=8BIT"), ParseErrorKind::Parameter);
    assert_eq!(mail_err("BODY"), ParseErrorKind::Parameter);
}

#[test]
fn auth_parameter_is_xtext_mailbox_rfc4954_5() {
    let p = mail("AUTH=e+3Dmc2@example.com");
    assert_eq!(
        p.auth,
        Some(AuthParameter::Mailbox(
            Mailbox::parse("e=mc2@example.com").unwrap()
        ))
    );
    assert_eq!(encode_mail(&p), "AUTH=e+3Dmc2@example.com");
    assert_eq!(mail_err("AUTH=notamailbox"), ParseErrorKind::Parameter);
    assert_eq!(mail_err("AUTH=a+4@b"), ParseErrorKind::Xtext);
}

#[test]
fn by_and_mt_priority_values_rfc2852_4_rfc6710_2() {
    let table: &[(&str, Option<DeliverBy>)] = &[
        (
            "BY=0;N",
            Some(DeliverBy {
                seconds: 0,
                mode: DeliverByMode::Notify,
                trace: false,
            }),
        ),
        (
            "BY=-60;nt",
            Some(DeliverBy {
                seconds: -60,
                mode: DeliverByMode::Notify,
                trace: true,
            }),
        ),
        (
            "BY=+999999999;R",
            Some(DeliverBy {
                seconds: 999_999_999,
                mode: DeliverByMode::Return,
                trace: false,
            }),
        ),
        ("BY=1000000000;R", None),
        ("BY=10", None),
        ("BY=10;X", None),
        ("BY=10;RTT", None),
        ("BY=;R", None),
    ];
    for (text, want) in table {
        match (MailParameters::parse(text.as_bytes()), want) {
            (Ok(p), Some(by)) => assert_eq!(p.by, Some(*by), "{text}"),
            (Err(e), None) => assert_eq!(e.kind, ParseErrorKind::Parameter, "{text}"),
            (got, want) => panic!("{text}: {got:?} vs {want:?}"),
        }
    }
    assert_eq!(mail("MT-PRIORITY=9").mt_priority, Some(9));
    assert_eq!(mail("MT-PRIORITY=+4").mt_priority, Some(4));
    assert_eq!(mail("MT-PRIORITY=-9").mt_priority, Some(-9));
    assert_eq!(mail("MT-PRIORITY=0").mt_priority, Some(0));
    for bad in [
        "MT-PRIORITY=10",
        "MT-PRIORITY=-10",
        "MT-PRIORITY=x",
        "MT-PRIORITY",
    ] {
        assert_eq!(mail_err(bad), ParseErrorKind::Parameter, "{bad}");
    }
}

#[test]
fn repeated_typed_keyword_is_an_error_rfc5321_4_1_2() {
    for text in [
        "SIZE=1 size=2",
        "BODY=7BIT BODY=7BIT",
        "SMTPUTF8 SMTPUTF8",
        "RET=FULL RET=HDRS",
        "ENVID=a ENVID=b",
        "AUTH=<> AUTH=<>",
        "REQUIRETLS REQUIRETLS",
        "BY=1;N BY=1;N",
        "MT-PRIORITY=1 MT-PRIORITY=1",
    ] {
        assert_eq!(mail_err(text), ParseErrorKind::Parameter, "{text}");
    }
    assert_eq!(
        rcpt_err("NOTIFY=NEVER NOTIFY=NEVER"),
        ParseErrorKind::Parameter
    );
    assert_eq!(
        rcpt_err("ORCPT=rfc822;a ORCPT=rfc822;b"),
        ParseErrorKind::Parameter
    );
    // Unknown keywords may repeat; they are kept in order.
    assert_eq!(mail("X-A=1 X-A=2").other.len(), 2);
}

#[test]
fn malformed_parameters_rfc5321_4_1_2() {
    for text in [
        "SIZE=",
        "SIZE=-1",
        "SIZE=99999999999999999999",
        "SMTPUTF8=yes",
        "REQUIRETLS=1",
        "RET=ALL",
        "-X=1",
        "X_Y=1",
        "X=a=b",
        "X=",
        "=",
        "X=\t",
    ] {
        assert_eq!(mail_err(text), ParseErrorKind::Parameter, "{text}");
    }
    assert_eq!(mail("").other.len(), 0);
    assert_eq!(mail("SIZE=0").size, Some(0));
    assert_eq!(mail("SIZE=18446744073709551615").size, Some(u64::MAX));
}

#[test]
fn notify_and_orcpt_rfc3461_4() {
    assert_eq!(rcpt("NOTIFY=NEVER").notify, Some(Notify::Never));
    assert_eq!(
        rcpt("notify=delay,success").notify,
        Some(Notify::On {
            success: true,
            failure: false,
            delay: true
        })
    );
    for bad in [
        "NOTIFY=",
        "NOTIFY=NEVER,SUCCESS",
        "NOTIFY=SUCCESS,SUCCESS",
        "NOTIFY=SUCCESS,",
        "NOTIFY=ALWAYS",
    ] {
        assert_eq!(rcpt_err(bad), ParseErrorKind::Parameter, "{bad}");
    }
    let p = rcpt("ORCPT=rfc822;Bob+20Smith+40example.org NOTIFY=FAILURE,DELAY X-Y");
    assert_eq!(
        p.orcpt,
        Some(OriginalRecipient {
            addr_type: "rfc822".into(),
            address: "Bob Smith@example.org".into()
        })
    );
    assert_eq!(
        encode_rcpt(&p),
        "NOTIFY=FAILURE,DELAY ORCPT=rfc822;Bob+20Smith@example.org X-Y"
    );
    assert_eq!(rcpt_err("ORCPT=rfc822"), ParseErrorKind::Parameter);
    let mut empty = MailParameters::new();
    empty.envid = Some(String::new());
    assert_eq!(encode_mail(&empty), "");
    assert_eq!(rcpt_err("ORCPT=;a@b"), ParseErrorKind::Parameter);
    assert_eq!(rcpt_err("ORCPT=rfc822;a+ZZ"), ParseErrorKind::Xtext);
    assert!(OriginalRecipient::new("rfc822", "a@b").is_ok());
    assert!(OriginalRecipient::new("rfc 822", "a@b").is_err());
    assert!(OriginalRecipient::new("", "a@b").is_err());
}

#[test]
fn xtext_encodes_plus_equals_and_non_graphic_rfc3461_4() {
    let mut p = MailParameters::new();
    p.envid = Some("a+b=c d\u{e9}~!".into());
    assert_eq!(encode_mail(&p), "ENVID=a+2Bb+3Dc+20d+C3+A9~!");
    assert_eq!(mail("ENVID=a+2Bb+3Dc+20d+C3+A9~!"), p);
    // Lowercase hex is accepted on input.
    assert_eq!(mail("ENVID=a+2bb").envid.as_deref(), Some("a+b"));
    for bad in ["ENVID=+", "ENVID=+4", "ENVID=+4G", "ENVID=+FF"] {
        assert_eq!(mail_err(bad), ParseErrorKind::Xtext, "{bad}");
    }
}

#[test]
fn parameter_new_validates_keyword_and_value_rfc5321_4_1_2() {
    assert!(Parameter::new("X-FOO", Some("bar".into())).is_ok());
    assert!(Parameter::new("9X", None).is_ok());
    assert!(Parameter::new("X", Some("\u{e9}t\u{e9}".into())).is_ok());
    for (k, v) in [
        ("", None),
        ("-X", None),
        ("X_Y", None),
        ("X Y", None),
        ("X", Some("")),
        ("X", Some("a=b")),
        ("X", Some("a b")),
        ("X", Some("a\r\nRSET")),
        ("X", Some("\0")),
        ("\u{e9}", None),
    ] {
        assert_eq!(
            Parameter::new(k, v.map(str::to_owned)).unwrap_err().kind,
            ParseErrorKind::Parameter,
            "{k:?} {v:?}"
        );
    }
}

fn keyword() -> impl Strategy<Value = String> {
    "X-[A-Za-z0-9-]{0,10}"
}

fn value() -> impl Strategy<Value = Option<String>> {
    proptest::option::of("[!-<>-~\u{e9}\u{4e2d}]{1,12}")
}

fn other() -> impl Strategy<Value = Vec<Parameter>> {
    proptest::collection::vec(
        (keyword(), value()).prop_map(|(k, v)| Parameter::new(k, v).unwrap()),
        0..3,
    )
}

fn mailbox() -> impl Strategy<Value = Mailbox> {
    (
        "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]{1,10}(\\.[a-z0-9]{1,5}){0,2}",
        "[a-z0-9]{1,10}(\\.[a-z0-9]{1,10}){0,3}",
    )
        .prop_map(|(l, d)| Mailbox::parse(&format!("{l}@{d}")).unwrap())
}

prop_compose! {
    fn mail_params()(
        size in proptest::option::of(any::<u64>()),
        body in proptest::option::of(prop_oneof![
            Just(Body::SevenBit), Just(Body::EightBitMime), Just(Body::BinaryMime)
        ]),
        smtputf8 in any::<bool>(),
        ret in proptest::option::of(prop_oneof![Just(Ret::Full), Just(Ret::Hdrs)]),
        envid in proptest::option::of(".+"),
        auth in proptest::option::of(prop_oneof![
            Just(AuthParameter::Unknown),
            mailbox().prop_map(AuthParameter::Mailbox),
        ]),
        requiretls in any::<bool>(),
        by in proptest::option::of((-999_999_999i64..=999_999_999, any::<bool>(), any::<bool>())
            .prop_map(|(seconds, r, trace)| DeliverBy {
                seconds,
                mode: if r { DeliverByMode::Return } else { DeliverByMode::Notify },
                trace,
            })),
        mt_priority in proptest::option::of(-9i8..=9),
        other in other(),
    ) -> MailParameters {
        let mut p = MailParameters::new();
        p.size = size;
        p.body = body;
        p.smtputf8 = smtputf8;
        p.ret = ret;
        p.envid = envid;
        p.auth = auth;
        p.requiretls = requiretls;
        p.by = by;
        p.mt_priority = mt_priority;
        p.other = other;
        p
    }
}

prop_compose! {
    fn rcpt_params()(
        notify in proptest::option::of(prop_oneof![
            Just(Notify::Never),
            (any::<bool>(), any::<bool>(), any::<bool>())
                .prop_filter("one flag", |(s, f, d)| *s || *f || *d)
                .prop_map(|(success, failure, delay)| Notify::On { success, failure, delay }),
        ]),
        orcpt in proptest::option::of(("[a-zA-Z0-9-]{1,8}", any::<String>())
            .prop_map(|(t, a)| OriginalRecipient::new(&t, a).unwrap())),
        other in other(),
    ) -> RcptParameters {
        let mut p = RcptParameters::new();
        p.notify = notify;
        p.orcpt = orcpt;
        p.other = other;
        p
    }
}

proptest! {
    #[test]
    fn mail_parameters_round_trip_rfc5321_4_1_2(p in mail_params()) {
        let text = encode_mail(&p);
        prop_assert_eq!(MailParameters::parse(text.as_bytes()), Ok(p));
    }

    #[test]
    fn rcpt_parameters_round_trip_rfc5321_4_1_2(p in rcpt_params()) {
        let text = encode_rcpt(&p);
        prop_assert_eq!(RcptParameters::parse(text.as_bytes()), Ok(p));
    }

    #[test]
    fn xtext_round_trips_any_string_rfc3461_4(s in any::<String>().prop_filter("esmtp-value is 1*", |s| !s.is_empty())) {
        let mut p = MailParameters::new();
        p.envid = Some(s.clone());
        let text = encode_mail(&p);
        let value = &text["ENVID=".len()..];
        prop_assert!(value.bytes().all(|b| (33..=126).contains(&b) && b != b'='));
        prop_assert_eq!(mail(&text).envid, Some(s));
    }

    #[test]
    fn parameter_parsing_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = MailParameters::parse(&bytes);
        let _ = RcptParameters::parse(&bytes);
    }
}
