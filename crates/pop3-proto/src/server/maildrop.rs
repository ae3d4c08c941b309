//! The maildrop as the application hands it over, and the deletion marks
//! of a session (RFC 1939 §5, §6).

use crate::{MessageNumber, ScanListing, Stat, UidListing, UniqueId};

/// One message of a maildrop: its size and its unique-id.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MaildropEntry {
    /// The exact size in octets, as RETR will send it (CRLF line endings,
    /// before dot-stuffing; RFC 1939 §5 LIST).
    pub size: u64,
    /// The unique-id (RFC 1939 §7), stable across sessions.
    pub uid: UniqueId,
}

impl MaildropEntry {
    /// An entry.
    pub fn new(size: u64, uid: UniqueId) -> Self {
        Self { size, uid }
    }
}

/// The messages of a locked maildrop, in order: message `n` is entry
/// `n - 1` (RFC 1939 §5).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Maildrop {
    entries: Vec<MaildropEntry>,
}

impl Maildrop {
    /// A maildrop of these messages (at most `u32::MAX`; more are dropped,
    /// since no message number could name them).
    pub fn new(mut entries: Vec<MaildropEntry>) -> Self {
        entries.truncate(u32::MAX as usize);
        Self { entries }
    }

    /// The messages.
    pub fn entries(&self) -> &[MaildropEntry] {
        &self.entries
    }

    /// How many messages.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the maildrop is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Why a message number names no message the client may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Missing {
    NoSuchMessage,
    Deleted,
}

/// The maildrop during a session, with the deletion marks.
#[derive(Debug)]
pub(super) struct Session {
    maildrop: Maildrop,
    deleted: Vec<bool>,
}

impl Session {
    pub(super) fn new(maildrop: Maildrop) -> Self {
        let deleted = vec![false; maildrop.len()];
        Self { maildrop, deleted }
    }

    /// The entry for `msg`, unless it does not exist or is marked deleted
    /// (RFC 1939 §5: such messages may not be referred to).
    pub(super) fn get(&self, msg: MessageNumber) -> Result<&MaildropEntry, Missing> {
        let index = msg.index();
        match (self.maildrop.entries.get(index), self.deleted.get(index)) {
            (Some(_), Some(true)) => Err(Missing::Deleted),
            (Some(entry), _) => Ok(entry),
            (None, _) => Err(Missing::NoSuchMessage),
        }
    }

    /// Marks `msg` deleted.
    pub(super) fn delete(&mut self, msg: MessageNumber) -> Result<(), Missing> {
        self.get(msg)?;
        if let Some(mark) = self.deleted.get_mut(msg.index()) {
            *mark = true;
        }
        Ok(())
    }

    /// Unmarks every message (RSET).
    pub(super) fn reset(&mut self) {
        self.deleted.iter_mut().for_each(|d| *d = false);
    }

    fn live(&self) -> impl Iterator<Item = (MessageNumber, &MaildropEntry)> {
        self.maildrop
            .entries
            .iter()
            .zip(&self.deleted)
            .enumerate()
            .filter(|(_, (_, deleted))| !**deleted)
            .filter_map(|(i, (entry, _))| {
                let n = u32::try_from(i + 1).ok()?;
                Some((MessageNumber::new(n)?, entry))
            })
    }

    /// The drop listing: messages not marked deleted (RFC 1939 §5 STAT).
    pub(super) fn stat(&self) -> Stat {
        self.live()
            .fold(Stat { count: 0, size: 0 }, |acc, (_, e)| Stat {
                count: acc.count + 1,
                size: acc.size.saturating_add(e.size),
            })
    }

    pub(super) fn scan_listings(&self) -> impl Iterator<Item = ScanListing> + '_ {
        self.live()
            .map(|(msg, e)| ScanListing { msg, size: e.size })
    }

    pub(super) fn uid_listings(&self) -> impl Iterator<Item = UidListing> + '_ {
        self.live().map(|(msg, e)| UidListing {
            msg,
            uid: e.uid.clone(),
        })
    }

    /// The messages marked deleted, for the UPDATE state.
    pub(super) fn marked(&self) -> Vec<(MessageNumber, UniqueId)> {
        self.maildrop
            .entries
            .iter()
            .zip(&self.deleted)
            .enumerate()
            .filter(|(_, (_, deleted))| **deleted)
            .filter_map(|(i, (entry, _))| {
                let n = u32::try_from(i + 1).ok()?;
                Some((MessageNumber::new(n)?, entry.uid.clone()))
            })
            .collect()
    }
}
