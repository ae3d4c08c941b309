//! The client messages of each mechanism, built and validated once.
//!
//! Every builder allocates its output at the exact size, so no reallocation
//! leaves a copy of the credential in freed memory (SECURITY.md A6).

use postwire_core::Secret;

use crate::scram::escape_saslname;
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

/// Refuses control characters, so nothing the application passes can
/// break a line of the protocol's log.
fn printable(value: &str, field: Field) -> Result<(), SaslError> {
    no_control(value, field)
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
    let authzid = escape_saslname(username);
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

/// EXTERNAL's one message: the authorization identity, possibly empty
/// (RFC 4422 Appendix A.1: `message = [ authz-id ]`).
pub(super) fn external(authzid: Option<&str>) -> Result<Secret<Vec<u8>>, SaslError> {
    let authzid = authzid.unwrap_or("");
    no_nul(authzid, Field::Authzid)?;
    Ok(concat(&[authzid.as_bytes()]))
}

/// ANONYMOUS's one message: optional trace information of at most 255
/// characters (RFC 4505 §3: `message = [ email / token ]`).
pub(super) fn anonymous(trace: Option<&str>) -> Result<Secret<Vec<u8>>, SaslError> {
    let trace = trace.unwrap_or("");
    if trace.chars().count() > 255 {
        return Err(SaslError::FieldTooLong(Field::Trace));
    }
    printable(trace, Field::Trace)?;
    Ok(concat(&[trace.as_bytes()]))
}

/// Checks a CRAM-MD5 user name: the response is `user SP digest` (RFC 2195
/// §2), so a user name must not be empty or hold control characters.
pub(super) fn cram_md5_username(username: &str) -> Result<(), SaslError> {
    non_empty(username, Field::Username)?;
    printable(username, Field::Username)
}

/// CRAM-MD5's response: `username SP HMAC-MD5(password, challenge)` in
/// lowercase hex (RFC 2195 §2).
pub(super) fn cram_md5(username: &str, password: &str, challenge: &[u8]) -> Secret<Vec<u8>> {
    let digest = crate::crypto::cram_md5_hex(password.as_bytes(), challenge);
    concat(&[username.as_bytes(), b" ", digest.as_bytes()])
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
    fn cram_md5_response_rfc2195_2_example() {
        let response = cram_md5(
            "tim",
            "tanstaaftanstaaf",
            b"<1896.697170952@postoffice.reston.mci.net>",
        );
        assert_eq!(response.expose(), b"tim b913a602c7eda7a495b4e6e7334d3890");
        assert_eq!(
            cram_md5_username("t\nim").unwrap_err(),
            SaslError::ForbiddenByte(Field::Username)
        );
    }

    #[test]
    fn anonymous_trace_is_limited_to_255_characters_rfc4505_3() {
        assert_eq!(anonymous(None).unwrap().expose(), b"");
        let trace = "ä".repeat(255);
        assert_eq!(anonymous(Some(&trace)).unwrap().expose(), trace.as_bytes());
        assert_eq!(
            anonymous(Some(&"a".repeat(256))).unwrap_err(),
            SaslError::FieldTooLong(Field::Trace)
        );
    }

    #[test]
    fn external_sends_the_authzid_rfc4422_a_1() {
        assert_eq!(external(None).unwrap().expose(), b"");
        assert_eq!(external(Some("admin")).unwrap().expose(), b"admin");
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
