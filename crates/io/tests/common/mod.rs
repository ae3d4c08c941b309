//! Test-only protocol machines and clocks for the driver tests.
#![allow(dead_code, unreachable_pub)]

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use postwire_core::{Bytes, LineFramer, Protocol, TlsInfo, Transmit};
use postwire_io::{Clock, Connection, Sleep, TlsRole};
use postwire_testkit::{DuplexStream, ServerCert, TestPki, localhost};

/// Timers from tokio (works with paused time).
#[derive(Clone, Copy, Debug)]
pub struct TokioClock;

impl Clock for TokioClock {
    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        Box::pin(tokio::time::sleep_until(deadline.into()))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Ev {
    /// Client: a line received. Server: a command executed.
    Line(Bytes),
    Tls(TlsInfo),
    Eof,
    /// Bulk: all expected bytes arrived; their checksum.
    Done(u64),
}

#[derive(Debug, PartialEq, Eq)]
pub enum MachineError {
    /// Plaintext followed the STARTTLS exchange (C07, S01).
    Injection,
    Refused,
    Timeout,
    TooLong,
}

impl std::fmt::Display for MachineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::error::Error for MachineError {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
}

/// A line protocol with STARTTLS.
///
/// Server: echoes every line back (after recording it as executed);
/// `STARTTLS` answers `OK begin TLS` then asks for TLS; `QUIT` answers `BYE`
/// and closes. Client: verbs `send`, `starttls`, `quit`; reports lines.
/// Both refuse any plaintext after the STARTTLS exchange.
pub struct LineMachine {
    side: Side,
    framer: LineFramer,
    out: VecDeque<Transmit>,
    events: VecDeque<Ev>,
    closed: bool,
    awaiting_starttls: bool,
    upgrading: bool,
    deadline: Option<Instant>,
}

impl LineMachine {
    pub fn new(side: Side) -> Self {
        Self {
            side,
            framer: LineFramer::new(64 * 1024),
            out: VecDeque::new(),
            events: VecDeque::new(),
            closed: false,
            awaiting_starttls: false,
            upgrading: false,
            deadline: None,
        }
    }

    pub fn client() -> Self {
        Self::new(Side::Client)
    }

    pub fn server() -> Self {
        Self::new(Side::Server)
    }

    fn write(&mut self, line: &[u8]) {
        let mut data = line.to_vec();
        data.extend_from_slice(b"\r\n");
        self.out.push_back(Transmit::Data(Bytes::from(data)));
    }

    /// Client verb: send one line.
    pub fn send(&mut self, line: &[u8]) {
        self.write(line);
    }

    /// Client verb: ask for STARTTLS.
    pub fn starttls(&mut self) {
        self.write(b"STARTTLS");
        self.awaiting_starttls = true;
    }

    /// Client verb: say goodbye.
    pub fn quit(&mut self) {
        self.write(b"QUIT");
    }

    /// Any side: fail with Timeout once `deadline` passes.
    pub fn set_deadline(&mut self, deadline: Option<Instant>) {
        self.deadline = deadline;
    }

    fn line(&mut self, line: Bytes) -> Result<(), MachineError> {
        if self.upgrading {
            return Err(MachineError::Injection);
        }
        match self.side {
            Side::Server => {
                if &line[..] == b"STARTTLS" {
                    // S01: a command pipelined after STARTTLS must never run.
                    if !self.framer.is_empty() {
                        return Err(MachineError::Injection);
                    }
                    self.write(b"OK begin TLS");
                    self.out.push_back(Transmit::StartTls);
                    self.upgrading = true;
                } else if &line[..] == b"QUIT" {
                    self.write(b"BYE");
                    self.out.push_back(Transmit::Close);
                    self.closed = true;
                } else {
                    self.events.push_back(Ev::Line(line.clone()));
                    self.write(&line);
                }
            }
            Side::Client => {
                if self.awaiting_starttls {
                    self.awaiting_starttls = false;
                    if !line.starts_with(b"OK") {
                        return Err(MachineError::Refused);
                    }
                    // C07: a reply injected after the STARTTLS reply.
                    if !self.framer.is_empty() {
                        return Err(MachineError::Injection);
                    }
                    self.out.push_back(Transmit::StartTls);
                    self.upgrading = true;
                } else {
                    self.events.push_back(Ev::Line(line));
                }
            }
        }
        Ok(())
    }
}

impl Protocol for LineMachine {
    type Event = Ev;
    type Error = MachineError;

    fn handle_input(&mut self, _now: Instant, data: &[u8]) -> Result<(), MachineError> {
        if self.upgrading {
            return Err(MachineError::Injection);
        }
        self.framer.push(data);
        while let Some(line) = self.framer.next_line().map_err(|_| MachineError::TooLong)? {
            self.line(line.content)?;
            if self.closed {
                break;
            }
        }
        Ok(())
    }

