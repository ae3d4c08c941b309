//! The client messages of each mechanism, built and validated once.
//!
//! Every builder allocates its output at the exact size, so no reallocation
//! leaves a copy of the credential in freed memory (SECURITY.md A6).

use postwire_core::Secret;

use crate::{Field, SaslError};

/// A credential-bearing message.
type SecretBytes = Secret<Vec<u8>>;

/// Refuses an empty field.
fn non_empty(value: &str, field: Field) -> Result<(), SaslError> {
    if value.is_empty() {
        Err(SaslError::EmptyField(field))
    } else {
        Ok(())
    }
}

/// Refuses a NUL, which separates PLAIN fields (RFC 4616 §2 `SAFE`).
fn no_nul(value: &str, field: Field) -> Result<(), SaslError> {
    if value.as_bytes().contains(&0) {
        Err(SaslError::ForbiddenByte(field))
    } else {
        Ok(())
    }
}

/// Refuses ASCII control characters, among them `%x01`, which separates
/// XOAUTH2 and OAUTHBEARER fields (RFC 7628 §3.1 `kvsep`).
fn no_control(value: &str, field: Field) -> Result<(), SaslError> {
    if value.bytes().any(|b| b.is_ascii_control()) {
        Err(SaslError::ForbiddenByte(field))
    } else {
        Ok(())
    }
}

/// A bearer token is printable ASCII without spaces (RFC 6750 §2.1
/// `b64token` is a subset; the looser check keeps odd but working tokens).
fn bearer_token(token: &str) -> Result<(), SaslError> {
    non_empty(token, Field::Token)?;
    if token.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(SaslError::ForbiddenByte(Field::Token))
    }
}

/// Concatenates `parts` into one exactly sized secret buffer.
fn concat(parts: &[&[u8]]) -> Secret<Vec<u8>> {
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        out.extend_from_slice(part);
    }
    Secret::new(out)
}

/// `message = [authzid] UTF8NUL authcid UTF8NUL passwd` (RFC 4616 §2).
///
/// The 255-octet limit of the RFC binds servers (they MUST accept at least
/// that much), so the client does not impose it.
pub(super) fn plain(
    authzid: Option<&str>,
    username: &str,
    password: &str,
) -> Result<Secret<Vec<u8>>, SaslError> {
    let authzid = authzid.unwrap_or("");
    no_nul(authzid, Field::Authzid)?;
    non_empty(username, Field::Username)?;
    no_nul(username, Field::Username)?;
    non_empty(password, Field::Password)?;
    no_nul(password, Field::Password)?;
    Ok(concat(&[
        authzid.as_bytes(),
        b"\0",
        username.as_bytes(),
        b"\0",
        password.as_bytes(),
    ]))
}

/// LOGIN's two responses: the user name, then the password
/// (draft-murchison-sasl-login §2). There is no authorization identity.
pub(super) fn login(
    authzid: Option<&str>,
    username: &str,
    password: &str,
) -> Result<(SecretBytes, SecretBytes), SaslError> {
    if authzid.is_some_and(|a| !a.is_empty()) {
        return Err(SaslError::AuthzidNotSupported);
    }
    non_empty(username, Field::Username)?;
    no_nul(username, Field::Username)?;
    non_empty(password, Field::Password)?;
    no_nul(password, Field::Password)?;
    Ok((
        concat(&[username.as_bytes()]),
        concat(&[password.as_bytes()]),
    ))
}

/// `user=<user>^Aauth=Bearer <token>^A^A` (Google's "XOAUTH2 protocol").
pub(super) fn xoauth2(username: &str, token: &str) -> Result<Secret<Vec<u8>>, SaslError> {
    non_empty(username, Field::Username)?;
    no_control(username, Field::Username)?;
    bearer_token(token)?;
    Ok(concat(&[
        b"user=",
        username.as_bytes(),
        b"\x01auth=Bearer ",
        token.as_bytes(),
        b"\x01\x01",
    ]))
}

/// Escapes a GS2 `saslname` (RFC 5801 §4): `,` becomes `=2C`, `=` becomes
/// `=3D`.
fn saslname(value: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    for &b in value.as_bytes() {
        match b {
            b',' => out.extend_from_slice(b"=2C"),
            b'=' => out.extend_from_slice(b"=3D"),
            _ => out.push(b),
        }
    }
    out
}

