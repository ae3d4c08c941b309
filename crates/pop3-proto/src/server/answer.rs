//! The application's answers, and what each does to the session.

use bytes::BytesMut;
use postwire_core::{CommandId, DotStuffer, Transmit};
use postwire_sasl::server::ServerStep;

use super::dispatch::plural;
use super::maildrop::Session;
use super::top::TopCut;
use super::{
    Maildrop, Pending, PendingKind, Phase, Sending, Server, SessionState, StoredSecret, UsageError,
};
use crate::{Response, Status};

/// What [`Server::message_data`] tells the application.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageFlow {
    /// Keep streaming.
    Continue,
    /// TOP has all it sends (the header and the asked-for lines): later
    /// data is dropped, so stop reading the message and call
    /// [`Server::message_end`].
    Done,
}

impl Server {
    /// Answers an event with the outcome a permissive server gives:
    /// [`Event::StartTls`](super::Event::StartTls): `+OK` and the
    /// handshake; [`Event::Login`](super::Event::Login),
    /// [`Event::Apop`](super::Event::Apop), [`Event::Auth`](super::Event::Auth):
    /// the credentials are good, [`Event::OpenMaildrop`](super::Event::OpenMaildrop)
    /// follows; [`Event::Update`](super::Event::Update): the messages are
    /// deleted, `+OK` and close. `OpenMaildrop`, `Retrieve` and `AuthSecret`
    /// need their own methods ([`UsageError::WrongAnswer`]).
    pub fn accept(&mut self, id: CommandId) -> Result<(), UsageError> {
        self.answer(id, Answer::Accept)
    }

    /// Answers an event with a standard refusal: `-ERR` to STLS,
    /// `-ERR [AUTH]` to a login (counted, delayed), `-ERR [IN-USE]` to
    /// OpenMaildrop (the session stays in AUTHORIZATION), `-ERR [SYS/TEMP]`
    /// to Retrieve (before any data) and to Update (then close).
    pub fn reject(&mut self, id: CommandId) -> Result<(), UsageError> {
        self.answer(id, Answer::Refuse(None))
    }

    /// Answers an event with a response of the application's own: a
    /// `-ERR` acts like [`reject`](Self::reject) with that text and code; a
    /// `+OK` like [`accept`](Self::accept) with that text, for STLS and
    /// Update only ([`UsageError::WrongAnswer`] otherwise).
    pub fn reply(&mut self, id: CommandId, response: Response) -> Result<(), UsageError> {
        match response.status() {
            Status::Ok => self.answer_ok(id, response),
            Status::Err => self.answer(id, Answer::Refuse(Some(response))),
        }
    }

    /// Answers [`Event::OpenMaildrop`](super::Event::OpenMaildrop): the
    /// maildrop is locked and these are its messages. Writes `+OK maildrop
    /// has n messages (m octets)` and enters the TRANSACTION state.
    pub fn open_maildrop(&mut self, id: CommandId, maildrop: Maildrop) -> Result<(), UsageError> {
        match &self.phase {
            Phase::Awaiting(Pending {
                id: pending,
                kind: PendingKind::OpenMaildrop { .. },
            }) if *pending == id => {}
            _ => return Err(UsageError::NotAwaiting(id)),
        }
        if let Phase::Awaiting(Pending {
            kind: PendingKind::OpenMaildrop { username },
            ..
        }) = std::mem::replace(&mut self.phase, Phase::Command)
        {
            self.username = Some(username);
        }
        let session = Session::new(maildrop);
        let stat = session.stat();
        self.maildrop = Some(session);
        self.state = SessionState::Transaction;
        self.ok(&format!(
            "maildrop has {} {} ({} octets)",
            stat.count,
            plural(stat.count),
            stat.size
        ));
        self.resume();
        Ok(())
    }

