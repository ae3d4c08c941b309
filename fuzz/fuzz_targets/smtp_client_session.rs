//! A whole client session against a hostile server: the server's bytes in
//! fuzzer-chosen chunks, with the application following the happy path
//! (EHLO, STARTTLS, AUTH, a message, QUIT) whenever the machine lets it.
//! The machine must never panic, and must never write after it asked for
//! STARTTLS until the handshake is reported, nor after `Close`.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use postwire_core::{Protocol, Secret, TlsInfo, TlsVersion, Transmit};
use postwire_sasl::client::Credentials;
use postwire_smtp_proto::client::{
    BodyInfo, Client, ClientConfig, Envelope, Event, StartTlsPolicy,
};
use postwire_smtp_proto::{Domain, ForwardPath, Host, Mailbox, ReversePath};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, mut rest)) = data.split_first() else {
        return;
    };
    let t0 = Instant::now();
    let mut config = ClientConfig::new(Host::Domain(Domain::new("client.example").expect("valid")));
    config.lmtp = flags & 1 != 0;
    config.starttls = match flags >> 1 & 3 {
        0 => StartTlsPolicy::Required,
        1 => StartTlsPolicy::Opportunistic,
        _ => StartTlsPolicy::Disabled,
    };
    config.allow_plaintext_auth = flags & 8 != 0;
    let mut client = Client::new(t0, config);
    let body: &[u8] = b"Subject: x\r\n\r\n.dot\nbare\rcr\r\n";
    let credentials = Credentials::Password {
        authzid: None,
        username: "user".into(),
        password: Secret::from("pass"),
    };
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
                Event::Greeting { .. } | Event::TlsEstablished { .. } => client.ehlo(now).map(drop),
                Event::Ehlo { capabilities, .. } => {
                    if capabilities.starttls && !client.is_tls() {
                        client.starttls(now).map(drop)
                    } else if !capabilities.auth.is_empty() && !client.is_authenticated() {
                        client.auth_with(now, &credentials).map(drop)
                    } else {
                        let envelope = Envelope::new(ReversePath::Mailbox(
                            Mailbox::parse("a@client.example").expect("valid"),
                        ))
                        .to(ForwardPath::Mailbox(
                            Mailbox::parse("b@mx.example").expect("valid"),
                        ))
                        .to(ForwardPath::Postmaster);
                        client
                            .send_mail(now, envelope, BodyInfo::from_content(body))
                            .map(drop)
                    }
                }
                Event::ReadyForBody { .. } => client
                    .send_body(now, body)
                    .and_then(|()| client.finish_body(now)),
                Event::MessageAccepted { .. } | Event::LmtpDelivery { .. } => {
                    client.quit(now).map(drop)
                }
                _ => Ok(()),
            };
        }
        while let Some(transmit) = client.poll_transmit() {
            assert!(!closed, "output after Close");
            assert!(!awaiting_tls, "output between STARTTLS and the handshake");
            match transmit {
                Transmit::StartTls => awaiting_tls = true,
                Transmit::Close => closed = true,
                Transmit::Data(_) => {}
            }
        }
    }
});
