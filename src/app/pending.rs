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
    pump: Option<Waker>,
    /// Set when the pump should turn the loop again without waiting (a handler just suspended,
    /// or shutdown).
    kick: bool,
}

#[derive(Clone, Default)]
pub struct Pending(Rc<RefCell<Inner>>);

impl Pending {
    /// A new token for a response that will come later; wakes the pump so it starts turning.
    pub fn register(&self) -> u64 {
        let mut i = self.0.borrow_mut();
        i.next += 1;
        let t = i.next;
        i.slots.insert(t, Slot::Waiting(None));
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
        i.slots.insert(t, Slot::Waiting(None));
        t
    }

    pub fn complete(&self, token: u64, resp: Response) {
        let mut i = self.0.borrow_mut();
        if let Some(slot) = i.slots.get_mut(&token) {
            if let Slot::Waiting(Some(w)) = std::mem::replace(slot, Slot::Done(resp)) {
                w.wake();
            }
        }
    }

    /// Delivers a stream's next chunk.
    pub fn complete_chunk(&self, token: u64, chunk: Chunk) {
        let mut i = self.0.borrow_mut();
        if let Some(slot) = i.slots.get_mut(&token) {
            if let Slot::Waiting(Some(w)) = std::mem::replace(slot, Slot::Chunk(chunk)) {
                w.wake();
            }
        }
    }

    /// Keeps the pump turning for `token` though nobody waits on it any more: its Task still has
    /// to run to its end (a cancelled stream unwinding). `cancel` lets it go.
    pub fn hold(&self, token: u64) {
        let mut i = self.0.borrow_mut();
        i.slots.insert(token, Slot::Waiting(None));
        i.kick = true;
        if let Some(w) = i.pump.take() {
            w.wake();
        }
    }

    /// Forgets a token whose connection went away.
    pub fn cancel(&self, token: u64) {
        self.0.borrow_mut().slots.remove(&token);
    }

    pub fn waiting(&self) -> usize {
        self.0
            .borrow()
            .slots
            .values()
            .filter(|s| matches!(s, Slot::Waiting(_)))
            .count()
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
        match i.slots.remove(&self.token) {
            Some(Slot::Waiting(_)) | None => {
                i.slots
                    .insert(self.token, Slot::Waiting(Some(cx.waker().clone())));
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
                i.slots.remove(&self.token);
            }
        }
    }
}
