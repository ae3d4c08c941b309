//! `date-time` (RFC 5322 §3.3) with the obsolete forms of §4.3: two- and
//! three-digit years, named zones (UT, GMT, EST...PDT), military zones,
//! comments, missing seconds, missing day of week. The offset is kept as
//! written; a missing or unknown zone is reported, never invented. No
//! clock and no date library: [`DateTime::timestamp`] uses days-from-civil.

use crate::Defect;

/// The zone of a date as the message gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// A numeric or named offset from UTC, in minutes (`+0130` is 90).
    Offset(i32),
    /// `-0000`, a military zone other than `Z`, or a numeric zone of 24
    /// hours or more: the time is UTC but the local offset is unknown
    /// (RFC 5322 §3.3, §4.3).
    UtcUnknownLocal,
    /// No zone, or one that could not be read: the local time is all there is.
    Missing,
}

/// A parsed Date (RFC 5322 §3.3): local date-time fields and the zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime {
    /// Full year (two-digit years expanded per RFC 5322 §4.3).
    pub year: i32,
    /// Month 1-12.
    pub month: u8,
    /// Day of month 1-31.
    pub day: u8,
    /// Hour 0-23.
    pub hour: u8,
    /// Minute 0-59.
    pub minute: u8,
    /// Second 0-60 (a leap second is allowed).
    pub second: u8,
    /// The zone as written.
    pub zone: Zone,
}

impl DateTime {
    /// Parses a Date header value. Returns `None` ([`Defect::InvalidDate`]
    /// to the caller) when no date-time can be read; a readable date with a
    /// missing or unknown zone is returned with [`Zone::Missing`] (a numeric
    /// zone of 24 hours or more with [`Zone::UtcUnknownLocal`]) and
    /// [`Defect::BadDateZone`] pushed to `defects`.
    pub fn parse(value: &[u8], defects: &mut Vec<Defect>) -> Option<DateTime> {
        let r = parse_inner(value, defects);
        if r.is_none() {
            crate::defect::push_once(defects, Defect::InvalidDate);
        }
        r
    }

    /// Seconds since 1970-01-01T00:00:00Z, when the zone tells UTC
    /// ([`Zone::Offset`] or [`Zone::UtcUnknownLocal`]); `None` for [`Zone::Missing`].
    pub fn timestamp(&self) -> Option<i64> {
        let offset = match self.zone {
            Zone::Offset(m) => i64::from(m),
            Zone::UtcUnknownLocal => 0,
            Zone::Missing => return None,
        };
        let days = days_from_civil(self.year, self.month, self.day);
        let secs = days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second);
        Some(secs - offset * 60)
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
pub(crate) fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// At most this many tokens are read: a date uses six (day name, day,
/// month, year, time, zone, in either order of RFC 5322 §3.3 or asctime),
/// and the scan of a long value stops there.
const MAX_TOKENS: usize = 7;

/// The tokens of a date, on the stack (a parse allocates nothing).
struct Tokens<'a> {
    list: [&'a [u8]; MAX_TOKENS],
    len: usize,
}

impl<'a> Tokens<'a> {
    fn push(&mut self, t: &'a [u8]) {
        if let Some(slot) = self.list.get_mut(self.len) {
            *slot = t;
            self.len += 1;
        }
    }

    fn len(&self) -> usize {
        self.len
    }

    fn as_slice(&self) -> &[&'a [u8]] {
        &self.list[..self.len]
    }
}

/// Splits on whitespace and commas, dropping comments (CFWS).
fn tokens(value: &[u8]) -> Tokens<'_> {
    let mut out = Tokens {
        list: [&[]; MAX_TOKENS],
        len: 0,
    };
    let mut i = 0;
    let mut depth = 0usize;
    let mut start = None;
    while i < value.len() {
        let b = value[i];
        if depth > 0 {
            match b {
                b'(' => depth += 1,
                b')' => depth -= 1,
                b'\\' => i += 1,
                _ => {}
            }
        } else if b == b'(' || b.is_ascii_whitespace() || b == b',' {
            if let Some(s) = start.take() {
                out.push(&value[s..i]);
            }
            if b == b'(' {
                depth = 1;
            }
        } else if start.is_none() {
            start = Some(i);
        }
        i += 1;
        if out.len() == MAX_TOKENS {
            break;
        }
    }
    if let Some(s) = start {
        out.push(&value[s..]);
    }
    out
}

fn number(t: &[u8]) -> Option<u32> {
    if t.is_empty() || t.len() > 9 || !t.iter().all(u8::is_ascii_digit) {
        return None;
    }
    t.iter()
        .try_fold(0u32, |acc, &d| Some(acc * 10 + u32::from(d - b'0')))
}