    /// Answers [`Event::Apop`](super::Event::Apop) with the user's shared
    /// secret (`None`: unknown user): the machine computes the RFC 1939 §7
    /// digest over its greeting's timestamp, compares it in constant time,
    /// and accepts or rejects.
    pub fn apop_secret(&mut self, id: CommandId, secret: Option<&str>) -> Result<(), UsageError> {
        let matches = match &self.phase {
            Phase::Awaiting(Pending {
                id: pending,
                kind: PendingKind::Apop { digest, .. },
            }) if *pending == id => match (secret, &self.timestamp) {
                (Some(secret), Some(timestamp)) => {
                    let expected = postwire_core::Secret::new(postwire_sasl::apop_digest(
                        timestamp.as_str().as_bytes(),
                        secret,
                    ));
                    digest.matches(expected.expose())
                }
                _ => false,
            },
            _ => return Err(UsageError::NotAwaiting(id)),
        };
        if matches {
            self.accept(id)
        } else {
            self.reject(id)
        }
    }

    /// Answers [`Event::AuthSecret`](super::Event::AuthSecret) with the
    /// user's stored secret, or `None` for an unknown user (the exchange
    /// then fails at the same point as with a wrong password, so the client
    /// cannot tell them apart). The exchange goes on: a challenge, or
    /// [`Event::Auth`](super::Event::Auth) with verified evidence, or a
    /// failed authentication.
    pub fn provide_secret(
        &mut self,
        id: CommandId,
        secret: Option<StoredSecret>,
    ) -> Result<(), UsageError> {
        match &self.phase {
            Phase::Awaiting(Pending {
                id: pending,
                kind: PendingKind::AuthSecret(_),
            }) if *pending == id => {}
            _ => return Err(UsageError::NotAwaiting(id)),
        }
        let Phase::Awaiting(Pending {
            kind: PendingKind::AuthSecret(mut state),
            ..
        }) = std::mem::replace(&mut self.phase, Phase::Command)
        else {
            return Err(UsageError::NotAwaiting(id));
        };
        let step = state.exchange.provide_secret(secret);
        self.auth_step(state, step);
        self.resume();
        Ok(())
    }

    /// Answers [`Event::Auth`](super::Event::Auth) for XOAUTH2 or
    /// OAUTHBEARER with a rejected token: the JSON error report goes to the
    /// client as a challenge (RFC 7628 §3.2.2), the client answers it with
    /// a dummy response, and the authentication fails. For other
    /// mechanisms this is [`reject`](Self::reject).
    pub fn reject_token(&mut self, id: CommandId, error_json: &[u8]) -> Result<(), UsageError> {
        let challenge = match &mut self.phase {
            Phase::Awaiting(Pending {
                id: pending,
                kind: PendingKind::Auth { exchange, .. },
            }) if *pending == id => match exchange.exchange.reject_token(error_json) {
                Ok(ServerStep::Challenge(challenge)) => Some(challenge),
                _ => None,
            },
            _ => return Err(UsageError::NotAwaiting(id)),
        };
        let Some(challenge) = challenge else {
            return self.reject(id);
        };
        let Phase::Awaiting(Pending {
            kind: PendingKind::Auth { exchange, .. },
            ..
        }) = std::mem::replace(&mut self.phase, Phase::Command)
        else {
            return Err(UsageError::NotAwaiting(id));
        };
        self.auth_step(exchange, Ok(ServerStep::Challenge(challenge)));
        self.resume();
        Ok(())
    }

