//! The client against this crate's own server, in memory: STARTTLS, AUTH,
//! pipelined transactions with DATA and BDAT, LMTP. Both machines must agree
//! on every byte.

#[path = "client_harness.rs"]
mod harness;

use harness::{from, t0, to};
use postwire_core::{Protocol, TlsInfo, TlsVersion, Transmit};
use postwire_sasl::Mechanism;
use postwire_sasl::client::Credentials;
use postwire_smtp_proto::client::{
    BodyInfo, Client, ClientConfig, Envelope, Event, StartTlsPolicy,
};
use postwire_smtp_proto::server::{Event as ServerEvent, Server, ServerConfig};
use postwire_smtp_proto::{Domain, EnhancedStatusCode, ForwardPath, Host, Reply, ReplyCode};

struct Pair {
    client: Client,
    server: Server,
    now: std::time::Instant,
    events: Vec<Event>,
    body: Vec<u8>,
    refuse: Vec<&'static str>,
    password: &'static str,
    bad_commands: usize,
}

impl Pair {
    fn new(client: ClientConfig, server: ServerConfig) -> Self {
        let now = t0();
        Pair {
            client: Client::new(now, client),
            server: Server::new(now, server),
            now,
            events: Vec::new(),
            body: Vec::new(),
            refuse: Vec::new(),
            password: "tanstaaftanstaaf",
            bad_commands: 0,
        }
    }

    /// Moves bytes both ways and answers the server's events until nothing
    /// moves.
    fn pump(&mut self) {
        let now = self.now;
        let (mut client_tls, mut server_tls) = (false, false);
        loop {
            let mut progress = false;
            while let Some(t) = self.client.poll_transmit() {
                progress = true;
                match t {
                    Transmit::Data(bytes) => self.server.handle_input(now, &bytes).unwrap(),
                    Transmit::StartTls => client_tls = true,
                    Transmit::Close => {}
                }
            }
            while let Some(event) = self.server.poll_event() {
                progress = true;
                self.answer(event);
            }
            while let Some(t) = self.server.poll_transmit() {
                progress = true;
                match t {
                    Transmit::Data(bytes) => self.client.handle_input(now, &bytes).unwrap(),
                    Transmit::StartTls => server_tls = true,
                    Transmit::Close => {}
                }
            }
            if client_tls && server_tls {
                (client_tls, server_tls) = (false, false);
                let info = TlsInfo::new(TlsVersion::Tls13);
                self.server
                    .handle_tls_established(now, info.clone())
                    .unwrap();
                self.client.handle_tls_established(now, info).unwrap();
                progress = true;
            }
            while let Some(event) = self.client.poll_event() {
                progress = true;
                self.events.push(event);
            }
            if !progress {
                break;
            }
        }
    }

    fn answer(&mut self, event: ServerEvent) {
        match event {
            ServerEvent::Rcpt { id, to, .. } => {
                let refused = match &to {
                    ForwardPath::Mailbox(m) => self.refuse.contains(&m.to_string().as_str()),
                    ForwardPath::Postmaster => false,
                };
                if refused {
                    self.server.reject(id).unwrap();
                } else {
                    self.server.accept(id).unwrap();
                }
            }
            ServerEvent::Auth {
                id, authentication, ..
            } => {
                if authentication.password_matches(self.password) {
                    self.server.accept(id).unwrap();
                } else {
                    self.server.reject(id).unwrap();
                }
            }
            ServerEvent::DataChunk(bytes) => self.body.extend_from_slice(&bytes),
            ServerEvent::DataEnd { id, recipients } if self.server.config().lmtp => {
                let ok = Reply::new(
                    ReplyCode::new(250).unwrap(),
                    Some(EnhancedStatusCode::new(2, 0, 0)),
                    ["delivered"],
                )
                .unwrap();
                self.server.reply_lmtp(id, vec![ok; recipients]).unwrap();
            }
            ServerEvent::BadCommand { .. } => self.bad_commands += 1,
            other => {
                if let Some(id) = other.id() {
                    self.server.accept(id).unwrap();
                }
            }
        }
    }

    fn last(&self) -> &Event {
        self.events.last().unwrap()
    }
}

fn client_config(policy: StartTlsPolicy) -> ClientConfig {
    let mut cfg = ClientConfig::new(Host::Domain(Domain::new("client.example").unwrap()));
    cfg.starttls = policy;
    cfg
}

fn server_config() -> ServerConfig {
    let mut cfg = ServerConfig::new(Domain::new("mx.example").unwrap());
    cfg.extensions.starttls = true;
    cfg.extensions.auth = vec![Mechanism::Plain, Mechanism::Login];
    cfg
}

const NASTY: &[&[u8]] = &[
    b"Subject: x\r\n\r\n",
    b".leading dot\r\n",
    b"a\n.\nb\r.\rc",
    b"\r",
    b"\n.",
    b"\r\n.\r\n",
    b"..\r\n",
    b"end without newline",
];

/// What the server must receive for `NASTY`: bare CR and LF made CRLF, a
/// final CRLF added, dots as written.
const NASTY_RECEIVED: &[u8] = b"Subject: x\r\n\r\n.leading dot\r\na\r\n.\r\nb\r\n.\r\nc\r\n.\r\n.\r\n..\r\nend without newline\r\n";

