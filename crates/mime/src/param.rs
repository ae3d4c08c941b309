//! Content-Type and Content-Disposition (RFC 2045 §5.1, RFC 2183) with
//! their parameters, RFC 2231 continuations (`name*0*=`, `name*1=`) and
//! charset/language (`charset'lang'%XX`), and, as real mail needs,
//! RFC 2047 encoded words inside quoted parameter values.

use std::borrow::Cow;
use std::sync::LazyLock;

use crate::Defect;
use crate::charset::decode_charset;
use crate::defect::push_once;
use crate::encoded_word::{decode_encoded_words, find_pair, raw_text};
use crate::header::unfold;

/// One parameter after RFC 2231 reassembly and decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param<'a> {
    /// The name, lower-cased, without `*` or section numbers; the names
    /// nearly all mail carries (`charset`, `boundary`, `name`, `filename`,
    /// ...) are shared, not allocated.
    pub name: Cow<'static, str>,
    /// The value, unquoted and decoded to UTF-8: borrowed from the
    /// header field when it is written as it reads (a token or a plain
    /// quoted string, the usual case: no allocation per boundary or file
    /// name), owned when it had to be decoded or reassembled.
    pub value: Cow<'a, str>,
    /// The RFC 2231 language tag, when one was given (`us-en`).
    pub language: Option<String>,
}

/// The parameters of a Content-Type or Content-Disposition, in the order
/// their names first appeared.
#[derive(Clone, Default)]
pub struct Params<'a> {
    list: ParamList<'a>,
}

/// Where a [`Params`] keeps its list: most lists are one parameter
/// (`boundary`, `name`, `charset`), held in place, and the commonest are
/// shared, so that most parts' parameters cost no list allocation.
#[derive(Clone)]
enum ParamList<'a> {
    /// A shared list: the `charset=us-ascii` of the RFC 2045 §5.2 default,
    /// or a lone common `charset` ([`SHARED_CHARSETS`]).
    Shared(&'static [Param<'static>]),
    /// A list of one.
    One(Param<'a>),
    /// Any other list (the empty one without an allocation).
    Many(Vec<Param<'a>>),
}

impl Default for ParamList<'_> {
    fn default() -> Self {
        ParamList::Many(Vec::new())
    }
}

impl<'a> Params<'a> {
    /// The list as a slice, however it is kept.
    fn as_slice(&self) -> &[Param<'a>] {
        match &self.list {
            ParamList::Shared(list) => list,
            ParamList::One(param) => std::slice::from_ref(param),
            ParamList::Many(list) => list,
        }
    }

    /// Appends a parameter: the first is kept in place, a second starts
    /// a list.
    fn push(&mut self, param: Param<'a>) {
        self.list = match std::mem::take(&mut self.list) {
            ParamList::Many(list) if list.is_empty() => ParamList::One(param),
            ParamList::One(first) => {
                let mut list = Vec::with_capacity(4);
                list.extend([first, param]);
                ParamList::Many(list)
            }
            ParamList::Many(mut list) => {
                list.push(param);
                ParamList::Many(list)
            }
            ParamList::Shared(shared) => {
                let mut list = shared.to_vec();
                list.push(param);
                ParamList::Many(list)
            }
        };
    }

    /// The list with its values owned (see [`ContentType::into_owned`]).
    fn into_owned(self) -> Params<'static> {
        let owned = |p: Param<'a>| Param {
            name: p.name,
            value: Cow::Owned(p.value.into_owned()),
            language: p.language,
        };
        let list = match self.list {
            ParamList::Shared(list) => ParamList::Shared(list),
            ParamList::One(param) => ParamList::One(owned(param)),
            ParamList::Many(list) => ParamList::Many(list.into_iter().map(owned).collect()),
        };
        Params { list }
    }

    /// A list from its parameters, kept in place when there is one.
    fn from_vec(mut list: Vec<Param<'a>>) -> Params<'a> {
        let list = match list.pop() {
            Some(param) if list.is_empty() => ParamList::One(param),
            Some(param) => {
                list.push(param);
                ParamList::Many(list)
            }
            None => ParamList::Many(list),
        };
        Params { list }
    }
}

/// Two lists are equal when they hold the same parameters in the same
/// order, however each is kept.
impl PartialEq for Params<'_> {
    fn eq(&self, other: &Params<'_>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Params<'_> {}

impl std::fmt::Debug for Params<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Params")
            .field("list", &self.as_slice())
            .finish()
    }
}

/// The parameters of the RFC 2045 §5.2 default Content-Type.
static DEFAULT_PARAMS: LazyLock<[Param<'static>; 1]> = LazyLock::new(|| {
    [Param {
        name: "charset".into(),
        value: "us-ascii".into(),
        language: None,
    }]
});

/// Charset values, as mail spells them, common enough that a parameter
/// list of that `charset` alone (`text/plain; charset=utf-8`, most text
/// parts) is shared, like the default's, instead of allocated per part.
const SHARED_CHARSETS: [&str; 16] = [
    "us-ascii",
    "US-ASCII",
    "utf-8",
    "UTF-8",
    "iso-8859-1",
    "ISO-8859-1",
    "windows-1252",
    "Windows-1252",
    "iso-8859-15",
    "ISO-8859-15",
    "windows-1251",
    "koi8-r",
    "iso-2022-jp",
    "ISO-2022-JP",
    "gb2312",
    "GB2312",
];

/// The one-parameter lists of [`SHARED_CHARSETS`], in the same order.
static SHARED_CHARSET_PARAMS: LazyLock<[[Param<'static>; 1]; SHARED_CHARSETS.len()]> =
    LazyLock::new(|| {
        SHARED_CHARSETS.map(|value| {
            [Param {
                name: "charset".into(),
                value: value.into(),
                language: None,
            }]
        })
    });

/// The shared list for `charset=value` alone, if `value` is one of
/// [`SHARED_CHARSETS`] (exactly: values keep their case).
fn shared_charset_params(value: &[u8]) -> Option<Params<'static>> {
    let i = SHARED_CHARSETS
        .iter()
        .position(|c| same_octets(c.as_bytes(), value))?;
    Some(Params {
        list: ParamList::Shared(&SHARED_CHARSET_PARAMS[i][..]),
    })
}

impl<'a> Params<'a> {
    /// The value of the parameter `name` (ASCII case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.as_slice()
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| &*p.value)
    }

    /// Every parameter.
    pub fn iter(&self) -> std::slice::Iter<'_, Param<'a>> {
        self.as_slice().iter()
    }

    /// The number of parameters.
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }
}

/// A parsed Content-Type (RFC 2045 §5.1). Its parameter values borrow
/// from the bytes it was read from where they are written as they read
/// ([`Param::value`]); [`ContentType::into_owned`] keeps it longer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentType<'a> {
    /// Lower case; borrowed for the common names (see [`lower_name`]).
    main: Cow<'static, str>,
    sub: Cow<'static, str>,
    params: Params<'a>,
}

