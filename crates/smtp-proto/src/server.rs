//! The SMTP, ESMTP and LMTP server state machine (sans-IO).
//!
//! [`Server`] reads the client's bytes, frames and parses commands, checks
//! their order and parameters, and reports each command to the application
//! as an [`Event`] carrying a [`CommandId`]. The application writes only
//! policy: it answers each such event with [`Server::accept`] (the reply a
//! permissive server gives), [`Server::reject`] (a standard refusal) or
//! [`Server::reply`] (any [`Reply`](crate::Reply)). The machine writes everything else
//! itself: the greeting, the EHLO capabilities, the `354`, the sequence
//! errors (`503 5.5.1`), syntax errors (`500`/`501`/`555`), limits (`552`,
//! `452`), `334` SASL challenges, and the `421` of timeouts and of too many
//! errors. It performs no I/O and reads no clock.
//!
//! # Call order
//!
//! 1. [`Server::new`] queues the `220` greeting.
//! 2. Feed [`handle_input`](Protocol::handle_input) with what the socket
//!    read, [`handle_eof`](Protocol::handle_eof), [`handle_timeout`](Protocol::handle_timeout)
//!    when [`poll_timeout`](Protocol::poll_timeout) passed, and
//!    [`handle_tls_established`](Protocol::handle_tls_established) after a
//!    [`Transmit::StartTls`] handshake.
//! 3. Drain [`poll_transmit`](Protocol::poll_transmit) and
//!    [`poll_event`](Protocol::poll_event); answer every event that has an
//!    `id` ([`Event::id`]). An answer may make the machine parse buffered
//!    pipelined input, so drain both queues again after answering.
//!
//! For implicit TLS (port 465), call `handle_tls_established` right after
//! the handshake; the greeting queued by `new` goes out over TLS.
//!
//! ```
//! use std::time::Instant;
//! use postwire_core::{Protocol, Transmit};
//! use postwire_smtp_proto::Domain;
//! use postwire_smtp_proto::server::{Event, Server, ServerConfig};
//!
//! let now = Instant::now(); // a driver's clock; the machine never reads one
//! let mut server = Server::new(now, ServerConfig::new(Domain::new("mx.example.org").unwrap()));
//! server
//!     .handle_input(now, b"EHLO client.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n")
//!     .unwrap();
//! let mut body = Vec::new();
//! loop {
//!     let Some(event) = server.poll_event() else { break };
//!     match event {
//!         Event::Helo { id, .. } | Event::Mail { id, .. } | Event::Rcpt { id, .. } => server.accept(id).unwrap(),
//!         Event::DataStart { id } => {
//!             server.accept(id).unwrap();
//!             server.handle_input(now, b"Hello\r\n..dot\r\n.\r\nQUIT\r\n").unwrap();
//!         }
//!         Event::DataChunk(bytes) => body.extend_from_slice(&bytes),
//!         Event::DataEnd { id, .. } => server.accept(id).unwrap(),
//!         Event::Quit { id } => server.accept(id).unwrap(),
//!         other => panic!("unexpected {other:?}"),
//!     }
//! }
//! assert_eq!(body, b"Hello\r\n.dot\r\n");
//! let mut wire = Vec::new();
//! while let Some(transmit) = server.poll_transmit() {
//!     match transmit {
//!         Transmit::Data(bytes) => wire.extend_from_slice(&bytes),
//!         Transmit::Close => assert!(server.is_closed()),
//!         Transmit::StartTls => unreachable!(),
//!     }
//! }
//! let wire = String::from_utf8(wire).unwrap();
//! assert!(wire.starts_with("220 mx.example.org ESMTP ready\r\n250-mx.example.org\r\n"));
//! assert!(wire.ends_with("250 2.0.0 Message accepted\r\n221 2.0.0 mx.example.org closing connection\r\n"));
//! ```
//!
//! # Pipelining (RFC 2920)
//!
//! Commands are handled one at a time in order. While one waits for the
//! application's answer, later input stays in the buffer **unparsed**, so
//! the answer to one command decides how the next bytes are read: after a
//! refused DATA, bytes the client sent early are read as commands (what
//! RFC 2920 §3.1 implies; SECURITY.md SM-S6). Replies go out in command
//! order, batched into one [`Transmit::Data`] per pipelined group: the
//! buffer is flushed when the machine needs more input, and after the
//! replies to EHLO, HELO, LHLO, DATA, the end of data, `BDAT ... LAST`,
//! AUTH, STARTTLS, VRFY, EXPN, HELP, NOOP and QUIT (RFC 2920 §3.1). At most
//! [`Limits::max_pipelined_input`] unanswered input (64 KiB) is held; more
//! is [`Error::PipelineOverflow`].
//!
//! # Rules the machine enforces
//!
//! - HELO/EHLO (LHLO in LMTP mode, RFC 2033 §4.1) is required before MAIL
//!   (RFC 5321 §4.1.4 allows a server to require it; this one does), MAIL
//!   before RCPT, an accepted RCPT before DATA (`554 5.5.1`), no nested MAIL:
//!   `503 5.5.1`. EHLO and RSET reset the transaction on receipt.
//! - Parameters of extensions that are not offered: `555 5.5.4`
//!   (RFC 5321 §4.1.1.11); `SIZE=` above the limit: `552 5.3.4` (RFC 1870);
//!   a UTF-8 address without `SMTPUTF8`: `553 5.6.7` (RFC 6531 §3.5); DATA
//!   after `BODY=BINARYMIME`: `503 5.5.1` (RFC 3030 §3); more than
//!   [`Limits::max_recipients`]: `452 4.5.3` (RFC 5321 §4.5.3.1.10).
//! - DATA: only `CRLF.CRLF` ends the data; bare `CR`/`LF` are refused
//!   (`550 5.5.2` and close) or normalised to `CRLF`, per [`Quirks`]
//!   (SECURITY.md SM-S1, SM-S2). When normalising, a line that begins after
//!   a bare ending can never be the terminator (`LF.CRLF` is content). A
//!   body past [`Limits::max_message_size`] is read to its end and
//!   discarded, then `552 5.3.4`. Content streams out as
//!   [`Event::DataChunk`]s, never buffered whole; after
//!   [`Event::DataAborted`] the chunks received so far must be dropped.
//! - BDAT (RFC 3030): exact octet counts; chunks stream out raw as they
//!   arrive (no dot-stuffing, no line-ending policy: there is no terminator
//!   to smuggle); each non-last chunk is answered `250` by the machine. A
//!   refused chunk's octets are consumed and discarded as they arrive,
//!   never allocated and never run as commands (RFC 3030 §2), then it is
//!   answered: a chunk that takes the message past the size limit gets
//!   `552 5.3.4`, BDAT without a transaction (or after a refused chunk)
//!   `503 5.5.1`, BDAT without CHUNKING `502 5.5.1`. Discarding is thus
//!   bounded by [`Limits::max_message_size`]: a chunk larger than that
//!   alone (`BDAT 99999999999999999999`) gets `552 5.3.4` before any octet
//!   is read, then `421 4.7.0` and a close ([`Error::ChunkTooBig`]; RFC
//!   5321 §3.8), as Postfix does for absurd sizes; a BDAT
//!   line whose size cannot be read gets `501 5.5.4` and a close
//!   ([`Error::MalformedBdat`]): where its chunk ends is unknown.
//! - STARTTLS (RFC 3207): refused twice, after TLS, after AUTH or inside a
//!   transaction (`503 5.5.1`, SECURITY.md S04). On accept the machine
//!   writes `220 2.0.0`, then [`Transmit::StartTls`]; pipelined plaintext
//!   already buffered is **discarded** unexecuted (S01), and any input
//!   before [`handle_tls_established`](Protocol::handle_tls_established) is
//!   [`Error::PlaintextAfterStartTls`] and a close (S02). Nothing is written
//!   between the `220` and the handshake (S07). After TLS the EHLO name,
//!   transaction and SASL state are forgotten; a new EHLO is required (S05).
//! - AUTH (RFC 4954): offered and accepted only after TLS unless
//!   [`ServerConfig::allow_plaintext_auth`] (`530 5.7.0`, S06); initial
//!   response; `334` challenges; `*` cancels (`501 5.7.0`); bad base64
//!   `501 5.5.2`; lines up to [`Limits::auth_line`] (12288, else
//!   `500 5.5.6`); unknown mechanism `504 5.5.4`; AUTH twice or inside a
//!   transaction `503 5.5.1`. A failed AUTH leaves the session usable, but
//!   its `535 5.7.8` is held back for [`Timeouts::auth_failure_delay`]
//!   (2 s; input waits behind it, so pipelined commands are answered after
//!   it), and after [`Limits::max_auth_failures`] (3) the machine answers
//!   `421 4.7.0` and closes ([`Error::TooManyAuthFailures`]; SECURITY.md
//!   A5, A7).
//!   Which mechanisms are advertised: [`Extensions::auth`], less those that
//!   cannot run: SCRAM-SHA-256 and CRAM-MD5 need
//!   [`ServerConfig::secret_lookup`] (the application answers
//!   [`Event::NeedSecret`] with [`Server::provide_secret`]),
//!   SCRAM-SHA-256-PLUS also channel-binding data from
//!   [`handle_tls_established`](Protocol::handle_tls_established)'s
//!   [`TlsInfo`] (RFC 5802 §6, RFC 9266), CRAM-MD5 also the
//!   plaintext-equivalent opt-in of [`ServerConfig::sasl`]. SCRAM's
//!   server-final message (`v=`) goes out as a last `334` that the client
//!   answers with an empty line; [`Event::Auth`] follows (RFC 4954 §4 has
//!   no room for data in the `235`).
//! - Bad commands (syntax, sequence, bare line endings, over-long lines)
//!   are answered and reported as [`Event::BadCommand`]; after
//!   [`Limits::max_bad_commands`] the machine answers `421 4.7.0` and
//!   closes ([`Error::TooManyBadCommands`]).
//! - With ENHANCEDSTATUSCODES on (the default), every reply the machine
//!   writes carries an RFC 3463 code, except the greeting, the HELO/EHLO
//!   reply, `354` and `334` (RFC 2034 §3).
//! - [`poll_timeout`](Protocol::poll_timeout) is the idle deadline
//!   ([`Timeouts`], 5 minutes, RFC 5321 §4.5.3.2) while the machine waits
//!   for the client, `None` while it waits for the application, and the
//!   end of the failure delay while a `535` is held back; past the idle
//!   deadline, `421 4.4.2` and [`Error::IdleTimeout`].
//!   [`Event::NeedSecret`] waits for the application like any other event.
//!   While a command line is
//!   awaited, only complete lines restart it, so a client that trickles a
//!   line one byte at a time still times out (SECURITY.md P8); while
//!   message content is read, every chunk does. After an answer the wait
//!   counts from the latest `now` the machine was given (the answer methods
//!   take none), so an application that takes minutes to answer shortens
//!   the client's next idle period by as much.
//! - Failed authentications (a rejected [`Event::Auth`], a failed SASL
//!   exchange) count towards [`Limits::max_auth_failures`], not
//!   [`Limits::max_bad_commands`], so one connection cannot guess
//!   passwords without end; a malformed SASL response line (bad base64)
//!   is a bad command.
//! - HELO/EHLO/LHLO names that are neither a domain nor an address literal
//!   (`EHLO my_host`) are accepted by default, as Postfix does, and
//!   reported as [`Event::HeloNonstandard`] ([`Quirks::lenient_helo`]);
//!   spaces and control characters are still `501`. The shared parser
//!   ([`Command::parse`](crate::Command::parse)) and the client's
//!   [`ClientId`](crate::ClientId) stay strict.
//! - End of input in the middle of a transaction abandons it
//!   ([`Event::DataAborted`] if data was flowing, then
//!   [`Event::Disconnected`]); input already received is still handled
//!   first.
//!
//! RFCs: 5321 (SMTP), 1869 (ESMTP), 2920 (PIPELINING), 3030 (CHUNKING,
//! BINARYMIME), 3207 (STARTTLS), 4954 (AUTH), 2033 (LMTP), 6531 (SMTPUTF8),
//! 1870 (SIZE), 6152 (8BITMIME), 2034 and 3463 (enhanced status codes),
//! 3461 (DSN parameters), 8689 (REQUIRETLS).

