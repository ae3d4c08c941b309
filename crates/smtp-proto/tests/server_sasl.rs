//! SASL mechanisms beyond PLAIN and LOGIN over SMTP AUTH (RFC 4954):
//! SCRAM-SHA-256 and SCRAM-SHA-256-PLUS (RFC 5802, RFC 7677) with the
//! application's stored keys, channel binding from `TlsInfo` on both
//! sides, CRAM-MD5 on opt-in, and the OAUTHBEARER error challenge (RFC
//! 7628 §3.2.2). Our client against our server, and the server alone
//! against exact bytes.

use std::time::Instant;

use base64::Engine as _;
use postwire_core::{Bytes, ChannelBinding, Protocol, TlsInfo, TlsVersion, Transmit};
use postwire_sasl::client::{ClientMechanism, ClientOptions, Credentials};
use postwire_sasl::{SaslError, decode_base64};
use postwire_smtp_proto::client::{
    Client, ClientConfig, Error as ClientError, Event as ClientEvent, StartTlsPolicy,
};
use postwire_smtp_proto::server::{
    Event, Evidence, Mechanism, ScramCredentials, SecretKind, Server, ServerConfig, StoredSecret,
    UsageError,
};
use postwire_smtp_proto::{Domain, Host};

fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

fn stored() -> ScramCredentials {
    ScramCredentials::derive("pencil", b"a-salt-of-16-oct", 4096).unwrap()
}

fn binding(exporter: u8, end_point: u8) -> ChannelBinding {
    let mut binding = ChannelBinding::default();
    if exporter != 0 {
        binding.tls_exporter = Some(Bytes::from(vec![exporter; 32]));
    }
    if end_point != 0 {
        binding.tls_server_end_point = Some(Bytes::from(vec![end_point; 32]));
    }
    binding
}

fn tls(binding: ChannelBinding) -> TlsInfo {
    let mut info = TlsInfo::new(TlsVersion::Tls13);
    info.channel_binding = binding;
    info
}

fn scram_config() -> ServerConfig {
    let mut config = ServerConfig::new(Domain::new("mx.example").unwrap()).with_scram_auth();
    config.extensions.starttls = true;
    // These tests are about the exchanges, not the failure delay
    // (server_auth_delay.rs).
    config.timeouts.auth_failure_delay = std::time::Duration::ZERO;
    config
}

/// The user store of the tests: `user` / `pencil` as SCRAM keys and as a
/// plaintext for CRAM-MD5.
fn lookup(kind: SecretKind, username: &str) -> Option<StoredSecret> {
    (username == "user").then(|| match kind {
        SecretKind::Scram => StoredSecret::Scram(stored()),
        _ => StoredSecret::Plaintext("pencil".into()),
    })
}

/// The server application: secrets from [`lookup`], verified
/// authentications accepted, passwords checked, everything else accepted.
fn app(server: &mut Server, event: &Event) {
    match event {
        Event::NeedSecret { id, request, .. } => {
            let secret = lookup(request.kind, &request.username);
            server.provide_secret(*id, secret).unwrap();
        }
        Event::Auth {
            id, authentication, ..
        } => {
            let ok = authentication.is_verified() || authentication.password_matches("pencil");
            if ok {
                server.accept(*id).unwrap();
            } else {
                server.reject(*id).unwrap();
            }
        }
        other => {
            if let Some(id) = other.id() {
                server.accept(id).unwrap();
            }
        }
    }
}

/// Our client against our server, TLS simulated with a `TlsInfo` per side.
struct Duo {
    client: Client,
    server: Server,
    now: Instant,
    client_tls: TlsInfo,
    server_tls: TlsInfo,
    client_events: Vec<ClientEvent>,
    server_events: Vec<Event>,
    client_error: Option<ClientError>,
    c2s: Vec<u8>,
    app: fn(&mut Server, &Event),
}

impl Duo {
    fn new(config: ServerConfig, client_tls: TlsInfo, server_tls: TlsInfo) -> Self {
        #[allow(clippy::disallowed_methods)] // tests need some instant to start from
        let now = Instant::now();
        let mut client_config =
            ClientConfig::new(Host::Domain(Domain::new("client.example").unwrap()));
        client_config.starttls = StartTlsPolicy::Required;
        let mut duo = Duo {
            client: Client::new(now, client_config),
            server: Server::new(now, config),
            now,
            client_tls,
            server_tls,
            client_events: Vec::new(),
            server_events: Vec::new(),
            client_error: None,
            c2s: Vec::new(),
            app,
        };
        duo.pump();
        duo
    }