impl Default for ContentType<'_> {
    /// `text/plain; charset=us-ascii`, the RFC 2045 §5.2 default.
    fn default() -> Self {
        ContentType {
            main: Cow::Borrowed("text"),
            sub: Cow::Borrowed("plain"),
            params: Params {
                list: ParamList::Shared(&DEFAULT_PARAMS[..]),
            },
        }
    }
}

impl<'a> ContentType<'a> {
    /// Parses a Content-Type value, as written (folds and all, RFC 5322
    /// §2.2.3) or unfolded. A value that is not `type/subtype` gives the
    /// RFC 2045 §5.2 default with [`Defect::InvalidContentType`].
    pub fn parse(value: &'a [u8], defects: &mut Vec<Defect>) -> ContentType<'a> {
        match ContentType::parse_plain(value) {
            Some(plain) => plain,
            None => ContentType::parse_general(value, defects),
        }
    }

    /// [`ContentType::parse`] of any value: unfolded, comments taken out,
    /// the parameters lexed and reassembled.
    fn parse_general(value: &[u8], defects: &mut Vec<Defect>) -> ContentType<'static> {
        let value = unfold(value);
        let (head, rest) = split_head(&value);
        // RFC 2045 §5.1 allows CFWS around the type and subtype (RFC 822
        // comments are allowed anywhere in a structured field); rarely written.
        let head: Cow<'_, [u8]> = if head.contains(&b'(') {
            Cow::Owned(strip_comments(head))
        } else {
            Cow::Borrowed(head)
        };
        match type_and_subtype(&head) {
            Some((main, sub)) => ContentType {
                main: lower_name(main),
                sub: lower_name(sub),
                params: parse_params(rest, defects).into_owned(),
            },
            None => {
                push_once(defects, Defect::InvalidContentType);
                ContentType::default()
            }
        }
    }

    /// The value as nearly all mail writes it (`type/subtype` and a
    /// [`plain_params`] list, no comments), read as it lies, without
    /// unfolding it first: the line breaks of a fold can only be in
    /// whitespace that the reading skips anyway (a `token` holds no CR or
    /// LF, and `plain_params` refuses a quoted value that does), so this
    /// reads a folded value as its unfolded form reads. Anything else
    /// gives `None`, for [`ContentType::parse`] to unfold and read in full.
    fn parse_plain(value: &'a [u8]) -> Option<ContentType<'a>> {
        let (main, sub, rest) = plain_head(value)?;
        let params = plain_params(rest)?;
        Some(ContentType {
            main: lower_name(main),
            sub: lower_name(sub),
            params,
        })
    }

    /// A content type with no parameters (`message/rfc822` in a digest, RFC 2046 §5.1.5).
    pub fn new(main: &str, sub: &str) -> ContentType<'a> {
        ContentType {
            main: lower_name(main.as_bytes()),
            sub: lower_name(sub.as_bytes()),
            params: Params::default(),
        }
    }

    /// The top-level type, lower case (`text`).
    pub fn main_type(&self) -> &str {
        &self.main
    }

    /// The subtype, lower case (`plain`).
    pub fn subtype(&self) -> &str {
        &self.sub
    }

    /// `type/subtype`, lower case.
    pub fn mime_type(&self) -> String {
        format!("{}/{}", self.main, self.sub)
    }

    /// True for `main/sub` (ASCII case-insensitive); `sub` may be `*`.
    pub fn is(&self, main: &str, sub: &str) -> bool {
        self.main.eq_ignore_ascii_case(main) && (sub == "*" || self.sub.eq_ignore_ascii_case(sub))
    }

    /// The parameters.
    pub fn params(&self) -> &Params<'a> {
        &self.params
    }

    /// The content type with its parameter values owned, to keep past the
    /// bytes it was read from.
    pub fn into_owned(self) -> ContentType<'static> {
        ContentType {
            main: self.main,
            sub: self.sub,
            params: self.params.into_owned(),
        }
    }

    /// The value of one parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name)
    }

    /// The `charset` parameter.
    pub fn charset(&self) -> Option<&str> {
        self.params.get("charset")
    }

    /// The `boundary` parameter of a multipart (RFC 2046 §5.1.1).
    pub fn boundary(&self) -> Option<&str> {
        self.params.get("boundary")
    }
}

/// A parsed Content-Disposition (RFC 2183 §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentDisposition<'a> {
    kind: String,
    params: Params<'a>,
}

impl<'a> ContentDisposition<'a> {
    /// Parses a Content-Disposition value, as written (folded) or
    /// unfolded. A disposition type that is empty or no `token` (RFC 2183
    /// §2) is kept as written, with [`Defect::InvalidContentDisposition`].
    pub fn parse(value: &'a [u8], defects: &mut Vec<Defect>) -> ContentDisposition<'a> {
        // As nearly all mail writes it: read as it lies (see
        // `ContentType::parse_plain`).
        let (head, rest) = split_head(value);
        let head = head.trim_ascii();
        if !head.is_empty()
            && is_token(head)
            && let Some(params) = plain_params(rest)
        {
            return ContentDisposition {
                kind: String::from_utf8_lossy(head).to_ascii_lowercase(),
                params,
            };
        }
        let value = unfold(value);
        let (head, rest) = split_head(&value);
        let head: Cow<'_, [u8]> = if head.contains(&b'(') {
            Cow::Owned(strip_comments(head))
        } else {
            Cow::Borrowed(head)
        };
        let head = head.trim_ascii();
        if head.is_empty() || !is_token(head) {
            push_once(defects, Defect::InvalidContentDisposition);
        }
        ContentDisposition {
            kind: String::from_utf8_lossy(head).to_ascii_lowercase(),
            params: parse_params(rest, defects).into_owned(),
        }
    }

    /// The disposition type, lower case (`inline`, `attachment`, ...).
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// True for `attachment` (RFC 2183 §2.2).
    pub fn is_attachment(&self) -> bool {
        self.kind == "attachment"
    }

    /// The parameters.
    pub fn params(&self) -> &Params<'a> {
        &self.params
    }

    /// The disposition with its parameter values owned, to keep past the
    /// bytes it was read from.
    pub fn into_owned(self) -> ContentDisposition<'static> {
        ContentDisposition {
            kind: self.kind,
            params: self.params.into_owned(),
        }
    }

    /// The `filename` parameter (RFC 2183 §2.3).
    pub fn filename(&self) -> Option<&str> {
        self.params.get("filename")
    }
}

/// A type or subtype name in lower case, as the RFC 2045 §5.1 names
/// compare (ignoring case); the common names are shared, not allocated.
fn lower_name(name: &[u8]) -> Cow<'static, str> {
    match common_type_name(name) {
        Some(common) => Cow::Borrowed(common),
        None => Cow::Owned(String::from_utf8_lossy(name).to_ascii_lowercase()),
    }
}

