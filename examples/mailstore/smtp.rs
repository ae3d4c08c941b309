//! SMTP: mail for a user is accepted and stored; AUTH (SCRAM-SHA-256-PLUS,
//! SCRAM-SHA-256, PLAIN, LOGIN; after STARTTLS only) identifies submitters.

use std::io::{self, Write as _};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use postwire_core::Bytes;
use postwire_smtp::server::{
    self, Authentication, BodySink, ConnectionLimit, Decision, Envelope, Handler, Mechanism,
    SecretKind, SecretRequest, ServerConfig, ServerOptions, Session, StoredSecret, TlsMode,
};
use postwire_smtp_proto::{Domain, ForwardPath, RcptParameters, Reply};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio_util::compat::TokioAsyncReadCompatExt;

use super::tls::ServerTls;
use super::{Accepted, HOSTNAME, MAX_CONNECTIONS, Store, accepted, spawn};
use crate::common::TokioClock;

/// The SMTP server's settings: STARTTLS, AUTH with SCRAM, the SIZE limit.
pub(crate) fn options(tls: &ServerTls, max_size: u64) -> io::Result<Arc<ServerOptions>> {
    let hostname = Domain::new(HOSTNAME).map_err(|e| io::Error::other(e.to_string()))?;
    let mut config = ServerConfig::new(hostname).with_scram_auth();
    config.banner = "postwire mailserver".to_owned();
    config.limits.max_message_size = max_size;
    Ok(Arc::new(
        ServerOptions::new(config, TokioClock).with_tls(tls.config.clone(), TlsMode::StartTls),
    ))
}

/// Accepts connections until the process ends.
pub(crate) async fn run(listener: TcpListener, options: Arc<ServerOptions>, store: Arc<Store>) {
    let busy = options.clone();
    let _ = postwire_io::serve_each(
        accepted(listener, "smtp"),
        ConnectionLimit::new(MAX_CONNECTIONS),
        move |Accepted { socket, peer, conn }| {
            let options = options.clone();
            let handler = Smtp {
                store: store.clone(),
                peer,
                conn,
            };
            async move {
                match server::serve(socket.compat(), &options, handler).await {
                    Ok(session) => log!(
                        "conn {conn} from {peer}: closed, {} message(s){}{}",
                        session.messages,
                        if session.tls { ", tls" } else { "" },
                        session
                            .authenticated
                            .map(|u| format!(", user {u}"))
                            .unwrap_or_default()
                    ),
                    Err(e) => log!("conn {conn} from {peer}: {e}"),
                }
            }
        },
        move |Accepted { socket, peer, conn }| {
            log!("conn {conn} from {peer}: too many connections");
            let options = busy.clone();
            async move {
                let _ = server::reject_busy(socket.compat(), &options).await;
            }
        },
        spawn,
    )
    .await;
}

/// The policy of one SMTP connection.
struct Smtp {
    store: Arc<Store>,
    peer: SocketAddr,
    conn: u64,
}

impl Handler for Smtp {
    type Body = Message;

    async fn rcpt_to(&mut self, _: &Session, to: &ForwardPath, _: &RcptParameters) -> Decision {
        if self.store.user_for(to).is_some() {
            return Decision::Accept;
        }
        match server::reply(550, (5, 1, 1), &format!("{to}: no such user here")) {
            Ok(reply) => Decision::Reply(reply),
            Err(_) => Decision::Reject,
        }
    }

    async fn lookup_secret(
        &mut self,
        _: &Session,
        _: &Mechanism,
        request: &SecretRequest,
    ) -> Option<StoredSecret> {
        match request.kind {
            SecretKind::Scram => self.store.scram(&request.username).map(StoredSecret::Scram),
            _ => None,
        }
    }

    async fn authenticate(
        &mut self,
        _: &Session,
        mechanism: &Mechanism,
        auth: &Authentication,
    ) -> Option<String> {
        // SCRAM verified the proof against the stored keys; PLAIN and
        // LOGIN bring a password to compare. Nobody may act as another.
        let ok = auth.authzid.as_ref().is_none_or(|a| *a == auth.username)
            && if auth.is_verified() {
                self.store.exists(&auth.username)
            } else {
                self.store
                    .password_ok(&auth.username, |p| auth.password_matches(p))
            };
        log!(
            "conn {} auth {} {} {}",
            self.conn,
            mechanism.name(),
            auth.username,
            if ok { "ok" } else { "failed" }
        );
        ok.then(|| auth.username.clone())
    }

