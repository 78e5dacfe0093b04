//! The Python entry points of one interpreter's runtime (`django_bolt._worker.Runtime`), each
//! looked up once at boot and named once here.

use super::plan::{attr, PlanError};
use super::repeats::warn_repeated;
use crate::py::{self, Obj};
use pyo3::ffi;

pub struct Hooks {
    /// `Response`, `HTTPException` and `Request` classes.
    pub response_cls: Obj,
    pub httpexc_cls: Obj,
    /// Django's `HttpResponseBase`, and `Runtime.from_django(resp) -> Response` that turns one
    /// a handler returned into ours.
    pub django_response_cls: Obj,
    pub from_django: Obj,
    pub request_cls: Obj,
    /// Django's multipart parser: `(content_type, body) -> ([(name, value)], {name: [file]})`.
    pub parse_multipart: Obj,
    /// Coroutines that suspend continue as Tasks on this interpreter's loop.
    pub start_task: Obj,
    pub pump: Obj,
    /// `[(token, task)]` of finished Tasks, filled by the loop and emptied by `pump`.
    pub completed: Obj,
    pub set_running_loop: Obj,
    pub event_loop: Obj,
    /// Runs a `def` handler on this core's blocking pool; returns a coroutine.
    pub run_blocking: Obj,
    /// Runs a route's `precheck` (on the pool), then its handler; returns a coroutine.
    pub run_prechecked: Obj,
    /// `(exc, method, path, accept) -> (status, content_type, body)`: logs and renders.
    pub handle_exception: Obj,
    pub access: Obj,
    pub log_request: Obj,
    pub warn: Obj,
    /// `Runtime.django_call` when non-API paths go to Django.
    pub django: Option<Obj>,
    /// `Runtime.mounts_call` when an API mounts ASGI apps: `None` for a path under no mount,
    /// else the coroutine that runs the app there.
    pub mounts: Option<Obj>,
    /// `/ready`'s checks, as a coroutine.
    pub ready: Obj,
    pub api_key_claims: Obj,
    /// `Runtime.refresh_jwks(url)`: fetches a remote key set on the blocking pool.
    pub refresh_jwks: Obj,
    /// Django's per-request housekeeping on the worker thread (`Lifecycle.begin`/`end`), and
    /// the one-item list saying whether that thread holds a database connection at all.
    pub lifecycle_begin: Obj,
    pub lifecycle_end: Obj,
    pub worker_has_db: Obj,
    /// The project's own request signal receivers, called around `async def` handlers
    /// (`Lifecycle.started`/`finished`) while the one-item list `project_receivers` says so.
    pub notify_started: Obj,
    pub notify_finished: Obj,
    pub project_receivers: Obj,
    pub shutdown: Obj,
    /// `Runtime.drain_pool`: drops the calls queued for the blocking pool (shutdown).
    pub drain_pool: Obj,
    /// Streamed bodies (`app::stream`): `StreamingResponse` (wraps a returned generator),
    /// `open_stream(resp) -> (iterator, kind, ping, events)`, `pull(it)` (a coroutine giving a
    /// sync iterator's next batch), `feed(token, id, it, context, method, path)` (the Task
    /// running an async one, its items appended to the `fed` list), the `END` and `FAILED`
    /// markers they give, `close_stream(it)`, and the `ServerSentEvent` class.
    pub streaming_cls: Obj,
    pub open_stream: Obj,
    pub pull: Obj,
    pub feed: Obj,
    pub fed: Obj,
    pub stream_end: Obj,
    pub stream_failed: Obj,
    pub close_stream: Obj,
    pub sse_event_cls: Obj,
}

