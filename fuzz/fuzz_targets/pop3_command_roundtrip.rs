//! POP3 command lines as a server reads them: parsing never panics, and
//! every command that parses encodes to one line that parses back to the
//! same command (so no encoded command can carry CR or LF). The same for
//! AUTH response lines.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use postwire_core::LineFramer;
use postwire_pop3_proto::{AuthResponse, Command};

fuzz_target!(|data: &[u8]| {
    let mut framer = LineFramer::new(12288);
    framer.push(data);
    while let Ok(Some(line)) = framer.next_line() {
        if let Ok(command) = Command::parse(&line.content) {
            let mut wire = BytesMut::new();
            command.encode(&mut wire);
            assert!(wire.ends_with(b"\r\n"));
            let body = &wire[..wire.len() - 2];
            assert!(!body.contains(&b'\r') && !body.contains(&b'\n'));
            assert_eq!(Command::parse(body).as_ref(), Ok(&command));
        }
        if let Ok(response) = AuthResponse::parse(&line.content) {
            let mut wire = BytesMut::new();
            response.encode(&mut wire);
            assert_eq!(
                AuthResponse::parse(&wire[..wire.len() - 2]).as_ref(),
                Ok(&response)
            );
        }
    }
});
