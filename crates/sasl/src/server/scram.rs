//! The server side of SCRAM-SHA-256 and SCRAM-SHA-256-PLUS (RFC 5802 §5,
//! RFC 7677), verifying against stored keys, never a password.

use std::sync::OnceLock;

use postwire_core::{Bytes, ChannelBinding};
use zeroize::Zeroize;

use super::{
    Authentication, Evidence, SecretKind, SecretRequest, ServerOptions, ServerStep, StoredSecret,
};
use crate::crypto::{self, SHA256_LEN};
use crate::scram::{
    CbFlag, ChannelBindingType, ScramCredentials, attributes, base64_attr, expect,
    has_channel_binding, parse_gs2_header, unescape_saslname,
};
use crate::{Field, SaslError, encode_base64};

/// What the client-first message said.
#[derive(Clone)]
struct ClientFirst {
    /// `gs2-header`, verbatim: `c=` must repeat it.
    gs2_header: Vec<u8>,
    /// The binding the client chose (`p=`), with this side's data for it.
    binding: Option<Bytes>,
    authzid: Option<String>,
    username: String,
    /// `client-first-message-bare`, verbatim, for `AuthMessage`.
    bare: Vec<u8>,
    client_nonce: Vec<u8>,
}

#[derive(Clone)]
enum State {
    /// The client-first message is next (after an empty challenge if the
    /// client sent no initial response).
    AwaitFirst,
    /// The application looks up the stored secret.
    AwaitSecret(ClientFirst),
    /// The server-first message is out; the client-final message is next.
    /// `credentials` is `None` for an unknown user.
    AwaitFinal {
        first: ClientFirst,
        server_first: Vec<u8>,
        nonce: Vec<u8>,
        credentials: Option<ScramCredentials>,
        fake_stored_key: [u8; SHA256_LEN],
    },
    /// The server-final message is out; the client's empty response is
    /// next.
    AwaitAck(Authentication),
    /// Over.
    Finished,
}

/// One SCRAM-SHA-256(-PLUS) exchange, server side.
///
/// `Debug` shows the variant and the state's name only: the stored keys
/// are redacted anyway, and the rest is noise in logs.
#[derive(Clone)]
pub(super) struct ScramServer {
    plus: bool,
    /// The server's part of the nonce.
    server_nonce: String,
    channel_binding: ChannelBinding,
    max_field_len: usize,
    unknown_user_iterations: u32,
    state: State,
}

impl std::fmt::Debug for ScramServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &self.state {
            State::AwaitFirst => "AwaitFirst",
            State::AwaitSecret(_) => "AwaitSecret",
            State::AwaitFinal { .. } => "AwaitFinal",
            State::AwaitAck(_) => "AwaitAck",
            State::Finished => "Finished",
        };
        f.debug_struct("ScramServer")
            .field("plus", &self.plus)
            .field("state", &state)
            .finish_non_exhaustive()
    }
}

impl ScramServer {
    pub(super) fn new(plus: bool, server_nonce: String, options: &ServerOptions) -> Self {
        ScramServer {
            plus,
            server_nonce,
            channel_binding: options.channel_binding.clone(),
            max_field_len: options.limits.max_field_len,
            unknown_user_iterations: options.unknown_user_iterations.max(1),
            state: State::AwaitFirst,
        }
    }

    pub(super) fn needs_secret(&self) -> bool {
        matches!(self.state, State::AwaitSecret(_))
    }

