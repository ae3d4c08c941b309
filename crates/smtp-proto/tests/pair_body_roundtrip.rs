//! Property: any body the caller hands to our client, in any pieces, over
//! DATA or BDAT, with every transfer cut at random, reaches our server's
//! application as the same bytes with bare CR and bare LF made CRLF and a
//! final CRLF added (RFC 5321 §4.5.2, §2.3.8; SECURITY.md SM-C1..C3,
//! SM-S1); BINARYMIME bodies arrive byte for byte (RFC 3030 §3).

mod pair_support;

use pair_support::{Pair, client_config, from, server_config, to};
use postwire_smtp_proto::client::{BodyInfo, Envelope, Event, StartTlsPolicy};
use proptest::prelude::*;

/// What the server must receive for a text body.
fn normalised(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 2);
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'\r' if body.get(i + 1) == Some(&b'\n') => {
                out.extend_from_slice(b"\r\n");
                i += 2;
                continue;
            }
            b'\r' | b'\n' => out.extend_from_slice(b"\r\n"),
            b => out.push(b),
        }
        i += 1;
    }
    if !out.is_empty() && !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn body_bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![
            4 => Just(b'.'),
            4 => Just(b'\r'),
            4 => Just(b'\n'),
            1 => Just(0u8),
            1 => Just(0xffu8),
            6 => b'a'..=b'z',
        ],
        0..300,
    )
}

fn send(body: &[u8], cuts: &[usize], chunking: bool, binary: bool, seed: u64) -> Vec<u8> {
    let mut server = server_config();
    server.extensions.chunking = chunking;
    server.extensions.binary_mime = binary;
    let mut pair = Pair::new(client_config(StartTlsPolicy::Disabled), server, Some(seed));
    pair.greet();
    let envelope = Envelope::new(from("a@client.example")).to(to("b@mx.example"));
    let mut info = BodyInfo::from_content(body);
    info.binary = binary;
    pair.call(|c, now| c.send_mail(now, envelope, info))
        .unwrap();
    assert!(
        matches!(pair.last(), Event::ReadyForBody { .. }),
        "{:?}",
        pair.client_events
    );
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&body.len())) {
        let end = cut.clamp(start, body.len());
        pair.call(|c, now| c.send_body(now, &body[start..end]))
            .unwrap();
        start = end;
    }
    pair.call(|c, now| c.finish_body(now)).unwrap();
    assert!(
        matches!(pair.last(), Event::MessageAccepted { .. }),
        "{:?} / {:?}",
        pair.client_events,
        pair.server_events
    );
    pair.assert_clean();
    assert_eq!(pair.delivered.len(), 1);
    pair.delivered.remove(0).body
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn text_bodies_arrive_normalised_over_data_and_bdat(
        body in body_bytes(),
        cuts in proptest::collection::vec(0usize..300, 0..8),
        chunking in any::<bool>(),
        seed in 1u64..1000,
    ) {
        let mut cuts = cuts;
        cuts.sort_unstable();
        let got = send(&body, &cuts, chunking, false, seed);
        prop_assert_eq!(got.escape_ascii().to_string(), normalised(&body).escape_ascii().to_string());
    }

    #[test]
    fn binarymime_bodies_arrive_unaltered(
        body in body_bytes(),
        cuts in proptest::collection::vec(0usize..300, 0..8),
        seed in 1u64..1000,
    ) {
        let mut cuts = cuts;
        cuts.sort_unstable();
        let got = send(&body, &cuts, true, true, seed);
        prop_assert_eq!(got, body);
    }
}

#[test]
fn normalised_is_what_the_rfc_says() {
    assert_eq!(normalised(b"a\nb\rc\r\n"), b"a\r\nb\r\nc\r\n");
    assert_eq!(normalised(b"x"), b"x\r\n");
    assert_eq!(normalised(b""), b"");
    assert_eq!(normalised(b"\r\r\n"), b"\r\n\r\n");
}
