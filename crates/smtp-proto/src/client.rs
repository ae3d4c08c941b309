//! The SMTP and LMTP client state machine, sans-IO.
//!
//! [`Client`] speaks the client side of SMTP (RFC 5321) with its extensions,
//! or LMTP (RFC 2033) when [`ClientConfig::lmtp`] is set. It never touches a
//! socket or a clock: the driver feeds it the server's bytes and the time,
//! and writes what it asks for. It implements [`postwire_core::Protocol`].
//!
//! # Call order
//!
//! 1. [`Client::new`], then feed the server's bytes with
//!    [`handle_input`](Protocol::handle_input) until [`Event::Greeting`].
//! 2. [`Client::ehlo`] -> [`Event::Ehlo`] with the [`Capabilities`].
//! 3. Optionally [`Client::starttls`] -> [`Transmit::StartTls`]; the driver
//!    runs the handshake and calls
//!    [`handle_tls_established`](Protocol::handle_tls_established) ->
//!    [`Event::TlsEstablished`]; the capabilities are gone, so
//!    [`Client::ehlo`] again (RFC 3207 §4.2).
//! 4. Optionally [`Client::auth`] or [`Client::auth_with`] ->
//!    [`Event::Authenticated`] or [`Event::AuthFailed`].
//! 5. For each message: [`Client::send_mail`] -> [`Event::Envelope`] ->
//!    [`Event::ReadyForBody`]; then [`Client::send_body`] as many times as
//!    needed and [`Client::finish_body`] -> [`Event::MessageAccepted`]
//!    (SMTP) or [`Event::LmtpDelivery`] (LMTP), or at any point
//!    [`Event::TransactionFailed`], after which the session is ready again.
//! 6. [`Client::quit`] -> [`Event::Reply`] and [`Event::Closed`].
//!
//! After every call, drain [`poll_transmit`](Protocol::poll_transmit) and
//! [`poll_event`](Protocol::poll_event), then arm a timer at
//! [`poll_timeout`](Protocol::poll_timeout). Every verb takes `now`
//! because sending a command starts the clock for its reply.
//!
//! A verb called at the wrong time returns a [`UsageError`] at once and
//! sends nothing; the session stays usable. A server saying no (4xx, 5xx)
//! is an event. Only a broken session (timeout, malformed reply, 421,
//! STARTTLS policy violations) is an [`Error`], which is fatal and sticky.
//!
//! # Example
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Instant;
//!
//! use postwire_core::{Protocol, Transmit};
//! use postwire_smtp_proto::client::{
//!     BodyInfo, Client, ClientConfig, Envelope, Event, StartTlsPolicy,
//! };
//! use postwire_smtp_proto::{Domain, ForwardPath, Host, Mailbox, ReversePath};
//!
//! // What the client wrote since the last call.
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
//! let mut config = ClientConfig::new(Host::Domain(Domain::new("client.example")?));
//! config.starttls = StartTlsPolicy::Disabled; // a local relay without TLS
//! let mut client = Client::new(now, config);
//!
//! client.handle_input(now, b"220 mx.example ESMTP\r\n")?;
//! assert!(matches!(client.poll_event(), Some(Event::Greeting { .. })));
//!
//! client.ehlo(now)?;
//! assert_eq!(written(&mut client), b"EHLO client.example\r\n");
//! client.handle_input(now, b"250-mx.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n")?;
//! assert!(matches!(client.poll_event(), Some(Event::Ehlo { .. })));
//!
//! let envelope = Envelope::new(ReversePath::Mailbox(Mailbox::parse("alice@client.example")?))
//!     .to(ForwardPath::Mailbox(Mailbox::parse("bob@mx.example")?));
//! let message = b"Subject: hi\r\n\r\n.hello\r\n";
//! let id = client.send_mail(now, envelope, BodyInfo::from_content(message))?;
//! // PIPELINING: the whole envelope and DATA in one write (RFC 2920 §3.1).
//! assert_eq!(
//!     written(&mut client),
//!     b"MAIL FROM:<alice@client.example>\r\nRCPT TO:<bob@mx.example>\r\nDATA\r\n"
//! );
//! client.handle_input(now, b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 Go ahead\r\n")?;
//! assert!(matches!(client.poll_event(), Some(Event::Envelope { .. })));
//! assert_eq!(client.poll_event(), Some(Event::ReadyForBody { id }));
//!
//! client.send_body(now, message)?;
//! client.finish_body(now)?;
//! // Dot-stuffed, terminated once.
//! assert_eq!(written(&mut client), b"Subject: hi\r\n\r\n..hello\r\n.\r\n");
//! client.handle_input(now, b"250 2.0.0 Ok: queued as 4ABC\r\n")?;
//! assert!(matches!(client.poll_event(), Some(Event::MessageAccepted { id: i, .. }) if i == id));
//!
//! client.quit(now)?;
//! assert_eq!(written(&mut client), b"QUIT\r\n");
//! client.handle_input(now, b"221 2.0.0 Bye\r\n")?;
//! assert!(matches!(client.poll_event(), Some(Event::Reply { .. })));
//! assert_eq!(client.poll_event(), Some(Event::Closed));
//! assert!(client.is_closed());
//! # Ok(())
//! # }
//! ```
//!
//! # Standards
//!
//! - RFC 5321: the session, HELO fallback (§4.1.4), reply timeouts
//!   (§4.5.3.2), "too many recipients" deferral (§4.5.3.1.10).
//! - RFC 2920 PIPELINING: MAIL, every RCPT and DATA in one write.
//! - RFC 3030 CHUNKING and BINARYMIME: BDAT, pipelined.
//! - RFC 3207 STARTTLS, with the response-injection check of SECURITY.md C07.
//! - RFC 4954 AUTH, through [`postwire_sasl`]; initial response on the AUTH
//!   line unless the line would exceed 512 octets. SCRAM-SHA-256(-PLUS)
//!   (RFC 5802, RFC 7677) with the TLS session's channel binding (RFC 9266,
//!   RFC 5929); the server's final `334` is verified and answered with an
//!   empty line, and a `235` before that verification is refused.
//! - RFC 2033 LMTP: LHLO and one reply per accepted recipient.
//! - RFC 1870 SIZE, RFC 6152 8BITMIME, RFC 6531 SMTPUTF8 (UTF-8 domains
//!   sent as IDNA A-labels to servers without it), RFC 3461 DSN parameters.
//!
//! # Limits and leniency
//!
//! - Reply lines up to [`Limits::max_reply_line`] (4096) octets, 12290
//!   during AUTH; replies up to 100 lines and 64 KiB. RFC 5321 says 512,
//!   but real servers send longer lines.
//! - Replies ending in a bare LF are accepted: being lenient here cannot
//!   smuggle anything, unlike on the server side.
//! - A reply when none is awaited is a fatal [`Error::UnexpectedReply`],
//!   except 421, which is [`Error::ServerClosing`] at any time.
//! - Commands other than QUIT, and the pipelined transaction groups, are
//!   sent only when no reply is outstanding ([`UsageError::Busy`]).
//! - BDAT is used only with both CHUNKING and PIPELINING, and never in LMTP
//!   mode; a binary body needs it.
//! - DSN, REQUIRETLS, DELIVERBY, MT-PRIORITY and `AUTH=` parameters to a
//!   server that does not offer them are refused before MAIL
//!   ([`UsageError::ExtensionRequired`]) rather than silently dropped.
//! - A DATA body cannot be abandoned half-way (only closing the connection
//!   can); a BDAT body ends at the first failed chunk.
//! - The client never holds more than one body chunk: each `send_body`
//!   becomes one [`Transmit::Data`] at once, so the caller's writes are the
//!   backpressure.

