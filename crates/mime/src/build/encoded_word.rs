//! Writing text into header fields: RFC 2047 encoded words only where
//! needed, for unstructured fields (Subject, RFC 5322 §3.2.5) and display
//! names (`phrase`, §3.2.5), or raw UTF-8 when the message goes out with
//! SMTPUTF8 (RFC 6532 §3.2).
//!
//! Every encoded word is at most 75 characters (RFC 2047 §2) and holds
//! whole characters only, so no UTF-8 sequence is split between words.

use super::fold::{Field, SOFT_LIMIT};

/// `=?utf-8?q?` and `?=`.
const OVERHEAD: usize = 12;

/// The longest encoded word (RFC 2047 §2).
const MAX_WORD: usize = 75;

/// Below this much room on a line, an encoded word starts a new line
/// (overhead plus the longest encoding of one character).
const MIN_ROOM: usize = OVERHEAD + 12;

/// Words of an unstructured value kept on the stack (more go to the heap).
const STACK_WORDS: usize = 16;

/// A literal whitespace run longer than this is carried inside encoded
/// words instead, so that folding never leaves an over-long line.
const MAX_LITERAL_SPACE: usize = 16;

/// Characters that stand for themselves in a "Q" encoded word anywhere,
/// phrases included (RFC 2047 §5 rule 3).
fn q_literal(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'!' | b'*' | b'+' | b'-' | b'/')
}

fn q_len(b: u8) -> usize {
    if q_literal(b) || b == b' ' { 1 } else { 3 }
}

