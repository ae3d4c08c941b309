//! Known-answer tests for `Command::parse` / `Command::encode`
//! (RFC 5321 §4.1.1, Appendix D; RFC 3030; RFC 3207; RFC 4954; RFC 2033).

use bytes::BytesMut;
use postwire_smtp_proto::{
    AddressLiteral, Argument, AuthResponse, Body, Command, Domain, ForwardPath, Host,
    MailParameters, Mailbox, MechanismName, ParseErrorKind, RcptParameters, ReversePath,
};

fn parse(line: &str) -> Command {
    Command::parse(line.as_bytes()).unwrap_or_else(|e| panic!("{line:?}: {e}"))
}

fn err(line: &[u8]) -> ParseErrorKind {
    match Command::parse(line) {
        Ok(c) => panic!("{:?} parsed as {c:?}", String::from_utf8_lossy(line)),
        Err(e) => e.kind,
    }
}

fn encode(c: &Command) -> String {
    let mut out = BytesMut::new();
    c.encode(&mut out);
    String::from_utf8(out.to_vec()).unwrap()
}

fn mailbox(s: &str) -> Mailbox {
    Mailbox::parse(s).unwrap()
}

fn domain(s: &str) -> Host {
    Host::Domain(Domain::new(s).unwrap())
}

#[test]
fn every_command_line_of_appendix_d_parses_rfc5321_appendix_d() {
    // D.1 .. D.4, client lines only.
    let lines = [
        "EHLO bar.com",
        "MAIL FROM:<Smith@bar.com>",
        "RCPT TO:<Jones@foo.com>",
        "RCPT TO:<Green@foo.com>",
        "RCPT TO:<Brown@foo.com>",
        "DATA",
        "QUIT",
        "EHLO foo.com",
        "MAIL FROM:<JQP@bar.com>",
        "RCPT TO:<Jones@XYZ.COM>",
        "VRFY Crispin",
        "HELO",
    ];
    let expected: Vec<Result<Command, ParseErrorKind>> = vec![
        Ok(Command::Ehlo(domain("bar.com"))),
        Ok(Command::Mail {
            from: ReversePath::Mailbox(mailbox("Smith@bar.com")),
            params: MailParameters::new(),
        }),
        Ok(Command::Rcpt {
            to: ForwardPath::Mailbox(mailbox("Jones@foo.com")),
            params: RcptParameters::new(),
        }),
        Ok(Command::Rcpt {
            to: ForwardPath::Mailbox(mailbox("Green@foo.com")),
            params: RcptParameters::new(),
        }),
        Ok(Command::Rcpt {
            to: ForwardPath::Mailbox(mailbox("Brown@foo.com")),
            params: RcptParameters::new(),
        }),
        Ok(Command::Data),
        Ok(Command::Quit),
        Ok(Command::Ehlo(domain("foo.com"))),
        Ok(Command::Mail {
            from: ReversePath::Mailbox(mailbox("JQP@bar.com")),
            params: MailParameters::new(),
        }),
        Ok(Command::Rcpt {
            to: ForwardPath::Mailbox(mailbox("Jones@XYZ.COM")),
            params: RcptParameters::new(),
        }),
        Ok(Command::Vrfy(Argument::new("Crispin").unwrap())),
        // `HELO` needs a domain.
        Err(ParseErrorKind::Syntax),
    ];
    for (line, want) in lines.iter().zip(expected) {
        let got = Command::parse(line.as_bytes()).map_err(|e| e.kind);
        assert_eq!(got, want, "{line}");
        if let Ok(c) = got {
            assert_eq!(
                encode(&c),
                format!("{line}\r\n"),
                "canonical form of {line}"
            );
        }
    }
}

