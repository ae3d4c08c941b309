//! Our client against our server, in memory, through `pair_support::Pair`:
//! every feature end to end, with whole transfers and with every transfer
//! cut at random (eight seeds). Both machines must agree on every byte, and
//! the server application must receive exactly what the client sent.

mod pair_support;

use std::time::Duration;

use pair_support::{
    Answer, Pair, client_config, from, mailbox, modes, path, reply, server_config, to,
};
use postwire_core::{Protocol, TlsInfo, TlsVersion};
use postwire_sasl::Mechanism;
use postwire_sasl::client::{ClientMechanism, Credentials};
use postwire_smtp_proto::client::{
    BodyInfo, Envelope, Error as ClientError, Event, StartTlsPolicy, Step, UsageError,
};
use postwire_smtp_proto::server::{AbortReason, Event as ServerEvent, HeloKind, ServerConfig};
use postwire_smtp_proto::{
    Body, Domain, ForwardPath, Notify, OriginalRecipient, RcptParameters, Ret, ReversePath,
};

const PASSWORD: &str = "tanstaaftanstaaf";

/// An application that refuses `refused` recipients and checks passwords.
fn app(refused: &'static [&'static str]) -> impl FnMut(&ServerEvent) -> Answer {
    move |event| match event {
        ServerEvent::Rcpt { to, .. } if refused.contains(&path(to).as_str()) => Answer::Reject,
        ServerEvent::Auth { authentication, .. } => {
            if authentication.password_matches(PASSWORD) {
                Answer::Accept
            } else {
                Answer::Reject
            }
        }
        _ => Answer::Accept,
    }
}

fn plain_pair(server: ServerConfig, seed: Option<u64>) -> Pair {
    let mut pair = Pair::new(client_config(StartTlsPolicy::Disabled), server, seed);
    pair.greet();
    pair
}

fn envelope_result(pair: &Pair) -> postwire_smtp_proto::client::EnvelopeResult {
    pair.client_events
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::Envelope { result, .. } => Some(result.clone()),
            _ => None,
        })
        .expect("an Envelope event")
}

const NASTY: &[&[u8]] = &[
    b"Subject: x\r\n\r\n",
    b".leading dot\r\n",
    b"a\n.\nb\r.\rc",
    b"\r",
    b"\n.",
    b"\r\n.\r\n",
    b"..\r\n",
    b"end without newline",
];

/// What the server must receive for `NASTY`: bare CR and LF made CRLF, a
/// final CRLF added, dots as written (RFC 5321 §4.5.2; SECURITY.md SM-C1).
const NASTY_RECEIVED: &[u8] = b"Subject: x\r\n\r\n.leading dot\r\na\r\n.\r\nb\r\n.\r\nc\r\n.\r\n.\r\n..\r\nend without newline\r\n";

fn full_session(use_chunking: bool, seed: Option<u64>) -> Pair {
    let mut cfg = client_config(StartTlsPolicy::Required);
    cfg.use_chunking = use_chunking;
    let mut pair = Pair::new(cfg, server_config(), seed).with_app(app(&["nobody@mx.example"]));
    pair.greet_tls();
    pair.call(|c, now| c.auth_with(now, &Credentials::password("tim", PASSWORD)))
        .unwrap();
    assert!(matches!(pair.last(), Event::Authenticated { .. }));
    let envelope = Envelope::new(from("tim@client.example"))
        .to(to("a@mx.example"))
        .to(to("nobody@mx.example"))
        .to(to("b@mx.example"));
    let id = pair
        .call(|c, now| c.send_mail(now, envelope, BodyInfo::default()))
        .unwrap();
    assert_eq!(pair.last(), &Event::ReadyForBody { id });
    pair.body(NASTY);
    assert!(matches!(pair.last(), Event::MessageAccepted { id: i, .. } if *i == id));
    pair.call(|c, now| c.quit(now)).unwrap();
    assert_eq!(pair.last(), &Event::Closed);
    pair.assert_clean();
    assert!(pair.server.is_closed() && pair.client.is_closed());
    pair
}

#[test]
fn full_session_with_data_pipelined_one_refused_of_three_rfc2920() {
    for seed in modes() {
        let pair = full_session(false, seed);
        assert!(pair.c2s.windows(6).any(|w| w == b"DATA\r\n"));
        assert_eq!(pair.delivered.len(), 1);
        assert_eq!(pair.delivered[0].to(), vec!["a@mx.example", "b@mx.example"]);
        assert_eq!(
            pair.delivered[0].body.escape_ascii().to_string(),
            NASTY_RECEIVED.escape_ascii().to_string()
        );
        let result = envelope_result(&pair);
        assert_eq!(result.accepted, vec![0, 2]);
        assert_eq!(
            result.refused.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
            vec![1]
        );
        assert!(
            !pair
                .server_events
                .iter()
                .any(|e| matches!(e, ServerEvent::BadCommand { .. }))
        );
    }
}

