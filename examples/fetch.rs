//! Downloads every message of a maildrop with the `postwire-pop3` client
//! facade on tokio: connect, STLS (or implicit TLS), login, LIST, RETR each
//! message as a stream, optionally DELE, QUIT.
//!
//! ```text
//! cargo run --example fetch -- pop3 --server HOST:PORT [--tls starttls|implicit|none]
//!     [--ca-file PEM | --insecure] --user U --password P [--allow-plaintext-auth]
//!     [--auth user|apop|sasl|MECHANISM] [--uidl] [--top LINES] [--out DIR] [--delete]
//! ```
//!
//! `--tls` defaults to `starttls`, which is required: a server without STLS
//! is an error, and no password is sent in clear unless
//! `--allow-plaintext-auth`. `--auth` picks the login: `user` (USER/PASS,
//! the default), `apop`, `sasl` (the strongest SASL mechanism the server
//! offers, SCRAM-SHA-256-PLUS first) or a SASL mechanism by name (`plain`,
//! `login`, `scram-sha-256`, ...).
//!
//! Prints `TLS established (VERSION)` when TLS is up, `maildrop: N messages,
//! M octets`, then one line per message, tab-separated: its number, its
//! size from LIST, From and Subject (decoded by postwire-mime). `--uidl`
//! adds a line `uidl<TAB>N<TAB>UID` per message. `--top LINES` fetches
//! only the header and the first LINES body lines (TOP) instead of the
//! whole message (RETR). `--out DIR` writes each message to `DIR/N.eml`,
//! streamed: a message is never held whole in memory (only its header, to
//! show From and Subject). `--delete` marks every message fetched and the
//! server removes them at QUIT; `deleted: N` is printed then. Exit status 0,
//! or 2 with the reason on standard error.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use common::TlsMode;
use postwire_pop3::client::{
    ClientMechanism, ClientOptions, Credentials, MessageReader, Pop3Client, Tls, TlsConfig,
};
use rustls::pki_types::ServerName;
use tokio::io::AsyncWriteExt;
use tokio_util::compat::{Compat, TokioAsyncReadCompatExt};

mod common;

/// The most header octets kept to show From and Subject.
const MAX_HEADER: usize = 64 * 1024;

/// How to log in (`--auth`).
enum Auth {
    User,
    Apop,
    Sasl,
    Mechanism(postwire_sasl::Mechanism),
}

/// The command line.
struct FetchOptions {
    server: String,
    tls: TlsMode,
    ca_file: Option<String>,
    insecure: bool,
    user: String,
    password: String,
    allow_plaintext_auth: bool,
    auth: Auth,
    uidl: bool,
    top: Option<u32>,
    out: Option<PathBuf>,
    delete: bool,
}

impl FetchOptions {
    fn parse() -> Result<Self, String> {
        let mut args = std::env::args().skip(1);
        match args.next().as_deref() {
            Some("pop3") => {}
            Some(other) => return Err(format!("unknown protocol {other}: expected pop3")),
            None => return Err("usage: fetch pop3 --server HOST:PORT --user U --password P".into()),
        }
        let mut o = FetchOptions {
            server: String::new(),
            tls: TlsMode::StartTls,
            ca_file: None,
            insecure: false,
            user: String::new(),
            password: String::new(),
            allow_plaintext_auth: false,
            auth: Auth::User,
            uidl: false,
            top: None,
            out: None,
            delete: false,
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
                "--user" => o.user = value()?,
                "--password" => o.password = value()?,
                "--allow-plaintext-auth" => o.allow_plaintext_auth = true,
                "--auth" => {
                    o.auth = match value()?.to_ascii_lowercase().as_str() {
                        "user" => Auth::User,
                        "apop" => Auth::Apop,
                        "sasl" => Auth::Sasl,
                        name => Auth::Mechanism(
                            postwire_sasl::Mechanism::from_name(&name.to_ascii_uppercase())
                                .map_err(|e| format!("--auth {name}: {e}"))?,
                        ),
                    }
                }
                "--uidl" => o.uidl = true,
                "--top" => {
                    let lines = value()?;
                    o.top = Some(
                        lines
                            .parse()
                            .map_err(|_| format!("--top {lines}: a number"))?,
                    );
                }
                "--out" => o.out = Some(PathBuf::from(value()?)),
                "--delete" => o.delete = true,
                other => return Err(format!("unknown option {other}")),
            }
        }
        if o.server.is_empty() || o.user.is_empty() {
            return Err("--server, --user and --password are required".into());
        }
        if o.ca_file.is_some() && o.insecure {
            return Err("--ca-file and --insecure exclude each other".into());
        }
        Ok(o)
    }

    /// The host part of `--server`, for certificate checks.
    fn host(&self) -> &str {
        self.server
            .rsplit_once(':')
            .map_or(self.server.as_str(), |(h, _)| h)
            .trim_start_matches('[')
            .trim_end_matches(']')
    }

    /// The rustls configuration, built by the examples' shared code
    /// (`--ca-file`, `--insecure`, or the webpki roots).
    fn tls_config(&self) -> Result<Arc<rustls::ClientConfig>, String> {
        common::client_tls_config(self.ca_file.as_deref(), self.insecure)
    }
}

