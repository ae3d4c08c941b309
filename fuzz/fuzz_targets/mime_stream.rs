//! Any bytes, pushed into the streaming parser in random chunks: it never
//! panics, it fails exactly when `Message::parse` fails, and otherwise
//! reports the same parts, byte ranges, headers, decoded bodies and
//! defects; the events are identical to those of a one-piece push.
#![no_main]

use libfuzzer_sys::fuzz_target;
use postwire_mime::Message;
use postwire_mime::stream::{
    MessageSummary, StreamError, StreamEvent, StreamOptions, StreamParser, SummaryBuilder,
};

/// Pushes `input` in pieces whose sizes come from `seed`; all events, and the error if any.
fn stream(
    input: &[u8],
    seed: u64,
    options: StreamOptions,
) -> (Vec<StreamEvent>, Option<StreamError>) {
    let mut parser = StreamParser::new(options);
    let mut events = Vec::new();
    let mut state = seed | 1;
    let mut rest = input;
    while !rest.is_empty() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        // Mostly tiny pieces, sometimes large ones.
        let n = if seed == 0 {
            rest.len()
        } else if state % 4 == 0 {
            (state >> 8) as usize % 512 + 1
        } else {
            (state >> 8) as usize % 4 + 1
        };
        let (piece, tail) = rest.split_at(n.min(rest.len()));
        rest = tail;
        let r = parser.push(piece);
        events.extend(std::iter::from_fn(|| parser.poll_event()));
        if let Err(e) = r {
            return (events, Some(e));
        }
        assert!(parser.buffered_len() <= parser.memory_bound());
    }
    let r = parser.finish();
    events.extend(std::iter::from_fn(|| parser.poll_event()));
    (events, r.err())
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, input)) = data.split_first() else {
        return;
    };
    let mut options = StreamOptions::default();
    options.chunk_size = usize::from(control % 16) + 1;
    options.raw_body = control & 16 != 0;
    // Fuzz inputs are far below the default lookahead limit (over 1 MiB),
    // so the streaming result must be exactly the whole parse's.
    let seed = u64::from(control)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .wrapping_add(input.len() as u64);
    let (events, err) = stream(input, seed, options);
    let (reference, reference_err) = stream(input, 0, options);
    assert_eq!(events, reference, "events differ between chunkings");
    assert_eq!(err, reference_err);
    match (Message::parse(input), err) {
        (Ok(message), None) => {
            assert_eq!(events.last(), Some(&StreamEvent::End));
            let mut builder = SummaryBuilder::new();
            for e in &events {
                builder.apply(e);
            }
            assert_eq!(builder.finish(), MessageSummary::from_message(&message));
        }
        (Err(_), Some(StreamError::Parse(_))) => {}
        (whole, streamed) => panic!("whole parse {:?}, stream {streamed:?}", whole.err()),
    }
});
