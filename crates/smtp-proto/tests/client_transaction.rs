//! Mail transactions from the client side: pipelining (RFC 2920), per
//! recipient results, DATA and BDAT bodies (RFC 5321 §4.5.2, RFC 3030),
//! declarations (RFC 1870, 6152, 6531, 3461), LMTP (RFC 2033).

#[path = "client_support/mod.rs"]
mod harness;

use harness::{Run, Split, check, from, greet_and_ehlo, plain, to};
use postwire_core::{Protocol, Transmit};
use postwire_smtp_proto::client::{
    BodyInfo, Client, Envelope, EnvelopeResult, Event, Extension, UsageError,
};
use postwire_smtp_proto::{Notify, RcptParameters, Ret};

fn envelope_result(run: &Run) -> EnvelopeResult {
    run.events
        .iter()
        .find_map(|e| match e {
            Event::Envelope { result, .. } => Some(result.clone()),
            _ => None,
        })
        .expect("an Envelope event")
}

fn three() -> Envelope {
    Envelope::new(from("mrose@dbc.mtview.ca.us"))
        .to(to("ned@innosoft.com"))
        .to(to("dan@innosoft.com"))
        .to(to("kvc@innosoft.com"))
}

#[test]
fn pipelined_envelope_goes_in_one_write_with_data_last_rfc2920_3_1() {
    let mut client = Client::new(harness::t0(), plain("dbc.mtview.ca.us"));
    let now = harness::t0();
    client
        .handle_input(now, b"220 innosoft.com SMTP service ready\r\n")
        .unwrap();
    client.ehlo(now).unwrap();
    while client.poll_transmit().is_some() {}
    client
        .handle_input(now, b"250-innosoft.com\r\n250 PIPELINING\r\n")
        .unwrap();
    client.send_mail(now, three(), BodyInfo::default()).unwrap();
    let Some(Transmit::Data(write)) = client.poll_transmit() else {
        panic!()
    };
    assert_eq!(
        &write[..],
        b"MAIL FROM:<mrose@dbc.mtview.ca.us>\r\n\
          RCPT TO:<ned@innosoft.com>\r\n\
          RCPT TO:<dan@innosoft.com>\r\n\
          RCPT TO:<kvc@innosoft.com>\r\n\
          DATA\r\n"
    );
    assert_eq!(client.poll_transmit(), None, "one write");
}

#[test]
fn rfc2920_example_with_pipelined_quit_rfc2920_3_1() {
    let run = check(plain("dbc.mtview.ca.us"), |run| {
        run.server(b"220 innosoft.com SMTP service ready\r\n");
        run.call(|c, now| c.ehlo(now)).unwrap();
        run.server(b"250-innosoft.com\r\n250 PIPELINING\r\n");
        let id = run
            .call(|c, now| c.send_mail(now, three(), BodyInfo::default()))
            .unwrap();
        run.server(
            b"250 sender <mrose@dbc.mtview.ca.us> OK\r\n\
              250 recipient <ned@innosoft.com> OK\r\n\
              250 recipient <dan@innosoft.com> OK\r\n\
              250 recipient <kvc@innosoft.com> OK\r\n\
              354 enter mail, end with line containing only \".\"\r\n",
        );
        assert_eq!(run.events.last(), Some(&Event::ReadyForBody { id }));
        run.call(|c, now| c.send_body(now, b"Hi.\r\n")).unwrap();
        run.call(|c, now| c.finish_body(now)).unwrap();
        run.call(|c, now| c.quit(now)).unwrap();
        run.server(b"250 message sent\r\n221 goodbye\r\n");
    });
    assert_eq!(
        String::from_utf8_lossy(&run.wire),
        "EHLO dbc.mtview.ca.us\r\n\
         MAIL FROM:<mrose@dbc.mtview.ca.us>\r\n\
         RCPT TO:<ned@innosoft.com>\r\n\
         RCPT TO:<dan@innosoft.com>\r\n\
         RCPT TO:<kvc@innosoft.com>\r\n\
         DATA\r\n\
         Hi.\r\n.\r\nQUIT\r\n<CLOSE>"
    );
    assert_eq!(envelope_result(&run).accepted, vec![0, 1, 2]);
    assert!(run.events.iter().any(|e| matches!(e, Event::MessageAccepted { reply, .. } if reply.text().contains("message sent"))));
    assert_eq!(run.events.last(), Some(&Event::Closed));
}

