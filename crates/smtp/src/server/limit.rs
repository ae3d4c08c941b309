//! A cap on concurrent connections, and the `421` for those over it.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use bytes::Bytes;
use futures_io::{AsyncRead, AsyncWrite};
use postwire_core::{Protocol, TlsInfo, Transmit};
use postwire_io::{Connection, TlsRole};

use super::options::{ServerOptions, SharedClock, TlsMode};

/// A counting limit on concurrent connections, shared by clones.
///
/// [`try_acquire`](Self::try_acquire) either hands out a
/// [`ConnectionGuard`] (which frees its slot when dropped, however the
/// connection ends) or refuses at once: a server over its cap answers
/// `421 4.3.2` ([`reject_busy`]) rather than queueing clients (RFC 5321
/// §3.8, §4.2.3: 421 "Service not available, closing transmission
/// channel"). It never waits, so it needs no runtime.
#[derive(Clone)]
pub struct ConnectionLimit {
    inner: Arc<Inner>,
}

struct Inner {
    max: usize,
    active: AtomicUsize,
}

impl fmt::Debug for ConnectionLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionLimit")
            .field("max", &self.inner.max)
            .field("active", &self.active())
            .finish()
    }
}

impl ConnectionLimit {
    /// A limit of `max` concurrent connections.
    pub fn new(max: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                max,
                active: AtomicUsize::new(0),
            }),
        }
    }

    /// The cap.
    pub fn max(&self) -> usize {
        self.inner.max
    }

    /// Connections holding a guard now.
    pub fn active(&self) -> usize {
        self.inner.active.load(Ordering::Acquire)
    }

    /// A slot, or `None` when `max` guards are alive.
    pub fn try_acquire(&self) -> Option<ConnectionGuard> {
        self.inner
            .active
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.inner.max).then_some(n + 1)
            })
            .ok()?;
        Some(ConnectionGuard {
            inner: self.inner.clone(),
        })
    }
}

/// One connection's slot in a [`ConnectionLimit`]; dropping it frees the
/// slot.
pub struct ConnectionGuard {
    inner: Arc<Inner>,
}

impl fmt::Debug for ConnectionGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionGuard").finish_non_exhaustive()
    }
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.inner.active.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Answers a connection over the cap with `421 4.3.2 <host> Too many
/// connections` instead of a greeting (RFC 5321 §3.1 allows a 421 in place
/// of the 220; RFC 3463 §3.5 `4.3.2` "system not accepting network
/// messages"), then closes. Under implicit TLS the reply goes out after
/// the handshake. Bounded by the options' handshake timeout; the caller
/// should also bound it with its runtime's timeout against a client that
/// never reads.
pub async fn reject_busy<IO>(
    io: IO,
    options: &ServerOptions,
) -> Result<(), postwire_io::Error<Infallible>>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let busy = Busy::new(options.config.hostname.as_str());
    let clock = SharedClock(options.clock.clone());
    let mut conn = match (&options.tls, options.tls_mode) {
        (Some(tls), TlsMode::Implicit) => {
            Connection::new_implicit_tls(io, busy, clock, TlsRole::server(tls.clone()))?
        }
        _ => Connection::new(io, busy, clock),
    }
    .with_config(options.io.clone());
    conn.close().await
}

/// A machine that says `421` and closes, ignoring its input.
struct Busy {
    out: VecDeque<Transmit>,
    closed: bool,
}

impl Busy {
    fn new(host: &str) -> Self {
        let line = format!("421 4.3.2 {host} Too many connections, try again later\r\n");
        Self {
            out: VecDeque::from([Transmit::Data(Bytes::from(line)), Transmit::Close]),
            closed: false,
        }
    }
}

impl Protocol for Busy {
    type Event = Infallible;
    type Error = Infallible;

    fn handle_input(&mut self, _now: Instant, _data: &[u8]) -> Result<(), Infallible> {
        Ok(())
    }

    fn handle_eof(&mut self, _now: Instant) -> Result<(), Infallible> {
        Ok(())
    }

    fn handle_timeout(&mut self, _now: Instant) -> Result<(), Infallible> {
        Ok(())
    }

    fn handle_tls_established(&mut self, _now: Instant, _info: TlsInfo) -> Result<(), Infallible> {
        Ok(())
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        let transmit = self.out.pop_front();
        if matches!(transmit, Some(Transmit::Close)) {
            self.closed = true;
        }
        transmit
    }

    fn poll_event(&mut self) -> Option<Infallible> {
        None
    }

    fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    fn is_closed(&self) -> bool {
        self.closed
    }
}