    async fn data_start(
        &mut self,
        session: &Session,
        envelope: &Envelope,
    ) -> Result<Message, Reply> {
        let mut users: Vec<String> = Vec::new();
        for (to, _) in &envelope.recipients {
            if let Some(user) = self.store.user_for(to)
                && !users.iter().any(|u| u == user)
            {
                users.push(user.to_owned());
            }
        }
        if users.is_empty() {
            return Err(local_error());
        }
        let (file_name, id) = self.store.unique();
        // Room for the trace lines and the message: its declared SIZE
        // (RFC 1870) when there is one, else a typical small message.
        let expected = envelope
            .params
            .size
            .and_then(|size| usize::try_from(size).ok())
            .unwrap_or(2048)
            .min(SPILL_THRESHOLD);
        let mut trace = Vec::with_capacity(512 + expected);
        trace_headers(&mut trace, session, envelope, self.peer.ip(), &id);
        let mut message = Message {
            store: self.store.clone(),
            conn: self.conn,
            id,
            file_name,
            from: envelope.from.to_string(),
            users,
            size: 0,
            target: Target::Buffer(Vec::new()),
        };
        message.target = Target::Buffer(trace);
        Ok(message)
    }
}

fn local_error() -> Reply {
    server::reply(451, (4, 3, 0), "Local error in processing").expect("a valid constant reply")
}

/// Writes `Return-Path:` and `Received:` (RFC 5321 §4.4; RFC 5322 §3.6.7)
/// into `out`, in one pass without intermediate strings.
fn trace_headers(out: &mut Vec<u8>, session: &Session, envelope: &Envelope, ip: IpAddr, id: &str) {
    let helo: &dyn std::fmt::Display = match &session.helo {
        Some(helo) => helo,
        None => &"unknown",
    };
    let (open, ip): (&str, &dyn std::fmt::Display) = match &ip {
        IpAddr::V4(v4) => ("[", v4),
        IpAddr::V6(v6) => ("[IPv6:", v6),
    };
    // Writing into a Vec cannot fail.
    let _ = write!(
        out,
        "Return-Path: {}\r\nReceived: from {helo} ({open}{ip}]) by {HOSTNAME} with {} id {id}; {}\r\n",
        envelope.from,
        session.protocol_name(),
        Rfc5322Date(wall_clock()),
    );
}

/// The wall clock, for `Received:` dates and Maildir names. The library
/// never reads a clock; an example program may.
#[allow(clippy::disallowed_methods)]
pub(crate) fn wall_clock() -> SystemTime {
    SystemTime::now()
}

/// `date-time` of RFC 5322 §3.3 in UTC: `Sat, 28 Nov 2026 08:11:25 +0000`.
pub(crate) struct Rfc5322Date(pub(crate) SystemTime);

impl std::fmt::Display for Rfc5322Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let secs = self
            .0
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let days = secs / 86_400;
        let (hour, min, sec) = (secs % 86_400 / 3600, secs % 3600 / 60, secs % 60);
        // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
        let z = days as i64 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        write!(
            f,
            "{}, {day:02} {} {year} {hour:02}:{min:02}:{sec:02} +0000",
            DAYS[(days % 7) as usize],
            MONTHS[(month - 1) as usize],
        )
    }
}

/// Messages up to this size are buffered and written to the Maildir in one
/// blocking task at the end of DATA; larger ones stream into a file in
/// `tmp/` from here on. Every `tokio::fs` call is a round trip to tokio's
/// blocking pool: creating, writing, flushing and renaming a small message
/// through it cost about 70 us of CPU per message in thread hand-offs
/// (benches/RESULTS-issue3.md), more than the server's whole SMTP work.
const SPILL_THRESHOLD: usize = 1 << 20;

/// One message on its way to the mailboxes.
struct Message {
    store: Arc<Store>,
    conn: u64,
    id: String,
    /// The Maildir file name, `time.pid_counter.host`.
    file_name: String,
    from: String,
    users: Vec<String>,
    size: u64,
    target: Target,
}

