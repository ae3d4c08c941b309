//! The server's failure delay and failure limit for AUTH (SECURITY.md A5,
//! A7; RFC 4954 §4): a failed AUTH's `535 5.7.8` is held back for
//! `Timeouts::auth_failure_delay`, driven by `poll_timeout` and
//! `handle_timeout` (the machine reads no clock), input waits behind it,
//! and `Limits::max_auth_failures` ends the session. Time moves by
//! arithmetic on one captured instant.

mod server_support;

use std::time::{Duration, Instant};

use postwire_core::Protocol;
use postwire_smtp_proto::server::{
    BadCommand, Error, Event, Limits, Mechanism, ServerConfig, Timeouts,
};
use server_support::{Action, Harness, Out, config, reply};

const DELAY: Duration = Duration::from_secs(2);
/// `AUTH PLAIN` with `\0u\0wrong`.
const WRONG: &[u8] = b"AUTH PLAIN AHUAd3Jvbmc=\r\n";
/// `AUTH PLAIN` with `\0u\0right`.
const RIGHT: &[u8] = b"AUTH PLAIN AHUAcmlnaHQ=\r\n";
const FAILED: &str = "535 5.7.8 Authentication credentials invalid";

fn auth_config() -> ServerConfig {
    let mut c = config();
    c.extensions.auth = vec![Mechanism::Plain, Mechanism::Login];
    // The harness has no TLS; plaintext AUTH is allowed for these tests.
    c.allow_plaintext_auth = true;
    c
}

/// Accepts everything but AUTH with a password other than `right`.
fn policy(e: &Event) -> Action {
    match e {
        Event::Auth { authentication, .. } if !authentication.password_matches("right") => {
            Action::Reject
        }
        _ => Action::Accept,
    }
}

/// A harness that has greeted with EHLO at `t0`.
fn greeted(config: ServerConfig) -> Harness<'static> {
    let mut h = Harness::new(config, &policy);
    h.feed(b"EHLO c.example\r\n");
    assert!(h.trace.text().contains("250 AUTH PLAIN LOGIN"));
    h
}

fn feed_at(h: &mut Harness<'_>, now: Instant, input: &[u8]) {
    h.server.handle_input(now, input).expect("input");
    h.drain();
}

fn timeout_at(h: &mut Harness<'_>, now: Instant) {
    h.server.handle_timeout(now).expect("timeout");
    h.drain();
}

fn count_535(h: &Harness<'_>) -> usize {
    h.trace.text().matches(FAILED).count()
}

#[test]
fn defaults_are_a_2_second_delay_and_3_failures_a7() {
    assert_eq!(Timeouts::default().auth_failure_delay, DELAY);
    assert_eq!(Limits::default().max_auth_failures, 3);
}

#[test]
fn rejected_auth_535_comes_only_after_the_delay_rfc4954_4_a7() {
    let mut h = greeted(auth_config());
    let t0 = h.t0;
    let t1 = t0 + Duration::from_secs(7);
    feed_at(&mut h, t1, WRONG);
    // The application saw the credentials and refused them...
    assert_eq!(h.trace.count(|e| matches!(e, Event::Auth { .. })), 1);
    // ...but nothing is written yet, and the wake-up is the delay's end.
    assert_eq!(count_535(&h), 0);
    assert_eq!(h.server.poll_timeout(), Some(t1 + DELAY));
    assert!(!h.server.is_closed());
    // Early wake-ups change nothing.
    timeout_at(&mut h, t1 + DELAY - Duration::from_millis(1));
    assert_eq!(count_535(&h), 0);
    timeout_at(&mut h, t1 + DELAY);
    assert_eq!(count_535(&h), 1);
    assert_eq!(h.trace.replies().last().unwrap(), FAILED);
    // Then the idle timer runs again, from the reply.
    assert_eq!(
        h.server.poll_timeout(),
        Some(t1 + DELAY + Timeouts::default().command)
    );
    assert!(!h.server.is_authenticated());
}

