//! The POP3 client state machine, sans-IO.
//!
//! [`Client`] speaks the client side of POP3 (RFC 1939) with CAPA and
//! PIPELINING (RFC 2449), STLS (RFC 2595), SASL AUTH (RFC 5034) and UTF8
//! (RFC 6856). It never touches a socket or a clock: the driver feeds it
//! the server's bytes and the time, and writes what it asks for. It
//! implements [`postwire_core::Protocol`].
//!
//! # Call order
//!
//! 1. [`Client::new`], then feed the server's bytes with
//!    [`handle_input`](Protocol::handle_input) until [`Event::Greeting`]
//!    (which carries the APOP timestamp, if any).
//! 2. [`Client::capa`] -> [`Event::Capabilities`].
//! 3. [`Client::stls`] -> [`Transmit::StartTls`]; the driver runs the
//!    handshake and calls
//!    [`handle_tls_established`](Protocol::handle_tls_established) ->
//!    [`Event::TlsEstablished`]; the capabilities are gone, so
//!    [`Client::capa`] again (RFC 2595 §4).
//! 4. [`Client::login`] (USER/PASS), [`Client::apop`], [`Client::auth`] or
//!    [`Client::auth_with`] -> [`Event::Authenticated`] or
//!    [`Event::AuthFailed`].
//! 5. [`Client::stat`], [`Client::list`], [`Client::uidl`] -> their
//!    events; [`Client::retr`] or [`Client::top`] -> [`Event::MessageStart`],
//!    [`Event::MessageData`]..., [`Event::MessageEnd`]; [`Client::dele`],
//!    [`Client::noop`], [`Client::rset`] -> [`Event::Ok`].
//! 6. [`Client::quit`] -> [`Event::Ok`] (the server has deleted the
//!    marked messages), [`Transmit::Close`] and [`Event::Closed`].
//!
//! Any `-ERR` is an event ([`Event::Refused`], [`Event::AuthFailed`]), not
//! an error. After every call, drain [`poll_transmit`](Protocol::poll_transmit)
//! and [`poll_event`](Protocol::poll_event), then arm a timer at
//! [`poll_timeout`](Protocol::poll_timeout).
//!
//! # Pipelining
//!
//! Verbs may be called while earlier commands are outstanding. When the
//! server's CAPA answer advertised `PIPELINING` (RFC 2449 §6.6) they are
//! written at once and the answers are matched in order; otherwise the
//! client queues them and writes the next one when an answer arrives. STLS
//! and AUTH are sync points: each is written only when nothing else is
//! outstanding, and nothing is written after it until it is done.
//!
//! # Example
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Instant;
//!
//! use postwire_core::{Protocol, Transmit};
//! use postwire_pop3_proto::MessageNumber;
//! use postwire_pop3_proto::client::{Client, ClientConfig, Event};
//!
//! fn written(client: &mut Client) -> Vec<u8> {
//!     let mut out = Vec::new();
//!     while let Some(t) = client.poll_transmit() {
//!         if let Transmit::Data(bytes) = t {
//!             out.extend_from_slice(&bytes);
//!         }
//!     }
//!     out
//! }
//!
//! let now = Instant::now();
//! let mut config = ClientConfig::default();
//! config.implicit_tls = true; // port 995: the driver started in TLS
//! let mut client = Client::new(now, config);
//!
//! client.handle_input(now, b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n")?;
//! assert!(matches!(client.poll_event(), Some(Event::Greeting { timestamp: Some(_), .. })));
//!
//! let login = client.apop(now, "mrose", "tanstaaf")?;
//! assert_eq!(written(&mut client), b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n");
//! client.handle_input(now, b"+OK mrose's maildrop has 2 messages (320 octets)\r\n")?;
//! assert!(matches!(client.poll_event(), Some(Event::Authenticated { id, .. }) if id == login));
//!
//! let retr = client.retr(now, MessageNumber::new(1).unwrap())?;
//! assert_eq!(written(&mut client), b"RETR 1\r\n");
//! client.handle_input(now, b"+OK 120 octets\r\nSubject: hi\r\n\r\n..dot\r\n.\r\n")?;
//! assert!(matches!(client.poll_event(), Some(Event::MessageStart { .. })));
//! let mut body = Vec::new();
//! while let Some(event) = client.poll_event() {
//!     match event {
//!         Event::MessageData { data, .. } => body.extend_from_slice(&data),
//!         Event::MessageEnd { id } => assert_eq!(id, retr),
//!         other => panic!("{other:?}"),
//!     }
//! }
//! assert_eq!(body, b"Subject: hi\r\n\r\n.dot\r\n");
//!
//! client.quit(now)?;
//! assert_eq!(written(&mut client), b"QUIT\r\n");
//! client.handle_input(now, b"+OK dewey POP3 server signing off\r\n")?;
//! assert!(matches!(client.poll_event(), Some(Event::Ok { .. })));
//! assert_eq!(client.poll_event(), Some(Event::Closed));
//! # Ok(())
//! # }
//! ```
//!
//! # Security
//!
//! - TLS policy [`TlsPolicy::Required`] by default: a CAPA answer without
//!   `STLS` before TLS and a `-ERR` to STLS are fatal (SECURITY.md C01,
//!   C02); no login command is written before TLS.
//! - Credentials (USER/PASS, APOP, AUTH) are refused without TLS unless
//!   [`ClientConfig::allow_plaintext_auth`] (A1, C06).
//! - Bytes after the `+OK` to STLS, in the same read or before the
//!   handshake, are [`Error::PlaintextAfterStls`] (C07, C11, C12); after
//!   TLS every capability learned before is forgotten (C09).
//! - AUTH picks mechanisms only from the post-TLS CAPA answer (A3), the
//!   strongest first; an unexpected challenge is cancelled with `*`.
//!
//! # Limits
//!
//! Status and listing lines up to [`Limits::max_response_line`] (512,
//! RFC 2449 §4), 12290 during AUTH; listings up to
//! [`Limits::max_listing_entries`]; message content streams through the
//! [`DotUnstuffer`] in chunks as they arrive, so a 1 GB message costs no
//! more memory than the largest read.

