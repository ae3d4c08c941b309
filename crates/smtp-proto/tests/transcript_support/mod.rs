//! Transcript files and their replay against our `Server` and our `Client`.
//!
//! # Format (`tests/transcripts/*.txt`)
//!
//! - `S: text` — the server writes `text` then CRLF; `C: text` — the client
//!   writes `text` then CRLF. `S~ text` and `C~ text` write `text` without
//!   the CRLF. A bare `C:` or `S:` is an empty line.
//! - Escapes inside text: `\r`, `\n`, `\t`, `\0`, `\\` and `\xHH`.
//! - `# ...` is a comment; blank lines are ignored.
//! - `% replay client|server` — which machines replay this file (several
//!   allowed). `% server KEY [VALUE...]` and `% client KEY [VALUE...]`
//!   configure the machines (see [`server_config`] and [`client_config`]).
//! - `% app KIND[@N] [=MATCH] accept|reject|reply CODE [ESC] TEXT|password PW|lmtp R1 | R2`
//!   answers the server's events of KIND (helo, mail, rcpt, data, dataend,
//!   auth, starttls, vrfy, expn, help, noop, rset, quit), only the N-th
//!   (1-based) one when `@N` is given, only those whose address is MATCH
//!   when `=MATCH` is given. Events with no matching rule are accepted.
//! - `@ VERB ARGS` — an action at this point of the conversation. The
//!   client replay calls the verb (`ehlo`, `starttls`, `auth MECH USER
//!   SECRET [AUTHZID]`, `mail FROM TO... [size=N] [8bit] [binary] [utf8hdr]`,
//!   `body ESCAPED-TEXT`, `finish`, `rset`, `noop`, `vrfy WHAT`, `quit`).
//!   Both replays treat `@ tls` (the handshake: `Transmit::StartTls` is
//!   expected here, then `handle_tls_established` is called) and `@ close`
//!   (`Transmit::Close` is expected here).
//!
//! A replay checks that the machine's output so far equals the transcript's
//! lines of its side so far at every `@` line (the server replay only at
//! `@ tls` and `@ close`: its replies may run ahead of the client's next
//! verb), and at the end that it equals all of them, for many chunkings of the peer's bytes: whole, one byte at a
//! time, split at every point (short transcripts), and seeded random cuts.
#![allow(dead_code, unreachable_pub)]

use std::time::Instant;

use bytes::Bytes;
use postwire_core::{Protocol, TlsInfo, TlsVersion, Transmit};
use postwire_sasl::Mechanism;
use postwire_sasl::client::{ClientMechanism, Credentials};
use postwire_smtp_proto::client::{
    BodyInfo, Client, ClientConfig, Envelope, Event as ClientEvent, StartTlsPolicy,
};
use postwire_smtp_proto::server::{BareLineEndings, Event as ServerEvent, Server, ServerConfig};
use postwire_smtp_proto::{Domain, ForwardPath, Host, Mailbox, Reply, ReplyParser, ReversePath};

/// The marker written into an output stream for `Transmit::StartTls`.
pub const STARTTLS: &[u8] = b"<STARTTLS>";
/// The marker written into an output stream for `Transmit::Close`.
pub const CLOSE: &[u8] = b"<CLOSE>";

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
    pub replay: Vec<String>,
    pub server: Vec<Vec<String>>,
    pub client: Vec<Vec<String>>,
    pub app: Vec<Vec<String>>,
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
        match bytes[i + 1] {
            b'r' => out.push(b'\r'),
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'0' => out.push(0),
            b'\\' => out.push(b'\\'),
            b'x' => {
                let hex = std::str::from_utf8(&bytes[i + 2..i + 4]).expect("\\x needs two digits");
                out.push(u8::from_str_radix(hex, 16).expect("bad \\x escape"));
                i += 2;
            }
            other => panic!("unknown escape \\{}", other as char),
        }
        i += 2;
    }
    out
}

