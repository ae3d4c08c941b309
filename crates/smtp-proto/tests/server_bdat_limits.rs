//! BDAT chunks the server will not read (RFC 3030 §2, SECURITY.md SM-S5):
//! a chunk's octets follow its command line at once and must never be read
//! as commands, so a refused chunk is normally consumed and dropped. That
//! is bounded only while the chunk is: a chunk larger than
//! `max_message_size` (or than 64 bits) gets `552 5.3.4` before any octet
//! is read, then `421 4.7.0` and a close; a BDAT line whose size cannot be
//! read gets `501 5.5.4` and a close. Everything runs in one piece, cut at
//! every point and byte by byte.

mod server_support;

use postwire_core::Protocol;
use postwire_smtp_proto::server::{AbortReason, BadCommand, Error, Event, ServerConfig};
use server_support::{Harness, Out, Trace, accept_all, config, run_all_splits};

const ENVELOPE: &[u8] =
    b"EHLO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n";
/// What a hostile chunk would run if its octets were read as commands.
const INJECTED: &[u8] = b"MAIL FROM:<evil@example.net>\r\nRCPT TO:<victim@example.org>\r\n";
const TOO_BIG: &str = "552 5.3.4 Message size exceeds fixed maximum message size";
const CLOSING: &str =
    "421 4.7.0 mx.example.org Error: cannot skip the BDAT chunk, closing connection";

fn limited(max: u64) -> ServerConfig {
    let mut c = config();
    c.limits.max_message_size = max;
    c
}

fn input(prefix: &[u8], bdat: &str) -> Vec<u8> {
    let mut v = prefix.to_vec();
    v.extend_from_slice(bdat.as_bytes());
    v.extend_from_slice(INJECTED);
    v
}

/// The last two replies, the close, the error, and nothing run or
/// delivered after the BDAT line.
fn assert_closed_with(t: &Trace, first: &str, error: Error, mails_before: usize) {
    let r = t.replies();
    assert_eq!(&r[r.len() - 2..], [first, CLOSING], "{r:?}");
    assert_eq!(t.wire.last(), Some(&Out::Close));
    assert!(t.closed);
    assert_eq!(t.error, Some(error));
    assert_eq!(t.count(|e| matches!(e, Event::Mail { .. })), mails_before);
    assert_eq!(t.count(|e| matches!(e, Event::Rcpt { .. })), mails_before);
    assert_eq!(t.count(|e| matches!(e, Event::DataChunk(_))), 0);
    assert_eq!(t.data_ends(), 0);
}

#[test]
fn bdat_size_beyond_64_bits_gets_552_and_close_rfc3030_2() {
    for size in [
        "99999999999999999999",
        "18446744073709551616",
        "1".repeat(200).as_str(),
    ] {
        let t = run_all_splits(
            &config(),
            &accept_all,
            &input(ENVELOPE, &format!("BDAT {size} LAST\r\n")),
            false,
        );
        assert_closed_with(&t, TOO_BIG, Error::ChunkTooBig, 1);
        assert!(t.events.contains(&Event::BadCommand {
            error: BadCommand::MessageTooBig
        }));
    }
}

#[test]
fn bdat_chunk_over_the_size_limit_gets_552_before_it_is_read_rfc3030_2() {
    let t = run_all_splits(
        &limited(1000),
        &accept_all,
        &input(ENVELOPE, "BDAT 1001 LAST\r\n"),
        false,
    );
    assert_closed_with(&t, TOO_BIG, Error::ChunkTooBig, 1);
    // Exactly the limit is fine: the chunk is read and delivered.
    let mut exact = ENVELOPE.to_vec();
    exact.extend_from_slice(b"BDAT 1000 LAST\r\n");
    exact.extend_from_slice(&[b'x'; 1000]);
    exact.extend_from_slice(b"NOOP\r\n");
    let mut h = Harness::new(limited(1000), &accept_all);
    h.feed(&exact);
    let t = h.finish();
    assert_eq!(t.body(), vec![b'x'; 1000]);
    assert_eq!(t.data_ends(), 1);
    assert_eq!(t.replies().last().unwrap(), "250 2.0.0 OK");
    assert!(!t.closed);
}

