//! STARTTLS from the client side (RFC 3207; SECURITY.md C01, C02, C07, C11,
//! C12, C14).

#[path = "client_support/mod.rs"]
mod harness;

use harness::{check, config, from, greet_and_ehlo, to};
use postwire_core::{Protocol, TlsInfo, TlsVersion};
use postwire_smtp_proto::client::{BodyInfo, Envelope, Error, Event, StartTlsPolicy, UsageError};

fn tls() -> TlsInfo {
    TlsInfo::new(TlsVersion::Tls13)
}

#[test]
fn required_is_the_default_policy() {
    assert_eq!(StartTlsPolicy::default(), StartTlsPolicy::Required);
}

#[test]
fn starttls_then_ehlo_again_and_old_capabilities_forgotten_rfc3207_4_2() {
    let run = check(config("client.example", StartTlsPolicy::Required), |run| {
        greet_and_ehlo(run, &["PIPELINING", "STARTTLS", "AUTH PLAIN"]);
        run.call(|c, now| c.starttls(now)).unwrap();
        run.server(b"220 2.0.0 Ready to start TLS\r\n");
        // No byte may arrive now; the driver runs the handshake.
        run.call(|c, now| c.handle_tls_established(now, tls()))
            .unwrap();
        assert!(run.client.is_tls());
        assert!(run.client.capabilities().is_none());
        let envelope = Envelope::new(from("a@b.example")).to(to("c@d.example"));
        assert_eq!(
            run.call(|c, now| c.send_mail(now, envelope, BodyInfo::default())),
            Err(UsageError::EhloRequired)
        );
        run.call(|c, now| c.ehlo(now)).unwrap();
        run.server(b"250-mx.example\r\n250 AUTH LOGIN\r\n");
    });
    assert_eq!(
        String::from_utf8_lossy(&run.wire),
        "EHLO client.example\r\nSTARTTLS\r\n<STARTTLS>EHLO client.example\r\n"
    );
    assert!(run.errors.is_empty());
    assert!(
        run.events
            .iter()
            .any(|e| matches!(e, Event::TlsEstablished { id: Some(_) }))
    );
    // Only the post-TLS capabilities count (A3).
    let caps = run.client.capabilities().unwrap();
    assert!(caps.has_auth("LOGIN") && !caps.has_auth("PLAIN") && !caps.pipelining);
}

#[test]
fn required_starttls_not_offered_aborts_before_anything_c01() {
    let run = check(config("client.example", StartTlsPolicy::Required), |run| {
        greet_and_ehlo(run, &["PIPELINING", "AUTH PLAIN LOGIN"]);
        assert_eq!(run.call(|c, now| c.noop(now)), Err(UsageError::Closed));
    });
    assert_eq!(run.errors, vec![Error::StartTlsRequired]);
    assert_eq!(
        String::from_utf8_lossy(&run.wire),
        "EHLO client.example\r\n<CLOSE>"
    );
    assert!(!run.events.iter().any(|e| matches!(e, Event::Ehlo { .. })));
}

#[test]
fn required_starttls_with_helo_only_server_aborts_c01() {
    let run = check(config("client.example", StartTlsPolicy::Required), |run| {
        run.server(b"220 mx\r\n");
        run.call(|c, now| c.ehlo(now)).unwrap();
        run.server(b"502 unknown\r\n");
    });
    assert_eq!(run.errors, vec![Error::StartTlsRequired]);
    assert_eq!(
        String::from_utf8_lossy(&run.wire),
        "EHLO client.example\r\n<CLOSE>"
    );
}

#[test]
fn every_odd_starttls_reply_aborts_when_required_c02() {
    for reply in [
        "502 5.5.1 not implemented",
        "454 4.7.0 TLS not available",
        "354 go ahead",
        "250 ok",
        "221 bye",
        "500 what",
        "501 syntax",
        "503 bad sequence",
        "504 no",
        "530 must issue STARTTLS",
        "550 no",
        "554 no",
    ] {
        let run = check(config("client.example", StartTlsPolicy::Required), |run| {
            greet_and_ehlo(run, &["STARTTLS", "AUTH PLAIN"]);
            run.call(|c, now| c.starttls(now)).unwrap();
            run.server(format!("{reply}\r\n").as_bytes());
        });
        assert!(
            matches!(&run.errors[..], [Error::StartTlsRefused(r)] if r.code().to_string() == reply[..3]),
            "{reply}: {:?}",
            run.errors
        );
        assert_eq!(
            String::from_utf8_lossy(&run.wire),
            "EHLO client.example\r\nSTARTTLS\r\n<CLOSE>",
            "{reply}"
        );
    }
}

#[test]
fn opportunistic_refusal_is_an_event_and_plaintext_continues() {
    let run = check(
        config("client.example", StartTlsPolicy::Opportunistic),
        |run| {
            greet_and_ehlo(run, &["STARTTLS"]);
            let id = run.call(|c, now| c.starttls(now)).unwrap();
            run.server(b"454 4.7.0 TLS not available\r\n");
            assert!(matches!(run.events.last(), Some(Event::Rejected { id: i, .. }) if *i == id));
            run.call(|c, now| c.noop(now)).unwrap();
            run.server(b"250 ok\r\n");
        },
    );
    assert!(run.errors.is_empty());
    assert!(!run.client.is_tls());
}

