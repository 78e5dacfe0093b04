//! Path routing with `matchit`, plus the method rules HTTP asks of a router:
//! 405 with `Allow` for a path served under other methods, automatic `HEAD` for `GET`
//! routes and automatic `OPTIONS`.

use crate::http::Method;

/// What the router decided for one request.
#[derive(Debug, PartialEq)]
pub enum Match<'p> {
    /// A route: its index in the table and the raw (still percent-encoded) path params.
    Found {
        route: usize,
        params: Vec<(&'p str, &'p str)>,
        head_only: bool,
    },
    /// The path exists but not for this method; the value is the `Allow` header.
    MethodNotAllowed {
        allow: String,
    },
    /// `OPTIONS` on a path that exists without an explicit OPTIONS route.
    Options {
        allow: String,
    },
    NotFound,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RouteError {
    #[error("duplicate route {method} {path}")]
    Duplicate { method: String, path: String },
    #[error("route {path} conflicts with an existing route: {reason}")]
    Conflict { path: String, reason: String },
    #[error(
        "unsupported method {0:?} (use GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or QUERY)"
    )]
    Method(String),
    #[error("route path {0:?} must start with '/'")]
    Path(String),
}

const METHODS: [Method; 8] = [
    Method::Get,
    Method::Head,
    Method::Post,
    Method::Put,
    Method::Patch,
    Method::Delete,
    Method::Options,
    Method::Query,
];

fn slot(m: Method) -> Option<usize> {
    METHODS.iter().position(|x| *x == m)
}

/// Routes registered for one path pattern, one slot per method.
#[derive(Default)]
struct PathEntry {
    by_method: [Option<usize>; 8],
}

impl PathEntry {
    fn allow(&self) -> String {
        let mut out: Vec<&str> = Vec::new();
        let has = |m: Method| self.by_method[slot(m).unwrap()].is_some();
        for m in METHODS {
            let served = has(m)
                || (m == Method::Head && has(Method::Get))
                // OPTIONS is answered for every path.
                || m == Method::Options;
            if served {
                out.push(m.as_str());
            }
        }
        out.join(", ")
    }
}

pub struct Router {
    tree: matchit::Router<usize>,
    entries: Vec<PathEntry>,
    patterns: Vec<String>,
}

impl Default for Router {
    fn default() -> Self {
        Self::new()
    }
}