#[test]
fn verbs_and_from_to_are_case_insensitive_rfc5321_2_4() {
    assert_eq!(parse("quit"), Command::Quit);
    assert_eq!(parse("QuIt"), Command::Quit);
    assert_eq!(parse("starttls"), Command::StartTls);
    assert_eq!(parse("rset"), Command::Rset);
    assert_eq!(parse("data"), Command::Data);
    assert_eq!(
        parse("mail from:<a@b.c>"),
        Command::Mail {
            from: ReversePath::Mailbox(mailbox("a@b.c")),
            params: MailParameters::new()
        }
    );
    assert_eq!(
        parse("rCpT tO:<a@b.c>"),
        Command::Rcpt {
            to: ForwardPath::Mailbox(mailbox("a@b.c")),
            params: RcptParameters::new()
        }
    );
    assert_eq!(parse("lhlo x.y"), Command::Lhlo(domain("x.y")));
    assert_eq!(parse("helo x.y"), Command::Helo(domain("x.y")));
}

#[test]
fn one_space_after_colon_is_tolerated_like_postfix() {
    assert_eq!(
        parse("MAIL FROM: <a@b.c>"),
        Command::Mail {
            from: ReversePath::Mailbox(mailbox("a@b.c")),
            params: MailParameters::new()
        }
    );
    assert_eq!(
        parse("RCPT TO: <a@b.c>"),
        Command::Rcpt {
            to: ForwardPath::Mailbox(mailbox("a@b.c")),
            params: RcptParameters::new()
        }
    );
    assert_eq!(err(b"MAIL FROM:  <a@b.c>"), ParseErrorKind::Path);
    assert_eq!(err(b"MAIL FROM :<a@b.c>"), ParseErrorKind::Syntax);
    assert_eq!(err(b"MAIL  FROM:<a@b.c>"), ParseErrorKind::Syntax);
}

#[test]
fn null_reverse_path_with_parameters_rfc5321_4_5_5() {
    let c = parse("MAIL FROM:<> SIZE=1000 BODY=8BITMIME");
    let Command::Mail { from, params } = &c else {
        panic!("{c:?}")
    };
    assert_eq!(from, &ReversePath::Null);
    assert_eq!(params.size, Some(1000));
    assert_eq!(params.body, Some(Body::EightBitMime));
    assert_eq!(encode(&c), "MAIL FROM:<> SIZE=1000 BODY=8BITMIME\r\n");
    assert_eq!(
        parse("MAIL FROM:<>"),
        Command::Mail {
            from: ReversePath::Null,
            params: MailParameters::new()
        }
    );
    // The null path is for MAIL only.
    assert_eq!(err(b"RCPT TO:<>"), ParseErrorKind::Path);
}

#[test]
fn bare_postmaster_is_a_forward_path_rfc5321_4_1_1_3() {
    for line in [
        "RCPT TO:<Postmaster>",
        "RCPT TO:<postmaster>",
        "RCPT TO:<POSTMASTER>",
    ] {
        assert_eq!(
            parse(line),
            Command::Rcpt {
                to: ForwardPath::Postmaster,
                params: RcptParameters::new()
            },
            "{line}"
        );
    }
    assert_eq!(
        parse("RCPT TO:<Postmaster@example.org>"),
        Command::Rcpt {
            to: ForwardPath::Mailbox(mailbox("Postmaster@example.org")),
            params: RcptParameters::new()
        }
    );
    assert_eq!(
        encode(&parse("rcpt to:<postmaster>")),
        "RCPT TO:<Postmaster>\r\n"
    );
    assert_eq!(err(b"MAIL FROM:<Postmaster>"), ParseErrorKind::Path);
}

#[test]
fn source_routes_are_accepted_and_dropped_rfc5321_4_1_2() {
    assert_eq!(
        parse("RCPT TO:<@a.example,@b.example:user@c.example>"),
        Command::Rcpt {
            to: ForwardPath::Mailbox(mailbox("user@c.example")),
            params: RcptParameters::new()
        }
    );
    assert_eq!(
        parse("MAIL FROM:<@a.example:user@c.example>"),
        Command::Mail {
            from: ReversePath::Mailbox(mailbox("user@c.example")),
            params: MailParameters::new()
        }
    );
    assert_eq!(
        err(b"RCPT TO:<@a.example,user@c.example>"),
        ParseErrorKind::Path
    );
    assert_eq!(err(b"RCPT TO:<@:user@c.example>"), ParseErrorKind::Path);
}

