//! The client side of SCRAM-SHA-256 and SCRAM-SHA-256-PLUS (RFC 5802 §5,
//! RFC 7677).

use postwire_core::{Bytes, ChannelBinding, Secret};
use zeroize::Zeroize;

use super::ClientOptions;
use crate::crypto::{self, SHA256_LEN};
use crate::saslprep::saslprep;
use crate::scram::{
    ChannelBindingType, DerivedKeys, attributes, base64_attr, escape_saslname, expect,
    has_channel_binding, parse_decimal,
};
use crate::{Field, SaslError, ScramServerError, encode_base64};

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// Nothing sent.
    Start,
    /// `client-first-message` sent.
    SentFirst,
    /// `client-final-message` sent; the server's signature is expected.
    SentFinal,
    /// The server proved it knows the password.
    Complete,
    /// An error ended the exchange.
    Failed,
}

/// One SCRAM-SHA-256(-PLUS) exchange, client side.
///
/// `Debug` shows the state only: the password, the proof and the expected
/// server signature are secrets.
#[derive(Clone)]
pub(super) struct ScramClient {
    plus: bool,
    authzid: Option<String>,
    username: String,
    password: Secret<String>,
    nonce: String,
    binding: ChannelBinding,
    binding_type: Option<ChannelBindingType>,
    min_iterations: u32,
    max_iterations: u32,
    /// `gs2-header`, fixed when the first message goes out.
    gs2_header: Vec<u8>,
    /// The channel-binding data appended to the header in `c=` (PLUS only).
    cb_data: Option<Bytes>,
    /// `client-first-message-bare`.
    first_bare: Vec<u8>,
    server_signature: Secret<[u8; SHA256_LEN]>,
    state: State,
}

