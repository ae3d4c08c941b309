//! Parsing and validating what a client sends: PLAIN (RFC 4616 §2), LOGIN,
//! CRAM-MD5 (RFC 2195 §2), EXTERNAL (RFC 4422 Appendix A), ANONYMOUS
//! (RFC 4505 §3).

use postwire_core::Secret;

use super::{Authentication, Evidence};
use crate::{Field, SaslError};

/// Checks one field: length, UTF-8, no NUL. Returns it as `&str` without
/// copying, so a rejected password is never copied anywhere.
fn field(bytes: &[u8], name: Field, max: usize) -> Result<&str, SaslError> {
    if bytes.len() > max {
        return Err(SaslError::FieldTooLong(name));
    }
    if bytes.contains(&0) {
        return Err(SaslError::ForbiddenByte(name));
    }
    std::str::from_utf8(bytes).map_err(|_| SaslError::InvalidUtf8(name))
}

/// Like [`field`], and refuses an empty value (`1*SAFE`).
fn required(bytes: &[u8], name: Field, max: usize) -> Result<&str, SaslError> {
    if bytes.is_empty() {
        return Err(SaslError::EmptyField(name));
    }
    field(bytes, name, max)
}

/// `message = [authzid] UTF8NUL authcid UTF8NUL passwd` (RFC 4616 §2).
///
/// `authzid = 1*SAFE`, `authcid = 1*SAFE`, `passwd = 1*SAFE`, and `SAFE` is
/// any UTF-8 character but NUL. A NUL beyond the second is
/// [`SaslError::ExtraNul`].
pub(super) fn plain_message(message: &[u8], max: usize) -> Result<Authentication, SaslError> {
    let mut parts = message.splitn(3, |&b| b == 0);
    let authzid = parts.next().unwrap_or_default();
    let authcid = parts.next().ok_or(SaslError::MissingNul)?;
    let passwd = parts.next().ok_or(SaslError::MissingNul)?;
    if passwd.contains(&0) {
        return Err(SaslError::ExtraNul);
    }
    let authzid = field(authzid, Field::Authzid, max)?;
    let username = required(authcid, Field::Username, max)?;
    let password = required(passwd, Field::Password, max)?;
    Ok(Authentication {
        authzid: (!authzid.is_empty()).then(|| authzid.to_owned()),
        username: username.to_owned(),
        evidence: Evidence::Password(Secret::new(password.to_owned())),
    })
}

/// One LOGIN response: a user name or a password, non-empty UTF-8 without
/// NUL (draft-murchison-sasl-login has no grammar; this is PLAIN's `SAFE`).
pub(super) fn login_field(response: &[u8], name: Field, max: usize) -> Result<String, SaslError> {
    required(response, name, max).map(str::to_owned)
}

/// CRAM-MD5's response: `user SP digest`, the digest 32 hex digits (RFC
/// 2195 §2). The user name is everything before the last space (it may
/// hold spaces itself), non-empty UTF-8 without control characters. The
/// digest comes back in lowercase.
pub(super) fn cram_md5_response(
    response: &[u8],
    max: usize,
) -> Result<(String, [u8; 32]), SaslError> {
    let split = response
        .iter()
        .rposition(|&b| b == b' ')
        .ok_or(SaslError::Malformed(Field::Message))?;
    let (username, digest) = (&response[..split], &response[split + 1..]);
    let username = required(username, Field::Username, max)?;
    if username.chars().any(char::is_control) {
        return Err(SaslError::ForbiddenByte(Field::Username));
    }
    let digest: [u8; 32] = digest
        .try_into()
        .map_err(|_| SaslError::Malformed(Field::Digest))?;
    if !digest.iter().all(u8::is_ascii_hexdigit) {
        return Err(SaslError::Malformed(Field::Digest));
    }
    Ok((username.to_owned(), digest.map(|b| b.to_ascii_lowercase())))
}

/// EXTERNAL's message: `[ authz-id ]` (RFC 4422 Appendix A.1), UTF-8
/// without NUL; empty means "the identity established outside".
pub(super) fn external(message: &[u8], max: usize) -> Result<Authentication, SaslError> {
    let authzid = field(message, Field::Authzid, max)?;
    Ok(Authentication {
        authzid: (!authzid.is_empty()).then(|| authzid.to_owned()),
        username: String::new(),
        evidence: Evidence::External,
    })
}

