//! A cap on concurrent connections, and the refusal that a connection over
//! it gets (SMTP `421`, POP3 `-ERR [SYS/TEMP]`), shared by every server
//! facade.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use bytes::Bytes;
use futures_io::{AsyncRead, AsyncWrite};
use postwire_core::{Protocol, TlsInfo, Transmit};

use crate::{Clock, Config, Connection, Error, TlsRole};

/// A counting limit on concurrent connections, shared by clones.
///
/// [`try_acquire`](Self::try_acquire) either hands out a
/// [`ConnectionGuard`] (which frees its slot when dropped, however the
/// connection ends) or refuses at once: a server over its cap answers with
/// [`refuse`] rather than queueing clients (RFC 5321 §3.8: SMTP's `421`;
/// RFC 3206 §4: POP3's `[SYS/TEMP]`). It never waits, so it needs no
/// runtime.
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

/// Sends `line` (a complete reply, CRLF included) in place of the greeting
/// and closes, ignoring whatever the client sends. With `implicit_tls` the
/// TLS handshake comes first. Bounded by `config`'s handshake timeout; the
/// caller should also bound it with its runtime's timeout against a client
/// that never reads.
pub async fn refuse<IO>(
    io: IO,
    line: Bytes,
    clock: impl Clock,
    implicit_tls: Option<TlsRole>,
    config: Config,
) -> Result<(), Error<Infallible>>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let machine = Refusal {
        out: VecDeque::from([Transmit::Data(line), Transmit::Close]),
        closed: false,
    };
    let mut conn = match implicit_tls {
        Some(role) => Connection::new_implicit_tls(io, machine, clock, role)?,
        None => Connection::new(io, machine, clock),
    }
    .with_config(config);
    conn.close().await
}

/// A machine that says one thing and closes, ignoring its input.
struct Refusal {
    out: VecDeque<Transmit>,
    closed: bool,
}

impl Protocol for Refusal {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_free_their_slot_when_dropped() {
        let limit = ConnectionLimit::new(2);
        let a = limit.try_acquire().expect("first slot");
        let b = limit.clone().try_acquire().expect("second slot");
        assert_eq!(limit.active(), 2);
        assert!(limit.try_acquire().is_none());
        drop(a);
        assert_eq!(limit.active(), 1);
        let _c = limit.try_acquire().expect("a freed slot");
        drop(b);
        assert_eq!(limit.active(), 1);
        assert_eq!(limit.max(), 2);
    }
}