/// The first three bytes of a token in ASCII lower case.
fn lower3(t: &[u8]) -> Option<[u8; 3]> {
    match t {
        [a, b, c, ..] => Some([
            a.to_ascii_lowercase(),
            b.to_ascii_lowercase(),
            c.to_ascii_lowercase(),
        ]),
        _ => None,
    }
}

/// A month name by its first three letters, any case (RFC 5322 §3.3).
fn month(t: &[u8]) -> Option<u8> {
    Some(match &lower3(t)? {
        b"jan" => 1,
        b"feb" => 2,
        b"mar" => 3,
        b"apr" => 4,
        b"may" => 5,
        b"jun" => 6,
        b"jul" => 7,
        b"aug" => 8,
        b"sep" => 9,
        b"oct" => 10,
        b"nov" => 11,
        b"dec" => 12,
        _ => return None,
    })
}

/// A day name by its first three letters, any case (RFC 5322 §3.3).
fn is_day_name(t: &[u8]) -> bool {
    matches!(
        lower3(t).as_ref(),
        Some(b"mon" | b"tue" | b"wed" | b"thu" | b"fri" | b"sat" | b"sun")
    )
}

/// How a zone token reads.
enum ZoneRead {
    /// A usable zone.
    Zone(Zone),
    /// `+hhmm` with 24 hours or more: syntactically a zone, but no place
    /// on Earth is a day or more from UTC, so the offset is unknown.
    OutOfRange,
    /// No zone.
    Invalid,
}

/// `zone = (FWS ( "+" / "-" ) 4DIGIT) / obs-zone` (RFC 5322 §3.3, §4.3).
fn zone(t: &[u8]) -> ZoneRead {
    if let [sign @ (b'+' | b'-'), digits @ ..] = t {
        if digits.len() != 4 || !digits.iter().all(u8::is_ascii_digit) {
            return ZoneRead::Invalid;
        }
        let Some(n) = number(digits) else {
            return ZoneRead::Invalid;
        };
        let (h, m) = (n as i32 / 100, n as i32 % 100);
        if m > 59 {
            return ZoneRead::Invalid;
        }
        // RFC 5322 §3.3: "hh" is the hours of difference from UTC, so
        // 24 and more (`+2600`, `+9959`) is no real offset; RFC 3339 §5.6
        // (time-numoffset) stops at 23 too.
        if h > 23 {
            return ZoneRead::OutOfRange;
        }
        let minutes = h * 60 + m;
        if minutes == 0 && *sign == b'-' {
            return ZoneRead::Zone(Zone::UtcUnknownLocal);
        }
        return ZoneRead::Zone(Zone::Offset(if *sign == b'-' { -minutes } else { minutes }));
    }
    // Every name below has at most three letters.
    if t.len() > 3 {
        return ZoneRead::Invalid;
    }
    let mut buf = [0u8; 3];
    let upper = &mut buf[..t.len()];
    upper.copy_from_slice(t);
    upper.make_ascii_uppercase();
    // RFC 5322 §4.3: the military zones of RFC 822 were defined with the
    // wrong sign, so all but "Z" are read as -0000 (UTC, local offset
    // unknown). "Z" is UTC whichever way the sign runs, so it is +0000, as
    // CPython's `_parsedate_tz` reads it (and ISO 8601 / RFC 3339 §5.6 "Z").
    let hours = match &upper[..] {
        b"UT" | b"UTC" | b"GMT" | b"Z" => 0,
        b"EST" => -5,
        b"EDT" => -4,
        b"CST" => -6,
        b"CDT" => -5,
        b"MST" => -7,
        b"MDT" => -6,
        b"PST" => -8,
        b"PDT" => -7,
        [c] if c.is_ascii_alphabetic() && *c != b'J' => {
            return ZoneRead::Zone(Zone::UtcUnknownLocal);
        }
        _ => return ZoneRead::Invalid,
    };
    ZoneRead::Zone(Zone::Offset(hours * 60))
}

/// Two ASCII digits as a number.
fn two_digits(a: u8, b: u8) -> Option<u8> {
    (a.is_ascii_digit() && b.is_ascii_digit()).then(|| (a - b'0') * 10 + (b - b'0'))
}

