//! What the examples share: the send examples' command line, the rustls
//! client configuration, the tokio clock, and how results are shown and
//! turned into an exit status. Each example uses a part of it.

#![allow(dead_code)]

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use postwire_mime::build::{Attachment, BodyRequirement, MessageBuilder};
use postwire_smtp_proto::{Mailbox, Reply};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// Timers from tokio, for the drivers' protocol timeouts.
pub(crate) struct TokioClock;

impl postwire_io::Clock for TokioClock {
    fn sleep_until(&self, deadline: std::time::Instant) -> postwire_io::Sleep {
        Box::pin(tokio::time::sleep_until(deadline.into()))
    }
}

/// How the connection is protected (`--tls`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TlsMode {
    /// `starttls` (the default): STARTTLS, required.
    StartTls,
    /// `implicit`: TLS from the first byte (port 465).
    Implicit,
    /// `none`: plaintext.
    None,
}

/// The command line of both send examples.
pub(crate) struct SendOptions {
    pub(crate) server: String,
    pub(crate) tls: TlsMode,
    pub(crate) ca_file: Option<String>,
    pub(crate) insecure: bool,
    pub(crate) user: Option<String>,
    pub(crate) password: Option<String>,
    pub(crate) allow_plaintext_auth: bool,
    pub(crate) from: String,
    pub(crate) to: Vec<String>,
    pub(crate) eml: Option<String>,
    /// `--subject S`: compose the message with the builder.
    pub(crate) subject: Option<String>,
    /// `--text FILE`: the plain text body (UTF-8).
    pub(crate) text: Option<String>,
    /// `--html FILE`: the HTML body (UTF-8).
    pub(crate) html: Option<String>,
    /// `--attach FILE`, repeatable.
    pub(crate) attach: Vec<String>,
}

impl SendOptions {
    /// Parses the process arguments. `implicit_tls` says whether
    /// `--tls implicit` is available.
    pub(crate) fn parse(implicit_tls: bool) -> Result<Self, String> {
        let mut args = std::env::args().skip(1);
        let mut o = SendOptions {
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
            subject: None,
            text: None,
            html: None,
            attach: Vec::new(),
        };
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or(format!("{flag} needs a value"));
            match flag.as_str() {
                "--server" => o.server = value()?,
                "--tls" => {
                    o.tls = match value()?.as_str() {
                        "starttls" => TlsMode::StartTls,
                        "implicit" if implicit_tls => TlsMode::Implicit,
                        "none" => TlsMode::None,
                        other if implicit_tls => {
                            return Err(format!(
                                "--tls {other}: expected starttls, implicit or none"
                            ));
                        }
                        other => return Err(format!("--tls {other}: expected starttls or none")),
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
                "--subject" => o.subject = Some(value()?),
                "--text" => o.text = Some(value()?),
                "--html" => o.html = Some(value()?),
                "--attach" => o.attach.push(value()?),
                other => return Err(format!("unknown option {other}")),
            }
        }
        if o.server.is_empty() || o.from.is_empty() || o.to.is_empty() {
            return Err("--server, --from and at least one --to are required".into());
        }
        if o.user.is_some() != o.password.is_some() {
            return Err("--user and --password go together".into());
        }
        if o.eml.is_some() && o.composes() {
            return Err("--eml excludes --subject, --text, --html and --attach".into());
        }
        if o.ca_file.is_some() && o.insecure {
            return Err("--ca-file and --insecure exclude each other".into());
        }
        mailbox(&o.from)?;
        for to in &o.to {
            mailbox(to)?;
        }
        Ok(o)
    }

    /// The host part of `--server`, for certificate checks.
    pub(crate) fn host(&self) -> &str {
        self.server
            .rsplit_once(':')
            .map_or(self.server.as_str(), |(h, _)| h)
            .trim_start_matches('[')
            .trim_end_matches(']')
    }

    /// True when the message is composed from `--subject`, `--text`,
    /// `--html` and `--attach`.
    pub(crate) fn composes(&self) -> bool {
        self.subject.is_some()
            || self.text.is_some()
            || self.html.is_some()
            || !self.attach.is_empty()
    }

    /// The message: `--eml FILE`, composed with the builder, or standard input.
    pub(crate) fn read_message(&self) -> Result<Vec<u8>, String> {
        self.message().map(|(message, _)| message)
    }

    /// The message and, when the builder composed it, what the
    /// transaction must declare (BODY=8BITMIME, SMTPUTF8).
    pub(crate) fn message(&self) -> Result<(Vec<u8>, Option<BodyRequirement>), String> {
        if self.eml.is_none() && self.composes() {
            let builder = self.compose()?;
            let requirement = builder.requirement().map_err(|e| e.to_string())?;
            let message = builder.build().map_err(|e| e.to_string())?;
            return Ok((message, Some(requirement)));
        }
        let mut message = Vec::new();
        match &self.eml {
            Some(path) => std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut message)),
            None => std::io::stdin().read_to_end(&mut message),
        }
        .map_err(|e| format!("reading the message: {e}"))?;
        Ok((message, None))
    }

    /// A builder with From and To from the envelope options, the Date from
    /// the system clock, a Message-ID, the subject, bodies and attachments
    /// (streamed from their files while the message is written).
    fn compose(&self) -> Result<MessageBuilder, String> {
        let read =
            |path: &String| std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"));
        // The builder reads no clock (it is sans-IO); an example may.
        #[allow(clippy::disallowed_methods)]
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| e.to_string())?;
        let mut builder = MessageBuilder::new()
            .from(self.from.as_str())
            .date(now.as_secs() as i64, 0);
        for to in &self.to {
            builder = builder.to(to.as_str());
        }
        // Unique enough for an example: the time in nanoseconds and the
        // process id; ids need an ASCII domain, else the server adds one.
        if let Some((_, domain)) = self.from.rsplit_once('@').filter(|(_, d)| d.is_ascii()) {
            let mut unique = now.as_nanos().to_be_bytes().to_vec();
            unique.extend_from_slice(&std::process::id().to_be_bytes());
            builder = builder.message_id_from_parts(unique, domain);
        }
        if let Some(subject) = &self.subject {
            builder = builder.subject(subject.as_str());
        }
        if let Some(path) = &self.text {
            builder = builder.text(read(path)?);
        }
        if let Some(path) = &self.html {
            builder = builder.html(read(path)?);
        }
        for path in &self.attach {
            let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
            let name = Path::new(path)
                .file_name()
                .map_or_else(|| path.clone(), |n| n.to_string_lossy().into_owned());
            builder =
                builder.attach(Attachment::from_reader(content_type(path), file).filename(name));
        }
        Ok(builder)
    }

    /// The rustls client configuration for `--ca-file` and `--insecure`.
    pub(crate) fn tls_config(&self) -> Result<Arc<rustls::ClientConfig>, String> {
        client_tls_config(self.ca_file.as_deref(), self.insecure)
    }
}

