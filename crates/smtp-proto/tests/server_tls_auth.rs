//! Server STARTTLS (RFC 3207, SECURITY.md S01-S07) and AUTH (RFC 4954, A5).

mod server_support;

use postwire_core::{Protocol, TlsInfo, TlsVersion};
use postwire_smtp_proto::server::{BadCommand, Error, Event, Mechanism, ServerConfig};
use server_support::*;

fn tls_config() -> ServerConfig {
    let mut c = config();
    c.extensions.starttls = true;
    c.extensions.auth = vec![Mechanism::Plain, Mechanism::Login];
    // Not about the failure delay (server_auth_delay.rs).
    c.timeouts.auth_failure_delay = std::time::Duration::ZERO;
    c
}

fn tls() -> TlsInfo {
    TlsInfo::new(TlsVersion::Tls13)
}

/// A harness that has done EHLO, STARTTLS and the handshake.
fn after_tls(policy: &dyn Fn(&Event) -> Action) -> Harness<'_> {
    let mut h = Harness::new(tls_config(), policy);
    h.feed(b"EHLO c.example\r\nSTARTTLS\r\n");
    assert_eq!(h.trace.wire.last(), Some(&Out::StartTls));
    h.server.handle_tls_established(h.t0, tls()).unwrap();
    h.drain();
    h.feed(b"EHLO c.example\r\n");
    h
}

fn plain(user: &str, pass: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{pass}"))
}

#[test]
fn starttls_is_offered_before_tls_only_rfc3207_4() {
    let t = run(&tls_config(), b"EHLO c\r\n");
    assert!(t.replies().iter().any(|l| l == "250 STARTTLS"));
    assert!(!t.replies().iter().any(|l| l.contains("AUTH")));
    let h = after_tls(&accept_all);
    let r = h.trace.replies();
    let second_ehlo: Vec<&String> = r.iter().skip_while(|l| !l.starts_with("220 ")).collect();
    assert!(
        !second_ehlo.iter().any(|l| l.contains("STARTTLS")),
        "{second_ehlo:?}"
    );
    assert_eq!(second_ehlo.last().unwrap().as_str(), "250 AUTH PLAIN LOGIN");
}

#[test]
fn starttls_accept_writes_220_then_starttls_rfc3207_4() {
    let t = run(&tls_config(), b"EHLO c\r\nSTARTTLS\r\n");
    assert_eq!(t.replies().last().unwrap(), "220 2.0.0 Ready to start TLS");
    assert_eq!(t.wire.last(), Some(&Out::StartTls));
    let policy = |e: &Event| match e {
        Event::StartTls { .. } => Action::Reject,
        _ => Action::Accept,
    };
    let t = run_split(
        &tls_config(),
        &policy,
        b"EHLO c\r\nSTARTTLS\r\nNOOP\r\n",
        &[],
        false,
    );
    let r = t.replies();
    assert_eq!(
        &r[r.len() - 2..],
        [
            "454 4.7.0 TLS not available due to temporary reason",
            "250 2.0.0 OK"
        ]
    );
    assert!(!t.wire.contains(&Out::StartTls));
}

#[test]
fn pipelined_command_after_starttls_never_runs_s01() {
    for injected in [
        &b"RSET\r\n"[..],
        b"MAIL FROM:<evil@example.org>\r\nRCPT TO:<x@example.org>\r\nDATA\r\n",
    ] {
        let input = [&b"EHLO c\r\nSTARTTLS\r\n"[..], injected].concat();
        for split in 0..=input.len() {
            let mut h = Harness::new(tls_config(), &accept_all);
            h.feed(&input[..split]);
            h.feed(&input[split..]);
            if h.trace.error.is_none() {
                h.server.handle_tls_established(h.t0, tls()).unwrap();
                h.drain();
            }
            let t = h.finish();
            assert!(
                !t.events.iter().any(|e| matches!(
                    e,
                    Event::Rset { .. } | Event::Mail { .. } | Event::BadCommand { .. }
                )),
                "split {split}: {:?}",
                t.events
            );
            // Nothing answers the injected commands.
            assert!(
                t.text()
                    .ends_with("220 2.0.0 Ready to start TLS\r\n<STARTTLS>")
                    || t.error.is_some(),
                "{}",
                t.text()
            );
        }
    }
}

