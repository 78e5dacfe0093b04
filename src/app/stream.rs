//! Streamed bodies: a handler's iterator (a `StreamingResponse`, an `EventSourceResponse`, a
//! returned generator, Django's streaming responses) pulled one chunk at a time by the
//! connection, only when the socket has taken the previous one (so a slow reader costs one
//! chunk of memory, not the whole stream).
//!
//! Three kinds, chosen by `Runtime.open_stream`: iterators over data already in memory are
//! advanced inline; other sync iterators (generators that may wait) in batches on the core's
//! blocking pool, so they never hold the core; async iterators by one Task on the core's loop
//! for the whole stream (`Runtime.feed`), which runs at most a batch ahead of the connection and
//! hands its items over in the `fed` list, taken after every turn of the loop (`take_fed`). A
//! client that goes away closes the iterator: `close()`, or the feeder Task cancelled.
//!
//! An `EventSourceResponse`'s items are formatted as events here (`http::sse`).

use super::call::{Inflight, Stepped};
pub use super::pending::Chunk;
use super::pending::Pending;
use super::App;
use crate::http::sse;
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

struct Stream {
    iter: Obj,
    kind: Kind,
    /// Items are Server-Sent Events (`EventSourceResponse`).
    events: bool,
    /// The request's context, entered around every step of the iterator.
    context: Obj,
    ping: Option<Duration>,
    /// The Task producing the next chunk, and its token: a pool batch, or an async stream's
    /// feeder (for its whole life).
    task: Option<(u64, Obj)>,
    /// Its client went away while a pool batch was running: close when it returns.
    closing: bool,
    /// Async streams: the `_Feed`, what it produced that the connection has not taken, how it
    /// ended, and the token of a connection waiting for more.
    feed: Option<Obj>,
    fed: Vec<u8>,
    tail: Tail,
    waiter: Option<u64>,
    /// For the log line of an error raised mid-stream.
    method: String,
    path: String,
}

/// How an async stream's feeder has ended so far.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tail {
    Open,
    End,
    Failed,
}

impl Stream {
    /// An async stream's next chunk, if there is one yet: what its feeder produced (its last,
    /// if it has ended), or the failure once what came before it is out.
    fn take_chunk(&mut self) -> Option<Chunk> {
        match self.tail {
            Tail::End => Some(Chunk::End(std::mem::take(&mut self.fed))),
            Tail::Failed if self.fed.is_empty() => Some(Chunk::Failed),
            _ if !self.fed.is_empty() => Some(Chunk::Data(std::mem::take(&mut self.fed))),
            Tail::Open | Tail::Failed => None,
        }
    }
}

