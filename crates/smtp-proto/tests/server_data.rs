//! Server message content: DATA, BDAT, size limits, smuggling, LMTP.

mod server_support;

use postwire_core::Protocol;
use postwire_smtp_proto::server::{
    AbortReason, BadCommand, BareLineEndings, Error, Event, UsageError,
};
use server_support::*;

const ENVELOPE: &[u8] =
    b"EHLO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n";

fn with_envelope(rest: &[u8]) -> Vec<u8> {
    let mut v = ENVELOPE.to_vec();
    v.extend_from_slice(rest);
    v
}

#[test]
fn data_is_unstuffed_in_any_chunking_rfc5321_4_5_2() {
    let input = with_envelope(b"DATA\r\n..leading dot\r\n\r\n...\r\nend\r\n.\r\nNOOP\r\n");
    let t = run_all_splits(&config(), &accept_all, &input, false);
    assert_eq!(t.body(), b".leading dot\r\n\r\n..\r\nend\r\n");
    assert_eq!(t.data_ends(), 1);
    assert_eq!(t.replies().last().unwrap(), "250 2.0.0 OK");
}

#[test]
fn empty_body_rfc5321_4_5_2() {
    let t = run_all_splits(
        &config(),
        &accept_all,
        &with_envelope(b"DATA\r\n.\r\n"),
        false,
    );
    assert_eq!(t.body(), b"");
    assert_eq!(t.data_ends(), 1);
}

const SMUGGLING: [&[u8]; 8] = [
    b"\n.\n",
    b"\r.\r",
    b"\n.\r\n",
    b"\r.\r\n",
    b"\r\n.\n",
    b"\r\n.\r\r\n",
    b"\r\r\n.\r\r\n",
    b"\r\n\x00.\r\n",
];

fn smuggling_input(vector: &[u8]) -> Vec<u8> {
    let mut input = with_envelope(b"DATA\r\nlegit");
    input.extend_from_slice(vector);
    input.extend_from_slice(b"MAIL FROM:<evil@example.org>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\nsmuggled\r\n.\r\n");
    input
}

#[test]
fn smuggled_terminators_never_end_data_sm_s1() {
    for (i, vector) in SMUGGLING.iter().enumerate() {
        let t = run_all_splits(&config(), &accept_all, &smuggling_input(vector), false);
        assert!(t.data_ends() <= 1, "vector {i}");
        assert_eq!(
            t.count(|e| matches!(e, Event::Mail { .. })),
            1,
            "vector {i}"
        );
        if i < 7 {
            // Bare CR or LF: refused and closed (SM-S2, reject policy).
            assert_eq!(t.data_ends(), 0, "vector {i}");
            assert_eq!(t.error, Some(Error::BareLineEnding), "vector {i}");
            assert_eq!(
                t.replies().last().unwrap(),
                "550 5.5.2 Bare CR or LF not allowed in message data"
            );
            assert_eq!(t.wire.last(), Some(&Out::Close));
            assert!(matches!(
                t.events.last(),
                Some(Event::DataAborted {
                    reason: AbortReason::BareLineEnding(_)
                })
            ));
        } else {
            // NUL before the dot: content, one message holding the rest.
            assert_eq!(t.data_ends(), 1);
            assert!(t.body().ends_with(b"\r\n\x00.\r\nMAIL FROM:<evil@example.org>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\nsmuggled\r\n"));
        }
    }
}

#[test]
fn normalize_quirk_turns_bare_endings_into_crlf_but_never_ends_data_sm_s2() {
    let mut c = config();
    c.quirks.bare_line_endings = BareLineEndings::Normalize;
    for (i, vector) in SMUGGLING.iter().enumerate() {
        let t = run_all_splits(&c, &accept_all, &smuggling_input(vector), false);
        assert_eq!(t.data_ends(), 1, "vector {i}");
        assert_eq!(
            t.count(|e| matches!(e, Event::Mail { .. })),
            1,
            "vector {i}"
        );
        assert_eq!(t.error, None);
        let body = t.body();
        assert!(body.ends_with(b"smuggled\r\n"), "vector {i}");
        assert!(
            !body.windows(2).any(|w| w[1] == b'\n' && w[0] != b'\r'),
            "vector {i}: bare LF left"
        );
    }
}