#[test]
fn injected_reply_after_220_in_one_read_aborts_c07() {
    let run = check(config("client.example", StartTlsPolicy::Required), |run| {
        greet_and_ehlo(run, &["STARTTLS"]);
        run.call(|c, now| c.starttls(now)).unwrap();
        run.server(b"220 Ready\r\n250 AUTH LOGIN\r\n");
        assert_eq!(run.call(|c, now| c.ehlo(now)), Err(UsageError::Closed));
        assert_eq!(
            run.call(|c, now| c.handle_tls_established(now, tls())),
            Err(Error::PlaintextAfterStartTls)
        );
    });
    assert_eq!(run.errors, vec![Error::PlaintextAfterStartTls]);
    // Nothing is written after STARTTLS: no EHLO, no AUTH.
    assert_eq!(
        String::from_utf8_lossy(&run.wire),
        "EHLO client.example\r\nSTARTTLS\r\n<STARTTLS><CLOSE>"
    );
    // The injected line never reached the reply parser.
    assert!(
        !run.client
            .capabilities()
            .is_some_and(|c| c.has_auth("LOGIN"))
    );
    assert_eq!(
        run.events
            .iter()
            .filter(|e| matches!(e, Event::Ehlo { .. }))
            .count(),
        1
    );
}

#[test]
fn bytes_after_220_in_a_later_read_abort_too_c11_c12() {
    for injected in [
        &b"250 AUTH LOGIN\r\n"[..],
        b"x",
        b"\r\n",
        b"421 bye\r\n",
        b"\x16\x03\x01",
    ] {
        let run = check(config("client.example", StartTlsPolicy::Required), |run| {
            greet_and_ehlo(run, &["STARTTLS"]);
            run.call(|c, now| c.starttls(now)).unwrap();
            run.server(b"220 Ready\r\n");
            run.server(injected);
        });
        assert_eq!(
            run.errors,
            vec![Error::PlaintextAfterStartTls],
            "{injected:?}"
        );
        assert!(run.wire.ends_with(b"STARTTLS\r\n<STARTTLS><CLOSE>"));
    }
}

#[test]
fn tls_required_blocks_mail_and_auth_before_starttls() {
    let mut run = harness::Run::new(
        config("client.example", StartTlsPolicy::Required),
        harness::Split::Whole,
    );
    greet_and_ehlo(&mut run, &["STARTTLS", "AUTH PLAIN"]);
    let envelope = Envelope::new(from("a@b.example")).to(to("c@d.example"));
    assert_eq!(
        run.call(|c, now| c.send_mail(now, envelope, BodyInfo::default())),
        Err(UsageError::TlsRequired)
    );
    let credentials = postwire_sasl::client::Credentials::password("u", "p");
    assert_eq!(
        run.call(|c, now| c.auth_with(now, &credentials)),
        Err(UsageError::TlsRequired)
    );
    assert_eq!(run.take_wire(), "EHLO client.example\r\n");
}

#[test]
fn starttls_unavailable_cases_are_usage_errors() {
    let mut run = harness::Run::new(
        config("client.example", StartTlsPolicy::Disabled),
        harness::Split::Whole,
    );
    greet_and_ehlo(&mut run, &["STARTTLS"]);
    assert_eq!(
        run.call(|c, now| c.starttls(now)),
        Err(UsageError::StartTlsUnavailable)
    );

    let mut run = harness::Run::new(
        config("client.example", StartTlsPolicy::Opportunistic),
        harness::Split::Whole,
    );
    greet_and_ehlo(&mut run, &["PIPELINING"]);
    assert_eq!(
        run.call(|c, now| c.starttls(now)),
        Err(UsageError::StartTlsUnavailable)
    );
}

#[test]
fn implicit_tls_satisfies_the_required_policy() {
    let mut cfg = config("client.example", StartTlsPolicy::Required);
    cfg.implicit_tls = true;
    let run = check(cfg, |run| {
        run.call(|c, now| c.handle_tls_established(now, tls()))
            .unwrap();
        greet_and_ehlo(run, &["PIPELINING"]);
        let envelope = Envelope::new(from("a@b.example")).to(to("c@d.example"));
        run.call(|c, now| c.send_mail(now, envelope, BodyInfo::default()))
            .unwrap();
    });
    assert!(run.errors.is_empty());
    assert_eq!(run.events[0], Event::TlsEstablished { id: None });
    assert!(
        run.wire
            .ends_with(b"MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n")
    );
}

#[test]
fn tls_established_out_of_the_blue_is_an_error() {
    let mut run = harness::Run::new(
        config("client.example", StartTlsPolicy::Opportunistic),
        harness::Split::Whole,
    );
    greet_and_ehlo(&mut run, &[]);
    assert_eq!(
        run.client.handle_tls_established(run.now, tls()),
        Err(Error::UnexpectedTls)
    );
}

#[test]
fn bad_greeting_with_tls_required_never_reaches_auth_c14() {
    let credentials = postwire_sasl::client::Credentials::password("u", "p");
    // A refusing greeting: only QUIT is possible.
    let run = check(config("client.example", StartTlsPolicy::Required), |run| {
        run.server(b"554 5.3.2 not now\r\n");
        assert_eq!(
            run.call(|c, now| c.starttls(now)),
            Err(UsageError::GreetingRefused)
        );
        assert_eq!(
            run.call(|c, now| c.auth_with(now, &credentials)),
            Err(UsageError::GreetingRefused)
        );
    });
    assert!(run.wire.is_empty());
    // A malformed greeting: fatal, closed, nothing written.
    let run = check(config("client.example", StartTlsPolicy::Required), |run| {
        run.server(b"* OK IMAP4rev1 ready\r\n");
        assert_eq!(
            run.call(|c, now| c.auth_with(now, &credentials)),
            Err(UsageError::Closed)
        );
    });
    assert!(matches!(&run.errors[..], [Error::Protocol(_)]));
    assert_eq!(String::from_utf8_lossy(&run.wire), "<CLOSE>");
}
