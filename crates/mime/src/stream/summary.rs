//! A whole message as plain data, built either from a parsed
//! [`Message`] or from the events of a [`StreamParser`], so the two
//! parsers can be compared field by field (tests, fuzzing), and so a
//! caller that does want everything in memory gets it in one call.

use std::ops::Range;

use super::event::{BodyKind, StreamEvent};
use super::options::{StreamError, StreamOptions};
use super::parser::StreamParser;
use crate::decode::{Decoder, TransferEncoding};
use crate::{ContentDisposition, ContentType, Defect, Message, Part, PartKind};

/// Every part of a message in depth-first order, parents first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageSummary {
    /// The parts, the top-level message first.
    pub parts: Vec<PartSummary>,
}

/// One part with everything both parsers report about it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PartSummary {
    /// Child indices from the top-level message (see [`super::PartPath`]).
    pub path: Vec<usize>,
    /// Stream offsets of the header fields.
    pub header_range: Range<u64>,
    /// Stream offsets of the body.
    pub body_range: Range<u64>,
    /// The header fields, byte-exact.
    pub raw_headers: Vec<u8>,
    /// Each field's name and raw value, in order.
    pub fields: Vec<(Vec<u8>, Vec<u8>)>,
    /// The Content-Type (or its default).
    pub content_type: ContentType<'static>,
    /// The Content-Disposition, when present.
    pub disposition: Option<ContentDisposition<'static>>,
    /// The Content-Transfer-Encoding.
    pub transfer_encoding: TransferEncoding,
    /// What the body is.
    pub kind: BodyKind,
    /// A multipart's preamble bytes.
    pub preamble: Option<Vec<u8>>,
    /// A multipart's epilogue bytes.
    pub epilogue: Option<Vec<u8>>,
    /// A leaf's transfer-decoded body.
    pub body: Option<Vec<u8>>,
    /// Structural defects (as [`Part::defects`]).
    pub defects: Vec<Defect>,
    /// Transfer-decoding defects of a leaf (as [`Part::decode_body`]).
    pub body_defects: Vec<Defect>,
}

impl MessageSummary {
    /// Summarises a message parsed whole.
    pub fn from_message(message: &Message<'_>) -> MessageSummary {
        let input = message.input();
        let mut parts = Vec::new();
        let mut stack: Vec<(&Part<'_>, Vec<usize>)> = vec![(message.root(), Vec::new())];
        while let Some((part, path)) = stack.pop() {
            for (k, child) in part.children().iter().enumerate().rev() {
                let mut p = path.clone();
                p.push(k);
                stack.push((child, p));
            }
            // A leading mbox `From ` line is outside `Part::header_range`
            // already, as the streaming parser never holds it.
            let header_range = part.header_range();
            let (body, body_defects) = match part.kind() {
                PartKind::Leaf => {
                    let (b, d) = part.decode_body();
                    (Some(b.into_owned()), d)
                }
                _ => (None, Vec::new()),
            };
            let kind = match part.kind() {
                PartKind::Multipart { .. } => BodyKind::Multipart,
                PartKind::Message => BodyKind::Message,
                _ => BodyKind::Leaf,
            };
            let body_range = part.body_range();
            parts.push(PartSummary {
                path,
                header_range: header_range.start as u64..header_range.end as u64,
                body_range: body_range.start as u64..body_range.end as u64,
                raw_headers: input[header_range].to_vec(),
                fields: part
                    .headers()
                    .iter()
                    .map(|h| (h.name().to_vec(), h.raw_value().to_vec()))
                    .collect(),
                content_type: part.content_type().clone().into_owned(),
                disposition: part.disposition().map(ContentDisposition::into_owned),
                transfer_encoding: part.transfer_encoding(),
                kind,
                preamble: part.preamble().map(<[u8]>::to_vec),
                epilogue: part.epilogue().map(<[u8]>::to_vec),
                body,
                defects: part.defects().to_vec(),
                body_defects,
            });
        }
        MessageSummary { parts }
    }

    /// Streams `chunks` through a [`StreamParser`] and collects the events.
    pub fn stream<'c>(
        chunks: impl IntoIterator<Item = &'c [u8]>,
        options: StreamOptions,
    ) -> Result<MessageSummary, StreamError> {
        let mut parser = StreamParser::new(options);
        let mut builder = SummaryBuilder::new();
        for chunk in chunks {
            parser.push(chunk)?;
            while let Some(event) = parser.poll_event() {
                builder.apply(&event);
            }
        }
        parser.finish()?;
        while let Some(event) = parser.poll_event() {
            builder.apply(&event);
        }
        Ok(builder.finish())
    }
}

