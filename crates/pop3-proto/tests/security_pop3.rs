//! Every POP3 and credential case of SECURITY.md the machines can see,
//! named by its ID, each fed in one call and at every split point where
//! the split matters.

mod support;

use std::time::Duration;

use postwire_core::{Protocol, TlsInfo, TlsVersion};
use postwire_pop3_proto::client::{
    Client, ClientConfig, Error as ClientError, Event as ClientEvent, TlsPolicy, UsageError,
};
use postwire_pop3_proto::server::{
    BadCommand, Error as ServerError, Event as ServerEvent, Mechanism, Server, ServerConfig,
    SessionState,
};
use postwire_pop3_proto::{Command, ParseErrorKind};
use postwire_sasl::client::{ClientMechanism, Credentials};
use support::transcript::{CLOSE, STARTTLS};
use support::{
    Plan, Store, client_events, cut, drain_client, drain_server, greeted_client, server_config,
    server_written, t0, written,
};

const GREETING: &[u8] = b"+OK POP3 server ready <1.2@host>\r\n";

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Runs a server over `input` cut as `plan`, with a store-backed app that
/// accepts mrose/tanstaaf and STLS. Returns output, events, error.
fn run_server(
    config: ServerConfig,
    input: &[u8],
    plan: Plan,
) -> (Vec<u8>, Vec<ServerEvent>, Option<ServerError>) {
    let now = t0();
    let mut server = Server::new(now, config);
    let store = Store::new();
    let mut out = Vec::new();
    let mut events = Vec::new();
    let mut error = None;
    for piece in cut(input, plan) {
        if let Err(e) = server.handle_input(now, &piece) {
            error = Some(e);
        }
        loop {
            let mut new = Vec::new();
            drain_server(&mut server, &mut new, &mut out);
            if new.is_empty() {
                break;
            }
            for event in &new {
                answer(&mut server, &store, event);
            }
            events.extend(new);
        }
        if error.is_some() {
            break;
        }
    }
    // An answer may have failed the session (a limit): the error is sticky.
    if error.is_none() {
        error = server.handle_input(now, b"").err();
    }
    (out, events, error)
}

fn answer(server: &mut Server, store: &Store, event: &ServerEvent) {
    let _ = match event {
        ServerEvent::StartTls { id } => server.accept(*id),
        ServerEvent::Login {
            id,
            username,
            password,
        } => {
            if store.password(username) == Some(password.expose().as_str()) {
                server.accept(*id)
            } else {
                server.reject(*id)
            }
        }
        ServerEvent::Auth {
            id, authentication, ..
        } => {
            if store
                .password(&authentication.username)
                .is_some_and(|p| authentication.password_matches(p))
            {
                server.accept(*id)
            } else {
                server.reject(*id)
            }
        }
        ServerEvent::OpenMaildrop { id, .. } => server.open_maildrop(*id, store.maildrop()),
        ServerEvent::Update { id, .. } => server.accept(*id),
        _ => Ok(()),
    };
}

fn every_split(input: &[u8]) -> Vec<Plan> {
    let mut plans = vec![Plan::Whole, Plan::Bytes];
    plans.extend((1..input.len()).map(Plan::SplitAt));
    plans
}

fn bad_commands(events: &[ServerEvent]) -> Vec<BadCommand> {
    events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::BadCommand { error } => Some(*error),
            _ => None,
        })
        .collect()
}

// ---- STLS, client side ----

#[test]
fn c01_capa_without_stls_aborts_before_any_login() {
    let (mut client, now) = greeted_client(ClientConfig::default(), GREETING);
    assert_eq!(
        client.login(now, "mrose", "tanstaaf"),
        Err(UsageError::TlsRequired)
    );
    client.capa(now).unwrap();
    assert_eq!(written(&mut client), b"CAPA\r\n");
    let err = client
        .handle_input(now, b"+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n")
        .unwrap_err();
    assert_eq!(err, ClientError::StlsRequired);
    assert_eq!(written(&mut client), CLOSE);
    assert_eq!(
        client.login(now, "mrose", "tanstaaf"),
        Err(UsageError::Closed)
    );
}

