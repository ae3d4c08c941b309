//! The application's answers: `accept`, `reject`, `reply`, `reply_lmtp`,
//! and what each does to the session.

use postwire_core::{CommandId, Transmit};
use postwire_sasl::Mechanism;
use postwire_sasl::server::{ServerStep, StoredSecret};

use super::replies;
use super::{HeloKind, PendingKind, Phase, Server, Transaction, UsageError, body};
use crate::Reply;

/// How the application answered.
enum Answer {
    Accept,
    Reject,
    Reply(Reply),
    Lmtp(Vec<Reply>),
}

impl Server {
    /// Answers a command with the reply a permissive server gives (see
    /// each [`Event`](super::Event) variant). In LMTP mode, the end of the data gets one
    /// `250` per accepted recipient.
    pub fn accept(&mut self, id: CommandId) -> Result<(), UsageError> {
        self.answer(id, Answer::Accept)
    }

    /// Answers a command with a standard refusal (see each [`Event`](super::Event)
    /// variant; `5xx`).
    pub fn reject(&mut self, id: CommandId) -> Result<(), UsageError> {
        self.answer(id, Answer::Reject)
    }

    /// Answers a command with any reply. A `2xx` counts as success (the
    /// sender, recipient, STARTTLS, AUTH is accepted); DATA takes a `354`
    /// (`3xx`) for success and refuses `2xx`; other commands refuse `3xx`.
    /// In LMTP mode, the reply to the end of data is repeated for every
    /// recipient.
    pub fn reply(&mut self, id: CommandId, reply: Reply) -> Result<(), UsageError> {
        self.answer(id, Answer::Reply(reply))
    }

    /// Answers the end of the data in LMTP mode with one reply per accepted
    /// recipient, in RCPT order (RFC 2033 §4.2).
    pub fn reply_lmtp(&mut self, id: CommandId, replies: Vec<Reply>) -> Result<(), UsageError> {
        self.answer(id, Answer::Lmtp(replies))
    }

    /// Answers [`Event::NeedSecret`](super::Event::NeedSecret) with the
    /// user's stored secret, or `None` for an unknown user.
    ///
    /// SCRAM then sends its next challenge; CRAM-MD5 checks the digest and
    /// reports [`Event::Auth`](super::Event::Auth) with verified evidence.
    /// A wrong proof, an unknown user or a secret of the wrong kind
    /// (`SecretRequest::kind`) ends the exchange with `535 5.7.8`, counted
    /// towards [`Limits::max_auth_failures`](super::Limits::max_auth_failures)
    /// and held back by
    /// [`Timeouts::auth_failure_delay`](super::Timeouts::auth_failure_delay).
    pub fn provide_secret(
        &mut self,
        id: CommandId,
        secret: Option<StoredSecret>,
    ) -> Result<(), UsageError> {
        let Phase::AuthSecret(state) = &self.phase else {
            return Err(UsageError::NotAwaiting(id));
        };
        if state.id() != id {
            return Err(UsageError::NotAwaiting(id));
        }
        let Phase::AuthSecret(mut state) = std::mem::replace(&mut self.phase, Phase::Command)
        else {
            return Err(UsageError::NotAwaiting(id));
        };
        self.last_input = self.now;
        let step = state.exchange_mut().provide_secret(secret);
        self.auth_step(state, step);
        self.process();
        Ok(())
    }