/// The connection took what an async stream's feeder had produced: it may run ahead again. A
/// feeder that was paused is woken by a callback on the loop, so the pump is kicked to run it.
fn feed_taken(feed: &Obj, pending: &Pending) {
    let Ok(taken) = feed.getattr(c"taken") else {
        return;
    };
    match py::call(&taken, &[]) {
        // SAFETY: attached.
        Ok(woke) if woke.as_ptr() == unsafe { ffi::Py_True() } => pending.nudge(),
        Ok(_) => {}
        Err(e) => eprintln!("django-bolt: stream feeder: {e}"),
    }
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
        // SAFETY: attached; the tuple's item is alive while `plan` is.
        let events =
            unsafe { ffi::PyObject_IsTrue(py::tuple_item(plan.as_ptr(), 3).as_ptr()) } == 1;
        // SAFETY: attached; CopyCurrent returns a new reference.
        let context = Obj::from_owned(unsafe { ffi::PyContext_CopyCurrent() }).ok_or(())?;
        let id = self.streams.next.get() + 1;
        self.streams.next.set(id);
        self.streams.live.borrow_mut().insert(
            id,
            Stream {
                iter,
                kind,
                events,
                context,
                ping,
                task: None,
                closing: false,
                feed: None,
                fed: Vec::new(),
                tail: Tail::Open,
                waiter: None,
                method: method.to_owned(),
                path: path.to_owned(),
            },
        );
        Ok(id)
    }

    /// Starts the Task that runs an async stream (`Runtime.feed`), when its connection first
    /// asks for a chunk (never for HEAD); its end is delivered under a token of its own, which
    /// keeps the pump turning for it while it lives.
    fn start_feed(&self, id: u64, pending: &Pending) {
        let Some((iter, context, method, path)) = self.streams.live.borrow().get(&id).map(|s| {
            (
                s.iter.clone(),
                s.context.clone(),
                s.method.clone(),
                s.path.clone(),
            )
        }) else {
            return;
        };
        let token = pending.register();
        self.inflight.borrow_mut().insert(token, Inflight::Detached);
        let args = [
            &py::new_int(token as i64),
            &py::new_int(id as i64),
            &iter,
            &context,
            &py::new_str(&method),
            &py::new_str(&path),
        ];
        match py::call(&self.hooks.feed, &args) {
            Ok(feed) => {
                let task = feed.getattr(c"task").ok();
                if let Some(s) = self.streams.live.borrow_mut().get_mut(&id) {
                    s.task = task.map(|t| (token, t));
                    s.feed = Some(feed);
                }
            }
            Err(e) => {
                eprintln!("django-bolt: cannot start a stream's Task: {e}");
                self.inflight.borrow_mut().remove(&token);
                pending.cancel(token);
                if let Some(s) = self.streams.live.borrow_mut().get_mut(&id) {
                    s.tail = Tail::Failed;
                }
            }
        }
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
        let (iter, kind, context, events) = {
            let live = self.streams.live.borrow();
            let Some(s) = live.get(&id) else {
                return Next::Ready(Chunk::Failed);
            };
            match &s.task {
                // A pool batch from the last call is still running.
                Some((token, _)) if s.kind == Kind::Pool => return Next::Pending(*token),
                _ => (s.iter.clone(), s.kind, s.context.clone(), s.events),
            }
        };
        match kind {
            Kind::Inline => Next::Ready(self.pull_inline(id, &iter, &context, events)),
            Kind::Pool => {
                let Some(coro) = py::call_keep(&self.hooks.pull, &[&iter]) else {
                    return Next::Ready(self.stream_failed(id));
                };
                let ctx = py::RequestContext::resume(&context);
                match self.step(coro, pending, ctx, false) {
                    Stepped::Suspended(token, task) => self.suspended(id, token, task),
                    Stepped::Returned(batch) => Next::Ready(self.batch(id, &batch, events)),
                    Stepped::Raised | Stepped::Unschedulable => Next::Ready(self.stream_failed(id)),
                }
            }
            Kind::Async => self.take_async(id, pending),
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
    fn pull_inline(&self, id: u64, iter: &Obj, context: &Obj, events: bool) -> Chunk {
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
            if let Err(e) = self.item_bytes(&item, events, &mut out) {
                return self.item_failed(id, &e);
            }
            if out.len() >= BATCH_BYTES {
                break;
            }
        }
        Chunk::Data(out)
    }

    /// Async stream: what its feeder produced, or a token to wait on until it produces more.
    fn take_async(&self, id: u64, pending: &Pending) -> Next {
        let unstarted = self
            .streams
            .live
            .borrow()
            .get(&id)
            .is_some_and(|s| s.feed.is_none() && s.tail == Tail::Open);
        if unstarted {
            self.start_feed(id, pending);
        }
        self.take_fed(pending);
        let (chunk, feed) = {
            let mut live = self.streams.live.borrow_mut();
            let Some(s) = live.get_mut(&id) else {
                return Next::Ready(Chunk::Failed);
            };
            match s.take_chunk() {
                Some(c) => (c, s.feed.clone()),
                None => {
                    let token = pending.register_quiet();
                    s.waiter = Some(token);
                    return Next::Pending(token);
                }
            }
        };
        if let (Chunk::Data(_), Some(feed)) = (&chunk, feed) {
            feed_taken(&feed, pending);
        }
        Next::Ready(chunk)
    }

    /// Moves what async streams' feeders produced (`Runtime.fed`) to their streams, formatted,
    /// and hands it to connections waiting for it. After every turn of the loop, and before a
    /// connection asks for more.
    pub(super) fn take_fed(&self, pending: &Pending) {
        let Some(items) = py::take_items(&self.hooks.fed) else {
            return;
        };
        let mut touched = Vec::new();
        for pair in py::seq_items(items.as_ptr()).unwrap_or_default() {
            let id = py::as_i64(py::tuple_item(pair, 0).as_ptr()).unwrap_or(0) as u64;
            let item = py::tuple_item(pair, 1);
            let events = {
                let live = self.streams.live.borrow();
                match live.get(&id) {
                    // Closed already: its feeder's last items have nowhere to go.
                    None => continue,
                    Some(s) if s.tail != Tail::Open => continue,
                    Some(s) => s.events,
                }
            };
            let tail = if item.as_ptr() == self.hooks.stream_end.as_ptr() {
                Tail::End
            } else if item.as_ptr() == self.hooks.stream_failed.as_ptr() {
                Tail::Failed
            } else {
                let mut out = std::mem::take(
                    &mut self
                        .streams
                        .live
                        .borrow_mut()
                        .get_mut(&id)
                        .expect("live")
                        .fed,
                );
                let r = self.item_bytes(&item, events, &mut out);
                self.streams
                    .live
                    .borrow_mut()
                    .get_mut(&id)
                    .expect("live")
                    .fed = out;
                match r {
                    Ok(()) => Tail::Open,
                    Err(e) => {
                        let _ = self.item_failed(id, &e);
                        self.cancel_feed(id);
                        Tail::Failed
                    }
                }
            };
            if let Some(s) = self.streams.live.borrow_mut().get_mut(&id) {
                s.tail = tail;
            }
            if touched.last() != Some(&id) {
                touched.push(id);
            }
        }
        for id in touched {
            let (token, chunk, feed) = {
                let mut live = self.streams.live.borrow_mut();
                let Some(s) = live.get_mut(&id) else { continue };
                let Some(token) = s.waiter else { continue };
                let Some(chunk) = s.take_chunk() else {
                    continue;
                };
                s.waiter = None;
                (token, chunk, s.feed.clone())
            };
            if let (Chunk::Data(_), Some(feed)) = (&chunk, feed) {
                feed_taken(&feed, pending);
            }
            pending.complete_chunk(token, chunk);
        }
    }

    /// Stops an async stream's feeder (an item it gave cannot be sent).
    fn cancel_feed(&self, id: u64) {
        let task = self
            .streams
            .live
            .borrow()
            .get(&id)
            .and_then(|s| s.task.as_ref().map(|(_, t)| t.clone()));
        if let Some(cancel) = task.and_then(|t| t.getattr(c"cancel").ok()) {
            let _ = py::call(&cancel, &[]);
        }
    }

    /// A pool batch: items, the last of them `END` when the iterator is exhausted.
    fn batch(&self, id: u64, batch: &Obj, events: bool) -> Chunk {
        let mut out = Vec::new();
        for item in py::seq_items(batch.as_ptr()).unwrap_or_default() {
            if item == self.hooks.stream_end.as_ptr() {
                return Chunk::End(out);
            }
            if let Err(e) = self.item_bytes(&Obj::from_borrowed(item), events, &mut out) {
                return self.item_failed(id, &e);
            }
        }
        Chunk::Data(out)
    }

    /// A pool batch's Task ended (`pump`): deliver its chunk, or finish closing the stream.
    pub(super) fn chunk_done(&self, id: u64, token: u64, task: &Obj, pending: &Pending) {
        let closing = {
            let mut live = self.streams.live.borrow_mut();
            let Some(s) = live.get_mut(&id) else {
                // Closed while running (its Task was cancelled): nobody waits.
                pending.cancel(token);
                return;
            };
            s.task = None;
            s.closing
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
        let events = self
            .streams
            .live
            .borrow()
            .get(&id)
            .is_some_and(|s| s.events);
        let chunk = match result {
            None => self.stream_failed(id),
            Some(batch) => self.batch(id, &batch, events),
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
        if s.kind == Kind::Async {
            if let Some(token) = s.waiter {
                pending.cancel(token);
            }
            // CancelledError is thrown in where the feeder waits (inside the iterator, or paused
            // ahead of the client, when its finally closes the iterator) on the loop's next
            // turn; its own token keeps the pump turning until it has unwound.
            if let Some(cancel) = s.task.and_then(|(_, t)| t.getattr(c"cancel").ok()) {
                let _ = py::call(&cancel, &[]);
            }
            return;
        }
        let _ctx = py::RequestContext::resume(&s.context);
        if py::call_keep(&self.hooks.close_stream, &[&s.iter]).is_none() {
            // Raised in its finally: logged like any error of the stream.
            let _ = self.exception_response(&s.method, &s.path, "");
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

    /// Appends one yielded item: `str` as UTF-8, bytes-like as they are (an event stream's
    /// too: already formatted), anything else as a JSON line, or in an event stream
    /// (`events`) as an event: a `ServerSentEvent` as its fields say, else its JSON as data.
    fn item_bytes(&self, item: &Obj, events: bool, out: &mut Vec<u8>) -> Result<(), String> {
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
        if events {
            return self.event_bytes(item, out);
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

    /// An event stream's item that is neither str nor bytes.
    fn event_bytes(&self, item: &Obj, out: &mut Vec<u8>) -> Result<(), String> {
        let o = item.as_ptr();
        let json = |v: &Obj| -> Result<Vec<u8>, String> {
            let mut buf = Vec::new();
            crate::codec::encode::Encoder::new(&self.types)
                .encode(v.as_ptr(), &mut buf)
                .map_err(|e| format!("an event's data must be JSON-encodable: {e}"))?;
            Ok(buf)
        };
        // SAFETY: attached; both are live objects.
        let is_event = unsafe { ffi::PyObject_IsInstance(o, self.hooks.sse_event_cls.as_ptr()) };
        if is_event != 1 {
            let _ = py::take_exc();
            sse::write_data_line(out, &json(item)?);
            return Ok(());
        }
        let field = |name: &std::ffi::CStr| -> Result<Option<Obj>, String> {
            let v = item.getattr(name).map_err(|e| e.0)?;
            // SAFETY: attached.
            Ok((v.as_ptr() != unsafe { ffi::Py_None() }).then_some(v))
        };
        let text = |name: &std::ffi::CStr| -> Result<Option<String>, String> {
            match field(name)? {
                None => Ok(None),
                Some(v) => py::str_of(v.as_ptr())
                    .map(|s| Some(s.to_owned()))
                    .ok_or_else(|| {
                        let _ = py::take_exc();
                        format!("ServerSentEvent.{} must be a str", name.to_string_lossy())
                    }),
            }
        };
        let data = match field(c"data")? {
            Some(d) => Some(String::from_utf8(json(&d)?).expect("JSON is UTF-8")),
            None => text(c"raw_data")?,
        };
        let (event, id, comment) = (text(c"event")?, text(c"id")?, text(c"comment")?);
        for (name, v) in [("event", &event), ("id", &id)] {
            if v.as_deref().is_some_and(|v| !sse::valid_field_value(v)) {
                return Err(format!("SSE {name:?} must not contain line breaks or NUL"));
            }
        }
        let retry = match field(c"retry")? {
            None => None,
            Some(r) => Some(
                py::as_i64(r.as_ptr())
                    .and_then(|r| u64::try_from(r).ok())
                    .ok_or_else(|| {
                        let _ = py::take_exc();
                        "SSE 'retry' must be a non-negative integer (milliseconds)".to_owned()
                    })?,
            ),
        };
        sse::write_event(
            out,
            &sse::Event {
                comment: comment.as_deref(),
                event: event.as_deref(),
                data: data.as_deref(),
                id: id.as_deref(),
                retry,
            },
        );
        Ok(())
    }
}
