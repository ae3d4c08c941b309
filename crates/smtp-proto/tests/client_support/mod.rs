//! Shared driver for the client tests: runs a scenario with the server's
//! bytes fed whole, one byte at a time, and split at every point, and checks
//! that the client's events, errors and output are identical each time
//! (DESIGN.md, chunk-split invariance).
//!
//! Included by the `client_*.rs` and `security_smtp.rs` test files as a
//! module (`#[path = "client_support/mod.rs"]`); it is no test binary itself.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use postwire_core::{Protocol, Transmit};
use postwire_smtp_proto::client::{Client, ClientConfig, Error, Event, StartTlsPolicy};
use postwire_smtp_proto::{Domain, ForwardPath, Host, Mailbox, ReversePath};

/// A fixed starting instant for one test.
#[allow(clippy::disallowed_methods)] // tests need some Instant to start from
pub(crate) fn t0() -> Instant {
    Instant::now()
}

/// A configuration with this EHLO name and STARTTLS policy.
pub(crate) fn config(name: &str, policy: StartTlsPolicy) -> ClientConfig {
    let mut config = ClientConfig::new(Host::Domain(Domain::new(name).unwrap()));
    config.starttls = policy;
    config
}

/// A plaintext SMTP configuration without STARTTLS, for RFC transcripts.
pub(crate) fn plain(name: &str) -> ClientConfig {
    config(name, StartTlsPolicy::Disabled)
}

pub(crate) fn from(addr: &str) -> ReversePath {
    ReversePath::Mailbox(Mailbox::parse(addr).unwrap())
}

pub(crate) fn to(addr: &str) -> ForwardPath {
    ForwardPath::Mailbox(Mailbox::parse(addr).unwrap())
}

/// How a run feeds each piece of server input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Split {
    Whole,
    Bytewise,
    At(usize),
}

/// One run of a scenario.
pub(crate) struct Run {
    pub(crate) client: Client,
    pub(crate) now: Instant,
    pub(crate) start: Instant,
    split: Split,
    /// Everything the client wrote, with `<STARTTLS>` and `<CLOSE>` marks.
    pub(crate) wire: Vec<u8>,
    pub(crate) events: Vec<Event>,
    pub(crate) errors: Vec<Error>,
    /// The longest server input, to know how many split points to try.
    pub(crate) longest_input: usize,
}

impl Run {
    pub(crate) fn new(config: ClientConfig, split: Split) -> Self {
        let now = t0();
        let mut run = Run {
            client: Client::new(now, config),
            now,
            start: now,
            split,
            wire: Vec::new(),
            events: Vec::new(),
            errors: Vec::new(),
            longest_input: 0,
        };
        run.drain();
        run
    }

    /// Feeds server bytes according to the split; stops at the first error.
    pub(crate) fn server(&mut self, bytes: &[u8]) {
        if !self.errors.is_empty() {
            return; // the session is over (stickiness is tested on its own)
        }
        self.longest_input = self.longest_input.max(bytes.len());
        let pieces: Vec<&[u8]> = match self.split {
            Split::Whole => vec![bytes],
            Split::Bytewise => bytes.chunks(1).collect(),
            Split::At(k) => {
                let k = k.min(bytes.len());
                vec![&bytes[..k], &bytes[k..]]
            }
        };
        for piece in pieces {
            if piece.is_empty() {
                continue;
            }
            let result = self.client.handle_input(self.now, piece);
            self.drain();
            if let Err(e) = result {
                self.errors.push(e);
                return;
            }
        }
    }

    /// Runs a verb (or anything) on the client, then drains its output.
    pub(crate) fn call<T>(&mut self, f: impl FnOnce(&mut Client, Instant) -> T) -> T {
        let now = self.now;
        let result = f(&mut self.client, now);
        self.drain();
        result
    }

    pub(crate) fn advance(&mut self, by: Duration) {
        self.now += by;
    }

    pub(crate) fn timeout(&mut self) {
        let now = self.now;
        if let Err(e) = self.client.handle_timeout(now) {
            self.errors.push(e);
        }
        self.drain();
    }

    pub(crate) fn drain(&mut self) {
        while let Some(t) = self.client.poll_transmit() {
            match t {
                Transmit::Data(bytes) => self.wire.extend_from_slice(&bytes),
                Transmit::StartTls => self.wire.extend_from_slice(b"<STARTTLS>"),
                Transmit::Close => self.wire.extend_from_slice(b"<CLOSE>"),
            }
        }
        while let Some(event) = self.client.poll_event() {
            self.events.push(event);
        }
    }

    /// The wire output so far as text, and clears it.
    pub(crate) fn take_wire(&mut self) -> String {
        let wire = std::mem::take(&mut self.wire);
        String::from_utf8_lossy(&wire).into_owned()
    }

    pub(crate) fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }
}

/// Runs `scenario` whole, bytewise and split at every point; asserts that
/// every run saw the same events, errors and output; returns the whole run.
pub(crate) fn check(config: ClientConfig, scenario: impl Fn(&mut Run)) -> Run {
    let mut whole = Run::new(config.clone(), Split::Whole);
    scenario(&mut whole);
    let mut splits = vec![Split::Bytewise];
    splits.extend((1..whole.longest_input).map(Split::At));
    for split in splits {
        let mut run = Run::new(config.clone(), split);
        scenario(&mut run);
        assert_eq!(run.events, whole.events, "events differ with {split:?}");
        assert_eq!(run.errors, whole.errors, "errors differ with {split:?}");
        assert_eq!(
            String::from_utf8_lossy(&run.wire),
            String::from_utf8_lossy(&whole.wire),
            "output differs with {split:?}"
        );
    }
    whole
}

/// Greeting and EHLO with these capability lines (without the first line).
pub(crate) fn greet_and_ehlo(run: &mut Run, keywords: &[&str]) {
    run.server(b"220 mx.example ESMTP\r\n");
    run.call(|c, now| c.ehlo(now)).unwrap();
    let mut reply = String::from("250");
    if keywords.is_empty() {
        reply.push_str(" mx.example\r\n");
    } else {
        reply.push_str("-mx.example\r\n");
        for (i, k) in keywords.iter().enumerate() {
            let sep = if i + 1 == keywords.len() { ' ' } else { '-' };
            reply.push_str(&format!("250{sep}{k}\r\n"));
        }
    }
    run.server(reply.as_bytes());
}