mod answer;
mod body;
mod config;
mod dispatch;
mod event;
mod replies;

use std::collections::VecDeque;
use std::time::Instant;

use bytes::BytesMut;
use postwire_core::{CommandId, CommandIds, LineFramer, Protocol, TlsInfo, Transmit};

use crate::Body;

pub use config::{BareLineEndings, Extensions, Limits, Quirks, ServerConfig, Timeouts};
pub use event::{AbortReason, BadCommand, Error, Event, HeloKind, UsageError};
pub use postwire_sasl::Mechanism;
pub use postwire_sasl::server::{
    Authentication, Evidence, SecretKind, SecretRequest, StoredSecret,
};
pub use postwire_sasl::{ScramCredentials, Secret};

use replies::Canned;

/// The SMTP/LMTP server state machine. See the [module docs](self).
#[derive(Debug)]
pub struct Server {
    config: ServerConfig,
    framer: LineFramer,
    ids: CommandIds,
    events: VecDeque<Event>,
    transmits: VecDeque<Transmit>,
    /// Replies written but not yet handed out as a `Transmit`.
    out: BytesMut,
    phase: Phase,
    /// The greeting command last accepted; `None` before it and after TLS.
    greeted: Option<HeloKind>,
    tls: bool,
    /// What the driver reported about the TLS session (channel binding).
    tls_info: Option<TlsInfo>,
    authenticated: bool,
    /// The SASL exchange whose [`Event::Auth`] awaits the answer, kept for
    /// [`Server::reject_token`].
    auth_done: Option<dispatch::AuthState>,
    txn: Option<Transaction>,
    bad_commands: u32,
    /// Failed authentications so far ([`Limits::max_auth_failures`]).
    auth_failures: u32,
    /// When the client last sent something (the idle timer's start).
    last_input: Instant,
    /// The latest `now` any call brought. Answers take no `now`, so the wait
    /// for the command after an answer is timed from this instant: an
    /// application that takes long to answer shortens the client's next
    /// idle period by as much.
    now: Instant,
    /// Complete command lines (and over-long ones) consumed so far: only
    /// they restart the command timer, so a client that trickles one byte
    /// at a time still times out (SECURITY.md P8).
    lines_done: u64,
    /// The client closed its side; finish the buffered input, then close.
    eof: bool,
    /// The fatal error, once there is one (sticky).
    error: Option<Error>,
}

