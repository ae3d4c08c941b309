//! The MIME corpora and contestants of `benches/mime.rs` (issue 4):
//! postwire-mime, mail-parser 1.0 (`full_encoding`) and mailparse 0.18,
//! each doing the same work on the same messages. `examples/mime_profile.rs`
//! runs the same functions once under callgrind.
//!
//! - **full**: parse, walk every leaf, undo its transfer encoding, and
//!   convert text/* leaves to UTF-8 from their charset.
//! - **headers**: parse, then Subject (encoded words decoded), From (parsed
//!   into mailboxes, names decoded) and Date (parsed to a timestamp).
//!
//! Every contestant returns a [`Work`] tally, which the bench prints once,
//! so that a contestant that skipped work would show.

use std::path::{Path, PathBuf};

/// A set of messages, each its own buffer, as a mail store hands them out.
#[derive(Debug)]
pub struct Corpus {
    /// Where it came from.
    pub name: &'static str,
    /// The messages, sorted by file name.
    pub messages: Vec<Vec<u8>>,
}

impl Corpus {
    /// The total number of bytes.
    pub fn bytes(&self) -> usize {
        self.messages.iter().map(Vec::len).sum()
    }
}

fn collect(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

fn load(name: &'static str, dir: &Path, ext: &str) -> Option<Corpus> {
    let mut paths = Vec::new();
    collect(dir, ext, &mut paths);
    paths.sort();
    let messages: Vec<Vec<u8>> = paths.iter().filter_map(|p| std::fs::read(p).ok()).collect();
    (!messages.is_empty()).then_some(Corpus { name, messages })
}

fn bench_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The 5,545 SpamAssassin messages that `fetch-mime-corpus.sh` puts in
/// `data/spamassassin/`; `None` when it has not been run.
pub fn spamassassin() -> Option<Corpus> {
    load(
        "spamassassin",
        &bench_dir().join("data/spamassassin"),
        "eml",
    )
}

/// The enmime test messages (`*.raw`), vendored in
/// `crates/mime/tests/data/enmime/` or fetched into `data/enmime/`.
pub fn enmime() -> Option<Corpus> {
    load(
        "enmime",
        &bench_dir().join("../crates/mime/tests/data/enmime"),
        "raw",
    )
    .or_else(|| load("enmime", &bench_dir().join("data/enmime"), "raw"))
}

/// What a contestant did, to check that all did comparable work.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Work {
    /// Messages the parser accepted.
    pub messages: usize,
    /// Leaves decoded (full) or Subject fields found (headers).
    pub leaves: usize,
    /// Text leaves converted to UTF-8 (full) or From mailboxes (headers).
    pub texts: usize,
    /// UTF-8 bytes of the converted text (full) or of subjects, names and
    /// addresses (headers).
    pub text_bytes: usize,
    /// Transfer-decoded bytes of the other leaves (full) or dates parsed (headers).
    pub other: usize,
}

/// postwire-mime, full: `Message::parse`, then `Part::text` for text/*
/// leaves and `Part::decoded_body` for the others.
#[inline(never)]
pub fn postwire_full(corpus: &[Vec<u8>]) -> Work {
    use postwire_mime::{Message, PartKind};
    let mut w = Work::default();
    for raw in corpus {
        let Ok(message) = Message::parse(raw) else {
            continue;
        };
        w.messages += 1;
        for part in message.parts() {
            if !matches!(part.kind(), PartKind::Leaf) {
                continue;
            }
            w.leaves += 1;
            match part.text() {
                Some(text) => {
                    w.texts += 1;
                    w.text_bytes += text.len();
                }
                None => w.other += part.decoded_body().len(),
            }
        }
    }
    w
}

/// mail-parser 1.0, full: `MessageParser::parse`, then every part of every
/// message (`Message::parts`): `MessagePart::text` for text and HTML parts,
/// `MessagePart::decoded` for the binary ones.
#[inline(never)]
pub fn mail_parser_full(corpus: &[Vec<u8>]) -> Work {
    use mail_parser::{MessageParser, PartKind};
    let parser = MessageParser::new();
    let mut w = Work::default();
    for raw in corpus {
        let Some(message) = parser.parse(raw) else {
            continue;
        };
        w.messages += 1;
        for part in message.parts() {
            match part.kind() {
                PartKind::Text | PartKind::Html => {
                    w.leaves += 1;
                    if let Some(text) = part.text() {
                        w.texts += 1;
                        w.text_bytes += text.len();
                    }
                }
                PartKind::Binary | PartKind::InlineBinary => {
                    w.leaves += 1;
                    w.other += part.decoded().len();
                }
                PartKind::Multipart | PartKind::Message(_) => {}
            }
        }
    }
    w
}

