//! Transcript replay (DESIGN.md "Tests"): RFC examples and traces in the
//! style of real servers, replayed against our client (server bytes fed,
//! client output compared) and our server (client bytes fed, server output
//! compared), in many chunkings. Format: `transcript_support/mod.rs`.

mod transcript_support;

use postwire_smtp_proto::client::Event as ClientEvent;
use postwire_smtp_proto::server::Event as ServerEvent;
use transcript_support::{Plan, load, parse, replay_client, replay_server, run_client, run_server};

fn accepted(events: &[ClientEvent]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, ClientEvent::MessageAccepted { .. }))
        .count()
}

fn envelope_indexes(events: &[ClientEvent]) -> Vec<(Vec<usize>, Vec<usize>)> {
    events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Envelope { result, .. } => Some((
                result.accepted.clone(),
                result.refused.iter().map(|(i, _)| *i).collect(),
            )),
            _ => None,
        })
        .collect()
}

// ---- client replays ----

#[test]
fn client_rfc5321_d1_typical_transaction() {
    let events = replay_client("rfc5321_d1_typical.txt");
    assert_eq!(envelope_indexes(&events), vec![(vec![0, 2], vec![1])]);
    assert_eq!(accepted(&events), 1);
    assert_eq!(events.last(), Some(&ClientEvent::Closed));
}

#[test]
fn client_rfc5321_d1_against_our_server_words() {
    let events = replay_client("rfc5321_d1_typical_server.txt");
    assert_eq!(accepted(&events), 1);
}

#[test]
fn client_rfc5321_d2_aborted_transaction_sends_rset() {
    let events = replay_client("rfc5321_d2_aborted.txt");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ClientEvent::TransactionFailed { reply, .. } if reply.code().get() == 550)),
        "{events:?}"
    );
    assert_eq!(accepted(&events), 0);
}

#[test]
fn client_rfc5321_d3_relayed_mail() {
    assert_eq!(accepted(&replay_client("rfc5321_d3_relay.txt")), 1);
}

#[test]
fn client_rfc5321_d4_verify_then_send() {
    let events = replay_client("rfc5321_d4_verify.txt");
    assert!(events.iter().any(
        |e| matches!(e, ClientEvent::Reply { reply, .. } if reply.text().contains("Admin.MRC@foo.com"))
    ));
    assert_eq!(accepted(&events), 1);
}

#[test]
fn client_rfc2920_3_2_pipelined_envelope_and_quit() {
    let events = replay_client("rfc2920_3_2_pipelining.txt");
    assert_eq!(envelope_indexes(&events), vec![(vec![0, 1, 2], vec![])]);
    assert_eq!(accepted(&events), 1);
}

#[test]
fn client_rfc2920_3_3_pipelining_with_a_refused_recipient() {
    let events = replay_client("rfc2920_3_3_pipelining_error.txt");
    assert_eq!(envelope_indexes(&events), vec![(vec![1, 2], vec![0])]);
    assert_eq!(accepted(&events), 1);
}

#[test]
fn client_rfc2920_3_3_no_valid_recipients() {
    let events = replay_client("rfc2920_3_3_no_valid_recipients.txt");
    assert_eq!(accepted(&events), 0);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ClientEvent::TransactionFailed { .. }))
    );
}

#[test]
fn client_rfc3030_bdat_with_pipelining() {
    assert_eq!(accepted(&replay_client("rfc3030_bdat_pipelined.txt")), 1);
}

#[test]
fn client_rfc3030_4_2_binarymime_goes_unaltered() {
    assert_eq!(accepted(&replay_client("rfc3030_4_2_binarymime.txt")), 1);
}

#[test]
fn client_rfc2033_4_2_lmtp_per_recipient_replies() {
    let events = replay_client("rfc2033_4_2_lmtp.txt");
    let replies = events
        .iter()
        .find_map(|e| match e {
            ClientEvent::LmtpDelivery { replies, .. } => Some(replies.clone()),
            _ => None,
        })
        .expect("LmtpDelivery");
    let codes: Vec<(usize, u16)> = replies.iter().map(|(i, r)| (*i, r.code().get())).collect();
    assert_eq!(codes, vec![(0, 250), (2, 452)]);
}

