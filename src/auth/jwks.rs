//! Key sets fetched from a `jwks_url`, one per URL for the whole process, so that every core
//! verifies with the same keys and a provider is asked once per refresh, not once per core.
//!
//! Only bytes live here (the JWK set document as fetched) and the bookkeeping of when to fetch
//! it again. The fetch itself is Python's (`auth/jwks.py`, on a core's blocking pool, never on a
//! core's own thread); each core parses a new document into its own verifier when it sees the
//! generation change (`authenticate::RemoteKeys::sync`).
//!
//! A token whose `kid` the set lacks may name a key the provider has just rotated in: as
//! django-bolt does, its request is held (`KeyHold`) until the refresh that may bring the key
//! lands, then verified again; the connection waits, the core serves others meanwhile.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// A token naming a `kid` the set does not hold starts a refresh at once, then at most once in
/// this long (django-bolt's cooldown): a client inventing `kid`s cannot make us hammer the
/// provider.
pub const UNKNOWN_KID_COOLDOWN: Duration = Duration::from_secs(30);

/// The longest a request with an unknown `kid` is held for the refresh (django-bolt's: it waits
/// for the fetch, which gives up after 10 s, as `auth/jwks.py`'s does); past it the request is
/// answered as if the refresh had failed.
pub const UNKNOWN_KID_HOLD: Duration = Duration::from_secs(10);

/// What a token naming a `kid` the set lacks gets (`RemoteJwks::unknown_kid`).
#[derive(Debug, PartialEq, Eq)]
pub enum KidRefresh {
    /// Start a refresh now (the caller must see `publish` called, whatever the outcome) and
    /// wait for it.
    Start(KeyWait),
    /// A refresh is in flight already (this core's or another's): wait for it.
    Join(KeyWait),
    /// Nothing in flight and within the cooldown: refuse now, so invented `kid`s cannot park
    /// requests.
    Refuse,
}

/// A refresh to wait for: over once `publish` has been called after the count `seen`.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct KeyWait {
    seen: u64,
}

/// A request held for a refresh of `set`, until it lands or `until` passes.
#[derive(Clone)]
pub struct KeyHold {
    pub set: Arc<RemoteJwks>,
    wait: KeyWait,
    pub until: Instant,
}

impl KeyHold {
    pub fn new(set: Arc<RemoteJwks>, wait: KeyWait, now: Instant) -> KeyHold {
        KeyHold {
            set,
            wait,
            until: now + UNKNOWN_KID_HOLD,
        }
    }

    /// Whether the request may go on: the refresh landed (or failed), or its time is up.
    pub fn over(&self, now: Instant) -> bool {
        self.set.settled.load(Ordering::Acquire) != self.wait.seen || now >= self.until
    }
}

pub struct RemoteJwks {
    pub url: String,
    /// Bumped by every published document; a core rebuilds its verifier when it differs from
    /// the one it built from.
    generation: AtomicU64,
    /// When the next periodic refresh is due, in nanoseconds since `epoch()`: read on every
    /// token without taking the lock.
    due_at: AtomicU64,
    /// Bumped by every `publish` (a refresh's end, whatever its outcome): held requests wait
    /// for it to move.
    settled: AtomicU64,
    state: Mutex<State>,
}

struct State {
    document: Arc<Vec<u8>>,
    interval: Duration,
    /// A fetch was handed to Python and has not reported back (`publish`).
    in_flight: bool,
    /// When a token with an unknown `kid` last started a refresh.
    unknown_kid_at: Option<Instant>,
}

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn nanos_since_epoch(t: Instant) -> u64 {
    u64::try_from(t.saturating_duration_since(epoch()).as_nanos()).unwrap_or(u64::MAX)
}

fn registry() -> &'static Mutex<HashMap<String, Arc<RemoteJwks>>> {
    static SETS: OnceLock<Mutex<HashMap<String, Arc<RemoteJwks>>>> = OnceLock::new();
    SETS.get_or_init(Default::default)
}