#[test]
fn data_refused_then_early_body_is_read_as_commands_sm_s6() {
    let policy = |e: &Event| match e {
        Event::DataStart { .. } => Action::Reject,
        _ => Action::Accept,
    };
    let input = with_envelope(b"DATA\r\nNOOP\r\n.\r\n");
    let t = run_all_splits(&config(), &policy, &input, false);
    let r = t.replies();
    assert_eq!(
        &r[r.len() - 3..],
        [
            "554 5.7.1 Transaction refused",
            "250 2.0.0 OK",
            "500 5.5.1 Command unrecognized"
        ]
    );
    assert_eq!(t.count(|e| matches!(e, Event::DataChunk(_))), 0);
    assert_eq!(t.count(|e| matches!(e, Event::Noop { .. })), 1);

    // Accepted: the same bytes are content.
    let t = run_all_splits(&config(), &accept_all, &input, false);
    assert_eq!(t.body(), b"NOOP\r\n");
}

#[test]
fn declared_size_above_limit_is_refused_rfc1870_6() {
    let mut c = config();
    c.limits.max_message_size = 100;
    let t = run(
        &c,
        b"EHLO c\r\nMAIL FROM:<a@example.org> SIZE=101\r\nMAIL FROM:<a@example.org> SIZE=100\r\n",
    );
    let r = t.replies();
    assert_eq!(
        &r[r.len() - 2..],
        [
            "552 5.3.4 Message size exceeds fixed maximum message size",
            "250 2.1.0 Sender OK"
        ]
    );
    assert_eq!(t.count(|e| matches!(e, Event::Mail { .. })), 1);
}

#[test]
fn body_over_the_limit_is_read_to_the_end_and_refused_rfc1870_6() {
    let mut c = config();
    c.limits.max_message_size = 100;
    let mut input = with_envelope(b"DATA\r\n");
    for _ in 0..10 {
        input.extend_from_slice(b"0123456789012345678\r\n");
    }
    input.extend_from_slice(b".\r\nNOOP\r\n");
    let t = run_all_splits(&c, &accept_all, &input, false);
    assert_eq!(t.data_ends(), 0);
    assert_eq!(
        t.count(|e| *e
            == Event::DataAborted {
                reason: AbortReason::TooBig
            }),
        1
    );
    let r = t.replies();
    assert_eq!(
        &r[r.len() - 2..],
        [
            "552 5.3.4 Message size exceeds fixed maximum message size",
            "250 2.0.0 OK"
        ]
    );
    // The transaction is over.
    let t = run(&c, &[&input[..], b"RCPT TO:<x@example.org>\r\n"].concat());
    assert_eq!(t.replies().last().unwrap(), "503 5.5.1 Need MAIL command");
}

#[test]
fn too_many_recipients_get_452_rfc5321_4_5_3_1_10() {
    let mut c = config();
    c.limits.max_recipients = 2;
    let input =
        with_envelope(b"RCPT TO:<c@example.org>\r\nRCPT TO:<d@example.org>\r\nDATA\r\nx\r\n.\r\n");
    let t = run_all_splits(&c, &accept_all, &input, false);
    assert!(
        t.replies()
            .contains(&"452 4.5.3 Too many recipients".to_owned())
    );
    assert_eq!(t.count(|e| matches!(e, Event::Rcpt { .. })), 2);
    assert!(t.events.contains(&Event::BadCommand {
        error: BadCommand::TooManyRecipients
    }));
    assert!(matches!(
        t.events.iter().find(|e| matches!(e, Event::DataEnd { .. })),
        Some(Event::DataEnd { recipients: 2, .. })
    ));
}

#[test]
fn strict_data_line_limit_rfc5321_4_5_3_1_6() {
    let mut c = config();
    c.limits.max_data_line = Some(12);
    let input = with_envelope(b"DATA\r\nshort line\r\nthis line is too long\r\n.\r\nNOOP\r\n");
    let t = run_all_splits(&c, &accept_all, &input, false);
    assert_eq!(t.data_ends(), 0);
    assert!(t.events.contains(&Event::DataAborted {
        reason: AbortReason::LineTooLong
    }));
    let r = t.replies();
    assert_eq!(
        &r[r.len() - 2..],
        ["500 5.5.2 Line too long in message data", "250 2.0.0 OK"]
    );
    // Exactly at the limit passes.
    let t = run(&c, &with_envelope(b"DATA\r\n1234567890\r\n.\r\n"));
    assert_eq!(t.data_ends(), 1);
}

