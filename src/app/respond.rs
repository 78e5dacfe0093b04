//! A handler's return value (or raised exception) turned into a `Response`: `(status, body,
//! headers)` tuples, `Response` objects, `HTTPException`, values encoded along the declared
//! response type, and everything else through Django's logging as a 500.

use super::repeats::warn_repeated;
use super::App;
use crate::codec::encode::typed::Typed;
use crate::codec::encode::Encoder;
use crate::http::{self, Request, Response};
use crate::py::{self, Obj};
use crate::static_files::{self, FileError};
use pyo3::ffi;
use std::path::Path;
use std::ptr::null_mut;

/// `responses._FILE`: a `FileResponse`, whose body is sent from disk.
const FILE_KIND: i64 = 3;
/// `responses._STREAM`: a `StreamingResponse`, whose body is pulled from its iterator.
const STREAM_KIND: i64 = 2;

/// The most a route's body buffer is reserved up front (a body past it grows as it is written).
const BODY_HINT_MAX: usize = 1 << 20;

/// What shapes a handler's return value into a response: the route's status code, the route
/// whose declared response type (if any) the value is encoded through, and the renderer the
/// request's `Accept` chose.
#[derive(Clone, Copy)]
pub struct Shape {
    pub status: u16,
    pub route: Option<usize>,
    pub render: Render,
}

impl Shape {
    /// Django's own views: 200 unless the view says otherwise, no declared type.
    pub const DJANGO: Shape = Shape {
        status: 200,
        route: None,
        render: Render::Json,
    };
}

/// How a plain return value is written (`renderers=` on the route, chosen by `Accept`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Render {
    Json,
    /// MessagePack: the JSON encoding transcoded.
    Msgpack,
    /// A `str` as `text/plain` (anything else still as JSON).
    Text,
}

impl Render {
    pub fn from_name(name: &str) -> Option<Render> {
        match name {
            "json" => Some(Render::Json),
            "msgpack" => Some(Render::Msgpack),
            "text" => Some(Render::Text),
            _ => None,
        }
    }

    /// The media types a client may name for it in `Accept` (the first is the one sent).
    pub fn media_types(self) -> &'static [&'static str] {
        match self {
            Render::Json => &["application/json"],
            Render::Msgpack => &[
                "application/msgpack",
                "application/vnd.msgpack",
                "application/x-msgpack",
            ],
            Render::Text => &["text/plain"],
        }
    }

    /// The name `renderers=` gives it (`from_name`'s inverse).
    pub fn name(self) -> &'static str {
        match self {
            Render::Json => "json",
            Render::Msgpack => "msgpack",
            Render::Text => "text",
        }
    }

    /// The body and media type this renderer writes for a value whose JSON encoding is `json`;
    /// `text` is the value itself when it is a `str` (`Text` sends it as it is; any other value
    /// goes out as its JSON). Shared by responses and by the Python side's rendering for
    /// Django middleware (`module::codec::m_render`), so both write the same bytes.
    pub fn write(
        self,
        json: Vec<u8>,
        text: Option<&str>,
    ) -> Result<(Vec<u8>, &'static str), String> {
        match (self, text) {
            (Render::Text, Some(text)) => {
                Ok((text.as_bytes().to_vec(), "text/plain; charset=utf-8"))
            }
            (Render::Json | Render::Text, _) => Ok((json, "application/json")),
            (Render::Msgpack, _) => {
                let value =
                    sonic_rs::from_slice::<sonic_rs::Value>(&json).map_err(|e| e.to_string())?;
                let packed = rmp_serde::to_vec(&value).map_err(|e| e.to_string())?;
                Ok((packed, Render::Msgpack.media_types()[0]))
            }
        }
    }

    /// The renderer `Accept` prefers among `offered` (highest weight, ties to the earlier);
    /// without the header (or with an empty one) the first. None: nothing offered is
    /// acceptable. Nothing offered (a route that did not ask to negotiate): JSON regardless.
    pub fn choose(offered: &[Render], accept: Option<&[u8]>) -> Option<Render> {
        if offered.is_empty() {
            return Some(Render::Json);
        }
        let accept = match accept {
            Some(a) if !a.trim_ascii().is_empty() => a,
            _ => return offered.first().copied(),
        };
        let mut best: Option<(u16, Render)> = None;
        for &r in offered {
            let weight = r
                .media_types()
                .iter()
                .filter_map(|m| http::accept::media_weight([accept], m))
                .max();
            if let Some(w) = weight.filter(|w| *w > 0) {
                if best.is_none_or(|(b, _)| w > b) {
                    best = Some((w, r));
                }
            }
        }
        best.map(|(_, r)| r)
    }
}

