//! Properties: no input panics; decode inverts encode; part ranges stay
//! inside the input and nest properly.

use base64::Engine as _;
use postwire_mime::decode::{decode_base64, decode_quoted_printable};
use postwire_mime::encoded_word::decode_encoded_words;
use postwire_mime::{AddressList, ContentType, DateTime, Message, Part};
use proptest::prelude::*;

/// A quoted-printable encoder for the round trip (RFC 2045 §6.7): every
/// byte that is not printable ASCII (and `=`, and spaces, which could be
/// trailing) is escaped; soft breaks every 76 columns.
fn qp_encode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut col = 0;
    for &b in input {
        let piece: Vec<u8> = if (33..=126).contains(&b) && b != b'=' {
            vec![b]
        } else {
            format!("={b:02X}").into_bytes()
        };
        if col + piece.len() > 75 {
            out.extend_from_slice(b"=\r\n");
            col = 0;
        }
        col += piece.len();
        out.extend_from_slice(&piece);
    }
    out
}

fn touch(part: &Part<'_>) {
    let _ = part.text();
    let _ = part.decoded_body();
    let _ = part.filename();
    let _ = part.subject();
    let _ = part.from();
    let _ = part.to();
    let _ = part.date();
    let _ = part.references();
    let _ = part.delivery_status();
}

fn check_ranges(part: &Part<'_>, input_len: usize, outer: std::ops::Range<usize>) {
    let h = part.header_range();
    let b = part.body_range();
    assert!(h.start <= h.end && b.start <= b.end);
    assert!(
        outer.start <= h.start && h.end <= b.start && b.end <= outer.end && outer.end <= input_len
    );
    let mut prev_end = b.start;
    for child in part.children() {
        assert!(child.header_range().start >= prev_end, "children overlap");
        check_ranges(child, input_len, b.clone());
        prev_end = child.body_range().end;
    }
}

fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"\r\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"--b".to_vec()),
        Just(b"--b--".to_vec()),
        Just(b"--c".to_vec()),
        Just(b"Content-Type: multipart/mixed; boundary=b".to_vec()),
        Just(b"Content-Type: multipart/digest; boundary=c".to_vec()),
        Just(b"Content-Type: message/rfc822".to_vec()),
        Just(b"Content-Type: text/plain; charset=utf-7".to_vec()),
        Just(b"Content-Transfer-Encoding: base64".to_vec()),
        Just(b"Content-Transfer-Encoding: quoted-printable".to_vec()),
        Just(b"Content-Disposition: attachment; filename*0*=utf-8''a%; filename*1=b".to_vec()),
        Just(b"From: =?utf-8?q?a=2C?= <a@b>, g: c@d;".to_vec()),
        Just(b"Date: 1 Jan 99 00:00 EST".to_vec()),
        Just(b" folded".to_vec()),
        Just(b"=?".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..12),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(input in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(m) = Message::parse(&input) {
            for p in m.parts() {
                touch(p);
            }
            check_ranges(m.root(), input.len(), 0..input.len());
        }
        let _ = AddressList::parse(&input);
        let _ = ContentType::parse(&input, &mut Vec::new());
        let _ = DateTime::parse(&input, &mut Vec::new());
        let _ = decode_encoded_words(&input, &mut Vec::new());
    }

    #[test]
    fn mime_shaped_input_parses_with_nested_ranges(pieces in proptest::collection::vec(piece(), 0..40)) {
        let input = pieces.concat();
        let m = Message::parse(&input).unwrap();
        check_ranges(m.root(), input.len(), 0..input.len());
        for p in m.parts() {
            touch(p);
        }
    }

    #[test]
    fn base64_decode_inverts_encode(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        let encoded = base64::engine::general_purpose::STANDARD.encode(&data);
        // MIME wraps at 76 columns with CRLF (RFC 2045 §6.8).
        let wrapped: Vec<u8> = encoded.as_bytes().chunks(76).flat_map(|c| [c, b"\r\n"].concat()).collect();
        let mut defects = Vec::new();
        prop_assert_eq!(decode_base64(&wrapped, &mut defects), data);
        prop_assert!(defects.is_empty());
    }

    #[test]
    fn quoted_printable_decode_inverts_encode(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut defects = Vec::new();
        prop_assert_eq!(decode_quoted_printable(&qp_encode(&data), &mut defects), data);
        prop_assert!(defects.is_empty());
    }
}
