//! Writing Content-Type and Content-Disposition parameters (RFC 2045
//! §5.1, RFC 2183): a token or quoted string when the value is short
//! printable ASCII, else the RFC 2231 form `name*=utf-8''%XX...`, split
//! into continuations (`name*0*=`, `name*1*=`, RFC 2231 §3-4) so that
//! every line stays within 78 octets. File names also get a plain ASCII
//! `name="..."` fallback for readers without RFC 2231.

use super::fold::{Field, SOFT_LIMIT};

/// The octets of a `token` (RFC 2045 §5.1): printable ASCII but
/// `tspecials`, one flag per octet.
const TOKEN: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 33;
    while c < 127 {
        let specials = b"()<>@,;:\\\"/[]?=";
        let mut k = 0;
        let mut special = false;
        while k < specials.len() {
            special |= specials[k] == c as u8;
            k += 1;
        }
        t[c] = !special;
        c += 1;
    }
    t
};

/// `token` (RFC 2045 §5.1).
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| TOKEN[usize::from(c)])
}

/// `attr-char` (RFC 5987 §3.2.1, the safe subset of RFC 2231's
/// `attribute-char`): written as itself in an extended value.
fn attr_char(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
        )
}

fn quote(value: &str) -> String {
    let mut q = String::with_capacity(value.len() + 2);
    q.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            q.push('\\');
        }
        q.push(c);
    }
    q.push('"');
    q
}

/// Room for one parameter on a continuation line: a space before it and
/// a `;` after it.
const ROOM: usize = SOFT_LIMIT - 2;

/// The parameter atoms for `name` = `value` (the caller adds the `;`
/// separators). With `fallback`, a value that needs RFC 2231 is preceded
/// by a plain ASCII approximation under the same name.
pub(crate) fn param_atoms(name: &str, value: &str, fallback: bool, out: &mut Vec<String>) {
    if is_token(value) && name.len() + 1 + value.len() <= ROOM {
        let mut atom = String::with_capacity(name.len() + 1 + value.len());
        atom.push_str(name);
        atom.push('=');
        atom.push_str(value);
        out.push(atom);
        return;
    }
    let printable = value.bytes().all(|b| (32..127).contains(&b)) && !value.contains("=?");
    if printable {
        let q = quote(value);
        if name.len() + 1 + q.len() <= ROOM {
            out.push(format!("{name}={q}"));
            return;
        }
    }
    if fallback {
        let ascii = ascii_fallback(value, ROOM.saturating_sub(name.len() + 3));
        out.push(format!("{name}={}", quote(&ascii)));
    }
    extended_atoms(name, value, out);
}

/// `name*=utf-8''...`, or its continuations when that does not fit a line.
fn extended_atoms(name: &str, value: &str, out: &mut Vec<String>) {
    let mut encoded: Vec<String> = Vec::new();
    for c in value.chars() {
        let mut buf = [0u8; 4];
        let mut piece = String::new();
        for &b in c.encode_utf8(&mut buf).as_bytes() {
            if attr_char(b) {
                piece.push(b as char);
            } else {
                piece.push_str(&format!("%{b:02X}"));
            }
        }
        encoded.push(piece);
    }
    let total: usize = encoded.iter().map(String::len).sum();
    if name.len() + "*=utf-8''".len() + total <= ROOM {
        out.push(format!("{name}*=utf-8''{}", encoded.concat()));
        return;
    }
    // Sections of whole characters (RFC 2231 §3 allows splitting anywhere,
    // but readers that decode each section alone then still see valid UTF-8).
    let mut section = 0usize;
    let mut current = String::new();
    let mut prefix = format!("{name}*0*=utf-8''");
    for piece in encoded {
        if prefix.len() + current.len() + piece.len() > ROOM && !current.is_empty() {
            out.push(format!("{prefix}{current}"));
            current.clear();
            section += 1;
            prefix = format!("{name}*{section}*=");
        }
        current.push_str(&piece);
    }
    out.push(format!("{prefix}{current}"));
}

/// A printable ASCII stand-in for `value` of at most `max` characters
/// (quotes included): other characters become `_`, and a long name is
/// shortened in the middle, keeping a short extension.
fn ascii_fallback(value: &str, max: usize) -> String {
    let mapped: String = value
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() || c == ' ') && !matches!(c, '"' | '\\' | '?' | '=') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let max = max.max(8);
    if mapped.len() <= max {
        return mapped;
    }
    let ext = match mapped.rfind('.') {
        Some(dot) if (mapped.len() - dot) * 2 <= max => &mapped[dot..],
        _ => "",
    };
    let stem = &mapped[..max - ext.len()];
    format!("{stem}{ext}")
}

/// Writes `head` (`type/subtype` or a disposition) and the parameter atoms,
/// `;`-separated, each atom a folding point.
pub(crate) fn write_with_params(field: &mut Field, head: &str, atoms: &[String]) {
    let mut pending = head;
    for atom in atoms {
        field.word_parts(" ", &[pending.as_bytes(), b";"]);
        pending = atom;
    }
    field.word(" ", pending);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::param::ContentDisposition;

    fn disposition(filename: &str) -> String {
        let mut atoms = Vec::new();
        param_atoms("filename", filename, true, &mut atoms);
        let mut out = Vec::new();
        let mut f = Field::new(&mut out, "Content-Disposition");
        write_with_params(&mut f, "attachment", &atoms);
        assert!(f.finish());
        String::from_utf8(out).unwrap()
    }

    fn parsed(field: &str) -> String {
        let value = field.split_once(':').unwrap().1.replace("\r\n", "");
        let mut d = Vec::new();
        let cd = ContentDisposition::parse(value.as_bytes(), &mut d);
        assert!(d.is_empty(), "{d:?}");
        cd.filename().unwrap().to_owned()
    }

    #[test]
    fn token_table_is_printable_ascii_but_tspecials_rfc2045_5_1() {
        for c in 0..=255u8 {
            let want = c > b' ' && c < 127 && !b"()<>@,;:\\\"/[]?=".contains(&c);
            assert_eq!(TOKEN[usize::from(c)], want, "{c}");
        }
    }

    #[test]
    fn short_values_are_tokens_or_quoted_rfc2045_5_1() {
        assert_eq!(
            disposition("report.pdf"),
            "Content-Disposition: attachment; filename=report.pdf\r\n"
        );
        assert_eq!(
            disposition("my \"best\" file.txt"),
            "Content-Disposition: attachment; filename=\"my \\\"best\\\" file.txt\"\r\n"
        );
    }

    #[test]
    fn non_ascii_gets_rfc2231_and_a_fallback_rfc2231_4() {
        let f = disposition("résumé.pdf");
        assert_eq!(
            f,
            "Content-Disposition: attachment; filename=\"r_sum_.pdf\";\r\n filename*=utf-8''r%C3%A9sum%C3%A9.pdf\r\n"
        );
        assert_eq!(parsed(&f), "résumé.pdf");
    }

    #[test]
    fn long_names_use_continuations_rfc2231_3() {
        let name = format!("{}.txt", "Überweisungsbestätigung für März ".repeat(6));
        let f = disposition(&name);
        assert!(f.contains("filename*0*=utf-8''"), "{f}");
        assert!(f.contains("filename*3*="), "{f}");
        for line in f.split_terminator("\r\n") {
            assert!(line.len() <= SOFT_LIMIT, "{line:?}");
        }
        assert_eq!(parsed(&f), name);
        let ascii_long = "a".repeat(150);
        let f = disposition(&ascii_long);
        assert_eq!(parsed(&f), ascii_long);
    }
}
