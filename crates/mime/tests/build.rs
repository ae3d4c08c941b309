//! The message builder: golden outputs, header injection, folding and
//! encoded-word limits, RFC 2231 file names, Bcc, the SMTP body
//! requirement, streaming attachments, and build-then-parse round trips.

use std::io::{self, Read};

use base64::Engine as _;
use postwire_mime::build::{Attachment, BodyRequirement, BuildError, MessageBuilder};
use postwire_mime::{Mailbox, Message, Part, PartKind};
use proptest::prelude::*;

/// Every line ends with CRLF (no bare CR or LF anywhere) and none is
/// longer than `max` octets.
fn assert_lines(bytes: &[u8], max: usize) {
    assert!(bytes.ends_with(b"\r\n"), "output must end with CRLF");
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\r' {
            assert_eq!(bytes.get(i + 1), Some(&b'\n'), "bare CR at {i}");
        }
        if b == b'\n' {
            assert!(i > 0 && bytes[i - 1] == b'\r', "bare LF at {i}");
        }
    }
    for line in bytes.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        assert!(
            line.len() <= max,
            "line of {} octets: {:?}",
            line.len(),
            String::from_utf8_lossy(line)
        );
    }
}

/// The header block of the top-level part, as text.
fn head(bytes: &[u8]) -> String {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header block");
    String::from_utf8(bytes[..end + 2].to_vec()).expect("utf-8 header")
}

/// Parses and checks that nothing is wrong anywhere: structure, transfer
/// encodings, charsets, addresses.
fn parse_clean(bytes: &[u8]) -> Message<'_> {
    let message = Message::parse(bytes).expect("parses");
    let defects: Vec<_> = message.all_defects().map(|(_, d)| d).collect();
    assert!(defects.is_empty(), "{defects:?}");
    for part in message.parts() {
        if matches!(part.kind(), PartKind::Leaf) {
            assert!(part.decode_body().1.is_empty(), "body defects");
            if let Some((_, d)) = part.decode_text() {
                assert!(d.is_empty(), "text defects {d:?}");
            }
        }
        for list in [
            part.from(),
            part.to(),
            part.cc(),
            part.reply_to(),
            part.sender(),
        ]
        .into_iter()
        .flatten()
        {
            assert!(list.defects.is_empty(), "{:?}", list.defects);
        }
    }
    message
}

fn text_of(part: &Part<'_>) -> String {
    part.text().expect("a text part").into_owned()
}

#[test]
fn golden_text_only_message_rfc5322_3_6() {
    let bytes = MessageBuilder::new()
        .from(("Jane Doe", "jane@example.org"))
        .to("bob@example.org")
        .subject("Lunch")
        .date(880_127_706, -360)
        .message_id("1234@example.org")
        .text("See you at noon.\n")
        .build()
        .unwrap();
    let want = "Date: Fri, 21 Nov 1997 09:55:06 -0600\r\n\
                From: Jane Doe <jane@example.org>\r\n\
                To: bob@example.org\r\n\
                Message-ID: <1234@example.org>\r\n\
                Subject: Lunch\r\n\
                MIME-Version: 1.0\r\n\
                Content-Type: text/plain; charset=utf-8\r\n\
                Content-Transfer-Encoding: 7bit\r\n\
                \r\n\
                See you at noon.\r\n";
    assert_eq!(String::from_utf8(bytes.clone()).unwrap(), want);
    let m = parse_clean(&bytes);
    assert_eq!(m.date().unwrap().timestamp(), Some(880_127_706));
    assert_eq!(m.message_id().as_deref(), Some("1234@example.org"));
}

#[test]
fn golden_alternative_with_encoded_names_rfc2046_5_1_4() {
    let bytes = MessageBuilder::new()
        .from(("Jörg Müller", "joerg@example.org"))
        .to(("Doe, Jane", "jane@example.org"))
        .cc("carol@example.org")
        .subject("Café")
        .text("Hi\n")
        .html("<p>Hi</p>")
        .build()
        .unwrap();
    let want = "From: =?utf-8?q?J=C3=B6rg_M=C3=BCller?= <joerg@example.org>\r\n\
                To: \"Doe, Jane\" <jane@example.org>\r\n\
                Cc: carol@example.org\r\n\
                Subject: =?utf-8?q?Caf=C3=A9?=\r\n\
                MIME-Version: 1.0\r\n\
                Content-Type: multipart/alternative; boundary=\"=_pw_e220a8397b1dcdaf\"\r\n\
                \r\n\
                --=_pw_e220a8397b1dcdaf\r\n\
                Content-Type: text/plain; charset=utf-8\r\n\
                Content-Transfer-Encoding: 7bit\r\n\
                \r\n\
                Hi\r\n\
                \r\n\
                --=_pw_e220a8397b1dcdaf\r\n\
                Content-Type: text/html; charset=utf-8\r\n\
                Content-Transfer-Encoding: 7bit\r\n\
                \r\n\
                <p>Hi</p>\r\n\
                \r\n\
                --=_pw_e220a8397b1dcdaf--\r\n";
    assert_eq!(String::from_utf8(bytes.clone()).unwrap(), want);
    let m = parse_clean(&bytes);
    let from = m.from().unwrap();
    assert_eq!(
        from.mailboxes().next().unwrap().name.as_deref(),
        Some("Jörg Müller")
    );
    let to = m.to().unwrap();
    assert_eq!(
        to.mailboxes().next().unwrap().name.as_deref(),
        Some("Doe, Jane")
    );
    assert_eq!(m.subject().unwrap(), "Café");
    let [plain, html] = m.children() else {
        panic!("two alternatives")
    };
    assert_eq!(text_of(plain), "Hi\r\n");
    assert_eq!(text_of(html), "<p>Hi</p>\r\n");
}

