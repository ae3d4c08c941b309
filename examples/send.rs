//! Sends one message with the `postwire-smtp` client facade on tokio:
//! connect, STARTTLS (or implicit TLS), AUTH, the message, QUIT.
//!
//! ```text
//! cargo run --example send -- --server HOST:PORT [--tls starttls|implicit|none]
//!     [--ca-file PEM | --insecure] [--user U --password P] [--allow-plaintext-auth]
//!     --from ADDR --to ADDR [--to ADDR]...
//!     [--eml FILE | [--subject S] [--text FILE] [--html FILE] [--attach FILE]...]
//! ```
//!
//! The message is read from `--eml FILE` and sent as it is (the facade
//! never touches the header), or composed with postwire-mime's
//! `MessageBuilder` from `--subject`, `--text`, `--html` and `--attach`
//! (From and To from the envelope, Date from the system clock, attachments
//! base64-encoded as they are read from their files), declaring
//! `BODY=8BITMIME` and `SMTPUTF8` as the builder says the message needs
//! (recipients deferred with 452 are then reported, not retried); without
//! either, it is read from
//! standard input and sent as it is. `--tls` defaults to
//! `starttls`, which is required: a server without it is an error. Prints
//! one line per recipient (`ADDR: accepted` or `ADDR: refused CODE TEXT`)
//! and the final reply (`final reply: CODE TEXT`, one per transaction when
//! the server deferred recipients with 452). Exit status: 0 when every
//! recipient was accepted, 1 when only some were, 2 on any other failure.

use std::process::ExitCode;

use common::{Outcome, SendOptions, TlsMode, exit_status, mailbox, show};

use postwire_mime::build::BodyRequirement;
use postwire_sasl::client::Credentials;
use postwire_smtp::client::{BodyInfo, ClientOptions, RecipientStatus, SmtpClient, Tls, TlsConfig};
use postwire_smtp_proto::client::Envelope;
use postwire_smtp_proto::{ForwardPath, ReversePath};
use rustls::pki_types::ServerName;
use tokio_util::compat::TokioAsyncReadCompatExt;

mod common;

async fn run(
    o: &SendOptions,
    message: &[u8],
    requirement: Option<BodyRequirement>,
) -> Result<Outcome, String> {
    let host = o.host().to_owned();
    let mut envelope = Envelope::new(ReversePath::Mailbox(mailbox(&o.from)?));
    for to in &o.to {
        envelope = envelope.to(ForwardPath::Mailbox(mailbox(to)?));
    }
    let tls = match o.tls {
        TlsMode::None => Tls::None,
        mode => {
            let name = ServerName::try_from(host.clone()).map_err(|e| format!("{host}: {e}"))?;
            let config = TlsConfig::new(o.tls_config()?, name);
            if mode == TlsMode::Implicit {
                Tls::Implicit(config)
            } else {
                Tls::StartTls(config)
            }
        }
    };
    let mut options =
        ClientOptions::new(tls, common::TokioClock).allow_plaintext_auth(o.allow_plaintext_auth);
    if let (Some(user), Some(password)) = (&o.user, &o.password) {
        options = options.credentials(Credentials::password(user.clone(), password.clone()));
    }

    let socket = tokio::net::TcpStream::connect(&o.server)
        .await
        .map_err(|e| format!("connect {}: {e}", o.server))?;
    socket.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut client = SmtpClient::connect(socket.compat(), options)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(info) = client.tls_info() {
        println!("TLS established ({:?})", info.version);
    }
    let report = match requirement {
        // A composed message: declare what the builder says it needs.
        Some(requirement) => {
            let mut info = BodyInfo::default();
            info.size = Some(message.len() as u64);
            info.eight_bit = requirement.needs_8bitmime();
            info.utf8_headers = requirement.needs_smtputf8();
            client
                .send_reader_with(envelope, message.compat(), info)
                .await
        }
        None => client.send(envelope, message).await,
    }
    .map_err(|e| e.to_string())?;
    let mut outcome = Outcome::default();
    for (to, (_, status)) in o.to.iter().zip(&report.recipients) {
        match status {
            RecipientStatus::Accepted => {
                println!("{to}: accepted");
                outcome.accepted += 1;
            }
            RecipientStatus::Refused(reply) | RecipientStatus::Deferred(reply) => {
                println!("{to}: refused {}", show(reply));
                outcome.refused += 1;
            }
            other => {
                println!("{to}: refused ({other:?})");
                outcome.refused += 1;
            }
        }
    }
    for reply in report.final_reply.iter().chain(&report.follow_up_replies) {
        println!("final reply: {}", show(reply));
    }
    // The message is delivered or refused by now; a failed QUIT changes
    // nothing about that.
    if let Err(e) = client.quit().await {
        eprintln!("send: quit: {e}");
    }
    Ok(outcome)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let result = match SendOptions::parse(true) {
        Ok(options) => match options.message() {
            Ok((message, requirement)) => run(&options, &message, requirement).await,
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    exit_status("send", result)
}
