//! Our client against our server, in memory, on a simulated clock, with
//! every transfer cut at random (DESIGN.md "Tests": `Pair<Client, Server>`).

mod support;

use std::time::Duration;

use bytes::Bytes;
use postwire_core::{ChannelBinding, Protocol, TlsInfo, TlsVersion};
use postwire_pop3_proto::client::{Error as ClientError, Event as ClientEvent, TlsPolicy};
use postwire_pop3_proto::server::{
    Error as ServerError, Event as ServerEvent, Mechanism, ServerConfig, SessionState,
};
use postwire_pop3_proto::{Response, ResponseCode, Stat};
use postwire_sasl::client::Credentials;
use support::{Answer, Pair, messages, n, normalize, plaintext_client, server_config};

fn tls_client() -> postwire_pop3_proto::client::ClientConfig {
    postwire_pop3_proto::client::ClientConfig::default()
}

/// The whole RFC 1939 session with STLS first, for a given seed.
fn full_session(seed: Option<u64>) -> Pair {
    let mut pair = Pair::new(tls_client(), server_config(), seed);
    pair.call(|c, now| c.capa(now)).unwrap();
    pair.call(|c, now| c.stls(now)).unwrap();
    pair.call(|c, now| c.capa(now)).unwrap();
    pair.login();
    pair.call(|c, now| c.stat(now)).unwrap();
    pair.call(|c, now| c.list(now, None)).unwrap();
    pair.call(|c, now| c.uidl(now, None)).unwrap();
    pair.call(|c, now| c.retr(now, n(1))).unwrap();
    pair.call(|c, now| c.retr(now, n(2))).unwrap();
    pair.call(|c, now| c.top(now, n(2), 1)).unwrap();
    pair.call(|c, now| c.dele(now, n(1))).unwrap();
    pair.call(|c, now| c.quit(now)).unwrap();
    pair
}

#[test]
fn full_session_over_stls_rfc1939_and_rfc2595() {
    let pair = full_session(None);
    assert_eq!(pair.client_error, None);
    assert_eq!(pair.server_error, None);
    let events = &pair.client_events;
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ClientEvent::TlsEstablished { id: Some(_) }))
    );
    let size = pair
        .store
        .messages
        .iter()
        .map(|(_, b)| b.len() as u64)
        .sum();
    assert!(
        events.iter().any(
            |e| matches!(e, ClientEvent::Stat { stat, .. } if *stat == Stat { count: 2, size })
        )
    );
    let bodies = messages(events);
    assert_eq!(bodies[0], pair.store.messages[0].1);
    assert_eq!(bodies[1], pair.store.messages[1].1);
    assert_eq!(bodies[2], b"Subject: two\r\n\r\n.leading dot\r\n");
    assert_eq!(pair.store.deleted, ["uid-1"]);
    assert_eq!(events.last(), Some(&ClientEvent::Closed));
    assert!(pair.server.is_closed() && pair.client.is_closed());
}

#[test]
fn session_events_do_not_depend_on_how_bytes_are_cut() {
    let reference = full_session(None);
    let reference_events = normalize(reference.client_events.clone());
    for seed in 1..40 {
        let pair = full_session(Some(seed));
        assert_eq!(
            normalize(pair.client_events.clone()),
            reference_events,
            "seed {seed}"
        );
        assert_eq!(pair.server_events, reference.server_events, "seed {seed}");
        assert_eq!(pair.s2c, reference.s2c, "seed {seed}");
        assert_eq!(pair.c2s, reference.c2s, "seed {seed}");
    }
}

#[test]
fn retr_with_dot_lines_round_trips_byte_exact_rfc1939_3() {
    let bodies: Vec<&[u8]> = vec![
        b".\r\n",
        b"..\r\n.\r\n..\r\n",
        b"a\r\n.\r\nb\r\n",
        b".starts\r\n\r\n.\r\n.. two\r\nno final newline\r\n",
        b"",
        b"\r\n.\r\n\r\n",
    ];
    for chunk in [1, 2, 3, 7, 64] {
        for seed in 0..8 {
            let mut pair = Pair::new(plaintext_client(), plaintext_server(), Some(seed));
            pair.store.chunk = chunk;
            pair.store.messages = bodies
                .iter()
                .enumerate()
                .map(|(i, b)| (format!("u{i}"), b.to_vec()))
                .collect();
            pair.login();
            for i in 0..bodies.len() {
                pair.call(|c, now| c.retr(now, n(i as u32 + 1))).unwrap();
            }
            assert_eq!(
                messages(&pair.client_events),
                bodies,
                "chunk {chunk} seed {seed}"
            );
        }
    }
}

