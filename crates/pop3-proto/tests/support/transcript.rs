//! Transcript files and their replay against our `Client` and our `Server`.
//!
//! # Format (`tests/transcripts/*.txt`)
//!
//! - `S: text` — the server writes `text` then CRLF; `C: text` — the client
//!   writes `text` then CRLF. A bare `S:` or `C:` is an empty line.
//!   Escapes inside text: `\r`, `\n`, `\t`, `\\`, `\xHH`.
//! - `# ...` is a comment; blank lines are ignored.
//! - `% replay client|server` — which machines replay this file.
//! - `% client plaintext` (Opportunistic TLS, plaintext logins allowed),
//!   `% client implicit` (port 995), `% client required` (the default
//!   policy, STLS required).
//! - `% server apop <timestamp>`, `% server stls`, `% server plaintext`,
//!   `% server sasl MECH...`, `% user NAME PASSWORD`, `% message N UID`
//!   (the maildrop; content from the transcript's RETR of that message, or
//!   `% body N ESCAPED`).
//! - `@ VERB ARGS` — a client action at this point: `capa`, `stls`,
//!   `login USER PASS`, `apop USER SECRET`, `auth MECH USER PASS
//!   [AUTHZID]`, `stat`, `list [N]`, `uidl [N]`, `retr N`, `top N L`,
//!   `dele N`, `noop`, `rset`, `utf8`, `lang [RANGE]`, `quit`; `@ tls` (the handshake
//!   happens here) and `@ close` (`Transmit::Close` is expected here).
//!
//! The client replay feeds the server lines in many chunkings, calls the
//! verbs, and compares everything the client wrote with the `C:` lines.
//! The server replay feeds the `C:` lines (cut at `@ tls`), answers events
//! from the `%` settings, and compares the server's lines with the `S:`
//! lines: exactly inside multi-line answers (listings, message content),
//! by status and response code for status lines (our texts differ from the
//! RFCs' examples), and by decoded payload for `+` challenges; CAPA
//! listings are not compared (ours lists what is configured).

use postwire_core::{Protocol, TlsInfo, TlsVersion, Transmit};
use postwire_pop3_proto::client::{Client, ClientConfig, Event as ClientEvent, TlsPolicy};
use postwire_pop3_proto::server::{
    Event as ServerEvent, Maildrop, MaildropEntry, Mechanism, MessageFlow, Server, ServerConfig,
};
use postwire_pop3_proto::{Timestamp, UniqueId};
use postwire_sasl::client::{ClientMechanism, Credentials};

use super::{Plan, cut, drain_client, drain_server, n, normalize, t0};

/// The marker written into an output stream for `Transmit::StartTls`.
pub const STARTTLS: &[u8] = b"<STARTTLS>\r\n";
/// The marker written into an output stream for `Transmit::Close`.
pub const CLOSE: &[u8] = b"<CLOSE>\r\n";

/// One line of a transcript.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    S(Vec<u8>),
    C(Vec<u8>),
    Act(Vec<String>),
}

/// A parsed transcript.
#[derive(Clone, Debug, Default)]
pub struct Transcript {
    pub name: String,
    pub items: Vec<Item>,
    pub settings: Vec<Vec<String>>,
}

impl Transcript {
    fn setting(&self, key: &str) -> impl Iterator<Item = &[String]> {
        self.settings
            .iter()
            .filter(move |s| s.first().is_some_and(|k| k == key))
            .map(|s| &s[1..])
    }

    fn has(&self, key: &str, value: &str) -> bool {
        self.setting(key)
            .any(|args| args.first().is_some_and(|v| v == value))
    }

    pub fn replays(&self, side: &str) -> bool {
        self.has("replay", side)
    }
}

