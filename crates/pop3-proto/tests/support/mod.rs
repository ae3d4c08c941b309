//! Shared test support: chunking plans, event normalisation, a mailbox
//! application for the server, and `Pair`, our `Client` against our
//! `Server` in memory on a simulated clock.
#![allow(dead_code, unreachable_pub)]

pub mod transcript;

use std::time::{Duration, Instant};

use postwire_core::{Protocol, TlsInfo, TlsVersion, Transmit};
use postwire_pop3_proto::client::{
    Client, ClientConfig, Error as ClientError, Event as ClientEvent, TlsPolicy,
};
use postwire_pop3_proto::server::{
    Error as ServerError, Event as ServerEvent, Evidence, Maildrop, MaildropEntry, Mechanism,
    MessageFlow, Server, ServerConfig, StoredSecret,
};
use postwire_pop3_proto::{MessageNumber, Response, Timestamp, UniqueId};

/// The instant every test starts from.
pub fn t0() -> Instant {
    #[allow(clippy::disallowed_methods)] // tests need some instant to start from
    Instant::now()
}

pub fn n(x: u32) -> MessageNumber {
    MessageNumber::new(x).unwrap()
}

/// How a byte stream is cut before it is fed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// In one piece.
    Whole,
    /// One byte at a time.
    Bytes,
    /// In two pieces, at this offset.
    SplitAt(usize),
    /// Random pieces of 1 to 13 bytes (sometimes the rest), from a seed.
    Seeded(u64),
}

/// Cuts `data` as `plan` says.
pub fn cut(data: &[u8], plan: Plan) -> Vec<Vec<u8>> {
    match plan {
        Plan::Whole => vec![data.to_vec()],
        Plan::Bytes => data.iter().map(|b| vec![*b]).collect(),
        Plan::SplitAt(at) => {
            let at = at.min(data.len());
            vec![data[..at].to_vec(), data[at..].to_vec()]
        }
        Plan::Seeded(seed) => {
            let mut rng = Rng::new(seed);
            let mut out = Vec::new();
            let mut rest = data;
            while !rest.is_empty() {
                let r = rng.next();
                let len = if r.is_multiple_of(5) {
                    rest.len()
                } else {
                    1 + (r >> 8) as usize % 13
                }
                .min(rest.len());
                out.push(rest[..len].to_vec());
                rest = &rest[len..];
            }
            out
        }
    }
}

/// A small xorshift generator, so tests are deterministic.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Client events with consecutive `MessageData` of one command merged:
/// chunk boundaries depend on how the input arrived, the concatenation
/// does not.
pub fn normalize(events: Vec<ClientEvent>) -> Vec<ClientEvent> {
    let mut out: Vec<ClientEvent> = Vec::new();
    for event in events {
        if let ClientEvent::MessageData { id, data } = &event
            && let Some(ClientEvent::MessageData {
                id: last,
                data: acc,
            }) = out.last_mut()
            && last == id
        {
            let mut joined = acc.to_vec();
            joined.extend_from_slice(data);
            *acc = joined.into();
            continue;
        }
        out.push(event);
    }
    out
}

/// The concatenated content of every message the client received, per
/// command, in order.
pub fn messages(events: &[ClientEvent]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut current: Option<Vec<u8>> = None;
    for event in events {
        match event {
            ClientEvent::MessageStart { .. } => current = Some(Vec::new()),
            ClientEvent::MessageData { data, .. } => {
                if let Some(c) = current.as_mut() {
                    c.extend_from_slice(data);
                }
            }
            ClientEvent::MessageEnd { .. } => out.extend(current.take()),
            _ => {}
        }
    }
    out
}

/// A client configuration for tests without TLS.
pub fn plaintext_client() -> ClientConfig {
    let mut config = ClientConfig::default();
    config.tls = TlsPolicy::Opportunistic;
    config.allow_plaintext_auth = true;
    config
}

/// A server configuration named pop.example with STLS and SASL PLAIN,
/// LOGIN, SCRAM-SHA-256 and no failure delay.
pub fn server_config() -> ServerConfig {
    let mut config = ServerConfig::new("pop.example");
    config.stls = true;
    config.sasl = vec![Mechanism::ScramSha256, Mechanism::Plain, Mechanism::Login];
    config.timeouts.auth_failure_delay = Duration::ZERO;
    config
}

/// A mailbox the server application serves.
#[derive(Clone, Debug, Default)]
pub struct Store {
    /// (user, password) pairs.
    pub users: Vec<(String, String)>,
    /// (uid, content) per message.
    pub messages: Vec<(String, Vec<u8>)>,
    /// The uids deleted in UPDATE states so far.
    pub deleted: Vec<String>,
    /// How the application cuts message content when streaming it.
    pub chunk: usize,
}

