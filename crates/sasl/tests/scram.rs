//! SCRAM-SHA-256 and SCRAM-SHA-256-PLUS (RFC 5802, RFC 7677): the RFC 7677
//! §3 exchange byte for byte, client against server with both channel
//! bindings, the downgrade check, and failures.

use postwire_core::{Bytes, ChannelBinding};
use postwire_sasl::client::{ClientMechanism, ClientOptions, Credentials};
use postwire_sasl::server::{
    Authentication, SecretKind, ServerMechanism, ServerOptions, ServerStep, StoredSecret,
};
use postwire_sasl::{
    ChannelBindingType, Field, Mechanism, SaslError, ScramCredentials, ScramServerError,
    decode_base64,
};

// RFC 7677 §3.
const CLIENT_NONCE: &str = "rOprNGfwEbeRWgbNEkqO";
const SERVER_NONCE: &str = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
const SALT_B64: &[u8] = b"W22ZaJ0SNY7soEsUEjb6gQ==";
const CLIENT_FIRST: &[u8] = b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
const SERVER_FIRST: &[u8] =
    b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
const CLIENT_FINAL: &[u8] = b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
const SERVER_FINAL: &[u8] = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

fn rfc_credentials() -> ScramCredentials {
    let salt = decode_base64(SALT_B64).unwrap();
    ScramCredentials::derive("pencil", &salt, 4096).unwrap()
}

fn challenge(step: ServerStep) -> Vec<u8> {
    match step {
        ServerStep::Challenge(challenge) => challenge,
        other => panic!("expected a challenge, got {other:?}"),
    }
}

fn exporter(data: &'static [u8]) -> ChannelBinding {
    let mut binding = ChannelBinding::default();
    binding.tls_exporter = Some(Bytes::from_static(data));
    binding
}

fn end_point(data: &'static [u8]) -> ChannelBinding {
    let mut binding = ChannelBinding::default();
    binding.tls_server_end_point = Some(Bytes::from_static(data));
    binding
}

fn both() -> ChannelBinding {
    let mut binding = exporter(&[0x42; 32]);
    binding.tls_server_end_point = Some(Bytes::from_static(&[0x17; 32]));
    binding
}

/// Runs a whole exchange; the user store knows `user` with `stored`.
fn run(
    client: &mut ClientMechanism,
    server: &mut ServerMechanism,
    stored: &ScramCredentials,
    send_initial: bool,
) -> Result<Authentication, SaslError> {
    let initial = if send_initial {
        client.initial_response()
    } else {
        None
    };
    let mut next = server.start(initial.as_ref().map(|r| r.expose().as_slice()))?;
    for _ in 0..10 {
        next = match next {
            ServerStep::NeedSecret(request) => {
                assert_eq!(request.kind, SecretKind::Scram);
                let secret =
                    (request.username == "user").then(|| StoredSecret::Scram(stored.clone()));
                server.provide_secret(secret)?
            }
            ServerStep::Challenge(challenge) => server.step(client.step(&challenge)?.expose())?,
            ServerStep::Done(authentication) => return Ok(authentication),
        };
    }
    panic!("exchange did not end");
}

#[test]
fn rfc7677_3_exchange_client_side_byte_for_byte() {
    let credentials = Credentials::password("user", "pencil");
    let options = ClientOptions::default().with_nonce(CLIENT_NONCE);
    let mut client =
        ClientMechanism::with_options(Mechanism::ScramSha256, &credentials, &options).unwrap();
    assert_eq!(client.initial_response().unwrap().expose(), CLIENT_FIRST);
    assert_eq!(client.step(SERVER_FIRST).unwrap().expose(), CLIENT_FINAL);
    assert!(!client.is_complete(), "not before the server's signature");
    assert_eq!(client.step(SERVER_FINAL).unwrap().expose(), b"");
    assert!(client.is_complete());
}

