//! Shared pieces of the nom grammar: the result type, character classes of
//! RFC 5321 §4.1.2 / RFC 5322 §3.2.3 (extended by RFC 6531 §3.3 with
//! `UTF8-non-ascii`), and the convention for errors.
//!
//! The rules take `&str`: a command line is checked for UTF-8 once, and every
//! rule splits it only at ASCII bytes, so no part is validated twice. The
//! rules that run on every command (domain, local part, parameters) are
//! hand-written byte loops with the signature of a nom parser, so they
//! compose with nom's combinators and cost no more than a loop.
//!
//! Convention: a rule that merely does not match returns `nom::Err::Error`
//! (so `alt` may try the next branch); a rule that knows exactly what is
//! wrong (a length limit, bad xtext) returns `nom::Err::Failure` with that
//! kind, which [`finish`] passes through unchanged.

use crate::{ParseError, ParseErrorKind};

/// The result of a command grammar rule: input is one complete line or a
/// part of it.
pub(crate) type PResult<'a, O> = nom::IResult<&'a str, O, ParseError>;

/// A hard failure of this kind (not retried by `alt`).
pub(crate) fn failure(kind: ParseErrorKind) -> nom::Err<ParseError> {
    nom::Err::Failure(ParseError::new(kind))
}

/// A soft error of this kind (`alt` may try another branch).
pub(crate) fn error(kind: ParseErrorKind) -> nom::Err<ParseError> {
    nom::Err::Error(ParseError::new(kind))
}

/// Runs a rule over the whole input: leftover input or a soft error becomes
/// `kind`; a hard failure keeps its own kind.
pub(crate) fn finish<'a, O>(
    input: &'a str,
    mut rule: impl FnMut(&'a str) -> PResult<'a, O>,
    kind: ParseErrorKind,
) -> Result<O, ParseError> {
    match rule(input) {
        Ok(("", out)) => Ok(out),
        Ok(_) | Err(nom::Err::Error(_)) | Err(nom::Err::Incomplete(_)) => {
            Err(ParseError::new(kind))
        }
        Err(nom::Err::Failure(e)) => Err(e),
    }
}

/// Bytes as `&str`, or a `Utf8` error.
pub(crate) fn utf8(bytes: &[u8]) -> Result<&str, ParseError> {
    std::str::from_utf8(bytes).map_err(|_| ParseError::new(ParseErrorKind::Utf8))
}

/// Splits `input` after its longest prefix of bytes that satisfy `pred`:
/// `(rest, taken)`, like nom's `take_while`. The predicate either accepts
/// every byte >= 0x80 or none, so the split is always at a character
/// boundary; were it not, nothing would be taken.
#[inline]
pub(crate) fn take_bytes(input: &str, pred: impl Fn(u8) -> bool) -> (&str, &str) {
    let n = input.bytes().position(|b| !pred(b)).unwrap_or(input.len());
    match input.split_at_checked(n) {
        Some((taken, rest)) => (rest, taken),
        None => (input, ""),
    }
}

/// `take_bytes` that must take at least one byte (nom's `take_while1`).
#[inline]
pub(crate) fn take_bytes1(input: &str, pred: impl Fn(u8) -> bool) -> PResult<'_, &str> {
    match take_bytes(input, pred) {
        (_, "") => Err(error(ParseErrorKind::Syntax)),
        ok => Ok(ok),
    }
}

/// The part of `input` before its suffix `rest` (which a rule left).
#[inline]
pub(crate) fn consumed<'a>(input: &'a str, rest: &str) -> &'a str {
    input
        .get(..input.len().saturating_sub(rest.len()))
        .unwrap_or("")
}

/// `input` without its first byte `b`, if it starts with it.
#[inline]
pub(crate) fn byte(input: &str, b: u8) -> Option<&str> {
    if input.as_bytes().first() == Some(&b) {
        input.get(1..)
    } else {
        None
    }
}

/// `input` without an ASCII `prefix` matched case-insensitively, as nom's
/// `tag_no_case`; slices only after a match.
#[inline]
pub(crate) fn strip_prefix_ignore_case<'a>(input: &'a str, prefix: &str) -> Option<&'a str> {
    let head = input.as_bytes().get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix.as_bytes()) {
        input.get(prefix.len()..)
    } else {
        None
    }
}

// Character classes as bits of one 256-entry table, so that the scanning
// loops cost one load and one test per byte.
const LET_DIG: u8 = 1;
const LDH_U: u8 = 2;
const ATEXT: u8 = 4;
const QTEXT_SMTP: u8 = 8;
const ESMTP_VALUE: u8 = 16;
const ATEXT_ASCII: u8 = 32;
const LDH_ASCII: u8 = 64;

/// The class bits of each byte value.
static CLASS: [u8; 256] = classes();

