//! Test helpers shared by the postwire crates (not published).
//!
//! - [`duplex()`]: an in-memory, bounded, bidirectional byte stream implementing
//!   `futures-io`'s `AsyncRead` and `AsyncWrite`, with optional limits on how
//!   many bytes one read or one write moves (to force 1-byte segments).
//! - [`certs`]: a generated test PKI (a CA, a server certificate for
//!   `localhost`/127.0.0.1, an expired one, one for the wrong host name, one
//!   from an unknown issuer and a self-signed one) returned as rustls configs,
//!   all with the `ring` crypto provider.

pub mod certs;
pub mod duplex;

pub use certs::{ServerCert, TestPki, crypto_provider, localhost};
pub use duplex::{DuplexOptions, DuplexStream, duplex, duplex_with};