#[test]
fn structure_is_minimal_rfc2046_5_1_rfc2387() {
    let image = || Attachment::new("image/png", vec![0x89, b'P', b'N', b'G', 0, 1, 2]);
    let pdf = || Attachment::new("application/pdf", b"%PDF".to_vec()).filename("a.pdf");
    let shape = |b: MessageBuilder| -> String {
        let bytes = b.from("a@example.org").build().unwrap();
        assert_lines(&bytes, 78);
        let m = parse_clean(&bytes);
        fn walk(p: &Part<'_>) -> String {
            let ct = p.content_type().mime_type();
            if p.children().is_empty() {
                ct
            } else {
                let inner: Vec<String> = p.children().iter().map(walk).collect();
                format!("{ct}[{}]", inner.join(","))
            }
        }
        walk(m.root())
    };
    assert_eq!(shape(MessageBuilder::new()), "text/plain");
    assert_eq!(shape(MessageBuilder::new().text("t")), "text/plain");
    assert_eq!(shape(MessageBuilder::new().html("h")), "text/html");
    assert_eq!(
        shape(MessageBuilder::new().text("t").html("h")),
        "multipart/alternative[text/plain,text/html]"
    );
    assert_eq!(
        shape(MessageBuilder::new().html("h").inline("logo", image())),
        "multipart/related[text/html,image/png]"
    );
    assert_eq!(
        shape(
            MessageBuilder::new()
                .text("t")
                .html("h")
                .inline("logo", image())
                .attach(pdf())
        ),
        "multipart/mixed[multipart/alternative[text/plain,multipart/related[text/html,image/png]],application/pdf]"
    );
    assert_eq!(
        shape(MessageBuilder::new().attach(pdf())),
        "multipart/mixed[application/pdf]"
    );
    assert_eq!(
        shape(MessageBuilder::new().text("t").attach(pdf()).attach(pdf())),
        "multipart/mixed[text/plain,application/pdf,application/pdf]"
    );
}

#[test]
fn inline_parts_carry_content_id_and_disposition_rfc2392() {
    let bytes = MessageBuilder::new()
        .from("a@example.org")
        .html("<img src=\"cid:logo@x\">")
        .inline("logo@x", Attachment::new("image/gif", b"GIF89a".to_vec()))
        .build()
        .unwrap();
    let m = parse_clean(&bytes);
    let image = &m.children()[1];
    assert_eq!(
        &image.header("content-id").unwrap().value()[..],
        b"<logo@x>"
    );
    assert_eq!(image.disposition().unwrap().kind(), "inline");
    assert_eq!(&image.decoded_body()[..], b"GIF89a");
    let bad = MessageBuilder::new()
        .from("a@example.org")
        .inline("a b", Attachment::new("image/gif", vec![]))
        .build();
    assert!(matches!(bad, Err(BuildError::InvalidContentId)));
}

