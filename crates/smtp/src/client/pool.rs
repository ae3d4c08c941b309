//! [`Pool`]: a bounded set of [`SmtpClient`]s shared by many tasks.

use std::future::{Future, poll_fn};
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Poll, Waker};
use std::time::Duration;

use futures_io::{AsyncRead, AsyncWrite};
use postwire_smtp_proto::client::Envelope as WireEnvelope;

use super::error::Error;
use super::report::SendReport;
use super::session::SmtpClient;

/// Opens a connection and runs [`SmtpClient::connect`] on it, for a
/// [`Pool`]. The pool neither resolves names nor opens sockets: this is
/// where the application does, with its runtime.
///
/// Any `Fn() -> impl Future<Output = Result<SmtpClient<IO>, Error>>` is a
/// connector:
///
/// ```no_run
/// # async fn demo(options: impl Fn() -> postwire_smtp::client::ClientOptions + Send + Sync + 'static) {
/// use postwire_smtp::client::{Error, Pool, PoolOptions, SmtpClient};
/// use tokio_util::compat::TokioAsyncReadCompatExt;
///
/// let pool = Pool::new(
///     move || {
///         let options = options();
///         async move {
///             let tcp = tokio::net::TcpStream::connect("mail.example.org:587")
///                 .await
///                 .map_err(Error::Connect)?;
///             SmtpClient::connect(tcp.compat(), options).await
///         }
///     },
///     PoolOptions::default(),
/// );
/// # }
/// ```
pub trait Connector: Send + Sync + 'static {
    /// The stream type.
    type Io: AsyncRead + AsyncWrite + Unpin + Send + 'static;

    /// Opens one connected, greeted (and authenticated) client.
    fn connect(&self) -> impl Future<Output = Result<SmtpClient<Self::Io>, Error>> + Send;
}

impl<F, Fut, IO> Connector for F
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<SmtpClient<IO>, Error>> + Send,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Io = IO;

    fn connect(&self) -> impl Future<Output = Result<SmtpClient<IO>, Error>> + Send {
        self()
    }
}

/// Settings of a [`Pool`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolOptions {
    /// The most connections open at once, checked out, idle or being
    /// opened. Default 4. At least 1.
    pub max_connections: usize,
    /// A connection idle for longer is probed with NOOP on checkout, so a
    /// server that closed it meanwhile (RFC 5321 §4.5.3.2.7: servers close
    /// idle sessions after about 5 minutes) is noticed and the connection
    /// replaced. Default 30 seconds.
    pub probe_after_idle: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            max_connections: 4,
            probe_after_idle: Duration::from_secs(30),
        }
    }
}

impl PoolOptions {
    /// Sets the connection cap.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max;
        self
    }

    /// Sets the idle time after which a connection is probed.
    pub fn probe_after_idle(mut self, idle: Duration) -> Self {
        self.probe_after_idle = idle;
        self
    }
}

/// How many connections a pool holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolStatus {
    /// Connections open or being opened (checked out or idle).
    pub open: usize,
    /// Idle connections ready for checkout.
    pub idle: usize,
}

/// A pool of SMTP connections, at most
/// [`PoolOptions::max_connections`] at once, for any async runtime
/// (waiting uses wakers and a `std` mutex, no timer or executor).
///
/// [`get`](Self::get) hands out an idle connection (probed with NOOP when
/// idle for long) or opens one with the [`Connector`], or waits for one to
/// come back. A [`PooledClient`] returns on drop, unless it is poisoned (a
/// dropped operation future), failed or closed: those are dropped, which
/// closes their stream, and their place is freed. Cloning a pool shares it.
pub struct Pool<C: Connector> {
    inner: Arc<Inner<C>>,
}

impl<C: Connector> Clone for Pool<C> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<C: Connector> std::fmt::Debug for Pool<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("options", &self.inner.options)
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

struct Inner<C: Connector> {
    connector: C,
    options: PoolOptions,
    state: Mutex<State<C::Io>>,
}

struct State<IO> {
    /// Most recently returned last.
    idle: Vec<SmtpClient<IO>>,
    open: usize,
    waiters: Vec<Waker>,
}

impl<C: Connector> Inner<C> {
    fn lock(&self) -> MutexGuard<'_, State<C::Io>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Wakes every waiter (a woken waiter whose future was dropped wakes
/// nothing; waking all never loses a wakeup).
fn wake_all(waiters: Vec<Waker>) {
    for waker in waiters {
        waker.wake();
    }
}

/// One place under the cap: given back on drop unless handed to the idle
/// list with its connection.
struct Slot<C: Connector> {
    inner: Arc<Inner<C>>,
    armed: bool,
}

impl<C: Connector> Drop for Slot<C> {
    fn drop(&mut self) {
        if self.armed {
            let waiters = {
                let mut state = self.inner.lock();
                state.open = state.open.saturating_sub(1);
                std::mem::take(&mut state.waiters)
            };
            wake_all(waiters);
        }
    }
}

impl<C: Connector> Pool<C> {
    /// A pool that opens connections with `connector`.
    pub fn new(connector: C, options: PoolOptions) -> Self {
        let options = PoolOptions {
            max_connections: options.max_connections.max(1),
            ..options
        };
        Self {
            inner: Arc::new(Inner {
                connector,
                options,
                state: Mutex::new(State {
                    idle: Vec::new(),
                    open: 0,
                    waiters: Vec::new(),
                }),
            }),
        }
    }

