//! Command lines: framing policy, parsing, sequence and parameter checks
//! (RFC 5321 §4.1.4, RFC 1869), and the AUTH exchange (RFC 4954 §4).

use base64::Engine as _;
use postwire_core::{BareLineEnding, Line, LineEnding};
use postwire_sasl::server::{ServerMechanism, ServerStep};
use postwire_sasl::{Mechanism, SaslError};

use super::replies::{self, Canned};
use super::{BadCommand, BareLineEndings, Event, HeloKind, Pending, PendingKind, Phase, Server};
use crate::{
    AuthResponse, Command, ForwardPath, MailParameters, ParseError, ParseErrorKind, RcptParameters,
    ReversePath,
};

/// An AUTH exchange waiting for the client's next response line, the
/// application's secret, or the answer to its [`Event::Auth`].
#[derive(Debug)]
pub(super) struct AuthState {
    id: postwire_core::CommandId,
    exchange: ServerMechanism,
}

/// One step of the SASL exchange: what `postwire-sasl` returns; an error
/// (malformed messages, a wrong proof) fails the authentication.
pub(super) type Step = Result<ServerStep, SaslError>;

impl AuthState {
    /// The AUTH command.
    pub(super) fn id(&self) -> postwire_core::CommandId {
        self.id
    }

    /// The mechanism running.
    pub(super) fn mechanism(&self) -> &Mechanism {
        self.exchange.mechanism()
    }

    /// The running exchange.
    pub(super) fn exchange_mut(&mut self) -> &mut ServerMechanism {
        &mut self.exchange
    }
}

/// Whether a refusal counts towards the bad-command limit. Refusals that
/// well-behaved pipelining clients meet in normal operation do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Count {
    Yes,
    No,
}

impl Server {
    /// Frames and handles one command line. `false` when more input is
    /// needed.
    pub(super) fn step_command(&mut self) -> bool {
        // An over-long line is reported while it is still at the front of
        // the buffer, so its verb tells which reply fits.
        let auth = is_auth_line(self.framer.buffered());
        // The line is lent by the framer and judged into owned values at
        // once (no shared slice per command line).
        let policy = LinePolicy {
            normalize: self.config.quirks.bare_line_endings == BareLineEndings::Normalize,
            lenient_helo: self.config.quirks.lenient_helo,
            auth_line: self.config.limits.auth_line,
            command_line: self.config.limits.command_line,
        };
        match self.framer.next_line_ref() {
            Ok(Some((content, ending))) => {
                let verdict = judge_command_line(content, ending, &policy);
                self.lines_done += 1;
                self.on_command_line(verdict);
                true
            }
            Ok(None) => false,
            Err(_) => {
                self.lines_done += 1;
                let canned = if auth {
                    replies::AUTH_LINE_TOO_LONG
                } else {
                    replies::LINE_TOO_LONG
                };
                self.refuse(BadCommand::LineTooLong, canned, Count::Yes);
                true
            }
        }
    }

    /// Answers a command the machine refuses itself, reports it, and closes
    /// after too many.
    pub(super) fn refuse(&mut self, error: BadCommand, canned: Canned, count: Count) {
        self.events.push_back(Event::BadCommand { error });
        self.write_refusal(canned, count);
    }

    /// The reply half of [`refuse`](Self::refuse), for a refused BDAT whose
    /// event went out when the command arrived.
    pub(super) fn write_refusal(&mut self, canned: Canned, count: Count) {
        self.write(canned);
        if count == Count::Yes {
            self.count_bad_command();
        }
    }

    /// Counts a refused command towards
    /// [`Limits::max_bad_commands`](super::Limits::max_bad_commands); at the
    /// limit the session ends with `421`.
    pub(super) fn count_bad_command(&mut self) {
        self.bad_commands = self.bad_commands.saturating_add(1);
        if self.bad_commands >= self.config.limits.max_bad_commands {
            let esc = self.config.extensions.enhanced_status_codes;
            let host = self.config.hostname.as_str().to_owned();
            replies::write_canned(&mut self.out, replies::TOO_MANY_ERRORS, esc, Some(&host));
            self.fail(super::Error::TooManyBadCommands);
        }
    }

