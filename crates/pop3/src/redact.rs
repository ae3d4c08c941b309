//! Transcript redaction for POP3: no credential and no message content ever
//! reaches a [`Transcript`](postwire_io::Transcript) sink.

use std::borrow::Cow;
use std::collections::VecDeque;

use postwire_io::Redactor;

/// Rewrites POP3 transcript lines that carry credentials or message content,
/// for [`Connection::set_transcript`](postwire_io::Connection::set_transcript).
///
/// It watches both directions of one session, so the same type serves the
/// client facade (client lines are outgoing) and the server facade (client
/// lines are incoming); [`Pop3Redactor::for_client`] and
/// [`Pop3Redactor::for_server`] say which is which. What it rewrites:
///
/// - `PASS <password>` becomes `PASS <redacted>` (RFC 1939 §7);
/// - `APOP <name> <digest>` becomes `APOP <name> <redacted>`: the digest
///   allows an offline dictionary attack on the shared secret (RFC 1939 §7);
/// - `AUTH <mechanism> <initial-response>` becomes
///   `AUTH <mechanism> <redacted>`, and from an `AUTH` command until the
///   server's `+OK` or `-ERR` to it every client line (the SASL responses,
///   RFC 5034 §4) becomes `<redacted>`, whatever the mechanism; the
///   server's `+ ` challenges are kept (they carry nothing the client
///   proves);
/// - message content: after `+OK` to `RETR` or `TOP` every server line up to
///   the lone `.` is left out, and the `.` itself is recorded as
///   `<N bytes of message data>` (N counts the lines as sent, dot-stuffed,
///   with CRLF; RFC 1939 §3).
///
/// The user name (`USER`, `APOP`) stays: servers log it too. Answers are
/// matched to commands in order, so pipelined commands (RFC 2449 §6.6) are
/// followed correctly.
///
/// Limits: the driver hands the redactor lines of at most
/// [`MAX_TRANSCRIPT_LINE`](postwire_io::transcript::MAX_TRANSCRIPT_LINE)
/// octets, cutting longer ones. A content line made only of a `.` after
/// such a cut would end the content early and show the lines after it; a
/// drift like that can show content, never credentials: `AUTH` cannot be
/// outstanding while a message is being retrieved (RFC 1939 §3 states).
#[derive(Clone, Debug)]
pub struct Pop3Redactor {
    /// Whether the local side is the client (its lines are outgoing).
    client_side: bool,
    greeted: bool,
    /// Commands sent and not yet answered, oldest first.
    pending: VecDeque<Answer>,
    mode: Mode,
    /// An AUTH exchange is open: client lines are SASL responses.
    auth: bool,
}

/// What kind of answer a command gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    /// One status line.
    Single,
    /// A status line, then (after `+OK`) a multi-line listing to show.
    Listing,
    /// A status line, then (after `+OK`) message content to leave out.
    Content,
    /// AUTH: challenges, then a status line.
    Auth,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Server lines are status lines.
    Status,
    /// Server lines belong to a CAPA, LIST or UIDL listing.
    Listing,
    /// Server lines are message content; `bytes` counted so far.
    Content { bytes: u64 },
}

impl Default for Pop3Redactor {
    /// The client's view, as [`for_client`](Self::for_client).
    fn default() -> Self {
        Self::for_client()
    }
}

const REDACTED: &[u8] = b"<redacted>";

impl Pop3Redactor {
    /// For a client session: outgoing lines are the client's.
    pub fn for_client() -> Self {
        Self::new(true)
    }

    /// For a server session: incoming lines are the client's.
    pub fn for_server() -> Self {
        Self::new(false)
    }

    fn new(client_side: bool) -> Self {
        Self {
            client_side,
            greeted: false,
            pending: VecDeque::new(),
            mode: Mode::Status,
            auth: false,
        }
    }

