//! [`serve`]: one connection, from greeting to close.

use futures_io::{AsyncRead, AsyncWrite};
use postwire_core::CommandId;
use postwire_io::{Connection, TlsRole};
use postwire_smtp_proto::server::{Event, Mechanism, Server};

use super::handler::{BodySink, Decision, Envelope, Handler, Session};
use super::options::{ServerOptions, TlsMode};

/// Why a connection ended with an error. Every error is final: the
/// connection is closed, and a body in progress was
/// [`abort`](BodySink::abort)ed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The stream, TLS or the protocol failed (idle timeout, too many bad
    /// commands, STARTTLS injection, bare line endings in data under the
    /// reject policy...). The machine's `421`/`550` went out first when
    /// the stream still worked.
    #[error(transparent)]
    Connection(#[from] postwire_io::Error<postwire_smtp_proto::server::Error>),
}

/// Where the message data of the current transaction goes.
enum BodyState<B> {
    /// No data yet.
    Idle,
    /// The handler's sink takes the content.
    Writing(B),
    /// The sink failed; the rest is discarded and the end answered `451`.
    Failed,
    /// BDAT arrived and the handler refused the message: its chunks are
    /// discarded and the end gets this reply (RFC 3030 §2 answers chunks
    /// before the handler could refuse the first).
    Refused(postwire_smtp_proto::Reply),
}

/// Serves one SMTP connection with `handler`'s policy, from the greeting
/// to QUIT, an error or the client's disconnect; returns what the session
/// knew at the end.
///
/// The protocol machine ([`postwire_smtp_proto::server::Server`]) checks
/// syntax, order, limits and the STARTTLS and AUTH rules and writes those
/// replies itself; the handler is asked only for decisions. Commands with
/// no policy (RSET, NOOP, VRFY, EXPN, HELP, QUIT) get the machine's
/// standard reply (VRFY: `252`; EXPN: `502`). STARTTLS is accepted when
/// the options hold a TLS configuration; after it the session (greeting,
/// identity, envelope) starts over (RFC 3207 §4.2).
///
/// Message content streams: each piece goes to the [`BodySink`] before the
/// next is read from the client, so memory stays bounded by the driver's
/// read buffer whatever the message size. Under BDAT the handler's
/// [`data_start`](Handler::data_start) is called on the first chunk.
///
/// A reply the machine cannot send for a step (a `354` to MAIL, a `2xx` to
/// refuse DATA) is replaced by that step's standard refusal.
pub async fn serve<IO, H>(
    io: IO,
    options: &ServerOptions,
    mut handler: H,
) -> Result<Session, ServeError>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    H: Handler,
{
    let clock = options.clock.clone();
    let server = Server::new(options.clock.now(), options.session_config());
    let mut conn = match (&options.tls, options.tls_mode) {
        (Some(tls), TlsMode::Implicit) => {
            Connection::new_implicit_tls(io, server, clock, TlsRole::server(tls.clone()))?
        }
        (Some(tls), TlsMode::StartTls) => {
            Connection::new_starttls(io, server, clock, TlsRole::server(tls.clone()))
        }
        (None, _) => Connection::new(io, server, clock),
    }
    .with_config(options.io.clone());
    if let Some(factory) = &options.transcript {
        conn.set_transcript(factory(), crate::SmtpRedactor::for_server());
    }

    let mut session = Session::default();
    let mut envelope: Option<Envelope> = None;
    let mut body: BodyState<H::Body> = BodyState::Idle;
    loop {
        let event = match conn.next_event().await {
            Ok(Some(event)) => event,
            Ok(None) => break,
            Err(error) => {
                abort(&mut body).await;
                return Err(error.into());
            }
        };
        session.tls = conn.is_tls();
        match event {
            Event::Helo { id, kind, client } => {
                envelope = None;
                let decision = handler.helo(&session, &client).await;
                let accepted = answer(&mut conn, id, decision);
                session.helo = accepted.then_some(client);
                session.helo_kind = accepted.then_some(kind);
                session.helo_nonstandard = None;
            }
            Event::HeloNonstandard { id, kind, name } => {
                // A name that is no `ClientId` (`EHLO my_host`, taken by
                // `Quirks::lenient_helo`, as Postfix does).
                envelope = None;
                let decision = handler.helo_nonstandard(&session, kind, &name).await;
                let accepted = answer(&mut conn, id, decision);
                session.helo = None;
                session.helo_kind = accepted.then_some(kind);
                session.helo_nonstandard = accepted.then_some(name);
            }
            Event::Mail { id, from, params } => {
                let decision = handler.mail_from(&session, &from, &params).await;
                if answer(&mut conn, id, decision) {
                    envelope = Some(Envelope {
                        from,
                        params,
                        recipients: Vec::new(),
                    });
                }
            }
            Event::Rcpt { id, to, params } => {
                let decision = handler.rcpt_to(&session, &to, &params).await;
                if answer(&mut conn, id, decision)
                    && let Some(envelope) = &mut envelope
                {
                    envelope.recipients.push((to, params));
                }
            }
            Event::DataStart { id } => {
                abort(&mut body).await;
                let started = match &envelope {
                    Some(envelope) => handler.data_start(&session, envelope).await,
                    None => Err(standard_refusal()),
                };
                match started {
                    Ok(sink) => {
                        body = BodyState::Writing(sink);
                        accept(&mut conn, id);
                    }
                    Err(reply) => answer_reply(&mut conn, id, reply),
                }
            }
            Event::DataChunk(chunk) => {
                if matches!(body, BodyState::Idle) {
                    body = start_bdat(&mut handler, &session, envelope.as_ref()).await;
                }
                if let BodyState::Writing(sink) = &mut body
                    && sink.write_chunk(chunk).await.is_err()
                {
                    abort(&mut body).await;
                    body = BodyState::Failed;
                }
            }
            Event::DataEnd { id, .. } => {
                if matches!(body, BodyState::Idle) {
                    body = start_bdat(&mut handler, &session, envelope.as_ref()).await;
                }
                let reply = match std::mem::replace(&mut body, BodyState::Idle) {
                    BodyState::Writing(sink) => sink.finish().await,
                    BodyState::Refused(reply) => reply,
                    BodyState::Failed | BodyState::Idle => local_error(),
                };
                if reply.code().is_positive() {
                    session.messages += 1;
                }
                answer_reply(&mut conn, id, reply);
                envelope = None;
            }
            Event::DataAborted { .. } => {
                abort(&mut body).await;
                envelope = None;
            }
            Event::Auth {
                id,
                mechanism,
                authentication,
            } => {
                let identity = handler
                    .authenticate(&session, &mechanism, &authentication)
                    .await;
                match identity {
                    Some(identity) => {
                        session.authenticated = Some(identity);
                        accept(&mut conn, id);
                    }
                    None if matches!(mechanism, Mechanism::XOAuth2 | Mechanism::OAuthBearer) => {
                        match handler
                            .token_error(&session, &mechanism, &authentication)
                            .await
                        {
                            // The id comes from the event just taken, a
                            // token mechanism: the machine takes the error.
                            Some(error) => {
                                let _ = conn.protocol_mut().reject_token(id, &error);
                            }
                            None => reject(&mut conn, id),
                        }
                    }
                    None => reject(&mut conn, id),
                }
            }
            Event::NeedSecret {
                id,
                mechanism,
                request,
            } => {
                let secret = handler.lookup_secret(&session, &mechanism, &request).await;
                // The id comes from the event just taken: the machine awaits
                // exactly this secret.
                let _ = conn.protocol_mut().provide_secret(id, secret);
            }
            Event::StartTls { id } => {
                if options.tls.is_some() {
                    accept(&mut conn, id);
                    // RFC 3207 §4.2: everything learnt before TLS is void.
                    session = Session {
                        messages: session.messages,
                        ..Session::default()
                    };
                    envelope = None;
                } else {
                    reject(&mut conn, id);
                }
            }
            Event::Rset { id } => {
                abort(&mut body).await;
                envelope = None;
                handler.reset(&session).await;
                accept(&mut conn, id);
            }
            Event::BadCommand { .. } | Event::Disconnected { .. } => {}
            other => {
                if let Some(id) = other.id() {
                    accept(&mut conn, id);
                }
            }
        }
    }
    abort(&mut body).await;
    Ok(session)
}

