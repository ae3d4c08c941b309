//! Limits, options and the error a parse can end with.

use crate::Defect;

/// Hard limits on what one parse may build. Exceeding one ends the parse
/// with an [`Error`]; defaults follow Dovecot (depth 100, 10,000 parts,
/// SECURITY.md "Limits to default to").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Deepest nesting of multiparts and message/rfc822 parts; the
    /// top-level message is depth 0. Parsing and [`crate::Message::parts`]
    /// never recurse, but dropping, cloning and `Debug`-printing the tree
    /// recurse once per level: keep this in the hundreds.
    pub max_depth: usize,
    /// Most parts in the whole tree, the top-level message included.
    pub max_parts: usize,
    /// Largest header block of any one part, in bytes (a single 20 MB header line counts here).
    pub max_header_bytes: usize,
    /// Most header fields in any one part's header block.
    pub max_header_count: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 100,
            max_parts: 10_000,
            max_header_bytes: 1 << 20,
            max_header_count: 10_000,
        }
    }
}

/// How to parse: limits, and whether defects are errors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// The hard limits.
    pub limits: Limits,
    /// When true, the first [`Defect`] (in the structure, or in a leaf body's
    /// transfer encoding, which strict mode decodes eagerly) is an
    /// [`Error::Defect`] instead of a note on the part.
    pub strict: bool,
}

impl Options {
    /// Options with strict mode on and default limits.
    pub fn strict() -> Self {
        Options {
            limits: Limits::default(),
            strict: true,
        }
    }
}

/// Why a parse failed. Carries no message bytes, so it is safe to log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Parts nested deeper than [`Limits::max_depth`].
    #[error("mime nesting deeper than the limit of {0}")]
    DepthLimit(usize),
    /// More parts than [`Limits::max_parts`].
    #[error("more mime parts than the limit of {0}")]
    PartLimit(usize),
    /// A header block larger than [`Limits::max_header_bytes`].
    #[error("header block larger than the limit of {0} bytes")]
    HeaderBytesLimit(usize),
    /// More header fields than [`Limits::max_header_count`].
    #[error("more header fields than the limit of {0}")]
    HeaderCountLimit(usize),
    /// Strict mode met a defect.
    #[error("defect in strict mode: {0}")]
    Defect(Defect),
}
