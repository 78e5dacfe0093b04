//! Requests no bolt route claims, handed to Django's own handler (admin, views) when the
//! project has it on; and `/ready`, whose checks run as a coroutine on this core's loop.

use super::call::{is_coroutine, Outcome};
use super::handle::header_list;
use super::pending::Pending;
use super::respond::Shape;
use super::App;
use crate::http::Request;
use crate::py::{self, Obj};
use pyo3::ffi;
use std::ptr::null_mut;
use std::time::Instant;

impl App {
    /// A mounted ASGI app's answer when the path is under one of their prefixes, else Django's;
    /// `None` when neither applies (fallthrough off, no mount there).
    pub fn fallthrough(&self, req: &Request, pending: &Pending) -> Option<Outcome> {
        if self.hooks.mounts.is_none() && self.hooks.django.is_none() {
            return None;
        }
        let fields = vec![
            py::new_str(&req.head.method_str),
            py::new_str(req.head.path()),
            py::new_str(req.head.query().unwrap_or("")),
            header_list(req),
            py::new_bytes(req.body),
            py::new_str(&self.trusted_proxies.client_str(req)),
            py::new_str(self.trusted_proxies.scheme(req)),
        ];
        if let Some(mounts) = &self.hooks.mounts {
            // django-bolt's order: bolt's routes, then the ASGI mounts, then Django.
            let request_ctx = py::RequestContext::enter();
            let mut with_version = fields.clone();
            // The scope's `http_version`: the parser takes HTTP/1.0 and HTTP/1.1 only.
            with_version.push(py::new_str(if req.head.minor_version == 0 {
                "1.0"
            } else {
                "1.1"
            }));
            let mount_args = py::tuple(with_version);
            // SAFETY: attached; `mount_args` is a tuple.
            let r = unsafe {
                Obj::from_owned(ffi::PyObject_Call(
                    mounts.as_ptr(),
                    mount_args.as_ptr(),
                    null_mut(),
                ))
            };
            let Some(r) = r else {
                return Some(Outcome::Ready(self.exception_to_response(req)));
            };
            // SAFETY: attached; comparing identities.
            if r.as_ptr() != unsafe { ffi::Py_None() } {
                if is_coroutine(&r) {
                    return Some(self.drive(r, Shape::DJANGO, req, pending, request_ctx, false));
                }
                return Some(Outcome::Ready(self.to_response(&r, Shape::DJANGO, req)));
            }
        }
        let django = self.hooks.django.as_ref()?;
        let args = py::tuple(fields);
        let request_ctx = py::RequestContext::enter();
        let result = if self.django_blocking.on_pool() {
            py::call_keep(&self.hooks.run_blocking, &[django, &args])
        } else {
            let t0 = Instant::now();
            // SAFETY: attached; `args` is a tuple.
            let r = unsafe {
                Obj::from_owned(ffi::PyObject_Call(
                    django.as_ptr(),
                    args.as_ptr(),
                    null_mut(),
                ))
            };
            self.note_duration(&self.django_blocking, "Django views", t0.elapsed());
            r
        };
        let Some(result) = result else {
            return Some(Outcome::Ready(self.exception_to_response(req)));
        };
        if is_coroutine(&result) {
            return Some(self.drive(result, Shape::DJANGO, req, pending, request_ctx, false));
        }
        Some(Outcome::Ready(self.to_response(
            &result,
            Shape::DJANGO,
            req,
        )))
    }

    /// `/ready`: the registered checks, run as a coroutine on this core's loop.
    pub fn ready(&self, req: &Request, pending: &Pending) -> Outcome {
        let request_ctx = py::RequestContext::enter();
        match py::call_keep(&self.hooks.ready, &[]) {
            Some(coro) => self.drive(coro, Shape::DJANGO, req, pending, request_ctx, false),
            None => Outcome::Ready(self.exception_to_response(req)),
        }
    }
}