#[test]
fn full_session_with_bdat_rfc3030() {
    for seed in modes() {
        let pair = full_session(true, seed);
        assert!(pair.c2s.windows(13).any(|w| w == b"BDAT 2 LAST\r\n"));
        assert!(!pair.c2s.windows(6).any(|w| w == b"DATA\r\n"));
        assert_eq!(pair.delivered.len(), 1);
        assert_eq!(pair.delivered[0].body, NASTY_RECEIVED);
        assert_eq!(pair.delivered[0].to(), vec!["a@mx.example", "b@mx.example"]);
    }
}

#[test]
fn ehlo_refused_falls_back_to_helo_rfc5321_4_1_4() {
    for seed in modes() {
        let mut pair = Pair::new(
            client_config(StartTlsPolicy::Disabled),
            server_config(),
            seed,
        )
        .with_app(|e| match e {
            ServerEvent::Helo {
                kind: HeloKind::Ehlo,
                ..
            } => Answer::Reply(reply(502, "5.5.1 EHLO not supported here")),
            _ => Answer::Accept,
        });
        pair.call(|c, now| c.ehlo(now)).unwrap();
        assert!(
            matches!(
                pair.last(),
                Event::Ehlo {
                    helo_fallback: true,
                    ..
                }
            ),
            "{:?}",
            pair.client_events
        );
        assert!(
            pair.c2s
                .ends_with(b"EHLO client.example\r\nHELO client.example\r\n")
        );
        // No extensions after HELO: no PIPELINING, so one command at a time.
        let envelope = Envelope::new(from("a@client.example")).to(to("b@mx.example"));
        pair.call(|c, now| c.send_mail(now, envelope, BodyInfo::from_content(b"hi\r\n")))
            .unwrap();
        assert!(
            matches!(pair.last(), Event::ReadyForBody { .. }),
            "{:?}",
            pair.client_events
        );
        pair.body(&[b"hi\r\n"]);
        assert!(matches!(pair.last(), Event::MessageAccepted { .. }));
        assert!(
            pair.c2s
                .windows(30)
                .any(|w| w == b"MAIL FROM:<a@client.example>\r\n")
        );
        assert_eq!(pair.delivered[0].body, b"hi\r\n");
        pair.assert_clean();
    }
}

fn auth_with_mechanism(mechanism: Mechanism, password: &str, seed: Option<u64>) -> Pair {
    let mut pair = Pair::new(
        client_config(StartTlsPolicy::Required),
        server_config(),
        seed,
    )
    .with_app(app(&[]));
    pair.greet_tls();
    let creds = Credentials::password("tim", password);
    let mech = ClientMechanism::new(mechanism, &creds).unwrap();
    pair.call(|c, now| c.auth(now, mech)).unwrap();
    pair
}

#[test]
fn starttls_then_auth_plain_rfc4954() {
    for seed in modes() {
        let pair = auth_with_mechanism(Mechanism::Plain, PASSWORD, seed);
        assert!(matches!(pair.last(), Event::Authenticated { .. }));
        assert!(pair.client.is_authenticated() && pair.server.is_authenticated());
        let auth = pair.server_events.iter().find_map(|e| match e {
            ServerEvent::Auth {
                mechanism,
                authentication,
                ..
            } => Some((mechanism.clone(), authentication.username.clone())),
            _ => None,
        });
        assert_eq!(auth, Some((Mechanism::Plain, "tim".to_owned())));
        pair.assert_clean();
    }
}

#[test]
fn starttls_then_auth_login_rfc4954() {
    for seed in modes() {
        let pair = auth_with_mechanism(Mechanism::Login, PASSWORD, seed);
        assert!(
            matches!(pair.last(), Event::Authenticated { .. }),
            "{:?}",
            pair.client_events
        );
        assert!(
            pair.c2s.windows(12).any(|w| w == b"AUTH LOGIN\r\n")
                || pair.c2s.windows(11).any(|w| w == b"AUTH LOGIN ")
        );
        pair.assert_clean();
    }
}

