//! The POP3 server state machine (sans-IO).
//!
//! [`Server`] reads the client's bytes, frames and parses commands, checks
//! them against the session state (RFC 1939 §3: AUTHORIZATION,
//! TRANSACTION, UPDATE) and answers everything it can itself: CAPA, STAT,
//! LIST, UIDL, DELE (which only marks), RSET, NOOP, USER, UTF8, sequence
//! and syntax errors. What needs the application's judgement or data is an
//! [`Event`] with a [`CommandId`]: logins ([`Event::Login`],
//! [`Event::Apop`], [`Event::Auth`]), opening the maildrop
//! ([`Event::OpenMaildrop`]), message content ([`Event::Retrieve`]), STLS
//! ([`Event::StartTls`]) and the deletions of the UPDATE state
//! ([`Event::Update`]). It performs no I/O and reads no clock.
//!
//! # Call order
//!
//! 1. [`Server::new`] (or [`Server::with_apop_timestamp`] to offer APOP)
//!    queues the `+OK` greeting.
//! 2. Feed [`handle_input`](Protocol::handle_input),
//!    [`handle_eof`](Protocol::handle_eof),
//!    [`handle_timeout`](Protocol::handle_timeout) when
//!    [`poll_timeout`](Protocol::poll_timeout) passed, and
//!    [`handle_tls_established`](Protocol::handle_tls_established) after a
//!    [`Transmit::StartTls`] handshake (or at once for implicit TLS, port
//!    995, before the greeting is written).
//! 3. Drain [`poll_transmit`](Protocol::poll_transmit) and
//!    [`poll_event`](Protocol::poll_event), and answer each event that has
//!    an id ([`Event::id`]) with [`accept`](Server::accept),
//!    [`reject`](Server::reject), [`reply`](Server::reply) or the
//!    event's own method ([`open_maildrop`](Server::open_maildrop),
//!    [`apop_secret`](Server::apop_secret),
//!    [`message_data`](Server::message_data) and
//!    [`message_end`](Server::message_end)). An answer may let the machine
//!    read pipelined input, so drain both queues again after answering.
//!
//! ```
//! use std::time::Instant;
//! use postwire_core::{Protocol, Transmit};
//! use postwire_pop3_proto::UniqueId;
//! use postwire_pop3_proto::server::{Event, Maildrop, MaildropEntry, Server, ServerConfig};
//!
//! let now = Instant::now(); // a driver's clock; the machine never reads one
//! let mut config = ServerConfig::new("pop.example.org");
//! config.allow_plaintext_auth = true; // a test without TLS
//! config.timeouts.auth_failure_delay = std::time::Duration::ZERO;
//! let mut server = Server::new(now, config);
//! let message = b"Subject: hi\r\n\r\n.dot\r\n";
//! server
//!     .handle_input(now, b"USER mrose\r\nPASS tanstaaf\r\nSTAT\r\nRETR 1\r\nDELE 1\r\nQUIT\r\n")
//!     .unwrap();
//! while let Some(event) = server.poll_event() {
//!     match event {
//!         Event::Login { id, password, .. } => {
//!             assert_eq!(password.expose(), "tanstaaf");
//!             server.accept(id).unwrap();
//!         }
//!         Event::OpenMaildrop { id, .. } => {
//!             let entry = MaildropEntry::new(message.len() as u64, UniqueId::new("a1").unwrap());
//!             server.open_maildrop(id, Maildrop::new(vec![entry])).unwrap();
//!         }
//!         Event::Retrieve { id, .. } => {
//!             server.message_data(id, message).unwrap();
//!             server.message_end(id).unwrap();
//!         }
//!         Event::Update { id, deleted } => {
//!             assert_eq!(deleted.len(), 1); // delete now, then:
//!             server.accept(id).unwrap();
//!         }
//!         other => panic!("unexpected {other:?}"),
//!     }
//! }
//! let mut wire = Vec::new();
//! while let Some(transmit) = server.poll_transmit() {
//!     if let Transmit::Data(bytes) = transmit {
//!         wire.extend_from_slice(&bytes);
//!     }
//! }
//! assert_eq!(
//!     String::from_utf8(wire).unwrap(),
//!     "+OK pop.example.org POP3 server ready\r\n\
//!      +OK\r\n\
//!      +OK maildrop has 1 message (21 octets)\r\n\
//!      +OK 1 21\r\n\
//!      +OK 21 octets\r\nSubject: hi\r\n\r\n..dot\r\n.\r\n\
//!      +OK message 1 deleted\r\n\
//!      +OK pop.example.org POP3 server signing off\r\n"
//! );
//! assert!(server.is_closed());
//! ```
//!
//! # Rules the machine enforces
//!
//! - RFC 1939 §3 states: USER, PASS, APOP, AUTH, STLS and UTF8 only in
//!   AUTHORIZATION; STAT, LIST, RETR, DELE, NOOP, RSET, TOP and UIDL only
//!   in TRANSACTION; CAPA and QUIT in both. PASS needs a USER right
//!   before it.
//! - Messages marked with DELE are refused by every later command and left
//!   out of STAT, LIST and UIDL (RFC 1939 §5); RSET unmarks them. Only QUIT
//!   in TRANSACTION enters UPDATE, where [`Event::Update`] lists the marked
//!   messages; a dropped connection, a timeout or QUIT in AUTHORIZATION
//!   deletes nothing ([`Event::Disconnected`], RFC 1939 §6).
//! - STLS (RFC 2595): only before TLS, in AUTHORIZATION and before USER
//!   (SECURITY.md S04). STLS with more input pipelined behind it, or input
//!   between its `+OK` and the handshake, is the injection attack: `-ERR`
//!   and close, or [`Error::PlaintextAfterStls`] (S01, S02). Nothing is
//!   written between the `+OK` and the handshake (S07). After TLS, USER,
//!   UTF8 mode and any SASL state are forgotten (S05).
//! - USER/PASS, APOP and the SASL mechanisms that expose the credential
//!   are neither advertised nor accepted before TLS unless
//!   [`ServerConfig::allow_plaintext_auth`] (`-ERR`, S06, A1). APOP is
//!   offered only when the application supplies a timestamp.
//! - AUTH (RFC 5034): initial response (`=` for empty), `+ <base64>`
//!   challenges, `*` cancels (`-ERR`), bad base64 is `-ERR`; AUTH lines and
//!   responses up to [`Limits::auth_line`] (12288).
//! - Every failed authentication is counted; after
//!   [`Limits::max_auth_failures`] the connection closes
//!   ([`Error::TooManyAuthFailures`]), and each failure's `-ERR` is held
//!   back by [`Timeouts::auth_failure_delay`] (SECURITY.md A5, A7).
//! - Bad commands (unknown, malformed, out of sequence, longer than
//!   [`Limits::command_line`]) are answered `-ERR`, reported as
//!   [`Event::BadCommand`] and counted; after [`Limits::max_bad_commands`]
//!   the connection closes ([`Error::TooManyBadCommands`]).
//! - RETR and TOP content comes from the application in chunks, each
//!   dot-stuffed (with bare CR or LF turned into CRLF) and handed out as
//!   one [`Transmit::Data`] at once, so the message is never held whole;
//!   for TOP the machine sends only the header and the asked-for lines.
//! - [`poll_timeout`](Protocol::poll_timeout) is the autologout timer
//!   ([`Timeouts::idle`], 10 minutes, RFC 1939 §3) while the machine waits
//!   for the client; only complete lines restart it (SECURITY.md P8).
//!   Past it the connection closes without an answer ([`Error::IdleTimeout`]).
//! - Commands are handled one at a time in order; while one waits for the
//!   application, later input stays unparsed, at most
//!   [`Limits::max_pipelined_input`] of it.
//!
//! RFCs: 1939 (POP3), 2449 (CAPA, PIPELINING, response codes), 2595
//! (STLS), 3206 (SYS and AUTH response codes), 5034 (SASL), 6856 (UTF8).

