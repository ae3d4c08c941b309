//! What both sides of SCRAM-SHA-256 (RFC 5802, RFC 7677) share: the stored
//! credentials, channel-binding types, the GS2 header (RFC 5801 §4),
//! `saslname` escaping and the attribute syntax (RFC 5802 §7).

use std::fmt;

use postwire_core::{Bytes, ChannelBinding, Secret};
use zeroize::Zeroize;

use crate::crypto::{self, SHA256_LEN};
use crate::saslprep::saslprep;
use crate::{Field, SaslError, decode_base64, encode_base64};

/// A channel-binding type for the -PLUS mechanisms (RFC 5056 §2.1, the
/// `cb-name` of RFC 5802 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChannelBindingType {
    /// `tls-exporter` (RFC 9266): keying material exported from the TLS
    /// session. The one to use with TLS 1.3, preferred when available.
    TlsExporter,
    /// `tls-server-end-point` (RFC 5929 §4): the hash of the server's
    /// certificate. Works with TLS 1.2 and 1.3, but binds only to the
    /// certificate, not to the session.
    TlsServerEndPoint,
}

impl ChannelBindingType {
    /// The `cb-name` on the wire.
    pub fn name(&self) -> &'static str {
        match self {
            Self::TlsExporter => "tls-exporter",
            Self::TlsServerEndPoint => "tls-server-end-point",
        }
    }

    /// Maps a `cb-name`; `None` for types this crate does not know
    /// (`tls-unique` among them: it is unsafe without RFC 7627 and does not
    /// exist in TLS 1.3, RFC 9266 §1).
    pub fn from_name(name: &[u8]) -> Option<Self> {
        match name {
            b"tls-exporter" => Some(Self::TlsExporter),
            b"tls-server-end-point" => Some(Self::TlsServerEndPoint),
            _ => None,
        }
    }

    /// The data of this type in `binding`, if the driver provided it.
    pub fn data<'a>(&self, binding: &'a ChannelBinding) -> Option<&'a Bytes> {
        match self {
            Self::TlsExporter => binding.tls_exporter.as_ref(),
            Self::TlsServerEndPoint => binding.tls_server_end_point.as_ref(),
        }
        .filter(|data| !data.is_empty())
    }

    /// The type a client picks from what `binding` holds: `tls-exporter`
    /// first (RFC 9266 §3), then `tls-server-end-point`.
    pub fn preferred(binding: &ChannelBinding) -> Option<Self> {
        [Self::TlsExporter, Self::TlsServerEndPoint]
            .into_iter()
            .find(|t| t.data(binding).is_some())
    }
}

impl fmt::Display for ChannelBindingType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether `binding` holds any channel-binding data.
pub(crate) fn has_channel_binding(binding: &ChannelBinding) -> bool {
    ChannelBindingType::preferred(binding).is_some()
}

/// What a SCRAM-SHA-256 server stores per user instead of the password
/// (RFC 5802 §3): salt, iteration count, `StoredKey` and `ServerKey`.
///
/// The keys do not reveal the password, but they are secrets all the same:
/// `StoredKey` with one observed exchange lets an attacker impersonate the
/// user, `ServerKey` lets it impersonate the server. `Debug` shows only the
/// iteration count and the salt length; the keys are zeroed on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct ScramCredentials {
    salt: Vec<u8>,
    iterations: u32,
    stored_key: Secret<[u8; SHA256_LEN]>,
    server_key: Secret<[u8; SHA256_LEN]>,
}

impl fmt::Debug for ScramCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramCredentials")
            .field("iterations", &self.iterations)
            .field("salt_len", &self.salt.len())
            .finish_non_exhaustive()
    }
}

/// The bytes derived from a password: `SaltedPassword` and the keys made
/// from it (RFC 5802 §3), zeroed on drop.
pub(crate) struct DerivedKeys {
    pub(crate) client_key: [u8; SHA256_LEN],
    pub(crate) stored_key: [u8; SHA256_LEN],
    pub(crate) server_key: [u8; SHA256_LEN],
}

