//! CRAM-MD5 (RFC 2195), OAUTHBEARER (RFC 7628) and XOAUTH2 server side,
//! EXTERNAL (RFC 4422 Appendix A) and ANONYMOUS (RFC 4505): known answers
//! and client-against-server exchanges.

use postwire_sasl::client::{ClientMechanism, Credentials};
use postwire_sasl::server::{
    Authentication, Evidence, SecretKind, ServerMechanism, ServerOptions, ServerStep, StoredSecret,
};
use postwire_sasl::{Field, Mechanism, SaslError, ScramCredentials};

fn challenge(step: ServerStep) -> Vec<u8> {
    match step {
        ServerStep::Challenge(challenge) => challenge,
        other => panic!("expected a challenge, got {other:?}"),
    }
}

fn done(step: ServerStep) -> Authentication {
    match step {
        ServerStep::Done(authentication) => authentication,
        other => panic!("expected Done, got {other:?}"),
    }
}

// ---------------------------------------------------------------- CRAM-MD5

fn cram_server() -> ServerMechanism {
    let options = ServerOptions::default()
        .with_plaintext_equivalent(true)
        .with_hostname("postoffice.reston.mci.net")
        .with_nonce("1896.697170952");
    ServerMechanism::with_options(Mechanism::CramMd5, options).unwrap()
}

#[test]
fn cram_md5_rfc2195_2_example_client_against_server() {
    let mut server = cram_server();
    let first = challenge(server.start(None).unwrap());
    assert_eq!(first, b"<1896.697170952@postoffice.reston.mci.net>");
    let credentials = Credentials::password("tim", "tanstaaftanstaaf");
    let mut client = ClientMechanism::new(Mechanism::CramMd5, &credentials).unwrap();
    assert!(client.initial_response().is_none());
    let response = client.step(&first).unwrap();
    assert_eq!(response.expose(), b"tim b913a602c7eda7a495b4e6e7334d3890");
    assert!(client.is_complete());
    let ServerStep::NeedSecret(request) = server.step(response.expose()).unwrap() else {
        panic!("CRAM-MD5 needs the stored secret");
    };
    assert_eq!(request.username, "tim");
    assert_eq!(request.kind, SecretKind::Plaintext);
    let auth = done(
        server
            .provide_secret(Some(StoredSecret::Plaintext("tanstaaftanstaaf".into())))
            .unwrap(),
    );
    assert_eq!(auth.username, "tim");
    assert_eq!(auth.evidence, Evidence::Verified);
}

#[test]
fn cram_md5_wrong_password_and_unknown_user_fail_alike() {
    for secret in [Some(StoredSecret::Plaintext("tanstaaf".into())), None] {
        let mut server = cram_server();
        server.start(None).unwrap();
        server
            .step(b"tim b913a602c7eda7a495b4e6e7334d3890")
            .unwrap();
        assert_eq!(
            server.provide_secret(secret),
            Err(SaslError::AuthenticationFailed)
        );
        assert!(server.is_finished());
    }
    let mut server = cram_server();
    server.start(None).unwrap();
    server
        .step(b"tim b913a602c7eda7a495b4e6e7334d3890")
        .unwrap();
    let scram = ScramCredentials::derive("x", b"salt", 4096).unwrap();
    assert_eq!(
        server.provide_secret(Some(StoredSecret::Scram(scram))),
        Err(SaslError::CredentialsMismatch)
    );
}

#[test]
fn cram_md5_needs_opt_in_and_refuses_initial_response() {
    assert_eq!(
        ServerMechanism::new(Mechanism::CramMd5).unwrap_err(),
        SaslError::MechanismDisabled
    );
    let mut server = cram_server();
    assert_eq!(
        server.start(Some(b"tim")),
        Err(SaslError::UnexpectedInitialResponse)
    );
}

#[test]
fn cram_md5_random_challenges_differ() {
    let options = ServerOptions::default().with_plaintext_equivalent(true);
    let mut a = ServerMechanism::with_options(Mechanism::CramMd5, options.clone()).unwrap();
    let mut b = ServerMechanism::with_options(Mechanism::CramMd5, options).unwrap();
    let (a, b) = (
        challenge(a.start(None).unwrap()),
        challenge(b.start(None).unwrap()),
    );
    assert_ne!(a, b);
    assert!(a.starts_with(b"<") && a.ends_with(b"@localhost>"));
}

