//! Known-answer tests from the RFCs and the providers' documentation, and
//! complete client-against-server exchanges.

use postwire_sasl::client::{ClientMechanism, Credentials};
use postwire_sasl::server::{
    Authentication, LOGIN_PASSWORD_CHALLENGE, LOGIN_USERNAME_CHALLENGE, Limits, ServerMechanism,
    ServerStep,
};
use postwire_sasl::{Field, Mechanism, SaslError, decode_base64, encode_base64, select};

fn done(step: ServerStep) -> Authentication {
    match step {
        ServerStep::Done(authentication) => authentication,
        other => panic!("expected Done, got {other:?}"),
    }
}

fn challenge(step: ServerStep) -> Vec<u8> {
    match step {
        ServerStep::Challenge(challenge) => challenge,
        other => panic!("expected a challenge, got {other:?}"),
    }
}

// ------------------------------------------------------------ APOP

#[test]
fn apop_digest_rfc1939_7_example() {
    assert_eq!(
        postwire_sasl::apop_digest(b"<1896.697170952@dbc.mtview.ca.us>", "tanstaaf"),
        "c4c9334bac560ecc979e58001b3e22fb"
    );
}

// ---------------------------------------------------------------- PLAIN

#[test]
fn plain_client_without_authzid_rfc4616_4() {
    let credentials = Credentials::password("tim", "tanstaaftanstaaf");
    let mut client = ClientMechanism::new(Mechanism::Plain, &credentials).unwrap();
    let ir = client.initial_response().unwrap();
    assert_eq!(ir.expose(), b"\0tim\0tanstaaftanstaaf");
    // The same message as RFC 4954 §4 puts it on the wire.
    assert_eq!(encode_base64(ir.expose()), "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
}

#[test]
fn plain_client_with_authzid_rfc4616_4() {
    let credentials = Credentials::Password {
        authzid: Some("Ursel".into()),
        username: "Kurt".into(),
        password: "xipj3plmq".into(),
    };
    let mut client = ClientMechanism::new(Mechanism::Plain, &credentials).unwrap();
    assert_eq!(
        client.initial_response().unwrap().expose(),
        b"Ursel\0Kurt\0xipj3plmq"
    );
}

#[test]
fn plain_server_decodes_rfc4954_4_example() {
    // C: AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=
    let raw = decode_base64(b"dGVzdAB0ZXN0ADEyMzQ=").unwrap();
    let mut server = ServerMechanism::new(Mechanism::Plain).unwrap();
    let auth = done(server.start(Some(&raw)).unwrap());
    assert_eq!(auth.authzid.as_deref(), Some("test"));
    assert_eq!(auth.username, "test");
    assert_eq!(auth.password().unwrap().expose(), "1234");
    assert!(auth.password_matches("1234"));
    assert!(!auth.password_matches("1235"));
}

#[test]
fn plain_server_without_initial_response_sends_empty_challenge_rfc4616_2() {
    let mut server = ServerMechanism::new(Mechanism::Plain).unwrap();
    assert_eq!(challenge(server.start(None).unwrap()), b"");
    let auth = done(server.step(b"Ursel\0Kurt\0xipj3plmq").unwrap());
    assert_eq!(auth.authzid.as_deref(), Some("Ursel"));
    assert_eq!(auth.username, "Kurt");
    assert_eq!(auth.password().unwrap().expose(), "xipj3plmq");
}

#[test]
fn plain_server_rejects_malformed_messages_rfc4616_2() {
    let cases: [(&[u8], SaslError); 12] = [
        (b"", SaslError::MissingNul),
        (b"timtanstaaf", SaslError::MissingNul),
        (b"\0timtanstaaf", SaslError::MissingNul),
        (b"\0tim\0tans\0taaf", SaslError::ExtraNul),
        (b"a\0tim\0pw\0", SaslError::ExtraNul),
        (b"\0\0pw", SaslError::EmptyField(Field::Username)),
        (b"\0tim\0", SaslError::EmptyField(Field::Password)),
        (b"\0\0", SaslError::EmptyField(Field::Username)),
        (b"\0t\xffm\0pw", SaslError::InvalidUtf8(Field::Username)),
        (b"\0tim\0p\xc3", SaslError::InvalidUtf8(Field::Password)),
        (b"\xc0\xaf\0tim\0pw", SaslError::InvalidUtf8(Field::Authzid)),
        (
            b"\0tim\0\xed\xa0\x80",
            SaslError::InvalidUtf8(Field::Password),
        ),
    ];
    for (message, expected) in cases {
        let mut server = ServerMechanism::new(Mechanism::Plain).unwrap();
        assert_eq!(server.start(Some(message)), Err(expected), "{message:?}");
        let mut server = ServerMechanism::new(Mechanism::Plain).unwrap();
        server.start(None).unwrap();
        assert_eq!(server.step(message), Err(expected), "{message:?}");
    }
}

#[test]
fn plain_server_rejects_fields_over_255_octets_by_default() {
    let long = "a".repeat(256);
    for (message, field) in [
        (format!("{long}\0tim\0pw"), Field::Authzid),
        (format!("\0{long}\0pw"), Field::Username),
        (format!("\0tim\0{long}"), Field::Password),
    ] {
        let mut server = ServerMechanism::new(Mechanism::Plain).unwrap();
        assert_eq!(
            server.start(Some(message.as_bytes())),
            Err(SaslError::FieldTooLong(field))
        );
    }
    // A deployment that takes long tokens as passwords raises the limit.
    let mut limits = Limits::default();
    limits.max_field_len = 4096;
    let mut server = ServerMechanism::with_limits(Mechanism::Plain, limits).unwrap();
    let auth = done(
        server
            .start(Some(format!("\0tim\0{long}").as_bytes()))
            .unwrap(),
    );
    assert_eq!(auth.password().unwrap().expose(), &long);
}

// ---------------------------------------------------------------- LOGIN

#[test]
fn login_exchange_client_against_server() {
    let credentials = Credentials::password("tim", "tanstaaftanstaaf");
    let mut client = ClientMechanism::new(Mechanism::Login, &credentials).unwrap();
    let mut server = ServerMechanism::new(Mechanism::Login).unwrap();
    assert!(client.initial_response().is_none());

    // S: 334 VXNlcm5hbWU6
    let first = challenge(server.start(None).unwrap());
    assert_eq!(first, LOGIN_USERNAME_CHALLENGE);
    assert_eq!(encode_base64(&first), "VXNlcm5hbWU6");
    let username = client.step(&first).unwrap();
    assert_eq!(username.expose(), b"tim");

    // S: 334 UGFzc3dvcmQ6
    let second = challenge(server.step(username.expose()).unwrap());
    assert_eq!(second, LOGIN_PASSWORD_CHALLENGE);
    assert_eq!(encode_base64(&second), "UGFzc3dvcmQ6");
    let password = client.step(&second).unwrap();
    assert_eq!(password.expose(), b"tanstaaftanstaaf");
    assert!(client.is_complete());

    let auth = done(server.step(password.expose()).unwrap());
    assert_eq!(auth.authzid, None);
    assert_eq!(auth.username, "tim");
    assert!(auth.password_matches("tanstaaftanstaaf"));
    assert!(server.is_finished());
}

#[test]
fn login_server_takes_initial_response_as_username() {
    let mut server = ServerMechanism::new(Mechanism::Login).unwrap();
    let next = challenge(server.start(Some(b"tim")).unwrap());
    assert_eq!(next, LOGIN_PASSWORD_CHALLENGE);
    let auth = done(server.step(b"secret").unwrap());
    assert_eq!(auth.username, "tim");
    assert_eq!(auth.password().unwrap().expose(), "secret");
}

#[test]
fn login_server_rejects_malformed_fields() {
    let cases: [(&[u8], SaslError); 4] = [
        (b"", SaslError::EmptyField(Field::Username)),
        (b"t\0m", SaslError::ForbiddenByte(Field::Username)),
        (b"t\xffm", SaslError::InvalidUtf8(Field::Username)),
        (&[b'a'; 256], SaslError::FieldTooLong(Field::Username)),
    ];
    for (response, expected) in cases {
        let mut server = ServerMechanism::new(Mechanism::Login).unwrap();
        server.start(None).unwrap();
        assert_eq!(server.step(response), Err(expected), "{response:?}");
    }
    let mut server = ServerMechanism::new(Mechanism::Login).unwrap();
    server.start(None).unwrap();
    server.step(b"tim").unwrap();
    assert_eq!(
        server.step(b""),
        Err(SaslError::EmptyField(Field::Password))
    );
}

// ---------------------------------------------------------------- XOAUTH2

const GOOGLE_TOKEN: &str = "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg";

#[test]
fn xoauth2_matches_googles_documented_example() {
    let credentials = Credentials::oauth2("someuser@example.com", GOOGLE_TOKEN);
    let mut client = ClientMechanism::new(Mechanism::XOAuth2, &credentials).unwrap();
    let ir = client.initial_response().unwrap();
    assert_eq!(
        ir.expose(),
        format!("user=someuser@example.com\x01auth=Bearer {GOOGLE_TOKEN}\x01\x01").as_bytes()
    );
    assert_eq!(
        encode_base64(ir.expose()),
        "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ=="
    );
    assert!(client.is_complete());
}

#[test]
fn xoauth2_answers_error_challenge_with_empty_response() {
    let credentials = Credentials::oauth2("someuser@example.com", GOOGLE_TOKEN);
    let mut client = ClientMechanism::new(Mechanism::XOAuth2, &credentials).unwrap();
    client.initial_response().unwrap();
    // S: 334 eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiQmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ==
    let error = decode_base64(
        b"eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiQmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ==",
    )
    .unwrap();
    let response = client.step(&error).unwrap();
    assert_eq!(response.expose(), b"");
    assert_eq!(
        client.error_details(),
        Some(&br#"{"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"}"#[..])
    );
    assert!(!client.is_complete());
    assert_eq!(client.step(&error), Err(SaslError::UnexpectedChallenge));
}

#[test]
fn xoauth2_without_initial_response_answers_first_challenge() {
    let credentials = Credentials::oauth2("someuser@example.com", GOOGLE_TOKEN);
    let mut client = ClientMechanism::new(Mechanism::XOAuth2, &credentials).unwrap();
    let message = client.step(b"").unwrap();
    assert!(
        message
            .expose()
            .starts_with(b"user=someuser@example.com\x01")
    );
    assert!(client.is_complete());
    assert!(client.initial_response().is_none());
}

// ---------------------------------------------------------------- OAUTHBEARER

fn rfc7628_credentials() -> Credentials {
    Credentials::OAuth2 {
        username: "user@example.com".into(),
        token: "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==".into(),
        host: Some("server.example.com".into()),
        port: Some(143),
    }
}

#[test]
fn oauthbearer_matches_rfc7628_4_1_example() {
    let mut client = ClientMechanism::new(Mechanism::OAuthBearer, &rfc7628_credentials()).unwrap();
    let ir = client.initial_response().unwrap();
    assert_eq!(
        ir.expose(),
        b"n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01"
    );
    // t0 AUTHENTICATE OAUTHBEARER <this>
    assert_eq!(
        encode_base64(ir.expose()),
        "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB"
    );
    assert!(client.is_complete());
}

#[test]
fn oauthbearer_answers_error_challenge_with_kvsep_rfc7628_3_2_3() {
    let mut client = ClientMechanism::new(Mechanism::OAuthBearer, &rfc7628_credentials()).unwrap();
    client.initial_response().unwrap();
    // RFC 7628 §4.3: S: + eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0=
    let error = decode_base64(b"eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0=").unwrap();
    let response = client.step(&error).unwrap();
    assert_eq!(response.expose(), b"\x01");
    // C: AQ==
    assert_eq!(encode_base64(response.expose()), "AQ==");
    assert!(
        client
            .error_details()
            .unwrap()
            .starts_with(br#"{"status":"invalid_token""#)
    );
    assert!(!client.is_complete());
    assert_eq!(client.step(b""), Err(SaslError::UnexpectedChallenge));
}

// ---------------------------------------------------------------- selection

#[test]
fn select_prefers_the_strongest_common_mechanism() {
    let password = Credentials::password("u", "p");
    let oauth = Credentials::oauth2("u", "t");
    assert_eq!(
        select(["LOGIN", "PLAIN"], password.mechanisms()),
        Some(Mechanism::Plain)
    );
    assert_eq!(
        select(["login"], password.mechanisms()),
        Some(Mechanism::Login)
    );
    assert_eq!(
        select(
            ["PLAIN", "XOAUTH2", "OAUTHBEARER", "LOGIN"],
            oauth.mechanisms()
        ),
        Some(Mechanism::OAuthBearer)
    );
    assert_eq!(
        select(["PLAIN", "XOAUTH2"], oauth.mechanisms()),
        Some(Mechanism::XOAuth2)
    );
    assert_eq!(
        select(["CRAM-MD5", "GSSAPI"], password.mechanisms()),
        Some(Mechanism::CramMd5)
    );
    assert_eq!(
        select(
            ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"],
            password.mechanisms()
        ),
        Some(Mechanism::ScramSha256),
        "-PLUS only with channel binding"
    );
    assert_eq!(
        select(
            ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"],
            password.mechanisms_with_channel_binding()
        ),
        Some(Mechanism::ScramSha256Plus)
    );
    assert_eq!(select(["GSSAPI", "NTLM"], password.mechanisms()), None);
    assert_eq!(select(Vec::<String>::new(), password.mechanisms()), None);
}

#[test]
fn select_follows_the_full_strength_order() {
    let all = [
        Mechanism::Login,
        Mechanism::Plain,
        Mechanism::CramMd5,
        Mechanism::XOAuth2,
        Mechanism::OAuthBearer,
        Mechanism::ScramSha256,
        Mechanism::ScramSha256Plus,
    ];
    let offered = [
        "LOGIN",
        "PLAIN",
        "CRAM-MD5",
        "XOAUTH2",
        "OAUTHBEARER",
        "SCRAM-SHA-256",
        "SCRAM-SHA-256-PLUS",
    ];
    // Drop the strongest one at a time: the next strongest wins.
    for n in (1..=offered.len()).rev() {
        assert_eq!(select(&offered[..n], &all), Some(all[n - 1].clone()));
    }
}

#[test]
fn select_picks_external_or_anonymous_only_when_the_credentials_ask() {
    let password = Credentials::password("u", "p");
    assert_eq!(
        select(["EXTERNAL", "ANONYMOUS"], password.mechanisms()),
        None
    );
    assert_eq!(
        select(["EXTERNAL", "ANONYMOUS", "PLAIN"], password.mechanisms()),
        Some(Mechanism::Plain)
    );
    assert_eq!(
        select(["PLAIN", "EXTERNAL"], Credentials::external().mechanisms()),
        Some(Mechanism::External)
    );
    assert_eq!(
        select(
            ["PLAIN", "ANONYMOUS"],
            Credentials::anonymous(None).mechanisms()
        ),
        Some(Mechanism::Anonymous)
    );
    // Strength 0 never beats a real mechanism in a mixed list either.
    let mixed = [Mechanism::External, Mechanism::Plain];
    assert_eq!(
        select(["EXTERNAL", "PLAIN"], &mixed),
        Some(Mechanism::Plain)
    );
}

#[test]
fn select_skips_invalid_names() {
    assert_eq!(
        select(
            ["PLAIN\r\n", "", "LOGIN"],
            Credentials::password("u", "p").mechanisms()
        ),
        Some(Mechanism::Login)
    );
}
