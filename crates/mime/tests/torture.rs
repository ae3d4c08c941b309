//! Torture messages: broken structure, deep nesting, digests, charsets,
//! delivery reports. Each asserts what a reader must get out.

use postwire_mime::{Action, Defect, Error, Message, Options, PartKind, Zone};

fn crlf(s: &str) -> Vec<u8> {
    s.replace('\n', "\r\n").into_bytes()
}

#[test]
fn missing_final_boundary_is_recovered_rfc2046_5_1_1() {
    let raw = crlf(
        "Content-Type: multipart/mixed; boundary=xx\n\n--xx\nContent-Type: text/plain\n\none\n--xx\n\ntwo\n",
    );
    let m = Message::parse(&raw).unwrap();
    assert_eq!(m.children().len(), 2);
    assert_eq!(m.children()[0].text().unwrap(), "one");
    assert_eq!(m.children()[1].text().unwrap(), "two\r\n");
    assert_eq!(m.defects(), [Defect::MissingFinalBoundary]);
    assert_eq!(m.epilogue(), Some(&b""[..]));
}

#[test]
fn inner_multipart_without_close_ends_at_outer_boundary_rfc2046_5_1_1() {
    let raw = crlf(
        "Content-Type: multipart/mixed; boundary=outer\n\n--outer\nContent-Type: multipart/alternative; boundary=inner\n\n--inner\n\nplain\n--outer\n\nafter\n--outer--\nepilogue\n",
    );
    let m = Message::parse(&raw).unwrap();
    assert_eq!(m.children().len(), 2);
    let inner = &m.children()[0];
    assert_eq!(inner.children().len(), 1);
    assert_eq!(inner.children()[0].text().unwrap(), "plain");
    assert_eq!(inner.defects(), [Defect::MissingFinalBoundary]);
    assert_eq!(m.children()[1].text().unwrap(), "after");
    assert_eq!(m.epilogue(), Some(&b"epilogue\r\n"[..]));
    assert!(m.defects().is_empty());
}

#[test]
fn no_boundary_found_leaves_a_leaf_with_defect() {
    let m =
        Message::parse(b"Content-Type: multipart/mixed; boundary=zz\r\n\r\njust text\r\n").unwrap();
    assert!(matches!(m.kind(), PartKind::Leaf));
    assert_eq!(m.defects(), [Defect::NoBoundaryFound]);
    let m = Message::parse(b"Content-Type: multipart/mixed\r\n\r\n--zz\r\n").unwrap();
    assert_eq!(m.defects(), [Defect::MissingBoundaryParameter]);
}

#[test]
fn boundary_prefix_and_trailing_garbage_are_not_boundaries_rfc2046_5_1_1() {
    let raw = crlf(
        "Content-Type: multipart/mixed; boundary=ab\n\n--ab\n\nx --ab not at line start\n--abc not this one\n--ab  \n\ny\n--ab--\n",
    );
    let m = Message::parse(&raw).unwrap();
    assert_eq!(m.children().len(), 2);
    assert_eq!(
        m.children()[0].text().unwrap(),
        "x --ab not at line start\r\n--abc not this one"
    );
    assert_eq!(m.children()[1].text().unwrap(), "y");
}

#[test]
fn bare_lf_message_parses_the_same() {
    let raw = b"Content-Type: multipart/mixed; boundary=q\n\n--q\n\nline\n--q--\n";
    let m = Message::parse(raw).unwrap();
    assert_eq!(m.children()[0].text().unwrap(), "line");
    assert!(m.all_defects().next().is_none());
}

#[test]
fn digest_parts_default_to_message_rfc822_rfc2046_5_1_5() {
    let raw = crlf(
        "Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: first\n\nbody one\n--d\nContent-Type: text/plain\n\nnot a message\n--d--\n",
    );
    let m = Message::parse(&raw).unwrap();
    let first = &m.children()[0];
    assert!(first.content_type().is("message", "rfc822"));
    let inner = first.embedded_message().unwrap();
    assert_eq!(inner.subject().unwrap(), "first");
    assert_eq!(inner.text().unwrap(), "body one");
    assert_eq!(inner.depth(), 2);
    assert!(m.children()[1].content_type().is("text", "plain"));
}

