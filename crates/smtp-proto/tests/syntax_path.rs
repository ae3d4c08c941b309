//! Known-answer tests for paths, mailboxes, local parts, domains and
//! address literals (RFC 5321 §4.1.2, §4.1.3, §4.5.3.1; RFC 6531 §3.3).

use postwire_smtp_proto::{
    AddressLiteral, Command, Domain, ForwardPath, Host, LocalPart, MAX_DOMAIN, MAX_LOCAL_PART,
    MAX_PATH, Mailbox, ParseErrorKind, ReversePath,
};

/// A domain of exactly `len` octets (labels of at most 63).
fn domain_of(len: usize) -> String {
    let mut labels = Vec::new();
    let mut left = len;
    while left > 0 {
        let take = left.min(63);
        labels.push("a".repeat(take));
        left -= take;
        if left > 0 {
            // The dot of the next label.
            left -= 1;
            if left == 0 {
                // Would end with a dot: make the last label one longer.
                let last = labels.pop().unwrap();
                labels.push(format!("{last}a"));
            }
        }
    }
    let d = labels.join(".");
    assert_eq!(d.len(), len);
    d
}

fn rcpt(path: &str) -> Result<ForwardPath, ParseErrorKind> {
    match Command::parse(format!("RCPT TO:{path}").as_bytes()) {
        Ok(Command::Rcpt { to, .. }) => Ok(to),
        Ok(other) => panic!("{other:?}"),
        Err(e) => Err(e.kind),
    }
}

fn mail(path: &str) -> Result<ReversePath, ParseErrorKind> {
    match Command::parse(format!("MAIL FROM:{path}").as_bytes()) {
        Ok(Command::Mail { from, .. }) => Ok(from),
        Ok(other) => panic!("{other:?}"),
        Err(e) => Err(e.kind),
    }
}

#[test]
fn local_part_of_64_octets_passes_and_65_fails_rfc5321_4_5_3_1_1() {
    assert_eq!(MAX_LOCAL_PART, 64);
    let ok = format!("<{}@example.org>", "l".repeat(64));
    let over = format!("<{}@example.org>", "l".repeat(65));
    assert!(rcpt(&ok).is_ok());
    assert_eq!(rcpt(&over), Err(ParseErrorKind::PathTooLong));
    assert!(mail(&ok).is_ok());
    assert_eq!(mail(&over), Err(ParseErrorKind::PathTooLong));
    assert!(LocalPart::new("l".repeat(64)).is_ok());
    assert_eq!(
        LocalPart::new("l".repeat(65)).unwrap_err().kind,
        ParseErrorKind::PathTooLong
    );
    // Quotes count: the limit is on the wire form.
    assert!(LocalPart::new(format!("\"{}\"", "q".repeat(62))).is_ok());
    assert_eq!(
        LocalPart::new(format!("\"{}\"", "q".repeat(63)))
            .unwrap_err()
            .kind,
        ParseErrorKind::PathTooLong
    );
}

#[test]
fn domain_of_255_octets_passes_and_256_fails_rfc5321_4_5_3_1_2() {
    assert_eq!(MAX_DOMAIN, 255);
    assert!(Domain::new(domain_of(255)).is_ok());
    assert_eq!(
        Domain::new(domain_of(256)).unwrap_err().kind,
        ParseErrorKind::PathTooLong
    );
    assert!(Command::parse(format!("EHLO {}", domain_of(255)).as_bytes()).is_ok());
    assert_eq!(
        Command::parse(format!("EHLO {}", domain_of(256)).as_bytes())
            .unwrap_err()
            .kind,
        ParseErrorKind::PathTooLong
    );
    // In a path the 256-octet path limit bites first.
    assert_eq!(
        rcpt(&format!("<a@{}>", domain_of(255))),
        Err(ParseErrorKind::PathTooLong)
    );
}

#[test]
fn path_of_256_octets_passes_and_257_fails_rfc5321_4_5_3_1_3() {
    assert_eq!(MAX_PATH, 256);
    let local = "l".repeat(64);
    let ok = format!("<{local}@{}>", domain_of(189));
    let over = format!("<{local}@{}>", domain_of(190));
    assert_eq!(ok.len(), 256);
    assert_eq!(over.len(), 257);
    assert!(rcpt(&ok).is_ok());
    assert_eq!(rcpt(&over), Err(ParseErrorKind::PathTooLong));
    assert!(mail(&ok).is_ok());
    assert_eq!(mail(&over), Err(ParseErrorKind::PathTooLong));
    // Mailbox::parse has no brackets: 254 octets fit a 256-octet path.
    assert!(Mailbox::parse(&ok[1..ok.len() - 1]).is_ok());
    assert_eq!(
        Mailbox::parse(&over[1..over.len() - 1]).unwrap_err().kind,
        ParseErrorKind::PathTooLong
    );
    // The source route counts toward the limit.
    let routed = format!("<@{}:{local}@{}>", domain_of(10), domain_of(189));
    assert_eq!(rcpt(&routed), Err(ParseErrorKind::PathTooLong));
}

