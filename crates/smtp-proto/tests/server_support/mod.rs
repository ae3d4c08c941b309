//! Shared harness for the server tests: drives a `Server` with bytes in any
//! chunking, answers events with a policy, and records what came out.
#![allow(dead_code, unreachable_pub)]

use std::time::Instant;

use postwire_core::{Protocol, Transmit};
use postwire_smtp_proto::Domain;
use postwire_smtp_proto::Reply;
use postwire_smtp_proto::server::{Error, Event, Server, ServerConfig};

/// What the application does with an event.
pub enum Action {
    Accept,
    Reject,
    Reply(Reply),
    Lmtp(Vec<Reply>),
    /// Leave it unanswered (or the event needs no answer).
    Nothing,
}

/// One thing the server wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out {
    Data(String),
    StartTls,
    Close,
}

/// Everything observable from one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    /// Events, consecutive `DataChunk`s merged into one.
    pub events: Vec<Event>,
    /// Output, consecutive `Data` merged.
    pub wire: Vec<Out>,
    pub error: Option<Error>,
    pub closed: bool,
}

impl Trace {
    /// All bytes written, as text.
    pub fn text(&self) -> String {
        self.wire
            .iter()
            .map(|o| match o {
                Out::Data(s) => s.clone(),
                Out::StartTls => "<STARTTLS>".to_owned(),
                Out::Close => "<CLOSE>".to_owned(),
            })
            .collect()
    }

    /// The reply lines written, without the greeting.
    pub fn replies(&self) -> Vec<String> {
        let data: String = self
            .wire
            .iter()
            .filter_map(|o| match o {
                Out::Data(s) => Some(s.as_str()),
                _ => None,
            })
            .collect();
        data.split("\r\n")
            .filter(|l| !l.is_empty())
            .skip(1)
            .map(str::to_owned)
            .collect()
    }

    /// The concatenated message content delivered.
    pub fn body(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for e in &self.events {
            if let Event::DataChunk(b) = e {
                out.extend_from_slice(b);
            }
        }
        out
    }

    pub fn count(&self, pred: impl Fn(&Event) -> bool) -> usize {
        self.events.iter().filter(|e| pred(e)).count()
    }

    pub fn data_ends(&self) -> usize {
        self.count(|e| matches!(e, Event::DataEnd { .. }))
    }
}

pub fn config() -> ServerConfig {
    ServerConfig::new(Domain::new("mx.example.org").unwrap())
}

/// Accepts everything.
pub fn accept_all(_: &Event) -> Action {
    Action::Accept
}

pub fn reply(code: u16, text: &str) -> Reply {
    Reply::new(
        postwire_smtp_proto::ReplyCode::new(code).unwrap(),
        None,
        [bytes::Bytes::copy_from_slice(text.as_bytes())],
    )
    .unwrap()
}

/// A server plus the bookkeeping of a run.
pub struct Harness<'p> {
    pub server: Server,
    pub t0: Instant,
    pub policy: &'p dyn Fn(&Event) -> Action,
    pub trace: Trace,
}

impl<'p> Harness<'p> {
    pub fn new(config: ServerConfig, policy: &'p dyn Fn(&Event) -> Action) -> Self {
        // Tests capture one instant and move time by arithmetic.
        #[allow(clippy::disallowed_methods)]
        let t0 = Instant::now();
        let mut h = Self {
            server: Server::new(t0, config),
            t0,
            policy,
            trace: Trace {
                events: Vec::new(),
                wire: Vec::new(),
                error: None,
                closed: false,
            },
        };
        h.drain();
        h
    }

    /// Answers events until none is left, then collects the output.
    pub fn drain(&mut self) {
        while let Some(event) = self.server.poll_event() {
            let action = (self.policy)(&event);
            let id = event.id();
            match (&mut self.trace.events.last_mut(), &event) {
                (Some(Event::DataChunk(prev)), Event::DataChunk(more)) => {
                    let mut joined = prev.to_vec();
                    joined.extend_from_slice(more);
                    *prev = bytes::Bytes::from(joined);
                }
                // Content before an abort is dropped by the application;
                // how much of it came out depends on the chunking.
                (Some(Event::DataChunk(_)), Event::DataAborted { .. }) => {
                    let _ = self.trace.events.pop();
                    self.trace.events.push(event);
                }
                _ => self.trace.events.push(event),
            }
            if let Some(id) = id {
                let result = match action {
                    Action::Accept => self.server.accept(id),
                    Action::Reject => self.server.reject(id),
                    Action::Reply(r) => self.server.reply(id, r),
                    Action::Lmtp(rs) => self.server.reply_lmtp(id, rs),
                    Action::Nothing => Ok(()),
                };
                result.expect("answer");
            }
        }
        while let Some(t) = self.server.poll_transmit() {
            let out = match t {
                Transmit::Data(b) => Out::Data(String::from_utf8_lossy(&b).into_owned()),
                Transmit::StartTls => Out::StartTls,
                Transmit::Close => Out::Close,
            };
            match (self.trace.wire.last_mut(), out) {
                (Some(Out::Data(prev)), Out::Data(more)) => prev.push_str(&more),
                (_, out) => self.trace.wire.push(out),
            }
        }
        self.trace.closed = self.server.is_closed();
    }

    /// Feeds one chunk; records the first error.
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.trace.error.is_some() {
            return;
        }
        if let Err(e) = self.server.handle_input(self.t0, chunk) {
            self.trace.error = Some(e);
        }
        self.drain();
    }

    pub fn eof(&mut self) {
        if self.trace.error.is_none()
            && let Err(e) = self.server.handle_eof(self.t0)
        {
            self.trace.error = Some(e);
        }
        self.drain();
    }

    /// Picks up an error that an answer caused (sticky), then returns the trace.
    pub fn finish(mut self) -> Trace {
        if self.trace.error.is_none()
            && let Err(e) = self.server.handle_input(self.t0, b"")
        {
            self.trace.error = Some(e);
        }
        self.drain();
        self.trace
    }
}

/// Runs `input` cut at `splits`.
pub fn run_split(
    config: &ServerConfig,
    policy: &dyn Fn(&Event) -> Action,
    input: &[u8],
    splits: &[usize],
    eof: bool,
) -> Trace {
    let mut h = Harness::new(config.clone(), policy);
    let mut start = 0;
    for &end in splits.iter().chain(std::iter::once(&input.len())) {
        let end = end.clamp(start, input.len());
        h.feed(&input[start..end]);
        start = end;
    }
    if eof {
        h.eof();
    }
    h.finish()
}

/// Runs `input` in one piece, cut at every single point, and one byte at a
/// time; asserts that events, output and outcome are identical, and returns
/// the trace.
pub fn run_all_splits(
    config: &ServerConfig,
    policy: &dyn Fn(&Event) -> Action,
    input: &[u8],
    eof: bool,
) -> Trace {
    let whole = run_split(config, policy, input, &[], eof);
    for split in 1..input.len() {
        let t = run_split(config, policy, input, &[split], eof);
        assert_eq!(
            t,
            whole,
            "split at {split} of {:?}",
            String::from_utf8_lossy(input)
        );
    }
    let bytewise: Vec<usize> = (1..input.len()).collect();
    let t = run_split(config, policy, input, &bytewise, eof);
    assert_eq!(
        t,
        whole,
        "byte by byte: {:?}",
        String::from_utf8_lossy(input)
    );
    whole
}

/// Runs with the accept-all policy in one piece.
pub fn run(config: &ServerConfig, input: &[u8]) -> Trace {
    run_split(config, &accept_all, input, &[], false)
}
