//! [`SmtpClient`]: one SMTP session over a stream the application opened.

use std::sync::Arc;
use std::time::Instant;

use futures_io::{AsyncRead, AsyncWrite};
use futures_lite::AsyncReadExt;
use postwire_core::TlsInfo;
use postwire_io::{Clock, Connection};
use postwire_smtp_proto::client::{
    BodyInfo, Client, ClientConfig, Envelope as WireEnvelope, EnvelopeResult, Event,
    StartTlsPolicy, UsageError,
};
use postwire_smtp_proto::{Capabilities, ForwardPath, Reply};

use super::error::Error;
use super::options::{ClientOptions, Tls};
use super::report::{RecipientStatus, SendReport};
use crate::SmtpRedactor;

/// An SMTP (or LMTP) client session: greeting, EHLO, STARTTLS and AUTH done
/// by [`connect`](Self::connect), then any number of messages.
///
/// # Cancellation
///
/// Every operation keeps its state in this struct. If an operation's
/// future is dropped before it completes (a timeout around `send`, a
/// `select!`), the session may be half-way through a command or a message,
/// so the client marks itself poisoned ([`is_poisoned`](Self::is_poisoned))
/// and every later operation fails with [`Error::Poisoned`]: it never
/// silently continues a half-sent transaction. Drop it and connect again;
/// the [`Pool`](super::Pool) does so by itself.
pub struct SmtpClient<IO> {
    conn: Connection<Client, IO>,
    clock: Arc<dyn Clock>,
    chunk_size: usize,
    /// How long one body chunk may take to write (RFC 5321 §4.5.3.2.5).
    write_timeout: std::time::Duration,
    /// The operation running, set on entry and cleared on completion: still
    /// set when an operation's future was dropped.
    busy: Option<&'static str>,
    failed: bool,
    quit: bool,
    idle_since: Instant,
    greeting: Option<Reply>,
    capabilities: Capabilities,
}

impl<IO> std::fmt::Debug for SmtpClient<IO> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpClient")
            .field("busy", &self.busy)
            .field("failed", &self.failed)
            .field("quit", &self.quit)
            .field("connection", &self.conn)
            .finish_non_exhaustive()
    }
}

/// How one transaction ended.
enum End {
    Accepted(Reply),
    Failed(Reply),
    Lmtp(Vec<(usize, Reply)>),
}

/// One transaction's envelope result and end.
struct Transaction {
    envelope: Option<EnvelopeResult>,
    end: End,
}

