//! A generated test PKI, returned as rustls configs (crypto provider: ring).

use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, OnceLock};

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore, ServerConfig, SupportedProtocolVersion};

/// The ring crypto provider every test config uses.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The server name the valid certificate is issued for.
pub fn localhost() -> ServerName<'static> {
    ServerName::try_from("localhost").expect("localhost is a valid dns name")
}

/// Which server certificate a [`TestPki::server_config`] presents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerCert {
    /// Issued by the test CA for `localhost` and 127.0.0.1, valid now.
    Valid,
    /// Issued by the test CA for `localhost`, expired in 2001.
    Expired,
    /// Issued by the test CA for `mail.example.org` only.
    WrongHost,
    /// Issued for `localhost` by a CA the clients do not trust.
    UnknownIssuer,
    /// Self-signed for `localhost`.
    SelfSigned,
}

struct Leaf {
    chain: Vec<CertificateDer<'static>>,
    key: Vec<u8>,
}

/// A CA, the server certificates of [`ServerCert`], and configs built on them.
pub struct TestPki {
    ca: CertificateDer<'static>,
    valid: Leaf,
    expired: Leaf,
    wrong_host: Leaf,
    unknown_issuer: Leaf,
    self_signed: Leaf,
}

impl std::fmt::Debug for TestPki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestPki").finish_non_exhaustive()
    }
}

fn ca(name: &str) -> (Certificate, KeyPair) {
    let key = KeyPair::generate().expect("key generation");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let cert = params.self_signed(&key).expect("self-signed ca");
    (cert, key)
}

fn leaf_params(names: &[&str], expired: bool) -> CertificateParams {
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let mut params = CertificateParams::new(names).expect("leaf params");
    params
        .subject_alt_names
        .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    params
        .distinguished_name
        .push(DnType::CommonName, "postwire test server");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    if expired {
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2001, 1, 1);
    }
    params
}

fn signed(names: &[&str], expired: bool, issuer: &(Certificate, KeyPair)) -> Leaf {
    let key = KeyPair::generate().expect("key generation");
    let cert = leaf_params(names, expired)
        .signed_by(&key, &issuer.0, &issuer.1)
        .expect("signed leaf");
    Leaf {
        chain: vec![cert.der().clone(), issuer.0.der().clone()],
        key: key.serialize_der(),
    }
}

impl TestPki {
    /// Generates a fresh PKI (a few milliseconds).
    pub fn generate() -> Self {
        let root = ca("postwire test CA");
        let other = ca("postwire untrusted CA");
        let self_signed = {
            let key = KeyPair::generate().expect("key generation");
            let cert = leaf_params(&["localhost"], false)
                .self_signed(&key)
                .expect("self-signed leaf");
            Leaf {
                chain: vec![cert.der().clone()],
                key: key.serialize_der(),
            }
        };
        Self {
            ca: root.0.der().clone(),
            valid: signed(&["localhost"], false, &root),
            expired: signed(&["localhost"], true, &root),
            wrong_host: signed(&["mail.example.org"], false, &root),
            unknown_issuer: signed(&["localhost"], false, &other),
            self_signed,
        }
    }

    /// One PKI shared by every test of the process.
    pub fn shared() -> &'static TestPki {
        static PKI: OnceLock<TestPki> = OnceLock::new();
        PKI.get_or_init(TestPki::generate)
    }

    fn leaf(&self, which: ServerCert) -> &Leaf {
        match which {
            ServerCert::Valid => &self.valid,
            ServerCert::Expired => &self.expired,
            ServerCert::WrongHost => &self.wrong_host,
            ServerCert::UnknownIssuer => &self.unknown_issuer,
            ServerCert::SelfSigned => &self.self_signed,
        }
    }

    /// The test CA's certificate in DER.
    pub fn ca_der(&self) -> CertificateDer<'static> {
        self.ca.clone()
    }

    /// The end-entity certificate of `which`, in DER.
    pub fn server_cert_der(&self, which: ServerCert) -> CertificateDer<'static> {
        self.leaf(which).chain[0].clone()
    }

    /// A client config trusting only the test CA, TLS 1.2 and 1.3.
    pub fn client_config(&self) -> ClientConfig {
        self.client_config_with_versions(rustls::DEFAULT_VERSIONS)
    }

    /// A client config trusting only the test CA, with the given versions.
    pub fn client_config_with_versions(
        &self,
        versions: &[&'static SupportedProtocolVersion],
    ) -> ClientConfig {
        let mut roots = RootCertStore::empty();
        roots.add(self.ca.clone()).expect("ca certificate");
        ClientConfig::builder_with_provider(crypto_provider())
            .with_protocol_versions(versions)
            .expect("protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth()
    }

    /// A server config presenting `which`.
    pub fn server_config(&self, which: ServerCert) -> ServerConfig {
        let leaf = self.leaf(which);
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf.key.clone()));
        ServerConfig::builder_with_provider(crypto_provider())
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(leaf.chain.clone(), key)
            .expect("server certificate")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_distinct_certificates() {
        let pki = TestPki::shared();
        assert_ne!(
            pki.server_cert_der(ServerCert::Valid),
            pki.server_cert_der(ServerCert::Expired)
        );
        let _ = pki.client_config();
        let _ = pki.server_config(ServerCert::SelfSigned);
    }
}