#[test]
fn content_without_final_crlf_gets_one_rfc1939_3() {
    let mut pair = Pair::new(plaintext_client(), plaintext_server(), None);
    pair.store.messages = vec![("u".into(), b"Subject: x\r\n\r\nno newline".to_vec())];
    pair.login();
    pair.call(|c, now| c.retr(now, n(1))).unwrap();
    assert_eq!(
        messages(&pair.client_events),
        vec![b"Subject: x\r\n\r\nno newline\r\n".to_vec()]
    );
}

fn plaintext_server() -> ServerConfig {
    let mut config = server_config();
    config.allow_plaintext_auth = true;
    config
}

#[test]
fn pipelining_sends_everything_in_one_write_rfc2449_6_6() {
    let mut pair = Pair::new(plaintext_client(), plaintext_server(), None);
    pair.call(|c, now| c.capa(now)).unwrap();
    assert!(pair.client.capabilities().unwrap().pipelining);
    let before = pair.c2s.len();
    let now = pair.now;
    pair.client.login(now, "mrose", "tanstaaf").unwrap();
    pair.client.stat(now).unwrap();
    pair.client.uidl(now, None).unwrap();
    pair.client.retr(now, n(1)).unwrap();
    pair.client.quit(now).unwrap();
    let mut writes = Vec::new();
    while let Some(t) = pair.client.poll_transmit() {
        writes.push(t);
    }
    assert_eq!(writes.len(), 1, "{writes:?}");
    let postwire_core::Transmit::Data(bytes) = &writes[0] else {
        panic!()
    };
    assert_eq!(
        &bytes[..],
        b"USER mrose\r\nPASS tanstaaf\r\nSTAT\r\nUIDL\r\nRETR 1\r\nQUIT\r\n"
    );
    // Deliver it and let both sides finish.
    pair.c2s.extend_from_slice(bytes);
    let now = pair.now;
    pair.server.handle_input(now, bytes).unwrap();
    pair.pump();
    assert!(pair.c2s.len() > before);
    let events = &pair.client_events;
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ClientEvent::Authenticated { .. }))
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ClientEvent::Uidl { entries, .. } if entries.len() == 2))
    );
    assert_eq!(messages(events).len(), 1);
    assert_eq!(events.last(), Some(&ClientEvent::Closed));
}

#[test]
fn without_pipelining_commands_wait_for_each_answer() {
    let mut config = plaintext_server();
    config.pipelining = false;
    let mut pair = Pair::new(plaintext_client(), config, None);
    pair.call(|c, now| c.capa(now)).unwrap();
    assert!(!pair.client.capabilities().unwrap().pipelining);
    let now = pair.now;
    pair.client.login(now, "mrose", "tanstaaf").unwrap();
    pair.client.stat(now).unwrap();
    let first = support::written(&mut pair.client);
    assert_eq!(first, b"USER mrose\r\n");
    assert_eq!(pair.client.outstanding(), 3);
    pair.server.handle_input(now, &first).unwrap();
    let answer = support::server_written(&mut pair.server);
    pair.client.handle_input(now, &answer).unwrap();
    assert_eq!(support::written(&mut pair.client), b"PASS tanstaaf\r\n");
}

#[test]
fn sasl_picks_scram_and_the_server_verifies_it_rfc5034() {
    let mut pair = Pair::new(tls_client(), server_config(), Some(3));
    pair.call(|c, now| c.stls(now)).unwrap();
    pair.call(|c, now| c.capa(now)).unwrap();
    let credentials = Credentials::password("mrose", "tanstaaf");
    let id = pair.call(|c, now| c.auth_with(now, &credentials)).unwrap();
    assert!(
        pair.client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::Authenticated { id: i, .. } if *i == id)),
        "{:?} {:?}",
        pair.client_events,
        pair.server_events
    );
    assert!(pair.server_events.iter().any(|e| matches!(
        e,
        ServerEvent::Auth { mechanism: Mechanism::ScramSha256, authentication, .. } if authentication.is_verified()
    )));
    assert!(
        pair.server_events
            .iter()
            .any(|e| matches!(e, ServerEvent::AuthSecret { .. }))
    );
    assert_eq!(pair.server.state(), SessionState::Transaction);
}

