//! The driver with rustls: implicit TLS, STARTTLS, TLS info, certificates.

mod common;

use std::sync::Arc;

use common::*;
use postwire_core::{TlsInfo, TlsVersion};
use postwire_io::transcript::MemoryTranscript;
use postwire_io::transcript::NoRedaction;
use postwire_io::{Connection, Error, TlsRole};
use postwire_testkit::{ServerCert, TestPki, duplex, localhost};
use tokio_util::compat::TokioAsyncReadCompatExt;

fn tls_of(ev: Ev) -> TlsInfo {
    match ev {
        Ev::Tls(info) => info,
        other => panic!("expected TLS, got {other:?}"),
    }
}

#[tokio::test]
async fn implicit_tls_echo_over_duplex_rfc8314() {
    let (a, b) = duplex(4096);
    let server = Connection::new_implicit_tls(
        b,
        LineMachine::server(),
        TokioClock,
        server_role(ServerCert::Valid),
    )
    .unwrap();
    let server = tokio::spawn(serve(server));
    let mut client =
        Connection::new_implicit_tls(a, LineMachine::client(), TokioClock, client_role()).unwrap();
    // The machine hears about TLS before anything else.
    client.protocol_mut().send(b"hello");
    let info = tls_of(event(&mut client).await);
    assert_eq!(info.version, TlsVersion::Tls13);
    assert!(client.is_tls());
    assert_eq!(event(&mut client).await, Ev::Line("hello".into()));
    client.protocol_mut().quit();
    assert_eq!(event(&mut client).await, Ev::Line("BYE".into()));
    assert_eq!(event(&mut client).await, Ev::Eof);
    assert!(client.next_event().await.unwrap().is_none());
    let (seen, result) = server.await.unwrap();
    result.unwrap();
    assert!(matches!(seen[0], Ev::Tls(_)));
    assert_eq!(seen[1], Ev::Line("hello".into()));
}

#[tokio::test]
async fn implicit_tls_over_tcp_on_loopback() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let conn = Connection::new_implicit_tls(
            stream.compat(),
            LineMachine::server(),
            TokioClock,
            server_role(ServerCert::Valid),
        )
        .unwrap();
        serve(conn).await
    });
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut client = Connection::new_implicit_tls(
        stream.compat(),
        LineMachine::client(),
        TokioClock,
        client_role(),
    )
    .unwrap();
    tls_of(event(&mut client).await);
    for i in 0..50 {
        client
            .protocol_mut()
            .send(format!("over tls {i}").as_bytes());
    }
    for i in 0..50 {
        assert_eq!(
            line(&event(&mut client).await),
            format!("over tls {i}").as_bytes()
        );
    }
    client.protocol_mut().quit();
    assert_eq!(event(&mut client).await, Ev::Line("BYE".into()));
    server.await.unwrap().1.unwrap();
}

#[tokio::test]
async fn starttls_upgrade_then_echo_inside_tls_rfc3207() {
    let (a, b) = duplex(4096);
    let server = tokio::spawn(serve(Connection::new_starttls(
        b,
        LineMachine::server(),
        TokioClock,
        server_role(ServerCert::Valid),
    )));
    let mut client = Connection::new_starttls(a, LineMachine::client(), TokioClock, client_role());
    let transcript = MemoryTranscript::new();
    client.set_transcript(transcript.clone(), NoRedaction);
    client.protocol_mut().send(b"before");
    assert_eq!(event(&mut client).await, Ev::Line("before".into()));
    assert!(!client.is_tls());
    client.protocol_mut().starttls();
    let info = tls_of(event(&mut client).await);
    assert!(client.is_tls());
    assert_eq!(client.tls_info(), Some(&info));
    client.protocol_mut().send(b"after");
    assert_eq!(event(&mut client).await, Ev::Line("after".into()));
    client.protocol_mut().quit();
    assert_eq!(event(&mut client).await, Ev::Line("BYE".into()));
    let (seen, result) = server.await.unwrap();
    result.unwrap();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0], Ev::Line("before".into()));
    assert!(matches!(seen[1], Ev::Tls(_)));
    assert_eq!(seen[2], Ev::Line("after".into()));
    assert_eq!(
        transcript.to_text(),
        "C: before\nS: before\nC: STARTTLS\nS: OK begin TLS\nC: after\nS: after\nC: QUIT\nS: BYE\n"
    );
}

#[tokio::test]
async fn starttls_over_tcp_on_loopback() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        serve(Connection::new_starttls(
            stream.compat(),
            LineMachine::server(),
            TokioClock,
            server_role(ServerCert::Valid),
        ))
        .await
    });
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut client = Connection::new_starttls(
        stream.compat(),
        LineMachine::client(),
        TokioClock,
        client_role(),
    );
    client.protocol_mut().starttls();
    tls_of(event(&mut client).await);
    client.protocol_mut().send(b"secure");
    assert_eq!(event(&mut client).await, Ev::Line("secure".into()));
    client.protocol_mut().quit();
    assert_eq!(event(&mut client).await, Ev::Line("BYE".into()));
    server.await.unwrap().1.unwrap();
}

async fn handshake_infos(client_role: TlsRole, server_role: TlsRole) -> (TlsInfo, TlsInfo) {
    let (a, b) = duplex(4096);
    let server = tokio::spawn(async move {
        let mut server =
            Connection::new_implicit_tls(b, LineMachine::server(), TokioClock, server_role)
                .unwrap();
        let info = tls_of(event(&mut server).await);
        // Keep serving until the client leaves.
        let _ = serve(server).await;
        info
    });
    let mut client =
        Connection::new_implicit_tls(a, LineMachine::client(), TokioClock, client_role).unwrap();
    let info = tls_of(event(&mut client).await);
    client.close().await.unwrap();
    (info, server.await.unwrap())
}

