//! Shared pieces of the server facade tests: a clock, a policy handler
//! that records what it saw, and a client driven by postwire-smtp-proto's
//! `Client` inside a `postwire_io::Connection`.
#![allow(dead_code, unreachable_pub)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use futures_io::{AsyncRead, AsyncWrite};
use postwire_io::{Clock, Connection, Sleep, TlsRole};
use postwire_sasl::client::{ClientMechanism, Credentials};
use postwire_smtp::server::{
    self, Authentication, BodySink, Decision, Envelope, Handler, HeloKind, Mechanism,
    ServerOptions, Session, TlsMode,
};
use postwire_smtp_proto::client::{
    BodyInfo, Client, ClientConfig, Envelope as ClientEnvelope, Event, StartTlsPolicy,
};
use postwire_smtp_proto::server::ServerConfig;
use postwire_smtp_proto::{
    ClientId, Domain, ForwardPath, Host, MailParameters, Mailbox, RcptParameters, Reply,
    ReversePath,
};
use postwire_testkit::{ServerCert, TestPki, localhost};

/// Timers from tokio.
#[derive(Clone, Copy, Debug)]
pub struct TokioClock;

impl Clock for TokioClock {
    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        Box::pin(tokio::time::sleep_until(deadline.into()))
    }
}

/// The tests' `now`, from tokio's clock.
pub fn now() -> Instant {
    TokioClock.now()
}

/// What the policy handler saw, shared with the test.
#[derive(Clone, Default)]
pub struct Record {
    /// One line per handler call, in order.
    pub calls: Arc<Mutex<Vec<String>>>,
    /// Octets the current sink received so far.
    pub streamed: Arc<AtomicUsize>,
    /// Messages finished.
    pub messages: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Record {
    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }

    pub fn messages(&self) -> Vec<Vec<u8>> {
        self.messages.lock().unwrap().clone()
    }

    fn log(&self, line: String) {
        self.calls.lock().unwrap().push(line);
    }
}

/// The policy under test: refuses the sender `spammer@...`, refuses
/// recipients whose local part is `nobody`, refuses the data of
/// `nodata@...`, fails to write the data of `diskfull@...`, knows the user `alice:secret`.
pub struct Policy {
    pub record: Record,
}

pub struct MemorySink {
    record: Record,
    content: Vec<u8>,
    /// Fail every write (a full disk).
    fail: bool,
}

impl BodySink for MemorySink {
    async fn write_chunk(&mut self, chunk: Bytes) -> std::io::Result<()> {
        if self.fail {
            return Err(std::io::Error::other("disk full"));
        }
        self.record
            .streamed
            .fetch_add(chunk.len(), Ordering::SeqCst);
        self.content.extend_from_slice(&chunk);
        Ok(())
    }

    async fn finish(self) -> Reply {
        self.record.log(format!("finish {}", self.content.len()));
        self.record.messages.lock().unwrap().push(self.content);
        server::reply(250, (2, 0, 0), "queued as T1").unwrap()
    }

    async fn abort(self) {
        self.record.log("abort".to_owned());
    }
}

impl Handler for Policy {
    type Body = MemorySink;

    async fn helo(&mut self, _session: &Session, client: &ClientId) -> Decision {
        self.record.log(format!("helo {client}"));
        Decision::Accept
    }

    /// Takes `EHLO my_host`, refuses names starting with `bad_` with
    /// Postfix's `501 5.5.2`.
    async fn helo_nonstandard(
        &mut self,
        _session: &Session,
        _kind: HeloKind,
        name: &str,
    ) -> Decision {
        self.record.log(format!("helo-nonstandard {name}"));
        if name.starts_with("bad_") {
            Decision::Reply(server::reply(501, (5, 5, 2), "invalid hostname").unwrap())
        } else {
            Decision::Accept
        }
    }

    async fn mail_from(
        &mut self,
        _session: &Session,
        from: &ReversePath,
        _params: &MailParameters,
    ) -> Decision {
        self.record.log(format!("mail {from}"));
        if from.to_string().starts_with("<spammer@") {
            Decision::Reply(server::reply(550, (5, 7, 1), "sender refused by policy").unwrap())
        } else {
            Decision::Accept
        }
    }

    async fn rcpt_to(
        &mut self,
        _session: &Session,
        to: &ForwardPath,
        _params: &RcptParameters,
    ) -> Decision {
        self.record.log(format!("rcpt {to}"));
        if to.to_string().starts_with("<nobody@") {
            Decision::Reject
        } else {
            Decision::Accept
        }
    }

    async fn authenticate(
        &mut self,
        session: &Session,
        mechanism: &Mechanism,
        authentication: &Authentication,
    ) -> Option<String> {
        self.record.log(format!(
            "auth {} {} tls={}",
            mechanism.name(),
            authentication.username,
            session.tls
        ));
        (authentication.username == "alice" && authentication.password_matches("secret"))
            .then(|| "alice".to_owned())
    }

