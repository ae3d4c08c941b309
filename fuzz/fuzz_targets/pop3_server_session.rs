//! A whole POP3 server session driven by hostile input: the client's bytes
//! in fuzzer-chosen chunks, interleaved with TLS handshakes, timeouts and
//! EOF, and the application's accept/reject decisions. The machine must
//! never panic, never write after `Close` or between STLS's `+OK` and the
//! handshake, and only ever list marked messages for deletion in UPDATE.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use postwire_core::{Protocol, TlsInfo, TlsVersion, Transmit};
use postwire_pop3_proto::server::{
    Event, Maildrop, MaildropEntry, Mechanism, MessageFlow, Server, ServerConfig,
};
use postwire_pop3_proto::{Timestamp, UniqueId};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, mut rest)) = data.split_first() else {
        return;
    };
    let t0 = Instant::now();
    let mut config = ServerConfig::new("pop.example.org");
    config.stls = flags & 1 != 0;
    config.allow_plaintext_auth = flags & 2 != 0;
    config.utf8 = flags & 4 != 0;
    config.pipelining = flags & 8 != 0;
    config.sasl = vec![Mechanism::ScramSha256, Mechanism::Plain, Mechanism::Login];
    config.timeouts.auth_failure_delay = Duration::from_secs(u64::from(flags >> 6));
    let mut server = if flags & 16 != 0 {
        Server::with_apop_timestamp(t0, config, Timestamp::new("<1.2@pop>").expect("valid"))
    } else {
        Server::new(t0, config)
    };
    let bodies: [&[u8]; 3] = [
        b"Subject: a\r\n\r\n.\r\n..\r\nx\r\n",
        b"",
        b"no header\nbare lf\rbare cr",
    ];
    let maildrop = Maildrop::new(
        bodies
            .iter()
            .enumerate()
            .map(|(i, b)| {
                MaildropEntry::new(
                    b.len() as u64,
                    UniqueId::new(&format!("u{i}")).expect("valid"),
                )
            })
            .collect(),
    );
    let mut now = t0;
    let mut decisions = flags.rotate_left(3);
    let mut closed = false;
    let mut awaiting_tls = false;

    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        let _ = match op {
            0xF0 => server.handle_eof(now),
            0xF1 => {
                awaiting_tls = false;
                server.handle_tls_established(now, TlsInfo::new(TlsVersion::Tls13))
            }
            0xF2 => {
                now += Duration::from_secs(700);
                server.handle_timeout(now)
            }
            0xF3 => {
                now += Duration::from_secs(3);
                server.handle_timeout(now)
            }
            len => {
                let n = usize::from(len).min(rest.len());
                let (chunk, tail) = rest.split_at(n);
                rest = tail;
                server.handle_input(now, chunk)
            }
        };
        while let Some(event) = server.poll_event() {
            decisions = decisions.rotate_left(1) ^ 0x5A;
            let accept = decisions & 1 == 0;
            let _ = match &event {
                Event::OpenMaildrop { id, .. } if accept => {
                    server.open_maildrop(*id, maildrop.clone())
                }
                Event::Apop { id, .. } => server.apop_secret(*id, accept.then_some("pass")),
                Event::AuthSecret { id, .. } => server.provide_secret(*id, None),
                Event::Retrieve { id, msg, .. } if accept => {
                    let body = bodies[msg.index() % bodies.len()];
                    for piece in body.chunks(usize::from(decisions % 7) + 1) {
                        if server.message_data(*id, piece) != Ok(MessageFlow::Continue) {
                            break;
                        }
                    }
                    server.message_end(*id)
                }
                Event::Update { id, deleted } => {
                    assert!(deleted.windows(2).all(|w| w[0].0 < w[1].0));
                    server.accept(*id)
                }
                other => match other.id() {
                    Some(id) if accept => server.accept(id),
                    Some(id) => server.reject(id),
                    None => Ok(()),
                },
            };
        }
        while let Some(transmit) = server.poll_transmit() {
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
