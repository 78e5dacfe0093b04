//! Responses that are not ready yet: handlers that suspended on asyncio work, and sync handlers
//! running on the blocking pool. One table per worker; everything here is single-threaded.
//!
//! A connection parks on its token; the worker's asyncio pump fills the slot and wakes it. A
//! token stands for a whole response (a handler) or for the next chunk of a streamed one.

use crate::http::Response;
use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// What a stream produced: bytes to send, its last bytes (possibly none), or an error (logged
/// already; the connection ends without finishing the body, so the client sees it cut short).
#[derive(Debug, PartialEq, Eq)]
pub enum Chunk {
    Data(Vec<u8>),
    End(Vec<u8>),
    Failed,
}

enum Slot {
    Waiting(Option<Waker>),
    Done(Response),
    Chunk(Chunk),
}

#[derive(Default)]
struct Inner {
    next: u64,
    slots: HashMap<u64, Slot>,
    /// How many slots are `Waiting`, kept by `put` and `take` so the pump can ask every turn
    /// without scanning a slot per open stream.
    waiting: usize,
    pump: Option<Waker>,
    /// Set when the pump should turn the loop again without waiting (a handler just suspended,
    /// or shutdown).
    kick: bool,
}

impl Inner {
    /// Sets `token`'s slot, keeping `waiting` in step; returns what was there.
    fn put(&mut self, token: u64, slot: Slot) -> Option<Slot> {
        let now_waiting = matches!(slot, Slot::Waiting(_));
        let old = self.slots.insert(token, slot);
        self.recount(old.as_ref(), now_waiting);
        old
    }

    /// Removes `token`'s slot, keeping `waiting` in step.
    fn take(&mut self, token: u64) -> Option<Slot> {
        let old = self.slots.remove(&token);
        self.recount(old.as_ref(), false);
        old
    }

    fn recount(&mut self, old: Option<&Slot>, now_waiting: bool) {
        let was_waiting = matches!(old, Some(Slot::Waiting(_)));
        match (was_waiting, now_waiting) {
            (false, true) => self.waiting += 1,
            (true, false) => self.waiting -= 1,
            _ => {}
        }
    }
}

#[derive(Clone, Default)]
pub struct Pending(Rc<RefCell<Inner>>);

impl Pending {
    /// A new token for a response that will come later; wakes the pump so it starts turning.
    pub fn register(&self) -> u64 {
        let mut i = self.0.borrow_mut();
        i.next += 1;
        let t = i.next;
        i.put(t, Slot::Waiting(None));
        i.kick = true;
        if let Some(w) = i.pump.take() {
            w.wake();
        }
        t
    }

    /// A new token for a connection that waits on work the pump is turning already (an async
    /// stream's next items: its feeder holds a token of its own), so the pump is not kicked
    /// into an extra turn.
    pub fn register_quiet(&self) -> u64 {
        let mut i = self.0.borrow_mut();
        i.next += 1;
        let t = i.next;
        i.put(t, Slot::Waiting(None));
        t
    }

    pub fn complete(&self, token: u64, resp: Response) {
        self.fill(token, Slot::Done(resp));
    }

    /// Fills `token`'s slot (if its connection still waits) and wakes the connection.
    fn fill(&self, token: u64, slot: Slot) {
        let mut i = self.0.borrow_mut();
        if !i.slots.contains_key(&token) {
            return;
        }
        if let Some(Slot::Waiting(Some(w))) = i.put(token, slot) {
            w.wake();
        }
    }

    /// Delivers a stream's next chunk.
    pub fn complete_chunk(&self, token: u64, chunk: Chunk) {
        self.fill(token, Slot::Chunk(chunk));
    }

    /// Keeps the pump turning for `token` though nobody waits on it any more: its Task still has
    /// to run to its end (a cancelled stream unwinding). `cancel` lets it go.
    pub fn hold(&self, token: u64) {
        let mut i = self.0.borrow_mut();
        i.put(token, Slot::Waiting(None));
        i.kick = true;
        if let Some(w) = i.pump.take() {
            w.wake();
        }
    }

    /// Forgets a token whose connection went away.
    pub fn cancel(&self, token: u64) {
        self.0.borrow_mut().take(token);
    }

    /// How many responses and chunks are still to come (the pump turns the loop while any are).
    pub fn waiting(&self) -> usize {
        self.0.borrow().waiting
    }

    pub fn wait(&self, token: u64) -> Wait {
        Wait {
            pending: self.clone(),
            token,
        }
    }

    /// Waits for a stream's next chunk under `token`.
    pub fn wait_chunk(&self, token: u64) -> WaitChunk {
        WaitChunk(self.wait(token))
    }