#[test]
fn scram_plus_uses_the_channel_binding_of_the_tls_handshake() {
    let mut config = server_config();
    config.sasl.insert(0, Mechanism::ScramSha256Plus);
    let mut pair = Pair::new(tls_client(), config, None);
    let mut info = TlsInfo::new(TlsVersion::Tls13);
    let mut binding = ChannelBinding::default();
    binding.tls_exporter = Some(Bytes::from_static(&[7; 32]));
    info.channel_binding = binding;
    pair.tls_info = info;
    pair.call(|c, now| c.stls(now)).unwrap();
    pair.call(|c, now| c.capa(now)).unwrap();
    assert!(
        pair.client
            .capabilities()
            .unwrap()
            .has_sasl("SCRAM-SHA-256-PLUS")
    );
    let credentials = Credentials::password("mrose", "tanstaaf");
    pair.call(|c, now| c.auth_with(now, &credentials)).unwrap();
    assert!(pair.server_events.iter().any(|e| matches!(
        e,
        ServerEvent::Auth {
            mechanism: Mechanism::ScramSha256Plus,
            ..
        }
    )));
    assert!(pair.client.is_authenticated());
}

#[test]
fn scram_plus_is_not_offered_without_binding_data() {
    let mut config = server_config();
    config.sasl.insert(0, Mechanism::ScramSha256Plus);
    let mut pair = Pair::new(tls_client(), config, None);
    pair.call(|c, now| c.stls(now)).unwrap();
    pair.call(|c, now| c.capa(now)).unwrap();
    let caps = pair.client.capabilities().unwrap();
    assert!(!caps.has_sasl("SCRAM-SHA-256-PLUS") && caps.has_sasl("SCRAM-SHA-256"));
}