/// ANONYMOUS's message: `[ email / token ]` of at most 255 characters (RFC
/// 4505 §3). Control characters are refused too, since the trace is meant
/// for logs.
pub(super) fn anonymous(message: &[u8], max: usize) -> Result<Authentication, SaslError> {
    let trace = field(message, Field::Trace, max.max(255) * 4)?;
    if trace.chars().count() > 255 {
        return Err(SaslError::FieldTooLong(Field::Trace));
    }
    if trace.chars().any(char::is_control) {
        return Err(SaslError::ForbiddenByte(Field::Trace));
    }
    Ok(Authentication {
        authzid: None,
        username: String::new(),
        evidence: Evidence::Anonymous {
            trace: (!trace.is_empty()).then(|| trace.to_owned()),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_vectors_rfc4616_4() {
        let auth = plain_message(b"\0tim\0tanstaaftanstaaf", 255).unwrap();
        assert_eq!(auth.authzid, None);
        assert_eq!(auth.username, "tim");
        assert!(auth.password_matches("tanstaaftanstaaf"));

        let auth = plain_message(b"Ursel\0Kurt\0xipj3plmq", 255).unwrap();
        assert_eq!(auth.authzid.as_deref(), Some("Ursel"));
        assert_eq!(auth.username, "Kurt");
        assert!(auth.password_matches("xipj3plmq"));
    }

    #[test]
    fn cram_md5_response_syntax_rfc2195_2() {
        let (user, digest) =
            cram_md5_response(b"tim b913a602c7eda7a495b4e6e7334d3890", 255).unwrap();
        assert_eq!(user, "tim");
        assert_eq!(&digest, b"b913a602c7eda7a495b4e6e7334d3890");
        let (user, digest) =
            cram_md5_response(b"tim smith B913A602C7EDA7A495B4E6E7334D3890", 255).unwrap();
        assert_eq!(user, "tim smith");
        assert_eq!(&digest, b"b913a602c7eda7a495b4e6e7334d3890");
        for (bad, error) in [
            (
                &b"timb913a602c7eda7a495b4e6e7334d3890"[..],
                SaslError::Malformed(Field::Message),
            ),
            (
                b" b913a602c7eda7a495b4e6e7334d3890",
                SaslError::EmptyField(Field::Username),
            ),
            (
                b"tim b913a602c7eda7a495b4e6e7334d389",
                SaslError::Malformed(Field::Digest),
            ),
            (
                b"tim g913a602c7eda7a495b4e6e7334d3890",
                SaslError::Malformed(Field::Digest),
            ),
            (
                b"t\tm b913a602c7eda7a495b4e6e7334d3890",
                SaslError::ForbiddenByte(Field::Username),
            ),
        ] {
            assert_eq!(cram_md5_response(bad, 255), Err(error), "{bad:?}");
        }
    }

    #[test]
    fn external_and_anonymous_messages_rfc4422_a_rfc4505_3() {
        let auth = external(b"", 255).unwrap();
        assert_eq!((auth.authzid, auth.evidence), (None, Evidence::External));
        assert_eq!(
            external(b"admin", 255).unwrap().authzid.as_deref(),
            Some("admin")
        );
        assert_eq!(
            external(b"a\0b", 255),
            Err(SaslError::ForbiddenByte(Field::Authzid))
        );
        let auth = anonymous(b"sirhc", 255).unwrap();
        assert_eq!(
            auth.evidence,
            Evidence::Anonymous {
                trace: Some("sirhc".into())
            }
        );
        assert_eq!(
            anonymous(b"", 255).unwrap().evidence,
            Evidence::Anonymous { trace: None }
        );
        assert_eq!(
            anonymous("é".repeat(256).as_bytes(), 255),
            Err(SaslError::FieldTooLong(Field::Trace))
        );
        assert_eq!(
            anonymous(b"a\r\nb", 255),
            Err(SaslError::ForbiddenByte(Field::Trace))
        );
    }

    #[test]
    fn field_limit_is_inclusive() {
        let at_limit = [b'a'; 255];
        let mut message = b"\0".to_vec();
        message.extend_from_slice(&at_limit);
        message.push(0);
        message.extend_from_slice(&at_limit);
        assert!(plain_message(&message, 255).is_ok());
        assert_eq!(
            plain_message(&message, 254).unwrap_err(),
            SaslError::FieldTooLong(Field::Username)
        );
    }
}
