//! Defects: what was wrong with a message that the parser repaired or
//! tolerated instead of failing (the model of Python's `email` package and
//! GMime). Each part keeps its own list; [`crate::Options::strict`] turns
//! the first one into an [`crate::Error`].

use std::fmt;

/// One kind of damage found in a message. The names returned by
/// [`Defect::as_str`] are short and stable: log them, count them, match on
/// them in tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Defect {
    /// A multipart body ended without its `--boundary--` line (RFC 2046 §5.1.1).
    MissingFinalBoundary,
    /// A multipart body contained no boundary line at all (RFC 2046 §5.1.1).
    NoBoundaryFound,
    /// A `multipart/*` Content-Type without a `boundary` parameter (RFC 2046 §5.1.1).
    MissingBoundaryParameter,
    /// The header block started with a continuation line (RFC 5322 §2.2.3).
    FirstLineIsContinuation,
    /// A line that is no header field ended the header block without the empty line (RFC 5322 §2.1).
    MissingHeaderBodySeparator,
    /// Base64 content held characters outside the alphabet (RFC 2045 §6.8).
    InvalidBase64Character,
    /// Base64 content had missing or misplaced `=` padding (RFC 2045 §6.8).
    InvalidBase64Padding,
    /// Quoted-printable content had an `=` not followed by two hex digits (RFC 2045 §6.7).
    InvalidQuotedPrintable,
    /// Uuencoded content was malformed or lacked its `end` line.
    InvalidUuencode,
    /// A Content-Transfer-Encoding the parser does not know; the body is left as is (RFC 2045 §6.4).
    UnknownTransferEncoding,
    /// A charset label encoding_rs does not know; UTF-8 or windows-1252 was used (RFC 2046 §4.1.2).
    UnknownCharset,
    /// Text that did not decode cleanly in its charset; bad sequences became U+FFFD.
    MalformedCharsetData,
    /// An RFC 2047 encoded word that could not be decoded and was kept literally.
    InvalidEncodedWord,
    /// A Content-Type that did not parse as `type/subtype` (RFC 2045 §5.1); text/plain was assumed.
    InvalidContentType,
    /// A Content-Disposition whose type is empty or not a token (RFC 2183 §2).
    InvalidContentDisposition,
    /// A malformed parameter in Content-Type or Content-Disposition (RFC 2045 §5.1, RFC 2231).
    InvalidParameter,
    /// An RFC 2231 continuation sequence with a gap or a duplicate section (RFC 2231 §3).
    BrokenParameterContinuation,
    /// A date that did not parse (RFC 5322 §3.3).
    InvalidDate,
    /// A date whose zone was missing or unknown; no offset was invented (RFC 5322 §3.3, §4.3).
    BadDateZone,
    /// An address that did not parse as RFC 5322 §3.4 allows, kept as well as possible.
    InvalidAddress,
    /// An address without `@domain` (RFC 5322 §3.4.1).
    MissingAddressDomain,
    /// An unterminated quoted string, comment, domain literal or angle address (RFC 5322 §3.2).
    UnterminatedToken,
    /// A message/rfc822 part with a transfer encoding other than 7bit, 8bit or binary (RFC 2046 §5.2.1).
    EncodedMessageBody,
}

impl Defect {
    /// The short stable name of this defect, e.g. `missing-final-boundary`.
    pub fn as_str(self) -> &'static str {
        match self {
            Defect::MissingFinalBoundary => "missing-final-boundary",
            Defect::NoBoundaryFound => "no-boundary-found",
            Defect::MissingBoundaryParameter => "missing-boundary-parameter",
            Defect::FirstLineIsContinuation => "first-line-is-continuation",
            Defect::MissingHeaderBodySeparator => "missing-header-body-separator",
            Defect::InvalidBase64Character => "invalid-base64",
            Defect::InvalidBase64Padding => "invalid-base64-padding",
            Defect::InvalidQuotedPrintable => "invalid-quoted-printable",
            Defect::InvalidUuencode => "invalid-uuencode",
            Defect::UnknownTransferEncoding => "unknown-transfer-encoding",
            Defect::UnknownCharset => "unknown-charset",
            Defect::MalformedCharsetData => "malformed-charset-data",
            Defect::InvalidEncodedWord => "invalid-encoded-word",
            Defect::InvalidContentType => "invalid-content-type",
            Defect::InvalidContentDisposition => "invalid-content-disposition",
            Defect::InvalidParameter => "invalid-parameter",
            Defect::BrokenParameterContinuation => "broken-parameter-continuation",
            Defect::InvalidDate => "invalid-date",
            Defect::BadDateZone => "bad-date-zone",
            Defect::InvalidAddress => "invalid-address",
            Defect::MissingAddressDomain => "missing-address-domain",
            Defect::UnterminatedToken => "unterminated-token",
            Defect::EncodedMessageBody => "encoded-message-body",
        }
    }
}

impl fmt::Display for Defect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Appends `defect` unless the list already holds it: a part reports each
/// kind once, so a million bad lines cannot grow the list without bound.
pub(crate) fn push_once(list: &mut Vec<Defect>, defect: Defect) {
    if !list.contains(&defect) {
        list.push(defect);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable_and_kebab_case() {
        assert_eq!(
            Defect::MissingFinalBoundary.as_str(),
            "missing-final-boundary"
        );
        assert_eq!(Defect::InvalidBase64Character.as_str(), "invalid-base64");
        assert_eq!(Defect::BadDateZone.to_string(), "bad-date-zone");
    }

    #[test]
    fn push_once_keeps_one_of_each() {
        let mut v = Vec::new();
        push_once(&mut v, Defect::InvalidDate);
        push_once(&mut v, Defect::InvalidDate);
        assert_eq!(v, [Defect::InvalidDate]);
    }
}