    fn pump(&mut self) {
        let (mut client_starttls, mut server_starttls) = (false, false);
        loop {
            let mut progress = false;
            while let Some(t) = self.client.poll_transmit() {
                progress = true;
                match t {
                    Transmit::Data(bytes) => {
                        self.c2s.extend_from_slice(&bytes);
                        self.server.handle_input(self.now, &bytes).unwrap();
                    }
                    Transmit::StartTls => client_starttls = true,
                    Transmit::Close => self.server.handle_eof(self.now).unwrap(),
                }
            }
            while let Some(event) = self.server.poll_event() {
                progress = true;
                (self.app)(&mut self.server, &event);
                self.server_events.push(event);
            }
            while let Some(t) = self.server.poll_transmit() {
                progress = true;
                match t {
                    Transmit::Data(bytes) => {
                        if let Err(e) = self.client.handle_input(self.now, &bytes) {
                            self.client_error = Some(e);
                        }
                    }
                    Transmit::StartTls => server_starttls = true,
                    Transmit::Close => {}
                }
            }
            if client_starttls && server_starttls {
                (client_starttls, server_starttls) = (false, false);
                self.server
                    .handle_tls_established(self.now, self.server_tls.clone())
                    .unwrap();
                self.client
                    .handle_tls_established(self.now, self.client_tls.clone())
                    .unwrap();
                progress = true;
            }
            while let Some(event) = self.client.poll_event() {
                progress = true;
                self.client_events.push(event);
            }
            if !progress {
                break;
            }
        }
    }

    /// Greeting, EHLO, STARTTLS, EHLO again.
    fn secure(&mut self) {
        self.client.ehlo(self.now).unwrap();
        self.pump();
        self.client.starttls(self.now).unwrap();
        self.pump();
        self.client.ehlo(self.now).unwrap();
        self.pump();
    }

    fn offered(&self) -> Vec<String> {
        self.client
            .capabilities()
            .unwrap()
            .auth
            .iter()
            .map(|m| m.as_str().to_owned())
            .collect()
    }

    fn auth_line(&self) -> String {
        let text = String::from_utf8_lossy(&self.c2s);
        text.lines()
            .find(|l| l.starts_with("AUTH "))
            .unwrap_or_default()
            .to_owned()
    }

    fn authenticated(&self) -> bool {
        self.client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::Authenticated { .. }))
    }

    fn auth_failed_code(&self) -> Option<u16> {
        self.client_events.iter().find_map(|e| match e {
            ClientEvent::AuthFailed { reply, .. } => Some(reply.code().get()),
            _ => None,
        })
    }

    fn server_auth(&self) -> Option<&postwire_smtp_proto::server::Authentication> {
        self.server_events.iter().find_map(|e| match e {
            Event::Auth { authentication, .. } => Some(authentication),
            _ => None,
        })
    }
}

#[test]
fn scram_client_against_server_over_smtp_auth_rfc7677() {
    let mut duo = Duo::new(scram_config(), tls(binding(0, 0)), tls(binding(0, 0)));
    duo.secure();
    // No channel binding from the TLS layer: no -PLUS.
    assert_eq!(duo.offered(), ["SCRAM-SHA-256", "PLAIN", "LOGIN"]);
    duo.client
        .auth_with(duo.now, &Credentials::password("user", "pencil"))
        .unwrap();
    duo.pump();
    assert!(
        duo.auth_line().starts_with("AUTH SCRAM-SHA-256 "),
        "{}",
        duo.auth_line()
    );
    assert!(duo.authenticated(), "{:?}", duo.client_events);
    assert!(duo.client.is_authenticated());
    assert!(duo.server.is_authenticated());
    assert_eq!(duo.server_auth().unwrap().evidence, Evidence::Verified);
    assert!(duo.server_events.iter().any(|e| matches!(
        e,
        Event::NeedSecret { mechanism: Mechanism::ScramSha256, request, .. } if request.username == "user"
    )));
    // The client answered the server-final 334 with an empty line.
    assert!(String::from_utf8_lossy(&duo.c2s).contains("\r\n\r\n"));
}