#[test]
fn rfc7677_3_exchange_server_side_byte_for_byte() {
    let options = ServerOptions::default().with_nonce(SERVER_NONCE);
    let mut server = ServerMechanism::with_options(Mechanism::ScramSha256, options).unwrap();
    let ServerStep::NeedSecret(request) = server.start(Some(CLIENT_FIRST)).unwrap() else {
        panic!("SCRAM asks for the stored keys first");
    };
    assert_eq!(request.username, "user");
    assert_eq!(request.authzid, None);
    assert!(server.needs_secret());
    let first = challenge(
        server
            .provide_secret(Some(StoredSecret::Scram(rfc_credentials())))
            .unwrap(),
    );
    assert_eq!(first, SERVER_FIRST);
    assert_eq!(challenge(server.step(CLIENT_FINAL).unwrap()), SERVER_FINAL);
    // RFC 4954 §4 / RFC 5034 §4: the client answers the last challenge
    // with an empty response, then the outcome.
    let ServerStep::Done(authentication) = server.step(b"").unwrap() else {
        panic!("done after the empty response");
    };
    assert_eq!(authentication.username, "user");
    assert!(authentication.is_verified());
    assert!(
        !authentication.password_matches("pencil"),
        "no password seen"
    );
    assert!(server.is_finished());
}

#[test]
fn rfc7677_3_stored_keys_in_rfc5803_form() {
    // The keys the RFC 7677 §3 exchange implies, as PostgreSQL stores them.
    assert_eq!(
        rfc_credentials().to_rfc5803(),
        "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU="
    );
}

#[test]
fn scram_client_against_server_with_and_without_initial_response() {
    let stored = ScramCredentials::derive("pencil", b"salt-salt-salt", 4096).unwrap();
    for send_initial in [true, false] {
        let credentials = Credentials::password("user", "pencil");
        let mut client = ClientMechanism::new(Mechanism::ScramSha256, &credentials).unwrap();
        let mut server = ServerMechanism::new(Mechanism::ScramSha256).unwrap();
        let auth = run(&mut client, &mut server, &stored, send_initial).unwrap();
        assert_eq!(auth.username, "user");
        assert_eq!(auth.authzid, None);
        assert!(auth.is_verified());
        assert!(client.is_complete());
    }
}

#[test]
fn scram_carries_escaped_authzid_and_username_rfc5802_5_1() {
    let stored = ScramCredentials::derive("pencil", b"salt", 4096).unwrap();
    let credentials = Credentials::password_as("ad,m=in", "user", "pencil");
    let options = ClientOptions::default().with_nonce("abc");
    let mut client =
        ClientMechanism::with_options(Mechanism::ScramSha256, &credentials, &options).unwrap();
    let first = client.initial_response().unwrap();
    assert_eq!(first.expose(), b"n,a=ad=2Cm=3Din,n=user,r=abc");
    let mut server = ServerMechanism::new(Mechanism::ScramSha256).unwrap();
    let ServerStep::NeedSecret(request) = server.start(Some(first.expose())).unwrap() else {
        panic!("secret first");
    };
    assert_eq!(request.authzid.as_deref(), Some("ad,m=in"));
    let mut next = server
        .provide_secret(Some(StoredSecret::Scram(stored)))
        .unwrap();
    let auth = loop {
        next = match next {
            ServerStep::Challenge(c) => server.step(client.step(&c).unwrap().expose()).unwrap(),
            ServerStep::Done(auth) => break auth,
            ServerStep::NeedSecret(_) => panic!("asked twice"),
        };
    };
    assert_eq!(auth.authzid.as_deref(), Some("ad,m=in"));
    assert_eq!(auth.username, "user");
}

