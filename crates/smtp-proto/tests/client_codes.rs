//! Every reply code at every step ends in a defined state: an event, a fatal
//! error, or a further awaited reply with a timer. No panic, no hang
//! (SECURITY.md C15), for every split of the input.

#[path = "client_support/mod.rs"]
mod harness;

use harness::{Run, check, config, from, greet_and_ehlo, to};
use postwire_core::{Protocol, TlsInfo, TlsVersion};
use postwire_sasl::Mechanism;
use postwire_sasl::client::{ClientMechanism, Credentials};
use postwire_smtp_proto::client::{BodyInfo, ClientConfig, Envelope, StartTlsPolicy};

const CODES: &[u16] = &[
    211, 214, 220, 221, 235, 250, 251, 252, 334, 354, 421, 450, 451, 452, 454, 500, 501, 502, 503,
    504, 530, 534, 535, 538, 550, 551, 552, 553, 554, 555,
];

const STEPS: &[&str] = &[
    "greeting",
    "ehlo",
    "helo",
    "starttls-required",
    "starttls-opportunistic",
    "auth",
    "auth-after-334",
    "mail",
    "rcpt",
    "data",
    "pipelined-mail",
    "pipelined-data",
    "data-end",
    "lmtp-data-end",
    "bdat",
    "bdat-last",
    "txn-rset",
    "noop",
    "rset",
    "vrfy",
    "quit",
];

fn config_for(step: &str) -> ClientConfig {
    let mut cfg = match step {
        "starttls-required" => config("c.example", StartTlsPolicy::Required),
        "starttls-opportunistic" => config("c.example", StartTlsPolicy::Opportunistic),
        _ => config("c.example", StartTlsPolicy::Disabled),
    };
    if step.starts_with("auth") {
        cfg.implicit_tls = true;
    }
    if step == "lmtp-data-end" {
        cfg.lmtp = true;
    }
    cfg
}

fn envelope() -> Envelope {
    Envelope::new(from("a@b.example")).to(to("c@d.example"))
}

fn mail(run: &mut Run) {
    run.call(|c, now| c.send_mail(now, envelope(), BodyInfo::default()))
        .unwrap();
}

/// Brings the client to the point where the next reply answers `step`.
fn drive(run: &mut Run, step: &str) {
    match step {
        "greeting" => {}
        "ehlo" => {
            run.server(b"220 mx\r\n");
            run.call(|c, now| c.ehlo(now)).unwrap();
        }
        "helo" => {
            run.server(b"220 mx\r\n");
            run.call(|c, now| c.ehlo(now)).unwrap();
            run.server(b"502 no\r\n");
        }
        "starttls-required" | "starttls-opportunistic" => {
            greet_and_ehlo(run, &["STARTTLS"]);
            run.call(|c, now| c.starttls(now)).unwrap();
        }
        "auth" | "auth-after-334" => {
            run.call(|c, now| c.handle_tls_established(now, TlsInfo::new(TlsVersion::Tls13)))
                .unwrap();
            greet_and_ehlo(run, &["AUTH LOGIN"]);
            let credentials = Credentials::password("u", "p");
            let mechanism = ClientMechanism::new(Mechanism::Login, &credentials).unwrap();
            run.call(|c, now| c.auth(now, mechanism)).unwrap();
            if step == "auth-after-334" {
                run.server(b"334 VXNlcm5hbWU6\r\n");
            }
        }
        "mail" | "rcpt" | "data" | "txn-rset" => {
            greet_and_ehlo(run, &[]);
            mail(run);
            match step {
                "rcpt" => run.server(b"250 ok\r\n"),
                "data" => run.server(b"250 ok\r\n250 ok\r\n"),
                "txn-rset" => run.server(b"250 ok\r\n550 no\r\n"),
                _ => {}
            }
        }
        "pipelined-mail" | "pipelined-data" => {
            greet_and_ehlo(run, &["PIPELINING"]);
            mail(run);
            if step == "pipelined-data" {
                run.server(b"250 ok\r\n250 ok\r\n");
            }
        }
        "data-end" | "lmtp-data-end" => {
            greet_and_ehlo(run, &["PIPELINING"]);
            mail(run);
            run.server(b"250 ok\r\n250 ok\r\n354 go\r\n");
            run.call(|c, now| c.send_body(now, b"x\r\n")).unwrap();
            run.call(|c, now| c.finish_body(now)).unwrap();
        }
        "bdat" | "bdat-last" => {
            greet_and_ehlo(run, &["PIPELINING", "CHUNKING"]);
            mail(run);
            run.server(b"250 ok\r\n250 ok\r\n");
            run.call(|c, now| c.send_body(now, b"x\r\n")).unwrap();
            if step == "bdat-last" {
                run.call(|c, now| c.finish_body(now)).unwrap();
                run.server(b"250 ok\r\n");
            }
        }
        "noop" => {
            greet_and_ehlo(run, &[]);
            run.call(|c, now| c.noop(now)).unwrap();
        }
        "rset" => {
            greet_and_ehlo(run, &[]);
            run.call(|c, now| c.rset(now)).unwrap();
        }
        "vrfy" => {
            greet_and_ehlo(run, &[]);
            run.call(|c, now| c.vrfy(now, "x")).unwrap();
        }
        "quit" => {
            greet_and_ehlo(run, &[]);
            run.call(|c, now| c.quit(now)).unwrap();
        }
        other => panic!("unknown step {other}"),
    }
}