#[test]
fn scram_plus_over_smtp_with_tls_exporter_rfc9266() {
    let both = binding(0x42, 0x17);
    let mut duo = Duo::new(scram_config(), tls(both.clone()), tls(both));
    duo.secure();
    assert_eq!(
        duo.offered(),
        ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "PLAIN", "LOGIN"]
    );
    duo.client
        .auth_with(duo.now, &Credentials::password("user", "pencil"))
        .unwrap();
    duo.pump();
    let line = duo.auth_line();
    assert!(line.starts_with("AUTH SCRAM-SHA-256-PLUS "), "{line}");
    let first = decode_base64(line.rsplit(' ').next().unwrap().as_bytes()).unwrap();
    assert!(first.starts_with(b"p=tls-exporter,,n=user,r="));
    assert!(duo.authenticated(), "{:?}", duo.client_events);
    assert!(duo.server_auth().unwrap().is_verified());
}

#[test]
fn scram_plus_over_smtp_with_tls_server_end_point_rfc5929() {
    let end_point = binding(0, 0x17);
    let mut duo = Duo::new(scram_config(), tls(end_point.clone()), tls(end_point));
    duo.secure();
    duo.client
        .auth_with(duo.now, &Credentials::password("user", "pencil"))
        .unwrap();
    duo.pump();
    let line = duo.auth_line();
    let first = decode_base64(line.rsplit(' ').next().unwrap().as_bytes()).unwrap();
    assert!(first.starts_with(b"p=tls-server-end-point,,"), "{line}");
    assert!(duo.authenticated(), "{:?}", duo.client_events);
}

#[test]
fn scram_plus_fails_when_the_channels_differ_rfc5802_6() {
    // A man in the middle terminates TLS: each side sees its own channel.
    let mut duo = Duo::new(scram_config(), tls(binding(1, 0)), tls(binding(2, 0)));
    duo.secure();
    duo.client
        .auth_with(duo.now, &Credentials::password("user", "pencil"))
        .unwrap();
    duo.pump();
    assert!(duo.auth_line().starts_with("AUTH SCRAM-SHA-256-PLUS "));
    assert!(!duo.authenticated());
    assert_eq!(duo.auth_failed_code(), Some(535));
    assert!(duo.server_auth().is_none());
    assert!(!duo.server.is_authenticated());
}

#[test]
fn scram_without_plus_from_a_binding_client_is_a_downgrade_rfc5802_6() {
    let both = binding(3, 0);
    let mut duo = Duo::new(scram_config(), tls(both.clone()), tls(both));
    duo.secure();
    // The application forces SCRAM-SHA-256 although -PLUS is offered; the
    // TLS session's binding reaches the prebuilt mechanism, so it sends "y".
    let mechanism = ClientMechanism::new(
        Mechanism::ScramSha256,
        &Credentials::password("user", "pencil"),
    )
    .unwrap();
    duo.client.auth(duo.now, mechanism).unwrap();
    duo.pump();
    let line = duo.auth_line();
    let first = decode_base64(line.rsplit(' ').next().unwrap().as_bytes()).unwrap();
    assert!(first.starts_with(b"y,,"), "{line}");
    assert_eq!(duo.auth_failed_code(), Some(535));
    assert!(
        !duo.server_events
            .iter()
            .any(|e| matches!(e, Event::NeedSecret { .. }))
    );
}

#[test]
fn wrong_password_and_unknown_user_get_the_same_535() {
    for credentials in [
        Credentials::password("user", "pencil2"),
        Credentials::password("nobody", "pencil"),
    ] {
        let mut duo = Duo::new(scram_config(), tls(binding(0, 0)), tls(binding(0, 0)));
        duo.secure();
        duo.client.auth_with(duo.now, &credentials).unwrap();
        duo.pump();
        assert_eq!(duo.auth_failed_code(), Some(535));
        // Both got a server-first challenge before failing.
        let c2s_lines = String::from_utf8_lossy(&duo.c2s).lines().count();
        assert!(c2s_lines >= 5, "{}", String::from_utf8_lossy(&duo.c2s));
        assert!(duo.server_auth().is_none());
    }
}

#[test]
fn scram_and_cram_are_not_offered_without_secret_lookup() {
    let mut config = scram_config();
    config.secret_lookup = false;
    config.extensions.auth.push(Mechanism::CramMd5);
    let mut duo = Duo::new(config, tls(binding(1, 1)), tls(binding(1, 1)));
    duo.secure();
    assert_eq!(duo.offered(), ["PLAIN", "LOGIN"]);
}