/// The rustls client configuration of every example: the CA certificates
/// of `ca_file` (`--ca-file`), no verification at all (`--insecure`), or
/// the Mozilla roots of webpki-roots.
pub(crate) fn client_tls_config(
    ca_file: Option<&str>,
    insecure: bool,
) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
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
    let config = if insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(insecure::AcceptAnything(provider)))
            .with_no_client_auth()
    } else {
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    Ok(Arc::new(config))
}

/// A content type from a file name's extension; application/octet-stream
/// when it is not one of the common ones.
fn content_type(path: &str) -> &'static str {
    let ext = Path::new(path)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "txt" => "text/plain; charset=utf-8",
        "html" | "htm" => "text/html; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "pdf" => "application/pdf",
        "json" => "application/json",
        "zip" => "application/zip",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        _ => "application/octet-stream",
    }
}

/// A mailbox from the command line.
pub(crate) fn mailbox(text: &str) -> Result<Mailbox, String> {
    Mailbox::parse(text).map_err(|e| format!("{text}: {e}"))
}

/// A reply on one line: `CODE TEXT`.
pub(crate) fn show(reply: &Reply) -> String {
    format!("{} {}", reply.code(), reply.text().replace('\n', " / "))
}

/// How many recipients were accepted and refused.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub(crate) accepted: usize,
    pub(crate) refused: usize,
}

/// 0 when every recipient was accepted, 1 when only some were, 2 on any
/// other failure (with the reason on standard error).
pub(crate) fn exit_status(program: &str, result: Result<Outcome, String>) -> ExitCode {
    match result {
        Ok(o) if o.refused == 0 && o.accepted > 0 => ExitCode::SUCCESS,
        Ok(o) if o.accepted > 0 => ExitCode::from(1),
        Ok(_) => {
            eprintln!("{program}: no recipient accepted");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("{program}: {e}");
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
