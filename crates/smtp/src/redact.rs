//! Transcript redaction for SMTP: no credential and no message content ever
//! reaches a [`Transcript`](postwire_io::Transcript) sink.

use std::borrow::Cow;

use postwire_io::Redactor;
use postwire_io::transcript::MAX_TRANSCRIPT_LINE;

/// Rewrites SMTP transcript lines that carry credentials or message data,
/// for [`Connection::set_transcript`](postwire_io::Connection::set_transcript).
///
/// The redactor watches both directions of one session, so the same type
/// serves the client facade (client lines are outgoing) and the server
/// facade (client lines are incoming); [`SmtpRedactor::for_client`] and
/// [`SmtpRedactor::for_server`] say which is which. What it rewrites:
///
/// - `AUTH <mechanism> <initial-response>` becomes
///   `AUTH <mechanism> <redacted>` (RFC 4954 §4);
/// - from an `AUTH` command until the server's final reply to it (`235`,
///   any `4xx` or `5xx`; `334` keeps the exchange open), every client line
///   becomes `<redacted>`, whatever the mechanism (PLAIN, LOGIN, XOAUTH2,
///   OAUTHBEARER, SCRAM): the redactor never needs to understand SASL;
/// - message content: after the server's `354` (RFC 5321 §4.1.1.4) every
///   client line up to the lone `.` is left out, and the `.` itself is
///   recorded as `<N bytes of message data>` (N counts the dot-stuffed
///   lines with CRLF, the terminator excluded); after `BDAT n [LAST]`
///   (RFC 3030 §2) the next n octets are left out (the BDAT line itself
///   shows the size), and a command that shares a line with the end of a
///   chunk is kept.
///
/// Limits: the driver hands the redactor lines with their ending already
/// stripped. Chunk
/// octets are counted assuming CRLF endings (what a client sends unless the
/// body is BINARYMIME) and no ending for pieces of
/// [`MAX_TRANSCRIPT_LINE`](postwire_io::transcript::MAX_TRANSCRIPT_LINE)
/// octets. For a BINARYMIME body with bare LFs the count may drift; the
/// server's reply to `BDAT ... LAST`, which it sends only after the whole
/// chunk, puts the redactor back to commands, so a drift can blank or show
/// content lines but never spill into a later AUTH exchange.
#[derive(Clone, Debug)]
pub struct SmtpRedactor {
    /// Whether the local side is the client (its lines are outgoing).
    client_side: bool,
    mode: Mode,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Client lines are commands.
    Commands,
    /// An AUTH exchange is open: client lines are SASL responses.
    Auth,
    /// Between `354` and the lone `.`: client lines are message data.
    Data { bytes: u64 },
    /// Inside a BDAT chunk with this many octets still to come.
    Chunk { remaining: u64, last: bool },
}

impl Default for SmtpRedactor {
    /// The client's view, as [`for_client`](Self::for_client).
    fn default() -> Self {
        Self::for_client()
    }
}

const REDACTED: &[u8] = b"<redacted>";

impl SmtpRedactor {
    /// For a client session: outgoing lines are the client's.
    pub fn for_client() -> Self {
        Self {
            client_side: true,
            mode: Mode::Commands,
        }
    }

    /// For a server session: incoming lines are the client's.
    pub fn for_server() -> Self {
        Self {
            client_side: false,
            mode: Mode::Commands,
        }
    }

