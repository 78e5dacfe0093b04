//! A route's authentication: the first authenticator whose credentials are present decides,
//! its claims parsed once for everything after it (guards, per-user limits, `request.auth`);
//! and the refusal a guard's "no" turns into.

use super::apikey::{self, ApiKeyAuth, ApiKeyCache};
use super::csrf;
use super::guard::Guard;
use super::jwks::{KeyHold, KidRefresh, RemoteJwks};
use super::jwt::{JwtError, JwtVerifier};
use super::verified::VerifiedTokens;
use crate::http::{RequestHead, Response};
use sonic_rs::JsonValueTrait;
use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::time::Instant;

/// A JWT authenticator of a route: where its token comes from and how it is checked.
pub struct JwtAuth {
    /// Replaced when a `jwks_url` set is refreshed (`remote`).
    pub verifier: RefCell<JwtVerifier>,
    pub header: String,
    pub cookie: Option<String>,
    /// The token type this route takes (django-bolt's `token_type`, e.g. `"refresh"` on a
    /// rotation route); None: access tokens only (see `token_type_refusal`).
    pub token_type: Option<String>,
    /// A token read from `cookie` must pass the cross-site check on unsafe methods (the
    /// browser attaches cookies to forged requests; it never attaches a header token).
    pub cookie_csrf: bool,
    /// This core's tokens already verified by `verifier`.
    pub verified: VerifiedTokens,
    /// A `jwks_url` backend: the process's copy of the remote set the verifier follows.
    pub remote: Option<RemoteKeys>,
}

/// A `jwks_url` backend's keys as one core holds them.
pub struct RemoteKeys {
    pub set: Arc<RemoteJwks>,
    /// The set's generation `JwtAuth::verifier` was built from.
    pub built: Cell<u64>,
    /// What the verifier is built with besides the keys.
    pub algorithms: Vec<String>,
    pub audience: Vec<String>,
    pub issuer: Vec<String>,
    pub leeway: u64,
}

impl JwtAuth {
    /// Follows a refreshed remote set: the verifier is rebuilt from the new document and the
    /// tokens verified so far are forgotten, so one signed by a key the provider removed stops
    /// passing from the cache. A document this backend cannot use leaves the old keys in place.
    fn follow_remote(&self) {
        let Some(r) = &self.remote else { return };
        if r.set.generation() == r.built.get() {
            return;
        }
        let (generation, document) = r.set.document();
        r.built.set(generation);
        match JwtVerifier::from_jwks(&r.algorithms, &document, &r.audience, &r.issuer, r.leeway) {
            Ok(v) => {
                *self.verifier.borrow_mut() = v;
                self.verified.clear();
            }
            Err(e) => eprintln!(
                "django-bolt: WARNING: JWTAuthentication: the key set refreshed from {} cannot be \
                 used, the keys held before stay in use: {e}",
                r.set.url
            ),
        }
    }
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

/// Why a request is not (yet) authenticated.
pub enum Denied {
    /// Answer this.
    Refused(Response),
    /// Its token names a `kid` a refresh of a remote key set may bring: hold the request until
    /// that lands, then authenticate it again (without holding it a second time).
    Held(KeyHold),
}

impl From<Response> for Denied {
    fn from(r: Response) -> Denied {
        Denied::Refused(r)
    }
}

/// Where API keys the route does not hold in memory are looked up (the database, through
/// Python), with the per-core cache in front.
pub struct KeyStore<'a, F: FnOnce(&[u8]) -> Result<Option<Vec<u8>>, String>> {
    pub cache: &'a ApiKeyCache,
    pub load: F,
}