#[test]
fn cram_md5_is_offered_only_on_opt_in_rfc2195() {
    let mut config = scram_config();
    config.extensions.auth = vec![Mechanism::CramMd5, Mechanism::Plain];
    let mut duo = Duo::new(config.clone(), tls(binding(0, 0)), tls(binding(0, 0)));
    duo.secure();
    assert_eq!(duo.offered(), ["PLAIN"]);

    config.sasl.allow_plaintext_equivalent = true;
    let mut duo = Duo::new(config, tls(binding(0, 0)), tls(binding(0, 0)));
    duo.secure();
    assert_eq!(duo.offered(), ["CRAM-MD5", "PLAIN"]);
    duo.client
        .auth_with(duo.now, &Credentials::password("user", "pencil"))
        .unwrap();
    duo.pump();
    assert_eq!(duo.auth_line(), "AUTH CRAM-MD5");
    assert!(duo.authenticated(), "{:?}", duo.client_events);
    assert!(duo.server_auth().unwrap().is_verified());
}

#[test]
fn plain_and_login_stay_the_password_default() {
    let mut config = ServerConfig::new(Domain::new("mx.example").unwrap()).with_password_auth();
    config.extensions.starttls = true;
    let mut duo = Duo::new(config, tls(binding(1, 1)), tls(binding(1, 1)));
    duo.secure();
    assert_eq!(duo.offered(), ["PLAIN", "LOGIN"]);
    duo.client
        .auth_with(duo.now, &Credentials::password("user", "pencil"))
        .unwrap();
    duo.pump();
    assert!(duo.authenticated());
    assert!(duo.server_auth().unwrap().password_matches("pencil"));
}

// ------------------------------------------------ the server alone, exact bytes

/// A server after EHLO and TLS with this binding; returns it and `now`.
fn secured_server(config: ServerConfig, binding: ChannelBinding) -> (Server, Instant) {
    #[allow(clippy::disallowed_methods)]
    let now = Instant::now();
    let mut server = Server::new(now, config);
    server
        .handle_input(now, b"EHLO c.example\r\nSTARTTLS\r\n")
        .unwrap();
    while let Some(event) = server.poll_event() {
        server.accept(event.id().unwrap()).unwrap();
    }
    server.handle_tls_established(now, tls(binding)).unwrap();
    server.handle_input(now, b"EHLO c.example\r\n").unwrap();
    while let Some(event) = server.poll_event() {
        server.accept(event.id().unwrap()).unwrap();
    }
    while server.poll_transmit().is_some() {}
    (server, now)
}

