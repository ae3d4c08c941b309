//! [`serve_all`]: a listener loop with a connection cap, on any runtime.

use std::io;
use std::sync::Arc;

use futures_io::{AsyncRead, AsyncWrite};
use futures_lite::Stream;

use super::limit::reject_busy;
use super::options::ServerOptions;
use super::session::serve;
use super::store::MailStore;
use postwire_io::ConnectionLimit;

pub use postwire_io::ConnectionTask;

/// Serves every connection `incoming` yields, each in a task handed to
/// `spawn`, at most `limit.max()` at once; connections over the cap get
/// `-ERR [SYS/TEMP]` and are closed (see [`reject_busy`]).
///
/// `futures-io` has no sockets, so the application brings its listener as
/// a stream of accepted connections (for tokio: a `TcpListener` accept loop
/// mapped through `compat()`), a `spawn` for its runtime
/// (`|task| { tokio::spawn(task); }`), and `make_store`, which sees each
/// connection before it is served (to read the peer's address). Returns
/// when `incoming` ends, or with the first accept error: filter out
/// transient errors (`ECONNABORTED`, `EMFILE`) in the stream if the loop
/// must survive them. Outcomes of sessions are not reported here; a store
/// that needs them logs in its own methods or its `Drop`.
pub async fn serve_all<I, IO, S, MS, SP>(
    incoming: I,
    limit: ConnectionLimit,
    options: Arc<ServerOptions>,
    mut make_store: MS,
    spawn: SP,
) -> io::Result<()>
where
    I: Stream<Item = io::Result<IO>> + Unpin,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: MailStore + 'static,
    MS: FnMut(&IO) -> S,
    SP: FnMut(ConnectionTask),
{
    let busy_options = options.clone();
    postwire_io::serve_each(
        incoming,
        limit,
        move |io: IO| {
            let store = make_store(&io);
            let options = options.clone();
            async move {
                let _ = serve(io, &options, store).await;
            }
        },
        move |io: IO| {
            let options = busy_options.clone();
            async move {
                let _ = reject_busy(io, &options).await;
            }
        },
        spawn,
    )
    .await
}
