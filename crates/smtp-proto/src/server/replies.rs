//! The replies the machine writes itself, and how they go on the wire
//! (RFC 5321 §4.2, with RFC 2034 enhanced status codes).

use bytes::BytesMut;

use crate::Reply;

/// A reply the machine knows by heart: code, enhanced code, text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Canned {
    pub(super) code: u16,
    pub(super) enhanced: Option<(u8, u16, u16)>,
    pub(super) text: &'static str,
}

const fn canned(code: u16, enhanced: (u8, u16, u16), text: &'static str) -> Canned {
    Canned {
        code,
        enhanced: Some(enhanced),
        text,
    }
}

pub(super) const OK: Canned = canned(250, (2, 0, 0), "OK");
pub(super) const SENDER_OK: Canned = canned(250, (2, 1, 0), "Sender OK");
pub(super) const RECIPIENT_OK: Canned = canned(250, (2, 1, 5), "Recipient OK");
/// RFC 2034 §3 puts no enhanced code on 354 (Postfix neither).
pub(super) const START_DATA: Canned = Canned {
    code: 354,
    enhanced: None,
    text: "End data with <CR><LF>.<CR><LF>",
};
pub(super) const MESSAGE_OK: Canned = canned(250, (2, 0, 0), "Message accepted");
pub(super) const AUTH_OK: Canned = canned(235, (2, 7, 0), "Authentication successful");
pub(super) const AUTH_FAILED: Canned = canned(535, (5, 7, 8), "Authentication credentials invalid");
pub(super) const AUTH_CANCELLED: Canned = canned(501, (5, 7, 0), "Authentication cancelled");
pub(super) const AUTH_BASE64: Canned = canned(501, (5, 5, 2), "Invalid base64 data");
pub(super) const AUTH_LINE_TOO_LONG: Canned =
    canned(500, (5, 5, 6), "Authentication Exchange line is too long");
pub(super) const AUTH_NEEDS_TLS: Canned =
    canned(530, (5, 7, 0), "Must issue a STARTTLS command first");
pub(super) const AUTH_UNKNOWN_MECHANISM: Canned =
    canned(504, (5, 5, 4), "Unrecognized authentication type");
pub(super) const AUTH_TWICE: Canned = canned(503, (5, 5, 1), "Already authenticated");
pub(super) const AUTH_IN_TRANSACTION: Canned = canned(
    503,
    (5, 5, 1),
    "AUTH not permitted during a mail transaction",
);
pub(super) const AUTH_NEEDS_EHLO: Canned = canned(503, (5, 5, 1), "Send EHLO first");
pub(super) const TLS_GO: Canned = canned(220, (2, 0, 0), "Ready to start TLS");
pub(super) const TLS_REFUSED: Canned =
    canned(454, (4, 7, 0), "TLS not available due to temporary reason");
pub(super) const TLS_ACTIVE: Canned = canned(503, (5, 5, 1), "TLS already active");
pub(super) const TLS_IN_TRANSACTION: Canned = canned(
    503,
    (5, 5, 1),
    "STARTTLS not permitted during a mail transaction",
);
pub(super) const TLS_AFTER_AUTH: Canned =
    canned(503, (5, 5, 1), "STARTTLS not permitted after AUTH");
pub(super) const VRFY_DEFAULT: Canned = canned(
    252,
    (2, 5, 0),
    "Cannot VRFY user, but will accept message and attempt delivery",
);
pub(super) const EXPN_DEFAULT: Canned = canned(502, (5, 5, 1), "EXPN not supported");
pub(super) const HELP: Canned = canned(
    214,
    (2, 0, 0),
    "Commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY STARTTLS AUTH HELP",
);
pub(super) const REJECT_HELO: Canned = canned(550, (5, 7, 1), "Access denied");
pub(super) const REJECT_MAIL: Canned = canned(550, (5, 7, 1), "Sender rejected");
pub(super) const REJECT_RCPT: Canned = canned(550, (5, 1, 1), "Recipient rejected");
pub(super) const REJECT_DATA: Canned = canned(554, (5, 7, 1), "Transaction refused");
pub(super) const REJECT_MESSAGE: Canned = canned(554, (5, 7, 1), "Message rejected");
pub(super) const REJECT_ADDRESS: Canned = canned(550, (5, 1, 1), "Mailbox unavailable");
pub(super) const NOT_IMPLEMENTED: Canned = canned(502, (5, 5, 1), "Command not implemented");
pub(super) const UNRECOGNIZED: Canned = canned(500, (5, 5, 1), "Command unrecognized");
pub(super) const SYNTAX: Canned = canned(501, (5, 5, 2), "Syntax error in parameters or arguments");
pub(super) const BAD_ADDRESS: Canned = canned(501, (5, 1, 3), "Bad address syntax");
pub(super) const PATH_TOO_LONG: Canned = canned(501, (5, 1, 3), "Path too long");
pub(super) const PARAMETER: Canned = canned(
    555,
    (5, 5, 4),
    "MAIL FROM/RCPT TO parameters not recognized or not implemented",
);
pub(super) const BAD_VALUE: Canned = canned(501, (5, 5, 4), "Invalid parameter value");
pub(super) const LINE_TOO_LONG: Canned = canned(500, (5, 5, 2), "Line too long");
pub(super) const BARE_LINE_ENDING: Canned = canned(500, (5, 5, 2), "Bare CR or LF not allowed");
pub(super) const SEND_HELO: Canned = canned(503, (5, 5, 1), "Send HELO/EHLO first");
pub(super) const SEND_LHLO: Canned = canned(503, (5, 5, 1), "Send LHLO first");
pub(super) const NESTED_MAIL: Canned = canned(503, (5, 5, 1), "Nested MAIL command");
pub(super) const NEED_MAIL: Canned = canned(503, (5, 5, 1), "Need MAIL command");
pub(super) const NO_RECIPIENTS: Canned = canned(554, (5, 5, 1), "No valid recipients");
pub(super) const BINARY_NEEDS_BDAT: Canned =
    canned(503, (5, 5, 1), "BODY=BINARYMIME requires BDAT");
