//! Validation failures as FastAPI reports them: one issue per failure with its `type`, `loc`,
//! `msg` and `input`, rendered as a 422 `{"detail": [...]}` body; and the constraints whose
//! checks produce them.

pub mod constraints;

pub use constraints::Constraints;
use serde::Serialize;

/// One entry of a 422 `detail` list.
#[derive(Debug, Serialize, PartialEq)]
pub struct ValidationIssue {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub loc: Vec<LocPart>,
    pub msg: String,
    /// The offending value, as JSON (FastAPI echoes it back).
    pub input: Option<sonic_rs::Value>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
pub enum LocPart {
    Key(String),
    Index(usize),
}

/// An issue at `[location, key]` (location: "path", "query", "body", ...).
pub fn issue(
    kind_msg: (&'static str, &'static str),
    location: &str,
    key: &str,
    input: Option<&str>,
) -> ValidationIssue {
    ValidationIssue {
        kind: kind_msg.0,
        loc: vec![LocPart::Key(location.into()), LocPart::Key(key.into())],
        msg: kind_msg.1.into(),
        input: input.map(sonic_rs::Value::from),
    }
}

/// `{"detail":[...]}` for a list of issues.
pub fn render_issues(issues: &[ValidationIssue]) -> Vec<u8> {
    #[derive(Serialize)]
    struct Body<'a> {
        detail: &'a [ValidationIssue],
    }
    sonic_rs::to_vec(&Body { detail: issues }).unwrap_or_else(|_| b"{\"detail\":[]}".to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_fastapi_shape() {
        let body = render_issues(&[
            issue(
                ("int_parsing", "Input should be a valid integer"),
                "query",
                "page",
                Some("abc"),
            ),
            issue(("missing", "Field required"), "query", "i", None),
        ]);
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            r#"{"detail":[{"type":"int_parsing","loc":["query","page"],"msg":"Input should be a valid integer","input":"abc"},{"type":"missing","loc":["query","i"],"msg":"Field required","input":null}]}"#
        );
    }
}
