//! The server side of an AUTH exchange (RFC 4954 §4), over the SASL
//! mechanisms of `postwire-sasl`.

use postwire_sasl::Mechanism;
use postwire_sasl::server::{
    Authentication, SecretRequest, ServerMechanism, ServerOptions, ServerStep, StoredSecret,
};

/// One step of an exchange.
pub(super) enum Step {
    /// Send `334` with this challenge (base64-encoded on the wire).
    Challenge(Vec<u8>),
    /// The mechanism needs the user's stored secret from the application.
    NeedSecret(SecretRequest),
    /// The client's credentials, for the application to check.
    Done(Mechanism, Authentication),
    /// The client's messages were malformed or its proof was wrong
    /// (answered `535 5.7.8`).
    Failed,
}

/// A running exchange.
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
    /// Starts `mechanism` with `options` and the optional initial response
    /// of the AUTH line. `None` when this side cannot run the mechanism.
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

    /// The mechanism.
    pub(super) fn mechanism(&self) -> &Mechanism {
        &self.mechanism
    }

    /// Feeds the client's decoded response.
    pub(super) fn step(&mut self, response: &[u8]) -> Step {
        let step = self.inner.step(response);
        self.convert(step)
    }

    /// Feeds the application's answer to [`Step::NeedSecret`].
    pub(super) fn provide_secret(&mut self, secret: Option<StoredSecret>) -> Step {
        let step = self.inner.provide_secret(secret);
        self.convert(step)
    }

    /// Turns a rejected bearer token into the RFC 7628 §3.2.2 error
    /// challenge; `None` when the mechanism has no such step.
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