/// Parses transcript text.
pub fn parse(name: &str, text: &str) -> Transcript {
    let mut t = Transcript {
        name: name.to_owned(),
        ..Transcript::default()
    };
    for (n, line) in text.lines().enumerate() {
        let words = |rest: &str| {
            rest.split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (head, rest) = line.split_at(2.min(line.len()));
        let rest = rest.strip_prefix(' ').unwrap_or(rest);
        match head {
            "S:" | "C:" => {
                let mut bytes = unescape(rest);
                bytes.extend_from_slice(b"\r\n");
                t.items.push(if head == "S:" {
                    Item::S(bytes)
                } else {
                    Item::C(bytes)
                });
            }
            "S~" => t.items.push(Item::S(unescape(rest))),
            "C~" => t.items.push(Item::C(unescape(rest))),
            "@ " => {
                // `body` keeps its text whole (spaces matter).
                let act = match rest.split_once(' ') {
                    Some(("body", text)) => vec!["body".to_owned(), text.to_owned()],
                    _ => words(rest),
                };
                t.items.push(Item::Act(act));
            }
            "% " => {
                let mut w = words(rest);
                assert!(!w.is_empty(), "{name}:{}: empty directive", n + 1);
                let kind = w.remove(0);
                match kind.as_str() {
                    "replay" => t.replay.extend(w),
                    "server" => t.server.push(w),
                    "client" => t.client.push(w),
                    "app" => t.app.push(w),
                    other => panic!("{name}:{}: unknown directive {other}", n + 1),
                }
            }
            _ => panic!("{name}:{}: cannot read {line:?}", n + 1),
        }
    }
    t
}

/// Loads `tests/transcripts/<name>`.
pub fn load(name: &str) -> Transcript {
    let path = format!("{}/tests/transcripts/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    parse(name, &text)
}

/// Parses `CODE [ESC] TEXT...` into a reply.
pub fn reply_from_words(words: &[String]) -> Reply {
    let line = format!("{}\r\n", words.join(" "));
    let line = line.trim_end_matches("\r\n").to_owned();
    let mut parser = ReplyParser::new(10, 4096);
    let reply = parser
        .push_line(Bytes::from(line.clone()))
        .unwrap_or_else(|e| panic!("bad reply {line:?}: {e}"));
    reply.unwrap_or_else(|| panic!("reply {line:?} is not a last line"))
}

/// The server configuration: `% server hostname H`, `banner TEXT...`, `lmtp`,
/// `plaintext-auth`, `auth MECH...`, `max-size N`, `max-recipients N`,
/// `bare normalize|reject`, `ext NAME on|off` (pipelining, 8bitmime,
/// smtputf8, chunking, binarymime, dsn, enhancedstatuscodes, starttls,
/// requiretls).
pub fn server_config(t: &Transcript) -> ServerConfig {
    let mut cfg = ServerConfig::new(Domain::new("mx.example.org").unwrap());
    // Transcripts replay bytes without a clock: a held-back 535 would never
    // come (the failure delay is tested in server_auth_delay.rs).
    cfg.timeouts.auth_failure_delay = std::time::Duration::ZERO;
    for d in &t.server {
        let arg = |i: usize| d.get(i).cloned().unwrap_or_default();
        match d[0].as_str() {
            "hostname" => cfg.hostname = Domain::new(arg(1)).unwrap(),
            "banner" => cfg.banner = d[1..].join(" "),
            "lmtp" => cfg.lmtp = true,
            "plaintext-auth" => cfg.allow_plaintext_auth = true,
            "auth" => {
                cfg.extensions.auth = d[1..]
                    .iter()
                    .map(|m| Mechanism::from_name(m).unwrap())
                    .collect();
            }
            "max-size" => cfg.limits.max_message_size = arg(1).parse().unwrap(),
            "max-recipients" => cfg.limits.max_recipients = arg(1).parse().unwrap(),
            "bare" => {
                cfg.quirks.bare_line_endings = match arg(1).as_str() {
                    "normalize" => BareLineEndings::Normalize,
                    _ => BareLineEndings::Reject,
                }
            }
            "ext" => {
                let on = arg(2) == "on";
                let e = &mut cfg.extensions;
                match arg(1).as_str() {
                    "pipelining" => e.pipelining = on,
                    "8bitmime" => e.eight_bit_mime = on,
                    "smtputf8" => e.smtputf8 = on,
                    "chunking" => e.chunking = on,
                    "binarymime" => e.binary_mime = on,
                    "dsn" => e.dsn = on,
                    "enhancedstatuscodes" => e.enhanced_status_codes = on,
                    "starttls" => e.starttls = on,
                    "requiretls" => e.requiretls = on,
                    other => panic!("unknown extension {other}"),
                }
            }
            other => panic!("unknown server setting {other}"),
        }
    }
    cfg
}

/// The client configuration: `% client name N`, `starttls
/// required|opportunistic|disabled` (default disabled for transcripts),
/// `lmtp`, `chunking off`, `plaintext-auth`, `implicit-tls`.
pub fn client_config(t: &Transcript) -> ClientConfig {
    let mut cfg = ClientConfig::new(Host::Domain(Domain::new("client.example").unwrap()));
    cfg.starttls = StartTlsPolicy::Disabled;
    for d in &t.client {
        let arg = |i: usize| d.get(i).cloned().unwrap_or_default();
        match d[0].as_str() {
            "name" => cfg.client_id = Host::Domain(Domain::new(arg(1)).unwrap()),
            "starttls" => {
                cfg.starttls = match arg(1).as_str() {
                    "required" => StartTlsPolicy::Required,
                    "opportunistic" => StartTlsPolicy::Opportunistic,
                    _ => StartTlsPolicy::Disabled,
                }
            }
            "lmtp" => cfg.lmtp = true,
            "chunking" => cfg.use_chunking = arg(1) != "off",
            "plaintext-auth" => cfg.allow_plaintext_auth = true,
            "implicit-tls" => cfg.implicit_tls = true,
            other => panic!("unknown client setting {other}"),
        }
    }
    cfg
}

/// A small deterministic generator (xorshift64*), so chunkings are seeded.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }
}

/// How the peer's bytes are cut into `handle_input` calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    Whole,
    Bytewise,
    /// One cut at this offset of the whole stream.
    SplitAt(usize),
    /// Random cuts of 1 to 17 bytes, then whole pieces, from this seed.
    Random(u64),
}