/// The date as nearly every mailer writes it (RFC 5322 §3.3), read at
/// fixed places: `[Ddd, ]D[D] Mmm YYYY HH:MM:SS +HHMM`, single spaces,
/// optionally followed by whitespace, a comma or a comment and anything
/// after it (which the general reading drops too). `None` hands the value
/// to the general reading, which decides everything this does not: other
/// layouts, out-of-range fields, unusual zones and their defects. A
/// proptest holds the two to the same answers.
fn canonical(value: &[u8]) -> Option<DateTime> {
    let mut v = value.trim_ascii_start();
    if let [a, b, c, b',', b' ', rest @ ..] = v {
        if !is_day_name(&[*a, *b, *c]) {
            return None;
        }
        v = rest;
    }
    let (day, v) = match v {
        [d, b' ', rest @ ..] if d.is_ascii_digit() => (d - b'0', rest),
        [d1, d2, b' ', rest @ ..] => (two_digits(*d1, *d2)?, rest),
        _ => return None,
    };
    let [
        m1,
        m2,
        m3,
        b' ',
        y1,
        y2,
        y3,
        y4,
        b' ',
        h1,
        h2,
        b':',
        n1,
        n2,
        b':',
        s1,
        s2,
        b' ',
        sign @ (b'+' | b'-'),
        z1,
        z2,
        z3,
        z4,
        rest @ ..,
    ] = v
    else {
        return None;
    };
    if !matches!(
        rest.first(),
        None | Some(b' ' | b'\t' | b'\r' | b'\n' | b'(' | b',')
    ) {
        return None;
    }
    let month = month(&[*m1, *m2, *m3])?;
    let year = i32::from(two_digits(*y1, *y2)?) * 100 + i32::from(two_digits(*y3, *y4)?);
    let (hour, minute, second) = (
        two_digits(*h1, *h2)?,
        two_digits(*n1, *n2)?,
        two_digits(*s1, *s2)?,
    );
    let (zh, zm) = (two_digits(*z1, *z2)?, two_digits(*z3, *z4)?);
    if day == 0 || day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    if zh > 23 || zm > 59 {
        return None;
    }
    let minutes = i32::from(zh) * 60 + i32::from(zm);
    let zone = match (minutes, sign) {
        (0, b'-') => Zone::UtcUnknownLocal,
        (m, b'-') => Zone::Offset(-m),
        (m, _) => Zone::Offset(m),
    };
    Some(DateTime {
        year,
        month,
        day,
        hour,
        minute,
        second,
        zone,
    })
}

fn parse_inner(value: &[u8], defects: &mut Vec<Defect>) -> Option<DateTime> {
    if let Some(date) = canonical(value) {
        return Some(date);
    }
    parse_general(value, defects)
}