mod answer;
mod config;
mod dispatch;
mod event;
mod maildrop;
mod top;

use std::collections::VecDeque;
use std::time::Instant;

use bytes::{BufMut, BytesMut};
use postwire_core::{CommandId, CommandIds, DotStuffer, LineFramer, Protocol, TlsInfo, Transmit};

pub use answer::MessageFlow;
pub use config::{Limits, ServerConfig, Timeouts};
pub use event::{BadCommand, Error, Event, SessionState, UsageError};
pub use maildrop::{Maildrop, MaildropEntry};
pub use postwire_sasl::Mechanism;
pub use postwire_sasl::server::{
    Authentication, Evidence, SecretRequest, ServerOptions, StoredSecret,
};

use crate::{ApopDigest, Timestamp};

/// The POP3 server state machine. See the [module docs](self).
#[derive(Debug)]
pub struct Server {
    config: ServerConfig,
    timestamp: Option<Timestamp>,
    framer: LineFramer,
    ids: CommandIds,
    events: VecDeque<Event>,
    transmits: VecDeque<Transmit>,
    /// Answers written but not yet handed out as a `Transmit`.
    out: BytesMut,
    phase: Phase,
    state: SessionState,
    tls: bool,
    tls_info: Option<TlsInfo>,
    utf8: bool,
    /// The name of a USER command that PASS may follow.
    user: Option<String>,
    maildrop: Option<maildrop::Session>,
    /// Who logged in, once the maildrop is open.
    username: Option<String>,
    bad_commands: u32,
    auth_failures: u32,
    /// When the client last sent a complete line (the idle timer's start).
    last_input: Instant,
    /// The latest `now` any call brought (answers take none).
    now: Instant,
    lines_done: u64,
    /// The client closed its side; finish the buffered input, then close.
    eof: bool,
    error: Option<Error>,
}

