//! Buffer and time limits of one connection.

use std::time::Duration;

/// The size of the driver's fixed read buffer: one TLS record's plaintext
/// (RFC 8446 §5.1), so a read never needs a second allocation.
pub const READ_BUFFER_SIZE: usize = 16 * 1024;

/// Limits that bound the memory and time one connection may use, whatever
/// the peer does.
///
/// ```
/// let mut config = postwire_io::Config::default();
/// config.output_backlog_limit = 64 * 1024;
/// assert!(config.handshake_timeout.is_some());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Bytes of not-yet-written output that the machine produced in reaction
    /// to the peer's input (replies, echoes) above which the driver stops
    /// reading. This stops a peer that pipelines commands but never reads
    /// replies from growing our memory. Output the application queued itself
    /// (a large message) does not count, so the driver keeps reading while it
    /// writes and two peers writing large data at once never deadlock.
    pub output_backlog_limit: usize,
    /// Bytes of encrypted output rustls may buffer before the driver stops
    /// handing it plaintext (rustls `set_buffer_limit`).
    pub tls_write_buffer_limit: usize,
    /// Events read while the application was not asking for one (during
    /// `flush` or `close`) that the driver holds before it stops reading.
    pub max_buffered_events: usize,
    /// The longest a TLS handshake may take; `None` leaves it to the
    /// machine's own timers.
    pub handshake_timeout: Option<Duration>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            output_backlog_limit: 256 * 1024,
            tls_write_buffer_limit: 64 * 1024,
            max_buffered_events: 1024,
            handshake_timeout: Some(Duration::from_secs(60)),
        }
    }
}
