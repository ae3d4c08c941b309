//! The server side of an AUTH exchange (RFC 4954 §4), over the SASL
//! mechanisms of `postwire-sasl`.

use postwire_sasl::Mechanism;
use postwire_sasl::server::{Authentication, ServerMechanism, ServerStep};

/// One step of an exchange.
pub(super) enum Step {
    /// Send `334` with this challenge (base64-encoded on the wire).
    Challenge(Vec<u8>),
    /// The client's credentials, for the application to check.
    Done(Mechanism, Authentication),
    /// The client's messages were malformed (answered `535 5.7.8`).
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
    /// Starts `mechanism` with the optional initial response of the AUTH
    /// line. `None` when this side does not implement the mechanism.
    pub(super) fn start(mechanism: Mechanism, initial: Option<&[u8]>) -> Option<(Self, Step)> {
        let mut inner = ServerMechanism::new(mechanism.clone()).ok()?;
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

    fn convert(&mut self, step: Result<ServerStep, postwire_sasl::SaslError>) -> Step {
        match step {
            Ok(ServerStep::Challenge(challenge)) => Step::Challenge(challenge),
            Ok(ServerStep::Done(auth)) => Step::Done(self.mechanism.clone(), auth),
            Err(_) => Step::Failed,
        }
    }
}
