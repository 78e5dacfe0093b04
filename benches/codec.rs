//! Hot-path codec costs: one typical request head, one chunked body.
//!
//! Run with `cargo bench --bench codec`. Numbers are per call on one core; compare them with
//! the ~5 µs per-request floor in DESIGN.md §7.

use std::hint::black_box;

use _native::http::{parse_request, ChunkStatus, ChunkedDecoder, Limits, Parsed};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// What a browser-ish or load-generator client sends: request line plus 8 header fields.
const GET_8_HEADERS: &[u8] = b"GET /api/items/42?expand=owner&limit=10 HTTP/1.1\r\n\
Host: localhost:8000\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n\
Accept: application/json, text/plain, */*\r\n\
Accept-Language: en-US,en;q=0.5\r\n\
Accept-Encoding: gzip, deflate, br\r\n\
Connection: keep-alive\r\n\
Cookie: sessionid=8a7f6e5d4c3b2a1908f7e6d5c4b3a291; csrftoken=Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe\r\n\
Cache-Control: no-cache\r\n\
\r\n";

/// A 4 KiB body sent as four 1 KiB chunks, the shape of a streamed JSON upload.
fn chunked_4k() -> Vec<u8> {
    let mut body = Vec::new();
    for i in 0..4u8 {
        body.extend_from_slice(b"400\r\n");
        body.extend(std::iter::repeat_n(b'a' + i, 1024));
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"0\r\n\r\n");
    body
}

fn bench_parse_request(c: &mut Criterion) {
    let limits = Limits::default();
    assert!(matches!(
        parse_request(GET_8_HEADERS, &limits),
        Ok(Parsed::Complete { .. })
    ));
    let mut group = c.benchmark_group("parse_request");
    group.throughput(Throughput::Bytes(GET_8_HEADERS.len() as u64));
    group.bench_function("get_8_headers", |b| {
        b.iter(|| parse_request(black_box(GET_8_HEADERS), &limits))
    });
    group.finish();
}

fn bench_chunked(c: &mut Criterion) {
    let input = chunked_4k();
    let mut out = Vec::with_capacity(4096);
    let mut group = c.benchmark_group("chunked");
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.bench_function("decode_4k", |b| {
        b.iter(|| {
            out.clear();
            let mut decoder = ChunkedDecoder::new(Limits::default().max_body_bytes);
            let status = decoder.decode(black_box(&input), &mut out);
            assert!(matches!(status, Ok(ChunkStatus::Done { .. })));
            out.len()
        })
    });
    group.finish();
}

criterion_group!(benches, bench_parse_request, bench_chunked);
criterion_main!(benches);
