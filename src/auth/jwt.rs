//! JWT verification with `jsonwebtoken`. Keys are parsed once at start-up with the key type
//! the configured algorithms need; anything that does not fit is a start-up error.

use base64::Engine;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use std::collections::HashMap;
use std::str::FromStr;

/// Tokens longer than this are refused before any parsing (a cheap guard against abuse).
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum JwtConfigError {
    #[error("unknown JWT algorithm {0:?} (use HS256/384/512, RS256/384/512, PS256/384/512, ES256/384 or EdDSA)")]
    UnknownAlgorithm(String),
    #[error(
        "algorithms {0:?} need different kinds of key; configure one family per JWTAuthentication"
    )]
    MixedFamilies(Vec<String>),
    #[error("no algorithms configured")]
    NoAlgorithms,
    #[error("HMAC algorithms need a secret (JWTAuthentication(secret=...) or SECRET_KEY)")]
    MissingSecret,
    #[error("the HMAC secret looks like a PEM key: configure public_key= with an RS/ES/EdDSA algorithm instead")]
    PemAsSecret,
    #[error("{0} needs public_key= (a PEM public key)")]
    MissingPublicKey(&'static str),
    #[error("public key does not fit {alg}: {err}")]
    BadKey { alg: String, err: String },
    #[error("jwks: {0}")]
    BadJwks(String),
}

/// Why a token was refused (every variant is a 401).
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum JwtError {
    #[error("token too large")]
    TooLarge,
    #[error("authorization header must be 'Bearer <token>'")]
    NotBearer,
    #[error("token header supplies its own key (jwk/jku/x5u/x5c), refused")]
    EmbeddedKey,
    #[error("token has expired")]
    Expired,
    #[error("invalid token: it names no key (kid) of the key set")]
    NoKid,
    /// The set holds no key of that `kid`: a remote set may have rotated it in since we
    /// fetched it.
    #[error("invalid token: no key for kid {0:?}")]
    UnknownKid(String),
    #[error("invalid token: {0}")]
    Invalid(String),
}

pub struct JwtVerifier {
    keys: Keys,
    validation: Validation,
}

/// Where the key that checks a token comes from.
enum Keys {
    /// The one configured key: a token's `kid` never chooses it.
    One(DecodingKey),
    /// A JWKS, each key by its `kid` (a key without one cannot be chosen, so it is left out).
    ByKid(HashMap<String, DecodingKey>),
}

fn family(a: Algorithm) -> &'static str {
    use Algorithm::*;
    match a {
        HS256 | HS384 | HS512 => "HMAC",
        RS256 | RS384 | RS512 | PS256 | PS384 | PS512 => "RSA",
        ES256 | ES384 => "EC",
        EdDSA => "EdDSA",
        // Newer algorithms of the crate are not configured until we support their keys.
        _ => "unsupported",
    }
}

/// The configured algorithms, all of one key family; the first of them.
fn parse_algorithms(algorithms: &[String]) -> Result<(Vec<Algorithm>, Algorithm), JwtConfigError> {
    let mut algs = Vec::new();
    for name in algorithms {
        // `none` is not an Algorithm in jsonwebtoken, so it can never be configured.
        let a = Algorithm::from_str(name)
            .map_err(|_| JwtConfigError::UnknownAlgorithm(name.clone()))?;
        algs.push(a);
    }
    let Some(first) = algs.first().copied() else {
        return Err(JwtConfigError::NoAlgorithms);
    };
    if algs.iter().any(|a| family(*a) != family(first)) {
        return Err(JwtConfigError::MixedFamilies(algorithms.to_vec()));
    }
    if family(first) == "unsupported" {
        return Err(JwtConfigError::UnknownAlgorithm(algorithms[0].clone()));
    }
    Ok((algs, first))
}

fn validation(
    algs: Vec<Algorithm>,
    audience: &[String],
    issuer: &[String],
    leeway: u64,
) -> Validation {
    let mut validation = Validation::new(algs[0]);
    validation.algorithms = algs;
    validation.leeway = leeway;
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp"]);
    if audience.is_empty() {
        validation.validate_aud = false;
    } else {
        validation.set_audience(audience);
        validation.set_required_spec_claims(&["exp", "aud"]);
    }
    if !issuer.is_empty() {
        validation.set_issuer(issuer);
    }
    validation
}

/// Whether `jwks_json` is a JWK set holding a key a token's `kid` can name: what a refreshed
/// document must be before it replaces the keys in use.
pub fn check_jwks(jwks_json: &[u8]) -> Result<(), JwtConfigError> {
    let set: JwkSet = sonic_rs::from_slice(jwks_json)
        .map_err(|e| JwtConfigError::BadJwks(format!("not a JWK set ({e})")))?;
    if set.keys.iter().any(|k| k.common.key_id.is_some()) {
        Ok(())
    } else {
        Err(JwtConfigError::BadJwks("no key with a \"kid\"".into()))
    }
}

