//! Property tests: parse(encode(x)) == x, chunk-split invariance of both
//! machines, dot-stuffing round trips through a client-server pair, and
//! random input that never panics.

mod support;

use bytes::BytesMut;
use postwire_core::{Protocol, Secret};
use postwire_pop3_proto::client::{Client, Event as ClientEvent};
use postwire_pop3_proto::server::{Event as ServerEvent, Mechanism, Server};
use postwire_pop3_proto::{
    ApopDigest, Argument, AuthResponse, Capabilities, Command, MessageNumber, Response,
    ResponseCode, Status,
};
use proptest::prelude::*;
use support::{Pair, Plan, Store, cut, drain_client, drain_server, messages, normalize, t0};

fn msg() -> impl Strategy<Value = MessageNumber> {
    (1u32..=u32::MAX).prop_map(|n| MessageNumber::new(n).unwrap())
}

fn argument() -> impl Strategy<Value = Argument> {
    "[a-zA-Z0-9@.é_-][a-zA-Z0-9@. é_-]{0,30}[a-zA-Z0-9@.é_-]|[a-z]"
        .prop_map(|s| Argument::new(s).unwrap())
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        argument().prop_map(Command::User),
        "[ -~é]{1,40}".prop_map(|p| Command::pass(&p).unwrap()),
        (argument(), "[0-9a-f]{32}").prop_map(|(name, d)| Command::Apop {
            name,
            digest: ApopDigest::new(&d).unwrap()
        }),
        Just(Command::Stat),
        proptest::option::of(msg()).prop_map(Command::List),
        msg().prop_map(Command::Retr),
        msg().prop_map(Command::Dele),
        Just(Command::Noop),
        Just(Command::Rset),
        Just(Command::Quit),
        (msg(), any::<u32>()).prop_map(|(msg, lines)| Command::Top { msg, lines }),
        proptest::option::of(msg()).prop_map(Command::Uidl),
        Just(Command::Capa),
        Just(Command::Stls),
        Just(Command::Utf8),
        (
            prop_oneof![
                Just(Mechanism::Plain),
                Just(Mechanism::Login),
                Just(Mechanism::ScramSha256),
                "X-[A-Z0-9]{1,10}".prop_map(|m| Mechanism::from_name(&m).unwrap()),
            ],
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..60))
        )
            .prop_map(|(mechanism, ir)| Command::Auth {
                mechanism,
                initial_response: ir.map(Secret::new),
            }),
    ]
}

fn code() -> impl Strategy<Value = ResponseCode> {
    prop_oneof![
        Just(ResponseCode::InUse),
        Just(ResponseCode::LoginDelay),
        Just(ResponseCode::SysTemp),
        Just(ResponseCode::SysPerm),
        Just(ResponseCode::Auth),
        Just(ResponseCode::Utf8),
        "[A-Z]{1,8}(/[A-Z0-9-]{1,8}){0,2}".prop_map(|c| ResponseCode::parse(&c).unwrap()),
    ]
}

/// A server byte stream of plausible and hostile lines.
fn server_line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"+OK\r\n".to_vec()),
        Just(b"+OK 2 320\r\n".to_vec()),
        Just(b"-ERR [IN-USE] locked\r\n".to_vec()),
        Just(b".\r\n".to_vec()),
        Just(b"..\r\n".to_vec()),
        Just(b"1 120\r\n".to_vec()),
        Just(b"1 uid-1\r\n".to_vec()),
        Just(b"+ \r\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        "[ -~]{0,20}\r\n".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..20),
    ]
}

fn client_line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"USER mrose\r\n".to_vec()),
        Just(b"PASS tanstaaf\r\n".to_vec()),
        Just(b"PASS wrong\r\n".to_vec()),
        Just(b"STAT\r\n".to_vec()),
        Just(b"LIST\r\n".to_vec()),
        Just(b"UIDL 1\r\n".to_vec()),
        Just(b"RETR 2\r\n".to_vec()),
        Just(b"TOP 2 1\r\n".to_vec()),
        Just(b"DELE 1\r\n".to_vec()),
        Just(b"RSET\r\n".to_vec()),
        Just(b"NOOP\r\n".to_vec()),
        Just(b"CAPA\r\n".to_vec()),
        // No STLS: what follows it depends on timing by nature (the
        // injection cases of security_pop3.rs cover every split).
        Just(b"AUTH PLAIN\r\n".to_vec()),
        Just(b"AUTH LOGIN\r\n".to_vec()),
        Just(b"bXJvc2U=\r\n".to_vec()),
        Just(b"*\r\n".to_vec()),
        Just(b"QUIT\r\n".to_vec()),
        "[ -~]{0,30}\r\n"
            .prop_filter("no STLS", |l| !l.to_ascii_uppercase().starts_with("STLS"))
            .prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..30).prop_filter("no STLS", |l| !l
            .to_ascii_uppercase()
            .windows(4)
            .any(|w| w == b"STLS")),
    ]
}

