//! The access log's common case, written by Rust off the request path.
//!
//! With `--log-level info` and no `LOGGING` of its own for `django_bolt.access`, the access log
//! is bolt's default stderr handler with a fixed format (`discovery.apply_log_level`). Calling
//! Python's logging for that costs a record, a format, a lock and a `write(2)` per request
//! (hello cost about 1.5x with it on). Instead each core formats the same line here into its own
//! buffer, and one writer thread writes the buffers to fd 2 every [`FLUSH_EVERY`] or as soon as
//! one holds [`WAKE_AT`] bytes. A core's lines keep their order (a buffer is taken and written as
//! one step, under [`Shared::out`]); lines of different cores interleave by batch. The server
//! calls [`flush`] after its workers end, so no line is lost at shutdown. Any other
//! configuration (a project handler, a filter, another format or clock) keeps Python's path:
//! `_worker._access_is_default` decides, once per interpreter at start-up.

use std::cell::RefCell;
use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long a line may wait in a buffer on a quiet server.
const FLUSH_EVERY: Duration = Duration::from_millis(50);
/// A buffer this full wakes the writer at once (about 400 lines).
const WAKE_AT: usize = 32 * 1024;
/// A buffer this full means stderr is not being read (a stalled pipe): the core then writes
/// itself and blocks, as Python's handler would, rather than grow without bound or drop lines.
const BLOCK_AT: usize = 4 << 20;

type Buffer = Arc<Mutex<Vec<u8>>>;

struct Shared {
    /// Every core's buffer, registered once per sink; the writer drains them in turn.
    buffers: Mutex<Vec<Buffer>>,
    /// Held while a buffer is taken and written, so batches reach fd 2 in the order taken.
    out: Mutex<()>,
    /// Set (and notified) when a buffer passed [`WAKE_AT`].
    wake: Mutex<bool>,
    bell: Condvar,
}

static SHARED: OnceLock<Shared> = OnceLock::new();

/// A poisoned lock only means a thread panicked while holding it; a log buffer is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn shared() -> &'static Shared {
    SHARED.get_or_init(|| {
        let started = std::thread::Builder::new()
            .name("bolt-access-log".into())
            .spawn(writer);
        if let Err(e) = started {
            // Lines are then written when a buffer fills and at shutdown (`flush`).
            eprintln!("django-bolt: access log writer thread: {e}");
        }
        Shared {
            buffers: Mutex::default(),
            out: Mutex::default(),
            wake: Mutex::new(false),
            bell: Condvar::new(),
        }
    })
}

fn writer() {
    let s = shared();
    loop {
        {
            let woken = lock(&s.wake);
            let (mut woken, _) = s
                .bell
                .wait_timeout_while(woken, FLUSH_EVERY, |w| !*w)
                .unwrap_or_else(|e| e.into_inner());
            *woken = false;
        }
        flush();
    }
}

/// Writes every buffered line now (the writer's tick; the server's last step at shutdown).
pub fn flush() {
    let Some(s) = SHARED.get() else { return };
    let buffers = lock(&s.buffers).clone();
    let _out = lock(&s.out);
    let mut batch = Vec::new();
    for b in &buffers {
        std::mem::swap(&mut *lock(b), &mut batch);
        write_out(&batch);
        batch.clear();
    }
}

/// Errors are ignored as Python's handler ignores them (`logging.raiseExceptions` aside): a
/// closed stderr must not stop the server. Rust's stderr is unbuffered.
fn write_out(bytes: &[u8]) {
    if !bytes.is_empty() {
        let _ = std::io::stderr().lock().write_all(bytes);
    }
}

/// One core's end of the access log. Its buffer stays registered for the process's life (one
/// per worker, made at boot), so lines appended just before a core ends are still flushed.
pub struct AccessSink {
    buf: Buffer,
    stamp: RefCell<Stamp>,
}

impl Default for AccessSink {
    fn default() -> Self {
        Self::new()
    }
}

impl AccessSink {
    pub fn new() -> Self {
        let buf = Buffer::default();
        lock(&shared().buffers).push(buf.clone());
        AccessSink {
            buf,
            stamp: RefCell::new(Stamp::default()),
        }
    }

