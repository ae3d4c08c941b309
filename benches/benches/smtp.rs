//! SMTP parsing, side by side with Stalwart's `smtp-proto` 0.2, and `memchr`
//! over the same bytes as the ceiling. Every contestant is fed the same
//! 16 KiB reads a server or client would get from its socket; the loops are
//! in `src/contestants.rs`, shared with the callgrind profile.

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use postwire_benches::contestants::*;
use postwire_benches::{READ_CHUNK, command_stream, reply_stream, stuffed_body};

const SIZE: usize = 10 * 1024 * 1024;

fn commands(c: &mut Criterion) {
    let input = command_stream(SIZE);
    let mut group = c.benchmark_group("command_stream_10MB");
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.sample_size(20);
    group.bench_function("postwire", |b| {
        b.iter(|| black_box(postwire_commands(&input)))
    });
    group.bench_function("smtp-proto-0.2", |b| {
        b.iter(|| black_box(stalwart_commands(&input)))
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
        b.iter(|| black_box(postwire_replies(&input)))
    });
    group.bench_function("smtp-proto-0.2", |b| {
        b.iter(|| black_box(stalwart_replies(&input)))
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
    group.bench_function("postwire", |b| b.iter(|| black_box(postwire_data(&input))));
    // The output buffer is reused across iterations, so page faults of a
    // fresh 10 MB allocation are not counted against smtp-proto.
    let mut out = Vec::with_capacity(SIZE + READ_CHUNK);
    group.bench_function("smtp-proto-0.2", |b| {
        b.iter(|| black_box(stalwart_data(&input, &mut out)))
    });
    group.bench_function("memchr-ceiling", |b| {
        b.iter(|| black_box(memchr_lines(&input)))
    });
    group.finish();
}

criterion_group!(benches, commands, replies, data);
criterion_main!(benches);