#[test]
fn commands_without_arguments_refuse_arguments_rfc5321_4_1_1() {
    for line in ["DATA x", "RSET x", "QUIT now", "STARTTLS x"] {
        assert_eq!(err(line.as_bytes()), ParseErrorKind::Syntax, "{line}");
    }
    // Trailing spaces are not arguments.
    assert_eq!(parse("DATA "), Command::Data);
    assert_eq!(parse("QUIT  "), Command::Quit);
}

#[test]
fn unknown_verbs_are_unknown_command_rfc5321_4_2_4() {
    for line in [
        &b"FOO"[..],
        b"",
        b" ",
        b"MAILFROM:<a@b>",
        b"STARTTLSX",
        b"ETRN x",
        b"XCLIENT ADDR=1.2.3.4",
        b"\xff\xfe",
    ] {
        let kind = err(line);
        assert!(
            kind == ParseErrorKind::UnknownCommand || kind == ParseErrorKind::Utf8,
            "{line:?}: {kind:?}"
        );
    }
    assert_eq!(err(b"HELLO x"), ParseErrorKind::UnknownCommand);
}

#[test]
fn nul_cr_and_lf_anywhere_are_control_characters_rfc5321_2_3_8() {
    for line in [
        &b"MAIL FROM:<a\0@b.c>"[..],
        b"MAIL FROM:<a@b.c>\r",
        b"RCPT TO:<a@b.c>\rRSET",
        b"DATA\0",
        b"\0",
        b"NOOP a\nb",
        b"FOO\r",
        b"AUTH PLAIN AGZvbwBiYXI=\0",
    ] {
        assert_eq!(err(line), ParseErrorKind::ControlCharacter, "{line:?}");
    }
}

#[test]
fn invalid_utf8_in_paths_and_arguments_is_an_error_rfc6531_3_3() {
    assert_eq!(err(b"MAIL FROM:<\xff@b.c>"), ParseErrorKind::Utf8);
    assert_eq!(err(b"RCPT TO:<a@\xc3.c>"), ParseErrorKind::Utf8);
    assert_eq!(err(b"VRFY \xc3\x28"), ParseErrorKind::Utf8);
    assert_eq!(err(b"EHLO \xed\xa0\x80.example"), ParseErrorKind::Utf8);
    assert_eq!(err(b"MAIL FROM:<a@b.c> X-FOO=\xff"), ParseErrorKind::Utf8);
    // Valid UTF-8 is a path like any other (RFC 6531).
    let c = parse("MAIL FROM:<j\u{f6}rg@b\u{fc}cher.example> SMTPUTF8");
    let Command::Mail { from, params } = c else {
        panic!()
    };
    assert!(params.smtputf8);
    assert_eq!(
        from,
        ReversePath::Mailbox(mailbox("j\u{f6}rg@b\u{fc}cher.example"))
    );
}

