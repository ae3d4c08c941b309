//! Command lines: framing limits, parsing, the state checks of RFC 1939 §3,
//! the answers the machine gives itself, and the AUTH exchange (RFC 5034).

use postwire_core::CommandId;
use postwire_sasl::server::{ServerMechanism, ServerStep};
use postwire_sasl::{Mechanism, SaslError};

use super::maildrop::Missing;
use super::{BadCommand, Error, Event, Pending, PendingKind, Phase, Server, SessionState};
use crate::{AuthResponse, Command, MessageNumber, ParseError, ParseErrorKind};

/// An AUTH exchange waiting for the client's next response line.
#[derive(Debug)]
pub(super) struct AuthState {
    pub(super) id: CommandId,
    pub(super) exchange: ServerMechanism,
}

/// One step of the SASL exchange: what `postwire-sasl` returns; an error
/// (malformed messages, a wrong proof) fails the authentication.
pub(super) type Step = Result<ServerStep, SaslError>;

impl Server {
    /// Frames and handles one command line. `false` when more input is
    /// needed.
    pub(super) fn step_command(&mut self) -> bool {
        match self.framer.next_line() {
            Ok(Some(line)) => {
                self.lines_done += 1;
                let auth = is_auth_line(&line.content);
                let limit = if auth {
                    self.config.limits.auth_line
                } else {
                    self.config.limits.command_line
                };
                if line.content.len() + 2 > limit {
                    self.refuse(BadCommand::LineTooLong, "line too long");
                    return true;
                }
                match Command::parse(&line.content) {
                    Ok(command) => self.dispatch(command),
                    Err(error) => {
                        let text = match error.kind {
                            ParseErrorKind::UnknownCommand => "unknown command",
                            _ => "syntax error",
                        };
                        self.refuse(BadCommand::Syntax(error), text);
                    }
                }
                true
            }
            Ok(None) => false,
            Err(_) => {
                self.lines_done += 1;
                self.refuse(BadCommand::LineTooLong, "line too long");
                true
            }
        }
    }

    /// Answers a command the machine refuses itself, reports and counts it.
    pub(super) fn refuse(&mut self, error: BadCommand, text: &str) {
        self.events.push_back(Event::BadCommand { error });
        self.err(None, text);
        self.count_bad_command();
    }

    /// Counts a refused command; at the limit the session ends after the
    /// `-ERR` already written (POP3 has no separate "closing" reply, and a
    /// second line would answer no command).
    fn count_bad_command(&mut self) {
        self.bad_commands = self.bad_commands.saturating_add(1);
        if self.bad_commands >= self.config.limits.max_bad_commands {
            self.fail(Error::TooManyBadCommands);
        }
    }

    /// A failed authentication: `-ERR [AUTH]`, counted, held back by the
    /// failure delay, fatal at the limit (SECURITY.md A5, A7).
    pub(super) fn auth_failed(&mut self, code: Option<&str>, text: &str) {
        self.user = None;
        self.phase = Phase::Command;
        self.err(code, text);
        self.auth_failures = self.auth_failures.saturating_add(1);
        if self.auth_failures >= self.config.limits.max_auth_failures {
            // The last failure closes at once: no delay, no more tries.
            self.fail(Error::TooManyAuthFailures);
            return;
        }
        let delay = self.config.timeouts.auth_failure_delay;
        if !delay.is_zero()
            && let Some(until) = self.now.checked_add(delay)
        {
            self.phase = Phase::Delayed(until);
        }
    }

    /// Emits the event for a command and waits for the answer.
    pub(super) fn ask(&mut self, kind: PendingKind, event: impl FnOnce(CommandId) -> Event) {
        let id = self.ids.next_id();
        self.events.push_back(event(id));
        self.phase = Phase::Awaiting(Pending { id, kind });
    }

    fn dispatch(&mut self, command: Command) {
        match (self.state, command) {
            (_, Command::Capa) => self.write_capa(),
            (SessionState::Authorization | SessionState::Transaction, Command::Lang(range)) => {
                self.on_lang(range.as_ref());
            }
            (SessionState::Authorization, Command::Quit) => {
                self.sign_off();
                self.disconnect();
            }
            (SessionState::Transaction, Command::Quit) => {
                self.state = SessionState::Update;
                let deleted = self
                    .maildrop
                    .as_ref()
                    .map(|m| m.marked())
                    .unwrap_or_default();
                self.ask(PendingKind::Update, |id| Event::Update { id, deleted });
            }
            (SessionState::Authorization, command) => self.authorization(command),
            (SessionState::Transaction, command) => self.transaction(command),
            // Nothing is read in UPDATE: the machine closes after QUIT.
            (SessionState::Update, _) => {}
        }
    }