#[test]
fn c02_stls_refused_aborts_under_the_required_policy() {
    for answer in [&b"-ERR not now\r\n"[..], b"-ERR [SYS/TEMP] later\r\n"] {
        let (mut client, now) = greeted_client(ClientConfig::default(), GREETING);
        client.stls(now).unwrap();
        client.stls(now).unwrap_err();
        assert_eq!(written(&mut client), b"STLS\r\n");
        let err = client.handle_input(now, answer).unwrap_err();
        assert!(matches!(err, ClientError::StlsRefused(_)), "{err:?}");
        assert_eq!(written(&mut client), CLOSE);
    }
}

#[test]
fn c06_a1_no_plaintext_credentials_unless_allowed() {
    let mut config = ClientConfig::default();
    config.tls = TlsPolicy::Opportunistic;
    let (mut client, now) = greeted_client(config, GREETING);
    assert_eq!(client.login(now, "u", "p"), Err(UsageError::PlaintextAuth));
    assert_eq!(client.apop(now, "u", "p"), Err(UsageError::PlaintextAuth));
    client.capa(now).unwrap();
    client
        .handle_input(now, b"+OK\r\nSASL PLAIN SCRAM-SHA-256\r\n.\r\n")
        .unwrap();
    let plain = ClientMechanism::new(Mechanism::Plain, &Credentials::password("u", "p")).unwrap();
    assert_eq!(client.auth(now, plain), Err(UsageError::PlaintextAuth));
    assert_eq!(written(&mut client), b"CAPA\r\n");
    // A mechanism that does not expose the password may run.
    let scram =
        ClientMechanism::new(Mechanism::ScramSha256, &Credentials::password("u", "p")).unwrap();
    client.auth(now, scram).unwrap();
    assert!(written(&mut client).starts_with(b"AUTH SCRAM-SHA-256 "));
}

#[test]
fn c07_c11_c12_bytes_after_stls_ok_abort_in_every_split() {
    for injected in [
        &b"+OK\r\n"[..],
        b"-ERR [AUTH] bye\r\n",
        b"\x16\x03\x01garbage",
        b"+OK maildrop locked\r\n+OK 1 2\r\n",
    ] {
        let mut input = b"+OK Begin TLS\r\n".to_vec();
        input.extend_from_slice(injected);
        for plan in every_split(&input) {
            let (mut client, now) = greeted_client(ClientConfig::default(), GREETING);
            client.stls(now).unwrap();
            let mut events = Vec::new();
            let mut out = Vec::new();
            drain_client(&mut client, &mut events, &mut out);
            let result =
                support::feed_client(&mut client, now, &input, plan, &mut events, &mut out);
            assert_eq!(result, Err(ClientError::PlaintextAfterStls), "{plan:?}");
            assert!(out.ends_with(CLOSE), "{plan:?}");
            assert!(
                !events
                    .iter()
                    .any(|e| matches!(e, ClientEvent::TlsEstablished { .. }))
            );
            // The handshake can no longer start the session.
            assert!(
                client
                    .handle_tls_established(now, TlsInfo::new(TlsVersion::Tls13))
                    .is_err()
            );
        }
    }
}

#[test]
fn c07_commands_queued_behind_stls_wait_for_the_handshake() {
    let mut config = ClientConfig::default();
    config.implicit_tls = false;
    let (mut client, now) = greeted_client(config, GREETING);
    client.stls(now).unwrap();
    client.capa(now).unwrap();
    assert_eq!(written(&mut client), b"STLS\r\n");
    client.handle_input(now, b"+OK\r\n").unwrap();
    assert_eq!(written(&mut client), STARTTLS);
    client
        .handle_tls_established(now, TlsInfo::new(TlsVersion::Tls13))
        .unwrap();
    assert_eq!(written(&mut client), b"CAPA\r\n");
}

