//! Parsing and validating what a client sends (RFC 4616 §2).

use postwire_core::Secret;

use super::Authentication;
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
        password: Secret::new(password.to_owned()),
    })
}

/// One LOGIN response: a user name or a password, non-empty UTF-8 without
/// NUL (draft-murchison-sasl-login has no grammar; this is PLAIN's `SAFE`).
pub(super) fn login_field(response: &[u8], name: Field, max: usize) -> Result<String, SaslError> {
    required(response, name, max).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_vectors_rfc4616_4() {
        let auth = plain_message(b"\0tim\0tanstaaftanstaaf", 255).unwrap();
        assert_eq!(auth.authzid, None);
        assert_eq!(auth.username, "tim");
        assert_eq!(auth.password.expose(), "tanstaaftanstaaf");

        let auth = plain_message(b"Ursel\0Kurt\0xipj3plmq", 255).unwrap();
        assert_eq!(auth.authzid.as_deref(), Some("Ursel"));
        assert_eq!(auth.username, "Kurt");
        assert_eq!(auth.password.expose(), "xipj3plmq");
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