#[test]
fn wrong_password_then_second_try_succeeds_rfc4954_4() {
    for mechanism in [Mechanism::Plain, Mechanism::Login] {
        for seed in modes() {
            let mut pair = auth_with_mechanism(mechanism.clone(), "wrong", seed);
            // The server holds the 535 back for its failure delay
            // (SECURITY.md A7), then the client learns of the failure.
            assert!(!matches!(pair.last(), Event::AuthFailed { .. }));
            pair.advance(Duration::from_secs(2));
            assert!(
                matches!(pair.last(), Event::AuthFailed { reply, .. } if reply.code().get() == 535),
                "{:?}",
                pair.client_events
            );
            assert!(!pair.server.is_authenticated());
            let creds = Credentials::password("tim", PASSWORD);
            let mech = ClientMechanism::new(mechanism.clone(), &creds).unwrap();
            pair.call(|c, now| c.auth(now, mech)).unwrap();
            assert!(matches!(pair.last(), Event::Authenticated { .. }));
            assert!(pair.server.is_authenticated());
            pair.assert_clean();
        }
    }
}

#[test]
fn zero_accepted_recipients_fails_the_transaction_and_the_session_goes_on_rfc2920_3_1() {
    for chunking in [false, true] {
        for seed in modes() {
            let mut server = server_config();
            server.extensions.chunking = chunking;
            let mut pair =
                plain_pair(server, seed).with_app(app(&["x@mx.example", "y@mx.example"]));
            let envelope = Envelope::new(from("a@client.example"))
                .to(to("x@mx.example"))
                .to(to("y@mx.example"));
            let id = pair
                .call(|c, now| c.send_mail(now, envelope, BodyInfo::default()))
                .unwrap();
            assert!(
                matches!(pair.last(), Event::TransactionFailed { id: i, .. } if *i == id),
                "{:?}",
                pair.client_events
            );
            assert!(
                !pair
                    .server_events
                    .iter()
                    .any(|e| matches!(e, ServerEvent::DataStart { .. }))
            );
            // The session is usable: the next message goes through.
            let envelope = Envelope::new(from("a@client.example")).to(to("z@mx.example"));
            pair.call(|c, now| c.send_mail(now, envelope, BodyInfo::default()))
                .unwrap();
            pair.body(&[b"second\r\n"]);
            assert!(matches!(pair.last(), Event::MessageAccepted { .. }));
            assert_eq!(pair.delivered.len(), 1);
            assert_eq!(pair.delivered[0].to(), vec!["z@mx.example"]);
            pair.assert_clean();
        }
    }
}

#[test]
fn too_many_recipients_452_carried_into_a_second_transaction_rfc5321_4_5_3_1_10() {
    for chunking in [false, true] {
        for seed in modes() {
            let mut server = server_config();
            server.limits.max_recipients = 2;
            server.extensions.chunking = chunking;
            let mut pair = plain_pair(server, seed);
            let all = [
                "r0@mx.example",
                "r1@mx.example",
                "r2@mx.example",
                "r3@mx.example",
                "r4@mx.example",
            ];
            let message: &[u8] = b"Subject: many\r\n\r\nbody\r\n";
            let mut remaining: Vec<&str> = all.to_vec();
            let mut rounds = 0;
            while !remaining.is_empty() {
                rounds += 1;
                let mut envelope = Envelope::new(from("a@client.example"));
                for r in &remaining {
                    envelope = envelope.to(to(r));
                }
                pair.call(|c, now| c.send_mail(now, envelope, BodyInfo::from_content(message)))
                    .unwrap();
                let result = envelope_result(&pair);
                assert_eq!(result.accepted.len(), remaining.len().min(2));
                assert!(result.deferred.iter().all(|(_, r)| r.code().get() == 452));
                pair.body(&[message]);
                assert!(matches!(pair.last(), Event::MessageAccepted { .. }));
                remaining = result.deferred.iter().map(|(i, _)| remaining[*i]).collect();
            }
            assert_eq!(rounds, 3);
            let copies: Vec<Vec<String>> = pair.delivered.iter().map(|d| d.to()).collect();
            assert_eq!(
                copies,
                vec![
                    vec!["r0@mx.example", "r1@mx.example"],
                    vec!["r2@mx.example", "r3@mx.example"],
                    vec!["r4@mx.example"]
                ]
            );
            assert!(pair.delivered.iter().all(|d| d.body == message));
            pair.assert_clean();
        }
    }
}

