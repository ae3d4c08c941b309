//! Every server-side SASL mechanism driven by hostile responses: the first
//! byte picks the mechanism and how secret requests are answered, the rest
//! is split at 0xFF into the initial response and the later responses. The
//! machine must never panic, and after an error every call must fail.
#![no_main]

use libfuzzer_sys::fuzz_target;
use postwire_core::{Bytes, ChannelBinding};
use postwire_sasl::ScramCredentials;
use postwire_sasl::server::{ServerMechanism, ServerOptions, ServerStep, StoredSecret};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let mechanisms = ServerMechanism::SUPPORTED;
    let mechanism = mechanisms[usize::from(flags) % mechanisms.len()].clone();
    let mut binding = ChannelBinding::default();
    binding.tls_exporter = Some(Bytes::from_static(&[7; 32]));
    let mut options = ServerOptions::default()
        .with_plaintext_equivalent(true)
        .with_nonce("fuzz-nonce");
    if flags & 0x40 != 0 {
        options = options.with_channel_binding(binding);
    }
    let Ok(mut server) = ServerMechanism::with_options(mechanism, options) else {
        return;
    };
    let secret = || match flags >> 7 {
        0 => None,
        _ => Some(StoredSecret::Scram(
            ScramCredentials::from_keys(b"salt".to_vec(), 4096, [1; 32], [2; 32])
                .expect("valid keys"),
        )),
    };
    let mut parts = rest.split(|&b| b == 0xFF);
    let initial = parts.next().filter(|p| !p.is_empty());
    let mut result = server.start(initial);
    for part in parts {
        let failed = result.is_err();
        result = match result {
            Ok(ServerStep::NeedSecret(_)) => server.provide_secret(secret()),
            Ok(ServerStep::Done(_)) if flags & 0x20 != 0 => server.reject_token(part),
            _ => server.step(part),
        };
        assert!(
            !(failed && result.is_ok()),
            "a call after an error succeeded"
        );
    }
});
