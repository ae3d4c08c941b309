//! The DATA transparency procedure: unstuffing must not panic, must give the
//! same content for any chunking, and stuffing then unstuffing must return
//! the CRLF-normalised input with exactly one terminator.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use postwire_core::{DotStuffer, DotUnstuffer, UnstuffError, Unstuffed};

type Outcome = Result<(Vec<u8>, bool, Vec<u8>), UnstuffError>;

fn unstuff(input: &[u8], chunk: usize, normalize: bool) -> Outcome {
    let mut unstuffer = DotUnstuffer::new().normalize_bare_line_endings(normalize);
    let mut out = BytesMut::new();
    let mut start = 0;
    for piece in input.chunks(chunk.max(1)) {
        match unstuffer.unstuff(piece, &mut out)? {
            Unstuffed::NeedMore => start += piece.len(),
            Unstuffed::End { consumed } => {
                return Ok((out.to_vec(), true, input[start + consumed..].to_vec()));
            }
        }
    }
    Ok((out.to_vec(), false, Vec::new()))
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, input)) = data.split_first() else {
        return;
    };
    let normalize = control & 1 == 1;
    let chunk = usize::from(control >> 1) + 1;
    assert_eq!(
        unstuff(input, chunk, normalize),
        unstuff(input, input.len().max(1), normalize)
    );

    let wire = DotStuffer::stuff_all(input);
    let (content, ended, rest) = unstuff(&wire, chunk, false).expect("stuffed output is clean");
    assert!(ended && rest.is_empty());
    let mut normalized = BytesMut::new();
    let mut normalizer = DotStuffer::normalize_only();
    normalizer.stuff(input, &mut normalized);
    normalizer.finish(&mut normalized);
    assert_eq!(content, &normalized[..]);
});
