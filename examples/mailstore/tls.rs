//! The server certificate: the operator's PEM files, or a throwaway CA and
//! a `localhost` certificate it signs, generated at start.

use std::path::Path;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// What the listeners present.
#[derive(Clone)]
pub(crate) struct ServerTls {
    /// The rustls configuration for STARTTLS and STLS.
    pub(crate) config: Arc<rustls::ServerConfig>,
    /// The end-entity certificate, for the `tls-server-end-point` channel
    /// binding of SCRAM-SHA-256-PLUS on TLS 1.2 (RFC 5929 §4).
    pub(crate) certificate: CertificateDer<'static>,
    /// The generated CA, which a client must trust (`None` for PEM files).
    pub(crate) generated_ca: Option<CertificateDer<'static>>,
}

impl ServerTls {
    /// Reads a certificate chain and its private key from PEM files.
    #[allow(
        dead_code,
        reason = "the mailserver's --tls-cert; the demo always generates"
    )]
    pub(crate) fn from_pem(cert: &Path, key: &Path) -> Result<Self, String> {
        let chain = CertificateDer::pem_file_iter(cert)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| format!("{}: {e}", cert.display()))?;
        let key =
            PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
        let certificate = chain
            .first()
            .cloned()
            .ok_or_else(|| format!("{}: no certificate", cert.display()))?;
        Ok(Self {
            config: server_config(chain, key)?,
            certificate,
            generated_ca: None,
        })
    }

    /// Generates a CA and a certificate for `localhost` and `127.0.0.1`
    /// signed by it (rustls accepts a self-signed end-entity certificate
    /// as a trust anchor only through a CA, so the demo's client trusts
    /// the CA).
    pub(crate) fn generate() -> Result<Self, String> {
        let error = |e: rcgen::Error| format!("generating a certificate: {e}");
        let ca_key = KeyPair::generate().map_err(error)?;
        let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(error)?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "postwire mailserver throwaway CA");
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = ca.self_signed(&ca_key).map_err(error)?;

        let key = KeyPair::generate().map_err(error)?;
        let mut leaf = CertificateParams::new(vec![super::HOSTNAME.to_owned()]).map_err(error)?;
        leaf.subject_alt_names
            .push(SanType::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()));
        leaf.distinguished_name
            .push(DnType::CommonName, super::HOSTNAME);
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let leaf = leaf.signed_by(&key, &ca, &ca_key).map_err(error)?;

        let chain = vec![leaf.der().clone(), ca.der().clone()];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        Ok(Self {
            config: server_config(chain, key)?,
            certificate: leaf.der().clone(),
            generated_ca: Some(ca.der().clone()),
        })
    }
}

fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<rustls::ServerConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(chain, key))
        .map_err(|e| format!("tls: {e}"))?;
    Ok(Arc::new(config))
}