    /// Refuses the bearer token of an XOAUTH2 or OAUTHBEARER
    /// [`Event::Auth`](super::Event::Auth) and tells the client why: `334`
    /// with `error_json` (RFC 7628 §3.2.2, for example
    /// `{"status":"invalid_token"}`), which the client acknowledges with a
    /// dummy response; then `535 5.7.8`, counted like any failed AUTH.
    /// [`UsageError::NotTokenAuth`] for other commands and mechanisms.
    pub fn reject_token(&mut self, id: CommandId, error_json: &[u8]) -> Result<(), UsageError> {
        let awaiting_auth = matches!(
            &self.phase,
            Phase::Awaiting(pending) if pending.id == id && pending.kind == PendingKind::Auth
        );
        let token = self.auth_done.as_ref().is_some_and(|state| {
            state.id() == id
                && matches!(
                    state.mechanism(),
                    Mechanism::XOAuth2 | Mechanism::OAuthBearer
                )
        });
        if !(awaiting_auth && token) {
            return Err(UsageError::NotTokenAuth(id));
        }
        let Some(mut state) = self.auth_done.take() else {
            return Err(UsageError::NotTokenAuth(id));
        };
        let Ok(ServerStep::Challenge(challenge)) = state.exchange_mut().reject_token(error_json)
        else {
            return Err(UsageError::NotTokenAuth(id));
        };
        self.last_input = self.now;
        self.write_challenge(state, &challenge);
        self.process();
        Ok(())
    }

    /// A `reject` or refusing `reply` to a pending secret request: the
    /// exchange ends with that reply (`535 5.7.8` for `reject`).
    fn answer_secret_request(&mut self, id: CommandId, answer: Answer) -> Result<(), UsageError> {
        let refusal = match &answer {
            Answer::Accept => false,
            Answer::Reject => true,
            Answer::Reply(reply) => {
                if reply.code().is_intermediate() {
                    return Err(UsageError::ReplyCode(reply.code().get()));
                }
                !reply.code().is_positive()
            }
            Answer::Lmtp(_) => return Err(UsageError::NotLmtpData),
        };
        if !refusal {
            return Err(UsageError::SecretExpected(id));
        }
        self.phase = Phase::Command;
        self.last_input = self.now;
        // Counted and delayed as a failed AUTH.
        self.finish_command(PendingKind::Auth, false, answer);
        self.process();
        Ok(())
    }

    fn answer(&mut self, id: CommandId, answer: Answer) -> Result<(), UsageError> {
        if matches!(&self.phase, Phase::AuthSecret(state) if state.id() == id) {
            return self.answer_secret_request(id, answer);
        }
        let Phase::Awaiting(pending) = &self.phase else {
            return Err(UsageError::NotAwaiting(id));
        };
        if pending.id != id {
            return Err(UsageError::NotAwaiting(id));
        }
        let kind = pending.kind;
        match (&answer, kind) {
            (Answer::Lmtp(_), PendingKind::DataEnd { .. }) if !self.config.lmtp => {
                return Err(UsageError::NotLmtpData);
            }
            (Answer::Lmtp(replies), PendingKind::DataEnd { recipients }) => {
                if replies.len() != recipients {
                    return Err(UsageError::ReplyCount {
                        expected: recipients,
                        got: replies.len(),
                    });
                }
                if let Some(bad) = replies.iter().find(|r| r.code().is_intermediate()) {
                    return Err(UsageError::ReplyCode(bad.code().get()));
                }
            }
            (Answer::Lmtp(_), _) => return Err(UsageError::NotLmtpData),
            (Answer::Reply(reply), PendingKind::Data) if reply.code().is_positive() => {
                return Err(UsageError::ReplyCode(reply.code().get()));
            }
            (Answer::Reply(reply), kind)
                if kind != PendingKind::Data && reply.code().is_intermediate() =>
            {
                return Err(UsageError::ReplyCode(reply.code().get()));
            }
            _ => {}
        }
        self.phase = Phase::Command;
        // The wait for the next command starts now; this call brings no
        // time, so the latest one the machine was given stands in.
        self.last_input = self.now;
        let positive = match &answer {
            Answer::Accept => true,
            Answer::Reject => false,
            Answer::Reply(reply) => reply.code().is_positive() || reply.code().is_intermediate(),
            Answer::Lmtp(_) => true,
        };
        if kind == PendingKind::Auth {
            self.auth_done = None;
        }
        self.finish_command(kind, positive, answer);
        self.process();
        Ok(())
    }