#[test]
fn eight_bit_body_declared_8bitmime_arrives_unaltered_rfc6152() {
    for chunking in [false, true] {
        for seed in modes() {
            let mut server = server_config();
            server.extensions.chunking = chunking;
            let mut pair = plain_pair(server, seed);
            let message =
                "Subject: Gr\u{fc}\u{df}e\r\n\r\n\u{e9}t\u{e9} \u{2014} .\r\n.caf\u{e9}\r\n"
                    .as_bytes();
            let envelope = Envelope::new(from("a@client.example")).to(to("b@mx.example"));
            pair.call(|c, now| c.send_mail(now, envelope, BodyInfo::from_content(message)))
                .unwrap();
            pair.body(&[&message[..7], &message[7..]]);
            assert!(matches!(pair.last(), Event::MessageAccepted { .. }));
            let d = &pair.delivered[0];
            assert_eq!(d.params.body, Some(Body::EightBitMime));
            assert_eq!(d.params.size, Some(message.len() as u64));
            assert_eq!(d.body, message);
            pair.assert_clean();
        }
    }
}

#[test]
fn binarymime_over_bdat_arrives_unaltered_rfc3030_3() {
    for seed in modes() {
        let mut server = server_config();
        server.extensions.binary_mime = true;
        let mut pair = plain_pair(server, seed);
        let message: &[u8] = b"\x00\xff\r\n.\r\nMAIL FROM:<evil@example.com>\r\n\n.\n\r.\r..\r\n";
        let envelope = Envelope::new(from("a@client.example")).to(to("b@mx.example"));
        let mut info = BodyInfo::from_content(message);
        info.binary = true;
        pair.call(|c, now| c.send_mail(now, envelope, info))
            .unwrap();
        pair.body(&[&message[..5], &message[5..]]);
        assert!(
            matches!(pair.last(), Event::MessageAccepted { .. }),
            "{:?}",
            pair.client_events
        );
        assert_eq!(pair.delivered[0].params.body, Some(Body::BinaryMime));
        assert_eq!(pair.delivered[0].body, message);
        assert_eq!(
            pair.server_events
                .iter()
                .filter(|e| matches!(e, ServerEvent::Mail { .. }))
                .count(),
            1
        );
        pair.assert_clean();
    }
}

#[test]
fn size_over_the_advertised_limit_is_refused_before_mail_rfc1870_6() {
    let mut server = server_config();
    server.limits.max_message_size = 100;
    let mut pair = plain_pair(server, None);
    let sent = pair.c2s.len();
    let envelope = Envelope::new(from("a@client.example")).to(to("b@mx.example"));
    let mut info = BodyInfo::default();
    info.size = Some(1000);
    let result = pair.call(|c, now| c.send_mail(now, envelope, info));
    assert_eq!(
        result,
        Err(UsageError::MessageTooBig {
            size: 1000,
            limit: 100
        })
    );
    assert_eq!(pair.c2s.len(), sent, "nothing was written");
}

#[test]
fn body_over_the_limit_is_refused_with_552_and_dropped_rfc1870_6() {
    for chunking in [false, true] {
        for seed in modes() {
            let mut server = server_config();
            server.limits.max_message_size = 100;
            server.extensions.chunking = chunking;
            let mut pair = plain_pair(server, seed);
            let envelope = Envelope::new(from("a@client.example")).to(to("b@mx.example"));
            pair.call(|c, now| c.send_mail(now, envelope, BodyInfo::default()))
                .unwrap();
            let line = [b'x'; 78];
            // BDAT: the chunk that would pass the limit is refused before it
            // is read, which ends the body at once (RFC 3030 §2).
            let mut refused = false;
            for piece in [&line[..], b"\r\n"].repeat(4) {
                match pair.call(|c, now| c.send_body(now, piece)) {
                    Ok(()) => {}
                    Err(UsageError::NotInBody) if chunking => {
                        refused = true;
                        break;
                    }
                    Err(e) => panic!("{e}"),
                }
            }
            if !refused {
                pair.call(|c, now| c.finish_body(now)).unwrap();
            }
            assert!(
                matches!(pair.last(), Event::TransactionFailed { reply, .. } if reply.code().get() == 552),
                "{:?}",
                pair.client_events
            );
            assert!(pair.delivered.is_empty());
            assert!(
                !pair
                    .server_events
                    .iter()
                    .any(|e| matches!(e, ServerEvent::DataEnd { .. }))
            );
            assert!(pair.server_events.iter().any(|e| matches!(
                e,
                ServerEvent::DataAborted {
                    reason: AbortReason::TooBig | AbortReason::ChunkRefused
                }
            )));
            pair.call(|c, now| c.noop(now)).unwrap();
            assert!(matches!(pair.last(), Event::Reply { reply, .. } if reply.code().get() == 250));
            pair.assert_clean();
        }
    }
}

