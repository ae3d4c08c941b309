//! postwire end to end, in one process: build a message, send it over
//! SMTP, fetch it over POP3, parse it, and check that nothing was lost.
//!
//! ```text
//! cargo run --example demo
//! ```
//!
//! 1. Starts the `mailserver` example's server (`examples/mailstore/`) on
//!    ephemeral 127.0.0.1 ports, with a throwaway CA and a certificate for
//!    `localhost`, users `alice` and `bob`, mail kept in memory.
//! 2. Builds a message with `postwire-mime`: non-ASCII subject and names,
//!    a text and an HTML alternative, a binary attachment with a non-ASCII
//!    file name.
//! 3. Sends it as alice with `SmtpClient`: STARTTLS (the certificate
//!    checked against the CA), AUTH with the strongest mechanism both sides
//!    offer (SCRAM-SHA-256-PLUS, bound to the TLS session).
//! 4. Fetches it as bob with `Pop3Client`: STLS, SASL (SCRAM again), STAT,
//!    UIDL, RETR, DELE, QUIT; then checks that the maildrop is empty.
//! 5. Parses what came back and compares subject, addresses, both bodies
//!    and the attachment bytes with what was built.
//!
//! Each step prints one line with its time. The exit status is 0 when every
//! step passed, 1 with the failing step named otherwise.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use postwire_io::{Direction, Transcript};
use postwire_mime::Message;
use postwire_mime::build::{Attachment, MessageBuilder};
use postwire_pop3::client::{ClientOptions as Pop3Options, Pop3Client};
use postwire_smtp::client::{ClientOptions, Credentials, Envelope, SmtpClient, Tls, TlsConfig};
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_util::compat::TokioAsyncReadCompatExt;

mod common;
#[macro_use]
mod mailstore;

use common::TokioClock;
use mailstore::tls::ServerTls;

const ALICE: (&str, &str) = ("alice", "correct horse battery staple");
const BOB: (&str, &str) = ("bob", "Tr0ub4dor&3");

const SUBJECT: &str = "Grüße aus Zürich — 東京の写真 ✉";
const ALICE_NAME: &str = "Zoë Martín-Ørsted";
const BOB_NAME: &str = "Бобър Иванов";
const TEXT: &str = "Hallo Bob,\n\nanbei die Übersicht. Lines may start with a dot:\n.like this one\n..and this\n\nZoë\n";
const HTML: &str = "<p>Hallo Bob,</p>\n<p>anbei die <b>Übersicht</b>.</p>\n<p>.like this one</p>\n";
const FILE_NAME: &str = "Übersicht 2026 — 資料.bin";

/// A step that failed, and why.
struct Failure {
    step: &'static str,
    error: String,
}

