//! The serving machinery: per-core workers with their reactors, the HTTP/1.1 connection loop,
//! `dispatch`, which turns a parsed request into a response without knowing about sockets, and
//! `inprocess`, which serves requests in the calling interpreter (the test client), and
//! `websocket`, a connection after its opening handshake.

pub mod conn;
pub mod core;
pub mod dispatch;
pub mod file_body;
pub mod held;
pub mod inprocess;
pub mod memory;
pub mod server;
pub mod streaming;
pub mod upload_watch;
pub mod websocket;
pub mod worker;
