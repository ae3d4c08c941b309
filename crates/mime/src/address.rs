//! Addresses (RFC 5322 §3.4) with the obsolete syntax of §4.4: mailbox
//! lists, groups, angle addresses with obsolete routes, display names as
//! phrases or quoted strings, comments (a trailing comment names an
//! `addr (Name)` mailbox), empty list elements. The value is tokenized and
//! split into addresses first; RFC 2047 encoded words in display names are
//! decoded only afterwards, so an encoded `,` never splits an address.

use std::borrow::Cow;
use std::ops::Range;

use crate::Defect;
use crate::defect::push_once;
use crate::encoded_word::{decode_encoded_words, raw_text};

/// One mailbox: an optional display name and an address.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Mailbox {
    /// The display name, decoded (RFC 2047) and unquoted.
    pub name: Option<String>,
    /// The addr-spec, `local@domain`, quoted local parts kept quoted;
    /// empty for the null path `<>`.
    pub address: String,
}

impl Mailbox {
    /// The part before the last `@` (all of it when there is no `@`).
    pub fn local_part(&self) -> &str {
        self.address
            .rsplit_once('@')
            .map_or(&self.address, |(l, _)| l)
    }

    /// The part after the last `@`, when there is one.
    pub fn domain(&self) -> Option<&str> {
        self.address.rsplit_once('@').map(|(_, d)| d)
    }
}

/// A named group of mailboxes (`Friends: a@x, b@y;`, RFC 5322 §3.4).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Group {
    /// The group's display name, decoded.
    pub name: String,
    /// Its members; empty for `undisclosed-recipients:;`.
    pub mailboxes: Vec<Mailbox>,
}

/// One element of an address list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// A single mailbox.
    Mailbox(Mailbox),
    /// A group.
    Group(Group),
}

/// A parsed address-list or mailbox-list, with what was wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddressList {
    /// The addresses, in order.
    pub addresses: Vec<Address>,
    /// Defects found while parsing.
    pub defects: Vec<Defect>,
}

impl AddressList {
    /// Parses an unfolded address-list value (From, To, Cc, Reply-To, ...).
    /// Never fails: damage is repaired and reported in [`AddressList::defects`].
    pub fn parse(value: &[u8]) -> AddressList {
        if let Some(mailbox) = simple_mailbox(value) {
            return AddressList {
                addresses: vec![Address::Mailbox(mailbox)],
                defects: Vec::new(),
            };
        }
        AddressList::parse_general(value)
    }

    /// [`AddressList::parse`] for any value: tokenized, then split into
    /// addresses.
    fn parse_general(value: &[u8]) -> AddressList {
        let mut defects = Vec::new();
        let toks = tokenize(value, &mut defects);
        let addresses = parse_list(&toks, &mut defects);
        AddressList { addresses, defects }
    }

    /// Every mailbox, group members included, in order.
    pub fn mailboxes(&self) -> impl Iterator<Item = &Mailbox> {
        self.addresses.iter().flat_map(|a| match a {
            Address::Mailbox(m) => std::slice::from_ref(m).iter(),
            Address::Group(g) => g.mailboxes.iter(),
        })
    }
}

