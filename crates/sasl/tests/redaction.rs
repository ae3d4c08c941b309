//! `Debug` of everything that may carry a credential prints no secret
//! (SECURITY.md A4), with `{:?}` and `{:#?}`.

use postwire_sasl::client::{ClientMechanism, Credentials};
use postwire_sasl::server::{ServerMechanism, ServerStep};
use postwire_sasl::{Mechanism, decode_base64, encode_base64};

const PASSWORD: &str = "pw-hunter2-xyzzy";
const TOKEN: &str = "ya29.tok-SECRET-4711";

/// Fails if `value`'s Debug output, plain or pretty, contains any of the
/// secrets or their base64 forms.
fn assert_redacted(value: &dyn std::fmt::Debug) {
    for text in [format!("{value:?}"), format!("{value:#?}")] {
        for secret in [PASSWORD, TOKEN] {
            assert!(!text.contains(secret), "secret in {text}");
            // Also no byte-list rendering of the secret.
            let bytes = format!("{:?}", secret.as_bytes());
            let bytes = &bytes[1..bytes.len() - 1];
            assert!(!text.contains(bytes), "secret bytes in {text}");
        }
        for fragment in [
            "hunter2",
            "SECRET-4711",
            &encode_base64(PASSWORD.as_bytes()),
        ] {
            assert!(!text.contains(fragment), "secret in {text}");
        }
    }
}

fn password_credentials() -> Credentials {
    Credentials::Password {
        authzid: Some("admin".into()),
        username: "tim".into(),
        password: PASSWORD.into(),
    }
}

fn oauth_credentials() -> Credentials {
    Credentials::OAuth2 {
        username: "tim@example.com".into(),
        token: TOKEN.into(),
        host: Some("imap.example.com".into()),
        port: Some(993),
    }
}

#[test]
fn credentials_debug_shows_no_secret() {
    assert_redacted(&password_credentials());
    assert_redacted(&oauth_credentials());
    // The identities stay visible, so the redaction is targeted.
    assert!(format!("{:?}", password_credentials()).contains("tim"));
}

#[test]
fn client_mechanism_debug_shows_no_secret_in_any_state() {
    let password = Credentials::password("tim", PASSWORD);
    for (mechanism, credentials) in [
        (Mechanism::Plain, &password),
        (Mechanism::Login, &password),
        (Mechanism::XOAuth2, &oauth_credentials()),
        (Mechanism::OAuthBearer, &oauth_credentials()),
    ] {
        let mut client = ClientMechanism::new(mechanism, credentials).unwrap();
        assert_redacted(&client);
        if let Some(ir) = client.initial_response() {
            assert_redacted(&ir);
        }
        assert_redacted(&client);
        while let Ok(response) = client.step(b"challenge") {
            assert_redacted(&response);
            assert_redacted(&client);
        }
        assert_redacted(&client);
    }
}

#[test]
fn server_side_debug_shows_no_secret() {
    let message = format!("admin\0tim\0{PASSWORD}");
    let mut server = ServerMechanism::new(Mechanism::Plain).unwrap();
    let step = server.start(Some(message.as_bytes())).unwrap();
    assert_redacted(&step);
    assert_redacted(&server);
    match step {
        ServerStep::Done(authentication) => {
            assert_redacted(&authentication);
            assert!(authentication.password_matches(PASSWORD));
        }
        other => panic!("PLAIN with an initial response is one step: {other:?}"),
    }

    let mut server = ServerMechanism::new(Mechanism::Login).unwrap();
    server.start(None).unwrap();
    server.step(b"tim").unwrap();
    assert_redacted(&server);
    let step = server.step(PASSWORD.as_bytes()).unwrap();
    assert_redacted(&step);
    assert_redacted(&server);
}

#[test]
fn errors_carry_no_input() {
    let mut server = ServerMechanism::new(Mechanism::Plain).unwrap();
    let bad = format!("\0tim\0{PASSWORD}\0");
    let error = server.start(Some(bad.as_bytes())).unwrap_err();
    assert_redacted(&error);
    assert!(!error.to_string().contains(PASSWORD));
    let error = decode_base64(format!("{PASSWORD}!").as_bytes()).unwrap_err();
    assert_redacted(&error);
}

#[test]
fn scram_and_cram_debug_shows_no_secret_in_any_state() {
    use postwire_sasl::ScramCredentials;
    use postwire_sasl::server::{ServerOptions, StoredSecret};

    let stored = ScramCredentials::derive(PASSWORD, b"salt", 4096).unwrap();
    let keys = [
        encode_base64(stored.stored_key()),
        encode_base64(stored.server_key()),
        format!("{:?}", stored.stored_key()),
    ];
    let no_keys = |value: &dyn std::fmt::Debug| {
        assert_redacted(value);
        let text = format!("{value:?}");
        for key in &keys {
            assert!(
                !text.contains(key.trim_matches(['[', ']'])),
                "key in {text}"
            );
        }
    };
    no_keys(&stored);
    no_keys(&StoredSecret::Scram(stored.clone()));
    no_keys(&StoredSecret::Plaintext(PASSWORD.into()));

    let credentials = Credentials::password("tim", PASSWORD);
    let mut client = ClientMechanism::new(Mechanism::ScramSha256, &credentials).unwrap();
    let mut server = ServerMechanism::new(Mechanism::ScramSha256).unwrap();
    let first = client.initial_response().unwrap();
    let mut next = server.start(Some(first.expose())).unwrap();
    loop {
        no_keys(&client);
        no_keys(&server);
        no_keys(&next);
        next = match next {
            ServerStep::NeedSecret(_) => server
                .provide_secret(Some(StoredSecret::Scram(stored.clone())))
                .unwrap(),
            ServerStep::Challenge(c) => server.step(client.step(&c).unwrap().expose()).unwrap(),
            ServerStep::Done(_) => break,
        };
    }

    let options = ServerOptions::default().with_plaintext_equivalent(true);
    let mut server = ServerMechanism::with_options(Mechanism::CramMd5, options).unwrap();
    let mut client = ClientMechanism::new(Mechanism::CramMd5, &credentials).unwrap();
    let ServerStep::Challenge(challenge) = server.start(None).unwrap() else {
        panic!("challenge first");
    };
    let response = client.step(&challenge).unwrap();
    no_keys(&client);
    no_keys(&response);
    server.step(response.expose()).unwrap();
    no_keys(&server);
}
