//! Time for the driver, without depending on a runtime.

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

/// A future that completes at a deadline, as a [`Clock`] returns it.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Where the driver gets the current time and its timers from.
///
/// The protocol machines take time as an argument (`now: Instant`) and say
/// when they next need [`Protocol::handle_timeout`](postwire_core::Protocol::handle_timeout)
/// through `poll_timeout`. The driver asks this clock for `now` and for a
/// future that completes at that deadline, so protocol timeouts (RFC 5321
/// §4.5.3.2 and friends) work under any async runtime: implement `sleep_until`
/// with `tokio::time::sleep_until`, `async_io::Timer::at`, or a test clock.
///
/// ```
/// use std::time::Instant;
/// use postwire_io::{Clock, Sleep};
///
/// /// A clock for runtimes built on async-io (smol).
/// struct AsyncIoClock;
///
/// impl Clock for AsyncIoClock {
///     fn sleep_until(&self, deadline: Instant) -> Sleep {
///         # fn timer_at(_d: Instant) -> std::future::Ready<()> { std::future::ready(()) }
///         // Box::pin(async move { async_io::Timer::at(deadline).await; })
///         Box::pin(timer_at(deadline))
///     }
/// }
/// ```
pub trait Clock: Send + Sync + 'static {
    /// The current time. The default reads the system's monotonic clock; a
    /// runtime with a virtual clock (tokio's paused time) overrides it.
    fn now(&self) -> Instant {
        // The driver is the one place allowed to read the clock: the machines
        // get this value as their `now` argument.
        #[allow(clippy::disallowed_methods)]
        Instant::now()
    }

    /// A future that completes once `deadline` has passed.
    fn sleep_until(&self, deadline: Instant) -> Sleep;
}

/// A shared clock is a clock: one `Arc<dyn Clock>` serves the driver and
/// the facade that reads `now` for its own machine calls.
impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> Instant {
        (**self).now()
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        (**self).sleep_until(deadline)
    }
}