    /// A line the SMTP client sent.
    fn client_line<'a>(&mut self, line: &'a [u8]) -> Option<Cow<'a, [u8]>> {
        match self.mode {
            Mode::Auth => Some(Cow::Borrowed(REDACTED)),
            Mode::Data { bytes } => {
                if line == b"." {
                    self.mode = Mode::Commands;
                    Some(Cow::Owned(
                        format!("<{bytes} bytes of message data>").into_bytes(),
                    ))
                } else {
                    self.mode = Mode::Data {
                        bytes: bytes + line.len() as u64 + 2,
                    };
                    None
                }
            }
            Mode::Chunk { remaining, last } => {
                let ending = if line.len() == MAX_TRANSCRIPT_LINE {
                    0
                } else {
                    2
                };
                let length = line.len() as u64 + ending;
                if length <= remaining {
                    let remaining = remaining - length;
                    self.mode = if remaining == 0 {
                        Mode::Commands
                    } else {
                        Mode::Chunk { remaining, last }
                    };
                    return None;
                }
                // The chunk ends inside this line; what follows is a command.
                self.mode = Mode::Commands;
                let split = usize::try_from(remaining)
                    .unwrap_or(line.len())
                    .min(line.len());
                Some(self.command(&line[split..]))
            }
            Mode::Commands => Some(self.command(line)),
        }
    }

    /// A command line: AUTH opens an exchange, BDAT a chunk.
    fn command<'a>(&mut self, line: &'a [u8]) -> Cow<'a, [u8]> {
        let mut words = line.split(|&b| b == b' ').filter(|w| !w.is_empty());
        let verb = words.next().unwrap_or_default();
        if verb.eq_ignore_ascii_case(b"AUTH") {
            self.mode = Mode::Auth;
            let mechanism = words.next();
            let has_initial = words.next().is_some();
            return match (mechanism, has_initial) {
                (Some(mechanism), true) => {
                    let mut out = b"AUTH ".to_vec();
                    out.extend_from_slice(mechanism);
                    out.push(b' ');
                    out.extend_from_slice(REDACTED);
                    Cow::Owned(out)
                }
                _ => Cow::Borrowed(line),
            };
        }
        if verb.eq_ignore_ascii_case(b"BDAT") {
            let size = words
                .next()
                .and_then(|n| std::str::from_utf8(n).ok())
                .and_then(|n| n.parse::<u64>().ok());
            let last = words
                .next()
                .is_some_and(|w| w.eq_ignore_ascii_case(b"LAST"));
            if let Some(size) = size.filter(|&n| n > 0) {
                self.mode = Mode::Chunk {
                    remaining: size,
                    last,
                };
            }
        }
        Cow::Borrowed(line)
    }

    /// A line the SMTP server sent.
    fn server_line<'a>(&mut self, line: &'a [u8]) -> Option<Cow<'a, [u8]>> {
        let code = line.get(..3).unwrap_or_default();
        // Continuation lines (`334-`, `250-`) do not end anything yet.
        let last_line = line.get(3).is_none_or(|&b| b != b'-');
        match self.mode {
            Mode::Auth
                if last_line
                    && code != b"334"
                    && code.first().is_some_and(|c| b"2345".contains(c)) =>
            {
                self.mode = Mode::Commands;
            }
            Mode::Commands if last_line && code == b"354" => {
                self.mode = Mode::Data { bytes: 0 };
            }
            // The reply to the last chunk comes after all of it (RFC 3030
            // §2): whatever the count says, the chunk is over.
            Mode::Chunk { last: true, .. } => {
                self.mode = Mode::Commands;
            }
            _ => {}
        }
        Some(Cow::Borrowed(line))
    }
}