#[test]
fn passwords_in_any_script_are_prepared_alike_on_both_sides_rfc4013() {
    // U+00A0 is mapped to a space and "ª" to "a" on both sides; fullwidth
    // letters to ASCII (NFKC).
    for (stored, typed) in [
        ("pässwörd ª", "pässwörd\u{00A0}ª"),
        ("пароль", "пароль"),
        ("pass密码", "ｐａｓｓ密码"),
    ] {
        let stored = ScramCredentials::derive(stored, b"salt", 4096).unwrap();
        let credentials = Credentials::password("user", typed);
        let mut client = ClientMechanism::new(Mechanism::ScramSha256, &credentials).unwrap();
        let mut server = ServerMechanism::new(Mechanism::ScramSha256).unwrap();
        assert!(
            run(&mut client, &mut server, &stored, true).is_ok(),
            "{typed}"
        );
    }
    // Right-to-left text mixed with a digit at the end (RFC 4013 §2.4).
    assert_eq!(
        ClientMechanism::new(
            Mechanism::ScramSha256,
            &Credentials::password("u", "\u{0627}\u{0031}")
        )
        .unwrap_err(),
        SaslError::UnsupportedCharacter(Field::Password)
    );
    assert_eq!(
        ScramCredentials::derive("\u{0627}\u{0031}", b"salt", 4096).unwrap_err(),
        SaslError::UnsupportedCharacter(Field::Password)
    );
}

#[test]
fn scram_plus_with_tls_exporter_rfc9266() {
    let stored = ScramCredentials::derive("pencil", b"salt", 4096).unwrap();
    let credentials = Credentials::password("user", "pencil");
    let options = ClientOptions::default()
        .with_channel_binding(both())
        .with_nonce("cnonce");
    let mut client =
        ClientMechanism::with_options(Mechanism::ScramSha256Plus, &credentials, &options).unwrap();
    let first = client.initial_response().unwrap();
    // tls-exporter is preferred when both are available.
    assert!(first.expose().starts_with(b"p=tls-exporter,,n=user,"));
    let mut server = ServerMechanism::with_options(
        Mechanism::ScramSha256Plus,
        ServerOptions::default().with_channel_binding(both()),
    )
    .unwrap();
    server.start(Some(first.expose())).unwrap();
    let server_first = challenge(
        server
            .provide_secret(Some(StoredSecret::Scram(stored)))
            .unwrap(),
    );
    let client_final = client.step(&server_first).unwrap();
    // c= is base64(gs2-header + binding data), RFC 5802 §6.
    let c = client_final.expose().split(|&b| b == b',').next().unwrap();
    let mut expected = b"p=tls-exporter,,".to_vec();
    expected.extend_from_slice(&[0x42; 32]);
    assert_eq!(decode_base64(&c[2..]).unwrap(), expected);
    let server_final = challenge(server.step(client_final.expose()).unwrap());
    assert_eq!(client.step(&server_final).unwrap().expose(), b"");
    assert!(matches!(server.step(b""), Ok(ServerStep::Done(a)) if a.is_verified()));
    assert!(client.is_complete());
}

#[test]
fn scram_plus_with_tls_server_end_point_rfc5929_4() {
    let stored = ScramCredentials::derive("pencil", b"salt", 4096).unwrap();
    let credentials = Credentials::password("user", "pencil");
    // Only tls-server-end-point available (a TLS 1.2 driver, say).
    let options = ClientOptions::default().with_channel_binding(end_point(&[9; 48]));
    let mut client =
        ClientMechanism::with_options(Mechanism::ScramSha256Plus, &credentials, &options).unwrap();
    let mut server = ServerMechanism::with_options(
        Mechanism::ScramSha256Plus,
        ServerOptions::default().with_channel_binding(end_point(&[9; 48])),
    )
    .unwrap();
    assert!(run(&mut client, &mut server, &stored, true).is_ok());

    // Forced type, with a server that has both.
    let options = ClientOptions::default()
        .with_channel_binding(both())
        .with_channel_binding_type(ChannelBindingType::TlsServerEndPoint);
    let mut client =
        ClientMechanism::with_options(Mechanism::ScramSha256Plus, &credentials, &options).unwrap();
    let mut server = ServerMechanism::with_options(
        Mechanism::ScramSha256Plus,
        ServerOptions::default().with_channel_binding(both()),
    )
    .unwrap();
    assert!(run(&mut client, &mut server, &stored, false).is_ok());
}

