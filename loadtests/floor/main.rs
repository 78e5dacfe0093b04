//! The floor: what `GET /hello` costs on bolt's own stack with no Python and no framework.
//!
//! monoio on io_uring (set up as bolt sets it up), httparse, sonic-rs and mimalloc, one thread
//! per core pinned to it, each with its own `SO_REUSEPORT` listener. It answers `GET /hello`
//! with the bytes bolt sends (status line, `server`, a `date` formatted once per second,
//! `content-type`, `content-length`, the JSON encoded by sonic-rs on every request), keeps
//! connections alive and answers pipelined requests in one write per read. Anything else gets a
//! 404; a request it cannot parse closes the connection. `loadtests/run.py` builds it
//! (`cargo build --release --example floor`) and measures hello against it in the same run, so
//! "bolt / floor" is what the framework costs on top of the wire.
//!
//! ```sh
//! cargo build --release --example floor
//! target/release/examples/floor --port 8001 --cores 0      # one thread pinned to cpu0
//! ```

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use monoio::io::{AsyncReadRent, AsyncWriteRentExt};
use monoio::net::{TcpListener, TcpStream};
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// bolt's read size (src/runtime/conn.rs).
const READ_CHUNK: usize = 8 * 1024;

#[derive(serde::Serialize)]
struct Hello {
    message: &'static str,
}

/// The `date` value, formatted when the second changes (as bolt's `DateCache`).
struct Date {
    secs: u64,
    text: String,
}

impl Date {
    fn get(&mut self) -> &str {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if secs != self.secs {
            self.text = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(secs));
            self.secs = secs;
        }
        &self.text
    }
}

fn write_head(out: &mut Vec<u8>, status: &str, date: &str, ctype: &str, len: usize, close: bool) {
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.as_bytes());
    out.extend_from_slice(b"\r\nserver: django-bolt\r\ndate: ");
    out.extend_from_slice(date.as_bytes());
    out.extend_from_slice(b"\r\ncontent-type: ");
    out.extend_from_slice(ctype.as_bytes());
    out.extend_from_slice(b"\r\ncontent-length: ");
    out.extend_from_slice(itoa::Buffer::new().format(len).as_bytes());
    if close {
        out.extend_from_slice(b"\r\nconnection: close");
    }
    out.extend_from_slice(b"\r\n\r\n");
}

/// Answers every complete request at the front of `buf` into `out`; returns how many bytes
/// they took and whether the connection must close after the write.
fn answer(buf: &[u8], out: &mut Vec<u8>, date: &mut Date) -> Result<(usize, bool), ()> {
    let mut used = 0;
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(&buf[used..]) {
            Ok(httparse::Status::Complete(n)) => {
                let close = req.version == Some(0)
                    || req.headers.iter().any(|h| {
                        h.name.eq_ignore_ascii_case("connection")
                            && h.value.eq_ignore_ascii_case(b"close")
                    });
                // No bodies here: a request with one is not what this server measures.
                if req.headers.iter().any(|h| {
                    h.name.eq_ignore_ascii_case("content-length") && h.value != b"0"
                        || h.name.eq_ignore_ascii_case("transfer-encoding")
                }) {
                    return Err(());
                }
                if req.method == Some("GET") && req.path == Some("/hello") {
                    let body = sonic_rs::to_vec(&Hello {
                        message: "Hello, World!",
                    })
                    .map_err(|_| ())?;
                    write_head(
                        out,
                        "200 OK",
                        date.get(),
                        "application/json",
                        body.len(),
                        close,
                    );
                    out.extend_from_slice(&body);
                } else {
                    let body = br#"{"detail":"Not Found"}"#;
                    write_head(
                        out,
                        "404 Not Found",
                        date.get(),
                        "application/json",
                        body.len(),
                        close,
                    );
                    out.extend_from_slice(body);
                }
                used += n;
                if close {
                    return Ok((used, true));
                }
            }
            Ok(httparse::Status::Partial) => return Ok((used, false)),
            Err(_) => return Err(()),
        }
    }
}

