//! HELO/EHLO/LHLO names the server takes (RFC 5321 §4.1.1.1): real clients
//! send names that are not domains (`EHLO my_host` from Windows machine
//! names); like Postfix, the server accepts them by default
//! (`Quirks::lenient_helo`) and reports them as `Event::HeloNonstandard`,
//! while spaces and control characters are still refused with 501. The
//! shared parser and the client's `ClientId` stay strict.

mod server_support;

use std::net::{Ipv4Addr, Ipv6Addr};

use bytes::BytesMut;
use postwire_smtp_proto::server::{Event, HeloKind, ServerConfig};
use postwire_smtp_proto::{AddressLiteral, ClientId, Command, Domain, Host, ParseErrorKind};
use server_support::{accept_all, config, run_all_splits};

fn nonstandard(t: &server_support::Trace) -> Vec<(HeloKind, String)> {
    t.events
        .iter()
        .filter_map(|e| match e {
            Event::HeloNonstandard { kind, name, .. } => Some((*kind, name.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn ehlo_with_an_underscore_is_accepted_by_default_as_postfix_rfc5321_4_1_1_1() {
    let input = b"EHLO my_host\r\nMAIL FROM:<a@b.example>\r\n";
    let t = run_all_splits(&config(), &accept_all, input, false);
    assert_eq!(nonstandard(&t), [(HeloKind::Ehlo, "my_host".to_owned())]);
    let r = t.replies();
    assert_eq!(r[0], "250-mx.example.org");
    assert!(r.contains(&"250 ENHANCEDSTATUSCODES".to_owned()), "{r:?}");
    // The session is greeted: MAIL is taken.
    assert_eq!(r.last().unwrap(), "250 2.1.0 Sender OK");
}

#[test]
fn helo_and_lhlo_take_nonstandard_names_too() {
    let t = run_all_splits(&config(), &accept_all, b"HELO WIN-PC_01\r\n", false);
    assert_eq!(nonstandard(&t), [(HeloKind::Helo, "WIN-PC_01".to_owned())]);
    assert_eq!(t.replies(), ["250 mx.example.org"]);
    let mut lmtp = config();
    lmtp.lmtp = true;
    let t = run_all_splits(&lmtp, &accept_all, b"LHLO under_score.local\r\n", false);
    assert_eq!(
        nonstandard(&t),
        [(HeloKind::Lhlo, "under_score.local".to_owned())]
    );
    // LHLO stays unknown in SMTP, and EHLO in LMTP (RFC 2033 §4.1).
    let t = run_all_splits(&config(), &accept_all, b"LHLO my_host\r\n", false);
    assert_eq!(t.replies(), ["500 5.5.1 Command unrecognized"]);
    let t = run_all_splits(&lmtp, &accept_all, b"EHLO my_host\r\n", false);
    assert_eq!(t.replies(), ["500 5.5.1 Command unrecognized"]);
}

#[test]
fn name_is_reported_as_given_utf8_and_brackets_included() {
    for (line, name) in [
        (&b"EHLO my_host \r\n"[..], "my_host"),
        (b"EHLO  my_host\r\n", "my_host"),
        (b"EHLO [300.1.2.3]\r\n", "[300.1.2.3]"),
        (b"EHLO -leading-hyphen\r\n", "-leading-hyphen"),
        ("EHLO caf\u{e9}_pc\r\n".as_bytes(), "caf\u{e9}_pc"),
        (b"EHLO a..b\r\n", "a..b"),
    ] {
        let t = run_all_splits(&config(), &accept_all, line, false);
        assert_eq!(
            nonstandard(&t),
            [(HeloKind::Ehlo, name.to_owned())],
            "{line:?}"
        );
    }
}

#[test]
fn valid_names_and_address_literals_stay_client_ids_rfc5321_4_1_3() {
    let cases = [
        (
            &b"EHLO [127.0.0.1]\r\n"[..],
            Host::Literal(AddressLiteral::Ipv4(Ipv4Addr::LOCALHOST)),
        ),
        (
            b"EHLO [IPv6:::1]\r\n",
            Host::Literal(AddressLiteral::Ipv6(Ipv6Addr::LOCALHOST)),
        ),
        (
            b"EHLO client.example\r\n",
            Host::Domain(Domain::new("client.example").unwrap()),
        ),
    ];
    for (line, expected) in cases {
        let t = run_all_splits(&config(), &accept_all, line, false);
        assert!(nonstandard(&t).is_empty());
        assert!(
            matches!(&t.events[0], Event::Helo { kind: HeloKind::Ehlo, client, .. } if *client == expected),
            "{:?}",
            t.events
        );
        assert_eq!(t.replies()[0], "250-mx.example.org");
    }
}

#[test]
fn control_characters_and_spaces_are_refused_501_rfc5321_4_1_1_1() {
    for line in [
        &b"EHLO my\x01host\r\n"[..],
        b"EHLO my\x7fhost\r\n",
        b"EHLO my\thost\r\n",
        b"EHLO my host\r\n",
        b"EHLO my\x00host\r\n",
        "EHLO my\u{85}host\r\n".as_bytes(),
        "EHLO my\u{2028}host\r\n".as_bytes(),
        b"EHLO my\xffhost\r\n",
        b"EHLO\r\n",
        b"EHLO \r\n",
    ] {
        let t = run_all_splits(&config(), &accept_all, line, false);
        assert!(
            t.events
                .iter()
                .all(|e| !matches!(e, Event::Helo { .. } | Event::HeloNonstandard { .. })),
            "{line:?}: {:?}",
            t.events
        );
        let r = t.replies();
        assert!(r[0].starts_with("501 "), "{line:?}: {r:?}");
        assert!(!t.closed);
    }
}

#[test]
fn over_long_names_are_refused() {
    let name = "a_".repeat(128);
    let line = format!("EHLO {name}\r\n");
    let t = run_all_splits(&config(), &accept_all, line.as_bytes(), false);
    assert!(t.replies()[0].starts_with("501 "), "{:?}", t.replies());
    let line = format!("EHLO {}\r\n", &name[..255]);
    let t = run_all_splits(&config(), &accept_all, line.as_bytes(), false);
    assert_eq!(nonstandard(&t).len(), 1);
}

#[test]
fn strict_servers_refuse_nonstandard_names() {
    let mut strict: ServerConfig = config();
    strict.quirks.lenient_helo = false;
    let t = run_all_splits(&strict, &accept_all, b"EHLO my_host\r\n", false);
    assert_eq!(t.replies(), ["501 5.1.3 Bad address syntax"]);
    assert!(nonstandard(&t).is_empty());
    // And MAIL still needs a greeting.
    let t = run_all_splits(
        &strict,
        &accept_all,
        b"EHLO my_host\r\nMAIL FROM:<a@b.example>\r\n",
        false,
    );
    assert_eq!(t.replies()[1], "503 5.5.1 Send HELO/EHLO first");
}

#[test]
fn a_nonstandard_ehlo_resets_the_transaction_rfc5321_4_1_4() {
    let input =
        b"EHLO a.example\r\nMAIL FROM:<a@b.example>\r\nEHLO my_host\r\nMAIL FROM:<c@d.example>\r\n";
    let t = run_all_splits(&config(), &accept_all, input, false);
    assert_eq!(t.replies().last().unwrap(), "250 2.1.0 Sender OK");
    assert_eq!(t.count(|e| matches!(e, Event::Mail { .. })), 2);
}

#[test]
fn the_client_side_still_refuses_invalid_names() {
    // A ClientId (what the client's EHLO carries) cannot hold the name.
    assert!(Domain::new("my_host").is_err());
    assert!(Host::parse("my_host").is_err());
    assert!(Host::parse("my host").is_err());
    assert!(Host::parse("my\rhost").is_err());
    let id: Result<ClientId, _> = Domain::new("my_host").map(Host::Domain);
    assert!(id.is_err());
    // The shared parser is strict too; only the server's quirk is lenient.
    assert_eq!(
        Command::parse(b"EHLO my_host").unwrap_err().kind,
        ParseErrorKind::Path
    );
    // The encoder writes what a ClientId holds: always a valid name.
    let mut wire = BytesMut::new();
    Command::Ehlo(Host::parse("client.example").unwrap()).encode(&mut wire);
    assert_eq!(&wire[..], b"EHLO client.example\r\n");
}