#[test]
fn one_refused_recipient_among_three_does_not_stop_the_others_rfc5321_3_3() {
    let run = check(plain("c.example"), |run| {
        greet_and_ehlo(run, &["PIPELINING"]);
        run.call(|c, now| c.send_mail(now, three(), BodyInfo::default()))
            .unwrap();
        run.server(b"250 ok\r\n250 ok\r\n550 5.1.1 no such user\r\n250 ok\r\n354 go\r\n");
        run.call(|c, now| c.send_body(now, b"x\r\n")).unwrap();
        run.call(|c, now| c.finish_body(now)).unwrap();
        run.server(b"250 2.0.0 queued as ABC\r\n");
    });
    let result = envelope_result(&run);
    assert_eq!(result.accepted, vec![0, 2]);
    assert_eq!(
        result
            .refused
            .iter()
            .map(|(i, r)| (*i, r.code().get()))
            .collect::<Vec<_>>(),
        vec![(1, 550)]
    );
    assert!(result.deferred.is_empty());
    assert!(matches!(
        run.events.last(),
        Some(Event::MessageAccepted { .. })
    ));
}

#[test]
fn zero_accepted_pipelined_data_refused_then_rset_rfc2920_3_1() {
    let run = check(plain("c.example"), |run| {
        greet_and_ehlo(run, &["PIPELINING"]);
        let id = run
            .call(|c, now| c.send_mail(now, three(), BodyInfo::default()))
            .unwrap();
        run.take_wire();
        run.server(b"250 ok\r\n550 no\r\n550 no\r\n550 no\r\n554 5.5.1 no valid recipients\r\n");
        assert_eq!(run.take_wire(), "RSET\r\n");
        run.server(b"250 reset\r\n");
        // The reply reported is the last recipient's refusal; each one is
        // in the Envelope event.
        assert!(
            matches!(run.events.last(), Some(Event::TransactionFailed { id: i, reply }) if *i == id && reply.code().get() == 550)
        );
        // The session is usable again.
        run.call(|c, now| c.noop(now)).unwrap();
        run.server(b"250 ok\r\n");
    });
    assert!(run.errors.is_empty());
    assert_eq!(String::from_utf8_lossy(&run.wire), "NOOP\r\n");
}

#[test]
fn zero_accepted_pipelined_but_354_sends_lone_dot_rfc2920_3_1() {
    let run = check(plain("c.example"), |run| {
        greet_and_ehlo(run, &["PIPELINING"]);
        run.call(|c, now| c.send_mail(now, three(), BodyInfo::default()))
            .unwrap();
        run.take_wire();
        run.server(b"250 ok\r\n550 a\r\n550 b\r\n550 c\r\n354 go ahead anyway\r\n");
        assert_eq!(
            run.call(|c, now| c.send_body(now, b"secret\r\n")),
            Err(UsageError::NotInBody)
        );
        run.server(b"554 no recipients\r\n");
    });
    assert_eq!(String::from_utf8_lossy(&run.wire), ".\r\n");
    assert!(
        matches!(run.events.last(), Some(Event::TransactionFailed { reply, .. }) if reply.code().get() == 550)
    );
}

