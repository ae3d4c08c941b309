//! RFC 2047 encoded words (`=?charset?B|Q?text?=`), with the RFC 2231 §5
//! `charset*lang` form. Callers decode them only after a structured header
//! has been split into its parts, so an encoded `,` or `<` never changes
//! the structure (RFC 2047 §5).

use std::borrow::Cow;

use memchr::memmem;

use crate::Defect;
use crate::charset::decode_charset;
use crate::decode::decode_base64;
use crate::defect::push_once;

/// The answer of a forward search, kept: positions only grow, so every
/// byte is scanned once and a header full of unterminated `=?` stays
/// linear. A search from `at` reuses the last answer when that search
/// started at or before `at` and found nothing, or something at or after `at`.
#[derive(Default)]
struct NextCache {
    from: usize,
    found: Option<Option<usize>>,
}

impl NextCache {
    fn find(&mut self, at: usize, search: impl FnOnce() -> Option<usize>) -> Option<usize> {
        if let Some(cached) = self.found
            && self.from <= at
        {
            match cached {
                None => return None,
                Some(p) if p >= at => return Some(p),
                Some(_) => {}
            }
        }
        let r = search().map(|p| p + at);
        self.from = at;
        self.found = Some(r);
        r
    }
}

/// Finds the first occurrence of a needle at or after a position ([`NextCache`]).
struct NextFinder<'n> {
    needle: &'n [u8],
    cache: NextCache,
}

impl<'n> NextFinder<'n> {
    fn new(needle: &'n [u8]) -> Self {
        NextFinder {
            needle,
            cache: NextCache::default(),
        }
    }

    fn find(&mut self, hay: &[u8], at: usize) -> Option<usize> {
        let needle = self.needle;
        self.cache.find(at, || match *needle {
            [a] => memchr::memchr(a, &hay[at..]),
            [a, b] => find_pair(&hay[at..], a, b),
            _ => memmem::find(&hay[at..], needle),
        })
    }
}

/// The first `a` immediately followed by `b`: a two-byte search without
/// building a substring searcher (which `memmem::find` does for every
/// haystack of 64 bytes or more, and which costs more than the search on
/// a header value). Linear: each `a` is looked at once.
pub(crate) fn find_pair(hay: &[u8], a: u8, b: u8) -> Option<usize> {
    let mut at = 0;
    while let Some(i) = memchr::memchr(a, &hay[at..]) {
        let p = at + i;
        if hay.get(p + 1) == Some(&b) {
            return Some(p);
        }
        at = p + 1;
    }
    None
}

/// Finds the next whitespace byte at or after a position ([`NextCache`]).
#[derive(Default)]
struct NextSpace(NextCache);

impl NextSpace {
    fn find(&mut self, hay: &[u8], at: usize) -> Option<usize> {
        self.0.find(at, || {
            hay[at..]
                .iter()
                .position(|&b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        })
    }
}

/// One parsed encoded word.
struct Word<'a> {
    end: usize,
    charset: &'a [u8],
    bytes: Vec<u8>,
}

fn parse_word<'a>(
    input: &'a [u8],
    start: usize,
    term: &mut NextFinder<'_>,
    space: &mut NextSpace,
    defects: &mut Vec<Defect>,
) -> Option<Word<'a>> {
    // "=?" charset "?" encoding "?" encoded-text "?="  (RFC 2047 §2)
    let cs_start = start + 2;
    let window = &input[cs_start..input.len().min(cs_start + 80)];
    let q1 = cs_start + memchr::memchr(b'?', window)?;
    let charset_full = &input[cs_start..q1];
    if charset_full.is_empty() || charset_full.iter().any(|b| b.is_ascii_whitespace()) {
        return None;
    }
    let enc = *input.get(q1 + 1)?;
    if input.get(q1 + 2) != Some(&b'?') {
        return None;
    }
    let text_start = q1 + 3;
    let end = term.find(input, text_start)?;
    if let Some(ws) = space.find(input, text_start)
        && ws < end
    {
        return None;
    }
    let text = &input[text_start..end];
    // RFC 2231 §5: charset*language.
    let charset = charset_full
        .split(|&b| b == b'*')
        .next()
        .unwrap_or(charset_full);
    let bytes = match enc {
        b'B' | b'b' => decode_base64(text, defects),
        b'Q' | b'q' => decode_q(text),
        _ => {
            push_once(defects, Defect::InvalidEncodedWord);
            return None;
        }
    };
    Some(Word {
        end: end + 2,
        charset,
        bytes,
    })
}

/// The "Q" encoding (RFC 2047 §4.2): `_` is a space, `=XX` a byte; a bad
/// escape is kept literally.
fn decode_q(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        match b {
            b'_' => out.push(b' '),
            b'=' => {
                let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
                if let (Some(h), Some(l)) = (
                    text.get(i + 1).and_then(|&c| hex(c)),
                    text.get(i + 2).and_then(|&c| hex(c)),
                ) {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                out.push(b'=');
            }
            _ => out.push(b),
        }
        i += 1;
    }
    out
}

/// Raw header text (RFC 6532: UTF-8; anything else is read as windows-1252).
pub(crate) fn raw_text(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
        }
    }
}