/// Runs a logged-in client that sent a fixed set of commands over
/// `input` cut as `plan`.
fn run_client(input: &[u8], plan: Plan) -> (Vec<ClientEvent>, Vec<u8>, Option<String>) {
    let now = t0();
    let mut client = Client::new(now, support::plaintext_client());
    let mut events = Vec::new();
    let mut out = Vec::new();
    let greeting = b"+OK ready <a@b>\r\n";
    client.handle_input(now, greeting).unwrap();
    client.login(now, "mrose", "tanstaaf").unwrap();
    client.stat(now).unwrap();
    client.list(now, None).unwrap();
    client.retr(now, MessageNumber::new(1).unwrap()).unwrap();
    client.uidl(now, None).unwrap();
    client.quit(now).unwrap();
    drain_client(&mut client, &mut events, &mut out);
    let mut error = None;
    for piece in cut(input, plan) {
        let result = client.handle_input(now, &piece);
        drain_client(&mut client, &mut events, &mut out);
        if let Err(e) = result {
            error = Some(e.to_string());
            break;
        }
    }
    (normalize(events), out, error)
}

/// Runs a server with the store app over `input` cut as `plan`.
fn run_server(input: &[u8], plan: Plan) -> (Vec<ServerEvent>, Vec<u8>, Option<String>) {
    let now = t0();
    let mut config = support::server_config();
    config.allow_plaintext_auth = true;
    let mut server = Server::new(now, config);
    let store = Store::new();
    let mut events = Vec::new();
    let mut out = Vec::new();
    let mut error = None;
    drain_server(&mut server, &mut events, &mut out);
    for piece in cut(input, plan) {
        let result = server.handle_input(now, &piece);
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
        if let Err(e) = result {
            error = Some(e.to_string());
            break;
        }
    }
    if error.is_none() {
        error = server.handle_input(now, b"").err().map(|e| e.to_string());
    }
    (events, out, error)
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
        ServerEvent::Auth { id, .. } | ServerEvent::AuthSecret { id, .. } => server.reject(*id),
        ServerEvent::OpenMaildrop { id, .. } => server.open_maildrop(*id, store.maildrop()),
        ServerEvent::Retrieve { id, msg, .. } => {
            let body = &store.messages[msg.get() as usize - 1].1;
            for piece in body.chunks(3) {
                let _ = server.message_data(*id, piece);
            }
            server.message_end(*id)
        }
        ServerEvent::Update { id, .. } => server.accept(*id),
        _ => Ok(()),
    };
}