#[test]
fn header_injection_is_refused_rfc5322_2_2() {
    let base = || {
        MessageBuilder::new()
            .from("a@example.org")
            .to("b@example.org")
    };
    let cases: Vec<(MessageBuilder, &str)> = vec![
        (base().subject("hi\r\nBcc: victim@example.org"), "Subject"),
        (base().subject("hi\nX: y"), "Subject"),
        (base().subject("hi\rX: y"), "Subject"),
        (base().header("X-Note", "a\r\nBcc: v@example.org"), "X-Note"),
        (base().raw_header("X-Raw", "a\nb"), "X-Raw"),
        (
            base().to(("Eve\r\nBcc: v@example.org", "e@example.org")),
            "To",
        ),
        (base().to(("\r\nEve", "e@example.org")), "To"),
        (base().subject("\r\n"), "Subject"),
        (
            base()
                .from(("x\ny", "c@example.org"))
                .sender("s@example.org"),
            "From",
        ),
    ];
    for (builder, field) in cases {
        let mut out = Vec::new();
        match builder.write_to(&mut out) {
            Err(BuildError::LineBreak(name)) => assert_eq!(name, field),
            other => panic!("{field}: {other:?}"),
        }
        assert!(out.is_empty(), "nothing is written");
    }
    let nul = base().subject("a\0b").build();
    assert!(matches!(nul, Err(BuildError::Nul(n)) if n == "Subject"));
    let nul = base().header("X-A", "\0").build();
    assert!(matches!(nul, Err(BuildError::Nul(_))));
    let ctl = base().raw_header("X-A", "a\u{7}b").build();
    assert!(matches!(ctl, Err(BuildError::ControlCharacter(_))));
    // An address with a line break is no address.
    let addr = base().cc("c@example.org\r\nBcc: v@example.org").build();
    assert!(matches!(addr, Err(BuildError::InvalidAddress("Cc"))));
    let ct = base()
        .attach(Attachment::new("text/plain\r\nBcc: v@example.org", vec![]))
        .build();
    assert!(matches!(ct, Err(BuildError::InvalidContentType)));
}

#[test]
fn header_names_are_checked_rfc5322_3_6_8() {
    let base = || MessageBuilder::new().from("a@example.org");
    for name in ["", "X Y", "X:Y", "Ünï", "X\r\nY", &"X".repeat(77)] {
        let r = base().header(name, "v").build();
        assert!(matches!(r, Err(BuildError::InvalidHeaderName)), "{name:?}");
    }
    for name in [
        "Bcc",
        "from",
        "Content-Type",
        "content-transfer-encoding",
        "MIME-Version",
    ] {
        let r = base().header(name, "v").build();
        assert!(matches!(r, Err(BuildError::ReservedHeader(_))), "{name:?}");
    }
    let bytes = base()
        .header("X-Mailer", "postwire")
        .raw_header("List-Unsubscribe", "<mailto:u@example.org?subject=stop>")
        .header("Comments", "süß")
        .build()
        .unwrap();
    let h = head(&bytes);
    assert!(h.contains("X-Mailer: postwire\r\n"), "{h}");
    assert!(h.contains("List-Unsubscribe: <mailto:u@example.org?subject=stop>\r\n"));
    let m = parse_clean(&bytes);
    assert_eq!(m.header("comments").unwrap().text(), "süß");
}

#[test]
fn required_fields_rfc5322_3_6() {
    assert!(matches!(
        MessageBuilder::new().text("x").build(),
        Err(BuildError::MissingFrom)
    ));
    assert!(matches!(
        MessageBuilder::new()
            .from("a@x.org")
            .from("b@x.org")
            .build(),
        Err(BuildError::MissingSender)
    ));
    let bytes = MessageBuilder::new()
        .from("a@x.org")
        .from("b@x.org")
        .sender("a@x.org")
        .build()
        .unwrap();
    assert!(head(&bytes).contains("From: a@x.org, b@x.org\r\nSender: a@x.org\r\n"));
    assert!(matches!(
        MessageBuilder::new().from("not an address").build(),
        Err(BuildError::InvalidAddress("From"))
    ));
    assert!(matches!(
        MessageBuilder::new()
            .from("a@x.org")
            .message_id("nope")
            .build(),
        Err(BuildError::InvalidMessageId)
    ));
    assert!(matches!(
        MessageBuilder::new()
            .from("a@x.org")
            .date(-5_000_000_000, 0)
            .build(),
        Err(BuildError::InvalidDate)
    ));
}

#[test]
fn no_date_or_message_id_unless_given() {
    let bytes = MessageBuilder::new().from("a@x.org").build().unwrap();
    let h = head(&bytes);
    assert!(!h.contains("Date:") && !h.contains("Message-ID:"), "{h}");
    let bytes = MessageBuilder::new()
        .from("a@x.org")
        .message_id_from_parts([0x01, 0xfe], "x.org")
        .in_reply_to("<p@x.org>")
        .references("o@x.org")
        .references("p@x.org")
        .build()
        .unwrap();
    let m = parse_clean(&bytes);
    assert_eq!(m.message_id().as_deref(), Some("01fe@x.org"));
    assert_eq!(m.in_reply_to(), ["p@x.org"]);
    assert_eq!(m.references(), ["o@x.org", "p@x.org"]);
}

#[test]
fn bcc_is_in_the_envelope_only_rfc5322_3_6_3() {
    let builder = MessageBuilder::new()
        .from("a@example.org")
        .to("to@example.org")
        .cc("cc@example.org")
        .bcc(("Secret Person", "hidden@example.org"))
        .bcc("to@example.org")
        .subject("s");
    assert_eq!(builder.envelope_sender(), Some("a@example.org"));
    assert_eq!(
        builder.envelope_recipients(),
        ["to@example.org", "cc@example.org", "hidden@example.org"]
    );
    let bytes = builder.build().unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(!text.contains("hidden"), "{text}");
    assert!(!text.contains("Secret"));
    assert!(!text.to_ascii_lowercase().contains("bcc"));
    assert!(parse_clean(&bytes).bcc().is_none());
}