#[test]
fn smtputf8_addresses_arrive_as_utf8_rfc6531() {
    for seed in modes() {
        let mut pair = plain_pair(server_config(), seed);
        let envelope = Envelope::new(from("j\u{f6}rg@b\u{fc}cher.example"))
            .to(to("\u{e9}l\u{e8}ve@mx.example"));
        let message = "Subject: \u{e9}\r\n\r\n".as_bytes();
        let mut info = BodyInfo::from_content(message);
        info.utf8_headers = true;
        pair.call(|c, now| c.send_mail(now, envelope, info))
            .unwrap();
        pair.body(&[message]);
        assert!(
            matches!(pair.last(), Event::MessageAccepted { .. }),
            "{:?}",
            pair.client_events
        );
        let d = &pair.delivered[0];
        assert!(d.params.smtputf8);
        assert_eq!(d.from, from("j\u{f6}rg@b\u{fc}cher.example"));
        assert_eq!(d.to(), vec!["\u{e9}l\u{e8}ve@mx.example"]);
        assert_eq!(d.body, message);
        pair.assert_clean();
    }
}

#[test]
fn utf8_domain_goes_as_a_labels_to_a_server_without_smtputf8_rfc6531_3_2() {
    for seed in modes() {
        let mut server = server_config();
        server.extensions.smtputf8 = false;
        let mut pair = plain_pair(server, seed);
        let envelope =
            Envelope::new(from("jorg@b\u{fc}cher.example")).to(to("info@m\u{fc}nchen.example"));
        pair.call(|c, now| c.send_mail(now, envelope, BodyInfo::from_content(b"x\r\n")))
            .unwrap();
        pair.body(&[b"x\r\n"]);
        assert!(
            matches!(pair.last(), Event::MessageAccepted { .. }),
            "{:?}",
            pair.client_events
        );
        let d = &pair.delivered[0];
        assert!(!d.params.smtputf8);
        assert_eq!(d.from, from("jorg@xn--bcher-kva.example"));
        assert_eq!(d.to(), vec!["info@xn--mnchen-3ya.example"]);
        assert!(pair.c2s.is_ascii());
        // A UTF-8 local part cannot go at all: refused before MAIL.
        let envelope = Envelope::new(from("j\u{f6}rg@example.com")).to(to("b@mx.example"));
        let result = pair.call(|c, now| c.send_mail(now, envelope, BodyInfo::default()));
        assert!(
            matches!(result, Err(UsageError::ExtensionRequired(_))),
            "{result:?}"
        );
        pair.assert_clean();
    }
}

#[test]
fn dsn_parameters_arrive_typed_rfc3461() {
    for seed in modes() {
        let mut server = server_config();
        server.extensions.dsn = true;
        let mut pair = plain_pair(server, seed);
        let mut envelope = Envelope::new(from("a@client.example"));
        envelope.params.ret = Some(Ret::Hdrs);
        envelope.params.envid = Some("QQ314159".to_owned());
        let mut rcpt = RcptParameters::new();
        rcpt.notify = Some(Notify::On {
            success: true,
            failure: true,
            delay: false,
        });
        rcpt.orcpt = Some(OriginalRecipient::new("rfc822", "b@mx.example").unwrap());
        let envelope = envelope
            .to_with(to("b@mx.example"), rcpt.clone())
            .to(to("c@mx.example"));
        pair.call(|c, now| c.send_mail(now, envelope, BodyInfo::default()))
            .unwrap();
        pair.body(&[b"x\r\n"]);
        assert!(
            matches!(pair.last(), Event::MessageAccepted { .. }),
            "{:?}",
            pair.client_events
        );
        let d = &pair.delivered[0];
        assert_eq!(d.params.ret, Some(Ret::Hdrs));
        assert_eq!(d.params.envid.as_deref(), Some("QQ314159"));
        assert_eq!(d.rcpts[0].1, rcpt);
        assert_eq!(d.rcpts[1].1, RcptParameters::new());
        pair.assert_clean();
    }
}

