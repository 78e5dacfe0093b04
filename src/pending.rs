//! Responses that are not ready yet: handlers that suspended on asyncio work, and sync handlers
//! running on the blocking pool. One table per worker; everything here is single-threaded.
//!
//! A connection parks on its token; the worker's asyncio pump fills the slot and wakes it.

use crate::app::ResponseData;
use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

enum Slot {
    Waiting(Option<Waker>),
    Done(ResponseData),
}

#[derive(Default)]
struct Inner {
    next: u64,
    slots: HashMap<u64, Slot>,
    pump: Option<Waker>,
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
        if let Some(w) = i.pump.take() {
            w.wake();
        }
        t
    }

    pub fn complete(&self, token: u64, resp: ResponseData) {
        let mut i = self.0.borrow_mut();
        if let Some(slot) = i.slots.get_mut(&token) {
            if let Slot::Waiting(Some(w)) = std::mem::replace(slot, Slot::Done(resp)) {
                w.wake();
            }
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

    /// Resolves when at least one response is waiting (the pump's idle state).
    pub fn until_work(&self) -> UntilWork {
        UntilWork {
            pending: self.clone(),
        }
    }

    /// Wakes the pump even without work (used at shutdown).
    pub fn nudge(&self) {
        if let Some(w) = self.0.borrow_mut().pump.take() {
            w.wake();
        }
    }
}

pub struct Wait {
    pending: Pending,
    token: u64,
}

impl Future for Wait {
    type Output = ResponseData;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<ResponseData> {
        let mut i = self.pending.0.borrow_mut();
        match i.slots.remove(&self.token) {
            Some(Slot::Done(r)) => Poll::Ready(r),
            Some(Slot::Waiting(_)) | None => {
                i.slots
                    .insert(self.token, Slot::Waiting(Some(cx.waker().clone())));
                Poll::Pending
            }
        }
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

pub struct UntilWork {
    pending: Pending,
}

impl Future for UntilWork {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut i = self.pending.0.borrow_mut();
        if i.slots.values().any(|s| matches!(s, Slot::Waiting(_))) {
            Poll::Ready(())
        } else {
            i.pump = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}
