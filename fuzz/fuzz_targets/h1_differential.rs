//! Differential check of the request framing (src/http/frame.rs) against hyper's HTTP/1 server:
//! the same bytes go to `next_request` (called as the connection loop calls it, request after
//! request) and to `hyper::server::conn::http1` over an in-memory duplex whose client writes
//! the input and then closes. Each side reports the requests it saw (method, target, decoded
//! body) and how the connection ended (clean, an incomplete message at the close, a refusal).
//!
//! Findings, besides crashes:
//! - a request both accepted with a different method, target or body: the two disagree on
//!   where a body ends or where the next request starts (request smuggling, RFC 9112 §11.2);
//! - a request hyper refused or found incomplete that we accepted;
//! - a request we refused that hyper accepted, unless our refusal is one of the stricter rules
//!   we chose on purpose (`chosen_stricter`, each with its RFC 9112 section).
//!
//! Inputs ending mid-message: one side may refuse what the other still waits for (a bad byte
//! seen now or only after more arrives); both "refused" and "incomplete" mean no request, so
//! they count as agreement there.
//!
//! A few fixed inputs, each with the decision both must reach, run once per process before the
//! first fuzz input (`fixed_cases`): `scripts/fuzz.sh 30 h1_differential` checks them first.
#![no_main]

use _native::http::{next_request, Framed, HttpError, Limits};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, Mutex, Once};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    method: String,
    target: String,
    body: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// Every byte was used by complete requests (or the last one closed the connection).
    Clean,
    /// The input stopped inside a message.
    Incomplete,
    /// A message was refused (ours: with this error).
    Refused(Option<HttpError>),
}

/// Limits as close to hyper's defaults as ours go: 100 headers, a head well inside hyper's
/// 400 KB read buffer, bodies far over the fuzzer's input size.
fn limits() -> Limits {
    Limits {
        max_head_bytes: 64 * 1024,
        max_headers: 100,
        max_uri_len: 16 * 1024,
        max_body_bytes: 1 << 20,
    }
}

fn ours(input: &[u8]) -> (Vec<Seen>, End) {
    let limits = limits();
    let mut seen = Vec::new();
    let mut at = 0;
    loop {
        if at == input.len() {
            return (seen, End::Clean);
        }
        match next_request(&input[at..], &limits) {
            Framed::Request { head, body, used } => {
                seen.push(Seen {
                    method: head.method_str.clone(),
                    target: head.target.clone(),
                    body,
                });
                at += used;
                // The connection loop closes after a request that does not keep alive.
                if !head.keep_alive {
                    return (seen, End::Clean);
                }
            }
            Framed::NeedMore { .. } => return (seen, End::Incomplete),
            Framed::Reject(e) => return (seen, End::Refused(Some(e))),
        }
    }
}

fn hyper_side(input: &[u8]) -> (Vec<Seen>, End) {
    thread_local! {
        static RT: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a tokio runtime");
    }
    RT.with(|rt| {
        rt.block_on(async {
            let (mut client, server) = tokio::io::duplex(1 << 16);
            let seen = Arc::new(Mutex::new(Vec::new()));
            let record = seen.clone();
            let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let record = record.clone();
                async move {
                    let method = req.method().to_string();
                    let target = req
                        .uri()
                        .path_and_query()
                        .map_or_else(|| req.uri().to_string(), |p| p.to_string());
                    let body = req.into_body().collect().await?.to_bytes().to_vec();
                    record.lock().unwrap().push(Seen {
                        method,
                        target,
                        body,
                    });
                    Ok::<_, hyper::Error>(hyper::Response::new(Full::new(Bytes::new())))
                }
            });
            // half_close: our client writes everything and then shuts its side, as a pipelining
            // client may; without it hyper drops the request in flight at that EOF, unanswered
            // and unrecorded, while a server must still answer what it was sent (we do).
            let conn = http1::Builder::new()
                .half_close(true)
                .serve_connection(TokioIo::new(server), svc);
            let input = input.to_vec();
            let peer = async move {
                let _ = client.write_all(&input).await;
                let _ = client.shutdown().await;
                let mut sink = Vec::new();
                let _ = client.read_to_end(&mut sink).await;
            };
            let (res, ()) = tokio::join!(conn, peer);
            let end = match res {
                Ok(()) => End::Clean,
                Err(e) if e.is_parse() || e.is_parse_too_large() => End::Refused(None),
                Err(_) => End::Incomplete,
            };
            let seen = seen.lock().unwrap().clone();
            (seen, end)
        })
    })
}

