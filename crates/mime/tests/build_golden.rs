//! The builder's exact output pinned for a wide, deterministic set of
//! messages: every header form (atoms, quoted strings, encoded words, raw
//! UTF-8, RFC 2231 parameters), every transfer encoding (7bit, 8bit,
//! quoted-printable, base64) on text in any line-break convention, and
//! every structure. The hashes were taken from the builder before its
//! speed work, so any change to the bytes written fails here (RFC 5322,
//! RFC 2045 §6, RFC 2046 §5.1).

use std::io::Read;

use postwire_mime::build::{Attachment, MessageBuilder};

/// FNV-1a, 64 bits: stable across Rust versions, unlike `DefaultHasher`.
fn fnv(hash: &mut u64, bytes: &[u8]) {
    for &b in bytes {
        *hash ^= u64::from(b);
        *hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.below(list.len())]
    }
}

const NAMES: &[&str] = &[
    "",
    "Bob",
    "John Doe",
    "Joe Q. Public",
    "Zoë Müller",
    "a \"b\" \\c",
    "=?utf-8?q?x?=",
    "日本語の名前",
    "  padded  ",
    "Jörg Überweisungsbestätigung-Sachbearbeiter für den Zahlungsverkehr International",
    "Very Long Plain Ascii Name That Goes On And On Beyond Any Reasonable Length For A Name",
    "tab\tname",
    "x",
];

const ADDRESSES: &[&str] = &[
    "bob@example.org",
    "carol@example.net",
    "jörg@exämple.org",
    "\"john doe\"@example.org",
    "user@[192.0.2.1]",
    "x+tag@sub.example.co",
    "a-very-long-local-part-for-folding-purposes@a-rather-long-domain-name.example.com",
];

const SUBJECTS: &[&str] = &[
    "Hello world",
    "Quartalsbericht — Grüße aus Köln",
    "Re: café au lait",
    "déjà vu",
    " lead",
    "trail ",
    "   ",
    "a  b",
    "=?utf-8?q?x?=",
    "tab\there",
    "ctl\u{1}x",
    "a                          b",
    "日本語のテキスト日本語のテキスト日本語のテキスト日本語のテキスト日本語のテキスト",
    "A long ASCII subject line that certainly needs folding because it is much longer than seventy-eight octets in all",
    "Mixed Überschrift with some ASCII words and then more Ümlaute über the line length limit of the field",
    "averyveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryverylongword",
    "",
];

const LINES: &[&str] = &[
    "Grüße aus Köln: the quarterly report is attached, numbers as discussed.",
    "plain ascii line",
    "trailing space ",
    "trailing tab\t",
    "a=b=c equals",
    "",
    "tabs\tinside\tthe\tline",
    "<p>Grüße aus Köln: the <b>quarterly report</b> is attached.</p>",
    "日本語のテキスト",
    "nul\0inside",
    "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789",
    "ééééééééééééééééééééééééééééééééééééééééééééééééééé",
    "                                                                                  ",
    "x",
    "exactly seventy-six characters long, which is where soft breaks come in ok",
    "exactly seventy-five characters long, which is where soft breaks come in o",
    "exactly seventy-seven characters long, which is where soft breaks come in ok",
];

const BREAKS: &[&str] = &["\n", "\r\n", "\r", "\n\n", "\r\r\n"];

fn body(rng: &mut Rng) -> String {
    let mut text = String::new();
    let lines = rng.below(40);
    let mostly = rng.pick(BREAKS);
    for _ in 0..lines {
        let mut line = rng.pick(LINES).to_owned();
        if rng.below(4) == 0 {
            line = line.repeat(1 + rng.below(20));
        }
        text.push_str(&line);
        text.push_str(if rng.below(5) == 0 {
            rng.pick(BREAKS)
        } else {
            mostly
        });
    }
    if rng.below(3) == 0 {
        text.push_str(rng.pick(LINES));
    }
    text
}

fn data(rng: &mut Rng) -> Vec<u8> {
    match rng.below(5) {
        0 => (0..rng.below(5000)).map(|_| rng.next() as u8).collect(),
        1 => body(rng).into_bytes(),
        2 => b"plain 7bit\r\ncontent\r\n".to_vec(),
        3 => Vec::new(),
        _ => (0..rng.below(200_000))
            .map(|i| (i * 7 % 251) as u8)
            .collect(),
    }
}

const TYPES: &[&str] = &[
    "application/pdf",
    "text/plain",
    "text/csv; charset=utf-8",
    "image/png",
    "application/octet-stream; name=\"x.bin\"",
    "text/html; charset=\"utf-8\"; format=flowed",
];

const FILENAMES: &[&str] = &[
    "report.pdf",
    "résumé.pdf",
    "my \"best\" file.txt",
    "Überweisungsbestätigung für März Überweisungsbestätigung für März Überweisungsbestätigung.txt",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.txt",
    "日本語.txt",
    "a=b?.txt",
];

struct Chunks(Vec<u8>, usize, usize);

impl Read for Chunks {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.2).min(self.0.len() - self.1);
        buf[..n].copy_from_slice(&self.0[self.1..self.1 + n]);
        self.1 += n;
        Ok(n)
    }
}

