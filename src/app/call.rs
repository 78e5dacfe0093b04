//! Calling a handler: inline on the reactor thread, on the core's blocking pool, or as a
//! coroutine that finishes at once or suspends onto this interpreter's asyncio loop; and the
//! loop's turn (`pump`) that delivers suspended handlers' responses to their connections.

use super::pending::Pending;
use super::plan::{Blocking, Route};
use super::respond::{Origin, Render, Shape};
use super::{App, Hooks};
use crate::auth::jwks::KeyHold;
use crate::http::{Request, Response};
use crate::py::{self, Obj};
use pyo3::ffi;
use std::ptr::null_mut;
use std::time::{Duration, Instant};

/// A handler's result: a response now, or a token its response will be delivered under; or,
/// before the handler, a hold for a remote key set's refresh, after which the request is
/// handled again (`App::handle` with `Pass::AfterHold`).
pub enum Outcome {
    Ready(Response),
    Pending(u64),
    Held(KeyHold),
}

/// One inline step of a coroutine (`App::step`).
pub(super) enum Stepped {
    Returned(Obj),
    /// Continues as this Task on the loop; its end is delivered under the token.
    Suspended(u64, Obj),
    Raised,
    /// The Task could not be created (logged).
    Unschedulable,
}

/// What a pending token's Task is for, read by `pump` when it ends.
pub(super) enum Inflight {
    /// A suspended handler: its value becomes the response.
    Respond(Shape, Origin),
    /// The next chunk of this stream (`app::stream`).
    Chunk(u64),
    /// Nobody waits for it (a stream's `aclose()` finishing on the loop).
    Detached,
}

/// Slow inline calls after which an `Auto` handler moves to the pool. One: each slow call
/// stalls every other connection of the core, so waiting for more (this was 3) let a slow view
/// stall its core three times over. The price is that a view whose cold first call is slow
/// (template compilation, a new database connection) moves too and pays a thread hop per call
/// from then on; `blocking=False` keeps such a view inline.
const SLOW_CALLS_TO_PROMOTE: u32 = 1;

