//! `Pair`: our `Client` against our `Server` in memory, on a simulated
//! clock (DESIGN.md "Tests").
//!
//! Every `Transmit::Data` is moved to the peer, optionally cut into random
//! pieces (seeded); `Transmit::StartTls` from both sides is simulated by
//! calling `handle_tls_established` on both with a `TlsInfo`;
//! `Transmit::Close` becomes the peer's `handle_eof`. The server
//! application is a closure that answers each event (default: accept), and
//! the pair records what the application received: each delivered message
//! with its envelope and exact body bytes.
#![allow(dead_code, unreachable_pub)]

use std::time::{Duration, Instant};

use postwire_core::{Protocol, TlsInfo, TlsVersion, Transmit};
use postwire_sasl::Mechanism;
use postwire_smtp_proto::client::{
    Client, ClientConfig, Error as ClientError, Event as ClientEvent, StartTlsPolicy,
};
use postwire_smtp_proto::server::{
    Error as ServerError, Event as ServerEvent, Server, ServerConfig,
};
use postwire_smtp_proto::{
    Domain, ForwardPath, Host, MailParameters, Mailbox, RcptParameters, Reply, ReplyCode,
    ReversePath,
};

/// How the server application answers an event.
#[derive(Clone, Debug)]
pub enum Answer {
    Accept,
    Reject,
    Reply(Reply),
    Lmtp(Vec<Reply>),
    /// Do not answer now (the test answers later, or lets a timer fire).
    Later,
}

/// One message the server application received, with its envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivered {
    pub from: ReversePath,
    pub params: MailParameters,
    /// The recipients the application accepted, with their parameters.
    pub rcpts: Vec<(ForwardPath, RcptParameters)>,
    pub body: Vec<u8>,
}

impl Delivered {
    /// The accepted recipients as text.
    pub fn to(&self) -> Vec<String> {
        self.rcpts.iter().map(|(f, _)| path(f)).collect()
    }
}

/// A forward path as text.
pub fn path(f: &ForwardPath) -> String {
    match f {
        ForwardPath::Postmaster => "Postmaster".to_owned(),
        ForwardPath::Mailbox(m) => m.to_string(),
    }
}

/// The server application: decides, given the event.
pub type App = Box<dyn FnMut(&ServerEvent) -> Answer>;

/// Both machines and what they reported.
pub struct Pair {
    pub client: Client,
    pub server: Server,
    pub now: Instant,
    pub start: Instant,
    /// Random cuts of every transfer, when set.
    rng: Option<u64>,
    pub app: App,
    pub client_events: Vec<ClientEvent>,
    /// Server events, without `DataChunk`s (those are in `delivered`).
    pub server_events: Vec<ServerEvent>,
    pub client_error: Option<ClientError>,
    pub server_error: Option<ServerError>,
    pub delivered: Vec<Delivered>,
    /// Everything that crossed, each way.
    pub c2s: Vec<u8>,
    pub s2c: Vec<u8>,
    /// How many `handle_input` calls each side got.
    pub pieces: usize,
    current: Option<Delivered>,
    pending: Option<(ServerEvent, Option<Delivered>)>,
    client_tls: bool,
    server_tls: bool,
}

/// A client configuration named client.example with this TLS policy.
pub fn client_config(policy: StartTlsPolicy) -> ClientConfig {
    let mut cfg = ClientConfig::new(Host::Domain(Domain::new("client.example").unwrap()));
    cfg.starttls = policy;
    cfg
}

/// A server mx.example with STARTTLS and AUTH PLAIN LOGIN.
pub fn server_config() -> ServerConfig {
    let mut cfg = ServerConfig::new(Domain::new("mx.example").unwrap());
    cfg.extensions.starttls = true;
    cfg.extensions.auth = vec![Mechanism::Plain, Mechanism::Login];
    cfg
}

pub fn reply(code: u16, text: &str) -> Reply {
    Reply::new(ReplyCode::new(code).unwrap(), None, [text.to_owned()]).unwrap()
}

