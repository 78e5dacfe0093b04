//! Response compression: gzip, brotli and zstd, chosen by `Accept-Encoding` (RFC 9110 §12.5.3)
//! as django-bolt 0.13 chooses: the configured backend when the client accepts it, else gzip
//! when `gzip_fallback` is on and the client accepts gzip, else the body is sent as it is.
//!
//! Applied to a finished `Response` (`runtime::dispatch`), so handlers, Django's fallthrough,
//! static files and errors all go through the same rules. A response that already has a
//! `content-encoding` (precompressed static files) is left alone. A file body (static file,
//! `FileResponse`) of up to [`MAX_FILE_ON_THE_FLY`] bytes is read into memory from the page cache
//! and compressed like any body (`plan_file`); a bigger one, or one not cached, is sent from
//! disk as it is.

use crate::http::accept::coding_weight;
use crate::http::{BodySource, Response};
use std::io::Write;

/// The largest file body compressed on the fly. A bigger one is sent from disk in chunks as it
/// is: compressing it would hold it whole in memory and spend the core's time on it at every
/// request (serve a precompressed `.br`/`.gz` sibling instead).
pub const MAX_FILE_ON_THE_FLY: u64 = 1 << 20;

/// A content coding bolt can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Gzip,
    Brotli,
    Zstd,
}

impl Coding {
    /// The RFC 9110 §8.4.1 token (`br` for brotli).
    pub fn token(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Brotli => "br",
            Coding::Zstd => "zstd",
        }
    }

    /// django-bolt's backend names (`CompressionConfig.backend`).
    pub fn from_backend(name: &str) -> Option<Coding> {
        match name {
            "gzip" => Some(Coding::Gzip),
            "brotli" => Some(Coding::Brotli),
            "zstd" => Some(Coding::Zstd),
            _ => None,
        }
    }
}

/// The project's `CompressionConfig`. The default levels are the ones django-bolt 0.13 really
/// applies to a response body (actix-http's encoder: gzip `Compression::fast()`, brotli quality
/// 3, zstd 3), not the 6 and 5 its `CompressionConfig` documents, which reach only its streams:
/// the same bytes on the wire as django-bolt for the same CPU or less. Configured levels are
/// applied as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compression {
    pub backend: Coding,
    pub minimum_size: usize,
    pub gzip_fallback: bool,
    pub brotli_level: u32,
    pub brotli_lgwin: u32,
    pub gzip_level: u32,
    pub zstd_level: i32,
}

impl Default for Compression {
    fn default() -> Self {
        Compression {
            backend: Coding::Brotli,
            minimum_size: 500,
            gzip_fallback: true,
            brotli_level: 3,
            brotli_lgwin: 14,
            gzip_level: 1,
            zstd_level: 3,
        }
    }
}

/// Whether `Accept-Encoding` accepts `token` (a weight above 0, `http::accept`).
fn accepts(accept: &[u8], token: &str) -> bool {
    coding_weight([accept], token).is_some_and(|q| q > 0)
}

impl Compression {
    /// The coding for a request's `Accept-Encoding` (None: no header, or nothing acceptable).
    pub fn negotiate(&self, accept: Option<&[u8]>) -> Option<Coding> {
        let accept = accept?;
        if accepts(accept, self.backend.token()) {
            return Some(self.backend);
        }
        (self.gzip_fallback && accepts(accept, "gzip")).then_some(Coding::Gzip)
    }

    /// Compresses `resp` in place when it qualifies and the client accepts a coding; adds
    /// `content-encoding` and `vary: accept-encoding` (the writer then frames the new body).
    /// A qualifying response gets the Vary header even when sent uncompressed, so caches keep
    /// the variants apart.
    pub fn apply(&self, accept: Option<&[u8]>, resp: &mut Response) {
        if !self.qualifies(resp) {
            return;
        }
        resp.add_vary("accept-encoding");
        let Some(coding) = self.negotiate(accept) else {
            return;
        };
        let Ok(body) = self.encode(coding, &resp.body) else {
            return;
        };
        resp.body = body;
        resp.headers.push((
            b"content-encoding".to_vec(),
            coding.token().as_bytes().to_vec(),
        ));
        weaken_etag(resp);
    }

    fn qualifies(&self, resp: &Response) -> bool {
        resp.source.is_none() && self.qualifies_as(resp, resp.body.len())
    }