    /// A refused token is explained with a scope, except for `nojson@`.
    async fn token_error(
        &mut self,
        _session: &Session,
        _mechanism: &Mechanism,
        authentication: &Authentication,
    ) -> Option<Vec<u8>> {
        self.record
            .log(format!("token-error {}", authentication.username));
        (!authentication.username.starts_with("nojson@"))
            .then(|| br#"{"status":"invalid_token","scope":"mail"}"#.to_vec())
    }

    async fn reset(&mut self, _session: &Session) {
        self.record.log("rset".to_owned());
    }

    async fn data_start(
        &mut self,
        session: &Session,
        envelope: &Envelope,
    ) -> Result<MemorySink, Reply> {
        self.record.log(format!(
            "data {} rcpts={} proto={}",
            envelope.from,
            envelope.recipients.len(),
            session.protocol_name()
        ));
        if envelope.from.to_string().starts_with("<nodata@") {
            return Err(server::reply(554, (5, 7, 1), "no data from you").unwrap());
        }
        self.record.streamed.store(0, Ordering::SeqCst);
        Ok(MemorySink {
            record: self.record.clone(),
            content: Vec::new(),
            fail: envelope.from.to_string().starts_with("<diskfull@"),
        })
    }
}

/// Options for the server under test, with PLAIN and LOGIN and, when
/// `tls`, the test PKI's certificate for STARTTLS.
pub fn options(tls: bool) -> ServerOptions {
    let mut config = ServerConfig::new(Domain::new("mx.test").unwrap());
    config.extensions.auth = vec![Mechanism::Plain, Mechanism::Login];
    let options = ServerOptions::new(config, TokioClock);
    if tls {
        let tls = TestPki::shared().server_config(ServerCert::Valid);
        options.with_tls(Arc::new(tls), TlsMode::StartTls)
    } else {
        options
    }
}

/// A client session on `io`.
pub struct TestClient<IO> {
    pub conn: Connection<Client, IO>,
}

pub fn client_config(tls: bool, chunking: bool) -> ClientConfig {
    let mut config = ClientConfig::new(Host::Domain(Domain::new("client.test").unwrap()));
    config.starttls = if tls {
        StartTlsPolicy::Required
    } else {
        StartTlsPolicy::Disabled
    };
    config.use_chunking = chunking;
    config
}

impl<IO: AsyncRead + AsyncWrite + Unpin> TestClient<IO> {
    pub fn new(io: IO, config: ClientConfig) -> Self {
        let role = TlsRole::client(Arc::new(TestPki::shared().client_config()), localhost());
        let client = Client::new(TokioClock.now(), config);
        Self {
            conn: Connection::new_starttls(io, client, TokioClock, role),
        }
    }

    pub async fn next(&mut self) -> Event {
        match self.conn.next_event().await {
            Ok(Some(event)) => event,
            other => panic!("client: {other:?}"),
        }
    }

    fn now() -> Instant {
        TokioClock.now()
    }

    /// Greeting and EHLO; STARTTLS and a second EHLO when `tls`.
    pub async fn open(&mut self, tls: bool) {
        assert!(matches!(self.next().await, Event::Greeting { .. }));
        self.ehlo().await;
        if tls {
            self.conn.protocol_mut().starttls(Self::now()).unwrap();
            assert!(matches!(self.next().await, Event::TlsEstablished { .. }));
            self.ehlo().await;
        }
    }

    pub async fn ehlo(&mut self) {
        self.conn.protocol_mut().ehlo(Self::now()).unwrap();
        let event = self.next().await;
        assert!(matches!(event, Event::Ehlo { .. }), "{event:?}");
    }

    /// AUTH with `mechanism`; the event that answers it.
    pub async fn auth(&mut self, mechanism: Mechanism, user: &str, password: &str) -> Event {
        let credentials = Credentials::password(user, password.to_owned());
        let mechanism = ClientMechanism::new(mechanism, &credentials).unwrap();
        self.conn
            .protocol_mut()
            .auth(Self::now(), mechanism)
            .unwrap();
        self.next().await
    }

    /// Sends one message; the event that ends the transaction and the
    /// envelope result.
    pub async fn send(&mut self, from: &str, to: &[&str], body: &[u8]) -> (Option<Event>, Event) {
        let from = ReversePath::Mailbox(Mailbox::parse(from).unwrap());
        let mut envelope = ClientEnvelope::new(from);
        for rcpt in to {
            envelope = envelope.to(ForwardPath::Mailbox(Mailbox::parse(rcpt).unwrap()));
        }
        self.conn
            .protocol_mut()
            .send_mail(Self::now(), envelope, BodyInfo::from_content(body))
            .unwrap();
        let mut envelope_event = None;
        loop {
            match self.next().await {
                event @ Event::Envelope { .. } => envelope_event = Some(event),
                Event::ReadyForBody { .. } => break,
                event => return (envelope_event, event),
            }
        }
        for piece in body.chunks(64 * 1024) {
            self.conn
                .protocol_mut()
                .send_body(Self::now(), piece)
                .unwrap();
            self.conn.flush_until(128 * 1024).await.unwrap();
        }
        self.conn.protocol_mut().finish_body(Self::now()).unwrap();
        let event = self.next().await;
        (envelope_event, event)
    }

    pub async fn quit(&mut self) {
        self.conn.protocol_mut().quit(Self::now()).unwrap();
        assert!(matches!(self.next().await, Event::Reply { .. }));
        assert!(matches!(self.next().await, Event::Closed));
    }
}