#[test]
fn malformed_arguments_are_syntax_path_or_parameter_errors_rfc5321_4_1_2() {
    let table: &[(&str, ParseErrorKind)] = &[
        ("MAIL", ParseErrorKind::Syntax),
        ("MAIL TO:<a@b.c>", ParseErrorKind::Syntax),
        ("MAIL FROM:", ParseErrorKind::Path),
        ("MAIL FROM:a@b.c", ParseErrorKind::Path),
        ("MAIL FROM:<a@b.c", ParseErrorKind::Path),
        ("MAIL FROM:<a@b.c>x", ParseErrorKind::Path),
        ("MAIL FROM:<a@b..c>", ParseErrorKind::Path),
        ("MAIL FROM:<a@-b.c>", ParseErrorKind::Path),
        ("MAIL FROM:<a@b-.c>", ParseErrorKind::Path),
        ("MAIL FROM:<a@b.c.>", ParseErrorKind::Path),
        ("MAIL FROM:<a b@c.d>", ParseErrorKind::Path),
        ("MAIL FROM:<.a@b.c>", ParseErrorKind::Path),
        ("MAIL FROM:<a.@b.c>", ParseErrorKind::Path),
        ("MAIL FROM:<a..b@c.d>", ParseErrorKind::Path),
        ("MAIL FROM:<a@>", ParseErrorKind::Path),
        ("MAIL FROM:<@b.c>", ParseErrorKind::Path),
        ("MAIL FROM:<a@b.c> SIZE", ParseErrorKind::Parameter),
        ("MAIL FROM:<a@b.c> SIZE=x", ParseErrorKind::Parameter),
        ("MAIL FROM:<a@b.c> =1", ParseErrorKind::Parameter),
        ("MAIL FROM:<a@b.c> SIZE=1 SIZE=2", ParseErrorKind::Parameter),
        ("MAIL FROM:<a@b.c> ENVID=a+2", ParseErrorKind::Xtext),
        ("RCPT", ParseErrorKind::Syntax),
        ("RCPT TO:", ParseErrorKind::Path),
        ("RCPT FROM:<a@b.c>", ParseErrorKind::Syntax),
        (
            "RCPT TO:<a@b.c> NOTIFY=NEVER,DELAY",
            ParseErrorKind::Parameter,
        ),
        ("EHLO", ParseErrorKind::Syntax),
        ("EHLO a b", ParseErrorKind::Path),
        ("EHLO a_b.example", ParseErrorKind::Path),
        ("EHLO [1.2.3.256]", ParseErrorKind::Path),
        ("VRFY", ParseErrorKind::Syntax),
        ("EXPN", ParseErrorKind::Syntax),
        ("BDAT", ParseErrorKind::Syntax),
        ("BDAT x", ParseErrorKind::Syntax),
        ("BDAT -1", ParseErrorKind::Syntax),
        ("BDAT 10 FIRST", ParseErrorKind::Syntax),
        ("BDAT 10 LAST x", ParseErrorKind::Syntax),
        ("BDAT 99999999999999999999999", ParseErrorKind::Syntax),
        ("AUTH", ParseErrorKind::Syntax),
        ("AUTH PL@IN", ParseErrorKind::Syntax),
        ("AUTH ABCDEFGHIJKLMNOPQRSTU", ParseErrorKind::Syntax),
        ("AUTH PLAIN !!!!", ParseErrorKind::Base64),
        ("AUTH PLAIN AGZvbwBiYXI", ParseErrorKind::Base64),
        ("AUTH PLAIN AGZvbwBiYXI= x", ParseErrorKind::Base64),
        ("VRFY a\u{7}b", ParseErrorKind::ControlCharacter),
    ];
    for (line, kind) in table {
        assert_eq!(err(line.as_bytes()), *kind, "{line}");
    }
}

#[test]
fn helo_arguments_are_domains_or_address_literals_rfc5321_4_1_1_1() {
    assert_eq!(
        parse("EHLO [192.0.2.1]"),
        Command::Ehlo(Host::Literal(AddressLiteral::Ipv4([192, 0, 2, 1].into())))
    );
    assert_eq!(
        parse("EHLO [IPv6:2001:db8::1]"),
        Command::Ehlo(Host::Literal(AddressLiteral::Ipv6(
            "2001:db8::1".parse().unwrap()
        )))
    );
    assert_eq!(
        parse("HELO m\u{fc}nchen.example"),
        Command::Helo(domain("m\u{fc}nchen.example"))
    );
    assert_eq!(parse("EHLO localhost"), Command::Ehlo(domain("localhost")));
}

#[test]
fn bdat_size_and_last_rfc3030_2() {
    assert_eq!(
        parse("BDAT 1000"),
        Command::Bdat {
            size: 1000,
            last: false
        }
    );
    assert_eq!(
        parse("bdat 0 last"),
        Command::Bdat {
            size: 0,
            last: true
        }
    );
    assert_eq!(
        parse("BDAT 18446744073709551615 LAST"),
        Command::Bdat {
            size: u64::MAX,
            last: true
        }
    );
    assert_eq!(
        encode(&Command::Bdat {
            size: 7,
            last: true
        }),
        "BDAT 7 LAST\r\n"
    );
}