    /// Writes the answer to a command and applies its effect. A refused
    /// AUTH is a failed authentication: counted and held back
    /// ([`Server::auth_failed`]).
    fn finish_command(&mut self, kind: PendingKind, positive: bool, answer: Answer) {
        use PendingKind as K;
        if kind == K::Auth && !positive {
            // Replies to earlier commands are not held back.
            self.flush();
        }
        let (accept, reject, flush) = match kind {
            K::Helo(_) => (None, replies::REJECT_HELO, true),
            K::Mail { .. } => (Some(replies::SENDER_OK), replies::REJECT_MAIL, false),
            K::Rcpt => (Some(replies::RECIPIENT_OK), replies::REJECT_RCPT, false),
            K::Data => (Some(replies::START_DATA), replies::REJECT_DATA, true),
            K::DataEnd { .. } => (Some(replies::MESSAGE_OK), replies::REJECT_MESSAGE, true),
            K::Auth => (Some(replies::AUTH_OK), replies::AUTH_FAILED, true),
            K::StartTls => (Some(replies::TLS_GO), replies::TLS_REFUSED, true),
            K::Vrfy => (Some(replies::VRFY_DEFAULT), replies::REJECT_ADDRESS, true),
            K::Expn => (Some(replies::EXPN_DEFAULT), replies::REJECT_ADDRESS, true),
            K::Help => (Some(replies::HELP), replies::NOT_IMPLEMENTED, true),
            K::Noop => (Some(replies::OK), replies::OK, true),
            K::Rset => (Some(replies::OK), replies::OK, false),
            K::Quit => (Some(replies::BYE), replies::BYE, true),
        };
        let esc = self.config.extensions.enhanced_status_codes;
        let prefix = matches!(kind, K::Quit).then(|| self.config.hostname.as_str().to_owned());
        let repeat = match kind {
            K::DataEnd { recipients } if self.config.lmtp => recipients.max(1),
            _ => 1,
        };
        match answer {
            Answer::Accept => match (kind, accept) {
                (K::Helo(helo), _) => self.write_helo_reply(helo),
                (_, Some(canned)) => {
                    for _ in 0..repeat {
                        replies::write_canned(&mut self.out, canned, esc, prefix.as_deref());
                    }
                }
                (_, None) => {}
            },
            Answer::Reject => {
                for _ in 0..repeat {
                    replies::write_canned(&mut self.out, reject, esc, prefix.as_deref());
                }
            }
            Answer::Reply(reply) => {
                for _ in 0..repeat {
                    replies::write_reply(&mut self.out, &reply, esc);
                }
            }
            Answer::Lmtp(list) => {
                for reply in &list {
                    replies::write_reply(&mut self.out, reply, esc);
                }
            }
        }
        match kind {
            K::Helo(helo) => self.greeted = positive.then_some(helo),
            K::Mail { smtputf8, body } => {
                if positive {
                    self.txn = Some(Transaction {
                        smtputf8,
                        body,
                        recipients: 0,
                        bdat: None,
                    });
                }
            }
            K::Rcpt => {
                if positive && let Some(txn) = &mut self.txn {
                    txn.recipients += 1;
                }
            }
            K::Data => {
                if positive {
                    self.phase = Phase::Data(body::DataState::new(&self.config));
                }
            }
            K::DataEnd { .. } => self.txn = None,
            K::Auth => {
                self.authenticated = positive;
                if !positive {
                    self.auth_failed();
                    return;
                }
            }
            K::StartTls => {
                if positive {
                    self.flush();
                    // SECURITY.md S01: pipelined plaintext after STARTTLS
                    // never runs, before or after the handshake.
                    self.framer.clear();
                    self.transmits.push_back(Transmit::StartTls);
                    self.phase = Phase::TlsPending;
                    return;
                }
            }
            K::Quit => {
                self.close();
                return;
            }
            K::Vrfy | K::Expn | K::Help | K::Noop | K::Rset => {}
        }
        if flush {
            self.flush();
        }
    }

    fn write_helo_reply(&mut self, kind: HeloKind) {
        let host = self.config.hostname.as_str().to_owned();
        if kind == HeloKind::Helo {
            replies::write_lines(&mut self.out, 250, None, &[host]);
            return;
        }
        let mut lines = vec![host];
        lines.extend(self.capabilities());
        replies::write_lines(&mut self.out, 250, None, &lines);
    }
}