pub fn mailbox(text: &str) -> Mailbox {
    Mailbox::parse(text).unwrap()
}

pub fn from(text: &str) -> ReversePath {
    ReversePath::Mailbox(mailbox(text))
}

pub fn to(text: &str) -> ForwardPath {
    ForwardPath::Mailbox(mailbox(text))
}

/// The accept-everything application.
pub fn accept_all() -> App {
    Box::new(|_| Answer::Accept)
}

impl Pair {
    /// A pair; `seed` turns on random cuts of every transfer.
    pub fn new(client: ClientConfig, server: ServerConfig, seed: Option<u64>) -> Self {
        #[allow(clippy::disallowed_methods)] // tests need some instant to start from
        let now = Instant::now();
        let mut pair = Pair {
            client: Client::new(now, client),
            server: Server::new(now, server),
            now,
            start: now,
            rng: seed.map(|s| s.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
            app: accept_all(),
            client_events: Vec::new(),
            server_events: Vec::new(),
            client_error: None,
            server_error: None,
            delivered: Vec::new(),
            c2s: Vec::new(),
            s2c: Vec::new(),
            pieces: 0,
            current: None,
            pending: None,
            client_tls: false,
            server_tls: false,
        };
        pair.pump();
        pair
    }

    /// Sets the server application.
    pub fn with_app(mut self, app: impl FnMut(&ServerEvent) -> Answer + 'static) -> Self {
        self.app = Box::new(app);
        self
    }

    fn next_rand(&mut self) -> u64 {
        let Some(x) = self.rng.as_mut() else { return 0 };
        *x ^= *x >> 12;
        *x ^= *x << 25;
        *x ^= *x >> 27;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Cuts `data` as the mode says.
    fn cut(&mut self, data: &[u8]) -> Vec<Vec<u8>> {
        if self.rng.is_none() {
            return vec![data.to_vec()];
        }
        let mut out = Vec::new();
        let mut rest = data;
        while !rest.is_empty() {
            let r = self.next_rand();
            let n = if r.is_multiple_of(5) {
                rest.len()
            } else {
                1 + (r >> 8) as usize % 13
            }
            .min(rest.len());
            out.push(rest[..n].to_vec());
            rest = &rest[n..];
        }
        out
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
                        for piece in self.cut(&bytes) {
                            self.pieces += 1;
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
                        for piece in self.cut(&bytes) {
                            self.pieces += 1;
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
                let info = TlsInfo::new(TlsVersion::Tls13);
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
            // The driver contract: a timer already due fires at once (the
            // server asks for that after an answer, to restart its idle
            // timer at the current time).
            progress |= self.fire_due_timers();
            if !progress {
                break;
            }
        }
    }

    fn on_server_event(&mut self, event: ServerEvent) {
        match &event {
            ServerEvent::DataChunk(bytes) => {
                if let Some(d) = self.current.as_mut() {
                    d.body.extend_from_slice(bytes);
                }
                return;
            }
            ServerEvent::DataAborted { .. } => {
                if let Some(d) = self.current.as_mut() {
                    d.body.clear();
                }
            }
            ServerEvent::Helo { .. } | ServerEvent::Rset { .. } => self.current = None,
            _ => {}
        }
        let answer = if event.id().is_some() {
            (self.app)(&event)
        } else {
            Answer::Later
        };
        self.server_events.push(event.clone());
        if event.id().is_none() {
            return;
        }
        if let Answer::Later = answer {
            self.pending = Some((event, None));
            return;
        }
        self.answer(&event, answer);
    }

    /// Answers the event the application left for later.
    pub fn answer_pending(&mut self, answer: Answer) {
        let (event, _) = self.pending.take().expect("an unanswered event");
        self.answer(&event, answer);
        self.pump();
    }

    fn answer(&mut self, event: &ServerEvent, answer: Answer) {
        let id = event.id().unwrap();
        let positive = match &answer {
            Answer::Accept | Answer::Lmtp(_) => true,
            Answer::Reject | Answer::Later => false,
            Answer::Reply(r) => r.code().is_positive() || r.code().is_intermediate(),
        };
        match event {
            ServerEvent::Mail { from, params, .. } if positive => {
                self.current = Some(Delivered {
                    from: from.clone(),
                    params: params.clone(),
                    rcpts: Vec::new(),
                    body: Vec::new(),
                });
            }
            ServerEvent::Rcpt { to, params, .. } if positive => {
                if let Some(d) = self.current.as_mut() {
                    d.rcpts.push((to.clone(), params.clone()));
                }
            }
            ServerEvent::DataEnd { .. } => {
                if let Some(mut d) = self.current.take() {
                    if positive {
                        self.delivered.push(d);
                    } else {
                        d.body.clear();
                    }
                }
            }
            _ => {}
        }
        let result = match answer {
            Answer::Accept => self.server.accept(id),
            Answer::Reject => self.server.reject(id),
            Answer::Reply(r) => self.server.reply(id, r),
            Answer::Lmtp(rs) => self.server.reply_lmtp(id, rs),
            Answer::Later => Ok(()),
        };
        result.expect("the application's answer fits");
    }

    /// Calls a client verb, then pumps.
    pub fn call<T>(&mut self, f: impl FnOnce(&mut Client, Instant) -> T) -> T {
        let now = self.now;
        let result = f(&mut self.client, now);
        self.pump();
        result
    }

    /// Moves the clock, fires both machines' due timers, and pumps.
    pub fn advance(&mut self, by: Duration) {
        self.now += by;
        self.fire_due_timers();
        self.pump();
    }

    /// Calls `handle_timeout` on each machine whose timer is due; whether
    /// that changed anything.
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

    /// The last client event.
    pub fn last(&self) -> &ClientEvent {
        self.client_events.last().expect("a client event")
    }

    /// Takes the client events so far.
    pub fn take_events(&mut self) -> Vec<ClientEvent> {
        std::mem::take(&mut self.client_events)
    }

    /// Greeting, then EHLO; asserts both succeeded.
    pub fn greet(&mut self) {
        assert!(
            matches!(
                self.client_events.first(),
                Some(ClientEvent::Greeting { .. })
            ),
            "{:?}",
            self.client_events
        );
        self.call(|c, now| c.ehlo(now)).unwrap();
        assert!(
            matches!(self.last(), ClientEvent::Ehlo { .. }),
            "{:?}",
            self.client_events
        );
    }

    /// Greeting, EHLO, STARTTLS, the handshake, EHLO again.
    pub fn greet_tls(&mut self) {
        self.greet();
        self.call(|c, now| c.starttls(now)).unwrap();
        assert!(
            matches!(self.last(), ClientEvent::TlsEstablished { id: Some(_) }),
            "{:?}",
            self.client_events
        );
        assert!(self.client.is_tls() && self.server.is_tls());
        self.call(|c, now| c.ehlo(now)).unwrap();
        assert!(matches!(self.last(), ClientEvent::Ehlo { .. }));
    }

    /// Sends a whole message body in `pieces`, then finishes it.
    pub fn body(&mut self, pieces: &[&[u8]]) {
        for piece in pieces {
            self.call(|c, now| c.send_body(now, piece)).unwrap();
        }
        self.call(|c, now| c.finish_body(now)).unwrap();
    }

    /// No error on either side.
    pub fn assert_clean(&self) {
        assert_eq!(self.client_error, None, "{:?}", self.client_events);
        assert_eq!(self.server_error, None, "{:?}", self.server_events);
    }
}

/// The transfer modes every pair scenario runs in: whole transfers, and
/// eight seeds of random cuts.
pub fn modes() -> Vec<Option<u64>> {
    let mut modes = vec![None];
    modes.extend((1..=8).map(Some));
    modes
}
