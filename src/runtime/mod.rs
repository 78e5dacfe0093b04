//! The serving machinery: per-core workers with their reactors, the HTTP/1.1 connection loop,
//! and `dispatch`, which turns a parsed request into a response without knowing about sockets.

pub mod conn;
pub mod core;
pub mod dispatch;
pub mod server;
pub mod worker;
