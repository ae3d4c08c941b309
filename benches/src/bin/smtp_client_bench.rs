//! Client-side SMTP throughput on 127.0.0.1 (issue 3): postwire's
//! `SmtpClient` and `Pool`, and lettre 0.11's `AsyncSmtpTransport`, sending
//! the same messages to the same sink (Postfix's `smtp-sink`).
//!
//! ```text
//! smtp_client_bench IMPL --server HOST:PORT [--conns N] [--messages M]
//!     [--rcpts R] [--size BYTES] [--io compat|vectored]
//! IMPL: postwire        N tasks, each with its own SmtpClient (one TCP connection)
//!       postwire-pool   N tasks sharing one Pool with max_connections N
//!       lettre          N tasks sharing one AsyncSmtpTransport, pool max_size N
//! ```
//!
//! Every run sends M messages in total (split evenly over the N tasks), each
//! with R recipients `rcptK@example.org` and a body of about BYTES octets,
//! and prints one line: `IMPL conns=N messages=M rcpts=R size=BYTES
//! seconds=S msg_per_s=X`. Connection set-up is inside the timed region
//! (as it is for smtp-source and the Python script); TCP_NODELAY is set on
//! every postwire socket. Exit status 1 if any recipient was not accepted.
//!
//! `--io` picks how the postwire clients see the socket: `compat` (default)
//! writes like `tokio_util::compat::Compat`, the adapter the crate docs and
//! examples use, whose `futures_io::AsyncWrite` has no
//! `poll_write_vectored`, so a vectored write sends only its first slice;
//! `vectored` forwards vectored writes to tokio's `writev`.

use std::io::IoSlice;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use lettre::AsyncTransport;
use postwire_io::{Clock, Sleep};
use postwire_smtp::client::{ClientOptions, Envelope, Error, Pool, PoolOptions, SmtpClient, Tls};
use tokio::io::{AsyncRead as _, AsyncWrite as _, ReadBuf};

struct TokioClock;

impl Clock for TokioClock {
    fn sleep_until(&self, deadline: Instant) -> Sleep {
        Box::pin(tokio::time::sleep_until(deadline.into()))
    }
}

/// A tokio `TcpStream` as a `futures-io` stream: `Compat`'s behaviour, or
/// with vectored writes forwarded (see the module docs).
struct Io {
    tcp: tokio::net::TcpStream,
    vectored: bool,
}