    /// A failed authentication whose refusal (`535 5.7.8`, or the
    /// application's reply) was just written, after a flush of the replies
    /// before it: counted towards
    /// [`Limits::max_auth_failures`](super::Limits::max_auth_failures), where
    /// the session ends at once with `421 4.7.0`; otherwise the refusal is
    /// held back for
    /// [`Timeouts::auth_failure_delay`](super::Timeouts::auth_failure_delay),
    /// counted from the latest `now` the machine was given, and input waits
    /// behind it (SECURITY.md A5, A7; Dovecot's `auth_failure_delay`).
    pub(super) fn auth_failed(&mut self) {
        self.auth_failures = self.auth_failures.saturating_add(1);
        if self.auth_failures >= self.config.limits.max_auth_failures {
            let esc = self.config.extensions.enhanced_status_codes;
            let host = self.config.hostname.as_str().to_owned();
            replies::write_canned(
                &mut self.out,
                replies::TOO_MANY_AUTH_FAILURES,
                esc,
                Some(&host),
            );
            self.fail(super::Error::TooManyAuthFailures);
            return;
        }
        let delay = self.config.timeouts.auth_failure_delay;
        match self.now.checked_add(delay) {
            Some(until) if !delay.is_zero() => self.phase = Phase::Delayed(until),
            _ => self.flush(),
        }
    }

    /// Which bare line ending, if any, a command line carries.
    fn bare_line_ending(line: &Line) -> Option<BareLineEnding> {
        if memchr::memchr(b'\r', &line.content).is_some() {
            Some(BareLineEnding::Cr)
        } else if line.ending == LineEnding::Lf {
            Some(BareLineEnding::Lf)
        } else {
            None
        }
    }

    fn on_command_line(&mut self, verdict: LineVerdict) {
        match verdict {
            LineVerdict::Bare(bare) => self.refuse(
                BadCommand::BareLineEnding(bare),
                replies::BARE_LINE_ENDING,
                Count::Yes,
            ),
            LineVerdict::TooLong { auth } => {
                let canned = if auth {
                    replies::AUTH_LINE_TOO_LONG
                } else {
                    replies::LINE_TOO_LONG
                };
                self.refuse(BadCommand::LineTooLong, canned, Count::Yes);
            }
            LineVerdict::Parsed(Ok(command)) => self.dispatch(command),
            LineVerdict::Parsed(Err(error)) => self.refuse(
                BadCommand::Syntax(error),
                parse_error_reply(error),
                Count::Yes,
            ),
            LineVerdict::BadBdat { too_big: true, .. } => self.refuse_unskippable_chunk(
                BadCommand::MessageTooBig,
                replies::TOO_BIG,
                super::Error::ChunkTooBig,
            ),
            LineVerdict::BadBdat {
                too_big: false,
                error,
            } => self.refuse_unskippable_chunk(
                BadCommand::Syntax(error),
                replies::BDAT_SYNTAX,
                super::Error::MalformedBdat,
            ),
            LineVerdict::NonstandardHelo { kind, name } => self.on_nonstandard_helo(kind, name),
        }
    }

    /// Emits the event for a command and waits for the answer.
    fn ask(&mut self, kind: PendingKind, event: impl FnOnce(postwire_core::CommandId) -> Event) {
        let id = self.ids.next_id();
        self.events.push_back(event(id));
        self.phase = Phase::Awaiting(Pending { id, kind });
    }