    fn handle_eof(&mut self, _now: Instant) -> Result<(), MachineError> {
        self.events.push_back(Ev::Eof);
        self.closed = true;
        Ok(())
    }

    fn handle_timeout(&mut self, now: Instant) -> Result<(), MachineError> {
        if self.deadline.is_some_and(|d| d <= now) {
            self.deadline = None;
            return Err(MachineError::Timeout);
        }
        Ok(())
    }

    fn handle_tls_established(&mut self, _now: Instant, info: TlsInfo) -> Result<(), MachineError> {
        self.upgrading = false;
        self.framer.clear();
        self.events.push_back(Ev::Tls(info));
        Ok(())
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.pop_front()
    }

    fn poll_event(&mut self) -> Option<Ev> {
        self.events.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.deadline
    }

    fn is_closed(&self) -> bool {
        self.closed
    }
}

/// Sends `to_send` bytes at once (in 64 KiB chunks of one shared buffer)
/// and reports `Done(checksum)` once `expect` bytes arrived.
pub struct Bulk {
    out: VecDeque<Transmit>,
    received: u64,
    expect: u64,
    checksum: u64,
    done: bool,
}

pub fn pattern(len: usize) -> Bytes {
    Bytes::from((0..len).map(|i| (i % 251) as u8).collect::<Vec<u8>>())
}

pub fn checksum(mut sum: u64, data: &[u8]) -> u64 {
    for &b in data {
        sum = sum.wrapping_mul(31).wrapping_add(u64::from(b));
    }
    sum
}

pub const CHUNK: usize = 64 * 1024;

impl Bulk {
    pub fn new(to_send: usize, expect: u64) -> Self {
        assert_eq!(to_send % CHUNK, 0);
        let chunk = pattern(CHUNK);
        let out = (0..to_send / CHUNK)
            .map(|_| Transmit::Data(chunk.clone()))
            .collect();
        Self {
            out,
            received: 0,
            expect,
            checksum: 0,
            done: false,
        }
    }

    pub fn expected_checksum(len: usize) -> u64 {
        let chunk = pattern(CHUNK);
        (0..len / CHUNK).fold(0, |sum, _| checksum(sum, &chunk))
    }
}

impl Protocol for Bulk {
    type Event = Ev;
    type Error = MachineError;

    fn handle_input(&mut self, _now: Instant, data: &[u8]) -> Result<(), MachineError> {
        self.received += data.len() as u64;
        self.checksum = checksum(self.checksum, data);
        Ok(())
    }

    fn handle_eof(&mut self, _now: Instant) -> Result<(), MachineError> {
        Ok(())
    }

    fn handle_timeout(&mut self, _now: Instant) -> Result<(), MachineError> {
        Ok(())
    }

    fn handle_tls_established(
        &mut self,
        _now: Instant,
        _info: TlsInfo,
    ) -> Result<(), MachineError> {
        Ok(())
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.pop_front()
    }

    fn poll_event(&mut self) -> Option<Ev> {
        if !self.done && self.received >= self.expect {
            self.done = true;
            return Some(Ev::Done(self.checksum));
        }
        None
    }

    fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    fn is_closed(&self) -> bool {
        false
    }
}

pub type Conn<P> = Connection<P, DuplexStream>;

/// The next event, which must exist.
pub async fn event<P, IO>(conn: &mut Connection<P, IO>) -> P::Event
where
    P: Protocol,
    P::Event: std::fmt::Debug,
    IO: futures_io::AsyncRead + futures_io::AsyncWrite + Unpin,
{
    match conn.next_event().await {
        Ok(Some(event)) => event,
        other => panic!("expected an event, got {other:?}"),
    }
}

pub fn line(ev: &Ev) -> &[u8] {
    match ev {
        Ev::Line(l) => l,
        other => panic!("expected a line, got {other:?}"),
    }
}

pub fn client_role() -> TlsRole {
    TlsRole::client(Arc::new(TestPki::shared().client_config()), localhost())
}

pub fn server_role(cert: ServerCert) -> TlsRole {
    let pki = TestPki::shared();
    TlsRole::server_with_certificate(Arc::new(pki.server_config(cert)), pki.server_cert_der(cert))
}

/// Serves a [`LineMachine`] server until it closes or fails; returns the
/// commands it executed and how it ended.
pub async fn serve<IO>(
    mut conn: Connection<LineMachine, IO>,
) -> (Vec<Ev>, Result<(), postwire_io::Error<MachineError>>)
where
    IO: futures_io::AsyncRead + futures_io::AsyncWrite + Unpin,
{
    let mut seen = Vec::new();
    loop {
        match conn.next_event().await {
            Ok(Some(ev)) => seen.push(ev),
            Ok(None) => return (seen, Ok(())),
            Err(e) => return (seen, Err(e)),
        }
    }
}