impl Drop for DerivedKeys {
    fn drop(&mut self) {
        self.client_key.zeroize();
        self.stored_key.zeroize();
        self.server_key.zeroize();
    }
}

impl DerivedKeys {
    /// `SaltedPassword := Hi(Normalize(password), salt, i)`, `ClientKey :=
    /// HMAC(SaltedPassword, "Client Key")`, `StoredKey := H(ClientKey)`,
    /// `ServerKey := HMAC(SaltedPassword, "Server Key")` (RFC 5802 §3), for
    /// an already SASLprepped password.
    pub(crate) fn from_prepared(prepared: &str, salt: &[u8], iterations: u32) -> Self {
        let mut salted = crypto::hi(prepared.as_bytes(), salt, iterations);
        let client_key = crypto::hmac_sha256(&salted, &[b"Client Key"]);
        let server_key = crypto::hmac_sha256(&salted, &[b"Server Key"]);
        salted.zeroize();
        let stored_key = crypto::sha256(&client_key);
        DerivedKeys {
            client_key,
            stored_key,
            server_key,
        }
    }
}

impl ScramCredentials {
    /// Derives the stored credentials from a password, for an application
    /// that creates or changes an account (RFC 5802 §3). The password is
    /// prepared with SASLprep (RFC 4013, the subset described in the crate
    /// docs). RFC 7677 §4 asks for at least 4096 iterations; 0 is refused,
    /// as is an empty salt. Use 16 random octets or more as salt, or
    /// [`ScramCredentials::with_random_salt`].
    pub fn derive(password: &str, salt: &[u8], iterations: u32) -> Result<Self, SaslError> {
        if salt.is_empty() {
            return Err(SaslError::EmptyField(Field::Salt));
        }
        if iterations == 0 {
            return Err(SaslError::IterationCount);
        }
        let prepared = saslprep(password, Field::Password)?;
        let keys = DerivedKeys::from_prepared(prepared.expose(), salt, iterations);
        Ok(ScramCredentials {
            salt: salt.to_vec(),
            iterations,
            stored_key: Secret::new(keys.stored_key),
            server_key: Secret::new(keys.server_key),
        })
    }

    /// Like [`derive`](Self::derive) with a fresh 16-octet salt from the
    /// operating system's random number generator.
    pub fn with_random_salt(password: &str, iterations: u32) -> Result<Self, SaslError> {
        let mut salt = [0u8; 16];
        crypto::random_bytes(&mut salt)?;
        Self::derive(password, &salt, iterations)
    }

    /// Credentials from keys stored earlier (for example parsed from a
    /// database column). Refuses an empty salt and 0 iterations.
    pub fn from_keys(
        salt: Vec<u8>,
        iterations: u32,
        stored_key: [u8; 32],
        server_key: [u8; 32],
    ) -> Result<Self, SaslError> {
        if salt.is_empty() {
            return Err(SaslError::EmptyField(Field::Salt));
        }
        if iterations == 0 {
            return Err(SaslError::IterationCount);
        }
        Ok(ScramCredentials {
            salt,
            iterations,
            stored_key: Secret::new(stored_key),
            server_key: Secret::new(server_key),
        })
    }