    pub(super) fn step(&mut self, response: &[u8]) -> Result<ServerStep, SaslError> {
        match std::mem::replace(&mut self.state, State::Finished) {
            State::AwaitFirst => self.client_first(response).map(|first| {
                let request = SecretRequest {
                    username: first.username.clone(),
                    authzid: first.authzid.clone(),
                    kind: SecretKind::Scram,
                };
                self.state = State::AwaitSecret(first);
                ServerStep::NeedSecret(request)
            }),
            State::AwaitFinal {
                first,
                server_first,
                nonce,
                credentials,
                fake_stored_key,
            } => self
                .client_final(
                    response,
                    &first,
                    &server_first,
                    &nonce,
                    credentials.as_ref(),
                    &fake_stored_key,
                )
                .map(|server_final| {
                    self.state = State::AwaitAck(Authentication {
                        authzid: first.authzid,
                        username: first.username,
                        evidence: Evidence::Verified,
                    });
                    ServerStep::Challenge(server_final)
                }),
            State::AwaitAck(authentication) => {
                // The client's answer to the server-final challenge carries
                // nothing (RFC 4422 §3.6 without additional data).
                if response.is_empty() {
                    Ok(ServerStep::Done(authentication))
                } else {
                    Err(SaslError::Malformed(Field::Message))
                }
            }
            State::AwaitSecret(_) | State::Finished => Err(SaslError::OutOfOrder),
        }
    }

    pub(super) fn provide_secret(
        &mut self,
        secret: Option<StoredSecret>,
    ) -> Result<ServerStep, SaslError> {
        let first = match std::mem::replace(&mut self.state, State::Finished) {
            State::AwaitSecret(first) => first,
            other => {
                self.state = other;
                return Err(SaslError::OutOfOrder);
            }
        };
        let (credentials, salt, iterations) = match secret {
            Some(StoredSecret::Scram(credentials)) => {
                let salt = credentials.salt().to_vec();
                let iterations = credentials.iterations();
                (Some(credentials), salt, iterations)
            }
            Some(_) => return Err(SaslError::CredentialsMismatch),
            None => (
                None,
                unknown_user_salt(&first.username)?,
                self.unknown_user_iterations,
            ),
        };
        // For an unknown user the proof is checked against a random key, so
        // the work and the failure look the same as for a wrong password.
        let mut fake_stored_key = [0u8; SHA256_LEN];
        if credentials.is_none() {
            crypto::random_bytes(&mut fake_stored_key)?;
        }
        let mut nonce = first.client_nonce.clone();
        nonce.extend_from_slice(self.server_nonce.as_bytes());
        let mut server_first = b"r=".to_vec();
        server_first.extend_from_slice(&nonce);
        server_first.extend_from_slice(b",s=");
        server_first.extend_from_slice(encode_base64(&salt).as_bytes());
        server_first.extend_from_slice(format!(",i={iterations}").as_bytes());
        self.state = State::AwaitFinal {
            first,
            server_first: server_first.clone(),
            nonce,
            credentials,
            fake_stored_key,
        };
        Ok(ServerStep::Challenge(server_first))
    }

    /// Reads `client-first-message = gs2-header client-first-message-bare`,
    /// `client-first-message-bare = [reserved-mext ","] username "," nonce
    /// ["," extensions]` (RFC 5802 §7), and checks the channel-binding flag
    /// against the mechanism (RFC 5802 §6).
    fn client_first(&self, message: &[u8]) -> Result<ClientFirst, SaslError> {
        let header = parse_gs2_header(message, self.max_field_len)?;
        let binding = match (&header.flag, self.plus) {
            (CbFlag::Bind(kind), true) => {
                let data = kind.and_then(|k: ChannelBindingType| k.data(&self.channel_binding));
                Some(data.cloned().ok_or(SaslError::ChannelBindingFlag)?)
            }
            (CbFlag::No | CbFlag::Yes, true) | (CbFlag::Bind(_), false) => {
                return Err(SaslError::ChannelBindingFlag);
            }
            (CbFlag::Yes, false) if has_channel_binding(&self.channel_binding) => {
                return Err(SaslError::ChannelBindingDowngrade);
            }
            (CbFlag::No | CbFlag::Yes, false) => None,
        };
        let bare = &message[header.len..];
        let mut attrs = attributes(bare).peekable();
        if matches!(attrs.peek(), Some(Ok((b'm', _)))) {
            // `extensions-not-supported` (RFC 5802 §5.1: no mandatory
            // extension is defined, so any must fail).
            return Err(SaslError::Malformed(Field::Message));
        }
        let username = unescape_saslname(
            expect(&mut attrs, b'n', Field::Username)?,
            Field::Username,
            self.max_field_len,
        )?;
        let nonce = expect(&mut attrs, b'r', Field::Nonce)?;
        if !crypto::is_printable_nonce(nonce) || nonce.len() > self.max_field_len {
            return Err(SaslError::Malformed(Field::Nonce));
        }
        for attr in attrs {
            attr?;
        }
        Ok(ClientFirst {
            gs2_header: message[..header.len].to_vec(),
            binding,
            authzid: header.authzid,
            username,
            bare: bare.to_vec(),
            client_nonce: nonce.to_vec(),
        })
    }

