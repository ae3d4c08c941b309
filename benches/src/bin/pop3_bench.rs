//! POP3 client throughput on 127.0.0.1 (issue 5): RETR of a large,
//! dot-stuffed message through postwire's `Pop3Client`, the async-pop crate
//! and a plain read loop (the ceiling), and UIDL of a large maildrop.
//! `benches/pop3-throughput.sh` runs them, with Python's poplib, against a
//! private Dovecot and the mailserver example.
//!
//! ```text
//! pop3_bench gen-message SIZE FILE    a deterministic message of exactly SIZE octets
//! pop3_bench gen-maildir DIR COUNT    COUNT tiny messages as files in DIR (a Maildir new/)
//! pop3_bench IMPL --server HOST:PORT --user U --pass P [--msg N] [--verify FILE] [--ca PEM]
//! IMPL: postwire-retr   Pop3Client::retr, MessageReader::next_chunk, bytes counted
//!       async-pop-retr  async-pop 1.x Client::retr (the whole message as one Bytes)
//!       plain-retr      USER, PASS, RETR N, then read(2) with a 64 KiB buffer until
//!                       CRLF.CRLF: no unstuffing, no parsing (the ceiling)
//!       postwire-uidl   Pop3Client::uidl over STLS (--ca: the server's CA, PEM)
//! ```
//!
//! Each run prints one line, `IMPL bytes=B seconds=S mb_per_s=X` (for UIDL
//! `entries=E seconds=S`), timed from sending RETR (UIDL) to the end of the
//! answer: connection and login are outside it. MB is 10^6 octets, of
//! message content (the plain loop counts the octets on the wire, stuffing
//! and the status line included, but its rate uses the same content size,
//! given with `--size`). `--verify FILE` compares what the client delivered
//! with FILE octet by octet (outside any timing) and counts lines that
//! start with `..`, which FILE has none of: a client that leaves the
//! stuffing in shows them.
//!
//! The message of `gen-message`: a short header, then 300-octet lines
//! (298 octets and CRLF) of letters and digits; one line in four starts
//! with `.`, one in 400 is a lone `.`, so the server stuffs about a quarter
//! of all lines (RFC 1939 §3).

use std::io::{BufWriter, Read as _, Write as _};
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use postwire_io::{Clock, Sleep};
use postwire_pop3::client::{ClientOptions, Pop3Client, Tls, TlsConfig};
use tokio::io::{AsyncRead as _, AsyncWrite as _, ReadBuf};

struct TokioClock;

impl Clock for TokioClock {
    fn sleep_until(&self, deadline: Instant) -> Sleep {
        Box::pin(tokio::time::sleep_until(deadline.into()))
    }
}

/// A tokio `TcpStream` as a `futures-io` stream, as
/// `tokio_util::compat::Compat` adapts it.
struct Io(tokio::net::TcpStream);