// ------------------------------------------------------------ OAUTHBEARER

fn bearer_parts(auth: &Authentication) -> (&str, Option<&str>, Option<u16>) {
    match &auth.evidence {
        Evidence::BearerToken { token, host, port } => (token.expose(), host.as_deref(), *port),
        other => panic!("expected a token, got {other:?}"),
    }
}

#[test]
fn oauthbearer_client_against_server_rfc7628_4_1() {
    let credentials = Credentials::oauth2_for_host(
        "user@example.com",
        "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==",
        "server.example.com",
        143,
    );
    let mut client = ClientMechanism::new(Mechanism::OAuthBearer, &credentials).unwrap();
    let mut server = ServerMechanism::new(Mechanism::OAuthBearer).unwrap();
    let ir = client.initial_response().unwrap();
    let auth = done(server.start(Some(ir.expose())).unwrap());
    assert_eq!(auth.username, "user@example.com");
    assert_eq!(
        bearer_parts(&auth),
        (
            "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==",
            Some("server.example.com"),
            Some(143)
        )
    );
    assert!(!auth.password_matches("vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg=="));
}

#[test]
fn oauthbearer_error_challenge_flow_rfc7628_3_2_2() {
    let credentials = Credentials::oauth2("user@example.com", "expired");
    let mut client = ClientMechanism::new(Mechanism::OAuthBearer, &credentials).unwrap();
    let mut server = ServerMechanism::new(Mechanism::OAuthBearer).unwrap();
    // Without an initial response: the empty challenge first.
    let empty = challenge(server.start(None).unwrap());
    assert_eq!(empty, b"");
    let auth = done(server.step(client.step(&empty).unwrap().expose()).unwrap());
    assert_eq!(bearer_parts(&auth).0, "expired");
    // The application finds the token invalid and says why.
    let json = br#"{"status":"invalid_token","scope":"example_scope"}"#;
    let error = challenge(server.reject_token(json).unwrap());
    assert_eq!(error, json);
    let dummy = client.step(&error).unwrap();
    assert_eq!(dummy.expose(), b"\x01");
    assert_eq!(client.error_details(), Some(&json[..]));
    assert_eq!(
        server.step(dummy.expose()),
        Err(SaslError::AuthenticationFailed)
    );
    assert!(server.is_finished());

    // Anything but the kvsep is malformed.
    let mut server = ServerMechanism::new(Mechanism::OAuthBearer).unwrap();
    server.start(Some(b"n,,\x01auth=Bearer t\x01\x01")).unwrap();
    server.reject_token(b"{}").unwrap();
    assert_eq!(
        server.step(b"\x01\x01"),
        Err(SaslError::Malformed(Field::Message))
    );
}