/// Cuts successive pieces of one stream according to a plan.
pub struct Chunker {
    plan: Plan,
    offset: usize,
    rng: Rng,
}

impl Chunker {
    pub fn new(plan: Plan) -> Self {
        let seed = match plan {
            Plan::Random(s) => s,
            _ => 0,
        };
        Chunker {
            plan,
            offset: 0,
            rng: Rng::new(seed),
        }
    }

    /// The pieces of `data`, the next part of the stream.
    pub fn cut<'a>(&mut self, data: &'a [u8]) -> Vec<&'a [u8]> {
        let start = self.offset;
        self.offset += data.len();
        let mut pieces = Vec::new();
        let mut rest = data;
        match self.plan {
            Plan::Whole => pieces.push(rest),
            Plan::Bytewise => pieces.extend(rest.chunks(1)),
            Plan::SplitAt(k) if k > start && k < start + rest.len() => {
                let (a, b) = rest.split_at(k - start);
                pieces.push(a);
                pieces.push(b);
            }
            Plan::SplitAt(_) => pieces.push(rest),
            Plan::Random(_) => {
                while !rest.is_empty() {
                    let n = match self.rng.next() % 4 {
                        0 => rest.len(),
                        _ => self.rng.range(1, 17),
                    }
                    .min(rest.len());
                    let (a, b) = rest.split_at(n);
                    pieces.push(a);
                    rest = b;
                }
            }
        }
        pieces.retain(|p| !p.is_empty());
        pieces
    }
}

/// The plans a replay runs: whole, bytewise, every split point when the
/// stream is short, and `seeds` random ones.
pub fn plans(stream_len: usize, seeds: u64) -> Vec<Plan> {
    let mut plans = vec![Plan::Whole, Plan::Bytewise];
    if stream_len <= 2048 {
        plans.extend((1..stream_len).map(Plan::SplitAt));
    }
    plans.extend((1..=seeds).map(Plan::Random));
    plans
}