mod config;
mod error;
mod event;

use std::collections::VecDeque;
use std::time::Instant;

use bytes::BytesMut;
use postwire_core::{
    CommandId, CommandIds, DotUnstuffer, LineFramer, Protocol, Secret, TlsInfo, Transmit, Unstuffed,
};
use postwire_sasl::client::{ClientMechanism, Credentials};

pub use config::{ClientConfig, Limits, Timeouts, TlsPolicy};
pub use error::{Awaiting, Error, UsageError};
pub use event::Event;

use crate::response::{clean_text, starts_with_ignore_case};
use crate::{
    ApopDigest, Argument, AuthResponse, Capabilities, Command, Language, LanguageRange,
    MessageNumber, ParseError, Response, ScanListing, Stat, Timestamp, UidListing,
};

/// The longest AUTH command line that may carry an initial response
/// (RFC 5034 §4: 255 octets; longer ones go after an empty challenge).
const MAX_AUTH_LINE: usize = 255;

/// What an answer means, per command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Capa,
    Languages,
    Stls,
    User,
    /// `skip`: USER already failed; this answer is not reported.
    Pass {
        skip: bool,
    },
    Apop,
    Auth,
    Stat,
    List {
        all: bool,
    },
    Uidl {
        all: bool,
    },
    Message,
    Simple,
    Quit,
}

impl Expect {
    fn is_login(self) -> bool {
        matches!(
            self,
            Expect::User | Expect::Pass { .. } | Expect::Apop | Expect::Auth
        )
    }

    fn is_sync_point(self) -> bool {
        matches!(self, Expect::Stls | Expect::Auth)
    }
}

/// A command written, awaiting its answer.
#[derive(Debug, Clone, Copy)]
struct Entry {
    id: CommandId,
    keyword: &'static str,
    expect: Expect,
}

/// A command not written yet.
#[derive(Debug)]
struct Queued {
    entry: Entry,
    command: Command,
}

/// A multi-line answer being read (RFC 1939 §3).
#[derive(Debug)]
enum Reading {
    Capa(Vec<String>),
    Languages(Vec<Language>),
    List(Vec<ScanListing>),
    Uidl(Vec<UidListing>),
    Message(DotUnstuffer),
}

/// An AUTH exchange in progress.
#[derive(Debug)]
struct AuthExchange {
    mechanism: ClientMechanism,
    /// The initial response, held back because the AUTH line would have
    /// been too long; it answers the first (empty) challenge.
    deferred_initial: Option<Secret<Vec<u8>>>,
    /// The client sent `*`; the server owes a `-ERR`.
    cancelled: bool,
    steps: usize,
}

/// The POP3 client state machine. See the [module docs](self).
#[derive(Debug)]
pub struct Client {
    config: ClientConfig,
    ids: CommandIds,
    framer: LineFramer,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    queue: VecDeque<Queued>,
    pending: VecDeque<Entry>,
    reading: Option<Reading>,
    /// Unstuffed message content of the current input, handed out as one
    /// [`Event::MessageData`]; its capacity is reused from read to read.
    message: BytesMut,
    deadline: Option<Instant>,
    greeted: bool,
    timestamp: Option<Timestamp>,
    capabilities: Option<Capabilities>,
    tls_active: bool,
    tls_info: Option<TlsInfo>,
    /// STLS got `+OK`; the handshake is due and no byte may arrive.
    awaiting_tls: Option<CommandId>,
    authenticated: bool,
    auth: Option<AuthExchange>,
    quit_queued: bool,
    error: Option<Error>,
    closed: bool,
}

