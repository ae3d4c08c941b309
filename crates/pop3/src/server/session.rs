//! [`serve`]: one connection, from greeting to close.

use std::io;

use futures_io::{AsyncRead, AsyncWrite};
use futures_lite::AsyncReadExt;
use postwire_core::CommandId;
use postwire_io::Connection;
use postwire_pop3_proto::server::{Event, Maildrop, MessageFlow, Server};
use postwire_pop3_proto::{MessageNumber, Response, Timestamp, UniqueId};
use postwire_sasl::server::{SecretKind, StoredSecret};
use ring::rand::{SecureRandom, SystemRandom};

use super::options::{ServerOptions, TlsMode};
use super::store::{Decision, Login, MailStore, Session};
use crate::Pop3Redactor;

/// Why a connection ended with an error. Every error is final: the
/// connection is closed, nothing was deleted unless the client's QUIT was
/// answered, and the maildrop was [`release`](MailStore::release)d.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The stream, TLS or the protocol failed (idle timeout, too many bad
    /// commands or failed logins, STLS injection, too much pipelined
    /// input).
    #[error(transparent)]
    Connection(#[from] postwire_io::Error<postwire_pop3_proto::server::Error>),
    /// The client took no message content for longer than
    /// [`ServerOptions::write_timeout`].
    #[error("timed out writing message content")]
    WriteTimeout,
    /// The store failed to read a message after part of it was sent: a
    /// multi-line answer cannot be taken back, so the connection was
    /// closed.
    #[error("reading a message from the store failed: {0}")]
    Read(#[source] io::Error),
}

type Conn<IO> = Connection<Server, IO>;

/// Serves one POP3 connection from `store`, from the greeting to QUIT, an
/// error or the client's disconnect; returns what the session knew at the
/// end.
///
/// The protocol machine ([`postwire_pop3_proto::server::Server`]) checks
/// syntax, states, limits and the STLS and login rules, and answers CAPA,
/// STAT, LIST, UIDL, DELE, RSET and NOOP itself from the listing that
/// [`MailStore::open`] returned; the store is asked only for credentials,
/// listings, content and deletions. STLS is offered when the options hold
/// a TLS configuration in [`TlsMode::StartTls`]; a login before TLS is
/// refused unless `config.allow_plaintext_auth`. A failed login is answered
/// after `config.timeouts.auth_failure_delay` (2 s by default; the driver
/// runs the machine's timer) and too many close the connection.
///
/// Message content streams: each piece read from the store is dot-stuffed
/// and written before the next is read, so memory stays near
/// [`ServerOptions::chunk_size`] whatever the message size.
///
/// Messages are deleted only through [`MailStore::delete`] after QUIT
/// (RFC 1939 §6): a dropped connection, a timeout or an error deletes
/// nothing.
pub async fn serve<IO, S>(
    io: IO,
    options: &ServerOptions,
    mut store: S,
) -> Result<Session, ServeError>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    S: MailStore,
{
    let clock = options.clock.clone();
    let now = options.clock.now();
    let config = options.session_config(&store);
    let timestamp = if options.offers_apop(&store) {
        apop_timestamp(&config.hostname)
    } else {
        None
    };
    let server = match timestamp {
        Some(timestamp) => Server::with_apop_timestamp(now, config, timestamp),
        None => Server::new(now, config),
    };
    let mut conn = match (options.role(), options.tls_mode) {
        (Some(role), TlsMode::Implicit) => Connection::new_implicit_tls(io, server, clock, role)?,
        (Some(role), TlsMode::StartTls) => Connection::new_starttls(io, server, clock, role),
        (None, _) => Connection::new(io, server, clock),
    }
    .with_config(options.io.clone());
    if let Some(factory) = &options.transcript {
        conn.set_transcript(factory(), Pop3Redactor::for_server());
    }
    let mut session = Session::default();
    let mut opened = false;
    let result = run(&mut conn, options, &mut store, &mut session, &mut opened).await;
    if opened {
        store.release(&session).await;
    }
    result.map(|()| session)
}

/// The event loop of [`serve`].
async fn run<IO, S>(
    conn: &mut Conn<IO>,
    options: &ServerOptions,
    store: &mut S,
    session: &mut Session,
    opened: &mut bool,
) -> Result<(), ServeError>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    S: MailStore,
{
    while let Some(event) = conn.next_event().await? {
        session.tls = conn.is_tls();
        match event {
            Event::StartTls { id } => {
                if options.tls.is_some() {
                    accept(conn, id);
                } else {
                    reject(conn, id);
                }
            }
            Event::Login {
                id,
                username,
                password,
            } => {
                let login = Login::Password {
                    username: &username,
                    password: &password,
                };
                let decision = store.authenticate(session, login).await;
                decide(conn, id, decision);
            }
            Event::Auth {
                id,
                mechanism,
                authentication,
            } => {
                let login = Login::Sasl {
                    mechanism: &mechanism,
                    authentication: &authentication,
                };
                let decision = store.authenticate(session, login).await;
                decide(conn, id, decision);
            }
            Event::Apop { id, username, .. } => {
                let secret = match lookup(store, session, &username, SecretKind::Plaintext).await {
                    Some(StoredSecret::Plaintext(secret)) => Some(secret),
                    _ => None,
                };
                let secret = secret.as_ref().map(|s| s.expose().as_str());
                // The machine computes the digest and compares it in
                // constant time (RFC 1939 §7).
                if conn.protocol_mut().apop_secret(id, secret).is_err() {
                    reject(conn, id);
                }
            }
            Event::AuthSecret { id, request } => {
                let secret = lookup(store, session, &request.username, request.kind).await;
                if conn.protocol_mut().provide_secret(id, secret).is_err() {
                    reject(conn, id);
                }
            }
            Event::OpenMaildrop { id, username } => match store.open(session, &username).await {
                Ok(entries) => {
                    *opened = true;
                    session.user = Some(username);
                    if conn
                        .protocol_mut()
                        .open_maildrop(id, Maildrop::new(entries))
                        .is_err()
                    {
                        reject(conn, id);
                    }
                }
                Err(response) => refuse(conn, id, response),
            },
            Event::Retrieve { id, msg, uid, .. } => {
                retrieve(conn, options, store, session, id, msg, &uid).await?;
            }
            Event::Update { id, deleted } => match store.delete(session, &deleted).await {
                Ok(()) => accept(conn, id),
                Err(_) => reject(conn, id),
            },
            Event::BadCommand { .. } | Event::Disconnected { .. } => {}
            other => {
                // An event this facade does not know yet: refuse it.
                if let Some(id) = other.id() {
                    reject(conn, id);
                }
            }
        }
    }
    Ok(())
}

/// The store's secret for `username`, if it keeps that kind.
async fn lookup<S: MailStore>(
    store: &mut S,
    session: &Session,
    username: &str,
    kind: SecretKind,
) -> Option<StoredSecret> {
    if store.supports_secret(kind) {
        store.secret(session, username, kind).await
    } else {
        None
    }
}

/// Streams one message from the store: read a chunk, stuff and write it,
/// then read the next.
async fn retrieve<IO, S>(
    conn: &mut Conn<IO>,
    options: &ServerOptions,
    store: &mut S,
    session: &Session,
    id: CommandId,
    msg: MessageNumber,
    uid: &UniqueId,
) -> Result<(), ServeError>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    S: MailStore,
{
    let mut message = match store.read(session, msg, uid).await {
        Ok(message) => message,
        Err(_) => {
            reject(conn, id);
            return Ok(());
        }
    };
    let chunk_size = options.chunk_size.max(1);
    let mut buffer = vec![0; chunk_size];
    let mut started = false;
    loop {
        let n = match message.read(&mut buffer).await {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) if !started => {
                reject(conn, id);
                return Ok(());
            }
            Err(e) => {
                // Part of the answer is out: only closing ends it.
                let _ = conn.protocol_mut().abort_message(id);
                let _ = conn.close().await;
                return Err(ServeError::Read(e));
            }
        };
        if n == 0 {
            break;
        }
        started = true;
        let Ok(flow) = conn.protocol_mut().message_data(id, &buffer[..n]) else {
            break;
        };
        write_chunk(conn, options, chunk_size).await?;
        if flow == MessageFlow::Done {
            break;
        }
    }
    // Ends the content (the machine adds the terminating `.` line).
    let _ = conn.protocol_mut().message_end(id);
    Ok(())
}

