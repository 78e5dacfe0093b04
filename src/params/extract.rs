//! A request's values for a route's parameters: path segments, query, headers, cookies, form
//! fields and files, and the JSON body, each coerced to its declared type and checked against
//! its constraints; every failure is collected, so a 422 lists them all.

use super::{Needs, ParamPlan, F_DEFAULT, F_FROZENSET, F_LIST, F_OPTIONAL, F_SET, F_TUPLE};
use crate::codec::text::{Kind, Parsers};
use crate::codec::{self, decode, text};
use crate::http::{self, Request, Response};
use crate::py::{self, Obj};
use crate::validation::{LocPart, ValidationIssue};
use pyo3::ffi;

/// Why parameters could not be extracted.
pub enum Extract {
    /// The request's values do not fit: a 422 listing every issue.
    Invalid(Vec<ValidationIssue>),
    /// The request cannot be read as declared (unsupported media type, malformed multipart).
    Response(Response),
    /// Python raised while building a value; the exception is current.
    Raised,
}

impl From<ValidationIssue> for Extract {
    fn from(i: ValidationIssue) -> Self {
        Extract::Invalid(vec![i])
    }
}

/// Form fields as (name, value) pairs, and the dict of uploaded files (multipart only).
type FormParts = (Vec<(String, String)>, Option<Obj>);

/// What extraction needs from the interpreter: the parsers of the richer scalar types and
/// Django's multipart parser (`Runtime.parse_multipart`).
pub struct Extractor<'a> {
    pub parsers: &'a Parsers,
    pub parse_multipart: &'a Obj,
    /// The longest value a path, query, header, cookie or form parameter may have, in bytes
    /// (`DJANGO_BOLT_MAX_PARAM_LENGTH`, django-bolt's cap: longer is a 422 before any parsing).
    pub max_param_len: usize,
}