#[test]
fn c09_capabilities_from_before_tls_are_forgotten() {
    let (mut client, now) = greeted_client(ClientConfig::default(), GREETING);
    client.capa(now).unwrap();
    client
        .handle_input(now, b"+OK\r\nSTLS\r\nSASL PLAIN\r\nPIPELINING\r\n.\r\n")
        .unwrap();
    assert!(client.capabilities().is_some());
    client.stls(now).unwrap();
    client.handle_input(now, b"+OK\r\n").unwrap();
    client
        .handle_tls_established(now, TlsInfo::new(TlsVersion::Tls13))
        .unwrap();
    assert!(client.capabilities().is_none());
    let plain = ClientMechanism::new(Mechanism::Plain, &Credentials::password("u", "p")).unwrap();
    assert_eq!(
        client.auth(now, plain),
        Err(UsageError::MechanismNotOffered)
    );
    // No pipelining either until a new CAPA says so.
    client.login(now, "u", "p").unwrap();
    let out = written(&mut client);
    assert!(
        out.ends_with(b"USER u\r\n"),
        "{:?}",
        String::from_utf8_lossy(&out)
    );
}

#[test]
fn c14_refused_or_invalid_greeting_closes_without_auth() {
    for greeting in [
        &b"-ERR go away\r\n"[..],
        b"* OK IMAP4rev1\r\n",
        b"220 smtp\r\n",
    ] {
        let now = t0();
        let mut client = Client::new(now, ClientConfig::default());
        let err = client.handle_input(now, greeting).unwrap_err();
        assert!(
            matches!(
                err,
                ClientError::GreetingRefused(_) | ClientError::Protocol(_)
            ),
            "{err:?}"
        );
        assert_eq!(written(&mut client), CLOSE);
        assert_eq!(client.login(now, "u", "p"), Err(UsageError::Closed));
    }
}

#[test]
fn client_over_long_lines_and_listings_are_bounded() {
    let (mut client, now) = greeted_client(support::plaintext_client(), GREETING);
    client.capa(now).unwrap();
    let mut long = b"+OK ".to_vec();
    long.extend(std::iter::repeat_n(b'x', 100_000));
    assert_eq!(
        client.handle_input(now, &long),
        Err(ClientError::LineTooLong(512))
    );
    let mut config = support::plaintext_client();
    config.limits.max_capa_lines = 3;
    let (mut client, now) = greeted_client(config, GREETING);
    client.capa(now).unwrap();
    assert_eq!(
        client.handle_input(now, b"+OK\r\nA\r\nB\r\nC\r\nD\r\n"),
        Err(ClientError::ListingTooLong)
    );
}

#[test]
fn client_accepts_long_auth_challenges_up_to_12288() {
    let (mut client, now) = greeted_client(support::plaintext_client(), GREETING);
    client.capa(now).unwrap();
    client
        .handle_input(now, b"+OK\r\nSASL XOAUTH2\r\n.\r\n")
        .unwrap();
    let token = ClientMechanism::new(
        Mechanism::XOAuth2,
        &Credentials::oauth2("u@example.com", "token"),
    )
    .unwrap();
    client.auth(now, token).unwrap();
    written(&mut client);
    // An error challenge of 9000 base64 characters (RFC 7628 §3.2.2).
    let challenge = postwire_sasl::encode_base64(&[b'{'; 6750]);
    let mut line = b"+ ".to_vec();
    line.extend_from_slice(challenge.as_bytes());
    line.extend_from_slice(b"\r\n");
    client.handle_input(now, &line).unwrap();
    assert_eq!(written(&mut client), b"\r\n"); // XOAUTH2's empty dummy answer
    client
        .handle_input(now, b"-ERR [AUTH] bad token\r\n")
        .unwrap();
    assert!(
        client_events(&mut client)
            .iter()
            .any(|e| matches!(e, ClientEvent::AuthFailed { .. }))
    );
}

