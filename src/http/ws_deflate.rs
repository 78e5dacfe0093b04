//! permessage-deflate (RFC 7692): the negotiation of the opening handshake, and the raw deflate
//! of messages either way (flate2).
//!
//! The server always answers with `server_no_context_takeover`, which §7.1.1.1 lets it add
//! unasked: each message it sends is compressed on its own, by one compressor per core reset
//! after every message, so a socket holds no compressor (one costs hundreds of KiB). A client
//! keeps its context across messages unless it offered `client_no_context_takeover`; then its
//! socket keeps an inflater, made at its first compressed message.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use std::cell::RefCell;

/// Why a compressed message was refused (the codec closes with 1009 or 1007).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InflateError {
    /// It inflates past the message size limit.
    TooBig,
    /// Not valid deflate data.
    Invalid,
}

/// What was agreed for a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deflate {
    /// The client compresses each message on its own: our inflater is reset after each.
    pub client_no_context_takeover: bool,
}

/// Messages shorter than this go out uncompressed (the extension lets each message choose):
/// deflating a few bytes costs more than it saves.
pub const MIN_COMPRESS: usize = 128;

/// The tail a sync flush ends with, removed from each message on the wire (§7.2.1).
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

impl Deflate {
    /// The first `permessage-deflate` offer of the `Sec-WebSocket-Extensions` values that this
    /// server can accept (§5.1: offers in the client's order of preference), or None. An offer
    /// with an unknown or repeated parameter, or asking for a server window under 15 bits
    /// (flate2's deflate always uses 15), is declined.
    pub fn negotiate<'a>(values: impl Iterator<Item = &'a [u8]>) -> Option<Deflate> {
        for value in values {
            let Ok(value) = std::str::from_utf8(value) else {
                continue;
            };
            for offer in value.split(',') {
                if let Some(d) = accept_offer(offer) {
                    return Some(d);
                }
            }
        }
        None
    }

    /// The `Sec-WebSocket-Extensions` value of the 101.
    pub fn response(&self) -> &'static str {
        if self.client_no_context_takeover {
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
        } else {
            "permessage-deflate; server_no_context_takeover"
        }
    }
}

fn accept_offer(offer: &str) -> Option<Deflate> {
    let mut parts = offer.split(';').map(str::trim);
    if !parts.next()?.eq_ignore_ascii_case("permessage-deflate") {
        return None;
    }
    let mut seen: Vec<String> = Vec::new();
    let mut out = Deflate {
        client_no_context_takeover: false,
    };
    for p in parts {
        let (name, value) = match p.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim().trim_matches('"'))),
            None => (p, None),
        };
        let name = name.to_ascii_lowercase();
        if seen.contains(&name) {
            return None; // §7: a parameter given twice declines the offer
        }
        let bits_ok = |v: Option<&str>| {
            v.is_some_and(|v| {
                !v.starts_with('0') && v.parse::<u8>().is_ok_and(|b| (8..=15).contains(&b))
            })
        };
        match name.as_str() {
            "server_no_context_takeover" if value.is_none() => {}
            "client_no_context_takeover" if value.is_none() => {
                out.client_no_context_takeover = true
            }
            // A smaller window than ours cannot be honoured by flate2's deflate: decline.
            "server_max_window_bits" if bits_ok(value) && value == Some("15") => {}
            // The client's window: any fits our 15-bit inflater.
            "client_max_window_bits" if value.is_none() || bits_ok(value) => {}
            _ => return None,
        }
        seen.push(name);
    }
    Some(out)
}

thread_local! {
    /// The core's compressor (raw deflate), reset after every message (no context takeover).
    static COMPRESSOR: RefCell<Compress> = RefCell::new(Compress::new(Compression::new(6), false));
}

/// `data` compressed as one message's payload (the sync flush's tail removed).
pub fn compress(data: &[u8]) -> Vec<u8> {
    COMPRESSOR.with(|c| {
        let mut c = c.borrow_mut();
        let mut out = Vec::with_capacity(data.len() / 2 + 64);
        let start = c.total_in();
        loop {
            if out.len() == out.capacity() {
                out.reserve(out.capacity());
            }
            let used = (c.total_in() - start) as usize;
            c.compress_vec(&data[used..], &mut out, FlushCompress::Sync)
                .expect("deflate of a buffer in memory");
            // All input taken and room left over: the flush is complete.
            if (c.total_in() - start) as usize == data.len() && out.len() < out.capacity() {
                break;
            }
        }
        c.reset();
        if out.ends_with(&TAIL) {
            out.truncate(out.len() - TAIL.len());
        }
        out
    })
}

/// One socket's inflater, for the client's compressed messages.
#[derive(Debug)]
pub struct Inflater {
    d: Decompress,
    reset_each: bool,
}

impl Inflater {
    pub fn new(deflate: Deflate) -> Inflater {
        Inflater {
            d: Decompress::new(false),
            reset_each: deflate.client_no_context_takeover,
        }
    }

