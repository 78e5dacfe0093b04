//! Guards that need only the authentication result and the token's claims, evaluated without
//! calling Python. Guards that need the Django user or custom code run in Python instead.

use sonic_rs::{JsonContainerTrait, JsonValueTrait};

#[derive(Debug, Clone, PartialEq)]
pub enum Guard {
    AllowAny,
    IsAuthenticated,
    /// The claim is present, and when values are given, equals one of them (or, for an
    /// array claim, contains one).
    Claim {
        name: String,
        values: Vec<String>,
    },
    Not(Box<Guard>),
    And(Box<Guard>, Box<Guard>),
    Or(Box<Guard>, Box<Guard>),
}

fn claim_matches(v: &sonic_rs::Value, values: &[String]) -> bool {
    if values.is_empty() {
        return !(v.is_null() || v.as_bool() == Some(false) || v.as_str() == Some(""));
    }
    let one = |x: &sonic_rs::Value| match x.as_str() {
        Some(s) => values.iter().any(|w| w == s),
        None => {
            let text = x.to_string();
            values.contains(&text)
        }
    };
    match v.as_array() {
        Some(arr) => arr.iter().any(one),
        None => one(v),
    }
}

impl Guard {
    /// Whether deciding needs the claims parsed (IsAuthenticated needs only their presence).
    pub fn reads_claims(&self) -> bool {
        match self {
            Guard::AllowAny | Guard::IsAuthenticated => false,
            Guard::Claim { .. } => true,
            Guard::Not(g) => g.reads_claims(),
            Guard::And(a, b) | Guard::Or(a, b) => a.reads_claims() || b.reads_claims(),
        }
    }

    /// Whether the request may go on; `claims` is None when it is not authenticated.
    pub fn allows(&self, claims: Option<&sonic_rs::Value>) -> bool {
        match self {
            Guard::AllowAny => true,
            Guard::IsAuthenticated => claims.is_some(),
            Guard::Claim { name, values } => claims
                .and_then(|c| c.get(name.as_str()))
                .map(|v| claim_matches(v, values))
                .unwrap_or(false),
            Guard::Not(g) => !g.allows(claims),
            Guard::And(a, b) => a.allows(claims) && b.allows(claims),
            Guard::Or(a, b) => a.allows(claims) || b.allows(claims),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(s: &str) -> sonic_rs::Value {
        sonic_rs::from_str(s).unwrap()
    }

    fn req(name: &str, values: &[&str]) -> Guard {
        Guard::Claim {
            name: name.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn truth_table() {
        let admin = claims(r#"{"sub":"1","role":"admin","scopes":["read","write"],"level":3}"#);
        let cases: &[(Guard, Option<&sonic_rs::Value>, bool, &str)] = &[
            (Guard::AllowAny, None, true, "anyone"),
            (Guard::IsAuthenticated, None, false, "anonymous"),
            (Guard::IsAuthenticated, Some(&admin), true, "token holder"),
            (req("role", &["admin"]), Some(&admin), true, "claim equals"),
            (
                req("role", &["staff"]),
                Some(&admin),
                false,
                "claim differs",
            ),
            (
                req("scopes", &["write"]),
                Some(&admin),
                true,
                "array contains",
            ),
            (
                req("scopes", &["delete"]),
                Some(&admin),
                false,
                "array lacks",
            ),
            (
                req("level", &["3"]),
                Some(&admin),
                true,
                "numbers compare as text",
            ),
            (req("role", &[]), Some(&admin), true, "present and truthy"),
            (req("missing", &[]), Some(&admin), false, "absent"),
            (
                req("role", &["admin"]),
                None,
                false,
                "no claims when anonymous",
            ),
            (
                Guard::Not(Box::new(Guard::IsAuthenticated)),
                None,
                true,
                "not",
            ),
            (
                Guard::And(
                    Box::new(Guard::IsAuthenticated),
                    Box::new(req("role", &["staff"])),
                ),
                Some(&admin),
                false,
                "and",
            ),
            (
                Guard::Or(
                    Box::new(req("role", &["staff"])),
                    Box::new(req("scopes", &["read"])),
                ),
                Some(&admin),
                true,
                "or",
            ),
        ];
        for (g, c, want, why) in cases {
            assert_eq!(g.allows(*c), *want, "{why}");
        }
    }
}
