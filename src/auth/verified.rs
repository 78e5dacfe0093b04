//! Tokens a core has already verified. A client sends the same bearer token on every request
//! until it expires, and for one verifier (its keys, algorithms, audience and issuer) whether a
//! given token's signature and claims check out does not change: only time does. So the full
//! check (two base64 decodes, two JSON parses, the signature) runs once per token, and later
//! requests with the same bytes reuse its payload while the token is inside its validity window.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

/// Bytes of tokens and payloads one verifier keeps per core before it starts over: a few
/// hundred clients' tokens at typical sizes.
const CAPACITY_BYTES: usize = 256 * 1024;

struct Entry {
    payload: Vec<u8>,
    /// The token's `exp` (seconds since the epoch): a hit is used only before it.
    exp: u64,
    /// When the full check passed; a clock that went back past it gets the full check again.
    verified_at: u64,
}

/// One verifier's cache on one core (not shared between threads).
#[derive(Default)]
pub struct VerifiedTokens {
    entries: RefCell<HashMap<Box<str>, Entry>>,
    bytes: Cell<usize>,
}

impl VerifiedTokens {
    /// The payload of `token`: from the cache when it was verified before and `now` is before
    /// its `exp`, else from `verify` (whose success is then kept). Near and past `exp` every
    /// request gets the full check, so expiry, leeway and the error are exactly `verify`'s. A
    /// token passing `nbf` at `verified_at` still passes it later, as time only moves forward.
    pub fn get_or_verify<E>(
        &self,
        token: &str,
        now: u64,
        verify: impl FnOnce(&str) -> Result<Vec<u8>, E>,
    ) -> Result<Vec<u8>, E> {
        if let Some(e) = self.entries.borrow().get(token) {
            if now >= e.verified_at && now < e.exp {
                return Ok(e.payload.clone());
            }
        }
        let payload = verify(token)?;
        // `exp` is required and checked to be an integer by `verify`; without one (another
        // verifier's configuration) the token is simply not kept.
        if let Some(exp) = sonic_rs::get(&*payload, ["exp"])
            .ok()
            .and_then(|v| sonic_rs::JsonValueTrait::as_u64(&v))
        {
            self.keep(token, payload.clone(), exp, now);
        }
        Ok(payload)
    }

    /// Forgets every token: the verifier's keys changed, so what it accepted may not hold.
    pub fn clear(&self) {
        self.entries.borrow_mut().clear();
        self.bytes.set(0);
    }

    fn keep(&self, token: &str, payload: Vec<u8>, exp: u64, now: u64) {
        let size = token.len() + payload.len();
        let mut entries = self.entries.borrow_mut();
        if self.bytes.get() + size > CAPACITY_BYTES {
            // Starting over keeps the bound without bookkeeping per hit; the tokens in use come
            // back on their next request.
            entries.clear();
            self.bytes.set(0);
        }
        let old = entries.insert(
            token.into(),
            Entry {
                payload,
                exp,
                verified_at: now,
            },
        );
        let freed = old.map_or(0, |e| token.len() + e.payload.len());
        self.bytes.set(self.bytes.get() + size - freed);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.borrow().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn payload(exp: u64) -> Vec<u8> {
        format!(r#"{{"sub":"1","exp":{exp}}}"#).into_bytes()
    }

    #[test]
    fn a_token_is_verified_once_while_it_is_valid() {
        let cache = VerifiedTokens::default();
        let calls = Cell::new(0);
        let verify = |_: &str| -> Result<Vec<u8>, ()> {
            calls.set(calls.get() + 1);
            Ok(payload(1_000))
        };
        for now in [10, 11, 500, 999] {
            assert_eq!(
                cache.get_or_verify("t", now, verify).unwrap(),
                payload(1_000)
            );
        }
        assert_eq!(calls.get(), 1);
    }

    #[test]
    fn from_exp_on_every_request_gets_the_full_check() {
        // Leeway and the expiry error are the verifier's: the cache never answers at or after
        // `exp`, even when the leeway would still accept the token.
        let cache = VerifiedTokens::default();
        let calls = Cell::new(0);
        let verify = |_: &str| -> Result<Vec<u8>, &str> {
            calls.set(calls.get() + 1);
            if calls.get() == 1 {
                Ok(payload(100))
            } else {
                Err("expired")
            }
        };
        assert!(cache.get_or_verify("t", 50, verify).is_ok());
        assert_eq!(cache.get_or_verify("t", 100, verify), Err("expired"));
        assert_eq!(cache.get_or_verify("t", 101, verify), Err("expired"));
        assert_eq!(calls.get(), 3);
    }

    #[test]
    fn a_clock_that_went_back_gets_the_full_check() {
        let cache = VerifiedTokens::default();
        let calls = Cell::new(0);
        let verify = |_: &str| -> Result<Vec<u8>, ()> {
            calls.set(calls.get() + 1);
            Ok(payload(1_000))
        };
        cache.get_or_verify("t", 500, verify).unwrap();
        cache.get_or_verify("t", 499, verify).unwrap();
        assert_eq!(calls.get(), 2);
    }

    #[test]
    fn a_refused_token_is_not_kept() {
        let cache = VerifiedTokens::default();
        let calls = Cell::new(0);
        let verify = |_: &str| -> Result<Vec<u8>, ()> {
            calls.set(calls.get() + 1);
            Err(())
        };
        for _ in 0..3 {
            assert!(cache.get_or_verify("bad", 10, verify).is_err());
        }
        assert_eq!((calls.get(), cache.len()), (3, 0));
    }

    #[test]
    fn a_payload_without_an_integer_exp_is_not_kept() {
        let cache = VerifiedTokens::default();
        let ok = |_: &str| -> Result<Vec<u8>, ()> { Ok(br#"{"exp":1.5e9}"#.to_vec()) };
        cache.get_or_verify("t", 10, ok).unwrap();
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn the_cache_stays_within_its_bytes() {
        let cache = VerifiedTokens::default();
        for i in 0..20_000 {
            let token = format!("token-{i:06}-{}", "x".repeat(200));
            cache
                .get_or_verify(&token, 10, |_| -> Result<Vec<u8>, ()> {
                    Ok(payload(1_000))
                })
                .unwrap();
            assert!(cache.bytes.get() <= CAPACITY_BYTES);
        }
        assert!(cache.len() > 100, "{}", cache.len());
    }
}