#[test]
fn client_cancels_a_broken_auth_exchange_rfc5034_4() {
    let (mut client, now) = greeted_client(support::plaintext_client(), GREETING);
    client.capa(now).unwrap();
    client
        .handle_input(now, b"+OK\r\nSASL PLAIN\r\n.\r\n")
        .unwrap();
    let plain = ClientMechanism::new(Mechanism::Plain, &Credentials::password("u", "p")).unwrap();
    client.auth(now, plain).unwrap();
    written(&mut client);
    // PLAIN's message went with the AUTH line: any challenge is wrong.
    client.handle_input(now, b"+ \r\n").unwrap();
    assert_eq!(written(&mut client), b"*\r\n");
    // A success after the cancel cannot be trusted.
    assert!(matches!(
        client.handle_input(now, b"+OK\r\n"),
        Err(ClientError::UnexpectedResponse(_))
    ));
}

// ---- STLS, server side ----

fn stls_server() -> ServerConfig {
    server_config()
}

#[test]
fn s01_s02_commands_pipelined_after_stls_never_run_in_any_split() {
    for injected in [
        &b"CAPA\r\n"[..],
        b"USER mrose\r\nPASS tanstaaf\r\n",
        b"QUIT\r\n",
    ] {
        let mut input = b"STLS\r\n".to_vec();
        input.extend_from_slice(injected);
        for plan in every_split(&input) {
            let (out, events, error) = run_server(stls_server(), &input, plan);
            assert_eq!(error, Some(ServerError::PlaintextAfterStls), "{plan:?}");
            assert!(out.ends_with(CLOSE), "{plan:?}");
            assert!(!contains(&out, b"Capability"), "{plan:?}");
            assert!(
                !events
                    .iter()
                    .any(|e| matches!(e, ServerEvent::Login { .. }))
            );
            assert!(!contains(&out, b"signing off"), "{plan:?}");
        }
    }
}

#[test]
fn s01_stls_with_input_behind_it_is_answered_err_and_closed() {
    let (out, events, error) = run_server(stls_server(), b"STLS\r\nCAPA\r\n", Plan::Whole);
    assert_eq!(error, Some(ServerError::PlaintextAfterStls));
    assert!(bad_commands(&events).contains(&BadCommand::StlsInjection));
    assert!(!contains(&out, STARTTLS));
}

#[test]
fn s04_stls_in_the_wrong_state_is_refused() {
    // After USER.
    let mut config = stls_server();
    config.allow_plaintext_auth = true;
    let (out, events, _) = run_server(config.clone(), b"USER mrose\r\nSTLS\r\n", Plan::Whole);
    assert!(out.ends_with(b"-ERR STLS not allowed after USER\r\n"));
    assert!(bad_commands(&events).contains(&BadCommand::BadSequence("STLS")));
    // In TRANSACTION.
    let (out, _, _) = run_server(
        config,
        b"USER mrose\r\nPASS tanstaaf\r\nSTLS\r\n",
        Plan::Whole,
    );
    assert!(
        out.ends_with(b"-ERR already authenticated\r\n"),
        "{}",
        String::from_utf8_lossy(&out)
    );
    // Twice: after TLS.
    let now = t0();
    let mut server = Server::new(now, stls_server());
    server.handle_input(now, b"STLS\r\n").unwrap();
    let id = server.awaiting().unwrap();
    server.accept(id).unwrap();
    server
        .handle_tls_established(now, TlsInfo::new(TlsVersion::Tls13))
        .unwrap();
    server_written(&mut server);
    server.handle_input(now, b"STLS\r\n").unwrap();
    assert_eq!(server_written(&mut server), b"-ERR TLS already active\r\n");
    // Not configured.
    let (out, _, _) = run_server(ServerConfig::new("x"), b"STLS\r\n", Plan::Whole);
    assert!(out.ends_with(b"-ERR STLS not supported\r\n"));
}