/// A poisoned lock only means another thread panicked mid-update of plain data we overwrite
/// whole; the keys must keep working.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl RemoteJwks {
    /// The process's key set for `url`. A worker registers the document it fetched at start-up:
    /// the first makes the set, and later ones (other cores, other routes) join it, keeping
    /// its document, which refreshes may have replaced since: all cores verify with the same
    /// keys. Two backends naming one URL share the set and the shorter refresh interval.
    pub fn register(url: &str, interval: Duration, document: Vec<u8>) -> Arc<RemoteJwks> {
        let now = Instant::now();
        let mut sets = lock(registry());
        if let Some(set) = sets.get(url) {
            let set = Arc::clone(set);
            drop(sets);
            let mut st = lock(&set.state);
            if interval < st.interval {
                st.interval = interval;
                set.due_at
                    .store(nanos_since_epoch(now + interval), Ordering::Release);
            }
            drop(st);
            return set;
        }
        let set = Arc::new(RemoteJwks {
            url: url.to_owned(),
            generation: AtomicU64::new(0),
            due_at: AtomicU64::new(nanos_since_epoch(now + interval)),
            settled: AtomicU64::new(0),
            state: Mutex::new(State {
                document: Arc::new(document),
                interval,
                in_flight: false,
                unknown_kid_at: None,
            }),
        });
        sets.insert(url.to_owned(), Arc::clone(&set));
        set
    }

    /// The set registered for `url`, if any.
    pub fn find(url: &str) -> Option<Arc<RemoteJwks>> {
        lock(registry()).get(url).cloned()
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The current document and its generation.
    pub fn document(&self) -> (u64, Arc<Vec<u8>>) {
        let st = lock(&self.state);
        // Read under the lock that `publish` bumps it under: the pair is consistent.
        (self.generation(), Arc::clone(&st.document))
    }

    /// Whether the caller should start a fetch now, the refresh interval having passed since
    /// the last one began; true hands it the one fetch in flight (the caller must see `publish`
    /// called, whatever the outcome).
    pub fn claim_refresh(&self, now: Instant) -> bool {
        // The common case, a known key between refreshes, costs one atomic load.
        if nanos_since_epoch(now) < self.due_at.load(Ordering::Acquire) {
            return false;
        }
        let mut st = lock(&self.state);
        if st.in_flight || nanos_since_epoch(now) < self.due_at.load(Ordering::Acquire) {
            return false;
        }
        self.begin(&mut st, now);
        true
    }

    /// A token names a `kid` the set lacks. django-bolt's rule: the first such token refreshes
    /// at once and waits for the new keys, later ones refresh at most once per
    /// `UNKNOWN_KID_COOLDOWN`. A refresh already in flight is waited for (it may bring the key;
    /// another core's included) and counts as the one the cooldown follows.
    pub fn unknown_kid(&self, now: Instant) -> KidRefresh {
        let mut st = lock(&self.state);
        // Read under the lock `publish` bumps it under: consistent with `in_flight`.
        let wait = KeyWait {
            seen: self.settled.load(Ordering::Acquire),
        };
        let cooled = st
            .unknown_kid_at
            .is_none_or(|at| now.saturating_duration_since(at) >= UNKNOWN_KID_COOLDOWN);
        if st.in_flight {
            if cooled {
                st.unknown_kid_at = Some(now);
            }
            return KidRefresh::Join(wait);
        }
        if !cooled {
            return KidRefresh::Refuse;
        }
        st.unknown_kid_at = Some(now);
        self.begin(&mut st, now);
        KidRefresh::Start(wait)
    }

    /// Marks a fetch in flight; the next periodic one is an interval after it began.
    fn begin(&self, st: &mut State, now: Instant) {
        st.in_flight = true;
        self.due_at
            .store(nanos_since_epoch(now + st.interval), Ordering::Release);
    }

    /// A fetch's outcome: a new document for every core, or None when it failed (the keys
    /// already held stay in use; the next try is an interval later).
    pub fn publish(&self, document: Option<Vec<u8>>) {
        let mut st = lock(&self.state);
        st.in_flight = false;
        if let Some(document) = document {
            if *st.document != document {
                st.document = Arc::new(document);
                self.generation.fetch_add(1, Ordering::AcqRel);
            }
        }
        // After the generation: a held request that sees this sees the new document too.
        self.settled.fetch_add(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(url: &str, interval: u64) -> Arc<RemoteJwks> {
        RemoteJwks::register(
            url,
            Duration::from_secs(interval),
            b"{\"keys\":[1]}".to_vec(),
        )
    }

    #[test]
    fn a_refresh_is_due_each_interval_and_one_at_a_time() {
        let s = set("https://t/interval", 10);
        let t0 = Instant::now();
        assert!(!s.claim_refresh(t0), "not before the interval");
        let later = t0 + Duration::from_secs(11);
        assert!(s.claim_refresh(later));
        assert!(!s.claim_refresh(later), "one fetch in flight");
        s.publish(None);
        assert!(
            !s.claim_refresh(later + Duration::from_secs(1)),
            "a failure waits an interval too"
        );
        assert!(s.claim_refresh(later + Duration::from_secs(11)));
    }

    #[test]
    fn unknown_kids_refresh_at_once_then_once_per_cooldown() {
        let s = set("https://t/kid", 300);
        let t0 = Instant::now();
        let KidRefresh::Start(wait) = s.unknown_kid(t0) else {
            panic!("the first unknown kid starts a refresh")
        };
        // Another token meanwhile (this core's or another's) waits for the same refresh.
        assert_eq!(s.unknown_kid(t0), KidRefresh::Join(wait));
        assert!(!s.claim_refresh(t0 + Duration::from_secs(301)), "in flight");
        s.publish(None);
        assert_eq!(
            s.unknown_kid(t0 + Duration::from_secs(29)),
            KidRefresh::Refuse,
            "within the cooldown: refused at once, nothing fetched"
        );
        assert!(matches!(
            s.unknown_kid(t0 + UNKNOWN_KID_COOLDOWN),
            KidRefresh::Start(_)
        ));
    }

    #[test]
    fn a_periodic_refresh_in_flight_is_joined_and_starts_the_cooldown() {
        let s = set("https://t/join", 10);
        let t0 = Instant::now() + Duration::from_secs(11);
        assert!(s.claim_refresh(t0));
        assert!(matches!(s.unknown_kid(t0), KidRefresh::Join(_)));
        s.publish(None);
        assert_eq!(
            s.unknown_kid(t0 + Duration::from_secs(1)),
            KidRefresh::Refuse
        );
    }

    #[test]
    fn a_hold_ends_when_the_refresh_lands_or_its_time_is_up() {
        let s = set("https://t/hold", 300);
        let t0 = Instant::now();
        let KidRefresh::Start(wait) = s.unknown_kid(t0) else {
            panic!("starts")
        };
        let hold = KeyHold::new(Arc::clone(&s), wait, t0);
        assert!(!hold.over(t0 + Duration::from_secs(9)));
        assert!(hold.over(t0 + UNKNOWN_KID_HOLD), "bounded");
        s.publish(Some(b"{\"keys\":[3]}".to_vec()));
        assert!(hold.over(t0), "landed");
        // A failed refresh ends the hold too (the request is then refused).
        let KidRefresh::Start(wait) = s.unknown_kid(t0 + UNKNOWN_KID_COOLDOWN) else {
            panic!("starts after the cooldown")
        };
        let hold = KeyHold::new(Arc::clone(&s), wait, t0);
        assert!(!hold.over(t0));
        s.publish(None);
        assert!(hold.over(t0));
    }

    #[test]
    fn a_new_document_is_a_new_generation_and_the_same_is_not() {
        let s = set("https://t/gen", 300);
        let g = s.generation();
        s.publish(Some(b"{\"keys\":[1]}".to_vec()));
        assert_eq!(s.generation(), g);
        s.publish(Some(b"{\"keys\":[2]}".to_vec()));
        assert_eq!(s.document(), (g + 1, Arc::new(b"{\"keys\":[2]}".to_vec())));
        let again = RemoteJwks::register(
            "https://t/gen",
            Duration::from_secs(60),
            b"{\"keys\":[1]}".to_vec(),
        );
        assert!(Arc::ptr_eq(&s, &again), "one set per URL");
        assert_eq!(
            again.document(),
            (g + 1, Arc::new(b"{\"keys\":[2]}".to_vec())),
            "a worker's start-up copy does not undo a refresh"
        );
    }
}
