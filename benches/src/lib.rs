//! Workload generators shared by the benches, so every contestant parses
//! exactly the same bytes.

pub mod contestants;
pub mod mime;

/// Size of the socket reads the benches simulate.
pub const READ_CHUNK: usize = 16 * 1024;

/// A pipelined client command stream of about `target` bytes: a realistic
/// mix of EHLO, MAIL with parameters, several RCPTs, DATA, RSET and NOOP.
pub fn command_stream(target: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(target + 256);
    let mut i = 0u64;
    while out.len() < target {
        out.extend_from_slice(b"EHLO client.example.com\r\n");
        out.extend_from_slice(
            format!("MAIL FROM:<sender.{i}@example.org> SIZE=12345 BODY=8BITMIME\r\n").as_bytes(),
        );
        for r in 0..3 {
            out.extend_from_slice(
                format!("RCPT TO:<rcpt{r}.{i}@mail.example.net> NOTIFY=SUCCESS,FAILURE\r\n")
                    .as_bytes(),
            );
        }
        out.extend_from_slice(b"RCPT TO:<Postmaster>\r\nDATA\r\nRSET\r\nNOOP\r\n");
        i += 1;
    }
    out
}

/// A stream of server replies of about `target` bytes: multi-line EHLO
/// replies interleaved with single-line replies carrying enhanced codes.
pub fn reply_stream(target: usize) -> Vec<u8> {
    let ehlo = b"250-mx.example.com Hello client.example.com [192.0.2.1]\r\n\
250-SIZE 52428800\r\n250-8BITMIME\r\n250-PIPELINING\r\n250-CHUNKING\r\n\
250-SMTPUTF8\r\n250-DSN\r\n250-ENHANCEDSTATUSCODES\r\n250-AUTH PLAIN LOGIN XOAUTH2\r\n\
250 STARTTLS\r\n";
    let singles: &[&[u8]] = &[
        b"250 2.1.0 Sender OK\r\n",
        b"250 2.1.5 Recipient OK\r\n",
        b"550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown\r\n",
        b"354 End data with <CR><LF>.<CR><LF>\r\n",
        b"250 2.0.0 Ok: queued as 4BFE21F6A5\r\n",
    ];
    let mut out = Vec::with_capacity(target + 512);
    while out.len() < target {
        out.extend_from_slice(ehlo);
        for s in singles {
            out.extend_from_slice(s);
        }
    }
    out
}

/// A dot-stuffed DATA body of about `target` bytes with 76-octet lines, one
/// line in four starting with a stuffed dot, ending with `CRLF.CRLF`.
pub fn stuffed_body(target: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(target + 128);
    let text = b"The quick brown fox jumps over the lazy dog while the mail flows on and o";
    let mut i = 0usize;
    while out.len() < target {
        if i.is_multiple_of(4) {
            out.extend_from_slice(b"..");
            out.extend_from_slice(&text[1..]);
        } else {
            out.extend_from_slice(text);
        }
        out.extend_from_slice(b"\r\n");
        i += 1;
    }
    out.extend_from_slice(b".\r\n");
    out
}
