//! The loops of `benches/smtp.rs` over 1 MiB of each workload, one per
//! run, for instruction counts under callgrind (wall-clock numbers swing on
//! a shared machine; instruction counts do not). See README.md:
//!
//! ```text
//! cargo build --release --example smtp_profile
//! valgrind --tool=callgrind --toggle-collect='postwire_benches::contestants::postwire_commands' \
//!     target/release/examples/smtp_profile postwire_commands
//! ```

use std::hint::black_box;

use postwire_benches::contestants::*;
use postwire_benches::{READ_CHUNK, command_stream, reply_stream, stuffed_body};

const SIZE: usize = 1 << 20;

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