    /// The rules every body goes by, for a body of `len` bytes.
    fn qualifies_as(&self, resp: &Response, len: usize) -> bool {
        len >= self.minimum_size.max(1)
            && media_type(resp).is_some_and(|ct| compressible(ct) && !is_event_stream(ct))
            && self.may_encode(resp)
    }

    /// A file body (a static file without a precompressed sibling, or a `FileResponse`), before
    /// the request's conditionals turn its 200 into a 304 or 206: when it qualifies under the
    /// same rules as any body, and is at most [`MAX_FILE_ON_THE_FLY`] bytes, it gets `Vary`
    /// (which a 304 keeps) and the coding its 200 is to be compressed with is returned. The
    /// caller then reads the file into the body (`apply` compresses it) or, for a 304, gives it
    /// the weak ETag the 200 would have had (`weaken_etag`).
    ///
    /// None: sent from disk as it is. Always for a request with a `Range`: a range counts
    /// bytes of the file as stored, so it is answered on those (RFC 9110 §14.1.2).
    pub fn plan_file(
        &self,
        accept: Option<&[u8]>,
        ranged: bool,
        resp: &mut Response,
    ) -> Option<Coding> {
        let Some(BodySource::File { len, .. }) = resp.source else {
            return None;
        };
        if resp.status != 200
            || len > MAX_FILE_ON_THE_FLY
            || !self.qualifies_as(resp, usize::try_from(len).ok()?)
        {
            return None;
        }
        resp.add_vary("accept-encoding");
        if ranged {
            return None;
        }
        self.negotiate(accept)
    }

    fn may_encode(&self, resp: &Response) -> bool {
        // 206: Content-Range counts bytes of the identity body.
        !matches!(resp.status, 100..=199 | 204 | 206 | 304)
            && !resp.headers.iter().any(|(n, _)| n == b"content-encoding")
    }

    /// For a streamed body: the encoder its chunks go through (each flushed, so every chunk
    /// reaches the client decodable as it is sent, events included), with the same headers as
    /// `apply`. None: sent as it is (no acceptable coding, an incompressible type, or the
    /// handler framed or encoded the body itself).
    pub fn for_stream(&self, accept: Option<&[u8]>, resp: &mut Response) -> Option<StreamEncoder> {
        if !(media_type(resp).is_some_and(compressible) && self.may_encode(resp)) {
            return None;
        }
        resp.add_vary("accept-encoding");
        if resp.headers.iter().any(|(n, _)| n == b"content-length") {
            return None;
        }
        let coding = self.negotiate(accept)?;
        resp.headers.push((
            b"content-encoding".to_vec(),
            coding.token().as_bytes().to_vec(),
        ));
        Some(self.stream_encoder(coding))
    }

    /// The brotli encoder's parameters. For qualities 5-9 with a window of at most 64 KiB
    /// (e.g. django-bolt's documented 5 and 14) the C library uses a hasher the `brotli` crate lacks;
    /// the crate then falls back to one that allocates and zeroes a 32 MiB table per response
    /// (8-10x the whole compression's cost on a 50 KiB body). The hasher the C library picks
    /// for larger windows at those qualities (H5) is set here instead.
    fn brotli_params(&self, size_hint: usize) -> brotli::enc::BrotliEncoderParams {
        let quality = self.brotli_level.min(11) as i32;
        let lgwin = self.brotli_lgwin.clamp(10, 24) as i32;
        let mut params = brotli::enc::BrotliEncoderParams {
            quality,
            lgwin,
            size_hint,
            ..Default::default()
        };
        if (5..=9).contains(&quality) && lgwin <= 16 {
            params.hasher.type_ = 5;
            params.hasher.block_bits = (quality - 1).min(9);
            params.hasher.bucket_bits = if quality < 7 { 14 } else { 15 };
            params.hasher.hash_len = 4;
            params.hasher.num_last_distances_to_check = match quality {
                ..=6 => 4,
                7 | 8 => 10,
                _ => 16,
            };
        }
        params
    }

