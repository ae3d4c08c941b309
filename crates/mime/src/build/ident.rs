//! The Date (RFC 5322 §3.3) and identification fields (§3.6.4) from the
//! caller's inputs: the builder never reads a clock or invents an id.

use super::error::BuildError;

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// 1900-01-01T00:00:00 and 9999-12-31T23:59:59, as local seconds.
const FIRST: i64 = -2_208_988_800;
const LAST: i64 = 253_402_300_799;

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard
/// Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `date-time` (RFC 5322 §3.3) for `unix_seconds` seen from a zone
/// `offset_minutes` east of UTC: `Fri, 21 Nov 1997 09:55:06 -0600`.
pub(crate) fn format_date(unix_seconds: i64, offset_minutes: i32) -> Result<String, BuildError> {
    if offset_minutes.unsigned_abs() >= 100 * 60 {
        return Err(BuildError::InvalidDate);
    }
    let local = unix_seconds
        .checked_add(i64::from(offset_minutes) * 60)
        .filter(|l| (FIRST..=LAST).contains(l))
        .ok_or(BuildError::InvalidDate)?;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let weekday = DAYS[(days + 4).rem_euclid(7) as usize];
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let off = offset_minutes.unsigned_abs();
    // Built by hand rather than with `format!`: this runs per message.
    let mut out = String::with_capacity(32);
    out.push_str(weekday);
    out.push_str(", ");
    if day >= 10 {
        push_two_digits(&mut out, day);
    } else {
        out.push(char::from(b'0' + day as u8));
    }
    out.push(' ');
    out.push_str(MONTHS[month as usize - 1]);
    out.push(' ');
    // 1900 to 9999: four digits.
    push_two_digits(&mut out, (year / 100) as u32);
    push_two_digits(&mut out, (year % 100) as u32);
    out.push(' ');
    let secs = secs as u32;
    push_two_digits(&mut out, secs / 3600);
    out.push(':');
    push_two_digits(&mut out, secs / 60 % 60);
    out.push(':');
    push_two_digits(&mut out, secs % 60);
    out.push(' ');
    out.push(sign);
    push_two_digits(&mut out, off / 60);
    push_two_digits(&mut out, off % 60);
    Ok(out)
}

/// Appends `n` (below 100) as two decimal digits.
fn push_two_digits(out: &mut String, n: u32) {
    out.push(char::from(b'0' + (n / 10 % 10) as u8));
    out.push(char::from(b'0' + (n % 10) as u8));
}

fn atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b)
}

/// `dot-atom-text` (RFC 5322 §3.2.3), ASCII only.
fn dot_atom(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(|a| !a.is_empty() && a.bytes().all(atext))
}

/// `id-right`: `dot-atom-text / no-fold-literal` (RFC 5322 §3.6.4).
fn id_right(s: &str) -> bool {
    dot_atom(s)
        || s.strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .is_some_and(|inner| {
                inner
                    .bytes()
                    .all(|b| (33..=126).contains(&b) && !matches!(b, b'[' | b']' | b'\\'))
            })
}

/// Checks a `msg-id` body (`id-left "@" id-right`, RFC 5322 §3.6.4),
/// given with or without its angle brackets; returns it without them.
pub(crate) fn check_msg_id(id: &str) -> Option<String> {
    let id = id
        .strip_prefix('<')
        .and_then(|i| i.strip_suffix('>'))
        .unwrap_or(id);
    let (left, right) = id.split_once('@')?;
    (id.len() <= 250 && dot_atom(left) && id_right(right)).then(|| id.to_owned())
}

/// Checks a Content-ID (RFC 2045 §7, RFC 2392): a `msg-id`, or the bare
/// `dot-atom-text` that real HTML mail uses (`cid:logo`).
pub(crate) fn check_content_id(id: &str) -> Option<String> {
    let bare = id
        .strip_prefix('<')
        .and_then(|i| i.strip_suffix('>'))
        .unwrap_or(id);
    if bare.len() <= 250 && dot_atom(bare) {
        return Some(bare.to_owned());
    }
    check_msg_id(bare)
}

/// A Message-ID from the caller's unique bytes (hex) and domain.
pub(crate) fn msg_id_from_parts(unique: &[u8], domain: &str) -> Option<String> {
    if unique.is_empty() {
        return None;
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut id = String::with_capacity(unique.len() * 2 + 1 + domain.len());
    for &b in unique {
        id.push(char::from(HEX[usize::from(b >> 4)]));
        id.push(char::from(HEX[usize::from(b & 15)]));
    }
    id.push('@');
    id.push_str(domain);
    check_msg_id(&id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DateTime;

    #[test]
    fn date_known_answers_rfc5322_3_3() {
        assert_eq!(
            format_date(880_127_706, -360).unwrap(),
            "Fri, 21 Nov 1997 09:55:06 -0600"
        );
        assert_eq!(format_date(0, 0).unwrap(), "Thu, 1 Jan 1970 00:00:00 +0000");
        assert_eq!(
            format_date(951_782_400, 330).unwrap(),
            "Tue, 29 Feb 2000 05:30:00 +0530"
        );
        assert!(format_date(FIRST - 1, 0).is_err());
        assert!(format_date(LAST + 1, 0).is_err());
        assert!(format_date(0, 6000).is_err());
        assert!(format_date(i64::MAX, 60).is_err());
    }

    #[test]
    fn dates_parse_back_to_the_same_instant_rfc5322_3_3() {
        for (t, off) in [
            (0i64, 0i32),
            (1_700_000_000, 60),
            (-1_000_000_000, -480),
            (4_102_444_800, 765),
            (FIRST, 0),
            (LAST, 0),
        ] {
            let s = format_date(t, off).unwrap();
            let mut d = Vec::new();
            let parsed = DateTime::parse(s.as_bytes(), &mut d).unwrap();
            assert!(d.is_empty(), "{s}");
            assert_eq!(parsed.timestamp(), Some(t), "{s}");
        }
    }

    #[test]
    fn ids_rfc5322_3_6_4() {
        assert_eq!(check_msg_id("<a.b@c.d>").as_deref(), Some("a.b@c.d"));
        assert_eq!(check_msg_id("x@[1.2.3.4]").as_deref(), Some("x@[1.2.3.4]"));
        for bad in ["", "a", "a@", "@b", "a b@c", "a@b\r\n", "<a@b", "a@b@c"] {
            assert_eq!(check_msg_id(bad), None, "{bad:?}");
        }
        assert_eq!(check_content_id("<logo>").as_deref(), Some("logo"));
        assert_eq!(check_content_id("part1.x@y").as_deref(), Some("part1.x@y"));
        assert_eq!(check_content_id("a b"), None);
        assert_eq!(
            msg_id_from_parts(&[0xab, 0x01], "example.org").as_deref(),
            Some("ab01@example.org")
        );
        assert_eq!(msg_id_from_parts(&[], "example.org"), None);
    }
}
