//! Sends one message with the `postwire-smtp` client facade on tokio:
//! connect, STARTTLS (or implicit TLS), AUTH, the message, QUIT.
//!
//! ```text
//! cargo run --example send -- --server HOST:PORT [--tls starttls|implicit|none]
//!     [--ca-file PEM | --insecure] [--user U --password P] [--allow-plaintext-auth]
//!     --from ADDR --to ADDR [--to ADDR]... [--eml FILE]
//! ```
//!
//! The message is read from `--eml FILE`, or from standard input, and sent
//! as it is (the facade never touches the header). `--tls` defaults to
//! `starttls`, which is required: a server without it is an error. Prints
//! one line per recipient (`ADDR: accepted` or `ADDR: refused CODE TEXT`)
//! and the final reply (`final reply: CODE TEXT`, one per transaction when
//! the server deferred recipients with 452). Exit status: 0 when every
//! recipient was accepted, 1 when only some were, 2 on any other failure.

use std::io::Read;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use postwire_io::{Clock, Sleep};
use postwire_sasl::client::Credentials;
use postwire_smtp::client::{ClientOptions, RecipientStatus, SmtpClient, Tls, TlsConfig};
use postwire_smtp_proto::client::Envelope;
use postwire_smtp_proto::{ForwardPath, Mailbox, Reply, ReversePath};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio_util::compat::TokioAsyncReadCompatExt;

#[derive(Clone, Copy, PartialEq, Eq)]
enum TlsMode {
    StartTls,
    Implicit,
    None,
}

struct Options {
    server: String,
    tls: TlsMode,
    ca_file: Option<String>,
    insecure: bool,
    user: Option<String>,
    password: Option<String>,
    allow_plaintext_auth: bool,
    from: String,
    to: Vec<String>,
    eml: Option<String>,
}

fn parse_options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut o = Options {
        server: String::new(),
        tls: TlsMode::StartTls,
        ca_file: None,
        insecure: false,
        user: None,
        password: None,
        allow_plaintext_auth: false,
        from: String::new(),
        to: Vec::new(),
        eml: None,
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--server" => o.server = value()?,
            "--tls" => {
                o.tls = match value()?.as_str() {
                    "starttls" => TlsMode::StartTls,
                    "implicit" => TlsMode::Implicit,
                    "none" => TlsMode::None,
                    other => {
                        return Err(format!(
                            "--tls {other}: expected starttls, implicit or none"
                        ));
                    }
                }
            }
            "--ca-file" => o.ca_file = Some(value()?),
            "--insecure" => o.insecure = true,
            "--user" => o.user = Some(value()?),
            "--password" => o.password = Some(value()?),
            "--allow-plaintext-auth" => o.allow_plaintext_auth = true,
            "--from" => o.from = value()?,
            "--to" => o.to.push(value()?),
            "--eml" => o.eml = Some(value()?),
            other => return Err(format!("unknown option {other}")),
        }
    }
    if o.server.is_empty() || o.from.is_empty() || o.to.is_empty() {
        return Err("--server, --from and at least one --to are required".into());
    }
    if o.user.is_some() != o.password.is_some() {
        return Err("--user and --password go together".into());
    }
    if o.ca_file.is_some() && o.insecure {
        return Err("--ca-file and --insecure exclude each other".into());
    }
    Ok(o)
}

/// Timers from tokio.
struct TokioClock;

impl Clock for TokioClock {
    fn sleep_until(&self, deadline: Instant) -> Sleep {
        Box::pin(tokio::time::sleep_until(deadline.into()))
    }
}

fn tls_config(o: &Options) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    match &o.ca_file {
        Some(path) => {
            for cert in CertificateDer::pem_file_iter(path).map_err(|e| format!("{path}: {e}"))? {
                roots
                    .add(cert.map_err(|e| format!("{path}: {e}"))?)
                    .map_err(|e| format!("{path}: {e}"))?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let config = if o.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(insecure::AcceptAnything(provider)))
            .with_no_client_auth()
    } else {
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    Ok(Arc::new(config))
}

fn mailbox(text: &str) -> Result<Mailbox, String> {
    Mailbox::parse(text).map_err(|e| format!("{text}: {e}"))
}

fn show(reply: &Reply) -> String {
    format!("{} {}", reply.code(), reply.text().replace('\n', " / "))
}

/// What happened to the message, for the exit status.
struct Outcome {
    accepted: usize,
    refused: usize,
}

async fn run(o: &Options, message: &[u8]) -> Result<Outcome, String> {
    let host = o
        .server
        .rsplit_once(':')
        .map_or(o.server.as_str(), |(h, _)| h)
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let mut envelope = Envelope::new(ReversePath::Mailbox(mailbox(&o.from)?));
    for to in &o.to {
        envelope = envelope.to(ForwardPath::Mailbox(mailbox(to)?));
    }
    let tls = match o.tls {
        TlsMode::None => Tls::None,
        mode => {
            let name = ServerName::try_from(host.clone()).map_err(|e| format!("{host}: {e}"))?;
            let config = TlsConfig::new(tls_config(o)?, name);
            if mode == TlsMode::Implicit {
                Tls::Implicit(config)
            } else {
                Tls::StartTls(config)
            }
        }
    };
    let mut options =
        ClientOptions::new(tls, TokioClock).allow_plaintext_auth(o.allow_plaintext_auth);
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
    let report = client
        .send(envelope, message)
        .await
        .map_err(|e| e.to_string())?;
    let mut outcome = Outcome {
        accepted: 0,
        refused: 0,
    };
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
    let options = match parse_options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("send: {e}");
            return ExitCode::from(2);
        }
    };
    let mut message = Vec::new();
    let read = match &options.eml {
        Some(path) => std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut message)),
        None => std::io::stdin().read_to_end(&mut message),
    };
    if let Err(e) = read {
        eprintln!("send: reading the message: {e}");
        return ExitCode::from(2);
    }
    match run(&options, &message).await {
        Ok(o) if o.refused == 0 && o.accepted > 0 => ExitCode::SUCCESS,
        Ok(o) if o.accepted > 0 => ExitCode::from(1),
        Ok(_) => {
            eprintln!("send: no recipient accepted");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("send: {e}");
            ExitCode::from(2)
        }
    }
}

/// `--insecure`: accept any certificate. For test servers only.
mod insecure {
    use std::sync::Arc;

    use rustls::DigitallySignedStruct;
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::crypto::CryptoProvider;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

    #[derive(Debug)]
    pub(crate) struct AcceptAnything(pub(crate) Arc<CryptoProvider>);

    impl ServerCertVerifier for AcceptAnything {
        fn verify_server_cert(
            &self,
            _end_entity: &CertificateDer<'_>,
            _intermediates: &[CertificateDer<'_>],
            _server_name: &ServerName<'_>,
            _ocsp: &[u8],
            _now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }
}
