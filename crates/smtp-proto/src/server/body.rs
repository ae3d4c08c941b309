//! Message content: DATA (RFC 5321 §4.5.2, dot-unstuffed, streamed) and
//! BDAT chunks (RFC 3030, exact octet counts, streamed).

use bytes::BytesMut;
use postwire_core::{CommandId, DotUnstuffer, UnstuffError, Unstuffed};

use super::dispatch::Count;
use super::replies::{self, Canned};
use super::{
    AbortReason, BadCommand, BareLineEndings, Event, Pending, PendingKind, Phase, Server,
    ServerConfig,
};

/// Reading DATA content.
#[derive(Debug)]
pub(super) struct DataState {
    unstuffer: DotUnstuffer,
    /// Unstuffed content of the current input, handed out as one chunk.
    content: BytesMut,
    /// Content octets so far.
    received: u64,
    /// Octets of the current content line (for the strict line limit).
    line_len: usize,
    /// Set once the content is being discarded.
    failed: Option<AbortReason>,
}

impl DataState {
    pub(super) fn new(config: &ServerConfig) -> Self {
        let normalize = config.quirks.bare_line_endings == BareLineEndings::Normalize;
        Self {
            // Under Normalize a bare CR or LF becomes CRLF, but only a real
            // CRLF.CRLF ends the data (SECURITY.md SM-S1).
            unstuffer: DotUnstuffer::new().normalize_bare_line_endings(normalize),
            content: BytesMut::new(),
            received: 0,
            line_len: 0,
            failed: None,
        }
    }

    pub(super) fn failed(&self) -> Option<AbortReason> {
        self.failed
    }

    /// Checks a piece of content against the strict line limit (counting
    /// the CRLF, after unstuffing).
    fn line_too_long(&mut self, content: &[u8], limit: Option<usize>) -> bool {
        let Some(limit) = limit else {
            return false;
        };
        let mut too_long = false;
        let mut start = 0;
        for lf in memchr::memchr_iter(b'\n', content) {
            self.line_len += lf + 1 - start;
            too_long |= self.line_len > limit;
            self.line_len = 0;
            start = lf + 1;
        }
        self.line_len += content.len() - start;
        // An unfinished line that leaves no room for its CRLF is already
        // too long.
        too_long || self.line_len + 2 > limit
    }
}

/// Reading one BDAT chunk.
#[derive(Debug)]
pub(super) struct BdatState {
    id: CommandId,
    size: u64,
    remaining: u64,
    last: bool,
    /// The chunk is consumed and dropped, then refused with this.
    refusal: Option<(BadCommand, Canned, Count)>,
}

impl BdatState {
    /// Whether this chunk's octets go to the application.
    pub(super) fn delivering(&self) -> bool {
        self.refusal.is_none()
    }
}

impl Server {
    /// Unstuffs buffered DATA content. `false` when more input is needed.
    pub(super) fn step_data(&mut self) -> bool {
        if self.framer.is_empty() {
            return false;
        }
        let buffered = self.framer.take(usize::MAX);
        let consumed = self.data_input(&buffered);
        if let Some(after) = buffered.get(consumed..).filter(|rest| !rest.is_empty()) {
            // The commands after the data.
            self.framer.push(after);
        }
        true
    }

    /// Unstuffs DATA content from `input`, where it lies (the caller's
    /// read, or what the framer held), and returns how many octets it
    /// consumed: all of them unless the data ended inside `input`, in which
    /// case the rest are the client's next commands. The content of one
    /// input leaves as one [`Event::DataChunk`].
    pub(super) fn data_input(&mut self, input: &[u8]) -> usize {
        let max_size = self.config.limits.max_message_size;
        let max_line = self.config.limits.max_data_line;
        let Phase::Data(state) = &mut self.phase else {
            return 0;
        };
        let step = state.unstuffer.unstuff(input, &mut state.content);
        if step.is_ok() && !state.content.is_empty() {
            let content = state.content.split().freeze();
            state.received = state.received.saturating_add(content.len() as u64);
            if state.failed.is_none() {
                let reason = if state.received > max_size {
                    Some(AbortReason::TooBig)
                } else if state.line_too_long(&content, max_line) {
                    Some(AbortReason::LineTooLong)
                } else {
                    None
                };
                state.failed = reason;
                match reason {
                    Some(reason) => self.events.push_back(Event::DataAborted { reason }),
                    None => self.events.push_back(Event::DataChunk(content)),
                }
            }
        }
        match step {
            Ok(Unstuffed::NeedMore) => input.len(),
            Ok(Unstuffed::End { consumed }) => {
                match state.failed {
                    None => {
                        let recipients = self.txn.as_ref().map_or(0, |t| t.recipients);
                        let id = self.ids.next_id();
                        self.events.push_back(Event::DataEnd { id, recipients });
                        self.phase = Phase::Awaiting(Pending {
                            id,
                            kind: PendingKind::DataEnd { recipients },
                        });
                    }
                    Some(reason) => {
                        self.phase = Phase::Command;
                        self.txn = None;
                        let canned = if reason == AbortReason::TooBig {
                            replies::TOO_BIG
                        } else {
                            replies::DATA_LINE_TOO_LONG
                        };
                        self.write(canned);
                        self.flush();
                    }
                }
                consumed
            }
            Err(error) => {
                // The rest of the stream cannot be framed safely: refuse and
                // close (SECURITY.md SM-S2, Postfix smtpd_forbid_bare_newline).
                let bare = match error {
                    UnstuffError::BareLineEnding(bare) => Some(bare),
                    UnstuffError::LineTooLong { .. } => None,
                };
                if state.failed.is_none() {
                    let reason = bare.map_or(AbortReason::LineTooLong, AbortReason::BareLineEnding);
                    self.events.push_back(Event::DataAborted { reason });
                }
                self.txn = None;
                self.write(replies::BARE_IN_DATA);
                self.fail(super::Error::BareLineEnding);
                input.len()
            }
        }
    }