#[test]
fn bdat_reads_exact_octet_counts_rfc3030_2() {
    let input = with_envelope(b"BDAT 5\r\nhelloBDAT 20 LAST\r\n\r\n.\r\nMAIL FROM:<x>\r\nNOOP\r\n");
    let t = run_all_splits(&config(), &accept_all, &input, false);
    assert_eq!(t.body(), b"hello\r\n.\r\nMAIL FROM:<x>\r\n");
    assert_eq!(t.data_ends(), 1);
    assert_eq!(t.count(|e| matches!(e, Event::Mail { .. })), 1);
    let r = t.replies();
    assert_eq!(
        &r[r.len() - 3..],
        [
            "250 2.0.0 5 octets received",
            "250 2.0.0 Message accepted",
            "250 2.0.0 OK"
        ]
    );
}

#[test]
fn bdat_zero_last_ends_the_message_rfc3030_2() {
    let input = with_envelope(b"BDAT 3\r\nabcBDAT 0 LAST\r\n");
    let t = run_all_splits(&config(), &accept_all, &input, false);
    assert_eq!(t.body(), b"abc");
    assert_eq!(t.data_ends(), 1);
    let t = run_all_splits(
        &config(),
        &accept_all,
        &with_envelope(b"BDAT 0 LAST\r\n"),
        false,
    );
    assert_eq!(t.body(), b"");
    assert_eq!(t.data_ends(), 1);
}

#[test]
fn bdat_over_the_size_limit_is_refused_before_reading_sm_s5() {
    // A chunk larger than the limit could only be skipped by reading all
    // of it: 552 5.3.4 before any of it is read, then 421 and close
    // (RFC 3030 §2, RFC 5321 §3.8).
    let mut c = config();
    c.limits.max_message_size = 10;
    let mut input = with_envelope(b"BDAT 12 LAST\r\n");
    input.extend_from_slice(b"NOOP\r\nNOOP\r\nBDAT 2\r\nxyNOOP\r\n");
    let t = run_all_splits(&c, &accept_all, &input, false);
    assert_eq!(t.count(|e| matches!(e, Event::DataChunk(_))), 0);
    assert_eq!(t.data_ends(), 0);
    assert_eq!(t.count(|e| matches!(e, Event::Noop { .. })), 0);
    let r = t.replies();
    assert_eq!(
        &r[r.len() - 2..],
        [
            "552 5.3.4 Message size exceeds fixed maximum message size",
            "421 4.7.0 mx.example.org Error: cannot skip the BDAT chunk, closing connection"
        ]
    );
    assert_eq!(t.wire.last(), Some(&Out::Close));
    assert_eq!(t.error, Some(Error::ChunkTooBig));

    // A huge declared size: nothing is allocated or read.
    let mut h = Harness::new(c.clone(), &accept_all);
    h.feed(&with_envelope(b"BDAT 18446744073709551615 LAST\r\n"));
    for _ in 0..64 {
        let _ = h.server.handle_input(h.t0, &[b'z'; 16 * 1024]);
        h.drain();
    }
    let t = h.finish();
    assert_eq!(t.count(|e| matches!(e, Event::DataChunk(_))), 0);
    assert!(t.events.contains(&Event::BadCommand {
        error: BadCommand::MessageTooBig
    }));
    assert_eq!(t.error, Some(Error::ChunkTooBig));
    assert!(t.closed);
}

#[test]
fn bdat_after_a_refused_chunk_is_consumed_and_gets_503_rfc3030_2() {
    let mut c = config();
    c.limits.max_message_size = 10;
    let input = with_envelope(b"BDAT 6\r\nabcdefBDAT 6\r\nghijklBDAT 4 LAST\r\nNOOP");
    let t = run_all_splits(&c, &accept_all, &input, false);
    // The first chunk was delivered, then aborted: the harness drops it as
    // an application would.
    assert_eq!(t.body(), b"");
    assert!(t.events.contains(&Event::DataAborted {
        reason: AbortReason::ChunkRefused
    }));
    assert_eq!(t.data_ends(), 0);
    let r = t.replies();
    assert_eq!(
        &r[r.len() - 3..],
        [
            "250 2.0.0 6 octets received",
            "552 5.3.4 Message size exceeds fixed maximum message size",
            "503 5.5.1 Need MAIL command"
        ]
    );
    assert_eq!(t.count(|e| matches!(e, Event::Noop { .. })), 0);
}

