//! Every way a request can be refused by the codec.
//!
//! One variant per rule, so tests can assert the exact reason and the server can log it.
//! Every error is final: the server answers with [`HttpError::status`] and closes the
//! connection, because after a framing error the position of the next request is unknown
//! (RFC 9112 §11.2: "request smuggling").

/// A request the codec refuses. The message doubles as the `{"detail": ...}` text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    // ---- request line -------------------------------------------------------------------
    #[error("{}", self.message())]
    InvalidMethod,
    #[error("{}", self.message())]
    InvalidTarget,
    #[error("{}", self.message())]
    InvalidVersion,
    #[error("{}", self.message())]
    VersionNotSupported,
    #[error("{}", self.message())]
    UriTooLong,

    // ---- line structure -----------------------------------------------------------------
    #[error("{}", self.message())]
    BareLf,
    #[error("{}", self.message())]
    InvalidLineEnding,
    #[error("{}", self.message())]
    ObsFold,

    // ---- header fields ------------------------------------------------------------------
    #[error("{}", self.message())]
    WhitespaceBeforeColon,
    #[error("{}", self.message())]
    InvalidHeaderName,
    #[error("{}", self.message())]
    InvalidHeaderValue,
    #[error("{}", self.message())]
    HeadTooLarge,
    #[error("{}", self.message())]
    TooManyHeaders,
    #[error("{}", self.message())]
    MissingHost,
    #[error("{}", self.message())]
    DuplicateHost,

    // ---- message framing ----------------------------------------------------------------
    #[error("{}", self.message())]
    ContentLengthWithTransferEncoding,
    #[error("{}", self.message())]
    DuplicateContentLength,
    #[error("{}", self.message())]
    InvalidContentLength,
    #[error("{}", self.message())]
    UnsupportedTransferEncoding,
    #[error("{}", self.message())]
    DuplicateTransferEncoding,
    #[error("{}", self.message())]
    TransferEncodingHttp10,
    #[error("{}", self.message())]
    BodyTooLarge,

    // ---- chunked body -------------------------------------------------------------------
    #[error("{}", self.message())]
    InvalidChunkSize,
    #[error("{}", self.message())]
    ChunkSizeOverflow,
    #[error("{}", self.message())]
    MissingChunkCrlf,
    #[error("{}", self.message())]
    ChunkLineTooLong,
    #[error("{}", self.message())]
    TrailersTooLarge,
}

impl HttpError {
    /// The status the server answers with before it closes the connection.
    pub fn status(&self) -> u16 {
        use HttpError::*;
        match self {
            UriTooLong => 414,
            HeadTooLarge | TooManyHeaders | TrailersTooLarge => 431,
            BodyTooLarge => 413,
            VersionNotSupported => 505,
            InvalidMethod
            | InvalidTarget
            | InvalidVersion
            | BareLf
            | InvalidLineEnding
            | ObsFold
            | WhitespaceBeforeColon
            | InvalidHeaderName
            | InvalidHeaderValue
            | MissingHost
            | DuplicateHost
            | ContentLengthWithTransferEncoding
            | DuplicateContentLength
            | InvalidContentLength
            | UnsupportedTransferEncoding
            | DuplicateTransferEncoding
            | TransferEncodingHttp10
            | InvalidChunkSize
            | ChunkSizeOverflow
            | MissingChunkCrlf
            | ChunkLineTooLong => 400,
        }
    }

    /// A short reason for the client; it names the rule, never echoes request bytes.
    pub fn message(&self) -> &'static str {
        use HttpError::*;
        match self {
            InvalidMethod => "invalid request method",
            InvalidTarget => "invalid request target",
            InvalidVersion => "invalid HTTP version",
            VersionNotSupported => "HTTP version not supported",
            UriTooLong => "request target too long",
            BareLf => "bare LF line terminator; CRLF required",
            InvalidLineEnding => "CR not followed by LF",
            ObsFold => "obsolete line folding (header line starting with whitespace)",
            WhitespaceBeforeColon => "whitespace between header name and colon",
            InvalidHeaderName => "invalid header name",
            InvalidHeaderValue => "invalid header value",
            HeadTooLarge => "request header section too large",
            TooManyHeaders => "too many header fields",
            MissingHost => "missing Host header",
            DuplicateHost => "duplicate Host header",
            ContentLengthWithTransferEncoding => "both Content-Length and Transfer-Encoding",
            DuplicateContentLength => "duplicate Content-Length",
            InvalidContentLength => "invalid Content-Length",
            UnsupportedTransferEncoding => "unsupported Transfer-Encoding (only chunked)",
            DuplicateTransferEncoding => "duplicate Transfer-Encoding",
            TransferEncodingHttp10 => "Transfer-Encoding in an HTTP/1.0 request",
            BodyTooLarge => "request body too large",
            InvalidChunkSize => "invalid chunk size",
            ChunkSizeOverflow => "chunk size too large",
            MissingChunkCrlf => "missing CRLF after chunk data",
            ChunkLineTooLong => "chunk size line too long",
            TrailersTooLarge => "chunked trailer section too large",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::HttpError;

    #[test]
    fn display_is_the_message() {
        assert_eq!(
            HttpError::DuplicateHost.to_string(),
            HttpError::DuplicateHost.message()
        );
    }
}
