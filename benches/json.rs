//! JSON encoding of handler results (`encode::Encoder`, sonic-rs) against CPython's own `json`
//! module (C accelerated) on the same objects, in the same process and run.
//!
//! `cargo bench --bench json` (needs PYO3_PYTHON pointing at a Python 3.13).
//! The payloads are the demo's `/big` (1000 flat objects) and `/users` (10 rows).

use _native::codec::encode::{EncodeTypes, Encoder};
use _native::py::{self, Obj};
use criterion::{criterion_group, criterion_main, Criterion};
use pyo3::ffi;
use std::hint::black_box;

const SETUP: &std::ffi::CStr = c"
import datetime, uuid, decimal, enum, json
big = [{'id': i, 'name': f'item {i}', 'price': i * 1.25, 'in_stock': i % 3 != 0, 'qty': i * 7 % 100}
       for i in range(1000)]
users = [{'id': i, 'name': f'Person {i}', 'email': f'person{i}@example.com', 'age': 18 + i % 60,
          'is_active': i % 7 != 0} for i in range(1, 11)]
class NoStructs(type): pass
types = (datetime.datetime, datetime.date, datetime.time, uuid.UUID, decimal.Decimal, enum.Enum, str, NoStructs, str)
dumps = json.JSONEncoder(separators=(',', ':')).encode
";

fn get(globals: *mut ffi::PyObject, name: &std::ffi::CStr) -> Obj {
    // SAFETY: attached; the name was defined by SETUP.
    Obj::from_borrowed(unsafe { ffi::PyDict_GetItemString(globals, name.as_ptr()) })
}

fn bench(c: &mut Criterion) {
    // SAFETY: the bench owns the process: initialise CPython once on this thread and stay
    // attached for the whole run; every object lives in the main interpreter.
    let globals = unsafe {
        ffi::Py_InitializeEx(0);
        let g = ffi::PyDict_New();
        ffi::PyDict_SetItemString(g, c"__builtins__".as_ptr(), ffi::PyEval_GetBuiltins());
        let r = ffi::PyRun_String(SETUP.as_ptr(), ffi::Py_file_input, g, g);
        assert!(!r.is_null(), "setup failed: {}", py::take_err());
        ffi::Py_DECREF(r);
        g
    };
    let t = get(globals, c"types");
    let types = EncodeTypes::from_tuple(t.as_ptr()).expect("encode types");
    let enc = Encoder::new(&types);
    let dumps = get(globals, c"dumps");
    for name in [c"big", c"users"] {
        let payload = get(globals, name);
        let mut g = c.benchmark_group(format!("encode_{}", name.to_str().unwrap()));
        let mut out = Vec::with_capacity(64 * 1024);
        g.bench_function("bolt_sonic_rs", |b| {
            b.iter(|| {
                out.clear();
                enc.encode(black_box(payload.as_ptr()), &mut out).unwrap();
            })
        });
        g.bench_function("cpython_json", |b| {
            b.iter(|| py::call(&dumps, &[black_box(&payload)]).unwrap())
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