/// Every encoded word in a header field: at most 75 characters (RFC 2047
/// §2), and valid UTF-8 on its own (no character split between words).
fn check_encoded_words(head: &str) {
    let unfolded = head.replace("\r\n ", " ");
    for word in unfolded.split([' ', '\t', '"', '<', '>', ',', '\r', '\n']) {
        if let Some(start) = word.find("=?") {
            let word = &word[start..];
            assert!(word.len() <= 75, "{word:?} is {} long", word.len());
            assert!(word.ends_with("?="), "{word:?}");
            let (enc, text) = word[8..word.len() - 2].split_at(1);
            assert!(word[..8].eq_ignore_ascii_case("=?utf-8?"), "{word:?}");
            let bytes = match enc {
                "b" | "B" => base64::engine::general_purpose::STANDARD
                    .decode(&text[1..])
                    .expect("base64"),
                _ => decode_q(&text[1..]),
            };
            assert!(
                std::str::from_utf8(&bytes).is_ok(),
                "{word:?} splits a character"
            );
        }
    }
}

/// The RFC 2047 §4.2 "Q" encoding, strictly.
fn decode_q(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'_' => out.push(b' '),
            b'=' => {
                out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).expect("hex"));
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    out
}

#[test]
fn folding_and_encoded_word_limits_rfc5322_2_1_1_rfc2047_2() {
    let subjects = [
        "A fairly long subject line in plain ASCII that certainly needs to be folded somewhere along the way, twice over".to_owned(),
        "Ünïcödé sübjéct wïth lötš öf àccénts thàt nééds qüötéd-prïntàblé éncödïng äcröss séveràl línés".to_owned(),
        "日本語の件名はとても長くなることがあり、複数のエンコードされた単語に分割されなければなりません。".repeat(2),
        "Emoji 🎉🎊🥳 party 🎈 at 🏠 — bring 🍕 and 🍺 please, the more the merrier 🎶🎶🎶🎶".to_owned(),
        "Mixed Ελληνικά and Русский текст with ASCII words between them and עברית too".to_owned(),
        format!("word{}", "x".repeat(120)),
    ];
    for subject in subjects {
        let name = "Σωκράτης Παπαδόπουλος-Καραγιαννόπουλος της Αθήνας και του Πειραιά";
        let bytes = MessageBuilder::new()
            .from((name, "s@example.org"))
            .to((
                "Very Long Display Name That Goes On And On Beyond Any Reason",
                "t@example.org",
            ))
            .to(("Ünïcödé Nàmé", "u@example.org"))
            .subject(subject.as_str())
            .text("body")
            .build()
            .unwrap();
        assert_lines(&bytes, 78);
        let h = head(&bytes);
        check_encoded_words(&h);
        let m = parse_clean(&bytes);
        assert_eq!(m.subject().unwrap(), subject);
        assert_eq!(
            m.from()
                .unwrap()
                .mailboxes()
                .next()
                .unwrap()
                .name
                .as_deref(),
            Some(name)
        );
        let to: Vec<_> = m
            .to()
            .unwrap()
            .mailboxes()
            .map(|mb| (mb.name.clone().unwrap(), mb.address.clone()))
            .collect();
        assert_eq!(
            to[1],
            ("Ünïcödé Nàmé".to_owned(), "u@example.org".to_owned())
        );
    }
}

#[test]
fn long_header_names_still_fold_within_limits_rfc5322_2_1_1() {
    let name = format!("X-{}", "N".repeat(74));
    let bytes = MessageBuilder::new()
        .from("a@example.org")
        .header(name.as_str(), "ĉiuĵaŭde ".repeat(30))
        .raw_header("X-Raw", "token ".repeat(40))
        .build()
        .unwrap();
    assert_lines(&bytes, 78);
    check_encoded_words(&head(&bytes));
    let m = parse_clean(&bytes);
    assert_eq!(m.header(&name).unwrap().text(), "ĉiuĵaŭde ".repeat(30));
    assert_eq!(
        m.header("x-raw").unwrap().text(),
        "token ".repeat(40).trim_end()
    );
    let r = MessageBuilder::new()
        .from("a@example.org")
        .raw_header("X-Raw", "y".repeat(1000))
        .build();
    assert!(matches!(r, Err(BuildError::LineTooLong(_))));
}

