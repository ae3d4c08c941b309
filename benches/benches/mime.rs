//! MIME parsing, side by side (issue 4): postwire-mime, mail-parser 1.0
//! (`full_encoding`) and mailparse 0.18 on the same corpora in the same
//! run, with `memchr` over the same bytes as the ceiling. The loops are in
//! `src/mime.rs`, shared with `examples/mime_profile.rs`.
//!
//! Corpora: run `./fetch-mime-corpus.sh` first (SpamAssassin, 5,545
//! messages, 26.7 MiB; the enmime test messages). A corpus that is missing
//! is skipped with a note.

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use postwire_benches::mime::*;

type Contestant = fn(&[Vec<u8>]) -> Work;

fn group(c: &mut Criterion, corpus: &Corpus, workload: &str, contestants: &[(&str, Contestant)]) {
    let messages = &corpus.messages;
    // Print once what each contestant did, so that a contestant that
    // skipped work shows.
    eprintln!(
        "{} {workload}: {} messages, {} bytes",
        corpus.name,
        messages.len(),
        corpus.bytes()
    );
    for (name, f) in contestants {
        eprintln!("  {name:<16} {:?}", f(messages));
    }
    let mut g = c.benchmark_group(format!("{}_{workload}", corpus.name));
    g.throughput(Throughput::Bytes(corpus.bytes() as u64));
    g.sample_size(10);
    for (name, f) in contestants {
        g.bench_function(*name, |b| b.iter(|| black_box(f(black_box(messages)))));
    }
    g.bench_function("memchr-ceiling", |b| {
        b.iter(|| black_box(memchr_lines(black_box(messages))))
    });
    g.finish();
}

fn corpora() -> Vec<Corpus> {
    let mut out = Vec::new();
    match spamassassin() {
        Some(c) => out.push(c),
        None => eprintln!("no SpamAssassin corpus: run ./fetch-mime-corpus.sh"),
    }
    match enmime() {
        Some(c) => out.push(c),
        None => eprintln!("no enmime corpus: run ./fetch-mime-corpus.sh"),
    }
    out
}

fn full(c: &mut Criterion) {
    for corpus in corpora() {
        group(
            c,
            &corpus,
            "full",
            &[
                ("postwire", postwire_full),
                ("mail-parser-1.0", mail_parser_full),
                ("mailparse-0.18", mailparse_full),
            ],
        );
    }
}

fn headers(c: &mut Criterion) {
    for corpus in corpora() {
        group(
            c,
            &corpus,
            "headers",
            &[
                ("postwire", postwire_headers),
                ("mail-parser-1.0", mail_parser_headers),
                ("mailparse-0.18", mailparse_headers),
            ],
        );
    }
}

/// Composing: one message per iteration (see `BuildInput`), reported as
/// messages per second; each builder's output is parsed back once, so a
/// builder that wrote something else would show.
fn builder(c: &mut Criterion) {
    let input = BuildInput::new();
    type Builder = fn(&BuildInput) -> Vec<u8>;
    let builders: [(&str, Builder); 3] = [
        ("postwire", postwire_build),
        ("mail-builder-2", mail_builder_build),
        ("lettre-0.11", lettre_build),
    ];
    eprintln!(
        "builder: one message, {} text + {} html + {} attachment bytes",
        input.text.len(),
        input.html.len(),
        input.attachment.len()
    );
    for (name, f) in builders {
        let out = f(&input);
        let corpus = [out.clone()];
        eprintln!(
            "  {name:<16} {} bytes, parsed back: {:?}",
            out.len(),
            postwire_full(&corpus)
        );
    }
    let mut g = c.benchmark_group("builder");
    g.throughput(Throughput::Elements(1));
    for (name, f) in builders {
        g.bench_function(name, |b| b.iter(|| black_box(f(black_box(&input)))));
    }
    g.finish();
}

criterion_group!(benches, full, headers, builder);
criterion_main!(benches);