#[test]
fn lmtp_per_recipient_replies_rfc2033_4_2() {
    for seed in modes() {
        let mut cfg = client_config(StartTlsPolicy::Disabled);
        cfg.lmtp = true;
        let mut server = ServerConfig::new(Domain::new("lmtp.example").unwrap());
        server.lmtp = true;
        let mut pair = Pair::new(cfg, server, seed).with_app(|e| match e {
            ServerEvent::Rcpt { to, .. } if path(to) == "nobody@lmtp.example" => Answer::Reject,
            ServerEvent::DataEnd { recipients, .. } => {
                assert_eq!(*recipients, 2);
                Answer::Lmtp(vec![
                    reply(250, "2.1.5 delivered"),
                    reply(452, "4.2.2 mailbox full"),
                ])
            }
            _ => Answer::Accept,
        });
        pair.greet();
        assert!(pair.c2s.starts_with(b"LHLO client.example\r\n"));
        let envelope = Envelope::new(from("a@client.example"))
            .to(to("x@lmtp.example"))
            .to(to("nobody@lmtp.example"))
            .to(to("y@lmtp.example"));
        pair.call(|c, now| c.send_mail(now, envelope, BodyInfo::from_content(b"hi\r\n")))
            .unwrap();
        pair.body(&[b"hi\r\n"]);
        let Event::LmtpDelivery { replies, .. } = pair.last() else {
            panic!("{:?}", pair.client_events)
        };
        let codes: Vec<(usize, u16)> = replies.iter().map(|(i, r)| (*i, r.code().get())).collect();
        assert_eq!(codes, vec![(0, 250), (2, 452)]);
        assert_eq!(
            pair.delivered[0].to(),
            vec!["x@lmtp.example", "y@lmtp.example"]
        );
        assert_eq!(pair.delivered[0].body, b"hi\r\n");
        pair.assert_clean();
    }
}

#[test]
fn rset_noop_vrfy_quit_rfc5321_4_1_1() {
    for seed in modes() {
        let mut pair = plain_pair(server_config(), seed);
        for (verb, code) in [("rset", 250), ("noop", 250), ("vrfy", 252)] {
            let id = pair
                .call(|c, now| match verb {
                    "rset" => c.rset(now),
                    "noop" => c.noop(now),
                    _ => c.vrfy(now, "postmaster"),
                })
                .unwrap();
            assert!(
                matches!(pair.last(), Event::Reply { id: i, reply } if *i == id && reply.code().get() == code),
                "{verb}: {:?}",
                pair.client_events
            );
        }
        assert!(
            pair.server_events
                .iter()
                .any(|e| matches!(e, ServerEvent::Rset { .. }))
        );
        assert!(
            pair.server_events
                .iter()
                .any(|e| matches!(e, ServerEvent::Noop { .. }))
        );
        pair.call(|c, now| c.quit(now)).unwrap();
        assert_eq!(pair.last(), &Event::Closed);
        assert!(
            pair.server_events
                .iter()
                .any(|e| matches!(e, ServerEvent::Quit { .. }))
        );
        assert!(pair.client.is_closed() && pair.server.is_closed());
        assert!(
            pair.s2c
                .ends_with(b"221 2.0.0 mx.example closing connection\r\n")
        );
        pair.assert_clean();
    }
}

#[test]
fn many_messages_over_one_connection_rfc5321_3_3() {
    for seed in [None, Some(3)] {
        let mut pair = plain_pair(server_config(), seed);
        for i in 0..40u32 {
            let message = format!("Subject: {i}\r\n\r\n.{i}\r\n");
            let envelope =
                Envelope::new(from("a@client.example")).to(to(&format!("r{i}@mx.example")));
            pair.call(|c, now| {
                c.send_mail(now, envelope, BodyInfo::from_content(message.as_bytes()))
            })
            .unwrap();
            pair.body(&[message.as_bytes()]);
            assert!(matches!(pair.last(), Event::MessageAccepted { .. }));
            if i % 10 == 9 {
                pair.call(|c, now| c.rset(now)).unwrap();
            }
        }
        assert_eq!(pair.delivered.len(), 40);
        for (i, d) in pair.delivered.iter().enumerate() {
            assert_eq!(d.to(), vec![format!("r{i}@mx.example")]);
            assert_eq!(d.body, format!("Subject: {i}\r\n\r\n.{i}\r\n").as_bytes());
        }
        pair.assert_clean();
    }
}

#[test]
fn client_times_out_when_the_server_application_stalls_rfc5321_4_5_3_2() {
    for seed in modes() {
        let mut pair = plain_pair(server_config(), seed).with_app(|e| match e {
            ServerEvent::Mail { .. } => Answer::Later,
            _ => Answer::Accept,
        });
        let envelope = Envelope::new(from("a@client.example")).to(to("b@mx.example"));
        pair.call(|c, now| c.send_mail(now, envelope, BodyInfo::default()))
            .unwrap();
        // The server waits for its application: no idle timer runs.
        assert_eq!(pair.server.poll_timeout(), None);
        pair.advance(Duration::from_secs(299));
        assert_eq!(pair.client_error, None);
        pair.advance(Duration::from_secs(2));
        assert_eq!(pair.client_error, Some(ClientError::Timeout(Step::Mail)));
        assert!(pair.client.is_closed());
    }
}