/// Collects [`StreamEvent`]s into a [`MessageSummary`].
#[derive(Debug, Clone, Default)]
pub struct SummaryBuilder {
    parts: Vec<PartSummary>,
    /// Indices of the parts started and not yet ended, innermost last.
    open: Vec<usize>,
}

impl SummaryBuilder {
    /// An empty collector.
    pub fn new() -> SummaryBuilder {
        SummaryBuilder::default()
    }

    /// Takes one event into account.
    pub fn apply(&mut self, event: &StreamEvent) {
        let current = self.open.last().copied();
        match event {
            StreamEvent::PartStart(start) => {
                self.open.push(self.parts.len());
                let multipart = start.kind() == BodyKind::Multipart;
                self.parts.push(PartSummary {
                    path: start.path().indices().to_vec(),
                    header_range: start.header_range(),
                    body_range: start.body_start()..start.body_start(),
                    raw_headers: start.raw_headers().to_vec(),
                    fields: start
                        .headers()
                        .iter()
                        .map(|h| (h.name().to_vec(), h.raw_value().to_vec()))
                        .collect(),
                    content_type: start.content_type().clone(),
                    disposition: start.disposition().cloned(),
                    transfer_encoding: start.transfer_encoding(),
                    kind: start.kind(),
                    preamble: multipart.then(Vec::new),
                    epilogue: multipart.then(Vec::new),
                    body: (start.kind() == BodyKind::Leaf).then(Vec::new),
                    defects: start.defects().to_vec(),
                    body_defects: Vec::new(),
                });
            }
            StreamEvent::Body { data, .. } => {
                if let Some(body) = current.and_then(|i| self.parts[i].body.as_mut()) {
                    body.extend_from_slice(data);
                }
            }
            StreamEvent::Preamble { data, .. } => {
                if let Some(v) = current.and_then(|i| self.parts[i].preamble.as_mut()) {
                    v.extend_from_slice(data);
                }
            }
            StreamEvent::Epilogue { data, .. } => {
                if let Some(v) = current.and_then(|i| self.parts[i].epilogue.as_mut()) {
                    v.extend_from_slice(data);
                }
            }
            StreamEvent::PartEnd(end) => {
                self.open.pop();
                let Some(part) = current.map(|i| &mut self.parts[i]) else {
                    return;
                };
                part.body_range = end.body_range();
                part.defects = end.defects().to_vec();
                part.body_defects = end.body_defects().to_vec();
                if part.kind == BodyKind::Multipart && end.kind() == BodyKind::Leaf {
                    // No boundary line came: the preamble was the raw body.
                    let raw = part.preamble.take().unwrap_or_default();
                    let mut body = Vec::new();
                    let mut decoder = Decoder::new(part.transfer_encoding);
                    decoder.decode(&raw, &mut body, &mut Vec::new());
                    decoder.finish(&mut body, &mut Vec::new());
                    part.body = Some(body);
                    part.epilogue = None;
                }
                part.kind = end.kind();
            }
            _ => {}
        }
    }

    /// The summary of everything applied so far.
    pub fn finish(self) -> MessageSummary {
        MessageSummary { parts: self.parts }
    }
}