    fn stream_encoder(&self, coding: Coding) -> StreamEncoder {
        StreamEncoder(match coding {
            Coding::Gzip => Sink::Gzip(flate2::write::GzEncoder::new(
                Vec::new(),
                flate2::Compression::new(self.gzip_level.min(9)),
            )),
            Coding::Brotli => Sink::Brotli(Box::new(brotli::CompressorWriter::with_params(
                Vec::new(),
                4096,
                &self.brotli_params(0),
            ))),
            Coding::Zstd => {
                match zstd::stream::write::Encoder::new(Vec::new(), self.zstd_level.clamp(1, 22)) {
                    Ok(e) => Sink::Zstd(e),
                    // Only fails when out of memory for the context: gzip has no such step.
                    Err(_) => return self.stream_encoder(Coding::Gzip),
                }
            }
        })
    }

    pub fn encode(&self, coding: Coding, body: &[u8]) -> std::io::Result<Vec<u8>> {
        let out = Vec::with_capacity(body.len() / 4 + 64);
        match coding {
            Coding::Gzip => {
                let mut enc = flate2::write::GzEncoder::new(
                    out,
                    flate2::Compression::new(self.gzip_level.min(9)),
                );
                enc.write_all(body)?;
                enc.finish()
            }
            Coding::Brotli => {
                let mut out = out;
                brotli::BrotliCompress(&mut &body[..], &mut out, &self.brotli_params(body.len()))?;
                Ok(out)
            }
            Coding::Zstd => zstd::bulk::compress(body, self.zstd_level.clamp(1, 22)),
        }
    }
}

/// Compresses a streamed body chunk by chunk.
pub struct StreamEncoder(Sink);

enum Sink {
    Gzip(flate2::write::GzEncoder<Vec<u8>>),
    Brotli(Box<brotli::CompressorWriter<Vec<u8>>>),
    Zstd(zstd::stream::write::Encoder<'static, Vec<u8>>),
}

impl StreamEncoder {
    /// `data` compressed and flushed: everything the client needs to decode it so far.
    pub fn chunk(&mut self, data: &[u8]) -> std::io::Result<Vec<u8>> {
        fn step<W: Write>(w: &mut W, data: &[u8]) -> std::io::Result<()> {
            w.write_all(data)?;
            w.flush()
        }
        match &mut self.0 {
            Sink::Gzip(e) => {
                step(e, data)?;
                Ok(std::mem::take(e.get_mut()))
            }
            Sink::Brotli(e) => {
                step(e.as_mut(), data)?;
                Ok(std::mem::take(e.get_mut()))
            }
            Sink::Zstd(e) => {
                step(e, data)?;
                Ok(std::mem::take(e.get_mut()))
            }
        }
    }