/// Our `{name:path}` catch-all syntax is FastAPI's; matchit spells it `{*name}`.
fn to_matchit(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let inner = &rest[open + 1..open + close];
        match inner.split_once(':') {
            Some((name, "path")) => {
                out.push_str("{*");
                out.push_str(name);
                out.push('}');
            }
            Some((name, _)) => {
                out.push('{');
                out.push_str(name);
                out.push('}');
            }
            None => {
                out.push('{');
                out.push_str(inner);
                out.push('}');
            }
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

impl Router {
    pub fn new() -> Self {
        Router {
            tree: matchit::Router::new(),
            entries: Vec::new(),
            patterns: Vec::new(),
        }
    }

    /// Registers `route` (an index into the caller's table) for `method path`.
    pub fn insert(&mut self, method: &str, path: &str, route: usize) -> Result<(), RouteError> {
        if !path.starts_with('/') {
            return Err(RouteError::Path(path.to_owned()));
        }
        let m = match method.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            "QUERY" => Method::Query,
            _ => return Err(RouteError::Method(method.to_owned())),
        };
        let pattern = to_matchit(path);
        let entry = match self.patterns.iter().position(|p| *p == pattern) {
            Some(i) => i,
            None => {
                let i = self.entries.len();
                self.tree
                    .insert(pattern.clone(), i)
                    .map_err(|e| RouteError::Conflict {
                        path: path.to_owned(),
                        reason: e.to_string(),
                    })?;
                self.entries.push(PathEntry::default());
                self.patterns.push(pattern);
                i
            }
        };
        let s = slot(m).expect("known method");
        let cell = &mut self.entries[entry].by_method[s];
        if cell.is_some() {
            return Err(RouteError::Duplicate {
                method: m.as_str().to_owned(),
                path: path.to_owned(),
            });
        }
        *cell = Some(route);
        Ok(())
    }

    pub fn route_for<'p>(&'p self, method: Method, path: &'p str) -> Match<'p> {
        let Ok(found) = self.tree.at(path) else {
            return Match::NotFound;
        };
        let entry = &self.entries[*found.value];
        let params = || found.params.iter().collect::<Vec<_>>();
        if let Some(s) = slot(method) {
            if let Some(route) = entry.by_method[s] {
                return Match::Found {
                    route,
                    params: params(),
                    head_only: false,
                };
            }
        }
        match method {
            // RFC 9110 §9.3.2: HEAD is GET without the body.
            Method::Head => {
                if let Some(route) = entry.by_method[slot(Method::Get).unwrap()] {
                    return Match::Found {
                        route,
                        params: params(),
                        head_only: true,
                    };
                }
                Match::MethodNotAllowed {
                    allow: entry.allow(),
                }
            }
            Method::Options => Match::Options {
                allow: entry.allow(),
            },
            _ => Match::MethodNotAllowed {
                allow: entry.allow(),
            },
        }
    }

    pub fn len(&self) -> usize {
        self.entries
            .iter()
            .map(|e| e.by_method.iter().flatten().count())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router() -> Router {
        let mut r = Router::new();
        r.insert("GET", "/hello", 0).unwrap();
        r.insert("GET", "/items/{id}", 1).unwrap();
        r.insert("PUT", "/items/{id}", 2).unwrap();
        r.insert("GET", "/files/{rest:path}", 3).unwrap();
        r.insert("POST", "/items", 4).unwrap();
        r
    }

    #[test]
    fn finds_static_and_param_routes() {
        let r = router();
        assert_eq!(
            r.route_for(Method::Get, "/hello"),
            Match::Found {
                route: 0,
                params: vec![],
                head_only: false
            }
        );
        assert_eq!(
            r.route_for(Method::Get, "/items/42"),
            Match::Found {
                route: 1,
                params: vec![("id", "42")],
                head_only: false
            }
        );
        assert_eq!(
            r.route_for(Method::Put, "/items/42"),
            Match::Found {
                route: 2,
                params: vec![("id", "42")],
                head_only: false
            }
        );
    }

    #[test]
    fn path_param_catches_the_rest() {
        let r = router();
        assert_eq!(
            r.route_for(Method::Get, "/files/a/b/c.txt"),
            Match::Found {
                route: 3,
                params: vec![("rest", "a/b/c.txt")],
                head_only: false
            }
        );
    }

    #[test]
    fn wrong_method_is_405_with_allow() {
        let r = router();
        assert_eq!(
            r.route_for(Method::Delete, "/items/1"),
            Match::MethodNotAllowed {
                allow: "GET, HEAD, PUT, OPTIONS".into()
            }
        );
        assert_eq!(
            r.route_for(Method::Get, "/items"),
            Match::MethodNotAllowed {
                allow: "POST, OPTIONS".into()
            }
        );
    }

    #[test]
    fn head_uses_the_get_route_without_body() {
        let r = router();
        assert_eq!(
            r.route_for(Method::Head, "/hello"),
            Match::Found {
                route: 0,
                params: vec![],
                head_only: true
            }
        );
        assert!(matches!(
            r.route_for(Method::Head, "/items"),
            Match::MethodNotAllowed { .. }
        ));
    }

    #[test]
    fn options_is_automatic() {
        let r = router();
        assert_eq!(
            r.route_for(Method::Options, "/hello"),
            Match::Options {
                allow: "GET, HEAD, OPTIONS".into()
            }
        );
    }

    #[test]
    fn query_method_is_routed_and_listed_in_allow() {
        let mut r = router();
        r.insert("QUERY", "/search", 5).unwrap();
        r.insert("GET", "/search", 6).unwrap();
        assert_eq!(
            r.route_for(Method::Query, "/search"),
            Match::Found {
                route: 5,
                params: vec![],
                head_only: false
            }
        );
        // OPTIONS stays last in Allow (its slot comes before QUERY's, so check the order).
        assert_eq!(
            r.route_for(Method::Post, "/search"),
            Match::MethodNotAllowed {
                allow: "GET, HEAD, OPTIONS, QUERY".into()
            }
        );
        assert!(matches!(
            r.route_for(Method::Query, "/hello"),
            Match::MethodNotAllowed { .. }
        ));
    }

    #[test]
    fn unknown_path_is_not_found() {
        assert_eq!(router().route_for(Method::Get, "/nope"), Match::NotFound);
        assert_eq!(router().route_for(Method::Other, "/nope"), Match::NotFound);
    }

    #[test]
    fn other_method_on_known_path_is_405() {
        assert!(matches!(
            router().route_for(Method::Other, "/hello"),
            Match::MethodNotAllowed { .. }
        ));
    }

    #[test]
    fn duplicate_route_is_an_error() {
        let mut r = router();
        assert_eq!(
            r.insert("GET", "/hello", 9),
            Err(RouteError::Duplicate {
                method: "GET".into(),
                path: "/hello".into()
            })
        );
    }

    #[test]
    fn conflicting_param_names_are_an_error() {
        let mut r = router();
        assert!(matches!(
            r.insert("GET", "/items/{name}", 9),
            Err(RouteError::Conflict { .. })
        ));
    }

    #[test]
    fn bad_method_and_path_are_errors() {
        let mut r = Router::new();
        assert!(matches!(
            r.insert("FETCH", "/x", 0),
            Err(RouteError::Method(_))
        ));
        assert!(matches!(r.insert("GET", "x", 0), Err(RouteError::Path(_))));
    }

    #[test]
    fn translates_path_converter() {
        assert_eq!(to_matchit("/f/{rest:path}"), "/f/{*rest}");
        assert_eq!(to_matchit("/i/{id:int}/x"), "/i/{id}/x");
        assert_eq!(to_matchit("/plain"), "/plain");
    }
}
