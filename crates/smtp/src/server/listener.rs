//! [`serve_all`]: a listener loop with a connection cap, on any runtime.

use std::io;
use std::sync::Arc;

use futures_io::{AsyncRead, AsyncWrite};
use futures_lite::Stream;

use super::handler::Handler;
use super::limit::reject_busy;
use super::options::ServerOptions;
use super::session::serve;
use postwire_io::ConnectionLimit;

pub use postwire_io::ConnectionTask;

/// Serves every connection `incoming` yields, each in a task handed to
/// `spawn`, at most `limit.max()` at once; connections over the cap get
/// `421 4.3.2` and are closed (see [`reject_busy`]).
///
/// `futures-io` has no sockets, so the application brings its listener as
/// a stream of accepted connections (for tokio: a `TcpListener` accept loop
/// mapped through `compat()`), a `spawn` for its runtime
/// (`|task| { tokio::spawn(task); }`), and `make_handler`, which sees each
/// connection before it is served (to read the peer's address). Returns
/// when `incoming` ends, or with the first accept error: filter out
/// transient errors (`ECONNABORTED`, `EMFILE`) in the stream if the loop
/// must survive them. Outcomes of sessions are not reported here; a
/// handler that needs them logs in its own methods or its `Drop`.
pub async fn serve_all<S, IO, H, MH, SP>(
    incoming: S,
    limit: ConnectionLimit,
    options: Arc<ServerOptions>,
    mut make_handler: MH,
    spawn: SP,
) -> io::Result<()>
where
    S: Stream<Item = io::Result<IO>> + Unpin,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    H: Handler + 'static,
    MH: FnMut(&IO) -> H,
    SP: FnMut(ConnectionTask),
{
    let busy_options = options.clone();
    postwire_io::serve_each(
        incoming,
        limit,
        move |io: IO| {
            let handler = make_handler(&io);
            let options = options.clone();
            async move {
                let _ = serve(io, &options, handler).await;
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