    /// Streams a piece of the content of [`Event::Retrieve`](super::Event::Retrieve).
    ///
    /// The first call writes the `+OK`; each call dot-stuffs `chunk` (bare
    /// CR and LF become CRLF, RFC 1939 §3) and hands it out as one
    /// [`Transmit::Data`] at once. For TOP, the machine keeps the header
    /// and the asked-for body lines and returns [`MessageFlow::Done`] once
    /// it has them.
    pub fn message_data(&mut self, id: CommandId, chunk: &[u8]) -> Result<MessageFlow, UsageError> {
        self.start_sending(id)?;
        let Phase::Sending(sending) = &mut self.phase else {
            return Err(UsageError::NotAwaiting(id));
        };
        if sending.top.as_ref().is_some_and(TopCut::is_done) {
            return Ok(MessageFlow::Done);
        }
        let mut out = BytesMut::new();
        sending.stuffer.stuff(chunk, &mut out);
        let flow = match sending.top.as_mut() {
            Some(top) => {
                let keep = top.keep(&out);
                out.truncate(keep);
                if top.is_done() {
                    MessageFlow::Done
                } else {
                    MessageFlow::Continue
                }
            }
            None => MessageFlow::Continue,
        };
        self.flush();
        if !out.is_empty() {
            self.transmits.push_back(Transmit::Data(out.freeze()));
        }
        Ok(flow)
    }

    /// Ends the content of [`Event::Retrieve`](super::Event::Retrieve): a
    /// CRLF if the content did not end with one, then the terminating `.`
    /// line. The machine then reads the next command.
    pub fn message_end(&mut self, id: CommandId) -> Result<(), UsageError> {
        self.start_sending(id)?;
        let Phase::Sending(mut sending) = std::mem::replace(&mut self.phase, Phase::Command) else {
            return Err(UsageError::NotAwaiting(id));
        };
        if sending.top.as_ref().is_some_and(TopCut::is_done) {
            self.end_multiline();
        } else {
            sending.stuffer.finish(&mut self.out);
        }
        self.resume();
        Ok(())
    }

    /// Gives up on the content of [`Event::Retrieve`](super::Event::Retrieve)
    /// after data was sent (the message could not be read): a multi-line
    /// answer cannot be taken back, so the connection closes. Nothing is
    /// deleted.
    pub fn abort_message(&mut self, id: CommandId) -> Result<(), UsageError> {
        if self.awaiting() != Some(id) {
            return Err(UsageError::NotAwaiting(id));
        }
        self.disconnect();
        Ok(())
    }

    /// Moves a Retrieve that is awaited to Sending, writing the `+OK`.
    fn start_sending(&mut self, id: CommandId) -> Result<(), UsageError> {
        match &self.phase {
            Phase::Sending(sending) if sending.id == id => return Ok(()),
            Phase::Awaiting(Pending {
                id: pending,
                kind: PendingKind::Retrieve { .. },
            }) if *pending == id => {}
            _ => return Err(UsageError::NotAwaiting(id)),
        }
        let Phase::Awaiting(Pending {
            kind: PendingKind::Retrieve { size, top },
            ..
        }) = std::mem::replace(&mut self.phase, Phase::Command)
        else {
            return Err(UsageError::NotAwaiting(id));
        };
        match top {
            None => self.ok(&format!("{size} octets")),
            Some(_) => self.ok("top of message follows"),
        }
        self.phase = Phase::Sending(Sending {
            id,
            stuffer: DotStuffer::new(),
            top: top.map(TopCut::new),
        });
        Ok(())
    }

