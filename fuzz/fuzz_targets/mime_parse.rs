//! Any bytes as an Internet message: parsing never panics, every part's byte
//! ranges lie inside the input, and every typed accessor and decoder runs to
//! completion on whatever the parser produced.
#![no_main]

use libfuzzer_sys::fuzz_target;
use postwire_mime::Message;

fuzz_target!(|data: &[u8]| {
    let Ok(message) = Message::parse(data) else {
        return;
    };
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
