//! The contestants of the SMTP parsing benches: each function is one loop
//! over a workload in 16 KiB reads, as a server or client would run it.
//! `benches/smtp.rs` times them with criterion and
//! `examples/smtp_profile.rs` runs each once under callgrind; both call these,
//! so the two always measure the same code.

use std::hint::black_box;

use bytes::BytesMut;
use postwire_core::{DotUnstuffer, LineFramer, Unstuffed};
use postwire_smtp_proto::{Command, ReplyParser};

use crate::READ_CHUNK;

/// postwire, the server's loop: the framer lends each line and the parser
/// turns it into an owned command at once.
#[inline(never)]
pub fn postwire_commands(input: &[u8]) -> usize {
    let mut framer = LineFramer::new(512);
    let mut parsed = 0usize;
    for chunk in input.chunks(READ_CHUNK) {
        framer.push(chunk);
        while let Ok(Some((line, _ending))) = framer.next_line_ref() {
            parsed += Command::parse(line).is_ok() as usize;
        }
    }
    parsed
}

/// smtp-proto 0.2: `RequestReceiver::ingest` until it needs more data.
#[inline(never)]
pub fn stalwart_commands(input: &[u8]) -> usize {
    let mut receiver = smtp_proto::request::receiver::RequestReceiver::default();
    let mut parsed = 0usize;
    for chunk in input.chunks(READ_CHUNK) {
        let mut iter = chunk.iter();
        loop {
            match receiver.ingest(&mut iter) {
                Ok(request) => {
                    black_box(&request);
                    parsed += 1;
                }
                Err(smtp_proto::Error::NeedsMoreData { .. }) => break,
                Err(_) => {}
            }
        }
    }
    parsed
}

/// postwire, the client's loop: borrowed lines into a `ReplyParser`.
#[inline(never)]
pub fn postwire_replies(input: &[u8]) -> usize {
    let mut framer = LineFramer::new(4096);
    let mut parser = ReplyParser::new(100, 64 * 1024);
    let mut parsed = 0usize;
    for chunk in input.chunks(READ_CHUNK) {
        framer.push(chunk);
        while let Ok(Some((line, _))) = framer.next_line_ref() {
            if let Ok(Some(reply)) = parser.push_line_ref(line) {
                black_box(&reply);
                parsed += 1;
            }
        }
    }
    parsed
}

/// smtp-proto 0.2: `ResponseReceiver::parse`, reset after each reply.
#[inline(never)]
pub fn stalwart_replies(input: &[u8]) -> usize {
    let mut receiver = smtp_proto::response::parser::ResponseReceiver::default();
    let mut parsed = 0usize;
    for chunk in input.chunks(READ_CHUNK) {
        let mut iter = chunk.iter();
        loop {
            match receiver.parse(&mut iter) {
                Ok(reply) => {
                    black_box(&reply);
                    receiver.reset();
                    parsed += 1;
                }
                Err(smtp_proto::Error::NeedsMoreData { .. }) => break,
                Err(_) => receiver.reset(),
            }
        }
    }
    parsed
}

/// postwire, the server's loop: `DotUnstuffer::unstuff` reads each 16 KiB
/// read where it lies and copies its content into one output buffer, split
/// off as one `Bytes` chunk per read. Returns the content length.
#[inline(never)]
pub fn postwire_data(input: &[u8]) -> usize {
    let mut unstuffer = DotUnstuffer::new();
    let mut out = BytesMut::new();
    let mut total = 0usize;
    for chunk in input.chunks(READ_CHUNK) {
        let step = unstuffer.unstuff(chunk, &mut out);
        // The server hands each read's content on as one chunk; once the
        // chunk is dropped, `out` reuses its allocation.
        total += black_box(out.split().freeze()).len();
        if !matches!(step, Ok(Unstuffed::NeedMore)) {
            break;
        }
    }
    total
}

/// smtp-proto 0.2: `DataReceiver::ingest` into `out`, which the caller
/// reuses across runs so that no fresh allocation is timed. Returns the
/// content length.
#[inline(never)]
pub fn stalwart_data(input: &[u8], out: &mut Vec<u8>) -> usize {
    let mut receiver = smtp_proto::request::receiver::DataReceiver::new();
    out.clear();
    for chunk in input.chunks(READ_CHUNK) {
        if receiver.ingest(&mut chunk.iter(), out) {
            break;
        }
    }
    out.len()
}

/// The ceiling: `memchr` counting LF over the same bytes, the least work
/// any line-based parser must do.
#[inline(never)]
pub fn memchr_lines(input: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', input).count()
}