    /// The last `data` and the coding's end of stream.
    pub fn finish(mut self, data: &[u8]) -> std::io::Result<Vec<u8>> {
        let mut out = self.chunk(data)?;
        let tail = match self.0 {
            Sink::Gzip(e) => e.finish()?,
            Sink::Brotli(e) => e.into_inner(),
            Sink::Zstd(e) => e.finish()?,
        };
        out.extend_from_slice(&tail);
        Ok(out)
    }
}

/// The response's media type: its own field, or a `content-type` among its headers (Django's
/// responses carry it there).
fn media_type(resp: &Response) -> Option<&[u8]> {
    resp.content_type.as_deref().or_else(|| {
        resp.headers
            .iter()
            .find(|(n, _)| n == b"content-type")
            .map(|(_, v)| v.as_slice())
    })
}

/// Text-like media types, which compress well; images, audio, video and archives are already
/// compressed (SVG is XML, so it is compressed).
fn compressible(content_type: &[u8]) -> bool {
    let ct = content_type.split(|&b| b == b';').next().unwrap_or(b"");
    let ct = String::from_utf8_lossy(ct).trim().to_ascii_lowercase();
    ct.starts_with("text/")
        || ct.ends_with("+json")
        || ct.ends_with("+xml")
        || matches!(
            ct.as_str(),
            "application/json"
                | "application/javascript"
                | "application/x-javascript"
                | "application/ecmascript"
                | "application/xml"
                | "application/x-ndjson"
                | "application/x-www-form-urlencoded"
                | "application/wasm"
                | "application/graphql"
                | "application/manifest+json"
                | "image/svg+xml"
                | "image/x-icon"
                | "image/bmp"
                | "font/ttf"
                | "font/otf"
        )
}

/// Events are compressed only as a stream, flushed per event: a whole-body encoder would hold
/// them back.
fn is_event_stream(content_type: &[u8]) -> bool {
    let ct = content_type.split(|&b| b == b';').next().unwrap_or(b"");
    ct.trim_ascii().eq_ignore_ascii_case(b"text/event-stream")
}

/// RFC 9110 §8.8.3: a strong validator names one representation's exact bytes, so a compressed
/// body (or the 304 standing for one) carries its ETag as weak. Both codings of one body share
/// it: they are the same content, which is what a weak tag says.
pub fn weaken_etag(resp: &mut Response) {
    for (name, value) in &mut resp.headers {
        if name == b"etag" && !value.starts_with(b"W/") {
            value.splice(0..0, *b"W/");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(backend: Coding, gzip_fallback: bool) -> Compression {
        Compression {
            backend,
            gzip_fallback,
            ..Compression::default()
        }
    }

    #[test]
    fn negotiation_table() {
        use Coding::*;
        // (backend, gzip_fallback, Accept-Encoding, chosen, why)
        type Case = (
            Coding,
            bool,
            Option<&'static str>,
            Option<Coding>,
            &'static str,
        );
        let cases: &[Case] = &[
            (
                Brotli,
                true,
                None,
                None,
                "no header: identity, as django-bolt",
            ),
            (Brotli, true, Some(""), None, "empty header: identity only"),
            (
                Brotli,
                true,
                Some("gzip, deflate, br"),
                Some(Brotli),
                "backend accepted",
            ),
            (
                Brotli,
                true,
                Some("gzip;q=1, br;q=0.1"),
                Some(Brotli),
                "any q > 0 accepts the backend",
            ),
            (Brotli, true, Some("gzip"), Some(Gzip), "fallback to gzip"),
            (
                Brotli,
                false,
                Some("gzip"),
                None,
                "no fallback when switched off",
            ),
            (
                Brotli,
                true,
                Some("br;q=0, gzip"),
                Some(Gzip),
                "q=0 rejects the backend",
            ),
            (
                Brotli,
                true,
                Some("br;q=0, gzip;q=0"),
                None,
                "everything refused",
            ),
            (Brotli, true, Some("*"), Some(Brotli), "* accepts anything"),
            (
                Brotli,
                true,
                Some("gzip, *;q=0"),
                Some(Gzip),
                "*;q=0 leaves only gzip",
            ),
            (Brotli, true, Some("*;q=0"), None, "*;q=0 refuses all"),
            (
                Brotli,
                true,
                Some("br;q=0, *"),
                Some(Gzip),
                "explicit q=0 beats a generous *",
            ),
            (
                Brotli,
                true,
                Some("identity;q=0, gzip"),
                Some(Gzip),
                "identity;q=0 with gzip",
            ),
            (
                Brotli,
                true,
                Some("identity;q=0"),
                None,
                "nothing we can produce: identity anyway",
            ),
            (
                Brotli,
                true,
                Some("BR"),
                Some(Brotli),
                "tokens are case-insensitive",
            ),
            (
                Brotli,
                true,
                Some("GZip ; Q=0.5"),
                Some(Gzip),
                "spaces and case in parameters",
            ),
            (
                Brotli,
                true,
                Some("gzipped, brotli"),
                None,
                "no substring matches",
            ),
            (
                Brotli,
                true,
                Some("x-gzip"),
                Some(Gzip),
                "x-gzip is gzip (RFC 9110 §8.4.1.3)",
            ),
            (
                Brotli,
                true,
                Some("br;q=abc, gzip;q=2"),
                None,
                "malformed q-values count as 0",
            ),
            (Brotli, true, Some("br;q=0.000"), None, "0.000 is zero"),
            (
                Brotli,
                true,
                Some("br;q=0.001"),
                Some(Brotli),
                "0.001 is not",
            ),
            (
                Zstd,
                true,
                Some("zstd, br, gzip"),
                Some(Zstd),
                "zstd backend",
            ),
            (Gzip, false, Some("br, gzip"), Some(Gzip), "gzip backend"),
            (Gzip, true, Some("br"), None, "gzip backend, br only"),
        ];
        for &(backend, fallback, header, want, why) in cases {
            let got = cfg(backend, fallback).negotiate(header.map(str::as_bytes));
            assert_eq!(got, want, "{why}: {header:?}");
        }
    }

    fn body() -> Vec<u8> {
        br#"{"items":[1,2,3,4,5,6,7,8,9,10]}"#.repeat(40)
    }

    #[test]
    fn compresses_json_and_merges_vary() {
        let mut r = Response::json(200, body()).with_header(b"vary", b"Origin");
        Compression::default().apply(Some(b"gzip"), &mut r);
        assert!(r
            .headers
            .contains(&(b"content-encoding".to_vec(), b"gzip".to_vec())));
        assert!(r
            .headers
            .contains(&(b"vary".to_vec(), b"Origin, accept-encoding".to_vec())));
        let mut d = flate2::read::GzDecoder::new(&r.body[..]);
        let mut plain = Vec::new();
        std::io::Read::read_to_end(&mut d, &mut plain).unwrap();
        assert_eq!(plain, body());
    }

    #[test]
    fn leaves_alone() {
        let c = Compression::default();
        let cases: Vec<(Response, &str)> = vec![
            (Response::json(200, b"{}".to_vec()), "below minimum_size"),
            (Response::json(304, body()), "304"),
            (Response::json(206, body()), "206"),
            (
                Response::json(200, body()).with_header(b"content-encoding", b"br"),
                "already encoded",
            ),
            (
                Response {
                    content_type: Some(b"image/png".to_vec()),
                    ..Response::json(200, body())
                },
                "an image",
            ),
        ];
        for (mut r, why) in cases {
            let before = r.body.clone();
            c.apply(Some(b"br, gzip"), &mut r);
            assert_eq!(r.body, before, "{why}");
            assert!(
                !r.headers
                    .iter()
                    .any(|(n, v)| n == b"content-encoding" && v != b"br"),
                "{why}"
            );
        }
    }

    /// Every chunk is decodable on its own arrival: the client sees each event as it is sent.
    #[test]
    fn stream_chunks_are_flushed_and_the_whole_decodes() {
        use std::io::Read;
        for coding in [Coding::Gzip, Coding::Brotli, Coding::Zstd] {
            let c = cfg(coding, false);
            let mut resp = Response::json(200, Vec::new());
            resp.source = Some(crate::http::BodySource::Stream(1));
            resp.content_type = Some(b"text/event-stream".to_vec());
            let mut enc = c
                .for_stream(Some(coding.token().as_bytes()), &mut resp)
                .expect("encoder");
            assert!(resp.headers.contains(&(
                b"content-encoding".to_vec(),
                coding.token().as_bytes().to_vec()
            )));
            let mut wire = Vec::new();
            for i in 0..3 {
                let part = enc.chunk(format!("data: {i}\n\n").as_bytes()).unwrap();
                assert!(!part.is_empty(), "{coding:?}: chunk {i} held back");
                wire.extend_from_slice(&part);
                // What arrived so far decodes to every event sent so far.
                let so_far = partial_decode(coding, &wire);
                assert!(
                    so_far.ends_with(format!("data: {i}\n\n").as_bytes()),
                    "{coding:?}"
                );
            }
            wire.extend_from_slice(&enc.finish(b"data: end\n\n").unwrap());
            let mut all = Vec::new();
            match coding {
                Coding::Gzip => {
                    flate2::read::GzDecoder::new(&wire[..])
                        .read_to_end(&mut all)
                        .unwrap();
                }
                Coding::Brotli => {
                    brotli::Decompressor::new(&wire[..], 4096)
                        .read_to_end(&mut all)
                        .unwrap();
                }
                Coding::Zstd => all = zstd::stream::decode_all(&wire[..]).unwrap(),
            }
            assert_eq!(all, b"data: 0\n\ndata: 1\n\ndata: 2\n\ndata: end\n\n");
        }
    }

    /// Decodes a stream cut short (as a client reading it live does).
    fn partial_decode(coding: Coding, wire: &[u8]) -> Vec<u8> {
        use std::io::Read;
        let mut out = Vec::new();
        let mut buf = [0u8; 256];
        let mut r: Box<dyn Read> = match coding {
            Coding::Gzip => Box::new(flate2::read::GzDecoder::new(wire)),
            Coding::Brotli => Box::new(brotli::Decompressor::new(wire, 4096)),
            Coding::Zstd => Box::new(zstd::stream::read::Decoder::new(wire).unwrap()),
        };
        while let Ok(n) = r.read(&mut buf) {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        out
    }

    #[test]
    fn streams_the_handler_framed_or_encoded_are_left_alone() {
        let c = Compression::default();
        for header in [&b"content-length"[..], b"content-encoding"] {
            let mut resp = Response::json(200, Vec::new());
            resp.source = Some(crate::http::BodySource::Stream(1));
            resp.headers.push((header.to_vec(), b"5".to_vec()));
            assert!(c.for_stream(Some(b"br"), &mut resp).is_none());
        }
        let mut png = Response::json(200, Vec::new());
        png.content_type = Some(b"image/png".to_vec());
        assert!(c.for_stream(Some(b"br"), &mut png).is_none());
    }

    fn file(len: u64, content_type: &[u8]) -> Response {
        Response {
            content_type: Some(content_type.to_vec()),
            source: Some(BodySource::File {
                path: "/f.txt".into(),
                offset: 0,
                len,
            }),
            ..Response::json(200, Vec::new())
        }
    }

    fn has_vary(r: &Response) -> bool {
        r.headers
            .contains(&(b"vary".to_vec(), b"accept-encoding".to_vec()))
    }

    #[test]
    fn files_are_planned_by_the_same_rules_up_to_a_size() {
        let c = Compression::default();
        let text = b"text/css; charset=utf-8";
        // (file, Accept-Encoding, ranged, coding, Vary added, why)
        type Case = (
            Response,
            &'static str,
            bool,
            Option<Coding>,
            bool,
            &'static str,
        );
        let cases: Vec<Case> = vec![
            (
                file(4000, text),
                "gzip, br",
                false,
                Some(Coding::Brotli),
                true,
                "the backend",
            ),
            (
                file(4000, text),
                "gzip",
                false,
                Some(Coding::Gzip),
                true,
                "the fallback",
            ),
            (
                file(4000, text),
                "identity",
                false,
                None,
                true,
                "varies even uncompressed",
            ),
            (
                file(4000, text),
                "br",
                true,
                None,
                true,
                "a Range is of the identity",
            ),
            (
                file(100, text),
                "br",
                false,
                None,
                false,
                "below minimum_size",
            ),
            (
                file(MAX_FILE_ON_THE_FLY, text),
                "br",
                false,
                Some(Coding::Brotli),
                true,
                "1 MiB exactly",
            ),
            (
                file(MAX_FILE_ON_THE_FLY + 1, text),
                "br",
                false,
                None,
                false,
                "too big",
            ),
            (
                file(4000, b"image/png"),
                "br",
                false,
                None,
                false,
                "an image",
            ),
            (
                file(4000, text).with_header(b"content-encoding", b"gzip"),
                "br",
                false,
                None,
                false,
                "a precompressed sibling",
            ),
            (
                Response::json(200, body()),
                "br",
                false,
                None,
                false,
                "not a file: `apply` does it",
            ),
        ];
        for (mut r, accept, ranged, want, vary, why) in cases {
            assert_eq!(
                c.plan_file(Some(accept.as_bytes()), ranged, &mut r),
                want,
                "{why}"
            );
            assert_eq!(has_vary(&r), vary, "{why}");
        }
    }

    #[test]
    fn default_levels_are_django_bolts_effective_ones() {
        let c = Compression::default();
        assert_eq!((c.gzip_level, c.brotli_level, c.zstd_level), (1, 3, 3));
        // flate2 marks level 1 as "fastest" in the gzip header (RFC 1952 XFL = 4), as
        // actix-http's `Compression::fast()` does; a configured 9 is "maximum" (2).
        assert_eq!(c.encode(Coding::Gzip, &body()).unwrap()[8], 4);
        let best = Compression {
            gzip_level: 9,
            ..c.clone()
        };
        assert_eq!(best.encode(Coding::Gzip, &body()).unwrap()[8], 2);
    }

    #[test]
    fn strong_etag_becomes_weak() {
        let mut r = Response::json(200, body()).with_header(b"etag", b"\"abc\"");
        Compression::default().apply(Some(b"br"), &mut r);
        assert!(r
            .headers
            .contains(&(b"etag".to_vec(), b"W/\"abc\"".to_vec())));
    }
}
