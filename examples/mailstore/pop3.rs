//! POP3 (RFC 1939) over the same store: STLS, then USER/PASS or SASL
//! (SCRAM-SHA-256-PLUS, SCRAM-SHA-256, PLAIN, LOGIN); a maildrop is locked
//! while a session holds it, and DELE takes effect only at QUIT.

use std::io;
use std::sync::Arc;

use postwire_pop3::server::{
    self, ConnectionLimit, Decision, Login, MailStore, MaildropEntry, Mechanism, SecretKind,
    ServerConfig, ServerOptions, Session, StoredSecret, TlsMode,
};
use postwire_pop3_proto::{MessageNumber, Response, ResponseCode, UniqueId};
use tokio::net::TcpListener;
use tokio_util::compat::TokioAsyncReadCompatExt;

use super::store::Content;
use super::tls::ServerTls;
use super::{Accepted, HOSTNAME, MAX_CONNECTIONS, Store, accepted, spawn};
use crate::common::TokioClock;

/// The POP3 server's settings: STLS with the server certificate, SASL.
pub(crate) fn options(tls: &ServerTls) -> Arc<ServerOptions> {
    let mut config = ServerConfig::new(HOSTNAME);
    config.banner = "postwire mailserver".to_owned();
    config.sasl = vec![
        Mechanism::ScramSha256Plus,
        Mechanism::ScramSha256,
        Mechanism::Plain,
        Mechanism::Login,
    ];
    let mut options =
        ServerOptions::new(config, TokioClock).with_tls(tls.config.clone(), TlsMode::StartTls);
    options.tls_certificate = Some(tls.certificate.clone());
    // APOP needs the plaintext password at hand on every login; SCRAM does
    // the same job without it.
    options.apop = false;
    Arc::new(options)
}

/// Accepts connections until the process ends.
pub(crate) async fn run(listener: TcpListener, options: Arc<ServerOptions>, store: Arc<Store>) {
    let busy = options.clone();
    let _ = postwire_io::serve_each(
        accepted(listener, "pop3"),
        ConnectionLimit::new(MAX_CONNECTIONS),
        move |Accepted { socket, peer, conn }| {
            let options = options.clone();
            let maildrop = Pop3 {
                store: store.clone(),
                conn,
            };
            async move {
                match server::serve(socket.compat(), &options, maildrop).await {
                    Ok(session) => log!(
                        "pop3 conn {conn} from {peer}: closed{}{}",
                        if session.tls { ", tls" } else { "" },
                        session
                            .user
                            .map(|u| format!(", user {u}"))
                            .unwrap_or_default()
                    ),
                    Err(e) => log!("pop3 conn {conn} from {peer}: {e}"),
                }
            }
        },
        move |Accepted { socket, peer, conn }| {
            log!("pop3 conn {conn} from {peer}: too many connections");
            let options = busy.clone();
            async move {
                let _ = server::reject_busy(socket.compat(), &options).await;
            }
        },
        spawn,
    )
    .await;
}

/// One POP3 connection's view of the store.
struct Pop3 {
    store: Arc<Store>,
    conn: u64,
}

/// A `-ERR [CODE] text` answer (RFC 2449 §8).
fn refusal(code: ResponseCode, text: &str) -> Response {
    Response::err(text)
        .expect("a constant text without CR or LF")
        .with_code(code)
}

impl MailStore for Pop3 {
    type Message = Content;

    async fn authenticate(&mut self, _: &Session, login: Login<'_>) -> Decision {
        let user = login.username();
        let ok = login.authzid().is_none_or(|a| a == user)
            && if login.is_verified() {
                self.store.exists(user)
            } else {
                self.store.password_ok(user, |p| login.password_matches(p))
            };
        log!(
            "pop3 conn {} login {user} {}",
            self.conn,
            if ok { "ok" } else { "failed" }
        );
        if ok {
            Decision::Accept
        } else {
            Decision::Reject
        }
    }

    fn supports_secret(&self, kind: SecretKind) -> bool {
        kind == SecretKind::Scram
    }

    async fn secret(&mut self, _: &Session, user: &str, kind: SecretKind) -> Option<StoredSecret> {
        match kind {
            SecretKind::Scram => self.store.scram(user).map(StoredSecret::Scram),
            _ => None,
        }
    }

    async fn open(&mut self, _: &Session, user: &str) -> Result<Vec<MaildropEntry>, Response> {
        if !self.store.lock_maildrop(user) {
            return Err(refusal(ResponseCode::InUse, "maildrop already locked"));
        }
        let stored = match self.store.list(user).await {
            Ok(stored) => stored,
            Err(e) => {
                log!("pop3 conn {} listing {user}: {e}", self.conn);
                self.store.unlock_maildrop(user);
                return Err(refusal(ResponseCode::SysTemp, "maildrop unavailable"));
            }
        };
        let mut entries = Vec::with_capacity(stored.len());
        for message in stored {
            // A name that is no valid unique-id (RFC 1939 §7: 1 to 70
            // printable characters) came from elsewhere: leave it out.
            match UniqueId::new(&message.uid) {
                Ok(uid) => entries.push(MaildropEntry::new(message.size, uid)),
                Err(_) => log!("pop3 conn {} skipping {}", self.conn, message.uid),
            }
        }
        Ok(entries)
    }

    async fn read(
        &mut self,
        session: &Session,
        _: MessageNumber,
        uid: &UniqueId,
    ) -> io::Result<Content> {
        let user = session.user.as_deref().unwrap_or_default();
        self.store.open(user, uid.as_str()).await
    }

    async fn delete(
        &mut self,
        session: &Session,
        messages: &[(MessageNumber, UniqueId)],
    ) -> io::Result<()> {
        let user = session.user.as_deref().unwrap_or_default();
        let uids: Vec<&str> = messages.iter().map(|(_, uid)| uid.as_str()).collect();
        log!("pop3 conn {} {user}: {} deleted", self.conn, uids.len());
        self.store.delete(user, &uids).await
    }

    async fn release(&mut self, session: &Session) {
        if let Some(user) = &session.user {
            self.store.unlock_maildrop(user);
        }
    }
}
