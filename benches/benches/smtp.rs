//! SMTP parsing, side by side with Stalwart's `smtp-proto` 0.2, and `memchr`
//! over the same bytes as the ceiling. Every contestant is fed the same
//! 16 KiB reads a server or client would get from its socket.

use bytes::BytesMut;
use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use postwire_benches::{READ_CHUNK, command_stream, reply_stream, stuffed_body};
use postwire_core::{DotUnstuffer, LineFramer, Unstuffed};
use postwire_smtp_proto::{Command, ReplyParser};

const SIZE: usize = 10 * 1024 * 1024;

fn memchr_lines(bytes: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', bytes).count()
}

fn commands(c: &mut Criterion) {
    let input = command_stream(SIZE);
    let mut group = c.benchmark_group("command_stream_10MB");
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.sample_size(20);
    group.bench_function("postwire", |b| {
        b.iter(|| {
            // The server's loop: the framer lends each line and the parser
            // turns it into an owned command at once.
            let mut framer = LineFramer::new(512);
            let mut parsed = 0usize;
            for chunk in input.chunks(READ_CHUNK) {
                framer.push(chunk);
                while let Ok(Some((line, _ending))) = framer.next_line_ref() {
                    parsed += Command::parse(line).is_ok() as usize;
                }
            }
            black_box(parsed)
        })
    });
    group.bench_function("smtp-proto-0.2", |b| {
        b.iter(|| {
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
            black_box(parsed)
        })
    });
    group.bench_function("memchr-ceiling", |b| {
        b.iter(|| black_box(memchr_lines(&input)))
    });
    group.finish();
}

fn replies(c: &mut Criterion) {
    let input = reply_stream(SIZE);
    let mut group = c.benchmark_group("reply_stream_10MB");
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.sample_size(20);
    group.bench_function("postwire", |b| {
        b.iter(|| {
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
            black_box(parsed)
        })
    });
    group.bench_function("smtp-proto-0.2", |b| {
        b.iter(|| {
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
            black_box(parsed)
        })
    });
    group.bench_function("memchr-ceiling", |b| {
        b.iter(|| black_box(memchr_lines(&input)))
    });
    group.finish();
}

fn data(c: &mut Criterion) {
    let input = stuffed_body(SIZE);
    let mut group = c.benchmark_group("data_unstuff_10MB");
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.sample_size(30);
    group.bench_function("postwire", |b| {
        b.iter(|| {
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
            black_box(total)
        })
    });
    // The output buffer is reused across iterations, so page faults of a
    // fresh 10 MB allocation are not counted against smtp-proto.
    let mut out = Vec::with_capacity(SIZE + READ_CHUNK);
    group.bench_function("smtp-proto-0.2", |b| {
        b.iter(|| {
            let mut receiver = smtp_proto::request::receiver::DataReceiver::new();
            out.clear();
            for chunk in input.chunks(READ_CHUNK) {
                if receiver.ingest(&mut chunk.iter(), &mut out) {
                    break;
                }
            }
            black_box(out.len())
        })
    });
    group.bench_function("memchr-ceiling", |b| {
        b.iter(|| black_box(memchr_lines(&input)))
    });
    group.finish();
}

criterion_group!(benches, commands, replies, data);
criterion_main!(benches);