    /// A line the POP3 client sent.
    fn client_line<'a>(&mut self, line: &'a [u8]) -> Cow<'a, [u8]> {
        if self.auth {
            return Cow::Borrowed(REDACTED);
        }
        let mut words = line.split(|&b| b == b' ').filter(|w| !w.is_empty());
        let verb = words.next().unwrap_or_default();
        let has_argument = words.next();
        let is = |name: &[u8]| verb.eq_ignore_ascii_case(name);
        if is(b"PASS") {
            self.pending.push_back(Answer::Single);
            return Cow::Owned([b"PASS ", REDACTED].concat());
        }
        if is(b"APOP") {
            self.pending.push_back(Answer::Single);
            let mut out = b"APOP".to_vec();
            if let Some(name) = has_argument {
                out.push(b' ');
                out.extend_from_slice(name);
            }
            out.push(b' ');
            out.extend_from_slice(REDACTED);
            return Cow::Owned(out);
        }
        if is(b"AUTH") {
            // `AUTH` alone lists the mechanisms (RFC 5034 §4 leaves it to
            // CAPA, some servers still answer it): no exchange starts.
            let Some(mechanism) = has_argument else {
                self.pending.push_back(Answer::Listing);
                return Cow::Borrowed(line);
            };
            self.pending.push_back(Answer::Auth);
            self.auth = true;
            if words.next().is_some() {
                let mut out = b"AUTH ".to_vec();
                out.extend_from_slice(mechanism);
                out.push(b' ');
                out.extend_from_slice(REDACTED);
                return Cow::Owned(out);
            }
            return Cow::Borrowed(line);
        }
        let answer = if is(b"RETR") || is(b"TOP") {
            Answer::Content
        } else if is(b"CAPA") || ((is(b"LIST") || is(b"UIDL")) && has_argument.is_none()) {
            Answer::Listing
        } else {
            Answer::Single
        };
        self.pending.push_back(answer);
        Cow::Borrowed(line)
    }

    /// A line the POP3 server sent.
    fn server_line<'a>(&mut self, line: &'a [u8]) -> Option<Cow<'a, [u8]>> {
        match self.mode {
            Mode::Content { bytes } => {
                if line == b"." {
                    self.mode = Mode::Status;
                    return Some(Cow::Owned(
                        format!("<{bytes} bytes of message data>").into_bytes(),
                    ));
                }
                self.mode = Mode::Content {
                    bytes: bytes + line.len() as u64 + 2,
                };
                return None;
            }
            Mode::Listing => {
                if line == b"." {
                    self.mode = Mode::Status;
                }
                return Some(Cow::Borrowed(line));
            }
            Mode::Status => {}
        }
        if !self.greeted {
            self.greeted = true;
            return Some(Cow::Borrowed(line));
        }
        // `+` or `+ <base64>`: an AUTH challenge, not an answer.
        if line == b"+" || (line.starts_with(b"+ ") && !starts_with_ok(line)) {
            return Some(Cow::Borrowed(line));
        }
        let ok = starts_with_ok(line);
        if ok || starts_with_ignore_case(line, b"-ERR") {
            match self.pending.pop_front() {
                Some(Answer::Auth) => self.auth = false,
                Some(Answer::Listing) if ok => self.mode = Mode::Listing,
                Some(Answer::Content) if ok => self.mode = Mode::Content { bytes: 0 },
                _ => {}
            }
        }
        Some(Cow::Borrowed(line))
    }
}

fn starts_with_ok(line: &[u8]) -> bool {
    starts_with_ignore_case(line, b"+OK")
}