/// Ok(Some(claims)) when the credentials check out, Ok(None) when none were sent at all,
/// Err(401; 403 when a cookie token fails the cross-site check; 503 when the key store failed)
/// otherwise. `https` tells the request's effective scheme, asked only for that check.
/// `refresh` starts a fetch of a remote key set off this thread (its outcome goes to
/// `RemoteJwks::publish`). A token whose `kid` the set lacks is `Denied::Held` for the refresh
/// when `may_hold` (see `RemoteJwks::unknown_kid`), else refused.
pub fn authenticate<F>(
    sec: &Security,
    head: &RequestHead,
    keys: KeyStore<'_, F>,
    https: &dyn Fn() -> bool,
    refresh: &dyn Fn(&RemoteJwks),
    may_hold: bool,
) -> Result<Option<Claims>, Denied>
where
    F: FnOnce(&[u8]) -> Result<Option<Vec<u8>>, String>,
{
    for (backend, a) in sec.authenticators.iter().enumerate() {
        match a {
            Authenticator::Jwt(a) => {
                let mut from_cookie = false;
                let token: Option<Result<String, JwtError>> = match head.header(&a.header) {
                    Some(v) => Some(JwtVerifier::bearer(v).map(str::to_owned)),
                    None => a.cookie.as_ref().and_then(|name| {
                        from_cookie = true;
                        head.cookies()
                            .into_iter()
                            .find(|(k, _)| k == name)
                            .map(|(_, v)| Ok(v))
                    }),
                };
                let Some(token) = token else { continue };
                a.follow_remote();
                let verified = token.and_then(|t| {
                    let now = jsonwebtoken::get_current_timestamp();
                    a.verified
                        .get_or_verify(&t, now, |t| a.verifier.borrow().verify(t))
                });
                if let Some(r) = &a.remote {
                    let now = Instant::now();
                    if matches!(verified, Err(JwtError::UnknownKid(_))) {
                        // As django-bolt: an unknown `kid` may be a key the provider has just
                        // rotated in; the request waits for the keys that may bring it.
                        let wait = match r.set.unknown_kid(now) {
                            KidRefresh::Start(wait) => {
                                refresh(&r.set);
                                Some(wait)
                            }
                            KidRefresh::Join(wait) => Some(wait),
                            KidRefresh::Refuse => {
                                if r.set.claim_refresh(now) {
                                    refresh(&r.set);
                                }
                                None
                            }
                        };
                        if let (Some(wait), true) = (wait, may_hold) {
                            return Err(Denied::Held(KeyHold::new(Arc::clone(&r.set), wait, now)));
                        }
                    } else if r.set.claim_refresh(now) {
                        refresh(&r.set);
                    }
                }
                let verified = verified
                    .map(|json| Claims::new(backend, json))
                    .and_then(|claims| {
                        match token_type_refusal(claims.value(), a.token_type.as_deref()) {
                            Some(why) => Err(JwtError::Invalid(why)),
                            None => Ok(claims),
                        }
                    });
                let claims = verified.map_err(|e| {
                    // RFC 6750 §3: say which scheme, and that the token was the problem.
                    Response::detail(401, &e.to_string())
                        .with_header(b"www-authenticate", br#"Bearer error="invalid_token""#)
                })?;
                // As django-bolt: checked once the cookie token is known good, so a request
                // with a stale cookie and no other proof is a 401, not a 403.
                if from_cookie && a.cookie_csrf && !csrf::passes(head, https()) {
                    return Err(Response::detail(403, csrf::REFUSAL).into());
                }
                return Ok(Some(claims));
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
                        .with_header(b"www-authenticate", b"ApiKey")
                        .into()),
                    Err(e) => {
                        eprintln!("django-bolt: API key lookup failed: {e}");
                        Err(Response::detail(503, "API key lookup unavailable").into())
                    }
                };
            }
        }
    }
    Ok(None)
}