#[derive(Debug)]
enum Phase {
    /// Reading command lines.
    Command,
    /// A command waits for the application's answer.
    Awaiting(Pending),
    /// Waiting for a SASL response line.
    Auth(dispatch::AuthState),
    /// The application streams RETR or TOP content.
    Sending(Sending),
    /// A failed authentication's `-ERR` is held until then (SECURITY.md A7).
    Delayed(Instant),
    /// `+OK` to STLS written; waiting for the handshake.
    TlsPending,
    /// Closed (QUIT, EOF, or an error).
    Closed,
}

#[derive(Debug)]
struct Pending {
    id: CommandId,
    kind: PendingKind,
}

#[derive(Debug)]
enum PendingKind {
    StartTls,
    Login {
        username: String,
    },
    Apop {
        username: String,
        digest: ApopDigest,
    },
    /// SASL done; the exchange is kept for `reject_token`.
    Auth {
        username: String,
        exchange: dispatch::AuthState,
    },
    /// SASL waits for the stored secret.
    AuthSecret(dispatch::AuthState),
    OpenMaildrop {
        username: String,
    },
    Retrieve {
        size: u64,
        top: Option<u32>,
    },
    Update,
}

/// RETR or TOP content being streamed.
#[derive(Debug)]
struct Sending {
    id: CommandId,
    stuffer: DotStuffer,
    top: Option<top::TopCut>,
}

impl Server {
    /// A session that has just accepted a connection: queues the greeting
    /// `+OK <hostname> <banner>` (RFC 1939 §4). APOP is not offered.
    pub fn new(now: Instant, config: ServerConfig) -> Self {
        Self::start(now, config, None)
    }

    /// A session that offers APOP (RFC 1939 §7) with this timestamp in its
    /// greeting. The timestamp must be unique for every connection (a
    /// process id, a counter, the time and the host name, as RFC 1939 §7
    /// suggests, or random bytes); the machine has no clock or randomness
    /// to make one.
    pub fn with_apop_timestamp(now: Instant, config: ServerConfig, timestamp: Timestamp) -> Self {
        Self::start(now, config, Some(timestamp))
    }

    fn start(now: Instant, config: ServerConfig, timestamp: Option<Timestamp>) -> Self {
        let framer = LineFramer::new(config.limits.command_line.max(config.limits.auth_line));
        let mut server = Self {
            framer,
            ids: CommandIds::new(),
            events: VecDeque::new(),
            transmits: VecDeque::new(),
            out: BytesMut::new(),
            phase: Phase::Command,
            state: SessionState::Authorization,
            tls: false,
            tls_info: None,
            utf8: false,
            user: None,
            maildrop: None,
            username: None,
            bad_commands: 0,
            auth_failures: 0,
            last_input: now,
            now,
            lines_done: 0,
            eof: false,
            error: None,
            timestamp,
            config,
        };
        let mut text = format!(
            "{} {}",
            sanitize(&server.config.hostname),
            sanitize(&server.config.banner)
        );
        if let Some(timestamp) = &server.timestamp {
            text.push(' ');
            text.push_str(timestamp.as_str());
        }
        server.ok(text.trim_end());
        server.flush();
        server
    }

    /// The configuration in force.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// The session state (RFC 1939 §3).
    pub fn state(&self) -> SessionState {
        self.state
    }

    /// Whether TLS is active (after STLS or implicit TLS).
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// What the driver reported about the TLS handshake, if any.
    pub fn tls_info(&self) -> Option<&TlsInfo> {
        self.tls_info.as_ref()
    }

    /// Whether the client switched to UTF-8 mode (RFC 6856 §2).
    pub fn is_utf8(&self) -> bool {
        self.utf8
    }

