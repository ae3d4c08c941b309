//! The primitives the mechanisms compute with: SHA-256, HMAC, PBKDF2
//! (RFC 5802 §2.2 `Hi`), HMAC-MD5 (RFC 2195), MD5 (RFC 1939 APOP),
//! constant-time equality, and the one read of OS randomness.

use hmac::{Hmac, Mac};
use md5::Md5;
use sha2::{Digest, Sha256};
use zeroize::Zeroize;

use crate::SaslError;

/// Output length of SHA-256, the hash of SCRAM-SHA-256 (RFC 7677 §3).
pub(crate) const SHA256_LEN: usize = 32;

/// `HMAC(key, str)` of RFC 5802 §2.2 with SHA-256 (RFC 2104, RFC 6234).
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; SHA256_LEN] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// `H(str)` of RFC 5802 §2.2 with SHA-256.
pub(crate) fn sha256(data: &[u8]) -> [u8; SHA256_LEN] {
    Sha256::digest(data).into()
}

/// `Hi(str, salt, i)` of RFC 5802 §2.2: PBKDF2 (RFC 8018 §5.2) with
/// HMAC-SHA-256 and an output of one hash length.
pub(crate) fn hi(password: &[u8], salt: &[u8], iterations: u32) -> [u8; SHA256_LEN] {
    let mut out = [0u8; SHA256_LEN];
    pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut out);
    out
}

/// The CRAM-MD5 digest (RFC 2195 §2): `HMAC-MD5(secret, challenge)` as 32
/// lowercase hex digits.
pub(crate) fn cram_md5_hex(secret: &[u8], challenge: &[u8]) -> String {
    let mut mac = <Hmac<Md5> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(challenge);
    hex(&mac.finalize().into_bytes())
}

/// The POP3 APOP digest (RFC 1939 §7): the MD5 of the server's greeting
/// timestamp (angle brackets included, as in the greeting) followed by the
/// shared secret, as 32 lowercase hex digits.
///
/// `apop_digest(b"<1896.697170952@dbc.mtview.ca.us>", "tanstaaf")` is
/// `c4c9334bac560ecc979e58001b3e22fb`. The server computes the same from
/// its stored secret and compares the two in constant time; the scheme
/// makes the secret a plaintext equivalent, which is why APOP is legacy.
pub fn apop_digest(timestamp: &[u8], secret: &str) -> String {
    let mut hasher = Md5::new();
    hasher.update(timestamp);
    hasher.update(secret.as_bytes());
    hex(&hasher.finalize())
}

/// Checks a client's APOP digest (RFC 1939 §7) against the stored secret:
/// recomputes [`apop_digest`] and compares in constant time (SECURITY.md
/// A7), ignoring the case of the hex digits.
pub fn apop_matches(timestamp: &[u8], secret: &str, digest: &[u8]) -> bool {
    let expected = apop_digest(timestamp, secret);
    let lower: Vec<u8> = digest.iter().map(u8::to_ascii_lowercase).collect();
    constant_time_eq(expected.as_bytes(), &lower)
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Equality that does not stop at the first difference, so its time tells
/// nothing about where two secrets differ (SECURITY.md A7). Lengths are not
/// hidden.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= std::hint::black_box(x ^ y);
    }
    diff == 0
}

/// XOR of two equally long arrays (RFC 5802 §3 `ClientProof`).
pub(crate) fn xor(a: &[u8; SHA256_LEN], b: &[u8; SHA256_LEN]) -> [u8; SHA256_LEN] {
    let mut out = [0u8; SHA256_LEN];
    for (o, (x, y)) in out.iter_mut().zip(a.iter().zip(b)) {
        *o = x ^ y;
    }
    out
}

/// Fills `buf` from the operating system's random number generator: the
/// only thing in this crate beyond pure computation.
pub(crate) fn random_bytes(buf: &mut [u8]) -> Result<(), SaslError> {
    getrandom::fill(buf).map_err(|_| SaslError::RandomnessUnavailable)
}

/// A fresh nonce: 18 random octets in base64, 24 printable characters
/// without `,` (RFC 5802 §7 `c-nonce`, `s-nonce`).
pub(crate) fn random_nonce() -> Result<String, SaslError> {
    let mut raw = [0u8; 18];
    random_bytes(&mut raw)?;
    let nonce = crate::encode_base64(&raw);
    raw.zeroize();
    Ok(nonce)
}

/// Whether `nonce` is a valid `c-nonce`/`s-nonce`: one or more printable
/// ASCII characters except `,` (RFC 5802 §7 `printable`).
pub(crate) fn is_printable_nonce(nonce: &[u8]) -> bool {
    !nonce.is_empty()
        && nonce
            .iter()
            .all(|&b| (0x21..=0x7e).contains(&b) && b != b',')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apop_digest_rfc1939_7_example() {
        assert_eq!(
            apop_digest(b"<1896.697170952@dbc.mtview.ca.us>", "tanstaaf"),
            "c4c9334bac560ecc979e58001b3e22fb"
        );
        let timestamp = b"<1896.697170952@dbc.mtview.ca.us>";
        assert!(apop_matches(
            timestamp,
            "tanstaaf",
            b"c4c9334bac560ecc979e58001b3e22fb"
        ));
        assert!(apop_matches(
            timestamp,
            "tanstaaf",
            b"C4C9334BAC560ECC979E58001B3E22FB"
        ));
        assert!(!apop_matches(
            timestamp,
            "tanstaaF",
            b"c4c9334bac560ecc979e58001b3e22fb"
        ));
        assert!(!apop_matches(
            timestamp,
            "tanstaaf",
            b"c4c9334bac560ecc979e58001b3e22f"
        ));
    }

    #[test]
    fn cram_md5_digest_rfc2195_2_example() {
        assert_eq!(
            cram_md5_hex(
                b"tanstaaftanstaaf",
                b"<1896.697170952@postoffice.reston.mci.net>"
            ),
            "b913a602c7eda7a495b4e6e7334d3890"
        );
    }

    #[test]
    fn hmac_sha256_rfc4231_test_case_2() {
        let mac = hmac_sha256(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        assert_eq!(
            hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn constant_time_eq_is_equality() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret\0"));
        assert!(!constant_time_eq(b"", b"\0"));
    }

    #[test]
    fn random_nonces_are_printable_and_differ() {
        let a = random_nonce().unwrap();
        let b = random_nonce().unwrap();
        assert_eq!(a.len(), 24);
        assert!(is_printable_nonce(a.as_bytes()));
        assert_ne!(a, b);
    }

    #[test]
    fn nonce_syntax_rfc5802_7() {
        assert!(is_printable_nonce(b"rOprNGfwEbeRWgbNEkqO"));
        assert!(is_printable_nonce(b"%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"));
        assert!(!is_printable_nonce(b""));
        assert!(!is_printable_nonce(b"a,b"));
        assert!(!is_printable_nonce(b"a b"));
        assert!(!is_printable_nonce(b"a\x7f"));
    }
}
