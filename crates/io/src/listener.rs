//! [`serve_each`]: the accept loop with a connection cap that every server
//! facade runs, on any runtime.

use std::future::Future;
use std::io;
use std::pin::Pin;

use futures_lite::{Stream, StreamExt};

use crate::ConnectionLimit;

/// A connection's task, for the application's spawn function.
pub type ConnectionTask = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Hands each connection `incoming` yields to `spawn` as a task:
/// `serve(io)` while fewer than `limit.max()` connections are served (the
/// task holds its slot until it ends, however it ends), `busy(io)` over
/// the cap (the protocol's "too many connections" answer, see
/// [`refuse`](crate::refuse)).
///
/// `futures-io` has no sockets, so the application brings its listener as
/// a stream of accepted connections and a `spawn` for its runtime
/// (`|task| { tokio::spawn(task); }`). Returns when `incoming` ends, or
/// with the first accept error: filter out transient errors
/// (`ECONNABORTED`, `EMFILE`) in the stream if the loop must survive them.
pub async fn serve_each<I, IO, S, SF, B, BF, SP>(
    mut incoming: I,
    limit: ConnectionLimit,
    mut serve: S,
    mut busy: B,
    mut spawn: SP,
) -> io::Result<()>
where
    I: Stream<Item = io::Result<IO>> + Unpin,
    S: FnMut(IO) -> SF,
    SF: Future<Output = ()> + Send + 'static,
    B: FnMut(IO) -> BF,
    BF: Future<Output = ()> + Send + 'static,
    SP: FnMut(ConnectionTask),
{
    while let Some(io) = incoming.next().await {
        let io = io?;
        match limit.try_acquire() {
            Some(guard) => {
                let session = serve(io);
                spawn(Box::pin(async move {
                    let _guard = guard;
                    session.await;
                }));
            }
            None => spawn(Box::pin(busy(io))),
        }
    }
    Ok(())
}