impl futures_io::AsyncRead for Io {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        let mut buf = ReadBuf::new(buf);
        match Pin::new(&mut self.0).poll_read(cx, &mut buf) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(buf.filled().len())),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl futures_io::AsyncWrite for Io {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

struct Args {
    implementation: String,
    server: String,
    user: String,
    pass: String,
    msg: u32,
    size: Option<u64>,
    verify: Option<String>,
    ca: Option<String>,
}

fn parse_args(implementation: String, argv: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut a = Args {
        implementation,
        server: "127.0.0.1:10110".to_owned(),
        user: "alice".to_owned(),
        pass: "alicepw".to_owned(),
        msg: 1,
        size: None,
        verify: None,
        ca: None,
    };
    let mut argv = argv;
    while let Some(flag) = argv.next() {
        let value = argv.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--server" => a.server = value,
            "--user" => a.user = value,
            "--pass" => a.pass = value,
            "--msg" => a.msg = value.parse().map_err(|_| format!("--msg {value}"))?,
            "--size" => a.size = Some(value.parse().map_err(|_| format!("--size {value}"))?),
            "--verify" => a.verify = Some(value),
            "--ca" => a.ca = Some(value),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(a)
}

// --- workloads -------------------------------------------------------------

/// Writes the message of the module docs, exactly `size` octets.
fn gen_message(size: u64, path: &str) -> Result<(), String> {
    let header = format!(
        "From: bench@example.org\r\nTo: alice@example.org\r\nSubject: pop3 bench, {size} octets\r\n\
         Message-ID: <pop3-bench-{size}@example.org>\r\n\r\n"
    );
    if size < header.len() as u64 + 2 {
        return Err(format!("size {size}: at least {} octets", header.len() + 2));
    }
    let file = std::fs::File::create(path).map_err(|e| format!("{path}: {e}"))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let io = |e: std::io::Error| format!("{path}: {e}");
    out.write_all(header.as_bytes()).map_err(io)?;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ";
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rest = size - header.len() as u64;
    let mut line = Vec::with_capacity(300);
    let mut i: u64 = 0;
    while rest > 0 {
        // The last line takes whatever is left (at least CRLF).
        let last = rest <= 302;
        let content = if last {
            (rest - 2) as usize
        } else if i.is_multiple_of(400) {
            1
        } else {
            298
        };
        line.clear();
        for _ in 0..content {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            line.push(ALPHABET[((state >> 33) % ALPHABET.len() as u64) as usize]);
        }
        if let Some(first) = line.first_mut() {
            if *first == b' ' {
                *first = b'x';
            }
            if !last && i.is_multiple_of(4) {
                *first = b'.'; // a lone "." when i % 400 == 0
            }
        }
        line.extend_from_slice(b"\r\n");
        out.write_all(&line).map_err(io)?;
        rest -= line.len() as u64;
        i += 1;
    }
    out.flush().map_err(io)?;
    let written = std::fs::metadata(path).map_err(io)?.len();
    if written != size {
        return Err(format!("{path}: wrote {written} octets, wanted {size}"));
    }
    eprintln!("{path}: {size} octets, {i} body lines");
    Ok(())
}

/// COUNT tiny message files in DIR (a Maildir's `new/`), named like a
/// Maildir delivery so the mailserver example takes them as unique-ids.
fn gen_maildir(dir: &str, count: u32) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{dir}: {e}"))?;
    for i in 0..count {
        let name = format!("{dir}/1700000000.M{i:06}P4242.pop3bench");
        let body = format!("Subject: message {i}\r\n\r\nbody {i}\r\n");
        std::fs::write(&name, body).map_err(|e| format!("{name}: {e}"))?;
    }
    Ok(())
}

// --- checks --------------------------------------------------------------

/// Compares delivered content with the stored file as it streams.
struct Verifier {
    file: std::io::BufReader<std::fs::File>,
    offset: u64,
    mismatch: Option<u64>,
    /// Lines of the delivered content that start with `..`.
    double_dots: u64,
    at_line_start: bool,
    pending_dot: bool,
}

impl Verifier {
    fn new(path: &str) -> Result<Self, String> {
        let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
        Ok(Self {
            file: std::io::BufReader::with_capacity(1 << 20, file),
            offset: 0,
            mismatch: None,
            double_dots: 0,
            at_line_start: true,
            pending_dot: false,
        })
    }

    fn feed(&mut self, data: &[u8]) {
        for &b in data {
            if self.pending_dot {
                if b == b'.' {
                    self.double_dots += 1;
                }
                self.pending_dot = false;
            }
            if self.at_line_start && b == b'.' {
                self.pending_dot = true;
            }
            self.at_line_start = b == b'\n';
        }
        if self.mismatch.is_some() {
            self.offset += data.len() as u64;
            return;
        }
        let mut expected = vec![0u8; data.len()];
        let mut got = 0;
        while got < expected.len() {
            match self.file.read(&mut expected[got..]) {
                Ok(0) | Err(_) => break,
                Ok(n) => got += n,
            }
        }
        if let Some(i) = (0..data.len()).find(|&i| i >= got || data[i] != expected[i]) {
            self.mismatch = Some(self.offset + i as u64);
        }
        self.offset += data.len() as u64;
    }

    /// `verify=ok|mismatch@N|short double_dots=K`.
    fn finish(mut self) -> String {
        let mut probe = [0u8; 1];
        let longer = matches!(self.file.read(&mut probe), Ok(1));
        let verdict = match self.mismatch {
            Some(at) => format!("mismatch@{at}"),
            None if longer => format!("short@{}", self.offset),
            None => "ok".to_owned(),
        };
        format!("verify={verdict} double_dots={}", self.double_dots)
    }
}

// --- contestants -----------------------------------------------------------

fn tls_config(ca: &str) -> Result<TlsConfig, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).map_err(|e| format!("{ca}: {e}"))? {
        roots
            .add(cert.map_err(|e| format!("{ca}: {e}"))?)
            .map_err(|e| format!("{ca}: {e}"))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = "localhost".try_into().map_err(|_| "server name")?;
    Ok(TlsConfig::new(Arc::new(config), name))
}