#[test]
fn wrong_channel_binding_fails_rfc5802_6() {
    // A man in the middle terminates TLS: the two sides see different data.
    let stored = ScramCredentials::derive("pencil", b"salt", 4096).unwrap();
    let credentials = Credentials::password("user", "pencil");
    let options = ClientOptions::default().with_channel_binding(exporter(&[1; 32]));
    let mut client =
        ClientMechanism::with_options(Mechanism::ScramSha256Plus, &credentials, &options).unwrap();
    let mut server = ServerMechanism::with_options(
        Mechanism::ScramSha256Plus,
        ServerOptions::default().with_channel_binding(exporter(&[2; 32])),
    )
    .unwrap();
    assert_eq!(
        run(&mut client, &mut server, &stored, true).unwrap_err(),
        SaslError::ChannelBindingMismatch
    );

    // The client binds with a type the server has no data for.
    let options = ClientOptions::default().with_channel_binding(end_point(&[1; 32]));
    let mut client =
        ClientMechanism::with_options(Mechanism::ScramSha256Plus, &credentials, &options).unwrap();
    let mut server = ServerMechanism::with_options(
        Mechanism::ScramSha256Plus,
        ServerOptions::default().with_channel_binding(exporter(&[1; 32])),
    )
    .unwrap();
    assert_eq!(
        run(&mut client, &mut server, &stored, true).unwrap_err(),
        SaslError::ChannelBindingFlag
    );
}

#[test]
fn y_flag_downgrade_is_refused_by_a_binding_server_rfc5802_6() {
    let stored = ScramCredentials::derive("pencil", b"salt", 4096).unwrap();
    let credentials = Credentials::password("user", "pencil");
    // The client can bind, but the -PLUS advertisement was stripped: it
    // falls back to SCRAM-SHA-256 and says so with "y".
    let options = ClientOptions::default().with_channel_binding(exporter(&[5; 32]));
    let mut client =
        ClientMechanism::with_options(Mechanism::ScramSha256, &credentials, &options).unwrap();
    let first = client.initial_response().unwrap();
    assert!(first.expose().starts_with(b"y,,"));
    // A server that does support binding detects the downgrade.
    let mut server = ServerMechanism::with_options(
        Mechanism::ScramSha256,
        ServerOptions::default().with_channel_binding(exporter(&[5; 32])),
    )
    .unwrap();
    assert_eq!(
        server.start(Some(first.expose())),
        Err(SaslError::ChannelBindingDowngrade)
    );
    // A server without binding support accepts "y" (RFC 5802 §6).
    let mut client =
        ClientMechanism::with_options(Mechanism::ScramSha256, &credentials, &options).unwrap();
    let mut server = ServerMechanism::new(Mechanism::ScramSha256).unwrap();
    assert!(run(&mut client, &mut server, &stored, true).is_ok());
}

#[test]
fn set_channel_binding_reaches_a_prebuilt_client() {
    let credentials = Credentials::password("user", "pencil");
    let mut client = ClientMechanism::new(Mechanism::ScramSha256, &credentials).unwrap();
    client.set_channel_binding(&exporter(&[5; 32]));
    assert!(
        client
            .initial_response()
            .unwrap()
            .expose()
            .starts_with(b"y,,")
    );
    let mut client = ClientMechanism::new(Mechanism::ScramSha256, &credentials).unwrap();
    assert!(
        client
            .initial_response()
            .unwrap()
            .expose()
            .starts_with(b"n,,")
    );
}

