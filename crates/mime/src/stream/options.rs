//! How to stream, and why streaming can stop.

use crate::{Error, Options};

/// Options of a [`super::StreamParser`]: the parse options (limits, strict
/// mode) shared with [`crate::Message::parse_with`], plus what to deliver
/// and how much may be held back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamOptions {
    /// Limits and strict mode, as for the whole-buffer parser.
    pub parse: Options,
    /// Size of the data events; every data event but the last of a run is
    /// exactly this long (at least 1; default 64 KiB).
    pub chunk_size: usize,
    /// Also deliver each leaf's raw, still encoded body as
    /// [`super::StreamEvent::RawBody`] (default off).
    pub raw_body: bool,
    /// Deliver multipart preambles and epilogues (default on). When off,
    /// their bytes are dropped, and so is the body of a multipart in which
    /// no boundary line turns up.
    pub preamble_epilogue: bool,
    /// Most bytes from the start of a line that deciding whether it is a
    /// boundary line may need: the delimiter, transport padding (RFC 2046
    /// §5.1.1 allows any amount) and the line break. A longer candidate is
    /// [`StreamError::LookaheadLimit`]. Default 1 MiB + 64 KiB, enough for
    /// any boundary a default-sized header block can declare.
    pub max_lookahead: usize,
}

impl Default for StreamOptions {
    fn default() -> Self {
        StreamOptions::new(Options::default())
    }
}

impl From<Options> for StreamOptions {
    fn from(parse: Options) -> Self {
        StreamOptions::new(parse)
    }
}

impl StreamOptions {
    /// Streaming defaults around the given parse options.
    pub fn new(parse: Options) -> StreamOptions {
        StreamOptions {
            parse,
            chunk_size: 64 * 1024,
            raw_body: false,
            preamble_epilogue: true,
            max_lookahead: (1 << 20) + (64 << 10),
        }
    }
}

/// Why streaming stopped. Carries no message bytes, so it is safe to log.
/// Once returned, the parser returns the same error for every later call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// A limit or strict-mode defect, exactly as [`crate::Message::parse_with`] reports them.
    #[error(transparent)]
    Parse(#[from] Error),
    /// A possible boundary line needed more lookahead than
    /// [`StreamOptions::max_lookahead`] (the whole-buffer parser has no such limit).
    #[error("boundary line candidate longer than the lookahead limit of {0} bytes")]
    LookaheadLimit(usize),
    /// [`super::StreamParser::push`] after [`super::StreamParser::finish`]; not sticky.
    #[error("input pushed after the end of the message")]
    PushAfterFinish,
}
