//! Streamed bodies: a handler's iterator (a `StreamingResponse`, an `EventSourceResponse`, a
//! returned generator, Django's streaming responses) pulled one chunk at a time by the
//! connection, only when the socket has taken the previous one (so a slow reader costs one
//! chunk of memory, not the whole stream).
//!
//! Three kinds, chosen by `Runtime.open_stream`: iterators over data already in memory are
//! advanced inline; other sync iterators (generators that may wait) in batches on the core's
//! blocking pool, so they never hold the core; async iterators as coroutine steps on the core,
//! continuing as Tasks on its loop when they suspend, like suspended handlers. A client that goes
//! away closes the iterator: `close()`, `aclose()`, or its running Task cancelled.

use super::call::{Inflight, Stepped};
pub use super::pending::Chunk;
use super::pending::Pending;
use super::App;
use crate::py::{self, Obj};
use pyo3::ffi;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::time::Duration;

/// The next chunk now, or the token it will be delivered under.
pub enum Next {
    Ready(Chunk),
    Pending(u64),
}

/// A batch of inline items ends at this size: one write's worth.
const BATCH_BYTES: usize = 64 * 1024;
const BATCH_ITEMS: usize = 64;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Inline,
    Pool,
    Async,
}

impl Kind {
    fn code(self) -> i64 {
        match self {
            Kind::Inline => 0,
            Kind::Pool => 1,
            Kind::Async => 2,
        }
    }
}

struct Stream {
    iter: Obj,
    kind: Kind,
    /// The request's context, entered around every step of the iterator.
    context: Obj,
    ping: Option<Duration>,
    /// The Task producing the next chunk, and its token.
    task: Option<(u64, Obj)>,
    /// Its client went away while a pool batch was running: close when it returns.
    closing: bool,
    /// For the log line of an error raised mid-stream.
    method: String,
    path: String,
}

/// The streams one interpreter is sending, by id (the `BodySource::Stream` of their response).
#[derive(Default)]
pub struct Streams {
    next: Cell<u64>,
    live: RefCell<HashMap<u64, Stream>>,
}

impl App {
    /// Registers the iterator of a `StreamingResponse` object; its id for `BodySource::Stream`.
    /// Err: `open_stream` raised (its exception is current).
    pub(super) fn open_stream(&self, resp: &Obj, method: &str, path: &str) -> Result<u64, ()> {
        let plan = py::call_keep(&self.hooks.open_stream, &[resp]).ok_or(())?;
        let iter = py::tuple_item(plan.as_ptr(), 0);
        let kind = match py::as_i64(py::tuple_item(plan.as_ptr(), 1).as_ptr()) {
            Some(2) => Kind::Async,
            Some(1) => Kind::Pool,
            _ => Kind::Inline,
        };
        let ping = super::plan::float_of(py::tuple_item(plan.as_ptr(), 2).as_ptr())
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(Duration::from_secs_f64);
        // SAFETY: attached; CopyCurrent returns a new reference.
        let context = Obj::from_owned(unsafe { ffi::PyContext_CopyCurrent() }).ok_or(())?;
        let id = self.streams.next.get() + 1;
        self.streams.next.set(id);
        self.streams.live.borrow_mut().insert(
            id,
            Stream {
                iter,
                kind,
                context,
                ping,
                task: None,
                closing: false,
                method: method.to_owned(),
                path: path.to_owned(),
            },
        );
        Ok(id)
    }

    /// Seconds of silence after which an event stream sends a keep-alive comment.
    pub fn stream_ping(&self, id: u64) -> Option<Duration> {
        self.streams.live.borrow().get(&id).and_then(|s| s.ping)
    }

    /// The number of streams this interpreter is sending.
    pub fn open_streams(&self) -> usize {
        self.streams.live.borrow().len()
    }

    /// Advances stream `id`: data already produced, or a token to wait on.
    pub fn next_chunk(&self, id: u64, pending: &Pending) -> Next {
        let (iter, kind, context) = {
            let live = self.streams.live.borrow();
            let Some(s) = live.get(&id) else {
                return Next::Ready(Chunk::Failed);
            };
            if let Some((token, _)) = &s.task {
                // A suspended step from the last call is still producing.
                return Next::Pending(*token);
            }
            (s.iter.clone(), s.kind, s.context.clone())
        };
        match kind {
            Kind::Inline => Next::Ready(self.pull_inline(id, &iter, &context)),
            Kind::Pool => {
                let Some(coro) = py::call_keep(&self.hooks.pull, &[&iter]) else {
                    return Next::Ready(self.stream_failed(id));
                };
                let ctx = py::RequestContext::resume(&context);
                match self.step(coro, pending, ctx, false) {
                    Stepped::Suspended(token, task) => self.suspended(id, token, task),
                    Stepped::Returned(batch) => Next::Ready(self.batch(id, &batch)),
                    Stepped::Raised | Stepped::Unschedulable => Next::Ready(self.stream_failed(id)),
                }
            }
            Kind::Async => self.pull_async(id, &iter, &context, pending),
        }
    }