#[test]
fn s05_state_learned_before_tls_is_forgotten() {
    let mut config = stls_server();
    config.utf8 = true;
    let now = t0();
    let mut server = Server::new(now, config);
    server.handle_input(now, b"UTF8\r\n").unwrap();
    assert!(server.is_utf8());
    server.handle_input(now, b"STLS\r\n").unwrap();
    let id = server.awaiting().unwrap();
    server.accept(id).unwrap();
    server
        .handle_tls_established(now, TlsInfo::new(TlsVersion::Tls13))
        .unwrap();
    assert!(!server.is_utf8() && server.is_tls());
    // PASS needs a USER given under TLS.
    server_written(&mut server);
    server.handle_input(now, b"PASS tanstaaf\r\n").unwrap();
    assert_eq!(server_written(&mut server), b"-ERR USER first\r\n");
}

#[test]
fn s06_a1_no_plaintext_credentials_before_tls_by_default() {
    let (out, events, _) = run_server(
        stls_server(),
        b"CAPA\r\nUSER mrose\r\nPASS tanstaaf\r\nAUTH PLAIN AG1yb3NlAHRhbnN0YWFm\r\n",
        Plan::Whole,
    );
    let text = String::from_utf8_lossy(&out);
    // SCRAM does not expose the password and may be offered; USER and
    // PLAIN may not.
    assert!(
        !text.contains("\r\nUSER\r\n") && !text.contains("PLAIN"),
        "{text}"
    );
    assert!(text.contains("\r\nSASL SCRAM-SHA-256\r\n"), "{text}");
    assert!(text.contains("\r\nSTLS\r\n"), "{text}");
    assert!(text.contains("-ERR [AUTH] plaintext authentication disallowed without TLS"));
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, ServerEvent::Login { .. } | ServerEvent::Auth { .. }))
    );
    assert_eq!(
        bad_commands(&events),
        [
            BadCommand::EncryptionRequired,
            BadCommand::BadSequence("PASS"),
            BadCommand::EncryptionRequired
        ]
    );
    // APOP is refused likewise.
    let now = t0();
    let ts = postwire_pop3_proto::Timestamp::new("<1.2@h>").unwrap();
    let mut server = Server::with_apop_timestamp(now, stls_server(), ts);
    server_written(&mut server);
    server
        .handle_input(now, b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n")
        .unwrap();
    assert_eq!(
        server_written(&mut server),
        b"-ERR [AUTH] APOP disallowed without TLS\r\n"
    );
}

#[test]
fn s07_nothing_is_written_between_stls_ok_and_the_handshake() {
    let now = t0();
    let mut server = Server::new(now, stls_server());
    server_written(&mut server);
    server.handle_input(now, b"STLS\r\n").unwrap();
    let id = server.awaiting().unwrap();
    server.accept(id).unwrap();
    let mut out = server_written(&mut server);
    assert_eq!(out, b"+OK Begin TLS negotiation\r\n<STARTTLS>\r\n");
    // Time passes; a timer firing must not write either.
    server
        .handle_timeout(now + Duration::from_secs(3600))
        .unwrap();
    out = server_written(&mut server);
    assert!(out.is_empty());
}

// ---- bad commands and limits ----

#[test]
fn too_many_bad_commands_close_the_connection() {
    let mut input = Vec::new();
    for _ in 0..25 {
        input.extend_from_slice(b"XYZZY\r\n");
    }
    let (out, events, error) = run_server(stls_server(), &input, Plan::Whole);
    assert_eq!(error, Some(ServerError::TooManyBadCommands));
    assert_eq!(bad_commands(&events).len(), 20);
    let text = String::from_utf8_lossy(&out);
    // One -ERR per command, then the close; the 21st is never read.
    assert_eq!(text.matches("-ERR").count(), 20);
    assert!(text.ends_with("-ERR unknown command\r\n<CLOSE>\r\n"));
}