fn starts_with_ignore_case(line: &[u8], prefix: &[u8]) -> bool {
    line.get(..prefix.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
}

impl Redactor for Pop3Redactor {
    fn outgoing<'a>(&mut self, line: &'a [u8]) -> Option<Cow<'a, [u8]>> {
        if self.client_side {
            Some(self.client_line(line))
        } else {
            self.server_line(line)
        }
    }

    fn incoming<'a>(&mut self, line: &'a [u8]) -> Option<Cow<'a, [u8]>> {
        if self.client_side {
            self.server_line(line)
        } else {
            Some(self.client_line(line))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a client-view script (`C:`/`S:` lines) through a redactor of
    /// each role; both must agree. Left-out lines show as `<left out>`.
    fn redact(script: &[&str]) -> Vec<String> {
        let run = |client_side: bool| -> Vec<String> {
            let mut r = if client_side {
                Pop3Redactor::for_client()
            } else {
                Pop3Redactor::for_server()
            };
            script
                .iter()
                .map(|l| {
                    let (who, text) = l.split_at(3);
                    let from_client = who == "C: ";
                    let out = if from_client == client_side {
                        r.outgoing(text.as_bytes())
                    } else {
                        r.incoming(text.as_bytes())
                    };
                    match out {
                        Some(out) => format!("{who}{}", String::from_utf8_lossy(&out)),
                        None => format!("{who}<left out>"),
                    }
                })
                .collect()
        };
        let client = run(true);
        assert_eq!(client, run(false), "client and server views differ");
        client
    }

    #[test]
    fn pass_argument_is_redacted_rfc1939_7() {
        let out = redact(&[
            "S: +OK ready",
            "C: USER alice",
            "S: +OK",
            "C: PASS hunter2 with spaces",
            "S: +OK maildrop locked",
            "C: STAT",
        ]);
        assert_eq!(out[1], "C: USER alice");
        assert_eq!(out[3], "C: PASS <redacted>");
        assert_eq!(out[5], "C: STAT");
        assert!(out.iter().all(|l| !l.contains("hunter2")));
    }

    #[test]
    fn apop_digest_is_redacted_rfc1939_7() {
        let out = redact(&[
            "S: +OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>",
            "C: apop mrose c4c9334bac560ecc979e58001b3e22fb",
            "S: +OK mrose's maildrop has 2 messages (320 octets)",
        ]);
        assert_eq!(out[1], "C: APOP mrose <redacted>");
        assert!(out.iter().all(|l| !l.contains("c4c9334b")));
    }

    #[test]
    fn auth_initial_response_and_sasl_lines_are_redacted_rfc5034_4() {
        let out = redact(&[
            "S: +OK ready",
            "C: AUTH PLAIN AGFsaWNlAGh1bnRlcjI=",
            "S: +OK logged in",
            "C: LIST",
        ]);
        assert_eq!(out[1], "C: AUTH PLAIN <redacted>");
        assert_eq!(out[3], "C: LIST");

        let out = redact(&[
            "S: +OK ready",
            "C: AUTH SCRAM-SHA-256",
            "S: + ",
            "C: biwsbj1hbGljZSxyPW5vbmNl",
            "S: + cj1ub25jZTEyMyxzPXNhbHQsaT00MDk2",
            "C: Yz1iaXdzLHI9bm9uY2UxMjMscD1wcm9vZg==",
            "S: + dj1zaWduYXR1cmU=",
            "C: ",
            "S: -ERR [AUTH] authentication failed",
            "C: USER alice",
        ]);
        assert_eq!(out[1], "C: AUTH SCRAM-SHA-256");
        assert_eq!(out[3], "C: <redacted>");
        assert_eq!(out[5], "C: <redacted>");
        assert_eq!(out[7], "C: <redacted>");
        assert_eq!(out[9], "C: USER alice");
    }

    #[test]
    fn cancelled_auth_ends_at_the_err_rfc5034_4() {
        let out = redact(&[
            "S: +OK ready",
            "C: AUTH LOGIN",
            "S: + VXNlcm5hbWU6",
            "C: *",
            "S: -ERR cancelled",
            "C: CAPA",
            "S: +OK",
            "S: USER",
            "S: .",
        ]);
        assert_eq!(out[3], "C: <redacted>");
        assert_eq!(out[5], "C: CAPA");
        assert_eq!(out[7], "S: USER");
    }

    #[test]
    fn retr_content_becomes_one_size_line_rfc1939_5() {
        let out = redact(&[
            "S: +OK ready",
            "C: RETR 1",
            "C: LIST",
            "C: TOP 2 0",
            "C: RETR 9",
            "C: NOOP",
            "S: +OK 30 octets",
            "S: Subject: secret plans",
            "S: ",
            "S: ..dotted",
            "S: .",
            "S: +OK 1 message",
            "S: 1 30",
            "S: .",
            "S: +OK top follows",
            "S: Subject: also secret",
            "S: .",
            "S: -ERR no such message",
            "S: +OK",
        ]);
        assert_eq!(out[7], "S: <left out>");
        assert_eq!(out[9], "S: <left out>");
        assert_eq!(out[10], "S: <35 bytes of message data>");
        assert_eq!(out[12], "S: 1 30");
        assert_eq!(out[15], "S: <left out>");
        assert_eq!(out[16], "S: <22 bytes of message data>");
        assert_eq!(out[17], "S: -ERR no such message");
        assert_eq!(out[18], "S: +OK");
        assert!(out.iter().all(|l| !l.contains("secret")));
    }

    #[test]
    fn refused_retr_has_no_content() {
        let out = redact(&[
            "S: +OK ready",
            "C: RETR 7",
            "S: -ERR no such message",
            "C: STAT",
            "S: +OK 0 0",
        ]);
        assert_eq!(out[4], "S: +OK 0 0");
    }
}
