//! Properties over arbitrary input.

use postwire_sasl::client::{ClientMechanism, Credentials};
use postwire_sasl::server::{ServerMechanism, ServerStep};
use postwire_sasl::{Mechanism, SaslError, decode_base64, encode_base64};
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
        prop_assert!(encoded.len() % 4 == 0);
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
            }
        };
        prop_assert_eq!(auth.username, username);
        prop_assert_eq!(auth.password.expose(), &password);
    }

    #[test]
    fn server_never_panics_on_arbitrary_responses(
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
            prop_assert!(!auth.password.expose().is_empty());
            prop_assert!(auth.username.len() <= 255);
        }
    }

    #[test]
    fn client_never_panics_on_arbitrary_challenges(
        mechanism in prop_oneof![
            Just(Mechanism::Plain),
            Just(Mechanism::Login),
            Just(Mechanism::XOAuth2),
            Just(Mechanism::OAuthBearer),
        ],
        send_initial in any::<bool>(),
        challenges in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..5),
    ) {
        let credentials = match mechanism {
            Mechanism::Plain | Mechanism::Login => Credentials::password("u", "p"),
            _ => Credentials::oauth2("u", "t"),
        };
        let mut client = ClientMechanism::new(mechanism, &credentials).unwrap();
        if send_initial {
            let _ = client.initial_response();
        }
        for challenge in &challenges {
            let _ = client.step(challenge);
        }
    }
}