    /// Who logged in (the name from [`Event::OpenMaildrop`]), once the
    /// maildrop is open.
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// The APOP timestamp of the greeting, if APOP is offered.
    pub fn timestamp(&self) -> Option<&Timestamp> {
        self.timestamp.as_ref()
    }

    /// The command waiting for the application's answer, if any (at most
    /// one at a time).
    pub fn awaiting(&self) -> Option<CommandId> {
        match &self.phase {
            Phase::Awaiting(pending) => Some(pending.id),
            Phase::Sending(sending) => Some(sending.id),
            _ => None,
        }
    }

    /// The capability lines CAPA would list now (RFC 2449 §5): what is
    /// configured and allowed in the current state and TLS status.
    pub fn capabilities(&self) -> crate::Capabilities {
        let plaintext_ok = self.tls || self.config.allow_plaintext_auth;
        let authorization = self.state == SessionState::Authorization;
        let mut caps = crate::Capabilities {
            top: true,
            uidl: true,
            resp_codes: true,
            auth_resp_code: true,
            pipelining: self.config.pipelining,
            lang: true,
            user: self.config.user && plaintext_ok && authorization,
            stls: self.config.stls && !self.tls && authorization,
            login_delay: self.config.login_delay,
            expire: self.config.expire,
            implementation: self
                .config
                .implementation
                .as_deref()
                .map(sanitize)
                .filter(|s| !s.trim().is_empty()),
            ..Default::default()
        };
        if self.config.utf8 {
            caps.utf8 = Some(crate::Utf8Capability { user: true });
        }
        if authorization {
            caps.sasl = self
                .offered_mechanisms()
                .map(|m| m.name().to_owned())
                .collect();
        }
        caps
    }

    /// The configured SASL mechanisms this side implements and may offer
    /// now (mechanisms that expose the credential need TLS unless
    /// plaintext authentication is allowed).
    fn offered_mechanisms(&self) -> impl Iterator<Item = &Mechanism> {
        let plaintext_ok = self.tls || self.config.allow_plaintext_auth;
        let binding = self.tls_info.as_ref().is_some_and(|info| {
            info.channel_binding.tls_exporter.is_some()
                || info.channel_binding.tls_server_end_point.is_some()
        });
        let cram = self.config.sasl_options.allow_plaintext_equivalent;
        self.config
            .sasl
            .iter()
            .filter(|m| postwire_sasl::server::ServerMechanism::SUPPORTED.contains(m))
            .filter(move |m| plaintext_ok || !m.exposes_credentials())
            .filter(move |m| match m {
                Mechanism::ScramSha256Plus => binding,
                Mechanism::CramMd5 => cram,
                _ => true,
            })
    }

    // ---- writing ----

    fn ok(&mut self, text: &str) {
        self.status_line(b"+OK", None, text);
    }

    fn err(&mut self, code: Option<&str>, text: &str) {
        self.status_line(b"-ERR", code, text);
    }

    fn status_line(&mut self, status: &[u8], code: Option<&str>, text: &str) {
        self.out.put_slice(status);
        if let Some(code) = code {
            self.out.put_slice(b" [");
            self.out.put_slice(code.as_bytes());
            self.out.put_u8(b']');
        }
        if !text.is_empty() {
            self.out.put_u8(b' ');
            self.out.put_slice(text.as_bytes());
        }
        self.out.put_slice(b"\r\n");
    }

    /// Writes one line of a multi-line answer, stuffing a leading dot
    /// (RFC 1939 §3).
    fn data_line(&mut self, line: &[u8]) {
        if line.first() == Some(&b'.') {
            self.out.put_u8(b'.');
        }
        self.out.put_slice(line);
        self.out.put_slice(b"\r\n");
    }

    fn end_multiline(&mut self) {
        self.out.put_slice(b".\r\n");
    }

    /// Hands the written answers out as one `Transmit::Data`.
    fn flush(&mut self) {
        if !self.out.is_empty() {
            self.transmits
                .push_back(Transmit::Data(self.out.split().freeze()));
        }
    }

    /// Flushes, then closes.
    fn close(&mut self) {
        self.flush();
        self.transmits.push_back(Transmit::Close);
        self.phase = Phase::Closed;
    }

    /// Closes with a fatal error.
    fn fail(&mut self, error: Error) {
        if self.error.is_none() {
            self.error = Some(error);
        }
        if !matches!(self.phase, Phase::Closed) {
            self.close();
        }
    }

