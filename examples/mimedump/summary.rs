//! What mimedump says about one message, in one place: the example prints
//! it, and the golden test (`mimedump/golden.rs`) compares it with the
//! stored `.json` next to every message of `crates/mime/tests/data`.
//!
//! The shape, one compact JSON object per message:
//!
//! ```text
//! {"subject": str|null, "from": [{"name": str|null, "address": str}], "to": [..], "cc": [..],
//!  "date": RFC 3339 str|null, "message_id": str|null, "defects": [str],
//!  "parts": [{"content_type", "charset", "disposition", "filename", "size", "sha256", "text"}]}
//! ```
//!
//! - `subject`, display names and file names are decoded (RFC 2047, RFC
//!   2231; the file name falls back to the Content-Type `name` parameter).
//! - Groups are flattened into their members (RFC 5322 §3.4).
//! - `date` keeps the message's own offset. A date whose zone is `-0000`,
//!   military, unknown or missing is written with RFC 3339's `-00:00`
//!   ("UTC, local offset unknown", RFC 3339 §4.3), which is what RFC 5322
//!   §4.3 says such zones mean. An unreadable date, or one RFC 3339
//!   cannot write (a year past 9999, an offset of 24 hours or more), is `null`.
//! - `message_id` is the first msg-id without its angle brackets.
//! - `defects` are the short names of [`postwire_mime::Defect`], sorted and
//!   without repeats, from every part of the tree, from decoding every
//!   leaf, and from reading the top-level header fields printed here.
//! - `parts` are the leaves, depth first: multipart/* and message/rfc822
//!   are containers, so a forwarded message contributes its own leaves.
//!   `size` and `sha256` are of the body with its transfer encoding undone;
//!   `text` is the UTF-8 text of a text/* leaf, else `null`.
//! - `charset` is the charset parameter as given, lower-cased; `null` when
//!   the part gave none (even though RFC 2046 §4.1.2 then means US-ASCII).
//! - `disposition` is `inline`, `attachment` or `null`; any other
//!   disposition type is `attachment` (RFC 2183 §2.8).
//! - Text in a charset no decoder here knows is read as UTF-8, with U+FFFD
//!   for what is not UTF-8.

use std::borrow::Cow;

use postwire_mime::charset::Charset;
use postwire_mime::encoded_word::decode_encoded_words;
use postwire_mime::{
    AddressList, ContentDisposition, DateTime, Defect, Error, Message, Part, PartKind, Zone,
};
use sha2::{Digest, Sha256};

use crate::json;

/// One mailbox of From, To or Cc.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Person {
    /// The decoded display name.
    pub(crate) name: Option<String>,
    /// The addr-spec.
    pub(crate) address: String,
}

/// One leaf part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Leaf {
    /// `type/subtype`, lower case.
    pub(crate) content_type: String,
    /// The charset parameter, lower case.
    pub(crate) charset: Option<String>,
    /// `inline` or `attachment`.
    pub(crate) disposition: Option<&'static str>,
    /// The decoded file name.
    pub(crate) filename: Option<String>,
    /// Bytes of the transfer-decoded body.
    pub(crate) size: usize,
    /// Lower-case hex SHA-256 of the transfer-decoded body.
    pub(crate) sha256: String,
    /// The text of a text/* leaf.
    pub(crate) text: Option<String>,
}

/// Everything mimedump prints about one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Summary {
    /// Subject, decoded.
    pub(crate) subject: Option<String>,
    /// From, groups flattened.
    pub(crate) from: Vec<Person>,
    /// To, groups flattened.
    pub(crate) to: Vec<Person>,
    /// Cc, groups flattened.
    pub(crate) cc: Vec<Person>,
    /// Date as RFC 3339.
    pub(crate) date: Option<String>,
    /// The Message-ID without angle brackets.
    pub(crate) message_id: Option<String>,
    /// Defect names, sorted, each once.
    pub(crate) defects: Vec<&'static str>,
    /// The leaves, depth first.
    pub(crate) parts: Vec<Leaf>,
}

/// Parses `raw` and returns its summary as one line of JSON (no newline).
pub(crate) fn dump(raw: &[u8]) -> Result<String, Error> {
    let message = Message::parse(raw)?;
    Ok(Summary::of(&message).to_json())
}

