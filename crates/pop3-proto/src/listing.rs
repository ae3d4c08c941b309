//! The typed contents of STAT, LIST and UIDL answers (RFC 1939 §5, §7).

use bytes::{BufMut, BytesMut};

use crate::types::{parse_u32, parse_u64};
use crate::{MessageNumber, ParseError, ParseErrorKind, UniqueId};

/// The drop listing of STAT: `count SP size` (RFC 1939 §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Stat {
    /// Messages in the maildrop, not counting those marked deleted.
    pub count: u32,
    /// Their total size in octets.
    pub size: u64,
}

/// One scan listing of LIST: `msg SP size` (RFC 1939 §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ScanListing {
    /// The message.
    pub msg: MessageNumber,
    /// Its exact size in octets (as the server counts them, with CRLF).
    pub size: u64,
}

/// One unique-id listing of UIDL: `msg SP unique-id` (RFC 1939 §7).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UidListing {
    /// The message.
    pub msg: MessageNumber,
    /// Its unique-id, stable across sessions.
    pub uid: UniqueId,
}

/// The first two space-separated words; RFC 1939 §5 lets a server add
/// more information after them, which is ignored.
fn two_words(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut words = line.split(|&b| b == b' ').filter(|w| !w.is_empty());
    Some((words.next()?, words.next()?))
}

impl Stat {
    /// Parses the text of a `+OK` answer to STAT: `nn mm`.
    pub fn parse(text: &[u8]) -> Result<Self, ParseError> {
        let (count, size) = two_words(text).ok_or(ParseErrorKind::Listing)?;
        Ok(Self {
            count: parse_u32(count).ok_or(ParseErrorKind::Listing)?,
            size: parse_u64(size).ok_or(ParseErrorKind::Listing)?,
        })
    }
}

impl ScanListing {
    /// Parses `msg SP size` (a line of the multi-line LIST answer, or the
    /// text of the `+OK` answer to `LIST msg`).
    pub fn parse(text: &[u8]) -> Result<Self, ParseError> {
        let (msg, size) = two_words(text).ok_or(ParseErrorKind::Listing)?;
        Ok(Self {
            msg: MessageNumber::parse(msg).map_err(|_| ParseErrorKind::Listing)?,
            size: parse_u64(size).ok_or(ParseErrorKind::Listing)?,
        })
    }

    /// Appends `msg SP size` without line ending.
    pub fn encode(&self, out: &mut BytesMut) {
        out.put_slice(format!("{} {}", self.msg, self.size).as_bytes());
    }
}

impl UidListing {
    /// Parses `msg SP unique-id`.
    pub fn parse(text: &[u8]) -> Result<Self, ParseError> {
        let (msg, uid) = two_words(text).ok_or(ParseErrorKind::Listing)?;
        Ok(Self {
            msg: MessageNumber::parse(msg).map_err(|_| ParseErrorKind::Listing)?,
            uid: UniqueId::parse(uid)?,
        })
    }

    /// Appends `msg SP unique-id` without line ending.
    pub fn encode(&self, out: &mut BytesMut) {
        out.put_slice(self.msg.to_string().as_bytes());
        out.put_u8(b' ');
        out.put_slice(self.uid.as_str().as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listings_rfc1939_5_and_7() {
        assert_eq!(
            Stat::parse(b"2 320").unwrap(),
            Stat {
                count: 2,
                size: 320
            }
        );
        assert_eq!(Stat::parse(b"0 0 extra words").unwrap().count, 0);
        let l = ScanListing::parse(b"1 120").unwrap();
        assert_eq!((l.msg.get(), l.size), (1, 120));
        let u = UidListing::parse(b"2 QhdPYR:00WBw1Ph7x7").unwrap();
        assert_eq!(u.uid.as_str(), "QhdPYR:00WBw1Ph7x7");
        for bad in [&b""[..], b"1", b"x 1", b"0 1", b"1 -1"] {
            assert!(ScanListing::parse(bad).is_err(), "{bad:?}");
            assert!(Stat::parse(bad).is_err() || bad == b"0 1", "{bad:?}");
        }
        assert!(UidListing::parse(b"1 \x7f").is_err());
        let mut out = BytesMut::new();
        u.encode(&mut out);
        assert_eq!(&out[..], b"2 QhdPYR:00WBw1Ph7x7");
    }
}