async fn postwire_session(a: &Args) -> Result<Pop3Client<Io>, String> {
    let tcp = tokio::net::TcpStream::connect(&a.server)
        .await
        .map_err(|e| format!("connect {}: {e}", a.server))?;
    tcp.set_nodelay(true).map_err(|e| e.to_string())?;
    let tls = match &a.ca {
        Some(ca) => Tls::StartTls(tls_config(ca)?),
        None => Tls::None,
    };
    let options = ClientOptions::new(tls, TokioClock).allow_plaintext_auth(true);
    let mut client = Pop3Client::connect(Io(tcp), options)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    client
        .login(&a.user, a.pass.clone())
        .await
        .map_err(|e| format!("login: {e}"))?;
    Ok(client)
}

/// (content octets, seconds, verification)
async fn postwire_retr(a: &Args) -> Result<(u64, Timing, Option<String>), String> {
    let mut client = postwire_session(a).await?;
    let mut verifier = a.verify.as_deref().map(Verifier::new).transpose()?;
    let start = Timer::start();
    let mut bytes = 0u64;
    {
        let mut reader = client.retr(a.msg).await.map_err(|e| format!("retr: {e}"))?;
        while let Some(chunk) = reader
            .next_chunk()
            .await
            .map_err(|e| format!("next_chunk after {bytes} octets: {e}"))?
        {
            bytes += chunk.len() as u64;
            if let Some(v) = verifier.as_mut() {
                v.feed(&chunk);
            }
        }
    }
    let seconds = start.stop();
    client.quit().await.map_err(|e| format!("quit: {e}"))?;
    Ok((bytes, seconds, verifier.map(Verifier::finish)))
}

async fn postwire_uidl(a: &Args) -> Result<(u64, Timing), String> {
    let mut client = postwire_session(a).await?;
    let start = Timer::start();
    let entries = client.uidl().await.map_err(|e| format!("uidl: {e}"))?;
    let seconds = start.stop();
    client.quit().await.map_err(|e| format!("quit: {e}"))?;
    Ok((entries.len() as u64, seconds))
}

async fn async_pop_retr(a: &Args) -> Result<(u64, Timing, Option<String>), String> {
    let mut client = async_pop::connect_plain(a.server.as_str())
        .await
        .map_err(|e| format!("connect: {e}"))?;
    client
        .login(&a.user, &a.pass)
        .await
        .map_err(|e| format!("login: {e}"))?;
    let start = Timer::start();
    let message = client
        .retr(a.msg as usize)
        .await
        .map_err(|e| format!("retr: {e}"))?;
    let seconds = start.stop();
    let verdict = match a.verify.as_deref() {
        Some(path) => {
            let mut v = Verifier::new(path)?;
            v.feed(&message);
            Some(v.finish())
        }
        None => None,
    };
    client.quit().await.map_err(|e| format!("quit: {e}"))?;
    Ok((message.len() as u64, seconds, verdict))
}

/// The ceiling: blocking reads, no parsing beyond finding the end.
fn plain_retr(a: &Args) -> Result<(u64, Timing, Option<String>), String> {
    let mut tcp = std::net::TcpStream::connect(&a.server)
        .map_err(|e| format!("connect {}: {e}", a.server))?;
    tcp.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut line = |tcp: &mut std::net::TcpStream, send: Option<String>| -> Result<(), String> {
        if let Some(command) = send {
            tcp.write_all(command.as_bytes())
                .map_err(|e| e.to_string())?;
        }
        let mut got = Vec::new();
        while !got.ends_with(b"\r\n") {
            let n = tcp.read(&mut buf).map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("closed".to_owned());
            }
            got.extend_from_slice(&buf[..n]);
        }
        if got.starts_with(b"+OK") {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&got).into_owned())
        }
    };
    line(&mut tcp, None)?;
    line(&mut tcp, Some(format!("USER {}\r\n", a.user)))?;
    line(&mut tcp, Some(format!("PASS {}\r\n", a.pass)))?;
    let start = Timer::start();
    tcp.write_all(format!("RETR {}\r\n", a.msg).as_bytes())
        .map_err(|e| e.to_string())?;
    let finder = memchr::memmem::Finder::new(b"\r\n.\r\n");
    let mut wire = 0u64;
    let mut tail = [0u8; 4]; // the last 4 octets of the previous read
    loop {
        let n = tcp.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err(format!("closed after {wire} octets"));
        }
        let data = &buf[..n];
        wire += n as u64;
        // The terminator may straddle two reads.
        let mut seam = [0u8; 8];
        let m = n.min(4);
        seam[..4].copy_from_slice(&tail);
        seam[4..4 + m].copy_from_slice(&data[..m]);
        if wire > 4 && finder.find(&seam[..4 + m]).is_some() || finder.find(data).is_some() {
            break;
        }
        if n >= 4 {
            tail.copy_from_slice(&data[n - 4..]);
        } else {
            tail.rotate_left(n);
            tail[4 - n..].copy_from_slice(data);
        }
    }
    let seconds = start.stop();
    let _ = tcp.write_all(b"QUIT\r\n");
    let _ = tcp.read(&mut buf);
    Ok((wire, seconds, None))
}