#[test]
fn wrong_scram_password_fails_like_an_unknown_user() {
    for (user, password) in [("mrose", "wrong"), ("nobody", "tanstaaf")] {
        let mut pair = Pair::new(tls_client(), server_config(), None);
        pair.call(|c, now| c.stls(now)).unwrap();
        pair.call(|c, now| c.capa(now)).unwrap();
        let credentials = Credentials::password(user, password);
        pair.call(|c, now| c.auth_with(now, &credentials)).unwrap();
        let failed = pair
            .client_events
            .iter()
            .find_map(|e| match e {
                ClientEvent::AuthFailed { response, .. } => Some(response.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{user}: {:?} {:?}", pair.client_events, pair.client_error));
        assert_eq!(failed.code(), Some(&ResponseCode::Auth), "{user}");
        assert_eq!(pair.server.state(), SessionState::Authorization);
    }
}

#[test]
fn apop_verified_by_the_machine_rfc1939_7() {
    for (secret, ok) in [("tanstaaf", true), ("wrong", false)] {
        let mut config = plaintext_server();
        config.sasl.clear();
        let mut pair = Pair::with_timestamp(
            plaintext_client(),
            config,
            None,
            Some("<1896.697170952@dbc.mtview.ca.us>"),
        );
        pair.call(|c, now| c.apop(now, "mrose", secret)).unwrap();
        assert_eq!(pair.client.is_authenticated(), ok, "{secret}");
        assert!(pair.c2s.starts_with(b"APOP mrose "));
        if ok {
            assert!(
                pair.c2s
                    .starts_with(b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n")
            );
        }
    }
}

#[test]
fn maildrop_lock_failure_is_in_use_and_login_can_be_retried_rfc2449_8_1_1() {
    let mut refused = false;
    let mut pair =
        Pair::new(plaintext_client(), plaintext_server(), None).with_app(move |e| match e {
            ServerEvent::OpenMaildrop { .. } if !refused => {
                refused = true;
                Some(Answer::Reject)
            }
            _ => None,
        });
    let id = pair
        .call(|c, now| c.login(now, "mrose", "tanstaaf"))
        .unwrap();
    let failed = pair
        .client_events
        .iter()
        .find_map(|e| match e {
            ClientEvent::AuthFailed { id: i, response } if *i == id => Some(response.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(failed.code(), Some(&ResponseCode::InUse));
    assert_eq!(pair.server.state(), SessionState::Authorization);
    pair.login();
    assert_eq!(pair.server.state(), SessionState::Transaction);
    assert_eq!(pair.server.username(), Some("mrose"));
}

#[test]
fn dele_marks_rset_unmarks_and_deleted_messages_are_refused_rfc1939_5() {
    let mut pair = Pair::new(plaintext_client(), plaintext_server(), None);
    pair.login();
    pair.call(|c, now| c.dele(now, n(1))).unwrap();
    pair.take_events();
    for call in 0..4 {
        pair.call(|c, now| match call {
            0 => c.retr(now, n(1)),
            1 => c.top(now, n(1), 0),
            2 => c.list(now, Some(n(1))),
            _ => c.dele(now, n(1)),
        })
        .unwrap();
    }
    let events = pair.take_events();
    assert_eq!(events.len(), 4);
    assert!(
        events
            .iter()
            .all(|e| matches!(e, ClientEvent::Refused { .. })),
        "{events:?}"
    );
    pair.call(|c, now| c.stat(now)).unwrap();
    pair.call(|c, now| c.uidl(now, None)).unwrap();
    let events = pair.take_events();
    assert!(matches!(&events[0], ClientEvent::Stat { stat, .. } if stat.count == 1));
    assert!(
        matches!(&events[1], ClientEvent::Uidl { entries, .. } if entries.len() == 1 && entries[0].msg == n(2))
    );
    pair.call(|c, now| c.rset(now)).unwrap();
    pair.call(|c, now| c.stat(now)).unwrap();
    let events = pair.take_events();
    assert!(matches!(&events[1], ClientEvent::Stat { stat, .. } if stat.count == 2));
}

#[test]
fn dropped_connection_deletes_nothing_rfc1939_6() {
    let mut pair = Pair::new(plaintext_client(), plaintext_server(), None);
    pair.login();
    pair.call(|c, now| c.dele(now, n(1))).unwrap();
    let now = pair.now;
    pair.server.handle_eof(now).unwrap();
    let events = support::server_events(&mut pair.server);
    assert!(events.contains(&ServerEvent::Disconnected {
        maildrop_open: true
    }));
    assert!(
        !pair
            .server_events
            .iter()
            .any(|e| matches!(e, ServerEvent::Update { .. }))
    );
    assert!(pair.store.deleted.is_empty());
    assert!(pair.server.is_closed());
}

#[test]
fn quit_in_authorization_deletes_nothing_and_closes() {
    let mut pair = Pair::new(plaintext_client(), plaintext_server(), None);
    pair.call(|c, now| c.quit(now)).unwrap();
    assert!(pair.server_events.contains(&ServerEvent::Disconnected {
        maildrop_open: false
    }));
    assert_eq!(pair.client_events.last(), Some(&ClientEvent::Closed));
}

#[test]
fn update_failure_is_reported_with_sys_temp_rfc3206() {
    let mut pair = Pair::new(plaintext_client(), plaintext_server(), None).with_app(|e| match e {
        ServerEvent::Update { .. } => Some(Answer::Reply(
            Response::err("some deleted messages not removed")
                .unwrap()
                .with_code(ResponseCode::SysTemp),
        )),
        _ => None,
    });
    pair.login();
    pair.call(|c, now| c.dele(now, n(2))).unwrap();
    pair.call(|c, now| c.quit(now)).unwrap();
    let refused = pair
        .client_events
        .iter()
        .find_map(|e| match e {
            ClientEvent::Refused { response, .. } => Some(response.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(refused.code(), Some(&ResponseCode::SysTemp));
    assert_eq!(pair.client_events.last(), Some(&ClientEvent::Closed));
}

#[test]
fn server_autologout_after_ten_minutes_rfc1939_3() {
    let mut pair = Pair::new(plaintext_client(), plaintext_server(), None);
    pair.login();
    pair.advance(Duration::from_secs(9 * 60 + 59));
    assert_eq!(pair.server_error, None);
    pair.advance(Duration::from_secs(1));
    assert_eq!(pair.server_error, Some(ServerError::IdleTimeout));
    assert!(pair.server_events.contains(&ServerEvent::Disconnected {
        maildrop_open: true
    }));
    // The client saw the connection close while idle: not an error.
    assert_eq!(pair.client_error, None);
    assert_eq!(pair.client_events.last(), Some(&ClientEvent::Closed));
}

#[test]
fn client_times_out_when_the_server_never_answers() {
    let mut pair = Pair::new(plaintext_client(), plaintext_server(), None)
        .with_app(|e| matches!(e, ServerEvent::Login { .. }).then_some(Answer::Later));
    pair.call(|c, now| c.login(now, "mrose", "tanstaaf"))
        .unwrap();
    pair.advance(Duration::from_secs(10 * 60));
    assert!(
        matches!(pair.client_error, Some(ClientError::Timeout(_))),
        "{:?}",
        pair.client_error
    );
}

#[test]
fn failed_login_answer_is_delayed_sec_a7() {
    let mut config = plaintext_server();
    config.timeouts.auth_failure_delay = Duration::from_secs(2);
    let mut pair = Pair::new(plaintext_client(), config, None);
    let id = pair.call(|c, now| c.login(now, "mrose", "wrong")).unwrap();
    let failed = |pair: &Pair| {
        pair.client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::AuthFailed { id: i, .. } if *i == id))
    };
    assert!(!failed(&pair));
    pair.advance(Duration::from_millis(1999));
    assert!(!failed(&pair));
    pair.advance(Duration::from_millis(1));
    assert!(failed(&pair));
    // The session goes on after the delay.
    pair.login();
}

#[test]
fn opportunistic_client_goes_on_after_a_refused_stls() {
    let mut client = tls_client();
    client.tls = TlsPolicy::Opportunistic;
    client.allow_plaintext_auth = true;
    let mut pair = Pair::new(client, plaintext_server(), None)
        .with_app(|e| matches!(e, ServerEvent::StartTls { .. }).then_some(Answer::Reject));
    let id = pair.call(|c, now| c.stls(now)).unwrap();
    assert!(
        pair.client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::Refused { id: i, .. } if *i == id))
    );
    pair.login();
    assert!(!pair.client.is_tls());
}

#[test]
fn apop_needs_a_timestamp_in_the_greeting_rfc1939_7() {
    let mut pair = Pair::new(plaintext_client(), plaintext_server(), None);
    assert_eq!(
        pair.call(|c, now| c.apop(now, "mrose", "tanstaaf")),
        Err(postwire_pop3_proto::client::UsageError::NoTimestamp)
    );
    // And the server without one refuses APOP.
    let now = pair.now;
    pair.server
        .handle_input(now, b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n")
        .unwrap();
    assert_eq!(
        support::server_written(&mut pair.server),
        b"-ERR APOP not supported\r\n"
    );
}

#[test]
fn a_message_that_cannot_be_read_mid_stream_closes_without_deleting() {
    let mut pair = Pair::new(plaintext_client(), plaintext_server(), None)
        .with_app(|e| matches!(e, ServerEvent::Retrieve { .. }).then_some(Answer::Later));
    pair.login();
    pair.call(|c, now| c.dele(now, n(2))).unwrap();
    pair.call(|c, now| c.retr(now, n(1))).unwrap();
    let Some(ServerEvent::Retrieve { id, .. }) = pair.pending.pop() else {
        panic!()
    };
    pair.server.message_data(id, b"Subject: half").unwrap();
    assert_eq!(
        pair.server.reject(id),
        Err(postwire_pop3_proto::server::UsageError::WrongAnswer(id))
    );
    pair.server.abort_message(id).unwrap();
    pair.pump();
    assert!(pair.server.is_closed());
    assert!(pair.server_events.contains(&ServerEvent::Disconnected {
        maildrop_open: true
    }));
    assert!(pair.store.deleted.is_empty());
    // The client saw the message cut off: an error, not a message.
    assert!(matches!(
        pair.client_error,
        Some(ClientError::ConnectionClosed(_))
    ));
    assert!(messages(&pair.client_events).is_empty());
}

#[test]
fn rejected_bearer_token_gets_the_rfc7628_error_challenge() {
    let mut config = server_config();
    config.sasl = vec![Mechanism::OAuthBearer];
    let mut pair = Pair::new(tls_client(), config, None)
        .with_app(|e| matches!(e, ServerEvent::Auth { .. }).then_some(Answer::Later));
    pair.call(|c, now| c.stls(now)).unwrap();
    pair.call(|c, now| c.capa(now)).unwrap();
    let credentials = Credentials::oauth2("mrose@example.org", "expired-token");
    let id = pair.call(|c, now| c.auth_with(now, &credentials)).unwrap();
    let Some(ServerEvent::Auth { id: sid, .. }) = pair.pending.pop() else {
        panic!("{:?}", pair.server_events)
    };
    // Client and server number their commands independently.
    pair.server
        .reject_token(sid, br#"{"status":"invalid_token"}"#)
        .unwrap();
    pair.pump();
    assert!(pair.client_events.iter().any(
        |e| matches!(e, ClientEvent::AuthFailed { id: i, response } if *i == id && response.code() == Some(&ResponseCode::Auth))
    ), "{:?}", pair.client_events);
    assert!(pair.s2c.windows(2).any(|w| w == b"+ "));
}
