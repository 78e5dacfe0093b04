//! Fuzzes the request framing (src/http/frame.rs over src/http/request.rs and chunked.rs) as a
//! server reads a request: the head, then a body framed by Content-Length or chunked, with the
//! input arriving in pieces split at arbitrary points.
//!
//! The first three bytes choose the split points and the limits (small ones, so every limit is
//! reached within short inputs); the rest is the bytes on the wire. Findings are crashes, hangs,
//! ASan reports and broken invariants:
//! - split reads decide as one read does: the connection loop re-frames the buffer after every
//!   read, so the first prefix that is not "need more" must be the decision the whole input
//!   gives (the same request, head, body and length used; or a refusal for a refusal), and a
//!   request never claims more bytes than it was given or a body over the limit;
//! - the streaming chunked decoder fed the same pieces (its state carried across calls, as a
//!   streaming body would use it) produces the same body, the same end and the same error as
//!   one call over the whole input.
#![no_main]

use _native::http::{next_request, ChunkStatus, ChunkedDecoder, Framed, HttpError, Limits};
use libfuzzer_sys::fuzz_target;

/// Cut points in `0..len`, increasing, from a small xorshift seeded by the input.
fn cuts(seed: u16, len: usize) -> Vec<usize> {
    let mut s = u32::from(seed) | 1;
    let mut out = Vec::new();
    let mut at = 0;
    while at < len {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        // Mostly short steps (byte-at-a-time reads are the worst case), some long ones.
        let step = if s & 3 == 0 { (s >> 8) as usize % 64 } else { (s >> 8) as usize % 4 };
        at = (at + step.max(1)).min(len);
        out.push(at);
    }
    out
}

/// One call over the whole input, or the same input in pieces to one decoder.
fn chunked(limit: usize, pieces: &[&[u8]]) -> (Result<Option<usize>, HttpError>, Vec<u8>) {
    let mut dec = ChunkedDecoder::new(limit);
    let mut body = Vec::new();
    let mut used = 0;
    for p in pieces {
        match dec.decode(p, &mut body) {
            Ok(ChunkStatus::NeedMore { consumed }) => {
                assert_eq!(consumed, p.len(), "need more without using the whole piece");
                used += consumed;
            }
            Ok(ChunkStatus::Done { consumed }) => {
                assert!(consumed <= p.len());
                assert!(dec.is_done());
                return (Ok(Some(used + consumed)), body);
            }
            Err(e) => return (Err(e), body),
        }
    }
    (Ok(None), body)
}

fuzz_target!(|data: &[u8]| {
    let [a, b, c, input @ ..] = data else {
        return;
    };
    let limits = Limits {
        max_head_bytes: 32 + usize::from(*c) * 4,
        max_headers: 1 + usize::from(*c % 16),
        max_uri_len: 4 + usize::from(*b % 64),
        max_body_bytes: usize::from(*a) * 4,
    };
    let whole = next_request(input, &limits);
    if let Framed::Request { body, used, .. } = &whole {
        assert!(*used <= input.len(), "used {used} of {}", input.len());
        assert!(body.len() <= limits.max_body_bytes, "body over the limit");
    }

    let cuts = cuts(u16::from_le_bytes([*a, *b]), input.len());
    for &end in &cuts {
        match next_request(&input[..end], &limits) {
            Framed::NeedMore { .. } => continue,
            Framed::Reject(e) => {
                // A refusal on a prefix must be a refusal of the whole (the status may name
                // an earlier-checked rule: a head over the size bound before its bad byte).
                assert!(
                    matches!(whole, Framed::Reject(_)),
                    "prefix {end} refused ({e:?}), whole input: {whole:?}"
                );
                break;
            }
            decided => {
                assert_eq!(decided, whole, "prefix {end} of {}", input.len());
                break;
            }
        }
    }

    // The chunked decoder, streaming: pieces against one call, from where a body would start.
    let start = input
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(0, |p| p + 4);
    let body_bytes = &input[start..];
    let mut pieces = Vec::new();
    let mut from = 0;
    for &end in &cuts {
        if end > start {
            pieces.push(&body_bytes[from..end - start]);
            from = end - start;
        }
    }
    let (one, one_body) = chunked(limits.max_body_bytes.max(16), &[body_bytes]);
    let (split, split_body) = chunked(limits.max_body_bytes.max(16), &pieces);
    assert_eq!(one, split, "streaming decoder: end or error differs");
    if one.is_ok() {
        assert_eq!(one_body, split_body, "streaming decoder: body differs");
    }
});