/// CPU time of every thread of this process so far, in nanoseconds
/// (`/proc/self/task/*/schedstat`, precise where `getrusage` counts ticks).
fn cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(|t| t.ok())
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// Wall seconds and CPU seconds of a timed region.
struct Timer {
    wall: Instant,
    cpu: u64,
}

impl Timer {
    fn start() -> Self {
        // A benchmark measures wall time; the library never reads the clock.
        #[allow(clippy::disallowed_methods)]
        let wall = Instant::now();
        Self {
            wall,
            cpu: cpu_ns(),
        }
    }

    fn stop(&self) -> Timing {
        Timing {
            seconds: self.wall.elapsed().as_secs_f64(),
            cpu_seconds: cpu_ns().saturating_sub(self.cpu) as f64 / 1e9,
        }
    }
}

#[derive(Clone, Copy)]
struct Timing {
    seconds: f64,
    cpu_seconds: f64,
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))
}

fn peak_rss_kb() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_owned())
        })
        .unwrap_or_else(|| "?".to_owned())
}

fn run() -> Result<(), String> {
    let mut argv = std::env::args().skip(1);
    let implementation = argv.next().ok_or("missing IMPL")?;
    match implementation.as_str() {
        "gen-message" => {
            let size = argv.next().ok_or("gen-message SIZE FILE")?;
            let size: u64 = size.parse().map_err(|_| format!("size {size}"))?;
            let path = argv.next().ok_or("gen-message SIZE FILE")?;
            return gen_message(size, &path);
        }
        "gen-maildir" => {
            let dir = argv.next().ok_or("gen-maildir DIR COUNT")?;
            let count = argv.next().ok_or("gen-maildir DIR COUNT")?;
            let count: u32 = count.parse().map_err(|_| format!("count {count}"))?;
            return gen_maildir(&dir, count);
        }
        _ => {}
    }
    let a = parse_args(implementation, argv)?;
    if a.implementation == "postwire-uidl" {
        let (entries, t) = runtime()?.block_on(postwire_uidl(&a))?;
        println!(
            "{} entries={entries} seconds={:.3} cpu_s={:.3} vmhwm_kb={}",
            a.implementation,
            t.seconds,
            t.cpu_seconds,
            peak_rss_kb()
        );
        return Ok(());
    }
    let (bytes, t, verdict) = match a.implementation.as_str() {
        "postwire-retr" => runtime()?.block_on(postwire_retr(&a))?,
        "async-pop-retr" => runtime()?.block_on(async_pop_retr(&a))?,
        "plain-retr" => plain_retr(&a)?,
        other => {
            return Err(format!(
                "unknown IMPL {other}: postwire-retr, async-pop-retr, plain-retr, postwire-uidl, gen-message, gen-maildir"
            ));
        }
    };
    let content = a.size.unwrap_or(bytes);
    println!(
        "{} bytes={bytes} seconds={:.3} mb_per_s={:.1} cpu_s={:.3} vmhwm_kb={}{}",
        a.implementation,
        t.seconds,
        content as f64 / t.seconds / 1e6,
        t.cpu_seconds,
        peak_rss_kb(),
        verdict.map(|v| format!(" {v}")).unwrap_or_default()
    );
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pop3_bench: {e}");
            ExitCode::FAILURE
        }
    }
}