    fn dispatch(&mut self, command: Command) {
        match command {
            Command::Helo(client) => self.on_helo(HeloKind::Helo, client),
            Command::Ehlo(client) => self.on_helo(HeloKind::Ehlo, client),
            Command::Lhlo(client) => self.on_helo(HeloKind::Lhlo, client),
            Command::Mail { from, params } => self.on_mail(from, params),
            Command::Rcpt { to, params } => self.on_rcpt(to, params),
            Command::Data => self.on_data(),
            Command::Bdat { size, last } => self.start_bdat(size, last),
            Command::Rset => {
                self.reset_transaction();
                self.ask(PendingKind::Rset, |id| Event::Rset { id });
            }
            Command::Vrfy(argument) => {
                self.ask(PendingKind::Vrfy, |id| Event::Vrfy { id, argument })
            }
            Command::Expn(argument) => {
                self.ask(PendingKind::Expn, |id| Event::Expn { id, argument })
            }
            Command::Help(topic) => self.ask(PendingKind::Help, |id| Event::Help { id, topic }),
            Command::Noop(_) => self.ask(PendingKind::Noop, |id| Event::Noop { id }),
            Command::Quit => self.ask(PendingKind::Quit, |id| Event::Quit { id }),
            Command::StartTls => self.on_starttls(),
            Command::Auth {
                mechanism,
                initial_response,
            } => self.on_auth(
                mechanism.as_str(),
                initial_response.as_ref().map(|r| r.expose().as_slice()),
            ),
            // A command this machine does not know yet.
            #[allow(unreachable_patterns)]
            _ => self.refuse(
                BadCommand::Syntax(ParseError::new(ParseErrorKind::UnknownCommand)),
                replies::UNRECOGNIZED,
                Count::Yes,
            ),
        }
    }

    /// Drops the transaction (RSET, EHLO; RFC 5321 §4.1.1.5, §4.1.4).
    pub(super) fn reset_transaction(&mut self) {
        if let Some(txn) = self.txn.take()
            && txn.bdat.is_some()
        {
            self.events.push_back(Event::DataAborted {
                reason: super::AbortReason::Reset,
            });
        }
    }

    fn on_helo(&mut self, kind: HeloKind, client: crate::ClientId) {
        // The grammar takes any non-ASCII UTF-8 in a U-label (RFC 6531
        // §3.3), C1 controls and Unicode line separators included; no host
        // has such a name, and it must not reach logs or `Received:` fields.
        if matches!(&client, crate::Host::Domain(d) if !is_printable_name(d.as_str())) {
            self.refuse(
                BadCommand::Syntax(ParseError::new(ParseErrorKind::ControlCharacter)),
                replies::SYNTAX,
                Count::Yes,
            );
            return;
        }
        if self.greeting_allowed(kind) {
            self.ask(PendingKind::Helo(kind), |id| Event::Helo {
                id,
                kind,
                client,
            });
        }
    }

    /// A greeting whose name only [`Quirks::lenient_helo`](super::Quirks::lenient_helo)
    /// accepts: the same rules and answers as [`on_helo`](Self::on_helo).
    fn on_nonstandard_helo(&mut self, kind: HeloKind, name: String) {
        if self.greeting_allowed(kind) {
            self.ask(PendingKind::Helo(kind), |id| Event::HeloNonstandard {
                id,
                kind,
                name,
            });
        }
    }

    /// Whether this greeting verb exists in this mode (RFC 2033 §4.1: LMTP
    /// has LHLO only; SMTP has no LHLO); if it does, the transaction is
    /// reset on receipt (RFC 5321 §4.1.4), else the line is refused.
    fn greeting_allowed(&mut self, kind: HeloKind) -> bool {
        if self.config.lmtp != (kind == HeloKind::Lhlo) {
            self.refuse(
                BadCommand::Syntax(ParseError::new(ParseErrorKind::UnknownCommand)),
                replies::UNRECOGNIZED,
                Count::Yes,
            );
            return false;
        }
        self.reset_transaction();
        true
    }

    fn send_helo_first(&self) -> Canned {
        if self.config.lmtp {
            replies::SEND_LHLO
        } else {
            replies::SEND_HELO
        }
    }

    fn on_mail(&mut self, from: ReversePath, params: MailParameters) {
        let Some(greeted) = self.greeted else {
            let canned = self.send_helo_first();
            self.refuse(BadCommand::BadSequence("MAIL"), canned, Count::Yes);
            return;
        };
        if self.txn.is_some() {
            self.refuse(
                BadCommand::BadSequence("MAIL"),
                replies::NESTED_MAIL,
                Count::Yes,
            );
            return;
        }
        if let Some((error, canned, count)) = self.check_mail_params(greeted, &params) {
            self.refuse(error, canned, count);
            return;
        }
        if !from.is_ascii() && !params.smtputf8 {
            self.refuse(
                BadCommand::Utf8AddressWithoutSmtpUtf8,
                replies::UTF8_ADDRESS,
                Count::Yes,
            );
            return;
        }
        let kind = PendingKind::Mail {
            smtputf8: params.smtputf8,
            body: params.body,
        };
        self.ask(kind, |id| Event::Mail { id, from, params });
    }