#[test]
fn every_reply_code_at_every_step_ends_in_a_defined_state_c15() {
    for step in STEPS {
        for code in CODES {
            let line = format!("{code} 2.0.0 text\r\n");
            let run = check(config_for(step), |run| {
                drive(run, step);
                assert!(
                    run.errors.is_empty(),
                    "{step}: setup failed: {:?}",
                    run.errors
                );
                run.server(line.as_bytes());
                // Defined: failed and closed, or awaiting a reply under a
                // timer, or idle (the next test shows a verb is then
                // accepted). Never awaiting without a timer.
                let closed = run.client.is_closed();
                if !closed && run.client.poll_timeout().is_none() {
                    assert!(run.errors.is_empty(), "{step} {code}");
                }
                if closed {
                    assert_eq!(run.client.poll_timeout(), None, "{step} {code}");
                }
                if !run.errors.is_empty() {
                    assert!(
                        run.wire.ends_with(b"<CLOSE>"),
                        "{step} {code}: error without close"
                    );
                }
                // Whatever comes next must not panic either.
                run.server(b"250 ok\r\n");
                run.server(b"354 go\r\n");
            });
            drop(run);
        }
    }
}

#[test]
fn idle_after_a_reply_means_a_verb_is_accepted_c15() {
    // When the client awaits nothing and is not closed, the caller can act:
    // some verb (or the body calls) must be accepted, so nothing hangs.
    for step in STEPS {
        for code in CODES {
            let mut run = Run::new(config_for(step), harness::Split::Whole);
            drive(&mut run, step);
            run.server(format!("{code} text\r\n").as_bytes());
            if run.client.is_closed() || run.client.poll_timeout().is_some() {
                continue;
            }
            if run.wire.ends_with(b"<STARTTLS>") {
                // The driver's TLS handshake is next, under its own timer.
                assert!(
                    run.client
                        .handle_tls_established(run.now, TlsInfo::new(TlsVersion::Tls13))
                        .is_ok()
                );
                assert!(run.call(|c, now| c.ehlo(now)).is_ok());
                continue;
            }
            let usable = run.call(|c, now| c.quit(now)).is_ok()
                || run.call(|c, now| c.send_body(now, b"x")).is_ok();
            assert!(usable, "{step} {code}: idle but no verb possible");
        }
    }
}
