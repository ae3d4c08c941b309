//! Any bytes become builder inputs (names, addresses, subject, text, HTML,
//! an attachment); building either refuses them for a stated reason (a
//! line break or NUL in a header value) or produces a message whose every
//! line ends in CRLF within 998 octets (78 in the header), that parses
//! without defects, and that gives back the subject, names, addresses,
//! canonical text, attachment bytes and file name.
#![no_main]

use libfuzzer_sys::fuzz_target;
use postwire_mime::build::{Attachment, BodyRequirement, BuildError, MessageBuilder};
use postwire_mime::{Mailbox, Message, PartKind};

/// Fields separated by 0xFF (never in UTF-8), so the fuzzer can grow each.
struct Fields<'a>(std::slice::Split<'a, u8, fn(&u8) -> bool>);

impl<'a> Fields<'a> {
    fn next(&mut self) -> &'a [u8] {
        self.0.next().unwrap_or_default()
    }

    fn text(&mut self) -> String {
        String::from_utf8_lossy(self.next()).into_owned()
    }

    /// A valid address built from the bytes, so that most inputs get past
    /// address checking: a dot-atom local part of at most 60 octets (UTF-8
    /// when `utf8`).
    fn address(&mut self, utf8: bool) -> String {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789+-_";
        let mut local: String = self
            .next()
            .iter()
            .take(30)
            .map(|&b| {
                if utf8 && b >= 0xF0 {
                    'é'
                } else {
                    ALPHABET[usize::from(b) % ALPHABET.len()] as char
                }
            })
            .collect();
        if local.is_empty() {
            local.push('x');
        }
        let domain = if utf8 { "exämple.org" } else { "example.org" };
        format!("{local}@{domain}")
    }
}

fn canonical(text: &str) -> String {
    let mut s = text
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\n', "\r\n");
    if !s.is_empty() && !s.ends_with("\r\n") {
        s.push_str("\r\n");
    }
    s
}

fn injected(s: &str) -> bool {
    s.contains(['\r', '\n', '\0'])
}

fuzz_target!(|data: &[u8]| {
    let is_sep: fn(&u8) -> bool = |&b| b == 0xFF;
    let mut f = Fields(data.split(is_sep));
    let flags = f.next().first().copied().unwrap_or(0);
    let utf8 = flags & 1 != 0;
    let from_name = f.text();
    let from = f.address(utf8);
    let to_name = f.text();
    let to = f.address(false);
    let subject = f.text();
    let text = f.text();
    let html = (flags & 2 != 0).then(|| f.text());
    let attachment = (flags & 4 != 0).then(|| (f.text(), f.next().to_vec()));
    let streamed = flags & 8 != 0;

    let mut builder = MessageBuilder::new()
        .from((from_name.as_str(), from.as_str()))
        .to((to_name.as_str(), to.as_str()))
        .bcc("hidden@example.net")
        .subject(subject.as_str())
        .text(text.as_str())
        .allow_8bit(flags & 16 != 0)
        .boundary_seed(u64::from(flags));
    if let Some(html) = &html {
        builder = builder.html(html.as_str());
    }
    if let Some((name, bytes)) = &attachment {
        let a = if streamed {
            Attachment::from_reader(
                "application/octet-stream",
                std::io::Cursor::new(bytes.clone()),
            )
        } else {
            Attachment::new("application/octet-stream", bytes.clone())
        };
        builder = builder.attach(a.filename(name.as_str()));
    }
    let refused = injected(&from_name) || injected(&to_name) || injected(&subject);
    let requirement = builder.requirement();
    let bytes = match builder.build() {
        Ok(bytes) => bytes,
        Err(BuildError::LineBreak(_) | BuildError::Nul(_)) if refused => {
            assert!(requirement.is_err());
            return;
        }
        Err(e) => panic!("unexpected error {e:?}"),
    };
    assert!(!refused, "a line break or NUL went into a header");
    let requirement = requirement.expect("same checks as build");
    assert_eq!(utf8, requirement == BodyRequirement::SmtpUtf8);
    if requirement == BodyRequirement::SevenBit {
        assert!(bytes.is_ascii());
    }

    // Every line CRLF-terminated, within the limits.
    assert!(bytes.ends_with(b"\r\n"));
    let mut in_header = true;
    let mut pos = 0;
    while pos < bytes.len() {
        let nl = memchr(b'\n', &bytes[pos..]).expect("line ends") + pos;
        assert!(nl > pos && bytes[nl - 1] == b'\r', "bare LF");
        let line = &bytes[pos..nl - 1];
        assert!(!line.contains(&b'\r'), "bare CR");
        assert!(line.len() <= if in_header { 78 } else { 998 });
        in_header &= !line.is_empty();
        pos = nl + 1;
    }
    let message = Message::parse(&bytes).expect("parses");
    assert!(message.bcc().is_none());
    assert_eq!(message.all_defects().count(), 0);
    assert_eq!(message.subject().as_deref(), Some(subject.as_str()));
    let name = |n: &str| Some(n.trim().to_owned()).filter(|n| !n.is_empty());
    let got_from = message.from().expect("from");
    assert!(got_from.defects.is_empty());
    let mb = got_from.mailboxes().next().expect("a mailbox");
    assert_eq!(
        (mb.name.clone(), mb.address.as_str()),
        (name(&from_name), from.as_str())
    );
    let got_to = message.to().expect("to");
    let mb: &Mailbox = got_to.mailboxes().next().expect("a mailbox");
    assert_eq!(
        (mb.name.clone(), mb.address.as_str()),
        (name(&to_name), to.as_str())
    );
    let bodies: Vec<_> = message.text_bodies().collect();
    assert_eq!(bodies.len(), 1 + usize::from(html.is_some()));
    assert_eq!(bodies[0].text().as_deref(), Some(canonical(&text).as_str()));
    if let Some(html) = &html {
        assert_eq!(bodies[1].text().as_deref(), Some(canonical(html).as_str()));
    }
    for part in message.parts() {
        if matches!(part.kind(), PartKind::Leaf) {
            assert!(part.decode_body().1.is_empty());
        }
    }
    if let Some((file, content)) = &attachment {
        let part = message.attachments().next().expect("the attachment");
        assert_eq!(part.filename().as_deref(), Some(file.as_str()));
        assert_eq!(&part.decoded_body()[..], &content[..]);
    }
});

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}