    /// RFC 1869 §6, RFC 5321 §4.1.1.11: parameters of extensions not
    /// offered are `555 5.5.4`.
    fn check_mail_params(
        &self,
        greeted: HeloKind,
        params: &MailParameters,
    ) -> Option<(BadCommand, Canned, Count)> {
        let ext = &self.config.extensions;
        let not_enabled =
            |name| Some((BadCommand::NotEnabled(name), replies::PARAMETER, Count::Yes));
        if greeted == HeloKind::Helo && *params != MailParameters::default() {
            return not_enabled("ESMTP parameters after HELO");
        }
        if params
            .size
            .is_some_and(|size| size > self.config.limits.max_message_size)
        {
            return Some((BadCommand::MessageTooBig, replies::TOO_BIG, Count::No));
        }
        match params.body {
            Some(crate::Body::EightBitMime) if !ext.eight_bit_mime => {
                return not_enabled("8BITMIME");
            }
            Some(crate::Body::BinaryMime) if !(ext.binary_mime && ext.chunking) => {
                return not_enabled("BINARYMIME");
            }
            _ => {}
        }
        if params.smtputf8 && !ext.smtputf8 {
            return not_enabled("SMTPUTF8");
        }
        if (params.ret.is_some() || params.envid.is_some()) && !ext.dsn {
            return not_enabled("DSN");
        }
        if params.auth.is_some() && self.mechanisms().next().is_none() {
            return not_enabled("AUTH");
        }
        if params.requiretls && !(ext.requiretls && self.tls) {
            return not_enabled("REQUIRETLS");
        }
        if params.by.is_some() {
            return not_enabled("DELIVERBY");
        }
        if params.mt_priority.is_some() {
            return not_enabled("MT-PRIORITY");
        }
        if !params.other.is_empty() {
            return not_enabled("unknown parameter");
        }
        None
    }

    fn on_rcpt(&mut self, to: ForwardPath, params: RcptParameters) {
        let Some(txn) = &self.txn else {
            self.refuse(
                BadCommand::BadSequence("RCPT"),
                replies::NEED_MAIL,
                Count::Yes,
            );
            return;
        };
        if txn.recipients >= self.config.limits.max_recipients {
            self.refuse(
                BadCommand::TooManyRecipients,
                replies::TOO_MANY_RECIPIENTS,
                Count::No,
            );
            return;
        }
        if !to.is_ascii() && !txn.smtputf8 {
            self.refuse(
                BadCommand::Utf8AddressWithoutSmtpUtf8,
                replies::UTF8_ADDRESS,
                Count::Yes,
            );
            return;
        }
        if (params.notify.is_some() || params.orcpt.is_some()) && !self.config.extensions.dsn {
            self.refuse(
                BadCommand::NotEnabled("DSN"),
                replies::PARAMETER,
                Count::Yes,
            );
            return;
        }
        if !params.other.is_empty() {
            self.refuse(
                BadCommand::NotEnabled("unknown parameter"),
                replies::PARAMETER,
                Count::Yes,
            );
            return;
        }
        self.ask(PendingKind::Rcpt, |id| Event::Rcpt { id, to, params });
    }

    fn on_data(&mut self) {
        let Some(txn) = &self.txn else {
            self.refuse(
                BadCommand::BadSequence("DATA"),
                replies::NEED_MAIL,
                Count::Yes,
            );
            return;
        };
        if txn.bdat.is_some() {
            self.refuse(
                BadCommand::BadSequence("DATA"),
                replies::DATA_AFTER_BDAT,
                Count::Yes,
            );
        } else if txn.body == Some(crate::Body::BinaryMime) {
            self.refuse(
                BadCommand::BinaryMimeNeedsBdat,
                replies::BINARY_NEEDS_BDAT,
                Count::Yes,
            );
        } else if txn.recipients == 0 {
            self.refuse(
                BadCommand::NoValidRecipients,
                replies::NO_RECIPIENTS,
                Count::No,
            );
        } else {
            self.ask(PendingKind::Data, |id| Event::DataStart { id });
        }
    }

