//! The transmits taken from the machine and not yet written.

use std::collections::VecDeque;
use std::io::IoSlice;

use bytes::{Buf, Bytes};
use postwire_core::Transmit;

/// The most slices one vectored write gathers.
pub(crate) const MAX_SLICES: usize = 16;

enum Item {
    Data { bytes: Bytes, reactive: bool },
    StartTls,
    Close,
}

/// A FIFO of transmits with byte counts.
///
/// `reactive` marks output the machine produced while handling the peer's
/// input or a timeout (replies); its total bounds reading (see
/// `Config::output_backlog_limit`). Output the application queued through a
/// verb is not reactive.
#[derive(Default)]
pub(crate) struct OutQueue {
    items: VecDeque<Item>,
    bytes: usize,
    reactive: usize,
    starttls: usize,
    close: bool,
    partial: bool,
}

/// What sits at the head of the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Head {
    Empty,
    Data,
    StartTls,
    Close,
}

impl OutQueue {
    pub(crate) fn push(&mut self, transmit: Transmit, reactive: bool) {
        if self.close {
            // Nothing goes out after Close.
            return;
        }
        match transmit {
            Transmit::Data(bytes) => {
                if bytes.is_empty() {
                    return;
                }
                self.bytes += bytes.len();
                if reactive {
                    self.reactive += bytes.len();
                }
                self.items.push_back(Item::Data { bytes, reactive });
            }
            Transmit::StartTls => {
                self.starttls += 1;
                self.items.push_back(Item::StartTls);
            }
            Transmit::Close => {
                self.close = true;
                self.items.push_back(Item::Close);
            }
        }
    }

    pub(crate) fn head(&self) -> Head {
        match self.items.front() {
            None => Head::Empty,
            Some(Item::Data { .. }) => Head::Data,
            Some(Item::StartTls) => Head::StartTls,
            Some(Item::Close) => Head::Close,
        }
    }

    /// The bytes of the head item, if it is data.
    pub(crate) fn front_data(&self) -> Option<&[u8]> {
        match self.items.front() {
            Some(Item::Data { bytes, .. }) => Some(bytes),
            _ => None,
        }
    }

    /// Fills `slices` with the leading data items; returns how many.
    pub(crate) fn slices<'a>(&'a self, slices: &mut [IoSlice<'a>; MAX_SLICES]) -> usize {
        let mut n = 0;
        for item in &self.items {
            match item {
                Item::Data { bytes, .. } if n < MAX_SLICES => {
                    slices[n] = IoSlice::new(bytes);
                    n += 1;
                }
                _ => break,
            }
        }
        n
    }

    /// Marks `n` bytes of the leading data items as written.
    pub(crate) fn advance(&mut self, mut n: usize) {
        while n > 0 {
            let Some(Item::Data { bytes, reactive }) = self.items.front_mut() else {
                return;
            };
            let take = n.min(bytes.len());
            bytes.advance(take);
            self.bytes -= take;
            if *reactive {
                self.reactive -= take;
            }
            n -= take;
            if bytes.is_empty() {
                self.items.pop_front();
                self.partial = false;
            } else {
                self.partial = true;
            }
        }
    }

    /// Removes a control item (StartTls or Close) from the head.
    pub(crate) fn pop_control(&mut self) {
        match self.items.front() {
            Some(Item::StartTls) => {
                self.starttls -= 1;
                self.items.pop_front();
            }
            Some(Item::Close) => {
                self.items.pop_front();
            }
            _ => {}
        }
    }

    /// Drops everything (the connection is closed).
    pub(crate) fn clear(&mut self) {
        let close = self.close;
        *self = Self::default();
        self.close = close;
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    pub(crate) fn reactive_bytes(&self) -> usize {
        self.reactive
    }

    pub(crate) fn has_starttls(&self) -> bool {
        self.starttls > 0
    }

    pub(crate) fn has_close(&self) -> bool {
        self.close
    }

    /// Whether the head item was written in part.
    pub(crate) fn is_partial(&self) -> bool {
        self.partial
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_reactive_bytes_and_advances_across_items() {
        let mut q = OutQueue::default();
        q.push(Transmit::Data(Bytes::from_static(b"abc")), false);
        q.push(Transmit::Data(Bytes::from_static(b"defg")), true);
        q.push(Transmit::StartTls, true);
        assert_eq!((q.bytes(), q.reactive_bytes()), (7, 4));
        let mut slices = [IoSlice::new(&[]); MAX_SLICES];
        assert_eq!(q.slices(&mut slices), 2);
        q.advance(5);
        assert!(q.is_partial());
        assert_eq!(q.front_data(), Some(&b"fg"[..]));
        assert_eq!((q.bytes(), q.reactive_bytes()), (2, 2));
        q.advance(2);
        assert_eq!(q.head(), Head::StartTls);
        assert!(q.has_starttls());
        q.pop_control();
        assert!(q.is_empty() && !q.has_starttls());
    }

    #[test]
    fn nothing_is_queued_after_close() {
        let mut q = OutQueue::default();
        q.push(Transmit::Close, false);
        q.push(Transmit::Data(Bytes::from_static(b"late")), false);
        assert_eq!(q.bytes(), 0);
        q.pop_control();
        assert!(q.is_empty() && q.has_close());
    }
}
