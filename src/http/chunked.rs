//! Incremental decoder for the chunked transfer coding (RFC 9112 §7.1).
//!
//! A state machine rather than a parse of a buffered whole, so a body can arrive in any
//! split across reads (down to one byte at a time) without rescanning, and the server never
//! holds more than the decoded bytes. Everything bounded: size digits, line length, trailer
//! section and total body size.

use super::{is_tchar, HttpError};

/// A chunk-size line (size plus extensions) or trailer line longer than this is refused.
/// RFC 9112 §7.1.1 lets a recipient limit extensions; 4 KiB is far above any real use.
const MAX_LINE: usize = 4 * 1024;
/// The whole trailer section, which we read only to discard (RFC 9112 §7.1.2).
const MAX_TRAILERS: usize = 16 * 1024;
/// Trailer field lines; more is refused like too many bytes (hyper stops at 100, our head
/// default is 128: below both, so no front-end forwards a trailer section we refuse less).
const MAX_TRAILER_FIELDS: usize = 64;
/// 16 hex digits fill a u64; more can only be an overflow (or padding meant to confuse).
const MAX_SIZE_DIGITS: u8 = 16;

/// Progress after one [`ChunkedDecoder::decode`] call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkStatus {
    /// All of `consumed` (the whole input) was used; feed more bytes.
    NeedMore { consumed: usize },
    /// The body ended after `consumed` bytes; the rest of the input is the next request.
    Done { consumed: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Hex digits of chunk-size.
    Size,
    /// Whitespace after the size, before `;` or CR (tolerated as BWS, RFC 9112 §7.1.1).
    SizeWs,
    /// Inside chunk extensions, skipped up to CR.
    Ext,
    /// CR of the size line seen.
    SizeLf,
    /// Chunk data, `remaining` bytes left.
    Data,
    /// After data: CR expected.
    DataCr,
    /// After data: LF expected.
    DataLf,
    /// Start of a trailer line, or of the final empty line.
    TrailerStart,
    /// Inside a trailer field name.
    TrailerName,
    /// Whitespace after a trailer field name: only refused, with the right reason.
    TrailerNameWs,
    /// Inside a trailer field value.
    TrailerValue,
    /// CR of a trailer line seen.
    TrailerLf,
    /// CR of the final empty line seen.
    FinalLf,
    Done,
}

/// Decodes one chunked body; create one per request. After an error the decoder (and the
/// connection) must be dropped: the framing is unknown from then on.
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    state: State,
    size: u64,
    digits: u8,
    line_len: usize,
    remaining: u64,
    total: usize,
    max_body: usize,
    trailer_len: usize,
    trailer_fields: usize,
}

impl ChunkedDecoder {
    /// `max_body` bounds the decoded size; exceeding it is 413 (checked against each chunk's
    /// declared size, before its data is read).
    pub fn new(max_body: usize) -> Self {
        ChunkedDecoder {
            state: State::Size,
            size: 0,
            digits: 0,
            line_len: 0,
            remaining: 0,
            total: 0,
            max_body,
            trailer_len: 0,
            trailer_fields: 0,
        }
    }

