//! One API request, top to bottom: rate limit → authenticate → guard → extract parameters →
//! call the handler → respond.

use super::call::Outcome;
use super::pending::Pending;
use super::repeats::warn_repeated;
use super::respond::Render;
use super::{App, Hooks};
use crate::auth::authenticate::{self, Claims, Denied, KeyStore};
use crate::auth::jwks::RemoteJwks;
use crate::codec::decode::to_python;
use crate::http::{self, Request, Response};
use crate::params::extract::{Extract, Extractor};
use crate::py::{self, Obj};
use crate::ratelimit::Limit;
use crate::validation;
use pyo3::ffi;
use std::time::Instant;

/// A request's pass through `admit`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// The first: it may be held for a remote key set's refresh (`Outcome::Held`).
    First,
    /// Again once its hold is over: its address-keyed limit was taken on the first pass, and
    /// it is not held twice.
    AfterHold,
    /// A WebSocket handshake: not held (refused as the keys are).
    Unheld,
}

impl App {
    /// Runs the handler of `route` for this request (`path_params`: the router's captures).
    pub fn handle(
        &self,
        req: &Request,
        route: usize,
        path_params: &[(&str, &str)],
        pending: &Pending,
        pass: Pass,
    ) -> Outcome {
        if self.routes[route].websocket {
            // Not a handshake (those never reach here): HEAD, or the test client's HTTP path.
            let resp = Response::detail(426, "Upgrade Required")
                .with_header(b"upgrade", b"websocket")
                .with_header(b"sec-websocket-version", b"13");
            return Outcome::Ready(resp);
        }
        let claims = match self.admit(req, route, pass) {
            Ok(c) => c,
            Err(Denied::Refused(resp)) => {
                return Outcome::Ready(self.shaped(route, req, path_params, resp))
            }
            Err(Denied::Held(hold)) => return Outcome::Held(hold),
        };
        let r = &self.routes[route];
        // Before the handler runs: a request nothing can be rendered for changes nothing.
        let Some(render) = Render::choose(&r.renderers, req.head.header("accept")) else {
            let mut resp = Response::detail(406, "Not Acceptable");
            resp.add_vary("accept");
            return Outcome::Ready(self.shaped(route, req, path_params, resp));
        };
        let extractor = Extractor {
            parsers: &self.parsers,
            parse_multipart: &self.hooks.parse_multipart,
            max_param_len: self.max_param_len,
        };
        let request_obj = || self.request_obj(req, path_params, claims.as_ref());
        let args = match extractor.extract(&r.params, &r.needs, req, path_params, request_obj) {
            Ok(a) => a,
            Err(Extract::Invalid(issues)) => {
                let resp = Response::json(422, validation::render_issues(&issues));
                return Outcome::Ready(self.shaped(route, req, path_params, resp));
            }
            Err(Extract::Response(resp)) => {
                return Outcome::Ready(self.shaped(route, req, path_params, resp))
            }
            Err(Extract::Raised) => return Outcome::Ready(self.exception_to_response(req)),
        };
        let request_ctx = py::RequestContext::enter();
        let notify = r.is_async && self.hooks.project_receivers();
        if notify {
            Hooks::housekeeping(&self.hooks.notify_started);
        }
        // A precheck gets the shared limit's client key and the claims (for a revocation
        // lookup); computed only for the routes that have one.
        let precheck = r.precheck.as_ref().map(|_| {
            let limit_key = r
                .limit
                .as_ref()
                .filter(|l| l.shared)
                .map(|l| {
                    let subject = claims.as_ref().and_then(Claims::subject);
                    py::new_str(&l.key_for(req, &self.trusted_proxies, subject))
                })
                .unwrap_or_else(py::none);
            let claims_obj = claims
                .as_ref()
                .and_then(|c| to_python(c.value()).ok())
                .unwrap_or_else(py::none);
            let backend = claims
                .as_ref()
                .map_or_else(py::none, |c| py::new_int(c.backend as i64));
            (limit_key, claims_obj, backend)
        });
        let outcome = self.call(
            r,
            route,
            &args,
            req,
            pending,
            request_ctx,
            notify,
            render,
            precheck,
        );
        if notify && matches!(outcome, Outcome::Ready(_)) {
            Hooks::housekeeping(&self.hooks.notify_finished);
        }
        outcome
    }