/// Our refusals that hyper does not make, chosen on purpose: each closes a door that a
/// front-end and a back-end could walk through differently.
fn chosen_stricter(e: HttpError) -> Option<&'static str> {
    use HttpError::*;
    Some(match e {
        // §2.2: a recipient MAY accept a bare LF; an intermediary that does not would frame
        // the message differently (§11.2).
        BareLf => "RFC 9112 §2.2: bare LF line terminator",
        // §6.3 (5) allows folding identical values; we refuse any repetition.
        DuplicateContentLength => "RFC 9112 §6.3: repeated Content-Length",
        // §6.1: a server MAY let Transfer-Encoding win; we refuse both (§11.2).
        ContentLengthWithTransferEncoding => "RFC 9112 §6.1: Content-Length with Transfer-Encoding",
        // §6.1: we decode only the plain `chunked` list (hyper takes `gzip, chunked` as chunked
        // and several Transfer-Encoding fields as one list).
        UnsupportedTransferEncoding | DuplicateTransferEncoding => {
            "RFC 9112 §6.1: a coding list other than `chunked`"
        }
        // §6.1: Transfer-Encoding in an HTTP/1.0 request MAY be treated as faulty.
        TransferEncodingHttp10 => "RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0",
        // §3.2: a server MUST answer 400 to a 1.1 request without Host or with several
        // (hyper leaves that to the application).
        MissingHost | DuplicateHost => "RFC 9112 §3.2: Host missing or repeated",
        // §3.2: request-target forms checked against the method (origin-form for most,
        // authority-form only for CONNECT, asterisk only for OPTIONS); hyper takes any URI.
        InvalidTarget => "RFC 9112 §3.2: request-target form",
        // §2.3: only HTTP/1.0 and 1.1; hyper maps other 1.x versions to 1.1.
        VersionNotSupported | InvalidVersion => "RFC 9112 §2.3: HTTP version",
        // §5.1: no whitespace between field name and colon (hyper refuses it as well, but
        // through its parser, which may also wait for more bytes first).
        WhitespaceBeforeColon | ObsFold => "RFC 9112 §5.1/§5.2: field syntax",
        // §7.1.1 / §7.1.2: our bounds on a chunk-size line and trailers are tighter than
        // hyper's (16 KiB of extensions).
        ChunkLineTooLong | TrailersTooLarge => "RFC 9112 §7.1: chunk line and trailer bounds",
        // §7.1: recipients MUST guard against overflowing chunk sizes; we refuse a 17th hex
        // digit even when the leading ones are zeros (hyper takes any number of zeros): a u64
        // needs 16, and padding is only there to make two parsers count differently.
        ChunkSizeOverflow => "RFC 9112 §7.1: chunk-size longer than 16 hex digits",
        _ => return None,
    })
}

/// Compares the two sides; panics with the difference when it is not one we chose.
fn compare(input: &[u8]) {
    let (our_reqs, our_end) = ours(input);
    let (hy_reqs, hy_end) = hyper_side(input);
    let both = our_reqs.len().min(hy_reqs.len());
    for i in 0..both {
        assert_eq!(
            our_reqs[i], hy_reqs[i],
            "request {i} framed differently\nours:  {our_reqs:?} {our_end:?}\nhyper: {hy_reqs:?} {hy_end:?}"
        );
    }
    // CONNECT answered 2xx turns the connection into a tunnel in hyper: what follows is not
    // requests. We refuse CONNECT targets we do not serve later, in the application.
    if hy_reqs.iter().any(|r| r.method == "CONNECT") {
        return;
    }
    if our_reqs.len() > hy_reqs.len() {
        panic!(
            "we accepted a request hyper did not\nours:  {our_reqs:?} {our_end:?}\nhyper: {hy_reqs:?} {hy_end:?}"
        );
    }
    if hy_reqs.len() > our_reqs.len() {
        match our_end {
            End::Refused(Some(e)) if chosen_stricter(e).is_some() => {}
            _ => panic!(
                "hyper accepted a request we did not\nours:  {our_reqs:?} {our_end:?}\nhyper: {hy_reqs:?} {hy_end:?}"
            ),
        }
    }
}

/// Fixed inputs and the decision both sides must reach (or, for the chosen differences, the
/// refusal we must make while hyper accepts).
fn fixed_cases() {
    let get = b"GET /a HTTP/1.1\r\nHost: h\r\n\r\n".to_vec();
    let agreed: &[(&[u8], usize, &[&[u8]])] = &[
        // Two pipelined requests, Content-Length body between them.
        (
            b"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET /a HTTP/1.1\r\nHost: h\r\n\r\n",
            2,
            &[b"hello", b""],
        ),
        // Chunked with an extension and a trailer, then the next request.
        (
            b"POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\nGET /a HTTP/1.1\r\nHost: h\r\n\r\n",
            2,
            &[b"abcde", b""],
        ),
        // Connection: close ends the connection: the bytes after it are not a request.
        (
            b"GET /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n",
            1,
            &[b""],
        ),
        // A body cut short is no request.
        (b"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc", 0, &[]),
    ];
    for (input, n, bodies) in agreed {
        compare(input);
        let (reqs, _) = ours(input);
        assert_eq!(reqs.len(), *n, "{:?}", String::from_utf8_lossy(input));
        for (r, b) in reqs.iter().zip(bodies.iter()) {
            assert_eq!(&r.body[..], *b);
        }
        assert_eq!(hyper_side(input).0, reqs);
    }
    let chosen: &[(&[u8], HttpError)] = &[
        (
            b"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            HttpError::ContentLengthWithTransferEncoding,
        ),
        (
            b"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
            HttpError::DuplicateContentLength,
        ),
        (b"GET /a HTTP/1.1\nHost: h\n\n", HttpError::BareLf),
        (b"GET /a HTTP/1.1\r\n\r\n", HttpError::MissingHost),
    ];
    for (input, err) in chosen {
        compare(input);
        assert_eq!(ours(input), (vec![], End::Refused(Some(*err))));
        assert_eq!(hyper_side(input).0.len(), 1, "hyper accepts {err:?}");
    }
    compare(&get);
}

static FIXED: Once = Once::new();

fuzz_target!(|data: &[u8]| {
    FIXED.call_once(fixed_cases);
    compare(data);
});
