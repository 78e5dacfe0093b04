//! Sending a streamed body (`BodySource::Stream`) on a connection: chunk by chunk, each pulled
//! from the handler's iterator only once the socket has taken the last (backpressure: a reader
//! that stops reading stops the iterator), compressed and flushed per chunk when negotiated,
//! keep-alive comments while an event stream is idle, and the iterator closed as soon as the
//! client goes away.

use super::core::Core;
use crate::app::stream::{Chunk, Next};
use crate::compression::StreamEncoder;
use crate::http::{self, Framing};
use monoio::io::AsyncWriteRentExt;
use monoio::net::TcpStream;
use std::os::fd::AsRawFd;
use std::time::Duration;

/// A write that makes no progress for this long means the client is gone for good.
const WRITE_STALL: Duration = Duration::from_secs(60);

/// SSE keep-alive: a comment line, ignored by `EventSource` (WHATWG HTML §9.2.6).
const PING: &[u8] = b": ping\n\n";

/// Whether the body was sent whole (the connection may serve another request).
pub(super) enum Sent {
    Whole,
    CutShort,
}

/// One streamed body on its way out.
pub(super) struct Outgoing<'a> {
    pub w: &'a Core,
    pub id: u64,
    pub framing: Framing,
    pub encoder: Option<StreamEncoder>,
    /// Bytes of the body sent so far (a declared length must be met exactly).
    pub sent: u64,
}

impl Outgoing<'_> {
    /// Sends the stream after `head` (the response head, not yet written) and closes it.
    pub async fn send(mut self, s: &mut TcpStream, head: Vec<u8>) -> Sent {
        let sent = self.pump(s, head).await;
        let w = self.w;
        let _py = w.interp.attached();
        w.app.close_stream(self.id, &w.pending);
        sent
    }

    async fn pump(&mut self, s: &mut TcpStream, head: Vec<u8>) -> Sent {
        let w = self.w;
        let ping = w.app.stream_ping(self.id);
        let mut out = head;
        // Readiness of the socket while waiting is how a departed client is noticed. One wait
        // stays armed across chunks (re-arming it per chunk cost an io_uring poll and its
        // cancellation for every event); once the client has sent more (a pipelined request),
        // it stays readable, so the watch ends.
        let mut watch: Option<Watch> = None;
        let mut watching = true;
        loop {
            let next = {
                let _py = w.interp.attached();
                w.app.next_chunk(self.id, &w.pending)
            };
            let chunk = match next {
                Next::Ready(c) => c,
                Next::Pending(token) => {
                    // What is ready goes out before waiting for more.
                    if !out.is_empty() {
                        match write(s, out).await {
                            Some(b) => out = b,
                            None => return Sent::CutShort,
                        }
                    }
                    if watching && watch.is_none() {
                        watch = Watch::start(s);
                    }
                    let mut wait = std::pin::pin!(w.pending.wait_chunk(token));
                    loop {
                        let silence = ping.unwrap_or(Duration::from_secs(3600));
                        let event = monoio::select! {
                            c = &mut wait => Waited::Chunk(c),
                            _ = monoio::time::sleep(silence) => Waited::Silence,
                            gone = watched(&mut watch) => Waited::Client(gone),
                        };
                        match event {
                            Waited::Chunk(c) => break c,
                            Waited::Silence if ping.is_some() => {
                                let Ok(()) = self.data(&mut out, PING) else {
                                    return Sent::CutShort;
                                };
                                match write(s, out).await {
                                    Some(b) => out = b,
                                    None => return Sent::CutShort,
                                }
                            }
                            Waited::Silence => {}
                            Waited::Client(true) => return Sent::CutShort,
                            Waited::Client(false) => {
                                watch = None;
                                watching = false;
                            }
                        }
                    }
                }
            };
            match chunk {
                Chunk::Data(d) => {
                    if self.data(&mut out, &d).is_err() {
                        let _ = write(s, out).await;
                        return Sent::CutShort;
                    }
                }
                Chunk::End(d) => {
                    if self.last(&mut out, &d).is_err() {
                        let _ = write(s, out).await;
                        return Sent::CutShort;
                    }
                    let whole = match self.framing {
                        Framing::Declared(n) => self.sent == n,
                        _ => true,
                    };
                    return match write(s, out).await {
                        Some(_) if whole => Sent::Whole,
                        _ => Sent::CutShort,
                    };
                }
                Chunk::Failed => {
                    // Headers are out: all that is left is to end the body short, which the
                    // client sees as an incomplete response (no last chunk).
                    let _ = write(s, out).await;
                    return Sent::CutShort;
                }
            }
            if w.abandoned() {
                let _ = write(s, out).await;
                return Sent::CutShort;
            }
            if !out.is_empty() {
                match write(s, out).await {
                    Some(b) => out = b,
                    None => return Sent::CutShort,
                }
            }
        }
    }

    /// Appends `data` as the framing wants it, through the encoder if any.
    fn data(&mut self, out: &mut Vec<u8>, data: &[u8]) -> std::io::Result<()> {
        let encoded;
        let bytes = match &mut self.encoder {
            Some(e) => {
                encoded = e.chunk(data)?;
                &encoded[..]
            }
            None => data,
        };
        self.frame(out, bytes)
    }

    fn last(&mut self, out: &mut Vec<u8>, data: &[u8]) -> std::io::Result<()> {
        let bytes = match self.encoder.take() {
            Some(e) => e.finish(data)?,
            None => data.to_vec(),
        };
        self.frame(out, &bytes)?;
        if self.framing == Framing::Chunked {
            out.extend_from_slice(http::LAST_CHUNK);
        }
        Ok(())
    }

    fn frame(&mut self, out: &mut Vec<u8>, bytes: &[u8]) -> std::io::Result<()> {
        self.sent += bytes.len() as u64;
        match self.framing {
            Framing::Chunked => http::write_chunk(out, bytes),
            Framing::Declared(n) if self.sent > n => {
                // More than the handler announced: the client would read the rest as the next
                // response. Send what was announced and end the connection.
                let over = (self.sent - n) as usize;
                out.extend_from_slice(&bytes[..bytes.len() - over]);
                return Err(std::io::Error::other(
                    "stream longer than its content-length",
                ));
            }
            _ => out.extend_from_slice(bytes),
        }
        Ok(())
    }
}

