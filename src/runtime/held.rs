//! Requests held for a remote key set's refresh (`Outcome::Held`). The refresh ends on another
//! thread (a blocking-pool thread, maybe another core's), which cannot wake this reactor; so one
//! watcher per core, running only while a request is held, looks every `TICK` at what the held
//! ones wait for and wakes those whose refresh has landed or whose time is up. Held requests
//! cost a waker each, not a timer each: a crowd of them during a slow fetch costs one timer.

use crate::auth::jwks::KeyHold;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// How often the watcher looks: the most a held request waits beyond its refresh.
const TICK: Duration = Duration::from_millis(5);

/// One core's held requests.
#[derive(Default)]
pub struct Holds {
    waiting: RefCell<Vec<(KeyHold, Waker)>>,
    watching: Cell<bool>,
    /// Set past the drain's deadline: nothing waits any more, the requests go on (and are
    /// refused), so their tasks end before the runtime does.
    released: Cell<bool>,
}

impl Holds {
    /// Resolves when `hold` is over (`KeyHold::over`) or the holds are released.
    pub fn wait(self: &Rc<Self>, hold: KeyHold) -> HoldWait {
        HoldWait {
            holds: Rc::clone(self),
            hold,
            registered: false,
        }
    }

    /// Lets every held request go on, now and from now on (shutdown).
    pub fn release(&self) {
        self.released.set(true);
        for (_, waker) in self.waiting.borrow_mut().drain(..) {
            waker.wake();
        }
    }
}

pub struct HoldWait {
    holds: Rc<Holds>,
    hold: KeyHold,
    registered: bool,
}

impl Future for HoldWait {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.holds.released.get() || self.hold.over(Instant::now()) {
            return Poll::Ready(());
        }
        if !self.registered {
            // Once: the connection's task is woken only by the watcher, with this same waker.
            self.registered = true;
            let entry = (self.hold.clone(), cx.waker().clone());
            self.holds.waiting.borrow_mut().push(entry);
            if !self.holds.watching.replace(true) {
                monoio::spawn(watch(Rc::downgrade(&self.holds)));
            }
        }
        Poll::Pending
    }
}

/// Wakes the held requests whose wait is over, every `TICK`, until none is left. Holds the holds
/// weakly: a watcher still asleep when the runtime ends must not keep them (and their wakers).
async fn watch(holds: Weak<Holds>) {
    loop {
        monoio::time::sleep(TICK).await;
        let Some(holds) = holds.upgrade() else { return };
        let now = Instant::now();
        let mut waiting = holds.waiting.borrow_mut();
        waiting.retain(|(hold, waker)| {
            let over = hold.over(now);
            if over {
                waker.wake_by_ref();
            }
            !over
        });
        if waiting.is_empty() {
            drop(waiting);
            holds.watching.set(false);
            return;
        }
    }
}
