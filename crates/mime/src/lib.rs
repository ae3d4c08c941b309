//! A zero-copy, sans-IO parser for Internet mail: RFC 5322 messages and
//! MIME (RFC 2045-2049) trees, with RFC 2047 encoded words, RFC 2231
//! parameters, RFC 6532 UTF-8 headers and RFC 3464 delivery reports.
//!
//! This crate performs **no I/O**: it reads a `&[u8]` you already hold
//! and reads no clock. [`Message::parse`] splits the message once, in
//! linear time, into a tree of [`Part`]s that borrow the input: raw header
//! fields stay byte-exact, and every part knows the byte ranges of its
//! header block and body ([`Part::header_range`], [`Part::body_range`]),
//! which is what DKIM and ARC signing need. Everything else is decoded on
//! demand: addresses, dates, Message-IDs, Content-Type and
//! Content-Disposition parameters, transfer encodings, charsets.
//!
//! When only the envelope matters (listing a mailbox, routing on From
//! and Subject), [`Message::parse_headers`] reads the top header block
//! and stops: the same typed accessors, without touching the body.
//!
//! Malformed mail does not fail the parse. What was wrong is recorded as a
//! [`Defect`] on the part (as Python's `email` and GMime do), or, with
//! [`Options::strict`], returned as [`Error::Defect`]. Only the hard
//! [`Limits`] end a lenient parse.
//!
//! # Example
//!
//! ```
//! use postwire_mime::{Message, PartKind};
//!
//! let raw = b"From: =?utf-8?q?Doe=2C_Jane?= <jane@example.org>\r\n\
//! To: team: bob@example.org, carol@example.org;\r\n\
//! Subject: =?utf-8?b?UmVwb3J0IOKAlCBROA==?=\r\n\
//! Date: Fri, 21 Nov 1997 09:55:06 -0600\r\n\
//! Content-Type: multipart/mixed; boundary=\"b1\"\r\n\
//! \r\n\
//! preamble\r\n\
//! --b1\r\n\
//! Content-Type: text/plain; charset=iso-8859-1\r\n\
//! Content-Transfer-Encoding: quoted-printable\r\n\
//! \r\n\
//! Caf=E9 at noon.\r\n\
//! --b1\r\n\
//! Content-Type: application/pdf\r\n\
//! Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf\r\n\
//! Content-Transfer-Encoding: base64\r\n\
//! \r\n\
//! JVBERi0=\r\n\
//! --b1--\r\n";
//!
//! let message = Message::parse(raw).unwrap();
//! let from = message.from().unwrap();
//! let jane = from.mailboxes().next().unwrap();
//! assert_eq!(jane.name.as_deref(), Some("Doe, Jane"));
//! assert_eq!(jane.address, "jane@example.org");
//! assert_eq!(message.to().unwrap().mailboxes().count(), 2);
//! assert_eq!(message.subject().unwrap(), "Report — Q8");
//! assert_eq!(message.date().unwrap().timestamp(), Some(880_127_706));
//!
//! assert!(matches!(message.kind(), PartKind::Multipart { .. }));
//! assert_eq!(message.preamble(), Some(&b"preamble"[..]));
//! let [text, pdf] = message.children() else { panic!("two parts") };
//! assert_eq!(text.text().unwrap(), "Café at noon.");
//! assert_eq!(pdf.filename().as_deref(), Some("résumé.pdf"));
//! assert_eq!(&pdf.decoded_body()[..], b"%PDF-");
//! assert_eq!(&raw[pdf.body_range()], b"JVBERi0=");
//! assert!(message.parts().all(|p| p.defects().is_empty()));
//! ```
//!
//! # Composing messages
//!
//! [`MessageBuilder`] writes a message to any [`std::io::Write`] (see
//! [`build`]): encoded words and RFC 2231 file names only where needed,
//! lines folded at 78, the smallest multipart structure, a transfer
//! encoding per part, attachments streamed from a [`std::io::Read`], Bcc
//! kept out of the header, and the [`BodyRequirement`] the SMTP
//! transaction must declare. Its output parses back without defects.
//!
//! ```
//! use postwire_mime::{BodyRequirement, Message, MessageBuilder};
//!
//! let builder = MessageBuilder::new()
//!     .from(("Zoë", "zoe@example.org"))
//!     .to("bob@example.org")
//!     .subject("Grüße")
//!     .text("Bis bald!\n")
//!     .html("<p>Bis bald!</p>");
//! assert_eq!(builder.requirement().unwrap(), BodyRequirement::SevenBit);
//! let bytes = builder.build().unwrap();
//! assert!(bytes.starts_with(b"From: =?utf-8?q?Zo=C3=AB?= <zoe@example.org>\r\n"));
//! assert_eq!(Message::parse(&bytes).unwrap().subject().unwrap(), "Grüße");
//! ```
//!
//! # Streaming
//!
//! A message that arrives in chunks (SMTP DATA, an IMAP literal, a file)
//! need not be held whole: [`StreamParser`] takes the chunks as they come
//! and gives owned [`StreamEvent`]s (each part's header block, decoded
//! body bytes, preamble and epilogue, each part's end with its defects),
//! the same result as [`Message::parse`] for any split of the input, in
//! memory bounded by the [`Limits`] whatever the message size (see [`stream`]).
//!
//! ```
//! use postwire_mime::{StreamEvent, StreamOptions, StreamParser};
//!
//! fn drain(parser: &mut StreamParser, text: &mut Vec<u8>) {
//!     while let Some(event) = parser.poll_event() {
//!         if let StreamEvent::Body { data, .. } = event {
//!             text.extend_from_slice(&data);
//!         }
//!     }
//! }
//! let mut parser = StreamParser::new(StreamOptions::default());
//! let mut text = Vec::new();
//! parser.push(b"Content-Transfer-Encoding: quoted-printable\r\n\r\nCaf=C3").unwrap();
//! drain(&mut parser, &mut text);
//! parser.push(b"=A9\r\n").unwrap();
//! drain(&mut parser, &mut text);
//! parser.finish().unwrap();
//! drain(&mut parser, &mut text);
//! assert_eq!(text, "Café\r\n".as_bytes());
//! ```
//!
//! # Standards
//!
//! - RFC 5322 (header fields, §3.3 dates, §3.4 addresses, §3.6.4 message
//!   ids) and its obsolete syntax (§4: two-digit years, named zones,
//!   routes, `Name : value`, empty list elements).
//! - RFC 2045 (Content-Type, Content-Transfer-Encoding: base64,
//!   quoted-printable, 7bit, 8bit, binary; plus x-uuencode), RFC 2046
//!   (multipart with preamble and epilogue, digest, message/rfc822),
//!   RFC 2047 (encoded words, decoded only after a structured header is
//!   split), RFC 2183 (Content-Disposition), RFC 2231 (parameter
//!   continuations, charsets and languages), RFC 6532 (UTF-8 headers,
//!   message/global), RFC 3464 and RFC 6522 (delivery status reports).
//! - Charsets: every label of the WHATWG Encoding Standard through
//!   encoding_rs (ISO-2022-JP, Shift_JIS, EUC-JP, GBK/GB18030, Big5, EUC-KR,
//!   KOI8-R, windows-125x, ISO-8859-x, ...), a few mail aliases, and UTF-7
//!   (RFC 2152) implemented in [`charset`].
//! - base64 through the `encodify` crate's line-aware kernels (a safe API
//!   that picks AVX2, SSSE3 or NEON at run time, as this crate, which
//!   forbids `unsafe`, cannot): the builder's 76-column lines are written
//!   with their CRLFs in one pass, and the parser hands it blocks of whole
//!   lines, keeping its output only when the block was pure base64 (see
//!   `decode.rs`); everything irregular (padding, stray octets, odd line
//!   lengths) goes through this crate's own lenient decoder, which defines
//!   the result and the defects. Bodies are checked as UTF-8 by the
//!   `simdutf8` crate (the same answer as `std::str::from_utf8`, vectorised).
//!
//! # Limits
//!
//! [`Limits`] bound what one parse builds; exceeding one is an [`Error`]:
//! nesting depth (default 100), parts in the tree (default 10,000), bytes
//! of one header block (default 1 MiB) and fields in one header block
//! (default 10,000). The tree is built with an explicit work stack, so deep
//! nesting is an error, never a stack overflow; scanning is memchr/memmem
//! based and linear in the input at each nesting level.
//!
//! # Not yet done
//!
//! IDNA for non-ASCII domains in the builder (they are written as UTF-8
//! and need SMTPUTF8).

pub mod address;
pub mod build;
pub mod charset;
pub mod date;
pub mod decode;
mod defect;
pub mod encoded_word;
mod error;
pub mod header;
mod message;
pub mod msgid;
pub mod param;
mod part;
pub mod report;
pub mod stream;

pub use address::{Address, AddressList, Group, Mailbox};
pub use build::{Attachment, BodyRequirement, BuildError, MessageBuilder};
pub use date::{DateTime, Zone};
pub use decode::TransferEncoding;
pub use defect::Defect;
pub use error::{Error, Limits, Options};
pub use header::{Header, Headers};
pub use message::{Message, Parts};
pub use param::{ContentDisposition, ContentType, Param, Params};
pub use part::{Part, PartKind};
pub use report::{Action, DeliveryStatus, RecipientStatus};
pub use stream::{StreamError, StreamEvent, StreamOptions, StreamParser};