    /// Handles `BDAT size [LAST]` (RFC 3030 §2).
    ///
    /// The chunk's octets follow the line at once and must never be read as
    /// commands (RFC 3030 §2); a refused chunk is therefore consumed and
    /// dropped as it arrives, then answered. That is bounded only while the
    /// chunk is: one larger than [`Limits::max_message_size`](super::Limits::max_message_size)
    /// (up to 2^64 - 1 octets) is refused with `552 5.3.4` before any of it
    /// is read, and the connection is closed (`421 4.7.0`, RFC 5321 §3.8),
    /// as Postfix does for absurd sizes. A chunk within the
    /// limit that takes the message past it is consumed, then `552 5.3.4`,
    /// and the session goes on (RFC 1870 §6, RFC 3030 §2).
    pub(super) fn start_bdat(&mut self, size: u64, last: bool) {
        if size > self.config.limits.max_message_size {
            self.refuse_unskippable_chunk(
                BadCommand::MessageTooBig,
                replies::TOO_BIG,
                super::Error::ChunkTooBig,
            );
            return;
        }
        let limits = &self.config.limits;
        let refusal = if !self.config.extensions.chunking {
            // The octets are consumed anyway, so they never run as commands.
            Some((
                BadCommand::NotEnabled("CHUNKING"),
                replies::NOT_IMPLEMENTED,
                Count::Yes,
            ))
        } else {
            match &mut self.txn {
                None => Some((
                    BadCommand::BadSequence("BDAT"),
                    replies::NEED_MAIL,
                    Count::No,
                )),
                Some(txn) if txn.recipients == 0 => Some((
                    BadCommand::NoValidRecipients,
                    replies::NO_RECIPIENTS,
                    Count::No,
                )),
                Some(txn) => {
                    let total = txn.bdat.unwrap_or(0).saturating_add(size);
                    if total > limits.max_message_size {
                        Some((BadCommand::MessageTooBig, replies::TOO_BIG, Count::No))
                    } else {
                        txn.bdat = Some(total);
                        None
                    }
                }
            }
        };
        if let Some((error, _, _)) = refusal {
            // RFC 3030 §2: after a refused chunk the transaction failed;
            // later chunks meet 503. (BDAT without CHUNKING is merely an
            // unknown command and leaves the transaction alone.)
            let failed = if self.config.extensions.chunking {
                self.txn.take()
            } else {
                None
            };
            if failed.is_some_and(|t| t.bdat.is_some()) {
                self.events.push_back(Event::DataAborted {
                    reason: AbortReason::ChunkRefused,
                });
            }
            self.events.push_back(Event::BadCommand { error });
        }
        let id = self.ids.next_id();
        self.phase = Phase::Bdat(BdatState {
            id,
            size,
            remaining: size,
            last,
            refusal,
        });
    }

    /// Refuses a BDAT whose chunk cannot be skipped (too big to discard,
    /// or of unknown size): `canned`, then `421 4.7.0` and close, so the
    /// chunk's octets are never read as commands (RFC 3030 §2). A BDAT
    /// transaction in progress failed (RFC 3030 §2).
    pub(super) fn refuse_unskippable_chunk(
        &mut self,
        error: BadCommand,
        canned: Canned,
        fatal: super::Error,
    ) {
        if self.txn.take().is_some_and(|t| t.bdat.is_some()) {
            self.events.push_back(Event::DataAborted {
                reason: AbortReason::ChunkRefused,
            });
        }
        self.events.push_back(Event::BadCommand { error });
        self.write(canned);
        let esc = self.config.extensions.enhanced_status_codes;
        let host = self.config.hostname.as_str().to_owned();
        replies::write_canned(&mut self.out, replies::CHUNK_NOT_SKIPPED, esc, Some(&host));
        self.fail(fatal);
    }

    /// Passes on buffered chunk octets. `false` when more input is needed.
    pub(super) fn step_bdat(&mut self) -> bool {
        let Phase::Bdat(state) = &mut self.phase else {
            return false;
        };
        if state.remaining > 0 {
            if self.framer.is_empty() {
                return false;
            }
            let n = usize::try_from(state.remaining)
                .unwrap_or(usize::MAX)
                .min(self.framer.buffered().len());
            let octets = self.framer.take(n);
            state.remaining -= n as u64;
            if state.refusal.is_none() {
                self.events.push_back(Event::DataChunk(octets));
            }
            return true;
        }
        let (id, size, last, refusal) = (state.id, state.size, state.last, state.refusal);
        self.phase = Phase::Command;
        if let Some((_, canned, count)) = refusal {
            self.write_refusal(canned, count);
        } else if last {
            let recipients = self.txn.as_ref().map_or(0, |t| t.recipients);
            self.events.push_back(Event::DataEnd { id, recipients });
            self.phase = Phase::Awaiting(Pending {
                id,
                kind: PendingKind::DataEnd { recipients },
            });
        } else {
            let esc = self.config.extensions.enhanced_status_codes;
            let enhanced = if esc { Some((2, 0, 0)) } else { None };
            replies::write_lines(
                &mut self.out,
                250,
                enhanced,
                &[format!("{size} octets received")],
            );
        }
        true
    }
}
