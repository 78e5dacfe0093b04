//! Fuzzes the JSON request-body decoder with arbitrary bytes.
//!
//! The decoder builds Python objects, so this binary embeds CPython 3.13 (the venv's, found
//! through PYO3_PYTHON at build time) and registers the crate's own `django_bolt._native` as a
//! built-in module: the code under test is this instrumented copy, not pyext/'s `.so`.
//!
//! Per input, `fuzz_one(data)` (defined in SETUP) runs; an exception listed in `EXPECTED` is a
//! correct rejection, anything else (another exception, an error left set, a crash, an ASan
//! report) is a finding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pyo3::ffi;
use std::ffi::CStr;
use std::mem::MaybeUninit;
use std::sync::OnceLock;
use std::thread::{self, ThreadId};

/// The Python side of the harness, run once in `__main__` with `PYEXT` and `SITE_PACKAGES` set.
/// Every input is decoded into `User` (most field kinds the decoder knows); whatever decodes
/// must survive an encode/decode round trip unchanged.
const SETUP: &CStr = c"
import site, sys
sys.path.insert(0, PYEXT)
site.addsitedir(SITE_PACKAGES)  # unlike sys.path.append, also reads the venv's .pth files

import datetime
import decimal
import enum
import uuid
from typing import Annotated, Literal

import django_bolt._native
from django_bolt import Meta, Struct, field
from django_bolt.json import decode, encode
from django_bolt.exceptions import RequestValidationError

# The import must have found the statically registered module, not pyext/'s built .so.
assert django_bolt._native.__spec__.origin == 'built-in', django_bolt._native.__spec__


class Color(enum.Enum):
    RED = 'red'
    BLUE = 'blue'


class Addr(Struct, forbid_unknown_fields=True):
    street: str
    zip: Annotated[str, Meta(max_length=10, pattern='^[0-9A-Z ]+$')]


class Card(Struct, tag='card'):
    number: Annotated[str, Meta(min_length=12)]
    expires: datetime.date


class Wire(Struct, tag='wire'):
    iban: str
    amount: Annotated[decimal.Decimal, Meta(ge=0)]


class User(Struct, rename='camel'):
    id: Annotated[int, Meta(ge=1)]
    name: str
    email: str | None = None
    tags: set[str] = field(default_factory=set)
    addr: Addr | None = None
    score: float = 0.0
    created: datetime.datetime | None = None
    color: Color = Color.RED
    kind: Literal['a', 'b', 1] = 'a'
    key: uuid.UUID | None = None
    ttl: datetime.timedelta | None = None
    blob: bytes = b''
    point: tuple[int, float] | None = None
    counts: dict[str, int] = field(default_factory=dict)
    payments: list[Card | Wire] = []
    friends: list['User'] = []
    extra: object = None


EXPECTED = (RequestValidationError,)


def fuzz_one(data):
    user = decode(data, type=User)
    assert type(user) is User, f'decode returned {type(user).__name__}'
    # What decodes must encode and decode back to the same value.
    again = decode(encode(user), type=User)
    assert again == user, (user, again)
";

/// `PYMEM_ALLOCATOR_MALLOC` from CPython's `pycore_pymem.h` enum (not exported by pyo3-ffi).
const PYMEM_ALLOCATOR_MALLOC: i32 = 3;

/// Which thread initialised CPython. Deliberately not a Python object (DESIGN.md §3 rule 1):
/// each input looks its callables up in `__main__` instead.
static OWNER: OnceLock<ThreadId> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let owner = OWNER.get_or_init(|| {
        // SAFETY: runs once, before any other Python call, on the thread libFuzzer runs every
        // input on; that thread stays attached to the main interpreter for the process's life.
        unsafe { init_python() };
        thread::current().id()
    });
    // The thread state belongs to the thread that initialised Python (rule 2); libFuzzer only
    // parallelises with processes (-fork/-jobs), so this holds, and checking it is cheap.
    assert_eq!(*owner, thread::current().id(), "input on a second thread");
    // SAFETY: Python is initialised and this thread is attached (checked above).
    unsafe { run_one(data) };
});