#[test]
fn plaintext_between_220_and_handshake_closes_s02() {
    let mut h = Harness::new(tls_config(), &accept_all);
    h.feed(b"EHLO c\r\nSTARTTLS\r\n");
    h.feed(b"RSET\r\n");
    assert_eq!(h.trace.error, Some(Error::PlaintextAfterStartTls));
    assert_eq!(h.trace.wire.last(), Some(&Out::Close));
    assert!(
        !h.trace
            .events
            .iter()
            .any(|e| matches!(e, Event::Rset { .. }))
    );
    // Sticky.
    assert_eq!(
        h.server.handle_input(h.t0, b"x"),
        Err(Error::PlaintextAfterStartTls)
    );
    assert_eq!(
        h.server.handle_tls_established(h.t0, tls()),
        Err(Error::PlaintextAfterStartTls)
    );
}

#[test]
fn starttls_in_the_wrong_state_is_refused_s04() {
    let t = run(
        &tls_config(),
        b"EHLO c\r\nMAIL FROM:<a@example.org>\r\nSTARTTLS\r\n",
    );
    assert_eq!(
        t.replies().last().unwrap(),
        "503 5.5.1 STARTTLS not permitted during a mail transaction"
    );
    assert!(!t.events.iter().any(|e| matches!(e, Event::StartTls { .. })));

    let mut h = after_tls(&accept_all);
    h.feed(b"STARTTLS\r\n");
    assert_eq!(
        h.trace.replies().last().unwrap(),
        "503 5.5.1 TLS already active"
    );
    assert_eq!(h.trace.count(|e| matches!(e, Event::StartTls { .. })), 1);

    let t = run(&config(), b"EHLO c\r\nSTARTTLS\r\n");
    assert_eq!(
        t.replies().last().unwrap(),
        "502 5.5.1 Command not implemented"
    );

    let mut c = tls_config();
    c.allow_plaintext_auth = true;
    let t = run(
        &c,
        format!("EHLO c\r\nAUTH PLAIN {}\r\nSTARTTLS\r\n", plain("u", "p")).as_bytes(),
    );
    assert_eq!(
        t.replies().last().unwrap(),
        "503 5.5.1 STARTTLS not permitted after AUTH"
    );
}

#[test]
fn tls_forgets_the_session_and_needs_a_new_ehlo_s05() {
    let mut h = Harness::new(tls_config(), &accept_all);
    h.feed(b"EHLO c\r\nSTARTTLS\r\n");
    h.server.handle_tls_established(h.t0, tls()).unwrap();
    h.drain();
    assert!(h.server.is_tls());
    h.feed(b"MAIL FROM:<a@example.org>\r\nAUTH PLAIN\r\n");
    let r = h.trace.replies();
    assert_eq!(
        &r[r.len() - 2..],
        [
            "503 5.5.1 Send HELO/EHLO first",
            "503 5.5.1 Send EHLO first"
        ]
    );
}

#[test]
fn nothing_is_written_between_220_and_the_handshake_s07() {
    let mut h = Harness::new(tls_config(), &accept_all);
    h.feed(b"EHLO c\r\nSTARTTLS\r\n");
    let wire = h.trace.wire.clone();
    assert_eq!(h.server.poll_timeout(), None);
    h.server
        .handle_timeout(h.t0 + std::time::Duration::from_secs(3600))
        .unwrap();
    h.drain();
    assert_eq!(h.trace.wire, wire);
    h.server.handle_tls_established(h.t0, tls()).unwrap();
    h.drain();
    // No new greeting after the handshake (RFC 3207 §4.2).
    assert_eq!(h.trace.wire, wire);
}

#[test]
fn implicit_tls_offers_auth_and_no_starttls() {
    let mut h = Harness::new(tls_config(), &accept_all);
    h.server.handle_tls_established(h.t0, tls()).unwrap();
    h.feed(b"EHLO c\r\n");
    let r = h.trace.replies();
    assert!(!r.iter().any(|l| l.contains("STARTTLS")));
    assert_eq!(r.last().unwrap(), "250 AUTH PLAIN LOGIN");
}