    fn suspended(&self, id: u64, token: u64, task: Obj) -> Next {
        if let Some(s) = self.streams.live.borrow_mut().get_mut(&id) {
            s.task = Some((token, task));
        }
        self.inflight
            .borrow_mut()
            .insert(token, Inflight::Chunk(id));
        Next::Pending(token)
    }

    /// Sync iterator over in-memory data: items until a batch is full or it ends.
    fn pull_inline(&self, id: u64, iter: &Obj, context: &Obj) -> Chunk {
        let _ctx = py::RequestContext::resume(context);
        let mut out = Vec::new();
        for _ in 0..BATCH_ITEMS {
            // SAFETY: attached; `iter` is an iterator (Runtime.open_stream called iter()).
            let item = unsafe { Obj::from_owned(ffi::PyIter_Next(iter.as_ptr())) };
            let Some(item) = item else {
                // SAFETY: attached.
                if unsafe { ffi::PyErr_Occurred() }.is_null() {
                    return Chunk::End(out);
                }
                return self.stream_failed(id);
            };
            if let Err(e) = self.item_bytes(&item, &mut out) {
                return self.item_failed(id, &e);
            }
            if out.len() >= BATCH_BYTES {
                break;
            }
        }
        Chunk::Data(out)
    }

    /// Async iterator: `__anext__` steps while they finish at once (up to a batch); the first
    /// that suspends continues on the loop, and what was gathered before it goes out now.
    fn pull_async(&self, id: u64, iter: &Obj, context: &Obj, pending: &Pending) -> Next {
        let mut out = Vec::new();
        for _ in 0..BATCH_ITEMS {
            let Some(coro) = py::call_keep(&self.hooks.anext, &[iter]) else {
                return Next::Ready(self.stream_failed(id));
            };
            let ctx = py::RequestContext::resume(context);
            match self.step(coro, pending, ctx, false) {
                Stepped::Returned(item) => {
                    if item.as_ptr() == self.hooks.stream_end.as_ptr() {
                        return Next::Ready(Chunk::End(out));
                    }
                    if let Err(e) = self.item_bytes(&item, &mut out) {
                        return Next::Ready(self.item_failed(id, &e));
                    }
                    if out.len() >= BATCH_BYTES {
                        break;
                    }
                }
                Stepped::Suspended(token, task) => {
                    let next = self.suspended(id, token, task);
                    return if out.is_empty() {
                        next
                    } else {
                        Next::Ready(Chunk::Data(out))
                    };
                }
                Stepped::Raised | Stepped::Unschedulable => {
                    return Next::Ready(self.stream_failed(id))
                }
            }
        }
        Next::Ready(Chunk::Data(out))
    }

    /// A pool batch: items, the last of them `END` when the iterator is exhausted.
    fn batch(&self, id: u64, batch: &Obj) -> Chunk {
        let mut out = Vec::new();
        for item in py::seq_items(batch.as_ptr()).unwrap_or_default() {
            if item == self.hooks.stream_end.as_ptr() {
                return Chunk::End(out);
            }
            if let Err(e) = self.item_bytes(&Obj::from_borrowed(item), &mut out) {
                return self.item_failed(id, &e);
            }
        }
        Chunk::Data(out)
    }

    /// A chunk's Task ended (`pump`): deliver its chunk, or finish closing the stream.
    pub(super) fn chunk_done(&self, id: u64, token: u64, task: &Obj, pending: &Pending) {
        let (kind, closing) = {
            let mut live = self.streams.live.borrow_mut();
            let Some(s) = live.get_mut(&id) else {
                // Closed while running (its Task was cancelled): nobody waits.
                pending.cancel(token);
                return;
            };
            s.task = None;
            (s.kind, s.closing)
        };
        if closing {
            pending.cancel(token);
            self.close_stream(id, pending);
            return;
        }
        let result = task
            .getattr(c"result")
            .ok()
            .and_then(|f| py::call_keep(&f, &[]));
        let chunk = match (result, kind) {
            (None, _) => self.stream_failed(id),
            (Some(batch), Kind::Pool) => self.batch(id, &batch),
            (Some(item), _) => {
                if item.as_ptr() == self.hooks.stream_end.as_ptr() {
                    Chunk::End(Vec::new())
                } else {
                    let mut out = Vec::new();
                    match self.item_bytes(&item, &mut out) {
                        Ok(()) => Chunk::Data(out),
                        Err(e) => self.item_failed(id, &e),
                    }
                }
            }
        };
        pending.complete_chunk(token, chunk);
    }