fn show(bytes: &[u8]) -> String {
    bytes
        .escape_ascii()
        .to_string()
        .replace("\\r\\n", "\\r\\n\n")
}

thread_local! {
    /// Record mode: no comparison (to write new transcripts).
    static RECORD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn assert_prefix(t: &Transcript, side: &str, got: &[u8], expected: &[u8], plan: Plan, at: usize) {
    if RECORD.with(|r| r.get()) {
        return;
    }
    assert!(
        got == expected,
        "{}: {side} output differs at item {at} with {plan:?}\n--- expected ---\n{}\n--- got ---\n{}",
        t.name,
        show(expected),
        show(got)
    );
}

// ---------------------------------------------------------------- server

/// What the server application saw in one replay.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerSeen {
    /// Events in order, consecutive `DataChunk`s merged.
    pub events: Vec<ServerEvent>,
    /// Each message delivered (content up to its `DataEnd`).
    pub messages: Vec<Vec<u8>>,
}

fn kind_of(event: &ServerEvent) -> &'static str {
    match event {
        ServerEvent::Helo { .. } => "helo",
        ServerEvent::Mail { .. } => "mail",
        ServerEvent::Rcpt { .. } => "rcpt",
        ServerEvent::DataStart { .. } => "data",
        ServerEvent::DataEnd { .. } => "dataend",
        ServerEvent::Auth { .. } => "auth",
        ServerEvent::StartTls { .. } => "starttls",
        ServerEvent::Vrfy { .. } => "vrfy",
        ServerEvent::Expn { .. } => "expn",
        ServerEvent::Help { .. } => "help",
        ServerEvent::Noop { .. } => "noop",
        ServerEvent::Rset { .. } => "rset",
        ServerEvent::Quit { .. } => "quit",
        _ => "other",
    }
}

fn address_of(event: &ServerEvent) -> Option<String> {
    match event {
        ServerEvent::Mail { from, .. } => Some(match from {
            ReversePath::Null => String::new(),
            ReversePath::Mailbox(m) => m.to_string(),
        }),
        ServerEvent::Rcpt { to, .. } => Some(match to {
            ForwardPath::Postmaster => "Postmaster".to_owned(),
            ForwardPath::Mailbox(m) => m.to_string(),
        }),
        _ => None,
    }
}

/// Answers one event as the transcript's `% app` rules say.
fn answer(
    server: &mut Server,
    rules: &[Vec<String>],
    counts: &mut Vec<(String, usize)>,
    event: &ServerEvent,
) {
    let Some(id) = event.id() else { return };
    let kind = kind_of(event);
    let n = match counts.iter_mut().find(|(k, _)| k == kind) {
        Some((_, n)) => {
            *n += 1;
            *n
        }
        None => {
            counts.push((kind.to_owned(), 1));
            1
        }
    };
    let address = address_of(event);
    for rule in rules {
        let (rule_kind, nth) = match rule[0].split_once('@') {
            Some((k, nth)) => (k, Some(nth.parse::<usize>().unwrap())),
            None => (rule[0].as_str(), None),
        };
        if rule_kind != kind || nth.is_some_and(|nth| nth != n) {
            continue;
        }
        let mut rest = &rule[1..];
        if let Some(m) = rest.first().and_then(|w| w.strip_prefix('=')) {
            if address
                .as_deref()
                .is_none_or(|a| !a.eq_ignore_ascii_case(m))
            {
                continue;
            }
            rest = &rest[1..];
        }
        let result = match rest[0].as_str() {
            "accept" => server.accept(id),
            "reject" => server.reject(id),
            "reply" => server.reply(id, reply_from_words(&rest[1..])),
            "password" => match event {
                ServerEvent::Auth { authentication, .. }
                    if authentication.password_matches(&rest[1]) =>
                {
                    server.accept(id)
                }
                _ => server.reject(id),
            },
            "lmtp" => {
                let replies = rest[1..]
                    .split(|w| w == "|")
                    .map(reply_from_words)
                    .collect();
                server.reply_lmtp(id, replies)
            }
            other => panic!("unknown app action {other}"),
        };
        result.expect("app answer");
        return;
    }
    server.accept(id).expect("accept");
}