/// The common type or subtype name `name` is, ignoring case. The length
/// and the first and last letters pick the one candidate, which is then
/// compared once (a `match` on the lower-cased bytes compares every name
/// of the same length, each a `memcmp` call).
fn common_type_name(name: &[u8]) -> Option<&'static str> {
    let (&first, &last) = (name.first()?, name.last()?);
    let candidate = match (name.len(), first | 0x20, last | 0x20) {
        (4, b't', b't') => "text",
        (5, b'p', b'n') => "plain",
        (4, b'h', b'l') => "html",
        (9, b'm', b't') => "multipart",
        (5, b'm', b'd') => "mixed",
        (11, b'a', b'e') => "alternative",
        (7, b'r', b'd') => "related",
        (11, b'a', b'n') => "application",
        (12, b'o', b'm') => "octet-stream",
        (3, b'p', b'f') => "pdf",
        (5, b'i', b'e') => "image",
        (4, b'j', b'g') => "jpeg",
        (3, b'g', b'f') => "gif",
        (3, b'p', b'g') => "png",
        (7, b'm', b'e') => "message",
        (6, b'r', b'2') => "rfc822",
        (6, b'r', b't') => "report",
        (15, b'd', b's') => "delivery-status",
        (13, b'p', b'e') => "pgp-signature",
        (6, b's', b'd') => "signed",
        (6, b'd', b't') => "digest",
        (8, b'c', b'r') => "calendar",
        (8, b'e', b'd') => "enriched",
        (6, b'g', b'l') => "global",
        _ => return None,
    };
    same_lower(name, candidate).then_some(candidate)
}

/// True when `name` is `lower` ignoring ASCII case, where `lower` is a
/// common name: lower-case letters, digits and `-` only (see
/// [`same_lower_word`]).
#[inline]
fn same_lower(name: &[u8], lower: &str) -> bool {
    same_short(name, lower.as_bytes(), same_lower_word)
}

/// True when `a` and `b` are the same octets: for the short values of
/// [`SHARED_CHARSETS`], without a `memcmp` call.
#[inline]
fn same_octets(a: &[u8], b: &[u8]) -> bool {
    same_short(a, b, |x, y| x == y)
}

/// Compares `a` with `b` by `same`, eight octets at a time: slices of 4 to
/// 16 octets are two overlapping words each (the first and the last eight
/// or four), shorter and longer ones octet by octet, each octet as a word.
#[inline]
fn same_short(a: &[u8], b: &[u8], same: impl Fn(u64, u64) -> bool) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let word = |w: &[u8; 8]| u64::from_le_bytes(*w);
    let half = |w: &[u8; 4]| u64::from(u32::from_le_bytes(*w));
    match (a.first_chunk::<8>(), a.last_chunk::<8>()) {
        (Some(a_first), Some(a_last)) if a.len() <= 16 => {
            let (Some(b_first), Some(b_last)) = (b.first_chunk::<8>(), b.last_chunk::<8>()) else {
                return false;
            };
            same(word(a_first), word(b_first)) && same(word(a_last), word(b_last))
        }
        _ => match (a.first_chunk::<4>(), a.last_chunk::<4>()) {
            (Some(a_first), Some(a_last)) if a.len() < 8 => {
                let (Some(b_first), Some(b_last)) = (b.first_chunk::<4>(), b.last_chunk::<4>())
                else {
                    return false;
                };
                same(half(a_first), half(b_first)) && same(half(a_last), half(b_last))
            }
            _ => a
                .iter()
                .zip(b)
                .all(|(&x, &y)| same(u64::from(x), u64::from(y))),
        },
    }
}

/// True when the octets of `word` are those of `lower` ignoring ASCII
/// case, where `lower` holds lower-case letters, digits and `-` only. Of
/// those, only the letters have the 0x40 bit set, so `lower & 0x40…`
/// shifted down marks the letters' 0x20 (case) bit: an octet matches when
/// it differs from `lower`'s in that bit at most, that is, when it is the
/// same letter in either case, or the same digit or `-`.
#[inline]
fn same_lower_word(word: u64, lower: u64) -> bool {
    let case_bits = (lower & 0x4040_4040_4040_4040) >> 1;
    (word ^ lower) & !case_bits == 0
}

/// A lower-cased parameter name as [`Param::name`] keeps it: shared when
/// it is one of the common names.
fn shared_name<S: AsRef<str> + Into<String>>(name: S) -> Cow<'static, str> {
    match common_param_name(name.as_ref().as_bytes()) {
        Some(common) => Cow::Borrowed(common),
        None => Cow::Owned(name.into()),
    }
}

/// The parameter names nearly all mail carries, in lower case, for a
/// copy without the UTF-8 check a lower-cased copy of the name needs
/// (picked by length and first letter, then compared once, as in
/// [`common_type_name`]).
fn common_param_name(name: &[u8]) -> Option<&'static str> {
    let candidate = match (name.len(), name.first()? | 0x20) {
        (7, b'c') => "charset",
        (8, b'b') => "boundary",
        (4, b'n') => "name",
        (8, b'f') => "filename",
        (6, b'f') => "format",
        (5, b'd') => "delsp",
        (4, b't') => "type",
        _ => return None,
    };
    same_lower(name, candidate).then_some(candidate)
}

fn split_head(value: &[u8]) -> (&[u8], &[u8]) {
    match find_byte(value, b';') {
        Some(i) => (&value[..i], &value[i + 1..]),
        None => (value, &b""[..]),
    }
}

/// `type "/" subtype` (RFC 2045 §5.1), each a `token`, whitespace around
/// them skipped; `None` for anything else.
fn type_and_subtype(head: &[u8]) -> Option<(&[u8], &[u8])> {
    let head = head.trim_ascii();
    let slash = memchr::memchr(b'/', head)?;
    let main = head[..slash].trim_ascii();
    let sub = head[slash + 1..].trim_ascii();
    (!main.is_empty() && !sub.is_empty() && is_token(main) && is_token(sub)).then_some((main, sub))
}

/// `type "/" subtype` at the start of `value`, then `;` or the end
/// (RFC 2045 §5.1), whitespace around each part skipped: the type, the
/// subtype and what follows the `;`. One pass, where [`split_head`] and
/// [`type_and_subtype`] take four; the same answer where those find a
/// type and subtype, `None` for anything else (a comment, a stray octet,
/// no subtype), which the full reading then takes.
fn plain_head(value: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let s = value.trim_ascii_start();
    let (main, s) = s.split_at(token_len(s));
    let s = s.trim_ascii_start().strip_prefix(b"/")?.trim_ascii_start();
    let (sub, s) = s.split_at(token_len(s));
    if main.is_empty() || sub.is_empty() {
        return None;
    }
    match s.trim_ascii_start() {
        [] => Some((main, sub, &[])),
        [b';', rest @ ..] => Some((main, sub, rest)),
        _ => None,
    }
}

/// How many octets at the start of `s` are `token` octets.
fn token_len(s: &[u8]) -> usize {
    s.iter()
        .position(|&b| !TOKEN[usize::from(b)])
        .unwrap_or(s.len())
}

/// `token` (RFC 2045 §5.1): any CHAR except SPACE, CTLs and tspecials.
fn is_token(b: &[u8]) -> bool {
    b.iter().all(|&c| TOKEN[usize::from(c)])
}

/// The octets of a `token` (RFC 2045 §5.1), as a table: one load per
/// octet instead of a search of the tspecials.
const TOKEN: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = b' ' as usize + 1;
    while c < 127 {
        t[c] = true;
        c += 1;
    }
    let tspecials = b"()<>@,;:\\\"/[]?=";
    let mut i = 0;
    while i < tspecials.len() {
        t[tspecials[i] as usize] = false;
        i += 1;
    }
    t
};

