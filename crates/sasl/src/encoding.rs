//! Base64 as SMTP AUTH (RFC 4954 §4), POP3 AUTH (RFC 5034 §4) and IMAP
//! AUTHENTICATE (RFC 9051 §6.2.2) put SASL messages on the wire.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroize;

use crate::SaslError;

/// Encodes `data` in base64 with the standard alphabet and padding
/// (RFC 4648 §4), as all three mail protocols require.
///
/// The result of encoding a client response carries the credential: put it
/// straight into the transmit buffer rather than keeping it around.
pub fn encode_base64(data: &[u8]) -> String {
    STANDARD.encode(data)
}

/// Decodes strict base64 (RFC 4648 §4): standard alphabet, canonical
/// padding, no whitespace, no non-zero trailing bits.
///
/// An empty input decodes to an empty vector. The protocols' special tokens
/// (`*` to cancel, SMTP's `=` for an empty initial response, RFC 4954 §4) are
/// the protocol's to recognise before calling this. The output of decoding a
/// client response holds a credential: wrap it in a
/// [`Secret`](crate::Secret) or zeroize it after use; on error the partial
/// output is zeroized here.
pub fn decode_base64(encoded: &[u8]) -> Result<Vec<u8>, SaslError> {
    // Allocate once, so no reallocation leaves a copy of secret bytes behind.
    let mut out = Vec::with_capacity(encoded.len() / 4 * 3 + 3);
    match STANDARD.decode_vec(encoded, &mut out) {
        Ok(()) => Ok(out),
        Err(_) => {
            out.zeroize();
            Err(SaslError::InvalidBase64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_section_10_test_vectors() {
        let vectors: [(&[u8], &str); 7] = [
            (b"", ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg=="),
            (b"fooba", "Zm9vYmE="),
            (b"foobar", "Zm9vYmFy"),
        ];
        for (raw, encoded) in vectors {
            assert_eq!(encode_base64(raw), encoded);
            assert_eq!(decode_base64(encoded.as_bytes()).unwrap(), raw);
        }
    }

    #[test]
    fn non_strict_base64_is_rejected_rfc4648_3() {
        for bad in [
            &b"Zg"[..],      // missing padding
            b"Zg=",          // short padding
            b"Zm9v\r\n",     // line break
            b"Zm 9v",        // space
            b"Zm9v-_==",     // URL-safe alphabet
            b"Zh==",         // non-zero trailing bits
            b"*",            // cancel token is the protocol's
            b"=",            // SMTP empty-response token is the protocol's
            b"Zm9vYg==Zm9v", // data after padding
            b"\xff\xfe",     // not ASCII
        ] {
            assert_eq!(decode_base64(bad), Err(SaslError::InvalidBase64), "{bad:?}");
        }
    }
}