    /// Ends stream `id`: after its last chunk, or early (client gone, write failed, HEAD). An
    /// unfinished iterator is closed, so its `finally` runs now rather than at collection.
    pub fn close_stream(&self, id: u64, pending: &Pending) {
        let s = {
            let mut live = self.streams.live.borrow_mut();
            match live.get_mut(&id) {
                None => return,
                Some(s) if s.kind == Kind::Pool && s.task.is_some() => {
                    // A pool thread is inside next(): close once it is out (`chunk_done`), the
                    // pump turning until then though nobody waits for the chunk.
                    s.closing = true;
                    if let Some((token, _)) = &s.task {
                        pending.hold(*token);
                    }
                    return;
                }
                Some(_) => live.remove(&id).expect("present"),
            }
        };
        if let Some((token, task)) = &s.task {
            // Suspended inside the async iterator: CancelledError is thrown in where it waits,
            // on the loop's next turn; the pump turns until the Task has unwound.
            self.inflight
                .borrow_mut()
                .insert(*token, Inflight::Detached);
            pending.hold(*token);
            if let Ok(cancel) = task.getattr(c"cancel") {
                let _ = py::call(&cancel, &[]);
            }
            return;
        }
        let _ctx = py::RequestContext::resume(&s.context);
        let closer = py::call_keep(
            &self.hooks.close_stream,
            &[&s.iter, &py::new_int(s.kind.code())],
        );
        match closer {
            None => {
                // Raised in its finally: logged like any error of the stream.
                let _ = self.exception_response(&s.method, &s.path, "");
            }
            // SAFETY: attached.
            Some(c) if c.as_ptr() == unsafe { ffi::Py_None() } => {}
            Some(aclose) => {
                drop(_ctx);
                let ctx = py::RequestContext::resume(&s.context);
                match self.step(aclose, pending, ctx, false) {
                    Stepped::Suspended(token, _) => {
                        self.inflight.borrow_mut().insert(token, Inflight::Detached);
                    }
                    Stepped::Raised => {
                        let _ = self.exception_response(&s.method, &s.path, "");
                    }
                    Stepped::Returned(_) | Stepped::Unschedulable => {}
                }
            }
        }
    }

    /// The iterator raised (its exception is current): logged through Django's logging like a
    /// handler's error. The headers are gone already, so the body is cut short.
    fn stream_failed(&self, id: u64) -> Chunk {
        let (method, path) = self
            .streams
            .live
            .borrow()
            .get(&id)
            .map(|s| (s.method.clone(), s.path.clone()))
            .unwrap_or_default();
        let _ = self.exception_response(&method, &path, "");
        Chunk::Failed
    }

    fn item_failed(&self, id: u64, why: &str) -> Chunk {
        let c = std::ffi::CString::new(why.replace('\0', " ")).unwrap_or_default();
        // SAFETY: attached; raising a Python exception object to hand to the logger.
        unsafe { ffi::PyErr_SetString(ffi::PyExc_TypeError, c.as_ptr()) };
        self.stream_failed(id)
    }

    /// Appends one yielded item: `str` as UTF-8, bytes-like as they are, anything else as a
    /// JSON line.
    fn item_bytes(&self, item: &Obj, out: &mut Vec<u8>) -> Result<(), String> {
        let o = item.as_ptr();
        if let Some(s) = py::str_of(o) {
            out.extend_from_slice(s.as_bytes());
            return Ok(());
        }
        // SAFETY: attached; buffers are read while `item` is alive.
        unsafe {
            if ffi::PyBytes_Check(o) != 0 {
                let p = ffi::PyBytes_AsString(o) as *const u8;
                out.extend_from_slice(std::slice::from_raw_parts(p, ffi::PyBytes_Size(o) as usize));
                return Ok(());
            }
            if ffi::PyByteArray_Check(o) != 0 || ffi::PyMemoryView_Check(o) != 0 {
                let b =
                    Obj::from_owned(ffi::PyBytes_FromObject(o)).ok_or_else(|| py::take_err().0)?;
                out.extend_from_slice(&py::bytes_of(b.as_ptr()).unwrap_or_default());
                return Ok(());
            }
        }
        let start = out.len();
        match crate::codec::encode::Encoder::new(&self.types).encode(o, out) {
            Ok(()) => {
                out.push(b'\n');
                Ok(())
            }
            Err(e) => {
                out.truncate(start);
                Err(format!(
                    "a streamed item must be str, bytes or JSON-encodable: {e}"
                ))
            }
        }
    }
}