/// The request line and Accept of a request whose response is rendered later (after its
/// handler suspended): what error rendering and logging need of it.
pub struct Origin {
    pub method: String,
    pub path: String,
    pub accept: String,
}

impl Origin {
    pub fn of(req: &Request) -> Origin {
        Origin {
            method: req.head.method_str.clone(),
            path: req.head.path().to_owned(),
            accept: accept_of(req),
        }
    }
}

fn accept_of(req: &Request) -> String {
    req.head
        .header("accept")
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .unwrap_or_default()
}

fn is_instance(o: &Obj, cls: &Obj) -> bool {
    // SAFETY: attached.
    unsafe { ffi::PyObject_IsInstance(o.as_ptr(), cls.as_ptr()) == 1 }
}

impl App {
    fn encoder(&self) -> Encoder<'_> {
        Encoder::new(&self.types)
    }

    /// The response for the exception currently raised by a handler.
    pub fn exception_to_response(&self, req: &Request) -> Response {
        self.exception_response(&req.head.method_str, req.head.path(), &accept_of(req))
    }

    pub fn exception_response(&self, method: &str, path: &str, accept: &str) -> Response {
        let Some(exc) = py::take_exc() else {
            return Response::detail(500, "Internal Server Error");
        };
        if is_instance(&exc, &self.hooks.httpexc_cls) {
            return self.http_exception(&exc);
        }
        let args = [
            &exc,
            &py::new_str(method),
            &py::new_str(path),
            &py::new_str(accept),
        ];
        match py::call(&self.hooks.handle_exception, &args) {
            Ok(t) => {
                tuple_response(&t).unwrap_or_else(|| Response::detail(500, "Internal Server Error"))
            }
            Err(e) => {
                warn_repeated!("django-bolt: error while handling an error: {e}");
                Response::detail(500, "Internal Server Error")
            }
        }
    }

    pub(super) fn http_exception(&self, exc: &Obj) -> Response {
        let status = exc
            .getattr(c"status_code")
            .ok()
            .and_then(|s| py::as_i64(s.as_ptr()))
            .unwrap_or(500) as u16;
        let mut body = Vec::with_capacity(64);
        body.extend_from_slice(b"{\"detail\":");
        let detail = exc.getattr(c"detail").unwrap_or_else(|_| py::none());
        if let Err(e) = self.encoder().encode(detail.as_ptr(), &mut body) {
            warn_repeated!("django-bolt: HTTPException detail is not JSON-encodable: {e}");
            return Response::detail(500, "Internal Server Error");
        }
        // `extra=`: more data beside the detail, as django-bolt sends it.
        let extra = exc.getattr(c"extra").unwrap_or_else(|_| py::none());
        if extra.as_ptr() != py::none().as_ptr() {
            body.extend_from_slice(b",\"extra\":");
            if let Err(e) = self.encoder().encode(extra.as_ptr(), &mut body) {
                eprintln!("django-bolt: HTTPException extra is not JSON-encodable: {e}");
                return Response::detail(500, "Internal Server Error");
            }
        }
        body.push(b'}');
        // `body=`: the whole JSON body, in place of the `{"detail": ...}` envelope.
        let own = exc.getattr(c"body").unwrap_or_else(|_| py::none());
        if own.as_ptr() != py::none().as_ptr() {
            body.clear();
            if let Err(e) = self.encoder().encode(own.as_ptr(), &mut body) {
                eprintln!("django-bolt: HTTPException body is not JSON-encodable: {e}");
                return Response::detail(500, "Internal Server Error");
            }
        }
        let mut resp = Response::json(status, body);
        if let Ok(h) = exc.getattr(c"headers") {
            resp.headers = header_pairs(&h);
        }
        resp
    }

    pub fn to_response(&self, v: &Obj, shape: Shape, req: &Request) -> Response {
        self.to_response_parts(v, shape, &req.head.method_str, req.head.path())
    }

    /// Turns a handler's return value into a response.
    pub fn to_response_parts(&self, v: &Obj, shape: Shape, method: &str, path: &str) -> Response {
        let o = v.as_ptr();
        // SAFETY: attached.
        unsafe {
            if ffi::PyTuple_CheckExact(o) != 0 {
                let n = ffi::PyTuple_GET_SIZE(o);
                if (2..=3).contains(&n) && ffi::PyLong_CheckExact(ffi::PyTuple_GET_ITEM(o, 0)) != 0
                {
                    let st = py::as_i64(ffi::PyTuple_GET_ITEM(o, 0)).unwrap_or(500);
                    if !(100..=599).contains(&st) {
                        return self.encode_failed(
                            method,
                            path,
                            &format!("status {st} out of range"),
                        );
                    }
                    let mut resp = self.to_response_parts(
                        &py::tuple_item(o, 1),
                        Shape {
                            status: st as u16,
                            ..shape
                        },
                        method,
                        path,
                    );
                    if n == 3 {
                        resp.headers.extend(header_pairs(&py::tuple_item(o, 2)));
                    }
                    return resp;
                }
            }
            let ty = ffi::Py_TYPE(o);
            let plain = ty == &raw mut ffi::PyDict_Type || ty == &raw mut ffi::PyList_Type;
            if !plain && is_instance(v, &self.hooks.response_cls) {
                return self.response_object(v, method, path);
            }
            // A returned `str` is text and `bytes` a raw body, as in django-bolt, unless the
            // route negotiates (`renderers=`) and the client chose JSON.
            let negotiated = shape
                .route
                .is_some_and(|i| !self.routes[i].renderers.is_empty());
            if !negotiated && shape.render == Render::Json {
                if ffi::PyUnicode_CheckExact(o) != 0 {
                    if let Some(text) = py::str_of(o) {
                        let mut resp = Response::json(shape.status, text.as_bytes().to_vec());
                        resp.content_type = Some(b"text/plain; charset=utf-8".to_vec());
                        return resp;
                    }
                }
                if ffi::PyBytes_CheckExact(o) != 0 || ty == &raw mut ffi::PyByteArray_Type {
                    let raw = py::bytes_of(o).or_else(|| {
                        let p = ffi::PyByteArray_AsString(o) as *const u8;
                        let n = ffi::PyByteArray_Size(o) as usize;
                        Some(std::slice::from_raw_parts(p, n).to_vec())
                    });
                    let mut resp = Response::json(shape.status, raw.unwrap_or_default());
                    resp.content_type = Some(b"application/octet-stream".to_vec());
                    return resp;
                }
            }
            // A Django `HttpResponse` (from a view helper, `@login_required`...): converted to
            // one of ours by `Runtime.from_django`.
            if !plain && is_instance(v, &self.hooks.django_response_cls) {
                return match py::call(&self.hooks.from_django, &[v]) {
                    Ok(r) => self.response_object(&r, method, path),
                    Err(e) => self.encode_failed(method, path, &e.0),
                };
            }
            if ffi::PyGen_CheckExact(o) != 0 || ty == &raw mut ffi::PyAsyncGen_Type {
                // A generator handler (or one returning a generator) streams what it yields.
                return match py::call(&self.hooks.streaming_cls, &[v]) {
                    Ok(r) => self.response_object(&r, method, path),
                    Err(e) => self.encode_failed(method, path, &e.0),
                };
            }
        }
        let route = shape.route.map(|i| &self.routes[i]);
        // The last body's size and an eighth more: one that grew a little still fits.
        let hint = route.map_or(0, |r| r.body_hint.get() as usize);
        let mut body = Vec::with_capacity((hint + hint / 8).max(128));
        let declared = route
            .and_then(|r| r.response.as_ref())
            .and_then(|c| crate::codec::from_capsule(c.as_ptr()));
        let encoded = match declared {
            Some(plan) => {
                let enc = self.encoder();
                Typed { enc: &enc, plan }.encode(o, &mut body)
            }
            None => self.encoder().encode(o, &mut body),
        };
        if let Err(e) = encoded {
            return self.encode_failed(method, path, &e.to_string());
        }
        if let Some(r) = route {
            r.body_hint.set(body.len().min(BODY_HINT_MAX) as u32);
        }
        let text = match shape.render {
            Render::Text => py::str_of(o),
            _ => None,
        };
        match shape.render.write(body, text) {
            Ok((bytes, media)) => {
                let mut resp = Response::json(shape.status, bytes);
                // JSON is what a response without a media type is sent as: no allocation.
                if media != "application/json" {
                    resp.content_type = Some(media.as_bytes().to_vec());
                }
                if route.is_some_and(|r| !r.renderers.is_empty()) {
                    // `Accept` chose these bytes: a cache must not give them to another client
                    // (RFC 9110 §12.5.5).
                    resp.add_vary("accept");
                }
                resp
            }
            Err(e) => self.encode_failed(method, path, &e),
        }
    }

    fn encode_failed(&self, method: &str, path: &str, why: &str) -> Response {
        // Through Django's logging, like any other handler failure.
        let msg = format!("response of {method} {path} could not be encoded: {why}");
        // SAFETY: attached; raising a Python exception object to hand to the logger.
        unsafe {
            let c = std::ffi::CString::new(msg.replace('\0', " ")).unwrap_or_default();
            ffi::PyErr_SetString(ffi::PyExc_TypeError, c.as_ptr());
        }
        self.exception_response(method, path, "")
    }

    /// A `Response`/`JSON`/`PlainText`/`HTML` object: its status, media type, headers, and
    /// content as JSON (`_kind == 1`) or as text/bytes.
    fn response_object(&self, v: &Obj, method: &str, path: &str) -> Response {
        let status = v
            .getattr(c"status_code")
            .ok()
            .and_then(|s| py::as_i64(s.as_ptr()))
            .unwrap_or(200) as u16;
        let media = v
            .getattr(c"media_type")
            .ok()
            .and_then(|m| py::str_of(m.as_ptr()).map(|s| s.as_bytes().to_vec()));
        let kind = v
            .getattr(c"_kind")
            .ok()
            .and_then(|k| py::as_i64(k.as_ptr()))
            .unwrap_or(0);
        if kind == STREAM_KIND {
            let Ok(id) = self.open_stream(v, method, path) else {
                return self.exception_response(method, path, "");
            };
            let mut resp = Response::empty(status);
            resp.content_type = media;
            resp.headers = object_headers(v);
            resp.source = Some(http::BodySource::Stream(id));
            return resp;
        }
        if kind == FILE_KIND {
            return self.file_object(v, status, media, method, path);
        }
        let content = v.getattr(c"content").unwrap_or_else(|_| py::none());
        let encode = |c: &Obj| -> Result<Vec<u8>, String> {
            let mut b = Vec::new();
            self.encoder()
                .encode(c.as_ptr(), &mut b)
                .map(|()| b)
                .map_err(|e| e.to_string())
        };
        let body = if kind == 1 {
            encode(&content)
        } else if content.as_ptr() == py::none().as_ptr() {
            Ok(Vec::new())
        } else if let Some(s) = py::str_of(content.as_ptr()) {
            Ok(s.as_bytes().to_vec())
        } else if let Some(b) = py::bytes_of(content.as_ptr()) {
            Ok(b)
        } else {
            encode(&content)
        };
        let body = match body {
            Ok(b) => b,
            Err(e) => return self.encode_failed(method, path, &e),
        };
        Response {
            status,
            content_type: media,
            body,
            headers: object_headers(v),
            source: None,
        }
    }

    /// A `FileResponse`: the file checked again (it is opened by its real path, under
    /// `BOLT_ALLOWED_FILE_PATHS` when set) and answered as a 200 with validators whose body
    /// the connection sends from disk. Conditional and range fields are applied by
    /// `runtime::dispatch`, which has the request's headers.
    fn file_object(
        &self,
        v: &Obj,
        status: u16,
        media: Option<Vec<u8>>,
        method: &str,
        path: &str,
    ) -> Response {
        let str_attr = |name: &std::ffi::CStr| {
            v.getattr(name)
                .ok()
                .and_then(|s| py::str_of(s.as_ptr()).map(str::to_owned))
        };
        let Some(file) = str_attr(c"path") else {
            return self.encode_failed(method, path, "FileResponse.path is not a str");
        };
        let meta = match static_files::stat_file(Path::new(&file), self.file_roots.as_deref()) {
            Ok(meta) => meta,
            // Removed since the handler made the response.
            Err(FileError::NotFound) => return Response::detail(404, "Not Found"),
            Err(FileError::Forbidden) => {
                // The constructor refuses such paths: the path was changed after it, or a
                // link was swapped in. Never served; said once in the log, not to the client.
                warn_repeated!(
                    "django-bolt: {method} {path}: FileResponse path {file:?} is outside \
                     BOLT_ALLOWED_FILE_PATHS, unreadable or not a regular file; answered 403"
                );
                return Response::detail(403, "Forbidden");
            }
            Err(e) => return self.encode_failed(method, path, &e.to_string()),
        };
        let filename = str_attr(c"filename");
        let mut extra = Vec::with_capacity(2);
        if let Some(name) = &filename {
            let kind = str_attr(c"content_disposition_type").unwrap_or_default();
            let kind = if kind == "inline" {
                "inline"
            } else {
                "attachment"
            };
            extra.push((
                b"content-disposition".to_vec(),
                static_files::content_disposition(kind, name),
            ));
        }
        let mut user = object_headers(v);
        // The writer frames the body with the file's length; a second framing field from the
        // handler would make the response ambiguous (RFC 9112 §6.3).
        user.retain(|(n, _)| n != b"content-length" && n != b"transfer-encoding");
        // A content-type among the headers wins over the guess (django-bolt merges them so).
        let mut media = media;
        if let Some(i) = user.iter().position(|(n, _)| n == b"content-type") {
            media = Some(user.remove(i).1);
        }
        let content_type = media.unwrap_or_else(|| {
            static_files::content_type(Path::new(filename.as_deref().unwrap_or(&file)))
        });
        let mut resp = static_files::file_response(&meta, Some(content_type), "", extra);
        // The handler's own fields replace the generated ones of the same name.
        resp.headers
            .retain(|(n, _)| !user.iter().any(|(u, _)| u == n && u != b"set-cookie"));
        resp.headers.extend(user);
        resp.status = status;
        resp
    }
}