/// `atext` (RFC 5322 §3.2.3) and `.`, ASCII only: what a dot-atom and an
/// obs-phrase word of [`simple_mailbox`] are made of.
const DOT_ATEXT: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 128 {
        t[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    let other = b"!#$%&'*+-/=?^_`{|}~.";
    let mut i = 0;
    while i < other.len() {
        t[other[i] as usize] = true;
        i += 1;
    }
    t
};

fn is_dot_atext(run: &[u8]) -> bool {
    run.iter().all(|&b| DOT_ATEXT[usize::from(b)])
}

/// `local@domain`, both plain dot-atom text: the address as written.
fn simple_addr_spec(a: &[u8]) -> Option<String> {
    let at = a.iter().position(|&b| b == b'@')?;
    let (local, domain) = (&a[..at], &a[at + 1..]);
    if local.is_empty() || domain.is_empty() || !is_dot_atext(local) || !is_dot_atext(domain) {
        return None;
    }
    std::str::from_utf8(a).ok().map(str::to_owned)
}

/// The one mailbox nearly every From carries, in one pass: `local@domain`,
/// or `<local@domain>` after a display name of plain words (dot-atom
/// text, or quoted strings of printable ASCII without quoted-pairs)
/// holding no encoded word. Anything else gives `None` and the general
/// path, which reads these the same (a test compares the two): no
/// defects, the address as written, the words joined by one space.
fn simple_mailbox(value: &[u8]) -> Option<Mailbox> {
    let v = value.trim_ascii();
    let Some(inner) = v.strip_suffix(b">") else {
        return Some(Mailbox {
            name: None,
            address: simple_addr_spec(v)?,
        });
    };
    let open = inner.iter().rposition(|&b| b == b'<')?;
    let address = simple_addr_spec(&inner[open + 1..])?;
    let mut phrase = &inner[..open];
    let mut name = String::with_capacity(phrase.len());
    let mut started = false;
    loop {
        phrase = phrase.trim_ascii_start();
        let Some(&first) = phrase.first() else {
            break;
        };
        let (word, rest) = if first == b'"' {
            let close = 1 + phrase[1..].iter().position(|&b| b == b'"')?;
            let content = &phrase[1..close];
            if !content
                .iter()
                .all(|&b| (b' '..=b'~').contains(&b) && b != b'\\')
            {
                return None;
            }
            (content, &phrase[close + 1..])
        } else {
            let end = phrase
                .iter()
                .position(|&b| !DOT_ATEXT[usize::from(b)])
                .unwrap_or(phrase.len());
            (&phrase[..end], &phrase[end..])
        };
        if !rest.first().is_none_or(u8::is_ascii_whitespace) || (first != b'"' && word.is_empty()) {
            return None;
        }
        if started {
            name.push(' ');
        }
        started = true;
        name.push_str(std::str::from_utf8(word).ok()?);
        phrase = rest;
    }
    if name.contains("=?") {
        return None;
    }
    let trimmed = name.trim_matches(' ');
    let name = if trimmed.len() == name.len() {
        name
    } else {
        trimmed.to_owned()
    };
    Some(Mailbox {
        name: (!name.is_empty()).then_some(name),
        address,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind<'a> {
    Atom,
    /// The content, unescaped; borrowed when it held no quoted-pair or line break.
    Quoted(Cow<'a, [u8]>),
    Comment(Cow<'a, [u8]>),
    Literal,
    Special(u8),
}

#[derive(Debug, Clone)]
struct Tok<'a> {
    kind: Kind<'a>,
    raw: &'a [u8],
    space_before: bool,
}

fn is_special(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b':' | b';' | b'@' | b'\\' | b',' | b'"'
    )
}

/// Reads a `"..."` or `(...)` starting at `i`, unescaping; returns the content and the end.
/// Content without a backslash or line break is borrowed.
fn delimited<'a>(
    v: &'a [u8],
    i: usize,
    open: u8,
    close: u8,
    defects: &mut Vec<Defect>,
) -> (Cow<'a, [u8]>, usize) {
    let nests = open == b'(';
    let mut depth = 1usize;
    for (k, &b) in v.iter().enumerate().skip(i + 1) {
        if b == close {
            depth -= 1;
            if depth == 0 {
                return (Cow::Borrowed(&v[i + 1..k]), k + 1);
            }
        } else if nests && b == open {
            depth += 1;
        } else if matches!(b, b'\\' | b'\r' | b'\n') {
            break;
        }
    }
    let (out, end) = delimited_owned(v, i, open, close, defects);
    (Cow::Owned(out), end)
}

/// [`delimited`] for content that needs unescaping.
fn delimited_owned(
    v: &[u8],
    mut i: usize,
    open: u8,
    close: u8,
    defects: &mut Vec<Defect>,
) -> (Vec<u8>, usize) {
    let nests = open == b'(';
    let mut depth = 1usize;
    let mut out = Vec::new();
    i += 1;
    while i < v.len() {
        let b = v[i];
        if b == b'\\' && i + 1 < v.len() {
            out.push(v[i + 1]);
            i += 2;
            continue;
        }
        if b == close {
            depth -= 1;
            if depth == 0 {
                return (out, i + 1);
            }
        } else if nests && b == open {
            depth += 1;
        }
        if b != b'\r' && b != b'\n' {
            out.push(b);
        }
        i += 1;
    }
    push_once(defects, Defect::UnterminatedToken);
    (out, v.len())
}

/// Lexes into atoms (runs of atext and `.`, UTF-8 allowed per RFC 6532),
/// quoted strings, comments, domain literals and specials (RFC 5322 §3.2).
fn tokenize<'a>(v: &'a [u8], defects: &mut Vec<Defect>) -> Vec<Tok<'a>> {
    // About one token per three bytes in `Name <local@domain>`.
    let mut out = Vec::with_capacity(v.len() / 3 + 2);
    let mut i = 0;
    let mut space = false;
    while i < v.len() {
        let b = v[i];
        if b.is_ascii_whitespace() {
            space = true;
            i += 1;
            continue;
        }
        let start = i;
        let kind = match b {
            b'"' => {
                let (content, end) = delimited(v, i, b'"', b'"', defects);
                i = end;
                Kind::Quoted(content)
            }
            b'(' => {
                let (content, end) = delimited(v, i, b'(', b')', defects);
                i = end;
                Kind::Comment(content)
            }
            b'[' => {
                match memchr::memchr(b']', &v[i..]) {
                    Some(e) => i += e + 1,
                    None => {
                        push_once(defects, Defect::UnterminatedToken);
                        i = v.len();
                    }
                }
                Kind::Literal
            }
            _ if is_special(b) => {
                i += 1;
                Kind::Special(b)
            }
            _ => {
                while i < v.len() && !is_special(v[i]) && !v[i].is_ascii_whitespace() {
                    i += 1;
                }
                Kind::Atom
            }
        };
        out.push(Tok {
            kind,
            raw: &v[start..i],
            space_before: space,
        });
        space = false;
    }
    out
}

