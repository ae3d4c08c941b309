//! Any bytes as an Internet message: parsing never panics, every part's byte
//! ranges lie inside the input, every typed accessor and decoder runs to
//! completion on whatever the parser produced, and the header-only parse
//! agrees with the whole parse on the top header block.
#![no_main]

use libfuzzer_sys::fuzz_target;
use postwire_mime::{Message, PartKind};

fuzz_target!(|data: &[u8]| {
    let whole = Message::parse(data);
    let headers_only = Message::parse_headers(data);
    let Ok(message) = whole else {
        return;
    };
    // The header limits are the only ones parse_headers applies, so what
    // the whole parse accepts it accepts too, with the same root headers.
    let top = headers_only.expect("parse_headers refused what parse accepted");
    assert!(matches!(top.root().kind(), PartKind::Unsplit));
    assert!(top.root().children().is_empty());
    assert_eq!(top.root().header_range(), message.root().header_range());
    assert_eq!(top.root().body_range(), message.root().body_range());
    assert_eq!(top.root().content_type(), message.root().content_type());
    assert_eq!(top.subject(), message.subject());
    assert_eq!(top.from(), message.from());
    assert_eq!(top.date(), message.date());
    let _ = message.all_defects();
    let _ = message.delivery_status();
    for part in message.parts() {
        let (header, body) = (part.header_range(), part.body_range());
        assert!(header.end <= data.len() && body.end <= data.len());
        assert!(header.start <= header.end && body.start <= body.end);
        let _ = part.content_type();
        let _ = part.filename();
        let _ = part.subject();
        let _ = part.from();
        let _ = part.to();
        let _ = part.date();
        let _ = part.message_id();
        let _ = part.references();
        let _ = part.decode_body();
        let _ = part.text();
    }
});
