//! The loops of `benches/smtp.rs` over 1 MiB of each workload, one per
//! run, for instruction counts under callgrind (wall-clock numbers swing on
//! a shared machine; instruction counts do not). See README.md:
//!
//! ```text
//! cargo build --release --example smtp_profile
//! valgrind --tool=callgrind --toggle-collect='smtp_profile::postwire_commands' \
//!     target/release/examples/smtp_profile postwire_commands
//! ```

use std::hint::black_box;

use bytes::BytesMut;
use postwire_benches::{READ_CHUNK, command_stream, reply_stream, stuffed_body};
use postwire_core::{DotUnstuffer, LineFramer, Unstuffed};
use postwire_smtp_proto::{Command, ReplyParser};

const SIZE: usize = 1 << 20;

#[inline(never)]
fn postwire_commands(input: &[u8]) -> usize {
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

#[inline(never)]
fn stalwart_commands(input: &[u8]) -> usize {
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

#[inline(never)]
fn postwire_replies(input: &[u8]) -> usize {
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

#[inline(never)]
fn stalwart_replies(input: &[u8]) -> usize {
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

#[inline(never)]
fn postwire_data(input: &[u8]) -> usize {
    let mut unstuffer = DotUnstuffer::new();
    let mut buf = BytesMut::with_capacity(2 * READ_CHUNK);
    let mut total = 0usize;
    'read: for chunk in input.chunks(READ_CHUNK) {
        buf.extend_from_slice(chunk);
        loop {
            match unstuffer.feed(&mut buf) {
                Ok(Unstuffed::Data(d)) => total += d.len(),
                Ok(Unstuffed::NeedMore) => break,
                Ok(Unstuffed::End) | Err(_) => break 'read,
            }
        }
    }
    total
}

#[inline(never)]
fn stalwart_data(input: &[u8], out: &mut Vec<u8>) -> usize {
    let mut receiver = smtp_proto::request::receiver::DataReceiver::new();
    out.clear();
    for chunk in input.chunks(READ_CHUNK) {
        if receiver.ingest(&mut chunk.iter(), out) {
            break;
        }
    }
    out.len()
}

fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    let n = match which.as_str() {
        "postwire_commands" => postwire_commands(&command_stream(SIZE)),
        "stalwart_commands" => stalwart_commands(&command_stream(SIZE)),
        "postwire_replies" => postwire_replies(&reply_stream(SIZE)),
        "stalwart_replies" => stalwart_replies(&reply_stream(SIZE)),
        "postwire_data" => postwire_data(&stuffed_body(SIZE)),
        "stalwart_data" => {
            let mut out = Vec::with_capacity(SIZE + READ_CHUNK);
            stalwart_data(&stuffed_body(SIZE), &mut out)
        }
        _ => {
            eprintln!("usage: smtp_profile {{postwire,stalwart}}_{{commands,replies,data}}");
            std::process::exit(2);
        }
    };
    black_box(n);
}