mod config;
mod envelope;
mod error;
mod event;

use std::collections::VecDeque;
use std::time::Instant;

use bytes::BytesMut;
use postwire_core::{
    CommandId, CommandIds, DotStuffer, LineFramer, Protocol, Secret, TlsInfo, Transmit,
};
use postwire_sasl::client::{ClientMechanism, ClientOptions, Credentials};

pub use config::{ClientConfig, Limits, StartTlsPolicy, Step, Timeouts};
pub use envelope::{BodyInfo, Envelope};
pub use error::{Error, Extension, UsageError};
pub use event::{EnvelopeResult, Event};

use crate::{
    AuthResponse, Capabilities, Command, EnhancedStatusCode, MechanismName, ParseError,
    ParseErrorKind, Reply, ReplyParser,
};

/// The longest AUTH command line that may carry an initial response
/// (RFC 4954 §4: otherwise send it after an empty 334 challenge).
const MAX_AUTH_LINE: usize = 512;

/// A reply the client is waiting for, oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Greeting,
    Ehlo(CommandId),
    Helo(CommandId),
    StartTls(CommandId),
    Auth(CommandId),
    Mail,
    Rcpt(usize),
    Data,
    /// After the data: SMTP's one reply (`None`) or LMTP's reply for this
    /// recipient index.
    DataEnd(Option<usize>),
    Bdat {
        last: bool,
    },
    /// The lone `.` sent after a 354 when nobody is left to deliver to.
    Dot,
    /// The RSET that cleans up after a failed transaction.
    TxnRset,
    Simple(CommandId, Step),
    Quit(CommandId),
}

