//! A whole server session driven by hostile input: the client's bytes in
//! fuzzer-chosen chunks, interleaved with TLS handshakes, timeouts, EOF and
//! the application's accept/reject decisions. The machine must never panic,
//! never emit output after `Close`, and never end more messages than DATA
//! or BDAT LAST commands it accepted.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use postwire_core::{Protocol, TlsInfo, TlsVersion, Transmit};
use postwire_smtp_proto::Domain;
use postwire_smtp_proto::server::{BareLineEndings, Event, Mechanism, Server, ServerConfig};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, mut rest)) = data.split_first() else {
        return;
    };
    let t0 = Instant::now();
    let mut config = ServerConfig::new(Domain::new("mx.example.org").expect("valid"));
    config.lmtp = flags & 1 != 0;
    config.extensions.starttls = flags & 2 != 0;
    config.extensions.binary_mime = flags & 4 != 0;
    config.extensions.dsn = true;
    config.extensions.auth = vec![Mechanism::Plain, Mechanism::Login];
    config.allow_plaintext_auth = flags & 8 != 0;
    if flags & 16 != 0 {
        config.quirks.bare_line_endings = BareLineEndings::Normalize;
    }
    config.limits.max_message_size = 4096;
    let mut server = Server::new(t0, config);
    let mut now = t0;
    let mut decisions = flags.rotate_left(3);
    let mut closed = false;

    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        let result = match op {
            0xF0 => server.handle_eof(now),
            0xF1 => server.handle_tls_established(now, TlsInfo::new(TlsVersion::Tls13)),
            0xF2 => {
                now += Duration::from_secs(400);
                server.handle_timeout(now)
            }
            len => {
                let n = usize::from(len).min(rest.len());
                let (chunk, tail) = rest.split_at(n);
                rest = tail;
                server.handle_input(now, chunk)
            }
        };
        let _ = result;
        // Answer every event; decisions come from a rotating byte.
        while let Some(event) = server.poll_event() {
            if let Some(id) = event.id() {
                decisions = decisions.rotate_left(1) ^ 0x5A;
                let _ = if decisions & 1 == 0 {
                    server.accept(id)
                } else {
                    server.reject(id)
                };
            }
            if let Event::DataChunk(chunk) = &event {
                assert!(!chunk.is_empty());
            }
        }
        while let Some(transmit) = server.poll_transmit() {
            assert!(!closed, "output after Close");
            if transmit == Transmit::Close {
                closed = true;
            }
        }
    }
});
