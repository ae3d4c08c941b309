//! The connection pool: cap, idle probe, no reuse of poisoned connections.

mod client_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use client_support::{Behaviour, Store, message, options, tcp_server, tls_config};
use postwire_smtp::client::{Envelope, Error, Pool, PoolOptions, SmtpClient, Tls};
use tokio::net::TcpStream;
use tokio_util::compat::TokioAsyncReadCompatExt;

fn envelope() -> Envelope {
    Envelope::parse("alice@example.org")
        .unwrap()
        .to("bob@example.org".parse().unwrap())
}

/// A connector to `addr` (STARTTLS + AUTH) that counts its connections.
fn connector(
    addr: std::net::SocketAddr,
    count: Arc<AtomicUsize>,
) -> impl postwire_smtp::client::Connector<Io = tokio_util::compat::Compat<TcpStream>> {
    move || {
        count.fetch_add(1, Ordering::SeqCst);
        async move {
            let tcp = TcpStream::connect(addr).await.map_err(Error::Connect)?;
            SmtpClient::connect(tcp.compat(), options(Tls::StartTls(tls_config()), true)).await
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_gets_never_open_more_than_the_cap() {
    let store = Store::default();
    let addr = tcp_server(Behaviour::default(), store.clone()).await;
    let count = Arc::new(AtomicUsize::new(0));
    let pool = Pool::new(
        connector(addr, count.clone()),
        PoolOptions::default().max_connections(2),
    );
    let mut tasks = Vec::new();
    for i in 0..6 {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            let mut client = pool.get().await.unwrap();
            let report = client
                .send(envelope(), message(&format!("p{i}")))
                .await
                .unwrap();
            assert!(report.all_accepted());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(count.load(Ordering::SeqCst), 2);
    assert!(store.peak_live.load(Ordering::SeqCst) <= 2);
    assert_eq!(store.messages().len(), 6);
    let status = pool.status();
    assert_eq!((status.open, status.idle), (2, 2));
    // pool.send reuses an idle connection.
    assert!(
        pool.send(envelope(), message("again"))
            .await
            .unwrap()
            .all_accepted()
    );
    assert_eq!(count.load(Ordering::SeqCst), 2);
    pool.close_idle().await;
    assert_eq!(pool.status().open, 0);
}

#[tokio::test]
async fn connection_closed_by_server_while_idle_is_replaced_rfc5321_4_5_3_2_7() {
    let store = Store::default();
    let behaviour = Behaviour {
        idle_timeout: Some(Duration::from_millis(200)),
        ..Behaviour::default()
    };
    let addr = tcp_server(behaviour, store.clone()).await;
    let count = Arc::new(AtomicUsize::new(0));
    let pool = Pool::new(
        connector(addr, count.clone()),
        PoolOptions::default()
            .max_connections(1)
            .probe_after_idle(Duration::from_millis(100)),
    );
    assert!(
        pool.send(envelope(), message("one"))
            .await
            .unwrap()
            .all_accepted()
    );
    assert_eq!(pool.status().idle, 1);
    // The server times the idle session out (421) and closes it.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(store.live.load(Ordering::SeqCst), 0);
    assert!(
        pool.send(envelope(), message("two"))
            .await
            .unwrap()
            .all_accepted()
    );
    assert_eq!(count.load(Ordering::SeqCst), 2);
    assert_eq!(store.messages().len(), 2);
}

/// A body that yields one chunk and then never more.
struct Stalling(bool);

impl futures_io::AsyncRead for Stalling {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &mut [u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        if self.0 {
            return std::task::Poll::Pending;
        }
        self.0 = true;
        buf[0] = b'x';
        std::task::Poll::Ready(Ok(1))
    }
}

#[tokio::test]
async fn poisoned_connection_is_not_returned_to_the_pool() {
    let store = Store::default();
    let addr = tcp_server(Behaviour::default(), store.clone()).await;
    let count = Arc::new(AtomicUsize::new(0));
    let pool = Pool::new(
        connector(addr, count.clone()),
        PoolOptions::default().max_connections(1),
    );
    {
        let mut client = pool.get().await.unwrap();
        let send = client.send_reader(envelope(), Stalling(false));
        assert!(
            tokio::time::timeout(Duration::from_millis(200), send)
                .await
                .is_err()
        );
        assert!(client.is_poisoned());
    }
    let status = pool.status();
    assert_eq!((status.open, status.idle), (0, 0));
    // The next checkout opens a fresh connection, which works.
    let mut client = pool.get().await.unwrap();
    assert!(
        client
            .send(envelope(), message("fresh"))
            .await
            .unwrap()
            .all_accepted()
    );
    assert_eq!(count.load(Ordering::SeqCst), 2);
    drop(client);
    assert_eq!(pool.status().idle, 1);
    assert_eq!(store.messages().len(), 1);
}

#[tokio::test]
async fn a_dropped_get_frees_its_place() {
    let addr = tcp_server(Behaviour::default(), Store::default()).await;
    let count = Arc::new(AtomicUsize::new(0));
    let pool = Pool::new(
        connector(addr, count.clone()),
        PoolOptions::default().max_connections(1),
    );
    let held = pool.get().await.unwrap();
    // A second get waits; dropping it must not leak anything.
    assert!(
        tokio::time::timeout(Duration::from_millis(50), pool.get())
            .await
            .is_err()
    );
    drop(held);
    let client = tokio::time::timeout(Duration::from_secs(5), pool.get())
        .await
        .unwrap()
        .unwrap();
    assert!(client.is_usable());
    assert_eq!(count.load(Ordering::SeqCst), 1);
}