/// Decodes the escapes of the format.
pub fn unescape(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' || i + 1 == bytes.len() {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let (byte, len) = match bytes[i + 1] {
            b'r' => (b'\r', 2),
            b'n' => (b'\n', 2),
            b't' => (b'\t', 2),
            b'\\' => (b'\\', 2),
            b'x' => {
                let hex = std::str::from_utf8(&bytes[i + 2..i + 4]).unwrap();
                (u8::from_str_radix(hex, 16).unwrap(), 4)
            }
            other => panic!("bad escape \\{}", other as char),
        };
        out.push(byte);
        i += len;
    }
    out
}

pub fn parse(name: &str, text: &str) -> Transcript {
    let mut t = Transcript {
        name: name.to_owned(),
        ..Default::default()
    };
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix("S:") {
            t.items
                .push(Item::S(unescape(rest.strip_prefix(' ').unwrap_or(rest))));
        } else if let Some(rest) = line.strip_prefix("C:") {
            t.items
                .push(Item::C(unescape(rest.strip_prefix(' ').unwrap_or(rest))));
        } else if let Some(rest) = line.strip_prefix('@') {
            t.items.push(Item::Act(
                rest.split_whitespace().map(str::to_owned).collect(),
            ));
        } else if let Some(rest) = line.strip_prefix('%') {
            t.settings
                .push(rest.split_whitespace().map(str::to_owned).collect());
        } else {
            panic!("{name}: bad transcript line {line:?}");
        }
    }
    t
}