#[test]
fn channel_binding_flag_must_fit_the_mechanism_rfc5802_6() {
    let plus_server = || {
        ServerMechanism::with_options(
            Mechanism::ScramSha256Plus,
            ServerOptions::default().with_channel_binding(both()),
        )
        .unwrap()
    };
    for first in [
        &b"n,,n=user,r=abc"[..],
        b"y,,n=user,r=abc",
        b"p=tls-unique,,n=user,r=abc",
    ] {
        assert_eq!(
            plus_server().start(Some(first)),
            Err(SaslError::ChannelBindingFlag),
            "{first:?}"
        );
    }
    let mut server = ServerMechanism::new(Mechanism::ScramSha256).unwrap();
    assert_eq!(
        server.start(Some(b"p=tls-exporter,,n=user,r=abc")),
        Err(SaslError::ChannelBindingFlag)
    );
}

#[test]
fn wrong_password_and_unknown_user_fail_alike_rfc5802_5_1() {
    let stored = ScramCredentials::derive("pencil", b"salt", 4096).unwrap();
    let wrong = Credentials::password("user", "pencil2");
    let mut client = ClientMechanism::new(Mechanism::ScramSha256, &wrong).unwrap();
    let mut server = ServerMechanism::new(Mechanism::ScramSha256).unwrap();
    assert_eq!(
        run(&mut client, &mut server, &stored, true).unwrap_err(),
        SaslError::AuthenticationFailed
    );
    assert!(server.is_finished());

    // Unknown user: a server-first message like any other, the failure only
    // after the proof, and the same salt on every attempt.
    let mut salts = Vec::new();
    for _ in 0..2 {
        let nobody = Credentials::password("nobody", "pencil");
        let mut client = ClientMechanism::new(Mechanism::ScramSha256, &nobody).unwrap();
        let mut server = ServerMechanism::new(Mechanism::ScramSha256).unwrap();
        let first = client.initial_response().unwrap();
        assert!(matches!(
            server.start(Some(first.expose())),
            Ok(ServerStep::NeedSecret(_))
        ));
        let server_first = challenge(server.provide_secret(None).unwrap());
        let text = String::from_utf8(server_first.clone()).unwrap();
        assert!(text.contains(",i=4096"), "{text}");
        salts.push(text.split(',').nth(1).unwrap().to_owned());
        let client_final = client.step(&server_first).unwrap();
        assert_eq!(
            server.step(client_final.expose()),
            Err(SaslError::AuthenticationFailed)
        );
    }
    assert_eq!(salts[0], salts[1]);
}

#[test]
fn stored_secret_of_the_wrong_kind_is_refused() {
    let mut server = ServerMechanism::new(Mechanism::ScramSha256).unwrap();
    server.start(Some(b"n,,n=user,r=abc")).unwrap();
    assert_eq!(
        server.provide_secret(Some(StoredSecret::Plaintext("pencil".into()))),
        Err(SaslError::CredentialsMismatch)
    );
    assert!(server.is_finished());
}

/// A server at the client-final step of the RFC 7677 exchange.
fn rfc_server_awaiting_final() -> ServerMechanism {
    let options = ServerOptions::default().with_nonce(SERVER_NONCE);
    let mut server = ServerMechanism::with_options(Mechanism::ScramSha256, options).unwrap();
    server.start(Some(CLIENT_FIRST)).unwrap();
    server
        .provide_secret(Some(StoredSecret::Scram(rfc_credentials())))
        .unwrap();
    server
}