    /// Answers every response still waiting with 503 (shutdown after the drain deadline), so
    /// their connections finish instead of waiting on handlers that will never be turned again.
    pub fn abandon(&self) {
        let mut i = self.0.borrow_mut();
        for slot in i.slots.values_mut() {
            if let Slot::Waiting(w) = slot {
                let waker = w.take();
                *slot = Slot::Done(Response::detail(503, "Service Unavailable: shutting down"));
                if let Some(w) = waker {
                    w.wake();
                }
            }
        }
        i.waiting = 0;
    }

    /// Wakes the pump even without work (used at shutdown).
    pub fn nudge(&self) {
        let mut i = self.0.borrow_mut();
        i.kick = true;
        if let Some(w) = i.pump.take() {
            w.wake();
        }
    }

    /// Forgets earlier kicks: the pump is about to turn the loop anyway.
    pub fn clear_kick(&self) {
        self.0.borrow_mut().kick = false;
    }

    /// Resolves at the next kick (`register` or `nudge`).
    pub fn kicked(&self) -> Kicked {
        Kicked {
            pending: self.clone(),
        }
    }
}

pub struct Kicked {
    pending: Pending,
}

impl Future for Kicked {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut i = self.pending.0.borrow_mut();
        if std::mem::take(&mut i.kick) {
            Poll::Ready(())
        } else {
            i.pump = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

pub struct Wait {
    pending: Pending,
    token: u64,
}

impl Wait {
    fn poll_slot(&self, cx: &mut Context<'_>) -> Poll<Slot> {
        let mut i = self.pending.0.borrow_mut();
        match i.take(self.token) {
            Some(Slot::Waiting(_)) | None => {
                i.put(self.token, Slot::Waiting(Some(cx.waker().clone())));
                Poll::Pending
            }
            Some(done) => Poll::Ready(done),
        }
    }
}

impl Future for Wait {
    type Output = Response;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        self.poll_slot(cx).map(|slot| match slot {
            Slot::Done(r) => r,
            // A chunk where a response was due: a bug, answered rather than hung.
            _ => Response::detail(500, "Internal Server Error"),
        })
    }
}

/// `Wait` for a stream's chunk. At shutdown (`abandon`) the stream fails instead.
pub struct WaitChunk(Wait);

impl Future for WaitChunk {
    type Output = Chunk;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Chunk> {
        self.0.poll_slot(cx).map(|slot| match slot {
            Slot::Chunk(c) => c,
            _ => Chunk::Failed,
        })
    }
}

impl Drop for Wait {
    fn drop(&mut self) {
        // A connection that stops waiting (closed, timed out) must not leave its slot behind.
        if let Ok(mut i) = self.pending.0.try_borrow_mut() {
            if let Some(Slot::Waiting(_)) = i.slots.get(&self.token) {
                i.take(self.token);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The count the pump reads must equal a scan of the slots after every kind of change.
    fn check(p: &Pending) {
        let i = p.0.borrow();
        let scanned = i
            .slots
            .values()
            .filter(|s| matches!(s, Slot::Waiting(_)))
            .count();
        assert_eq!(i.waiting, scanned);
    }

    fn noop_cx() -> Context<'static> {
        Context::from_waker(Waker::noop())
    }

    #[test]
    fn waiting_counts_only_waiting_slots() {
        let p = Pending::default();
        let a = p.register();
        let b = p.register_quiet();
        let c = p.register();
        assert_eq!(p.waiting(), 3);
        check(&p);
        p.complete(a, Response::detail(200, "ok"));
        p.complete(a, Response::detail(200, "twice"));
        assert_eq!(p.waiting(), 2);
        check(&p);
        p.complete_chunk(b, Chunk::Data(b"x".to_vec()));
        assert_eq!(p.waiting(), 1);
        // Taking the chunk leaves no slot; waiting on it again parks a new one.
        let mut w = std::pin::pin!(p.wait_chunk(b));
        assert_eq!(
            w.as_mut().poll(&mut noop_cx()),
            Poll::Ready(Chunk::Data(b"x".to_vec()))
        );
        check(&p);
        assert_eq!(w.as_mut().poll(&mut noop_cx()), Poll::Pending);
        assert_eq!(p.waiting(), 2);
        check(&p);
        p.cancel(c);
        p.cancel(c);
        assert_eq!(p.waiting(), 1);
        p.hold(c);
        p.hold(c);
        assert_eq!(p.waiting(), 2);
        check(&p);
        p.abandon();
        assert_eq!(p.waiting(), 0);
        check(&p);
        // A completion for a forgotten token changes nothing.
        p.cancel(c);
        p.complete(c, Response::detail(200, "late"));
        assert_eq!(p.waiting(), 0);
        check(&p);
    }

    #[test]
    fn a_dropped_wait_stops_counting() {
        let p = Pending::default();
        let t = p.register();
        {
            let mut w = std::pin::pin!(p.wait(t));
            assert!(w.as_mut().poll(&mut noop_cx()).is_pending());
            assert_eq!(p.waiting(), 1);
        }
        assert_eq!(p.waiting(), 0);
        check(&p);
    }
}
