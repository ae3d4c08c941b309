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
            assert_eq!(authentication.password.expose(), PASSWORD);
        }
        ServerStep::Challenge(_) => panic!("PLAIN with an initial response is one step"),
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