/// What a body looks like after the round trip: bare CR and LF become
/// CRLF, and a non-empty body ends with CRLF.
fn expected_body(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < body.len() {
        match (body[i], body.get(i + 1)) {
            (b'\r', Some(b'\n')) => {
                out.extend_from_slice(b"\r\n");
                i += 2;
            }
            (b'\r' | b'\n', _) => {
                out.extend_from_slice(b"\r\n");
                i += 1;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    if !out.is_empty() && !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn commands_round_trip(command in command()) {
        let mut wire = BytesMut::new();
        command.encode(&mut wire);
        prop_assert!(wire.ends_with(b"\r\n"));
        let body = &wire[..wire.len() - 2];
        prop_assert!(!body.contains(&b'\r') && !body.contains(&b'\n'));
        prop_assert_eq!(Command::parse(body), Ok(command));
    }

    #[test]
    fn parsed_command_lines_round_trip(line in proptest::collection::vec(any::<u8>(), 0..60)) {
        if let Ok(command) = Command::parse(&line) {
            let mut wire = BytesMut::new();
            command.encode(&mut wire);
            prop_assert_eq!(Command::parse(&wire[..wire.len() - 2]), Ok(command));
        }
        if let Ok(response) = AuthResponse::parse(&line) {
            let mut wire = BytesMut::new();
            response.encode(&mut wire);
            prop_assert_eq!(AuthResponse::parse(&wire[..wire.len() - 2]), Ok(response));
        }
    }

    #[test]
    fn responses_round_trip(
        ok in any::<bool>(),
        code in proptest::option::of(code()),
        text in "[ -~\t]{0,40}",
    ) {
        let status = if ok { Status::Ok } else { Status::Err };
        if let Ok(response) = Response::new(status, code, text.trim_start()) {
            let mut wire = BytesMut::new();
            response.encode(&mut wire);
            prop_assert_eq!(Response::parse(&wire[..wire.len() - 2]), Ok(response));
        }
    }

    #[test]
    fn parsed_responses_round_trip(line in proptest::collection::vec(any::<u8>(), 0..60)) {
        let mut line = line;
        line.splice(0..0, b"-ERR ".iter().copied());
        if let Ok(response) = Response::parse(&line) {
            let mut wire = BytesMut::new();
            response.encode(&mut wire);
            let body = &wire[..wire.len() - 2];
            prop_assert!(!body.contains(&b'\r') && !body.contains(&b'\n'));
            prop_assert_eq!(Response::parse(body), Ok(response));
        }
    }

    #[test]
    fn capabilities_round_trip(lines in proptest::collection::vec("[ -~]{0,30}", 0..12)) {
        let caps = Capabilities::from_lines(&lines);
        prop_assert_eq!(Capabilities::from_lines(caps.to_lines()), caps);
    }

    #[test]
    fn client_events_do_not_depend_on_the_split(
        lines in proptest::collection::vec(server_line(), 0..30),
        seed in any::<u64>(),
        at in any::<usize>(),
    ) {
        let input: Vec<u8> = lines.concat();
        let whole = run_client(&input, Plan::Whole);
        prop_assert_eq!(&run_client(&input, Plan::Seeded(seed)), &whole);
        prop_assert_eq!(&run_client(&input, Plan::SplitAt(at % (input.len() + 1))), &whole);
    }

    #[test]
    fn client_events_do_not_depend_on_the_split_of_a_valid_session(
        body in proptest::collection::vec(prop_oneof![Just(b'.'), Just(b'\r'), Just(b'\n'), Just(b'a')], 0..200),
        seed in any::<u64>(),
    ) {
        let mut input = b"+OK\r\n+OK\r\n+OK 1 5\r\n+OK\r\n1 5\r\n.\r\n+OK\r\n".to_vec();
        input.extend_from_slice(&postwire_core::DotStuffer::stuff_all(&body));
        input.extend_from_slice(b"+OK\r\n1 x\r\n.\r\n+OK bye\r\n");
        let whole = run_client(&input, Plan::Whole);
        prop_assert_eq!(&whole.2, &None);
        prop_assert_eq!(&run_client(&input, Plan::Seeded(seed)), &whole);
        prop_assert_eq!(&run_client(&input, Plan::Bytes), &whole);
        prop_assert_eq!(messages(&whole.0), vec![expected_body(&body)]);
    }

    #[test]
    fn server_output_does_not_depend_on_the_split(
        lines in proptest::collection::vec(client_line(), 0..30),
        seed in any::<u64>(),
        at in any::<usize>(),
    ) {
        let input: Vec<u8> = lines.concat();
        prop_assume!(!input.to_ascii_uppercase().windows(4).any(|w| w == b"STLS"));
        let whole = run_server(&input, Plan::Whole);
        prop_assert_eq!(&run_server(&input, Plan::Seeded(seed)), &whole);
        prop_assert_eq!(&run_server(&input, Plan::SplitAt(at % (input.len() + 1))), &whole);
    }

    #[test]
    fn random_bytes_never_panic_either_machine(
        input in proptest::collection::vec(any::<u8>(), 0..400),
        seed in any::<u64>(),
    ) {
        let _ = run_client(&input, Plan::Seeded(seed));
        let _ = run_server(&input, Plan::Seeded(seed));
        // A fresh client fed garbage as its greeting.
        let now = t0();
        let mut client = Client::new(now, support::plaintext_client());
        for piece in cut(&input, Plan::Seeded(seed)) {
            if client.handle_input(now, &piece).is_err() {
                break;
            }
        }
        let _ = client.handle_eof(now);
    }

    #[test]
    fn retr_round_trips_any_body_through_the_pair(
        body in proptest::collection::vec(prop_oneof![Just(b'.'), Just(b'\r'), Just(b'\n'), Just(b'x'), any::<u8>()], 0..300),
        chunk in 1usize..20,
        seed in any::<u64>(),
    ) {
        let mut pair = Pair::new(support::plaintext_client(), {
            let mut c = support::server_config();
            c.allow_plaintext_auth = true;
            c
        }, Some(seed));
        pair.store.chunk = chunk;
        pair.store.messages = vec![("u".into(), body.clone())];
        pair.login();
        pair.call(|c, now| c.retr(now, MessageNumber::new(1).unwrap())).unwrap();
        prop_assert_eq!(messages(&pair.client_events), vec![expected_body(&body)]);
        prop_assert!(pair.client_error.is_none() && pair.server_error.is_none());
    }
}