impl Expect {
    fn step(self) -> Step {
        match self {
            Expect::Greeting => Step::Greeting,
            Expect::Ehlo(_) => Step::Ehlo,
            Expect::Helo(_) => Step::Helo,
            Expect::StartTls(_) => Step::StartTls,
            Expect::Auth(_) => Step::Auth,
            Expect::Mail => Step::Mail,
            Expect::Rcpt(_) => Step::Rcpt,
            Expect::Data => Step::DataInit,
            Expect::Bdat { last: false } => Step::DataBlock,
            Expect::DataEnd(_) | Expect::Bdat { last: true } | Expect::Dot => Step::DataTermination,
            Expect::TxnRset => Step::Rset,
            Expect::Simple(_, step) => step,
            Expect::Quit(_) => Step::Quit,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GreetingState {
    Awaiting,
    Accepted,
    Refused,
}

/// An AUTH exchange in progress.
#[derive(Debug)]
struct AuthExchange {
    mechanism: ClientMechanism,
    /// The initial response, held back because the AUTH line would have
    /// been too long; it answers the first (empty) 334.
    deferred_initial: Option<Secret<Vec<u8>>>,
    /// The client sent `*`; the server owes a 501.
    cancelled: bool,
    steps: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// MAIL, RCPT and DATA replies outstanding.
    Envelope,
    /// The caller streams the body.
    Body,
    /// The end of the data is sent; its replies are outstanding.
    Finishing,
    /// A BDAT chunk failed; the outstanding chunk replies are drained.
    Aborting,
    /// RSET or `.` is cleaning up; `failure` is what gets reported.
    CleaningUp,
}

/// One mail transaction.
#[derive(Debug)]
struct Transaction {
    id: CommandId,
    pipelined: bool,
    bdat: bool,
    /// Dot-stuffer (DATA), normaliser (BDAT), or nothing (BINARYMIME).
    stuffer: Option<DotStuffer>,
    /// RCPT commands not sent yet (without PIPELINING).
    unsent: VecDeque<Command>,
    rcpt_count: usize,
    /// RCPT replies received (or recipients deferred without sending).
    answered: usize,
    mail: Option<Reply>,
    mail_refused: Option<Reply>,
    accepted: Vec<usize>,
    refused: Vec<(usize, Reply)>,
    deferred: Vec<(usize, Reply)>,
    last_rcpt_reply: Option<Reply>,
    phase: Phase,
    failure: Option<Reply>,
    lmtp: Vec<(usize, Reply)>,
    bdat_outstanding: usize,
}

/// The SMTP/LMTP client state machine. See the [module docs](self).
#[derive(Debug)]
pub struct Client {
    config: ClientConfig,
    ids: CommandIds,
    framer: LineFramer,
    parser: ReplyParser,
    pending: VecDeque<Expect>,
    /// When the oldest pending reply is due.
    deadline: Option<Instant>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    greeting: GreetingState,
    capabilities: Option<Capabilities>,
    tls_active: bool,
    tls_info: Option<TlsInfo>,
    /// STARTTLS got 220; the handshake is due and no byte may arrive.
    awaiting_tls: Option<CommandId>,
    authenticated: bool,
    auth: Option<(CommandId, AuthExchange)>,
    /// Why the mechanism gave up in the last AUTH exchange, if it did.
    sasl_error: Option<postwire_sasl::SaslError>,
    txn: Option<Transaction>,
    error: Option<Error>,
    closed: bool,
    /// QUIT is on its way: no command may follow it.
    quit_sent: bool,
}

impl Client {
    /// A client on a fresh connection, waiting for the greeting from `now`.
    pub fn new(now: Instant, config: ClientConfig) -> Self {
        let framer = LineFramer::new(config.limits.max_reply_line);
        let parser = ReplyParser::new(config.limits.max_reply_lines, config.limits.max_reply_bytes);
        let tls_active = config.implicit_tls;
        let mut client = Self {
            config,
            ids: CommandIds::new(),
            framer,
            parser,
            pending: VecDeque::new(),
            deadline: None,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            greeting: GreetingState::Awaiting,
            capabilities: None,
            tls_active,
            tls_info: None,
            awaiting_tls: None,
            authenticated: false,
            auth: None,
            sasl_error: None,
            txn: None,
            error: None,
            closed: false,
            quit_sent: false,
        };
        client.expect(now, Expect::Greeting);
        client
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// What the last successful EHLO advertised; `None` before EHLO and
    /// after TLS starts (RFC 3207 §4.2). Empty after the HELO fallback.
    pub fn capabilities(&self) -> Option<&Capabilities> {
        self.capabilities.as_ref()
    }

    /// Whether TLS is active (STARTTLS done, or implicit TLS).
    pub fn is_tls(&self) -> bool {
        self.tls_active
    }

    /// What the driver reported about the TLS handshake, if any.
    pub fn tls_info(&self) -> Option<&TlsInfo> {
        self.tls_info.as_ref()
    }

    /// Whether AUTH succeeded in this session.
    pub fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    /// Why the SASL mechanism gave up in the last AUTH exchange, if it did:
    /// for example `ServerSignatureMismatch` when a SCRAM server could not
    /// prove it knows the password (RFC 5802 §5), or a malformed challenge.
    /// The client then cancelled with `*` and reported
    /// [`Event::AuthFailed`] with the server's answer. `None` when the
    /// mechanism followed the exchange to its end.
    pub fn sasl_error(&self) -> Option<postwire_sasl::SaslError> {
        self.sasl_error
    }

    /// The fatal error, once there is one.
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// Sends EHLO (LHLO in LMTP mode) with [`ClientConfig::client_id`].
    ///
    /// Answered by [`Event::Ehlo`] or [`Event::Rejected`]. When EHLO gets
    /// 500 or 502, the client falls back to HELO on its own (RFC 5321
    /// §4.1.4; not in LMTP, whose servers must know LHLO), unless STARTTLS
    /// is required, which HELO cannot give: then [`Error::StartTlsRequired`].
    /// Under [`StartTlsPolicy::Required`] an EHLO reply without STARTTLS
    /// before TLS is the same fatal error (SECURITY.md C01).
    pub fn ehlo(&mut self, now: Instant) -> Result<CommandId, UsageError> {
        self.check_ready(false)?;
        let id = self.ids.next_id();
        let name = self.config.client_id.clone();
        let command = if self.config.lmtp {
            Command::Lhlo(name)
        } else {
            Command::Ehlo(name)
        };
        self.capabilities = None;
        self.send_command(&command);
        self.expect(now, Expect::Ehlo(id));
        Ok(id)
    }

    /// Sends STARTTLS (RFC 3207 §4).
    ///
    /// On 220 the client queues [`Transmit::StartTls`]; any byte received
    /// after that reply and before
    /// [`handle_tls_established`](Protocol::handle_tls_established) is the
    /// response-injection attack and fails the session with
    /// [`Error::PlaintextAfterStartTls`] (SECURITY.md C07). Any other reply
    /// is [`Error::StartTlsRefused`] under the required policy (C02) and
    /// [`Event::Rejected`] under the opportunistic one.
    pub fn starttls(&mut self, now: Instant) -> Result<CommandId, UsageError> {
        self.check_ready(true)?;
        let offered = self.capabilities.as_ref().is_some_and(|c| c.starttls);
        if self.config.starttls == StartTlsPolicy::Disabled || self.tls_active || !offered {
            return Err(UsageError::StartTlsUnavailable);
        }
        let id = self.ids.next_id();
        self.send_command(&Command::StartTls);
        self.expect(now, Expect::StartTls(id));
        Ok(id)
    }

    /// Starts AUTH (RFC 4954) with a prepared SASL mechanism.
    ///
    /// Refused before anything is sent when TLS is not active, unless
    /// [`ClientConfig::allow_plaintext_auth`] (SECURITY.md A1, C06), when the
    /// policy requires TLS and it is not up, and when the server's
    /// post-TLS EHLO did not offer the mechanism (A3). The initial response
    /// goes on the AUTH line (`=` when empty) unless that line would exceed
    /// 512 octets; then it answers the server's first, empty 334.
    /// The TLS session's channel-binding data reaches the mechanism
    /// ([`ClientMechanism::set_channel_binding`]) unless it was built with
    /// its own, so plain SCRAM-SHA-256 sends the `y` flag on a TLS
    /// connection (RFC 5802 §6). SCRAM's final `334` (the server's
    /// signature) is verified and answered with an empty line; a `235`
    /// before it verified is [`Error::UnexpectedReply`], since the server
    /// has not proven it knows the password.
    /// Answered by [`Event::Authenticated`] or [`Event::AuthFailed`].
    pub fn auth(
        &mut self,
        now: Instant,
        mut mechanism: ClientMechanism,
    ) -> Result<CommandId, UsageError> {
        self.check_auth_allowed()?;
        if let Some(info) = &self.tls_info {
            mechanism.set_channel_binding(&info.channel_binding);
        }
        let name = mechanism.mechanism().name().to_owned();
        if !self
            .capabilities
            .as_ref()
            .is_some_and(|c| c.has_auth(&name))
        {
            return Err(UsageError::MechanismNotOffered);
        }
        let wire_name = MechanismName::new(&name).map_err(|_| UsageError::Mechanism)?;
        let mut initial = mechanism.initial_response();
        let mut deferred_initial = None;
        if let Some(ir) = &initial {
            let encoded = ir.expose().len().div_ceil(3) * 4;
            let line = "AUTH ".len() + name.len() + 1 + encoded.max(1) + 2;
            if line > MAX_AUTH_LINE {
                deferred_initial = initial.take();
            }
        }
        let id = self.ids.next_id();
        self.sasl_error = None;
        self.send_command(&Command::Auth {
            mechanism: wire_name,
            initial_response: initial,
        });
        self.framer.set_max_line(self.config.limits.max_auth_line);
        self.auth = Some((
            id,
            AuthExchange {
                mechanism,
                deferred_initial,
                cancelled: false,
                steps: 0,
            },
        ));
        self.expect(now, Expect::Auth(id));
        Ok(id)
    }

    /// Starts AUTH with the strongest mechanism that both the server offers
    /// and `credentials` can drive ([`postwire_sasl::select`]:
    /// SCRAM-SHA-256-PLUS when the TLS session has channel-binding data,
    /// then SCRAM-SHA-256, OAUTHBEARER, XOAUTH2, CRAM-MD5, PLAIN, LOGIN),
    /// with the checks of [`auth`](Self::auth). The mechanism gets the TLS
    /// channel binding (RFC 9266 `tls-exporter` preferred, else RFC 5929
    /// `tls-server-end-point`).
    pub fn auth_with(
        &mut self,
        now: Instant,
        credentials: &Credentials,
    ) -> Result<CommandId, UsageError> {
        self.check_auth_allowed()?;
        let offered: Vec<String> = self
            .capabilities
            .as_ref()
            .map(|c| c.auth.iter().map(|m| m.as_str().to_owned()).collect())
            .unwrap_or_default();
        let available = credentials.mechanisms_for_tls(self.tls_info.as_ref());
        let mechanism =
            postwire_sasl::select(&offered, available).ok_or(UsageError::MechanismNotOffered)?;
        let options = match &self.tls_info {
            Some(info) => ClientOptions::default().with_tls_info(info),
            None => ClientOptions::default(),
        };
        let mechanism = ClientMechanism::with_options(mechanism, credentials, &options)
            .map_err(|_| UsageError::Mechanism)?;
        self.auth(now, mechanism)
    }

    /// Starts a mail transaction: MAIL, then RCPT for each recipient, then
    /// (for DATA) the DATA command.
    ///
    /// With PIPELINING all of them go in one write, DATA last (RFC 2920
    /// §3.1); without it, one command per reply. `SIZE=`, `BODY=` and
    /// `SMTPUTF8` are declared from `body` and the addresses; everything the
    /// server cannot take is refused here, before MAIL
    /// ([`UsageError::MessageTooBig`], [`UsageError::ExtensionRequired`]).
    ///
    /// Answered by [`Event::Envelope`] (when MAIL succeeds), then
    /// [`Event::ReadyForBody`] or [`Event::TransactionFailed`]. When no
    /// recipient is accepted the client ends the transaction itself: RSET,
    /// or a lone `.` if a pipelined DATA got 354 anyway (RFC 2920 §3.1).
    pub fn send_mail(
        &mut self,
        now: Instant,
        envelope: Envelope,
        body: BodyInfo,
    ) -> Result<CommandId, UsageError> {
        self.check_ready(true)?;
        self.check_tls_policy()?;
        let caps = self.capabilities.as_ref().ok_or(UsageError::EhloRequired)?;
        let pipelined = caps.pipelining;
        let prepared = envelope::prepare(
            envelope,
            &body,
            caps,
            self.config.lmtp,
            self.config.use_chunking,
        )?;
        let id = self.ids.next_id();
        let stuffer = match (prepared.bdat, prepared.binary) {
            (false, _) => Some(DotStuffer::new()),
            (true, false) => Some(DotStuffer::normalize_only()),
            (true, true) => None,
        };
        let rcpt_count = prepared.rcpts.len();
        let mut txn = Transaction {
            id,
            pipelined,
            bdat: prepared.bdat,
            stuffer,
            unsent: VecDeque::new(),
            rcpt_count,
            answered: 0,
            mail: None,
            mail_refused: None,
            accepted: Vec::new(),
            refused: Vec::new(),
            deferred: Vec::new(),
            last_rcpt_reply: None,
            phase: Phase::Envelope,
            failure: None,
            lmtp: Vec::new(),
            bdat_outstanding: 0,
        };
        let mut out = BytesMut::new();
        prepared.mail.encode(&mut out);
        self.expect(now, Expect::Mail);
        if pipelined {
            for (index, rcpt) in prepared.rcpts.iter().enumerate() {
                rcpt.encode(&mut out);
                self.expect(now, Expect::Rcpt(index));
            }
            if !prepared.bdat {
                Command::Data.encode(&mut out);
                self.expect(now, Expect::Data);
            }
        } else {
            txn.unsent = prepared.rcpts.into();
        }
        self.send(out);
        self.txn = Some(txn);
        Ok(id)
    }

    /// Sends a piece of the message body, after [`Event::ReadyForBody`].
    ///
    /// DATA: bare CR and LF become CRLF and lines starting with `.` get one
    /// more, so the terminator that [`finish_body`](Self::finish_body)
    /// writes is the only `CRLF.CRLF` on the wire (RFC 5321 §4.5.2,
    /// SECURITY.md SM-C1 to SM-C3). BDAT: one `BDAT n` chunk per call,
    /// line endings normalised the same way unless the body is BINARYMIME.
    /// Each call becomes one [`Transmit::Data`] at once.
    pub fn send_body(&mut self, now: Instant, content: &[u8]) -> Result<(), UsageError> {
        let txn = self.body_transaction()?;
        if !txn.bdat {
            let mut out = BytesMut::new();
            if let Some(stuffer) = txn.stuffer.as_mut() {
                stuffer.stuff(content, &mut out);
            }
            self.send(out);
            return Ok(());
        }
        let mut chunk = BytesMut::new();
        match txn.stuffer.as_mut() {
            Some(normalizer) => normalizer.stuff(content, &mut chunk),
            None => chunk.extend_from_slice(content),
        }
        if chunk.is_empty() {
            return Ok(());
        }
        txn.bdat_outstanding += 1;
        self.send_bdat(chunk, false);
        self.expect(now, Expect::Bdat { last: false });
        Ok(())
    }

    /// Ends the body: `CRLF.CRLF` after DATA (with a CRLF first if the
    /// content did not end with one), `BDAT n LAST` with CHUNKING.
    /// Answered by [`Event::MessageAccepted`], [`Event::LmtpDelivery`] or
    /// [`Event::TransactionFailed`].
    pub fn finish_body(&mut self, now: Instant) -> Result<(), UsageError> {
        let lmtp = self.config.lmtp;
        let txn = self.body_transaction()?;
        txn.phase = Phase::Finishing;
        let mut tail = BytesMut::new();
        if let Some(stuffer) = txn.stuffer.as_mut() {
            stuffer.finish(&mut tail);
        }
        if txn.bdat {
            txn.bdat_outstanding += 1;
            self.send_bdat(tail, true);
            self.expect(now, Expect::Bdat { last: true });
        } else if lmtp {
            let accepted = txn.accepted.clone();
            self.send(tail);
            for index in accepted {
                self.expect(now, Expect::DataEnd(Some(index)));
            }
        } else {
            self.send(tail);
            self.expect(now, Expect::DataEnd(None));
        }
        Ok(())
    }

    /// Sends RSET (RFC 5321 §4.1.1.5). Answered by [`Event::Reply`].
    pub fn rset(&mut self, now: Instant) -> Result<CommandId, UsageError> {
        self.simple(now, Command::Rset, Step::Rset)
    }

    /// Sends NOOP (RFC 5321 §4.1.1.9). Answered by [`Event::Reply`].
    pub fn noop(&mut self, now: Instant) -> Result<CommandId, UsageError> {
        self.simple(now, Command::Noop(None), Step::Noop)
    }

    /// Sends VRFY (RFC 5321 §4.1.1.6). Answered by [`Event::Reply`].
    pub fn vrfy(&mut self, now: Instant, what: &str) -> Result<CommandId, UsageError> {
        let argument = crate::Argument::new(what).map_err(|_| UsageError::InvalidArgument)?;
        self.simple(now, Command::Vrfy(argument), Step::Vrfy)
    }

    /// Sends QUIT (RFC 5321 §4.1.1.10). Answered by [`Event::Reply`], then
    /// [`Transmit::Close`] and [`Event::Closed`]. Also the only verb after
    /// a greeting other than 220.
    ///
    /// QUIT may be pipelined (RFC 2920 §3.1) after simple commands and after
    /// [`finish_body`](Self::finish_body); not during AUTH, STARTTLS, an
    /// envelope or a body. No command follows it: if the transaction then
    /// fails in a way that would need RSET, the failure is reported without.
    pub fn quit(&mut self, now: Instant) -> Result<CommandId, UsageError> {
        if self.error.is_some() || self.closed || self.quit_sent {
            return Err(UsageError::Closed);
        }
        if self.greeting == GreetingState::Awaiting {
            return Err(UsageError::NotGreeted);
        }
        let txn_busy = self
            .txn
            .as_ref()
            .is_some_and(|t| t.phase != Phase::Finishing);
        if txn_busy || self.auth.is_some() || self.awaiting_tls.is_some() {
            return Err(UsageError::Busy);
        }
        let id = self.ids.next_id();
        self.quit_sent = true;
        self.send_command(&Command::Quit);
        self.expect(now, Expect::Quit(id));
        Ok(id)
    }

    // ---- verb helpers ----

    fn simple(
        &mut self,
        now: Instant,
        command: Command,
        step: Step,
    ) -> Result<CommandId, UsageError> {
        self.check_ready(false)?;
        let id = self.ids.next_id();
        self.send_command(&command);
        self.expect(now, Expect::Simple(id, step));
        Ok(id)
    }

    /// Whether a new command may start now.
    fn check_ready(&self, need_ehlo: bool) -> Result<(), UsageError> {
        if self.error.is_some() || self.closed || self.quit_sent {
            return Err(UsageError::Closed);
        }
        match self.greeting {
            GreetingState::Awaiting => return Err(UsageError::NotGreeted),
            GreetingState::Refused => return Err(UsageError::GreetingRefused),
            GreetingState::Accepted => {}
        }
        if !self.pending.is_empty()
            || self.txn.is_some()
            || self.auth.is_some()
            || self.awaiting_tls.is_some()
        {
            return Err(UsageError::Busy);
        }
        if need_ehlo && self.capabilities.is_none() {
            return Err(UsageError::EhloRequired);
        }
        Ok(())
    }

    fn check_tls_policy(&self) -> Result<(), UsageError> {
        if self.config.starttls == StartTlsPolicy::Required && !self.tls_active {
            return Err(UsageError::TlsRequired);
        }
        Ok(())
    }

    fn check_auth_allowed(&self) -> Result<(), UsageError> {
        self.check_ready(true)?;
        if self.authenticated {
            return Err(UsageError::AlreadyAuthenticated);
        }
        self.check_tls_policy()?;
        if !self.tls_active && !self.config.allow_plaintext_auth {
            return Err(UsageError::PlaintextAuth);
        }
        Ok(())
    }

    fn body_transaction(&mut self) -> Result<&mut Transaction, UsageError> {
        if self.error.is_some() || self.closed {
            return Err(UsageError::Closed);
        }
        match self.txn.as_mut() {
            Some(txn) if txn.phase == Phase::Body => Ok(txn),
            _ => Err(UsageError::NotInBody),
        }
    }

    // ---- output helpers ----

    fn expect(&mut self, now: Instant, expect: Expect) {
        if self.pending.is_empty() {
            self.deadline = Some(now + self.config.timeouts.for_step(expect.step()));
        }
        self.pending.push_back(expect);
    }

    fn send(&mut self, out: BytesMut) {
        if !out.is_empty() {
            self.transmits.push_back(Transmit::Data(out.freeze()));
        }
    }

    fn send_command(&mut self, command: &Command) {
        let mut out = BytesMut::new();
        command.encode(&mut out);
        self.send(out);
    }

    fn send_bdat(&mut self, chunk: BytesMut, last: bool) {
        let mut out = BytesMut::with_capacity(chunk.len() + 24);
        Command::Bdat {
            size: chunk.len() as u64,
            last,
        }
        .encode(&mut out);
        out.extend_from_slice(&chunk);
        self.send(out);
    }

    /// Makes `error` fatal: nothing is awaited any more, the connection is
    /// to be closed, and every later call returns the error.
    fn fail(&mut self, error: Error) -> Error {
        self.error = Some(error.clone());
        self.pending.clear();
        self.deadline = None;
        self.txn = None;
        self.auth = None;
        self.awaiting_tls = None;
        self.framer.clear();
        if !self.closed {
            // A session closed earlier already asked for its one Close.
            self.transmits.push_back(Transmit::Close);
        }
        error
    }

    fn close(&mut self) {
        if !self.closed {
            self.closed = true;
            self.pending.clear();
            self.deadline = None;
            self.transmits.push_back(Transmit::Close);
            self.events.push_back(Event::Closed);
        }
    }

    // ---- input ----

    fn process_lines(&mut self, now: Instant) -> Result<(), Error> {
        while self.error.is_none() && !self.closed {
            // Borrowed: the reply copies its text, so the receive buffer
            // is never shared (no reference counting per line).
            let line = match self.framer.next_line_ref() {
                Ok(Some((line, _))) => line,
                Ok(None) => break,
                Err(_) => {
                    return Err(self.fail(Error::Protocol(ParseError::new(
                        ParseErrorKind::ReplyTooLong,
                    ))));
                }
            };
            let reply = match self.parser.push_line_ref(line) {
                Ok(Some(reply)) => reply,
                Ok(None) => continue,
                Err(e) => return Err(self.fail(Error::Protocol(e))),
            };
            self.on_reply(now, reply)?;
            // RFC 3207 §4.2 / SECURITY.md C07: nothing may follow the 220.
            if self.awaiting_tls.is_some() && (!self.framer.is_empty() || self.parser.is_partial())
            {
                return Err(self.fail(Error::PlaintextAfterStartTls));
            }
        }
        Ok(())
    }

    fn on_reply(&mut self, now: Instant, reply: Reply) -> Result<(), Error> {
        let code = reply.code().get();
        let Some(expect) = self.pending.pop_front() else {
            if code == 421 {
                return Err(self.fail(Error::ServerClosing(reply)));
            }
            return Err(self.fail(Error::UnexpectedReply {
                reply,
                awaiting: None,
            }));
        };
        self.deadline = self
            .pending
            .front()
            .map(|next| now + self.config.timeouts.for_step(next.step()));
        if code == 421 && !matches!(expect, Expect::Quit(_)) {
            // RFC 5321 §3.8: the server is shutting the channel down.
            return Err(self.fail(Error::ServerClosing(reply)));
        }
        match expect {
            Expect::Greeting => {
                self.greeting = if code == 220 {
                    GreetingState::Accepted
                } else {
                    GreetingState::Refused
                };
                self.events.push_back(Event::Greeting { reply });
            }
            Expect::Ehlo(id) => self.on_ehlo(now, id, reply)?,
            Expect::Helo(id) => {
                if reply.code().is_positive() {
                    self.capabilities = Some(Capabilities::default());
                    self.events.push_back(Event::Ehlo {
                        id,
                        reply,
                        capabilities: Capabilities::default(),
                        helo_fallback: true,
                    });
                } else {
                    self.events.push_back(Event::Rejected { id, reply });
                }
            }
            Expect::StartTls(id) => {
                if code == 220 {
                    self.awaiting_tls = Some(id);
                    self.transmits.push_back(Transmit::StartTls);
                } else if self.config.starttls == StartTlsPolicy::Required {
                    return Err(self.fail(Error::StartTlsRefused(reply)));
                } else {
                    self.events.push_back(Event::Rejected { id, reply });
                }
            }
            Expect::Auth(id) => self.on_auth(now, id, reply)?,
            Expect::Mail => self.on_mail(now, reply),
            Expect::Rcpt(index) => self.on_rcpt(now, index, reply),
            Expect::Data => self.on_data(now, reply),
            Expect::DataEnd(index) => self.on_data_end(index, reply),
            Expect::Bdat { last } => self.on_bdat(now, last, reply),
            Expect::Dot => {
                if let Some(txn) = self.txn.take() {
                    let reply = txn.mail_refused.or(txn.last_rcpt_reply).unwrap_or(reply);
                    self.events
                        .push_back(Event::TransactionFailed { id: txn.id, reply });
                }
            }
            Expect::TxnRset => {
                if let Some(txn) = self.txn.take() {
                    let reply = txn.failure.unwrap_or(reply);
                    self.events
                        .push_back(Event::TransactionFailed { id: txn.id, reply });
                }
            }
            Expect::Simple(id, _) => self.events.push_back(Event::Reply { id, reply }),
            Expect::Quit(id) => {
                self.events.push_back(Event::Reply { id, reply });
                self.close();
            }
        }
        Ok(())
    }

    fn on_ehlo(&mut self, now: Instant, id: CommandId, reply: Reply) -> Result<(), Error> {
        let tls_required = self.config.starttls == StartTlsPolicy::Required && !self.tls_active;
        if reply.code().is_positive() {
            let capabilities = Capabilities::from_ehlo_reply(&reply);
            if tls_required && !capabilities.starttls {
                return Err(self.fail(Error::StartTlsRequired));
            }
            self.capabilities = Some(capabilities.clone());
            self.events.push_back(Event::Ehlo {
                id,
                reply,
                capabilities,
                helo_fallback: false,
            });
        } else if !self.config.lmtp && matches!(reply.code().get(), 500 | 502) {
            if tls_required {
                return Err(self.fail(Error::StartTlsRequired));
            }
            self.send_command(&Command::Helo(self.config.client_id.clone()));
            self.expect(now, Expect::Helo(id));
        } else {
            self.events.push_back(Event::Rejected { id, reply });
        }
        Ok(())
    }

    fn on_auth(&mut self, now: Instant, id: CommandId, reply: Reply) -> Result<(), Error> {
        let Some((_, mut exchange)) = self.auth.take() else {
            return Err(self.fail(Error::UnexpectedReply {
                reply,
                awaiting: Some(Step::Auth),
            }));
        };
        match reply.code().get() {
            334 => {
                if exchange.cancelled {
                    return Err(self.fail(Error::UnexpectedReply {
                        reply,
                        awaiting: Some(Step::Auth),
                    }));
                }
                exchange.steps += 1;
                let response = if exchange.steps > self.config.limits.max_auth_steps {
                    None
                } else if let Some(initial) = exchange.deferred_initial.take() {
                    Some(initial)
                } else {
                    // SCRAM's last 334 carries the server's signature; the
                    // mechanism verifies it and answers with an empty line
                    // (RFC 4954 §4, RFC 5802 §5).
                    let challenge = reply.lines().next().unwrap_or_default();
                    match postwire_sasl::decode_base64(challenge)
                        .and_then(|c| exchange.mechanism.step(&c))
                    {
                        Ok(response) => Some(response),
                        Err(error) => {
                            self.sasl_error = Some(error);
                            None
                        }
                    }
                };
                let line = match response {
                    Some(response) => AuthResponse::Data(response),
                    None => {
                        // RFC 4954 §4: `*` cancels; the server answers 501.
                        exchange.cancelled = true;
                        AuthResponse::Cancel
                    }
                };
                let mut out = BytesMut::new();
                line.encode(&mut out);
                self.send(out);
                self.auth = Some((id, exchange));
                self.expect(now, Expect::Auth(id));
            }
            235 => {
                self.framer.set_max_line(self.config.limits.max_reply_line);
                // A success before the mechanism sent everything (LOGIN
                // without the password) or after a cancel is not a success
                // this client can trust.
                if exchange.cancelled || !exchange.mechanism.is_complete() {
                    return Err(self.fail(Error::UnexpectedReply {
                        reply,
                        awaiting: Some(Step::Auth),
                    }));
                }
                self.authenticated = true;
                self.events.push_back(Event::Authenticated { id });
            }
            _ => {
                self.framer.set_max_line(self.config.limits.max_reply_line);
                self.events.push_back(Event::AuthFailed { id, reply });
            }
        }
        Ok(())
    }

    fn on_mail(&mut self, now: Instant, reply: Reply) {
        let Some(txn) = self.txn.as_mut() else { return };
        if reply.code().is_positive() {
            txn.mail = Some(reply);
            if !txn.pipelined {
                self.send_next_rcpt(now);
            }
        } else if txn.pipelined {
            // The pipelined RCPT and DATA replies are still to come.
            txn.mail_refused = Some(reply);
        } else {
            // MAIL refused: no transaction was opened, nothing to reset.
            let id = txn.id;
            self.txn = None;
            self.events
                .push_back(Event::TransactionFailed { id, reply });
        }
    }

    fn send_next_rcpt(&mut self, now: Instant) {
        let Some(txn) = self.txn.as_mut() else { return };
        let index = txn.answered;
        match txn.unsent.pop_front() {
            Some(rcpt) => {
                self.send_command(&rcpt);
                self.expect(now, Expect::Rcpt(index));
            }
            None => self.envelope_done(now),
        }
    }

    fn on_rcpt(&mut self, now: Instant, index: usize, reply: Reply) {
        let Some(txn) = self.txn.as_mut() else { return };
        txn.answered += 1;
        txn.last_rcpt_reply = Some(reply.clone());
        if reply.code().is_positive() {
            txn.accepted.push(index);
        } else if is_too_many_recipients(&reply) {
            // RFC 5321 §4.5.3.1.10: retry these later, deliver to the rest.
            if !txn.pipelined {
                let first_unsent = txn.answered;
                for unsent in first_unsent..txn.rcpt_count {
                    txn.deferred.push((unsent, reply.clone()));
                }
                txn.answered = txn.rcpt_count;
                txn.unsent.clear();
            }
            txn.deferred.insert(
                txn.deferred.partition_point(|(i, _)| *i < index),
                (index, reply),
            );
        } else {
            txn.refused.push((index, reply));
        }
        if txn.pipelined {
            if txn.answered == txn.rcpt_count {
                self.envelope_done(now);
            }
        } else {
            self.send_next_rcpt(now);
        }
    }

    /// Every RCPT is answered.
    fn envelope_done(&mut self, now: Instant) {
        let Some(txn) = self.txn.as_mut() else { return };
        let data_pending = txn.pipelined && !txn.bdat;
        if let Some(refusal) = &txn.mail_refused {
            if !data_pending {
                let (id, reply) = (txn.id, refusal.clone());
                self.txn = None;
                self.events
                    .push_back(Event::TransactionFailed { id, reply });
            }
            return;
        }
        let Some(mail) = txn.mail.clone() else { return };
        self.events.push_back(Event::Envelope {
            id: txn.id,
            result: EnvelopeResult {
                mail,
                accepted: txn.accepted.clone(),
                refused: txn.refused.clone(),
                deferred: txn.deferred.clone(),
            },
        });
        if data_pending {
            return; // the DATA reply decides
        }
        if txn.accepted.is_empty() {
            txn.failure = txn.last_rcpt_reply.clone();
            self.reset_transaction(now);
        } else if txn.bdat {
            txn.phase = Phase::Body;
            self.events.push_back(Event::ReadyForBody { id: txn.id });
        } else {
            self.send_command(&Command::Data);
            self.expect(now, Expect::Data);
        }
    }

    fn on_data(&mut self, now: Instant, reply: Reply) {
        let Some(txn) = self.txn.as_mut() else { return };
        let deliverable = txn.mail_refused.is_none() && !txn.accepted.is_empty();
        if reply.code().get() == 354 {
            if deliverable {
                txn.phase = Phase::Body;
                self.events.push_back(Event::ReadyForBody { id: txn.id });
            } else {
                // RFC 2920 §3.1: a server that said 354 although nobody can
                // receive the message gets an empty one, to stay in sync.
                txn.phase = Phase::CleaningUp;
                self.send(BytesMut::from(&b".\r\n"[..]));
                self.expect(now, Expect::Dot);
            }
        } else if let Some(refusal) = txn.mail_refused.clone() {
            let id = txn.id;
            self.txn = None;
            self.events
                .push_back(Event::TransactionFailed { id, reply: refusal });
        } else {
            txn.failure = Some(if txn.accepted.is_empty() {
                txn.last_rcpt_reply.clone().unwrap_or(reply)
            } else {
                reply
            });
            self.reset_transaction(now);
        }
    }

    fn on_data_end(&mut self, index: Option<usize>, reply: Reply) {
        let Some(txn) = self.txn.as_mut() else { return };
        match index {
            None => {
                let id = txn.id;
                self.txn = None;
                self.events.push_back(if reply.code().is_positive() {
                    Event::MessageAccepted { id, reply }
                } else {
                    Event::TransactionFailed { id, reply }
                });
            }
            Some(index) => {
                txn.lmtp.push((index, reply));
                if txn.lmtp.len() == txn.accepted.len() {
                    let id = txn.id;
                    let replies = std::mem::take(&mut txn.lmtp);
                    self.txn = None;
                    self.events.push_back(Event::LmtpDelivery { id, replies });
                }
            }
        }
    }

    fn on_bdat(&mut self, now: Instant, last: bool, reply: Reply) {
        let Some(txn) = self.txn.as_mut() else { return };
        txn.bdat_outstanding = txn.bdat_outstanding.saturating_sub(1);
        if last {
            if txn.failure.is_some() {
                // An earlier chunk failed: the server may hold a half
                // transaction; reset it before reporting.
                self.reset_transaction(now);
            } else {
                let id = txn.id;
                self.txn = None;
                self.events.push_back(if reply.code().is_positive() {
                    Event::MessageAccepted { id, reply }
                } else {
                    Event::TransactionFailed { id, reply }
                });
            }
            return;
        }
        if !reply.code().is_positive() && txn.failure.is_none() {
            // RFC 3030 §4.2: no more chunks after a failed one.
            txn.failure = Some(reply);
            if txn.phase == Phase::Body {
                txn.phase = Phase::Aborting;
            }
        }
        if txn.phase == Phase::Aborting && txn.bdat_outstanding == 0 {
            self.reset_transaction(now);
        }
    }

    /// Sends RSET to end a failed transaction; `failure` is reported when
    /// its reply arrives.
    fn reset_transaction(&mut self, now: Instant) {
        if self.quit_sent {
            // Nothing goes after QUIT; the server drops the transaction.
            if let Some(txn) = self.txn.take()
                && let Some(reply) = txn.failure.or(txn.last_rcpt_reply)
            {
                self.events
                    .push_back(Event::TransactionFailed { id: txn.id, reply });
            }
            return;
        }
        if let Some(txn) = self.txn.as_mut() {
            txn.phase = Phase::CleaningUp;
        }
        self.send_command(&Command::Rset);
        self.expect(now, Expect::TxnRset);
    }
}

/// RFC 5321 §4.5.3.1.10: 452 (and 4.5.3, whatever the code class says) to
/// RCPT means "too many recipients, try the rest later".
fn is_too_many_recipients(reply: &Reply) -> bool {
    reply.code().get() == 452
        || (reply.code().is_transient()
            && reply.enhanced() == Some(EnhancedStatusCode::new(4, 5, 3)))
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
            return Err(self.fail(Error::PlaintextAfterStartTls));
        }
        self.framer.push(data);
        self.process_lines(now)
    }

    fn handle_eof(&mut self, _now: Instant) -> Result<(), Error> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        if self.closed {
            return Ok(());
        }
        match self.pending.front().copied() {
            // Many servers close right after (or instead of) their 221.
            Some(Expect::Quit(_)) => {
                self.close();
                Ok(())
            }
            Some(expect) => Err(self.fail(Error::ConnectionClosed(Some(expect.step())))),
            None if self.txn.is_some() || self.awaiting_tls.is_some() => {
                Err(self.fail(Error::ConnectionClosed(None)))
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
        match (self.deadline, self.pending.front()) {
            (Some(deadline), Some(expect)) if now >= deadline && !self.closed => {
                let step = expect.step();
                Err(self.fail(Error::Timeout(step)))
            }
            _ => Ok(()),
        }
    }

    fn handle_tls_established(&mut self, _now: Instant, info: TlsInfo) -> Result<(), Error> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        if let Some(id) = self.awaiting_tls.take() {
            // RFC 3207 §4.2: forget everything learned in plaintext.
            self.tls_active = true;
            self.tls_info = Some(info);
            self.capabilities = None;
            self.authenticated = false;
            self.framer.clear();
            self.events
                .push_back(Event::TlsEstablished { id: Some(id) });
            Ok(())
        } else if self.greeting == GreetingState::Awaiting && self.framer.is_empty() && !self.closed
        {
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
        if self.error.is_some() || self.closed {
            None
        } else {
            self.deadline
        }
    }

    fn is_closed(&self) -> bool {
        self.closed || self.error.is_some()
    }
}