/// A mail transaction: MAIL accepted, until the end of data, RSET or EHLO.
#[derive(Debug)]
struct Transaction {
    smtputf8: bool,
    body: Option<Body>,
    recipients: usize,
    /// Octets of BDAT chunks so far, once the first BDAT arrived.
    bdat: Option<u64>,
}

#[derive(Debug)]
enum Phase {
    /// Reading command lines.
    Command,
    /// A command waits for the application's answer.
    Awaiting(Pending),
    /// Reading DATA content.
    Data(body::DataState),
    /// Reading a BDAT chunk.
    Bdat(body::BdatState),
    /// Waiting for a SASL response line.
    Auth(dispatch::AuthState),
    /// A SASL mechanism waits for the application's stored secret
    /// ([`Event::NeedSecret`]); input stays unparsed, as in `Awaiting`.
    AuthSecret(dispatch::AuthState),
    /// The reply to a failed AUTH is written but held back until this
    /// instant ([`Timeouts::auth_failure_delay`], SECURITY.md A7); input
    /// stays unparsed, as in `Awaiting`.
    Delayed(Instant),
    /// `220` to STARTTLS written; waiting for the handshake.
    TlsPending,
    /// Closed (QUIT, EOF, or an error).
    Closed,
}

#[derive(Debug)]
struct Pending {
    id: CommandId,
    kind: PendingKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PendingKind {
    Helo(HeloKind),
    Mail { smtputf8: bool, body: Option<Body> },
    Rcpt,
    Data,
    DataEnd { recipients: usize },
    Auth,
    StartTls,
    Vrfy,
    Expn,
    Help,
    Noop,
    Rset,
    Quit,
}

impl Server {
    /// A session that has just accepted a connection: queues the greeting
    /// `220 <hostname> ESMTP <banner>` (`LMTP` in LMTP mode; RFC 5321
    /// §4.2, RFC 2033 §4.1).
    pub fn new(now: Instant, config: ServerConfig) -> Self {
        let framer = LineFramer::new(config.limits.command_line.max(config.limits.auth_line));
        let mut server = Self {
            framer,
            ids: CommandIds::new(),
            events: VecDeque::new(),
            transmits: VecDeque::new(),
            out: BytesMut::new(),
            phase: Phase::Command,
            greeted: None,
            tls: false,
            tls_info: None,
            authenticated: false,
            auth_done: None,
            txn: None,
            bad_commands: 0,
            auth_failures: 0,
            last_input: now,
            now,
            lines_done: 0,
            eof: false,
            error: None,
            config,
        };
        let protocol = if server.config.lmtp { "LMTP" } else { "ESMTP" };
        let mut text = format!("{} {protocol}", server.config.hostname.as_str());
        if !server.config.banner.is_empty() {
            text.push(' ');
            text.push_str(&server.config.banner);
        }
        replies::write_lines(&mut server.out, 220, None, &[text]);
        server.flush();
        server
    }

