//! A route's authentication: the first authenticator whose credentials are present decides,
//! its claims parsed once for everything after it (guards, per-user limits, `request.auth`);
//! and the refusal a guard's "no" turns into.

use super::apikey::{self, ApiKeyAuth, ApiKeyCache};
use super::guard::Guard;
use super::jwt::{JwtError, JwtVerifier};
use crate::http::{RequestHead, Response};
use sonic_rs::JsonValueTrait;
use std::time::Instant;

/// A JWT authenticator of a route: where its token comes from and how it is checked.
pub struct JwtAuth {
    pub verifier: JwtVerifier,
    pub header: String,
    pub cookie: Option<String>,
}

pub enum Authenticator {
    Jwt(Box<JwtAuth>),
    ApiKey(ApiKeyAuth),
}

/// Authentication and the guards Rust can decide for one route.
pub struct Security {
    pub authenticators: Vec<Authenticator>,
    /// None when the guards need Python (the endpoint wrapper checks them).
    pub guard: Option<Guard>,
}

/// An authenticated request's claims, parsed at most once, by the first reader (the refresh
/// check, a guard, a per-user limit, `request.auth`). Number text is kept, so a wide integer
/// claim reaches Python exact.
pub struct Claims {
    json: Vec<u8>,
    value: std::cell::OnceCell<sonic_rs::Value>,
}

impl Claims {
    fn new(json: Vec<u8>) -> Claims {
        Claims {
            json,
            value: std::cell::OnceCell::new(),
        }
    }

    pub fn value(&self) -> &sonic_rs::Value {
        // A token's payload was checked to be JSON when it was verified; a key's claims come
        // from our own JSON.
        self.value
            .get_or_init(|| crate::codec::decode::parse(&self.json, true).unwrap_or_default())
    }

    /// The subject (`sub`) as text, for per-user rate limits.
    pub fn subject(&self) -> Option<String> {
        self.value().get("sub").map(|s| {
            s.as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| s.to_string())
        })
    }
}

/// Where API keys the route does not hold in memory are looked up (the database, through
/// Python), with the per-core cache in front.
pub struct KeyStore<'a, F: FnOnce(&[u8]) -> Result<Option<Vec<u8>>, String>> {
    pub cache: &'a ApiKeyCache,
    pub load: F,
}

/// Ok(Some(claims)) when the credentials check out, Ok(None) when none were sent at all,
/// Err(401, or 503 when the key store failed) otherwise.
pub fn authenticate<F>(
    sec: &Security,
    head: &RequestHead,
    keys: KeyStore<'_, F>,
) -> Result<Option<Claims>, Response>
where
    F: FnOnce(&[u8]) -> Result<Option<Vec<u8>>, String>,
{
    for a in &sec.authenticators {
        match a {
            Authenticator::Jwt(a) => {
                let token: Option<Result<String, JwtError>> = match head.header(&a.header) {
                    Some(v) => Some(JwtVerifier::bearer(v).map(str::to_owned)),
                    None => a.cookie.as_ref().and_then(|name| {
                        head.cookies()
                            .into_iter()
                            .find(|(k, _)| k == name)
                            .map(|(_, v)| Ok(v))
                    }),
                };
                let Some(token) = token else { continue };
                let verified = token
                    .and_then(|t| a.verifier.verify(&t))
                    .map(Claims::new)
                    .and_then(|claims| {
                        // A refresh token only buys new tokens; it never authenticates a request.
                        match claims.value().get("type").and_then(|t| t.as_str()) {
                            Some("refresh") => Err(JwtError::Invalid(
                                "a refresh token cannot be used for access".into(),
                            )),
                            _ => Ok(claims),
                        }
                    });
                return verified.map(Some).map_err(|e| {
                    // RFC 6750 §3: say which scheme, and that the token was the problem.
                    Response::detail(401, &e.to_string())
                        .with_header(b"www-authenticate", br#"Bearer error="invalid_token""#)
                });
            }
            Authenticator::ApiKey(a) => {
                let Some(raw) = head.header(&a.header).map(apikey::key_of) else {
                    continue;
                };
                let hash = apikey::key_hash(raw);
                let claims = match &a.static_hashes {
                    Some(keys) => Ok(keys.get(&hash).cloned()),
                    None => keys
                        .cache
                        .get_or_load(&hash, a.ttl, Instant::now(), || (keys.load)(raw)),
                };
                return match claims {
                    Ok(Some(c)) => Ok(Some(Claims::new(c))),
                    // RFC 9110 §15.5.2: a 401 names the scheme to use.
                    Ok(None) => Err(Response::detail(401, "invalid API key")
                        .with_header(b"www-authenticate", b"ApiKey")),
                    Err(e) => {
                        eprintln!("django-bolt: API key lookup failed: {e}");
                        Err(Response::detail(503, "API key lookup unavailable"))
                    }
                };
            }
        }
    }
    Ok(None)
}

/// Whether the route's Rust-decided guard lets this request through.
pub fn guard_allows(guard: &Guard, claims: Option<&Claims>) -> bool {
    if guard.reads_claims() {
        guard.allows(claims.map(Claims::value))
    } else {
        // Claims are not read: an empty object stands for "authenticated".
        let present = sonic_rs::Value::new_object();
        guard.allows(claims.is_some().then_some(&present))
    }
}

/// A guard said no. Django REST framework's rule: 401, naming the scheme to use, only when the
/// route authenticates and this request did not; 403 otherwise (no scheme, or authenticated).
pub fn refused(sec: &Security, authenticated: bool) -> Response {
    let scheme = sec.authenticators.first().map(|a| match a {
        Authenticator::Jwt(_) => "Bearer",
        Authenticator::ApiKey(_) => "ApiKey",
    });
    match (authenticated, scheme) {
        (false, Some(scheme)) => {
            Response::detail(401, "Authentication credentials were not provided.")
                .with_header(b"www-authenticate", scheme.as_bytes())
        }
        _ => Response::detail(403, "You do not have permission to perform this action."),
    }
}