async fn serve_conn(mut s: TcpStream) {
    let _ = s.set_nodelay(true);
    let mut date = Date {
        secs: 0,
        text: String::new(),
    };
    let mut pending: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    let mut chunk = vec![0u8; READ_CHUNK];
    let mut out: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    loop {
        let (res, c) = s.read(chunk).await;
        chunk = c;
        let n = match res {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        // The common case (nothing left over) parses the read buffer itself, no copy.
        let (used, close) = if pending.is_empty() {
            match answer(&chunk[..n], &mut out, &mut date) {
                Ok((used, close)) => {
                    pending.extend_from_slice(&chunk[used..n]);
                    (used, close)
                }
                Err(()) => return,
            }
        } else {
            pending.extend_from_slice(&chunk[..n]);
            match answer(&pending, &mut out, &mut date) {
                Ok((used, close)) => {
                    pending.drain(..used);
                    (used, close)
                }
                Err(()) => return,
            }
        };
        let _ = used;
        if pending.len() > 64 * 1024 {
            return; // a head that never ends
        }
        if !out.is_empty() {
            let (res, o) = s.write_all(out).await;
            out = o;
            out.clear();
            if res.is_err() {
                return;
            }
        }
        if close {
            return;
        }
    }
}

fn listener(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let s = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        None,
    )?;
    s.set_reuse_address(true)?;
    s.set_reuse_port(true)?;
    s.set_nonblocking(true)?;
    s.bind(&addr.into())?;
    s.listen(4096)?;
    Ok(s.into())
}

fn run_core(cpu: usize, l: std::net::TcpListener) {
    if !core_affinity::set_for_current(core_affinity::CoreId { id: cpu }) {
        eprintln!("floor: could not pin to cpu{cpu}");
    }
    // bolt's setup: COOP_TASKRUN + SINGLE_ISSUER, else plain (src/runtime/worker.rs).
    let mut flagged = io_uring::IoUring::builder();
    flagged.setup_coop_taskrun().setup_single_issuer();
    let rt = monoio::RuntimeBuilder::<monoio::IoUringDriver>::new()
        .enable_timer()
        .with_entries(1024)
        .uring_builder(flagged)
        .build();
    let mut rt = match rt {
        Ok(rt) => rt,
        Err(_) => monoio::RuntimeBuilder::<monoio::IoUringDriver>::new()
            .enable_timer()
            .with_entries(1024)
            .build()
            .expect("io_uring runtime"),
    };
    rt.block_on(async move {
        let l = TcpListener::from_std(l).expect("listener");
        loop {
            match l.accept().await {
                Ok((s, _)) => {
                    monoio::spawn(serve_conn(s));
                }
                Err(e) => {
                    eprintln!("floor: accept: {e}");
                    monoio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
    });
}

fn main() {
    let mut host = "127.0.0.1".to_string();
    let mut port: u16 = 8001;
    let mut cpus: Vec<usize> = vec![0];
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--host" => host = v,
            "--port" => port = v.parse().expect("--port N"),
            // The CPUs to pin one thread each to: `0` or `0,1`.
            "--cores" => {
                cpus = v
                    .split(',')
                    .map(|c| c.trim().parse().expect("--cores 0,1"))
                    .collect()
            }
            _ => panic!("unknown option {a} (--host, --port, --cores)"),
        }
    }
    let addr: SocketAddr = format!("{host}:{port}").parse().expect("host:port");
    let threads: Vec<_> = cpus
        .iter()
        .map(|&cpu| {
            let l = listener(addr).unwrap_or_else(|e| panic!("bind {addr}: {e}"));
            std::thread::spawn(move || run_core(cpu, l))
        })
        .collect();
    println!("floor listening on http://{addr} | cores {cpus:?}");
    for t in threads {
        let _ = t.join();
    }
}