const fn classes() -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let mut bits = 0;
        let non_ascii = b >= 0x80;
        if b.is_ascii_alphanumeric() {
            bits |= LET_DIG | LDH_U | ATEXT;
        }
        if b == b'-' || non_ascii {
            bits |= LDH_U;
        }
        if non_ascii
            || matches!(
                b,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'/'
                    | b'='
                    | b'?'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'{'
                    | b'|'
                    | b'}'
                    | b'~'
            )
        {
            bits |= ATEXT;
        }
        if non_ascii || matches!(b, 32..=33 | 35..=91 | 93..=126) {
            bits |= QTEXT_SMTP;
        }
        if non_ascii || matches!(b, 33..=60 | 62..=126) {
            bits |= ESMTP_VALUE;
        }
        if !non_ascii && bits & ATEXT != 0 {
            bits |= ATEXT_ASCII;
        }
        if b.is_ascii_alphanumeric() || b == b'-' {
            bits |= LDH_ASCII;
        }

        table[i] = bits;
        i += 1;
    }
    table
}

/// `Let-dig = ALPHA / DIGIT` (RFC 5321 §4.1.2).
#[inline]
pub(crate) fn is_let_dig(b: u8) -> bool {
    CLASS[usize::from(b)] & LET_DIG != 0
}

/// `ALPHA / DIGIT / "-"` of `Ldh-str` (RFC 5321 §4.1.2) and the bytes of
/// a U-label (RFC 6531 §3.3): the bytes of a `sub-domain`.
#[inline]
pub(crate) fn is_sub_domain_byte(b: u8) -> bool {
    CLASS[usize::from(b)] & LDH_U != 0
}

/// `atext` (RFC 5322 §3.2.3) plus `UTF8-non-ascii` (RFC 6531 §3.3):
/// `ALPHA / DIGIT / "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" /
/// "/" / "=" / "?" / "^" / "_" / "`" / "{" / "|" / "}" / "~"`. Every byte
/// of a non-ASCII UTF-8 character is >= 0x80; callers check UTF-8 validity.
#[inline]
pub(crate) fn is_atext(b: u8) -> bool {
    CLASS[usize::from(b)] & ATEXT != 0
}

/// `qtextSMTP = %d32-33 / %d35-91 / %d93-126` (RFC 5321 §4.1.2) plus
/// `UTF8-non-ascii` (RFC 6531 §3.3).
#[inline]
pub(crate) fn is_qtext_smtp(b: u8) -> bool {
    CLASS[usize::from(b)] & QTEXT_SMTP != 0
}

/// `esmtp-value = 1*(%d33-60 / %d62-126)` (RFC 5321 §4.1.2) plus
/// `UTF8-non-ascii` (RFC 6531 §3.3).
#[inline]
pub(crate) fn is_esmtp_value_char(b: u8) -> bool {
    CLASS[usize::from(b)] & ESMTP_VALUE != 0
}

/// `ALPHA / DIGIT / "-"`: the bytes of an ASCII `sub-domain`, and of an
/// `esmtp-keyword`.
#[inline]
pub(crate) fn is_ascii_ldh(b: u8) -> bool {
    CLASS[usize::from(b)] & LDH_ASCII != 0
}

/// `atext` without `UTF8-non-ascii`: the bytes of an ASCII `Atom`.
#[inline]
pub(crate) fn is_ascii_atext(b: u8) -> bool {
    CLASS[usize::from(b)] & ATEXT_ASCII != 0
}

/// `input == word`, ASCII letters compared case-insensitively, everything
/// else exactly: what `eq_ignore_ascii_case` does, written so that with a
/// constant `word` it compiles to a few wide compares instead of a loop
/// (it runs for every keyword of every MAIL and RCPT). `word` is given in
/// lowercase.
#[inline(always)]
pub(crate) fn eq_ignore_case<const N: usize>(input: &[u8], word: &[u8; N]) -> bool {
    const { assert!(N <= 16) };
    if input.len() != N {
        return false;
    }
    let (mut bytes, mut want, mut fold) = ([0u8; 16], [0u8; 16], [0u8; 16]);
    for i in 0..N {
        bytes[i] = input[i];
        want[i] = word[i];
        // `| 0x20` maps exactly the two cases of a letter onto its lower case.
        fold[i] = if word[i].is_ascii_lowercase() {
            0x20
        } else {
            0
        };
    }
    u128::from_le_bytes(bytes) | u128::from_le_bytes(fold) == u128::from_le_bytes(want)
}

/// `input` without a prefix equal to `word` as in [`eq_ignore_case`].
#[inline(always)]
pub(crate) fn strip_prefix_ignore_case_bytes<'a, const N: usize>(
    input: &'a [u8],
    word: &[u8; N],
) -> Option<&'a [u8]> {
    let (head, rest) = input.split_at_checked(N)?;
    eq_ignore_case(head, word).then_some(rest)
}

/// Parses `1*20DIGIT` as u64 (the longest u64 has 20 digits); anything else,
/// including overflow, is `None`.
pub(crate) fn parse_u64(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 20 {
        return None;
    }
    let mut n: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(n)
}
