//! Token-bucket rate limits, per core: each worker keeps its own buckets, so nothing is shared
//! or locked between cores (a limit of N/s is N/s per core; see the README).

use crate::http::Request;
use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Instant;

/// What identifies a client for a limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyKind {
    /// The client address (through trusted proxies' X-Forwarded-For).
    Ip,
    /// A request header's value (e.g. `x-api-key`); requests without it share one bucket
    /// per client address.
    Header(String),
    /// The authenticated subject (the token's or API key's `sub`), else the client address.
    User,
}

#[derive(Debug, Clone)]
pub struct Limit {
    pub rate: f64,
    pub burst: f64,
    pub key: KeyKind,
    /// Also counted across hosts in the project's cache (`rate_limit(shared=True)`): this
    /// core's bucket is the fast path that refuses first; a request within it is then counted
    /// by the route's `precheck` in Python, on the blocking pool.
    pub shared: bool,
}

impl Limit {
    /// User-keyed limits need authentication done first; the others come before any of it.
    pub fn per_user(&self) -> bool {
        self.key == KeyKind::User
    }

    /// The bucket key of this request: its address, header value or subject (`subject`:
    /// the authenticated claims' `sub`), falling back to the address.
    pub fn key_for(
        &self,
        req: &Request,
        proxies: &TrustedProxies,
        subject: Option<String>,
    ) -> String {
        let ip = || {
            proxies
                .client_of(req)
                .map(|i| i.to_string())
                .unwrap_or_default()
        };
        match &self.key {
            KeyKind::Ip => ip(),
            KeyKind::User => match subject {
                Some(s) => format!("u:{s}"),
                None => format!("ip:{}", ip()),
            },
            KeyKind::Header(h) => match req.head.header(h) {
                Some(v) => format!("h:{}", String::from_utf8_lossy(v)),
                None => format!("ip:{}", ip()),
            },
        }
    }
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Past this many buckets, full (idle) ones are dropped: they carry no state.
const MAX_BUCKETS: usize = 100_000;

#[derive(Default)]
pub struct Buckets {
    map: HashMap<(usize, String), Bucket>,
}

impl Buckets {
    /// Takes one token for `key` on route `route`; `Err(seconds)` says when to retry.
    pub fn take(
        &mut self,
        route: usize,
        key: &str,
        limit: &Limit,
        now: Instant,
    ) -> Result<(), u64> {
        if self.map.len() >= MAX_BUCKETS {
            self.map.retain(|_, b| {
                b.tokens + now.duration_since(b.last).as_secs_f64() * limit.rate < limit.burst
            });
        }
        let b = self.map.entry((route, key.to_owned())).or_insert(Bucket {
            tokens: limit.burst,
            last: now,
        });
        let elapsed = now.duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + elapsed * limit.rate).min(limit.burst);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - b.tokens) / limit.rate).ceil().max(1.0) as u64)
        }
    }
}

/// An entry of `BOLT_TRUSTED_PROXIES` that is neither an address nor a network.
#[derive(Debug, thiserror::Error)]
#[error("BOLT_TRUSTED_PROXIES: {0:?} is not an IP address or CIDR network")]
pub struct ProxyError(pub String);

/// Trusted proxies (`BOLT_TRUSTED_PROXIES`): only their X-Forwarded-For is believed.
#[derive(Debug, Default, Clone)]
pub struct TrustedProxies(pub Vec<ipnet::IpNet>);

impl TrustedProxies {
    pub fn parse(entries: &[String]) -> Result<Self, ProxyError> {
        let mut nets = Vec::new();
        for e in entries {
            let net = match e.parse::<ipnet::IpNet>() {
                Ok(n) => n,
                Err(_) => e
                    .parse::<IpAddr>()
                    .map(ipnet::IpNet::from)
                    .map_err(|_| ProxyError(e.clone()))?,
            };
            nets.push(net);
        }
        Ok(TrustedProxies(nets))
    }

    /// The client address of a request, believing X-Forwarded-For only from these proxies.
    pub fn client_of(&self, req: &Request) -> Option<IpAddr> {
        let peer = req.client.parse::<std::net::SocketAddr>().ok()?.ip();
        let xff: Vec<String> = req
            .head
            .headers
            .iter()
            .filter(|(k, _)| k == "x-forwarded-for")
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
            .collect();
        let xff: Vec<&str> = xff.iter().map(String::as_str).collect();
        Some(self.client_ip(peer, &xff))
    }

