//! Client session tests: RFC transcripts, greeting, HELO fallback, QUIT,
//! timeouts, end of stream.

#[path = "client_support/mod.rs"]
mod harness;

use std::time::Duration;

use harness::{check, from, greet_and_ehlo, plain, to};
use postwire_core::Protocol;
use postwire_smtp_proto::client::{BodyInfo, Envelope, Error, Event, Step, UsageError};

#[test]
fn appendix_d1_transcript_client_bytes_rfc5321_d_1() {
    let run = check(plain("bar.com"), |run| {
        run.server(b"220 foo.com Simple Mail Transfer Service Ready\r\n");
        run.call(|c, now| c.ehlo(now)).unwrap();
        run.server(
            b"250-foo.com greets bar.com\r\n250-8BITMIME\r\n250-SIZE\r\n250-DSN\r\n250 HELP\r\n",
        );
        let envelope = Envelope::new(from("Smith@bar.com"))
            .to(to("Jones@foo.com"))
            .to(to("Green@foo.com"))
            .to(to("Brown@foo.com"));
        run.call(|c, now| c.send_mail(now, envelope, BodyInfo::default()))
            .unwrap();
        run.server(b"250 OK\r\n");
        run.server(b"250 OK\r\n");
        run.server(b"550 No such user here\r\n");
        run.server(b"250 OK\r\n");
        run.server(b"354 Start mail input; end with <CRLF>.<CRLF>\r\n");
        run.call(|c, now| c.send_body(now, b"Blah blah blah...\r\n...etc. etc. etc.\r\n"))
            .unwrap();
        run.call(|c, now| c.finish_body(now)).unwrap();
        run.server(b"250 OK\r\n");
        run.call(|c, now| c.quit(now)).unwrap();
        run.server(b"221 foo.com Service closing transmission channel\r\n");
    });
    // Without PIPELINING: one command per reply, in the order of D.1. The
    // `...etc.` line is dot-stuffed on the wire (RFC 5321 §4.5.2).
    assert_eq!(
        String::from_utf8_lossy(&run.wire),
        "EHLO bar.com\r\n\
         MAIL FROM:<Smith@bar.com>\r\n\
         RCPT TO:<Jones@foo.com>\r\n\
         RCPT TO:<Green@foo.com>\r\n\
         RCPT TO:<Brown@foo.com>\r\n\
         DATA\r\n\
         Blah blah blah...\r\n\
         ....etc. etc. etc.\r\n\
         .\r\n\
         QUIT\r\n\
         <CLOSE>"
    );
    assert!(run.errors.is_empty());
    let envelope = run
        .events
        .iter()
        .find_map(|e| match e {
            Event::Envelope { result, .. } => Some(result.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(envelope.accepted, vec![0, 2]);
    assert_eq!(envelope.refused.len(), 1);
    assert_eq!(envelope.refused[0].0, 1);
    assert_eq!(envelope.refused[0].1.code().get(), 550);
    assert!(
        run.events
            .iter()
            .any(|e| matches!(e, Event::MessageAccepted { .. }))
    );
    assert_eq!(run.events.last(), Some(&Event::Closed));
    assert!(run.client.is_closed());
}

#[test]
fn ehlo_not_recognised_falls_back_to_helo_rfc5321_4_1_4() {
    for code in ["500", "502"] {
        let run = check(plain("client.example"), |run| {
            run.server(b"220 old.example SMTP\r\n");
            run.call(|c, now| c.ehlo(now)).unwrap();
            run.server(format!("{code} Command unrecognized\r\n").as_bytes());
            run.server(b"250 old.example\r\n");
        });
        assert_eq!(
            String::from_utf8_lossy(&run.wire),
            "EHLO client.example\r\nHELO client.example\r\n"
        );
        let Some(Event::Ehlo {
            helo_fallback,
            capabilities,
            ..
        }) = run.events.last()
        else {
            panic!("{:?}", run.events)
        };
        assert!(*helo_fallback);
        assert!(!capabilities.pipelining && capabilities.auth.is_empty());
    }
}

#[test]
fn ehlo_refused_otherwise_is_an_event_not_a_fallback() {
    let run = check(plain("client.example"), |run| {
        run.server(b"220 mx.example\r\n");
        run.call(|c, now| c.ehlo(now)).unwrap();
        run.server(b"550 go away\r\n");
    });
    assert_eq!(
        String::from_utf8_lossy(&run.wire),
        "EHLO client.example\r\n"
    );
    assert!(
        matches!(run.events.last(), Some(Event::Rejected { reply, .. }) if reply.code().get() == 550)
    );
    assert!(run.errors.is_empty());
}

#[test]
fn lmtp_sends_lhlo_and_never_helo_rfc2033_4_1() {
    let mut config = plain("client.example");
    config.lmtp = true;
    let run = check(config, |run| {
        run.server(b"220 lmtp.example LMTP\r\n");
        run.call(|c, now| c.ehlo(now)).unwrap();
        run.server(b"500 what\r\n");
    });
    assert_eq!(
        String::from_utf8_lossy(&run.wire),
        "LHLO client.example\r\n"
    );
    assert!(matches!(run.events.last(), Some(Event::Rejected { .. })));
}

#[test]
fn refused_greeting_allows_only_quit_rfc5321_3_1_c14() {
    for greeting in [
        &b"554 no SMTP service here\r\n"[..],
        b"554-busy\r\n554 really\r\n",
        b"250 odd\r\n",
        b"500 what\r\n",
    ] {
        let run = check(plain("client.example"), |run| {
            run.server(greeting);
            assert_eq!(
                run.call(|c, now| c.ehlo(now)),
                Err(UsageError::GreetingRefused)
            );
            assert_eq!(
                run.call(|c, now| c.noop(now)),
                Err(UsageError::GreetingRefused)
            );
            run.call(|c, now| c.quit(now)).unwrap();
            run.server(b"221 bye\r\n");
        });
        assert!(matches!(run.events[0], Event::Greeting { .. }));
        assert_eq!(String::from_utf8_lossy(&run.wire), "QUIT\r\n<CLOSE>");
        assert!(run.errors.is_empty());
    }
}

#[test]
fn malformed_greeting_is_fatal_and_sends_nothing_c14() {
    for greeting in [
        &b"HTTP/1.1 400 Bad Request\r\n"[..],
        b"22 short\r\n",
        b"220-a\r\n250 b\r\n",
    ] {
        let run = check(plain("client.example"), |run| {
            run.server(greeting);
            assert_eq!(run.call(|c, now| c.ehlo(now)), Err(UsageError::Closed));
        });
        assert!(
            matches!(run.errors.as_slice(), [Error::Protocol(_)]),
            "{:?}",
            run.errors
        );
        assert_eq!(String::from_utf8_lossy(&run.wire), "<CLOSE>");
        assert!(run.client.is_closed());
    }
}

#[test]
fn verbs_before_the_greeting_are_usage_errors() {
    let mut run = harness::Run::new(plain("client.example"), harness::Split::Whole);
    assert_eq!(run.call(|c, now| c.ehlo(now)), Err(UsageError::NotGreeted));
    assert_eq!(run.call(|c, now| c.quit(now)), Err(UsageError::NotGreeted));
    assert!(run.wire.is_empty());
    run.server(b"220 ok\r\n");
    assert_eq!(
        run.call(|c, now| c.starttls(now)),
        Err(UsageError::EhloRequired)
    );
    run.call(|c, now| c.ehlo(now)).unwrap();
    // One command at a time outside pipelined groups.
    assert_eq!(run.call(|c, now| c.noop(now)), Err(UsageError::Busy));
}

#[test]
fn reply_421_at_any_time_is_server_closing_rfc5321_3_8() {
    let run = check(plain("client.example"), |run| {
        greet_and_ehlo(run, &["PIPELINING"]);
        run.call(|c, now| c.noop(now)).unwrap();
        run.server(b"421 4.3.2 shutting down\r\n");
    });
    assert!(matches!(&run.errors[..], [Error::ServerClosing(r)] if r.code().get() == 421));
    assert!(run.wire.ends_with(b"NOOP\r\n<CLOSE>"));

    // Unsolicited, while idle.
    let run = check(plain("client.example"), |run| {
        greet_and_ehlo(run, &[]);
        run.server(b"421 idle timeout\r\n");
    });
    assert!(matches!(&run.errors[..], [Error::ServerClosing(_)]));
}

#[test]
fn unsolicited_reply_is_a_protocol_error() {
    let run = check(plain("client.example"), |run| {
        greet_and_ehlo(run, &[]);
        run.server(b"250 surprise\r\n");
    });
    assert!(matches!(
        &run.errors[..],
        [Error::UnexpectedReply { awaiting: None, .. }]
    ));
}

#[test]
fn errors_are_sticky() {
    let mut run = harness::Run::new(plain("client.example"), harness::Split::Whole);
    run.server(b"xyz\r\n");
    let first = run.errors[0].clone();
    assert_eq!(
        run.client.handle_input(run.now, b"220 ok\r\n"),
        Err(first.clone())
    );
    assert_eq!(run.client.handle_timeout(run.now), Err(first.clone()));
    assert_eq!(run.client.handle_eof(run.now), Err(first));
    assert_eq!(run.client.poll_timeout(), None);
}

#[test]
fn overlong_reply_line_is_bounded_and_fatal() {
    let mut run = harness::Run::new(plain("client.example"), harness::Split::Whole);
    let long = vec![b'x'; 10_000];
    run.server(b"220-");
    run.server(&long);
    assert!(matches!(&run.errors[..], [Error::Protocol(_)]));
}

#[test]
fn bare_lf_replies_are_tolerated() {
    let run = check(plain("client.example"), |run| {
        run.server(b"220 mx.example\n");
        run.call(|c, now| c.ehlo(now)).unwrap();
        run.server(b"250-mx.example\n250 PIPELINING\n");
    });
    assert!(run.errors.is_empty());
    assert!(
        matches!(run.events.last(), Some(Event::Ehlo { capabilities, .. }) if capabilities.pipelining)
    );
}

#[test]
fn greeting_timeout_fires_at_exactly_five_minutes_rfc5321_4_5_3_2_1() {
    let mut run = harness::Run::new(plain("client.example"), harness::Split::Whole);
    let deadline = run.start + Duration::from_secs(300);
    assert_eq!(run.client.poll_timeout(), Some(deadline));
    run.advance(Duration::from_secs(300) - Duration::from_nanos(1));
    run.timeout();
    assert!(run.errors.is_empty());
    // A slow server trickling bytes does not move the deadline (P8).
    run.server(b"22");
    assert_eq!(run.client.poll_timeout(), Some(deadline));
    run.advance(Duration::from_nanos(1));
    run.timeout();
    assert_eq!(run.errors, vec![Error::Timeout(Step::Greeting)]);
    assert_eq!(String::from_utf8_lossy(&run.wire), "<CLOSE>");
}

#[test]
fn each_step_has_its_rfc_timeout_rfc5321_4_5_3_2() {
    // MAIL 5 min, RCPT 5 min, DATA initiation 2 min, DATA termination 10 min.
    let mut run = harness::Run::new(plain("client.example"), harness::Split::Whole);
    run.server(b"220 mx\r\n");
    assert_eq!(run.client.poll_timeout(), None, "nothing awaited");
    run.call(|c, now| c.ehlo(now)).unwrap();
    assert_eq!(
        run.client.poll_timeout(),
        Some(run.now + Duration::from_secs(300))
    );
    run.advance(Duration::from_secs(10));
    run.server(b"250 mx\r\n");
    let envelope = Envelope::new(from("a@b.example")).to(to("c@d.example"));
    run.call(|c, now| c.send_mail(now, envelope, BodyInfo::default()))
        .unwrap();
    assert_eq!(
        run.client.poll_timeout(),
        Some(run.now + Duration::from_secs(300))
    );
    run.advance(Duration::from_secs(1));
    run.server(b"250 ok\r\n");
    assert_eq!(
        run.client.poll_timeout(),
        Some(run.now + Duration::from_secs(300))
    );
    run.advance(Duration::from_secs(1));
    run.server(b"250 ok\r\n");
    assert_eq!(
        run.client.poll_timeout(),
        Some(run.now + Duration::from_secs(120))
    );
    run.server(b"354 go\r\n");
    assert_eq!(
        run.client.poll_timeout(),
        None,
        "the caller streams the body"
    );
    run.call(|c, now| c.send_body(now, b"x\r\n")).unwrap();
    run.call(|c, now| c.finish_body(now)).unwrap();
    let deadline = run.now + Duration::from_secs(600);
    assert_eq!(run.client.poll_timeout(), Some(deadline));
    run.advance(Duration::from_secs(600));
    run.timeout();
    assert_eq!(run.errors, vec![Error::Timeout(Step::DataTermination)]);
}

#[test]
fn eof_after_quit_is_clean_and_eof_mid_reply_is_an_error() {
    let mut run = harness::Run::new(plain("client.example"), harness::Split::Whole);
    run.server(b"220 mx\r\n");
    run.call(|c, now| c.quit(now)).unwrap();
    assert_eq!(run.client.handle_eof(run.now), Ok(()));
    run.drain();
    assert_eq!(run.events.last(), Some(&Event::Closed));

    let mut run = harness::Run::new(plain("client.example"), harness::Split::Whole);
    run.server(b"220 mx\r\n");
    run.call(|c, now| c.ehlo(now)).unwrap();
    assert_eq!(
        run.client.handle_eof(run.now),
        Err(Error::ConnectionClosed(Some(Step::Ehlo)))
    );
}

#[test]
fn noop_rset_vrfy_answer_with_reply_events() {
    let run = check(plain("client.example"), |run| {
        greet_and_ehlo(run, &[]);
        let a = run.call(|c, now| c.noop(now)).unwrap();
        run.server(b"250 ok\r\n");
        let b = run.call(|c, now| c.rset(now)).unwrap();
        run.server(b"250 reset\r\n");
        let v = run.call(|c, now| c.vrfy(now, "postmaster")).unwrap();
        run.server(b"252 cannot verify\r\n");
        assert!(a < b && b < v);
        assert_eq!(
            run.call(|c, now| c.vrfy(now, "a\r\nRSET")),
            Err(UsageError::InvalidArgument)
        );
    });
    assert!(run.wire.ends_with(b"NOOP\r\nRSET\r\nVRFY postmaster\r\n"));
    let codes: Vec<u16> = run
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Reply { reply, .. } => Some(reply.code().get()),
            _ => None,
        })
        .collect();
    assert_eq!(codes, vec![250, 250, 252]);
}

#[test]
fn client_is_send_and_sync_for_async_drivers() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<postwire_smtp_proto::client::Client>();
    assert_send_sync::<Event>();
    assert_send_sync::<Error>();
}

mod arbitrary_input {
    use super::harness::{Run, Split, greet_and_ehlo, plain};
    use postwire_core::Protocol;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the server sends, in whatever pieces, the client never
        /// panics, ends failed-and-closed or still consistent, and its
        /// buffering stays bounded by the reply limits.
        #[test]
        fn any_server_bytes_are_handled_without_panic(
            after_ehlo in any::<bool>(),
            bytes in proptest::collection::vec(
                prop_oneof![Just(b'\r'), Just(b'\n'), Just(b'-'), Just(b' '), b'0'..=b'9', any::<u8>()],
                0..3000,
            ),
            chunk in 1usize..64,
        ) {
            let mut run = Run::new(plain("c.example"), Split::Whole);
            if after_ehlo {
                greet_and_ehlo(&mut run, &["PIPELINING", "CHUNKING", "8BITMIME"]);
            }
            for piece in bytes.chunks(chunk) {
                run.server(piece);
            }
            if !run.errors.is_empty() {
                prop_assert!(run.client.is_closed());
                prop_assert_eq!(run.client.poll_timeout(), None);
            }
            let _ = run.client.handle_eof(run.now);
            run.drain();
        }
    }
}