fn builder(rng: &mut Rng, readers: bool) -> MessageBuilder {
    let mut b = MessageBuilder::new();
    for _ in 0..1 + usize::from(rng.below(6) == 0) {
        b = b.from((rng.pick(NAMES), rng.pick(ADDRESSES)));
    }
    if rng.below(3) == 0 {
        b = b.sender((rng.pick(NAMES), rng.pick(ADDRESSES)));
    }
    for _ in 0..rng.below(2) {
        b = b.reply_to((rng.pick(NAMES), rng.pick(ADDRESSES)));
    }
    for _ in 0..rng.below(6) {
        b = b.to((rng.pick(NAMES), rng.pick(ADDRESSES)));
    }
    for _ in 0..rng.below(3) {
        b = b.cc((rng.pick(NAMES), rng.pick(ADDRESSES)));
    }
    for _ in 0..rng.below(2) {
        b = b.bcc(rng.pick(ADDRESSES));
    }
    if rng.below(5) != 0 {
        b = b.subject(rng.pick(SUBJECTS));
    }
    if rng.below(3) != 0 {
        b = b.date(
            rng.next() as i64 % 4_000_000_000,
            rng.below(1500) as i32 - 750,
        );
    }
    match rng.below(3) {
        0 => b = b.message_id("report-2024-01@example.org"),
        1 => b = b.message_id_from_parts(rng.next().to_le_bytes(), "example.org"),
        _ => {}
    }
    for _ in 0..rng.below(3) {
        b = b.in_reply_to("<a.b@c.d>").references("x@[1.2.3.4]");
    }
    for _ in 0..rng.below(3) {
        b = match rng.below(3) {
            0 => b.header("X-Note", rng.pick(SUBJECTS)),
            1 => b.raw_header(
                "List-Unsubscribe",
                "<mailto:u@example.org>,  <https://example.org/u?id=1>",
            ),
            _ => b.header(
                "X-A-Very-Long-Header-Name-For-Folding-Tests",
                rng.pick(SUBJECTS),
            ),
        };
    }
    if rng.below(4) != 0 {
        b = b.text(body(rng));
    }
    if rng.below(2) == 0 {
        b = b.html(body(rng));
    }
    for k in 0..rng.below(3) {
        let part = Attachment::new(rng.pick(&["image/png", "image/gif"]), data(rng));
        b = b.inline(format!("part{k}.x@example.org"), part);
    }
    for _ in 0..rng.below(4) {
        let ct = rng.pick(TYPES);
        let bytes = data(rng);
        let mut part = if readers && rng.below(2) == 0 {
            let step = 1 + rng.below(70_000);
            Attachment::from_reader(ct, Chunks(bytes, 0, step))
        } else {
            Attachment::new(ct, bytes)
        };
        if rng.below(4) != 0 {
            part = part.filename(rng.pick(FILENAMES));
        }
        b = b.attach(part);
    }
    if rng.below(8) == 0 {
        b = b.attach(Attachment::new(
            "message/rfc822",
            "Subject: inner\nFrom: a@b\n\nbody\n".as_bytes().to_vec(),
        ));
    }
    b.allow_8bit(rng.below(3) == 0)
        .boundary_seed(rng.next() % 4)
}

/// The expected hash of each group of 25 messages.
const EXPECTED: [u64; 16] = [
    0xfec61e22f9e69915,
    0x04471af714f686be,
    0x01a6c01885100219,
    0x7df90c4320b5030e,
    0xfacbd3691681739c,
    0x2b8b60cd037cd6d3,
    0xbb99eedc13faec70,
    0x1f3f57107f2aeac5,
    0xf95ba32fa791d5a5,
    0x1eaac26fa906316e,
    0x8b2cd4dd0db5775c,
    0x01da525b6267c917,
    0x7a1778ee08f500b9,
    0x26654cf363e4704d,
    0x13e07af03e495a1a,
    0x2dad51e373ab6d52,
];

#[test]
fn built_bytes_are_unchanged_rfc5322_rfc2045_6_rfc2046_5_1() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut got = Vec::new();
    let mut built_ok = 0;
    for _group in 0..EXPECTED.len() {
        let mut hash = 0xcbf2_9ce4_8422_2325u64;
        for _ in 0..25 {
            let seed = rng.next();
            let built = builder(&mut Rng(seed), false).build();
            match &built {
                Ok(bytes) => fnv(&mut hash, bytes),
                Err(e) => fnv(&mut hash, e.to_string().as_bytes()),
            }
            let mut sink = Vec::new();
            let written = builder(&mut Rng(seed), true).write_to(&mut sink);
            fnv(&mut hash, &sink);
            fnv(&mut hash, format!("{written:?}").as_bytes());
            if let Ok(bytes) = &built {
                built_ok += 1;
                // Without readers, writing and building give the same bytes.
                let mut again = Vec::new();
                let r = builder(&mut Rng(seed), false).write_to(&mut again);
                assert!(r.is_ok());
                assert_eq!(&again, bytes);
            }
        }
        got.push(hash);
    }
    // Most inputs are valid: the hashes cover real messages, not errors.
    assert!(built_ok > 250, "{built_ok}");
    assert_eq!(got, EXPECTED, "got {got:#x?}");
}