/// Decodes every encoded word in `text` (RFC 2047 §6.1), joining adjacent
/// encoded words without the whitespace between them (§6.2) and their
/// bytes before charset decoding when they share a charset (so a multibyte
/// character split across two words survives). Text that is not an
/// encoded word is taken as UTF-8 (RFC 6532). Borrows when there is
/// nothing to decode. Linear in the input.
pub fn decode_encoded_words<'a>(text: &'a [u8], defects: &mut Vec<Defect>) -> Cow<'a, str> {
    let Some(first) = find_pair(text, b'=', b'?') else {
        return raw_text(text);
    };
    let mut out = String::with_capacity(text.len());
    let mut pending: Option<(&[u8], Vec<u8>)> = None;
    let mut term = NextFinder::new(b"?=");
    let mut space = NextSpace::default();
    let mut starts = NextFinder::new(b"=?");
    let mut literal_from = 0;
    let mut search = first;
    let flush =
        |out: &mut String, pending: &mut Option<(&[u8], Vec<u8>)>, defects: &mut Vec<Defect>| {
            if let Some((cs, bytes)) = pending.take() {
                out.push_str(&decode_charset(cs, &bytes, defects));
            }
        };
    while let Some(s) = starts.find(text, search) {
        match parse_word(text, s, &mut term, &mut space, defects) {
            None => {
                search = s + 1;
            }
            Some(word) => {
                let gap = &text[literal_from..s];
                let joins = pending.is_some() && gap.iter().all(|b| b.is_ascii_whitespace());
                if !joins {
                    flush(&mut out, &mut pending, defects);
                    out.push_str(&raw_text(gap));
                }
                match &mut pending {
                    Some((cs, bytes)) if cs.eq_ignore_ascii_case(word.charset) => {
                        bytes.extend_from_slice(&word.bytes);
                    }
                    _ => {
                        flush(&mut out, &mut pending, defects);
                        pending = Some((word.charset, word.bytes));
                    }
                }
                literal_from = word.end;
                search = word.end;
            }
        }
        if search >= text.len() {
            break;
        }
    }
    flush(&mut out, &mut pending, defects);
    out.push_str(&raw_text(&text[literal_from..]));
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> String {
        let mut d = Vec::new();
        decode_encoded_words(s.as_bytes(), &mut d).into_owned()
    }

    #[test]
    fn find_pair_finds_the_first_two_byte_needle() {
        let long = [&b"x"[..]; 70].concat();
        let long_hit = [&long[..], b"=?"].concat();
        for hay in [
            &b""[..],
            b"=",
            b"?",
            b"a=b?c",
            b"==?",
            b"=?=?",
            b"x=?",
            b"?=?=",
            b"abc=?",
            &long,
            &long_hit,
        ] {
            assert_eq!(find_pair(hay, b'=', b'?'), memmem::find(hay, b"=?"));
            assert_eq!(find_pair(hay, b'?', b'='), memmem::find(hay, b"?="));
        }
    }

    /// RFC 2047 §8 "Examples", the display table of encoded-word spacing.
    #[test]
    fn rfc2047_section_8_examples() {
        let cases = [
            ("(=?ISO-8859-1?Q?a?=)", "(a)"),
            ("(=?ISO-8859-1?Q?a?= b)", "(a b)"),
            ("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)"),
            ("(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)"),
            ("(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)", "(ab)"),
            ("(=?ISO-8859-1?Q?a_b?=)", "(a b)"),
            ("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)"),
            ("=?US-ASCII?Q?Keith_Moore?=", "Keith Moore"),
            (
                "=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?=",
                "Keld Jørn Simonsen",
            ),
            ("=?ISO-8859-1?Q?Andr=E9?= Pirard", "André Pirard"),
            (
                "=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r\n =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=",
                "If you can read this you understand the example.",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(dec(input), want, "{input:?}");
        }
    }

    #[test]
    fn language_suffix_rfc2231_5() {
        assert_eq!(dec("=?US-ASCII*EN?Q?Keith_Moore?="), "Keith Moore");
    }

    #[test]
    fn split_multibyte_character_across_words_joins_bytes() {
        // "é" = C3 A9 split over two words.
        assert_eq!(dec("=?utf-8?q?caf=C3?= =?utf-8?q?=A9?="), "café");
    }

    #[test]
    fn malformed_words_stay_literal() {
        assert_eq!(dec("=?utf-8?x?abc?="), "=?utf-8?x?abc?=");
        assert_eq!(dec("=?utf-8?q?no end"), "=?utf-8?q?no end");
        assert_eq!(dec("a =? b ?= c"), "a =? b ?= c");
        assert_eq!(dec("=?utf-8?q?a b?="), "=?utf-8?q?a b?=");
        let mut d = Vec::new();
        decode_encoded_words(b"=?utf-8?x?abc?=", &mut d);
        assert_eq!(d, [Defect::InvalidEncodedWord]);
    }

    #[test]
    fn plain_text_is_borrowed() {
        let mut d = Vec::new();
        assert!(matches!(
            decode_encoded_words(b"hello", &mut d),
            Cow::Borrowed("hello")
        ));
    }

    #[test]
    fn words_glued_to_text_are_decoded() {
        assert_eq!(dec("Re:=?utf-8?b?w6k=?="), "Re:é");
    }
}