enum Waited {
    Chunk(Chunk),
    Silence,
    /// The socket turned readable: true when the client closed or reset it.
    Client(bool),
}

/// Writes `buf` whole; the emptied buffer back, or None when the client is gone (or stalled).
async fn write(s: &mut TcpStream, buf: Vec<u8>) -> Option<Vec<u8>> {
    match monoio::time::timeout(WRITE_STALL, s.write_all(buf)).await {
        Ok((Ok(_), mut b)) => {
            b.clear();
            Some(b)
        }
        _ => None,
    }
}

/// A readiness wait on a streaming connection's socket that outlives one chunk: armed on a
/// duplicate of the socket's descriptor, so it borrows nothing from the connection, which
/// keeps writing meanwhile.
struct Watch(std::pin::Pin<Box<dyn std::future::Future<Output = bool>>>);

impl Watch {
    /// None when the descriptor cannot be duplicated (out of fds): the stream then goes on
    /// unwatched, noticing a departed client at its next write.
    fn start(s: &TcpStream) -> Option<Watch> {
        use std::os::fd::FromRawFd;
        // SAFETY: `s`'s fd is open; dup gives the watch a descriptor of its own to close.
        let fd = unsafe { libc::dup(s.as_raw_fd()) };
        if fd < 0 {
            return None;
        }
        // SAFETY: `fd` is fresh and owned by nothing else; it is only polled and peeked.
        let std_stream = unsafe { std::net::TcpStream::from_raw_fd(fd) };
        let twin = TcpStream::from_std(std_stream).ok()?;
        Some(Watch(Box::pin(async move { client_gone(&twin).await })))
    }
}

/// The watch's outcome (never, without a watch): true if the client closed or reset the
/// socket, false if it sent bytes (which stay queued for the next request).
async fn watched(watch: &mut Option<Watch>) -> bool {
    match watch {
        Some(w) => w.0.as_mut().await,
        None => std::future::pending().await,
    }
}

/// Resolves when the socket turns readable: true if the client closed or reset it, false if it
/// sent bytes.
async fn client_gone(s: &TcpStream) -> bool {
    loop {
        if s.readable(false).await.is_err() {
            return true;
        }
        let mut probe = [0u8; 1];
        // SAFETY: the fd is owned by `s`, alive here; MSG_PEEK leaves any data for the next read.
        let n = unsafe {
            libc::recv(
                s.as_raw_fd(),
                probe.as_mut_ptr().cast(),
                1,
                libc::MSG_PEEK | libc::MSG_DONTWAIT,
            )
        };
        match n {
            0 => return true,
            n if n > 0 => return false,
            _ if std::io::Error::last_os_error().kind() == std::io::ErrorKind::WouldBlock => {}
            _ => return true,
        }
    }
}
