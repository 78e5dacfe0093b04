//! Choosing a precompressed sibling (`app.js.br`, `app.js.gz`) from `Accept-Encoding`
//! (RFC 9110 §12.5.3).

use crate::http::accept::coding_weight;

/// A content coding we can serve from a sibling file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    Br,
    Gzip,
}

impl Coding {
    /// Preference order when the client weighs codings equally: br is smaller.
    pub(crate) const ALL: [Coding; 2] = [Coding::Br, Coding::Gzip];

    /// The `content-encoding` token.
    pub(crate) fn token(self) -> &'static str {
        match self {
            Coding::Br => "br",
            Coding::Gzip => "gzip",
        }
    }

    /// What is appended to the file name for the sibling holding this coding.
    pub(crate) fn file_suffix(self) -> &'static str {
        match self {
            Coding::Br => ".br",
            Coding::Gzip => ".gz",
        }
    }

    /// Appended to the ETag so each variant has its own (RFC 9110 §8.8.3).
    pub(crate) fn etag_suffix(self) -> &'static str {
        match self {
            Coding::Br => "-br",
            Coding::Gzip => "-gzip",
        }
    }
}

/// The weight (qvalue in thousandths, 0..=1000) the `Accept-Encoding` field values give to
/// each coding, in [`Coding::ALL`] order (`http::accept`). A coding not named takes the weight
/// of `*`, or 0 when `*` is absent too: without Accept-Encoding only identity is safe (§12.5.3
/// says any coding is then acceptable, but a client that sends nothing gets the plain file from
/// every server, and proxies that strip the header expect that).
pub(crate) fn weights<'a>(values: impl Iterator<Item = &'a [u8]>) -> [u16; 2] {
    let values: Vec<&[u8]> = values.collect();
    Coding::ALL.map(|c| coding_weight(values.iter().copied(), c.token()).unwrap_or(0))
}

/// The coding to serve among those whose sibling exists (`available`, in
/// [`Coding::ALL`] order): the highest weight above 0, br on a tie; `None` for identity.
pub(crate) fn choose(weights: [u16; 2], available: [bool; 2]) -> Option<Coding> {
    let mut best: Option<(Coding, u16)> = None;
    for ((coding, q), there) in Coding::ALL.into_iter().zip(weights).zip(available) {
        if there && q > 0 && best.is_none_or(|(_, bq)| q > bq) {
            best = Some((coding, q));
        }
    }
    best.map(|(c, _)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(value: &str) -> [u16; 2] {
        weights(std::iter::once(value.as_bytes()))
    }

    #[test]
    fn accept_encoding_weights() {
        let cases: &[(&str, [u16; 2], &str)] = &[
            ("gzip, deflate, br", [1000, 1000], "a browser's usual list"),
            ("gzip", [0, 1000], "br not named, no *"),
            ("br;q=0, gzip", [0, 1000], "br refused explicitly"),
            ("br;q=0.5, gzip;q=0.25", [500, 250], "weights kept"),
            ("*", [1000, 1000], "* covers both"),
            ("*;q=0, gzip", [0, 1000], "* refused, gzip named"),
            ("br;q=0, *", [0, 1000], "a named coding wins over *"),
            ("BR, GZip", [1000, 1000], "codings are case-insensitive"),
            ("x-gzip", [0, 1000], "x-gzip is gzip"),
            (
                "br; Q=0.1",
                [100, 0],
                "the q parameter name is case-insensitive",
            ),
            ("br;q=1.0", [1000, 0], "q=1.0"),
            ("br;q=1.5", [0, 0], "q above 1 is malformed, so refused"),
            (
                "br;q=0.1234",
                [0, 0],
                "more than three decimals is malformed",
            ),
            ("br;q=abc", [0, 0], "not a number"),
            ("identity", [0, 0], "identity only"),
            ("", [0, 0], "empty"),
            (",,br,,", [1000, 0], "empty list members are skipped"),
        ];
        for (value, want, why) in cases {
            assert_eq!(w(value), *want, "{value:?}: {why}");
        }
    }

    #[test]
    fn no_accept_encoding_means_identity() {
        assert_eq!(weights(std::iter::empty()), [0, 0]);
    }

    #[test]
    fn choose_prefers_weight_then_br() {
        /// (weights, siblings present, expected choice, why)
        type Case = ([u16; 2], [bool; 2], Option<Coding>, &'static str);
        let cases: &[Case] = &[
            (
                [1000, 1000],
                [true, true],
                Some(Coding::Br),
                "tie goes to br",
            ),
            (
                [500, 1000],
                [true, true],
                Some(Coding::Gzip),
                "the client prefers gzip",
            ),
            (
                [1000, 1000],
                [false, true],
                Some(Coding::Gzip),
                "no .br sibling",
            ),
            ([0, 1000], [true, false], None, "br refused and no .gz"),
            ([1000, 1000], [false, false], None, "no siblings at all"),
            ([0, 0], [true, true], None, "client accepts neither"),
        ];
        for (weights, available, want, why) in cases {
            assert_eq!(choose(*weights, *available), *want, "{why}");
        }
    }
}