#[test]
fn vrfy_expn_help_noop_arguments_rfc5321_4_1_1_6() {
    assert_eq!(parse("NOOP"), Command::Noop(None));
    assert_eq!(
        parse("NOOP hello there"),
        Command::Noop(Some(Argument::new("hello there").unwrap()))
    );
    assert_eq!(parse("HELP"), Command::Help(None));
    assert_eq!(
        parse("HELP MAIL"),
        Command::Help(Some(Argument::new("MAIL").unwrap()))
    );
    assert_eq!(
        parse("EXPN Example-People"),
        Command::Expn(Argument::new("Example-People").unwrap())
    );
    assert_eq!(
        parse("VRFY \"John Doe\" <jd@example.org>"),
        Command::Vrfy(Argument::new("\"John Doe\" <jd@example.org>").unwrap())
    );
    assert!(Argument::new("").is_err());
    assert!(Argument::new("a\r\nRSET").is_err());
    assert!(Argument::new("a\0").is_err());
    assert!(Argument::new("a ").is_err());
}

#[test]
fn auth_initial_response_is_decoded_rfc4954_4() {
    let c = parse("AUTH PLAIN AGZvbwBiYXI=");
    let Command::Auth {
        mechanism,
        initial_response,
    } = &c
    else {
        panic!()
    };
    assert_eq!(mechanism.as_str(), "PLAIN");
    assert_eq!(initial_response.as_ref().unwrap().expose(), b"\0foo\0bar");
    assert_eq!(encode(&c), "AUTH PLAIN AGZvbwBiYXI=\r\n");

    let c = parse("auth plain =");
    let Command::Auth {
        mechanism,
        initial_response,
    } = &c
    else {
        panic!()
    };
    assert_eq!(mechanism.as_str(), "PLAIN");
    assert_eq!(initial_response.as_ref().unwrap().expose(), b"");
    assert_eq!(encode(&c), "AUTH PLAIN =\r\n");

    let c = parse("AUTH SCRAM-SHA-256");
    assert_eq!(
        c,
        Command::Auth {
            mechanism: MechanismName::new("scram-sha-256").unwrap(),
            initial_response: None
        }
    );
    assert_eq!(encode(&c), "AUTH SCRAM-SHA-256\r\n");
}

#[test]
fn debug_of_auth_shows_no_secret_security_a4() {
    // "\0user\0hunter2"
    let line = "AUTH PLAIN AHVzZXIAaHVudGVyMg==";
    let c = parse(line);
    for dbg in [format!("{c:?}"), format!("{c:#?}")] {
        assert!(!dbg.contains("AHVzZXIAaHVudGVyMg"), "{dbg}");
        assert!(!dbg.contains("hunter2"), "{dbg}");
        assert!(!dbg.contains("104, 117, 110"), "{dbg}");
        assert!(dbg.contains("PLAIN"), "{dbg}");
    }
    let r = AuthResponse::parse(b"aHVudGVyMg==").unwrap();
    for dbg in [format!("{r:?}"), format!("{r:#?}")] {
        assert!(!dbg.contains("aHVudGVyMg"), "{dbg}");
        assert!(!dbg.contains("hunter2"), "{dbg}");
        assert!(!dbg.contains("104, 117, 110"), "{dbg}");
    }
}

