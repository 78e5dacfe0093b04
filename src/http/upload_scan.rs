//! Watching a `multipart/form-data` body while it arrives, so a file part that has already
//! passed its `File(max_size=...)` is refused before the rest of the body is read (and held in
//! memory). Pure over the bytes received so far, and resumable: each call continues where the
//! previous one stopped, so a body is scanned once however many reads bring it.
//!
//! This only measures parts; the body is still parsed (and every other check made) by the
//! multipart parser once it is complete.

use memchr::memmem;

/// A file part that is already longer than its limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooLarge {
    /// The form field's name.
    pub field: String,
    /// The part's file name (`filename=`), as sent.
    pub filename: String,
    pub max_size: usize,
    /// The bytes of the part seen so far (at least `max_size + 1`).
    pub seen: usize,
}

/// Where the scan of one body stands.
#[derive(Debug, Default)]
pub struct UploadScan {
    /// Offset of the next part's headers (after a delimiter line), when between parts.
    next_headers: usize,
    /// The part whose data is arriving: (field, filename, data start, limit).
    current: Option<(String, String, usize, Option<usize>)>,
    /// How far the current part's data has been searched for its delimiter.
    searched: usize,
    /// The body is past its closing delimiter, or not something this scan understands.
    done: bool,
}

impl UploadScan {
    /// Scans `body` (every body byte received so far, from the start) for a file part named in
    /// `limits` (field, max size) that is longer than its limit. `boundary` is the content
    /// type's `boundary=` parameter.
    pub fn check(
        &mut self,
        body: &[u8],
        boundary: &[u8],
        limits: &[(String, usize)],
    ) -> Option<TooLarge> {
        if self.done || boundary.is_empty() {
            return None;
        }
        // "\r\n--boundary" ends each part's data; the first delimiter has no CRLF before it.
        let mut delim = Vec::with_capacity(boundary.len() + 4);
        delim.extend_from_slice(b"\r\n--");
        delim.extend_from_slice(boundary);
        loop {
            if let Some((field, filename, start, limit)) = &self.current {
                // The data runs up to the next delimiter; bytes that may be its beginning are
                // not counted yet.
                let from = *start;
                // Resume a little before the last search's end: a delimiter may straddle it.
                let resume = self.searched.saturating_sub(delim.len()).max(from);
                match memmem::find(&body[resume..], &delim).map(|i| i + resume - from) {
                    Some(at) => {
                        if let Some(max) = limit.filter(|m| at > *m) {
                            return Some(too_large(field, filename, max, at));
                        }
                        let after = from + at + delim.len();
                        let rest = &body[after..];
                        if rest.len() < 2 {
                            // "--" (the end) or CRLF (another part) not here yet: this part is
                            // looked at again on the next call.
                            return None;
                        }
                        self.current = None;
                        self.next_headers = after + 2;
                        if rest.starts_with(b"--") {
                            self.done = true;
                            return None;
                        }
                        continue;
                    }
                    None => {
                        self.searched = body.len();
                        let seen = (body.len() - from).saturating_sub(delim.len());
                        if let Some(max) = limit.filter(|m| seen > *m) {
                            return Some(too_large(field, filename, max, seen));
                        }
                        return None;
                    }
                }
            }
            // Between parts: the first delimiter line, or the CRLF after a delimiter, then the
            // part's headers up to a blank line.
            let mut at = self.next_headers;
            if at == 0 {
                let first = &delim[2..];
                if body.len() < first.len() {
                    return None;
                }
                let Some(pos) = memmem::find(body, first) else {
                    // No delimiter in the preamble yet: give up only when the preamble is long.
                    if body.len() > 4096 {
                        self.done = true;
                    }
                    return None;
                };
                // The CRLF that ends the delimiter line.
                at = pos + first.len() + 2;
                if body.len() < at {
                    return None;
                }
            }
            let rest = &body[at..];
            let Some(end) = memmem::find(rest, b"\r\n\r\n") else {
                // Headers still arriving (they are bounded by the body limit as everything is).
                return None;
            };
            let headers = &rest[..end];
            let (name, filename) = disposition(headers);
            let limit = match (&name, &filename) {
                (Some(n), Some(_)) => limits.iter().find(|(f, _)| f == n).map(|(_, m)| *m),
                _ => None,
            };
            self.searched = 0;
            self.current = Some((
                name.unwrap_or_default(),
                filename.unwrap_or_default(),
                at + end + 4,
                limit,
            ));
        }
    }
}