    fn on_starttls(&mut self) {
        let refusal = if !self.config.extensions.starttls {
            Some((BadCommand::NotEnabled("STARTTLS"), replies::NOT_IMPLEMENTED))
        } else if self.tls {
            Some((BadCommand::BadSequence("STARTTLS"), replies::TLS_ACTIVE))
        } else if self.txn.is_some() {
            Some((
                BadCommand::BadSequence("STARTTLS"),
                replies::TLS_IN_TRANSACTION,
            ))
        } else if self.authenticated {
            Some((BadCommand::BadSequence("STARTTLS"), replies::TLS_AFTER_AUTH))
        } else {
            None
        };
        match refusal {
            Some((error, canned)) => self.refuse(error, canned, Count::Yes),
            None => self.ask(PendingKind::StartTls, |id| Event::StartTls { id }),
        }
    }

    fn on_auth(&mut self, name: &str, initial: Option<&[u8]>) {
        let mechanism = Mechanism::from_name(name)
            .ok()
            .filter(|m| self.mechanisms().any(|offered| offered == m));
        let refusal = if self.mechanisms().next().is_none() {
            Some((BadCommand::NotEnabled("AUTH"), replies::NOT_IMPLEMENTED))
        } else if !self.tls && !self.config.allow_plaintext_auth {
            Some((BadCommand::EncryptionRequired, replies::AUTH_NEEDS_TLS))
        } else if !matches!(self.greeted, Some(HeloKind::Ehlo | HeloKind::Lhlo)) {
            Some((BadCommand::BadSequence("AUTH"), replies::AUTH_NEEDS_EHLO))
        } else if self.authenticated {
            Some((BadCommand::BadSequence("AUTH"), replies::AUTH_TWICE))
        } else if self.txn.is_some() {
            Some((
                BadCommand::BadSequence("AUTH"),
                replies::AUTH_IN_TRANSACTION,
            ))
        } else if mechanism.is_none() {
            Some((
                BadCommand::UnknownMechanism,
                replies::AUTH_UNKNOWN_MECHANISM,
            ))
        } else {
            None
        };
        if let Some((error, canned)) = refusal {
            self.refuse(error, canned, Count::Yes);
            return;
        }
        let options = self.sasl_options();
        let started = mechanism
            .and_then(|m| ServerMechanism::with_options(m, options).ok())
            .map(|mut exchange| {
                let step = exchange.start(initial);
                (exchange, step)
            });
        let Some((exchange, step)) = started else {
            self.refuse(
                BadCommand::UnknownMechanism,
                replies::AUTH_UNKNOWN_MECHANISM,
                Count::Yes,
            );
            return;
        };
        let id = self.ids.next_id();
        self.auth_step(AuthState { id, exchange }, step);
    }

    /// Acts on one step of the SASL mechanism.
    pub(super) fn auth_step(&mut self, state: AuthState, step: Step) {
        match step {
            Ok(ServerStep::Challenge(challenge)) => self.write_challenge(state, &challenge),
            Ok(ServerStep::NeedSecret(request)) => {
                self.events.push_back(Event::NeedSecret {
                    id: state.id,
                    mechanism: state.exchange.mechanism().clone(),
                    request,
                });
                self.phase = Phase::AuthSecret(state);
            }
            Ok(ServerStep::Done(authentication)) => {
                self.events.push_back(Event::Auth {
                    id: state.id,
                    mechanism: state.exchange.mechanism().clone(),
                    authentication,
                });
                self.phase = Phase::Awaiting(Pending {
                    id: state.id,
                    kind: PendingKind::Auth,
                });
                // Kept for `reject_token` (RFC 7628 §3.2.2).
                self.auth_done = Some(state);
            }
            Err(_) => {
                self.phase = Phase::Command;
                // Replies to earlier commands are not held back.
                self.flush();
                self.events.push_back(Event::BadCommand {
                    error: BadCommand::AuthenticationFailed,
                });
                self.write(replies::AUTH_FAILED);
                self.auth_failed();
            }
        }
    }