#[test]
fn malformed_client_final_messages_are_refused_rfc5802_7() {
    let nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    let proof = "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    let cases: Vec<(String, SaslError)> = vec![
        // Missing the server's part of the nonce.
        (
            format!("c=biws,r={CLIENT_NONCE},p={proof}"),
            SaslError::NonceMismatch,
        ),
        (
            format!("c=eSws,r={nonce},p={proof}"),
            SaslError::ChannelBindingMismatch,
        ),
        (
            format!("c=biws,p={proof}"),
            SaslError::Malformed(Field::Nonce),
        ),
        (
            format!("r={nonce},p={proof}"),
            SaslError::Malformed(Field::ChannelBinding),
        ),
        (
            format!("c=biws,r={nonce}"),
            SaslError::Malformed(Field::Proof),
        ),
        (
            format!("c=biws,r={nonce},p=AAAA"),
            SaslError::Malformed(Field::Proof),
        ),
        (
            format!("c=biws,r={nonce},p=!!"),
            SaslError::Malformed(Field::Proof),
        ),
        (
            format!("c=b!ws,r={nonce},p={proof}"),
            SaslError::Malformed(Field::ChannelBinding),
        ),
        (
            format!("c=biws,r={nonce},,p={proof}"),
            SaslError::Malformed(Field::Message),
        ),
        (
            format!("c=biws,r={nonce},p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVE="),
            SaslError::AuthenticationFailed,
        ),
    ];
    for (message, error) in cases {
        let mut server = rfc_server_awaiting_final();
        assert_eq!(server.step(message.as_bytes()), Err(error), "{message}");
        assert!(server.is_finished());
    }
    // An extension before the proof is allowed (RFC 5802 §7).
    let mut server = rfc_server_awaiting_final();
    let with_ext = format!("c=biws,r={nonce},x=ext,p={proof}");
    assert_eq!(
        server.step(with_ext.as_bytes()),
        Err(SaslError::AuthenticationFailed),
        "the extension is part of AuthMessage, so the RFC proof no longer fits"
    );
}

#[test]
fn malformed_client_first_messages_are_refused_rfc5802_7() {
    let cases: [(&[u8], SaslError); 9] = [
        (b"", SaslError::Malformed(Field::Gs2Header)),
        (b"n,,", SaslError::Malformed(Field::Message)),
        (b"n,,r=abc,n=user", SaslError::Malformed(Field::Username)),
        (b"n,,n=user", SaslError::Malformed(Field::Nonce)),
        (b"n,,n=user,r=a b", SaslError::Malformed(Field::Nonce)),
        (
            b"n,,m=ext,n=user,r=abc",
            SaslError::Malformed(Field::Message),
        ),
        (b"n,,n=us=er,r=abc", SaslError::Malformed(Field::Username)),
        (b"n,,n=,r=abc", SaslError::EmptyField(Field::Username)),
        (b"n,a=,n=user,r=abc", SaslError::EmptyField(Field::Authzid)),
    ];
    for (message, error) in cases {
        let mut server = ServerMechanism::new(Mechanism::ScramSha256).unwrap();
        assert_eq!(server.start(Some(message)), Err(error), "{message:?}");
        let mut server = ServerMechanism::new(Mechanism::ScramSha256).unwrap();
        assert_eq!(challenge(server.start(None).unwrap()), b"");
        assert_eq!(server.step(message), Err(error), "{message:?}");
    }
}

#[test]
fn server_final_ack_must_be_empty() {
    let mut server = rfc_server_awaiting_final();
    server.step(CLIENT_FINAL).unwrap();
    assert_eq!(server.step(b"x"), Err(SaslError::Malformed(Field::Message)));
}

fn rfc_client_after_first() -> ClientMechanism {
    let credentials = Credentials::password("user", "pencil");
    let options = ClientOptions::default().with_nonce(CLIENT_NONCE);
    let mut client =
        ClientMechanism::with_options(Mechanism::ScramSha256, &credentials, &options).unwrap();
    client.initial_response().unwrap();
    client
}