    fn sticky(&self) -> Result<(), Error> {
        match self.error {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// Runs the machine over the buffered input until it needs more input
    /// or waits for the application.
    fn process(&mut self) {
        loop {
            if self.error.is_some() {
                return;
            }
            let progressed = match self.phase {
                Phase::Command => self.step_command(),
                Phase::Auth(_) => self.step_auth(),
                Phase::Awaiting(_)
                | Phase::Sending(_)
                | Phase::Delayed(_)
                | Phase::TlsPending
                | Phase::Closed => break,
            };
            if !progressed {
                break;
            }
        }
        match self.phase {
            Phase::Closed | Phase::Delayed(_) => {}
            Phase::Command | Phase::Auth(_) => {
                self.flush();
                if self.eof {
                    self.disconnect();
                }
            }
            Phase::Awaiting(_) | Phase::Sending(_) | Phase::TlsPending => self.flush(),
        }
    }

    /// The connection ended outside UPDATE: nothing is deleted (RFC 1939 §6).
    fn disconnect(&mut self) {
        self.events.push_back(Event::Disconnected {
            maildrop_open: self.maildrop.is_some(),
        });
        self.close();
    }
}

/// Configured text as safe line content: control characters become spaces.
fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

impl Protocol for Server {
    type Event = Event;
    type Error = Error;

    fn handle_input(&mut self, now: Instant, data: &[u8]) -> Result<(), Error> {
        self.sticky()?;
        match self.phase {
            Phase::Closed => return Ok(()),
            Phase::TlsPending if !data.is_empty() => {
                // SECURITY.md S02: plaintext before the handshake.
                self.fail(Error::PlaintextAfterStls);
                return self.sticky();
            }
            _ => {}
        }
        if self.eof || data.is_empty() {
            return Ok(());
        }
        self.now = now;
        let lines_before = self.lines_done;
        self.framer.push(data);
        if matches!(
            self.phase,
            Phase::Awaiting(_) | Phase::Sending(_) | Phase::Delayed(_)
        ) && self.framer.buffered().len() > self.config.limits.max_pipelined_input
        {
            self.fail(Error::PipelineOverflow);
            return self.sticky();
        }
        self.process();
        // Only whole lines restart the autologout timer (SECURITY.md P8).
        if self.lines_done != lines_before {
            self.last_input = now;
        }
        self.sticky()
    }

    fn handle_eof(&mut self, _now: Instant) -> Result<(), Error> {
        self.sticky()?;
        if matches!(self.phase, Phase::Closed) || self.eof {
            return Ok(());
        }
        self.eof = true;
        match self.phase {
            Phase::Awaiting(_) | Phase::Sending(_) | Phase::Delayed(_) => {}
            Phase::TlsPending => self.disconnect(),
            Phase::Command | Phase::Auth(_) | Phase::Closed => self.process(),
        }
        self.sticky()
    }

    fn handle_timeout(&mut self, now: Instant) -> Result<(), Error> {
        self.sticky()?;
        self.now = now;
        let Some(deadline) = self.poll_timeout() else {
            return Ok(());
        };
        if now < deadline {
            return Ok(());
        }
        if let Phase::Delayed(_) = self.phase {
            self.phase = Phase::Command;
            self.last_input = now;
            self.process();
            return self.sticky();
        }
        // RFC 1939 §3: the autologout timer closes without a response and
        // without entering UPDATE.
        self.events.push_back(Event::Disconnected {
            maildrop_open: self.maildrop.is_some(),
        });
        self.fail(Error::IdleTimeout);
        self.sticky()
    }

    fn handle_tls_established(&mut self, now: Instant, info: TlsInfo) -> Result<(), Error> {
        self.sticky()?;
        let implicit = !self.tls && self.lines_done == 0 && self.framer.is_empty();
        if !matches!(self.phase, Phase::TlsPending) && !implicit {
            return Ok(());
        }
        // RFC 2595 §4: forget everything learned before TLS (S05).
        self.tls = true;
        self.tls_info = Some(info);
        self.user = None;
        self.utf8 = false;
        self.last_input = now;
        self.now = now;
        if matches!(self.phase, Phase::TlsPending | Phase::Auth(_)) {
            self.phase = Phase::Command;
        }
        self.process();
        self.sticky()
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        match self.phase {
            Phase::Delayed(until) => Some(until),
            Phase::Command | Phase::Auth(_) if !self.eof => {
                self.last_input.checked_add(self.config.timeouts.idle)
            }
            _ => None,
        }
    }

    fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }
}