impl Client {
    /// A client on a fresh connection, waiting for the greeting from `now`.
    pub fn new(now: Instant, config: ClientConfig) -> Self {
        let framer = LineFramer::new(config.limits.max_response_line);
        let deadline = now.checked_add(config.timeouts.greeting);
        Self {
            tls_active: config.implicit_tls,
            config,
            ids: CommandIds::new(),
            framer,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            queue: VecDeque::new(),
            pending: VecDeque::new(),
            reading: None,
            message: BytesMut::new(),
            deadline,
            greeted: false,
            timestamp: None,
            capabilities: None,
            tls_info: None,
            awaiting_tls: None,
            authenticated: false,
            auth: None,
            quit_queued: false,
            error: None,
            closed: false,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// What the last CAPA answer announced; `None` before CAPA and after
    /// TLS starts (RFC 2595 §4).
    pub fn capabilities(&self) -> Option<&Capabilities> {
        self.capabilities.as_ref()
    }

    /// The APOP timestamp of the greeting, if it had one.
    pub fn timestamp(&self) -> Option<&Timestamp> {
        self.timestamp.as_ref()
    }

    /// Whether TLS is active (STLS done, or implicit TLS).
    pub fn is_tls(&self) -> bool {
        self.tls_active
    }

    /// What the driver reported about the TLS handshake, if any.
    pub fn tls_info(&self) -> Option<&TlsInfo> {
        self.tls_info.as_ref()
    }

    /// Whether a login succeeded: the session is in the TRANSACTION state.
    pub fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    /// The fatal error, once there is one.
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// How many commands were given and not fully answered yet.
    pub fn outstanding(&self) -> usize {
        self.queue.len() + self.pending.len()
    }

    // ---- verbs ----

    /// Sends CAPA (RFC 2449 §5). Answered by [`Event::Capabilities`] or
    /// [`Event::Refused`]. Under [`TlsPolicy::Required`], an answer before
    /// TLS that does not offer STLS is [`Error::StlsRequired`] (SECURITY.md
    /// C01).
    pub fn capa(&mut self, now: Instant) -> Result<CommandId, UsageError> {
        self.check_open()?;
        Ok(self.enqueue(now, Command::Capa, Expect::Capa))
    }

    /// Sends STLS (RFC 2595 §4), once nothing else is outstanding.
    ///
    /// On `+OK` the client queues [`Transmit::StartTls`]; any byte received
    /// after that answer and before
    /// [`handle_tls_established`](Protocol::handle_tls_established) fails
    /// the session with [`Error::PlaintextAfterStls`] (SECURITY.md C07). A
    /// `-ERR` is [`Error::StlsRefused`] under the required policy (C02) and
    /// [`Event::Refused`] otherwise. Refused here when the policy is
    /// disabled, TLS is active, a login is done or under way, or the CAPA
    /// answer did not offer STLS.
    pub fn stls(&mut self, now: Instant) -> Result<CommandId, UsageError> {
        self.check_open()?;
        let not_offered = self.capabilities.as_ref().is_some_and(|c| !c.stls);
        let queued = self.in_flight(|e| e == Expect::Stls) || self.awaiting_tls.is_some();
        if self.config.tls == TlsPolicy::Disabled
            || self.tls_active
            || self.authenticated
            || self.in_flight(Expect::is_login)
            || not_offered
            || queued
        {
            return Err(UsageError::StlsUnavailable);
        }
        Ok(self.enqueue(now, Command::Stls, Expect::Stls))
    }

    /// Logs in with USER and PASS (RFC 1939 §7). Answered by
    /// [`Event::Authenticated`] or [`Event::AuthFailed`] (for a `-ERR` to
    /// USER, PASS is not sent, or its answer not reported).
    pub fn login(
        &mut self,
        now: Instant,
        user: &str,
        password: impl Into<Secret<String>>,
    ) -> Result<CommandId, UsageError> {
        self.check_login_allowed()?;
        let user = Argument::new(user).map_err(|_| UsageError::InvalidArgument)?;
        let password = password.into();
        let pass = Command::pass(password.expose()).map_err(|_| UsageError::InvalidArgument)?;
        let id = self.enqueue(now, Command::User(user), Expect::User);
        self.enqueue_with_id(now, id, pass, Expect::Pass { skip: false });
        Ok(id)
    }

    /// Logs in with APOP (RFC 1939 §7): the MD5 digest of the greeting's
    /// timestamp and `secret` is sent, never the secret itself. Answered by
    /// [`Event::Authenticated`] or [`Event::AuthFailed`].
    ///
    /// The digest still allows an offline dictionary attack, so APOP is
    /// refused without TLS like a password (SECURITY.md A1).
    pub fn apop(
        &mut self,
        now: Instant,
        user: &str,
        secret: &str,
    ) -> Result<CommandId, UsageError> {
        self.check_login_allowed()?;
        let name = Argument::new(user).map_err(|_| UsageError::InvalidArgument)?;
        let timestamp = self.timestamp.as_ref().ok_or(UsageError::NoTimestamp)?;
        let digest = Secret::new(postwire_sasl::apop_digest(
            timestamp.as_str().as_bytes(),
            secret,
        ));
        let digest = ApopDigest::new(digest.expose()).map_err(|_| UsageError::InvalidArgument)?;
        Ok(self.enqueue(now, Command::Apop { name, digest }, Expect::Apop))
    }

    /// Starts AUTH (RFC 5034) with a prepared SASL mechanism, once nothing
    /// else is outstanding.
    ///
    /// Refused when the mechanism exposes credentials and TLS is not active
    /// (unless [`ClientConfig::allow_plaintext_auth`]; SECURITY.md A1),
    /// under [`TlsPolicy::Required`] without TLS, and when the last CAPA
    /// answer (after TLS) did not offer the mechanism (A3). The initial
    /// response goes on the AUTH line (`=` when empty) unless that line
    /// would exceed 255 octets; then it answers the first, empty challenge.
    /// Answered by [`Event::Authenticated`] or [`Event::AuthFailed`].
    pub fn auth(
        &mut self,
        now: Instant,
        mut mechanism: ClientMechanism,
    ) -> Result<CommandId, UsageError> {
        self.check_open()?;
        self.check_not_logged_in()?;
        if !self.tls_active {
            if self.config.tls == TlsPolicy::Required {
                return Err(UsageError::TlsRequired);
            }
            if mechanism.mechanism().exposes_credentials() && !self.config.allow_plaintext_auth {
                return Err(UsageError::PlaintextAuth);
            }
        }
        if let Some(info) = &self.tls_info {
            mechanism.set_channel_binding(&info.channel_binding);
        }
        let name = mechanism.mechanism().name().to_owned();
        if !self
            .capabilities
            .as_ref()
            .is_some_and(|c| c.has_sasl(&name))
        {
            return Err(UsageError::MechanismNotOffered);
        }
        let mut initial = mechanism.initial_response();
        let mut deferred_initial = None;
        if let Some(ir) = &initial {
            let encoded = ir.expose().len().div_ceil(3) * 4;
            let line = "AUTH ".len() + name.len() + 1 + encoded.max(1) + 2;
            if line > MAX_AUTH_LINE {
                deferred_initial = initial.take();
            }
        }
        let command = Command::Auth {
            mechanism: mechanism.mechanism().clone(),
            initial_response: initial,
        };
        self.auth = Some(AuthExchange {
            mechanism,
            deferred_initial,
            cancelled: false,
            steps: 0,
        });
        Ok(self.enqueue(now, command, Expect::Auth))
    }

    /// Starts AUTH with the strongest mechanism that both the server's
    /// CAPA answer offers and `credentials` can drive
    /// ([`postwire_sasl::select`]: SCRAM-SHA-256-PLUS when the TLS layer
    /// gave channel-binding data, then SCRAM-SHA-256, OAUTHBEARER, ...,
    /// LOGIN), with the checks of [`auth`](Self::auth). The channel binding
    /// comes from the [`TlsInfo`] of the handshake.
    pub fn auth_with(
        &mut self,
        now: Instant,
        credentials: &Credentials,
    ) -> Result<CommandId, UsageError> {
        self.check_open()?;
        self.check_not_logged_in()?;
        let offered = self
            .capabilities
            .as_ref()
            .map(|c| c.sasl.clone())
            .unwrap_or_default();
        let available = credentials.mechanisms_for_tls(self.tls_info.as_ref());
        let mechanism =
            postwire_sasl::select(&offered, available).ok_or(UsageError::MechanismNotOffered)?;
        let mut options = self.config.sasl_options.clone();
        if let Some(info) = &self.tls_info {
            options = options.with_tls_info(info);
        }
        let mechanism = ClientMechanism::with_options(mechanism, credentials, &options)
            .map_err(|_| UsageError::Mechanism)?;
        self.auth(now, mechanism)
    }

    /// Sends STAT (RFC 1939 §5). Answered by [`Event::Stat`].
    pub fn stat(&mut self, now: Instant) -> Result<CommandId, UsageError> {
        self.transaction(now, Command::Stat, Expect::Stat)
    }

    /// Sends LIST (RFC 1939 §5), for every message or one. Answered by
    /// [`Event::List`].
    pub fn list(
        &mut self,
        now: Instant,
        msg: Option<MessageNumber>,
    ) -> Result<CommandId, UsageError> {
        self.transaction(now, Command::List(msg), Expect::List { all: msg.is_none() })
    }

    /// Sends UIDL (RFC 1939 §7), for every message or one. Answered by
    /// [`Event::Uidl`].
    pub fn uidl(
        &mut self,
        now: Instant,
        msg: Option<MessageNumber>,
    ) -> Result<CommandId, UsageError> {
        self.transaction(now, Command::Uidl(msg), Expect::Uidl { all: msg.is_none() })
    }

    /// Sends RETR (RFC 1939 §5). Answered by [`Event::MessageStart`],
    /// [`Event::MessageData`] chunks and [`Event::MessageEnd`], or
    /// [`Event::Refused`].
    pub fn retr(&mut self, now: Instant, msg: MessageNumber) -> Result<CommandId, UsageError> {
        self.transaction(now, Command::Retr(msg), Expect::Message)
    }

    /// Sends TOP (RFC 1939 §7): the header and the first `lines` body lines.
    /// Answered like [`retr`](Self::retr).
    pub fn top(
        &mut self,
        now: Instant,
        msg: MessageNumber,
        lines: u32,
    ) -> Result<CommandId, UsageError> {
        self.transaction(now, Command::Top { msg, lines }, Expect::Message)
    }

    /// Sends DELE (RFC 1939 §5): the server marks the message, and deletes
    /// it only after QUIT. Answered by [`Event::Ok`].
    pub fn dele(&mut self, now: Instant, msg: MessageNumber) -> Result<CommandId, UsageError> {
        self.transaction(now, Command::Dele(msg), Expect::Simple)
    }

    /// Sends NOOP (RFC 1939 §5). Answered by [`Event::Ok`].
    pub fn noop(&mut self, now: Instant) -> Result<CommandId, UsageError> {
        self.transaction(now, Command::Noop, Expect::Simple)
    }

    /// Sends RSET (RFC 1939 §5): the server unmarks every deleted message.
    /// Answered by [`Event::Ok`].
    pub fn rset(&mut self, now: Instant) -> Result<CommandId, UsageError> {
        self.transaction(now, Command::Rset, Expect::Simple)
    }

    /// Sends LANG (RFC 6856 §3). Without a range the server lists its
    /// languages ([`Event::Languages`]); with one it switches its response
    /// text to the best match ([`Event::Ok`], whose text names it) or
    /// refuses ([`Event::Refused`]). Allowed before and after login.
    pub fn lang(
        &mut self,
        now: Instant,
        range: Option<LanguageRange>,
    ) -> Result<CommandId, UsageError> {
        self.check_open()?;
        let expect = if range.is_some() {
            Expect::Simple
        } else {
            Expect::Languages
        };
        Ok(self.enqueue(now, Command::Lang(range), expect))
    }

    /// Sends UTF8 (RFC 6856 §2). Answered by [`Event::Ok`].
    pub fn utf8(&mut self, now: Instant) -> Result<CommandId, UsageError> {
        self.check_open()?;
        Ok(self.enqueue(now, Command::Utf8, Expect::Simple))
    }

    /// Sends QUIT (RFC 1939 §6), after everything given before it. In the
    /// TRANSACTION state the server then deletes the marked messages (the
    /// UPDATE state). Answered by [`Event::Ok`] (or [`Event::Refused`]
    /// when the server could not delete them all), then
    /// [`Transmit::Close`] and [`Event::Closed`]. No verb works after it.
    pub fn quit(&mut self, now: Instant) -> Result<CommandId, UsageError> {
        self.check_open()?;
        let id = self.enqueue(now, Command::Quit, Expect::Quit);
        self.quit_queued = true;
        Ok(id)
    }

    // ---- verb helpers ----

    fn check_open(&self) -> Result<(), UsageError> {
        if self.error.is_some() || self.closed || self.quit_queued {
            return Err(UsageError::Closed);
        }
        if !self.greeted {
            return Err(UsageError::NotGreeted);
        }
        Ok(())
    }

    fn check_not_logged_in(&self) -> Result<(), UsageError> {
        if self.authenticated || self.in_flight(Expect::is_login) {
            return Err(UsageError::AlreadyAuthenticated);
        }
        Ok(())
    }

    /// USER/PASS and APOP: never without TLS unless allowed.
    fn check_login_allowed(&self) -> Result<(), UsageError> {
        self.check_open()?;
        self.check_not_logged_in()?;
        if !self.tls_active {
            if self.config.tls == TlsPolicy::Required {
                return Err(UsageError::TlsRequired);
            }
            if !self.config.allow_plaintext_auth {
                return Err(UsageError::PlaintextAuth);
            }
        }
        Ok(())
    }

    /// Whether a queued or written command matches.
    fn in_flight(&self, which: impl Fn(Expect) -> bool) -> bool {
        self.queue.iter().any(|q| which(q.entry.expect))
            || self.pending.iter().any(|e| which(e.expect))
    }

    fn transaction(
        &mut self,
        now: Instant,
        command: Command,
        expect: Expect,
    ) -> Result<CommandId, UsageError> {
        self.check_open()?;
        if !self.authenticated && !self.in_flight(Expect::is_login) {
            return Err(UsageError::NotAuthenticated);
        }
        Ok(self.enqueue(now, command, expect))
    }

    fn enqueue(&mut self, now: Instant, command: Command, expect: Expect) -> CommandId {
        let id = self.ids.next_id();
        self.enqueue_with_id(now, id, command, expect);
        id
    }

    fn enqueue_with_id(&mut self, now: Instant, id: CommandId, command: Command, expect: Expect) {
        let keyword = command.keyword();
        self.queue.push_back(Queued {
            entry: Entry {
                id,
                keyword,
                expect,
            },
            command,
        });
        self.pump(now);
    }

    /// Writes queued commands as far as pipelining and sync points allow.
    fn pump(&mut self, now: Instant) {
        if self.error.is_some() || self.closed || self.awaiting_tls.is_some() {
            return;
        }
        let pipelining = self.capabilities.as_ref().is_some_and(|c| c.pipelining);
        let mut out = BytesMut::new();
        while let Some(front) = self.queue.front() {
            let sync = front.entry.expect.is_sync_point();
            if let Some(last) = self.pending.back()
                && (sync || !pipelining || last.expect.is_sync_point())
            {
                break;
            }
            let Some(queued) = self.queue.pop_front() else {
                break;
            };
            queued.command.encode(&mut out);
            if queued.entry.expect == Expect::Auth {
                self.framer.set_max_line(self.config.limits.max_auth_line);
            }
            if self.pending.is_empty() {
                self.deadline = now.checked_add(self.config.timeouts.response);
            }
            self.pending.push_back(queued.entry);
            if sync {
                break;
            }
        }
        self.send(out);
    }

    /// Queues bytes to write, joined with a write not yet taken by the
    /// driver, so that commands given in a row leave in one segment
    /// (RFC 2449 §6.6).
    fn send(&mut self, out: BytesMut) {
        if out.is_empty() {
            return;
        }
        if let Some(Transmit::Data(last)) = self.transmits.back_mut() {
            let mut joined = BytesMut::with_capacity(last.len() + out.len());
            joined.extend_from_slice(last);
            joined.extend_from_slice(&out);
            *last = joined.freeze();
            return;
        }
        self.transmits.push_back(Transmit::Data(out.freeze()));
    }

    /// Records a fatal error and closes.
    fn fail(&mut self, error: Error) -> Error {
        if self.error.is_none() {
            self.error = Some(error.clone());
            if !self.closed {
                self.transmits.push_back(Transmit::Close);
            }
        }
        self.error.clone().unwrap_or(error)
    }

    fn close(&mut self) {
        if !self.closed {
            self.closed = true;
            self.transmits.push_back(Transmit::Close);
            self.events.push_back(Event::Closed);
        }
    }

    fn awaiting(&self) -> Option<Awaiting> {
        if !self.greeted {
            return Some(Awaiting::Greeting);
        }
        if self.awaiting_tls.is_some() {
            return Some(Awaiting::Tls);
        }
        let front = self.pending.front()?;
        Some(if self.reading.is_some() {
            Awaiting::MultiLine(front.keyword)
        } else {
            Awaiting::Response(front.keyword)
        })
    }

    // ---- input ----

    /// Handles everything buffered.
    fn process(&mut self, now: Instant) -> Result<(), Error> {
        loop {
            if self.error.is_some() || self.closed {
                return Ok(());
            }
            if self.awaiting_tls.is_some() {
                if !self.framer.is_empty() {
                    return Err(self.fail(Error::PlaintextAfterStls));
                }
                return Ok(());
            }
            if matches!(self.reading, Some(Reading::Message(_))) {
                if self.framer.is_empty() {
                    return Ok(());
                }
                let buffered = self.framer.take(usize::MAX);
                let consumed = self.message_input(now, &buffered)?;
                if let Some(after) = buffered.get(consumed..).filter(|rest| !rest.is_empty()) {
                    self.framer.push(after);
                }
                if consumed == 0 {
                    return Ok(());
                }
                continue;
            }
            let line = match self.framer.next_line() {
                Ok(Some(line)) => line,
                Ok(None) => return Ok(()),
                Err(e) => return Err(self.fail(Error::LineTooLong(e.limit))),
            };
            if self.reading.is_some() {
                self.deadline = now.checked_add(self.config.timeouts.response);
                self.on_listing_line(now, &line.content)?;
            } else {
                self.on_status_line(now, &line.content)?;
            }
        }
    }

    /// Unstuffs a RETR or TOP message from `input` where it lies (the
    /// read, or what the framer held) and returns how many octets it
    /// consumed: all of them unless the message ended inside `input`, in
    /// which case the rest are the next responses.
    fn message_input(&mut self, now: Instant, input: &[u8]) -> Result<usize, Error> {
        let Some(front) = self.pending.front().copied() else {
            return Ok(0);
        };
        let Some(Reading::Message(unstuffer)) = &mut self.reading else {
            return Ok(0);
        };
        let step = match unstuffer.unstuff(input, &mut self.message) {
            Ok(step) => step,
            Err(e) => return Err(self.fail(Error::Data(e))),
        };
        if !self.message.is_empty() {
            self.deadline = now.checked_add(self.config.timeouts.response);
            let data = self.message.split().freeze();
            self.events
                .push_back(Event::MessageData { id: front.id, data });
        }
        match step {
            Unstuffed::NeedMore => Ok(input.len()),
            Unstuffed::End { consumed } => {
                self.reading = None;
                self.events.push_back(Event::MessageEnd { id: front.id });
                self.answered(now);
                Ok(consumed)
            }
        }
    }

    /// The command at the front got its whole answer.
    fn answered(&mut self, now: Instant) {
        self.pending.pop_front();
        self.deadline = if self.pending.is_empty() {
            None
        } else {
            now.checked_add(self.config.timeouts.response)
        };
        self.pump(now);
    }

    fn on_status_line(&mut self, now: Instant, line: &[u8]) -> Result<(), Error> {
        if !self.greeted {
            return self.on_greeting(line);
        }
        let Some(front) = self.pending.front().copied() else {
            return Err(self.fail(Error::UnexpectedResponse(None)));
        };
        if is_continuation(line) {
            if front.expect != Expect::Auth {
                let awaiting = self.awaiting();
                return Err(self.fail(Error::UnexpectedResponse(awaiting)));
            }
            return self.on_challenge(now, line);
        }
        let response = match Response::parse(line) {
            Ok(response) => response,
            Err(e) => return Err(self.fail(Error::Protocol(e))),
        };
        let id = front.id;
        let ok = response.is_ok();
        match front.expect {
            Expect::Capa if ok => self.reading = Some(Reading::Capa(Vec::new())),
            Expect::Languages if ok => self.reading = Some(Reading::Languages(Vec::new())),
            Expect::List { all: true } if ok => self.reading = Some(Reading::List(Vec::new())),
            Expect::Uidl { all: true } if ok => self.reading = Some(Reading::Uidl(Vec::new())),
            Expect::Message if ok => {
                self.reading = Some(Reading::Message(
                    DotUnstuffer::new().normalize_bare_line_endings(true),
                ));
                self.deadline = now.checked_add(self.config.timeouts.response);
                self.events.push_back(Event::MessageStart { id, response });
            }
            Expect::Stls => return self.on_stls(now, id, response),
            Expect::User => {
                self.answered(now);
                if !ok {
                    self.skip_pass(id);
                    self.events.push_back(Event::AuthFailed { id, response });
                }
            }
            Expect::Pass { skip: true } => self.answered(now),
            Expect::Pass { skip: false } | Expect::Apop => {
                self.answered(now);
                self.login_result(id, response);
            }
            Expect::Auth => {
                self.framer
                    .set_max_line(self.config.limits.max_response_line);
                let exchange = self.auth.take();
                if ok
                    && !exchange.as_ref().is_some_and(|x| {
                        !x.cancelled && x.deferred_initial.is_none() && x.mechanism.is_complete()
                    })
                {
                    // A success before the mechanism sent everything, or
                    // after a cancel, is not one this client can trust.
                    let awaiting = self.awaiting();
                    return Err(self.fail(Error::UnexpectedResponse(awaiting)));
                }
                self.answered(now);
                self.login_result(id, response);
            }
            Expect::Stat if ok => {
                let stat = match Stat::parse(response.text().as_bytes()) {
                    Ok(stat) => stat,
                    Err(e) => return Err(self.fail(Error::Protocol(e))),
                };
                self.answered(now);
                self.events.push_back(Event::Stat { id, stat });
            }
            Expect::List { all: false } if ok => {
                let entry = match ScanListing::parse(response.text().as_bytes()) {
                    Ok(entry) => entry,
                    Err(e) => return Err(self.fail(Error::Protocol(e))),
                };
                self.answered(now);
                self.events.push_back(Event::List {
                    id,
                    entries: vec![entry],
                });
            }
            Expect::Uidl { all: false } if ok => {
                let entry = match UidListing::parse(response.text().as_bytes()) {
                    Ok(entry) => entry,
                    Err(e) => return Err(self.fail(Error::Protocol(e))),
                };
                self.answered(now);
                self.events.push_back(Event::Uidl {
                    id,
                    entries: vec![entry],
                });
            }
            Expect::Simple if ok => {
                self.answered(now);
                self.events.push_back(Event::Ok { id, response });
            }
            Expect::Quit => {
                self.pending.pop_front();
                self.deadline = None;
                self.events.push_back(if ok {
                    Event::Ok { id, response }
                } else {
                    Event::Refused { id, response }
                });
                self.close();
            }
            Expect::Capa
            | Expect::Languages
            | Expect::List { .. }
            | Expect::Uidl { .. }
            | Expect::Message
            | Expect::Stat
            | Expect::Simple => {
                self.answered(now);
                self.events.push_back(Event::Refused { id, response });
            }
        }
        Ok(())
    }

    fn on_greeting(&mut self, line: &[u8]) -> Result<(), Error> {
        let response = match Response::parse(line) {
            Ok(response) => response,
            Err(e) => return Err(self.fail(Error::Protocol(e))),
        };
        if !response.is_ok() {
            return Err(self.fail(Error::GreetingRefused(response)));
        }
        self.greeted = true;
        self.deadline = None;
        self.timestamp = Timestamp::find_in(response.text());
        self.events.push_back(Event::Greeting {
            response,
            timestamp: self.timestamp.clone(),
        });
        Ok(())
    }

    fn on_stls(&mut self, now: Instant, id: CommandId, response: Response) -> Result<(), Error> {
        if response.is_ok() {
            // Nothing queued may go out before the handshake.
            self.pending.pop_front();
            self.deadline = None;
            // SECURITY.md C07: bytes after the +OK in the same read were not
            // sent by the peer we are about to authenticate.
            if !self.framer.is_empty() {
                return Err(self.fail(Error::PlaintextAfterStls));
            }
            self.awaiting_tls = Some(id);
            self.transmits.push_back(Transmit::StartTls);
        } else if self.config.tls == TlsPolicy::Required {
            return Err(self.fail(Error::StlsRefused(response)));
        } else {
            self.answered(now);
            self.events.push_back(Event::Refused { id, response });
        }
        Ok(())
    }

    fn login_result(&mut self, id: CommandId, response: Response) {
        if response.is_ok() {
            self.authenticated = true;
            self.events.push_back(Event::Authenticated { id, response });
        } else {
            self.events.push_back(Event::AuthFailed { id, response });
        }
    }

    /// USER failed: its PASS is not sent, or its answer not reported.
    fn skip_pass(&mut self, id: CommandId) {
        self.queue
            .retain(|q| !(q.entry.id == id && matches!(q.entry.expect, Expect::Pass { .. })));
        for entry in self.pending.iter_mut() {
            if entry.id == id && matches!(entry.expect, Expect::Pass { .. }) {
                entry.expect = Expect::Pass { skip: true };
            }
        }
    }

    /// A `+ base64` challenge during AUTH (RFC 5034 §4).
    fn on_challenge(&mut self, now: Instant, line: &[u8]) -> Result<(), Error> {
        let max_steps = self.config.limits.max_auth_steps;
        let Some(exchange) = self.auth.as_mut() else {
            let awaiting = self.awaiting();
            return Err(self.fail(Error::UnexpectedResponse(awaiting)));
        };
        if exchange.cancelled {
            let awaiting = self.awaiting();
            return Err(self.fail(Error::UnexpectedResponse(awaiting)));
        }
        exchange.steps += 1;
        let response = if exchange.steps > max_steps {
            None
        } else if let Some(initial) = exchange.deferred_initial.take() {
            Some(initial)
        } else {
            let encoded = line[1..].strip_prefix(b" ").unwrap_or(&line[1..]);
            postwire_sasl::decode_base64(encoded)
                .and_then(|challenge| exchange.mechanism.step(&challenge))
                .ok()
        };
        let answer = match response {
            Some(data) => AuthResponse::Data(data),
            None => {
                // RFC 5034 §4: `*` cancels; the server answers -ERR.
                exchange.cancelled = true;
                AuthResponse::Cancel
            }
        };
        let mut out = BytesMut::new();
        answer.encode(&mut out);
        self.send(out);
        self.deadline = now.checked_add(self.config.timeouts.response);
        Ok(())
    }

    fn on_listing_line(&mut self, now: Instant, line: &[u8]) -> Result<(), Error> {
        let Some(front) = self.pending.front().copied() else {
            return Ok(());
        };
        if line == b"." {
            let id = front.id;
            let event = match self.reading.take() {
                Some(Reading::Capa(lines)) => {
                    let capabilities = Capabilities::from_lines(&lines);
                    if self.config.tls == TlsPolicy::Required
                        && !self.tls_active
                        && !capabilities.stls
                    {
                        return Err(self.fail(Error::StlsRequired));
                    }
                    self.capabilities = Some(capabilities.clone());
                    Event::Capabilities { id, capabilities }
                }
                Some(Reading::Languages(languages)) => Event::Languages { id, languages },
                Some(Reading::List(entries)) => Event::List { id, entries },
                Some(Reading::Uidl(entries)) => Event::Uidl { id, entries },
                Some(Reading::Message(_)) | None => return Ok(()),
            };
            self.events.push_back(event);
            self.answered(now);
            return Ok(());
        }
        // RFC 1939 §3: a line starting with "." has one more on the wire.
        let line = line.strip_prefix(b".").unwrap_or(line);
        let limits = self.config.limits;
        let result: Result<bool, ParseError> = match &mut self.reading {
            Some(Reading::Capa(lines)) => {
                lines.push(clean_text(line));
                Ok(lines.len() <= limits.max_capa_lines)
            }
            Some(Reading::Languages(languages)) => Language::parse(line).map(|language| {
                languages.push(language);
                languages.len() <= limits.max_capa_lines
            }),
            Some(Reading::List(entries)) => ScanListing::parse(line).map(|entry| {
                entries.push(entry);
                entries.len() <= limits.max_listing_entries
            }),
            Some(Reading::Uidl(entries)) => UidListing::parse(line).map(|entry| {
                entries.push(entry);
                entries.len() <= limits.max_listing_entries
            }),
            Some(Reading::Message(_)) | None => Ok(true),
        };
        match result {
            Ok(true) => Ok(()),
            Ok(false) => Err(self.fail(Error::ListingTooLong)),
            Err(e) => Err(self.fail(Error::Protocol(e))),
        }
    }
}

/// Whether a line is an AUTH continuation: `+` alone or `+ ` and base64
/// (RFC 5034 §4), as opposed to `+OK`.
fn is_continuation(line: &[u8]) -> bool {
    line == b"+" || (line.starts_with(b"+ ") && !starts_with_ignore_case(line, b"+OK"))
}

impl Protocol for Client {
    type Event = Event;
    type Error = Error;

    fn handle_input(&mut self, now: Instant, data: &[u8]) -> Result<(), Error> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        if self.closed || data.is_empty() {
            return Ok(());
        }
        if self.awaiting_tls.is_some() {
            return Err(self.fail(Error::PlaintextAfterStls));
        }
        // Message content is unstuffed straight from the read; only what
        // follows it, or input in any other state, is buffered.
        let data = if matches!(self.reading, Some(Reading::Message(_))) && self.framer.is_empty() {
            &data[self.message_input(now, data)?..]
        } else {
            data
        };
        if !data.is_empty() {
            self.framer.push(data);
        }
        self.process(now)
    }

    fn handle_eof(&mut self, _now: Instant) -> Result<(), Error> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        if self.closed {
            return Ok(());
        }
        match self.pending.front() {
            // Some servers close right after (or instead of) their +OK.
            Some(entry) if entry.expect == Expect::Quit && self.reading.is_none() => {
                self.close();
                Ok(())
            }
            Some(_) => {
                let awaiting = self.awaiting();
                Err(self.fail(Error::ConnectionClosed(awaiting)))
            }
            None if !self.greeted || self.awaiting_tls.is_some() => {
                let awaiting = self.awaiting();
                Err(self.fail(Error::ConnectionClosed(awaiting)))
            }
            None => {
                self.close();
                Ok(())
            }
        }
    }

