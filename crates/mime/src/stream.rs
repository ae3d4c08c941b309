//! Push-style streaming parsing: a message that arrives in chunks (an SMTP
//! DATA stream, an IMAP literal, a file) is parsed as it comes, in memory
//! that does not grow with the message.
//!
//! [`StreamParser`] is sans-IO: [`StreamParser::push`] feeds bytes of any
//! split, [`StreamParser::finish`] ends the input, and
//! [`StreamParser::poll_event`] drains owned [`StreamEvent`]s: a part's
//! header block ([`StreamEvent::PartStart`], with its raw fields and parsed
//! Content-Type and Content-Disposition), transfer-decoded body bytes
//! (base64, quoted-printable and uuencode decoded across chunk edges by
//! [`crate::decode::Decoder`]), optionally the raw body, multipart
//! preambles and epilogues, the end of each part with its defects, and the
//! end of the message.
//!
//! The result is exactly [`crate::Message::parse`]'s: the same parts in the
//! same order, the same byte ranges, decoded bodies and
//! [`crate::Defect`]s, the same recovery from missing or broken boundaries,
//! and the same [`crate::Limits`] errors (when several limits are broken,
//! the one met first in stream order is reported, which may differ).
//! [`MessageSummary`] puts either parser's result in one comparable value.
//!
//! Memory: the parser holds one header block (bounded by
//! [`crate::Limits::max_header_bytes`]), the start of a line that may be a
//! boundary line (bounded by [`StreamOptions::max_lookahead`]), and less
//! than one data event of output: [`StreamParser::memory_bound`] says how
//! much at most, and [`StreamParser::buffered_len`] how much now. Events
//! are queued until polled, so drain them after every push.
//!
//! ```
//! use postwire_mime::stream::{StreamEvent, StreamOptions, StreamParser};
//!
//! let mut parser = StreamParser::new(StreamOptions::default());
//! let mut attachment = Vec::new();
//! for chunk in [
//!     &b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-"[..],
//!     b"Encoding: base64\r\n\r\naGVsbG8g",
//!     b"d29ybGQ=\r\n--b--\r\n",
//! ] {
//!     parser.push(chunk).unwrap();
//!     while let Some(event) = parser.poll_event() {
//!         if let StreamEvent::Body { data, .. } = event {
//!             attachment.extend_from_slice(&data);
//!         }
//!     }
//! }
//! parser.finish().unwrap();
//! assert!(std::iter::from_fn(|| parser.poll_event()).any(|e| e == StreamEvent::End));
//! assert_eq!(attachment, b"hello world");
//! ```

mod boundary;
mod event;
mod options;
mod parser;
mod summary;

pub use event::{BodyKind, PartEnd, PartPath, PartStart, StreamEvent};
pub use options::{StreamError, StreamOptions};
pub use parser::StreamParser;
pub use summary::{MessageSummary, PartSummary, SummaryBuilder};