#[test]
fn nested_message_rfc822_ranges_are_exact_rfc2046_5_2_1() {
    let raw = crlf(
        "Subject: outer\nContent-Type: message/rfc822\n\nSubject: inner\nFrom: a@b\n\nhello\n",
    );
    let m = Message::parse(&raw).unwrap();
    let inner = m.embedded_message().unwrap();
    assert_eq!(inner.raw_headers(), b"Subject: inner\r\nFrom: a@b\r\n");
    assert_eq!(inner.raw_body(), b"hello\r\n");
    assert_eq!(
        m.raw_headers(),
        b"Subject: outer\r\nContent-Type: message/rfc822\r\n"
    );
    assert_eq!(m.parts().count(), 2);
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow_p3() {
    let run = || {
        let depth = 100_000;
        let mut raw = Vec::new();
        for i in 0..depth {
            raw.extend_from_slice(
                format!("Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n")
                    .as_bytes(),
            );
        }
        raw.extend_from_slice(b"\r\nleaf\r\n");
        assert_eq!(Message::parse(&raw).unwrap_err(), Error::DepthLimit(100));
        let mut raw = Vec::new();
        for _ in 0..depth {
            raw.extend_from_slice(b"Content-Type: message/rfc822\r\n\r\n");
        }
        assert_eq!(Message::parse(&raw).unwrap_err(), Error::DepthLimit(100));
    };
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(run)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn depth_within_the_limit_parses_and_drops_on_a_small_stack() {
    let run = || {
        let mut raw = Vec::new();
        for _ in 0..100 {
            raw.extend_from_slice(b"Content-Type: message/rfc822\r\n\r\n");
        }
        raw.extend_from_slice(b"Subject: deepest\r\n\r\nx");
        let m = Message::parse(&raw).unwrap();
        let deepest = m.parts().last().unwrap();
        assert_eq!(deepest.depth(), 100);
        assert_eq!(deepest.subject().unwrap(), "deepest");
    };
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(run)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn part_limit_is_an_error() {
    let mut raw = b"Content-Type: multipart/mixed; boundary=p\r\n\r\n".to_vec();
    for _ in 0..20 {
        raw.extend_from_slice(b"--p\r\n\r\nx\r\n");
    }
    let mut options = Options::default();
    options.limits.max_parts = 10;
    assert_eq!(
        Message::parse_with(&raw, &options).unwrap_err(),
        Error::PartLimit(10)
    );
    options.limits.max_parts = 21;
    assert_eq!(
        Message::parse_with(&raw, &options).unwrap().parts().count(),
        21
    );
}

#[test]
fn strict_mode_turns_defects_into_errors() {
    let raw = crlf("Content-Type: multipart/mixed; boundary=s\n\n--s\n\nx\n");
    assert!(Message::parse(&raw).is_ok());
    assert_eq!(
        Message::parse_with(&raw, &Options::strict()).unwrap_err(),
        Error::Defect(Defect::MissingFinalBoundary)
    );
    let raw = crlf("Content-Transfer-Encoding: base64\n\nZm9v!\n");
    assert_eq!(
        Message::parse_with(&raw, &Options::strict()).unwrap_err(),
        Error::Defect(Defect::InvalidBase64Character)
    );
    let clean = crlf("Subject: ok\n\nbody\n");
    assert!(Message::parse_with(&clean, &Options::strict()).is_ok());
}

#[test]
fn cjk_and_cyrillic_bodies_and_headers_decode() {
    let cases: &[(&str, &[u8], &str)] = &[
        ("iso-2022-jp", b"\x1b$B$3$s$K$A$O\x1b(B", "こんにちは"),
        ("gb2312", b"\xc4\xe3\xba\xc3", "你好"),
        ("big5", b"\xa7\x41\xa6\x6e", "你好"),
        ("euc-kr", b"\xbe\xc8\xb3\xe7", "안녕"),
        ("shift_jis", b"\x82\xb1\x82\xf1", "こん"),
        ("koi8-r", b"\xf0\xd2\xc9\xd7\xc5\xd4", "Привет"),
        ("windows-1251", b"\xcf\xf0\xe8\xe2\xe5\xf2", "Привет"),
        ("utf-7", b"+ZeVnLIqe-", "日本語"),
    ];
    for (charset, body, want) in cases {
        let mut raw = format!("Content-Type: text/plain; charset={charset}\r\n\r\n").into_bytes();
        raw.extend_from_slice(body);
        let m = Message::parse(&raw).unwrap();
        let (text, defects) = m.decode_text().unwrap();
        assert_eq!(text, *want, "{charset}");
        assert!(defects.is_empty(), "{charset}: {defects:?}");
    }
    let m = Message::parse(
        b"Subject: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?= =?koi8-r?b?8NLJ18XU?=\r\n\r\n",
    )
    .unwrap();
    assert_eq!(m.subject().unwrap(), "こんにちはПривет");
}

#[test]
fn utf8_headers_rfc6532_and_latin1_fallback() {
    let m = Message::parse("From: Jörg <jörg@exämple.de>\r\nSubject: Grüße\r\n\r\n".as_bytes())
        .unwrap();
    assert_eq!(m.subject().unwrap(), "Grüße");
    assert_eq!(
        m.from().unwrap().mailboxes().next().unwrap().address,
        "jörg@exämple.de"
    );
    let m = Message::parse(b"Subject: Gr\xfc\xdfe\r\n\r\n").unwrap();
    assert_eq!(m.subject().unwrap(), "Grüße");
}

#[test]
fn attachment_filename_rfc2231_then_name_fallback() {
    let raw = crlf(
        "Content-Type: multipart/mixed; boundary=f\n\n--f\nContent-Type: application/octet-stream; name=\"fallback.bin\"\n\nx\n--f\nContent-Type: application/octet-stream; name=\"ignored.bin\"\nContent-Disposition: attachment;\n filename*0*=iso-8859-1''na%EFve;\n filename*1=\".txt\"\n\ny\n--f--\n",
    );
    let m = Message::parse(&raw).unwrap();
    let names: Vec<_> = m.attachments().map(|p| p.filename().unwrap()).collect();
    assert_eq!(names, ["fallback.bin", "naïve.txt"]);
    assert!(m.children()[1].is_attachment());
}

#[test]
fn uuencode_and_quoted_printable_bodies() {
    let m = Message::parse(
        b"Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 c\r\n#0V%T\r\n`\r\nend\r\n",
    )
    .unwrap();
    assert_eq!(&m.decoded_body()[..], b"Cat");
    let m =
        Message::parse(b"Content-Transfer-Encoding: quoted-printable\r\n\r\nbad =ZZ\r\n").unwrap();
    let (body, defects) = m.decode_body();
    assert_eq!(&body[..], b"bad =ZZ\r\n");
    assert_eq!(defects, [Defect::InvalidQuotedPrintable]);
}

#[test]
fn delivery_report_parses_into_recipients_rfc3464() {
    let raw = crlf(
        "From: MAILER-DAEMON@mx.example.com\nContent-Type: multipart/report; report-type=delivery-status; boundary=r\n\n--r\n\nYour message could not be delivered.\n--r\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.com\n\nFinal-Recipient: rfc822; nobody@example.org\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\n--r\nContent-Type: text/rfc822-headers\n\nSubject: hi\n--r--\n",
    );
    let m = Message::parse(&raw).unwrap();
    let report = m.delivery_status().unwrap();
    assert_eq!(report.reporting_mta.as_deref(), Some("mx.example.com"));
    assert_eq!(report.recipients.len(), 1);
    let r = &report.recipients[0];
    assert_eq!(r.final_recipient.as_deref(), Some("nobody@example.org"));
    assert_eq!(r.action, Some(Action::Failed));
    assert_eq!(r.status.as_deref(), Some("5.1.1"));
    assert_eq!(r.diagnostic_code.as_deref(), Some("550 5.1.1 User unknown"));
}

#[test]
fn message_ids_dates_and_bad_zones() {
    let m = Message::parse(
        b"Message-ID: <a@b>\r\nReferences: <x@y>\r\n <z@w>\r\nIn-Reply-To: <z@w>\r\nDate: Mon, 3 Jan 2022 10:00:00 XYZ\r\n\r\n",
    )
    .unwrap();
    assert_eq!(m.message_id().as_deref(), Some("a@b"));
    assert_eq!(m.references(), ["x@y", "z@w"]);
    assert_eq!(m.in_reply_to(), ["z@w"]);
    let (date, defects) = m.date_with_defects().unwrap();
    assert_eq!(date.unwrap().zone, Zone::Missing);
    assert_eq!(defects, [Defect::BadDateZone]);
}

#[test]
fn headers_only_and_empty_inputs() {
    for raw in [
        &b""[..],
        b"\r\n",
        b"Subject: x",
        b"no colon at all",
        b"--",
        b"\r\n\r\n\r\n",
    ] {
        let m = Message::parse(raw).unwrap();
        assert!(m.body_range().end <= raw.len());
    }
    let m = Message::parse(b"no colon at all").unwrap();
    assert_eq!(m.raw_body(), b"no colon at all");
    assert_eq!(m.defects(), [Defect::MissingHeaderBodySeparator]);
}

#[test]
fn base64_encoded_message_rfc822_is_a_leaf_with_defect() {
    let m = Message::parse(b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nU3ViamVjdDogeA==\r\n").unwrap();
    assert!(matches!(m.kind(), PartKind::Leaf));
    assert_eq!(m.defects(), [Defect::EncodedMessageBody]);
}

#[test]
fn real_world_shape_mixed_related_alternative_with_exact_ranges_rfc2046_5_1() {
    let raw = crlf(concat!(
        "From: Sender <s@example.com>\n",
        "Content-Type: multipart/mixed; boundary=\"==mixed==\"\n",
        "\n",
        "This is a multi-part message in MIME format.\n",
        "--==mixed==\n",
        "Content-Type: multipart/related; boundary=\"rel\"; type=\"multipart/alternative\"\n",
        "\n",
        "--rel\n",
        "Content-Type: multipart/alternative; boundary=alt\n",
        "\n",
        "--alt\n",
        "Content-Type: text/plain; charset=utf-8\n",
        "Content-Transfer-Encoding: 8bit\n",
        "\n",
        "Grüße\n",
        "--alt\n",
        "Content-Type: text/html; charset=utf-8\n",
        "\n",
        "<p>Grüße<img src=\"cid:logo\"></p>\n",
        "--alt--\n",
        "--rel\n",
        "Content-Type: image/png\n",
        "Content-ID: <logo>\n",
        "Content-Disposition: inline; filename=logo.png\n",
        "Content-Transfer-Encoding: base64\n",
        "\n",
        "iVBORw0KGgo=\n",
        "--rel--\n",
        "--==mixed==\n",
        "Content-Type: application/octet-stream\n",
        "Content-Disposition: attachment; filename=\"data.bin\"\n",
        "\n",
        "\u{0}\u{1}\u{2}\n",
        "--==mixed==--\n",
    ));
    let m = Message::parse(&raw).unwrap();
    assert!(m.all_defects().next().is_none());
    let types: Vec<String> = m.parts().map(|p| p.content_type().mime_type()).collect();
    assert_eq!(
        types,
        [
            "multipart/mixed",
            "multipart/related",
            "multipart/alternative",
            "text/plain",
            "text/html",
            "image/png",
            "application/octet-stream"
        ]
    );
    let texts: Vec<_> = m
        .text_bodies()
        .map(|p| p.text().unwrap().into_owned())
        .collect();
    assert_eq!(texts, ["Grüße", "<p>Grüße<img src=\"cid:logo\"></p>"]);
    let files: Vec<_> = m.attachments().filter_map(|p| p.filename()).collect();
    assert_eq!(files, ["logo.png", "data.bin"]);
    let png = m
        .parts()
        .find(|p| p.content_type().is("image", "png"))
        .unwrap();
    assert_eq!(&png.decoded_body()[..], b"\x89PNG\r\n\x1a\n");
    assert_eq!(png.depth(), 2);
    assert_eq!(
        m.preamble(),
        Some(&b"This is a multi-part message in MIME format."[..])
    );
}

#[test]
fn header_and_body_ranges_reassemble_each_part_for_dkim_rfc6376_3_7() {
    let raw = crlf(
        "DKIM-Signature: v=1; a=rsa-sha256;\n b=abc\nContent-Type: multipart/mixed; boundary=k\n\n--k\nX-A: 1\n\nbody a\n--k\n\nbody b\n--k--\n",
    );
    let m = Message::parse(&raw).unwrap();
    for part in m.parts() {
        let h = part.header_range();
        let b = part.body_range();
        // The header fields, then exactly one empty line (or nothing), then the body.
        let sep = &raw[h.end..b.start];
        assert!(sep == b"\r\n" || sep.is_empty(), "{sep:?}");
    }
    let sig = m.header("dkim-signature").unwrap();
    assert_eq!(
        &raw[sig.range()],
        b"DKIM-Signature: v=1; a=rsa-sha256;\r\n b=abc\r\n"
    );
    assert_eq!(m.children()[0].raw_headers(), b"X-A: 1\r\n");
    assert_eq!(m.children()[0].raw_body(), b"body a");
    assert_eq!(m.children()[1].raw_headers(), b"");
    assert_eq!(m.children()[1].raw_body(), b"body b");
}