    /// How many connections are open and idle.
    pub fn status(&self) -> PoolStatus {
        let state = self.inner.lock();
        PoolStatus {
            open: state.open,
            idle: state.idle.len(),
        }
    }

    /// A connection: an idle one (probed with NOOP if idle longer than
    /// [`PoolOptions::probe_after_idle`]; replaced if the probe fails), a
    /// new one when under the cap, or the next one returned.
    ///
    /// Cancellation-safe: dropping the future loses no place in the pool.
    pub async fn get(&self) -> Result<PooledClient<C>, Error> {
        loop {
            let (client, slot) = poll_fn(|cx| {
                let mut state = self.inner.lock();
                let slot = Slot {
                    inner: self.inner.clone(),
                    armed: true,
                };
                if let Some(client) = state.idle.pop() {
                    return Poll::Ready((Some(client), slot));
                }
                if state.open < self.inner.options.max_connections {
                    state.open += 1;
                    return Poll::Ready((None, slot));
                }
                let mut slot = slot;
                slot.armed = false;
                if !state.waiters.iter().any(|w| w.will_wake(cx.waker())) {
                    state.waiters.push(cx.waker().clone());
                }
                Poll::Pending
            })
            .await;
            match client {
                Some(mut client) => {
                    let idle = client
                        .clock()
                        .now()
                        .saturating_duration_since(client.idle_since());
                    let healthy = client.is_usable()
                        && (idle < self.inner.options.probe_after_idle
                            || client.noop().await.is_ok_and(|r| r.code().is_positive()));
                    if healthy {
                        return Ok(PooledClient {
                            client: Some(client),
                            slot: Some(slot),
                        });
                    }
                    // Dropped with its slot; try the next one.
                }
                None => {
                    let client = self.inner.connector.connect().await?;
                    return Ok(PooledClient {
                        client: Some(client),
                        slot: Some(slot),
                    });
                }
            }
        }
    }

    /// Checks out a connection and sends one message on it
    /// ([`SmtpClient::send`]).
    pub async fn send(
        &self,
        envelope: impl Into<WireEnvelope>,
        message: impl AsRef<[u8]>,
    ) -> Result<SendReport, Error> {
        let mut client = self.get().await?;
        client.send(envelope, message).await
    }

    /// Sends QUIT on every idle connection and closes them.
    pub async fn close_idle(&self) {
        let idle = std::mem::take(&mut self.inner.lock().idle);
        for mut client in idle {
            let _ = client.quit().await;
            let waiters = {
                let mut state = self.inner.lock();
                state.open = state.open.saturating_sub(1);
                std::mem::take(&mut state.waiters)
            };
            wake_all(waiters);
        }
    }
}

/// A connection checked out of a [`Pool`]; derefs to [`SmtpClient`] and
/// goes back to the pool on drop, unless it can no longer be used.
pub struct PooledClient<C: Connector> {
    client: Option<SmtpClient<C::Io>>,
    slot: Option<Slot<C>>,
}

impl<C: Connector> std::fmt::Debug for PooledClient<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PooledClient").field(&self.client).finish()
    }
}

impl<C: Connector> PooledClient<C> {
    /// Takes the connection out of the pool for good (its place is freed).
    pub fn detach(mut self) -> Option<SmtpClient<C::Io>> {
        self.client.take()
    }
}

impl<C: Connector> Deref for PooledClient<C> {
    type Target = SmtpClient<C::Io>;

    fn deref(&self) -> &Self::Target {
        match &self.client {
            Some(client) => client,
            // `client` is only taken by `detach` and `drop`, which consume.
            None => unreachable!("a pooled client is present until dropped"),
        }
    }
}

impl<C: Connector> DerefMut for PooledClient<C> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        match &mut self.client {
            Some(client) => client,
            None => unreachable!("a pooled client is present until dropped"),
        }
    }
}

impl<C: Connector> Drop for PooledClient<C> {
    fn drop(&mut self) {
        let (Some(client), Some(mut slot)) = (self.client.take(), self.slot.take()) else {
            return;
        };
        if !client.is_usable() {
            // Poisoned, failed or closed: never handed out again.
            return;
        }
        slot.armed = false;
        let waiters = {
            let mut state = slot.inner.lock();
            state.idle.push(client);
            std::mem::take(&mut state.waiters)
        };
        wake_all(waiters);
    }
}
