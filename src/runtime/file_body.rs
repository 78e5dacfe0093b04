//! Sending a file body (`BodySource::File`) after its head, without blocking the core.
//!
//! The file is read and written in [`CHUNK`]-sized pieces through one buffer, so a download
//! costs one chunk of memory whatever the file's size, and the next read waits until the
//! socket took the previous chunk (a slow reader holds no more than that).
//!
//! Where the reads run depends on the driver:
//! - io_uring: `monoio::fs::File::read_at` is an io_uring READ; the kernel does the disk
//!   wait (in its io-wq workers when the page is not cached), never the core thread.
//! - epoll (monoio's legacy driver): regular files cannot be polled, and monoio 0.2.4's
//!   legacy `read_at` simply calls `pread64` on the calling thread. So the open and each
//!   chunk's `pread` go to a small per-core thread pool (`monoio::spawn_blocking`, monoio's
//!   `sync` feature; the pool is attached in `worker.rs`), and the core awaits them.
//!
//! The file is opened again by its canonical path: if it shrank since its size was announced,
//! the body cannot be completed and the connection is closed (the client sees a short body
//! rather than bytes that do not match the head). A client that goes away makes the write
//! fail: sending stops there and the file is closed.

use monoio::buf::IoBufMut;
use monoio::io::AsyncWriteRentExt;
use monoio::net::TcpStream;
use std::io;
use std::path::Path;
use std::sync::Arc;

/// Bytes read and written at a time: large enough that a gigabit stream needs few syscalls,
/// small enough that thousands of concurrent downloads stay in bounded memory.
pub const CHUNK: usize = 128 * 1024;

/// Threads per core for the epoll driver's file reads (`worker.rs`).
pub const READ_THREADS: usize = 2;

/// Writes `len` bytes of the file at `path`, from `offset`, to `s`. An error means the body
/// was not sent whole and the connection must be closed.
pub async fn send(s: &mut TcpStream, path: &Path, offset: u64, len: u64) -> io::Result<()> {
    if len == 0 {
        return Ok(());
    }
    if monoio::utils::is_legacy() {
        send_pooled(s, path, offset, len).await
    } else {
        send_uring(s, path, offset, len).await
    }
}

/// The next chunk's size at `pos` of a body ending at `end`.
fn chunk_len(pos: u64, end: u64) -> usize {
    usize::try_from(end - pos).map_or(CHUNK, |left| left.min(CHUNK))
}

fn truncated() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "file shrank while being sent")
}

async fn send_uring(s: &mut TcpStream, path: &Path, offset: u64, len: u64) -> io::Result<()> {
    let file = monoio::fs::File::open(path).await?;
    let result = async {
        let end = offset + len;
        let mut pos = offset;
        let mut buf: Vec<u8> = Vec::with_capacity(chunk_len(pos, end));
        while pos < end {
            let want = chunk_len(pos, end);
            buf.clear();
            let (res, slice) = file.read_at(buf.slice_mut(0..want), pos).await;
            buf = slice.into_inner();
            let n = res?;
            if n == 0 {
                return Err(truncated());
            }
            pos += n as u64;
            let (res, b) = s.write_all(buf).await;
            buf = b;
            res?;
        }
        Ok(())
    }
    .await;
    // Closed on every path (an io_uring CLOSE; dropping would close it too, later).
    let _ = file.close().await;
    result
}

async fn send_pooled(s: &mut TcpStream, path: &Path, offset: u64, len: u64) -> io::Result<()> {
    let owned = path.to_path_buf();
    let file = blocking(move || std::fs::File::open(owned)).await?;
    // Shared with the pool thread of each read; closed when the last `Arc` goes (here, or on
    // the pool thread if the connection task is dropped mid-read).
    let file = Arc::new(file);
    let end = offset + len;
    let mut pos = offset;
    let mut buf: Vec<u8> = Vec::with_capacity(chunk_len(pos, end));
    while pos < end {
        let want = chunk_len(pos, end);
        let f = file.clone();
        let (res, b) = blocking(move || {
            use std::os::unix::fs::FileExt;
            let mut buf = buf;
            buf.resize(want, 0);
            let res = f.read_at(&mut buf, pos);
            if let Ok(n) = res {
                buf.truncate(n);
            }
            Ok((res, buf))
        })
        .await?;
        buf = b;
        let n = res?;
        if n == 0 {
            return Err(truncated());
        }
        pos += n as u64;
        let (res, b) = s.write_all(buf).await;
        buf = b;
        res?;
    }
    Ok(())
}

/// Runs `f` on the core's file-read pool and waits for it without blocking the core.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    monoio::spawn_blocking(f)
        .await
        .map_err(|_| io::Error::other("file read task failed"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_range_exactly() {
        assert_eq!(chunk_len(0, 10), 10);
        assert_eq!(chunk_len(0, 10 * CHUNK as u64), CHUNK);
        assert_eq!(chunk_len(5, 5 + CHUNK as u64 + 1), CHUNK);
        assert_eq!(chunk_len(u64::MAX - 3, u64::MAX), 3);
    }
}
