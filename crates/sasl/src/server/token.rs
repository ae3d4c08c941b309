//! Bearer-token messages: OAUTHBEARER (RFC 7628 §3.1) and XOAUTH2
//! (Google's "XOAUTH2 protocol" page).

use postwire_core::Secret;

use super::{Authentication, Evidence, Limits};
use crate::scram::{CbFlag, parse_gs2_header};
use crate::{Field, SaslError};

/// `kvsep = %x01`.
const KVSEP: u8 = 0x01;

/// The keys this side reads from the key/value part.
#[derive(Default)]
struct Pairs<'a> {
    auth: Option<&'a [u8]>,
    host: Option<&'a [u8]>,
    port: Option<&'a [u8]>,
    user: Option<&'a [u8]>,
}

/// Parses `*kvpair kvsep` to the end of the message, with `kvpair = key "="
/// value kvsep`, `key = 1*(ALPHA)`, `value = *(VCHAR / SP / HTAB / CR / LF)`
/// (RFC 7628 §3.1). Unknown keys are ignored; a repeated known key is
/// malformed.
fn pairs(mut rest: &[u8]) -> Result<Pairs<'_>, SaslError> {
    let malformed = SaslError::Malformed(Field::Message);
    let mut pairs = Pairs::default();
    loop {
        let end = rest.iter().position(|&b| b == KVSEP).ok_or(malformed)?;
        let (pair, after) = (&rest[..end], &rest[end + 1..]);
        if pair.is_empty() {
            // The final kvsep: nothing may follow.
            return if after.is_empty() {
                Ok(pairs)
            } else {
                Err(malformed)
            };
        }
        let eq = pair.iter().position(|&b| b == b'=').ok_or(malformed)?;
        let (key, value) = (&pair[..eq], &pair[eq + 1..]);
        if key.is_empty() || !key.iter().all(u8::is_ascii_alphabetic) {
            return Err(malformed);
        }
        if !value
            .iter()
            .all(|&b| b.is_ascii_graphic() || matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        {
            return Err(malformed);
        }
        let slot = match key {
            b"auth" => &mut pairs.auth,
            b"host" => &mut pairs.host,
            b"port" => &mut pairs.port,
            b"user" => &mut pairs.user,
            _ => {
                rest = after;
                continue;
            }
        };
        if slot.replace(value).is_some() {
            return Err(malformed);
        }
        rest = after;
    }
}

/// `auth-value = "Bearer" 1*SP b64token` as used by both mechanisms (RFC
/// 7628 §3.1, RFC 6750 §2.1; the scheme is case-insensitive).
fn bearer(value: Option<&[u8]>, limits: &Limits) -> Result<Secret<String>, SaslError> {
    let value = value.ok_or(SaslError::Malformed(Field::Token))?;
    let token = match value.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case(b"Bearer ") => &value[7..],
        _ => return Err(SaslError::Malformed(Field::Token)),
    };
    let token = token.trim_ascii_start();
    if token.is_empty() {
        return Err(SaslError::EmptyField(Field::Token));
    }
    if token.len() > limits.max_token_len {
        return Err(SaslError::FieldTooLong(Field::Token));
    }
    if !token.iter().all(u8::is_ascii_graphic) {
        return Err(SaslError::ForbiddenByte(Field::Token));
    }
    // ASCII checked above.
    let token =
        String::from_utf8(token.to_vec()).map_err(|_| SaslError::Malformed(Field::Token))?;
    Ok(Secret::new(token))
}

/// `host` is a host name or address: printable, no spaces.
fn host(value: Option<&[u8]>, max: usize) -> Result<Option<String>, SaslError> {
    value
        .map(|host| {
            if host.is_empty() || host.len() > max || !host.iter().all(u8::is_ascii_graphic) {
                Err(SaslError::Malformed(Field::Host))
            } else {
                Ok(String::from_utf8_lossy(host).into_owned())
            }
        })
        .transpose()
}

/// `port = 1*DIGIT`.
fn port(value: Option<&[u8]>) -> Result<Option<u16>, SaslError> {
    value
        .map(|port| {
            std::str::from_utf8(port)
                .ok()
                .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|p| p.parse::<u16>().ok())
                .ok_or(SaslError::Malformed(Field::Port))
        })
        .transpose()
}

/// OAUTHBEARER's `client-resp = (gs2-header kvsep *kvpair kvsep)` (RFC 7628
/// §3.1). The GS2 flag must be `n` or `y`: the mechanism has no channel
/// binding. The lone-kvsep form is only valid as the answer to an error
/// challenge, so here it is malformed.
pub(super) fn oauthbearer(message: &[u8], limits: &Limits) -> Result<Authentication, SaslError> {
    let header = parse_gs2_header(message, limits.max_field_len)?;
    if matches!(header.flag, CbFlag::Bind(_)) {
        return Err(SaslError::ChannelBindingFlag);
    }
    let rest = &message[header.len..];
    let rest = match rest.split_first() {
        Some((&KVSEP, rest)) => rest,
        _ => return Err(SaslError::Malformed(Field::Message)),
    };
    let pairs = pairs(rest)?;
    let token = bearer(pairs.auth, limits)?;
    Ok(Authentication {
        authzid: None,
        username: header.authzid.unwrap_or_default(),
        evidence: Evidence::BearerToken {
            token,
            host: host(pairs.host, limits.max_field_len)?,
            port: port(pairs.port)?,
        },
    })
}

