//! Sends one message with `postwire-smtp-proto` driven by hand over a
//! blocking `std::net::TcpStream`: no async runtime, no `postwire-io`. It
//! shows that the sans-IO machine stands alone; the whole driver is the
//! `run` loop below.
//!
//! ```text
//! cargo run --example blocking_send -- --server HOST:PORT [--tls starttls|none]
//!     [--ca-file PEM | --insecure] [--user U --password P] [--allow-plaintext-auth]
//!     --from ADDR --to ADDR [--to ADDR]... [--eml FILE]
//! ```
//!
//! The message is read from `--eml FILE`, or from standard input. Prints one
//! line per recipient (`accepted` or `refused CODE TEXT`) and the final
//! reply. Exit status: 0 when every recipient was accepted, 1 when only some
//! were, 2 on any other failure.

// This file is the driver: it owns the clock and hands `now` to the machine.
#![allow(clippy::disallowed_methods)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use common::{Outcome, SendOptions, TlsMode, exit_status, mailbox, show};

use postwire_core::{Protocol, Secret, TlsInfo, TlsVersion, Transmit};
use postwire_sasl::client::Credentials;
use postwire_smtp_proto::client::{
    BodyInfo, Client, ClientConfig, Envelope, Event, StartTlsPolicy,
};
use postwire_smtp_proto::{Domain, ForwardPath, Host, Mailbox, ReversePath};
use rustls::pki_types::ServerName;

mod common;

/// The socket, before or after STARTTLS.
enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
    Upgrading,
}

impl Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
            Stream::Upgrading => unreachable!("no read during the upgrade"),
        }
    }

    fn write_all(&mut self, data: &[u8]) -> std::io::Result<()> {
        match self {
            Stream::Plain(s) => s.write_all(data),
            Stream::Tls(s) => s.write_all(data).and_then(|()| s.flush()),
            Stream::Upgrading => unreachable!("no write during the upgrade"),
        }
    }

    fn socket(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => s.get_ref(),
            Stream::Upgrading => unreachable!("no socket during the upgrade"),
        }
    }
}

/// Runs the handshake on the socket the plaintext session used.
fn upgrade(
    stream: Stream,
    config: Arc<rustls::ClientConfig>,
    host: &str,
) -> Result<(Stream, TlsInfo), String> {
    let Stream::Plain(mut socket) = stream else {
        return Err("STARTTLS on a TLS stream".into());
    };
    let name = ServerName::try_from(host.to_owned()).map_err(|e| e.to_string())?;
    let mut tls = rustls::ClientConnection::new(config, name).map_err(|e| e.to_string())?;
    while tls.is_handshaking() {
        tls.complete_io(&mut socket)
            .map_err(|e| format!("TLS handshake: {e}"))?;
    }
    let version = match tls.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => TlsVersion::Tls13,
        Some(rustls::ProtocolVersion::TLSv1_2) => TlsVersion::Tls12,
        Some(other) => TlsVersion::Other(u16::from(other)),
        None => return Err("handshake finished without a version".into()),
    };
    let info = TlsInfo::new(version);
    Ok((
        Stream::Tls(Box::new(rustls::StreamOwned::new(tls, socket))),
        info,
    ))
}

