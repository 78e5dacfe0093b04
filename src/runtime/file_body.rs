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

/// The read-then-write loop both drivers share: `read(buf, want, pos)` fills the owned `buf`
/// (handed over empty) with up to `want` bytes from `pos` and hands it back with the count;
/// the buffer then goes to the socket and comes back for the next read.
async fn pump<F>(
    s: &mut TcpStream,
    offset: u64,
    len: u64,
    mut read: impl FnMut(Vec<u8>, usize, u64) -> F,
) -> io::Result<()>
where
    F: std::future::Future<Output = io::Result<(usize, Vec<u8>)>>,
{
    let end = offset + len;
    let mut pos = offset;
    let mut buf: Vec<u8> = Vec::with_capacity(chunk_len(pos, end));
    while pos < end {
        buf.clear();
        let (n, b) = read(buf, chunk_len(pos, end), pos).await?;
        if n == 0 {
            return Err(truncated());
        }
        pos += n as u64;
        let (res, b) = s.write_all(b).await;
        buf = b;
        res?;
    }
    Ok(())
}

async fn send_uring(s: &mut TcpStream, path: &Path, offset: u64, len: u64) -> io::Result<()> {
    let file = monoio::fs::File::open(path).await?;
    let f = &file;
    let result = pump(s, offset, len, |buf, want, pos| async move {
        let (res, slice) = f.read_at(buf.slice_mut(0..want), pos).await;
        Ok((res?, slice.into_inner()))
    })
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
    pump(s, offset, len, |mut buf, want, pos| {
        let f = file.clone();
        blocking(move || {
            use std::os::unix::fs::FileExt;
            buf.resize(want, 0);
            let n = f.read_at(&mut buf, pos)?;
            buf.truncate(n);
            Ok((n, buf))
        })
    })
    .await
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
    use std::io::Read;

    #[test]
    fn chunks_cover_the_range_exactly() {
        assert_eq!(chunk_len(0, 10), 10);
        assert_eq!(chunk_len(0, 10 * CHUNK as u64), CHUNK);
        assert_eq!(chunk_len(5, 5 + CHUNK as u64 + 1), CHUNK);
        assert_eq!(chunk_len(u64::MAX - 3, u64::MAX), 3);
    }

    /// Serves one connection with `send(path, offset, len)` on a runtime of each driver (the
    /// epoll one with its read pool, as `worker.rs` builds it); returns, per driver, what
    /// `send` said and every byte the client received before the close.
    fn sent(path: &Path, offset: u64, len: u64) -> Vec<(&'static str, io::Result<()>, Vec<u8>)> {
        let serve = |path: std::path::PathBuf| async move {
            let listener = monoio::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let client = std::thread::spawn(move || {
                let mut got = Vec::new();
                let mut c = std::net::TcpStream::connect(addr).unwrap();
                let _ = c.read_to_end(&mut got);
                got
            });
            let (mut s, _) = listener.accept().await.unwrap();
            let res = send(&mut s, &path, offset, len).await;
            // A synchronous end of the stream: dropping `s` would queue an io_uring CLOSE
            // that nothing submits while this thread waits for the client below.
            // SAFETY: the fd is owned by `s`, alive here.
            unsafe { libc::shutdown(std::os::fd::AsRawFd::as_raw_fd(&s), libc::SHUT_RDWR) };
            let got = client.join().unwrap();
            drop(s);
            (res, got)
        };
        let mut out = Vec::new();
        let mut epoll = monoio::RuntimeBuilder::<monoio::LegacyDriver>::new()
            .enable_timer()
            .attach_thread_pool(Box::new(monoio::blocking::DefaultThreadPool::new(1)))
            .build()
            .unwrap();
        let (res, got) = epoll.block_on(serve(path.to_path_buf()));
        out.push(("epoll", res, got));
        // io_uring may be refused (a container's seccomp): then only epoll is checked here;
        // the black-box tests run both drivers.
        if let Ok(mut uring) = monoio::RuntimeBuilder::<monoio::IoUringDriver>::new()
            .enable_timer()
            .build()
        {
            let (res, got) = uring.block_on(serve(path.to_path_buf()));
            out.push(("io_uring", res, got));
        }
        out
    }

    fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path =
            std::env::temp_dir().join(format!("bolt-file-body-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn pattern(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 % 251) as u8).collect()
    }

    #[test]
    fn sends_exactly_the_range_in_several_chunks_on_both_drivers() {
        let data = pattern(3 * CHUNK + 1234);
        let path = temp_file("range", &data);
        for (offset, len, why) in [
            (0, data.len() as u64, "the whole file"),
            (
                1000,
                2 * CHUNK as u64 + 7,
                "a range across chunk boundaries",
            ),
            (data.len() as u64 - 1, 1, "the last byte"),
        ] {
            for (driver, res, got) in sent(&path, offset, len) {
                assert!(res.is_ok(), "{driver}: {why}: {res:?}");
                let want = &data[offset as usize..(offset + len) as usize];
                assert!(got == want, "{driver}: {why}: {} bytes", got.len());
            }
        }
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn a_file_shorter_than_announced_is_an_error_after_what_it_had() {
        let data = pattern(CHUNK + 10);
        let path = temp_file("short", &data);
        for (driver, res, got) in sent(&path, 0, data.len() as u64 + 100) {
            let err = res.expect_err(driver);
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{driver}");
            assert!(got == data, "{driver}: the bytes it had, then the close");
        }
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn a_missing_file_is_an_error_before_any_byte() {
        let path = std::env::temp_dir().join("bolt-file-body-does-not-exist");
        for (driver, res, got) in sent(&path, 0, 10) {
            assert_eq!(res.unwrap_err().kind(), io::ErrorKind::NotFound, "{driver}");
            assert!(got.is_empty(), "{driver}");
        }
    }
}
