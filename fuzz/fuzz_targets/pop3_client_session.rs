//! A whole POP3 client session against a hostile server: the server's
//! bytes in fuzzer-chosen chunks, interleaved with TLS handshakes,
//! timeouts and EOF, with the application following the happy path
//! (CAPA, STLS, login, STAT, LIST, UIDL, RETR, TOP, DELE, QUIT) whenever
//! the machine lets it. The machine must never panic, never write between
//! STLS's `+OK` and the handshake, nor after `Close`.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use postwire_core::{Protocol, TlsInfo, TlsVersion, Transmit};
use postwire_pop3_proto::MessageNumber;
use postwire_pop3_proto::client::{Client, ClientConfig, Event, TlsPolicy};
use postwire_sasl::client::Credentials;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, mut rest)) = data.split_first() else {
        return;
    };
    let t0 = Instant::now();
    let mut config = ClientConfig::default();
    config.tls = match flags & 3 {
        0 => TlsPolicy::Required,
        1 => TlsPolicy::Opportunistic,
        _ => TlsPolicy::Disabled,
    };
    config.allow_plaintext_auth = flags & 4 != 0;
    config.implicit_tls = flags & 8 != 0;
    let use_sasl = flags & 16 != 0;
    let mut client = Client::new(t0, config);
    let credentials = Credentials::password("user", "pass");
    let one = MessageNumber::new(1).expect("non-zero");
    let mut now = t0;
    let mut awaiting_tls = false;
    let mut closed = false;

    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        let _ = match op {
            0xF0 => client.handle_eof(now),
            0xF1 => {
                awaiting_tls = false;
                client.handle_tls_established(now, TlsInfo::new(TlsVersion::Tls13))
            }
            0xF2 => {
                now += Duration::from_secs(700);
                client.handle_timeout(now)
            }
            len => {
                let n = usize::from(len).min(rest.len());
                let (chunk, tail) = rest.split_at(n);
                rest = tail;
                client.handle_input(now, chunk)
            }
        };
        while let Some(event) = client.poll_event() {
            let _ = match event {
                Event::Greeting { .. } | Event::TlsEstablished { .. } => client.capa(now).map(drop),
                Event::Capabilities { capabilities, .. } => {
                    if capabilities.stls && !client.is_tls() {
                        client.stls(now).map(drop)
                    } else if use_sasl {
                        client.auth_with(now, &credentials).map(drop)
                    } else if client.timestamp().is_some() {
                        client.apop(now, "user", "pass").map(drop)
                    } else {
                        client.login(now, "user", "pass").map(drop)
                    }
                }
                Event::Authenticated { .. } => client
                    .stat(now)
                    .and_then(|_| client.list(now, None))
                    .and_then(|_| client.uidl(now, Some(one)))
                    .and_then(|_| client.retr(now, one))
                    .and_then(|_| client.top(now, one, 3))
                    .and_then(|_| client.dele(now, one))
                    .and_then(|_| client.quit(now))
                    .map(drop),
                Event::MessageData { data, .. } => {
                    assert!(!data.is_empty());
                    Ok(())
                }
                _ => Ok(()),
            };
        }
        while let Some(transmit) = client.poll_transmit() {
            assert!(!closed, "output after Close");
            assert!(!awaiting_tls, "output between STLS and the handshake");
            match transmit {
                Transmit::StartTls => awaiting_tls = true,
                Transmit::Close => closed = true,
                Transmit::Data(_) => {}
            }
        }
    }
});