#[test]
fn zero_accepted_without_pipelining_rsets_and_never_sends_data() {
    let run = check(plain("c.example"), |run| {
        greet_and_ehlo(run, &[]);
        run.call(|c, now| c.send_mail(now, three(), BodyInfo::default()))
            .unwrap();
        run.server(b"250 ok\r\n");
        run.server(b"550 a\r\n");
        run.server(b"550 b\r\n");
        run.server(b"551 c\r\n");
        run.server(b"250 reset\r\n");
    });
    assert!(
        run.wire
            .ends_with(b"RCPT TO:<kvc@innosoft.com>\r\nRSET\r\n")
    );
    assert!(!String::from_utf8_lossy(&run.wire).contains("DATA"));
    assert!(
        matches!(run.events.last(), Some(Event::TransactionFailed { reply, .. }) if reply.code().get() == 551)
    );
}

#[test]
fn mail_refused_ends_the_transaction_both_ways() {
    let run = check(plain("c.example"), |run| {
        greet_and_ehlo(run, &[]);
        run.call(|c, now| c.send_mail(now, three(), BodyInfo::default()))
            .unwrap();
        run.server(b"550 5.7.1 sender rejected\r\n");
    });
    assert!(
        run.wire
            .ends_with(b"MAIL FROM:<mrose@dbc.mtview.ca.us>\r\n")
    );
    assert!(
        matches!(run.events.last(), Some(Event::TransactionFailed { reply, .. }) if reply.code().get() == 550)
    );

    let run = check(plain("c.example"), |run| {
        greet_and_ehlo(run, &["PIPELINING"]);
        run.call(|c, now| c.send_mail(now, three(), BodyInfo::default()))
            .unwrap();
        run.take_wire();
        run.server(b"451 try later\r\n503 a\r\n503 b\r\n503 c\r\n503 no mail\r\n");
    });
    assert_eq!(run.wire, b"");
    assert!(
        !run.events
            .iter()
            .any(|e| matches!(e, Event::Envelope { .. }))
    );
    assert!(
        matches!(run.events.last(), Some(Event::TransactionFailed { reply, .. }) if reply.code().get() == 451)
    );
}