fn full_session(use_chunking: bool) -> Pair {
    let mut cfg = client_config(StartTlsPolicy::Required);
    cfg.use_chunking = use_chunking;
    let mut pair = Pair::new(cfg, server_config());
    pair.refuse = vec!["nobody@mx.example"];
    pair.pump();
    assert!(matches!(pair.last(), Event::Greeting { .. }));
    pair.client.ehlo(pair.now).unwrap();
    pair.pump();
    pair.client.starttls(pair.now).unwrap();
    pair.pump();
    assert!(matches!(pair.last(), Event::TlsEstablished { id: Some(_) }));
    pair.client.ehlo(pair.now).unwrap();
    pair.pump();
    assert!(pair.client.capabilities().unwrap().has_auth("PLAIN"));
    pair.client
        .auth_with(pair.now, &Credentials::password("tim", "tanstaaftanstaaf"))
        .unwrap();
    pair.pump();
    assert!(matches!(pair.last(), Event::Authenticated { .. }));

    let envelope = Envelope::new(from("tim@client.example"))
        .to(to("a@mx.example"))
        .to(to("nobody@mx.example"))
        .to(to("b@mx.example"));
    let id = pair
        .client
        .send_mail(pair.now, envelope, BodyInfo::default())
        .unwrap();
    pair.pump();
    assert_eq!(pair.last(), &Event::ReadyForBody { id });
    for piece in NASTY {
        pair.client.send_body(pair.now, piece).unwrap();
        pair.pump();
    }
    pair.client.finish_body(pair.now).unwrap();
    pair.pump();
    assert!(matches!(pair.last(), Event::MessageAccepted { id: i, .. } if *i == id));
    pair.client.quit(pair.now).unwrap();
    pair.pump();
    assert_eq!(pair.last(), &Event::Closed);
    pair
}

#[test]
fn full_session_with_data_against_our_server() {
    let pair = full_session(false);
    assert_eq!(
        String::from_utf8_lossy(&pair.body),
        String::from_utf8_lossy(NASTY_RECEIVED)
    );
    assert_eq!(pair.bad_commands, 0);
    let result = pair
        .events
        .iter()
        .find_map(|e| match e {
            Event::Envelope { result, .. } => Some(result.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(result.accepted, vec![0, 2]);
    assert_eq!(result.refused.len(), 1);
    assert!(pair.server.is_closed() && pair.client.is_closed());
}

#[test]
fn full_session_with_bdat_against_our_server() {
    let pair = full_session(true);
    assert_eq!(
        String::from_utf8_lossy(&pair.body),
        String::from_utf8_lossy(NASTY_RECEIVED)
    );
    assert_eq!(pair.bad_commands, 0);
}

#[test]
fn wrong_password_is_auth_failed_and_session_goes_on() {
    let mut cfg = client_config(StartTlsPolicy::Required);
    cfg.implicit_tls = true;
    let mut pair = Pair::new(cfg, server_config());
    pair.server
        .handle_tls_established(pair.now, TlsInfo::new(TlsVersion::Tls13))
        .unwrap();
    pair.client
        .handle_tls_established(pair.now, TlsInfo::new(TlsVersion::Tls13))
        .unwrap();
    pair.pump();
    pair.client.ehlo(pair.now).unwrap();
    pair.pump();
    pair.client
        .auth_with(pair.now, &Credentials::password("tim", "wrong"))
        .unwrap();
    pair.pump();
    assert!(matches!(pair.last(), Event::AuthFailed { reply, .. } if reply.code().get() == 535));
    pair.client.noop(pair.now).unwrap();
    pair.pump();
    assert!(matches!(pair.last(), Event::Reply { reply, .. } if reply.code().get() == 250));
}

#[test]
fn lmtp_against_our_server_rfc2033() {
    let mut cfg = client_config(StartTlsPolicy::Disabled);
    cfg.lmtp = true;
    let mut server = ServerConfig::new(Domain::new("lmtp.example").unwrap());
    server.lmtp = true;
    let mut pair = Pair::new(cfg, server);
    pair.pump();
    pair.client.ehlo(pair.now).unwrap();
    pair.pump();
    let envelope = Envelope::new(from("a@client.example"))
        .to(to("x@lmtp.example"))
        .to(to("y@lmtp.example"));
    pair.client
        .send_mail(pair.now, envelope, BodyInfo::from_content(b"hi\r\n"))
        .unwrap();
    pair.pump();
    pair.client.send_body(pair.now, b"hi\r\n").unwrap();
    pair.client.finish_body(pair.now).unwrap();
    pair.pump();
    let Event::LmtpDelivery { replies, .. } = pair.last() else {
        panic!("{:?}", pair.events)
    };
    assert_eq!(
        replies.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        vec![0, 1]
    );
    assert_eq!(pair.body, b"hi\r\n");
}

#[test]
fn utf8_addresses_with_smtputf8_server_rfc6531() {
    let mut pair = Pair::new(
        client_config(StartTlsPolicy::Disabled),
        ServerConfig::new(Domain::new("mx.example").unwrap()),
    );
    pair.pump();
    pair.client.ehlo(pair.now).unwrap();
    pair.pump();
    let envelope =
        Envelope::new(from("j\u{f6}rg@b\u{fc}cher.example")).to(to("\u{e9}l\u{e8}ve@mx.example"));
    let mut info = BodyInfo::from_content("Subject: \u{e9}\r\n\r\n".as_bytes());
    info.utf8_headers = true;
    pair.client.send_mail(pair.now, envelope, info).unwrap();
    pair.pump();
    assert!(
        matches!(pair.last(), Event::ReadyForBody { .. }),
        "{:?}",
        pair.events
    );
    assert_eq!(pair.bad_commands, 0);
}