type Client = Pop3Client<Compat<tokio::net::TcpStream>>;

async fn connect(o: &FetchOptions) -> Result<Client, String> {
    let tls = match o.tls {
        TlsMode::None => Tls::None,
        mode => {
            let host = o.host().to_owned();
            let name = ServerName::try_from(host.clone()).map_err(|e| format!("{host}: {e}"))?;
            let config = TlsConfig::new(o.tls_config()?, name);
            if mode == TlsMode::Implicit {
                Tls::Implicit(config)
            } else {
                Tls::StartTls(config)
            }
        }
    };
    let options =
        ClientOptions::new(tls, common::TokioClock).allow_plaintext_auth(o.allow_plaintext_auth);
    let socket = tokio::net::TcpStream::connect(&o.server)
        .await
        .map_err(|e| format!("connect {}: {e}", o.server))?;
    socket.set_nodelay(true).map_err(|e| e.to_string())?;
    Pop3Client::connect(socket.compat(), options)
        .await
        .map_err(|e| e.to_string())
}

async fn login(client: &mut Client, o: &FetchOptions) -> Result<(), String> {
    let credentials = Credentials::password(o.user.clone(), o.password.clone());
    let result = match &o.auth {
        Auth::User => client.login(&o.user, o.password.clone()).await,
        Auth::Apop => client.apop(&o.user, &o.password).await,
        Auth::Sasl => client.authenticate(&credentials).await,
        Auth::Mechanism(mechanism) => {
            let mechanism = ClientMechanism::new(mechanism.clone(), &credentials)
                .map_err(|e| format!("{}: {e}", mechanism.name()))?;
            client.authenticate_with(mechanism).await
        }
    };
    result.map(drop).map_err(|e| format!("login: {e}"))
}

/// Streams one message to `file` (if any), keeping only its header.
async fn save(
    reader: &mut MessageReader<'_, Compat<tokio::net::TcpStream>>,
    mut file: Option<tokio::fs::File>,
) -> Result<(Vec<u8>, u64), String> {
    let mut header = Vec::new();
    let mut header_done = false;
    let mut received = 0u64;
    while let Some(chunk) = reader.next_chunk().await.map_err(|e| e.to_string())? {
        received += chunk.len() as u64;
        if !header_done {
            let start = header.len().saturating_sub(3);
            header.extend_from_slice(&chunk[..chunk.len().min(MAX_HEADER - header.len())]);
            header_done =
                header.len() == MAX_HEADER || header[start..].windows(4).any(|w| w == b"\r\n\r\n");
        }
        if let Some(file) = file.as_mut() {
            file.write_all(&chunk).await.map_err(|e| e.to_string())?;
        }
    }
    if let Some(mut file) = file {
        file.flush().await.map_err(|e| e.to_string())?;
    }
    Ok((header, received))
}

/// From and Subject of a header, decoded; `-` when missing.
fn summary(header: &[u8]) -> (String, String) {
    let Ok(message) = postwire_mime::Message::parse_headers(header) else {
        return ("-".into(), "-".into());
    };
    let from = message
        .from()
        .map(|list| {
            list.mailboxes()
                .map(|m| match &m.name {
                    Some(name) => format!("{name} <{}>", m.address),
                    None => m.address.clone(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| "-".into());
    let subject = message
        .subject()
        .map(|s| s.replace(['\t', '\r', '\n'], " "))
        .unwrap_or_else(|| "-".into());
    (from, subject)
}

async fn run(o: &FetchOptions) -> Result<(), String> {
    let mut client = connect(o).await?;
    if let Some(info) = client.tls_info() {
        println!("TLS established ({:?})", info.version);
    }
    login(&mut client, o).await?;
    let stat = client.stat().await.map_err(|e| e.to_string())?;
    println!("maildrop: {} messages, {} octets", stat.count, stat.size);
    let list = client.list().await.map_err(|e| e.to_string())?;
    if o.uidl {
        for entry in client.uidl().await.map_err(|e| e.to_string())? {
            println!("uidl\t{}\t{}", entry.msg, entry.uid.as_str());
        }
    }
    if let Some(dir) = &o.out {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let mut deleted = 0;
    for entry in &list {
        let n = entry.msg.get();
        let file = match &o.out {
            Some(dir) => {
                let path = dir.join(format!("{n}.eml"));
                let file = tokio::fs::File::create(&path)
                    .await
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                Some(file)
            }
            None => None,
        };
        let mut reader = match o.top {
            Some(lines) => client.top(n, lines).await,
            None => client.retr(n).await,
        }
        .map_err(|e| format!("message {n}: {e}"))?;
        let (header, _received) = save(&mut reader, file).await?;
        drop(reader);
        let (from, subject) = summary(&header);
        println!("{n}\t{}\t{from}\t{subject}", entry.size);
        if o.delete {
            client.dele(n).await.map_err(|e| format!("dele {n}: {e}"))?;
            deleted += 1;
        }
    }
    client.quit().await.map_err(|e| format!("quit: {e}"))?;
    if o.delete {
        println!("deleted: {deleted}");
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let result = match FetchOptions::parse() {
        Ok(options) => run(&options).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fetch: {e}");
            ExitCode::from(2)
        }
    }
}
