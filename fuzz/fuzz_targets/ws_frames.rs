//! Fuzzes the WebSocket frame decoder and message assembler (src/http/websocket.rs) with
//! arbitrary bytes, as a server reads them from a client: frame after frame out of one buffer,
//! through the assembler, until more bytes are needed or a close code is chosen.
//!
//! Findings are crashes, hangs and ASan reports, plus broken invariants: a frame never claims
//! more bytes than it was given nor carries more than the limit, a message never exceeds the
//! limit, an error's close code is one a server may send, and a decoded frame masked again
//! decodes to itself.
//!
//! Each input is read twice: as a plain socket, then as one that negotiated permessage-deflate
//! (`client_no_context_takeover` on odd lengths), where RSV1 frames reach the inflater with
//! arbitrary data, which must end in a message within the limit or in 1007/1009, never in a
//! hang or a huge buffer.
#![no_main]

use _native::http::websocket::{
    close, decode_frame, decode_frame_rsv1, Assembler, Event, Frame, Opcode,
};
use _native::http::ws_deflate::Deflate;
use libfuzzer_sys::fuzz_target;

/// Small, so fragmented messages reach the limit within the input lengths the fuzzer tries.
const MAX: usize = 4096;

/// The frame as a client would send it again: masked with a fixed key.
fn remask(f: &Frame) -> Vec<u8> {
    let mut out = Vec::new();
    _native::http::websocket::encode_frame(&mut out, f.opcode, &f.payload);
    if !f.fin {
        out[0] &= 0x7F;
    }
    out[1] |= 0x80;
    let head_len = match out[1] & 0x7F {
        126 => 4,
        127 => 10,
        _ => 2,
    };
    let key = [0x37u8, 0xFA, 0x21, 0x3D];
    let payload: Vec<u8> = out
        .split_off(head_len)
        .iter()
        .enumerate()
        .map(|(i, b)| b ^ key[i % 4])
        .collect();
    out.extend_from_slice(&key);
    out.extend_from_slice(&payload);
    out
}

fuzz_target!(|data: &[u8]| {
    read(data, None);
    read(
        data,
        Some(Deflate {
            client_no_context_takeover: data.len() % 2 == 1,
        }),
    );
});

/// Frames out of `data` through the assembler, as a server reads them.
fn read(data: &[u8], deflate: Option<Deflate>) {
    let mut asm = Assembler::with_deflate(MAX, deflate);
    let mut pos = 0;
    loop {
        let room = asm.room().max(125);
        match decode_frame_rsv1(&data[pos..], room, deflate.is_some()) {
            Ok(None) => break,
            Ok(Some((frame, rsv1, used))) => {
                assert!(
                    used >= 2 && pos + used <= data.len(),
                    "frame claims bytes it was not given"
                );
                assert!(frame.payload.len() <= room, "frame over the limit");
                let again = remask(&frame);
                let (same, n) = decode_frame(&again, room).unwrap().unwrap();
                assert_eq!(
                    (same.fin, same.opcode, &same.payload, n),
                    (frame.fin, frame.opcode, &frame.payload, again.len())
                );
                pos += used;
                let control = matches!(frame.opcode, Opcode::Close | Opcode::Ping | Opcode::Pong);
                match asm.push_rsv1(frame, rsv1) {
                    Ok(Event::Text(t)) => assert!(t.len() <= MAX),
                    Ok(Event::Binary(b)) => assert!(b.len() <= MAX),
                    Ok(Event::Close(code, reason)) => {
                        assert!(code == close::NO_STATUS || (1000..5000).contains(&code));
                        assert!(reason.len() <= 123);
                        break;
                    }
                    Ok(Event::Ping(p)) => assert!(control && p.len() <= 125),
                    Ok(Event::Pong) | Ok(Event::Nothing) => {}
                    Err(e) => {
                        assert!(matches!(
                            e.code,
                            close::PROTOCOL_ERROR | close::INVALID_DATA | close::TOO_BIG
                        ));
                        break;
                    }
                }
            }
            Err(e) => {
                assert!(matches!(e.code, close::PROTOCOL_ERROR | close::TOO_BIG));
                break;
            }
        }
    }
}