pub fn load(name: &str) -> Transcript {
    let path = format!("{}/tests/transcripts/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    parse(name, &text)
}

/// The plans every replay runs: whole, byte by byte, every split point of
/// the peer's bytes up to `max_splits`, and seeded random cuts.
pub fn plans(len: usize, max_splits: usize, seeds: u64) -> Vec<Plan> {
    let mut plans = vec![Plan::Whole, Plan::Bytes];
    let step = (len / max_splits.max(1)).max(1);
    plans.extend((1..len).step_by(step).map(Plan::SplitAt));
    plans.extend((0..seeds).map(Plan::Seeded));
    plans
}

// ---- client replay ----

fn client_config(t: &Transcript) -> ClientConfig {
    let mut config = ClientConfig::default();
    for args in t.setting("client") {
        match args.first().map(String::as_str) {
            Some("plaintext") => {
                config.tls = TlsPolicy::Opportunistic;
                config.allow_plaintext_auth = true;
            }
            Some("implicit") => config.implicit_tls = true,
            Some("required") => config.tls = TlsPolicy::Required,
            other => panic!("unknown client setting {other:?}"),
        }
    }
    config
}

fn expected_client_output(t: &Transcript) -> Vec<u8> {
    let mut out = Vec::new();
    for item in &t.items {
        match item {
            Item::C(line) => {
                out.extend_from_slice(line);
                out.extend_from_slice(b"\r\n");
            }
            Item::Act(words) if words[0] == "tls" => out.extend_from_slice(STARTTLS),
            Item::Act(words) if words[0] == "close" => out.extend_from_slice(CLOSE),
            _ => {}
        }
    }
    out
}

fn client_action(client: &mut Client, now: std::time::Instant, words: &[String]) {
    let arg = |i: usize| words.get(i).map(String::as_str).unwrap_or_default();
    let num = |i: usize| n(arg(i).parse().unwrap());
    let result = match arg(0) {
        "tls" | "close" => return,
        "capa" => client.capa(now),
        "stls" => client.stls(now),
        "login" => client.login(now, arg(1), arg(2)),
        "apop" => client.apop(now, arg(1), arg(2)),
        "auth" => {
            let mechanism = Mechanism::from_name(arg(1)).unwrap();
            let credentials = match words.get(4) {
                Some(authzid) => Credentials::password_as(authzid.as_str(), arg(2), arg(3)),
                None => Credentials::password(arg(2), arg(3)),
            };
            client.auth(now, ClientMechanism::new(mechanism, &credentials).unwrap())
        }
        "stat" => client.stat(now),
        "list" if words.len() > 1 => client.list(now, Some(num(1))),
        "list" => client.list(now, None),
        "uidl" if words.len() > 1 => client.uidl(now, Some(num(1))),
        "uidl" => client.uidl(now, None),
        "retr" => client.retr(now, num(1)),
        "top" => client.top(now, num(1), arg(2).parse().unwrap()),
        "dele" => client.dele(now, num(1)),
        "noop" => client.noop(now),
        "rset" => client.rset(now),
        "utf8" => client.utf8(now),
        "lang" => client.lang(
            now,
            words
                .get(1)
                .map(|range| postwire_pop3_proto::LanguageRange::new(range).unwrap()),
        ),
        "quit" => client.quit(now),
        other => panic!("unknown action {other}"),
    };
    result.unwrap_or_else(|e| panic!("@ {words:?}: {e}"));
}

/// Replays the transcript against a client with one plan.
pub fn run_client(t: &Transcript, plan: Plan) -> (Vec<ClientEvent>, Vec<u8>) {
    let now = t0();
    let mut client = Client::new(now, client_config(t));
    let mut events = Vec::new();
    let mut written = Vec::new();
    let mut pending: Vec<u8> = Vec::new();
    let feed = |client: &mut Client,
                pending: &mut Vec<u8>,
                events: &mut Vec<ClientEvent>,
                written: &mut Vec<u8>| {
        for piece in cut(pending, plan) {
            let result = client.handle_input(now, &piece);
            drain_client(client, events, written);
            result.unwrap_or_else(|e| panic!("{}: {plan:?}: {e}", t.name));
        }
        pending.clear();
    };
    for item in &t.items {
        match item {
            Item::S(line) => {
                pending.extend_from_slice(line);
                pending.extend_from_slice(b"\r\n");
            }
            Item::C(_) => {}
            Item::Act(words) => {
                feed(&mut client, &mut pending, &mut events, &mut written);
                if words[0] == "tls" {
                    assert!(
                        written.ends_with(STARTTLS),
                        "{}: no StartTls before @ tls",
                        t.name
                    );
                    client
                        .handle_tls_established(now, TlsInfo::new(TlsVersion::Tls13))
                        .unwrap();
                } else {
                    client_action(&mut client, now, words);
                }
                drain_client(&mut client, &mut events, &mut written);
            }
        }
    }
    feed(&mut client, &mut pending, &mut events, &mut written);
    (normalize(events), written)
}

/// Replays the transcript against our client in many chunkings; every
/// chunking must give the same events and exactly the `C:` lines.
pub fn replay_client(name: &str) -> Vec<ClientEvent> {
    let t = load(name);
    assert!(t.replays("client"), "{name} is not a client transcript");
    let expected = expected_client_output(&t);
    let s_len: usize = t
        .items
        .iter()
        .map(|i| match i {
            Item::S(l) => l.len() + 2,
            _ => 0,
        })
        .sum();
    let (reference, _) = run_client(&t, Plan::Whole);
    for plan in plans(s_len, 64, 32) {
        let (events, written) = run_client(&t, plan);
        assert_eq!(
            String::from_utf8_lossy(&written),
            String::from_utf8_lossy(&expected),
            "{name}: client output with {plan:?}"
        );
        assert_eq!(events, reference, "{name}: events with {plan:?}");
    }
    reference
}

// ---- server replay ----

struct ServerApp {
    users: Vec<(String, String)>,
    messages: Vec<(u32, String, Vec<u8>)>,
}

impl ServerApp {
    fn from(t: &Transcript) -> Self {
        let mut users = Vec::new();
        for args in t.setting("user") {
            users.push((args[0].clone(), args[1].clone()));
        }
        let bodies = retrieved_bodies(t);
        let mut messages = Vec::new();
        for args in t.setting("message") {
            let number: u32 = args[0].parse().unwrap();
            let body = t
                .setting("body")
                .find(|b| b[0] == args[0])
                .map(|b| unescape(&b[1..].join(" ")))
                .or_else(|| {
                    bodies
                        .iter()
                        .find(|(k, _)| *k == number)
                        .map(|(_, b)| b.clone())
                })
                .unwrap_or_else(|| panic!("{}: no body for message {number}", t.name));
            messages.push((number, args[1].clone(), body));
        }
        Self { users, messages }
    }

    fn password(&self, user: &str) -> Option<&str> {
        self.users
            .iter()
            .find(|(u, _)| u == user)
            .map(|(_, p)| p.as_str())
    }

    fn answer(&self, server: &mut Server, event: &ServerEvent) {
        match event {
            ServerEvent::StartTls { id } => server.accept(*id).unwrap(),
            ServerEvent::Login {
                id,
                username,
                password,
            } => {
                if self.password(username) == Some(password.expose().as_str()) {
                    server.accept(*id).unwrap();
                } else {
                    server.reject(*id).unwrap();
                }
            }
            ServerEvent::Apop { id, username, .. } => {
                server.apop_secret(*id, self.password(username)).unwrap();
            }
            ServerEvent::Auth {
                id, authentication, ..
            } => {
                let ok = self
                    .password(&authentication.username)
                    .is_some_and(|p| authentication.password_matches(p));
                if ok {
                    server.accept(*id).unwrap();
                } else {
                    server.reject(*id).unwrap();
                }
            }
            ServerEvent::OpenMaildrop { id, .. } => {
                let entries = self
                    .messages
                    .iter()
                    .map(|(_, uid, body)| {
                        MaildropEntry::new(body.len() as u64, UniqueId::new(uid).unwrap())
                    })
                    .collect();
                server.open_maildrop(*id, Maildrop::new(entries)).unwrap();
            }
            ServerEvent::Retrieve { id, msg, .. } => {
                let body = &self.messages[msg.get() as usize - 1].2;
                for piece in body.chunks(7) {
                    if server.message_data(*id, piece).unwrap() == MessageFlow::Done {
                        break;
                    }
                }
                server.message_end(*id).unwrap();
            }
            ServerEvent::Update { id, .. } => server.accept(*id).unwrap(),
            _ => {}
        }
    }
}

/// The content of each RETR answer in the transcript, unstuffed.
fn retrieved_bodies(t: &Transcript) -> Vec<(u32, Vec<u8>)> {
    let mut out = Vec::new();
    let mut commands: std::collections::VecDeque<String> = std::collections::VecDeque::new();
    let mut current: Option<(u32, Vec<u8>)> = None;
    let mut first = true;
    for item in &t.items {
        match item {
            Item::C(line) => commands.push_back(String::from_utf8_lossy(line).into_owned()),
            Item::S(line) => {
                if let Some((number, body)) = current.as_mut() {
                    if line == b"." {
                        out.push((*number, std::mem::take(body)));
                        current = None;
                    } else {
                        let line = line.strip_prefix(b".").unwrap_or(line);
                        body.extend_from_slice(line);
                        body.extend_from_slice(b"\r\n");
                    }
                    continue;
                }
                if first {
                    first = false;
                    continue;
                }
                if line.starts_with(b"+ ") || line == b"+" {
                    commands.pop_front();
                    continue;
                }
                let command = commands
                    .pop_front()
                    .unwrap_or_default()
                    .to_ascii_uppercase();
                let words: Vec<&str> = command.split_whitespace().collect();
                if line.starts_with(b"+OK") && words.first() == Some(&"RETR") {
                    current = Some((words[1].parse().unwrap(), Vec::new()));
                } else if line.starts_with(b"+OK")
                    && (is_multiline(&words) || words.first() == Some(&"TOP"))
                {
                    current = Some((0, Vec::new()));
                }
            }
            Item::Act(_) => {}
        }
    }
    out.retain(|(number, _)| *number > 0);
    out
}

fn is_multiline(words: &[&str]) -> bool {
    matches!(
        words,
        ["CAPA"] | ["LIST"] | ["UIDL"] | ["RETR", _] | ["TOP", _, _]
    )
}

fn server_config(t: &Transcript) -> ServerConfig {
    let mut config = ServerConfig::new("pop.example");
    config.timeouts.auth_failure_delay = std::time::Duration::ZERO;
    for args in t.setting("server") {
        match args.first().map(String::as_str) {
            Some("apop") => {}
            Some("stls") => config.stls = true,
            Some("plaintext") => config.allow_plaintext_auth = true,
            Some("sasl") => {
                config.sasl = args[1..]
                    .iter()
                    .map(|m| Mechanism::from_name(m).unwrap())
                    .collect();
            }
            other => panic!("unknown server setting {other:?}"),
        }
    }
    config
}

/// Replays the transcript's client lines against our server with one plan;
/// returns the server's output and events.
pub fn run_server(t: &Transcript, plan: Plan) -> (Vec<u8>, Vec<ServerEvent>) {
    let now = t0();
    let config = server_config(t);
    let mut server = match t.setting("server").find(|a| a[0] == "apop") {
        Some(args) => Server::with_apop_timestamp(now, config, Timestamp::new(&args[1]).unwrap()),
        None => Server::new(now, config),
    };
    let app = ServerApp::from(t);
    let mut written = Vec::new();
    let mut events = Vec::new();
    let mut pending = Vec::new();
    let mut feed = |server: &mut Server, pending: &mut Vec<u8>, written: &mut Vec<u8>| {
        for piece in cut(pending, plan) {
            let result = server.handle_input(now, &piece);
            loop {
                let mut new = Vec::new();
                drain_server(server, &mut new, written);
                if new.is_empty() {
                    break;
                }
                for event in &new {
                    app.answer(server, event);
                }
                events.extend(new);
            }
            result.unwrap_or_else(|e| panic!("{}: {plan:?}: {e}", t.name));
        }
        pending.clear();
    };
    for item in &t.items {
        match item {
            Item::C(line) => {
                pending.extend_from_slice(line);
                pending.extend_from_slice(b"\r\n");
            }
            Item::Act(words) if words[0] == "tls" => {
                feed(&mut server, &mut pending, &mut written);
                assert!(written.ends_with(STARTTLS), "{}: no StartTls", t.name);
                server
                    .handle_tls_established(now, TlsInfo::new(TlsVersion::Tls13))
                    .unwrap();
                let mut ignored = Vec::new();
                drain_server(&mut server, &mut ignored, &mut written);
            }
            _ => {}
        }
    }
    feed(&mut server, &mut pending, &mut written);
    let _ = Transmit::Close;
    (written, events)
}

/// The server side of the transcript, as lines with markers.
fn expected_server_lines(t: &Transcript) -> Vec<(Vec<u8>, Mode)> {
    let mut out = Vec::new();
    let mut commands: std::collections::VecDeque<String> = std::collections::VecDeque::new();
    commands.push_back("GREETING".into());
    let mut mode = Mode::Status;
    let mut after_continuation = false;
    for item in &t.items {
        match item {
            Item::C(line) => {
                if after_continuation {
                    after_continuation = false;
                } else {
                    commands.push_back(String::from_utf8_lossy(line).to_ascii_uppercase());
                }
            }
            Item::S(line) => {
                if mode != Mode::Status {
                    out.push((line.clone(), mode));
                    if line == b"." {
                        mode = Mode::Status;
                    }
                    continue;
                }
                if line.starts_with(b"+ ") || line == b"+" {
                    after_continuation = true;
                    out.push((line.clone(), Mode::Continuation));
                    continue;
                }
                out.push((line.clone(), Mode::Status));
                let command = commands.pop_front().unwrap_or_default();
                let words: Vec<&str> = command.split_whitespace().collect();
                if line.starts_with(b"+OK") && is_multiline(&words) {
                    mode = if words[0] == "CAPA" {
                        Mode::Capa
                    } else {
                        Mode::Data
                    };
                }
            }
            Item::Act(words) if words[0] == "tls" => out.push((STARTTLS.to_vec(), Mode::Marker)),
            Item::Act(words) if words[0] == "close" => out.push((CLOSE.to_vec(), Mode::Marker)),
            Item::Act(_) => {}
        }
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Status,
    Continuation,
    Data,
    Capa,
    Marker,
}

fn status_of(line: &[u8]) -> (&'static str, Option<String>) {
    let status = if line.starts_with(b"+OK") {
        "+OK"
    } else if line.starts_with(b"-ERR") {
        "-ERR"
    } else {
        "?"
    };
    let text = String::from_utf8_lossy(line);
    let code = text
        .split_once(" [")
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(code, _)| code.to_owned());
    (status, code)
}

fn payload(line: &[u8]) -> Vec<u8> {
    let encoded = line[1..].strip_prefix(b" ").unwrap_or(&line[1..]);
    postwire_sasl::decode_base64(encoded).unwrap()
}

/// Compares our server's output with the transcript's server lines.
fn compare_server(t: &Transcript, written: &[u8], plan: Plan) {
    let expected = expected_server_lines(t);
    let text = String::from_utf8_lossy(written).into_owned();
    let mut actual: Vec<&[u8]> = written
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect();
    if actual.last() == Some(&&b""[..]) {
        actual.pop();
    }
    let mut a = 0;
    for (line, mode) in expected {
        let here = format!(
            "{} {plan:?}: at {:?} in\n{text}",
            t.name,
            String::from_utf8_lossy(&line)
        );
        match mode {
            Mode::Capa => {
                // Skip the listing lines on both sides up to the dot.
                if line == b"." {
                    while actual.get(a).is_some_and(|l| *l != b".") {
                        a += 1;
                    }
                    assert_eq!(actual.get(a), Some(&&b"."[..]), "{here}");
                    a += 1;
                }
                continue;
            }
            Mode::Marker => {
                let marker = &line[..line.len() - 2];
                assert_eq!(actual.get(a), Some(&marker), "{here}");
            }
            Mode::Data => assert_eq!(actual.get(a), Some(&&line[..]), "{here}"),
            Mode::Continuation => {
                let got = actual.get(a).unwrap_or_else(|| panic!("{here}"));
                assert!(got.starts_with(b"+"), "{here}");
                assert_eq!(payload(got), payload(&line), "{here}");
            }
            Mode::Status => {
                let got = actual
                    .get(a)
                    .unwrap_or_else(|| panic!("missing line: {here}"));
                let (status, code) = status_of(&line);
                let (got_status, got_code) = status_of(got);
                assert_eq!(got_status, status, "{here}");
                if code.is_some() {
                    assert_eq!(got_code, code, "{here}");
                }
            }
        }
        a += 1;
    }
    assert_eq!(
        a,
        actual.len(),
        "{}: extra output {plan:?}:\n{text}",
        t.name
    );
}

/// Replays the transcript against our server in many chunkings of the
/// client's bytes; every chunking must give the same output and events.
pub fn replay_server(name: &str) -> Vec<ServerEvent> {
    let t = load(name);
    assert!(t.replays("server"), "{name} is not a server transcript");
    let c_len: usize = t
        .items
        .iter()
        .map(|i| match i {
            Item::C(l) => l.len() + 2,
            _ => 0,
        })
        .sum();
    let (reference, reference_events) = run_server(&t, Plan::Whole);
    compare_server(&t, &reference, Plan::Whole);
    for plan in plans(c_len, 64, 32) {
        let (written, events) = run_server(&t, plan);
        assert_eq!(
            String::from_utf8_lossy(&written),
            String::from_utf8_lossy(&reference),
            "{name}: server output with {plan:?}"
        );
        assert_eq!(events, reference_events, "{name}: events with {plan:?}");
    }
    reference_events
}
