//! CORS answered in Rust: preflights never reach Python, and actual responses get their
//! `Access-Control-*` headers here. Settings use django-cors-headers' names (see cors.py).

use crate::http::Response;

#[derive(Debug, Default)]
pub struct CorsPolicy {
    pub origins: Vec<String>,
    pub origin_regexes: Vec<regex::Regex>,
    pub allow_all: bool,
    pub credentials: bool,
    /// Upper-case methods, in the order given.
    pub methods: Vec<String>,
    /// Lower-case header names.
    pub headers: Vec<String>,
    pub expose: Vec<String>,
    pub max_age: Option<u64>,
}

impl CorsPolicy {
    pub fn origin_allowed(&self, origin: &str) -> bool {
        self.allow_all
            || self.origins.iter().any(|o| o == origin)
            || self.origin_regexes.iter().any(|r| r.is_match(origin))
    }

    /// `Access-Control-Allow-Origin`: `*` only when any origin may call without credentials;
    /// with credentials the origin is echoed, since browsers refuse `*` with credentials
    /// (Fetch standard, CORS protocol and credentials).
    fn allow_origin_value(&self, origin: &str) -> Vec<u8> {
        if self.allow_all && !self.credentials {
            b"*".to_vec()
        } else {
            origin.as_bytes().to_vec()
        }
    }

    fn common(&self, origin: &str, out: &mut Vec<(Vec<u8>, Vec<u8>)>) {
        out.push((
            b"access-control-allow-origin".to_vec(),
            self.allow_origin_value(origin),
        ));
        if self.credentials {
            out.push((
                b"access-control-allow-credentials".to_vec(),
                b"true".to_vec(),
            ));
        }
        // The answer depends on Origin whenever it is not a plain `*`.
        if !self.allow_all || self.credentials {
            out.push((b"vary".to_vec(), b"origin".to_vec()));
        }
    }

    /// The answer to a preflight (`OPTIONS` with `Access-Control-Request-Method`).
    pub fn preflight(
        &self,
        origin: &str,
        request_method: &str,
        request_headers: Option<&str>,
    ) -> Response {
        let mut resp = Response {
            status: 204,
            content_type: None,
            body: Vec::new(),
            headers: Vec::new(),
            source: None,
        };
        let method_ok = self
            .methods
            .iter()
            .any(|m| m.eq_ignore_ascii_case(request_method.trim()));
        let headers_ok = request_headers
            .map(|h| {
                h.split(',')
                    .map(|x| x.trim().to_ascii_lowercase())
                    .filter(|x| !x.is_empty())
                    .all(|x| self.headers.contains(&x))
            })
            .unwrap_or(true);
        if !self.origin_allowed(origin) || !method_ok || !headers_ok {
            // No CORS headers: the browser blocks the actual request. Vary still applies.
            resp.headers.push((b"vary".to_vec(), b"origin".to_vec()));
            return resp;
        }
        self.common(origin, &mut resp.headers);
        resp.headers.push((
            b"access-control-allow-methods".to_vec(),
            self.methods.join(", ").into_bytes(),
        ));
        if !self.headers.is_empty() {
            resp.headers.push((
                b"access-control-allow-headers".to_vec(),
                self.headers.join(", ").into_bytes(),
            ));
        }
        if let Some(age) = self.max_age {
            resp.headers.push((
                b"access-control-max-age".to_vec(),
                age.to_string().into_bytes(),
            ));
        }
        resp
    }

    /// Adds the CORS headers of an actual (non-preflight) response.
    pub fn decorate(&self, origin: &str, resp: &mut Response) {
        if !self.origin_allowed(origin) {
            resp.headers.push((b"vary".to_vec(), b"origin".to_vec()));
            return;
        }
        self.common(origin, &mut resp.headers);
        if !self.expose.is_empty() {
            resp.headers.push((
                b"access-control-expose-headers".to_vec(),
                self.expose.join(", ").into_bytes(),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> CorsPolicy {
        CorsPolicy {
            origins: vec!["https://app.example.com".into()],
            origin_regexes: vec![regex::Regex::new(r"^https://\w+\.example\.org$").unwrap()],
            methods: vec!["GET".into(), "POST".into()],
            headers: vec!["content-type".into(), "authorization".into()],
            expose: vec!["x-total".into()],
            max_age: Some(600),
            ..CorsPolicy::default()
        }
    }

    fn header<'a>(r: &'a Response, name: &str) -> Option<&'a str> {
        r.headers
            .iter()
            .find(|(k, _)| k == name.as_bytes())
            .map(|(_, v)| std::str::from_utf8(v).unwrap())
    }

    #[test]
    fn listed_and_regex_origins_are_allowed() {
        let p = policy();
        assert!(p.origin_allowed("https://app.example.com"));
        assert!(p.origin_allowed("https://shop.example.org"));
        assert!(!p.origin_allowed("https://evil.com"));
        assert!(!p.origin_allowed("https://app.example.com.evil.com"));
    }

    #[test]
    fn preflight_for_an_allowed_origin() {
        let r = policy().preflight(
            "https://app.example.com",
            "POST",
            Some("Content-Type, Authorization"),
        );
        assert_eq!(r.status, 204);
        assert_eq!(
            header(&r, "access-control-allow-origin"),
            Some("https://app.example.com")
        );
        assert_eq!(
            header(&r, "access-control-allow-methods"),
            Some("GET, POST")
        );
        assert_eq!(header(&r, "access-control-max-age"), Some("600"));
        assert_eq!(header(&r, "vary"), Some("origin"));
    }

    #[test]
    fn preflight_refused_for_unknown_origin_method_or_header() {
        for (origin, method, hdrs) in [
            ("https://evil.com", "GET", None),
            ("https://app.example.com", "DELETE", None),
            ("https://app.example.com", "GET", Some("x-secret")),
        ] {
            let r = policy().preflight(origin, method, hdrs);
            assert_eq!(
                header(&r, "access-control-allow-origin"),
                None,
                "{origin} {method} {hdrs:?}"
            );
        }
    }

    #[test]
    fn credentials_are_never_combined_with_a_wildcard() {
        let p = CorsPolicy {
            allow_all: true,
            credentials: true,
            methods: vec!["GET".into()],
            ..CorsPolicy::default()
        };
        let mut r = Response::detail(200, "x");
        p.decorate("https://any.site", &mut r);
        assert_eq!(
            header(&r, "access-control-allow-origin"),
            Some("https://any.site")
        );
        assert_eq!(header(&r, "access-control-allow-credentials"), Some("true"));
        assert_eq!(header(&r, "vary"), Some("origin"));
    }

    #[test]
    fn allow_all_without_credentials_is_a_wildcard() {
        let p = CorsPolicy {
            allow_all: true,
            methods: vec!["GET".into()],
            ..CorsPolicy::default()
        };
        let mut r = Response::detail(200, "x");
        p.decorate("https://any.site", &mut r);
        assert_eq!(header(&r, "access-control-allow-origin"), Some("*"));
        assert_eq!(header(&r, "vary"), None);
    }

    #[test]
    fn actual_response_exposes_headers() {
        let mut r = Response::detail(200, "x");
        policy().decorate("https://app.example.com", &mut r);
        assert_eq!(header(&r, "access-control-expose-headers"), Some("x-total"));
    }
}