    /// The salt.
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }

    /// The iteration count.
    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    /// `StoredKey := H(ClientKey)` (RFC 5802 §3).
    pub fn stored_key(&self) -> &[u8; 32] {
        self.stored_key.expose()
    }

    /// `ServerKey := HMAC(SaltedPassword, "Server Key")` (RFC 5802 §3).
    pub fn server_key(&self) -> &[u8; 32] {
        self.server_key.expose()
    }

    /// The RFC 5803 §3 text form, as LDAP's `authPassword` and PostgreSQL
    /// store it: `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`
    /// with base64 values.
    pub fn to_rfc5803(&self) -> String {
        format!(
            "SCRAM-SHA-256${}:{}${}:{}",
            self.iterations,
            encode_base64(&self.salt),
            encode_base64(self.stored_key.expose()),
            encode_base64(self.server_key.expose()),
        )
    }

    /// Parses the RFC 5803 §3 text form of [`to_rfc5803`](Self::to_rfc5803).
    pub fn from_rfc5803(text: &str) -> Result<Self, SaslError> {
        let malformed = SaslError::Malformed(Field::Message);
        let rest = text.strip_prefix("SCRAM-SHA-256$").ok_or(malformed)?;
        let (params, keys) = rest.split_once('$').ok_or(malformed)?;
        let (iterations, salt) = params.split_once(':').ok_or(malformed)?;
        let (stored, server) = keys.split_once(':').ok_or(malformed)?;
        let iterations = parse_decimal(iterations.as_bytes()).ok_or(malformed)?;
        let salt = decode_base64(salt.as_bytes())?;
        let key = |b64: &str| -> Result<[u8; 32], SaslError> {
            let mut raw = decode_base64(b64.as_bytes())?;
            let key = <[u8; 32]>::try_from(raw.as_slice()).map_err(|_| malformed);
            raw.zeroize();
            key
        };
        Self::from_keys(salt, iterations, key(stored)?, key(server)?)
    }
}

/// A decimal `posit-number` (RFC 5802 §7: `%x31-39 *DIGIT`) that fits u32.
pub(crate) fn parse_decimal(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || digits.len() > 10 || digits[0] == b'0' {
        return None;
    }
    let mut value: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u64::from(d - b'0');
    }
    u32::try_from(value).ok()
}

/// Escapes a `saslname` (RFC 5802 §5.1, RFC 5801 §4): `,` becomes `=2C`
/// and `=` becomes `=3D`.
pub(crate) fn escape_saslname(value: &str) -> Vec<u8> {
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

/// Decodes a `saslname` (RFC 5802 §7: `1*(value-safe-char / "=2C" /
/// "=3D")`, `value-safe-char` any UTF-8 but NUL, `=` and `,`): any other
/// `=` sequence is [`SaslError::Malformed`], a NUL
/// [`SaslError::ForbiddenByte`], bad UTF-8 [`SaslError::InvalidUtf8`], more
/// than `max` octets [`SaslError::FieldTooLong`].
pub(crate) fn unescape_saslname(raw: &[u8], field: Field, max: usize) -> Result<String, SaslError> {
    if raw.is_empty() {
        return Err(SaslError::EmptyField(field));
    }
    if raw.len() > max.saturating_mul(3) {
        return Err(SaslError::FieldTooLong(field));
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'=' => {
                match raw.get(i + 1..i + 3) {
                    Some(b"2C") => out.push(b','),
                    Some(b"3D") => out.push(b'='),
                    _ => return Err(SaslError::Malformed(field)),
                }
                i += 3;
            }
            0 => return Err(SaslError::ForbiddenByte(field)),
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    if out.len() > max {
        return Err(SaslError::FieldTooLong(field));
    }
    String::from_utf8(out).map_err(|_| SaslError::InvalidUtf8(field))
}

/// The channel-binding flag of a GS2 header (RFC 5801 §4 `gs2-cb-flag`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CbFlag {
    /// `n`: the client does not support channel binding.
    No,
    /// `y`: the client supports it but thinks the server does not.
    Yes,
    /// `p=<cb-name>`: the client binds with this type; `None` for a name
    /// this crate does not know.
    Bind(Option<ChannelBindingType>),
}

/// A parsed GS2 header.
#[derive(Debug, Clone)]
pub(crate) struct Gs2Header {
    pub(crate) flag: CbFlag,
    pub(crate) authzid: Option<String>,
    /// The header's length in the message, the final `,` included.
    pub(crate) len: usize,
}

/// Parses `gs2-header = gs2-cb-flag "," [ authzid ] ","` with `authzid =
/// "a=" saslname` (RFC 5802 §7; RFC 5801 §4 without the non-standard `F`
/// flag, which SCRAM and OAUTHBEARER do not use).
pub(crate) fn parse_gs2_header(message: &[u8], max: usize) -> Result<Gs2Header, SaslError> {
    let malformed = SaslError::Malformed(Field::Gs2Header);
    let first = memchr_comma(message, 0).ok_or(malformed)?;
    let flag = match &message[..first] {
        b"n" => CbFlag::No,
        b"y" => CbFlag::Yes,
        [b'p', b'=', name @ ..]
            if !name.is_empty()
                && name
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'.' || *b == b'-') =>
        {
            CbFlag::Bind(ChannelBindingType::from_name(name))
        }
        _ => return Err(malformed),
    };
    let second = memchr_comma(message, first + 1).ok_or(malformed)?;
    let authzid = match &message[first + 1..second] {
        b"" => None,
        [b'a', b'=', name @ ..] => Some(unescape_saslname(name, Field::Authzid, max)?),
        _ => return Err(malformed),
    };
    Ok(Gs2Header {
        flag,
        authzid,
        len: second + 1,
    })
}