/// mailparse 0.18, full: `parse_mail`, then every leaf (`parts()` without
/// subparts): `get_body` (charset-decoded `String`) for text/*,
/// `get_body_raw` for the others.
#[inline(never)]
pub fn mailparse_full(corpus: &[Vec<u8>]) -> Work {
    let mut w = Work::default();
    for raw in corpus {
        let Ok(mail) = mailparse::parse_mail(raw) else {
            continue;
        };
        w.messages += 1;
        for part in mail.parts() {
            if !part.subparts.is_empty() {
                continue;
            }
            w.leaves += 1;
            if part.ctype.mimetype.starts_with("text/") {
                if let Ok(text) = part.get_body() {
                    w.texts += 1;
                    w.text_bytes += text.len();
                }
            } else if let Ok(body) = part.get_body_raw() {
                w.other += body.len();
            }
        }
    }
    w
}

/// postwire-mime, headers: `Message::parse_headers` (the top-level
/// header block only, as the peers do), `subject`, `from`, `date`.
#[inline(never)]
pub fn postwire_headers(corpus: &[Vec<u8>]) -> Work {
    use postwire_mime::Message;
    let mut w = Work::default();
    for raw in corpus {
        let Ok(message) = Message::parse_headers(raw) else {
            continue;
        };
        w.messages += 1;
        if let Some(subject) = message.subject() {
            w.leaves += 1;
            w.text_bytes += subject.len();
        }
        if let Some(from) = message.from() {
            for m in from.mailboxes() {
                w.texts += 1;
                w.text_bytes += m.name.as_ref().map_or(0, String::len) + m.address.len();
            }
        }
        if message.date().and_then(|d| d.timestamp()).is_some() {
            w.other += 1;
        }
    }
    w
}

/// mail-parser 1.0, headers: `MessageParser::parse_headers` (the top-level
/// header block only), `subject`, `from`, `date`.
#[inline(never)]
pub fn mail_parser_headers(corpus: &[Vec<u8>]) -> Work {
    use mail_parser::MessageParser;
    let parser = MessageParser::new();
    let mut w = Work::default();
    for raw in corpus {
        let Some(message) = parser.parse_headers(raw) else {
            continue;
        };
        w.messages += 1;
        if let Some(subject) = message.subject() {
            w.leaves += 1;
            w.text_bytes += subject.len();
        }
        if let Some(from) = message.from() {
            for m in from.mailboxes() {
                w.texts += 1;
                w.text_bytes += m.name().map_or(0, str::len) + m.address().map_or(0, str::len);
            }
        }
        if let Some(date) = message.date() {
            std::hint::black_box(date.to_timestamp());
            w.other += 1;
        }
    }
    w
}

/// mailparse 0.18, headers: `parse_headers` (the top-level header block
/// only), `get_first_value("Subject")`, `addrparse_header`, `dateparse`.
#[inline(never)]
pub fn mailparse_headers(corpus: &[Vec<u8>]) -> Work {
    use mailparse::{MailAddr, MailHeaderMap};
    let mut w = Work::default();
    for raw in corpus {
        let Ok((headers, _)) = mailparse::parse_headers(raw) else {
            continue;
        };
        w.messages += 1;
        if let Some(subject) = headers.get_first_value("Subject") {
            w.leaves += 1;
            w.text_bytes += subject.len();
        }
        if let Some(Ok(list)) = headers
            .get_first_header("From")
            .map(mailparse::addrparse_header)
        {
            let mut count = |s: &mailparse::SingleInfo| {
                w.texts += 1;
                w.text_bytes += s.display_name.as_ref().map_or(0, String::len) + s.addr.len();
            };
            for addr in list.iter() {
                match addr {
                    MailAddr::Single(s) => count(s),
                    MailAddr::Group(g) => g.addrs.iter().for_each(&mut count),
                }
            }
        }
        if headers
            .get_first_value("Date")
            .is_some_and(|date| mailparse::dateparse(&date).is_ok())
        {
            w.other += 1;
        }
    }
    w
}

/// The ceiling: one `memchr` pass counting line feeds over the same bytes.
#[inline(never)]
pub fn memchr_lines(corpus: &[Vec<u8>]) -> usize {
    corpus
        .iter()
        .map(|m| memchr::memchr_iter(b'\n', m).count())
        .sum()
}