impl Store {
    pub fn new() -> Self {
        Self {
            users: vec![("mrose".into(), "tanstaaf".into())],
            messages: vec![
                ("uid-1".into(), b"Subject: one\r\n\r\nHello\r\n".to_vec()),
                (
                    "uid-2".into(),
                    b"Subject: two\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nend\r\n".to_vec(),
                ),
            ],
            deleted: Vec::new(),
            chunk: 5,
        }
    }

    pub fn password(&self, user: &str) -> Option<&str> {
        self.users
            .iter()
            .find(|(u, _)| u == user)
            .map(|(_, p)| p.as_str())
    }

    pub fn maildrop(&self) -> Maildrop {
        Maildrop::new(
            self.messages
                .iter()
                .map(|(uid, body)| {
                    MaildropEntry::new(body.len() as u64, UniqueId::new(uid).unwrap())
                })
                .collect(),
        )
    }
}

/// What the server application does with one event, when a test overrides
/// the store's default behaviour.
#[derive(Clone, Debug)]
pub enum Answer {
    Accept,
    Reject,
    Reply(Response),
    /// Leave the event unanswered (the test answers later).
    Later,
}

pub type App = Box<dyn FnMut(&ServerEvent) -> Option<Answer>>;

/// Both machines and what they reported.
pub struct Pair {
    pub client: Client,
    pub server: Server,
    pub now: Instant,
    pub store: Store,
    rng: Option<Rng>,
    pub app: App,
    pub client_events: Vec<ClientEvent>,
    pub server_events: Vec<ServerEvent>,
    pub client_error: Option<ClientError>,
    pub server_error: Option<ServerError>,
    pub c2s: Vec<u8>,
    pub s2c: Vec<u8>,
    pub pending: Vec<ServerEvent>,
    client_tls: bool,
    server_tls: bool,
    pub tls_info: TlsInfo,
}

impl Pair {
    /// A pair with the default store; `seed` turns on random cuts.
    pub fn new(client: ClientConfig, server: ServerConfig, seed: Option<u64>) -> Self {
        Self::with_timestamp(client, server, seed, None)
    }

    /// A pair whose server offers APOP with this timestamp.
    pub fn with_timestamp(
        client: ClientConfig,
        server: ServerConfig,
        seed: Option<u64>,
        timestamp: Option<&str>,
    ) -> Self {
        let now = t0();
        let server = match timestamp {
            Some(ts) => Server::with_apop_timestamp(now, server, Timestamp::new(ts).unwrap()),
            None => Server::new(now, server),
        };
        let mut pair = Pair {
            client: Client::new(now, client),
            server,
            now,
            store: Store::new(),
            rng: seed.map(Rng::new),
            app: Box::new(|_| None),
            client_events: Vec::new(),
            server_events: Vec::new(),
            client_error: None,
            server_error: None,
            c2s: Vec::new(),
            s2c: Vec::new(),
            pending: Vec::new(),
            client_tls: false,
            server_tls: false,
            tls_info: TlsInfo::new(TlsVersion::Tls13),
        };
        pair.pump();
        pair
    }

    pub fn with_app(mut self, app: impl FnMut(&ServerEvent) -> Option<Answer> + 'static) -> Self {
        self.app = Box::new(app);
        self
    }

    fn pieces(&mut self, data: &[u8]) -> Vec<Vec<u8>> {
        match self.rng.as_mut() {
            None => vec![data.to_vec()],
            Some(rng) => {
                let seed = rng.next();
                cut(data, Plan::Seeded(seed))
            }
        }
    }