fn push_q(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in bytes {
        if q_literal(b) {
            out.push(b);
        } else if b == b' ' {
            out.push(b'_');
        } else {
            out.extend_from_slice(&[b'=', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
    }
}

/// The length of the UTF-8 sequence that starts with `first`.
fn utf8_width(first: u8) -> usize {
    match first {
        0xf0.. => 4,
        0xe0.. => 3,
        0xc0.. => 2,
        _ => 1,
    }
}

/// Writes `text` as encoded words, the first after `ws`, the others after
/// one space (which decoders drop between encoded words, RFC 2047 §6.2).
/// "Q" when that is about as short as "B" or shorter (mostly Latin text,
/// which then stays readable), else "B".
pub(crate) fn write_encoded(field: &mut Field, ws: &str, text: &str) {
    let bytes = text.as_bytes();
    let q_cost: usize = bytes.iter().map(|&b| q_len(b)).sum();
    let use_q = q_cost * 4 <= bytes.len().div_ceil(3) * 4 * 5;
    let mut ws = ws;
    let mut pos = 0;
    while pos < bytes.len() {
        let room = field.room_after(ws);
        // Fill the current line, or, with too little room, a new one that
        // starts with `ws`.
        let budget = if room >= MIN_ROOM {
            room.min(MAX_WORD)
        } else {
            SOFT_LIMIT
                .saturating_sub(ws.len())
                .clamp(MIN_ROOM, MAX_WORD)
        } - OVERHEAD;
        let start = pos;
        let mut end = start;
        let mut used = 0usize;
        // Whole characters: a UTF-8 sequence's length from its first octet.
        while end < bytes.len() {
            let next_end = (end + utf8_width(bytes[end])).min(bytes.len());
            let cost = if use_q {
                used + bytes[end..next_end]
                    .iter()
                    .map(|&b| q_len(b))
                    .sum::<usize>()
            } else {
                (next_end - start).div_ceil(3) * 4
            };
            if cost > budget && end > start {
                break;
            }
            used = cost;
            end = next_end;
        }
        pos = end;
        let chunk = &bytes[start..end];
        // `used` is exactly the encoded length of the chunk.
        let len = if use_q {
            used
        } else {
            chunk.len().div_ceil(3) * 4
        };
        let out = field.open(ws, OVERHEAD + len);
        if use_q {
            out.extend_from_slice(b"=?utf-8?q?");
            push_q(out, chunk);
        } else {
            out.extend_from_slice(b"=?utf-8?b?");
            crate::build::transfer::push_base64(out, chunk);
        }
        out.extend_from_slice(b"?=");
        ws = " ";
    }
}

/// A character that may appear unencoded in a header word: printable
/// ASCII, or with `utf8` (RFC 6532 §3.2) any character but a control.
fn plain_char(c: char, utf8: bool) -> bool {
    c.is_ascii_graphic() || (utf8 && !c.is_ascii() && !c.is_control())
}

/// `atext` (RFC 5322 §3.2.3), with UTF-8 under RFC 6532 §3.2.
fn atext(c: char, utf8: bool) -> bool {
    c.is_ascii_alphanumeric()
        || "!#$%&'*+-/=?^_`{|}~".contains(c)
        || (utf8 && !c.is_ascii() && !c.is_control())
}

fn is_space(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Writes an unstructured value (Subject, comments, RFC 5322 §3.2.5):
/// words that are printable ASCII (or UTF-8 with `utf8`), short enough
/// for a line and free of `=?` stay as they are; runs of other words,
/// with the whitespace between them, become encoded words. Whitespace at
/// either end goes inside an encoded word, because readers trim the value.
/// The caller has refused CR, LF and NUL.
pub(crate) fn write_unstructured(field: &mut Field, text: &str, utf8: bool) {
    if text.is_empty() {
        return;
    }
    // (whitespace before, word) pairs, then the trailing whitespace: on
    // the stack for the usual few words.
    let mut stack = [("", ""); STACK_WORDS];
    let mut heap: Vec<(&str, &str)> = Vec::new();
    let mut n = 0;
    let mut rest = text;
    loop {
        let ws_end = rest.find(|c| !is_space(c)).unwrap_or(rest.len());
        let (ws, after) = rest.split_at(ws_end);
        if after.is_empty() {
            rest = ws;
            break;
        }
        let word_end = after.find(is_space).unwrap_or(after.len());
        let pair = (ws, &after[..word_end]);
        match stack.get_mut(n) {
            Some(slot) => *slot = pair,
            None => {
                if heap.is_empty() {
                    heap.extend_from_slice(&stack);
                }
                heap.push(pair);
            }
        }
        n += 1;
        rest = &after[word_end..];
    }
    let trailing = rest;
    if n == 0 {
        write_encoded(field, " ", text);
        return;
    }
    let words: &[(&str, &str)] = if n <= STACK_WORDS { &stack[..n] } else { &heap };
    let mut plain_stack = [false; STACK_WORDS];
    let mut plain_heap: Vec<bool> = Vec::new();
    let plain: &mut [bool] = if n <= STACK_WORDS {
        &mut plain_stack[..n]
    } else {
        plain_heap.resize(n, false);
        &mut plain_heap
    };
    for (p, (ws, w)) in plain.iter_mut().zip(words) {
        *p = w.chars().all(|c| plain_char(c, utf8))
            && !w.contains("=?")
            && ws.len().max(1) + w.len() <= SOFT_LIMIT;
    }
    if !words[0].0.is_empty() {
        plain[0] = false;
    }
    if !trailing.is_empty() {
        plain[n - 1] = false;
    }
    for i in 1..n {
        if words[i].0.len() > MAX_LITERAL_SPACE {
            plain[i - 1] = false;
            plain[i] = false;
        }
    }
    let mut i = 0;
    while i < n {
        let ws = if i == 0 { " " } else { words[i].0 };
        if plain[i] {
            field.word(ws, words[i].1);
            i += 1;
            continue;
        }
        let mut j = i;
        while j < n && !plain[j] {
            j += 1;
        }
        // The span from word i to word j-1, with the whitespace inside it.
        let start = if i == 0 {
            0
        } else {
            offset_of(text, words[i].1)
        };
        let last = words[j - 1].1;
        let end = if j == n {
            text.len()
        } else {
            offset_of(text, last) + last.len()
        };
        write_encoded(field, ws, &text[start..end]);
        i = j;
    }
}

/// The byte offset of `part`, a subslice of `whole`.
fn offset_of(whole: &str, part: &str) -> usize {
    part.as_ptr() as usize - whole.as_ptr() as usize
}

/// Writes a display name (`phrase`, RFC 5322 §3.2.5), already trimmed and
/// non-empty: as atoms when it is words of `atext` separated by single
/// spaces, else as one quoted string when it is printable and fits on a
/// line, else as encoded words (RFC 2047 §5 rule 3). Text containing `=?`
/// is always encoded, since readers decode encoded words even inside
/// quoted strings.
pub(crate) fn write_phrase(field: &mut Field, ws: &str, name: &str, utf8: bool) {
    let has_marker = name.contains("=?");
    if !has_marker
        && name
            .split(' ')
            .all(|w| !w.is_empty() && w.len() < SOFT_LIMIT && w.chars().all(|c| atext(c, utf8)))
    {
        let mut ws = ws;
        for w in name.split(' ') {
            field.word(ws, w);
            ws = " ";
        }
        return;
    }
    if !has_marker && name.chars().all(|c| c == ' ' || plain_char(c, utf8)) {
        let mut quoted = String::with_capacity(name.len() + 8);
        quoted.push('"');
        for c in name.chars() {
            if c == '"' || c == '\\' {
                quoted.push('\\');
            }
            quoted.push(c);
        }
        quoted.push('"');
        if quoted.len() < SOFT_LIMIT {
            field.word(ws, &quoted);
            return;
        }
    }
    write_encoded(field, ws, name);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoded_word::decode_encoded_words;

    fn unstructured(text: &str, utf8: bool) -> String {
        let mut out = Vec::new();
        let mut f = Field::new(&mut out, "Subject");
        write_unstructured(&mut f, text, utf8);
        assert!(f.finish());
        String::from_utf8(out).unwrap()
    }

    fn value_of(field: &str) -> String {
        let unfolded = field.trim_end_matches("\r\n").replace("\r\n", "");
        let value = unfolded.split_once(':').unwrap().1.trim();
        decode_encoded_words(value.as_bytes(), &mut Vec::new()).into_owned()
    }

    #[test]
    fn ascii_stays_plain_rfc5322_3_2_5() {
        assert_eq!(
            unstructured("Hello world", false),
            "Subject: Hello world\r\n"
        );
    }

    #[test]
    fn only_non_ascii_words_are_encoded_rfc2047_5() {
        let f = unstructured("Re: café au lait", false);
        assert_eq!(f, "Subject: Re: =?utf-8?q?caf=C3=A9?= au lait\r\n");
        assert_eq!(value_of(&f), "Re: café au lait");
        let f = unstructured("déjà vu", false);
        assert_eq!(f, "Subject: =?utf-8?b?ZMOpasOg?= vu\r\n");
        assert_eq!(value_of(&f), "déjà vu");
        let f = unstructured("über straße", false);
        assert_eq!(f, "Subject: =?utf-8?q?=C3=BCber_stra=C3=9Fe?=\r\n");
    }

    #[test]
    fn raw_utf8_only_when_allowed_rfc6532_3_2() {
        assert_eq!(unstructured("déjà vu", true), "Subject: déjà vu\r\n");
    }

    #[test]
    fn edges_and_markers_survive() {
        for text in [
            " lead",
            "trail ",
            "   ",
            "a  b",
            "=?utf-8?q?x?=",
            "tab\there",
            "ctl\u{1}x",
            "a                          b",
        ] {
            assert_eq!(value_of(&unstructured(text, false)), text, "{text:?}");
        }
    }

    #[test]
    fn long_text_makes_short_words_and_lines_rfc2047_2() {
        let text = "日本語のテキスト".repeat(20);
        let f = unstructured(&text, false);
        for line in f.split_terminator("\r\n") {
            assert!(line.len() <= SOFT_LIMIT, "{line:?}");
            for word in line.split(' ').filter(|w| w.starts_with("=?")) {
                assert!(word.len() <= MAX_WORD, "{word:?}");
                let mut d = Vec::new();
                let one = decode_encoded_words(word.as_bytes(), &mut d);
                assert!(d.is_empty() && !one.contains('\u{fffd}'), "{word:?}");
            }
        }
        assert_eq!(value_of(&f), text);
    }

    #[test]
    fn phrase_forms_rfc5322_3_2_5() {
        let phrase = |name: &str| {
            let mut out = Vec::new();
            let mut f = Field::new(&mut out, "From");
            write_phrase(&mut f, " ", name, false);
            assert!(f.finish());
            String::from_utf8(out).unwrap()
        };
        assert_eq!(phrase("John Doe"), "From: John Doe\r\n");
        assert_eq!(phrase("Joe Q. Public"), "From: \"Joe Q. Public\"\r\n");
        assert_eq!(phrase("a \"b\" \\c"), "From: \"a \\\"b\\\" \\\\c\"\r\n");
        assert_eq!(phrase("Jörg"), "From: =?utf-8?q?J=C3=B6rg?=\r\n");
    }
}