    /// The configuration in force.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Whether TLS is active (after STARTTLS or implicit TLS).
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// What the driver reported about the TLS session, once TLS is active.
    pub fn tls_info(&self) -> Option<&TlsInfo> {
        self.tls_info.as_ref()
    }

    /// Whether an AUTH exchange was accepted in this session.
    pub fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    /// The command waiting for the application's answer, if any (at most
    /// one at a time: later pipelined commands are not parsed yet).
    pub fn awaiting(&self) -> Option<CommandId> {
        match &self.phase {
            Phase::Awaiting(pending) => Some(pending.id),
            Phase::AuthSecret(state) => Some(state.id()),
            _ => None,
        }
    }

    /// The keyword lines the EHLO (or LHLO) reply would carry now, without
    /// the first line (RFC 5321 §4.1.1.1 `ehlo-keyword`).
    pub fn capabilities(&self) -> Vec<String> {
        let ext = &self.config.extensions;
        let mut lines = Vec::new();
        if ext.pipelining {
            lines.push("PIPELINING".to_owned());
        }
        lines.push(format!("SIZE {}", self.config.limits.max_message_size));
        if ext.eight_bit_mime {
            lines.push("8BITMIME".to_owned());
        }
        if ext.chunking {
            lines.push("CHUNKING".to_owned());
            if ext.binary_mime {
                lines.push("BINARYMIME".to_owned());
            }
        }
        if ext.smtputf8 {
            lines.push("SMTPUTF8".to_owned());
        }
        if ext.dsn {
            lines.push("DSN".to_owned());
        }
        if ext.enhanced_status_codes {
            lines.push("ENHANCEDSTATUSCODES".to_owned());
        }
        if ext.starttls && !self.tls {
            lines.push("STARTTLS".to_owned());
        }
        if self.auth_offered() {
            let names: Vec<&str> = self.mechanisms().map(|m| m.name()).collect();
            lines.push(format!("AUTH {}", names.join(" ")));
        }
        if ext.requiretls && self.tls {
            lines.push("REQUIRETLS".to_owned());
        }
        lines
    }