    /// Moves bytes both ways and answers the server's events until nothing
    /// moves.
    pub fn pump(&mut self) {
        loop {
            let mut progress = false;
            while let Some(t) = self.client.poll_transmit() {
                progress = true;
                match t {
                    Transmit::Data(bytes) => {
                        self.c2s.extend_from_slice(&bytes);
                        for piece in self.pieces(&bytes) {
                            if self.server_error.is_none()
                                && let Err(e) = self.server.handle_input(self.now, &piece)
                            {
                                self.server_error = Some(e);
                            }
                        }
                    }
                    Transmit::StartTls => self.client_tls = true,
                    Transmit::Close => {
                        if self.server_error.is_none()
                            && !self.server.is_closed()
                            && let Err(e) = self.server.handle_eof(self.now)
                        {
                            self.server_error = Some(e);
                        }
                    }
                }
            }
            while let Some(event) = self.server.poll_event() {
                progress = true;
                self.on_server_event(event);
            }
            while let Some(t) = self.server.poll_transmit() {
                progress = true;
                match t {
                    Transmit::Data(bytes) => {
                        self.s2c.extend_from_slice(&bytes);
                        for piece in self.pieces(&bytes) {
                            if self.client_error.is_none()
                                && let Err(e) = self.client.handle_input(self.now, &piece)
                            {
                                self.client_error = Some(e);
                            }
                        }
                    }
                    Transmit::StartTls => self.server_tls = true,
                    Transmit::Close => {
                        if self.client_error.is_none()
                            && !self.client.is_closed()
                            && let Err(e) = self.client.handle_eof(self.now)
                        {
                            self.client_error = Some(e);
                        }
                    }
                }
            }
            if self.client_tls && self.server_tls {
                (self.client_tls, self.server_tls) = (false, false);
                let info = self.tls_info.clone();
                if let Err(e) = self.server.handle_tls_established(self.now, info.clone()) {
                    self.server_error = Some(e);
                }
                if let Err(e) = self.client.handle_tls_established(self.now, info) {
                    self.client_error = Some(e);
                }
                progress = true;
            }
            while let Some(event) = self.client.poll_event() {
                progress = true;
                self.client_events.push(event);
            }
            progress |= self.fire_due_timers();
            if !progress {
                break;
            }
        }
    }

    fn on_server_event(&mut self, event: ServerEvent) {
        self.server_events.push(event.clone());
        let Some(id) = event.id() else { return };
        if let Some(answer) = (self.app)(&event) {
            match answer {
                Answer::Accept => self.server.accept(id).unwrap(),
                Answer::Reject => self.server.reject(id).unwrap(),
                Answer::Reply(r) => self.server.reply(id, r).unwrap(),
                Answer::Later => self.pending.push(event),
            }
            return;
        }
        self.default_answer(&event);
    }

    /// What the store-backed application does.
    pub fn default_answer(&mut self, event: &ServerEvent) {
        match event {
            ServerEvent::StartTls { id } => self.server.accept(*id).unwrap(),
            ServerEvent::Login {
                id,
                username,
                password,
            } => {
                if self.store.password(username) == Some(password.expose().as_str()) {
                    self.server.accept(*id).unwrap();
                } else {
                    self.server.reject(*id).unwrap();
                }
            }
            ServerEvent::Apop { id, username, .. } => {
                let secret = self.store.password(username).map(str::to_owned);
                self.server.apop_secret(*id, secret.as_deref()).unwrap();
            }
            ServerEvent::AuthSecret { id, request } => {
                let secret = self.store.password(&request.username).map(|p| {
                    StoredSecret::Scram(
                        postwire_sasl::ScramCredentials::derive(p, b"pepper-salt-0123", 4096)
                            .unwrap(),
                    )
                });
                self.server.provide_secret(*id, secret).unwrap();
            }
            ServerEvent::Auth {
                id, authentication, ..
            } => {
                let ok = match &authentication.evidence {
                    Evidence::Verified => true,
                    Evidence::Password(_) => self
                        .store
                        .password(&authentication.username)
                        .is_some_and(|p| authentication.password_matches(p)),
                    _ => false,
                };
                if ok {
                    self.server.accept(*id).unwrap();
                } else {
                    self.server.reject(*id).unwrap();
                }
            }
            ServerEvent::OpenMaildrop { id, .. } => {
                let maildrop = self.store.maildrop();
                self.server.open_maildrop(*id, maildrop).unwrap();
            }
            ServerEvent::Retrieve { id, msg, .. } => {
                let body = self.store.messages[msg.get() as usize - 1].1.clone();
                let chunk = self.store.chunk.max(1);
                for piece in body.chunks(chunk) {
                    if self.server.message_data(*id, piece).unwrap() == MessageFlow::Done {
                        break;
                    }
                }
                self.server.message_end(*id).unwrap();
            }
            ServerEvent::Update { id, deleted } => {
                self.store
                    .deleted
                    .extend(deleted.iter().map(|(_, uid)| uid.as_str().to_owned()));
                self.server.accept(*id).unwrap();
            }
            _ => {}
        }
    }

    /// Calls a client verb, then pumps.
    pub fn call<T>(&mut self, f: impl FnOnce(&mut Client, Instant) -> T) -> T {
        let now = self.now;
        let result = f(&mut self.client, now);
        self.pump();
        result
    }