impl Redactor for SmtpRedactor {
    fn outgoing<'a>(&mut self, line: &'a [u8]) -> Option<Cow<'a, [u8]>> {
        if self.client_side {
            self.client_line(line)
        } else {
            self.server_line(line)
        }
    }

    fn incoming<'a>(&mut self, line: &'a [u8]) -> Option<Cow<'a, [u8]>> {
        if self.client_side {
            self.server_line(line)
        } else {
            self.client_line(line)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a client-side transcript (`C:`/`S:` lines) through a redactor
    /// of either role and returns the redacted text.
    fn redact(role_client: bool, script: &[&str]) -> Vec<String> {
        let mut r = if role_client {
            SmtpRedactor::for_client()
        } else {
            SmtpRedactor::for_server()
        };
        script
            .iter()
            .map(|l| {
                let (who, text) = l.split_at(3);
                let from_client = who == "C: ";
                let out = match (from_client, role_client) {
                    (true, true) | (false, false) => r.outgoing(text.as_bytes()),
                    _ => r.incoming(text.as_bytes()),
                };
                match out {
                    Some(out) => format!("{who}{}", String::from_utf8_lossy(&out)),
                    None => format!("{who}<left out>"),
                }
            })
            .collect()
    }

    fn both_roles(script: &[&str]) -> Vec<String> {
        let client = redact(true, script);
        let server = redact(false, script);
        assert_eq!(client, server, "client and server views differ");
        client
    }

    #[test]
    fn auth_plain_initial_response_is_redacted_rfc4954_4() {
        // "\0alice\0hunter2"
        let secret = "AGFsaWNlAGh1bnRlcjI=";
        let out = both_roles(&[
            "C: EHLO client.example",
            "S: 250 AUTH PLAIN",
            &format!("C: AUTH PLAIN {secret}"),
            "S: 235 2.7.0 ok",
            "C: MAIL FROM:<a@example.org>",
        ]);
        assert_eq!(out[2], "C: AUTH PLAIN <redacted>");
        assert_eq!(out[4], "C: MAIL FROM:<a@example.org>");
        assert!(out.iter().all(|l| !l.contains(secret)));
    }

    #[test]
    fn auth_login_lines_are_redacted_until_235_rfc4954_4() {
        let out = both_roles(&[
            "C: AUTH LOGIN",
            "S: 334 VXNlcm5hbWU6",
            "C: YWxpY2U=",
            "S: 334 UGFzc3dvcmQ6",
            "C: aHVudGVyMg==",
            "S: 235 2.7.0 ok",
            "C: NOOP",
        ]);
        assert_eq!(out[0], "C: AUTH LOGIN");
        assert_eq!(out[2], "C: <redacted>");
        assert_eq!(out[4], "C: <redacted>");
        assert_eq!(out[6], "C: NOOP");
        assert!(
            out.iter()
                .all(|l| !l.contains("aHVudGVyMg") && !l.contains("YWxpY2U"))
        );
    }

    #[test]
    fn xoauth2_token_and_error_response_are_redacted_rfc4954_4() {
        let token = "dXNlcj1hbGljZQFhdXRoPUJlYXJlciB5YTI5LnNlY3JldAEB";
        let out = both_roles(&[
            &format!("C: auth xoauth2 {token}"),
            "S: 334 eyJzdGF0dXMiOiI0MDEifQ==",
            "C: ",
            "S: 535 5.7.8 bad token",
            "C: QUIT",
        ]);
        assert_eq!(out[0], "C: AUTH xoauth2 <redacted>");
        assert_eq!(out[2], "C: <redacted>");
        assert_eq!(out[4], "C: QUIT");
        assert!(out.iter().all(|l| !l.contains(token)));
    }

    #[test]
    fn lines_after_auth_without_334_are_redacted_until_final_reply() {
        // A client that sends its response early (or a broken exchange):
        // still never shown.
        let out = both_roles(&[
            "C: AUTH LOGIN",
            "C: c2VjcmV0",
            "S: 454 4.7.0 temporary failure",
            "C: RSET",
        ]);
        assert_eq!(out[1], "C: <redacted>");
        assert_eq!(out[3], "C: RSET");
    }

    #[test]
    fn data_body_becomes_one_size_line_rfc5321_4_1_1_4() {
        let out = both_roles(&[
            "C: DATA",
            "S: 354 go ahead",
            "C: Subject: secret plans",
            "C: ",
            "C: ..dotted",
            "C: .",
            "S: 250 2.0.0 queued as 1",
            "C: QUIT",
        ]);
        assert_eq!(out[2], "C: <left out>");
        assert_eq!(out[4], "C: <left out>");
        assert_eq!(out[5], "C: <35 bytes of message data>");
        assert_eq!(out[7], "C: QUIT");
        assert!(out.iter().all(|l| !l.contains("secret plans")));
    }

    #[test]
    fn bdat_chunks_are_left_out_and_next_command_kept_rfc3030_2() {
        // Chunk 1: "Subject: x\r\n\r\nbo" (16 octets) ends mid-line, so the
        // next BDAT command shares the transcript line with "bo".
        let out = both_roles(&[
            "C: BDAT 16",
            "C: Subject: x",
            "C: ",
            "C: boBDAT 6 LAST",
            "C: dy!!",
            "S: 250 2.0.0 chunk",
            "S: 250 2.0.0 queued",
            "C: QUIT",
        ]);
        assert_eq!(out[0], "C: BDAT 16");
        assert_eq!(out[1], "C: <left out>");
        assert_eq!(out[3], "C: BDAT 6 LAST");
        assert_eq!(out[4], "C: <left out>");
        assert_eq!(out[7], "C: QUIT");
    }

    #[test]
    fn reply_to_last_chunk_resyncs_a_drifted_count_rfc3030_2() {
        // A binary chunk with bare LFs: the count (CRLF assumed) drifts and
        // still expects octets when the server answers the last chunk.
        let out = both_roles(&[
            "C: BDAT 6 LAST",
            "C: a",
            "C: b",
            "S: 250 2.0.0 queued",
            "C: AUTH LOGIN",
            "S: 334 VXNlcm5hbWU6",
            "C: c2VjcmV0",
            "S: 235 2.7.0 ok",
        ]);
        assert_eq!(out[4], "C: AUTH LOGIN");
        assert_eq!(out[6], "C: <redacted>");
    }

    #[test]
    fn multiline_334_keeps_exchange_open() {
        let out = both_roles(&[
            "C: AUTH X",
            "S: 235-almost",
            "C: c2VjcmV0",
            "S: 235 done",
            "C: NOOP",
        ]);
        assert_eq!(out[2], "C: <redacted>");
        assert_eq!(out[4], "C: NOOP");
    }

    proptest::proptest! {
        /// Whatever the secret, the mechanism, the verb's case and the
        /// number of SASL round trips, no secret reaches the transcript.
        #[test]
        fn no_sasl_secret_ever_reaches_the_transcript(
            secret in "s3cr[A-Za-z0-9+/]{4,36}={0,2}",
            mechanism in "(PLAIN|LOGIN|XOAUTH2|OAUTHBEARER|SCRAM-SHA-256)",
            verb in "(AUTH|auth|Auth)",
            initial in proptest::bool::ANY,
            rounds in 0usize..4,
            outcome in "(235 2.7.0 ok|535 5.7.8 no|454 4.7.0 later|501 5.5.2 bad)",
        ) {
            let mut script = Vec::new();
            if initial {
                script.push(format!("C: {verb} {mechanism} {secret}"));
            } else {
                script.push(format!("C: {verb} {mechanism}"));
            }
            for _ in 0..rounds {
                script.push("S: 334 ".to_string());
                script.push(format!("C: {secret}"));
            }
            script.push(format!("S: {outcome}"));
            script.push("C: QUIT".to_string());
            let lines: Vec<&str> = script.iter().map(String::as_str).collect();
            let out = both_roles(&lines);
            proptest::prop_assert!(out.iter().all(|l| !l.contains(&secret)), "{:?}", out);
            proptest::prop_assert_eq!(out.last().map(String::as_str), Some("C: QUIT"));
        }
    }
}
