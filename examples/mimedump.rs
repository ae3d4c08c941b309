//! Dumps what postwire-mime reads out of messages: one line of compact
//! JSON per file, in the order given.
//!
//! ```text
//! cargo run --example mimedump -- FILE...
//! ```
//!
//! Each line is `{"subject", "from", "to", "cc", "date", "message_id",
//! "defects", "parts"}`; `parts` lists the leaves depth first with their
//! content type, charset, disposition, file name, decoded size, SHA-256
//! and, for text, the decoded text. The exact rules are in
//! `mimedump/summary.rs`, which the golden test of the MIME corpus
//! (`crates/mime/tests/data`) shares, and which `.ci/mime_differential.py`
//! checks against Python's `email` package.
//!
//! A file that cannot be read, or whose parse hits a hard limit, is
//! reported on standard error; the exit status is then 1 (2 for usage).

use std::io::Write as _;
use std::process::ExitCode;

#[path = "mimedump/json.rs"]
mod json;
#[path = "mimedump/summary.rs"]
mod summary;

const USAGE: &str = "usage: mimedump FILE...";

fn main() -> ExitCode {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() || files.iter().any(|f| f == "-h" || f == "--help") {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut status = ExitCode::SUCCESS;
    for file in &files {
        let line = std::fs::read(file)
            .map_err(|e| e.to_string())
            .and_then(|raw| summary::dump(&raw).map_err(|e| e.to_string()));
        match line {
            Ok(line) => {
                if writeln!(out, "{line}").is_err() {
                    return ExitCode::FAILURE;
                }
            }
            Err(e) => {
                eprintln!("mimedump: {file}: {e}");
                status = ExitCode::FAILURE;
            }
        }
    }
    if out.flush().is_err() {
        return ExitCode::FAILURE;
    }
    status
}
