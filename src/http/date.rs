//! The `Date` header value, formatted at most once per second.
//!
//! RFC 9110 §6.6.1 requires an origin server with a clock to send Date; its resolution is one
//! second, so each worker formats it once per second instead of once per response.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Length of an IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
const IMF_FIXDATE_LEN: usize = 29;

/// Per-worker (not shared, so no locking): each worker thread owns one.
#[derive(Debug, Clone)]
pub struct DateCache {
    secs: u64,
    buf: [u8; IMF_FIXDATE_LEN],
}

impl DateCache {
    pub fn new() -> Self {
        let mut cache = DateCache {
            secs: 0,
            buf: [0; IMF_FIXDATE_LEN],
        };
        cache.render(now_secs());
        cache
    }

    /// Reads the clock (a vDSO call, no syscall) and re-formats only when the second changed.
    pub fn get(&mut self) -> &[u8] {
        let secs = now_secs();
        if secs != self.secs {
            self.render(secs);
        }
        &self.buf
    }

    /// [`DateCache::get`] as a copy, for a caller that must not hold the cache borrowed.
    pub fn get_array(&mut self) -> [u8; IMF_FIXDATE_LEN] {
        self.get();
        self.buf
    }

    fn render(&mut self, secs: u64) {
        let text = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(secs));
        debug_assert_eq!(text.len(), IMF_FIXDATE_LEN);
        self.buf
            .copy_from_slice(&text.as_bytes()[..IMF_FIXDATE_LEN]);
        self.secs = secs;
    }
}

impl Default for DateCache {
    fn default() -> Self {
        Self::new()
    }
}

fn now_secs() -> u64 {
    // A clock before 1970 is a misconfigured host; the epoch is as good an answer as any.
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_an_imf_fixdate() {
        let mut c = DateCache::new();
        let d = c.get().to_vec();
        assert_eq!(d.len(), 29);
        assert!(d.ends_with(b" GMT"));
        let parsed = httpdate::parse_http_date(std::str::from_utf8(&d).unwrap()).unwrap();
        let now = SystemTime::now();
        let diff = now.duration_since(parsed).unwrap_or_default();
        assert!(diff < Duration::from_secs(5), "within a few seconds of now");
    }

    #[test]
    fn the_copy_is_the_cached_value() {
        let mut c = DateCache::new();
        let copy = c.get_array();
        assert_eq!(copy, c.buf);
        assert!(copy.ends_with(b" GMT"));
    }

    #[test]
    fn renders_a_known_instant() {
        let mut c = DateCache::new();
        c.render(784_111_777);
        assert_eq!(&c.buf, b"Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(c.secs, 784_111_777);
    }

    #[test]
    fn refreshes_when_the_second_changes() {
        let mut c = DateCache::new();
        c.render(784_111_777);
        let d = c.get().to_vec();
        assert_ne!(
            d, b"Sun, 06 Nov 1994 08:49:37 GMT",
            "a stale second is re-rendered"
        );
    }
}