/// Replays the C: lines against a `Server` with one plan; returns what the
/// server wrote (with markers) and what the application saw.
pub fn run_server(t: &Transcript, plan: Plan) -> (Vec<u8>, ServerSeen) {
    #[allow(clippy::disallowed_methods)] // a test needs some instant to start from
    let now = Instant::now();
    let mut server = Server::new(now, server_config(t));
    let mut chunker = Chunker::new(plan);
    let mut out = Vec::new();
    let mut expected = Vec::new();
    let mut seen = ServerSeen::default();
    let mut counts = Vec::new();
    let mut body = Vec::new();
    let mut pending: Vec<u8> = Vec::new();
    let drain = |server: &mut Server,
                 out: &mut Vec<u8>,
                 seen: &mut ServerSeen,
                 counts: &mut Vec<(String, usize)>,
                 body: &mut Vec<u8>| loop {
        let mut progress = false;
        while let Some(event) = server.poll_event() {
            progress = true;
            match &event {
                ServerEvent::DataChunk(b) => body.extend_from_slice(b),
                ServerEvent::DataEnd { .. } => seen.messages.push(std::mem::take(body)),
                ServerEvent::DataAborted { .. } => body.clear(),
                _ => {}
            }
            answer(server, &t.app, counts, &event);
            match (seen.events.last_mut(), event) {
                (Some(ServerEvent::DataChunk(prev)), ServerEvent::DataChunk(more)) => {
                    let mut joined = prev.to_vec();
                    joined.extend_from_slice(&more);
                    *prev = Bytes::from(joined);
                }
                (_, event) => seen.events.push(event),
            }
        }
        while let Some(tr) = server.poll_transmit() {
            progress = true;
            match tr {
                Transmit::Data(b) => out.extend_from_slice(&b),
                Transmit::StartTls => out.extend_from_slice(STARTTLS),
                Transmit::Close => out.extend_from_slice(CLOSE),
            }
        }
        if !progress {
            break;
        }
    };
    drain(&mut server, &mut out, &mut seen, &mut counts, &mut body);
    let feed = |server: &mut Server,
                chunker: &mut Chunker,
                pending: &mut Vec<u8>,
                out: &mut Vec<u8>,
                seen: &mut ServerSeen,
                counts: &mut Vec<(String, usize)>,
                body: &mut Vec<u8>| {
        let data = std::mem::take(pending);
        for piece in chunker.cut(&data) {
            server.handle_input(now, piece).expect("server input");
            drain(server, out, seen, counts, body);
        }
    };
    for (i, item) in t.items.iter().enumerate() {
        match item {
            Item::C(bytes) => pending.extend_from_slice(bytes),
            Item::S(bytes) => expected.extend_from_slice(bytes),
            // Client verbs are no cut points for the server: its output may
            // run ahead of the client's next verb (pipelining).
            Item::Act(act) if act[0] != "tls" && act[0] != "close" => {}
            Item::Act(act) => {
                feed(
                    &mut server,
                    &mut chunker,
                    &mut pending,
                    &mut out,
                    &mut seen,
                    &mut counts,
                    &mut body,
                );
                match act[0].as_str() {
                    "tls" => {
                        expected.extend_from_slice(STARTTLS);
                        assert_prefix(t, "server", &out, &expected, plan, i);
                        server
                            .handle_tls_established(now, TlsInfo::new(TlsVersion::Tls13))
                            .expect("tls");
                        drain(&mut server, &mut out, &mut seen, &mut counts, &mut body);
                    }
                    "close" => {
                        expected.extend_from_slice(CLOSE);
                        assert_prefix(t, "server", &out, &expected, plan, i);
                    }
                    _ => unreachable!(),
                }
            }
        }
    }
    feed(
        &mut server,
        &mut chunker,
        &mut pending,
        &mut out,
        &mut seen,
        &mut counts,
        &mut body,
    );
    assert_prefix(t, "server", &out, &expected, plan, t.items.len());
    (out, seen)
}