    /// Reads `client-final-message = channel-binding "," nonce [","
    /// extensions] "," proof` (RFC 5802 §7), checks the binding and the
    /// nonce, verifies the proof, and returns the server-final message
    /// `v=ServerSignature`.
    fn client_final(
        &self,
        message: &[u8],
        first: &ClientFirst,
        server_first: &[u8],
        nonce: &[u8],
        credentials: Option<&ScramCredentials>,
        fake_stored_key: &[u8; SHA256_LEN],
    ) -> Result<Vec<u8>, SaslError> {
        // The proof is the last attribute; everything before it is
        // `client-final-message-without-proof`.
        let split = message
            .windows(3)
            .rposition(|w| w == b",p=")
            .ok_or(SaslError::Malformed(Field::Proof))?;
        let (without_proof, proof) = (&message[..split], &message[split + 3..]);
        let mut attrs = attributes(without_proof);
        let cbind = base64_attr(
            expect(&mut attrs, b'c', Field::ChannelBinding)?,
            Field::ChannelBinding,
        )?;
        let mut expected = first.gs2_header.clone();
        if let Some(data) = &first.binding {
            expected.extend_from_slice(data);
        }
        if cbind != expected {
            return Err(SaslError::ChannelBindingMismatch);
        }
        if expect(&mut attrs, b'r', Field::Nonce)? != nonce {
            return Err(SaslError::NonceMismatch);
        }
        for attr in attrs {
            attr?;
        }
        let proof = base64_attr(proof, Field::Proof)?;
        let proof: [u8; SHA256_LEN] = proof
            .as_slice()
            .try_into()
            .map_err(|_| SaslError::Malformed(Field::Proof))?;

        let stored_key = credentials.map_or(fake_stored_key, ScramCredentials::stored_key);
        let auth_message: [&[u8]; 5] = [&first.bare, b",", server_first, b",", without_proof];
        let mut client_signature = crypto::hmac_sha256(stored_key, &auth_message);
        let mut client_key = crypto::xor(&proof, &client_signature);
        let mut computed = crypto::sha256(&client_key);
        let matches = crypto::constant_time_eq(&computed, stored_key);
        client_signature.zeroize();
        client_key.zeroize();
        computed.zeroize();
        let Some(credentials) = credentials.filter(|_| matches) else {
            return Err(SaslError::AuthenticationFailed);
        };
        let server_signature = crypto::hmac_sha256(credentials.server_key(), &auth_message);
        let mut out = b"v=".to_vec();
        out.extend_from_slice(encode_base64(&server_signature).as_bytes());
        Ok(out)
    }
}

/// The salt announced for an unknown user: an HMAC of the name under a key
/// drawn once per process, so the same name gets the same salt on every
/// attempt, as a real user's would (RFC 5802 §5.1 suggests this). A server
/// restart changes it; an attacker who sees that across restarts learns the
/// name is unknown.
fn unknown_user_salt(username: &str) -> Result<Vec<u8>, SaslError> {
    static KEY: OnceLock<[u8; 32]> = OnceLock::new();
    let key = match KEY.get() {
        Some(key) => key,
        None => {
            let mut key = [0u8; 32];
            crypto::random_bytes(&mut key)?;
            KEY.get_or_init(|| key)
        }
    };
    let mac = crypto::hmac_sha256(
        key,
        &[b"postwire-scram-unknown-user\0", username.as_bytes()],
    );
    Ok(mac[..16].to_vec())
}