    /// Applies an answer.
    fn answer(&mut self, id: CommandId, answer: Answer) -> Result<(), UsageError> {
        let kind = match &self.phase {
            Phase::Awaiting(pending) if pending.id == id => &pending.kind,
            Phase::Sending(sending) if sending.id == id => return Err(UsageError::WrongAnswer(id)),
            _ => return Err(UsageError::NotAwaiting(id)),
        };
        let accept = matches!(answer, Answer::Accept);
        if accept
            && matches!(
                kind,
                PendingKind::OpenMaildrop { .. }
                    | PendingKind::Retrieve { .. }
                    | PendingKind::AuthSecret(_)
            )
        {
            return Err(UsageError::WrongAnswer(id));
        }
        let Phase::Awaiting(pending) = std::mem::replace(&mut self.phase, Phase::Command) else {
            return Err(UsageError::NotAwaiting(id));
        };
        let custom = match answer {
            Answer::Refuse(response) => response,
            Answer::Accept => None,
        };
        match pending.kind {
            PendingKind::StartTls if accept => self.start_tls("Begin TLS negotiation"),
            PendingKind::StartTls => {
                self.refusal(custom, None, "TLS not available");
                self.resume();
            }
            PendingKind::Login { username }
            | PendingKind::Apop { username, .. }
            | PendingKind::Auth { username, .. }
                if accept =>
            {
                self.events.push_back(super::Event::OpenMaildrop {
                    id,
                    username: username.clone(),
                });
                self.phase = Phase::Awaiting(Pending {
                    id,
                    kind: PendingKind::OpenMaildrop { username },
                });
                self.flush();
            }
            PendingKind::Login { .. }
            | PendingKind::Apop { .. }
            | PendingKind::Auth { .. }
            | PendingKind::AuthSecret(_) => {
                match custom {
                    Some(response) => {
                        let code = response.code().map(|c| c.as_str().to_owned());
                        self.auth_failed(code.as_deref(), response.text());
                    }
                    None => self.auth_failed(Some("AUTH"), "authentication failed"),
                }
                self.resume();
            }
            PendingKind::OpenMaildrop { .. } => {
                self.refusal(custom, Some("IN-USE"), "unable to lock maildrop");
                self.resume();
            }
            PendingKind::Retrieve { .. } => {
                self.refusal(custom, Some("SYS/TEMP"), "unable to read message");
                self.resume();
            }
            PendingKind::Update if accept => {
                self.sign_off();
                self.close();
            }
            PendingKind::Update => {
                self.refusal(
                    custom,
                    Some("SYS/TEMP"),
                    "some deleted messages not removed",
                );
                self.close();
            }
        }
        Ok(())
    }

    /// `reply` with a `+OK`.
    fn answer_ok(&mut self, id: CommandId, response: Response) -> Result<(), UsageError> {
        match &self.phase {
            Phase::Awaiting(Pending {
                id: pending,
                kind: PendingKind::StartTls | PendingKind::Update,
            }) if *pending == id => {}
            Phase::Awaiting(pending) if pending.id == id => {
                return Err(UsageError::WrongAnswer(id));
            }
            Phase::Sending(sending) if sending.id == id => return Err(UsageError::WrongAnswer(id)),
            _ => return Err(UsageError::NotAwaiting(id)),
        }
        let Phase::Awaiting(pending) = std::mem::replace(&mut self.phase, Phase::Command) else {
            return Err(UsageError::NotAwaiting(id));
        };
        if let PendingKind::StartTls = pending.kind {
            let mut out = BytesMut::new();
            response.encode(&mut out);
            self.start_tls_with(out);
        } else {
            response.encode(&mut self.out);
            self.close();
        }
        Ok(())
    }

    fn start_tls(&mut self, text: &str) {
        let mut out = BytesMut::new();
        out.extend_from_slice(b"+OK ");
        out.extend_from_slice(text.as_bytes());
        out.extend_from_slice(b"\r\n");
        self.start_tls_with(out);
    }

    /// Writes the `+OK` to STLS and hands over to the driver, unless input
    /// arrived behind the STLS line meanwhile (SECURITY.md S01).
    fn start_tls_with(&mut self, ok_line: BytesMut) {
        if !self.framer.is_empty() {
            self.stls_injection();
            return;
        }
        self.out.extend_from_slice(&ok_line);
        self.flush();
        self.transmits.push_back(Transmit::StartTls);
        self.phase = Phase::TlsPending;
    }

    /// Writes a refusal: the application's response, or the standard one.
    fn refusal(&mut self, custom: Option<Response>, code: Option<&str>, text: &str) {
        match custom {
            Some(response) => response.encode(&mut self.out),
            None => self.err(code, text),
        }
    }

    /// After an answer: the wait for the next command starts now (the
    /// latest time the machine was given), and buffered input is read.
    fn resume(&mut self) {
        self.last_input = self.now;
        self.process();
    }
}

/// How the application answered.
enum Answer {
    Accept,
    /// With the application's `-ERR`, or `None` for the standard one.
    Refuse(Option<Response>),
}
