//! The loops of `benches/mime.rs`, one per run, over the whole SpamAssassin
//! corpus (or enmime's with a second argument `enmime`), for instruction
//! counts under callgrind. See README.md:
//!
//! ```text
//! cargo build --release --ignore-rust-version --example mime_profile
//! valgrind --tool=callgrind --toggle-collect='postwire_benches::mime::postwire_full' \
//!     target/release/examples/mime_profile postwire_full
//! ```
//!
//! `mime_profile race [rounds] [enmime]` instead times every contestant
//! of both workloads (and the three builders) in turns, round after round,
//! and prints the best round of each: on a machine shared with other jobs,
//! the best of many interleaved rounds is steadier than one long run per
//! contestant. Each turn is one pass, right after the other contestants'
//! turns: every parser starts with caches and branch predictors that the
//! others have filled (cold).
//!
//! `mime_profile warm [rounds] [enmime]` takes the same turns, but each
//! turn is an untimed pass and then ten timed ones, the best turn's mean
//! reported: what criterion measures (one contestant's loop, warm), with
//! the drift of a shared machine cancelled by the interleaving.

use std::hint::black_box;

use postwire_benches::mime::*;

type Contestant = fn(&[Vec<u8>]) -> Work;

/// (command-line name, workload, name in the table, function).
const CONTESTANTS: [(&str, &str, &str, Contestant); 7] = [
    ("postwire_full", "full", "postwire", postwire_full),
    (
        "mail_parser_full",
        "full",
        "mail-parser-1.0",
        mail_parser_full,
    ),
    ("mailparse_full", "full", "mailparse-0.18", mailparse_full),
    ("postwire_headers", "headers", "postwire", postwire_headers),
    (
        "mail_parser_headers",
        "headers",
        "mail-parser-1.0",
        mail_parser_headers,
    ),
    (
        "mailparse_headers",
        "headers",
        "mailparse-0.18",
        mailparse_headers,
    ),
    ("memchr", "-", "memchr-ceiling", |m| Work {
        other: memchr_lines(m),
        ..Work::default()
    }),
];

type Builder = fn(&BuildInput) -> Vec<u8>;

/// The builders, run on `BuildInput` `repeat` times (default 1000).
const BUILDERS: [(&str, &str, Builder); 3] = [
    ("postwire_build", "postwire", postwire_build),
    ("mail_builder_build", "mail-builder-2", mail_builder_build),
    ("lettre_build", "lettre-0.11", lettre_build),
];

/// Messages built per timed round of the builder race.
const BUILDS_PER_ROUND: usize = 200;

/// Passes per timed turn of `warm`, after one untimed pass.
const WARM_PASSES: usize = 10;

/// Interleaved rounds; prints the best time of each contestant: one pass
/// per turn (`race`), or [`WARM_PASSES`] after an untimed one (`warm`).
/// (A benchmark reads the clock; the sans-IO rule is for the library.)
#[allow(clippy::disallowed_methods)]
fn race(corpus: &Corpus, rounds: usize, warm: bool) {
    let passes = if warm { WARM_PASSES } else { 1 };
    let mut best = [f64::MAX; CONTESTANTS.len()];
    for _ in 0..rounds {
        for (k, (_, _, _, f)) in CONTESTANTS.iter().enumerate() {
            if warm {
                black_box(f(black_box(&corpus.messages)));
            }
            let start = std::time::Instant::now();
            for _ in 0..passes {
                black_box(f(black_box(&corpus.messages)));
            }
            best[k] = best[k].min(start.elapsed().as_secs_f64() / passes as f64);
        }
    }
    let mib = corpus.bytes() as f64 / (1024.0 * 1024.0);
    println!(
        "{}: {} messages, {:.1} MiB, best of {rounds} rounds, {}",
        corpus.name,
        corpus.messages.len(),
        mib,
        if warm {
            "warm (an untimed pass, then 10 timed)"
        } else {
            "cold (one pass per turn)"
        }
    );
    for (k, (_, workload, name, _)) in CONTESTANTS.iter().enumerate() {
        println!("  {workload:<8} {name:<16} {:>9.1} MiB/s", mib / best[k]);
    }
    let input = BuildInput::new();
    let mut best = [f64::MAX; BUILDERS.len()];
    for _ in 0..rounds {
        for (k, (_, _, f)) in BUILDERS.iter().enumerate() {
            let start = std::time::Instant::now();
            for _ in 0..BUILDS_PER_ROUND {
                black_box(f(black_box(&input)));
            }
            best[k] = best[k].min(start.elapsed().as_secs_f64());
        }
    }
    for (k, (_, name, f)) in BUILDERS.iter().enumerate() {
        println!(
            "  build    {name:<16} {:>9.0} msg/s ({} bytes each)",
            BUILDS_PER_ROUND as f64 / best[k],
            f(&input).len()
        );
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_default();
    if which == "race" || which == "warm" {
        let rounds = args.next().and_then(|r| r.parse().ok()).unwrap_or(20);
        let corpus = match args.next().as_deref() {
            Some("enmime") => enmime(),
            _ => spamassassin(),
        }
        .expect("no corpus: run ./fetch-mime-corpus.sh");
        race(&corpus, rounds, which == "warm");
        return;
    }
    if let Some(&(_, _, f)) = BUILDERS.iter().find(|(key, ..)| *key == which) {
        let repeat = args.next().and_then(|n| n.parse().ok()).unwrap_or(1000);
        let input = BuildInput::new();
        let mut len = 0;
        for _ in 0..repeat {
            len = f(black_box(&input)).len();
        }
        eprintln!("{repeat} messages of {len} bytes");
        return;
    }
    // Optional: a repeat count (for perf), then the corpus.
    let mut next = args.next();
    let repeat = match next.as_deref().and_then(|n| n.parse::<usize>().ok()) {
        Some(n) => {
            next = args.next();
            n
        }
        None => 1,
    };
    let corpus = match next.as_deref() {
        Some("enmime") => enmime(),
        _ => spamassassin(),
    }
    .expect("no corpus: run ./fetch-mime-corpus.sh");
    let m = &corpus.messages;
    let Some(&(_, _, _, f)) = CONTESTANTS.iter().find(|(key, ..)| *key == which) else {
        eprintln!(
            "usage: mime_profile {{postwire,mail_parser,mailparse}}_{{full,headers}}|memchr [repeat] [enmime]\n       mime_profile {{postwire,mail_builder,lettre}}_build [repeat]\n       mime_profile race|warm [rounds] [enmime]"
        );
        std::process::exit(2);
    };
    let mut work = Work::default();
    for _ in 0..repeat {
        work = f(black_box(m));
    }
    eprintln!("{} bytes: {:?}", corpus.bytes(), black_box(work));
}