#[test]
fn client_rfc2033_lmtp_against_our_server_words() {
    let events = replay_client("rfc2033_4_2_lmtp_server.txt");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ClientEvent::LmtpDelivery { .. }))
    );
}

#[test]
fn client_rfc3207_starttls_then_new_ehlo() {
    let events = replay_client("rfc3207_starttls.txt");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ClientEvent::TlsEstablished { id: Some(_) }))
    );
    assert_eq!(accepted(&events), 1);
}

#[test]
fn client_rfc3207_against_our_server_words() {
    replay_client("rfc3207_starttls_server.txt");
}

#[test]
fn client_rfc4954_auth_plain_initial_response() {
    let events = replay_client("rfc4954_auth_plain.txt");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ClientEvent::Authenticated { .. }))
    );
}

#[test]
fn client_postfix_session_with_bdat() {
    let events = replay_client("postfix_session.txt");
    assert_eq!(envelope_indexes(&events), vec![(vec![0, 2], vec![1])]);
    assert!(events.iter().any(
        |e| matches!(e, ClientEvent::MessageAccepted { reply, .. } if reply.text().contains("queued as 4Z1abc"))
    ));
}

#[test]
fn client_postfix_two_messages_with_data() {
    assert_eq!(accepted(&replay_client("postfix_data.txt")), 2);
}

#[test]
fn client_gmail_session_xoauth2_retry() {
    let events = replay_client("gmail_session.txt");
    let auth: Vec<u16> = events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::AuthFailed { reply, .. } => Some(reply.code().get()),
            ClientEvent::Authenticated { .. } => Some(235),
            _ => None,
        })
        .collect();
    assert_eq!(auth, vec![535, 235]);
    assert_eq!(accepted(&events), 1);
}

#[test]
fn client_outlook_session_530_then_xoauth2() {
    let events = replay_client("outlook_session.txt");
    assert!(events.iter().any(
        |e| matches!(e, ClientEvent::TransactionFailed { reply, .. } if reply.code().get() == 530)
    ));
    assert_eq!(accepted(&events), 1);
}

// ---- server replays ----

#[test]
fn server_rfc5321_d1_typical_transaction() {
    let seen = replay_server("rfc5321_d1_typical_server.txt");
    assert_eq!(
        seen.messages,
        vec![b"Blah blah blah...\r\n..etc. etc. etc.\r\n".to_vec()]
    );
}

#[test]
fn server_rfc5321_d2_aborted_transaction() {
    let seen = replay_server("rfc5321_d2_aborted_server.txt");
    assert!(seen.messages.is_empty());
    assert!(
        seen.events
            .iter()
            .any(|e| matches!(e, ServerEvent::Rset { .. }))
    );
}

#[test]
fn server_rfc2920_pipelined_client_gets_replies_in_order() {
    let seen = replay_server("rfc2920_server.txt");
    assert_eq!(
        seen.messages,
        vec![b"Subject: caf\xc3\xa9\r\n\r\n.\xe9t\xe9\r\n".to_vec()]
    );
}

#[test]
fn server_rfc3030_4_1_bdat_last() {
    let seen = replay_server("rfc3030_4_1_bdat_server.txt");
    assert_eq!(seen.messages.len(), 1);
    assert_eq!(seen.messages[0].len(), 86);
}

#[test]
fn server_rfc3030_4_2_binarymime_bytes_arrive_unaltered() {
    let seen = replay_server("rfc3030_4_2_binarymime_server.txt");
    assert_eq!(
        seen.messages,
        vec![b"\x00\x01\n.\n\r.\r\xff\xfe\r\n.\r\nMAIL FROM:".to_vec()]
    );
    // The "MAIL FROM:" inside the second chunk is content, never a command.
    let mails = seen
        .events
        .iter()
        .filter(|e| matches!(e, ServerEvent::Mail { .. }))
        .count();
    assert_eq!(mails, 1);
}

#[test]
fn server_rfc2033_4_2_lmtp() {
    let seen = replay_server("rfc2033_4_2_lmtp_server.txt");
    assert!(
        seen.events
            .iter()
            .any(|e| matches!(e, ServerEvent::DataEnd { recipients: 2, .. }))
    );
}

