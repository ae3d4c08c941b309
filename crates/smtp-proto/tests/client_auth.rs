//! AUTH from the client side (RFC 4954; SECURITY.md A1, A3, A4, A5, C06).

#[path = "client_support/mod.rs"]
mod harness;

use harness::{Run, Split, check, config, greet_and_ehlo};
use postwire_core::{Protocol, TlsInfo, TlsVersion};
use postwire_sasl::Mechanism;
use postwire_sasl::client::{ClientMechanism, Credentials};
use postwire_smtp_proto::client::{ClientConfig, Error, Event, StartTlsPolicy, UsageError};

const PLAIN_IR: &str = "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"; // RFC 4954 §8 example

fn tim() -> Credentials {
    Credentials::password("tim", "tanstaaftanstaaf")
}

/// A session in TLS (implicit), greeted, with this AUTH line.
fn tls_config() -> ClientConfig {
    let mut cfg = config("client.example", StartTlsPolicy::Required);
    cfg.implicit_tls = true;
    cfg
}

fn start(run: &mut Run, auth: &str) {
    run.call(|c, now| c.handle_tls_established(now, TlsInfo::new(TlsVersion::Tls13)))
        .unwrap();
    greet_and_ehlo(run, &[auth]);
    run.take_wire();
}

#[test]
fn plain_with_initial_response_rfc4954_4() {
    let run = check(tls_config(), |run| {
        start(run, "AUTH PLAIN LOGIN");
        let id = run.call(|c, now| c.auth_with(now, &tim())).unwrap();
        run.server(b"235 2.7.0 Authentication successful\r\n");
        assert_eq!(run.events.last(), Some(&Event::Authenticated { id }));
    });
    assert_eq!(
        String::from_utf8_lossy(&run.wire),
        format!("AUTH PLAIN {PLAIN_IR}\r\n")
    );
    assert!(run.client.is_authenticated());
}

#[test]
fn login_answers_each_challenge_in_base64_rfc4954_4() {
    let run = check(tls_config(), |run| {
        start(run, "AUTH LOGIN");
        let mechanism = ClientMechanism::new(Mechanism::Login, &tim()).unwrap();
        run.call(|c, now| c.auth(now, mechanism)).unwrap();
        run.server(b"334 VXNlcm5hbWU6\r\n");
        run.server(b"334 UGFzc3dvcmQ6\r\n");
        run.server(b"235 2.7.0 ok\r\n");
    });
    assert_eq!(
        String::from_utf8_lossy(&run.wire),
        "AUTH LOGIN\r\ndGlt\r\ndGFuc3RhYWZ0YW5zdGFhZg==\r\n"
    );
    assert!(matches!(
        run.events.last(),
        Some(Event::Authenticated { .. })
    ));
}

#[test]
fn initial_response_over_512_octets_waits_for_the_334_rfc4954_4() {
    let token = "t".repeat(600);
    let credentials = Credentials::oauth2("user@example.com", token.as_str());
    let run = check(tls_config(), |run| {
        start(run, "AUTH XOAUTH2");
        run.call(|c, now| c.auth_with(now, &credentials)).unwrap();
        run.server(b"334 \r\n");
        run.server(b"235 ok\r\n");
    });
    let wire = String::from_utf8_lossy(&run.wire).into_owned();
    let (first, rest) = wire.split_once("\r\n").unwrap();
    assert_eq!(first, "AUTH XOAUTH2");
    assert!(rest.len() > 512 && rest.ends_with("\r\n") && !rest.contains(' '));
    assert!(matches!(
        run.events.last(),
        Some(Event::Authenticated { .. })
    ));
}

#[test]
fn failure_replies_are_events_and_the_session_goes_on() {
    for reply in [
        "535 5.7.8 bad credentials",
        "534 5.7.9 too weak",
        "538 5.7.11 encryption required",
        "454 4.7.0 temporary",
        "504 5.5.4 unknown mechanism",
    ] {
        let run = check(tls_config(), |run| {
            start(run, "AUTH PLAIN");
            let id = run.call(|c, now| c.auth_with(now, &tim())).unwrap();
            run.server(format!("{reply}\r\n").as_bytes());
            assert!(matches!(run.events.last(), Some(Event::AuthFailed { id: i, .. }) if *i == id));
            run.call(|c, now| c.noop(now)).unwrap();
            run.server(b"250 ok\r\n");
        });
        assert!(run.errors.is_empty(), "{reply}");
        assert!(!run.client.is_authenticated());
    }
}

#[test]
fn undecodable_challenge_cancels_with_star_rfc4954_4_a5() {
    let run = check(tls_config(), |run| {
        start(run, "AUTH LOGIN");
        run.call(|c, now| c.auth_with(now, &tim())).unwrap();
        run.server(b"334 !!!not base64!!!\r\n");
        run.server(b"501 5.7.0 cancelled\r\n");
    });
    assert_eq!(String::from_utf8_lossy(&run.wire), "AUTH LOGIN\r\n*\r\n");
    assert!(
        matches!(run.events.last(), Some(Event::AuthFailed { reply, .. }) if reply.code().get() == 501)
    );
}