#[test]
fn client_checks_the_server_first_message_rfc5802_5_1() {
    let cases: [(&[u8], SaslError); 8] = [
        // The server nonce must extend the client's.
        (
            b"r=XOprNGfwEbeRWgbNEkqOsrv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
            SaslError::NonceMismatch,
        ),
        (
            b"r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
            SaslError::NonceMismatch,
        ),
        (
            b"m=x,r=rOprNGfwEbeRWgbNEkqOs,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
            SaslError::Malformed(Field::Message),
        ),
        (
            b"r=rOprNGfwEbeRWgbNEkqOs,i=4096",
            SaslError::Malformed(Field::Salt),
        ),
        (
            b"r=rOprNGfwEbeRWgbNEkqOs,s=###,i=4096",
            SaslError::Malformed(Field::Salt),
        ),
        (
            b"r=rOprNGfwEbeRWgbNEkqOs,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=04096",
            SaslError::Malformed(Field::IterationCount),
        ),
        // Fewer iterations than RFC 7677 §4 asks for.
        (
            b"r=rOprNGfwEbeRWgbNEkqOs,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1",
            SaslError::IterationCount,
        ),
        (
            b"r=rOprNGfwEbeRWgbNEkqOs,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4000000000",
            SaslError::IterationCount,
        ),
    ];
    for (message, error) in cases {
        let mut client = rfc_client_after_first();
        assert_eq!(client.step(message).unwrap_err(), error, "{message:?}");
        assert!(!client.is_complete());
        assert_eq!(
            client.step(SERVER_FINAL).unwrap_err(),
            SaslError::UnexpectedChallenge
        );
    }
}

#[test]
fn client_verifies_the_server_signature_rfc5802_5() {
    let mut client = rfc_client_after_first();
    client.step(SERVER_FIRST).unwrap();
    assert_eq!(
        client
            .step(b"v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
            .unwrap_err(),
        SaslError::ServerSignatureMismatch
    );
    assert!(!client.is_complete());

    let mut client = rfc_client_after_first();
    client.step(SERVER_FIRST).unwrap();
    assert_eq!(
        client.step(b"e=invalid-proof").unwrap_err(),
        SaslError::ServerError(ScramServerError::InvalidProof)
    );
    assert!(!client.is_complete());

    let mut client = rfc_client_after_first();
    client.step(SERVER_FIRST).unwrap();
    assert_eq!(
        client.step(b"x=1").unwrap_err(),
        SaslError::Malformed(Field::Verifier)
    );
}

#[test]
fn server_final_as_success_data_rfc4422_3_6() {
    let mut client = rfc_client_after_first();
    client.step(SERVER_FIRST).unwrap();
    client.success_data(SERVER_FINAL).unwrap();
    assert!(client.is_complete());

    // A success without the signature is not a success the client trusts.
    let mut client = rfc_client_after_first();
    client.step(SERVER_FIRST).unwrap();
    assert!(!client.is_complete());
    assert_eq!(
        client.success_data(b"v=AAAA"),
        Err(SaslError::ServerSignatureMismatch)
    );
    assert!(!client.is_complete());
}

#[test]
fn plus_client_does_not_accept_a_server_that_refuses_binding_rfc5802_6() {
    // The client bound the exchange; a server that answers "no binding"
    // (or anything but a valid signature) never makes it complete, and
    // nothing here falls back to SCRAM-SHA-256 on its own.
    let credentials = Credentials::password("user", "pencil");
    let options = ClientOptions::default()
        .with_channel_binding(exporter(&[1; 32]))
        .with_nonce(CLIENT_NONCE);
    let mut client =
        ClientMechanism::with_options(Mechanism::ScramSha256Plus, &credentials, &options).unwrap();
    assert!(
        client
            .initial_response()
            .unwrap()
            .expose()
            .starts_with(b"p=tls-exporter,,")
    );
    client.step(SERVER_FIRST).unwrap();
    assert_eq!(
        client.step(b"e=channel-binding-not-supported").unwrap_err(),
        SaslError::ServerError(ScramServerError::ChannelBindingNotSupported)
    );
    assert!(!client.is_complete());
    assert_eq!(client.step(b""), Err(SaslError::UnexpectedChallenge));
}