impl<IO> SmtpClient<IO>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    /// Runs the opening of a session on `io`, a stream the application
    /// connected (`futures-io` has no sockets; with tokio use
    /// `TcpStream::connect(..).await?.compat()`): the greeting, EHLO,
    /// STARTTLS and EHLO again (RFC 3207 §4.2) per [`Tls`], then AUTH with
    /// the strongest mechanism both the credentials and the server allow
    /// ([`postwire_sasl::select`]; SCRAM over OAUTHBEARER over PLAIN over
    /// LOGIN, never offered before TLS unless allowed).
    ///
    /// Fails with [`Error::Connection`] when STARTTLS is required but
    /// missing or refused (SECURITY.md C01, C02) or the certificate does
    /// not verify (C13); with [`Error::GreetingRefused`],
    /// [`Error::EhloRefused`], [`Error::AuthFailed`]; with
    /// [`Error::Usage`] when the credentials cannot be used (no common
    /// mechanism, no TLS).
    pub async fn connect(io: IO, options: ClientOptions) -> Result<Self, Error> {
        let ClientOptions {
            tls,
            client_id,
            credentials,
            allow_plaintext_auth,
            use_chunking,
            lmtp,
            timeouts,
            io: io_config,
            chunk_size,
            clock,
            transcript,
        } = options;
        let mut config = ClientConfig::new(client_id);
        config.allow_plaintext_auth = allow_plaintext_auth;
        config.use_chunking = use_chunking;
        config.lmtp = lmtp;
        config.timeouts = timeouts;
        let now = clock.now();
        let shared = clock.clone();
        match &tls {
            Tls::None => config.starttls = StartTlsPolicy::Disabled,
            Tls::StartTls(_) => config.starttls = StartTlsPolicy::Required,
            Tls::StartTlsOpportunistic(_) => config.starttls = StartTlsPolicy::Opportunistic,
            Tls::Implicit(_) => {
                config.starttls = StartTlsPolicy::Disabled;
                config.implicit_tls = true;
            }
        }
        let mut conn = Connection::new_client(io, Client::new(now, config), shared, &tls)?
            .with_config(io_config);
        if let Some(sink) = transcript {
            conn.set_transcript(sink, SmtpRedactor::for_client());
        }
        let mut client = Self {
            conn,
            clock,
            chunk_size: chunk_size.max(1),
            write_timeout: timeouts.data_block,
            busy: Some("connect"),
            failed: false,
            quit: false,
            idle_since: now,
            greeting: None,
            capabilities: Capabilities::default(),
        };
        let wants_starttls = matches!(tls, Tls::StartTls(_) | Tls::StartTlsOpportunistic(_));
        let result = client.open(wants_starttls, credentials.as_ref()).await;
        client.end(result).map(|()| client)
    }

    async fn open(
        &mut self,
        wants_starttls: bool,
        credentials: Option<&postwire_sasl::client::Credentials>,
    ) -> Result<(), Error> {
        // The greeting (after TlsEstablished on an implicit-TLS connection).
        let greeting = loop {
            match self.event().await? {
                Event::Greeting { reply } => break reply,
                Event::TlsEstablished { .. } => {}
                _ => return Err(Error::UnexpectedEvent("awaiting the greeting")),
            }
        };
        if greeting.code().get() != 220 {
            return Err(Error::GreetingRefused(greeting));
        }
        self.greeting = Some(greeting);
        self.ehlo().await?;
        if wants_starttls && !self.conn.protocol().is_tls() {
            // Under the required policy the machine already failed the
            // session if STARTTLS was not offered (SECURITY.md C01).
            if self.capabilities.starttls {
                let now = self.clock.now();
                let id = self.conn.protocol_mut().starttls(now)?;
                match self.event().await? {
                    Event::TlsEstablished { .. } => self.ehlo().await?,
                    // Opportunistic: refused, go on in plaintext.
                    Event::Rejected { id: i, .. } if i == id => {}
                    _ => return Err(Error::UnexpectedEvent("awaiting the STARTTLS reply")),
                }
            }
        }
        if let Some(credentials) = credentials {
            let now = self.clock.now();
            let id = self.conn.protocol_mut().auth_with(now, credentials)?;
            match self.event().await? {
                Event::Authenticated { id: i } if i == id => {}
                Event::AuthFailed { id: i, reply } if i == id => {
                    return Err(Error::AuthFailed(reply));
                }
                _ => return Err(Error::UnexpectedEvent("awaiting the AUTH reply")),
            }
        }
        Ok(())
    }

    async fn ehlo(&mut self) -> Result<(), Error> {
        let now = self.clock.now();
        let id = self.conn.protocol_mut().ehlo(now)?;
        match self.event().await? {
            Event::Ehlo {
                id: i,
                capabilities,
                ..
            } if i == id => {
                self.capabilities = capabilities;
                Ok(())
            }
            Event::Rejected { id: i, reply } if i == id => Err(Error::EhloRefused(reply)),
            _ => Err(Error::UnexpectedEvent("awaiting the EHLO reply")),
        }
    }

    /// The next event; the end of the connection is an error here.
    async fn event(&mut self) -> Result<Event, Error> {
        match self.conn.next_event().await? {
            Some(event) => Ok(event),
            None => Err(Error::ConnectionClosed),
        }
    }

    /// Marks an operation as running; refuses when the client cannot go on.
    fn begin(&mut self, operation: &'static str) -> Result<Instant, Error> {
        if self.is_poisoned() {
            return Err(Error::Poisoned);
        }
        if self.failed || self.quit || self.conn.is_closed() {
            return Err(Error::Closed);
        }
        self.busy = Some(operation);
        Ok(self.clock.now())
    }

    /// Marks the operation finished, and the client failed after a fatal
    /// error.
    fn end<T>(&mut self, result: Result<T, Error>) -> Result<T, Error> {
        self.busy = None;
        self.idle_since = self.clock.now();
        if let Err(error) = &result
            && error.is_fatal()
        {
            self.failed = true;
        }
        result
    }

    /// Sends one message held in memory to every recipient of `envelope`
    /// (a [`super::Envelope`] or a `postwire_smtp_proto` envelope with RCPT
    /// parameters). The bytes go out as they are, line endings normalised to
    /// CRLF and dot-stuffed for DATA (RFC 5321 §4.5.2) or sent as BDAT
    /// chunks (RFC 3030); the message is never parsed or changed.
    ///
    /// Recipients the server defers with 452 (RFC 5321 §4.5.3.1.10) get
    /// follow-up transactions on the same connection until all are
    /// answered, as long as each transaction delivers to someone. If the
    /// connection fails during a follow-up, the report still comes back
    /// (the first transaction was delivered), with the recipients not yet
    /// served as [`RecipientStatus::Deferred`], and the client is failed.
    ///
    /// A server refusal is in the report, not an error.
    pub async fn send(
        &mut self,
        envelope: impl Into<WireEnvelope>,
        message: impl AsRef<[u8]>,
    ) -> Result<SendReport, Error> {
        let message = message.as_ref();
        self.begin("send")?;
        let info = BodyInfo::from_content(message);
        let source: Source<'_, futures_lite::io::Empty> = Source::Bytes(message);
        let result = self.send_inner(envelope.into(), info, source).await;
        self.end(result)
    }

    /// Sends one message read from `body`, streamed in chunks of
    /// [`ClientOptions::chunk_size`] with the writes as backpressure: the
    /// message is never whole in memory.
    ///
    /// Without a size or content scan, the envelope declares no `SIZE` and
    /// declares `BODY=8BITMIME` when the server offers it (harmless for
    /// 7-bit content, RFC 6152 §3); use
    /// [`send_reader_with`](Self::send_reader_with) to say more.
    ///
    /// The body can be read once, so recipients deferred with 452 are
    /// reported as [`RecipientStatus::Deferred`]: send them again yourself.
    /// A read error mid-body fails the client ([`Error::Body`]): a DATA
    /// body cannot be abandoned, only the connection can.
    pub async fn send_reader(
        &mut self,
        envelope: impl Into<WireEnvelope>,
        body: impl AsyncRead + Unpin,
    ) -> Result<SendReport, Error> {
        let mut info = BodyInfo::default();
        info.eight_bit = self.capabilities.eight_bit_mime;
        self.send_reader_with(envelope, body, info).await
    }

    /// [`send_reader`](Self::send_reader) with the caller's facts about the
    /// body: its size for `SIZE=` (RFC 1870), 8-bit, binary or UTF-8
    /// headers.
    pub async fn send_reader_with(
        &mut self,
        envelope: impl Into<WireEnvelope>,
        mut body: impl AsyncRead + Unpin,
        info: BodyInfo,
    ) -> Result<SendReport, Error> {
        self.begin("send")?;
        let result = self
            .send_inner(envelope.into(), info, Source::Reader(&mut body))
            .await;
        self.end(result)
    }

    async fn send_inner<R: AsyncRead + Unpin>(
        &mut self,
        envelope: WireEnvelope,
        info: BodyInfo,
        mut source: Source<'_, R>,
    ) -> Result<SendReport, Error> {
        let retry_deferred = matches!(source, Source::Bytes(_));
        let mut statuses: Vec<Option<RecipientStatus>> = vec![None; envelope.recipients.len()];
        let all: Vec<ForwardPath> = envelope.recipients.iter().map(|(p, _)| p.clone()).collect();
        let mut report = SendReport {
            recipients: Vec::new(),
            final_reply: None,
            follow_up_replies: Vec::new(),
            lmtp_replies: Vec::new(),
        };
        let mut slots: Vec<usize> = (0..envelope.recipients.len()).collect();
        let mut current = envelope.clone();
        let mut first = true;
        // Recipients of the follow-up transaction under way, with their 452.
        let mut carried: Vec<(usize, Reply)> = Vec::new();
        loop {
            let txn = match self.transaction(current.clone(), info, &mut source).await {
                Ok(txn) => txn,
                // The first transaction delivered already: report that,
                // with the recipients still waiting as deferred, rather than
                // an error that would make the caller send it all again.
                Err(error) if !first => {
                    if error.is_fatal() {
                        self.failed = true;
                    }
                    for (slot, reply) in carried {
                        statuses[slot] = Some(RecipientStatus::Deferred(reply));
                    }
                    break;
                }
                Err(error) => return Err(error),
            };
            let mut deferred = Vec::new();
            let mut delivered_any = false;
            let failure = match &txn.end {
                End::Failed(reply) => Some(reply.clone()),
                _ => None,
            };
            match &txn.envelope {
                None => {
                    // MAIL refused (or failed before the envelope result).
                    for &slot in &slots {
                        statuses[slot] = failure.clone().map(RecipientStatus::Refused);
                    }
                }
                Some(result) => {
                    for (index, reply) in &result.refused {
                        statuses[slots[*index]] = Some(RecipientStatus::Refused(reply.clone()));
                    }
                    for &index in &result.accepted {
                        let slot = slots[index];
                        statuses[slot] = Some(match &txn.end {
                            End::Accepted(_) => {
                                delivered_any = true;
                                RecipientStatus::Accepted
                            }
                            End::Failed(reply) => RecipientStatus::Refused(reply.clone()),
                            End::Lmtp(replies) => match replies.iter().find(|(i, _)| *i == index) {
                                Some((_, reply)) if reply.code().is_positive() => {
                                    delivered_any = true;
                                    RecipientStatus::Accepted
                                }
                                Some((_, reply)) => RecipientStatus::Refused(reply.clone()),
                                None => continue,
                            },
                        });
                    }
                    for (index, reply) in &result.deferred {
                        deferred.push((slots[*index], reply.clone()));
                    }
                }
            }
            if let End::Lmtp(replies) = &txn.end {
                for (index, reply) in replies {
                    if let Some(&slot) = slots.get(*index) {
                        report.lmtp_replies.push((all[slot].clone(), reply.clone()));
                    }
                }
            }
            let end_reply = match txn.end {
                End::Accepted(reply) | End::Failed(reply) => Some(reply),
                End::Lmtp(_) => None,
            };
            if first {
                report.final_reply = end_reply;
                first = false;
            } else if let Some(reply) = end_reply {
                report.follow_up_replies.push(reply);
            }
            // RFC 5321 §4.5.3.1.10: deferred recipients go in a new
            // transaction. Only when this one delivered to someone, so the
            // server's per-transaction limit is at least one and the loop
            // ends.
            if deferred.is_empty() {
                break;
            }
            if !retry_deferred || !delivered_any {
                for (slot, reply) in deferred {
                    statuses[slot] = Some(RecipientStatus::Deferred(reply));
                }
                break;
            }
            let mut next = WireEnvelope::new(envelope.from.clone());
            next.params = envelope.params.clone();
            slots = deferred.iter().map(|(slot, _)| *slot).collect();
            carried = deferred;
            next.recipients = slots
                .iter()
                .map(|&slot| envelope.recipients[slot].clone())
                .collect();
            current = next;
        }
        let fallback = report.final_reply.clone();
        report.recipients = all
            .into_iter()
            .zip(statuses)
            .map(|(path, status)| {
                let status = status.or_else(|| fallback.clone().map(RecipientStatus::Refused));
                match status {
                    Some(status) => Ok((path, status)),
                    None => Err(Error::UnexpectedEvent("a recipient without an outcome")),
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(report)
    }

    /// One transaction: MAIL, RCPT..., the body, the final reply.
    async fn transaction<R: AsyncRead + Unpin>(
        &mut self,
        envelope: WireEnvelope,
        info: BodyInfo,
        source: &mut Source<'_, R>,
    ) -> Result<Transaction, Error> {
        let now = self.clock.now();
        let id = self.conn.protocol_mut().send_mail(now, envelope, info)?;
        let mut result = None;
        loop {
            match self.event().await? {
                Event::Envelope { id: i, result: r } if i == id => result = Some(r),
                Event::ReadyForBody { id: i } if i == id => {
                    // From here on an error cannot leave the session usable.
                    self.stream_body(source).await.map_err(|e| match e {
                        Error::Usage(_) => Error::UnexpectedEvent("body refused by the session"),
                        other => other,
                    })?;
                }
                Event::MessageAccepted { id: i, reply } if i == id => {
                    return Ok(Transaction {
                        envelope: result,
                        end: End::Accepted(reply),
                    });
                }
                Event::LmtpDelivery { id: i, replies } if i == id => {
                    return Ok(Transaction {
                        envelope: result,
                        end: End::Lmtp(replies),
                    });
                }
                Event::TransactionFailed { id: i, reply } if i == id => {
                    return Ok(Transaction {
                        envelope: result,
                        end: End::Failed(reply),
                    });
                }
                _ => return Err(Error::UnexpectedEvent("awaiting a transaction reply")),
            }
        }
    }

    /// Hands the body to the machine chunk by chunk, writing each before
    /// reading the next (`flush_until`), then ends it.
    async fn stream_body<R: AsyncRead + Unpin>(
        &mut self,
        source: &mut Source<'_, R>,
    ) -> Result<(), Error> {
        let chunk_size = self.chunk_size;
        let mut buffer = match source {
            Source::Bytes(_) => Vec::new(),
            Source::Reader(_) => vec![0; chunk_size],
        };
        let mut offset = 0;
        loop {
            let chunk: &[u8] = match source {
                Source::Bytes(bytes) => {
                    let end = (offset + chunk_size).min(bytes.len());
                    let chunk = &bytes[offset..end];
                    offset = end;
                    chunk
                }
                Source::Reader(reader) => {
                    let n = reader.read(&mut buffer).await.map_err(Error::Body)?;
                    &buffer[..n]
                }
            };
            if chunk.is_empty() {
                break;
            }
            let now = self.clock.now();
            match self.conn.protocol_mut().send_body(now, chunk) {
                Ok(()) => {}
                // A BDAT chunk was refused: the body ended there and the
                // failure event follows (RFC 3030 §2).
                Err(UsageError::NotInBody) => return Ok(()),
                Err(other) => return Err(other.into()),
            }
            self.write_chunk(chunk_size).await?;
        }
        let now = self.clock.now();
        match self.conn.protocol_mut().finish_body(now) {
            Ok(()) | Err(UsageError::NotInBody) => Ok(()),
            Err(other) => Err(other.into()),
        }
    }

    /// Writes until at most `max_buffered` octets are queued, within the
    /// data block time (RFC 5321 §4.5.3.2.5: 3 minutes per send call by
    /// default): a server that stops reading mid-body cannot hang the send,
    /// which reply timeouts alone would allow (no reply is awaited then).
    async fn write_chunk(&mut self, max_buffered: usize) -> Result<(), Error> {
        let deadline = self.clock.now() + self.write_timeout;
        let sleep = self.clock.sleep_until(deadline);
        let conn = &mut self.conn;
        let written = futures_lite::future::or(
            async { Some(conn.flush_until(max_buffered).await) },
            async {
                sleep.await;
                None
            },
        )
        .await;
        match written {
            Some(result) => Ok(result?),
            None => Err(Error::WriteTimeout),
        }
    }

    /// Sends NOOP (RFC 5321 §4.1.1.9) and returns the reply: a cheap probe
    /// that the server is still there.
    pub async fn noop(&mut self) -> Result<Reply, Error> {
        let now = self.begin("noop")?;
        let result = async {
            let id = self.conn.protocol_mut().noop(now)?;
            match self.event().await? {
                Event::Reply { id: i, reply } if i == id => Ok(reply),
                _ => Err(Error::UnexpectedEvent("awaiting the NOOP reply")),
            }
        }
        .await;
        self.end(result)
    }

    /// Sends RSET (RFC 5321 §4.1.1.5) and returns the reply.
    pub async fn rset(&mut self) -> Result<Reply, Error> {
        let now = self.begin("rset")?;
        let result = async {
            let id = self.conn.protocol_mut().rset(now)?;
            match self.event().await? {
                Event::Reply { id: i, reply } if i == id => Ok(reply),
                _ => Err(Error::UnexpectedEvent("awaiting the RSET reply")),
            }
        }
        .await;
        self.end(result)
    }

    /// Sends QUIT (RFC 5321 §4.1.1.10), waits for the reply and closes the
    /// stream (TLS close_notify included). Returns the server's reply, if it
    /// sent one before closing. The client is closed afterwards.
    pub async fn quit(&mut self) -> Result<Option<Reply>, Error> {
        let now = self.begin("quit")?;
        let result = async {
            let id = self.conn.protocol_mut().quit(now)?;
            let mut reply = None;
            loop {
                match self.conn.next_event().await? {
                    Some(Event::Reply { id: i, reply: r }) if i == id => reply = Some(r),
                    Some(Event::Closed) | None => break,
                    Some(_) => return Err(Error::UnexpectedEvent("awaiting the QUIT reply")),
                }
            }
            self.conn.close().await?;
            Ok(reply)
        }
        .await;
        self.quit = true;
        self.end(result)
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

    /// The server's 220 greeting (always there once `connect` returned).
    pub fn greeting(&self) -> Option<&Reply> {
        self.greeting.as_ref()
    }

    /// What the server's last EHLO advertised (after TLS when TLS is up).
    pub fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    /// Whether TLS is up (STARTTLS or implicit).
    pub fn is_tls(&self) -> bool {
        self.conn.protocol().is_tls()
    }

    /// What the TLS handshake established: version, cipher suite, the
    /// server's certificates.
    pub fn tls_info(&self) -> Option<&TlsInfo> {
        self.conn.tls_info()
    }

    /// Whether AUTH succeeded.
    pub fn is_authenticated(&self) -> bool {
        self.conn.protocol().is_authenticated()
    }

    /// When the last operation finished (the pool probes connections idle
    /// for long).
    pub fn idle_since(&self) -> Instant {
        self.idle_since
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

/// Where a message body comes from.
///
/// Generic rather than `dyn` so that a `Send` body keeps the send future
/// `Send` (pools are shared across threads).
enum Source<'a, R> {
    Bytes(&'a [u8]),
    Reader(&'a mut R),
}
