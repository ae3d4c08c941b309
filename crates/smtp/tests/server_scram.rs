//! SCRAM-SHA-256-PLUS end to end over real TLS (rustls): the server
//! facade asks the handler for the stored keys, and the channel binding
//! that `postwire-io` exports on both sides matches (RFC 5802, RFC 7677,
//! RFC 9266).

mod server_support;

use std::sync::{Arc, Mutex};

use postwire_sasl::client::Credentials;
use postwire_smtp::server::{
    Authentication, Decision, Envelope, Handler, Mechanism, ScramCredentials, SecretKind,
    SecretRequest, ServerOptions, Session, StoredSecret, TlsMode, serve,
};
use postwire_smtp_proto::client::Event;
use postwire_smtp_proto::server::ServerConfig;
use postwire_smtp_proto::{Domain, ForwardPath, RcptParameters, Reply};
use postwire_testkit::{ServerCert, TestPki, duplex};
use server_support::{MemorySink, TestClient, TokioClock, client_config, now};

/// Knows `alice` with SCRAM keys for `secret`; records what it was asked.
struct ScramPolicy {
    keys: ScramCredentials,
    calls: Arc<Mutex<Vec<String>>>,
}

impl Handler for ScramPolicy {
    type Body = MemorySink;

    async fn rcpt_to(&mut self, _: &Session, _: &ForwardPath, _: &RcptParameters) -> Decision {
        Decision::Accept
    }

    async fn lookup_secret(
        &mut self,
        _: &Session,
        mechanism: &Mechanism,
        request: &SecretRequest,
    ) -> Option<StoredSecret> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("secret {mechanism} {}", request.username));
        (request.username == "alice" && request.kind == SecretKind::Scram)
            .then(|| StoredSecret::Scram(self.keys.clone()))
    }

    async fn authenticate(
        &mut self,
        _: &Session,
        mechanism: &Mechanism,
        authentication: &Authentication,
    ) -> Option<String> {
        self.calls.lock().unwrap().push(format!(
            "auth {mechanism} {} verified={}",
            authentication.username,
            authentication.is_verified()
        ));
        authentication
            .is_verified()
            .then(|| authentication.username.clone())
    }

    async fn data_start(&mut self, _: &Session, _: &Envelope) -> Result<MemorySink, Reply> {
        Err(postwire_smtp::server::reply(554, (5, 7, 1), "no mail here").unwrap())
    }
}

fn options() -> ServerOptions {
    let config = ServerConfig::new(Domain::new("mx.test").unwrap()).with_scram_auth();
    let tls = TestPki::shared().server_config(ServerCert::Valid);
    ServerOptions::new(config, TokioClock).with_tls(Arc::new(tls), TlsMode::StartTls)
}

async fn attempt(password: &str) -> (Event, Vec<String>, Vec<String>) {
    let (a, b) = duplex(64 * 1024);
    let calls = Arc::new(Mutex::new(Vec::new()));
    let policy = ScramPolicy {
        keys: ScramCredentials::derive("secret", b"per-user-salt-16", 4096).unwrap(),
        calls: calls.clone(),
    };
    let server = tokio::spawn(async move { serve(b, &options(), policy).await });
    let mut client = TestClient::new(a, client_config(true, false));
    client.open(true).await;
    let offered: Vec<String> = client
        .conn
        .protocol()
        .capabilities()
        .unwrap()
        .auth
        .iter()
        .map(|m| m.as_str().to_owned())
        .collect();
    client
        .conn
        .protocol_mut()
        .auth_with(now(), &Credentials::password("alice", password))
        .unwrap();
    let event = client.next().await;
    client.quit().await;
    server.await.unwrap().unwrap();
    let calls = calls.lock().unwrap().clone();
    (event, offered, calls)
}

#[tokio::test]
async fn scram_sha_256_plus_over_starttls_with_rustls_channel_binding_rfc9266() {
    let (event, offered, calls) = attempt("secret").await;
    assert_eq!(
        offered,
        ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "PLAIN", "LOGIN"]
    );
    assert!(matches!(event, Event::Authenticated { .. }), "{event:?}");
    assert_eq!(
        calls,
        [
            "secret SCRAM-SHA-256-PLUS alice",
            "auth SCRAM-SHA-256-PLUS alice verified=true"
        ]
    );
}

#[tokio::test]
async fn scram_with_a_wrong_password_gets_535_rfc4954_4() {
    let (event, _, calls) = attempt("guess").await;
    let Event::AuthFailed { reply, .. } = event else {
        panic!("expected AuthFailed, got {event:?}");
    };
    assert_eq!(reply.code().get(), 535);
    // The handler was asked for the keys, never to authenticate.
    assert_eq!(calls, ["secret SCRAM-SHA-256-PLUS alice"]);
}
