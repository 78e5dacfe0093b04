//! API keys: a header checked against in-memory keys, or against the database through a
//! per-core cache with a short TTL, so a revoked key stops working within the TTL on every core
//! without a restart, and the database is asked at most once per key per TTL per core.

use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// SHA-256 of the key, hex: what is compared and cached (raw keys are never kept).
pub fn key_hash(raw: &[u8]) -> String {
    let digest = Sha256::digest(raw);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

pub struct ApiKeyAuth {
    pub header: String,
    /// In-memory keys (`api_keys={...}`): each key's hash and the claims JSON a request with
    /// it gets (its `key_permissions`); None = the database.
    pub static_hashes: Option<HashMap<String, Vec<u8>>>,
    pub ttl: Duration,
}

/// The key in a header's value: as django-bolt, it may be sent as `Bearer <key>` or
/// `ApiKey <key>`.
pub fn key_of(value: &[u8]) -> &[u8] {
    value
        .strip_prefix(b"Bearer ")
        .or_else(|| value.strip_prefix(b"ApiKey "))
        .unwrap_or(value)
}

/// Per-core cache: key hash → (claims JSON when the key is valid, when the entry expires).
/// A cached answer: the claims JSON when the key is valid, and when the entry expires.
type Entry = (Option<Vec<u8>>, Instant);

#[derive(Default)]
pub struct ApiKeyCache {
    entries: RefCell<HashMap<String, Entry>>,
}

/// Entries beyond this are dropped when expired, to bound memory under key-guessing floods.
const MAX_ENTRIES: usize = 50_000;

impl ApiKeyCache {
    /// The cached answer for `hash`, or the one `load` gives (then cached for `ttl`).
    pub fn get_or_load(
        &self,
        hash: &str,
        ttl: Duration,
        now: Instant,
        load: impl FnOnce() -> Result<Option<Vec<u8>>, String>,
    ) -> Result<Option<Vec<u8>>, String> {
        if let Some((claims, until)) = self.entries.borrow().get(hash) {
            if *until > now {
                return Ok(claims.clone());
            }
        }
        let claims = load()?;
        let mut map = self.entries.borrow_mut();
        if map.len() >= MAX_ENTRIES {
            map.retain(|_, (_, until)| *until > now);
        }
        map.insert(hash.to_owned(), (claims.clone(), now + ttl));
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_prefixes_are_dropped() {
        assert_eq!(key_of(b"Bearer k1"), b"k1");
        assert_eq!(key_of(b"ApiKey k1"), b"k1");
        assert_eq!(key_of(b"k1"), b"k1");
        assert_eq!(key_of(b"bearer k1"), b"bearer k1");
    }

    #[test]
    fn hash_is_sha256_hex() {
        assert_eq!(
            key_hash(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn cache_asks_once_per_ttl() {
        let c = ApiKeyCache::default();
        let t0 = Instant::now();
        let ttl = Duration::from_secs(5);
        let mut calls = 0;
        for _ in 0..3 {
            let r = c.get_or_load("h", ttl, t0, || {
                calls += 1;
                Ok(Some(b"{}".to_vec()))
            });
            assert_eq!(r, Ok(Some(b"{}".to_vec())));
        }
        assert_eq!(calls, 1);
        // After the TTL the source is asked again: a revoked key is now refused.
        let r = c.get_or_load("h", ttl, t0 + Duration::from_secs(6), || Ok(None));
        assert_eq!(r, Ok(None));
    }
}