impl JwtVerifier {
    pub fn new(
        algorithms: &[String],
        secret: Option<&[u8]>,
        public_key: Option<&[u8]>,
        audience: &[String],
        issuer: &[String],
        leeway: u64,
    ) -> Result<Self, JwtConfigError> {
        let (algs, first) = parse_algorithms(algorithms)?;
        let key = match family(first) {
            "HMAC" => {
                let s = secret
                    .filter(|s| !s.is_empty())
                    .ok_or(JwtConfigError::MissingSecret)?;
                if s.starts_with(b"-----BEGIN") {
                    return Err(JwtConfigError::PemAsSecret);
                }
                DecodingKey::from_secret(s)
            }
            fam => {
                let pem = public_key.ok_or(JwtConfigError::MissingPublicKey(match fam {
                    "RSA" => "RS*/PS*",
                    "EC" => "ES*",
                    _ => "EdDSA",
                }))?;
                let parsed = match fam {
                    "RSA" => DecodingKey::from_rsa_pem(pem),
                    "EC" => DecodingKey::from_ec_pem(pem),
                    _ => DecodingKey::from_ed_pem(pem),
                };
                parsed.map_err(|e| JwtConfigError::BadKey {
                    alg: format!("{first:?}"),
                    err: e.to_string(),
                })?
            }
        };
        Ok(JwtVerifier {
            keys: Keys::One(key),
            validation: validation(algs, audience, issuer, leeway),
        })
    }

    /// A verifier whose keys are a JWKS document (RFC 7517 §5), chosen by each token's `kid`;
    /// a set of one key also checks tokens without a `kid`. Every key must fit the algorithms'
    /// family (an RSA set with `HS256` could never verify anything).
    pub fn from_jwks(
        algorithms: &[String],
        jwks_json: &[u8],
        audience: &[String],
        issuer: &[String],
        leeway: u64,
    ) -> Result<Self, JwtConfigError> {
        let (algs, first) = parse_algorithms(algorithms)?;
        let set: JwkSet = sonic_rs::from_slice(jwks_json)
            .map_err(|e| JwtConfigError::BadJwks(format!("not a JWK set ({e})")))?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let Some(kid) = jwk.common.key_id.clone() else {
                continue;
            };
            let kind = match &jwk.algorithm {
                AlgorithmParameters::RSA(_) => "RSA",
                AlgorithmParameters::EllipticCurve(_) => "EC",
                AlgorithmParameters::OctetKeyPair(_) => "EdDSA",
                AlgorithmParameters::OctetKey(_) => "HMAC",
                _ => "unsupported",
            };
            if kind != family(first) {
                return Err(JwtConfigError::BadJwks(format!(
                    "key {kid:?} is a {kind} key, the algorithms {algorithms:?} need {}",
                    family(first)
                )));
            }
            let key = DecodingKey::from_jwk(jwk)
                .map_err(|e| JwtConfigError::BadJwks(format!("key {kid:?}: {e}")))?;
            keys.insert(kid, key);
        }
        if keys.is_empty() {
            return Err(JwtConfigError::BadJwks("no key with a \"kid\"".into()));
        }
        Ok(JwtVerifier {
            keys: Keys::ByKid(keys),
            validation: validation(algs, audience, issuer, leeway),
        })
    }

    /// The token from an `Authorization` value: the `Bearer` scheme is required (its name is
    /// case-insensitive, RFC 9110 §11.1).
    pub fn bearer(value: &[u8]) -> Result<&str, JwtError> {
        let v = std::str::from_utf8(value)
            .map_err(|_| JwtError::NotBearer)?
            .trim();
        let (scheme, token) = v.split_once(' ').ok_or(JwtError::NotBearer)?;
        if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
            return Err(JwtError::NotBearer);
        }
        Ok(token.trim())
    }

    /// Verifies `token`; on success returns the payload's JSON bytes.
    pub fn verify(&self, token: &str) -> Result<Vec<u8>, JwtError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(JwtError::TooLarge);
        }
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| JwtError::Invalid(e.to_string()))?;
        // The key is ours alone: a token naming or carrying its own key is an attack.
        if header.jwk.is_some()
            || header.jku.is_some()
            || header.x5u.is_some()
            || header.x5c.is_some()
        {
            return Err(JwtError::EmbeddedKey);
        }
        let key = match &self.keys {
            Keys::One(key) => key,
            Keys::ByKid(keys) => match (header.kid.as_deref(), keys.len()) {
                (Some(kid), _) => keys
                    .get(kid)
                    .ok_or_else(|| JwtError::UnknownKid(kid.to_owned()))?,
                (None, 1) => keys.values().next().ok_or(JwtError::NoKid)?,
                (None, _) => return Err(JwtError::NoKid),
            },
        };
        jsonwebtoken::decode::<serde::de::IgnoredAny>(token, key, &self.validation).map_err(
            |e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => JwtError::Expired,
                _ => JwtError::Invalid(e.to_string()),
            },
        )?;
        let payload = token
            .split('.')
            .nth(1)
            .ok_or_else(|| JwtError::Invalid("malformed".into()))?;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .map_err(|e| JwtError::Invalid(e.to_string()))
    }
}