enum Target {
    /// The whole message so far: always in memory mode, and in Maildir
    /// mode until it passes [`SPILL_THRESHOLD`].
    Buffer(Vec<u8>),
    /// Streaming into the first user's `tmp/`.
    File {
        file: tokio::fs::File,
        path: PathBuf,
    },
}

impl Message {
    async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.size += bytes.len() as u64;
        match &mut self.target {
            Target::Buffer(content) => {
                content.extend_from_slice(bytes);
                match self.store.maildir() {
                    Some(dir) if content.len() > SPILL_THRESHOLD => {
                        let path = dir.join(&self.users[0]).join("tmp").join(&self.file_name);
                        let mut file = tokio::fs::File::create(&path).await.inspect_err(|e| {
                            log!("conn {} cannot create {}: {e}", self.conn, path.display());
                        })?;
                        let content = std::mem::take(content);
                        // From here on `abort` removes the file.
                        let written = file.write_all(&content).await;
                        self.target = Target::File { file, path };
                        written
                    }
                    _ => Ok(()),
                }
            }
            Target::File { file, .. } => file.write_all(bytes).await,
        }
    }

    /// Moves the message into every user's mailbox: in memory, or into each
    /// user's `new/` through `tmp/` (the Maildir delivery protocol), all the
    /// file work in one blocking task.
    async fn deliver(&mut self) -> io::Result<()> {
        let Some(dir) = self.store.maildir().map(std::path::Path::to_path_buf) else {
            if let Target::Buffer(content) = &mut self.target {
                // Kept for good: give back the room reserved for a larger
                // message.
                content.shrink_to_fit();
                let content = Bytes::from(std::mem::take(content));
                self.store.deliver_to_memory(&self.id, &self.users, content);
            }
            return Ok(());
        };
        let users = self.users.clone();
        let name = self.file_name.clone();
        match &mut self.target {
            Target::Buffer(content) => {
                let content = std::mem::take(content);
                blocking(move || {
                    for user in &users {
                        let tmp = dir.join(user).join("tmp").join(&name);
                        let written = std::fs::write(&tmp, &content).and_then(|()| {
                            std::fs::rename(&tmp, dir.join(user).join("new").join(&name))
                        });
                        if written.is_err() {
                            let _ = std::fs::remove_file(&tmp);
                        }
                        written?;
                    }
                    Ok(())
                })
                .await
            }
            Target::File { file, path } => {
                file.flush().await?;
                let path = path.clone();
                blocking(move || {
                    for user in users.iter().skip(1) {
                        let tmp = dir.join(user).join("tmp").join(&name);
                        std::fs::copy(&path, &tmp)?;
                        std::fs::rename(&tmp, dir.join(user).join("new").join(&name))?;
                    }
                    std::fs::rename(&path, dir.join(&users[0]).join("new").join(&name))
                })
                .await
            }
        }
    }
}

/// Runs file work on tokio's blocking pool.
async fn blocking(work: impl FnOnce() -> io::Result<()> + Send + 'static) -> io::Result<()> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| Err(io::Error::other(e)))
}

impl BodySink for Message {
    async fn write_chunk(&mut self, chunk: Bytes) -> io::Result<()> {
        self.write(&chunk).await
    }

    async fn finish(mut self) -> Reply {
        match self.deliver().await {
            Ok(()) => {
                log!(
                    "conn {} message {} from {} to {} size {}",
                    self.conn,
                    self.id,
                    self.from,
                    self.users.join(","),
                    self.size
                );
                server::reply(250, (2, 0, 0), &format!("Ok: queued as {}", self.id))
                    .unwrap_or_else(|_| local_error())
            }
            Err(e) => {
                log!("conn {} message {} not stored: {e}", self.conn, self.id);
                self.abort().await;
                local_error()
            }
        }
    }

    async fn abort(self) {
        if let Target::File { path, .. } = &self.target {
            let _ = tokio::fs::remove_file(path).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_is_rfc5322_3_3() {
        let t = UNIX_EPOCH + std::time::Duration::from_secs(1_795_853_485);
        let date = |t| Rfc5322Date(t).to_string();
        assert_eq!(date(t), "Sat, 28 Nov 2026 08:11:25 +0000");
        assert_eq!(date(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 +0000");
        let leap = UNIX_EPOCH + std::time::Duration::from_secs(951_782_400);
        assert_eq!(date(leap), "Tue, 29 Feb 2000 00:00:00 +0000");
    }
}
