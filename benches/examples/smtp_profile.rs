//! The loops of `benches/smtp.rs` over 1 MiB of each workload, one per
//! run, for instruction counts under callgrind (wall-clock numbers swing on
//! a shared machine; instruction counts do not). See README.md:
//!
//! ```text
//! cargo build --release --example smtp_profile
//! valgrind --tool=callgrind --toggle-collect='postwire_benches::contestants::postwire_commands' \
//!     target/release/examples/smtp_profile postwire_commands
//! ```
//!
//! `smtp_profile race [rounds]` instead times both contestants of each
//! workload over 10 MB in turns, round after round, with `memchr` as the
//! ceiling, and prints the best round of each: on a machine shared with
//! other jobs, the best of many interleaved rounds is steadier than one
//! long run per contestant.

use std::hint::black_box;

use postwire_benches::contestants::*;
use postwire_benches::{READ_CHUNK, command_stream, reply_stream, stuffed_body};

const SIZE: usize = 1 << 20;
const RACE_SIZE: usize = 10 * SIZE;

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
        "race" => {
            let rounds = std::env::args()
                .nth(2)
                .and_then(|r| r.parse().ok())
                .unwrap_or(20);
            race(rounds);
            0
        }
        _ => {
            eprintln!(
                "usage: smtp_profile {{postwire,stalwart}}_{{commands,replies,data}} | race [rounds]"
            );
            std::process::exit(2);
        }
    };
    black_box(n);
}

/// Interleaved rounds; prints the best time of each contestant in MiB/s.
/// (A benchmark reads the clock; the sans-IO rule is for the library.)
#[allow(clippy::disallowed_methods)]
fn race(rounds: usize) {
    let commands = command_stream(RACE_SIZE);
    let replies = reply_stream(RACE_SIZE);
    let body = stuffed_body(RACE_SIZE);
    let mut out = Vec::with_capacity(body.len() + READ_CHUNK);
    let mut runs: Vec<(&str, &[u8], Box<dyn FnMut(&[u8]) -> usize>)> = vec![
        ("commands postwire", &commands, Box::new(postwire_commands)),
        (
            "commands smtp-proto",
            &commands,
            Box::new(stalwart_commands),
        ),
        ("commands memchr", &commands, Box::new(memchr_lines)),
        ("replies postwire", &replies, Box::new(postwire_replies)),
        ("replies smtp-proto", &replies, Box::new(stalwart_replies)),
        ("replies memchr", &replies, Box::new(memchr_lines)),
        ("data postwire", &body, Box::new(postwire_data)),
        (
            "data smtp-proto",
            &body,
            Box::new(move |b| stalwart_data(b, &mut out)),
        ),
        ("data memchr", &body, Box::new(memchr_lines)),
    ];
    let mut best = vec![f64::MAX; runs.len()];
    for _ in 0..rounds {
        for (k, (_, input, f)) in runs.iter_mut().enumerate() {
            let start = std::time::Instant::now();
            black_box(f(black_box(input)));
            best[k] = best[k].min(start.elapsed().as_secs_f64());
        }
    }
    println!("best of {rounds} interleaved rounds, 10 MiB each");
    for (k, (name, input, _)) in runs.iter().enumerate() {
        let mib = input.len() as f64 / (1024.0 * 1024.0);
        println!("  {name:<20} {:>9.1} MiB/s", mib / best[k]);
    }
}