#[test]
fn bdat_without_transaction_or_chunking_consumes_its_octets() {
    let t = run_all_splits(&config(), &accept_all, b"BDAT 6\r\nQUIT\r\nNOOP\r\n", false);
    assert_eq!(t.replies(), ["503 5.5.1 Need MAIL command", "250 2.0.0 OK"]);
    assert_eq!(t.count(|e| matches!(e, Event::Quit { .. })), 0);

    let mut c = config();
    c.extensions.chunking = false;
    let t = run_all_splits(
        &c,
        &accept_all,
        &with_envelope(b"BDAT 6\r\nQUIT\r\nNOOP\r\n"),
        false,
    );
    let r = t.replies();
    assert_eq!(
        &r[r.len() - 2..],
        ["502 5.5.1 Command not implemented", "250 2.0.0 OK"]
    );
    assert_eq!(t.count(|e| matches!(e, Event::Quit { .. })), 0);
}

#[test]
fn rset_between_chunks_aborts_the_message() {
    let t = run(
        &config(),
        &with_envelope(b"BDAT 2\r\nabRSET\r\nBDAT 1 LAST\r\nc"),
    );
    assert!(t.events.contains(&Event::DataAborted {
        reason: AbortReason::Reset
    }));
    assert_eq!(t.data_ends(), 0);
    assert_eq!(t.replies().last().unwrap(), "503 5.5.1 Need MAIL command");
}

#[test]
fn binarymime_requires_bdat_rfc3030_3() {
    let mut c = config();
    c.extensions.binary_mime = true;
    let input = b"EHLO c\r\nMAIL FROM:<a@example.org> BODY=BINARYMIME\r\nRCPT TO:<b@example.org>\r\nDATA\r\nBDAT 2 LAST\r\n\x00\xff";
    let t = run_all_splits(&c, &accept_all, input, false);
    assert!(
        t.replies()
            .contains(&"503 5.5.1 BODY=BINARYMIME requires BDAT".to_owned())
    );
    assert_eq!(t.body(), b"\x00\xff");
    assert_eq!(t.data_ends(), 1);
    // Not offered: the parameter is refused.
    let t = run(
        &config(),
        b"EHLO c\r\nMAIL FROM:<a@example.org> BODY=BINARYMIME\r\n",
    );
    assert_eq!(
        t.replies().last().unwrap(),
        "555 5.5.4 MAIL FROM/RCPT TO parameters not recognized or not implemented"
    );
}

#[test]
fn parameters_of_disabled_extensions_get_555_rfc5321_4_1_1_11() {
    let mut c = config();
    c.extensions.eight_bit_mime = false;
    c.extensions.smtputf8 = false;
    let t = run(
        &c,
        b"EHLO c\r\nMAIL FROM:<a@example.org> BODY=8BITMIME\r\nMAIL FROM:<a@example.org> SMTPUTF8\r\nMAIL FROM:<a@example.org> RET=HDRS\r\nMAIL FROM:<a@example.org> X-FOO=1\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org> NOTIFY=NEVER\r\n",
    );
    let r: Vec<&String> = t
        .replies()
        .iter()
        .filter(|l| l.starts_with("555"))
        .cloned()
        .collect::<Vec<_>>()
        .leak()
        .iter()
        .collect();
    assert_eq!(r.len(), 5, "{:?}", t.replies());
    assert_eq!(t.count(|e| matches!(e, Event::Mail { .. })), 1);
    // HELO clients get no ESMTP parameters.
    let t = run(
        &config(),
        b"HELO c\r\nMAIL FROM:<a@example.org> BODY=8BITMIME\r\n",
    );
    assert!(t.replies().last().unwrap().starts_with("555 5.5.4"));
}

#[test]
fn utf8_addresses_need_smtputf8_rfc6531_3_5() {
    let t = run(
        &config(),
        "EHLO c\r\nMAIL FROM:<jöran@example.org>\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<jöran@example.org>\r\nRSET\r\nMAIL FROM:<jöran@example.org> SMTPUTF8\r\nRCPT TO:<δοκιμή@παράδειγμα.δοκιμή>\r\n".as_bytes(),
    );
    let r: Vec<String> = t
        .replies()
        .into_iter()
        .filter(|l| !l.starts_with("250-"))
        .collect();
    assert_eq!(
        &r[1..],
        [
            "553 5.6.7 Non-ASCII address requires SMTPUTF8",
            "250 2.1.0 Sender OK",
            "553 5.6.7 Non-ASCII address requires SMTPUTF8",
            "250 2.0.0 OK",
            "250 2.1.0 Sender OK",
            "250 2.1.5 Recipient OK"
        ]
    );
}

fn lmtp() -> postwire_smtp_proto::server::ServerConfig {
    let mut c = config();
    c.lmtp = true;
    c
}