impl std::fmt::Debug for ScramClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScramClient")
            .field("plus", &self.plus)
            .field("binding_type", &self.binding_type)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl ScramClient {
    /// Prepares the exchange: SASLprep of the password (RFC 5802 §2.2), the
    /// nonce, and for PLUS the binding type and its data (RFC 5802 §6).
    pub(super) fn new(
        plus: bool,
        authzid: Option<&str>,
        username: &str,
        password: &str,
        options: &ClientOptions,
    ) -> Result<Self, SaslError> {
        if username.is_empty() {
            return Err(SaslError::EmptyField(Field::Username));
        }
        if username.chars().any(char::is_control) {
            return Err(SaslError::ForbiddenByte(Field::Username));
        }
        let authzid = authzid.filter(|a| !a.is_empty());
        if authzid.is_some_and(|a| a.chars().any(char::is_control)) {
            return Err(SaslError::ForbiddenByte(Field::Authzid));
        }
        let password = saslprep(password, Field::Password)?;
        let nonce = match &options.nonce {
            Some(nonce) if crypto::is_printable_nonce(nonce.as_bytes()) => nonce.clone(),
            Some(_) => return Err(SaslError::Malformed(Field::Nonce)),
            None => crypto::random_nonce()?,
        };
        let mut client = ScramClient {
            plus,
            authzid: authzid.map(str::to_owned),
            username: username.to_owned(),
            password,
            nonce,
            binding: ChannelBinding::default(),
            binding_type: options.channel_binding_type,
            min_iterations: options.min_iterations,
            max_iterations: options.max_iterations,
            gs2_header: Vec::new(),
            cb_data: None,
            first_bare: Vec::new(),
            server_signature: Secret::new([0; SHA256_LEN]),
            state: State::Start,
        };
        client.set_channel_binding(&options.channel_binding);
        if plus && client.chosen_binding().is_none() {
            return Err(SaslError::ChannelBindingUnavailable);
        }
        Ok(client)
    }

    /// Takes channel-binding data from the TLS layer, if none was given yet
    /// and nothing was sent.
    pub(super) fn set_channel_binding(&mut self, binding: &ChannelBinding) {
        if self.state == State::Start && !has_channel_binding(&self.binding) {
            self.binding = binding.clone();
        }
    }

    /// The binding type and data a PLUS exchange uses.
    fn chosen_binding(&self) -> Option<(ChannelBindingType, Bytes)> {
        let kind = self
            .binding_type
            .or_else(|| ChannelBindingType::preferred(&self.binding))?;
        kind.data(&self.binding).map(|data| (kind, data.clone()))
    }

    /// `client-first-message = gs2-header client-first-message-bare` with
    /// `client-first-message-bare = username "," nonce` (RFC 5802 §7).
    ///
    /// The flag is `p=<type>` for PLUS; for plain SCRAM it is `y` when this
    /// side has channel-binding data (so a server that supports binding
    /// detects a stripped -PLUS advertisement, RFC 5802 §6) and `n` without.
    pub(super) fn first(&mut self) -> Result<Secret<Vec<u8>>, SaslError> {
        if self.state != State::Start {
            return Err(self.fail(SaslError::UnexpectedChallenge));
        }
        let mut header = Vec::new();
        if self.plus {
            let Some((kind, data)) = self.chosen_binding() else {
                return Err(self.fail(SaslError::ChannelBindingUnavailable));
            };
            header.extend_from_slice(b"p=");
            header.extend_from_slice(kind.name().as_bytes());
            self.cb_data = Some(data);
        } else if has_channel_binding(&self.binding) {
            header.push(b'y');
        } else {
            header.push(b'n');
        }
        header.push(b',');
        if let Some(authzid) = &self.authzid {
            header.extend_from_slice(b"a=");
            header.extend_from_slice(&escape_saslname(authzid));
        }
        header.push(b',');
        let mut bare = b"n=".to_vec();
        bare.extend_from_slice(&escape_saslname(&self.username));
        bare.extend_from_slice(b",r=");
        bare.extend_from_slice(self.nonce.as_bytes());
        let mut message = Vec::with_capacity(header.len() + bare.len());
        message.extend_from_slice(&header);
        message.extend_from_slice(&bare);
        self.gs2_header = header;
        self.first_bare = bare;
        self.state = State::SentFirst;
        Ok(Secret::new(message))
    }

    /// Answers one challenge: the server-first message, then the
    /// server-final message (answered with an empty response).
    pub(super) fn step(&mut self, challenge: &[u8]) -> Result<Secret<Vec<u8>>, SaslError> {
        let result = match self.state {
            // The protocol could not send an initial response: the first
            // (empty) challenge asks for the client-first message.
            State::Start => return self.first(),
            State::SentFirst => self.final_message(challenge),
            State::SentFinal => self.verify(challenge).map(|()| Secret::new(Vec::new())),
            State::Complete | State::Failed => Err(SaslError::UnexpectedChallenge),
        };
        result.map_err(|error| self.fail(error))
    }

    /// Checks the server-final message carried as additional data with the
    /// success outcome (RFC 4422 §3.6).
    pub(super) fn success_data(&mut self, data: &[u8]) -> Result<(), SaslError> {
        match self.state {
            State::SentFinal => self.verify(data).map_err(|error| self.fail(error)),
            State::Complete if data.is_empty() => Ok(()),
            _ => Err(self.fail(SaslError::UnexpectedChallenge)),
        }
    }

    pub(super) fn is_complete(&self) -> bool {
        self.state == State::Complete
    }

    fn fail(&mut self, error: SaslError) -> SaslError {
        self.state = State::Failed;
        error
    }

    /// Reads `server-first-message = [reserved-mext ","] nonce "," salt ","
    /// iteration-count ["," extensions]` and builds `client-final-message =
    /// client-final-message-without-proof "," proof` (RFC 5802 §7, §3).
    fn final_message(&mut self, server_first: &[u8]) -> Result<Secret<Vec<u8>>, SaslError> {
        let mut attrs = attributes(server_first).peekable();
        if matches!(attrs.peek(), Some(Ok((b'm', _)))) {
            // RFC 5802 §5.1: an unknown mandatory extension fails the client.
            return Err(SaslError::Malformed(Field::Message));
        }
        let nonce = expect(&mut attrs, b'r', Field::Nonce)?;
        if !crypto::is_printable_nonce(nonce)
            || nonce.len() <= self.nonce.len()
            || !nonce.starts_with(self.nonce.as_bytes())
        {
            return Err(SaslError::NonceMismatch);
        }
        let salt = base64_attr(expect(&mut attrs, b's', Field::Salt)?, Field::Salt)?;
        if salt.is_empty() {
            return Err(SaslError::EmptyField(Field::Salt));
        }
        let iterations = parse_decimal(expect(&mut attrs, b'i', Field::IterationCount)?)
            .ok_or(SaslError::Malformed(Field::IterationCount))?;
        if iterations < self.min_iterations || iterations > self.max_iterations {
            return Err(SaslError::IterationCount);
        }
        // Extensions after the iteration count are allowed and ignored, but
        // must still be attributes.
        for attr in attrs {
            attr?;
        }

        let mut cbind_input = self.gs2_header.clone();
        if let Some(data) = &self.cb_data {
            cbind_input.extend_from_slice(data);
        }
        let mut without_proof = b"c=".to_vec();
        without_proof.extend_from_slice(encode_base64(&cbind_input).as_bytes());
        without_proof.extend_from_slice(b",r=");
        without_proof.extend_from_slice(nonce);

        let keys = DerivedKeys::from_prepared(self.password.expose(), &salt, iterations);
        let auth_message: [&[u8]; 5] = [&self.first_bare, b",", server_first, b",", &without_proof];
        let mut client_signature = crypto::hmac_sha256(&keys.stored_key, &auth_message);
        let mut proof = crypto::xor(&keys.client_key, &client_signature);
        client_signature.zeroize();
        self.server_signature = Secret::new(crypto::hmac_sha256(&keys.server_key, &auth_message));

        let proof_b64 = encode_base64(&proof);
        proof.zeroize();
        let mut message = Vec::with_capacity(without_proof.len() + 3 + proof_b64.len());
        message.extend_from_slice(&without_proof);
        message.extend_from_slice(b",p=");
        message.extend_from_slice(proof_b64.as_bytes());
        self.state = State::SentFinal;
        Ok(Secret::new(message))
    }

    /// Reads `server-final-message = (server-error / verifier) ["," extensions]`
    /// (RFC 5802 §7) and checks `v=` against the expected signature.
    fn verify(&mut self, server_final: &[u8]) -> Result<(), SaslError> {
        let mut attrs = attributes(server_final);
        match attrs.next() {
            Some(Ok((b'e', value))) => {
                Err(SaslError::ServerError(ScramServerError::from_value(value)))
            }
            Some(Ok((b'v', value))) => {
                let signature = base64_attr(value, Field::Verifier)?;
                for attr in attrs {
                    attr?;
                }
                if crypto::constant_time_eq(&signature, self.server_signature.expose()) {
                    self.state = State::Complete;
                    Ok(())
                } else {
                    Err(SaslError::ServerSignatureMismatch)
                }
            }
            Some(Err(error)) => Err(error),
            _ => Err(SaslError::Malformed(Field::Verifier)),
        }
    }
}