#[test]
fn endless_challenges_are_cancelled_a5() {
    let mut run = Run::new(tls_config(), Split::Whole);
    start(&mut run, "AUTH PLAIN");
    run.call(|c, now| c.auth_with(now, &tim())).unwrap();
    for _ in 0..5 {
        run.server(b"334 \r\n");
    }
    // PLAIN sent everything; the first extra challenge is cancelled, and a
    // 334 after the cancel is a protocol error.
    let wire = run.take_wire();
    assert_eq!(wire, format!("AUTH PLAIN {PLAIN_IR}\r\n*\r\n<CLOSE>"));
    assert!(matches!(&run.errors[..], [Error::UnexpectedReply { .. }]));
}

#[test]
fn success_before_login_sent_the_password_is_not_trusted() {
    let run = check(tls_config(), |run| {
        start(run, "AUTH LOGIN");
        run.call(|c, now| c.auth_with(now, &tim())).unwrap();
        run.server(b"334 VXNlcm5hbWU6\r\n");
        run.server(b"235 welcome\r\n");
    });
    assert!(matches!(&run.errors[..], [Error::UnexpectedReply { .. }]));
    assert!(!run.client.is_authenticated());
}

#[test]
fn no_auth_without_tls_unless_allowed_a1_c06() {
    let mut run = Run::new(
        config("client.example", StartTlsPolicy::Opportunistic),
        Split::Whole,
    );
    greet_and_ehlo(&mut run, &["AUTH PLAIN LOGIN"]);
    run.take_wire();
    assert_eq!(
        run.call(|c, now| c.auth_with(now, &tim())),
        Err(UsageError::PlaintextAuth)
    );
    let mechanism = ClientMechanism::new(Mechanism::Plain, &tim()).unwrap();
    assert_eq!(
        run.call(|c, now| c.auth(now, mechanism)),
        Err(UsageError::PlaintextAuth)
    );
    assert_eq!(run.take_wire(), "", "nothing sent");

    let mut cfg = config("client.example", StartTlsPolicy::Disabled);
    cfg.allow_plaintext_auth = true;
    let mut run = Run::new(cfg, Split::Whole);
    greet_and_ehlo(&mut run, &["AUTH PLAIN LOGIN"]);
    run.take_wire();
    run.call(|c, now| c.auth_with(now, &tim())).unwrap();
    assert_eq!(run.take_wire(), format!("AUTH PLAIN {PLAIN_IR}\r\n"));
}

#[test]
fn only_offered_mechanisms_and_only_once_a3() {
    let mut run = Run::new(tls_config(), Split::Whole);
    start(&mut run, "AUTH LOGIN");
    let plain = ClientMechanism::new(Mechanism::Plain, &tim()).unwrap();
    assert_eq!(
        run.call(|c, now| c.auth(now, plain)),
        Err(UsageError::MechanismNotOffered)
    );
    let token = Credentials::oauth2("u", "tok");
    assert_eq!(
        run.call(|c, now| c.auth_with(now, &token)),
        Err(UsageError::MechanismNotOffered)
    );
    run.call(|c, now| c.auth_with(now, &tim())).unwrap();
    run.server(b"334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n");
    run.server(b"235 ok\r\n");
    assert_eq!(
        run.call(|c, now| c.auth_with(now, &tim())),
        Err(UsageError::AlreadyAuthenticated)
    );
}

#[test]
fn strongest_common_mechanism_is_chosen() {
    let mut run = Run::new(tls_config(), Split::Whole);
    start(&mut run, "AUTH LOGIN PLAIN");
    run.call(|c, now| c.auth_with(now, &tim())).unwrap();
    assert!(run.take_wire().starts_with("AUTH PLAIN "));
}

#[test]
fn debug_of_auth_events_errors_and_client_shows_no_secret_a4() {
    let mut run = Run::new(tls_config(), Split::Whole);
    start(&mut run, "AUTH LOGIN PLAIN");
    run.call(|c, now| c.auth_with(now, &tim())).unwrap();
    let mid = format!("{:?}", run.client);
    run.server(b"535 5.7.8 no\r\n");
    run.call(|c, now| c.auth_with(now, &tim())).unwrap();
    run.server(b"235 ok\r\n");
    run.server(b"250 unexpected\r\n");
    let shown = format!(
        "{mid} {:?} {:?} {:?} {}",
        run.events,
        run.errors,
        run.client,
        run.errors.iter().map(|e| e.to_string()).collect::<String>()
    );
    for secret in ["tanstaaftanstaaf", PLAIN_IR, "dGFuc3RhYWZ0YW5zdGFhZg"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(shown.contains("AuthFailed") && shown.contains("Authenticated"));
}
