//! The Server-Sent Events wire format (WHATWG HTML §9.2.5): one event is field lines and a
//! blank line that dispatches it. Formatted here rather than in Python because a busy event
//! stream sends thousands of these a second per core.
//!
//! Byte for byte what `django_bolt.format_sse_event` (django-bolt 0.13's function) writes:
//! multi-line values become one field line per line, split where Python's `str.splitlines`
//! splits, so an event looks the same whichever side formatted it.

/// One event's fields; `data` is already a string (JSON text, or `raw_data`).
#[derive(Default)]
pub struct Event<'a> {
    pub comment: Option<&'a str>,
    pub event: Option<&'a str>,
    pub data: Option<&'a str>,
    pub id: Option<&'a str>,
    pub retry: Option<u64>,
}

/// Appends `e` to `out`.
pub fn write_event(out: &mut Vec<u8>, e: &Event<'_>) {
    let start = out.len();
    if let Some(c) = e.comment {
        for line in lines(c) {
            field(out, ":", line);
        }
    }
    if let Some(ev) = e.event {
        field(out, "event:", ev);
    }
    if let Some(d) = e.data {
        for line in lines(d) {
            field(out, "data:", line);
        }
    }
    if let Some(id) = e.id {
        field(out, "id:", id);
    }
    if let Some(r) = e.retry {
        out.extend_from_slice(b"retry: ");
        out.extend_from_slice(r.to_string().as_bytes());
        out.push(b'\n');
    }
    if out.len() == start {
        // No field at all: django-bolt's function still writes its "\n\n" terminator.
        out.push(b'\n');
    }
    out.push(b'\n');
}

/// Appends a data-only event whose data is one line already (compact JSON): the common case.
pub fn write_data_line(out: &mut Vec<u8>, json: &[u8]) {
    out.extend_from_slice(b"data: ");
    out.extend_from_slice(json);
    out.extend_from_slice(b"\n\n");
}

/// Whether `v` can be an `event` or `id` value: a line break would start another field, and
/// NUL in an id makes browsers ignore it.
pub fn valid_field_value(v: &str) -> bool {
    !v.contains(['\n', '\r', '\0'])
}

fn field(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.push(b' ');
    out.extend_from_slice(value.as_bytes());
    out.push(b'\n');
}

/// Python's `str.splitlines()`, except that an empty string gives one empty line (an empty
/// value is still a field).
fn lines(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        let breaks = matches!(
            c,
            '\n' | '\r'
                | '\u{0b}'
                | '\u{0c}'
                | '\u{1c}'
                | '\u{1d}'
                | '\u{1e}'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        );
        if !breaks {
            continue;
        }
        out.push(&s[start..i]);
        start = i + c.len_utf8();
        if c == '\r' && it.peek().is_some_and(|&(_, n)| n == '\n') {
            it.next();
            start += 1;
        }
    }
    if start < s.len() || out.is_empty() {
        out.push(&s[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(e: Event<'_>) -> String {
        let mut out = Vec::new();
        write_event(&mut out, &e);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn splits_like_python_splitlines() {
        assert_eq!(lines("a\nb\r\nc\rd"), ["a", "b", "c", "d"]);
        assert_eq!(lines("a\n"), ["a"]);
        assert_eq!(lines("a\n\nb"), ["a", "", "b"]);
        assert_eq!(lines(""), [""]);
        assert_eq!(lines("x\u{2028}y\u{85}z"), ["x", "y", "z"]);
        assert_eq!(lines("\r\n"), [""]);
    }

    #[test]
    fn fields_in_django_bolts_order() {
        let s = ev(Event {
            comment: Some("hi"),
            event: Some("tick"),
            data: Some("{\"n\":1}"),
            id: Some("7"),
            retry: Some(1500),
        });
        assert_eq!(
            s,
            ": hi\nevent: tick\ndata: {\"n\":1}\nid: 7\nretry: 1500\n\n"
        );
    }

    #[test]
    fn multi_line_data_is_one_field_per_line() {
        let s = ev(Event {
            data: Some("one\ntwo"),
            ..Event::default()
        });
        assert_eq!(s, "data: one\ndata: two\n\n");
        assert_eq!(ev(Event::default()), "\n\n");
    }

    #[test]
    fn field_values_without_line_breaks() {
        assert!(valid_field_value("42"));
        assert!(!valid_field_value("4\n2"));
        assert!(!valid_field_value("4\r"));
        assert!(!valid_field_value("a\0"));
    }
}