#[test]
fn long_non_ascii_filenames_use_rfc2231_continuations_rfc2231_3_4() {
    let names = [
        "Überweisungsbestätigung für das Geschäftsjahr 2024 — endgültige Fassung (überarbeitet).pdf".to_owned(),
        format!("{}.docx", "非常に長いファイル名".repeat(8)),
        "short-ascii.txt".to_owned(),
        "with \"quotes\" and spaces.txt".to_owned(),
        "=?utf-8?q?not_an_encoded_word?=.bin".to_owned(),
        format!("{}.tar.gz", "a".repeat(100)),
    ];
    for filename in names {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 13) as u8).collect();
        let bytes = MessageBuilder::new()
            .from("a@example.org")
            .text("see attached")
            .attach(
                Attachment::new("application/octet-stream", data.clone())
                    .filename(filename.as_str()),
            )
            .build()
            .unwrap();
        assert_lines(&bytes, 78);
        let text = String::from_utf8(bytes.clone()).unwrap();
        if !filename.is_ascii() {
            assert!(text.contains("filename*"), "{text}");
            // The ASCII fallback comes first.
            let plain = text.find("filename=\"").expect("fallback");
            assert!(plain < text.find("filename*").unwrap());
        }
        if filename.len() > 60 && !filename.is_ascii() {
            assert!(text.contains("filename*0*=utf-8''"), "{text}");
            assert!(text.contains("filename*1*="), "{text}");
        }
        let m = parse_clean(&bytes);
        let att = m.attachments().next().unwrap();
        assert_eq!(att.filename().as_deref(), Some(filename.as_str()));
        assert_eq!(att.content_type().param("name"), Some(filename.as_str()));
        assert_eq!(&att.decoded_body()[..], &data[..]);
    }
}

#[test]
fn content_type_parameters_are_kept_rfc2045_5_1() {
    let bytes = MessageBuilder::new()
        .from("a@example.org")
        .attach(
            Attachment::new(
                "Text/CSV; charset=\"utf-8\"; header=present; title*=utf-8''%C3%BCber",
                b"a,b\r\n1,2\r\n".to_vec(),
            )
            .filename("t.csv"),
        )
        .build()
        .unwrap();
    let m = parse_clean(&bytes);
    let csv = m.attachments().next().unwrap();
    let ct = csv.content_type();
    assert_eq!(ct.mime_type(), "text/csv");
    assert_eq!(ct.charset(), Some("utf-8"));
    assert_eq!(ct.param("header"), Some("present"));
    assert_eq!(ct.param("title"), Some("über"));
    assert_eq!(text_of(csv), "a,b\r\n1,2\r\n");
    for bad in ["text", "multipart/mixed", "a/b; x", "/x"] {
        let r = MessageBuilder::new()
            .from("a@example.org")
            .attach(Attachment::new(bad, vec![]))
            .build();
        assert!(matches!(r, Err(BuildError::InvalidContentType)), "{bad}");
    }
}

#[test]
fn transfer_encoding_per_part_rfc2045_6() {
    let cte = |b: MessageBuilder| {
        let bytes = b.from("a@example.org").build().unwrap();
        let m = parse_clean(&bytes);
        let leaf = m
            .parts()
            .find(|p| matches!(p.kind(), PartKind::Leaf))
            .unwrap();
        let h = leaf.header("content-transfer-encoding").unwrap();
        String::from_utf8(h.value().to_vec()).unwrap()
    };
    assert_eq!(cte(MessageBuilder::new().text("plain ascii")), "7bit");
    assert_eq!(
        cte(MessageBuilder::new().text("Grüße aus Köln")),
        "quoted-printable"
    );
    assert_eq!(
        cte(MessageBuilder::new().text("Привет, как дела?")),
        "base64"
    );
    assert_eq!(
        cte(MessageBuilder::new().text("Grüße").allow_8bit(true)),
        "8bit"
    );
    assert_eq!(
        cte(MessageBuilder::new().text("x".repeat(999))),
        "quoted-printable"
    );
    assert_eq!(
        cte(MessageBuilder::new().text("nul\0inside")),
        "quoted-printable"
    );
    let bin = Attachment::new("application/octet-stream", (0..=255u8).collect::<Vec<u8>>());
    assert_eq!(cte(MessageBuilder::new().attach(bin)), "base64");
    let txt = Attachment::new("text/plain", b"line one\nline two\n".to_vec());
    assert_eq!(cte(MessageBuilder::new().attach(txt)), "quoted-printable");
    let crlf = Attachment::new("text/plain", b"line one\r\nline two".to_vec());
    assert_eq!(cte(MessageBuilder::new().attach(crlf)), "7bit");
    let json = Attachment::new("application/json", b"{\"a\": \"\xc3\xa9\"}".to_vec());
    assert_eq!(cte(MessageBuilder::new().attach(json)), "base64");
    let ascii = Attachment::new("application/octet-stream", b"ascii".to_vec());
    assert_eq!(cte(MessageBuilder::new().attach(ascii)), "7bit");
}