#[test]
fn over_long_command_lines_are_refused_and_the_session_goes_on() {
    let mut input = b"USER ".to_vec();
    input.extend(std::iter::repeat_n(b'a', 600));
    input.extend_from_slice(b"\r\nCAPA\r\n");
    for plan in [Plan::Whole, Plan::Bytes, Plan::Seeded(1), Plan::Seeded(2)] {
        let (out, events, error) = run_server(stls_server(), &input, plan);
        assert_eq!(error, None);
        assert_eq!(bad_commands(&events), [BadCommand::LineTooLong]);
        let text = String::from_utf8_lossy(&out);
        assert!(
            text.contains("-ERR line too long\r\n+OK Capability list follows"),
            "{text}"
        );
    }
}

#[test]
fn endless_line_is_bounded_and_reported_once() {
    let now = t0();
    let mut server = Server::new(now, stls_server());
    server_written(&mut server);
    for _ in 0..10_000 {
        server.handle_input(now, &[b'x'; 100]).unwrap();
    }
    server.handle_input(now, b"\r\nCAPA\r\n").unwrap();
    let events = support::server_events(&mut server);
    assert_eq!(bad_commands(&events), [BadCommand::LineTooLong]);
    assert!(server_written(&mut server).starts_with(b"-ERR line too long\r\n+OK Capability"));
}

#[test]
fn auth_lines_may_be_12288_octets_and_no_longer_rfc5034_4() {
    let mut config = stls_server();
    config.allow_plaintext_auth = true;
    config.sasl_options.limits.max_field_len = 12_000;
    let password = "p".repeat(9000);
    let ir = postwire_sasl::encode_base64(format!("\0mrose\0{password}").as_bytes());
    let line = format!("AUTH PLAIN {ir}\r\n");
    assert!(line.len() <= 12288);
    let (_, events, _) = run_server(config.clone(), line.as_bytes(), Plan::Whole);
    assert!(
        events.iter().any(|e| matches!(e, ServerEvent::Auth { .. })),
        "{events:?}"
    );
    let ir = postwire_sasl::encode_base64(&vec![b'a'; 9300]);
    let line = format!("AUTH PLAIN {ir}\r\nCAPA\r\n");
    let (out, events, _) = run_server(config, line.as_bytes(), Plan::Whole);
    assert_eq!(bad_commands(&events), [BadCommand::LineTooLong]);
    assert!(contains(&out, b"+OK Capability"));
}

#[test]
fn p5_nul_and_invalid_utf8_in_commands_are_refused() {
    let mut config = stls_server();
    config.allow_plaintext_auth = true;
    let (out, events, _) = run_server(
        config,
        b"USER mro\0se\r\nUSER \xff\xfe\r\nPASS a\0b\r\n",
        Plan::Whole,
    );
    assert_eq!(
        bad_commands(&events),
        [
            BadCommand::Syntax(postwire_pop3_proto::ParseError::new(
                ParseErrorKind::ControlCharacter
            )),
            BadCommand::Syntax(postwire_pop3_proto::ParseError::new(ParseErrorKind::Utf8)),
            BadCommand::Syntax(postwire_pop3_proto::ParseError::new(
                ParseErrorKind::ControlCharacter
            )),
        ]
    );
    assert_eq!(
        String::from_utf8_lossy(&out)
            .matches("-ERR syntax error")
            .count(),
        3
    );
}

#[test]
fn pipelined_input_while_the_application_thinks_is_bounded() {
    let now = t0();
    let mut config = stls_server();
    config.allow_plaintext_auth = true;
    let mut server = Server::new(now, config);
    server
        .handle_input(now, b"USER mrose\r\nPASS x\r\n")
        .unwrap();
    assert!(server.awaiting().is_some());
    let mut error = None;
    for _ in 0..100 {
        if let Err(e) = server.handle_input(now, &[b'N'; 1024]) {
            error = Some(e);
            break;
        }
    }
    assert_eq!(error, Some(ServerError::PipelineOverflow));
}

// ---- AUTH robustness and failures (A5, A7) ----

fn auth_server() -> ServerConfig {
    let mut config = stls_server();
    config.allow_plaintext_auth = true;
    config.limits.max_auth_failures = 10;
    config
}