impl Hooks {
    pub fn load(rt: &Obj) -> Result<Hooks, PlanError> {
        let lifecycle = attr(rt, c"lifecycle")?;
        Ok(Hooks {
            response_cls: attr(rt, c"Response")?,
            httpexc_cls: attr(rt, c"HTTPException")?,
            django_response_cls: attr(rt, c"DjangoResponse")?,
            from_django: attr(rt, c"from_django")?,
            request_cls: attr(rt, c"Request")?,
            parse_multipart: attr(rt, c"parse_multipart")?,
            start_task: attr(rt, c"start_task")?,
            pump: attr(rt, c"pump")?,
            completed: attr(rt, c"completed")?,
            set_running_loop: attr(rt, c"set_running_loop")?,
            event_loop: attr(rt, c"loop")?,
            run_blocking: attr(rt, c"run_blocking")?,
            run_prechecked: attr(rt, c"run_prechecked")?,
            handle_exception: attr(rt, c"handle_exception")?,
            access: attr(rt, c"access")?,
            log_request: attr(rt, c"log_request")?,
            warn: attr(rt, c"warn")?,
            django: attr(rt, c"django_call")
                .ok()
                // SAFETY: attached.
                .filter(|d| d.as_ptr() != unsafe { ffi::Py_None() }),
            mounts: attr(rt, c"mounts_call")
                .ok()
                // SAFETY: attached.
                .filter(|d| d.as_ptr() != unsafe { ffi::Py_None() }),
            ready: attr(rt, c"ready_call")?,
            api_key_claims: attr(rt, c"api_key_claims")?,
            refresh_jwks: attr(rt, c"refresh_jwks")?,
            lifecycle_begin: attr(&lifecycle, c"begin")?,
            lifecycle_end: attr(&lifecycle, c"end")?,
            worker_has_db: attr(rt, c"worker_has_db")?,
            notify_started: attr(&lifecycle, c"started")?,
            notify_finished: attr(&lifecycle, c"finished")?,
            project_receivers: attr(rt, c"project_receivers")?,
            shutdown: attr(rt, c"shutdown")?,
            drain_pool: attr(rt, c"drain_pool")?,
            streaming_cls: attr(rt, c"StreamingResponse")?,
            open_stream: attr(rt, c"open_stream")?,
            pull: attr(rt, c"pull")?,
            feed: attr(rt, c"feed")?,
            fed: attr(rt, c"fed")?,
            stream_end: attr(rt, c"END")?,
            stream_failed: attr(rt, c"FAILED")?,
            close_stream: attr(rt, c"close_stream")?,
            sse_event_cls: attr(rt, c"ServerSentEvent")?,
        })
    }

    /// Runs a housekeeping step (`Lifecycle.begin`/`end`/`started`/`finished`), leaving the
    /// handler's raised exception (if any) as it was.
    pub fn housekeeping(step: &Obj) {
        py::preserving_exception(|| {
            if let Err(e) = py::call(step, &[]) {
                warn_repeated!("django-bolt: request housekeeping failed: {e}");
            }
        })
    }

    /// Whether the worker thread holds a database connection (`Lifecycle.worker_has_db`).
    pub fn worker_has_db(&self) -> bool {
        py::flag(&self.worker_has_db)
    }

    /// Whether the project connected its own receivers to Django's request signals.
    pub fn project_receivers(&self) -> bool {
        py::flag(&self.project_receivers)
    }

    /// A warning through Django's logging, the handler's exception kept.
    pub fn warn(&self, msg: &str) {
        py::preserving_exception(|| {
            let _ = py::call(&self.warn, &[&py::new_str(msg)]);
        })
    }

    /// Asks the database (`Runtime.api_key_claims`) about a key this core has not seen lately.
    pub fn api_key_claims(&self, raw: &[u8]) -> Result<Option<Vec<u8>>, String> {
        let v = py::call(&self.api_key_claims, &[&py::new_bytes(raw)]).map_err(|e| e.0)?;
        Ok(py::bytes_of(v.as_ptr()))
    }

    /// Starts a fetch of the key set at `url` on this core's blocking pool; its outcome goes
    /// to `_native.jwks_publish`, which the Python side calls whatever happens. A failure to
    /// even start it is reported back the same way, so the set is not left waiting for it.
    pub fn refresh_jwks(&self, url: &str) {
        py::preserving_exception(|| {
            if let Err(e) = py::call(&self.refresh_jwks, &[&py::new_str(url)]) {
                warn_repeated!("django-bolt: could not start the key set refresh of {url}: {e}");
                if let Some(set) = crate::auth::jwks::RemoteJwks::find(url) {
                    set.publish(None);
                }
            }
        })
    }
}