/// A response object's `headers`, then one Set-Cookie field per `set_cookie`/`delete_cookie`
/// (a dict cannot repeat a name).
fn object_headers(v: &Obj) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut headers = v
        .getattr(c"headers")
        .map(|h| header_pairs(&h))
        .unwrap_or_default();
    if let Ok(cookies) = v.getattr(c"cookies") {
        for value in py::seq_items(cookies.as_ptr()).unwrap_or_default() {
            match py::str_of(value) {
                Some(s) if http::valid_header_value(s.as_bytes()) => {
                    headers.push((b"set-cookie".to_vec(), s.as_bytes().to_vec()));
                }
                _ => warn_repeated!("django-bolt: dropped an invalid Set-Cookie value"),
            }
        }
    }
    headers
}

/// `(status, content_type, body_bytes, ...)` from `Runtime.handle_exception`.
fn tuple_response(t: &Obj) -> Option<Response> {
    let status = py::as_i64(py::tuple_item(t.as_ptr(), 0).as_ptr())? as u16;
    let ct = py::str_of(py::tuple_item(t.as_ptr(), 1).as_ptr())?
        .as_bytes()
        .to_vec();
    let body = py::bytes_of(py::tuple_item(t.as_ptr(), 2).as_ptr())?;
    Some(Response {
        status,
        content_type: Some(ct),
        body,
        headers: Vec::new(),
        source: None,
    })
}