/// Replays `name` against the server with every plan; asserts that the
/// output always equals the S: lines and that the application always saw
/// the same; returns that.
pub fn replay_server(name: &str) -> ServerSeen {
    let t = load(name);
    assert!(
        t.replay.iter().any(|r| r == "server"),
        "{name} is not for the server"
    );
    let len: usize = t
        .items
        .iter()
        .map(|i| match i {
            Item::C(b) => b.len(),
            _ => 0,
        })
        .sum();
    let (_, first) = run_server(&t, Plan::Whole);
    for plan in plans(len, 64) {
        let (_, seen) = run_server(&t, plan);
        assert_eq!(
            seen, first,
            "{name}: application saw something else with {plan:?}"
        );
    }
    first
}

// ---------------------------------------------------------------- client

fn mailbox(text: &str) -> Mailbox {
    let text = String::from_utf8(unescape(text)).unwrap();
    Mailbox::parse(text.trim_start_matches('<').trim_end_matches('>')).unwrap()
}

/// Runs one `@` verb on the client.
fn client_verb(client: &mut Client, now: Instant, act: &[String]) {
    let arg = |i: usize| act.get(i).cloned().unwrap_or_default();
    let result = match act[0].as_str() {
        "ehlo" => client.ehlo(now).map(drop),
        "starttls" => client.starttls(now).map(drop),
        "noop" => client.noop(now).map(drop),
        "rset" => client.rset(now).map(drop),
        "quit" => client.quit(now).map(drop),
        "vrfy" => client.vrfy(now, &arg(1)).map(drop),
        "finish" => client.finish_body(now),
        "body" => client.send_body(now, &unescape(&arg(1))),
        "auth" => {
            let mechanism = Mechanism::from_name(&arg(1)).unwrap();
            let credentials = match mechanism {
                Mechanism::XOAuth2 | Mechanism::OAuthBearer => Credentials::oauth2(arg(2), arg(3)),
                _ => match act.get(4) {
                    Some(authzid) => Credentials::Password {
                        authzid: Some(authzid.clone()),
                        username: arg(2),
                        password: arg(3).into(),
                    },
                    None => Credentials::password(arg(2), arg(3)),
                },
            };
            let mechanism = ClientMechanism::new(mechanism, &credentials).unwrap();
            client.auth(now, mechanism).map(drop)
        }
        "mail" => {
            let mut envelope = Envelope::new(match arg(1).as_str() {
                "<>" => ReversePath::Null,
                from => ReversePath::Mailbox(mailbox(from)),
            });
            let mut info = BodyInfo::default();
            for word in &act[2..] {
                if let Some(size) = word.strip_prefix("size=") {
                    info.size = Some(size.parse().unwrap());
                } else if word == "8bit" {
                    info.eight_bit = true;
                } else if word == "binary" {
                    info.binary = true;
                } else if word == "utf8hdr" {
                    info.utf8_headers = true;
                } else {
                    envelope = envelope.to(ForwardPath::Mailbox(mailbox(word)));
                }
            }
            client.send_mail(now, envelope, info).map(drop)
        }
        other => panic!("unknown verb {other}"),
    };
    result.unwrap_or_else(|e| panic!("@ {}: {e}", act.join(" ")));
}