/// Every layout [`DateTime::parse`] accepts (see [`canonical`] for the
/// usual one).
fn parse_general(value: &[u8], defects: &mut Vec<Defect>) -> Option<DateTime> {
    let all = tokens(value);
    let mut toks = all.as_slice();
    if toks.first().is_some_and(|t| is_day_name(t)) {
        toks = &toks[1..];
    }
    // day month year, also accepted: month day year (asctime style handled below).
    let (day, mon, year_t, rest) = match toks {
        [d, m, y, rest @ ..] if number(d).is_some() && month(m).is_some() => {
            (number(d)?, month(m)?, *y, rest)
        }
        [m, d, y, rest @ ..] if month(m).is_some() && number(d).is_some() => {
            (number(d)?, month(m)?, *y, rest)
        }
        _ => return None,
    };
    // asctime puts the time before the year: "Mon Jan  2 15:04:05 2006".
    let (year_t, time_t, rest) = if year_t.contains(&b':') {
        let (y, r) = rest.split_first()?;
        (*y, year_t, r)
    } else {
        let (t, r) = rest.split_first()?;
        (year_t, *t, r)
    };
    let y = number(year_t)? as i32;
    let year = match year_t.len() {
        1 | 2 if y < 50 => 2000 + y,
        1 | 2 => 1900 + y,
        3 => 1900 + y,
        _ => y,
    };
    let mut parts = time_t.split(|&b| b == b':');
    let hour = number(parts.next()?)?;
    let minute = number(parts.next()?)?;
    let second = match parts.next() {
        Some(s) => number(s)?,
        None => 0,
    };
    if parts.next().is_some() || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    if day == 0 || day > u32::from(days_in_month(year, mon)) {
        return None;
    }
    let zone = match rest.first().map_or(ZoneRead::Invalid, |t| zone(t)) {
        ZoneRead::Zone(z) => z,
        // The time is read; where it was taken is not known (RFC 5322
        // §4.3 treats unknown zones as -0000 the same way).
        ZoneRead::OutOfRange => {
            crate::defect::push_once(defects, Defect::BadDateZone);
            Zone::UtcUnknownLocal
        }
        ZoneRead::Invalid => {
            crate::defect::push_once(defects, Defect::BadDateZone);
            Zone::Missing
        }
    };
    Some(DateTime {
        year,
        month: mon,
        day: day as u8,
        hour: hour as u8,
        minute: minute as u8,
        second: second as u8,
        zone,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> (Option<DateTime>, Vec<Defect>) {
        let mut d = Vec::new();
        (DateTime::parse(s.as_bytes(), &mut d), d)
    }

    #[test]
    fn known_answers_rfc5322_3_3_and_4_3() {
        type Fields = (i32, u8, u8, u8, u8, u8);
        let cases: &[(&str, Fields, Zone)] = &[
            (
                "Fri, 21 Nov 1997 09:55:06 -0600",
                (1997, 11, 21, 9, 55, 6),
                Zone::Offset(-360),
            ),
            (
                "Tue, 1 Jul 2003 10:52:37 +0200",
                (2003, 7, 1, 10, 52, 37),
                Zone::Offset(120),
            ),
            (
                "Thu,\r\n 13\r\n Feb\r\n 1969\r\n 23:32\r\n -0330 (Newfoundland Time)",
                (1969, 2, 13, 23, 32, 0),
                Zone::Offset(-210),
            ),
            (
                "21 Nov 97 09:55:06 GMT",
                (1997, 11, 21, 9, 55, 6),
                Zone::Offset(0),
            ),
            (
                "Fri, 21 Nov 03 09:55:06 PDT",
                (2003, 11, 21, 9, 55, 6),
                Zone::Offset(-420),
            ),
            (
                "Fri, 21 Nov 103 09:55:06 EST",
                (2003, 11, 21, 9, 55, 6),
                Zone::Offset(-300),
            ),
            (
                "Fri, 21 Nov 1997 09:55:06 -0000",
                (1997, 11, 21, 9, 55, 6),
                Zone::UtcUnknownLocal,
            ),
            (
                "Fri, 21 Nov 1997 09:55:06 A",
                (1997, 11, 21, 9, 55, 6),
                Zone::UtcUnknownLocal,
            ),
            (
                "Mon Jan  2 15:04:05 2006 +0000",
                (2006, 1, 2, 15, 4, 5),
                Zone::Offset(0),
            ),
        ];
        for (input, (y, mo, d, h, mi, s), zone) in cases {
            let (got, defects) = p(input);
            let got = got.unwrap_or_else(|| panic!("{input:?}"));
            assert_eq!(
                (
                    got.year, got.month, got.day, got.hour, got.minute, got.second
                ),
                (*y, *mo, *d, *h, *mi, *s),
                "{input:?}"
            );
            assert_eq!(got.zone, *zone, "{input:?}");
            assert!(defects.is_empty(), "{input:?}: {defects:?}");
        }
    }

    #[test]
    fn bad_zone_is_reported_not_invented_rfc5322_3_3() {
        for input in [
            "Fri, 21 Nov 1997 09:55:06 XYZ",
            "Fri, 21 Nov 1997 09:55:06",
            "Fri, 21 Nov 1997 09:55:06 +25",
            "1 Jan 2000 00:00:00 +0a00",
        ] {
            let (got, defects) = p(input);
            assert_eq!(got.unwrap().zone, Zone::Missing, "{input:?}");
            assert_eq!(defects, [Defect::BadDateZone], "{input:?}");
            assert_eq!(got.unwrap().timestamp(), None);
        }
    }

    /// RFC 5322 §3.3: `hh` of a zone counts hours from UTC, so 24 and
    /// more is no offset: reported, and read as -0000 (offset unknown).
    #[test]
    fn zone_of_a_day_or_more_is_unknown_rfc5322_3_3() {
        for input in [
            "Tue, 06 Jun 2017 07:39:33 +2600",
            "Tue, 06 Jun 2017 07:39:33 +9959",
            "Tue, 06 Jun 2017 07:39:33 -2400",
        ] {
            let (got, defects) = p(input);
            let got = got.unwrap_or_else(|| panic!("{input:?}"));
            assert_eq!(got.zone, Zone::UtcUnknownLocal, "{input:?}");
            assert_eq!((got.hour, got.minute, got.second), (7, 39, 33));
            assert_eq!(defects, [Defect::BadDateZone], "{input:?}");
        }
        let (got, defects) = p("Tue, 06 Jun 2017 07:39:33 +2359");
        assert_eq!(got.unwrap().zone, Zone::Offset(23 * 60 + 59));
        assert!(defects.is_empty());
    }

    /// RFC 5322 §4.3: military zones other than "Z" are -0000; "Z" is UTC.
    #[test]
    fn military_zones_rfc5322_4_3() {
        for (input, zone) in [
            ("1 Jan 2000 00:00:00 Z", Zone::Offset(0)),
            ("1 Jan 2000 00:00:00 z", Zone::Offset(0)),
            ("1 Jan 2000 00:00:00 A", Zone::UtcUnknownLocal),
            ("1 Jan 2000 00:00:00 M", Zone::UtcUnknownLocal),
            ("1 Jan 2000 00:00:00 Y", Zone::UtcUnknownLocal),
        ] {
            let (got, defects) = p(input);
            assert_eq!(got.unwrap().zone, zone, "{input:?}");
            assert!(defects.is_empty(), "{input:?}");
        }
        let (got, defects) = p("1 Jan 2000 00:00:00 J");
        assert_eq!(got.unwrap().zone, Zone::Missing, "J is no zone");
        assert_eq!(defects, [Defect::BadDateZone]);
    }

    #[test]
    fn invalid_dates_are_none() {
        for input in [
            "",
            "yesterday",
            "31 Feb 2020 10:00:00 +0000",
            "1 Jan 2020 25:00:00 +0000",
            "1 Foo 2020 10:00 +0000",
        ] {
            let (got, defects) = p(input);
            assert!(got.is_none(), "{input:?}");
            assert_eq!(defects, [Defect::InvalidDate]);
        }
    }

    #[test]
    fn timestamp_applies_the_offset() {
        let (d, _) = p("Thu, 1 Jan 1970 01:00:00 +0100");
        assert_eq!(d.unwrap().timestamp(), Some(0));
        let (d, _) = p("Sat, 28 Nov 2026 08:45:00 +0000");
        assert_eq!(d.unwrap().timestamp(), Some(1_795_855_500));
        let (d, _) = p("29 Feb 2000 12:00:00 -0000");
        assert_eq!(d.unwrap().timestamp(), Some(951_825_600));
    }

    /// Dates in the usual layout and near it: each field drawn from valid
    /// and invalid values, separators sometimes doubled or replaced.
    fn near_canonical() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let pick = |v: &[&'static str]| proptest::sample::select(v.to_vec());
        (
            pick(&[
                "",
                "Sat, ",
                "sun, ",
                "Mon,",
                "Xyz, ",
                "Thursday, ",
                " Fri, ",
            ]),
            pick(&["1", "28", "31", "30", "29", "0", "00", "7", "32", "a1"]),
            pick(&[" ", "  ", "-"]),
            pick(&["Nov", "feb", "FEB", "Feb", "Xyz", "November", "Apr"]),
            pick(&["2026", "2000", "1900", "2024", "0999", "26", "20x6"]),
            pick(&[
                "23:59:60", "15:22:14", "00:00:00", "24:00:00", "12:60:00", "9:05:00", "12:00",
            ]),
            pick(&[
                " +0000", " -0000", " +0530", " -0800", " +2400", " +0060", " GMT", " +000", "",
            ]),
            pick(&[
                "",
                " (UTC)",
                "(UTC)",
                ",x",
                "x",
                " ",
                "\r\n",
                " extra tokens here",
            ]),
        )
            .prop_map(|(day_name, day, sep, month, year, time, zone, tail)| {
                format!("{day_name}{day}{sep}{month} {year} {time}{zone}{tail}")
            })
    }

    proptest::proptest! {
        /// The fixed-place reading of the usual layout answers exactly as
        /// the general reading does, or leaves the value to it (RFC 5322
        /// §3.3, §4.3).
        #[test]
        fn canonical_layout_reads_as_the_general_reading_rfc5322_3_3(date in near_canonical()) {
            let mut defects = Vec::new();
            let general = parse_general(date.as_bytes(), &mut defects);
            if let Some(fast) = canonical(date.as_bytes()) {
                proptest::prop_assert_eq!(Some(fast), general, "{:?}", date);
                proptest::prop_assert!(defects.is_empty(), "{:?}", date);
            }
        }
    }

    #[test]
    fn canonical_layout_takes_the_usual_dates_rfc5322_3_3() {
        for date in [
            "Sat, 28 Nov 2026 15:22:14 +0000",
            "1 Feb 2024 00:00:00 -0800 (PST)",
            "Mon, 29 Feb 2000 12:00:00 -0000",
        ] {
            assert!(canonical(date.as_bytes()).is_some(), "{date}");
        }
    }
}