#[test]
fn failed_sasl_exchange_is_delayed_too_rfc4954_4_a7() {
    // An empty initial response carries no credentials: the mechanism
    // fails before the application sees anything.
    let mut h = greeted(auth_config());
    let t1 = h.t0 + Duration::from_secs(1);
    feed_at(&mut h, t1, b"AUTH PLAIN =\r\n");
    assert_eq!(h.trace.count(|e| matches!(e, Event::Auth { .. })), 0);
    assert!(h.trace.events.contains(&Event::BadCommand {
        error: BadCommand::AuthenticationFailed
    }));
    assert_eq!(count_535(&h), 0);
    assert_eq!(h.server.poll_timeout(), Some(t1 + DELAY));
    timeout_at(&mut h, t1 + DELAY);
    assert_eq!(count_535(&h), 1);
}

#[test]
fn any_refusal_of_auth_is_delayed_a7() {
    // A temporary failure from the application is held back as well: the
    // client cannot tell a refusal's kind by its timing.
    let refuse = |e: &Event| match e {
        Event::Auth { .. } => Action::Reply(reply(454, "4.7.0 Temporary authentication failure")),
        _ => Action::Accept,
    };
    let mut h = Harness::new(auth_config(), &refuse);
    h.feed(b"EHLO c.example\r\n");
    let t1 = h.t0;
    feed_at(&mut h, t1, WRONG);
    assert!(!h.trace.text().contains("454"));
    timeout_at(&mut h, t1 + DELAY);
    assert_eq!(
        h.trace.replies().last().unwrap(),
        "454 4.7.0 Temporary authentication failure"
    );
}

#[test]
fn pipelined_command_after_a_failed_auth_waits_for_the_535_rfc2920_3_1() {
    // In one segment and cut at every point: the NOOP is neither parsed
    // nor answered before the 535 goes out, and its reply follows it.
    let mut input = WRONG.to_vec();
    input.extend_from_slice(b"NOOP\r\nMAIL FROM:<a@b.example>\r\n");
    for cut in 0..=input.len() {
        let mut h = greeted(auth_config());
        let t1 = h.t0 + Duration::from_secs(3);
        feed_at(&mut h, t1, &input[..cut]);
        if cut < input.len() {
            feed_at(&mut h, t1, &input[cut..]);
        }
        let before = h.trace.text().len();
        assert_eq!(
            h.trace
                .count(|e| matches!(e, Event::Noop { .. } | Event::Mail { .. })),
            0,
            "cut {cut}"
        );
        assert_eq!(count_535(&h), 0, "cut {cut}");
        timeout_at(&mut h, t1 + DELAY);
        let text = h.trace.text();
        assert_eq!(
            &text[before..],
            "535 5.7.8 Authentication credentials invalid\r\n250 2.0.0 OK\r\n250 2.1.0 Sender OK\r\n",
            "cut {cut}"
        );
    }
}

#[test]
fn input_arriving_during_the_delay_runs_after_it_a7() {
    let mut h = greeted(auth_config());
    let t1 = h.t0;
    feed_at(&mut h, t1, WRONG);
    // A second guess sent before the first answer is not even parsed.
    feed_at(&mut h, t1 + Duration::from_millis(500), RIGHT);
    assert_eq!(h.trace.count(|e| matches!(e, Event::Auth { .. })), 1);
    assert_eq!(h.server.poll_timeout(), Some(t1 + DELAY));
    timeout_at(&mut h, t1 + DELAY);
    // Now it runs; it is right, and success is not delayed.
    assert_eq!(h.trace.count(|e| matches!(e, Event::Auth { .. })), 2);
    let replies = h.trace.replies();
    assert_eq!(
        &replies[replies.len() - 2..],
        [FAILED, "235 2.7.0 Authentication successful"]
    );
    assert!(h.server.is_authenticated());
}

#[test]
fn successful_auth_is_not_delayed_rfc4954_4() {
    let mut h = greeted(auth_config());
    let t1 = h.t0 + Duration::from_secs(5);
    feed_at(&mut h, t1, RIGHT);
    assert_eq!(
        h.trace.replies().last().unwrap(),
        "235 2.7.0 Authentication successful"
    );
    assert!(h.server.is_authenticated());
    assert_eq!(
        h.server.poll_timeout(),
        Some(t1 + Timeouts::default().command)
    );
}

