//! A local development mail server for testing applications that send
//! and fetch mail: it accepts mail for its users over SMTP, stores it in
//! memory or in Maildirs, and serves it over POP3, on the `postwire-smtp`
//! and `postwire-pop3` facades (the code is in `examples/mailstore/`,
//! shared with the `demo` example).
//!
//! ```text
//! cargo run --example mailserver -- [--smtp ADDR] [--pop3 ADDR] [--user NAME:PASS]...
//!     [--tls-cert PEM --tls-key PEM] [--maildir DIR] [--max-size BYTES]
//! ```
//!
//! - Listeners: with no listener flag, every protocol listens on its
//!   default address (SMTP `127.0.0.1:2525`, POP3 `127.0.0.1:1110`); with
//!   any listener flag, only the named ones. Port 0 picks a free port; the
//!   real address is printed (`smtp listening on 127.0.0.1:2525`) so
//!   scripts can wait for it.
//! - `--user NAME:PASS` (repeatable) replaces the default user `demo:demo`.
//! - SMTP: mail for a user (any domain: the local part names the user) is
//!   accepted without AUTH, as an MX accepts it; other recipients get
//!   `550 5.1.1`. AUTH (SCRAM-SHA-256-PLUS, SCRAM-SHA-256, PLAIN, LOGIN),
//!   offered after STARTTLS only, identifies submitters; a failed AUTH gets
//!   `535` and the session goes on.
//! - POP3: STLS, then USER/PASS or AUTH with the same mechanisms (RFC 1939,
//!   RFC 2595, RFC 5034); one session per maildrop at a time (`[IN-USE]`);
//!   DELE takes effect at QUIT only. Unique-ids are the Maildir file names
//!   (stable across restarts with `--maildir`).
//! - TLS uses `--tls-cert`/`--tls-key`, or a throwaway CA and a
//!   certificate for `localhost` signed by it, generated at start.
//! - `--max-size` is the SIZE limit (RFC 1870), default 128 MiB.
//! - Messages are kept in memory, or with `--maildir DIR` in real
//!   Maildirs, `DIR/<user>/{tmp,new,cur}`: one copy per recipient user,
//!   streamed to `tmp/` as it arrives and renamed into `new/`. No fsync:
//!   this is a development server.
//! - Each message is stored exactly as received, after a prepended
//!   `Return-Path:` and `Received:` header (RFC 5321 §4.4).
//! - One log line per connection and per message on stderr.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

mod common;
#[macro_use]
mod mailstore;

use mailstore::tls::ServerTls;

const USAGE: &str = "usage: mailserver [--smtp ADDR] [--pop3 ADDR] [--user NAME:PASS]... \
[--tls-cert PEM --tls-key PEM] [--maildir DIR] [--max-size BYTES]";

/// The protocols this server speaks. IMAP joins here: a variant, a row in
/// [`PROTOCOLS`], a field in `mailstore::Config`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Protocol {
    Smtp,
    Pop3,
}

/// Each protocol's listener flag, log name and default address.
const PROTOCOLS: &[(Protocol, &str, &str, &str)] = &[
    (Protocol::Smtp, "--smtp", "smtp", "127.0.0.1:2525"),
    (Protocol::Pop3, "--pop3", "pop3", "127.0.0.1:1110"),
];

struct Args {
    listeners: Vec<(Protocol, SocketAddr)>,
    users: Vec<(String, String)>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    maildir: Option<PathBuf>,
    max_size: u64,
}

