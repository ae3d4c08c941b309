//! Server session: greeting, EHLO, sequence, pipelining, limits, timeouts.

mod server_support;

use std::time::Duration;

use postwire_core::Protocol;
use postwire_smtp_proto::server::{
    BadCommand, BareLineEndings, Error, Event, HeloKind, Mechanism, Server, UsageError,
};
use server_support::*;

const ENVELOPE: &[u8] = b"EHLO client.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\n";

#[test]
fn greeting_names_host_and_protocol_rfc5321_4_2() {
    let t = run(&config(), b"");
    assert_eq!(
        t.wire,
        vec![Out::Data("220 mx.example.org ESMTP ready\r\n".into())]
    );

    let mut c = config();
    c.lmtp = true;
    c.banner = "hello\r\n250 injected".into();
    let t = run(&c, b"");
    assert_eq!(t.text(), "220 mx.example.org LMTP hello  250 injected\r\n");
}

#[test]
fn ehlo_advertises_the_configured_extensions_rfc5321_4_1_1_1() {
    let t = run_all_splits(&config(), &accept_all, b"EHLO client.example\r\n", false);
    assert_eq!(
        t.replies(),
        [
            "250-mx.example.org",
            "250-PIPELINING",
            "250-SIZE 10485760",
            "250-8BITMIME",
            "250-CHUNKING",
            "250-SMTPUTF8",
            "250 ENHANCEDSTATUSCODES"
        ]
    );
    assert!(
        matches!(&t.events[0], Event::Helo { kind: HeloKind::Ehlo, client, .. } if format!("{client:?}").contains("client.example"))
    );

    let mut c = config();
    c.extensions.pipelining = false;
    c.extensions.chunking = false;
    c.extensions.smtputf8 = false;
    c.extensions.eight_bit_mime = false;
    c.extensions.enhanced_status_codes = false;
    c.extensions.dsn = true;
    c.extensions.starttls = true;
    c.extensions.auth = vec![Mechanism::Plain, Mechanism::Login];
    c.limits.max_message_size = 1000;
    let t = run(&c, b"EHLO x.example\r\n");
    // AUTH is not offered before TLS (SECURITY.md S06).
    assert_eq!(
        t.replies(),
        [
            "250-mx.example.org",
            "250-SIZE 1000",
            "250-DSN",
            "250 STARTTLS"
        ]
    );

    c.allow_plaintext_auth = true;
    let t = run(&c, b"EHLO x.example\r\n");
    assert_eq!(t.replies().last().unwrap(), "250 AUTH PLAIN LOGIN");
}

#[test]
fn helo_gets_the_host_name_only() {
    let t = run(&config(), b"HELO client.example\r\n");
    assert_eq!(t.replies(), ["250 mx.example.org"]);
}

#[test]
fn full_transaction_rfc5321_3_3() {
    let input = b"EHLO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nSubject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n";
    let t = run_all_splits(&config(), &accept_all, input, false);
    assert_eq!(t.body(), b"Subject: hi\r\n\r\nbody\r\n");
    let replies = t.replies();
    assert_eq!(
        &replies[replies.len() - 5..],
        [
            "250 2.1.0 Sender OK",
            "250 2.1.5 Recipient OK",
            "354 End data with <CR><LF>.<CR><LF>",
            "250 2.0.0 Message accepted",
            "221 2.0.0 mx.example.org closing connection"
        ]
    );
    assert_eq!(t.wire.last(), Some(&Out::Close));
    assert!(t.closed);
    assert!(matches!(t.events.last(), Some(Event::Quit { .. })));
    assert!(matches!(
        t.events.iter().find(|e| matches!(e, Event::DataEnd { .. })),
        Some(Event::DataEnd { recipients: 1, .. })
    ));
}