/// `client-resp = (gs2-header kvsep *kvpair kvsep) / kvsep` with
/// `gs2-header = "n," ["a=" saslname] ","` and the kvpairs `host`, `port`
/// and `auth` (RFC 7628 §3.1), in the order of the RFC 7628 §4.1 example.
pub(super) fn oauthbearer(
    username: &str,
    token: &str,
    host: Option<&str>,
    port: Option<u16>,
) -> Result<Secret<Vec<u8>>, SaslError> {
    no_control(username, Field::Username)?;
    bearer_token(token)?;
    if let Some(host) = host {
        non_empty(host, Field::Host)?;
        no_control(host, Field::Host)?;
    }
    let authzid = saslname(username);
    let port = port.map(|p| p.to_string());
    Ok(concat(&[
        b"n,",
        if authzid.is_empty() { b"" } else { b"a=" },
        &authzid,
        b",\x01",
        if host.is_some() { b"host=" } else { b"" },
        host.unwrap_or("").as_bytes(),
        if host.is_some() { b"\x01" } else { b"" },
        if port.is_some() { b"port=" } else { b"" },
        port.as_deref().unwrap_or("").as_bytes(),
        if port.is_some() { b"\x01" } else { b"" },
        b"auth=Bearer ",
        token.as_bytes(),
        b"\x01\x01",
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_fields_must_not_hold_nul_rfc4616_2() {
        assert_eq!(
            plain(Some("a\0b"), "u", "p").unwrap_err(),
            SaslError::ForbiddenByte(Field::Authzid)
        );
        assert_eq!(
            plain(None, "u\0", "p").unwrap_err(),
            SaslError::ForbiddenByte(Field::Username)
        );
        assert_eq!(
            plain(None, "u", "p\0").unwrap_err(),
            SaslError::ForbiddenByte(Field::Password)
        );
    }

    #[test]
    fn plain_authcid_and_passwd_must_not_be_empty_rfc4616_2() {
        assert_eq!(
            plain(None, "", "p").unwrap_err(),
            SaslError::EmptyField(Field::Username)
        );
        assert_eq!(
            plain(None, "u", "").unwrap_err(),
            SaslError::EmptyField(Field::Password)
        );
        // An empty authzid is the same as none.
        assert_eq!(plain(Some(""), "u", "p").unwrap().expose(), b"\0u\0p");
    }

    #[test]
    fn plain_carries_utf8_unchanged() {
        assert_eq!(
            plain(None, "jürgen", "pässwörd").unwrap().expose(),
            "\0jürgen\0pässwörd".as_bytes()
        );
    }

    #[test]
    fn login_refuses_authzid() {
        assert_eq!(
            login(Some("admin"), "u", "p").unwrap_err(),
            SaslError::AuthzidNotSupported
        );
        assert!(login(Some(""), "u", "p").is_ok());
    }

    #[test]
    fn xoauth2_fields_cannot_inject_separators() {
        assert_eq!(
            xoauth2("u\x01auth=Bearer x", "t").unwrap_err(),
            SaslError::ForbiddenByte(Field::Username)
        );
        assert_eq!(
            xoauth2("u", "t\x01\x01").unwrap_err(),
            SaslError::ForbiddenByte(Field::Token)
        );
        assert_eq!(
            xoauth2("u", "token with space").unwrap_err(),
            SaslError::ForbiddenByte(Field::Token)
        );
        assert_eq!(
            xoauth2("", "t").unwrap_err(),
            SaslError::EmptyField(Field::Username)
        );
        assert_eq!(
            xoauth2("u", "").unwrap_err(),
            SaslError::EmptyField(Field::Token)
        );
    }

    #[test]
    fn oauthbearer_escapes_authzid_rfc5801_4() {
        let message = oauthbearer("a,b=c", "t", None, None).unwrap();
        assert_eq!(message.expose(), b"n,a=a=2Cb=3Dc,\x01auth=Bearer t\x01\x01");
    }

    #[test]
    fn oauthbearer_omits_empty_authzid_and_absent_keys_rfc7628_3_1() {
        let message = oauthbearer("", "t", None, Some(587)).unwrap();
        assert_eq!(
            message.expose(),
            b"n,,\x01port=587\x01auth=Bearer t\x01\x01"
        );
    }

    #[test]
    fn oauthbearer_host_cannot_inject_keys() {
        assert_eq!(
            oauthbearer("u", "t", Some("h\x01auth=Bearer x"), None).unwrap_err(),
            SaslError::ForbiddenByte(Field::Host)
        );
        assert_eq!(
            oauthbearer("u", "t", Some(""), None).unwrap_err(),
            SaslError::EmptyField(Field::Host)
        );
    }
}