fn written(server: &mut Server) -> String {
    let mut out = Vec::new();
    while let Some(t) = server.poll_transmit() {
        if let Transmit::Data(bytes) = t {
            out.extend_from_slice(&bytes);
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn rfc7677_3_exchange_over_smtp_auth_byte_for_byte_rfc4954_4() {
    let mut config = scram_config();
    config.sasl.nonce = Some("%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0".into());
    let (mut server, now) = secured_server(config, binding(0, 0));
    let rfc_stored = ScramCredentials::derive(
        "pencil",
        &decode_base64(b"W22ZaJ0SNY7soEsUEjb6gQ==").unwrap(),
        4096,
    )
    .unwrap();

    let line = format!(
        "AUTH SCRAM-SHA-256 {}\r\n",
        b64(b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO")
    );
    server.handle_input(now, line.as_bytes()).unwrap();
    let Some(Event::NeedSecret { id, request, .. }) = server.poll_event() else {
        panic!("NeedSecret first");
    };
    assert_eq!(request.kind, SecretKind::Scram);
    assert_eq!(server.awaiting(), Some(id));
    assert_eq!(server.poll_timeout(), None, "waiting for the application");
    assert_eq!(written(&mut server), "");
    // A positive answer would skip the check: refused.
    assert_eq!(server.accept(id), Err(UsageError::SecretExpected(id)));
    server
        .provide_secret(id, Some(StoredSecret::Scram(rfc_stored)))
        .unwrap();
    assert_eq!(
        written(&mut server),
        format!(
            "334 {}\r\n",
            b64(b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
        )
    );
    let client_final = b64(b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
    server
        .handle_input(now, format!("{client_final}\r\n").as_bytes())
        .unwrap();
    assert_eq!(
        written(&mut server),
        format!(
            "334 {}\r\n",
            b64(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
        )
    );
    assert!(
        server.poll_event().is_none(),
        "not done before the empty line"
    );
    server.handle_input(now, b"\r\n").unwrap();
    let Some(Event::Auth {
        id: auth_id,
        mechanism,
        authentication,
    }) = server.poll_event()
    else {
        panic!("Auth after the empty line");
    };
    assert_eq!(auth_id, id);
    assert_eq!(mechanism, Mechanism::ScramSha256);
    assert_eq!(authentication.username, "user");
    assert!(authentication.is_verified());
    server.accept(id).unwrap();
    assert_eq!(
        written(&mut server),
        "235 2.7.0 Authentication successful\r\n"
    );
    assert!(server.is_authenticated());
}

#[test]
fn a_secret_request_can_be_refused_with_any_failure_reply() {
    let (mut server, now) = secured_server(scram_config(), binding(0, 0));
    let line = format!("AUTH SCRAM-SHA-256 {}\r\nNOOP\r\n", b64(b"n,,n=user,r=abc"));
    server.handle_input(now, line.as_bytes()).unwrap();
    let Some(Event::NeedSecret { id, .. }) = server.poll_event() else {
        panic!("NeedSecret first");
    };
    // The pipelined NOOP waits for the answer, unparsed.
    assert!(server.poll_event().is_none());
    let temporary = postwire_smtp_proto::Reply::new(
        postwire_smtp_proto::ReplyCode::new(454).unwrap(),
        Some(postwire_smtp_proto::EnhancedStatusCode::new(4, 7, 0)),
        ["Temporary authentication failure"],
    )
    .unwrap();
    server.reply(id, temporary).unwrap();
    assert!(matches!(server.poll_event(), Some(Event::Noop { .. })));
    assert_eq!(
        written(&mut server),
        "454 4.7.0 Temporary authentication failure\r\n"
    );
    assert!(!server.is_authenticated());
    assert_eq!(
        server.provide_secret(id, None),
        Err(UsageError::NotAwaiting(id))
    );
}

#[test]
fn reject_token_sends_the_error_challenge_rfc7628_3_2_2() {
    let mut config = scram_config();
    config.extensions.auth = vec![Mechanism::OAuthBearer, Mechanism::Plain];
    let (mut server, now) = secured_server(config, binding(0, 0));
    let mut client = ClientMechanism::with_options(
        Mechanism::OAuthBearer,
        &Credentials::oauth2("user@example.com", "expired-token"),
        &ClientOptions::default(),
    )
    .unwrap();
    let ir = client.initial_response().unwrap();
    server
        .handle_input(
            now,
            format!("AUTH OAUTHBEARER {}\r\n", b64(ir.expose())).as_bytes(),
        )
        .unwrap();
    let Some(Event::Auth {
        id, authentication, ..
    }) = server.poll_event()
    else {
        panic!("Auth");
    };
    let Evidence::BearerToken { token, .. } = &authentication.evidence else {
        panic!("a token");
    };
    assert_eq!(token.expose(), "expired-token");
    let json = br#"{"status":"invalid_token"}"#;
    server.reject_token(id, json).unwrap();
    let challenge = written(&mut server);
    assert_eq!(challenge, format!("334 {}\r\n", b64(json)));
    let dummy = client
        .step(&decode_base64(&challenge.as_bytes()[4..challenge.len() - 2]).unwrap())
        .unwrap();
    assert_eq!(client.error_details(), Some(&json[..]));
    server
        .handle_input(now, format!("{}\r\n", b64(dummy.expose())).as_bytes())
        .unwrap();
    assert_eq!(
        written(&mut server),
        "535 5.7.8 Authentication credentials invalid\r\n"
    );
    assert!(!server.is_authenticated());

    // Not for other mechanisms.
    let (mut server, now) = secured_server(scram_config(), binding(0, 0));
    server
        .handle_input(
            now,
            format!("AUTH PLAIN {}\r\n", b64(b"\0user\0pencil")).as_bytes(),
        )
        .unwrap();
    let Some(Event::Auth { id, .. }) = server.poll_event() else {
        panic!("Auth");
    };
    assert_eq!(
        server.reject_token(id, b"{}"),
        Err(UsageError::NotTokenAuth(id))
    );
}

// --------------------------------------------------- the client alone

/// A client after greeting, EHLO (with `auth`), STARTTLS and EHLO again.
fn secured_client(auth: &str, info: TlsInfo) -> (Client, Instant) {
    #[allow(clippy::disallowed_methods)]
    let now = Instant::now();
    let config = ClientConfig::new(Host::Domain(Domain::new("client.example").unwrap()));
    let mut client = Client::new(now, config);
    client.handle_input(now, b"220 mx ESMTP\r\n").unwrap();
    client.ehlo(now).unwrap();
    client
        .handle_input(now, b"250-mx\r\n250 STARTTLS\r\n")
        .unwrap();
    client.starttls(now).unwrap();
    client.handle_input(now, b"220 go\r\n").unwrap();
    client.handle_tls_established(now, info).unwrap();
    client.ehlo(now).unwrap();
    client
        .handle_input(now, format!("250-mx\r\n250 AUTH {auth}\r\n").as_bytes())
        .unwrap();
    while client.poll_event().is_some() {}
    while client.poll_transmit().is_some() {}
    (client, now)
}

fn sent(client: &mut Client) -> String {
    let mut out = Vec::new();
    while let Some(t) = client.poll_transmit() {
        if let Transmit::Data(bytes) = t {
            out.extend_from_slice(&bytes);
        }
    }
    String::from_utf8(out).unwrap()
}

/// Drives the client through the RFC 7677 exchange up to the server-final
/// message.
fn client_awaiting_server_final() -> (Client, Instant) {
    let (mut client, now) = secured_client("SCRAM-SHA-256", tls(binding(0, 0)));
    let options = ClientOptions::default().with_nonce("rOprNGfwEbeRWgbNEkqO");
    let mechanism = ClientMechanism::with_options(
        Mechanism::ScramSha256,
        &Credentials::password("user", "pencil"),
        &options,
    )
    .unwrap();
    client.auth(now, mechanism).unwrap();
    assert_eq!(
        sent(&mut client),
        format!(
            "AUTH SCRAM-SHA-256 {}\r\n",
            b64(b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO")
        )
    );
    let server_first = b64(
        b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    );
    client
        .handle_input(now, format!("334 {server_first}\r\n").as_bytes())
        .unwrap();
    assert_eq!(
        sent(&mut client),
        format!("{}\r\n", b64(b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="))
    );
    (client, now)
}

#[test]
fn client_answers_the_server_final_challenge_with_an_empty_line_rfc4954_4() {
    let (mut client, now) = client_awaiting_server_final();
    let server_final = b64(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
    client
        .handle_input(now, format!("334 {server_final}\r\n").as_bytes())
        .unwrap();
    assert_eq!(sent(&mut client), "\r\n");
    client
        .handle_input(now, b"235 2.7.0 Authentication successful\r\n")
        .unwrap();
    assert!(client.is_authenticated());
    assert_eq!(client.sasl_error(), None);
}

#[test]
fn client_refuses_235_before_the_server_proved_itself_rfc5802_5() {
    let (mut client, now) = client_awaiting_server_final();
    let result = client.handle_input(now, b"235 2.7.0 Authentication successful\r\n");
    assert!(
        matches!(result, Err(ClientError::UnexpectedReply { .. })),
        "{result:?}"
    );
    assert!(!client.is_authenticated());
}

#[test]
fn client_cancels_on_a_wrong_server_signature_rfc5802_5() {
    let (mut client, now) = client_awaiting_server_final();
    let forged = b64(b"v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
    client
        .handle_input(now, format!("334 {forged}\r\n").as_bytes())
        .unwrap();
    assert_eq!(sent(&mut client), "*\r\n");
    assert_eq!(
        client.sasl_error(),
        Some(SaslError::ServerSignatureMismatch)
    );
    client
        .handle_input(now, b"501 5.7.0 Authentication cancelled\r\n")
        .unwrap();
    assert!(!client.is_authenticated());
}

#[test]
fn client_picks_plus_only_with_channel_binding() {
    let (mut client, now) =
        secured_client("SCRAM-SHA-256-PLUS SCRAM-SHA-256 PLAIN", tls(binding(0, 0)));
    client
        .auth_with(now, &Credentials::password("user", "pencil"))
        .unwrap();
    assert!(sent(&mut client).starts_with("AUTH SCRAM-SHA-256 "));

    let (mut client, now) =
        secured_client("SCRAM-SHA-256-PLUS SCRAM-SHA-256 PLAIN", tls(binding(7, 0)));
    client
        .auth_with(now, &Credentials::password("user", "pencil"))
        .unwrap();
    let line = sent(&mut client);
    assert!(line.starts_with("AUTH SCRAM-SHA-256-PLUS "), "{line}");
    let first = decode_base64(line.trim_end().rsplit(' ').next().unwrap().as_bytes()).unwrap();
    assert!(first.starts_with(b"p=tls-exporter,,"));
}