    pub(super) fn sign_off(&mut self) {
        let text = format!(
            "{} POP3 server signing off",
            super::sanitize(&self.config.hostname)
        );
        self.ok(&text);
    }

    fn plaintext_ok(&self) -> bool {
        self.tls || self.config.allow_plaintext_auth
    }

    fn authorization(&mut self, command: Command) {
        match command {
            Command::Stls => self.on_stls(),
            Command::User(name) => {
                if !self.config.user {
                    self.refuse(BadCommand::NotEnabled("USER"), "USER not supported");
                } else if !self.plaintext_ok() {
                    // RFC 2595 §2, SECURITY.md S06.
                    self.events.push_back(Event::BadCommand {
                        error: BadCommand::EncryptionRequired,
                    });
                    self.err(
                        Some("AUTH"),
                        "plaintext authentication disallowed without TLS",
                    );
                    self.count_bad_command();
                } else {
                    self.user = Some(name.as_str().to_owned());
                    self.ok("");
                }
            }
            Command::Pass(password) => match self.user.take() {
                Some(username) if self.plaintext_ok() => {
                    self.ask(
                        PendingKind::Login {
                            username: username.clone(),
                        },
                        |id| Event::Login {
                            id,
                            username,
                            password,
                        },
                    );
                }
                _ => self.refuse(BadCommand::BadSequence("PASS"), "USER first"),
            },
            Command::Apop { name, digest } => {
                if self.timestamp.is_none() {
                    self.refuse(BadCommand::NotEnabled("APOP"), "APOP not supported");
                } else if !self.plaintext_ok() {
                    self.events.push_back(Event::BadCommand {
                        error: BadCommand::EncryptionRequired,
                    });
                    self.err(Some("AUTH"), "APOP disallowed without TLS");
                    self.count_bad_command();
                } else {
                    let username = name.as_str().to_owned();
                    self.user = None;
                    self.ask(
                        PendingKind::Apop {
                            username: username.clone(),
                            digest: digest.clone(),
                        },
                        |id| Event::Apop {
                            id,
                            username,
                            digest,
                        },
                    );
                }
            }
            Command::Auth {
                mechanism,
                initial_response,
            } => self.on_auth(
                mechanism,
                initial_response.as_ref().map(|r| r.expose().as_slice()),
            ),
            Command::Utf8 => {
                if self.config.utf8 {
                    self.utf8 = true;
                    self.ok("UTF8 enabled");
                } else {
                    self.refuse(BadCommand::NotEnabled("UTF8"), "UTF8 not supported");
                }
            }
            other => {
                let keyword = other.keyword();
                self.refuse(BadCommand::BadSequence(keyword), "not authenticated");
            }
        }
    }

    fn on_stls(&mut self) {
        if !self.config.stls {
            self.refuse(BadCommand::NotEnabled("STLS"), "STLS not supported");
        } else if self.tls {
            self.refuse(BadCommand::BadSequence("STLS"), "TLS already active");
        } else if self.user.is_some() {
            // SECURITY.md S04: STLS after USER.
            self.user = None;
            self.refuse(
                BadCommand::BadSequence("STLS"),
                "STLS not allowed after USER",
            );
        } else if !self.framer.is_empty() {
            self.stls_injection();
        } else {
            self.ask(PendingKind::StartTls, |id| Event::StartTls { id });
        }
    }

    /// STLS with input behind it (SECURITY.md S01): the injected bytes
    /// never run; the connection closes.
    pub(super) fn stls_injection(&mut self) {
        self.events.push_back(Event::BadCommand {
            error: BadCommand::StlsInjection,
        });
        self.err(None, "command pipelined after STLS, closing");
        self.framer.clear();
        self.fail(Error::PlaintextAfterStls);
    }

