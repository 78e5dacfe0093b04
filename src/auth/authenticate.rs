//! A route's authentication: the first authenticator whose credentials are present decides,
//! its claims parsed once for everything after it (guards, per-user limits, `request.auth`);
//! and the refusal a guard's "no" turns into.

use super::apikey::{self, ApiKeyAuth, ApiKeyCache};
use super::guard::Guard;
use super::jwt::{JwtError, JwtVerifier};
use super::verified::VerifiedTokens;
use crate::http::{RequestHead, Response};
use sonic_rs::JsonValueTrait;
use std::time::Instant;

/// A JWT authenticator of a route: where its token comes from and how it is checked.
pub struct JwtAuth {
    pub verifier: JwtVerifier,
    pub header: String,
    pub cookie: Option<String>,
    /// This core's tokens already verified by `verifier`.
    pub verified: VerifiedTokens,
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
    /// Which of the route's authenticators (`Security::authenticators`, in order) vouched for
    /// them: a revocation check applies to its own backend's tokens only.
    pub backend: usize,
    json: Vec<u8>,
    value: std::cell::OnceCell<sonic_rs::Value>,
}

impl Claims {
    fn new(backend: usize, json: Vec<u8>) -> Claims {
        Claims {
            backend,
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
    for (backend, a) in sec.authenticators.iter().enumerate() {
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
                    .and_then(|t| {
                        let now = jsonwebtoken::get_current_timestamp();
                        a.verified.get_or_verify(&t, now, |t| a.verifier.verify(t))
                    })
                    .map(|json| Claims::new(backend, json))
                    .and_then(|claims| match not_for_access(claims.value()) {
                        Some(kind) => Err(JwtError::Invalid(format!(
                            "a {kind} token cannot be used for access"
                        ))),
                        None => Ok(claims),
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
                    Ok(Some(c)) => Ok(Some(Claims::new(backend, c))),
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

/// The kind of a token that must never authenticate a request, if it is one: a refresh token
/// only buys new tokens, and an ID token only describes a login. Read from our own `type`
/// claim (`"refresh"`) and, as django-bolt reads them, `typ` (its `create_token_pair`),
/// `token_type` (djangorestframework-simplejwt) and `token_use` (django-allauth, Cognito), in
/// any case: `refresh`, `offline` or `id`.
fn not_for_access(claims: &sonic_rs::Value) -> Option<String> {
    if claims.get("type").and_then(|t| t.as_str()) == Some("refresh") {
        return Some("refresh".into());
    }
    ["typ", "token_type", "token_use"].iter().find_map(|name| {
        let v = claims.get(name)?.as_str()?.to_ascii_lowercase();
        matches!(v.as_str(), "refresh" | "offline" | "id").then_some(v)
    })
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

#[cfg(test)]
mod tests {
    use super::not_for_access;

    fn kind(json: &str) -> Option<String> {
        not_for_access(&sonic_rs::from_str(json).unwrap())
    }

    #[test]
    fn refresh_and_id_tokens_never_authenticate() {
        assert_eq!(kind(r#"{"type":"refresh"}"#).as_deref(), Some("refresh"));
        assert_eq!(kind(r#"{"typ":"refresh"}"#).as_deref(), Some("refresh"));
        assert_eq!(
            kind(r#"{"token_type":"Refresh"}"#).as_deref(),
            Some("refresh")
        );
        assert_eq!(kind(r#"{"token_use":"ID"}"#).as_deref(), Some("id"));
        assert_eq!(kind(r#"{"typ":"Offline"}"#).as_deref(), Some("offline"));
    }

    #[test]
    fn access_tokens_and_untyped_ones_pass() {
        assert_eq!(kind(r#"{"sub":"1"}"#), None);
        assert_eq!(kind(r#"{"typ":"access"}"#), None);
        assert_eq!(kind(r#"{"token_type":"access","type":"bearer"}"#), None);
        assert_eq!(kind(r#"{"typ":7}"#), None);
    }
}
