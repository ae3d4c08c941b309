//! Golden test of the MIME corpus: every message under
//! `crates/mime/tests/data` (vendored enmime and CPython messages, our own
//! torture messages) is dumped with mimedump's summary and compared with
//! the `.json` stored next to it (`name.eml` -> `name.json`).
//!
//! A golden is reviewed by eye before it is accepted: a golden that
//! enshrines a parser bug is a defect. The goldens of the messages in
//! [`KNOWN_PARSER_BUGS`] hold the expected output, not the current one; the
//! test checks that they still differ, so a fix is noticed and the entry
//! removed. To write the goldens after a reviewed change, run with
//! `POSTWIRE_BLESS=1` (known-bug goldens are left alone) and read the diff.

#[path = "json.rs"]
#[allow(dead_code)]
mod json;
#[path = "summary.rs"]
#[allow(dead_code)]
mod summary;

use std::path::{Path, PathBuf};

/// The extensions of message files in the corpus.
const MESSAGE_EXTENSIONS: &[&str] = &["eml", "raw", "golden", "txt"];

/// Messages on which postwire-mime is known to be wrong (path below the
/// data folder, what is wrong). `.ci/interop.d/30-mime.allow` lists the same.
const KNOWN_PARSER_BUGS: &[(&str, &str)] = &[];

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/mime/tests/data")
}

/// Every file below `dir`, sorted.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn is_message(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| MESSAGE_EXTENSIONS.contains(&e))
}

#[test]
fn every_corpus_message_matches_its_golden_json() {
    let bless = std::env::var_os("POSTWIRE_BLESS").is_some();
    let mut files = Vec::new();
    walk(&data_dir(), &mut files);
    let messages: Vec<&PathBuf> = files.iter().filter(|p| is_message(p)).collect();
    assert!(
        messages.len() > 100,
        "corpus has {} messages",
        messages.len()
    );
    let mut failures = Vec::new();
    let root = data_dir();
    for path in &messages {
        let raw = std::fs::read(path).expect("read message");
        let got = summary::dump(&raw).unwrap_or_else(|e| panic!("{}: {e}", path.display())) + "\n";
        let golden = path.with_extension("json");
        let name = path
            .strip_prefix(&root)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        let known_bug = KNOWN_PARSER_BUGS.iter().find(|(file, _)| *file == name);
        if bless {
            if known_bug.is_none() {
                std::fs::write(&golden, &got).expect("write golden");
            }
            continue;
        }
        match std::fs::read_to_string(&golden) {
            Ok(want) if want == got => {
                if let Some((_, bug)) = known_bug {
                    failures.push(format!(
                        "{name}: matches its golden now; remove it from KNOWN_PARSER_BUGS \
                         and .ci/interop.d/30-mime.allow ({bug})"
                    ));
                }
            }
            Ok(_) if known_bug.is_some() => {}
            Ok(want) => failures.push(format!(
                "{}:\n  want {}  got  {}",
                path.display(),
                want,
                got
            )),
            Err(e) => failures.push(format!("{}: {e}", golden.display())),
        }
    }
    // A golden whose message is gone is stale.
    for path in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
    {
        let has_message = MESSAGE_EXTENSIONS
            .iter()
            .any(|ext| path.with_extension(ext).exists());
        if !has_message {
            failures.push(format!("{}: golden without a message", path.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn summary_follows_the_documented_shape() {
    let raw = b"From: =?utf-8?q?Doe=2C_Jane?= <jane@example.org>\r\n\
To: team: bob@example.org, Carol <carol@example.org>;\r\n\
Subject: =?utf-8?b?UmVwb3J0IOKAlCBROA==?=\r\n\
Date: Fri, 21 Nov 1997 09:55:06 -0000\r\n\
Message-ID: <1@example.org>\r\n\
Content-Type: multipart/mixed; boundary=b\r\n\
\r\n\
--b\r\n\
Content-Type: text/plain; charset=x-nobody-knows\r\n\
\r\n\
caf\xc3\xa9 \xff\r\n\
--b\r\n\
Content-Type: application/octet-stream; name=\"a.bin\"\r\n\
Content-Disposition: form-data\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
AAEC\r\n";
    let got = summary::dump(raw).expect("parse");
    assert_eq!(
        got,
        concat!(
            r#"{"subject":"Report — Q8","from":[{"name":"Doe, Jane","address":"jane@example.org"}],"#,
            r#""to":[{"name":null,"address":"bob@example.org"},{"name":"Carol","address":"carol@example.org"}],"#,
            r#""cc":[],"date":"1997-11-21T09:55:06-00:00","message_id":"1@example.org","#,
            r#""defects":["malformed-charset-data","missing-final-boundary","unknown-charset"],"#,
            r#""parts":[{"content_type":"text/plain","charset":"x-nobody-knows","disposition":null,"filename":null,"size":7,"#,
            r#""sha256":"8a6a9e2719425bf5864cbaf88dfc02489902245af1ca0bc82225df6463f3f3db","text":"café �"},"#,
            r#"{"content_type":"application/octet-stream","charset":null,"disposition":"attachment","filename":"a.bin","size":3,"#,
            r#""sha256":"ae4b3280e56e2faf83f414a6e3dabe9d5fbe18976544c05fed121accb85b53fc","text":null}]}"#
        )
    );
}