/// Writes until at most `max_buffered` octets are queued, within the write
/// timeout: a client that stops reading mid-message cannot hold the
/// connection forever (the machine's idle timer does not run while it
/// sends).
async fn write_chunk<IO>(
    conn: &mut Conn<IO>,
    options: &ServerOptions,
    max_buffered: usize,
) -> Result<(), ServeError>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let deadline = options.clock.now() + options.write_timeout;
    let sleep = options.clock.sleep_until(deadline);
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
        None => Err(ServeError::WriteTimeout),
    }
}

/// A fresh APOP timestamp, `<random@hostname>` (RFC 1939 §7: unique per
/// connection; random, so it cannot be predicted to replay a digest).
fn apop_timestamp(hostname: &str) -> Option<Timestamp> {
    let mut random = [0u8; 12];
    SystemRandom::new().fill(&mut random).ok()?;
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    Timestamp::new(&format!("<{hex}@{hostname}>"))
        .or_else(|_| Timestamp::new(&format!("<{hex}@localhost>")))
        .ok()
}

fn decide<IO: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut Conn<IO>,
    id: CommandId,
    decision: Decision,
) {
    match decision {
        Decision::Accept => accept(conn, id),
        Decision::Reject => reject(conn, id),
        Decision::Reply(response) => refuse(conn, id, response),
    }
}

fn accept<IO: AsyncRead + AsyncWrite + Unpin>(conn: &mut Conn<IO>, id: CommandId) {
    // The id comes from the event just taken: the machine awaits it.
    let _ = conn.protocol_mut().accept(id);
}

fn reject<IO: AsyncRead + AsyncWrite + Unpin>(conn: &mut Conn<IO>, id: CommandId) {
    let _ = conn.protocol_mut().reject(id);
}

/// Sends the application's `-ERR`, or the standard refusal when it is a
/// `+OK` (which cannot refuse) or does not fit.
fn refuse<IO: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut Conn<IO>,
    id: CommandId,
    response: Response,
) {
    if response.is_ok() || conn.protocol_mut().reply(id, response).is_err() {
        reject(conn, id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apop_timestamps_are_valid_and_differ_rfc1939_7() {
        let a = apop_timestamp("pop.example.org").unwrap();
        let b = apop_timestamp("pop.example.org").unwrap();
        assert_ne!(a, b);
        assert!(a.as_str().starts_with('<') && a.as_str().ends_with("@pop.example.org>"));
        // A host name that cannot go in a msg-id falls back to localhost.
        let c = apop_timestamp("bad host<>").unwrap();
        assert!(c.as_str().ends_with("@localhost>"));
    }
}