#[test]
fn auth_before_tls_is_refused_s06() {
    let input = format!(
        "EHLO c\r\nAUTH PLAIN {}\r\nAUTH LOGIN\r\n",
        plain("user", "secret")
    );
    let t = run_all_splits(&tls_config(), &accept_all, input.as_bytes(), false);
    let r = t.replies();
    assert_eq!(
        &r[r.len() - 2..],
        [
            "530 5.7.0 Must issue a STARTTLS command first",
            "530 5.7.0 Must issue a STARTTLS command first"
        ]
    );
    assert_eq!(t.count(|e| matches!(e, Event::Auth { .. })), 0);
    assert!(t.events.contains(&Event::BadCommand {
        error: BadCommand::EncryptionRequired
    }));
}

#[test]
fn auth_plain_with_initial_response_rfc4954_4() {
    let policy = |e: &Event| match e {
        Event::Auth { authentication, .. } if authentication.password_matches("secret") => {
            Action::Accept
        }
        Event::Auth { .. } => Action::Reject,
        _ => Action::Accept,
    };
    let mut h = after_tls(&policy);
    h.feed(format!("AUTH PLAIN {}\r\n", plain("user", "secret")).as_bytes());
    let auth = h
        .trace
        .events
        .iter()
        .find(|e| matches!(e, Event::Auth { .. }))
        .unwrap()
        .clone();
    let Event::Auth {
        mechanism,
        authentication,
        ..
    } = &auth
    else {
        unreachable!()
    };
    assert_eq!(*mechanism, Mechanism::Plain);
    assert_eq!(authentication.username, "user");
    // SECURITY.md A4: Debug shows no password.
    let shown = format!("{auth:?} {auth:#?}");
    assert!(!shown.contains("secret"), "{shown}");
    assert_eq!(
        h.trace.replies().last().unwrap(),
        "235 2.7.0 Authentication successful"
    );
    assert!(h.server.is_authenticated());
    // AUTH twice.
    h.feed(format!("AUTH PLAIN {}\r\n", plain("user", "secret")).as_bytes());
    assert_eq!(
        h.trace.replies().last().unwrap(),
        "503 5.5.1 Already authenticated"
    );
}

#[test]
fn failed_auth_leaves_the_session_usable_rfc4954_4() {
    let policy = |e: &Event| match e {
        Event::Auth { authentication, .. } if authentication.password_matches("secret") => {
            Action::Accept
        }
        Event::Auth { .. } => Action::Reject,
        _ => Action::Accept,
    };
    let mut h = after_tls(&policy);
    h.feed(format!("AUTH PLAIN {}\r\n", plain("user", "wrong")).as_bytes());
    assert_eq!(
        h.trace.replies().last().unwrap(),
        "535 5.7.8 Authentication credentials invalid"
    );
    assert!(!h.server.is_authenticated());
    h.feed(format!("AUTH PLAIN {}\r\n", plain("user", "secret")).as_bytes());
    assert_eq!(
        h.trace.replies().last().unwrap(),
        "235 2.7.0 Authentication successful"
    );
}

#[test]
fn auth_login_challenges_rfc4954_4() {
    let mut h = after_tls(&accept_all);
    h.feed(b"AUTH LOGIN\r\n");
    assert_eq!(h.trace.replies().last().unwrap(), "334 VXNlcm5hbWU6");
    h.feed(b"dXNlcg==\r\n");
    assert_eq!(h.trace.replies().last().unwrap(), "334 UGFzc3dvcmQ6");
    h.feed(b"c2VjcmV0\r\n");
    assert_eq!(
        h.trace.replies().last().unwrap(),
        "235 2.7.0 Authentication successful"
    );
    assert!(h.trace.events.iter().any(|e| matches!(e, Event::Auth { mechanism: Mechanism::Login, authentication, .. } if authentication.username == "user")));
}

#[test]
fn auth_plain_without_initial_response_gets_an_empty_challenge_rfc4954_4() {
    let mut h = after_tls(&accept_all);
    h.feed(b"AUTH PLAIN\r\n");
    assert_eq!(h.trace.text().rsplit("\r\n").nth(1).unwrap(), "334 ");
    h.feed(format!("{}\r\n", plain("user", "pw")).as_bytes());
    assert_eq!(
        h.trace.replies().last().unwrap(),
        "235 2.7.0 Authentication successful"
    );
}