#[test]
fn xoauth2_client_against_server_with_error_flow() {
    let credentials = Credentials::oauth2("someuser@example.com", "ya29.token");
    let mut client = ClientMechanism::new(Mechanism::XOAuth2, &credentials).unwrap();
    let mut server = ServerMechanism::new(Mechanism::XOAuth2).unwrap();
    let auth = done(
        server
            .start(Some(client.initial_response().unwrap().expose()))
            .unwrap(),
    );
    assert_eq!(auth.username, "someuser@example.com");
    assert_eq!(bearer_parts(&auth), ("ya29.token", None, None));
    let error = challenge(server.reject_token(br#"{"status":"401"}"#).unwrap());
    let dummy = client.step(&error).unwrap();
    assert_eq!(dummy.expose(), b"");
    assert_eq!(
        server.step(dummy.expose()),
        Err(SaslError::AuthenticationFailed)
    );
}

// ------------------------------------------------------- EXTERNAL, ANONYMOUS

#[test]
fn external_client_against_server_rfc4422_a() {
    for (credentials, authzid) in [
        (Credentials::external(), None),
        (Credentials::external_as("admin"), Some("admin")),
    ] {
        let mut client = ClientMechanism::new(Mechanism::External, &credentials).unwrap();
        let mut server = ServerMechanism::new(Mechanism::External).unwrap();
        let ir = client.initial_response().unwrap();
        // SMTP sends an empty initial response as "=", i.e. Some(b"").
        let auth = done(server.start(Some(ir.expose())).unwrap());
        assert_eq!(auth.authzid.as_deref(), authzid);
        assert_eq!(auth.evidence, Evidence::External);
        assert!(client.is_complete());
    }
    // Without an initial response: empty challenge, then the message.
    let mut client = ClientMechanism::new(Mechanism::External, &Credentials::external()).unwrap();
    let mut server = ServerMechanism::new(Mechanism::External).unwrap();
    let empty = challenge(server.start(None).unwrap());
    let auth = done(server.step(client.step(&empty).unwrap().expose()).unwrap());
    assert_eq!(auth.authzid, None);
}

#[test]
fn anonymous_client_against_server_rfc4505_3() {
    let credentials = Credentials::anonymous(Some("sirhc".into()));
    let mut client = ClientMechanism::new(Mechanism::Anonymous, &credentials).unwrap();
    let mut server = ServerMechanism::new(Mechanism::Anonymous).unwrap();
    let auth = done(
        server
            .start(Some(client.initial_response().unwrap().expose()))
            .unwrap(),
    );
    assert_eq!(
        auth.evidence,
        Evidence::Anonymous {
            trace: Some("sirhc".into())
        }
    );
    assert_eq!(auth.username, "");
    assert!(!auth.password_matches(""));
}

// ----------------------------------------------- every mechanism, both sides

#[test]
fn every_supported_mechanism_runs_client_against_server() {
    let mut binding = postwire_core::ChannelBinding::default();
    binding.tls_exporter = Some(postwire_core::Bytes::from_static(&[3; 32]));
    let options = ServerOptions::default()
        .with_plaintext_equivalent(true)
        .with_channel_binding(binding.clone());
    let scram = ScramCredentials::derive("pencil", b"salt", 4096).unwrap();
    for mechanism in ServerMechanism::SUPPORTED {
        let credentials = match mechanism {
            Mechanism::XOAuth2 | Mechanism::OAuthBearer => Credentials::oauth2("user", "tok"),
            Mechanism::External => Credentials::external(),
            Mechanism::Anonymous => Credentials::anonymous(None),
            _ => Credentials::password("user", "pencil"),
        };
        let client_options =
            postwire_sasl::client::ClientOptions::default().with_channel_binding(binding.clone());
        let mut client =
            ClientMechanism::with_options(mechanism.clone(), &credentials, &client_options)
                .unwrap();
        let mut server_options = options.clone();
        if *mechanism == Mechanism::ScramSha256 {
            // A server that offers binding refuses the client's "y" as a
            // downgrade (tests/scram.rs); this one does not offer -PLUS.
            server_options.channel_binding = Default::default();
        }
        let mut server = ServerMechanism::with_options(mechanism.clone(), server_options).unwrap();
        let initial = client.initial_response();
        let mut next = server
            .start(initial.as_ref().map(|r| r.expose().as_slice()))
            .unwrap();
        let auth = loop {
            next = match next {
                ServerStep::Challenge(c) => server.step(client.step(&c).unwrap().expose()).unwrap(),
                ServerStep::NeedSecret(request) => {
                    let secret = match request.kind {
                        SecretKind::Scram => StoredSecret::Scram(scram.clone()),
                        _ => StoredSecret::Plaintext("pencil".into()),
                    };
                    server.provide_secret(Some(secret)).unwrap()
                }
                ServerStep::Done(auth) => break auth,
            };
        };
        assert!(client.is_complete(), "{mechanism}");
        match &auth.evidence {
            Evidence::Password(_) => assert!(auth.password_matches("pencil"), "{mechanism}"),
            Evidence::Verified => assert_eq!(auth.username, "user", "{mechanism}"),
            Evidence::BearerToken { token, .. } => assert_eq!(token.expose(), "tok"),
            Evidence::External | Evidence::Anonymous { .. } => {}
            other => panic!("{other:?}"),
        }
    }
}
