//! Memory and output stay bounded whatever the client sends (SECURITY.md
//! "Parsing and memory", DESIGN.md "limits hold for any input").
//!
//! The server's buffers are private and the workspace forbids `unsafe`, so
//! a counting `#[global_allocator]` (whose `GlobalAlloc` impl needs
//! `unsafe`) is not used; peak RSS is not reliable under a parallel test
//! runner. Instead these tests assert the observable limits: the server
//! answers an over-long line before its end arrives, refuses to hold more
//! than `max_pipelined_input` unanswered, discards refused BDAT octets
//! without delivering them, closes after `max_bad_commands`, and writes at
//! most a bounded number of bytes per input line.

mod server_support;

use postwire_smtp_proto::server::{BadCommand, Error, Event, ServerConfig};
use proptest::prelude::*;
use server_support::{Action, Harness, accept_all, config};

const EHLO: &[u8] = b"EHLO client.example\r\n";

fn cfg() -> ServerConfig {
    let mut c = config();
    c.allow_plaintext_auth = true;
    c.extensions.auth = vec![
        postwire_sasl::Mechanism::Plain,
        postwire_sasl::Mechanism::Login,
    ];
    c.limits.max_message_size = 4096;
    // Bounds, not timing: the failure delay has its own tests
    // (server_auth_delay.rs).
    c.timeouts.auth_failure_delay = std::time::Duration::ZERO;
    c
}

#[test]
fn endless_command_line_is_answered_before_it_ends_rfc5321_4_5_3_1_4() {
    let mut h = Harness::new(cfg(), &accept_all);
    h.feed(EHLO);
    let before = h.trace.text().len();
    let chunk = [b'A'; 4096];
    for _ in 0..256 {
        h.feed(&chunk);
    }
    let t = h.finish();
    let out = &t.text()[before..];
    assert!(out.starts_with("500 5.5.2 Line too long\r\n"), "{out:?}");
    assert!(
        out.len() < 1024,
        "{} bytes of output for one endless line",
        out.len()
    );
}

#[test]
fn endless_auth_line_is_refused_rfc4954_4() {
    let mut h = Harness::new(cfg(), &accept_all);
    h.feed(EHLO);
    h.feed(b"AUTH LOGIN\r\n");
    let before = h.trace.text().len();
    for _ in 0..256 {
        h.feed(&[b'Q'; 4096]);
    }
    h.feed(b"\r\nNOOP\r\n");
    let t = h.finish();
    let out = &t.text()[before..];
    assert!(out.contains("500 5.5.6"), "{out:?}");
    assert!(out.len() < 1024, "{out:?}");
    assert_eq!(t.count(|e| matches!(e, Event::Auth { .. })), 0);
}

#[test]
fn endless_pipelined_commands_while_the_application_is_silent_overflow_rfc2920() {
    let silent = |_: &Event| Action::Nothing;
    let mut h = Harness::new(cfg(), &silent);
    let limit = cfg().limits.max_pipelined_input;
    let mut fed = 0;
    while h.trace.error.is_none() && fed < 4 * limit {
        h.feed(b"NOOP\r\n");
        fed += 6;
    }
    assert_eq!(h.trace.error, Some(Error::PipelineOverflow));
    assert!(fed <= limit + 6 + EHLO.len(), "held {fed} bytes");
    assert!(h.trace.closed);
}

#[test]
fn endless_pipelined_commands_answered_produce_linear_output() {
    let mut h = Harness::new(cfg(), &accept_all);
    h.feed(EHLO);
    let before = h.trace.text().len();
    let noops = b"NOOP\r\n".repeat(10_000);
    h.feed(&noops);
    let t = h.finish();
    assert_eq!(t.count(|e| matches!(e, Event::Noop { .. })), 10_000);
    assert_eq!(t.text().len() - before, 10_000 * "250 2.0.0 OK\r\n".len());
}

#[test]
fn bad_commands_close_after_the_limit() {
    let mut h = Harness::new(cfg(), &accept_all);
    for _ in 0..1000 {
        h.feed(b"XYZZY\r\n");
    }
    let t = h.finish();
    assert_eq!(t.error, Some(Error::TooManyBadCommands));
    assert_eq!(t.count(|e| matches!(e, Event::BadCommand { .. })), 20);
    assert!(t.text().contains("421 4.7.0"));
}

#[test]
fn data_over_the_size_limit_is_not_delivered() {
    let mut h = Harness::new(cfg(), &accept_all);
    h.feed(b"EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n");
    let mut delivered = 0;
    for _ in 0..1000 {
        h.feed(&[b'x'; 1000]);
        h.feed(b"\r\n");
    }
    h.feed(b".\r\n");
    for e in &h.trace.events {
        if let Event::DataChunk(b) = e {
            delivered += b.len();
        }
    }
    let t = h.finish();
    assert!(t.text().contains("552 5.3.4"));
    assert_eq!(t.data_ends(), 0);
    // The harness merges chunks; what the app saw is bounded by the limit
    // plus one line before the abort was detected.
    assert!(delivered <= 4096 + 1002, "{delivered}");
}

