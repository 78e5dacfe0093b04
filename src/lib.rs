//! django-bolt's Rust core, built as the Python extension `django_bolt._native`.
//!
//! Layout follows the request path (DESIGN.md §1): `http` (wire codec) → `router` →
//! `params` (typed coercion) → `schema` (typed bodies and responses) → `app` (the handler call
//! in this core's interpreter) → `json`;
//! `static_files` serves STATIC/MEDIA from disk before routing;
//! `worker`/`conn` own the per-core reactor, `interp` the sub-interpreter, `server` start-up
//! and shutdown, `module` the Python surface.

// Not under the fuzzer: AddressSanitizer has to see the Rust heap too.
#[cfg(not(fuzzing))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod app;
pub mod auth;
pub mod conn;
pub mod cors;
pub mod http;
pub mod interp;
pub mod json;
pub mod module;
pub mod params;
pub mod pending;
pub mod py;
pub mod ratelimit;
pub mod router;
pub mod schema;
pub mod server;
pub mod static_files;
pub mod worker;