#[tokio::test]
async fn tls_info_has_version_suite_certificates_and_agreeing_channel_bindings_rfc9266_rfc5929() {
    let pki = TestPki::shared();
    let (client, server) = handshake_infos(client_role(), server_role(ServerCert::Valid)).await;
    assert_eq!(client.version, TlsVersion::Tls13);
    assert_eq!(server.version, TlsVersion::Tls13);
    assert!(client.cipher_suite.is_some_and(|s| s.starts_with("TLS13_")));
    assert_eq!(client.cipher_suite, server.cipher_suite);
    let server_cert = pki.server_cert_der(ServerCert::Valid);
    assert_eq!(&client.peer_certificates[0][..], server_cert.as_ref());
    assert_eq!(client.peer_certificates.len(), 2);
    assert!(server.peer_certificates.is_empty());
    let exporter = client.channel_binding.tls_exporter.clone().unwrap();
    assert_eq!(exporter.len(), 32);
    assert_eq!(server.channel_binding.tls_exporter, Some(exporter.clone()));
    let (_, other) = handshake_infos(client_role(), server_role(ServerCert::Valid)).await;
    assert_ne!(other.channel_binding.tls_exporter, Some(exporter));
    let end_point = ring::digest::digest(&ring::digest::SHA256, server_cert.as_ref());
    assert_eq!(
        client.channel_binding.tls_server_end_point.as_deref(),
        Some(end_point.as_ref())
    );
    assert_eq!(
        server.channel_binding.tls_server_end_point,
        client.channel_binding.tls_server_end_point
    );
}

#[tokio::test]
async fn tls12_has_no_exporter_binding_but_server_end_point_rfc9266_3() {
    let pki = TestPki::shared();
    let config = pki.client_config_with_versions(&[&rustls::version::TLS12]);
    let role = TlsRole::client(Arc::new(config), localhost());
    let (client, server) = handshake_infos(role, server_role(ServerCert::Valid)).await;
    assert_eq!(client.version, TlsVersion::Tls12);
    assert_eq!(server.version, TlsVersion::Tls12);
    assert!(client.channel_binding.tls_exporter.is_none());
    assert!(client.channel_binding.tls_server_end_point.is_some());
    assert_eq!(
        server.channel_binding.tls_server_end_point,
        client.channel_binding.tls_server_end_point
    );
}

#[tokio::test]
async fn alpn_protocol_is_reported_rfc7301() {
    let pki = TestPki::shared();
    let mut client_config = pki.client_config();
    client_config.alpn_protocols = vec![b"imap".to_vec()];
    let mut server_config = pki.server_config(ServerCert::Valid);
    server_config.alpn_protocols = vec![b"smtp".to_vec(), b"imap".to_vec()];
    let (client, server) = handshake_infos(
        TlsRole::client(Arc::new(client_config), localhost()),
        TlsRole::server(Arc::new(server_config)),
    )
    .await;
    assert_eq!(client.alpn_protocol.as_deref(), Some(&b"imap"[..]));
    assert_eq!(server.alpn_protocol.as_deref(), Some(&b"imap"[..]));
    // Without the certificate the server side has no end-point binding.
    assert!(server.channel_binding.tls_server_end_point.is_none());
}

/// The client must refuse the server's certificate: no line ever crosses.
async fn refused(cert: ServerCert, starttls: bool) -> String {
    let (a, b) = duplex(4096);
    let server = if starttls {
        Connection::new_starttls(b, LineMachine::server(), TokioClock, server_role(cert))
    } else {
        Connection::new_implicit_tls(b, LineMachine::server(), TokioClock, server_role(cert))
            .unwrap()
    };
    let server = tokio::spawn(serve(server));
    let mut client = if starttls {
        let mut c = Connection::new_starttls(a, LineMachine::client(), TokioClock, client_role());
        c.protocol_mut().starttls();
        c
    } else {
        Connection::new_implicit_tls(a, LineMachine::client(), TokioClock, client_role()).unwrap()
    };
    if !starttls {
        // Queued before the handshake; must never be written.
        client.protocol_mut().send(b"AUTH PLAIN c2VjcmV0");
    }
    let err = client.next_event().await.unwrap_err();
    let shown = format!("{err:?}");
    assert!(
        matches!(err, Error::Tls(rustls::Error::InvalidCertificate(_))),
        "{shown}"
    );
    assert!(client.tls_info().is_none());
    assert!(client.next_event().await.unwrap().is_none());
    let (seen, result) = server.await.unwrap();
    assert!(
        seen.iter().all(|e| !matches!(e, Ev::Line(_) | Ev::Tls(_))),
        "{seen:?}"
    );
    assert!(result.is_err());
    shown
}

#[tokio::test]
async fn self_signed_certificate_is_refused_c13() {
    for starttls in [false, true] {
        let shown = refused(ServerCert::SelfSigned, starttls).await;
        assert!(
            shown.contains("UnknownIssuer") || shown.contains("BadSignature"),
            "{shown}"
        );
    }
}

#[tokio::test]
async fn unknown_root_is_refused_c13() {
    for starttls in [false, true] {
        let shown = refused(ServerCert::UnknownIssuer, starttls).await;
        assert!(shown.contains("UnknownIssuer"), "{shown}");
    }
}

#[tokio::test]
async fn wrong_host_name_is_refused_c13() {
    for starttls in [false, true] {
        let shown = refused(ServerCert::WrongHost, starttls).await;
        assert!(shown.contains("NotValidForName"), "{shown}");
    }
}

#[tokio::test]
async fn expired_certificate_is_refused_c13() {
    for starttls in [false, true] {
        let shown = refused(ServerCert::Expired, starttls).await;
        assert!(shown.contains("Expired"), "{shown}");
    }
}
