//! RFC 6455 on the wire: the opening handshake's checks and answer, and the frame codec
//! (decoder, encoder, and the reassembly of fragmented messages). Pure functions over byte
//! slices, like the rest of `http`: the connection loop (`runtime::websocket`) owns the socket.
//!
//! Written here rather than taken from a crate: the codec is small, it works on the
//! connection's own owned buffers without an adapter stream, and it can be fuzzed on its own
//! (`fuzz/fuzz_targets/ws_frames.rs`).

use super::request::{Method, RequestHead};
use super::ws_deflate::{self, Deflate, InflateError, Inflater};
use base64::Engine;
use sha1::{Digest, Sha1};

/// RFC 6455 §1.3: appended to the client's key before hashing.
const ACCEPT_GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Why an opening handshake is refused, before any Python runs.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// No `Upgrade: websocket` at all: a plain HTTP request to a WebSocket route.
    #[error("Upgrade Required")]
    NotUpgrade,
    #[error("Bad Request: WebSocket handshake needs GET over HTTP/1.1")]
    Method,
    #[error("Bad Request: Connection must contain the upgrade token")]
    Connection,
    #[error("Bad Request: Sec-WebSocket-Key must be 16 bytes in base64")]
    Key,
    /// Another protocol version: 426 naming the one we speak (§4.4).
    #[error("Upgrade Required: Sec-WebSocket-Version must be 13")]
    Version,
}

impl HandshakeError {
    pub fn status(&self) -> u16 {
        match self {
            HandshakeError::NotUpgrade | HandshakeError::Version => 426,
            _ => 400,
        }
    }
}

/// What a valid opening handshake asked for.
#[derive(Debug, PartialEq, Eq)]
pub struct Handshake {
    /// The `Sec-WebSocket-Accept` value to answer with.
    pub accept: String,
    /// `Sec-WebSocket-Protocol`, in the client's order of preference.
    pub subprotocols: Vec<String>,
    /// permessage-deflate, when the client offered it in a form this server accepts.
    pub deflate: Option<Deflate>,
}

/// Whether a request asks to become a WebSocket (`Upgrade: websocket`, any case).
pub fn wants_upgrade(head: &RequestHead) -> bool {
    head.headers
        .iter()
        .filter(|(k, _)| k == "upgrade")
        .any(|(_, v)| has_token(v, b"websocket"))
}

/// Checks the client's opening handshake (RFC 6455 §4.2.1).
pub fn check_handshake(head: &RequestHead) -> Result<Handshake, HandshakeError> {
    if !wants_upgrade(head) {
        return Err(HandshakeError::NotUpgrade);
    }
    // §4.2.1 items 1-2: an HTTP/1.1 or higher GET.
    if head.method != Method::Get || head.minor_version < 1 {
        return Err(HandshakeError::Method);
    }
    // Item 4: `Connection` contains the `Upgrade` token (browsers send `keep-alive, Upgrade`).
    let upgrade_token = head
        .headers
        .iter()
        .filter(|(k, _)| k == "connection")
        .any(|(_, v)| has_token(v, b"upgrade"));
    if !upgrade_token {
        return Err(HandshakeError::Connection);
    }
    // Item 5: a base64 nonce that decodes to exactly 16 bytes; only one such header.
    let mut keys = head
        .headers
        .iter()
        .filter(|(k, _)| k == "sec-websocket-key");
    let key = match (keys.next(), keys.next()) {
        (Some((_, v)), None) => v.as_slice(),
        _ => return Err(HandshakeError::Key),
    };
    match base64::engine::general_purpose::STANDARD.decode(key) {
        Ok(raw) if raw.len() == 16 => {}
        _ => return Err(HandshakeError::Key),
    }
    // Item 6 and §4.4: version 13 only.
    if head.header("sec-websocket-version").map(trim) != Some(b"13".as_slice()) {
        return Err(HandshakeError::Version);
    }
    let subprotocols = head
        .headers
        .iter()
        .filter(|(k, _)| k == "sec-websocket-protocol")
        .flat_map(|(_, v)| v.split(|b| *b == b','))
        .map(|t| String::from_utf8_lossy(trim(t)).into_owned())
        .filter(|t| !t.is_empty())
        .collect();
    let deflate = Deflate::negotiate(
        head.headers
            .iter()
            .filter(|(k, _)| k == "sec-websocket-extensions")
            .map(|(_, v)| v.as_slice()),
    );
    Ok(Handshake {
        accept: accept_key(key),
        subprotocols,
        deflate,
    })
}