    /// Writes `334 <base64>` and waits for the client's response line.
    pub(super) fn write_challenge(&mut self, state: AuthState, challenge: &[u8]) {
        let encoded = base64::engine::general_purpose::STANDARD.encode(challenge);
        replies::write_lines(&mut self.out, 334, None, &[encoded]);
        self.flush();
        self.phase = Phase::Auth(state);
    }

    /// Reads one SASL response line (RFC 4954 §4). `false` when more input
    /// is needed.
    pub(super) fn step_auth(&mut self) -> bool {
        let line = match self.framer.next_line() {
            Ok(Some(line)) => {
                self.lines_done += 1;
                line
            }
            Ok(None) => return false,
            Err(_) => {
                self.lines_done += 1;
                self.phase = Phase::Command;
                self.refuse(
                    BadCommand::LineTooLong,
                    replies::AUTH_LINE_TOO_LONG,
                    Count::Yes,
                );
                self.flush();
                return true;
            }
        };
        let Phase::Auth(mut state) = std::mem::replace(&mut self.phase, Phase::Command) else {
            return true;
        };
        if let Some(bare) = Self::bare_line_ending(&line)
            && !(self.config.quirks.bare_line_endings == BareLineEndings::Normalize
                && bare == BareLineEnding::Lf)
        {
            self.refuse(
                BadCommand::BareLineEnding(bare),
                replies::BARE_LINE_ENDING,
                Count::Yes,
            );
            self.flush();
            return true;
        }
        if line.content.len() + 2 > self.config.limits.auth_line {
            self.refuse(
                BadCommand::LineTooLong,
                replies::AUTH_LINE_TOO_LONG,
                Count::Yes,
            );
            self.flush();
            return true;
        }
        match AuthResponse::parse(&line.content) {
            Ok(AuthResponse::Cancel) => {
                self.write(replies::AUTH_CANCELLED);
                self.flush();
            }
            Ok(AuthResponse::Data(data)) => {
                let step = state.exchange.step(data.expose());
                self.auth_step(state, step);
            }
            Err(error) => {
                self.refuse(BadCommand::Syntax(error), replies::AUTH_BASE64, Count::Yes);
                self.flush();
            }
        }
        true
    }
}

/// What a command line amounts to, decided while the framer lends it.
#[allow(
    clippy::large_enum_variant,
    reason = "a value that lives for one call; boxing would allocate per command"
)]
enum LineVerdict {
    /// A bare line ending the policy refuses.
    Bare(BareLineEnding),
    /// Longer than the limit for its kind (AUTH lines have their own).
    TooLong { auth: bool },
    /// The line went to the parser.
    Parsed(Result<Command, ParseError>),
    /// A BDAT line that did not parse: where its chunk ends is unknown.
    /// `too_big` when the size is all digits but does not fit 64 bits.
    BadBdat { too_big: bool, error: ParseError },
    /// A greeting whose argument only the lenient-HELO quirk accepts.
    NonstandardHelo { kind: HeloKind, name: String },
}

/// How command lines are judged: the session's quirks and limits (CRLF
/// counted in the limits).
struct LinePolicy {
    normalize: bool,
    lenient_helo: bool,
    auth_line: usize,
    command_line: usize,
}