#[test]
fn empty_quoted_local_part_is_valid_rfc5321_4_1_2() {
    let to = rcpt("<\"\"@example.org>").unwrap();
    let ForwardPath::Mailbox(m) = &to else {
        panic!()
    };
    assert_eq!(m.local_part.as_str(), "\"\"");
    assert_eq!(m.local_part.value(), "");
    assert_eq!(m.to_string(), "\"\"@example.org");
    assert_eq!(LocalPart::from_value("").unwrap().as_str(), "\"\"");
}

#[test]
fn quoted_strings_and_quoted_pairs_rfc5321_4_1_2() {
    let table: &[(&str, Option<&str>)] = &[
        (r#""john doe"@x.example"#, Some("john doe")),
        (r#""a\"b"@x.example"#, Some("a\"b")),
        (r#""a\\b"@x.example"#, Some("a\\b")),
        (r#""a\ b"@x.example"#, Some("a b")),
        (r#""a@b"@x.example"#, Some("a@b")),
        (r#""a"b"@x.example"#, None),
        (r#""a\"@x.example"#, None),
        (r#""a"@x.example"#, Some("a")),
        (r#""unterminated@x.example"#, None),
        ("\"tab\there\"@x.example", None),
        ("\"caf\u{e9}\"@x.example", Some("caf\u{e9}")),
    ];
    for (text, value) in table {
        match (Mailbox::parse(text), value) {
            (Ok(m), Some(v)) => {
                assert_eq!(m.local_part.value(), *v, "{text}");
                assert!(m.local_part.is_quoted());
                assert_eq!(m.to_string(), *text);
            }
            (Err(e), None) => assert_eq!(e.kind, ParseErrorKind::Path, "{text}"),
            (got, want) => panic!("{text}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn dot_strings_rfc5321_4_1_2() {
    for ok in [
        "a@b",
        "john.doe@example.org",
        "!#$%&'*+-/=?^_`{|}~@example.org",
        "j\u{f6}rg@example.org",
        "a.b.c@d",
        "1@2",
    ] {
        let m = Mailbox::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        assert_eq!(m.to_string(), ok);
        assert!(!m.local_part.is_quoted());
    }
    for bad in [
        "", "@", "a", "a@", "@b", ".a@b", "a.@b", "a..b@c", "a b@c", "a(b)@c", "a,b@c", "a@b@c",
        "a\\b@c", "a<b@c", "a>b@c", "a[b@c", "a:b@c", "a;b@c",
    ] {
        assert_eq!(
            Mailbox::parse(bad).unwrap_err().kind,
            ParseErrorKind::Path,
            "{bad:?}"
        );
    }
}

#[test]
fn from_value_quotes_only_when_needed_rfc5321_4_1_2() {
    let table: &[(&str, &str)] = &[
        ("john.doe", "john.doe"),
        ("john doe", "\"john doe\""),
        ("a\"b", r#""a\"b""#),
        ("a\\b", r#""a\\b""#),
        (".a", "\".a\""),
        ("a..b", "\"a..b\""),
        ("a@b", "\"a@b\""),
        ("", "\"\""),
        ("j\u{f6}rg", "j\u{f6}rg"),
        ("j\u{f6} rg", "\"j\u{f6} rg\""),
    ];
    for (value, wire) in table {
        let lp = LocalPart::from_value(value).unwrap();
        assert_eq!(lp.as_str(), *wire, "{value:?}");
        assert_eq!(lp.value(), *value, "{value:?}");
        assert_eq!(LocalPart::new(*wire).unwrap(), lp);
    }
    for bad in ["a\r\nb", "a\0", "a\tb", "\u{7f}"] {
        assert_eq!(
            LocalPart::from_value(bad).unwrap_err().kind,
            ParseErrorKind::Path,
            "{bad:?}"
        );
    }
    assert_eq!(
        LocalPart::from_value(&"a".repeat(65)).unwrap_err().kind,
        ParseErrorKind::PathTooLong
    );
}

#[test]
fn address_literals_rfc5321_4_1_3() {
    let table: &[(&str, Option<AddressLiteral>)] = &[
        (
            "a@[192.0.2.1]",
            Some(AddressLiteral::Ipv4([192, 0, 2, 1].into())),
        ),
        (
            "a@[0.0.0.0]",
            Some(AddressLiteral::Ipv4([0, 0, 0, 0].into())),
        ),
        (
            "a@[255.255.255.255]",
            Some(AddressLiteral::Ipv4([255, 255, 255, 255].into())),
        ),
        (
            "a@[IPv6:2001:db8::1]",
            Some(AddressLiteral::Ipv6("2001:db8::1".parse().unwrap())),
        ),
        (
            "a@[IPv6:::ffff:192.0.2.1]",
            Some(AddressLiteral::Ipv6("::ffff:192.0.2.1".parse().unwrap())),
        ),
        (
            "a@[x-tag:some-thing]",
            Some(AddressLiteral::General {
                tag: "x-tag".into(),
                content: "some-thing".into(),
            }),
        ),
        (
            "a@[1x-tag:1.2]",
            Some(AddressLiteral::General {
                tag: "1x-tag".into(),
                content: "1.2".into(),
            }),
        ),
        ("a@[256.0.0.1]", None),
        ("a@[1.2.3]", None),
        ("a@[1.2.3.4.5]", None),
        ("a@[1.2.3.4", None),
        ("a@[]", None),
        ("a@[IPv6:2001:db8::g]", None),
        ("a@[IPv6:1.2.3.4]", None),
        ("a@[tag:]", None),
        ("a@[-:x]", None),
        ("a@[tag-:x]", None),
        ("a@[tag:a\\b]", None),
        ("a@[tag:a b]", None),
        ("a@[tag:a[b]", None),
    ];
    for (text, want) in table {
        match (Mailbox::parse(text), want) {
            (Ok(m), Some(lit)) => assert_eq!(m.host, Host::Literal(lit.clone()), "{text}"),
            (Err(e), None) => assert_eq!(e.kind, ParseErrorKind::Path, "{text}"),
            (got, want) => panic!("{text}: got {got:?}, want {want:?}"),
        }
    }
    assert_eq!(
        AddressLiteral::Ipv6("2001:db8::1".parse().unwrap()).to_string(),
        "[IPv6:2001:db8::1]"
    );
    assert!(AddressLiteral::general("x-tag", "a:b").is_ok());
    assert!(AddressLiteral::general("IPv6", "1").is_err());
    assert!(AddressLiteral::general("x", "a]\r\nRSET").is_err());
    // An unchecked General literal never writes a bracket or line break.
    let forged = AddressLiteral::General {
        tag: "x".into(),
        content: "a]\r\nRSET".into(),
    };
    assert_eq!(forged.to_string(), "[x:aRSET]");
}

#[test]
fn u_labels_are_domains_rfc6531_3_3() {
    let d = Domain::new("b\u{fc}cher.example").unwrap();
    assert!(!d.is_ascii());
    assert_eq!(d.to_ascii().unwrap().as_str(), "xn--bcher-kva.example");
    let ascii = Domain::new("Example.ORG").unwrap();
    assert_eq!(ascii.to_ascii().unwrap(), ascii);
    for bad in [
        "",
        ".",
        "a.",
        ".a",
        "a..b",
        "-a",
        "a-",
        "a_b",
        "a b",
        "[1.2.3.4]",
    ] {
        assert_eq!(
            Domain::new(bad).unwrap_err().kind,
            ParseErrorKind::Path,
            "{bad:?}"
        );
    }
}

#[test]
fn needs_smtputf8_only_when_no_ascii_form_exists_rfc6531_3_2() {
    let cases: &[(&str, bool, bool)] = &[
        // (mailbox, is_ascii, needs_smtputf8)
        ("a@example.org", true, false),
        ("a@b\u{fc}cher.example", false, false),
        ("j\u{f6}rg@example.org", false, true),
        ("\"j\u{f6} rg\"@example.org", false, true),
        ("a@[192.0.2.1]", true, false),
        // A U-label that IDNA refuses (a combining mark may not begin a label).
        ("a@\u{0301}x.example", false, true),
    ];
    for (text, ascii, needs) in cases {
        let m = Mailbox::parse(text).unwrap();
        assert_eq!(m.is_ascii(), *ascii, "{text}");
        assert_eq!(m.needs_smtputf8(), *needs, "{text}");
    }
    let m = Mailbox::parse("a@b\u{fc}cher.example").unwrap();
    assert_eq!(
        m.to_ascii_domain().unwrap().to_string(),
        "a@xn--bcher-kva.example"
    );
    assert!(
        Mailbox::parse("a@\u{0301}x.example")
            .unwrap()
            .to_ascii_domain()
            .is_err()
    );
}

#[test]
fn path_display_has_brackets_rfc5321_4_1_2() {
    let m = Mailbox::parse("a@b.c").unwrap();
    assert_eq!(ReversePath::Null.to_string(), "<>");
    assert_eq!(ReversePath::Mailbox(m.clone()).to_string(), "<a@b.c>");
    assert_eq!(ForwardPath::Postmaster.to_string(), "<Postmaster>");
    assert_eq!(ForwardPath::Mailbox(m.clone()).to_string(), "<a@b.c>");
    assert_eq!("a@b.c".parse::<Mailbox>().unwrap(), m);
    assert_eq!(Host::parse("[1.2.3.4]").unwrap().to_string(), "[1.2.3.4]");
}