/// The message the builder bench composes: a UTF-8 display name and
/// subject, two To, one Cc, a fixed date and Message-ID, a text body and
/// its HTML alternative (some non-ASCII, so quoted-printable), and a
/// 32 KiB binary attachment (base64). Every builder writes
/// multipart/mixed( multipart/alternative(text, html), attachment ).
#[derive(Debug, Clone)]
pub struct BuildInput {
    /// The text/plain body.
    pub text: String,
    /// The text/html body.
    pub html: String,
    /// The attachment's bytes, shared: each builder takes them the
    /// cheapest way its API allows (postwire and mail-builder without a
    /// copy, lettre as its own `Vec`).
    pub attachment: bytes::Bytes,
}

impl BuildInput {
    /// The fixed input (deterministic bytes).
    pub fn new() -> BuildInput {
        let line = "Grüße aus Köln: the quarterly report is attached, numbers as discussed.\n";
        let text = line.repeat(28);
        let html = format!(
            "<html><body>{}</body></html>\n",
            "<p>Grüße aus Köln: the <b>quarterly report</b> is attached.</p>\n".repeat(56)
        );
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let attachment = (0..32 * 1024)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect::<Vec<u8>>()
            .into();
        BuildInput {
            text,
            html,
            attachment,
        }
    }
}

impl Default for BuildInput {
    fn default() -> Self {
        BuildInput::new()
    }
}

/// 2024-01-02T03:04:05Z.
const BUILD_DATE: i64 = 1_704_164_645;

/// postwire-mime's `MessageBuilder`, written into a `Vec<u8>`.
#[inline(never)]
pub fn postwire_build(input: &BuildInput) -> Vec<u8> {
    use postwire_mime::{Attachment, MessageBuilder};
    MessageBuilder::new()
        .from(("Zoë Müller", "zoe@example.org"))
        .to(("Bob", "bob@example.org"))
        .to("carol@example.net")
        .cc(("Dave", "dave@example.com"))
        .subject("Quartalsbericht — Grüße aus Köln")
        .date(BUILD_DATE, 60)
        .message_id("report-2024-01@example.org")
        .text(input.text.as_str())
        .html(input.html.as_str())
        .attach(Attachment::new("application/pdf", input.attachment.clone()).filename("report.pdf"))
        .build()
        .unwrap_or_default()
}

/// Stalwart's mail-builder 2: `MessageBuilder::write_to_vec`.
#[inline(never)]
pub fn mail_builder_build(input: &BuildInput) -> Vec<u8> {
    use mail_builder::MessageBuilder;
    MessageBuilder::new()
        .from(("Zoë Müller", "zoe@example.org"))
        .to(vec![("Bob", "bob@example.org"), ("", "carol@example.net")])
        .cc(("Dave", "dave@example.com"))
        .subject("Quartalsbericht — Grüße aus Köln")
        .date(BUILD_DATE)
        .message_id("report-2024-01@example.org")
        .text_body(input.text.as_str())
        .html_body(input.html.as_str())
        .attachment("application/pdf", "report.pdf", &input.attachment[..])
        .write_to_vec()
        .unwrap_or_default()
}

/// lettre 0.11's message builder: `Message::builder()...formatted()`.
#[inline(never)]
pub fn lettre_build(input: &BuildInput) -> Vec<u8> {
    use lettre::message::header::ContentType;
    use lettre::message::{Attachment, Mailbox, Message, MultiPart};
    let mailbox = |name: Option<&str>, addr: &str| -> Mailbox {
        Mailbox::new(name.map(str::to_owned), addr.parse().expect("address"))
    };
    let Ok(message) = Message::builder()
        .from(mailbox(Some("Zoë Müller"), "zoe@example.org"))
        .to(mailbox(Some("Bob"), "bob@example.org"))
        .to(mailbox(None, "carol@example.net"))
        .cc(mailbox(Some("Dave"), "dave@example.com"))
        .subject("Quartalsbericht — Grüße aus Köln")
        .date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(BUILD_DATE as u64))
        .message_id(Some("<report-2024-01@example.org>".to_owned()))
        .multipart(
            MultiPart::mixed()
                .multipart(MultiPart::alternative_plain_html(
                    input.text.clone(),
                    input.html.clone(),
                ))
                .singlepart(Attachment::new("report.pdf".to_owned()).body(
                    input.attachment.to_vec(),
                    ContentType::parse("application/pdf").expect("content type"),
                )),
        )
    else {
        return Vec::new();
    };
    message.formatted()
}
