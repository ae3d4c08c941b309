//! The driver: one `Connection` runs one protocol machine on one stream.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::io::{self, IoSlice, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use futures_io::{AsyncRead, AsyncWrite};
use postwire_core::{Protocol, TlsInfo, Transmit};

use crate::client_tls::Tls;
use crate::clock::{Clock, Sleep};
use crate::config::{Config, READ_BUFFER_SIZE};
use crate::error::Error;
use crate::queue::{Head, MAX_SLICES, OutQueue};

/// Up to this many queued bytes in several pieces are copied into one
/// buffer and written at once (see `step_write`).
const COALESCE_LIMIT: usize = 16 * 1024;
use crate::tls::TlsRole;
use crate::transcript::{Direction, Recorder, Redactor, Transcript};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Plaintext; STARTTLS may come.
    Plain,
    /// A TLS handshake is running; bytes read are TLS records for rustls only.
    Handshaking,
    /// TLS is established.
    Tls,
    /// The stream is closed (cleanly or after an error).
    Closed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Goal {
    Event,
    Flush,
    /// Write until at most this many bytes of output remain queued.
    Drain(usize),
    Close,
}

/// Counters of one connection, for tests and metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Bytes read from the stream (ciphertext under TLS).
    pub bytes_read: u64,
    /// Bytes written to the stream (ciphertext under TLS).
    pub bytes_written: u64,
    /// The largest reactive output backlog seen (see
    /// [`Config::output_backlog_limit`]).
    pub peak_reactive_backlog: usize,
}

type Result<T, E> = std::result::Result<T, Error<E>>;

/// Rounds of progress in one poll before the driver yields.
const YIELD_BUDGET: u32 = 64;

/// Runs a sans-IO [`Protocol`] machine on a `futures-io` stream, with TLS
/// (implicit or by STARTTLS) from rustls.
///
/// All state lives in this struct, never in a future: a future returned by
/// [`next_event`](Self::next_event), [`flush`](Self::flush) or
/// [`close`](Self::close) may be dropped at any `.await` point and the next
/// call carries on where it stopped (see [`is_poisoned`](Self::is_poisoned)
/// for what a connection pool should make of that).
pub struct Connection<P: Protocol, IO> {
    io: IO,
    protocol: P,
    clock: Box<dyn Clock>,
    config: Config,
    role: Option<TlsRole>,
    tls: Option<rustls::Connection>,
    phase: Phase,
    read_buf: Box<[u8]>,
    read_start: usize,
    read_end: usize,
    plain_buf: Vec<u8>,
    out: OutQueue,
    /// Small queued pieces copied together, so they leave in one write.
    coalesce: Vec<u8>,
    events: VecDeque<P::Event>,
    needs_flush: bool,
    read_eof: bool,
    eof_delivered: bool,
    close_requested: bool,
    close_notified: bool,
    sleep: Option<(Instant, Sleep)>,
    handshake_deadline: Option<Instant>,
    recorder: Option<Recorder>,
    tls_info: Option<TlsInfo>,
    error: Option<Error<P::Error>>,
    busy: bool,
    stats: Stats,
}