/// One mailbox being read. Its tokens are contiguous in the token list:
/// the phrase is every token before the `<` (or all of them) except
/// comments, the angle part every token between `<` and `>`; so both are
/// kept as index ranges into the token list.
struct Collector<'t, 'a> {
    toks: &'t [Tok<'a>],
    /// Tokens from the start of this mailbox to its last phrase token (comments included).
    phrase: Range<usize>,
    /// Tokens after the `<`, up to the `>`.
    angle: Option<Range<usize>>,
    in_angle: bool,
    /// The first comment after the mailbox's last other token: the
    /// `addr (Name)` display name of RFC 822 practice (RFC 5322 §4.4).
    comment: Option<&'t [u8]>,
    junk: bool,
    /// The phrase holds an `@`, so a `:` cannot start a group.
    has_at: bool,
}

/// The phrase tokens: comments are not part of a phrase.
fn without_comments<'t, 'a>(toks: &'t [Tok<'a>]) -> impl Iterator<Item = &'t Tok<'a>> {
    toks.iter().filter(|t| !matches!(t.kind, Kind::Comment(_)))
}

/// The display name of a phrase. A comment between two words stands for
/// the space it occupies (CFWS, RFC 5322 §3.2.2): `A.(x).O` reads `A. .O`.
fn phrase_text(toks: &[Tok<'_>], defects: &mut Vec<Defect>) -> String {
    let mut words = without_comments(toks);
    let Some(first) = words.next() else {
        return String::new();
    };
    if words.next().is_none() {
        // One word (the usual `"Name" <addr>`): decoded straight from the input.
        let bytes: &[u8] = match &first.kind {
            Kind::Quoted(c) => c,
            _ => first.raw,
        };
        return decode_encoded_words(bytes, defects).trim().to_owned();
    }
    let mut bytes = Vec::with_capacity(toks.iter().map(|t| t.raw.len() + 1).sum());
    let mut started = false;
    let mut gap = false;
    for t in toks {
        if matches!(t.kind, Kind::Comment(_)) {
            gap = true;
            continue;
        }
        if started && (gap || t.space_before) {
            bytes.push(b' ');
        }
        match &t.kind {
            Kind::Quoted(c) => bytes.extend_from_slice(c),
            _ => bytes.extend_from_slice(t.raw),
        }
        started = true;
        gap = false;
    }
    decode_encoded_words(&bytes, defects).trim().to_owned()
}

/// Where a word follows another word without a `.` between them (the
/// index of the second), comments skipped: RFC 5322 §3.4.1 allows a
/// `dot-atom` or one `quoted-string` as local part and a `dot-atom` or
/// `domain-literal` as domain (§4.4: words joined by `.`), so in
/// `merwok wok@x` or `x@example.com[]` the words are glued.
fn glue_point(toks: &[Tok<'_>], word: fn(&Kind<'_>) -> bool) -> Option<usize> {
    let mut prev: Option<&Tok<'_>> = None;
    for (i, t) in toks.iter().enumerate() {
        if matches!(t.kind, Kind::Comment(_)) {
            continue;
        }
        if let Some(p) = prev
            && word(&p.kind)
            && word(&t.kind)
            && !(p.kind == Kind::Atom && p.raw.ends_with(b"."))
            && !(t.kind == Kind::Atom && t.raw.starts_with(b"."))
        {
            return Some(i);
        }
        prev = Some(t);
    }
    None
}

fn local_word(k: &Kind<'_>) -> bool {
    matches!(k, Kind::Atom | Kind::Quoted(_))
}

fn domain_word(k: &Kind<'_>) -> bool {
    matches!(k, Kind::Atom | Kind::Literal)
}

/// The words of a damaged local part as one quoted string, whitespace
/// (and comments) between words read as one space, as CPython repairs it.
fn push_glued(local: &[Tok<'_>], bytes: &mut Vec<u8>) {
    bytes.push(b'"');
    let mut started = false;
    let mut gap = false;
    for t in local {
        let content: &[u8] = match &t.kind {
            Kind::Comment(_) => {
                gap = true;
                continue;
            }
            Kind::Quoted(c) => c,
            _ => t.raw,
        };
        if started && (gap || t.space_before) {
            bytes.push(b' ');
        }
        for &b in content {
            if b == b'"' || b == b'\\' {
                bytes.push(b'\\');
            }
            bytes.push(b);
        }
        started = true;
        gap = false;
    }
    bytes.push(b'"');
}

/// Writes tokens of an addr-spec as written, quoted strings re-quoted.
fn push_tokens(toks: &[Tok<'_>], bytes: &mut Vec<u8>, defects: &mut Vec<Defect>) {
    for t in toks {
        match &t.kind {
            Kind::Quoted(c) => {
                bytes.push(b'"');
                for &b in c.iter() {
                    if b == b'"' || b == b'\\' {
                        bytes.push(b'\\');
                    }
                    bytes.push(b);
                }
                bytes.push(b'"');
            }
            Kind::Comment(_) => {}
            Kind::Special(b'@') | Kind::Atom | Kind::Literal => bytes.extend_from_slice(t.raw),
            Kind::Special(_) => {
                push_once(defects, Defect::InvalidAddress);
                bytes.extend_from_slice(t.raw);
            }
        }
    }
}

/// The addr-spec of RFC 5322 §3.4.1, repaired: glued local-part words
/// are quoted together, junk glued to the domain is dropped, a domain
/// literal in the local part ends the address (as CPython reads it); each
/// reported as [`Defect::InvalidAddress`], as is a second `@`.
fn addr_spec(toks: &[Tok<'_>], defects: &mut Vec<Defect>) -> String {
    let mut bytes = Vec::with_capacity(toks.iter().map(|t| t.raw.len() + 2).sum());
    let mut at = toks
        .iter()
        .position(|t| t.kind == Kind::Special(b'@'))
        .unwrap_or(toks.len());
    let mut toks = toks;
    if let Some(lit) = toks[..at].iter().position(|t| t.kind == Kind::Literal) {
        push_once(defects, Defect::InvalidAddress);
        toks = &toks[..lit];
        at = lit;
    }
    let (local, mut domain) = toks.split_at(at);
    if glue_point(local, local_word).is_some() {
        push_once(defects, Defect::InvalidAddress);
        push_glued(local, &mut bytes);
    } else {
        push_tokens(local, &mut bytes, defects);
    }
    if domain
        .iter()
        .filter(|t| t.kind == Kind::Special(b'@'))
        .count()
        > 1
    {
        push_once(defects, Defect::InvalidAddress);
    }
    if let Some(g) = domain.get(1..).and_then(|d| glue_point(d, domain_word)) {
        push_once(defects, Defect::InvalidAddress);
        domain = &domain[..=g];
    }
    push_tokens(domain, &mut bytes, defects);
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => raw_text(e.as_bytes()).into_owned(),
    }
}

impl<'t, 'a> Collector<'t, 'a> {
    /// A collector for the mailbox whose first token is `toks[start]`.
    fn new(toks: &'t [Tok<'a>], start: usize) -> Self {
        Collector {
            toks,
            phrase: start..start,
            angle: None,
            in_angle: false,
            comment: None,
            junk: false,
            has_at: false,
        }
    }

    fn phrase(&self) -> &'t [Tok<'a>] {
        &self.toks[self.phrase.clone()]
    }

    fn phrase_is_empty(&self) -> bool {
        self.phrase.is_empty()
    }

    /// Inside `<` an obs-route (RFC 5322 §4.4) has begun and its `:` has
    /// not come yet, so a `,` separates route domains.
    fn in_route(&self) -> bool {
        let Some(angle) = self.angle.clone() else {
            return false;
        };
        let angle = &self.toks[angle];
        angle
            .iter()
            .find(|t| !matches!(t.kind, Kind::Comment(_)))
            .is_some_and(|t| t.kind == Kind::Special(b'@'))
            && !angle.iter().any(|t| t.kind == Kind::Special(b':'))
    }

    fn finish(self, defects: &mut Vec<Defect>) -> Option<Mailbox> {
        if self.in_angle {
            push_once(defects, Defect::UnterminatedToken);
        }
        if self.junk {
            push_once(defects, Defect::InvalidAddress);
        }
        let mailbox = match self.angle.clone() {
            Some(angle) => {
                let angle = &self.toks[angle];
                // obs-route: "<@a,@b:user@domain>" (RFC 5322 §4.4).
                let spec = match angle.iter().rposition(|t| t.kind == Kind::Special(b':')) {
                    Some(p) if angle.first().is_some_and(|t| t.kind == Kind::Special(b'@')) => {
                        &angle[p + 1..]
                    }
                    _ => angle,
                };
                let mut name = phrase_text(self.phrase(), defects);
                if name.is_empty() {
                    // "<joe@example.org> (Joe)": the comment is the only name given.
                    if let Some(c) = self.comment {
                        name = decode_encoded_words(c, defects).trim().to_owned();
                    }
                }
                Mailbox {
                    name: (!name.is_empty()).then_some(name),
                    address: addr_spec(spec, defects),
                }
            }
            None => {
                if self.phrase_is_empty() {
                    return None;
                }
                let name = self
                    .comment
                    .map(|c| decode_encoded_words(c, defects).trim().to_owned());
                Mailbox {
                    name: name.filter(|n| !n.is_empty()),
                    address: addr_spec(self.phrase(), defects),
                }
            }
        };
        if !mailbox.address.is_empty() && mailbox.domain().is_none() {
            push_once(defects, Defect::MissingAddressDomain);
        }
        Some(mailbox)
    }
}

fn parse_list(toks: &[Tok<'_>], defects: &mut Vec<Defect>) -> Vec<Address> {
    let mut out = Vec::new();
    let mut group: Option<Group> = None;
    let mut cur = Collector::new(toks, 0);
    let emit = |mb: Option<Mailbox>, group: &mut Option<Group>, out: &mut Vec<Address>| {
        if let Some(mb) = mb {
            match group {
                Some(g) => g.mailboxes.push(mb),
                None => out.push(Address::Mailbox(mb)),
            }
        }
    };
    for (i, tok) in toks.iter().enumerate() {
        if cur.in_angle {
            if tok.kind == Kind::Special(b'>') {
                cur.in_angle = false;
                cur.comment = None;
                continue;
            }
            // RFC 5322 §3.4: an angle-addr holds no `,` except between
            // the domains of an obs-route (§4.4, `<@a,@b:user@domain>`); any
            // other `,` ends the unterminated angle-addr and the mailbox, so
            // the addresses after it are not swallowed.
            if tok.kind != Kind::Special(b',') || cur.in_route() {
                if let Some(a) = cur.angle.as_mut() {
                    a.end = i + 1;
                }
                continue;
            }
        }
        match &tok.kind {
            Kind::Special(b',') => {
                let mb = std::mem::replace(&mut cur, Collector::new(toks, i + 1)).finish(defects);
                emit(mb, &mut group, &mut out);
            }
            Kind::Special(b':') if group.is_none() && cur.angle.is_none() && !cur.has_at => {
                let name = phrase_text(cur.phrase(), defects);
                group = Some(Group {
                    name,
                    mailboxes: Vec::new(),
                });
                cur = Collector::new(toks, i + 1);
            }
            Kind::Special(b';') if group.is_some() => {
                let mb = std::mem::replace(&mut cur, Collector::new(toks, i + 1)).finish(defects);
                emit(mb, &mut group, &mut out);
                if let Some(g) = group.take() {
                    out.push(Address::Group(g));
                }
            }
            Kind::Special(b'<') if cur.angle.is_none() => {
                cur.angle = Some(i + 1..i + 1);
                cur.in_angle = true;
                cur.comment = None;
            }
            Kind::Comment(c) => {
                if cur.comment.is_none() {
                    cur.comment = Some(c);
                }
            }
            _ if cur.angle.is_some() => {
                cur.junk = true;
                cur.comment = None;
            }
            _ => {
                cur.has_at |= tok.kind == Kind::Special(b'@');
                cur.phrase.end = i + 1;
                cur.comment = None;
            }
        }
    }
    let mb = cur.finish(defects);
    emit(mb, &mut group, &mut out);
    if let Some(g) = group.take() {
        // RFC 5322 §3.4: `group = display-name ":" [group-list] ";" [CFWS]`.
        push_once(defects, Defect::InvalidAddress);
        out.push(Address::Group(g));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mb(name: Option<&str>, address: &str) -> Address {
        Address::Mailbox(Mailbox {
            name: name.map(Into::into),
            address: address.into(),
        })
    }

    fn parse(s: &str) -> AddressList {
        AddressList::parse(s.as_bytes())
    }

    /// The one-pass reading of a plain mailbox gives what the general
    /// path gives (RFC 5322 §3.4), and leaves everything else to it.
    #[test]
    fn simple_mailboxes_read_as_the_general_path_reads_them_rfc5322_3_4() {
        let values = [
            "alice@test.com",
            " alice@test.com ",
            "James Hillyerd <james@hillyerd.com>",
            "\"easyHotel Booking\" <bookings@easyHotel.com>",
            "\" spaced \"  <a@b.c>",
            "\"\" Bob <a@b>",
            "<a@b>",
            "Joe Q. Public <john.q.public@example.com>",
            "Name<a@b>",
            "a\"b\" <x@y>",
            "\"a<b\" <x@y>",
            "\"a <b\" x@y>",
            "\"a<x@y>",
            "=?utf-8?q?x?= <a@b>",
            "a=? <a@b>",
            "a@b@c",
            "@b",
            "a@",
            "a@b, c@d",
            "Bob <a@b> (c)",
            "Bob (c) <a@b>",
            "Bob\t\r <a@b>",
            "\"Giant; \\\"Big\\\" Box\" <sysservices@example.net>",
            "Zoë <z@b>",
            "<a@b> x",
            "< a@b >",
            "group: a@b;",
        ];
        for v in values {
            let general = AddressList::parse_general(v.as_bytes());
            assert_eq!(parse(v), general, "{v:?}");
            if simple_mailbox(v.as_bytes()).is_some() {
                assert!(general.defects.is_empty(), "{v:?}");
            }
        }
        assert!(simple_mailbox(b"James Hillyerd <james@hillyerd.com>").is_some());
        assert!(simple_mailbox(b"\"easyHotel Booking\" <bookings@easyHotel.com>").is_some());
    }

    proptest::proptest! {
        #[test]
        fn simple_mailboxes_match_the_general_path_on_any_input(
            value in proptest::collection::vec(
                proptest::sample::select(b"ab.@<>\" \t=?,()\\:;\xc3\xa9".to_vec()), 0..30),
        ) {
            proptest::prop_assert_eq!(
                AddressList::parse(&value),
                AddressList::parse_general(&value)
            );
        }

        #[test]
        fn simple_mailboxes_match_the_general_path_on_mailbox_shapes(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    "a", "b.c", "@", "<", ">", "\"", " ", "\"x y\"", "\" \"", "=?", "Zoë",
                    ",", "(c)", "\t", "\\", "<a@b>", "x@y.z", "Bob ", "\"\"", ":",
                ]),
                0..8,
            ),
        ) {
            let value = pieces.concat();
            proptest::prop_assert_eq!(
                AddressList::parse(value.as_bytes()),
                AddressList::parse_general(value.as_bytes())
            );
        }
    }

    /// RFC 5322 §A.1 and friends: the forms of §3.4.
    #[test]
    fn known_answers_rfc5322_3_4() {
        let cases: Vec<(&str, Vec<Address>)> = vec![
            (
                "John Doe <jdoe@machine.example>",
                vec![mb(Some("John Doe"), "jdoe@machine.example")],
            ),
            (
                "Mary Smith <mary@example.net>, jdoe@example.org",
                vec![
                    mb(Some("Mary Smith"), "mary@example.net"),
                    mb(None, "jdoe@example.org"),
                ],
            ),
            (
                "\"Joe Q. Public\" <john.q.public@example.com>",
                vec![mb(Some("Joe Q. Public"), "john.q.public@example.com")],
            ),
            (
                "\"Giant; \\\"Big\\\" Box\" <sysservices@example.net>",
                vec![mb(Some("Giant; \"Big\" Box"), "sysservices@example.net")],
            ),
            (
                "Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",
                vec![mb(Some("Pete"), "pete@silly.test")],
            ),
            (
                "jdoe@example.org (John Doe)",
                vec![mb(Some("John Doe"), "jdoe@example.org")],
            ),
            ("<>", vec![mb(None, "")]),
            (
                "\"john doe\"@example.org",
                vec![mb(None, "\"john doe\"@example.org")],
            ),
            ("a@b, , c@d", vec![mb(None, "a@b"), mb(None, "c@d")]),
            (
                "<@route1,@route2:user@example.com>",
                vec![mb(None, "user@example.com")],
            ),
            (
                "Joe <joe @ example . com>",
                vec![mb(Some("Joe"), "joe@example.com")],
            ),
            (
                "Jöhn <jöhn@exämple.org>",
                vec![mb(Some("Jöhn"), "jöhn@exämple.org")],
            ),
            ("user@[192.0.2.1]", vec![mb(None, "user@[192.0.2.1]")]),
            (
                "<joe@example.org> (Joe)",
                vec![mb(Some("Joe"), "joe@example.org")],
            ),
            (
                "Joe <joe@example.org> (not the name)",
                vec![mb(Some("Joe"), "joe@example.org")],
            ),
            ("a@b (=?utf-8?q?J=C3=B6rg?=)", vec![mb(Some("Jörg"), "a@b")]),
            (
                "Mary Smith <@machine.tld:mary@example.net>, , jdoe@test  . example",
                vec![
                    mb(Some("Mary Smith"), "mary@example.net"),
                    mb(None, "jdoe@test.example"),
                ],
            ),
        ];
        for (input, want) in cases {
            let got = parse(input);
            assert_eq!(got.addresses, want, "{input:?}");
            assert!(got.defects.is_empty(), "{input:?}: {:?}", got.defects);
        }
    }

    #[test]
    fn groups_rfc5322_3_4() {
        let got = parse(
            "A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;, Undisclosed recipients:;, x@y",
        );
        assert_eq!(got.addresses.len(), 3);
        let Address::Group(g) = &got.addresses[0] else {
            panic!("{got:?}")
        };
        assert_eq!(g.name, "A Group");
        assert_eq!(g.mailboxes.len(), 3);
        assert_eq!(g.mailboxes[2].name.as_deref(), Some("John"));
        let Address::Group(g) = &got.addresses[1] else {
            panic!()
        };
        assert_eq!(g.name, "Undisclosed recipients");
        assert!(g.mailboxes.is_empty());
        assert_eq!(got.addresses[2], mb(None, "x@y"));
        assert_eq!(got.mailboxes().count(), 4);
    }

    #[test]
    fn encoded_comma_in_display_name_does_not_split_rfc2047_5() {
        let got = parse(
            "=?utf-8?q?Doe=2C_John?= <john@example.com>, =?ISO-8859-1?Q?Keld_J=F8rn?= =?ISO-8859-1?Q?_Simonsen?= <keld@dkuug.dk>",
        );
        assert_eq!(
            got.addresses,
            vec![
                mb(Some("Doe, John"), "john@example.com"),
                mb(Some("Keld Jørn Simonsen"), "keld@dkuug.dk"),
            ]
        );
        let got = parse("=?utf-8?b?RG9lLCBKb2hu?= <john@example.com>");
        assert_eq!(
            got.addresses,
            vec![mb(Some("Doe, John"), "john@example.com")]
        );
    }

    /// RFC 5322 §3.4: an angle-addr cannot hold a `,` (only an obs-route
    /// of §4.4 can), so an unterminated `<` ends at the next `,`.
    #[test]
    fn unterminated_angle_ends_at_comma_rfc5322_3_4() {
        let got =
            parse("Joe <joe@example.org, local-only, <>, <@route.example:routed@example.org>");
        assert_eq!(
            got.addresses,
            vec![
                mb(Some("Joe"), "joe@example.org"),
                mb(None, "local-only"),
                mb(None, ""),
                mb(None, "routed@example.org"),
            ]
        );
        assert!(got.defects.contains(&Defect::UnterminatedToken));
        // The commas of an unterminated obs-route still separate route domains.
        let got = parse("<@a.example,@b.example:x@y.example");
        assert_eq!(got.addresses, vec![mb(None, "x@y.example")]);
        assert_eq!(got.defects, [Defect::UnterminatedToken]);
    }

    /// RFC 5322 §4.4 (RFC 822 practice): the comment after the address,
    /// not one before it, names a mailbox that has no phrase.
    #[test]
    fn trailing_comment_is_the_name_rfc5322_4_4() {
        let got = parse("(foo) a@b (bog)");
        assert_eq!(got.addresses, vec![mb(Some("bog"), "a@b")]);
        let got = parse("(foo) <a@b> (bar)");
        assert_eq!(got.addresses, vec![mb(Some("bar"), "a@b")]);
        let got = parse("(foo) a@b");
        assert_eq!(got.addresses, vec![mb(None, "a@b")]);
        let got = parse("a(local)@b");
        assert_eq!(got.addresses, vec![mb(None, "a@b")]);
    }

    /// RFC 5322 §3.2.2: a comment is CFWS, so inside a phrase it stands for a space.
    #[test]
    fn comment_in_phrase_is_a_space_rfc5322_3_2_2() {
        let got = parse("Fred A.(weird).O Johnson <a@b>");
        assert_eq!(got.addresses, vec![mb(Some("Fred A. .O Johnson"), "a@b")]);
        // A comment next to a space is still one space.
        let got = parse("bird (in (my|your)) \"hand\" is <a@b>");
        assert_eq!(got.addresses, vec![mb(Some("bird hand is"), "a@b")]);
    }

    #[test]
    fn damage_is_repaired_and_reported() {
        let got = parse("Joe <joe@example.com");
        assert_eq!(got.addresses, vec![mb(Some("Joe"), "joe@example.com")]);
        assert_eq!(got.defects, [Defect::UnterminatedToken]);
        let got = parse("\"unterminated <a@b>");
        assert_eq!(got.defects, [Defect::UnterminatedToken]);
        let got = parse("localonly");
        assert_eq!(got.addresses, vec![mb(None, "localonly")]);
        assert_eq!(got.defects, [Defect::MissingAddressDomain]);
        let got = parse("Group: a@b");
        let Address::Group(g) = &got.addresses[0] else {
            panic!()
        };
        assert_eq!(g.mailboxes.len(), 1);
        assert_eq!(got.defects, [Defect::InvalidAddress]);
    }

    /// RFC 5322 §3.4.1: a local part is a dot-atom or a quoted string;
    /// words without dots between them are quoted together and reported.
    #[test]
    fn glued_local_part_words_are_quoted_and_reported_rfc5322_3_4_1() {
        let got = parse("merwok  wok  @example.com");
        assert_eq!(got.addresses, vec![mb(None, "\"merwok wok\"@example.com")]);
        assert_eq!(got.defects, [Defect::InvalidAddress]);
        let got = parse("(foo) Roger ping@example.com");
        assert_eq!(got.addresses, vec![mb(None, "\"Roger ping\"@example.com")]);
        assert_eq!(got.defects, [Defect::InvalidAddress]);
        let got = parse("<say \"hi\"@example.com>");
        assert_eq!(got.addresses, vec![mb(None, "\"say hi\"@example.com")]);
        // Junk glued to the domain is dropped; a second `@` is reported.
        let got = parse("x@example.com[]");
        assert_eq!(got.addresses, vec![mb(None, "x@example.com")]);
        assert_eq!(got.defects, [Defect::InvalidAddress]);
        let got = parse("star@a.star@example.com");
        assert_eq!(got.addresses, vec![mb(None, "star@a.star@example.com")]);
        assert_eq!(got.defects, [Defect::InvalidAddress]);
        // Dots join words, with or without spaces (RFC 5322 §4.4 obs-local-part).
        for ok in ["merwok. wok .  wok@example.com", "\"a b\".c@example.com"] {
            let got = parse(ok);
            assert!(got.defects.is_empty(), "{ok:?}: {:?}", got.defects);
        }
    }

    /// RFC 5322 §3.4: a group ends with `;`.
    #[test]
    fn group_without_semicolon_is_reported_rfc5322_3_4() {
        let got = parse("Monty: a@b, c@d");
        let Address::Group(g) = &got.addresses[0] else {
            panic!("{got:?}")
        };
        assert_eq!(g.mailboxes.len(), 2);
        assert_eq!(got.defects, [Defect::InvalidAddress]);
        assert!(parse("Monty: a@b, c@d;").defects.is_empty());
    }
}