/// Why a token could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum JwtEncodeError {
    #[error("unknown JWT algorithm {0:?}")]
    UnknownAlgorithm(String),
    #[error("unsupported JWT algorithm {0:?}")]
    Unsupported(String),
    #[error("{0}")]
    Key(jsonwebtoken::errors::Error),
    #[error("{0}")]
    Claims(sonic_rs::Error),
    #[error("JWT claims must be a JSON object")]
    NotAnObject,
}

/// Signs `claims_json` (for `create_jwt_for_user`), naming the signing key `kid` in the header
/// when given (so a verifier holding a key set picks the right one).
pub fn encode(
    algorithm: &str,
    secret_or_pem: &[u8],
    claims_json: &[u8],
    kid: Option<&str>,
) -> Result<String, JwtEncodeError> {
    let alg = Algorithm::from_str(algorithm)
        .map_err(|_| JwtEncodeError::UnknownAlgorithm(algorithm.into()))?;
    let key = match family(alg) {
        "HMAC" => jsonwebtoken::EncodingKey::from_secret(secret_or_pem),
        "RSA" => {
            jsonwebtoken::EncodingKey::from_rsa_pem(secret_or_pem).map_err(JwtEncodeError::Key)?
        }
        "EC" => {
            jsonwebtoken::EncodingKey::from_ec_pem(secret_or_pem).map_err(JwtEncodeError::Key)?
        }
        "unsupported" => return Err(JwtEncodeError::Unsupported(algorithm.into())),
        _ => jsonwebtoken::EncodingKey::from_ed_pem(secret_or_pem).map_err(JwtEncodeError::Key)?,
    };
    // Signed as given, re-written compactly by sonic-rs with every number's text kept: a
    // serde round trip through jsonwebtoken::encode would turn a 30-digit claim into 1e+30.
    let mut de = sonic_rs::Deserializer::from_slice(claims_json).use_rawnumber();
    let claims: sonic_rs::Value =
        serde::Deserialize::deserialize(&mut de).map_err(JwtEncodeError::Claims)?;
    if !sonic_rs::JsonValueTrait::is_object(&claims) {
        return Err(JwtEncodeError::NotAnObject);
    }
    let part = |json: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json);
    let mut header = jsonwebtoken::Header::new(alg);
    header.kid = kid.map(str::to_owned);
    let header = sonic_rs::to_vec(&header).map_err(JwtEncodeError::Claims)?;
    let claims = sonic_rs::to_vec(&claims).map_err(JwtEncodeError::Claims)?;
    let message = format!("{}.{}", part(&header), part(&claims));
    let signature =
        jsonwebtoken::crypto::sign(message.as_bytes(), &key, alg).map_err(JwtEncodeError::Key)?;
    Ok(format!("{message}.{signature}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"test-secret-with-enough-entropy-0123456789";

    fn now() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    fn hs256() -> JwtVerifier {
        JwtVerifier::new(&["HS256".into()], Some(SECRET), None, &[], &[], 0).unwrap()
    }

    fn token(claims: &str) -> String {
        encode("HS256", SECRET, claims.as_bytes(), None).unwrap()
    }

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn valid_token_gives_its_payload() {
        let t = token(&format!(r#"{{"sub":"42","exp":{}}}"#, now() + 60));
        let payload = hs256().verify(&t).unwrap();
        assert!(std::str::from_utf8(&payload)
            .unwrap()
            .contains(r#""sub":"42""#));
    }

    #[test]
    fn rejects_alg_none() {
        let t = format!(
            "{}.{}.",
            b64(r#"{"alg":"none","typ":"JWT"}"#),
            b64(&format!(r#"{{"exp":{}}}"#, now() + 60))
        );
        assert!(matches!(hs256().verify(&t), Err(JwtError::Invalid(_))));
    }

    #[test]
    fn rejects_expired() {
        let t = token(&format!(r#"{{"sub":"1","exp":{}}}"#, now() - 120));
        assert_eq!(hs256().verify(&t), Err(JwtError::Expired));
    }

    #[test]
    fn rejects_missing_exp() {
        assert!(matches!(
            hs256().verify(&token(r#"{"sub":"1"}"#)),
            Err(JwtError::Invalid(_))
        ));
    }

    #[test]
    fn rejects_tampered_payload() {
        let t = token(&format!(r#"{{"sub":"1","exp":{}}}"#, now() + 60));
        let parts: Vec<&str> = t.split('.').collect();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            b64(&format!(r#"{{"sub":"2","exp":{}}}"#, now() + 60)),
            parts[2]
        );
        assert!(matches!(hs256().verify(&forged), Err(JwtError::Invalid(_))));
    }

    #[test]
    fn rejects_algorithm_not_configured() {
        let v = JwtVerifier::new(&["HS512".into()], Some(SECRET), None, &[], &[], 0).unwrap();
        let t = token(&format!(r#"{{"exp":{}}}"#, now() + 60));
        assert!(matches!(v.verify(&t), Err(JwtError::Invalid(_))));
    }

    #[test]
    fn rejects_embedded_keys() {
        // Even signed with our own key, a token that names its own key source is refused.
        let claims: sonic_rs::Value =
            sonic_rs::from_str(&format!(r#"{{"exp":{}}}"#, now() + 60)).unwrap();
        let key = jsonwebtoken::EncodingKey::from_secret(SECRET);
        let mut h = jsonwebtoken::Header::new(Algorithm::HS256);
        h.jku = Some("https://evil/keys".into());
        let t = jsonwebtoken::encode(&h, &claims, &key).unwrap();
        assert_eq!(hs256().verify(&t), Err(JwtError::EmbeddedKey));
        // Signed with the attacker's own key: refused before any signature work.
        let evil = jsonwebtoken::encode(
            &h,
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(b"evil"),
        )
        .unwrap();
        assert_eq!(hs256().verify(&evil), Err(JwtError::EmbeddedKey));
    }

    #[test]
    fn rejects_oversized_tokens() {
        assert_eq!(
            hs256().verify(&"a".repeat(MAX_TOKEN_BYTES + 1)),
            Err(JwtError::TooLarge)
        );
    }

    #[test]
    fn bearer_prefix_is_required() {
        assert_eq!(JwtVerifier::bearer(b"Bearer abc"), Ok("abc"));
        assert_eq!(JwtVerifier::bearer(b"bearer abc"), Ok("abc"));
        assert_eq!(JwtVerifier::bearer(b"abc"), Err(JwtError::NotBearer));
        assert_eq!(JwtVerifier::bearer(b"Basic abc"), Err(JwtError::NotBearer));
        assert_eq!(JwtVerifier::bearer(b"Bearer "), Err(JwtError::NotBearer));
    }

    #[test]
    fn audience_and_issuer_when_configured() {
        let v = JwtVerifier::new(
            &["HS256".into()],
            Some(SECRET),
            None,
            &["api".into()],
            &["me".into()],
            0,
        )
        .unwrap();
        let ok = token(&format!(
            r#"{{"aud":"api","iss":"me","exp":{}}}"#,
            now() + 60
        ));
        assert!(v.verify(&ok).is_ok());
        let wrong = token(&format!(
            r#"{{"aud":"other","iss":"me","exp":{}}}"#,
            now() + 60
        ));
        assert!(v.verify(&wrong).is_err());
        let no_aud = token(&format!(r#"{{"iss":"me","exp":{}}}"#, now() + 60));
        assert!(v.verify(&no_aud).is_err());
    }

    #[test]
    fn config_errors_are_named() {
        assert!(matches!(
            JwtVerifier::new(&["HS999".into()], Some(SECRET), None, &[], &[], 0),
            Err(JwtConfigError::UnknownAlgorithm(_))
        ));
        assert!(matches!(
            JwtVerifier::new(&["none".into()], Some(SECRET), None, &[], &[], 0),
            Err(JwtConfigError::UnknownAlgorithm(_))
        ));
        assert!(matches!(
            JwtVerifier::new(
                &["HS256".into(), "RS256".into()],
                Some(SECRET),
                None,
                &[],
                &[],
                0
            ),
            Err(JwtConfigError::MixedFamilies(_))
        ));
        assert!(matches!(
            JwtVerifier::new(&["RS256".into()], None, None, &[], &[], 0),
            Err(JwtConfigError::MissingPublicKey(_))
        ));
        assert!(matches!(
            JwtVerifier::new(&["RS256".into()], None, Some(b"not a pem"), &[], &[], 0),
            Err(JwtConfigError::BadKey { .. })
        ));
        assert_eq!(
            JwtVerifier::new(
                &["HS256".into()],
                Some(b"-----BEGIN PUBLIC KEY-----\nxx"),
                None,
                &[],
                &[],
                0
            )
            .err(),
            Some(JwtConfigError::PemAsSecret)
        );
    }

    fn oct(kid: &str, key: &[u8]) -> String {
        format!(
            r#"{{"kty":"oct","kid":"{kid}","k":"{}"}}"#,
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key)
        )
    }

    fn jwks(keys: &[String]) -> Vec<u8> {
        format!(r#"{{"keys":[{}]}}"#, keys.join(",")).into_bytes()
    }

    fn from_jwks(set: &[u8]) -> Result<JwtVerifier, JwtConfigError> {
        JwtVerifier::from_jwks(&["HS256".into()], set, &[], &[], 0)
    }

    #[test]
    fn a_key_set_picks_the_key_by_kid() {
        let v = from_jwks(&jwks(&[oct("a", b"key-a"), oct("b", b"key-b")])).unwrap();
        let claims = format!(r#"{{"sub":"1","exp":{}}}"#, now() + 60);
        let by_b = encode("HS256", b"key-b", claims.as_bytes(), Some("b")).unwrap();
        assert!(v.verify(&by_b).is_ok());
        let named_a = encode("HS256", b"key-b", claims.as_bytes(), Some("a")).unwrap();
        assert!(
            matches!(v.verify(&named_a), Err(JwtError::Invalid(_))),
            "b's signature, a's kid"
        );
        let unknown = encode("HS256", b"key-b", claims.as_bytes(), Some("c")).unwrap();
        assert_eq!(v.verify(&unknown), Err(JwtError::UnknownKid("c".into())));
        let no_kid = encode("HS256", b"key-b", claims.as_bytes(), None).unwrap();
        assert_eq!(v.verify(&no_kid), Err(JwtError::NoKid), "two keys: which?");
        let one = from_jwks(&jwks(&[oct("b", b"key-b")])).unwrap();
        assert!(one.verify(&no_kid).is_ok(), "a set of one key needs no kid");
    }

    #[test]
    fn a_bad_key_set_is_a_start_up_error() {
        let bad = |set: &[u8]| match from_jwks(set) {
            Err(JwtConfigError::BadJwks(why)) => why,
            other => panic!("{:?}", other.map(|_| ())),
        };
        assert!(bad(b"[]").starts_with("not a JWK set"));
        assert!(bad(b"{\"keys\":[{\"kty\":\"oct\",\"k\":\"AA\"}]}").contains("kid"));
        let rsa = r#"{"kty":"RSA","kid":"r","n":"AQAB","e":"AQAB"}"#.to_string();
        assert!(
            bad(&jwks(&[rsa])).contains("RSA key"),
            "HS256 cannot use an RSA key"
        );
        assert!(matches!(
            JwtVerifier::from_jwks(&[], &jwks(&[oct("a", b"k")]), &[], &[], 0),
            Err(JwtConfigError::NoAlgorithms)
        ));
    }

    #[test]
    fn encode_writes_the_kid() {
        let t = encode("HS256", SECRET, br#"{"exp":1}"#, Some("k1")).unwrap();
        let header = jsonwebtoken::decode_header(&t).unwrap();
        assert_eq!(header.kid.as_deref(), Some("k1"));
        let t = encode("HS256", SECRET, br#"{"exp":1}"#, None).unwrap();
        assert_eq!(jsonwebtoken::decode_header(&t).unwrap().kid, None);
    }

    #[test]
    fn encode_keeps_number_text_of_claims() {
        let exp = now() + 60;
        let claims =
            format!(r#"{{"big": 123456789012345678901234567890, "z": -0.0, "exp": {exp}}}"#);
        let claims = claims.as_bytes();
        let token = encode("HS256", SECRET, claims, None).unwrap();
        let payload = token.split('.').nth(1).unwrap();
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap();
        let compact = format!(r#"{{"big":123456789012345678901234567890,"z":-0.0,"exp":{exp}}}"#);
        assert_eq!(json, compact.as_bytes());
        let v = JwtVerifier::new(&["HS256".into()], Some(SECRET), None, &[], &[], 0).unwrap();
        assert_eq!(v.verify(&token).unwrap(), json);
        assert!(matches!(
            encode("HS256", SECRET, b"[1]", None),
            Err(JwtEncodeError::NotAnObject)
        ));
    }
}
