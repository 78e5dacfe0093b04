//! Warnings an application can trigger on every request (an invalid header it returns, a
//! log handler that fails) written at most once per interval per place in the code, with the
//! count of those held back, so a mistake under load costs lines per interval, not per request
//! (Python's own logs do the same: pyext/django_bolt/_log_repeats.py).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::OnceLock;
use std::time::Instant;

/// Seconds between two lines from one place.
pub const INTERVAL_SECS: u64 = 10;

/// One place in the code that writes a repeatable warning (see [`warn_repeated!`]).
pub struct Repeats {
    /// Seconds since [`start`] at which the last line was written, plus one (0: never).
    written: AtomicU64,
    held: AtomicU64,
}

fn start() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

impl Repeats {
    pub const fn new() -> Repeats {
        Repeats {
            written: AtomicU64::new(0),
            held: AtomicU64::new(0),
        }
    }

    /// `Some(held back since the last line)` when this occurrence is to be written now.
    pub fn admit(&self) -> Option<u64> {
        self.admit_at(start().elapsed().as_secs() + 1)
    }

    fn admit_at(&self, now: u64) -> Option<u64> {
        let last = self.written.load(Relaxed);
        if last != 0 && now < last + INTERVAL_SECS {
            self.held.fetch_add(1, Relaxed);
            return None;
        }
        // Cores share the place: one of them writes, the others count.
        if self
            .written
            .compare_exchange(last, now, Relaxed, Relaxed)
            .is_err()
        {
            self.held.fetch_add(1, Relaxed);
            return None;
        }
        Some(self.held.swap(0, Relaxed))
    }
}

impl Default for Repeats {
    fn default() -> Self {
        Repeats::new()
    }
}

/// `eprintln!` for a warning that may come once per request: the first line, then at most one
/// per [`INTERVAL_SECS`] from this place, saying how many were held back.
macro_rules! warn_repeated {
    ($($arg:tt)*) => {{
        static PLACE: $crate::app::repeats::Repeats = $crate::app::repeats::Repeats::new();
        if let Some(held) = PLACE.admit() {
            if held == 0 {
                eprintln!($($arg)*);
            } else {
                eprintln!(
                    "{} [and {held} more like it in the last {} s]",
                    format_args!($($arg)*),
                    $crate::app::repeats::INTERVAL_SECS
                );
            }
        }
    }};
}
pub(crate) use warn_repeated;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_once_per_interval_and_counts_the_rest() {
        let r = Repeats::new();
        assert_eq!(r.admit_at(1), Some(0));
        for _ in 0..5 {
            assert_eq!(r.admit_at(3), None);
        }
        assert_eq!(r.admit_at(1 + INTERVAL_SECS - 1), None);
        assert_eq!(r.admit_at(1 + INTERVAL_SECS), Some(6));
        assert_eq!(r.admit_at(2 + INTERVAL_SECS), None);
        assert_eq!(r.admit_at(1 + 3 * INTERVAL_SECS), Some(1));
    }
}
