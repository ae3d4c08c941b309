//! Why a message could not be built.

/// Why [`super::MessageBuilder`] refused to build a message. The whole
/// message is checked before the first byte is written, so every error
/// except [`BuildError::Io`] means nothing was written. Messages carry
/// header names at most, never values.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No From address: the field is required (RFC 5322 §3.6).
    #[error("no from address")]
    MissingFrom,
    /// Several From addresses but no Sender (RFC 5322 §3.6.2).
    #[error("several from addresses need a sender")]
    MissingSender,
    /// An address that is not a valid `addr-spec` (RFC 5322 §3.4.1) within
    /// the RFC 5321 §4.5.3.1 length limits, in the named field.
    #[error("invalid address in the {0} field")]
    InvalidAddress(&'static str),
    /// A CR or LF in a header value or display name: header injection,
    /// refused (RFC 5322 §2.2).
    #[error("line break in the value of the {0} field")]
    LineBreak(String),
    /// A NUL in a header value or display name (RFC 5322 §2.2).
    #[error("nul octet in the value of the {0} field")]
    Nul(String),
    /// A control character in a raw header value.
    #[error("control character in the value of the {0} field")]
    ControlCharacter(String),
    /// A header field name that is empty, longer than 76 octets, or not
    /// printable ASCII without `:` (RFC 5322 §3.6.8).
    #[error("invalid header field name")]
    InvalidHeaderName,
    /// A header field the builder writes itself (From, Subject,
    /// Content-Type, ...): use the builder's method for it.
    #[error("the {0} field is written by the builder")]
    ReservedHeader(String),
    /// A raw header value with a word too long to fold under 998 octets
    /// (RFC 5322 §2.1.1).
    #[error("a line of the {0} field would be longer than 998 octets")]
    LineTooLong(String),
    /// A date before 1900 or after 9999, or a zone offset of 100 hours or
    /// more (RFC 5322 §3.3).
    #[error("date out of range")]
    InvalidDate,
    /// A Message-ID, In-Reply-To or References id that is not
    /// `id-left "@" id-right` (RFC 5322 §3.6.4).
    #[error("invalid message id")]
    InvalidMessageId,
    /// A Content-ID that is not a valid id (RFC 2045 §7, RFC 2392).
    #[error("invalid content id")]
    InvalidContentId,
    /// A content type that is not `type/subtype` with valid parameters, or
    /// is multipart (RFC 2045 §5.1).
    #[error("invalid content type")]
    InvalidContentType,
    /// A message/* attachment that is not held in memory as 7bit or 8bit
    /// data: RFC 2046 §5.2.1 allows no other transfer encoding.
    #[error("message attachment is not 7bit or 8bit data held in memory")]
    MessageAttachment,
    /// Writing the output, or reading an attachment, failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}
