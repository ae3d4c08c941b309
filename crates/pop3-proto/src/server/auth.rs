//! The server side of an AUTH exchange (RFC 5034 §4), over the SASL
//! mechanisms of `postwire-sasl`.

use postwire_sasl::Mechanism;
use postwire_sasl::server::{
    Authentication, SecretRequest, ServerMechanism, ServerOptions, ServerStep, StoredSecret,
};

/// One step of an exchange.
pub(super) enum Step {
    /// Send `+ <base64>` with this challenge.
    Challenge(Vec<u8>),
    /// The mechanism needs the user's stored secret (SCRAM, CRAM-MD5).
    NeedSecret(SecretRequest),
    /// The client's credentials, for the application to check.
    Done(Mechanism, Authentication),
    /// The exchange failed: malformed messages, a wrong proof, an unknown
    /// user (a failed authentication).
    Failed,
}

/// A running exchange. `Debug` names the mechanism only.
pub(super) struct Exchange {
    mechanism: Mechanism,
    inner: ServerMechanism,
}

impl std::fmt::Debug for Exchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exchange")
            .field("mechanism", &self.mechanism)
            .finish_non_exhaustive()
    }
}

impl Exchange {
    /// Starts `mechanism` with the optional initial response of the AUTH
    /// line. `None` when this side cannot run the mechanism with these
    /// options.
    pub(super) fn start(
        mechanism: Mechanism,
        options: ServerOptions,
        initial: Option<&[u8]>,
    ) -> Option<(Self, Step)> {
        let mut inner = ServerMechanism::with_options(mechanism.clone(), options).ok()?;
        let step = inner.start(initial);
        let mut exchange = Self { mechanism, inner };
        let step = exchange.convert(step);
        Some((exchange, step))
    }

    /// Feeds the client's decoded response.
    pub(super) fn step(&mut self, response: &[u8]) -> Step {
        let step = self.inner.step(response);
        self.convert(step)
    }

    /// Answers a [`Step::NeedSecret`].
    pub(super) fn provide_secret(&mut self, secret: Option<StoredSecret>) -> Step {
        let step = self.inner.provide_secret(secret);
        self.convert(step)
    }

    /// Reports a rejected bearer token to the client (RFC 7628 §3.2.2);
    /// `None` when the mechanism has no such challenge.
    pub(super) fn reject_token(&mut self, error_json: &[u8]) -> Option<Vec<u8>> {
        match self.inner.reject_token(error_json) {
            Ok(ServerStep::Challenge(challenge)) => Some(challenge),
            _ => None,
        }
    }

    fn convert(&mut self, step: Result<ServerStep, postwire_sasl::SaslError>) -> Step {
        match step {
            Ok(ServerStep::Challenge(challenge)) => Step::Challenge(challenge),
            Ok(ServerStep::NeedSecret(request)) => Step::NeedSecret(request),
            Ok(ServerStep::Done(auth)) => Step::Done(self.mechanism.clone(), auth),
            Err(_) => Step::Failed,
        }
    }
}

/// Whether this side implements `mechanism`.
pub(super) fn supported(mechanism: &Mechanism) -> bool {
    ServerMechanism::SUPPORTED.contains(mechanism)
}