fn run(o: &SendOptions, message: &[u8]) -> Result<Outcome, String> {
    let host = o.host().to_owned();
    let tls = o.tls_config()?;
    let socket = TcpStream::connect(&o.server).map_err(|e| format!("connect {}: {e}", o.server))?;
    socket.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut stream = Stream::Plain(socket);

    let mut config = ClientConfig::new(Host::Domain(
        Domain::new("localhost").map_err(|e| e.to_string())?,
    ));
    config.starttls = if o.tls == TlsMode::StartTls {
        StartTlsPolicy::Required
    } else {
        StartTlsPolicy::Disabled
    };
    config.allow_plaintext_auth = o.allow_plaintext_auth;
    let credentials = match (&o.user, &o.password) {
        (Some(user), Some(password)) => Some(Credentials::Password {
            authzid: None,
            username: user.clone(),
            password: Secret::new(password.clone()),
        }),
        _ => None,
    };
    let from = ReversePath::Mailbox(mailbox(&o.from)?);
    let mut pending: Vec<String> = o.to.clone();
    let mut outcome = Outcome {
        accepted: 0,
        refused: 0,
    };
    let mut in_flight: Vec<String> = Vec::new();

    let mut client = Client::new(Instant::now(), config);
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        // 1. Write what the machine asks for.
        while let Some(transmit) = client.poll_transmit() {
            match transmit {
                Transmit::Data(bytes) => stream
                    .write_all(&bytes)
                    .map_err(|e| format!("write: {e}"))?,
                Transmit::StartTls => {
                    let (upgraded, info) = upgrade(
                        std::mem::replace(&mut stream, Stream::Upgrading),
                        tls.clone(),
                        &host,
                    )?;
                    stream = upgraded;
                    println!("TLS established ({:?})", info.version);
                    client
                        .handle_tls_established(Instant::now(), info)
                        .map_err(|e| e.to_string())?;
                }
                Transmit::Close => return Ok(outcome),
            }
        }
        // 2. Act on what happened.
        let now = Instant::now();
        let mut acted = false;
        while let Some(event) = client.poll_event() {
            acted = true;
            let step = match event {
                Event::Greeting { reply } if reply.code().get() == 220 => {
                    client.ehlo(now).map(drop)
                }
                Event::Greeting { reply } => {
                    return Err(format!("server refused us: {}", show(&reply)));
                }
                Event::TlsEstablished { .. } => client.ehlo(now).map(drop),
                Event::Ehlo { capabilities, .. } => {
                    if o.tls == TlsMode::StartTls && !client.is_tls() {
                        client.starttls(now).map(drop)
                    } else if let (Some(credentials), false) =
                        (&credentials, client.is_authenticated())
                    {
                        if capabilities.auth.is_empty() {
                            return Err("the server offers no AUTH".into());
                        }
                        client.auth_with(now, credentials).map(drop)
                    } else {
                        start_transaction(
                            &mut client,
                            now,
                            &from,
                            &mut pending,
                            &mut in_flight,
                            message,
                        )
                    }
                }
                Event::Authenticated { .. } => start_transaction(
                    &mut client,
                    now,
                    &from,
                    &mut pending,
                    &mut in_flight,
                    message,
                ),
                Event::AuthFailed { reply, .. } => {
                    return Err(format!("AUTH failed: {}", show(&reply)));
                }
                Event::Envelope { result, .. } => {
                    for (index, reply) in &result.refused {
                        println!("{}: refused {}", in_flight[*index], show(reply));
                        outcome.refused += 1;
                    }
                    for (index, _) in &result.deferred {
                        pending.push(in_flight[*index].clone());
                    }
                    in_flight = result
                        .accepted
                        .iter()
                        .map(|&i| in_flight[i].clone())
                        .collect();
                    Ok(())
                }
                Event::ReadyForBody { .. } => client
                    .send_body(now, message)
                    .and_then(|()| client.finish_body(now)),
                Event::MessageAccepted { reply, .. } => {
                    for to in in_flight.drain(..) {
                        println!("{to}: accepted");
                        outcome.accepted += 1;
                    }
                    println!("final reply: {}", show(&reply));
                    next_or_quit(
                        &mut client,
                        now,
                        &from,
                        &mut pending,
                        &mut in_flight,
                        message,
                    )
                }
                Event::TransactionFailed { reply, .. } => {
                    for to in in_flight.drain(..) {
                        println!("{to}: refused {}", show(&reply));
                        outcome.refused += 1;
                    }
                    next_or_quit(
                        &mut client,
                        now,
                        &from,
                        &mut pending,
                        &mut in_flight,
                        message,
                    )
                }
                Event::Rejected { reply, .. } => return Err(format!("refused: {}", show(&reply))),
                Event::Closed => return Ok(outcome),
                _ => Ok(()),
            };
            step.map_err(|e| e.to_string())?;
        }
        if acted {
            continue;
        }
        // 3. Wait for the server, no longer than the machine allows.
        let timeout = client
            .poll_timeout()
            .map(|deadline| deadline.saturating_duration_since(Instant::now()));
        stream
            .socket()
            .set_read_timeout(timeout.map(|t| t.max(std::time::Duration::from_millis(1))))
            .map_err(|e| e.to_string())?;
        let result = match stream.read(&mut buf) {
            Ok(0) => client.handle_eof(Instant::now()),
            Ok(n) => client.handle_input(Instant::now(), &buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                client.handle_timeout(Instant::now())
            }
            Err(e) => return Err(format!("read: {e}")),
        };
        result.map_err(|e| e.to_string())?;
    }
}

/// MAIL, RCPT... for every recipient still to be tried.
fn start_transaction(
    client: &mut Client,
    now: Instant,
    from: &ReversePath,
    pending: &mut Vec<String>,
    in_flight: &mut Vec<String>,
    message: &[u8],
) -> Result<(), postwire_smtp_proto::client::UsageError> {
    let mut envelope = Envelope::new(from.clone());
    *in_flight = std::mem::take(pending);
    for to in in_flight.iter() {
        match Mailbox::parse(to) {
            Ok(mailbox) => envelope = envelope.to(ForwardPath::Mailbox(mailbox)),
            Err(e) => unreachable!("checked before connecting: {to}: {e}"),
        }
    }
    client
        .send_mail(now, envelope, BodyInfo::from_content(message))
        .map(drop)
}

/// Recipients deferred with 452 get a transaction of their own (RFC 5321
/// §4.5.3.1.10); then QUIT.
fn next_or_quit(
    client: &mut Client,
    now: Instant,
    from: &ReversePath,
    pending: &mut Vec<String>,
    in_flight: &mut Vec<String>,
    message: &[u8],
) -> Result<(), postwire_smtp_proto::client::UsageError> {
    if pending.is_empty() {
        client.quit(now).map(drop)
    } else {
        start_transaction(client, now, from, pending, in_flight, message)
    }
}

fn main() -> ExitCode {
    let result = SendOptions::parse(false).and_then(|options| {
        options
            .read_message()
            .and_then(|message| run(&options, &message))
    });
    exit_status("blocking_send", result)
}