    /// The configured SASL mechanisms this side can run now, in the
    /// configured order (see [`Extensions::auth`]).
    fn mechanisms(&self) -> impl Iterator<Item = &Mechanism> {
        self.config
            .extensions
            .auth
            .iter()
            .filter(|m| self.can_run(m))
    }

    /// Whether `mechanism` can run in this session: implemented by
    /// `postwire-sasl`, and for those that verify against a stored secret,
    /// the application answers secret lookups; -PLUS needs channel-binding
    /// data (RFC 5802 §6), CRAM-MD5 the plaintext-equivalent opt-in.
    fn can_run(&self, mechanism: &Mechanism) -> bool {
        let secrets = self.config.secret_lookup;
        match mechanism {
            Mechanism::ScramSha256 => secrets,
            Mechanism::ScramSha256Plus => secrets && self.channel_binding().is_some(),
            Mechanism::CramMd5 => secrets && self.config.sasl.allow_plaintext_equivalent,
            other => postwire_sasl::server::ServerMechanism::SUPPORTED.contains(other),
        }
    }

    /// The TLS channel-binding data, if the driver reported any.
    fn channel_binding(&self) -> Option<&postwire_core::ChannelBinding> {
        let binding = &self.tls_info.as_ref()?.channel_binding;
        postwire_sasl::ChannelBindingType::preferred(binding).map(|_| binding)
    }