impl Summary {
    /// Summarizes a parsed message.
    pub(crate) fn of(message: &Message<'_>) -> Summary {
        let mut defects: Vec<Defect> = Vec::new();
        let subject = message.header("subject").map(|h| {
            decode_encoded_words(&h.value(), &mut defects)
                .trim()
                .to_owned()
        });
        let mut people = |name: &str| -> Vec<Person> {
            let Some(h) = message.header(name) else {
                return Vec::new();
            };
            let list = AddressList::parse(&h.value());
            defects.extend_from_slice(&list.defects);
            list.mailboxes()
                .map(|m| Person {
                    name: m.name.clone(),
                    address: m.address.clone(),
                })
                .collect()
        };
        let from = people("from");
        let to = people("to");
        let cc = people("cc");
        let date = message.header("date").and_then(|h| {
            DateTime::parse(&h.value(), &mut defects)
                .as_ref()
                .and_then(rfc3339)
        });
        let message_id = message.message_id();
        let mut parts = Vec::new();
        for part in message.parts() {
            defects.extend_from_slice(part.defects());
            if matches!(part.kind(), PartKind::Leaf) {
                parts.push(leaf(part, &mut defects));
            }
        }
        let mut names: Vec<&'static str> = defects.iter().map(|d| d.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        Summary {
            subject,
            from,
            to,
            cc,
            date,
            message_id,
            defects: names,
            parts,
        }
    }

    /// The summary as one line of compact JSON, members in the documented order.
    pub(crate) fn to_json(&self) -> String {
        let mut out = String::with_capacity(256);
        let people = |out: &mut String, list: &[Person]| {
            json::array(out, list, |out, p| {
                out.push('{');
                json::key(out, "name");
                json::opt_string(out, p.name.as_deref());
                out.push(',');
                json::key(out, "address");
                json::string(out, &p.address);
                out.push('}');
            });
        };
        out.push('{');
        json::key(&mut out, "subject");
        json::opt_string(&mut out, self.subject.as_deref());
        out.push(',');
        json::key(&mut out, "from");
        people(&mut out, &self.from);
        out.push(',');
        json::key(&mut out, "to");
        people(&mut out, &self.to);
        out.push(',');
        json::key(&mut out, "cc");
        people(&mut out, &self.cc);
        out.push(',');
        json::key(&mut out, "date");
        json::opt_string(&mut out, self.date.as_deref());
        out.push(',');
        json::key(&mut out, "message_id");
        json::opt_string(&mut out, self.message_id.as_deref());
        out.push(',');
        json::key(&mut out, "defects");
        json::array(&mut out, &self.defects, |out, d| json::string(out, d));
        out.push(',');
        json::key(&mut out, "parts");
        json::array(&mut out, &self.parts, |out, leaf| {
            out.push('{');
            json::key(out, "content_type");
            json::string(out, &leaf.content_type);
            out.push(',');
            json::key(out, "charset");
            json::opt_string(out, leaf.charset.as_deref());
            out.push(',');
            json::key(out, "disposition");
            json::opt_string(out, leaf.disposition);
            out.push(',');
            json::key(out, "filename");
            json::opt_string(out, leaf.filename.as_deref());
            out.push(',');
            json::key(out, "size");
            out.push_str(&leaf.size.to_string());
            out.push(',');
            json::key(out, "sha256");
            json::string(out, &leaf.sha256);
            out.push(',');
            json::key(out, "text");
            json::opt_string(out, leaf.text.as_deref());
            out.push('}');
        });
        out.push('}');
        out
    }
}

/// Summarizes one leaf, adding what decoding it found to `defects`.
fn leaf(part: &Part<'_>, defects: &mut Vec<Defect>) -> Leaf {
    let content_type = part.content_type();
    // A part without a (readable) Content-Type gave no charset parameter:
    // the parser's default `text/plain; charset=us-ascii` is not printed.
    let given = part.header("content-type").is_some()
        && !part.defects().contains(&Defect::InvalidContentType);
    let charset = content_type
        .charset()
        .filter(|_| given)
        .map(str::to_ascii_lowercase);
    let disposition = part
        .header("content-disposition")
        .map(|h| ContentDisposition::parse(h.raw_value(), defects));
    let filename = disposition
        .as_ref()
        .and_then(|d| d.filename())
        .or_else(|| content_type.param("name"))
        .map(str::to_owned);
    let disposition = disposition.and_then(|d| match d.kind() {
        "" => None,
        "inline" => Some("inline"),
        // RFC 2183 §2.8: an unrecognized disposition type is treated as attachment.
        _ => Some("attachment"),
    });
    let (body, body_defects) = part.decode_body();
    defects.extend_from_slice(&body_defects);
    let text = (content_type.main_type() == "text").then(|| text(part, &body, defects));
    Leaf {
        content_type: content_type.mime_type(),
        charset,
        disposition,
        filename,
        size: body.len(),
        sha256: hex(&Sha256::digest(&body)),
        text,
    }
}

/// The text of a text/* leaf: its charset when a decoder knows it, UTF-8
/// with U+FFFD otherwise (RFC 2046 §4.1.2 leaves an unknown charset to the reader).
fn text(part: &Part<'_>, body: &[u8], defects: &mut Vec<Defect>) -> String {
    let label = part.content_type().charset();
    if label.is_some_and(|l| Charset::for_label(l.as_bytes()).is_none()) {
        defects.push(Defect::UnknownCharset);
        let text = String::from_utf8_lossy(body);
        if matches!(text, Cow::Owned(_)) {
            defects.push(Defect::MalformedCharsetData);
        }
        return text.into_owned();
    }
    match part.decode_text() {
        Some((text, text_defects)) => {
            defects.extend_from_slice(&text_defects);
            text.into_owned()
        }
        None => String::from_utf8_lossy(body).into_owned(),
    }
}

/// RFC 3339 §5.6 `date-time` with the message's own offset; `None` when
/// RFC 3339 cannot write it: a year past four digits, or an offset of a
/// day or more (`time-numoffset` hours run 00-23).
fn rfc3339(d: &DateTime) -> Option<String> {
    if !(0..=9999).contains(&d.year) {
        return None;
    }
    let offset = match d.zone {
        Zone::Offset(minutes) if minutes.unsigned_abs() >= 24 * 60 => return None,
        Zone::Offset(minutes) => {
            let sign = if minutes < 0 { '-' } else { '+' };
            let m = minutes.unsigned_abs();
            format!("{sign}{:02}:{:02}", m / 60, m % 60)
        }
        // RFC 3339 §4.3: "-00:00" is UTC with an unknown local offset,
        // what RFC 5322 §3.3 means by "-0000" and §4.3 by unknown zones.
        Zone::UtcUnknownLocal | Zone::Missing => "-00:00".to_owned(),
    };
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{offset}",
        d.year, d.month, d.day, d.hour, d.minute, d.second
    ))
}

/// Lower-case hex.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}
