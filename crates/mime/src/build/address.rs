//! Checking and writing mailboxes (RFC 5322 §3.4): `addr-spec` syntax,
//! RFC 5321 length limits, and whether an address needs SMTPUTF8
//! (RFC 6531: a UTF-8 local part or domain).

use std::borrow::Cow;

use super::encoded_word::write_phrase;
use super::error::BuildError;
use super::fold::Field;
use crate::Mailbox;

/// A mailbox that passed the checks, borrowing from the caller's.
#[derive(Debug, Clone)]
pub(crate) struct CheckedMailbox<'a> {
    /// The display name, trimmed; `None` when empty.
    pub(crate) name: Option<&'a str>,
    /// The address, with a quoted local part in canonical form.
    pub(crate) address: Cow<'a, str>,
    /// The address holds UTF-8: the message needs SMTPUTF8.
    pub(crate) utf8: bool,
}

/// `atext` (RFC 5322 §3.2.3) for ASCII, one flag per octet.
const ATEXT: [bool; 128] = {
    let mut t = [false; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || {
            let specials = b"!#$%&'*+-/=?^_`{|}~";
            let mut k = 0;
            let mut found = false;
            while k < specials.len() {
                found |= specials[k] == c;
                k += 1;
            }
            found
        };
        b += 1;
    }
    t
};

/// `atext` (RFC 5322 §3.2.3), UTF-8 allowed (RFC 6532 §3.2).
fn atext(c: char) -> bool {
    match u8::try_from(c) {
        Ok(b) if b < 128 => ATEXT[usize::from(b)],
        _ => !c.is_control(),
    }
}

/// `dot-atom-text` (RFC 5322 §3.2.3): ASCII octet by octet, else by
/// character.
fn dot_atom(s: &str) -> bool {
    if s.is_ascii() {
        let b = s.as_bytes();
        return b.first().is_some_and(|&c| c != b'.')
            && b.last().is_some_and(|&c| c != b'.')
            && !b.windows(2).any(|w| w == b"..")
            && b.iter().all(|&c| c == b'.' || ATEXT[usize::from(c & 0x7f)]);
    }
    !s.is_empty() && s.split('.').all(|a| !a.is_empty() && a.chars().all(atext))
}

/// The local part: a dot-atom, or a quoted string rewritten with only
/// `"` and `\` escaped (RFC 5322 §3.4.1, §3.2.4).
fn local_part(s: &str) -> Option<Cow<'_, str>> {
    if dot_atom(s) {
        return Some(Cow::Borrowed(s));
    }
    let inner = s.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(s.len());
    out.push('"');
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        let c = match c {
            '\\' => chars.next()?,
            '"' => return None,
            c => c,
        };
        if c.is_control() {
            return None;
        }
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    Some(Cow::Owned(out))
}

/// The domain: host name labels (letters, digits, hyphens, or UTF-8 for
/// an internationalized name), or a domain literal (RFC 5322 §3.4.1).
fn domain(s: &str) -> bool {
    if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return !inner.is_empty()
            && inner
                .bytes()
                .all(|b| (33..=126).contains(&b) && !matches!(b, b'[' | b']' | b'\\'));
    }
    if s.is_ascii() {
        let b = s.as_bytes();
        return s.len() <= 255
            && b.split(|&c| c == b'.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label.first() != Some(&b'-')
                    && label.last() != Some(&b'-')
                    && label
                        .iter()
                        .all(|&c| c.is_ascii_alphanumeric() || c == b'-')
            });
    }
    s.len() <= 255
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| {
                    c.is_ascii_alphanumeric() || c == '-' || (!c.is_ascii() && !c.is_control())
                })
        })
}

/// Checks an `addr-spec`; returns it in canonical form (borrowed when it
/// already is).
pub(crate) fn check_address(address: &str) -> Option<Cow<'_, str>> {
    let (local, dom) = address.rsplit_once('@')?;
    let local = local_part(local)?;
    // RFC 5321 §4.5.3.1.1 (local part), §4.5.3.1.3 (path, with the brackets).
    if local.len() > 64 || !domain(dom) || local.len() + 1 + dom.len() > 254 {
        return None;
    }
    Some(match local {
        Cow::Borrowed(_) => Cow::Borrowed(address),
        Cow::Owned(local) => {
            let mut out = String::with_capacity(local.len() + 1 + dom.len());
            out.push_str(&local);
            out.push('@');
            out.push_str(dom);
            Cow::Owned(out)
        }
    })
}

/// Checks a mailbox for the header field `field`.
pub(crate) fn check_mailbox<'a>(
    m: &'a Mailbox,
    field: &'static str,
) -> Result<CheckedMailbox<'a>, BuildError> {
    // Checked before trimming: a line break anywhere is refused.
    let name = m.name.as_deref().unwrap_or("");
    if name.contains(['\r', '\n']) {
        return Err(BuildError::LineBreak(field.to_owned()));
    }
    if name.contains('\0') {
        return Err(BuildError::Nul(field.to_owned()));
    }
    let name = name.trim();
    let address = check_address(&m.address).ok_or(BuildError::InvalidAddress(field))?;
    Ok(CheckedMailbox {
        name: (!name.is_empty()).then_some(name),
        utf8: !address.is_ascii(),
        address,
    })
}

/// Writes a mailbox list (RFC 5322 §3.4): `Name <addr>, addr, ...`.
pub(crate) fn write_mailboxes(field: &mut Field, list: &[CheckedMailbox], utf8: bool) {
    for (k, m) in list.iter().enumerate() {
        let comma = if k + 1 < list.len() { "," } else { "" };
        let address = m.address.as_bytes();
        match &m.name {
            Some(name) => {
                write_phrase(field, " ", name, utf8);
                field.word_parts(" ", &[b"<", address, b">", comma.as_bytes()]);
            }
            None => field.word_parts(" ", &[address, comma.as_bytes()]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atext_table_matches_the_grammar_rfc5322_3_2_3() {
        for c in 0..128u8 {
            let want = c.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&c);
            assert_eq!(ATEXT[usize::from(c)], want, "{c}");
        }
    }

    #[test]
    fn addr_spec_checks_rfc5322_3_4_1() {
        for ok in [
            "a@b",
            "john.doe@example.org",
            "x+tag@sub.example.co",
            "user@[192.0.2.1]",
            "jörg@exämple.org",
            "\"john doe\"@example.org",
        ] {
            assert_eq!(check_address(ok).as_deref(), Some(ok), "{ok}");
        }
        assert_eq!(check_address("\"a\\b\"@x").as_deref(), Some("\"ab\"@x"));
        assert_eq!(
            check_address("\"a\\\"b\"@x").as_deref(),
            Some("\"a\\\"b\"@x")
        );
        for bad in [
            "",
            "a",
            "@b",
            "a@",
            "a b@c",
            ".a@b",
            "a..b@c",
            "a@b..c",
            "a@-b",
            "a@b_c",
            "Joe <a@b>",
            "a@b\r\nBcc: x@y",
            "\"a\rb\"@c",
            "a@[x]y",
        ] {
            assert_eq!(check_address(bad), None, "{bad:?}");
        }
        let long_local = format!("{}@b", "a".repeat(65));
        assert_eq!(check_address(&long_local), None);
    }
}