#[test]
fn a5_auth_robustness() {
    let cases: &[(&[u8], &str)] = &[
        // Empty response to PLAIN's empty challenge.
        (
            b"AUTH PLAIN\r\n\r\n",
            "-ERR [AUTH] authentication failed\r\n",
        ),
        // Bad base64.
        (b"AUTH PLAIN\r\n!!!!\r\n", "-ERR invalid base64\r\n"),
        // `*` aborts.
        (b"AUTH LOGIN\r\n*\r\n", "-ERR authentication cancelled\r\n"),
        // An unknown mechanism.
        (
            b"AUTH X-FOO\r\n",
            "-ERR unsupported authentication mechanism\r\n",
        ),
        // A malformed initial response.
        (
            b"AUTH PLAIN AA==\r\n",
            "-ERR [AUTH] authentication failed\r\n",
        ),
    ];
    for (input, last) in cases {
        for plan in [Plan::Whole, Plan::Bytes] {
            let (out, _, error) = run_server(auth_server(), input, plan);
            assert_eq!(error, None);
            let text = String::from_utf8_lossy(&out);
            assert!(
                text.ends_with(last),
                "{:?}: {text}",
                String::from_utf8_lossy(input)
            );
        }
    }
    // Over-long response line during the exchange.
    let mut input = b"AUTH PLAIN\r\n".to_vec();
    input.extend(std::iter::repeat_n(b'A', 13_000));
    input.extend_from_slice(b"\r\nCAPA\r\n");
    let (out, events, _) = run_server(auth_server(), &input, Plan::Whole);
    assert!(bad_commands(&events).contains(&BadCommand::LineTooLong));
    assert!(contains(&out, b"-ERR line too long\r\n+OK Capability"));
    // Disconnect mid-AUTH.
    let now = t0();
    let mut server = Server::new(now, auth_server());
    server.handle_input(now, b"AUTH LOGIN\r\n").unwrap();
    server.handle_eof(now).unwrap();
    assert!(
        support::server_events(&mut server).contains(&ServerEvent::Disconnected {
            maildrop_open: false
        })
    );
    assert!(server.is_closed());
    // AUTH twice: after a login, AUTH is out of sequence.
    let (out, events, _) = run_server(
        auth_server(),
        b"USER mrose\r\nPASS tanstaaf\r\nAUTH PLAIN AG1yb3NlAHRhbnN0YWFm\r\n",
        Plan::Whole,
    );
    assert!(bad_commands(&events).contains(&BadCommand::BadSequence("AUTH")));
    assert!(out.ends_with(b"-ERR already authenticated\r\n"));
}

#[test]
fn a7_failed_logins_are_limited() {
    let mut config = auth_server();
    config.limits.max_auth_failures = 3;
    let mut input = Vec::new();
    for _ in 0..5 {
        input.extend_from_slice(b"USER mrose\r\nPASS wrong\r\n");
    }
    let (out, events, error) = run_server(config, &input, Plan::Whole);
    assert_eq!(error, Some(ServerError::TooManyAuthFailures));
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, ServerEvent::Login { .. }))
            .count(),
        3
    );
    let text = String::from_utf8_lossy(&out);
    assert!(text.ends_with("-ERR [AUTH] authentication failed\r\n<CLOSE>\r\n"));
    assert_eq!(text.matches("-ERR").count(), 3);
}

#[test]
fn a7_failure_delay_holds_the_answer_and_the_input() {
    let mut config = auth_server();
    config.timeouts.auth_failure_delay = Duration::from_secs(2);
    let now = t0();
    let mut server = Server::new(now, config);
    server_written(&mut server);
    server
        .handle_input(now, b"USER mrose\r\nPASS wrong\r\nCAPA\r\n")
        .unwrap();
    let store = Store::new();
    for e in support::server_events(&mut server) {
        answer(&mut server, &store, &e);
    }
    assert_eq!(server_written(&mut server), b"+OK\r\n");
    assert_eq!(server.poll_timeout(), Some(now + Duration::from_secs(2)));
    server.handle_timeout(now + Duration::from_secs(1)).unwrap();
    assert!(server_written(&mut server).is_empty());
    server.handle_timeout(now + Duration::from_secs(2)).unwrap();
    let out = server_written(&mut server);
    assert!(out.starts_with(b"-ERR [AUTH] authentication failed\r\n+OK Capability"));
}