    fn handle_timeout(&mut self, now: Instant) -> Result<(), Error> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        match (self.deadline, self.awaiting()) {
            (Some(deadline), Some(awaiting)) if now >= deadline && !self.closed => {
                Err(self.fail(Error::Timeout(awaiting)))
            }
            _ => Ok(()),
        }
    }

    fn handle_tls_established(&mut self, now: Instant, info: TlsInfo) -> Result<(), Error> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        if self.closed {
            return Ok(());
        }
        if let Some(id) = self.awaiting_tls.take() {
            // RFC 2595 §4: forget everything learned in plaintext (C09).
            self.tls_active = true;
            self.tls_info = Some(info);
            self.capabilities = None;
            self.framer.clear();
            self.events
                .push_back(Event::TlsEstablished { id: Some(id) });
            self.pump(now);
            Ok(())
        } else if !self.greeted && self.framer.is_empty() && self.tls_info.is_none() {
            // Implicit TLS: the driver started in TLS, before any byte.
            self.tls_active = true;
            self.tls_info = Some(info);
            self.events.push_back(Event::TlsEstablished { id: None });
            Ok(())
        } else {
            Err(self.fail(Error::UnexpectedTls))
        }
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        if self.error.is_some() || self.closed || self.awaiting_tls.is_some() {
            None
        } else {
            self.deadline
        }
    }

    fn is_closed(&self) -> bool {
        self.closed || self.error.is_some()
    }
}