#[test]
fn server_rfc3207_starttls() {
    let seen = replay_server("rfc3207_starttls_server.txt");
    let helos = seen
        .events
        .iter()
        .filter(|e| matches!(e, ServerEvent::Helo { .. }))
        .count();
    assert_eq!(helos, 2);
}

#[test]
fn server_rfc4954_auth_plain_login_cancel() {
    let seen = replay_server("rfc4954_auth_server.txt");
    let auths = seen
        .events
        .iter()
        .filter(|e| matches!(e, ServerEvent::Auth { .. }))
        .count();
    assert_eq!(
        auths, 2,
        "the wrong LOGIN and the right PLAIN reach the app"
    );
}

// ---- the harness itself can fail ----

#[test]
#[should_panic(expected = "server output differs")]
fn a_wrong_server_line_fails_the_replay() {
    let t = parse(
        "inline",
        "% replay server\nS: 220 mx.example.org ESMTP ready\nC: NOOP\nS: 250 2.0.0 Okay\n",
    );
    run_server(&t, Plan::Whole);
}

#[test]
#[should_panic(expected = "client output differs")]
fn a_wrong_client_line_fails_the_replay() {
    let t = parse(
        "inline",
        "% replay client\nS: 220 x ESMTP\n@ ehlo\nC: HELO client.example\n",
    );
    run_client(&t, Plan::Whole);
}

#[test]
fn every_transcript_file_is_replayed_by_a_test() {
    let dir = format!("{}/tests/transcripts", env!("CARGO_MANIFEST_DIR"));
    let this = include_str!("transcripts.rs");
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let t = load(&name);
        assert!(!t.replay.is_empty(), "{name} has no % replay line");
        assert!(
            this.contains(&format!("\"{name}\"")),
            "{name} is not replayed"
        );
    }
}

#[test]
fn client_multiline_greeting_and_refused_pipelined_mail_rfc2920() {
    let events = replay_client("pipelining_mail_refused.txt");
    assert!(matches!(&events[0], ClientEvent::Greeting { reply } if reply.lines().len() == 3));
    assert!(events.iter().any(
        |e| matches!(e, ClientEvent::TransactionFailed { reply, .. } if reply.code().get() == 530)
    ));
    assert_eq!(accepted(&events), 1);
}

#[test]
fn client_lone_dot_after_354_without_recipients_rfc2920_3_1() {
    let events = replay_client("rfc2920_3_1_354_without_recipients.txt");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ClientEvent::TransactionFailed { .. }))
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, ClientEvent::ReadyForBody { .. }))
    );
}

#[test]
fn client_refused_bdat_chunk_fails_the_transaction_rfc3030_2() {
    let events = replay_client("bdat_chunk_refused.txt");
    assert!(events.iter().any(
        |e| matches!(e, ClientEvent::TransactionFailed { reply, .. } if reply.code().get() == 552)
    ));
}

#[test]
fn client_lmtp_with_a_deferred_recipient_rfc2033() {
    let events = replay_client("lmtp_452_deferred.txt");
    assert_eq!(envelope_indexes(&events), vec![(vec![1], vec![])]);
    assert!(events.iter().any(|e| matches!(e, ClientEvent::LmtpDelivery { replies, .. } if replies.len() == 1 && replies[0].0 == 1)));
}

#[test]
fn client_temporary_failure_to_data_resets() {
    let events = replay_client("data_end_451_rset.txt");
    assert!(events.iter().any(
        |e| matches!(e, ClientEvent::TransactionFailed { reply, .. } if reply.code().get() == 451)
    ));
}

#[test]
fn client_exchange_legacy_keywords_and_auth_login() {
    let events = replay_client("exchange2010_auth_login.txt");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ClientEvent::Authenticated { .. }))
    );
    assert_eq!(accepted(&events), 1);
}

#[test]
fn server_answering_like_postfix() {
    let seen = replay_server("postfix_style_server.txt");
    assert_eq!(
        seen.messages,
        vec![
            "Subject: Gr\u{fc}\u{df}e\r\n\r\n.dot\r\n\u{e4}\r\n"
                .as_bytes()
                .to_vec()
        ]
    );
}

#[test]
fn client_against_our_server_answering_like_postfix() {
    let events = replay_client("postfix_style_server.txt");
    assert_eq!(envelope_indexes(&events), vec![(vec![0], vec![1])]);
    assert_eq!(accepted(&events), 1);
}