#[test]
fn auth_responses_rfc4954_4() {
    assert_eq!(AuthResponse::parse(b"*").unwrap(), AuthResponse::Cancel);
    for empty in [&b""[..], b"="] {
        match AuthResponse::parse(empty).unwrap() {
            AuthResponse::Data(d) => assert!(d.expose().is_empty()),
            AuthResponse::Cancel => panic!(),
        }
    }
    match AuthResponse::parse(b"dXNlcg==").unwrap() {
        AuthResponse::Data(d) => assert_eq!(d.expose(), b"user"),
        AuthResponse::Cancel => panic!(),
    }
    for bad in [&b"dXNlcg"[..], b"dXNlcg=", b"**", b"dXNl cg==", b"\xff"] {
        assert_eq!(
            AuthResponse::parse(bad).unwrap_err().kind,
            ParseErrorKind::Base64,
            "{bad:?}"
        );
    }
    let mut out = BytesMut::new();
    AuthResponse::Cancel.encode(&mut out);
    AuthResponse::Data(b"user".to_vec().into()).encode(&mut out);
    AuthResponse::Data(Vec::new().into()).encode(&mut out);
    assert_eq!(&out[..], b"*\r\ndXNlcg==\r\n\r\n");
}

#[test]
fn mechanism_names_rfc4422_3_1() {
    assert_eq!(MechanismName::new("x-oauth2").unwrap().as_str(), "X-OAUTH2");
    assert_eq!(
        MechanismName::new("ABCDEFGHIJKLMNOPQRST").unwrap().as_str(),
        "ABCDEFGHIJKLMNOPQRST"
    );
    for bad in ["", "ABCDEFGHIJKLMNOPQRSTU", "A B", "A=B", "\u{e9}"] {
        assert!(MechanismName::new(bad).is_err(), "{bad}");
    }
}

#[test]
fn encode_writes_canonical_lines_rfc5321_4_1_1() {
    let cases: &[(&str, &str)] = &[
        ("ehlo Example.COM", "EHLO Example.COM"),
        ("mail from: <a@b.c>  size=10", "MAIL FROM:<a@b.c> SIZE=10"),
        ("noop", "NOOP"),
        ("help  ", "HELP"),
        ("rcpt to:<a@[IPv6:::1]>", "RCPT TO:<a@[IPv6:::1]>"),
        ("rcpt to:<a@[ipv6:0::1]>", "RCPT TO:<a@[IPv6:::1]>"),
        ("rcpt to:<a@[001.002.003.004]>", "RCPT TO:<a@[1.2.3.4]>"),
        ("rcpt to:<\"a b\"@c.d>", "RCPT TO:<\"a b\"@c.d>"),
        ("starttls", "STARTTLS"),
    ];
    for (line, canonical) in cases {
        assert_eq!(encode(&parse(line)), format!("{canonical}\r\n"), "{line}");
    }
}

mod props {
    use super::*;
    use postwire_smtp_proto::{Notify, Parameter};
    use proptest::prelude::*;

    fn domain_s() -> impl Strategy<Value = String> {
        "[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?(\\.[a-z0-9]{1,8}){0,3}|[\u{e0}-\u{ff}]{1,4}\\.example"
    }

    fn host() -> impl Strategy<Value = Host> {
        prop_oneof![
            domain_s().prop_map(|d| Host::Domain(Domain::new(d).unwrap())),
            any::<[u8; 4]>().prop_map(|o| Host::Literal(AddressLiteral::Ipv4(o.into()))),
            any::<u128>().prop_map(|a| Host::Literal(AddressLiteral::Ipv6(a.into()))),
            ("x-[a-z0-9]{1,5}", "[!-Z^-~]{1,10}")
                .prop_map(|(t, c)| Host::Literal(AddressLiteral::general(&t, &c).unwrap())),
        ]
    }

    fn mailbox() -> impl Strategy<Value = Mailbox> {
        ("[ -~\u{e9}]{0,20}", host()).prop_map(|(v, host)| Mailbox {
            local_part: postwire_smtp_proto::LocalPart::from_value(&v).unwrap(),
            host,
        })
    }

    fn argument() -> impl Strategy<Value = Argument> {
        "[ -~\t\u{e9}]{0,20}[!-~]".prop_map(|a| Argument::new(a).unwrap())
    }