fn memchr_comma(message: &[u8], from: usize) -> Option<usize> {
    message
        .get(from..)?
        .iter()
        .position(|&b| b == b',')
        .map(|i| i + from)
}

/// Splits a SCRAM message into its `attr=value` parts (RFC 5802 §5.1:
/// attributes are single ASCII letters). A part that is not a letter
/// followed by `=` is [`SaslError::Malformed`]`(Field::Message)`.
pub(crate) fn attributes(message: &[u8]) -> impl Iterator<Item = Result<(u8, &[u8]), SaslError>> {
    message.split(|&b| b == b',').map(|part| match part {
        [name, b'=', value @ ..] if name.is_ascii_alphabetic() => Ok((*name, value)),
        _ => Err(SaslError::Malformed(Field::Message)),
    })
}

/// Takes the next attribute, which must be `name` (RFC 5802 §5.1 fixes the
/// order); a missing or different one is `Malformed(field)`.
pub(crate) fn expect<'a>(
    attrs: &mut impl Iterator<Item = Result<(u8, &'a [u8]), SaslError>>,
    name: u8,
    field: Field,
) -> Result<&'a [u8], SaslError> {
    match attrs.next() {
        Some(Ok((n, value))) if n == name => Ok(value),
        Some(Err(error)) => Err(error),
        _ => Err(SaslError::Malformed(field)),
    }
}

