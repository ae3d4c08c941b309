//! The little JSON mimedump needs, written by hand: compact output (no
//! spaces), strings escaped as RFC 8259 §7 requires. Non-ASCII text is
//! written as UTF-8 (§8.1); control characters use the short escapes where
//! JSON has them and `\u00XX` otherwise, as Python's `json.dumps` does, so
//! the two agree byte for byte.

use std::fmt::Write as _;

/// Appends `s` as a JSON string literal (RFC 8259 §7).
pub(crate) fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends a string literal, or `null` for `None`.
pub(crate) fn opt_string(out: &mut String, s: Option<&str>) {
    match s {
        Some(s) => string(out, s),
        None => out.push_str("null"),
    }
}

/// Appends `"key":`, the start of an object member.
pub(crate) fn key(out: &mut String, key: &str) {
    string(out, key);
    out.push(':');
}

/// Appends `[a,b,...]`, writing each item with `item`.
pub(crate) fn array<T>(out: &mut String, items: &[T], mut item: impl FnMut(&mut String, &T)) {
    out.push('[');
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        item(out, x);
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_rfc8259_7_requires() {
        let mut out = String::new();
        string(&mut out, "a\"b\\c\n\r\t\u{1}\u{1f}é\u{7f}");
        assert_eq!(out, "\"a\\\"b\\\\c\\n\\r\\t\\u0001\\u001fé\u{7f}\"");
    }
}