#[test]
fn body_requirement_detection_rfc6152_rfc6531() {
    let req = |b: MessageBuilder| {
        let b = b.to("t@example.org");
        let r = b.requirement().unwrap();
        let bytes = b.build().unwrap();
        if r == BodyRequirement::SevenBit {
            assert!(bytes.is_ascii());
        }
        parse_clean(&bytes);
        r
    };
    let ascii = MessageBuilder::new().from("a@example.org");
    assert_eq!(req(ascii.text("hello")), BodyRequirement::SevenBit);
    let accents = || {
        MessageBuilder::new()
            .from(("Zoë", "a@example.org"))
            .subject("Ça va")
    };
    assert_eq!(req(accents().text("déjà")), BodyRequirement::SevenBit);
    assert_eq!(
        req(accents().text("déjà").allow_8bit(true)),
        BodyRequirement::EightBitMime
    );
    assert_eq!(
        req(accents().text("ascii").allow_8bit(true)),
        BodyRequirement::SevenBit
    );
    let utf8 = MessageBuilder::new()
        .from(("Zoë", "zoë@example.org"))
        .subject("Ça va")
        .text("déjà");
    assert_eq!(req(utf8), BodyRequirement::SmtpUtf8);
    let bcc_only = MessageBuilder::new()
        .from("a@example.org")
        .bcc("ü@exämple.org");
    assert_eq!(req(bcc_only), BodyRequirement::SmtpUtf8);
    assert!(BodyRequirement::SmtpUtf8.needs_8bitmime());
    assert!(BodyRequirement::EightBitMime.needs_8bitmime());
    assert!(!BodyRequirement::EightBitMime.needs_smtputf8());
    assert!(!BodyRequirement::SevenBit.needs_8bitmime());
}

#[test]
fn raw_utf8_headers_only_with_smtputf8_rfc6532_3_2() {
    let bytes = MessageBuilder::new()
        .from(("Zoë Ärger", "zoë@example.org"))
        .to("bob@example.org")
        .subject("Ça va très bien")
        .build()
        .unwrap();
    let h = head(&bytes);
    assert!(h.contains("From: Zoë Ärger <zoë@example.org>\r\n"), "{h}");
    assert!(h.contains("Subject: Ça va très bien\r\n"), "{h}");
    assert!(!h.contains("=?"));
    let m = parse_clean(&bytes);
    assert_eq!(m.subject().unwrap(), "Ça va très bien");
    let zoe = m.from().unwrap().mailboxes().next().unwrap().clone();
    assert_eq!(zoe.name.as_deref(), Some("Zoë Ärger"));
    assert_eq!(zoe.address, "zoë@example.org");
}

#[test]
fn boundaries_avoid_7bit_content_rfc2046_5_1_1() {
    let first = "=_pw_e220a8397b1dcdaf";
    let text = format!("--{first}\r\nthis line looks like a boundary\r\n--{first}--\r\n");
    let bytes = MessageBuilder::new()
        .from("a@example.org")
        .text(text.as_str())
        .html(format!("<pre>{text}</pre>"))
        .attach(Attachment::new("text/plain", text.clone().into_bytes()))
        .build()
        .unwrap();
    let m = parse_clean(&bytes);
    let boundary = m.content_type().boundary().unwrap().to_owned();
    assert_ne!(boundary, first);
    let alt = &m.children()[0];
    assert_ne!(alt.content_type().boundary().unwrap(), first);
    assert_eq!(text_of(&alt.children()[0]), text);
    assert_eq!(&m.children()[1].decoded_body()[..], text.as_bytes());
    // The same inputs and seed give the same bytes; another seed other boundaries.
    let build = |seed| {
        MessageBuilder::new()
            .from("a@example.org")
            .text("t")
            .html("h")
            .boundary_seed(seed)
            .build()
            .unwrap()
    };
    assert_eq!(build(7), build(7));
    assert_ne!(build(7), build(8));
}

/// A reader that hands out a generated stream in small, uneven pieces and
/// refuses to be asked for more than 64 KiB at once.
struct Trickle {
    produced: usize,
    total: usize,
}

impl Trickle {
    fn byte(i: usize) -> u8 {
        (i.wrapping_mul(2_654_435_761) >> 7) as u8
    }
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        assert!(
            buf.len() <= 64 * 1024,
            "asked for {} bytes at once",
            buf.len()
        );
        let n = buf
            .len()
            .min(self.total - self.produced)
            .min(1 + self.produced % 4093);
        for (k, b) in buf[..n].iter_mut().enumerate() {
            *b = Trickle::byte(self.produced + k);
        }
        self.produced += n;
        Ok(n)
    }
}

/// Counts what is written and keeps only the beginning and a checksum, so
/// that the test holds no more than the encoder does.
#[derive(Default)]
struct Sink {
    len: usize,
    largest_write: usize,
    kept: Vec<u8>,
}