#[test]
fn server_idle_timeout_421_reaches_the_client_rfc5321_4_5_3_2_7() {
    for seed in modes() {
        let mut pair = plain_pair(server_config(), seed);
        pair.advance(Duration::from_secs(299));
        assert_eq!(pair.server_error, None);
        pair.advance(Duration::from_secs(2));
        assert_eq!(
            pair.server_error,
            Some(postwire_smtp_proto::server::Error::IdleTimeout)
        );
        assert!(
            pair.s2c
                .ends_with(b"421 4.4.2 mx.example Error: timeout exceeded\r\n")
        );
        assert!(
            matches!(&pair.client_error, Some(ClientError::ServerClosing(r)) if r.code().get() == 421),
            "{:?}",
            pair.client_error
        );
    }
}

#[test]
fn implicit_tls_wrong_password_then_noop() {
    for seed in modes() {
        let mut cfg = client_config(StartTlsPolicy::Required);
        cfg.implicit_tls = true;
        let mut pair = Pair::new(cfg, server_config(), seed).with_app(app(&[]));
        // Implicit TLS: the server learns of the handshake before it speaks.
        let info = TlsInfo::new(TlsVersion::Tls13);
        pair.server.handle_tls_established(pair.now, info).unwrap();
        pair.pump();
        pair.greet();
        pair.call(|c, now| c.auth_with(now, &Credentials::password("tim", "wrong")))
            .unwrap();
        // Held back for the server's failure delay (SECURITY.md A7).
        pair.advance(Duration::from_secs(2));
        assert!(
            matches!(pair.last(), Event::AuthFailed { reply, .. } if reply.code().get() == 535)
        );
        pair.call(|c, now| c.noop(now)).unwrap();
        assert!(matches!(pair.last(), Event::Reply { reply, .. } if reply.code().get() == 250));
        pair.assert_clean();
    }
}

#[test]
fn null_reverse_path_and_postmaster_rfc5321_4_5_5() {
    for seed in modes() {
        let mut pair = plain_pair(server_config(), seed);
        let envelope = Envelope::new(ReversePath::Null).to(ForwardPath::Postmaster);
        pair.call(|c, now| c.send_mail(now, envelope, BodyInfo::default()))
            .unwrap();
        pair.body(&[b"bounce\r\n"]);
        assert!(
            matches!(pair.last(), Event::MessageAccepted { .. }),
            "{:?}",
            pair.client_events
        );
        assert_eq!(pair.delivered[0].from, ReversePath::Null);
        assert_eq!(pair.delivered[0].rcpts[0].0, ForwardPath::Postmaster);
        let _ = mailbox("x@y.example");
        pair.assert_clean();
    }
}

#[test]
fn server_data_timeout_aborts_the_message_and_the_client_sees_421_rfc5321_4_5_3_2() {
    for seed in modes() {
        let mut server = server_config();
        server.extensions.chunking = false;
        let mut pair = plain_pair(server, seed);
        let envelope = Envelope::new(from("a@client.example")).to(to("b@mx.example"));
        pair.call(|c, now| c.send_mail(now, envelope, BodyInfo::default()))
            .unwrap();
        pair.call(|c, now| c.send_body(now, b"half a line"))
            .unwrap();
        // While the client streams, it awaits no reply: only the server's
        // data timer runs.
        assert_eq!(pair.client.poll_timeout(), None);
        pair.advance(Duration::from_secs(301));
        assert_eq!(
            pair.server_error,
            Some(postwire_smtp_proto::server::Error::IdleTimeout)
        );
        assert!(
            pair.server_events
                .iter()
                .any(|e| matches!(e, ServerEvent::DataAborted { .. }))
        );
        assert!(pair.delivered.is_empty());
        assert!(
            matches!(&pair.client_error, Some(ClientError::ServerClosing(r)) if r.code().get() == 421),
            "{:?}",
            pair.client_error
        );
    }
}

#[test]
fn client_times_out_waiting_for_the_end_of_data_reply_rfc5321_4_5_3_2_6() {
    for chunking in [false, true] {
        for seed in modes() {
            let mut server = server_config();
            server.extensions.chunking = chunking;
            let mut pair = plain_pair(server, seed).with_app(|e| match e {
                ServerEvent::DataEnd { .. } => Answer::Later,
                _ => Answer::Accept,
            });
            let envelope = Envelope::new(from("a@client.example")).to(to("b@mx.example"));
            pair.call(|c, now| c.send_mail(now, envelope, BodyInfo::default()))
                .unwrap();
            pair.body(&[b"x\r\n"]);
            // The end of data gets ten minutes, not five.
            pair.advance(Duration::from_secs(599));
            assert_eq!(pair.client_error, None);
            pair.advance(Duration::from_secs(2));
            assert_eq!(
                pair.client_error,
                Some(ClientError::Timeout(Step::DataTermination))
            );
        }
    }
}