    /// `Request::client` as handlers and Django see it: behind a trusted proxy, the forwarded
    /// client's address with port 0 (the proxy knows the client's port, bolt does not);
    /// otherwise the peer's `ip:port` as it is.
    pub fn client_str<'r>(&self, req: &'r Request) -> std::borrow::Cow<'r, str> {
        if self.0.is_empty() {
            return req.client.into();
        }
        let peer = req
            .client
            .parse::<std::net::SocketAddr>()
            .ok()
            .map(|a| a.ip());
        match self.client_of(req) {
            Some(ip) if Some(ip) != peer => std::net::SocketAddr::new(ip, 0).to_string().into(),
            _ => req.client.into(),
        }
    }

    /// The scheme the client used, as `request.scheme` and Django's `wsgi.url_scheme` give it:
    /// what a trusted proxy's `X-Forwarded-Proto` says, else `http` (bolt itself speaks plain
    /// HTTP; only the test client's `https://` base URL marks a request `secure`). From any
    /// other peer the header is ignored, as X-Forwarded-For is.
    pub fn scheme(&self, req: &Request) -> &'static str {
        if req.secure {
            return "https";
        }
        if self.0.is_empty() {
            return "http";
        }
        let peer = req
            .client
            .parse::<std::net::SocketAddr>()
            .ok()
            .map(|a| a.ip());
        self.scheme_of(peer, req.head.header("x-forwarded-proto"))
    }

    /// `scheme` for a peer and its `X-Forwarded-Proto`. The first of several values counts, as
    /// Django reads `SECURE_PROXY_SSL_HEADER` (the proxy nearest the client set it).
    pub fn scheme_of(&self, peer: Option<IpAddr>, forwarded_proto: Option<&[u8]>) -> &'static str {
        let (Some(peer), Some(proto)) = (peer, forwarded_proto) else {
            return "http";
        };
        if !self.trusts(peer) {
            return "http";
        }
        let first = proto
            .split(|b| *b == b',')
            .next()
            .unwrap_or(b"")
            .trim_ascii();
        if first.eq_ignore_ascii_case(b"https") {
            "https"
        } else {
            "http"
        }
    }

    /// Whether the client reached the proxy in front over HTTPS (bolt itself speaks plain
    /// HTTP): `scheme`'s answer, for the cookie-token CSRF check.
    pub fn forwarded_https(&self, req: &Request) -> bool {
        self.scheme(req) == "https"
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// The client address: the peer, or, when the peer is a trusted proxy, the right-most
    /// X-Forwarded-For entry that is not itself a trusted proxy (entries to its left could be
    /// forged by the client).
    pub fn client_ip(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let hops = forwarded_for
            .iter()
            .flat_map(|h| h.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        for hop in hops.iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(ip) if self.trusts(ip) => continue,
                Ok(ip) => return ip,
                Err(_) => return peer,
            }
        }
        peer
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn limit(rate: f64, burst: f64) -> Limit {
        Limit {
            rate,
            burst,
            key: KeyKind::Ip,
            shared: false,
        }
    }

    #[test]
    fn burst_then_refuse_then_refill() {
        let mut b = Buckets::default();
        let l = limit(2.0, 3.0);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(b.take(0, "a", &l, t0), Ok(()));
        }
        assert_eq!(b.take(0, "a", &l, t0), Err(1));
        // Half a second at 2/s gives one token back.
        assert_eq!(b.take(0, "a", &l, t0 + Duration::from_millis(500)), Ok(()));
        assert!(b.take(0, "a", &l, t0 + Duration::from_millis(500)).is_err());
    }

    #[test]
    fn keys_and_routes_have_their_own_buckets() {
        let mut b = Buckets::default();
        let l = limit(1.0, 1.0);
        let t0 = Instant::now();
        assert!(b.take(0, "a", &l, t0).is_ok());
        assert!(b.take(0, "b", &l, t0).is_ok());
        assert!(b.take(1, "a", &l, t0).is_ok());
        assert!(b.take(0, "a", &l, t0).is_err());
    }

    #[test]
    fn retry_after_rounds_up() {
        let mut b = Buckets::default();
        let l = limit(0.1, 1.0);
        let t0 = Instant::now();
        assert!(b.take(0, "a", &l, t0).is_ok());
        assert_eq!(b.take(0, "a", &l, t0), Err(10));
    }

    #[test]
    fn forwarded_for_only_from_trusted_proxies() {
        let p = TrustedProxies::parse(&["10.0.0.0/8".into(), "127.0.0.1".into()]).unwrap();
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        let stranger: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(
            p.client_ip(stranger, &["1.2.3.4"]),
            stranger,
            "an untrusted peer's header is ignored"
        );
        assert_eq!(
            p.client_ip(peer, &["1.2.3.4, 10.1.1.1"]),
            "1.2.3.4".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            p.client_ip(peer, &["6.6.6.6, 1.2.3.4"]),
            "1.2.3.4".parse::<IpAddr>().unwrap(),
            "right-most wins"
        );
        assert_eq!(p.client_ip(peer, &["garbage"]), peer);
        assert_eq!(p.client_ip(peer, &[]), peer);
    }

    #[test]
    fn forwarded_proto_only_from_trusted_proxies() {
        let p = TrustedProxies::parse(&["127.0.0.2".into()]).unwrap();
        let proxy = Some("127.0.0.2".parse::<IpAddr>().unwrap());
        let stranger = Some("127.0.0.1".parse::<IpAddr>().unwrap());
        for (peer, proto, want, why) in [
            (proxy, Some("https"), "https", "the proxy's word"),
            (
                proxy,
                Some(" HTTPS , http"),
                "https",
                "first value, any case",
            ),
            (
                proxy,
                Some("http, https"),
                "http",
                "the client-side hop said http",
            ),
            (proxy, Some("ftp"), "http", "anything else is plain HTTP"),
            (proxy, None, "http", "no header"),
            (
                stranger,
                Some("https"),
                "http",
                "an untrusted peer's header is ignored",
            ),
            (
                None,
                Some("https"),
                "http",
                "no peer address (the test client)",
            ),
        ] {
            assert_eq!(p.scheme_of(peer, proto.map(str::as_bytes)), want, "{why}");
        }
        assert_eq!(
            TrustedProxies::default().scheme_of(proxy, Some(&b"https"[..])),
            "http",
            "no trusted proxies: nobody is believed"
        );
    }

    #[test]
    fn bad_proxy_entry_is_an_error() {
        assert!(TrustedProxies::parse(&["not-an-ip".into()]).is_err());
    }
}