    /// A compressed message's payload inflated, at most `max` bytes (1009 past it: a small
    /// message may inflate to gigabytes), `Invalid` when it is not deflate data.
    pub fn inflate(&mut self, data: &[u8], max: usize) -> Result<Vec<u8>, InflateError> {
        let invalid = InflateError::Invalid;
        let mut input: Vec<u8> = Vec::with_capacity(data.len() + TAIL.len());
        input.extend_from_slice(data);
        input.extend_from_slice(&TAIL);
        // Never more than `max + 1` bytes of room: one past the limit proves it is past.
        let limit = max.saturating_add(1);
        let mut out = Vec::with_capacity(data.len().saturating_mul(4).clamp(64.min(limit), limit));
        let start = self.d.total_in();
        loop {
            if out.len() == out.capacity() {
                let room = limit - out.len();
                out.reserve_exact(out.capacity().min(room).max(1));
            }
            let used = (self.d.total_in() - start) as usize;
            let before = (used, out.len());
            self.d
                .decompress_vec(&input[used..], &mut out, FlushDecompress::Sync)
                .map_err(|_| invalid)?;
            if out.len() > max {
                return Err(InflateError::TooBig);
            }
            let consumed = (self.d.total_in() - start) as usize;
            if consumed == input.len() && out.len() < out.capacity() {
                break;
            }
            if (consumed, out.len()) == before && out.len() < out.capacity() {
                // No progress with room to spare: truncated or bad data (never loop on it).
                return Err(invalid);
            }
        }
        if self.reset_each {
            self.d.reset(false);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(v: &str) -> Option<Deflate> {
        Deflate::negotiate(std::iter::once(v.as_bytes()))
    }

    #[test]
    fn negotiation() {
        let plain = Some(Deflate {
            client_no_context_takeover: false,
        });
        let no_ctx = Some(Deflate {
            client_no_context_takeover: true,
        });
        assert_eq!(offer("permessage-deflate"), plain);
        // What the Python `websockets` client and browsers offer.
        assert_eq!(offer("permessage-deflate; client_max_window_bits"), plain);
        assert_eq!(
            offer("permessage-deflate; client_no_context_takeover; server_no_context_takeover"),
            no_ctx
        );
        assert_eq!(
            offer("permessage-deflate; server_max_window_bits=15"),
            plain
        );
        assert_eq!(
            offer("permessage-deflate; client_max_window_bits=\"10\""),
            plain
        );
        // Declined offers: a smaller server window, unknown or repeated parameters, bad values.
        assert_eq!(offer("permessage-deflate; server_max_window_bits=10"), None);
        assert_eq!(offer("permessage-deflate; mystery"), None);
        assert_eq!(
            offer("permessage-deflate; client_no_context_takeover; client_no_context_takeover"),
            None
        );
        assert_eq!(offer("permessage-deflate; client_max_window_bits=16"), None);
        assert_eq!(offer("permessage-deflate; client_max_window_bits=08"), None);
        assert_eq!(
            offer("permessage-deflate; server_no_context_takeover=1"),
            None
        );
        assert_eq!(offer("x-webkit-deflate-frame"), None);
        // The first acceptable offer wins.
        assert_eq!(
            offer("permessage-deflate; server_max_window_bits=9, permessage-deflate; client_no_context_takeover"),
            no_ctx
        );
        assert_eq!(
            Deflate {
                client_no_context_takeover: true
            }
            .response(),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
        );
    }

    #[test]
    fn round_trip_and_independent_messages() {
        let msg = "hello websocket ".repeat(500).into_bytes();
        let a = compress(&msg);
        let b = compress(&msg);
        assert!(a.len() < msg.len() / 10, "{}", a.len());
        // No context takeover: the same message compresses the same way twice, and each
        // inflates alone.
        assert_eq!(a, b);
        for c in [&a, &b] {
            let mut fresh = Inflater::new(Deflate {
                client_no_context_takeover: true,
            });
            assert_eq!(fresh.inflate(c, 1 << 20).unwrap(), msg);
        }
        assert!(compress(b"").len() <= 2);
    }

    #[test]
    fn client_context_is_kept_unless_declined() {
        // A client keeping its context: its second message refers to the first one's window.
        let mut client = Compress::new(Compression::new(6), false);
        let msg = b"the same sentence, again and again and again".repeat(3);
        let mut wire = Vec::new();
        for _ in 0..2 {
            let mut out = Vec::with_capacity(1024);
            client
                .compress_vec(&msg, &mut out, FlushCompress::Sync)
                .unwrap();
            out.truncate(out.len() - 4);
            wire.push(out);
        }
        assert!(wire[1].len() < wire[0].len());
        let mut keep = Inflater::new(Deflate {
            client_no_context_takeover: false,
        });
        assert_eq!(keep.inflate(&wire[0], 4096).unwrap(), msg);
        assert_eq!(keep.inflate(&wire[1], 4096).unwrap(), msg);
        // A server that reset its inflater could not read the second one (an error, or bytes
        // made of a window it no longer has).
        let mut reset = Inflater::new(Deflate {
            client_no_context_takeover: true,
        });
        assert_eq!(reset.inflate(&wire[0], 4096).unwrap(), msg);
        assert_ne!(reset.inflate(&wire[1], 4096).ok(), Some(msg));
    }

    #[test]
    fn bombs_and_garbage() {
        let zeros = vec![0u8; 10 << 20];
        let bomb = compress(&zeros);
        assert!(bomb.len() < 20 << 10);
        let mut i = Inflater::new(Deflate {
            client_no_context_takeover: true,
        });
        assert_eq!(i.inflate(&bomb, 1 << 20).unwrap_err(), InflateError::TooBig);
        let mut i = Inflater::new(Deflate {
            client_no_context_takeover: true,
        });
        assert_eq!(
            i.inflate(&[0xff, 0xff, 0xff, 0xff], 1 << 20).unwrap_err(),
            InflateError::Invalid
        );
        let mut i = Inflater::new(Deflate {
            client_no_context_takeover: true,
        });
        assert_eq!(i.inflate(&compress(b"exact"), 5).unwrap(), b"exact");
        let mut i = Inflater::new(Deflate {
            client_no_context_takeover: true,
        });
        assert_eq!(
            i.inflate(&compress(b"exact!"), 5).unwrap_err(),
            InflateError::TooBig
        );
    }
}