/// Why a verified token may not authenticate on a route taking `expected` tokens, if so.
///
/// django-bolt's rule. With `expected` (a rotation route's `"refresh"`), `typ` must be exactly
/// it, and no other type claim (`token_type`, djangorestframework-simplejwt's; `token_use`,
/// django-allauth's and Cognito's) may say otherwise. Without, a token any of `typ`,
/// `token_type` or `token_use` calls `refresh`, `offline` or `id` (any case: Keycloak writes
/// `Refresh`, `Offline`, `ID`) is refused: a refresh token only buys new tokens, an ID token
/// only describes a login. Also refused then: `type: "refresh"`, which this project's first
/// token pairs wrote.
fn token_type_refusal(claims: &sonic_rs::Value, expected: Option<&str>) -> Option<String> {
    let declared = || {
        ["typ", "token_type", "token_use"]
            .iter()
            .filter_map(|name| claims.get(*name).and_then(|v| v.as_str()))
    };
    match expected {
        Some(want) => {
            let typ = claims.get("typ").and_then(|v| v.as_str());
            (typ != Some(want) || declared().any(|t| t != want))
                .then(|| format!("token type must be {want:?}"))
        }
        None => {
            if claims.get("type").and_then(|t| t.as_str()) == Some("refresh") {
                return Some("a refresh token cannot be used for access".into());
            }
            declared()
                .map(str::to_ascii_lowercase)
                .find(|t| matches!(t.as_str(), "refresh" | "offline" | "id"))
                .map(|kind| format!("a {kind} token cannot be used for access"))
        }
    }
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
    use super::token_type_refusal;

    fn kind(json: &str) -> Option<String> {
        token_type_refusal(&sonic_rs::from_str(json).unwrap(), None)
    }

    fn at(expected: &str, json: &str) -> Option<String> {
        token_type_refusal(&sonic_rs::from_str(json).unwrap(), Some(expected))
    }

    #[test]
    fn refresh_and_id_tokens_never_authenticate() {
        let refused = |json| kind(json).map(|why| why.split(' ').nth(1).unwrap().to_owned());
        assert_eq!(refused(r#"{"type":"refresh"}"#).as_deref(), Some("refresh"));
        assert_eq!(refused(r#"{"typ":"refresh"}"#).as_deref(), Some("refresh"));
        assert_eq!(
            refused(r#"{"token_type":"Refresh"}"#).as_deref(),
            Some("refresh")
        );
        assert_eq!(refused(r#"{"token_use":"ID"}"#).as_deref(), Some("id"));
        assert_eq!(refused(r#"{"typ":"Offline"}"#).as_deref(), Some("offline"));
        assert_eq!(
            refused(r#"{"typ":"access","token_use":"refresh"}"#).as_deref(),
            Some("refresh")
        );
    }

    #[test]
    fn access_tokens_and_untyped_ones_pass() {
        assert_eq!(kind(r#"{"sub":"1"}"#), None);
        assert_eq!(kind(r#"{"typ":"access"}"#), None);
        assert_eq!(kind(r#"{"token_type":"access","type":"bearer"}"#), None);
        assert_eq!(kind(r#"{"typ":7}"#), None);
    }

    #[test]
    fn an_expected_type_is_typ_exactly_and_nothing_disagrees() {
        assert_eq!(at("refresh", r#"{"typ":"refresh"}"#), None);
        let why = |expected, json| at(expected, json).is_some();
        assert!(why("refresh", r#"{"typ":"access"}"#), "an access token");
        assert!(why("refresh", r#"{"sub":"1"}"#), "no typ at all");
        assert!(
            why("refresh", r#"{"typ":"Refresh"}"#),
            "typ is compared exactly"
        );
        assert!(
            why("refresh", r#"{"token_type":"refresh"}"#),
            "simplejwt's claim alone is not typ"
        );
        assert!(
            why("refresh", r#"{"typ":"refresh","token_use":"id"}"#),
            "another type claim disagrees"
        );
        assert_eq!(
            at(
                "refresh",
                r#"{"typ":"refresh","token_type":"refresh","type":"x"}"#
            ),
            None
        );
        assert_eq!(
            at("refresh", r#"{"typ":"access"}"#).as_deref(),
            Some(r#"token type must be "refresh""#)
        );
    }
}