/// One `name=value` as written, before RFC 2231 reassembly.
struct RawParam {
    base: String,
    section: Option<u32>,
    extended: bool,
    value: Vec<u8>,
    quoted: bool,
    order: usize,
}

/// Splits `; name=value; name="quoted"` lists (RFC 2045 §5.1). Lenient:
/// unquoted values may contain spaces, an unterminated quote runs to the
/// end, a name without `=` is skipped; each with a defect.
fn lex_params(mut s: &[u8], defects: &mut Vec<Defect>) -> Vec<RawParam> {
    let mut out = Vec::new();
    loop {
        s = skip_cfws_and_semicolons(s);
        if s.is_empty() {
            break;
        }
        let name_end = find_byte2(s, b'=', b';').unwrap_or(s.len());
        let name = s[..name_end].trim_ascii();
        if name_end == s.len() || s[name_end] == b';' {
            push_once(defects, Defect::InvalidParameter);
            s = &s[name_end..];
            continue;
        }
        s = s[name_end + 1..].trim_ascii_start();
        let (value, quoted) = if s.first() == Some(&b'"') {
            let first = find_byte2(&s[1..], b'\\', b'"');
            let (mut v, mut i, mut closed) = match first {
                // The usual value, without quoted-pairs: one copy.
                Some(k) if s[1 + k] == b'"' => (s[1..1 + k].to_vec(), k + 2, true),
                _ => (Vec::with_capacity(first.unwrap_or(s.len())), 1, false),
            };
            // Runs between quoted-pairs and the closing quote are copied whole.
            while !closed && i < s.len() {
                let Some(k) = find_byte2(&s[i..], b'\\', b'"') else {
                    v.extend_from_slice(&s[i..]);
                    i = s.len();
                    break;
                };
                v.extend_from_slice(&s[i..i + k]);
                let at = i + k;
                if s[at] == b'"' {
                    closed = true;
                    i = at + 1;
                    break;
                }
                match s.get(at + 1) {
                    // quoted-pair (RFC 5322 §3.2.1)
                    Some(&c) => {
                        v.push(c);
                        i = at + 2;
                    }
                    // A backslash that ends the value is kept.
                    None => {
                        v.push(b'\\');
                        i = at + 1;
                    }
                }
            }
            if !closed {
                push_once(defects, Defect::UnterminatedToken);
            }
            s = &s[i..];
            let skip = find_byte(s, b';').unwrap_or(s.len());
            s = &s[skip..];
            (v, true)
        } else {
            let end = find_byte(s, b';').unwrap_or(s.len());
            let v = trim_comments(&s[..end]).to_vec();
            s = &s[end..];
            (v, false)
        };
        if name.is_empty() {
            push_once(defects, Defect::InvalidParameter);
            continue;
        }
        // Lower-casing ASCII first reads the same as after the lossy
        // conversion (the other octets are untouched), in one copy.
        let name = name.to_ascii_lowercase();
        let mut name = match String::from_utf8(name) {
            Ok(name) => name,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        let extended = name.ends_with('*');
        if extended {
            name.pop();
        }
        let mut section = None;
        if let Some(star) = name.bytes().rposition(|b| b == b'*')
            && let Ok(n) = name[star + 1..].parse::<u32>()
        {
            section = Some(n);
            name.truncate(star);
        }
        let order = out.len();
        out.push(RawParam {
            base: name,
            section,
            extended,
            value,
            quoted,
            order,
        });
    }
    out
}

/// The end of the comment that opens at `s[0]` (just past its `)`), or
/// `None` when it is not closed. Comments nest and hold quoted-pairs
/// (RFC 5322 §3.2.2).
fn comment_end(s: &[u8]) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'\\' => i += 1,
            b'(' => depth += 1,
            b')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// `s` without its comments (each read as the space it stands for).
fn strip_comments(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'('
            && let Some(n) = comment_end(&s[i..])
        {
            out.push(b' ');
            i += n;
            continue;
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

/// An unquoted parameter value without the CFWS around it: `us-ascii
/// (Plain text)` is `us-ascii` (RFC 2045 §5.1 gives this example). A
/// comment inside the value is kept, as the lenient reading of unquoted
/// values with spaces (`my file (1).pdf`) needs, and so is a trailing
/// comment not set off by whitespace (`boundary=a(b)`).
fn trim_comments(v: &[u8]) -> &[u8] {
    let mut v = v.trim_ascii();
    // Leading comments.
    while v.first() == Some(&b'(') {
        match comment_end(v) {
            Some(n) => v = v[n..].trim_ascii_start(),
            None => break,
        }
    }
    // Trailing comments: the last closed comment ending the value.
    while v.last() == Some(&b')') {
        let mut cut = None;
        let mut i = 0;
        while i < v.len() {
            match v[i] {
                b'\\' => i += 2,
                b'(' => match comment_end(&v[i..]) {
                    Some(n) => {
                        // Only after whitespace: an unquoted `boundary=a(b)`
                        // (bchars, RFC 2046 §5.1.1) or `name=file(1)` is
                        // more likely a value than a comment.
                        if i + n == v.len() && matches!(v[..i].last(), Some(b' ' | b'\t')) {
                            cut = Some(i);
                        }
                        i += n;
                    }
                    None => break,
                },
                _ => i += 1,
            }
        }
        match cut {
            Some(c) => v = v[..c].trim_ascii_end(),
            None => break,
        }
    }
    v
}

fn skip_cfws_and_semicolons(mut s: &[u8]) -> &[u8] {
    loop {
        s = s.trim_ascii_start();
        match s.first() {
            Some(b';') => s = &s[1..],
            Some(b'(') => {
                let mut depth = 0usize;
                let mut i = 0;
                while i < s.len() {
                    match s[i] {
                        b'\\' => i += 1,
                        b'(' => depth += 1,
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                s = &s[(i + 1).min(s.len())..];
            }
            _ => return s,
        }
    }
}

fn percent_decode_into(v: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < v.len() {
        if v[i] == b'%' && i + 2 < v.len() {
            let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
            if let (Some(h), Some(l)) = (hex(v[i + 1]), hex(v[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(v[i]);
        i += 1;
    }
}

/// Splits `charset'language'rest` (RFC 2231 §4); `None` without two quotes.
fn split_charset_lang(v: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let a = memchr::memchr(b'\'', v)?;
    let b = a + 1 + memchr::memchr(b'\'', &v[a + 1..])?;
    Some((&v[..a], &v[a + 1..b], &v[b + 1..]))
}

/// Parses and reassembles the parameter list after the `;` (RFC 2231 §3-4).
pub(crate) fn parse_params<'v>(s: &'v [u8], defects: &mut Vec<Defect>) -> Params<'v> {
    if let Some(list) = plain_params(s) {
        return list;
    }
    parse_params_general(s, defects)
}

/// [`parse_params`] for any list: lexed, then reassembled.
fn parse_params_general(s: &[u8], defects: &mut Vec<Defect>) -> Params<'static> {
    let mut raw = lex_params(s, defects);
    if raw.is_empty() {
        return Params::default();
    }
    // The usual case, plain RFC 2045 parameters without RFC 2231 sections
    // or charsets and without encoded words: each name keeps its first
    // value, in the order the names appeared, and the value bytes become
    // the string without a copy. (Decoding them reports no defects, so the
    // order they are decoded in does not matter.)
    if raw
        .iter()
        .all(|p| p.section.is_none() && !p.extended && !has_encoded_word(&p.value))
    {
        // Keep the first of each name, in order, then turn each into a
        // `Param` (the two have the same size, so the list is converted in place).
        let mut kept = 0;
        for i in 0..raw.len() {
            if !raw[..kept].iter().any(|q| q.base == raw[i].base) {
                raw.swap(kept, i);
                kept += 1;
            }
        }
        raw.truncate(kept);
        let list = raw
            .into_iter()
            .map(|p| Param {
                name: shared_name(p.base),
                value: Cow::Owned(raw_string(p.value)),
                language: None,
            })
            .collect();
        return Params::from_vec(list);
    }
    // Group by name, keeping first appearance; sort sections inside each group.
    raw.sort_by(|a, b| {
        a.base
            .cmp(&b.base)
            .then(a.section.cmp(&b.section))
            .then(a.order.cmp(&b.order))
    });
    let mut list: Vec<(usize, Param)> = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        let mut j = i;
        while j < raw.len() && raw[j].base == raw[i].base {
            j += 1;
        }
        let group = &raw[i..j];
        let order = group.iter().map(|p| p.order).min().unwrap_or(0);
        let name = group[0].base.as_str();
        let sections: Vec<&RawParam> = group.iter().filter(|p| p.section.is_some()).collect();
        let plain_ext = group.iter().find(|p| p.section.is_none() && p.extended);
        let plain = group.iter().find(|p| p.section.is_none() && !p.extended);
        let param = if !sections.is_empty() {
            Some(assemble(name, &sections, defects))
        } else if let Some(p) = plain_ext {
            Some(assemble(name, &[p], defects))
        } else {
            plain.map(|p| {
                let value = if p.quoted || has_encoded_word(&p.value) {
                    decode_encoded_words(&p.value, defects).into_owned()
                } else {
                    raw_text(&p.value).into_owned()
                };
                Param {
                    name: shared_name(name),
                    value: Cow::Owned(value),
                    language: None,
                }
            })
        };
        if let Some(param) = param {
            list.push((order, param));
        }
        i = j;
    }
    list.sort_by_key(|(order, _)| *order);
    Params::from_vec(list.into_iter().map(|(_, p)| p).collect())
}

/// The parameter list in one pass when it is what nearly all mail
/// writes: `name=token` or `name="text"`, names without RFC 2231 `*`
/// (a name repeated keeps its first value), quoted values without
/// quoted-pairs, encoded words or line breaks, nothing but whitespace and
/// `;` between parameters. Anything else gives `None`
/// and takes the general path ([`lex_params`] and the reassembly), which
/// reads these lists the same (a test compares the two): no defects, each
/// value as written.
fn plain_params(mut s: &[u8]) -> Option<Params<'_>> {
    let mut list = Params::default();
    loop {
        s = skip_separators(s);
        if s.is_empty() {
            return Some(list);
        }
        let name_len = s.iter().position(|&b| !PLAIN_NAME[usize::from(b)])?;
        if name_len == 0 || s[name_len] != b'=' {
            return None;
        }
        let name = &s[..name_len];
        s = s[name_len + 1..].trim_ascii_start();
        let value = if let Some(quoted) = s.strip_prefix(b"\"") {
            let end = plain_quoted_len(quoted)?;
            s = &quoted[end + 1..];
            &quoted[..end]
        } else {
            let end = s
                .iter()
                .position(|&b| !TOKEN[usize::from(b)])
                .unwrap_or(s.len());
            let value = &s[..end];
            s = &s[end..];
            value
        };
        s = s.trim_ascii_start();
        if !(s.is_empty() || s[0] == b';') {
            return None;
        }
        // A name seen before keeps its first value (as the general path
        // keeps it, without a defect): Outlook writes `name=` twice.
        if list
            .iter()
            .any(|p| p.name.as_bytes().eq_ignore_ascii_case(name))
        {
            continue;
        }
        let common = common_param_name(name);
        // `charset=utf-8` alone, the list of most text parts: shared.
        if list.is_empty()
            && common == Some("charset")
            && skip_separators(s).is_empty()
            && let Some(shared) = shared_charset_params(value)
        {
            return Some(shared);
        }
        // A token is ASCII: a common name is copied, any other lower-cased.
        let name = match common {
            Some(common) => Cow::Borrowed(common),
            None => Cow::Owned(String::from_utf8(name.to_ascii_lowercase()).ok()?),
        };
        list.push(Param {
            name,
            value: raw_text(value),
            language: None,
        });
    }
}

/// The octets of a parameter name [`plain_params`] reads: a `token`
/// without `*`, which marks an RFC 2231 name for the full reading.
const PLAIN_NAME: [bool; 256] = {
    let mut t = TOKEN;
    t[b'*' as usize] = false;
    t
};

/// The length of a quoted value that [`plain_params`] can take as it is
/// (`quoted` starts after the opening quote): up to the closing quote,
/// with no quoted-pair (RFC 5322 §3.2.4), no line break (a fold, RFC 5322
/// §2.2.3, which unfolding takes out) and no `=?` (an RFC 2047 encoded
/// word, which the general path decodes); `None` otherwise. One pass, one
/// table load per octet: most values are a boundary or a file name of a
/// few dozen octets, too short for a vector search to pay three times.
fn plain_quoted_len(quoted: &[u8]) -> Option<usize> {
    let mut i = 0;
    loop {
        let &b = quoted.get(i)?;
        if !QUOTED_STOP[usize::from(b)] {
            i += 1;
            continue;
        }
        match b {
            b'"' => return Some(i),
            b'=' if quoted.get(i + 1) != Some(&b'?') => i += 1,
            _ => return None,
        }
    }
}

/// The octets [`plain_quoted_len`] stops at.
const QUOTED_STOP: [bool; 256] = {
    let mut t = [false; 256];
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t[b'\r' as usize] = true;
    t[b'\n' as usize] = true;
    t[b'=' as usize] = true;
    t
};

/// True when `=?` (the start of an RFC 2047 encoded word) occurs.
fn has_encoded_word(v: &[u8]) -> bool {
    if v.len() < SHORT {
        return v.windows(2).any(|w| w == b"=?");
    }
    find_pair(v, b'=', b'?').is_some()
}

/// Below this length a plain loop finds a byte in fewer instructions
/// than `memchr`, whose dispatch and alignment set-up are made for long
/// haystacks; parameter names and values are mostly this short.
const SHORT: usize = 32;

/// The first `a` in `s` (see [`SHORT`]).
fn find_byte(s: &[u8], a: u8) -> Option<usize> {
    if s.len() < SHORT {
        s.iter().position(|&c| c == a)
    } else {
        memchr::memchr(a, s)
    }
}

/// The first `a` or `b` in `s` (see [`SHORT`]).
fn find_byte2(s: &[u8], a: u8, b: u8) -> Option<usize> {
    if s.len() < SHORT {
        s.iter().position(|&c| c == a || c == b)
    } else {
        memchr::memchr2(a, b, s)
    }
}

/// `s` past the whitespace and `;` between parameters.
fn skip_separators(mut s: &[u8]) -> &[u8] {
    s = s.trim_ascii_start();
    while let Some(rest) = s.strip_prefix(b";") {
        s = rest.trim_ascii_start();
    }
    s
}

/// [`raw_text`] of bytes the caller owns: no copy when they are UTF-8.
fn raw_string(v: Vec<u8>) -> String {
    match String::from_utf8(v) {
        Ok(s) => s,
        Err(e) => raw_text(e.as_bytes()).into_owned(),
    }
}

/// Joins RFC 2231 sections (already sorted) and decodes them.
fn assemble(name: &str, sections: &[&RawParam], defects: &mut Vec<Defect>) -> Param<'static> {
    let mut bytes = Vec::new();
    let mut charset: Option<&[u8]> = None;
    let mut language = None;
    let mut expected = 0u32;
    for (k, p) in sections.iter().enumerate() {
        if let Some(n) = p.section {
            if n != expected {
                push_once(defects, Defect::BrokenParameterContinuation);
            }
            expected = n.saturating_add(1);
        }
        let mut value = &p.value[..];
        if k == 0 && p.extended {
            match split_charset_lang(value) {
                Some((cs, lang, rest)) => {
                    if !cs.is_empty() {
                        charset = Some(cs);
                    }
                    if !lang.is_empty() {
                        language = Some(String::from_utf8_lossy(lang).into_owned());
                    }
                    value = rest;
                }
                None => push_once(defects, Defect::InvalidParameter),
            }
        }
        if p.extended {
            percent_decode_into(value, &mut bytes);
        } else {
            bytes.extend_from_slice(value);
        }
    }
    let value: Cow<'_, str> = match charset {
        Some(cs) => decode_charset(cs, &bytes, defects),
        None => raw_text(&bytes),
    };
    Param {
        name: shared_name(name),
        value: Cow::Owned(value.into_owned()),
        language,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-pass reading of plain lists gives what the general path
    /// gives (RFC 2045 §5.1), and leaves everything else to it.
    #[test]
    fn plain_parameter_lists_read_as_the_general_path_reads_them_rfc2045_5_1() {
        let lists: &[&[u8]] = &[
            b"",
            b" ; ",
            b"charset=us-ascii",
            b" charset=\"UTF-8\" ; format=flowed;delsp=yes",
            b"boundary=\"----=_Part_1_2.3\"",
            b"boundary=----=_Part_1",
            b"name=\"caf\xc3\xa9.pdf\"",
            b"name=\"caf\xe9.pdf\"",
            b"name=",
            b"name=;x=1",
            b"Name=A; NAME=b",
            b"a=1; a=2",
            b"a=\"x\\\"y\"",
            b"a=\"unterminated",
            b"a=\"x\" trailing; b=2",
            b"a = 1",
            b"a=1 (comment)",
            b"(c) a=1",
            b"a*=utf-8''x%20y",
            b"a*0=x; a*1=y",
            b"a=\"=?utf-8?q?x?=\"",
            b"a=x y",
            b"=x",
            b"a",
            b"a=1;;;b=2;",
            b"a=\xff",
        ];
        for &list in lists {
            let mut fast = Vec::new();
            let mut general = Vec::new();
            assert_eq!(
                parse_params(list, &mut fast),
                parse_params_general(list, &mut general),
                "{:?}",
                String::from_utf8_lossy(list)
            );
            assert_eq!(fast, general, "{:?}", String::from_utf8_lossy(list));
            if plain_params(list).is_some() {
                assert!(general.is_empty());
            }
        }
        assert!(plain_params(b"charset=us-ascii; format=flowed").is_some());
        // Outlook's repeated `name=`: the first value, on the plain path.
        let twice = plain_params(b"name=\"test.pdf\"; NAME=\"other.pdf\"").unwrap();
        assert_eq!((twice.len(), twice.get("name")), (1, Some("test.pdf")));
        assert!(plain_params(b"a*0=x").is_none());
    }

    /// A list of one common `charset` alone is shared, not allocated, and
    /// reads as the general path reads it (RFC 2045 §5.1): quoted or not,
    /// any case of the name, separators after it; a value of another case
    /// or a second parameter gives a list of its own.
    #[test]
    fn lone_common_charset_lists_are_shared_and_read_the_same_rfc2045_5_1() {
        for value in SHARED_CHARSETS {
            for list in [
                format!("charset={value}"),
                format!(" Charset=\"{value}\" ;; "),
                format!("CHARSET={value};"),
            ] {
                let mut d = Vec::new();
                let params = parse_params(list.as_bytes(), &mut d);
                assert!(matches!(params.list, ParamList::Shared(_)), "{list}");
                assert_eq!(params, parse_params_general(list.as_bytes(), &mut d));
                assert_eq!(params.get("charset"), Some(value));
                assert!(d.is_empty());
            }
        }
        for list in [
            &b"charset=Utf-8"[..],
            b"charset=utf-8; format=flowed",
            b"format=flowed; charset=utf-8",
            b"charset=utf-8 x",
            b"charset=\"utf-8 \"",
            b"name=utf-8",
        ] {
            let mut d = Vec::new();
            let params = parse_params(list, &mut d);
            assert!(!matches!(params.list, ParamList::Shared(_)), "{list:?}");
            assert_eq!(params, parse_params_general(list, &mut d), "{list:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn plain_parameter_lists_match_the_general_path_on_any_input(
            list in proptest::collection::vec(
                proptest::sample::select(b"aB=;\" \t\\*(?)x-\xe9/0".to_vec()), 0..40),
        ) {
            let mut fast = Vec::new();
            let mut general = Vec::new();
            proptest::prop_assert_eq!(
                parse_params(&list, &mut fast),
                parse_params_general(&list, &mut general)
            );
            proptest::prop_assert_eq!(fast, general);
        }
    }

    /// Folding whitespace and stray line breaks, for the proptest below.
    const FOLDS: [&[u8]; 6] = [b"", b" ", b"\r\n ", b"\n\t", b"\r\n", b"\r"];

    /// Pieces of Content-Type and Content-Disposition values.
    const PIECES: [&[u8]; 29] = [
        b"text",
        b"/",
        b"plain",
        b"multipart",
        b"mixed",
        b";",
        b" ",
        b"\t",
        b"\r\n ",
        b"\n\t",
        b"\r\n",
        b"\r",
        b"\n",
        b"=",
        b"\"",
        b"\\",
        b"boundary",
        b"charset",
        b"name",
        b"utf-8",
        b"(c)",
        b"*0",
        b"*",
        b"'",
        b"=?utf-8?q?x?=",
        b"\xe9",
        b"attachment",
        b"filename",
        b"a.pdf",
    ];

    use proptest::strategy::Strategy as _;

    /// Content-Type and Content-Disposition values, as the proptests
    /// below read them: loose pieces, or a head and a parameter list with
    /// folds, quotes and, now and then, a missing `;`.
    fn content_values() -> impl proptest::strategy::Strategy<Value = Vec<&'static [u8]>> {
        proptest::prop_oneof![
            // Loose pieces in any order.
            proptest::collection::vec(proptest::sample::select(PIECES.to_vec()), 0..24),
            // A type and a parameter list, folds between and inside.
            (
                proptest::sample::select(vec![
                    &b"text/plain"[..],
                    b" multipart/mixed",
                    b"text /\r\n html",
                    b"bad",
                    b"text/(c)plain",
                    b"attachment",
                    b"inline\r\n\t",
                ]),
                proptest::collection::vec(
                    (
                        // A `;` most often, now and then none.
                        proptest::sample::select(vec![&b";"[..], b";", b";", b" ", b""]),
                        proptest::sample::select(FOLDS.to_vec()),
                        proptest::sample::select(vec![
                            &b"boundary"[..],
                            b"Charset",
                            b"name",
                            b"filename*0",
                            b"x",
                        ]),
                        proptest::sample::select(FOLDS.to_vec()),
                        proptest::collection::vec(proptest::sample::select(PIECES.to_vec()), 0..4,),
                        proptest::prelude::any::<bool>(),
                    ),
                    0..4,
                ),
            )
                .prop_map(|(head, params): (&[u8], Vec<_>)| {
                    let mut v = vec![head];
                    for (separator, fold, name, fold2, value, quoted) in params {
                        v.extend([separator, fold, name, b"=", fold2]);
                        if quoted {
                            v.push(b"\"");
                        }
                        v.extend(value);
                        if quoted {
                            v.push(b"\"");
                        }
                    }
                    v
                }),
        ]
    }

    proptest::proptest! {
        /// A value as written, folds and all, reads as its unfolded form
        /// (RFC 5322 §2.2.3), fast path or not: same type, parameters and
        /// defects.
        #[test]
        fn folded_values_read_as_unfolded_rfc5322_2_2_3(
            pieces in content_values(),
        ) {
            let value = pieces.concat();
            let unfolded = unfold(&value);
            let (mut d1, mut d2) = (Vec::new(), Vec::new());
            proptest::prop_assert_eq!(
                ContentType::parse(&value, &mut d1),
                ContentType::parse(&unfolded, &mut d2)
            );
            proptest::prop_assert_eq!(&d1, &d2);
            let (mut d1, mut d2) = (Vec::new(), Vec::new());
            proptest::prop_assert_eq!(
                ContentDisposition::parse(&value, &mut d1),
                ContentDisposition::parse(&unfolded, &mut d2)
            );
            proptest::prop_assert_eq!(d1, d2);
        }
    }

    proptest::proptest! {
        /// The one-pass reading of plain values gives what the full
        /// reading gives (RFC 2045 §5.1), whenever it gives anything.
        #[test]
        fn plain_content_types_read_as_the_full_path_reads_them(
            pieces in content_values(),
        ) {
            let value = pieces.concat();
            if let Some(plain) = ContentType::parse_plain(&value) {
                let mut d = Vec::new();
                proptest::prop_assert_eq!(plain, ContentType::parse_general(&value, &mut d));
                proptest::prop_assert!(d.is_empty());
            }
        }
    }

    /// A folded boundary parameter, as Outlook writes it, is read without
    /// unfolding (RFC 5322 §2.2.3, RFC 2046 §5.1.1); a fold inside the
    /// quotes is taken out.
    #[test]
    fn folded_parameters_read_in_place_rfc5322_2_2_3() {
        let raw = b" multipart/related;\r\n\tboundary=\"----=_NextPart_000_08F0\"";
        assert!(ContentType::parse_plain(raw).is_some());
        let (t, d) = ct(std::str::from_utf8(raw).unwrap());
        assert_eq!(t.mime_type(), "multipart/related");
        assert_eq!(t.boundary(), Some("----=_NextPart_000_08F0"));
        assert!(d.is_empty());
        let raw = b"text/plain; name=\"a\r\n b.txt\"";
        assert!(ContentType::parse_plain(raw).is_none());
        assert_eq!(
            ct(std::str::from_utf8(raw).unwrap()).0.param("name"),
            Some("a b.txt")
        );
    }

    fn ct(s: &str) -> (ContentType<'_>, Vec<Defect>) {
        let mut d = Vec::new();
        (ContentType::parse(s.as_bytes(), &mut d), d)
    }

    /// The type and subtype names `common_type_name` knows.
    const COMMON_TYPE_NAMES: [&str; 24] = [
        "text",
        "plain",
        "html",
        "multipart",
        "mixed",
        "alternative",
        "related",
        "application",
        "octet-stream",
        "image",
        "jpeg",
        "png",
        "gif",
        "pdf",
        "message",
        "rfc822",
        "report",
        "delivery-status",
        "pgp-signature",
        "signed",
        "digest",
        "calendar",
        "enriched",
        "global",
    ];

    /// The parameter names `common_param_name` knows.
    const COMMON_PARAM_NAMES: [&str; 7] = [
        "charset", "boundary", "name", "filename", "format", "delsp", "type",
    ];

    /// Type, subtype and parameter names compare ignoring case (RFC 2045
    /// §5.1): the common ones, in any case, are their shared lower-case
    /// form; others are lower-cased copies.
    #[test]
    fn common_names_are_shared_in_any_case_rfc2045_5_1() {
        for name in COMMON_TYPE_NAMES {
            for written in [name.to_owned(), name.to_ascii_uppercase(), capitalise(name)] {
                let lower = lower_name(written.as_bytes());
                assert!(matches!(lower, Cow::Borrowed(_)), "{written}");
                assert_eq!(lower, name);
            }
        }
        for name in COMMON_PARAM_NAMES {
            for written in [name.to_owned(), name.to_ascii_uppercase(), capitalise(name)] {
                assert_eq!(common_param_name(written.as_bytes()), Some(name));
            }
        }
        for other in [
            "x-Custom",
            "Texts",
            "tex",
            "plainx",
            "VND.MS-Excel",
            "text\0",
            "vnd.openxmlformats-officedocument",
            "tegt",
            "Alternatixe",
            "pnf",
        ] {
            let lower = lower_name(other.as_bytes());
            assert!(matches!(lower, Cow::Owned(_)), "{other}");
            assert_eq!(lower, other.to_ascii_lowercase());
            assert_eq!(common_param_name(other.as_bytes()), None);
        }
        assert_eq!(common_param_name(b"charsets"), None);
        assert_eq!(common_param_name(b"nam"), None);
    }

    /// The word-at-a-time comparison of names agrees with the octet-wise
    /// one for every octet value at every position of every common name.
    #[test]
    fn common_name_comparison_agrees_with_octet_wise_rfc2045_5_1() {
        let others = ["a", "ab", "abc", "x-seventeen-octets"];
        let names = COMMON_TYPE_NAMES
            .iter()
            .chain(&COMMON_PARAM_NAMES)
            .chain(&others);
        for lower in names {
            assert!(
                lower
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            );
            for at in 0..lower.len() {
                for b in 0..=u8::MAX {
                    let mut name = lower.as_bytes().to_vec();
                    name[at] = b;
                    let octet_wise = name.to_ascii_lowercase() == lower.as_bytes();
                    assert_eq!(same_lower(&name, lower), octet_wise, "{lower} {at} {b:#x}");
                }
            }
            assert!(!same_lower(&lower.as_bytes()[1..], lower));
        }
        for value in SHARED_CHARSETS
            .iter()
            .chain(&["a", "abc", "seventeen-octets!"])
        {
            let value = value.as_bytes();
            for at in 0..value.len() {
                for b in 0..=u8::MAX {
                    let mut other = value.to_vec();
                    other[at] = b;
                    assert_eq!(
                        same_octets(&other, value),
                        other == value,
                        "{value:?} {at} {b:#x}"
                    );
                }
            }
            assert!(!same_octets(&value[1..], value));
        }
    }

    fn capitalise(s: &str) -> String {
        let mut s = s.to_owned();
        s[..1].make_ascii_uppercase();
        s
    }

    #[test]
    fn content_type_basics_rfc2045_5_1() {
        let (c, d) = ct("Text/HTML; Charset=\"UTF-8\"; format=flowed (comment)");
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(c.mime_type(), "text/html");
        assert_eq!(c.charset(), Some("UTF-8"));
        // RFC 2045 §5.1: the comment after a value is CFWS, not value.
        assert_eq!(c.param("FORMAT"), Some("flowed"));
        let (c, _) = ct("multipart/mixed; boundary=\"a\\\"b\"");
        assert_eq!(c.boundary(), Some("a\"b"));
    }

    /// RFC 2045 §5.1's own example: `charset=us-ascii (Plain text)`.
    #[test]
    fn comment_after_parameter_value_is_not_value_rfc2045_5_1() {
        let (c, d) = ct("text/plain; charset=us-ascii (Plain text)");
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(c.charset(), Some("us-ascii"));
        let (c, _) = ct("text/plain; charset=(lead) utf-8 (a)\t(b) ; name=my file (1).txt");
        assert_eq!(c.charset(), Some("utf-8"));
        assert_eq!(c.param("name"), Some("my file (1).txt"));
        let (c, _) = ct("multipart/mixed; boundary=a(b)");
        assert_eq!(c.boundary(), Some("a(b)"));
        let (c, _) = ct("text/plain; charset=\"utf-8\" (quoted)");
        assert_eq!(c.charset(), Some("utf-8"));
    }

    /// RFC 2045 §5.1: CFWS may surround the type, the `/` and the subtype.
    #[test]
    fn comments_around_type_and_subtype_rfc2045_5_1() {
        let (c, d) = ct("(foo) text (bar)/(baz)plain(stuff)");
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(c.mime_type(), "text/plain");
        let (c, d) = ct("text/html (markup); charset=utf-8");
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(c.mime_type(), "text/html");
        assert_eq!(c.charset(), Some("utf-8"));
        // A comment does not join two words into one type.
        let (c, d) = ct("te(x)xt/plain");
        assert_eq!(c.mime_type(), "text/plain");
        assert_eq!(d, [Defect::InvalidContentType]);
    }

    #[test]
    fn invalid_content_type_defaults_rfc2045_5_2() {
        let (c, d) = ct("garbage");
        assert_eq!(c.mime_type(), "text/plain");
        assert_eq!(d, [Defect::InvalidContentType]);
    }

    /// RFC 2231 §3: parameter value continuations.
    #[test]
    fn continuations_rfc2231_3() {
        let (c, d) = ct(
            "message/external-body; access-type=URL;\r\n URL*0=\"ftp://\";\r\n URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"",
        );
        assert!(d.is_empty());
        assert_eq!(
            c.param("url"),
            Some("ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar")
        );
        assert_eq!(c.param("access-type"), Some("URL"));
    }

    /// RFC 2231 §4: charset and language.
    #[test]
    fn charset_and_language_rfc2231_4() {
        let (c, _) =
            ct("application/x-stuff; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A");
        assert_eq!(c.param("title"), Some("This is ***fun***"));
        assert_eq!(
            c.params().iter().next().unwrap().language.as_deref(),
            Some("en-us")
        );
    }

    /// RFC 2231 §4.1: combining continuations with charsets.
    #[test]
    fn continuations_with_charset_rfc2231_4_1() {
        let (c, d) = ct(
            "application/x-stuff; title*0*=us-ascii'en'This%20is%20even%20more%20; title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2=\"isn't it!\"",
        );
        assert!(d.is_empty());
        assert_eq!(
            c.param("title"),
            Some("This is even more ***fun*** isn't it!")
        );
    }

    #[test]
    fn utf8_filename_out_of_order_sections() {
        let mut d = Vec::new();
        let cd = ContentDisposition::parse(
            b"attachment; filename*1*=%A9.txt; filename*0*=utf-8''caf%C3",
            &mut d,
        );
        assert!(cd.is_attachment());
        assert_eq!(cd.filename(), Some("café.txt"));
        assert!(d.is_empty());
    }

    /// RFC 2183 §2: `disposition := "Content-Disposition" ":"
    /// disposition-type *(";" disposition-parm)`, the type a token.
    #[test]
    fn empty_or_non_token_disposition_is_reported_rfc2183_2() {
        for value in ["", " ; filename=a", "ab./k", "ab./k; filename=\"foo\""] {
            let mut d = Vec::new();
            ContentDisposition::parse(value.as_bytes(), &mut d);
            assert_eq!(d, [Defect::InvalidContentDisposition], "{value:?}");
        }
        let mut d = Vec::new();
        let cd = ContentDisposition::parse(b"(c) Attachment (x); filename=a", &mut d);
        assert!(d.is_empty(), "{d:?}");
        assert!(cd.is_attachment());
        assert_eq!(cd.filename(), Some("a"));
    }

    #[test]
    fn gap_in_sections_is_a_defect() {
        let (c, d) = ct("text/plain; a*0=x; a*2=z");
        assert_eq!(c.param("a"), Some("xz"));
        assert_eq!(d, [Defect::BrokenParameterContinuation]);
    }

    #[test]
    fn rfc2047_in_quoted_name_and_lenient_values() {
        let (c, _) = ct("application/pdf; name=\"=?utf-8?B?w6kucGRm?=\"");
        assert_eq!(c.param("name"), Some("é.pdf"));
        let (c, _) = ct("application/pdf; name=my file.pdf");
        assert_eq!(c.param("name"), Some("my file.pdf"));
        let (c, d) = ct("text/plain; charset=\"utf-8");
        assert_eq!(c.charset(), Some("utf-8"));
        assert_eq!(d, [Defect::UnterminatedToken]);
        let (c, d) = ct("text/plain; junk; charset=utf-8");
        assert_eq!(c.charset(), Some("utf-8"));
        assert_eq!(d, [Defect::InvalidParameter]);
    }
}