/// `(status, content_type, body_bytes, headers)` from `error_handlers.core_error_hook`;
/// None for anything else (the hook declined: the default response stays).
pub(super) fn error_tuple_response(t: &Obj) -> Option<Response> {
    // SAFETY: attached (the caller holds the interpreter); `t` is a live object.
    let four = unsafe {
        ffi::PyTuple_CheckExact(t.as_ptr()) != 0 && ffi::PyTuple_GET_SIZE(t.as_ptr()) == 4
    };
    if !four {
        return None;
    }
    let mut resp = tuple_response(t)?;
    resp.headers = header_pairs(&py::tuple_item(t.as_ptr(), 3));
    Some(resp)
}

/// Header pairs from a dict (or a list of 2-tuples); names and values that could inject
/// framing (CR/LF, invalid tokens) are dropped.
pub fn header_pairs(h: &Obj) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    let mut push = |k: *mut ffi::PyObject, v: *mut ffi::PyObject| {
        let (Some(k), Some(v)) = (py::str_of(k), py::str_of(v)) else {
            return;
        };
        if http::valid_header_name(k.as_bytes()) && http::valid_header_value(v.as_bytes()) {
            out.push((k.as_bytes().to_ascii_lowercase(), v.as_bytes().to_vec()));
        } else {
            warn_repeated!("django-bolt: dropped invalid response header {k:?}");
        }
    };
    // SAFETY: attached.
    unsafe {
        if ffi::PyDict_Check(h.as_ptr()) != 0 {
            let mut pos = 0;
            let mut k = null_mut();
            let mut v = null_mut();
            while ffi::PyDict_Next(h.as_ptr(), &mut pos, &mut k, &mut v) != 0 {
                push(k, v);
            }
        } else if let Some(items) = py::seq_items(h.as_ptr()) {
            for it in items {
                if ffi::PyTuple_Check(it) != 0 && ffi::PyTuple_GET_SIZE(it) == 2 {
                    push(ffi::PyTuple_GET_ITEM(it, 0), ffi::PyTuple_GET_ITEM(it, 1));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Render::{self, *};

    #[test]
    fn renderer_choice_table() {
        // (offered, Accept, chosen, why)
        type Case = (
            &'static [Render],
            Option<&'static str>,
            Option<Render>,
            &'static str,
        );
        let cases: &[Case] = &[
            (
                &[],
                Some("text/html"),
                Some(Json),
                "no renderers=: JSON regardless",
            ),
            (&[Json], None, Some(Json), "no Accept: the first"),
            (&[Json], Some(""), Some(Json), "empty Accept: the first"),
            (&[Json], Some("*/*"), Some(Json), "anything"),
            (&[Json], Some("text/html"), None, "nothing fits: 406"),
            (
                &[Json],
                Some("application/json;q=0"),
                None,
                "refused outright",
            ),
            (
                &[Json, Msgpack],
                Some("application/msgpack"),
                Some(Msgpack),
                "named",
            ),
            (
                &[Json, Msgpack],
                Some("application/x-msgpack"),
                Some(Msgpack),
                "alias",
            ),
            (
                &[Json, Msgpack],
                Some("application/json;q=0.5, application/vnd.msgpack"),
                Some(Msgpack),
                "higher q wins",
            ),
            (
                &[Json, Msgpack],
                Some("application/*"),
                Some(Json),
                "tie: route order",
            ),
            (&[Json, Text], Some("text/*"), Some(Text), "type/*"),
            (
                &[Json, Text],
                Some("text/html, */*;q=0.1"),
                Some(Json),
                "*/* at 0.1, both: the first",
            ),
        ];
        for (offered, accept, want, why) in cases {
            let got = Render::choose(offered, accept.map(str::as_bytes));
            assert_eq!(got, *want, "{why}: {accept:?}");
        }
    }
}