#[test]
fn pipelined_envelope_replies_in_one_transmit_rfc2920_3_1() {
    let mut h = Harness::new(config(), &accept_all);
    h.feed(b"EHLO c.example\r\n");
    let before = h.trace.wire.len();
    // Collect transmits individually (the harness merges them).
    h.server
        .handle_input(h.t0, b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\nDATA\r\n")
        .unwrap();
    let mut transmits = Vec::new();
    loop {
        let mut progressed = false;
        while let Some(e) = h.server.poll_event() {
            progressed = true;
            let id = match e {
                Event::Mail { id, .. } | Event::Rcpt { id, .. } | Event::DataStart { id } => id,
                other => panic!("{other:?}"),
            };
            h.server.accept(id).unwrap();
        }
        while let Some(t) = h.server.poll_transmit() {
            progressed = true;
            transmits.push(t);
        }
        if !progressed {
            break;
        }
    }
    assert_eq!(before, 1);
    assert_eq!(transmits.len(), 1, "{transmits:?}");
    let postwire_core::Transmit::Data(bytes) = &transmits[0] else {
        panic!()
    };
    assert_eq!(
        &bytes[..],
        b"250 2.1.0 Sender OK\r\n250 2.1.5 Recipient OK\r\n250 2.1.5 Recipient OK\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
    );
}

#[test]
fn pipelined_commands_wait_unparsed_for_the_answer_rfc2920() {
    let mut h = Harness::new(config(), &|_| Action::Nothing);
    h.feed(ENVELOPE);
    // Only EHLO was parsed: the rest waits for its answer.
    assert_eq!(h.trace.events.len(), 1);
    assert_eq!(h.server.awaiting(), h.trace.events[0].id());
    let Event::Helo { id, .. } = h.trace.events[0].clone() else {
        panic!()
    };
    h.server.accept(id).unwrap();
    h.drain();
    assert_eq!(h.trace.events.len(), 2);
    assert!(matches!(h.trace.events[1], Event::Mail { .. }));
}

#[test]
fn sequence_errors_are_answered_by_the_machine_rfc5321_4_1_4() {
    let t = run_all_splits(
        &config(),
        &accept_all,
        b"MAIL FROM:<a@example.org>\r\nEHLO c.example\r\nRCPT TO:<b@example.org>\r\nDATA\r\nMAIL FROM:<a@example.org>\r\nDATA\r\nMAIL FROM:<a@example.org>\r\n",
        false,
    );
    let r = t.replies();
    assert_eq!(r[0], "503 5.5.1 Send HELO/EHLO first");
    assert_eq!(
        &r[r.len() - 5..],
        [
            "503 5.5.1 Need MAIL command",
            "503 5.5.1 Need MAIL command",
            "250 2.1.0 Sender OK",
            "554 5.5.1 No valid recipients",
            "503 5.5.1 Nested MAIL command",
        ]
    );
    assert_eq!(
        t.count(|e| matches!(
            e,
            Event::BadCommand {
                error: BadCommand::BadSequence(_)
            }
        )),
        4
    );
    assert_eq!(
        t.count(|e| matches!(
            e,
            Event::BadCommand {
                error: BadCommand::NoValidRecipients
            }
        )),
        1
    );
}

#[test]
fn rejected_recipients_leave_data_without_recipients_rfc5321_3_3() {
    let policy = |e: &Event| match e {
        Event::Rcpt { .. } => Action::Reject,
        _ => Action::Accept,
    };
    let t = run_split(
        &config(),
        &policy,
        b"EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n",
        &[],
        false,
    );
    let r = t.replies();
    assert_eq!(
        &r[r.len() - 3..],
        [
            "250 2.1.0 Sender OK",
            "550 5.1.1 Recipient rejected",
            "554 5.5.1 No valid recipients"
        ]
    );
    assert_eq!(t.count(|e| matches!(e, Event::DataStart { .. })), 0);
}

#[test]
fn rset_and_ehlo_reset_the_transaction_rfc5321_4_1_1_5() {
    let t = run(&config(), b"EHLO c\r\nMAIL FROM:<a@example.org>\r\nRSET\r\nRCPT TO:<b@example.org>\r\nMAIL FROM:<a@example.org>\r\nEHLO c\r\nRCPT TO:<b@example.org>\r\n");
    let r: Vec<String> = t
        .replies()
        .into_iter()
        .filter(|l| !l.starts_with("250-"))
        .collect();
    assert_eq!(
        r,
        [
            "250 ENHANCEDSTATUSCODES",
            "250 2.1.0 Sender OK",
            "250 2.0.0 OK",
            "503 5.5.1 Need MAIL command",
            "250 2.1.0 Sender OK",
            "250 ENHANCEDSTATUSCODES",
            "503 5.5.1 Need MAIL command"
        ]
    );
}

#[test]
fn vrfy_expn_help_noop_defaults_rfc5321_4_1_1() {
    let t = run(&config(), b"VRFY bob\r\nEXPN staff\r\nHELP\r\nNOOP\r\n");
    let r = t.replies();
    assert_eq!(
        r[0],
        "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery"
    );
    assert_eq!(r[1], "502 5.5.1 EXPN not supported");
    assert!(r[2].starts_with("214 2.0.0 "));
    assert_eq!(r[3], "250 2.0.0 OK");
    let t = run_split(&config(), &|_| Action::Reject, b"VRFY bob\r\n", &[], false);
    assert_eq!(t.replies(), ["550 5.1.1 Mailbox unavailable"]);
}

#[test]
fn quit_closes_and_later_input_is_ignored_rfc5321_4_1_1_10() {
    let mut h = Harness::new(config(), &accept_all);
    h.feed(b"QUIT\r\nNOOP\r\n");
    h.feed(b"NOOP\r\n");
    let t = h.finish();
    assert_eq!(t.replies(), ["221 2.0.0 mx.example.org closing connection"]);
    assert_eq!(t.wire.last(), Some(&Out::Close));
    assert_eq!(t.count(|e| matches!(e, Event::Noop { .. })), 0);
    assert_eq!(t.error, None);
}

#[test]
fn usage_errors_leave_the_session_usable() {
    let mut h = Harness::new(config(), &|_| Action::Nothing);
    h.feed(b"NOOP\r\n");
    let Event::Noop { id } = h.trace.events[0].clone() else {
        panic!()
    };
    // 3xx fits only DATA.
    assert_eq!(
        h.server.reply(id, reply(354, "go")),
        Err(UsageError::ReplyCode(354))
    );
    assert_eq!(
        h.server.reply_lmtp(id, vec![]),
        Err(UsageError::NotLmtpData)
    );
    h.server.accept(id).unwrap();
    assert_eq!(h.server.accept(id), Err(UsageError::NotAwaiting(id)));
    h.drain();
    assert_eq!(h.trace.replies(), ["250 2.0.0 OK"]);
    h.feed(b"NOOP\r\n");
    assert_eq!(h.trace.events.len(), 2);
}

#[test]
fn custom_replies_go_out_verbatim() {
    let policy = |e: &Event| match e {
        Event::Rcpt { .. } => Action::Reply(reply(451, "try later")),
        _ => Action::Accept,
    };
    let t = run_split(
        &config(),
        &policy,
        b"EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<b@example.org>\r\n",
        &[],
        false,
    );
    assert_eq!(t.replies().last().unwrap(), "451 try later");
}

#[test]
fn enhanced_codes_are_omitted_when_disabled_rfc2034() {
    let mut c = config();
    c.extensions.enhanced_status_codes = false;
    let t = run(&c, b"MAIL FROM:<a@example.org>\r\nNOOP\r\n");
    assert_eq!(t.replies(), ["503 Send HELO/EHLO first", "250 OK"]);
    let with_esc = Reply::new(
        postwire_smtp_proto::ReplyCode::new(250).unwrap(),
        Some(postwire_smtp_proto::EnhancedStatusCode::new(2, 0, 0)),
        ["fine"],
    )
    .unwrap();
    let policy = move |_: &Event| Action::Reply(with_esc.clone());
    let t = run_split(&c, &policy, b"NOOP\r\n", &[], false);
    assert_eq!(t.replies(), ["250 fine"]);
}

use postwire_smtp_proto::Reply;

#[test]
fn overlong_command_line_is_refused_and_the_session_continues_rfc5321_4_5_3_1_4() {
    let mut line = b"NOOP ".to_vec();
    line.resize(511, b'x'); // 511 + CRLF = 513 octets
    line.extend_from_slice(b"\r\nNOOP\r\n");
    let t = run_all_splits(&config(), &accept_all, &line, false);
    assert_eq!(t.replies(), ["500 5.5.2 Line too long", "250 2.0.0 OK"]);
    assert_eq!(
        t.count(|e| matches!(
            e,
            Event::BadCommand {
                error: BadCommand::LineTooLong
            }
        )),
        1
    );

    // Exactly 512 octets is fine.
    let mut line = b"NOOP ".to_vec();
    line.resize(510, b'x');
    line.extend_from_slice(b"\r\n");
    assert_eq!(run(&config(), &line).replies(), ["250 2.0.0 OK"]);

    // An endless line is bounded and answered once.
    let mut h = Harness::new(config(), &accept_all);
    for _ in 0..1000 {
        h.feed(&[b'x'; 100]);
    }
    h.feed(b"\r\nNOOP\r\n");
    let t = h.finish();
    assert_eq!(t.replies(), ["500 5.5.2 Line too long", "250 2.0.0 OK"]);
}

#[test]
fn nul_and_invalid_utf8_in_commands_are_refused_p5() {
    let t = run_all_splits(
        &config(),
        &accept_all,
        b"EHLO c\r\nMAIL FROM:<a\x00b@example.org>\r\nMAIL FROM:<\xff\xfe@example.org>\r\n\x00\r\nNO\x00OP\r\n\xc3\x28\r\n",
        false,
    );
    let r = t.replies();
    assert_eq!(r.len(), 7 + 5, "{r:?}");
    for reply in &r[7..] {
        assert!(
            reply.starts_with("500 ") || reply.starts_with("501 "),
            "{reply}"
        );
    }
    assert!(!t.closed);
}

#[test]
fn bare_lf_in_command_lines_is_refused_by_default_sm_s4() {
    let t = run_all_splits(&config(), &accept_all, b"NOOP\nNOOP\r\nNO\rOP\r\n", false);
    assert_eq!(
        t.replies(),
        [
            "500 5.5.2 Bare CR or LF not allowed",
            "250 2.0.0 OK",
            "500 5.5.2 Bare CR or LF not allowed"
        ]
    );
    assert_eq!(
        t.count(|e| matches!(
            e,
            Event::BadCommand {
                error: BadCommand::BareLineEnding(_)
            }
        )),
        2
    );

    let mut c = config();
    c.quirks.bare_line_endings = BareLineEndings::Normalize;
    let t = run_all_splits(&c, &accept_all, b"NOOP\nNO\rOP\r\n", false);
    assert_eq!(
        t.replies(),
        ["250 2.0.0 OK", "500 5.5.2 Bare CR or LF not allowed"]
    );
}

#[test]
fn too_many_bad_commands_close_with_421() {
    let input = b"BOGUS\r\n".repeat(25);
    let t = run_all_splits(&config(), &accept_all, &input, false);
    let r = t.replies();
    assert_eq!(r.len(), 21);
    assert!(
        r[..20]
            .iter()
            .all(|l| l == "500 5.5.1 Command unrecognized")
    );
    assert_eq!(r[20], "421 4.7.0 mx.example.org Error: too many errors");
    assert_eq!(t.wire.last(), Some(&Out::Close));
    assert_eq!(t.error, Some(Error::TooManyBadCommands));
    assert_eq!(t.count(|e| matches!(e, Event::BadCommand { .. })), 20);
}

#[test]
fn idle_timeout_answers_421_rfc5321_4_5_3_2() {
    let mut c = config();
    c.timeouts.command = Duration::from_secs(60);
    let mut h = Harness::new(c, &accept_all);
    let t0 = h.t0;
    assert_eq!(h.server.poll_timeout(), Some(t0 + Duration::from_secs(60)));
    h.server
        .handle_input(t0 + Duration::from_secs(30), b"NOOP\r\n")
        .unwrap();
    h.drain();
    let deadline = t0 + Duration::from_secs(90);
    assert_eq!(h.server.poll_timeout(), Some(deadline));
    h.server
        .handle_timeout(deadline - Duration::from_millis(1))
        .unwrap();
    assert_eq!(h.server.handle_timeout(deadline), Err(Error::IdleTimeout));
    h.drain();
    assert_eq!(
        h.trace.replies().last().unwrap(),
        "421 4.4.2 mx.example.org Error: timeout exceeded"
    );
    assert_eq!(h.trace.wire.last(), Some(&Out::Close));
    assert!(h.server.is_closed());
    assert_eq!(h.server.poll_timeout(), None);
}

#[test]
fn no_timeout_while_the_application_decides() {
    let mut h = Harness::new(config(), &|_| Action::Nothing);
    h.feed(b"NOOP\r\n");
    assert_eq!(h.server.poll_timeout(), None);
}

#[test]
fn eof_mid_transaction_abandons_it() {
    let input = b"EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\npartial body\r\n";
    let t = run_all_splits(&config(), &accept_all, input, true);
    assert_eq!(t.data_ends(), 0);
    assert_eq!(
        &t.events[t.events.len() - 2..],
        [
            Event::DataAborted {
                reason: postwire_smtp_proto::server::AbortReason::Disconnected
            },
            Event::Disconnected { during_data: true }
        ]
    );
    assert!(t.closed);
    assert_eq!(t.error, None);

    // Input received before the end is still handled.
    let t = run_split(&config(), &accept_all, b"NOOP\r\nNOOP\r\n", &[], true);
    assert_eq!(t.replies(), ["250 2.0.0 OK", "250 2.0.0 OK"]);
    assert_eq!(
        t.events.last(),
        Some(&Event::Disconnected { during_data: false })
    );
}

#[test]
fn unanswered_pipelined_input_is_bounded() {
    let mut h = Harness::new(config(), &|_| Action::Nothing);
    h.feed(b"NOOP\r\n");
    for _ in 0..700 {
        h.feed(&b"NOOP\r\n".repeat(16));
    }
    assert_eq!(h.trace.error, Some(Error::PipelineOverflow));
    assert!(h.server.is_closed());
}

#[test]
fn lhlo_only_in_lmtp_mode_rfc2033_4_1() {
    let mut c = config();
    c.lmtp = true;
    let t = run(&c, b"EHLO c\r\nHELO c\r\nMAIL FROM:<>\r\nLHLO c\r\n");
    let r = t.replies();
    assert_eq!(
        &r[..3],
        [
            "500 5.5.1 Command unrecognized",
            "500 5.5.1 Command unrecognized",
            "503 5.5.1 Send LHLO first"
        ]
    );
    assert_eq!(r[3], "250-mx.example.org");
    assert!(matches!(
        t.events.last(),
        Some(Event::Helo {
            kind: HeloKind::Lhlo,
            ..
        })
    ));
    let t = run(&config(), b"LHLO c\r\n");
    assert_eq!(t.replies(), ["500 5.5.1 Command unrecognized"]);
}

#[test]
fn server_is_send() {
    fn assert_send<T: Send + Sync>() {}
    assert_send::<Server>();
}

mod any_session {
    use super::*;
    use proptest::prelude::*;

    const PIECES: &[&[u8]] = &[
        b"EHLO c.example",
        b"HELO c.example",
        b"MAIL FROM:<a@example.org>",
        b"MAIL FROM:<> SIZE=10",
        b"RCPT TO:<b@example.org>",
        b"DATA",
        b"body",
        b".",
        b"..x",
        b"RSET",
        b"NOOP",
        b"BDAT 3",
        b"BDAT 0 LAST",
        b"BDAT 2 LAST",
        b"AUTH PLAIN",
        b"AUTH PLAIN AHUAcA==",
        b"AHUAcA==",
        b"*",
        b"STARTTLS",
        b"VRFY x",
        b"QUIT",
        b"\x00\xff",
        b"",
    ];
    const ENDINGS: &[&[u8]] = &[b"\r\n", b"\r\n", b"\r\n", b"\n", b"\r", b""];

    fn session() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec((0..PIECES.len(), 0..ENDINGS.len()), 0..14).prop_map(|parts| {
            parts
                .into_iter()
                .flat_map(|(p, e)| [PIECES[p], ENDINGS[e]].concat())
                .collect()
        })
    }

    fn reject_some(e: &Event) -> Action {
        match e {
            Event::Rcpt { .. } | Event::Auth { .. } | Event::DataStart { .. } => Action::Reject,
            _ => Action::Accept,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

        /// Any session gives the same events and bytes in any chunking, and
        /// never panics (DESIGN.md chunk-split invariance).
        #[test]
        fn any_session_is_split_invariant(input in session(), eof in any::<bool>(), normalize in any::<bool>()) {
            let mut c = config();
            c.extensions.auth = vec![Mechanism::Plain];
            c.allow_plaintext_auth = true;
            c.limits.max_bad_commands = 5;
            if normalize {
                c.quirks.bare_line_endings = BareLineEndings::Normalize;
            }
            let t = run_all_splits(&c, &accept_all, &input, eof);
            prop_assert!(t.data_ends() <= input.windows(4).filter(|w| w == b"DATA" || w == b"LAST").count());
            run_all_splits(&c, &reject_some, &input, eof);
        }
    }
}
