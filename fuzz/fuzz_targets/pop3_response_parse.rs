//! POP3 server lines as a client reads them: status lines, listings and
//! capabilities never panic to parse, and whatever parses encodes to a
//! line without CR or LF that parses back to the same value.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use postwire_core::LineFramer;
use postwire_pop3_proto::{Capabilities, Response, ScanListing, Stat, UidListing};

fuzz_target!(|data: &[u8]| {
    let mut framer = LineFramer::new(12290);
    framer.push(data);
    let mut lines = Vec::new();
    while let Ok(Some(line)) = framer.next_line() {
        if let Ok(response) = Response::parse(&line.content) {
            let mut wire = BytesMut::new();
            response.encode(&mut wire);
            let body = &wire[..wire.len() - 2];
            assert!(!body.contains(&b'\r') && !body.contains(&b'\n'));
            assert_eq!(Response::parse(body).as_ref(), Ok(&response));
        }
        if let Ok(listing) = ScanListing::parse(&line.content) {
            let mut wire = BytesMut::new();
            listing.encode(&mut wire);
            assert_eq!(ScanListing::parse(&wire), Ok(listing));
        }
        if let Ok(listing) = UidListing::parse(&line.content) {
            let mut wire = BytesMut::new();
            listing.encode(&mut wire);
            assert_eq!(UidListing::parse(&wire).as_ref(), Ok(&listing));
        }
        let _ = Stat::parse(&line.content);
        lines.push(String::from_utf8_lossy(&line.content).into_owned());
    }
    let caps = Capabilities::from_lines(&lines);
    assert_eq!(Capabilities::from_lines(caps.to_lines()), caps);
});
