//! Routing cost per request: a static route, a parameterised one, a miss and a 405.
//!
//! `cargo bench --bench router`

use _native::http::Method;
use _native::router::Router;
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

fn table() -> Router {
    let mut r = Router::new();
    let mut i = 0;
    for res in [
        "users", "items", "orders", "invoices", "products", "carts", "reviews", "tags",
    ] {
        for (m, p) in [
            ("GET", format!("/api/{res}")),
            ("POST", format!("/api/{res}")),
            ("GET", format!("/api/{res}/{{id}}")),
            ("PUT", format!("/api/{res}/{{id}}")),
            ("DELETE", format!("/api/{res}/{{id}}")),
        ] {
            r.insert(m, &p, i).unwrap();
            i += 1;
        }
    }
    r.insert("GET", "/hello", i).unwrap();
    r.insert("GET", "/static/{rest:path}", i + 1).unwrap();
    r
}

fn bench(c: &mut Criterion) {
    let r = table();
    let mut g = c.benchmark_group("route_for");
    g.bench_function("static", |b| {
        b.iter(|| r.route_for(Method::Get, black_box("/hello")))
    });
    g.bench_function("param", |b| {
        b.iter(|| r.route_for(Method::Get, black_box("/api/orders/12345")))
    });
    g.bench_function("catch_all", |b| {
        b.iter(|| r.route_for(Method::Get, black_box("/static/css/a/b.css")))
    });
    g.bench_function("miss", |b| {
        b.iter(|| r.route_for(Method::Get, black_box("/nope/nothing")))
    });
    g.bench_function("method_not_allowed", |b| {
        b.iter(|| r.route_for(Method::Patch, black_box("/api/tags/9")))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
