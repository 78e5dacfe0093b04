//! A worker's interpreter: its own own-GIL sub-interpreter (the default), or the process's main
//! interpreter (`--isolation process`, one process per core, so extensions that refuse
//! sub-interpreters load). Creation, attach/detach and teardown follow the measured recipe in
//! `shared/subinterpreters.md` §3; everything above this type is the same for both kinds.
//!
//! The invariant that keeps this sound: one OS thread owns one thread state for life. The
//! `Interpreter` handle is `!Send`, so its thread state can never move to another thread.

use pyo3::ffi;
use std::ffi::CStr;
use std::marker::PhantomData;
use std::ptr::null_mut;
use std::sync::Mutex;

/// Serialises interpreter creation across workers (races were reported in 3.12/3.13 when
/// interpreters are created concurrently; DESIGN.md §3 rule 5).
static CREATE_LOCK: Mutex<()> = Mutex::new(());

/// Which interpreter a worker thread runs Python in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A new own-GIL sub-interpreter, ended with the worker.
    Sub,
    /// The process's main interpreter, through a thread state of the worker's own: its GIL is
    /// shared with the main thread (which only takes it briefly for signals) and the worker's
    /// pool threads, exactly as a sub-interpreter's is shared with its pool.
    Main,
}

pub struct Interpreter {
    tstate: *mut ffi::PyThreadState,
    kind: Kind,
    /// `*mut` makes the type `!Send` and `!Sync`.
    _not_send: PhantomData<*mut ()>,
}

fn own_gil_config() -> ffi::PyInterpreterConfig {
    ffi::PyInterpreterConfig {
        use_main_obmalloc: 0,
        allow_fork: 0,
        allow_exec: 0,
        allow_threads: 1,
        allow_daemon_threads: 0,
        check_multi_interp_extensions: 1,
        gil: ffi::PyInterpreterConfig_OWN_GIL,
    }
}

/// Why this thread could not get an interpreter.
#[derive(Debug, thiserror::Error)]
pub enum InterpError {
    #[error("PyThreadState_New failed")]
    ThreadState,
}

impl Interpreter {
    /// This thread's interpreter of the given kind. On return the thread is attached to it.
    ///
    /// Must be called on a thread with no Python thread state, while the main interpreter is
    /// initialised and its GIL is free for us to take.
    pub fn create(kind: Kind) -> Result<Interpreter, InterpError> {
        match kind {
            Kind::Sub => Self::create_sub(),
            Kind::Main => Self::join_main(),
        }
    }

    /// A thread state of this thread in the main interpreter.
    fn join_main() -> Result<Interpreter, InterpError> {
        // SAFETY: the main interpreter is initialised (we are called from its `serve()`), and
        // this thread has no thread state; the new one is made current by taking the main GIL.
        unsafe {
            let ts = ffi::PyThreadState_New(ffi::PyInterpreterState_Main());
            if ts.is_null() {
                return Err(InterpError::ThreadState);
            }
            ffi::PyEval_RestoreThread(ts);
            Ok(Interpreter {
                tstate: ts,
                kind: Kind::Main,
                _not_send: PhantomData,
            })
        }
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    fn create_sub() -> Result<Interpreter, InterpError> {
        let _serial = CREATE_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        // SAFETY: "mode A" of subinterpreters.md §3.1 step 4: a temporary main-interpreter
        // thread state holds the main GIL while Py_NewInterpreterFromConfig runs, then is
        // cleared and deleted while attached, leaving only `sub` on this thread.
        unsafe {
            let cfg = own_gil_config();
            let tmp = ffi::PyThreadState_New(ffi::PyInterpreterState_Main());
            if tmp.is_null() {
                return Err(InterpError::ThreadState);
            }
            ffi::PyEval_RestoreThread(tmp);
            let mut sub: *mut ffi::PyThreadState = null_mut();
            let st = ffi::Py_NewInterpreterFromConfig(&mut sub, &cfg);
            if ffi::PyStatus_Exception(st) != 0 {
                // subinterpreters.md §6.6: the thread now has a current tstate without a GIL;
                // nothing Python-side is safe any more, so stop loudly.
                let msg = if st.err_msg.is_null() {
                    "unknown".into()
                } else {
                    CStr::from_ptr(st.err_msg).to_string_lossy().into_owned()
                };
                eprintln!("django-bolt: fatal: cannot create a sub-interpreter: {msg}");
                std::process::exit(1);
            }
            let s = ffi::PyEval_SaveThread();
            debug_assert_eq!(s, sub);
            ffi::PyEval_RestoreThread(tmp);
            ffi::PyThreadState_Clear(tmp);
            ffi::PyThreadState_DeleteCurrent();
            ffi::PyEval_RestoreThread(sub);
            Ok(Interpreter {
                tstate: sub,
                kind: Kind::Sub,
                _not_send: PhantomData,
            })
        }
    }

    /// Releases this interpreter's GIL (so its other Python threads may run).
    #[inline]
    pub fn detach(&self) {
        // SAFETY: the thread is attached with `self.tstate` (callers pair attach/detach).
        let saved = unsafe { ffi::PyEval_SaveThread() };
        debug_assert_eq!(saved, self.tstate);
    }

    /// Takes this interpreter's GIL on its own thread.
    #[inline]
    pub fn attach(&self) {
        // SAFETY: `tstate` belongs to this thread (the type is !Send) and is detached.
        unsafe { ffi::PyEval_RestoreThread(self.tstate) }
    }

    /// Attaches until the guard drops, so an unwinding panic cannot leave the GIL held.
    #[inline]
    pub fn attached(&self) -> Attached<'_> {
        self.attach();
        Attached(self)
    }

    /// Ends the interpreter (a sub-interpreter), or this thread's part in it (the main one,
    /// which the process finalizes). The thread must be attached; afterwards it has no thread
    /// state.
    pub fn end(self) {
        // SAFETY: attached with `tstate`, which is this thread's only thread state.
        // Py_EndInterpreter requires exactly that; for the main interpreter the thread state is
        // cleared while current and deleted with the GIL released, the documented pair.
        unsafe {
            debug_assert_eq!(ffi::PyThreadState_Get(), self.tstate);
            match self.kind {
                Kind::Sub => ffi::Py_EndInterpreter(self.tstate),
                Kind::Main => {
                    ffi::PyThreadState_Clear(self.tstate);
                    ffi::PyThreadState_DeleteCurrent();
                }
            }
        }
    }
}

pub struct Attached<'a>(&'a Interpreter);

impl Drop for Attached<'_> {
    #[inline]
    fn drop(&mut self) {
        self.0.detach();
    }
}

/// How many interpreters the process holds (main included).
pub fn interpreter_count() -> usize {
    // SAFETY: walking the runtime's interpreter list while attached; it only changes under
    // the runtime's lock during creation/teardown, which cannot race a running handler's
    // read of the head pointer in a way that dereferences freed memory for our short walk.
    unsafe {
        let mut n = 0;
        let mut it = ffi::PyInterpreterState_Head();
        while !it.is_null() {
            n += 1;
            it = ffi::PyInterpreterState_Next(it);
        }
        n
    }
}