/// Judges one command line: a bare CR inside it is refused under either
/// policy, since it cannot be part of a valid command, and a bare LF unless
/// the policy normalises (SECURITY.md SM-S4); then the length limit; then
/// the parser. A line the parser refuses may still be a BDAT whose chunk
/// must not be read as commands, or a greeting the lenient-HELO quirk
/// takes.
fn judge_command_line(content: &[u8], ending: LineEnding, policy: &LinePolicy) -> LineVerdict {
    let bare = if memchr::memchr(b'\r', content).is_some() {
        Some(BareLineEnding::Cr)
    } else if ending == LineEnding::Lf {
        Some(BareLineEnding::Lf)
    } else {
        None
    };
    if let Some(bare) = bare
        && !(policy.normalize && bare == BareLineEnding::Lf)
    {
        return LineVerdict::Bare(bare);
    }
    let auth = is_auth_line(content);
    let limit = if auth {
        policy.auth_line
    } else {
        policy.command_line
    };
    if content.len() + 2 > limit {
        return LineVerdict::TooLong { auth };
    }
    let error = match Command::parse(content) {
        Ok(command) => return LineVerdict::Parsed(Ok(command)),
        Err(error) => error,
    };
    if let Some(args) = verb_args(content, b"BDAT") {
        return LineVerdict::BadBdat {
            too_big: size_overflows(args),
            error,
        };
    }
    if policy.lenient_helo
        && let Some((kind, name)) = nonstandard_helo(content)
    {
        return LineVerdict::NonstandardHelo { kind, name };
    }
    LineVerdict::Parsed(Err(error))
}

/// Whether a line is an AUTH command, whose limit is RFC 4954's 12288
/// octets rather than 512.
fn is_auth_line(line: &[u8]) -> bool {
    line.len() >= 5 && line[..5].eq_ignore_ascii_case(b"AUTH ")
}

/// The arguments after `verb` (case-insensitive) and a space, empty for the
/// bare verb; `None` when the line has another verb.
fn verb_args<'a>(line: &'a [u8], verb: &[u8; 4]) -> Option<&'a [u8]> {
    let (head, rest) = line.split_first_chunk::<4>()?;
    if !head.eq_ignore_ascii_case(verb) {
        return None;
    }
    match rest {
        [] => Some(rest),
        [b' ', args @ ..] => Some(args),
        _ => None,
    }
}

/// Whether a BDAT chunk size is all digits but larger than 64 bits can
/// hold (`chunk-size = 1*DIGIT`, RFC 3030 §2): larger than any size limit.
fn size_overflows(args: &[u8]) -> bool {
    let size = args.split(|&b| b == b' ').next().unwrap_or_default();
    !size.is_empty()
        && size.iter().all(u8::is_ascii_digit)
        && crate::grammar::parse_u64(size).is_none()
}

/// A HELO, EHLO or LHLO line whose argument (spaces around it dropped) is
/// 1 to [`MAX_DOMAIN`](crate::MAX_DOMAIN) octets of UTF-8 without
/// whitespace or control characters: what Postfix accepts as a HELO name
/// without `reject_invalid_helo_hostname` (`my_host`, `[300.0.0.1]`).
/// Nothing that could end or split the line gets through.
fn nonstandard_helo(line: &[u8]) -> Option<(HeloKind, String)> {
    let (kind, args) = [
        (HeloKind::Ehlo, b"EHLO"),
        (HeloKind::Helo, b"HELO"),
        (HeloKind::Lhlo, b"LHLO"),
    ]
    .into_iter()
    .find_map(|(kind, verb)| Some((kind, verb_args(line, verb)?)))?;
    let name = std::str::from_utf8(args).ok()?.trim_matches(' ');
    let ok = !name.is_empty() && name.len() <= crate::MAX_DOMAIN && is_printable_name(name);
    ok.then(|| (kind, name.to_owned()))
}

/// Whether a greeting name holds no control character (C0, DEL, C1) and
/// no whitespace (space, tab, NBSP, U+2028 ...): nothing that could split
/// or end a line in a log or a header it is copied to.
fn is_printable_name(name: &str) -> bool {
    !name.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// The reply to a line that did not parse (RFC 5321 §4.2.4, §4.5.3.1.10).
fn parse_error_reply(error: ParseError) -> Canned {
    match error.kind {
        ParseErrorKind::UnknownCommand => replies::UNRECOGNIZED,
        ParseErrorKind::Path => replies::BAD_ADDRESS,
        ParseErrorKind::PathTooLong => replies::PATH_TOO_LONG,
        ParseErrorKind::Parameter => replies::PARAMETER,
        ParseErrorKind::Xtext => replies::BAD_VALUE,
        _ => replies::SYNTAX,
    }
}