    fn params() -> impl Strategy<Value = (MailParameters, RcptParameters)> {
        (
            proptest::option::of(any::<u64>()),
            any::<bool>(),
            proptest::option::of("[!-~ ]{1,10}"),
            proptest::option::of(Just(Notify::Never)),
            proptest::option::of(("X-[A-Z]{1,4}", proptest::option::of("[!-<>-~]{1,6}"))),
        )
            .prop_map(|(size, utf8, envid, notify, other)| {
                let mut m = MailParameters::new();
                m.size = size;
                m.smtputf8 = utf8;
                m.envid = envid;
                let mut r = RcptParameters::new();
                r.notify = notify;
                if let Some((k, v)) = other {
                    m.other.push(Parameter::new(k.clone(), v.clone()).unwrap());
                    r.other.push(Parameter::new(k, v).unwrap());
                }
                (m, r)
            })
    }

    fn command() -> impl Strategy<Value = Command> {
        prop_oneof![
            host().prop_map(Command::Helo),
            host().prop_map(Command::Ehlo),
            host().prop_map(Command::Lhlo),
            (proptest::option::of(mailbox()), params()).prop_map(|(m, (params, _))| {
                Command::Mail {
                    from: m.map_or(ReversePath::Null, ReversePath::Mailbox),
                    params,
                }
            }),
            (proptest::option::of(mailbox()), params()).prop_map(|(m, (_, params))| {
                Command::Rcpt {
                    to: m.map_or(ForwardPath::Postmaster, ForwardPath::Mailbox),
                    params,
                }
            }),
            Just(Command::Data),
            (any::<u64>(), any::<bool>()).prop_map(|(size, last)| Command::Bdat { size, last }),
            Just(Command::Rset),
            argument().prop_map(Command::Vrfy),
            argument().prop_map(Command::Expn),
            proptest::option::of(argument()).prop_map(Command::Help),
            proptest::option::of(argument()).prop_map(Command::Noop),
            Just(Command::Quit),
            Just(Command::StartTls),
            (
                "[A-Za-z0-9_-]{1,20}",
                proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40))
            )
                .prop_map(|(m, r)| Command::Auth {
                    mechanism: MechanismName::new(&m).unwrap(),
                    initial_response: r.map(Into::into),
                }),
        ]
    }

    proptest! {
        #[test]
        fn command_round_trips_rfc5321_4_1_1(c in command()) {
            let mut out = BytesMut::new();
            c.encode(&mut out);
            prop_assert!(out.ends_with(b"\r\n"));
            let line = &out[..out.len() - 2];
            prop_assert!(!line.contains(&b'\r') && !line.contains(&b'\n'));
            prop_assert_eq!(Command::parse(line), Ok(c));
        }

        #[test]
        fn parse_never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            if Command::parse(&bytes).is_ok() {
                prop_assert!(!bytes.iter().any(|b| matches!(b, 0 | b'\r' | b'\n')));
            }
            let _ = AuthResponse::parse(&bytes);
        }

        #[test]
        fn a_control_character_is_always_reported_as_such_rfc5321_2_3_8(
            c in command(),
            at in any::<proptest::sample::Index>(),
            control in prop_oneof![Just(0u8), Just(b'\r'), Just(b'\n')],
        ) {
            let mut out = BytesMut::new();
            c.encode(&mut out);
            let mut line = out[..out.len() - 2].to_vec();
            line.insert(at.index(line.len() + 1), control);
            prop_assert_eq!(
                Command::parse(&line).map_err(|e| e.kind),
                Err(ParseErrorKind::ControlCharacter)
            );
        }

        #[test]
        fn parse_never_panics_on_near_valid_lines(
            verb in prop_oneof![
                Just("MAIL FROM:"), Just("RCPT TO:"), Just("EHLO "), Just("AUTH "), Just("BDAT ")
            ],
            tail in "[<>@\\[\\]\".:;,=+ a-zA-Z0-9\\\\\u{e9}-]{0,80}",
        ) {
            let line = format!("{verb}{tail}");
            if let Ok(c) = Command::parse(line.as_bytes()) {
                // Whatever parses re-encodes to something that parses the same.
                let mut out = BytesMut::new();
                c.encode(&mut out);
                prop_assert_eq!(Command::parse(&out[..out.len() - 2]), Ok(c));
            }
        }
    }
}