    /// Appends the line Python's default handler would write:
    /// `2026-11-27 22:41:07,123 INFO django_bolt.access: 127.0.0.1:5000 "GET /hello" 200 27 0.05ms`.
    pub fn line(
        &self,
        client: &str,
        method: &str,
        target: &str,
        status: u16,
        nbytes: usize,
        ms: f64,
    ) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let mut b = lock(&self.buf);
        // Written piece by piece rather than with `write!`: the formatting machinery (its
        // adapter, padding and float printing) cost about 2,000 instructions a line, as much as
        // a sixth of a whole /hello (`loadtests/instructions.py quiet=pyext logged=pyext,info`).
        b.extend_from_slice(self.stamp.borrow_mut().at(now.as_secs() as i64));
        // logging's `default_msec_format`: `%s,%03d` with the milliseconds truncated.
        b.push(b',');
        push_padded(&mut b, now.subsec_millis(), 3);
        b.extend_from_slice(b" INFO django_bolt.access: ");
        b.extend_from_slice(client.as_bytes());
        b.extend_from_slice(b" \"");
        b.extend_from_slice(method.as_bytes());
        b.push(b' ');
        b.extend_from_slice(target.as_bytes());
        b.extend_from_slice(b"\" ");
        let mut digits = itoa::Buffer::new();
        b.extend_from_slice(digits.format(status).as_bytes());
        b.push(b' ');
        b.extend_from_slice(digits.format(nbytes).as_bytes());
        b.push(b' ');
        push_hundredths(&mut b, ms);
        b.extend_from_slice(b"ms\n");
        let len = b.len();
        if len >= BLOCK_AT {
            drop(b);
            let s = shared();
            let _out = lock(&s.out);
            let batch = std::mem::take(&mut *lock(&self.buf));
            write_out(&batch);
        } else if len >= WAKE_AT {
            drop(b);
            let s = shared();
            *lock(&s.wake) = true;
            s.bell.notify_one();
        }
    }
}

/// `n` in decimal, zero-padded to `width` digits (`{n:0width$}`).
fn push_padded(b: &mut Vec<u8>, n: u32, width: usize) {
    let mut digits = itoa::Buffer::new();
    let text = digits.format(n);
    b.extend(std::iter::repeat_n(b'0', width.saturating_sub(text.len())));
    b.extend_from_slice(text.as_bytes());
}

/// `ms` with two decimals (`{ms:.2}`, `%.2f`), rounded half away from zero on the value times
/// 100: a duration that sits exactly on a tie may differ from `%.2f` in its last digit.
fn push_hundredths(b: &mut Vec<u8>, ms: f64) {
    let hundredths = (ms * 100.0).round();
    if !(0.0..1e15).contains(&hundredths) {
        // Not a duration a request takes; keep the exact formatting for it.
        let _ = write!(b, "{ms:.2}");
        return;
    }
    let h = hundredths as u64;
    let mut digits = itoa::Buffer::new();
    b.extend_from_slice(digits.format(h / 100).as_bytes());
    b.push(b'.');
    push_padded(b, (h % 100) as u32, 2);
}

/// `%Y-%m-%d %H:%M:%S` in local time (logging's default converter, `time.localtime`), formatted
/// once per second.
#[derive(Default)]
struct Stamp {
    secs: Option<i64>,
    text: Vec<u8>,
}

impl Stamp {
    fn at(&mut self, secs: i64) -> &[u8] {
        if self.secs != Some(secs) {
            self.text = local_time(secs).into_bytes();
            self.secs = Some(secs);
        }
        &self.text
    }
}

fn local_time(secs: i64) -> String {
    // SAFETY: `tm` is plain data that localtime_r fills; both pointers are to live locals.
    let tm = unsafe {
        let t: libc::time_t = secs as libc::time_t;
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            return "1970-01-01 00:00:00".into();
        }
        tm
    };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_has_the_python_handlers_format() {
        let sink = AccessSink::new();
        sink.line("127.0.0.1:5000", "GET", "/items/7?q=x", 200, 27, 0.0523);
        let text = String::from_utf8(lock(&sink.buf).clone()).unwrap();
        let (stamp, rest) = text.split_at(23);
        assert_eq!(
            rest,
            " INFO django_bolt.access: 127.0.0.1:5000 \"GET /items/7?q=x\" 200 27 0.05ms\n"
        );
        // `2026-11-27 22:41:07,123`
        let b = stamp.as_bytes();
        assert!(b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            19 => *c == b',',
            _ => c.is_ascii_digit(),
        }));
    }

    extern "C" {
        // POSIX; the libc crate does not declare it.
        fn tzset();
    }

    #[test]
    fn the_local_time_of_a_known_instant_in_utc() {
        // TZ is read by localtime_r through tzset; tests in this binary do not set it otherwise.
        std::env::set_var("TZ", "UTC");
        // SAFETY: tzset takes no arguments; it re-reads TZ into libc's own state.
        unsafe { tzset() };
        assert_eq!(local_time(784_111_777), "1994-11-06 08:49:37");
    }

    #[test]
    fn durations_and_padding_print_as_format_does() {
        for ms in [
            0.0,
            0.004,
            0.005,
            0.0523,
            0.999,
            1.0,
            9.995_01,
            12.345_67,
            1234.5,
            86_400_000.0,
        ] {
            let mut b = Vec::new();
            push_hundredths(&mut b, ms);
            assert_eq!(String::from_utf8(b).unwrap(), format!("{ms:.2}"), "{ms}");
        }
        for (n, w) in [(0, 3), (7, 3), (42, 3), (999, 3), (5, 2), (1234, 3)] {
            let mut b = Vec::new();
            push_padded(&mut b, n, w);
            assert_eq!(String::from_utf8(b).unwrap(), format!("{n:0w$}"));
        }
    }

    #[test]
    fn flush_empties_every_buffer_in_order() {
        let a = AccessSink::new();
        for i in 0..3 {
            a.line("c", "GET", &format!("/{i}"), 200, 0, 1.0);
        }
        flush();
        assert!(lock(&a.buf).is_empty());
    }
}
