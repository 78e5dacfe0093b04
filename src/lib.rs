//! django-bolt's Rust core, built as the Python extension `django_bolt._native`.
//!
//! Layers, in import order: a module imports only the layers above it (never one below, never
//! a sibling's private parts), so the layout reads as a request's path:
//!
//! 1. `py` — raw CPython helpers: owned objects, calls, conversions, the sub-interpreter.
//! 2. `http` — the HTTP/1.1 wire codec and the one [`http::Response`] type every layer uses.
//! 3. `validation` — 422 issues (type, loc, msg, input) and the constraints that raise them.
//! 4. `codec` — all JSON ↔ Python: type plans, encoding, decoding by type family, text to scalars.
//! 5. Leaves that know nothing of connections: `router`, `cors`, `ratelimit`, `static_files`,
//!    `auth` (JWT, API keys, guards, `authenticate`), `params` (route parameters, extraction).
//! 6. `app` — one interpreter's application: the route plans read from Python, the Python
//!    hooks, `handle` (limit → authenticate → guard → extract → call → respond), coroutine
//!    driving and pending responses, the Django fallthrough, request logs.
//! 7. `runtime` — `dispatch` (a parsed request in, a `Response` out, no sockets), the HTTP/1.1
//!    connection loop, the per-core worker and reactor, start-up and shutdown.
//! 8. `module` — the Python surface (`django_bolt._native`).

// Not under the fuzzer: AddressSanitizer has to see the Rust heap too.
#[cfg(not(fuzzing))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod py;

pub mod http;

pub mod validation;

pub mod codec;

pub mod auth;
pub mod compression;
pub mod cors;
pub mod params;
pub mod ratelimit;
pub mod router;
pub mod static_files;

pub mod app;

pub mod runtime;

pub mod module;