fn too_large(field: &str, filename: &str, max_size: usize, seen: usize) -> TooLarge {
    TooLarge {
        field: field.to_owned(),
        filename: filename.to_owned(),
        max_size,
        seen,
    }
}

/// The `name` and `filename` of a part's `Content-Disposition: form-data; ...` header.
fn disposition(headers: &[u8]) -> (Option<String>, Option<String>) {
    let text = String::from_utf8_lossy(headers);
    for line in text.split("\r\n") {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        if !key.trim().eq_ignore_ascii_case("content-disposition") {
            continue;
        }
        let mut name = None;
        let mut filename = None;
        for param in value.split(';').skip(1) {
            let Some((k, v)) = param.split_once('=') else {
                continue;
            };
            let v = v.trim().trim_matches('"').to_owned();
            match k.trim().to_ascii_lowercase().as_str() {
                "name" => name = Some(v),
                "filename" => filename = Some(v),
                _ => {}
            }
        }
        return (name, filename);
    }
    (None, None)
}

/// The `boundary=` parameter of a `multipart/form-data` content type, or None.
pub fn boundary_of(content_type: &str) -> Option<&str> {
    let (mime, params) = content_type.split_once(';')?;
    if !mime.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"'))
            .filter(|b| !b.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, filename, data) in parts {
            out.extend_from_slice(b"--BB\r\nContent-Disposition: form-data; name=\"");
            out.extend_from_slice(name.as_bytes());
            out.push(b'"');
            if let Some(f) = filename {
                out.extend_from_slice(
                    format!("; filename=\"{f}\"\r\nContent-Type: text/plain").as_bytes(),
                );
            }
            out.extend_from_slice(b"\r\n\r\n");
            out.extend_from_slice(data);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"--BB--\r\n");
        out
    }

    fn limits() -> Vec<(String, usize)> {
        vec![("file".to_owned(), 10)]
    }

    /// Fed in pieces of every size, as reads bring a body: the first answer that is not None.
    fn scan_in_pieces(b: &[u8], step: usize) -> Option<TooLarge> {
        let mut scan = UploadScan::default();
        let mut end = 0;
        while end < b.len() {
            end = (end + step).min(b.len());
            if let Some(t) = scan.check(&b[..end], b"BB", &limits()) {
                return Some(t);
            }
        }
        None
    }

    #[test]
    fn a_file_within_its_limit_passes_however_it_arrives() {
        let b = body(&[
            ("title", None, b"a long title, longer than ten"),
            ("file", Some("a.txt"), b"0123456789"),
        ]);
        for step in 1..=b.len() {
            assert_eq!(scan_in_pieces(&b, step), None, "step {step}");
        }
    }

    #[test]
    fn a_file_over_its_limit_is_found_before_the_body_ends() {
        let data = vec![b'x'; 200];
        let b = body(&[("file", Some("big.bin"), &data), ("after", None, b"1")]);
        for step in [1, 7, 64, b.len()] {
            let t = scan_in_pieces(&b, step).expect("refused");
            assert_eq!(
                (t.field.as_str(), t.filename.as_str(), t.max_size),
                ("file", "big.bin", 10)
            );
            assert!(t.seen > 10);
        }
        // Refused from a prefix: the first 11 data bytes and a delimiter's length more.
        let start = b.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let mut scan = UploadScan::default();
        assert!(scan.check(&b[..start + 11 + 6], b"BB", &limits()).is_some());
    }

    #[test]
    fn only_file_parts_named_in_the_limits_count() {
        let data = vec![b'x'; 200];
        // A plain field of that name (no filename), and a file under another name.
        let b = body(&[("file", None, &data), ("other", Some("o.bin"), &data)]);
        assert_eq!(scan_in_pieces(&b, 5), None);
    }

    #[test]
    fn boundary_comes_from_the_content_type() {
        assert_eq!(
            boundary_of("multipart/form-data; boundary=abc"),
            Some("abc")
        );
        assert_eq!(
            boundary_of("Multipart/Form-Data;charset=utf-8; boundary=\"a b\""),
            Some("a b")
        );
        assert_eq!(boundary_of("application/json"), None);
        assert_eq!(boundary_of("multipart/form-data; boundary="), None);
    }
}