// ---- P8 ----

#[test]
fn p8_slowloris_one_byte_per_ten_seconds_times_out() {
    let now = t0();
    let mut server = Server::new(now, stls_server());
    let mut t = now;
    let mut closed_at = None;
    for i in 0..200u64 {
        t += Duration::from_secs(10);
        if server.poll_timeout().is_some_and(|d| d <= t) {
            assert_eq!(server.handle_timeout(t), Err(ServerError::IdleTimeout));
            closed_at = Some(i);
            break;
        }
        server.handle_input(t, b"x").unwrap();
    }
    let closed_at = closed_at.expect("timed out");
    assert!(closed_at * 10 <= 10 * 60 + 10, "{closed_at}");
    // RFC 1939 §3: no answer, just the close.
    assert!(server_written(&mut server).ends_with(CLOSE));
}

// ---- A4: Debug shows no secret ----

#[test]
fn a4_debug_shows_no_credentials() {
    let secret = "hunter2-secret";
    // Commands.
    let pass = Command::pass(secret).unwrap();
    assert!(!format!("{pass:?}").contains(secret));
    // Client with a queued PASS (no pipelining) and an AUTH in flight.
    let (mut client, now) = greeted_client(support::plaintext_client(), GREETING);
    client.login(now, "mrose", secret).unwrap();
    let shown = format!("{client:?}");
    assert!(!shown.contains(secret), "{shown}");
    let apop_digest = postwire_sasl::apop_digest(b"<1.2@host>", secret);
    let (mut client, now) = greeted_client(support::plaintext_client(), GREETING);
    client.apop(now, "mrose", secret).unwrap();
    let shown = format!("{client:?}");
    assert!(
        !shown.contains(&apop_digest) && !shown.contains(secret),
        "{shown}"
    );
    let (mut client, now) = greeted_client(support::plaintext_client(), GREETING);
    client.capa(now).unwrap();
    client
        .handle_input(now, b"+OK\r\nSASL LOGIN\r\n.\r\n")
        .unwrap();
    let login =
        ClientMechanism::new(Mechanism::Login, &Credentials::password("mrose", secret)).unwrap();
    client.auth(now, login).unwrap();
    client
        .handle_input(now, b"+ VXNlcm5hbWU6\r\n+ UGFzc3dvcmQ6\r\n")
        .unwrap();
    let shown = format!("{client:?} {:?}", client_events(&mut client));
    let encoded = postwire_sasl::encode_base64(secret.as_bytes());
    assert!(
        !shown.contains(secret) && !shown.contains(&encoded),
        "{shown}"
    );
    // Server events and the server itself while they wait.
    let mut config = auth_server();
    config.sasl = vec![Mechanism::Plain];
    let now = t0();
    let ts = postwire_pop3_proto::Timestamp::new("<1.2@host>").unwrap();
    let mut server = Server::with_apop_timestamp(now, config, ts);
    let ir = postwire_sasl::encode_base64(format!("\0mrose\0{secret}").as_bytes());
    let inputs = [
        format!("USER mrose\r\nPASS {secret}\r\n"),
        format!("APOP mrose {apop_digest}\r\n"),
        format!("AUTH PLAIN {ir}\r\n"),
    ];
    for input in inputs {
        server.handle_input(now, input.as_bytes()).unwrap();
        let shown = format!("{server:?} {:?}", support::server_events(&mut server));
        assert!(!shown.contains(secret), "{shown}");
        assert!(!shown.contains(&apop_digest), "{shown}");
        assert!(!shown.contains(&ir), "{shown}");
        let id = server.awaiting().unwrap();
        server.reject(id).unwrap();
        server_written(&mut server);
    }
    assert_eq!(server.state(), SessionState::Authorization);
}