impl futures_io::AsyncRead for Io {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        let mut buf = ReadBuf::new(buf);
        match Pin::new(&mut self.tcp).poll_read(cx, &mut buf) {
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
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        if self.vectored {
            return Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs);
        }
        // futures-io's default, which Compat inherits: the first non-empty slice.
        let buf = bufs
            .iter()
            .find(|b| !b.is_empty())
            .map_or(&[][..], |b| &**b);
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

struct Args {
    implementation: String,
    server: String,
    conns: usize,
    messages: usize,
    rcpts: usize,
    size: usize,
    vectored: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut argv = std::env::args().skip(1);
    let implementation = argv.next().ok_or("missing IMPL")?;
    let mut a = Args {
        implementation,
        server: "127.0.0.1:11025".to_owned(),
        conns: 1,
        messages: 1000,
        rcpts: 10,
        size: 1024,
        vectored: false,
    };
    while let Some(flag) = argv.next() {
        let value = argv.next().ok_or(format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<usize>()
                .map_err(|_| format!("{flag}: {value}"))
        };
        match flag.as_str() {
            "--server" => a.server = value.clone(),
            "--conns" => a.conns = number()?.max(1),
            "--messages" => a.messages = number()?,
            "--rcpts" => a.rcpts = number()?.max(1),
            "--size" => a.size = number()?,
            "--io" => {
                a.vectored = match value.as_str() {
                    "compat" => false,
                    "vectored" => true,
                    other => return Err(format!("--io {other}: compat or vectored")),
                }
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(a)
}

/// A message of `size` octets (at least its header): a small header, then
/// lines of up to 76 octets with CRLF.
fn message(size: usize) -> Vec<u8> {
    let mut m = b"From: a@example.org\r\nTo: rcpt0@example.org\r\nSubject: bench\r\n\r\n".to_vec();
    while m.len() + 3 <= size {
        let n = (size - m.len() - 2).min(74);
        m.extend(std::iter::repeat_n(b'x', n));
        m.extend_from_slice(b"\r\n");
    }
    m
}

fn recipients(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("rcpt{i}@example.org")).collect()
}

fn postwire_envelope(rcpts: &[String]) -> Result<Envelope, String> {
    let mut envelope = Envelope::parse("a@example.org").map_err(|e| e.to_string())?;
    for r in rcpts {
        envelope = envelope.to(r.parse().map_err(|e| format!("{r}: {e:?}"))?);
    }
    Ok(envelope)
}

async fn postwire_connect(server: String, vectored: bool) -> Result<SmtpClient<Io>, Error> {
    let tcp = tokio::net::TcpStream::connect(server)
        .await
        .map_err(Error::Connect)?;
    tcp.set_nodelay(true).map_err(Error::Connect)?;
    SmtpClient::connect(
        Io { tcp, vectored },
        ClientOptions::new(Tls::None, TokioClock),
    )
    .await
}

/// `count` messages over one client of its own; the number not fully accepted.
async fn postwire_task(
    server: String,
    vectored: bool,
    envelope: Envelope,
    body: Arc<Vec<u8>>,
    count: usize,
) -> Result<usize, String> {
    let mut client = postwire_connect(server, vectored)
        .await
        .map_err(|e| e.to_string())?;
    let mut refused = 0;
    for _ in 0..count {
        let report = client
            .send(envelope.clone(), &body[..])
            .await
            .map_err(|e| e.to_string())?;
        refused += usize::from(!report.all_accepted());
    }
    client.quit().await.map_err(|e| e.to_string())?;
    Ok(refused)
}

async fn run(a: &Args) -> Result<usize, String> {
    let body = Arc::new(message(a.size));
    let rcpts = recipients(a.rcpts);
    let per_task = |i: usize| a.messages / a.conns + usize::from(i < a.messages % a.conns);
    let mut tasks = tokio::task::JoinSet::new();
    match a.implementation.as_str() {
        "postwire" => {
            let envelope = postwire_envelope(&rcpts)?;
            for i in 0..a.conns {
                let task = postwire_task(
                    a.server.clone(),
                    a.vectored,
                    envelope.clone(),
                    body.clone(),
                    per_task(i),
                );
                tasks.spawn(task);
            }
        }
        "postwire-pool" => {
            let envelope = postwire_envelope(&rcpts)?;
            let (server, vectored) = (a.server.clone(), a.vectored);
            let pool = Pool::new(
                move || postwire_connect(server.clone(), vectored),
                PoolOptions::default().max_connections(a.conns),
            );
            for i in 0..a.conns {
                let (pool, envelope, body, count) =
                    (pool.clone(), envelope.clone(), body.clone(), per_task(i));
                tasks.spawn(async move {
                    let mut refused = 0;
                    for _ in 0..count {
                        let report = pool
                            .send(envelope.clone(), &body[..])
                            .await
                            .map_err(|e| e.to_string())?;
                        refused += usize::from(!report.all_accepted());
                    }
                    Ok(refused)
                });
            }
            let refused = join_all(&mut tasks).await?;
            pool.close_idle().await;
            return Ok(refused);
        }
        "lettre" => {
            use lettre::AsyncSmtpTransport;
            use lettre::Tokio1Executor;
            use lettre::address::{Address, Envelope as LettreEnvelope};
            use lettre::transport::smtp::PoolConfig;
            let (host, port) = a.server.rsplit_once(':').ok_or("--server HOST:PORT")?;
            let port: u16 = port.parse().map_err(|_| "--server HOST:PORT")?;
            let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
                .port(port)
                .pool_config(PoolConfig::new().max_size(a.conns as u32))
                .build();
            let to = rcpts
                .iter()
                .map(|r| r.parse::<Address>().map_err(|e| e.to_string()))
                .collect::<Result<Vec<_>, _>>()?;
            let from: Address = "a@example.org"
                .parse()
                .map_err(|e: lettre::address::AddressError| e.to_string())?;
            let envelope = LettreEnvelope::new(Some(from), to).map_err(|e| e.to_string())?;
            for i in 0..a.conns {
                let (transport, envelope, body, count) = (
                    transport.clone(),
                    envelope.clone(),
                    body.clone(),
                    per_task(i),
                );
                tasks.spawn(async move {
                    let mut refused = 0;
                    for _ in 0..count {
                        let response = transport
                            .send_raw(&envelope, &body)
                            .await
                            .map_err(|e| e.to_string())?;
                        refused += usize::from(!response.is_positive());
                    }
                    Ok(refused)
                });
            }
        }
        other => {
            return Err(format!(
                "unknown IMPL {other}: postwire, postwire-pool or lettre"
            ));
        }
    }
    join_all(&mut tasks).await
}

async fn join_all(
    tasks: &mut tokio::task::JoinSet<Result<usize, String>>,
) -> Result<usize, String> {
    let mut refused = 0;
    while let Some(done) = tasks.join_next().await {
        refused += done.map_err(|e| e.to_string())??;
    }
    Ok(refused)
}

fn main() -> ExitCode {
    let a = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!(
                "smtp_client_bench: {e}\nusage: smtp_client_bench postwire|postwire-pool|lettre --server HOST:PORT [--conns N] [--messages M] [--rcpts R] [--size BYTES] [--io compat|vectored]"
            );
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("smtp_client_bench: runtime: {e}");
            return ExitCode::from(2);
        }
    };
    // A benchmark measures wall time; the library never reads the clock.
    #[allow(clippy::disallowed_methods)]
    let start = Instant::now();
    let result = runtime.block_on(run(&a));
    let seconds = start.elapsed().as_secs_f64();
    match result {
        Ok(refused) => {
            println!(
                "{}{} conns={} messages={} rcpts={} size={} seconds={seconds:.3} msg_per_s={:.0}",
                a.implementation,
                if a.vectored { "(vectored)" } else { "" },
                a.conns,
                a.messages,
                a.rcpts,
                a.size,
                a.messages as f64 / seconds
            );
            if refused > 0 {
                eprintln!(
                    "smtp_client_bench: {refused} message(s) not accepted by every recipient"
                );
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("smtp_client_bench: {e}");
            ExitCode::FAILURE
        }
    }
}
