//! Compression CPU on the load tests' 50 KiB JSON document (`data/catalog-50k.json`, the exact
//! body of `loadtests/bench_api.py`'s `GET /catalog`).
//!
//! Run with `cargo bench --bench compression`. Two groups:
//! - `deflate`: the two pure-Rust deflate implementations flate2 can sit on, called directly on
//!   the same bytes at levels 1 and 6 (raw deflate; gzip adds a 10-byte header and a CRC-32),
//!   so the choice of flate2's backend in Cargo.toml can be re-checked in one run.
//! - `encode`: what a response costs through `Compression::encode` at the levels bolt and
//!   django-bolt 0.13 apply (gzip goes through whichever flate2 backend is compiled in).

use std::hint::black_box;

use _native::compression::{Coding, Compression};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const BODY: &[u8] = include_bytes!("data/catalog-50k.json");

fn bench_deflate_backends(c: &mut Criterion) {
    let mut g = c.benchmark_group("deflate");
    g.throughput(Throughput::Bytes(BODY.len() as u64));
    // Big enough for any deflate output of this body (stored blocks cost 5 bytes per 64 KiB).
    let mut out = vec![0u8; BODY.len() + 4096];
    for level in [1u8, 6] {
        let miniz = miniz_oxide::deflate::compress_to_vec(BODY, level).len();
        let zlib = zlib_rs::compress_slice(&mut out, BODY, raw(level)).0.len();
        eprintln!("deflate level {level}: miniz_oxide {miniz} bytes, zlib-rs {zlib} bytes");
        g.bench_function(format!("miniz_oxide/{level}"), |b| {
            b.iter(|| miniz_oxide::deflate::compress_to_vec(black_box(BODY), level).len())
        });
        g.bench_function(format!("zlib-rs/{level}"), |b| {
            b.iter(|| {
                let (done, rc) = zlib_rs::compress_slice(&mut out, black_box(BODY), raw(level));
                assert_eq!(rc, zlib_rs::ReturnCode::Ok);
                done.len()
            })
        });
    }
    g.finish();
}

/// zlib-rs set up for raw deflate, as miniz_oxide's `compress_to_vec` produces.
fn raw(level: u8) -> zlib_rs::DeflateConfig {
    zlib_rs::DeflateConfig {
        window_bits: -15,
        ..zlib_rs::DeflateConfig::new(i32::from(level))
    }
}

fn bench_encode(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode");
    g.throughput(Throughput::Bytes(BODY.len() as u64));
    let cases: [(&str, Coding, Compression); 6] = [
        ("gzip/1", Coding::Gzip, with(|c| c.gzip_level = 1)),
        ("gzip/6", Coding::Gzip, with(|c| c.gzip_level = 6)),
        ("br/3-lgwin14", Coding::Brotli, with(|c| c.brotli_level = 3)),
        (
            "br/3-lgwin22",
            Coding::Brotli,
            with(|c| {
                c.brotli_level = 3;
                c.brotli_lgwin = 22
            }),
        ),
        ("br/5-lgwin14", Coding::Brotli, with(|c| c.brotli_level = 5)),
        ("zstd/3", Coding::Zstd, with(|c| c.zstd_level = 3)),
    ];
    for (name, coding, cfg) in cases {
        let size = cfg.encode(coding, BODY).unwrap().len();
        eprintln!("encode/{name}: {} -> {size} bytes", BODY.len());
        g.bench_function(name, |b| {
            b.iter(|| cfg.encode(coding, black_box(BODY)).unwrap().len())
        });
    }
    g.finish();
}

fn with(f: impl FnOnce(&mut Compression)) -> Compression {
    let mut c = Compression::default();
    f(&mut c);
    c
}

criterion_group!(benches, bench_deflate_backends, bench_encode);
criterion_main!(benches);
