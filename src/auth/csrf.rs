//! The cross-site check of cookie-authenticated requests (a JWT read from a cookie, a Django
//! session), django-bolt's rule. bolt's routes do not pass through Django's
//! `CsrfViewMiddleware`, and a browser attaches a cookie to a forged request as readily as to
//! a real one; it never attaches a header token, so only a token read from a cookie is checked.
//! Header inspection only: no state, no body, no CSRF token.

use crate::http::RequestHead;

/// The 403's detail (a session-authenticated request's too).
pub const REFUSAL: &str = "CSRF check failed: a cookie-authenticated request with an unsafe \
     method must come from this site (Sec-Fetch-Site same-origin or none, or an Origin or \
     Referer naming this scheme, host and port)";

/// Whether a request may go on. Safe methods (RFC 9110 §9.2.1) always may. Then the browser's
/// own `Sec-Fetch-Site` decides when present (`same-origin`, `none` pass; `same-site` and
/// `cross-site` do not); else `Origin`, or failing it `Referer`, must name this scheme, `Host`
/// and port; with none of the three the request is refused (a browser sends at least one on
/// an unsafe request). `https` is the request's effective scheme.
pub fn passes(head: &RequestHead, https: bool) -> bool {
    passes_with(&head.method_str, |name| head.header(name), https)
}

/// `passes` for a request known by its method and a lookup of its headers (lower-case names):
/// the same rule for `SessionAuthentication`, which checks in Python.
pub fn passes_with<'h>(
    method: &str,
    header: impl Fn(&str) -> Option<&'h [u8]>,
    https: bool,
) -> bool {
    if matches!(method, "GET" | "HEAD" | "OPTIONS" | "TRACE") {
        return true;
    }
    if let Some(site) = header("sec-fetch-site") {
        return matches!(site, b"same-origin" | b"none");
    }
    let text = |v: &[u8]| std::str::from_utf8(v).ok().map(str::to_owned);
    let Some(host) = header("host").and_then(text) else {
        return false;
    };
    let claimed = header("origin").or_else(|| header("referer"));
    claimed
        .and_then(text)
        .is_some_and(|url| same_origin(&url, if https { "https" } else { "http" }, &host))
}

/// Whether `url` (an `Origin`, or a `Referer` with its path) is `scheme://host`, default ports
/// filled in (RFC 6454 §4). `Origin: null` and anything with user info are not.
fn same_origin(url: &str, scheme: &str, host: &str) -> bool {
    let Some((url_scheme, rest)) = url.split_once("://") else {
        return false;
    };
    if !url_scheme.eq_ignore_ascii_case(scheme) {
        return false;
    }
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let default = if scheme == "https" { 443 } else { 80 };
    match (host_port(authority, default), host_port(host, default)) {
        (Some((a, p)), Some((b, q))) => a.eq_ignore_ascii_case(b) && p == q,
        _ => false,
    }
}

