//! Dates and times written as `isoformat()` writes them (`2024-05-01T12:30:00.250000+02:00`),
//! from the objects' fields rather than by calling `isoformat`, which would cost a Python call
//! and a str per value. Only a non-UTC `tzinfo` is asked for its `utcoffset()`.

use super::{EncodeError, Encoder};
use crate::py::Obj;
use pyo3::ffi;

impl Encoder<'_> {
    /// ISO 8601 as `datetime.isoformat()` writes it, from the object's fields.
    pub(super) fn datetime(
        &self,
        o: *mut ffi::PyObject,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        out.push(b'"');
        write_date(o, out);
        out.push(b'T');
        // SAFETY: attached; `o` is a datetime, whose layout these accessors read.
        unsafe {
            write_clock(
                ffi::PyDateTime_DATE_GET_HOUR(o),
                ffi::PyDateTime_DATE_GET_MINUTE(o),
                ffi::PyDateTime_DATE_GET_SECOND(o),
                ffi::PyDateTime_DATE_GET_MICROSECOND(o),
                out,
            );
            self.offset(o, ffi::PyDateTime_DATE_GET_TZINFO(o), out)?;
        }
        out.push(b'"');
        Ok(())
    }

    pub(super) fn time(&self, o: *mut ffi::PyObject, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(b'"');
        // SAFETY: attached; `o` is a time.
        unsafe {
            write_clock(
                ffi::PyDateTime_TIME_GET_HOUR(o),
                ffi::PyDateTime_TIME_GET_MINUTE(o),
                ffi::PyDateTime_TIME_GET_SECOND(o),
                ffi::PyDateTime_TIME_GET_MICROSECOND(o),
                out,
            );
            self.offset(o, ffi::PyDateTime_TIME_GET_TZINFO(o), out)?;
        }
        out.push(b'"');
        Ok(())
    }

    /// The UTC offset isoformat appends: nothing when naive, `+00:00` for UTC, else what
    /// `utcoffset()` says (`-05:00`, with seconds and microseconds only when present).
    fn offset(
        &self,
        o: *mut ffi::PyObject,
        tz: *mut ffi::PyObject,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        // SAFETY: attached; `tz` is borrowed from `o`, the call result is owned.
        unsafe {
            if tz.is_null() || tz == ffi::Py_None() {
                return Ok(());
            }
            if tz == self.types.utc.as_ptr() {
                out.extend_from_slice(b"+00:00");
                return Ok(());
            }
            let d = Obj::from_owned(ffi::PyObject_CallMethodNoArgs(
                o,
                self.types.utcoffset_attr.as_ptr(),
            ))
            .ok_or_else(EncodeError::python)?;
            if d.as_ptr() == ffi::Py_None() {
                return Ok(());
            }
            let micros = i64::from(ffi::PyDateTime_DELTA_GET_DAYS(d.as_ptr())) * 86_400_000_000
                + i64::from(ffi::PyDateTime_DELTA_GET_SECONDS(d.as_ptr())) * 1_000_000
                + i64::from(ffi::PyDateTime_DELTA_GET_MICROSECONDS(d.as_ptr()));
            out.push(if micros < 0 { b'-' } else { b'+' });
            let m = micros.unsigned_abs();
            let (secs, us) = (m / 1_000_000, (m % 1_000_000) as i32);
            let mut buf = *b"00:00:00";
            two(&mut buf, 0, (secs / 3600) as i32);
            two(&mut buf, 3, (secs / 60 % 60) as i32);
            two(&mut buf, 6, (secs % 60) as i32);
            let whole = secs % 60 != 0 || us != 0;
            out.extend_from_slice(&buf[..if whole { 8 } else { 5 }]);
            if us != 0 {
                micro(out, us);
            }
        }
        Ok(())
    }
}

fn two(buf: &mut [u8], at: usize, v: i32) {
    buf[at] = b'0' + (v / 10 % 10) as u8;
    buf[at + 1] = b'0' + (v % 10) as u8;
}

fn micro(out: &mut Vec<u8>, us: i32) {
    let mut buf = *b".000000";
    let mut v = us;
    for i in (1..7).rev() {
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    out.extend_from_slice(&buf);
}

/// `YYYY-MM-DD` from a date or datetime.
pub(super) fn write_date(o: *mut ffi::PyObject, out: &mut Vec<u8>) {
    // SAFETY: attached; `o` is a date or datetime (both start with the date fields).
    let (y, m, d) = unsafe {
        (
            ffi::PyDateTime_GET_YEAR(o),
            ffi::PyDateTime_GET_MONTH(o),
            ffi::PyDateTime_GET_DAY(o),
        )
    };
    let mut buf = *b"0000-00-00";
    two(&mut buf, 0, y / 100);
    two(&mut buf, 2, y % 100);
    two(&mut buf, 5, m);
    two(&mut buf, 8, d);
    out.extend_from_slice(&buf);
}

/// `HH:MM:SS[.ffffff]`, microseconds only when not zero (as isoformat).
fn write_clock(h: i32, m: i32, s: i32, us: i32, out: &mut Vec<u8>) {
    let mut buf = *b"00:00:00";
    two(&mut buf, 0, h);
    two(&mut buf, 3, m);
    two(&mut buf, 6, s);
    out.extend_from_slice(&buf);
    if us != 0 {
        micro(out, us);
    }
}