    fn on_auth(&mut self, mechanism: Mechanism, initial: Option<&[u8]>) {
        if self
            .config
            .sasl
            .iter()
            .all(|m| !ServerMechanism::SUPPORTED.contains(m))
        {
            self.refuse(BadCommand::NotEnabled("AUTH"), "AUTH not supported");
            return;
        }
        // A configured mechanism that needs TLS gets its own refusal below.
        let offered = self.offered_mechanisms().any(|m| *m == mechanism);
        let needs_tls = mechanism.exposes_credentials() && self.config.sasl.contains(&mechanism);
        if !offered && !needs_tls {
            self.refuse(
                BadCommand::UnknownMechanism,
                "unsupported authentication mechanism",
            );
            return;
        }
        if mechanism.exposes_credentials() && !self.plaintext_ok() {
            self.events.push_back(Event::BadCommand {
                error: BadCommand::EncryptionRequired,
            });
            self.err(
                Some("AUTH"),
                "plaintext authentication disallowed without TLS",
            );
            self.count_bad_command();
            return;
        }
        self.user = None;
        let mut options = self
            .config
            .sasl_options
            .clone()
            .with_hostname(self.config.hostname.clone());
        if let Some(info) = &self.tls_info {
            options = options.with_tls_info(info);
        }
        let started = ServerMechanism::with_options(mechanism, options)
            .ok()
            .map(|mut exchange| {
                let step = exchange.start(initial);
                (exchange, step)
            });
        let Some((exchange, step)) = started else {
            self.refuse(
                BadCommand::UnknownMechanism,
                "unsupported authentication mechanism",
            );
            return;
        };
        let id = self.ids.next_id();
        self.auth_step(AuthState { id, exchange }, step);
    }

    /// Acts on one step of the SASL mechanism.
    pub(super) fn auth_step(&mut self, state: AuthState, step: Step) {
        match step {
            Ok(ServerStep::Challenge(challenge)) => {
                let encoded = postwire_sasl::encode_base64(&challenge);
                self.out.extend_from_slice(b"+ ");
                self.out.extend_from_slice(encoded.as_bytes());
                self.out.extend_from_slice(b"\r\n");
                self.flush();
                self.phase = Phase::Auth(state);
            }
            Ok(ServerStep::NeedSecret(request)) => {
                self.events.push_back(Event::AuthSecret {
                    id: state.id,
                    request,
                });
                self.phase = Phase::Awaiting(Pending {
                    id: state.id,
                    kind: PendingKind::AuthSecret(state),
                });
            }
            Ok(ServerStep::Done(authentication)) => {
                let mechanism = state.exchange.mechanism().clone();
                let username = authentication
                    .authzid
                    .clone()
                    .unwrap_or_else(|| authentication.username.clone());
                let id = state.id;
                self.events.push_back(Event::Auth {
                    id,
                    mechanism,
                    authentication,
                });
                self.phase = Phase::Awaiting(Pending {
                    id,
                    kind: PendingKind::Auth {
                        username,
                        exchange: state,
                    },
                });
            }
            Err(_) => self.auth_failed(Some("AUTH"), "authentication failed"),
        }
    }

