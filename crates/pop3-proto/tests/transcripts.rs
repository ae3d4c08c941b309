//! Transcript replay (DESIGN.md "Tests"): the RFC examples and traces in
//! the style of real servers, replayed against our client (server lines
//! fed, client output compared) and our server (client lines fed, server
//! output compared), whole, byte by byte, at many split points and in
//! seeded random chunkings. Format: `support/transcript.rs`.

mod support;

use postwire_pop3_proto::client::Event as ClientEvent;
use postwire_pop3_proto::server::Event as ServerEvent;
use postwire_pop3_proto::{ResponseCode, Stat};
use support::messages;
use support::transcript::{replay_client, replay_server};

fn count(events: &[ClientEvent], f: impl Fn(&ClientEvent) -> bool) -> usize {
    events.iter().filter(|e| f(e)).count()
}

#[test]
fn client_rfc1939_10_example_session() {
    let events = replay_client("rfc1939_10_example_session.txt");
    assert!(matches!(
        &events[0],
        ClientEvent::Greeting { timestamp: Some(ts), .. } if ts.as_str() == "<1896.697170952@dbc.mtview.ca.us>"
    ));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ClientEvent::Authenticated { .. }))
    );
    assert!(events.iter().any(
        |e| matches!(e, ClientEvent::Stat { stat, .. } if *stat == Stat { count: 2, size: 320 })
    ));
    let bodies = messages(&events);
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0].len(), 120);
    assert_eq!(bodies[1].len(), 200);
    assert!(
        bodies[0]
            .windows(34)
            .any(|w| w == b"\r\n..a line that begins with a dot\r")
    );
    assert_eq!(events.last(), Some(&ClientEvent::Closed));
}

#[test]
fn server_rfc1939_10_example_session() {
    let events = replay_server("rfc1939_10_example_session.txt");
    let deleted = events
        .iter()
        .find_map(|e| match e {
            ServerEvent::Update { deleted, .. } => Some(deleted.clone()),
            _ => None,
        })
        .expect("UPDATE state");
    assert_eq!(deleted.len(), 2);
    assert_eq!(deleted[1].1.as_str(), "QhdPYR:00WBw1Ph7x7");
}

#[test]
fn client_rfc1939_5_7_commands() {
    let events = replay_client("rfc1939_5_7_commands.txt");
    // LIST 3, TOP 100 3, the second DELE 1 and RETR of a deleted message.
    assert_eq!(
        count(&events, |e| matches!(e, ClientEvent::Refused { .. })),
        4
    );
    let uidl = events
        .iter()
        .find_map(|e| match e {
            ClientEvent::Uidl { entries, .. } if entries.len() == 2 => Some(entries.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(uidl[0].uid.as_str(), "whqtswO00WBw418f9t5JxYwZ");
    let tops = messages(&events);
    assert_eq!(
        tops[0],
        b"Subject: one\r\nX-Spam: no\r\n\r\nline 1\r\nline 2\r\n"
    );
    assert_eq!(tops[1], b"Subject: one\r\nX-Spam: no\r\n\r\n");
    assert!(tops[2].ends_with(b"\r\n.line 3\r\n"));
}

#[test]
fn server_rfc1939_5_7_commands() {
    let events = replay_server("rfc1939_5_7_commands.txt");
    // The DELE was undone by RSET: nothing is deleted.
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ServerEvent::Update { deleted, .. } if deleted.is_empty()))
    );
}

#[test]
fn client_rfc2449_pipelining_writes_at_once_and_matches_in_order() {
    let events = replay_client("rfc2449_capa_pipelining.txt");
    let caps = events
        .iter()
        .find_map(|e| match e {
            ClientEvent::Capabilities { capabilities, .. } => Some(capabilities.clone()),
            _ => None,
        })
        .unwrap();
    assert!(caps.pipelining && caps.top && caps.uidl);
    assert_eq!(caps.implementation.as_deref(), Some("Shlemazle-Plotz-v302"));
    assert_eq!(
        messages(&events),
        vec![b"Subject: two\r\n\r\nbody\r\n".to_vec()]
    );
    assert_eq!(events.last(), Some(&ClientEvent::Closed));
}

#[test]
fn client_rfc2595_stls_then_capa_again() {
    let events = replay_client("rfc2595_stls.txt");
    let caps: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Capabilities { capabilities, .. } => Some(capabilities.clone()),
            _ => None,
        })
        .collect();
    assert!(caps[0].stls && !caps[0].user);
    assert!(!caps[1].stls && caps[1].user);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ClientEvent::TlsEstablished { id: Some(_) }))
    );
}

#[test]
fn server_rfc2595_stls_then_capa_again() {
    let events = replay_server("rfc2595_stls.txt");
    assert!(matches!(events[0], ServerEvent::StartTls { .. }));
}

#[test]
fn client_rfc5034_6_auth_plain_with_initial_response() {
    let events = replay_client("rfc5034_6_auth_plain.txt");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ClientEvent::Authenticated { .. }))
    );
}

#[test]
fn server_rfc5034_6_auth_plain_with_initial_response() {
    let events = replay_server("rfc5034_6_auth_plain.txt");
    assert!(events.iter().any(|e| matches!(
        e,
        ServerEvent::Auth { authentication, .. } if authentication.authzid.as_deref() == Some("test")
    )));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ServerEvent::OpenMaildrop { username, .. } if username == "test"))
    );
}

#[test]
fn client_rfc5034_4_auth_login_answers_challenges() {
    let events = replay_client("rfc5034_6_auth_login_challenges.txt");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ClientEvent::Authenticated { .. }))
    );
}

#[test]
fn server_rfc5034_4_auth_login_sends_challenges() {
    let events = replay_server("rfc5034_6_auth_login_challenges.txt");
    assert!(events.iter().any(|e| matches!(e, ServerEvent::Auth { .. })));
}

#[test]
fn client_dovecot_style_session_with_auth_failure_and_retry() {
    let events = replay_client("dovecot_style_session.txt");
    let failed = events
        .iter()
        .find_map(|e| match e {
            ClientEvent::AuthFailed { response, .. } => Some(response.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(failed.code(), Some(&ResponseCode::Auth));
    assert_eq!(
        count(&events, |e| matches!(e, ClientEvent::Authenticated { .. })),
        1
    );
    assert_eq!(
        messages(&events),
        vec![b"Return-Path: <alice@example.org>\r\nSubject: hello\r\n\r\n".to_vec()]
    );
}

#[test]
fn client_rfc6856_3_lang() {
    let events = replay_client("rfc6856_3_lang.txt");
    let languages: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Languages { languages, .. } => Some(languages.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(languages.len(), 1);
    assert_eq!(languages[0].len(), 1);
    assert_eq!(
        (
            languages[0][0].tag.as_str(),
            languages[0][0].description.as_str()
        ),
        ("en", "English")
    );
    assert_eq!(
        count(&events, |e| matches!(e, ClientEvent::Refused { .. })),
        1
    );
    assert!(
        events.iter().any(
            |e| matches!(e, ClientEvent::Ok { response, .. } if response.text() == "en English")
        )
    );
}

#[test]
fn server_rfc6856_3_lang() {
    replay_server("rfc6856_3_lang.txt");
    // And it says so in CAPA.
    let config = postwire_pop3_proto::server::ServerConfig::new("dewey.example");
    let server = postwire_pop3_proto::server::Server::new(support::t0(), config);
    assert!(server.capabilities().lang);
}