    /// Decoded bytes so far.
    pub fn decoded_len(&self) -> usize {
        self.total
    }

    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Appends the data of the chunks in `input` to `out`. Stops right after the body ends, so
    /// pipelined bytes that follow are left unconsumed.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<ChunkStatus, HttpError> {
        let mut i = 0;
        while i < input.len() {
            match self.state {
                State::Data => {
                    let avail = input.len() - i;
                    let n = usize::try_from(self.remaining).map_or(avail, |r| r.min(avail));
                    out.extend_from_slice(&input[i..i + n]);
                    i += n;
                    self.total += n;
                    self.remaining -= n as u64;
                    if self.remaining == 0 {
                        self.state = State::DataCr;
                    }
                    continue;
                }
                State::Done => return Ok(ChunkStatus::Done { consumed: i }),
                _ => {}
            }
            let b = input[i];
            i += 1;
            match self.state {
                // RFC 9112 §7.1: chunk-size = 1*HEXDIG.
                State::Size => match b {
                    b'\r' | b';' | b' ' | b'\t' if self.digits == 0 => {
                        return Err(HttpError::InvalidChunkSize)
                    }
                    b'\r' => self.state = State::SizeLf,
                    b';' => self.state = State::Ext,
                    b' ' | b'\t' => self.state = State::SizeWs,
                    b'\n' => return Err(HttpError::BareLf),
                    _ => {
                        let v = hex_value(b).ok_or(HttpError::InvalidChunkSize)?;
                        if self.digits == MAX_SIZE_DIGITS {
                            return Err(HttpError::ChunkSizeOverflow);
                        }
                        self.size = (self.size << 4) | u64::from(v);
                        self.digits += 1;
                    }
                },
                State::SizeWs => match b {
                    b' ' | b'\t' => {}
                    b';' => self.state = State::Ext,
                    b'\r' => self.state = State::SizeLf,
                    b'\n' => return Err(HttpError::BareLf),
                    _ => return Err(HttpError::InvalidChunkSize),
                },
                // RFC 9112 §7.1.1: a recipient MUST ignore unrecognized extensions; we ignore
                // all of them, and only bound their length.
                State::Ext => match b {
                    b'\r' => self.state = State::SizeLf,
                    b'\n' => return Err(HttpError::BareLf),
                    _ => {}
                },
                State::SizeLf => {
                    if b != b'\n' {
                        return Err(HttpError::InvalidLineEnding);
                    }
                    self.end_size_line()?;
                    continue;
                }
                // RFC 9112 §7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF.
                State::DataCr => match b {
                    b'\r' => self.state = State::DataLf,
                    b'\n' => return Err(HttpError::BareLf),
                    _ => return Err(HttpError::MissingChunkCrlf),
                },
                State::DataLf => {
                    if b != b'\n' {
                        return Err(HttpError::MissingChunkCrlf);
                    }
                    self.state = State::Size;
                    self.line_len = 0;
                    continue;
                }
                // RFC 9112 §7.1.2: trailer-section = *( field-line CRLF ), then CRLF. We
                // discard it (no handler asks for trailers) but hold each line to the field-line
                // syntax of a header (§5): a front-end that parses trailers refuses a malformed
                // one, and a message two parsers judge differently is the start of smuggling
                // (§11.2). hyper's server refuses them too (h1_differential compares with it).
                State::TrailerStart => match b {
                    b'\r' => self.state = State::FinalLf,
                    b'\n' => return Err(HttpError::BareLf),
                    // §5.2: obs-fold (a line starting with whitespace) MUST be rejected.
                    b' ' | b'\t' => return Err(HttpError::ObsFold),
                    _ if is_tchar(b) => {
                        self.trailer_fields += 1;
                        if self.trailer_fields > MAX_TRAILER_FIELDS {
                            return Err(HttpError::TrailersTooLarge);
                        }
                        self.line_len = 0;
                        self.state = State::TrailerName;
                    }
                    _ => return Err(HttpError::InvalidHeaderName),
                },
                // §5.1: field-name = token, then ":" with no whitespace before it.
                State::TrailerName => match b {
                    b':' => self.state = State::TrailerValue,
                    b' ' | b'\t' => self.state = State::TrailerNameWs,
                    b'\n' => return Err(HttpError::BareLf),
                    _ if is_tchar(b) => {}
                    _ => return Err(HttpError::InvalidHeaderName),
                },
                State::TrailerNameWs => match b {
                    b' ' | b'\t' => {}
                    b':' => return Err(HttpError::WhitespaceBeforeColon),
                    b'\n' => return Err(HttpError::BareLf),
                    _ => return Err(HttpError::InvalidHeaderName),
                },
                // RFC 9110 §5.5: field-value bytes are VCHAR, obs-text, SP and HTAB.
                State::TrailerValue => match b {
                    b'\r' => self.state = State::TrailerLf,
                    b'\n' => return Err(HttpError::BareLf),
                    b'\t' => {}
                    _ if b < 0x20 || b == 0x7F => return Err(HttpError::InvalidHeaderValue),
                    _ => {}
                },
                State::TrailerLf => {
                    if b != b'\n' {
                        return Err(HttpError::InvalidLineEnding);
                    }
                    self.state = State::TrailerStart;
                    self.trailer_len += 1;
                    continue;
                }
                State::FinalLf => {
                    if b != b'\n' {
                        return Err(HttpError::InvalidLineEnding);
                    }
                    self.state = State::Done;
                    return Ok(ChunkStatus::Done { consumed: i });
                }
                State::Data | State::Done => unreachable!("handled before reading a byte"),
            }
            // Every byte of a size line or trailer line lands here (CR included).
            self.line_len += 1;
            if self.line_len > MAX_LINE {
                return Err(HttpError::ChunkLineTooLong);
            }
            if matches!(
                self.state,
                State::TrailerName
                    | State::TrailerNameWs
                    | State::TrailerValue
                    | State::TrailerLf
                    | State::FinalLf
            ) {
                self.trailer_len += 1;
                if self.trailer_len > MAX_TRAILERS {
                    return Err(HttpError::TrailersTooLarge);
                }
            }
        }
        Ok(if self.state == State::Done {
            ChunkStatus::Done { consumed: i }
        } else {
            ChunkStatus::NeedMore { consumed: i }
        })
    }

    /// The size line is complete: start the data, or the trailer after the last-chunk.
    fn end_size_line(&mut self) -> Result<(), HttpError> {
        let size = self.size;
        self.size = 0;
        self.digits = 0;
        self.line_len = 0;
        if size == 0 {
            self.state = State::TrailerStart;
            return Ok(());
        }
        // Checked on the declared size, so an oversized body is refused before it is read.
        let room = (self.max_body - self.total) as u64;
        if size > room {
            return Err(HttpError::BodyTooLarge);
        }
        self.remaining = size;
        self.state = State::Data;
        Ok(())
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 1024 * 1024;

    fn one_shot(input: &[u8], max: usize) -> Result<(Vec<u8>, usize), HttpError> {
        let mut d = ChunkedDecoder::new(max);
        let mut out = Vec::new();
        match d.decode(input, &mut out)? {
            ChunkStatus::Done { consumed } => Ok((out, consumed)),
            ChunkStatus::NeedMore { .. } => {
                panic!("incomplete: {:?}", String::from_utf8_lossy(input))
            }
        }
    }

    fn byte_by_byte(input: &[u8], max: usize) -> Result<(Vec<u8>, usize), HttpError> {
        let mut d = ChunkedDecoder::new(max);
        let mut out = Vec::new();
        for (i, b) in input.iter().enumerate() {
            match d.decode(std::slice::from_ref(b), &mut out)? {
                ChunkStatus::NeedMore { consumed } => assert_eq!(consumed, 1),
                ChunkStatus::Done { consumed } => {
                    assert_eq!(consumed, 1);
                    return Ok((out, i + 1));
                }
            }
        }
        panic!("incomplete: {:?}", String::from_utf8_lossy(input))
    }

    /// Both feeding styles must agree, on success and on the error.
    #[track_caller]
    fn decode_both(input: &[u8], max: usize) -> Result<(Vec<u8>, usize), HttpError> {
        let a = one_shot(input, max);
        let b = byte_by_byte(input, max);
        assert_eq!(a, b, "one-shot and byte-by-byte differ");
        a
    }

    #[track_caller]
    fn chunk_err(input: &[u8], expected: HttpError, why: &str) {
        assert_eq!(decode_both(input, MAX), Err(expected), "{why}");
    }

    #[test]
    fn decodes_valid_bodies() {
        let cases: &[(&[u8], &[u8], &str)] = &[
            (b"0\r\n\r\n", b"", "empty body"),
            (b"5\r\nhello\r\n0\r\n\r\n", b"hello", "one chunk"),
            (
                b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
                b"hello world",
                "two chunks",
            ),
            (
                b"A\r\n0123456789\r\n0\r\n\r\n",
                b"0123456789",
                "upper-case hex",
            ),
            (
                b"a\r\n0123456789\r\n0\r\n\r\n",
                b"0123456789",
                "lower-case hex",
            ),
            (b"0005\r\nhello\r\n0\r\n\r\n", b"hello", "leading zeros"),
            (
                b"5;name=val;x\r\nhello\r\n0;last\r\n\r\n",
                b"hello",
                "extensions skipped",
            ),
            (
                b"5 ;q=\"a;b\"\r\nhello\r\n0\r\n\r\n",
                b"hello",
                "BWS and quoted ext",
            ),
            (
                b"5\r\nhello\r\n0\r\nX-Sum: 1\r\nY: 2\r\n\r\n",
                b"hello",
                "trailers discarded",
            ),
            (
                b"2\r\n\r\n\r\n0\r\n\r\n",
                b"\r\n",
                "CRLF inside data is data",
            ),
        ];
        for (input, want, why) in cases {
            let (out, consumed) = decode_both(input, MAX).unwrap_or_else(|e| panic!("{why}: {e}"));
            assert_eq!(out, *want, "{why}");
            assert_eq!(consumed, input.len(), "{why}");
        }
    }

    #[test]
    fn leaves_pipelined_bytes_unconsumed() {
        let input = b"3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n";
        let (out, consumed) = one_shot(input, MAX).unwrap();
        assert_eq!(out, b"abc");
        assert_eq!(&input[consumed..], b"GET / HTTP/1.1\r\n");
    }

    #[test]
    fn resumes_across_arbitrary_splits() {
        let input = b"5;e=1\r\nhello\r\n10\r\n0123456789abcdef\r\n0\r\nT: v\r\n\r\n";
        for split in 0..=input.len() {
            let mut d = ChunkedDecoder::new(MAX);
            let mut out = Vec::new();
            let first = d.decode(&input[..split], &mut out).unwrap();
            if split < input.len() {
                assert_eq!(first, ChunkStatus::NeedMore { consumed: split });
                let second = d.decode(&input[split..], &mut out).unwrap();
                assert_eq!(
                    second,
                    ChunkStatus::Done {
                        consumed: input.len() - split
                    }
                );
            } else {
                assert_eq!(first, ChunkStatus::Done { consumed: split });
            }
            assert_eq!(out, b"hello0123456789abcdef");
            assert!(d.is_done());
        }
    }

    #[test]
    fn done_decoder_consumes_nothing_more() {
        let mut d = ChunkedDecoder::new(MAX);
        let mut out = Vec::new();
        d.decode(b"0\r\n\r\n", &mut out).unwrap();
        assert_eq!(
            d.decode(b"xyz", &mut out),
            Ok(ChunkStatus::Done { consumed: 0 })
        );
    }

    #[test]
    fn rejects_non_hex_chunk_size() {
        chunk_err(b"g\r\n", HttpError::InvalidChunkSize, "g is not HEXDIG");
        chunk_err(
            b"5x\r\nhello\r\n",
            HttpError::InvalidChunkSize,
            "junk after digits",
        );
        chunk_err(b"-5\r\n", HttpError::InvalidChunkSize, "signed");
        chunk_err(b"0x5\r\n", HttpError::InvalidChunkSize, "0x prefix");
        chunk_err(b"5 5\r\n", HttpError::InvalidChunkSize, "digits after BWS");
    }

    #[test]
    fn rejects_empty_chunk_size() {
        chunk_err(b"\r\n", HttpError::InvalidChunkSize, "no digits");
        chunk_err(
            b";ext\r\n",
            HttpError::InvalidChunkSize,
            "extension without size",
        );
        chunk_err(b" 5\r\n", HttpError::InvalidChunkSize, "leading whitespace");
    }

    #[test]
    fn rejects_chunk_size_overflow() {
        chunk_err(
            b"10000000000000000\r\n",
            HttpError::ChunkSizeOverflow,
            "17 hex digits",
        );
        chunk_err(
            b"00000000000000001\r\n",
            HttpError::ChunkSizeOverflow,
            "17 digits even if small",
        );
    }

    #[test]
    fn rejects_missing_crlf_after_chunk_data() {
        chunk_err(
            b"3\r\nabcd\r\n0\r\n\r\n",
            HttpError::MissingChunkCrlf,
            "data longer than size",
        );
        chunk_err(
            b"3\r\nabc\rX",
            HttpError::MissingChunkCrlf,
            "CR without LF after data",
        );
    }

    #[test]
    fn rejects_bare_lf() {
        let cases: &[(&[u8], &str)] = &[
            (b"5\nhello\r\n0\r\n\r\n", "after size"),
            (b"5;ext\nhello\r\n0\r\n\r\n", "after extension"),
            (b"5\r\nhello\n0\r\n\r\n", "after data"),
            (b"0\r\nX: y\n\r\n", "after trailer"),
            (b"0\r\n\n", "final line"),
        ];
        for (input, why) in cases {
            chunk_err(input, HttpError::BareLf, why);
        }
    }

    #[test]
    fn rejects_cr_without_lf_in_size_line() {
        chunk_err(b"5\rhello", HttpError::InvalidLineEnding, "size line");
        chunk_err(b"0\r\n\rX", HttpError::InvalidLineEnding, "final line");
    }

    #[test]
    fn rejects_chunk_line_too_long() {
        let mut ok = b"5;".to_vec();
        ok.resize(MAX_LINE - 1, b'x');
        ok.extend_from_slice(b"\r\nhello\r\n0\r\n\r\n");
        assert!(
            decode_both(&ok, MAX).is_ok(),
            "a line of exactly 4 KiB (its CR included) is fine"
        );

        let mut long = b"5;".to_vec();
        long.resize(MAX_LINE + 10, b'x');
        long.extend_from_slice(b"\r\n");
        assert_eq!(one_shot_err(&long), HttpError::ChunkLineTooLong);

        let mut trailer = b"0\r\nX: ".to_vec();
        trailer.resize(MAX_LINE + 10, b'x');
        assert_eq!(
            one_shot_err(&trailer),
            HttpError::ChunkLineTooLong,
            "trailer line"
        );
    }

    #[test]
    fn rejects_trailers_too_large() {
        let mut input = b"0\r\n".to_vec();
        for _ in 0..20 {
            input.extend_from_slice(b"X: ");
            input.extend(std::iter::repeat_n(b'v', 1000));
            input.extend_from_slice(b"\r\n");
        }
        let err = one_shot_err(&input);
        assert_eq!(err, HttpError::TrailersTooLarge);
        assert_eq!(err.status(), 431);
    }

    /// RFC 9112 §7.1.2 / §5: each trailer line is a header field line. A malformed one is
    /// refused, not skipped: hyper's server (and any front-end that parses trailers) refuses
    /// it, so skipping it would let the two judge the message differently (a difference
    /// the h1_differential target compares: `0\r\n:\r\n\r\n` was served here).
    #[test]
    fn malformed_trailer_lines_are_refused() {
        let rows: &[(&[u8], HttpError)] = &[
            (b"0\r\n:\r\n\r\n", HttpError::InvalidHeaderName),
            (b"0\r\n: v\r\n\r\n", HttpError::InvalidHeaderName),
            (b"0\r\nNoColon\r\n\r\n", HttpError::InvalidHeaderName),
            (b"0\r\nA(b): v\r\n\r\n", HttpError::InvalidHeaderName),
            (b"0\r\nA b: v\r\n\r\n", HttpError::InvalidHeaderName),
            (b"0\r\n\x80: v\r\n\r\n", HttpError::InvalidHeaderName),
            (b"0\r\nA : v\r\n\r\n", HttpError::WhitespaceBeforeColon),
            (b"0\r\nA\t: v\r\n\r\n", HttpError::WhitespaceBeforeColon),
            (b"0\r\nA: 1\r\n 2\r\n\r\n", HttpError::ObsFold),
            (b"0\r\n\tA: 1\r\n\r\n", HttpError::ObsFold),
            (b"0\r\nA: \x00\r\n\r\n", HttpError::InvalidHeaderValue),
            (b"0\r\nA: x\x7fy\r\n\r\n", HttpError::InvalidHeaderValue),
            (b"0\r\nA: x\ry\r\n\r\n", HttpError::InvalidLineEnding),
            (b"0\r\nA\n\r\n", HttpError::BareLf),
        ];
        for (input, want) in rows {
            chunk_err(input, *want, &String::from_utf8_lossy(input));
        }
        // What a header line may hold, a trailer line may hold: empty value, HTAB, obs-text.
        let ok: &[u8] = b"0\r\nA:\r\nB:\tx \xff\r\n!#$%&'*+-.^_`|~09az:v\r\n\r\n";
        assert_eq!(decode_both(ok, MAX), Ok((Vec::new(), ok.len())));
    }

    #[test]
    fn too_many_trailer_fields_are_refused() {
        let mut input = b"0\r\n".to_vec();
        for _ in 0..MAX_TRAILER_FIELDS {
            input.extend_from_slice(b"a:\r\n");
        }
        let mut done = input.clone();
        done.extend_from_slice(b"\r\n");
        assert!(decode_both(&done, MAX).is_ok(), "exactly the limit");
        input.extend_from_slice(b"a:\r\n\r\n");
        assert_eq!(decode_both(&input, MAX), Err(HttpError::TrailersTooLarge));
    }

    fn one_shot_err(input: &[u8]) -> HttpError {
        let mut d = ChunkedDecoder::new(MAX);
        d.decode(input, &mut Vec::new()).expect_err("must fail")
    }

    #[test]
    fn rejects_body_larger_than_max_body() {
        assert!(
            decode_both(b"5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", 10).is_ok(),
            "exactly max"
        );
        assert_eq!(
            decode_both(b"5\r\nhello\r\n6\r\nworld!\r\n0\r\n\r\n", 10),
            Err(HttpError::BodyTooLarge),
            "second chunk crosses the limit"
        );
        // Refused on the size line, before any data arrives.
        let mut d = ChunkedDecoder::new(10);
        let err = d
            .decode(b"ffffffffffffffff\r\n", &mut Vec::new())
            .unwrap_err();
        assert_eq!(err, HttpError::BodyTooLarge);
        assert_eq!(err.status(), 413);
    }
}
