//! `timedelta`: a number of seconds or an ISO 8601 duration, converted with integer
//! arithmetic to timedelta's (days, seconds, microseconds) so no digit is lost at the edges of
//! its range (999,999,999 days).

use super::Decoder;
use crate::py::{self, Obj};
use sonic_rs::{JsonValueTrait, Value, ValueRef};

impl<'a> Decoder<'a> {
    /// A number of seconds, or an ISO 8601 duration (`P1DT2H`, `-PT0.5S`) as pydantic writes.
    pub(super) fn timedelta(&mut self, v: &Value) -> Option<Obj> {
        let parts = match v.as_ref() {
            ValueRef::Number(_) => {
                let f = v.as_f64().unwrap_or(f64::NAN);
                split_seconds(f)
            }
            ValueRef::String(s) => parse_duration(s),
            _ => None,
        };
        let Some((days, secs, micros)) = parts else {
            self.fail(
                "time_delta_parsing",
                "Input should be a valid timedelta",
                Some(v),
            );
            return None;
        };
        let args = [py::new_int(days), py::new_int(secs), py::new_int(micros)];
        match py::call(&self.plan.ctors.timedelta, &[&args[0], &args[1], &args[2]]) {
            Ok(o) => Some(o),
            Err(_) => {
                self.fail(
                    "time_delta_parsing",
                    "Input should be a valid timedelta, durations may not exceed 999,999,999 days",
                    Some(v),
                );
                None
            }
        }
    }
}

/// timedelta's own limit, in microseconds (999999999 days).
const MAX_MICROS: i128 = 999_999_999 * 86_400 * 1_000_000 + 86_399_999_999;

/// Microseconds as timedelta's (days, seconds, microseconds); `None` past its range.
fn split_micros(micros: i128) -> Option<(i64, i64, i64)> {
    if micros.abs() > MAX_MICROS {
        return None;
    }
    let day = 86_400_000_000i128;
    let days = micros.div_euclid(day);
    let rest = micros.rem_euclid(day);
    Some((
        days as i64,
        (rest / 1_000_000) as i64,
        (rest % 1_000_000) as i64,
    ))
}

/// Seconds as (days, seconds, microseconds), rounding to the microsecond.
fn split_seconds(f: f64) -> Option<(i64, i64, i64)> {
    if !f.is_finite() || f.abs() > 1e14 {
        return None;
    }
    split_micros((f * 1e6).round() as i128)
}

/// `12` or `1.5` units as microseconds, exactly (integers, not floats: 999999999 days has
/// more digits than a double keeps).
fn duration_part(num: &str, unit_us: i128) -> Option<i128> {
    let (whole, frac) = num.split_once('.').unwrap_or((num, ""));
    if frac.contains('.') || (whole.is_empty() && frac.is_empty()) || whole.len() > 20 {
        return None;
    }
    let whole: i128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut out = whole.checked_mul(unit_us)?;
    if !frac.is_empty() {
        // Nine digits are finer than a microsecond of any unit; the rest cannot matter.
        let digits = &frac[..frac.len().min(9)];
        let scale = 10i128.pow(digits.len() as u32);
        let f: i128 = digits.parse().ok()?;
        out += (f * unit_us + scale / 2) / scale;
    }
    Some(out)
}

/// ISO 8601 durations: `[-]P[nW][nD][T[nH][nM][n[.f]S]]`, fractions on the last unit only.
pub fn parse_duration(s: &str) -> Option<(i64, i64, i64)> {
    let (neg, rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let rest = rest.strip_prefix(['P', 'p'])?;
    if rest.is_empty() {
        return None;
    }
    let mut micros: i128 = 0;
    let mut in_time = false;
    let mut num = String::new();
    let mut saw_unit = false;
    for ch in rest.chars() {
        match ch {
            '0'..='9' | '.' | ',' => num.push(if ch == ',' { '.' } else { ch }),
            'T' | 't' if !in_time && num.is_empty() => in_time = true,
            _ => {
                if num.is_empty() {
                    return None;
                }
                let unit_us: i128 = match (in_time, ch.to_ascii_uppercase()) {
                    (false, 'W') => 604_800_000_000,
                    (false, 'D') => 86_400_000_000,
                    (true, 'H') => 3_600_000_000,
                    (true, 'M') => 60_000_000,
                    (true, 'S') => 1_000_000,
                    _ => return None,
                };
                micros = micros.checked_add(duration_part(&num, unit_us)?)?;
                num.clear();
                saw_unit = true;
            }
        }
    }
    if !num.is_empty() || !saw_unit {
        return None;
    }
    if neg {
        micros = -micros;
    }
    split_micros(micros)
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    pub(super) fn iso_durations() {
        assert_eq!(parse_duration("P1D"), Some((1, 0, 0)));
        assert_eq!(parse_duration("PT1H2M3.5S"), Some((0, 3723, 500_000)));
        assert_eq!(parse_duration("-PT0.5S"), Some((-1, 86_399, 500_000)));
        assert_eq!(parse_duration("P1W"), Some((7, 0, 0)));
        assert_eq!(parse_duration("P999999999D"), Some((999_999_999, 0, 0)));
        assert_eq!(parse_duration("P1000000000D"), None);
        assert_eq!(parse_duration("PT1e400S"), None);
        assert_eq!(parse_duration("P"), None);
        assert_eq!(parse_duration("PT"), None);
        assert_eq!(parse_duration("P1H"), None);
        assert_eq!(parse_duration("1D"), None);
        assert_eq!(parse_duration("P1.5.2D"), None);
    }
}