/// `host[:port]` of an authority (RFC 3986 §3.2.2; an IPv6 address in brackets), the port
/// `default` when absent; None when it is not one.
fn host_port(authority: &str, default: u16) -> Option<(&str, u16)> {
    let (host, port) = match authority.strip_prefix('[') {
        Some(rest) => {
            let (h, after) = rest.split_once(']')?;
            let ok = !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
            (
                ok.then_some(h)?,
                if after.is_empty() {
                    None
                } else {
                    Some(after.strip_prefix(':')?)
                },
            )
        }
        None => match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        },
    };
    let named = |h: &str| {
        !h.is_empty()
            && h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b))
    };
    if !authority.starts_with('[') && !named(host) {
        return None;
    }
    let port = match port {
        None => default,
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok()?,
        Some(_) => return None,
    };
    Some((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(method: &str, headers: &[(&str, &str)]) -> RequestHead {
        // HTTP/1.1 requires Host (RFC 9112 §3.2): a case without one is sent as HTTP/1.0.
        let version = if headers.iter().any(|(k, _)| *k == "host") {
            1
        } else {
            0
        };
        let mut raw = format!("{method} /x HTTP/1.{version}\r\n");
        for (k, v) in headers {
            raw.push_str(&format!("{k}: {v}\r\n"));
        }
        raw.push_str("\r\n");
        match crate::http::parse_request(raw.as_bytes(), &Default::default()) {
            Ok(crate::http::Parsed::Complete { head, .. }) => head,
            other => panic!("{other:?}"),
        }
    }

    fn post(headers: &[(&str, &str)]) -> bool {
        passes(&head("POST", headers), true)
    }

    #[test]
    fn safe_methods_always_pass() {
        for m in ["GET", "HEAD", "OPTIONS", "TRACE"] {
            assert!(
                passes(&head(m, &[("sec-fetch-site", "cross-site")]), true),
                "{m}"
            );
        }
        assert!(!passes(
            &head("DELETE", &[("sec-fetch-site", "cross-site")]),
            true
        ));
    }

    #[test]
    fn sec_fetch_site_decides_when_present() {
        let evil = ("origin", "https://evil.example");
        assert!(
            post(&[("sec-fetch-site", "same-origin"), evil]),
            "it wins over Origin"
        );
        assert!(
            post(&[("sec-fetch-site", "none")]),
            "typed in the address bar"
        );
        assert!(!post(&[
            ("sec-fetch-site", "same-site"),
            ("host", "a.example"),
            ("origin", "https://a.example")
        ]));
        assert!(!post(&[("sec-fetch-site", "cross-site")]));
    }

    #[test]
    fn origin_then_referer_must_match_scheme_host_and_port() {
        let host = ("host", "api.example");
        assert!(post(&[host, ("origin", "https://api.example")]));
        assert!(
            post(&[host, ("origin", "HTTPS://API.example:443")]),
            "case and default port"
        );
        assert!(post(&[
            ("host", "api.example:443"),
            ("origin", "https://api.example")
        ]));
        assert!(post(&[host, ("referer", "https://api.example/page?q#f")]));
        assert!(!post(&[host, ("origin", "https://evil.example")]));
        assert!(!post(&[host, ("origin", "https://api.example.evil")]));
        assert!(
            !post(&[host, ("origin", "http://api.example")]),
            "http is another origin"
        );
        assert!(!post(&[host, ("origin", "https://api.example:444")]));
        assert!(!post(&[host, ("origin", "null")]));
        assert!(!post(&[host, ("origin", "api.example")]), "no scheme");
        assert!(!post(&[
            host,
            ("referer", "https://api.example@evil.example/")
        ]));
        assert!(
            !post(&[
                host,
                ("origin", "https://evil.example"),
                ("referer", "https://api.example/")
            ]),
            "Origin, when sent, is the one read"
        );
        assert!(passes(
            &head(
                "POST",
                &[
                    ("host", "127.0.0.1:8000"),
                    ("origin", "http://127.0.0.1:8000")
                ]
            ),
            false
        ));
        assert!(passes(
            &head(
                "PUT",
                &[("host", "[::1]:8000"), ("origin", "http://[::1]:8000")]
            ),
            false
        ));
        assert!(!passes(
            &head(
                "PUT",
                &[("host", "[::1]:8000"), ("origin", "http://[::2]:8000")]
            ),
            false
        ));
    }

    #[test]
    fn no_signal_at_all_is_refused() {
        assert!(!post(&[("host", "api.example")]));
        assert!(
            !post(&[("origin", "https://api.example")]),
            "no Host to compare with"
        );
    }

    #[test]
    fn odd_authorities_never_match() {
        for bad in [
            "", ":", "a:b:c", "a b", "[::1", "[zz]:1", "a:99999", "a:", "[::1]x",
        ] {
            assert_eq!(host_port(bad, 80), None, "{bad:?}");
        }
        assert_eq!(host_port("[::1]", 80), Some(("::1", 80)));
    }
}