#[test]
fn too_many_recipients_452_are_deferred_rfc5321_4_5_3_1_10() {
    // Pipelined: the server answers 452 to the last two.
    let run = check(plain("c.example"), |run| {
        greet_and_ehlo(run, &["PIPELINING", "ENHANCEDSTATUSCODES"]);
        run.call(|c, now| c.send_mail(now, three(), BodyInfo::default()))
            .unwrap();
        run.server(b"250 ok\r\n250 ok\r\n452 4.5.3 too many\r\n452 4.5.3 too many\r\n354 go\r\n");
        run.call(|c, now| c.finish_body(now)).unwrap();
        run.server(b"250 ok\r\n");
    });
    let result = envelope_result(&run);
    assert_eq!(result.accepted, vec![0]);
    assert_eq!(
        result.deferred.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert!(result.refused.is_empty());
    assert!(matches!(
        run.events.last(),
        Some(Event::MessageAccepted { .. })
    ));

    // Without pipelining the client stops at the first 452.
    let run = check(plain("c.example"), |run| {
        greet_and_ehlo(run, &[]);
        run.call(|c, now| c.send_mail(now, three(), BodyInfo::default()))
            .unwrap();
        run.server(b"250 ok\r\n");
        run.server(b"250 ok\r\n");
        run.server(b"452 4.5.3 too many recipients\r\n");
        run.server(b"354 go\r\n");
    });
    assert!(!String::from_utf8_lossy(&run.wire).contains("kvc@"));
    assert!(
        run.wire
            .ends_with(b"RCPT TO:<dan@innosoft.com>\r\nDATA\r\n")
    );
    let result = envelope_result(&run);
    assert_eq!(result.accepted, vec![0]);
    assert_eq!(
        result.deferred.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        vec![1, 2]
    );
}

/// Body pieces that try every smuggling trick (SECURITY.md SM-C1..C3).
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

fn stuffed_body(pieces: &[&[u8]]) -> Vec<u8> {
    let mut run = Run::new(plain("c.example"), Split::Whole);
    greet_and_ehlo(&mut run, &["PIPELINING"]);
    let envelope = Envelope::new(from("a@b.example")).to(to("c@d.example"));
    run.call(|c, now| c.send_mail(now, envelope, BodyInfo::default()))
        .unwrap();
    run.server(b"250 ok\r\n250 ok\r\n354 go\r\n");
    run.take_wire();
    for piece in pieces {
        run.call(|c, now| c.send_body(now, piece)).unwrap();
    }
    run.call(|c, now| c.finish_body(now)).unwrap();
    run.wire.clone()
}

#[test]
fn body_is_normalised_and_stuffed_with_exactly_one_terminator_sm_c1_c3() {
    let wire = stuffed_body(NASTY);
    assert_eq!(
        String::from_utf8_lossy(&wire),
        "Subject: x\r\n\r\n\
         ..leading dot\r\n\
         a\r\n..\r\nb\r\n..\r\nc\r\n\
         ..\r\n\
         ..\r\n\
         ...\r\n\
         end without newline\r\n\
         .\r\n"
    );
    let terminators = wire.windows(5).filter(|w| w == b"\r\n.\r\n").count();
    assert_eq!(terminators, 1);
    assert!(wire.ends_with(b"\r\n.\r\n"));
    // No bare CR or LF anywhere.
    for (i, b) in wire.iter().enumerate() {
        match b {
            b'\r' => assert_eq!(wire.get(i + 1), Some(&b'\n')),
            b'\n' => assert_eq!(wire[i - 1], b'\r'),
            _ => {}
        }
    }
}

#[test]
fn body_wire_form_does_not_depend_on_how_it_was_cut_sm_c3() {
    let whole: Vec<u8> = NASTY.concat();
    let expected = stuffed_body(&[&whole]);
    for cut in 0..=whole.len() {
        assert_eq!(
            stuffed_body(&[&whole[..cut], &whole[cut..]]),
            expected,
            "cut at {cut}"
        );
    }
    let bytes: Vec<&[u8]> = whole.chunks(1).collect();
    assert_eq!(stuffed_body(&bytes), expected);
}

#[test]
fn size_is_declared_and_checked_rfc1870() {
    let mut run = Run::new(plain("c.example"), Split::Whole);
    greet_and_ehlo(&mut run, &["PIPELINING", "SIZE 1000"]);
    run.take_wire();
    let envelope = || Envelope::new(from("a@b.example")).to(to("c@d.example"));
    let mut info = BodyInfo::default();
    info.size = Some(1001);
    assert_eq!(
        run.call(|c, now| c.send_mail(now, envelope(), info)),
        Err(UsageError::MessageTooBig {
            size: 1001,
            limit: 1000
        })
    );
    assert_eq!(run.take_wire(), "", "nothing sent before MAIL");
    info.size = Some(1000);
    run.call(|c, now| c.send_mail(now, envelope(), info))
        .unwrap();
    assert!(
        run.take_wire()
            .starts_with("MAIL FROM:<a@b.example> SIZE=1000\r\n")
    );

    // SIZE not advertised: nothing declared.
    let mut run = Run::new(plain("c.example"), Split::Whole);
    greet_and_ehlo(&mut run, &["PIPELINING"]);
    run.take_wire();
    run.call(|c, now| c.send_mail(now, envelope(), info))
        .unwrap();
    assert!(run.take_wire().starts_with("MAIL FROM:<a@b.example>\r\n"));
}

#[test]
fn eight_bit_body_needs_8bitmime_rfc6152_3() {
    let envelope = || Envelope::new(from("a@b.example")).to(to("c@d.example"));
    let info = BodyInfo::from_content("Subject: caf\u{e9}\r\n\r\n".as_bytes());
    assert!(info.eight_bit);
    let mut run = Run::new(plain("c.example"), Split::Whole);
    greet_and_ehlo(&mut run, &["PIPELINING"]);
    run.take_wire();
    assert_eq!(
        run.call(|c, now| c.send_mail(now, envelope(), info)),
        Err(UsageError::ExtensionRequired(Extension::EightBitMime))
    );
    assert_eq!(run.take_wire(), "");

    let mut run = Run::new(plain("c.example"), Split::Whole);
    greet_and_ehlo(&mut run, &["PIPELINING", "8BITMIME"]);
    run.take_wire();
    run.call(|c, now| c.send_mail(now, envelope(), info))
        .unwrap();
    assert!(
        run.take_wire()
            .starts_with("MAIL FROM:<a@b.example> BODY=8BITMIME\r\n")
    );
}

#[test]
fn utf8_domain_goes_as_a_labels_without_smtputf8_rfc6531_3_4() {
    let mut run = Run::new(plain("c.example"), Split::Whole);
    greet_and_ehlo(&mut run, &["PIPELINING", "8BITMIME"]);
    run.take_wire();
    let envelope = Envelope::new(from("a@b\u{fc}cher.example")).to(to("c@m\u{fc}nchen.example"));
    run.call(|c, now| c.send_mail(now, envelope, BodyInfo::default()))
        .unwrap();
    assert_eq!(
        run.take_wire(),
        "MAIL FROM:<a@xn--bcher-kva.example>\r\nRCPT TO:<c@xn--mnchen-3ya.example>\r\nDATA\r\n"
    );
}

#[test]
fn utf8_local_part_needs_smtputf8_rfc6531_3_4() {
    let envelope = || Envelope::new(from("a@b.example")).to(to("j\u{f6}rg@d.example"));
    let mut run = Run::new(plain("c.example"), Split::Whole);
    greet_and_ehlo(&mut run, &["PIPELINING", "8BITMIME"]);
    run.take_wire();
    assert_eq!(
        run.call(|c, now| c.send_mail(now, envelope(), BodyInfo::default())),
        Err(UsageError::ExtensionRequired(Extension::SmtpUtf8))
    );
    assert_eq!(run.take_wire(), "");

    let mut run = Run::new(plain("c.example"), Split::Whole);
    greet_and_ehlo(&mut run, &["PIPELINING", "8BITMIME", "SMTPUTF8"]);
    run.take_wire();
    run.call(|c, now| c.send_mail(now, envelope(), BodyInfo::default()))
        .unwrap();
    assert_eq!(
        run.take_wire(),
        "MAIL FROM:<a@b.example> SMTPUTF8\r\nRCPT TO:<j\u{f6}rg@d.example>\r\nDATA\r\n"
    );
}

#[test]
fn dsn_parameters_need_dsn_rfc3461_4() {
    let mut run = Run::new(plain("c.example"), Split::Whole);
    greet_and_ehlo(&mut run, &["PIPELINING"]);
    run.take_wire();
    let mut envelope = Envelope::new(from("a@b.example")).to(to("c@d.example"));
    envelope.params.ret = Some(Ret::Hdrs);
    assert_eq!(
        run.call(|c, now| c.send_mail(now, envelope.clone(), BodyInfo::default())),
        Err(UsageError::ExtensionRequired(Extension::Dsn))
    );
    let mut notify = RcptParameters::new();
    notify.notify = Some(Notify::Never);
    let envelope2 = Envelope::new(from("a@b.example")).to_with(to("c@d.example"), notify);
    assert_eq!(
        run.call(|c, now| c.send_mail(now, envelope2, BodyInfo::default())),
        Err(UsageError::ExtensionRequired(Extension::Dsn))
    );
    assert_eq!(run.take_wire(), "");

    let mut run = Run::new(plain("c.example"), Split::Whole);
    greet_and_ehlo(&mut run, &["PIPELINING", "DSN"]);
    run.take_wire();
    run.call(|c, now| c.send_mail(now, envelope, BodyInfo::default()))
        .unwrap();
    assert!(
        run.take_wire()
            .starts_with("MAIL FROM:<a@b.example> RET=HDRS\r\n")
    );
}

#[test]
fn no_recipients_is_a_usage_error() {
    let mut run = Run::new(plain("c.example"), Split::Whole);
    greet_and_ehlo(&mut run, &[]);
    assert_eq!(
        run.call(|c, now| c.send_mail(
            now,
            Envelope::new(from("a@b.example")),
            BodyInfo::default()
        )),
        Err(UsageError::NoRecipients)
    );
}

#[test]
fn lmtp_gives_one_reply_per_accepted_recipient_in_order_rfc2033_4_2() {
    let mut cfg = plain("c.example");
    cfg.lmtp = true;
    let run = check(cfg, |run| {
        run.server(b"220 lmtp.example LMTP ready\r\n");
        run.call(|c, now| c.ehlo(now)).unwrap();
        run.server(b"250-lmtp.example\r\n250-PIPELINING\r\n250 CHUNKING\r\n");
        run.call(|c, now| c.send_mail(now, three(), BodyInfo::default()))
            .unwrap();
        run.server(b"250 ok\r\n250 ok\r\n550 unknown\r\n250 ok\r\n354 go\r\n");
        run.call(|c, now| c.send_body(now, b"hello\r\n")).unwrap();
        run.call(|c, now| c.finish_body(now)).unwrap();
        run.server(b"250 2.1.5 ned delivered\r\n452 4.2.2 kvc over quota\r\n");
    });
    // LMTP never uses BDAT here, and LHLO replaces EHLO.
    assert!(run.wire.starts_with(b"LHLO c.example\r\n"));
    assert!(run.wire.ends_with(b"DATA\r\nhello\r\n.\r\n"));
    let Some(Event::LmtpDelivery { replies, .. }) = run.events.last() else {
        panic!("{:?}", run.events)
    };
    let got: Vec<(usize, u16)> = replies.iter().map(|(i, r)| (*i, r.code().get())).collect();
    assert_eq!(got, vec![(0, 250), (2, 452)]);
}

#[test]
fn bdat_binarymime_example_rfc3030_4_2() {
    let run = check(plain("ymir.claremont.edu"), |run| {
        run.server(b"220 cnri.reston.va.us SMTP service ready\r\n");
        run.call(|c, now| c.ehlo(now)).unwrap();
        run.server(b"250-cnri.reston.va.us says hello\r\n250-PIPELINING\r\n250-BINARYMIME\r\n250 CHUNKING\r\n");
        let envelope = Envelope::new(from("ned@ymir.claremont.edu"))
            .to(to("gvaudre@cnri.reston.va.us"))
            .to(to("jstewart@cnri.reston.va.us"));
        let mut info = BodyInfo::default();
        info.binary = true;
        let id = run.call(|c, now| c.send_mail(now, envelope, info)).unwrap();
        run.server(
            b"250 <ned@ymir.claremont.edu>... Sender and BINARYMIME ok\r\n\
              250 <gvaudre@cnri.reston.va.us>... Recipient ok\r\n\
              250 <jstewart@cnri.reston.va.us>... Recipient ok\r\n",
        );
        assert_eq!(run.events.last(), Some(&Event::ReadyForBody { id }));
        // Binary: bytes go as they are, bare CR/LF and dots included.
        run.call(|c, now| c.send_body(now, b"0123456789\n.\r\x00"))
            .unwrap();
        run.call(|c, now| c.send_body(now, b"tail")).unwrap();
        run.call(|c, now| c.finish_body(now)).unwrap();
        run.server(b"250 14 octets received\r\n250 4 octets received\r\n250 Message OK, 18 octets received\r\n");
        run.call(|c, now| c.quit(now)).unwrap();
        run.server(b"221 Good bye\r\n");
    });
    assert_eq!(
        String::from_utf8_lossy(&run.wire),
        "EHLO ymir.claremont.edu\r\n\
         MAIL FROM:<ned@ymir.claremont.edu> BODY=BINARYMIME\r\n\
         RCPT TO:<gvaudre@cnri.reston.va.us>\r\n\
         RCPT TO:<jstewart@cnri.reston.va.us>\r\n\
         BDAT 14\r\n0123456789\n.\r\x00\
         BDAT 4\r\ntail\
         BDAT 0 LAST\r\n\
         QUIT\r\n<CLOSE>"
    );
    assert!(run.events.iter().any(
        |e| matches!(e, Event::MessageAccepted { reply, .. } if reply.text().contains("18 octets"))
    ));
}

#[test]
fn bdat_text_body_is_normalised_not_stuffed_rfc3030_3() {
    let run = check(plain("c.example"), |run| {
        greet_and_ehlo(run, &["PIPELINING", "CHUNKING"]);
        let envelope = Envelope::new(from("a@b.example")).to(to("c@d.example"));
        run.call(|c, now| c.send_mail(now, envelope, BodyInfo::default()))
            .unwrap();
        run.server(b"250 ok\r\n250 ok\r\n");
        run.take_wire();
        run.call(|c, now| c.send_body(now, b".a\nb\r")).unwrap();
        run.call(|c, now| c.send_body(now, b"\nc")).unwrap();
        run.call(|c, now| c.finish_body(now)).unwrap();
        run.server(b"250 ok\r\n250 ok\r\n250 queued\r\n");
    });
    assert_eq!(
        String::from_utf8_lossy(&run.wire),
        "BDAT 7\r\n.a\r\nb\r\n\
         BDAT 1\r\nc\
         BDAT 2 LAST\r\n\r\n"
    );
    assert!(matches!(
        run.events.last(),
        Some(Event::MessageAccepted { .. })
    ));
}

#[test]
fn failed_bdat_chunk_stops_the_body_then_rset_rfc3030_4_2() {
    let run = check(plain("c.example"), |run| {
        greet_and_ehlo(run, &["PIPELINING", "CHUNKING"]);
        let envelope = Envelope::new(from("a@b.example")).to(to("c@d.example"));
        let id = run
            .call(|c, now| c.send_mail(now, envelope, BodyInfo::default()))
            .unwrap();
        run.server(b"250 ok\r\n250 ok\r\n");
        run.call(|c, now| c.send_body(now, b"one\r\n")).unwrap();
        run.call(|c, now| c.send_body(now, b"two\r\n")).unwrap();
        run.take_wire();
        run.server(b"552 5.3.4 too big\r\n");
        assert_eq!(
            run.call(|c, now| c.send_body(now, b"three\r\n")),
            Err(UsageError::NotInBody)
        );
        assert_eq!(
            run.call(|c, now| c.finish_body(now)),
            Err(UsageError::NotInBody)
        );
        run.server(b"503 5.5.1 no\r\n");
        assert_eq!(run.take_wire(), "RSET\r\n");
        run.server(b"250 ok\r\n");
        assert!(
            matches!(run.events.last(), Some(Event::TransactionFailed { id: i, reply }) if *i == id && reply.code().get() == 552)
        );
    });
    assert!(run.errors.is_empty());
}

#[test]
fn body_calls_outside_a_body_are_usage_errors() {
    let mut run = Run::new(plain("c.example"), Split::Whole);
    greet_and_ehlo(&mut run, &["PIPELINING"]);
    assert_eq!(
        run.call(|c, now| c.send_body(now, b"x")),
        Err(UsageError::NotInBody)
    );
    assert_eq!(
        run.call(|c, now| c.finish_body(now)),
        Err(UsageError::NotInBody)
    );
    let envelope = Envelope::new(from("a@b.example")).to(to("c@d.example"));
    run.call(|c, now| c.send_mail(now, envelope, BodyInfo::default()))
        .unwrap();
    assert_eq!(
        run.call(|c, now| c.send_body(now, b"x")),
        Err(UsageError::NotInBody)
    );
    assert_eq!(run.call(|c, now| c.rset(now)), Err(UsageError::Busy));
    assert_eq!(run.call(|c, now| c.quit(now)), Err(UsageError::Busy));
}