fn parse_args(mut argv: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut listeners = Vec::new();
    let mut users = Vec::new();
    let (mut tls_cert, mut tls_key, mut maildir) = (None, None, None);
    let mut max_size = 128 * 1024 * 1024;
    while let Some(flag) = argv.next() {
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        let mut value = || argv.next().ok_or_else(|| format!("{flag} needs a value"));
        if let Some(&(protocol, ..)) = PROTOCOLS.iter().find(|p| p.1 == flag) {
            let addr = value()?;
            let addr = addr
                .parse()
                .map_err(|_| format!("{flag}: not an address: {addr}"))?;
            listeners.push((protocol, addr));
            continue;
        }
        match flag.as_str() {
            "--user" => {
                let user = value()?;
                let (name, pass) = user
                    .split_once(':')
                    .filter(|(n, _)| valid_user(n))
                    .ok_or_else(|| format!("--user: expected NAME:PASS, got {user}"))?;
                users.push((name.to_owned(), pass.to_owned()));
            }
            "--tls-cert" => tls_cert = Some(PathBuf::from(value()?)),
            "--tls-key" => tls_key = Some(PathBuf::from(value()?)),
            "--maildir" => maildir = Some(PathBuf::from(value()?)),
            "--max-size" => {
                let size = value()?;
                max_size = size
                    .parse()
                    .map_err(|_| format!("--max-size: not a number: {size}"))?;
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if tls_cert.is_some() != tls_key.is_some() {
        return Err("--tls-cert and --tls-key go together".to_owned());
    }
    if listeners.is_empty() {
        for &(protocol, _, _, default) in PROTOCOLS {
            let addr = default.parse().map_err(|_| "bad default address")?;
            listeners.push((protocol, addr));
        }
    }
    if users.is_empty() {
        users.push(("demo".to_owned(), "demo".to_owned()));
    }
    Ok(Args {
        listeners,
        users,
        tls_cert,
        tls_key,
        maildir,
        max_size,
    })
}

/// A user name is a directory name and a local part: keep it simple.
fn valid_user(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-+".contains(&b))
}

// One thread runs every connection: the per-connection work is small and
// the machines are cheap, so a multi-threaded runtime spent more on
// cross-thread wake-ups than it gained (smtp-source -d -s 10 -m 20000:
// about 24,000 msg/s on one thread against 18,000-24,000 on two, here on
// 2 cores). Maildir writes still go to tokio's blocking pool.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            log!("mailserver: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => ServerTls::from_pem(cert, key),
        _ => ServerTls::generate(),
    };
    let tls = match tls {
        Ok(tls) => tls,
        Err(e) => {
            log!("mailserver: {e}");
            return ExitCode::FAILURE;
        }
    };
    if tls.generated_ca.is_some() {
        log!("mailserver: TLS with a throwaway CA generated now: clients must skip verification");
    }
    let listener = |wanted| {
        args.listeners
            .iter()
            .find(|(protocol, _)| *protocol == wanted)
            .map(|&(_, addr)| addr)
    };
    let config = mailstore::Config {
        users: args.users.clone(),
        maildir: args.maildir.clone(),
        max_size: args.max_size,
        tls,
        smtp: listener(Protocol::Smtp),
        pop3: listener(Protocol::Pop3),
    };
    let running = match mailstore::start(config).await {
        Ok(running) => running,
        Err(e) => {
            log!("mailserver: {e}");
            return ExitCode::FAILURE;
        }
    };
    for (name, addr) in [("smtp", running.smtp), ("pop3", running.pop3)] {
        if let Some(addr) = addr {
            println!("{name} listening on {addr}");
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_listener_flag_means_every_default_listener() {
        let args = parse_args(std::iter::empty()).unwrap();
        assert_eq!(
            args.listeners,
            vec![
                (Protocol::Smtp, "127.0.0.1:2525".parse().unwrap()),
                (Protocol::Pop3, "127.0.0.1:1110".parse().unwrap())
            ]
        );
        assert_eq!(args.users, vec![("demo".to_owned(), "demo".to_owned())]);
        assert_eq!(args.max_size, 134_217_728);
        let args = parse_args(
            ["--smtp", "127.0.0.1:0", "--user", "a:b", "--user", "c:d:e"]
                .into_iter()
                .map(String::from),
        )
        .unwrap();
        assert_eq!(
            args.listeners,
            vec![(Protocol::Smtp, "127.0.0.1:0".parse().unwrap())]
        );
        assert_eq!(args.users[1], ("c".to_owned(), "d:e".to_owned()));
    }
}
