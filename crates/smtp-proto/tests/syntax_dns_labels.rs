//! The DNS label limit in paths: "labels 63 octets or less" (RFC 1035
//! §2.3.4); RFC 5321 §2.3.5 wants domains in paths resolvable in the DNS.
//! Not applied to the EHLO argument, which servers take leniently, and
//! applied to U-labels through their A-label form (IDNA), not their UTF-8
//! length.

mod server_support;

use postwire_smtp_proto::server::{BadCommand, Event};
use postwire_smtp_proto::{Command, Host, Mailbox, ParseErrorKind};
use server_support::{accept_all, config, run_all_splits};

fn label(n: usize) -> String {
    "a".repeat(n)
}

#[test]
fn label_of_64_octets_in_a_path_is_refused_rfc1035_2_3_4() {
    let long = label(64);
    for line in [
        format!("MAIL FROM:<u@{long}.example>"),
        format!("RCPT TO:<u@{long}.example>"),
        format!("RCPT TO:<u@example.{long}>"),
        format!("mail from:<u@x.{long}.example> SIZE=10"),
        format!("RCPT TO:<\"q u\"@{long}.example>"),
    ] {
        assert_eq!(
            Command::parse(line.as_bytes()).unwrap_err().kind,
            ParseErrorKind::PathTooLong,
            "{line}"
        );
    }
    assert_eq!(
        Mailbox::parse(&format!("u@{long}.example"))
            .unwrap_err()
            .kind,
        ParseErrorKind::PathTooLong
    );
}

#[test]
fn label_of_63_octets_in_a_path_is_fine_rfc1035_2_3_4() {
    let max = label(63);
    for line in [
        format!("MAIL FROM:<u@{max}.example>"),
        format!("RCPT TO:<u@{max}.{max}.{max}.example>"),
    ] {
        assert!(Command::parse(line.as_bytes()).is_ok(), "{line}");
    }
    assert!(Mailbox::parse(&format!("u@{max}")).is_ok());
}

#[test]
fn ehlo_is_not_held_to_the_label_limit() {
    let line = format!("EHLO {}.example", label(64));
    assert!(matches!(
        Command::parse(line.as_bytes()),
        Ok(Command::Ehlo(Host::Domain(_)))
    ));
}

#[test]
fn u_labels_are_measured_by_idna_not_by_utf8_octets_rfc5890_2_3_2_1() {
    // 30 three-octet characters: 90 octets of UTF-8, a short A-label.
    let u_label = "\u{4e2d}".repeat(30);
    let mailbox = Mailbox::parse(&format!("u@{u_label}.example")).unwrap();
    assert!(mailbox.to_ascii_domain().is_ok());
}

#[test]
fn server_answers_a_long_label_with_501_rfc5321_4_5_3_1() {
    let input = format!(
        "EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<u@{}.example>\r\n",
        label(64)
    );
    let t = run_all_splits(&config(), &accept_all, input.as_bytes(), false);
    assert_eq!(t.replies().last().unwrap(), "501 5.1.3 Path too long");
    assert!(t.events.iter().any(|e| matches!(
        e,
        Event::BadCommand {
            error: BadCommand::Syntax(err)
        } if err.kind == ParseErrorKind::PathTooLong
    )));
    assert_eq!(t.count(|e| matches!(e, Event::Rcpt { .. })), 0);
}