/// Turns any error into a [`Failure`] of `step`.
trait Context<T> {
    fn context(self, step: &'static str) -> Result<T, Failure>;
}

impl<T, E: std::fmt::Display> Context<T> for Result<T, E> {
    fn context(self, step: &'static str) -> Result<T, Failure> {
        self.map_err(|e| Failure {
            step,
            error: e.to_string(),
        })
    }
}

/// Fails `step` unless `ok`.
fn check(ok: bool, step: &'static str, what: impl Into<String>) -> Result<(), Failure> {
    if ok {
        Ok(())
    } else {
        Err(Failure {
            step,
            error: what.into(),
        })
    }
}

/// The monotonic clock, for the step timings. The libraries never read a
/// clock; an example program may.
#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

#[allow(clippy::disallowed_methods)]
fn unix_time() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn millis(since: Instant) -> String {
    format!("{:.1} ms", since.elapsed().as_secs_f64() * 1000.0)
}

/// Keeps the AUTH command lines of a transcript (already redacted by the
/// protocol's redactor: the mechanism name stays, the data does not).
#[derive(Clone, Default)]
struct AuthLines(Arc<Mutex<Vec<String>>>);

impl Transcript for AuthLines {
    fn record(&mut self, direction: Direction, line: &[u8]) {
        if direction == Direction::Outgoing && line.starts_with(b"AUTH ") {
            let mut lines = self.0.lock().unwrap_or_else(|e| e.into_inner());
            lines.push(String::from_utf8_lossy(line).into_owned());
        }
    }
}

impl AuthLines {
    fn first(&self) -> String {
        let lines = self.0.lock().unwrap_or_else(|e| e.into_inner());
        lines
            .first()
            .cloned()
            .unwrap_or_else(|| "(none)".to_owned())
    }
}

/// A binary attachment holding every byte value, in a pattern no text
/// encoding would survive unchanged.
fn attachment_bytes() -> Vec<u8> {
    (0..64 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

fn client_tls(
    ca: &rustls::pki_types::CertificateDer<'static>,
) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.clone()).map_err(|e| e.to_string())?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

fn localhost() -> ServerName<'static> {
    ServerName::try_from("localhost").expect("a valid DNS name")
}

async fn run() -> Result<(), Failure> {
    // 1. The server.
    let step = "start the mail server";
    let t = now();
    let tls = ServerTls::generate().context(step)?;
    let ca = tls.generated_ca.clone().ok_or("no CA").context(step)?;
    let loopback: SocketAddr = ([127, 0, 0, 1], 0).into();
    let running = mailstore::start(mailstore::Config {
        users: [ALICE, BOB]
            .iter()
            .map(|(u, p)| (u.to_string(), p.to_string()))
            .collect(),
        maildir: None,
        max_size: 10 * 1024 * 1024,
        tls,
        smtp: Some(loopback),
        pop3: Some(loopback),
    })
    .await
    .context(step)?;
    let (Some(smtp_addr), Some(pop3_addr)) = (running.smtp, running.pop3) else {
        return Err("a listener is missing").context(step);
    };
    println!(
        "1. mail server up: SMTP {smtp_addr}, POP3 {pop3_addr} ({})",
        millis(t)
    );
    let client_tls = client_tls(&ca).context(step)?;

    // 2. The message.
    let step = "build the message";
    let t = now();
    let attachment = attachment_bytes();
    let builder = MessageBuilder::new()
        .from((ALICE_NAME, "alice@localhost"))
        .to((BOB_NAME, "bob@localhost"))
        .subject(SUBJECT)
        .date(unix_time(), 60)
        .message_id_from_parts(unix_time().to_be_bytes(), "localhost")
        .text(TEXT)
        .html(HTML)
        .attach(
            Attachment::new("application/octet-stream", attachment.clone()).filename(FILE_NAME),
        );
    let requirement = builder.requirement().context(step)?;
    let sender = builder.envelope_sender().map(str::to_owned);
    let recipients: Vec<String> = builder
        .envelope_recipients()
        .into_iter()
        .map(str::to_owned)
        .collect();
    let built = builder.build().context(step)?;
    let declare = if requirement.needs_smtputf8() {
        "SMTPUTF8"
    } else if requirement.needs_8bitmime() {
        "BODY=8BITMIME"
    } else {
        "nothing (7bit)"
    };
    println!(
        "2. built a {} octet message: text + HTML alternative, a {} octet attachment; SMTP must declare {declare} ({})",
        built.len(),
        attachment.len(),
        millis(t)
    );

    // 3. SMTP.
    let step = "send over SMTP";
    let t = now();
    let auth_lines = AuthLines::default();
    let options = ClientOptions::new(
        Tls::StartTls(TlsConfig::new(client_tls.clone(), localhost())),
        TokioClock,
    )
    .credentials(Credentials::password(ALICE.0, ALICE.1))
    .transcript(auth_lines.clone());
    let tcp = TcpStream::connect(smtp_addr).await.context(step)?;
    let mut smtp = SmtpClient::connect(tcp.compat(), options)
        .await
        .context(step)?;
    let version = smtp.tls_info().map(|i| format!("{:?}", i.version));
    let mut envelope = Envelope::parse(sender.as_deref().unwrap_or_default()).context(step)?;
    for recipient in &recipients {
        envelope = envelope.to(recipient.parse().context(step)?);
    }
    let report = smtp.send(envelope, &built).await.context(step)?;
    check(
        report.all_accepted(),
        step,
        format!("not every recipient was accepted: {report:?}"),
    )?;
    smtp.quit().await.context(step)?;
    println!(
        "3. sent as {}: STARTTLS ({}), `{}`, recipients accepted: {} ({})",
        ALICE.0,
        version.unwrap_or_else(|| "no TLS".to_owned()),
        auth_lines.first(),
        report.recipients.len(),
        millis(t)
    );

    // 4. POP3.
    let step = "fetch over POP3";
    let t = now();
    let auth_lines = AuthLines::default();
    let options = Pop3Options::new(
        Tls::StartTls(TlsConfig::new(client_tls.clone(), localhost())),
        TokioClock,
    )
    .transcript(auth_lines.clone());
    let tcp = TcpStream::connect(pop3_addr).await.context(step)?;
    let mut pop3 = Pop3Client::connect(tcp.compat(), options)
        .await
        .context(step)?;
    pop3.authenticate(&Credentials::password(BOB.0, BOB.1))
        .await
        .context(step)?;
    let stat = pop3.stat().await.context(step)?;
    check(
        stat.count == 1,
        step,
        format!("{} messages, want 1", stat.count),
    )?;
    let uidl = pop3.uidl().await.context(step)?;
    let fetched = pop3.retr_to_vec(1).await.context(step)?;
    check(
        fetched.len() as u64 == stat.size,
        step,
        format!(
            "RETR gave {} octets, STAT said {}",
            fetched.len(),
            stat.size
        ),
    )?;
    pop3.dele(1).await.context(step)?;
    pop3.quit().await.context(step)?;
    println!(
        "4. fetched as {}: STLS, `{}`, 1 message of {} octets, uid {} ({})",
        BOB.0,
        auth_lines.first(),
        fetched.len(),
        uidl.first().map(|u| u.uid.as_str()).unwrap_or("?"),
        millis(t)
    );

    let step = "check the maildrop is empty after DELE and QUIT";
    let options = Pop3Options::new(
        Tls::StartTls(TlsConfig::new(client_tls, localhost())),
        TokioClock,
    );
    let tcp = TcpStream::connect(pop3_addr).await.context(step)?;
    let mut pop3 = Pop3Client::connect(tcp.compat(), options)
        .await
        .context(step)?;
    pop3.login(BOB.0, BOB.1).await.context(step)?;
    let left = pop3.stat().await.context(step)?.count;
    pop3.quit().await.context(step)?;
    check(left == 0, step, format!("{left} message(s) left"))?;

    // 5. Parse and compare.
    let t = now();
    compare(&fetched, &attachment)?;
    println!(
        "5. parsed: subject, From, To, text, HTML and the attachment are identical ({})",
        millis(t)
    );
    Ok(())
}

/// Checks what came back against what was built.
fn compare(fetched: &[u8], attachment: &[u8]) -> Result<(), Failure> {
    let step = "parse and compare";
    let message = Message::parse(fetched).context(step)?;
    let subject = message.subject();
    check(
        subject.as_deref() == Some(SUBJECT),
        step,
        format!("subject {subject:?}"),
    )?;
    let from = message.from().ok_or("no From").context(step)?;
    let from = from.mailboxes().next().ok_or("empty From").context(step)?;
    check(
        from.name.as_deref() == Some(ALICE_NAME) && from.address == "alice@localhost",
        step,
        format!("From {from:?}"),
    )?;
    let to = message.to().ok_or("no To").context(step)?;
    let to = to.mailboxes().next().ok_or("empty To").context(step)?;
    check(
        to.name.as_deref() == Some(BOB_NAME) && to.address == "bob@localhost",
        step,
        format!("To {to:?}"),
    )?;
    // Text travels in canonical form (CRLF line breaks, RFC 2046 §4.1.1).
    let canonical = |s: &str| s.replace('\n', "\r\n");
    let leaf = |subtype: &str| {
        message
            .parts()
            .find(|p| p.children().is_empty() && p.content_type().is("text", subtype))
            .and_then(|p| p.text())
    };
    let text = leaf("plain").ok_or("no text/plain part").context(step)?;
    check(text == canonical(TEXT), step, format!("text {text:?}"))?;
    let html = leaf("html").ok_or("no text/html part").context(step)?;
    check(html == canonical(HTML), step, format!("html {html:?}"))?;
    let file = message
        .attachments()
        .next()
        .ok_or("no attachment")
        .context(step)?;
    check(
        file.filename().as_deref() == Some(FILE_NAME),
        step,
        format!("file name {:?}", file.filename()),
    )?;
    check(
        file.decoded_body()[..] == *attachment,
        step,
        "attachment bytes differ",
    )?;
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let t = now();
    mailstore::QUIET.store(true, std::sync::atomic::Ordering::Relaxed);
    println!("postwire demo: build, send (SMTP), fetch (POP3), parse; all on 127.0.0.1\n");
    let result = tokio::time::timeout(Duration::from_secs(60), run()).await;
    match result {
        Ok(Ok(())) => {
            println!("\nall steps passed in {}", millis(t));
            ExitCode::SUCCESS
        }
        Ok(Err(failure)) => {
            println!("\nFAILED at step \"{}\": {}", failure.step, failure.error);
            ExitCode::FAILURE
        }
        Err(_) => {
            println!("\nFAILED: no answer within 60 s");
            ExitCode::FAILURE
        }
    }
}
