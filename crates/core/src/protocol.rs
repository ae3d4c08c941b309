//! The contract between a sans-IO protocol machine and the driver that runs it.

use std::time::Instant;

use bytes::Bytes;

use crate::TlsInfo;

/// What a machine asks its driver to do on the connection.
///
/// The driver drains these in order with [`Protocol::poll_transmit`]; their
/// order matters (for example, the STARTTLS command's bytes come before
/// [`Transmit::StartTls`]).
#[derive(Clone, PartialEq, Eq)]
pub enum Transmit {
    /// Write these bytes to the peer.
    Data(Bytes),
    /// Flush everything written so far, then run a TLS handshake on the same
    /// socket and report it with [`Protocol::handle_tls_established`].
    ///
    /// Before the handshake the driver must check that it holds no received
    /// plaintext: such bytes were sent before TLS by someone who may not be the
    /// peer (the STARTTLS injection attack, CVE-2011-0411) and are a hard error.
    StartTls,
    /// Flush, then close the connection.
    Close,
}

impl std::fmt::Debug for Transmit {
    // Data may carry AUTH exchanges, so Debug shows its length only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transmit::Data(bytes) => write!(f, "Data({} bytes)", bytes.len()),
            Transmit::StartTls => f.write_str("StartTls"),
            Transmit::Close => f.write_str("Close"),
        }
    }
}

/// Names one application command, so that the event answering it can say so.
///
/// Ids are unique per machine and increase in the order commands were given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CommandId(u64);

impl CommandId {
    /// The id's number, for logs.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl std::fmt::Display for CommandId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Hands out increasing [`CommandId`]s; each machine owns one.
#[derive(Debug, Default, Clone)]
pub struct CommandIds {
    next: u64,
}

impl CommandIds {
    /// A generator whose first id is 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// The next unused id.
    pub fn next_id(&mut self) -> CommandId {
        let id = CommandId(self.next);
        self.next += 1;
        id
    }
}

/// A sans-IO protocol machine, as the driver in `postwire-io` sees it.
///
/// Method grammar (as in quinn-proto): `handle_*` feeds input, `poll_*`
/// drains output. After every call that mutates the machine, the driver
/// drains [`poll_transmit`](Self::poll_transmit) and
/// [`poll_event`](Self::poll_event) until they return `None`, then re-arms its
/// timer from [`poll_timeout`](Self::poll_timeout).
///
/// Errors are fatal and sticky: once a `handle_*` method returned `Err`, the
/// machine stays failed, but output it had already queued (a final reply,
/// a `Close`) still comes out of the `poll_*` methods.
pub trait Protocol {
    /// What the machine reports to the application.
    type Event;
    /// Why the machine stopped.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Feeds bytes received from the peer. "Need more data" is not an error.
    fn handle_input(&mut self, now: Instant, data: &[u8]) -> Result<(), Self::Error>;

    /// Reports that the peer closed its side of the connection.
    fn handle_eof(&mut self, now: Instant) -> Result<(), Self::Error>;

    /// Called when the instant from [`poll_timeout`](Self::poll_timeout) has passed.
    fn handle_timeout(&mut self, now: Instant) -> Result<(), Self::Error>;

    /// Reports a completed TLS handshake (after [`Transmit::StartTls`], or at
    /// once for implicit TLS). The machine forgets everything it learned
    /// before TLS, as RFC 3207 §4.2 and RFC 2595 §3.1 require.
    fn handle_tls_established(&mut self, now: Instant, info: TlsInfo) -> Result<(), Self::Error>;

    /// The next thing to do on the connection.
    fn poll_transmit(&mut self) -> Option<Transmit>;

    /// The next event for the application.
    fn poll_event(&mut self) -> Option<Self::Event>;

    /// When [`handle_timeout`](Self::handle_timeout) is due, if ever.
    fn poll_timeout(&self) -> Option<Instant>;

    /// Whether the machine is done: closed, failed, or after QUIT.
    fn is_closed(&self) -> bool;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_ids_increase() {
        let mut ids = CommandIds::new();
        let a = ids.next_id();
        let b = ids.next_id();
        assert!(a < b);
        assert_eq!(b.get(), 1);
        assert_eq!(b.to_string(), "#1");
    }

    #[test]
    fn transmit_debug_hides_payload() {
        let t = Transmit::Data(Bytes::from_static(b"AUTH PLAIN AHVzZXIAcGFzcw==\r\n"));
        let shown = format!("{t:?}");
        assert_eq!(shown, "Data(29 bytes)");
    }
}
