//! How a [`Client`](super::Client) behaves: TLS policy, timeouts, limits.

use std::time::Duration;

use crate::ClientId;

/// What the client does about STARTTLS (RFC 3207) on a plaintext connection.
///
/// The default is [`Required`](Self::Required): a client that silently fell
/// back to plaintext would hand its credentials and mail to anyone able to
/// strip `STARTTLS` from the EHLO reply (SECURITY.md C01, C02).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StartTlsPolicy {
    /// TLS must be up before AUTH or MAIL: an EHLO reply without `STARTTLS`
    /// and any STARTTLS reply other than 220 are fatal errors.
    #[default]
    Required,
    /// Use STARTTLS when the caller asks; a refusal is an event and the
    /// session goes on in plaintext.
    Opportunistic,
    /// Never send STARTTLS.
    Disabled,
}

/// How long the client waits for each reply (RFC 5321 §4.5.3.2).
///
/// The clock starts when a command becomes the oldest one awaiting a reply
/// (for pipelined commands: when the reply before it arrived), so a slow
/// server trickling one byte at a time does not extend it (SECURITY.md P8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Timeouts {
    /// The 220 greeting: 5 minutes (§4.5.3.2.1).
    pub greeting: Duration,
    /// The reply to MAIL: 5 minutes (§4.5.3.2.2).
    pub mail: Duration,
    /// The reply to each RCPT: 5 minutes (§4.5.3.2.3).
    pub rcpt: Duration,
    /// The 354 reply to DATA: 2 minutes (§4.5.3.2.4).
    pub data_init: Duration,
    /// The reply to a BDAT chunk that is not the last: 3 minutes, the RFC's
    /// "data block" time (§4.5.3.2.5). While the caller streams a DATA body
    /// no reply is awaited; bounding each write is the driver's job.
    pub data_block: Duration,
    /// The reply after the end of the data (`.` or `BDAT ... LAST`):
    /// 10 minutes (§4.5.3.2.6).
    pub data_termination: Duration,
    /// Every other command (EHLO, STARTTLS, AUTH, RSET, NOOP, VRFY, QUIT):
    /// 5 minutes, as §4.5.3.2 suggests for commands it does not list.
    pub other: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        const MINUTE: Duration = Duration::from_secs(60);
        Self {
            greeting: 5 * MINUTE,
            mail: 5 * MINUTE,
            rcpt: 5 * MINUTE,
            data_init: 2 * MINUTE,
            data_block: 3 * MINUTE,
            data_termination: 10 * MINUTE,
            other: 5 * MINUTE,
        }
    }
}

impl Timeouts {
    /// The time allowed for the reply awaited at `step`.
    pub fn for_step(&self, step: Step) -> Duration {
        match step {
            Step::Greeting => self.greeting,
            Step::Mail => self.mail,
            Step::Rcpt => self.rcpt,
            Step::DataInit => self.data_init,
            Step::DataBlock => self.data_block,
            Step::DataTermination => self.data_termination,
            Step::Ehlo
            | Step::Helo
            | Step::StartTls
            | Step::Auth
            | Step::Rset
            | Step::Noop
            | Step::Vrfy
            | Step::Quit => self.other,
        }
    }
}

/// Bounds on what the server may make the client buffer.
///
/// RFC 5321 §4.5.3.1.5 limits a reply line to 512 octets, but real servers
/// send longer ones (long EHLO keywords, verbose rejections), so the default
/// line limit is 4096; a whole multi-line reply is capped by lines and bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Limits {
    /// Longest reply line, CRLF included (default 4096).
    pub max_reply_line: usize,
    /// Longest reply line during AUTH, where a `334` challenge may be long
    /// (default 12290: RFC 4954 §4's 12288 octets plus CRLF).
    pub max_auth_line: usize,
    /// Most lines in one reply (default 100).
    pub max_reply_lines: usize,
    /// Most text bytes in one reply (default 64 KiB).
    pub max_reply_bytes: usize,
    /// Most `334` round trips in one AUTH exchange before the client cancels
    /// it (default 16; real mechanisms need at most three).
    pub max_auth_steps: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_reply_line: 4096,
            max_auth_line: 12_290,
            max_reply_lines: 100,
            max_reply_bytes: 64 * 1024,
            max_auth_steps: 16,
        }
    }
}

/// Settings of a [`Client`](super::Client).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The name sent with EHLO, HELO or LHLO (RFC 5321 §4.1.1.1): the
    /// client's fully qualified domain name, or an address literal.
    pub client_id: ClientId,
    /// Speak LMTP (RFC 2033): LHLO instead of EHLO, no HELO fallback, one
    /// reply per accepted recipient after the data. Default `false`.
    pub lmtp: bool,
    /// The STARTTLS policy. Default [`StartTlsPolicy::Required`].
    pub starttls: StartTlsPolicy,
    /// The driver started the connection in TLS (ports 465, 24 over TLS):
    /// TLS counts as active from the start. Default `false`.
    pub implicit_tls: bool,
    /// Send SASL credentials over a connection without TLS. Default
    /// `false` (RFC 4954 §4 and SECURITY.md A1/C06); loopback gets no
    /// silent exemption.
    pub allow_plaintext_auth: bool,
    /// Use BDAT (RFC 3030) when the server offers CHUNKING and PIPELINING.
    /// Default `true`.
    pub use_chunking: bool,
    /// Reply timeouts.
    pub timeouts: Timeouts,
    /// Buffer limits.
    pub limits: Limits,
}

impl ClientConfig {
    /// A configuration with the defaults and this EHLO name.
    pub fn new(client_id: ClientId) -> Self {
        Self {
            client_id,
            lmtp: false,
            starttls: StartTlsPolicy::default(),
            implicit_tls: false,
            allow_plaintext_auth: false,
            use_chunking: true,
            timeouts: Timeouts::default(),
            limits: Limits::default(),
        }
    }
}

/// Which reply the client was waiting for, in a [`Timeout`](super::Error::Timeout)
/// error and for [`Timeouts::for_step`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Step {
    /// The server's greeting.
    Greeting,
    /// The reply to EHLO or LHLO.
    Ehlo,
    /// The reply to HELO (the fallback after EHLO was not recognised).
    Helo,
    /// The reply to STARTTLS.
    StartTls,
    /// A reply during AUTH.
    Auth,
    /// The reply to MAIL.
    Mail,
    /// The reply to a RCPT.
    Rcpt,
    /// The 354 reply to DATA.
    DataInit,
    /// The reply to a BDAT chunk that is not the last.
    DataBlock,
    /// The reply after the end of the data.
    DataTermination,
    /// The reply to RSET.
    Rset,
    /// The reply to NOOP.
    Noop,
    /// The reply to VRFY.
    Vrfy,
    /// The reply to QUIT.
    Quit,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Step::Greeting => "the greeting",
            Step::Ehlo => "the EHLO reply",
            Step::Helo => "the HELO reply",
            Step::StartTls => "the STARTTLS reply",
            Step::Auth => "an AUTH reply",
            Step::Mail => "the MAIL reply",
            Step::Rcpt => "a RCPT reply",
            Step::DataInit => "the DATA reply",
            Step::DataBlock => "a BDAT reply",
            Step::DataTermination => "the reply to the end of the data",
            Step::Rset => "the RSET reply",
            Step::Noop => "the NOOP reply",
            Step::Vrfy => "the VRFY reply",
            Step::Quit => "the QUIT reply",
        })
    }
}