/// Pieces hostile clients send.
fn fragment() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"EHLO x\r\n".to_vec()),
        Just(b"HELO x\r\n".to_vec()),
        Just(b"MAIL FROM:<a@b.example>\r\n".to_vec()),
        Just(b"RCPT TO:<c@d.example>\r\n".to_vec()),
        Just(b"DATA\r\n".to_vec()),
        Just(b"\r\n.\r\n".to_vec()),
        Just(b"\n.\n".to_vec()),
        Just(b"RSET\r\n".to_vec()),
        Just(b"NOOP\r\n".to_vec()),
        Just(b"HELP\r\n".to_vec()),
        Just(b"AUTH LOGIN\r\n".to_vec()),
        Just(b"AUTH PLAIN\r\n".to_vec()),
        Just(b"*\r\n".to_vec()),
        Just(b"STARTTLS\r\n".to_vec()),
        (0u64..10_000_000_000).prop_map(|n| format!("BDAT {n}\r\n").into_bytes()),
        (0u64..100).prop_map(|n| format!("BDAT {n} LAST\r\n").into_bytes()),
        (1usize..20_000).prop_map(|n| vec![b'A'; n]),
        proptest::collection::vec(any::<u8>(), 0..64),
    ]
}

fn limits_hold(input: &[u8], cuts: &[usize]) -> Result<(), TestCaseError> {
    let mut h = Harness::new(cfg(), &accept_all);
    let mut start = 0;
    let mut max_output_step = 0usize;
    for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
        let end = cut.clamp(start, input.len());
        let before = h.trace.text().len();
        h.feed(&input[start..end]);
        let lines = input[start..end].iter().filter(|b| **b == b'\n').count();
        let written = h.trace.text().len() - before;
        // Every reply answers a line, an over-long line, a chunk or the
        // end: at most ~300 bytes (the EHLO reply) per line, plus one.
        prop_assert!(
            written <= 400 * (lines + 1),
            "{written} bytes for {lines} lines"
        );
        max_output_step = max_output_step.max(written);
        start = end;
    }
    h.eof();
    let t = h.finish();
    let delivered: usize = t
        .events
        .iter()
        .map(|e| match e {
            Event::DataChunk(b) => b.len(),
            _ => 0,
        })
        .sum();
    prop_assert!(delivered <= input.len());
    // Refusals the server does not count (RFC 3030 §2 chunks after a failed
    // one, limits that are the server's own choice) are left out, and so
    // are failed SASL exchanges, which have their own limit; bad base64
    // counts (SECURITY.md A5, A7).
    let counted = t.count(|e| match e {
        Event::BadCommand { error } => !matches!(
            error,
            BadCommand::BadSequence("BDAT")
                | BadCommand::NoValidRecipients
                | BadCommand::MessageTooBig
                | BadCommand::TooManyRecipients
                | BadCommand::AuthenticationFailed
        ),
        _ => false,
    });
    let auth_failures = t.count(|e| {
        matches!(
            e,
            Event::BadCommand {
                error: BadCommand::AuthenticationFailed
            }
        )
    });
    prop_assert!(
        auth_failures <= 3,
        "{} failed authentications",
        auth_failures
    );
    prop_assert!(
        counted <= 20,
        "{} bad commands: {:?}\n{}",
        counted,
        t.events,
        t.text()
    );
    if t.error == Some(Error::TooManyBadCommands) {
        prop_assert_eq!(counted, 20);
    }
    prop_assert!(t.closed, "after EOF the server is closed");
    if let Some(error) = t.error {
        prop_assert!(matches!(
            error,
            Error::TooManyBadCommands
                | Error::TooManyAuthFailures
                | Error::ChunkTooBig
                | Error::MalformedBdat
                | Error::BareLineEnding
                | Error::PipelineOverflow
                | Error::PlaintextAfterStartTls
        ));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn limits_hold_for_hostile_streams(
        fragments in proptest::collection::vec(fragment(), 0..60),
        cuts in proptest::collection::vec(0usize..200_000, 0..20),
    ) {
        let input: Vec<u8> = fragments.concat();
        let mut cuts = cuts;
        cuts.sort_unstable();
        limits_hold(&input, &cuts)?;
    }

    #[test]
    fn limits_hold_for_random_bytes(
        input in proptest::collection::vec(any::<u8>(), 0..4096),
        cuts in proptest::collection::vec(0usize..4096, 0..20),
    ) {
        let mut cuts = cuts;
        cuts.sort_unstable();
        limits_hold(&input, &cuts)?;
    }
}
