//! [`Pop3Client`]: one POP3 session over a stream the application opened.

use std::sync::Arc;
use std::time::Instant;

use futures_io::{AsyncRead, AsyncWrite};
use postwire_core::{CommandId, Secret, TlsInfo};
use postwire_io::{Clock, Connection};
use postwire_pop3_proto::client::{Client, ClientConfig, Event, TlsPolicy, UsageError};
use postwire_pop3_proto::{
    Capabilities, Language, LanguageRange, MessageNumber, Response, ScanListing, Stat, Timestamp,
    UidListing,
};
use postwire_sasl::client::{ClientMechanism, Credentials};

use super::error::Error;
use super::options::{ClientOptions, Tls};
use super::reader::MessageReader;
use crate::Pop3Redactor;

/// A POP3 client session: greeting, CAPA and STLS done by
/// [`connect`](Self::connect), then a login, the TRANSACTION commands and
/// [`quit`](Self::quit).
///
/// Message numbers are the `u32`s of the listings ([`ScanListing::msg`],
/// `msg.get()`); 0 is a [`Error::Usage`] error.
///
/// # Deletion
///
/// [`dele`](Self::dele) only marks a message; the server removes the marked
/// messages when it gets QUIT (RFC 1939 §6, the UPDATE state). A session
/// that ends any other way (an error, a dropped client, a timeout) deletes
/// nothing.
///
/// # Cancellation
///
/// Every operation keeps its state in this struct. If an operation's future
/// is dropped before it completes (a timeout around `stat`, a `select!`),
/// the command may still be answered later, so the client marks itself
/// poisoned ([`is_poisoned`](Self::is_poisoned)) and every later operation
/// fails with [`Error::Poisoned`]: drop it and connect again. Reading a
/// message is the exception: [`MessageReader::next_chunk`] and its
/// `AsyncRead` lose nothing when dropped, and a message left unread (a
/// reader dropped early) is read to its end and discarded by the next
/// operation, since POP3 cannot abort a RETR.
pub struct Pop3Client<IO> {
    pub(super) conn: Connection<Client, IO>,
    clock: Arc<dyn Clock>,
    /// The operation running, set on entry and cleared on completion: still
    /// set when an operation's future was dropped.
    busy: Option<&'static str>,
    pub(super) failed: bool,
    quit: bool,
    /// A RETR or TOP whose content has not been read to its end.
    pub(super) unread: Option<CommandId>,
    greeting: Option<Response>,
    capabilities: Capabilities,
}

impl<IO> std::fmt::Debug for Pop3Client<IO> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pop3Client")
            .field("busy", &self.busy)
            .field("failed", &self.failed)
            .field("quit", &self.quit)
            .field("unread", &self.unread)
            .field("connection", &self.conn)
            .finish_non_exhaustive()
    }
}

/// Message number `n`, or a usage error for 0.
fn number(n: u32) -> Result<MessageNumber, Error> {
    MessageNumber::new(n).ok_or(Error::Usage(UsageError::InvalidArgument))
}