impl io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.len += buf.len();
        self.largest_write = self.largest_write.max(buf.len());
        if self.kept.len() < 4096 {
            self.kept.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn attachments_stream_from_a_reader_rfc2045_6_8() {
    // Small enough to parse back in full.
    let total = 300_001;
    let mut out = Vec::new();
    let req = MessageBuilder::new()
        .from("a@example.org")
        .text("big file attached")
        .attach(
            Attachment::from_reader("application/octet-stream", Trickle { produced: 0, total })
                .filename("data.bin"),
        )
        .write_to(&mut out)
        .unwrap();
    assert_eq!(req, BodyRequirement::SevenBit);
    assert_lines(&out, 78);
    let m = parse_clean(&out);
    let att = m.attachments().next().unwrap();
    let body = att.decoded_body();
    assert_eq!(body.len(), total);
    assert!(body.iter().enumerate().all(|(i, &b)| b == Trickle::byte(i)));

    // 20 MB through a sink: written in bounded pieces.
    let mut sink = Sink::default();
    MessageBuilder::new()
        .from("a@example.org")
        .attach(Attachment::from_reader(
            "application/octet-stream",
            Trickle {
                produced: 0,
                total: 20_000_000,
            },
        ))
        .write_to(&mut sink)
        .unwrap();
    assert!(sink.len > 20_000_000 * 4 / 3);
    assert!(sink.largest_write <= 128 * 1024, "{}", sink.largest_write);
}

#[test]
fn a_failing_reader_is_an_io_error() {
    struct Broken;
    impl Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("disk gone"))
        }
    }
    let r = MessageBuilder::new()
        .from("a@example.org")
        .attach(Attachment::from_reader("application/pdf", Broken))
        .build();
    assert!(matches!(r, Err(BuildError::Io(_))));
}

#[test]
fn message_attachments_stay_7bit_or_8bit_rfc2046_5_2_1() {
    let eml = b"From: x@example.org\nSubject: inner\n\nhello\n".to_vec();
    let bytes = MessageBuilder::new()
        .from("a@example.org")
        .text("forwarded")
        .attach(Attachment::new("message/rfc822", eml))
        .build()
        .unwrap();
    assert_lines(&bytes, 78);
    let m = parse_clean(&bytes);
    let inner = m.children()[1].embedded_message().unwrap();
    assert_eq!(inner.subject().unwrap(), "inner");
    assert_eq!(text_of(inner), "hello\r\n");
    let streamed = MessageBuilder::new()
        .from("a@example.org")
        .attach(Attachment::from_reader("message/rfc822", io::empty()))
        .build();
    assert!(matches!(streamed, Err(BuildError::MessageAttachment)));
    let eight = MessageBuilder::new()
        .from("a@example.org")
        .attach(Attachment::new(
            "message/rfc822",
            "Subject: ü\r\n\r\nü\r\n".as_bytes().to_vec(),
        ));
    assert_eq!(eight.requirement().unwrap(), BodyRequirement::EightBitMime);
}

/// Text as the builder sends it: CRLF line breaks, ending with one.
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

fn unicode_text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => "[a-zA-Z0-9 ,.!?'\"()=_-]",
            2 => "[ \t\r\n]",
            1 => "=\\?",
            2 => "[àéîõüßçñÆØÅ]",
            2 => "[αβγδεζηθ]",
            2 => "[日本語中文한국어]",
            1 => "[🎉🍕🥳]",
            1 => any::<char>().prop_map(String::from),
        ],
        0..max,
    )
    .prop_map(|v| v.concat())
}

fn display_name() -> impl Strategy<Value = Option<String>> {
    prop::option::of(unicode_text(30).prop_map(|s| {
        s.replace(['\r', '\n'], " ")
            .replace('\0', "")
            .trim()
            .to_owned()
    }))
    .prop_map(|n| n.filter(|n| !n.is_empty()))
}

fn address() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => ("[a-z0-9][a-z0-9.+_-]{0,15}[a-z0-9]", "[a-z]([a-z0-9-]{0,10}[a-z0-9])?\\.[a-z]{2,6}")
            .prop_map(|(l, d)| format!("{l}@{d}"))
            .prop_filter("no double dots", |a| !a.contains("..")),
        1 => "[a-z]{1,8}".prop_map(|l| format!("\"{l} x\"@example.org")),
        1 => "[äöüé]{1,6}".prop_map(|l| format!("{l}@exämple.org")),
    ]
}

fn mailbox() -> impl Strategy<Value = (Option<String>, String)> {
    (display_name(), address())
}