    /// Reads one SASL response line (RFC 5034 §4). `false` when more input
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
                self.refuse(BadCommand::LineTooLong, "line too long");
                return true;
            }
        };
        let Phase::Auth(mut state) = std::mem::replace(&mut self.phase, Phase::Command) else {
            return true;
        };
        if line.content.len() + 2 > self.config.limits.auth_line {
            self.refuse(BadCommand::LineTooLong, "line too long");
            return true;
        }
        match AuthResponse::parse(&line.content) {
            Ok(AuthResponse::Cancel) => {
                self.refuse(BadCommand::AuthAborted, "authentication cancelled");
            }
            Ok(AuthResponse::Data(data)) => {
                let step = state.exchange.step(data.expose());
                self.auth_step(state, step);
            }
            Err(_) => {
                self.events.push_back(Event::BadCommand {
                    error: BadCommand::AuthAborted,
                });
                self.auth_failed(None, "invalid base64");
            }
        }
        true
    }

    fn transaction(&mut self, command: Command) {
        match command {
            Command::Stat => {
                let stat = self
                    .maildrop
                    .as_ref()
                    .map(|m| m.stat())
                    .unwrap_or(crate::Stat { count: 0, size: 0 });
                self.ok(&format!("{} {}", stat.count, stat.size));
            }
            Command::List(None) => {
                let Some(maildrop) = self.maildrop.take() else {
                    return;
                };
                let stat = maildrop.stat();
                self.ok(&format!("{} messages ({} octets)", stat.count, stat.size));
                let mut line = bytes::BytesMut::new();
                for entry in maildrop.scan_listings() {
                    line.clear();
                    entry.encode(&mut line);
                    self.data_line(&line);
                }
                self.end_multiline();
                self.maildrop = Some(maildrop);
            }
            Command::Uidl(None) => {
                let Some(maildrop) = self.maildrop.take() else {
                    return;
                };
                self.ok("");
                let mut line = bytes::BytesMut::new();
                for entry in maildrop.uid_listings() {
                    line.clear();
                    entry.encode(&mut line);
                    self.data_line(&line);
                }
                self.end_multiline();
                self.maildrop = Some(maildrop);
            }
            Command::List(Some(msg)) => {
                if let Some(size) = self.lookup(msg).map(|e| e.size) {
                    self.ok(&format!("{msg} {size}"));
                }
            }
            Command::Uidl(Some(msg)) => {
                if let Some(uid) = self.lookup(msg).map(|e| e.uid.clone()) {
                    self.ok(&format!("{msg} {uid}"));
                }
            }
            Command::Retr(msg) => self.retrieve(msg, None),
            Command::Top { msg, lines } => self.retrieve(msg, Some(lines)),
            Command::Dele(msg) => {
                let result = self.maildrop.as_mut().map(|m| m.delete(msg));
                match result {
                    Some(Ok(())) => self.ok(&format!("message {msg} deleted")),
                    Some(Err(missing)) => self.missing(msg, missing),
                    None => self.missing(msg, Missing::NoSuchMessage),
                }
            }
            Command::Noop => self.ok(""),
            Command::Rset => {
                if let Some(maildrop) = self.maildrop.as_mut() {
                    maildrop.reset();
                }
                let stat = self
                    .maildrop
                    .as_ref()
                    .map(|m| m.stat())
                    .unwrap_or(crate::Stat { count: 0, size: 0 });
                self.ok(&format!(
                    "maildrop has {} {} ({} octets)",
                    stat.count,
                    plural(stat.count),
                    stat.size
                ));
            }
            other => {
                let keyword = other.keyword();
                self.refuse(BadCommand::BadSequence(keyword), "already authenticated");
            }
        }
    }

    /// The entry for `msg`, or the `-ERR` written for it.
    fn lookup(&mut self, msg: MessageNumber) -> Option<super::MaildropEntry> {
        let result = self
            .maildrop
            .as_ref()
            .map(|m| m.get(msg).cloned())
            .unwrap_or(Err(Missing::NoSuchMessage));
        match result {
            Ok(entry) => Some(entry),
            Err(missing) => {
                self.missing(msg, missing);
                None
            }
        }
    }

    /// RFC 1939 §5: a message that does not exist or is marked deleted.
    fn missing(&mut self, msg: MessageNumber, missing: Missing) {
        match missing {
            Missing::NoSuchMessage => self.err(None, "no such message"),
            Missing::Deleted => self.err(None, &format!("message {msg} already deleted")),
        }
    }

    fn retrieve(&mut self, msg: MessageNumber, top: Option<u32>) {
        let Some(entry) = self.lookup(msg) else {
            return;
        };
        let (size, uid) = (entry.size, entry.uid);
        self.ask(PendingKind::Retrieve { size, top }, |id| Event::Retrieve {
            id,
            msg,
            uid,
            size,
            top,
        });
    }

    /// The CAPA answer (RFC 2449 §5).
    /// `LANG` (RFC 6856 §3). This machine's own response text is English
    /// only, so it lists `en` and switches to it for any range that
    /// matches `en` (and for `i-default`, RFC 2277 §4.5, which falls back to
    /// it); any other range is refused and the language stays.
    fn on_lang(&mut self, range: Option<&crate::LanguageRange>) {
        match range {
            None => {
                self.ok("Language listing follows");
                self.data_line(b"en English");
                self.end_multiline();
            }
            Some(range) if range.matches("en") || range.matches("i-default") => {
                self.ok("en English");
            }
            Some(_) => self.err(None, "invalid language"),
        }
    }

    fn write_capa(&mut self) {
        let lines = self.capabilities().to_lines();
        self.ok("Capability list follows");
        for line in lines {
            self.data_line(line.as_bytes());
        }
        self.end_multiline();
    }
}

/// "message" or "messages".
pub(super) fn plural(count: u32) -> &'static str {
    if count == 1 { "message" } else { "messages" }
}

/// Whether a line is an AUTH command, whose limit is 12288 octets.
fn is_auth_line(line: &[u8]) -> bool {
    line.len() >= 5 && line[..5].eq_ignore_ascii_case(b"AUTH ")
}

impl From<ParseError> for BadCommand {
    fn from(error: ParseError) -> Self {
        BadCommand::Syntax(error)
    }
}