#[test]
fn zero_delay_answers_at_once() {
    let mut c = auth_config();
    c.timeouts.auth_failure_delay = Duration::ZERO;
    let mut h = greeted(c);
    let t0 = h.t0;
    feed_at(&mut h, t0, WRONG);
    assert_eq!(h.trace.replies().last().unwrap(), FAILED);
}

#[test]
fn the_failure_limit_ends_the_session_with_421_a5_a7() {
    let mut h = greeted(auth_config());
    let mut now = h.t0;
    for attempt in 1..=2 {
        feed_at(&mut h, now, WRONG);
        assert_eq!(count_535(&h), attempt - 1);
        now += DELAY;
        timeout_at(&mut h, now);
        assert_eq!(count_535(&h), attempt);
        assert!(!h.server.is_closed());
    }
    // The third failure reaches the limit: 535 and 421 at once, then close.
    feed_at(&mut h, now, WRONG);
    assert_eq!(count_535(&h), 3);
    assert_eq!(
        h.trace.replies().last().unwrap(),
        "421 4.7.0 mx.example.org Error: too many failed authentications"
    );
    assert_eq!(h.trace.wire.last(), Some(&Out::Close));
    assert!(h.server.is_closed());
    assert_eq!(h.server.poll_timeout(), None);
    assert_eq!(
        h.server.handle_input(now, b"NOOP\r\n"),
        Err(Error::TooManyAuthFailures)
    );
}

#[test]
fn failed_auths_have_their_own_limit_not_the_bad_command_one() {
    let mut c = auth_config();
    c.timeouts.auth_failure_delay = Duration::ZERO;
    c.limits.max_bad_commands = 2;
    c.limits.max_auth_failures = 5;
    let mut h = greeted(c);
    let t0 = h.t0;
    for _ in 0..4 {
        feed_at(&mut h, t0, WRONG);
    }
    assert_eq!(count_535(&h), 4);
    assert!(!h.server.is_closed());
    feed_at(&mut h, t0, RIGHT);
    assert!(h.server.is_authenticated());
}

#[test]
fn eof_during_the_delay_still_sends_the_535_then_closes() {
    let mut h = greeted(auth_config());
    let t1 = h.t0;
    feed_at(&mut h, t1, WRONG);
    h.server.handle_eof(t1).unwrap();
    h.drain();
    assert_eq!(count_535(&h), 0);
    assert!(!h.server.is_closed());
    assert_eq!(h.server.poll_timeout(), Some(t1 + DELAY));
    timeout_at(&mut h, t1 + DELAY);
    assert_eq!(count_535(&h), 1);
    assert!(h.server.is_closed());
    assert!(matches!(
        h.trace.events.last(),
        Some(Event::Disconnected { during_data: false })
    ));
}

#[test]
fn pipelined_input_held_during_the_delay_is_bounded() {
    let mut h = greeted(auth_config());
    let t1 = h.t0;
    feed_at(&mut h, t1, WRONG);
    let flood = vec![b'A'; 70 * 1024];
    assert_eq!(
        h.server.handle_input(t1, &flood),
        Err(Error::PipelineOverflow)
    );
}

#[test]
fn replies_before_the_failed_auth_are_not_held_back() {
    // RSET's reply has no flush of its own (RFC 2920 §3.1 batching); it
    // still goes out at once, and only the 535 waits.
    let mut h = greeted(auth_config());
    let t1 = h.t0;
    let mut input = b"RSET\r\n".to_vec();
    input.extend_from_slice(WRONG);
    feed_at(&mut h, t1, &input);
    assert_eq!(h.trace.replies().last().unwrap(), "250 2.0.0 OK");
    assert_eq!(count_535(&h), 0);
    timeout_at(&mut h, t1 + DELAY);
    assert_eq!(h.trace.replies().last().unwrap(), FAILED);
}