/// Starts the body of a BDAT transaction on its first chunk.
async fn start_bdat<H: Handler>(
    handler: &mut H,
    session: &Session,
    envelope: Option<&Envelope>,
) -> BodyState<H::Body> {
    let started = match envelope {
        Some(envelope) => handler.data_start(session, envelope).await,
        None => Err(standard_refusal()),
    };
    match started {
        Ok(sink) => BodyState::Writing(sink),
        Err(reply) if reply.code().is_positive() || reply.code().is_intermediate() => {
            BodyState::Refused(standard_refusal())
        }
        Err(reply) => BodyState::Refused(reply),
    }
}

async fn abort<B: BodySink>(body: &mut BodyState<B>) {
    if let BodyState::Writing(sink) = std::mem::replace(body, BodyState::Idle) {
        sink.abort().await;
    }
}

type Conn<IO> = Connection<Server, IO>;

/// Sends the handler's decision; whether it was positive.
fn answer<IO: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut Conn<IO>,
    id: CommandId,
    decision: Decision,
) -> bool {
    match decision {
        Decision::Accept => {
            accept(conn, id);
            true
        }
        Decision::Reject => {
            reject(conn, id);
            false
        }
        Decision::Reply(reply) => {
            let positive = reply.code().is_positive();
            answer_reply(conn, id, reply);
            positive
        }
    }
}

fn accept<IO: AsyncRead + AsyncWrite + Unpin>(conn: &mut Conn<IO>, id: CommandId) {
    // The id comes from the event just taken: the machine awaits it.
    let _ = conn.protocol_mut().accept(id);
}

fn reject<IO: AsyncRead + AsyncWrite + Unpin>(conn: &mut Conn<IO>, id: CommandId) {
    let _ = conn.protocol_mut().reject(id);
}

/// Sends `reply`, or the standard refusal when its code does not fit.
fn answer_reply<IO: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut Conn<IO>,
    id: CommandId,
    reply: postwire_smtp_proto::Reply,
) {
    if conn.protocol_mut().reply(id, reply).is_err() {
        reject(conn, id);
    }
}

/// `554 5.7.1 Transaction refused` (RFC 5321 §4.2.3, RFC 3463 §3.8).
fn standard_refusal() -> postwire_smtp_proto::Reply {
    fixed_reply(554, (5, 7, 1), "Transaction refused")
}

/// `451 4.3.0` (RFC 5321 §4.2.3: local error in processing).
fn local_error() -> postwire_smtp_proto::Reply {
    fixed_reply(451, (4, 3, 0), "Local error in processing")
}

fn fixed_reply(code: u16, enhanced: (u8, u16, u16), text: &str) -> postwire_smtp_proto::Reply {
    // Constants of this module only: never peer or caller input.
    super::handler::reply(code, enhanced, text).expect("a valid constant reply")
}