/// `Sec-WebSocket-Accept`: base64(SHA-1(key + GUID)) (§4.2.2 item 5.4).
pub fn accept_key(key: &[u8]) -> String {
    let mut h = Sha1::new();
    h.update(key);
    h.update(ACCEPT_GUID);
    base64::engine::general_purpose::STANDARD.encode(h.finalize())
}

/// The `101 Switching Protocols` head that completes the handshake.
pub fn write_101(
    out: &mut Vec<u8>,
    accept: &str,
    subprotocol: Option<&str>,
    deflate: Option<Deflate>,
    headers: &[(Vec<u8>, Vec<u8>)],
) {
    out.extend_from_slice(
        b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ",
    );
    out.extend_from_slice(accept.as_bytes());
    out.extend_from_slice(b"\r\n");
    if let Some(p) = subprotocol {
        out.extend_from_slice(b"sec-websocket-protocol: ");
        out.extend_from_slice(p.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if let Some(d) = deflate {
        out.extend_from_slice(b"sec-websocket-extensions: ");
        out.extend_from_slice(d.response().as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    for (k, v) in headers {
        out.extend_from_slice(k);
        out.extend_from_slice(b": ");
        out.extend_from_slice(v);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

fn trim(v: &[u8]) -> &[u8] {
    let start = v
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(v.len());
    let end = v
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &v[start..end]
}

/// Whether a comma-separated header value holds `token` (case-insensitive).
fn has_token(v: &[u8], token: &[u8]) -> bool {
    v.split(|b| *b == b',')
        .any(|t| trim(t).eq_ignore_ascii_case(token))
}

// ---- frames ------------------------------------------------------------------------------

/// Close codes this side sends (§7.4.1).
pub mod close {
    pub const NORMAL: u16 = 1000;
    pub const GOING_AWAY: u16 = 1001;
    pub const PROTOCOL_ERROR: u16 = 1002;
    pub const NO_STATUS: u16 = 1005;
    /// Reported to a handler whose client vanished without a close frame; never sent.
    pub const ABNORMAL: u16 = 1006;
    pub const INVALID_DATA: u16 = 1007;
    pub const TOO_BIG: u16 = 1009;
    pub const INTERNAL_ERROR: u16 = 1011;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opcode {
    Continuation,
    Text,
    Binary,
    Close,
    Ping,
    Pong,
}

impl Opcode {
    fn from_bits(b: u8) -> Option<Opcode> {
        Some(match b {
            0x0 => Opcode::Continuation,
            0x1 => Opcode::Text,
            0x2 => Opcode::Binary,
            0x8 => Opcode::Close,
            0x9 => Opcode::Ping,
            0xA => Opcode::Pong,
            _ => return None,
        })
    }

    fn bits(self) -> u8 {
        match self {
            Opcode::Continuation => 0x0,
            Opcode::Text => 0x1,
            Opcode::Binary => 0x2,
            Opcode::Close => 0x8,
            Opcode::Ping => 0x9,
            Opcode::Pong => 0xA,
        }
    }

    fn is_control(self) -> bool {
        matches!(self, Opcode::Close | Opcode::Ping | Opcode::Pong)
    }
}

/// A protocol failure: the close code to send, and why (the close frame's reason).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsError {
    pub code: u16,
    pub reason: &'static str,
}

const fn err(code: u16, reason: &'static str) -> WsError {
    WsError { code, reason }
}

/// One frame, unmasked.
#[derive(Debug, PartialEq, Eq)]
pub struct Frame {
    pub fin: bool,
    pub opcode: Opcode,
    pub payload: Vec<u8>,
}

/// Decodes the frame at the front of `buf` as a server reads it: client frames must be masked
/// (§5.1), no extension is negotiated so RSV bits must be clear (§5.2), control frames are
/// short and unfragmented (§5.5). `max_payload` bounds one frame (1009 past it) before any of
/// it is buffered. Ok(None): more bytes needed; Ok(Some((frame, used))).
pub fn decode_frame(buf: &[u8], max_payload: usize) -> Result<Option<(Frame, usize)>, WsError> {
    match decode_frame_rsv1(buf, max_payload, false)? {
        Some((f, _, used)) => Ok(Some((f, used))),
        None => Ok(None),
    }
}

/// `decode_frame` on a socket that negotiated permessage-deflate (`rsv1_ok`): RSV1 may be set
/// (the message is compressed; `Assembler` checks where). Ok(Some((frame, rsv1, used))).
pub fn decode_frame_rsv1(
    buf: &[u8],
    max_payload: usize,
    rsv1_ok: bool,
) -> Result<Option<(Frame, bool, usize)>, WsError> {
    if buf.len() < 2 {
        return Ok(None);
    }
    let (b0, b1) = (buf[0], buf[1]);
    let reserved = if rsv1_ok { 0x30 } else { 0x70 };
    if b0 & reserved != 0 {
        return Err(err(close::PROTOCOL_ERROR, "reserved bits set"));
    }
    let rsv1 = b0 & 0x40 != 0;
    let fin = b0 & 0x80 != 0;
    let opcode =
        Opcode::from_bits(b0 & 0x0F).ok_or(err(close::PROTOCOL_ERROR, "unknown opcode"))?;
    if b1 & 0x80 == 0 {
        return Err(err(close::PROTOCOL_ERROR, "client frames must be masked"));
    }
    let (len, mut at) = match b1 & 0x7F {
        126 => {
            if buf.len() < 4 {
                return Ok(None);
            }
            (u16::from_be_bytes([buf[2], buf[3]]) as u64, 4)
        }
        127 => {
            if buf.len() < 10 {
                return Ok(None);
            }
            let mut b = [0u8; 8];
            b.copy_from_slice(&buf[2..10]);
            let n = u64::from_be_bytes(b);
            // §5.2: the most significant bit must be 0.
            if n >> 63 != 0 {
                return Err(err(close::PROTOCOL_ERROR, "invalid payload length"));
            }
            (n, 10)
        }
        n => (n as u64, 2),
    };
    if opcode.is_control() && (!fin || len > 125) {
        return Err(err(close::PROTOCOL_ERROR, "invalid control frame"));
    }
    if len > max_payload as u64 {
        return Err(err(close::TOO_BIG, "message too big"));
    }
    let len = len as usize;
    if buf.len() < at + 4 + len {
        return Ok(None);
    }
    let mask = [buf[at], buf[at + 1], buf[at + 2], buf[at + 3]];
    at += 4;
    let mut payload = buf[at..at + len].to_vec();
    unmask(&mut payload, mask);
    Ok(Some((
        Frame {
            fin,
            opcode,
            payload,
        },
        rsv1,
        at + len,
    )))
}

fn unmask(data: &mut [u8], mask: [u8; 4]) {
    // Word at a time: most of a large message's cost is here.
    let word = u32::from_ne_bytes(mask);
    let mut chunks = data.chunks_exact_mut(4);
    for c in &mut chunks {
        let v = u32::from_ne_bytes([c[0], c[1], c[2], c[3]]) ^ word;
        c.copy_from_slice(&v.to_ne_bytes());
    }
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= mask[i];
    }
}

/// Appends one unmasked, final server frame (§5.1: servers do not mask).
pub fn encode_frame(out: &mut Vec<u8>, opcode: Opcode, payload: &[u8]) {
    encode_frame_rsv1(out, opcode, payload, false);
}

/// Appends a data message: compressed (RSV1 set) when the socket negotiated permessage-deflate
/// and the message is long enough to gain from it.
pub fn encode_message(out: &mut Vec<u8>, opcode: Opcode, payload: &[u8], deflate: bool) {
    if deflate && payload.len() >= ws_deflate::MIN_COMPRESS {
        encode_frame_rsv1(out, opcode, &ws_deflate::compress(payload), true);
    } else {
        encode_frame_rsv1(out, opcode, payload, false);
    }
}

fn encode_frame_rsv1(out: &mut Vec<u8>, opcode: Opcode, payload: &[u8], rsv1: bool) {
    out.push(0x80 | if rsv1 { 0x40 } else { 0 } | opcode.bits());
    let n = payload.len();
    if n < 126 {
        out.push(n as u8);
    } else if n <= u16::MAX as usize {
        out.push(126);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(127);
        out.extend_from_slice(&(n as u64).to_be_bytes());
    }
    out.extend_from_slice(payload);
}

/// Appends a close frame: the code, then a reason cut to fit the 125-byte control payload at a
/// character boundary. 1005 means "no status": the payload is empty (§7.4.1).
pub fn encode_close(out: &mut Vec<u8>, code: u16, reason: &str) {
    if code == close::NO_STATUS {
        encode_frame(out, Opcode::Close, &[]);
        return;
    }
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let mut p = Vec::with_capacity(2 + end);
    p.extend_from_slice(&code.to_be_bytes());
    p.extend_from_slice(&reason.as_bytes()[..end]);
    encode_frame(out, Opcode::Close, &p);
}

/// A close frame's payload: (code, reason), with 1005 for an empty one (§5.5.1, §7.1.5).
pub fn parse_close(payload: &[u8]) -> Result<(u16, String), WsError> {
    match payload.len() {
        0 => Ok((close::NO_STATUS, String::new())),
        1 => Err(err(close::PROTOCOL_ERROR, "invalid close payload")),
        _ => {
            let code = u16::from_be_bytes([payload[0], payload[1]]);
            // §7.4: codes an endpoint may send; 1005, 1006 and 1015 are for reporting only.
            let valid = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
            if !valid {
                return Err(err(close::PROTOCOL_ERROR, "invalid close code"));
            }
            let reason = std::str::from_utf8(&payload[2..])
                .map_err(|_| err(close::INVALID_DATA, "invalid UTF-8 in close reason"))?;
            Ok((code, reason.to_owned()))
        }
    }
}

/// What the reader does with one frame.
#[derive(Debug, PartialEq, Eq)]
pub enum Event {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong,
    Close(u16, String),
    /// A fragment was buffered; nothing to deliver yet.
    Nothing,
}

/// Reassembles fragmented messages (§5.4) and checks text is UTF-8 (§8.1), within a size limit.
#[derive(Debug)]
pub struct Assembler {
    max_message: usize,
    /// The opcode and bytes of a message whose final fragment has not come yet, and whether it
    /// is compressed.
    partial: Option<(Opcode, Vec<u8>, bool)>,
    /// permessage-deflate was negotiated; its inflater is made at the first compressed message.
    deflate: Option<Deflate>,
    inflater: Option<Box<Inflater>>,
}

impl Assembler {
    pub fn new(max_message: usize) -> Assembler {
        Assembler {
            max_message,
            partial: None,
            deflate: None,
            inflater: None,
        }
    }

    /// For a socket that negotiated permessage-deflate: compressed messages are inflated
    /// (within the same message limit) before their UTF-8 check.
    pub fn with_deflate(max_message: usize, deflate: Option<Deflate>) -> Assembler {
        Assembler {
            deflate,
            ..Assembler::new(max_message)
        }
    }

    /// The most a next frame may carry: what the message limit leaves.
    pub fn room(&self) -> usize {
        match &self.partial {
            Some((_, b, _)) => self.max_message - b.len(),
            None => self.max_message,
        }
    }

    pub fn push(&mut self, f: Frame) -> Result<Event, WsError> {
        self.push_rsv1(f, false)
    }

    /// `push` for a frame whose RSV1 bit was `rsv1` (allowed only on a message's first frame,
    /// and only with permessage-deflate: RFC 7692 §6.1).
    pub fn push_rsv1(&mut self, f: Frame, rsv1: bool) -> Result<Event, WsError> {
        if rsv1 && (self.deflate.is_none() || !matches!(f.opcode, Opcode::Text | Opcode::Binary)) {
            return Err(err(
                close::PROTOCOL_ERROR,
                "RSV1 set outside a compressed message",
            ));
        }
        match f.opcode {
            Opcode::Ping => Ok(Event::Ping(f.payload)),
            Opcode::Pong => Ok(Event::Pong),
            Opcode::Close => {
                let (code, reason) = parse_close(&f.payload)?;
                Ok(Event::Close(code, reason))
            }
            Opcode::Text | Opcode::Binary => {
                if self.partial.is_some() {
                    return Err(err(close::PROTOCOL_ERROR, "expected a continuation frame"));
                }
                if f.fin {
                    return self.finish(f.opcode, f.payload, rsv1);
                }
                self.partial = Some((f.opcode, f.payload, rsv1));
                Ok(Event::Nothing)
            }
            Opcode::Continuation => {
                let Some((op, mut data, compressed)) = self.partial.take() else {
                    return Err(err(close::PROTOCOL_ERROR, "continuation without a message"));
                };
                if data.len() + f.payload.len() > self.max_message {
                    return Err(err(close::TOO_BIG, "message too big"));
                }
                data.extend_from_slice(&f.payload);
                if f.fin {
                    return self.finish(op, data, compressed);
                }
                self.partial = Some((op, data, compressed));
                Ok(Event::Nothing)
            }
        }
    }

    fn finish(&mut self, op: Opcode, data: Vec<u8>, compressed: bool) -> Result<Event, WsError> {
        if !compressed {
            return finish(op, data);
        }
        let deflate = self.deflate.expect("RSV1 checked against the negotiation");
        let inflater = self
            .inflater
            .get_or_insert_with(|| Box::new(Inflater::new(deflate)));
        let data = inflater
            .inflate(&data, self.max_message)
            .map_err(|e| match e {
                InflateError::TooBig => err(close::TOO_BIG, "message too big"),
                InflateError::Invalid => err(close::INVALID_DATA, "invalid compressed data"),
            })?;
        finish(op, data)
    }
}

fn finish(op: Opcode, data: Vec<u8>) -> Result<Event, WsError> {
    if op == Opcode::Text {
        String::from_utf8(data)
            .map(Event::Text)
            .map_err(|_| err(close::INVALID_DATA, "invalid UTF-8 in text message"))
    } else {
        Ok(Event::Binary(data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{parse_request, Limits, Parsed};

    fn head(raw: &str) -> RequestHead {
        match parse_request(raw.as_bytes(), &Limits::default()).unwrap() {
            Parsed::Complete { head, .. } => head,
            Parsed::Partial => panic!("partial"),
        }
    }

    const GOOD: &str = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

    #[test]
    fn rfc_sample_accept_key() {
        // The worked example of RFC 6455 §1.3.
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn handshakes() {
        let ok = check_handshake(&head(&format!(
            "{GOOD}Sec-WebSocket-Protocol: a, b\r\n\r\n"
        )))
        .unwrap();
        assert_eq!(ok.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert_eq!(ok.subprotocols, vec!["a", "b"]);
        let cases: &[(&str, HandshakeError, &str)] = &[
            (
                "GET /ws HTTP/1.1\r\nHost: x\r\n\r\n",
                HandshakeError::NotUpgrade,
                "plain GET",
            ),
            (
                &GOOD.replace("GET", "POST"),
                HandshakeError::Method,
                "only GET upgrades",
            ),
            (
                &GOOD.replace("keep-alive, Upgrade", "keep-alive"),
                HandshakeError::Connection,
                "Connection lacks the upgrade token",
            ),
            (
                &GOOD.replace("dGhlIHNhbXBsZSBub25jZQ==", "c2hvcnQ="),
                HandshakeError::Key,
                "key is not 16 bytes",
            ),
            (
                &GOOD.replace("dGhlIHNhbXBsZSBub25jZQ==", "!!!"),
                HandshakeError::Key,
                "key is not base64",
            ),
            (
                &GOOD.replace("Version: 13", "Version: 8"),
                HandshakeError::Version,
                "old protocol version",
            ),
        ];
        for (raw, want, why) in cases {
            let raw = if raw.ends_with("\r\n\r\n") {
                raw.to_string()
            } else {
                format!("{raw}\r\n")
            };
            assert_eq!(check_handshake(&head(&raw)).unwrap_err(), *want, "{why}");
        }
        assert_eq!(HandshakeError::Version.status(), 426);
        assert_eq!(HandshakeError::Key.status(), 400);
    }

    fn masked(b0: u8, payload: &[u8]) -> Vec<u8> {
        let mask = [1u8, 2, 3, 4];
        let mut out = vec![b0];
        let n = payload.len();
        if n < 126 {
            out.push(0x80 | n as u8);
        } else if n <= 65535 {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
        out.extend_from_slice(&mask);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        out
    }

    #[test]
    fn decodes_masked_frames_of_every_length_form() {
        for n in [0usize, 5, 125, 126, 300, 65535, 65536, 70000] {
            let payload: Vec<u8> = (0..n).map(|i| i as u8).collect();
            let raw = masked(0x82, &payload);
            for cut in [0, 1, raw.len() / 2, raw.len() - 1] {
                assert_eq!(
                    decode_frame(&raw[..cut], 1 << 20),
                    Ok(None),
                    "partial at {cut}"
                );
            }
            let (f, used) = decode_frame(&raw, 1 << 20).unwrap().unwrap();
            assert_eq!((f.opcode, f.fin, used), (Opcode::Binary, true, raw.len()));
            assert_eq!(f.payload, payload);
        }
    }

    #[test]
    fn refuses_bad_frames() {
        let e = |raw: &[u8]| decode_frame(raw, 1000).unwrap_err().code;
        assert_eq!(e(&[0x81, 0x00]), close::PROTOCOL_ERROR, "unmasked");
        assert_eq!(
            e(&masked(0xC1, b"x")),
            close::PROTOCOL_ERROR,
            "RSV1 without extension"
        );
        assert_eq!(
            e(&masked(0x83, b"x")),
            close::PROTOCOL_ERROR,
            "reserved opcode"
        );
        assert_eq!(
            e(&masked(0x09, b"x")),
            close::PROTOCOL_ERROR,
            "fragmented ping"
        );
        assert_eq!(
            e(&masked(0x89, &[0; 126])),
            close::PROTOCOL_ERROR,
            "long ping"
        );
        assert_eq!(
            e(&masked(0x82, &[0; 1001])),
            close::TOO_BIG,
            "over the limit"
        );
        // The length alone decides: the payload need not have arrived.
        assert_eq!(
            e(&[0x82, 0xFF, 0, 0, 0, 1, 0, 0, 0, 0]),
            close::TOO_BIG,
            "huge length"
        );
    }

    #[test]
    fn reassembles_fragments_and_checks_utf8() {
        let mut a = Assembler::new(10);
        let frame = |fin, opcode, p: &[u8]| Frame {
            fin,
            opcode,
            payload: p.to_vec(),
        };
        assert_eq!(
            a.push(frame(false, Opcode::Text, "hé".as_bytes()[..2].as_ref())),
            Ok(Event::Nothing)
        );
        // Control frames may come between fragments (§5.4).
        assert_eq!(
            a.push(frame(true, Opcode::Ping, b"p")),
            Ok(Event::Ping(b"p".to_vec()))
        );
        assert_eq!(
            a.push(frame(true, Opcode::Continuation, &"hé".as_bytes()[2..])),
            Ok(Event::Text("hé".into()))
        );
        assert_eq!(
            a.push(frame(true, Opcode::Text, &[0xff])).unwrap_err().code,
            close::INVALID_DATA
        );
        assert_eq!(
            a.push(frame(true, Opcode::Continuation, b"x"))
                .unwrap_err()
                .code,
            close::PROTOCOL_ERROR
        );
        a.push(frame(false, Opcode::Binary, b"123456")).unwrap();
        assert_eq!(a.room(), 4);
        assert_eq!(
            a.push(frame(true, Opcode::Continuation, b"12345"))
                .unwrap_err()
                .code,
            close::TOO_BIG
        );
    }

    #[test]
    fn close_payloads() {
        assert_eq!(parse_close(&[]), Ok((close::NO_STATUS, String::new())));
        assert_eq!(
            parse_close(&[0x03, 0xE8, b'o', b'k']),
            Ok((1000, "ok".into()))
        );
        assert!(parse_close(&[0x03]).is_err(), "one byte");
        assert!(parse_close(&[0x03, 0xED]).is_err(), "1005 may not be sent");
        assert_eq!(
            parse_close(&[0x03, 0xE8, 0xff]).unwrap_err().code,
            close::INVALID_DATA
        );
        let mut out = Vec::new();
        encode_close(&mut out, 4000, &"é".repeat(100));
        assert!(out.len() <= 127, "control payload fits 125 bytes");
        assert_eq!(out[1] as usize, out.len() - 2);
        assert!(
            std::str::from_utf8(&out[4..]).is_ok(),
            "cut at a char boundary"
        );
    }

    #[test]
    fn encodes_server_frames_unmasked() {
        let mut out = Vec::new();
        encode_frame(&mut out, Opcode::Text, b"hi");
        assert_eq!(out, b"\x81\x02hi");
        out.clear();
        encode_frame(&mut out, Opcode::Binary, &[0; 300]);
        assert_eq!(&out[..4], &[0x82, 126, 1, 44]);
    }
}