impl<IO> Pop3Client<IO>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    /// Runs the opening of a session on `io`, a stream the application
    /// connected (`futures-io` has no sockets; with tokio use
    /// `TcpStream::connect(..).await?.compat()`): the greeting (RFC 1939
    /// §4), CAPA (RFC 2449 §5), then per [`Tls`] STLS, the handshake and
    /// CAPA again (RFC 2595 §4: what was learnt before TLS is forgotten).
    ///
    /// Fails with [`Error::Connection`] when STLS is required but not
    /// offered or refused (SECURITY.md C01, C02), the certificate does not
    /// verify (C13), the greeting is `-ERR` (C14) or bytes follow the `+OK`
    /// to STLS (C07). A server that does not know CAPA is fine: the
    /// capabilities are then empty.
    pub async fn connect(io: IO, options: ClientOptions) -> Result<Self, Error> {
        let ClientOptions {
            tls,
            allow_plaintext_auth,
            timeouts,
            limits,
            sasl,
            io: io_config,
            clock,
            transcript,
        } = options;
        let mut config = ClientConfig::default();
        config.allow_plaintext_auth = allow_plaintext_auth;
        config.timeouts = timeouts;
        config.limits = limits;
        config.sasl_options = sasl;
        let now = clock.now();
        let shared = clock.clone();
        match &tls {
            Tls::None => config.tls = TlsPolicy::Disabled,
            Tls::StartTls(_) => config.tls = TlsPolicy::Required,
            Tls::StartTlsOpportunistic(_) => config.tls = TlsPolicy::Opportunistic,
            Tls::Implicit(_) => {
                config.tls = TlsPolicy::Required;
                config.implicit_tls = true;
            }
        }
        let mut conn = Connection::new_client(io, Client::new(now, config), shared, &tls)?
            .with_config(io_config);
        if let Some(sink) = transcript {
            conn.set_transcript(sink, Pop3Redactor::for_client());
        }
        let mut client = Self {
            conn,
            clock,
            busy: Some("connect"),
            failed: false,
            quit: false,
            unread: None,
            greeting: None,
            capabilities: Capabilities::default(),
        };
        let wants_stls = matches!(tls, Tls::StartTls(_) | Tls::StartTlsOpportunistic(_));
        let result = client.open(wants_stls).await;
        client.end(result).map(|()| client)
    }

    async fn open(&mut self, wants_stls: bool) -> Result<(), Error> {
        // The greeting (after TlsEstablished on an implicit-TLS connection).
        let greeting = loop {
            match self.event().await? {
                Event::Greeting { response, .. } => break response,
                Event::TlsEstablished { .. } => {}
                _ => return Err(Error::UnexpectedEvent("awaiting the greeting")),
            }
        };
        self.greeting = Some(greeting);
        let known = self.capa().await?;
        if !wants_stls || self.conn.protocol().is_tls() {
            return Ok(());
        }
        // Under the required policy the machine already failed the session
        // if CAPA did not offer STLS (SECURITY.md C01). A server without
        // CAPA gets STLS tried anyway.
        if known && !self.capabilities.stls {
            return Ok(());
        }
        let now = self.clock.now();
        let id = self.conn.protocol_mut().stls(now)?;
        match self.event().await? {
            Event::TlsEstablished { .. } => {
                self.capa().await?;
                Ok(())
            }
            // Opportunistic: refused, go on in plaintext.
            Event::Refused { id: i, .. } if i == id => Ok(()),
            _ => Err(Error::UnexpectedEvent("awaiting the STLS answer")),
        }
    }

    /// CAPA; whether the server answered it (`-ERR`: capabilities unknown).
    async fn capa(&mut self) -> Result<bool, Error> {
        let now = self.clock.now();
        let id = self.conn.protocol_mut().capa(now)?;
        match self.answer(id, "awaiting the CAPA answer").await? {
            Event::Capabilities { capabilities, .. } => {
                self.capabilities = capabilities;
                Ok(true)
            }
            Event::Refused { .. } => {
                self.capabilities = Capabilities::default();
                Ok(false)
            }
            _ => Err(Error::UnexpectedEvent("awaiting the CAPA answer")),
        }
    }

    /// The next event; the end of the connection is an error here.
    async fn event(&mut self) -> Result<Event, Error> {
        match self.conn.next_event().await? {
            Some(Event::Closed) | None => Err(Error::ConnectionClosed),
            Some(event) => Ok(event),
        }
    }

    /// The next event, which must answer `id`.
    async fn answer(&mut self, id: CommandId, what: &'static str) -> Result<Event, Error> {
        let event = self.event().await?;
        if event.id() == Some(id) {
            Ok(event)
        } else {
            Err(Error::UnexpectedEvent(what))
        }
    }

    /// Refuses an operation when the client cannot go on, else marks it as
    /// running.
    fn begin(&mut self, operation: &'static str) -> Result<(), Error> {
        if self.is_poisoned() {
            return Err(Error::Poisoned);
        }
        if self.failed || self.quit || self.conn.is_closed() {
            return Err(Error::Closed);
        }
        self.busy = Some(operation);
        Ok(())
    }

    /// Reads the rest of a message whose reader was dropped early, then
    /// gives the current time for the next command.
    async fn ready(&mut self) -> Result<Instant, Error> {
        while let Some(id) = self.unread {
            match self.event().await? {
                Event::MessageData { id: i, .. } if i == id => {}
                Event::MessageEnd { id: i } if i == id => self.unread = None,
                _ => return Err(Error::UnexpectedEvent("reading the rest of a message")),
            }
        }
        Ok(self.clock.now())
    }

    /// Marks the operation finished, and the client failed after a fatal
    /// error.
    fn end<T>(&mut self, result: Result<T, Error>) -> Result<T, Error> {
        self.busy = None;
        if let Err(error) = &result
            && error.is_fatal()
        {
            self.failed = true;
        }
        result
    }

    /// The common shape of a login: a verb, then `Authenticated` or
    /// `AuthFailed`.
    async fn login_with(
        &mut self,
        verb: impl FnOnce(&mut Client, Instant) -> Result<CommandId, UsageError>,
    ) -> Result<Response, Error> {
        self.begin("login")?;
        let result = async {
            let now = self.ready().await?;
            let id = verb(self.conn.protocol_mut(), now)?;
            match self.answer(id, "awaiting the login answer").await? {
                Event::Authenticated { response, .. } => Ok(response),
                Event::AuthFailed { response, .. } => Err(Error::AuthFailed(response)),
                _ => Err(Error::UnexpectedEvent("awaiting the login answer")),
            }
        }
        .await;
        self.end(result)
    }

    /// Logs in with USER and PASS (RFC 1939 §7) and returns the server's
    /// `+OK` (often with the maildrop's size).
    ///
    /// Refused with [`Error::Usage`] before anything is sent when TLS is
    /// not active, unless [`ClientOptions::allow_plaintext_auth`]
    /// (SECURITY.md A1); `-ERR` to USER or PASS is [`Error::AuthFailed`].
    pub async fn login(
        &mut self,
        user: &str,
        password: impl Into<Secret<String>>,
    ) -> Result<Response, Error> {
        let password = password.into();
        self.login_with(|client, now| client.login(now, user, password))
            .await
    }

    /// Logs in with APOP (RFC 1939 §7): only the MD5 digest of the
    /// greeting's timestamp and `secret` is sent. Needs a timestamp in the
    /// greeting ([`timestamp`](Self::timestamp)) and, like a password, TLS
    /// unless allowed (the digest allows an offline dictionary attack).
    pub async fn apop(&mut self, user: &str, secret: &str) -> Result<Response, Error> {
        self.login_with(|client, now| client.apop(now, user, secret))
            .await
    }

    /// Logs in with SASL AUTH (RFC 5034), choosing the strongest mechanism
    /// that both the server's CAPA answer (after TLS) and `credentials`
    /// allow: SCRAM-SHA-256-PLUS with the TLS channel binding, then
    /// SCRAM-SHA-256, OAUTHBEARER, XOAUTH2, PLAIN, LOGIN
    /// ([`postwire_sasl::select`]). Never falls back after a failure
    /// (SECURITY.md A3).
    pub async fn authenticate(&mut self, credentials: &Credentials) -> Result<Response, Error> {
        self.login_with(|client, now| client.auth_with(now, credentials))
            .await
    }

    /// Logs in with SASL AUTH (RFC 5034) and this prepared mechanism
    /// (the server must offer it); the TLS channel binding is filled in.
    pub async fn authenticate_with(
        &mut self,
        mechanism: ClientMechanism,
    ) -> Result<Response, Error> {
        self.login_with(|client, now| client.auth(now, mechanism))
            .await
    }

    /// A TRANSACTION command answered by one event.
    async fn simple(
        &mut self,
        operation: &'static str,
        verb: impl FnOnce(&mut Client, Instant) -> Result<CommandId, UsageError>,
    ) -> Result<Event, Error> {
        self.begin(operation)?;
        let result = async {
            let now = self.ready().await?;
            let id = verb(self.conn.protocol_mut(), now)?;
            match self.answer(id, operation).await? {
                Event::Refused { response, .. } => Err(Error::Refused(response)),
                event => Ok(event),
            }
        }
        .await;
        self.end(result)
    }

    /// STAT (RFC 1939 §5): the number of messages and their total size,
    /// messages marked deleted left out.
    pub async fn stat(&mut self) -> Result<Stat, Error> {
        match self.simple("STAT", |c, now| c.stat(now)).await? {
            Event::Stat { stat, .. } => Ok(stat),
            _ => self.unexpected("awaiting the STAT answer"),
        }
    }

    /// LIST (RFC 1939 §5): the number and size of every message not marked
    /// deleted.
    pub async fn list(&mut self) -> Result<Vec<ScanListing>, Error> {
        match self.simple("LIST", |c, now| c.list(now, None)).await? {
            Event::List { entries, .. } => Ok(entries),
            _ => self.unexpected("awaiting the LIST answer"),
        }
    }

    /// LIST for message `n` (RFC 1939 §5); `-ERR` for a message that does
    /// not exist or is marked deleted.
    pub async fn list_one(&mut self, n: u32) -> Result<ScanListing, Error> {
        let msg = number(n)?;
        match self.simple("LIST", |c, now| c.list(now, Some(msg))).await? {
            Event::List { mut entries, .. } if entries.len() == 1 => Ok(entries.remove(0)),
            _ => self.unexpected("awaiting the LIST answer"),
        }
    }

    /// UIDL (RFC 1939 §7): the unique-id of every message not marked
    /// deleted, stable across sessions.
    pub async fn uidl(&mut self) -> Result<Vec<UidListing>, Error> {
        match self.simple("UIDL", |c, now| c.uidl(now, None)).await? {
            Event::Uidl { entries, .. } => Ok(entries),
            _ => self.unexpected("awaiting the UIDL answer"),
        }
    }

    /// UIDL for message `n` (RFC 1939 §7).
    pub async fn uidl_one(&mut self, n: u32) -> Result<UidListing, Error> {
        let msg = number(n)?;
        match self.simple("UIDL", |c, now| c.uidl(now, Some(msg))).await? {
            Event::Uidl { mut entries, .. } if entries.len() == 1 => Ok(entries.remove(0)),
            _ => self.unexpected("awaiting the UIDL answer"),
        }
    }

    /// RETR (RFC 1939 §5): message `n` as a stream of chunks, dot-unstuffed
    /// with CRLF line endings, never held whole (memory stays near the
    /// driver's read buffer, whatever the size). Read it with
    /// [`MessageReader::next_chunk`] or as a `futures-io` `AsyncRead`.
    pub async fn retr(&mut self, n: u32) -> Result<MessageReader<'_, IO>, Error> {
        let msg = number(n)?;
        self.message("RETR", |c, now| c.retr(now, msg)).await
    }

    /// RETR of message `n` into memory: for messages known to be small.
    pub async fn retr_to_vec(&mut self, n: u32) -> Result<Vec<u8>, Error> {
        self.retr(n).await?.to_vec().await
    }

    /// TOP (RFC 1939 §7): the header of message `n`, the empty line and the
    /// first `lines` lines of its body, streamed like [`retr`](Self::retr).
    pub async fn top(&mut self, n: u32, lines: u32) -> Result<MessageReader<'_, IO>, Error> {
        let msg = number(n)?;
        self.message("TOP", |c, now| c.top(now, msg, lines)).await
    }

    /// TOP into memory.
    pub async fn top_to_vec(&mut self, n: u32, lines: u32) -> Result<Vec<u8>, Error> {
        self.top(n, lines).await?.to_vec().await
    }

    async fn message(
        &mut self,
        operation: &'static str,
        verb: impl FnOnce(&mut Client, Instant) -> Result<CommandId, UsageError>,
    ) -> Result<MessageReader<'_, IO>, Error> {
        let (id, response) = match self.simple(operation, verb).await? {
            Event::MessageStart { id, response } => (id, response),
            _ => return self.unexpected("awaiting the message"),
        };
        self.unread = Some(id);
        Ok(MessageReader::new(self, id, response))
    }

    /// DELE (RFC 1939 §5): marks message `n` deleted. The server removes it
    /// only at [`quit`](Self::quit); [`rset`](Self::rset) unmarks it.
    pub async fn dele(&mut self, n: u32) -> Result<Response, Error> {
        let msg = number(n)?;
        self.ok("DELE", |c, now| c.dele(now, msg)).await
    }

    /// NOOP (RFC 1939 §5): keeps the session alive, probes the server.
    pub async fn noop(&mut self) -> Result<Response, Error> {
        self.ok("NOOP", |c, now| c.noop(now)).await
    }

    /// LANG (RFC 6856 §3): the languages the server's response text comes
    /// in, before or after login. [`Error::Refused`] from a server without
    /// LANG (see [`Capabilities::lang`]).
    pub async fn languages(&mut self) -> Result<Vec<Language>, Error> {
        match self.simple("LANG", |c, now| c.lang(now, None)).await? {
            Event::Languages { languages, .. } => Ok(languages),
            _ => self.unexpected("awaiting the LANG listing"),
        }
    }

    /// LANG with a language range (RFC 6856 §3, RFC 4647: `fr`, `en-US`,
    /// `*`): the server switches its response text to the best match and
    /// names it in the `+OK` text; [`Error::Refused`] when it has none. A
    /// malformed range is [`UsageError::InvalidArgument`].
    pub async fn set_language(&mut self, range: &str) -> Result<Response, Error> {
        let range =
            LanguageRange::new(range).map_err(|_| Error::Usage(UsageError::InvalidArgument))?;
        self.ok("LANG", |c, now| c.lang(now, Some(range))).await
    }

    /// RSET (RFC 1939 §5): unmarks every message marked deleted.
    pub async fn rset(&mut self) -> Result<Response, Error> {
        self.ok("RSET", |c, now| c.rset(now)).await
    }

    async fn ok(
        &mut self,
        operation: &'static str,
        verb: impl FnOnce(&mut Client, Instant) -> Result<CommandId, UsageError>,
    ) -> Result<Response, Error> {
        match self.simple(operation, verb).await? {
            Event::Ok { response, .. } => Ok(response),
            _ => self.unexpected("awaiting +OK"),
        }
    }

    /// QUIT (RFC 1939 §6): in the TRANSACTION state the server now removes
    /// the messages marked with [`dele`](Self::dele) and answers `+OK`;
    /// `-ERR` ([`Error::Refused`], usually `[SYS/TEMP]`) means some could
    /// not be removed. Then the stream is closed (TLS close_notify
    /// included) and the client with it, whatever the answer. A server that
    /// closes without answering gives [`Error::ConnectionClosed`]: whether
    /// it deleted is unknown.
    pub async fn quit(&mut self) -> Result<Response, Error> {
        self.begin("quit")?;
        let result = async {
            let now = self.ready().await?;
            let id = self.conn.protocol_mut().quit(now)?;
            let mut answer = None;
            loop {
                match self.conn.next_event().await? {
                    Some(Event::Ok { id: i, response }) if i == id => answer = Some(Ok(response)),
                    Some(Event::Refused { id: i, response }) if i == id => {
                        answer = Some(Err(Error::Refused(response)));
                    }
                    Some(Event::Closed) | None => break,
                    Some(_) => return Err(Error::UnexpectedEvent("awaiting the QUIT answer")),
                }
            }
            self.conn.close().await?;
            answer.unwrap_or(Err(Error::ConnectionClosed))
        }
        .await;
        self.quit = true;
        self.end(result)
    }

    /// An event that does not fit: the client is given up.
    fn unexpected<T>(&mut self, what: &'static str) -> Result<T, Error> {
        self.failed = true;
        Err(Error::UnexpectedEvent(what))
    }

    /// Whether an operation's future was dropped before it completed (or
    /// the driver holds half-written output from one): the client refuses
    /// every further operation with [`Error::Poisoned`].
    pub fn is_poisoned(&self) -> bool {
        self.busy.is_some() || self.conn.is_poisoned()
    }

    /// Whether the client can take another operation: not poisoned, not
    /// failed, not closed. A server that closed an idle connection is only
    /// noticed by the next command ([`noop`](Self::noop)).
    pub fn is_usable(&self) -> bool {
        !self.is_poisoned() && !self.failed && !self.quit && !self.conn.is_closed()
    }

    /// The server's `+OK` greeting (always there once `connect` returned).
    pub fn greeting(&self) -> Option<&Response> {
        self.greeting.as_ref()
    }

    /// The APOP timestamp of the greeting, if the server offers APOP
    /// (RFC 1939 §7).
    pub fn timestamp(&self) -> Option<&Timestamp> {
        self.conn.protocol().timestamp()
    }

    /// What the server's last CAPA answer advertised (after TLS when TLS is
    /// up; empty when the server does not know CAPA).
    pub fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    /// Whether TLS is up (STLS or implicit).
    pub fn is_tls(&self) -> bool {
        self.conn.protocol().is_tls()
    }

    /// What the TLS handshake established: version, cipher suite, the
    /// server's certificates, channel-binding data.
    pub fn tls_info(&self) -> Option<&TlsInfo> {
        self.conn.tls_info()
    }

    /// Whether a login succeeded (the TRANSACTION state).
    pub fn is_authenticated(&self) -> bool {
        self.conn.protocol().is_authenticated()
    }

    /// The clock the client was built with.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The driver, to read its counters (`stats`, `buffered_output`).
    pub fn connection(&self) -> &Connection<Client, IO> {
        &self.conn
    }
}
