//! Request logs: the access log line (`django_bolt.access`) and the detailed request log
//! (`LoggingConfig`: a sampled share of the successful responses at INFO, every error response,
//! every slow request), both through Python logging, except the access line of bolt's default
//! handler, which Rust writes itself (`access.rs`).

use super::access::AccessSink;
use super::handle::header_list;
use super::repeats::warn_repeated;
use super::Hooks;
use crate::http::{Request, Response};
use crate::py::{self, Obj};
use pyo3::ffi;
use std::cell::Cell;

pub struct RequestLogs {
    pub access_enabled: bool,
    /// Set when the access log is bolt's default stderr handler: Rust writes its lines
    /// (`access.rs`) and Python is not called for them.
    pub access_sink: Option<AccessSink>,
    /// The share of successful (< 400) responses logged at INFO, and the duration past which
    /// every request is logged as slow (negative: off).
    pub sample_rate: f64,
    pub slow_ms: f64,
    /// Responses with this status or above are logged whatever the sampling and `min_ms` say
    /// (django-bolt's rule: errors are not sampled); 400 when the logger takes WARNING, 500 when
    /// it takes only ERROR, [`u16::MAX`] when it takes neither.
    pub errors_from: u16,
    /// Successful responses faster than this are not logged (`min_duration_ms`; 0: all).
    pub min_ms: f64,
    /// xorshift state for sampling; per worker, so no synchronisation.
    pub rng: Cell<u64>,
}

impl RequestLogs {
    /// Whether responses need timing at all (access log or request log configured).
    pub fn wants_timing(&self) -> bool {
        self.access_enabled
            || self.sample_rate > 0.0
            || self.slow_ms >= 0.0
            || self.errors_from != u16::MAX
    }

    /// `Some(slow)` when this request goes to the request log: always when slow or an error,
    /// else when at least `min_ms` long and sampled.
    pub fn decision(&self, ms: f64, status: u16) -> Option<bool> {
        if self.slow_ms >= 0.0 && ms >= self.slow_ms {
            return Some(true);
        }
        if status >= self.errors_from {
            return Some(false);
        }
        if self.sample_rate <= 0.0 || ms < self.min_ms {
            return None;
        }
        if self.sample_rate >= 1.0 {
            return Some(false);
        }
        let mut x = self.rng.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng.set(x);
        ((x >> 11) as f64 / (1u64 << 53) as f64 <= self.sample_rate).then_some(false)
    }

    /// The detailed request log entry (`Runtime.log_request`).
    pub fn request(&self, hooks: &Hooks, req: &Request, resp: &Response, ms: f64, slow: bool) {
        // SAFETY: attached; plain containers (PyList_Append does not steal).
        let resp_headers = unsafe {
            let list = Obj::from_owned(ffi::PyList_New(0)).expect("list");
            let ct = resp
                .content_type
                .iter()
                .map(|ct| (&b"content-type"[..], &ct[..]));
            let rest = resp.headers.iter().map(|(k, v)| (&k[..], &v[..]));
            for (k, v) in ct.chain(rest) {
                let pair = py::tuple(vec![
                    py::new_str(&String::from_utf8_lossy(k)),
                    py::new_str(&String::from_utf8_lossy(v)),
                ]);
                ffi::PyList_Append(list.as_ptr(), pair.as_ptr());
            }
            list
        };
        let args = [
            &py::new_str(&req.head.method_str),
            &py::new_str(req.head.path()),
            &py::new_str(req.head.query().unwrap_or("")),
            &py::new_int(resp.status as i64),
            &py::new_float(ms),
            &py::new_str(req.client),
            &header_list(req),
            &py::new_bytes(req.body),
            &resp_headers,
            &py::new_bytes(&resp.body),
            &py::new_bool(slow),
        ];
        if let Err(e) = py::call(&hooks.log_request, &args) {
            warn_repeated!("django-bolt: request log failed: {e}");
        }
    }

    /// Writes the access line without Python when the sink is on; `false`: the caller calls
    /// [`Self::access`], attached.
    pub fn access_native(&self, req: &Request, status: u16, ms: f64, nbytes: usize) -> bool {
        let Some(sink) = &self.access_sink else {
            return false;
        };
        sink.line(
            req.client,
            &req.head.method_str,
            &req.head.target,
            status,
            nbytes,
            ms,
        );
        true
    }

    /// One access log line (`Runtime.access`).
    pub fn access(&self, hooks: &Hooks, req: &Request, status: u16, ms: f64, nbytes: usize) {
        let args = [
            &py::new_str(&req.head.method_str),
            &py::new_str(&req.head.target),
            &py::new_int(status as i64),
            &py::new_float(ms),
            &py::new_int(nbytes as i64),
            &py::new_str(req.client),
        ];
        if let Err(e) = py::call(&hooks.access, &args) {
            warn_repeated!("django-bolt: access log failed: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logs(sample_rate: f64, slow_ms: f64, errors_from: u16, min_ms: f64) -> RequestLogs {
        RequestLogs {
            access_enabled: false,
            access_sink: None,
            sample_rate,
            slow_ms,
            errors_from,
            min_ms,
            rng: Cell::new(0x9E37_79B9_7F4A_7C15),
        }
    }

    #[test]
    fn errors_are_logged_whatever_the_sampling() {
        let l = logs(0.0, -1.0, 400, 0.0);
        assert!(
            l.wants_timing(),
            "an error-only log still needs the status of every response"
        );
        assert_eq!(
            l.decision(1.0, 200),
            None,
            "a success is sampled away at rate 0"
        );
        assert_eq!(l.decision(1.0, 404), Some(false));
        assert_eq!(l.decision(1.0, 503), Some(false));
        let only_5xx = logs(0.0, -1.0, 500, 0.0);
        assert_eq!(
            only_5xx.decision(1.0, 404),
            None,
            "a logger at ERROR takes no 4xx"
        );
        assert_eq!(only_5xx.decision(1.0, 500), Some(false));
    }

    #[test]
    fn min_ms_drops_fast_successes_only() {
        let l = logs(1.0, -1.0, 400, 250.0);
        assert_eq!(l.decision(100.0, 200), None);
        assert_eq!(l.decision(300.0, 200), Some(false));
        assert_eq!(
            l.decision(100.0, 500),
            Some(false),
            "errors are not held to min_ms"
        );
    }

    #[test]
    fn slow_requests_are_logged_as_slow() {
        let l = logs(0.0, 50.0, u16::MAX, 0.0);
        assert_eq!(l.decision(60.0, 200), Some(true));
        assert_eq!(
            l.decision(10.0, 500),
            None,
            "errors_from MAX: the logger takes no errors"
        );
        assert!(!logs(0.0, -1.0, u16::MAX, 0.0).wants_timing());
    }
}
