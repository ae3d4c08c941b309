//! Server replies as a client reads them: framing and multi-line assembly
//! never panic, and every reply that parses encodes to bytes that parse back
//! to the same reply.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use postwire_core::LineFramer;
use postwire_smtp_proto::ReplyParser;

fuzz_target!(|data: &[u8]| {
    let mut framer = LineFramer::new(4096);
    let mut parser = ReplyParser::new(100, 64 * 1024);
    framer.push(data);
    while let Ok(Some((line, _))) = framer.next_line_ref() {
        let Ok(Some(reply)) = parser.push_line_ref(line) else {
            continue;
        };
        let mut wire = BytesMut::new();
        reply.encode(&mut wire);
        let mut again_framer = LineFramer::new(1 << 20);
        again_framer.push(&wire);
        let mut again = ReplyParser::new(usize::MAX, usize::MAX);
        let mut parsed = None;
        while let Ok(Some(line)) = again_framer.next_line() {
            parsed = again.push_line(line.content).expect("encoded reply parses");
        }
        assert_eq!(parsed.as_ref(), Some(&reply));
    }
});