#[derive(Debug, Clone)]
struct Input {
    from: (Option<String>, String),
    to: Vec<(Option<String>, String)>,
    cc: Vec<(Option<String>, String)>,
    subject: String,
    text: Option<String>,
    html: Option<String>,
    attachments: Vec<(String, Vec<u8>, bool)>,
    allow_8bit: bool,
    seed: u64,
}

fn input() -> impl Strategy<Value = Input> {
    (
        mailbox(),
        prop::collection::vec(mailbox(), 0..4),
        prop::collection::vec(mailbox(), 0..3),
        unicode_text(120).prop_map(|s| s.replace(['\r', '\n', '\0'], " ")),
        prop::option::of(unicode_text(400)),
        prop::option::of(unicode_text(200)),
        prop::collection::vec(
            (
                unicode_text(90).prop_filter("a name", |s| !s.trim().is_empty()),
                prop::collection::vec(any::<u8>(), 0..600),
                any::<bool>(),
            ),
            0..3,
        ),
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(
            |(from, to, cc, subject, text, html, attachments, allow_8bit, seed)| Input {
                from,
                to,
                cc,
                subject,
                text,
                html,
                attachments,
                allow_8bit,
                seed,
            },
        )
}

fn mb((name, address): &(Option<String>, String)) -> Mailbox {
    Mailbox {
        name: name.clone(),
        address: address.clone(),
    }
}

fn names_and_addresses(list: Option<postwire_mime::AddressList>) -> Vec<(Option<String>, String)> {
    list.map(|l| {
        assert!(l.defects.is_empty(), "{:?}", l.defects);
        l.mailboxes()
            .map(|m| (m.name.clone(), m.address.clone()))
            .collect()
    })
    .unwrap_or_default()
}

proptest! {
    #[test]
    fn build_then_parse_returns_what_was_built(input in input()) {
        let mut b = MessageBuilder::new()
            .from(mb(&input.from))
            .subject(input.subject.clone())
            .allow_8bit(input.allow_8bit)
            .boundary_seed(input.seed);
        for m in &input.to {
            b = b.to(mb(m));
        }
        for m in &input.cc {
            b = b.cc(mb(m));
        }
        if let Some(t) = &input.text {
            b = b.text(t.clone());
        }
        if let Some(h) = &input.html {
            b = b.html(h.clone());
        }
        for (name, data, streamed) in &input.attachments {
            let a = if *streamed {
                Attachment::from_reader("application/octet-stream", io::Cursor::new(data.clone()))
            } else {
                Attachment::new("application/octet-stream", data.clone())
            };
            b = b.attach(a.filename(name.clone()));
        }
        let requirement = b.requirement().unwrap();
        let bytes = b.build().unwrap();
        assert_lines(&bytes, 998);
        let h = head(&bytes);
        for line in h.split_terminator("\r\n") {
            prop_assert!(line.len() <= 78, "{:?}", line);
        }
        check_encoded_words(&h);
        if requirement == BodyRequirement::SevenBit {
            prop_assert!(bytes.is_ascii());
        }
        let utf8 = std::iter::once(&input.from).chain(&input.to).chain(&input.cc).any(|m| !m.1.is_ascii());
        prop_assert_eq!(utf8, requirement == BodyRequirement::SmtpUtf8);

        let m = parse_clean(&bytes);
        let want = |list: &[(Option<String>, String)]| -> Vec<(Option<String>, String)> {
            list.iter().map(|(n, a)| (n.as_ref().map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()), a.clone())).collect()
        };
        prop_assert_eq!(m.subject().unwrap(), input.subject.as_str());
        prop_assert_eq!(names_and_addresses(m.from()), want(std::slice::from_ref(&input.from)));
        prop_assert_eq!(names_and_addresses(m.to()), want(&input.to));
        prop_assert_eq!(names_and_addresses(m.cc()), want(&input.cc));

        let bodies: Vec<&Part<'_>> = m.text_bodies().collect();
        let mut want_bodies = Vec::new();
        want_bodies.extend(input.text.as_deref().map(|t| ("plain", canonical(t))));
        want_bodies.extend(input.html.as_deref().map(|t| ("html", canonical(t))));
        if want_bodies.is_empty() && input.attachments.is_empty() {
            want_bodies.push(("plain", String::new()));
        }
        prop_assert_eq!(bodies.len(), want_bodies.len());
        for (part, (sub, text)) in bodies.iter().zip(&want_bodies) {
            prop_assert_eq!(part.content_type().subtype(), *sub);
            prop_assert_eq!(text_of(part), text.as_str());
        }
        let atts: Vec<&Part<'_>> = m.attachments().collect();
        prop_assert_eq!(atts.len(), input.attachments.len());
        for (part, (name, data, _)) in atts.iter().zip(&input.attachments) {
            prop_assert_eq!(part.filename(), Some(name.clone()));
            prop_assert_eq!(&part.decoded_body()[..], &data[..]);
        }
    }
}