    /// The options of a new SASL exchange: the configured ones, with this
    /// session's channel binding while -PLUS is advertised (so a client's
    /// `y` flag is a downgrade exactly when it is, RFC 5802 §6) and the
    /// server's host name for CRAM-MD5.
    fn sasl_options(&self) -> postwire_sasl::server::ServerOptions {
        let mut options = self.config.sasl.clone();
        options.hostname = self.config.hostname.as_str().to_owned();
        options.channel_binding = if self.mechanisms().any(|m| *m == Mechanism::ScramSha256Plus) {
            self.channel_binding().cloned().unwrap_or_default()
        } else {
            postwire_core::ChannelBinding::default()
        };
        options
    }

    /// Whether AUTH is offered now (RFC 4954 §4: not in clear by default).
    fn auth_offered(&self) -> bool {
        self.mechanisms().next().is_some() && (self.tls || self.config.allow_plaintext_auth)
    }

    /// Writes a canned reply in the session's enhanced-code mode.
    fn write(&mut self, canned: Canned) {
        replies::write_canned(
            &mut self.out,
            canned,
            self.config.extensions.enhanced_status_codes,
            None,
        );
    }

    /// Hands the written replies out as one `Transmit::Data`.
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

    /// Runs the machine over the buffered input until it needs more input
    /// or waits for the application.
    fn process(&mut self) {
        loop {
            if self.error.is_some() {
                return;
            }
            let progressed = match self.phase {
                Phase::Command => self.step_command(),
                Phase::Data(_) => self.step_data(),
                Phase::Bdat(_) => self.step_bdat(),
                Phase::Auth(_) => self.step_auth(),
                Phase::Awaiting(_)
                | Phase::AuthSecret(_)
                | Phase::Delayed(_)
                | Phase::TlsPending
                | Phase::Closed => {
                    // Nothing is flushed: what was written goes out with
                    // the answer, or when the delay is over.
                    return;
                }
            };
            if !progressed {
                break;
            }
        }
        if matches!(self.phase, Phase::Closed) || self.error.is_some() {
            return;
        }
        // The machine waits for the client: everything written goes out.
        self.flush();
        if self.eof {
            self.disconnect();
        }
    }

    /// The end of input reached the machine: abandon what is in progress.
    fn disconnect(&mut self) {
        let during_data = matches!(self.phase, Phase::Data(_) | Phase::Bdat(_))
            || self.txn.as_ref().is_some_and(|t| t.bdat.is_some());
        let aborted = match &self.phase {
            Phase::Data(state) => state.failed().is_none(),
            Phase::Bdat(state) => state.delivering(),
            _ => self.txn.as_ref().is_some_and(|t| t.bdat.is_some()),
        };
        if aborted {
            self.events.push_back(Event::DataAborted {
                reason: AbortReason::Disconnected,
            });
        }
        self.txn = None;
        self.events.push_back(Event::Disconnected { during_data });
        self.close();
    }