const LMTP_SESSION: &[u8] = b"LHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<one@example.org>\r\nRCPT TO:<bad@example.org>\r\nRCPT TO:<two@example.org>\r\nDATA\r\nhi\r\n.\r\n";

#[test]
fn lmtp_answers_once_per_accepted_recipient_rfc2033_4_2() {
    let policy = |e: &Event| match e {
        Event::Rcpt { to, .. } if format!("{to:?}").contains("bad") => Action::Reject,
        Event::DataEnd { recipients, .. } => {
            assert_eq!(*recipients, 2);
            Action::Lmtp(vec![
                reply(250, "one delivered"),
                reply(452, "two over quota"),
            ])
        }
        _ => Action::Accept,
    };
    let t = run_all_splits(&lmtp(), &policy, LMTP_SESSION, false);
    let r = t.replies();
    assert_eq!(
        &r[r.len() - 2..],
        ["250 one delivered", "452 two over quota"]
    );

    let t = run_split(
        &lmtp(),
        &|e: &Event| match e {
            Event::Rcpt { to, .. } if format!("{to:?}").contains("bad") => Action::Reject,
            _ => Action::Accept,
        },
        LMTP_SESSION,
        &[],
        false,
    );
    let r = t.replies();
    assert_eq!(
        &r[r.len() - 3..],
        [
            "354 End data with <CR><LF>.<CR><LF>",
            "250 2.0.0 Message accepted",
            "250 2.0.0 Message accepted"
        ]
    );
}

#[test]
fn lmtp_reply_count_must_match() {
    let mut h = Harness::new(lmtp(), &|e: &Event| match e {
        Event::DataEnd { .. } => Action::Nothing,
        _ => Action::Accept,
    });
    h.feed(LMTP_SESSION);
    let Some(Event::DataEnd { id, recipients: 3 }) = h.trace.events.last().cloned() else {
        panic!("{:?}", h.trace.events)
    };
    assert_eq!(
        h.server.reply_lmtp(id, vec![reply(250, "ok")]),
        Err(UsageError::ReplyCount {
            expected: 3,
            got: 1
        })
    );
    h.server
        .reply_lmtp(id, vec![reply(250, "a"), reply(250, "b"), reply(550, "c")])
        .unwrap();
    h.drain();
    let r = h.trace.replies();
    assert_eq!(&r[r.len() - 3..], ["250 a", "250 b", "550 c"]);
}

mod any_body {
    use super::*;
    use proptest::prelude::*;

    fn body() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            prop_oneof![Just(b'.'), Just(b'\r'), Just(b'\n'), Just(b'a'), Just(0u8)],
            0..40,
        )
        .prop_filter("no real terminator inside", |b| {
            let mut framed = b"\r\n".to_vec();
            framed.extend_from_slice(b);
            framed.extend_from_slice(b"\r\n");
            !framed.windows(5).any(|w| w == b"\r\n.\r\n")
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

        /// Only the real `CRLF.CRLF` ends the data, whatever comes before it,
        /// in any chunking (SECURITY.md SM-S1, SM-S2).
        #[test]
        fn only_crlf_dot_crlf_ends_data(body in body(), normalize in any::<bool>()) {
            let mut c = config();
            if normalize {
                c.quirks.bare_line_endings = BareLineEndings::Normalize;
            }
            // End the last line so the terminator is the real one.
            let input = [&with_envelope(b"DATA\r\n")[..], &body, b"\r\n.\r\nNOOP\r\n"].concat();
            let t = run_all_splits(&c, &accept_all, &input, false);
            let bare = {
                let mut framed = body.clone();
                framed.extend_from_slice(b"\r\n");
                framed.iter().enumerate().any(|(i, &b)| {
                    (b == b'\n' && (i == 0 || framed[i - 1] != b'\r'))
                        || (b == b'\r' && framed.get(i + 1) != Some(&b'\n'))
                })
            };
            if normalize || !bare {
                prop_assert_eq!(t.data_ends(), 1);
                prop_assert_eq!(t.count(|e| matches!(e, Event::Noop { .. })), 1);
                prop_assert_eq!(t.count(|e| matches!(e, Event::BadCommand { .. })), 0);
                prop_assert!(t.body().ends_with(b"\r\n"));
            } else {
                prop_assert_eq!(t.data_ends(), 0);
                prop_assert_eq!(t.error, Some(Error::BareLineEnding));
            }
        }
    }
}