#[test]
fn late_answer_from_the_application_still_reaches_the_client() {
    for seed in modes() {
        let mut pair = plain_pair(server_config(), seed).with_app(|e| match e {
            ServerEvent::Rcpt { .. } => Answer::Later,
            _ => Answer::Accept,
        });
        let envelope = Envelope::new(from("a@client.example")).to(to("b@mx.example"));
        pair.call(|c, now| c.send_mail(now, envelope, BodyInfo::default()))
            .unwrap();
        pair.advance(Duration::from_secs(60));
        pair.answer_pending(Answer::Reply(reply(250, "2.1.5 fine after all")));
        assert!(
            matches!(pair.last(), Event::ReadyForBody { .. }),
            "{:?}",
            pair.client_events
        );
        pair.body(&[b"x\r\n"]);
        assert_eq!(pair.delivered[0].to(), vec!["b@mx.example"]);
        pair.assert_clean();
    }
}

#[test]
fn opportunistic_starttls_refused_goes_on_in_plaintext_without_auth_rfc3207_4() {
    for seed in modes() {
        let mut pair = Pair::new(
            client_config(StartTlsPolicy::Opportunistic),
            server_config(),
            seed,
        )
        .with_app(|e| match e {
            ServerEvent::StartTls { .. } => Answer::Reject,
            _ => Answer::Accept,
        });
        pair.greet();
        pair.call(|c, now| c.starttls(now)).unwrap();
        assert!(
            matches!(pair.last(), Event::Rejected { reply, .. } if reply.code().get() == 454),
            "{:?}",
            pair.client_events
        );
        assert!(!pair.client.is_tls() && !pair.server.is_tls());
        let creds = Credentials::password("tim", PASSWORD);
        assert_eq!(
            pair.call(|c, now| c.auth_with(now, &creds)),
            Err(UsageError::PlaintextAuth)
        );
        let envelope = Envelope::new(from("a@client.example")).to(to("b@mx.example"));
        pair.call(|c, now| c.send_mail(now, envelope, BodyInfo::default()))
            .unwrap();
        pair.body(&[b"x\r\n"]);
        assert!(matches!(pair.last(), Event::MessageAccepted { .. }));
        pair.assert_clean();
    }
}

#[test]
fn without_enhanced_status_codes_and_pipelining_rfc2034() {
    for seed in modes() {
        let mut server = server_config();
        server.extensions.enhanced_status_codes = false;
        server.extensions.pipelining = false;
        let mut pair = plain_pair(server, seed).with_app(app(&["x@mx.example"]));
        let envelope = Envelope::new(from("a@client.example"))
            .to(to("x@mx.example"))
            .to(to("y@mx.example"));
        pair.call(|c, now| c.send_mail(now, envelope, BodyInfo::default()))
            .unwrap();
        pair.body(&[b"x\r\n"]);
        let Event::MessageAccepted { reply, .. } = pair.last() else {
            panic!("{:?}", pair.client_events)
        };
        assert_eq!(reply.enhanced(), None);
        assert!(!pair.s2c.windows(6).any(|w| w == b" 2.1.5"));
        assert_eq!(pair.delivered[0].to(), vec!["y@mx.example"]);
        pair.assert_clean();
    }
}

#[test]
fn one_hundred_fifty_recipients_over_two_transactions_rfc5321_4_5_3_1_8() {
    for seed in [None, Some(7)] {
        let mut pair = plain_pair(server_config(), seed);
        let all: Vec<String> = (0..150).map(|i| format!("r{i}@mx.example")).collect();
        let mut remaining = all.clone();
        while !remaining.is_empty() {
            let mut envelope = Envelope::new(from("a@client.example"));
            for r in &remaining {
                envelope = envelope.to(to(r));
            }
            pair.call(|c, now| c.send_mail(now, envelope, BodyInfo::default()))
                .unwrap();
            let result = envelope_result(&pair);
            pair.body(&[b"x\r\n"]);
            remaining = result
                .deferred
                .iter()
                .map(|(i, _)| remaining[*i].clone())
                .collect();
        }
        let counts: Vec<usize> = pair.delivered.iter().map(|d| d.rcpts.len()).collect();
        assert_eq!(counts, vec![100, 50]);
        let delivered: Vec<String> = pair.delivered.iter().flat_map(|d| d.to()).collect();
        assert_eq!(delivered, all);
        pair.assert_clean();
    }
}