#[test]
fn auth_robustness_a5() {
    let mut h = after_tls(&accept_all);
    // Cancel.
    h.feed(b"AUTH LOGIN\r\n*\r\n");
    assert_eq!(
        h.trace.replies().last().unwrap(),
        "501 5.7.0 Authentication cancelled"
    );
    // Bad base64.
    h.feed(b"AUTH PLAIN\r\n!!!notbase64\r\n");
    assert_eq!(
        h.trace.replies().last().unwrap(),
        "501 5.5.2 Invalid base64 data"
    );
    // Empty response and empty initial response: no credentials.
    h.feed(b"AUTH PLAIN\r\n\r\n");
    assert_eq!(
        h.trace.replies().last().unwrap(),
        "535 5.7.8 Authentication credentials invalid"
    );
    h.feed(b"AUTH PLAIN =\r\n");
    assert_eq!(
        h.trace.replies().last().unwrap(),
        "535 5.7.8 Authentication credentials invalid"
    );
    // Over-long response (> 12288 octets).
    h.feed(b"AUTH PLAIN\r\n");
    h.feed(&vec![b'A'; 13000]);
    h.feed(b"\r\n");
    assert_eq!(
        h.trace.replies().last().unwrap(),
        "500 5.5.6 Authentication Exchange line is too long"
    );
    // Over-long AUTH line.
    h.feed(format!("AUTH PLAIN {}\r\n", "A".repeat(12300)).as_bytes());
    assert_eq!(
        h.trace.replies().last().unwrap(),
        "500 5.5.6 Authentication Exchange line is too long"
    );
    // Unknown mechanism.
    h.feed(b"AUTH CRAM-MD5\r\nAUTH X-NOPE\r\n");
    let r = h.trace.replies();
    assert_eq!(
        &r[r.len() - 2..],
        [
            "504 5.5.4 Unrecognized authentication type",
            "504 5.5.4 Unrecognized authentication type"
        ]
    );
    // A long valid response within 12288 octets is fine.
    h.feed(b"AUTH PLAIN\r\n");
    h.feed(format!("{}\r\n", plain("user", &"p".repeat(200))).as_bytes());
    assert_eq!(
        h.trace.replies().last().unwrap(),
        "235 2.7.0 Authentication successful"
    );
    assert_eq!(h.trace.count(|e| matches!(e, Event::Auth { .. })), 1);
    assert!(!h.server.is_closed());
}

#[test]
fn auth_during_a_transaction_is_refused_rfc4954_4() {
    let mut h = after_tls(&accept_all);
    h.feed(
        format!(
            "MAIL FROM:<a@example.org>\r\nAUTH PLAIN {}\r\n",
            plain("u", "p")
        )
        .as_bytes(),
    );
    assert_eq!(
        h.trace.replies().last().unwrap(),
        "503 5.5.1 AUTH not permitted during a mail transaction"
    );
}

#[test]
fn disconnect_mid_auth_ends_cleanly_a5() {
    let mut h = after_tls(&accept_all);
    h.feed(b"AUTH LOGIN\r\ndXNlcg==\r\n");
    h.eof();
    let t = h.finish();
    assert_eq!(t.error, None);
    assert!(t.closed);
    assert_eq!(
        t.events.last(),
        Some(&Event::Disconnected { during_data: false })
    );
    assert_eq!(t.count(|e| matches!(e, Event::Auth { .. })), 0);
}

#[test]
fn auth_not_offered_is_502() {
    let t = run(&config(), b"EHLO c\r\nAUTH PLAIN\r\n");
    assert_eq!(
        t.replies().last().unwrap(),
        "502 5.5.1 Command not implemented"
    );
}

#[test]
fn unimplemented_mechanisms_are_not_offered_rfc4954_4() {
    let mut c = tls_config();
    c.extensions.auth = vec![Mechanism::ScramSha256, Mechanism::Login];
    c.allow_plaintext_auth = true;
    let t = run(&c, b"EHLO c\r\nAUTH SCRAM-SHA-256\r\n");
    let r = t.replies();
    assert!(r.contains(&"250 AUTH LOGIN".to_owned()), "{r:?}");
    assert_eq!(
        r.last().unwrap(),
        "504 5.5.4 Unrecognized authentication type"
    );
}