/// Replays the S: lines against a `Client` with one plan, calling the `@`
/// verbs; returns what the client wrote (with markers) and its events.
pub fn run_client(t: &Transcript, plan: Plan) -> (Vec<u8>, Vec<ClientEvent>) {
    #[allow(clippy::disallowed_methods)] // a test needs some instant to start from
    let now = Instant::now();
    let mut client = Client::new(now, client_config(t));
    let mut chunker = Chunker::new(plan);
    let mut out = Vec::new();
    let mut expected = Vec::new();
    let mut events = Vec::new();
    let mut pending: Vec<u8> = Vec::new();
    let drain = |client: &mut Client, out: &mut Vec<u8>, events: &mut Vec<ClientEvent>| {
        while let Some(tr) = client.poll_transmit() {
            match tr {
                Transmit::Data(b) => out.extend_from_slice(&b),
                Transmit::StartTls => out.extend_from_slice(STARTTLS),
                Transmit::Close => out.extend_from_slice(CLOSE),
            }
        }
        events.extend(std::iter::from_fn(|| client.poll_event()));
    };
    let feed = |client: &mut Client,
                chunker: &mut Chunker,
                pending: &mut Vec<u8>,
                out: &mut Vec<u8>,
                events: &mut Vec<ClientEvent>| {
        let data = std::mem::take(pending);
        for piece in chunker.cut(&data) {
            let result = client.handle_input(now, piece);
            drain(client, out, events);
            if let Err(e) = result {
                panic!(
                    "{}: client error {e} with {plan:?}; events {events:?}",
                    t.name
                );
            }
        }
    };
    for (i, item) in t.items.iter().enumerate() {
        match item {
            Item::S(bytes) => pending.extend_from_slice(bytes),
            Item::C(bytes) => expected.extend_from_slice(bytes),
            Item::Act(act) => {
                feed(
                    &mut client,
                    &mut chunker,
                    &mut pending,
                    &mut out,
                    &mut events,
                );
                match act[0].as_str() {
                    "tls" => {
                        expected.extend_from_slice(STARTTLS);
                        assert_prefix(t, "client", &out, &expected, plan, i);
                        client
                            .handle_tls_established(now, TlsInfo::new(TlsVersion::Tls13))
                            .expect("tls");
                    }
                    "close" => {
                        expected.extend_from_slice(CLOSE);
                        assert_prefix(t, "client", &out, &expected, plan, i);
                    }
                    _ => {
                        assert_prefix(t, "client", &out, &expected, plan, i);
                        client_verb(&mut client, now, act);
                    }
                }
                drain(&mut client, &mut out, &mut events);
            }
        }
    }
    feed(
        &mut client,
        &mut chunker,
        &mut pending,
        &mut out,
        &mut events,
    );
    assert_prefix(t, "client", &out, &expected, plan, t.items.len());
    (out, events)
}

/// Replays `name` against the client with every plan; asserts the output
/// always equals the C: lines and the events never change; returns them.
pub fn replay_client(name: &str) -> Vec<ClientEvent> {
    let t = load(name);
    assert!(
        t.replay.iter().any(|r| r == "client"),
        "{name} is not for the client"
    );
    let len: usize = t
        .items
        .iter()
        .map(|i| match i {
            Item::S(b) => b.len(),
            _ => 0,
        })
        .sum();
    let (_, first) = run_client(&t, Plan::Whole);
    for plan in plans(len, 64) {
        let (_, events) = run_client(&t, plan);
        assert_eq!(events, first, "{name}: client events differ with {plan:?}");
    }
    first
}

/// Record mode, to write a new transcript: runs the C: lines and `@`
/// actions against the server without comparing; returns what it wrote.
pub fn record_server(t: &Transcript) -> (Vec<u8>, ServerSeen) {
    let mut t = t.clone();
    t.items.retain(|i| !matches!(i, Item::S(_)));
    RECORD.with(|r| r.set(true));
    match std::panic::catch_unwind(|| run_server(&t, Plan::Whole)) {
        Ok(x) => x,
        Err(e) => (
            e.downcast_ref::<String>()
                .cloned()
                .unwrap_or_default()
                .into_bytes(),
            ServerSeen::default(),
        ),
    }
}

/// Record mode for the client: runs the S: lines and `@` verbs without
/// comparing; returns what it wrote and its events, or the panic message.
pub fn record_client(t: &Transcript) -> String {
    let mut t = t.clone();
    t.items.retain(|i| !matches!(i, Item::C(_)));
    RECORD.with(|r| r.set(true));
    match std::panic::catch_unwind(|| run_client(&t, Plan::Whole)) {
        Ok((out, ev)) => format!("{}\n{ev:?}", String::from_utf8_lossy(&out)),
        Err(e) => e.downcast_ref::<String>().cloned().unwrap_or_default(),
    }
}