/// # Safety
/// Call once, before any other Python API call, on the thread that will run every input.
unsafe fn init_python() {
    // Plain malloc instead of pymalloc's arenas: every Python object becomes an ASan-tracked
    // allocation, so an over-decref shows up as a use-after-free or double free, and a leaked
    // non-GC object (str, int, bytes) as a LeakSanitizer report.
    let mut pre = MaybeUninit::<ffi::PyPreConfig>::uninit();
    ffi::PyPreConfig_InitPythonConfig(pre.as_mut_ptr());
    let mut pre = pre.assume_init();
    pre.allocator = PYMEM_ALLOCATOR_MALLOC;
    assert_eq!(
        ffi::PyStatus_Exception(ffi::Py_PreInitialize(&pre)),
        0,
        "Py_PreInitialize"
    );

    // Must precede initialisation. CPython 3.13's BuiltinImporter matches the full dotted name
    // and comes first on sys.meta_path, so it wins over pyext/'s `.so`.
    let rc = ffi::PyImport_AppendInittab(
        c"django_bolt._native".as_ptr(),
        Some(_native::module::PyInit__native),
    );
    assert_eq!(rc, 0, "PyImport_AppendInittab");
    // 0: no Python signal handlers, so libFuzzer keeps SIGINT and its -timeout SIGALRM.
    ffi::Py_InitializeEx(0);

    let globals = main_dict();
    set_str(
        globals,
        c"PYEXT",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../pyext"),
    );
    set_str(globals, c"SITE_PACKAGES", env!("FUZZ_SITE_PACKAGES"));
    let r = ffi::PyRun_String(SETUP.as_ptr(), ffi::Py_file_input, globals, globals);
    if r.is_null() {
        ffi::PyErr_Print();
        panic!("fuzz SETUP failed (traceback above)");
    }
    ffi::Py_DECREF(r);
    eprintln!("body_decode: fuzzing django_bolt.json.decode(type=User) and its round trip");
}

/// # Safety
/// Python is initialised (SETUP ran) and this thread is attached to the main interpreter.
unsafe fn run_one(data: &[u8]) {
    let globals = main_dict();
    // Borrowed references: `__main__` keeps both alive.
    let fuzz_one = ffi::PyDict_GetItemString(globals, c"fuzz_one".as_ptr());
    let expected = ffi::PyDict_GetItemString(globals, c"EXPECTED".as_ptr());
    let arg = ffi::PyBytes_FromStringAndSize(data.as_ptr().cast(), data.len() as ffi::Py_ssize_t);
    assert!(!arg.is_null(), "PyBytes_FromStringAndSize failed");
    let r = ffi::PyObject_CallOneArg(fuzz_one, arg);
    ffi::Py_DECREF(arg);
    if !r.is_null() {
        ffi::Py_DECREF(r);
        // A native function that returns a value with an exception still set is a bug too.
        assert!(
            ffi::PyErr_Occurred().is_null(),
            "result returned with an error set"
        );
        return;
    }
    let exc = ffi::PyErr_GetRaisedException();
    let rejected = ffi::PyErr_GivenExceptionMatches(exc, expected) != 0;
    if !rejected {
        ffi::PyErr_DisplayException(exc);
    }
    ffi::Py_DECREF(exc);
    assert!(
        rejected,
        "decoder raised an unexpected exception (traceback above)"
    );
}

/// `__main__`'s dict, borrowed (the module lives in sys.modules for the process's life).
///
/// # Safety
/// Python is initialised and this thread is attached (as for the helpers below).
unsafe fn main_dict() -> *mut ffi::PyObject {
    let main = ffi::PyImport_AddModule(c"__main__".as_ptr());
    assert!(!main.is_null(), "no __main__ module");
    ffi::PyModule_GetDict(main)
}

unsafe fn set_str(dict: *mut ffi::PyObject, key: &CStr, value: &str) {
    let v = ffi::PyUnicode_FromStringAndSize(value.as_ptr().cast(), value.len() as ffi::Py_ssize_t);
    assert!(!v.is_null() && ffi::PyDict_SetItemString(dict, key.as_ptr(), v) == 0);
    ffi::Py_DECREF(v);
}