pub(super) const DATA_AFTER_BDAT: Canned = canned(503, (5, 5, 1), "DATA not permitted after BDAT");
pub(super) const TOO_BIG: Canned = canned(
    552,
    (5, 3, 4),
    "Message size exceeds fixed maximum message size",
);
pub(super) const TOO_MANY_RECIPIENTS: Canned = canned(452, (4, 5, 3), "Too many recipients");
pub(super) const UTF8_ADDRESS: Canned =
    canned(553, (5, 6, 7), "Non-ASCII address requires SMTPUTF8");
pub(super) const DATA_LINE_TOO_LONG: Canned =
    canned(500, (5, 5, 2), "Line too long in message data");
pub(super) const BARE_IN_DATA: Canned =
    canned(550, (5, 5, 2), "Bare CR or LF not allowed in message data");
pub(super) const TOO_MANY_ERRORS: Canned = canned(421, (4, 7, 0), "Error: too many errors");
pub(super) const TOO_MANY_AUTH_FAILURES: Canned =
    canned(421, (4, 7, 0), "Error: too many failed authentications");
/// Postfix's wording for a BDAT line it cannot read.
pub(super) const BDAT_SYNTAX: Canned = canned(501, (5, 5, 4), "Syntax: BDAT count [LAST]");
/// After a refused BDAT whose chunk cannot be skipped (RFC 5321 §3.8: the
/// server closes after a `421`).
pub(super) const CHUNK_NOT_SKIPPED: Canned = canned(
    421,
    (4, 7, 0),
    "Error: cannot skip the BDAT chunk, closing connection",
);
pub(super) const TIMEOUT: Canned = canned(421, (4, 4, 2), "Error: timeout exceeded");

/// Writes one reply line per entry of `lines` (`250-...` then `250 ...`),
/// with the enhanced code on every line when given (RFC 2034 §4).
/// Control characters in the text become spaces, so nothing can be
/// injected into the reply stream. An empty text still gets its space
/// (`334 ` with an empty challenge, RFC 4954 §4).
pub(super) fn write_lines<S: AsRef<str>>(
    out: &mut BytesMut,
    code: u16,
    enhanced: Option<(u8, u16, u16)>,
    lines: &[S],
) {
    let count = lines.len().max(1);
    for i in 0..count {
        let text = lines.get(i).map(AsRef::as_ref).unwrap_or("");
        let sep = if i + 1 == count { ' ' } else { '-' };
        let mut line = format!("{code}{sep}");
        if let Some((class, subject, detail)) = enhanced {
            line.push_str(&format!("{class}.{subject}.{detail}"));
            if !text.is_empty() {
                line.push(' ');
            }
        }
        line.extend(text.chars().map(|c| if c.is_control() { ' ' } else { c }));
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

/// Writes a canned reply, prefixed by `prefix` (the host name of 221 and
/// 421) when given.
pub(super) fn write_canned(
    out: &mut BytesMut,
    canned: Canned,
    enhanced_codes: bool,
    prefix: Option<&str>,
) {
    let enhanced = canned.enhanced.filter(|_| enhanced_codes);
    match prefix {
        Some(prefix) => write_lines(
            out,
            canned.code,
            enhanced,
            &[format!("{prefix} {}", canned.text)],
        ),
        None => write_lines(out, canned.code, enhanced, &[canned.text]),
    }
}

/// Writes an application's reply; strips its enhanced code when
/// ENHANCEDSTATUSCODES is off.
pub(super) fn write_reply(out: &mut BytesMut, reply: &Reply, enhanced_codes: bool) {
    if !enhanced_codes
        && reply.enhanced().is_some()
        && let Ok(stripped) = Reply::new(reply.code(), None, reply.lines())
    {
        stripped.encode(out);
        return;
    }
    reply.encode(out);
}

pub(super) const BYE: Canned = canned(221, (2, 0, 0), "closing connection");