    /// Moves the clock, fires due timers, and pumps.
    pub fn advance(&mut self, by: Duration) {
        self.now += by;
        self.fire_due_timers();
        self.pump();
    }

    fn fire_due_timers(&mut self) -> bool {
        let mut changed = false;
        let due = self.client.poll_timeout();
        if due.is_some_and(|t| t <= self.now) && self.client_error.is_none() {
            if let Err(e) = self.client.handle_timeout(self.now) {
                self.client_error = Some(e);
            }
            changed |= self.client_error.is_some() || self.client.poll_timeout() != due;
        }
        let due = self.server.poll_timeout();
        if due.is_some_and(|t| t <= self.now) && self.server_error.is_none() {
            if let Err(e) = self.server.handle_timeout(self.now) {
                self.server_error = Some(e);
            }
            changed |= self.server_error.is_some() || self.server.poll_timeout() != due;
        }
        changed
    }

    /// Takes the client events so far.
    pub fn take_events(&mut self) -> Vec<ClientEvent> {
        std::mem::take(&mut self.client_events)
    }

    /// Logs in with USER/PASS as mrose.
    pub fn login(&mut self) {
        let id = self
            .call(|c, now| c.login(now, "mrose", "tanstaaf"))
            .unwrap();
        assert!(
            self.client_events
                .iter()
                .any(|e| matches!(e, ClientEvent::Authenticated { id: i, .. } if *i == id)),
            "{:?}",
            self.client_events
        );
    }
}

/// Drives a lone client: feeds `input` as the plan says, draining after
/// each piece. Returns the events, what the client wrote, and the error.
pub fn feed_client(
    client: &mut Client,
    now: Instant,
    input: &[u8],
    plan: Plan,
    events: &mut Vec<ClientEvent>,
    written: &mut Vec<u8>,
) -> Result<(), ClientError> {
    for piece in cut(input, plan) {
        let result = client.handle_input(now, &piece);
        drain_client(client, events, written);
        result?;
    }
    Ok(())
}

/// Drains a client's transmits (markers for StartTls and Close) and events.
pub fn drain_client(client: &mut Client, events: &mut Vec<ClientEvent>, written: &mut Vec<u8>) {
    while let Some(t) = client.poll_transmit() {
        match t {
            Transmit::Data(bytes) => written.extend_from_slice(&bytes),
            Transmit::StartTls => written.extend_from_slice(transcript::STARTTLS),
            Transmit::Close => written.extend_from_slice(transcript::CLOSE),
        }
    }
    events.extend(std::iter::from_fn(|| client.poll_event()));
}

/// Drains a server's transmits (with markers) and events.
pub fn drain_server(server: &mut Server, events: &mut Vec<ServerEvent>, written: &mut Vec<u8>) {
    while let Some(t) = server.poll_transmit() {
        match t {
            Transmit::Data(bytes) => written.extend_from_slice(&bytes),
            Transmit::StartTls => written.extend_from_slice(transcript::STARTTLS),
            Transmit::Close => written.extend_from_slice(transcript::CLOSE),
        }
    }
    events.extend(std::iter::from_fn(|| server.poll_event()));
}

/// A greeted client (implicit TLS, so logins are allowed).
pub fn greeted_client(config: ClientConfig, greeting: &[u8]) -> (Client, Instant) {
    let now = t0();
    let mut client = Client::new(now, config);
    client.handle_input(now, greeting).unwrap();
    while client.poll_event().is_some() {}
    while client.poll_transmit().is_some() {}
    (client, now)
}

/// What a client wrote since the last call.
pub fn written(client: &mut Client) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(t) = client.poll_transmit() {
        match t {
            Transmit::Data(bytes) => out.extend_from_slice(&bytes),
            Transmit::StartTls => out.extend_from_slice(transcript::STARTTLS),
            Transmit::Close => out.extend_from_slice(transcript::CLOSE),
        }
    }
    out
}

/// What a server wrote since the last call.
pub fn server_written(server: &mut Server) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(t) = server.poll_transmit() {
        match t {
            Transmit::Data(bytes) => out.extend_from_slice(&bytes),
            Transmit::StartTls => out.extend_from_slice(transcript::STARTTLS),
            Transmit::Close => out.extend_from_slice(transcript::CLOSE),
        }
    }
    out
}

/// Server events since the last call.
pub fn server_events(server: &mut Server) -> Vec<ServerEvent> {
    std::iter::from_fn(|| server.poll_event()).collect()
}

/// Client events since the last call.
pub fn client_events(client: &mut Client) -> Vec<ClientEvent> {
    std::iter::from_fn(|| client.poll_event()).collect()
}
