//! The driver under async-io (the smol runtime's reactor and timers), to
//! show it depends on no runtime: no tokio runtime runs here.

mod common;

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use async_io::{Async, Timer};
use common::{Ev, LineMachine, MachineError, client_role, line, serve, server_role};
use futures_lite::future;
use postwire_io::{Clock, Connection, Error, Sleep};
use postwire_testkit::{ServerCert, duplex};

/// Timers from async-io; `now` is the default system clock.
struct AsyncIoClock;

impl Clock for AsyncIoClock {
    fn sleep_until(&self, deadline: Instant) -> Sleep {
        Box::pin(async move {
            Timer::at(deadline).await;
        })
    }
}

#[test]
fn echo_over_duplex_under_async_io() {
    async_io::block_on(async {
        let (a, b) = duplex(1024);
        let server = serve(Connection::new(b, LineMachine::server(), AsyncIoClock));
        let client = async {
            let mut client = Connection::new(a, LineMachine::client(), AsyncIoClock);
            client.protocol_mut().send(b"smol");
            let ev = client.next_event().await.unwrap().unwrap();
            assert_eq!(line(&ev), b"smol");
            client.protocol_mut().quit();
            let ev = client.next_event().await.unwrap().unwrap();
            assert_eq!(line(&ev), b"BYE");
            assert_eq!(client.next_event().await.unwrap(), Some(Ev::Eof));
            assert_eq!(client.next_event().await.unwrap(), None);
        };
        let ((seen, result), ()) = future::zip(server, client).await;
        result.unwrap();
        assert_eq!(seen, vec![Ev::Line("smol".into())]);
    });
}

#[test]
fn starttls_over_loopback_tcp_under_async_io() {
    async_io::block_on(async {
        let listener = Async::<TcpListener>::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let addr = listener.get_ref().local_addr().unwrap();
        assert!(addr.ip().is_loopback());
        let server = async {
            let (stream, _) = listener.accept().await.unwrap();
            serve(Connection::new_starttls(
                stream,
                LineMachine::server(),
                AsyncIoClock,
                server_role(ServerCert::Valid),
            ))
            .await
        };
        let client = async {
            let stream = Async::<TcpStream>::connect(addr).await.unwrap();
            let mut client = Connection::new_starttls(
                stream,
                LineMachine::client(),
                AsyncIoClock,
                client_role(),
            );
            client.protocol_mut().starttls();
            let ev = client.next_event().await.unwrap().unwrap();
            assert!(matches!(ev, Ev::Tls(_)), "{ev:?}");
            client.protocol_mut().send(b"inside tls");
            let ev = client.next_event().await.unwrap().unwrap();
            assert_eq!(line(&ev), b"inside tls");
            client.protocol_mut().quit();
            let ev = client.next_event().await.unwrap().unwrap();
            assert_eq!(line(&ev), b"BYE");
        };
        let ((seen, result), ()) = future::zip(server, client).await;
        result.unwrap();
        assert_eq!(seen.len(), 2);
    });
}

#[test]
fn machine_timeout_fires_with_async_io_timers() {
    async_io::block_on(async {
        let (a, _silent) = duplex(1024);
        let mut client = Connection::new(a, LineMachine::client(), AsyncIoClock);
        let start = AsyncIoClock.now();
        client
            .protocol_mut()
            .set_deadline(Some(start + Duration::from_millis(50)));
        let err = client.next_event().await.unwrap_err();
        assert!(
            matches!(err, Error::Protocol(MachineError::Timeout)),
            "{err:?}"
        );
        assert!(AsyncIoClock.now() >= start + Duration::from_millis(50));
    });
}
