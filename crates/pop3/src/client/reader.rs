//! [`MessageReader`]: the content of one RETR or TOP, as it arrives.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes};
use futures_io::{AsyncRead, AsyncWrite};
use postwire_core::CommandId;
use postwire_pop3_proto::Response;
use postwire_pop3_proto::client::Event;

use super::error::Error;
use super::session::Pop3Client;

/// The content of one message (RETR) or its top (TOP), read chunk by chunk
/// from the connection: dot-unstuffed (RFC 1939 §3), CRLF line endings,
/// never held whole. Chunk boundaries follow the network reads and carry no
/// meaning.
///
/// Read it with [`next_chunk`](Self::next_chunk) or through `futures-io`'s
/// [`AsyncRead`] (to copy it into a file). Both are cancellation-safe:
/// dropping a pending read loses no data. Dropping the reader before the
/// end is fine too: the client's next operation reads the rest and
/// discards it (POP3 has no way to stop a RETR).
pub struct MessageReader<'a, IO> {
    client: &'a mut Pop3Client<IO>,
    id: CommandId,
    response: Response,
    /// What `poll_read` took from a chunk and has not handed out yet.
    buffer: Bytes,
    done: bool,
}

impl<IO> std::fmt::Debug for MessageReader<'_, IO> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageReader")
            .field("id", &self.id)
            .field("response", &self.response)
            .field("buffered", &self.buffer.len())
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<'a, IO> MessageReader<'a, IO>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    pub(super) fn new(client: &'a mut Pop3Client<IO>, id: CommandId, response: Response) -> Self {
        Self {
            client,
            id,
            response,
            buffer: Bytes::new(),
            done: false,
        }
    }

    /// The server's `+OK` to RETR or TOP (its text often gives the size).
    pub fn response(&self) -> &Response {
        &self.response
    }

    /// Whether the whole message was read.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The next piece of the message, or `None` at its end (the
    /// terminating `.` line, RFC 1939 §3).
    pub async fn next_chunk(&mut self) -> Result<Option<Bytes>, Error> {
        if !self.buffer.is_empty() {
            return Ok(Some(std::mem::take(&mut self.buffer)));
        }
        poll_fn(|cx| self.poll_chunk(cx)).await
    }

    /// Reads the rest of the message into memory.
    pub async fn to_vec(mut self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        while let Some(chunk) = self.next_chunk().await? {
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }

    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<Bytes>, Error>> {
        if self.done {
            return Poll::Ready(Ok(None));
        }
        loop {
            let event = match ready!(self.client.conn.poll_next_event(cx)) {
                Ok(Some(event)) => event,
                Ok(None) => return Poll::Ready(Err(self.fail(Error::ConnectionClosed))),
                Err(error) => return Poll::Ready(Err(self.fail(error.into()))),
            };
            match event {
                Event::MessageData { id, data } if id == self.id => {
                    if !data.is_empty() {
                        return Poll::Ready(Ok(Some(data)));
                    }
                }
                Event::MessageEnd { id } if id == self.id => {
                    self.done = true;
                    self.client.unread = None;
                    return Poll::Ready(Ok(None));
                }
                Event::Closed => return Poll::Ready(Err(self.fail(Error::ConnectionClosed))),
                _ => {
                    let error = Error::UnexpectedEvent("reading a message");
                    return Poll::Ready(Err(self.fail(error)));
                }
            }
        }
    }

    /// The connection failed mid-message: the client is given up.
    fn fail(&mut self, error: Error) -> Error {
        self.client.failed = true;
        self.done = true;
        error
    }
}

impl<IO> AsyncRead for MessageReader<'_, IO>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if this.buffer.is_empty() {
            match ready!(this.poll_chunk(cx)) {
                Ok(Some(chunk)) => this.buffer = chunk,
                Ok(None) => return Poll::Ready(Ok(0)),
                Err(error) => return Poll::Ready(Err(io::Error::other(error))),
            }
        }
        let n = buf.len().min(this.buffer.len());
        buf[..n].copy_from_slice(&this.buffer[..n]);
        this.buffer.advance(n);
        Poll::Ready(Ok(n))
    }
}
