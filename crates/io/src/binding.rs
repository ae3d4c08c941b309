//! `tls-server-end-point` channel binding (RFC 5929 §4.1).
//!
//! The binding is the hash of the server's end-entity certificate, with the
//! hash function of the certificate's signature algorithm, except that MD5
//! and SHA-1 are replaced by SHA-256. Signature algorithms with no single
//! hash (Ed25519, Ed448) have no defined binding, so none is produced.

use bytes::Bytes;
use ring::digest;

const SEQUENCE: u8 = 0x30;
const OID: u8 = 0x06;
/// `[0] EXPLICIT`, the `hashAlgorithm` field of RSASSA-PSS-params.
const CONTEXT_0: u8 = 0xa0;

// Signature algorithm OIDs (RFC 8017 Appendix C, RFC 5758 §3.2, RFC 3279).
const MD5_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x04];
const SHA1_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05];
const RSASSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
const SHA256_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
const SHA384_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c];
const SHA512_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d];
const ECDSA_WITH_SHA1: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01];
const ECDSA_WITH_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
const ECDSA_WITH_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
const ECDSA_WITH_SHA512: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04];
const DSA_WITH_SHA1: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x03];
const DSA_WITH_SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x02];
// Hash OIDs, inside RSASSA-PSS parameters (RFC 8017 Appendix A.2.3).
const SHA1: &[u8] = &[0x2b, 0x0e, 0x03, 0x02, 0x1a];
const SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
const SHA384: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
const SHA512: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];

/// The `tls-server-end-point` binding of a DER certificate, or `None` when
/// the certificate does not parse or its signature algorithm has no
/// defined hash.
pub(crate) fn tls_server_end_point(cert_der: &[u8]) -> Option<Bytes> {
    let algorithm = binding_hash(cert_der)?;
    Some(Bytes::copy_from_slice(
        digest::digest(algorithm, cert_der).as_ref(),
    ))
}

/// One DER element at the start of `input`: (tag, contents, rest).
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let len = rest[..count]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[count..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The hash RFC 5929 §4.1 picks for this certificate.
fn binding_hash(cert_der: &[u8]) -> Option<&'static digest::Algorithm> {
    // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
    let (SEQUENCE, certificate, _) = element(cert_der)? else {
        return None;
    };
    let (SEQUENCE, _tbs, rest) = element(certificate)? else {
        return None;
    };
    // AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL }
    let (SEQUENCE, algorithm, _) = element(rest)? else {
        return None;
    };
    let (OID, oid, parameters) = element(algorithm)? else {
        return None;
    };
    let hash = match oid {
        MD5_WITH_RSA | SHA1_WITH_RSA | SHA256_WITH_RSA | ECDSA_WITH_SHA1 | ECDSA_WITH_SHA256
        | DSA_WITH_SHA1 | DSA_WITH_SHA256 => &digest::SHA256,
        SHA384_WITH_RSA | ECDSA_WITH_SHA384 => &digest::SHA384,
        SHA512_WITH_RSA | ECDSA_WITH_SHA512 => &digest::SHA512,
        RSASSA_PSS => pss_hash(parameters)?,
        _ => return None,
    };
    Some(hash)
}

/// The hash of RSASSA-PSS-params; absent means SHA-1, bound with SHA-256.
fn pss_hash(parameters: &[u8]) -> Option<&'static digest::Algorithm> {
    let (SEQUENCE, params, _) = element(parameters)? else {
        return None;
    };
    let Some((CONTEXT_0, hash_algorithm, _)) = element(params) else {
        return Some(&digest::SHA256);
    };
    let (SEQUENCE, identifier, _) = element(hash_algorithm)? else {
        return None;
    };
    let (OID, oid, _) = element(identifier)? else {
        return None;
    };
    match oid {
        SHA1 | SHA256 => Some(&digest::SHA256),
        SHA384 => Some(&digest::SHA384),
        SHA512 => Some(&digest::SHA512),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert_with(alg: &'static rcgen::SignatureAlgorithm) -> Vec<u8> {
        let key = rcgen::KeyPair::generate_for(alg).expect("key");
        let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("params");
        params.self_signed(&key).expect("cert").der().to_vec()
    }

    #[test]
    fn ecdsa_sha256_certificate_binds_with_sha256_rfc5929_4_1() {
        let der = cert_with(&rcgen::PKCS_ECDSA_P256_SHA256);
        let got = tls_server_end_point(&der).expect("binding");
        assert_eq!(&got[..], digest::digest(&digest::SHA256, &der).as_ref());
        assert_eq!(got.len(), 32);
    }

    #[test]
    fn ecdsa_sha384_certificate_binds_with_sha384_rfc5929_4_1() {
        let der = cert_with(&rcgen::PKCS_ECDSA_P384_SHA384);
        let got = tls_server_end_point(&der).expect("binding");
        assert_eq!(&got[..], digest::digest(&digest::SHA384, &der).as_ref());
        assert_eq!(got.len(), 48);
    }

    #[test]
    fn ed25519_certificate_has_no_defined_binding_rfc5929_4_1() {
        let der = cert_with(&rcgen::PKCS_ED25519);
        assert!(tls_server_end_point(&der).is_none());
    }

    #[test]
    fn sha1_signature_binds_with_sha256_rfc5929_4_1() {
        // SEQUENCE { SEQUENCE {} tbs, SEQUENCE { OID sha1WithRSA } }
        let mut der = vec![0x30, 0x0f, 0x30, 0x00, 0x30, 0x0b, 0x06, 0x09];
        der.extend_from_slice(SHA1_WITH_RSA);
        assert_eq!(binding_hash(&der), Some(&digest::SHA256));
        let mut pss = vec![0x30, 0x11, 0x30, 0x00, 0x30, 0x0d, 0x06, 0x09];
        pss.extend_from_slice(RSASSA_PSS);
        pss.extend_from_slice(&[0x30, 0x00]);
        assert_eq!(binding_hash(&pss), Some(&digest::SHA256));
    }

    #[test]
    fn truncated_or_garbage_der_gives_none() {
        let der = cert_with(&rcgen::PKCS_ECDSA_P256_SHA256);
        for cut in 0..der.len().min(300) {
            let _ = binding_hash(&der[..cut]);
        }
        assert!(tls_server_end_point(b"\x30\x84\xff\xff\xff\xff").is_none());
        assert!(tls_server_end_point(b"").is_none());
    }
}