/// Base64 in a SCRAM attribute, with errors about `field`.
pub(crate) fn base64_attr(value: &[u8], field: Field) -> Result<Vec<u8>, SaslError> {
    decode_base64(value).map_err(|_| SaslError::Malformed(field))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saslname_escaping_round_trips_rfc5802_5_1() {
        assert_eq!(escape_saslname("a,b=c"), b"a=2Cb=3Dc");
        assert_eq!(
            unescape_saslname(b"a=2Cb=3Dc", Field::Username, 255).unwrap(),
            "a,b=c"
        );
        for bad in [&b"a=2"[..], b"a=", b"a=2c", b"=41", b"a=3d"] {
            assert_eq!(
                unescape_saslname(bad, Field::Username, 255),
                Err(SaslError::Malformed(Field::Username)),
                "{bad:?}"
            );
        }
        assert_eq!(
            unescape_saslname(b"a\0b", Field::Username, 255),
            Err(SaslError::ForbiddenByte(Field::Username))
        );
        assert_eq!(
            unescape_saslname(b"\xff", Field::Username, 255),
            Err(SaslError::InvalidUtf8(Field::Username))
        );
        assert_eq!(
            unescape_saslname(b"", Field::Username, 255),
            Err(SaslError::EmptyField(Field::Username))
        );
        assert_eq!(
            unescape_saslname(b"abcd", Field::Username, 3),
            Err(SaslError::FieldTooLong(Field::Username))
        );
    }

    #[test]
    fn gs2_header_forms_rfc5801_4() {
        let header = parse_gs2_header(b"n,,n=user,r=x", 255).unwrap();
        assert_eq!(header.flag, CbFlag::No);
        assert_eq!(header.authzid, None);
        assert_eq!(header.len, 3);
        let header = parse_gs2_header(b"y,a=adm=2Cin,rest", 255).unwrap();
        assert_eq!(header.flag, CbFlag::Yes);
        assert_eq!(header.authzid.as_deref(), Some("adm,in"));
        let header = parse_gs2_header(b"p=tls-exporter,,", 255).unwrap();
        assert_eq!(
            header.flag,
            CbFlag::Bind(Some(ChannelBindingType::TlsExporter))
        );
        let header = parse_gs2_header(b"p=tls-unique,,", 255).unwrap();
        assert_eq!(header.flag, CbFlag::Bind(None));
        for bad in [
            &b""[..],
            b"n",
            b"n,",
            b"x,,",
            b"p=,,",
            b"p=a b,,",
            b"F,n,,",
            b"n,b=x,",
            b"n,a=,",
        ] {
            assert!(parse_gs2_header(bad, 255).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn posit_number_rfc5802_7() {
        assert_eq!(parse_decimal(b"4096"), Some(4096));
        assert_eq!(parse_decimal(b"4294967295"), Some(u32::MAX));
        for bad in [&b""[..], b"0", b"0100", b"-1", b"+1", b"4294967296", b"1a"] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn derived_credentials_match_rfc7677_3() {
        let salt = decode_base64(b"W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let credentials = ScramCredentials::derive("pencil", &salt, 4096).unwrap();
        // StoredKey and ServerKey of the RFC 7677 §3 exchange, checked by
        // the exchange test in tests/; here: the text form round-trips.
        let text = credentials.to_rfc5803();
        assert!(text.starts_with("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$"));
        assert_eq!(ScramCredentials::from_rfc5803(&text).unwrap(), credentials);
        assert!(!format!("{credentials:?}").contains(&encode_base64(credentials.stored_key())));
        assert_eq!(
            ScramCredentials::derive("pencil", b"", 4096),
            Err(SaslError::EmptyField(Field::Salt))
        );
        assert_eq!(
            ScramCredentials::derive("pencil", &salt, 0),
            Err(SaslError::IterationCount)
        );
        for bad in [
            "",
            "SCRAM-SHA-1$4096:c2FsdA==$AAAA:AAAA",
            "SCRAM-SHA-256$0:c2FsdA==$AAAA:AAAA",
            "SCRAM-SHA-256$4096:c2FsdA==$AAAA:AAAA",
            "SCRAM-SHA-256$4096:c2FsdA==",
        ] {
            assert!(ScramCredentials::from_rfc5803(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn preferred_binding_is_tls_exporter_rfc9266_3() {
        let mut binding = ChannelBinding::default();
        assert_eq!(ChannelBindingType::preferred(&binding), None);
        binding.tls_server_end_point = Some(Bytes::from_static(b"cert-hash"));
        assert_eq!(
            ChannelBindingType::preferred(&binding),
            Some(ChannelBindingType::TlsServerEndPoint)
        );
        binding.tls_exporter = Some(Bytes::from_static(b"exported"));
        assert_eq!(
            ChannelBindingType::preferred(&binding),
            Some(ChannelBindingType::TlsExporter)
        );
        binding.tls_exporter = Some(Bytes::new());
        assert_eq!(
            ChannelBindingType::preferred(&binding),
            Some(ChannelBindingType::TlsServerEndPoint)
        );
    }
}
