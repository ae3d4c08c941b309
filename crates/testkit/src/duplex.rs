//! An in-memory duplex stream with a bounded buffer per direction.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use futures_io::{AsyncRead, AsyncWrite};

/// How a [`duplex`] pair behaves.
#[derive(Clone, Copy, Debug)]
pub struct DuplexOptions {
    /// Bytes each direction buffers before a write waits for the reader.
    pub capacity: usize,
    /// The most bytes one `poll_read` returns (1 gives 1-byte segments).
    pub max_read: usize,
    /// The most bytes one `poll_write` accepts.
    pub max_write: usize,
}

impl Default for DuplexOptions {
    fn default() -> Self {
        Self {
            capacity: 64 * 1024,
            max_read: usize::MAX,
            max_write: usize::MAX,
        }
    }
}

#[derive(Default)]
struct Pipe {
    buf: VecDeque<u8>,
    capacity: usize,
    writer_closed: bool,
    reader_dropped: bool,
    read_waker: Option<Waker>,
    write_waker: Option<Waker>,
}

impl Pipe {
    fn wake_reader(&mut self) {
        if let Some(w) = self.read_waker.take() {
            w.wake();
        }
    }

    fn wake_writer(&mut self) {
        if let Some(w) = self.write_waker.take() {
            w.wake();
        }
    }
}

/// One end of an in-memory duplex stream; see [`duplex`].
pub struct DuplexStream {
    read: Arc<Mutex<Pipe>>,
    write: Arc<Mutex<Pipe>>,
    max_read: usize,
    max_write: usize,
}

impl std::fmt::Debug for DuplexStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DuplexStream").finish_non_exhaustive()
    }
}

fn lock(pipe: &Mutex<Pipe>) -> MutexGuard<'_, Pipe> {
    // A panic in another test thread must not cascade into this one.
    pipe.lock().unwrap_or_else(|e| e.into_inner())
}

/// A connected pair whose directions each buffer `capacity` bytes.
pub fn duplex(capacity: usize) -> (DuplexStream, DuplexStream) {
    duplex_with(DuplexOptions {
        capacity,
        ..DuplexOptions::default()
    })
}

/// A connected pair with the given options (the same for both ends).
pub fn duplex_with(options: DuplexOptions) -> (DuplexStream, DuplexStream) {
    let capacity = options.capacity.max(1);
    let a_to_b = Arc::new(Mutex::new(Pipe {
        capacity,
        ..Pipe::default()
    }));
    let b_to_a = Arc::new(Mutex::new(Pipe {
        capacity,
        ..Pipe::default()
    }));
    let max_read = options.max_read.max(1);
    let max_write = options.max_write.max(1);
    let a = DuplexStream {
        read: b_to_a.clone(),
        write: a_to_b.clone(),
        max_read,
        max_write,
    };
    let b = DuplexStream {
        read: a_to_b,
        write: b_to_a,
        max_read,
        max_write,
    };
    (a, b)
}

impl DuplexStream {
    /// Bytes written by the other end that this end has not read yet.
    pub fn unread(&self) -> usize {
        lock(&self.read).buf.len()
    }
}

impl AsyncRead for DuplexStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let max_read = self.max_read;
        let mut pipe = lock(&self.read);
        if out.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if pipe.buf.is_empty() {
            if pipe.writer_closed {
                return Poll::Ready(Ok(0));
            }
            pipe.read_waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let n = pipe.buf.len().min(out.len()).min(max_read);
        for (slot, byte) in out.iter_mut().zip(pipe.buf.drain(..n)) {
            *slot = byte;
        }
        pipe.wake_writer();
        Poll::Ready(Ok(n))
    }
}

impl AsyncWrite for DuplexStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let max_write = self.max_write;
        let mut pipe = lock(&self.write);
        if pipe.reader_dropped || pipe.writer_closed {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        if data.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let free = pipe.capacity - pipe.buf.len();
        if free == 0 {
            pipe.write_waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let n = free.min(data.len()).min(max_write);
        pipe.buf.extend(&data[..n]);
        pipe.wake_reader();
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut pipe = lock(&self.write);
        pipe.writer_closed = true;
        pipe.wake_reader();
        Poll::Ready(Ok(()))
    }
}

impl Drop for DuplexStream {
    fn drop(&mut self) {
        let mut w = lock(&self.write);
        w.writer_closed = true;
        w.wake_reader();
        drop(w);
        let mut r = lock(&self.read);
        r.reader_dropped = true;
        r.wake_writer();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    fn cx() -> Context<'static> {
        Context::from_waker(Waker::noop())
    }

    #[test]
    fn writes_wait_when_the_buffer_is_full() {
        let (mut a, mut b) = duplex(4);
        let mut cx = cx();
        let r = Pin::new(&mut a).poll_write(&mut cx, b"hello");
        assert!(matches!(r, Poll::Ready(Ok(4))));
        assert!(Pin::new(&mut a).poll_write(&mut cx, b"o").is_pending());
        let mut buf = [0u8; 8];
        let r = Pin::new(&mut b).poll_read(&mut cx, &mut buf);
        assert!(matches!(r, Poll::Ready(Ok(4))));
        assert_eq!(&buf[..4], b"hell");
        assert!(Pin::new(&mut b).poll_read(&mut cx, &mut buf).is_pending());
    }

    #[test]
    fn close_gives_eof_and_max_read_splits() {
        let (mut a, mut b) = duplex_with(DuplexOptions {
            capacity: 16,
            max_read: 1,
            max_write: 16,
        });
        let mut cx = cx();
        assert!(Pin::new(&mut a).poll_write(&mut cx, b"ab").is_ready());
        assert!(Pin::new(&mut a).poll_close(&mut cx).is_ready());
        let mut buf = [0u8; 8];
        assert!(matches!(
            Pin::new(&mut b).poll_read(&mut cx, &mut buf),
            Poll::Ready(Ok(1))
        ));
        assert!(matches!(
            Pin::new(&mut b).poll_read(&mut cx, &mut buf),
            Poll::Ready(Ok(1))
        ));
        assert!(matches!(
            Pin::new(&mut b).poll_read(&mut cx, &mut buf),
            Poll::Ready(Ok(0))
        ));
    }

    #[test]
    fn writing_to_a_dropped_peer_is_broken_pipe() {
        let (mut a, b) = duplex(4);
        drop(b);
        let r = Pin::new(&mut a).poll_write(&mut cx(), b"x");
        assert!(matches!(r, Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::BrokenPipe));
    }
}