#[test]
fn huge_bdat_closes_even_without_a_transaction_or_chunking() {
    // Without MAIL the chunk would be consumed and answered 503, without
    // CHUNKING 502: neither is bounded for a 2^64-octet chunk.
    let t = run_all_splits(
        &config(),
        &accept_all,
        &input(b"EHLO c.example\r\n", "BDAT 18446744073709551615\r\n"),
        false,
    );
    assert_closed_with(&t, TOO_BIG, Error::ChunkTooBig, 0);
    let mut c = config();
    c.extensions.chunking = false;
    let t = run_all_splits(
        &c,
        &accept_all,
        &input(ENVELOPE, "BDAT 4294967296 LAST\r\n"),
        false,
    );
    assert_closed_with(&t, TOO_BIG, Error::ChunkTooBig, 1);
}

#[test]
fn huge_chunk_after_accepted_chunks_aborts_the_message_rfc3030_2() {
    let mut prefix = ENVELOPE.to_vec();
    prefix.extend_from_slice(b"BDAT 3\r\nabc");
    let t = run_all_splits(
        &limited(1000),
        &accept_all,
        &input(&prefix, "BDAT 5000 LAST\r\n"),
        false,
    );
    assert_closed_with(&t, TOO_BIG, Error::ChunkTooBig, 1);
    assert!(t.events.contains(&Event::DataAborted {
        reason: AbortReason::ChunkRefused
    }));
}

#[test]
fn malformed_bdat_gets_501_and_close_so_its_chunk_never_runs_rfc3030_2() {
    // Where the chunk ends is unknown: reading on would run its octets as
    // commands (the smuggling RFC 3030's exact counts exist to prevent).
    for line in [
        "BDAT 5 X\r\n",
        "BDAT abc\r\n",
        "BDAT -1 LAST\r\n",
        "BDAT\r\n",
        "BDAT 5 LAST LAST\r\n",
        "bdat 0x10\r\n",
    ] {
        let t = run_all_splits(&config(), &accept_all, &input(ENVELOPE, line), false);
        assert_closed_with(
            &t,
            "501 5.5.4 Syntax: BDAT count [LAST]",
            Error::MalformedBdat,
            1,
        );
        assert!(
            t.events.iter().any(|e| matches!(
                e,
                Event::BadCommand {
                    error: BadCommand::Syntax(_)
                }
            )),
            "{line:?}"
        );
    }
}

#[test]
fn chunks_within_the_limit_that_pass_it_together_are_read_then_refused_rfc1870_6() {
    // Each chunk is bounded by the limit, so discarding it is too: the
    // session goes on after the 552 (RFC 3030 §2 failed transaction).
    let mut all = ENVELOPE.to_vec();
    all.extend_from_slice(b"BDAT 8\r\n12345678BDAT 8 LAST\r\n");
    all.extend_from_slice(b"MAIL FRO");
    all.extend_from_slice(b"NOOP\r\n");
    let t = run_all_splits(&limited(10), &accept_all, &all, false);
    let r = t.replies();
    assert_eq!(&r[r.len() - 2..], [TOO_BIG, "250 2.0.0 OK"]);
    assert_eq!(t.count(|e| matches!(e, Event::Mail { .. })), 1);
    assert!(!t.closed);
    assert_eq!(t.error, None);
}

#[test]
fn nothing_is_read_after_the_close() {
    let mut h = Harness::new(limited(100), &accept_all);
    h.feed(&input(ENVELOPE, "BDAT 101\r\n"));
    let t0 = h.t0;
    for _ in 0..16 {
        assert_eq!(
            h.server.handle_input(t0, &INJECTED.repeat(100)),
            Err(Error::ChunkTooBig)
        );
    }
    let t = h.finish();
    assert_eq!(t.count(|e| matches!(e, Event::Mail { .. })), 1);
}