    /// The checks before any parameter is read: address- and header-keyed rate limits,
    /// authentication, guards, then user-keyed limits. The claims, or why not (a response, or
    /// a hold for a key set refresh).
    pub(super) fn admit(
        &self,
        req: &Request,
        route: usize,
        pass: Pass,
    ) -> Result<Option<Claims>, Denied> {
        let r = &self.routes[route];
        // Address- and header-keyed limits come before any authentication work; user-keyed
        // ones need it done.
        if let Some(limit) = r.limit.as_ref().filter(|l| !l.per_user()) {
            if pass != Pass::AfterHold {
                self.take_token(route, limit, req, None)?;
            }
        }
        let mut claims: Option<Claims> = None;
        if let Some(sec) = &r.security {
            let keys = KeyStore {
                cache: &self.apikey_cache,
                load: |raw: &[u8]| self.hooks.api_key_claims(raw),
            };
            let https = || self.trusted_proxies.forwarded_https(req);
            let refresh = |set: &RemoteJwks| self.hooks.refresh_jwks(&set.url);
            let may_hold = pass == Pass::First;
            claims = authenticate::authenticate(sec, req.head, keys, &https, &refresh, may_hold)?;
            if let Some(g) = &sec.guard {
                if !authenticate::guard_allows(g, claims.as_ref()) {
                    return Err(authenticate::refused(sec, claims.is_some()).into());
                }
            }
        }
        if let Some(limit) = r.limit.as_ref().filter(|l| l.per_user()) {
            self.take_token(route, limit, req, claims.as_ref())?;
        }
        Ok(claims)
    }

    /// One token from the route's bucket for this client, or the 429 to answer.
    fn take_token(
        &self,
        route: usize,
        limit: &Limit,
        req: &Request,
        claims: Option<&Claims>,
    ) -> Result<(), Response> {
        let key = limit.key_for(req, &self.trusted_proxies, claims.and_then(Claims::subject));
        self.buckets
            .borrow_mut()
            .take(route, &key, limit, Instant::now())
            .map_err(|retry| {
                Response::detail(429, "Too Many Requests")
                    .with_header(b"retry-after", retry.to_string().as_bytes())
            })
    }

    /// `resp`, an error answered before the route's handler ran (here, or by the connection
    /// before the request reached `handle`: a body over `--max-body`, a file part over its
    /// `File(max_size=...)` while it arrives), as its API's `error_formatter` shapes it (the
    /// route's `error_hook`); unchanged when the API has none, for a status below 400, or when
    /// the formatter failed (the hook logged why).
    pub fn shaped(
        &self,
        route: usize,
        req: &Request,
        path_params: &[(&str, &str)],
        resp: Response,
    ) -> Response {
        let Some(hook) = self.routes[route].error_hook.as_ref() else {
            return resp;
        };
        if resp.status < 400 || resp.source.is_some() {
            return resp;
        }
        let headers = resp
            .headers
            .iter()
            .map(|(k, v)| {
                py::tuple(vec![
                    py::new_str(&String::from_utf8_lossy(k)),
                    py::new_str(&String::from_utf8_lossy(v)),
                ])
            })
            .collect();
        let args = [
            &py::new_int(i64::from(resp.status)),
            &py::new_bytes(&resp.body),
            &py::tuple(headers),
            &self.request_obj(req, path_params, None),
        ];
        match py::call(hook, &args) {
            Ok(t) => super::respond::error_tuple_response(&t).unwrap_or(resp),
            Err(e) => {
                eprintln!("django-bolt: error_formatter hook failed: {e}");
                resp
            }
        }
    }

    /// The `Request` object a handler (or dependency) asks for.
    fn request_obj(
        &self,
        req: &Request,
        path_params: &[(&str, &str)],
        claims: Option<&Claims>,
    ) -> Obj {
        let pp = path_params_dict(path_params);
        let args = [
            &py::new_str(&req.head.method_str),
            &py::new_str(req.head.path()),
            &py::new_str(req.head.query().unwrap_or("")),
            &header_list(req),
            &py::new_bytes(req.body),
            &pp,
            &py::new_str(&self.trusted_proxies.client_str(req)),
            &claims
                .and_then(|c| to_python(c.value()).ok())
                .unwrap_or_else(py::none),
            &py::new_str(self.trusted_proxies.scheme(req)),
        ];
        py::call(&self.hooks.request_cls, &args).unwrap_or_else(|e| {
            warn_repeated!("django-bolt: cannot build Request: {e}");
            py::none()
        })
    }
}

/// The router's captures as a dict of percent-decoded str values (`Request.path_params`).
pub(super) fn path_params_dict(path_params: &[(&str, &str)]) -> Obj {
    // SAFETY: attached; building plain containers (SetItem does not steal).
    unsafe {
        let pp = Obj::from_owned(ffi::PyDict_New()).expect("dict");
        for (k, v) in path_params {
            let dv = http::percent_decode_path(v).unwrap_or_else(|| (*v).to_owned());
            ffi::PyDict_SetItem(
                pp.as_ptr(),
                py::new_str(k).as_ptr(),
                py::new_str(&dv).as_ptr(),
            );
        }
        pp
    }
}

/// The request headers as a list of `(name, value)` str pairs (names lower-case).
pub(super) fn header_list(req: &Request) -> Obj {
    // SAFETY: attached; PyList_Append does not steal.
    unsafe {
        let headers = Obj::from_owned(ffi::PyList_New(0)).expect("list");
        for (k, v) in &req.head.headers {
            let pair = py::tuple(vec![
                py::new_str(k),
                py::new_str(&String::from_utf8_lossy(v)),
            ]);
            ffi::PyList_Append(headers.as_ptr(), pair.as_ptr());
        }
        headers
    }
}