    /// Whether message content is being read (DATA or a BDAT chunk).
    fn in_body(&self) -> bool {
        matches!(self.phase, Phase::Data(_) | Phase::Bdat(_))
    }

    fn sticky(&self) -> Result<(), Error> {
        match self.error {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

impl Protocol for Server {
    type Event = Event;
    type Error = Error;

    fn handle_input(&mut self, now: Instant, data: &[u8]) -> Result<(), Error> {
        self.sticky()?;
        match self.phase {
            Phase::Closed => return Ok(()),
            Phase::TlsPending if !data.is_empty() => {
                self.fail(Error::PlaintextAfterStartTls);
                return self.sticky();
            }
            _ => {}
        }
        if self.eof || data.is_empty() {
            return Ok(());
        }
        self.now = now;
        let lines_before = self.lines_done;
        let in_body_before = self.in_body();
        // DATA content is unstuffed straight from the read; only what
        // follows the data, or input in any other phase, is buffered.
        let data = match self.phase {
            Phase::Data(_) if self.framer.is_empty() => &data[self.data_input(data)..],
            _ => data,
        };
        if !data.is_empty() {
            self.framer.push(data);
        }
        if matches!(
            self.phase,
            Phase::Awaiting(_) | Phase::AuthSecret(_) | Phase::Delayed(_)
        ) && self.framer.buffered().len() > self.config.limits.max_pipelined_input
        {
            self.fail(Error::PipelineOverflow);
            return self.sticky();
        }
        self.process();
        // Body bytes restart the data timer; in command mode only whole
        // lines do (RFC 5321 §4.5.3.2.7 times the wait for a command).
        if in_body_before || self.in_body() || self.lines_done != lines_before {
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
            // Finished once the application answers or the delay is over.
            Phase::Awaiting(_) | Phase::AuthSecret(_) | Phase::Delayed(_) => {}
            Phase::TlsPending => self.disconnect(),
            _ => self.process(),
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
            // The failure delay is over: the held `535` goes out, and the
            // input that waited behind it is read (SECURITY.md A7).
            self.phase = Phase::Command;
            self.last_input = now;
            self.flush();
            self.process();
            return self.sticky();
        }
        let data = matches!(self.phase, Phase::Data(_) | Phase::Bdat(_))
            || self.txn.as_ref().is_some_and(|t| t.bdat.is_some());
        if data {
            self.events.push_back(Event::DataAborted {
                reason: AbortReason::Disconnected,
            });
        }
        let esc = self.config.extensions.enhanced_status_codes;
        let host = self.config.hostname.as_str().to_owned();
        replies::write_canned(&mut self.out, replies::TIMEOUT, esc, Some(&host));
        self.fail(Error::IdleTimeout);
        self.sticky()
    }

    fn handle_tls_established(&mut self, now: Instant, info: TlsInfo) -> Result<(), Error> {
        self.sticky()?;
        if matches!(self.phase, Phase::Closed) {
            return Ok(());
        }
        // RFC 3207 §4.2: forget everything learned before TLS (S05).
        self.tls = true;
        // Kept for channel binding (SCRAM-SHA-256-PLUS, RFC 5802 §6).
        self.tls_info = Some(info);
        self.greeted = None;
        self.txn = None;
        self.authenticated = false;
        self.auth_done = None;
        self.last_input = now;
        self.now = now;
        if matches!(
            self.phase,
            Phase::TlsPending | Phase::Auth(_) | Phase::AuthSecret(_)
        ) {
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
        let timeout = match self.phase {
            Phase::Command | Phase::Auth(_) => self.config.timeouts.command,
            Phase::Data(_) | Phase::Bdat(_) => self.config.timeouts.data,
            // Even after the client's EOF: the held reply still goes out.
            Phase::Delayed(until) => return Some(until),
            Phase::Awaiting(_) | Phase::AuthSecret(_) | Phase::TlsPending | Phase::Closed => {
                return None;
            }
        };
        if self.eof {
            return None;
        }
        self.last_input.checked_add(timeout)
    }

    fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }
}