impl<P: Protocol, IO> std::fmt::Debug for Connection<P, IO> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("phase", &self.phase)
            .field("buffered_output", &self.out.bytes())
            .field("buffered_events", &self.events.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

/// `std::io::Write` over a polled stream: `Pending` becomes `WouldBlock`,
/// so rustls's `write_tls` can write straight into the socket.
struct SyncWriter<'a, 'b, IO> {
    io: &'a mut IO,
    cx: &'a mut Context<'b>,
}

impl<IO: AsyncWrite + Unpin> Write for SyncWriter<'_, '_, IO> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match Pin::new(&mut *self.io).poll_write(self.cx, buf) {
            Poll::Ready(r) => r,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match Pin::new(&mut *self.io).poll_write_vectored(self.cx, bufs) {
            Poll::Ready(r) => r,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<P, IO> Connection<P, IO>
where
    P: Protocol,
    IO: AsyncRead + AsyncWrite + Unpin,
{
    fn build(io: IO, protocol: P, clock: Box<dyn Clock>, role: Option<TlsRole>) -> Self {
        Self {
            io,
            protocol,
            clock,
            config: Config::default(),
            role,
            tls: None,
            phase: Phase::Plain,
            read_buf: vec![0; READ_BUFFER_SIZE].into_boxed_slice(),
            read_start: 0,
            read_end: 0,
            plain_buf: Vec::new(),
            out: OutQueue::default(),
            coalesce: Vec::new(),
            events: VecDeque::new(),
            needs_flush: false,
            read_eof: false,
            eof_delivered: false,
            close_requested: false,
            close_notified: false,
            sleep: None,
            handshake_deadline: None,
            recorder: None,
            tls_info: None,
            error: None,
            busy: false,
            stats: Stats::default(),
        }
    }

    /// A plaintext connection that cannot start TLS: a `Transmit::StartTls`
    /// from the machine fails with [`Error::TlsNotConfigured`].
    pub fn new(io: IO, protocol: P, clock: impl Clock) -> Self {
        Self::build(io, protocol, Box::new(clock), None)
    }

    /// A connection that starts in plaintext and runs a TLS handshake in
    /// `role` when the machine asks for STARTTLS (RFC 3207, RFC 2595).
    pub fn new_starttls(io: IO, protocol: P, clock: impl Clock, role: TlsRole) -> Self {
        Self::build(io, protocol, Box::new(clock), Some(role))
    }

    /// A connection that starts with a TLS handshake in `role` (implicit
    /// TLS: submissions on port 465 per RFC 8314, IMAPS 993, POP3S 995).
    ///
    /// The handshake runs on the first call that drives the connection; the
    /// machine gets `handle_tls_established` before any of its output is
    /// written or any input is fed to it.
    pub fn new_implicit_tls(
        io: IO,
        protocol: P,
        clock: impl Clock,
        role: TlsRole,
    ) -> Result<Self, P::Error> {
        let mut conn = Self::build(io, protocol, Box::new(clock), Some(role));
        conn.begin_tls()?;
        Ok(conn)
    }

    /// A client connection in the TLS mode the application chose: plain
    /// for [`Tls::None`], STARTTLS-capable for both STARTTLS modes (the
    /// machine's own policy says whether it is required), implicit TLS for
    /// [`Tls::Implicit`]. The facades set their machine's policy from the
    /// same [`Tls`] before calling this.
    pub fn new_client(io: IO, protocol: P, clock: impl Clock, tls: &Tls) -> Result<Self, P::Error> {
        Ok(match tls {
            Tls::None => Self::new(io, protocol, clock),
            Tls::StartTls(t) | Tls::StartTlsOpportunistic(t) => {
                Self::new_starttls(io, protocol, clock, t.role())
            }
            Tls::Implicit(t) => Self::new_implicit_tls(io, protocol, clock, t.role())?,
        })
    }

    /// Replaces the limits (call before the first use).
    pub fn with_config(mut self, config: Config) -> Self {
        self.config = config;
        self.apply_write_limit();
        self
    }

    /// Installs a transcript: every line in and out goes through `redactor`
    /// and then to `sink` (see the [`transcript`](crate::transcript) module).
    pub fn set_transcript(
        &mut self,
        sink: impl Transcript + 'static,
        redactor: impl Redactor + 'static,
    ) {
        self.recorder = Some(Recorder::new(Box::new(sink), Box::new(redactor)));
    }

    /// The machine, to read its state.
    pub fn protocol(&self) -> &P {
        &self.protocol
    }

    /// The machine, to issue a verb (`ehlo`, `select`, `reply`, ...). Its
    /// output goes out on the next call to [`next_event`](Self::next_event),
    /// [`flush`](Self::flush) or [`close`](Self::close).
    pub fn protocol_mut(&mut self) -> &mut P {
        &mut self.protocol
    }

    /// The stream.
    pub fn get_ref(&self) -> &IO {
        &self.io
    }

    /// The limits in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// What the TLS handshake established, once it completed.
    pub fn tls_info(&self) -> Option<&TlsInfo> {
        self.tls_info.as_ref()
    }

    /// Whether TLS is established.
    pub fn is_tls(&self) -> bool {
        self.tls_info.is_some() && self.phase != Phase::Plain
    }

    /// Whether the connection is closed; `next_event` then returns `Ok(None)`
    /// once the events already read are taken.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// Bytes taken from the machine and not yet written to the stream.
    pub fn buffered_output(&self) -> usize {
        self.out.bytes()
    }

    /// Counters of this connection.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Whether a driving future (`next_event`, `flush`, `close`) was dropped
    /// while output was still partly unwritten.
    ///
    /// The byte stream itself is intact: the rest goes out on the next call.
    /// But the peer may have seen part of a command, and the machine may be
    /// waiting for a reply to a command the application no longer waits for.
    /// A connection pool that will not drive the connection to the end of
    /// what it started must discard a poisoned connection instead of reusing
    /// it. A later call that completes clears the flag.
    pub fn is_poisoned(&self) -> bool {
        self.busy
            && (self.out.is_partial()
                || !self.out.is_empty()
                || self.tls.as_ref().is_some_and(|t| t.wants_write()))
    }

    /// Drives reads, writes, the TLS layer and the machine's timer until the
    /// machine has an event (`Ok(Some(event))`) or the connection is closed
    /// (`Ok(None)`, also every later call).
    ///
    /// Output queued by verbs goes out first; a machine's error is returned
    /// after the events it produced before failing.
    pub async fn next_event(&mut self) -> Result<Option<P::Event>, P::Error> {
        self.busy = true;
        let result = poll_fn(|cx| self.poll_drive(cx, Goal::Event)).await;
        self.busy = false;
        result
    }

    /// The polling form of [`next_event`](Self::next_event), for manual
    /// futures and `Stream` adapters.
    pub fn poll_next_event(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Option<P::Event>, P::Error>> {
        self.poll_drive(cx, Goal::Event)
    }

    /// Writes everything the machine queued, including a STARTTLS handshake
    /// or a close it asked for, and flushes the stream. Reading goes on
    /// meanwhile (so the peer can never deadlock us); events read are kept
    /// for `next_event`, up to [`Config::max_buffered_events`].
    pub async fn flush(&mut self) -> Result<(), P::Error> {
        self.busy = true;
        let result = poll_fn(|cx| self.poll_drive(cx, Goal::Flush)).await;
        self.busy = false;
        result.map(drop)
    }

    /// Writes until at most `max_buffered` bytes of output remain queued
    /// (reading meanwhile, as [`flush`](Self::flush) does).
    ///
    /// The driver takes every transmit the machine has, so a large payload
    /// handed to the machine at once sits in memory at once. A facade that
    /// streams a message feeds the machine one chunk, calls
    /// `flush_until(chunk_size)`, and feeds the next: memory stays near two
    /// chunks and the stream never runs dry.
    pub async fn flush_until(&mut self, max_buffered: usize) -> Result<(), P::Error> {
        self.busy = true;
        let result = poll_fn(|cx| self.poll_drive(cx, Goal::Drain(max_buffered))).await;
        self.busy = false;
        result.map(drop)
    }

    /// Writes what is queued, sends TLS close_notify, and closes the stream.
    /// Use the protocol's own goodbye (QUIT, LOGOUT) first.
    pub async fn close(&mut self) -> Result<(), P::Error> {
        if self.phase == Phase::Closed {
            return Ok(());
        }
        self.busy = true;
        self.close_requested = true;
        self.collect(false);
        self.out.push(Transmit::Close, false);
        let result = poll_fn(|cx| self.poll_drive(cx, Goal::Close)).await;
        self.busy = false;
        result.map(drop)
    }

    // ---- the loop ----------------------------------------------------------

    fn poll_drive(
        &mut self,
        cx: &mut Context<'_>,
        goal: Goal,
    ) -> Poll<Result<Option<P::Event>, P::Error>> {
        // Rounds with progress before yielding to the executor, so a fast
        // peer cannot keep one task busy for a whole message.
        let mut budget = YIELD_BUDGET;
        loop {
            if self.phase != Phase::Closed && self.error.is_none() {
                self.collect(false);
            }
            if goal == Goal::Event
                && let Some(event) = self.events.pop_front()
            {
                return Poll::Ready(Ok(Some(event)));
            }
            if let Some(error) = self.error.take() {
                return Poll::Ready(Err(error));
            }
            if self.phase == Phase::Closed {
                return Poll::Ready(match goal {
                    Goal::Event | Goal::Close => Ok(None),
                    // Output the machine produced after the close is lost.
                    Goal::Flush | Goal::Drain(_) if self.protocol.poll_transmit().is_some() => {
                        Err(Error::Closed)
                    }
                    Goal::Flush | Goal::Drain(_) => Ok(None),
                });
            }
            match goal {
                Goal::Flush if self.is_flushed() => return Poll::Ready(Ok(None)),
                Goal::Drain(max) if self.phase != Phase::Handshaking && self.out.bytes() <= max => {
                    return Poll::Ready(Ok(None));
                }
                _ => {}
            }
            let progress = match self.step(cx) {
                Ok(progress) => progress,
                Err(error) => {
                    self.fail(cx, error);
                    true
                }
            };
            if !progress {
                return Poll::Pending;
            }
            budget -= 1;
            if budget == 0 {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
        }
    }

    /// One round of every source; whether anything moved.
    fn step(&mut self, cx: &mut Context<'_>) -> Result<bool, P::Error> {
        let mut progress = self.step_write(cx)?;
        if self.phase == Phase::Closed {
            return Ok(true);
        }
        progress |= self.step_read(cx)?;
        progress |= self.step_timer(cx)?;
        progress |= self.step_finish();
        Ok(progress)
    }

    fn is_flushed(&self) -> bool {
        self.phase != Phase::Handshaking
            && self.out.is_empty()
            && !self.needs_flush
            && !self.tls.as_ref().is_some_and(|t| t.wants_write())
    }

    /// Moves the machine's transmits and events into the driver's queues.
    /// Returns whether anything came out.
    fn collect(&mut self, reactive: bool) -> bool {
        let mut any = false;
        while let Some(transmit) = self.protocol.poll_transmit() {
            any = true;
            if let (Some(recorder), Transmit::Data(bytes)) = (&mut self.recorder, &transmit) {
                recorder.data(Direction::Outgoing, bytes);
            }
            self.out.push(transmit, reactive);
        }
        self.stats.peak_reactive_backlog = self
            .stats
            .peak_reactive_backlog
            .max(self.out.reactive_bytes());
        while let Some(event) = self.protocol.poll_event() {
            any = true;
            self.events.push_back(event);
        }
        any
    }

    /// Records a fatal error, writes what can go out without waiting (a
    /// final reply, a TLS alert), and closes the stream.
    fn fail(&mut self, cx: &mut Context<'_>, error: Error<P::Error>) {
        let stream_broken = matches!(error, Error::Io(_) | Error::HandshakeEof);
        if self.error.is_none() {
            self.error = Some(error);
        }
        if !stream_broken {
            self.collect(true);
            self.write_best_effort(cx);
            let _ = Pin::new(&mut self.io).poll_close(cx);
        }
        self.shut();
    }

    fn write_best_effort(&mut self, cx: &mut Context<'_>) {
        if self.phase == Phase::Tls {
            if let Some(tls) = self.tls.as_mut() {
                while let Some(data) = self.out.front_data() {
                    match tls.writer().write(data) {
                        Ok(n) if n > 0 => self.out.advance(n),
                        _ => break,
                    }
                }
            }
        } else if self.phase == Phase::Plain {
            while let Some(data) = self.out.front_data() {
                match Pin::new(&mut self.io).poll_write(cx, data) {
                    Poll::Ready(Ok(n)) if n > 0 => self.out.advance(n),
                    _ => break,
                }
            }
        }
        if let Some(tls) = self.tls.as_mut() {
            while tls.wants_write() {
                let mut writer = SyncWriter {
                    io: &mut self.io,
                    cx: &mut *cx,
                };
                match tls.write_tls(&mut writer) {
                    Ok(n) if n > 0 => {}
                    _ => break,
                }
            }
        }
        let _ = Pin::new(&mut self.io).poll_flush(cx);
    }

    fn shut(&mut self) {
        self.phase = Phase::Closed;
        self.out.clear();
        self.sleep = None;
        self.handshake_deadline = None;
        if let Some(recorder) = self.recorder.as_mut() {
            recorder.finish();
        }
    }

    fn apply_write_limit(&mut self) {
        let limit = self.config.tls_write_buffer_limit;
        if let Some(tls) = self.tls.as_mut() {
            tls.set_buffer_limit(Some(limit));
        }
    }

    fn begin_tls(&mut self) -> Result<(), P::Error> {
        let role = self.role.as_ref().ok_or(Error::TlsNotConfigured)?;
        let tls = role
            .start(self.config.tls_write_buffer_limit)
            .map_err(Error::Tls)?;
        self.tls = Some(tls);
        self.plain_buf = vec![0; READ_BUFFER_SIZE];
        self.phase = Phase::Handshaking;
        self.handshake_deadline = None;
        Ok(())
    }

    /// `Transmit::StartTls` reached the head of the queue: everything before
    /// it is written and flushed.
    fn start_tls(&mut self) -> Result<(), P::Error> {
        if self.tls.is_some() {
            return Err(Error::AlreadyTls);
        }
        // The driver hands every byte it reads to the machine at once, and
        // `watch_before_tls` fails on the first byte that arrives while a
        // StartTls is queued, so this buffer is empty: a last guard. The
        // machine itself refuses plaintext that followed its STARTTLS
        // exchange in the same read (CVE-2011-0411).
        if self.read_start != self.read_end {
            return Err(Error::PlaintextBeforeTls);
        }
        self.begin_tls()
    }

    fn finish_handshake(&mut self) -> Result<(), P::Error> {
        let (Some(role), Some(tls)) = (self.role.as_ref(), self.tls.as_ref()) else {
            return Err(Error::TlsNotConfigured);
        };
        let info = role.info(tls);
        self.phase = Phase::Tls;
        self.handshake_deadline = None;
        if let Some(recorder) = self.recorder.as_mut() {
            recorder.tls_established(&info);
        }
        self.tls_info = Some(info.clone());
        let now = self.clock.now();
        let result = self.protocol.handle_tls_established(now, info);
        self.collect(true);
        result.map_err(Error::Protocol)
    }

    // ---- writing -----------------------------------------------------------

    /// Writes queued output; performs StartTls and Close when they reach the
    /// head of the queue.
    fn step_write(&mut self, cx: &mut Context<'_>) -> Result<bool, P::Error> {
        let mut progress = false;
        loop {
            match self.phase {
                Phase::Closed => return Ok(progress),
                Phase::Handshaking => {
                    progress |= self.write_tls(cx)?;
                    if self.close_requested {
                        // The application closes before the handshake ended:
                        // nothing queued can go out, abort.
                        return self.step_close(cx).map(|p| p || progress);
                    }
                    if self.handshake_deadline.is_none() {
                        self.handshake_deadline = self
                            .config
                            .handshake_timeout
                            .map(|timeout| self.clock.now() + timeout);
                    }
                    return Ok(progress);
                }
                Phase::Plain => {
                    if self.out.head() == Head::Data {
                        let mut slices = [IoSlice::new(&[]); MAX_SLICES];
                        let n = self.out.slices(&mut slices);
                        let total: usize = slices[..n].iter().map(|s| s.len()).sum();
                        let written = if n > 1 && total <= COALESCE_LIMIT {
                            // Several small pieces (a pipelined envelope, the
                            // last body chunk and the final dot) leave in one
                            // write even on streams that do not pass vectored
                            // writes through, such as tokio-util's Compat: one
                            // segment instead of several, no delayed ACK.
                            self.coalesce.clear();
                            for slice in &slices[..n] {
                                self.coalesce.extend_from_slice(slice);
                            }
                            Pin::new(&mut self.io).poll_write(cx, &self.coalesce)
                        } else {
                            Pin::new(&mut self.io).poll_write_vectored(cx, &slices[..n])
                        };
                        match written {
                            Poll::Ready(Ok(0)) => {
                                return Err(Error::Io(io::ErrorKind::WriteZero.into()));
                            }
                            Poll::Ready(Ok(written)) => {
                                self.out.advance(written);
                                self.stats.bytes_written += written as u64;
                                self.needs_flush = true;
                                progress = true;
                                continue;
                            }
                            Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {
                                continue;
                            }
                            Poll::Ready(Err(e)) => return Err(Error::Io(e)),
                            Poll::Pending => return Ok(progress),
                        }
                    }
                }
                Phase::Tls => {
                    let mut moved = false;
                    if let Some(tls) = self.tls.as_mut() {
                        while let Some(data) = self.out.front_data() {
                            let n = tls.writer().write(data).map_err(Error::Io)?;
                            if n == 0 {
                                break;
                            }
                            self.out.advance(n);
                            moved = true;
                        }
                    }
                    let wrote = self.write_tls(cx)?;
                    progress |= moved || wrote;
                    let pending_tls = self.tls.as_ref().is_some_and(|t| t.wants_write());
                    if pending_tls {
                        // The stream is full; write_tls saw Pending.
                        return Ok(progress);
                    }
                    if self.out.head() == Head::Data {
                        if moved || wrote {
                            continue;
                        }
                        return Ok(progress);
                    }
                }
            }
            // Everything before the head control item (if any) is written.
            if self.needs_flush {
                match Pin::new(&mut self.io).poll_flush(cx) {
                    Poll::Ready(Ok(())) => {
                        self.needs_flush = false;
                        progress = true;
                    }
                    Poll::Ready(Err(e)) => return Err(Error::Io(e)),
                    Poll::Pending => return Ok(progress),
                }
            }
            match self.out.head() {
                Head::Empty | Head::Data => return Ok(progress),
                Head::StartTls => {
                    self.out.pop_control();
                    self.start_tls()?;
                    progress = true;
                }
                Head::Close => return self.step_close(cx).map(|p| p || progress),
            }
        }
    }

    /// Sends close_notify (under TLS), writes it, and closes the stream.
    fn step_close(&mut self, cx: &mut Context<'_>) -> Result<bool, P::Error> {
        let mut progress = false;
        if !self.close_notified {
            self.close_notified = true;
            if let Some(tls) = self.tls.as_mut() {
                tls.send_close_notify();
            }
            progress = true;
        }
        // The peer may be gone already (it closed first); a close_notify
        // that cannot be written is no error.
        match self.write_tls(cx) {
            Ok(true) => progress = true,
            Ok(false) => {}
            Err(_) => {
                self.shut();
                return Ok(true);
            }
        }
        if self.tls.as_ref().is_some_and(|t| t.wants_write()) {
            return Ok(progress);
        }
        match Pin::new(&mut self.io).poll_close(cx) {
            Poll::Ready(result) => {
                self.shut();
                // A peer that is already gone makes close fail; the
                // connection is closed either way.
                let _ = result;
                Ok(true)
            }
            Poll::Pending => Ok(progress),
        }
    }

    /// Writes rustls's pending records; whether anything was written.
    fn write_tls(&mut self, cx: &mut Context<'_>) -> Result<bool, P::Error> {
        let Some(tls) = self.tls.as_mut() else {
            return Ok(false);
        };
        let mut wrote = false;
        while tls.wants_write() {
            let mut writer = SyncWriter {
                io: &mut self.io,
                cx: &mut *cx,
            };
            match tls.write_tls(&mut writer) {
                Ok(0) => return Err(Error::Io(io::ErrorKind::WriteZero.into())),
                Ok(n) => {
                    self.stats.bytes_written += n as u64;
                    self.needs_flush = true;
                    wrote = true;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::Io(e)),
            }
        }
        if wrote && !tls.wants_write() && self.needs_flush {
            // Push records out of any buffering layer (compat adapters,
            // BufWriter) so the peer sees them.
            if let Poll::Ready(Ok(())) = Pin::new(&mut self.io).poll_flush(cx) {
                self.needs_flush = false;
            }
        }
        Ok(wrote)
    }

    // ---- reading -----------------------------------------------------------

    /// Whether the driver may feed the machine more input now.
    fn may_deliver(&self) -> bool {
        self.error.is_none()
            && !self.eof_delivered
            && !self.out.has_starttls()
            && !self.out.has_close()
            && self.out.reactive_bytes() <= self.config.output_backlog_limit
            && self.events.len() < self.config.max_buffered_events
    }

    fn step_read(&mut self, cx: &mut Context<'_>) -> Result<bool, P::Error> {
        match self.phase {
            Phase::Closed => Ok(false),
            Phase::Plain => self.read_plain(cx),
            Phase::Handshaking | Phase::Tls => self.read_tls(cx),
        }
    }

    fn read_plain(&mut self, cx: &mut Context<'_>) -> Result<bool, P::Error> {
        if self.read_eof || self.error.is_some() || self.eof_delivered {
            return Ok(false);
        }
        if self.out.has_starttls() && !self.out.has_close() {
            return self.watch_before_tls(cx);
        }
        if !self.may_deliver() {
            return Ok(false);
        }
        match Pin::new(&mut self.io).poll_read(cx, &mut self.read_buf) {
            Poll::Ready(Ok(0)) => {
                self.read_eof = true;
                self.deliver_eof()?;
                Ok(true)
            }
            Poll::Ready(Ok(n)) => {
                self.stats.bytes_read += n as u64;
                if let Some(recorder) = self.recorder.as_mut() {
                    recorder.data(Direction::Incoming, &self.read_buf[..n]);
                }
                // Every byte read goes to the machine at once: the driver
                // never holds plaintext the machine has not seen.
                let now = self.clock.now();
                let result = self.protocol.handle_input(now, &self.read_buf[..n]);
                self.collect(true);
                result.map_err(Error::Protocol)?;
                Ok(true)
            }
            Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => Ok(true),
            Poll::Ready(Err(e)) => Err(Error::Io(e)),
            Poll::Pending => Ok(false),
        }
    }

    /// A StartTls is queued behind output not yet written: the peer must be
    /// silent until it has our STARTTLS command or reply, so any byte that
    /// arrives now was sent before TLS by someone who may not be the peer
    /// (CVE-2011-0411). It is kept out of the machine and fails the
    /// connection at once.
    fn watch_before_tls(&mut self, cx: &mut Context<'_>) -> Result<bool, P::Error> {
        match Pin::new(&mut self.io).poll_read(cx, &mut self.read_buf) {
            Poll::Ready(Ok(0)) => {
                self.read_eof = true;
                Ok(true)
            }
            Poll::Ready(Ok(n)) => {
                self.stats.bytes_read += n as u64;
                self.read_start = 0;
                self.read_end = n;
                Err(Error::PlaintextBeforeTls)
            }
            Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => Ok(true),
            Poll::Ready(Err(e)) => Err(Error::Io(e)),
            Poll::Pending => Ok(false),
        }
    }

    fn deliver_eof(&mut self) -> Result<(), P::Error> {
        if self.eof_delivered {
            return Ok(());
        }
        self.eof_delivered = true;
        let now = self.clock.now();
        let result = self.protocol.handle_eof(now);
        self.collect(true);
        result.map_err(Error::Protocol)
    }

    /// Hands decrypted plaintext to the machine.
    fn deliver_plaintext(&mut self) -> Result<bool, P::Error> {
        let mut progress = false;
        while self.phase == Phase::Tls && self.may_deliver() {
            let Some(tls) = self.tls.as_mut() else {
                break;
            };
            match tls.reader().read(&mut self.plain_buf) {
                Ok(0) => {
                    // close_notify received (RFC 8446 §6.1).
                    self.deliver_eof()?;
                    return Ok(true);
                }
                Ok(n) => {
                    if let Some(recorder) = self.recorder.as_mut() {
                        recorder.data(Direction::Incoming, &self.plain_buf[..n]);
                    }
                    let now = self.clock.now();
                    let result = self.protocol.handle_input(now, &self.plain_buf[..n]);
                    self.collect(true);
                    result.map_err(Error::Protocol)?;
                    progress = true;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    // The stream ended without close_notify. Mail protocols
                    // frame their own ends (QUIT, LOGOUT), so the machine
                    // decides whether that was a truncation.
                    self.deliver_eof()?;
                    return Ok(true);
                }
                Err(e) => return Err(Error::Io(e)),
            }
        }
        Ok(progress)
    }

    fn read_tls(&mut self, cx: &mut Context<'_>) -> Result<bool, P::Error> {
        let mut progress = false;
        loop {
            progress |= self.deliver_plaintext()?;
            let feeding = match self.phase {
                Phase::Handshaking => !self.close_requested,
                Phase::Tls => self.may_deliver(),
                _ => false,
            };
            if !feeding || self.error.is_some() {
                return Ok(progress);
            }
            let Some(tls) = self.tls.as_mut() else {
                return Ok(progress);
            };
            // Buffered ciphertext first: it came before anything still in
            // the stream.
            if self.read_start < self.read_end {
                let mut input = &self.read_buf[self.read_start..self.read_end];
                let n = tls.read_tls(&mut input).map_err(Error::Io)?;
                if n == 0 {
                    // close_notify was received: the rest is ignored.
                    self.read_start = 0;
                    self.read_end = 0;
                } else {
                    self.read_start += n;
                    if self.read_start == self.read_end {
                        self.read_start = 0;
                        self.read_end = 0;
                    }
                }
                self.process_packets(cx)?;
                progress = true;
                continue;
            }
            if self.read_eof {
                if self.phase == Phase::Handshaking {
                    return Err(Error::HandshakeEof);
                }
                return Ok(progress);
            }
            // During the handshake rustls prefers not to read while it has
            // records to send; with both directions full that would
            // deadlock two peers, so the handshake reads regardless (its
            // messages are bounded by rustls). After it, `wants_read` is
            // false while decrypted plaintext waits for the machine.
            if self.phase == Phase::Tls && !tls.wants_read() {
                return Ok(progress);
            }
            match Pin::new(&mut self.io).poll_read(cx, &mut self.read_buf) {
                Poll::Ready(Ok(0)) => {
                    self.read_eof = true;
                    if self.phase == Phase::Handshaking {
                        return Err(Error::HandshakeEof);
                    }
                    // Tell rustls; the reader then reports close_notify or
                    // an unexpected end.
                    let _ = tls.read_tls(&mut io::empty());
                    self.process_packets(cx)?;
                    progress = true;
                }
                Poll::Ready(Ok(n)) => {
                    self.stats.bytes_read += n as u64;
                    self.read_start = 0;
                    self.read_end = n;
                    progress = true;
                }
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Poll::Ready(Err(e)) => return Err(Error::Io(e)),
                Poll::Pending => return Ok(progress),
            }
        }
    }

    fn process_packets(&mut self, cx: &mut Context<'_>) -> Result<(), P::Error> {
        let Some(tls) = self.tls.as_mut() else {
            return Ok(());
        };
        let state = match tls.process_new_packets() {
            Ok(state) => state,
            Err(error) => {
                // rustls queued an alert for the peer; try to send it.
                let _ = self.write_tls(cx);
                return Err(Error::Tls(error));
            }
        };
        if self.phase == Phase::Handshaking {
            if !tls.is_handshaking() {
                self.finish_handshake()?;
            } else if state.peer_has_closed() {
                // close_notify before the handshake ended (RFC 8446 §6.1):
                // rustls reads nothing more, so it can never finish.
                return Err(Error::HandshakeEof);
            }
        }
        Ok(())
    }

    // ---- time and the end --------------------------------------------------

    fn step_timer(&mut self, cx: &mut Context<'_>) -> Result<bool, P::Error> {
        let machine = if self.error.is_none() {
            self.protocol.poll_timeout()
        } else {
            None
        };
        let handshake = if self.phase == Phase::Handshaking {
            self.handshake_deadline
        } else {
            None
        };
        let deadline = match (machine, handshake) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => match a.or(b) {
                Some(d) => d,
                None => {
                    self.sleep = None;
                    return Ok(false);
                }
            },
        };
        if self.clock.now() < deadline {
            // Machines move their deadline later with every command or
            // chunk (RFC 5321 §4.5.3.2 counts from the last activity). A
            // timer armed for an earlier deadline is kept: it wakes us
            // early once, and only then is the new deadline armed. Re-arming
            // on every move cost an allocation and a timer-wheel removal and
            // insertion per read.
            loop {
                match self.sleep.as_mut() {
                    Some((armed, sleep)) if *armed <= deadline => {
                        if sleep.as_mut().poll(cx).is_pending() {
                            return Ok(false);
                        }
                        if *armed == deadline {
                            break;
                        }
                    }
                    _ => {}
                }
                self.sleep = Some((deadline, self.clock.sleep_until(deadline)));
            }
        }
        self.sleep = None;
        let now = self.clock.now().max(deadline);
        if handshake.is_some_and(|h| h <= now) {
            return Err(Error::HandshakeTimeout);
        }
        if machine.is_some_and(|m| m <= now) {
            let result = self.protocol.handle_timeout(now);
            let output = self.collect(true);
            result.map_err(Error::Protocol)?;
            // A machine that keeps the same past deadline would spin us.
            return Ok(output || self.protocol.poll_timeout() != machine);
        }
        Ok(true)
    }

    /// Closes the stream once the peer is gone or the machine is done and
    /// all output is written.
    fn step_finish(&mut self) -> bool {
        let done = self.eof_delivered || self.protocol.is_closed();
        if done
            && matches!(self.phase, Phase::Plain | Phase::Tls)
            && self.out.is_empty()
            && !self.out.has_close()
        {
            self.out.push(Transmit::Close, false);
            return true;
        }
        false
    }
}