impl App {
    /// Calls the handler (inline, or on the pool when `on_pool`) and turns what it returns
    /// into an outcome. `notify`: a suspended coroutine's end goes to the project's receivers.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn call(
        &self,
        r: &Route,
        route: usize,
        args: &[Obj],
        req: &Request,
        pending: &Pending,
        request_ctx: py::RequestContext,
        notify: bool,
        render: Render,
        precheck: Option<(Obj, Obj, Obj)>,
    ) -> Outcome {
        let result = if let (Some(check), Some((limit_key, claims, backend))) =
            (&r.precheck, precheck)
        {
            // The checks that need blocking I/O run on the pool (with a sync handler, in the
            // same pool call), never on this reactor thread; the test client runs them inline.
            let kwargs = kwargs_dict(r, args);
            let fd = py::new_int(self.client_fd_of(req.client) as i64);
            let name = py::new_str(&format!("{} {}", r.method, r.path));
            py::call_keep(
                &self.hooks.run_prechecked,
                &[
                    check,
                    &r.handler,
                    &kwargs,
                    &fd,
                    &name,
                    &limit_key,
                    &claims,
                    &backend,
                    &py::new_bool(r.is_async),
                    &py::new_bool(self.inline_only),
                ],
            )
            .ok_or(())
        } else if r.blocking.on_pool() && !self.inline_only {
            let kwargs = kwargs_dict(r, args);
            // The socket lets the pool skip the call if the client goes before it starts; the
            // route names it in the 504 log line.
            let fd = py::new_int(self.client_fd_of(req.client) as i64);
            let route = py::new_str(&format!("{} {}", r.method, r.path));
            py::call_keep(
                &self.hooks.run_blocking,
                &[&r.handler, &kwargs, &fd, &route],
            )
            .ok_or(())
        } else {
            let inline_sync = !r.is_async;
            if inline_sync && self.hooks.worker_has_db() {
                Hooks::housekeeping(&self.hooks.lifecycle_begin);
            }
            let ptrs: Vec<*mut ffi::PyObject> = args.iter().map(Obj::as_ptr).collect();
            let started = matches!(r.blocking, Blocking::Auto { .. }).then(Instant::now);
            // SAFETY: attached; `ptrs` are live for the call; nargsf = 0 positional, all keywords
            // named by `kwnames` (a tuple of the same length).
            let res = unsafe {
                ffi::PyObject_Vectorcall(r.handler.as_ptr(), ptrs.as_ptr(), 0, r.kwnames.as_ptr())
            };
            if let Some(t0) = started {
                self.note_duration(
                    &r.blocking,
                    &format!("{} {}", r.method, r.path),
                    t0.elapsed(),
                );
            }
            // Checked after the call: the handler may have opened the connection.
            if inline_sync && self.hooks.worker_has_db() {
                Hooks::housekeeping(&self.hooks.lifecycle_end);
            }
            Obj::from_owned(res).ok_or(())
        };
        let Ok(result) = result else {
            return Outcome::Ready(self.exception_to_response(req));
        };
        let shape = Shape {
            status: r.status,
            route: Some(route),
            render,
        };
        if is_coroutine(&result) {
            return self.drive(result, shape, req, pending, request_ctx, notify);
        }
        Outcome::Ready(self.to_response(&result, shape, req))
    }

    /// Counts inline calls of an `Auto` handler that held the reactor too long; at
    /// `SLOW_CALLS_TO_PROMOTE` the handler runs on the blocking pool from then on (and says so
    /// once in the log, naming the route).
    pub(super) fn note_duration(&self, blocking: &Blocking, what: &str, took: Duration) {
        let Blocking::Auto {
            slow_calls,
            promoted,
        } = blocking
        else {
            return;
        };
        if promoted.get() || self.inline_only {
            return;
        }
        if took < self.blocking_threshold {
            // Only consecutive slow calls count (when more than one is needed).
            slow_calls.set(0);
            return;
        }
        slow_calls.set(slow_calls.get() + 1);
        if slow_calls.get() >= SLOW_CALLS_TO_PROMOTE {
            promoted.set(true);
            self.hooks.warn(&format!(
                "{}: handler blocked this core for {:.1} ms (over --blocking-threshold-ms {}); running it on the \
                 blocking pool from now on. Declare blocking=True (or False) on the route to choose.",
                what,
                took.as_secs_f64() * 1e3,
                self.blocking_threshold.as_millis()
            ));
        }
    }

    /// Sends `None` into a coroutine: most API coroutines finish without suspending, and then no
    /// event loop is involved at all. One that suspends continues as a Task on this worker's
    /// loop (`Runtime.start_task`), and the connection waits on a pending token.
    pub(super) fn drive(
        &self,
        coro: Obj,
        shape: Shape,
        req: &Request,
        pending: &Pending,
        request_ctx: py::RequestContext,
        notify: bool,
    ) -> Outcome {
        match self.step(coro, pending, request_ctx, notify) {
            Stepped::Returned(v) => Outcome::Ready(self.to_response(&v, shape, req)),
            Stepped::Suspended(token, _) => {
                self.inflight
                    .borrow_mut()
                    .insert(token, Inflight::Respond(shape, Origin::of(req)));
                Outcome::Pending(token)
            }
            Stepped::Raised => Outcome::Ready(self.exception_to_response(req)),
            Stepped::Unschedulable => {
                Outcome::Ready(Response::detail(500, "Internal Server Error"))
            }
        }
    }

    /// One inline step of a coroutine: its value if it finished, else a pending token (and its
    /// Task) under which the loop will finish it. The caller records what the token is for in
    /// `inflight`. Raised: the coroutine's exception is the current one.
    pub(super) fn step(
        &self,
        coro: Obj,
        pending: &Pending,
        request_ctx: py::RequestContext,
        notify: bool,
    ) -> Stepped {
        let mut out: *mut ffi::PyObject = null_mut();
        let _ = py::call(&self.hooks.set_running_loop, &[&self.hooks.event_loop]);
        // SAFETY: attached; PyIter_Send returns a new reference in `out` for RETURN and NEXT.
        let rc = unsafe { ffi::PyIter_Send(coro.as_ptr(), py::none().as_ptr(), &mut out) };
        // Keep a raised exception across the reset call.
        py::preserving_exception(|| {
            let _ = py::call(&self.hooks.set_running_loop, &[&py::none()]);
        });
        match rc {
            ffi::PySendResult::PYGEN_RETURN => {
                Stepped::Returned(Obj::from_owned(out).expect("PYGEN_RETURN with a value"))
            }
            ffi::PySendResult::PYGEN_NEXT => {
                let yielded = Obj::from_owned(out).expect("PYGEN_NEXT with a value");
                let token = pending.register();
                let context = request_ctx.exit();
                let args = [
                    &py::new_int(token as i64),
                    &coro,
                    &yielded,
                    &context,
                    &py::new_bool(notify),
                ];
                match py::call(&self.hooks.start_task, &args) {
                    Ok(task) => Stepped::Suspended(token, task),
                    Err(e) => {
                        pending.cancel(token);
                        eprintln!("django-bolt: cannot schedule coroutine: {e}");
                        Stepped::Unschedulable
                    }
                }
            }
            ffi::PySendResult::PYGEN_ERROR => Stepped::Raised,
        }
    }

    /// Runs one turn of this interpreter's asyncio loop and delivers finished handlers.
    /// Returns the seconds until the loop's next timer (negative when none).
    /// Whether a KeyboardInterrupt was raised in the pump since the last call (and so not seen
    /// by the thread's own signal check).
    pub fn take_interrupted(&self) -> bool {
        self.interrupted.replace(false)
    }

    pub fn pump(&self, pending: &Pending) -> f64 {
        let hint = match py::call_keep(&self.hooks.pump, &[]) {
            Some(v) => {
                // SAFETY: attached.
                unsafe { ffi::PyFloat_AsDouble(v.as_ptr()) }
            }
            // SAFETY: attached; the pump's exception is current.
            None if unsafe { ffi::PyErr_ExceptionMatches(ffi::PyExc_KeyboardInterrupt) } != 0 => {
                // Ctrl-C landed while the loop ran Python: asyncio lets it through, and the
                // caller that waits for a handler (the test client) must raise it, not lose it.
                // SAFETY: attached; clears the exception just matched.
                unsafe { ffi::PyErr_Clear() };
                self.interrupted.set(true);
                0.0
            }
            None => {
                eprintln!("django-bolt: asyncio pump failed: {}", py::take_err());
                0.001
            }
        };
        // WebSocket handlers that ran in this turn sent to their sockets, and async streams'
        // feeders produced items.
        self.ws_drain(pending);
        self.take_fed(pending);
        let Some(done) = py::take_items(&self.hooks.completed) else {
            return hint;
        };
        for item in py::seq_items(done.as_ptr()).unwrap_or_default() {
            let token = py::as_i64(py::tuple_item(item, 0).as_ptr()).unwrap_or(0) as u64;
            let task = py::tuple_item(item, 1);
            let Some(then) = self.inflight.borrow_mut().remove(&token) else {
                continue;
            };
            let result = || {
                task.getattr(c"result")
                    .ok()
                    .and_then(|f| py::call_keep(&f, &[]))
            };
            match then {
                Inflight::Respond(shape, origin) => {
                    let resp = match result() {
                        Some(v) => self.to_response_parts(&v, shape, &origin.method, &origin.path),
                        // `result()` re-raised the handler's exception, now current again.
                        None => {
                            self.exception_response(&origin.method, &origin.path, &origin.accept)
                        }
                    };
                    pending.complete(token, resp);
                }
                Inflight::Chunk(stream) => self.chunk_done(stream, token, &task, pending),
                Inflight::Detached => pending.cancel(token),
            }
        }
        hint
    }
}

pub(super) fn is_coroutine(o: &Obj) -> bool {
    // SAFETY: attached.
    unsafe { ffi::PyCoro_CheckExact(o.as_ptr()) != 0 }
}

fn kwargs_dict(r: &Route, args: &[Obj]) -> Obj {
    // SAFETY: attached; SetItem does not steal.
    unsafe {
        let d = Obj::from_owned(ffi::PyDict_New()).expect("dict");
        for (p, a) in r.params.iter().zip(args) {
            ffi::PyDict_SetItem(d.as_ptr(), py::new_str(&p.name).as_ptr(), a.as_ptr());
        }
        d
    }
}