impl Extractor<'_> {
    /// One Python value per parameter, in plan order, or every validation issue at once.
    /// `request_obj` builds the `Request` for a parameter that asks for it.
    pub fn extract(
        &self,
        plans: &[ParamPlan],
        needs: &Needs,
        ctx: &Request,
        raw_params: &[(&str, &str)],
        request_obj: impl Fn() -> Obj,
    ) -> Result<Vec<Obj>, Extract> {
        // Each keyed source is parsed once, and only when the route reads it.
        let query: Vec<(String, String)> = if needs.query {
            ctx.head.query().map(http::parse_query).unwrap_or_default()
        } else {
            Vec::new()
        };
        let headers: Vec<(String, String)> = if needs.headers {
            ctx.head
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), String::from_utf8_lossy(v).into_owned()))
                .collect()
        } else {
            Vec::new()
        };
        let cookies: Vec<(String, String)> = if needs.cookies {
            ctx.head.cookies()
        } else {
            Vec::new()
        };
        let (form, files) = if needs.form {
            self.form(ctx)?
        } else {
            (Vec::new(), None)
        };
        let mut out = Vec::with_capacity(plans.len());
        let mut issues: Vec<ValidationIssue> = Vec::new();
        let mut decoded_body: Option<sonic_rs::Value> = None;
        for p in plans {
            let pairs = match p.source {
                super::SRC_QUERY => &query,
                super::SRC_HEADER => &headers,
                super::SRC_COOKIE => &cookies,
                super::SRC_FORM => &form,
                super::SRC_FILE => {
                    match self.file_param(p, files.as_ref()) {
                        Ok(v) => out.push(v),
                        Err(i) => issues.push(i),
                    }
                    continue;
                }
                super::SRC_PATH => {
                    let raw = raw_params
                        .iter()
                        .find(|(k, _)| *k == p.key)
                        .map(|(_, v)| *v)
                        .unwrap_or("");
                    let Some(decoded) = http::percent_decode_path(raw) else {
                        let km = ("string_type", "Input should be a valid string");
                        issues.push(super::issue(km, p.source, &p.key, Some(raw)));
                        continue;
                    };
                    match self.scalar(p, &decoded) {
                        Ok(v) => out.push(v),
                        Err(i) => issues.push(i),
                    }
                    continue;
                }
                super::SRC_BODY => {
                    match self.body_param(p, ctx, &mut decoded_body) {
                        Ok(v) => out.push(v),
                        Err(Extract::Invalid(mut more)) => issues.append(&mut more),
                        Err(e) => return Err(e),
                    }
                    continue;
                }
                _ => {
                    out.push(request_obj());
                    continue;
                }
            };
            match self.keyed(p, pairs) {
                Ok(v) => out.push(v),
                Err(mut more) => issues.append(&mut more),
            }
        }
        if issues.is_empty() {
            Ok(out)
        } else {
            Err(Extract::Invalid(issues))
        }
    }

    /// Form fields and files of the body: URL-encoded forms parsed here, multipart ones by
    /// Django's MultiPartParser (`Runtime.parse_multipart`).
    fn form(&self, ctx: &Request) -> Result<FormParts, Extract> {
        if ctx.body.is_empty() {
            return Ok((Vec::new(), None));
        }
        let ct = ctx
            .head
            .header("content-type")
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default();
        let mime = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match mime.as_str() {
            "application/x-www-form-urlencoded" => {
                let pairs = http::parse_query(&String::from_utf8_lossy(ctx.body));
                if pairs.len() > MAX_FORM_FIELDS {
                    // django-bolt's cap (Django's DATA_UPLOAD_MAX_NUMBER_FIELDS default), and
                    // its 422: a form of thousands of fields is refused, not coerced.
                    return Err(Extract::Invalid(vec![ValidationIssue {
                        kind: "too_many_fields",
                        loc: vec![LocPart::Key("body".into())],
                        msg: format!("Too many form fields (max {MAX_FORM_FIELDS})"),
                        input: None,
                    }]));
                }
                Ok((pairs, None))
            }
            "multipart/form-data" => {
                let Some(t) = py::call_keep(self.parse_multipart, &[&py::new_str(&ct), &py::new_bytes(ctx.body)])
                else {
                    let exc = py::take_exc();
                    let text = exc.as_ref().map(|e| py::repr(e.as_ptr())).unwrap_or_default();
                    let status = if text.starts_with("TooManyFiles") { 413 } else { 400 };
                    let detail = if status == 413 { "Too many files" } else { "Malformed multipart body" };
                    return Err(Extract::Response(Response::detail(status, detail)));
                };
                let pairs = py::seq_items(py::tuple_item(t.as_ptr(), 0).as_ptr())
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|pair| {
                        let k = py::str_of(py::tuple_item(pair, 0).as_ptr())?.to_owned();
                        let v = py::str_of(py::tuple_item(pair, 1).as_ptr())?.to_owned();
                        Some((k, v))
                    })
                    .collect();
                Ok((pairs, Some(py::tuple_item(t.as_ptr(), 1))))
            }
            _ => Err(Extract::Response(Response::detail(
                415,
                "Unsupported Media Type: expected application/x-www-form-urlencoded or multipart/form-data",
            ))),
        }
    }

    /// An `UploadFile` (or the list of them) for a File parameter.
    fn file_param(&self, p: &ParamPlan, files: Option<&Obj>) -> Result<Obj, ValidationIssue> {
        // SAFETY: attached; `files` is a dict of lists built by parse_multipart.
        let list = files.and_then(|d| unsafe {
            let key = py::new_str(&p.key);
            let v = ffi::PyDict_GetItemWithError(d.as_ptr(), key.as_ptr());
            if v.is_null() {
                ffi::PyErr_Clear();
                None
            } else {
                Some(Obj::from_borrowed(v))
            }
        });
        let Some(list) = list else {
            return self.absent(p);
        };
        if p.flags & F_LIST != 0 {
            return Ok(list);
        }
        match py::seq_items(list.as_ptr()).and_then(|items| items.first().copied()) {
            Some(first) => Ok(Obj::from_borrowed(first)),
            None => self.absent(p),
        }
    }

    /// One value coerced to the parameter's kind and checked against its constraints.
    fn scalar(&self, p: &ParamPlan, raw: &str) -> Result<Obj, ValidationIssue> {
        if raw.len() > self.max_param_len {
            // django-bolt's message; the value itself is not echoed back (it is the long part).
            return Err(ValidationIssue {
                msg: format!(
                    "Parameter too long: {} bytes (max {} bytes)",
                    raw.len(),
                    self.max_param_len
                ),
                ..super::issue(("string_too_long", ""), p.source, &p.key, None)
            });
        }
        if let Some(plan) = p
            .model
            .as_ref()
            .and_then(|m| codec::from_capsule(m.as_ptr()))
        {
            // Enum, Literal, timedelta...: the text decoded as a JSON string along its plan.
            let prefix = [
                LocPart::Key(super::source_name(p.source).into()),
                LocPart::Key(p.key.clone()),
            ];
            return decode::decode_value(plan, &sonic_rs::Value::from(raw), &prefix).map_err(|f| {
                match f {
                    decode::Failure::Invalid(mut issues) => issues.swap_remove(0),
                    // Text never needs raw numbers; a Python failure is reported as the value's.
                    _ => super::issue(("value_error", "Value error"), p.source, &p.key, Some(raw)),
                }
            });
        }
        let v = text::coerce(p.kind, raw, self.parsers)
            .map_err(|km| super::issue(km, p.source, &p.key, Some(raw)))?;
        if let Some(c) = &p.constraints {
            let broken = match p.kind {
                Kind::Int | Kind::Float | Kind::Decimal => raw
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .and_then(|n| c.check_number(n)),
                // A set/frozenset/tuple's min_length/max_length count its items (as pydantic's
                // do), not each item's characters; a list keeps its older reading (both).
                Kind::Str if p.flags & COUNTED != 0 => c.check_pattern(raw),
                Kind::Str => c.check_str(raw),
                _ => None,
            };
            if let Some((kind, msg)) = broken {
                return Err(ValidationIssue {
                    msg,
                    ..super::issue((kind, ""), p.source, &p.key, Some(raw))
                });
            }
        }
        Ok(v)
    }

    /// A query, header or cookie parameter: the last value wins, or every value for a list.
    fn keyed(
        &self,
        p: &ParamPlan,
        pairs: &[(String, String)],
    ) -> Result<Obj, Vec<ValidationIssue>> {
        if p.flags & F_LIST != 0 {
            let vals: Vec<&str> = pairs
                .iter()
                .filter(|(k, _)| *k == p.key)
                .map(|(_, v)| v.as_str())
                .collect();
            if vals.is_empty() {
                return self.absent(p).map_err(|i| vec![i]);
            }
            let mut issues = Vec::new();
            // SAFETY: attached.
            let list = unsafe { Obj::from_owned(ffi::PyList_New(0)).expect("list") };
            for (i, v) in vals.iter().enumerate() {
                match self.scalar(p, v) {
                    // SAFETY: attached; Append does not steal.
                    Ok(o) => unsafe {
                        ffi::PyList_Append(list.as_ptr(), o.as_ptr());
                    },
                    Err(mut is) => {
                        is.loc.push(LocPart::Index(i));
                        issues.push(is);
                    }
                }
            }
            let counted = p.flags & COUNTED != 0;
            let len_issue = |n: usize, noun: &str| {
                p.constraints
                    .as_ref()
                    .and_then(|c| c.check_len(n, noun))
                    .map(|(kind, msg)| ValidationIssue {
                        msg,
                        input: None,
                        ..super::issue((kind, ""), p.source, &p.key, None)
                    })
            };
            if !counted {
                // A list's length is reported beside its items' failures.
                issues.extend(len_issue(vals.len(), "List"));
            }
            if !issues.is_empty() {
                return Err(issues);
            }
            let Ok(made) = collection_of(p, list) else {
                // Every scalar kind is hashable, so this is a Python failure (out of memory).
                py::take_exc();
                return Err(vec![super::issue(
                    ("value_error", "Value error"),
                    p.source,
                    &p.key,
                    None,
                )]);
            };
            if counted {
                // A set counts its distinct values, as pydantic's length check does.
                // SAFETY: attached; `made` is a set, frozenset or tuple.
                let n = unsafe { ffi::PyObject_Length(made.as_ptr()) }.max(0) as usize;
                if let Some(i) = len_issue(n, collection_noun(p.flags)) {
                    return Err(vec![i]);
                }
            }
            return Ok(made);
        }
        match pairs.iter().rev().find(|(k, _)| *k == p.key) {
            None => self.absent(p).map_err(|i| vec![i]),
            // An empty value for a non-string parameter means "not given" when that is allowed.
            Some((_, v)) if v.is_empty() && p.kind != Kind::Str && p.flags & F_OPTIONAL != 0 => {
                Ok(py::none())
            }
            Some((_, v)) if v.is_empty() && p.kind != Kind::Str && p.flags & F_DEFAULT != 0 => {
                Ok(self.default_of(p))
            }
            Some((_, v)) => self.scalar(p, v).map_err(|i| vec![i]),
        }
    }

    fn default_of(&self, p: &ParamPlan) -> Obj {
        let d = p.default.as_ref().expect("has default");
        // Mutable defaults are copied per request so one request cannot leak into the next.
        // SAFETY: attached.
        unsafe {
            if ffi::PySet_CheckExact(d.as_ptr()) != 0 {
                return Obj::from_owned(ffi::PySet_New(d.as_ptr())).expect("copy");
            }
            if ffi::PyList_CheckExact(d.as_ptr()) != 0 {
                return Obj::from_owned(ffi::PyList_GetSlice(d.as_ptr(), 0, ffi::PY_SSIZE_T_MAX))
                    .expect("copy");
            }
            if ffi::PyDict_CheckExact(d.as_ptr()) != 0 {
                return Obj::from_owned(ffi::PyDict_Copy(d.as_ptr())).expect("copy");
            }
        }
        d.clone()
    }

    fn absent(&self, p: &ParamPlan) -> Result<Obj, ValidationIssue> {
        if p.flags & F_DEFAULT != 0 {
            Ok(self.default_of(p))
        } else {
            Err(super::missing(p.source, &p.key))
        }
    }

    /// The JSON body (parsed once per request into `parsed`), or with `Body(embed=True)` the
    /// value under the parameter's key, decoded along the parameter's type plan.
    fn body_param(
        &self,
        p: &ParamPlan,
        ctx: &Request,
        parsed: &mut Option<sonic_rs::Value>,
    ) -> Result<Obj, Extract> {
        use sonic_rs::JsonValueTrait;
        let embed = p.flags & super::F_EMBED != 0;
        let mut prefix = vec![LocPart::Key("body".into())];
        if embed {
            prefix.push(LocPart::Key(p.key.clone()));
        }
        let missing_at = |i: ValidationIssue| {
            Extract::Invalid(vec![ValidationIssue {
                loc: prefix.clone(),
                ..i
            }])
        };
        if ctx.body.is_empty() {
            return self.absent(p).map_err(missing_at);
        }
        if parsed.is_none() {
            if let Some(ct) = ctx.head.header("content-type") {
                let ct = String::from_utf8_lossy(ct).to_ascii_lowercase();
                let mime = ct.split(';').next().unwrap_or("").trim();
                if mime != "application/json" && !mime.ends_with("+json") {
                    return Err(Extract::Response(Response::detail(
                        415,
                        "Unsupported Media Type: expected application/json",
                    )));
                }
            }
            *parsed = Some(
                decode::parse(ctx.body, false)
                    .map_err(|e| Extract::Invalid(vec![e.issue(&prefix[..1])]))?,
            );
        }
        let whole = parsed.as_ref().expect("parsed above");
        let value = if embed {
            match whole.get(p.key.as_str()) {
                Some(v) => v,
                None => return self.absent(p).map_err(missing_at),
            }
        } else {
            whole
        };
        let plan = p
            .model
            .as_ref()
            .and_then(|m| codec::from_capsule(m.as_ptr()))
            .expect("body parameters carry a plan (params.py)");
        let mut result = decode::decode_value(plan, value, &prefix);
        if let Err(decode::Failure::NeedsRawNumbers) = result {
            // An integer wider than 64 bits: keep the body parsed with every digit from now on.
            let raw = decode::parse(ctx.body, true)
                .map_err(|e| Extract::Invalid(vec![e.issue(&prefix[..1])]))?;
            let value = if embed {
                raw.get(p.key.as_str())
            } else {
                Some(&raw)
            };
            result = match value {
                Some(v) => decode::decode_value(plan, v, &prefix),
                None => return self.absent(p).map_err(missing_at),
            };
            *parsed = Some(raw);
        }
        match result {
            Ok(v) => Ok(v),
            Err(decode::Failure::NeedsRawNumbers) => Err(Extract::Response(Response::detail(
                500,
                "Internal Server Error",
            ))),
            Err(decode::Failure::Invalid(issues)) => Err(Extract::Invalid(issues)),
            Err(decode::Failure::Fatal(exc)) => {
                // SAFETY: attached; hands the exception back to be logged as a handler failure.
                unsafe { ffi::PyErr_SetRaisedException(exc.into_ptr()) };
                Err(Extract::Raised)
            }
        }
    }
}

