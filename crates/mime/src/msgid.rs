//! Message-ID, In-Reply-To and References (RFC 5322 §3.6.4).

/// Reads the `msg-id`s of a value: every `<...>` (RFC 5322 §3.6.4), or,
/// for the obsolete and broken forms without angle brackets, every
/// whitespace-separated word containing `@`. Brackets are removed.
pub fn parse_msg_ids(value: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = value;
    let mut any_angle = false;
    while let Some(open) = memchr::memchr(b'<', rest) {
        let Some(close) = memchr::memchr(b'>', &rest[open..]) else {
            break;
        };
        any_angle = true;
        let id: Vec<u8> = rest[open + 1..open + close]
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        if !id.is_empty() {
            out.push(String::from_utf8_lossy(&id).into_owned());
        }
        rest = &rest[open + close + 1..];
    }
    if !any_angle {
        for word in value.split(|b| b.is_ascii_whitespace() || *b == b',') {
            if word.contains(&b'@') {
                out.push(String::from_utf8_lossy(word).into_owned());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msg_ids_rfc5322_3_6_4() {
        assert_eq!(
            parse_msg_ids(b"<1234@local.machine.example>"),
            ["1234@local.machine.example"]
        );
        assert_eq!(
            parse_msg_ids(b"<1234@local.machine.example>\r\n <3456@example.net> (comment)"),
            ["1234@local.machine.example", "3456@example.net"]
        );
        assert_eq!(parse_msg_ids(b"bare@id.example"), ["bare@id.example"]);
        assert!(parse_msg_ids(b"<").is_empty());
    }
}
