//! The mail server behind the `mailserver` and `demo` examples: users, a
//! store (memory or Maildir), SMTP on the `postwire-smtp` facade and POP3
//! on the `postwire-pop3` facade, sharing that store.
//!
//! [`start`] binds the listeners and spawns their accept loops on the
//! current tokio runtime; the binaries decide what to listen on and how
//! long to run.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::TcpListener;

/// Whether [`log!`] stays silent (the demo prints its own account).
pub(crate) static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Writes one line to standard error in a single write: stderr is
/// unbuffered, and `eprintln!` issues a write per formatted piece (eleven
/// for the per-message line), which cost 12-15 % of the server's CPU in the
/// throughput bench.
macro_rules! log {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if !$crate::mailstore::QUIET.load(std::sync::atomic::Ordering::Relaxed) {
        let mut line = format!($($arg)*);
        line.push('\n');
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
        }
    }};
}

mod pop3;
mod smtp;
mod store;
pub(crate) mod tls;

pub(crate) use store::Store;

/// The server's name in greetings and in `Received:` headers.
pub(crate) const HOSTNAME: &str = "localhost";

/// Most concurrent connections per listener; more are turned away
/// (`421 4.3.2` in SMTP, `-ERR [SYS/TEMP]` in POP3).
const MAX_CONNECTIONS: usize = 200;

/// What to serve.
pub(crate) struct Config {
    /// `NAME:PASSWORD` pairs; a user's name is also its local part.
    pub(crate) users: Vec<(String, String)>,
    /// Store mail in `DIR/<user>/{tmp,new,cur}` instead of memory.
    pub(crate) maildir: Option<PathBuf>,
    /// The SMTP SIZE limit (RFC 1870).
    pub(crate) max_size: u64,
    /// The certificate for STARTTLS and STLS.
    pub(crate) tls: tls::ServerTls,
    /// Where SMTP listens, if at all.
    pub(crate) smtp: Option<SocketAddr>,
    /// Where POP3 listens, if at all.
    pub(crate) pop3: Option<SocketAddr>,
}

/// The listeners [`start`] bound (port 0 resolved).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Running {
    /// The SMTP listener's address.
    pub(crate) smtp: Option<SocketAddr>,
    /// The POP3 listener's address.
    pub(crate) pop3: Option<SocketAddr>,
}

/// Opens the store, binds every configured listener and spawns its accept
/// loop on the current runtime. Fails when the store cannot be created or
/// an address cannot be bound.
pub(crate) async fn start(config: Config) -> io::Result<Running> {
    let store = Arc::new(Store::new(config.users, config.maildir)?);
    let mut running = Running {
        smtp: None,
        pop3: None,
    };
    if let Some(addr) = config.smtp {
        let listener = bind("smtp", addr).await?;
        running.smtp = Some(listener.local_addr()?);
        let options = smtp::options(&config.tls, config.max_size)?;
        tokio::spawn(smtp::run(listener, options, store.clone()));
    }
    if let Some(addr) = config.pop3 {
        let listener = bind("pop3", addr).await?;
        running.pop3 = Some(listener.local_addr()?);
        tokio::spawn(pop3::run(listener, pop3::options(&config.tls), store));
    }
    Ok(running)
}

/// A connection a listener accepted, numbered for the log.
struct Accepted {
    socket: tokio::net::TcpStream,
    peer: SocketAddr,
    conn: u64,
}

/// The connections `listener` accepts, for `postwire_io::serve_each`, which
/// serves them under the connection cap. Nagle is off on every socket;
/// accept errors (a full file table, an aborted handshake) are logged and
/// retried after a pause, so the stream never ends.
fn accepted(
    listener: TcpListener,
    name: &'static str,
) -> impl futures_lite::Stream<Item = io::Result<Accepted>> + Unpin {
    Box::pin(futures_lite::stream::unfold(
        (listener, 0u64),
        move |(listener, conn)| async move {
            loop {
                match listener.accept().await {
                    Ok((socket, peer)) => {
                        // Replies are written whole; without this, Nagle's
                        // algorithm against the client's delayed ACK stalled
                        // multi-segment answers (a 2,000-line UIDL) by 40 ms
                        // (benches/README.md, POP3).
                        let _ = socket.set_nodelay(true);
                        let conn = conn + 1;
                        let accepted = Accepted { socket, peer, conn };
                        return Some((Ok(accepted), (listener, conn)));
                    }
                    Err(e) => {
                        log!("{name} accept: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                }
            }
        },
    ))
}

/// Hands a connection's task to tokio.
fn spawn(task: postwire_io::ConnectionTask) {
    tokio::spawn(task);
}

async fn bind(name: &str, addr: SocketAddr) -> io::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| io::Error::new(e.kind(), format!("{name} on {addr}: {e}")))
}