/// The most fields a URL-encoded form may have (django-bolt's `DEFAULT_MAX_FIELDS`).
const MAX_FORM_FIELDS: usize = 1000;

/// The collection flags whose length constraints count items only.
const COUNTED: i64 = F_SET | F_FROZENSET | F_TUPLE;

/// The container's name in a length error, as pydantic words it.
fn collection_noun(flags: i64) -> &'static str {
    if flags & F_SET != 0 {
        "Set"
    } else if flags & F_FROZENSET != 0 {
        "Frozenset"
    } else {
        "Tuple"
    }
}

/// The coerced values of a repeated parameter as the collection its type names: the list
/// itself, or a `set`/`frozenset`/`tuple` of it (`F_SET`/`F_FROZENSET`/`F_TUPLE`). `Err` with a
/// Python exception set when Python could not build it.
fn collection_of(p: &ParamPlan, list: Obj) -> Result<Obj, ()> {
    // SAFETY: attached; `list` is a list we own; each call returns a new reference or NULL
    // with an exception set, which `from_owned` turns into None (the caller clears it).
    let made = unsafe {
        if p.flags & F_SET != 0 {
            ffi::PySet_New(list.as_ptr())
        } else if p.flags & F_FROZENSET != 0 {
            ffi::PyFrozenSet_New(list.as_ptr())
        } else if p.flags & F_TUPLE != 0 {
            ffi::PyList_AsTuple(list.as_ptr())
        } else {
            return Ok(list);
        }
    };
    Obj::from_owned(made).ok_or(())
}