/// XOAUTH2's `user=<user>^Aauth=Bearer <token>^A^A`.
pub(super) fn xoauth2(message: &[u8], limits: &Limits) -> Result<Authentication, SaslError> {
    let pairs = pairs(message)?;
    let user = pairs.user.ok_or(SaslError::Malformed(Field::Username))?;
    if user.is_empty() {
        return Err(SaslError::EmptyField(Field::Username));
    }
    if user.len() > limits.max_field_len {
        return Err(SaslError::FieldTooLong(Field::Username));
    }
    let username =
        String::from_utf8(user.to_vec()).map_err(|_| SaslError::InvalidUtf8(Field::Username))?;
    let token = bearer(pairs.auth, limits)?;
    Ok(Authentication {
        authzid: None,
        username,
        evidence: Evidence::BearerToken {
            token,
            host: None,
            port: None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token_of(auth: &Authentication) -> &str {
        match &auth.evidence {
            Evidence::BearerToken { token, .. } => token.expose(),
            other => panic!("no token: {other:?}"),
        }
    }

    #[test]
    fn oauthbearer_rfc7628_4_1_example() {
        let auth = oauthbearer(
            b"n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01",
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(auth.username, "user@example.com");
        assert_eq!(auth.authzid, None);
        assert_eq!(
            token_of(&auth),
            "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg=="
        );
        match auth.evidence {
            Evidence::BearerToken { host, port, .. } => {
                assert_eq!(host.as_deref(), Some("server.example.com"));
                assert_eq!(port, Some(143));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn oauthbearer_rejects_malformed_messages_rfc7628_3_1() {
        let limits = Limits::default();
        for (bad, error) in [
            (&b"\x01"[..], SaslError::Malformed(Field::Gs2Header)),
            (
                b"n,,auth=Bearer x\x01\x01",
                SaslError::Malformed(Field::Message),
            ),
            (
                b"n,,\x01auth=Bearer x\x01",
                SaslError::Malformed(Field::Message),
            ),
            (
                b"n,,\x01auth=Bearer x\x01\x01junk",
                SaslError::Malformed(Field::Message),
            ),
            (b"n,,\x01host=h\x01\x01", SaslError::Malformed(Field::Token)),
            (
                b"n,,\x01auth=Basic x\x01\x01",
                SaslError::Malformed(Field::Token),
            ),
            (
                b"n,,\x01auth=Bearer \x01\x01",
                SaslError::EmptyField(Field::Token),
            ),
            (
                b"n,,\x01auth=Bearer a b\x01\x01",
                SaslError::ForbiddenByte(Field::Token),
            ),
            (
                b"n,,\x01auth=Bearer x\x01auth=Bearer y\x01\x01",
                SaslError::Malformed(Field::Message),
            ),
            (
                b"n,,\x01port=99999\x01auth=Bearer x\x01\x01",
                SaslError::Malformed(Field::Port),
            ),
            (
                b"p=tls-exporter,,\x01auth=Bearer x\x01\x01",
                SaslError::ChannelBindingFlag,
            ),
            (
                b"n,,\x01a-b=c\x01auth=Bearer x\x01\x01",
                SaslError::Malformed(Field::Message),
            ),
        ] {
            assert_eq!(oauthbearer(bad, &limits).unwrap_err(), error, "{bad:?}");
        }
        // Unknown keys are ignored, the scheme is case-insensitive.
        let auth = oauthbearer(b"y,,\x01mfa=otp\x01auth=bearer tok\x01\x01", &limits).unwrap();
        assert_eq!(token_of(&auth), "tok");
        assert_eq!(auth.username, "");
    }

    #[test]
    fn xoauth2_google_format() {
        let auth = xoauth2(
            b"user=someuser@example.com\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01",
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(auth.username, "someuser@example.com");
        assert_eq!(
            token_of(&auth),
            "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"
        );
        assert_eq!(
            xoauth2(b"auth=Bearer x\x01\x01", &Limits::default()).unwrap_err(),
            SaslError::Malformed(Field::Username)
        );
        let limits = Limits {
            max_token_len: 3,
            ..Limits::default()
        };
        assert_eq!(
            xoauth2(b"user=u\x01auth=Bearer abcd\x01\x01", &limits).unwrap_err(),
            SaslError::FieldTooLong(Field::Token)
        );
    }
}
