//! HTTP/1.1 codec: request heads, chunked bodies, response heads, dates and query strings,
//! and the one `Response` type every layer returns.
//!
//! Pure functions over byte slices, no I/O: the connection loop owns the sockets and buffers,
//! this module owns the RFC 9112 rules, so both can be tested on their own. Every framing
//! error is final (the server answers with [`HttpError::status`] and closes), because once
//! framing is in doubt the next request on the connection cannot be found safely.
//!
//! Decisions that differ from a plain reading of RFC 9112 are documented where they are made;
//! the summary:
//! - Stricter than the RFC's MAYs: bare LF, duplicate Content-Length (even equal), both
//!   Content-Length and Transfer-Encoding, any Transfer-Encoding other than `chunked`, and any
//!   Transfer-Encoding on HTTP/1.0 are all 400.
//! - `HTTP/<major>.<minor>` with a major other than 1 (the HTTP/2 preface included) is 505;
//!   any other version but 1.0 / 1.1 (`HTTP/1.2` too) is 400.
//! - absolute-form targets (`http://host/p`) are accepted as RFC 9112 §3.2.2 requires: the
//!   target becomes `/p` and the Host field is replaced by the authority.

pub mod accept;
pub mod chunked;
pub mod date;
pub mod error;
pub mod frame;
pub mod query;
pub mod request;
pub mod response;
pub mod sse;
pub mod upload_scan;
pub mod websocket;
pub mod ws_deflate;

pub use chunked::{ChunkStatus, ChunkedDecoder};
pub use date::DateCache;
pub use error::HttpError;
pub use frame::{next_request, Framed};
pub use query::{parse_query, percent_decode_path};
pub use request::{parse_request, BodyKind, Limits, Method, Parsed, Request, RequestHead};
pub use response::{
    framing_of, reason_phrase, valid_header_name, valid_header_value, write_chunk,
    write_framed_head, write_head, write_response, BodySource, Framing, Response, CONTINUE_100,
    JSON_CT, LAST_CHUNK,
};

/// RFC 9110 §5.6.2 `tchar`: the bytes allowed in methods and field names.
pub(crate) fn is_tchar(b: u8) -> bool {
    matches!(b,
        b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9'
        | b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.'
        | b'^' | b'_' | b'`' | b'|' | b'~')
}
