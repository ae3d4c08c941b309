//! Properties over arbitrary input.

use postwire_core::{Bytes, ChannelBinding};
use postwire_sasl::client::{ClientMechanism, ClientOptions, Credentials};
use postwire_sasl::server::{ServerMechanism, ServerOptions, ServerStep, StoredSecret};
use postwire_sasl::{Mechanism, SaslError, ScramCredentials, decode_base64, encode_base64};
use proptest::prelude::*;

/// A PLAIN field: UTF-8 without NUL, at most 255 octets (RFC 4616 §2).
fn field(min: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>().prop_filter("no NUL", |c| *c != '\0'), min..64)
        .prop_map(|chars| chars.into_iter().collect::<String>())
        .prop_filter("at most 255 octets", |s| s.len() <= 255)
}

proptest! {
    #[test]
    fn base64_round_trips_rfc4648_4(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        let encoded = encode_base64(&data);
        prop_assert!(encoded.len().is_multiple_of(4));
        prop_assert_eq!(decode_base64(encoded.as_bytes()).unwrap(), data);
    }

    #[test]
    fn base64_rejects_any_byte_outside_the_alphabet(
        data in proptest::collection::vec(any::<u8>(), 1..64),
        position in any::<prop::sample::Index>(),
        bad in any::<u8>().prop_filter("not base64", |b| {
            !(b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/' || *b == b'=')
        }),
    ) {
        let mut encoded = encode_base64(&data).into_bytes();
        let i = position.index(encoded.len());
        encoded[i] = bad;
        prop_assert_eq!(decode_base64(&encoded), Err(SaslError::InvalidBase64));
    }

    #[test]
    fn base64_decode_never_panics(input in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode_base64(&input);
    }

    #[test]
    fn plain_client_output_parses_back_on_the_server_rfc4616_2(
        authzid in proptest::option::of(field(0)),
        username in field(1),
        password in field(1),
        with_initial_response in any::<bool>(),
    ) {
        let credentials = Credentials::Password {
            authzid: authzid.clone(),
            username: username.clone(),
            password: password.clone().into(),
        };
        let mut client = ClientMechanism::new(Mechanism::Plain, &credentials).unwrap();
        let mut server = ServerMechanism::new(Mechanism::Plain).unwrap();
        let step = if with_initial_response {
            let ir = client.initial_response().unwrap();
            // Through the wire encoding as well.
            let wire = decode_base64(encode_base64(ir.expose()).as_bytes()).unwrap();
            server.start(Some(&wire)).unwrap()
        } else {
            match server.start(None).unwrap() {
                ServerStep::Challenge(challenge) => {
                    let response = client.step(&challenge).unwrap();
                    server.step(response.expose()).unwrap()
                }
                done => done,
            }
        };
        let ServerStep::Done(auth) = step else {
            return Err(TestCaseError::fail("PLAIN must finish after the message"));
        };
        prop_assert_eq!(&auth.authzid, &authzid.filter(|a| !a.is_empty()));
        prop_assert_eq!(&auth.username, &username);
        prop_assert!(auth.password_matches(&password));
        prop_assert!(client.is_complete());
    }

    #[test]
    fn login_client_output_parses_back_on_the_server(
        username in field(1),
        password in field(1),
    ) {
        let credentials = Credentials::password(username.clone(), password.clone());
        let mut client = ClientMechanism::new(Mechanism::Login, &credentials).unwrap();
        let mut server = ServerMechanism::new(Mechanism::Login).unwrap();
        let mut step = server.start(None).unwrap();
        let auth = loop {
            match step {
                ServerStep::Challenge(challenge) => {
                    let response = client.step(&challenge).unwrap();
                    step = server.step(response.expose()).unwrap();
                }
                ServerStep::Done(auth) => break auth,
                ServerStep::NeedSecret(_) => {
                    return Err(TestCaseError::fail("LOGIN needs no stored secret"));
                }
            }
        };
        prop_assert_eq!(&auth.username, &username);
        prop_assert_eq!(auth.password().unwrap().expose(), &password);
    }

    #[test]
    fn plain_and_login_results_respect_the_limits(
        mechanism in prop_oneof![Just(Mechanism::Plain), Just(Mechanism::Login)],
        initial in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..300)),
        responses in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..4),
    ) {
        let mut server = ServerMechanism::new(mechanism).unwrap();
        let mut result = server.start(initial.as_deref());
        for response in &responses {
            result = server.step(response);
        }
        if let Ok(ServerStep::Done(auth)) = result {
            prop_assert!(!auth.username.is_empty());
            prop_assert!(!auth.password().unwrap().expose().is_empty());
            prop_assert!(auth.username.len() <= 255);
        }
    }

    /// Random bytes into every step of every server mechanism, after a
    /// valid prefix of `valid_steps` genuine client messages: never a panic,
    /// and after an error every call is an error.
    #[test]
    fn every_server_step_survives_random_bytes(
        mechanism in proptest::sample::select(ServerMechanism::SUPPORTED),
        valid_steps in 0usize..4,
        initial in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..200)),
        garbage in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 1..4),
        secret_choice in 0u8..3,
    ) {
        let mut binding = ChannelBinding::default();
        binding.tls_exporter = Some(Bytes::from_static(&[9; 32]));
        let options = ServerOptions::default()
            .with_plaintext_equivalent(true)
            .with_channel_binding(binding.clone());
        let mut server = ServerMechanism::with_options(mechanism.clone(), options).unwrap();
        let credentials = match mechanism {
            Mechanism::XOAuth2 | Mechanism::OAuthBearer => Credentials::oauth2("user", "tok"),
            Mechanism::External => Credentials::external(),
            Mechanism::Anonymous => Credentials::anonymous(None),
            _ => Credentials::password("user", "pencil"),
        };
        let client_options = ClientOptions::default().with_channel_binding(binding);
        let mut client =
            ClientMechanism::with_options(mechanism.clone(), &credentials, &client_options).unwrap();
        let secret = |choice: u8| match choice {
            0 => None,
            1 => Some(StoredSecret::Scram(
                ScramCredentials::from_keys(b"salt".to_vec(), 4096, [1; 32], [2; 32]).unwrap(),
            )),
            _ => Some(StoredSecret::Plaintext("pencil".into())),
        };
        // The genuine prefix.
        let mut result = if valid_steps == 0 {
            server.start(initial.as_deref())
        } else {
            let ir = client.initial_response();
            server.start(ir.as_ref().map(|r| r.expose().as_slice()))
        };
        for _ in 1..valid_steps {
            let next = match &result {
                Ok(ServerStep::Challenge(c)) => match client.step(c) {
                    Ok(response) => server.step(response.expose()),
                    Err(_) => break,
                },
                Ok(ServerStep::NeedSecret(_)) => server.provide_secret(secret(secret_choice)),
                _ => break,
            };
            result = next;
        }
        // Then garbage, answering secret requests as they come.
        for bytes in &garbage {
            let failed = result.is_err();
            result = match result {
                Ok(ServerStep::NeedSecret(_)) => server.provide_secret(secret(secret_choice)),
                _ => server.step(bytes),
            };
            if failed {
                prop_assert!(result.is_err(), "a call after an error succeeded");
            }
        }
        let _ = server.is_finished();
    }

    #[test]
    fn client_never_panics_on_arbitrary_challenges(
        mechanism in proptest::sample::select(ServerMechanism::SUPPORTED),
        send_initial in any::<bool>(),
        challenges in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..5),
    ) {
        let credentials = match mechanism {
            Mechanism::XOAuth2 | Mechanism::OAuthBearer => Credentials::oauth2("u", "t"),
            Mechanism::External => Credentials::external(),
            Mechanism::Anonymous => Credentials::anonymous(None),
            _ => Credentials::password("u", "p"),
        };
        let mut binding = ChannelBinding::default();
        binding.tls_server_end_point = Some(Bytes::from_static(&[1; 32]));
        let options = ClientOptions::default().with_channel_binding(binding);
        let mut client = ClientMechanism::with_options(mechanism, &credentials, &options).unwrap();
        if send_initial {
            let _ = client.initial_response();
        }
        for challenge in &challenges {
            let _ = client.step(challenge);
        }
    }
}
